-- The SECURITY DEFINER hardening checklist, Migration 006's allow-all
-- policies and the runbook's RLS-off table, as lint findings: each lint
-- fires exactly where expected and nowhere else.
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE ROLE app_user LOGIN;
CREATE ROLE app_owner LOGIN;
CREATE ROLE service_bypass LOGIN BYPASSRLS;
CREATE ROLE batch NOLOGIN;
CREATE SCHEMA lintfx;
CREATE SCHEMA scratch;
GRANT CREATE ON SCHEMA scratch TO PUBLIC;
CREATE FUNCTION lintfx.auth_uid() RETURNS int LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::int $$;

-- the hardening checklist's three SECURITY DEFINER functions
CREATE FUNCTION lintfx.get_user_role(uid int) RETURNS text LANGUAGE sql SECURITY DEFINER
    AS $$ SELECT 'member' $$;
CREATE FUNCTION lintfx.admin_reset() RETURNS void LANGUAGE sql SECURITY DEFINER
    SET search_path = scratch, pg_temp AS $$ SELECT $$;
CREATE FUNCTION lintfx.fixed_later(a int, b text) RETURNS int LANGUAGE sql SECURITY DEFINER
    AS $$ SELECT a $$;
ALTER FUNCTION lintfx.fixed_later(int, text) SET search_path = pg_catalog, pg_temp;
-- and the safe ones: none of these is flagged
CREATE FUNCTION lintfx.safe_empty() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = ''
    AS $$ SELECT 1 $$;
CREATE FUNCTION lintfx.safe_catalog() RETURNS int LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$ SELECT 1 $$;
CREATE FUNCTION lintfx.invoker() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION lintfx.temp_first() RETURNS int LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_temp, lintfx AS $$ SELECT 1 $$;

-- a granted table without RLS (the runbook's rate_limits)
CREATE TABLE lintfx.rate_limits (id int, user_id int);
GRANT SELECT, INSERT ON lintfx.rate_limits TO app_user;
-- policies attached, RLS off
CREATE TABLE lintfx.business_accounts (id int, owner_id int);
CREATE POLICY owner_read ON lintfx.business_accounts FOR SELECT TO app_user USING (owner_id = (SELECT lintfx.auth_uid()));
-- RLS on, no policy
CREATE TABLE lintfx.audit_events (id int);
ALTER TABLE lintfx.audit_events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
-- RLS on, not forced, owned by a login role the application uses
CREATE TABLE lintfx.documents (id int, owner_id int, tenant text);
ALTER TABLE lintfx.documents OWNER TO app_owner;
ALTER TABLE lintfx.documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY per_row ON lintfx.documents FOR SELECT TO app_user USING (owner_id = lintfx.auth_uid());
CREATE POLICY wrapped ON lintfx.documents FOR SELECT TO app_user USING (owner_id = (SELECT lintfx.auth_uid()));
CREATE POLICY strict_setting ON lintfx.documents FOR UPDATE TO app_user
    USING (tenant = current_setting('app.tenant'));
-- Migration 006: allow-all "for now"
CREATE TABLE lintfx.organizations (id int);
ALTER TABLE lintfx.organizations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY allow_all_select ON lintfx.organizations FOR SELECT USING (id = 1 OR true);
CREATE POLICY batch_insert ON lintfx.organizations FOR INSERT TO batch WITH CHECK (1 = 1);
CREATE POLICY guard ON lintfx.organizations AS RESTRICTIVE FOR ALL TO batch USING (true);
-- a leaky view and a security_invoker one over an RLS table
CREATE VIEW lintfx.organizations_v AS SELECT id FROM lintfx.organizations;
CREATE VIEW lintfx.organizations_safe WITH (security_invoker = on) AS SELECT id FROM lintfx.organizations;
RESET client_min_messages;

SELECT lint, severity, schema_name, object_name FROM rls_audit.lint() ORDER BY lint, object_name;
-- details and remediations of a few, as a DBA reads them
SELECT lint, object_name, detail, remediation FROM rls_audit.lint()
 WHERE lint IN ('security_definer_search_path', 'view_bypasses_rls', 'policy_per_row_function',
                'rls_disabled', 'bypassrls_role')
 ORDER BY lint, object_name;

-- the fix from the checklist makes the finding go away
ALTER FUNCTION lintfx.get_user_role(int) SET search_path = pg_catalog, pg_temp;
SELECT object_name FROM rls_audit.lint() WHERE lint = 'security_definer_search_path' ORDER BY 1;

-- suppressions live in the database and keep their reason
INSERT INTO rls_audit.lint_ignore (lint, object, reason)
VALUES ('rls_enabled_no_policy', 'lintfx.audit_events', 'deny-all on purpose: written by triggers only'),
       ('bypassrls_role', 'service_bypass', 'replication service, reviewed 2026-11 (CHG-1234)');
SELECT lint, object_name FROM rls_audit.lint() WHERE lint IN ('rls_enabled_no_policy', 'bypassrls_role');
SELECT lint, severity, schema_name, object_name, reason, added_by FROM rls_audit.lint_suppressed() ORDER BY 1;
\set VERBOSITY sqlstate
INSERT INTO rls_audit.lint_ignore (lint, object, reason) VALUES ('no_such_lint', 'x', 'typo');
INSERT INTO rls_audit.lint_ignore (lint, object, reason) VALUES ('rls_disabled', 'lintfx.rate_limits', ' ');
\set VERBOSITY default

-- the schema filter: roles belong to no schema and are left out
SELECT lint, object_name FROM rls_audit.lint(ARRAY['scratch']);
SELECT count(*) AS findings, count(*) FILTER (WHERE schema_name IS NULL) AS role_findings
  FROM rls_audit.lint(ARRAY['lintfx']);

-- negative control: a clean, well-built tenant schema has nothing at high or above
CREATE SCHEMA clean;
CREATE TABLE clean.invoices (id serial PRIMARY KEY, tenant_id int NOT NULL);
ALTER TABLE clean.invoices ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON clean.invoices TO app_user;
CREATE POLICY tenant_isolation ON clean.invoices FOR ALL TO app_user
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int));
SELECT lint, severity, object_name FROM rls_audit.lint(ARRAY['clean']);

SET client_min_messages = warning;
DROP SCHEMA lintfx CASCADE;
DROP SCHEMA scratch CASCADE;
DROP SCHEMA clean CASCADE;
DROP ROLE app_user;
DROP ROLE app_owner;
DROP ROLE service_bypass;
DROP ROLE batch;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
