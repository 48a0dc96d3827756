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

use crate::expr::{self, is_constant_true};
use crate::ident::{quote_ident, quote_qualified};
use crate::model::{Mode, Policy, Posture, Severity, TableFacts};
use crate::render::render_role;

/// One lint rule: its name (what `lint()` prints and `lint_ignore` names)
/// and the function that finds its findings.
pub(crate) struct Rule {
    pub(crate) name: &'static str,
    pub(crate) check: fn(&Facts, &mut Vec<Finding>),
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
    for rule in RULES {
        let from = out.len();
        (rule.check)(posture, &mut out);
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

/// A [`Posture`] with each policy's function calls parsed once (every
/// rule that looks at calls, and the volatility read, share them).
pub(crate) struct Facts {
    posture: Posture,
    /// `expr::calls` of each policy's USING and WITH CHECK, by index
    calls: Vec<Vec<expr::Call>>,
}

impl Facts {
    pub(crate) fn new(posture: Posture) -> Facts {
        let calls = posture.policies.iter().map(calls_of).collect();
        Facts { posture, calls }
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

fn calls_of(p: &Policy) -> Vec<expr::Call> {
    [&p.using_expr, &p.check_expr]
        .into_iter()
        .flatten()
        .flat_map(|e| expr::calls(e))
        .collect()
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
fn rls_disabled(p: &Facts, out: &mut Vec<Finding>) {
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
fn policy_exists_rls_disabled(p: &Facts, out: &mut Vec<Finding>) {
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

/// RLS on without a policy: deny-all, perhaps on purpose.
fn rls_enabled_no_policy(p: &Facts, out: &mut Vec<Finding>) {
    for t in p
        .tables
        .iter()
        .filter(|t| t.table.rls_enabled && t.policies == 0)
    {
        out.push(table_finding(
            t,
            "rls_enabled_no_policy",
            Severity::Info,
            "row-level security is enabled without any policy: only the owner and BYPASSRLS roles see rows".into(),
            format!("CREATE POLICY ... ON {} for the roles that need rows, or leave it deny-all on purpose", qualified(t)),
        ));
    }
}

/// RLS on but not forced: the owner bypasses it (high when the owner is an
/// application login rather than a superuser or a NOLOGIN owner role).
fn rls_not_forced(p: &Facts, out: &mut Vec<Finding>) {
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
fn policy_always_true(posture: &Facts, out: &mut Vec<Finding>) {
    let login = login_roles(posture);
    for p in &posture.policies {
        let using_true = is_constant_true(p.using_expr.as_deref());
        let check_true = is_constant_true(p.check_expr.as_deref());
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
fn policy_to_public(posture: &Facts, out: &mut Vec<Finding>) {
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

/// Calls of non-IMMUTABLE functions not wrapped in a sub-select run once
/// per row. Not judged when volatility is unknown (a snapshot).
fn policy_per_row_function(posture: &Facts, out: &mut Vec<Finding>) {
    let Some(volatile) = &posture.non_immutable else {
        return;
    };
    for (p, calls) in posture.policies_with_calls() {
        let per_row: BTreeSet<String> = calls
            .iter()
            .filter(|k| !k.in_subselect)
            .filter(|k| {
                volatile.contains(&(
                    k.schema.clone().unwrap_or_else(|| "pg_catalog".into()),
                    k.name.clone(),
                ))
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
fn current_setting_without_missing_ok(posture: &Facts, out: &mut Vec<Finding>) {
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
fn multiple_permissive_policies(posture: &Facts, out: &mut Vec<Finding>) {
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
fn bypassrls_role(posture: &Facts, out: &mut Vec<Finding>) {
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
fn security_definer_search_path(posture: &Facts, out: &mut Vec<Finding>) {
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
                    "ALTER FUNCTION {}.{object} SET search_path = pg_catalog, pg_temp;",
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
fn view_bypasses_rls(posture: &Facts, out: &mut Vec<Finding>) {
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
        assert_eq!(RULES.len(), 12);
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
        (r.check)(&Facts::new(posture.clone()), &mut out);
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
                },
                DefinerFunction {
                    schema_name: "app".into(),
                    name: "g".into(),
                    args: String::new(),
                    search_path: Some("pg_catalog, pg_temp".into()),
                    public_writable: BTreeSet::new(),
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
}
