-- One live policy by table OID ($1) and name ($2), for policy_ddl().
SELECT n.nspname::text, c.relname::text, p.polname::text,
       {policy_definition}
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE p.polrelid = $1 AND p.polname = $2
