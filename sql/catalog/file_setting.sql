-- The server configuration file's values of the settings in $1 (text[],
-- lower case; placeholders such as app.tenant_id are not listed in
-- pg_settings): the applied line of each, its lower-case name first.
-- Only run when may_read_file_settings.sql says so: pg_file_settings is
-- readable by superusers and pg_read_all_settings only.
SELECT DISTINCT ON (pg_catalog.lower(f.name))
       pg_catalog.lower(f.name), f.setting, 'postgresql.conf'
  FROM pg_catalog.pg_file_settings f
 WHERE pg_catalog.lower(f.name) = ANY ($1) AND f.applied
 ORDER BY pg_catalog.lower(f.name), f.seqno DESC
