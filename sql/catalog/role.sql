-- Role $1's RLS-relevant attributes.
SELECT r.rolsuper, r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname = $1
