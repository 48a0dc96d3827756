-- For the tables in $1 (oid[]): the other tables (ordinary or
-- partitioned) that their policies for role $2 that check reads (SELECT
-- or ALL) read, in a sub-select of USING, and that the role may write:
-- INSERT or UPDATE (of some column), DELETE or TRUNCATE, with USAGE on
-- their schema. PostgreSQL records each relation a policy's expressions
-- read as a dependency of the policy. Per row: the table, the first such
-- policy (by name), the table read (quoted, schema-qualified) and its
-- OID, the kinds of write the role may run there ('insert', 'update',
-- 'delete', 'truncate'), and its columns with a default and their
-- default's stored tree (a volatile one is never run by the probe).
SELECT p.polrelid, pg_catalog.min(p.polname::text),
       pg_catalog.format('%I.%I', n.nspname, m.relname), m.oid,
       ARRAY(SELECT k.k FROM (VALUES (1, 'insert'), (2, 'update'), (3, 'delete'), (4, 'truncate')) k(o, k)
              WHERE k.k = 'insert' AND pg_catalog.has_any_column_privilege($2::name, m.oid, 'INSERT')
                 OR k.k = 'update' AND pg_catalog.has_any_column_privilege($2::name, m.oid, 'UPDATE')
                 OR k.k = 'delete' AND pg_catalog.has_table_privilege($2::name, m.oid, 'DELETE')
                 OR k.k = 'truncate' AND pg_catalog.has_table_privilege($2::name, m.oid, 'TRUNCATE')
              ORDER BY k.o),
       ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attrdef ad
               JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
              WHERE ad.adrelid = m.oid AND a.attgenerated = '' ORDER BY a.attnum),
       ARRAY(SELECT ad.adbin::pg_catalog.text FROM pg_catalog.pg_attrdef ad
               JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
              WHERE ad.adrelid = m.oid AND a.attgenerated = '' ORDER BY a.attnum)
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_depend d
    ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND d.objid = p.oid
   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> p.polrelid
  JOIN pg_catalog.pg_class m ON m.oid = d.refobjid AND m.relkind IN ('r', 'p')
  JOIN pg_catalog.pg_namespace n ON n.oid = m.relnamespace
 WHERE p.polrelid = ANY ($1::oid[]) AND p.polcmd IN ('r', '*')
   AND (0::pg_catalog.oid = ANY (p.polroles)
        OR EXISTS (SELECT FROM pg_catalog.unnest(p.polroles) AS r(r)
                    WHERE pg_catalog.pg_has_role($2::name, r.r, 'USAGE')))
   AND pg_catalog.has_schema_privilege($2::name, n.oid, 'USAGE')
   AND (pg_catalog.has_any_column_privilege($2::name, m.oid, 'INSERT')
        OR pg_catalog.has_any_column_privilege($2::name, m.oid, 'UPDATE')
        OR pg_catalog.has_table_privilege($2::name, m.oid, 'DELETE')
        OR pg_catalog.has_table_privilege($2::name, m.oid, 'TRUNCATE'))
 GROUP BY p.polrelid, n.nspname, m.relname, m.oid
 ORDER BY 1, 3
