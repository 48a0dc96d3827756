-- rls_audit bootstrap: history tables, views and their privileges.
-- CREATE EXTENSION has already created the schema named in the control file.

-- rls_audit reads and writes every name, expression and label as UTF-8
-- (pgrx converts text only in a UTF8 or SQL_ASCII database; elsewhere it
-- refuses any character outside ASCII, so the first policy, schema or label
-- named "Größe" would make capture, snapshot() and lint() fail). Refuse the
-- install up front instead, with nothing created.
DO $rls_audit_encoding$
BEGIN
    IF pg_catalog.getdatabaseencoding() NOT IN ('UTF8', 'SQL_ASCII') THEN
        RAISE EXCEPTION USING
            ERRCODE = '0A000',
            MESSAGE = pg_catalog.format('rls_audit needs a UTF8 database: %I uses %s',
                                        pg_catalog.current_database(), pg_catalog.getdatabaseencoding()),
            DETAIL = 'rls_audit reads and compares names, expressions and labels as UTF-8.',
            HINT = 'Install it in a database created WITH ENCODING ''UTF8'' (pg_dump and pg_restore move the data there).';
    END IF;
END
$rls_audit_encoding$;

-- One row per snapshot. The content lives in the three snapshot_* tables.
CREATE TABLE rls_audit.snapshot_meta (
    id           bigserial PRIMARY KEY,
    label        text UNIQUE,
    taken_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- session_user, not current_user: the writers are SECURITY DEFINER
    taken_by     name NOT NULL DEFAULT session_user,
    note         text,
    is_baseline  boolean NOT NULL DEFAULT false,
    fingerprint  text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    policy_count integer NOT NULL,
    table_count  integer NOT NULL,
    role_count   integer NOT NULL,
    -- 0.3.0: the database whose OIDs the content rows carry (system
    -- identifier/database OID); drift follows objects by OID only there
    db_ident     text
);
-- at most one baseline at any time
CREATE UNIQUE INDEX snapshot_meta_one_baseline
    ON rls_audit.snapshot_meta (is_baseline) WHERE is_baseline;

CREATE TABLE rls_audit.snapshot_policies (
    snapshot_id bigint NOT NULL REFERENCES rls_audit.snapshot_meta (id) ON DELETE CASCADE,
    schema_name name NOT NULL,
    table_name  name NOT NULL,
    policy_name name NOT NULL,
    permissive  text NOT NULL CHECK (permissive IN ('PERMISSIVE', 'RESTRICTIVE')),
    command     text NOT NULL CHECK (command IN ('ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE')),
    roles       name[] NOT NULL,
    using_expr  text,
    check_expr  text,
    -- 0.3.0: identity (see snapshot_meta.db_ident) and what the policy
    -- stores: digests of its expression trees, role OIDs
    policy_oid  oid,
    table_oid   oid,
    tree        text,
    role_oids   oid[],
    PRIMARY KEY (snapshot_id, schema_name, table_name, policy_name)
);

CREATE TABLE rls_audit.snapshot_tables (
    snapshot_id bigint NOT NULL REFERENCES rls_audit.snapshot_meta (id) ON DELETE CASCADE,
    schema_name name NOT NULL,
    table_name  name NOT NULL,
    owner       name NOT NULL,
    rls_enabled boolean NOT NULL,
    rls_forced  boolean NOT NULL,
    table_oid   oid,
    PRIMARY KEY (snapshot_id, schema_name, table_name)
);

CREATE TABLE rls_audit.snapshot_roles (
    snapshot_id bigint NOT NULL REFERENCES rls_audit.snapshot_meta (id) ON DELETE CASCADE,
    role_name   name NOT NULL,
    superuser   boolean NOT NULL,
    bypassrls   boolean NOT NULL,
    can_login   boolean NOT NULL,
    role_oid    oid,
    PRIMARY KEY (snapshot_id, role_name)
);

-- 0.3.0: the access model's facts of a snapshot (roles, memberships,
-- schema USAGE, relations with grants and paths, SECURITY DEFINER
-- functions) as one canonical JSON document; snapshots without a row were
-- taken before 0.3.0 and their access drift is "unknown".
CREATE TABLE rls_audit.snapshot_access (
    snapshot_id bigint PRIMARY KEY REFERENCES rls_audit.snapshot_meta (id) ON DELETE CASCADE,
    -- json, not jsonb: written once and read whole by rls_audit, and
    -- json is kept as written (jsonb_in would build the whole document as
    -- a tree first: over 100 MiB for 10 000 tables' grants)
    facts       json NOT NULL
);

-- One row per check_drift() run (the nightly pg_cron job).
CREATE TABLE rls_audit.drift_runs (
    id          bigserial PRIMARY KEY,
    run_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- the baseline may later be forgotten; the run and its report stay
    baseline_id bigint REFERENCES rls_audit.snapshot_meta (id) ON DELETE SET NULL,
    critical    integer NOT NULL,
    high        integer NOT NULL,
    medium      integer NOT NULL,
    low         integer NOT NULL,
    info        integer NOT NULL,
    report      jsonb NOT NULL,
    -- 0.3.0: the event log's head when the run was made (log_head()), so
    -- a later rewrite or truncation of the chain shows against it
    head_id     bigint,
    head_hash   text
);

-- Reviewed lint findings: each row silences exactly one finding, and keeps
-- who decided it, when and why.
CREATE TABLE rls_audit.lint_ignore (
    lint     text NOT NULL CHECK (lint IN (
                 'rls_disabled', 'policy_exists_rls_disabled', 'rls_enabled_no_policy',
                 'rls_not_forced', 'policy_always_true', 'policy_to_public',
                 'multiple_permissive_policies', 'bypassrls_role', 'security_definer_search_path',
                 'view_bypasses_rls', 'policy_per_row_function',
                 'current_setting_without_missing_ok', 'materialized_view_exposes_rls',
                 'role_can_bypass_rls', 'member_of_table_owner', 'security_definer_exposes_rls',
                 'restrictive_only', 'write_policy_unconditional')),
    -- the finding's object_name as lint() prints it (roles: the role name);
    -- the older spelling schema.object_name keeps working
    object   text NOT NULL,
    reason   text NOT NULL CHECK (pg_catalog.btrim(reason) <> ''),
    added_by name NOT NULL DEFAULT session_user,
    added_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- 0.3.0: the finding's schema; NULL matches the object in any schema
    schema_name name
);
CREATE UNIQUE INDEX lint_ignore_one_row
    ON rls_audit.lint_ignore (lint, object, (coalesce(schema_name, ''::name)));

-- The tracked state: what rls_audit last saw of every policy and of every
-- table whose RLS is enabled or that has policies. Names are the key (they
-- survive pg_dump); OIDs follow renames, but only in the database named by
-- db_ident (system identifier/database OID): rows restored into another
-- database are matched by name until the restore recreates their objects.
CREATE TABLE rls_audit.tracked_policies (
    policy_oid  oid NOT NULL,
    table_oid   oid NOT NULL,
    schema_name name NOT NULL,
    table_name  name NOT NULL,
    policy_name name NOT NULL,
    permissive  text NOT NULL,
    command     text NOT NULL,
    roles       name[] NOT NULL,
    using_expr  text,
    check_expr  text,
    db_ident    text,
    -- what decides "changed": digests of the expression trees, and the role
    -- OIDs (renaming what they reference changes only the text above)
    tree        text,
    role_oids   oid[],
    PRIMARY KEY (schema_name, table_name, policy_name)
);
CREATE INDEX tracked_policies_oid ON rls_audit.tracked_policies (policy_oid);

CREATE TABLE rls_audit.tracked_tables (
    table_oid   oid NOT NULL,
    schema_oid  oid NOT NULL,
    schema_name name NOT NULL,
    table_name  name NOT NULL,
    rls_enabled boolean NOT NULL,
    rls_forced  boolean NOT NULL,
    db_ident    text,
    -- 0.3.0: who owns the table and what others were granted on it
    -- ([{grantee, grantee_oid, privileges}], privileges as GRANT spells
    -- them: SELECT, UPDATE (col), … WITH GRANT OPTION); role OIDs are
    -- compared within the cluster of db_ident
    owner       name,
    owner_oid   oid,
    grants      jsonb,
    PRIMARY KEY (schema_name, table_name)
);
CREATE INDEX tracked_tables_oid ON rls_audit.tracked_tables (table_oid);
CREATE INDEX tracked_tables_schema ON rls_audit.tracked_tables (schema_oid);

-- 0.3.0: the roles and memberships rls_audit last saw. PostgreSQL has no
-- event triggers for role statements: with rls_audit preloaded a
-- ProcessUtility hook keeps these; untracked_changes() compares them with
-- the catalog either way. Role OIDs are cluster-wide: they are followed
-- only in the cluster named by cluster_ident (its system identifier).
CREATE TABLE rls_audit.tracked_roles (
    role_oid      oid NOT NULL,
    role_name     name NOT NULL,
    superuser     boolean NOT NULL,
    bypassrls     boolean NOT NULL,
    can_login     boolean NOT NULL,
    cluster_ident text,
    PRIMARY KEY (role_name)
);
CREATE INDEX tracked_roles_oid ON rls_audit.tracked_roles (role_oid);

CREATE TABLE rls_audit.tracked_memberships (
    role_oid       oid NOT NULL,
    member_oid     oid NOT NULL,
    role_name      name NOT NULL,
    member_name    name NOT NULL,
    admin_option   boolean NOT NULL,
    inherit_option boolean NOT NULL,
    set_option     boolean NOT NULL,
    cluster_ident  text,
    PRIMARY KEY (role_name, member_name)
);

-- The change log. Each row's hash covers its content and the previous
-- row's hash (rls_audit._event_hash), so an edited, deleted or inserted row
-- breaks the chain that verify_log() walks.
CREATE SEQUENCE rls_audit.events_id_seq;
CREATE TABLE rls_audit.events (
    id                bigint PRIMARY KEY,
    occurred_at       timestamptz NOT NULL,
    txid              bigint NOT NULL,
    session_user_name name NOT NULL,
    current_user_name name NOT NULL,
    application_name  text,
    client_addr       inet,
    command_tag       text NOT NULL,
    change            text NOT NULL CHECK (change IN (
        'policy_added', 'policy_removed', 'policy_changed', 'rls_enabled', 'rls_disabled',
        'rls_forced', 'rls_unforced', 'table_added', 'table_removed', 'role_added',
        'role_removed', 'role_changed', 'renamed', 'access_widened', 'access_narrowed',
        'frozen', 'unfrozen', 'membership_added', 'membership_removed', 'grant_added',
        'grant_removed', 'owner_changed')),
    schema_name       name,
    table_name        name,
    policy_name       name,
    before            jsonb,
    after             jsonb,
    statement         text,
    ticket            text,
    prev_hash         text,
    hash              text NOT NULL
);
ALTER SEQUENCE rls_audit.events_id_seq OWNED BY rls_audit.events.id;
-- 0.2.0: report() and reviews read "events since the baseline" by time
CREATE INDEX events_occurred_at ON rls_audit.events (occurred_at);

-- At most one row: present while RLS changes are frozen.
CREATE TABLE rls_audit.freeze_state (
    reason    text NOT NULL,
    frozen_by name NOT NULL,
    frozen_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE UNIQUE INDEX freeze_state_one_row ON rls_audit.freeze_state ((true));

CREATE VIEW rls_audit.snapshots AS
SELECT id, label, taken_at, taken_by, note, is_baseline,
       policy_count AS policies, table_count AS tables, fingerprint
  FROM rls_audit.snapshot_meta;

-- pg_dump carries the history (and the sequence position) with the database.
SELECT pg_catalog.pg_extension_config_dump('rls_audit.snapshot_meta', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.snapshot_meta_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.snapshot_policies', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.snapshot_tables', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.snapshot_roles', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.snapshot_access', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.drift_runs', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.drift_runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.lint_ignore', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.tracked_policies', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.tracked_tables', '');
-- roles are the cluster's, not the database's: a restored database reads
-- them from the cluster it lands in (CREATE EXTENSION seeds them there, so
-- rows carried along would collide with that seed); pg_dump carries none
SELECT pg_catalog.pg_extension_config_dump('rls_audit.tracked_roles', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.tracked_memberships', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.events', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('rls_audit.freeze_state', '');

-- History is written only by rls_audit's SECURITY DEFINER functions.
REVOKE ALL ON rls_audit.snapshot_meta, rls_audit.snapshot_policies,
              rls_audit.snapshot_tables, rls_audit.snapshot_roles, rls_audit.snapshot_access,
              rls_audit.drift_runs, rls_audit.lint_ignore, rls_audit.snapshots,
              rls_audit.tracked_policies, rls_audit.tracked_tables, rls_audit.tracked_roles,
              rls_audit.tracked_memberships, rls_audit.events, rls_audit.freeze_state FROM PUBLIC;
REVOKE ALL ON SEQUENCE rls_audit.snapshot_meta_id_seq, rls_audit.drift_runs_id_seq,
                       rls_audit.events_id_seq FROM PUBLIC;

COMMENT ON TABLE rls_audit.snapshot_meta IS
    'rls_audit: one row per snapshot (read it through the rls_audit.snapshots view)';
COMMENT ON TABLE rls_audit.snapshot_policies IS
    'rls_audit: every policy as it was when the snapshot was taken; expressions are schema-qualified pg_get_expr text';
COMMENT ON TABLE rls_audit.snapshot_tables IS
    'rls_audit: every ordinary and partitioned table with its owner and RLS flags at snapshot time';
COMMENT ON TABLE rls_audit.snapshot_roles IS
    'rls_audit: every role''s superuser, bypassrls and login attributes at snapshot time';
COMMENT ON TABLE rls_audit.snapshot_access IS
    'rls_audit: the access model''s facts at snapshot time (memberships, grants, owners, views, materialized views, partitions, SECURITY DEFINER functions) as one json document; none for snapshots taken before 0.3.0';
COMMENT ON TABLE rls_audit.drift_runs IS
    'rls_audit: one row per check_drift() run: counts per severity and the drift rows as jsonb';
COMMENT ON TABLE rls_audit.lint_ignore IS
    'rls_audit: reviewed lint findings; a row (lint, object, reason) silences exactly that finding in lint()';
COMMENT ON TABLE rls_audit.tracked_policies IS
    'rls_audit: the tracked state of every policy, kept by the event triggers (the "before" of the next event)';
COMMENT ON TABLE rls_audit.tracked_tables IS
    'rls_audit: the tracked RLS flags, owner and grants of every table that has RLS enabled or has policies';
COMMENT ON TABLE rls_audit.tracked_roles IS
    'rls_audit: the tracked superuser, bypassrls and login attributes of every role (kept by the role hook when rls_audit is preloaded; compared by untracked_changes())';
COMMENT ON TABLE rls_audit.tracked_memberships IS
    'rls_audit: the tracked role memberships with their admin, inherit and set options (kept by the role hook when rls_audit is preloaded; compared by untracked_changes())';
COMMENT ON TABLE rls_audit.events IS
    'rls_audit: one row per captured RLS change, with who, what, before/after definitions, the statement and a hash chain';
COMMENT ON TABLE rls_audit.freeze_state IS
    'rls_audit: one row while RLS changes are frozen (rls_audit.freeze / unfreeze)';
COMMENT ON VIEW rls_audit.snapshots IS
    'rls_audit: the snapshot list; fingerprint is a SHA-256 of the canonical state, equal for equal states';
