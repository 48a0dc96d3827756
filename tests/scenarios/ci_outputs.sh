#!/usr/bin/env bash
# CI outputs, checked by real consumers: lint_sarif() by Microsoft's SARIF
# validator (npm @microsoft/sarif-multitool), lint_junit() and
# verify_isolation_junit() by a JUnit parser (PyPI junitparser), each count
# compared with what lint(), lint_suppressed() and verify_isolation() return;
# SARIF fingerprints stable across runs and moving with the finding; and
# scripts/ci-example.sh end to end: green on the reviewed migrations, red on
# a bad one. Runs against the test cluster; the tools are installed once
# under $WORK.
set -euo pipefail
(($# == 0)) || { echo "usage: tests/scenarios/ci_outputs.sh (no arguments; settings come from the environment)" >&2; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${RLS_AUDIT_WORK:-/var/tmp/rls_audit}
SARIF_MULTITOOL=5.7.0 JUNITPARSER=5.0.3
db=rls_audit_ci_outputs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DEBIAN_FRONTEND=noninteractive
# the .NET validator runs without ICU on a bare machine
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1

# the consumers, from their registries
tools=$WORK/ci-tools
if [ ! -x "$tools/node_modules/.bin/sarif-multitool" ]; then
    command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
    mkdir -p "$tools"
    npm install --silent --no-audit --no-fund --prefix "$tools" "@microsoft/sarif-multitool@$SARIF_MULTITOOL" >/dev/null
fi
if ! "$tools/venv/bin/python" -c "import junitparser" 2>/dev/null; then
    python3 -c "import ensurepip, venv" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null; }
    rm -rf "$tools/venv"
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/pip" install -q "junitparser==$JUNITPARSER"
fi

q() { psql -X -qAt -v ON_ERROR_STOP=1 -d $db "$@"; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
# the lint fixtures: 20 known defects and a well-built table
q -f "$ROOT/benches/defects.sql" >/dev/null
q >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
INSERT INTO rls_audit.lint_ignore (lint, object, reason, schema_name)
VALUES ('rls_not_forced', 'd04_rls_not_forced', 'the owner is a NOLOGIN role <CHG-9 & co>', 'peer'),
       ('restrictive_only', 'd17_restrictive_only', 'deny-all on purpose', 'peer');
-- isolation fixtures: two tenants' rows in a well-built table, a leaking
-- one and a deny-all one
INSERT INTO peer.d00_well_built SELECT g, 1 + g % 2, 'row ' || g FROM generate_series(1, 20) g;
INSERT INTO peer.d05_policy_always_true SELECT g, 1 + g % 2, 'row ' || g FROM generate_series(1, 20) g;
INSERT INTO peer.d17_restrictive_only SELECT g, 1 + g % 2, 'row ' || g FROM generate_series(1, 20) g;
-- one tenant only: its cross-tenant checks cannot run (SKIP)
INSERT INTO peer.d20_policy_column_unindexed SELECT g, 1, 'row ' || g FROM generate_series(1, 5) g;
SQL
fail=0

# --- SARIF --------------------------------------------------------------
q -c "SELECT jsonb_pretty(rls_audit.lint_sarif())" >"$tmp/lint.sarif"
validate() {  # file -> the validator's error lines
    rm -f "$tmp/validation.sarif"
    "$tools/node_modules/.bin/sarif-multitool" validate "$1" --output "$tmp/validation.sarif" 2>&1 \
        | grep -E ': error [A-Z]+[0-9]+' || true
}
errors=$(validate "$tmp/lint.sarif")
# the validator is live: a log without a result message is an error to it
"$tools/venv/bin/python" - "$tmp/lint.sarif" "$tmp/broken.sarif" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
del d["runs"][0]["results"][0]["message"]
json.dump(d, open(sys.argv[2], "w"))
PY
control=$(validate "$tmp/broken.sarif" | wc -l)
open_n=$(q -c "SELECT count(*) FROM rls_audit.lint()")
suppressed_n=$(q -c "SELECT count(*) FROM rls_audit.lint_suppressed()")
read -r results sarif_suppressed rules <<<"$("$tools/venv/bin/python" - "$tmp/lint.sarif" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
print(len(run["results"]), sum(1 for r in run["results"] if r.get("suppressions")), len(run["tool"]["driver"]["rules"]))
PY
)"
if [ -n "$errors" ] || [ "$control" = 0 ] || [ "$results" != $((open_n + suppressed_n)) ] || [ "$sarif_suppressed" != "$suppressed_n" ]; then
    echo "SARIF: validator errors: ${errors:-none}; broken control caught: $control; results $results (lint $open_n + suppressed $suppressed_n), suppressed $sarif_suppressed"
    fail=1
fi
# fingerprints: the same across runs; a renamed policy's finding gets a new
# one, every other finding keeps its own
prints() { q -c "SELECT r -> 'partialFingerprints' ->> 'rlsAuditFinding/v1' FROM jsonb_array_elements(rls_audit.lint_sarif() #> '{runs,0,results}') r ORDER BY 1"; }
first=$(prints); second=$(prints)
q -c "ALTER POLICY everyone ON peer.d05_policy_always_true RENAME TO everyone_renamed"
third=$(prints)
gone=$(comm -23 <(echo "$second") <(echo "$third") | wc -l)
came=$(comm -13 <(echo "$second") <(echo "$third") | wc -l)
q -c "ALTER POLICY everyone_renamed ON peer.d05_policy_always_true RENAME TO everyone"
if [ "$first" != "$second" ] || [ "$gone" != 1 ] || [ "$came" != 1 ]; then
    echo "fingerprints: stable across runs $([ "$first" = "$second" ] && echo yes || echo no); after a rename $gone left and $came came"
    fail=1
fi

# --- JUnit --------------------------------------------------------------
q -c "SELECT rls_audit.lint_junit()" >"$tmp/lint.xml"
q -c "SELECT rls_audit.verify_isolation_junit('peer_app', 'app.tenant_id',
        tables => ARRAY['peer.d00_well_built', 'peer.d05_policy_always_true', 'peer.d17_restrictive_only', 'peer.d20_policy_column_unindexed']::regclass[])" >"$tmp/isolation.xml"
iso_sql=$(q -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'FAIL') || ' ' || count(*) FILTER (WHERE status = 'ERROR')
                       || ' ' || count(*) FILTER (WHERE status = 'SKIP')
                  FROM rls_audit.verify_isolation('peer_app', 'app.tenant_id',
                       tables => ARRAY['peer.d00_well_built', 'peer.d05_policy_always_true', 'peer.d17_restrictive_only', 'peer.d20_policy_column_unindexed']::regclass[])")
junit_counts() {  # file -> "tests failures errors skipped", counted case by case
    "$tools/venv/bin/python" - "$1" <<'PY'
import sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
n = [0, 0, 0, 0]
for suite in xml:
    for case in suite:
        n[0] += 1
        kinds = {type(r) for r in case.result}
        n[1] += Failure in kinds
        n[2] += Error in kinds
        n[3] += Skipped in kinds
print(*n)
PY
}
iso_junit=$(junit_counts "$tmp/isolation.xml")
lint_junit=$(junit_counts "$tmp/lint.xml")
read -r lt lf le ls <<<"$lint_junit"
clean=$(q -c "SELECT $rules - count(DISTINCT lint) FROM (SELECT lint FROM rls_audit.lint() UNION SELECT lint FROM rls_audit.lint_suppressed()) x")
if [ "$iso_junit" != "$iso_sql" ] || [ "$lf" != "$open_n" ] || [ "$ls" != "$suppressed_n" ] || [ "$le" != 0 ] \
   || [ "$lt" != $((open_n + suppressed_n + clean)) ]; then
    echo "JUnit: isolation (tests failures errors skipped) $iso_junit, verify_isolation says $iso_sql; lint $lint_junit, lint() $open_n failures + $suppressed_n suppressed + $clean clean lints"
    fail=1
fi

# --- the CI recipe ------------------------------------------------------
# roles are cluster-wide: the defect fixtures' roles go first, so the
# recipe's lint sees only what its migrations made
drop_roles() {
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$ROOT/benches/defects_drop_roles.sql" \
        -c "DROP ROLE IF EXISTS ci_app" >/dev/null
}
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE $db WITH (FORCE)"
drop_roles
mkdir -p "$tmp/migrations" "$tmp/out"
cat >"$tmp/migrations/001_tenants.sql" <<'SQL'
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ci_app') THEN CREATE ROLE ci_app NOLOGIN; END IF;
END $$;
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO ci_app;
CREATE TABLE app.notes (id int PRIMARY KEY, tenant_id int NOT NULL, body text);
ALTER TABLE app.notes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON app.notes TO ci_app
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.notes TO ci_app;
INSERT INTO app.notes SELECT g, 1 + g % 2, 'note ' || g FROM generate_series(1, 10) g;
SQL
# the reviewed baseline: exported once from a database built the same way
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS rls_audit_ci_ref WITH (FORCE)" -c "CREATE DATABASE rls_audit_ci_ref"
psql -X -qAt -v ON_ERROR_STOP=1 -d rls_audit_ci_ref -c "SET client_min_messages = warning" -c "CREATE EXTENSION rls_audit" \
    -f "$tmp/migrations/001_tenants.sql" -c "SELECT rls_audit.snapshot('reviewed-here')" >/dev/null
psql -X -qAt -v ON_ERROR_STOP=1 -d rls_audit_ci_ref -c "SELECT jsonb_pretty(rls_audit.export('reviewed-here'))" >"$tmp/baseline.json"
set +e
green=$(bash "$ROOT/scripts/ci-example.sh" --migrations "$tmp/migrations" --baseline "$tmp/baseline.json" --out "$tmp/out" \
    --role ci_app --setting app.tenant_id 2>&1)
green_rc=$?
cat >"$tmp/migrations/002_reporting.sql" <<'SQL'
CREATE POLICY reporting ON app.notes FOR SELECT TO ci_app USING (true);
SQL
red=$(bash "$ROOT/scripts/ci-example.sh" --migrations "$tmp/migrations" --baseline "$tmp/baseline.json" --out "$tmp/out" \
    --role ci_app --setting app.tenant_id 2>&1)
red_rc=$?
set -e
red_drift=$(grep -c 'drifted' <<<"$red" || true)
red_iso=$(grep -c 'isolation check' <<<"$red" || true)
sarif_ok=$([ -s "$tmp/out/lint.sarif" ] && [ -z "$(validate "$tmp/out/lint.sarif")" ] && echo yes || echo no)
if [ "$green_rc" != 0 ] || [ "$red_rc" = 0 ] || [ "$red_drift" != 1 ] || [ "$red_iso" != 1 ] || [ "$sarif_ok" != yes ]; then
    echo "ci-example: reviewed migrations exit $green_rc; with the bad migration exit $red_rc (drift reported $red_drift, isolation failure reported $red_iso); its SARIF valid $sarif_ok"
    echo "$green"; echo "$red"
    fail=1
fi

echo "ci_outputs: SARIF $results results ($suppressed_n suppressed), validator errors $([ -z "$errors" ] && echo 0 || echo "$errors"), broken control caught $control; fingerprints stable $([ "$first" = "$second" ] && echo yes || echo no), rename moved $gone; JUnit isolation $iso_junit = verify_isolation $iso_sql; JUnit lint $lint_junit; ci-example green exit $green_rc, bad migration exit $red_rc"
psql -X -q -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS rls_audit_ci WITH (FORCE)" -c "DROP DATABASE IF EXISTS rls_audit_ci_ref WITH (FORCE)"
drop_roles
exit $fail
