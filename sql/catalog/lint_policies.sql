-- Lint: every policy of a table in scope that no extension owns; with
-- lint(schemas), only those of tables in $1 and of the tables ($2, $3
-- pairwise: schema, name) that the materialized views and SECURITY
-- DEFINER functions in $1 read. $1 NULL: every table.
SELECT n.nspname::text, c.relname::text, p.polname::text,
       {policy_trees},
       p.polrelid
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {in_scope}
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
   AND ($1::text[] IS NULL
        OR n.nspname = ANY ($1::text[])
        OR EXISTS (SELECT 1 FROM ROWS FROM (pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[])) AS x(s, t)
                    WHERE x.s = n.nspname AND x.t = c.relname))
