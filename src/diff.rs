//! The diff: the difference between two states, as typed drift rows with
//! a severity. Pure: `drift()`, `assert_no_drift()`, `check_drift()`,
//! `untracked_changes()`, the restore plan and the report all build on
//! [`diff`], so they can never disagree about what changed. The severity
//! rules are the README's table "Severity rules".
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::access::{Model, Reach, COMMANDS};
use crate::expr::is_constant_true;
use crate::model::{
    self, Access, AccessFacts, Change, Command, Identity, Mode, Policy, Severity, State, Table,
};
use crate::render::render_create_policy;

/// One drift row, with the columns of `rls_audit.drift()`.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub(crate) struct DriftRow {
    pub(crate) severity: Severity,
    pub(crate) change: Change,
    pub(crate) schema_name: Option<String>,
    pub(crate) table_name: Option<String>,
    pub(crate) policy_name: Option<String>,
    pub(crate) attribute: Option<String>,
    pub(crate) baseline_value: Option<String>,
    pub(crate) current_value: Option<String>,
    pub(crate) detail: String,
}

impl DriftRow {
    /// SPEC order: severity, then schema, table, policy, attribute; NULLs
    /// last as SQL sorts them; the detail keeps role rows stable, and the
    /// change and the two values make the order total (`drift()` sorts
    /// by the same key in SQL terms: `api::drift::SORT_KEY`).
    pub(crate) fn sort_key(&self) -> impl Ord + '_ {
        fn nulls_last(v: &Option<String>) -> (bool, &str) {
            (v.is_none(), v.as_deref().unwrap_or(""))
        }
        (
            (
                self.severity,
                nulls_last(&self.schema_name),
                nulls_last(&self.table_name),
                nulls_last(&self.policy_name),
                nulls_last(&self.attribute),
            ),
            self.detail.as_str(),
            self.change.as_sql(),
            nulls_last(&self.baseline_value),
            nulls_last(&self.current_value),
        )
    }
}

type TableKey<'a> = (&'a str, &'a str);
type PolicyKey<'a> = (&'a str, &'a str, &'a str);

fn policy_key(p: &Policy) -> PolicyKey<'_> {
    p.names()
}

fn qualified(schema: &str, table: &str) -> String {
    crate::ident::quote_qualified(schema, table)
}

fn roles_text(roles: &[String]) -> String {
    format!("{{{}}}", roles.join(","))
}

fn expr_text(e: &Option<String>) -> Option<String> {
    e.clone()
}

/// Which single commands a policy's command covers.
fn command_set(cmd: Command) -> BTreeSet<Command> {
    cmd.covers().iter().copied().collect()
}

/// Who a policy reaches, in the terms of the severity rules.
struct Audience<'a> {
    login_roles: BTreeSet<&'a str>,
}

impl Audience<'_> {
    /// The unconditional case: a permissive policy whose USING or CHECK is
    /// constant true for PUBLIC or a login role.
    fn is_open(&self, p: &Policy) -> bool {
        p.permissive == Mode::Permissive
            && (is_constant_true(p.using_expr.as_deref())
                || is_constant_true(p.check_expr.as_deref()))
            && p.reaches_people(&self.login_roles)
    }
}

/// Compare `base` (the baseline) with `cur` (a later snapshot or the live
/// state) and classify every difference. See the README's severity table.
pub(crate) fn diff(base: &State, cur: &State) -> Vec<DriftRow> {
    let mut rows = Vec::new();
    diff_each(base, cur, &mut |r| rows.push(r));
    rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    rows
}

/// [`diff`]'s rows, each handed to `out` as it is found, in no order.
fn diff_each(base: &State, cur: &State, out: &mut dyn FnMut(DriftRow)) {
    let audience = Audience {
        login_roles: cur
            .roles
            .iter()
            .filter(|r| r.can_login)
            .map(|r| r.role_name.as_str())
            .collect(),
    };
    let base_tables = tables_by_name(base);
    let cur_tables = tables_by_name(cur);
    diff_policies(base, cur, &base_tables, &cur_tables, &audience, out);
    diff_tables(base, &base_tables, &cur_tables, out);
    diff_roles(base, cur, out);
}

fn tables_by_name(s: &State) -> BTreeMap<TableKey<'_>, &Table> {
    s.tables
        .iter()
        .map(|t| ((t.schema_name.as_str(), t.table_name.as_str()), t))
        .collect()
}

/// Policies added, removed and changed.
/// One piece: added, removed and changed are the three halves of one comparison by key, and
/// each arm is a row of the README's severity table.
fn diff_policies(
    base: &State,
    cur: &State,
    base_tables: &BTreeMap<TableKey, &Table>,
    cur_tables: &BTreeMap<TableKey, &Table>,
    audience: &Audience,
    out: &mut dyn FnMut(DriftRow),
) {
    let base_pol: BTreeMap<PolicyKey, &Policy> =
        base.policies.iter().map(|p| (policy_key(p), p)).collect();
    let cur_pol: BTreeMap<PolicyKey, &Policy> =
        cur.policies.iter().map(|p| (policy_key(p), p)).collect();
    for (key, p) in &cur_pol {
        if base_pol.contains_key(key) {
            continue;
        }
        let table_is_new = !base_tables.contains_key(&(key.0, key.1));
        let (severity, why) = if audience.is_open(p) {
            (
                Severity::Critical,
                "permissive policy that is constantly true for PUBLIC or a login role",
            )
        } else if p.permissive == Mode::Restrictive {
            (Severity::Medium, "restrictive policy added: narrows access")
        } else if table_is_new {
            (Severity::Low, "permissive policy on a new table")
        } else {
            (Severity::High, "permissive policy added: widens access")
        };
        out(DriftRow {
            severity,
            change: Change::PolicyAdded,
            schema_name: Some(p.schema_name.clone()),
            table_name: Some(p.table_name.clone()),
            policy_name: Some(p.policy_name.clone()),
            attribute: None,
            baseline_value: None,
            current_value: Some(render_create_policy(p)),
            detail: format!(
                "{why} ({} {} to {})",
                p.permissive,
                p.command,
                roles_text(&p.roles)
            ),
        });
    }
    for (key, p) in &base_pol {
        if cur_pol.contains_key(key) {
            continue;
        }
        let table_gone = !cur_tables.contains_key(&(key.0, key.1));
        let (severity, why) = if table_gone {
            (Severity::Info, "policy removed with its table")
        } else if p.permissive == Mode::Restrictive {
            (Severity::High, "restrictive policy removed: widens access")
        } else {
            (
                Severity::Medium,
                "permissive policy removed: narrows access",
            )
        };
        out(DriftRow {
            severity,
            change: Change::PolicyRemoved,
            schema_name: Some(p.schema_name.clone()),
            table_name: Some(p.table_name.clone()),
            policy_name: Some(p.policy_name.clone()),
            attribute: None,
            baseline_value: Some(render_create_policy(p)),
            current_value: None,
            detail: format!(
                "{why} ({} {} to {})",
                p.permissive,
                p.command,
                roles_text(&p.roles)
            ),
        });
    }
    for (key, b) in &base_pol {
        if let Some(c) = cur_pol.get(key) {
            policy_changes(b, c, audience, out);
        }
    }
}

/// Tables added and removed, and their RLS flags flipped.
/// One piece: each arm is a row of the README's severity table, kept side by side so the
/// table and the code can be read against each other.
fn diff_tables(
    base: &State,
    base_tables: &BTreeMap<TableKey, &Table>,
    cur_tables: &BTreeMap<TableKey, &Table>,
    out: &mut dyn FnMut(DriftRow),
) {
    let tables_with_base_policies: BTreeSet<TableKey> = base
        .policies
        .iter()
        .map(|p| (p.schema_name.as_str(), p.table_name.as_str()))
        .collect();
    for (key, c) in cur_tables {
        match base_tables.get(key) {
            None => {
                let (severity, why) = if c.rls_enabled {
                    (Severity::Info, "new table, row-level security enabled")
                } else {
                    (Severity::Low, "new table without row-level security")
                };
                out(table_row(
                    severity,
                    Change::TableAdded,
                    c,
                    None,
                    None,
                    None,
                    why.into(),
                ));
            }
            Some(b) => {
                if b.rls_enabled && !c.rls_enabled {
                    let had_policies = tables_with_base_policies.contains(key);
                    let (severity, why) = if had_policies {
                        (Severity::Critical, "row-level security disabled on a table that has policies: every grant now sees every row")
                    } else {
                        (Severity::High, "row-level security disabled")
                    };
                    out(table_row(
                        severity,
                        Change::RlsDisabled,
                        c,
                        Some("rls_enabled"),
                        Some(true),
                        Some(false),
                        why.into(),
                    ));
                } else if !b.rls_enabled && c.rls_enabled {
                    out(table_row(
                        Severity::Medium,
                        Change::RlsEnabled,
                        c,
                        Some("rls_enabled"),
                        Some(false),
                        Some(true),
                        "row-level security enabled: narrows access".into(),
                    ));
                }
                if b.rls_forced && !c.rls_forced {
                    out(table_row(
                        Severity::High,
                        Change::RlsUnforced,
                        c,
                        Some("rls_forced"),
                        Some(true),
                        Some(false),
                        format!(
                            "FORCE removed: the owner ({}) bypasses the policies again",
                            c.owner
                        ),
                    ));
                } else if !b.rls_forced && c.rls_forced {
                    out(table_row(
                        Severity::Medium,
                        Change::RlsForced,
                        c,
                        Some("rls_forced"),
                        Some(false),
                        Some(true),
                        format!(
                            "FORCE added: the owner ({}) is now subject to the policies",
                            c.owner
                        ),
                    ));
                }
            }
        }
    }
    for (key, b) in base_tables {
        if !cur_tables.contains_key(key) {
            out(table_row(
                Severity::Low,
                Change::TableRemoved,
                b,
                None,
                None,
                None,
                "table no longer exists".into(),
            ));
        }
    }
}

/// Roles added and removed, and their RLS-relevant attributes flipped.
/// One piece: each arm is a row of the README's severity table, kept side by side so the
/// table and the code can be read against each other.
fn diff_roles(base: &State, cur: &State, out: &mut dyn FnMut(DriftRow)) {
    let base_roles: BTreeMap<&str, &model::Role> = base
        .roles
        .iter()
        .map(|r| (r.role_name.as_str(), r))
        .collect();
    let cur_roles: BTreeMap<&str, &model::Role> = cur
        .roles
        .iter()
        .map(|r| (r.role_name.as_str(), r))
        .collect();
    for (name, c) in &cur_roles {
        match base_roles.get(name) {
            None => {
                let (severity, why) = if c.superuser || c.bypassrls {
                    (
                        Severity::Critical,
                        "new role that bypasses row-level security",
                    )
                } else if c.can_login {
                    (Severity::Low, "new login role")
                } else {
                    (Severity::Info, "new role")
                };
                out(role_row(
                    severity,
                    Change::RoleAdded,
                    name,
                    None,
                    None,
                    None,
                    why,
                ));
            }
            Some(b) => {
                let attrs = [
                    ("superuser", b.superuser, c.superuser),
                    ("bypassrls", b.bypassrls, c.bypassrls),
                    ("can_login", b.can_login, c.can_login),
                ];
                for (attr, was, now) in attrs {
                    if was == now {
                        continue;
                    }
                    let (severity, why) = match (attr, now) {
                        ("superuser", true) => (
                            Severity::Critical,
                            "became superuser: bypasses row-level security",
                        ),
                        ("bypassrls", true) => (
                            Severity::Critical,
                            "gained BYPASSRLS: bypasses row-level security",
                        ),
                        ("can_login", true) => (
                            Severity::High,
                            "can log in now: its policies reach a person",
                        ),
                        ("superuser", false) => (Severity::Medium, "lost superuser"),
                        ("bypassrls", false) => (
                            Severity::Medium,
                            "lost BYPASSRLS: row-level security applies again",
                        ),
                        _ => (Severity::Medium, "can no longer log in"),
                    };
                    out(role_row(
                        severity,
                        Change::RoleChanged,
                        name,
                        Some(attr),
                        Some(was),
                        Some(now),
                        why,
                    ));
                }
            }
        }
    }
    for name in base_roles.keys() {
        if !cur_roles.contains_key(name) {
            out(role_row(
                Severity::Medium,
                Change::RoleRemoved,
                name,
                None,
                None,
                None,
                "role no longer exists",
            ));
        }
    }
}

fn table_row(
    severity: Severity,
    change: Change,
    t: &Table,
    attribute: Option<&str>,
    was: Option<bool>,
    now: Option<bool>,
    why: String,
) -> DriftRow {
    DriftRow {
        severity,
        change,
        schema_name: Some(t.schema_name.clone()),
        table_name: Some(t.table_name.clone()),
        policy_name: None,
        attribute: attribute.map(Into::into),
        baseline_value: was.map(|b| b.to_string()),
        current_value: now.map(|b| b.to_string()),
        detail: why,
    }
}

fn role_row(
    severity: Severity,
    change: Change,
    role: &str,
    attribute: Option<&str>,
    was: Option<bool>,
    now: Option<bool>,
    why: &str,
) -> DriftRow {
    DriftRow {
        severity,
        change,
        schema_name: None,
        table_name: None,
        policy_name: None,
        attribute: attribute.map(Into::into),
        baseline_value: was.map(|b| b.to_string()),
        current_value: now.map(|b| b.to_string()),
        detail: format!("role {}: {why}", crate::ident::quote_ident(role)),
    }
}

/// One row per changed attribute of a policy present in both states.
/// One piece: every attribute is judged by the same widening rule (a permissive policy
/// widens by growing, a restrictive one by shrinking), which reads best once.
fn policy_changes(b: &Policy, c: &Policy, audience: &Audience, out: &mut dyn FnMut(DriftRow)) {
    let restrictive = c.permissive == Mode::Restrictive;
    let open_now = audience.is_open(c);
    let mut push = |attribute: &str,
                    was: Option<String>,
                    now: Option<String>,
                    severity: Severity,
                    why: String| {
        out(DriftRow {
            severity,
            change: Change::PolicyChanged,
            schema_name: Some(c.schema_name.clone()),
            table_name: Some(c.table_name.clone()),
            policy_name: Some(c.policy_name.clone()),
            attribute: Some(attribute.into()),
            baseline_value: was,
            current_value: now,
            detail: why,
        });
    };
    // a change that makes the policy constantly true for people is critical
    let widening = |why: &str| {
        if open_now {
            (
                Severity::Critical,
                format!("{why}; the policy is now constantly true for PUBLIC or a login role"),
            )
        } else {
            (Severity::High, why.to_string())
        }
    };

    if b.permissive != c.permissive {
        let (sev, why) = if restrictive {
            (
                Severity::Medium,
                "PERMISSIVE became RESTRICTIVE: narrows access".to_string(),
            )
        } else {
            widening("RESTRICTIVE became PERMISSIVE: widens access")
        };
        push(
            "permissive",
            Some(b.permissive.to_string()),
            Some(c.permissive.to_string()),
            sev,
            why,
        );
    }
    if b.command != c.command {
        let (old, new) = (command_set(b.command), command_set(c.command));
        // a permissive policy on more commands grants more; a restrictive one restricts more
        let grows = !new.is_subset(&old);
        let shrinks = !old.is_subset(&new);
        let widens = if restrictive { shrinks } else { grows };
        let (sev, why) = if widens {
            widening(&format!(
                "command {} became {}: can widen access",
                b.command, c.command
            ))
        } else {
            (
                Severity::Medium,
                format!("command {} became {}: narrows access", b.command, c.command),
            )
        };
        push(
            "command",
            Some(b.command.to_string()),
            Some(c.command.to_string()),
            sev,
            why,
        );
    }
    if b.roles != c.roles {
        let as_set = |r: &[String]| -> BTreeSet<String> {
            if r.is_empty() {
                ["public".to_string()].into()
            } else {
                r.iter().cloned().collect()
            }
        };
        let (old, new) = (as_set(&b.roles), as_set(&c.roles));
        let to_public = new.contains("public") && !old.contains("public");
        let grows = to_public || !new.is_subset(&old);
        let shrinks = !old.is_subset(&new) || (old.contains("public") && !new.contains("public"));
        let widens = if restrictive { shrinks } else { grows };
        let (sev, why) = if widens {
            widening(if to_public {
                "roles widened to PUBLIC"
            } else {
                "roles changed: can widen access"
            })
        } else {
            (Severity::Medium, "roles narrowed".to_string())
        };
        push(
            "roles",
            Some(roles_text(&b.roles)),
            Some(roles_text(&c.roles)),
            sev,
            why,
        );
    }
    if b.using_expr != c.using_expr {
        let (sev, why) = widening("USING changed: rows visible may differ");
        push(
            "using",
            expr_text(&b.using_expr),
            expr_text(&c.using_expr),
            sev,
            why,
        );
    }
    if b.check_expr != c.check_expr {
        let (sev, why) = widening("WITH CHECK changed: rows writable may differ");
        push(
            "check",
            expr_text(&b.check_expr),
            expr_text(&c.check_expr),
            sev,
            why,
        );
    }
}

/// Two states made comparable: the baseline rewritten into the current
/// names where OIDs say an object was renamed (see [`crate::identity`]),
/// with the access facts of each side (None: a snapshot taken before
/// 0.3.0, whose access is unknown).
pub(crate) struct Compared {
    pub(crate) base_id: i64,
    pub(crate) base: State,
    pub(crate) cur: State,
    pub(crate) renamed: Vec<DriftRow>,
    pub(crate) base_access: Option<AccessFacts>,
    pub(crate) cur_access: Option<AccessFacts>,
}

impl Compared {
    /// The drift rows: the renames, then every difference, access
    /// included, in SPEC order.
    pub(crate) fn rows(&self) -> Vec<DriftRow> {
        let mut rows = Vec::new();
        self.each_row(&mut |r| rows.push(r));
        rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        rows
    }

    /// [`Compared::rows`] one at a time, as they are found, in no order:
    /// `drift()` sorts them outside memory (see `api::drift`), so a large
    /// drift is never held whole.
    pub(crate) fn each_row(&self, out: &mut dyn FnMut(DriftRow)) {
        self.renamed.iter().cloned().for_each(&mut *out);
        diff_each(&self.base, &self.cur, out);
        self.access_each(out);
    }

    /// `access_widened` / `access_narrowed` (SPEC §3 "Access model"): for
    /// every role both sides know that is a login, a policy's role or a
    /// grantee on either side (not a superuser on both), every table both sides have that is RLS-relevant on either
    /// side, and each command, the access levels compared. Widened to
    /// `all_rows` is critical, any other widening high, a narrowing
    /// medium. A side without access facts gives one `info` row saying the
    /// comparison is unknown, never a row per table.
    fn access_each(&self, out: &mut dyn FnMut(DriftRow)) {
        let (Some(bf), Some(cf)) = (&self.base_access, &self.cur_access) else {
            let which = if self.base_access.is_none() {
                "the baseline"
            } else {
                "the target"
            };
            return out(DriftRow {
                severity: Severity::Info,
                change: Change::AccessWidened,
                schema_name: None,
                table_name: None,
                policy_name: None,
                attribute: None,
                baseline_value: Some("unknown".into()),
                current_value: None,
                detail: format!(
                    "access unknown: {which} snapshot was taken before 0.3.0 and keeps no access facts (memberships, grants, paths); take a new snapshot to compare access"
                ),
            });
        };
        let (bm, cm) = (
            Model::new(bf, &self.base.policies),
            Model::new(cf, &self.cur.policies),
        );
        // the roles whose access is compared: those both sides know that
        // are not superusers on both, and that a person uses (login) or
        // that the posture names (a policy's role, a grantee) on either side
        let mut roles = bm.audience();
        roles.extend(cm.audience());
        roles.retain(|r| {
            bm.knows_role(r)
                && cm.knows_role(r)
                && !(bm.attrs(r).is_some_and(|a| a.superuser)
                    && cm.attrs(r).is_some_and(|a| a.superuser))
        });
        let tables_of = |f: &AccessFacts| -> BTreeSet<model::RelName> {
            f.relations
                .iter()
                .filter(|r| r.kind.is_table())
                .map(|r| (r.schema.clone(), r.name.clone()))
                .collect()
        };
        let (bt, ct) = (tables_of(bf), tables_of(cf));
        let relevant: BTreeSet<model::RelName> = bm
            .relevant_tables()
            .into_iter()
            .chain(cm.relevant_tables())
            .filter(|t| bt.contains(t) && ct.contains(t))
            .collect();
        // a table whose inputs are the same on both sides, under the same
        // roles, memberships and USAGE, reaches the same: not computed
        let same_roles =
            bf.roles == cf.roles && bf.memberships == cf.memberships && bf.schemas == cf.schemas;
        for t in &relevant {
            if same_roles && bm.same_inputs(&cm, t) {
                continue;
            }
            for role in &roles {
                for cmd in COMMANDS {
                    let (a, b) = (bm.reach(role, t, cmd), cm.reach(role, t, cmd));
                    if a.access != b.access {
                        out(access_row(role, t, cmd, &a, &b));
                    }
                }
            }
        }
        // a table the baseline does not have (`table_added`, renames
        // already followed): a role that reaches every row of it through a
        // grant — no RLS, or a policy that lets every row through — has
        // gained what RLS disabled on a table gives. Its owner, superusers
        // and BYPASSRLS roles are no news (their own rows are reported
        // elsewhere); a table already protected stays `table_added`'s
        // low / info.
        let before: BTreeSet<(&str, &str)> = self
            .base
            .tables
            .iter()
            .map(|t| (t.schema_name.as_str(), t.table_name.as_str()))
            .collect();
        // only a grant to someone else than the owner reaches it (the
        // cost stays with the new tables someone was given)
        let granted: BTreeSet<(&str, &str)> = cf
            .relations
            .iter()
            .filter(|r| r.kind.is_table() && r.grants.iter().any(|g| g.grantee != r.owner))
            .map(|r| (r.schema.as_str(), r.name.as_str()))
            .collect();
        for t in &self.cur.tables {
            let key = (t.schema_name.as_str(), t.table_name.as_str());
            if before.contains(&key) || !granted.contains(&key) {
                continue;
            }
            let name: model::RelName = (t.schema_name.clone(), t.table_name.clone());
            let absent = Reach::denied("the table is not in the baseline".into());
            for role in &roles {
                for cmd in COMMANDS {
                    let b = cm.reach(role, &name, cmd);
                    // the path's name says who: owner, bypassrls or superuser
                    // (SPEC's `via` vocabulary), whatever made RLS not apply
                    let who_it_is = b.via.as_deref().is_some_and(|v| {
                        ["owner", "bypassrls", "superuser"]
                            .iter()
                            .any(|p| v.starts_with(p))
                    });
                    if b.access == Access::AllRows && !who_it_is {
                        out(access_row(role, &name, cmd, &absent, &b));
                    }
                }
            }
        }
    }
}

/// One access change as a drift row.
fn access_row(role: &str, t: &model::RelName, cmd: Command, a: &Reach, b: &Reach) -> DriftRow {
    let widened = b.access > a.access;
    let (severity, change) = match (widened, b.access) {
        (true, Access::AllRows) => (Severity::Critical, Change::AccessWidened),
        (true, _) => (Severity::High, Change::AccessWidened),
        (false, _) => (Severity::Medium, Change::AccessNarrowed),
    };
    let r = crate::ident::quote_ident(role);
    let path = |x: &Reach| x.via.clone().unwrap_or_else(|| "no path".into());
    let detail = if widened {
        format!("{r} now reaches {} via {}: {}", b.access, path(b), b.detail)
    } else {
        format!(
            "{r} reached {} via {}; now {}: {}",
            a.access,
            path(a),
            b.access,
            b.detail
        )
    };
    DriftRow {
        severity,
        change,
        schema_name: Some(t.0.clone()),
        table_name: Some(t.1.clone()),
        policy_name: None,
        attribute: Some(cmd.as_sql().to_string()),
        baseline_value: Some(format!("{role}: {}", a.access)),
        current_value: Some(format!("{role}: {}", b.access)),
        detail,
    }
}

/// Rewrite access facts into the names the renames found (tables and
/// roles; all at once, so a swap of two names stays a swap).
pub(crate) fn rename_access(facts: &mut AccessFacts, renames: &[crate::identity::Rename]) {
    use crate::identity::Kind;
    let mut roles: BTreeMap<String, String> = BTreeMap::new();
    let mut tables: BTreeMap<model::RelName, model::RelName> = BTreeMap::new();
    for r in renames {
        match r.kind {
            Kind::Role => {
                roles.insert(r.old.0.clone(), r.new.0.clone());
            }
            Kind::Table => {
                tables.insert(
                    (r.old.0.clone(), r.old.1.clone()),
                    (r.new.0.clone(), r.new.1.clone()),
                );
            }
            Kind::Policy => {}
        }
    }
    if roles.is_empty() && tables.is_empty() {
        return;
    }
    let role = |n: &mut String| {
        if let Some(new) = roles.get(n.as_str()) {
            *n = new.clone();
        }
    };
    let table = |n: &mut model::RelName| {
        if let Some(new) = tables.get(n) {
            *n = new.clone();
        }
    };
    for r in &mut facts.roles {
        role(&mut r.name);
    }
    for m in &mut facts.memberships {
        role(&mut m.role);
        role(&mut m.member);
    }
    for s in &mut facts.schemas {
        s.usage.iter_mut().for_each(role);
    }
    for rel in &mut facts.relations {
        let mut name = (rel.schema.clone(), rel.name.clone());
        table(&mut name);
        (rel.schema, rel.name) = name;
        role(&mut rel.owner);
        rel.grants.iter_mut().for_each(|g| role(&mut g.grantee));
        rel.reads.iter_mut().for_each(table);
        if let Some(p) = &mut rel.parent {
            table(p);
        }
    }
    for f in &mut facts.functions {
        role(&mut f.owner);
        f.executors.iter_mut().for_each(role);
        f.reads.iter_mut().for_each(|(n, _)| table(n));
    }
    facts.canonicalize();
}

/// Align `base` with `cur` by identity: the renames found, rewritten into
/// `base` (and into the baseline's access facts).
pub(crate) fn align(
    base: &mut State,
    base_ids: &Identity,
    cur: &State,
    cur_ids: &Identity,
    base_access: Option<&mut AccessFacts>,
) -> Vec<DriftRow> {
    let renames = crate::identity::align(base, base_ids, cur, cur_ids);
    if let Some(facts) = base_access {
        rename_access(facts, &renames);
    }
    renames.into_iter().map(renamed_row).collect()
}

/// A rename as a drift row: `info`, the new names in the key columns, the
/// old and new name as the values.
pub(crate) fn renamed_row(r: crate::identity::Rename) -> DriftRow {
    use crate::identity::Kind;
    let (s, t, p) = r.new.clone();
    let (old, new, what, schema, table, policy) = match r.kind {
        Kind::Table => (
            qualified(&r.old.0, &r.old.1),
            qualified(&s, &t),
            "table renamed or moved to another schema",
            Some(s),
            Some(t),
            None,
        ),
        Kind::Policy => (
            crate::ident::quote_ident(&r.old.2),
            crate::ident::quote_ident(&p),
            "policy renamed",
            Some(s),
            Some(t),
            Some(p),
        ),
        Kind::Role => (
            crate::ident::quote_ident(&r.old.0),
            crate::ident::quote_ident(&s),
            "role renamed",
            None,
            None,
            None,
        ),
    };
    DriftRow {
        severity: Severity::Info,
        change: Change::Renamed,
        schema_name: schema,
        table_name: table,
        policy_name: policy,
        attribute: Some("name".into()),
        detail: format!("{what}: {old} is now {new} (the same object, followed by its OID)"),
        baseline_value: Some(old),
        current_value: Some(new),
    }
}

/// Render drift rows as lines for an error DETAIL or a WARNING.
pub(crate) fn describe(rows: &[DriftRow]) -> String {
    rows.iter()
        .map(|r| {
            let mut what = vec![r.change.as_sql().to_string()];
            if let (Some(s), Some(t)) = (&r.schema_name, &r.table_name) {
                what.push(qualified(s, t));
            }
            if let Some(p) = &r.policy_name {
                what.push(format!("policy {}", crate::ident::quote_ident(p)));
            }
            if let Some(a) = &r.attribute {
                what.push(a.clone());
            }
            format!("{}: {} — {}", r.severity.as_sql(), what.join(" "), r.detail)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Counts per severity, in vocabulary order.
pub(crate) fn counts(rows: &[DriftRow]) -> [i32; 5] {
    let mut n = [0i32; 5];
    for r in rows {
        n[r.severity as usize] += 1;
    }
    n
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::model::Role;

    fn pol(name: &str, permissive: &str, cmd: &str, roles: &[&str], using: Option<&str>) -> Policy {
        Policy {
            schema_name: "public".into(),
            table_name: "t".into(),
            policy_name: name.into(),
            permissive: permissive.parse().unwrap(),
            command: cmd.parse().unwrap(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using_expr: using.map(Into::into),
            check_expr: None,
        }
    }

    fn table(enabled: bool, forced: bool) -> Table {
        Table {
            schema_name: "public".into(),
            table_name: "t".into(),
            owner: "owner".into(),
            rls_enabled: enabled,
            rls_forced: forced,
        }
    }

    fn role(name: &str, sup: bool, bypass: bool, login: bool) -> Role {
        Role {
            role_name: name.into(),
            superuser: sup,
            bypassrls: bypass,
            can_login: login,
        }
    }

    fn state(policies: Vec<Policy>, tables: Vec<Table>) -> State {
        State {
            policies,
            tables,
            roles: vec![
                role("app", false, false, true),
                role("batch", false, false, false),
            ],
        }
    }

    const TENANT: &str = "(tenant_id = 1)";

    fn only(rows: Vec<DriftRow>) -> DriftRow {
        assert_eq!(rows.len(), 1, "{rows:#?}");
        rows.into_iter().next().unwrap()
    }

    #[test]
    fn identical_states_have_no_drift() {
        let s = state(
            vec![pol("p", "PERMISSIVE", "ALL", &["app"], Some(TENANT))],
            vec![table(true, true)],
        );
        assert!(diff(&s, &s.clone()).is_empty());
    }

    #[test]
    fn permissive_added_is_high() {
        let b = state(vec![], vec![table(true, false)]);
        let c = state(
            vec![pol("p", "PERMISSIVE", "SELECT", &["batch"], Some(TENANT))],
            vec![table(true, false)],
        );
        let r = only(diff(&b, &c));
        assert_eq!(
            (r.change, r.severity),
            (Change::PolicyAdded, Severity::High)
        );
        assert!(r
            .current_value
            .unwrap()
            .starts_with("CREATE POLICY p ON public.t"));
    }

    #[test]
    fn always_true_for_public_or_login_role_is_critical() {
        let b = state(vec![], vec![table(true, false)]);
        for (roles, expect) in [
            (&["public"][..], Severity::Critical),
            (&["app"][..], Severity::Critical), // app can log in
            (&["batch"][..], Severity::High),   // NOLOGIN: widening, not unconditional
        ] {
            let c = state(
                vec![pol(
                    "open",
                    "PERMISSIVE",
                    "ALL",
                    roles,
                    Some("((x = 1) OR true)"),
                )],
                vec![table(true, false)],
            );
            assert_eq!(only(diff(&b, &c)).severity, expect, "{roles:?}");
        }
    }

    #[test]
    fn restrictive_added_is_narrowing_and_removed_is_widening() {
        let with = state(
            vec![pol("r", "RESTRICTIVE", "ALL", &["public"], Some(TENANT))],
            vec![table(true, false)],
        );
        let without = state(vec![], vec![table(true, false)]);
        let added = only(diff(&without, &with));
        assert_eq!(
            (added.change, added.severity),
            (Change::PolicyAdded, Severity::Medium)
        );
        let removed = only(diff(&with, &without));
        assert_eq!(
            (removed.change, removed.severity),
            (Change::PolicyRemoved, Severity::High)
        );
        assert!(removed.baseline_value.unwrap().contains("AS RESTRICTIVE"));
    }

    #[test]
    fn permissive_removed_is_narrowing() {
        let with = state(
            vec![pol("p", "PERMISSIVE", "ALL", &["app"], Some(TENANT))],
            vec![table(true, false)],
        );
        let without = state(vec![], vec![table(true, false)]);
        let r = only(diff(&with, &without));
        assert_eq!(
            (r.change, r.severity),
            (Change::PolicyRemoved, Severity::Medium)
        );
    }

    #[test]
    fn rls_disabled_with_policies_is_critical_without_is_high() {
        let p = vec![pol("p", "PERMISSIVE", "ALL", &["app"], Some(TENANT))];
        let r = only(diff(
            &state(p.clone(), vec![table(true, false)]),
            &state(p, vec![table(false, false)]),
        ));
        assert_eq!(
            (r.change, r.severity),
            (Change::RlsDisabled, Severity::Critical)
        );
        assert_eq!(
            (r.baseline_value.as_deref(), r.current_value.as_deref()),
            (Some("true"), Some("false"))
        );
        let r = only(diff(
            &state(vec![], vec![table(true, false)]),
            &state(vec![], vec![table(false, false)]),
        ));
        assert_eq!(
            (r.change, r.severity),
            (Change::RlsDisabled, Severity::High)
        );
    }

    #[test]
    fn enabling_and_forcing_narrow_unforcing_widens() {
        let r = only(diff(
            &state(vec![], vec![table(false, false)]),
            &state(vec![], vec![table(true, false)]),
        ));
        assert_eq!(
            (r.change, r.severity),
            (Change::RlsEnabled, Severity::Medium)
        );
        let r = only(diff(
            &state(vec![], vec![table(true, false)]),
            &state(vec![], vec![table(true, true)]),
        ));
        assert_eq!(
            (r.change, r.severity),
            (Change::RlsForced, Severity::Medium)
        );
        let r = only(diff(
            &state(vec![], vec![table(true, true)]),
            &state(vec![], vec![table(true, false)]),
        ));
        assert_eq!(
            (r.change, r.severity),
            (Change::RlsUnforced, Severity::High)
        );
    }

    #[test]
    fn using_changed_is_high_and_critical_when_it_becomes_true() {
        let b = state(
            vec![pol("p", "PERMISSIVE", "ALL", &["batch"], Some(TENANT))],
            vec![table(true, false)],
        );
        let c = state(
            vec![pol(
                "p",
                "PERMISSIVE",
                "ALL",
                &["batch"],
                Some("(tenant_id = 2)"),
            )],
            vec![table(true, false)],
        );
        let r = only(diff(&b, &c));
        assert_eq!(
            (r.change, r.attribute.as_deref(), r.severity),
            (Change::PolicyChanged, Some("using"), Severity::High)
        );
        let c = state(
            vec![pol("p", "PERMISSIVE", "ALL", &["app"], Some("true"))],
            vec![table(true, false)],
        );
        let rows = diff(&b, &c);
        assert_eq!(rows.len(), 2, "roles and using");
        assert!(
            rows.iter().all(|r| r.severity == Severity::Critical),
            "{rows:#?}"
        );
    }

    #[test]
    fn roles_widened_to_public_and_narrowed() {
        let b = state(
            vec![pol("p", "PERMISSIVE", "ALL", &["batch"], Some(TENANT))],
            vec![table(true, false)],
        );
        let c = state(
            vec![pol(
                "p",
                "PERMISSIVE",
                "ALL",
                &["batch", "public"],
                Some(TENANT),
            )],
            vec![table(true, false)],
        );
        let r = only(diff(&b, &c));
        assert_eq!(
            (r.attribute.as_deref(), r.severity),
            (Some("roles"), Severity::High)
        );
        assert_eq!(r.current_value.as_deref(), Some("{batch,public}"));
        let r = only(diff(&c, &b));
        assert_eq!(
            (r.attribute.as_deref(), r.severity),
            (Some("roles"), Severity::Medium)
        );
        // a restrictive policy that reaches fewer roles lets more through
        let rb = state(
            vec![pol(
                "r",
                "RESTRICTIVE",
                "ALL",
                &["batch", "app"],
                Some(TENANT),
            )],
            vec![table(true, false)],
        );
        let rc = state(
            vec![pol("r", "RESTRICTIVE", "ALL", &["batch"], Some(TENANT))],
            vec![table(true, false)],
        );
        assert_eq!(only(diff(&rb, &rc)).severity, Severity::High);
    }

    #[test]
    fn command_and_permissive_flips() {
        let b = state(
            vec![pol("p", "PERMISSIVE", "SELECT", &["batch"], Some(TENANT))],
            vec![table(true, false)],
        );
        let c = state(
            vec![pol("p", "PERMISSIVE", "ALL", &["batch"], Some(TENANT))],
            vec![table(true, false)],
        );
        assert_eq!(only(diff(&b, &c)).severity, Severity::High);
        assert_eq!(only(diff(&c, &b)).severity, Severity::Medium);
        let r = state(
            vec![pol("p", "RESTRICTIVE", "SELECT", &["batch"], Some(TENANT))],
            vec![table(true, false)],
        );
        let row = only(diff(&b, &r));
        assert_eq!(
            (row.attribute.as_deref(), row.severity),
            (Some("permissive"), Severity::Medium)
        );
        assert_eq!(only(diff(&r, &b)).severity, Severity::High);
    }

    #[test]
    fn roles_gaining_bypass_are_critical() {
        let b = state(vec![], vec![]);
        let mut c = b.clone();
        c.roles[1].bypassrls = true;
        let r = only(diff(&b, &c));
        assert_eq!(
            (r.change, r.attribute.as_deref(), r.severity),
            (Change::RoleChanged, Some("bypassrls"), Severity::Critical)
        );
        assert!(r.detail.starts_with("role batch:"));
        let mut d = b.clone();
        d.roles.push(role("root2", true, false, true));
        assert_eq!(only(diff(&b, &d)).severity, Severity::Critical);
        let mut e = b.clone();
        e.roles.push(role("plain", false, false, false));
        assert_eq!(only(diff(&b, &e)).severity, Severity::Info);
        assert_eq!(only(diff(&e, &b)).change, Change::RoleRemoved);
    }

    #[test]
    fn new_protected_tables_are_info_unprotected_low() {
        let b = state(vec![], vec![]);
        let c = state(
            vec![pol("p", "PERMISSIVE", "ALL", &["batch"], Some(TENANT))],
            vec![table(true, true)],
        );
        let rows = diff(&b, &c);
        let sev: Vec<_> = rows.iter().map(|r| (r.change, r.severity)).collect();
        assert_eq!(
            sev,
            vec![
                (Change::PolicyAdded, Severity::Low),
                (Change::TableAdded, Severity::Info)
            ]
        );
        let c = state(vec![], vec![table(false, false)]);
        assert_eq!(only(diff(&b, &c)).severity, Severity::Low);
    }

    #[test]
    fn rows_are_ordered_by_severity_then_names() {
        let mut t2 = table(true, false);
        t2.table_name = "a".into();
        let b = state(
            vec![pol("p", "PERMISSIVE", "ALL", &["app"], Some(TENANT))],
            vec![table(true, false), t2.clone()],
        );
        let mut t2_off = t2.clone();
        t2_off.rls_enabled = false;
        let c = state(vec![], vec![table(false, false), t2_off]);
        let rows = diff(&b, &c);
        let order: Vec<_> = rows
            .iter()
            .map(|r| (r.severity, r.change, r.table_name.clone().unwrap()))
            .collect();
        assert_eq!(
            order,
            vec![
                (Severity::Critical, Change::RlsDisabled, "t".to_string()),
                (Severity::High, Change::RlsDisabled, "a".to_string()),
                (Severity::Medium, Change::PolicyRemoved, "t".to_string()),
            ]
        );
    }

    fn access_facts(extra: &[model::Membership]) -> AccessFacts {
        use model::{AccessRole, Grant, RelKind, Relation, SchemaUsage};
        let role = |n: &str, login: bool| AccessRole {
            name: n.into(),
            superuser: false,
            bypassrls: false,
            login,
        };
        AccessFacts {
            roles: vec![role("app", true), role("owner", false)],
            memberships: extra.to_vec(),
            schemas: vec![SchemaUsage {
                schema: "public".into(),
                usage: vec!["public".into()],
            }],
            relations: vec![Relation {
                schema: "public".into(),
                name: "t".into(),
                kind: RelKind::Table,
                owner: "owner".into(),
                rls_enabled: true,
                rls_forced: false,
                security_invoker: false,
                parent: None,
                updatable: vec![],
                grants: vec![Grant {
                    grantee: "app".into(),
                    command: Command::Select,
                    columns: false,
                }],
                reads: vec![],
                rules: vec![],
                cascades: Vec::new(),
                truncate: Vec::new(),
            }],
            functions: vec![],
        }
    }

    #[test]
    fn access_widening_and_narrowing_become_rows_and_unknown_is_one_row() {
        let state = State {
            policies: vec![pol("p", "PERMISSIVE", "ALL", &["app"], Some("(a = 1)"))],
            tables: vec![table(true, false)],
            roles: vec![],
        };
        let owner = model::Membership {
            role: "owner".into(),
            member: "app".into(),
            inherit: true,
            set: true,
        };
        let compared = |b: Option<AccessFacts>, c: Option<AccessFacts>| Compared {
            base_id: 1,
            base: state.clone(),
            cur: state.clone(),
            renamed: vec![],
            base_access: b,
            cur_access: c,
        };
        let plain = access_facts(&[]);
        let member = access_facts(&[owner]);
        assert!(compared(Some(plain.clone()), Some(plain.clone()))
            .rows()
            .is_empty());

        let rows = compared(Some(plain.clone()), Some(member.clone())).rows();
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.severity,
                    r.change,
                    r.attribute.clone().unwrap_or_default(),
                )
            })
            .collect();
        // SELECT: filtered -> all_rows; the owner's implicit rights are not
        // in these facts, so INSERT/UPDATE/DELETE stay denied
        assert_eq!(
            got,
            vec![(
                Severity::Critical,
                Change::AccessWidened,
                "SELECT".to_string()
            )]
        );
        assert_eq!(rows[0].baseline_value.as_deref(), Some("app: filtered"));
        assert_eq!(rows[0].current_value.as_deref(), Some("app: all_rows"));
        assert!(
            rows[0].detail.contains("owner via owner"),
            "{}",
            rows[0].detail
        );

        let rows = compared(Some(member), Some(plain.clone())).rows();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].severity, rows[0].change),
            (Severity::Medium, Change::AccessNarrowed)
        );

        let rows = compared(None, Some(plain)).rows();
        assert_eq!(rows.len(), 1, "unknown is one row, not one per table");
        assert_eq!(rows[0].severity, Severity::Info);
        assert_eq!(rows[0].baseline_value.as_deref(), Some("unknown"));
        assert!(rows[0].detail.contains("before 0.3.0"));
    }
}
