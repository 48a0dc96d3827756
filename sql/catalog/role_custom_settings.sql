-- The custom settings (placeholders such as app.support, which neither
-- PostgreSQL nor a loaded extension registers) that ALTER ROLE ... SET or
-- ALTER ROLE ... IN DATABASE ... SET give a fresh login of role $1 in this
-- database, lower case. A policy may read any of them; the caller's session
-- does not hold them, so the probes set them (values: fresh_login_setting.sql).
SELECT DISTINCT n.name
  FROM pg_catalog.pg_db_role_setting s
 CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS x(x)
 CROSS JOIN LATERAL (SELECT pg_catalog.lower(pg_catalog.split_part(x.x, '=', 1)) AS name) n
 WHERE s.setrole = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = $1)
   AND s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d
                              WHERE d.datname = pg_catalog.current_database()))
   AND pg_catalog.strpos(n.name, '.') > 0
   AND NOT EXISTS (SELECT FROM pg_catalog.pg_settings g WHERE g.name = n.name)
 ORDER BY n.name
