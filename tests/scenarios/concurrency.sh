#!/usr/bin/env bash
# 8 concurrent pgbench clients create, alter and drop policies and toggle RLS
# on shared tables, under READ COMMITTED, REPEATABLE READ and SERIALIZABLE.
# Afterwards, at each level: no client failed, nothing is untracked, the hash
# chain verifies (one chain: the tail is read as committed now, whatever the
# transaction's snapshot), and replaying the events gives exactly pg_policies.
# Runs against the test cluster (PGHOST/PGPORT set by scripts/test.sh).
# Two clients racing DROP POLICY on one table can deadlock inside PostgreSQL
# itself (it happens just the same with rls_audit's triggers disabled), so
# pgbench retries deadlocks and serialization failures (--max-tries) and
# prints how many it retried; any failure left is a real one.
set -euo pipefail
(($# == 0)) || { echo "usage: tests/scenarios/concurrency.sh (no arguments; settings come from the environment)" >&2; exit 2; }
run_level() {
local level=$1
db=rls_audit_concurrency
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
psql -X -q -d $db -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION rls_audit;
CREATE TABLE public.shared_a (id int, tenant_id int);
CREATE TABLE public.shared_b (id int, tenant_id int);
ALTER TABLE public.shared_a ENABLE ROW LEVEL SECURITY;
SQL
script=$(mktemp)
cat >"$script" <<'PGB'
\set n random(1, 6)
\set t random(1, 2)
\set op random(1, 5)
SELECT public.rls_audit_bench_step(:op, :n, :t);
PGB
psql -X -q -d $db -v ON_ERROR_STOP=1 <<'SQL'
-- one random RLS DDL; "already exists" / "does not exist" are the expected
-- races between clients, not failures
CREATE FUNCTION public.rls_audit_bench_step(op int, n int, t int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tbl text := CASE t WHEN 1 THEN 'public.shared_a' ELSE 'public.shared_b' END;
BEGIN
    EXECUTE CASE op
        WHEN 1 THEN format('CREATE POLICY p%s ON %s USING (tenant_id = %s)', n, tbl, n)
        WHEN 2 THEN format('ALTER POLICY p%s ON %s USING (tenant_id > %s)', n, tbl, n)
        WHEN 3 THEN format('DROP POLICY IF EXISTS p%s ON %s', n, tbl)
        WHEN 4 THEN format('ALTER TABLE %s %s ROW LEVEL SECURITY', tbl,
                           (ARRAY['ENABLE', 'DISABLE', 'FORCE', 'NO FORCE'])[1 + n % 4])
        ELSE 'SELECT 1' END;
EXCEPTION WHEN duplicate_object OR undefined_object THEN NULL;
END $$;
SQL
out=$(PGOPTIONS="-c default_transaction_isolation=${level// /\\ }" pgbench -n -c 8 -j 2 -t 150 --max-tries=20 --failures-detailed -f "$script" $db 2>&1) || { echo "$out"; echo "concurrency: pgbench failed"; exit 1; }
rm -f "$script"
failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' <<<"$out")
processed=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$out")
result=$(psql -X -qAt -d $db <<'SQL'
WITH ev AS (
    -- replay: the last event per policy tells whether it exists now, and how
    SELECT DISTINCT ON (schema_name, table_name, policy_name)
           schema_name, table_name, policy_name, change, after
      FROM rls_audit.events WHERE policy_name IS NOT NULL
     ORDER BY schema_name, table_name, policy_name, id DESC),
replayed AS (
    SELECT schema_name::text, table_name::text, policy_name::text, after ->> 'using_expr' AS qual
      FROM ev WHERE change <> 'policy_removed'),
live AS (
    SELECT schemaname::text, tablename::text, policyname::text, qual FROM pg_policies
     WHERE schemaname = 'public')
SELECT (SELECT count(*) FROM rls_audit.untracked_changes()) || ' ' ||
       (SELECT count(*) FROM rls_audit.verify_log()) || ' ' ||
       (SELECT count(*) FROM ((TABLE replayed EXCEPT TABLE live) UNION ALL (TABLE live EXCEPT TABLE replayed)) d) || ' ' ||
       (SELECT count(*) FROM rls_audit.events);
SQL
)
read -r untracked broken mismatched events <<<"$result"
retried=$(sed -nE 's/^number of transactions retried: ([0-9]+).*/\1/p' <<<"$out")
echo "concurrency ($level): $processed transactions by 8 clients, $failed failed (${retried:-0} retried), $events events, $untracked untracked, $broken broken links, $mismatched replay mismatches"
[ "$processed" = 1200 ] && [ "${failed:-0}" = 0 ] && [ "$untracked" = 0 ] && [ "$broken" = 0 ] && [ "$mismatched" = 0 ] && [ "$events" -gt 0 ]
}

for level in "read committed" "repeatable read" "serializable"; do
    run_level "$level" || exit 1
done

# A snapshot and a captured DDL in one transaction, in either order, in two
# sessions at once: the first session's DDL holds the chain's lock when the
# second takes its snapshot and then runs DDL, and the first then takes a
# snapshot. The snapshot lock is always taken after the chain's, so the
# second waits for the first instead of each waiting for the other
# (PostgreSQL's "deadlock detected" rolled one of them back before); and
# the second, whose statement began before the first committed, still
# sees the first's snapshot, so only that one becomes the baseline. At
# each isolation level.
db=rls_audit_concurrency
either_order() {
local level=$1
psql -X -q -d $db -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
    -c "DROP TABLE IF EXISTS public.order_a, public.order_b" \
    -c "CREATE TABLE public.order_a (id int)" -c "CREATE TABLE public.order_b (id int)" \
    -c "DELETE FROM rls_audit.snapshot_meta"
local first second pid rc_first=0 rc_second=0 snapshots baselines events last
last=$(psql -X -qAt -d $db -c "SELECT coalesce(max(id), 0) FROM rls_audit.events")
first=$(mktemp); second=$(mktemp)
PGOPTIONS="-c default_transaction_isolation=${level// /\\ }" psql -X -q -d $db -v ON_ERROR_STOP=1 >"$first" 2>&1 <<'SQL' &
BEGIN;
ALTER TABLE public.order_a ENABLE ROW LEVEL SECURITY;
SELECT pg_sleep(1);
SELECT rls_audit.snapshot() IS NOT NULL AS first_snapshot;
COMMIT;
SQL
pid=$!
sleep 0.3
PGOPTIONS="-c default_transaction_isolation=${level// /\\ }" psql -X -q -d $db -v ON_ERROR_STOP=1 >"$second" 2>&1 <<'SQL' || rc_second=$?
BEGIN;
SELECT rls_audit.snapshot() IS NOT NULL AS second_snapshot;
ALTER TABLE public.order_b ENABLE ROW LEVEL SECURITY;
COMMIT;
SQL
wait "$pid" || rc_first=$?
snapshots=$(psql -X -qAt -d $db -c "SELECT count(*) FROM rls_audit.snapshot_meta")
baselines=$(psql -X -qAt -d $db -c "SELECT count(*) FROM rls_audit.snapshot_meta WHERE is_baseline")
events=$(psql -X -qAt -d $db -c "SELECT count(*) FROM rls_audit.events WHERE id > $last AND change = 'rls_enabled'")
echo "concurrency ($level, snapshot and DDL in either order): sessions exited $rc_first and $rc_second, $snapshots snapshots ($baselines baseline), $events events"
if [ "$rc_first" != 0 ] || [ "$rc_second" != 0 ] || [ "$snapshots" != 2 ] || [ "$baselines" != 1 ] || [ "$events" != 2 ]; then
    cat "$first" "$second"
    rm -f "$first" "$second"
    return 1
fi
rm -f "$first" "$second"
}
for level in "read committed" "repeatable read" "serializable"; do
    either_order "$level" || exit 1
done
