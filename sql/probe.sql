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
CREATE FUNCTION rls_audit._probe(
    p_role name, p_settings text[], p_sql text, p_args text[], p_count boolean,
    OUT o_result text[], OUT o_state text, OUT o_message text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $probe$
DECLARE
    i int;
    n bigint;
BEGIN
    o_state := '00000';
    BEGIN
        FOR i IN 1 .. coalesce(array_length(p_settings, 1), 0) / 2 LOOP
            IF p_settings[2 * i] IS NOT NULL THEN
                PERFORM set_config(p_settings[2 * i - 1], p_settings[2 * i], true);
            ELSIF current_setting(p_settings[2 * i - 1], true) IS NOT NULL THEN
                -- a setting this session already defines cannot be undefined;
                -- its reset value is the closest PostgreSQL has to "unset"
                PERFORM set_config(p_settings[2 * i - 1], NULL, true);
            END IF;
        END LOOP;
        IF p_role IS NOT NULL THEN
            EXECUTE format('SET LOCAL ROLE %I', p_role);
        END IF;
        IF p_count THEN
            EXECUTE p_sql USING p_args;
            GET DIAGNOSTICS n = ROW_COUNT;
            o_result := ARRAY[n::text];
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
