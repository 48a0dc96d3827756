-- resync_tables.sql for the tables of 0.1.0 and 0.2.0 (no identity columns;
-- those versions also tracked FORCE-only tables).
INSERT INTO rls_audit.tracked_tables (table_oid, schema_oid, schema_name, table_name, rls_enabled, rls_forced)
SELECT c.oid, c.relnamespace, n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {is_table} AND {in_scope}
   AND (c.relrowsecurity OR c.relforcerowsecurity
        OR EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid))
