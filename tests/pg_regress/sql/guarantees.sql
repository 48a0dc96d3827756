-- The guarantees that hold under attack: every reproduction an attacker
-- found (no false PASS, no change that escapes capture or a freeze, no
-- secret in history), each with the mechanism's siblings.
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE ROLE g_app LOGIN;
CREATE ROLE g_intruder LOGIN;
CREATE SCHEMA g;
GRANT USAGE ON SCHEMA g TO g_app;
CREATE TABLE g.t (id int, tenant_id int, body text);
INSERT INTO g.t SELECT n, 1 + n % 3, 'row ' || n FROM generate_series(1, 9) n;
GRANT SELECT, INSERT, UPDATE, DELETE ON g.t TO g_app;
ALTER TABLE g.t ENABLE ROW LEVEL SECURITY;
CREATE POLICY sel ON g.t FOR SELECT TO g_app
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY ins ON g.t FOR INSERT TO g_app
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
RESET client_min_messages;

-- 1. write policies that let one tenant delete or take over every tenant's
-- rows: the probes run DELETE / UPDATE with no WHERE, as an application can
CREATE POLICY upd ON g.t FOR UPDATE TO g_app USING (true)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY del ON g.t FOR DELETE TO g_app USING (true);
SELECT check_name, tenant, status, rows_seen, detail
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id')
 WHERE check_name LIKE 'tenant\_%' AND tenant = '1' ORDER BY check_name;
-- the oracle: the same statements really run as the role, rolled back
BEGIN;
SET LOCAL ROLE g_app;
SET LOCAL app.tenant_id = '1';
DELETE FROM g.t;
RESET ROLE;
SELECT count(*) AS rows_left_after_delete_as_tenant_1 FROM g.t;
ROLLBACK;
BEGIN;
SET LOCAL ROLE g_app;
SET LOCAL app.tenant_id = '1';
UPDATE g.t SET tenant_id = 1;
RESET ROLE;
SELECT count(*) FILTER (WHERE tenant_id = 1) AS rows_of_tenant_1_after_update FROM g.t;
ROLLBACK;
-- siblings: a restrictive policy that closes the hole turns both to PASS;
-- a permissive DELETE policy scoped to the tenant alongside USING (true)
-- still leaks (permissive policies are OR-ed)
CREATE POLICY del_scope ON g.t AS RESTRICTIVE FOR DELETE TO g_app
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY upd_scope ON g.t AS RESTRICTIVE FOR UPDATE TO g_app
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT check_name, string_agg(DISTINCT status, ',') AS status
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id')
 WHERE check_name IN ('tenant_update', 'tenant_delete') GROUP BY 1 ORDER BY 1;
DROP POLICY del_scope ON g.t;
DROP POLICY upd_scope ON g.t;
CREATE POLICY del_own ON g.t FOR DELETE TO g_app
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT check_name, string_agg(DISTINCT status, ',') AS status
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id')
 WHERE check_name = 'tenant_delete' GROUP BY 1;
DROP POLICY del_own ON g.t;
-- an UPDATE policy whose WITH CHECK lets a row move to another tenant
ALTER POLICY upd ON g.t USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (true);
ALTER POLICY del ON g.t USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT check_name, tenant, status, rows_seen, detail
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_update', 'tenant_delete') ORDER BY check_name, tenant;
ALTER POLICY upd ON g.t WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
-- nothing the probes did is left behind
SELECT count(*) AS rows, count(DISTINCT tenant_id) AS tenants FROM g.t;
SELECT count(*) AS shadow_tables_left FROM pg_class WHERE relname LIKE 'rls\_audit\_%' AND relpersistence = 't';

-- 2. only a caller who may SET ROLE to the role may act as it
GRANT USAGE ON SCHEMA rls_audit TO g_intruder;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA rls_audit TO g_intruder;
SELECT 'g.t'::regclass::oid AS t_oid \gset
\c - g_intruder
\set VERBOSITY sqlstate
SELECT * FROM rls_audit.probe('g_app', :t_oid::oid::regclass, '{"app.tenant_id": "1"}');
SELECT * FROM rls_audit.verify_isolation('g_app', 'app.tenant_id');
-- a setting cannot change who the probe runs as either
SELECT * FROM rls_audit.probe('g_intruder', :t_oid::oid::regclass, '{"role": "g_app"}');
SELECT * FROM rls_audit.probe('g_intruder', :t_oid::oid::regclass, '{"session_authorization": "g_app"}');
\set VERBOSITY default
\c - postgres
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA rls_audit FROM g_intruder;
REVOKE ALL ON SCHEMA rls_audit FROM g_intruder;

-- 3. "unset" is what a fresh login of the role gets: role, database and
-- role-in-database defaults apply
ALTER POLICY sel ON g.t USING (tenant_id = current_setting('app.tenant_id', true)::int);
ALTER ROLE g_app SET app.tenant_id = '1';
SELECT status, rows_seen, detail FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', write_probes => false)
 WHERE check_name = 'fail_closed_unset';
ALTER ROLE g_app RESET app.tenant_id;
SELECT current_database() AS db \gset
ALTER DATABASE :"db" SET app.tenant_id = '2';
SELECT status, rows_seen, detail FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', write_probes => false)
 WHERE check_name = 'fail_closed_unset';
-- the role's setting in this database wins over the database's
ALTER ROLE g_app IN DATABASE :"db" SET app.tenant_id = '';
SELECT status, rows_seen, detail FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', write_probes => false)
 WHERE check_name = 'fail_closed_unset';
ALTER ROLE g_app IN DATABASE :"db" RESET app.tenant_id;
ALTER DATABASE :"db" RESET app.tenant_id;
-- with none of those, the server's configuration file (ALTER SYSTEM writes
-- postgresql.auto.conf, which pg_file_settings lists); read once per call
-- for the setting and the role's search_path alike
ALTER SYSTEM SET app.tenant_id = '3';
SELECT status, rows_seen, detail FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', write_probes => false)
 WHERE check_name = 'fail_closed_unset';
ALTER SYSTEM RESET app.tenant_id;
SELECT status, rows_seen, detail FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', write_probes => false)
 WHERE check_name = 'fail_closed_unset';
ALTER POLICY sel ON g.t USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);

-- 3b. and so is every other custom setting a policy reads. A default of
-- the role (or of the role in this database) opens its real sessions; a
-- setting of the caller's own session (SET, or the caller's own defaults)
-- must not close the probes. Beside each: PostgreSQL's own count in a
-- fresh login of the role.
CREATE POLICY support ON g.t FOR SELECT TO g_app
    USING (current_setting('app.support', true) = 'on');
ALTER ROLE g_app IN DATABASE :"db" SET app.support = 'on';
SELECT check_name, tenant, status, rows_seen
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', tenants => ARRAY['1'], write_probes => false)
 WHERE check_name IN ('fail_closed_empty', 'tenant_read');
SELECT * FROM rls_audit.probe('g_app', 'g.t', '{"app.tenant_id": "1"}');
\c - g_app
SET app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id IS DISTINCT FROM 1) AS postgres_sees_others FROM g.t;
\c - postgres
ALTER ROLE g_app IN DATABASE :"db" RESET app.support;
ALTER ROLE g_app SET app.support = 'off';
-- (the role's own default keeps its fresh logins closed, but a request
-- may SET the setting itself, as it sets the tenant: tenant_read FAILs
-- naming that SET, beside PostgreSQL's read in a fresh login and after it)
SELECT check_name, tenant, status, rows_seen, detail
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', tenants => ARRAY['1'], write_probes => false)
 WHERE check_name = 'tenant_read';
\c - g_app
SET app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id IS DISTINCT FROM 1) AS postgres_sees_others FROM g.t;
SET app.support = 'on';
SELECT count(*) FILTER (WHERE tenant_id IS DISTINCT FROM 1) AS postgres_sees_others_after_set FROM g.t;
\c - postgres
ALTER ROLE g_app RESET app.support;
DROP POLICY support ON g.t;
-- the caller's own session closes what a fresh login of the role leaves open
CREATE POLICY lax ON g.t FOR SELECT TO g_app
    USING (coalesce(current_setting('app.strict', true), 'off') <> 'on');
SET app.strict = 'on';
SELECT check_name, tenant, status, rows_seen
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', tenants => ARRAY['1'], write_probes => false)
 WHERE check_name IN ('fail_closed_empty', 'tenant_read');
SELECT outcome, rows_visible FROM rls_audit.probe('g_app', 'g.t', '{"app.tenant_id": "1"}');
-- unless the probe is told otherwise
SELECT outcome, rows_visible FROM rls_audit.probe('g_app', 'g.t', '{"app.tenant_id": "1", "app.strict": "on"}');
SELECT current_setting('app.strict') AS caller_keeps;
RESET app.strict;
ALTER ROLE postgres IN DATABASE :"db" SET app.strict = 'on';
\c - postgres
SELECT check_name, tenant, status, rows_seen
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', tenants => ARRAY['1'], write_probes => false)
 WHERE check_name = 'tenant_read';
\c - g_app
SET app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id IS DISTINCT FROM 1) AS postgres_sees_others FROM g.t;
\c - postgres
-- ... while a default of the role itself is what its sessions get; a
-- request may still SET it otherwise (a value one step past 'on' that
-- the policy's <> passes): FAIL naming that SET, beside PostgreSQL's read
-- in a fresh login and after it
ALTER ROLE g_app SET app.strict = 'on';
SELECT check_name, tenant, status, rows_seen, detail
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', tenants => ARRAY['1'], write_probes => false)
 WHERE check_name = 'tenant_read';
\c - g_app
SET app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id IS DISTINCT FROM 1) AS postgres_sees_others FROM g.t;
SET app.strict = 'onz';
SELECT count(*) FILTER (WHERE tenant_id IS DISTINCT FROM 1) AS postgres_sees_others_after_set FROM g.t;
\c - postgres
ALTER ROLE g_app RESET app.strict;
ALTER ROLE postgres IN DATABASE :"db" RESET app.strict;
DROP POLICY lax ON g.t;

-- 3c. a probe is the role's own session as far as the caller may make it:
-- a superuser's probes take the role as the session user too (SET LOCAL
-- SESSION AUTHORIZATION), so a policy that opens every row to the
-- application's login (session_user) fails as it does there. Beside the
-- verdicts: PostgreSQL's own SELECT and DELETE in a session of the role.
CREATE POLICY login_reads ON g.t FOR SELECT TO g_app USING (session_user = 'g_app');
CREATE POLICY login_deletes ON g.t FOR DELETE TO g_app USING (session_user = 'g_app');
SELECT check_name, tenant, status, rows_seen
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', tenants => ARRAY['1', '2'])
 WHERE check_name IN ('fail_closed_unset', 'tenant_read', 'tenant_delete') ORDER BY 1, 2;
SELECT session_user, current_user, current_setting('is_superuser') AS is_superuser;
\c - g_app
SET app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id IS DISTINCT FROM 1) AS postgres_sees_others FROM g.t;
BEGIN;
WITH d AS (DELETE FROM g.t RETURNING tenant_id)
SELECT count(*) FILTER (WHERE tenant_id IS DISTINCT FROM 1) AS postgres_deletes_others FROM d;
ROLLBACK;
\c - postgres
-- a caller that has SET ROLE can only SET ROLE in its probes: session_user
-- stays the caller's there (README: a limit), and the caller's role and
-- session are as they were
CREATE ROLE g_auditor;
GRANT g_app TO g_auditor;
GRANT USAGE ON SCHEMA rls_audit TO g_auditor;
SET ROLE g_auditor;
SELECT check_name, tenant, status, rows_seen
  FROM rls_audit.verify_isolation('g_app', 'app.tenant_id', tenants => ARRAY['1'], write_probes => false)
 WHERE check_name = 'tenant_read';
SELECT session_user, current_user, current_setting('is_superuser') AS is_superuser;
RESET ROLE;
SELECT session_user, current_user, current_setting('is_superuser') AS is_superuser;
REVOKE USAGE ON SCHEMA rls_audit FROM g_auditor;
DROP ROLE g_auditor;
DROP POLICY login_reads ON g.t;
DROP POLICY login_deletes ON g.t;

-- 4. policies that disappear through any DDL are captured, and a freeze
-- stops them: DROP FUNCTION / TYPE / COLUMN ... CASCADE
CREATE FUNCTION g.tenant() RETURNS int LANGUAGE sql STABLE AS $$ SELECT 1 $$;
CREATE TYPE g.mood AS ENUM ('ok', 'sad');
ALTER TABLE g.t ADD COLUMN mood g.mood, ADD COLUMN flag boolean;
CREATE POLICY by_fn ON g.t FOR SELECT TO g_app USING (tenant_id = g.tenant());
CREATE POLICY by_type ON g.t FOR SELECT TO g_app USING (mood = 'ok'::g.mood);
CREATE POLICY by_column ON g.t FOR SELECT TO g_app USING (flag);
SELECT count(*) AS events_before FROM rls_audit.events \gset
SELECT rls_audit.freeze('release 2.0 window');
SET client_min_messages = warning;
\set VERBOSITY sqlstate
DROP FUNCTION g.tenant() CASCADE;
DROP TYPE g.mood CASCADE;
ALTER TABLE g.t DROP COLUMN flag CASCADE;
\set VERBOSITY default
RESET client_min_messages;
SELECT count(*) AS policies_still_there FROM pg_policy WHERE polname IN ('by_fn', 'by_type', 'by_column');
-- a blank ticket is no ticket
SET rls_audit.ticket = '   ';
SET client_min_messages = warning;
\set VERBOSITY sqlstate
DROP FUNCTION g.tenant() CASCADE;
\set VERBOSITY default
RESET client_min_messages;
SET rls_audit.ticket = 'CHG-42';
SET client_min_messages = warning;
DROP FUNCTION g.tenant() CASCADE;
DROP TYPE g.mood CASCADE;
ALTER TABLE g.t DROP COLUMN flag CASCADE;
RESET client_min_messages;
RESET rls_audit.ticket;
SELECT command_tag, change, policy_name, ticket, statement FROM rls_audit.events
 WHERE id > :events_before AND change = 'policy_removed' ORDER BY id;
-- DROP EXTENSION is a change too while frozen
\set VERBOSITY sqlstate
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit CASCADE;
\set VERBOSITY default
SELECT count(*) AS still_installed FROM pg_extension WHERE extname = 'rls_audit';
SELECT rls_audit.unfreeze();

-- 5. renaming what a policy references does not change the policy
CREATE ROLE g_reader;
CREATE FUNCTION g.tenant() RETURNS int LANGUAGE sql STABLE AS $$ SELECT 1 $$;
CREATE TYPE g.mood AS ENUM ('ok', 'sad');
ALTER TABLE g.t ADD COLUMN mood g.mood;
CREATE POLICY refs ON g.t FOR SELECT TO g_reader
    USING (tenant_id = g.tenant() AND mood = 'ok'::g.mood AND body IS NOT NULL);
SELECT rls_audit.snapshot('before renames');
SELECT count(*) AS events_before FROM rls_audit.events \gset
ALTER TABLE g.t RENAME COLUMN body TO content;
ALTER FUNCTION g.tenant() RENAME TO current_tenant;
ALTER TYPE g.mood RENAME TO feeling;
ALTER TYPE g.feeling RENAME VALUE 'ok' TO 'fine';
ALTER ROLE g_reader RENAME TO g_viewer;
CREATE SCHEMA g_fns;
ALTER FUNCTION g.current_tenant() SET SCHEMA g_fns;
SELECT count(*) AS events_recorded FROM rls_audit.events WHERE id > :events_before;
SELECT * FROM rls_audit.untracked_changes();
SELECT severity, change, attribute, baseline_value, current_value FROM rls_audit.drift('before renames');
SELECT rls_audit.restore('before renames') AS statements_run;
-- a later DROP records the definition as it reads now
DROP POLICY refs ON g.t;
SELECT before ->> 'using_expr' AS using_expr, before -> 'roles' AS roles
  FROM rls_audit.events ORDER BY id DESC LIMIT 1;

-- 6. drift follows a renamed table: a rename, then a critical rls_disabled
CREATE TABLE g.vault (id int, secret text);
ALTER TABLE g.vault ENABLE ROW LEVEL SECURITY;
CREATE POLICY owner_only ON g.vault USING (current_user = 'nobody');
SELECT rls_audit.snapshot('vault baseline', baseline => true);
ALTER TABLE g.vault RENAME TO vault2;
ALTER TABLE g.vault2 DISABLE ROW LEVEL SECURITY;
SELECT severity, change, schema_name, table_name, policy_name, attribute, baseline_value, current_value
  FROM rls_audit.drift() WHERE change NOT LIKE 'role%';
\set VERBOSITY sqlstate
SELECT rls_audit.assert_no_drift('baseline', 'high');
\set VERBOSITY default
-- SET SCHEMA and a schema rename are followed the same way
ALTER TABLE g.vault2 SET SCHEMA g_fns;
ALTER SCHEMA g_fns RENAME TO g_moved;
SELECT severity, change, schema_name, table_name, attribute, baseline_value, current_value
  FROM rls_audit.drift() WHERE change NOT LIKE 'role%';
SELECT regexp_replace(regexp_replace(rls_audit.restore_script(), '(fingerprint|generated at): +[^\n]+', '\1: <varies>', 'g'),
                      '(assert_fingerprint\('')[0-9a-f]{64}', '\1<varies>');
SELECT rls_audit.restore();
SELECT severity, change, attribute FROM rls_audit.drift() WHERE change NOT LIKE 'role%';
SELECT change, schema_name, table_name, statement FROM rls_audit.events
 WHERE table_name IN ('vault', 'vault2') OR (change = 'renamed' AND table_name IS NULL) ORDER BY id;

-- 8. no session setting switches capture or the freeze off
SELECT rls_audit.freeze('migration tool window');
SET row_security = off;
SET check_function_bodies = off;
SET session_replication_role = origin;
\set VERBOSITY sqlstate
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
ALTER TABLE g.t DISABLE ROW LEVEL SECURITY;
\set VERBOSITY default
SELECT rls_audit.unfreeze();
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
SELECT change, policy_name FROM rls_audit.events ORDER BY id DESC LIMIT 1;
DROP POLICY sneaky ON g.t;
RESET row_security;
RESET check_function_bodies;
RESET session_replication_role;
-- where the server has it (PostgreSQL 17 and later), event_triggers = off
-- too: with rls_audit preloaded, each statement event triggers fire for
-- runs with it on (the session's setting itself stays off)
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 170000 THEN
        PERFORM set_config('event_triggers', 'off', false);
    END IF;
END $$;
SELECT rls_audit.freeze('event triggers off');
\set VERBOSITY sqlstate
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
ALTER TABLE g.t DISABLE ROW LEVEL SECURITY;
\set VERBOSITY default
SELECT rls_audit.unfreeze();
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
SELECT change, policy_name FROM rls_audit.events ORDER BY id DESC LIMIT 1;
DROP POLICY sneaky ON g.t;
SELECT count(*) AS untracked FROM rls_audit.untracked_changes();
SELECT current_setting('event_triggers', true) IS DISTINCT FROM 'on' AS setting_not_on;
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 170000 THEN
        PERFORM set_config('event_triggers', 'on', false);
    END IF;
END $$;
-- session_replication_role = replica keeps the event triggers from
-- firing (the way a change becomes untracked), but not the freeze: with
-- rls_audit preloaded, a statement that changes a policy or a table's RLS
-- flags that way fails while frozen (55000); one that changes none runs
SELECT rls_audit.freeze('replica window');
SET session_replication_role = replica;
\set VERBOSITY sqlstate
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
ALTER TABLE g.t DISABLE ROW LEVEL SECURITY;
\set VERBOSITY default
CREATE TABLE g.harmless (id int);
DROP TABLE g.harmless;
RESET session_replication_role;
SELECT rls_audit.unfreeze();
SELECT count(*) AS sneaky_policies FROM pg_policy WHERE polname = 'sneaky';
-- unfrozen, replica mode still leaves the change untracked, and listed
SET session_replication_role = replica;
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
RESET session_replication_role;
SELECT change, policy_name FROM rls_audit.untracked_changes();
SELECT rls_audit.record_untracked('replica-mode test') AS recorded;
DROP POLICY sneaky ON g.t;
-- nor does switching capture itself off get past a freeze: each of
-- rls_audit's event triggers disabled, set to fire in the other mode, or
-- running a replaced function, and the catalog edited directly. The
-- switch goes through; while frozen, what it would let through does not
SELECT rls_audit.freeze('capture switched off');
\set VERBOSITY sqlstate
ALTER EVENT TRIGGER rls_audit_ddl DISABLE;
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
ALTER TABLE g.t DISABLE ROW LEVEL SECURITY;
-- the table's owner and grants are captured too
ALTER TABLE g.t OWNER TO g_app;
GRANT TRUNCATE ON g.t TO g_app;
CREATE TABLE g.harmless (id int);
DROP TABLE g.harmless;
ALTER EVENT TRIGGER rls_audit_ddl ENABLE;
ALTER EVENT TRIGGER rls_audit_drop ENABLE REPLICA;
DROP POLICY sel ON g.t;
ALTER EVENT TRIGGER rls_audit_drop ENABLE;
ALTER EVENT TRIGGER rls_audit_guard DISABLE;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit CASCADE;
ALTER EVENT TRIGGER rls_audit_guard ENABLE;
BEGIN;
CREATE OR REPLACE FUNCTION rls_audit._capture_ddl() RETURNS event_trigger
    LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
ROLLBACK;
BEGIN;
UPDATE pg_event_trigger SET evtenabled = 'D' WHERE evtname = 'rls_audit_ddl';
ALTER TABLE g.t DISABLE ROW LEVEL SECURITY;
ROLLBACK;
-- nor does removing the freeze's row behind freeze()'s back (a superuser
-- may write rls_audit's tables): refused, in replica mode too
DELETE FROM rls_audit.freeze_state;
UPDATE rls_audit.freeze_state SET reason = 'something else';
TRUNCATE rls_audit.freeze_state;
SET session_replication_role = replica;
DELETE FROM rls_audit.freeze_state;
RESET session_replication_role;
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
-- and rls_audit's own tables are frozen with it: their triggers too
ALTER TABLE rls_audit.freeze_state DISABLE TRIGGER ALL;
DROP TRIGGER freeze_state_guard ON rls_audit.freeze_state;
-- replica mode with a trigger set to fire always: the other two do not
ALTER EVENT TRIGGER rls_audit_drop ENABLE ALWAYS;
SET session_replication_role = replica;
DROP POLICY sel ON g.t;
RESET session_replication_role;
ALTER EVENT TRIGGER rls_audit_drop ENABLE;
\set VERBOSITY default
-- a ticket still lets a change through, untracked while capture is off;
-- the release checklist says capture is off, and is NO-GO
ALTER EVENT TRIGGER rls_audit_ddl DISABLE;
SELECT r #>> '{rollback,ddl_capture}' AS ddl_capture, r #> '{rollback,ddl_capture_gaps}' AS gaps,
       r ->> 'verdict' AS verdict,
       (SELECT reason FROM jsonb_array_elements_text(r -> 'verdict_reasons') reason
         WHERE reason LIKE '%capture%') AS reason
  FROM (SELECT rls_audit.report('vault baseline', 'json')::jsonb AS r) s;
SELECT rls_audit.check_drift('vault baseline') > 0 AS nightly_run;
SET rls_audit.ticket = 'CHG-77';
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
RESET rls_audit.ticket;
ALTER EVENT TRIGGER rls_audit_ddl ENABLE;
SELECT rls_audit.unfreeze();
SELECT change, policy_name FROM rls_audit.untracked_changes();
SELECT rls_audit.record_untracked('ticketed while capture was off') AS recorded;
DROP POLICY sneaky ON g.t;
SELECT relrowsecurity, relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies
  FROM pg_class c WHERE oid = 'g.t'::regclass;
SELECT count(*) AS untracked FROM rls_audit.untracked_changes();
-- a guard dropped or disabled while nothing is frozen is back with the
-- next freeze
DROP TRIGGER freeze_state_guard ON rls_audit.freeze_state;
ALTER TABLE rls_audit.freeze_state DISABLE TRIGGER freeze_state_guard_truncate;
SELECT rls_audit.freeze('guard back');
SELECT tgname, tgenabled FROM pg_trigger
 WHERE tgrelid = 'rls_audit.freeze_state'::regclass AND NOT tgisinternal ORDER BY 1;
\set VERBOSITY sqlstate
DELETE FROM rls_audit.freeze_state;
\set VERBOSITY default
SELECT rls_audit.unfreeze();
-- a superuser can still get past the guard: an edit of pg_trigger (no
-- DDL, so nothing refuses it), then the row. The freeze is gone and the
-- next change goes through; but the log still holds the freeze, so
-- verify_log(), report() and check_drift() say so, and unfreeze()
-- records its end
SELECT rls_audit.freeze('guard edited');
UPDATE pg_trigger SET tgenabled = 'D' WHERE tgrelid = 'rls_audit.freeze_state'::regclass;
\c - postgres
DELETE FROM rls_audit.freeze_state;
UPDATE pg_trigger SET tgenabled = 'A' WHERE tgrelid = 'rls_audit.freeze_state'::regclass;
\c - postgres
CREATE POLICY sneaky ON g.t FOR SELECT TO g_app USING (true);
SELECT e.change, e.policy_name, regexp_replace(p.problem, 'event [0-9]+', 'event N') AS problem
  FROM rls_audit.verify_log() p JOIN rls_audit.events e ON e.id = p.event_id ORDER BY p.event_id;
SELECT r ->> 'verdict' AS verdict, r #> '{rollback,freeze_problems}' AS freeze_problems,
       (SELECT reason FROM jsonb_array_elements_text(r -> 'verdict_reasons') reason
         WHERE reason LIKE '%freeze disagree%') AS reason
  FROM (SELECT rls_audit.report('vault baseline', 'json')::jsonb AS r) s;
SET client_min_messages = warning;
SELECT rls_audit.check_drift('vault baseline') > 0 AS nightly_run;
RESET client_min_messages;
SELECT rls_audit.unfreeze();
SELECT change, before ->> 'reason' AS ended FROM rls_audit.events ORDER BY id DESC LIMIT 1;
-- the change made meanwhile stays in the log as recorded outside the freeze
SELECT e.change, e.policy_name, left(p.problem, 60) AS problem
  FROM rls_audit.verify_log() p JOIN rls_audit.events e ON e.id = p.event_id ORDER BY p.event_id;
DROP POLICY sneaky ON g.t;

-- 9. a printed restore script means the same whatever the replaying
-- session's search_path: an "=" operator planted in a schema ahead of
-- pg_catalog is never picked up
SELECT rls_audit.snapshot('before evil', baseline => true);
DROP POLICY sel ON g.t;
CREATE SCHEMA evil;
CREATE FUNCTION evil.always(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;
CREATE OPERATOR evil.= (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.always);
SELECT rls_audit.restore_script() AS script \gset
SET search_path = evil, pg_catalog, public;
:script
RESET search_path;
SELECT pg_get_expr(polqual, polrelid) AS restored_using,
       (SELECT count(*) FROM pg_depend d WHERE d.classid = 'pg_policy'::regclass AND d.objid = p.oid
           AND d.refclassid = 'pg_operator'::regclass
           AND d.refobjid IN (SELECT oid FROM pg_operator WHERE oprnamespace = 'evil'::regnamespace)) AS evil_operators
  FROM pg_policy p WHERE polname = 'sel';
BEGIN;
SET LOCAL ROLE g_app;
SET LOCAL app.tenant_id = '1';
SELECT count(*) AS visible_as_tenant_1 FROM g.t;
ROLLBACK;
SET client_min_messages = warning;
DROP SCHEMA evil CASCADE;
RESET client_min_messages;
-- 10. history keeps exactly the statement that made the change: not the
-- password, not the row value sent in the same query string
ALTER ROLE g_app PASSWORD 'Sup3rSecret!' \; SELECT 'SSN-078-05-1120' AS sent_along \; CREATE POLICY multi ON g.t FOR SELECT TO g_app USING (tenant_id = 0);
SELECT statement, statement LIKE '%Sup3rSecret%' OR statement LIKE '%SSN-078%' AS leaks
  FROM rls_audit.events WHERE policy_name = 'multi';
-- a DDL run inside a DO block or function gets a statement rendered from
-- the change, never the caller's whole query string
DO $$ BEGIN EXECUTE 'DROP POLICY multi ON g.t'; END $$ \; SELECT 'SSN-078-05-1120' AS sent_along;
SELECT command_tag, statement FROM rls_audit.events ORDER BY id DESC LIMIT 1;
SELECT count(*) AS events_with_secrets FROM rls_audit.events
 WHERE statement LIKE '%Sup3rSecret%' OR statement LIKE '%SSN-078%';
SELECT position('SSN-078' IN rls_audit.report()) = 0 AS report_clean;

-- 11. what lint() prints is what lint_ignore takes
SELECT lint, object_name FROM rls_audit.lint(ARRAY['g']) WHERE lint = 'rls_not_forced';
INSERT INTO rls_audit.lint_ignore (lint, object, reason)
SELECT lint, object_name, 'reviewed: owner is the migration role' FROM rls_audit.lint(ARRAY['g'])
 WHERE lint = 'rls_not_forced';
SELECT count(*) AS still_open FROM rls_audit.lint(ARRAY['g']) WHERE lint = 'rls_not_forced';
SELECT lint, schema_name, object_name, reason FROM rls_audit.lint_suppressed(ARRAY['g']);
-- with its schema it silences that schema only
DELETE FROM rls_audit.lint_ignore;
INSERT INTO rls_audit.lint_ignore (lint, object, reason, schema_name)
VALUES ('rls_not_forced', 't', 'reviewed', 'other_schema');
SELECT count(*) AS still_open FROM rls_audit.lint(ARRAY['g']) WHERE lint = 'rls_not_forced';
DELETE FROM rls_audit.lint_ignore;

-- 12. constantly true is what PostgreSQL folds to true, in lint and drift alike
SELECT rls_audit.snapshot('before constants', baseline => true);
CREATE TABLE g.c (id int, tenant_id int);
ALTER TABLE g.c ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON g.c TO g_app;
SELECT rls_audit.snapshot('with c', baseline => true);
CREATE POLICY k1 ON g.c TO g_app USING (2 > 1);
CREATE POLICY k2 ON g.c TO g_app USING (COALESCE(NULL, true));
CREATE POLICY k3 ON g.c TO g_app USING ((SELECT true));
CREATE POLICY k4 ON g.c TO g_app USING (1 IN (1, 2));
CREATE POLICY k5 ON g.c TO g_app USING (true IS TRUE);
CREATE POLICY k6 ON g.c TO g_app USING (NULL IS NULL);
CREATE POLICY k7 ON g.c TO g_app USING (CASE WHEN true THEN true END);
CREATE POLICY k8 ON g.c TO g_app USING (tenant_id = 1 OR 3 > 2);
CREATE POLICY n1 ON g.c TO g_app USING (tenant_id = 1);
CREATE POLICY n2 ON g.c TO g_app USING (current_setting('app.x', true) IS NOT NULL);
CREATE POLICY n3 ON g.c TO g_app USING (2 < 1);
CREATE POLICY n4 ON g.c TO g_app USING ((SELECT count(*) > 0 FROM g.t));
SELECT p.policy_name,
       (SELECT severity FROM rls_audit.drift() d WHERE d.policy_name = p.policy_name) AS drift,
       (SELECT severity FROM rls_audit.lint(ARRAY['g']) l
         WHERE l.lint = 'policy_always_true' AND l.object_name = 'c.' || p.policy_name) AS lint
  FROM (SELECT polname::text AS policy_name FROM pg_policy WHERE polrelid = 'g.c'::regclass) p
 ORDER BY 1;
-- report's format word is case-insensitive; NULL is an error
SELECT left(rls_audit.report(format => 'JSON'), 1) AS json_starts;
\set VERBOSITY sqlstate
SELECT rls_audit.report(format => NULL);
SELECT rls_audit.snapshot('latest');
\set VERBOSITY default

-- 13. (after 9) nor can a snapshot's text say more than one expression: restore()
-- writes the USING and WITH CHECK text into CREATE POLICY, so text edited
-- into the snapshot's table (or imported from an edited document, whose
-- fingerprint its editor can hash again) that closes the clause and adds
-- a statement is refused with 22023 and nothing runs (the canary sequence
-- is never called, the policy not created)
CREATE SEQUENCE g.canary;
CREATE TABLE g.inj (tenant_id int);
ALTER TABLE g.inj ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON g.inj USING (tenant_id = 1);
SELECT rls_audit.snapshot('before edit') AS inj_snap \gset
UPDATE rls_audit.snapshot_policies SET using_expr = 'true); SELECT nextval(''g.canary''); SELECT (true'
 WHERE snapshot_id = :inj_snap AND table_name = 'inj';
DROP POLICY own ON g.inj;
\set VERBOSITY sqlstate
SELECT rls_audit.restore('before edit');
SELECT rls_audit.restore_script('before edit');
\set VERBOSITY default
SELECT rls_audit.restore('before edit');
-- a clause added to it is refused as well
UPDATE rls_audit.snapshot_policies SET using_expr = 'true) WITH CHECK (true'
 WHERE snapshot_id = :inj_snap AND table_name = 'inj';
SELECT rls_audit.restore('before edit');
SELECT is_called AS canary_called FROM g.canary;
SELECT count(*) AS inj_policies FROM pg_policy WHERE polrelid = 'g.inj'::regclass;
-- the text as snapshot() wrote it restores
UPDATE rls_audit.snapshot_policies SET using_expr = '(tenant_id = 1)'
 WHERE snapshot_id = :inj_snap AND table_name = 'inj';
SELECT rls_audit.restore('before edit') AS restored;
SELECT pg_get_expr(polqual, polrelid) AS restored_using FROM pg_policy WHERE polrelid = 'g.inj'::regclass;
SELECT rls_audit.forget('before edit');
DROP TABLE g.inj;
DROP SEQUENCE g.canary;

-- 14. a policy whose column is gone cannot be recreated: restore() stops
-- with PostgreSQL's own error and the statement it stopped at, and nothing
-- it ran stays (plain, recreated before it, is not there either)
CREATE TABLE g.gone (id int, tenant_id int, extra int);
CREATE POLICY uses_extra ON g.gone USING (extra > 0);
CREATE POLICY plain ON g.gone USING (tenant_id > 0);
SELECT rls_audit.snapshot('before gone') IS NOT NULL AS taken;
ALTER TABLE g.gone DROP COLUMN extra CASCADE;
DROP POLICY plain ON g.gone;
SELECT rls_audit.restore('before gone');
SELECT policyname FROM pg_policies WHERE tablename = 'gone';
DROP TABLE g.gone;

SET client_min_messages = warning;
DROP SCHEMA g CASCADE;
DROP SCHEMA g_moved CASCADE;
DROP ROLE g_viewer;
DROP OWNED BY g_app;
DROP ROLE g_app;
DROP ROLE g_intruder;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
