-- For the event triggers: the tracked row of the table with OID $1 in the
-- database whose ident is $2, in the column order of a tracked_tables row
-- (catalog::decode_tracked_table).
SELECT tt.table_oid, tt.schema_oid, tt.db_ident, tt.schema_name::text, tt.table_name::text,
       tt.rls_enabled, tt.rls_forced
  FROM rls_audit.tracked_tables tt
 WHERE tt.table_oid = $1 AND tt.db_ident = $2
 LIMIT 1
