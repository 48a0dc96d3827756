-- The v1.7 promotion package: six DROP POLICY IF EXISTS for the anon role,
-- and the rollback that recreates them with the exact USING / WITH CHECK.
CREATE EXTENSION rls_audit;
CREATE ROLE anon NOLOGIN;
CREATE ROLE authenticated NOLOGIN;
CREATE SCHEMA ims;
CREATE FUNCTION ims.is_admin() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT false $$;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['cases', 'case_notes', 'documents', 'intake_forms', 'contacts', 'settings'] LOOP
        EXECUTE format('CREATE TABLE ims.%I (id serial PRIMARY KEY, owner_id int, public boolean)', t);
        EXECUTE format('ALTER TABLE ims.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON ims.%I FOR SELECT TO anon USING (public OR ims.is_admin())',
                       'Anon can read ' || t, t);
        EXECUTE format('CREATE POLICY owner_all ON ims.%I FOR ALL TO authenticated
                            USING (owner_id = 1) WITH CHECK (owner_id = 1)', t);
    END LOOP;
END $$;
SELECT rls_audit.snapshot('staging-restore-point', 'before PROD_SECURITY_HARDENING_ANON_RLS') AS id;

-- PROD_SECURITY_HARDENING_ANON_RLS.sql
BEGIN;
DROP POLICY IF EXISTS "Anon can read cases" ON ims.cases;
DROP POLICY IF EXISTS "Anon can read case_notes" ON ims.case_notes;
DROP POLICY IF EXISTS "Anon can read documents" ON ims.documents;
DROP POLICY IF EXISTS "Anon can read intake_forms" ON ims.intake_forms;
DROP POLICY IF EXISTS "Anon can read contacts" ON ims.contacts;
DROP POLICY IF EXISTS "Anon can read settings" ON ims.settings;
COMMIT;

-- the drift: six narrowing removals, each carrying the CREATE POLICY to undo it
SELECT severity, change, table_name, policy_name, baseline_value
  FROM rls_audit.drift('staging-restore-point');
SELECT rls_audit.assert_no_drift('staging-restore-point', 'high');
\set VERBOSITY sqlstate
SELECT rls_audit.assert_no_drift('staging-restore-point', 'medium');
SELECT rls_audit.assert_no_drift('staging-restore-point', 'urgent');
SELECT rls_audit.drift('no-such-snapshot');
\set VERBOSITY default
SELECT rls_audit.assert_no_drift('staging-restore-point');

-- the production rollback script, written by rls_audit (the header's time varies)
SELECT regexp_replace(rls_audit.restore_script('staging-restore-point'),
                      '(generated at: )\S+|(fingerprint:  |assert_fingerprint\('')[0-9a-f]{64}', '\1\2<varies>', 'g') AS script;

-- and a hardening that is kept: the new state becomes the baseline
SELECT rls_audit.snapshot('prod-hardened', baseline => true) AS id;
SELECT count(*) AS drift_rows FROM rls_audit.drift();

-- rolling back to the restore point, then checking the rollback worked
SELECT rls_audit.restore('staging-restore-point') AS statements_run;
SELECT count(*) AS drift_rows FROM rls_audit.drift('staging-restore-point');
SELECT count(*) AS anon_policies FROM pg_policies WHERE 'anon' = ANY (roles);
-- a second restore has nothing left to do
SELECT rls_audit.restore('staging-restore-point') AS statements_run;
SELECT regexp_replace(rls_audit.restore_script('staging-restore-point'),
                      '(generated at: )\S+|(fingerprint:  |assert_fingerprint\('')[0-9a-f]{64}', '\1\2<varies>', 'g') AS script;

-- snapshot against snapshot
SELECT severity, change, table_name, policy_name
  FROM rls_audit.drift('staging-restore-point', 'prod-hardened');

SET client_min_messages = warning;
DROP SCHEMA ims CASCADE;
DROP ROLE anon;
DROP ROLE authenticated;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
