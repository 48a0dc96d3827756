-- Role $1's RLS-relevant attributes and the search_path a fresh session
-- of it starts with when nothing else sets one (the server's boot value).
SELECT r.rolsuper, r.rolbypassrls,
       (SELECT boot_val FROM pg_catalog.pg_settings WHERE name = 'search_path')
  FROM pg_catalog.pg_roles r WHERE r.rolname = $1
