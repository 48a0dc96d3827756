-- The DDL audit trigger teams write by hand today (the peer that SPEC §5
-- asks rls_audit's capture to stay within 1.25x of): a PL/pgSQL
-- ddl_command_end + sql_drop pair inserting what
-- pg_event_trigger_ddl_commands() / pg_event_trigger_dropped_objects()
-- report, with the query text. No before/after, no chain, no tracked state.
CREATE SCHEMA audit;
CREATE TABLE audit.ddl_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    who         name NOT NULL DEFAULT current_user,
    tag         text,
    object_type text,
    identity    text,
    query       text
);
CREATE FUNCTION audit.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit.ddl_log (tag, object_type, identity, query)
    SELECT command_tag, object_type, object_identity, current_query()
      FROM pg_event_trigger_ddl_commands();
END $$;
CREATE FUNCTION audit.on_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit.ddl_log (tag, object_type, identity, query)
    SELECT tg_tag, object_type, object_identity, current_query()
      FROM pg_event_trigger_dropped_objects();
END $$;
CREATE EVENT TRIGGER audit_ddl ON ddl_command_end EXECUTE FUNCTION audit.on_ddl();
CREATE EVENT TRIGGER audit_drop ON sql_drop EXECUTE FUNCTION audit.on_drop();
