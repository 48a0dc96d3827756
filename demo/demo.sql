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
INSERT INTO shop.vehicles (tenant_id, customer_id, vin) VALUES (1, 1, '1HGCM82633A004352'), (2, 2, 'JH4KA7561PC008269');
INSERT INTO shop.appointments (tenant_id, vehicle_id, starts_at) VALUES (1, 1, now()), (2, 2, now());

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

\echo 'Every change was captured as it happened, by whom, with the full definition:'
SELECT id, command_tag, change, table_name, policy_name, current_user_name,
       before ->> 'using_expr' AS dropped_using
  FROM rls_audit.events ORDER BY id;

\echo
\echo '== 4. The snapshot list: the fingerprints differ, so the posture changed'
SELECT id, label, taken_by, is_baseline, policies, tables, left(fingerprint, 16) AS fingerprint
  FROM rls_audit.snapshots ORDER BY id;

\echo
\echo '== 5. What changed since the restore point, most severe first'
SELECT severity, change, table_name, policy_name, attribute, detail
  FROM rls_audit.drift('before-release');

\echo 'The same problems as lint findings, high and above:'
SELECT lint, severity, object_name, remediation FROM rls_audit.lint(ARRAY['shop'])
 WHERE severity IN ('critical', 'high');

\echo
\echo '== 6. The migration gate a CI job runs: fail on anything high or worse'
\set ON_ERROR_STOP off
SELECT rls_audit.assert_no_drift('before-release', 'high');
\set ON_ERROR_STOP on

\echo
\echo '== 7. The nightly pg_cron job records a run (and NOTIFYs rls_audit)'
SELECT rls_audit.check_drift('before-release') AS run_id;
SELECT id, baseline_id, critical, high, medium, low, info FROM rls_audit.drift_runs;

\echo
\echo '== 8. The rollback script, written from the snapshot (no more recreating policies from memory)'
SELECT rls_audit.restore_script('before-release') AS script \gset
\echo :script

\echo
\echo '== 9. Restore, and drift is empty again'
SELECT rls_audit.restore('before-release') AS statements_run;
SELECT count(*) AS drift_rows FROM rls_audit.drift('before-release');

\echo 'The restore is in the log too, and the hash chain verifies:'
SELECT id, command_tag, change, table_name, policy_name FROM rls_audit.events WHERE id > 3 ORDER BY id;
SELECT count(*) AS broken_links FROM rls_audit.verify_log();
\echo 'A release freeze: RLS changes need a ticket'
SELECT rls_audit.freeze('v1.7 release window');
\set ON_ERROR_STOP off
CREATE POLICY "quick fix" ON shop.customers FOR SELECT TO anon USING (true);
\set ON_ERROR_STOP on
SELECT rls_audit.unfreeze();

\echo
\echo '== 10. The exact CREATE POLICY for a live policy (PostgreSQL has no pg_get_policydef)'
SELECT rls_audit.policy_ddl('shop.customers', 'tenant_isolation');

\echo
\echo '== 11. The go-live isolation proof, on live data (every probe rolled back): anything not PASS?'
SELECT status, count(*) FROM rls_audit.verify_isolation('app_user', 'app.tenant_id') GROUP BY status;
SELECT check_name, table_name, tenant, status, detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id') WHERE status <> 'PASS';
\echo 'A support engineer adds a "temporary" read-all policy:'
CREATE POLICY "support can read all" ON shop.customers FOR SELECT TO app_user USING (true);
SELECT check_name, table_name, tenant, status, rows_seen, detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id') WHERE status <> 'PASS';
DROP POLICY "support can read all" ON shop.customers;
\echo 'The promotion checklist line "anon SELECT is denied":'
SELECT * FROM rls_audit.probe('anon', 'shop.customers');
SELECT * FROM rls_audit.probe('app_user', 'shop.customers', '{"app.tenant_id": "1"}');

\echo
\echo '== 12. Lint the posture: what a reviewer would flag, with the fix to run'
SELECT lint, severity, schema_name, object_name, remediation FROM rls_audit.lint(ARRAY['shop']);
\echo 'Reviewed and accepted: the per-row current_setting() calls stay for now'
INSERT INTO rls_audit.lint_ignore (lint, object, reason)
SELECT lint, 'shop.' || object_name, 'accepted for v1.7; wrap in (SELECT ...) in v1.8 (CHG-1234)'
  FROM rls_audit.lint(ARRAY['shop']) WHERE lint = 'policy_per_row_function';
SELECT lint, severity, object_name FROM rls_audit.lint(ARRAY['shop']);
SELECT lint, object_name, reason, added_by FROM rls_audit.lint_suppressed(ARRAY['shop']);

\echo
\echo '== 12b. Who reaches which rows, by which path: the access matrix for the app role'
SELECT role_name, table_name, command, access, via, detail
  FROM rls_audit.access_matrix(ARRAY['app_user'], ARRAY['shop'])
 WHERE command IN ('SELECT', 'DELETE');
\echo 'Someone grants app_user a reporting role that has BYPASSRLS: one statement opens every tenant'
DROP ROLE IF EXISTS reporting;
CREATE ROLE reporting NOLOGIN BYPASSRLS;
GRANT USAGE ON SCHEMA shop TO reporting;
GRANT SELECT ON shop.customers TO reporting;
GRANT reporting TO app_user;
SELECT severity, change, table_name, attribute, baseline_value, current_value, detail
  FROM rls_audit.drift('before-release') WHERE change LIKE 'access%';
\echo 'rls_audit is preloaded here, so each of those statements is already an event, with who ran it:'
SELECT id, command_tag, change, coalesce(after ->> 'member', after ->> 'grantee', after ->> 'role_name') AS who_gained,
       coalesce(table_name::text, after ->> 'role_name') AS what, statement
  FROM rls_audit.events WHERE change IN ('role_added', 'grant_added', 'membership_added') ORDER BY id;
REVOKE reporting FROM app_user;
REVOKE SELECT ON shop.customers FROM reporting;
REVOKE USAGE ON SCHEMA shop FROM reporting;
DROP ROLE reporting;

\echo
\echo '== 13. Bad input gets a clear error and changes nothing'
\set ON_ERROR_STOP off
SELECT rls_audit.snapshot('before-release');
SELECT rls_audit.forget('before-release');
SELECT rls_audit.policy_ddl('shop.customers', 'no such policy');
SELECT rls_audit.assert_no_drift('before-release', 'severe');
\set ON_ERROR_STOP on
SELECT count(*) AS snapshots FROM rls_audit.snapshots;

\echo
\echo '== 13b. The chain anchored outside the database: keep the head; each committed event is also a line in the server log'
SELECT id AS head_id, hash AS head_hash FROM rls_audit.log_head() \gset
SELECT :'head_id' || ':' || :'head_hash' AS head_to_keep_in_the_release_ticket;
SELECT count(*) AS problems FROM rls_audit.verify_log(:'head_id' || ':' || :'head_hash');

\echo
\echo '== 14. The release checklist, filled in from the live database (markdown; format => ''json'' for machines)'
\echo '   (section C lists every table app_user reaches in full, with the path)'
SELECT rls_audit.report('before-release', roles => ARRAY['app_user']) AS report \gset
\echo :report
