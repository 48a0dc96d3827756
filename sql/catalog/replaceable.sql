-- For the tables in $1 (oid[]): the functions their policies that apply to
-- role $2 call, directly or as an operator's implementation, that the role
-- may replace (CREATE OR REPLACE FUNCTION needs the owner's rights, as
-- the role owns the function, inherits its owner or may SET ROLE to it,
-- and CREATE on the function's schema, as whoever runs it).
-- PostgreSQL records each function and operator a policy's expressions use
-- as a dependency of the policy. Built-in functions (owned by the
-- bootstrap superuser) are left out: a role that may become a superuser
-- fails role_no_bypassrls already. Per row: the table, the policy's name
-- and command, the function and its owner.
SELECT DISTINCT p.polrelid, p.polname::text, p.polcmd::text,
       pg_catalog.format('%s', f.oid::pg_catalog.regprocedure),
       pg_catalog.pg_get_userbyid(f.proowner)::text
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_depend d
    ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = p.oid
  LEFT JOIN pg_catalog.pg_operator o
    ON d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid = d.refobjid
  JOIN pg_catalog.pg_proc f
    ON f.oid = CASE WHEN d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN d.refobjid
                    ELSE o.oprcode::pg_catalog.oid END
 WHERE p.polrelid = ANY ($1::oid[]) AND f.oid >= 16384
   AND (0::pg_catalog.oid = ANY (p.polroles)
        OR EXISTS (SELECT FROM pg_catalog.unnest(p.polroles) AS r(r)
                    WHERE pg_catalog.pg_has_role($2::name, r.r, 'USAGE')))
   AND (pg_catalog.pg_has_role($2::name, f.proowner, 'USAGE')
        AND pg_catalog.has_schema_privilege($2::name, f.pronamespace, 'CREATE')
        OR pg_catalog.pg_has_role($2::name, f.proowner, '{set_option}')
        AND pg_catalog.has_schema_privilege(f.proowner, f.pronamespace, 'CREATE'))
 ORDER BY 1, 2, 4
