-- The row type of relation $1 (oid) as schema and name, quoted (as
-- definers.sql gives argument types).
SELECT pg_catalog.format('%I.%I', n.nspname, ty.typname)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_type ty ON ty.oid = c.reltype
  JOIN pg_catalog.pg_namespace n ON n.oid = ty.typnamespace
 WHERE c.oid = $1::oid
