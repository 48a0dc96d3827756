-- The tables verify_isolation probes for role $1 and tenant column $2:
-- those in $3 (oid[]), or (NULL) every table in scope with the column,
-- partitions excluded (their parent is probed) unless the role holds a
-- privilege on the partition itself: then it can query it directly, where
-- the partition's own RLS flags and policies apply. Owner, whether the role
-- has the owner's rights, flags, the OID, the column's type's OID (the
-- probes cast to its base type, see catalog::targets), and whether the
-- owner may use the schema (a role that may become the owner reaches the
-- table through it only then), and whether the role may TRUNCATE it: it
-- holds the privilege on the table (a partitioned table's partitions are
-- not asked, as PostgreSQL does not) and on every table whose foreign keys
-- reach it (TRUNCATE ... CASCADE asks for them; without CASCADE a
-- referencing table stops it), and whether the role reads some of its
-- columns but not the tenant column (it sees rows it cannot name the
-- tenant of), and the same for UPDATE (it changes rows the probes'
-- UPDATE ... SET tenant_column cannot reach), and for INSERT (its rows
-- take the tenant column's default: that default's text and tree).
-- Views and materialized views with the column are probed too (their
-- kind), when the role may use them or they are named: a view reads its
-- tables as its owner unless it is security_invoker, and a materialized
-- view has no row security at all. For a view, which of INSERT, UPDATE
-- and DELETE the role may run through it (the privilege, and PostgreSQL
-- would run it: auto-updatable, an INSTEAD OF trigger or an INSTEAD rule).
-- A table's enabled rules on INSERT, UPDATE or DELETE ('DELETE name'):
-- they rewrite the application's statements where the write probes'
-- shadow table does not. And whether the role may create a trigger on the
-- table (the TRIGGER privilege, its owner's included): the trigger's
-- function then runs in every session that writes the table.
-- A view's one table, when it reads one only (its OID: a view that shows
-- the caller nothing is probed with that table's tenants). And when
-- PostgreSQL writes through a view itself (auto-updatable: no
-- trigger, no rule other than its own) to that table, as the view's
-- owner (not security_invoker): whether a DELETE and an UPDATE through it
-- run (true: the owner holds the privilege on the table; false: PostgreSQL
-- refuses it, the owner holding none; NULL: not written this way, or the
-- owner may update some columns only), and when row security does not
-- apply to that owner on that table, why (disabled, superuser, bypassrls,
-- owner: the owner's rights on a table that is not forced). Such a write
-- then reaches exactly the rows a read through the view shows.
SELECT n.nspname::text, c.relname::text, pg_catalog.pg_get_userbyid(c.relowner)::text,
       pg_catalog.pg_has_role($1::name, c.relowner, 'USAGE'),
       c.relrowsecurity, c.relforcerowsecurity, c.oid, a.atttypid,
       pg_catalog.has_schema_privilege(c.relowner, n.oid, 'USAGE'),
       c.relkind IN ('r', 'p') AND {may_truncate_role},
       pg_catalog.has_any_column_privilege($1::name, c.oid, 'SELECT')
       AND NOT pg_catalog.has_column_privilege($1::name, c.oid, a.attnum, 'SELECT'),
       pg_catalog.has_any_column_privilege($1::name, c.oid, 'UPDATE')
       AND NOT pg_catalog.has_column_privilege($1::name, c.oid, a.attnum, 'UPDATE'),
       pg_catalog.has_any_column_privilege($1::name, c.oid, 'INSERT')
       AND NOT pg_catalog.has_column_privilege($1::name, c.oid, a.attnum, 'INSERT') AS defaulted,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid), d.adbin::pg_catalog.text,
       c.relkind::pg_catalog.text,
       u.events & 8 <> 0
       AND pg_catalog.has_any_column_privilege($1::name, c.oid, 'INSERT'),
       c.relkind = 'v' AND EXISTS (
           SELECT FROM pg_catalog.pg_attribute va
            WHERE va.attrelid = c.oid AND va.attnum > 0 AND NOT va.attisdropped
              AND pg_catalog.has_column_privilege($1::name, c.oid, va.attnum, 'UPDATE')
              AND pg_catalog.pg_column_is_updatable(c.oid, va.attnum, true)),
       u.events & 16 <> 0
       AND pg_catalog.has_table_privilege($1::name, c.oid, 'DELETE'),
       vb.nspname::text, vb.relname::text, vb.why, vb.oid,
       CASE WHEN vb.direct AND u.auto & 16 <> 0
            THEN pg_catalog.has_table_privilege(c.relowner, vb.oid, 'DELETE') END,
       CASE WHEN vb.direct AND u.auto & 4 <> 0
            THEN CASE WHEN pg_catalog.has_table_privilege(c.relowner, vb.oid, 'UPDATE') THEN true
                      WHEN NOT pg_catalog.has_any_column_privilege(c.relowner, vb.oid, 'UPDATE') THEN false END
       END,
       ARRAY(SELECT CASE r.ev_type WHEN '2' THEN 'UPDATE' WHEN '3' THEN 'INSERT' ELSE 'DELETE' END
                    || ' ' || r.rulename
               FROM pg_catalog.pg_rewrite r
              WHERE r.ev_class = c.oid AND c.relkind IN ('r', 'p') AND r.ev_type IN ('2', '3', '4')
                AND r.ev_enabled IN ('O', 'A')
              ORDER BY r.rulename),
       c.relkind IN ('r', 'p') AND pg_catalog.has_table_privilege($1::name, c.oid, 'TRIGGER'),
       c.relkind = 'v' AND pg_catalog.has_column_privilege($1::name, c.oid, a.attnum, 'UPDATE')
       AND pg_catalog.pg_column_is_updatable(c.oid, a.attnum, false),
       c.relkind = 'v' AND EXISTS (SELECT FROM pg_catalog.pg_options_to_table(c.reloptions) ro
                                    WHERE ro.option_name = 'check_option'),
       -- the view's table has a BEFORE UPDATE row trigger (it may change
       -- or refuse a row the UPDATE moves)
       EXISTS (SELECT FROM pg_catalog.pg_trigger g
                WHERE g.tgrelid = vb.oid AND NOT g.tgisinternal AND g.tgenabled <> 'D'
                  AND g.tgtype::pg_catalog.int4 & 19 = 19),
       -- a view that checks as its caller (security_invoker)
       c.relkind = 'v' AND EXISTS (SELECT FROM pg_catalog.pg_options_to_table(c.reloptions) ro
                                    WHERE ro.option_name = 'security_invoker'
                                      AND pg_catalog.lower(ro.option_value) IN ('true', 'on', 'yes', '1', 't', 'y'))
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a
    ON a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
  -- what PostgreSQL runs through a view (bits of pg_relation_is_updatable:
  -- 4 UPDATE, 8 INSERT, 16 DELETE), INSTEAD OF triggers and rules
  -- included, and by itself (auto-updatable); NULL for anything else
  LEFT JOIN LATERAL (
      SELECT pg_catalog.pg_relation_is_updatable(c.oid, true) AS events,
             pg_catalog.pg_relation_is_updatable(c.oid, false) AS auto
       WHERE c.relkind = 'v'
  ) u ON true
  LEFT JOIN LATERAL (
      SELECT b.oid, bn.nspname, b.relname, d.direct,
             CASE WHEN NOT d.direct THEN NULL
                  WHEN NOT b.relrowsecurity THEN 'disabled'
                  WHEN o.rolsuper THEN 'superuser'
                  WHEN o.rolbypassrls THEN 'bypassrls'
                  WHEN NOT b.relforcerowsecurity AND pg_catalog.pg_has_role(c.relowner, b.relowner, 'USAGE')
                  THEN 'owner' END AS why
        FROM (SELECT pg_catalog.array_agg(DISTINCT dp.refobjid) AS rels
                FROM pg_catalog.pg_rewrite w
                JOIN pg_catalog.pg_depend dp
                  ON dp.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND dp.objid = w.oid
                 AND dp.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dp.refobjid <> c.oid
               WHERE w.ev_class = c.oid AND w.rulename = '_RETURN') r
        JOIN pg_catalog.pg_class b ON b.oid = r.rels[1] AND pg_catalog.cardinality(r.rels) = 1
        JOIN pg_catalog.pg_namespace bn ON bn.oid = b.relnamespace
        JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
       CROSS JOIN LATERAL (
           SELECT c.relkind = 'v'
                  AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger g WHERE g.tgrelid = c.oid)
                  AND NOT EXISTS (SELECT FROM pg_catalog.pg_rewrite x
                                   WHERE x.ev_class = c.oid AND x.rulename <> '_RETURN')
                  AND NOT EXISTS (SELECT FROM pg_catalog.pg_options_to_table(c.reloptions) ro
                                   WHERE ro.option_name = 'security_invoker'
                                     AND pg_catalog.lower(ro.option_value) IN ('true', 'on', 'yes', '1', 't', 'y'))
                  AS direct) d
       WHERE c.relkind IN ('v', 'm') AND b.relkind IN ('r', 'p')
  ) vb ON true
 WHERE ({is_table} OR c.relkind IN ('v', 'm'))
   AND CASE WHEN $3::oid[] IS NULL
            THEN {in_scope}
                 AND (NOT c.relispartition
                      OR pg_catalog.has_table_privilege($1::name, c.oid, 'SELECT, INSERT, UPDATE, DELETE'))
                 AND ({is_table}
                      OR pg_catalog.has_any_column_privilege($1::name, c.oid, 'SELECT, INSERT, UPDATE')
                      OR pg_catalog.has_table_privilege($1::name, c.oid, 'DELETE'))
            ELSE c.oid = ANY ($3::oid[]) END
 ORDER BY n.nspname, c.relname
