-- A hostile caller search_path (a schema with functions and operators named
-- like pg_catalog's, put first) cannot change what rls_audit executes: every
-- rls_audit function pins search_path = pg_catalog, pg_temp.
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE ROLE hp_app NOLOGIN;
CREATE TABLE public.accounts (id int, tenant_id int);
ALTER TABLE public.accounts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.accounts TO hp_app;
INSERT INTO public.accounts VALUES (1, 1), (2, 2);
CREATE POLICY tenant ON public.accounts TO hp_app
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT rls_audit.snapshot('safe') IS NOT NULL AS snapshot;
CREATE SCHEMA evil;
CREATE FUNCTION evil.hijack(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: evil.= ran'; END $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.hijack);
CREATE FUNCTION evil.hijack_name(a name, b name) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked: evil.= on name ran'; END $$;
CREATE OPERATOR evil.= (LEFTARG = name, RIGHTARG = name, FUNCTION = evil.hijack_name);
CREATE FUNCTION evil.pg_get_expr(pg_node_tree, oid) RETURNS text LANGUAGE sql AS $$ SELECT 'hijacked' $$;
CREATE FUNCTION evil.current_setting(text, boolean) RETURNS text LANGUAGE sql AS $$ SELECT '1' $$;
CREATE FUNCTION evil.count(anyelement) RETURNS bigint LANGUAGE sql AS $$ SELECT 42::bigint $$;
CREATE FUNCTION evil.sha256(bytea) RETURNS bytea LANGUAGE sql AS $$ SELECT '\x00'::bytea $$;
RESET client_min_messages;

SET search_path = evil, pg_catalog, public;
SELECT rls_audit.snapshot('under hostile path') IS NOT NULL AS snapshot;
SELECT count(*) AS drift_rows FROM rls_audit.drift('safe');
SELECT rls_audit.policy_ddl('public.accounts', 'tenant');
SELECT lint, object_name FROM rls_audit.lint(ARRAY['public']);
SELECT status, count(*) FROM rls_audit.verify_isolation('hp_app', 'app.tenant_id') GROUP BY status;
SELECT * FROM rls_audit.probe('hp_app', 'public.accounts', '{"app.tenant_id": "1"}');
-- captured DDL under the hostile path: the event is right and the chain verifies
ALTER POLICY tenant ON public.accounts USING (tenant_id = 1);
SELECT change, policy_name, after ->> 'using_expr' AS using_expr FROM rls_audit.events ORDER BY id DESC LIMIT 1;
SELECT count(*) AS broken_links FROM rls_audit.verify_log();
SELECT rls_audit.restore('safe') AS statements_run;
SELECT count(*) AS drift_after_restore FROM rls_audit.drift('safe');
SELECT left(rls_audit.report('safe'), 31) AS report;
RESET search_path;
-- (compared outside the hostile path: this test's own "=" would be hijacked)
SELECT (SELECT fingerprint FROM rls_audit.snapshots WHERE label = 'safe')
     = (SELECT fingerprint FROM rls_audit.snapshots WHERE label = 'under hostile path') AS same_fingerprint;

SET client_min_messages = warning;
DROP SCHEMA evil CASCADE;
DROP TABLE public.accounts;
DROP ROLE hp_app;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
