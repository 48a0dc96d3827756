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
        -- as the role, with the name as it is (no identifier folding): SET
        -- LOCAL SESSION AUTHORIZATION where the caller may (a superuser who
        -- has not SET ROLE), so that session_user is the role too, as in the
        -- role's own sessions; else SET LOCAL ROLE
        IF p_role IS NOT NULL THEN
            IF session_user = current_user AND pg_catalog.current_setting('role') = 'none'
               AND pg_catalog.current_setting('is_superuser') = 'on' THEN
                PERFORM pg_catalog.set_config('session_authorization', p_role, true);
            ELSE
                PERFORM pg_catalog.set_config('role', p_role, true);
            END IF;
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

-- The write and cascade probes keep their outcomes as one flat text[] of
-- sextuples (tenant, check, value, rows, sqlstate, message) until their
-- subtransaction is rolled back; this turns them into their rows.
CREATE FUNCTION rls_audit._sextuples(p text[])
RETURNS TABLE (o_tenant text, o_check text, o_value text, o_rows bigint, o_state text,
               o_message text)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p[6 * i - 5], p[6 * i - 4], p[6 * i - 3], p[6 * i - 2]::pg_catalog.int8, p[6 * i - 1], p[6 * i]
      FROM pg_catalog.generate_series(1, pg_catalog.array_length(p, 1) / 6) AS i
     ORDER BY i
$$;
COMMENT ON FUNCTION rls_audit._sextuples(text[]) IS
    'rls_audit internal: the write and cascade probes'' outcomes (a flat text[] of tenant, check, value, rows, sqlstate, message) as rows';

-- Write probes on a shadow table: "can a statement this role may run, with
-- tenant A's settings, delete, change, move or insert a row of another
-- tenant?" answered by PostgreSQL itself, on a few copied rows instead of the
-- real table (whose millions of rows a DELETE would have to visit).
--
-- In one always-rolled-back subtransaction, as the caller:
--   * pg_temp.rls_audit_shadow is LIKE the table (no defaults, unique,
--     check or foreign keys: only the policies decide) and holds up to
--     p_rows rows of each tenant in p_tenants, and the first row of each
--     other tenant (up to p_others tenants in all);
--   * it gets the table's policies (p_policies: the CREATE POLICY
--     statements rls_audit renders from the catalog for the shadow, same
--     names, PERMISSIVE/RESTRICTIVE, command, roles, USING and WITH CHECK),
--     and RLS exactly when RLS applies to the role on the real table
--     (p_applies: enabled, the role neither superuser nor BYPASSRLS, and
--     forced or the role not inheriting the owner); FORCE because the
--     caller owns the shadow;
--   * the role gets on it the table and column privileges it has on the
--     real table, so "permission denied" is answered the same way;
--   * an AFTER ROW trigger (_shadow_count, in C) counts every row a
--     statement really touched whose tenant, old or new, is not A (NULL
--     included), by the type's own equality called as the role;
--   * the insert probe's templates are the first row of each tenant, read
--     as the caller before the shadow has row security;
--   * pg_temp.rls_audit_screen, when RLS applies and the table has tenants
--     not probed, holds each template relabelled as each of those tenants,
--     once for INSERT (rls_audit_kind 'i') and once for UPDATE ('u'),
--     under SELECT policies that hold the table's INSERT and UPDATE
--     policies' checks (p_screen, rendered by isolation.rs the way
--     PostgreSQL picks a policy's check: WITH CHECK, else USING); what A
--     sees there are the tenants A could insert a row for or move a row
--     to, and each of them is tried with the real statement on the shadow.
-- _write_statements reads the templates, sets up row security, the
-- policies, the privileges and the trigger (p_setup; the screen's too, and
-- p_screen is then its query), then runs, for each
-- tenant A, each statement as the
-- role with A's settings in its own rolled-back subtransaction, with no
-- WHERE clause (a WHERE that reads a column makes PostgreSQL apply the
-- SELECT policies too, and an application's statement need not have one);
-- each kind of statement is planned once per tenant:
--   tenant_delete  DELETE FROM shadow
--   tenant_update  UPDATE shadow SET col = X   for X = A (take-over) and each other tenant (move)
--   tenant_insert  INSERT a row with col = X   for each other tenant X
--                  (a role that may not insert col: the columns it may,
--                  and col takes the table's default, p_default)
-- (for a tenant X not probed: when the screen lets a row of X through)
-- and the trigger's count is the rows of other tenants it touched. A
-- statement that fails touched nothing (verdict.rs makes a failure that
-- says nothing about the policies, such as a lock not granted, an ERROR
-- check instead of a PASS).
CREATE FUNCTION rls_audit._write_probe(
    p_role name, p_table regclass, p_col name, p_settings text[], p_setting text,
    p_tenants text[], p_rows integer, p_applies boolean, p_policies text[],
    p_type text, p_eq text, p_gt text, p_others integer, p_screen text[], p_default text,
    p_variants text[] DEFAULT NULL)
RETURNS TABLE (o_tenant text, o_check text, o_value text, o_rows bigint, o_state text,
               o_message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    v_cols text;
    v_variants text[] := '{}';
    v_vcol name;
    v_vtype text;
    v_vinsert text;
    v_vkind text;
    v_vvalue text;
    v_fixed boolean;
    v_pv text[];
    v_xcols text[];
    v_xvals text[];
    v_xuvals text[];
    v_xnote text[];
    v_with int;
    v_reach text[];
    v_read boolean;
    v_held boolean;
    v_term text;
    v_held_term text;
    -- the search_path a term the role evaluates runs under: its sessions'
    -- (p_settings), pg_temp last; read when the first such term is
    v_reach_path text;
    v_claim jsonb;
    v_keep text;
    v_xtype text;
    v_types jsonb;
    j int;
    v_sequence boolean := false;
    v_default text;
    v_update text;
    v_insert text;
    v_grants text;
    v_templates text;
    v_screen text;
    v_icols text;
    v_ivals text;
    v_others bigint := 0;
    v_setup text[] := '{}';
    a text;
    i int;
    n bigint;
    v_results text[] := '{}';
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
        v_update := pg_catalog.format('UPDATE pg_temp.rls_audit_shadow SET %I = $1::%s', p_col, p_type);
        -- the insert probe copies an existing row and relabels it: the
        -- first row of each tenant, so each tenant's kind of values is tried
        -- ($3: the templates, an array of the shadow's rows)
        v_insert := pg_catalog.format(
            'INSERT INTO pg_temp.rls_audit_shadow SELECT %s
               FROM pg_catalog.unnest($3) t
              WHERE t.%I %s $2::%s', v_cols, p_col, p_eq, p_type);
        -- a role that may INSERT some columns but not all leaves the
        -- others to their defaults: its INSERT names the columns it may
        -- insert (the tenant column $1 among them, when it may), and the
        -- shadow's other columns get the table's defaults below. Its
        -- tenant column's default is p_default (pg_get_expr text, never
        -- volatile; NULL when none).
        IF pg_catalog.has_any_column_privilege(p_role, p_table, 'INSERT')
           AND EXISTS (SELECT FROM pg_catalog.pg_attribute t
                        WHERE t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped
                          AND NOT pg_catalog.has_column_privilege(p_role, p_table, t.attnum, 'INSERT')) THEN
            SELECT pg_catalog.string_agg(pg_catalog.quote_ident(t.attname), ', ' ORDER BY t.attnum),
                   pg_catalog.string_agg(CASE WHEN t.attname = p_col
                                              THEN pg_catalog.format('$1::%s', p_type)
                                              ELSE pg_catalog.format('t.%I', t.attname) END,
                                         ', ' ORDER BY t.attnum)
              INTO v_icols, v_ivals
              FROM pg_catalog.pg_attribute t
             WHERE t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped
               AND pg_catalog.has_column_privilege(p_role, p_table, t.attnum, 'INSERT');
            v_insert := pg_catalog.format(
                'INSERT INTO pg_temp.rls_audit_shadow (%s) SELECT %s
                   FROM pg_catalog.unnest($3) t
                  WHERE t.%I %s $2::%s', v_icols, v_ivals, p_col, p_eq, p_type);
        END IF;
        v_templates := pg_catalog.format(
            'SELECT ARRAY(SELECT s.t FROM pg_catalog.unnest($1::pg_catalog.text[]) a(a),
                    LATERAL (SELECT t FROM pg_temp.rls_audit_shadow t WHERE t.%I %s a.a::%s LIMIT 1) s)',
            p_col, p_eq, p_type);

        -- the count is a trigger: ordinary triggers fire only while
        -- session_replication_role is origin (or local), whatever the
        -- caller's session set (only a superuser can have set it)
        IF pg_catalog.current_setting('session_replication_role') <> 'origin' THEN
            PERFORM pg_catalog.set_config('session_replication_role', 'origin', true);
        END IF;
        EXECUTE pg_catalog.format('CREATE TEMP TABLE rls_audit_shadow (LIKE %s)', p_table);
        IF v_icols IS NOT NULL AND p_default IS NOT NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE pg_temp.rls_audit_shadow ALTER COLUMN %I SET DEFAULT %s',
                                      p_col, p_default);
        END IF;
        -- the other columns the role's INSERT leaves out take the table's
        -- defaults, as they do in the real table: the same expression
        -- (bound now, as the caller), or, for a sequence's (serial,
        -- identity), the shadow's own temporary sequence, which the
        -- role's read-only statements may advance
        IF v_icols IS NOT NULL THEN
            FOR v_vcol, v_default IN
                SELECT t.attname,
                       CASE WHEN t.attidentity <> '' OR EXISTS (
                                 SELECT FROM pg_catalog.pg_depend k
                                   JOIN pg_catalog.pg_class s ON s.oid = k.refobjid
                                  WHERE k.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass
                                    AND k.objid = d.oid
                                    AND k.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                    AND s.relkind = 'S')
                            THEN NULL
                            ELSE pg_catalog.pg_get_expr(d.adbin, d.adrelid) END
                  FROM pg_catalog.pg_attribute t
                  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = t.attrelid AND d.adnum = t.attnum
                 WHERE t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped
                   AND t.attname <> p_col AND t.attgenerated = ''
                   AND (d.oid IS NOT NULL OR t.attidentity <> '')
                   AND NOT pg_catalog.has_column_privilege(p_role, p_table, t.attnum, 'INSERT')
            LOOP
                IF v_default IS NULL THEN
                    IF NOT v_sequence THEN
                        CREATE TEMP SEQUENCE rls_audit_shadow_seq;
                        v_sequence := true;
                    END IF;
                    v_default := 'pg_catalog.nextval(''pg_temp.rls_audit_shadow_seq''::pg_catalog.regclass)';
                END IF;
                EXECUTE pg_catalog.format('ALTER TABLE pg_temp.rls_audit_shadow ALTER COLUMN %I SET DEFAULT %s',
                                          v_vcol, v_default);
            END LOOP;
        END IF;
        FOREACH a IN ARRAY p_tenants LOOP
            EXECUTE pg_catalog.format(
                'INSERT INTO pg_temp.rls_audit_shadow SELECT * FROM %s t WHERE t.%I %s $1::%s LIMIT %s',
                p_table, p_col, p_eq, p_type, p_rows) USING a;
            GET DIAGNOSTICS n = ROW_COUNT;
            -- how many rows of this tenant the probes work on
            v_results := v_results || ARRAY[a, 'copied', NULL, n::text, '00000', NULL];
        END LOOP;
        -- and the first row of each other tenant, up to p_others tenants in
        -- all, found by a loose index scan with the type's own > (p_gt,
        -- NULL when it has no ordering): a policy that lets A delete or
        -- take over the rows of a tenant not probed touches them too
        IF p_gt IS NOT NULL THEN
            EXECUTE pg_catalog.format(
                'INSERT INTO pg_temp.rls_audit_shadow
                 WITH RECURSIVE s(v, r, n) AS (
                     (SELECT t.%1$I, t, 1 FROM %2$s t WHERE t.%1$I IS NOT NULL ORDER BY t.%1$I LIMIT 1)
                     UNION ALL
                     SELECT x.v, x.r, s.n + 1
                       FROM s, LATERAL (SELECT t.%1$I AS v, t AS r FROM %2$s t
                                         WHERE t.%1$I %3$s s.v ORDER BY t.%1$I LIMIT 1) x
                      WHERE s.n < $2)
                 SELECT (s.r).* FROM s
                  WHERE NOT EXISTS (SELECT FROM pg_catalog.unnest($1::pg_catalog.text[]) a(a)
                                     WHERE s.v %4$s a.a::%5$s)',
                p_col, p_table, p_gt, p_eq, p_type) USING p_tenants, p_others;
            GET DIAGNOSTICS v_others = ROW_COUNT;
            v_results := v_results || ARRAY[NULL, 'copied', NULL, v_others::text, '00000', NULL];
        END IF;
        -- and rows of other tenants that pass a term by which a DELETE or
        -- UPDATE policy reaches rows by other columns (p_variants' kind
        -- `reach`, `OR a - b = 777`, `OR id IN (SELECT doc FROM shares
        -- WHERE …)`: SQL of the table's columns and other tables, built-in
        -- functions only), which the rows copied above need not include:
        -- for each probed tenant, unless the shadow holds one already, up
        -- to 4, read as the caller with the tenant setting that tenant's
        -- and row security off (a table whose policies would apply to the
        -- caller: an error, no row), in a block rolled back (the settings
        -- go with it, the rows are kept as text), each row once. A term
        -- that reads no setting (kind `reach once`) passes the same rows
        -- for every tenant: first up to 4 of any tenant, and when none
        -- passes, nothing more (one scan of the table, not one per tenant).
        -- A term with what the caller must not run (kind `reach as role`:
        -- an application's function, `OR app.shared_with_me(id)`, a
        -- domain's CHECK, a view) is evaluated by the role, as PostgreSQL
        -- evaluates the policy for it: in pg_temp.rls_audit_reach, a
        -- SECURITY DEFINER function of the role's (made in the block,
        -- rolled back with it) with row security on, of each row the
        -- caller reads (the row unnested: its columns by name, the whole
        -- row of the table's type), under the search_path of the role's
        -- sessions with pg_temp last (v_reach_path: where the
        -- application's functions find what their unqualified names name
        -- in them; the term is printed under it, catalog::role_path).
        -- A write check's term that passes other tenants by the tenant
        -- column alone (kinds `targets`, `targets once`, `targets as
        -- role`: `OR tenant_id IN (SELECT child FROM tenant_tree WHERE
        -- parent = …)`) is read alike, for the tenants of the rows that
        -- pass it, up to 4 for each probed tenant, probed ones left out:
        -- each is a target (kind `target`) of the moves and inserts, as a
        -- tenant the check names (the screen tries the first 1 000 only)
        v_keep := pg_catalog.format(
            'INSERT INTO pg_temp.rls_audit_shadow
             SELECT (r.r::%s).* FROM pg_catalog.unnest($1::pg_catalog.text[]) r(r)
              WHERE NOT EXISTS (SELECT FROM pg_temp.rls_audit_shadow s
                                 WHERE s::pg_catalog.text OPERATOR(pg_catalog.=) r.r)', p_table);
        FOR i IN 1 .. COALESCE(pg_catalog.array_length(p_variants, 1), 0) / 3 LOOP
            v_vkind := p_variants[3 * i - 1];
            CONTINUE WHEN v_vkind IS NULL OR v_vkind NOT IN ('reach', 'reach once', 'reach as role',
                                                             'reach claimed', 'targets', 'targets once',
                                                             'targets as role');
            IF v_vkind = 'reach once' THEN
                v_reach := NULL;
                v_read := false;
                BEGIN
                    PERFORM pg_catalog.set_config('row_security', 'off', true);
                    EXECUTE pg_catalog.format(
                        'SELECT pg_catalog.array_agg(r.r::pg_catalog.text)
                           FROM (SELECT rls_audit_row AS r FROM %s rls_audit_row WHERE %s LIMIT 4) r',
                        p_table, p_variants[3 * i]) INTO v_reach;
                    v_read := true;
                    RAISE EXCEPTION USING ERRCODE = 'RA001';
                EXCEPTION WHEN OTHERS THEN
                    NULL;
                END;
                CONTINUE WHEN v_read AND v_reach IS NULL;
                IF v_reach IS NOT NULL THEN
                    EXECUTE v_keep USING v_reach;
                END IF;
            END IF;
            v_claim := CASE WHEN v_vkind = 'reach claimed' THEN p_variants[3 * i]::pg_catalog.jsonb END;
            FOREACH a IN ARRAY p_tenants LOOP
                v_reach := NULL;
                BEGIN
                    PERFORM pg_catalog.set_config(p_setting, a, true);
                    v_term := COALESCE(v_claim ->> 'term', p_variants[3 * i]);
                    v_held_term := v_term;
                    IF v_vkind IN ('reach as role', 'targets as role') THEN
                        -- (its body is read when it runs, as the role: "$user"
                        -- there is the role's)
                        IF v_reach_path IS NULL THEN
                            v_reach_path := COALESCE(
                                NULLIF((SELECT p_settings[2 * g]
                                          FROM pg_catalog.generate_series(
                                                   1, COALESCE(pg_catalog.array_length(p_settings, 1), 0) / 2) g
                                         WHERE p_settings[2 * g - 1] OPERATOR(pg_catalog.=) 'search_path'
                                         LIMIT 1), '') OPERATOR(pg_catalog.||) ', pg_temp',
                                'pg_temp');
                        END IF;
                        PERFORM pg_catalog.set_config('check_function_bodies', 'off', true);
                        PERFORM pg_catalog.set_config('search_path', v_reach_path, true);
                        EXECUTE pg_catalog.format(
                            'CREATE FUNCTION pg_temp.rls_audit_reach(%s) RETURNS pg_catalog.bool
                             LANGUAGE sql SECURITY DEFINER
                             SET search_path FROM CURRENT SET row_security = on AS %L',
                            p_table,
                            pg_catalog.format('SELECT %s FROM pg_catalog.unnest(ARRAY[$1]) rls_audit_row', v_term));
                        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
                        EXECUTE pg_catalog.format('ALTER FUNCTION pg_temp.rls_audit_reach(%s) OWNER TO %I',
                                                  p_table, p_role);
                        v_term := 'pg_temp.rls_audit_reach(rls_audit_row)';
                        v_held_term := pg_catalog.format(
                            'pg_temp.rls_audit_reach(rls_audit_row::pg_catalog.text::%s)', p_table);
                    END IF;
                    PERFORM pg_catalog.set_config('row_security', 'off', true);
                    IF v_vkind LIKE 'targets%' THEN
                        -- (the first 4 in the column's order, by its index
                        -- when it has one; by their text when it has none)
                        EXECUTE pg_catalog.format(
                            'SELECT pg_catalog.array_agg(v.v::pg_catalog.text)
                               FROM (SELECT DISTINCT rls_audit_row.%I%s AS v FROM %s rls_audit_row
                                      WHERE (rls_audit_row.%I %s ANY ($1::%s[])) IS NOT TRUE AND %s
                                      ORDER BY 1 LIMIT 4) v',
                            p_col, CASE WHEN p_gt IS NULL THEN '::pg_catalog.text' ELSE '' END, p_table,
                            p_col, p_eq, p_type, v_term) INTO v_reach USING p_tenants;
                    ELSE
                        EXECUTE pg_catalog.format(
                            'SELECT EXISTS (SELECT FROM pg_temp.rls_audit_shadow rls_audit_row
                                             WHERE %s AND (rls_audit_row.%I %s $1::%s) IS NOT TRUE)',
                            v_held_term, p_col, p_eq, p_type) INTO v_held USING a;
                        IF NOT v_held THEN
                            EXECUTE pg_catalog.format(
                                'SELECT pg_catalog.array_agg(r.r::pg_catalog.text)
                                   FROM (SELECT rls_audit_row AS r FROM %s rls_audit_row
                                          WHERE (rls_audit_row.%I %s $1::%s) IS NOT TRUE AND %s LIMIT 4) r',
                                p_table, p_col, p_eq, p_type, v_term) INTO v_reach USING a;
                        END IF;
                    END IF;
                    RAISE EXCEPTION USING ERRCODE = 'RA001';
                EXCEPTION WHEN OTHERS THEN
                    NULL;
                END;
                IF v_vkind LIKE 'targets%' THEN
                    FOREACH v_vvalue IN ARRAY COALESCE(v_reach, '{}') LOOP
                        v_variants := v_variants
                                      || ARRAY[NULL, NULL, p_col::pg_catalog.text, 'target', v_vvalue, NULL];
                    END LOOP;
                    EXIT WHEN v_vkind = 'targets once';
                ELSIF v_reach IS NOT NULL THEN
                    EXECUTE v_keep USING v_reach;
                END IF;
            END LOOP;
            -- A term that compares a column with a setting the application
            -- sets per request (kind `reach claimed`, `OR owner_id =
            -- current_setting('app.user_id', true)::int`, `OR owner_id =
            -- auth.uid()`: as JSON, the term with that comparison `owner_id
            -- IS NOT NULL`, and each setting it may read with the SQL of
            -- the value that reaches a row) reaches other rows for each
            -- value a request sets. For each probed tenant and setting, the
            -- value of a row of each of up to 3 other tenants (2 when it may
            -- read several settings) the shadow holds that passes it is
            -- passed on (kind `claim`: the setting, the value and the
            -- tenant): the tenant's DELETE, take-over and moves run again
            -- with the setting so.
            CONTINUE WHEN v_vkind <> 'reach claimed';
            FOR j IN 0 .. pg_catalog.jsonb_array_length(v_claim -> 'givens') - 1 LOOP
                FOREACH a IN ARRAY p_tenants LOOP
                    v_reach := NULL;
                    BEGIN
                        PERFORM pg_catalog.set_config(p_setting, a, true);
                        PERFORM pg_catalog.set_config('row_security', 'off', true);
                        EXECUTE pg_catalog.format(
                            'SELECT pg_catalog.array_agg(DISTINCT g.g)
                               FROM (SELECT DISTINCT ON (rls_audit_row.%2$I::pg_catalog.text) %1$s AS g
                                       FROM pg_temp.rls_audit_shadow rls_audit_row
                                      WHERE (rls_audit_row.%2$I %3$s $1::%4$s) IS NOT TRUE AND %5$s
                                      ORDER BY rls_audit_row.%2$I::pg_catalog.text, 1 LIMIT %6$s) g',
                            v_claim -> 'givens' -> j ->> 1, p_col, p_eq, p_type, v_claim ->> 'term',
                            CASE WHEN pg_catalog.jsonb_array_length(v_claim -> 'givens') > 1 THEN 2 ELSE 3 END)
                          INTO v_reach USING a;
                        RAISE EXCEPTION USING ERRCODE = 'RA001';
                    EXCEPTION WHEN OTHERS THEN
                        NULL;
                    END;
                    FOREACH v_vvalue IN ARRAY COALESCE(v_reach, '{}') LOOP
                        v_variants := v_variants
                                      || ARRAY[NULL, NULL, v_claim -> 'givens' -> j ->> 0, 'claim', v_vvalue, a];
                    END LOOP;
                END LOOP;
            END LOOP;
        END LOOP;
        -- the variants (p_variants: column, kind, value triples): the
        -- values the write policies' checks compare another column with
        -- (catalog::check_variants), kind `value`, or the tenant setting
        -- itself, kind `tenant` (the value is then each tenant's own), or
        -- `not null` (a value of the copied rows: read once they are in).
        -- Each is tried in a move and an insert that also set that column
        -- ($2, or $4 beside the insert's three, as text cast to the
        -- column's type, qualified): a check such as `tenant_id = … OR
        -- is_public` lets a row through for another tenant only with that
        -- value, which the copied rows need not have. Passed on as
        -- (update, insert, column, kind, value, the constants set with it
        -- as a JSON array [column, value, ...] or NULL).
        -- A role that may UPDATE some columns but not the tenant column
        -- keeps each row's tenant: its UPDATE of the first column it may
        -- update (to a value of the copied rows, kind `kept`) is what
        -- reaches other tenants' rows, and each variant's UPDATE sets its
        -- column alone.
        v_fixed := NOT pg_catalog.has_column_privilege(p_role, p_table, p_col, 'UPDATE')
                   AND pg_catalog.has_any_column_privilege(p_role, p_table, 'UPDATE');
        v_pv := COALESCE(p_variants, '{}');
        IF v_fixed THEN
            v_pv := v_pv || ARRAY[(SELECT t.attname::pg_catalog.text FROM pg_catalog.pg_attribute t
                                    WHERE t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped
                                      AND t.attgenerated = ''
                                      AND pg_catalog.has_column_privilege(p_role, p_table, t.attnum, 'UPDATE')
                                    ORDER BY t.attnum LIMIT 1), 'kept', NULL];
        END IF;
        -- each column but the tenant's, with its type (qualified): the
        -- variants' columns are looked up there
        IF pg_catalog.cardinality(v_pv) > 0 THEN
            SELECT pg_catalog.jsonb_object_agg(t.attname, pg_catalog.format('%I.%I', n.nspname, y.typname))
              INTO v_types
              FROM pg_catalog.pg_attribute t
              JOIN pg_catalog.pg_type y ON y.oid = t.atttypid
              JOIN pg_catalog.pg_namespace n ON n.oid = y.typnamespace
             WHERE t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped AND t.attname <> p_col;
        END IF;
        FOR i IN 1 .. COALESCE(pg_catalog.array_length(v_pv, 1), 0) / 3 LOOP
            -- (kind `and`: a constant set together with the triple before
            -- it, the terms of a conjunction such as `is_public AND kind =
            -- 'shared'`; kind `with`: a column whose value the triple
            -- before it finds as the role, kind `rows`, for a term of
            -- several columns such as `a + b = 10`; read with that triple)
            CONTINUE WHEN v_pv[3 * i - 1] IN ('and', 'with', 'reach', 'reach once', 'reach as role',
                                              'reach claimed', 'targets', 'targets once',
                                              'targets as role');
            -- (kind `target`: a tenant a check names, `OR (tenant_id = 3
            -- AND is_public)`, which the statements move and insert rows
            -- for too; kind `check claimed`: a check's term of the tenant
            -- column by a setting the application sets per request, whose
            -- moves and inserts run again with it given each tenant: each
            -- passed on as it is)
            IF v_pv[3 * i - 1] IN ('target', 'check claimed') THEN
                v_variants := v_variants || ARRAY[NULL, NULL, v_pv[3 * i - 2], v_pv[3 * i - 1], v_pv[3 * i], NULL];
                CONTINUE;
            END IF;
            v_vcol := v_pv[3 * i - 2];
            v_vtype := v_types ->> v_vcol::pg_catalog.text;
            CONTINUE WHEN v_vtype IS NULL;
            -- the constants set with it: `col = 'v'::type` (NULL too),
            -- and [col, value, ...] for the outcome's note; the columns
            -- found with it (`with`): the n-th of them set `col = $(4 +
            -- n)::type` in the INSERT, `$(2 + n)` in the UPDATE, its note's
            -- value NULL (the statements' runner knows it)
            v_xcols := '{}';
            v_xvals := '{}';
            v_xuvals := '{}';
            v_xnote := '{}';
            v_with := 0;
            j := i + 1;
            WHILE v_pv[3 * j - 1] IN ('and', 'with') LOOP
                v_xtype := v_types ->> v_pv[3 * j - 2];
                IF v_xtype IS NOT NULL AND v_pv[3 * j - 2] <> v_vcol::pg_catalog.text
                   AND v_pv[3 * j - 2] <> ALL (v_xcols) THEN
                    v_xcols := v_xcols || v_pv[3 * j - 2];
                    IF v_pv[3 * j - 1] = 'with' THEN
                        v_with := v_with + 1;
                        v_xvals := v_xvals || pg_catalog.format('$%s::%s', 4 + v_with, v_xtype);
                        v_xuvals := v_xuvals || pg_catalog.format('$%s::%s', 2 + v_with, v_xtype);
                    ELSE
                        v_xvals := v_xvals || pg_catalog.format('%L::%s', v_pv[3 * j], v_xtype);
                        v_xuvals := v_xuvals || pg_catalog.format('%L::%s', v_pv[3 * j], v_xtype);
                    END IF;
                    v_xnote := v_xnote || ARRAY[v_pv[3 * j - 2], v_pv[3 * j]];
                END IF;
                j := j + 1;
            END LOOP;
            IF v_pv[3 * i - 1] = 'kept' THEN
                -- (the kept UPDATE's column: no INSERT of its own)
                v_vinsert := NULL;
            ELSIF v_icols IS NULL THEN
                SELECT pg_catalog.format(
                           'INSERT INTO pg_temp.rls_audit_shadow SELECT %s
                              FROM pg_catalog.unnest($3) t
                             WHERE t.%I %s $2::%s',
                           pg_catalog.string_agg(CASE WHEN t.attname = p_col
                                                      THEN pg_catalog.format('$1::%s', p_type)
                                                      WHEN t.attname = v_vcol
                                                      THEN pg_catalog.format('$4::%s', v_vtype)
                                                      WHEN t.attname::pg_catalog.text = ANY (v_xcols)
                                                      THEN v_xvals[pg_catalog.array_position(v_xcols, t.attname::pg_catalog.text)]
                                                      ELSE pg_catalog.quote_ident(t.attname) END,
                                                 ', ' ORDER BY t.attnum),
                           p_col, p_eq, p_type)
                  INTO v_vinsert
                  FROM pg_catalog.pg_attribute t
                 WHERE t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped;
            ELSIF pg_catalog.has_column_privilege(p_role, p_table, v_vcol, 'INSERT')
                  AND NOT EXISTS (SELECT FROM pg_catalog.unnest(v_xcols) x(c)
                                   WHERE NOT pg_catalog.has_column_privilege(p_role, p_table, x.c, 'INSERT')) THEN
                SELECT pg_catalog.format(
                           'INSERT INTO pg_temp.rls_audit_shadow (%s) SELECT %s
                              FROM pg_catalog.unnest($3) t
                             WHERE t.%I %s $2::%s',
                           v_icols,
                           pg_catalog.string_agg(CASE WHEN t.attname = p_col
                                                      THEN pg_catalog.format('$1::%s', p_type)
                                                      WHEN t.attname = v_vcol
                                                      THEN pg_catalog.format('$4::%s', v_vtype)
                                                      WHEN t.attname::pg_catalog.text = ANY (v_xcols)
                                                      THEN v_xvals[pg_catalog.array_position(v_xcols, t.attname::pg_catalog.text)]
                                                      ELSE pg_catalog.format('t.%I', t.attname) END,
                                                 ', ' ORDER BY t.attnum),
                           p_col, p_eq, p_type)
                  INTO v_vinsert
                  FROM pg_catalog.pg_attribute t
                 WHERE t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped
                   AND pg_catalog.has_column_privilege(p_role, p_table, t.attnum, 'INSERT');
            ELSE
                -- the role's INSERTs may not name the column: it keeps
                -- whatever they put there
                v_vinsert := NULL;
            END IF;
            -- `not null`: the first value of the copied rows (as the
            -- caller, before the shadow has row security), or none
            v_vkind := v_pv[3 * i - 1];
            v_vvalue := v_pv[3 * i];
            IF v_vkind IN ('not null', 'kept') THEN
                EXECUTE pg_catalog.format(
                    'SELECT t.%1$I::pg_catalog.text FROM pg_temp.rls_audit_shadow t WHERE t.%1$I IS NOT NULL LIMIT 1',
                    v_vcol) INTO v_vvalue;
                CONTINUE WHEN v_vvalue IS NULL AND v_vkind = 'not null';
                v_vkind := 'value';
            END IF;
            v_variants := v_variants || ARRAY[
                CASE WHEN v_fixed
                     THEN pg_catalog.format('UPDATE pg_temp.rls_audit_shadow SET %I = $2::%s', v_vcol, v_vtype)
                     ELSE pg_catalog.format('UPDATE pg_temp.rls_audit_shadow SET %I = $1::%s, %I = $2::%s',
                                            p_col, p_type, v_vcol, v_vtype) END
                || COALESCE((SELECT pg_catalog.string_agg(pg_catalog.format(', %I = %s', x.c, x.v), '' ORDER BY x.o)
                               FROM ROWS FROM (pg_catalog.unnest(v_xcols), pg_catalog.unnest(v_xuvals)) WITH ORDINALITY x(c, v, o)), ''),
                v_vinsert, v_vcol::pg_catalog.text, v_vkind, v_vvalue,
                CASE WHEN pg_catalog.cardinality(v_xnote) > 0
                     THEN pg_catalog.array_to_json(v_xnote)::pg_catalog.text END];
        END LOOP;
        -- the screen for inserts into and moves to those tenants: each
        -- probed tenant's first row relabelled as each of them, read as the
        -- caller before the shadow has row security
        IF p_applies AND v_others > 0 THEN
            SELECT pg_catalog.string_agg(CASE WHEN t.attname = p_col THEN 'o.v'
                                              ELSE pg_catalog.format('(s.t).%I', t.attname) END,
                                         ', ' ORDER BY t.attnum)
              INTO v_screen
              FROM pg_catalog.pg_attribute t
             WHERE t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped;
            EXECUTE pg_catalog.format(
                'CREATE TEMP TABLE rls_audit_screen (LIKE %s, rls_audit_kind pg_catalog."char", rls_audit_from pg_catalog.text)',
                p_table);
            EXECUTE pg_catalog.format(
                'INSERT INTO pg_temp.rls_audit_screen
                 SELECT %1$s, k.k, a.a
                   FROM pg_catalog.unnest($1::pg_catalog.text[]) a(a),
                        LATERAL (SELECT t FROM pg_temp.rls_audit_shadow t WHERE t.%2$I %3$s a.a::%4$s LIMIT 1) s,
                        (SELECT t.%2$I AS v FROM pg_temp.rls_audit_shadow t
                          WHERE NOT EXISTS (SELECT FROM pg_catalog.unnest($1::pg_catalog.text[]) b(b)
                                             WHERE t.%2$I %3$s b.b::%4$s)) o,
                        (VALUES (''i''::pg_catalog."char"), (''u''::pg_catalog."char")) k(k)',
                v_screen, p_col, p_eq, p_type) USING p_tenants;
        END IF;
        -- the real table's row triggers, now that its rows are in: they do
        -- to the probes' statements what they do to the application's (a
        -- BEFORE trigger that sets the tenant, skips a row or raises)
        PERFORM rls_audit._copy_row_triggers(p_table, 'pg_temp.rls_audit_shadow'::pg_catalog.regclass);
        -- row security and the policies exactly when they apply to the role
        IF p_applies THEN
            v_setup := ARRAY['ALTER TABLE pg_temp.rls_audit_shadow ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY']
                       || p_policies;
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
            v_setup := v_setup || pg_catalog.format('GRANT %s ON pg_temp.rls_audit_shadow TO %I', v_grants, p_role);
        END IF;
        IF v_sequence THEN
            v_setup := v_setup || pg_catalog.format('GRANT USAGE ON SEQUENCE pg_temp.rls_audit_shadow_seq TO %I', p_role);
        END IF;
        v_setup := v_setup || 'CREATE TRIGGER rls_audit_count AFTER INSERT OR UPDATE OR DELETE
            ON pg_temp.rls_audit_shadow FOR EACH ROW EXECUTE FUNCTION rls_audit._shadow_count()'::pg_catalog.text;
        IF v_screen IS NOT NULL THEN
            v_setup := v_setup
                || 'ALTER TABLE pg_temp.rls_audit_screen ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY'::pg_catalog.text
                || p_screen
                || pg_catalog.format('GRANT SELECT ON pg_temp.rls_audit_screen TO %I', p_role);
            -- what _write_statements reads there as the role: each row's
            -- kind, tenant and template tenant (every name qualified: it
            -- is parsed under the role's search_path)
            v_screen := pg_catalog.format(
                'SELECT s.rls_audit_kind::pg_catalog.text, pg_catalog.format(''%%s'', s.%I), s.rls_audit_from
                   FROM pg_temp.rls_audit_screen s', p_col);
        END IF;

        -- the statements, as the role with each tenant's settings; their
        -- outcomes are kept as text until the rollback below
        v_results := v_results || rls_audit._write_statements(
            p_role, p_settings, p_setting, p_tenants, v_update, v_insert, v_templates, v_setup,
            'pg_temp.rls_audit_shadow'::pg_catalog.regclass, p_col, v_screen, v_variants);
        RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE <> 'RA000' THEN
            -- the probe itself could not be set up: one row says why
            v_results := ARRAY[NULL, NULL, NULL, NULL, SQLSTATE, SQLERRM];
        END IF;
    END;
    RETURN QUERY SELECT * FROM rls_audit._sextuples(v_results);
END
$probe$;
COMMENT ON FUNCTION rls_audit._write_probe(name, regclass, name, text[], text, text[], integer, boolean, text[], text, text, text, integer, text[], text, text[]) IS
    'rls_audit internal: exact write probes on a rolled-back shadow copy of a few rows: rows of other tenants that DELETE, UPDATE and INSERT with no WHERE touch as the role';

-- The cascade probe: a foreign key of the probed table whose ON DELETE
-- action (CASCADE, SET NULL, SET DEFAULT) or ON UPDATE action (the same)
-- writes its rows runs that action as the table's owner, without
-- row-level security, on every row that references a row someone deletes
-- in the referenced table, or whose key someone changes there. So tenant
-- A reaches tenant B's rows of the table when A may delete a row of the
-- referenced table that B's rows reference, or change its key (a shared
-- table whose rows every tenant may delete or renumber, or a parent whose
-- policies do not keep A to its own rows). Asked the same way as the
-- write probes, in one subtransaction that is always rolled back:
--   * pg_temp.rls_audit_shadow is a copy (LIKE) of the referenced table
--     with one more column, rls_audit_child_tenant (the tenant column's
--     base type): the referenced row of each of the table's rows of the
--     probed tenants (up to p_rows each) and of the first row of each
--     other tenant (up to p_others), found by the key's own operators
--     (p_ops), each copy labelled with the tenant of the row that
--     references it;
--   * the referenced table's row triggers, its row security and policies
--     when they apply to the role (p_applies, p_policies), and the role's
--     DELETE privilege on it (with USAGE on its schema) are put on the
--     copy, and _shadow_count counts each deleted or updated copy whose
--     label is not A;
--   * with p_on_update, the first of the key's referenced columns the
--     role may UPDATE (its column privilege, put on the copy too) is the
--     one changed: to a value no row has (above the largest number; for
--     a uuid or text, the md5 of the largest, cut to the column's length;
--     another type: the largest value as text, new to every other row),
--     computed as the caller;
--     one row ('key', the SET clause) says which;
--   * _write_statements then runs DELETE FROM shadow, and that UPDATE
--     (p_update alone: no INSERT, p_insert and p_templates are NULL), as
--     the role with each tenant's settings.
-- What no copy has: the other foreign keys that reference the referenced
-- table (a NO ACTION or RESTRICT key of a third table would refuse some
-- of those DELETEs; the policies would still allow them).
CREATE FUNCTION rls_audit._cascade_probe(
    p_role name, p_table regclass, p_col name, p_parent regclass,
    p_keys text[], p_refs text[], p_ops text[],
    p_settings text[], p_setting text, p_tenants text[], p_rows integer,
    p_applies boolean, p_policies text[], p_type text, p_eq text, p_gt text, p_others integer,
    p_on_update boolean)
RETURNS TABLE (o_tenant text, o_check text, o_value text, o_rows bigint, o_state text,
               o_message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    v_match text;
    v_keyed text;
    v_key record;
    v_value text;
    v_update text;
    v_head text;
    v_tail text;
    v_setup text[] := '{}';
    a text;
    i int;
    n bigint;
    v_copied bigint := 0;
    v_results text[] := '{}';
BEGIN
    BEGIN
        -- the key, matched with the constraint's own operators (every name
        -- qualified: p_ops comes as OPERATOR(schema.op)), on the rows in k
        SELECT pg_catalog.string_agg(pg_catalog.format('p.%I %s k.%I', u.r, u.o, u.k), ' AND ' ORDER BY u.i),
               pg_catalog.string_agg(pg_catalog.format('c.%I IS NOT NULL', u.k), ' AND ' ORDER BY u.i)
          INTO v_match, v_keyed
          FROM ROWS FROM (pg_catalog.unnest(p_keys), pg_catalog.unnest(p_refs), pg_catalog.unnest(p_ops))
               WITH ORDINALITY AS u(k, r, o, i);
        -- each row of k (a set of the table's rows, put between the two)
        -- gives the row it references, labelled with k's tenant
        v_head := pg_catalog.format(
            'INSERT INTO pg_temp.rls_audit_shadow SELECT (x.p).*, k.%I FROM (', p_col);
        v_tail := pg_catalog.format(
            ') k, LATERAL (SELECT p FROM %s p WHERE %s LIMIT 1) x', p_parent, v_match);
        IF pg_catalog.current_setting('session_replication_role') <> 'origin' THEN
            PERFORM pg_catalog.set_config('session_replication_role', 'origin', true);
        END IF;
        EXECUTE pg_catalog.format('CREATE TEMP TABLE rls_audit_shadow (LIKE %s)', p_parent);
        EXECUTE pg_catalog.format('ALTER TABLE pg_temp.rls_audit_shadow ADD COLUMN rls_audit_child_tenant %s',
                                  p_type);
        FOREACH a IN ARRAY p_tenants LOOP
            EXECUTE v_head || pg_catalog.format(
                'SELECT c.* FROM %s c WHERE c.%I %s $1::%s AND %s LIMIT %s',
                p_table, p_col, p_eq, p_type, v_keyed, p_rows) || v_tail USING a;
            GET DIAGNOSTICS n = ROW_COUNT;
            v_copied := v_copied + n;
        END LOOP;
        -- the first row with a key of each other tenant (a loose index
        -- scan with the type's own >, as _write_probe's)
        IF p_gt IS NOT NULL THEN
            EXECUTE v_head || pg_catalog.format(
                'WITH RECURSIVE s(v, r, n) AS (
                     (SELECT c.%1$I, c, 1 FROM %2$s c WHERE c.%1$I IS NOT NULL AND %6$s ORDER BY c.%1$I LIMIT 1)
                     UNION ALL
                     SELECT x.v, x.r, s.n + 1
                       FROM s, LATERAL (SELECT c.%1$I AS v, c AS r FROM %2$s c
                                         WHERE c.%1$I %3$s s.v AND %6$s ORDER BY c.%1$I LIMIT 1) x
                      WHERE s.n < $2)
                 SELECT (s.r).* FROM s
                  WHERE NOT EXISTS (SELECT FROM pg_catalog.unnest($1::pg_catalog.text[]) a(a)
                                     WHERE s.v %4$s a.a::%5$s)',
                p_col, p_table, p_gt, p_eq, p_type, v_keyed) || v_tail USING p_tenants, p_others;
            GET DIAGNOSTICS n = ROW_COUNT;
            v_copied := v_copied + n;
        END IF;
        v_results := ARRAY[NULL, 'copied', NULL, v_copied::text, '00000', NULL];
        -- the key's change: its first column the role may update, to a
        -- value no row has (computed as the caller, its type's own name
        -- and length: varchar(n) keeps n characters)
        IF p_on_update THEN
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS full_type,
                   pg_catalog.format('%I.%I', tn.nspname, ty.typname) AS qualified,
                   CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END AS base, ty.typcategory
              INTO v_key
              FROM ROWS FROM (pg_catalog.unnest(p_refs)) WITH ORDINALITY AS u(r, i)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = p_parent AND a.attname = u.r
              JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
              JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace
             WHERE pg_catalog.has_column_privilege(p_role, p_parent, a.attnum, 'UPDATE')
             ORDER BY u.i
             LIMIT 1;
            IF v_key.attname IS NOT NULL THEN
                EXECUTE pg_catalog.format(
                    'SELECT (%s)::%s::pg_catalog.text FROM %s p',
                    CASE WHEN v_key.base IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                                             'pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.numeric'::pg_catalog.regtype,
                                             'pg_catalog.float4'::pg_catalog.regtype, 'pg_catalog.float8'::pg_catalog.regtype)
                         THEN pg_catalog.format('coalesce(pg_catalog.max(p.%I), 0) OPERATOR(pg_catalog.+) 1', v_key.attname)
                         WHEN v_key.base = 'pg_catalog.uuid'::pg_catalog.regtype
                         THEN pg_catalog.format('pg_catalog.md5(coalesce(pg_catalog.max(p.%I::pg_catalog.text), %L))::pg_catalog.uuid',
                                                v_key.attname, '')
                         WHEN v_key.typcategory = 'S'
                         THEN pg_catalog.format('pg_catalog.md5(coalesce(pg_catalog.max(p.%I::pg_catalog.text), %L))',
                                                v_key.attname, '')
                         ELSE pg_catalog.format('pg_catalog.max(p.%I::pg_catalog.text)', v_key.attname) END,
                    v_key.full_type, p_parent) INTO v_value;
                v_update := pg_catalog.format('UPDATE pg_temp.rls_audit_shadow SET %I = %L::%s',
                                              v_key.attname, v_value, v_key.qualified);
                v_results := v_results || ARRAY[NULL, 'key', pg_catalog.format('%I = %L', v_key.attname, v_value),
                                                NULL, '00000', NULL];
            END IF;
        END IF;
        PERFORM rls_audit._copy_row_triggers(p_parent, 'pg_temp.rls_audit_shadow'::pg_catalog.regclass);
        IF p_applies THEN
            v_setup := ARRAY['ALTER TABLE pg_temp.rls_audit_shadow ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY']
                       || p_policies;
        END IF;
        IF pg_catalog.has_table_privilege(p_role, p_parent, 'DELETE')
           AND pg_catalog.has_schema_privilege(p_role,
                   (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid = p_parent), 'USAGE') THEN
            v_setup := v_setup || pg_catalog.format('GRANT DELETE ON pg_temp.rls_audit_shadow TO %I', p_role);
        END IF;
        IF v_update IS NOT NULL
           AND pg_catalog.has_schema_privilege(p_role,
                   (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid = p_parent), 'USAGE') THEN
            v_setup := v_setup || pg_catalog.format('GRANT UPDATE (%I) ON pg_temp.rls_audit_shadow TO %I',
                                                    v_key.attname, p_role);
        END IF;
        v_setup := v_setup || 'CREATE TRIGGER rls_audit_count AFTER DELETE OR UPDATE
            ON pg_temp.rls_audit_shadow FOR EACH ROW EXECUTE FUNCTION rls_audit._shadow_count()'::pg_catalog.text;
        v_results := v_results || rls_audit._write_statements(
            p_role, p_settings, p_setting, p_tenants, v_update, NULL, NULL, v_setup,
            'pg_temp.rls_audit_shadow'::pg_catalog.regclass, 'rls_audit_child_tenant', NULL);
        RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE <> 'RA000' THEN
            v_results := ARRAY[NULL, NULL, NULL, NULL, SQLSTATE, SQLERRM];
        END IF;
    END;
    RETURN QUERY SELECT * FROM rls_audit._sextuples(v_results);
END
$probe$;
COMMENT ON FUNCTION rls_audit._cascade_probe(name, regclass, name, regclass, text[], text[], text[], text[], text, text[], integer, boolean, text[], text, text, text, integer, boolean) IS
    'rls_audit internal: whether a DELETE, or an UPDATE of the key, the role may run on a table that a probed table references by a foreign key with ON DELETE or ON UPDATE CASCADE, SET NULL or SET DEFAULT reaches rows that other tenants'' rows reference (rolled back, on a shadow copy)';

-- The replace probe: CREATE OR REPLACE FUNCTION is a statement a role may
-- run on a function it owns (or whose owner it may become) in a schema
-- where it may create. When a read policy for the role calls such a
-- function, verify_isolation replaces it, as p_replacer (the role, or the
-- owner after SET ROLE), with a plain body (p_replace), then runs one
-- read probe as the role (rls_audit._probe), and rolls everything back: the
-- function as it was, for everyone, the moment the call ends (nobody else
-- ever sees the replacement: it is never committed). verify_isolation also
-- runs a view's owner's GRANT SELECT on the view to the role through it,
-- to read what a DELETE or UPDATE through a view it may not read reaches.
CREATE FUNCTION rls_audit._replace_probe(
    p_role name, p_replacer name, p_replace text, p_settings text[], p_sql text, p_args text[],
    OUT o_result text[], OUT o_state text, OUT o_message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    v_role text := pg_catalog.current_setting('role');
BEGIN
    BEGIN
        PERFORM pg_catalog.set_config('role', p_replacer, true);
        EXECUTE p_replace;
        PERFORM pg_catalog.set_config('role', v_role, true);
        SELECT r.o_result, r.o_state, r.o_message INTO o_result, o_state, o_message
          FROM rls_audit._probe(p_role, p_settings, p_sql, p_args, false) r;
        RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE <> 'RA000' THEN
            o_result := NULL;
            o_state := SQLSTATE;
            o_message := SQLERRM;
        END IF;
    END;
END
$probe$;
COMMENT ON FUNCTION rls_audit._replace_probe(name, name, text, text[], text, text[]) IS
    'rls_audit internal: a read probe as a role after it replaced a function a policy calls (CREATE OR REPLACE FUNCTION), always rolled back';



-- The lookup probes: a policy that reads another table (a sub-select:
-- memberships, shares, tenant keys, a list of private tenants) lets
-- through whatever that table says. When the role may write that table
-- (p_lookup) itself, what tenant A may read or write can be widened by
-- A's own statements there. So, as the role with A's settings, in
-- subtransactions that are always rolled back, each kind of write the
-- role holds the privilege for (p_kinds) runs on the real table, and a
-- probe after it: the read probe (_lookup_probe) or the write probe
-- (_lookup_write_probe).
--
-- _lookup_writes builds those writes, as the caller (nothing here runs as
-- the role):
--   insert    new rows, each run in a block of its own (ON CONFLICT DO
--             NOTHING), then one probe: each of the table's first rows (up
--             to p_rows, read as the caller) copied with one column set to
--             a value of its pool; and, from its first row (or from
--             nothing when it is empty), rows with one column set to A's
--             value or the role's name and another to another tenant's
--             value. A column's pool: A's value, the role's name, the
--             values of the first row of each other tenant (p_others) in
--             the probed table's columns of the same type (or the same
--             numeric or string category), and the table's own values of
--             that column (at most 16). A column whose default is volatile
--             (p_volatile: a sequence would move) or an identity gets a
--             fresh value instead (a number above its largest, a random
--             uuid, else NULL); when the role may not insert it, nothing
--             is inserted (its default would run);
--   update    UPDATE lookup SET column = value, for each column and pool
--             value, with no WHERE, else (a unique column) one of the
--             first rows (o_ctids) at a time (o_one); one probe after each;
--   delete    DELETE FROM lookup, then the probe;
--   truncate  (the privilege's alone: TRUNCATE itself is never run, its
--             AccessExclusiveLock would stop every reader of the table)
--             the table emptied as the caller, then the probe as the role.
-- One row per group a probe runs at once (the truncate, all the inserts,
-- each update, the delete): kind, for an UPDATE the column and what the
-- value was ('tenant', 'role', 'other', 'own'), the statements and their
-- arguments, an UPDATE's one-row form and the rows it takes (o_ctids),
-- and whether the kind is truncate or update. An ERROR when they cannot be
-- built.
CREATE FUNCTION rls_audit._lookup_writes(
    p_role name, p_lookup regclass, p_kinds text[], p_volatile name[],
    p_table regclass, p_col name, p_type text, p_eq text, p_tenant text, p_others text[],
    p_rows integer)
RETURNS TABLE (o_kind text, o_column text, o_source text, o_sqls text[], o_one text, o_args jsonb[],
               o_ctids tid[], o_truncate boolean, o_update boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    v_m text := pg_catalog.format('%s', p_lookup);
    v_rows jsonb[];
    v_ctids tid[];
    v_others jsonb[];
    v_pool jsonb := '{}';
    v_fresh jsonb := '{}';
    v_ins name[] := '{}';
    v_set name[] := '{}';
    v_upd name[] := '{}';
    v_may_insert boolean := 'insert' = ANY (p_kinds);
    v_insert text;
    v_col record;
    v_f jsonb;
BEGIN
    -- the lookup's first rows, and the first row of each other tenant of
    -- the probed table
    EXECUTE pg_catalog.format(
        'SELECT pg_catalog.array_agg(r.ctid), pg_catalog.array_agg(r.j)
           FROM (SELECT m.ctid, pg_catalog.to_jsonb(m) AS j FROM %s m LIMIT $1) r', v_m)
       INTO v_ctids, v_rows USING p_rows;
    EXECUTE pg_catalog.format(
        'SELECT pg_catalog.array_agg(x.j)
           FROM pg_catalog.unnest($1::pg_catalog.text[]) a(a),
                LATERAL (SELECT pg_catalog.to_jsonb(t) AS j FROM %s t WHERE t.%I %s a.a::%s LIMIT 1) x',
        p_table, p_col, p_eq, p_type)
       INTO v_others USING p_others;
    -- each column's pool, its fresh value, and what the role may do with it
    FOR v_col IN
        SELECT a.attname, a.atttypid, ty.typcategory,
               a.attidentity <> 'a'
               AND pg_catalog.has_column_privilege(p_role, p_lookup, a.attnum, 'INSERT') AS ins,
               a.attidentity <> 'a'
               AND pg_catalog.has_column_privilege(p_role, p_lookup, a.attnum, 'UPDATE') AS upd,
               a.attname = ANY (p_volatile) OR a.attidentity <> '' AS fresh
          FROM pg_catalog.pg_attribute a
          JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
         WHERE a.attrelid = p_lookup AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
         ORDER BY a.attnum
    LOOP
        IF v_col.fresh THEN
            IF NOT v_col.ins THEN
                v_may_insert := false;  -- its default would run
            ELSIF v_col.typcategory = 'N' THEN
                EXECUTE pg_catalog.format(
                    'SELECT pg_catalog.to_jsonb(coalesce(pg_catalog.max(m.%I), 0)) FROM %s m',
                    v_col.attname, v_m) INTO v_f;
                v_fresh := v_fresh || pg_catalog.jsonb_build_object(v_col.attname, v_f);
            ELSIF v_col.atttypid = 'pg_catalog.uuid'::pg_catalog.regtype THEN
                v_fresh := v_fresh || pg_catalog.jsonb_build_object(v_col.attname, 'uuid');
            ELSE
                v_fresh := v_fresh || pg_catalog.jsonb_build_object(v_col.attname, NULL::text);
            END IF;
            IF v_col.ins THEN
                v_ins := v_ins || v_col.attname;
            END IF;
            CONTINUE;
        END IF;
        SELECT pg_catalog.jsonb_agg(w.e ORDER BY w.r)
          FROM (SELECT d.e, d.r
                  FROM (SELECT DISTINCT ON (u.e) u.e, u.r
                          FROM (SELECT pg_catalog.jsonb_build_array('tenant', pg_catalog.to_jsonb(p_tenant)) AS e, 1 AS r
                                UNION ALL
                                SELECT pg_catalog.jsonb_build_array('role', pg_catalog.to_jsonb(p_role::pg_catalog.text)), 2
                                UNION ALL
                                SELECT pg_catalog.jsonb_build_array('other', o.j -> t.attname::pg_catalog.text), 3
                                  FROM pg_catalog.unnest(v_others) o(j)
                                  JOIN pg_catalog.pg_attribute t
                                    ON t.attrelid = p_table AND t.attnum > 0 AND NOT t.attisdropped
                                  JOIN pg_catalog.pg_type tt ON tt.oid = t.atttypid
                                 WHERE (t.atttypid = v_col.atttypid
                                        OR tt.typcategory = v_col.typcategory AND tt.typcategory IN ('N', 'S'))
                                   AND pg_catalog.jsonb_typeof(o.j -> t.attname::pg_catalog.text) <> 'null'
                                UNION ALL
                                SELECT pg_catalog.jsonb_build_array('own', r.j -> v_col.attname::pg_catalog.text), 4
                                  FROM pg_catalog.unnest(v_rows) r(j)
                                 WHERE pg_catalog.jsonb_typeof(r.j -> v_col.attname::pg_catalog.text) <> 'null') u
                         ORDER BY u.e, u.r) d
                 ORDER BY d.r LIMIT 16) w
          INTO v_f;
        v_pool := v_pool || pg_catalog.jsonb_build_object(v_col.attname, v_f);
        IF v_col.ins THEN
            v_ins := v_ins || v_col.attname;
            v_set := v_set || v_col.attname;
        END IF;
        IF v_col.upd THEN
            v_upd := v_upd || v_col.attname;
        END IF;
    END LOOP;

    -- the truncate: the table emptied as the caller
    IF 'truncate' = ANY (p_kinds) THEN
        RETURN QUERY SELECT 'truncate', NULL::text, NULL::text, ARRAY['DELETE FROM ' || v_m], NULL::text,
                            ARRAY[NULL::jsonb], NULL::tid[], true, false;
    END IF;
    -- the inserts: copies with one column from its pool, and new rows
    -- with one column A's (or the role's) and another another tenant's
    IF v_may_insert THEN
        v_insert := pg_catalog.format(
            'INSERT INTO %1$s (%2$s) SELECT %2$s FROM pg_catalog.jsonb_populate_record(NULL::%1$s, $1) ON CONFLICT DO NOTHING',
            v_m, (SELECT pg_catalog.string_agg(pg_catalog.format('%I', x), ', ' ORDER BY o)
                    FROM pg_catalog.unnest(v_ins) WITH ORDINALITY u(x, o)));
        RETURN QUERY
        WITH cand(j, obj, bare) AS (
            SELECT r.j, pg_catalog.jsonb_build_object(c.c, e.e -> 1), false
              FROM pg_catalog.unnest(v_rows) r(j), pg_catalog.unnest(v_set) c(c),
                   LATERAL pg_catalog.jsonb_array_elements(v_pool -> c.c::pg_catalog.text) e(e)
            UNION ALL
            SELECT coalesce(v_rows[1], '{}'), pg_catalog.jsonb_build_object(c.c, e.e -> 1, d.d, f.f -> 1),
                   v_rows IS NULL
              FROM pg_catalog.unnest(v_set) c(c), pg_catalog.unnest(v_set) d(d),
                   LATERAL pg_catalog.jsonb_array_elements(v_pool -> c.c::pg_catalog.text) e(e),
                   LATERAL pg_catalog.jsonb_array_elements(v_pool -> d.d::pg_catalog.text) f(f)
             WHERE c.c <> d.d AND e.e ->> 0 IN ('tenant', 'role') AND f.f ->> 0 = 'other'),
        numbered AS (SELECT pg_catalog.row_number() OVER () AS n, cand.* FROM cand LIMIT 4096)
        SELECT 'insert', NULL::text, NULL::text,
               pg_catalog.array_agg(CASE WHEN x.bare THEN pg_catalog.format(
                   'INSERT INTO %1$s (%2$s) SELECT %2$s FROM pg_catalog.jsonb_populate_record(NULL::%1$s, $1) ON CONFLICT DO NOTHING',
                   v_m, (SELECT pg_catalog.string_agg(pg_catalog.format('%I', y), ', ' ORDER BY o)
                           FROM pg_catalog.unnest(v_ins) WITH ORDINALITY u(y, o)
                          WHERE x.obj ? y OR v_fresh ? y))
                    ELSE v_insert END ORDER BY x.n),
               NULL::text,
               pg_catalog.array_agg(x.j
               || (SELECT coalesce(pg_catalog.jsonb_object_agg(f.key,
                              CASE WHEN pg_catalog.jsonb_typeof(f.value) = 'number'
                                   THEN pg_catalog.to_jsonb(f.value::pg_catalog.text::pg_catalog.numeric + x.n)
                                   WHEN f.value = '"uuid"' THEN pg_catalog.to_jsonb(pg_catalog.gen_random_uuid())
                                   ELSE 'null' END), '{}')
                     FROM pg_catalog.jsonb_each(v_fresh) f)
               || x.obj ORDER BY x.n),
               NULL::tid[], false, false
          FROM numbered x
        HAVING pg_catalog.count(*) > 0;
    END IF;
    -- the updates: each column and value of its pool
    IF 'update' = ANY (p_kinds) THEN
        RETURN QUERY
        SELECT 'update', c.c::pg_catalog.text, e.e ->> 0,
               ARRAY[pg_catalog.format(
                   'UPDATE %1$s SET %2$I = (pg_catalog.jsonb_populate_record(NULL::%1$s, $1)).%2$I', v_m, c.c)],
               pg_catalog.format(
                   'UPDATE %1$s SET %2$I = (pg_catalog.jsonb_populate_record(NULL::%1$s, $1)).%2$I
                     WHERE ctid OPERATOR(pg_catalog.=) $2', v_m, c.c),
               ARRAY[pg_catalog.jsonb_build_object(c.c, e.e -> 1)],
               coalesce(v_ctids, '{}'), false, true
          FROM pg_catalog.unnest(v_upd) WITH ORDINALITY c(c, o),
               LATERAL pg_catalog.jsonb_array_elements(v_pool -> c.c::pg_catalog.text) WITH ORDINALITY e(e, o)
         ORDER BY c.o, e.o;
    END IF;
    IF 'delete' = ANY (p_kinds) THEN
        RETURN QUERY SELECT 'delete', NULL::text, NULL::text, ARRAY['DELETE FROM ' || v_m], NULL::text,
                            ARRAY[NULL::jsonb], NULL::tid[], false, false;
    END IF;
END
$probe$;
COMMENT ON FUNCTION rls_audit._lookup_writes(name, regclass, text[], name[], regclass, name, text, text, text, text[], integer) IS
    'rls_audit internal: the INSERT, UPDATE and DELETE statements (and what a TRUNCATE would leave) the lookup probes run on a table a policy reads';

-- One group of _lookup_writes' statements (the truncate, all the inserts,
-- one update, the delete) run in the current subtransaction: the truncate
-- as the caller (row security off), the others as the role with its
-- settings (p_names, p_values; SET LOCAL ROLE or SESSION AUTHORIZATION, as
-- _probe takes the role), each insert in a block of its own; an UPDATE
-- (p_update) that fails for all rows at once (a unique column) runs on one
-- row at a time. Returns how many rows they wrote. The role's statements
-- run under its own settings, search_path included, as in its own
-- session: once the role is taken nothing here names an operator or an
-- unqualified function. The role and its settings stay until the caller's
-- block ends, but search_path (pinned again when this returns: the caller
-- sets the role's again before it runs anything as the role).
CREATE FUNCTION rls_audit._lookup_group(
    p_role name, p_names text[], p_values text[], p_truncate boolean, p_update boolean,
    p_sql text[], p_one text, p_arg jsonb[], p_ctids tid[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    i int;
    j int;
    v_rows bigint := 0;
    v_k bigint;
    v_n int := coalesce(pg_catalog.array_length(p_sql, 1), 0);
    v_nc int := coalesce(pg_catalog.array_length(p_ctids, 1), 0);
    v_ns int := coalesce(pg_catalog.array_length(p_names, 1), 0);
    v_session boolean := session_user OPERATOR(pg_catalog.=) current_user
                         AND pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none'
                         AND pg_catalog.current_setting('is_superuser') OPERATOR(pg_catalog.=) 'on';
BEGIN
    PERFORM pg_catalog.set_config('lock_timeout', '1s', true);
    IF p_truncate THEN
        PERFORM pg_catalog.set_config('row_security', 'off', true);
        EXECUTE p_sql[1];
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        RETURN v_rows;
    END IF;
    IF v_session THEN
        PERFORM pg_catalog.set_config('session_authorization', p_role, true);
    ELSE
        PERFORM pg_catalog.set_config('role', p_role, true);
    END IF;
    FOR i IN 1 .. v_ns LOOP
        IF p_values[i] IS NOT NULL THEN
            PERFORM pg_catalog.set_config(p_names[i], p_values[i], true);
        ELSIF pg_catalog.current_setting(p_names[i], true) IS NOT NULL THEN
            PERFORM pg_catalog.set_config(p_names[i], NULL, true);
        END IF;
    END LOOP;
    FOR i IN 1 .. v_n LOOP
        BEGIN
            EXECUTE p_sql[i] USING p_arg[i];
            GET DIAGNOSTICS v_k = ROW_COUNT;
            v_rows := pg_catalog.int8pl(v_rows, v_k);
        EXCEPTION WHEN OTHERS THEN
            -- one row at a time (a unique column refuses them all at once)
            IF p_update THEN
                FOR j IN 1 .. v_nc LOOP
                    BEGIN
                        EXECUTE p_one USING p_arg[i], p_ctids[j];
                        GET DIAGNOSTICS v_k = ROW_COUNT;
                        v_rows := pg_catalog.int8pl(v_rows, v_k);
                    EXCEPTION WHEN OTHERS THEN NULL;
                    END;
                END LOOP;
            END IF;
        END;
    END LOOP;
    RETURN v_rows;
END
$probe$;
COMMENT ON FUNCTION rls_audit._lookup_group(name, text[], text[], boolean, boolean, text[], text, jsonb[], tid[]) IS
    'rls_audit internal: one group of the lookup probes'' writes, as the role (the truncate''s as the caller); the caller rolls them back';

-- The read probe after each group (p_sql: foreign_visible's count of rows
-- of other tenants, as the role with A's settings p_settings). One row per
-- kind whose read saw rows of another tenant: kind, column, what the value
-- was, the rows seen (the first update that opened any); or one row with
-- the SQLSTATE when the probe could not be set up. Every write waits for a
-- lock at most lock_timeout = 1s; a statement that fails wrote nothing.
CREATE FUNCTION rls_audit._lookup_probe(
    p_role name, p_settings text[], p_lookup regclass, p_kinds text[], p_volatile name[],
    p_table regclass, p_col name, p_type text, p_eq text, p_tenant text, p_others text[],
    p_rows integer, p_sql text, p_args text[])
RETURNS TABLE (o_kind text, o_column text, o_source text, o_rows bigint, o_state text,
               o_message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    v_n int := coalesce(pg_catalog.array_length(p_settings, 1), 0) / 2;
    v_names text[] := ARRAY(SELECT p_settings[2 * g - 1] FROM pg_catalog.generate_series(1, v_n) g ORDER BY g);
    v_values text[] := ARRAY(SELECT p_settings[2 * g] FROM pg_catalog.generate_series(1, v_n) g ORDER BY g);
    -- the role's own search_path, when its settings have one
    v_path boolean := 'search_path' = ANY (v_names);
    v_path_value text := v_values[pg_catalog.array_position(v_names, 'search_path')];
    v_results text[] := '{}';
    v_said text[] := '{}';
    g record;
    v_result text[];
BEGIN
    BEGIN
        FOR g IN
            SELECT * FROM rls_audit._lookup_writes(p_role, p_lookup, p_kinds, p_volatile, p_table, p_col,
                                                   p_type, p_eq, p_tenant, p_others, p_rows)
        LOOP
            IF g.o_kind = ANY (v_said) THEN
                CONTINUE;  -- the first update that opened rows says it
            END IF;
            v_result := NULL;
            BEGIN
                -- (as the role from here to the rollback: see _lookup_group)
                PERFORM rls_audit._lookup_group(p_role, v_names, v_values, g.o_truncate, g.o_update,
                                                g.o_sqls, g.o_one, g.o_args, g.o_ctids);
                IF g.o_truncate THEN
                    -- the read as the role, the table emptied as the caller
                    SELECT r.o_result INTO v_result
                      FROM rls_audit._probe(p_role, p_settings, p_sql, p_args, false) r
                     WHERE r.o_state OPERATOR(pg_catalog.=) '00000';
                ELSE
                    IF v_path THEN
                        PERFORM pg_catalog.set_config('search_path', v_path_value, true);
                    END IF;
                    EXECUTE p_sql INTO v_result USING p_args;
                END IF;
                RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
            EXCEPTION WHEN OTHERS THEN
                NULL;
            END;
            IF v_result[1]::pg_catalog.int8 > 0 THEN
                v_results := v_results || ARRAY[g.o_kind, g.o_column, g.o_source, v_result[1], '00000', NULL];
                v_said := v_said || g.o_kind;
            END IF;
        END LOOP;
        RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE <> 'RA000' THEN
            v_results := ARRAY[NULL, NULL, NULL, NULL, SQLSTATE, SQLERRM];
        END IF;
    END;
    RETURN QUERY SELECT * FROM rls_audit._sextuples(v_results);
END
$probe$;
COMMENT ON FUNCTION rls_audit._lookup_probe(name, text[], regclass, text[], name[], regclass, name, text, text, text, text[], integer, text, text[]) IS
    'rls_audit internal: a read probe as a role after its own INSERT, UPDATE or DELETE (or what its TRUNCATE would leave) on a table a read policy reads, always rolled back';

-- The write probe after each group that wrote a row (rls_audit._write_probe
-- with the arguments after p_rows, the checks' variants too, as the caller
-- again, with its own
-- settings, once the group's writes are in: the shadow's policies read the
-- lookup table as the real ones do). Per group, the write probe's rows,
-- with the group's number, kind, column and value's source in front; one
-- row with the SQLSTATE when the group or the probe could not be set up.
CREATE FUNCTION rls_audit._lookup_write_probe(
    p_role name, p_lookup regclass, p_kinds text[], p_volatile name[],
    p_table regclass, p_col name, p_type text, p_eq text, p_tenant text, p_others text[],
    p_rows integer,
    p_settings text[], p_setting text, p_tenants text[], p_shadow_rows integer, p_applies boolean,
    p_policies text[], p_gt text, p_other_tenants integer, p_screen text[], p_default text,
    p_variants text[] DEFAULT NULL)
RETURNS TABLE (o_group integer, o_kind text, o_column text, o_source text, o_tenant text,
               o_check text, o_value text, o_rows bigint, o_state text, o_message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    v_n int := coalesce(pg_catalog.array_length(p_settings, 1), 0) / 2;
    -- A's settings: the role's, then the tenant setting
    v_names text[] := ARRAY(SELECT p_settings[2 * g - 1] FROM pg_catalog.generate_series(1, v_n) g ORDER BY g)
                      || p_setting::pg_catalog.text;
    v_values text[] := ARRAY(SELECT p_settings[2 * g] FROM pg_catalog.generate_series(1, v_n) g ORDER BY g)
                       || p_tenant;
    -- and the caller's, to go back to
    v_before text[] := ARRAY(SELECT pg_catalog.current_setting(x.x, true)
                               FROM pg_catalog.unnest(v_names) WITH ORDINALITY x(x, o) ORDER BY x.o);
    v_session text := session_user;
    v_role text := pg_catalog.current_setting('role');
    v_by_session boolean := session_user = current_user AND pg_catalog.current_setting('role') = 'none'
                            AND pg_catalog.current_setting('is_superuser') = 'on';
    v_ns int := v_n + 1;
    v_results text[] := '{}';
    g record;
    i int;
    v_wrote bigint;
    v_group text[];
    v_n_group int := 0;
BEGIN
    BEGIN
        FOR g IN
            SELECT * FROM rls_audit._lookup_writes(p_role, p_lookup, p_kinds, p_volatile, p_table, p_col,
                                                   p_type, p_eq, p_tenant, p_others, p_rows)
        LOOP
            v_group := NULL;
            v_n_group := v_n_group + 1;
            BEGIN
                -- (as the role until the caller is taken back: see _lookup_group)
                v_wrote := rls_audit._lookup_group(p_role, v_names, v_values, g.o_truncate, g.o_update,
                                                   g.o_sqls, g.o_one, g.o_args, g.o_ctids);
                IF v_wrote OPERATOR(pg_catalog.>) 0 THEN
                    IF NOT g.o_truncate THEN
                        IF v_by_session THEN
                            PERFORM pg_catalog.set_config('session_authorization', v_session, true);
                        ELSE
                            PERFORM pg_catalog.set_config('role', v_role, true);
                        END IF;
                        FOR i IN 1 .. v_ns LOOP
                            PERFORM pg_catalog.set_config(v_names[i], v_before[i], true);
                        END LOOP;
                    END IF;
                    SELECT coalesce(pg_catalog.array_agg(x.x ORDER BY w.n, x.o), '{}')
                      FROM (SELECT pg_catalog.row_number() OVER () AS n, r.*
                              FROM rls_audit._write_probe(p_role, p_table, p_col, p_settings, p_setting,
                                                          p_tenants, p_shadow_rows, p_applies, p_policies,
                                                          p_type, p_eq, p_gt, p_other_tenants, p_screen,
                                                          p_default, p_variants) r) w,
                           LATERAL pg_catalog.unnest(ARRAY[v_n_group::pg_catalog.text, g.o_kind, g.o_column,
                                                           g.o_source, w.o_tenant,
                                                           w.o_check, w.o_value, w.o_rows::pg_catalog.text,
                                                           w.o_state, w.o_message]) WITH ORDINALITY x(x, o)
                      INTO v_group;
                END IF;
                RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
            EXCEPTION WHEN OTHERS THEN
                IF SQLSTATE <> 'RA000' THEN
                    v_group := ARRAY[v_n_group::pg_catalog.text, g.o_kind, g.o_column, g.o_source,
                                     NULL, NULL, NULL, NULL, SQLSTATE, SQLERRM];
                END IF;
            END;
            v_results := v_results || coalesce(v_group, '{}');
        END LOOP;
        RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE <> 'RA000' THEN
            v_results := ARRAY['0', NULL, NULL, NULL, NULL, NULL, NULL, NULL, SQLSTATE, SQLERRM];
        END IF;
    END;
    RETURN QUERY
    SELECT v_results[10 * s.s - 9]::pg_catalog.int4, v_results[10 * s.s - 8], v_results[10 * s.s - 7],
           v_results[10 * s.s - 6], v_results[10 * s.s - 5], v_results[10 * s.s - 4], v_results[10 * s.s - 3],
           v_results[10 * s.s - 2]::pg_catalog.int8, v_results[10 * s.s - 1], v_results[10 * s.s]
      FROM pg_catalog.generate_series(1, coalesce(pg_catalog.array_length(v_results, 1), 0) / 10) AS s(s)
     ORDER BY s.s;
END
$probe$;
COMMENT ON FUNCTION rls_audit._lookup_write_probe(name, regclass, text[], name[], regclass, name, text, text, text, text[], integer, text[], text, text[], integer, boolean, text[], text, integer, text[], text, text[]) IS
    'rls_audit internal: the write probe after a role''s own INSERT, UPDATE or DELETE (or what its TRUNCATE would leave) on a table a write policy reads, always rolled back';

-- The replace probe of the write policies: a function that a policy
-- checking writes (INSERT, UPDATE, DELETE or ALL) calls, and that the role
-- may replace, is replaced as p_replacer (the role, or the owner after
-- SET ROLE) with a plain body (p_replace), and the write probe then runs
-- on its shadow (rls_audit._write_probe, the same arguments after the
-- first two, the checks' variants too; the shadow's policies call the
-- function as the real ones do); its rows are kept until everything is
-- rolled back: the function as it was, for everyone (nobody else ever
-- sees the replacement).
CREATE FUNCTION rls_audit._replace_write_probe(
    p_replacer name, p_replace text,
    p_role name, p_table regclass, p_col name, p_settings text[], p_setting text,
    p_tenants text[], p_rows integer, p_applies boolean, p_policies text[],
    p_type text, p_eq text, p_gt text, p_others integer, p_screen text[], p_default text,
    p_variants text[] DEFAULT NULL)
RETURNS TABLE (o_tenant text, o_check text, o_value text, o_rows bigint, o_state text,
               o_message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    v_role text := pg_catalog.current_setting('role');
    v_results text[] := '{}';
BEGIN
    BEGIN
        PERFORM pg_catalog.set_config('role', p_replacer, true);
        EXECUTE p_replace;
        PERFORM pg_catalog.set_config('role', v_role, true);
        SELECT coalesce(pg_catalog.array_agg(x.x ORDER BY w.n, x.o), '{}')
          FROM (SELECT pg_catalog.row_number() OVER () AS n, r.*
                  FROM rls_audit._write_probe(p_role, p_table, p_col, p_settings, p_setting, p_tenants,
                                              p_rows, p_applies, p_policies, p_type, p_eq, p_gt,
                                              p_others, p_screen, p_default, p_variants) r) w,
               LATERAL pg_catalog.unnest(ARRAY[w.o_tenant, w.o_check, w.o_value, w.o_rows::pg_catalog.text,
                                               w.o_state, w.o_message]) WITH ORDINALITY x(x, o)
          INTO v_results;
        RAISE EXCEPTION USING ERRCODE = 'RA000', MESSAGE = 'rls_audit probe rollback';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE <> 'RA000' THEN
            v_results := ARRAY[NULL, NULL, NULL, NULL, SQLSTATE, SQLERRM];
        END IF;
    END;
    RETURN QUERY SELECT * FROM rls_audit._sextuples(v_results);
END
$probe$;
COMMENT ON FUNCTION rls_audit._replace_write_probe(name, text, name, regclass, name, text[], text, text[], integer, boolean, text[], text, text, text, integer, text[], text, text[]) IS
    'rls_audit internal: the write probe after the role replaced a function a write policy calls (CREATE OR REPLACE FUNCTION), always rolled back';
