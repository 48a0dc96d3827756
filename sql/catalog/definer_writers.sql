-- For the tables in $1 (oid[]): the SECURITY DEFINER functions and
-- procedures that role $2 may execute (and whose schema it may use), owned
-- by another role, that may write the table: called by the role, they
-- write as their owner, whatever the policies let the role write.
-- Candidates only, each called by the probe with the table watched (its
-- verdict is what the calls did): volatile (PostgreSQL refuses a write in
-- a stable or immutable one), in a language whose body is text (not C or
-- internal), not an extension's, whose body names the table (its name
-- in the text, or a dependency of a BEGIN ATOMIC body), with at most 4
-- input arguments, none variadic or of a pseudo-type, and no OUT
-- argument of a procedure (CALL would need one). Per row: the table, the
-- function as regprocedure prints it, its owner, its quoted name, its
-- input arguments' types (schema and name, quoted: the probe's casts
-- mean the same under any search_path) and names ('' when unnamed),
-- whether it is a procedure, and each input argument's element type
-- when it is an array ('' otherwise).
-- The functions are chosen first (few, in most databases none), then
-- matched with the tables: the body search runs for those only.
WITH f AS MATERIALIZED (
    SELECT f.oid, f.proname, f.prosrc, f.prokind, f.proowner, f.pronamespace,
           f.proargtypes, f.proargnames, f.proargmodes, f.pronargs
      FROM pg_catalog.pg_proc f
      JOIN pg_catalog.pg_language l ON l.oid = f.prolang AND l.lanname NOT IN ('c', 'internal')
     WHERE f.prosecdef AND f.prokind IN ('f', 'p') AND f.provolatile = 'v'
       AND f.pronargs <= 4 AND f.provariadic = 0
       AND (f.prokind = 'f' OR f.proargmodes IS NULL OR NOT 'o' = ANY (f.proargmodes::pg_catalog.text[]))
       AND pg_catalog.pg_get_userbyid(f.proowner) <> $2::pg_catalog.text
       -- (the pseudo-types once, not per function: a cheap plan, no JIT)
       AND NOT f.proargtypes::pg_catalog.oid[] OPERATOR(pg_catalog.&&)
               ARRAY(SELECT ty.oid FROM pg_catalog.pg_type ty WHERE ty.typtype = 'p')
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e
                        WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = f.oid
                          AND e.deptype = 'e')
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
       f.prokind = 'p',
       ARRAY(SELECT CASE WHEN ty.typcategory = 'A' AND ty.typelem <> 0
                         THEN pg_catalog.format('%I.%I', en.nspname, et.typname) ELSE '' END
               FROM pg_catalog.unnest(f.proargtypes::pg_catalog.oid[]) WITH ORDINALITY a(t, i)
               JOIN pg_catalog.pg_type ty ON ty.oid = a.t
               LEFT JOIN pg_catalog.pg_type et ON et.oid = ty.typelem
               LEFT JOIN pg_catalog.pg_namespace en ON en.oid = et.typnamespace
              ORDER BY a.i)
  FROM f
  JOIN pg_catalog.pg_class c
    ON c.oid = ANY ($1::oid[])
   AND (pg_catalog.strpos(pg_catalog.lower(f.prosrc), pg_catalog.lower(c.relname::pg_catalog.text)) > 0
        OR EXISTS (SELECT FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = f.oid
                      AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = c.oid))
  JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
 ORDER BY 1, 2
