-- Migration 006: RLS enabled on 24 platform tables with 48 permissive
-- "allow all" policies (SELECT + INSERT), then its reversal.
CREATE EXTENSION rls_audit;
CREATE SCHEMA platform;
SELECT format('CREATE TABLE platform.t%s (id serial PRIMARY KEY, org_id int)', i)
  FROM generate_series(1, 23) i \gexec
CREATE TABLE platform.databases (id uuid PRIMARY KEY, name text);
SELECT rls_audit.snapshot('backup_pre_migration_006') AS id;

-- 006_enable_rls_IMPROVED.sql
BEGIN;
SELECT format('ALTER TABLE platform.%I ENABLE ROW LEVEL SECURITY', tablename)
  FROM pg_tables WHERE schemaname = 'platform' ORDER BY tablename \gexec
SELECT format('CREATE POLICY allow_all_select ON platform.%I FOR SELECT USING (true)', tablename),
       format('CREATE POLICY allow_all_insert ON platform.%I FOR INSERT WITH CHECK (1 = 1)', tablename)
  FROM pg_tables WHERE schemaname = 'platform' ORDER BY tablename \gexec
COMMIT;

-- "zero behaviour change" is not what drift says: 48 policies open to PUBLIC
SELECT severity, change, count(*) FROM rls_audit.drift('backup_pre_migration_006')
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT severity, change, table_name, policy_name, current_value
  FROM rls_audit.drift('backup_pre_migration_006') WHERE table_name = 'databases';
\set VERBOSITY terse
SELECT rls_audit.assert_no_drift('backup_pre_migration_006', 'critical');
\set VERBOSITY default

-- 006_rollback.sql, generated: 48 DROP POLICY and 24 DISABLE
SELECT count(*) FILTER (WHERE line LIKE 'DROP POLICY IF EXISTS %') AS drops,
       count(*) FILTER (WHERE line LIKE 'ALTER TABLE % DISABLE ROW LEVEL SECURITY;') AS disables,
       count(*) FILTER (WHERE line IN ('BEGIN;', 'COMMIT;')) AS transaction_lines
  FROM regexp_split_to_table(rls_audit.restore_script('backup_pre_migration_006'), '\n') AS line;
SELECT rls_audit.restore('backup_pre_migration_006') AS statements_run;
SELECT count(*) AS policies FROM pg_policies WHERE schemaname = 'platform';
SELECT count(*) AS rls_tables FROM pg_tables WHERE schemaname = 'platform' AND rowsecurity;
SELECT count(*) AS drift_rows FROM rls_audit.drift('backup_pre_migration_006');
SELECT rls_audit.assert_no_drift('backup_pre_migration_006');

SET client_min_messages = warning;
DROP SCHEMA platform CASCADE;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
