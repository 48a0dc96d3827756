-- Is $1 a setting PostgreSQL knows?
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = pg_catalog.lower($1))
