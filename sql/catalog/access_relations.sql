-- Access model: every table, partition, view and materialized view in
-- scope. Columns: OID, schema, name, relkind, owner OID, RLS enabled,
-- forced, security_invoker (views), parent OID (partitions), the commands a
-- view accepts automatically (pg_relation_is_updatable's bits: 4 UPDATE,
-- 8 INSERT, 16 DELETE), the table privileges ("grantee privilege", 0 =
-- PUBLIC, the owner's implicit ones included), the column privileges in the
-- same form, and the relations a view or materialized view reads.
SELECT c.oid::pg_catalog.int8, n.nspname::text, c.relname::text, c.relkind::text,
       c.relowner::pg_catalog.int8, c.relrowsecurity, c.relforcerowsecurity,
       coalesce(c.relkind = 'v' AND EXISTS (
           SELECT 1 FROM pg_catalog.unnest(c.reloptions) o
            WHERE o OPERATOR(pg_catalog.~*) '^security_invoker=(t|tr|tru|true|y|ye|yes|on|1)$'), false),
       (SELECT i.inhparent::pg_catalog.int8 FROM pg_catalog.pg_inherits i
         WHERE i.inhrelid = c.oid AND c.relispartition),
       CASE WHEN c.relkind = 'v' THEN pg_catalog.pg_relation_is_updatable(c.oid, false) END,
       ARRAY(SELECT a.grantee::text || ' ' || a.privilege_type
               FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
              WHERE a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')),
       ARRAY(SELECT DISTINCT a.grantee::text || ' ' || a.privilege_type
               FROM pg_catalog.pg_attribute t, pg_catalog.aclexplode(t.attacl) a
              WHERE t.attrelid = c.oid AND t.attnum > 0 AND NOT t.attisdropped
                AND t.attacl IS NOT NULL
                AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE')),
       ARRAY(SELECT DISTINCT d.refobjid::pg_catalog.int8
               FROM pg_catalog.pg_rewrite w
               JOIN pg_catalog.pg_depend d
                 ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = w.oid
                AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
              WHERE w.ev_class = c.oid AND d.refobjid <> c.oid)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {in_scope}
