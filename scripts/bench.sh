#!/usr/bin/env bash
# SPEC §5 as ratios measured side by side in one run (never bare times):
#   scripts/bench.sh            2 000 tables / 10 000 policies, 4 x 1 000 000 rows, growth to 50 000
#   scripts/bench.sh --quick    200 tables / 1 000 policies, 4 x 100 000 rows, growth to 10 000
#   --pg 18                     on PostgreSQL 18 (default 15)
# Ends with the peer comparison (benches/peer.sh: pgrls from PyPI in a
# throwaway venv, linting benches/defects.sql and the bench schema).
# Sets up its own throwaway cluster (release build of rls_audit) and prints
# one line per measure: "name: ratio R (target T) PASS|FAIL" and the medians.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

quick=0
pg=15
while (($#)); do
    case $1 in
        --quick) quick=1; shift ;;
        --pg) case ${2:-} in 15|18) pg=$2 ;; *) die "usage: scripts/bench.sh [--quick] [--pg 15|18]" ;; esac; shift 2 ;;
        *) die "usage: scripts/bench.sh [--quick] [--pg 15|18]" ;;
    esac
done
if [ $quick = 1 ]; then
    TABLES=200; ROWS=100000; GROWTH=(200 1000 2000); REPS=5; DDL_REPS=30
else
    TABLES=2000; ROWS=1000000; GROWTH=(200 2000 10000); REPS=5; DDL_REPS=40
fi
mkdir -p "$WORK"
[ "$pg" = 18 ] && export NEED_PG18=1
setup
use_pg "$pg"
export PATH="$PG_BIN:$PATH"
install_extension --release
# rls_audit preloaded (its role hook on, as in production) and every event a
# server log line (rls_audit.log_events). pg_stat_statements (track = all) is
# the profile: it shows which statements inside rls_audit's functions the
# time goes to
bench=bench; [ "$pg" = 15 ] || bench=bench$pg
cluster_start "$bench" "shared_buffers = '1GB'" "work_mem = '64MB'" "max_wal_size = '4GB'" "checkpoint_timeout = '30min'" \
    "shared_preload_libraries = 'pg_stat_statements, rls_audit'" "pg_stat_statements.track = all" \
    "max_locks_per_transaction = 1024"
trap 'cluster_stop $bench' EXIT
q() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }
results=()
verdict() {  # name ratio op target details
    local name=$1 ratio=$2 op=$3 target=$4 details=$5 ok
    ok=$(awk -v r="$ratio" -v t="$target" -v op="$op" 'BEGIN { print ((op == "<=" && r <= t) || (op == "<" && r < t)) ? "PASS" : "FAIL" }')
    local line
    line=$(printf '%s: ratio %s (target %s %s) %s   [%s]' "$name" "$ratio" "$op" "$target" "$ok" "$details")
    echo "$line"; results+=("$line")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for db in rls_audit_bench rls_audit_bench_small; do recreate_db $db >/dev/null 2>&1; done
# (created when missing, not dropped first: another database of a reused
# bench cluster may hold objects of it)
q -d postgres -c "DO \$\$ BEGIN CREATE ROLE bench_app NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" \
    -c "ALTER ROLE bench_app NOLOGIN"
for db in rls_audit_bench rls_audit_bench_small; do
    q -d $db -c "SET client_min_messages = warning" -c "CREATE EXTENSION rls_audit" \
        -c "CREATE EXTENSION pg_stat_statements" -f "$ROOT/benches/helpers.sql"
done
profile() {  # top statements by total time since the last reset: "calls x mean ms: query"
    q -d rls_audit_bench -c "SELECT calls || ' x ' || round(mean_exec_time::numeric, 3) || ' ms: ' || regexp_replace(left(query, 90), '\\s+', ' ', 'g')
                               FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                                AND query !~ 'bench\\.|pg_stat_statements' ORDER BY total_exec_time DESC LIMIT ${1:-8}"
}
reset_profile() { q -d rls_audit_bench -c "SELECT pg_stat_statements_reset()" >/dev/null; }
log "generating $TABLES tables with $((TABLES * 5)) policies"
q -d rls_audit_bench -c "SELECT bench.make_policies('b', $TABLES)" >/dev/null
q -d rls_audit_bench_small -c "SELECT bench.make_policies('b', 2)" >/dev/null
q -d rls_audit_bench -c "VACUUM ANALYZE" -c "SELECT rls_audit.snapshot('bench-base')" >/dev/null

# 1. snapshot() vs the floor: pg_policies into a temp table plus the table flags
floor_sql="CREATE TEMP TABLE f_pol AS SELECT * FROM pg_catalog.pg_policies"
floor_tab="CREATE TEMP TABLE f_tab AS SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p')"
m() { q -d "$1" -c "SELECT round(bench.median_ms(\$q\$$2\$q\$, $3, ${4:-NULL}, ${5:-NULL})::numeric, 3)"; }
snap=$(m rls_audit_bench "SELECT rls_audit.snapshot()" $REPS)
fl1=$(m rls_audit_bench "$floor_sql" $REPS NULL "'DROP TABLE f_pol'")
fl2=$(m rls_audit_bench "$floor_tab" $REPS NULL "'DROP TABLE f_tab'")
floor=$(awk -v a="$fl1" -v b="$fl2" 'BEGIN { print a + b }')
verdict "snapshot_vs_floor ($((TABLES * 5)) policies)" "$(ratio "$snap" "$floor")" "<=" 1.5 "snapshot ${snap} ms, floor ${floor} ms"
# 1b. the same, each call in a session of its own, as a DBA's psql or a
#     pg_cron job runs it. Above, the floor's later calls find every table's
#     relation cache entry (its parsed policies) built by the first, while
#     snapshot() releases the entries it builds (memory_snapshot); here both
#     sides build them. The setup (untimed) makes the session's temporary
#     schema, so the floor's first temporary table does not pay for it
snap_f=(); floor_f=()
for ((i = 0; i < REPS; i++)); do
    snap_f+=("$(m rls_audit_bench "SELECT rls_audit.snapshot()" 1)")
    a=$(m rls_audit_bench "$floor_sql" 1 "'CREATE TEMP TABLE f_warm ()'" "'DROP TABLE f_pol'")
    b=$(m rls_audit_bench "$floor_tab" 1 "'CREATE TEMP TABLE f_warm ()'" "'DROP TABLE f_tab'")
    floor_f+=("$(awk -v a="$a" -v b="$b" 'BEGIN { print a + b }')")
done
snap_fresh=$(printf '%s\n' "${snap_f[@]}" | median); floor_fresh=$(printf '%s\n' "${floor_f[@]}" | median)
verdict "snapshot_vs_floor_fresh_session ($((TABLES * 5)) policies)" "$(ratio "$snap_fresh" "$floor_fresh")" "<=" 1.5 \
    "snapshot ${snap_fresh} ms, floor ${floor_fresh} ms, medians of $REPS calls each in a new session"

# 2. capture: CREATE POLICY / DROP POLICY / DISABLE RLS with the event
#    triggers on vs off, at 10 policies and at $((TABLES * 5))
toggle() {  # db ENABLE|DISABLE: rls_audit's capture triggers; back on, the
            # changes made meanwhile are recorded as untracked
    q -d "$1" -c "ALTER EVENT TRIGGER rls_audit_ddl $2" -c "ALTER EVENT TRIGGER rls_audit_drop $2"
    if [ "$2" = ENABLE ]; then
        q -d "$1" -c "SELECT rls_audit.record_untracked('benchmark toggled the event triggers')" >/dev/null
    fi
}
capture() {  # db, what -> "on off"
    local db=$1 what=$2 sql setup teardown on off
    case $what in
        create) sql="CREATE POLICY bench_p ON b.t1 FOR SELECT USING (tenant_id = 7)"; setup=NULL; teardown="'DROP POLICY bench_p ON b.t1'" ;;
        drop)   sql="DROP POLICY bench_p ON b.t1"; setup="'CREATE POLICY bench_p ON b.t1 FOR SELECT USING (tenant_id = 7)'"; teardown=NULL ;;
        disable) sql="ALTER TABLE b.t1 DISABLE ROW LEVEL SECURITY"; setup=NULL; teardown="'ALTER TABLE b.t1 ENABLE ROW LEVEL SECURITY'" ;;
    esac
    on=$(m "$db" "$sql" $DDL_REPS "$setup" "$teardown")
    toggle "$db" DISABLE
    off=$(m "$db" "$sql" $DDL_REPS "$setup" "$teardown")
    toggle "$db" ENABLE
    echo "$on $off"
}
for what in create drop disable; do
    reset_profile
    read -r on_big off_big <<<"$(capture rls_audit_bench $what)"
    echo "profile of capture_$what (statements run inside the capture, by total time):"
    profile 6 | sed 's/^/    /'
    read -r on_small off_small <<<"$(capture rls_audit_bench_small $what)"
    r_big=$(ratio "$on_big" "$off_big"); r_small=$(ratio "$on_small" "$off_small")
    verdict "capture_${what}_overhead ($((TABLES * 5)) policies)" "$r_big" "<=" 2 "with triggers ${on_big} ms, without ${off_big} ms"
    spread=$(awk -v a="$r_big" -v b="$r_small" 'BEGIN { m = a > b ? a : b; n = a > b ? b : a; printf "%.2f", m / n }')
    verdict "capture_${what}_scale (10 vs $((TABLES * 5)) policies)" "$spread" "<=" 1.2 "overhead ${r_small} at 10 policies, ${r_big} at $((TABLES * 5))"
done

# 2b. capture against the peer: the same DDL with rls_audit's triggers, with
#     the hand-written audit trigger (benches/handwritten_audit.sql, in a
#     second database of the same size on this cluster) and with neither
#     (rls_audit's triggers disabled). Totals as a client runs them: pgbench,
#     one transaction per statement (commit included), pairs that leave the
#     catalog as they found it; pg_stat_statements tracks top-level
#     statements only here, so its profiling is not part of the cost.
log "capture vs the hand-written audit trigger"
recreate_db rls_audit_bench_hw >/dev/null 2>&1
q -d rls_audit_bench_hw -c "SET client_min_messages = warning" -f "$ROOT/benches/helpers.sql" \
    -c "SELECT bench.make_policies('b', $TABLES)" -f "$ROOT/benches/handwritten_audit.sql" -c "VACUUM ANALYZE" >/dev/null
pairs=(
    "policy|CREATE POLICY bench_p ON b.t1 FOR SELECT USING (tenant_id = 7);|DROP POLICY bench_p ON b.t1;"
    "rls|ALTER TABLE b.t1 DISABLE ROW LEVEL SECURITY;|ALTER TABLE b.t1 ENABLE ROW LEVEL SECURITY;"
    "index|CREATE INDEX bench_i ON b.t2 (id);|DROP INDEX b.bench_i;"
)
totals() {  # db script -> mean ms per pair (pgbench latency average)
    PGOPTIONS="-c pg_stat_statements.track=top" "$PG_BIN/pgbench" -n -f "$2" -t "$ROUND_PAIRS" "$1" 2>/dev/null \
        | awk '/latency average/ { print $4 }'
}
spread() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
# the three sides take turns, ROUNDS times, ROUND_PAIRS pairs each, and each
# side's median is compared: a machine that slows down for a while slows
# every side, not the one that happened to run then
ROUNDS=5; ROUND_PAIRS=1000
for pair in "${pairs[@]}"; do
    IFS='|' read -r what first second <<<"$pair"
    script="$WORK/bench_$what.sql"
    printf '%s\n%s\n' "$first" "$second" >"$script"
    # once each first, so both databases start with warm buffers
    totals rls_audit_bench "$script" >/dev/null
    totals rls_audit_bench_hw "$script" >/dev/null
    r_rls=(); r_hw=(); r_bare=()
    for _ in $(seq "$ROUNDS"); do
        r_rls+=("$(totals rls_audit_bench "$script")")
        r_hw+=("$(totals rls_audit_bench_hw "$script")")
        toggle rls_audit_bench DISABLE
        r_bare+=("$(totals rls_audit_bench "$script")")
        toggle rls_audit_bench ENABLE
    done
    t_rls=$(printf '%s\n' "${r_rls[@]}" | median)
    t_hw=$(printf '%s\n' "${r_hw[@]}" | median)
    t_bare=$(printf '%s\n' "${r_bare[@]}" | median)
    ranges="rounds: $(printf '%s\n' "${r_rls[@]}" | spread), $(printf '%s\n' "${r_hw[@]}" | spread), $(printf '%s\n' "${r_bare[@]}" | spread)"
    verdict "capture_vs_handwritten_$what (pgbench totals, $((TABLES * 5)) policies)" "$(ratio "$t_rls" "$t_hw")" "<=" 1.25 \
        "with rls_audit ${t_rls} ms, with the hand-written trigger ${t_hw} ms, with neither ${t_bare} ms per pair, medians of $ROUNDS x $ROUND_PAIRS; $ranges"
    verdict "capture_vs_bare_$what (pgbench totals)" "$(ratio "$t_rls" "$t_bare")" "<=" 2 \
        "with rls_audit ${t_rls} ms, triggers disabled ${t_bare} ms per pair"
done
q -d postgres -c "DROP DATABASE rls_audit_bench_hw" >/dev/null

# 3. drift() against the live state vs snapshot()
drift=$(m rls_audit_bench "SELECT count(*) FROM rls_audit.drift('bench-base')" $REPS)
verdict "drift_vs_snapshot" "$(ratio "$drift" "$snap")" "<=" 2 "drift ${drift} ms, snapshot ${snap} ms"

# 4. lint() vs reading pg_policies, and vs the same lints as plain catalog queries
lint=$(m rls_audit_bench "SELECT count(*) FROM rls_audit.lint()" $REPS)
# the floor reads every column of pg_policies (so every expression is deparsed)
pol=$(m rls_audit_bench "SELECT md5(string_agg(p::text, '')) FROM pg_catalog.pg_policies p" $REPS)
peer=$(m rls_audit_bench "SELECT bench.catalog_lints()" $REPS)
verdict "lint_vs_pg_policies" "$(ratio "$lint" "$pol")" "<=" 3 "lint ${lint} ms, pg_policies ${pol} ms"
verdict "lint_vs_catalog_queries" "$(ratio "$lint" "$peer")" "<" 1 "lint ${lint} ms, splinter-style queries ${peer} ms"

# 4b. access_matrix() for 10 login roles (members of the app role, which
#     holds every table's grants) vs lint() on the same catalog
q -d postgres >/dev/null <<'SQL'
SET client_min_messages = warning;
DO $$ DECLARE i int; BEGIN
FOR i IN 1..10 LOOP
    EXECUTE format('DROP ROLE IF EXISTS bench_login%s', i);
    EXECUTE format('CREATE ROLE bench_login%s LOGIN IN ROLE bench_app', i);
END LOOP; END $$;
SQL
q -d rls_audit_bench -c "GRANT USAGE ON SCHEMA b TO bench_app" -c "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA b TO bench_app"
logins="ARRAY(SELECT 'bench_login' || g FROM generate_series(1, 10) g)::name[]"
cells=$(q -d rls_audit_bench -c "SELECT count(*) FROM rls_audit.access_matrix($logins)")
reset_profile
am=$(m rls_audit_bench "SELECT count(*) FROM rls_audit.access_matrix($logins)" $REPS)
lint2=$(m rls_audit_bench "SELECT count(*) FROM rls_audit.lint()" $REPS)
echo "profile of access_matrix and lint (statements inside them, by total time):"
profile 6 | sed 's/^/    /'
verdict "access_matrix_vs_lint (10 login roles, $cells cells, $((TABLES * 5)) policies)" "$(ratio "$am" "$lint2")" "<=" 2 "access_matrix ${am} ms, lint ${lint2} ms"

# 4c. the peer: pgrls lint (PyPI, throwaway venv) on benches/defects.sql and
#     on the bench schema (before it grows), with rls_audit.lint() beside it
log "peer comparison: pgrls lint vs rls_audit.lint()"
peer_out=$("$ROOT/benches/peer.sh" rls_audit_bench b --reps 3)
echo "$peer_out"
while IFS= read -r line; do results+=("$line"); done < <(grep -E '^(rls_audit|pgrls): found|^peer_lint_time' <<<"$peer_out")

# 5. verify_isolation() on 4 tables of $ROWS rows vs counting them
# tenant_tables SCHEMA N ROWS: tables SCHEMA.t1 .. tN of ROWS rows each, 16
# tenants, RLS forced, one tenant policy for bench_app (whom the probes act as)
tenant_tables() {
    q -d rls_audit_bench >/dev/null <<SQL
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS $1 CASCADE;
CREATE SCHEMA $1;
GRANT USAGE ON SCHEMA $1 TO bench_app;
DO \$\$ DECLARE i int; BEGIN
FOR i IN 1..$2 LOOP
    EXECUTE format('CREATE TABLE $1.t%s (id bigserial PRIMARY KEY, tenant_id int NOT NULL, payload text)', i);
    EXECUTE format('INSERT INTO $1.t%s (tenant_id, payload) SELECT 1 + g %% 16, md5(g::text) FROM generate_series(1, $3) g', i);
    EXECUTE format('CREATE INDEX ON $1.t%s (tenant_id)', i);
    EXECUTE format('ALTER TABLE $1.t%s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', i);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON $1.t%s TO bench_app', i);
    EXECUTE format('GRANT USAGE ON SEQUENCE $1.t%s_id_seq TO bench_app', i);
    EXECUTE format(\$p\$CREATE POLICY tenant ON $1.t%s TO bench_app
        USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)
        WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)\$p\$, i);
END LOOP; END \$\$;
VACUUM ANALYZE $(seq -f "$1.t%g" -s ', ' 1 "$2");
SQL
}
log "generating 4 x $ROWS rows"
tenant_tables iso 4 "$ROWS"
reset_profile
iso=$(m rls_audit_bench "SELECT count(*) FROM rls_audit.verify_isolation('bench_app', 'app.tenant_id', tables => ARRAY['iso.t1', 'iso.t2', 'iso.t3', 'iso.t4']::regclass[])" $REPS)
cnt=$(m rls_audit_bench "SELECT (SELECT count(*) FROM iso.t1) + (SELECT count(*) FROM iso.t2) + (SELECT count(*) FROM iso.t3) + (SELECT count(*) FROM iso.t4)" $REPS)
pct=$(awk -v a="$iso" -v b="$cnt" 'BEGIN { printf "%.2f", 100 * a / b }')
echo "profile of verify_isolation (statements inside it, by total time):"
profile 6 | sed 's/^/    /'
verdict "verify_isolation_vs_count (4 x $ROWS rows, percent)" "$pct" "<" 1 "verify_isolation ${iso} ms, count(*) ${cnt} ms"

# 5b. the absolute time of one call on 200 tables (1 000 rows each, 16
#     tenants, the same policy): what a release checklist waits for, with the
#     exact write checks and without them
log "verify_isolation on 200 tables"
tenant_tables iso200 200 1000
iso200="tables => (SELECT array_agg(c.oid::regclass) FROM pg_catalog.pg_class c WHERE c.relnamespace = 'iso200'::regnamespace AND c.relkind = 'r')"
iso_w=$(m rls_audit_bench "SELECT count(*) FROM rls_audit.verify_isolation('bench_app', 'app.tenant_id', $iso200)" 3)
iso_r=$(m rls_audit_bench "SELECT count(*) FROM rls_audit.verify_isolation('bench_app', 'app.tenant_id', $iso200, write_probes => false)" 3)
per_w=$(awk -v a="$iso_w" 'BEGIN { printf "%.1f", a / 200 }')
per_r=$(awk -v a="$iso_r" 'BEGIN { printf "%.1f", a / 200 }')
echo "verify_isolation on 200 tables: ${iso_w} ms with write probes (${per_w} ms per table), ${iso_r} ms without (${per_r} ms per table)"
results+=("verify_isolation on 200 tables: ${iso_w} ms with write probes (${per_w} ms/table), ${iso_r} ms without (${per_r} ms/table)")
q -d rls_audit_bench -c "SET client_min_messages = warning" -c "DROP SCHEMA iso200 CASCADE" >/dev/null

# 6. growth: snapshot() and drift() per 1 000 policies as the catalog grows,
#    and peak backend memory at the largest size
done_tables=$TABLES
prev=""
for t in "${GROWTH[@]}"; do
    if [ "$t" -gt "$done_tables" ]; then
        log "growing to $t tables ($((t * 5)) policies)"
        q -d rls_audit_bench -c "SET client_min_messages = warning" -c "SELECT bench.make_policies('g$t', $((t - done_tables)))" >/dev/null
        done_tables=$t
    fi
    n=$(q -d rls_audit_bench -c "SELECT count(*) FROM pg_catalog.pg_policy")
    s=$(m rls_audit_bench "SELECT rls_audit.snapshot()" 3)
    d=$(m rls_audit_bench "SELECT count(*) FROM rls_audit.drift('bench-base')" 3)
    per_s=$(awk -v a="$s" -v n="$n" 'BEGIN { printf "%.3f", 1000 * a / n }')
    per_d=$(awk -v a="$d" -v n="$n" 'BEGIN { printf "%.3f", 1000 * a / n }')
    echo "growth at $n policies: snapshot ${s} ms (${per_s} ms per 1000), drift ${d} ms (${per_d} ms per 1000)"
    results+=("growth at $n policies: snapshot ${s} ms (${per_s} ms/1000), drift ${d} ms (${per_d} ms/1000)")
    [ -z "$prev" ] && { first_s=$per_s; first_d=$per_d; }
    prev=$n; last_s=$per_s; last_d=$per_d
done
verdict "snapshot_growth (cost per policy, largest / smallest)" "$(ratio "$last_s" "$first_s")" "<=" 1.5 "linear means about 1"
verdict "drift_growth (cost per policy, largest / smallest)" "$(ratio "$last_d" "$first_d")" "<=" 1.5 "linear means about 1"
# memory at the largest size, each statement in a fresh backend: the peak
# of the backend's private memory (RssAnon, sampled every 5 ms while the
# statement runs) and, as before, the growth of VmHWM, which also counts
# the shared buffers the backend touched (the cluster's cache, not memory
# the call allocates). The floor (pg_policies into a temp table) beside it.
peak_mem() {  # statement -> "private_MiB vmhwm_MiB"
    local pid a0 h0 a peak line
    coproc PSQL { psql -X -qAt -d rls_audit_bench 2>&1; }
    echo "SELECT pg_backend_pid();" >&"${PSQL[1]}"
    read -r pid <&"${PSQL[0]}"
    status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
    a0=$(status_kb RssAnon); h0=$(status_kb VmHWM); peak=$a0
    echo "$1; SELECT 'rls_audit-bench-done';" >&"${PSQL[1]}"
    # (a read that times out keeps what it read of a line: put it back
    # together, or a marker split by the timeout is never seen)
    local got=""
    while :; do
        a=$(status_kb RssAnon)
        if [ -n "$a" ] && [ "$a" -gt "$peak" ]; then peak=$a; fi
        if read -t 0.005 -r line <&"${PSQL[0]}"; then
            [ "$got$line" = rls_audit-bench-done ] && break
            got=""
        else
            got+=$line
        fi
    done
    echo "$(( (peak - a0) / 1024 )) $(( ($(status_kb VmHWM) - h0) / 1024 ))"
    echo '\q' >&"${PSQL[1]}"
    wait "$PSQL_PID" 2>/dev/null || true
}
read -r floor_mem floor_hwm <<<"$(peak_mem "CREATE TEMP TABLE f_mem AS SELECT * FROM pg_catalog.pg_policies")"
echo "memory at $prev policies: floor (pg_policies into a temp table) +${floor_mem} MiB private, VmHWM +${floor_hwm} MiB"
results+=("memory at $prev policies: floor +${floor_mem} MiB private (VmHWM +${floor_hwm} MiB)")
for what in snapshot drift lint access_matrix; do
    case $what in
        snapshot) sql="SELECT rls_audit.snapshot()" ;;
        drift) sql="SELECT count(*) FROM rls_audit.drift('bench-base')" ;;
        lint) sql="SELECT count(*) FROM rls_audit.lint()" ;;
        access_matrix) sql="SELECT count(*) FROM rls_audit.access_matrix()" ;;
    esac
    read -r mib hwm <<<"$(peak_mem "$sql")"
    if [ "$what" = snapshot ] || [ "$what" = drift ]; then
        verdict "memory_${what} ($prev policies, MiB)" "$mib" "<" 64 "peak private memory +${mib} MiB, VmHWM +${hwm} MiB, floor +${floor_mem} MiB"
    else
        echo "memory at $prev policies: ${what}() +${mib} MiB private, VmHWM +${hwm} MiB"
        results+=("memory at $prev policies: ${what}() +${mib} MiB private (VmHWM +${hwm} MiB)")
    fi
done

echo
echo "== summary"
for r in "${results[@]}"; do echo "$r"; done
