-- rls_audit demo: a DBA's release, modelled on the auto-shop tenant go-live
-- and the v1.7 promotion package (six DROP POLICY and a hand-written rollback).
\pset pager off
\pset null '∅'
\set ON_ERROR_STOP on

\echo
\echo '== 1. A multi-tenant schema: four tenant tables, ENABLE + FORCE, a NOBYPASSRLS app role'
-- roles are cluster-wide: clear the ones an earlier run left
DROP ROLE IF EXISTS app_user;
DROP ROLE IF EXISTS anon;
CREATE ROLE app_user NOLOGIN NOBYPASSRLS;
CREATE ROLE anon NOLOGIN;
CREATE SCHEMA shop;
GRANT USAGE ON SCHEMA shop TO app_user, anon;
CREATE TABLE shop.customers    (id serial PRIMARY KEY, tenant_id int NOT NULL, name text);
CREATE TABLE shop.vehicles     (id serial PRIMARY KEY, tenant_id int NOT NULL, customer_id int, vin text);
CREATE TABLE shop.appointments (id serial PRIMARY KEY, tenant_id int NOT NULL, vehicle_id int, starts_at timestamptz);
CREATE TABLE shop.services     (id serial PRIMARY KEY, tenant_id int NOT NULL, name text, price numeric);
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA shop TO app_user;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA shop TO app_user;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['customers', 'vehicles', 'appointments', 'services'] LOOP
        EXECUTE format('ALTER TABLE shop.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE shop.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON shop.%I FOR ALL TO app_user
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)$p$, t);
    END LOOP;
END $$;
INSERT INTO shop.customers (tenant_id, name) VALUES (1, 'Edgar''s first customer'), (2, 'Other shop');
INSERT INTO shop.services (tenant_id, name, price) VALUES (1, 'Oil change', 49), (2, 'Brakes', 180);

\echo
\echo '== 2. Install rls_audit and take the restore point before the release'
CREATE EXTENSION rls_audit;
SELECT rls_audit.snapshot('before-release', 'v1.7 security hardening: restore point');

\echo
\echo '== 3. A bad migration: a policy dropped, RLS switched off, an allow-all policy "for now"'
BEGIN;
DROP POLICY IF EXISTS tenant_isolation ON shop.appointments;
ALTER TABLE shop.vehicles DISABLE ROW LEVEL SECURITY;
CREATE POLICY "allow all for now" ON shop.services FOR SELECT TO PUBLIC USING (true);
COMMIT;
SELECT rls_audit.snapshot('after-migration', 'migration 006 applied');

\echo
\echo '== 4. The snapshot list: the fingerprints differ, so the posture changed'
SELECT id, label, taken_by, is_baseline, policies, tables, left(fingerprint, 16) AS fingerprint
  FROM rls_audit.snapshots ORDER BY id;

\echo
\echo '== 5. What changed, read straight from the two snapshots'
SELECT coalesce(b.table_name, a.table_name) AS table_name,
       coalesce(b.policy_name, a.policy_name) AS policy_name,
       CASE WHEN a.policy_name IS NULL THEN 'removed' ELSE 'added' END AS change,
       coalesce(b.roles, a.roles) AS roles, coalesce(b.using_expr, a.using_expr) AS using_expr
  FROM (SELECT * FROM rls_audit.snapshot_policies
         WHERE snapshot_id = (SELECT id FROM rls_audit.snapshots WHERE label = 'before-release')) b
  FULL JOIN (SELECT * FROM rls_audit.snapshot_policies
         WHERE snapshot_id = (SELECT id FROM rls_audit.snapshots WHERE label = 'after-migration')) a
    USING (schema_name, table_name, policy_name)
 WHERE a.policy_name IS NULL OR b.policy_name IS NULL
 ORDER BY 1, 2;
SELECT b.table_name, b.rls_enabled AS enabled_before, a.rls_enabled AS enabled_after,
       b.rls_forced AS forced_before, a.rls_forced AS forced_after
  FROM rls_audit.snapshot_tables b
  JOIN rls_audit.snapshot_tables a USING (schema_name, table_name)
 WHERE b.snapshot_id = (SELECT id FROM rls_audit.snapshots WHERE label = 'before-release')
   AND a.snapshot_id = (SELECT id FROM rls_audit.snapshots WHERE label = 'after-migration')
   AND (a.rls_enabled, a.rls_forced) IS DISTINCT FROM (b.rls_enabled, b.rls_forced);

\echo
\echo '== 6. The exact CREATE POLICY for a live policy (PostgreSQL has no pg_get_policydef)'
SELECT rls_audit.policy_ddl('shop.customers', 'tenant_isolation');
SELECT rls_audit.policy_ddl('shop.services', 'allow all for now');

\echo
\echo '== 7. Bad input gets a clear error and changes nothing'
\set ON_ERROR_STOP off
SELECT rls_audit.snapshot('before-release');
SELECT rls_audit.forget('before-release');
SELECT rls_audit.policy_ddl('shop.customers', 'no such policy');
\set ON_ERROR_STOP on
SELECT count(*) AS snapshots FROM rls_audit.snapshots;
