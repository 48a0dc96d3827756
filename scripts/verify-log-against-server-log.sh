#!/usr/bin/env bash
# Compares rls_audit's event log with its copy in the server log.
#
# Every committed event is also written to the server log as one line
# (rls_audit.log_events, on by default):
#   ... LOG:  rls_audit event: {"id":42,"hash":"…","prev_hash":"…","database":"shop",…}
# The server log is out of reach of SQL: a superuser who edits an event and
# recomputes every later hash with rls_audit's own function, or deletes the
# newest events, leaves rls_audit.verify_log() clean, but not this
# comparison. Ship the server log somewhere the database's superusers cannot
# write, and run this against that copy.
#
# usage: scripts/verify-log-against-server-log.sh [--database NAME] LOGFILE...
#   LOGFILE: server log files in stderr or csvlog format, any order
#            (rotated files together); "-" reads standard input
#   --database NAME: whose lines to compare (default: the database psql
#            connects to); the connection comes from the usual PG*
#            environment variables (PGHOST, PGPORT, PGUSER, PGDATABASE)
#
# Checks, each problem printed as "event N: …":
#   - every logged event is in rls_audit.events with the same hash
#     (else it was deleted, or edited and the chain re-hashed from there);
#   - the logged events chain (each prev_hash is the hash logged before it);
#   - every event of the table from the first logged one on is logged
#     (else it was inserted, or logged while rls_audit.log_events was off);
#   - rls_audit.verify_log() finds no broken link in the table itself.
# Events older than the first logged one are not covered (older log files
# were not given) and are only counted. A chain that starts over in the log
# (rls_audit or the database dropped and created again under the same name)
# is a problem too: give rotated files oldest first.
# Exits 0 when all match, 1 on any problem ("first bad event: N" last),
# 2 on a usage error or when the database cannot be read.
set -euo pipefail

usage() { echo "usage: $0 [--database NAME] LOGFILE..." >&2; exit 2; }
database=""
files=()
while (($#)); do
    case $1 in
        --database) (($# >= 2)) || usage; database=$2; shift 2 ;;
        --help|-h) usage ;;
        *) files+=("$1"); shift ;;
    esac
done
((${#files[@]})) || usage
for f in "${files[@]}"; do
    [ "$f" = - ] || [ -r "$f" ] || { echo "$0: cannot read $f" >&2; exit 2; }
done

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# the database's name as the log lines spell it (JSON, as PostgreSQL's
# to_json writes it: the same escapes as the lines)
if [ -n "$database" ]; then
    # (psql substitutes :'name' in what it reads, not in -c)
    db_json=$(q -v name="$database" <<<"SELECT to_json(:'name'::text)") || exit 2
    connect=(-d "$database")
else
    db_json=$(q -c "SELECT to_json(current_database())") || exit 2
    connect=()
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the table: id, hash, prev_hash ("-" for none)
q "${connect[@]}" -c "COPY (SELECT id, hash, coalesce(prev_hash, '-') FROM rls_audit.events ORDER BY id) TO STDOUT" \
    >"$work/table" || exit 2
# the table's own chain
q "${connect[@]}" -F $'\t' -c "SELECT coalesce(event_id::text, '-'), problem FROM rls_audit.verify_log()" \
    >"$work/chain" || exit 2

# the log: id, hash, prev_hash of this database's lines, in log order. A
# line without prev_hash starts a chain: an earlier chain of the same
# database (rls_audit, or the database, dropped and created again) is
# reported as a restart, "0 RESTART <times> <its newest id>", not compared.
# csvlog doubles the quotes inside its message field; stderr lines are
# taken as they are. (The name reaches awk through the environment: -v
# would undo its escapes.)
cat "${files[@]}" | DB_JSON="$db_json" awk '
    BEGIN { db = ENVIRON["DB_JSON"] }
    {
        i = index($0, "rls_audit event: {")
        if (i == 0) next
        line = substr($0, i + 17)
        if (index(line, "{\"\"id\"\":") == 1) gsub(/""/, "\"", line)
        if (match(line, /^\{"id":[0-9]+,"hash":"[0-9a-f]+","prev_hash":("[0-9a-f]+"|null),"database":/) == 0) next
        head = substr(line, 1, RLENGTH)
        rest = substr(line, RLENGTH + 1)
        if (substr(rest, 1, length(db)) != db || substr(rest, length(db) + 1, 1) != ",") next
        match(head, /^\{"id":[0-9]+/); id = substr(head, 7, RLENGTH - 6)
        match(head, /"hash":"[0-9a-f]+"/); hash = substr(head, RSTART + 8, RLENGTH - 9)
        prev = "-"
        if (match(head, /"prev_hash":"[0-9a-f]+"/)) prev = substr(head, RSTART + 13, RLENGTH - 14)
        if (prev == "-" && n > 0) { restarts++; newest = last; n = 0; delete out }
        out[++n] = id " " hash " " prev
        last = id
    }
    END {
        if (restarts) print 0, "RESTART", restarts, newest
        for (k = 1; k <= n; k++) print out[k]
    }' | sort -n -k1,1 >"$work/log"

awk -v table="$work/table" -v chain="$work/chain" '
    function problem(id, text) {
        print "event " id ": " text
        if (first == "" || id + 0 < first + 0) first = id
        bad++
    }
    BEGIN {
        while ((getline l < table) > 0) {
            split(l, t, "\t"); th[t[1]] = t[2]; tp[t[1]] = t[3]; tids[++nt] = t[1]
        }
        while ((getline l < chain) > 0) {
            split(l, c, "\t")
            problem(c[1] == "-" ? 0 : c[1], "rls_audit.verify_log(): " c[2])
        }
    }
    $2 == "RESTART" { restarts = $3; restarted_at = $4; next }
    {
        id = $1; if (!(id in lh)) lids[++nl] = id
        lh[id] = $2; lp[id] = $3
    }
    END {
        if (restarts)
            problem(nt > 0 ? tids[1] : 1, "the server log holds an earlier chain of this database (its newest logged event " restarted_at ", " restarts " restart(s)) that the table does not: rls_audit or the database was dropped and created again")
        if (nl == 0) {
            print "no rls_audit event lines of this database in the log given"
            if (nt > 0) { problem(tids[1], "in the table but not in the server log (" nt " event(s), none logged)") }
        } else {
            lo = lids[1]; hi = lids[nl]
            for (k = 1; k <= nl; k++) {
                id = lids[k]
                if (!(id in th)) problem(id, "in the server log but not in the table: deleted")
                else if (th[id] != lh[id]) problem(id, "its hash differs from the server log'"'"'s: the event was edited (and the chain re-hashed from here)")
                if (k > 1 && lp[id] != lh[lids[k - 1]])
                    problem(id, "the server log has no line for the event before it (its prev_hash is not the hash of logged event " lids[k - 1] ")")
            }
            older = 0
            for (k = 1; k <= nt; k++) {
                id = tids[k]
                if (id + 0 < lo + 0) { older++; continue }
                if (!(id in lh)) problem(id, "in the table but not in the server log: inserted, or written while rls_audit.log_events was off")
            }
            if (older) print older " event(s) older than the first logged one (" lo ") are not covered by the log given"
        }
        if (bad) { print "first bad event: " first; exit 1 }
        print "ok: events " lo ".." hi " (" nl " logged) match the server log; the chain verifies"
    }' "$work/log"
