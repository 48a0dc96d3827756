-- rls_audit finalize: what \df+ rls_audit.* shows, and who may call what.

COMMENT ON FUNCTION rls_audit.snapshot(text, text, boolean) IS
    'rls_audit: capture every policy, table RLS flag and role attribute in one consistent read; returns the snapshot id. The first snapshot becomes the baseline.';
COMMENT ON FUNCTION rls_audit.set_baseline(text) IS
    'rls_audit: make the referenced snapshot (label, ''baseline'', ''latest'' or id) the baseline; returns its id';
COMMENT ON FUNCTION rls_audit.forget(text) IS
    'rls_audit: delete a snapshot; the baseline cannot be forgotten (set another first)';
COMMENT ON FUNCTION rls_audit.policy_ddl(regclass, name) IS
    'rls_audit: the exact CREATE POLICY statement for a live policy, schema-qualified so it means the same under any search_path';

COMMENT ON FUNCTION rls_audit.drift(text, text) IS
    'rls_audit: what changed in RLS between a snapshot and another snapshot, or the live state when target is NULL; one row per change, most severe first';
COMMENT ON FUNCTION rls_audit.assert_no_drift(text, text) IS
    'rls_audit: raise SQLSTATE P0001 listing the drift at or above min_severity since the baseline; for CI and psql -v ON_ERROR_STOP=1 migration scripts';
COMMENT ON FUNCTION rls_audit.check_drift(text) IS
    'rls_audit: for pg_cron: record a drift run (with the event log''s head) in rls_audit.drift_runs, NOTIFY rls_audit with a JSON summary, WARNING on high or critical drift; returns the run id';
COMMENT ON FUNCTION rls_audit.restore_script(text) IS
    'rls_audit: one BEGIN; ... COMMIT; script that turns the live policies and table RLS flags back into the snapshot''s';
COMMENT ON FUNCTION rls_audit.restore(text) IS
    'rls_audit: run the restore_script() statements in the caller''s transaction, with the caller''s rights; returns how many ran';

COMMENT ON FUNCTION rls_audit.verify_isolation(name, text, name, regclass[], text[], boolean) IS
    'rls_audit: prove fail-closed tenant isolation on live data by acting as role with setting unset, empty and set to each tenant; every probe is rolled back; returns PASS/FAIL/SKIP/ERROR per check';
COMMENT ON FUNCTION rls_audit.probe(name, regclass, jsonb) IS
    'rls_audit: what role sees in a table with these settings: outcome rows, no_rows, denied or error (rolled back, caller state untouched)';

COMMENT ON FUNCTION rls_audit.lint(text[]) IS
    'rls_audit: the RLS posture''s known mistakes (18 lints) with severity, detail and a concrete remediation; NULL schemas = every non-system schema; suppressed findings are left out';
COMMENT ON FUNCTION rls_audit.lint_suppressed(text[]) IS
    'rls_audit: the findings silenced by rls_audit.lint_ignore, with the reason, who added it and when';

-- access_matrix(): the SPEC's signature (roles name[]) over the C half.
-- SECURITY DEFINER like the other readers, so EXECUTE on it is the one
-- door (the catalog reads are the same for any caller).
CREATE FUNCTION rls_audit.access_matrix(roles name[] DEFAULT NULL, schemas text[] DEFAULT NULL)
RETURNS TABLE (role_name name, schema_name name, table_name name, command text,
               access text, via text, detail text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS 'SELECT * FROM rls_audit._access_matrix($1::text[], $2)';
COMMENT ON FUNCTION rls_audit.access_matrix(name[], text[]) IS
    'rls_audit: who reaches which rows: role x table x command -> denied, no_rows, filtered or all_rows, with the widest path (grant, owner, bypassrls, SET ROLE, view, materialized view, partition, SECURITY DEFINER function) in via and the filtering policies or the reason in detail; NULL roles = login roles that are not superusers';
COMMENT ON FUNCTION rls_audit._access_matrix(text[], text[]) IS
    'rls_audit internal: the C half of access_matrix()';

COMMENT ON FUNCTION rls_audit._capture_ddl() IS
    'rls_audit internal: ddl_command_end event trigger (every tag): compares the objects a DDL touched, and the policies depending on them, with the tracked state and logs the difference';
COMMENT ON FUNCTION rls_audit._capture_drop() IS
    'rls_audit internal: sql_drop event trigger (every tag): logs the policies and tracked tables a DDL removed (DROP ... CASCADE of a function, type or column included), with their full definitions';
COMMENT ON FUNCTION rls_audit._guard_drop() IS
    'rls_audit internal: ddl_command_start event trigger: while RLS changes are frozen, DROP EXTENSION rls_audit (or DROP SCHEMA rls_audit) needs the ticket too';
COMMENT ON FUNCTION rls_audit._write_statements(name, text[], text, text[], text, text, text, text[], regclass, name, text, text[]) IS
    'rls_audit internal: the write probes'' statements on their shadow table, each as the role with one tenant''s settings in a rolled-back subtransaction, each kind planned once';
COMMENT ON FUNCTION rls_audit._arm_freeze_guard() IS
    'rls_audit internal: creates (or puts back) the triggers of rls_audit.freeze_state that refuse any writer but freeze() and unfreeze(); run by the extension scripts and by every freeze()';
COMMENT ON FUNCTION rls_audit._guard_freeze_state() IS
    'rls_audit internal: trigger of rls_audit.freeze_state; refuses UPDATE, DELETE and TRUNCATE other than freeze() and unfreeze(), which record the change';
COMMENT ON FUNCTION rls_audit._shadow_count() IS
    'rls_audit internal: AFTER ROW trigger of the write-probe shadow table; counts the rows of other tenants a probe statement touched';
COMMENT ON FUNCTION rls_audit._copy_row_triggers(regclass, regclass) IS
    'rls_audit internal: copies a table''s enabled row triggers onto the write probes'' shadow table, so they do to the probes what they do to the application';
COMMENT ON FUNCTION rls_audit._seed_tracked() IS
    'rls_audit internal: make the tracked state the live one (run by CREATE EXTENSION)';
COMMENT ON FUNCTION rls_audit.untracked_changes() IS
    'rls_audit: the differences between the live catalog and the tracked state (changes made while the event triggers or the role hook did not fire: policies, RLS flags, roles, memberships, table owners and grants), as drift rows';
COMMENT ON FUNCTION rls_audit.record_untracked(text) IS
    'rls_audit: write one UNTRACKED event per untracked change so the log matches the catalog again; returns how many';
COMMENT ON FUNCTION rls_audit.freeze(text) IS
    'rls_audit: freeze RLS changes: any captured change fails with SQLSTATE 55000 naming the reason unless rls_audit.ticket is set';
COMMENT ON FUNCTION rls_audit.unfreeze() IS
    'rls_audit: end a freeze';
COMMENT ON FUNCTION rls_audit.verify_log(text) IS
    'rls_audit: walk the event hash chain; one row per broken link (edited, deleted or inserted event), none when intact; given a head kept elsewhere (a hash, or id:hash from log_head()), also a row unless the chain still reaches it';
COMMENT ON FUNCTION rls_audit.log_head() IS
    'rls_audit: the newest event''s id and hash: keep it outside the database (with the server log''s rls_audit event lines) and check it later with verify_log(''id:hash'')';
COMMENT ON FUNCTION rls_audit._seed_access() IS
    'rls_audit internal: make the tracked roles, memberships, table owners and grants the live ones (run by ALTER EXTENSION UPDATE from 0.2.0)';

COMMENT ON FUNCTION rls_audit.lint_sarif(text[]) IS
    'rls_audit: lint() as a SARIF 2.1.0 log for code scanning: one rule per lint, one result per finding (level from severity, logical location, stable partialFingerprints), suppressed findings with their reason';
COMMENT ON FUNCTION rls_audit.lint_junit(text[]) IS
    'rls_audit: lint() as JUnit XML: one testsuite per lint, one failing testcase per open finding (type = severity), suppressed findings skipped with their reason, a passing testcase for a clean lint';
COMMENT ON FUNCTION rls_audit.verify_isolation_junit(name, text, name, regclass[], text[], boolean) IS
    'rls_audit: verify_isolation() as JUnit XML: one testsuite per table (role-level checks under the role), one testcase per check and tenant; FAIL is a failure, SKIP skipped, ERROR an error: a check that could not run never passes';
COMMENT ON FUNCTION rls_audit.export(text) IS
    'rls_audit: a snapshot as a canonical, versioned JSON document (format, format_version, extension and server version, fingerprint, access_fingerprint, state, access); equal states export equal bytes; keep it in git and import() it elsewhere';
COMMENT ON FUNCTION rls_audit.import(jsonb, text) IS
    'rls_audit: store an export() document as a snapshot with this label after checking its format and that its content hashes to its fingerprints (22023 otherwise, nothing stored); compared with the live state by names; returns the snapshot id';
COMMENT ON FUNCTION rls_audit.assert_fingerprint(text) IS
    'rls_audit: ERROR 55000 naming both fingerprints unless the live RLS state (policies, RLS flags, roles) has this fingerprint; restore_script() calls it first';
COMMENT ON FUNCTION rls_audit.report(text, text, text[]) IS
    'rls_audit: the release validation checklist (A pre-execution, B verification, C security scan with who reaches every row, D rollback, sign-off) filled in from the live database, with a GO / NO-GO verdict; format markdown or json; roles: whose all_rows access to list (NULL = login roles that are not superusers)';

-- Writers run with the extension owner's rights; only roles the DBA grants
-- EXECUTE to may call them.
REVOKE ALL ON FUNCTION rls_audit.snapshot(text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.set_baseline(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.forget(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.check_drift(text) FROM PUBLIC;
-- Readers of history: SECURITY DEFINER too, so EXECUTE is the one door.
REVOKE ALL ON FUNCTION rls_audit.drift(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.assert_no_drift(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.restore_script(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.restore(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.lint(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.lint_suppressed(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit._seed_tracked() FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit._capture_ddl() FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit._capture_drop() FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit._guard_drop() FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit._guard_freeze_state() FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit._arm_freeze_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.untracked_changes() FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.record_untracked(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.freeze(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.unfreeze() FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.verify_log(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.log_head() FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit._seed_access() FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.report(text, text, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.export(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.lint_sarif(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.lint_junit(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.import(jsonb, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit.access_matrix(name[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION rls_audit._access_matrix(text[], text[]) FROM PUBLIC;

-- The tracked state starts as the live state: installing into a database
-- that already has policies leaves nothing untracked.
SELECT rls_audit._seed_tracked();

-- The freeze changes through freeze() and unfreeze() only (they record it):
-- a superuser's UPDATE, DELETE or TRUNCATE of the row is refused, in
-- replica mode too. (An INSERT only freezes; pg_dump's copy comes back so.)
SELECT rls_audit._arm_freeze_guard();

-- Capture: every tag. A policy can change or disappear through any DDL that
-- touches what it depends on (DROP FUNCTION ... CASCADE, ALTER TABLE ...
-- RENAME COLUMN, ALTER SCHEMA ... RENAME). A DDL that touches nothing
-- tracked costs one read of pg_event_trigger_ddl_commands(). Created last,
-- after the seed: from here on every change is an event.
CREATE EVENT TRIGGER rls_audit_ddl ON ddl_command_end
    EXECUTE FUNCTION rls_audit._capture_ddl();
CREATE EVENT TRIGGER rls_audit_drop ON sql_drop
    EXECUTE FUNCTION rls_audit._capture_drop();
-- At the start of DROP EXTENSION / DROP SCHEMA: a freeze holds rls_audit too.
CREATE EVENT TRIGGER rls_audit_guard ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA')
    EXECUTE FUNCTION rls_audit._guard_drop();
