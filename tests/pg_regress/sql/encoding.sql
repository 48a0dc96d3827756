-- A database that is not UTF-8. snapshot() and restore() stream the catalog
-- in name order and fingerprint it as it comes, which relies on the
-- database's bytes sorting as the UTF-8 names do; elsewhere the state is
-- read whole and sorted instead. (Names must be ASCII there: pgrx refuses
-- other text from a database that is not UTF-8.) The oracle: the same
-- posture in this UTF-8 database has the same fingerprint.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS rls_audit_win1251;
CREATE DATABASE rls_audit_win1251 ENCODING 'WIN1251' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
RESET client_min_messages;
\set posture 'CREATE SCHEMA "Enc"; CREATE TABLE "Enc"."zebra" (tenant_id int); CREATE TABLE "Enc"."Zebra" (tenant_id int); CREATE TABLE "Enc"."apple pie" (tenant_id int); ALTER TABLE "Enc"."zebra" ENABLE ROW LEVEL SECURITY; ALTER TABLE "Enc"."Zebra" ENABLE ROW LEVEL SECURITY; CREATE POLICY "b" ON "Enc"."zebra" USING (tenant_id = 1); CREATE POLICY "B" ON "Enc"."zebra" USING (tenant_id = 2); CREATE POLICY "a b" ON "Enc"."Zebra" USING (tenant_id = 3); CREATE POLICY "_x" ON "Enc"."apple pie" USING (tenant_id = 4);'
\c rls_audit_win1251
SET client_encoding = 'UTF8';
SELECT pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database();
CREATE EXTENSION rls_audit;
:posture
SELECT rls_audit.snapshot('win1251') IS NOT NULL AS taken;
SELECT policy_count, table_count FROM rls_audit.snapshot_meta WHERE label = 'win1251';
SELECT fingerprint AS win1251_fingerprint FROM rls_audit.snapshot_meta WHERE label = 'win1251' \gset
SELECT count(*) AS drift_rows FROM rls_audit.drift('win1251');
SELECT rls_audit.restore('win1251') AS restored;
SELECT table_name, policy_name FROM rls_audit.snapshot_policies ORDER BY table_name COLLATE "C", policy_name COLLATE "C";

\c rls_audit_regress
SET client_encoding = 'UTF8';
CREATE EXTENSION rls_audit;
:posture
SELECT rls_audit.snapshot('utf8') AS utf8_id \gset
SELECT fingerprint = :'win1251_fingerprint' AS same_fingerprint_as_win1251
  FROM rls_audit.snapshot_meta WHERE id = :utf8_id;
SET client_min_messages = warning;
DROP SCHEMA "Enc" CASCADE;
DROP EXTENSION rls_audit;
\c postgres
DROP DATABASE rls_audit_win1251;
