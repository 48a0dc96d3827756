#!/usr/bin/env bash
# The README's second command: the same set-up as the demo, then every test
# tier, ending with one summary line:
#   1. Rust unit tests and #[pg_test]s   (cargo pgrx test, one throwaway cluster)
#   2. pg_regress: what a DBA sees in psql (tests/pg_regress, its own cluster)
#   3. scenarios needing several sessions or client tools (tests/scenarios):
#      8 concurrent pgbench clients, pg_dump/pg_restore round trips
# Exits non-zero when anything failed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$WORK"
setup

passed=0
failed=0
tier_failed=()

# --- tier 0: formatting and lints gate everything ---------------------------
log "cargo fmt --check and cargo clippy -D warnings"
if ! (cd "$ROOT" && cargo fmt --all -- --check >/dev/null); then
    tier_failed+=("cargo fmt --check (run cargo fmt)"); failed=$((failed + 1))
fi
# released scripts are never edited after release
if ! (cd "$ROOT/sql" && sha256sum --quiet -c released/SHA256SUMS); then
    tier_failed+=("a released SQL script was edited (sql/released/SHA256SUMS)"); failed=$((failed + 1))
fi
if ! (cd "$ROOT" && cargo clippy --all-targets --quiet -- -D warnings 2>"$WORK/clippy.log"); then
    cat "$WORK/clippy.log"; tier_failed+=("cargo clippy"); failed=$((failed + 1))
fi

# --- tier 1: unit tests + #[pg_test]s ------------------------------------
log "cargo pgrx test (unit tests and #[pg_test]s)"
install -d -o postgres -g postgres "$WORK/pgrx-test"
# (errexit off around the pipelines: their exit codes are read, not fatal)
set +e
(cd "$ROOT" && cargo pgrx test pg$PG_MAJOR --runas postgres --pgdata "$WORK/pgrx-test/data") \
    2>&1 | tee "$WORK/pgrx-test.log" | grep -E '^test |^test result|panicked|^error'
rc=${PIPESTATUS[0]}
set -e
while read -r p f; do
    passed=$((passed + p)); failed=$((failed + f))
done < <(sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' "$WORK/pgrx-test.log")
if [ "$rc" != 0 ]; then
    tier_failed+=("cargo pgrx test (exit $rc; log: $WORK/pgrx-test.log)")
    grep -q '^test result' "$WORK/pgrx-test.log" || { failed=$((failed + 1)); tail -30 "$WORK/pgrx-test.log"; }
fi

# --- tier 2: pg_regress ----------------------------------------------------
install_extension
# pg_cron runs check_drift() in the cron test; with TCP off its jobs need
# background workers instead of libpq connections
cron_conf=("shared_preload_libraries = 'pg_cron'" "cron.database_name = 'rls_audit_regress'"
           "cron.use_background_workers = on" "max_worker_processes = 16")
cluster_start test "${cron_conf[@]}"
recreate_db rls_audit_regress
# restart so pg_cron's launcher attaches to the database just created
cluster_start test "${cron_conf[@]}"
regress_out=$WORK/regress
rm -rf "$regress_out"; mkdir -p "$regress_out"
mapfile -t tests < <(cd "$ROOT/tests/pg_regress/sql" && ls -1 *.sql | sed 's/\.sql$//' | sort)
log "pg_regress: ${tests[*]}"
set +e
"/usr/lib/postgresql/$PG_MAJOR/lib/pgxs/src/test/regress/pg_regress" \
    --use-existing --host="$CLUSTER_SOCK" --port="$CLUSTER_PORT" --user=postgres \
    --dbname=rls_audit_regress --inputdir="$ROOT/tests/pg_regress" --outputdir="$regress_out" \
    "${tests[@]}" 2>&1 | tee "$WORK/regress.log"
rc=${PIPESTATUS[0]}
set -e
p=$(grep -cE '\.\.\. ok' "$WORK/regress.log" || true)
f=$(grep -cE '\.\.\. FAILED' "$WORK/regress.log" || true)
passed=$((passed + p)); failed=$((failed + f))
if [ "$rc" != 0 ]; then
    tier_failed+=("pg_regress (exit $rc)")
    [ -f "$regress_out/regression.diffs" ] && head -150 "$regress_out/regression.diffs"
    [ "$f" = 0 ] && failed=$((failed + 1))
fi

# --- tier 3: scenarios that need more than one session ----------------------
for scenario in "$ROOT"/tests/scenarios/*.sh; do
    name=$(basename "$scenario" .sh)
    if bash "$scenario" >"$WORK/scenario-$name.log" 2>&1; then
        passed=$((passed + 1)); echo "scenario $name ... ok"
    else
        failed=$((failed + 1)); echo "scenario $name ... FAILED"; tier_failed+=("scenario $name")
    fi
    grep -E "^$name" "$WORK/scenario-$name.log" || tail -20 "$WORK/scenario-$name.log"
done
cluster_stop test

for t in "${tier_failed[@]}"; do log "FAILED: $t"; done
echo "summary: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ ${#tier_failed[@]} = 0 ]
