-- Access model: the foreign keys of tables in scope whose referential
-- action writes the referencing rows: ON DELETE CASCADE deletes them; ON
-- DELETE SET NULL / SET DEFAULT and ON UPDATE CASCADE / SET NULL / SET
-- DEFAULT update them. PostgreSQL runs the action as the referencing
-- table's owner with row-level security off (even when forced), for
-- whoever deletes or updates the referenced rows. Columns: the
-- referencing table's OID, the constraint's name, the referenced table's
-- OID, its delete and update actions (pg_constraint.confdeltype,
-- confupdtype).
SELECT k.conrelid::pg_catalog.int8, k.conname::text, k.confrelid::pg_catalog.int8,
       k.confdeltype::text, k.confupdtype::text
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE k.contype = 'f' AND (k.confdeltype IN ('c', 'n', 'd') OR k.confupdtype IN ('c', 'n', 'd'))
   AND {in_scope}
 ORDER BY 1, 2
