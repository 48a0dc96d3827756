-- For the tables in $1 (oid[]): the SECURITY DEFINER functions and
-- procedures that role $2 may execute (and whose schema it may use), with
-- at most 4 input arguments, none variadic or of a pseudo-type, that
-- return the table's rows or may write it. Called by the role, they read
-- or write as their owner, whatever the policies let the role do; the
-- probes call them (each is a candidate: its verdict is what the calls
-- did).
--   reads: a function returning the table's row type (or a SETOF it), or
--          rows with an output column named $3 (the tenant column) of the
--          tenant column's type;
--   writes (only when $4): volatile (PostgreSQL refuses a write in a
--          stable or immutable one), not a trigger function (which
--          cannot be called), owned by another role than $2, in a
--          language whose body is text (not C or internal), not an
--          extension's, whose body names the table (its name in the text,
--          or a dependency of a BEGIN ATOMIC body), and, for a procedure,
--          with no OUT argument (CALL would need one).
-- Per row: the table, the function as regprocedure prints it, its owner,
-- its quoted name, its input arguments' types (schema and name, quoted:
-- the probes' casts mean the same under any search_path), names ('' when
-- unnamed) and element types when arrays (else ''), whether it is a
-- procedure, whether it reads and whether it writes.
-- The functions are chosen first (few, in most databases none), then
-- matched with the tables: the body search runs for those only.
WITH f AS MATERIALIZED (
    SELECT f.oid, f.proname, f.prosrc, f.prokind, f.proowner, f.pronamespace, f.provolatile,
           f.proargtypes, f.proargnames, f.proargmodes, f.proallargtypes, f.pronargs, f.prorettype,
           l.lanname NOT IN ('c', 'internal') AS text_body
      FROM pg_catalog.pg_proc f
      JOIN pg_catalog.pg_language l ON l.oid = f.prolang
     WHERE f.prosecdef AND f.prokind IN ('f', 'p') AND f.pronargs <= 4 AND f.provariadic = 0
       -- (the pseudo-types once, not per function: a cheap plan, no JIT)
       AND NOT f.proargtypes::pg_catalog.oid[] OPERATOR(pg_catalog.&&)
               ARRAY(SELECT ty.oid FROM pg_catalog.pg_type ty WHERE ty.typtype = 'p')
       AND pg_catalog.has_function_privilege($2::name, f.oid, 'EXECUTE')
       AND pg_catalog.has_schema_privilege($2::name, f.pronamespace, 'USAGE'))
SELECT c.oid, pg_catalog.format('%s', f.oid::pg_catalog.regprocedure),
       pg_catalog.pg_get_userbyid(f.proowner)::text,
       pg_catalog.format('%I.%I', n.nspname, f.proname),
       ARRAY(SELECT pg_catalog.format('%I.%I', tn.nspname, ty.typname)
               FROM pg_catalog.unnest(f.proargtypes::pg_catalog.oid[]) WITH ORDINALITY a(t, i)
               JOIN pg_catalog.pg_type ty ON ty.oid = a.t
               JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace
              ORDER BY a.i),
       ARRAY(SELECT coalesce(o.name, '')
               FROM ROWS FROM (pg_catalog.unnest(f.proargnames),
                               pg_catalog.unnest(coalesce(f.proargmodes::pg_catalog.text[],
                                                          pg_catalog.array_fill('i'::pg_catalog.text, ARRAY[f.pronargs::int]))))
                    WITH ORDINALITY o(name, mode, i)
              WHERE o.mode IN ('i', 'b') ORDER BY o.i),
       ARRAY(SELECT CASE WHEN ty.typcategory = 'A' AND ty.typelem <> 0
                         THEN pg_catalog.format('%I.%I', en.nspname, et.typname) ELSE '' END
               FROM pg_catalog.unnest(f.proargtypes::pg_catalog.oid[]) WITH ORDINALITY a(t, i)
               JOIN pg_catalog.pg_type ty ON ty.oid = a.t
               LEFT JOIN pg_catalog.pg_type et ON et.oid = ty.typelem
               LEFT JOIN pg_catalog.pg_namespace en ON en.oid = et.typnamespace
              ORDER BY a.i),
       f.prokind = 'p', k.reads, k.writes
  FROM f
  JOIN pg_catalog.pg_class c ON c.oid = ANY ($1::oid[])
  JOIN pg_catalog.pg_attribute col
    ON col.attrelid = c.oid AND col.attname = $3::name AND col.attnum > 0 AND NOT col.attisdropped
  CROSS JOIN LATERAL (
      SELECT f.prokind = 'f'
             AND (f.prorettype = c.reltype
                  OR f.prorettype = 'pg_catalog.record'::pg_catalog.regtype AND f.proallargtypes IS NOT NULL
                     AND EXISTS (SELECT FROM ROWS FROM (pg_catalog.unnest(f.proargnames),
                                                        pg_catalog.unnest(f.proallargtypes::pg_catalog.oid[]),
                                                        pg_catalog.unnest(f.proargmodes::pg_catalog.text[])) o(name, t, mode)
                                  WHERE o.mode IN ('o', 't') AND o.name = $3::text AND o.t = col.atttypid)) AS reads,
             $4::boolean AND f.provolatile = 'v' AND f.text_body
             AND f.prorettype NOT IN ('pg_catalog.trigger'::pg_catalog.regtype,
                                      'pg_catalog.event_trigger'::pg_catalog.regtype)
             AND pg_catalog.pg_get_userbyid(f.proowner) <> $2::pg_catalog.text
             AND (f.prokind = 'f' OR f.proargmodes IS NULL OR NOT 'o' = ANY (f.proargmodes::pg_catalog.text[]))
             AND (pg_catalog.strpos(pg_catalog.lower(f.prosrc), pg_catalog.lower(c.relname::pg_catalog.text)) > 0
                  OR EXISTS (SELECT FROM pg_catalog.pg_depend d
                              WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = f.oid
                                AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = c.oid))
             AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e
                              WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = f.oid
                                AND e.deptype = 'e') AS writes) k
  JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
 WHERE k.reads OR k.writes
 ORDER BY 1, 2
