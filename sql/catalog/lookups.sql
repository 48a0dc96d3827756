-- For the tables in $1 (oid[]): the other tables (ordinary or
-- partitioned) that their policies for role $2 that check reads (SELECT
-- or ALL) read, in a sub-select of USING. PostgreSQL records each
-- relation a policy's expressions read as a dependency of the policy.
-- Per row: the table, the first such policy (by name), and the table
-- read. (Which of them the role may write is writable.sql's.)
SELECT p.polrelid, pg_catalog.min(p.polname::text), m.oid
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_depend d
    ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = p.oid
   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> p.polrelid
  JOIN pg_catalog.pg_class m ON m.oid = d.refobjid AND m.relkind IN ('r', 'p')
 WHERE p.polrelid = ANY ($1::oid[]) AND p.polcmd IN ('r', '*')
   AND (0::pg_catalog.oid = ANY (p.polroles)
        OR EXISTS (SELECT FROM pg_catalog.unnest(p.polroles) AS r(r)
                    WHERE pg_catalog.pg_has_role($2::name, r.r, 'USAGE')))
 GROUP BY p.polrelid, m.oid
 ORDER BY 1, 3
