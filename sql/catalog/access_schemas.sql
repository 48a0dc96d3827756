-- Access model: every schema in scope and the roles (0 = PUBLIC) holding
-- USAGE on it, the owner's implicit grant included.
SELECT n.nspname::text,
       ARRAY(SELECT a.grantee::pg_catalog.int8
               FROM pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a
              WHERE a.privilege_type = 'USAGE')
  FROM pg_catalog.pg_namespace n
 WHERE {in_scope}
