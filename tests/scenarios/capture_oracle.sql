-- Capture oracle, SQL side (loaded by capture_oracle.sh into each database).
-- A sequence is a run of random DDL steps on its own schemas, tables,
-- columns, function, type and role. After it, the events since it began,
-- replayed, must give exactly the catalog: every policy (names, kind,
-- command, roles, USING, WITH CHECK) and every enabled table's FORCE flag.
-- Renames of what policies reference are recorded nowhere by design, so
-- the oracle applies the renames it made itself (unique names, word
-- boundaries) to the replayed text before comparing.
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS oracle_cap;
CREATE TABLE IF NOT EXISTS oracle_cap.renames (seq int, step int, kind text, old text, new text);
CREATE TABLE IF NOT EXISTS oracle_cap.steps (seq int, step int, what text, outcome text,
                                             frozen boolean, rolled_back boolean, bad boolean);
CREATE TABLE IF NOT EXISTS oracle_cap.marks (seq int PRIMARY KEY, first_event bigint);

-- The catalog's RLS state of a sequence's schemas, as comparable text.
CREATE OR REPLACE FUNCTION oracle_cap.catalog_state(p_seq int) RETURNS TABLE (item text)
LANGUAGE sql AS $$
    SELECT format('policy %s.%s.%s %s %s %s USING %s CHECK %s', schemaname, tablename, policyname,
                  permissive, cmd, (SELECT array_agg(r ORDER BY r) FROM unnest(roles) r),
                  coalesce(qual, '-'), coalesce(with_check, '-'))
      FROM pg_policies WHERE schemaname LIKE 'cs\_' || p_seq || '\_%'
    UNION ALL
    SELECT format('table %s.%s forced %s', n.nspname, c.relname, c.relforcerowsecurity)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname LIKE 'cs\_' || p_seq || '\_%' AND c.relkind = 'r' AND c.relrowsecurity
$$;

-- Everything that could change, to prove a refused step changed nothing.
CREATE OR REPLACE FUNCTION oracle_cap.fingerprint(p_seq int) RETURNS text LANGUAGE sql AS $$
    SELECT md5(coalesce(string_agg(item, '|' ORDER BY item), '')
               || coalesce((SELECT string_agg(format('%s.%s %s %s', n.nspname, c.relname, c.relrowsecurity,
                                                     c.relforcerowsecurity), ',' ORDER BY 1)
                             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname LIKE 'cs\_' || p_seq || '\_%' AND c.relkind = 'r'), ''))
      FROM oracle_cap.catalog_state(p_seq)
$$;

-- The oracle's own renames applied to a replayed text, in the order made.
CREATE OR REPLACE FUNCTION oracle_cap.renamed(p_seq int, p_text text, p_kinds text[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE r record; t text := p_text;
BEGIN
    FOR r IN SELECT * FROM oracle_cap.renames WHERE seq = p_seq AND kind = ANY (p_kinds) ORDER BY step LOOP
        t := regexp_replace(t, '\m' || r.old || '\M', r.new, 'g');
    END LOOP;
    RETURN t;
END $$;

-- The events of a sequence, replayed.
CREATE OR REPLACE FUNCTION oracle_cap.replayed_state(p_seq int) RETURNS TABLE (item text)
LANGUAGE plpgsql AS $$
DECLARE e record; first_id bigint;
BEGIN
    SELECT first_event INTO first_id FROM oracle_cap.marks WHERE seq = p_seq;
    CREATE TEMP TABLE IF NOT EXISTS rp_pol (s text, t text, p text, def jsonb);
    CREATE TEMP TABLE IF NOT EXISTS rp_tab (s text, t text, enabled boolean, forced boolean);
    TRUNCATE rp_pol; TRUNCATE rp_tab;
    FOR e IN SELECT * FROM rls_audit.events WHERE id > first_id ORDER BY id LOOP
        IF e.change IN ('policy_added', 'policy_changed') THEN
            DELETE FROM rp_pol WHERE (s, t, p) = (e.after ->> 'schema_name', e.after ->> 'table_name', e.after ->> 'policy_name');
            INSERT INTO rp_pol VALUES (e.after ->> 'schema_name', e.after ->> 'table_name', e.after ->> 'policy_name', e.after);
        ELSIF e.change = 'policy_removed' THEN
            DELETE FROM rp_pol WHERE (s, t, p) = (e.before ->> 'schema_name', e.before ->> 'table_name', e.before ->> 'policy_name');
        ELSIF e.change = 'renamed' AND e.policy_name IS NOT NULL THEN
            UPDATE rp_pol SET p = e.after ->> 'policy_name', def = def || jsonb_build_object('policy_name', e.after ->> 'policy_name')
             WHERE (s, t, p) = (e.before ->> 'schema_name', e.before ->> 'table_name', e.before ->> 'policy_name');
        ELSIF e.change = 'renamed' AND e.table_name IS NOT NULL THEN
            UPDATE rp_pol SET s = e.after ->> 'schema_name', t = e.after ->> 'table_name'
             WHERE (s, t) = (e.before ->> 'schema_name', e.before ->> 'table_name');
            UPDATE rp_tab SET s = e.after ->> 'schema_name', t = e.after ->> 'table_name'
             WHERE (s, t) = (e.before ->> 'schema_name', e.before ->> 'table_name');
        ELSIF e.change = 'renamed' THEN
            UPDATE rp_pol SET s = e.after ->> 'schema_name' WHERE s = e.before ->> 'schema_name';
            UPDATE rp_tab SET s = e.after ->> 'schema_name' WHERE s = e.before ->> 'schema_name';
        ELSIF e.change IN ('rls_enabled', 'rls_disabled', 'rls_forced', 'rls_unforced') THEN
            DELETE FROM rp_tab WHERE (s, t) = (e.after ->> 'schema_name', e.after ->> 'table_name');
            INSERT INTO rp_tab VALUES (e.after ->> 'schema_name', e.after ->> 'table_name',
                                       (e.after ->> 'rls_enabled')::boolean, (e.after ->> 'rls_forced')::boolean);
        ELSIF e.change = 'table_removed' THEN
            DELETE FROM rp_tab WHERE (s, t) = (e.before ->> 'schema_name', e.before ->> 'table_name');
        END IF;
    END LOOP;
    RETURN QUERY
    SELECT format('policy %s.%s.%s %s %s %s USING %s CHECK %s', s, t, p, def ->> 'permissive',
                  def ->> 'command',
                  (SELECT array_agg(oracle_cap.renamed(p_seq, r, ARRAY['role']) ORDER BY 1)
                     FROM jsonb_array_elements_text(def -> 'roles') r),
                  oracle_cap.renamed(p_seq, coalesce(def ->> 'using_expr', '-'), ARRAY['column', 'function', 'type', 'schema']),
                  oracle_cap.renamed(p_seq, coalesce(def ->> 'check_expr', '-'), ARRAY['column', 'function', 'type', 'schema']))
      FROM rp_pol
    UNION ALL
    SELECT format('table %s.%s forced %s', s, t, forced) FROM rp_tab WHERE enabled;
END $$;

-- One random DDL step; returns what it did (NULL: nothing to do).
CREATE OR REPLACE FUNCTION oracle_cap.step(p_seq int, p_step int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    s1 text := format('cs_%s_a', p_seq);
    s2 text;
    role_name text;
    tbl record;
    pol record;
    col text;
    fn text;
    ty text;
    new_name text;
    exprs text[];
    pick int := floor(random() * 20)::int;
    sql text;
BEGIN
    SELECT nspname INTO s2 FROM pg_namespace WHERE nspname LIKE 'cs\_' || p_seq || '\_b%' LIMIT 1;
    SELECT rolname INTO role_name FROM pg_roles WHERE rolname LIKE 'cap\_' || p_seq || '\_%' LIMIT 1;
    SELECT n.nspname AS s, c.relname AS t INTO tbl FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname LIKE 'cs\_' || p_seq || '\_%' AND c.relkind = 'r' ORDER BY random() LIMIT 1;
    SELECT schemaname AS s, tablename AS t, policyname AS p, cmd INTO pol FROM pg_policies
     WHERE schemaname LIKE 'cs\_' || p_seq || '\_%' ORDER BY random() LIMIT 1;
    SELECT p.proname, n.nspname INTO fn, new_name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname LIKE 'cs\_' || p_seq || '\_%' ORDER BY random() LIMIT 1;
    IF fn IS NOT NULL THEN fn := format('%I.%I()', new_name, fn); END IF;
    SELECT format('%I.%I', n.nspname, t.typname) INTO ty FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname LIKE 'cs\_' || p_seq || '\_%' AND t.typtype = 'e' ORDER BY random() LIMIT 1;
    IF tbl.t IS NOT NULL THEN
        SELECT attname INTO col FROM pg_attribute
         WHERE attrelid = format('%I.%I', tbl.s, tbl.t)::regclass AND attname LIKE 'c\_%' AND NOT attisdropped
         ORDER BY random() LIMIT 1;
    END IF;
    exprs := ARRAY['true', 'tenant_id = NULLIF(current_setting(''app.tenant'', true), '''')::int',
                   'tenant_id > 0 OR current_user = ''postgres'''];
    IF col IS NOT NULL THEN exprs := exprs || format('%I IS NOT NULL', col); END IF;
    IF fn IS NOT NULL THEN exprs := exprs || format('tenant_id = %s', fn); END IF;
    IF ty IS NOT NULL AND tbl.t IS NOT NULL AND EXISTS (SELECT 1 FROM pg_attribute
            WHERE attrelid = format('%I.%I', tbl.s, tbl.t)::regclass AND attname = 'mood' AND NOT attisdropped
              AND format_type(atttypid, NULL) = ty) THEN
        exprs := exprs || format('mood = %L::%s', 'ok', ty);
    END IF;
    CASE
    WHEN pick = 0 OR tbl.t IS NULL THEN
        new_name := format('t_%s_%s', p_seq, p_step);
        IF ty IS NULL THEN
            sql := format('CREATE TABLE %I.%I (id int, tenant_id int, %I int)', s1, new_name, 'c_' || p_seq || '_' || p_step);
        ELSE
            sql := format('CREATE TABLE %I.%I (id int, tenant_id int, %I int, mood %s)', s1, new_name,
                          'c_' || p_seq || '_' || p_step, ty);
        END IF;
    WHEN pick IN (1, 2, 3) THEN
        sql := format('CREATE POLICY %I ON %I.%I AS %s FOR %s TO %s USING (%s)', 'p_' || p_seq || '_' || p_step,
                      tbl.s, tbl.t, (ARRAY['PERMISSIVE', 'RESTRICTIVE'])[1 + floor(random() * 2)::int],
                      (ARRAY['ALL', 'SELECT', 'UPDATE', 'DELETE'])[1 + floor(random() * 4)::int],
                      (ARRAY['PUBLIC', quote_ident(coalesce(role_name, 'postgres')), 'postgres'])[1 + floor(random() * 3)::int],
                      exprs[1 + floor(random() * array_length(exprs, 1))::int]);
    WHEN pick = 4 AND pol.p IS NOT NULL AND pol.cmd <> 'INSERT' THEN
        sql := format('ALTER POLICY %I ON %I.%I USING (%s)', pol.p, pol.s, pol.t,
                      exprs[1 + floor(random() * array_length(exprs, 1))::int]);
    WHEN pick = 5 AND pol.p IS NOT NULL THEN
        sql := format('ALTER POLICY %I ON %I.%I TO %s', pol.p, pol.s, pol.t,
                      (ARRAY['PUBLIC', quote_ident(coalesce(role_name, 'postgres'))])[1 + floor(random() * 2)::int]);
    WHEN pick = 6 AND pol.p IS NOT NULL THEN
        sql := format('ALTER POLICY %I ON %I.%I RENAME TO %I', pol.p, pol.s, pol.t, pol.p || '_r' || p_step);
    WHEN pick = 7 THEN
        sql := format('DROP POLICY IF EXISTS %I ON %I.%I', coalesce(pol.p, 'missing'), tbl.s, tbl.t);
    WHEN pick = 8 THEN
        sql := format('ALTER TABLE %I.%I %s ROW LEVEL SECURITY', tbl.s, tbl.t,
                      (ARRAY['ENABLE', 'DISABLE', 'FORCE', 'NO FORCE'])[1 + floor(random() * 4)::int]);
    WHEN pick = 9 THEN
        sql := format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', tbl.s, tbl.t);
    WHEN pick = 10 THEN
        sql := format('ALTER TABLE %I.%I RENAME TO %I', tbl.s, tbl.t, tbl.t || '_r' || p_step);
    WHEN pick = 11 AND s2 IS NOT NULL THEN
        sql := format('ALTER TABLE %I.%I SET SCHEMA %I', tbl.s, tbl.t, CASE WHEN tbl.s = s1 THEN s2 ELSE s1 END);
    WHEN pick = 12 AND col IS NOT NULL THEN
        new_name := col || '_r' || p_step;
        INSERT INTO oracle_cap.renames VALUES (p_seq, p_step, 'column', col, new_name);
        sql := format('ALTER TABLE %I.%I RENAME COLUMN %I TO %I', tbl.s, tbl.t, col, new_name);
    WHEN pick = 13 AND col IS NOT NULL THEN
        sql := format('ALTER TABLE %I.%I DROP COLUMN %I CASCADE', tbl.s, tbl.t, col);
    WHEN pick = 14 THEN
        sql := format('DROP TABLE %I.%I CASCADE', tbl.s, tbl.t);
    WHEN pick = 15 AND fn IS NOT NULL THEN
        new_name := split_part(split_part(fn, '.', 2), '(', 1) || '_r' || p_step;
        INSERT INTO oracle_cap.renames VALUES (p_seq, p_step, 'function', split_part(split_part(fn, '.', 2), '(', 1), new_name);
        sql := format('ALTER FUNCTION %s RENAME TO %I', fn, new_name);
    WHEN pick = 15 THEN
        sql := format('CREATE FUNCTION %I.%I() RETURNS int LANGUAGE sql STABLE AS ''SELECT 1''',
                      s1, 'fn_' || p_seq || '_' || p_step);
    WHEN pick = 16 AND fn IS NOT NULL THEN
        sql := format('DROP FUNCTION %s CASCADE', fn);
    WHEN pick = 16 AND ty IS NULL THEN
        sql := format('CREATE TYPE %I.%I AS ENUM (''ok'', ''no'')', s1, 'ty_' || p_seq || '_' || p_step);
    WHEN pick = 16 THEN
        new_name := split_part(ty, '.', 2) || '_r' || p_step;
        INSERT INTO oracle_cap.renames VALUES (p_seq, p_step, 'type', split_part(ty, '.', 2), new_name);
        sql := format('ALTER TYPE %s RENAME TO %I', ty, new_name);
    WHEN pick = 17 AND s2 IS NOT NULL THEN
        IF random() < 0.5 THEN
            new_name := s2 || '_r' || p_step;
            INSERT INTO oracle_cap.renames VALUES (p_seq, p_step, 'schema', s2, new_name);
            sql := format('ALTER SCHEMA %I RENAME TO %I', s2, new_name);
        ELSE
            sql := format('DROP SCHEMA %I CASCADE', s2);
        END IF;
    WHEN pick = 17 THEN
        sql := format('CREATE SCHEMA %I', format('cs_%s_b', p_seq));
    WHEN pick = 18 AND role_name IS NOT NULL THEN
        IF random() < 0.6 THEN
            new_name := role_name || '_r' || p_step;
            INSERT INTO oracle_cap.renames VALUES (p_seq, p_step, 'role', role_name, new_name);
            sql := format('ALTER ROLE %I RENAME TO %I', role_name, new_name);
        ELSE
            sql := format('DROP OWNED BY %I', role_name);
        END IF;
    WHEN pick = 19 AND ty IS NOT NULL THEN
        sql := format('DROP TYPE %s CASCADE', ty);
    ELSE
        RETURN NULL;
    END CASE;
    EXECUTE sql;
    RETURN sql;
END $$;

-- Switch rls_audit's capture off (methods 1-5), or back on, inside a
-- frozen step: the step must still fail with 55000 if it changes
-- anything capture records (rls_audit preloaded), and change nothing
-- that is left untracked otherwise.
CREATE OR REPLACE FUNCTION oracle_cap.capture_switch(p_method int, p_on boolean) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    CASE p_method
    WHEN 1 THEN
        EXECUTE format('ALTER EVENT TRIGGER rls_audit_ddl %s', CASE WHEN p_on THEN 'ENABLE' ELSE 'DISABLE' END);
        RETURN 'ddl trigger disabled';
    WHEN 2 THEN
        EXECUTE format('ALTER EVENT TRIGGER rls_audit_drop %s', CASE WHEN p_on THEN 'ENABLE' ELSE 'ENABLE REPLICA' END);
        RETURN 'drop trigger set to replica';
    WHEN 3 THEN
        PERFORM set_config('session_replication_role', CASE WHEN p_on THEN 'origin' ELSE 'replica' END, true);
        RETURN 'replica mode';
    WHEN 4 THEN
        UPDATE pg_event_trigger SET evtenabled = CASE WHEN p_on THEN 'O' ELSE 'D' END
         WHERE evtname = 'rls_audit_drop';
        RETURN 'pg_event_trigger edited';
    ELSE
        IF p_on THEN
            CREATE OR REPLACE FUNCTION rls_audit._capture_ddl() RETURNS event_trigger
                SET search_path = pg_catalog, pg_temp
                LANGUAGE c AS '$libdir/rls_audit', 'capture_ddl_wrapper';
        ELSE
            CREATE OR REPLACE FUNCTION rls_audit._capture_ddl() RETURNS event_trigger
                LANGUAGE plpgsql AS $f$ BEGIN END $f$;
        END IF;
        RETURN 'ddl function replaced';
    END CASE;
END $$;

-- Run steps [p_from, p_to] of a sequence: each in its own subtransaction;
-- some rolled back on purpose (no event may survive), some under a freeze
-- without a ticket (must fail with 55000 and change nothing, or change
-- nothing RLS-relevant and record nothing).
CREATE OR REPLACE FUNCTION oracle_cap.run(p_seq int, p_from int, p_to int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    i int;
    what text;
    frozen boolean;
    rollback_it boolean;
    off_method int;
    off_what text;
    before_fp text;
    after_fp text;
    state text;
    events_before bigint;
    n_bad int := 0;
BEGIN
    INSERT INTO oracle_cap.marks VALUES (p_seq, (SELECT coalesce(max(id), 0) FROM rls_audit.events))
        ON CONFLICT (seq) DO NOTHING;
    FOR i IN p_from .. p_to LOOP
        frozen := random() < 0.12;
        rollback_it := NOT frozen AND random() < 0.12;
        -- half the frozen steps run with capture switched off
        off_method := CASE WHEN frozen AND random() < 0.5 THEN 1 + floor(random() * 5)::int END;
        before_fp := oracle_cap.fingerprint(p_seq);
        SELECT count(*) INTO events_before FROM rls_audit.events;
        IF frozen THEN PERFORM rls_audit.freeze('oracle step ' || i); END IF;
        state := 'ok';
        BEGIN
            IF off_method IS NOT NULL THEN
                off_what := oracle_cap.capture_switch(off_method, false);
            END IF;
            what := oracle_cap.step(p_seq, i);
            IF off_method IS NOT NULL THEN
                PERFORM oracle_cap.capture_switch(off_method, true);
                what := what || ' [' || off_what || ']';
            END IF;
            IF rollback_it THEN
                RAISE EXCEPTION USING ERRCODE = 'RA000';
            END IF;
        EXCEPTION WHEN OTHERS THEN
            state := SQLSTATE;
            IF SQLSTATE <> 'RA000' THEN what := coalesce(what, SQLERRM); END IF;
            IF off_method IS NOT NULL THEN what := what || ' [' || off_what || ']'; END IF;
        END;
        IF frozen THEN PERFORM rls_audit.unfreeze(); END IF;
        after_fp := oracle_cap.fingerprint(p_seq);
        INSERT INTO oracle_cap.steps VALUES (p_seq, i, what, state, frozen, rollback_it,
            -- a rolled-back step leaves nothing; a frozen step either failed
            -- with 55000 and left nothing, or recorded nothing
            CASE WHEN rollback_it THEN before_fp IS DISTINCT FROM after_fp
                                       OR (SELECT count(*) FROM rls_audit.events) <> events_before
                 WHEN frozen AND state = '55000' THEN before_fp IS DISTINCT FROM after_fp
                                       OR (SELECT count(*) FROM rls_audit.events) <> events_before + 2
                 -- (freeze and unfreeze are two events of their own)
                 WHEN frozen THEN (SELECT count(*) FROM rls_audit.events) <> events_before + 2
                 ELSE false END);
        -- a frozen step whose rename of the oracle's records rolled back:
        -- forget it (the rename did not happen)
        IF state <> 'ok' THEN
            DELETE FROM oracle_cap.renames WHERE seq = p_seq AND step = i;
        END IF;
    END LOOP;
    SELECT count(*) INTO n_bad FROM oracle_cap.steps st WHERE st.seq = p_seq AND st.bad;
    RETURN n_bad;
END $$;

-- After a sequence: replay = catalog, nothing untracked, the chain intact.
CREATE OR REPLACE FUNCTION oracle_cap.check(p_seq int) RETURNS TABLE
    (seq int, replay_mismatches bigint, untracked bigint, broken_links bigint, bad_steps bigint, steps bigint)
LANGUAGE sql AS $$
    SELECT p_seq,
           (SELECT count(*) FROM ((SELECT item FROM oracle_cap.replayed_state(p_seq)
                                    EXCEPT ALL SELECT item FROM oracle_cap.catalog_state(p_seq))
                                  UNION ALL
                                  (SELECT item FROM oracle_cap.catalog_state(p_seq)
                                    EXCEPT ALL SELECT item FROM oracle_cap.replayed_state(p_seq))) d),
           (SELECT count(*) FROM rls_audit.untracked_changes()),
           0::bigint,
           (SELECT count(*) FROM oracle_cap.steps s WHERE s.seq = p_seq AND s.bad),
           (SELECT count(*) FROM oracle_cap.steps s WHERE s.seq = p_seq AND s.what IS NOT NULL)
$$;

-- A sequence's own objects.
CREATE OR REPLACE FUNCTION oracle_cap.begin(p_seq int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM setseed(((p_seq * 7919) % 1000) / 1000.0);
    EXECUTE format('CREATE SCHEMA %I', format('cs_%s_a', p_seq));
    EXECUTE format('CREATE SCHEMA %I', format('cs_%s_b', p_seq));
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname LIKE 'cap\_' || p_seq || '\_%') THEN
        EXECUTE format('CREATE ROLE %I', format('cap_%s_x', p_seq));
    END IF;
END $$;

-- Clean up after a sequence (its events stay: the chain is the database's).
CREATE OR REPLACE FUNCTION oracle_cap.finish(p_seq int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE n text;
BEGIN
    FOR n IN SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cs\_' || p_seq || '\_%' LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', n);
    END LOOP;
    FOR n IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'cap\_' || p_seq || '\_%' LOOP
        EXECUTE format('DROP OWNED BY %I', n);
        EXECUTE format('DROP ROLE %I', n);
    END LOOP;
END $$;

-- restore() held to the catalog: a snapshot in the middle of a sequence,
-- more steps, then restore(snapshot). For every table the snapshot had
-- that still exists (followed by OID, as restore() follows renames), its
-- policies and flags are then exactly the snapshot's (the oracle's own
-- renames of what they reference applied), and drift(snapshot) has no
-- policy or flag row for it; or restore() failed (a policy whose column
-- is gone) and changed nothing.
CREATE TABLE IF NOT EXISTS oracle_cap.restored (seq int, outcome text, statements int,
                                                mismatches bigint, drift_left bigint);
CREATE TABLE IF NOT EXISTS oracle_cap.saved (seq int, rel oid, item text);

-- policies and flags of a sequence's tables, keyed by the table's OID
CREATE OR REPLACE FUNCTION oracle_cap.state_by_oid(p_seq int) RETURNS TABLE (rel oid, item text)
LANGUAGE sql AS $$
    SELECT pol.polrelid,
           format('policy %s %s %s %s USING %s CHECK %s', pol.polname,
                  CASE WHEN pol.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END, pol.polcmd,
                  (SELECT array_agg(CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END ORDER BY 1)
                     FROM unnest(pol.polroles) r),
                  coalesce(pg_get_expr(pol.polqual, pol.polrelid), '-'),
                  coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '-'))
      FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname LIKE 'cs\_' || p_seq || '\_%'
    UNION ALL
    SELECT c.oid, format('table enabled %s forced %s', c.relrowsecurity, c.relforcerowsecurity)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname LIKE 'cs\_' || p_seq || '\_%' AND c.relkind = 'r'
$$;

-- Every table of a sequence: its flags set at random, and a policy
-- created, changed or dropped at random (so a restore has flags and
-- policies of every kind to put back).
CREATE OR REPLACE FUNCTION oracle_cap.shake(p_seq int, p_tag text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE tbl record; pol record;
BEGIN
    FOR tbl IN SELECT n.nspname AS s, c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname LIKE 'cs\_' || p_seq || '\_%' AND c.relkind = 'r' ORDER BY 1, 2 LOOP
        EXECUTE format('ALTER TABLE %I.%I %s ROW LEVEL SECURITY, %s ROW LEVEL SECURITY', tbl.s, tbl.t,
                       (ARRAY['ENABLE', 'DISABLE'])[1 + floor(random() * 2)::int],
                       (ARRAY['FORCE', 'NO FORCE'])[1 + floor(random() * 2)::int]);
        SELECT policyname AS p, cmd INTO pol FROM pg_policies WHERE schemaname = tbl.s AND tablename = tbl.t
         ORDER BY random() LIMIT 1;
        CASE floor(random() * 4)::int
        WHEN 0 THEN
            EXECUTE format('CREATE POLICY %I ON %I.%I AS %s FOR %s USING (tenant_id > %s)', 'p_' || p_tag || '_' || tbl.t,
                           tbl.s, tbl.t, (ARRAY['PERMISSIVE', 'RESTRICTIVE'])[1 + floor(random() * 2)::int],
                           (ARRAY['ALL', 'SELECT', 'UPDATE', 'DELETE'])[1 + floor(random() * 4)::int],
                           floor(random() * 5)::int);
        WHEN 1 THEN
            IF pol.p IS NOT NULL AND pol.cmd <> 'INSERT' THEN
                EXECUTE format('ALTER POLICY %I ON %I.%I USING (tenant_id < %s)', pol.p, tbl.s, tbl.t, floor(random() * 5)::int);
            END IF;
        WHEN 2 THEN
            IF pol.p IS NOT NULL THEN
                EXECUTE format('DROP POLICY %I ON %I.%I', pol.p, tbl.s, tbl.t);
            END IF;
        ELSE NULL;
        END CASE;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION oracle_cap.restore_check(p_seq int, p_steps int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    n int;
    mism bigint;
    left_over bigint;
    fp text;
    kinds text[] := ARRAY['column', 'function', 'type', 'schema', 'role'];
BEGIN
    PERFORM oracle_cap.begin(p_seq);
    PERFORM oracle_cap.run(p_seq, 1, p_steps / 2);
    PERFORM oracle_cap.shake(p_seq, 'a');
    PERFORM rls_audit.snapshot('restore check ' || p_seq);
    -- only the renames made after the snapshot apply to its text
    DELETE FROM oracle_cap.renames WHERE seq = p_seq;
    INSERT INTO oracle_cap.saved SELECT p_seq, s.rel, s.item FROM oracle_cap.state_by_oid(p_seq) s;
    PERFORM oracle_cap.run(p_seq, p_steps / 2 + 1, p_steps);
    PERFORM oracle_cap.shake(p_seq, 'b');
    fp := oracle_cap.fingerprint(p_seq);
    BEGIN
        n := rls_audit.restore('restore check ' || p_seq);
    EXCEPTION WHEN OTHERS THEN
        INSERT INTO oracle_cap.restored VALUES (p_seq, SQLSTATE, NULL,
            CASE WHEN fp = oracle_cap.fingerprint(p_seq) THEN 0 ELSE 1 END, 0);
        RETURN;
    END;
    WITH kept AS (SELECT DISTINCT s.rel FROM oracle_cap.saved s
                   WHERE s.seq = p_seq AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = s.rel)),
         want AS (SELECT s.rel, oracle_cap.renamed(p_seq, s.item, kinds) AS item
                    FROM oracle_cap.saved s WHERE s.seq = p_seq AND s.rel IN (SELECT rel FROM kept)),
         have AS (SELECT l.rel, l.item FROM oracle_cap.state_by_oid(p_seq) l WHERE l.rel IN (SELECT rel FROM kept))
    SELECT count(*) INTO mism FROM ((SELECT * FROM want EXCEPT ALL SELECT * FROM have)
                                    UNION ALL (SELECT * FROM have EXCEPT ALL SELECT * FROM want)) d;
    SELECT count(*) INTO left_over FROM rls_audit.drift('restore check ' || p_seq) d
     WHERE (d.change LIKE 'policy%' OR d.change LIKE 'rls%') AND d.table_name IS NOT NULL
       AND to_regclass(format('%I.%I', d.schema_name, d.table_name)) IN
           (SELECT s.rel FROM oracle_cap.saved s WHERE s.seq = p_seq);
    INSERT INTO oracle_cap.restored VALUES (p_seq, 'ok', n, mism, left_over);
END $$;
