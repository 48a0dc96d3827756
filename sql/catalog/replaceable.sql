-- For the tables in $1 (oid[]): the functions their policies that apply to
-- role $2 call, directly or as an operator's implementation, that the
-- role may replace: CREATE OR REPLACE
-- FUNCTION needs the owner's rights and CREATE on the function's schema,
-- as the role itself (it owns the function or inherits its owner) or as
-- the owner after SET ROLE. PostgreSQL records each function and operator
-- a policy's expressions use as a dependency of the policy. Built-in
-- functions (owned by the bootstrap superuser) are left out, and so are
-- functions a plain SQL body cannot stand in for (sets, records, OUT
-- parameters). Per row: the table, the policy, the function as
-- regprocedure prints it, its owner, who replaces it, the name and
-- arguments (defaults included) and the result to replace it with,
-- whether it returns boolean, whether a policy that checks reads (SELECT
-- or ALL) calls it, and whether one that checks writes (INSERT, UPDATE,
-- DELETE or ALL) does, and the names of those.
SELECT p.polrelid, pg_catalog.min(p.polname::text) FILTER (WHERE p.polcmd IN ('r', '*')),
       pg_catalog.format('%s', f.oid::pg_catalog.regprocedure),
       pg_catalog.pg_get_userbyid(f.proowner)::text,
       CASE WHEN pg_catalog.pg_has_role($2::name, f.proowner, 'USAGE')
                 AND pg_catalog.has_schema_privilege($2::name, f.pronamespace, 'CREATE')
            THEN $2::text ELSE pg_catalog.pg_get_userbyid(f.proowner)::text END,
       pg_catalog.format('%I.%I(%s)', fn.nspname, f.proname, pg_catalog.pg_get_function_arguments(f.oid)),
       pg_catalog.pg_get_function_result(f.oid),
       f.prorettype = 'pg_catalog.bool'::pg_catalog.regtype,
       pg_catalog.bool_or(p.polcmd IN ('r', '*')), pg_catalog.bool_or(p.polcmd <> 'r'),
       ARRAY(SELECT DISTINCT w.polname::text FROM pg_catalog.pg_policy w
               JOIN pg_catalog.pg_depend wd
                 ON wd.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND wd.objid = w.oid
              WHERE w.polrelid = p.polrelid AND w.polcmd <> 'r'
                AND (wd.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND wd.refobjid = f.oid
                     OR wd.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass
                        AND wd.refobjid IN (SELECT o2.oid FROM pg_catalog.pg_operator o2 WHERE o2.oprcode::pg_catalog.oid = f.oid))
              ORDER BY 1)
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_depend d
    ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = p.oid
  LEFT JOIN pg_catalog.pg_operator o
    ON d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid = d.refobjid
  JOIN pg_catalog.pg_proc f
    ON f.oid = CASE WHEN d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN d.refobjid
                    ELSE o.oprcode::pg_catalog.oid END
  JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
 WHERE p.polrelid = ANY ($1::oid[]) AND f.oid >= 16384
   AND f.prokind = 'f' AND NOT f.proretset AND f.proallargtypes IS NULL
   AND f.prorettype NOT IN ('pg_catalog.record'::pg_catalog.regtype, 'pg_catalog.void'::pg_catalog.regtype,
                            'pg_catalog.trigger'::pg_catalog.regtype, 'pg_catalog.event_trigger'::pg_catalog.regtype)
   AND (0::pg_catalog.oid = ANY (p.polroles)
        OR EXISTS (SELECT FROM pg_catalog.unnest(p.polroles) AS r(r)
                    WHERE pg_catalog.pg_has_role($2::name, r.r, 'USAGE')))
   AND (pg_catalog.pg_has_role($2::name, f.proowner, 'USAGE')
        AND pg_catalog.has_schema_privilege($2::name, f.pronamespace, 'CREATE')
        OR pg_catalog.pg_has_role($2::name, f.proowner, '{set_option}')
        AND pg_catalog.has_schema_privilege(f.proowner, f.pronamespace, 'CREATE'))
 GROUP BY p.polrelid, f.oid, fn.nspname
 ORDER BY 1, 3
