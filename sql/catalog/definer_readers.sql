-- For the tables in $1 (oid[]): the SECURITY DEFINER functions that role
-- $2 may execute (and whose schema it may use) that return the table's
-- rows — its row type, or a SETOF of it — or rows with an output column
-- named $3 (the tenant column) of the same type as the table's: called by
-- the role, they read as their owner, whatever the policies let the role
-- read. Plain functions with at most 4 input arguments, none variadic or
-- polymorphic (the probe passes each one NULL, a tenant value or a value
-- of another tenant's row, cast from text). Per row: the table, the
-- function as regprocedure prints it, its owner, its quoted name, its
-- argument types (schema and name, quoted, as definer_writers.sql gives
-- them), whether it returns the row type, and its input arguments' names
-- ('' when unnamed), and each input argument's element type when it is an
-- array ('' otherwise).
SELECT c.oid, pg_catalog.format('%s', f.oid::pg_catalog.regprocedure),
       pg_catalog.pg_get_userbyid(f.proowner)::text,
       pg_catalog.format('%I.%I', n.nspname, f.proname),
       ARRAY(SELECT pg_catalog.format('%I.%I', tn.nspname, ty.typname)
               FROM pg_catalog.unnest(f.proargtypes::pg_catalog.oid[]) WITH ORDINALITY a(t, i)
               JOIN pg_catalog.pg_type ty ON ty.oid = a.t
               JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace
              ORDER BY a.i),
       f.prorettype = c.reltype,
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
              ORDER BY a.i)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_attribute col
    ON col.attrelid = c.oid AND col.attname = $3::name AND col.attnum > 0 AND NOT col.attisdropped
  JOIN pg_catalog.pg_proc f
    ON f.prosecdef AND f.prokind = 'f' AND f.pronargs <= 4 AND f.provariadic = 0
   AND (f.prorettype = c.reltype
        OR f.prorettype = 'pg_catalog.record'::pg_catalog.regtype AND f.proallargtypes IS NOT NULL
           AND EXISTS (SELECT FROM ROWS FROM (pg_catalog.unnest(f.proargnames),
                                              pg_catalog.unnest(f.proallargtypes::pg_catalog.oid[]),
                                              pg_catalog.unnest(f.proargmodes::pg_catalog.text[])) o(name, t, mode)
                        WHERE o.mode IN ('o', 't') AND o.name = $3::text AND o.t = col.atttypid))
  JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
 WHERE c.oid = ANY ($1::oid[])
   -- (the pseudo-types once, not per function: a cheap plan, no JIT)
   AND NOT f.proargtypes::pg_catalog.oid[] OPERATOR(pg_catalog.&&)
           ARRAY(SELECT ty.oid FROM pg_catalog.pg_type ty WHERE ty.typtype = 'p')
   AND pg_catalog.has_function_privilege($2::name, f.oid, 'EXECUTE')
   AND pg_catalog.has_schema_privilege($2::name, f.pronamespace, 'USAGE')
 ORDER BY 1, 2
