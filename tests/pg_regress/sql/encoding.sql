-- Encodings. rls_audit reads every name, expression and label as UTF-8, so
-- it installs in a UTF8 or a SQL_ASCII database (SQL_ASCII keeps the bytes
-- a UTF-8 client sends as they are) and refuses any other encoding with
-- 0A000 before it creates anything: in WIN1251 or LATIN1 pgrx refuses every
-- character outside ASCII, and the first schema or policy named "Größe"
-- would have made capture, snapshot() and lint() fail.
--
-- The oracle for SQL_ASCII is this UTF-8 database: the same posture, with
-- names outside ASCII and names whose byte order and character order part,
-- gives the same fingerprint, the same captured events and the same lint.
-- SQL_ASCII also takes the path that gathers the state and sorts it instead
-- of streaming it in the catalog's order.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS rls_audit_win1251;
DROP DATABASE IF EXISTS rls_audit_sql_ascii;
CREATE DATABASE rls_audit_win1251 ENCODING 'WIN1251' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE rls_audit_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
RESET client_min_messages;
\set posture 'CREATE SCHEMA "Größe"; CREATE TABLE "Größe"."zebra" (tenant_id int); CREATE TABLE "Größe"."Zebra" (tenant_id int); CREATE TABLE "Größe"."apple pie" (tenant_id int); CREATE TABLE "Größe"."Таблица" (tenant_id int, "имя" text); ALTER TABLE "Größe"."zebra" ENABLE ROW LEVEL SECURITY; ALTER TABLE "Größe"."Zebra" ENABLE ROW LEVEL SECURITY; ALTER TABLE "Größe"."Таблица" ENABLE ROW LEVEL SECURITY; CREATE POLICY "b" ON "Größe"."zebra" USING (tenant_id = 1); CREATE POLICY "B" ON "Größe"."zebra" USING (tenant_id = 2); CREATE POLICY "é" ON "Größe"."zebra" USING (tenant_id = 5); CREATE POLICY "z" ON "Größe"."zebra" USING (tenant_id = 6); CREATE POLICY "a b" ON "Größe"."Zebra" USING (tenant_id = 3); CREATE POLICY "_x" ON "Größe"."apple pie" USING (tenant_id = 4); CREATE POLICY "Полис 😀" ON "Größe"."Таблица" USING ("имя" = ''Ёж'');'

-- refused, with nothing left behind; DDL there is untouched
\c rls_audit_win1251
SET client_encoding = 'UTF8';
CREATE EXTENSION rls_audit;
DO $$
BEGIN
    CREATE EXTENSION rls_audit;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'refused: %', SQLSTATE;
END
$$;
SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'rls_audit') AS extensions,
       (SELECT count(*) FROM pg_namespace WHERE nspname = 'rls_audit') AS schemas,
       (SELECT count(*) FROM pg_event_trigger) AS event_triggers;
CREATE SCHEMA "Схема";
DROP SCHEMA "Схема";
-- an install from before the refusal is not updated into one that breaks
SET client_min_messages = warning;
CREATE EXTENSION rls_audit VERSION '0.2.0';
RESET client_min_messages;
DO $$
BEGIN
    ALTER EXTENSION rls_audit UPDATE TO '0.3.0';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'update refused: %', SQLSTATE;
END
$$;
SELECT extversion FROM pg_extension WHERE extname = 'rls_audit';
SET client_min_messages = warning;
DROP EXTENSION rls_audit;
RESET client_min_messages;

-- SQL_ASCII: installed, captured, snapshotted, compared, linted
\c rls_audit_sql_ascii
SET client_encoding = 'UTF8';
SELECT pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database();
CREATE EXTENSION rls_audit;
:posture
SELECT rls_audit.snapshot('größe') IS NOT NULL AS taken;
SELECT policy_count, table_count FROM rls_audit.snapshot_meta WHERE label = 'größe';
SELECT fingerprint AS ascii_fingerprint FROM rls_audit.snapshot_meta WHERE label = 'größe' \gset
SELECT count(*) AS drift_rows FROM rls_audit.drift('größe');
SELECT rls_audit.restore('größe') AS restored;
SELECT table_name, policy_name FROM rls_audit.snapshot_policies ORDER BY table_name COLLATE "C", policy_name COLLATE "C";
SELECT using_expr FROM rls_audit.snapshot_policies WHERE table_name = 'Таблица';
SELECT string_agg(concat_ws('.', change, schema_name, table_name, policy_name), ' ' ORDER BY id) AS ascii_events
  FROM rls_audit.events \gset
SELECT count(*) AS broken_links FROM rls_audit.verify_log();
SELECT string_agg(concat_ws('.', lint, object_name), ' ' ORDER BY lint, object_name) AS ascii_lint
  FROM rls_audit.lint() \gset

\c rls_audit_regress
SET client_encoding = 'UTF8';
CREATE EXTENSION rls_audit;
:posture
SELECT rls_audit.snapshot('utf8') AS utf8_id \gset
SELECT fingerprint = :'ascii_fingerprint' AS same_fingerprint_as_sql_ascii
  FROM rls_audit.snapshot_meta WHERE id = :utf8_id;
SELECT string_agg(concat_ws('.', change, schema_name, table_name, policy_name), ' ' ORDER BY id) = :'ascii_events'
       AS same_events_as_sql_ascii
  FROM rls_audit.events;
SELECT string_agg(concat_ws('.', lint, object_name), ' ' ORDER BY lint, object_name) = :'ascii_lint'
       AS same_lint_as_sql_ascii
  FROM rls_audit.lint();
SET client_min_messages = warning;
DROP SCHEMA "Größe" CASCADE;
DROP EXTENSION rls_audit;
\c postgres
DROP DATABASE rls_audit_win1251;
DROP DATABASE rls_audit_sql_ascii;
