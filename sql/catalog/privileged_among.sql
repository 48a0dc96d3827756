-- Of the roles in $1 (name[]: those a probed role may SET ROLE to), the
-- ones that hold a privilege verify_isolation's probes could use on a
-- relation they look at: those in $3 (oid[]), or (NULL) every table, view
-- and materialized view in scope with tenant column $2. SELECT, INSERT,
-- UPDATE, DELETE or TRIGGER on the relation, or SELECT, INSERT or UPDATE
-- on some of its columns (inherited privileges included, as PostgreSQL
-- checks them). TRUNCATE is asked of them apart (truncate_via.sql).
SELECT r.r::text
  FROM pg_catalog.unnest($1::name[]) AS r(r)
 WHERE EXISTS (
       SELECT FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a
         ON a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
      WHERE ({is_table} OR c.relkind IN ('v', 'm'))
        AND CASE WHEN $3::oid[] IS NULL THEN {in_scope} ELSE c.oid = ANY ($3::oid[]) END
        AND (pg_catalog.has_table_privilege(r.r, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRIGGER')
             OR pg_catalog.has_any_column_privilege(r.r, c.oid, 'SELECT, INSERT, UPDATE')))
 ORDER BY r.r
