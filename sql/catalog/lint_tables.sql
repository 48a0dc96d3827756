-- Lint: every table in scope with its owner, flags, policy count and the
-- non-owner grants (e.g. "PUBLIC: SELECT"). Tables an extension owns are
-- left out: the DBA cannot fix them (the extension's next version can).
SELECT n.nspname::text, c.relname::text, o.rolname::text, o.rolcanlogin, o.rolsuper,
       c.relrowsecurity, c.relforcerowsecurity,
       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid),
       ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END
                    || ': ' || pg_catalog.string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type)
               FROM pg_catalog.aclexplode(c.relacl) a
               LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
              WHERE a.grantee <> c.relowner
                AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
              GROUP BY a.grantee, r.rolname ORDER BY 1)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
 WHERE {is_table} AND {in_scope}
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
