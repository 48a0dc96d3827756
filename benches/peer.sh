#!/usr/bin/env bash
# The peer comparison (issue "access model"): benches/defects.sql linted by
# rls_audit.lint() and by `pgrls lint` (PyPI, in a throwaway venv under
# $WORK), printing which defects each finds and the time ratio.
#   benches/peer.sh [BENCH_DB BENCH_SCHEMA] [--reps N]
# Runs against the cluster PGHOST / PGPORT name (scripts/bench.sh calls it
# with its own); with BENCH_DB it also times both on that database's schema.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

PGRLS_VERSION=0.57.1
reps=5
bench=()
while (($#)); do
    case $1 in
        --reps) [[ ${2:-} =~ ^[0-9]+$ ]] || die "usage: benches/peer.sh [BENCH_DB BENCH_SCHEMA] [--reps N]"; reps=$2; shift 2 ;;
        -*) die "usage: benches/peer.sh [BENCH_DB BENCH_SCHEMA] [--reps N]" ;;
        *) bench+=("$1"); shift ;;
    esac
done
((${#bench[@]} == 0 || ${#bench[@]} == 2)) || die "usage: benches/peer.sh [BENCH_DB BENCH_SCHEMA] [--reps N]"
{ [ -n "${PGHOST:-}" ] && [ -n "${PGPORT:-}" ]; } || die "PGHOST and PGPORT must name a running cluster (scripts/bench.sh sets them)"

venv=$WORK/pgrls-venv
if ! "$venv/bin/pgrls" --version 2>/dev/null | grep -q "$PGRLS_VERSION"; then
    if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
        log "installing python3-venv"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
    fi
    log "installing pgrls $PGRLS_VERSION into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "pgrls==$PGRLS_VERSION"
fi

recreate_db rls_audit_peer >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d rls_audit_peer -f "$ROOT/benches/defects.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d rls_audit_peer -c "SET client_min_messages = warning" -c "CREATE EXTENSION rls_audit"
log "rls_audit.lint() and pgrls $PGRLS_VERSION on benches/defects.sql"
PATH="$venv/bin:$PATH" python3 "$ROOT/benches/peer_compare.py" rls_audit_peer "${bench[@]}" "$reps"

# the roles are cluster-wide: leave none behind
psql -X -q -d postgres -c "DROP DATABASE rls_audit_peer WITH (FORCE)"
psql -X -q -d postgres -f "$ROOT/benches/defects_drop_roles.sql" >/dev/null
