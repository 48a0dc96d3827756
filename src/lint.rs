//! Lint: the RLS posture's known mistakes, as findings. Pure: the rules
//! are plain functions over a [`Posture`] (read by `catalog::read_posture`,
//! or made from a snapshot's state), one function per rule, listed once in
//! [`RULES`]; expressions are judged by `expr.rs`, not by regular
//! expressions.
//!
//! To add a rule: write `fn my_rule(p: &Facts, out: &mut Vec<Finding>)`,
//! add it to [`RULES`] (and to lint_ignore's CHECK in `sql/bootstrap.sql`,
//! which `model_words_match_check_constraints` compares), add a unit test
//! below and a line to the README's lint table.
use std::collections::{BTreeMap, BTreeSet};

use crate::access::Model;
use crate::expr;
use crate::ident::{quote_ident, quote_qualified};
use crate::model::{Access, Command, Mode, Policy, Posture, RelKind, Severity, TableFacts};
use crate::render::render_role;

/// One lint rule: its name (what `lint()` prints and `lint_ignore` names)
/// and the function that finds its findings.
pub(crate) struct Rule {
    pub(crate) name: &'static str,
    pub(crate) check: fn(&Input, &mut Vec<Finding>),
}

/// What every rule reads: the [`Facts`] and the access model, built from
/// them once for all the rules that ask who reaches what.
pub(crate) struct Input<'a> {
    facts: &'a Facts,
    model: Option<Model<'a>>,
}

impl<'a> Input<'a> {
    pub(crate) fn new(facts: &'a Facts) -> Input<'a> {
        let model = facts
            .access
            .as_ref()
            .map(|a| Model::with_constants(a, &facts.policies, &facts.constants));
        Input { facts, model }
    }
}

impl std::ops::Deref for Input<'_> {
    type Target = Facts;

    fn deref(&self) -> &Facts {
        self.facts
    }
}

/// Every rule, in catalogue order (the README lists them the same way).
pub(crate) const RULES: &[Rule] = &[
    Rule {
        name: "rls_disabled",
        check: rls_disabled,
    },
    Rule {
        name: "policy_exists_rls_disabled",
        check: policy_exists_rls_disabled,
    },
    Rule {
        name: "rls_enabled_no_policy",
        check: rls_enabled_no_policy,
    },
    Rule {
        name: "rls_not_forced",
        check: rls_not_forced,
    },
    Rule {
        name: "policy_always_true",
        check: policy_always_true,
    },
    Rule {
        name: "policy_to_public",
        check: policy_to_public,
    },
    Rule {
        name: "multiple_permissive_policies",
        check: multiple_permissive_policies,
    },
    Rule {
        name: "bypassrls_role",
        check: bypassrls_role,
    },
    Rule {
        name: "security_definer_search_path",
        check: security_definer_search_path,
    },
    Rule {
        name: "view_bypasses_rls",
        check: view_bypasses_rls,
    },
    Rule {
        name: "policy_per_row_function",
        check: policy_per_row_function,
    },
    Rule {
        name: "current_setting_without_missing_ok",
        check: current_setting_without_missing_ok,
    },
    // round 2: the access model (crate::access)
    Rule {
        name: "materialized_view_exposes_rls",
        check: materialized_view_exposes_rls,
    },
    Rule {
        name: "role_can_bypass_rls",
        check: role_can_bypass_rls,
    },
    Rule {
        name: "member_of_table_owner",
        check: member_of_table_owner,
    },
    Rule {
        name: "security_definer_exposes_rls",
        check: security_definer_exposes_rls,
    },
    Rule {
        name: "restrictive_only",
        check: restrictive_only,
    },
    Rule {
        name: "write_policy_unconditional",
        check: write_policy_unconditional,
    },
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) lint: &'static str,
    pub(crate) severity: Severity,
    pub(crate) schema_name: Option<String>,
    pub(crate) object_name: String,
    pub(crate) detail: String,
    pub(crate) remediation: String,
}

impl Finding {
    /// The key a `lint_ignore` row names: `schema.object` (each part as
    /// quote_ident writes it), or the role name for role findings.
    pub(crate) fn object_key(&self) -> String {
        match &self.schema_name {
            Some(s) => format!("{}.{}", quote_ident(s), self.object_name),
            None => self.object_name.clone(),
        }
    }
}

/// Every finding of every rule for the schemas asked (None = all), in SPEC
/// order. Role findings belong to no schema and come only when no filter
/// is given.
pub(crate) fn run(posture: &Facts, schemas: Option<&[Option<String>]>) -> Vec<Finding> {
    let mut out = Vec::new();
    let input = Input::new(posture);
    for rule in RULES {
        let from = out.len();
        (rule.check)(&input, &mut out);
        debug_assert!(out[from..].iter().all(|f| f.lint == rule.name));
    }
    if let Some(list) = schemas {
        let keep: BTreeSet<&str> = list.iter().flatten().map(String::as_str).collect();
        out.retain(|f| f.schema_name.as_deref().is_some_and(|s| keep.contains(s)));
    }
    out.sort_by(|a, b| {
        (a.severity, a.lint, &a.schema_name, &a.object_name).cmp(&(
            b.severity,
            b.lint,
            &b.schema_name,
            &b.object_name,
        ))
    });
    out
}

/// A [`Posture`] with each policy's expressions examined once: their
/// function calls (every rule that looks at calls, and the volatility read,
/// share them) and their constant values (the constant-true rules and the
/// access model share those).
pub(crate) struct Facts {
    posture: Posture,
    /// `expr::calls` of each policy's USING and WITH CHECK, by index
    calls: Vec<Vec<expr::Call>>,
    /// `expr::constant_value` of each policy's USING and WITH CHECK, by index
    constants: Vec<(Option<bool>, Option<bool>)>,
}

impl Facts {
    pub(crate) fn new(posture: Posture) -> Facts {
        let examine = |e: &Option<String>| e.as_deref().map(expr::examine).unwrap_or_default();
        let (calls, constants) = posture
            .policies
            .iter()
            .map(|p| {
                let (using, check) = (examine(&p.using_expr), examine(&p.check_expr));
                let mut calls = using.calls;
                calls.extend(check.calls);
                (calls, (using.value, check.value))
            })
            .unzip();
        Facts {
            posture,
            calls,
            constants,
        }
    }

    /// Is policy `i`'s USING (`check` false) or WITH CHECK constantly true?
    fn constant_true(&self, i: usize, check: bool) -> bool {
        self.constants
            .get(i)
            .and_then(|(u, c)| if check { *c } else { *u })
            == Some(true)
    }

    /// The functions the policies call, (schema, name), pg_catalog for
    /// unqualified calls: the catalog looks up their volatility once.
    pub(crate) fn called_functions(&self) -> BTreeSet<(String, String)> {
        self.calls
            .iter()
            .flatten()
            .map(|k| {
                (
                    k.schema.clone().unwrap_or_else(|| "pg_catalog".into()),
                    k.name.clone(),
                )
            })
            .collect()
    }

    /// Which of [`Facts::called_functions`] are not IMMUTABLE.
    pub(crate) fn set_non_immutable(&mut self, functions: BTreeSet<(String, String)>) {
        self.posture.non_immutable = Some(functions);
    }

    /// Each policy with its calls.
    fn policies_with_calls(&self) -> impl Iterator<Item = (&Policy, &Vec<expr::Call>)> {
        self.posture.policies.iter().zip(&self.calls)
    }
}

impl std::ops::Deref for Facts {
    type Target = Posture;

    fn deref(&self) -> &Posture {
        &self.posture
    }
}

// ---------------------------------------------------------------------------
// table rules

/// A finding about a table.
fn table_finding(
    t: &TableFacts,
    lint: &'static str,
    severity: Severity,
    detail: String,
    remediation: String,
) -> Finding {
    Finding {
        lint,
        severity,
        schema_name: Some(t.table.schema_name.clone()),
        object_name: quote_ident(&t.table.table_name),
        detail,
        remediation,
    }
}

fn qualified(t: &TableFacts) -> String {
    quote_qualified(&t.table.schema_name, &t.table.table_name)
}

/// RLS off on a table other roles reach through grants (a table with
/// policies gets policy_exists_rls_disabled instead).
fn rls_disabled(p: &Input, out: &mut Vec<Finding>) {
    for t in &p.tables {
        if !t.table.rls_enabled && t.policies == 0 && !t.grants.is_empty() {
            out.push(table_finding(
                t,
                "rls_disabled",
                Severity::High,
                format!(
                    "row-level security is off and other roles reach every row through grants ({})",
                    t.grants.join("; ")
                ),
                format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY; then CREATE POLICY for each role that needs rows", qualified(t)),
            ));
        }
    }
}

/// Policies that do nothing because RLS is off.
fn policy_exists_rls_disabled(p: &Input, out: &mut Vec<Finding>) {
    for t in p
        .tables
        .iter()
        .filter(|t| !t.table.rls_enabled && t.policies > 0)
    {
        out.push(table_finding(
            t,
            "policy_exists_rls_disabled",
            Severity::Critical,
            format!(
                "has {} polic{} but row-level security is disabled: the policies do nothing",
                t.policies,
                if t.policies == 1 { "y" } else { "ies" }
            ),
            format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", qualified(t)),
        ));
    }
}

/// RLS on without a policy: deny-all, perhaps on purpose; `medium` when a
/// non-owner role holds a grant (it is denied every row), `info` otherwise.
fn rls_enabled_no_policy(p: &Input, out: &mut Vec<Finding>) {
    for t in p
        .tables
        .iter()
        .filter(|t| t.table.rls_enabled && t.policies == 0)
    {
        let (severity, detail) = if t.grants.is_empty() {
            (
                Severity::Info,
                "row-level security is enabled without any policy: only the owner and BYPASSRLS roles see rows".to_string(),
            )
        } else {
            (
                Severity::Medium,
                format!(
                    "row-level security is enabled without any policy, yet other roles hold grants ({}): every row is denied to them",
                    t.grants.join("; ")
                ),
            )
        };
        out.push(table_finding(
            t,
            "rls_enabled_no_policy",
            severity,
            detail,
            format!("CREATE POLICY ... ON {} for the roles that need rows, or leave it deny-all on purpose", qualified(t)),
        ));
    }
}

/// RLS on but not forced: the owner bypasses it (high when the owner is an
/// application login rather than a superuser or a NOLOGIN owner role).
fn rls_not_forced(p: &Input, out: &mut Vec<Finding>) {
    for t in p
        .tables
        .iter()
        .filter(|t| t.table.rls_enabled && !t.table.rls_forced)
    {
        let app_owner = t.owner_login && !t.owner_super;
        let owner = quote_ident(&t.table.owner);
        out.push(table_finding(
            t,
            "rls_not_forced",
            if app_owner {
                Severity::High
            } else {
                Severity::Low
            },
            if app_owner {
                format!("the owner {owner} can log in and bypasses the policies: RLS is not forced")
            } else {
                format!("the owner {owner} bypasses the policies: RLS is not forced")
            },
            format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY;", qualified(t)),
        ));
    }
}

// ---------------------------------------------------------------------------
// policy rules

/// A finding about a policy (`table.policy` in its schema).
fn policy_finding(
    p: &Policy,
    lint: &'static str,
    severity: Severity,
    detail: String,
    remediation: String,
) -> Finding {
    Finding {
        lint,
        severity,
        schema_name: Some(p.schema_name.clone()),
        object_name: format!(
            "{}.{}",
            quote_ident(&p.table_name),
            quote_ident(&p.policy_name)
        ),
        detail,
        remediation,
    }
}

/// The login roles' names.
fn login_roles(p: &Facts) -> BTreeSet<&str> {
    p.roles
        .iter()
        .filter(|r| r.can_login)
        .map(|r| r.role_name.as_str())
        .collect()
}

/// A USING or WITH CHECK that is constantly true: critical when it opens
/// every row to PUBLIC or a login role.
fn policy_always_true(posture: &Input, out: &mut Vec<Finding>) {
    let login = login_roles(posture);
    for (i, p) in posture.policies.iter().enumerate() {
        let (using_true, check_true) = (
            posture.constant_true(i, false),
            posture.constant_true(i, true),
        );
        if !(using_true || check_true) {
            continue;
        }
        let reaches_people = p.reaches_people(&login);
        let permissive = p.permissive == Mode::Permissive;
        let which = match (using_true, check_true) {
            (true, true) => "USING and WITH CHECK are",
            (true, false) => "USING is",
            _ => "WITH CHECK is",
        };
        let severity = match (permissive, reaches_people) {
            (false, _) => Severity::Low,
            (true, true) => Severity::Critical,
            (true, false) => Severity::High,
        };
        let effect = if permissive {
            format!(
                "every row is open to {{{}}} for {}",
                p.roles.join(","),
                p.command
            )
        } else {
            "the restrictive policy restricts nothing".to_string()
        };
        let table = quote_qualified(&p.schema_name, &p.table_name);
        out.push(policy_finding(
            p,
            "policy_always_true",
            severity,
            format!("{which} constantly true: {effect}"),
            format!(
                "ALTER POLICY {} ON {table} {}; or DROP POLICY {} ON {table};",
                quote_ident(&p.policy_name),
                if using_true {
                    "USING (<tenant condition>)"
                } else {
                    "WITH CHECK (<tenant condition>)"
                },
                quote_ident(&p.policy_name)
            ),
        ));
    }
}

/// A permissive policy for PUBLIC: every role, present and future.
fn policy_to_public(posture: &Input, out: &mut Vec<Finding>) {
    for p in &posture.policies {
        if p.permissive == Mode::Permissive && p.applies_to_public() {
            out.push(policy_finding(
                p,
                "policy_to_public",
                Severity::Medium,
                format!(
                    "permissive {} policy applies to PUBLIC: every role, present and future",
                    p.command
                ),
                format!(
                    "ALTER POLICY {} ON {} TO <the roles that need it>;",
                    quote_ident(&p.policy_name),
                    quote_qualified(&p.schema_name, &p.table_name)
                ),
            ));
        }
    }
}

/// Built-in functions policy_per_row_function still judges: the setting
/// reads tenant policies are built on.
const PER_ROW_BUILTINS: &[&str] = &["current_setting"];

/// Calls of non-IMMUTABLE user functions (or `current_setting`) not
/// wrapped in a sub-select run once per row. Not judged when volatility is unknown (a snapshot).
fn policy_per_row_function(posture: &Input, out: &mut Vec<Finding>) {
    let Some(volatile) = &posture.non_immutable else {
        return;
    };
    for (p, calls) in posture.policies_with_calls() {
        let per_row: BTreeSet<String> = calls
            .iter()
            .filter(|k| !k.in_subselect)
            .filter(|k| {
                let schema = k.schema.as_deref().unwrap_or("pg_catalog");
                // a user function (auth.uid() and the like), or the
                // setting read that tenant policies are built on; other
                // built-ins (now(), ...) are PostgreSQL's business
                let judged = schema != "pg_catalog" || PER_ROW_BUILTINS.contains(&k.name.as_str());
                judged && volatile.contains(&(schema.to_string(), k.name.clone()))
            })
            .map(|k| {
                let name = match &k.schema {
                    Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&k.name)),
                    None => quote_ident(&k.name),
                };
                format!("{name}({})", if k.args > 0 { "…" } else { "" })
            })
            .collect();
        if per_row.is_empty() {
            continue;
        }
        let list: Vec<String> = per_row.into_iter().collect();
        let wrapped: Vec<String> = list.iter().map(|f| format!("(SELECT {f})")).collect();
        out.push(policy_finding(
            p,
            "policy_per_row_function",
            Severity::Low,
            format!(
                "calls {} for every row: not IMMUTABLE and not wrapped in a sub-select",
                list.join(", ")
            ),
            format!(
                "ALTER POLICY {} ON {} with each call wrapped so it runs once per statement: {}",
                quote_ident(&p.policy_name),
                quote_qualified(&p.schema_name, &p.table_name),
                wrapped.join(", ")
            ),
        ));
    }
}

/// `current_setting(name)` raises an error when the setting is unset.
fn current_setting_without_missing_ok(posture: &Input, out: &mut Vec<Finding>) {
    for (p, calls) in posture.policies_with_calls() {
        if calls.iter().any(|k| {
            k.name == "current_setting"
                && k.args == 1
                && k.schema.as_deref().is_none_or(|s| s == "pg_catalog")
        }) {
            out.push(policy_finding(
                p,
                "current_setting_without_missing_ok",
                Severity::Low,
                "current_setting(name) without missing_ok raises an error when the setting is unset, instead of matching no row".into(),
                "use NULLIF(current_setting('<name>', true), '') so an unset or empty setting matches nothing".into(),
            ));
        }
    }
}

/// One finding per table, listing each (role, command) served by more
/// than one permissive policy (each is evaluated and OR-ed).
fn multiple_permissive_policies(posture: &Input, out: &mut Vec<Finding>) {
    // (schema, table) → (role, command word) → policy names; by the word,
    // so the detail lists commands alphabetically
    type Overlaps<'a> = BTreeMap<(String, &'static str), Vec<&'a str>>;
    let mut by_table: BTreeMap<(&str, &str), Overlaps> = BTreeMap::new();
    for p in posture
        .policies
        .iter()
        .filter(|p| p.permissive == Mode::Permissive)
    {
        let roles = if p.roles.is_empty() {
            vec!["public".to_string()]
        } else {
            p.roles.clone()
        };
        for r in roles {
            for cmd in p.command.covers() {
                by_table
                    .entry((p.schema_name.as_str(), p.table_name.as_str()))
                    .or_default()
                    .entry((r.clone(), cmd.as_sql()))
                    .or_default()
                    .push(&p.policy_name);
            }
        }
    }
    for ((schema, table), combos) in by_table {
        let overlaps: Vec<String> = combos
            .iter()
            .filter(|(_, names)| names.len() > 1)
            .map(|((role, cmd), names)| {
                let mut names: Vec<String> = names.iter().map(|n| quote_ident(n)).collect();
                names.sort();
                format!("{} {cmd}: {}", render_role(role), names.join(", "))
            })
            .collect();
        if !overlaps.is_empty() {
            out.push(Finding {
                lint: "multiple_permissive_policies",
                severity: Severity::Low,
                schema_name: Some(schema.to_string()),
                object_name: quote_ident(table),
                detail: format!("more than one permissive policy per role and command (each is evaluated, OR-ed): {}", overlaps.join("; ")),
                remediation: format!("merge them into one policy per role and command on {}", quote_qualified(schema, table)),
            });
        }
    }
}

// ---------------------------------------------------------------------------
// roles, functions, views

/// A login role with BYPASSRLS (superusers bypass anyway and are not
/// listed twice).
fn bypassrls_role(posture: &Input, out: &mut Vec<Finding>) {
    for r in posture
        .roles
        .iter()
        .filter(|r| r.can_login && r.bypassrls && !r.superuser)
    {
        out.push(Finding {
            lint: "bypassrls_role",
            severity: Severity::High,
            schema_name: None,
            object_name: quote_ident(&r.role_name),
            detail: "a login role with BYPASSRLS: every policy is ignored for its sessions".into(),
            remediation: format!("ALTER ROLE {} NOBYPASSRLS;", quote_ident(&r.role_name)),
        });
    }
}

/// A SECURITY DEFINER function whose search_path the caller controls.
fn security_definer_search_path(posture: &Input, out: &mut Vec<Finding>) {
    for f in &posture.functions {
        let object = format!("{}({})", quote_ident(&f.name), f.args);
        let problem = match f.search_path.as_deref() {
            None => Some((Severity::High, "SECURITY DEFINER without a fixed search_path: the caller's path decides what it runs".to_string())),
            Some(p) => search_path_problem(p, &f.public_writable),
        };
        if let Some((severity, detail)) = problem {
            out.push(Finding {
                lint: "security_definer_search_path",
                severity,
                schema_name: Some(f.schema_name.clone()),
                remediation: format!(
                    "ALTER {} {}.{object} SET search_path = pg_catalog, pg_temp;",
                    crate::model::routine_kind(f.procedure).to_uppercase(),
                    quote_ident(&f.schema_name)
                ),
                object_name: object,
                detail,
            });
        }
    }
}

/// What is wrong with a SECURITY DEFINER function's fixed search_path.
fn search_path_problem(
    path: &str,
    public_writable: &BTreeSet<String>,
) -> Option<(Severity, String)> {
    let entries: Vec<String> = path
        .split(',')
        .map(|e| e.trim().trim_matches('"').to_string())
        .filter(|e| !e.is_empty() && e != "\"\"")
        .collect();
    if entries.is_empty() {
        return None; // search_path = '': everything must be qualified
    }
    if let Some(w) = entries.iter().find(|e| public_writable.contains(*e)) {
        return Some((
            Severity::High,
            format!("search_path {path} includes {w}, where any role can create objects that shadow the ones it calls"),
        ));
    }
    match entries.iter().position(|e| e == "pg_temp") {
        Some(i) if i + 1 == entries.len() => None,
        Some(_) => Some((Severity::Medium, format!("search_path {path} puts pg_temp before other schemas: temporary objects shadow real ones"))),
        None => Some((Severity::Medium, format!("search_path {path} does not list pg_temp last, so pg_temp is searched first for tables"))),
    }
}

/// A view that runs as an owner who bypasses a table's policies.
fn view_bypasses_rls(posture: &Input, out: &mut Vec<Finding>) {
    for v in &posture.views {
        let tables: Vec<String> = v
            .tables
            .iter()
            .map(|(s, t, why)| format!("{} (owner {why})", quote_qualified(s, t)))
            .collect();
        out.push(Finding {
            lint: "view_bypasses_rls",
            severity: Severity::High,
            schema_name: Some(v.schema_name.clone()),
            object_name: quote_ident(&v.view_name),
            detail: format!(
                "the view runs as its owner {} and so skips the row-level security of {}",
                quote_ident(&v.owner),
                tables.join(", ")
            ),
            remediation: format!(
                "ALTER VIEW {} SET (security_invoker = on);",
                quote_qualified(&v.schema_name, &v.view_name)
            ),
        });
    }
}

// ---------------------------------------------------------------------------
// round 2: the access model

/// The access model over the posture, when its facts are known.
fn model<'a>(p: &'a Input<'_>) -> Option<&'a Model<'a>> {
    p.model.as_ref()
}

/// A materialized view over an RLS table that a role reads although the
/// table's policies would filter it: a materialized view has no RLS.
fn materialized_view_exposes_rls(p: &Input, out: &mut Vec<Finding>) {
    let (Some(m), Some(facts)) = (model(p), p.access.as_ref()) else {
        return;
    };
    let people = m.login_roles();
    for mv in facts
        .relations
        .iter()
        .filter(|r| r.kind == RelKind::Matview)
    {
        for t in &mv.reads {
            let Some(table) = m.relation(t).filter(|t| t.kind.is_table() && t.rls_enabled) else {
                continue;
            };
            let exposed: Vec<String> = people
                .iter()
                .filter(|r| **r != mv.owner && m.may(r, mv, Command::Select))
                .filter(|r| m.direct(r, table, Command::Select).access < Access::AllRows)
                .map(|r| quote_ident(r))
                .collect();
            if exposed.is_empty() {
                continue;
            }
            out.push(Finding {
                lint: "materialized_view_exposes_rls",
                severity: Severity::High,
                schema_name: Some(mv.schema.clone()),
                object_name: quote_ident(&mv.name),
                detail: format!(
                    "materialized views have no row-level security: {} read{} in it what the owner {} saw of {}, which its policies filter for them",
                    exposed.join(", "),
                    if exposed.len() == 1 { "s" } else { "" },
                    quote_ident(&mv.owner),
                    quote_qualified(&t.0, &t.1)
                ),
                remediation: format!(
                    "REVOKE SELECT ON {} FROM {};",
                    quote_qualified(&mv.schema, &mv.name),
                    exposed.join(", ")
                ),
            });
        }
    }
}

/// A login role that inherits, or may SET ROLE to, a superuser or
/// BYPASSRLS role: one statement away from ignoring every policy.
fn role_can_bypass_rls(p: &Input, out: &mut Vec<Finding>) {
    let Some(m) = model(p) else {
        return;
    };
    for role in m.login_roles() {
        if m.attrs(&role).is_some_and(|a| a.bypassrls) {
            continue; // bypassrls_role reports it
        }
        let bypassing = m.bypassing_roles(&role);
        if bypassing.is_empty() {
            continue;
        }
        let listed: Vec<String> = bypassing
            .iter()
            .map(|(r, what)| format!("{} ({what})", quote_ident(r)))
            .collect();
        let superuser = bypassing.iter().any(|(_, w)| *w == "SUPERUSER");
        out.push(Finding {
            lint: "role_can_bypass_rls",
            severity: if superuser {
                Severity::Critical
            } else {
                Severity::High
            },
            schema_name: None,
            object_name: quote_ident(&role),
            detail: format!(
                "a login role that can become {} with SET ROLE: every policy is then ignored",
                listed.join(", ")
            ),
            remediation: bypassing
                .iter()
                .map(|(r, _)| format!("REVOKE {} FROM {};", quote_ident(r), quote_ident(&role)))
                .collect::<Vec<_>>()
                .join(" "),
        });
    }
}

/// A login role that inherits the owner of an RLS table that is not
/// forced: PostgreSQL skips RLS for the owner and every role inheriting it.
fn member_of_table_owner(p: &Input, out: &mut Vec<Finding>) {
    let (Some(m), Some(facts)) = (model(p), p.access.as_ref()) else {
        return;
    };
    for role in m.login_roles() {
        let inherited = m.inherited(&role);
        let tables: Vec<&crate::model::Relation> = facts
            .relations
            .iter()
            .filter(|t| t.kind.is_table() && t.rls_enabled && !t.rls_forced)
            .filter(|t| t.owner != role && inherited.contains(t.owner.as_str()))
            .collect();
        if tables.is_empty() {
            continue;
        }
        let names: Vec<String> = tables
            .iter()
            .map(|t| {
                format!(
                    "{} (owner {})",
                    quote_qualified(&t.schema, &t.name),
                    quote_ident(&t.owner)
                )
            })
            .collect();
        out.push(Finding {
            lint: "member_of_table_owner",
            severity: Severity::High,
            schema_name: None,
            object_name: quote_ident(&role),
            detail: format!(
                "inherits the owner of {}: row-level security is not forced, so its sessions see every row",
                names.join(", ")
            ),
            remediation: tables
                .iter()
                .map(|t| format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY;", quote_qualified(&t.schema, &t.name)))
                .collect::<Vec<_>>()
                .join(" "),
        });
    }
}

/// A SECURITY DEFINER function that a role RLS filters may execute, owned
/// by a role that bypasses the policies of a table the function reads.
fn security_definer_exposes_rls(p: &Input, out: &mut Vec<Finding>) {
    let (Some(m), Some(facts)) = (model(p), p.access.as_ref()) else {
        return;
    };
    let people = m.login_roles();
    for f in &facts.functions {
        let mut exposed_tables = Vec::new();
        let mut callers: BTreeSet<String> = BTreeSet::new();
        for (t, recorded) in &f.reads {
            let Some(table) = m.relation(t).filter(|t| t.kind.is_table() && t.rls_enabled) else {
                continue;
            };
            let owner = m.direct(&f.owner, table, Command::Select);
            if !owner.bypasses_rls() {
                continue;
            }
            let filtered: Vec<&String> = people
                .iter()
                .filter(|r| **r != f.owner && m.may_run(r, f))
                .filter(|r| m.direct(r, table, Command::Select).access < Access::AllRows)
                .collect();
            if filtered.is_empty() {
                continue;
            }
            callers.extend(filtered.iter().map(|r| quote_ident(r)));
            exposed_tables.push(format!(
                "{}{}",
                quote_qualified(&t.0, &t.1),
                if *recorded {
                    ""
                } else {
                    " (named in its body)"
                }
            ));
        }
        if exposed_tables.is_empty() {
            continue;
        }
        let object = format!("{}({})", quote_ident(&f.name), f.args);
        let kind = f.kind().to_uppercase();
        // a trigger function is run by whoever fires one of its triggers:
        // no EXECUTE privilege is checked, so none to revoke
        let public = !f.trigger_only && f.executors.iter().any(|e| e == "public");
        out.push(Finding {
            lint: "security_definer_exposes_rls",
            severity: Severity::High,
            schema_name: Some(f.schema.clone()),
            detail: format!(
                "runs as {}, who bypasses the row-level security of {}, and {} may {}",
                quote_ident(&f.owner),
                exposed_tables.join(", "),
                callers.into_iter().collect::<Vec<_>>().join(", "),
                if f.trigger_only {
                    "fire a trigger that runs it"
                } else {
                    "execute it"
                }
            ),
            remediation: format!(
                "ALTER {kind} {}.{object} SECURITY INVOKER;{}",
                quote_ident(&f.schema),
                if public {
                    format!(
                        " or REVOKE EXECUTE ON {kind} {}.{object} FROM PUBLIC;",
                        quote_ident(&f.schema)
                    )
                } else {
                    String::new()
                }
            ),
            object_name: object,
        });
    }
}

/// A granted RLS table whose policies for some command are all
/// RESTRICTIVE: restrictive policies only narrow permissive ones, so
/// without one nothing passes.
fn restrictive_only(p: &Input, out: &mut Vec<Finding>) {
    let mut by_table: BTreeMap<(&str, &str), Vec<&Policy>> = BTreeMap::new();
    for q in &p.policies {
        by_table
            .entry((q.schema_name.as_str(), q.table_name.as_str()))
            .or_default()
            .push(q);
    }
    for t in p
        .tables
        .iter()
        .filter(|t| t.table.rls_enabled && !t.grants.is_empty())
    {
        let on_table = by_table
            .get(&(t.table.schema_name.as_str(), t.table.table_name.as_str()))
            .map_or(&[][..], Vec::as_slice);
        let denied: Vec<&str> = crate::access::COMMANDS
            .iter()
            .filter(|cmd| {
                let mut covering = on_table
                    .iter()
                    .filter(|q| q.command.covers().contains(cmd))
                    .peekable();
                covering.peek().is_some() && covering.all(|q| q.permissive == Mode::Restrictive)
            })
            .map(|c| c.as_sql())
            .collect();
        if denied.is_empty() {
            continue;
        }
        out.push(table_finding(
            t,
            "restrictive_only",
            Severity::Medium,
            format!(
                "only RESTRICTIVE policies for {}: with no permissive policy every row is denied to the roles granted it ({})",
                denied.join(", "),
                t.grants.join("; ")
            ),
            format!(
                "CREATE POLICY <name> ON {} AS PERMISSIVE FOR {} TO <role> USING (<condition>); restrictive policies then narrow it",
                qualified(t),
                denied[0]
            ),
        ));
    }
}

/// An UPDATE or DELETE policy whose USING is constantly true while SELECT
/// is scoped: the role changes or deletes rows it cannot see.
fn write_policy_unconditional(p: &Input, out: &mut Vec<Finding>) {
    for (_, w) in p.policies.iter().enumerate().filter(|(i, w)| {
        w.permissive == Mode::Permissive
            && matches!(w.command, Command::Update | Command::Delete)
            && p.constant_true(*i, false)
    }) {
        // a SELECT policy on the same table for the same audience that
        // filters: its condition is the one the write should carry
        let scoped = p.policies.iter().enumerate().find(|(i, s)| {
            s.schema_name == w.schema_name
                && s.table_name == w.table_name
                && s.permissive == Mode::Permissive
                && s.command.covers().contains(&Command::Select)
                && s.using_expr.is_some()
                && !p.constant_true(*i, false)
                && (s.applies_to_public()
                    || w.applies_to_public()
                    || s.roles.iter().any(|r| w.roles.contains(r)))
        });
        let Some((_, scoped)) = scoped else {
            continue;
        };
        let condition = scoped.using_expr.clone().unwrap_or_default();
        out.push(policy_finding(
            w,
            "write_policy_unconditional",
            Severity::High,
            format!(
                "{} USING is constantly true while SELECT is scoped by {}: {} reaches every row, also rows it cannot see",
                w.command,
                quote_ident(&scoped.policy_name),
                w.command
            ),
            format!(
                "ALTER POLICY {} ON {} USING ({condition});",
                quote_ident(&w.policy_name),
                quote_qualified(&w.schema_name, &w.table_name)
            ),
        ));
    }
}

// ---------------------------------------------------------------------------
// suppressions

/// One `lint_ignore` row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Suppression {
    pub(crate) lint: String,
    /// NULL: the object in any schema
    pub(crate) schema_name: Option<String>,
    pub(crate) object: String,
    pub(crate) reason: String,
    pub(crate) added_by: String,
    pub(crate) added_at: String,
}

impl Suppression {
    /// Does this row silence `f`? `object` is the `object_name` lint()
    /// prints, in `schema_name` or (NULL) in any schema; the older spelling
    /// `schema.object` (quote_ident parts) keeps working.
    pub(crate) fn silences(&self, f: &Finding) -> bool {
        if self.lint != f.lint {
            return false;
        }
        match &self.schema_name {
            Some(s) => f.schema_name.as_deref() == Some(s.as_str()) && self.object == f.object_name,
            None => self.object == f.object_name || self.object == f.object_key(),
        }
    }
}

/// A suppressed finding and the reason it was accepted.
pub(crate) type Suppressed = (Finding, Suppression);

/// Split findings into (open, suppressed with the row that silences them).
pub(crate) fn split_suppressed(
    findings: Vec<Finding>,
    rules: &[Suppression],
) -> (Vec<Finding>, Vec<Suppressed>) {
    let mut open = Vec::new();
    let mut silenced = Vec::new();
    for f in findings {
        match rules.iter().find(|r| r.silences(&f)) {
            Some(rule) => silenced.push((f, rule.clone())),
            None => open.push(f),
        }
    }
    (open, silenced)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn suppressions_match_what_lint_prints_and_the_old_spelling() {
        let f = Finding {
            lint: "rls_not_forced",
            severity: Severity::Medium,
            schema_name: Some("Billing Ω".into()),
            object_name: "invoices".into(),
            detail: String::new(),
            remediation: String::new(),
        };
        let rule = |schema: Option<&str>, object: &str| Suppression {
            lint: "rls_not_forced".into(),
            schema_name: schema.map(Into::into),
            object: object.into(),
            reason: "r".into(),
            added_by: "u".into(),
            added_at: "t".into(),
        };
        assert!(
            rule(None, "invoices").silences(&f),
            "object_name in any schema"
        );
        assert!(rule(Some("Billing Ω"), "invoices").silences(&f));
        assert!(!rule(Some("public"), "invoices").silences(&f));
        assert!(
            rule(None, "\"Billing Ω\".invoices").silences(&f),
            "old spelling"
        );
        assert!(!rule(None, "Billing Ω.invoices").silences(&f));
        assert!(!rule(None, "orders").silences(&f));
        let other = Suppression {
            lint: "rls_disabled".into(),
            ..rule(None, "invoices")
        };
        assert!(!other.silences(&f));
    }

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn safe_search_paths() {
        assert_eq!(search_path_problem("\"\"", &set(&[])), None);
        assert_eq!(search_path_problem("pg_catalog, pg_temp", &set(&[])), None);
        assert_eq!(search_path_problem("app, pg_temp", &set(&[])), None);
    }

    #[test]
    fn unsafe_search_paths() {
        let w = set(&["public"]);
        assert_eq!(
            search_path_problem("public, pg_temp", &w).unwrap().0,
            Severity::High
        );
        assert_eq!(
            search_path_problem("\"$user\", public", &w).unwrap().0,
            Severity::High
        );
        assert_eq!(
            search_path_problem("pg_temp, pg_catalog", &set(&[]))
                .unwrap()
                .0,
            Severity::Medium
        );
        assert_eq!(
            search_path_problem("pg_catalog", &set(&[])).unwrap().0,
            Severity::Medium
        );
    }

    #[test]
    fn lint_names_are_the_spec_catalogue() {
        assert_eq!(RULES.len(), 18);
        let names: BTreeSet<&str> = RULES.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), RULES.len(), "rule names are unique");
        assert!(names.contains("view_bypasses_rls"));
    }

    use crate::model::{BypassingView, Command, DefinerFunction, Role, Table};

    fn table(
        name: &str,
        enabled: bool,
        forced: bool,
        policies: usize,
        grants: &[&str],
    ) -> TableFacts {
        TableFacts {
            table: Table {
                schema_name: "app".into(),
                table_name: name.into(),
                owner: "owner".into(),
                rls_enabled: enabled,
                rls_forced: forced,
            },
            owner_login: false,
            owner_super: false,
            policies,
            grants: grants.iter().map(|g| g.to_string()).collect(),
        }
    }

    fn policy(name: &str, mode: Mode, cmd: Command, roles: &[&str], using: &str) -> Policy {
        Policy {
            schema_name: "app".into(),
            table_name: "t".into(),
            policy_name: name.into(),
            permissive: mode,
            command: cmd,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using_expr: Some(using.into()),
            check_expr: None,
        }
    }

    fn role(name: &str, login: bool, bypass: bool) -> Role {
        Role {
            role_name: name.into(),
            superuser: false,
            bypassrls: bypass,
            can_login: login,
        }
    }

    /// The lints one rule finds in `posture`.
    fn found(rule: &str, posture: &Posture) -> Vec<Finding> {
        let r = RULES.iter().find(|r| r.name == rule).unwrap();
        let mut out = Vec::new();
        let facts = Facts::new(posture.clone());
        (r.check)(&Input::new(&facts), &mut out);
        assert!(out.iter().all(|f| f.lint == rule), "{out:#?}");
        out
    }

    const TENANT: &str =
        "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::integer)";

    #[test]
    fn a_clean_posture_has_no_findings() {
        let clean = Posture {
            roles: vec![role("app_user", true, false)],
            tables: vec![table("t", true, true, 1, &["app_user: SELECT"])],
            policies: vec![policy(
                "tenant",
                Mode::Permissive,
                Command::All,
                &["app_user"],
                TENANT,
            )],
            non_immutable: Some(BTreeSet::new()),
            ..Posture::default()
        };
        assert_eq!(run(&Facts::new(clean.clone()), None), vec![]);
    }

    #[test]
    fn table_rules() {
        let p = Posture {
            tables: vec![
                table("open", false, false, 0, &["PUBLIC: SELECT"]),
                table("private", false, false, 0, &[]),
                table("idle", false, false, 2, &[]),
                table("deny_all", true, true, 0, &[]),
                table("unforced", true, false, 1, &[]),
            ],
            ..Posture::default()
        };
        let objects =
            |rule| -> Vec<String> { found(rule, &p).into_iter().map(|f| f.object_name).collect() };
        assert_eq!(
            objects("rls_disabled"),
            ["open"],
            "no grants: nobody else reaches it"
        );
        assert_eq!(objects("policy_exists_rls_disabled"), ["idle"]);
        assert!(found("policy_exists_rls_disabled", &p)[0]
            .detail
            .starts_with("has 2 policies"));
        assert_eq!(objects("rls_enabled_no_policy"), ["deny_all"]);
        assert_eq!(objects("rls_not_forced"), ["unforced"]);
        assert_eq!(found("rls_not_forced", &p)[0].severity, Severity::Low);
        let mut login_owner = p.clone();
        login_owner.tables[4].owner_login = true;
        assert_eq!(
            found("rls_not_forced", &login_owner)[0].severity,
            Severity::High
        );
    }

    // One piece: one made-up posture exercises every policy rule side by side.
    #[test]
    fn policy_rules() {
        let p = Posture {
            roles: vec![role("app_user", true, false), role("batch", false, false)],
            policies: vec![
                policy(
                    "open",
                    Mode::Permissive,
                    Command::Select,
                    &["app_user"],
                    "true",
                ),
                policy(
                    "batch_open",
                    Mode::Permissive,
                    Command::All,
                    &["batch"],
                    "(1 = 1)",
                ),
                policy("noop", Mode::Restrictive, Command::All, &["public"], "true"),
                policy(
                    "everyone",
                    Mode::Permissive,
                    Command::Select,
                    &["public"],
                    TENANT,
                ),
                policy(
                    "strict",
                    Mode::Permissive,
                    Command::All,
                    &["app_user"],
                    "(tenant_id = (current_setting('app.tenant_id'::text))::integer)",
                ),
            ],
            non_immutable: Some([("pg_catalog".to_string(), "current_setting".to_string())].into()),
            ..Posture::default()
        };
        let sev: Vec<(String, Severity)> = found("policy_always_true", &p)
            .into_iter()
            .map(|f| (f.object_name, f.severity))
            .collect();
        assert_eq!(
            sev,
            [
                ("t.open".to_string(), Severity::Critical),
                ("t.batch_open".to_string(), Severity::High),
                ("t.noop".to_string(), Severity::Low),
            ]
        );
        let public: Vec<String> = found("policy_to_public", &p)
            .into_iter()
            .map(|f| f.object_name)
            .collect();
        assert_eq!(
            public,
            ["t.everyone"],
            "a restrictive policy to PUBLIC narrows"
        );
        let per_row = found("policy_per_row_function", &p);
        assert_eq!(per_row.len(), 2, "{per_row:#?}");
        assert!(per_row[0]
            .remediation
            .contains("(SELECT current_setting(…))"));
        let unknown = Posture {
            non_immutable: None,
            ..p.clone()
        };
        assert!(
            found("policy_per_row_function", &unknown).is_empty(),
            "not judged from a snapshot"
        );
        let missing_ok: Vec<String> = found("current_setting_without_missing_ok", &p)
            .into_iter()
            .map(|f| f.object_name)
            .collect();
        assert_eq!(missing_ok, ["t.strict"]);
        let overlap = found("multiple_permissive_policies", &p);
        assert_eq!(overlap.len(), 1);
        assert!(
            overlap[0].detail.contains("app_user SELECT: open, strict"),
            "{}",
            overlap[0].detail
        );
        assert!(
            !overlap[0].detail.contains("PUBLIC"),
            "{}",
            overlap[0].detail
        );
    }

    #[test]
    fn role_function_and_view_rules() {
        let p = Posture {
            roles: vec![role("etl", true, true), role("svc", false, true)],
            functions: vec![
                DefinerFunction {
                    schema_name: "app".into(),
                    name: "f".into(),
                    args: "integer".into(),
                    search_path: None,
                    public_writable: BTreeSet::new(),
                    procedure: false,
                },
                DefinerFunction {
                    schema_name: "app".into(),
                    name: "g".into(),
                    args: String::new(),
                    search_path: Some("pg_catalog, pg_temp".into()),
                    public_writable: BTreeSet::new(),
                    procedure: false,
                },
            ],
            views: vec![BypassingView {
                schema_name: "app".into(),
                view_name: "v".into(),
                owner: "owner".into(),
                tables: vec![("app".into(), "t".into(), "is a superuser".into())],
            }],
            ..Posture::default()
        };
        let bypass: Vec<String> = found("bypassrls_role", &p)
            .into_iter()
            .map(|f| f.object_name)
            .collect();
        assert_eq!(bypass, ["etl"], "NOLOGIN roles are not sessions");
        let definer = found("security_definer_search_path", &p);
        assert_eq!(definer.len(), 1);
        assert_eq!(
            (definer[0].object_name.as_str(), definer[0].severity),
            ("f(integer)", Severity::High)
        );
        assert_eq!(
            definer[0].remediation,
            "ALTER FUNCTION app.f(integer) SET search_path = pg_catalog, pg_temp;"
        );
        // a procedure is altered as one (ALTER FUNCTION refuses it)
        let mut q = p.clone();
        q.functions[0].procedure = true;
        assert_eq!(
            found("security_definer_search_path", &q)[0].remediation,
            "ALTER PROCEDURE app.f(integer) SET search_path = pg_catalog, pg_temp;"
        );
        let view = found("view_bypasses_rls", &p);
        assert_eq!(view[0].detail, "the view runs as its owner owner and so skips the row-level security of app.t (owner is a superuser)");
    }

    #[test]
    fn schema_filter_drops_role_findings_and_order_is_severity_first() {
        let p = Posture {
            roles: vec![role("etl", true, true)],
            tables: vec![
                table("idle", false, false, 1, &[]),
                table("deny_all", true, true, 0, &[]),
            ],
            ..Posture::default()
        };
        let all: Vec<&str> = run(&Facts::new(p.clone()), None)
            .iter()
            .map(|f| f.lint)
            .collect::<Vec<_>>();
        assert_eq!(
            all,
            [
                "policy_exists_rls_disabled",
                "bypassrls_role",
                "rls_enabled_no_policy"
            ]
        );
        let filtered = run(&Facts::new(p.clone()), Some(&[Some("app".to_string())]));
        assert_eq!(filtered.len(), 2);
        assert!(run(&Facts::new(p.clone()), Some(&[Some("other".to_string())])).is_empty());
    }

    #[test]
    fn split_keeps_the_silencing_row() {
        let f = found(
            "bypassrls_role",
            &Posture {
                roles: vec![role("etl", true, true)],
                ..Posture::default()
            },
        );
        let rule = Suppression {
            lint: "bypassrls_role".into(),
            schema_name: None,
            object: "etl".into(),
            reason: "ETL needs it".into(),
            added_by: "dba".into(),
            added_at: "t".into(),
        };
        let (open, silenced) = split_suppressed(f, std::slice::from_ref(&rule));
        assert!(open.is_empty());
        assert_eq!(silenced[0].1.reason, "ETL needs it");
    }

    #[test]
    fn object_keys_quote_each_part() {
        let f = Finding {
            lint: "policy_to_public",
            severity: Severity::Medium,
            schema_name: Some("Intake Ω".into()),
            object_name: "forms.\"Read all\"".into(),
            detail: String::new(),
            remediation: String::new(),
        };
        assert_eq!(f.object_key(), "\"Intake Ω\".forms.\"Read all\"");
        let r = Finding {
            schema_name: None,
            object_name: "app_user".into(),
            ..f
        };
        assert_eq!(r.object_key(), "app_user");
    }

    /// The access facts of the SPEC's well-built schema: app.t owned by a
    /// NOLOGIN owner, ENABLE + FORCE, granted to app_user, with an
    /// invoker view over it.
    fn well_built_access() -> crate::model::AccessFacts {
        use crate::model::{AccessFacts, AccessRole, Grant, RelKind, Relation, SchemaUsage};
        let role = |n: &str, login: bool| AccessRole {
            name: n.into(),
            superuser: false,
            bypassrls: false,
            login,
        };
        let rel = |name: &str, kind: RelKind, grants: Vec<Grant>| Relation {
            schema: "app".into(),
            name: name.into(),
            kind,
            owner: "owner".into(),
            rls_enabled: kind.is_table(),
            rls_forced: kind.is_table(),
            security_invoker: kind == RelKind::View,
            parent: None,
            updatable: vec![],
            grants,
            reads: if kind.is_table() {
                vec![]
            } else {
                vec![("app".into(), "t".into())]
            },
            rules: vec![],
            cascades: Vec::new(),
            truncate: Vec::new(),
        };
        let g = |who: &str, cmd: Command| Grant {
            grantee: who.into(),
            command: cmd,
            columns: false,
        };
        AccessFacts {
            roles: vec![role("app_user", true), role("owner", false)],
            memberships: vec![],
            schemas: vec![SchemaUsage {
                schema: "app".into(),
                usage: vec!["owner".into(), "app_user".into()],
            }],
            relations: vec![
                rel(
                    "t",
                    RelKind::Table,
                    vec![
                        g("owner", Command::Select),
                        g("app_user", Command::Select),
                        g("app_user", Command::Update),
                    ],
                ),
                rel("v", RelKind::View, vec![g("app_user", Command::Select)]),
            ],
            functions: vec![],
        }
    }

    fn well_built() -> Posture {
        let mut tenant = policy(
            "tenant",
            Mode::Permissive,
            Command::All,
            &["app_user"],
            TENANT,
        );
        tenant.check_expr = Some(TENANT.into());
        Posture {
            roles: vec![role("app_user", true, false), role("owner", false, false)],
            tables: vec![table("t", true, true, 1, &["app_user: SELECT, UPDATE"])],
            policies: vec![tenant],
            access: Some(well_built_access()),
            non_immutable: Some(BTreeSet::from([(
                "pg_catalog".to_string(),
                "current_setting".to_string(),
            )])),
            ..Posture::default()
        }
    }

    #[test]
    fn the_well_built_schema_has_nothing_above_low() {
        let all = run(&Facts::new(well_built()), None);
        assert!(all.iter().all(|f| f.severity >= Severity::Low), "{all:#?}");
    }

    #[test]
    fn round_two_rules_fire_on_their_fixtures() {
        use crate::model::{DefinerPath, Membership, RelKind};
        // a matview over t, readable by app_user
        let mut p = well_built();
        let facts = p.access.as_mut().unwrap();
        facts.relations[1].kind = RelKind::Matview;
        let f = found("materialized_view_exposes_rls", &p);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].remediation, "REVOKE SELECT ON app.v FROM app_user;");

        // app_user may SET ROLE to a BYPASSRLS role; inherits the owner
        let mut p = well_built();
        let facts = p.access.as_mut().unwrap();
        facts.roles.push(crate::model::AccessRole {
            name: "admin".into(),
            superuser: false,
            bypassrls: true,
            login: false,
        });
        facts.memberships.push(Membership {
            role: "admin".into(),
            member: "app_user".into(),
            inherit: false,
            set: true,
        });
        assert_eq!(
            found("role_can_bypass_rls", &p)[0].remediation,
            "REVOKE admin FROM app_user;"
        );
        assert!(
            found("member_of_table_owner", &p).is_empty(),
            "forced: the owner's membership is harmless"
        );
        let facts = p.access.as_mut().unwrap();
        facts.memberships.push(Membership {
            role: "owner".into(),
            member: "app_user".into(),
            inherit: true,
            set: true,
        });
        facts.relations[0].rls_forced = false;
        assert_eq!(
            found("member_of_table_owner", &p)[0].remediation,
            "ALTER TABLE app.t FORCE ROW LEVEL SECURITY;"
        );

        // a definer function owned by the (unforced) owner, PUBLIC may run it
        let mut p = well_built();
        let facts = p.access.as_mut().unwrap();
        facts.relations[0].rls_forced = false;
        facts.functions.push(DefinerPath {
            schema: "app".into(),
            name: "all_rows".into(),
            args: "".into(),
            owner: "owner".into(),
            executors: vec!["public".into()],
            reads: vec![(("app".into(), "t".into()), true)],
            ..Default::default()
        });
        let f = found("security_definer_exposes_rls", &p);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object_name, "all_rows()");
        assert!(f[0]
            .remediation
            .starts_with("ALTER FUNCTION app.all_rows() SECURITY INVOKER;"));

        // only restrictive policies for a granted table
        let mut p = well_built();
        p.policies[0].permissive = Mode::Restrictive;
        assert_eq!(found("restrictive_only", &p).len(), 1);

        // UPDATE USING true next to a scoped SELECT
        let mut p = well_built();
        p.policies.push(policy(
            "upd",
            Mode::Permissive,
            Command::Update,
            &["app_user"],
            "true",
        ));
        let f = found("write_policy_unconditional", &p);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].remediation,
            format!("ALTER POLICY upd ON app.t USING ({TENANT});")
        );

        // rls_enabled_no_policy: medium with a grant, info without
        let mut p = well_built();
        p.policies.clear();
        p.tables[0].policies = 0;
        assert_eq!(
            found("rls_enabled_no_policy", &p)[0].severity,
            Severity::Medium
        );
        p.tables[0].grants.clear();
        assert_eq!(
            found("rls_enabled_no_policy", &p)[0].severity,
            Severity::Info
        );

        // without access facts (an old snapshot) the access rules are silent
        let mut p = well_built();
        p.access = None;
        p.policies[0].permissive = Mode::Restrictive;
        assert!(found("role_can_bypass_rls", &p).is_empty());
    }

    #[test]
    fn per_row_function_keeps_to_user_functions_and_current_setting() {
        let mut p = well_built();
        p.policies[0].using_expr =
            Some("((owner_id = auth.uid()) AND (created_at < now()))".into());
        p.policies[0].check_expr = None;
        p.non_immutable = Some(BTreeSet::from([
            ("auth".to_string(), "uid".to_string()),
            ("pg_catalog".to_string(), "now".to_string()),
        ]));
        let f = found("policy_per_row_function", &p);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].detail.contains("auth.uid()") && !f[0].detail.contains("now"),
            "{}",
            f[0].detail
        );
        p.policies[0].using_expr = Some("(owner_id = ( SELECT auth.uid() AS uid))".into());
        assert!(
            found("policy_per_row_function", &p).is_empty(),
            "a wrapped call is fine"
        );
    }
}
