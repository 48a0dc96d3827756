-- Track every live policy as it is now ($1: this database's ident).
INSERT INTO rls_audit.tracked_policies
    (policy_oid, table_oid, schema_name, table_name, policy_name, permissive, command, roles,
     using_expr, check_expr, db_ident, tree, role_oids)
SELECT p.oid, p.polrelid, n.nspname, c.relname, p.polname,
       {policy_mode}, {policy_command},
       ARRAY(SELECT r FROM (SELECT CASE WHEN x = 0 THEN 'public'
                                        ELSE pg_catalog.pg_get_userbyid(x)::text END AS r
                              FROM pg_catalog.unnest(p.polroles) AS x) s
              ORDER BY r COLLATE "C")::name[],
       pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid),
       $1, {policy_tree},
       ARRAY(SELECT x FROM pg_catalog.unnest(p.polroles) AS x ORDER BY x)
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {is_table} AND {in_scope}
