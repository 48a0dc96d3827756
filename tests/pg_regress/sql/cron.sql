-- The nightly drift check under real pg_cron: a scheduled check_drift()
-- runs in pg_cron's background worker and lands in rls_audit.drift_runs.
-- (Debian's pg_cron 1.4 schedules by the minute: the wait is at most 90 s.)
CREATE EXTENSION rls_audit;
CREATE EXTENSION pg_cron;
CREATE TABLE public.invoices (id serial PRIMARY KEY, tenant_id int NOT NULL);
ALTER TABLE public.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.invoices
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT rls_audit.snapshot('release-2026-11') AS id;
-- someone "temporarily" switches RLS off
ALTER TABLE public.invoices DISABLE ROW LEVEL SECURITY;

-- the one line a deployment adds
SELECT cron.schedule('rls-audit-drift', '* * * * *', 'SELECT rls_audit.check_drift()') > 0 AS scheduled;
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '90 seconds';
BEGIN
    -- the run is done when its row is in drift_runs and pg_cron has
    -- recorded how it ended (pg_cron writes that after the command's
    -- transaction commits: the drift row can be seen first)
    WHILE NOT EXISTS (SELECT 1 FROM rls_audit.drift_runs)
       OR NOT EXISTS (SELECT 1 FROM cron.job_run_details
                       WHERE status NOT IN ('starting', 'running')) LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'pg_cron did not run check_drift() within 90 s';
        END IF;
        PERFORM pg_sleep(0.5);
    END LOOP;
END $$;
SELECT cron.unschedule('rls-audit-drift');

SELECT baseline_id, critical, high, medium, low, info,
       report -> 0 ->> 'change' AS change, report -> 0 ->> 'table_name' AS table_name
  FROM rls_audit.drift_runs ORDER BY id LIMIT 1;
SELECT status, return_message FROM cron.job_run_details ORDER BY runid LIMIT 1;

SET client_min_messages = warning;
DROP EXTENSION pg_cron;
DROP TABLE public.invoices;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
