-- rls_audit 0.2.0 -> 0.3.0: the guarantees that hold under attack.
-- Everything a fresh 0.3.0 install has that 0.2.0 did not; the upgrade test
-- checks that the two end up with exactly the same objects.

-- Snapshots keep each object's identity, so drift follows renames within
-- one database (rows taken by 0.2.0 have none and are compared by name).
ALTER TABLE @extschema@.snapshot_meta ADD COLUMN db_ident text;
ALTER TABLE @extschema@.snapshot_policies
    ADD COLUMN policy_oid oid, ADD COLUMN table_oid oid, ADD COLUMN tree text,
    ADD COLUMN role_oids oid[];
ALTER TABLE @extschema@.snapshot_tables ADD COLUMN table_oid oid;
ALTER TABLE @extschema@.snapshot_roles ADD COLUMN role_oid oid;

-- lint_ignore: the natural insert of what lint() prints (object_name, and
-- optionally its schema_name) silences that finding.
ALTER TABLE @extschema@.lint_ignore ADD COLUMN schema_name name;
ALTER TABLE @extschema@.lint_ignore DROP CONSTRAINT lint_ignore_pkey;
CREATE UNIQUE INDEX lint_ignore_one_row
    ON @extschema@.lint_ignore (lint, object, (coalesce(schema_name, ''::name)));
