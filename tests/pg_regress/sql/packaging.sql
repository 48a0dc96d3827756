-- What CREATE EXTENSION sets up, who may touch it, and what DROP EXTENSION leaves.
CREATE EXTENSION rls_audit;

-- every member object, as \dx+ rls_audit lists it (PostgreSQL 17+ also
-- lists each table's row type as a member: those come with their tables)
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'rls_audit')
   AND classid <> 'pg_type'::regclass
 ORDER BY 1;

SELECT extname, extnamespace::regnamespace AS schema, extrelocatable
  FROM pg_extension WHERE extname = 'rls_audit';

-- every function is documented for \df+
SELECT p.oid::regprocedure AS function, obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p WHERE p.pronamespace = 'rls_audit'::regnamespace ORDER BY p.oid::regprocedure::text;

-- writers are SECURITY DEFINER with a pinned search_path
SELECT p.oid::regprocedure AS function, p.prosecdef AS security_definer, p.proconfig
  FROM pg_proc p WHERE p.pronamespace = 'rls_audit'::regnamespace ORDER BY p.oid::regprocedure::text;

-- history is registered for pg_dump, sequence included
SELECT c::regclass AS dumped
  FROM pg_extension, unnest(extconfig) AS c WHERE extname = 'rls_audit' ORDER BY c::regclass::text;

-- PUBLIC has no rights on history and cannot call the writers
CREATE ROLE rls_regress_nobody NOLOGIN;
SET ROLE rls_regress_nobody;
SELECT * FROM rls_audit.snapshots;
SELECT rls_audit.snapshot('sneaky');
DELETE FROM rls_audit.snapshot_meta;
RESET ROLE;
SELECT count(*) AS snapshots FROM rls_audit.snapshots;

-- a DBA can delegate snapshots without opening the tables
GRANT USAGE ON SCHEMA rls_audit TO rls_regress_nobody;
GRANT EXECUTE ON FUNCTION rls_audit.snapshot(text, text, boolean) TO rls_regress_nobody;
SET ROLE rls_regress_nobody;
SELECT rls_audit.snapshot('delegated') AS id;
INSERT INTO rls_audit.snapshot_meta (fingerprint, policy_count, table_count, role_count)
VALUES (repeat('0', 64), 0, 0, 0);
RESET ROLE;
SELECT label, taken_by, is_baseline FROM rls_audit.snapshots;

-- DROP EXTENSION removes every object; only the empty schema that the
-- control file made remains, and it drops without CASCADE
DROP EXTENSION rls_audit;
SELECT count(*) AS objects_left
  FROM pg_class WHERE relnamespace = 'rls_audit'::regnamespace;
SELECT count(*) AS functions_left
  FROM pg_proc WHERE pronamespace = 'rls_audit'::regnamespace;
DROP SCHEMA rls_audit;
DROP OWNED BY rls_regress_nobody;
DROP ROLE rls_regress_nobody;
