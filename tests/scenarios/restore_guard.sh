#!/usr/bin/env bash
# restore_script() guards itself: a rollback written before a change window
# and replayed with `psql -v ON_ERROR_STOP=1 -f` after someone else changed
# a policy stops at its guard (55000, both fingerprints named) with nothing
# changed; once the state is back to what the script was written against,
# the same file restores the snapshot. Runs against the test cluster.
set -euo pipefail
(($# == 0)) || { echo "usage: tests/scenarios/restore_guard.sh (no arguments; settings come from the environment)" >&2; exit 2; }
db=rls_audit_guard
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d $db "$@"; }
psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
q >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE SCHEMA "Billing Ω";
CREATE TABLE "Billing Ω"."Invoices" (id int PRIMARY KEY, tenant_id int NOT NULL, paid boolean);
ALTER TABLE "Billing Ω"."Invoices" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant read" ON "Billing Ω"."Invoices" FOR SELECT
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
CREATE POLICY tenant_write ON "Billing Ω"."Invoices" FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT rls_audit.snapshot('before the window');
-- the change window: the read policy goes; the rollback is written now
DROP POLICY "tenant read" ON "Billing Ω"."Invoices";
SQL
q -c "SELECT rls_audit.restore_script('before the window')" >"$work/rollback.sql"
posture() { q -c "SELECT md5(string_agg(format('%s|%s|%s|%s', tablename, policyname, qual, with_check), ',' ORDER BY policyname)) FROM pg_policies WHERE schemaname = 'Billing Ω'"; }
fail=0

# someone else changes a policy before the rollback is replayed
q -c "ALTER POLICY tenant_write ON \"Billing Ω\".\"Invoices\" USING (paid IS NOT TRUE)"
before=$(posture)
set +e
out=$(psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d $db -f "$work/rollback.sql" 2>&1)
rc=$?
set -e
after=$(posture)
guarded=$(grep -c 'ERROR:  55000: the live RLS state has fingerprint [0-9a-f]\{64\}, not [0-9a-f]\{64\}' <<<"$out" || true)
if [ "$rc" = 0 ] || [ "$guarded" != 1 ] || [ "$before" != "$after" ]; then
    echo "a moved state: psql exit $rc, guard errors $guarded, policies unchanged $([ "$before" = "$after" ] && echo yes || echo no)"
    echo "$out"
    fail=1
fi
restored_while_moved=$(q -c "SELECT count(*) FROM pg_policies WHERE policyname = 'tenant read'")

# the other change is undone: the same file now restores the snapshot
q -c "ALTER POLICY tenant_write ON \"Billing Ω\".\"Invoices\" USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)"
set +e
out2=$(psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$work/rollback.sql" 2>&1)
rc2=$?
set -e
drift_rows=$(q -c "SELECT count(*) FROM rls_audit.drift('before the window') WHERE change NOT LIKE 'role%' AND change NOT LIKE 'access%'")
if [ "$rc2" != 0 ] || [ "$drift_rows" != 0 ]; then
    echo "the unchanged state: psql exit $rc2, drift rows after the restore $drift_rows"
    echo "$out2"
    fail=1
fi
# replayed twice, the script refuses: the state is no longer the one it was written against
set +e
psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$work/rollback.sql" >/dev/null 2>&1
rc3=$?
set -e
[ "$rc3" != 0 ] || { echo "a second replay ran"; fail=1; }

echo "restore_guard: moved state: psql exit $rc, guard stopped it $guarded time(s), policies unchanged $([ "$before" = "$after" ] && echo yes || echo no), dropped policy restored while moved $restored_while_moved; unchanged state: psql exit $rc2, drift rows after $drift_rows; second replay exit $rc3"
psql -X -q -d postgres -c "DROP DATABASE $db WITH (FORCE)"
exit $fail
