#!/usr/bin/env bash
# The README's second command: the same set-up as the demo, then every test
# tier, ending with one summary line:
#   0. cargo fmt, clippy, shellcheck, the released scripts' checksums (once)
#   1. Rust unit tests and #[pg_test]s   (cargo pgrx test, one throwaway cluster)
#   2. pg_regress: what a DBA sees in psql (tests/pg_regress, its own cluster)
#   3. scenarios needing several sessions or client tools (tests/scenarios):
#      8 concurrent pgbench clients, pg_dump/pg_restore round trips, a hot
#      standby, the isolation and capture oracles
# on PostgreSQL 15 (Debian's) and 18 (built from source once, about 3
# minutes). On 18 everything runs except what needs Debian's packages of
# pg_cron and pgTAP (the cron and pgtap pg_regress files), and the oracles
# run fewer cases.
#
# usage: scripts/test.sh [--pg 15|18|all]     (default: all)
# Exits non-zero when anything failed.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

versions=(15 18)
while (($#)); do
    case $1 in
        --pg)
            case ${2:-} in
                15|18) versions=("$2") ;;
                all) versions=(15 18) ;;
                *) die "usage: scripts/test.sh [--pg 15|18|all]" ;;
            esac
            shift 2 ;;
        *) die "usage: scripts/test.sh [--pg 15|18|all]" ;;
    esac
done

mkdir -p "$WORK"
[[ " ${versions[*]} " == *" 18 "* ]] && export NEED_PG18=1
setup

passed=0
failed=0
tier_failed=()

# --- tier 0: formatting and lints gate everything ---------------------------
log "cargo fmt --check, cargo clippy -D warnings, shellcheck"
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
# every shell script, its sourced lib.sh followed
if ! (cd "$ROOT" && shellcheck -x scripts/*.sh benches/*.sh tests/scenarios/*.sh .ci/run); then
    tier_failed+=("shellcheck"); failed=$((failed + 1))
fi

for v in "${versions[@]}"; do
    use_pg "$v"
    export PG_MAJOR
    # client tools (psql, pg_dump, pgbench, pg_basebackup) of the same version
    export PATH="$PG_BIN:$PATH"
    cluster="test"; [ "$v" = 15 ] || cluster="test$v"

    # --- tier 1: unit tests + #[pg_test]s --------------------------------
    log "PostgreSQL $v: cargo pgrx test (unit tests and #[pg_test]s)"
    install -d -o postgres -g postgres "$WORK/pgrx-test$v"
    # (errexit off around the pipelines: their exit codes are read, not fatal)
    set +e
    (cd "$ROOT" && cargo pgrx test "pg$v" --runas postgres --pgdata "$WORK/pgrx-test$v/data") \
        2>&1 | tee "$WORK/pgrx-test$v.log" | grep -E '^test |^test result|panicked|^error'
    rc=${PIPESTATUS[0]}
    set -e
    while read -r p f; do
        passed=$((passed + p)); failed=$((failed + f))
    done < <(sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' "$WORK/pgrx-test$v.log")
    if [ "$rc" != 0 ]; then
        # the failed #[pg_test]s' own errors (the panic's message goes to
        # the log only)
        grep -A4 'Client Error' "$WORK/pgrx-test$v.log" | head -40 || true
        tier_failed+=("PostgreSQL $v: cargo pgrx test (exit $rc; log: $WORK/pgrx-test$v.log)")
        grep -q '^test result' "$WORK/pgrx-test$v.log" || { failed=$((failed + 1)); tail -30 "$WORK/pgrx-test$v.log"; }
    fi

    # --- tier 2: pg_regress ------------------------------------------------
    install_extension
    tests=()
    for f in "$ROOT"/tests/pg_regress/sql/*.sql; do tests+=("$(basename "$f" .sql)"); done
    # rls_audit preloaded: its hook captures role statements (the #[pg_test]
    # cluster above runs without it, and tests what happens then)
    if [ "$v" = 15 ]; then
        # pg_cron runs check_drift() in the cron test; with TCP off its jobs
        # need background workers instead of libpq connections
        conf=("shared_preload_libraries = 'pg_cron, rls_audit'" "cron.database_name = 'rls_audit_regress'"
              "cron.use_background_workers = on" "max_worker_processes = 16")
    else
        # pg_cron and pgTAP are Debian packages for 15 only
        conf=("shared_preload_libraries = 'rls_audit'" "max_worker_processes = 16")
        mapfile -t tests < <(printf '%s\n' "${tests[@]}" | grep -vx -e cron -e pgtap)
    fi
    cluster_start "$cluster" "${conf[@]}"
    recreate_db rls_audit_regress
    # restart so pg_cron's launcher attaches to the database just created
    cluster_start "$cluster" "${conf[@]}"
    regress_out=$WORK/regress$v
    rm -rf "$regress_out"; mkdir -p "$regress_out"
    log "PostgreSQL $v: pg_regress: ${tests[*]}"
    set +e
    "$PG_REGRESS" \
        --use-existing --host="$CLUSTER_SOCK" --port="$CLUSTER_PORT" --user=postgres \
        --dbname=rls_audit_regress --inputdir="$ROOT/tests/pg_regress" --outputdir="$regress_out" \
        "${tests[@]}" 2>&1 | tee "$WORK/regress$v.log"
    rc=${PIPESTATUS[0]}
    set -e
    # PostgreSQL 15 prints "test x ... ok"; 16 and later print TAP ("ok 1 - x")
    p=$(grep -cE '\.\.\. ok|^ok [0-9]+ ' "$WORK/regress$v.log" || true)
    f=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ ' "$WORK/regress$v.log" || true)
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$rc" != 0 ]; then
        tier_failed+=("PostgreSQL $v: pg_regress (exit $rc)")
        [ -f "$regress_out/regression.diffs" ] && head -150 "$regress_out/regression.diffs"
        [ "$f" = 0 ] && failed=$((failed + 1))
    fi

    # --- tier 3: scenarios that need more than one session ------------------
    if [ "$v" != 15 ]; then
        export ORACLE_CASES=100 CAPTURE_SEQUENCES=60 CAPTURE_RESTORES=3 CAPTURE_RESTORE_CHECKS=20
    fi
    for scenario in "$ROOT"/tests/scenarios/*.sh; do
        name=$(basename "$scenario" .sh)
        if bash "$scenario" >"$WORK/scenario$v-$name.log" 2>&1; then
            passed=$((passed + 1)); echo "scenario $name (PostgreSQL $v) ... ok"
        else
            failed=$((failed + 1)); echo "scenario $name (PostgreSQL $v) ... FAILED"
            tier_failed+=("PostgreSQL $v: scenario $name")
        fi
        grep -E "^$name" "$WORK/scenario$v-$name.log" || tail -20 "$WORK/scenario$v-$name.log"
    done
    unset ORACLE_CASES CAPTURE_SEQUENCES CAPTURE_RESTORES CAPTURE_RESTORE_CHECKS
    cluster_stop "$cluster"
done

for t in "${tier_failed[@]}"; do log "FAILED: $t"; done
echo "summary: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ ${#tier_failed[@]} = 0 ]
