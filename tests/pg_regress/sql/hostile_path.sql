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

-- A hostile search_path of the probed role itself. A role may set its own
-- defaults (ALTER ROLE ... SET), so the application role can put a schema of
-- its own, holding functions, operators and a type named like pg_catalog's,
-- before pg_catalog. The probes apply that search_path (the application's
-- sessions have it), yet nothing of that schema runs, neither as the caller
-- (who may be a superuser) nor as the role, and the verdicts stay
-- PostgreSQL's own: the table below leaks reads, inserts and moves, and
-- verify_isolation says so.
SET client_min_messages = warning;
CREATE ROLE hp_role LOGIN;
CREATE SCHEMA hp_own AUTHORIZATION hp_role;
CREATE TABLE public.leaky (id int, tenant_id int);
INSERT INTO public.leaky SELECT g, g % 3 + 1 FROM generate_series(1, 9) g;
ALTER TABLE public.leaky ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.leaky TO hp_role;
CREATE POLICY read_all ON public.leaky FOR SELECT TO hp_role USING (true);
CREATE POLICY write_own ON public.leaky FOR ALL TO hp_role
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (true);
SET ROLE hp_role;
CREATE FUNCTION hp_own.ran(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'hp_own.% ran as %', what, current_user; RETURN false; END $$;
CREATE FUNCTION hp_own.eq_int(int, int) RETURNS boolean LANGUAGE sql AS $$ SELECT hp_own.ran('= on int') $$;
CREATE OPERATOR hp_own.= (LEFTARG = int, RIGHTARG = int, FUNCTION = hp_own.eq_int);
CREATE FUNCTION hp_own.eq_text(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT hp_own.ran('= on text') $$;
CREATE OPERATOR hp_own.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hp_own.eq_text);
CREATE OPERATOR hp_own.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = hp_own.eq_text);
CREATE FUNCTION hp_own.div(int, int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN PERFORM hp_own.ran('/'); RETURN 0; END $$;
CREATE OPERATOR hp_own./ (LEFTARG = int, RIGHTARG = int, FUNCTION = hp_own.div);
CREATE FUNCTION hp_own.set_config(text, text, boolean) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM hp_own.ran('set_config'); RETURN pg_catalog.set_config($1, $2, $3); END $$;
CREATE FUNCTION hp_own.current_setting(text, boolean) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM hp_own.ran('current_setting'); RETURN pg_catalog.current_setting($1, $2); END $$;
CREATE FUNCTION hp_own.format(text, name) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM hp_own.ran('format'); RETURN pg_catalog.format($1, $2); END $$;
CREATE FUNCTION hp_own.array_length(anyarray, int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN PERFORM hp_own.ran('array_length'); RETURN pg_catalog.array_length($1, $2); END $$;
CREATE DOMAIN hp_own.text AS pg_catalog.text CHECK (hp_own.ran('the type text') IS NOT NULL);
CREATE DOMAIN hp_own.int4 AS pg_catalog.int4 CHECK (hp_own.ran('the type int4') IS NOT NULL);
ALTER ROLE hp_role SET search_path = hp_own, pg_catalog;
RESET ROLE;
RESET client_min_messages;
SELECT check_name, tenant, status FROM rls_audit.verify_isolation('hp_role', 'app.tenant_id',
        tables => ARRAY['public.leaky']::regclass[])
 WHERE check_name LIKE 'tenant%' ORDER BY 1, 2;
SELECT outcome, rows_visible FROM rls_audit.probe('hp_role', 'public.leaky', '{"app.tenant_id": "1"}');
-- the screen of the tenants not probed too: leaky5 lets every tenant
-- insert rows for tenant 5 and move rows to it, which only the screen
-- finds when 1 and 2 are the probed tenants; the role's own = (false,
-- with a warning) must not decide it
CREATE TABLE public.leaky5 (tenant_id int);
INSERT INTO public.leaky5 SELECT g % 5 + 1 FROM generate_series(1, 10) g;
ALTER TABLE public.leaky5 ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON public.leaky5 TO hp_role;
CREATE POLICY own ON public.leaky5 TO hp_role
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR tenant_id = 5);
SELECT check_name, tenant, status, detail FROM rls_audit.verify_isolation('hp_role', 'app.tenant_id',
        tables => ARRAY['public.leaky5']::regclass[], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') ORDER BY 1, 2;
-- the lookup probe too: hp_role may insert into the shares its read
-- policy reads; its writes and reads run as hp_role with its search_path,
-- and none of hp_own's functions or operators runs
CREATE TABLE public.hp_docs (id int, tenant_id int);
INSERT INTO public.hp_docs SELECT g, g % 3 + 1 FROM generate_series(1, 9) g;
CREATE TABLE public.hp_shares (doc_id int, tenant_id int);
ALTER TABLE public.hp_docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY shared ON public.hp_docs FOR SELECT TO hp_role
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR id IN (SELECT s.doc_id FROM public.hp_shares s
                      WHERE s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int));
GRANT SELECT ON public.hp_docs, public.hp_shares TO hp_role;
GRANT INSERT ON public.hp_shares TO hp_role;
SELECT tenant, status, rows_seen FROM rls_audit.verify_isolation('hp_role', 'app.tenant_id',
        tables => ARRAY['public.hp_docs']::regclass[])
 WHERE check_name = 'tenant_read' ORDER BY 1;
SELECT count(*) AS shares_left FROM public.hp_shares;
-- and the write policies' lookup probe: hp_tasks' INSERT policy asks the
-- same shares (naming the table: hp_tasks.id), so hp_role's own INSERT
-- there lets it insert tasks for another tenant; the writes run as hp_role
-- with its search_path, the write probe as the caller, and none of
-- hp_own's functions or operators runs
CREATE TABLE public.hp_tasks (id int, tenant_id int);
INSERT INTO public.hp_tasks SELECT g, g % 3 + 1 FROM generate_series(1, 9) g;
ALTER TABLE public.hp_tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON public.hp_tasks TO hp_role
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY shared ON public.hp_tasks FOR INSERT TO hp_role
    WITH CHECK (EXISTS (SELECT FROM public.hp_shares s
                         WHERE s.doc_id = hp_tasks.id
                           AND s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int));
GRANT SELECT, INSERT, UPDATE, DELETE ON public.hp_tasks TO hp_role;
SELECT check_name, tenant, status FROM rls_audit.verify_isolation('hp_role', 'app.tenant_id',
        tables => ARRAY['public.hp_tasks']::regclass[])
 WHERE check_name IN ('tenant_insert', 'tenant_update', 'tenant_delete') ORDER BY 1, 2;
SELECT count(*) AS shares_left FROM public.hp_shares;
-- the definer write probe too: hp_role may call a SECURITY DEFINER
-- function that moves any document; the call is made as hp_role under its
-- search_path, its arguments cast to pg_catalog's int4 and text whatever
-- hp_own holds, and none of hp_own's functions, operators or types runs
CREATE FUNCTION public.hp_move(p_id int, p_tenant_id int, note text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS 'UPDATE public.hp_docs SET tenant_id = p_tenant_id WHERE id = p_id';
SELECT tenant, status, rows_seen FROM rls_audit.verify_isolation('hp_role', 'app.tenant_id',
        tables => ARRAY['public.hp_docs']::regclass[])
 WHERE check_name = 'tenant_update' ORDER BY 1;
SELECT count(*) FILTER (WHERE tenant_id = id % 3 + 1) AS docs_unmoved FROM public.hp_docs;
DROP FUNCTION public.hp_move(int, int, text);

-- A tenant column of a domain type whose CHECK calls its owner's function:
-- verify_isolation casts tenant values to the column's base type, so the
-- function runs only where the column itself is written, as the probed
-- role, never as the caller (a superuser here).
SET client_min_messages = warning;
CREATE ROLE hp_owner LOGIN;
CREATE SCHEMA hp_dom AUTHORIZATION hp_owner;
GRANT USAGE ON SCHEMA hp_dom TO hp_role;
SET ROLE hp_owner;
CREATE FUNCTION hp_dom.tenant_ok(int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
        RAISE WARNING 'the domain''s check ran as the superuser %', current_user;
    END IF;
    RETURN $1 > 0;
END $$;
CREATE DOMAIN hp_dom.tenant AS int CHECK (hp_dom.tenant_ok(VALUE));
CREATE TABLE hp_dom.t (id int, tenant_id hp_dom.tenant);
INSERT INTO hp_dom.t SELECT g, g % 3 + 1 FROM generate_series(1, 9) g;
ALTER TABLE hp_dom.t ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON hp_dom.t TO hp_role
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON hp_dom.t TO hp_role;
RESET ROLE;
ALTER ROLE hp_role RESET search_path;
RESET client_min_messages;
SELECT check_name, count(*) FILTER (WHERE status = 'PASS') AS pass,
       count(*) FILTER (WHERE status = 'FAIL') AS fail
  FROM rls_audit.verify_isolation('hp_role', 'app.tenant_id', tables => ARRAY['hp_dom.t']::regclass[])
 WHERE check_name LIKE 'tenant%' GROUP BY 1 ORDER BY 1;
SET client_min_messages = warning;
DROP SCHEMA hp_dom CASCADE;
DROP ROLE hp_owner;
RESET client_min_messages;

-- Role statements under their author's hostile search_path. rls_audit's
-- ProcessUtility hook reads the roles before CREATE / ALTER / DROP ROLE and
-- GRANT of a role and records the change after it, as the history tables'
-- owner: a CREATEROLE role with operators named like pg_catalog's first in
-- its search_path must not get them run (they would run as that owner, a
-- superuser typically), and the events must be the real ones. In a new
-- session whose first statement sets that search_path: nothing rls_audit
-- keeps per session has been read yet.
SET client_min_messages = warning;
CREATE ROLE hp_admin LOGIN CREATEROLE;
CREATE SCHEMA hp_mine AUTHORIZATION hp_admin;
\c - hp_admin
SET client_min_messages = warning;
CREATE FUNCTION hp_mine.eq_name(name, name) RETURNS boolean LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$
BEGIN RAISE WARNING 'hp_mine.= on name ran as %', current_user; RETURN $1 = $2; END $$;
CREATE OPERATOR hp_mine.= (LEFTARG = name, RIGHTARG = name, FUNCTION = hp_mine.eq_name);
CREATE FUNCTION hp_mine.eq_oid(oid, oid) RETURNS boolean LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$
BEGIN RAISE WARNING 'hp_mine.= on oid ran as %', current_user; RETURN $1 = $2; END $$;
CREATE OPERATOR hp_mine.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = hp_mine.eq_oid);
CREATE FUNCTION hp_mine.eq_text(text, text) RETURNS boolean LANGUAGE plpgsql
    SET search_path = pg_catalog AS $$
BEGIN RAISE WARNING 'hp_mine.= on text ran as %', current_user; RETURN $1 = $2; END $$;
CREATE OPERATOR hp_mine.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hp_mine.eq_text);
\c - hp_admin
SET search_path = hp_mine, pg_catalog;
CREATE ROLE hp_group NOLOGIN;
CREATE ROLE hp_member NOLOGIN;
GRANT hp_group TO hp_member;
\c - postgres
SELECT change, statement FROM rls_audit.events
 WHERE change IN ('role_added', 'membership_added') AND statement ~ '^(CREATE ROLE|GRANT) hp_'
   AND NOT (change = 'membership_added' AND statement ~ '^CREATE')
 ORDER BY id;
SELECT count(*) AS broken_links FROM rls_audit.verify_log();

SET client_min_messages = warning;
DROP ROLE hp_member, hp_group;
DROP SCHEMA hp_mine CASCADE;
DROP ROLE hp_admin;
DROP SCHEMA hp_own CASCADE;
DROP TABLE public.leaky, public.leaky5, public.hp_docs, public.hp_shares, public.hp_tasks;
DROP ROLE hp_role;
DROP SCHEMA evil CASCADE;
DROP TABLE public.accounts;
DROP ROLE hp_app;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
