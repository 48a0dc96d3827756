#!/usr/bin/env bash
# Run the property tests and both oracles with more cases than CI:
#   scripts/fuzz.sh [N]     (default 500; CI runs 30 round trips, 300
#                            isolation cases, 200 + 10 capture sequences)
# Needs the set-up of scripts/test.sh (run it once first).
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-500}
[[ $n =~ ^[0-9]+$ ]] || die "usage: scripts/fuzz.sh [N]"
mkdir -p "$WORK"
setup
install_extension
cluster_start fuzz
trap 'cluster_stop fuzz' EXIT
recreate_db rls_audit_fuzz
psql -X -d rls_audit_fuzz -v ON_ERROR_STOP=1 -v fuzz_iterations="$n" \
    -f "$ROOT/tests/pg_regress/sql/roundtrip.sql"
ORACLE_CASES=$n ORACLE_SEED=0.77 bash "$ROOT/tests/scenarios/isolation_oracle.sh"
CAPTURE_SEQUENCES=$n CAPTURE_RESTORES=$((n / 20 + 1)) CAPTURE_RESTORE_CHECKS=$((n / 4 + 1)) bash "$ROOT/tests/scenarios/capture_oracle.sh"
