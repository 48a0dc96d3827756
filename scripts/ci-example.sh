#!/usr/bin/env bash
# The loop a team puts in CI, with rls_audit doing the checks inside the
# database:
#   1. build a fresh database from the migrations (every *.sql, in order)
#   2. import the baseline committed to git (rls_audit.export() output)
#   3. assert_no_drift against it: the RLS posture is what was reviewed
#   4. write lint.sarif (code scanning) and isolation.xml + lint.xml (JUnit)
#   5. exit non-zero when drift, a high or critical finding, or an isolation
#      failure or error is found
# usage: scripts/ci-example.sh --migrations DIR --baseline FILE --out DIR
#            --role ROLE --setting NAME [--db NAME] [--min-severity high]
# Connects with the usual PG* environment (PGHOST, PGPORT, PGUSER); the
# database is dropped and re-created. Runs as-is against any PostgreSQL
# with rls_audit installed; scripts/test.sh runs it in the scenario
# tests/scenarios/ci_outputs.sh.
set -euo pipefail
usage() { echo "usage: scripts/ci-example.sh --migrations DIR --baseline FILE --out DIR --role ROLE --setting NAME [--db NAME] [--min-severity high]" >&2; exit 2; }
db=rls_audit_ci
migrations='' baseline='' out='' role='' setting='' min_severity=high
while (($#)); do
    case $1 in
        --migrations) migrations=${2:-}; shift 2 ;;
        --baseline) baseline=${2:-}; shift 2 ;;
        --out) out=${2:-}; shift 2 ;;
        --role) role=${2:-}; shift 2 ;;
        --setting) setting=${2:-}; shift 2 ;;
        --db) db=${2:-}; shift 2 ;;
        --min-severity) min_severity=${2:-}; shift 2 ;;
        *) usage ;;
    esac
done
{ [ -d "$migrations" ] && [ -f "$baseline" ] && [ -n "$out" ] && [ -n "$role" ] && [ -n "$setting" ]; } || usage
mkdir -p "$out"
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$db" "$@"; }

# 1. a fresh database from the migrations
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" -c "CREATE DATABASE \"$db\""
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION rls_audit"
for m in "$migrations"/*.sql; do
    q -f "$m" >/dev/null
done

# 2. the reviewed baseline, from git (read by \copy, line by line, so a
#    baseline of any size and either layout, compact or jsonb_pretty, works)
q -c "CREATE TEMP TABLE baseline_lines (n serial, line text)" \
  -c "\\copy baseline_lines (line) FROM '${baseline//\'/\'\'}' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')" \
  -c "SELECT rls_audit.import(string_agg(line, E'\\n' ORDER BY n)::jsonb, 'reviewed') IS NOT NULL FROM baseline_lines" >/dev/null

status=0
# 3. the gate: any drift from the reviewed posture fails the build
if ! q -c "SELECT rls_audit.assert_no_drift('reviewed', 'low')" >/dev/null 2>"$out/drift.txt"; then
    echo "FAIL: the RLS posture drifted from the reviewed baseline:"
    q -c "SELECT format('  %s %s %s', severity, change, concat_ws('.', schema_name, table_name, policy_name, attribute))
            FROM rls_audit.drift('reviewed') ORDER BY 1"
    status=1
fi

# 4. reports where CI already looks
q -c "SELECT rls_audit.lint_sarif()" >"$out/lint.sarif"
q -c "SELECT rls_audit.lint_junit()" >"$out/lint.xml"
q -v role="$role" -v setting="$setting" >"$out/isolation.xml" <<'SQL'
SELECT rls_audit.verify_isolation_junit(:'role', :'setting');
SQL

# 5. the other gates
findings=$(q -v min="$min_severity" <<'SQL'
SELECT count(*) FROM rls_audit.lint() l
 WHERE array_position(ARRAY['critical', 'high', 'medium', 'low', 'info'], l.severity)
    <= array_position(ARRAY['critical', 'high', 'medium', 'low', 'info'], :'min');
SQL
)
if [ "$findings" != 0 ]; then
    echo "FAIL: $findings open lint finding(s) at $min_severity or above (see $out/lint.sarif)"
    status=1
fi
bad=$(grep -c '<failure\|<error' "$out/isolation.xml" || true)
if [ "$bad" != 0 ]; then
    echo "FAIL: $bad isolation check(s) failed or could not run (see $out/isolation.xml)"
    status=1
fi
[ $status = 0 ] && echo "OK: no drift from the reviewed baseline, no lint finding at $min_severity or above, isolation holds"
exit $status
