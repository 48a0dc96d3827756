#!/usr/bin/env bash
# pg_dump | psql and pg_dump -Fc | pg_restore into fresh databases: the
# history arrives identical (same ids and hashes, no duplicates, nothing
# recorded by the restore itself), the chain verifies, nothing is untracked,
# and capture and drift() go on. Runs against the test cluster.
set -euo pipefail
(($# == 0)) || { echo "usage: tests/scenarios/dump_restore.sh (no arguments; settings come from the environment)" >&2; exit 2; }
src=rls_audit_dump_src
q() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }
for db in $src rls_audit_dump_plain rls_audit_dump_custom; do
    q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
done
q -d postgres -c "CREATE DATABASE $src"
q -d $src >/dev/null <<'SQL'
SET client_min_messages = warning;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dump_app') THEN CREATE ROLE dump_app; END IF;
END $$;
CREATE EXTENSION rls_audit;
CREATE SCHEMA "Intake Ω";
CREATE TABLE "Intake Ω"."forms ""v2""" (id int PRIMARY KEY, tenant_id int);
ALTER TABLE "Intake Ω"."forms ""v2""" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Tenant ""Read""" ON "Intake Ω"."forms ""v2""" FOR SELECT TO dump_app
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT rls_audit.snapshot('before-dump');
CREATE POLICY allow_all ON "Intake Ω"."forms ""v2""" USING (true);
ALTER TABLE "Intake Ω"."forms ""v2""" FORCE ROW LEVEL SECURITY;
SELECT rls_audit.check_drift('before-dump');
INSERT INTO rls_audit.lint_ignore (lint, object, reason)
VALUES ('policy_to_public', '"Intake Ω"."forms ""v2""".allow_all', 'kept for the dump test');
SELECT rls_audit.freeze('dump test window');
SQL
fingerprint() {
    q -d "$1" <<'SQL'
SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
    SELECT 's' || id || label || fingerprint || is_baseline AS x FROM rls_audit.snapshots
    UNION ALL SELECT 'e' || id || hash || coalesce(prev_hash, '') FROM rls_audit.events
    UNION ALL SELECT 'd' || id || critical || high FROM rls_audit.drift_runs
    UNION ALL SELECT 'i' || lint || object || reason FROM rls_audit.lint_ignore
    UNION ALL SELECT 'f' || reason FROM rls_audit.freeze_state
    UNION ALL SELECT 't' || schema_name || table_name || policy_name FROM rls_audit.tracked_policies
    UNION ALL SELECT 'p' || count(*) FROM rls_audit.snapshot_policies) h;
SQL
}
want=$(fingerprint $src)
events_src=$(q -d $src -c "SELECT count(*) FROM rls_audit.events")
fail=0
check() {  # check DB: the history is the source's, and everything still works
    local db=$1 how=$2 got untracked broken n_events drift_rows after
    got=$(fingerprint "$db")
    untracked=$(q -d "$db" -c "SELECT count(*) FROM rls_audit.untracked_changes()")
    broken=$(q -d "$db" -c "SELECT count(*) FROM rls_audit.verify_log()")
    n_events=$(q -d "$db" -c "SELECT count(*) FROM rls_audit.events")
    drift_rows=$(q -d "$db" -c "SELECT count(*) FROM rls_audit.drift('before-dump')")
    # capture goes on after the restore (a ticketed change: the freeze came along)
    after=$(q -d "$db" <<'SQL'
SET rls_audit.ticket = 'CHG-after-restore';
DROP POLICY allow_all ON "Intake Ω"."forms ""v2""";
SELECT count(*) || ' ' || (SELECT count(*) FROM rls_audit.verify_log()) FROM rls_audit.events;
SQL
)
    # as exact as in the original: renames of a restored table, policy and
    # schema are renames (their OIDs changed with the restore), and an
    # unrelated ALTER TABLE records nothing
    renames=$(q -d "$db" <<'SQL'
SET rls_audit.ticket = 'CHG-renames';
ALTER TABLE "Intake Ω"."forms ""v2""" RENAME TO "forms v3";
ALTER POLICY "Tenant ""Read""" ON "Intake Ω"."forms v3" RENAME TO tenant_read;
ALTER SCHEMA "Intake Ω" RENAME TO intake;
ALTER TABLE intake."forms v3" ADD COLUMN note text;
SELECT string_agg(change, ',' ORDER BY id) || ' untracked ' || (SELECT count(*) FROM rls_audit.untracked_changes())
  FROM rls_audit.events WHERE ticket = 'CHG-renames';
SQL
)
    echo "dump_restore ($how): history identical: $([ "$got" = "$want" ] && echo yes || echo NO), events $n_events (source $events_src), untracked $untracked, broken links $broken, drift rows $drift_rows, after one more DDL: events/broken $after, then: $renames"
    [ "$got" = "$want" ] && [ "$n_events" = "$events_src" ] && [ "$untracked" = 0 ] && [ "$broken" = 0 ] \
        && [ "$drift_rows" -gt 0 ] && [ "$after" = "$((events_src + 1)) 0" ] \
        && [ "$renames" = "renamed,renamed,renamed untracked 0" ] || fail=1
}
q -d postgres -c "CREATE DATABASE rls_audit_dump_plain"
pg_dump "$src" | psql -X -q -v ON_ERROR_STOP=1 -d rls_audit_dump_plain >/dev/null
check rls_audit_dump_plain "pg_dump | psql"
q -d postgres -c "CREATE DATABASE rls_audit_dump_custom"
pg_dump -Fc "$src" | pg_restore -d rls_audit_dump_custom --exit-on-error
check rls_audit_dump_custom "pg_dump -Fc | pg_restore"
exit $fail
