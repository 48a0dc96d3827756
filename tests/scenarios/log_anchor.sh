#!/usr/bin/env bash
# The chain anchored outside the database: every committed event is a line
# in the server log, and scripts/verify-log-against-server-log.sh compares
# the table with those lines. A superuser who deletes the newest events, or
# edits an event and recomputes every later hash with rls_audit's own hash
# function, or appends a forged event with a valid hash, leaves
# verify_log() clean; the comparison names the first bad event each time,
# and reports a chain that starts over (rls_audit dropped and created
# again).
# Events of rolled-back statements and savepoints leave no line. Runs
# against the test cluster (rls_audit preloaded), reading its server log.
set -euo pipefail
(($# == 0)) || { echo "usage: tests/scenarios/log_anchor.sh (no arguments; settings come from the environment)" >&2; exit 2; }
: "${CLUSTER_LOG:?the server log of the test cluster, set by cluster_start in scripts/lib.sh}"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
verify="$root/scripts/verify-log-against-server-log.sh"
fail=0
note() { echo "log_anchor: $*"; }
problem() { echo "log_anchor: FAILED: $*"; fail=1; }
# (psql substitutes :"name" in what it reads: the name may hold quotes)
fresh() {
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -v name="$1" <<<'SET client_min_messages = warning;
        DROP DATABASE IF EXISTS :"name" WITH (FORCE); CREATE DATABASE :"name";'
}
gone() {
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -v name="$1" <<<'SET client_min_messages = warning;
        DROP DATABASE IF EXISTS :"name" WITH (FORCE);'
}
q() { local db=$1; shift; psql -X -qAt -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# run the comparison: sets rc and out
compare() {
    set +e
    out=$(bash "$verify" --database "$1" "$CLUSTER_LOG" 2>&1)
    rc=$?
    set -e
}

# names unique to this run: the server log keeps every earlier run's lines
# (a database dropped and created again under the same name is a restart)
run=$(date +%s%N)
db="rls_audit anchor \"Ω\" $run"
fresh "$db"
q "$db" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE ROLE anchor_app LOGIN;
CREATE SCHEMA s;
CREATE TABLE s.t (id int, tenant_id int);
ALTER TABLE s.t ENABLE ROW LEVEL SECURITY;
CREATE POLICY p1 ON s.t TO anchor_app USING (tenant_id = 1);
ALTER POLICY p1 ON s.t USING (tenant_id = 2);
-- rolled back: no event, no line
BEGIN; DROP POLICY p1 ON s.t; ROLLBACK;
BEGIN;
CREATE POLICY p2 ON s.t USING (true);
SAVEPOINT x;
ALTER ROLE anchor_app BYPASSRLS;
ROLLBACK TO x;
COMMIT;
GRANT SELECT ON s.t TO anchor_app;
ALTER ROLE anchor_app BYPASSRLS;
ALTER ROLE anchor_app NOBYPASSRLS;
SELECT rls_audit.freeze('anchor test');
SELECT rls_audit.unfreeze();
DROP POLICY p2 ON s.t;
SQL
events=$(q "$db" -c "SELECT count(*) FROM rls_audit.events")
db_json=$(q "$db" -c "SELECT to_json(current_database())")
lines=$(grep -F "rls_audit event: {" "$CLUSTER_LOG" | grep -cF "\"database\":$db_json," || true)
[ "$events" = "$lines" ] || problem "$events events in the table, $lines lines in the server log"
# each line is one JSON object with the stable keys first
bad_lines=$(grep -F "rls_audit event: {" "$CLUSTER_LOG" | grep -F "\"database\":$db_json," \
    | grep -cvE 'rls_audit event: \{"id":[0-9]+,"hash":"[0-9a-f]{64}","prev_hash":("[0-9a-f]{64}"|null),"database":' || true)
[ "$bad_lines" = 0 ] || problem "$bad_lines log lines do not start with id, hash, prev_hash, database"
compare "$db"
if [ "$rc" != 0 ] || ! grep -q '^ok: events ' <<<"$out"; then problem "untouched log: exit $rc: $out"; fi
note "untouched: $events events, $lines lines, comparison exit $rc"

# 1. the newest three events deleted: the chain is intact, the log is not
head=$(q "$db" -c "SELECT id || ':' || hash FROM rls_audit.log_head()")
early=$(q "$db" -c "SELECT id || ':' || hash FROM rls_audit.events ORDER BY id LIMIT 1 OFFSET 2")
q "$db" -c "DELETE FROM rls_audit.events WHERE id > (SELECT max(id) - 3 FROM rls_audit.events)"
first_deleted=$(( ${head%%:*} - 2 ))
[ "$(q "$db" -c "SELECT count(*) FROM rls_audit.verify_log()")" = 0 ] || problem "truncation: verify_log() is not clean"
named=$(q "$db" -c "SELECT event_id FROM rls_audit.verify_log('$head')")
[ "$named" = "$first_deleted" ] || problem "truncation: verify_log(head) named '$named', expected $first_deleted"
compare "$db"
if [ "$rc" != 1 ] || ! grep -qx "first bad event: $first_deleted" <<<"$out"; then
    problem "truncation: exit $rc, expected first bad event $first_deleted: $out"
fi
note "newest three deleted: comparison exit $rc, $(tail -1 <<<"$out")"

# 2. an older event edited, every later hash recomputed with rls_audit's own
#    function: verify_log() is clean, the log and an earlier head are not
edited=$(q "$db" -c "SELECT min(id) + 1 FROM rls_audit.events")
q "$db" >/dev/null <<SQL
UPDATE rls_audit.events SET statement = 'SELECT 1;' WHERE id = $edited;
DO \$\$
DECLARE
    r record;
    prev text;
BEGIN
    FOR r IN SELECT * FROM rls_audit.events WHERE id >= $edited ORDER BY id LOOP
        UPDATE rls_audit.events
           SET prev_hash = coalesce(prev, r.prev_hash),
               hash = rls_audit._event_hash(r.id, r.occurred_at, r.txid, r.session_user_name,
                   r.current_user_name, r.application_name, r.client_addr, r.command_tag, r.change,
                   r.schema_name, r.table_name, r.policy_name, r.before, r.after, r.statement,
                   r.ticket, coalesce(prev, r.prev_hash))
         WHERE id = r.id RETURNING hash INTO prev;
    END LOOP;
END \$\$;
SQL
[ "$(q "$db" -c "SELECT count(*) FROM rls_audit.verify_log()")" = 0 ] || problem "rewrite: verify_log() is not clean"
[ "$(q "$db" -c "SELECT count(*) FROM rls_audit.verify_log('$early')")" = 1 ] || problem "rewrite: verify_log(earlier head) is clean"
compare "$db"
if [ "$rc" != 1 ] || ! grep -qx "first bad event: $edited" <<<"$out"; then
    problem "rewrite: exit $rc, expected first bad event $edited: $out"
fi
note "event $edited edited and the chain re-hashed: comparison exit $rc, $(tail -1 <<<"$out")"

# 3. a forged event appended with a valid hash (another database, untouched
#    until now): verify_log() is clean, the log has no line for it
db2=rls_audit_anchor_forged_$run
fresh "$db2"
q "$db2" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE TABLE public.f (id int);
ALTER TABLE public.f ENABLE ROW LEVEL SECURITY;
CREATE POLICY f1 ON public.f USING (id = 1);
INSERT INTO rls_audit.events (id, occurred_at, txid, session_user_name, current_user_name,
                              command_tag, change, schema_name, table_name, policy_name,
                              before, statement, prev_hash, hash)
SELECT n, now(), 1, 'postgres', 'postgres', 'DROP POLICY', 'policy_removed', 'public', 'f', 'f1',
       '{}', 'DROP POLICY f1 ON public.f;', h.hash,
       rls_audit._event_hash(n, now(), 1, 'postgres', 'postgres', NULL, NULL, 'DROP POLICY',
                             'policy_removed', 'public', 'f', 'f1', '{}', NULL,
                             'DROP POLICY f1 ON public.f;', NULL, h.hash)
  FROM rls_audit.log_head() h, LATERAL (SELECT nextval('rls_audit.events_id_seq') AS n) s;
SQL
forged=$(q "$db2" -c "SELECT max(id) FROM rls_audit.events")
[ "$(q "$db2" -c "SELECT count(*) FROM rls_audit.verify_log()")" = 0 ] || problem "forgery: verify_log() is not clean"
compare "$db2"
if [ "$rc" != 1 ] || ! grep -qx "first bad event: $forged" <<<"$out"; then
    problem "forgery: exit $rc, expected first bad event $forged: $out"
fi
note "a forged event appended: comparison exit $rc, $(tail -1 <<<"$out")"

# 4. rls_audit dropped and created again: the history starts over, and the
#    server log still holds the earlier chain
db3=rls_audit_anchor_restart_$run
fresh "$db3"
q "$db3" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE TABLE public.r (id int);
CREATE POLICY r1 ON public.r USING (id = 1);
DROP EXTENSION rls_audit;
DROP SCHEMA rls_audit;
CREATE EXTENSION rls_audit;
DROP POLICY r1 ON public.r;
SQL
compare "$db3"
if [ "$rc" != 1 ] || ! grep -q 'earlier chain of this database' <<<"$out"; then
    problem "restart: exit $rc: $out"
fi
note "rls_audit dropped and created again: comparison exit $rc, $(grep -c 'earlier chain' <<<"$out") restart reported"

# usage errors are 2, not a verdict
set +e
bash "$verify" >/dev/null 2>&1; u1=$?
bash "$verify" /nonexistent/log >/dev/null 2>&1; u2=$?
set -e
if [ "$u1" != 2 ] || [ "$u2" != 2 ]; then problem "usage errors exit $u1 / $u2, expected 2"; fi

gone "$db"
gone "$db2"
gone "$db3"
psql -X -q -d postgres -c "DROP ROLE IF EXISTS anchor_app"
[ "$fail" = 0 ] || exit 1
note "ok"
