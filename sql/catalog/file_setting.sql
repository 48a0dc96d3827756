-- The server configuration file's value of setting $1 (placeholders such as
-- app.tenant_id are not listed in pg_settings). Only run when
-- may_read_file_settings.sql says so: pg_file_settings is readable by
-- superusers and pg_read_all_settings only.
SELECT f.setting, 'postgresql.conf' FROM pg_catalog.pg_file_settings f
 WHERE pg_catalog.lower(f.name) = pg_catalog.lower($1) AND f.applied
 ORDER BY f.seqno DESC LIMIT 1
