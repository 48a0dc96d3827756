-- The defect fixtures' roles (benches/defects.sql) are cluster-wide: drop
-- them, and what they own or were granted in the current database. Run by
-- defects.sql before it creates them, and by benches/peer.sh and
-- tests/scenarios/ci_outputs.sh after they drop the fixtures' database.
DO $$
DECLARE r text;
BEGIN
    FOR r IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname LIKE 'peer\_%' LOOP
        EXECUTE format('DROP OWNED BY %I CASCADE', r);
    END LOOP;
    FOR r IN SELECT rolname FROM pg_catalog.pg_roles WHERE rolname LIKE 'peer\_%' LOOP
        EXECUTE format('DROP ROLE %I', r);
    END LOOP;
END $$;
