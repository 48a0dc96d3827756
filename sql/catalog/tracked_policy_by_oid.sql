-- The live policy with OID $1, in the column order of a tracked_policies
-- row ($2: this database's ident); no row once it is gone or out of scope.
SELECT p.oid, p.polrelid, $2::text, {policy_tree}, p.polroles::pg_catalog.int8[],
       n.nspname::text, c.relname::text, p.polname::text,
       {policy_definition}
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE p.oid = $1 AND {in_scope}
