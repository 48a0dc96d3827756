"""The peer comparison: the same schema linted by rls_audit.lint() and by
`pgrls lint`, which defects each finds, and their wall times side by side.

Called by benches/peer.sh (which sets up the database and the venv):

    python peer_compare.py DEFECTS_DB [BENCH_DB BENCH_SCHEMA] REPS

The connection comes from PGHOST / PGPORT / PGUSER. Each defect in
benches/defects.sql is an object named dNN_<defect> (roles peer_dNN_...);
a finding belongs to the defect its object names. d00 is built the way the
README recommends: any finding on it above low (rls_audit) or above info
(pgrls) is a false positive.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time

DEFECT = re.compile(r"(?:^|[^a-z0-9])(?:peer_)?d(\d\d)_")

# The rules of each tool that address each defect (from `pgrls explain`
# and the README's lint table). A finding counts for a defect when its rule
# is listed here and its object or message names the defect's object;
# every other finding on that object is shown as "other".
EXPECTED = {
    "01": ({"rls_disabled"}, {"SEC001"}),
    "02": ({"policy_exists_rls_disabled"}, {"SEC032"}),
    "03": ({"rls_enabled_no_policy"}, {"SEC009"}),
    "04": ({"rls_not_forced"}, {"SEC002"}),
    "05": ({"policy_always_true"}, {"SEC005", "SEC008", "SEC028", "SEC038"}),
    "06": ({"policy_to_public"}, {"SEC003"}),
    "07": ({"multiple_permissive_policies"}, {"HYG003"}),
    "08": ({"bypassrls_role"}, {"SEC016"}),
    "09": ({"security_definer_search_path"}, {"SEC015"}),
    "10": ({"view_bypasses_rls"}, {"VIEW001"}),
    "11": ({"policy_per_row_function"}, {"PERF001"}),
    "12": ({"current_setting_without_missing_ok"}, {"SEC019"}),
    "13": ({"materialized_view_exposes_rls"}, {"VIEW003", "SEC054"}),
    "14": ({"role_can_bypass_rls"}, {"SEC029"}),
    "15": ({"member_of_table_owner"}, {"SEC048"}),
    "16": ({"security_definer_exposes_rls"}, {"SEC014", "VIEW004"}),
    "17": ({"restrictive_only"}, {"SEC012"}),
    "18": ({"write_policy_unconditional"}, {"SEC008", "SEC028", "SEC040"}),
    "19": ({"rls_disabled"}, {"SEC041"}),
    "20": (set(), {"PERF003"}),
}


def psql(db, sql):
    out = subprocess.run(
        ["psql", "-X", "-qAt", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
        check=True, capture_output=True, text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def url(db):
    return "postgresql://{}@/{}?host={}&port={}".format(
        os.environ.get("PGUSER", "postgres"), db, os.environ["PGHOST"], os.environ["PGPORT"])


def pgrls_cmd(db, schema):
    return ["pgrls", "lint", "--database-url", url(db), "--schemas", schema, "--format", "json"]


def rls_audit_cmd(db, schema):
    return ["psql", "-X", "-qAt", "-d", db, "-c",
            "SELECT lint, severity, schema_name, object_name, detail FROM rls_audit.lint(ARRAY['%s'])" % schema]


def run_pgrls(db, schema):
    # pgrls exits 1 when it finds something; its JSON is on stdout either way
    p = subprocess.run(pgrls_cmd(db, schema), capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit("pgrls lint failed (%d): %s" % (p.returncode, p.stderr[-2000:]))
    return json.loads(p.stdout)


def median_wall(cmd, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
        if p.returncode not in (0, 1):
            sys.exit("%s failed (%d)" % (cmd[0], p.returncode))
    return statistics.median(times) * 1000


def mentions(*texts):
    return {m for t in texts for m in DEFECT.findall(t or "")}


def attribute(findings, tool):
    """findings: (rule, severity, object, message) -> {defect: (matching, other)}"""
    out = {}
    for rule, severity, obj, message in findings:
        named = mentions(obj, message)
        credited = [d for d in named if rule in EXPECTED.get(d, (set(), set()))[tool]]
        for d in credited:
            out.setdefault(d, ([], []))[0].append((rule, severity))
        if not credited:
            home = (mentions(obj) or {None}).pop()
            out.setdefault(home, ([], []))[1].append((rule, severity))
    return out


def main():
    args = sys.argv[1:]
    defects_db, reps = args[0], int(args[-1])
    bench = args[1:3] if len(args) == 4 else None

    # the defects, from their comments in defects.sql ("-- dNN: ...", and
    # the comment lines that continue it)
    titles, current = {}, None
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "defects.sql")) as f:
        for line in f:
            m = re.match(r"-- d(\d\d): (.*)", line)
            if m:
                current = m.group(1)
                titles[current] = m.group(2).strip()
            elif current and line.startswith("-- "):
                titles[current] += " " + line[3:].strip()
            else:
                current = None
    titles["00"] = "built as the README recommends (nothing to find)"

    # rls_audit: every schema (role findings come only without a filter);
    # the database holds the peer schema alone
    ours = attribute(
        [tuple(r) for r in psql(defects_db, "SELECT lint, severity, object_name, detail FROM rls_audit.lint()")], 0)
    theirs = attribute(
        [(v["rule_id"], v["severity"], v["location"], v["message"])
         for v in run_pgrls(defects_db, "peer")["violations"]], 1)

    def cell(pair):
        matching, other = pair
        shown = ", ".join(sorted({"**%s** (%s)" % f for f in matching})) or "not found"
        if other:
            shown += "; other: " + ", ".join(sorted({"%s (%s)" % f for f in other}))
        return shown

    print("defect | rls_audit.lint() | pgrls lint")
    print("--- | --- | ---")
    for d in sorted(titles):
        print("d%s %s | %s | %s" % (d, titles[d], cell(ours.get(d, ([], []))), cell(theirs.get(d, ([], [])))))
    print("(no defect named) | %s | %s" % (cell(ours.get(None, ([], []))), cell(theirs.get(None, ([], [])))))
    print()
    defects = [d for d in sorted(titles) if d != "00"]
    for name, got, quiet in (("rls_audit", ours, ("low", "info")), ("pgrls", theirs, ("info",))):
        hit = [d for d in defects if got.get(d, ([], []))[0]]
        missed = [d for d in defects if d not in hit]
        noise = [f for f in got.get("00", ([], []))[1] if f[1] not in quiet]
        print("%s: found %d of %d defects; missed: %s; findings on d00 above %s: %d"
              % (name, len(hit), len(defects), ", ".join("d" + d for d in missed) or "none",
                 quiet[0], len(noise)))

    # time, end to end as a CI job runs each: one client process, one lint
    print()
    for db, schema, what in [(defects_db, "peer", "defect schema")] + (
            [(bench[0], bench[1], "bench schema %s" % bench[1])] if bench else []):
        n_pol = psql(db, "SELECT count(*) FROM pg_catalog.pg_policies WHERE schemaname = '%s'" % schema)[0][0]
        ms_a = median_wall(rls_audit_cmd(db, schema), reps)
        ms_b = median_wall(pgrls_cmd(db, schema), reps)
        print("peer_lint_time (%s, %s policies): pgrls / rls_audit = %.1f   [pgrls lint %.0f ms, "
              "psql + rls_audit.lint() %.0f ms, median of %d, wall clock]"
              % (what, n_pol, ms_b / ms_a, ms_b, ms_a, reps))
    ms_v = median_wall(["pgrls", "--version"], reps)
    print("(pgrls --version alone, its start-up: %.0f ms)" % ms_v)


if __name__ == "__main__":
    main()
