-- Nothing escapes the record: role attributes, memberships, table grants
-- and owners become events (the test cluster preloads rls_audit, so its
-- hook sees role statements); a change made elsewhere is untracked here;
-- the chain is anchored by a head kept outside the table.
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE ROLE "r App" LOGIN;
CREATE ROLE r_owner NOLOGIN;
CREATE ROLE r_reader NOLOGIN;
CREATE SCHEMA "Shop Ω";
CREATE TABLE "Shop Ω".orders (id int, tenant_id int, note text);
ALTER TABLE "Shop Ω".orders OWNER TO r_owner;
ALTER TABLE "Shop Ω".orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON "Shop Ω".orders TO "r App" USING (tenant_id = 1);
CREATE TABLE "Shop Ω".plain (id int);
RESET client_min_messages;

CREATE FUNCTION pg_temp.events_since(n bigint) RETURNS TABLE
    (command_tag text, change text, table_name name, before jsonb, after jsonb)
LANGUAGE sql AS $$
    SELECT command_tag, change, table_name,
           before - 'schema_name' - 'table_name', after - 'schema_name' - 'table_name'
      FROM rls_audit.events WHERE id > n ORDER BY id
$$;
SELECT rls_audit.snapshot('start') AS start \gset
SELECT max(id) AS mark FROM rls_audit.events \gset
SELECT role_capture FROM (SELECT rls_audit.report(format => 'json')::jsonb #>> '{rollback,role_capture}' AS role_capture) r;

-- each statement: exactly one event, with before and after
ALTER ROLE "r App" BYPASSRLS;
ALTER ROLE "r App" NOBYPASSRLS;
ALTER ROLE r_reader SUPERUSER;
ALTER ROLE r_reader NOSUPERUSER;
ALTER ROLE r_reader LOGIN;
ALTER ROLE r_reader NOLOGIN;
GRANT r_owner TO "r App";
REVOKE r_owner FROM "r App";
GRANT r_reader TO "r App" WITH ADMIN OPTION;
REVOKE ADMIN OPTION FOR r_reader FROM "r App";
GRANT SELECT, UPDATE (note) ON "Shop Ω".orders TO "r App";
REVOKE UPDATE (note) ON "Shop Ω".orders FROM "r App";
GRANT SELECT ON ALL TABLES IN SCHEMA "Shop Ω" TO r_reader WITH GRANT OPTION;
ALTER TABLE "Shop Ω".orders OWNER TO r_reader;
REASSIGN OWNED BY r_reader TO r_owner;
CREATE ROLE "r New" LOGIN BYPASSRLS;
ALTER ROLE "r New" RENAME TO "r Renamed";
DROP ROLE "r Renamed";
SELECT * FROM pg_temp.events_since(:mark);
-- an unqualified table name means what the statement's search_path says
-- (the event trigger runs with rls_audit's own); DROP OWNED takes the
-- role's grants with it
SELECT max(id) AS mark FROM rls_audit.events \gset
SET search_path = "Shop Ω", public;
GRANT INSERT ON orders TO r_reader;
REVOKE INSERT ON orders FROM r_reader;
RESET search_path;
CREATE ROLE r_temp;
GRANT DELETE ON "Shop Ω".orders TO r_temp;
DROP OWNED BY r_temp;
DROP ROLE r_temp;
SELECT command_tag, change,
       coalesce(after ->> 'grantee', before ->> 'grantee', after ->> 'role_name', before ->> 'role_name') AS who,
       after -> 'privileges' AS privileges_after
  FROM rls_audit.events WHERE id > :mark ORDER BY id;

-- membership options: INHERIT and SET are per grant on PostgreSQL 16+
-- (GRANT … WITH INHERIT FALSE / SET FALSE); before 16, INHERIT is the
-- member's attribute (ALTER ROLE … NOINHERIT) and SET is always allowed.
-- Narrowing is membership_removed, widening membership_added, each with
-- the options before and after.
SELECT max(id) AS mark FROM rls_audit.events \gset
SET client_min_messages = warning;
CREATE ROLE "r Member" LOGIN;
GRANT r_owner TO "r Member";
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 160000 THEN
        EXECUTE 'GRANT r_owner TO "r Member" WITH INHERIT FALSE';
        EXECUTE 'GRANT r_owner TO "r Member" WITH SET FALSE';
        EXECUTE 'GRANT r_owner TO "r Member" WITH INHERIT TRUE, SET TRUE';
    ELSE
        EXECUTE 'ALTER ROLE "r Member" NOINHERIT';
        EXECUTE 'ALTER ROLE "r Member" INHERIT';
    END IF;
END $$;
REVOKE r_owner FROM "r Member";
RESET client_min_messages;
SELECT change, before ->> 'inherit_option' AS inherit_before, after ->> 'inherit_option' AS inherit_after
  FROM rls_audit.events
 WHERE id > :mark AND change LIKE 'membership%'
   AND (before ->> 'inherit_option' IS DISTINCT FROM after ->> 'inherit_option')
 ORDER BY id;
SELECT count(*) = CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 2 ELSE 0 END
       AS set_option_events_as_the_version_has_them
  FROM rls_audit.events
 WHERE id > :mark AND change LIKE 'membership%' AND before IS NOT NULL AND after IS NOT NULL
   AND before ->> 'set_option' IS DISTINCT FROM after ->> 'set_option';
SELECT count(*) AS untracked FROM rls_audit.untracked_changes();
DROP ROLE "r Member";

-- what changes nothing tracked records nothing: a password, a connection
-- limit, a grant on an untracked table, a grant the table already has
SELECT max(id) AS mark FROM rls_audit.events \gset
ALTER ROLE "r App" CONNECTION LIMIT 5;
GRANT SELECT ON "Shop Ω".plain TO "r App";
GRANT SELECT ON "Shop Ω".orders TO "r App";
SELECT count(*) AS events FROM rls_audit.events WHERE id > :mark;

-- a password never reaches history: the statement is rendered instead
ALTER ROLE "r App" WITH BYPASSRLS PASSWORD 'hunter2-secret';
SELECT change, statement, statement LIKE '%hunter2%' AS leaked
  FROM rls_audit.events WHERE id > :mark ORDER BY id;
ALTER ROLE "r App" NOBYPASSRLS;

-- rolled back, or in a rolled-back subtransaction: nothing
SELECT max(id) AS mark FROM rls_audit.events \gset
BEGIN;
ALTER ROLE "r App" SUPERUSER;
ROLLBACK;
BEGIN;
GRANT r_owner TO "r App";
SAVEPOINT s;
ALTER ROLE r_reader BYPASSRLS;
ROLLBACK TO s;
COMMIT;
SELECT change, after ->> 'role_name' AS role_name, after ->> 'member' AS member
  FROM rls_audit.events WHERE id > :mark ORDER BY id;
REVOKE r_owner FROM "r App";

-- a role statement inside a function: the statement is rendered from the change
CREATE FUNCTION pg_temp.promote() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'ALTER ROLE r_reader BYPASSRLS';
END $$;
SELECT max(id) AS mark FROM rls_audit.events \gset
SELECT pg_temp.promote();
SELECT change, statement FROM rls_audit.events WHERE id > :mark ORDER BY id;
ALTER ROLE r_reader NOBYPASSRLS;

-- the freeze holds role statements too: 55000 unless a ticket is set
SET client_min_messages = warning;
SELECT rls_audit.freeze('release window');
RESET client_min_messages;
SELECT max(id) AS mark FROM rls_audit.events \gset
\set VERBOSITY sqlstate
ALTER ROLE "r App" BYPASSRLS;
GRANT r_owner TO "r App";
GRANT DELETE ON "Shop Ω".orders TO "r App";
ALTER TABLE "Shop Ω".orders OWNER TO "r App";
\set VERBOSITY default
SELECT rolbypassrls FROM pg_roles WHERE rolname = 'r App';
SELECT count(*) AS events_while_frozen FROM rls_audit.events WHERE id > :mark;
SET rls_audit.ticket = 'CHG-77';
ALTER ROLE "r App" BYPASSRLS;
RESET rls_audit.ticket;
SELECT change, ticket FROM rls_audit.events WHERE id > :mark ORDER BY id;
SET client_min_messages = warning;
SET rls_audit.ticket = 'CHG-77';
ALTER ROLE "r App" NOBYPASSRLS;
RESET rls_audit.ticket;
SELECT rls_audit.unfreeze();
RESET client_min_messages;

-- a change made in another database (roles are cluster-wide) is recorded
-- there; here it is untracked until recorded, and drift() reports it
SELECT current_database() AS here \gset
SELECT rls_audit.snapshot('before elsewhere') AS snap \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS rls_audit_regress_other;
CREATE DATABASE rls_audit_regress_other;
\c rls_audit_regress_other
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
ALTER ROLE "r App" BYPASSRLS;
GRANT r_owner TO "r App";
SELECT change FROM rls_audit.events ORDER BY id;
\c :here
RESET client_min_messages;
SELECT severity, change, attribute, baseline_value, current_value, detail
  FROM rls_audit.untracked_changes();
SELECT severity, change, attribute, baseline_value, current_value
  FROM rls_audit.drift('before elsewhere') WHERE change LIKE 'role%';
SELECT rls_audit.record_untracked('changed in rls_audit_regress_other') AS recorded;
SELECT command_tag, change, statement FROM rls_audit.events ORDER BY id DESC LIMIT 2;
SELECT count(*) AS untracked FROM rls_audit.untracked_changes();
SET client_min_messages = warning;
ALTER ROLE "r App" NOBYPASSRLS;
REVOKE r_owner FROM "r App";
DROP DATABASE rls_audit_regress_other;
RESET client_min_messages;

-- the head kept outside: check_drift() records it, report() prints it,
-- verify_log() checks it
SELECT rls_audit.check_drift('before elsewhere') AS run \gset
SELECT r.head_id = h.id AS run_has_head, r.head_hash = h.hash AS same_hash
  FROM rls_audit.drift_runs r, rls_audit.log_head() h WHERE r.id = :run;
SELECT position(h.id || ':' || h.hash IN rls_audit.report('before elsewhere')) > 0 AS report_has_head,
       rls_audit.report('before elsewhere', 'json')::jsonb #>> '{rollback,log_head,hash}' = h.hash AS json_has_head
  FROM rls_audit.log_head() h;
SELECT id || ':' || hash AS head, hash AS head_hash, id AS head_id FROM rls_audit.log_head() \gset
SELECT count(*) AS problems FROM rls_audit.verify_log(:'head');
SELECT count(*) AS problems FROM rls_audit.verify_log(:'head_hash');
\set VERBOSITY sqlstate
SELECT * FROM rls_audit.verify_log('not a head');
SELECT * FROM rls_audit.verify_log('0:' || repeat('a', 64));
\set VERBOSITY default
-- a superuser deletes the newest three events: the chain itself is intact,
-- the head names the first one gone
SET client_min_messages = warning;
SET rls_audit.ticket = 'CHG-78';
GRANT r_owner TO "r App";
REVOKE r_owner FROM "r App";
GRANT r_owner TO "r App";
RESET rls_audit.ticket;
RESET client_min_messages;
SELECT id || ':' || hash AS later_head, id AS later_id, hash AS later_hash FROM rls_audit.log_head() \gset
-- the nightly run records that head too
SELECT rls_audit.check_drift('before elsewhere') AS later_run \gset
DELETE FROM rls_audit.events WHERE id > :later_id - 3;
SELECT count(*) AS broken_links FROM rls_audit.verify_log();
SELECT event_id - :head_id AS first_gone_after_head, problem LIKE 'the chain ends at event%' AS truncated
  FROM rls_audit.verify_log(:'later_head');
-- the hash alone: its id comes from the drift run that recorded it
SELECT event_id - :head_id AS first_gone_after_head, problem LIKE 'the chain ends at event%' AS truncated
  FROM rls_audit.verify_log(:'later_hash');
SELECT count(*) AS problems FROM rls_audit.verify_log(:'head');
-- a superuser edits an older event and recomputes every later hash with
-- rls_audit's own function: the chain verifies, the kept head does not
UPDATE rls_audit.events SET statement = 'CREATE ROLE nobody;' WHERE id = :mark + 1;
DO $$
DECLARE
    r record;
    prev text;
BEGIN
    FOR r IN SELECT * FROM rls_audit.events ORDER BY id LOOP
        IF prev IS NOT NULL OR r.statement = 'CREATE ROLE nobody;' THEN
            UPDATE rls_audit.events
               SET prev_hash = coalesce(prev, r.prev_hash),
                   hash = rls_audit._event_hash(r.id, r.occurred_at, r.txid, r.session_user_name,
                       r.current_user_name, r.application_name, r.client_addr, r.command_tag,
                       r.change, r.schema_name, r.table_name, r.policy_name, r.before, r.after,
                       r.statement, r.ticket, coalesce(prev, r.prev_hash))
             WHERE id = r.id RETURNING hash INTO prev;
        END IF;
    END LOOP;
END $$;
SELECT count(*) AS broken_links FROM rls_audit.verify_log();
SELECT event_id = :head_id AS names_the_head, problem LIKE '%rewritten%' AS rewritten
  FROM rls_audit.verify_log(:'head');

-- a DBA's trigger on the tracked role and table rows: they are then
-- written through SQL, the trigger fires, and the state stays exact
CREATE TABLE public.seen (tbl text, op text);
CREATE FUNCTION public.seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.seen VALUES (TG_TABLE_NAME, TG_OP);
    RETURN NULL;
END $$;
CREATE TRIGGER seen AFTER INSERT OR UPDATE OR DELETE ON rls_audit.tracked_roles
    FOR EACH ROW EXECUTE FUNCTION public.seen();
CREATE TRIGGER seen AFTER INSERT OR UPDATE OR DELETE ON rls_audit.tracked_memberships
    FOR EACH ROW EXECUTE FUNCTION public.seen();
CREATE TRIGGER seen AFTER INSERT OR UPDATE OR DELETE ON rls_audit.tracked_tables
    FOR EACH ROW EXECUTE FUNCTION public.seen();
SET client_min_messages = warning;
SET rls_audit.ticket = 'CHG-79';
ALTER ROLE r_reader LOGIN;
GRANT r_reader TO r_owner;
GRANT UPDATE ON "Shop Ω".orders TO r_reader;
CREATE ROLE "r Gone";
DROP ROLE "r Gone";
ALTER ROLE r_reader NOLOGIN;
REVOKE r_reader FROM r_owner;
REVOKE UPDATE ON "Shop Ω".orders FROM r_reader;
RESET rls_audit.ticket;
RESET client_min_messages;
SELECT tbl, op, count(*) FROM public.seen GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS untracked FROM rls_audit.untracked_changes();
DROP TABLE public.seen CASCADE;
DROP TRIGGER seen ON rls_audit.tracked_roles;
DROP TRIGGER seen ON rls_audit.tracked_memberships;
DROP TRIGGER seen ON rls_audit.tracked_tables;
DROP FUNCTION public.seen();

SET client_min_messages = warning;
DROP SCHEMA "Shop Ω" CASCADE;
DROP ROLE "r App", r_owner, r_reader;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
