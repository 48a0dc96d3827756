-- For each table in $1 (oid[]): the first of the roles in $2 (name[]: the
-- roles a probed role may SET ROLE to without inheriting them) that may
-- TRUNCATE it after that SET ROLE: it may use the table's schema, and
-- holds the privilege on the table and on every table whose foreign keys
-- reach it, as in targets.sql. Row security does not apply to TRUNCATE.
SELECT DISTINCT ON (c.oid) c.oid, r.r::text
  FROM pg_catalog.pg_class c
 CROSS JOIN pg_catalog.unnest($2::name[]) AS r(r)
 WHERE c.oid = ANY ($1::oid[])
   AND pg_catalog.has_schema_privilege(r.r, c.relnamespace, 'USAGE')
   AND pg_catalog.has_table_privilege(r.r, c.oid, 'TRUNCATE')
   AND NOT EXISTS (
       WITH RECURSIVE fk(relid) AS (
           SELECT k.conrelid FROM pg_catalog.pg_constraint k
            WHERE k.contype = 'f' AND k.confrelid = c.oid AND k.conrelid <> c.oid
           UNION
           SELECT k.conrelid FROM fk, pg_catalog.pg_constraint k
            WHERE k.contype = 'f' AND k.confrelid = fk.relid)
       SELECT FROM fk WHERE NOT pg_catalog.has_table_privilege(r.r, fk.relid, 'TRUNCATE'))
 ORDER BY c.oid, r.r
