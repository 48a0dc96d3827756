#!/usr/bin/env bash
# Hot standby: a streaming standby of the test cluster (pg_basebackup -R, its
# own socket and port, as postgres). On it the read-only functions work and
# agree with the primary; the writers stop with 25006 and a hint to use the
# primary; nothing logs an internal error. Then the standby is promoted,
# policies change on it, and the events continue the same chain and drift
# against the old baseline works. Runs against the test cluster.
set -euo pipefail
(($# == 0)) || { echo "usage: tests/scenarios/standby.sh (no arguments; settings come from the environment)" >&2; exit 2; }
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../../scripts/lib.sh"
db=rls_audit_standby
sdir=$WORK/standby
sport=54374
ssock=$sdir/sock
primary=(-h "$PGHOST" -p "$PGPORT")
standby=(-h "$ssock" -p "$sport")
q() { psql -X -qAt -v ON_ERROR_STOP=1 -U postgres "$@"; }
stop_standby() {
    [ -f "$sdir/data/PG_VERSION" ] && sudo -u postgres "$PG_BIN/pg_ctl" -D "$sdir/data" -w -m fast stop >/dev/null 2>&1
    rm -rf "$sdir"
}
stop_standby || true
trap 'stop_standby || true' EXIT

q "${primary[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
q "${primary[@]}" -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'standby_app') THEN CREATE ROLE standby_app; END IF;
END $$;
CREATE SCHEMA shop;
GRANT USAGE ON SCHEMA shop TO standby_app;
CREATE TABLE shop.orders (id int, tenant_id int);
INSERT INTO shop.orders SELECT g, 1 + g % 3 FROM generate_series(1, 30) g;
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.orders TO standby_app;
ALTER TABLE shop.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON shop.orders TO standby_app
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
SELECT rls_audit.snapshot('release');
CREATE POLICY "read all" ON shop.orders FOR SELECT TO standby_app USING (true);
SQL

install -d -o postgres -g postgres "$sdir" "$ssock"
sudo -u postgres "$PG_BIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$sdir/data" -R -X stream --checkpoint=fast >/dev/null
# the copied settings are the primary's (a standby needs at least its
# max_worker_processes and friends); the last lines give it its own socket
{
    echo "unix_socket_directories = '$ssock'"
    echo "port = $sport"
    echo "hot_standby = on"
} >>"$sdir/data/rls_audit.conf"
sudo -u postgres "$PG_BIN/pg_ctl" -D "$sdir/data" -w -t 60 -l "$sdir/server.log" start >/dev/null \
    || { tail -20 "$sdir/server.log"; exit 1; }

# wait until the standby has replayed everything the primary wrote
lsn=$(q "${primary[@]}" -d postgres -c "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 100); do
    caught=$(q "${standby[@]}" -d postgres -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" 2>/dev/null || echo f)
    [ "$caught" = t ] && break
    sleep 0.2
done
[ "$(q "${standby[@]}" -d $db -c "SELECT pg_is_in_recovery()")" = t ] || { echo "standby: not in recovery"; exit 1; }

fail=0
# the read-only functions: the same answer on both sides
reads=(
    "SELECT md5(string_agg(d::text, '|' ORDER BY d::text)) FROM rls_audit.drift('release') d"
    "SELECT md5(string_agg(l::text, '|' ORDER BY l::text)) FROM rls_audit.lint() l"
    "SELECT md5(coalesce(string_agg(v::text, '|' ORDER BY v::text), '')) FROM rls_audit.verify_log() v"
    "SELECT md5(coalesce(string_agg(u::text, '|' ORDER BY u::text), '')) FROM rls_audit.untracked_changes() u"
    "SELECT md5(string_agg(p::text, '|')) FROM rls_audit.probe('standby_app', 'shop.orders', '{\"app.tenant_id\": \"1\"}') p"
    "SELECT md5(string_agg(v::text, '|' ORDER BY v::text)) FROM rls_audit.verify_isolation('standby_app', 'app.tenant_id', write_probes => false) v"
    "SELECT md5(regexp_replace(rls_audit.restore_script('release'), 'generated at: [^\n]+', ''))"
    "SELECT md5(regexp_replace(rls_audit.report('release'), '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.+Z]+', '', 'g'))"
    "SELECT count(*) FROM (SELECT rls_audit.assert_no_drift('release', 'critical')) a"
)
for sql in "${reads[@]}"; do
    on_primary=$(q "${primary[@]}" -d $db -c "$sql")
    on_standby=$(q "${standby[@]}" -d $db -c "$sql" 2>&1) || true
    if [ "$on_primary" != "$on_standby" ]; then
        fail=1; echo "standby: differs from the primary: $sql"; echo "  primary: $on_primary"; echo "  standby: $on_standby"
    fi
done
# the writers: 25006 with a hint to use the primary
writes=(
    "SELECT rls_audit.snapshot('on the standby')"
    "SELECT rls_audit.check_drift()"
    "SELECT rls_audit.restore('release')"
    "SELECT rls_audit.freeze('no')"
    "SELECT count(*) FROM rls_audit.verify_isolation('standby_app', 'app.tenant_id')"
)
refused=0
for sql in "${writes[@]}"; do
    out=$(psql -X -qAt -U postgres "${standby[@]}" -d $db -v VERBOSITY=verbose -c "\\set VERBOSITY verbose" -c "$sql" 2>&1 || true)
    if grep -q "25006" <<<"$out" && grep -qi "run it on the primary" <<<"$out"; then
        refused=$((refused + 1))
    else
        fail=1; echo "standby: $sql was not refused with 25006 and a hint: $out"
    fi
done
internal=$(grep -c "rls_audit internal error\|XX000\|PANIC\|server process .* was terminated" "$sdir/server.log" || true)
[ "$internal" = 0 ] || { fail=1; echo "standby: $internal internal errors in its log"; }

# promotion: the standby captures on, the same chain, drift against the old baseline
events_before=$(q "${primary[@]}" -d $db -c "SELECT max(id) FROM rls_audit.events")
sudo -u postgres "$PG_BIN/pg_ctl" -D "$sdir/data" -w promote >/dev/null
for _ in $(seq 1 100); do
    [ "$(q "${standby[@]}" -d postgres -c "SELECT pg_is_in_recovery()")" = f ] && break
    sleep 0.2
done
after=$(q "${standby[@]}" -d $db <<'SQL'
SET client_min_messages = warning;
DROP POLICY "read all" ON shop.orders;
ALTER TABLE shop.orders FORCE ROW LEVEL SECURITY;
SELECT count(*) || ' ' || min(id) || ' '
       || (SELECT count(*) FROM rls_audit.verify_log()) || ' '
       || (SELECT count(*) FROM rls_audit.untracked_changes()) || ' '
       || (SELECT count(*) FROM rls_audit.drift('release') WHERE change NOT LIKE 'role%')
  FROM rls_audit.events WHERE id > (SELECT max(id) FROM rls_audit.events) - 2;
SELECT rls_audit.snapshot('after promotion') IS NOT NULL;
SQL
)
read -r new_events first_new broken untracked drift_rows snapped <<<"$(echo "$after" | tr '\n' ' ')"
echo "standby: ${#reads[@]} read-only checks agree with the primary, $refused of ${#writes[@]} writers refused with 25006, $internal internal errors; promoted: $new_events new events from id $first_new (primary ended at $events_before), broken links $broken, untracked $untracked, drift rows against the old baseline $drift_rows, snapshot after promotion $snapped"
[ "$new_events" = 2 ] && [ "$first_new" -gt "$events_before" ] && [ "$broken" = 0 ] && [ "$untracked" = 0 ] \
    && [ "$drift_rows" -gt 0 ] && [ "$snapped" = t ] || fail=1
q "${primary[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
exit $fail
