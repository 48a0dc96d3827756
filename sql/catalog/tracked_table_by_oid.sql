-- The live table with OID $1, in the column order of a tracked_tables row
-- ($2: this database's ident), and whether it has policies.
SELECT c.oid, c.relnamespace, $2::text, n.nspname::text, c.relname::text,
       c.relrowsecurity, c.relforcerowsecurity,
       EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = $1 AND {is_table} AND {in_scope}
