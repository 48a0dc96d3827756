-- Lint: SECURITY DEFINER functions in scope that no extension owns, with
-- their fixed search_path (NULL: none), the schemas PUBLIC may create in,
-- and whether it is a procedure (ALTER PROCEDURE, not ALTER FUNCTION).
SELECT n.nspname::text, p.proname::text, pg_catalog.oidvectortypes(p.proargtypes),
       (SELECT pg_catalog.substr(x, 13) FROM pg_catalog.unnest(p.proconfig) x
         WHERE x LIKE 'search\_path=%' LIMIT 1),
       ARRAY(SELECT s.nspname::text FROM pg_catalog.pg_namespace s
              WHERE EXISTS (SELECT 1 FROM pg_catalog.aclexplode(s.nspacl) a
                             WHERE a.grantee = 0 AND a.privilege_type = 'CREATE')),
       p.prokind = 'p'
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prosecdef AND {in_scope}
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                      AND d.objid = p.oid AND d.deptype = 'e')
