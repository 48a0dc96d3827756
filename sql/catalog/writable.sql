-- The tables (ordinary or partitioned) outside the system schemas that
-- role $1 may write: INSERT or UPDATE (of some column), DELETE or
-- TRUNCATE, with USAGE on their schema. Per row: the table, quoted and
-- schema-qualified, its OID, the kinds of write ('insert', 'update',
-- 'delete', 'truncate'), and its columns with a default and their
-- default's stored tree, as lookups.sql gives them.
SELECT pg_catalog.format('%I.%I', n.nspname, m.relname), m.oid,
       ARRAY(SELECT k.k FROM (VALUES (1, 'insert'), (2, 'update'), (3, 'delete'), (4, 'truncate')) k(o, k)
              WHERE k.k = 'insert' AND pg_catalog.has_any_column_privilege($1::name, m.oid, 'INSERT')
                 OR k.k = 'update' AND pg_catalog.has_any_column_privilege($1::name, m.oid, 'UPDATE')
                 OR k.k = 'delete' AND pg_catalog.has_table_privilege($1::name, m.oid, 'DELETE')
                 OR k.k = 'truncate' AND pg_catalog.has_table_privilege($1::name, m.oid, 'TRUNCATE')
              ORDER BY k.o),
       ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attrdef ad
               JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
              WHERE ad.adrelid = m.oid AND a.attgenerated = '' ORDER BY a.attnum),
       ARRAY(SELECT ad.adbin::pg_catalog.text FROM pg_catalog.pg_attrdef ad
               JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
              WHERE ad.adrelid = m.oid AND a.attgenerated = '' ORDER BY a.attnum)
  FROM pg_catalog.pg_class m
  JOIN pg_catalog.pg_namespace n ON n.oid = m.relnamespace
 WHERE m.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'rls_audit')
   AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
   AND pg_catalog.has_schema_privilege($1::name, n.oid, 'USAGE')
   AND (pg_catalog.has_any_column_privilege($1::name, m.oid, 'INSERT')
        OR pg_catalog.has_any_column_privilege($1::name, m.oid, 'UPDATE')
        OR pg_catalog.has_table_privilege($1::name, m.oid, 'DELETE')
        OR pg_catalog.has_table_privilege($1::name, m.oid, 'TRUNCATE'))
 ORDER BY 2
