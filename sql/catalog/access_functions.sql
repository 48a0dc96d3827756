-- Access model: SECURITY DEFINER functions in scope with their owner, the
-- roles (0 = PUBLIC) that may EXECUTE them, the relations PostgreSQL
-- records that they read (SQL functions with a BEGIN ATOMIC body), and the
-- body of the others with its language (read for table names: PostgreSQL
-- records nothing for a string body); then the BEGIN ATOMIC body's trees
-- (read in Rust for what its statements write), whether it is a trigger or
-- event trigger function (which cannot be called, only fired), its OID
-- (what access_triggers.sql names it by), and whether it is a procedure
-- (CALLed, with the same rights).
SELECT n.nspname::text, p.proname::text, pg_catalog.oidvectortypes(p.proargtypes),
       p.proowner::pg_catalog.int8,
       ARRAY(SELECT a.grantee::pg_catalog.int8
               FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
              WHERE a.privilege_type = 'EXECUTE'),
       ARRAY(SELECT DISTINCT d.refobjid::pg_catalog.int8 FROM pg_catalog.pg_depend d
              WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
                AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass),
       CASE WHEN l.lanname IN ('c', 'internal') THEN NULL ELSE p.prosrc END,
       p.prosqlbody,
       p.prorettype IN ('pg_catalog.trigger'::pg_catalog.regtype, 'pg_catalog.event_trigger'::pg_catalog.regtype),
       p.oid::pg_catalog.int8,
       p.prokind = 'p'
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE p.prosecdef AND p.prokind IN ('f', 'p') AND {in_scope}
