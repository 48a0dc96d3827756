-- Change history: every captured DDL form and the one event it leaves,
-- rollbacks that leave none, the freeze, tampering, untracked changes.
SET client_min_messages = warning;
-- installing into a database that already has policies tracks them
CREATE TABLE public.pre (id int, tenant_id int);
ALTER TABLE public.pre ENABLE ROW LEVEL SECURITY;
CREATE POLICY pre_tenant ON public.pre USING (tenant_id = 1);
CREATE EXTENSION rls_audit;
CREATE ROLE app_owner LOGIN;
CREATE SCHEMA "Intake Ω" AUTHORIZATION app_owner;
RESET client_min_messages;
SELECT schema_name, table_name, policy_name FROM rls_audit.tracked_policies;
SELECT count(*) AS untracked FROM rls_audit.untracked_changes();

CREATE FUNCTION pg_temp.events_since(n bigint) RETURNS TABLE
    (command_tag text, change text, schema_name name, table_name name, policy_name name,
     current_user_name name, before_using text, after_using text, before_flags text, after_flags text)
LANGUAGE sql AS $$
    SELECT command_tag, change, schema_name, table_name, policy_name, current_user_name,
           before ->> 'using_expr', after ->> 'using_expr',
           before ->> 'rls_enabled' || '/' || (before ->> 'rls_forced'),
           after ->> 'rls_enabled' || '/' || (after ->> 'rls_forced')
      FROM rls_audit.events WHERE id > n ORDER BY id
$$;
SELECT coalesce(max(id), 0) AS mark FROM rls_audit.events \gset

-- each DDL form, run by a non-superuser table owner
SET ROLE app_owner;
CREATE TABLE "Intake Ω"."forms ""v2""" (id int, tenant_id int);
CREATE POLICY "Tenant Read" ON "Intake Ω"."forms ""v2""" FOR SELECT USING (tenant_id = 1);
ALTER POLICY "Tenant Read" ON "Intake Ω"."forms ""v2""" USING (tenant_id = 2);
ALTER POLICY "Tenant Read" ON "Intake Ω"."forms ""v2""" RENAME TO "Tenant ""Read""";
ALTER TABLE "Intake Ω"."forms ""v2""" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Intake Ω"."forms ""v2""" FORCE ROW LEVEL SECURITY;
ALTER TABLE "Intake Ω"."forms ""v2""" NO FORCE ROW LEVEL SECURITY;
ALTER TABLE "Intake Ω"."forms ""v2""" RENAME TO forms;
CREATE TABLE "Intake Ω".notes (id int);
CREATE POLICY n ON "Intake Ω".notes USING (true);
RESET ROLE;
ALTER SCHEMA "Intake Ω" RENAME TO intake;
ALTER TABLE intake.forms DISABLE ROW LEVEL SECURITY;
DROP POLICY "Tenant ""Read""" ON intake.forms;
DROP TABLE intake.notes;
SELECT * FROM pg_temp.events_since(:mark);
SELECT coalesce(max(id), 0) AS mark FROM rls_audit.events \gset

-- DDL that changes nothing leaves nothing
DROP POLICY IF EXISTS nope ON intake.forms;
ALTER TABLE public.pre ENABLE ROW LEVEL SECURITY;
ALTER TABLE intake.forms ADD COLUMN note text;
CREATE TABLE public.plain (id int);
ALTER TABLE public.plain ADD COLUMN x int;
DROP TABLE public.plain;
-- rolled back DDL leaves nothing
BEGIN;
CREATE POLICY rolled_back ON public.pre USING (true);
ROLLBACK;
BEGIN;
SAVEPOINT s;
ALTER TABLE public.pre DISABLE ROW LEVEL SECURITY;
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT count(*) AS events FROM rls_audit.events WHERE id > :mark;

-- cascades: DROP SCHEMA CASCADE and DROP OWNED take their policies with them
CREATE SCHEMA doomed;
CREATE TABLE doomed.t (id int);
ALTER TABLE doomed.t ENABLE ROW LEVEL SECURITY;
CREATE POLICY a ON doomed.t USING (true);
CREATE POLICY b ON doomed.t USING (false);
CREATE ROLE temp_owner;
CREATE TABLE public.owned (id int);
ALTER TABLE public.owned OWNER TO temp_owner;
CREATE POLICY mine ON public.owned TO temp_owner USING (true);
CREATE POLICY shared ON public.pre TO temp_owner, app_owner USING (true);
SELECT coalesce(max(id), 0) AS mark FROM rls_audit.events \gset
SET client_min_messages = warning;
DROP SCHEMA doomed CASCADE;
DROP OWNED BY temp_owner;
RESET client_min_messages;
DROP ROLE temp_owner;
SELECT command_tag, change, table_name, policy_name, before ->> 'roles' AS before_roles, after ->> 'roles' AS after_roles
  FROM rls_audit.events WHERE id > :mark ORDER BY id;
SELECT count(*) AS untracked FROM rls_audit.untracked_changes();

-- the full definition of a dropped policy is in its event: recreate it from there
SELECT before FROM rls_audit.events WHERE change = 'policy_removed' AND policy_name = 'b';

-- freeze: captured changes fail with 55000 naming the reason, unless ticketed
SELECT rls_audit.freeze('release 1.7 window');
\set VERBOSITY sqlstate
CREATE POLICY during_freeze ON public.pre USING (true);
\set VERBOSITY default
CREATE POLICY during_freeze ON public.pre USING (true);
ALTER TABLE public.pre ADD COLUMN harmless int;
SET rls_audit.ticket = 'CHG-1234';
CREATE POLICY during_freeze ON public.pre USING (true);
RESET rls_audit.ticket;
SELECT rls_audit.unfreeze();
SELECT command_tag, change, policy_name, ticket, after ->> 'reason' AS reason
  FROM rls_audit.events WHERE command_tag IN ('FREEZE', 'UNFREEZE') OR ticket IS NOT NULL ORDER BY id;
\set VERBOSITY sqlstate
SELECT rls_audit.freeze('  ');
\set VERBOSITY default

-- changes made while the triggers did not fire are not invisible
SET session_replication_role = replica;
ALTER TABLE public.pre DISABLE ROW LEVEL SECURITY;
DROP POLICY during_freeze ON public.pre;
RESET session_replication_role;
SELECT severity, change, table_name, policy_name, attribute FROM rls_audit.untracked_changes();
SELECT rls_audit.record_untracked('replica-mode maintenance, CHG-1240') AS recorded;
SELECT command_tag, change, policy_name, statement FROM rls_audit.events WHERE command_tag = 'UNTRACKED' ORDER BY id;
SELECT count(*) AS untracked FROM rls_audit.untracked_changes();
ALTER TABLE public.pre ENABLE ROW LEVEL SECURITY;

-- the chain verifies; tampering as superuser is named
SELECT * FROM rls_audit.verify_log();
SELECT min(id) AS first_id, max(id) AS last_id FROM rls_audit.events \gset
UPDATE rls_audit.events SET current_user_name = 'someone_else' WHERE id = :first_id + 2;
DELETE FROM rls_audit.events WHERE id = :first_id + 4;
SELECT event_id - :first_id AS event_offset, problem FROM rls_audit.verify_log();

-- only the extension writes history
CREATE ROLE intruder LOGIN;
GRANT USAGE ON SCHEMA rls_audit TO intruder;
SET ROLE intruder;
\set VERBOSITY sqlstate
DELETE FROM rls_audit.events;
INSERT INTO rls_audit.events (id, occurred_at, txid, session_user_name, current_user_name, command_tag, change, hash)
VALUES (999, now(), 1, 'x', 'x', 'x', 'renamed', 'x');
UPDATE rls_audit.tracked_policies SET using_expr = 'true';
SELECT rls_audit.freeze('hostile');
SELECT rls_audit.record_untracked();
\set VERBOSITY default
RESET ROLE;

SET client_min_messages = warning;
DROP SCHEMA intake CASCADE;
DROP TABLE public.pre;
REVOKE ALL ON SCHEMA rls_audit FROM intruder;
DROP ROLE intruder;
DROP ROLE app_owner;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
-- no event trigger is left behind
SELECT count(*) AS event_triggers FROM pg_event_trigger WHERE evtname LIKE 'rls_audit%';
