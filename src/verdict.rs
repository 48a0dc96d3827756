//! Isolation verdicts: probe outcomes in, check rows out. Pure: the probes
//! themselves run in `isolation.rs` (as the role, always rolled
//! back); this module only reads what they returned, so every PASS, FAIL,
//! SKIP and ERROR rule is unit-tested below with made-up outcomes.
//!
//! To add a check: gather its outcome into [`TableEvidence`] (isolation.rs),
//! judge it here in [`table_checks`], test it below, and list it in the
//! README's check table.
use crate::ident::{quote_ident, quote_literal, quote_qualified};
use crate::model::{RelKind, Target};

/// Bounded visibility probes count at most this many rows: enough to say
/// "rows leak", cheap enough for tables of any size.
pub(crate) const PROBE_LIMIT: i64 = 100;

/// What one probe returned.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Outcome {
    pub(crate) values: Vec<Option<String>>,
    pub(crate) sqlstate: String,
    pub(crate) message: Option<String>,
}

/// What a probe's SQLSTATE and message say, for read and write probes alike.
pub(crate) trait ProbeState {
    fn state(&self) -> (&str, Option<&str>);
    fn ok(&self) -> bool {
        self.state().0 == "00000"
    }
    /// 42501 on the table itself: the role has no privilege at all (a
    /// WITH CHECK refusal is 42501 too, but says "row-level security").
    fn denied(&self) -> bool {
        let (code, message) = self.state();
        code == "42501" && message.is_some_and(|m| m.starts_with("permission denied"))
    }
    /// A failure that says nothing about the statement: PostgreSQL itself
    /// failed (internal error, out of resources, system error), or the
    /// moment did (serialization, deadlock, a lock not available, an
    /// operator's cancel). The same statement could succeed on the real
    /// table, so "it failed, it touched nothing" proves nothing.
    fn inconclusive(&self) -> bool {
        let code = self.state().0;
        ["XX", "53", "58", "40", "57", "08", "25"]
            .iter()
            .any(|class| code.starts_with(class))
            || ["55P03", "55006"].contains(&code)
    }
    fn error_text(&self) -> String {
        let (code, message) = self.state();
        format!("{code}: {}", message.unwrap_or(""))
    }
}

impl ProbeState for Outcome {
    fn state(&self) -> (&str, Option<&str>) {
        (&self.sqlstate, self.message.as_deref())
    }
}

impl Outcome {
    pub(crate) fn count(&self) -> i64 {
        self.values
            .first()
            .cloned()
            .flatten()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// One result row of `verify_isolation`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Check {
    pub(crate) check_name: &'static str,
    pub(crate) schema_name: Option<String>,
    pub(crate) table_name: Option<String>,
    pub(crate) tenant: Option<String>,
    pub(crate) status: &'static str,
    pub(crate) rows_seen: Option<i64>,
    pub(crate) detail: String,
}

/// What a fresh login gets for the tenant setting, and whether this
/// session had defined it before (then "unset" can only read as '').
#[derive(Debug, Clone, Default)]
pub(crate) struct SettingFacts {
    pub(crate) setting: String,
    /// (value, where from) of a fresh login's default
    pub(crate) fresh: Option<(String, String)>,
    pub(crate) defined_here: bool,
    /// the unset probes ran in a backend of their own, where the setting
    /// was undefined (crate::fresh)
    pub(crate) elsewhere: bool,
}

impl SettingFacts {
    /// The value the unset probe runs with, and how the detail says it.
    pub(crate) fn unset(&self, role: &str) -> (Option<&str>, String) {
        let setting = &self.setting;
        match &self.fresh {
            Some((v, from)) => (
                Some(v.as_str()),
                format!("{setting} not set by the application (a fresh login of {role} gets '{v}' from {from})"),
            ),
            None if self.elsewhere => (
                None,
                format!("{setting} unset (in a new backend: this session had already defined it)"),
            ),
            None if self.defined_here => (
                None,
                format!("{setting} unset (this session had already defined it, so unset reads as '')"),
            ),
            None => (None, format!("{setting} unset")),
        }
    }
}

/// One tenant of a table and the probe of the rows of any other tenant
/// visible as that tenant (None: no other tenant to look for).
pub(crate) type TenantRead = (String, Option<Outcome>);

/// The tenants a table was probed with.
#[derive(Debug, Clone)]
pub(crate) enum Tenants {
    /// given, or sampled from the table
    Values(Vec<String>),
    /// sampling as the caller failed
    SampleFailed(Outcome),
}

/// Everything the probes of one table returned.
#[derive(Debug, Clone)]
pub(crate) struct TableEvidence {
    pub(crate) target: Target,
    /// the visibility probe with the setting unset, and with it ''
    pub(crate) unset: Outcome,
    pub(crate) empty: Outcome,
    pub(crate) tenants: Tenants,
    /// per tenant: the other tenants, and the visibility probe of their
    /// rows (None: no other tenant to look for)
    pub(crate) reads: Vec<TenantRead>,
    /// the tenants whose read showed other tenants' rows only in a new
    /// session, where these settings the application sets per request were
    /// never set (in the caller's session they read `''`)
    pub(crate) reads_unset: Vec<(String, Vec<String>)>,
    /// the tenants whose read showed other tenants' rows only with a
    /// setting the application sets per request given a value (a SELECT
    /// policy's term by it): (tenant, setting, value)
    pub(crate) reads_claimed: Vec<(String, String, String)>,
    /// the write probe's outcomes; None when write probes are off
    pub(crate) writes: Option<Vec<WriteOutcome>>,
    /// the cascade probes of the table's foreign keys whose ON DELETE
    /// action writes its rows (empty when write probes are off)
    pub(crate) cascades: Vec<Cascade>,
    /// reads that a replaced function opened (empty when write probes
    /// are off)
    pub(crate) replaced: Vec<ReplaceLeak>,
    /// the write probes again after each replacement of a function a
    /// write policy calls (empty when write probes are off)
    pub(crate) replaced_writes: Vec<ReplacedWrites>,
    /// reads that the role's own writes to a table a read policy reads
    /// opened (empty when write probes are off)
    pub(crate) looked_up: Vec<LookupLeak>,
    /// the write probes again after the role's own writes to a table a
    /// write policy reads (empty when write probes are off)
    pub(crate) looked_up_writes: Vec<LookupWrites>,
    /// SECURITY DEFINER functions that returned other tenants' rows to
    /// the role as a tenant
    pub(crate) definer_reads: Vec<DefinerLeak>,
    /// SECURITY DEFINER functions that, called by the role as a tenant,
    /// wrote other tenants' rows (empty when write probes are off)
    pub(crate) definer_writes: Vec<DefinerWrite>,
    /// a view the role may DELETE or UPDATE through but not read: per
    /// tenant, the read with SELECT on the view granted to the role for the
    /// probe (rolled back; empty when write probes are off)
    pub(crate) view_reads: Vec<TenantRead>,
    /// a view the role may move rows through (it may set its tenant
    /// column, no CHECK OPTION): per tenant, the rows it shows at all
    pub(crate) view_shown: Vec<TenantRead>,
}

/// A SECURITY DEFINER function that may write the table, called by the
/// role as tenant A (isolation.rs `definer_write_probes`), with the table
/// watched: the arguments it was given (None: NULL), and the rows of
/// other tenants it inserted, updated and deleted, and those the
/// relations it truncated held (`[0; 4]` with `error`: the table could
/// not be watched, so nothing was called).
#[derive(Debug, Clone)]
pub(crate) struct DefinerWrite {
    pub(crate) tenant: String,
    pub(crate) writer: crate::model::DefinerWriter,
    pub(crate) args: Vec<Option<String>>,
    pub(crate) kinds: [i64; 4],
    pub(crate) error: Option<String>,
}

/// A SECURITY DEFINER function that, called by the role as tenant A
/// (isolation.rs `definer_probes`), returned rows of other tenants:
/// `args` are the arguments it was given (None: NULL).
#[derive(Debug, Clone)]
pub(crate) struct DefinerLeak {
    pub(crate) tenant: String,
    pub(crate) reader: crate::model::DefinerReader,
    pub(crate) args: Vec<Option<String>>,
    pub(crate) rows: i64,
}

/// The write probe's outcomes once a function a write policy calls was
/// replaced with `body` (isolation.rs `replace_write_probes`).
#[derive(Debug, Clone)]
pub(crate) struct ReplacedWrites {
    pub(crate) replaceable: crate::model::Replaceable,
    pub(crate) body: String,
    pub(crate) outcomes: Vec<WriteOutcome>,
}

/// A read of tenant A that showed other tenants' rows after the role's
/// own write to a table a read policy reads (isolation.rs
/// `lookup_probes`): the table, the kind of write (`insert`, `update`,
/// `delete`, `truncate`), for an UPDATE the column set and what it was
/// set to (`tenant`: A's value, `role`: the role's name, `other`: another
/// tenant's value, `own`: a value of the table's own rows), and how many
/// rows were visible.
#[derive(Debug, Clone)]
pub(crate) struct LookupLeak {
    pub(crate) tenant: String,
    pub(crate) lookup: crate::model::Lookup,
    pub(crate) kind: String,
    pub(crate) column: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) rows: i64,
    /// the probe could not be set up (`kind` is `error`): why
    pub(crate) error: Option<String>,
}

/// The write probe's outcomes after one group of the role's own writes,
/// as tenant A, to a table a write policy reads (isolation.rs
/// `lookup_write_probes`): the table, the kind of write, for an UPDATE
/// the column and what it was set to (as in [`LookupLeak`]). Only A's
/// checks are judged by them. A group that wrote no row has none; one
/// that could not run has one outcome with no tenant and its SQLSTATE (as
/// does the whole probe, kind empty, when it could not be set up).
#[derive(Debug, Clone)]
pub(crate) struct LookupWrites {
    pub(crate) tenant: String,
    pub(crate) lookup: crate::model::Lookup,
    pub(crate) kind: String,
    pub(crate) column: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) outcomes: Vec<WriteOutcome>,
}

/// A read of tenant A that showed other tenants' rows once a function a
/// read policy calls was replaced (isolation.rs `replace_probes`): the
/// function, the body it was given, and how many rows were visible.
#[derive(Debug, Clone)]
pub(crate) struct ReplaceLeak {
    pub(crate) tenant: String,
    pub(crate) replaceable: crate::model::Replaceable,
    /// the SELECT expression of the replacing body (`NULL`, `'2'`, `true`)
    pub(crate) body: String,
    pub(crate) rows: i64,
}

/// A foreign key of a probed table whose ON DELETE or ON UPDATE action
/// writes the table's rows, and what its cascade probe (sql/probe.sql's
/// `_cascade_probe`) found in the table it references: per tenant A, how
/// many copies of referenced rows labelled with another tenant A's DELETE
/// removed (`tenant_delete` outcomes) and A's UPDATE of the key changed
/// (`key_update`; the `key` row without a tenant names the SET clause).
#[derive(Debug, Clone)]
pub(crate) struct Cascade {
    pub(crate) constraint: String,
    /// the referenced table, schema-qualified
    pub(crate) parent: String,
    /// the ON DELETE and ON UPDATE actions: `c` CASCADE, `n` SET NULL,
    /// `d` SET DEFAULT, anything else writes nothing
    pub(crate) on_delete: char,
    pub(crate) on_update: char,
    pub(crate) outcomes: Vec<WriteOutcome>,
}

/// Everything one verify_isolation call found.
#[derive(Debug, Clone)]
pub(crate) struct Evidence {
    /// whom the probes acted as
    pub(crate) role: String,
    /// whose session they ran in (its fresh-login settings): `role`, or a
    /// role that reaches it with SET ROLE
    pub(crate) login: String,
    pub(crate) superuser: bool,
    pub(crate) bypassrls: bool,
    /// superuser or BYPASSRLS roles it inherits or may SET ROLE to (the
    /// access model), with the attribute
    pub(crate) bypass_via: Vec<(String, &'static str)>,
    pub(crate) setting: SettingFacts,
    pub(crate) tables: Vec<TableEvidence>,
    /// the roles a session of `login` may SET ROLE to that hold a
    /// privilege on a relation looked at: probed too, their leaks are
    /// `login`'s ([`through_set_role`]); empty when `role` is not `login`
    pub(crate) set_role_targets: Vec<String>,
}

/// The check rows of one verify_isolation call, in output order: the
/// role's two checks, then each table's.
pub(crate) fn verdicts(e: &Evidence) -> Vec<Check> {
    let mut out = role_checks(e);
    for t in &e.tables {
        out.extend(table_checks(e, t));
    }
    out
}

/// Fold into `own` (the checks of `login`) those of `other`, a role a
/// session of `login` may SET ROLE to: that one statement makes each of
/// `other`'s leaks `login`'s. A FAIL of `other`'s replaces the check's
/// PASS, SKIP or ERROR; an ERROR (not judged) replaces a PASS. Its
/// detail says how the session gets there. Only the table checks that
/// act as the role are folded (the flags and the role's own attributes
/// are judged for `login`: `rls_forced` and `role_no_bypassrls` already
/// count SET ROLE). A table or tenant only `other` was probed with keeps
/// its FAIL or ERROR.
pub(crate) fn through_set_role(own: &mut Vec<Check>, login: &str, other: &str, theirs: Vec<Check>) {
    const ACTING: [&str; 6] = [
        "fail_closed_unset",
        "fail_closed_empty",
        "tenant_read",
        "tenant_insert",
        "tenant_update",
        "tenant_delete",
    ];
    let other_q = quote_ident(other);
    for mut t in theirs {
        if !ACTING.contains(&t.check_name) || !matches!(t.status, "FAIL" | "ERROR") {
            continue;
        }
        t.detail = format!(
            "{} may SET ROLE {other_q}, and then {}: fix the membership that allows it \
             (REVOKE … FROM {}) or what {other_q} may reach",
            quote_ident(login),
            t.detail,
            quote_ident(login)
        );
        let same = |c: &Check| {
            c.check_name == t.check_name
                && c.schema_name == t.schema_name
                && c.table_name == t.table_name
                && c.tenant == t.tenant
        };
        match own.iter_mut().find(|c| same(c)) {
            Some(c) if c.status == "FAIL" => {}
            Some(c) if t.status == "FAIL" || c.status == "PASS" => *c = t,
            Some(_) => {}
            None => {
                // after the table's own rows, or at the end
                let at = own
                    .iter()
                    .rposition(|c| c.schema_name == t.schema_name && c.table_name == t.table_name)
                    .map_or(own.len(), |i| i + 1);
                own.insert(at, t);
            }
        }
    }
}

fn role_checks(e: &Evidence) -> Vec<Check> {
    let role = &e.role;
    vec![
        if e.superuser {
            check(
                "role_not_superuser",
                None,
                None,
                "FAIL",
                None,
                format!("{role} is a superuser: row-level security never applies to it"),
            )
        } else {
            check(
                "role_not_superuser",
                None,
                None,
                "PASS",
                None,
                format!("{role} is not a superuser"),
            )
        },
        if e.bypassrls {
            check(
                "role_no_bypassrls",
                None,
                None,
                "FAIL",
                None,
                format!(
                    "{role} has BYPASSRLS: fix with ALTER ROLE {} NOBYPASSRLS",
                    quote_ident(role)
                ),
            )
        } else if !e.bypass_via.is_empty() {
            let listed: Vec<String> = e
                .bypass_via
                .iter()
                .map(|(r, what)| format!("{} ({what})", quote_ident(r)))
                .collect();
            let fix: Vec<String> = e
                .bypass_via
                .iter()
                .map(|(r, _)| format!("REVOKE {} FROM {};", quote_ident(r), quote_ident(role)))
                .collect();
            check(
                "role_no_bypassrls",
                None,
                None,
                "FAIL",
                None,
                format!(
                    "{role} is NOBYPASSRLS but may SET ROLE {}: every policy is then ignored; fix with {}",
                    listed.join(", "),
                    fix.join(" ")
                ),
            )
        } else {
            check(
                "role_no_bypassrls",
                None,
                None,
                "PASS",
                None,
                format!("{role} is NOBYPASSRLS and cannot become a role that bypasses RLS"),
            )
        },
    ]
}

const TENANT_CHECKS: [&str; 4] = [
    "tenant_read",
    "tenant_insert",
    "tenant_update",
    "tenant_delete",
];

/// One table's checks: flags, fail-closed, then per tenant reads and writes.
/// One piece: the checks come out in the order the SPEC lists them for a table.
fn table_checks(e: &Evidence, ev: &TableEvidence) -> Vec<Check> {
    let (t, role) = (&ev.target, &e.role);
    let mut out = Vec::new();
    // a view has no row security of its own: what the role reads through
    // it is probed, the flags are its tables'
    if !t.is_view() {
        out.extend(flag_checks(t, role));
    }
    let (_, how_unset) = e.setting.unset(&e.login);
    out.push(fail_closed("fail_closed_unset", t, &ev.unset, &how_unset));
    out.push(fail_closed(
        "fail_closed_empty",
        t,
        &ev.empty,
        &format!("{} = ''", e.setting.setting),
    ));
    let tenants = match &ev.tenants {
        Tenants::SampleFailed(o) => {
            let why = format!(
                "could not sample tenant values as the caller ({})",
                o.error_text()
            );
            // the caller's own refusal is a reason to name tenants; a lock
            // not granted or PostgreSQL failing is a reason to run again
            let status = if o.inconclusive() { "ERROR" } else { "SKIP" };
            out.extend(
                TENANT_CHECKS
                    .iter()
                    .map(|name| check(name, Some(t), None, status, None, why.clone())),
            );
            return out;
        }
        Tenants::Values(v) if v.is_empty() => {
            out.extend(TENANT_CHECKS.iter().map(|name| check(name, Some(t), None, "SKIP", None,
                "no tenant values: the table is empty (pass tenants => ARRAY[...] to probe anyway)".into())));
            return out;
        }
        Tenants::Values(v) => v,
    };
    for (a, probe) in &ev.reads {
        out.push(match probe {
            None => check("tenant_read", Some(t), Some(a), "SKIP", None,
                format!("only tenant {a} has rows: no other tenant to look for (pass tenants => ARRAY[...])")),
            Some(o) => trigger_read(
                t,
                role,
                definer_read(t, role, &ev.definer_reads, looked_up_read(
                    t,
                    role,
                    &ev.looked_up,
                    ev.writes.is_some(),
                    replaced_read(t, role, &ev.replaced, in_new_session(&ev.reads_unset, a,
                        claimed_read(&ev.reads_claimed, a, read_check(t, a, o)))),
                )),
            ),
        });
    }
    match &ev.writes {
        Some(_) if t.is_view() => out.extend(view_write_checks(
            t,
            tenants,
            &ev.reads,
            &ev.view_reads,
            &ev.view_shown,
        )),
        Some(outcomes) => {
            let mut checks: Vec<Check> = write_checks(t, tenants, outcomes)
                .into_iter()
                .map(|c| ruled_out(t, c))
                .collect();
            cascade_checks(t, &ev.cascades, &mut checks);
            replaced_write_checks(t, role, tenants, &ev.replaced_writes, &mut checks);
            looked_up_write_checks(t, role, tenants, &ev.looked_up_writes, &mut checks);
            definer_write_checks(t, role, &ev.definer_writes, &mut checks);
            out.extend(checks);
        }
        None => out.extend(TENANT_CHECKS[1..].iter().map(|name| {
            // TRUNCATE needs no probe: the privilege says it, and row
            // security does not apply to it
            let others = tenants.len() > 1 || ev.reads.iter().any(|(_, p)| p.is_some());
            if *name == "tenant_delete" && t.may_truncate() && others {
                return check(
                    name,
                    Some(t),
                    None,
                    "FAIL",
                    None,
                    format!(
                        "{}; the write probes are disabled (write_probes => false)",
                        truncate_leak(t, None)
                    ),
                );
            }
            check(
                name,
                Some(t),
                None,
                "SKIP",
                None,
                "write probes disabled (write_probes => false)".into(),
            )
        })),
    }
    out
}

/// CREATE OR REPLACE FUNCTION is a statement the role may run on a
/// function it owns (or whose owner it may SET ROLE to) in a schema where
/// it may create: when tenant A's read saw other tenants' rows once such a
/// function, called by a read policy, was replaced (`replace_probes`),
/// that read is a FAIL.
fn replaced_read(t: &Target, role: &str, leaks: &[ReplaceLeak], c: Check) -> Check {
    let Some(l) = leaks
        .iter()
        .find(|l| c.tenant.as_deref() == Some(l.tenant.as_str()))
    else {
        return c;
    };
    let r = &l.replaceable;
    let who = replacer(role, r);
    let why = format!(
        "policy {} calls function {}, which {who} may replace: once CREATE OR REPLACE FUNCTION \
         makes it return {}, as tenant {}, {} rows of other tenants of {} are visible; fix with \
         ALTER FUNCTION {} OWNER TO a role the application cannot become (the owner now: {})",
        quote_ident(&r.policy),
        r.function,
        l.body,
        l.tenant,
        l.rows,
        t.qualified(),
        r.function,
        quote_ident(&r.owner)
    );
    also_fails(c, why, Some(l.rows))
}

/// A SECURITY DEFINER function the role may call reads as its owner: when
/// it returned rows of other tenants to the role as tenant A
/// (`definer_probes`), A's read is a FAIL.
fn definer_read(t: &Target, role: &str, leaks: &[DefinerLeak], c: Check) -> Check {
    let Some(l) = leaks
        .iter()
        .find(|l| c.tenant.as_deref() == Some(l.tenant.as_str()))
    else {
        return c;
    };
    let r = &l.reader;
    let why = format!(
        "{} may call {} (SECURITY DEFINER, owner {}), which reads as its owner: called as tenant {} \
         with {}, it returns {} rows of other tenants of {}; fix with REVOKE EXECUTE ON FUNCTION {} \
         FROM PUBLIC, {} (or keep its rows to the caller's tenant, or make it SECURITY INVOKER)",
        quote_ident(role),
        r.function,
        quote_ident(&r.owner),
        l.tenant,
        match l.args.first() {
            _ if r.arg_types.is_empty() => "no arguments".to_string(),
            Some(first) if l.args.len() > 1 && l.args.iter().all(|a| a == first) => match first {
                Some(v) => format!("every argument {}", quote_literal(v)),
                None => "every argument NULL".to_string(),
            },
            _ => format!("{}({})", r.name, literal_args(&l.args, &r.arg_types)),
        },
        l.rows,
        t.qualified(),
        r.function,
        quote_ident(role)
    );
    also_fails(c, why, Some(l.rows))
}

/// Who replaces a function: the role itself, or the owner after SET ROLE.
fn replacer(role: &str, r: &crate::model::Replaceable) -> String {
    if r.replacer == role {
        format!("{} (it has the owner's rights)", quote_ident(role))
    } else {
        format!(
            "{} after SET ROLE {}",
            quote_ident(role),
            quote_ident(&r.replacer)
        )
    }
}

/// CREATE OR REPLACE FUNCTION on a function a write policy calls, as for
/// a read policy's (`replaced_read`): a write check that the write probe
/// fails once the function was replaced (`replace_write_probes`) is a
/// FAIL, naming the replacement (the first body per function and check).
fn replaced_write_checks(
    t: &Target,
    role: &str,
    tenants: &[String],
    probes: &[ReplacedWrites],
    checks: &mut [Check],
) {
    let mut said: std::collections::BTreeSet<(String, &'static str, Option<String>)> =
        Default::default();
    for p in probes {
        let r = &p.replaceable;
        for got in write_checks(t, tenants, &p.outcomes) {
            if got.status != "FAIL"
                || !said.insert((r.function.clone(), got.check_name, got.tenant.clone()))
            {
                continue;
            }
            // (a check a rule leaves unjudged stays so)
            let Some(c) = checks.iter_mut().find(|c| {
                c.check_name == got.check_name && c.tenant == got.tenant && c.status != "SKIP"
            }) else {
                continue;
            };
            let why = format!(
                "{} {} {} function {}, which {} may replace: once CREATE OR REPLACE \
                 FUNCTION makes it return {}, {}; fix with ALTER FUNCTION {} OWNER TO a role the \
                 application cannot become (the owner now: {})",
                if r.write_policies.len() == 1 {
                    "policy"
                } else {
                    "policies"
                },
                r.write_policies
                    .iter()
                    .map(|p| quote_ident(p))
                    .collect::<Vec<_>>()
                    .join(", "),
                if r.write_policies.len() == 1 {
                    "calls"
                } else {
                    "call"
                },
                r.function,
                replacer(role, r),
                p.body,
                got.detail,
                r.function,
                quote_ident(&r.owner)
            );
            *c = also_fails(c.clone(), why, got.rows_seen);
        }
    }
}

/// Calling a SECURITY DEFINER function is a statement the role may run:
/// the function writes as its owner. When a call as tenant A inserted,
/// changed or deleted rows of other tenants (or truncated the table:
/// tenant_delete), that check of A is a FAIL, naming the call, whatever
/// the statement probes said (the call ran on the real table, so a rule
/// that leaves a shadow's answer unjudged does not matter here). A table
/// that could not be watched makes A's PASS an ERROR.
fn definer_write_checks(t: &Target, role: &str, writes: &[DefinerWrite], checks: &mut [Check]) {
    const KINDS: [(&str, &str); 4] = [
        ("tenant_insert", "inserts"),
        ("tenant_update", "changes"),
        ("tenant_delete", "deletes"),
        ("tenant_delete", "truncates"),
    ];
    for w in writes {
        let r = &w.writer;
        let mine = |c: &&mut Check| c.tenant.as_deref() == Some(w.tenant.as_str());
        if let Some(e) = &w.error {
            for c in checks.iter_mut().filter(mine).filter(|c| {
                c.status == "PASS" && KINDS.iter().any(|(name, _)| *name == c.check_name)
            }) {
                c.status = "ERROR";
                c.rows_seen = None;
                c.detail = format!(
                    "{} may call {} (SECURITY DEFINER, owner {}), which may write {} as its owner, \
                     but the table could not be watched while it was called, so a call that \
                     reaches other tenants' rows is not ruled out: {e}",
                    quote_ident(role),
                    r.function,
                    quote_ident(&r.owner),
                    t.qualified()
                );
            }
            continue;
        }
        for (k, (name, does)) in KINDS.iter().enumerate() {
            let n = w.kinds[k];
            if n == 0 {
                continue;
            }
            let Some(c) = checks
                .iter_mut()
                .filter(mine)
                .find(|c| c.check_name == *name)
            else {
                continue;
            };
            let what = if k == 3 {
                format!("{does} {}, with {n} rows of other tenants", t.qualified())
            } else {
                format!("{does} {n} rows of other tenants of {}", t.qualified())
            };
            let why = format!(
                "{} may call {} (SECURITY DEFINER, owner {}), which writes as its owner: {} as tenant \
                 {} {what}; fix with REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC, {} (or keep its writes \
                 to the caller's tenant, or make it SECURITY INVOKER)",
                quote_ident(role),
                r.function,
                quote_ident(&r.owner),
                definer_call_text(r, &w.args),
                w.tenant,
                r.function,
                quote_ident(role)
            );
            *c = also_fails(c.clone(), why, Some(n));
        }
    }
}

/// `CALL f(…)` or `SELECT f(…)` as the probe ran it, its arguments as
/// literals.
fn definer_call_text(r: &crate::model::DefinerWriter, args: &[Option<String>]) -> String {
    format!(
        "{} {}({})",
        if r.procedure { "CALL" } else { "SELECT" },
        r.name,
        literal_args(args, &r.arg_types)
    )
}

/// A call's arguments as typed literals (`'7'::pg_catalog.int4`, NULL).
fn literal_args(args: &[Option<String>], types: &[String]) -> String {
    args.iter()
        .zip(types)
        .map(|(a, ty)| match a {
            Some(v) => format!("{}::{ty}", quote_literal(v)),
            None => format!("NULL::{ty}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A write to a table a read policy reads is a statement the role may run
/// when it holds the privilege there: when tenant A's read saw other
/// tenants' rows after one (`lookup_probes`), that read is a FAIL. With
/// the write probes off (`probed` false) nothing was written: a PASS says
/// which writes it did not try.
fn looked_up_read(t: &Target, role: &str, leaks: &[LookupLeak], probed: bool, c: Check) -> Check {
    if !probed && c.status == "PASS" && !t.lookups.is_empty() {
        let untried: Vec<String> = t
            .lookups
            .iter()
            .map(|l| {
                format!(
                    "{} ({}, read by policy {})",
                    l.table,
                    l.kinds
                        .iter()
                        .map(|k| k.to_uppercase())
                        .collect::<Vec<_>>()
                        .join(", "),
                    quote_ident(&l.policy)
                )
            })
            .collect();
        return Check {
            detail: format!(
                "{}; not tried with write_probes => false: {} may write {}, and such a write can \
                 change what the policy lets through",
                c.detail,
                quote_ident(role),
                untried.join(", ")
            ),
            ..c
        };
    }
    let mine = |l: &&LookupLeak| c.tenant.as_deref() == Some(l.tenant.as_str());
    let Some(l) = leaks.iter().filter(mine).find(|l| l.error.is_none()) else {
        // a probe that could not run leaves a PASS unproven
        if let Some(l) = leaks.iter().filter(mine).find(|_| c.status == "PASS") {
            return Check {
                status: "ERROR",
                rows_seen: None,
                detail: format!(
                    "the probe of the writes {} may run on {}, which policy {} reads, could not run, \
                     so such a write that opens other tenants' rows is not ruled out: {}",
                    quote_ident(role),
                    l.lookup.table,
                    quote_ident(&l.lookup.policy),
                    l.error.as_deref().unwrap_or("")
                ),
                ..c
            };
        }
        return c;
    };
    let (statement, fix) = lookup_write_text(
        &l.lookup,
        &l.kind,
        l.column.as_deref(),
        l.source.as_deref(),
        &l.tenant,
        role,
    );
    let reads = policies_reading(&l.lookup, "read", &[quote_ident(&l.lookup.policy)]);
    let why = format!(
        "{reads}, which {} may write: after {statement}, as tenant {}, {} rows of other tenants \
         of {} are visible; fix with {fix}",
        quote_ident(role),
        l.tenant,
        l.rows,
        t.qualified(),
    );
    also_fails(c, why, Some(l.rows))
}

/// How a check's detail names what reads a lookup table: the `side`
/// (`read`, `write`) policies through the functions they call, for a
/// table found by what a probe scanned (a function one of them calls,
/// `policy` or another); else `names`, the policies (quoted) that read it.
fn policies_reading(l: &crate::model::Lookup, side: &str, names: &[String]) -> String {
    let m = &l.table;
    if l.via_function {
        return format!(
            "the {side} policies read {m} through the functions they call (policy {} calls one)",
            quote_ident(&l.policy)
        );
    }
    if let [one] = names {
        format!("policy {one} reads {m}")
    } else {
        format!("policies {} read {m}", names.join(", "))
    }
}

/// A lookup probe's write as a DBA would read it (`kind`, for an UPDATE
/// the column and where its value came from), and the fix.
fn lookup_write_text(
    lookup: &crate::model::Lookup,
    kind: &str,
    column: Option<&str>,
    source: Option<&str>,
    tenant: &str,
    role: &str,
) -> (String, String) {
    let m = &lookup.table;
    let statement = match (kind, column) {
        ("insert", _) => format!(
            "INSERT INTO {m} a row made of its own rows' and other tenants' values \
             (one column set to tenant {tenant}'s value or the role's name, another to another tenant's)"
        ),
        ("update", Some(col)) => format!(
            "UPDATE {m} SET {} = {}",
            quote_ident(col),
            match source {
                Some("tenant") => format!(
                    "'{}' (tenant {tenant}'s own value)",
                    tenant.replace('\'', "''")
                ),
                Some("role") => "the role's name".to_string(),
                Some("other") => "another tenant's value".to_string(),
                _ => "a value of its other rows".to_string(),
            }
        ),
        ("truncate", _) => format!(
            "TRUNCATE {m} (its TRUNCATE privilege; row security does not apply to TRUNCATE)"
        ),
        _ => format!("DELETE FROM {m}"),
    };
    let fix = if kind == "truncate" {
        format!("REVOKE TRUNCATE ON {m} FROM {}", quote_ident(role))
    } else {
        format!(
            "policies on {m} that keep the role's writes to its own tenant, or REVOKE {} ON {m} FROM {}",
            lookup
                .kinds
                .iter()
                .map(|k| k.to_uppercase())
                .collect::<Vec<_>>()
                .join(", "),
            quote_ident(role)
        )
    };
    (statement, fix)
}

/// A write to a table a write policy reads is a statement the role may
/// run when it holds the privilege there, as for a read policy's
/// (`looked_up_read`): when, after one as tenant A (`lookup_write_probes`),
/// the write probe fails a check of A, that check is a FAIL, naming the
/// write (the first per check). A write probe that could not run makes a
/// PASS of A an ERROR.
fn looked_up_write_checks(
    t: &Target,
    role: &str,
    tenants: &[String],
    probes: &[LookupWrites],
    checks: &mut [Check],
) {
    let mut said: std::collections::BTreeSet<(&'static str, String)> = Default::default();
    for p in probes {
        let l = &p.lookup;
        // the policies that read it and check this kind of statement
        let reading = |check: &str| {
            let command = match check {
                "tenant_insert" => "a",
                "tenant_update" => "w",
                _ => "d",
            };
            let mut names: Vec<String> = l
                .write_policies
                .iter()
                .filter(|(_, c)| c == command || c == "*")
                .map(|(n, _)| quote_ident(n))
                .collect();
            if names.is_empty() {
                names.push(quote_ident(&l.policy));
            }
            policies_reading(l, "write", &names)
        };
        for got in write_checks(t, tenants, &p.outcomes) {
            if got.tenant.as_deref() != Some(p.tenant.as_str())
                || !matches!(got.status, "FAIL" | "ERROR")
                || said.contains(&(got.check_name, p.tenant.clone()))
            {
                continue;
            }
            // (a check a rule leaves unjudged stays so)
            let Some(c) = checks.iter_mut().find(|c| {
                c.check_name == got.check_name && c.tenant == got.tenant && c.status != "SKIP"
            }) else {
                continue;
            };
            if got.status == "ERROR" {
                if c.status == "PASS" {
                    c.status = "ERROR";
                    c.rows_seen = None;
                    c.detail = format!(
                        "{}, which {} may write, but the probe of {} after such a write as \
                         tenant {} could not run, so a write there that lets this one through is \
                         not ruled out: {}",
                        reading(got.check_name),
                        quote_ident(role),
                        got.check_name,
                        p.tenant,
                        got.detail
                    );
                }
                continue;
            }
            said.insert((got.check_name, p.tenant.clone()));
            let (statement, fix) = lookup_write_text(
                l,
                &p.kind,
                p.column.as_deref(),
                p.source.as_deref(),
                &p.tenant,
                role,
            );
            let why = format!(
                "{}, which {} may write: after {statement}, {}; fix with {fix}",
                reading(got.check_name),
                quote_ident(role),
                got.detail
            );
            *c = also_fails(c.clone(), why, got.rows_seen);
        }
    }
}

/// CREATE TRIGGER is a statement the role may run when it holds the
/// TRIGGER privilege on the table (or owns it): the trigger's function,
/// even a temporary one of the role's own session (the TEMP privilege is
/// PUBLIC's by default), then runs in every session that writes the
/// table, as that session, with each row another tenant inserts, updates
/// or deletes, and can copy it where A reads it. So A's read is a FAIL,
/// whatever A sees now.
fn trigger_read(t: &Target, role: &str, c: Check) -> Check {
    if !t.role_may_trigger || t.is_view() {
        return c;
    }
    let why = format!(
        "{} may create a trigger on {} (the TRIGGER privilege; GRANT ALL includes it): its \
         function, even a temporary one of its own session, runs in every session that writes the \
         table, with each row other tenants insert, update or delete, and can copy them where \
         tenant {} reads them; fix with REVOKE TRIGGER ON {} FROM {}",
        quote_ident(role),
        t.qualified(),
        c.tenant.as_deref().unwrap_or(""),
        t.qualified(),
        quote_ident(role)
    );
    also_fails(c, why, None)
}

/// `c` fails for `why` too: a FAIL keeps its status and count and adds
/// the reason; any other status becomes a FAIL with `rows` seen.
fn also_fails(c: Check, why: String, rows: Option<i64>) -> Check {
    if c.status == "FAIL" {
        Check {
            detail: format!("{}; and {why}", c.detail),
            ..c
        }
    } else {
        Check {
            status: "FAIL",
            rows_seen: rows,
            detail: why,
            ..c
        }
    }
}

/// The foreign keys' actions: a key of the table with ON DELETE CASCADE,
/// SET NULL or SET DEFAULT, or with one of them ON UPDATE, runs that action
/// as the table's owner, without row-level security, on the rows
/// referencing whatever anyone deletes in the referenced table, or whose
/// key anyone changes there. When tenant A may delete (or change the key
/// of) a referenced row that other tenants' rows reference (the cascade
/// probe, on a shadow copy), A's statement there deletes (ON DELETE
/// CASCADE: tenant_delete) or changes (every other action:
/// tenant_update) those rows: FAIL, whatever the table's own probes said.
/// A cascade probe that could not run makes a PASS an ERROR (not judged);
/// one refused for want of a privilege, or by a trigger, wrote nothing.
fn cascade_checks(t: &Target, cascades: &[Cascade], checks: &mut [Check]) {
    for k in cascades {
        let broken = k.outcomes.iter().find(|o| o.tenant.is_none() && !o.ok());
        let key = k
            .outcomes
            .iter()
            .find(|o| o.tenant.is_none() && o.check.as_deref() == Some("key"))
            .and_then(|o| o.value.as_deref())
            .unwrap_or("its key");
        // per event: the probe's outcomes, the statement, what it reaches,
        // the fix, and the statement as the ERROR names it
        let parent = &k.parent;
        for (event, action, probe, statement, reaches, fix, what) in [
            (
                "DELETE",
                k.on_delete,
                "tenant_delete",
                format!("DELETE FROM {parent}"),
                "deletes rows",
                format!("let {parent}'s DELETE policies keep each tenant to the rows its own rows reference"),
                "a DELETE",
            ),
            (
                "UPDATE",
                k.on_update,
                "key_update",
                format!("UPDATE {parent} SET {key} (a value no row has, a row at a time)"),
                "changes the key of rows",
                format!(
                    "let {parent}'s UPDATE policies keep each tenant to the rows its own rows \
                     reference, or revoke UPDATE of the key there"
                ),
                "an UPDATE of its key",
            ),
        ] {
            let (name, does) = match (event, action) {
                ("DELETE", 'c') => ("tenant_delete", "deletes them"),
                (_, 'c') => ("tenant_update", "changes their key to the new value"),
                (_, 'n') => ("tenant_update", "sets their key to NULL"),
                (_, 'd') => ("tenant_update", "sets their key to its default"),
                _ => continue,
            };
            let spelled = match action {
                'c' => "CASCADE",
                'n' => "SET NULL",
                _ => "SET DEFAULT",
            };
            for c in checks.iter_mut().filter(|c| c.check_name == name) {
                let Some(a) = c.tenant.clone() else {
                    continue;
                };
                let mine = k.outcomes.iter().find(|o| {
                    o.tenant.as_deref() == Some(a.as_str()) && o.check.as_deref() == Some(probe)
                });
                match (broken, mine) {
                    (None, Some(o)) if o.ok() && o.rows.unwrap_or(0) > 0 => {
                        let n = o.rows.unwrap_or(0);
                        let why = format!(
                            "as tenant {a}, {statement} {reaches} that {n} rows of other tenants in {table} \
                             reference, and foreign key {fk} (ON {event} {spelled}) then {does} as the owner \
                             of {table}, without row-level security: {fix}, or make the tenant column part \
                             of the key",
                            table = t.qualified(),
                            fk = quote_ident(&k.constraint),
                        );
                        if c.status == "FAIL" {
                            c.detail = format!("{}; and {why}", c.detail);
                            c.rows_seen = Some(c.rows_seen.unwrap_or(0) + n);
                        } else {
                            c.status = "FAIL";
                            c.rows_seen = Some(n);
                            c.detail = why;
                        }
                    }
                    (broken, mine) if c.status == "PASS" => {
                        let failed = broken.or(mine.filter(|o| o.inconclusive()));
                        if let Some(o) = failed {
                            c.status = "ERROR";
                            c.rows_seen = None;
                            c.detail = format!(
                                "the probe of foreign key {} (ON {event} {spelled}) on {} could not run, so \
                                 {what} there that reaches other tenants' rows is not ruled out: {}",
                                quote_ident(&k.constraint),
                                k.parent,
                                o.error_text(),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// rls_enabled and rls_forced: a table's own flags, and whether the role
/// is (or may become) the owner they exempt.
fn flag_checks(t: &Target, role: &str) -> [Check; 2] {
    let enabled = if t.rls_enabled {
        check(
            "rls_enabled",
            Some(t),
            None,
            "PASS",
            None,
            "row-level security is enabled".into(),
        )
    } else {
        check(
            "rls_enabled",
            Some(t),
            None,
            "FAIL",
            None,
            format!(
                "row-level security is disabled: fix with ALTER TABLE {} ENABLE ROW LEVEL SECURITY",
                t.qualified()
            ),
        )
    };
    // FORCE makes the policies apply to the owner, but the owner may
    // still run ALTER TABLE … NO FORCE (or DISABLE) ROW LEVEL SECURITY:
    // one statement away from skipping them, forced or not
    let (status, detail) = if t.role_owns {
        let owns = format!("{role} owns the table (owner {})", t.owner);
        (
            "FAIL",
            if t.rls_forced {
                format!(
                    "{owns}: RLS is forced, but an owner may ALTER TABLE {} NO FORCE ROW LEVEL SECURITY and its \
                     policies stop applying: fix by making another role the owner (ALTER TABLE {} OWNER TO …) \
                     that {role} is not a member of",
                    t.qualified(),
                    t.qualified()
                )
            } else {
                format!(
                    "{owns} and RLS is not forced, so its policies do not apply: \
                     fix with ALTER TABLE {} FORCE ROW LEVEL SECURITY, and make another role the owner",
                    t.qualified()
                )
            },
        )
    } else if t.role_may_become_owner {
        // SET ROLE to the owner is one statement the role can run: its
        // policies then stop applying (NO FORCE needs one more), as for a
        // bypassing role
        (
            "FAIL",
            format!(
                "{role} may SET ROLE to the table's owner {} and, as the owner, {}: \
             fix with REVOKE {} FROM {}{}",
                t.owner,
                if t.rls_forced {
                    format!("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY, after which its policies do not apply", t.qualified())
                } else {
                    "skip its policies, as RLS is not forced".to_string()
                },
                quote_ident(&t.owner),
                quote_ident(role),
                if t.rls_forced {
                    String::new()
                } else {
                    format!(", or ALTER TABLE {} FORCE ROW LEVEL SECURITY (which still leaves NO FORCE to the owner)", t.qualified())
                }
            ),
        )
    } else if t.rls_forced {
        ("PASS", "row-level security is forced".to_string())
    } else {
        (
            "PASS",
            format!(
                "not forced, but {role} does not own the table (owner {})",
                t.owner
            ),
        )
    };
    [
        enabled,
        check("rls_forced", Some(t), None, status, None, detail),
    ]
}

fn check(
    name: &'static str,
    t: Option<&Target>,
    tenant: Option<&str>,
    status: &'static str,
    rows: Option<i64>,
    detail: String,
) -> Check {
    Check {
        check_name: name,
        schema_name: t.map(|t| t.schema.clone()),
        table_name: t.map(|t| t.table.clone()),
        tenant: tenant.map(Into::into),
        status,
        rows_seen: rows,
        detail,
    }
}

/// fail_closed_unset / fail_closed_empty: no row visible, or an error.
fn fail_closed(name: &'static str, t: &Target, o: &Outcome, how: &str) -> Check {
    if o.inconclusive() {
        // a lock not granted or PostgreSQL failing is not the policy closing
        return check(
            name,
            Some(t),
            None,
            "ERROR",
            None,
            format!(
                "reading with {how} failed for a reason that says nothing about the policies ({}); \
                 run verify_isolation() again",
                o.error_text()
            ),
        );
    }
    if !o.ok() {
        let detail = if o.denied() {
            format!(
                "closed: the role has no SELECT privilege ({})",
                o.error_text()
            )
        } else {
            // an error is closed: the application gets no rows either
            format!("closed: the query errors with {how} ({})", o.error_text())
        };
        return check(name, Some(t), None, "PASS", Some(0), detail);
    }
    let n = o.count();
    if n == 0 {
        check(
            name,
            Some(t),
            None,
            "PASS",
            Some(0),
            format!("no row visible with {how}"),
        )
    } else {
        let more = if n >= PROBE_LIMIT {
            " (counting stopped there)"
        } else {
            ""
        };
        check(
            name,
            Some(t),
            None,
            "FAIL",
            Some(n),
            format!(
                "{n} rows visible with {how}{more}: {} does not fail closed{}",
                if t.is_view() {
                    "reading through it"
                } else {
                    "the policy"
                },
                through_view(t)
            ),
        )
    }
}

/// A read's check as a new session sees it, when tenant `a`'s read showed
/// other tenants' rows only there (`TableEvidence::reads_unset`): the
/// detail says which settings were not set.
fn in_new_session(unset: &[(String, Vec<String>)], a: &str, mut check: Check) -> Check {
    if let Some((_, names)) = unset.iter().find(|(x, _)| x == a) {
        check.detail += &in_a_new_session(names);
    }
    check
}

/// A read's check with a setting the application sets per request given
/// a value, when tenant `a`'s read showed other tenants' rows only so
/// (`TableEvidence::reads_claimed`): the detail says which.
fn claimed_read(claimed: &[(String, String, String)], a: &str, mut check: Check) -> Check {
    if let Some((_, name, value)) = claimed.iter().find(|(x, _, _)| x == a) {
        // (right after what was visible, before what a view adds)
        let phrase = format!(" after `{}`", crate::catalog::claim_text(name, value));
        let at = check
            .detail
            .find(" are visible")
            .map_or(check.detail.len(), |i| i + " are visible".len());
        check.detail.insert_str(at, &phrase);
    }
    check
}

/// What a check's detail adds when the statement reached other tenants'
/// rows only in a new session, where the settings `unset` were never set.
fn in_a_new_session(unset: &[String]) -> String {
    format!(" in a new session ({} not set)", unset.join(", "))
}

/// tenant_read: with the setting at tenant A, no row of another tenant,
/// sampled or not (a row whose tenant column is NULL is no tenant's).
fn read_check(t: &Target, a: &str, o: &Outcome) -> Check {
    if t.tenant_hidden && o.ok() {
        return blind_read_check(t, a, o);
    }
    if o.ok() && o.count() == 0 {
        check(
            "tenant_read",
            Some(t),
            Some(a),
            "PASS",
            Some(0),
            format!("as tenant {a}, no row of another tenant is visible"),
        )
    } else if o.ok() {
        check(
            "tenant_read",
            Some(t),
            Some(a),
            "FAIL",
            Some(o.count()),
            format!(
                "as tenant {a}, {} rows of other tenants are visible{}{}",
                o.count(),
                if o.count() >= PROBE_LIMIT {
                    " (counting stopped there)"
                } else {
                    ""
                },
                through_view(t)
            ),
        )
    } else if o.denied() {
        check(
            "tenant_read",
            Some(t),
            Some(a),
            "PASS",
            Some(0),
            format!("the role cannot read the table at all ({})", o.error_text()),
        )
    } else {
        check(
            "tenant_read",
            Some(t),
            Some(a),
            "ERROR",
            None,
            format!("reading as tenant {a} fails: {}", o.error_text()),
        )
    }
}

/// A write check of a table with a rule on that statement: the rule
/// rewrites the application's statement (DO INSTEAD, or DO ALSO as the
/// table's owner) where the shadow table has none, so the shadow's answer
/// is not the table's: SKIP, naming the rule and what the shadow alone
/// said. A TRUNCATE (which no rule rewrites) still fails.
fn ruled_out(t: &Target, c: Check) -> Check {
    let command = match c.check_name {
        "tenant_insert" => "INSERT",
        "tenant_update" => "UPDATE",
        "tenant_delete" => "DELETE",
        _ => return c,
    };
    let rules: Vec<String> = t
        .rules
        .iter()
        .filter(|(cmd, _)| cmd == command)
        .map(|(_, name)| quote_ident(name))
        .collect();
    if rules.is_empty() || (command == "DELETE" && c.status == "FAIL" && t.may_truncate()) {
        return c;
    }
    Check {
        status: "SKIP",
        rows_seen: None,
        detail: format!(
            "{} has rule {} ON {command}, which rewrites the statement where the probes' shadow \
             table does not: not judged (the shadow alone: {} — {})",
            t.qualified(),
            rules.join(", "),
            c.status,
            c.detail
        ),
        ..c
    }
}

/// Why a view or materialized view shows rows its tables' policies would
/// hold back, and the fix (empty for a table).
fn through_view(t: &Target) -> String {
    match t.kind {
        RelKind::View if t.security_invoker => format!(
            "; the view is security_invoker: the policies of its tables let the role see them \
             (fix them, or revoke the role's privileges on {})",
            t.qualified()
        ),
        RelKind::View => format!(
            "; the view reads its tables as its owner {} unless it is security_invoker: fix with \
             ALTER VIEW {} SET (security_invoker = true) (the role then needs its own privileges \
             on the tables), or revoke the role's privileges on the view",
            t.owner,
            t.qualified()
        ),
        RelKind::Matview => format!(
            "; a materialized view has no row-level security: whoever may read it sees every row \
             it holds (fix: revoke the role's SELECT on {} and read the table)",
            t.qualified()
        ),
        RelKind::Table | RelKind::Partitioned => String::new(),
    }
}

/// tenant_insert / tenant_update / tenant_delete for a view: a write the
/// role cannot run through it (no privilege, or PostgreSQL cannot run it:
/// not auto-updatable, no INSTEAD OF trigger or INSTEAD rule) touches
/// nothing, nor does one PostgreSQL refuses because the view's owner may
/// not write its table. A DELETE or UPDATE PostgreSQL runs through the
/// view itself, as the view's owner, on a table whose row security does
/// not apply to that owner reaches exactly the rows a read through the
/// view shows: judged from the read as A (`reads`; for a role that may not
/// read the view, or not its tenant column, the read with SELECT on the
/// view granted to it for the probe, `granted`). Any other write
/// through a view (an INSERT, a security_invoker view, a trigger or rule,
/// an owner under the table's policies) runs where the probes' shadow
/// table does not reach, so it is not judged.
fn view_write_checks(
    t: &Target,
    tenants: &[String],
    reads: &[TenantRead],
    granted: &[TenantRead],
    shown: &[TenantRead],
) -> Vec<Check> {
    let w = t.view_writes;
    let base = t.view_base.as_ref();
    [
        ("tenant_insert", "INSERT", w.insert, None),
        ("tenant_update", "UPDATE", w.update, base.and_then(|b| b.update)),
        ("tenant_delete", "DELETE", w.delete, base.and_then(|b| b.delete)),
    ]
    .into_iter()
    .flat_map(|(name, command, may, owner_may)| {
        tenants.iter().map(move |a| {
            let lent = granted.iter().find(|(x, _)| x == a).map(|(_, o)| o.as_ref());
            let read = lent.or_else(|| reads.iter().find(|(x, _)| x == a).map(|(_, o)| o.as_ref()));
            let visible = lent.is_some() || !t.tenant_hidden;
            let lent_note = if lent.is_some() {
                " (the role may not read the view: read with SELECT on it granted to the role for the \
                 probe, rolled back)"
            } else {
                ""
            };
            match (may, owner_may, base) {
                (false, _, _) => check(
                    name,
                    Some(t),
                    Some(a),
                    "PASS",
                    None,
                    if t.kind == RelKind::Matview {
                        format!("a materialized view cannot be written to: no {command} through it")
                    } else {
                        format!(
                            "the role cannot {command} through the view (no privilege, or PostgreSQL \
                             cannot run it: not updatable, no INSTEAD OF trigger or INSTEAD rule)"
                        )
                    },
                ),
                (true, Some(false), Some(b)) => check(
                    name,
                    Some(t),
                    Some(a),
                    "PASS",
                    None,
                    format!(
                        "the view's owner {} may not {command} {}: PostgreSQL refuses the role's \
                         {command} through the view",
                        t.owner,
                        quote_qualified(&b.schema, &b.table)
                    ),
                ),
                (true, Some(true), Some(b)) if b.why.is_some() => match read {
                    Some(Some(o)) if o.ok() && visible => {
                        let n = o.count();
                        let statement = if command == "DELETE" {
                            format!("`DELETE FROM {}`", t.qualified())
                        } else {
                            format!("`UPDATE {} SET …`", t.qualified())
                        };
                        let how = view_owner_writes(t, b);
                        if n > 0 {
                            check(
                                name,
                                Some(t),
                                Some(a),
                                "FAIL",
                                Some(n),
                                format!(
                                    "as tenant {a}, {statement} reaches the {n} rows of other tenants the \
                                     view shows{}{lent_note}: {how}; fix with ALTER VIEW {} SET \
                                     (security_invoker = true), or revoke {command} on it from the role",
                                    if n >= PROBE_LIMIT { " (counting stopped there)" } else { "" },
                                    t.qualified()
                                ),
                            )
                        } else {
                            check(
                                name,
                                Some(t),
                                Some(a),
                                "PASS",
                                Some(0),
                                format!(
                                    "as tenant {a}, {statement} reaches only the rows the view shows, \
                                     none of another tenant{lent_note} ({how})"
                                ),
                            )
                        }
                    }
                    Some(None) => check(
                        name,
                        Some(t),
                        Some(a),
                        "SKIP",
                        None,
                        format!("only tenant {a} has rows: no other tenant to reach (pass tenants => ARRAY[...])"),
                    ),
                    _ => view_write_skip(t, name, command, a),
                },
                _ => view_write_skip(t, name, command, a),
            }
        })
    })
    .map(|mut c| {
        view_move_check(t, shown, &mut c);
        c
    })
    .collect()
}

/// tenant_update through a view the role may set the tenant column of,
/// without a CHECK OPTION, which PostgreSQL writes as its owner past the
/// table's row security: `UPDATE view SET tenant_column = X` moves every
/// row the view shows A to tenant X (`shown`: how many, read as A). Any
/// such row fails the check, unless the view's table has a BEFORE UPDATE
/// row trigger (it may set the tenant back, or refuse): then a PASS is not
/// judged; a read that could not run leaves a PASS not judged too. (With a CHECK OPTION the moved row must be one the view shows
/// A, which the read of other tenants' rows answers.)
fn view_move_check(t: &Target, shown: &[TenantRead], c: &mut Check) {
    let Some(a) = c.tenant.clone().filter(|_| c.check_name == "tenant_update") else {
        return;
    };
    let Some(Some(o)) = shown.iter().find(|(x, _)| *x == a).map(|(_, o)| o.as_ref()) else {
        return;
    };
    let Some(b) = t.view_base.as_ref() else {
        return;
    };
    if !o.ok() {
        if c.status == "PASS" {
            c.status = "SKIP";
            c.rows_seen = None;
            c.detail = format!(
                "the role may set {} through the view, which moves the rows it shows to another \
                 tenant, and the read of those rows could not run ({}): not judged",
                quote_ident(&t.column),
                o.error_text()
            );
        }
        return;
    }
    let n = o.count();
    if n == 0 {
        return;
    }
    if t.view_writes.before_update {
        // the trigger may set the tenant back (a stamp) or refuse the row
        if c.status == "PASS" {
            c.status = "SKIP";
            c.rows_seen = None;
            c.detail = format!(
                "the role may set {} through the view, which has no CHECK OPTION, on the {n} rows it \
                 shows; whether that moves them to another tenant is up to the BEFORE UPDATE trigger \
                 of {}, which the probes do not run: not judged",
                quote_ident(&t.column),
                quote_qualified(&b.schema, &b.table)
            );
        }
        return;
    }
    let why = format!(
        "as tenant {a}, `UPDATE {} SET {} = …` moves the {n} rows the view shows to another tenant: \
         the view has no CHECK OPTION and {}; fix with ALTER VIEW {} SET (check_option = local) or \
         (security_invoker = true), or revoke UPDATE ({}) on it from the role",
        t.qualified(),
        quote_ident(&t.column),
        view_owner_writes(t, b),
        t.qualified(),
        quote_ident(&t.column)
    );
    if c.status == "FAIL" {
        c.detail = format!("{}; and {why}", c.detail);
    } else {
        c.status = "FAIL";
        c.rows_seen = Some(n);
        c.detail = why;
    }
}

/// How a view's write reaches past row security: as its owner, on its
/// table, where the table's policies do not apply to that owner.
fn view_owner_writes(t: &Target, b: &crate::model::ViewBase) -> String {
    let base = quote_qualified(&b.schema, &b.table);
    let why = match b.why.as_deref().unwrap_or_default() {
        "disabled" => format!("row-level security is disabled on {base}"),
        "superuser" => "a superuser, to whom row-level security never applies".to_string(),
        "bypassrls" => "who has BYPASSRLS".to_string(),
        _ => format!(
            "who has the rights of its owner, and row-level security is not forced on {base}"
        ),
    };
    format!("the view writes to {base} as its owner {}, {why}", t.owner)
}

/// A write through a view that the probes do not judge.
fn view_write_skip(t: &Target, name: &'static str, command: &str, a: &str) -> Check {
    check(
        name,
        Some(t),
        Some(a),
        "SKIP",
        None,
        format!(
            "the role may {command} through the view, which writes to its tables as its owner {} \
             unless it is security_invoker (or through its trigger or rule), where the probes do \
             not reach: not judged; probe the tables it writes to, or revoke {command} on {} from \
             the role",
            t.owner,
            t.qualified()
        ),
    )
}

/// What `TRUNCATE` does for a role that may run it, with how many of the
/// other tenants' rows the probes saw among those it removes (when they
/// ran).
fn truncate_leak(t: &Target, probed: Option<i64>) -> String {
    let among = probed
        .map(|n| {
            format!(
                ", {n} probed row{} of other tenants among them",
                if n == 1 { "" } else { "s" }
            )
        })
        .unwrap_or_default();
    let how = match &t.truncate_via {
        Some(r) if !t.role_may_truncate => format!(
            "the role may SET ROLE {r_q}, which holds its privilege: fix with REVOKE TRUNCATE ON {} FROM {r_q}, \
             or revoke the membership",
            t.qualified(),
            r_q = quote_ident(r)
        ),
        _ => "the role holds its privilege".into(),
    };
    format!(
        "`TRUNCATE {}` removes every row of every tenant{among} (row-level security does not \
         apply to TRUNCATE, and {how})",
        t.qualified()
    )
}

/// Why a role's INSERTs put the tenant column's default there: it may
/// insert other columns (`of_table`: naming the table) but not that one.
fn defaulted_insert(t: &Target, of_table: bool) -> String {
    format!(
        "the role may insert other columns{} but not {}, which takes its default, {}",
        if of_table {
            format!(" of {}", t.qualified())
        } else {
            String::new()
        },
        quote_ident(&t.column),
        t.tenant_default.as_deref().unwrap_or("NULL")
    )
}

/// tenant_read for a role that may read some columns of the table but not
/// the tenant column: it sees rows without being able to name their
/// tenant, so PostgreSQL is asked how many it sees as A (`values[0]`), and
/// the table how many rows A has and how many have no tenant (`values[1]`,
/// `values[2]`, counted as the caller). More seen than that is a FAIL (at
/// least the difference are another tenant's); none seen a PASS; anything
/// else cannot be told apart by tenant, and is an ERROR rather than a
/// guess (a policy could hide some of A's rows and show as many of
/// another's).
fn blind_read_check(t: &Target, a: &str, o: &Outcome) -> Check {
    let n = |i: usize| -> Option<i64> { o.values.get(i).cloned().flatten()?.parse().ok() };
    let col = quote_ident(&t.column);
    let (Some(seen), Some(own), Some(none)) = (n(0), n(1), n(2)) else {
        return check(
            "tenant_read",
            Some(t),
            Some(a),
            "ERROR",
            None,
            format!("as tenant {a}, the rows seen could not be compared with tenant {a}'s own"),
        );
    };
    if seen == 0 {
        return check(
            "tenant_read",
            Some(t),
            Some(a),
            "PASS",
            Some(0),
            format!("as tenant {a}, no row is visible"),
        );
    }
    if own < PROBE_LIMIT && none < PROBE_LIMIT && seen > own + none {
        let more = seen - own - none;
        return check(
            "tenant_read",
            Some(t),
            Some(a),
            "FAIL",
            Some(more),
            format!(
                "as tenant {a}, at least {more} rows of other tenants are visible: the role sees \
                 {seen}{} rows, tenant {a} has {own} and {none} have no tenant (the role may read \
                 columns of {} but not {col}, so its rows are counted, not named)",
                if seen >= PROBE_LIMIT { " or more" } else { "" },
                t.qualified()
            ),
        );
    }
    check(
        "tenant_read",
        Some(t),
        Some(a),
        "ERROR",
        None,
        format!(
            "as tenant {a}, the role sees {seen}{} rows of {} but may not read {col}, so they cannot \
             be told apart by tenant (tenant {a} has {own}, {none} have no tenant); grant it \
             SELECT ({col}) to check its reads exactly",
            if seen >= PROBE_LIMIT { " or more" } else { "" },
            t.qualified()
        ),
    )
}

/// One row of `rls_audit._write_probe`: a statement run as `tenant` (or,
/// with check `copied`, how many rows of `tenant` the shadow holds, with
/// no tenant how many first rows of the tenants not probed; with no tenant
/// and a failure, why the shadow could not be set up).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WriteOutcome {
    pub(crate) tenant: Option<String>,
    pub(crate) check: Option<String>,
    pub(crate) value: Option<String>,
    pub(crate) rows: Option<i64>,
    pub(crate) sqlstate: String,
    pub(crate) message: Option<String>,
    /// the settings the application sets per request that were not set
    /// (a new session), when the statement reached other tenants' rows
    /// only so
    pub(crate) unset: Vec<String>,
}

impl ProbeState for WriteOutcome {
    fn state(&self) -> (&str, Option<&str>) {
        (&self.sqlstate, self.message.as_deref())
    }
}

/// The statement a write outcome stands for, as a DBA would type it (and
/// when it reached other tenants' rows only once the tenant's own rows
/// were gone, that).
fn statement_text(t: &Target, o: &WriteOutcome) -> String {
    // (a statement run with another setting the application sets per
    // request given a value: that setting first)
    let text = match claim_of(o) {
        Some((name, value)) => format!(
            "`{}` then `{}`",
            crate::catalog::claim_text(&name, &value),
            plain_statement_text(t, o)
        ),
        None => format!("`{}`", plain_statement_text(t, o)),
    };
    // (a statement that reached them only where the settings the
    // application sets per request were never set: a new session)
    let text = match o.unset.as_slice() {
        [] => text,
        unset => format!("{text}{}", in_a_new_session(unset)),
    };
    if o.ok() && without_own_rows(o) {
        format!(
            "{text} (refused for the tenant's own rows, it goes through once they are gone: a \
             tenant without rows yet, one that deletes its own first, or a WHERE that leaves them \
             out)"
        )
    } else {
        text
    }
}

fn plain_statement_text(t: &Target, o: &WriteOutcome) -> String {
    let col = quote_ident(&t.column);
    let v = o.value.as_deref().unwrap_or("NULL");
    // a variant's statement also sets other columns (shadow::Variant)
    let also: Vec<(String, String)> = variant_of(o)
        .unwrap_or_default()
        .into_iter()
        .map(|(c, value)| {
            (
                quote_ident(&c),
                value.map_or_else(|| "NULL".to_string(), |v| quote_literal(&v)),
            )
        })
        .collect();
    let (mut also_col, mut also_value, mut also_set) =
        (String::new(), String::new(), String::new());
    for (c, value) in &also {
        also_col += &format!(", {c}");
        also_value += &format!(", {value}");
        also_set += &format!(", {c} = {value}");
    }
    match o.check.as_deref() {
        Some("tenant_delete") => format!("DELETE FROM {}", t.qualified()),
        // a role that may not UPDATE the tenant column: its UPDATE sets
        // the other column alone (sql/probe.sql, kind `kept`)
        Some("tenant_update") if t.tenant_fixed && !also.is_empty() => format!(
            "UPDATE {} SET {}",
            t.qualified(),
            also_set.trim_start_matches(", ")
        ),
        Some("tenant_update") => format!("UPDATE {} SET {col} = {v}{also_set}", t.qualified()),
        // the role may not name the tenant column: its rows take the default
        _ if t.tenant_defaulted => format!(
            "INSERT INTO {} (...{also_col}) VALUES (...{also_value})",
            t.qualified()
        ),
        _ => format!(
            "INSERT INTO {} (..., {col}{also_col}) VALUES (..., {v}{also_value})",
            t.qualified()
        ),
    }
}

/// The other columns a variant's statement set, and their values (None:
/// NULL), from the outcome's note (shadow::VARIANT).
fn variant_of(o: &WriteOutcome) -> Option<Vec<(String, Option<String>)>> {
    let note = o.message.as_deref()?.strip_prefix(crate::shadow::VARIANT)?;
    let v: Vec<serde_json::Value> = serde_json::from_str(note).ok()?;
    let set: Vec<(String, Option<String>)> = v
        .chunks(2)
        .filter_map(|p| match p {
            [c, value] => Some((c.as_str()?.to_string(), value.as_str().map(str::to_string))),
            _ => None,
        })
        .collect();
    (!set.is_empty()).then_some(set)
}

/// Whether a write outcome's statement reached other tenants' rows only
/// once the tenant's own were gone (shadow::WITHOUT_OWN_ROWS, alone or in
/// a claimed setting's note).
fn without_own_rows(o: &WriteOutcome) -> bool {
    let claimed = || -> Option<bool> {
        let note = o.message.as_deref()?.strip_prefix(crate::shadow::VARIANT)?;
        let v: Vec<serde_json::Value> = serde_json::from_str(note).ok()?;
        v.last()?.get(crate::shadow::WITHOUT_OWN_ROWS)?.as_bool()
    };
    o.message.as_deref() == Some(crate::shadow::WITHOUT_OWN_ROWS) || claimed().unwrap_or(false)
}

/// The other setting a variant's statement ran with and its value (the
/// note's last element, `{"setting": …, "value": …}`; shadow::VARIANT).
fn claim_of(o: &WriteOutcome) -> Option<(String, String)> {
    let note = o.message.as_deref()?.strip_prefix(crate::shadow::VARIANT)?;
    let v: Vec<serde_json::Value> = serde_json::from_str(note).ok()?;
    let last = v.last()?;
    Some((
        last.get("setting")?.as_str()?.to_string(),
        last.get("value")?.as_str()?.to_string(),
    ))
}

/// tenant_insert / tenant_update / tenant_delete from the write probe's
/// outcomes: FAIL when any statement touched a row of another tenant
/// (that is a real statement the role can run), PASS when none did (a
/// statement that fails touches nothing), SKIP when there was nothing to
/// touch, ERROR when the probe could not run.
/// One piece: SKIP, FAIL, PASS and ERROR are judged per (check, tenant) in one pass so each
/// row gets exactly one status.
fn write_checks(t: &Target, tenants: &[String], outcomes: &[WriteOutcome]) -> Vec<Check> {
    let names = ["tenant_insert", "tenant_update", "tenant_delete"];
    if let Some(broken) = outcomes.iter().find(|o| o.tenant.is_none() && !o.ok()) {
        return names
            .iter()
            .flat_map(|name| {
                tenants.iter().map(move |a| {
                    check(
                        name,
                        Some(t),
                        Some(a),
                        "ERROR",
                        None,
                        format!(
                            "the write probe could not be set up: {}",
                            broken.error_text()
                        ),
                    )
                })
            })
            .collect();
    }
    // rows copied of a probed tenant; of None: the other tenants' first rows
    let copied = |tenant: Option<&str>| {
        outcomes
            .iter()
            .filter(|o| o.check.as_deref() == Some("copied") && o.tenant.as_deref() == tenant)
            .filter_map(|o| o.rows)
            .sum::<i64>()
    };
    let mut out = Vec::new();
    for name in names {
        for a in tenants {
            let foreign: i64 = tenants
                .iter()
                .filter(|x| *x != a)
                .map(|x| copied(Some(x)))
                .sum::<i64>()
                + copied(None);
            let mine: Vec<&WriteOutcome> = outcomes
                .iter()
                .filter(|o| o.check.as_deref() == Some(name) && o.tenant.as_deref() == Some(a))
                .collect();
            // the tenants not probed, screened for this kind of statement
            // (inserts and moves; see sql/probe.sql): how many, and whether
            // the screen could be read
            let screen = outcomes.iter().find(|o| {
                o.check.as_deref() == Some("screened")
                    && o.tenant.as_deref() == Some(a)
                    && o.value.as_deref() == Some(name)
            });
            // a screen refused for want of a privilege lets nothing
            // through, as the real statement would be refused; one that
            // failed otherwise proves nothing for those tenants
            let screened = screen.is_some() && copied(None) > 0;
            let screen_broken = screen
                .filter(|o| name != "tenant_delete" && !o.ok() && !o.denied() && copied(None) > 0);
            // a tenant probed alone still deletes or takes over the first
            // rows of the tenants not probed, when the table has any, and
            // inserts rows for them when the screen lets any through
            let nothing = if tenants.len() < 2
                && (name == "tenant_insert" && !screened || foreign == 0)
            {
                Some(if foreign == 0 {
                    format!("only tenant {a} has rows: no other tenant to write as")
                } else {
                    format!("only tenant {a} is probed: no other tenant to write a row for")
                })
            } else if name == "tenant_insert" {
                (mine.is_empty() && !screened || copied(Some(a)) + foreign == 0).then(|| {
                    format!("only tenant {a} is probed: no other tenant to write a row for")
                })
            } else {
                (foreign == 0).then(|| {
                    format!("no row of another tenant to reach as {a} (pass tenants => ARRAY[...] with tenants that have rows)")
                })
            };
            if let Some(why) = nothing {
                out.push(check(name, Some(t), Some(a), "SKIP", None, why));
                continue;
            }
            let leaks: Vec<&&WriteOutcome> = mine
                .iter()
                .filter(|o| o.ok() && o.rows.unwrap_or(0) > 0)
                .collect();
            // TRUNCATE is a statement the role may run too, and row
            // security does not apply to it: every row goes, the other
            // tenants' with them (`foreign` of them were probed)
            let truncate = (name == "tenant_delete" && t.may_truncate())
                .then(|| truncate_leak(t, Some(foreign)));
            let (status, rows_seen, detail) = if name == "tenant_insert"
                && t.tenant_defaulted
                && t.default_volatile
            {
                (
                    "ERROR",
                    None,
                    format!(
                        "{}: a volatile expression (it could advance a sequence), so the probe does \
                         not run it; check the INSERT policies' WITH CHECK against that default by hand",
                        defaulted_insert(t, true)
                    ),
                )
            } else if !leaks.is_empty() || truncate.is_some() {
                let deleted: i64 = leaks.iter().filter_map(|o| o.rows).sum();
                let rows = if truncate.is_some() {
                    deleted.max(foreign)
                } else {
                    deleted
                };
                // one line per statement (an INSERT is tried from several
                // template rows), its rows added up
                let mut by_statement: Vec<(String, i64)> = Vec::new();
                for o in &leaks {
                    let text = statement_text(t, o);
                    match by_statement.iter_mut().find(|(s, _)| *s == text) {
                        Some((_, n)) => *n += o.rows.unwrap_or(0),
                        None => by_statement.push((text, o.rows.unwrap_or(0))),
                    }
                }
                let verb = match name {
                    "tenant_insert" => "inserts",
                    "tenant_delete" => "deletes",
                    _ => "changes or moves",
                };
                let what: Vec<String> = truncate
                    .into_iter()
                    .chain(by_statement.iter().map(|(text, n)| {
                        format!(
                            "{text} {verb} {n} row{} of another tenant",
                            if *n == 1 { "" } else { "s" }
                        )
                    }))
                    .collect();
                // the INSERTs of a role that may not name the tenant
                // column put the column's default there
                let defaulted = if name == "tenant_insert" && t.tenant_defaulted {
                    format!(" ({})", defaulted_insert(t, false))
                } else {
                    String::new()
                };
                (
                    "FAIL",
                    Some(rows),
                    format!("as tenant {a}: {}{defaulted}", what.join("; ")),
                )
            } else if name == "tenant_update" && t.tenant_fixed && mine.iter().all(|o| o.denied()) {
                // refused for the tenant column, and no UPDATE of another
                // column ran (the probe sets the first one the role may
                // update): the role's UPDATEs reach rows the probe did not try
                (
                    "ERROR",
                    None,
                    format!(
                        "the role may UPDATE columns of {} but not {}, so `UPDATE … SET {}` is refused \
                         and says nothing about the rows its other UPDATEs reach: check its UPDATE \
                         policies' USING by hand, or as a role that may update {}",
                        t.qualified(),
                        quote_ident(&t.column),
                        quote_ident(&t.column),
                        quote_ident(&t.column)
                    ),
                )
            } else if let Some(first) = mine.first().filter(|_| mine.iter().all(|o| o.denied())) {
                (
                    "PASS",
                    Some(0),
                    format!("the role has no privilege for it ({})", first.error_text()),
                )
            } else if let Some(broken) = screen_broken {
                (
                    "ERROR",
                    None,
                    format!(
                        "as tenant {a}, the {} tenant{} not probed could not be screened ({}); \
                         nothing is proven for them",
                        copied(None),
                        if copied(None) == 1 { "" } else { "s" },
                        broken.error_text()
                    ),
                )
            } else if let Some(broken) = mine.iter().find(|o| o.state().0 == "25006") {
                // the statements run read-only (the table's own triggers
                // with them): one that would write elsewhere or advance a
                // sequence is refused, and what it would do is not known
                (
                    "ERROR",
                    None,
                    format!(
                        "as tenant {a}, {} runs a trigger of the table (or a function its \
                         policies call) that writes outside it or advances a sequence ({}): the \
                         probes' statements run read-only, so that nothing outlives them, and this \
                         one is not judged",
                        statement_text(t, broken),
                        broken.error_text()
                    ),
                )
            } else if let Some(broken) = mine.iter().find(|o| o.inconclusive()) {
                // a statement that failed for a reason of its own moment
                // proves nothing about the real table's statement
                (
                    "ERROR",
                    None,
                    format!(
                        "as tenant {a}, {} failed for a reason that says nothing about the \
                         policies ({}); run verify_isolation() again",
                        statement_text(t, broken),
                        broken.error_text()
                    ),
                )
            } else if mine.is_empty() && !screened {
                // the probe ran no statement for this tenant: nothing is proven
                (
                    "ERROR",
                    None,
                    format!("the write probe returned no outcome for tenant {a}"),
                )
            } else {
                // a failing statement touched nothing; say why once per reason
                let mut refused: Vec<String> = mine
                    .iter()
                    .filter(|o| !o.ok())
                    .map(|o| o.error_text())
                    .collect();
                refused.sort();
                refused.dedup();
                let mut values: Vec<&str> = Vec::new();
                for v in mine.iter().filter_map(|o| o.value.as_deref()) {
                    if !values.contains(&v) {
                        values.push(v);
                    }
                }
                let (tbl, col) = (t.qualified(), quote_ident(&t.column));
                let others = copied(None);
                // what was said of the tenants not probed (inserts and moves)
                // (a screen that failed is an ERROR above)
                let screen_ok =
                    screen
                        .filter(|o| name != "tenant_delete" && (o.ok() || o.denied()) && others > 0)
                        .map(|_| {
                            format!(
                            "{} {others} tenant{} not probed (screened by the {} policies' checks)",
                            if others == 1 { "the" } else { "any of the" },
                            if others == 1 { "" } else { "s" },
                            if name == "tenant_insert" { "INSERT" } else { "UPDATE" }
                        )
                        });
                // the UPDATEs of a role that may not UPDATE the tenant
                // column: each sets one other column
                let kept: Vec<String> = crate::candidates::dedup(
                    mine.iter()
                        .filter(|o| t.tenant_fixed && variant_of(o).is_some())
                        .map(|o| format!("`{}`", plain_statement_text(t, o))),
                );
                let mut detail = match (name, &screen_ok) {
                    ("tenant_delete", _) => format!(
                        "as tenant {a}, DELETE FROM {tbl} (no WHERE) deletes no row of another tenant"
                    ),
                    ("tenant_update", _) if t.tenant_fixed && kept.is_empty() => format!(
                        "as tenant {a}, its UPDATEs (no WHERE) of the columns it may update are \
                         refused, and no row moves: the role may not UPDATE {col}"
                    ),
                    ("tenant_update", _) if t.tenant_fixed => format!(
                        "as tenant {a}, {} (no WHERE) changes no row of another tenant, and no row \
                         moves: the role may not UPDATE {col}",
                        kept.join(" or ")
                    ),
                    ("tenant_update", _) => format!(
                        "as tenant {a}, UPDATE {tbl} SET {col} = {} (no WHERE) neither changes a row of \
                         another tenant nor moves one to another tenant{}",
                        values.join(" | "),
                        screen_ok.as_ref().map(|s| format!(", nor to {s}")).unwrap_or_default()
                    ),
                    _ if t.tenant_defaulted => format!(
                        "as tenant {a}, INSERT INTO {tbl} (...) puts no row of another tenant there: {}",
                        defaulted_insert(t, false)
                    ),
                    (_, Some(s)) if values.is_empty() => {
                        format!("as tenant {a}, no row can be inserted for {s}")
                    }
                    _ => format!(
                        "as tenant {a}, no row for tenant {} can be inserted{}",
                        values.join(" or "),
                        screen_ok.as_ref().map(|s| format!(", nor for {s}")).unwrap_or_default()
                    ),
                };
                if !refused.is_empty() {
                    detail.push_str(&format!(" (refused with {})", refused.join("; ")));
                }
                ("PASS", Some(0), detail)
            };
            out.push(check(name, Some(t), Some(a), status, rows_seen, detail));
        }
    }
    out
}

#[cfg(test)]
mod unit {
    use super::*;

    fn check_row(
        name: &'static str,
        table: &str,
        tenant: Option<&str>,
        status: &'static str,
    ) -> Check {
        Check {
            check_name: name,
            schema_name: Some("app".into()),
            table_name: Some(table.into()),
            tenant: tenant.map(Into::into),
            status,
            rows_seen: Some(0),
            detail: format!("{status} detail"),
        }
    }

    #[test]
    fn a_leak_one_set_role_away_is_the_roles_own() {
        let mut own = vec![
            check_row("rls_forced", "t", None, "PASS"),
            check_row("tenant_read", "t", Some("1"), "PASS"),
            check_row("tenant_read", "t", Some("2"), "FAIL"),
            check_row("tenant_delete", "t", Some("1"), "SKIP"),
            check_row("tenant_update", "t", Some("1"), "ERROR"),
            check_row("tenant_read", "u", Some("1"), "PASS"),
        ];
        let theirs = vec![
            // judged for the role itself: never folded
            check_row("rls_forced", "t", None, "FAIL"),
            check_row("tenant_read", "t", Some("1"), "FAIL"),
            check_row("tenant_read", "t", Some("2"), "FAIL"),
            check_row("tenant_delete", "t", Some("1"), "FAIL"),
            // an ERROR does not hide the role's own ERROR or SKIP
            check_row("tenant_update", "t", Some("1"), "PASS"),
            // a tenant only the other role was probed with
            check_row("tenant_read", "t", Some("5"), "FAIL"),
            check_row("tenant_read", "u", Some("1"), "ERROR"),
        ];
        through_set_role(&mut own, "App", "support", theirs);
        let got: Vec<(&str, &str, Option<&str>, &str)> = own
            .iter()
            .map(|c| {
                (
                    c.check_name,
                    c.table_name.as_deref().unwrap_or(""),
                    c.tenant.as_deref(),
                    c.status,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("rls_forced", "t", None, "PASS"),
                ("tenant_read", "t", Some("1"), "FAIL"),
                ("tenant_read", "t", Some("2"), "FAIL"),
                ("tenant_delete", "t", Some("1"), "FAIL"),
                ("tenant_update", "t", Some("1"), "ERROR"),
                ("tenant_read", "t", Some("5"), "FAIL"),
                ("tenant_read", "u", Some("1"), "ERROR"),
            ]
        );
        // the role's own FAIL keeps its own detail; a folded one says how
        assert_eq!(own[2].detail, "FAIL detail");
        assert!(own[1]
            .detail
            .starts_with("\"App\" may SET ROLE support, and then FAIL detail"));
        assert_eq!(own[4].detail, "ERROR detail");
    }

    fn target() -> Target {
        Target {
            oid: 16384,
            kind: RelKind::Table,
            view_writes: Default::default(),
            view_base: None,
            security_invoker: false,
            rules: Vec::new(),
            schema: "shop".into(),
            table: "orders".into(),
            owner: "postgres".into(),
            role_owns: false,
            role_may_become_owner: false,
            owner_uses_schema: true,
            role_may_truncate: false,
            role_may_trigger: false,
            replaceable: Vec::new(),
            lookups: Vec::new(),
            write_lookups: Vec::new(),
            definer_readers: Vec::new(),
            definer_writers: Vec::new(),
            truncate_via: None,
            tenant_hidden: false,
            tenant_fixed: false,
            tenant_defaulted: false,
            tenant_default: None,
            default_volatile: false,
            rls_enabled: true,
            rls_forced: true,
            col_type_q: "pg_catalog.int4".into(),
            col_eq: "OPERATOR(pg_catalog.=)".into(),
            col_order: None,
            col_base: 0,
            column: "tenant_id".into(),
        }
    }

    fn outcome(
        tenant: &str,
        check: &str,
        value: Option<&str>,
        rows: Option<i64>,
        state: &str,
    ) -> WriteOutcome {
        WriteOutcome {
            unset: Vec::new(),
            tenant: Some(tenant.into()),
            check: Some(check.into()),
            value: value.map(Into::into),
            rows,
            sqlstate: state.into(),
            message: (state != "00000").then(|| {
                if state == "42501" {
                    "new row violates row-level security policy for table \"orders\"".to_string()
                } else {
                    "boom".to_string()
                }
            }),
        }
    }

    fn copied(tenant: &str, n: i64) -> WriteOutcome {
        outcome(tenant, "copied", None, Some(n), "00000")
    }

    fn status<'a>(checks: &'a [Check], name: &str, tenant: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.check_name == name && c.tenant.as_deref() == Some(tenant))
            .expect("a check row")
    }

    /// A visibility probe that counted `n` rows.
    fn seen(n: i64) -> Outcome {
        Outcome {
            values: vec![Some(n.to_string())],
            sqlstate: "00000".into(),
            message: None,
        }
    }

    fn failed(code: &str, message: &str) -> Outcome {
        Outcome {
            values: vec![],
            sqlstate: code.into(),
            message: Some(message.into()),
        }
    }

    fn evidence(tables: Vec<TableEvidence>) -> Evidence {
        Evidence {
            role: "app_user".into(),
            login: "app_user".into(),
            superuser: false,
            bypassrls: false,
            bypass_via: vec![],
            setting: SettingFacts {
                setting: "app.tenant_id".into(),
                fresh: None,
                defined_here: false,
                elsewhere: false,
            },
            tables,
            set_role_targets: vec![],
        }
    }

    fn table(tenants: Tenants, reads: Vec<TenantRead>) -> TableEvidence {
        TableEvidence {
            target: target(),
            unset: seen(0),
            empty: seen(0),
            tenants,
            reads,
            writes: None,
            cascades: Vec::new(),
            replaced: Vec::new(),
            replaced_writes: Vec::new(),
            looked_up: Vec::new(),
            looked_up_writes: Vec::new(),
            definer_reads: Vec::new(),
            definer_writes: Vec::new(),
            view_reads: Vec::new(),
            view_shown: Vec::new(),
            reads_unset: Vec::new(),
            reads_claimed: Vec::new(),
        }
    }

    fn row<'a>(checks: &'a [Check], name: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.check_name == name)
            .expect("a check row")
    }

    /// A view (or materialized view) of tenants 1 and 2, the reads as
    /// each seeing `seen_1` and `seen_2` rows of the other.
    fn view_of(kind: RelKind, seen_1: i64, seen_2: i64) -> TableEvidence {
        let mut t = table(
            Tenants::Values(vec!["1".into(), "2".into()]),
            vec![
                ("1".into(), Some(seen(seen_1))),
                ("2".into(), Some(seen(seen_2))),
            ],
        );
        t.target.kind = kind;
        t.target.table = "orders_v".into();
        t
    }

    #[test]
    fn a_view_is_judged_by_what_the_role_reads_through_it() {
        let mut t = view_of(RelKind::View, 3, 0);
        t.target.view_writes.delete = true;
        t.unset = seen(5);
        t.writes = Some(Vec::new());
        let checks = verdicts(&evidence(vec![t]));
        // no flags of its own
        assert!(!checks.iter().any(|c| c.check_name.starts_with("rls_")));
        let unset = row(&checks, "fail_closed_unset");
        assert_eq!(unset.status, "FAIL");
        assert!(unset
            .detail
            .contains("reading through it does not fail closed"));
        assert!(
            unset.detail.contains("SET (security_invoker = true)"),
            "{}",
            unset.detail
        );
        let reads: Vec<(&str, Option<i64>)> = checks
            .iter()
            .filter(|c| c.check_name == "tenant_read")
            .map(|c| (c.status, c.rows_seen))
            .collect();
        assert_eq!(reads, [("FAIL", Some(3)), ("PASS", Some(0))]);
        // writes: the one it may run is not judged, the others cannot run
        let writes: Vec<(&str, &str)> = checks
            .iter()
            .filter(|c| c.check_name.starts_with("tenant_") && c.check_name != "tenant_read")
            .map(|c| (c.check_name, c.status))
            .collect();
        assert_eq!(
            writes,
            [
                ("tenant_insert", "PASS"),
                ("tenant_insert", "PASS"),
                ("tenant_update", "PASS"),
                ("tenant_update", "PASS"),
                ("tenant_delete", "SKIP"),
                ("tenant_delete", "SKIP")
            ]
        );
        assert!(row(&checks, "tenant_delete")
            .detail
            .contains("revoke DELETE on shop.orders_v from the role"));
    }

    #[test]
    fn a_write_through_a_view_whose_owner_skips_the_policies_reaches_what_it_shows() {
        let view = |why: Option<&str>, delete: Option<bool>| {
            let mut t = view_of(RelKind::View, 3, 0);
            t.target.view_writes.delete = true;
            t.target.view_base = Some(crate::model::ViewBase {
                oid: 1,
                schema: "shop".into(),
                table: "orders".into(),
                why: why.map(Into::into),
                delete,
                update: None,
            });
            t.writes = Some(Vec::new());
            let checks = verdicts(&evidence(vec![t]));
            checks
                .into_iter()
                .filter(|c| c.check_name == "tenant_delete")
                .map(|c| (c.status, c.rows_seen, c.detail))
                .collect::<Vec<_>>()
        };
        // the owner is a superuser: DELETE reaches the 3 rows the read saw
        let bypassed = view(Some("superuser"), Some(true));
        assert_eq!((bypassed[0].0, bypassed[0].1), ("FAIL", Some(3)));
        assert!(bypassed[0]
            .2
            .contains("`DELETE FROM shop.orders_v` reaches the 3 rows"));
        assert!(bypassed[0].2.contains("a superuser"));
        assert_eq!((bypassed[1].0, bypassed[1].1), ("PASS", Some(0)));
        // the owner may not delete the table: PostgreSQL refuses
        let refused = view(None, Some(false));
        assert!(refused
            .iter()
            .all(|c| c.0 == "PASS" && c.2.contains("may not DELETE shop.orders")));
        // the table's policies apply to the owner: not judged
        let under_policies = view(None, Some(true));
        assert!(under_policies.iter().all(|c| c.0 == "SKIP"));
    }

    #[test]
    fn a_view_the_role_may_not_read_is_judged_from_a_lent_read_and_moves_fail() {
        let view = |lent: Vec<TenantRead>, shown: Vec<TenantRead>, tweak: &dyn Fn(&mut Target)| {
            let mut t = view_of(RelKind::View, 0, 0);
            // the role's own read was refused
            t.reads = vec![
                (
                    "1".into(),
                    Some(failed("42501", "permission denied for view")),
                ),
                (
                    "2".into(),
                    Some(failed("42501", "permission denied for view")),
                ),
            ];
            t.target.view_writes.delete = true;
            t.target.view_writes.update = true;
            t.target.view_writes.tenant = true;
            t.target.view_base = Some(crate::model::ViewBase {
                oid: 1,
                schema: "shop".into(),
                table: "orders".into(),
                why: Some("owner".into()),
                delete: Some(true),
                update: Some(true),
            });
            tweak(&mut t.target);
            t.writes = Some(Vec::new());
            t.view_reads = lent;
            t.view_shown = shown;
            verdicts(&evidence(vec![t]))
                .into_iter()
                .filter(|c| c.check_name == "tenant_delete" || c.check_name == "tenant_update")
                .map(|c| (c.check_name, c.status, c.rows_seen, c.detail))
                .collect::<Vec<_>>()
        };
        // not lent (the caller could not): not judged
        let none = view(Vec::new(), Vec::new(), &|_| {});
        assert!(none.iter().all(|c| c.1 == "SKIP"), "{none:?}");
        // lent: tenant 1 reaches 2 rows of others, tenant 2 none; tenant 2's
        // view shows it 4 rows of its own, which an UPDATE moves
        let lent = vec![
            ("1".to_string(), Some(seen(2))),
            ("2".to_string(), Some(seen(0))),
        ];
        let shown = vec![
            ("1".to_string(), Some(seen(5))),
            ("2".to_string(), Some(seen(4))),
        ];
        let got = view(lent.clone(), shown.clone(), &|_| {});
        let brief: Vec<(&str, &str, Option<i64>)> = got.iter().map(|c| (c.0, c.1, c.2)).collect();
        assert_eq!(
            brief,
            [
                ("tenant_update", "FAIL", Some(2)),
                ("tenant_update", "FAIL", Some(4)),
                ("tenant_delete", "FAIL", Some(2)),
                ("tenant_delete", "PASS", Some(0)),
            ]
        );
        assert!(got[2]
            .3
            .contains("SELECT on it granted to the role for the probe"));
        assert!(
            got[1].3.contains("moves the 4 rows the view shows"),
            "{}",
            got[1].3
        );
        assert!(
            got[0].3.contains("; and as tenant 1, `UPDATE"),
            "{}",
            got[0].3
        );
        // a BEFORE UPDATE trigger of the table: the move is not judged
        let trig = view(lent, shown, &|t| t.view_writes.before_update = true);
        assert_eq!((trig[1].1, trig[1].2), ("SKIP", None));
        assert!(trig[1].3.contains("BEFORE UPDATE trigger of shop.orders"));
    }

    #[test]
    fn a_rule_on_the_statement_makes_the_shadow_answer_skip() {
        let mut t = target();
        t.rules = vec![("DELETE".into(), "keep it".into())];
        let fail = Check {
            check_name: "tenant_delete",
            schema_name: None,
            table_name: None,
            tenant: Some("1".into()),
            status: "FAIL",
            rows_seen: Some(3),
            detail: "a DELETE".into(),
        };
        let ruled = ruled_out(&t, fail.clone());
        assert_eq!((ruled.status, ruled.rows_seen), ("SKIP", None));
        assert!(
            ruled.detail.contains("rule \"keep it\" ON DELETE"),
            "{}",
            ruled.detail
        );
        assert!(ruled.detail.contains("the shadow alone: FAIL — a DELETE"));
        // another statement, or a TRUNCATE the role may run, stays as it was
        let update = Check {
            check_name: "tenant_update",
            ..fail.clone()
        };
        assert_eq!(ruled_out(&t, update).status, "FAIL");
        t.role_may_truncate = true;
        assert_eq!(ruled_out(&t, fail).status, "FAIL");
    }

    #[test]
    fn a_materialized_view_says_it_has_no_row_security() {
        let t = view_of(RelKind::Matview, 1, 1);
        let checks = verdicts(&evidence(vec![t]));
        let read = row(&checks, "tenant_read");
        assert_eq!(read.status, "FAIL");
        assert!(read
            .detail
            .contains("a materialized view has no row-level security"));
        // write probes off: SKIP, as for a table
        assert_eq!(row(&checks, "tenant_delete").status, "SKIP");
    }

    #[test]
    fn a_closed_table_passes_every_read_check_in_spec_order() {
        let t = table(
            Tenants::Values(vec!["1".into(), "2".into()]),
            vec![("1".into(), Some(seen(0))), ("2".into(), Some(seen(0)))],
        );
        let checks = verdicts(&evidence(vec![t]));
        let names: Vec<(&str, Option<&str>, &str)> = checks
            .iter()
            .map(|c| (c.check_name, c.tenant.as_deref(), c.status))
            .collect();
        assert_eq!(
            names,
            [
                ("role_not_superuser", None, "PASS"),
                ("role_no_bypassrls", None, "PASS"),
                ("rls_enabled", None, "PASS"),
                ("rls_forced", None, "PASS"),
                ("fail_closed_unset", None, "PASS"),
                ("fail_closed_empty", None, "PASS"),
                ("tenant_read", Some("1"), "PASS"),
                ("tenant_read", Some("2"), "PASS"),
                ("tenant_insert", None, "SKIP"),
                ("tenant_update", None, "SKIP"),
                ("tenant_delete", None, "SKIP"),
            ]
        );
        assert_eq!(
            row(&checks, "tenant_insert").detail,
            "write probes disabled (write_probes => false)"
        );
    }

    #[test]
    fn leaks_fail_and_errors_are_closed_or_error() {
        let mut t = table(
            Tenants::Values(vec!["1".into(), "2".into(), "3".into()]),
            vec![
                ("1".into(), Some(seen(4))),
                (
                    "2".into(),
                    Some(failed("42501", "permission denied for table orders")),
                ),
                (
                    "3".into(),
                    Some(failed("22P02", "invalid input syntax for type integer")),
                ),
            ],
        );
        t.unset = seen(PROBE_LIMIT);
        t.empty = failed("22P02", "invalid input syntax for type integer: \"\"");
        let checks = verdicts(&evidence(vec![t]));
        let unset = row(&checks, "fail_closed_unset");
        assert_eq!((unset.status, unset.rows_seen), ("FAIL", Some(PROBE_LIMIT)));
        assert!(
            unset.detail.contains("(counting stopped there)"),
            "{}",
            unset.detail
        );
        let empty = row(&checks, "fail_closed_empty");
        assert_eq!(
            empty.status, "PASS",
            "an error is closed: the application gets no rows"
        );
        assert!(empty
            .detail
            .starts_with("closed: the query errors with app.tenant_id = ''"));
        // a lock not granted, a serialization failure or PostgreSQL failing
        // is not the policy closing
        for state in ["55P03", "40001", "XX000", "53200"] {
            let mut t = table(Tenants::Values(vec![]), vec![]);
            t.unset = failed(state, "could not obtain lock on relation \"orders\"");
            let checks = verdicts(&evidence(vec![t]));
            let unset = row(&checks, "fail_closed_unset");
            assert_eq!((unset.status, unset.rows_seen), ("ERROR", None), "{state}");
            assert!(unset.detail.contains(state), "{}", unset.detail);
        }
        let reads: Vec<(&str, Option<i64>)> = checks
            .iter()
            .filter(|c| c.check_name == "tenant_read")
            .map(|c| (c.status, c.rows_seen))
            .collect();
        assert_eq!(
            reads,
            [("FAIL", Some(4)), ("PASS", Some(0)), ("ERROR", None)]
        );
    }

    #[test]
    fn role_and_flags_fail_with_their_fix() {
        let mut t = table(Tenants::Values(vec![]), vec![]);
        t.target.rls_enabled = false;
        t.target.rls_forced = false;
        t.target.role_owns = true;
        let mut e = evidence(vec![t]);
        e.superuser = true;
        e.bypassrls = true;
        let checks = verdicts(&e);
        assert_eq!(row(&checks, "role_not_superuser").status, "FAIL");
        assert!(row(&checks, "role_no_bypassrls")
            .detail
            .contains("ALTER ROLE app_user NOBYPASSRLS"));
        assert!(row(&checks, "rls_enabled")
            .detail
            .contains("ALTER TABLE shop.orders ENABLE ROW LEVEL SECURITY"));
        assert!(row(&checks, "rls_forced")
            .detail
            .contains("FORCE ROW LEVEL SECURITY"));
        // no tenants at all: every tenant check is SKIP, and says why
        let skips: Vec<&Check> = checks
            .iter()
            .filter(|c| c.check_name.starts_with("tenant_"))
            .collect();
        assert_eq!(skips.len(), 4);
        assert!(skips
            .iter()
            .all(|c| c.status == "SKIP" && c.detail.contains("the table is empty")));
    }

    #[test]
    fn a_role_that_may_become_the_owner_of_an_unforced_table_fails_rls_forced() {
        let mut t = table(Tenants::Values(vec![]), vec![]);
        t.target.rls_forced = false;
        t.target.role_may_become_owner = true;
        let checks = verdicts(&evidence(vec![t.clone()]));
        let forced = row(&checks, "rls_forced");
        assert_eq!(forced.status, "FAIL");
        assert!(
            forced
                .detail
                .contains("may SET ROLE to the table's owner postgres")
                && forced.detail.contains("REVOKE postgres FROM app_user"),
            "{}",
            forced.detail
        );
        // forced, the owner may still run NO FORCE
        t.target.rls_forced = true;
        let checks = verdicts(&evidence(vec![t.clone()]));
        let forced = row(&checks, "rls_forced");
        assert_eq!(forced.status, "FAIL");
        assert!(
            forced.detail.contains("NO FORCE ROW LEVEL SECURITY"),
            "{}",
            forced.detail
        );
        // and a role that neither owns nor may become the owner passes
        t.target.role_may_become_owner = false;
        assert_eq!(
            row(&verdicts(&evidence(vec![t])), "rls_forced").status,
            "PASS"
        );
    }

    #[test]
    fn a_failed_sample_and_a_lone_tenant_skip_with_the_reason() {
        let sample = table(
            Tenants::SampleFailed(failed("42501", "permission denied for table orders")),
            vec![],
        );
        let lone = table(Tenants::Values(vec!["7".into()]), vec![("7".into(), None)]);
        let checks = verdicts(&evidence(vec![sample, lone]));
        let skipped: Vec<&str> = checks
            .iter()
            .filter(|c| c.status == "SKIP")
            .map(|c| c.detail.as_str())
            .collect();
        assert!(skipped[..4]
            .iter()
            .all(|d| d.starts_with("could not sample tenant values as the caller (42501")));
        assert!(
            skipped[4].starts_with("only tenant 7 has rows"),
            "{skipped:?}"
        );
        // a sample stopped by a lock is no reason to skip: run again
        let locked = table(
            Tenants::SampleFailed(failed(
                "55P03",
                "could not obtain lock on relation \"orders\"",
            )),
            vec![],
        );
        let checks = verdicts(&evidence(vec![locked]));
        let tenant_checks: Vec<&str> = checks
            .iter()
            .filter(|c| c.tenant.is_none() && c.detail.starts_with("could not sample"))
            .map(|c| c.status)
            .collect();
        assert_eq!(tenant_checks, ["ERROR"; 4]);
    }

    #[test]
    fn unset_means_what_a_fresh_login_gets() {
        let mut facts = SettingFacts {
            setting: "app.tenant_id".into(),
            fresh: Some(("1".into(), "ALTER ROLE ... SET".into())),
            defined_here: true,
            elsewhere: false,
        };
        let (value, how) = facts.unset("app_user");
        assert_eq!(value, Some("1"));
        assert!(
            how.contains("a fresh login of app_user gets '1' from ALTER ROLE ... SET"),
            "{how}"
        );
        facts.fresh = None;
        let (value, how) = facts.unset("app_user");
        assert_eq!(value, None);
        assert!(how.contains("unset reads as ''"), "{how}");
    }

    #[test]
    fn a_touched_row_of_another_tenant_fails_with_the_statement() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        let outcomes = vec![
            copied("1", 3),
            copied("2", 3),
            outcome("1", "tenant_delete", None, Some(3), "00000"),
            outcome("1", "tenant_update", Some("1"), Some(0), "42501"),
            outcome("1", "tenant_update", Some("2"), Some(2), "00000"),
            outcome("1", "tenant_insert", Some("2"), Some(0), "42501"),
            outcome("2", "tenant_delete", None, Some(0), "00000"),
            outcome("2", "tenant_update", Some("2"), Some(0), "00000"),
            outcome("2", "tenant_update", Some("1"), None, "23502"),
            outcome("2", "tenant_insert", Some("1"), Some(1), "00000"),
        ];
        let checks = write_checks(&target(), &tenants, &outcomes);
        let d = status(&checks, "tenant_delete", "1");
        assert_eq!((d.status, d.rows_seen), ("FAIL", Some(3)));
        assert!(d.detail.contains("DELETE FROM shop.orders"), "{}", d.detail);
        let u = status(&checks, "tenant_update", "1");
        assert_eq!((u.status, u.rows_seen), ("FAIL", Some(2)));
        assert!(u.detail.contains("SET tenant_id = 2"), "{}", u.detail);
        assert_eq!(status(&checks, "tenant_insert", "1").status, "PASS");
        assert_eq!(status(&checks, "tenant_delete", "2").status, "PASS");
        // a statement that fails touched nothing: closed, and the detail says why
        let u2 = status(&checks, "tenant_update", "2");
        assert_eq!(u2.status, "PASS");
        assert!(u2.detail.contains("23502"), "{}", u2.detail);
        assert_eq!(status(&checks, "tenant_insert", "2").status, "FAIL");
    }

    #[test]
    fn a_variant_that_passes_a_check_fails_with_the_column_it_set() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        let variant = |o: WriteOutcome, note: &str| WriteOutcome {
            message: Some(format!("{}{note}", crate::shadow::VARIANT)),
            ..o
        };
        let outcomes = vec![
            copied("1", 3),
            copied("2", 3),
            // the plain statements are refused by the checks
            outcome("1", "tenant_update", Some("2"), None, "42501"),
            outcome("1", "tenant_insert", Some("2"), None, "42501"),
            // the statements that also set "Is Public" or kind go through
            variant(
                outcome("1", "tenant_insert", Some("2"), Some(1), "00000"),
                r#"["Is Public","true"]"#,
            ),
            variant(
                outcome("1", "tenant_update", Some("2"), Some(3), "00000"),
                r#"["kind","it's shared"]"#,
            ),
            variant(
                outcome("1", "tenant_update", Some("1"), Some(0), "00000"),
                r#"["note",null]"#,
            ),
            outcome("2", "tenant_update", Some("1"), None, "42501"),
            outcome("2", "tenant_insert", Some("1"), None, "42501"),
        ];
        let checks = write_checks(&target(), &tenants, &outcomes);
        let i = status(&checks, "tenant_insert", "1");
        assert_eq!((i.status, i.rows_seen), ("FAIL", Some(1)), "{}", i.detail);
        assert!(
            i.detail.contains(
                r#"`INSERT INTO shop.orders (..., tenant_id, "Is Public") VALUES (..., 2, 'true')` inserts 1 row"#
            ),
            "{}",
            i.detail
        );
        let u = status(&checks, "tenant_update", "1");
        assert_eq!((u.status, u.rows_seen), ("FAIL", Some(3)), "{}", u.detail);
        assert!(
            u.detail
                .contains("`UPDATE shop.orders SET tenant_id = 2, kind = 'it''s shared'` changes"),
            "{}",
            u.detail
        );
        // a take-over with a NULL that touched nothing is not in the detail
        assert!(!u.detail.contains("note = NULL"), "{}", u.detail);
        assert_eq!(status(&checks, "tenant_insert", "2").status, "PASS");
        assert_eq!(status(&checks, "tenant_update", "2").status, "PASS");
        // a failed statement's message is its error, not a note
        let failed = outcome("1", "tenant_update", Some("2"), None, "42501");
        assert_eq!(variant_of(&failed), None);
        assert_eq!(
            plain_statement_text(
                &target(),
                &variant(
                    outcome("1", "tenant_update", Some("2"), Some(3), "00000"),
                    r#"["note",null]"#
                )
            ),
            "UPDATE shop.orders SET tenant_id = 2, note = NULL"
        );
        // the terms of a conjunction, set together
        let both = r#"["partner","1","note",null,"Is Public","true"]"#;
        assert_eq!(
            plain_statement_text(
                &target(),
                &variant(
                    outcome("1", "tenant_update", Some("2"), Some(3), "00000"),
                    both
                )
            ),
            r#"UPDATE shop.orders SET tenant_id = 2, partner = '1', note = NULL, "Is Public" = 'true'"#
        );
        assert_eq!(
            plain_statement_text(
                &target(),
                &variant(
                    outcome("1", "tenant_insert", Some("2"), Some(1), "00000"),
                    both
                )
            ),
            r#"INSERT INTO shop.orders (..., tenant_id, partner, note, "Is Public") VALUES (..., 2, '1', NULL, 'true')"#
        );
    }

    #[test]
    fn a_variant_run_with_another_setting_names_the_set() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        let claimed = WriteOutcome {
            message: Some(format!(
                "{}{}",
                crate::shadow::VARIANT,
                r#"["owner","1",{"setting":"app.user_id","value":"1"}]"#
            )),
            ..outcome("1", "tenant_insert", Some("2"), Some(2), "00000")
        };
        let outcomes = vec![
            copied("1", 3),
            copied("2", 3),
            outcome("1", "tenant_insert", Some("2"), None, "42501"),
            claimed,
        ];
        let checks = write_checks(&target(), &tenants, &outcomes);
        let i = status(&checks, "tenant_insert", "1");
        assert_eq!((i.status, i.rows_seen), ("FAIL", Some(2)), "{}", i.detail);
        assert!(
            i.detail.contains(
                "`SET app.user_id = '1'` then `INSERT INTO shop.orders (..., tenant_id, owner) VALUES (..., 2, '1')` inserts 2 rows"
            ),
            "{}",
            i.detail
        );
    }

    #[test]
    fn a_claimed_delete_names_the_set_and_whether_it_went_through_only_without_its_own_rows() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        let claimed = |alone: bool, n: i64| {
            let mut claim = serde_json::json!({"setting": "app.user_id", "value": "105"});
            if alone {
                claim[crate::shadow::WITHOUT_OWN_ROWS] = serde_json::json!(true);
            }
            WriteOutcome {
                message: Some(format!(
                    "{}{}",
                    crate::shadow::VARIANT,
                    serde_json::json!([claim])
                )),
                ..outcome("1", "tenant_delete", None, Some(n), "00000")
            }
        };
        for alone in [false, true] {
            let outcomes = vec![
                copied("1", 3),
                copied("2", 3),
                outcome("1", "tenant_delete", None, Some(0), "00000"),
                claimed(alone, 1),
            ];
            let checks = write_checks(&target(), &tenants, &outcomes);
            let d = status(&checks, "tenant_delete", "1");
            assert_eq!((d.status, d.rows_seen), ("FAIL", Some(1)), "{}", d.detail);
            assert!(
                d.detail.contains(
                    "`SET app.user_id = '105'` then `DELETE FROM shop.orders` deletes 1 row of another tenant"
                ) || (alone && d.detail.contains("`SET app.user_id = '105'` then `DELETE FROM shop.orders` (refused for the tenant's own rows")),
                "{}",
                d.detail
            );
            assert_eq!(
                d.detail.contains("refused for the tenant's own rows"),
                alone,
                "{}",
                d.detail
            );
        }
        // (a read shows other tenants' rows only with the setting given a
        // value: the check says which)
        let pass = check(
            "tenant_read",
            None,
            Some("1"),
            "FAIL",
            Some(1),
            "as tenant 1, 1 rows".into(),
        );
        let claimed = [(
            "1".to_string(),
            "app.user_id".to_string(),
            "it's".to_string(),
        )];
        assert_eq!(
            claimed_read(&claimed, "1", pass.clone()).detail,
            "as tenant 1, 1 rows after `SET app.user_id = 'it''s'`"
        );
        assert_eq!(
            claimed_read(&claimed, "2", pass).detail,
            "as tenant 1, 1 rows"
        );
        // (through a view: right after what was visible, before what the
        // view adds)
        let view = check(
            "tenant_read",
            None,
            Some("1"),
            "FAIL",
            Some(2),
            "as tenant 1, 2 rows of other tenants are visible; the view reads its tables as …"
                .into(),
        );
        assert_eq!(
            claimed_read(&claimed, "1", view).detail,
            "as tenant 1, 2 rows of other tenants are visible after `SET app.user_id = 'it''s'`; \
             the view reads its tables as …"
        );
    }

    #[test]
    fn a_role_that_may_not_update_the_tenant_column_is_judged_by_its_other_updates() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        let t = Target {
            tenant_fixed: true,
            ..target()
        };
        let denied = |a: &str, x: &str| WriteOutcome {
            message: Some("permission denied for table orders".into()),
            ..outcome(a, "tenant_update", Some(x), None, "42501")
        };
        let kept = |a: &str, x: &str, n: i64| WriteOutcome {
            message: Some(format!("{}[\"body\",\"x\"]", crate::shadow::VARIANT)),
            ..outcome(a, "tenant_update", Some(x), Some(n), "00000")
        };
        let outcomes = vec![
            copied("1", 3),
            copied("2", 3),
            denied("1", "1"),
            denied("1", "2"),
            kept("1", "1", 3),
            kept("1", "2", 3),
            denied("2", "2"),
            denied("2", "1"),
            kept("2", "2", 0),
            kept("2", "1", 0),
        ];
        let checks = write_checks(&t, &tenants, &outcomes);
        let u = status(&checks, "tenant_update", "1");
        assert_eq!((u.status, u.rows_seen), ("FAIL", Some(6)), "{}", u.detail);
        assert!(
            u.detail
                .contains("`UPDATE shop.orders SET body = 'x'` changes or moves 6 rows"),
            "{}",
            u.detail
        );
        let u = status(&checks, "tenant_update", "2");
        assert_eq!(u.status, "PASS", "{}", u.detail);
        assert!(
            u.detail
                .contains("`UPDATE shop.orders SET body = 'x'` (no WHERE) changes no row")
                && u.detail.contains("may not UPDATE tenant_id"),
            "{}",
            u.detail
        );
        // no UPDATE of another column ran: nothing is known
        let checks = write_checks(
            &t,
            &tenants,
            &[
                copied("1", 3),
                copied("2", 3),
                denied("1", "2"),
                denied("2", "1"),
            ],
        );
        assert_eq!(status(&checks, "tenant_update", "1").status, "ERROR");
    }

    #[test]
    fn inserts_that_leave_the_tenant_column_to_its_default() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        let outcomes = vec![
            copied("1", 3),
            copied("2", 3),
            outcome("1", "tenant_insert", Some("2"), Some(1), "00000"),
            outcome("2", "tenant_insert", Some("1"), Some(0), "00000"),
        ];
        let t = Target {
            tenant_defaulted: true,
            tenant_default: Some("2".into()),
            ..target()
        };
        let checks = write_checks(&t, &tenants, &outcomes);
        let d = status(&checks, "tenant_insert", "1");
        assert_eq!((d.status, d.rows_seen), ("FAIL", Some(1)), "{}", d.detail);
        assert!(
            d.detail
                .contains("`INSERT INTO shop.orders (...) VALUES (...)` inserts 1 row")
                && d.detail.contains("which takes its default, 2"),
            "{}",
            d.detail
        );
        let d = status(&checks, "tenant_insert", "2");
        assert_eq!(d.status, "PASS", "{}", d.detail);
        // a volatile default is never run: nothing is proven
        let t = Target {
            default_volatile: true,
            ..t
        };
        let checks = write_checks(&t, &tenants, &outcomes);
        for a in ["1", "2"] {
            let d = status(&checks, "tenant_insert", a);
            assert_eq!(d.status, "ERROR", "{}", d.detail);
            assert!(d.detail.contains("volatile"), "{}", d.detail);
        }
    }

    #[test]
    fn a_role_that_may_truncate_deletes_every_tenants_rows() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        let outcomes = vec![
            copied("1", 3),
            copied("2", 4),
            outcome("1", "tenant_delete", None, Some(0), "00000"),
            outcome("2", "tenant_delete", None, Some(1), "00000"),
        ];
        let t = Target {
            role_may_truncate: true,
            role_may_trigger: false,
            replaceable: Vec::new(),
            lookups: Vec::new(),
            write_lookups: Vec::new(),
            definer_readers: Vec::new(),
            definer_writers: Vec::new(),
            ..target()
        };
        let checks = write_checks(&t, &tenants, &outcomes);
        // the DELETE is filtered, TRUNCATE is not
        let d = status(&checks, "tenant_delete", "1");
        assert_eq!((d.status, d.rows_seen), ("FAIL", Some(4)), "{}", d.detail);
        assert!(
            d.detail
                .contains("`TRUNCATE shop.orders` removes every row"),
            "{}",
            d.detail
        );
        // both statements named when both leak
        let d = status(&checks, "tenant_delete", "2");
        assert_eq!((d.status, d.rows_seen), ("FAIL", Some(3)), "{}", d.detail);
        assert!(
            d.detail.contains("TRUNCATE")
                && d.detail.contains("`DELETE FROM shop.orders` deletes 1 row"),
            "{}",
            d.detail
        );
        // without the privilege the DELETE alone decides
        let checks = write_checks(&target(), &tenants, &outcomes);
        assert_eq!(status(&checks, "tenant_delete", "1").status, "PASS");
        // one SET ROLE away from it is as near
        let t = Target {
            truncate_via: Some("Keeper".into()),
            ..target()
        };
        let checks = write_checks(&t, &tenants, &outcomes);
        let d = status(&checks, "tenant_delete", "1");
        assert_eq!((d.status, d.rows_seen), ("FAIL", Some(4)), "{}", d.detail);
        assert!(
            d.detail.contains("may SET ROLE \"Keeper\"")
                && d.detail
                    .contains("REVOKE TRUNCATE ON shop.orders FROM \"Keeper\""),
            "{}",
            d.detail
        );
    }

    #[test]
    fn the_screen_of_the_tenants_not_probed_decides_with_the_real_statements() {
        // tenant 7 alone, two tenants not probed (their first rows copied)
        let alone = vec!["7".to_string()];
        let none = |c: &str, n| outcome("7", "screened", Some(c), Some(n), "00000");
        let outcomes = vec![
            copied("7", 3),
            outcome("", "copied", None, Some(2), "00000"),
            none("tenant_insert", 0),
            none("tenant_update", 0),
            outcome("7", "tenant_delete", None, Some(0), "00000"),
            outcome("7", "tenant_update", Some("7"), Some(0), "00000"),
        ];
        // the tenants not probed have no tenant
        let outcomes: Vec<WriteOutcome> = outcomes
            .into_iter()
            .map(|o| WriteOutcome {
                tenant: o.tenant.filter(|t| !t.is_empty()),
                ..o
            })
            .collect();
        let checks = write_checks(&target(), &alone, &outcomes);
        // nothing got through the screen: PASS, and the detail says for whom
        let i = status(&checks, "tenant_insert", "7");
        assert_eq!(i.status, "PASS", "{}", i.detail);
        assert!(
            i.detail.contains("any of the 2 tenants not probed"),
            "{}",
            i.detail
        );
        let u = status(&checks, "tenant_update", "7");
        assert_eq!(u.status, "PASS");
        assert!(
            u.detail.contains("nor to any of the 2 tenants not probed"),
            "{}",
            u.detail
        );
        // a tenant the screen let through, tried with the real statement
        let mut leaked = outcomes.clone();
        leaked[2] = none("tenant_insert", 1);
        leaked.push(outcome("7", "tenant_insert", Some("9"), Some(1), "00000"));
        let checks = write_checks(&target(), &alone, &leaked);
        let i = status(&checks, "tenant_insert", "7");
        assert_eq!((i.status, i.rows_seen), ("FAIL", Some(1)), "{}", i.detail);
        assert!(i.detail.contains("VALUES (..., 9)"), "{}", i.detail);
        // a screen that failed proves nothing for them: ERROR, not PASS
        let mut broken = outcomes.clone();
        broken[2] = outcome("7", "screened", Some("tenant_insert"), None, "XX000");
        broken[3] = outcome("7", "screened", Some("tenant_update"), None, "XX000");
        let checks = write_checks(&target(), &alone, &broken);
        assert_eq!(status(&checks, "tenant_insert", "7").status, "ERROR");
        let u = status(&checks, "tenant_update", "7");
        assert_eq!(u.status, "ERROR");
        assert!(u.detail.contains("could not be screened"), "{}", u.detail);
        // one refused for want of a privilege lets nothing through, as the
        // real statement would be refused
        broken[2] = WriteOutcome {
            message: Some("permission denied for function tenant_of".into()),
            ..outcome("7", "screened", Some("tenant_insert"), None, "42501")
        };
        let checks = write_checks(&target(), &alone, &broken);
        assert_eq!(status(&checks, "tenant_insert", "7").status, "PASS");
    }

    #[test]
    fn a_statement_that_failed_for_its_moment_is_error_not_pass() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        for (state, refused) in [
            ("XX000", false),
            ("40001", false),
            ("55P03", false),
            ("53200", false),
            ("42501", true),
            ("23502", true),
            ("P0001", true),
        ] {
            let outcomes = vec![
                copied("1", 1),
                copied("2", 1),
                outcome("1", "tenant_insert", Some("2"), None, state),
                outcome("1", "tenant_insert", Some("2"), Some(0), "00000"),
            ];
            let checks = write_checks(&target(), &tenants, &outcomes);
            let c = status(&checks, "tenant_insert", "1");
            if refused {
                assert_eq!(c.status, "PASS", "{state}: {}", c.detail);
            } else {
                assert_eq!(c.status, "ERROR", "{state}: {}", c.detail);
                assert!(c.detail.contains(state), "{}", c.detail);
                assert!(c.detail.contains("INSERT INTO shop.orders"), "{}", c.detail);
            }
        }
        // a leak found by another statement is still a FAIL
        let outcomes = vec![
            copied("1", 1),
            copied("2", 1),
            outcome("1", "tenant_insert", Some("2"), None, "XX000"),
            outcome("1", "tenant_insert", Some("2"), Some(1), "00000"),
        ];
        let checks = write_checks(&target(), &tenants, &outcomes);
        assert_eq!(status(&checks, "tenant_insert", "1").status, "FAIL");
    }

    #[test]
    fn no_privilege_passes_and_says_so() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        let mut denied = outcome("1", "tenant_delete", None, None, "42501");
        denied.message = Some("permission denied for table rls_audit_shadow".into());
        let outcomes = vec![copied("1", 1), copied("2", 1), denied];
        let checks = write_checks(&target(), &tenants, &outcomes);
        let d = status(&checks, "tenant_delete", "1");
        assert_eq!(d.status, "PASS");
        assert!(d.detail.contains("no privilege"), "{}", d.detail);
    }

    #[test]
    fn nothing_to_reach_is_skip_and_a_broken_probe_is_error() {
        let one = vec!["7".to_string()];
        let checks = write_checks(&target(), &one, &[copied("7", 2)]);
        assert!(checks.iter().all(|c| c.status == "SKIP"));
        // given tenants without rows: nothing of another tenant to reach
        let two = vec!["1".to_string(), "2".to_string()];
        let checks = write_checks(&target(), &two, &[copied("1", 2), copied("2", 0)]);
        assert_eq!(status(&checks, "tenant_delete", "1").status, "SKIP");
        let broken = WriteOutcome {
            unset: Vec::new(),
            tenant: None,
            check: None,
            value: None,
            rows: None,
            sqlstate: "42P01".into(),
            message: Some("relation does not exist".into()),
        };
        let checks = write_checks(&target(), &two, &[broken]);
        assert_eq!(checks.len(), 6);
        assert!(checks.iter().all(|c| c.status == "ERROR"));
    }

    #[test]
    fn a_role_that_may_become_a_bypassing_role_fails_role_no_bypassrls() {
        let mut e = evidence(vec![]);
        e.bypass_via = vec![("admin".into(), "BYPASSRLS")];
        let checks = verdicts(&e);
        let c = row(&checks, "role_no_bypassrls");
        assert_eq!(c.status, "FAIL");
        assert!(
            c.detail.contains("REVOKE admin FROM app_user;"),
            "{}",
            c.detail
        );
    }

    /// A check the table's own probes passed.
    fn own_pass(t: &Target, name: &'static str, a: &str) -> Check {
        check(name, Some(t), Some(a), "PASS", Some(0), "own probes".into())
    }

    #[test]
    fn a_foreign_keys_action_fails_the_check_of_what_it_writes() {
        let t = target();
        let pass = |name: &'static str, a: &str| own_pass(&t, name, a);
        let mut checks = vec![
            pass("tenant_delete", "1"),
            pass("tenant_delete", "2"),
            pass("tenant_update", "1"),
            pass("tenant_update", "2"),
        ];
        let cascade = |action: char, outcomes: Vec<WriteOutcome>| Cascade {
            constraint: "fk".into(),
            parent: "s.parent".into(),
            on_delete: action,
            on_update: 'a',
            outcomes,
        };
        cascade_checks(
            &t,
            &[
                // CASCADE: tenant 1's DELETE there reaches 2 rows of others
                cascade(
                    'c',
                    vec![
                        outcome("1", "tenant_delete", None, Some(2), "00000"),
                        outcome("2", "tenant_delete", None, Some(0), "00000"),
                    ],
                ),
                // SET NULL: refused for want of a privilege (nothing), and
                // a probe that could not run (not judged)
                cascade(
                    'n',
                    vec![
                        outcome("1", "tenant_delete", None, None, "42501"),
                        outcome("2", "tenant_delete", None, None, "25006"),
                    ],
                ),
            ],
            &mut checks,
        );
        let got: Vec<(&str, &str, &str, Option<i64>)> = checks
            .iter()
            .map(|c| {
                (
                    c.check_name,
                    c.tenant.as_deref().unwrap_or(""),
                    c.status,
                    c.rows_seen,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("tenant_delete", "1", "FAIL", Some(2)),
                ("tenant_delete", "2", "PASS", Some(0)),
                ("tenant_update", "1", "PASS", Some(0)),
                ("tenant_update", "2", "ERROR", None),
            ]
        );
        assert!(checks[0]
            .detail
            .contains("foreign key fk (ON DELETE CASCADE) then deletes them"));
        assert!(checks[3].detail.contains("could not run"));
        // a FAIL of the table's own probes keeps its detail and adds this one
        let mut own_fail = vec![check(
            "tenant_delete",
            Some(&t),
            Some("1"),
            "FAIL",
            Some(3),
            "own".into(),
        )];
        cascade_checks(
            &t,
            &[cascade(
                'c',
                vec![outcome("1", "tenant_delete", None, Some(2), "00000")],
            )],
            &mut own_fail,
        );
        assert_eq!(
            (own_fail[0].status, own_fail[0].rows_seen),
            ("FAIL", Some(5))
        );
        assert!(own_fail[0].detail.starts_with("own; and as tenant 1"));
        // a probe that could not be set up at all: every PASS is an ERROR
        let mut broken = vec![pass("tenant_delete", "1")];
        let setup = WriteOutcome {
            unset: Vec::new(),
            tenant: None,
            check: None,
            value: None,
            rows: None,
            sqlstate: "42883".into(),
            message: Some("no such operator".into()),
        };
        cascade_checks(&t, &[cascade('c', vec![setup])], &mut broken);
        assert_eq!(broken[0].status, "ERROR");
    }

    #[test]
    fn a_foreign_keys_on_update_action_fails_tenant_update_for_a_key_change() {
        let t = target();
        let mut checks = vec![
            own_pass(&t, "tenant_delete", "1"),
            own_pass(&t, "tenant_update", "1"),
            own_pass(&t, "tenant_update", "2"),
        ];
        let key = WriteOutcome {
            unset: Vec::new(),
            tenant: None,
            check: Some("key".into()),
            value: Some("id = '5'".into()),
            rows: None,
            sqlstate: "00000".into(),
            message: None,
        };
        cascade_checks(
            &t,
            &[Cascade {
                constraint: "fk".into(),
                parent: "s.parent".into(),
                on_delete: 'a',
                on_update: 'c',
                outcomes: vec![
                    key,
                    // tenant 1's DELETE there would reach rows, but the
                    // key has no ON DELETE action: nothing
                    outcome("1", "tenant_delete", None, Some(4), "00000"),
                    outcome("1", "key_update", None, Some(3), "00000"),
                    outcome("2", "key_update", None, None, "P0001"),
                ],
            }],
            &mut checks,
        );
        let got: Vec<(&str, &str)> = checks.iter().map(|c| (c.check_name, c.status)).collect();
        assert_eq!(
            got,
            [
                ("tenant_delete", "PASS"),
                ("tenant_update", "FAIL"),
                ("tenant_update", "PASS"),
            ]
        );
        assert_eq!(checks[1].rows_seen, Some(3));
        assert!(
            checks[1].detail.contains("UPDATE s.parent SET id = '5'")
                && checks[1].detail.contains("(ON UPDATE CASCADE)"),
            "{}",
            checks[1].detail
        );
    }

    #[test]
    fn a_role_that_may_create_a_trigger_reads_every_tenant() {
        let mut t = target();
        let pass = check(
            "tenant_read",
            Some(&t),
            Some("1"),
            "PASS",
            Some(0),
            "none".into(),
        );
        assert_eq!(trigger_read(&t, "app", pass.clone()).status, "PASS");
        t.role_may_trigger = true;
        let c = trigger_read(&t, "app", pass);
        assert_eq!((c.status, c.rows_seen), ("FAIL", None));
        assert!(
            c.detail.contains("REVOKE TRIGGER ON shop.orders FROM app"),
            "{}",
            c.detail
        );
        // a FAIL keeps its count and adds the reason
        let fail = check(
            "tenant_read",
            Some(&t),
            Some("1"),
            "FAIL",
            Some(4),
            "seen".into(),
        );
        let c = trigger_read(&t, "app", fail);
        assert_eq!((c.status, c.rows_seen), ("FAIL", Some(4)));
        assert!(c.detail.starts_with("seen; and app may create a trigger"));
        // a view has no trigger of this kind to fear here
        t.kind = RelKind::View;
        let pass = check(
            "tenant_read",
            Some(&t),
            Some("1"),
            "PASS",
            Some(0),
            "none".into(),
        );
        assert_eq!(trigger_read(&t, "app", pass).status, "PASS");
    }

    #[test]
    fn a_read_a_replaced_function_opened_fails() {
        let t = target();
        let leak = |tenant: &str, replacer: &str| ReplaceLeak {
            tenant: tenant.into(),
            replaceable: crate::model::Replaceable {
                policy: "tenant".into(),
                function: "s.my_tenant()".into(),
                owner: "owners".into(),
                replacer: replacer.into(),
                signature: "s.my_tenant()".into(),
                result: "integer".into(),
                returns_bool: false,
                reads: true,
                writes: false,
                write_policies: Vec::new(),
            },
            body: "'2'".into(),
            rows: 3,
        };
        let pass = |a: &str| {
            check(
                "tenant_read",
                Some(&t),
                Some(a),
                "PASS",
                Some(0),
                "none".into(),
            )
        };
        let leaks = [leak("1", "app")];
        let c = replaced_read(&t, "app", &leaks, pass("1"));
        assert_eq!((c.status, c.rows_seen), ("FAIL", Some(3)));
        assert!(
            c.detail
                .contains("which app (it has the owner's rights) may replace"),
            "{}",
            c.detail
        );
        assert!(c.detail.contains("return '2', as tenant 1, 3 rows"));
        // another tenant's read is its own
        assert_eq!(replaced_read(&t, "app", &leaks, pass("2")).status, "PASS");
        // through SET ROLE to the owner
        let c = replaced_read(&t, "app", &[leak("1", "owners")], pass("1"));
        assert!(c.detail.contains("app after SET ROLE owners"));
    }

    #[test]
    fn a_read_the_role_widened_by_writing_a_table_a_policy_reads_fails() {
        let mut t = target();
        let lookup = crate::model::Lookup {
            policy: "shared or own".into(),
            write_policies: Vec::new(),
            table: "s.\"doc shares\"".into(),
            oid: 1,
            kinds: vec!["insert".into(), "update".into()],
            volatile: Vec::new(),
            via_function: false,
        };
        let leak =
            |tenant: &str, kind: &str, column: Option<&str>, source: Option<&str>| LookupLeak {
                tenant: tenant.into(),
                lookup: lookup.clone(),
                kind: kind.into(),
                column: column.map(Into::into),
                source: source.map(Into::into),
                rows: 2,
                error: None,
            };
        let pass = |t: &Target, a: &str| {
            check(
                "tenant_read",
                Some(t),
                Some(a),
                "PASS",
                Some(0),
                "none".into(),
            )
        };
        let leaks = [leak("1", "update", Some("tenant_id"), Some("other"))];
        let c = looked_up_read(&t, "app", &leaks, true, pass(&t, "1"));
        assert_eq!((c.status, c.rows_seen), ("FAIL", Some(2)));
        assert!(
            c.detail
                .contains("policy \"shared or own\" reads s.\"doc shares\", which app may write")
                && c.detail
                    .contains("UPDATE s.\"doc shares\" SET tenant_id = another tenant's value")
                && c.detail
                    .contains("REVOKE INSERT, UPDATE ON s.\"doc shares\" FROM app"),
            "{}",
            c.detail
        );
        // another tenant's read is its own
        assert_eq!(
            looked_up_read(&t, "app", &leaks, true, pass(&t, "2")).status,
            "PASS"
        );
        // TRUNCATE: no policy helps
        let c = looked_up_read(
            &t,
            "app",
            &[leak("1", "truncate", None, None)],
            true,
            pass(&t, "1"),
        );
        assert!(
            c.detail
                .ends_with("fix with REVOKE TRUNCATE ON s.\"doc shares\" FROM app"),
            "{}",
            c.detail
        );
        // write probes off: nothing written, the PASS names what it did not try
        t.lookups = vec![lookup.clone()];
        let c = looked_up_read(&t, "app", &[], false, pass(&t, "1"));
        assert_eq!(c.status, "PASS");
        assert!(c.detail.contains("not tried with write_probes => false: app may write s.\"doc shares\" (INSERT, UPDATE"), "{}", c.detail);
        // and says nothing more when they ran
        assert_eq!(
            looked_up_read(&t, "app", &[], true, pass(&t, "1")).detail,
            "none"
        );
    }

    #[test]
    fn a_definer_function_that_returned_other_tenants_rows_fails_the_read() {
        let t = target();
        let reader = crate::model::DefinerReader {
            function: "s.\"all docs\"()".into(),
            owner: "postgres".into(),
            name: "s.\"all docs\"".into(),
            arg_types: Vec::new(),
            arg_names: Vec::new(),
            arg_elems: Vec::new(),
            procedure: false,
        };
        let leak = |tenant: &str, reader: &crate::model::DefinerReader, args: &[Option<&str>]| {
            DefinerLeak {
                tenant: tenant.into(),
                reader: reader.clone(),
                args: args.iter().map(|a| a.map(Into::into)).collect(),
                rows: 5,
            }
        };
        let pass = |a: &str| {
            check(
                "tenant_read",
                Some(&t),
                Some(a),
                "PASS",
                Some(0),
                "none".into(),
            )
        };
        let c = definer_read(&t, "app", &[leak("1", &reader, &[])], pass("1"));
        assert_eq!((c.status, c.rows_seen), ("FAIL", Some(5)));
        assert!(
            c.detail
                .contains("app may call s.\"all docs\"() (SECURITY DEFINER, owner postgres)")
                && c.detail.contains("with no arguments, it returns 5 rows")
                && c.detail
                    .contains("REVOKE EXECUTE ON FUNCTION s.\"all docs\"() FROM PUBLIC, app"),
            "{}",
            c.detail
        );
        assert_eq!(
            definer_read(&t, "app", &[leak("1", &reader, &[])], pass("2")).status,
            "PASS"
        );
        let with_args = crate::model::DefinerReader {
            arg_types: vec!["pg_catalog.text".into(), "pg_catalog.text".into()],
            ..reader
        };
        let c = definer_read(
            &t,
            "app",
            &[leak("2", &with_args, &[Some("it's"), Some("it's")])],
            pass("2"),
        );
        assert!(
            c.detail.contains("with every argument 'it''s'"),
            "{}",
            c.detail
        );
        let c = definer_read(
            &t,
            "app",
            &[leak("2", &with_args, &[None, None])],
            pass("2"),
        );
        assert!(
            c.detail.contains("with every argument NULL"),
            "{}",
            c.detail
        );
        // values of another tenant's row: the call itself
        let c = definer_read(
            &t,
            "app",
            &[leak("2", &with_args, &[Some("7"), None])],
            pass("2"),
        );
        assert!(
            c.detail.contains(
                "with s.\"all docs\"('7'::pg_catalog.text, NULL::pg_catalog.text), it returns"
            ),
            "{}",
            c.detail
        );
    }

    /// Tenants 1 and 2's write checks, all PASS.
    fn write_passes(t: &Target) -> Vec<Check> {
        ["1", "2"]
            .iter()
            .flat_map(|a| {
                ["tenant_insert", "tenant_update", "tenant_delete"]
                    .map(|name| check(name, Some(t), Some(a), "PASS", Some(0), "none".into()))
            })
            .collect()
    }

    #[test]
    fn a_write_the_role_opened_by_writing_a_table_a_write_policy_reads_fails() {
        let t = target();
        let tenants = vec!["1".to_string(), "2".to_string()];
        let lookup = crate::model::Lookup {
            policy: "delete member's".into(),
            write_policies: vec![
                ("delete member's".into(), "d".into()),
                ("insert member's".into(), "a".into()),
            ],
            table: "s.members".into(),
            oid: 1,
            kinds: vec!["insert".into()],
            volatile: Vec::new(),
            via_function: false,
        };
        let checks = || write_passes(&t);
        // after tenant 1's INSERT there: 1 inserts a row for 2, and 2
        // deletes one of 1's (2's is not judged by 1's writes)
        let probe = |tenant: &str, outcomes: Vec<WriteOutcome>| LookupWrites {
            tenant: tenant.into(),
            lookup: lookup.clone(),
            kind: "insert".into(),
            column: None,
            source: None,
            outcomes,
        };
        let opened = vec![
            copied("1", 3),
            copied("2", 3),
            outcome("1", "tenant_delete", None, Some(0), "00000"),
            outcome("1", "tenant_update", Some("2"), Some(0), "42501"),
            outcome("1", "tenant_insert", Some("2"), Some(1), "00000"),
            outcome("2", "tenant_delete", None, Some(1), "00000"),
            outcome("2", "tenant_update", Some("1"), Some(0), "42501"),
            outcome("2", "tenant_insert", Some("1"), Some(0), "42501"),
        ];
        let mut got = checks();
        looked_up_write_checks(&t, "app", &tenants, &[probe("1", opened.clone())], &mut got);
        let failed: Vec<(&str, Option<&str>)> = got
            .iter()
            .filter(|c| c.status == "FAIL")
            .map(|c| (c.check_name, c.tenant.as_deref()))
            .collect();
        assert_eq!(failed, vec![("tenant_insert", Some("1"))]);
        let c = status(&got, "tenant_insert", "1");
        assert_eq!(c.rows_seen, Some(1));
        // the policy named is the INSERT one
        assert!(
            c.detail.starts_with(
                "policy \"insert member's\" reads s.members, which app may write: after INSERT \
                 INTO s.members"
            ) && c.detail.contains("as tenant 1: `INSERT INTO")
                && c.detail.contains("REVOKE INSERT ON s.members FROM app"),
            "{}",
            c.detail
        );
        // 2's own writes there open 2's delete
        let mut got = checks();
        looked_up_write_checks(&t, "app", &tenants, &[probe("2", opened)], &mut got);
        let c = status(&got, "tenant_delete", "2");
        assert_eq!(c.status, "FAIL");
        assert!(
            c.detail.starts_with("policy \"delete member's\" reads"),
            "{}",
            c.detail
        );
        assert_eq!(status(&got, "tenant_insert", "1").status, "PASS");
        // a probe that could not be set up: 1's PASSes are not proof
        let mut got = checks();
        let broken = WriteOutcome {
            unset: Vec::new(),
            tenant: None,
            check: None,
            value: None,
            rows: None,
            sqlstate: "55P03".into(),
            message: Some("lock timeout".into()),
        };
        looked_up_write_checks(&t, "app", &tenants, &[probe("1", vec![broken])], &mut got);
        let c = status(&got, "tenant_update", "1");
        assert_eq!(c.status, "ERROR");
        assert!(
            c.detail.contains("could not run") && c.detail.contains("55P03"),
            "{}",
            c.detail
        );
        assert_eq!(status(&got, "tenant_update", "2").status, "PASS");
    }

    #[test]
    fn a_definer_function_that_wrote_other_tenants_rows_fails_the_write_checks() {
        let t = target();
        let writer = crate::model::DefinerWriter {
            function: "s.retitle(integer,text)".into(),
            owner: "postgres".into(),
            name: "s.retitle".into(),
            arg_types: vec!["pg_catalog.int4".into(), "pg_catalog.text".into()],
            arg_names: vec!["p_id".into(), "".into()],
            procedure: false,
            arg_elems: vec!["".into(), "".into()],
        };
        let checks = || write_passes(&t);
        let write = |tenant: &str, kinds: [i64; 4], error: Option<&str>| DefinerWrite {
            tenant: tenant.into(),
            writer: writer.clone(),
            args: vec![Some("7".into()), None],
            kinds,
            error: error.map(Into::into),
        };
        // a changed row of another tenant fails tenant 1's update only
        let mut got = checks();
        definer_write_checks(&t, "app", &[write("1", [0, 2, 0, 0], None)], &mut got);
        let failed: Vec<(&str, Option<&str>)> = got
            .iter()
            .filter(|c| c.status == "FAIL")
            .map(|c| (c.check_name, c.tenant.as_deref()))
            .collect();
        assert_eq!(failed, vec![("tenant_update", Some("1"))]);
        let c = status(&got, "tenant_update", "1");
        assert_eq!(c.rows_seen, Some(2));
        assert!(
            c.detail.contains(
                "app may call s.retitle(integer,text) (SECURITY DEFINER, owner postgres), which \
                 writes as its owner: SELECT s.retitle('7'::pg_catalog.int4, NULL::pg_catalog.text) \
                 as tenant 1 changes 2 rows of other tenants of"
            ) && c
                .detail
                .contains("REVOKE EXECUTE ON FUNCTION s.retitle(integer,text) FROM PUBLIC, app"),
            "{}",
            c.detail
        );
        // inserts and deletes; a TRUNCATE of other tenants' rows fails
        // the delete
        let mut got = checks();
        definer_write_checks(&t, "app", &[write("2", [1, 0, 0, 4], None)], &mut got);
        assert_eq!(status(&got, "tenant_insert", "2").status, "FAIL");
        let c = status(&got, "tenant_delete", "2");
        assert_eq!((c.status, c.rows_seen), ("FAIL", Some(4)));
        assert!(
            c.detail.contains("truncates") && c.detail.contains("with 4 rows of other tenants"),
            "{}",
            c.detail
        );
        // a procedure is CALLed
        let mut got = checks();
        let called = DefinerWrite {
            writer: crate::model::DefinerWriter {
                procedure: true,
                ..writer.clone()
            },
            ..write("1", [0, 0, 3, 0], None)
        };
        definer_write_checks(&t, "app", &[called], &mut got);
        assert!(
            status(&got, "tenant_delete", "1")
                .detail
                .contains("CALL s.retitle('7'::pg_catalog.int4, NULL::pg_catalog.text)"),
            "{}",
            status(&got, "tenant_delete", "1").detail
        );
        // a table that could not be watched: the PASSes of that tenant are
        // not proof, an earlier FAIL stays
        let mut got = checks();
        got[0].status = "FAIL";
        definer_write_checks(
            &t,
            "app",
            &[write("1", [0; 4], Some("lock timeout (55P03)"))],
            &mut got,
        );
        assert_eq!(status(&got, "tenant_insert", "1").status, "FAIL");
        assert_eq!(status(&got, "tenant_update", "1").status, "ERROR");
        assert_eq!(status(&got, "tenant_update", "2").status, "PASS");
        assert!(status(&got, "tenant_delete", "1")
            .detail
            .contains("could not be watched"));
    }
}
