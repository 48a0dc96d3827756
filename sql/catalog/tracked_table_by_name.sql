-- For the event triggers: the tracked row of table $1.$2 (its names are
-- its key), in the column order of a tracked_tables row
-- (catalog::decode_tracked_table).
SELECT tt.table_oid, tt.schema_oid, tt.db_ident, tt.schema_name::text, tt.table_name::text,
       tt.rls_enabled, tt.rls_forced
  FROM rls_audit.tracked_tables tt
 WHERE (tt.schema_name, tt.table_name) = ($1::name, $2::name)
