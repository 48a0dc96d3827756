-- Lint: the login roles (not PostgreSQL's own pg_* roles), as the state's
-- Role columns: name, superuser, bypassrls, can_login.
SELECT rolname::text, rolsuper, rolbypassrls, rolcanlogin
  FROM pg_catalog.pg_roles WHERE rolcanlogin AND rolname !~ '^pg_'
