-- A table named by verify_isolation(tables => ...): its relkind (NULL: no
-- relation has OID $1), its name, and whether it has column $2.
SELECT (SELECT c.relkind::text FROM pg_catalog.pg_class c WHERE c.oid = $1),
       (SELECT $1::pg_catalog.regclass::text),
       EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = $1 AND a.attname = $2
                  AND a.attnum > 0 AND NOT a.attisdropped)
