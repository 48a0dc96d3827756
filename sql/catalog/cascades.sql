-- The foreign keys of the tables in $1 (oid[]) whose ON DELETE action
-- writes their rows (CASCADE deletes them, SET NULL and SET DEFAULT
-- change them), for verify_isolation's cascade probe: the table, the
-- key's name, the action, the referenced table (name, owner, row security
-- flags), the key's columns on both sides in order, and the operators the
-- key matches with (the constraint's own, referenced = referencing,
-- schema-qualified). A partitioned referenced table's partitions have
-- constraints of their own on the table: only the one on the table itself
-- is listed.
SELECT k.conrelid, k.conname::text, k.confdeltype::text, k.confrelid,
       pg_catalog.format('%I.%I', n.nspname, p.relname),
       pg_catalog.pg_get_userbyid(p.relowner)::text,
       p.relrowsecurity, p.relforcerowsecurity,
       ARRAY(SELECT a.attname::text
               FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(n, i)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n
              ORDER BY u.i),
       ARRAY(SELECT a.attname::text
               FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY AS u(n, i)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n
              ORDER BY u.i),
       ARRAY(SELECT pg_catalog.format('OPERATOR(%I.%s)', o_n.nspname, o.oprname)
               FROM pg_catalog.unnest(k.conpfeqop) WITH ORDINALITY AS u(op, i)
               JOIN pg_catalog.pg_operator o ON o.oid = u.op
               JOIN pg_catalog.pg_namespace o_n ON o_n.oid = o.oprnamespace
              ORDER BY u.i)
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_class p ON p.oid = k.confrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace
 WHERE k.contype = 'f' AND k.conrelid = ANY ($1::oid[]) AND k.confdeltype IN ('c', 'n', 'd')
   AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint up
                    WHERE up.oid = k.conparentid AND up.conrelid = k.conrelid)
 ORDER BY k.conrelid, k.conname
