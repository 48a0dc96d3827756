-- export() / import(): a baseline kept in git. Round trip (same fingerprint,
-- no drift, byte-identical re-export), every refusal (22023, 22004, 23505,
-- nothing stored), and an imported baseline catching a bad migration in a
-- fresh database built from the same migrations.
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE ROLE "exp App" NOLOGIN;
RESET client_min_messages;
-- migration 001, as the team keeps it in git
CREATE SCHEMA "Ledger Ω";
CREATE TABLE "Ledger Ω"."Entries ""v1""" (id int PRIMARY KEY, tenant_id int NOT NULL);
ALTER TABLE "Ledger Ω"."Entries ""v1""" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant read" ON "Ledger Ω"."Entries ""v1""" FOR SELECT TO "exp App"
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT USAGE ON SCHEMA "Ledger Ω" TO "exp App";
GRANT SELECT ON "Ledger Ω"."Entries ""v1""" TO "exp App";

SELECT rls_audit.snapshot('release 1.0') AS id;
SELECT rls_audit.export('release 1.0') AS doc \gset
-- self-describing: what the document says about itself
SELECT (:'doc'::jsonb) ->> 'format' AS format, (:'doc'::jsonb) ->> 'format_version' AS format_version,
       (:'doc'::jsonb) ->> 'extension_version' AS extension_version,
       ((:'doc'::jsonb) ->> 'server_version')::int = current_setting('server_version_num')::int / 10000 AS server_version,
       (:'doc'::jsonb) ->> 'fingerprint' = (SELECT fingerprint FROM rls_audit.snapshots WHERE label = 'release 1.0') AS same_fingerprint,
       length((:'doc'::jsonb) ->> 'access_fingerprint') AS access_fingerprint_length,
       jsonb_array_length((:'doc'::jsonb) #> '{state,policies}') AS policies;
-- equal states export equal bytes: a second snapshot of the same state
SELECT rls_audit.snapshot('release 1.0 again') AS id;
SELECT rls_audit.export('release 1.0 again')::text = :'doc' AS equal_bytes;

-- the round trip: same fingerprint, no drift between the two, and the
-- imported snapshot exports byte-identical
SELECT rls_audit.import(:'doc', 'release 1.0 from git') > 0 AS imported;
SELECT a.fingerprint = b.fingerprint AS same_fingerprint
  FROM rls_audit.snapshots a, rls_audit.snapshots b
 WHERE a.label = 'release 1.0' AND b.label = 'release 1.0 from git';
SELECT count(*) AS drift_rows FROM rls_audit.drift('release 1.0', 'release 1.0 from git');
SELECT count(*) AS drift_rows_against_live FROM rls_audit.drift('release 1.0 from git');
SELECT rls_audit.export('release 1.0 from git')::text = :'doc' AS byte_identical_reexport;

-- refused, with nothing stored: an edited policy (fingerprint kept), an
-- edited grant, a newer format, not an export at all, NULL, a taken label
SELECT count(*) AS snapshots_before FROM rls_audit.snapshots \gset
\set VERBOSITY sqlstate
SELECT rls_audit.import(jsonb_set(:'doc', '{state,policies,0,using_expr}', '"true"'), 'tampered');
SELECT rls_audit.import(jsonb_set(:'doc', '{access,roles,0,bypassrls}', 'true'), 'tampered');
SELECT rls_audit.import(jsonb_set(:'doc', '{format_version}', '2'), 'newer');
SELECT rls_audit.import('{"format": "something else"}', 'other');
SELECT rls_audit.import('[]', 'other');
SELECT rls_audit.import(NULL, 'null');
SELECT rls_audit.import(:'doc', 'release 1.0');
SELECT rls_audit.export('no such snapshot');
\set VERBOSITY default
-- the message says why (the hashes vary with the server's deparse)
CREATE FUNCTION pg_temp.why(doc jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rls_audit.import(doc, 'tampered');
    RETURN 'imported';
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN regexp_replace(SQLERRM, '[0-9a-f]{64}', '<sha256>', 'g');
END $$;
SELECT pg_temp.why(jsonb_set(:'doc', '{state,policies,0,using_expr}', '"true"')) AS refused;
SELECT pg_temp.why(jsonb_set(:'doc', '{access,roles,0,bypassrls}', 'true')) AS refused;
SELECT pg_temp.why(jsonb_set(:'doc', '{format_version}', '2')) AS refused;
SELECT pg_temp.why(:'doc'::jsonb - 'access_fingerprint') AS refused;
SELECT count(*) = :snapshots_before AS nothing_stored FROM rls_audit.snapshots;

-- a fresh CI database built from the same migrations, plus a bad one:
-- the imported baseline catches it
\set home :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS rls_audit_export_ci;
CREATE DATABASE rls_audit_export_ci;
RESET client_min_messages;
\c rls_audit_export_ci
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
RESET client_min_messages;
-- migration 001, the same file
CREATE SCHEMA "Ledger Ω";
CREATE TABLE "Ledger Ω"."Entries ""v1""" (id int PRIMARY KEY, tenant_id int NOT NULL);
ALTER TABLE "Ledger Ω"."Entries ""v1""" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant read" ON "Ledger Ω"."Entries ""v1""" FOR SELECT TO "exp App"
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT USAGE ON SCHEMA "Ledger Ω" TO "exp App";
GRANT SELECT ON "Ledger Ω"."Entries ""v1""" TO "exp App";
SELECT rls_audit.import(:'doc', 'release 1.0') > 0 AS imported;
SELECT count(*) AS drift_rows FROM rls_audit.drift('release 1.0');
SELECT rls_audit.assert_no_drift('release 1.0');
-- migration 002 opens the table
ALTER POLICY "tenant read" ON "Ledger Ω"."Entries ""v1""" USING (true);
\set VERBOSITY sqlstate
SELECT rls_audit.assert_no_drift('release 1.0');
\set VERBOSITY default
SELECT severity, change, schema_name, table_name, policy_name, attribute
  FROM rls_audit.drift('release 1.0') ORDER BY 1, 2, 6;
\c :home
SET client_min_messages = warning;
DROP DATABASE rls_audit_export_ci;
DROP SCHEMA "Ledger Ω" CASCADE;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
DROP ROLE "exp App";
