-- What a fresh login of role $1 in this database gets for setting $2, and
-- from where: ALTER ROLE ... IN DATABASE ... SET, then ALTER ROLE ... SET,
-- then ALTER DATABASE ... SET (PostgreSQL's own order). No row: no default.
SELECT v.value, v.source FROM (
    SELECT s.setdatabase <> 0 AND s.setrole <> 0 AS in_db, s.setrole <> 0 AS for_role,
           pg_catalog.substr(x.x, pg_catalog.strpos(x.x, '=') + 1) AS value,
           CASE WHEN s.setrole <> 0 AND s.setdatabase <> 0 THEN 'ALTER ROLE ... IN DATABASE ... SET'
                WHEN s.setrole <> 0 THEN 'ALTER ROLE ... SET'
                ELSE 'ALTER DATABASE ... SET' END AS source
      FROM pg_catalog.pg_db_role_setting s
      CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS x(x)
     WHERE s.setrole IN (0, (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = $1))
       AND s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d
                                  WHERE d.datname = pg_catalog.current_database()))
       AND NOT (s.setrole = 0 AND s.setdatabase = 0)
       AND pg_catalog.lower(pg_catalog.split_part(x.x, '=', 1)) = pg_catalog.lower($2)) v
 ORDER BY v.in_db DESC, v.for_role DESC LIMIT 1
