-- A relation's name as regclass prints it; NULL when no relation has OID $1.
SELECT (SELECT c.oid::pg_catalog.regclass::text FROM pg_catalog.pg_class c WHERE c.oid = $1)
