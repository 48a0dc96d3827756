-- For the tables in $1 (oid[]): the other tables (ordinary or
-- partitioned) that their policies for role $2 read, in a sub-select of
-- USING or WITH CHECK. PostgreSQL records each relation a policy's
-- expressions read as a dependency of the policy; a view it reads is
-- followed to the relations the view reads (its rule's dependencies, views
-- in views too, 8 deep at most): what the role writes there changes what
-- the view shows the policy. Per row: the table,
-- the first such policy (by name) that checks reads (SELECT or ALL), the
-- table read, and the names and commands (polcmd) of those that check
-- writes (INSERT, UPDATE, DELETE or ALL), by name; NULL for none. (Which
-- of them the role may write is writable.sql's.)
WITH RECURSIVE r(pol, rel, depth) AS (
    SELECT d.objid, d.refobjid, 0
      FROM pg_catalog.pg_policy p
      JOIN pg_catalog.pg_depend d
        ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = p.oid
       AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
     WHERE p.polrelid = ANY ($1::oid[])
    UNION
    SELECT r.pol, vd.refobjid, r.depth + 1
      FROM r
      JOIN pg_catalog.pg_class v ON v.oid = r.rel AND v.relkind = 'v'
      JOIN pg_catalog.pg_rewrite w ON w.ev_class = v.oid
      JOIN pg_catalog.pg_depend vd
        ON vd.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND vd.objid = w.oid
       AND vd.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND vd.refobjid <> v.oid
     WHERE r.depth < 8)
SELECT p.polrelid, pg_catalog.min(p.polname::text) FILTER (WHERE p.polcmd IN ('r', '*')), m.oid,
       pg_catalog.array_agg(p.polname::text ORDER BY p.polname) FILTER (WHERE p.polcmd IN ('a', 'w', 'd', '*')),
       pg_catalog.array_agg(p.polcmd::text ORDER BY p.polname) FILTER (WHERE p.polcmd IN ('a', 'w', 'd', '*'))
  FROM pg_catalog.pg_policy p
  JOIN (SELECT DISTINCT r.pol, r.rel FROM r) d ON d.pol = p.oid AND d.rel <> p.polrelid
  JOIN pg_catalog.pg_class m ON m.oid = d.rel AND m.relkind IN ('r', 'p')
 WHERE p.polrelid = ANY ($1::oid[])
   AND (0::pg_catalog.oid = ANY (p.polroles)
        OR EXISTS (SELECT FROM pg_catalog.unnest(p.polroles) AS r(r)
                    WHERE pg_catalog.pg_has_role($2::name, r.r, 'USAGE')))
 GROUP BY p.polrelid, m.oid
 ORDER BY 1, 3
