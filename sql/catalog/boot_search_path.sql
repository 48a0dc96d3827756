-- The search_path a fresh session starts with when nothing else sets one:
-- the server's boot value (compiled in, so read once per backend).
SELECT boot_val FROM pg_catalog.pg_settings WHERE name = 'search_path'
