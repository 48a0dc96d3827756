-- Every policy of table $1, in decode_policy's column order but USING and
-- WITH CHECK as their stored trees' text (the write probe gives its shadow
-- copy the same policies, printed with the copy's name: live::deparse_as).
SELECT n.nspname::text, c.relname::text, p.polname::text,
       {policy_mode}, {policy_command},
       ARRAY(SELECT CASE WHEN x = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x)::text END
               FROM pg_catalog.unnest(p.polroles) AS x),
       p.polqual::pg_catalog.text, p.polwithcheck::pg_catalog.text
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE p.polrelid = $1
 ORDER BY p.polname
