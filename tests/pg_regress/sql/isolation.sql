-- The auto-shop tenant go-live: verify_rls.sql replaced by verify_isolation().
-- A healthy four-table schema passes every check; then one leak at a time,
-- each turning exactly the checks it breaks to FAIL.
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE ROLE app_user LOGIN NOBYPASSRLS;
CREATE ROLE "App User" NOLOGIN;
CREATE ROLE not_a_member NOLOGIN;
CREATE SCHEMA shop;
GRANT USAGE ON SCHEMA shop TO app_user, "App User";
CREATE TABLE shop.customers    (id serial PRIMARY KEY, tenant_id int NOT NULL, name text);
CREATE TABLE shop.vehicles     (id serial PRIMARY KEY, tenant_id int NOT NULL, vin text);
CREATE TABLE shop.appointments (id serial PRIMARY KEY, tenant_id int NOT NULL, at timestamptz);
CREATE TABLE shop.services     (id serial PRIMARY KEY, tenant_id int NOT NULL, price numeric);
CREATE TABLE shop.settings_without_tenant (id int);
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['customers', 'vehicles', 'appointments', 'services'] LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON shop.%I TO app_user, "App User"', t);
        EXECUTE format('ALTER TABLE shop.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE shop.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON shop.%I FOR ALL TO app_user, "App User"
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)$p$, t);
        EXECUTE format('INSERT INTO shop.%I (tenant_id) SELECT 1 + g %% 3 FROM generate_series(1, 30) g', t);
    END LOOP;
END $$;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA shop TO app_user, "App User";
CREATE TABLE row_counts AS
    SELECT 'before' AS at, (SELECT count(*) FROM shop.customers) + (SELECT count(*) FROM shop.vehicles)
         + (SELECT count(*) FROM shop.appointments) + (SELECT count(*) FROM shop.services) AS n;
RESET client_min_messages;

-- 1. healthy: every check passes
SELECT check_name, table_name, count(*) AS rows, string_agg(DISTINCT status, ',') AS status
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id')
 GROUP BY check_name, table_name ORDER BY table_name NULLS FIRST, check_name;
SELECT * FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.customers'::regclass]);

-- after every call: the caller's role and data are as before
SELECT current_user = session_user AS same_role,
       coalesce(current_setting('app.tenant_id', true), '') = '' AS setting_not_set;

-- the release-checklist form: only what is not PASS
SELECT check_name, table_name, tenant, status FROM rls_audit.verify_isolation('app_user', 'app.tenant_id')
 WHERE status <> 'PASS';

-- the same with a quoted role and a setting with a dot and capitals
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['customers', 'vehicles', 'appointments', 'services'] LOOP
        EXECUTE format($p$CREATE POLICY "Tenant ""Scope""" ON shop.%I FOR ALL TO "App User"
            USING (tenant_id = NULLIF(current_setting('My.Tenant_ID', true), '')::int)
            WITH CHECK (tenant_id = NULLIF(current_setting('My.Tenant_ID', true), '')::int)$p$, t);
        EXECUTE format($p$ALTER POLICY tenant_isolation ON shop.%I TO app_user$p$, t);
    END LOOP;
END $$;
SELECT status, count(*) FROM rls_audit.verify_isolation('App User', 'My.Tenant_ID') GROUP BY 1;

-- a leak report shows only what changed: this helper keeps the expected output short
CREATE FUNCTION pg_temp.leaks() RETURNS TABLE (check_name text, table_name name, tenants bigint, status text)
LANGUAGE sql AS $$
    SELECT check_name, table_name, count(*), status
      FROM rls_audit.verify_isolation('app_user', 'app.tenant_id')
     WHERE status <> 'PASS' GROUP BY 1, 2, 4 ORDER BY 2 NULLS FIRST, 1
$$;

-- 2. an always-true permissive SELECT policy
CREATE POLICY "read all (temporary)" ON shop.customers FOR SELECT TO app_user USING (true);
SELECT * FROM pg_temp.leaks();
DROP POLICY "read all (temporary)" ON shop.customers;

-- 3. a default-tenant policy: COALESCE(..., '1') instead of failing closed
ALTER POLICY tenant_isolation ON shop.vehicles
    USING (tenant_id = COALESCE(NULLIF(current_setting('app.tenant_id', true), ''), '1')::int);
SELECT * FROM pg_temp.leaks();
ALTER POLICY tenant_isolation ON shop.vehicles
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);

-- 4. an INSERT policy WITH CHECK (true)
CREATE POLICY "insert anything" ON shop.appointments FOR INSERT TO app_user WITH CHECK (true);
SELECT * FROM pg_temp.leaks();
-- the same verdicts whatever the caller's own session has set: with
-- row_security off (as pg_dump sets it) a filtered read fails instead of
-- filtering, an error reads as closed, and with session_replication_role
-- = replica no ordinary trigger fires (the write probes' witness is one)
CREATE TEMP TABLE default_session AS
    SELECT * FROM rls_audit.verify_isolation('app_user', 'app.tenant_id');
SET row_security = off;
SET session_replication_role = replica;
CREATE TEMP TABLE odd_session AS
    SELECT * FROM rls_audit.verify_isolation('app_user', 'app.tenant_id');
RESET row_security;
RESET session_replication_role;
SELECT (SELECT count(*) FROM default_session WHERE status = 'FAIL') AS fails,
       (SELECT count(*) FROM (SELECT * FROM odd_session EXCEPT ALL SELECT * FROM default_session) d)
     + (SELECT count(*) FROM (SELECT * FROM default_session EXCEPT ALL SELECT * FROM odd_session) d)
       AS differing_rows;
DROP TABLE default_session, odd_session;
DROP POLICY "insert anything" ON shop.appointments;

-- 5. an UPDATE policy WITH CHECK (true)
CREATE POLICY "update own" ON shop.services FOR UPDATE TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int) WITH CHECK (true);
SELECT * FROM pg_temp.leaks();
DROP POLICY "update own" ON shop.services;

-- 6. the role granted BYPASSRLS: policies stop applying everywhere
ALTER ROLE app_user BYPASSRLS;
SELECT check_name, count(*) AS rows, string_agg(DISTINCT status, ',') AS status
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id')
 WHERE status <> 'PASS' GROUP BY 1 ORDER BY 1;
ALTER ROLE app_user NOBYPASSRLS;

-- 7. the app role owning an unforced table: the owner bypasses its policies
ALTER TABLE shop.services OWNER TO app_user;
ALTER TABLE shop.services NO FORCE ROW LEVEL SECURITY;
SELECT * FROM pg_temp.leaks();
-- forced, its policies filter the owner's DELETE, but an owner may
-- TRUNCATE its table, which row security does not filter, and may take
-- FORCE off again (rls_forced): what PostgreSQL lets the owner do, as
-- tenant 1, below
ALTER TABLE shop.services FORCE ROW LEVEL SECURITY;
SELECT * FROM pg_temp.leaks();
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id <> 1) AS others_seen_forced FROM shop.services;
ALTER TABLE shop.services NO FORCE ROW LEVEL SECURITY;
SELECT count(*) FILTER (WHERE tenant_id <> 1) > 0 AS others_seen_after_no_force FROM shop.services;
ROLLBACK;
ALTER TABLE shop.services OWNER TO postgres;

-- 8. the app role a member of an unforced table's owner without inheriting
-- it: SET ROLE to the owner is one statement away, and then every row is
-- visible (what PostgreSQL shows after it, below); not while the owner may
-- not use the schema (becoming it reaches nothing)
CREATE ROLE services_owner NOLOGIN;
ALTER TABLE shop.services OWNER TO services_owner;
ALTER TABLE shop.services NO FORCE ROW LEVEL SECURITY;
-- (NOINHERIT first: from PostgreSQL 16 on a grant takes its INHERIT option
-- from the member then)
ALTER ROLE app_user NOINHERIT;
GRANT services_owner TO app_user;
SELECT schema_name, table_name, status, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id')
 WHERE check_name = 'rls_forced' AND status <> 'PASS';
GRANT USAGE ON SCHEMA shop TO services_owner;
SELECT schema_name, table_name, status, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id')
 WHERE check_name = 'rls_forced' AND status <> 'PASS';
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL ROLE services_owner;
SELECT count(*) AS rows_after_set_role FROM shop.services;
ROLLBACK;
REVOKE services_owner FROM app_user;
ALTER ROLE app_user INHERIT;
ALTER TABLE shop.services FORCE ROW LEVEL SECURITY;
ALTER TABLE shop.services OWNER TO postgres;
REVOKE USAGE ON SCHEMA shop FROM services_owner;
DROP ROLE services_owner;

-- write_probes => false, explicit tenants, and a table with one tenant only
SELECT check_name, tenant, status, detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.vehicles'::regclass],
                                  tenants => ARRAY['2', '3'], write_probes => false);
CREATE TABLE shop.single (id serial PRIMARY KEY, tenant_id int);
INSERT INTO shop.single (tenant_id) VALUES (7);
SELECT check_name, tenant, status, detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.single'::regclass]);

-- probe(): the checklist primitive ("anon SELECT is denied")
CREATE ROLE anon NOLOGIN;
SELECT * FROM rls_audit.probe('anon', 'shop.customers');
SELECT * FROM rls_audit.probe('app_user', 'shop.customers');
SELECT * FROM rls_audit.probe('app_user', 'shop.customers', '{"app.tenant_id": "2"}');
SELECT * FROM rls_audit.probe('app_user', 'shop.customers', '{"app.tenant_id": ""}');
SELECT * FROM rls_audit.probe('app_user', 'shop.customers', '{"app.tenant_id": "x"}');

-- nothing changed: same rows, same role
INSERT INTO row_counts
    SELECT 'after', (SELECT count(*) FROM shop.customers) + (SELECT count(*) FROM shop.vehicles)
         + (SELECT count(*) FROM shop.appointments) + (SELECT count(*) FROM shop.services);
SELECT count(DISTINCT n) = 1 AS rows_unchanged FROM row_counts;
SELECT current_user = session_user AS same_role;

-- a cancelled run (statement_timeout mid-probe) leaves the caller as it was,
-- including a setting the caller had set itself
CREATE TABLE shop.slow (id int, tenant_id int);
INSERT INTO shop.slow VALUES (1, 1), (2, 2), (3, 3);
GRANT SELECT ON shop.slow TO app_user;
ALTER TABLE shop.slow ENABLE ROW LEVEL SECURITY;
CREATE POLICY sleepy ON shop.slow TO app_user USING (pg_sleep(0.2) IS NOT NULL);
BEGIN;
SET LOCAL app.tenant_id = '9';
SAVEPOINT before_probe;
SET LOCAL statement_timeout = '100ms';
SELECT * FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.slow'::regclass]);
ROLLBACK TO SAVEPOINT before_probe;
SELECT current_user = session_user AS same_role, current_setting('app.tenant_id') AS setting,
       (SELECT count(*) FROM shop.slow) AS rows;
COMMIT;
-- the same when the cancel comes inside the write statements (a DELETE
-- policy that sleeps): nothing of the shadow table is left, and the next
-- call runs
ALTER POLICY sleepy ON shop.slow USING (true);
CREATE POLICY sleepy_delete ON shop.slow AS RESTRICTIVE FOR DELETE TO app_user USING (pg_sleep(1) IS NOT NULL);
GRANT DELETE ON shop.slow TO app_user;
BEGIN;
SET LOCAL app.tenant_id = '9';
SAVEPOINT before_probe;
SET LOCAL statement_timeout = '500ms';
SELECT * FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.slow'::regclass]);
ROLLBACK TO SAVEPOINT before_probe;
SELECT current_user = session_user AS same_role, current_setting('app.tenant_id') AS setting,
       (SELECT count(*) FROM shop.slow) AS rows, to_regclass('pg_temp.rls_audit_shadow') AS shadow;
COMMIT;
DROP POLICY sleepy_delete ON shop.slow;
SELECT check_name, count(*) AS tenants, string_agg(DISTINCT status, ',') AS status
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.slow'::regclass], write_probes => true)
 WHERE check_name = 'tenant_delete' GROUP BY 1;

-- one call over several tables answers what a call per table answers: the
-- probes of one context run as one statement, and a table that fails
-- there (no privilege, a policy that errors for one tenant) gets its own
-- outcome, as if probed alone. Tenant values differ between the tables
-- (b shares two of a's three), and so do the column's types and quoting
-- (a name may hold anything, "$ARGS" too).
SET client_min_messages = warning;
CREATE SCHEMA mix;
GRANT USAGE ON SCHEMA mix TO app_user;
CREATE TABLE mix.a (tenant_id int);
CREATE TABLE mix.b (tenant_id int);
CREATE TABLE mix.denied (tenant_id int);
CREATE TABLE mix.zero (tenant_id int);
CREATE TABLE mix."Quoted ""T"" $ARGS" (tenant_id text);
INSERT INTO mix.a SELECT 1 + g % 3 FROM generate_series(1, 12) g;
INSERT INTO mix.b SELECT 2 + g % 3 FROM generate_series(1, 12) g;
INSERT INTO mix.denied SELECT 1 + g % 3 FROM generate_series(1, 12) g;
INSERT INTO mix.zero SELECT 1 + g % 3 FROM generate_series(1, 12) g;
INSERT INTO mix."Quoted ""T"" $ARGS" VALUES ('1'), ('2'), ('it''s'), ('2');
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['a', 'b', 'denied', 'zero', 'Quoted "T" $ARGS'] LOOP
        EXECUTE format('ALTER TABLE mix.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        IF t <> 'denied' THEN
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON mix.%I TO app_user', t);
        END IF;
    END LOOP;
END $$;
CREATE POLICY p ON mix.a TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
-- b leaks upwards: tenant 2 sees 3 and 4
CREATE POLICY p ON mix.b TO app_user
    USING (tenant_id >= NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY p ON mix.denied TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
-- division by zero as tenant 3 only
CREATE POLICY p ON mix.zero TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                       + 0 / (NULLIF(current_setting('app.tenant_id', true), '')::int - 3));
CREATE POLICY p ON mix."Quoted ""T"" $ARGS" TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));
CREATE TABLE mix_tables AS
    SELECT ARRAY['mix.a', 'mix.b', 'mix.denied', 'mix.zero', 'mix."Quoted ""T"" $ARGS"']::regclass[] AS t;
CREATE TABLE together AS
    SELECT v.* FROM mix_tables, rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => t) v
     WHERE v.table_name IS NOT NULL;
CREATE TABLE alone AS
    SELECT v.* FROM mix_tables, unnest(t) AS one(t),
           LATERAL rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY[one.t]) v
     WHERE v.table_name IS NOT NULL;
RESET client_min_messages;
SELECT (SELECT count(*) FROM together) AS checks,
       (SELECT count(*) FROM (TABLE together EXCEPT ALL TABLE alone) x)
     + (SELECT count(*) FROM (TABLE alone EXCEPT ALL TABLE together) y) AS differing;
SELECT table_name, check_name, tenant, status, rows_seen, detail FROM together
 WHERE status <> 'PASS' OR check_name = 'tenant_read' ORDER BY 1, 2, 3;
-- a function declared IMMUTABLE that reads the tenant setting (it should
-- be STABLE) is folded by the planner to the value the setting has when
-- the statement is planned: each tenant's statements are planned under
-- that tenant's settings, as a statement the application sends is. What
-- PostgreSQL does with such a statement (EXECUTE: planned each time), as
-- each tenant: DELETE with no WHERE deletes no row of another tenant; and
-- so every write check passes. (A plan kept across tenants, a prepared
-- statement's or PL/pgSQL's static SQL, keeps the first tenant's value:
-- that leak is not what these checks model.)
CREATE FUNCTION mix.current_tenant() RETURNS int LANGUAGE sql IMMUTABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::int $$;
CREATE TABLE mix.folded (tenant_id int);
INSERT INTO mix.folded SELECT 1 + g % 3 FROM generate_series(1, 12) g;
ALTER TABLE mix.folded ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON mix.folded TO app_user;
CREATE POLICY p ON mix.folded TO app_user
    USING (tenant_id = mix.current_tenant()) WITH CHECK (tenant_id = mix.current_tenant());
-- the rows of other tenants a statement (stmt, %s: the tenant) really
-- touches in tbl as tenant t, rolled back
CREATE FUNCTION pg_temp.foreign_written(tbl regclass, t int, stmt text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    before bigint;
    after bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1', tbl) INTO before USING t;
    BEGIN
        PERFORM set_config('app.tenant_id', t::text, true);
        PERFORM set_config('role', 'app_user', true);
        EXECUTE format(stmt, t);
        PERFORM set_config('role', 'none', true);
        EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1', tbl) INTO after USING t;
        RAISE EXCEPTION 'roll back';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN before - after;
END $$;
SELECT t AS tenant, pg_temp.foreign_written('mix.folded', t, 'DELETE FROM mix.folded') AS foreign_rows_deleted
  FROM generate_series(1, 3) t;
SELECT check_name, count(*) AS tenants, string_agg(DISTINCT status, ',') AS status
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.folded'::regclass])
 WHERE check_name LIKE 'tenant\_%' GROUP BY 1 ORDER BY 1;
-- tenant_read looks for the rows of any other tenant, not only of the
-- sampled ones (the three smallest values): the expected rows_seen are
-- what PostgreSQL shows the role as each tenant, the rows whose tenant is
-- another one (NULL is no tenant's). "top" leaks tenant 5, which is not
-- sampled, to everyone; "shared" shows rows without a tenant to everyone
-- (not another tenant's); "arr_*" have a tenant column that is an array
-- itself (int[]), isolating and leaking through overlapping arrays; "xid"
-- has a type with an equality but no ordering (every visible row is
-- compared; tenants given, as it cannot be sampled) and leaks tenant 3.
CREATE TABLE mix.top (tenant_id int);
CREATE TABLE mix.shared (tenant_id int);
CREATE TABLE mix.arr_ok (tenant_id int[]);
CREATE TABLE mix.arr_leak (tenant_id int[]);
CREATE TABLE mix.xid (tenant_id xid);
INSERT INTO mix.top SELECT 1 + g % 5 FROM generate_series(1, 20) g;
INSERT INTO mix.shared SELECT NULLIF(g % 4, 0) FROM generate_series(1, 20) g;
INSERT INTO mix.arr_ok SELECT ARRAY[g % 2, 9] FROM generate_series(1, 12) g;
INSERT INTO mix.arr_ok VALUES ('{}'), ('{}');
INSERT INTO mix.arr_leak SELECT * FROM mix.arr_ok;
INSERT INTO mix.xid SELECT (1 + g % 3)::text::xid FROM generate_series(1, 12) g;
CREATE POLICY p ON mix.top TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR tenant_id = 5);
CREATE POLICY p ON mix.shared TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR tenant_id IS NULL);
CREATE POLICY p ON mix.arr_ok TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int[]);
CREATE POLICY p ON mix.arr_leak TO app_user
    USING (tenant_id && NULLIF(current_setting('app.tenant_id', true), '')::int[]
           OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int[]);
CREATE POLICY p ON mix.xid TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::xid OR tenant_id = '3'::xid);
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['top', 'shared', 'arr_ok', 'arr_leak', 'xid'] LOOP
        EXECUTE format('ALTER TABLE mix.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('GRANT SELECT ON mix.%I TO app_user', t);
    END LOOP;
END $$;
CREATE FUNCTION pg_temp.foreign_seen(tbl regclass, t text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    ty text := (SELECT format_type(atttypid, NULL) FROM pg_attribute
                 WHERE attrelid = tbl AND attname = 'tenant_id');
    seen bigint;
BEGIN
    PERFORM set_config('app.tenant_id', t, true);
    PERFORM set_config('role', 'app_user', true);
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1::%s', tbl, ty) INTO seen USING t;
    PERFORM set_config('role', 'none', true);
    RETURN seen;
END $$;
CREATE TABLE reads AS
    SELECT v.* FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
               tables => ARRAY['mix.top', 'mix.shared', 'mix.arr_ok', 'mix.arr_leak']::regclass[],
               write_probes => false) v
    UNION ALL
    SELECT v.* FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
               tables => ARRAY['mix.xid']::regclass[], tenants => ARRAY['1', '2', '3'],
               write_probes => false) v;
SELECT r.table_name, r.tenant, r.status, r.rows_seen,
       pg_temp.foreign_seen(format('mix.%I', r.table_name)::regclass, r.tenant) AS postgres_shows,
       r.detail
  FROM reads r WHERE r.check_name = 'tenant_read' ORDER BY 1, 2;
DROP TABLE reads;
-- the write checks reach the tenants not probed too: the shadow table
-- holds the first row of each other tenant. top_w hides tenant 5 from
-- reads but lets every tenant delete its rows and take them over. What
-- PostgreSQL does as each tenant, with no WHERE, rolled back: the rows of
-- other tenants DELETE removes and UPDATE ... SET tenant_id = A changes.
CREATE TABLE mix.top_w (tenant_id int);
INSERT INTO mix.top_w SELECT 1 + g % 5 FROM generate_series(1, 20) g;
ALTER TABLE mix.top_w ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON mix.top_w TO app_user;
CREATE POLICY r ON mix.top_w FOR SELECT TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY i ON mix.top_w FOR INSERT TO app_user
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY d ON mix.top_w FOR DELETE TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR tenant_id = 5);
CREATE POLICY u ON mix.top_w FOR UPDATE TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR tenant_id = 5)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT v.check_name, v.tenant, v.status,
       CASE v.check_name
            WHEN 'tenant_delete' THEN pg_temp.foreign_written('mix.top_w', v.tenant::int, 'DELETE FROM mix.top_w')
            WHEN 'tenant_update' THEN pg_temp.foreign_written('mix.top_w', v.tenant::int, 'UPDATE mix.top_w SET tenant_id = %s')
       END AS postgres_touches
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.top_w'::regclass]) v
 WHERE v.tenant IS NOT NULL ORDER BY 1, 2;
-- a tenant named alone is checked against every other tenant: its reads,
-- its DELETE and UPDATE against the first row of each other tenant, and
-- its INSERT for each other tenant (screened, see below)
SELECT v.check_name, v.tenant, v.status, v.rows_seen,
       CASE v.check_name
            WHEN 'tenant_read' THEN pg_temp.foreign_seen('mix.top_w', v.tenant)
            WHEN 'tenant_delete' THEN pg_temp.foreign_written('mix.top_w', v.tenant::int, 'DELETE FROM mix.top_w')
            WHEN 'tenant_update' THEN pg_temp.foreign_written('mix.top_w', v.tenant::int, 'UPDATE mix.top_w SET tenant_id = %s')
       END AS postgres_shows, v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.top_w'::regclass],
                                  tenants => ARRAY['2']) v
 WHERE v.tenant IS NOT NULL ORDER BY 1, 2;
-- inserts into and moves to the tenants not probed: the screen
-- (sql/probe.sql) holds the probed tenants' rows relabelled as each of
-- them under the INSERT and UPDATE policies' checks, and what gets
-- through is tried with the real statement. top_i lets every tenant insert
-- rows for tenant 5 (tenant 6 is held back by a restrictive policy); top_m
-- lets every tenant move its rows to tenant 6 (a restrictive FOR ALL
-- policy without WITH CHECK holds back 5: its USING is the check). The
-- probed tenants are 1 and 2; postgres_writes_for lists the tenants for
-- which PostgreSQL's own statement as the role, rolled back, went through:
-- INSERT of a row for x, and UPDATE ... SET tenant_id = x with no WHERE
-- that touched a row of another tenant.
CREATE TABLE mix.top_i (tenant_id int);
CREATE TABLE mix.top_m (tenant_id int);
INSERT INTO mix.top_i SELECT 1 + g % 6 FROM generate_series(1, 24) g;
INSERT INTO mix.top_m SELECT * FROM mix.top_i;
CREATE POLICY own ON mix.top_i TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY ins ON mix.top_i FOR INSERT TO app_user
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR tenant_id >= 5);
CREATE POLICY not6 ON mix.top_i AS RESTRICTIVE FOR INSERT TO app_user WITH CHECK (tenant_id <> 6);
CREATE POLICY own ON mix.top_m FOR SELECT TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY upd ON mix.top_m FOR UPDATE TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR tenant_id >= 5);
CREATE POLICY not5 ON mix.top_m AS RESTRICTIVE TO app_user USING (tenant_id <> 5);
-- policies of another role count for nothing here, open or closed
CREATE ROLE iso_other;
CREATE POLICY any_row ON mix.top_i FOR INSERT TO iso_other WITH CHECK (true);
CREATE POLICY no_row ON mix.top_m AS RESTRICTIVE FOR UPDATE TO iso_other USING (false);
ALTER TABLE mix.top_i ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE mix.top_m ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON mix.top_i, mix.top_m TO app_user;
CREATE FUNCTION pg_temp.inserts_for(tbl regclass, t int, x int) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('app.tenant_id', t::text, true);
    PERFORM set_config('role', 'app_user', true);
    EXECUTE format('INSERT INTO %s (tenant_id) VALUES ($1)', tbl) USING x;
    RAISE EXCEPTION 'roll back';
EXCEPTION
    WHEN raise_exception THEN RETURN true;
    WHEN insufficient_privilege THEN RETURN false;
END $$;
CREATE FUNCTION pg_temp.moves_to(tbl regclass, t int, x int) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    -- a move changes how many rows other tenants have
    RETURN pg_temp.foreign_written(tbl, t, format('UPDATE %s SET tenant_id = %s', tbl, x)) <> 0;
EXCEPTION WHEN insufficient_privilege THEN
    RETURN false;
END $$;
SELECT v.table_name, v.check_name, v.tenant, v.status, v.rows_seen,
       (SELECT string_agg(x::text, ',' ORDER BY x) FROM generate_series(1, 6) x
         WHERE x <> v.tenant::int
           AND CASE v.check_name
                    WHEN 'tenant_insert' THEN pg_temp.inserts_for(format('mix.%I', v.table_name)::regclass, v.tenant::int, x)
                    ELSE pg_temp.moves_to(format('mix.%I', v.table_name)::regclass, v.tenant::int, x)
               END) AS postgres_writes_for,
       v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.top_i', 'mix.top_m']::regclass[],
                                  tenants => ARRAY['1', '2']) v
 WHERE v.check_name IN ('tenant_insert', 'tenant_update') ORDER BY 1, 2, 3;
-- TRUNCATE is a statement the role may run as any tenant too, and row
-- security does not apply to it: a role that holds the privilege (or owns
-- the table) removes every tenant's rows, whatever the DELETE policies
-- say. Not where a table whose foreign keys reach it is not the role's to
-- truncate (PostgreSQL refuses TRUNCATE without CASCADE, and CASCADE
-- without that privilege). postgres_removes: the rows of other tenants
-- PostgreSQL's own TRUNCATE as the role removed, rolled back.
CREATE TABLE mix.trunc (tenant_id int);
CREATE TABLE mix.trunc_ref (tenant_id int PRIMARY KEY);
CREATE TABLE mix.trunc_child (tenant_id int REFERENCES mix.trunc_ref);
INSERT INTO mix.trunc SELECT 1 + g % 3 FROM generate_series(1, 12) g;
INSERT INTO mix.trunc_ref VALUES (1), (2), (3);
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['trunc', 'trunc_ref'] LOOP
        EXECUTE format('ALTER TABLE mix.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY own ON mix.%I TO app_user
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)$p$, t);
        EXECUTE format('GRANT SELECT, DELETE, TRUNCATE ON mix.%I TO app_user', t);
    END LOOP;
END $$;
CREATE FUNCTION pg_temp.truncated(tbl regclass, t int) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    RETURN pg_temp.foreign_written(tbl, t, format('TRUNCATE %s', tbl));
EXCEPTION WHEN feature_not_supported OR insufficient_privilege THEN
    RETURN 0;
END $$;
SELECT v.table_name, v.tenant, v.status, v.rows_seen,
       pg_temp.truncated(format('mix.%I', v.table_name)::regclass, v.tenant::int) AS postgres_removes, v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.trunc', 'mix.trunc_ref']::regclass[]) v
 WHERE v.check_name = 'tenant_delete' ORDER BY 1, 2;
-- with the write probes off (a standby's checklist) the privilege alone
-- says it
SELECT v.table_name, v.tenant, v.status, v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.trunc', 'mix.trunc_ref']::regclass[],
                                  write_probes => false) v
 WHERE v.check_name = 'tenant_delete' ORDER BY 1;
-- a role that may read some columns but not the tenant column still sees
-- rows: colp_leak shows it every tenant's bodies. Its reads are counted
-- (what PostgreSQL shows it as A, postgres_sees) against A's own rows: more
-- is a FAIL, none a PASS, and as many (colp_own) cannot be told apart by
-- tenant without reading the column: ERROR, not a guess.
CREATE TABLE mix.colp_leak (id int, tenant_id int, body text);
CREATE TABLE mix.colp_own (id int, tenant_id int, body text);
CREATE TABLE mix.colp_none (id int, tenant_id int, body text);
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['colp_leak', 'colp_own', 'colp_none'] LOOP
        EXECUTE format($i$INSERT INTO mix.%I SELECT g, g %% 3 + 1, 'secret ' || g FROM generate_series(1, 9) g$i$, t);
        EXECUTE format('ALTER TABLE mix.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('GRANT SELECT (id, body) ON mix.%I TO app_user', t);
    END LOOP;
END $$;
CREATE POLICY p ON mix.colp_leak TO app_user USING (true);
CREATE POLICY p ON mix.colp_own TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY p ON mix.colp_none TO app_user USING (false);
CREATE FUNCTION pg_temp.sees(tbl regclass, t text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    PERFORM set_config('app.tenant_id', t, true);
    PERFORM set_config('role', 'app_user', true);
    EXECUTE format('SELECT count(*) FROM %s', tbl) INTO n;
    PERFORM set_config('role', 'none', true);
    RETURN n;
END $$;
SELECT v.table_name, v.tenant, v.status, v.rows_seen,
       pg_temp.sees(format('mix.%I', v.table_name)::regclass, v.tenant) AS postgres_sees, v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
           tables => ARRAY['mix.colp_leak', 'mix.colp_own', 'mix.colp_none']::regclass[], write_probes => false) v
 WHERE v.check_name = 'tenant_read' ORDER BY 1, 2;
-- the same for UPDATE: a role that may update the bodies but not the
-- tenant column is refused the probes' UPDATE ... SET tenant_id; its own
-- UPDATE ... SET body is tried instead (to a body of the copied rows): it
-- changes every tenant's rows in colp_leak, its own in colp_own, as
-- PostgreSQL's own UPDATE does (postgres_changes). No row can move.
GRANT UPDATE (body) ON mix.colp_leak, mix.colp_own TO app_user;
CREATE FUNCTION pg_temp.bodies_changed(tbl regclass, t int) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    PERFORM set_config('app.tenant_id', t::text, true);
    PERFORM set_config('role', 'app_user', true);
    EXECUTE format('UPDATE %s SET body = ''changed''', tbl);
    PERFORM set_config('role', 'none', true);
    EXECUTE format('SELECT count(*) FROM %s WHERE body = ''changed'' AND tenant_id <> $1', tbl) INTO n USING t;
    RAISE EXCEPTION 'roll back';
EXCEPTION WHEN raise_exception THEN
    RETURN n;
END $$;
SELECT v.table_name, v.tenant, v.status,
       pg_temp.bodies_changed(format('mix.%I', v.table_name)::regclass, v.tenant::int) AS postgres_changes,
       left(v.detail, 60) AS detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
           tables => ARRAY['mix.colp_leak', 'mix.colp_own']::regclass[]) v
 WHERE v.check_name = 'tenant_update' ORDER BY 1, 2;
-- and for INSERT: a role that may insert the other columns but not the
-- tenant column leaves it to its default. dflt_const's default is tenant
-- 2, under an INSERT check that does not look at the tenant; dflt_setting's
-- is the tenant's own setting; dflt_seq's is a sequence, which the probe
-- does not advance (ERROR, the sequence untouched). postgres_inserts: the
-- rows of another tenant PostgreSQL's own INSERT (id, body) as the role
-- put in, rolled back.
CREATE SEQUENCE mix.dflt_ids START 100;
CREATE TABLE mix.dflt_const (id int, tenant_id int DEFAULT 2, body text);
CREATE TABLE mix.dflt_setting (id int, tenant_id int DEFAULT NULLIF(current_setting('app.tenant_id', true), '')::int, body text);
CREATE TABLE mix.dflt_seq (id int, tenant_id int DEFAULT nextval('mix.dflt_ids'), body text);
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['dflt_const', 'dflt_setting', 'dflt_seq'] LOOP
        EXECUTE format($i$INSERT INTO mix.%I SELECT g, g %% 3 + 1, 'row ' || g FROM generate_series(1, 9) g$i$, t);
        EXECUTE format('ALTER TABLE mix.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY own ON mix.%I TO app_user
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
            WITH CHECK (body IS NOT NULL)$p$, t);
        EXECUTE format('GRANT SELECT, INSERT (id, body) ON mix.%I TO app_user', t);
    END LOOP;
END $$;
GRANT USAGE ON SEQUENCE mix.dflt_ids TO app_user;
SELECT v.table_name, v.tenant, v.status, v.rows_seen, v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
           tables => ARRAY['mix.dflt_const', 'mix.dflt_setting', 'mix.dflt_seq']::regclass[]) v
 WHERE v.check_name = 'tenant_insert' ORDER BY 1, 2;
SELECT last_value, is_called FROM mix.dflt_ids;
SELECT v.table_name, t.tenant,
       -pg_temp.foreign_written(format('mix.%I', v.table_name)::regclass, t.tenant,
                                format('INSERT INTO mix.%I (id, body) VALUES (99, ''new'')', v.table_name)) AS postgres_inserts
  FROM (VALUES ('dflt_const'), ('dflt_setting')) v(table_name), generate_series(1, 3) t(tenant)
 ORDER BY 1, 2;
-- a reader the policies single out: a value compared with the setting
-- itself opens rows to whoever's setting holds it, and no row need have
-- it, so sampling the table never finds it. Such values are probed
-- besides the sampled tenants (an IN list, an ANY array and another
-- role's policy, which counts for nothing here). postgres_sees: the rows
-- PostgreSQL shows the role with the setting at that value (3 are each
-- sampled tenant's own); postgres_deletes: the rows of other tenants its
-- DELETE removes.
CREATE TABLE mix.door (id int, tenant_id int);
INSERT INTO mix.door SELECT g, g % 3 + 1 FROM generate_series(1, 9) g;
ALTER TABLE mix.door ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT, DELETE ON mix.door TO app_user;
CREATE POLICY own ON mix.door TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY support ON mix.door FOR SELECT TO app_user
    USING (NULLIF(current_setting('app.tenant_id', true), '')::int IN (98, 99));
CREATE POLICY purge ON mix.door FOR DELETE TO app_user
    USING (NULLIF(current_setting('app.tenant_id', true), '')::int = ANY ('{97}'::int[]));
CREATE POLICY other ON mix.door TO iso_other
    USING (NULLIF(current_setting('app.tenant_id', true), '')::int = 96);
-- inside a sub-select too
CREATE POLICY sub_door ON mix.door FOR SELECT TO app_user
    USING (EXISTS (SELECT 1 WHERE NULLIF(current_setting('app.tenant_id', true), '')::int = 94));
-- compared as text: a value when the column's type reads it ('x' is not)
CREATE POLICY text_door ON mix.door FOR SELECT TO app_user
    USING (current_setting('app.tenant_id', true) IN ('095', 'x'));
SELECT v.check_name, v.tenant, v.status, v.rows_seen,
       pg_temp.sees('mix.door', v.tenant) AS postgres_sees
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.door']::regclass[]) v
 WHERE v.check_name IN ('tenant_read', 'tenant_delete') ORDER BY 1, 2;
SELECT t AS tenant, pg_temp.foreign_written('mix.door', t, 'DELETE FROM mix.door') AS postgres_deletes
  FROM (VALUES (97), (99)) v(t);
-- an empty table stays SKIP: no row for anyone to see
CREATE TABLE mix.door_empty (id int, tenant_id int);
ALTER TABLE mix.door_empty ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON mix.door_empty TO app_user;
CREATE POLICY support ON mix.door_empty FOR SELECT TO app_user
    USING (NULLIF(current_setting('app.tenant_id', true), '')::int = 99);
SELECT v.check_name, v.tenant, v.status
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.door_empty']::regclass[]) v
 WHERE v.check_name LIKE 'tenant\_%' ORDER BY 1, 2;
-- a tenant named alone: its inserts are screened too
SELECT v.table_name, v.check_name, v.tenant, v.status, v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.top_i', 'mix.top_m']::regclass[],
                                  tenants => ARRAY['3']) v
 WHERE v.check_name IN ('tenant_insert', 'tenant_update') ORDER BY 1, 2, 3;
-- row triggers: the write probes' shadow gets the table's own (a dropped
-- column first, so the WHEN clauses' columns are matched by name). stamp
-- sets the tenant from the setting on INSERT; skip leaves other tenants'
-- rows alone on DELETE (by its WHEN); fixed refuses UPDATE OF tenant_id
-- that changes it. The policies would let all of it through; with the
-- triggers PostgreSQL's own statements as the role change no other
-- tenant's row (postgres_changes), and the checks PASS. Disabled, the
-- triggers are not copied: the checks FAIL, as PostgreSQL's statements do.
CREATE TABLE mix.trg (id int, junk int, tenant_id int, body text);
ALTER TABLE mix.trg DROP COLUMN junk;
INSERT INTO mix.trg SELECT g, g % 3 + 1, 'b' FROM generate_series(1, 9) g;
ALTER TABLE mix.trg ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY sel ON mix.trg FOR SELECT TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY ins ON mix.trg FOR INSERT TO app_user WITH CHECK (true);
CREATE POLICY upd ON mix.trg FOR UPDATE TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int) WITH CHECK (true);
CREATE POLICY del ON mix.trg FOR DELETE TO app_user USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON mix.trg TO app_user;
CREATE FUNCTION mix.stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.tenant_id := NULLIF(current_setting('app.tenant_id', true), '')::int;
    RETURN NEW;
END $$;
CREATE FUNCTION mix.skip() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION mix.fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the tenant of a row is fixed' USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER stamp BEFORE INSERT ON mix.trg FOR EACH ROW EXECUTE FUNCTION mix.stamp();
CREATE TRIGGER skip BEFORE DELETE ON mix.trg FOR EACH ROW
    WHEN (OLD.tenant_id IS DISTINCT FROM NULLIF(current_setting('app.tenant_id', true), '')::int)
    EXECUTE FUNCTION mix.skip();
CREATE TRIGGER fixed BEFORE UPDATE OF tenant_id ON mix.trg FOR EACH ROW
    WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) EXECUTE FUNCTION mix.fixed();
CREATE FUNCTION pg_temp.others_changed(t int, stmt text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    CREATE TEMP TABLE trg_before AS SELECT id, tenant_id FROM mix.trg WHERE tenant_id <> t;
    BEGIN
        PERFORM set_config('app.tenant_id', t::text, true);
        PERFORM set_config('role', 'app_user', true);
        EXECUTE stmt;
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
    PERFORM set_config('role', 'none', true);
    SELECT count(*) INTO n
      FROM ((SELECT id, tenant_id FROM mix.trg WHERE tenant_id <> t EXCEPT ALL TABLE trg_before)
            UNION ALL (TABLE trg_before EXCEPT ALL SELECT id, tenant_id FROM mix.trg WHERE tenant_id <> t)) d;
    RAISE EXCEPTION 'roll back';
EXCEPTION WHEN raise_exception THEN
    RETURN n;
END $$;
CREATE VIEW pg_temp.trg_checks AS
SELECT v.check_name, v.tenant, v.status,
       pg_temp.others_changed(v.tenant::int, CASE v.check_name
           WHEN 'tenant_delete' THEN 'DELETE FROM mix.trg'
           WHEN 'tenant_insert' THEN format('INSERT INTO mix.trg (id, tenant_id, body) VALUES (99, %s, ''x'')',
                                            v.tenant::int % 3 + 1)
           ELSE format('UPDATE mix.trg SET tenant_id = %s', v.tenant::int % 3 + 1) END) AS postgres_changes
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.trg']::regclass[]) v
 WHERE v.check_name IN ('tenant_insert', 'tenant_update', 'tenant_delete');
SELECT * FROM pg_temp.trg_checks ORDER BY 1, 2;
ALTER TABLE mix.trg DISABLE TRIGGER USER;
SELECT * FROM pg_temp.trg_checks ORDER BY 1, 2;
-- the statements run read-only: a trigger that would advance a sequence
-- (or write elsewhere), which no rollback undoes, is refused, and its
-- statement is ERROR, not run; the sequence is untouched. An AFTER
-- trigger (an audit row) is not copied: it changes no row of the table.
CREATE SEQUENCE mix.trg_ids;
CREATE TABLE mix.trg_audit (at timestamptz, what text);
CREATE FUNCTION mix.number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.id := nextval('mix.trg_ids');
    RETURN NEW;
END $$;
CREATE FUNCTION mix.audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mix.trg_audit VALUES (now(), TG_OP);
    RETURN NULL;
END $$;
CREATE TRIGGER number BEFORE INSERT ON mix.trg FOR EACH ROW EXECUTE FUNCTION mix.number();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON mix.trg FOR EACH ROW EXECUTE FUNCTION mix.audit();
GRANT USAGE ON SEQUENCE mix.trg_ids TO app_user;
GRANT INSERT ON mix.trg_audit TO app_user;
SELECT v.check_name, v.tenant, v.status, v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.trg']::regclass[],
                                  tenants => ARRAY['1']) v
 WHERE v.check_name IN ('tenant_insert', 'tenant_update', 'tenant_delete') ORDER BY 1, 2;
SELECT last_value, is_called FROM mix.trg_ids;
SELECT count(*) AS audit_rows FROM mix.trg_audit;
-- names that need quoting, arguments, UPDATE OF a quoted column and a
-- whole-row WHEN are copied as they are: guard refuses a row of another
-- tenant than the setting's, and checks its arguments
CREATE TABLE mix."Guarded" (id int, "Tenant Id" int, body text);
INSERT INTO mix."Guarded" SELECT g, g % 3 + 1, 'b' FROM generate_series(1, 9) g;
ALTER TABLE mix."Guarded" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY "every row" ON mix."Guarded" TO app_user USING (true);
GRANT SELECT, INSERT, UPDATE ON mix."Guarded" TO app_user;
CREATE FUNCTION mix.guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_NARGS <> 2 OR TG_ARGV[0] <> 'x y' THEN
        RAISE EXCEPTION 'guard called with %', TG_ARGV;
    END IF;
    IF NEW."Tenant Id" IS DISTINCT FROM NULLIF(current_setting('app.tenant_id', true), '')::int THEN
        RAISE EXCEPTION 'not this tenant''s row' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER "Guard It" BEFORE UPDATE OF "Tenant Id", body ON mix."Guarded" FOR EACH ROW
    WHEN (NEW IS DISTINCT FROM OLD) EXECUTE FUNCTION mix.guard('x y', '2');
CREATE TRIGGER "guard new" BEFORE INSERT ON mix."Guarded" FOR EACH ROW
    WHEN (NEW."Tenant Id" IS NOT NULL) EXECUTE FUNCTION mix.guard('x y', '3');
SELECT v.check_name, v.tenant, v.status, v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', 'Tenant Id',
                                  tables => ARRAY['mix."Guarded"']::regclass[], tenants => ARRAY['1']) v
 WHERE v.check_name IN ('tenant_insert', 'tenant_update') ORDER BY 1, 2;
-- PostgreSQL's own: the INSERT of another tenant's row is refused, and so
-- is any UPDATE that changes another tenant's row (it stays that tenant's)
-- or moves one away, while tenant 1 may take every row over
SET app.tenant_id = '1';
SET ROLE app_user;
INSERT INTO mix."Guarded" VALUES (99, 2, 'x');
BEGIN;
WITH u AS (UPDATE mix."Guarded" SET "Tenant Id" = 1 RETURNING 1) SELECT count(*) AS taken_over FROM u;
ROLLBACK;
RESET ROLE;
RESET app.tenant_id;

-- a policy that passes its table's whole row to a function (the copy's
-- row is of another type: it is cast to the table's, a dropped column and
-- a quoted one in between): judged, first PASS, then, with a function
-- that also lets shared rows through, FAIL beside PostgreSQL's own DELETE
CREATE TABLE mix."Rows" (id int, tenant_id int, gone int, "Shared?" boolean);
ALTER TABLE mix."Rows" DROP COLUMN gone;
INSERT INTO mix."Rows" SELECT g, g % 3 + 1, g <= 3 FROM generate_series(1, 9) g;
CREATE FUNCTION mix.may_write(r mix."Rows") RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT r.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int $$;
ALTER TABLE mix."Rows" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read own" ON mix."Rows" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "write" ON mix."Rows" FOR INSERT WITH CHECK (mix.may_write("Rows"));
CREATE POLICY "change" ON mix."Rows" FOR UPDATE USING (mix.may_write("Rows")) WITH CHECK (mix.may_write("Rows"));
CREATE POLICY "remove" ON mix."Rows" FOR DELETE USING (EXISTS (SELECT WHERE mix.may_write("Rows")));
GRANT SELECT, INSERT, UPDATE, DELETE ON mix."Rows" TO app_user;
SELECT v.check_name, v.tenant, v.status, v.rows_seen
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix."Rows"']::regclass[],
                                  tenants => ARRAY['1', '2']) v
 WHERE v.check_name IN ('tenant_insert', 'tenant_update', 'tenant_delete') ORDER BY 1, 2;
CREATE OR REPLACE FUNCTION mix.may_write(r mix."Rows") RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT r.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR r."Shared?" $$;
SELECT v.check_name, v.tenant, v.status, v.rows_seen
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix."Rows"']::regclass[],
                                  tenants => ARRAY['1', '2']) v
 WHERE v.check_name IN ('tenant_insert', 'tenant_update', 'tenant_delete') ORDER BY 1, 2;
BEGIN;
SET LOCAL app.tenant_id = '1';
SET LOCAL ROLE app_user;
DELETE FROM mix."Rows";
INSERT INTO mix."Rows" VALUES (10, 2, true);
RESET ROLE;
SELECT count(*) FILTER (WHERE tenant_id <> 1 AND id < 10) AS other_tenants_left,
       count(*) FILTER (WHERE id = 10) AS inserted_for_tenant_2
  FROM mix."Rows";
ROLLBACK;

-- a rule rewrites the application's statement where the shadow has none:
-- DO INSTEAD NOTHING on DELETE (PostgreSQL's own DELETE removes nothing,
-- though the DELETE policy would let every row go): SKIP, naming the rule
-- and what the shadow alone said; the UPDATE without a rule is judged.
CREATE TABLE mix.ruled (id int, tenant_id int, body text);
INSERT INTO mix.ruled SELECT g, g % 3 + 1, 'b' FROM generate_series(1, 9) g;
ALTER TABLE mix.ruled ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY own ON mix.ruled TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY purge ON mix.ruled FOR DELETE TO app_user USING (true);
GRANT SELECT, UPDATE, DELETE ON mix.ruled TO app_user;
CREATE RULE "keep it" AS ON DELETE TO mix.ruled DO INSTEAD NOTHING;
SELECT v.check_name, v.tenant, v.status, v.detail,
       CASE WHEN v.check_name = 'tenant_delete'
            THEN pg_temp.foreign_written('mix.ruled', v.tenant::int, 'DELETE FROM mix.ruled') END AS postgres_deletes
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['mix.ruled']::regclass[],
                                  tenants => ARRAY['1']) v
 WHERE v.check_name IN ('tenant_update', 'tenant_delete') ORDER BY 1, 2;

-- views and materialized views the role may use are read through as the
-- role, found by their tenant column like tables: a view reads its tables
-- as its owner unless it is security_invoker, and a materialized view has
-- no row security at all. One the role may not use is left out.
-- postgres_sees: every row PostgreSQL shows the role through it as that
-- tenant (3 are the tenant's own).
CREATE SCHEMA vw;
CREATE TABLE vw.base (id int, tenant_id int);
INSERT INTO vw.base SELECT g, g % 2 + 1 FROM generate_series(1, 6) g;
ALTER TABLE vw.base ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY own ON vw.base TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT USAGE ON SCHEMA vw TO app_user;
GRANT SELECT ON vw.base TO app_user;
CREATE VIEW vw.definer AS SELECT * FROM vw.base;
CREATE VIEW vw.invoker WITH (security_invoker) AS SELECT * FROM vw.base;
CREATE VIEW vw.summary AS SELECT tenant_id, count(*) AS n FROM vw.base GROUP BY 1;
CREATE MATERIALIZED VIEW vw.snap AS SELECT * FROM vw.base;
CREATE VIEW vw.unused AS SELECT * FROM vw.base;
GRANT SELECT, DELETE ON vw.definer TO app_user;
GRANT SELECT ON vw.invoker, vw.snap TO app_user;
GRANT SELECT, DELETE ON vw.summary TO app_user;
SELECT v.check_name, v.table_name, v.tenant, v.status, v.rows_seen,
       CASE WHEN v.tenant IS NOT NULL AND v.check_name = 'tenant_read'
            THEN pg_temp.sees(format('vw.%I', v.table_name)::regclass, v.tenant) END AS postgres_sees
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id') v
 WHERE v.schema_name = 'vw' ORDER BY 2, 1, 3;
-- what the details say for each kind
SELECT DISTINCT v.table_name, v.check_name, v.status, v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
           tables => ARRAY['vw.definer', 'vw.snap', 'vw.summary']::regclass[], tenants => ARRAY['1']) v
 WHERE v.check_name IN ('fail_closed_unset', 'tenant_read', 'tenant_delete') ORDER BY 1, 2;
-- writes through a view: PostgreSQL writes through an auto-updatable view
-- itself, to its one table, as the view's owner (unless it is
-- security_invoker). Where row security does not apply to that owner (a
-- superuser; the table's owner on a table that is not forced; BYPASSRLS;
-- RLS disabled) a DELETE or UPDATE through the view reaches exactly the
-- rows a read through it shows: judged from that read. scoped's own WHERE
-- reads the setting (it shows the caller nothing, so it is probed with its
-- table's tenants); owned's owner owns its table, which is not forced;
-- refused's owner may not write the table; invoker and trig (an INSTEAD OF
-- trigger) write where the probes do not reach: SKIP. postgres_touches:
-- the rows of other tenants PostgreSQL's own statement through the view
-- deletes or changes (UPDATE ... SET id = -id); postgres_moves: the rows
-- its UPDATE ... SET tenant_id = <the other tenant> moves there (scoped
-- has no CHECK OPTION: each tenant moves the rows it sees).
CREATE ROLE vw_owner;
CREATE ROLE vw_other;
CREATE TABLE vw.base2 (id int, tenant_id int);
INSERT INTO vw.base2 SELECT g, g % 2 + 1 FROM generate_series(1, 6) g;
ALTER TABLE vw.base2 ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON vw.base2 TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
ALTER TABLE vw.base2 OWNER TO vw_owner;
CREATE VIEW vw.scoped AS SELECT * FROM vw.base
 WHERE tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int;
CREATE VIEW vw.owned AS SELECT * FROM vw.base2;
ALTER VIEW vw.owned OWNER TO vw_owner;
CREATE VIEW vw.refused AS SELECT * FROM vw.base;
ALTER VIEW vw.refused OWNER TO vw_other;
CREATE VIEW vw.trig AS SELECT * FROM vw.base;
CREATE FUNCTION vw.keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER keep INSTEAD OF UPDATE OR DELETE ON vw.trig FOR EACH ROW EXECUTE FUNCTION vw.keep();
GRANT SELECT, UPDATE, DELETE ON vw.scoped, vw.owned, vw.refused, vw.trig TO app_user;
GRANT UPDATE, DELETE ON vw.invoker TO app_user;
GRANT UPDATE ON vw.definer TO app_user;
CREATE FUNCTION pg_temp.foreign_touched(base regclass, t int, stmt text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    before bigint;
    after bigint;
    changed bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1', base) INTO before USING t;
    PERFORM set_config('app.tenant_id', t::text, true);
    PERFORM set_config('role', 'app_user', true);
    BEGIN
        EXECUTE stmt;
    EXCEPTION WHEN insufficient_privilege THEN
        NULL;
    END;
    PERFORM set_config('role', 'none', true);
    EXECUTE format('SELECT count(*), count(*) FILTER (WHERE id < 0) FROM %s WHERE tenant_id <> $1', base)
       INTO after, changed USING t;
    RAISE EXCEPTION 'roll back';
EXCEPTION WHEN raise_exception THEN
    RETURN before - after + changed;
END $$;
CREATE FUNCTION pg_temp.moved(base regclass, t int, view text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    before bigint;
    after bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1', base) INTO before USING t;
    PERFORM set_config('app.tenant_id', t::text, true);
    PERFORM set_config('role', 'app_user', true);
    BEGIN
        EXECUTE format('UPDATE vw.%I SET tenant_id = %s', view, t % 2 + 1);
    EXCEPTION WHEN insufficient_privilege OR feature_not_supported OR object_not_in_prerequisite_state
                   OR with_check_option_violation THEN
        NULL;
    END;
    PERFORM set_config('role', 'none', true);
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1', base) INTO after USING t;
    RAISE EXCEPTION 'roll back';
EXCEPTION WHEN raise_exception THEN
    RETURN after - before;
END $$;
SELECT v.table_name, v.check_name, v.tenant, v.status, v.rows_seen,
       pg_temp.foreign_touched(CASE WHEN v.table_name = 'owned' THEN 'vw.base2' ELSE 'vw.base' END::regclass,
                               v.tenant::int,
                               CASE v.check_name WHEN 'tenant_delete' THEN format('DELETE FROM vw.%I', v.table_name)
                                                 ELSE format('UPDATE vw.%I SET id = -id', v.table_name) END)
           AS postgres_touches,
       CASE WHEN v.check_name = 'tenant_update'
            THEN pg_temp.moved(CASE WHEN v.table_name = 'owned' THEN 'vw.base2' ELSE 'vw.base' END::regclass,
                               v.tenant::int, v.table_name) END AS postgres_moves
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
           tables => ARRAY['vw.definer', 'vw.scoped', 'vw.owned', 'vw.refused', 'vw.invoker', 'vw.trig']::regclass[]) v
 WHERE v.check_name IN ('tenant_update', 'tenant_delete') ORDER BY 1, 2, 3;
SELECT DISTINCT v.table_name, v.status, v.detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
           tables => ARRAY['vw.definer', 'vw.scoped', 'vw.owned', 'vw.refused', 'vw.invoker']::regclass[],
           tenants => ARRAY['1']) v
 WHERE v.check_name = 'tenant_delete' ORDER BY 1;
-- forced, the table's policies apply to its owner too: not judged
ALTER TABLE vw.base2 FORCE ROW LEVEL SECURITY;
SELECT v.tenant, v.status, pg_temp.foreign_touched('vw.base2', v.tenant::int, 'DELETE FROM vw.owned') AS postgres_touches
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['vw.owned', 'vw.base2']::regclass[]) v
 WHERE v.check_name = 'tenant_delete' AND v.table_name = 'owned' ORDER BY 1;
-- a view the role may DELETE through but not read (no SELECT needed for
-- a DELETE with no WHERE): judged from a read with SELECT lent to it for
-- the probe (rolled back: it still has none after); a CHECK OPTION that
-- keeps scoped's rows to the tenant: nothing moves
CREATE VIEW vw.blind AS SELECT * FROM vw.base;
GRANT DELETE ON vw.blind TO app_user;
CREATE VIEW vw.checked AS SELECT * FROM vw.base
 WHERE tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int WITH LOCAL CHECK OPTION;
GRANT SELECT, UPDATE ON vw.checked TO app_user;
SELECT v.table_name, v.check_name, v.tenant, v.status, v.rows_seen,
       CASE v.check_name
            WHEN 'tenant_delete' THEN pg_temp.foreign_touched('vw.base', v.tenant::int, 'DELETE FROM vw.blind')
            ELSE pg_temp.moved('vw.base', v.tenant::int, 'checked') END AS postgres_touches_or_moves
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['vw.blind', 'vw.checked']::regclass[]) v
 WHERE (v.table_name, v.check_name) IN (('blind', 'tenant_delete'), ('checked', 'tenant_update')) ORDER BY 1, 2, 3;
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['vw.blind']::regclass[])
 WHERE check_name = 'tenant_delete' AND tenant = '1';
SELECT has_table_privilege('app_user', 'vw.blind', 'SELECT') AS blind_readable;
-- a sequence is neither a table nor a view
CREATE SEQUENCE vw.seq;
SELECT * FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['vw.seq']::regclass[]);

SET client_min_messages = warning;
DROP SCHEMA vw CASCADE;
DROP ROLE vw_owner;
DROP ROLE vw_other;
DROP SCHEMA mix CASCADE;
DROP ROLE iso_other;
DROP TABLE mix_tables, together, alone;
RESET client_min_messages;

-- "unset" in a session that has already defined the setting (every call
-- above did): PostgreSQL reads it as '' there, never NULL again, so a
-- policy that opens every row when the setting is NULL looked closed. The
-- unset probes then run in a backend of their own, where it is undefined,
-- and see what a fresh login sees: every row. Also inside a transaction
-- whose only writes are earlier calls' rolled-back probes. After a write
-- of its own a new backend would not see what the transaction sees: the
-- probe reads '' in this session, and the detail says so (the limit the
-- README names: this policy then reads as closed).
SELECT current_setting('app.tenant_id', true) IS NOT NULL AS defined_here;
CREATE TABLE public.null_opens (id int, tenant_id int);
INSERT INTO public.null_opens SELECT g, 1 + g % 3 FROM generate_series(1, 12) g;
ALTER TABLE public.null_opens ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT SELECT ON public.null_opens TO app_user;
CREATE POLICY p ON public.null_opens TO app_user
    USING (current_setting('app.tenant_id', true) IS NULL
           OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
           tables => ARRAY['public.null_opens'::regclass]) WHERE check_name = 'fail_closed_unset';
BEGIN;
SELECT count(*) AS checks FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
           tables => ARRAY['public.null_opens'::regclass]);
SELECT status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
           tables => ARRAY['public.null_opens'::regclass]) WHERE check_name = 'fail_closed_unset';
INSERT INTO public.null_opens VALUES (100, 1);
SELECT status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
           tables => ARRAY['public.null_opens'::regclass]) WHERE check_name = 'fail_closed_unset';
ROLLBACK;
DROP TABLE public.null_opens;

-- a partition the role may query directly is probed too (by default only
-- parents are): there its own RLS flags and policies apply, not the
-- parent's. parted_b has no RLS and app_user may read it directly; what
-- PostgreSQL shows app_user as tenant 1 there: the other tenants' rows.
-- parted_a, reached only through the parent, is not probed.
CREATE TABLE shop.parted (id int, tenant_id int) PARTITION BY RANGE (id);
CREATE TABLE shop.parted_a PARTITION OF shop.parted FOR VALUES FROM (0) TO (100);
CREATE TABLE shop.parted_b PARTITION OF shop.parted FOR VALUES FROM (100) TO (200);
INSERT INTO shop.parted SELECT g, 1 + g % 3 FROM generate_series(1, 199) g;
ALTER TABLE shop.parted ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON shop.parted TO app_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT SELECT ON shop.parted, shop.parted_b TO app_user;
SELECT table_name, check_name, tenant, status, rows_seen
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', write_probes => false)
 WHERE table_name LIKE 'parted%' AND (status <> 'PASS' OR check_name = 'rls_enabled')
 ORDER BY 1, 2, 3;
BEGIN;
SELECT set_config('app.tenant_id', '1', true) IS NOT NULL AS set;
SET LOCAL ROLE app_user;
SELECT count(*) AS other_tenants_rows_in_parted_b FROM shop.parted_b WHERE tenant_id <> 1;
ROLLBACK;
DROP TABLE shop.parted;

-- bad input: a clear error with its SQLSTATE
\set VERBOSITY sqlstate
SELECT * FROM rls_audit.verify_isolation('nobody', 'app.tenant_id');
SELECT * FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', 'no_such_column');
SELECT * FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.settings_without_tenant'::regclass]);
SELECT * FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY[4000000000::oid::regclass]);
SELECT * FROM rls_audit.verify_isolation('app_user', 'not a setting');
SELECT * FROM rls_audit.verify_isolation('app_user', 'role');
SELECT * FROM rls_audit.verify_isolation('app_user', 'Row_Security');
SELECT * FROM rls_audit.verify_isolation(NULL, 'app.tenant_id');
SELECT * FROM rls_audit.probe('app_user', 'shop.nope');
SELECT * FROM rls_audit.probe('app_user', 'shop.customers', '[1, 2]');
-- the write probes' counting trigger counts for them only: on any other
-- table it refuses, as an internal error
CREATE TABLE shop.elsewhere (tenant_id int);
CREATE TRIGGER count_here AFTER INSERT ON shop.elsewhere FOR EACH ROW EXECUTE FUNCTION rls_audit._shadow_count();
INSERT INTO shop.elsewhere VALUES (1);
\set VERBOSITY default
-- a caller who may not become the role gets 42501 before anything runs;
-- a member of the role may verify it
CREATE ROLE auditor LOGIN;
GRANT USAGE ON SCHEMA rls_audit TO auditor;
GRANT "App User" TO auditor;
SELECT 'shop.customers'::regclass::oid AS customers_oid \gset
\c - auditor
SELECT * FROM rls_audit.verify_isolation('not_a_member', 'app.tenant_id');
SELECT * FROM rls_audit.probe('not_a_member', :customers_oid::oid::regclass);
SELECT * FROM rls_audit.probe('app_user', :customers_oid::oid::regclass);
SELECT * FROM rls_audit.probe('App User', :customers_oid::oid::regclass, '{"My.Tenant_ID": 1}');
\c - postgres

-- TRUNCATE one SET ROLE away: trunc_user may SET ROLE to trunc_keeper (a
-- membership it does not inherit), which holds TRUNCATE on trunc_set only.
-- Beside the verdicts: PostgreSQL's own TRUNCATE in a session of
-- trunc_user, before and after that SET ROLE (rolled back).
CREATE ROLE trunc_keeper;
CREATE ROLE trunc_user LOGIN NOINHERIT;
GRANT trunc_keeper TO trunc_user;
GRANT USAGE ON SCHEMA shop TO trunc_keeper, trunc_user;
CREATE TABLE shop.trunc_set (tenant_id int);
CREATE TABLE shop.trunc_kept (tenant_id int);
INSERT INTO shop.trunc_set SELECT 1 + g % 3 FROM generate_series(1, 12) g;
INSERT INTO shop.trunc_kept SELECT 1 + g % 3 FROM generate_series(1, 12) g;
ALTER TABLE shop.trunc_set ENABLE ROW LEVEL SECURITY;
ALTER TABLE shop.trunc_kept ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON shop.trunc_set TO trunc_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY own ON shop.trunc_kept TO trunc_user
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT SELECT, DELETE ON shop.trunc_set, shop.trunc_kept TO trunc_user;
GRANT TRUNCATE ON shop.trunc_set TO trunc_keeper;
SELECT v.table_name, v.tenant, v.status, v.rows_seen, v.detail
  FROM rls_audit.verify_isolation('trunc_user', 'app.tenant_id',
           tables => ARRAY['shop.trunc_set', 'shop.trunc_kept']::regclass[]) v
 WHERE v.check_name = 'tenant_delete' ORDER BY 1, 2;
SELECT v.table_name, v.status
  FROM rls_audit.verify_isolation('trunc_user', 'app.tenant_id',
           tables => ARRAY['shop.trunc_set', 'shop.trunc_kept']::regclass[], write_probes => false) v
 WHERE v.check_name = 'tenant_delete' ORDER BY 1;
\c - trunc_user
SET app.tenant_id = '1';
BEGIN;
TRUNCATE shop.trunc_set;
ROLLBACK;
BEGIN;
SET LOCAL ROLE trunc_keeper;
TRUNCATE shop.trunc_set;
ROLLBACK;
BEGIN;
SET LOCAL ROLE trunc_keeper;
TRUNCATE shop.trunc_kept;
ROLLBACK;
\c - postgres
SELECT (SELECT count(*) FROM shop.trunc_set) AS trunc_set_rows, (SELECT count(*) FROM shop.trunc_kept) AS trunc_kept_rows;

-- one SET ROLE away: what a session of the role reads and writes as a role
-- it may SET ROLE to is its own. setrole_app (NOINHERIT) may become
-- setrole_support, whose SELECT policy is open; setrole_web inherits
-- setrole_group, and a restrictive policy holds back setrole_web alone;
-- setrole_idle may become a role that holds nothing here
CREATE ROLE setrole_app LOGIN NOINHERIT;
CREATE ROLE setrole_support NOLOGIN;
CREATE ROLE setrole_web LOGIN;
CREATE ROLE setrole_group NOLOGIN;
CREATE ROLE setrole_idle LOGIN;
CREATE ROLE setrole_nothing NOLOGIN;
GRANT setrole_support TO setrole_app;
GRANT setrole_group TO setrole_web;
GRANT setrole_nothing TO setrole_idle;
CREATE TABLE shop.setrole (id int, tenant_id int, body text);
INSERT INTO shop.setrole SELECT g, g % 3 + 1, 'b' FROM generate_series(1, 12) g;
ALTER TABLE shop.setrole ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA shop TO setrole_app, setrole_support, setrole_group, setrole_idle;
GRANT SELECT, DELETE ON shop.setrole TO setrole_app, setrole_support, setrole_group, setrole_idle;
CREATE POLICY tenant ON shop.setrole
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY support ON shop.setrole FOR SELECT TO setrole_support USING (true);
CREATE POLICY group_deletes ON shop.setrole FOR DELETE TO setrole_group USING (true);
CREATE POLICY web_only ON shop.setrole AS RESTRICTIVE FOR DELETE TO setrole_web
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
-- the rows of tenants other than 1, counted as the table's owner
CREATE FUNCTION shop.setrole_others() RETURNS bigint LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog AS $$ SELECT count(*) FROM shop.setrole WHERE tenant_id <> 1 $$;
GRANT EXECUTE ON FUNCTION shop.setrole_others() TO setrole_web, setrole_group;
SELECT r.role, v.check_name, v.tenant, v.status, v.rows_seen, v.detail
  FROM unnest(ARRAY['setrole_app', 'setrole_web', 'setrole_idle']) r(role),
       rls_audit.verify_isolation(r.role, 'app.tenant_id', tables => ARRAY['shop.setrole'::regclass]) v
 WHERE v.check_name NOT IN ('role_not_superuser', 'role_no_bypassrls', 'rls_enabled', 'rls_forced')
   AND (v.tenant IS NULL OR v.tenant = '1')
 ORDER BY 1, 2;
-- PostgreSQL's own statements, as each role and one SET ROLE later
\c - setrole_app
SET app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id <> 1) AS app_sees_others FROM shop.setrole;
SET ROLE setrole_support;
SELECT count(*) FILTER (WHERE tenant_id <> 1) AS support_sees_others FROM shop.setrole;
\c - setrole_web
SET app.tenant_id = '1';
BEGIN;
DELETE FROM shop.setrole;
SELECT 8 - shop.setrole_others() AS web_deleted;
ROLLBACK;
BEGIN;
SET LOCAL ROLE setrole_group;
DELETE FROM shop.setrole;
SELECT 8 - shop.setrole_others() AS group_deleted;
ROLLBACK;
\c - postgres

-- foreign keys' actions: products' keys run ON DELETE CASCADE (to
-- categories) and SET NULL (to shelves) as products' owner, without
-- row-level security. First both are shared, and app_user may DELETE
-- there: each tenant's DELETE deletes and changes the other tenants'
-- products. Then both have a tenant policy: only product 5 (tenant 3)
-- references a category and a shelf of another tenant (2). Then the
-- category key holds the tenant too, and product 5 has no shelf: nothing.
-- Beside the verdicts: PostgreSQL's own DELETE FROM shop.categories and
-- DELETE FROM shop.shelves as app_user with each tenant (rolled back),
-- and the other tenants' products their keys' actions deleted and changed.
CREATE TABLE shop.categories (id int PRIMARY KEY, tenant_id int, UNIQUE (tenant_id, id));
CREATE TABLE shop.shelves (id int PRIMARY KEY, tenant_id int);
CREATE TABLE shop.products (id int, tenant_id int,
    category_id int REFERENCES shop.categories ON DELETE CASCADE,
    shelf_id int REFERENCES shop.shelves ON DELETE SET NULL);
INSERT INTO shop.categories SELECT g, CASE WHEN g <= 2 THEN 1 ELSE 2 END FROM generate_series(1, 4) g;
INSERT INTO shop.shelves SELECT * FROM shop.categories;
INSERT INTO shop.products VALUES (1, 1, 1, 1), (2, 1, 2, 2), (3, 2, 3, 3), (4, 2, 4, 4), (5, 3, 3, 4);
ALTER TABLE shop.products ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON shop.products
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.products TO app_user;
GRANT SELECT, DELETE ON shop.categories, shop.shelves TO app_user;
-- what the keys' actions wrote: a trigger on products logs each row the
-- DELETE's action deleted or changed
CREATE TABLE shop.products_touched (op text, tenant_id int);
CREATE FUNCTION shop.log_touch() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    INSERT INTO shop.products_touched VALUES (TG_OP, OLD.tenant_id);
    RETURN NULL;
END $$;
CREATE TRIGGER log_touch AFTER UPDATE OR DELETE ON shop.products
    FOR EACH ROW EXECUTE FUNCTION shop.log_touch();
CREATE FUNCTION pg_temp.cascaded(t int, tbl text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
BEGIN
    BEGIN
        DELETE FROM shop.products_touched;
        PERFORM set_config('app.tenant_id', t::text, true);
        PERFORM set_config('role', 'app_user', true);
        EXECUTE format('DELETE FROM shop.%I', tbl);
        PERFORM set_config('role', 'none', true);
        SELECT count(*) INTO n FROM shop.products_touched WHERE tenant_id <> t;
        RAISE EXCEPTION 'roll back';
    EXCEPTION
        WHEN raise_exception THEN NULL;
        WHEN insufficient_privilege THEN NULL;
    END;
    RETURN n;
END $$;
CREATE FUNCTION pg_temp.cascades_beside() RETURNS TABLE (tenant text, check_name text, status text,
                                                         rows_seen bigint, postgres_touched bigint)
LANGUAGE sql AS $$
    SELECT v.tenant, v.check_name, v.status, v.rows_seen,
           pg_temp.cascaded(v.tenant::int, CASE v.check_name WHEN 'tenant_delete' THEN 'categories'
                                                             ELSE 'shelves' END)
      FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
                                      tables => ARRAY['shop.products'::regclass]) v
     WHERE v.check_name IN ('tenant_delete', 'tenant_update')
     ORDER BY 1, 2
$$;
SELECT * FROM pg_temp.cascades_beside();
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.products'::regclass])
 WHERE tenant = '1' AND check_name IN ('tenant_delete', 'tenant_update') ORDER BY check_name;
ALTER TABLE shop.categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE shop.shelves ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON shop.categories
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY tenant ON shop.shelves
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT * FROM pg_temp.cascades_beside();
UPDATE shop.products SET category_id = NULL, shelf_id = NULL WHERE id = 5;
ALTER TABLE shop.products DROP CONSTRAINT products_category_id_fkey,
    ADD FOREIGN KEY (tenant_id, category_id) REFERENCES shop.categories (tenant_id, id) ON DELETE CASCADE;
SELECT * FROM pg_temp.cascades_beside();
-- a key whose referenced table the role may not delete from: nothing
REVOKE DELETE ON shop.categories, shop.shelves FROM app_user;
ALTER TABLE shop.categories DISABLE ROW LEVEL SECURITY;
ALTER TABLE shop.shelves DISABLE ROW LEVEL SECURITY;
UPDATE shop.products SET shelf_id = 4 WHERE id = 1;
SELECT * FROM pg_temp.cascades_beside();

-- foreign keys' ON UPDATE actions: orders' keys run ON UPDATE CASCADE (to
-- regions, whose id app_user may UPDATE) and ON UPDATE SET NULL (to
-- carriers, a varchar(3) code) as orders' owner, without row-level
-- security: a tenant that changes a shared key changes the other tenants'
-- orders. Beside the verdicts: PostgreSQL's own UPDATE of every key to a
-- new value as app_user with each tenant (rolled back), and the other
-- tenants' orders the keys' actions changed. Then the parents have a
-- tenant policy (only order 5, tenant 3, references tenant 2's region and
-- carrier), a trigger that keeps regions' ids, and no UPDATE at all.
CREATE TABLE shop.regions (id int PRIMARY KEY, tenant_id int);
CREATE TABLE shop.carriers (code varchar(3) PRIMARY KEY, tenant_id int);
CREATE TABLE shop.orders (id int, tenant_id int,
    region_id int REFERENCES shop.regions ON UPDATE CASCADE,
    carrier varchar(3) REFERENCES shop.carriers ON UPDATE SET NULL);
INSERT INTO shop.regions SELECT g, CASE WHEN g <= 2 THEN 1 ELSE 2 END FROM generate_series(1, 4) g;
INSERT INTO shop.carriers SELECT 'c' || id, tenant_id FROM shop.regions;
INSERT INTO shop.orders VALUES (1, 1, 1, 'c1'), (2, 1, 2, 'c2'), (3, 2, 3, 'c3'), (4, 2, 4, 'c4'),
                               (5, 3, 3, 'c4');
ALTER TABLE shop.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON shop.orders
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.orders TO app_user;
GRANT SELECT, UPDATE (id) ON shop.regions TO app_user;
GRANT SELECT, UPDATE ON shop.carriers TO app_user;
CREATE TABLE shop.orders_touched (tenant_id int);
CREATE FUNCTION shop.log_order() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    INSERT INTO shop.orders_touched VALUES (OLD.tenant_id);
    RETURN NULL;
END $$;
CREATE TRIGGER log_order AFTER UPDATE ON shop.orders
    FOR EACH ROW EXECUTE FUNCTION shop.log_order();
CREATE FUNCTION pg_temp.rekeyed(t int, stmt text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
BEGIN
    BEGIN
        DELETE FROM shop.orders_touched;
        PERFORM set_config('app.tenant_id', t::text, true);
        PERFORM set_config('role', 'app_user', true);
        EXECUTE stmt;
        PERFORM set_config('role', 'none', true);
        SELECT count(*) INTO n FROM shop.orders_touched WHERE tenant_id <> t;
        RAISE EXCEPTION 'roll back';
    EXCEPTION
        WHEN raise_exception THEN NULL;
        WHEN insufficient_privilege THEN NULL;
    END;
    RETURN n;
END $$;
CREATE FUNCTION pg_temp.rekeys_beside() RETURNS TABLE (tenant text, status text, rows_seen bigint,
                                                       postgres_changed bigint)
LANGUAGE sql AS $$
    SELECT v.tenant, v.status, v.rows_seen,
           pg_temp.rekeyed(v.tenant::int, 'UPDATE shop.regions SET id = id + 100')
           + pg_temp.rekeyed(v.tenant::int, 'UPDATE shop.carriers SET code = code || ''x''')
      FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
                                      tables => ARRAY['shop.orders'::regclass]) v
     WHERE v.check_name = 'tenant_update'
     ORDER BY 1
$$;
SELECT * FROM pg_temp.rekeys_beside();
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.orders'::regclass])
 WHERE tenant = '1' AND check_name = 'tenant_update';
ALTER TABLE shop.regions ENABLE ROW LEVEL SECURITY;
ALTER TABLE shop.carriers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON shop.regions
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY tenant ON shop.carriers
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT * FROM pg_temp.rekeys_beside();
CREATE FUNCTION shop.keep_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'region ids are fixed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER keep_id BEFORE UPDATE ON shop.regions FOR EACH ROW EXECUTE FUNCTION shop.keep_id();
SELECT * FROM pg_temp.rekeys_beside();
REVOKE UPDATE ON shop.carriers FROM app_user;
SELECT * FROM pg_temp.rekeys_beside();
-- a SET NULL whose column is NOT NULL can only fail (PostgreSQL refuses
-- the parent's UPDATE and DELETE): nothing is written, nothing fails
CREATE TABLE shop.teams (id int PRIMARY KEY);
INSERT INTO shop.teams VALUES (1);
CREATE TABLE shop.members (id int, tenant_id int,
    team int NOT NULL REFERENCES shop.teams ON UPDATE SET NULL ON DELETE SET NULL);
INSERT INTO shop.members VALUES (1, 1, 1), (2, 2, 1);
ALTER TABLE shop.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON shop.members
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.members, shop.teams TO app_user;
SELECT tenant, check_name, status, rows_seen
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.members'::regclass])
 WHERE check_name IN ('tenant_update', 'tenant_delete') ORDER BY 1, 2;
\set VERBOSITY terse
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SAVEPOINT s;
UPDATE shop.teams SET id = 2;
ROLLBACK TO s;
DELETE FROM shop.teams;
ROLLBACK;
\set VERBOSITY default

-- CREATE TRIGGER is a statement the role may run when it holds the
-- TRIGGER privilege (GRANT ALL includes it): every tenant_read fails
CREATE TABLE shop.notes (id int, tenant_id int, body text);
INSERT INTO shop.notes SELECT g, g % 3 + 1, 'note' FROM generate_series(1, 6) g;
ALTER TABLE shop.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON shop.notes
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT SELECT, INSERT ON shop.notes TO app_user;
SELECT tenant, status FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.notes'::regclass])
 WHERE check_name = 'tenant_read' ORDER BY 1;
GRANT TRIGGER ON shop.notes TO app_user;
SELECT tenant, status, rows_seen, detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.notes'::regclass])
 WHERE check_name = 'tenant_read' ORDER BY 1;
-- what PostgreSQL lets it do: tenant 1's request on a pooled connection
-- leaves a trigger whose function is temporary (no CREATE on any schema
-- needed); tenant 2's next request on that connection inserts a row, and
-- tenant 1 reads a copy of it
\c - app_user
SET app.tenant_id = '1';
CREATE FUNCTION pg_temp.spy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.tenant_id <> 1 THEN
        PERFORM set_config('app.tenant_id', '1', true);
        INSERT INTO shop.notes VALUES (-NEW.id, 1, 'copied: ' || NEW.body);
        PERFORM set_config('app.tenant_id', NEW.tenant_id::text, true);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER spy AFTER INSERT ON shop.notes FOR EACH ROW EXECUTE FUNCTION pg_temp.spy();
SET app.tenant_id = '2';
INSERT INTO shop.notes VALUES (99, 2, 'tenant 2 secret');
SET app.tenant_id = '1';
SELECT tenant_id, body FROM shop.notes WHERE body LIKE 'copied%';
\c - postgres

-- CREATE OR REPLACE FUNCTION is a statement the role may run on a
-- function it owns in a schema where it may create: a policy calling
-- shop.my_tenant() then lets through whatever the role makes it return.
-- Owned by another role, or without CREATE on shop, the checks pass; owned
-- by app_user with CREATE on shop, the checks for the policy's command
-- (SELECT) fail for each tenant. Beside each: app_user replacing it, then
-- reading as tenant 1 (rolled back)
CREATE TABLE shop.memos (id int, tenant_id int, body text);
INSERT INTO shop.memos SELECT g, g % 3 + 1, 'memo' FROM generate_series(1, 6) g;
CREATE FUNCTION shop.my_tenant() RETURNS int LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::int $$;
ALTER TABLE shop.memos ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON shop.memos FOR SELECT USING (tenant_id = shop.my_tenant());
GRANT SELECT ON shop.memos TO app_user;
CREATE FUNCTION pg_temp.replaced() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
BEGIN
    BEGIN
        PERFORM set_config('role', 'app_user', true);
        PERFORM set_config('app.tenant_id', '1', true);
        CREATE OR REPLACE FUNCTION shop.my_tenant() RETURNS int LANGUAGE sql STABLE
            AS 'SELECT 2';
        SELECT count(*) INTO n FROM shop.memos WHERE tenant_id <> 1;
        RAISE EXCEPTION 'roll back';
    EXCEPTION
        WHEN raise_exception THEN NULL;
        WHEN insufficient_privilege THEN NULL;
    END;
    RETURN n;
END $$;
CREATE FUNCTION pg_temp.memos_beside() RETURNS TABLE (tenant text, status text, postgres_others_seen bigint)
LANGUAGE sql AS $$
    SELECT v.tenant, v.status, pg_temp.replaced()
      FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.memos'::regclass]) v
     WHERE v.check_name = 'tenant_read' ORDER BY 1
$$;
SELECT * FROM pg_temp.memos_beside();
ALTER FUNCTION shop.my_tenant() OWNER TO app_user;
SELECT * FROM pg_temp.memos_beside();
GRANT CREATE ON SCHEMA shop TO app_user;
SELECT * FROM pg_temp.memos_beside();
SELECT check_name, tenant, status, detail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.memos'::regclass])
 WHERE check_name LIKE 'tenant\_%' AND tenant = '1' ORDER BY 1;
-- the replacement is probed, never kept: the function is as it was
SELECT prosrc FROM pg_proc WHERE oid = 'shop.my_tenant()'::regprocedure;
-- a function the role may replace that gates the tenant's own rows only:
-- whatever it returns, no other tenant's row passes the policy
DROP POLICY tenant ON shop.memos;
CREATE FUNCTION shop.memos_open() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT true $$;
ALTER FUNCTION shop.memos_open() OWNER TO app_user;
CREATE POLICY tenant ON shop.memos FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int AND shop.memos_open());
SELECT tenant, status FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.memos'::regclass])
 WHERE check_name = 'tenant_read' ORDER BY 1;
-- and one that opens the policy when it says so
DROP POLICY tenant ON shop.memos;
CREATE POLICY tenant ON shop.memos FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR NOT shop.memos_open());
SELECT tenant, status, rows_seen FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.memos'::regclass])
 WHERE check_name = 'tenant_read' ORDER BY 1;
-- the same for a function the write policies call: shop.tickets' reads
-- are the setting's, its INSERT, UPDATE and DELETE policies call
-- shop.ticket_tenant(), which app_user owns: the write checks fail, the
-- read passes. Beside them: app_user replacing it to return 2, then its
-- DELETE and UPDATE with no WHERE as tenant 1 (rolled back), and the rows
-- of other tenants they reached
CREATE TABLE shop.tickets (id int, tenant_id int);
INSERT INTO shop.tickets SELECT g, g % 3 + 1 FROM generate_series(1, 6) g;
CREATE FUNCTION shop.ticket_tenant() RETURNS int LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::int $$;
ALTER FUNCTION shop.ticket_tenant() OWNER TO app_user;
ALTER TABLE shop.tickets ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read" ON shop.tickets FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "add" ON shop.tickets FOR INSERT WITH CHECK (tenant_id = shop.ticket_tenant());
CREATE POLICY "change" ON shop.tickets FOR UPDATE USING (tenant_id = shop.ticket_tenant());
CREATE POLICY "remove" ON shop.tickets FOR DELETE USING (tenant_id = shop.ticket_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.tickets TO app_user;
SELECT check_name, count(*) FILTER (WHERE status = 'PASS') AS pass, count(*) FILTER (WHERE status = 'FAIL') AS fail
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.tickets'::regclass])
 WHERE check_name LIKE 'tenant\_%' GROUP BY 1 ORDER BY 1;
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.tickets'::regclass])
 WHERE check_name = 'tenant_delete' AND tenant = '1';
CREATE FUNCTION pg_temp.tickets_reached(statement text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
BEGIN
    BEGIN
        PERFORM set_config('role', 'app_user', true);
        PERFORM set_config('app.tenant_id', '1', true);
        CREATE OR REPLACE FUNCTION shop.ticket_tenant() RETURNS int LANGUAGE sql STABLE AS 'SELECT 2';
        EXECUTE statement;
        GET DIAGNOSTICS n = ROW_COUNT;
        RAISE EXCEPTION 'roll back';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    RETURN n;
END $$;
-- (every row these reach is tenant 2's: the replaced policies let no other through)
SELECT pg_temp.tickets_reached('INSERT INTO shop.tickets VALUES (7, 2)') AS inserted_for_2,
       pg_temp.tickets_reached('UPDATE shop.tickets SET tenant_id = 2') AS updated_of_2,
       pg_temp.tickets_reached('DELETE FROM shop.tickets') AS deleted_of_2;
SELECT prosrc FROM pg_proc WHERE oid = 'shop.ticket_tenant()'::regprocedure;
REVOKE CREATE ON SCHEMA shop FROM app_user;

-- An UPDATE with no WHERE that fails for the tenant's own rows (they fail
-- the WITH CHECK) still takes over another tenant's row once they are
-- gone: a tenant without rows yet, one that deletes its own first, or a
-- WHERE that leaves them out. Beside the verdict: PostgreSQL refusing
-- app_user's UPDATE with no WHERE as tenant 1, and letting it through
-- with a WHERE on tenant 4's row.
CREATE TABLE shop.drafts (id int, tenant_id int, body text);
INSERT INTO shop.drafts VALUES (11, 1, NULL), (21, 2, 'b'), (31, 3, 'b'), (41, 4, 'b');
ALTER TABLE shop.drafts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "open to 4" ON shop.drafts
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR tenant_id = 4)
    WITH CHECK (body IS NOT NULL AND tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT SELECT, UPDATE ON shop.drafts TO app_user;
SELECT tenant, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['shop.drafts'::regclass],
                                                                         tenants => ARRAY['1', '2'])
 WHERE check_name = 'tenant_update' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SAVEPOINT s;
UPDATE shop.drafts SET tenant_id = 1;
ROLLBACK TO s;
UPDATE shop.drafts SET tenant_id = 1 WHERE tenant_id = 4;
ROLLBACK;

-- A write to a table a read policy reads is a statement the role may run
-- when it holds the privilege there: shares, viewers, a list of private
-- tenants. Each verdict sits beside PostgreSQL's own statement as
-- app_user (rolled back) and the rows of other tenants it then reads.
CREATE SCHEMA "look up";
GRANT USAGE ON SCHEMA "look up" TO app_user;
CREATE TABLE "look up".docs (id int PRIMARY KEY, tenant_id int NOT NULL);
INSERT INTO "look up".docs SELECT g, 1 + g % 3 FROM generate_series(1, 9) g;
CREATE TABLE "look up"."doc shares" (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                                     "Doc" int NOT NULL, tenant_id int NOT NULL);
ALTER TABLE "look up".docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "shared or own" ON "look up".docs FOR SELECT USING (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR id IN (SELECT s."Doc" FROM "look up"."doc shares" s
               WHERE s.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int));
GRANT SELECT ON "look up".docs, "look up"."doc shares" TO app_user;
CREATE FUNCTION pg_temp.lookup_reads(t regclass) RETURNS TABLE (tenant text, status text, rows_seen bigint)
LANGUAGE sql AS $$
    SELECT tenant, status, rows_seen FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY[t])
     WHERE check_name = 'tenant_read' ORDER BY 1
$$;
-- read only: nothing to write
SELECT * FROM pg_temp.lookup_reads('"look up".docs');
-- with INSERT there: a share of tenant 2's document to tenant 1 (the
-- shares table is empty, its identity's sequence does not move)
GRANT INSERT ON "look up"."doc shares" TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".docs');
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up".docs'::regclass],
                                              tenants => ARRAY['1', '2'])
 WHERE check_name = 'tenant_read' AND tenant = '1';
SELECT last_value, is_called FROM "look up"."doc shares_id_seq";
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
INSERT INTO "look up"."doc shares" ("Doc", tenant_id) VALUES (2, 1);
SELECT count(*) AS other_tenants_rows FROM "look up".docs WHERE tenant_id <> 1;
ROLLBACK;
-- shares kept to the tenant's own documents: the INSERT is refused
ALTER TABLE "look up"."doc shares" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read" ON "look up"."doc shares" FOR SELECT USING (true);
CREATE POLICY "own documents" ON "look up"."doc shares" FOR INSERT WITH CHECK (
    "Doc" IN (SELECT d.id FROM "look up".docs d
               WHERE d.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int));
SELECT * FROM pg_temp.lookup_reads('"look up".docs');
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
INSERT INTO "look up"."doc shares" ("Doc", tenant_id) VALUES (2, 1);
ROLLBACK;
-- UPDATE: a tenant's viewers moved to another tenant's rows
CREATE TABLE "look up".viewers (viewer int NOT NULL, tenant_id int NOT NULL, UNIQUE (viewer, tenant_id));
INSERT INTO "look up".viewers SELECT g, g FROM generate_series(1, 3) g;
CREATE TABLE "look up".notes (id int, tenant_id int);
INSERT INTO "look up".notes SELECT g, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up".notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY "viewers" ON "look up".notes FOR SELECT USING (
    tenant_id IN (SELECT v.tenant_id FROM "look up".viewers v
                   WHERE v.viewer = NULLIF(current_setting('app.tenant_id', true), '')::int));
GRANT SELECT ON "look up".viewers, "look up".notes TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".notes');
GRANT UPDATE (tenant_id) ON "look up".viewers TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".notes');
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
UPDATE "look up".viewers SET tenant_id = 2;
SELECT count(*) AS other_tenants_rows FROM "look up".notes WHERE tenant_id <> 1;
ROLLBACK;
-- DELETE and TRUNCATE: private tenants made public
CREATE TABLE "look up".private (tenant_id int PRIMARY KEY);
INSERT INTO "look up".private VALUES (1), (2), (3);
CREATE TABLE "look up".posts (id int, tenant_id int);
INSERT INTO "look up".posts SELECT g, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up".posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own or public" ON "look up".posts FOR SELECT USING (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR NOT EXISTS (SELECT FROM "look up".private p WHERE p.tenant_id = posts.tenant_id));
GRANT SELECT ON "look up".private, "look up".posts TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".posts');
GRANT DELETE ON "look up".private TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".posts');
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
DELETE FROM "look up".private;
SELECT count(*) AS other_tenants_rows FROM "look up".posts WHERE tenant_id <> 1;
ROLLBACK;
-- a DELETE policy that keeps the role to its own tenant's row: PASS
ALTER TABLE "look up".private ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read" ON "look up".private FOR SELECT USING (true);
CREATE POLICY "own" ON "look up".private FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT * FROM pg_temp.lookup_reads('"look up".posts');
-- TRUNCATE, which row security does not filter: FAIL again
GRANT TRUNCATE ON "look up".private TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".posts');
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
TRUNCATE "look up".private;
SELECT count(*) AS other_tenants_rows FROM "look up".posts WHERE tenant_id <> 1;
ROLLBACK;
SELECT count(*) AS private_rows_kept FROM "look up".private;
-- and write_probes => false writes nothing: the reads pass, saying what
-- they did not try
SELECT tenant, status, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up".posts'::regclass],
                                                      write_probes => false)
 WHERE check_name = 'tenant_read' ORDER BY 1;

-- through a function: "look up".is_viewer() (PL/pgSQL, SECURITY DEFINER)
-- reads the viewers, which no catalog records; the tables a read as the
-- role scans are watched instead
CREATE TABLE "look up".viewers2 (viewer int, tenant_id int);
INSERT INTO "look up".viewers2 SELECT g, g FROM generate_series(1, 3) g;
CREATE FUNCTION "look up".is_viewer(t int) RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog AS $$
BEGIN
    RETURN EXISTS (SELECT FROM "look up".viewers2 v
                    WHERE v.tenant_id = t AND v.viewer = NULLIF(current_setting('app.tenant_id', true), '')::int);
END $$;
CREATE TABLE "look up".files (id int, tenant_id int);
INSERT INTO "look up".files SELECT g, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up".files ENABLE ROW LEVEL SECURITY;
CREATE POLICY "viewers' files" ON "look up".files FOR SELECT USING ("look up".is_viewer(tenant_id));
GRANT SELECT ON "look up".files TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".files');
GRANT INSERT ON "look up".viewers2 TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".files');
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up".files'::regclass],
                                              tenants => ARRAY['1', '2'])
 WHERE check_name = 'tenant_read' AND tenant = '1';
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
INSERT INTO "look up".viewers2 VALUES (1, 2);
SELECT count(*) AS other_tenants_rows FROM "look up".files WHERE tenant_id <> 1;
ROLLBACK;
-- through a view (in a view): the policy reads "look up"."my tenants",
-- which reads "look up"."viewer rows", which reads viewers3; what the role
-- writes in viewers3 is what the policy sees
CREATE TABLE "look up".viewers3 (viewer int, tenant_id int);
INSERT INTO "look up".viewers3 SELECT g, g FROM generate_series(1, 3) g;
CREATE VIEW "look up"."viewer rows" AS SELECT viewer, tenant_id FROM "look up".viewers3;
CREATE VIEW "look up"."my tenants" AS
    SELECT tenant_id FROM "look up"."viewer rows"
     WHERE viewer = NULLIF(current_setting('app.tenant_id', true), '')::int;
CREATE TABLE "look up".memos (id int, tenant_id int);
INSERT INTO "look up".memos SELECT g, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up".memos ENABLE ROW LEVEL SECURITY;
CREATE POLICY "my tenants' memos" ON "look up".memos FOR SELECT
    USING (tenant_id IN (SELECT m.tenant_id FROM "look up"."my tenants" m));
GRANT SELECT ON "look up".memos, "look up"."my tenants" TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".memos');
GRANT INSERT ON "look up".viewers3 TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".memos');
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up".memos'::regclass],
                                              tenants => ARRAY['1', '2'])
 WHERE check_name = 'tenant_read' AND tenant = '1';
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
INSERT INTO "look up".viewers3 VALUES (1, 2);
SELECT count(*) AS other_tenants_rows FROM "look up".memos WHERE tenant_id <> 1;
ROLLBACK;
-- A SECURITY DEFINER function the role may call reads as its owner: one
-- that returns the table's rows (its row type, or a column named like the
-- tenant column) is called as the role, read-only, as each tenant, with
-- every argument NULL and then each tenant value. Beside each verdict:
-- app_user's own call as tenant 1, and the rows of other tenants it got.
CREATE FUNCTION "look up"."all posts"() RETURNS SETOF "look up".posts
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT * FROM "look up".posts';
CREATE FUNCTION "look up".post(p_id int) RETURNS "look up".posts
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT * FROM "look up".posts WHERE id = p_id';
CREATE FUNCTION "look up".own_posts() RETURNS TABLE (id int, tenant_id int)
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT p.id, p.tenant_id FROM "look up".posts p
           WHERE p.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int $$;
CREATE FUNCTION "look up".purge() RETURNS SETOF "look up".posts
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'DELETE FROM "look up".posts RETURNING *';
REVOKE EXECUTE ON FUNCTION "look up"."all posts"(), "look up".post(int), "look up".purge() FROM PUBLIC;
REVOKE TRUNCATE ON "look up".private FROM app_user;
-- own_posts() keeps to the caller's tenant: PASS
SELECT * FROM pg_temp.lookup_reads('"look up".posts');
GRANT EXECUTE ON FUNCTION "look up"."all posts"() TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".posts');
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up".posts'::regclass])
 WHERE check_name = 'tenant_read' AND tenant = '1';
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id <> 1) AS all_posts_others FROM "look up"."all posts"();
SELECT count(*) FILTER (WHERE tenant_id <> 1) AS own_posts_others FROM "look up".own_posts();
ROLLBACK;
REVOKE EXECUTE ON FUNCTION "look up"."all posts"() FROM app_user;
-- post(id) returns the row of any tenant (tenant 1 asking for id 2)
GRANT EXECUTE ON FUNCTION "look up".post(int), "look up".purge() TO app_user;
SELECT * FROM pg_temp.lookup_reads('"look up".posts');
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id <> 1) AS post_2_others FROM "look up".post(2);
ROLLBACK;
-- purge() writes: called read-only it is refused, and nothing is deleted
SELECT count(*) AS posts_kept FROM "look up".posts;

-- A SECURITY DEFINER function the role may call writes as its owner: each
-- one whose body names the table (volatile, owned by another role) is
-- called as the role, as each tenant, on the real table watched by a
-- trigger, all rolled back; its arguments come from another tenant's
-- first row (by name, then by type), or are that tenant's value, or
-- NULL. Beside each verdict: app_user's own call as tenant 1, and the
-- rows of other tenants it wrote (PostgreSQL's answer).
CREATE TABLE "look up"."Notes" (id int PRIMARY KEY, tenant_id int NOT NULL, "Title" text);
INSERT INTO "look up"."Notes" SELECT g, 1 + g % 3, 'note ' || g FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Notes" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own notes" ON "look up"."Notes"
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up"."Notes" TO app_user;
CREATE TABLE row_writes (tenant_id int, op text);
CREATE FUNCTION pg_temp.note_writes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.row_writes VALUES (CASE TG_OP WHEN 'INSERT' THEN NEW.tenant_id ELSE OLD.tenant_id END, TG_OP);
    RETURN NULL;
END $$;
CREATE TRIGGER "note writes" AFTER INSERT OR UPDATE OR DELETE ON "look up"."Notes"
    FOR EACH ROW EXECUTE FUNCTION pg_temp.note_writes();
GRANT INSERT ON row_writes TO PUBLIC;
CREATE FUNCTION pg_temp.definer_writes() RETURNS TABLE (check_name text, tenant text, status text, rows_seen bigint)
LANGUAGE sql AS $$
    SELECT check_name, tenant, status, rows_seen FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
               tables => ARRAY['"look up"."Notes"'::regclass])
     WHERE check_name IN ('tenant_insert', 'tenant_update', 'tenant_delete') ORDER BY 1, 2
$$;
-- keeps to the caller's tenant: PASS
CREATE FUNCTION "look up"."retitle own"(p_id int, "p_Title" text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ UPDATE "look up"."Notes" SET "Title" = "p_Title"
           WHERE id = p_id AND tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int $$;
SELECT * FROM pg_temp.definer_writes();
-- by id, any tenant's: tenant_update FAILs
CREATE FUNCTION "look up".retitle(p_id int, "p_Title" text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ UPDATE "look up"."Notes" SET "Title" = "p_Title" WHERE id = p_id $$;
SELECT * FROM pg_temp.definer_writes();
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Notes"'::regclass])
 WHERE check_name = 'tenant_update' AND tenant = '1';
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT "look up".retitle(2, 'mine now');
SELECT "look up"."retitle own"(5, 'mine now');
RESET ROLE;
SELECT op, count(*) AS other_tenants_rows FROM row_writes WHERE tenant_id <> 1 GROUP BY op;
ROLLBACK;
-- PL/pgSQL, by tenant: tenant_delete; by name, into any tenant:
-- tenant_insert; a procedure that truncates: tenant_delete
CREATE FUNCTION "look up".clear(t int) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ DECLARE n bigint; BEGIN DELETE FROM "look up"."Notes" WHERE tenant_id = t; GET DIAGNOSTICS n = ROW_COUNT; RETURN n; END $$;
CREATE FUNCTION "look up".note(p_tenant_id int, "p_Title" text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ INSERT INTO "look up"."Notes" SELECT max(id) + 1, p_tenant_id, "p_Title" FROM "look up"."Notes" $$;
CREATE PROCEDURE "look up".reset() LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ TRUNCATE "look up"."Notes" $$;
REVOKE EXECUTE ON FUNCTION "look up".retitle(int, text) FROM PUBLIC;
SELECT * FROM pg_temp.definer_writes();
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT "look up".clear(2) AS deleted, "look up".note(3, 'from tenant 1');
RESET ROLE;
SELECT op, count(*) AS other_tenants_rows FROM row_writes WHERE tenant_id <> 1 GROUP BY op ORDER BY 1;
SET LOCAL ROLE app_user;
CALL "look up".reset();
RESET ROLE;
SELECT count(*) AS notes_left FROM "look up"."Notes";
ROLLBACK;
-- revoked: nothing to call, every write check passes; nothing was left
-- behind (rows, trigger) by the probes
REVOKE EXECUTE ON FUNCTION "look up".clear(int), "look up".note(int, text) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE "look up".reset() FROM PUBLIC;
SELECT * FROM pg_temp.definer_writes();
SELECT count(*) AS notes, count(*) FILTER (WHERE "Title" = 'note ' || id) AS untouched FROM "look up"."Notes";
SELECT count(*) AS rows_written FROM row_writes;
SELECT tgname FROM pg_trigger WHERE tgrelid = '"look up"."Notes"'::regclass ORDER BY 1;
-- with write probes off nothing is called
GRANT EXECUTE ON FUNCTION "look up".clear(int) TO app_user;
SELECT check_name, status FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Notes"'::regclass],
                                                          write_probes => false)
 WHERE check_name = 'tenant_delete';
-- a partitioned table: each partition is watched; a procedure that
-- empties tenant 2's partition removes only tenant 2's rows, so it fails
-- tenants 1 and 3 and not tenant 2; a function that moves any row to
-- another tenant (across partitions) fails tenant_update
CREATE TABLE "look up".parts (id int, tenant_id int NOT NULL) PARTITION BY LIST (tenant_id);
CREATE TABLE "look up".parts_1 PARTITION OF "look up".parts FOR VALUES IN (1);
CREATE TABLE "look up".parts_2 PARTITION OF "look up".parts FOR VALUES IN (2);
CREATE TABLE "look up".parts_3 PARTITION OF "look up".parts FOR VALUES IN (3, 4);
INSERT INTO "look up".parts SELECT g, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up".parts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON "look up".parts USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up".parts TO app_user;
CREATE PROCEDURE "look up".empty_2() LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ TRUNCATE "look up".parts_2 $$;
CREATE FUNCTION "look up".hand_over(p_id int, p_tenant_id int) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ UPDATE "look up".parts SET tenant_id = p_tenant_id WHERE id = p_id $$;
SELECT check_name, tenant, status, rows_seen FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up".parts'::regclass])
 WHERE check_name IN ('tenant_update', 'tenant_delete') ORDER BY 1, 2;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '2';
CALL "look up".empty_2();
RESET ROLE;
SELECT tenant_id, count(*) AS rows_left FROM "look up".parts GROUP BY 1 ORDER BY 1;
ROLLBACK;
SELECT count(*) AS parts_rows, count(*) FILTER (WHERE tenant_id = 1 + id % 3) AS in_place FROM "look up".parts;
-- a caller who is not a superuser: a member of app_user, without the
-- TRIGGER privilege on the table, which its policies hide from it (so the
-- tenants are named, and the arguments are only the tenant values and
-- NULL). The table is still watched (the trigger is rls_audit's own,
-- internal one) and clear(t) is found
CREATE ROLE notes_auditor LOGIN;
GRANT USAGE ON SCHEMA rls_audit TO notes_auditor;
GRANT app_user TO notes_auditor;
\c - notes_auditor
SELECT has_table_privilege('"look up"."Notes"', 'TRIGGER') AS may_trigger, count(*) AS rows_it_reads FROM "look up"."Notes";
SELECT tenant, status, rows_seen FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Notes"'::regclass],
                                                                  tenants => ARRAY['1', '2', '3'])
 WHERE check_name = 'tenant_delete' ORDER BY 1;
\c - postgres
REVOKE ALL ON SCHEMA rls_audit FROM notes_auditor;
DROP ROLE notes_auditor;
-- the read probe of the SECURITY DEFINER functions that return the
-- table's rows calls them with another tenant's row's values too: no
-- tenant value is a title, tenant 2's first row gives one
CREATE FUNCTION "look up".note_by_title("p_Title" text) RETURNS SETOF "look up"."Notes"
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT * FROM "look up"."Notes" WHERE "Title" = "p_Title" $$;
SELECT tenant, status, rows_seen FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Notes"'::regclass])
 WHERE check_name = 'tenant_read' ORDER BY 1;
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Notes"'::regclass])
 WHERE check_name = 'tenant_read' AND tenant = '1';
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id <> 1) AS other_tenants_rows FROM "look up".note_by_title('note 1');
ROLLBACK;
-- an array of ids, and a whole row of the table: called with one value
-- of another tenant's row ('{"1"}') and with another tenant's row
REVOKE EXECUTE ON FUNCTION "look up".clear(int) FROM app_user;
REVOKE EXECUTE ON FUNCTION "look up".note_by_title(text) FROM PUBLIC;
CREATE FUNCTION "look up".drop_notes(ids int[]) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ DELETE FROM "look up"."Notes" WHERE id = ANY (ids) $$;
CREATE FUNCTION "look up".save_note(n "look up"."Notes") RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$ UPDATE "look up"."Notes" SET "Title" = n."Title" || '!' WHERE id = n.id $$;
SELECT check_name, tenant, status, rows_seen FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Notes"'::regclass])
 WHERE check_name IN ('tenant_update', 'tenant_delete') ORDER BY 1, 2;
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Notes"'::regclass])
 WHERE check_name IN ('tenant_update', 'tenant_delete') AND tenant = '1' ORDER BY check_name;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT "look up".drop_notes(ARRAY[1]), "look up".save_note(ROW(2, 3, 'note 2')::"look up"."Notes");
RESET ROLE;
-- (of the 6 rows of tenants 2 and 3: note 1 is gone, note 2 retitled)
SELECT count(*) FILTER (WHERE tenant_id <> 1) AS other_tenants_rows,
       count(*) FILTER (WHERE tenant_id <> 1 AND "Title" LIKE '%!') AS retitled FROM "look up"."Notes";
ROLLBACK;
-- a caller in replica mode, where ordinary triggers do not fire: the
-- calls run in origin mode, as the application's, and are still counted
SET session_replication_role = replica;
SELECT check_name, status FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Notes"'::regclass])
 WHERE check_name IN ('tenant_update', 'tenant_delete') AND tenant = '1' ORDER BY 1;
SHOW session_replication_role;
RESET session_replication_role;

-- A write to a table a write policy reads: a membership an INSERT policy's
-- WITH CHECK (or a DELETE policy's USING) asks, written by the role
-- itself. The write probe runs again after each of the role's own writes
-- there (rolled back). The policies name the table (m.tenant_id =
-- "Tasks".tenant_id), and the write probe's copy of the table gets them
-- all the same. Each verdict sits beside PostgreSQL's own statements as
-- app_user as tenant 1.
CREATE TABLE "look up".members (member name NOT NULL, tenant_id int NOT NULL);
CREATE TABLE "look up"."Tasks" (id int PRIMARY KEY, tenant_id int NOT NULL, body text);
INSERT INTO "look up"."Tasks" SELECT g, 1 + g % 3, 'task ' || g FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Tasks" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read own" ON "look up"."Tasks" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own or member's" ON "look up"."Tasks" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR EXISTS (SELECT FROM "look up".members m
                WHERE m.member = current_user AND m.tenant_id = "Tasks".tenant_id));
CREATE POLICY "own" ON "look up"."Tasks" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "delete own or member's" ON "look up"."Tasks" FOR DELETE USING (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR EXISTS (SELECT FROM "look up".members m
                WHERE m.member = current_user AND m.tenant_id = "Tasks".tenant_id));
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up"."Tasks" TO app_user;
GRANT SELECT ON "look up".members TO app_user;
CREATE FUNCTION pg_temp.task_writes(t regclass = '"look up"."Tasks"') RETURNS TABLE (check_name text, tenant text, status text)
LANGUAGE sql AS $$
    SELECT check_name, tenant, status
      FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY[t], tenants => ARRAY['1', '2'])
     WHERE check_name IN ('tenant_insert', 'tenant_update', 'tenant_delete') ORDER BY 1, 2
$$;
-- members read only: nothing to write there
SELECT * FROM pg_temp.task_writes();
-- with INSERT there: a membership of tenant 2 for app_user
GRANT INSERT ON "look up".members TO app_user;
SELECT * FROM pg_temp.task_writes();
SELECT check_name, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Tasks"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_delete') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SAVEPOINT s;
INSERT INTO "look up"."Tasks" VALUES (100, 2, 'for tenant 2');
ROLLBACK TO s;
INSERT INTO "look up".members VALUES ('app_user', 2);
INSERT INTO "look up"."Tasks" VALUES (100, 2, 'for tenant 2');
DELETE FROM "look up"."Tasks";
RESET ROLE;
SELECT count(*) FILTER (WHERE tenant_id = 2) AS tenant_2_left,
       count(*) FILTER (WHERE tenant_id = 3) AS tenant_3_left FROM "look up"."Tasks";
ROLLBACK;
SELECT count(*) AS members_left FROM "look up".members;
-- memberships kept to the tenant's own: PASS again
ALTER TABLE "look up".members ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read" ON "look up".members FOR SELECT USING (true);
CREATE POLICY "own" ON "look up".members FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT * FROM pg_temp.task_writes();
-- UPDATE there: another role's membership of tenant 2 made app_user's
INSERT INTO "look up".members VALUES ('someone else', 2);
CREATE POLICY "any" ON "look up".members FOR UPDATE USING (true);
GRANT UPDATE (member) ON "look up".members TO app_user;
SELECT * FROM pg_temp.task_writes();
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Tasks"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name = 'tenant_insert' AND tenant = '1';
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
UPDATE "look up".members SET member = 'app_user';
INSERT INTO "look up"."Tasks" VALUES (100, 2, 'for tenant 2');
ROLLBACK;
SELECT * FROM "look up".members;
-- and with the write probes off nothing is written: the write checks SKIP
SELECT DISTINCT status FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Tasks"'::regclass], write_probes => false)
 WHERE check_name IN ('tenant_insert', 'tenant_update', 'tenant_delete');
-- through a function: "look up".is_member(t) (PL/pgSQL) reads the
-- members, which no catalog records; the tables the write probe scanned
-- as the role are tried the same way
CREATE TABLE "look up".members2 (member name NOT NULL, tenant_id int NOT NULL);
CREATE FUNCTION "look up".is_member(t int) RETURNS boolean LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog AS $$
BEGIN
    RETURN EXISTS (SELECT FROM "look up".members2 m WHERE m.member = current_user AND m.tenant_id = t);
END $$;
CREATE TABLE "look up".tasks2 (id int PRIMARY KEY, tenant_id int NOT NULL);
INSERT INTO "look up".tasks2 SELECT g, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up".tasks2 ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read own" ON "look up".tasks2 FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own or member's" ON "look up".tasks2 FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR "look up".is_member(tenant_id));
GRANT SELECT, INSERT ON "look up".tasks2 TO app_user;
GRANT SELECT ON "look up".members2 TO app_user;
SELECT * FROM pg_temp.task_writes('"look up".tasks2');
GRANT INSERT ON "look up".members2 TO app_user;
SELECT * FROM pg_temp.task_writes('"look up".tasks2');
SELECT detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up".tasks2'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name = 'tenant_insert' AND tenant = '1';
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SAVEPOINT s;
INSERT INTO "look up".tasks2 VALUES (100, 2);
ROLLBACK TO s;
INSERT INTO "look up".members2 VALUES ('app_user', 2);
INSERT INTO "look up".tasks2 VALUES (100, 2);
ROLLBACK;
SELECT count(*) AS members2_left FROM "look up".members2;

-- A write policy's check that lets a row through by another column's
-- value: OR "Is Public", OR kind IN ('shared', 'global'), OR partner =
-- the tenant setting itself, OR note IS NULL. No row has any of those
-- values, so the rows the write probe copies never pass that way; the
-- probe's moves and inserts also set each such column to each such
-- value. Beside each verdict: PostgreSQL's own INSERT and UPDATE as
-- app_user as tenant 1, and the rows of tenant 2 they wrote.
CREATE TABLE "look up"."Board" (id int PRIMARY KEY, tenant_id int NOT NULL,
    "Is Public" boolean NOT NULL DEFAULT false, kind text NOT NULL DEFAULT 'post',
    partner int, note text NOT NULL DEFAULT 'none');
INSERT INTO "look up"."Board" SELECT g, 1 + g % 3, false, 'post', NULL, 'post ' || g FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Board" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read own" ON "look up"."Board" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own or public" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR "Is Public");
CREATE POLICY "own, or shared" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR kind IN ('shared', 'global'));
GRANT SELECT, INSERT, UPDATE ON "look up"."Board" TO app_user;
SELECT check_name, tenant, status, rows_seen FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass])
 WHERE check_name IN ('tenant_insert', 'tenant_update') ORDER BY 1, 2;
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
CREATE TEMP TABLE post_writes (statement text, outcome text);
GRANT INSERT ON post_writes TO app_user;
CREATE FUNCTION pg_temp.post_write(sql text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE sql;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO pg_temp.post_writes VALUES (sql, n || ' rows');
EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.post_writes VALUES (sql, SQLSTATE);
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.post_write(text) TO app_user;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id) VALUES (100, 2)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, "Is Public") VALUES (101, 2, true)$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, kind = 'shared'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
SELECT count(*) AS tenant_2_rows FROM "look up"."Board" WHERE tenant_id = 2;
ROLLBACK;
-- the other two: a partner that is the tenant itself, a NULL note
DROP POLICY "own or public" ON "look up"."Board";
DROP POLICY "own, or shared" ON "look up"."Board";
ALTER TABLE "look up"."Board" ALTER COLUMN note DROP NOT NULL;
CREATE POLICY "own or partner's" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR partner = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or no note" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR note IS NULL);
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, partner) VALUES (101, 2, 1)$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = NULL$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
-- the role may not write those columns: nothing gets through, as
-- PostgreSQL refuses those statements (and the others are refused by the
-- checks); PASS
REVOKE INSERT, UPDATE ON "look up"."Board" FROM app_user;
GRANT INSERT (id, tenant_id, "Is Public", kind, note), UPDATE (tenant_id, kind) ON "look up"."Board" TO app_user;
SELECT check_name, tenant, status FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass])
 WHERE check_name IN ('tenant_insert', 'tenant_update') ORDER BY 1, 2;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, partner) VALUES (101, 2, 1)$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = NULL$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;

-- Ordering comparisons, LIKE, a function of the column and NOT: OR
-- partner > 100, OR lower(kind) LIKE 'public:%', OR NOT (partner <= 100).
-- No row passes them; the probe tries the value one step past the
-- constant (101), the pattern as a string ('public:'), the constant for
-- the function's column. FAIL, beside PostgreSQL's own statements.
GRANT INSERT, UPDATE ON "look up"."Board" TO app_user;
DROP POLICY "own or partner's" ON "look up"."Board";
DROP POLICY "own, or no note" ON "look up"."Board";
CREATE POLICY "own or a high partner" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR partner > 100);
CREATE POLICY "own, public or not a low partner" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR lower(kind) LIKE 'public:%' OR NOT (partner <= 100));
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, partner) VALUES (101, 2, 100)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, partner) VALUES (102, 2, 101)$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, kind = 'public'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, kind = 'Public:'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = 100$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = 101$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;

-- A conjunction: OR ("Is Public" AND kind = 'shared'), OR (partner = the
-- setting AND note IS NULL). Each value alone is refused; the probe sets
-- the terms' columns together. FAIL, beside PostgreSQL's own statements.
DROP POLICY "own or a high partner" ON "look up"."Board";
DROP POLICY "own, public or not a low partner" ON "look up"."Board";
CREATE POLICY "own, or public and shared" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR ("Is Public" AND kind = 'shared'));
CREATE POLICY "own, or a partner's without a note" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR (partner = NULLIF(current_setting('app.tenant_id', true), '')::int AND note IS NULL));
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, "Is Public") VALUES (103, 2, true)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, kind) VALUES (104, 2, 'shared')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, "Is Public", kind) VALUES (105, 2, true, 'shared')$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = 1$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = NULL$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = 1, note = NULL$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;

-- A check that compares a column with another table's: OR kind IN (SELECT
-- kind FROM public_kinds), OR EXISTS (SELECT … WHERE k.kind = note). The
-- probe tries a few of that table's values (read as the caller, row
-- security off). FAIL, beside PostgreSQL's own statements.
DROP POLICY "own, or public and shared" ON "look up"."Board";
DROP POLICY "own, or a partner's without a note" ON "look up"."Board";
CREATE TABLE "look up".public_kinds (kind text);
INSERT INTO "look up".public_kinds VALUES ('announcement');
GRANT SELECT ON "look up".public_kinds TO app_user;
CREATE POLICY "own, or a public kind" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR kind IN (SELECT k.kind FROM "look up".public_kinds k));
CREATE POLICY "own, or noted as a public kind" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR EXISTS (SELECT FROM "look up".public_kinds k WHERE k.kind = "Board".note));
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, kind) VALUES (106, 2, 'post')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, kind) VALUES (107, 2, 'announcement')$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = 'post'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = 'announcement'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;

-- Patterns, lengths, dates and IS DISTINCT FROM: a regular expression
-- and SIMILAR TO (the probe writes a string the pattern matches), a
-- length past a constant (a string that long), a date past one
-- ('infinity'), starts_with() and ^@ (the prefix), IS DISTINCT FROM (a
-- value other than the constant, or NULL). No row passes any of them.
-- FAIL each time, beside PostgreSQL's own statements.
DROP POLICY "own, or a public kind" ON "look up"."Board";
DROP POLICY "own, or noted as a public kind" ON "look up"."Board";
ALTER TABLE "look up"."Board" ADD COLUMN due date NOT NULL DEFAULT '2026-01-01';
CREATE POLICY "own, or a public note" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR note ~ '^public-[0-9]{2}$');
CREATE POLICY "own, or a published kind" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR kind SIMILAR TO 'pub(lic|lished)\_%');
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, note) VALUES (108, 2, 'public-1')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, note) VALUES (109, 2, 'public-00')$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, kind = 'public'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, kind = 'public_'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
DROP POLICY "own, or a public note" ON "look up"."Board";
DROP POLICY "own, or a published kind" ON "look up"."Board";
CREATE POLICY "own, or due later" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR due > '2030-01-01');
CREATE POLICY "own, or a long note" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR char_length(note) > 12);
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, due) VALUES (110, 2, '2030-01-01')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, due) VALUES (111, 2, 'infinity')$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = 'xxxxxxxxxxxx'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = 'xxxxxxxxxxxxx'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
DROP POLICY "own, or due later" ON "look up"."Board";
DROP POLICY "own, or a long note" ON "look up"."Board";
CREATE POLICY "own, or a prefix" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR starts_with(note, 'open:') OR kind ^@ 'open:');
CREATE POLICY "own, or not a post" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR kind IS DISTINCT FROM 'post');
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, note) VALUES (112, 2, 'open')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, note) VALUES (113, 2, 'open:')$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, kind = 'post'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, kind = 'postz'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;

-- A column compared with a value the session computes: OR author =
-- current_user, OR note = 'by ' || current_user. The probe takes the
-- expression's value as app_user acting as the tenant ('app_user', 'by
-- app_user'). FAIL, beside PostgreSQL's own statements.
DROP POLICY "own, or a prefix" ON "look up"."Board";
DROP POLICY "own, or not a post" ON "look up"."Board";
ALTER TABLE "look up"."Board" ADD COLUMN author text NOT NULL DEFAULT 'nobody';
CREATE POLICY "own, or one's own" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR author = current_user);
CREATE POLICY "own, or signed" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR note = 'by ' || current_user);
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, author) VALUES (114, 2, 'postgres')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, author) VALUES (115, 2, 'app_user')$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = 'by postgres'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = 'by app_user'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;

-- An array that holds the tenant, or a tag: OR the setting = ANY
-- (shared), OR tags @> ARRAY['public']. The probe sets the array to one
-- holding that value, as app_user acting as the tenant. FAIL, beside
-- PostgreSQL's own statements.
DROP POLICY "own, or one's own" ON "look up"."Board";
DROP POLICY "own, or signed" ON "look up"."Board";
ALTER TABLE "look up"."Board" ADD COLUMN shared int[] NOT NULL DEFAULT '{}',
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
CREATE POLICY "own, or shared with me" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR NULLIF(current_setting('app.tenant_id', true), '')::int = ANY (shared));
CREATE POLICY "own, or tagged public" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR tags @> ARRAY['public']);
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, shared) VALUES (116, 2, '{3}')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, shared) VALUES (117, 2, '{1}')$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, tags = '{private}'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, tags = '{public}'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;

-- A sub-select that picks the role's own value: OR author IN (SELECT
-- handle FROM people WHERE login = current_user). The first values of
-- that table (read as the caller) are other people's; the sub-select's
-- value as app_user is its own handle, 'hq'. FAIL, beside PostgreSQL.
DROP POLICY "own, or shared with me" ON "look up"."Board";
DROP POLICY "own, or tagged public" ON "look up"."Board";
CREATE TABLE "look up".people (login name, handle text);
INSERT INTO "look up".people VALUES ('a', 'ha'), ('b', 'hb'), ('c', 'hc'), ('app_user', 'hq');
GRANT SELECT ON "look up".people TO app_user;
CREATE POLICY "own, or by me" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR author IN (SELECT p.handle FROM "look up".people p WHERE p.login = current_user));
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name = 'tenant_insert' AND tenant = '1';
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, author) VALUES (118, 2, 'ha')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, author) VALUES (119, 2, 'hq')$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;

-- A value built from the setting: OR note = 't-' || the setting. Its
-- value as app_user acting as tenant 1 is 't-1'. FAIL, beside PostgreSQL.
CREATE POLICY "own, or noted for me" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR note = 't-' || current_setting('app.tenant_id', true));
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name = 'tenant_update' AND tenant = '1';
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = '1'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, note = 't-1'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;

-- Terms of one column that cannot be read off: arithmetic (partner % 7 =
-- 3, partner * 3 + 1 = 10), a text function's result (split_part(note,
-- '@', 2) = 'corp.example'), a part of a date (extract(year FROM due) =
-- 1999), a conjunction of one column (partner > 5 AND partner % 2 = 1,
-- where 6 and 1, each term's value, fail the other), an array's size
-- (cardinality(tags) > 2), jsonb keys (meta ->> 'visibility' = 'public',
-- (meta ->> 'level')::int > 3) and a term that raises an error on a
-- candidate tried before one that passes (100 / (score - 30) > 1 at 30:
-- the candidates around it are still tried). The probe tries the first
-- candidate PostgreSQL passes, as app_user acting as the tenant: 3,
-- '@corp.example', '{2,2,2}', '{"level": 4}', 31, then 3, '1999-01-01',
-- 25, '{"visibility": "public"}'. No row passes any of them. FAIL, beside
-- PostgreSQL's own statements.
DROP POLICY "own, or by me" ON "look up"."Board";
DROP POLICY "own, or noted for me" ON "look up"."Board";
ALTER TABLE "look up"."Board" ADD COLUMN meta jsonb NOT NULL DEFAULT '{}', ADD COLUMN score int;
CREATE POLICY "own, or a partner's share" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR partner % 7 = 3 OR split_part(note, '@', 2) = 'corp.example'
    OR cardinality(tags) > 2 OR (meta ->> 'level')::int > 3
    OR 100 / (score - 30) > 1);
CREATE POLICY "own, or of the old year" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR extract(year FROM due) = 1999 OR partner * 3 + 1 = 10
                OR (partner > 5 AND partner % 2 = 1)
                OR meta ->> 'visibility' = 'public');
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, partner) VALUES (120, 2, 4)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, partner) VALUES (121, 2, 3)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, note) VALUES (122, 2, 'corp.example')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, note) VALUES (123, 2, '@corp.example')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, tags) VALUES (124, 2, '{a,b}')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, tags) VALUES (125, 2, '{2,2,2}')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, meta) VALUES (126, 2, '{"level": true}')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, meta) VALUES (127, 2, '{"level": 3}')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, meta) VALUES (128, 2, '{"level": 4}')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, score) VALUES (129, 2, 30)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, score) VALUES (130, 2, 31)$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, due = '2000-01-01'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, due = '1999-01-01'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = 4$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = 3$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = 6$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = 25$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, meta = '{"visibility": "private"}'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, meta = '{"visibility": "public"}'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
DROP POLICY "own, or a partner's share" ON "look up"."Board";
DROP POLICY "own, or of the old year" ON "look up"."Board";

-- A column compared with another setting the application sets per
-- request beside the tenant's (OR score = the user id in app.user_id, OR
-- author = the 'sub' claim of request.jwt.claims, OR partner::text = the
-- user id, a term searched over candidates, OR author = "look up".uid(),
-- a SQL function that reads two of them). Left unset, as the
-- probe finds them, each check is refused; the application sets them
-- for every request. The probe gives the setting a value (1, then a
-- uuid, then JSON objects of the expression's keys) and sets the column
-- to the expression's value. FAIL, naming the SET, beside PostgreSQL's
-- own statements without it and with it.
CREATE FUNCTION "look up".uid() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                    nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
$$;
CREATE POLICY "own, or one's own score" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR score = NULLIF(current_setting('app.user_id', true), '')::int
    OR author = "look up".uid());
CREATE POLICY "own, or by the claimed user" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR partner::text = current_setting('app.user_id', true)
                OR author = current_setting('request.jwt.claims', true)::jsonb ->> 'sub');
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, score) VALUES (131, 2, 1)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, author) VALUES (133, 2, '1')$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, author = '00000000-0000-0000-0000-000000000001'$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = 1$q$)) AS v(q);
SET LOCAL app.user_id = '1';
SET LOCAL request.jwt.claims = '{"sub": "00000000-0000-0000-0000-000000000001"}';
SET LOCAL request.jwt.claim.sub = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, score) VALUES (132, 2, 1)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, author) VALUES (134, 2, '1')$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, author = '00000000-0000-0000-0000-000000000001'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SET LOCAL app.user_id = '1';
SELECT pg_temp.post_write($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = 1$q$);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
DROP POLICY "own, or one's own score" ON "look up"."Board";
DROP POLICY "own, or by the claimed user" ON "look up"."Board";
DROP FUNCTION "look up".uid();

-- Terms of two or three columns: another column equal to a function of
-- the tenant column (partner = tenant_id * 10), a sum of two (score +
-- partner = 50), a prefix another column names (starts_with(note, kind
-- || ':')), an order of two under NOT (NOT (score <= partner)), a
-- quotient that raises an error where two are equal (100 / (score -
-- partner) > 1) and three columns (partner * score = extract(day FROM
-- due)). No row passes any of them (partner and score are NULL). The
-- probe tries rows of candidates, as app_user acting as the tenant, with
-- the tenant column the other tenant's value; the first row PostgreSQL
-- passes sets its columns together. FAIL, beside PostgreSQL's own
-- statements: the near miss refused, the statement the verdict names
-- accepted.
CREATE POLICY "own, or a pair's" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR partner = tenant_id * 10 OR score + partner = 50
    OR starts_with(note, kind || ':'));
CREATE POLICY "own, or ordered" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR NOT (score <= partner) OR 100 / (score - partner) > 1
                OR partner * score = extract(day FROM due));
SELECT check_name, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, partner) VALUES (140, 2, 10)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, partner) VALUES (141, 2, 20)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, score, partner) VALUES (142, 2, 50, 1)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, score, partner) VALUES (143, 2, 50, 0)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, note, kind) VALUES (144, 2, 'post', 'post')$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, note, kind) VALUES (145, 2, ':', '')$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, score = 0, partner = 1$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, score = 30, partner = 30$q$),
    ($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = -1, score = -2, due = '2000-01-03'$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write($q$UPDATE "look up"."Board" SET tenant_id = 2, score = 1, partner = 0$q$);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write($q$UPDATE "look up"."Board" SET tenant_id = 2, score = 50, partner = 0$q$);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write($q$UPDATE "look up"."Board" SET tenant_id = 2, partner = -1, score = -2, due = '2000-01-02'$q$);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
DROP POLICY "own, or a pair's" ON "look up"."Board";
DROP POLICY "own, or ordered" ON "look up"."Board";

-- A check that names a tenant itself (OR (tenant_id = 3 AND "Is
-- Public"): tenant 3's public rows, open to every tenant's writes) when
-- only tenants 1 and 2 are probed: tenant 3, which has rows, is a target
-- of the moves and inserts too, with "Is Public" set. FAIL, beside
-- PostgreSQL's own INSERT. A tenant no row has (9) is not one: PASS.
CREATE POLICY "own, or tenant 3's public" ON "look up"."Board" FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
    OR (tenant_id = 3 AND "Is Public"));
CREATE POLICY "own, or tenant 9's public" ON "look up"."Board" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR (tenant_id IN (9, 10) AND "Is Public"));
SELECT check_name, status, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Board"'::regclass], tenants => ARRAY['1', '2'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') AND tenant = '1' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write(q) FROM (VALUES
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, "Is Public") VALUES (146, 3, false)$q$),
    ($q$INSERT INTO "look up"."Board" (id, tenant_id, "Is Public") VALUES (147, 3, true)$q$)) AS v(q);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
DROP POLICY "own, or tenant 3's public" ON "look up"."Board";
DROP POLICY "own, or tenant 9's public" ON "look up"."Board";

-- A DELETE or UPDATE policy that reaches rows by other columns (OR a - b
-- = 777, OR a + b = 5000, OR id IN the rows another table shares with
-- the tenant), where the rows that pass are far past the first 16 of
-- each tenant the shadow copies: the shadow also holds, for each probed
-- tenant, a few rows of other tenants that pass such a term, read as the
-- caller. FAIL for tenants 1 and 3 (the DELETE reaches row 280, tenant
-- 2's, and tenant 3 also row 250, tenant 2's, shared with it) and for
-- the take-over UPDATE of tenants 1 and 2 (row 290, tenant 3's), beside
-- PostgreSQL's own statements: what is left of the other tenants after
-- them.
CREATE TABLE "look up"."Deep" (id int PRIMARY KEY, tenant_id int NOT NULL, a int, b int);
INSERT INTO "look up"."Deep" SELECT g, 1 + g % 3, g, g FROM generate_series(1, 300) g;
UPDATE "look up"."Deep" SET a = 1000, b = 223 WHERE id = 280;
UPDATE "look up"."Deep" SET a = 2500, b = 2500 WHERE id = 290;
CREATE TABLE "look up"."Deep shares" (doc int, tenant int);
INSERT INTO "look up"."Deep shares" VALUES (250, 3);
GRANT SELECT ON "look up"."Deep shares" TO app_user;
ALTER TABLE "look up"."Deep" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE, DELETE ON "look up"."Deep" TO app_user;
CREATE POLICY "read own" ON "look up"."Deep" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or a's and b's" ON "look up"."Deep" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR a - b = 777
           OR id IN (SELECT s.doc FROM "look up"."Deep shares" s
                      WHERE s.tenant = NULLIF(current_setting('app.tenant_id', true), '')::int));
CREATE POLICY "own, or summed" ON "look up"."Deep" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR a + b = 5000)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Deep"'::regclass])
 WHERE check_name IN ('tenant_delete', 'tenant_update') ORDER BY 2, 1;
-- (the rows of other tenants than t in table tbl that statement sql, run
-- by app_user as tenant t, removes from them: deletes or moves; rolled
-- back. As in app_user's own sessions: session_user is app_user too)
CREATE FUNCTION pg_temp.others_reached(tbl regclass, t int, sql text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE before bigint; after bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1', tbl) INTO before USING t;
    PERFORM set_config('app.tenant_id', t::text, true);
    SET LOCAL SESSION AUTHORIZATION app_user;
    EXECUTE sql;
    RESET SESSION AUTHORIZATION;
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1', tbl) INTO after USING t;
    RAISE EXCEPTION USING ERRCODE = 'RA999', MESSAGE = (before - after)::text;
EXCEPTION WHEN SQLSTATE 'RA999' THEN
    RETURN SQLERRM::bigint;
END $$;
SELECT t AS tenant, q AS statement,
       pg_temp.others_reached('"look up"."Deep"', t, q) AS other_tenants_rows_reached
  FROM (VALUES (1, 'DELETE FROM "look up"."Deep"'), (2, 'DELETE FROM "look up"."Deep"'),
               (3, 'DELETE FROM "look up"."Deep"'), (1, 'UPDATE "look up"."Deep" SET tenant_id = 1'),
               (2, 'UPDATE "look up"."Deep" SET tenant_id = 2'),
               (3, 'UPDATE "look up"."Deep" SET tenant_id = 3')) v(t, q)
 ORDER BY 2, 1;

-- The same, by the current user (owner = current_user, a share granted to
-- CURRENT_ROLE, owner = USER): such a term reads the role's name when the
-- role runs the statement, and the caller's when the caller reads rows
-- for the shadow; they are read with the role's name. Row 260 (tenant
-- 3's) is app_user's, row 270 (tenant 1's) is shared with app_user: FAIL
-- for every tenant's DELETE (tenant 2 reaches both) and for the take-over
-- UPDATE of tenants 1 and 2, beside PostgreSQL's own statements.
ALTER TABLE "look up"."Deep" ADD COLUMN owner name;
UPDATE "look up"."Deep" SET owner = 'app_user' WHERE id = 260;
ALTER TABLE "look up"."Deep shares" ADD COLUMN grantee name;
INSERT INTO "look up"."Deep shares" VALUES (270, NULL, 'app_user');
DROP POLICY "own, or a's and b's" ON "look up"."Deep";
DROP POLICY "own, or summed" ON "look up"."Deep";
CREATE POLICY "own, or the user's" ON "look up"."Deep" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR owner = current_user
           OR id IN (SELECT s.doc FROM "look up"."Deep shares" s WHERE s.grantee = CURRENT_ROLE));
CREATE POLICY "own, or the user's rows" ON "look up"."Deep" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR owner = USER)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Deep"'::regclass])
 WHERE check_name IN ('tenant_delete', 'tenant_update') ORDER BY 2, 1;
SELECT t AS tenant, q AS statement,
       pg_temp.others_reached('"look up"."Deep"', t, q) AS other_tenants_rows_reached
  FROM (VALUES (1, 'DELETE FROM "look up"."Deep"'), (2, 'DELETE FROM "look up"."Deep"'),
               (3, 'DELETE FROM "look up"."Deep"'), (1, 'UPDATE "look up"."Deep" SET tenant_id = 1'),
               (2, 'UPDATE "look up"."Deep" SET tenant_id = 2'),
               (3, 'UPDATE "look up"."Deep" SET tenant_id = 3')) v(t, q)
 ORDER BY 2, 1;

-- The same, by what the caller must not run: a function of the
-- application's that takes the whole row (the rows shared with the
-- tenant) and a view (the rows
-- open to everyone). The role evaluates such a term, in a function of its
-- own, as PostgreSQL evaluates the policy for it. FAIL for the DELETE of
-- tenants 1 and 3 (rows 200 and 250, shared with them) and for the
-- take-over UPDATE of tenants 1 and 2 (row 290, open), beside
-- PostgreSQL's own statements.
INSERT INTO "look up"."Deep shares" VALUES (200, 1, NULL), (290, NULL, 'everyone');
CREATE FUNCTION "look up"."shared with"(d "look up"."Deep") RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM "look up"."Deep shares" s
                    WHERE s.doc = d.id AND s.tenant = NULLIF(current_setting('app.tenant_id', true), '')::int)
$$;
CREATE VIEW "look up"."Deep open" AS SELECT doc FROM "look up"."Deep shares" WHERE grantee = 'everyone';
GRANT SELECT ON "look up"."Deep open" TO app_user;
DROP POLICY "own, or the user's" ON "look up"."Deep";
DROP POLICY "own, or the user's rows" ON "look up"."Deep";
CREATE POLICY "own, or shared" ON "look up"."Deep" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR "look up"."shared with"("Deep"));
CREATE POLICY "own, or open" ON "look up"."Deep" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR id IN (SELECT o.doc FROM "look up"."Deep open" o))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Deep"'::regclass])
 WHERE check_name IN ('tenant_delete', 'tenant_update') ORDER BY 2, 1;
SELECT t AS tenant, q AS statement,
       pg_temp.others_reached('"look up"."Deep"', t, q) AS other_tenants_rows_reached
  FROM (VALUES (1, 'DELETE FROM "look up"."Deep"'), (2, 'DELETE FROM "look up"."Deep"'),
               (3, 'DELETE FROM "look up"."Deep"'), (1, 'UPDATE "look up"."Deep" SET tenant_id = 1'),
               (2, 'UPDATE "look up"."Deep" SET tenant_id = 2'),
               (3, 'UPDATE "look up"."Deep" SET tenant_id = 3')) v(t, q)
 ORDER BY 2, 1;

-- The same, by what reads otherwise for the caller than for the role:
-- the role's rights (NOT has_table_privilege(…): the caller, a
-- superuser, holds every right), the session user and a setting taking
-- the role changes (is_superuser), and a table of row-level security
-- (NOT EXISTS a block of the row in a table whose policies hide the
-- role's level-2 blocks: the caller reads them all). The role evaluates
-- such a term, or reads them as in its own sessions. Rows 230 (tenant
-- 3's), 240 (tenant 1's) and 260 (tenant 3's, app_user's) pass the
-- DELETE's terms for the role, row 220 (tenant 2's, its block hidden)
-- the UPDATE's: FAIL for every tenant's DELETE (tenant 2 reaches all
-- three) and the take-over UPDATE of tenants 1 and 3, beside
-- PostgreSQL's own statements.
UPDATE "look up"."Deep" SET a = 2000 WHERE id = 230;
UPDATE "look up"."Deep" SET a = 2100 WHERE id = 240;
CREATE TABLE "look up"."Deep blocks" (doc int, level int);
INSERT INTO "look up"."Deep blocks" SELECT g, CASE WHEN g = 220 THEN 2 ELSE 1 END FROM generate_series(1, 300) g;
ALTER TABLE "look up"."Deep blocks" ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON "look up"."Deep blocks" TO app_user;
CREATE POLICY "level 1" ON "look up"."Deep blocks" FOR SELECT USING (level <= 1);
DROP POLICY "own, or shared" ON "look up"."Deep";
DROP POLICY "own, or open" ON "look up"."Deep";
CREATE POLICY "own, or 2000 for the read-only" ON "look up"."Deep" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR (a = 2000 AND NOT has_table_privilege('"look up"."Deep shares"', 'UPDATE'))
           OR (a = 2100 AND current_setting('is_superuser') = 'off') OR owner = session_user);
CREATE POLICY "own, or unblocked" ON "look up"."Deep" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR NOT EXISTS (SELECT FROM "look up"."Deep blocks" k WHERE k.doc = id))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Deep"'::regclass])
 WHERE check_name IN ('tenant_delete', 'tenant_update') ORDER BY 2, 1;
SELECT t AS tenant, q AS statement,
       pg_temp.others_reached('"look up"."Deep"', t, q) AS other_tenants_rows_reached
  FROM (VALUES (1, 'DELETE FROM "look up"."Deep"'), (2, 'DELETE FROM "look up"."Deep"'),
               (3, 'DELETE FROM "look up"."Deep"'), (1, 'UPDATE "look up"."Deep" SET tenant_id = 1'),
               (2, 'UPDATE "look up"."Deep" SET tenant_id = 2'),
               (3, 'UPDATE "look up"."Deep" SET tenant_id = 3')) v(t, q)
 ORDER BY 2, 1;

-- The same, through a function of the application's that names its
-- table unqualified, found on the search_path of the role's sessions
-- (set for the role): the role evaluates the term under that
-- search_path, as PostgreSQL runs the function in those sessions (under
-- rls_audit's own, the name is not found and no row passed); so does a
-- built-in function that reads a name under it (to_regclass). Rows 200
-- (tenant 3's), 210 (tenant 1's) and 250 (tenant 2's) are shared with
-- tenants 1, 2 and 3, and row 235 (tenant 2's) passes while "Deep
-- blocks" is found: FAIL for every tenant's DELETE (tenants 1 and 3
-- reach two rows), beside PostgreSQL's own statements under that
-- search_path.
ALTER ROLE app_user SET search_path = "look up", public;
SET check_function_bodies = off;
CREATE FUNCTION "look up"."shared by name"(d int) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM "Deep shares" s
                    WHERE s.doc = d AND s.tenant = NULLIF(current_setting('app.tenant_id', true), '')::int)
$$;
RESET check_function_bodies;
INSERT INTO "look up"."Deep shares" VALUES (210, 2, NULL);
UPDATE "look up"."Deep" SET a = 2300 WHERE id = 235;
DROP POLICY "own, or 2000 for the read-only" ON "look up"."Deep";
CREATE POLICY "own, or shared by name" ON "look up"."Deep" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR "look up"."shared by name"(id)
           OR (a = 2300 AND to_regclass('"Deep blocks"') IS NOT NULL));
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Deep"'::regclass])
 WHERE check_name = 'tenant_delete' ORDER BY 2, 1;
SET search_path = "look up", public;
SELECT t AS tenant, q AS statement,
       pg_temp.others_reached('"look up"."Deep"', t, q) AS other_tenants_rows_reached
  FROM (VALUES (1, 'DELETE FROM "look up"."Deep"'), (2, 'DELETE FROM "look up"."Deep"'),
               (3, 'DELETE FROM "look up"."Deep"')) v(t, q)
 ORDER BY 2, 1;
RESET search_path;
ALTER ROLE app_user RESET search_path;

-- A DELETE or UPDATE policy that reaches other tenants by the tenant
-- column itself (OR tenant_id = 1400; OR a tenant's children, read from
-- another table), on a table of 1 500 tenants: the shadow holds the first
-- row of the first 1 000 tenants only, so the rows of the tenants such a
-- term reaches are read for it too. FAIL for every probed tenant's DELETE
-- (tenant 1400's two rows) and for tenant 1's take-over UPDATE (its child
-- 1200's), beside PostgreSQL's own statements.
CREATE TABLE "look up"."Wide" (id int PRIMARY KEY, tenant_id int NOT NULL);
INSERT INTO "look up"."Wide" SELECT g, 1 + g % 1500 FROM generate_series(1, 3000) g;
CREATE TABLE "look up"."Wide tree" (parent int, child int);
INSERT INTO "look up"."Wide tree" VALUES (1, 1200);
GRANT SELECT ON "look up"."Wide tree" TO app_user;
ALTER TABLE "look up"."Wide" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE, DELETE ON "look up"."Wide" TO app_user;
CREATE POLICY "read own" ON "look up"."Wide" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or 1400's" ON "look up"."Wide" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR tenant_id = 1400);
CREATE POLICY "own, or its children's" ON "look up"."Wide" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR tenant_id IN (SELECT w.child FROM "look up"."Wide tree" w
                             WHERE w.parent = NULLIF(current_setting('app.tenant_id', true), '')::int))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Wide"'::regclass], tenants => ARRAY['1', '2', '3'])
 WHERE check_name IN ('tenant_delete', 'tenant_update') ORDER BY 2, 1;
SELECT t AS tenant, q AS statement, pg_temp.others_reached('"look up"."Wide"', t, q) AS other_tenants_rows_reached
  FROM (VALUES (1, 'DELETE FROM "look up"."Wide"'), (2, 'DELETE FROM "look up"."Wide"'),
               (3, 'DELETE FROM "look up"."Wide"'), (1, 'UPDATE "look up"."Wide" SET tenant_id = 1'),
               (2, 'UPDATE "look up"."Wide" SET tenant_id = 2'),
               (3, 'UPDATE "look up"."Wide" SET tenant_id = 3')) v(t, q)
 ORDER BY 2, 1;

-- A write check that passes other tenants by the tenant column itself
-- (OR tenant_id IN a tenant's children): the tenants of the rows that
-- pass it are moved to and inserted for too, past the first 1 000 the
-- screen tries. FAIL for tenant 1's INSERT and UPDATE (to its child
-- 1200), PASS for tenants 2 and 3 (no children), beside PostgreSQL's own
-- statements: the rows of other tenants they add (or their SQLSTATE).
GRANT INSERT ON "look up"."Wide" TO app_user;
DROP POLICY "own, or its children's" ON "look up"."Wide";
CREATE POLICY "own, or to its children" ON "look up"."Wide" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR tenant_id IN (SELECT w.child FROM "look up"."Wide tree" w
                                  WHERE w.parent = NULLIF(current_setting('app.tenant_id', true), '')::int));
CREATE POLICY "own, or for its children" ON "look up"."Wide" FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR tenant_id IN (SELECT w.child FROM "look up"."Wide tree" w
                                  WHERE w.parent = NULLIF(current_setting('app.tenant_id', true), '')::int));
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Wide"'::regclass], tenants => ARRAY['1', '2', '3'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') ORDER BY 2, 1;
CREATE FUNCTION pg_temp.others_gained(tbl regclass, t int, sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE before bigint; after bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1', tbl) INTO before USING t;
    PERFORM set_config('app.tenant_id', t::text, true);
    PERFORM set_config('role', 'app_user', true);
    EXECUTE sql;
    RESET ROLE;
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id <> $1', tbl) INTO after USING t;
    RAISE EXCEPTION USING ERRCODE = 'RA999', MESSAGE = (after - before)::text;
EXCEPTION WHEN SQLSTATE 'RA999' THEN
    RETURN SQLERRM;
WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT t AS tenant, q AS statement, pg_temp.others_gained('"look up"."Wide"', t, q) AS other_tenants_rows_added
  FROM (VALUES (1, 'INSERT INTO "look up"."Wide" VALUES (9001, 1200)'),
               (2, 'INSERT INTO "look up"."Wide" VALUES (9001, 1200)'),
               (1, 'UPDATE "look up"."Wide" SET tenant_id = 1200'),
               (2, 'UPDATE "look up"."Wide" SET tenant_id = 1200')) v(t, q)
 ORDER BY 2, 1;

-- A role that may INSERT only some columns, the tenant column among them:
-- its INSERT names those, and the others take their defaults (a serial
-- id, an identity, a constant). Under WITH CHECK (true) it inserts rows
-- for any tenant; the probe's INSERT used to name every column and was
-- refused for those it may not name, a false PASS.
CREATE TABLE "look up".tickets (id serial PRIMARY KEY, n int GENERATED ALWAYS AS IDENTITY,
    tenant_id int NOT NULL, state text NOT NULL DEFAULT 'open', body text);
INSERT INTO "look up".tickets (tenant_id, body) SELECT 1 + g % 3, 'ticket ' || g FROM generate_series(1, 9) g;
ALTER TABLE "look up".tickets ENABLE ROW LEVEL SECURITY;
CREATE POLICY "read own" ON "look up".tickets FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "any" ON "look up".tickets FOR INSERT WITH CHECK (true);
GRANT SELECT, INSERT (tenant_id, body) ON "look up".tickets TO app_user;
GRANT USAGE ON SEQUENCE "look up".tickets_id_seq TO app_user;
SELECT tenant, status, rows_seen FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up".tickets'::regclass])
 WHERE check_name = 'tenant_insert' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write($q$INSERT INTO "look up".tickets (tenant_id, body) VALUES (2, 'planted')$q$);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
-- the check reads a column it leaves to its default: the default decides
DROP POLICY "any" ON "look up".tickets;
CREATE POLICY "own, or open" ON "look up".tickets FOR INSERT WITH CHECK (
    tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR state = 'closed');
SELECT tenant, status FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up".tickets'::regclass])
 WHERE check_name = 'tenant_insert' ORDER BY 1;
ALTER TABLE "look up".tickets ALTER COLUMN state SET DEFAULT 'closed';
SELECT tenant, status FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up".tickets'::regclass])
 WHERE check_name = 'tenant_insert' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.post_write($q$INSERT INTO "look up".tickets (tenant_id, body) VALUES (2, 'planted')$q$);
RESET ROLE;
SELECT * FROM post_writes;
ROLLBACK;
-- 9 rows and app_user's own two INSERTs: the probes took no value of the
-- table's sequence (theirs is a temporary one)
SELECT last_value FROM "look up".tickets_id_seq;
DROP TABLE post_writes;
DROP FUNCTION pg_temp.post_write(text);

-- A policy that reads a setting the application sets per request besides
-- the tenant's (a user id): once anything set it in a session, it reads
-- '' there, not NULL as in a new session (a fresh connection of the
-- pool). The write probes also run their statements with the shadow's
-- policies as a new session reads them: the DELETE policy's cast of ''
-- fails (22P02) where a new session deletes the public row 5 (tenant
-- 3's), and the UPDATE policy lets a session without a user take over
-- every row; a SELECT policy likewise shows every row to a session
-- without a user (the reads run again in a backend of their own, where
-- the setting is undefined). FAIL, naming the new session, beside
-- PostgreSQL's own statements in a new session (\c).
CREATE TABLE "look up"."Owned" (id int PRIMARY KEY, tenant_id int NOT NULL, owner_id int,
    is_public boolean NOT NULL DEFAULT false);
INSERT INTO "look up"."Owned" SELECT g, 1 + g % 3, 100 + g, g = 5 FROM generate_series(1, 30) g;
ALTER TABLE "look up"."Owned" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE, DELETE ON "look up"."Owned" TO app_user;
CREATE POLICY "read own" ON "look up"."Owned" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, public or mine" ON "look up"."Owned" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR is_public
           OR owner_id = current_setting('app.user_id', true)::int);
CREATE POLICY "own, or any without a user" ON "look up"."Owned" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR current_setting('app.user_id', true) IS NULL)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "any without a user" ON "look up"."Owned" FOR SELECT
    USING (current_setting('app.user_id', true) IS NULL);
SET app.user_id = '107';
RESET app.user_id;
SELECT current_setting('app.user_id', true) AS user_id_after_reset;
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Owned"'::regclass])
 WHERE check_name IN ('tenant_read', 'tenant_delete', 'tenant_update') ORDER BY 2, 1;
\c -
SELECT current_setting('app.user_id', true) IS NULL AS user_id_not_set;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id <> 1) AS other_tenants_rows_tenant_1_reads FROM "look up"."Owned";
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
DELETE FROM "look up"."Owned";
RESET ROLE;
SELECT tenant_id, count(*) AS left_after_tenant_1s_delete FROM "look up"."Owned" GROUP BY 1 ORDER BY 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '2';
UPDATE "look up"."Owned" SET tenant_id = 2;
RESET ROLE;
SELECT tenant_id, count(*) AS after_tenant_2s_update FROM "look up"."Owned" GROUP BY 1 ORDER BY 1;
ROLLBACK;

-- The same read and delete through a function of the application's that
-- reads the user id: the settings the bodies of the functions a policy
-- calls name are undefined in the reads' own backend too, and the write
-- probe runs again in such a backend (its policies cannot be read as a
-- new session reads them here: the function reads '' in this session).
-- FAIL, naming the new session, beside PostgreSQL's own read and delete
-- in a new session (\c).
DROP POLICY "any without a user" ON "look up"."Owned";
DROP POLICY "own, public or mine" ON "look up"."Owned";
CREATE FUNCTION "look up"."user id"() RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT current_setting('app.user_id', true) $$;
CREATE POLICY "any without a user, by its function" ON "look up"."Owned" FOR SELECT
    USING ("look up"."user id"() IS NULL);
CREATE POLICY "own, or any without a user, by its function" ON "look up"."Owned" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR "look up"."user id"() IS NULL);
SET app.user_id = '107';
RESET app.user_id;
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Owned"'::regclass])
 WHERE check_name IN ('tenant_read', 'tenant_delete') ORDER BY 2, 1;
\c -
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT count(*) FILTER (WHERE tenant_id <> 1) AS other_tenants_rows_tenant_1_reads FROM "look up"."Owned";
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
DELETE FROM "look up"."Owned";
RESET ROLE;
SELECT tenant_id, count(*) AS left_after_tenant_1s_delete FROM "look up"."Owned" GROUP BY 1 ORDER BY 1;
ROLLBACK;

-- A DELETE or UPDATE policy that reaches rows by a column compared with
-- a setting the application sets per request besides the tenant's (a
-- user id read by a function of the application's, from either of two
-- settings of a JSON token; a claim of the token read in the policy): a
-- request that sets it to another tenant's user reaches that user's
-- rows, which no probed tenant's settings do. (The block above has a user
-- id read in the policy.) The probes copy rows of other tenants such a
-- term reaches for some value and run the DELETE and the take-over
-- UPDATE again with each setting given theirs. FAIL for every tenant,
-- naming the SET, beside PostgreSQL's own statement with the value the
-- FAIL names: as many rows of other tenants.
DROP POLICY "any without a user, by its function" ON "look up"."Owned";
DROP POLICY "own, or any without a user, by its function" ON "look up"."Owned";
DROP POLICY "own, or any without a user" ON "look up"."Owned";
CREATE FUNCTION "look up".uid() RETURNS int LANGUAGE sql STABLE
    AS $$ SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                          nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::int $$;
CREATE POLICY "own, or the user's" ON "look up"."Owned" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR owner_id = "look up".uid());
CREATE POLICY "own, or the token's user's" ON "look up"."Owned" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR (owner_id > 0
               AND (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::int = owner_id))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Owned"'::regclass])
 WHERE check_name IN ('tenant_delete', 'tenant_update') ORDER BY 2, 1;
SELECT substring(detail FROM 'SET request.jwt.claim.sub = ''(\d+)''') AS user_id,
       substring(detail FROM '(\d+) rows? of another tenant') AS rows_said
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Owned"'::regclass])
 WHERE check_name = 'tenant_delete' AND tenant = '1' \gset
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SET LOCAL request.jwt.claim.sub = :'user_id';
DELETE FROM "look up"."Owned";
RESET ROLE;
SELECT 20 - count(*) = :'rows_said'::int AS tenant_1_deletes_as_many,
       20 - count(*) > 0 AS of_other_tenants
  FROM "look up"."Owned" WHERE tenant_id <> 1;
ROLLBACK;
-- The same for a read: a SELECT policy's term by the user id shows a
-- request of tenant 1 that sets it to another tenant's user that user's
-- rows. FAIL for every tenant, naming the SET, beside PostgreSQL's own
-- read with the value the FAIL names.
CREATE POLICY "the user's" ON "look up"."Owned" FOR SELECT
    USING (owner_id = NULLIF(current_setting('app.user_id', true), '')::int);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Owned"'::regclass])
 WHERE check_name = 'tenant_read' ORDER BY 2, 1;
SELECT substring(detail FROM 'SET app.user_id = ''(\d+)''') AS user_id, rows_seen AS rows_said
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Owned"'::regclass])
 WHERE check_name = 'tenant_read' AND tenant = '3' \gset
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '3';
SET LOCAL app.user_id = :'user_id';
SELECT count(*) = :'rows_said'::int AS tenant_3_reads_as_many, count(*) > 0 AS of_other_tenants
  FROM "look up"."Owned" WHERE tenant_id <> 3;
ROLLBACK;
DROP POLICY "the user's" ON "look up"."Owned";
SELECT substring(detail FROM 'SET request.jwt.claims = ''([^'']+)''') AS claims,
       substring(detail FROM 'then `UPDATE [^`]+` changes or moves (\d+) rows? of another tenant') AS rows_said
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Owned"'::regclass])
 WHERE check_name = 'tenant_update' AND tenant = '2' \gset
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '2';
SET LOCAL request.jwt.claims = :'claims';
UPDATE "look up"."Owned" SET tenant_id = 2;
RESET ROLE;
SELECT count(*) = :'rows_said'::int AS others_taken_over_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Owned" WHERE tenant_id = 2 AND id % 3 <> 1;
ROLLBACK;

-- A write check that passes the tenant column by a setting the
-- application sets per request (a parent organisation a request acts
-- for): a request of tenant 1 that sets it to 2 inserts rows for tenant 2
-- and moves its own there. The moves and inserts for each other tenant
-- run again with the setting given that tenant. FAIL for every tenant,
-- naming the SET, beside PostgreSQL's own INSERT and UPDATE with the value
-- the FAIL names.
CREATE TABLE "look up"."Child orgs" (id int, tenant_id int NOT NULL, body text);
INSERT INTO "look up"."Child orgs" SELECT g, 1 + g % 3, 'b' FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Child orgs" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON "look up"."Child orgs" TO app_user;
CREATE POLICY "read own" ON "look up"."Child orgs" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or the parent's" ON "look up"."Child orgs" FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR tenant_id = NULLIF(current_setting('app.parent_id', true), '')::int);
CREATE POLICY "own, moved to the parent" ON "look up"."Child orgs" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR tenant_id = NULLIF(current_setting('app.parent_id', true), '')::int);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Child orgs"'::regclass])
 WHERE check_name IN ('tenant_insert', 'tenant_update') ORDER BY 2, 1;
-- (tenant 1 probed alone: the tenants not probed are moved to and
-- inserted for with the setting given them too)
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Child orgs"'::regclass], tenants => ARRAY['1'])
 WHERE check_name IN ('tenant_insert', 'tenant_update') ORDER BY 2, 1;
SELECT substring(detail FROM 'SET app.parent_id = ''(\d+)''') AS parent_id
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Child orgs"'::regclass])
 WHERE check_name = 'tenant_insert' AND tenant = '1' \gset
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SET LOCAL app.parent_id = :'parent_id';
INSERT INTO "look up"."Child orgs" VALUES (100, :'parent_id'::int, 'x');
UPDATE "look up"."Child orgs" SET tenant_id = :'parent_id'::int;
RESET ROLE;
SELECT count(*) FILTER (WHERE id = 100) AS inserted_for_the_parent,
       count(*) FILTER (WHERE id % 3 = 0) AS moved_there_of_tenant_1s_3
  FROM "look up"."Child orgs" WHERE tenant_id = :'parent_id'::int;
ROLLBACK;

-- A policy term that passes every row for a value of a setting the
-- application sets per request, compared with a constant rather than a
-- column: a support mode (`= 'on'`), an admin flag read as a boolean, a
-- role in a JSON token read by a function of the application's by two
-- keys, a level in a list. Left unset, as the probes find them, each
-- passes nothing; any request may set them (the role may SET any such
-- setting itself). The probes run the read, the DELETE, the take-over
-- UPDATE and the inserts again with the setting given the constant.
-- FAIL for every tenant, naming the SET, beside PostgreSQL's own
-- statements with the value each FAIL names.
CREATE TABLE "look up"."Tickets" (id int, tenant_id int NOT NULL, body text);
INSERT INTO "look up"."Tickets" SELECT g, 1 + g % 3, 'b' FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Tickets" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up"."Tickets" TO app_user;
CREATE FUNCTION "look up".jwt() RETURNS jsonb LANGUAGE sql STABLE
    AS $$ SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                          nullif(current_setting('request.jwt.claims', true), ''))::jsonb $$;
CREATE POLICY "own, or in support mode" ON "look up"."Tickets" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR current_setting('app.support', true) = 'on');
CREATE POLICY "own, or as an admin" ON "look up"."Tickets" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR current_setting('app.admin', true)::boolean);
CREATE POLICY "own, or as the service" ON "look up"."Tickets" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR "look up".jwt() -> 'app_metadata' ->> 'role' = 'service')
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or at a level" ON "look up"."Tickets" FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR NULLIF(current_setting('app.level', true), '')::int IN (7, 9));
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Tickets"'::regclass])
 WHERE tenant IS NOT NULL ORDER BY 2, 1;
CREATE TEMP TABLE said AS
SELECT check_name, rows_seen,
       substring(detail FROM '`SET ([a-z_.]+) = ') AS name,
       substring(detail FROM '`SET [a-z_.]+ = ''([^'']+)''') AS value,
       coalesce(substring(detail FROM '(\d+) rows? of another tenant'), rows_seen::text)::int AS rows_said
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Tickets"'::regclass])
 WHERE tenant = '1' AND status = 'FAIL';
SELECT check_name, name, value FROM said ORDER BY 1;
GRANT SELECT ON said TO app_user;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT set_config(name, value, true) IS NOT NULL AS set FROM said WHERE check_name = 'tenant_read';
SELECT count(*) = (SELECT rows_said FROM said WHERE check_name = 'tenant_read') AS reads_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Tickets" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT set_config(name, value, true) IS NOT NULL AS set FROM said WHERE check_name = 'tenant_delete';
DELETE FROM "look up"."Tickets";
RESET ROLE;
SELECT 6 - count(*) = (SELECT rows_said FROM said WHERE check_name = 'tenant_delete') AS deletes_as_many,
       6 - count(*) > 0 AS of_other_tenants
  FROM "look up"."Tickets" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT set_config(name, value, true) IS NOT NULL AS set FROM said WHERE check_name = 'tenant_update';
UPDATE "look up"."Tickets" SET tenant_id = 1;
RESET ROLE;
SELECT count(*) = (SELECT rows_said FROM said WHERE check_name = 'tenant_update') AS takes_over_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Tickets" WHERE tenant_id = 1 AND id % 3 <> 0;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT set_config(name, value, true) IS NOT NULL AS set FROM said WHERE check_name = 'tenant_insert';
INSERT INTO "look up"."Tickets" VALUES (100, 2, 'x');
RESET ROLE;
SELECT count(*) AS inserted_for_tenant_2 FROM "look up"."Tickets" WHERE id = 100 AND tenant_id = 2;
ROLLBACK;
DROP TABLE said;
-- (a setting compared by an ordering: a clearance past 4 reads every
-- row. The read runs again with the value one step past the constant.
-- FAIL, beside PostgreSQL's read with the value the FAIL names.)
ALTER POLICY "own, or in support mode" ON "look up"."Tickets"
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR NULLIF(current_setting('app.clearance', true), '')::int > 4);
SELECT tenant, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Tickets"'::regclass])
 WHERE check_name = 'tenant_read' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SET LOCAL app.clearance = '5';
SELECT count(*) AS other_tenants_rows_read FROM "look up"."Tickets" WHERE tenant_id <> 1;
ROLLBACK;
-- (and through a view of the table, security_invoker, so the table's
-- policies apply to the role: the read through the view runs again with
-- the value. FAIL, beside PostgreSQL's read through the view.)
CREATE VIEW "look up"."Tickets seen" WITH (security_invoker = true) AS SELECT * FROM "look up"."Tickets";
GRANT SELECT ON "look up"."Tickets seen" TO app_user;
SELECT tenant, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Tickets seen"'::regclass])
 WHERE check_name = 'tenant_read' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT count(*) AS through_the_view_before FROM "look up"."Tickets seen" WHERE tenant_id <> 1;
SET LOCAL app.clearance = '5';
SELECT count(*) AS through_the_view_after_set FROM "look up"."Tickets seen" WHERE tenant_id <> 1;
ROLLBACK;

-- A term that reaches rows through a sub-select by a setting the
-- application sets per request: membership of an organisation in another
-- table (with row-level security of its own: a user sees their own
-- memberships), by the user id in a JWT claim read by a function of the
-- application's, or in app.user_id: IN a sub-select of the members, an
-- EXISTS of the user's membership, the user id IN the sub-select of an
-- organisation's members, and a check of the tenant column IN one. A
-- request of tenant 1 that sets it to a member of another tenant's
-- organisation reaches that organisation's rows. The probes give the
-- setting the user of a membership row that passes the sub-select for
-- a row of another tenant (read as the caller), and run the read, the
-- DELETE, the take-over and the inserts again with it. FAIL for every
-- tenant, naming the SET, beside PostgreSQL's own statements with the
-- value each FAIL names.
CREATE TABLE "look up"."Members" (org_id int, user_id int);
INSERT INTO "look up"."Members" SELECT o, o * 100 + u FROM generate_series(1, 3) o, generate_series(1, 2) u;
ALTER TABLE "look up"."Members" ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON "look up"."Members" TO app_user;
CREATE POLICY "one's own" ON "look up"."Members" FOR SELECT
    USING (user_id = "look up".uid() OR user_id = NULLIF(current_setting('app.user_id', true), '')::int);
CREATE TABLE "look up"."Org docs" (id int, tenant_id int NOT NULL, org_id int);
INSERT INTO "look up"."Org docs" SELECT g, 1 + g % 3, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Org docs" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up"."Org docs" TO app_user;
CREATE POLICY "own, or a member's" ON "look up"."Org docs" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR org_id IN (SELECT org_id FROM "look up"."Members" WHERE user_id = "look up".uid()));
CREATE POLICY "own, or as a member" ON "look up"."Org docs" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR EXISTS (SELECT FROM "look up"."Members" m
                       WHERE m.org_id = "Org docs".org_id
                         AND m.user_id = NULLIF(current_setting('app.user_id', true), '')::int));
CREATE POLICY "own, or among the members" ON "look up"."Org docs" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR NULLIF(current_setting('app.user_id', true), '')::int
              IN (SELECT user_id FROM "look up"."Members" WHERE org_id = "Org docs".org_id))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or a member's organisation" ON "look up"."Org docs" FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR tenant_id IN (SELECT org_id FROM "look up"."Members"
                                  WHERE user_id = NULLIF(current_setting('app.user_id', true), '')::int));
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Org docs"'::regclass])
 WHERE tenant IS NOT NULL ORDER BY 2, 1;
CREATE TEMP TABLE said AS
SELECT check_name, rows_seen,
       substring(detail FROM '`SET ([a-z_.]+) = ') AS name,
       substring(detail FROM '`SET [a-z_.]+ = ''([^'']+)''') AS value,
       coalesce(substring(detail FROM '(\d+) rows? of another tenant'), rows_seen::text)::int AS rows_said,
       substring(detail FROM 'VALUES \(\.\.\., (\d+)\)') AS inserted_for
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Org docs"'::regclass])
 WHERE tenant = '1' AND status = 'FAIL';
SELECT check_name, name, value, inserted_for FROM said ORDER BY 1;
GRANT SELECT ON said TO app_user;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT set_config(name, value, true) IS NOT NULL AS set FROM said WHERE check_name = 'tenant_read';
SELECT count(*) = (SELECT rows_said FROM said WHERE check_name = 'tenant_read') AS reads_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Org docs" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT set_config(name, value, true) IS NOT NULL AS set FROM said WHERE check_name = 'tenant_delete';
DELETE FROM "look up"."Org docs";
RESET ROLE;
SELECT 6 - count(*) = (SELECT rows_said FROM said WHERE check_name = 'tenant_delete') AS deletes_as_many,
       6 - count(*) > 0 AS of_other_tenants
  FROM "look up"."Org docs" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT set_config(name, value, true) IS NOT NULL AS set FROM said WHERE check_name = 'tenant_update';
UPDATE "look up"."Org docs" SET tenant_id = 1;
RESET ROLE;
SELECT count(*) = (SELECT rows_said FROM said WHERE check_name = 'tenant_update') AS takes_over_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Org docs" WHERE tenant_id = 1 AND id % 3 <> 0;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT set_config(name, value, true) IS NOT NULL AS set FROM said WHERE check_name = 'tenant_insert';
INSERT INTO "look up"."Org docs" SELECT 100, inserted_for::int, 0 FROM said WHERE check_name = 'tenant_insert';
RESET ROLE;
SELECT count(*) AS inserted_for_another_tenant FROM "look up"."Org docs" WHERE id = 100 AND tenant_id <> 1;
ROLLBACK;
DROP TABLE said;
-- (the same by a scalar sub-select: the user's own organisation,
-- `org_id = (SELECT org_id FROM members WHERE user_id = …)`, read as `IN`.
-- FAIL, beside PostgreSQL's read with the value the FAIL names.)
CREATE POLICY "own, or the user's organisation's" ON "look up"."Org docs" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR org_id = (SELECT org_id FROM "look up"."Members"
                         WHERE user_id = NULLIF(current_setting('app.user_id', true), '')::int));
DROP POLICY "own, or a member's" ON "look up"."Org docs";
SELECT tenant, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Org docs"'::regclass])
 WHERE check_name = 'tenant_read' ORDER BY 1;
SELECT substring(detail FROM 'SET app.user_id = ''(\d+)''') AS user_id, rows_seen AS rows_said
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Org docs"'::regclass])
 WHERE check_name = 'tenant_read' AND tenant = '2' \gset
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '2';
SET LOCAL app.user_id = :'user_id';
SELECT count(*) = :'rows_said'::int AS tenant_2_reads_as_many, count(*) > 0 AS of_other_tenants
  FROM "look up"."Org docs" WHERE tenant_id <> 2;
ROLLBACK;

-- A write check that lets a row through by a table the role may write
-- (a viewers table) and by another column's value (a restrictive policy
-- that holds rows back unless their body sorts past 'sh'): a request of
-- tenant 1 that adds itself as a viewer of tenant 2 inserts a row for
-- tenant 2 with such a body. The probe after each write to the viewers
-- table tries the checks' values too. FAIL, beside PostgreSQL's own
-- INSERT after that write.
CREATE TABLE "look up"."Viewers" (viewer int, tenant_id int);
INSERT INTO "look up"."Viewers" VALUES (1, 1), (2, 2), (3, 3);
GRANT SELECT, INSERT ON "look up"."Viewers" TO app_user;
CREATE TABLE "look up"."Viewed" (id int, tenant_id int NOT NULL, body text);
INSERT INTO "look up"."Viewed" SELECT g, 1 + g % 3, 'b' FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Viewed" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON "look up"."Viewed" TO app_user;
CREATE POLICY "as a viewer" ON "look up"."Viewed" FOR ALL
    USING (tenant_id IN (SELECT v.tenant_id FROM "look up"."Viewers" v
                          WHERE v.viewer = NULLIF(current_setting('app.tenant_id', true), '')::int));
CREATE POLICY "own, or past sh" ON "look up"."Viewed" AS RESTRICTIVE FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR NOT (body <= 'sh'));
SELECT tenant, status, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Viewed"'::regclass])
 WHERE check_name = 'tenant_insert' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
INSERT INTO "look up"."Viewed" VALUES (100, 2, 'shz');
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
INSERT INTO "look up"."Viewers" VALUES (1, 2);
INSERT INTO "look up"."Viewed" VALUES (100, 2, 'b');
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
INSERT INTO "look up"."Viewers" VALUES (1, 2);
INSERT INTO "look up"."Viewed" VALUES (100, 2, 'shz');
RESET ROLE;
SELECT count(*) AS inserted_for_tenant_2 FROM "look up"."Viewed" WHERE id = 100 AND tenant_id = 2;
ROLLBACK;
-- (the same with a function the policy calls that the role owns and may
-- replace: the probe after CREATE OR REPLACE tries the checks' values
-- too. FAIL, beside PostgreSQL's own INSERT after that replacement.)
CREATE FUNCTION "look up".viewed_tenant() RETURNS int LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::int $$;
ALTER FUNCTION "look up".viewed_tenant() OWNER TO app_user;
GRANT CREATE ON SCHEMA "look up" TO app_user;
DROP POLICY "as a viewer" ON "look up"."Viewed";
CREATE POLICY "by its function" ON "look up"."Viewed" FOR ALL USING (tenant_id = "look up".viewed_tenant());
SELECT tenant, status, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Viewed"'::regclass])
 WHERE check_name = 'tenant_insert' ORDER BY 1;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
CREATE OR REPLACE FUNCTION "look up".viewed_tenant() RETURNS int LANGUAGE sql STABLE AS 'SELECT 2';
INSERT INTO "look up"."Viewed" VALUES (100, 2, 'shz');
RESET ROLE;
SELECT count(*) AS inserted_for_tenant_2 FROM "look up"."Viewed" WHERE id = 100 AND tenant_id = 2;
ROLLBACK;
REVOKE CREATE ON SCHEMA "look up" FROM app_user;
ALTER FUNCTION "look up".viewed_tenant() OWNER TO CURRENT_USER;

-- A term that compares two settings a request sets (`owner_id =
-- auth.uid() AND org_id = current_setting('app.org_id')`, a user id and a
-- role, a membership and a mode, a parent tenant and a delegation flag):
-- a request of tenant 1 that sets both to a row's values reaches that row
-- of another tenant, and neither alone reaches any. The probes give both
-- settings the values of one row together. FAIL for every command,
-- naming both SETs, beside PostgreSQL's own statements with each SET the
-- FAIL names, and with its first SET alone.
CREATE TABLE "look up"."Shared docs" (id int, tenant_id int NOT NULL, owner_id int, org_id int);
INSERT INTO "look up"."Shared docs" SELECT g, 1 + g % 3, 100 * (1 + g % 3) + 1 + g % 2, 1 + g % 3
  FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Shared docs" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up"."Shared docs" TO app_user;
CREATE POLICY "own, or the owner's in the organisation" ON "look up"."Shared docs" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR (owner_id = "look up".uid()
               AND org_id = NULLIF(current_setting('app.org_id', true), '')::int));
CREATE POLICY "own, or the owner as a manager" ON "look up"."Shared docs" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR (owner_id = NULLIF(current_setting('app.user_id', true), '')::int
               AND current_setting('app.role', true) = 'manager'));
CREATE POLICY "own, or a member's when shared" ON "look up"."Shared docs" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR (org_id IN (SELECT org_id FROM "look up"."Members" WHERE user_id = "look up".uid())
               AND current_setting('app.mode', true) = 'shared'))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or the parent's as a delegate" ON "look up"."Shared docs" FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR (tenant_id = NULLIF(current_setting('app.parent_id', true), '')::int
                    AND current_setting('app.delegate', true) = 'yes'));
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Shared docs"'::regclass])
 WHERE tenant IS NOT NULL ORDER BY 2, 1;
-- (each SET of tenant 1's first statement of each FAIL of table t, in the
-- order the FAIL names them, with the rows it says it reached; below,
-- set_said sets those of check c, its first alone or all)
CREATE FUNCTION pg_temp.sets_said(t regclass)
RETURNS TABLE (check_name text, n bigint, name text, value text, rows_said int, detail text)
LANGUAGE sql AS $$
    SELECT v.check_name, m.n, m.s[1], m.s[2],
           coalesce(substring(v.detail FROM '(\d+) rows? of another tenant'), v.rows_seen::text)::int, v.detail
      FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY[t]) v,
           regexp_matches(substring(v.detail FROM '^[^;]*'), '`SET ([a-z_.0-9]+) = ''([^'']*)''`', 'g')
             WITH ORDINALITY AS m(s, n)
     WHERE v.tenant = '1' AND v.status = 'FAIL'
$$;
CREATE TEMP TABLE said AS
SELECT *,
       substring(detail FROM 'VALUES \(\.\.\., (\d+)\)') AS inserted_for
  FROM pg_temp.sets_said('"look up"."Shared docs"');
SELECT check_name, n, name, value, inserted_for FROM said ORDER BY 1, 2;
GRANT SELECT ON said TO app_user;
CREATE FUNCTION pg_temp.set_said(c text, alone boolean) RETURNS int LANGUAGE sql AS $$
    SELECT count(set_config(name, value, true))::int FROM said WHERE check_name = c AND (n = 1 OR NOT alone)
$$;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_read', true) AS sets;
SELECT count(*) AS first_set_alone_reads FROM "look up"."Shared docs" WHERE tenant_id <> 1;
SELECT pg_temp.set_said('tenant_read', false) AS sets;
SELECT count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_read') AS reads_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Shared docs" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_delete', true) AS sets;
SAVEPOINT alone;
DELETE FROM "look up"."Shared docs";
RESET ROLE;
SELECT 6 - count(*) AS first_set_alone_deletes FROM "look up"."Shared docs" WHERE tenant_id <> 1;
ROLLBACK TO alone;
SELECT pg_temp.set_said('tenant_delete', false) AS sets;
DELETE FROM "look up"."Shared docs";
RESET ROLE;
SELECT 6 - count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_delete') AS deletes_as_many,
       6 - count(*) > 0 AS of_other_tenants
  FROM "look up"."Shared docs" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_update', true) AS sets;
SAVEPOINT alone;
UPDATE "look up"."Shared docs" SET tenant_id = 1;
RESET ROLE;
SELECT count(*) AS first_set_alone_takes_over FROM "look up"."Shared docs" WHERE tenant_id = 1 AND id % 3 <> 0;
ROLLBACK TO alone;
SELECT pg_temp.set_said('tenant_update', false) AS sets;
UPDATE "look up"."Shared docs" SET tenant_id = 1;
RESET ROLE;
SELECT count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_update') AS takes_over_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Shared docs" WHERE tenant_id = 1 AND id % 3 <> 0;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_insert', true) AS sets;
SAVEPOINT alone;
INSERT INTO "look up"."Shared docs" SELECT 100, inserted_for::int, 0, 0 FROM said WHERE check_name = 'tenant_insert' AND n = 1;
ROLLBACK TO alone;
SELECT pg_temp.set_said('tenant_insert', false) AS sets;
INSERT INTO "look up"."Shared docs" SELECT 100, inserted_for::int, 0, 0 FROM said WHERE check_name = 'tenant_insert' AND n = 1;
RESET ROLE;
SELECT count(*) AS inserted_for_another_tenant FROM "look up"."Shared docs" WHERE id = 100 AND tenant_id <> 1;
ROLLBACK;
DROP TABLE said;

-- (a write check of another column compared with two settings a request
-- sets together, the user id and the token's: a request of tenant 1 that
-- sets both to the id it inserts inserts a row of another tenant. FAIL,
-- naming both SETs, beside PostgreSQL's own INSERT with each SET the FAIL
-- names.)
CREATE TABLE "look up"."Claimed twice" (id int, tenant_id int NOT NULL);
INSERT INTO "look up"."Claimed twice" SELECT 10 + g, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Claimed twice" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON "look up"."Claimed twice" TO app_user;
CREATE POLICY "own" ON "look up"."Claimed twice" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or the user's own id" ON "look up"."Claimed twice" FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR (id = NULLIF(current_setting('app.user_id', true), '')::int
                    AND (NULLIF(current_setting('request.jwt.claims', true), '')::jsonb ->> 'uid')::int = id));
SELECT tenant, status, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Claimed twice"'::regclass])
 WHERE check_name = 'tenant_insert' ORDER BY 1;
CREATE TEMP TABLE said AS
SELECT *,
       substring(detail FROM 'VALUES \(\.\.\., (\d+), ') AS inserted_for,
       substring(detail FROM 'VALUES \(\.\.\., \d+, ''(\d+)''\)') AS id_said
  FROM pg_temp.sets_said('"look up"."Claimed twice"') WHERE check_name = 'tenant_insert';
SELECT n, name, value, inserted_for, id_said FROM said ORDER BY 1;
GRANT SELECT ON said TO app_user;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_insert', false) AS sets;
INSERT INTO "look up"."Claimed twice" SELECT id_said::int, inserted_for::int FROM said WHERE n = 1;
RESET ROLE;
SELECT count(*) AS inserted_for_another_tenant FROM "look up"."Claimed twice" WHERE tenant_id <> 1 AND id = 1;
ROLLBACK;
DROP TABLE said;

-- (and two other columns compared with two such settings, an owner and a
-- project: a request of tenant 1 that sets both to the values it inserts
-- inserts a row of another tenant. FAIL, naming both SETs, beside
-- PostgreSQL's own INSERT with each SET the FAIL names.)
CREATE TABLE "look up"."Claimed apart" (id int, tenant_id int NOT NULL, owner_id int, project_id int);
INSERT INTO "look up"."Claimed apart" SELECT g, 1 + g % 3, 100 + g, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Claimed apart" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON "look up"."Claimed apart" TO app_user;
CREATE POLICY "own" ON "look up"."Claimed apart" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or the owner's in the project" ON "look up"."Claimed apart" FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR (owner_id = NULLIF(current_setting('app.user_id', true), '')::int
                    AND project_id = NULLIF(current_setting('app.project_id', true), '')::int));
SELECT tenant, status, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Claimed apart"'::regclass])
 WHERE check_name = 'tenant_insert' ORDER BY 1;
CREATE TEMP TABLE said AS
SELECT *,
       substring(detail FROM 'VALUES \(\.\.\., (\d+), ') AS inserted_for,
       substring(detail FROM 'VALUES \(\.\.\., \d+, ''(\d+)'', ') AS owner_said,
       substring(detail FROM 'VALUES \(\.\.\., \d+, ''\d+'', ''(\d+)''\)') AS project_said
  FROM pg_temp.sets_said('"look up"."Claimed apart"') WHERE check_name = 'tenant_insert';
SELECT n, name, value, inserted_for, owner_said, project_said FROM said ORDER BY 1;
GRANT SELECT ON said TO app_user;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_insert', false) AS sets;
INSERT INTO "look up"."Claimed apart"
SELECT 100, inserted_for::int, owner_said::int, project_said::int FROM said WHERE n = 1;
RESET ROLE;
SELECT count(*) AS inserted_for_another_tenant FROM "look up"."Claimed apart" WHERE id = 100 AND tenant_id <> 1;
ROLLBACK;
DROP TABLE said;

-- A setting a request sets compared with an expression of the row's
-- columns rather than a column: an address in lower case, a key of a
-- JSON column, a ticket number past the id, ten times the tenant. A
-- request that sets it to that expression's value on another tenant's
-- row reaches the row. FAIL for every command, naming the SET, beside
-- PostgreSQL's own statements with the value each FAIL names.
CREATE TABLE "look up"."Addressed" (id int, tenant_id int NOT NULL, email text, data jsonb);
INSERT INTO "look up"."Addressed"
SELECT g, 1 + g % 3, 'User' || g || '@Example.com', jsonb_build_object('owner', 'u' || g) FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Addressed" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up"."Addressed" TO app_user;
CREATE POLICY "own, or by address" ON "look up"."Addressed" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR lower(email) = current_setting('app.email', true));
CREATE POLICY "own, or the owner's" ON "look up"."Addressed" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR data ->> 'owner' = current_setting('app.owner', true));
CREATE POLICY "own, or by ticket" ON "look up"."Addressed" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR id + 1000 = NULLIF(current_setting('app.ticket', true), '')::int)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or the parent's tenth" ON "look up"."Addressed" FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR tenant_id * 10 = NULLIF(current_setting('app.parent10', true), '')::int);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Addressed"'::regclass])
 WHERE tenant IS NOT NULL ORDER BY 2, 1;
CREATE TEMP TABLE said AS
SELECT *,
       substring(detail FROM 'VALUES \(\.\.\., (\d+)\)') AS inserted_for
  FROM pg_temp.sets_said('"look up"."Addressed"');
SELECT check_name, n, name, value, inserted_for FROM said ORDER BY 1, 2;
GRANT SELECT ON said TO app_user;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_read', false) AS sets;
SELECT count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_read') AS reads_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Addressed" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_delete', false) AS sets;
DELETE FROM "look up"."Addressed";
RESET ROLE;
SELECT 6 - count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_delete') AS deletes_as_many,
       6 - count(*) > 0 AS of_other_tenants
  FROM "look up"."Addressed" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_update', false) AS sets;
UPDATE "look up"."Addressed" SET tenant_id = 1;
RESET ROLE;
SELECT count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_update') AS takes_over_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Addressed" WHERE tenant_id = 1 AND id % 3 <> 0;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_insert', false) AS sets;
INSERT INTO "look up"."Addressed" SELECT 100, inserted_for::int FROM said WHERE check_name = 'tenant_insert';
RESET ROLE;
SELECT count(*) AS inserted_for_another_tenant FROM "look up"."Addressed" WHERE id = 100 AND tenant_id <> 1;
ROLLBACK;
DROP TABLE said;

-- (the same in a sub-select: an organisation's invitation by an address
-- in lower case, compared with the address in the request's token. FAIL,
-- beside PostgreSQL's read with the value the FAIL names.)
CREATE TABLE "look up"."Invites" (org_id int, email text);
INSERT INTO "look up"."Invites" SELECT o, 'User' || o || u || '@Example.org' FROM generate_series(1, 3) o, generate_series(1, 2) u;
GRANT SELECT ON "look up"."Invites" TO app_user;
CREATE TABLE "look up"."Invited" (id int, tenant_id int NOT NULL, org_id int);
INSERT INTO "look up"."Invited" SELECT g, 1 + g % 3, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Invited" ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON "look up"."Invited" TO app_user;
CREATE POLICY "own, or invited" ON "look up"."Invited" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR org_id IN (SELECT i.org_id FROM "look up"."Invites" i
                          WHERE lower(i.email) = current_setting('request.jwt.claim.email', true)));
SELECT tenant, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Invited"'::regclass])
 WHERE check_name = 'tenant_read' ORDER BY 1;
SELECT substring(detail FROM 'SET request.jwt.claim.email = ''([^'']+)''') AS email, rows_seen AS rows_said
  FROM rls_audit.verify_isolation('app_user', 'app.tenant_id', tables => ARRAY['"look up"."Invited"'::regclass])
 WHERE check_name = 'tenant_read' AND tenant = '1' \gset
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SET LOCAL request.jwt.claim.email = :'email';
SELECT count(*) = :'rows_said'::int AS tenant_1_reads_as_many, count(*) > 0 AS of_other_tenants
  FROM "look up"."Invited" WHERE tenant_id <> 1;
ROLLBACK;

-- A setting a request sets under NOT or IS [NOT] TRUE / FALSE: a mode
-- other than 'restricted', a role that IS TRUE 'admin', a read-only flag
-- that IS FALSE, a level IS NOT TRUE below 5 (which a request that sets
-- nothing passes too). FAIL for every command, naming the SET, beside
-- PostgreSQL's own statements with the value each FAIL names.
CREATE TABLE "look up"."Moded" (id int, tenant_id int NOT NULL);
INSERT INTO "look up"."Moded" SELECT g, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Moded" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up"."Moded" TO app_user;
CREATE POLICY "own, or not restricted" ON "look up"."Moded" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR NOT (NULLIF(current_setting('app.access_mode', true), '') = 'restricted'));
CREATE POLICY "own, or an admin's" ON "look up"."Moded" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR (current_setting('app.role', true) = 'admin') IS TRUE);
CREATE POLICY "own, or read-write" ON "look up"."Moded" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR current_setting('app.readonly', true)::boolean IS FALSE)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or not below 5" ON "look up"."Moded" FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR (NULLIF(current_setting('app.level', true), '')::int < 5) IS NOT TRUE);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Moded"'::regclass])
 WHERE tenant IS NOT NULL ORDER BY 2, 1;
CREATE TEMP TABLE said AS
SELECT *
  FROM pg_temp.sets_said('"look up"."Moded"');
SELECT check_name, n, name, value FROM said ORDER BY 1, 2;
GRANT SELECT ON said TO app_user;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT count(*) AS before_set FROM "look up"."Moded" WHERE tenant_id <> 1;
SELECT pg_temp.set_said('tenant_read', false) AS sets;
SELECT count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_read') AS reads_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Moded" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_delete', false) AS sets;
DELETE FROM "look up"."Moded";
RESET ROLE;
SELECT 6 - count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_delete') AS deletes_as_many,
       6 - count(*) > 0 AS of_other_tenants
  FROM "look up"."Moded" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_update', false) AS sets;
UPDATE "look up"."Moded" SET tenant_id = 1;
RESET ROLE;
SELECT count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_update') AS takes_over_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Moded" WHERE tenant_id = 1 AND id % 3 <> 0;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
INSERT INTO "look up"."Moded" VALUES (100, 2);
RESET ROLE;
SELECT count(*) AS inserted_for_tenant_2_setting_nothing FROM "look up"."Moded" WHERE id = 100;
ROLLBACK;
DROP TABLE said;

-- A term by a setting a request sets beside a restrictive policy that
-- holds archived rows back: the rows of another tenant it reaches first
-- (the smallest owner ids) are archived. The values are read from the
-- rows the restrictive policies' terms pass, and a write also sets the
-- column the restrictive check holds rows to (archived false). FAIL for
-- every command, beside PostgreSQL's own statements with the value each
-- FAIL names.
CREATE TABLE "look up"."Archived" (id int, tenant_id int NOT NULL, owner_id int, archived boolean);
INSERT INTO "look up"."Archived" SELECT g, 1 + g % 3, 100 * (1 + g % 3) + g, g <= 6 FROM generate_series(1, 12) g;
ALTER TABLE "look up"."Archived" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up"."Archived" TO app_user;
CREATE POLICY "own, or the owner's" ON "look up"."Archived" FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR owner_id = NULLIF(current_setting('app.user_id', true), '')::int);
CREATE POLICY "own, or live" ON "look up"."Archived" AS RESTRICTIVE FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR NOT archived);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Archived"'::regclass])
 WHERE tenant IS NOT NULL ORDER BY 2, 1;
CREATE TEMP TABLE said AS
SELECT *,
       substring(detail FROM 'VALUES \(\.\.\., (\d+), ''([^'']*)'', ''(?:[^'']*)''\)') AS inserted_for,
       substring(detail FROM 'VALUES \(\.\.\., \d+, ''([^'']*)''') AS owner_said
  FROM pg_temp.sets_said('"look up"."Archived"');
SELECT check_name, n, name, value, inserted_for, owner_said FROM said ORDER BY 1, 2;
GRANT SELECT ON said TO app_user;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_read', false) AS sets;
SELECT count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_read') AS reads_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Archived" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_delete', false) AS sets;
DELETE FROM "look up"."Archived";
RESET ROLE;
SELECT 8 - count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_delete') AS deletes_as_many,
       8 - count(*) > 0 AS of_other_tenants
  FROM "look up"."Archived" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_update', false) AS sets;
UPDATE "look up"."Archived" SET tenant_id = 2, owner_id = (SELECT value::int FROM said WHERE check_name = 'tenant_update'),
       archived = false;
RESET ROLE;
SELECT count(*) AS moved_to_tenant_2 FROM "look up"."Archived" WHERE tenant_id = 2 AND id % 3 = 0;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_insert', false) AS sets;
SAVEPOINT archived;
INSERT INTO "look up"."Archived"
SELECT 100, inserted_for::int, owner_said::int, true FROM said WHERE check_name = 'tenant_insert';
ROLLBACK TO archived;
INSERT INTO "look up"."Archived"
SELECT 100, inserted_for::int, owner_said::int, false FROM said WHERE check_name = 'tenant_insert';
RESET ROLE;
SELECT count(*) AS inserted_for_another_tenant FROM "look up"."Archived" WHERE id = 100 AND tenant_id <> 1;
ROLLBACK;
DROP TABLE said;

-- A restrictive policy's term by a setting a request sets: the owner's
-- rows are let through a restrictive policy, and a permissive one passes
-- public rows of every tenant. A request of tenant 1 that sets the user
-- id to the owner of another tenant's public row reads, deletes and
-- takes it over; one that sets it to the owner id it inserts, with the
-- row public, inserts for another tenant. FAIL for every command, beside
-- PostgreSQL's own statements with the value each FAIL names.
CREATE TABLE "look up"."Owned public" (id int, tenant_id int NOT NULL, owner_id int, is_public boolean);
INSERT INTO "look up"."Owned public" SELECT g, 1 + g % 3, 100 * (1 + g % 3) + g, g > 6 FROM generate_series(1, 12) g;
ALTER TABLE "look up"."Owned public" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up"."Owned public" TO app_user;
CREATE POLICY "own, or public" ON "look up"."Owned public" FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR is_public);
CREATE POLICY "own, or the owner's" ON "look up"."Owned public" AS RESTRICTIVE FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
           OR owner_id = NULLIF(current_setting('app.user_id', true), '')::int);
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Owned public"'::regclass])
 WHERE tenant IS NOT NULL ORDER BY 2, 1;
CREATE TEMP TABLE said AS
SELECT *,
       substring(detail FROM 'VALUES \(\.\.\., (\d+), ') AS inserted_for
  FROM pg_temp.sets_said('"look up"."Owned public"');
SELECT check_name, n, name, value, inserted_for FROM said ORDER BY 1, 2;
GRANT SELECT ON said TO app_user;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT count(*) AS before_set FROM "look up"."Owned public" WHERE tenant_id <> 1;
SELECT pg_temp.set_said('tenant_read', false) AS sets;
SELECT count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_read') AS reads_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Owned public" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_delete', false) AS sets;
DELETE FROM "look up"."Owned public";
RESET ROLE;
SELECT 8 - count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_delete') AS deletes_as_many,
       8 - count(*) > 0 AS of_other_tenants
  FROM "look up"."Owned public" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_insert', false) AS sets;
SAVEPOINT private;
INSERT INTO "look up"."Owned public"
SELECT 100, inserted_for::int, value::int, false FROM said WHERE check_name = 'tenant_insert';
ROLLBACK TO private;
INSERT INTO "look up"."Owned public"
SELECT 100, inserted_for::int, value::int, true FROM said WHERE check_name = 'tenant_insert';
RESET ROLE;
SELECT count(*) AS inserted_for_another_tenant FROM "look up"."Owned public" WHERE id = 100 AND tenant_id <> 1;
ROLLBACK;
DROP TABLE said;

-- Functions of the application's that read a table: the user's
-- organisation from a profiles table (SECURITY DEFINER, its own
-- search_path), membership of an organisation by a named parameter, and
-- the same in a BEGIN ATOMIC body by $1. A request of tenant 1 that sets
-- the user id to a member of another tenant's organisation reaches that
-- organisation's rows. The probes read each such function as its body
-- (a sub-select of the table), and give the setting the user of a row
-- that passes it. FAIL for every command, naming the SET, beside
-- PostgreSQL's own statements with the value each FAIL names.
CREATE TABLE "look up"."Profiles" (id int, org_id int);
INSERT INTO "look up"."Profiles" SELECT o * 100 + u, o FROM generate_series(1, 3) o, generate_series(1, 2) u;
GRANT SELECT ON "look up"."Profiles" TO app_user;
CREATE FUNCTION "look up".helped_org() RETURNS int LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$ SELECT org_id FROM "look up"."Profiles" WHERE id = NULLIF(current_setting('app.user_id', true), '')::int $$;
CREATE FUNCTION "look up".helped_member(p_org int) RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT EXISTS (SELECT FROM "look up"."Profiles" p
                          WHERE p.org_id = p_org AND p.id = NULLIF(current_setting('app.user_id', true), '')::int) $$;
CREATE FUNCTION "look up".helped_member_atomic(int) RETURNS boolean LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (SELECT FROM "look up"."Profiles" p
                    WHERE p.org_id = $1 AND p.id = NULLIF(current_setting('app.user_id', true), '')::int);
END;
CREATE TABLE "look up"."Helped" (id int, tenant_id int NOT NULL, org_id int);
INSERT INTO "look up"."Helped" SELECT g, 1 + g % 3, 1 + g % 3 FROM generate_series(1, 9) g;
ALTER TABLE "look up"."Helped" ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON "look up"."Helped" TO app_user;
CREATE POLICY "own, or the user's organisation's" ON "look up"."Helped" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR org_id = "look up".helped_org());
CREATE POLICY "own, or a member's" ON "look up"."Helped" FOR DELETE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR "look up".helped_member(org_id));
CREATE POLICY "own, or a member's (atomic)" ON "look up"."Helped" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int OR "look up".helped_member_atomic(org_id))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY "own, or the user's organisation" ON "look up"."Helped" FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                OR tenant_id = "look up".helped_org());
SELECT tenant, check_name, status, rows_seen, detail FROM rls_audit.verify_isolation('app_user', 'app.tenant_id',
        tables => ARRAY['"look up"."Helped"'::regclass])
 WHERE tenant IS NOT NULL ORDER BY 2, 1;
CREATE TEMP TABLE said AS
SELECT *,
       substring(detail FROM 'VALUES \(\.\.\., (\d+)\)') AS inserted_for
  FROM pg_temp.sets_said('"look up"."Helped"');
SELECT check_name, n, name, value, inserted_for FROM said ORDER BY 1, 2;
GRANT SELECT ON said TO app_user;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_read', false) AS sets;
SELECT count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_read') AS reads_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Helped" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_delete', false) AS sets;
DELETE FROM "look up"."Helped";
RESET ROLE;
SELECT 6 - count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_delete') AS deletes_as_many,
       6 - count(*) > 0 AS of_other_tenants
  FROM "look up"."Helped" WHERE tenant_id <> 1;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_update', false) AS sets;
UPDATE "look up"."Helped" SET tenant_id = 1;
RESET ROLE;
SELECT count(*) = (SELECT max(rows_said) FROM said WHERE check_name = 'tenant_update') AS takes_over_as_many,
       count(*) > 0 AS of_other_tenants
  FROM "look up"."Helped" WHERE tenant_id = 1 AND id % 3 <> 0;
ROLLBACK;
BEGIN;
SET LOCAL ROLE app_user;
SET LOCAL app.tenant_id = '1';
SELECT pg_temp.set_said('tenant_insert', false) AS sets;
INSERT INTO "look up"."Helped" SELECT 100, inserted_for::int, 0 FROM said WHERE check_name = 'tenant_insert';
RESET ROLE;
SELECT count(*) AS inserted_for_another_tenant FROM "look up"."Helped" WHERE id = 100 AND tenant_id <> 1;
ROLLBACK;
DROP TABLE said;

SET client_min_messages = warning;
DROP SCHEMA shop CASCADE;
DROP SCHEMA "look up" CASCADE;
DROP TABLE row_counts;
DROP TABLE row_writes;
REVOKE ALL ON SCHEMA rls_audit FROM auditor;
REVOKE "App User" FROM auditor;
DROP ROLE auditor;
DROP ROLE app_user;
DROP ROLE "App User";
DROP ROLE not_a_member;
DROP ROLE anon;
DROP ROLE trunc_user;
DROP ROLE trunc_keeper;
DROP ROLE setrole_app, setrole_support, setrole_web, setrole_group, setrole_idle, setrole_nothing;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
