-- resync_policies.sql for the tables of 0.1.0 and 0.2.0 (no identity columns).
INSERT INTO rls_audit.tracked_policies
    (policy_oid, table_oid, schema_name, table_name, policy_name, permissive, command, roles,
     using_expr, check_expr)
SELECT p.oid, p.polrelid, n.nspname, c.relname, p.polname, {policy_definition}
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {is_table} AND {in_scope}
