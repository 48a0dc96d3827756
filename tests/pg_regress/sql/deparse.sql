-- Every policy's text as rls_audit records it is PostgreSQL's own
-- pg_get_expr(), the text pg_policies shows, whatever the expression.
-- snapshot() and capture print a plain tree themselves, without opening its
-- table, and hand every other tree to pg_get_expr(): the two must agree on
-- every kind of tree here (constants whose text depends on the session's
-- settings, operators and functions of another schema, named arguments,
-- domains, enums, typmods, collations, bare scalar sub-selects, and the
-- trees that are not plain). The oracle is pg_policies read under the
-- search_path and the output settings rls_audit pins while it deparses:
-- ISO dates, PostgreSQL's interval style, floats in full precision, as
-- pg_dump pins them. A snapshot taken in a session with other settings
-- (pg_regress's own DateStyle is Postgres) records the same text, which any
-- session reads back as the same values.
CREATE EXTENSION rls_audit;
SET client_min_messages = warning;
CREATE SCHEMA "dp Ω";
CREATE SCHEMA dp_other;
CREATE TYPE dp_other.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN dp_other.tenant AS int CHECK (VALUE > 0);
CREATE FUNCTION dp_other.current_tenant() RETURNS int LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::int $$;
CREATE FUNCTION dp_other."Tenant Of"(u text, fallback int DEFAULT 0) RETURNS int
    LANGUAGE sql STABLE AS $$ SELECT fallback $$;
CREATE OPERATOR dp_other.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq);
CREATE TABLE "dp Ω"."Orders ""x""" (
    gone int, id bigint, "Tenant" int, owner text, mood dp_other.mood, due timestamptz,
    span interval, amount numeric(10,2), code varchar(8), flags bit(4), raw bytea,
    doc jsonb, tags text[], ok boolean, "when" date, f float8);
ALTER TABLE "dp Ω"."Orders ""x""" DROP COLUMN gone;
ALTER TABLE "dp Ω"."Orders ""x""" RENAME COLUMN id TO "Id";
ALTER TABLE "dp Ω"."Orders ""x""" ENABLE ROW LEVEL SECURITY;
CREATE POLICY p01 ON "dp Ω"."Orders ""x""" USING ("Tenant" = dp_other.current_tenant());
CREATE POLICY p02 ON "dp Ω"."Orders ""x""" USING ("Tenant" = (SELECT dp_other.current_tenant()));
CREATE POLICY p03 ON "dp Ω"."Orders ""x""" USING ("Tenant" OPERATOR(dp_other.===) 3);
CREATE POLICY p04 ON "dp Ω"."Orders ""x""" USING (mood IN ('ok', 'happy') AND mood <> 'sad');
CREATE POLICY p05 ON "dp Ω"."Orders ""x"""
    USING (due > now() - interval '1 day 2 hours' AND span < '2 hours' AND due < '2030-05-06 07:08:09+02');
CREATE POLICY p06 ON "dp Ω"."Orders ""x"""
    USING (amount > 10.50 AND code::text LIKE 'A%' AND flags <> B'0000' AND raw <> '\x00ff'::bytea);
CREATE POLICY p07 ON "dp Ω"."Orders ""x"""
    USING (doc @> '{"a": [1, 2]}' AND doc ->> 'k' IS NOT NULL AND tags && ARRAY['x', 'y é']);
CREATE POLICY p08 ON "dp Ω"."Orders ""x"""
    USING ("Tenant"::dp_other.tenant > 0 AND dp_other."Tenant Of"(fallback => 1, u => owner) = 1);
CREATE POLICY p09 ON "dp Ω"."Orders ""x"""
    USING (owner = current_user OR owner = session_user OR owner = CURRENT_ROLE);
CREATE POLICY p10 ON "dp Ω"."Orders ""x"""
    USING ("when" BETWEEN '2024-01-31' AND '2025-12-31' AND f > 1.5e10 AND f <> 0.1);
CREATE POLICY p11 ON "dp Ω"."Orders ""x""" USING (CASE WHEN ok THEN "Tenant" = 1 ELSE false END);
CREATE POLICY p12 ON "dp Ω"."Orders ""x"""
    USING (EXISTS (SELECT 1 FROM "dp Ω"."Orders ""x""" o WHERE o."Id" = "Orders ""x"""."Id"));
CREATE POLICY p13 ON "dp Ω"."Orders ""x""" USING ("Tenant" = ANY ((SELECT ARRAY[1, 2])::int[]));
CREATE POLICY p14 ON "dp Ω"."Orders ""x"""
    USING (coalesce(owner, '') <> '' AND NULLIF(owner, 'x') IS NOT NULL
           AND GREATEST(1, "Tenant") = LEAST(2, "Tenant") AND owner IS DISTINCT FROM code);
CREATE POLICY p15 ON "dp Ω"."Orders ""x""" USING ((SELECT "Orders ""x""".owner) = current_user);
CREATE POLICY p16 ON "dp Ω"."Orders ""x"""
    USING (f::numeric(5,1) > 0 AND code = 'x'::varchar(3) AND NOT ok IS TRUE AND ok IS NOT UNKNOWN);
CREATE POLICY p17 ON "dp Ω"."Orders ""x""" USING (owner COLLATE "C" > 'a' AND "Id" NOT IN (1, 2));
CREATE POLICY p18 ON "dp Ω"."Orders ""x""" FOR INSERT
    WITH CHECK ("Tenant" = (SELECT dp_other.current_tenant()) AND tableoid <> 0);
CREATE POLICY p19 ON "dp Ω"."Orders ""x""" FOR UPDATE
    USING ("Orders ""x""" IS NOT NULL) WITH CHECK (tags[1] = 'a' AND ok);
RESET client_min_messages;

-- one snapshot under the default settings and one under other output
-- settings and a hostile search_path, each against pg_policies read the
-- same way
\set pinned 'SET LOCAL search_path = pg_catalog, pg_temp; SET LOCAL DateStyle = ''ISO, MDY''; SET LOCAL IntervalStyle = ''postgres''; SET LOCAL extra_float_digits = 1'
\set oracle 'SELECT p.policyname, p.qual IS NOT DISTINCT FROM s.using_expr AS using_same, p.with_check IS NOT DISTINCT FROM s.check_expr AS check_same FROM pg_catalog.pg_policies p LEFT JOIN rls_audit.snapshot_policies s ON s.snapshot_id = :snap AND s.schema_name = p.schemaname AND s.table_name = p.tablename AND s.policy_name = p.policyname WHERE p.schemaname = ''dp Ω'' ORDER BY 1'
SELECT rls_audit.snapshot('deparse') AS snap \gset
BEGIN;
:pinned;
:oracle;
COMMIT;
-- capture's reader (the tracked state the event triggers keep) agrees too
BEGIN;
:pinned;
SELECT count(*) AS tracked,
       count(*) FILTER (WHERE p.qual IS NOT DISTINCT FROM t.using_expr
                          AND p.with_check IS NOT DISTINCT FROM t.check_expr) AS same
  FROM pg_catalog.pg_policies p
  JOIN rls_audit.tracked_policies t
    ON t.schema_name = p.schemaname AND t.table_name = p.tablename AND t.policy_name = p.policyname
 WHERE p.schemaname = 'dp Ω';
COMMIT;
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SET extra_float_digits = 0;
SET search_path = dp_other, "dp Ω", public;
SELECT rls_audit.snapshot('deparse, other settings') AS snap \gset
BEGIN;
:pinned;
:oracle;
COMMIT;
-- the two snapshots hold the same text
SELECT count(*) AS policies,
       count(*) FILTER (WHERE a.using_expr IS NOT DISTINCT FROM b.using_expr
                          AND a.check_expr IS NOT DISTINCT FROM b.check_expr) AS same_text
  FROM rls_audit.snapshot_policies a
  JOIN rls_audit.snapshot_policies b USING (schema_name, table_name, policy_name)
 WHERE a.snapshot_id = (SELECT id FROM rls_audit.snapshot_meta WHERE label = 'deparse')
   AND b.snapshot_id = :snap;
SELECT b.using_expr AS dates_as_recorded FROM rls_audit.snapshot_policies b
 WHERE b.snapshot_id = :snap AND b.policy_name = 'p10';
-- and the session's own settings are as they were
SHOW DateStyle;
SHOW extra_float_digits;
RESET DateStyle;
RESET IntervalStyle;
RESET extra_float_digits;
RESET search_path;

SET client_min_messages = warning;
DROP SCHEMA "dp Ω" CASCADE;
DROP SCHEMA dp_other CASCADE;
DROP EXTENSION rls_audit;
