-- The peer comparison's schema (benches/peer.sh): one object per known RLS
-- defect, each named dNN_<defect> (roles peer_dNN_...), plus d00, a table
-- built the way the README recommends, that no tool should flag. Run as a
-- superuser in an empty database; roles are cluster-wide and prefixed
-- peer_, and are dropped and re-created here.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS peer CASCADE;
\ir defects_drop_roles.sql

CREATE ROLE peer_owner NOLOGIN;             -- owns the tables: not a login
CREATE ROLE peer_app NOLOGIN;               -- the application role the policies name
CREATE ROLE peer_web LOGIN IN ROLE peer_app; -- the service logs in as this
CREATE SCHEMA peer AUTHORIZATION peer_owner;
GRANT USAGE ON SCHEMA peer TO peer_app;
SET ROLE peer_owner;

-- a well-built tenant table: ENABLE + FORCE, one policy TO the app role
-- with USING and WITH CHECK (the setting read once per statement), owned by
-- a non-login role, the tenant column indexed
CREATE FUNCTION pg_temp.tenant_table(t text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE format('CREATE TABLE peer.%I (id bigint PRIMARY KEY, tenant_id int NOT NULL, body text)', t);
    EXECUTE format('CREATE INDEX ON peer.%I (tenant_id)', t);
    EXECUTE format('ALTER TABLE peer.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON peer.%I TO peer_app
        USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int))
        WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int))$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON peer.%I TO peer_app', t);
END $f$;

SELECT FROM pg_temp.tenant_table('d00_well_built');
CREATE VIEW peer.d00_well_built_v WITH (security_invoker = true) AS
    SELECT id, tenant_id, body FROM peer.d00_well_built;
GRANT SELECT ON peer.d00_well_built_v TO peer_app;

-- d01: the app may read it and RLS is off
CREATE TABLE peer.d01_rls_disabled (id bigint PRIMARY KEY, tenant_id int NOT NULL);
GRANT SELECT ON peer.d01_rls_disabled TO peer_app;

-- d02: a policy that does nothing: RLS is not enabled
CREATE TABLE peer.d02_policy_exists_rls_disabled (id bigint PRIMARY KEY, tenant_id int NOT NULL);
CREATE INDEX ON peer.d02_policy_exists_rls_disabled (tenant_id);
CREATE POLICY tenant_isolation ON peer.d02_policy_exists_rls_disabled TO peer_app
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int));
GRANT SELECT ON peer.d02_policy_exists_rls_disabled TO peer_app;

-- d03: RLS on, no policy, and the app holds a grant (every query sees nothing)
CREATE TABLE peer.d03_rls_enabled_no_policy (id bigint PRIMARY KEY, tenant_id int NOT NULL);
ALTER TABLE peer.d03_rls_enabled_no_policy ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT ON peer.d03_rls_enabled_no_policy TO peer_app;

-- d04: not forced (the owner skips the policies)
SELECT FROM pg_temp.tenant_table('d04_rls_not_forced');
ALTER TABLE peer.d04_rls_not_forced NO FORCE ROW LEVEL SECURITY;

-- d05: a policy that is constantly true
SELECT FROM pg_temp.tenant_table('d05_policy_always_true');
DROP POLICY tenant_isolation ON peer.d05_policy_always_true;
CREATE POLICY everyone ON peer.d05_policy_always_true TO peer_app USING (true) WITH CHECK (true);

-- d06: a permissive policy for PUBLIC (no TO clause)
SELECT FROM pg_temp.tenant_table('d06_policy_to_public');
DROP POLICY tenant_isolation ON peer.d06_policy_to_public;
CREATE POLICY tenant_isolation ON peer.d06_policy_to_public
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int));

-- d07: two permissive SELECT policies for the same role: they OR together
SELECT FROM pg_temp.tenant_table('d07_multiple_permissive');
ALTER TABLE peer.d07_multiple_permissive ADD COLUMN published boolean NOT NULL DEFAULT false;
CREATE POLICY published_rows ON peer.d07_multiple_permissive FOR SELECT TO peer_app USING (published);

-- d08: a login role with BYPASSRLS
RESET ROLE;
CREATE ROLE peer_d08_bypassrls_login LOGIN BYPASSRLS;
SET ROLE peer_owner;

-- d09: SECURITY DEFINER without a pinned search_path
CREATE FUNCTION peer.d09_definer_no_search_path() RETURNS int LANGUAGE sql SECURITY DEFINER
    AS 'SELECT 1';

-- d10: a view (not security_invoker) over an RLS table, readable by the
-- app; the view runs as its owner, the table's owner, who skips RLS (the
-- table is not forced, as in most schemas)
SELECT FROM pg_temp.tenant_table('d10_base');
ALTER TABLE peer.d10_base NO FORCE ROW LEVEL SECURITY;
CREATE VIEW peer.d10_view_bypasses_rls AS SELECT id, tenant_id, body FROM peer.d10_base;
GRANT SELECT ON peer.d10_view_bypasses_rls TO peer_app;

-- d11: current_setting() evaluated per row (not wrapped in a sub-select)
SELECT FROM pg_temp.tenant_table('d11_per_row_function');
ALTER POLICY tenant_isolation ON peer.d11_per_row_function
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);

-- d12: current_setting() without missing_ok (a session without the setting errors)
SELECT FROM pg_temp.tenant_table('d12_setting_without_missing_ok');
ALTER POLICY tenant_isolation ON peer.d12_setting_without_missing_ok
    USING (tenant_id = (SELECT current_setting('app.tenant_id')::int))
    WITH CHECK (tenant_id = (SELECT current_setting('app.tenant_id')::int));

-- d13: a materialized view over an RLS table (no RLS of its own), readable by the app
SELECT FROM pg_temp.tenant_table('d13_base');
CREATE MATERIALIZED VIEW peer.d13_matview_exposes_rls AS SELECT id, tenant_id, body FROM peer.d13_base;
GRANT SELECT ON peer.d13_matview_exposes_rls TO peer_app;

-- d14: a login role that may SET ROLE to a BYPASSRLS role
RESET ROLE;
CREATE ROLE peer_d14_bypass_target NOLOGIN BYPASSRLS;
CREATE ROLE peer_d14_can_bypass LOGIN IN ROLE peer_app;
GRANT peer_d14_bypass_target TO peer_d14_can_bypass;

-- d15: the app role is a member of a table's owner (the owner skips RLS
-- unless forced: this table is not)
CREATE ROLE peer_d15_owner NOLOGIN;
GRANT USAGE, CREATE ON SCHEMA peer TO peer_d15_owner;
SET ROLE peer_d15_owner;
CREATE TABLE peer.d15_member_of_owner (id bigint PRIMARY KEY, tenant_id int NOT NULL);
CREATE INDEX ON peer.d15_member_of_owner (tenant_id);
ALTER TABLE peer.d15_member_of_owner ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON peer.d15_member_of_owner TO peer_app
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int));
RESET ROLE;
GRANT peer_d15_owner TO peer_app;
SET ROLE peer_owner;

-- d16: a SECURITY DEFINER function (search_path pinned) that returns the
-- rows of an RLS table with its owner's rights (a superuser, as when a
-- migration runs as postgres), executable by the app
SELECT FROM pg_temp.tenant_table('d16_base');
RESET ROLE;
CREATE FUNCTION peer.d16_definer_exposes_rls() RETURNS SETOF peer.d16_base
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC SELECT * FROM peer.d16_base; END;
REVOKE ALL ON FUNCTION peer.d16_definer_exposes_rls() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peer.d16_definer_exposes_rls() TO peer_app;
SET ROLE peer_owner;

-- d17: only a restrictive policy: nothing is ever let through
SELECT FROM pg_temp.tenant_table('d17_restrictive_only');
DROP POLICY tenant_isolation ON peer.d17_restrictive_only;
CREATE POLICY tenant_only ON peer.d17_restrictive_only AS RESTRICTIVE TO peer_app
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int));

-- d18: reads are scoped, but UPDATE reaches every row
SELECT FROM pg_temp.tenant_table('d18_write_unconditional');
DROP POLICY tenant_isolation ON peer.d18_write_unconditional;
CREATE POLICY tenant_read ON peer.d18_write_unconditional FOR SELECT TO peer_app
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int));
CREATE POLICY any_update ON peer.d18_write_unconditional FOR UPDATE TO peer_app
    USING (true) WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int));

-- d19: a partition without RLS of its own, reached directly
CREATE TABLE peer.d19_parent (id bigint, tenant_id int NOT NULL) PARTITION BY LIST (tenant_id);
ALTER TABLE peer.d19_parent ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON peer.d19_parent TO peer_app
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int));
CREATE TABLE peer.d19_partition_direct PARTITION OF peer.d19_parent FOR VALUES IN (1, 2, 3);
GRANT SELECT ON peer.d19_parent, peer.d19_partition_direct TO peer_app;

-- d20: the policy's column has no index (every query scans the table)
SELECT FROM pg_temp.tenant_table('d20_policy_column_unindexed');
DROP INDEX peer.d20_policy_column_unindexed_tenant_id_idx;
RESET ROLE;
RESET client_min_messages;
