-- rls_audit capture: the hash that chains the event log.
-- One definition for writing and for verifying, so they cannot disagree.
-- The timestamp goes in as epoch microseconds and the address through
-- host(), so the text hashed does not depend on TimeZone or DateStyle.
CREATE FUNCTION rls_audit._event_hash(
    id bigint, occurred_at timestamptz, txid bigint, session_user_name name,
    current_user_name name, application_name text, client_addr inet, command_tag text,
    change text, schema_name name, table_name name, policy_name name, before jsonb,
    after jsonb, statement text, ticket text, prev_hash text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_array(
        id, (EXTRACT(epoch FROM occurred_at) * 1000000)::bigint, txid, session_user_name,
        current_user_name, application_name, pg_catalog.host(client_addr), command_tag, change,
        schema_name, table_name, policy_name, before, after, statement, ticket, prev_hash)::text,
        'UTF8')), 'hex')
$$;
COMMENT ON FUNCTION rls_audit._event_hash(bigint, timestamptz, bigint, name, name, text, inet, text, text, name, name, name, jsonb, jsonb, text, text, text) IS
    'rls_audit internal: SHA-256 of one event''s canonical content and the previous event''s hash';

-- "Constantly true" is what PostgreSQL's constant folding says: the
-- planner reduces a constant WHERE clause to nothing (true) or to a
-- one-time filter "false". EXPLAIN plans and never executes; rls_audit
-- hands over only expressions that name no column and nothing outside
-- pg_catalog (src/expr.rs), and this runs with the caller's own rights.
-- NULL: not a constant (or not an expression at all).
CREATE FUNCTION rls_audit._folds_to(expr text) RETURNS boolean
-- VOLATILE only because PostgreSQL runs no utility statement (EXPLAIN) in a
-- STABLE function; it reads nothing and writes nothing
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fold$
DECLARE
    plan json;
    node json;
BEGIN
    EXECUTE 'EXPLAIN (COSTS OFF, FORMAT JSON) SELECT 1 WHERE (' || expr || ')::boolean' INTO plan;
    node := plan -> 0 -> 'Plan';
    IF node ->> 'Node Type' = 'Result' AND node -> 'Plans' IS NULL THEN
        IF node ->> 'One-Time Filter' IS NULL THEN
            RETURN true;
        ELSIF node ->> 'One-Time Filter' = 'false' THEN
            RETURN false;
        END IF;
    END IF;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$fold$;
COMMENT ON FUNCTION rls_audit._folds_to(text) IS
    'rls_audit internal: true/false when PostgreSQL''s planner folds a constant boolean expression to that value, NULL otherwise';
