-- A statement cancelled in the middle of rls_audit's work (statement_timeout
-- or pg_cancel_backend) leaves no partial rows: a
-- second session holds the lock a snapshot or a capture needs, the call
-- waits, the timeout cancels it, and nothing of it remains.
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE EXTENSION dblink;
CREATE TABLE public.ledger (id int, tenant_id int);
ALTER TABLE public.ledger ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON public.ledger USING (tenant_id = 1);
SELECT rls_audit.snapshot('before') IS NOT NULL AS snapshot;
RESET client_min_messages;
CREATE FUNCTION pg_temp.history() RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' ', 'snapshots', (SELECT count(*) FROM rls_audit.snapshots),
                     'rows', (SELECT count(*) FROM rls_audit.snapshot_policies) + (SELECT count(*) FROM rls_audit.snapshot_tables),
                     'events', (SELECT count(*) FROM rls_audit.events),
                     'untracked', (SELECT count(*) FROM rls_audit.untracked_changes()),
                     'rls', (SELECT relrowsecurity FROM pg_class WHERE oid = 'public.ledger'::regclass))
$$;
SELECT pg_temp.history() AS before;
SELECT dblink_connect('holder', format('dbname=%s port=%s host=%s', current_database(),
                      current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
-- the holder takes the snapshot lock and the event-chain lock and keeps them
SELECT dblink_exec('holder', 'BEGIN');
SELECT * FROM dblink('holder', 'SELECT pg_advisory_xact_lock(8245091871604236656), pg_advisory_xact_lock(8245091871335407977)') AS t(a text, b text);

SET statement_timeout = '300ms';
SELECT rls_audit.snapshot('cancelled');
ALTER TABLE public.ledger DISABLE ROW LEVEL SECURITY;
CREATE POLICY cancelled ON public.ledger USING (true);
RESET statement_timeout;
SELECT pg_temp.history() AS after_timeouts;
-- the same with pg_cancel_backend from a third session
SELECT dblink_connect('canceller', format('dbname=%s port=%s host=%s', current_database(),
                      current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT dblink_send_query('canceller', format('SELECT pg_sleep(0.3), pg_cancel_backend(%s)', pg_backend_pid()));
SELECT rls_audit.snapshot('cancelled');
SELECT * FROM dblink_get_result('canceller') AS t(s text, c boolean);
-- (an async dblink query is finished only once get_result returns nothing)
SELECT count(*) AS drained FROM dblink_get_result('canceller') AS t(s text, c boolean);
SELECT dblink_send_query('canceller', format('SELECT pg_sleep(0.3), pg_cancel_backend(%s)', pg_backend_pid()));
ALTER TABLE public.ledger DISABLE ROW LEVEL SECURITY;
SELECT * FROM dblink_get_result('canceller') AS t(s text, c boolean);
SELECT dblink_disconnect('canceller');
SELECT pg_temp.history() AS after_cancels;

SELECT dblink_exec('holder', 'COMMIT');
SELECT dblink_disconnect('holder');
-- and once the locks are free, the same calls go through
SELECT rls_audit.snapshot('after') IS NOT NULL AS snapshot;
ALTER TABLE public.ledger DISABLE ROW LEVEL SECURITY;
SELECT pg_temp.history() AS after_retry;

SET client_min_messages = warning;
DROP TABLE public.ledger;
DROP EXTENSION dblink;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
