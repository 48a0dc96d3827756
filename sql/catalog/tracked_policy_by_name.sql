-- For the event triggers: the tracked row of the policy named $3 on
-- table $1.$2 (its names are its key), in the column order of a
-- tracked_policies row (catalog::decode_tracked_policy).
SELECT tp.policy_oid, tp.table_oid, tp.db_ident, tp.tree, tp.role_oids::pg_catalog.int8[],
       tp.schema_name::text, tp.table_name::text, tp.policy_name::text, tp.permissive, tp.command,
       tp.roles::text[], tp.using_expr, tp.check_expr
  FROM rls_audit.tracked_policies tp
 WHERE (tp.schema_name, tp.table_name, tp.policy_name) = ($1::name, $2::name, $3::name)
