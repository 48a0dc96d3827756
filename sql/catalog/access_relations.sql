-- Access model: every table, partition, view and materialized view in
-- scope. Columns: OID, schema, name, relkind, owner OID, RLS enabled,
-- forced, security_invoker (views), parent OID (partitions), the commands a
-- view accepts automatically (pg_relation_is_updatable's bits: 4 UPDATE,
-- 8 INSERT, 16 DELETE), the table privileges ("grantee privilege", 0 =
-- PUBLIC, the owner's implicit ones included; TRUNCATE too, which row
-- security does not apply to), the column privileges in the
-- same form, and the relations a view or materialized view reads (or a
-- table's rules write). Column privileges and rules are gathered in one
-- pass each and joined: as sub-selects per relation they were 40 % of this
-- read on 10 000 tables, where a handful of relations has either.
WITH col_grants AS (
    -- the few columns that carry privileges of their own, in one pass
    SELECT t.attrelid,
           pg_catalog.array_agg(DISTINCT a.grantee::text || ' ' || a.privilege_type) AS grants
      FROM pg_catalog.pg_attribute t, pg_catalog.aclexplode(t.attacl) a
     WHERE t.attacl IS NOT NULL AND t.attnum > 0 AND NOT t.attisdropped
       AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE')
     GROUP BY t.attrelid
), rule_reads AS (
    -- what each relation's rules read (a view's or materialized view's
    -- query, a table's DO ALSO / INSTEAD rules), in one pass
    SELECT w.ev_class, pg_catalog.array_agg(DISTINCT d.refobjid::pg_catalog.int8) AS reads
      FROM pg_catalog.pg_rewrite w
      JOIN pg_catalog.pg_depend d
        ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = w.oid
       AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
     WHERE d.refobjid <> w.ev_class
     GROUP BY w.ev_class
)
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
              WHERE a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
       coalesce(col_grants.grants, '{}'),
       coalesce(rule_reads.reads, '{}')
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN col_grants ON col_grants.attrelid = c.oid
  LEFT JOIN rule_reads ON rule_reads.ev_class = c.oid
 WHERE c.relkind IN ('r', 'p', 'v', 'm') AND {in_scope}
