-- The foreign keys of the tables in $1 (oid[]) whose ON DELETE or ON
-- UPDATE action writes their rows (ON DELETE CASCADE deletes them; SET
-- NULL, SET DEFAULT and ON UPDATE CASCADE change them), for
-- verify_isolation's cascade probe: the table, the key's name, the ON
-- DELETE action, the referenced table (name, owner, row security flags),
-- the key's columns on both sides in order, the operators the key matches
-- with (the constraint's own, referenced = referencing, schema-qualified),
-- and the ON UPDATE action. A SET NULL or SET DEFAULT that can only fail
-- (a column it sets is NOT NULL, and for SET DEFAULT has no default)
-- writes nothing: it is listed as 'a' (NO ACTION). A partitioned
-- referenced table's partitions have constraints of their own on the
-- table: only the one on the table itself is listed.
SELECT k.conrelid, k.conname::text, x.del, k.confrelid,
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
              ORDER BY u.i),
       x.upd
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_class p ON p.oid = k.confrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace
  CROSS JOIN LATERAL (
      SELECT CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_attribute a
                                WHERE a.attrelid = k.conrelid
                                  AND a.attnum = ANY (CASE WHEN pg_catalog.cardinality(k.confdelsetcols) > 0
                                                           THEN k.confdelsetcols ELSE k.conkey END)
                                  AND a.attnotnull
                                  AND (k.confdeltype = 'n' OR k.confdeltype = 'd' AND NOT a.atthasdef))
                  THEN 'a' ELSE k.confdeltype::text END AS del,
             CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_attribute a
                                WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                                  AND a.attnotnull
                                  AND (k.confupdtype = 'n' OR k.confupdtype = 'd' AND NOT a.atthasdef))
                  THEN 'a' ELSE k.confupdtype::text END AS upd) x
 WHERE k.contype = 'f' AND k.conrelid = ANY ($1::oid[]) AND (x.del IN ('c', 'n', 'd') OR x.upd IN ('c', 'n', 'd'))
   AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint up
                    WHERE up.oid = k.conparentid AND up.conrelid = k.conrelid)
 ORDER BY k.conrelid, k.conname
