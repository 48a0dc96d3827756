-- A DBA's release session: awkward names, a snapshot, every policy dropped
-- and recreated from policy_ddl() under an empty search_path.
CREATE EXTENSION rls_audit;

CREATE ROLE "Role With Space" NOLOGIN;
CREATE ROLE app_user NOLOGIN;
CREATE SCHEMA "Intake Ω";
CREATE SCHEMA helpers;
CREATE FUNCTION helpers.current_tenant() RETURNS integer LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer $$;
CREATE TABLE "Intake Ω"."forms ""v2""" (id serial PRIMARY KEY, tenant_id integer NOT NULL,
                                         "Owner" name, "select" boolean);
CREATE TABLE "Intake Ω".customers (id serial PRIMARY KEY, tenant_id integer NOT NULL);
ALTER TABLE "Intake Ω"."forms ""v2""" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Intake Ω"."forms ""v2""" FORCE ROW LEVEL SECURITY;
ALTER TABLE "Intake Ω".customers ENABLE ROW LEVEL SECURITY;

CREATE POLICY "Tenant ""Read"" Ω" ON "Intake Ω"."forms ""v2"""
    FOR SELECT TO "Role With Space", app_user
    USING (tenant_id = helpers.current_tenant());
CREATE POLICY "order" ON "Intake Ω"."forms ""v2""" AS RESTRICTIVE
    FOR INSERT TO app_user
    WITH CHECK ("Owner" = CURRENT_USER AND tenant_id > 0);
CREATE POLICY everyone ON "Intake Ω"."forms ""v2""" FOR UPDATE
    USING ("select") WITH CHECK (tenant_id IN (SELECT c.tenant_id FROM "Intake Ω".customers c));
CREATE POLICY tenant_isolation ON "Intake Ω".customers FOR ALL TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer);
CREATE POLICY deleter ON "Intake Ω".customers FOR DELETE TO PUBLIC USING (false);

-- the restore point
SELECT rls_audit.snapshot('before-release', 'promotion package v1.7') AS id;
SELECT id, label, note, is_baseline, policies, tables, length(fingerprint) AS fp_len
  FROM rls_audit.snapshots;

-- what was captured, schema-qualified whatever the caller's search_path
SELECT schema_name, table_name, policy_name, permissive, command, roles, using_expr, check_expr
  FROM rls_audit.snapshot_policies ORDER BY table_name, policy_name;
SELECT schema_name, table_name, owner, rls_enabled, rls_forced
  FROM rls_audit.snapshot_tables WHERE schema_name = 'Intake Ω' ORDER BY table_name;
SELECT role_name, superuser, bypassrls, can_login
  FROM rls_audit.snapshot_roles WHERE role_name IN ('app_user', 'Role With Space') ORDER BY 1;

-- the same state gives the same fingerprint; a change gives another
SELECT rls_audit.snapshot('unchanged') AS id;
ALTER TABLE "Intake Ω".customers FORCE ROW LEVEL SECURITY;
SELECT rls_audit.snapshot('forced') AS id;
SELECT label, fingerprint = (SELECT fingerprint FROM rls_audit.snapshots WHERE label = 'before-release')
       AS same_as_restore_point
  FROM rls_audit.snapshots ORDER BY id;
ALTER TABLE "Intake Ω".customers NO FORCE ROW LEVEL SECURITY;

-- references: label, 'baseline', 'latest', id
SELECT rls_audit.set_baseline('latest') AS baseline;
SELECT rls_audit.set_baseline('1') AS baseline;
SELECT rls_audit.forget('unchanged');
SELECT id, label, is_baseline FROM rls_audit.snapshots ORDER BY id;

-- bad input: a clear error, the SPEC's SQLSTATE, nothing changed
\set VERBOSITY sqlstate
SELECT rls_audit.snapshot('before-release');
SELECT rls_audit.forget('baseline');
SELECT rls_audit.forget('no-such-snapshot');
SELECT rls_audit.set_baseline(NULL);
SELECT rls_audit.snapshot('');
SELECT rls_audit.policy_ddl('"Intake Ω".customers', 'no such policy');
SELECT rls_audit.policy_ddl('"Intake Ω".nope', 'deleter');
\set VERBOSITY default
SELECT rls_audit.forget('no-such-snapshot');
SELECT rls_audit.policy_ddl('"Intake Ω".customers', 'no such policy');
SELECT id, label, is_baseline FROM rls_audit.snapshots ORDER BY id;

-- policy_ddl for every policy, then drop them all and run the DDL with an
-- empty search_path: pg_policies must come back identical
CREATE TEMP TABLE saved_policies AS
    SELECT * FROM pg_policies WHERE schemaname = 'Intake Ω';
CREATE TEMP TABLE saved_ddl AS
    SELECT policyname, rls_audit.policy_ddl(format('%I.%I', schemaname, tablename)::regclass,
                                            policyname) AS ddl
      FROM pg_policies WHERE schemaname = 'Intake Ω';
SELECT ddl FROM saved_ddl ORDER BY policyname;
SELECT format('DROP POLICY %I ON %I.%I', policyname, schemaname, tablename)
  FROM pg_policies WHERE schemaname = 'Intake Ω' ORDER BY policyname \gexec
SELECT count(*) AS policies_left FROM pg_policies WHERE schemaname = 'Intake Ω';
SET search_path = '';
SELECT ddl FROM pg_temp.saved_ddl ORDER BY policyname \gexec
RESET search_path;
SELECT 'missing' AS side, * FROM (TABLE saved_policies EXCEPT
       SELECT * FROM pg_policies WHERE schemaname = 'Intake Ω') m
UNION ALL
SELECT 'extra', * FROM (SELECT * FROM pg_policies WHERE schemaname = 'Intake Ω'
       EXCEPT TABLE saved_policies) e;

-- and a snapshot of the recreated state has the restore point's fingerprint
SELECT rls_audit.snapshot('recreated') AS id;
SELECT fingerprint = (SELECT fingerprint FROM rls_audit.snapshots WHERE label = 'before-release')
       AS identical_to_restore_point
  FROM rls_audit.snapshots WHERE label = 'recreated';

-- assert_fingerprint() (restore_script()'s guard) agrees with snapshots:
-- the live state has the fingerprint of a snapshot taken just now, and
-- anything else stops with 55000 naming both
SELECT fingerprint AS fp FROM rls_audit.snapshots WHERE label = 'recreated' \gset
SELECT rls_audit.assert_fingerprint(:'fp')::text = '' AS passes;
\set VERBOSITY sqlstate
SELECT rls_audit.assert_fingerprint(repeat('0', 64));
SELECT rls_audit.assert_fingerprint(NULL);
\set VERBOSITY default
DO $$
BEGIN
    PERFORM rls_audit.assert_fingerprint(repeat('0', 64));
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RAISE NOTICE 'guard: %', regexp_replace(SQLERRM, '[0-9a-f]{64}, not', '<live>, not');
END $$;

-- A state larger than one read batch (1 000 rows) and one write chunk
-- (2 000 rows), with a role whose name needs quoting in an array literal:
-- what is stored is what the catalog says (pg_policies is the oracle)
CREATE ROLE "q""uo\te{,} Ω" NOLOGIN;
CREATE SCHEMA bulk;
CREATE TABLE bulk.t (tenant_id integer, v integer);
INSERT INTO bulk.t SELECT g % 3, g FROM generate_series(1, 30) g;
GRANT USAGE ON SCHEMA bulk TO app_user;
GRANT SELECT ON bulk.t TO app_user;
ALTER TABLE bulk.t ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_small ON bulk.t AS RESTRICTIVE FOR SELECT TO app_user USING (v <= 10);
DO $$
BEGIN
    FOR i IN 1..2100 LOOP
        EXECUTE format('CREATE POLICY p%s ON bulk.t FOR SELECT TO app_user, %I USING (tenant_id = %s)',
                       i, 'q"uo\te{,} Ω', i % 3);
    END LOOP;
END $$;
SELECT rls_audit.snapshot('bulk') AS bulk_id \gset
SELECT count(*) AS stored,
       count(*) FILTER (WHERE 'q"uo\te{,} Ω' = ANY (roles)) AS with_the_quoted_role
  FROM rls_audit.snapshot_policies WHERE snapshot_id = :bulk_id AND schema_name = 'bulk';
WITH stored AS (
    SELECT schema_name::text, table_name::text, policy_name::text, command, using_expr,
           (SELECT array_agg(r::text ORDER BY r::text) FROM unnest(roles) r) AS roles
      FROM rls_audit.snapshot_policies WHERE snapshot_id = :bulk_id
), live AS (
    SELECT schemaname::text, tablename::text, policyname::text, cmd, qual,
           (SELECT array_agg(r::text ORDER BY r::text) FROM unnest(roles) r)
      FROM pg_policies WHERE schemaname <> 'rls_audit'
)
SELECT (SELECT count(*) FROM (TABLE stored EXCEPT TABLE live) a) AS only_stored,
       (SELECT count(*) FROM (TABLE live EXCEPT TABLE stored) b) AS only_live;
-- read back in batches, the snapshot is the live state: same fingerprint, no drift
SELECT count(*) AS drift_rows FROM rls_audit.drift('bulk');
SELECT rls_audit.snapshot() AS again_id \gset
SELECT count(DISTINCT fingerprint) AS fingerprints FROM rls_audit.snapshots
 WHERE id IN (:bulk_id, :again_id);
-- the tables whose policies were deparsed had their cache entries released:
-- row-level security still applies to them exactly (10 rows pass only_small)
SET ROLE app_user;
SELECT count(*) AS visible FROM bulk.t;
RESET ROLE;
DROP SCHEMA bulk CASCADE;
DROP ROLE "q""uo\te{,} Ω";

DROP SCHEMA "Intake Ω" CASCADE;
DROP SCHEMA helpers CASCADE;
DROP ROLE "Role With Space";
DROP ROLE app_user;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
