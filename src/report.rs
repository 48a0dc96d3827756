//! The release validation report (pure): the seeds' checklists (pre-execution,
//! verification, security scan, rollback, sign-off) filled in from the live
//! database. One [`Report`] struct is built from drift, lint, the event log
//! and the chain check; markdown and JSON are two renderings of it, so they
//! always carry the same content.
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diff::{Compared, DriftRow};
use crate::lint::{self, Finding, Suppression};
use crate::model::{Posture, Severity, State};

#[derive(Serialize, Debug)]
pub(crate) struct Report {
    pub(crate) database: String,
    pub(crate) generated_at: String,
    /// GO or NO-GO, computed from the content
    pub(crate) verdict: &'static str,
    pub(crate) verdict_reasons: Vec<String>,
    pub(crate) pre_execution: PreExecution,
    pub(crate) verification: Verification,
    pub(crate) security_scan: SecurityScan,
    pub(crate) rollback: Rollback,
    pub(crate) sign_off: SignOff,
}

#[derive(Serialize, Debug)]
pub(crate) struct Baseline {
    pub(crate) id: i64,
    pub(crate) label: Option<String>,
    pub(crate) fingerprint: String,
    pub(crate) taken_at: String,
    pub(crate) taken_by: String,
}

#[derive(Serialize, Debug)]
pub(crate) struct PreExecution {
    pub(crate) baseline: Baseline,
    /// unsuppressed lint findings at high or critical
    pub(crate) open_high_findings: Vec<FindingRow>,
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FindingRow {
    pub(crate) lint: String,
    pub(crate) severity: String,
    pub(crate) schema_name: Option<String>,
    pub(crate) object_name: String,
    pub(crate) detail: String,
}

impl From<&Finding> for FindingRow {
    fn from(f: &Finding) -> Self {
        FindingRow {
            lint: f.lint.to_string(),
            severity: f.severity.as_sql().to_string(),
            schema_name: f.schema_name.clone(),
            object_name: f.object_name.clone(),
            detail: f.detail.clone(),
        }
    }
}

#[derive(Serialize, Debug)]
pub(crate) struct Verification {
    /// critical, high, medium, low, info
    pub(crate) drift_counts: BTreeMap<String, usize>,
    pub(crate) drift: Vec<DriftRow>,
    pub(crate) policies_per_table: Vec<PolicyCount>,
    pub(crate) events_since_baseline: Vec<EventRow>,
}

#[derive(Serialize, Debug)]
pub(crate) struct PolicyCount {
    pub(crate) schema_name: String,
    pub(crate) table_name: String,
    pub(crate) baseline: usize,
    pub(crate) current: usize,
}

#[derive(Serialize, Debug)]
pub(crate) struct EventRow {
    pub(crate) id: i64,
    pub(crate) occurred_at: String,
    pub(crate) who: String,
    pub(crate) command_tag: String,
    pub(crate) change: String,
    pub(crate) object: String,
    pub(crate) ticket: Option<String>,
    pub(crate) statement: Option<String>,
}

#[derive(Serialize, Debug)]
pub(crate) struct SecurityScan {
    /// findings of the lints a snapshot can be judged by, now vs at the baseline
    pub(crate) new: Vec<FindingRow>,
    pub(crate) fixed: Vec<FindingRow>,
    pub(crate) unchanged: Vec<FindingRow>,
    /// every open finding of lint() now (every lint)
    pub(crate) open_now: Vec<FindingRow>,
    pub(crate) suppressed: Vec<SuppressedRow>,
    /// the roles the access section is for (report's `roles` argument;
    /// default: the login roles that are not superusers)
    pub(crate) access_roles: Vec<String>,
    /// every role × table × command of those roles where access is
    /// `all_rows`, with its path (`access_matrix()`'s rows)
    pub(crate) all_rows: Vec<AccessRow>,
}

/// One `all_rows` cell of `access_matrix()`.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccessRow {
    pub(crate) role_name: String,
    pub(crate) schema_name: String,
    pub(crate) table_name: String,
    pub(crate) command: String,
    pub(crate) via: String,
    pub(crate) detail: String,
}

#[derive(Serialize, Debug)]
pub(crate) struct SuppressedRow {
    pub(crate) lint: String,
    pub(crate) object: String,
    pub(crate) reason: String,
}

#[derive(Serialize, Debug)]
pub(crate) struct Rollback {
    pub(crate) restore_statements: usize,
    pub(crate) commands: Vec<String>,
    pub(crate) untracked_changes: usize,
    pub(crate) chain_intact: bool,
    pub(crate) broken_links: usize,
    /// places where the log and the freeze disagree
    /// ([`crate::capture::freeze_problems`]): a freeze ended, or changes
    /// made during it, outside freeze() and unfreeze()
    pub(crate) freeze_problems: usize,
    /// the newest event's id and hash: keep it outside the database and
    /// check it later with verify_log('id:hash')
    pub(crate) log_head: Option<LogHead>,
    /// "on" when rls_audit is preloaded and its hook records role
    /// statements as events, "off" when only untracked_changes() and
    /// drift() find them
    pub(crate) role_capture: &'static str,
    /// "on" when rls_audit's event triggers fire (outside replica mode),
    /// else "off"
    pub(crate) ddl_capture: &'static str,
    /// the events on which none of them fires (`ddl_command_end`,
    /// `sql_drop`, `ddl_command_start`): disabled, or their functions
    /// replaced
    pub(crate) ddl_capture_gaps: Vec<String>,
}

#[derive(Serialize, Debug, Clone)]
pub(crate) struct LogHead {
    pub(crate) id: i64,
    pub(crate) hash: String,
}

#[derive(Serialize, Debug)]
pub(crate) struct SignOff {
    pub(crate) name: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) date: Option<String>,
    pub(crate) decision: Option<String>,
}

/// What a report is built from: gathered by `api::report` (the drift
/// comparison, the snapshot's header, the events since it, lint now, the
/// untracked changes and the chain check), judged here.
pub(crate) struct Inputs {
    pub(crate) compared: Compared,
    pub(crate) baseline: Baseline,
    pub(crate) database: String,
    pub(crate) generated_at: String,
    pub(crate) events: Vec<EventRow>,
    /// every finding of lint() now, suppressed or not
    pub(crate) lint_now: Vec<Finding>,
    pub(crate) suppressions: Vec<Suppression>,
    pub(crate) untracked: usize,
    pub(crate) broken_links: usize,
    pub(crate) freeze_problems: usize,
    pub(crate) log_head: Option<LogHead>,
    pub(crate) role_capture: bool,
    /// the events on which rls_audit's event triggers do not fire
    /// ([`crate::capture::capture_gaps`], outside replica mode)
    pub(crate) ddl_capture_gaps: Vec<String>,
    /// the roles of the access section, known to exist in the live facts
    pub(crate) access_roles: Vec<String>,
}

/// The report: the seeds' five sections and the verdict, from the inputs
/// alone. One piece because each section's numbers feed the verdict at
/// its end; the sections are marked B, C and D as in the seeds.
pub(crate) fn build(input: Inputs) -> Report {
    let drift_rows = input.compared.rows();
    let all_rows = all_rows(&input.compared, &input.access_roles);
    let Compared {
        base_id, base, cur, ..
    } = input.compared;
    let baseline = input.baseline;
    let (database, generated_at) = (input.database, input.generated_at);

    // B: drift and policy counts
    let mut drift_counts: BTreeMap<String, usize> = Severity::ALL
        .iter()
        .map(|s| (s.as_sql().to_string(), 0))
        .collect();
    for r in &drift_rows {
        *drift_counts
            .entry(r.severity.as_sql().to_string())
            .or_default() += 1;
    }
    let mut per_table: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for t in base.tables.iter().chain(cur.tables.iter()) {
        per_table
            .entry((t.schema_name.clone(), t.table_name.clone()))
            .or_default();
    }
    for p in &base.policies {
        per_table
            .entry((p.schema_name.clone(), p.table_name.clone()))
            .or_default()
            .0 += 1;
    }
    for p in &cur.policies {
        per_table
            .entry((p.schema_name.clone(), p.table_name.clone()))
            .or_default()
            .1 += 1;
    }
    let policies_per_table = per_table
        .into_iter()
        .filter(|(_, (b, n))| *b > 0 || *n > 0)
        .map(
            |((schema_name, table_name), (baseline, current))| PolicyCount {
                schema_name,
                table_name,
                baseline,
                current,
            },
        )
        .collect();
    let events_since_baseline = input.events;
    // C: lint now (all lints) and the like-for-like comparison with the baseline
    let (open_now, suppressed) = lint::split_suppressed(input.lint_now, &input.suppressions);
    let ignore: BTreeSet<(String, String)> = suppressed
        .iter()
        .map(|(f, _)| (f.lint.to_string(), f.object_key()))
        .collect();
    // keyed by (lint, object): the detail may differ between then and now
    // (it names counts and roles), the finding is the same
    let comparable = |s: &State| -> BTreeMap<(String, String), FindingRow> {
        lint::run(&lint::Facts::new(Posture::from_state(s)), None)
            .iter()
            .filter(|f| !ignore.contains(&(f.lint.to_string(), f.object_key())))
            .map(|f| ((f.lint.to_string(), f.object_key()), FindingRow::from(f)))
            .collect()
    };
    let (then, now) = (comparable(&base), comparable(&cur));
    let pick = |from: &BTreeMap<(String, String), FindingRow>,
                keep: &dyn Fn(&(String, String)) -> bool| {
        let mut rows: Vec<FindingRow> = from
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(_, f)| f.clone())
            .collect();
        rows.sort();
        rows
    };
    let security_scan = SecurityScan {
        new: pick(&now, &|k| !then.contains_key(k)),
        fixed: pick(&then, &|k| !now.contains_key(k)),
        unchanged: pick(&now, &|k| then.contains_key(k)),
        open_now: open_now.iter().map(FindingRow::from).collect(),
        suppressed: suppressed
            .iter()
            .map(|(f, rule)| SuppressedRow {
                lint: f.lint.to_string(),
                object: f.object_key(),
                reason: rule.reason.clone(),
            })
            .collect(),
        access_roles: input.access_roles,
        all_rows,
    };
    let open_high_findings: Vec<FindingRow> = open_now
        .iter()
        .filter(|f| f.severity <= Severity::High)
        .map(FindingRow::from)
        .collect();

    // D: rollback and the integrity of the log
    let plan = crate::plan::plan(&base, &cur);
    let (untracked, broken) = (input.untracked, input.broken_links);
    let reference = match &baseline.label {
        Some(l) => crate::ident::quote_literal(l),
        None => format!("'{}'", base_id),
    };
    let rollback = Rollback {
        restore_statements: plan.statements.len(),
        commands: vec![
            format!("psql -X -v ON_ERROR_STOP=1 -At -c \"SELECT rls_audit.restore_script({reference})\" > rollback.sql"),
            "psql -X -v ON_ERROR_STOP=1 -f rollback.sql".into(),
            format!("psql -X -v ON_ERROR_STOP=1 -c \"SELECT rls_audit.assert_no_drift({reference}, 'low')\""),
        ],
        untracked_changes: untracked,
        chain_intact: broken == 0,
        broken_links: broken,
        freeze_problems: input.freeze_problems,
        log_head: input.log_head,
        role_capture: if input.role_capture { "on" } else { "off" },
        ddl_capture: if input.ddl_capture_gaps.is_empty() {
            "on"
        } else {
            "off"
        },
        ddl_capture_gaps: input.ddl_capture_gaps,
    };

    // the verdict: NO-GO while anything critical is open
    let mut reasons = Vec::new();
    let critical_drift = drift_counts.get("critical").copied().unwrap_or(0);
    if critical_drift > 0 {
        reasons.push(format!(
            "{critical_drift} critical drift row(s) since the baseline"
        ));
    }
    let critical_lint = open_now
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    if critical_lint > 0 {
        reasons.push(format!("{critical_lint} critical lint finding(s) open"));
    }
    if broken > 0 {
        reasons.push(format!(
            "the event log's hash chain is broken in {broken} place(s)"
        ));
    }
    if rollback.freeze_problems > 0 {
        reasons.push(format!(
            "the event log and the freeze disagree in {} place(s): a freeze was ended, or changes made during it, outside freeze() and unfreeze() (verify_log() names them)",
            rollback.freeze_problems
        ));
    }
    if !rollback.ddl_capture_gaps.is_empty() {
        reasons.push(format!(
            "rls_audit's capture is off: none of its event triggers fires on {}",
            rollback.ddl_capture_gaps.join(", ")
        ));
    }
    let verdict = if reasons.is_empty() { "GO" } else { "NO-GO" };

    Report {
        database,
        generated_at,
        verdict,
        verdict_reasons: reasons,
        pre_execution: PreExecution {
            baseline,
            open_high_findings,
        },
        verification: Verification {
            drift_counts,
            drift: drift_rows,
            policies_per_table,
            events_since_baseline,
        },
        security_scan,
        rollback,
        sign_off: SignOff {
            name: None,
            role: None,
            date: None,
            decision: None,
        },
    }
}
/// The access section: every cell of the live access matrix for `roles`
/// where the role reaches every row, with the path.
fn all_rows(compared: &Compared, roles: &[String]) -> Vec<AccessRow> {
    let Some(facts) = &compared.cur_access else {
        return Vec::new();
    };
    crate::access::Model::new(facts, &compared.cur.policies)
        .matrix(roles, None)
        .into_iter()
        .filter(|c| c.reach.access == crate::model::Access::AllRows)
        .map(|c| AccessRow {
            role_name: c.role,
            schema_name: c.schema,
            table_name: c.table,
            command: c.command.as_sql().to_string(),
            via: c.reach.via.unwrap_or_default(),
            detail: c.reach.detail,
        })
        .collect()
}

/// Text for a markdown table cell: pipes, backticks, backslashes and line
/// breaks cannot end the cell or the row. Nothing else is escaped, so names
/// stay readable in psql's unaligned output.
pub(crate) fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

fn table(out: &mut String, header: &[&str], rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        out.push_str("_none_\n\n");
        return;
    }
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
}

fn findings_rows(f: &[FindingRow]) -> Vec<Vec<String>> {
    f.iter()
        .map(|f| {
            vec![
                f.severity.clone(),
                f.lint.clone(),
                match &f.schema_name {
                    Some(s) => format!("{}.{}", crate::ident::quote_ident(s), f.object_name),
                    None => f.object_name.clone(),
                },
                f.detail.clone(),
            ]
        })
        .collect()
}

/// One piece: the template of the seeds' checklist, section by section in their order.
pub(crate) fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let b = &r.pre_execution.baseline;
    o.push_str("# RLS release validation report\n\n");
    o.push_str(&format!(
        "Database `{}` · generated {} · baseline snapshot {}\n\n",
        cell(&r.database),
        r.generated_at,
        b.id
    ));
    o.push_str(&format!("**Verdict: {}**", r.verdict));
    if r.verdict_reasons.is_empty() {
        o.push_str(" — nothing critical is open.\n\n");
    } else {
        o.push_str(&format!(" — {}.\n\n", cell(&r.verdict_reasons.join("; "))));
    }

    o.push_str("## A. Pre-execution\n\n");
    table(
        &mut o,
        &["baseline", "value"],
        vec![
            vec!["snapshot id".into(), b.id.to_string()],
            vec![
                "label".into(),
                b.label.clone().unwrap_or_else(|| "(none)".into()),
            ],
            vec!["fingerprint".into(), b.fingerprint.clone()],
            vec!["taken at".into(), b.taken_at.clone()],
            vec!["taken by".into(), b.taken_by.clone()],
        ],
    );
    o.push_str(&format!(
        "Open lint findings at high or above: {}\n\n",
        r.pre_execution.open_high_findings.len()
    ));
    table(
        &mut o,
        &["severity", "lint", "object", "detail"],
        findings_rows(&r.pre_execution.open_high_findings),
    );

    let v = &r.verification;
    o.push_str("## B. Verification\n\n");
    o.push_str(&format!(
        "Drift since the baseline: {} critical, {} high, {} medium, {} low, {} info\n\n",
        v.drift_counts["critical"],
        v.drift_counts["high"],
        v.drift_counts["medium"],
        v.drift_counts["low"],
        v.drift_counts["info"]
    ));
    table(
        &mut o,
        &["severity", "change", "object", "attribute", "detail"],
        v.drift
            .iter()
            .map(|d| {
                let object = [&d.schema_name, &d.table_name, &d.policy_name]
                    .iter()
                    .filter_map(|x| x.as_deref())
                    .map(crate::ident::quote_ident)
                    .collect::<Vec<_>>()
                    .join(".");
                vec![
                    d.severity.as_sql().into(),
                    d.change.as_sql().into(),
                    object,
                    d.attribute.clone().unwrap_or_default(),
                    d.detail.clone(),
                ]
            })
            .collect(),
    );
    o.push_str("Policies per table:\n\n");
    table(
        &mut o,
        &["table", "baseline", "now"],
        v.policies_per_table
            .iter()
            .map(|p| {
                vec![
                    crate::ident::quote_qualified(&p.schema_name, &p.table_name),
                    p.baseline.to_string(),
                    p.current.to_string(),
                ]
            })
            .collect(),
    );
    o.push_str(&format!(
        "Changes recorded since the baseline: {}\n\n",
        v.events_since_baseline.len()
    ));
    table(
        &mut o,
        &[
            "event",
            "at (UTC)",
            "who",
            "command",
            "change",
            "object",
            "ticket",
            "statement",
        ],
        v.events_since_baseline
            .iter()
            .map(|e| {
                vec![
                    e.id.to_string(),
                    e.occurred_at.clone(),
                    e.who.clone(),
                    e.command_tag.clone(),
                    e.change.clone(),
                    e.object.clone(),
                    e.ticket.clone().unwrap_or_default(),
                    e.statement
                        .clone()
                        .unwrap_or_default()
                        .chars()
                        .take(120)
                        .collect(),
                ]
            })
            .collect(),
    );

    let s = &r.security_scan;
    o.push_str("## C. Security scan\n\n");
    o.push_str(&format!(
        "Compared with the baseline: {} new, {} fixed, {} unchanged.\n\n",
        s.new.len(),
        s.fixed.len(),
        s.unchanged.len()
    ));
    for (title, rows) in [
        ("New", &s.new),
        ("Fixed", &s.fixed),
        ("Unchanged", &s.unchanged),
    ] {
        o.push_str(&format!("{title}:\n\n"));
        table(
            &mut o,
            &["severity", "lint", "object", "detail"],
            findings_rows(rows),
        );
    }
    o.push_str(&format!(
        "All open findings now (lint()): {}\n\n",
        s.open_now.len()
    ));
    table(
        &mut o,
        &["severity", "lint", "object", "detail"],
        findings_rows(&s.open_now),
    );
    o.push_str(&format!("Suppressed findings: {}\n\n", s.suppressed.len()));
    table(
        &mut o,
        &["lint", "object", "reason"],
        s.suppressed
            .iter()
            .map(|x| vec![x.lint.clone(), x.object.clone(), x.reason.clone()])
            .collect(),
    );

    o.push_str(&format!(
        "Who reaches every row (access_matrix(), all_rows) for {}: {}\n\n",
        if s.access_roles.is_empty() {
            "no role".to_string()
        } else {
            cell(&s.access_roles.join(", "))
        },
        s.all_rows.len()
    ));
    table(
        &mut o,
        &["role", "table", "command", "via", "detail"],
        s.all_rows
            .iter()
            .map(|a| {
                vec![
                    a.role_name.clone(),
                    crate::ident::quote_qualified(&a.schema_name, &a.table_name),
                    a.command.clone(),
                    a.via.clone(),
                    a.detail.clone(),
                ]
            })
            .collect(),
    );

    let d = &r.rollback;
    o.push_str("## D. Rollback\n\n");
    o.push_str(&format!(
        "`rls_audit.restore_script()` for snapshot {} has {} statement(s). To roll back:\n\n",
        b.id, d.restore_statements
    ));
    o.push_str("```sh\n");
    for c in &d.commands {
        o.push_str(c);
        o.push('\n');
    }
    o.push_str("```\n\n");
    o.push_str(&format!(
        "Untracked changes: {} · event log hash chain: {}\n\n",
        d.untracked_changes,
        if d.chain_intact {
            "intact".to_string()
        } else {
            format!("BROKEN in {} place(s)", d.broken_links)
        }
    ));
    if d.freeze_problems > 0 {
        o.push_str(&format!(
            "Freeze: **the log and rls_audit.freeze_state disagree in {} place(s)** — \
             `SELECT * FROM rls_audit.verify_log()` names them\n\n",
            d.freeze_problems
        ));
    }
    match &d.log_head {
        Some(h) => o.push_str(&format!(
            "Event log head: `{}:{}` — keep it outside the database; later, \
             `SELECT * FROM rls_audit.verify_log('{}:{}')` returns no rows while the chain still reaches it.\n\n",
            h.id, h.hash, h.id, h.hash
        )),
        None => o.push_str("Event log head: none (no event recorded yet).\n\n"),
    }
    if d.ddl_capture_gaps.is_empty() {
        o.push_str("DDL capture: on (rls_audit's event triggers fire)\n\n");
    } else {
        o.push_str(&format!(
            "DDL capture: **OFF** — none of rls_audit's event triggers fires on {} \
             (disabled, or its function replaced): RLS changes are not recorded \
             until they fire again (`ALTER EVENT TRIGGER … ENABLE`, a replaced function \
             restored); `untracked_changes()` lists what changed meanwhile\n\n",
            d.ddl_capture_gaps.join(", ")
        ));
    }
    o.push_str(&format!(
        "Role capture: {}\n\n",
        if d.role_capture == "on" {
            "on (rls_audit is preloaded: role, membership and owner statements are events)"
        } else {
            "off (rls_audit is not in shared_preload_libraries: role and membership changes are found by untracked_changes() and drift() only)"
        }
    ));

    o.push_str("## Sign-off\n\n");
    o.push_str(&format!("Computed verdict: **{}**\n\n", r.verdict));
    o.push_str("| field | value |\n| --- | --- |\n");
    for f in ["Name", "Role", "Date", "Decision (GO / NO-GO)"] {
        o.push_str(&format!("| {f} | |\n"));
    }
    o
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::model::Command;

    fn state(rls: bool) -> State {
        crate::model::shop_orders(rls)
    }

    fn inputs(base: State, cur: State) -> Inputs {
        Inputs {
            compared: Compared {
                base_id: 1,
                base,
                cur,
                renamed: vec![],
                base_access: Some(Default::default()),
                cur_access: Some(Default::default()),
            },
            baseline: Baseline {
                id: 1,
                label: Some("before-release".into()),
                fingerprint: "f".repeat(64),
                taken_at: "2026-11-25 10:00:00 UTC".into(),
                taken_by: "dba".into(),
            },
            database: "app".into(),
            generated_at: "2026-11-25 11:00:00 UTC".into(),
            events: vec![],
            lint_now: vec![],
            suppressions: vec![],
            untracked: 0,
            broken_links: 0,
            freeze_problems: 0,
            log_head: None,
            role_capture: true,
            ddl_capture_gaps: vec![],
            access_roles: vec![],
        }
    }

    #[test]
    fn the_access_section_lists_every_all_rows_cell_of_the_named_roles() {
        use crate::model::{AccessFacts, AccessRole, Grant, RelKind, Relation, SchemaUsage};
        let role = |name: &str, bypassrls: bool| AccessRole {
            name: name.into(),
            superuser: false,
            bypassrls,
            login: true,
        };
        let facts = AccessFacts {
            roles: vec![role("app_user", false), role("reporting", true)],
            memberships: vec![],
            schemas: vec![SchemaUsage {
                schema: "shop".into(),
                usage: vec!["app_user".into(), "reporting".into()],
            }],
            relations: vec![Relation {
                schema: "shop".into(),
                name: "orders".into(),
                kind: RelKind::Table,
                owner: "owner".into(),
                rls_enabled: true,
                rls_forced: true,
                security_invoker: false,
                parent: None,
                updatable: vec![],
                grants: ["app_user", "reporting"]
                    .iter()
                    .map(|g| Grant {
                        grantee: g.to_string(),
                        command: Command::Select,
                        columns: false,
                    })
                    .collect(),
                reads: vec![],
                rules: vec![],
                cascades: Vec::new(),
                truncate: Vec::new(),
            }],
            functions: vec![],
        };
        let mut i = inputs(state(true), state(true));
        i.compared.cur_access = Some(facts);
        i.access_roles = vec!["app_user".into(), "reporting".into()];
        let r = build(i);
        // app_user is filtered by the tenant policy; reporting bypasses RLS
        let rows: Vec<(&str, &str, &str)> = r
            .security_scan
            .all_rows
            .iter()
            .map(|a| (a.role_name.as_str(), a.command.as_str(), a.via.as_str()))
            .collect();
        assert_eq!(rows, [("reporting", "SELECT", "bypassrls")]);
        let md = markdown(&r);
        assert!(md.contains("for app_user, reporting: 1"));
        assert!(md.contains("| reporting | shop.orders | SELECT | bypassrls |"));
        // without access facts (or roles) the section is empty, not an error
        let r = build(inputs(state(true), state(true)));
        assert!(r.security_scan.all_rows.is_empty());
        assert!(markdown(&r).contains("for no role: 0"));
    }

    #[test]
    fn an_unchanged_database_is_go() {
        let r = build(inputs(state(true), state(true)));
        assert_eq!((r.verdict, r.verdict_reasons.len()), ("GO", 0));
        assert_eq!(r.rollback.restore_statements, 0);
        assert!(r.rollback.commands[0].contains("restore_script('before-release')"));
        assert_eq!(r.verification.policies_per_table.len(), 1);
    }

    #[test]
    fn a_freeze_ended_past_its_guard_is_no_go() {
        let mut i = inputs(state(true), state(true));
        i.freeze_problems = 1;
        let r = build(i);
        assert_eq!(r.verdict, "NO-GO");
        assert!(
            r.verdict_reasons[0].starts_with("the event log and the freeze disagree in 1 place(s)")
        );
        assert!(markdown(&r)
            .contains("Freeze: **the log and rls_audit.freeze_state disagree in 1 place(s)**"));
    }

    #[test]
    fn critical_drift_a_broken_chain_and_new_findings_are_no_go() {
        let mut i = inputs(state(true), state(false));
        i.broken_links = 2;
        let r = build(i);
        assert_eq!(r.verdict, "NO-GO");
        assert_eq!(
            r.verdict_reasons,
            [
                "1 critical drift row(s) since the baseline",
                "the event log's hash chain is broken in 2 place(s)"
            ]
        );
        assert_eq!(r.verification.drift_counts["critical"], 1);
        // the restore re-enables RLS, and the scan sees the new finding
        assert_eq!(r.rollback.restore_statements, 1);
        let new: Vec<&str> = r
            .security_scan
            .new
            .iter()
            .map(|f| f.lint.as_str())
            .collect();
        assert_eq!(new, ["policy_exists_rls_disabled"]);
        assert!(markdown(&r).contains("NO-GO"));
    }

    #[test]
    fn capture_switched_off_is_no_go_and_named() {
        let mut i = inputs(state(true), state(true));
        i.ddl_capture_gaps = vec!["ddl_command_end".into(), "sql_drop".into()];
        let r = build(i);
        assert_eq!(
            (r.verdict, r.verdict_reasons.as_slice()),
            (
                "NO-GO",
                ["rls_audit's capture is off: none of its event triggers fires on ddl_command_end, sql_drop".to_string()]
                    .as_slice()
            )
        );
        assert_eq!(r.rollback.ddl_capture, "off");
        assert!(markdown(&r).contains("DDL capture: **OFF** — none of rls_audit's event triggers fires on ddl_command_end, sql_drop"));
        let on = build(inputs(state(true), state(true)));
        assert_eq!(on.rollback.ddl_capture, "on");
        assert!(markdown(&on).contains("DDL capture: on"));
    }

    #[test]
    fn cells_cannot_break_a_table() {
        let c = cell("a|b`c\nd\\e");
        assert_eq!(c, "a\\|b\\`c d\\\\e");
        // every pipe left in the cell is escaped
        let bytes: Vec<char> = c.chars().collect();
        for (i, ch) in bytes.iter().enumerate() {
            if *ch == '|' {
                assert_eq!(bytes[i - 1], '\\');
            }
        }
        assert!(!c.contains('\n'));
    }

    #[test]
    fn empty_tables_say_none() {
        let mut o = String::new();
        table(&mut o, &["a"], vec![]);
        assert_eq!(o, "_none_\n\n");
        table(&mut o, &["a", "b"], vec![vec!["x|y".into(), "z".into()]]);
        assert!(o.contains("| a | b |\n| --- | --- |\n| x\\|y | z |\n"));
    }
}
