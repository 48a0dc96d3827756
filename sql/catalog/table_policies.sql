-- Every policy of table $1, in decode_policy's column order (the write
-- probe gives its shadow copy the same policies).
SELECT n.nspname::text, c.relname::text, p.polname::text,
       {policy_definition}
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE p.polrelid = $1
 ORDER BY p.polname
