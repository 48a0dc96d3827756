-- The release report for the Connect-Prod runbook: RLS disabled on a table
-- with policies, a policy swap, six storage policies added -> NO-GO naming
-- each finding; after restore() -> GO. Times vary, so lines are selected.
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE ROLE authenticated NOLOGIN;
CREATE SCHEMA storage;
CREATE TABLE public.rate_limits (id int, user_id int);
CREATE TABLE public.business_accounts (id int, owner_id int, is_public boolean);
CREATE TABLE storage.objects (id int, bucket_id text, owner int);
ALTER TABLE public.rate_limits ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE public.business_accounts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY own_limits ON public.rate_limits TO authenticated USING (user_id = 1);
CREATE POLICY "Users can view business accounts" ON public.business_accounts FOR SELECT
    TO authenticated USING (owner_id = 1);
SELECT rls_audit.snapshot('pre-001') AS id;
-- 001_rls_hardening.sql
ALTER TABLE public.rate_limits DISABLE ROW LEVEL SECURITY;
DROP POLICY "Users can view business accounts" ON public.business_accounts;
CREATE POLICY "Users can view public or owned business accounts" ON public.business_accounts
    FOR SELECT TO authenticated USING (is_public OR owner_id = 1);
SELECT format('CREATE POLICY %I ON storage.objects FOR %s TO authenticated USING (bucket_id = %L)',
              'Users can ' || v, c, b)
  FROM (VALUES ('read avatars', 'SELECT', 'avatars'), ('update avatars', 'UPDATE', 'avatars'),
               ('delete avatars', 'DELETE', 'avatars'), ('read media', 'SELECT', 'chat-media'),
               ('update media', 'UPDATE', 'chat-media'), ('delete media', 'DELETE', 'chat-media')) x(v, c, b)
\gexec
RESET client_min_messages;

CREATE FUNCTION pg_temp.lines(r text, pattern text) RETURNS SETOF text LANGUAGE sql
    AS $$ SELECT l FROM pg_catalog.regexp_split_to_table(r, E'\n') AS l WHERE l ~ pattern $$;
-- the lines of one section ("A.", "B.", "C.", "D.") that match a pattern
CREATE FUNCTION pg_temp.section(r text, s text, pattern text) RETURNS SETOF text LANGUAGE sql
    AS $$ SELECT l FROM pg_catalog.regexp_split_to_table(
                 substring(r FROM '## ' || s || '.*?(?=\n## |$)'), E'\n') AS l WHERE l ~ pattern $$;
SELECT rls_audit.report('pre-001') AS r \gset
SELECT * FROM pg_temp.lines(:'r', '^(\*\*Verdict|Drift since|Open lint|Compared with|Untracked|Computed verdict|`rls_audit.restore_script)');
-- each finding is named: the drift table (B), the lint findings (A, C)
SELECT * FROM pg_temp.section(:'r', 'B', '^\| (critical|high|medium|low|info) \|');
SELECT * FROM pg_temp.section(:'r', 'B', '^\| (public|storage)\.');
SELECT * FROM pg_temp.section(:'r', 'A', '^\| (critical|high) \|');
SELECT * FROM pg_temp.section(:'r', 'C', '^(New|Fixed|Unchanged|\| (critical|high|medium|low|info) \|)');
SELECT * FROM pg_temp.lines(:'r', '^\| (Name|Role|Date|Decision)');
-- JSON: the same content, valid, with the same counts
SELECT rls_audit.report('pre-001', 'json') AS j \gset
SELECT (:'j'::jsonb) ->> 'verdict' AS verdict,
       (:'j'::jsonb) -> 'verification' -> 'drift_counts' AS drift_counts,
       jsonb_array_length((:'j'::jsonb) -> 'verification' -> 'drift') AS drift_rows,
       jsonb_array_length((:'j'::jsonb) -> 'security_scan' -> 'new') AS new_findings,
       (:'j'::jsonb) -> 'rollback' ->> 'restore_statements' AS restore_statements,
       (:'j'::jsonb) -> 'rollback' ->> 'chain_intact' AS chain_intact;
SELECT (SELECT count(*) FROM pg_temp.section(:'r', 'B', '^\| (critical|high|medium|low|info) \|'))
       = jsonb_array_length((:'j'::jsonb) -> 'verification' -> 'drift') AS markdown_rows_match_json,
       (SELECT l FROM pg_temp.lines(:'r', '^Drift since') l)
       = format('Drift since the baseline: %s critical, %s high, %s medium, %s low, %s info',
                (:'j'::jsonb) #>> '{verification,drift_counts,critical}', (:'j'::jsonb) #>> '{verification,drift_counts,high}',
                (:'j'::jsonb) #>> '{verification,drift_counts,medium}', (:'j'::jsonb) #>> '{verification,drift_counts,low}',
                (:'j'::jsonb) #>> '{verification,drift_counts,info}') AS counts_match_json;

-- names with pipes, backticks and newlines cannot break a markdown table
CREATE TABLE public."pipe|table" (id int);
ALTER TABLE public."pipe|table" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tick`back
newline" ON public."pipe|table" USING (true);
SELECT rls_audit.report('pre-001') AS r \gset
SELECT count(*) AS drift_table_rows,
       count(DISTINCT regexp_count(l, '(?<!\\)\|')) AS distinct_column_counts,
       min(regexp_count(l, '(?<!\\)\|')) AS unescaped_pipes
  FROM pg_temp.section(:'r', 'B', '^\| (critical|high|medium|low|info) \|') AS l;
SELECT l FROM pg_temp.section(:'r', 'B', '^\| (critical|high|medium|low|info) \|.*pipe') AS l;
SELECT * FROM pg_temp.section(:'r', 'C', 'pipe');

-- C lists who reaches every row: for the roles named (default: the login
-- roles that are not superusers), each all_rows cell with its path; the
-- same cells access_matrix() gives, and PostgreSQL agrees when the role
-- runs the query
SET client_min_messages = warning;
CREATE ROLE "rep Reporter" LOGIN BYPASSRLS;
CREATE ROLE rep_app LOGIN;
GRANT USAGE ON SCHEMA storage TO "rep Reporter", rep_app;
GRANT SELECT ON storage.objects TO "rep Reporter";
GRANT SELECT, UPDATE ON storage.objects TO rep_app;
GRANT authenticated TO rep_app;
INSERT INTO storage.objects VALUES (1, 'avatars', 1), (2, 'private', 2);
RESET client_min_messages;
SELECT rls_audit.report('pre-001', 'markdown', ARRAY['rep Reporter', 'rep_app']) AS r \gset
SELECT * FROM pg_temp.section(:'r', 'C', '^(Who reaches|\| rep)');
SET ROLE "rep Reporter";
SELECT count(*) AS reporter_sees FROM storage.objects;
SET ROLE rep_app;
SELECT count(*) AS app_sees FROM storage.objects;
RESET ROLE;
SELECT rls_audit.report('pre-001', 'json', ARRAY['rep Reporter', 'rep_app']::name[]) AS j \gset
SELECT (SELECT jsonb_agg(to_jsonb(m) - 'access' ORDER BY role_name, table_name, command)
          FROM rls_audit.access_matrix(ARRAY['rep Reporter', 'rep_app']) m WHERE access = 'all_rows')
       = (SELECT jsonb_agg(x ORDER BY x ->> 'role_name', x ->> 'table_name', x ->> 'command')
            FROM jsonb_array_elements((:'j'::jsonb) #> '{security_scan,all_rows}') x) AS same_as_access_matrix;
-- by default: every login role that is not a superuser
SELECT rls_audit.report('pre-001', 'json') AS j \gset
SELECT (:'j'::jsonb) #> '{security_scan,access_roles}' ? 'rep Reporter' AS reporter_listed,
       (:'j'::jsonb) #> '{security_scan,access_roles}' ? 'rep_app' AS app_listed,
       (:'j'::jsonb) #> '{security_scan,access_roles}' ? 'postgres' AS superuser_listed;
SELECT rls_audit.report('pre-001', roles => '{}') AS r \gset
SELECT * FROM pg_temp.section(:'r', 'C', '^Who reaches');
\set VERBOSITY sqlstate
SELECT rls_audit.report('pre-001', 'markdown', ARRAY['no such role']);
\set VERBOSITY default
SET client_min_messages = warning;
DELETE FROM storage.objects;
DROP OWNED BY "rep Reporter", rep_app;
DROP ROLE "rep Reporter", rep_app;
RESET client_min_messages;

-- after the rollback: GO
SET client_min_messages = warning;
DROP TABLE public."pipe|table";
SELECT rls_audit.restore('pre-001') AS statements_run;
RESET client_min_messages;
SELECT rls_audit.report('pre-001') AS r \gset
SELECT * FROM pg_temp.lines(:'r', '^(\*\*Verdict|Drift since|Compared with|Untracked)');

\set VERBOSITY sqlstate
SELECT rls_audit.report('pre-001', 'html');
SELECT rls_audit.report('no-such-snapshot');
\set VERBOSITY default

SET client_min_messages = warning;
DROP SCHEMA storage CASCADE;
DROP TABLE public.rate_limits, public.business_accounts;
DROP ROLE authenticated;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
