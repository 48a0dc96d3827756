-- The tables verify_isolation probes for role $1 and tenant column $2:
-- those in $3 (oid[]), or (NULL) every table in scope with the column,
-- partitions excluded (their parent is probed). Owner, whether the role
-- has the owner's rights, flags, the column's type schema-qualified (for
-- casts in probes, which run under the role's search_path), the OID, the
-- type's OID.
SELECT n.nspname::text, c.relname::text, pg_catalog.pg_get_userbyid(c.relowner)::text,
       pg_catalog.pg_has_role($1::name, c.relowner, 'USAGE'),
       c.relrowsecurity, c.relforcerowsecurity,
       pg_catalog.format('%I.%I', tn.nspname, ty.typname), c.oid, a.atttypid
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a
    ON a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace
 WHERE {is_table}
   AND CASE WHEN $3::oid[] IS NULL
            THEN {in_scope} AND NOT c.relispartition
            ELSE c.oid = ANY ($3::oid[]) END
 ORDER BY n.nspname, c.relname
