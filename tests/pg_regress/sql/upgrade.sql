-- ALTER EXTENSION rls_audit UPDATE keeps all history: install 0.1.0 from its
-- frozen script, fill every history table, update, check nothing was lost and
-- capture goes on, and that the result equals a fresh install.
SET client_min_messages = warning;
CREATE TABLE public.orders (id int, tenant_id int);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON public.orders USING (tenant_id = 1);
CREATE EXTENSION rls_audit VERSION '0.1.0';
-- history as 0.1.0 wrote it: this library writes only tables of its own
-- version, so a 0.1.0 snapshot and drift run are written here directly
INSERT INTO rls_audit.snapshot_meta (label, is_baseline, fingerprint, policy_count, table_count, role_count)
VALUES ('v0.1-baseline', true, repeat('a', 64), 1, 1, 0);
INSERT INTO rls_audit.snapshot_policies
VALUES (1, 'public', 'orders', 'tenant', 'PERMISSIVE', 'ALL', '{public}', '(tenant_id = 2)', NULL);
INSERT INTO rls_audit.snapshot_tables VALUES (1, 'public', 'orders', 'postgres', true, false);
INSERT INTO rls_audit.drift_runs (baseline_id, critical, high, medium, low, info, report)
VALUES (1, 0, 1, 0, 0, 0, '[]');
INSERT INTO rls_audit.lint_ignore (lint, object, reason) VALUES ('rls_not_forced', 'public.orders', 'owner is postgres');
-- a DBA's grant on report(): 0.3.0 replaces the function (a third
-- argument), and the grant must come along
CREATE ROLE "upg release manager";
GRANT EXECUTE ON FUNCTION rls_audit.report(text, text) TO "upg release manager" WITH GRANT OPTION;
-- verify_log() takes an argument in 0.3.0 too
GRANT EXECUTE ON FUNCTION rls_audit.verify_log() TO "upg release manager";
RESET client_min_messages;
-- between the package upgrade and ALTER EXTENSION UPDATE: nothing is let
-- through unrecorded, and the error says what to run
\set VERBOSITY sqlstate
ALTER POLICY tenant ON public.orders USING (tenant_id = 3);
SELECT rls_audit.snapshot('too early');
\set VERBOSITY default
SELECT rls_audit.snapshot('too early');
SELECT pg_get_expr(polqual, polrelid) AS using_unchanged FROM pg_policy WHERE polname = 'tenant';
SET client_min_messages = warning;
-- the freeze and its event need nothing new
SELECT rls_audit.freeze('upgrade window');
RESET client_min_messages;
SELECT extversion FROM pg_extension WHERE extname = 'rls_audit';
CREATE TEMP TABLE before_update AS
SELECT (SELECT count(*) FROM rls_audit.snapshots) AS snapshots,
       (SELECT count(*) FROM rls_audit.snapshot_policies) AS snapshot_policies,
       (SELECT string_agg(hash, ',' ORDER BY id) FROM rls_audit.events) AS event_hashes,
       (SELECT count(*) FROM rls_audit.drift_runs) AS drift_runs,
       (SELECT count(*) FROM rls_audit.lint_ignore) AS suppressions,
       (SELECT count(*) FROM rls_audit.freeze_state) AS frozen,
       (SELECT count(*) FROM rls_audit.tracked_policies) AS tracked;

ALTER EXTENSION rls_audit UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'rls_audit';
SELECT b.snapshots = (SELECT count(*) FROM rls_audit.snapshots) AS snapshots_kept,
       b.snapshot_policies = (SELECT count(*) FROM rls_audit.snapshot_policies) AS contents_kept,
       b.event_hashes = (SELECT string_agg(hash, ',' ORDER BY id) FROM rls_audit.events) AS events_kept,
       b.drift_runs = (SELECT count(*) FROM rls_audit.drift_runs) AS drift_runs_kept,
       b.suppressions = (SELECT count(*) FROM rls_audit.lint_ignore) AS suppressions_kept,
       b.frozen = (SELECT count(*) FROM rls_audit.freeze_state) AS freeze_kept,
       b.tracked = (SELECT count(*) FROM rls_audit.tracked_policies) AS tracked_kept
  FROM before_update b;
SELECT count(*) AS broken_links FROM rls_audit.verify_log();
-- report() has its new signature, the DBA's grant (with its grant option)
-- and still nothing for PUBLIC
SELECT has_function_privilege('upg release manager', 'rls_audit.report(text, text, text[])', 'EXECUTE WITH GRANT OPTION') AS grant_kept,
       has_function_privilege('public', 'rls_audit.report(text, text, text[])', 'EXECUTE') AS public_may,
       to_regprocedure('rls_audit.report(text, text)') IS NULL AS old_signature_gone,
       has_function_privilege('upg release manager', 'rls_audit.verify_log(text)', 'EXECUTE') AS verify_log_grant_kept,
       to_regprocedure('rls_audit.verify_log()') IS NULL AS old_verify_log_gone;
-- the tracked rows are bound to this database, nothing shows as untracked,
-- and the 0.1.0 spelling of a suppression still silences its finding
SELECT count(*) FILTER (WHERE db_ident IS NULL) AS unbound_policies,
       count(*) FILTER (WHERE tree IS NULL) AS without_tree
  FROM rls_audit.tracked_policies;
SELECT count(*) AS untracked FROM rls_audit.untracked_changes();
SELECT lint, object_name, reason FROM rls_audit.lint_suppressed();
-- capture goes on (a ticketed change: the freeze survived the update too)
SET rls_audit.ticket = 'CHG-upgrade';
DROP POLICY tenant ON public.orders;
RESET rls_audit.ticket;
SELECT change, policy_name, ticket FROM rls_audit.events ORDER BY id DESC LIMIT 1;
SELECT count(*) AS broken_links FROM rls_audit.verify_log();
SELECT count(*) AS drift_rows FROM rls_audit.drift('v0.1-baseline') WHERE change NOT LIKE 'role%';
-- a snapshot taken before 0.3.0 keeps no access facts: its access drift is
-- one "unknown" info row, never a row per table
SELECT severity, change, baseline_value, detail
  FROM rls_audit.drift('v0.1-baseline') WHERE change LIKE 'access%';
SELECT count(*) AS not_info FROM rls_audit.drift('v0.1-baseline')
 WHERE change LIKE 'access%' AND severity <> 'info';

-- the updated extension has exactly the objects of a fresh install
CREATE TEMP TABLE updated_members AS
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'rls_audit');
CREATE TEMP TABLE updated_indexes AS
SELECT indexrelid::regclass::text AS idx FROM pg_index WHERE indrelid::regclass::text LIKE 'rls_audit.%';
CREATE TEMP TABLE updated_functions AS
SELECT p.oid::regprocedure::text AS fn, p.prosrc, p.proconfig::text AS config, p.prosecdef,
       p.provolatile, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p WHERE p.pronamespace = 'rls_audit'::regnamespace;
CREATE TEMP TABLE updated_columns AS
SELECT a.attrelid::regclass::text AS tbl, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_value
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)
 WHERE a.attrelid::regclass::text LIKE 'rls_audit.%' AND a.attnum > 0 AND NOT a.attisdropped;
SET client_min_messages = warning;
SELECT rls_audit.unfreeze();
DROP EXTENSION rls_audit;
CREATE EXTENSION rls_audit;
RESET client_min_messages;
SELECT 'only after update' AS side, member FROM (TABLE updated_members EXCEPT
       SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
        WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
          AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'rls_audit')) a
UNION ALL
SELECT 'only when fresh', member FROM (SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
        WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
          AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'rls_audit')
       EXCEPT TABLE updated_members) b(member);
SELECT idx FROM (SELECT indexrelid::regclass::text AS idx FROM pg_index
                  WHERE indrelid::regclass::text LIKE 'rls_audit.%'
                 EXCEPT TABLE updated_indexes) x;
SELECT count(*) AS updated_indexes FROM updated_indexes WHERE idx = 'rls_audit.events_occurred_at';
-- the same function bodies, settings, rights and comments
SELECT 'only after update' AS side, fn FROM (TABLE updated_functions EXCEPT
       SELECT p.oid::regprocedure::text, p.prosrc, p.proconfig::text, p.prosecdef, p.provolatile,
              obj_description(p.oid, 'pg_proc')
         FROM pg_proc p WHERE p.pronamespace = 'rls_audit'::regnamespace) x
UNION ALL
SELECT 'only when fresh', fn FROM (SELECT p.oid::regprocedure::text AS fn, p.prosrc, p.proconfig::text,
              p.prosecdef, p.provolatile, obj_description(p.oid, 'pg_proc')
         FROM pg_proc p WHERE p.pronamespace = 'rls_audit'::regnamespace
       EXCEPT TABLE updated_functions) y;
-- the same columns, in the same order, with the same types and defaults
SELECT 'only after update' AS side, * FROM (TABLE updated_columns EXCEPT
       SELECT a.attrelid::regclass::text, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
              a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)
        WHERE a.attrelid::regclass::text LIKE 'rls_audit.%' AND a.attnum > 0 AND NOT a.attisdropped) x
UNION ALL
SELECT 'only when fresh', * FROM (SELECT a.attrelid::regclass::text, a.attnum, a.attname,
              format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)
        WHERE a.attrelid::regclass::text LIKE 'rls_audit.%' AND a.attnum > 0 AND NOT a.attisdropped
       EXCEPT TABLE updated_columns) y;

SET client_min_messages = warning;
DROP TABLE public.orders;
DROP EXTENSION rls_audit;
DROP ROLE "upg release manager";
DROP SCHEMA rls_audit;
