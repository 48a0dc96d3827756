#!/usr/bin/env bash
# Capture oracle: random DDL sequences (fixed seeds) over policies, tables,
# schemas, columns, functions, types and roles: create, alter, rename, SET
# SCHEMA, DROP ... CASCADE, ENABLE/FORCE toggles, steps rolled back on
# purpose, steps under a freeze (half of them with rls_audit's capture
# switched off: a trigger disabled or set to replica, replica mode, an edit
# of pg_event_trigger, a replaced function), and a pg_dump | psql restore in the middle
# of some sequences. After each: the events replay to exactly the catalog's
# policies and table flags, untracked_changes() is empty, verify_log() is
# empty, and every frozen step failed with 55000 and changed nothing (or
# changed nothing RLS-relevant). SQL side: capture_oracle.sql.
#
# Then restore() in the middle of more sequences: a snapshot halfway,
# more steps, restore(snapshot), and every table the snapshot had that
# still exists has exactly its policies and flags again, by the catalog
# (or restore() failed and changed nothing).
#
# CAPTURE_SEQUENCES (default 200), CAPTURE_RESTORES (default 10) and
# CAPTURE_RESTORE_CHECKS (default 60) change the run; scripts/fuzz.sh runs
# more. Runs against the test cluster.
set -euo pipefail
(($# == 0)) || { echo "usage: tests/scenarios/capture_oracle.sh (no arguments; settings come from the environment)" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
sequences=${CAPTURE_SEQUENCES:-200}
restores=${CAPTURE_RESTORES:-10}
restore_checks=${CAPTURE_RESTORE_CHECKS:-60}
steps=12
db=rls_audit_capture_oracle
q() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }

fresh_db() {
    q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
    q -d "$1" -c "SET client_min_messages = warning" -c "CREATE EXTENSION rls_audit"
    q -d "$1" -f "$here/capture_oracle.sql" >/dev/null
}

fail=0
# in one database, one session per batch of sequences
fresh_db $db
q -d $db -c "CREATE TABLE oracle_cap.results (seq int, replay_mismatches bigint, untracked bigint,
                                              broken_links bigint, bad_steps bigint, steps bigint)"
batch=20
for ((first = 1; first <= sequences; first += batch)); do
    last=$((first + batch - 1)); [ $last -gt "$sequences" ] && last=$sequences
    q -d $db <<SQL >/dev/null
SET client_min_messages = warning;
DO \$\$
DECLARE s int;
BEGIN
    FOR s IN $first .. $last LOOP
        PERFORM oracle_cap.begin(s);
        PERFORM oracle_cap.run(s, 1, $steps);
        INSERT INTO oracle_cap.results SELECT * FROM oracle_cap.check(s);
        PERFORM oracle_cap.finish(s);
    END LOOP;
END \$\$;
SQL
done
read -r n mism untracked bad total_steps broken < <(q -d $db -F ' ' -c "
    SELECT count(*), sum(replay_mismatches), sum(untracked), sum(bad_steps), sum(steps),
           (SELECT count(*) FROM rls_audit.verify_log()) FROM oracle_cap.results")
echo "capture_oracle: $n sequences, $total_steps DDL steps, replay mismatches $mism, untracked $untracked, bad frozen/rolled-back steps $bad, broken links $broken"
if [ "$mism" != 0 ] || [ "$untracked" != 0 ] || [ "$bad" != 0 ] || [ "$broken" != 0 ] || [ "$n" -lt "$sequences" ]; then
    fail=1
    q -d $db -c "SELECT * FROM oracle_cap.results WHERE replay_mismatches + untracked + bad_steps > 0 LIMIT 10"
fi

# sequences with a pg_dump | psql restore in the middle
for ((r = 1; r <= restores; r++)); do
    seq=$((sequences + r))
    fresh_db rls_audit_capture_src
    q -d rls_audit_capture_src -c "SET client_min_messages = warning" \
        -c "SELECT oracle_cap.begin($seq)" -c "SELECT oracle_cap.run($seq, 1, $((steps / 2)))" >/dev/null
    q -d postgres -c "DROP DATABASE IF EXISTS rls_audit_capture_dst WITH (FORCE)" -c "CREATE DATABASE rls_audit_capture_dst"
    # the database as pg_dump | psql carries it; the oracle's own records
    # travel beside it
    pg_dump --exclude-schema=oracle_cap rls_audit_capture_src | q -d rls_audit_capture_dst >/dev/null
    q -d rls_audit_capture_dst -f "$here/capture_oracle.sql" >/dev/null
    for t in renames steps marks; do
        q -d rls_audit_capture_src -c "COPY oracle_cap.$t TO STDOUT" | q -d rls_audit_capture_dst -c "COPY oracle_cap.$t FROM STDIN"
    done
    q -d rls_audit_capture_dst -c "SET client_min_messages = warning" -c "SELECT setseed(0.$seq)" \
        -c "SELECT oracle_cap.run($seq, $((steps / 2 + 1)), $steps)" >/dev/null
    result=$(q -d rls_audit_capture_dst -F ' ' -c "SET client_min_messages = warning" -c "SELECT replay_mismatches, untracked, bad_steps, (SELECT count(*) FROM rls_audit.verify_log()) FROM oracle_cap.check($seq)")
    echo "capture_oracle (restore in the middle, sequence $seq): replay mismatches, untracked, bad steps, broken links: $result"
    [ "$result" = "0 0 0 0" ] || fail=1
    # the role is shared by both databases: only the restored one keeps it
    q -d postgres -c "DROP DATABASE rls_audit_capture_src WITH (FORCE)"
    q -d rls_audit_capture_dst -c "SET client_min_messages = warning" -c "SELECT oracle_cap.finish($seq)" >/dev/null
done
# restore() in the middle: its result held to the catalog (restore_check)
first=$((sequences + restores + 1))
last=$((sequences + restores + restore_checks))
q -d $db <<SQL >/dev/null
SET client_min_messages = warning;
DO \$\$
DECLARE s int;
BEGIN
    FOR s IN $first .. $last LOOP
        PERFORM oracle_cap.restore_check(s, 16);
        PERFORM oracle_cap.finish(s);
    END LOOP;
END \$\$;
SQL
# a restore may fail only because what a policy references is gone
# (42703 column, 42883 function, 42704 type or role)
read -r n ok mism left_over failed_changed other_failures failures < <(q -d $db -F ' ' -c "
    SELECT count(*), count(*) FILTER (WHERE outcome = 'ok'),
           coalesce(sum(mismatches) FILTER (WHERE outcome = 'ok'), 0), coalesce(sum(drift_left), 0),
           coalesce(sum(mismatches) FILTER (WHERE outcome <> 'ok'), 0),
           count(*) FILTER (WHERE outcome NOT IN ('ok', '42703', '42883', '42704')),
           coalesce((SELECT string_agg(o || ' x' || k, ',' ORDER BY o)
                       FROM (SELECT outcome, count(*) FROM oracle_cap.restored WHERE outcome <> 'ok' GROUP BY 1) f(o, k)), '-')
      FROM oracle_cap.restored")
echo "capture_oracle (restore in the middle): $n sequences, $ok restored, catalog mismatches $mism, drift left $left_over, failed ($failures) and changed something $failed_changed, failed otherwise $other_failures"
if [ "$n" -lt "$restore_checks" ] || [ "$ok" -lt $((restore_checks / 2)) ] || [ "$mism" != 0 ] \
   || [ "$left_over" != 0 ] || [ "$failed_changed" != 0 ] || [ "$other_failures" != 0 ]; then
    fail=1
    q -d $db -c "SELECT * FROM oracle_cap.restored WHERE mismatches + drift_left > 0 LIMIT 10"
fi

if [ "$fail" = 0 ]; then
    for d in $db rls_audit_capture_src rls_audit_capture_dst; do q -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)"; done
fi
exit $fail
