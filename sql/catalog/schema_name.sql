-- A schema's name; NULL when no schema has OID $1.
SELECT (SELECT nspname::text FROM pg_catalog.pg_namespace WHERE oid = $1)
