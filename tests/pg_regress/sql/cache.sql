-- What a DBA's session keeps after reading a large catalog. Deparsing a
-- policy with pg_get_expr() opens its table, and PostgreSQL then keeps the
-- table's relation cache entry, with every policy of it parsed, for the
-- rest of the session (a "row security descriptor" memory context each).
-- rls_audit deparses a plain policy (no CASE, no sub-select but a bare
-- scalar one) from the catalog caches without opening its table, and
-- leaves 300 of the entries it does build in place, so a small catalog
-- stays warm, as any query over it leaves it, and a large one does not
-- stay in memory; reading pg_policies keeps every one (the oracle:
-- PostgreSQL's own memory context list, pg_backend_memory_contexts).
-- Half the tables here have a plain policy, half a CASE one.
CREATE EXTENSION rls_audit;
SET client_min_messages = warning;
DROP ROLE IF EXISTS cache_reader;
-- 700 tables with a policy each (not captured: this test is about reading)
SET session_replication_role = replica;
CREATE SCHEMA cache_many;
DO $$ BEGIN
FOR i IN 1..700 LOOP
    EXECUTE format('CREATE TABLE cache_many.t%s (tenant_id int)', i);
    EXECUTE format('ALTER TABLE cache_many.t%s ENABLE ROW LEVEL SECURITY', i);
    IF i % 2 = 0 THEN
        EXECUTE format($p$CREATE POLICY tenant ON cache_many.t%s
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)$p$, i);
    ELSE
        EXECUTE format($p$CREATE POLICY tenant ON cache_many.t%s
            USING (CASE WHEN tenant_id > 0 THEN tenant_id = current_setting('app.tenant_id')::int END)$p$, i);
    END IF;
END LOOP; END $$;
RESET session_replication_role;
RESET client_min_messages;
CREATE ROLE cache_reader LOGIN;
\set rls_entries '(SELECT count(*) FROM pg_catalog.pg_backend_memory_contexts WHERE name = ''row security descriptor'')'

-- each call in a fresh session: the entries it left behind
\c
SELECT rls_audit.snapshot('cache') IS NOT NULL AS snapshot_taken;
SELECT :rls_entries AS snapshot_entries_kept;
-- a second snapshot in the same session (300 of its CASE tables warm): the same state
SELECT rls_audit.snapshot() AS second \gset
SELECT count(DISTINCT fingerprint) AS fingerprints, min(policy_count) >= 700 AS all_policies
  FROM rls_audit.snapshot_meta WHERE label = 'cache' OR id = :second;
\c
SELECT count(*) AS drift_rows FROM rls_audit.drift('cache');
SELECT :rls_entries AS drift_entries_kept;
\c
SELECT count(*) > 0 AS lint_findings FROM rls_audit.lint();
SELECT :rls_entries AS lint_entries_kept;
\c
SELECT count(*) > 0 AS matrix_cells FROM rls_audit.access_matrix(ARRAY['cache_reader']::name[]);
SELECT :rls_entries AS matrix_entries_kept;
-- the oracle: a plain read of pg_policies keeps every table's entry
\c
SELECT count(qual) AS policies FROM pg_catalog.pg_policies WHERE schemaname = 'cache_many';
SELECT :rls_entries >= 700 AS plain_read_keeps_all;

SET client_min_messages = warning;
SET session_replication_role = replica;
DROP SCHEMA cache_many CASCADE;
RESET session_replication_role;
DROP ROLE cache_reader;
DROP EXTENSION rls_audit;
