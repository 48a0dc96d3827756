#!/usr/bin/env bash
# Run the snapshot → mutate → restore property test with more cases than CI:
#   scripts/fuzz.sh [ITERATIONS]     (default 500; CI runs 30)
# Needs the set-up of scripts/test.sh (run it once first).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-500}
[[ $n =~ ^[0-9]+$ ]] || die "usage: scripts/fuzz.sh [ITERATIONS]"
mkdir -p "$WORK"
setup
install_extension
cluster_start fuzz
trap 'cluster_stop fuzz' EXIT
recreate_db rls_audit_fuzz
psql -X -d rls_audit_fuzz -v ON_ERROR_STOP=1 -v fuzz_iterations="$n" \
    -f "$ROOT/tests/pg_regress/sql/roundtrip.sql"
