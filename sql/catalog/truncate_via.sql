-- For each table in $1 (oid[]): the first of the roles in $2 (name[]: the
-- roles a probed role may SET ROLE to without inheriting them) that may
-- TRUNCATE it after that SET ROLE: it may use the table's schema, and
-- holds the privilege on the table and on every table whose foreign keys
-- reach it (catalog::MAY_TRUNCATE, which targets.sql asks of the role
-- itself). Row security does not apply to TRUNCATE.
SELECT DISTINCT ON (c.oid) c.oid, r.r::text
  FROM pg_catalog.pg_class c
 CROSS JOIN pg_catalog.unnest($2::name[]) AS r(r)
 WHERE c.oid = ANY ($1::oid[])
   AND pg_catalog.has_schema_privilege(r.r, c.relnamespace, 'USAGE')
   AND {may_truncate_r}
 ORDER BY c.oid, r.r
