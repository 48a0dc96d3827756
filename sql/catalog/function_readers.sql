-- For the tables in $1 (oid[]): the first policy (by name) for role $2
-- that checks reads (SELECT or ALL), and the first that checks writes
-- (INSERT, UPDATE, DELETE or ALL), that calls a function that is not
-- built in (directly or as an operator's implementation); NULL for none.
-- What such a function reads no catalog records: verify_isolation
-- watches which tables a read, or the write probes, as the role scan
-- (scans.sql).
SELECT p.polrelid, pg_catalog.min(p.polname::text) FILTER (WHERE p.polcmd IN ('r', '*')),
       pg_catalog.min(p.polname::text) FILTER (WHERE p.polcmd IN ('a', 'w', 'd', '*'))
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_depend d
    ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = p.oid
  LEFT JOIN pg_catalog.pg_operator o
    ON d.refclassid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid = d.refobjid
 WHERE p.polrelid = ANY ($1::oid[])
   AND (d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.refobjid >= 16384
        OR o.oprcode::pg_catalog.oid >= 16384)
   AND (0::pg_catalog.oid = ANY (p.polroles)
        OR EXISTS (SELECT FROM pg_catalog.unnest(p.polroles) AS r(r)
                    WHERE pg_catalog.pg_has_role($2::name, r.r, 'USAGE')))
 GROUP BY p.polrelid
 ORDER BY 1
