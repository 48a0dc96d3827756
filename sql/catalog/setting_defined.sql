-- Has this session defined setting $1 (a custom setting, once defined,
-- cannot be undefined: unset then reads as '')?
SELECT pg_catalog.current_setting($1, true) IS NOT NULL
