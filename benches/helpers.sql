-- rls_audit benchmark helpers: server-side timings (clock_timestamp around
-- EXECUTE), so client round trips are not part of any measure.
CREATE SCHEMA IF NOT EXISTS bench;

-- median milliseconds of `reps` runs of `sql` (each its own EXECUTE)
CREATE OR REPLACE FUNCTION bench.median_ms(sql text, reps int, setup text DEFAULT NULL, teardown text DEFAULT NULL)
RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz; ms float8[] := '{}'; i int;
BEGIN
    FOR i IN 1..reps LOOP
        IF setup IS NOT NULL THEN EXECUTE setup; END IF;
        t0 := clock_timestamp();
        EXECUTE sql;
        ms := ms || extract(epoch FROM clock_timestamp() - t0) * 1000;
        IF teardown IS NOT NULL THEN EXECUTE teardown; END IF;
    END LOOP;
    RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(ms) x);
END $$;

-- n tables with 5 policies each (realistic tenant expressions), in schema s
CREATE OR REPLACE FUNCTION bench.make_policies(s text, n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE i int;
BEGIN
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', s);
    FOR i IN 1..n LOOP
        EXECUTE format('CREATE TABLE %I.t%s (id bigint, tenant_id int, owner_id int, public boolean)', s, i);
        EXECUTE format('ALTER TABLE %I.t%s ENABLE ROW LEVEL SECURITY', s, i);
        EXECUTE format($p$CREATE POLICY tenant_read ON %I.t%s FOR SELECT TO bench_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)$p$, s, i);
        EXECUTE format($p$CREATE POLICY tenant_insert ON %I.t%s FOR INSERT TO bench_app
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)$p$, s, i);
        EXECUTE format($p$CREATE POLICY tenant_update ON %I.t%s FOR UPDATE TO bench_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)$p$, s, i);
        EXECUTE format($p$CREATE POLICY owner_delete ON %I.t%s FOR DELETE TO bench_app
            USING (owner_id = (SELECT NULLIF(current_setting('app.user_id', true), '')::int))$p$, s, i);
        EXECUTE format($p$CREATE POLICY public_rows ON %I.t%s AS RESTRICTIVE FOR SELECT TO bench_app
            USING (public OR tenant_id IS NOT NULL)$p$, s, i);
    END LOOP;
END $$;

-- the same lints as plain catalog queries, written the way splinter writes
-- its checks (one query per lint over pg_catalog views)
CREATE OR REPLACE FUNCTION bench.catalog_lints() RETURNS bigint LANGUAGE sql AS $$
SELECT (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND EXISTS (SELECT 1 FROM pg_catalog.aclexplode(c.relacl) a WHERE a.grantee <> c.relowner))
     + (SELECT count(*) FROM pg_catalog.pg_tables t WHERE NOT t.rowsecurity
         AND EXISTS (SELECT 1 FROM pg_catalog.pg_policies p WHERE p.schemaname = t.schemaname AND p.tablename = t.tablename))
     + (SELECT count(*) FROM pg_catalog.pg_tables t WHERE t.rowsecurity
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policies p WHERE p.schemaname = t.schemaname AND p.tablename = t.tablename))
     + (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relrowsecurity AND NOT c.relforcerowsecurity)
     + (SELECT count(*) FROM pg_catalog.pg_policies p WHERE p.qual ~* '(^true$|^\(true\)$|or true|1 = 1)' OR p.with_check ~* '(^true$|^\(true\)$|or true|1 = 1)')
     + (SELECT count(*) FROM pg_catalog.pg_policies p WHERE 'public' = ANY (p.roles) AND p.permissive = 'PERMISSIVE')
     + (SELECT count(*) FROM (SELECT p.schemaname, p.tablename, r.role, p.cmd FROM pg_catalog.pg_policies p,
                                     unnest(p.roles) r(role) WHERE p.permissive = 'PERMISSIVE'
                               GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) m)
     + (SELECT count(*) FROM pg_catalog.pg_roles WHERE rolbypassrls AND rolcanlogin AND NOT rolsuper)
     + (SELECT count(*) FROM pg_catalog.pg_proc p WHERE p.prosecdef
         AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) x WHERE x LIKE 'search_path=%'))
     + (SELECT count(*) FROM pg_catalog.pg_views v WHERE v.schemaname NOT IN ('pg_catalog', 'information_schema'))
     + (SELECT count(*) FROM pg_catalog.pg_policies p
         WHERE (p.qual ~ 'current_setting\(|auth\.' AND p.qual !~* '\( *select')
            OR (p.with_check ~ 'current_setting\(|auth\.' AND p.with_check !~* '\( *select'))
     + (SELECT count(*) FROM pg_catalog.pg_policies p
         WHERE p.qual ~ 'current_setting\(''[^'']*''::text\)' OR p.with_check ~ 'current_setting\(''[^'']*''::text\)')
$$;
