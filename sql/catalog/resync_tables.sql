-- Track every RLS-relevant live table (RLS enabled, or with policies) as
-- it is now ($1: this database's ident).
INSERT INTO rls_audit.tracked_tables
    (table_oid, schema_oid, schema_name, table_name, rls_enabled, rls_forced, db_ident)
SELECT c.oid, c.relnamespace, n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity, $1
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {is_table} AND {in_scope}
   AND (c.relrowsecurity OR EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid))
