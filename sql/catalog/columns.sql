-- The columns of relation $1 (oid), in order: name, and type as schema
-- and name, quoted (as definers.sql gives argument types, so the
-- two compare).
SELECT a.attname::text, pg_catalog.format('%I.%I', tn.nspname, ty.typname)
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace
 WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum
