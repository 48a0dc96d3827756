-- rls_audit probe runner: runs one query as another role with some settings,
-- inside a subtransaction that is ALWAYS rolled back.
--
-- Why PL/pgSQL: its exception block is PostgreSQL's own subtransaction
-- machinery. On every exit (the final forced rollback, a probe error, or a
-- cancel that aborts the caller's statement) PostgreSQL restores the caller's
-- role, user id, security context and every set_config(..., true) made inside,
-- and undoes every write. SECURITY INVOKER on purpose: SET ROLE is checked
-- against the caller's own session user, so a probe can only act as a role the
-- caller could become anyway (and PostgreSQL refuses SET ROLE inside SECURITY
-- DEFINER functions). EXECUTE stays with PUBLIC: it runs with the caller's
-- own rights and gives nothing the caller does not already have.
--
-- p_settings holds name/value pairs; a NULL value means "unset".
-- p_sql is run with EXECUTE ... USING p_args and returns one text[]; with
-- p_count it is a write without RETURNING, and the result is its row count
-- (RETURNING would make PostgreSQL apply SELECT policies to the new rows,
-- which hides exactly the writes an UPDATE ... WITH CHECK (true) lets through).
--
-- The settings may hold the role's own search_path, which the role chooses
-- (ALTER ROLE ... SET is open to every role for itself): a schema in it can
-- hold a function, operator or type named like a built-in. So the role is
-- taken first and everything after it runs with the role's rights only;
-- every name evaluated once the settings are in place is schema-qualified
-- (functions, casts; p_sql's too, see isolation.rs), and no operator is
-- evaluated there at all: the pairs are split before, and the exception
-- handler runs after the rollback has restored the caller and the pinned
-- search_path.
CREATE FUNCTION rls_audit._probe(
    p_role name, p_settings text[], p_sql text, p_args text[], p_count boolean,
    OUT o_result text[], OUT o_state text, OUT o_message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    i int;
    n bigint;
    v_n int := coalesce(pg_catalog.array_length(p_settings, 1), 0) / 2;
    v_names text[] := ARRAY(SELECT p_settings[2 * g - 1] FROM pg_catalog.generate_series(1, v_n) g ORDER BY g);
    v_values text[] := ARRAY(SELECT p_settings[2 * g] FROM pg_catalog.generate_series(1, v_n) g ORDER BY g);
BEGIN
    o_state := '00000';
    BEGIN
        -- SET LOCAL ROLE, with the name as it is (no identifier folding)
        IF p_role IS NOT NULL THEN
            PERFORM pg_catalog.set_config('role', p_role, true);
        END IF;
        FOR i IN 1 .. v_n LOOP
            IF v_values[i] IS NOT NULL THEN
                PERFORM pg_catalog.set_config(v_names[i], v_values[i], true);
            ELSIF pg_catalog.current_setting(v_names[i], true) IS NOT NULL THEN
                -- a setting this session already defines cannot be undefined;
                -- its reset value is the closest PostgreSQL has to "unset"
                PERFORM pg_catalog.set_config(v_names[i], NULL, true);
            END IF;
        END LOOP;
        IF p_count THEN
            EXECUTE p_sql USING p_args;
            GET DIAGNOSTICS n = ROW_COUNT;
            o_result := ARRAY[n::pg_catalog.text];
        ELSE
            EXECUTE p_sql INTO o_result USING p_args;
        END IF;
        -- the answer is kept in o_result; everything the probe did is undone
        RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE <> 'RA000' THEN
            o_state := SQLSTATE;
            o_message := SQLERRM;
            o_result := NULL;
        END IF;
    END;
END
$probe$;
COMMENT ON FUNCTION rls_audit._probe(name, text[], text, text[], boolean) IS
    'rls_audit internal: run one probe query as a role with settings in a subtransaction that is always rolled back';

-- Write probes on a shadow table: "can a statement this role may run, with
-- tenant A's settings, delete, change, move or insert a row of another
-- tenant?" answered by PostgreSQL itself, on a few copied rows instead of the
-- real table (whose millions of rows a DELETE would have to visit).
--
-- In one always-rolled-back subtransaction, as the caller:
--   * pg_temp.rls_audit_shadow is LIKE the table (no defaults, unique,
--     check or foreign keys: only the policies decide) and holds up to
--     p_rows rows of each tenant in p_tenants;
--   * it gets the table's policies (p_policies: the CREATE POLICY
--     statements rls_audit renders from the catalog for the shadow, same
--     names, PERMISSIVE/RESTRICTIVE, command, roles, USING and WITH CHECK),
--     and RLS exactly when RLS applies to the role on the real table
--     (p_applies: enabled, the role neither superuser nor BYPASSRLS, and
--     forced or the role not inheriting the owner); FORCE because the
--     caller owns the shadow;
--   * the role gets on it the table and column privileges it has on the
--     real table, so "permission denied" is answered the same way;
--   * an AFTER ROW trigger writes every row the statement really touched
--     (old and new row as jsonb) into pg_temp.rls_audit_witness.
-- Then, for each tenant A, each statement runs as the role with A's settings
-- in its own rolled-back subtransaction, with no WHERE clause (a WHERE that
-- reads a column makes PostgreSQL apply the SELECT policies too, and an
-- application's statement need not have one):
--   tenant_delete  DELETE FROM shadow
--   tenant_update  UPDATE shadow SET col = X   for X = A (take-over) and each other tenant (move)
--   tenant_insert  INSERT a row with col = X   for each other tenant X
-- and the witness counts the rows of other tenants it touched (old or new
-- tenant distinct from A). A statement that fails touched nothing (verdict.rs
-- makes a failure that says nothing about the policies, such as a lock not
-- granted, an ERROR check instead of a PASS).
CREATE FUNCTION rls_audit._shadow_witness() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $w$
BEGIN
    INSERT INTO pg_temp.rls_audit_witness (old_row, new_row)
    VALUES (CASE WHEN TG_OP <> 'INSERT' THEN pg_catalog.to_jsonb(OLD) END,
            CASE WHEN TG_OP <> 'DELETE' THEN pg_catalog.to_jsonb(NEW) END);
    RETURN NULL;
END
$w$;
COMMENT ON FUNCTION rls_audit._shadow_witness() IS
    'rls_audit internal: AFTER ROW trigger of the write-probe shadow table; records each row a probe statement touched';

CREATE FUNCTION rls_audit._write_probe(
    p_role name, p_table regclass, p_col name, p_settings text[], p_setting text,
    p_tenants text[], p_rows integer, p_applies boolean, p_policies text[],
    p_type text, p_eq text)
RETURNS TABLE (o_tenant text, o_check text, o_value text, o_rows bigint, o_state text,
               o_message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    v_cols text;
    v_touched text;
    v_update text;
    v_insert text;
    v_grants text;
    a text;
    x text;
    v_from text;
    i int;
    j int;
    n bigint;
    v_results text[] := '{}';
    v_stmts text[];
    v_count int;
    v_check text;
    v_sql text;
    v_value text;
    v_n int := coalesce(pg_catalog.array_length(p_settings, 1), 0) / 2;
    v_names text[] := ARRAY(SELECT p_settings[2 * g - 1] FROM pg_catalog.generate_series(1, v_n) g ORDER BY g);
    v_values text[] := ARRAY(SELECT p_settings[2 * g] FROM pg_catalog.generate_series(1, v_n) g ORDER BY g);
BEGIN
    BEGIN
        -- p_type is the tenant column's base type (a cast to a domain would
        -- run its CHECK here, as the caller) and p_eq its equality
        -- operator, both schema-qualified: the statements below run under
        -- the role's search_path (see _probe), where an unqualified name
        -- could be the role's own
        -- the column list with the tenant column replaced by $1 (insert probe)
        SELECT pg_catalog.string_agg(CASE WHEN t.attname = p_col
                                          THEN pg_catalog.format('$1::%s', p_type)
                                          ELSE pg_catalog.quote_ident(t.attname) END,
                                     ', ' ORDER BY t.attnum)
          INTO v_cols
          FROM pg_catalog.pg_attribute t
         WHERE t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped;
        -- rows of other tenants the statement touched, read back as the
        -- role: a row whose tenant is not A (NULL included) by the type's
        -- own equality
        v_touched := pg_catalog.format(
            'SELECT pg_catalog.count(*) FROM pg_temp.rls_audit_witness w
              WHERE w.old_row IS NOT NULL
                    AND NOT (((pg_catalog.jsonb_populate_record(NULL::pg_temp.rls_audit_shadow, w.old_row)).%1$I
                              %3$s $1::%2$s) IS TRUE)
                 OR w.new_row IS NOT NULL
                    AND NOT (((pg_catalog.jsonb_populate_record(NULL::pg_temp.rls_audit_shadow, w.new_row)).%1$I
                              %3$s $1::%2$s) IS TRUE)',
            p_col, p_type, p_eq);
        v_update := pg_catalog.format('UPDATE pg_temp.rls_audit_shadow SET %I = $1::%s', p_col, p_type);
        -- the insert probe copies an existing row and relabels it: the
        -- first row of each tenant, so each tenant's kind of values is tried
        v_insert := pg_catalog.format(
            'INSERT INTO pg_temp.rls_audit_shadow SELECT %s
               FROM (SELECT (w.template).* FROM pg_temp.rls_audit_witness w) t
              WHERE t.%I %s $2::%s', v_cols, p_col, p_eq, p_type);

        -- the witness is a trigger: ordinary triggers fire only while
        -- session_replication_role is origin (or local), whatever the
        -- caller's session set (only a superuser can have set it)
        IF pg_catalog.current_setting('session_replication_role') <> 'origin' THEN
            PERFORM pg_catalog.set_config('session_replication_role', 'origin', true);
        END IF;
        EXECUTE pg_catalog.format('CREATE TEMP TABLE rls_audit_shadow (LIKE %s)', p_table);
        -- the witness also holds the insert probe's templates, typed as
        -- the shadow's rows (old_row and new_row NULL: never counted)
        CREATE TEMP TABLE rls_audit_witness (old_row jsonb, new_row jsonb,
                                             template pg_temp.rls_audit_shadow);
        FOREACH a IN ARRAY p_tenants LOOP
            EXECUTE pg_catalog.format(
                'INSERT INTO pg_temp.rls_audit_shadow SELECT * FROM %s t WHERE t.%I %s $1::%s LIMIT %s',
                p_table, p_col, p_eq, p_type, p_rows) USING a;
            GET DIAGNOSTICS n = ROW_COUNT;
            -- how many rows of this tenant the probes work on
            v_results := v_results || ARRAY[a, 'copied', NULL, n::text, '00000', NULL];
        END LOOP;
        -- the templates, read before the shadow has row security
        EXECUTE pg_catalog.format(
            'INSERT INTO pg_temp.rls_audit_witness (template)
             SELECT s.t FROM pg_catalog.unnest($1) a(a),
                    LATERAL (SELECT t FROM pg_temp.rls_audit_shadow t WHERE t.%I %s a.a::%s LIMIT 1) s',
            p_col, p_eq, p_type) USING p_tenants;

        IF p_applies THEN
            ALTER TABLE pg_temp.rls_audit_shadow ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
            FOREACH x IN ARRAY p_policies LOOP
                EXECUTE x;
            END LOOP;
        END IF;
        -- the role's privileges on the real table, column by column, in
        -- one GRANT (each GRANT is a catalog change of its own)
        SELECT pg_catalog.string_agg(g.grant_item, ', ' ORDER BY g.ord)
          INTO v_grants
          FROM (SELECT pv.ord, pg_catalog.format('%s (%s)', pv.pv,
                           pg_catalog.string_agg(pg_catalog.quote_ident(t.attname), ', ' ORDER BY t.attnum))
                           AS grant_item
                  FROM pg_catalog.pg_attribute t,
                       pg_catalog.unnest(ARRAY['SELECT', 'INSERT', 'UPDATE']) WITH ORDINALITY AS pv(pv, ord)
                 WHERE t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped
                   AND pg_catalog.has_column_privilege(p_role, p_table, t.attnum, pv.pv)
                 GROUP BY pv.ord, pv.pv
                UNION ALL
                SELECT 4, 'DELETE'
                 WHERE pg_catalog.has_table_privilege(p_role, p_table, 'DELETE')) AS g;
        IF v_grants IS NOT NULL THEN
            EXECUTE pg_catalog.format('GRANT %s ON pg_temp.rls_audit_shadow TO %I', v_grants, p_role);
        END IF;
        EXECUTE pg_catalog.format('GRANT SELECT, INSERT ON pg_temp.rls_audit_witness TO %I', p_role);
        CREATE TRIGGER rls_audit_witness AFTER INSERT OR UPDATE OR DELETE ON pg_temp.rls_audit_shadow
            FOR EACH ROW EXECUTE FUNCTION rls_audit._shadow_witness();

        FOREACH a IN ARRAY p_tenants LOOP
            -- (check, value, template tenant) triples: the statements an
            -- application could run as A
            v_stmts := ARRAY['tenant_delete', NULL, NULL, 'tenant_update', a, NULL];
            FOREACH x IN ARRAY p_tenants LOOP
                IF x IS DISTINCT FROM a THEN
                    v_stmts := v_stmts || ARRAY['tenant_update', x, NULL];
                    FOREACH v_from IN ARRAY p_tenants LOOP
                        v_stmts := v_stmts || ARRAY['tenant_insert', x, v_from];
                    END LOOP;
                END IF;
            END LOOP;
            v_count := pg_catalog.array_length(v_stmts, 1) / 3;
            FOR i IN 1 .. v_count LOOP
                -- everything the statement needs is decided here, as the
                -- caller; inside, only the role, the settings and EXECUTE
                v_check := v_stmts[3 * i - 2];
                v_value := v_stmts[3 * i - 1];
                v_from := v_stmts[3 * i];
                v_sql := CASE v_check
                             WHEN 'tenant_delete' THEN 'DELETE FROM pg_temp.rls_audit_shadow'
                             WHEN 'tenant_update' THEN v_update
                             ELSE v_insert END;
                n := NULL;
                BEGIN
                    PERFORM pg_catalog.set_config('role', p_role, true);
                    FOR j IN 1 .. v_n LOOP
                        PERFORM pg_catalog.set_config(v_names[j], v_values[j], true);
                    END LOOP;
                    PERFORM pg_catalog.set_config(p_setting, a, true);
                    EXECUTE v_sql USING v_value, v_from;
                    EXECUTE v_touched INTO n USING a;
                    RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
                EXCEPTION WHEN OTHERS THEN
                    IF SQLSTATE = 'RA000' THEN
                        o_state := '00000';
                        o_message := NULL;
                    ELSE
                        o_state := SQLSTATE;
                        o_message := SQLERRM;
                        n := NULL;
                    END IF;
                END;
                -- kept as text until the outer rollback; RETURN NEXT after it
                v_results := v_results || ARRAY[a, v_check, v_value, n::text, o_state, o_message];
            END LOOP;
        END LOOP;
        RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE <> 'RA000' THEN
            -- the probe itself could not be set up: one row says why
            v_results := ARRAY[NULL, NULL, NULL, NULL, SQLSTATE, SQLERRM];
        END IF;
    END;
    FOR i IN 1 .. pg_catalog.array_length(v_results, 1) / 6 LOOP
        o_tenant := v_results[6 * i - 5];
        o_check := v_results[6 * i - 4];
        o_value := v_results[6 * i - 3];
        o_rows := v_results[6 * i - 2]::bigint;
        o_state := v_results[6 * i - 1];
        o_message := v_results[6 * i];
        RETURN NEXT;
    END LOOP;
END
$probe$;
COMMENT ON FUNCTION rls_audit._write_probe(name, regclass, name, text[], text, text[], integer, boolean, text[], text, text) IS
    'rls_audit internal: exact write probes on a rolled-back shadow copy of a few rows: rows of other tenants that DELETE, UPDATE and INSERT with no WHERE touch as the role';
