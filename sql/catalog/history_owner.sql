-- The owner of rls_audit's history tables. By name, not by
-- 'rls_audit.events'::regclass: the DDL's user may have no USAGE on the schema.
SELECT c.relowner FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'rls_audit' AND c.relname = 'events'
