-- For the tables in $1 (oid[]): the other tables (ordinary or
-- partitioned) that their policies for role $2 read, in a sub-select of
-- USING or WITH CHECK. PostgreSQL records each relation a policy's
-- expressions read as a dependency of the policy. Per row: the table,
-- the first such policy (by name) that checks reads (SELECT or ALL), the
-- table read, and the names and commands (polcmd) of those that check
-- writes (INSERT, UPDATE, DELETE or ALL), by name; NULL for none. (Which
-- of them the role may write is writable.sql's.)
SELECT p.polrelid, pg_catalog.min(p.polname::text) FILTER (WHERE p.polcmd IN ('r', '*')), m.oid,
       pg_catalog.array_agg(p.polname::text ORDER BY p.polname) FILTER (WHERE p.polcmd IN ('a', 'w', 'd', '*')),
       pg_catalog.array_agg(p.polcmd::text ORDER BY p.polname) FILTER (WHERE p.polcmd IN ('a', 'w', 'd', '*'))
  FROM pg_catalog.pg_policy p
  JOIN LATERAL (SELECT DISTINCT d.refobjid FROM pg_catalog.pg_depend d
                 WHERE d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = p.oid
                   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                   AND d.refobjid <> p.polrelid) d ON true
  JOIN pg_catalog.pg_class m ON m.oid = d.refobjid AND m.relkind IN ('r', 'p')
 WHERE p.polrelid = ANY ($1::oid[])
   AND (0::pg_catalog.oid = ANY (p.polroles)
        OR EXISTS (SELECT FROM pg_catalog.unnest(p.polroles) AS r(r)
                    WHERE pg_catalog.pg_has_role($2::name, r.r, 'USAGE')))
 GROUP BY p.polrelid, m.oid
 ORDER BY 1, 3
