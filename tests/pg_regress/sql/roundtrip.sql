-- Property test: generated policy sets with awkward names, a snapshot, a
-- random mutation, restore() under a random caller search_path, and then no
-- drift and the snapshot's fingerprint again. Deterministic (setseed); run
-- more cases with scripts/fuzz.sh N.
\if :{?fuzz_iterations}
\else
\set fuzz_iterations 30
\endif
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE ROLE "Role With Space" NOLOGIN;
CREATE ROLE "select" NOLOGIN;
CREATE ROLE "Ünïcode Rôle" NOLOGIN;
CREATE ROLE fuzz_app LOGIN;
CREATE SCHEMA "Helpers ""Ω""";
CREATE FUNCTION "Helpers ""Ω"""."Tenant Fn"() RETURNS integer LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::integer $$;
CREATE FUNCTION "Helpers ""Ω""".same_int(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT $1 = $2 $$;
CREATE OPERATOR "Helpers ""Ω""".=== (LEFTARG = integer, RIGHTARG = integer,
                                     FUNCTION = "Helpers ""Ω""".same_int);
CREATE TYPE "Helpers ""Ω""".mood AS ENUM ('ok', 'Sad Ω');
SELECT set_config('fuzz.iterations', :'fuzz_iterations', false) IS NOT NULL AS configured;
SELECT setseed(0.4242);

CREATE TEMP TABLE fuzz_results (iteration int, ok boolean, detail text);

CREATE FUNCTION pg_temp.pick(a text[]) RETURNS text LANGUAGE sql VOLATILE
    AS $$ SELECT a[1 + floor(random() * array_length(a, 1))::int] $$;

-- one awkward identifier
CREATE FUNCTION pg_temp.ident(n int) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT pg_temp.pick(ARRAY['tenant', 'Tenant Read', 'a"b', 'with space', 'select', 'Ωmega',
                              'ÜberTable', 'order', 'x' || repeat('y', 50), 'T''quote'])
           || ' ' || n
$$;

DO $fuzz$
DECLARE
    iterations int := current_setting('fuzz.iterations')::int;
    exprs text[] := ARRAY[
        'true',
        'tenant_id = "Helpers ""Ω"""."Tenant Fn"()',
        'tenant_id OPERATOR("Helpers ""Ω""".===) 7',
        'tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::int',
        'mood = ''Sad Ω''::"Helpers ""Ω""".mood OR "Owner" = current_user',
        'tenant_id IN (SELECT g FROM generate_series(1, 3) g)',
        'label ~ ''^[a-z]+$'' AND tenant_id > 0',
        '(tenant_id = 1) OR true'];
    role_sets text[] := ARRAY['PUBLIC', '"Role With Space"', '"select", fuzz_app',
                              '"Ünïcode Rôle", "Role With Space"', 'fuzz_app'];
    cmds text[] := ARRAY['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'];
    paths text[] := ARRAY['''''', 'public', '"Helpers ""Ω""", public', 'pg_catalog'];
    sch text; tbl text; pol text; cmd text; i int; k int; n int;
    snap_label text; drift_rows int; same boolean; r record;
BEGIN
    FOR i IN 1..iterations LOOP
        sch := pg_temp.ident(i);
        EXECUTE format('CREATE SCHEMA %I', sch);
        FOR k IN 1..3 LOOP
            tbl := pg_temp.ident(k);
            EXECUTE format('CREATE TABLE %I.%I (id int, tenant_id int, "Owner" name, label text,
                            mood "Helpers ""Ω""".mood)', sch, tbl);
            IF random() < 0.8 THEN EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', sch, tbl); END IF;
            IF random() < 0.4 THEN EXECUTE format('ALTER TABLE %I.%I FORCE ROW LEVEL SECURITY', sch, tbl); END IF;
            FOR n IN 1..(1 + floor(random() * 4)::int) LOOP
                cmd := pg_temp.pick(cmds);
                EXECUTE format('CREATE POLICY %I ON %I.%I AS %s FOR %s TO %s %s %s',
                    pg_temp.ident(n), sch, tbl,
                    pg_temp.pick(ARRAY['PERMISSIVE', 'RESTRICTIVE']), cmd, pg_temp.pick(role_sets),
                    CASE WHEN cmd <> 'INSERT' THEN 'USING (' || pg_temp.pick(exprs) || ')' ELSE '' END,
                    CASE WHEN cmd IN ('ALL', 'INSERT', 'UPDATE') AND random() < 0.7
                         THEN 'WITH CHECK (' || pg_temp.pick(exprs) || ')' ELSE '' END);
            END LOOP;
        END LOOP;
        snap_label := 'fuzz ' || i;
        PERFORM rls_audit.snapshot(snap_label);

        -- a random mutation: 1 to 4 changes of any kind
        FOR n IN 1..(1 + floor(random() * 4)::int) LOOP
            SELECT * INTO r FROM pg_policies WHERE schemaname = sch ORDER BY random() LIMIT 1;
            CASE floor(random() * 7)::int
            WHEN 0 THEN IF r IS NOT NULL THEN EXECUTE format('DROP POLICY %I ON %I.%I', r.policyname, sch, r.tablename); END IF;
            WHEN 1 THEN
                SELECT tablename INTO tbl FROM pg_tables WHERE schemaname = sch ORDER BY random() LIMIT 1;
                EXECUTE format('CREATE POLICY %I ON %I.%I FOR SELECT TO %s USING (%s)',
                               'added ' || n, sch, tbl, pg_temp.pick(role_sets), pg_temp.pick(exprs));
            WHEN 2 THEN IF r IS NOT NULL AND r.cmd <> 'INSERT' THEN
                EXECUTE format('ALTER POLICY %I ON %I.%I USING (%s)', r.policyname, sch, r.tablename, pg_temp.pick(exprs)); END IF;
            WHEN 3 THEN IF r IS NOT NULL THEN
                EXECUTE format('ALTER POLICY %I ON %I.%I TO %s', r.policyname, sch, r.tablename, pg_temp.pick(role_sets)); END IF;
            WHEN 4 THEN IF r IS NOT NULL THEN
                EXECUTE format('ALTER POLICY %I ON %I.%I RENAME TO %I', r.policyname, sch, r.tablename, 'renamed ' || n); END IF;
            WHEN 5 THEN
                SELECT tablename INTO tbl FROM pg_tables WHERE schemaname = sch ORDER BY random() LIMIT 1;
                EXECUTE format('ALTER TABLE %I.%I %s ROW LEVEL SECURITY', sch, tbl,
                               pg_temp.pick(ARRAY['ENABLE', 'DISABLE', 'FORCE', 'NO FORCE']));
            ELSE IF r IS NOT NULL THEN
                EXECUTE format('DROP POLICY %I ON %I.%I', r.policyname, sch, r.tablename);
                EXECUTE format('CREATE POLICY %I ON %I.%I AS RESTRICTIVE FOR ALL TO %s USING (%s) WITH CHECK (%s)',
                               r.policyname, sch, r.tablename, pg_temp.pick(role_sets),
                               pg_temp.pick(exprs), pg_temp.pick(exprs)); END IF;
            END CASE;
        END LOOP;

        EXECUTE 'SET LOCAL search_path = ' || pg_temp.pick(paths);
        PERFORM rls_audit.restore(snap_label);
        RESET search_path;
        SELECT count(*) INTO drift_rows FROM rls_audit.drift(snap_label) WHERE change NOT LIKE 'role%';
        PERFORM rls_audit.snapshot(snap_label || ' after');
        SELECT a.fingerprint = b.fingerprint INTO same
          FROM rls_audit.snapshots a, rls_audit.snapshots b
         WHERE a.label = snap_label AND b.label = snap_label || ' after';
        INSERT INTO fuzz_results VALUES (i, drift_rows = 0 AND same,
            format('schema %I: %s drift rows, fingerprint %s', sch, drift_rows,
                   CASE WHEN same THEN 'equal' ELSE 'differs' END));
        EXECUTE format('DROP SCHEMA %I CASCADE', sch);
    END LOOP;
END
$fuzz$;

SELECT count(*) = current_setting('fuzz.iterations')::int AS all_ran,
       count(*) FILTER (WHERE NOT ok) AS failures
  FROM fuzz_results;
SELECT iteration, detail FROM fuzz_results WHERE NOT ok ORDER BY iteration;

DROP SCHEMA "Helpers ""Ω""" CASCADE;
DROP ROLE "Role With Space";
DROP ROLE "select";
DROP ROLE "Ünïcode Rôle";
DROP ROLE fuzz_app;
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
