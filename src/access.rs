//! The access model (SPEC §3 "Access model"): who reaches which rows of
//! which table, for each command, and by which path. Pure: the facts come
//! from `catalog::read_access` (or a snapshot), the policies from the
//! state; `access_matrix()`, access drift, the lint rules of round 2,
//! `verify_isolation`'s role checks and the report's access section all ask
//! this one [`Model`].
//!
//! How PostgreSQL decides, and so how the model does:
//! - a role acts with the privileges of every role it *inherits*
//!   (memberships with INHERIT, followed transitively) plus PUBLIC; role
//!   attributes (SUPERUSER, BYPASSRLS) are never inherited, but a role may
//!   `SET ROLE` to any role it reaches through memberships with SET, and
//!   then acts as that role: its attributes (a path to its bypass), its
//!   privileges and the policies for it (a path wherever that role reaches
//!   more than the role itself);
//! - RLS does not apply when it is off, to superusers and BYPASSRLS roles,
//!   or (unless forced) to the table's owner and every role inheriting it;
//! - otherwise the permissive policies for the command that apply to one of
//!   the inherited roles are OR-ed, the restrictive ones AND-ed on top; no
//!   permissive policy means no row;
//! - a view that is not `security_invoker` reads its tables as its owner,
//!   a materialized view holds what its owner saw (it has no RLS), a
//!   partition is its own table with its own flags and policies, a rule
//!   writes as its relation's owner, and a SECURITY DEFINER function reads
//!   and writes as its owner, for whoever may execute it or fire one of
//!   the triggers that run it, and a foreign key's referential action
//!   writes the referencing rows as their table's owner, without row-level
//!   security, for whoever deletes or updates the referenced ones.
use std::collections::{BTreeMap, BTreeSet};

use crate::expr::constant_value;
use crate::ident::{quote_ident, quote_qualified};
use crate::model::{
    Access, AccessFacts, AccessRole, Command, DefinerPath, Mode, Policy, RelName, Relation,
    RuleWrite,
};

/// The four commands a matrix row is about, in output order.
pub(crate) const COMMANDS: [Command; 4] = [
    Command::Select,
    Command::Insert,
    Command::Update,
    Command::Delete,
];

/// Predefined roles whose members hold privileges on every table (and
/// USAGE on every schema).
const READ_ALL: &str = "pg_read_all_data";
const WRITE_ALL: &str = "pg_write_all_data";

/// Deep enough for any real partition tree; a guard, not a limit.
const MAX_PARTITION_DEPTH: usize = 16;

/// How many foreign keys' actions a path follows in a row (a table that
/// references itself, or keys that form a cycle, would follow them
/// forever); deeper chains are judged by the role's own reach there.
const MAX_CASCADE_DEPTH: usize = 4;

/// What a role reaches through one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reach {
    pub(crate) access: Access,
    /// the path (None: denied on every path)
    pub(crate) via: Option<String>,
    /// the filtering policies, or why all rows or none pass
    pub(crate) detail: String,
    why: Why,
}

/// Why RLS let a path through, as far as the SET ROLE rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    Superuser,
    Bypass,
    Owner,
    Other,
}

impl Reach {
    /// RLS did not apply on this path because of who acts (superuser,
    /// BYPASSRLS, the owner of a table that is not forced).
    pub(crate) fn bypasses_rls(&self) -> bool {
        matches!(self.why, Why::Superuser | Why::Bypass | Why::Owner)
    }

    pub(crate) fn denied(detail: String) -> Reach {
        Reach {
            access: Access::Denied,
            via: None,
            detail,
            why: Why::Other,
        }
    }
}

/// What one table's reach is computed from, besides the roles (see
/// [`Model::same_inputs`]).
#[derive(PartialEq)]
struct Inputs<'a> {
    relation: Option<&'a Relation>,
    policies: Vec<&'a Policy>,
    readers: Vec<&'a Relation>,
    partitions: Vec<&'a Relation>,
    functions: Vec<(&'a DefinerPath, bool)>,
    /// definer functions writing it, and the relations whose triggers run
    /// them (their grants decide who fires them)
    writers: Vec<(&'a DefinerPath, Command, bool)>,
    firing: Vec<&'a Relation>,
}

/// One row of `access_matrix()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub(crate) role: String,
    pub(crate) schema: String,
    pub(crate) table: String,
    pub(crate) command: Command,
    pub(crate) reach: Reach,
}

/// A policy expression's value, decided once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    /// no expression for this command (a permissive one then adds nothing,
    /// a restrictive one restricts nothing)
    Absent,
    Const(bool),
    Depends,
}

/// An expression's value from its text (`None`: there is none) and its
/// constant value (`expr::constant_value`).
fn value(e: Option<&str>, constant: Option<bool>) -> Value {
    match e {
        None => Value::Absent,
        Some(_) => constant.map_or(Value::Depends, Value::Const),
    }
}

/// A policy with its USING and (for INSERT) WITH CHECK values.
struct Judged<'a> {
    policy: &'a Policy,
    using: Value,
    /// WITH CHECK, or USING when there is none (PostgreSQL's rule for ALL)
    check: Value,
}

impl Judged<'_> {
    fn value_for(&self, cmd: Command) -> Value {
        if cmd == Command::Insert {
            self.check
        } else {
            self.using
        }
    }
}

type Key<'a> = (&'a str, &'a str);

/// The facts, indexed once; every question is answered from here.
pub(crate) struct Model<'a> {
    roles: BTreeMap<&'a str, &'a AccessRole>,
    /// role → the roles whose privileges it has (itself included)
    inherits: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// role → the roles it may SET ROLE to (itself excluded)
    sets: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// role → the roles it may SET ROLE to whose own privileges and
    /// policies may reach more than its own ([`Model::set_path_may_widen`])
    wider_sets: BTreeMap<&'a str, Vec<&'a str>>,
    usage: BTreeMap<&'a str, BTreeSet<&'a str>>,
    relations: BTreeMap<Key<'a>, &'a Relation>,
    policies: BTreeMap<Key<'a>, Vec<Judged<'a>>>,
    /// table → views and materialized views reading it
    readers: BTreeMap<Key<'a>, Vec<&'a Relation>>,
    /// relation → (relation whose rule writes it, the rule's action)
    rule_writers: BTreeMap<Key<'a>, Vec<(&'a Relation, &'a RuleWrite)>>,
    /// table → its partitions
    partitions: BTreeMap<Key<'a>, Vec<&'a Relation>>,
    /// table → (definer function reading it, recorded by PostgreSQL)
    functions: BTreeMap<Key<'a>, Vec<(&'a DefinerPath, bool)>>,
    /// table → (definer function writing it, the command, recorded)
    writers: BTreeMap<Key<'a>, Vec<(&'a DefinerPath, Command, bool)>>,
    /// the empty role set, for roles the facts do not know
    none: BTreeSet<&'a str>,
}

fn key(n: &RelName) -> Key<'_> {
    (n.0.as_str(), n.1.as_str())
}

/// Every role reachable from `start` along `edges`, `start` included. The
/// visited set guards against cycles (PostgreSQL forbids them; a snapshot
/// from elsewhere might not).
fn reach_all<'a>(start: &'a str, edges: &BTreeMap<&'a str, Vec<&'a str>>) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::from([start]);
    let mut todo = vec![start];
    while let Some(r) = todo.pop() {
        for next in edges.get(r).into_iter().flatten() {
            if seen.insert(next) {
                todo.push(next);
            }
        }
    }
    seen
}

/// For each role, the roles it may SET ROLE to that may reach rows it does
/// not reach as itself. A role it also inherits (an INHERIT membership on
/// every step) gives nothing wider through its privileges: they are
/// already the role's own, and so are the permissive policies naming it.
/// What it may escape are restrictive policies naming one of the role's
/// own roles that it does not have. A role it does not inherit (NOINHERIT,
/// or a PostgreSQL 16 grant WITH INHERIT FALSE) may hold anything.
/// Bypassing roles are judged apart ([`Model::set_paths`]).
fn wider_sets<'a>(
    inherits: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    sets: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    policies: &BTreeMap<Key<'a>, Vec<Judged<'a>>>,
) -> BTreeMap<&'a str, Vec<&'a str>> {
    let restricted: BTreeSet<&str> = policies
        .values()
        .flatten()
        .filter(|j| j.policy.permissive == Mode::Restrictive)
        .flat_map(|j| j.policy.roles.iter().map(String::as_str))
        .collect();
    let none = BTreeSet::new();
    sets.iter()
        .map(|(&role, targets)| {
            let own = inherits.get(role).unwrap_or(&none);
            let wider = targets
                .iter()
                .copied()
                .filter(|s| {
                    !own.contains(s) || {
                        let theirs = inherits.get(s).unwrap_or(&none);
                        own.difference(theirs).any(|r| restricted.contains(r))
                    }
                })
                .collect();
            (role, wider)
        })
        .collect()
}

impl<'a> Model<'a> {
    pub(crate) fn new(facts: &'a AccessFacts, policies: &'a [Policy]) -> Model<'a> {
        let constants: Vec<(Option<bool>, Option<bool>)> = policies
            .iter()
            .map(|p| {
                (
                    p.using_expr.as_deref().and_then(constant_value),
                    p.check_expr.as_deref().and_then(constant_value),
                )
            })
            .collect();
        Model::with_constants(facts, policies, &constants)
    }

    /// [`Model::new`] with each policy's constant USING and WITH CHECK
    /// values already decided (`constants[i]` for `policies[i]`), as lint
    /// has them.
    pub(crate) fn with_constants(
        facts: &'a AccessFacts,
        policies: &'a [Policy],
        constants: &[(Option<bool>, Option<bool>)],
    ) -> Model<'a> {
        let roles: BTreeMap<&str, &AccessRole> =
            facts.roles.iter().map(|r| (r.name.as_str(), r)).collect();
        let mut inherit_edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut set_edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for m in &facts.memberships {
            if m.inherit {
                inherit_edges.entry(&m.member).or_default().push(&m.role);
            }
            if m.set {
                set_edges.entry(&m.member).or_default().push(&m.role);
            }
        }
        let inherits = roles
            .keys()
            .map(|r| (*r, reach_all(r, &inherit_edges)))
            .collect();
        let sets = roles
            .keys()
            .map(|r| {
                let mut s = reach_all(r, &set_edges);
                s.remove(r);
                (*r, s)
            })
            .collect();
        let usage = facts
            .schemas
            .iter()
            .map(|s| {
                (
                    s.schema.as_str(),
                    s.usage.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        let relations: BTreeMap<Key, &Relation> = facts
            .relations
            .iter()
            .map(|r| ((r.schema.as_str(), r.name.as_str()), r))
            .collect();
        let mut readers: BTreeMap<Key, Vec<&Relation>> = BTreeMap::new();
        let mut partitions: BTreeMap<Key, Vec<&Relation>> = BTreeMap::new();
        let mut rule_writers: BTreeMap<Key, Vec<(&Relation, &RuleWrite)>> = BTreeMap::new();
        for r in &facts.relations {
            for t in &r.reads {
                readers.entry(key(t)).or_default().push(r);
            }
            for w in &r.rules {
                rule_writers.entry(key(&w.target)).or_default().push((r, w));
            }
            if let Some(p) = &r.parent {
                partitions.entry(key(p)).or_default().push(r);
            }
        }
        let mut functions: BTreeMap<Key, Vec<(&DefinerPath, bool)>> = BTreeMap::new();
        let mut writers: BTreeMap<Key, Vec<(&DefinerPath, Command, bool)>> = BTreeMap::new();
        for f in &facts.functions {
            for (t, recorded) in &f.reads {
                functions.entry(key(t)).or_default().push((f, *recorded));
            }
            for (t, cmd, recorded) in &f.writes {
                writers
                    .entry(key(t))
                    .or_default()
                    .push((f, *cmd, *recorded));
            }
        }
        let mut by_table: BTreeMap<Key, Vec<Judged>> = BTreeMap::new();
        for (i, p) in policies.iter().enumerate() {
            let (u, c) = constants.get(i).copied().unwrap_or_default();
            let using = value(p.using_expr.as_deref(), u);
            let check = match p.check_expr.as_deref() {
                Some(e) => value(Some(e), c),
                None => using,
            };
            by_table
                .entry((p.schema_name.as_str(), p.table_name.as_str()))
                .or_default()
                .push(Judged {
                    policy: p,
                    using,
                    check,
                });
        }
        let wider_sets = wider_sets(&inherits, &sets, &by_table);
        Model {
            roles,
            inherits,
            sets,
            wider_sets,
            usage,
            relations,
            policies: by_table,
            readers,
            rule_writers,
            partitions,
            functions,
            writers,
            none: BTreeSet::new(),
        }
    }

    /// Does the role exist in these facts?
    pub(crate) fn knows_role(&self, role: &str) -> bool {
        self.roles.contains_key(role)
    }

    /// The roles a matrix shows by default: login roles that are not
    /// superusers.
    pub(crate) fn login_roles(&self) -> Vec<String> {
        self.roles
            .values()
            .filter(|r| r.login && !r.superuser)
            .map(|r| r.name.clone())
            .collect()
    }

    /// The roles whose access drift compares: login roles that are not
    /// superusers, and every role a policy names or a table grant goes to
    /// (an application role is often NOLOGIN, reached by SET ROLE).
    pub(crate) fn audience(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self.login_roles().into_iter().collect();
        for judged in self.policies.values().flatten() {
            out.extend(judged.policy.roles.iter().cloned());
        }
        for r in self.relations.values().filter(|r| r.kind.is_table()) {
            out.extend(r.grants.iter().map(|g| g.grantee.clone()));
        }
        out.retain(|r| {
            r != "public" && self.roles.contains_key(r.as_str()) && !r.starts_with("pg_")
        });
        out
    }

    /// The tables a matrix has rows for: RLS enabled, or policies, or a
    /// privilege held by a role other than the owner, or a rule of another
    /// relation writing it (for whoever may fire the rule there).
    pub(crate) fn relevant_tables(&self) -> Vec<RelName> {
        self.relations
            .values()
            .filter(|r| r.kind.is_table())
            .filter(|r| {
                r.rls_enabled
                    || self
                        .policies
                        .contains_key(&(r.schema.as_str(), r.name.as_str()))
                    || r.grants.iter().any(|g| g.grantee != r.owner)
                    || r.truncate.iter().any(|g| *g != r.owner)
                    || self
                        .rule_writers
                        .get(&(r.schema.as_str(), r.name.as_str()))
                        .is_some_and(|w| {
                            w.iter()
                                .any(|(y, _)| (&y.schema, &y.name) != (&r.schema, &r.name))
                        })
                    || self
                        .functions
                        .contains_key(&(r.schema.as_str(), r.name.as_str()))
                    || self
                        .writers
                        .contains_key(&(r.schema.as_str(), r.name.as_str()))
                    || !r.cascades.is_empty()
            })
            .map(|r| (r.schema.clone(), r.name.clone()))
            .collect()
    }

    /// The roles whose privileges `role` has, itself included (empty for
    /// a role the facts do not know).
    pub(crate) fn inherited(&self, role: &str) -> &BTreeSet<&'a str> {
        self.inherits.get(role).unwrap_or(&self.none)
    }

    /// The roles `role` may SET ROLE to, itself excluded.
    pub(crate) fn settable(&self, role: &str) -> &BTreeSet<&'a str> {
        self.sets.get(role).unwrap_or(&self.none)
    }

    /// A relation by name.
    pub(crate) fn relation(&self, name: &RelName) -> Option<&'a Relation> {
        self.relations.get(&key(name)).copied()
    }

    /// May `role` run `cmd` on `rel` at all (privilege and schema USAGE)?
    pub(crate) fn may(&self, role: &str, rel: &'a Relation, cmd: Command) -> bool {
        if self.attrs(role).is_some_and(|a| a.superuser) {
            return true;
        }
        let roles = self.inherited(role);
        self.has_usage(roles, &rel.schema) && self.privilege(role, roles, rel, cmd).is_some()
    }

    /// May `role` make the definer function `f` run: execute it, or, for a
    /// trigger function (which cannot be called), fire one of its triggers?
    pub(crate) fn may_run(&self, role: &str, f: &DefinerPath) -> bool {
        if f.trigger_only {
            !self.firings(role, f).is_empty()
        } else {
            self.may_execute(role, f)
        }
    }

    /// The triggers running `f` that `role` may fire: (trigger, an event
    /// of it the role may run, the trigger's relation).
    fn firings(&self, role: &str, f: &'a DefinerPath) -> Vec<(&'a str, Command, &'a Relation)> {
        f.fired_by
            .iter()
            .filter_map(|t| {
                let x = *self.relations.get(&key(&t.relation))?;
                let event = t.events.iter().copied().find(|&e| self.may(role, x, e))?;
                Some((t.name.as_str(), event, x))
            })
            .collect()
    }

    /// May `role` execute the definer function `f`?
    pub(crate) fn may_execute(&self, role: &str, f: &DefinerPath) -> bool {
        if self.attrs(role).is_some_and(|a| a.superuser) {
            return true;
        }
        let roles = self.inherited(role);
        self.has_usage(roles, &f.schema) && f.executors.iter().any(|e| held_by(roles, e))
    }

    /// The superuser or BYPASSRLS roles `role` inherits or may SET ROLE
    /// to (itself excluded), each with the attribute: (role, "SUPERUSER" or
    /// "BYPASSRLS"). Attributes are not inherited, but a role it inherits
    /// is also one it may become where SET allows; both are listed.
    pub(crate) fn bypassing_roles(&self, role: &str) -> Vec<(String, &'static str)> {
        let mut reach: BTreeSet<&str> = self.settable(role).clone();
        reach.extend(self.inherited(role));
        reach.remove(role);
        reach
            .into_iter()
            .filter_map(|r| {
                let a = self.attrs(r)?;
                let what = if a.superuser {
                    "SUPERUSER"
                } else if a.bypassrls {
                    "BYPASSRLS"
                } else {
                    return None;
                };
                Some((r.to_string(), what))
            })
            .collect()
    }

    /// The role's attributes.
    pub(crate) fn attrs(&self, role: &str) -> Option<&'a AccessRole> {
        self.roles.get(role).copied()
    }

    fn has_usage(&self, roles: &BTreeSet<&str>, schema: &str) -> bool {
        if roles.contains(READ_ALL) || roles.contains(WRITE_ALL) {
            return true;
        }
        self.usage
            .get(schema)
            .is_some_and(|u| u.contains("public") || u.iter().any(|g| roles.contains(g)))
    }

    /// The role holding `cmd` on `rel` for someone acting with `roles`:
    /// the actor itself or PUBLIC first, table-wide before column grants.
    /// (grantee, column-level only)
    fn privilege(
        &self,
        actor: &str,
        roles: &BTreeSet<&str>,
        rel: &'a Relation,
        cmd: Command,
    ) -> Option<(&'a str, bool)> {
        let best = rel
            .grants
            .iter()
            .filter(|g| g.command == cmd && held_by(roles, &g.grantee))
            .min_by_key(|g| (g.columns, holder_rank(actor, &g.grantee)));
        if let Some(g) = best {
            return Some((g.grantee.as_str(), g.columns));
        }
        let all = if cmd == Command::Select {
            READ_ALL
        } else {
            WRITE_ALL
        };
        roles.contains(all).then_some((all, false))
    }

    /// What `actor`, acting as itself, reaches in `rel` for `cmd`.
    pub(crate) fn direct(&self, actor: &str, rel: &'a Relation, cmd: Command) -> Reach {
        let attrs = self.attrs(actor);
        if attrs.is_some_and(|a| a.superuser) {
            return Reach {
                access: Access::AllRows,
                via: Some("superuser".into()),
                detail: "a superuser bypasses privileges and row-level security".into(),
                why: Why::Superuser,
            };
        }
        let roles = self.inherited(actor);
        if !self.has_usage(roles, &rel.schema) {
            return Reach::denied(format!("no USAGE on schema {}", quote_ident(&rel.schema)));
        }
        let Some((holder, columns)) = self.privilege(actor, roles, rel, cmd) else {
            return Reach::denied(format!("no {cmd} privilege"));
        };
        let owner_inherited = roles.contains(rel.owner.as_str());
        let grant_via = if holder == rel.owner && owner_inherited {
            owner_via(actor, &rel.owner)
        } else {
            held_via("grant", actor, holder)
        };
        let cols = if columns { " (on some columns)" } else { "" };
        if !rel.rls_enabled {
            return Reach {
                access: Access::AllRows,
                via: Some(grant_via),
                detail: format!("row-level security is disabled{cols}"),
                why: Why::Other,
            };
        }
        if attrs.is_some_and(|a| a.bypassrls) {
            return Reach {
                access: Access::AllRows,
                via: Some("bypassrls".into()),
                detail: format!("the role has BYPASSRLS{cols}"),
                why: Why::Bypass,
            };
        }
        if owner_inherited && !rel.rls_forced {
            return Reach {
                access: Access::AllRows,
                via: Some(owner_via(actor, &rel.owner)),
                detail: format!("the owner bypasses row-level security that is not forced{cols}"),
                why: Why::Owner,
            };
        }
        let (access, detail) = self.by_policies(roles, rel, cmd);
        Reach {
            access,
            via: Some(grant_via),
            detail: format!("{detail}{cols}"),
            why: Why::Other,
        }
    }

    /// What the policies let through for someone acting with `roles`.
    fn by_policies(
        &self,
        roles: &BTreeSet<&str>,
        rel: &Relation,
        cmd: Command,
    ) -> (Access, String) {
        let applicable: Vec<&Judged> = self
            .policies
            .get(&(rel.schema.as_str(), rel.name.as_str()))
            .into_iter()
            .flatten()
            .filter(|j| j.policy.command.covers().contains(&cmd))
            .filter(|j| {
                j.policy.applies_to_public()
                    || j.policy.roles.iter().any(|r| roles.contains(r.as_str()))
            })
            .collect();
        let (permissive, restrictive): (Vec<&Judged>, Vec<&Judged>) = applicable
            .into_iter()
            .partition(|j| j.policy.permissive == Mode::Permissive);
        let names = |js: &[&Judged], pick: fn(Value) -> bool| -> String {
            let mut v: Vec<String> = js
                .iter()
                .filter(|j| pick(j.value_for(cmd)))
                .map(|j| quote_ident(&j.policy.policy_name))
                .collect();
            v.sort();
            v.join(", ")
        };
        // a permissive policy without an expression for this command adds nothing
        let live: Vec<&Judged> = permissive
            .iter()
            .copied()
            .filter(|j| j.value_for(cmd) != Value::Absent)
            .collect();
        if live.is_empty() {
            return (
                Access::NoRows,
                format!("no permissive {cmd} policy applies: no row passes"),
            );
        }
        let false_restrictive = names(&restrictive, |v| v == Value::Const(false));
        if !false_restrictive.is_empty() {
            return (
                Access::NoRows,
                format!("restrictive polic(ies) {false_restrictive} are constantly false"),
            );
        }
        if live.iter().all(|j| j.value_for(cmd) == Value::Const(false)) {
            return (
                Access::NoRows,
                format!(
                    "permissive polic(ies) {} are constantly false",
                    names(&live, |_| true)
                ),
            );
        }
        let open = names(&live, |v| v == Value::Const(true));
        let restricting = names(&restrictive, |v| v == Value::Depends);
        if !open.is_empty() && restricting.is_empty() {
            return (
                Access::AllRows,
                format!(
                    "{open} {} constantly true",
                    if open.contains(", ") { "are" } else { "is" }
                ),
            );
        }
        let filtering = if open.is_empty() {
            names(&live, |v| v == Value::Depends)
        } else {
            String::new()
        };
        let detail = match (filtering.is_empty(), restricting.is_empty()) {
            (false, false) => format!("filtered by {filtering}; restricted by {restricting}"),
            (false, true) => format!("filtered by {filtering}"),
            _ => format!("restricted by {restricting}"),
        };
        (Access::Filtered, detail)
    }

    /// The widest of every path from `role` to `table` for `cmd`.
    pub(crate) fn reach(&self, role: &str, table: &RelName, cmd: Command) -> Reach {
        self.reach_at(role, table, cmd, 0)
    }

    /// [`Model::reach`], `depth` foreign keys' actions away from the table
    /// asked about.
    fn reach_at(&self, role: &str, table: &RelName, cmd: Command, depth: usize) -> Reach {
        let Some(rel) = self.relations.get(&key(table)).copied() else {
            return Reach::denied("no such table".into());
        };
        let best = self.own_reach(role, rel, cmd, depth);
        if best.access == Access::AllRows {
            return best;
        }
        widest(best, self.set_paths(role, rel, cmd, depth))
    }

    /// The widest path of `actor` acting as itself: its own privileges and
    /// policies, and the paths around them ([`Model::own_paths`]).
    fn own_reach(&self, actor: &str, rel: &'a Relation, cmd: Command, depth: usize) -> Reach {
        let best = self.direct(actor, rel, cmd);
        if best.access == Access::AllRows {
            return best;
        }
        widest(best, self.own_paths(actor, rel, cmd, depth))
    }

    /// The paths through the roles `role` may SET ROLE to: a session of
    /// the role may run any statement as them. A role that bypasses RLS
    /// here is a path to all rows (its attributes are not inherited); any
    /// other is a path to what it reaches as itself, where that may be
    /// more than the role's own ([`wider_sets`]).
    fn set_paths(&self, role: &str, rel: &'a Relation, cmd: Command, depth: usize) -> Vec<Reach> {
        let mut out = Vec::new();
        let mut bypassing = BTreeSet::new();
        for s in self.settable(role).iter().copied() {
            // direct()'s superuser, BYPASSRLS and unforced-owner cases:
            // change them together
            let attrs = self.attrs(s);
            let bypasses = attrs.is_some_and(|a| a.superuser)
                || (rel.rls_enabled
                    && (attrs.is_some_and(|a| a.bypassrls)
                        || (!rel.rls_forced && self.inherited(s).contains(rel.owner.as_str()))));
            if bypasses {
                bypassing.insert(s);
                let r = self.direct(s, rel, cmd);
                if r.access == Access::Denied {
                    continue;
                }
                let word = match r.why {
                    Why::Superuser => "superuser",
                    Why::Bypass => "bypassrls",
                    Why::Owner => "owner",
                    Why::Other => "grant",
                };
                out.push(through_set_role(role, s, word, r));
            }
        }
        for s in self.wider_sets.get(role).into_iter().flatten().copied() {
            if out.iter().any(|r| r.access == Access::AllRows) {
                break;
            }
            if bypassing.contains(s) {
                continue;
            }
            let r = self.own_reach(s, rel, cmd, depth);
            if r.access == Access::Denied {
                continue;
            }
            // a held privilege keeps its word; any other path its own name
            let word = r
                .via
                .as_deref()
                .and_then(|v| v.split(' ').next())
                .filter(|w| matches!(*w, "grant" | "owner" | "truncate"))
                .map(str::to_string);
            out.push(match word {
                Some(w) => through_set_role(role, s, &w, r),
                None => Reach {
                    detail: format!(
                        "{} may SET ROLE {}: {}",
                        quote_ident(role),
                        quote_ident(s),
                        r.detail
                    ),
                    ..r
                },
            });
        }
        out
    }

    /// Every path of `actor` besides its own privileges and policies on
    /// the table: views, materialized views, rules, TRUNCATE, partitions,
    /// definer functions and procedures (called, or run by triggers),
    /// foreign keys' actions.
    fn own_paths(&self, role: &str, rel: &'a Relation, cmd: Command, depth: usize) -> Vec<Reach> {
        let mut out = Vec::new();
        let table = (rel.schema.as_str(), rel.name.as_str());
        for v in self.readers.get(&table).into_iter().flatten() {
            let through = match v.kind {
                crate::model::RelKind::View if !v.security_invoker => {
                    (cmd == Command::Select || v.updatable.contains(&cmd)) && self.may(role, v, cmd)
                }
                crate::model::RelKind::Matview => cmd == Command::Select && self.may(role, v, cmd),
                _ => false,
            };
            if !through {
                continue;
            }
            let r = self.direct(&v.owner, rel, cmd);
            let (via, what) = if v.kind == crate::model::RelKind::Matview {
                (
                    format!("materialized view {}", quote_qualified(&v.schema, &v.name)),
                    format!(
                        "a materialized view has no row-level security; it holds what its owner {} saw",
                        quote_ident(&v.owner)
                    ),
                )
            } else {
                (
                    format!(
                        "view {} as {}",
                        quote_qualified(&v.schema, &v.name),
                        quote_ident(&v.owner)
                    ),
                    format!("the view reads as its owner {}", quote_ident(&v.owner)),
                )
            };
            if r.access > Access::Denied {
                out.push(Reach {
                    via: Some(via),
                    detail: format!("{what}: {}", r.detail),
                    ..r
                });
            }
        }
        // a rule on a relation the role may write runs its action as that
        // relation's owner
        for (y, w) in self.rule_writers.get(&table).into_iter().flatten() {
            if w.command != cmd || !self.may(role, y, w.event) {
                continue;
            }
            let r = self.direct(&y.owner, rel, cmd);
            if r.access > Access::Denied {
                out.push(Reach {
                    via: Some(format!(
                        "rule {} on {} as {}",
                        quote_ident(&w.name),
                        quote_qualified(&y.schema, &y.name),
                        quote_ident(&y.owner)
                    )),
                    detail: format!(
                        "{} on {} runs rule {} as its owner {}: {}",
                        w.event,
                        quote_qualified(&y.schema, &y.name),
                        quote_ident(&w.name),
                        quote_ident(&y.owner),
                        r.detail
                    ),
                    ..r
                });
            }
        }
        if cmd == Command::Delete && rel.kind.is_table() {
            if let Some(r) = self.truncate_path(role, rel) {
                out.push(r);
            }
        }
        self.partition_paths(role, rel, cmd, 0, &mut out);
        self.writer_paths(role, rel, cmd, &mut out);
        self.cascade_paths(role, rel, cmd, depth, &mut out);
        if cmd == Command::Select {
            for (f, recorded) in self.functions.get(&table).into_iter().flatten() {
                // a trigger function cannot be called; what it reads does
                // not come back to whoever fires it (README)
                if f.trigger_only || !self.may_execute(role, f) {
                    continue;
                }
                let r = self.direct(&f.owner, rel, cmd);
                if r.access == Access::Denied {
                    continue;
                }
                let how = if *recorded {
                    "reads it"
                } else {
                    "names it in its body (PostgreSQL records no dependency)"
                };
                out.push(Reach {
                    via: Some(format!(
                        "{} {} as {}",
                        f.kind(),
                        signature(f),
                        quote_ident(&f.owner)
                    )),
                    detail: format!("SECURITY DEFINER, {how}: {}", r.detail),
                    ..r
                });
            }
        }
        out
    }

    /// TRUNCATE on a table removes every row, and row security does not
    /// apply to it: for DELETE's question (which rows can the role remove)
    /// it is all of them.
    fn truncate_path(&self, role: &str, rel: &'a Relation) -> Option<Reach> {
        let roles = self.inherited(role);
        let holder = rel
            .truncate
            .iter()
            .filter(|g| held_by(roles, g))
            .min_by_key(|g| holder_rank(role, g))?;
        if !self.has_usage(roles, &rel.schema) {
            return None;
        }
        Some(Reach {
            access: Access::AllRows,
            via: Some(held_via("truncate", role, holder)),
            detail: "TRUNCATE privilege: TRUNCATE removes every row, and row-level security does not apply to it".into(),
            why: Why::Other,
        })
    }

    /// A SECURITY DEFINER function that writes `rel` with `cmd` writes as
    /// its owner, for whoever may execute it (unless it is a trigger
    /// function, which cannot be called) and for whoever may run an event
    /// of one of the triggers that run it on their relation (PostgreSQL
    /// checks no EXECUTE privilege for a trigger).
    fn writer_paths(&self, role: &str, rel: &'a Relation, cmd: Command, out: &mut Vec<Reach>) {
        for &(f, c, recorded) in self
            .writers
            .get(&(rel.schema.as_str(), rel.name.as_str()))
            .into_iter()
            .flatten()
        {
            if c != cmd {
                continue;
            }
            let callable = !f.trigger_only && self.may_execute(role, f);
            let fired = self.firings(role, f);
            if !callable && fired.is_empty() {
                continue;
            }
            let r = self.direct(&f.owner, rel, cmd);
            if r.access == Access::Denied {
                continue;
            }
            let function = signature(f);
            let how = if recorded {
                format!("its body runs {cmd} on it")
            } else {
                format!(
                    "its body names it after {} (PostgreSQL records no dependency)",
                    match cmd {
                        Command::Insert => "INSERT INTO",
                        Command::Update => "UPDATE",
                        _ => "DELETE FROM",
                    }
                )
            };
            if callable {
                out.push(Reach {
                    via: Some(format!(
                        "{} {function} as {}",
                        f.kind(),
                        quote_ident(&f.owner)
                    )),
                    detail: format!("SECURITY DEFINER, {how}: {}", r.detail),
                    ..r.clone()
                });
            }
            for (trigger, event, x) in fired {
                out.push(Reach {
                    via: Some(format!(
                        "trigger {} on {} as {}",
                        quote_ident(trigger),
                        quote_qualified(&x.schema, &x.name),
                        quote_ident(&f.owner)
                    )),
                    detail: format!(
                        "{event} on {} fires trigger {}, which runs the SECURITY DEFINER function {function}; {how}: {}",
                        quote_qualified(&x.schema, &x.name),
                        quote_ident(trigger),
                        r.detail
                    ),
                    ..r.clone()
                });
            }
        }
    }

    /// A foreign key of `rel` whose action runs `cmd` on the rows
    /// referencing what the role may delete or update in the parent, on
    /// any path (a parent's own foreign keys' actions included, up to
    /// [`MAX_CASCADE_DEPTH`] keys away; past that, as the role itself). The
    /// action runs as `rel`'s owner without row-level security, so it
    /// reaches every row referencing those: all of them when the role
    /// reaches all the parent's rows, else some.
    fn cascade_paths(
        &self,
        role: &str,
        rel: &'a Relation,
        cmd: Command,
        depth: usize,
        out: &mut Vec<Reach>,
    ) {
        for k in rel.cascades.iter().filter(|k| k.command == cmd) {
            let Some(parent) = self.relations.get(&key(&k.parent)).copied() else {
                continue;
            };
            let p = if depth < MAX_CASCADE_DEPTH {
                self.reach_at(role, &k.parent, k.event, depth + 1)
            } else {
                self.direct(role, parent, k.event)
            };
            let access = match p.access {
                Access::AllRows => Access::AllRows,
                Access::Filtered => Access::Filtered,
                Access::Denied | Access::NoRows => continue,
            };
            let parent_name = quote_qualified(&parent.schema, &parent.name);
            out.push(Reach {
                access,
                via: Some(format!(
                    "foreign key {} to {parent_name} as {}",
                    quote_ident(&k.name),
                    quote_ident(&rel.owner)
                )),
                detail: format!(
                    "{} on {parent_name} runs {} of foreign key {} as {}, the owner of {}, without row-level security, on the rows referencing those {} reaches there{}: {}",
                    k.event,
                    k.action,
                    quote_ident(&k.name),
                    quote_ident(&rel.owner),
                    quote_qualified(&rel.schema, &rel.name),
                    quote_ident(role),
                    p.via.as_deref().map(|v| format!(" (via {v})")).unwrap_or_default(),
                    p.detail
                ),
                why: Why::Other,
            });
        }
    }

    /// Partitions reached directly: each is its own table, with its own
    /// flags and policies.
    fn partition_paths(
        &self,
        role: &str,
        rel: &Relation,
        cmd: Command,
        depth: usize,
        out: &mut Vec<Reach>,
    ) {
        if depth >= MAX_PARTITION_DEPTH {
            return;
        }
        for p in self
            .partitions
            .get(&(rel.schema.as_str(), rel.name.as_str()))
            .into_iter()
            .flatten()
        {
            let r = self.direct(role, p, cmd);
            if r.access > Access::Denied {
                out.push(Reach {
                    via: Some(format!("partition {}", quote_qualified(&p.schema, &p.name))),
                    detail: format!(
                        "queried directly, the partition applies its own RLS: {}",
                        r.detail
                    ),
                    ..r
                });
            }
            self.partition_paths(role, p, cmd, depth + 1, out);
        }
    }

    /// Does `table` have the same inputs here as in `other`, apart from
    /// roles, memberships and schema USAGE (the caller compares those
    /// once)? Its relation, its policies, the views and materialized views
    /// reading it, the definer functions reading it, and its partitions
    /// (each with its own policies and partitions). Equal inputs give
    /// equal reach for every role and command, so drift can skip the table.
    pub(crate) fn same_inputs(&self, other: &Model<'_>, table: &RelName) -> bool {
        self.same_table(other, key(table), 0)
    }

    fn same_table(&self, other: &Model<'_>, k: Key<'_>, depth: usize) -> bool {
        if depth >= MAX_PARTITION_DEPTH {
            return false;
        }
        let mine = self.inputs(k);
        mine == other.inputs(k)
            && mine
                .partitions
                .iter()
                .all(|p| self.same_table(other, (p.schema.as_str(), p.name.as_str()), depth + 1))
            // a parent's reach on any path decides what its foreign keys'
            // actions reach here (a key cycle ends at the depth guard:
            // recomputed, never skipped)
            && mine
                .relation
                .into_iter()
                .flat_map(|r| &r.cascades)
                .all(|c| self.same_table(other, key(&c.parent), depth + 1))
    }

    /// What a table's reach is computed from (besides roles), in a
    /// comparable order.
    fn inputs(&self, k: Key<'_>) -> Inputs<'a> {
        let mut policies: Vec<&'a Policy> = self
            .policies
            .get(&k)
            .into_iter()
            .flatten()
            .map(|j| j.policy)
            .collect();
        policies.sort_by(|a, b| a.policy_name.cmp(&b.policy_name));
        let mut readers: Vec<&'a Relation> = self.readers.get(&k).cloned().unwrap_or_default();
        readers.sort();
        let mut partitions: Vec<&'a Relation> =
            self.partitions.get(&k).cloned().unwrap_or_default();
        partitions.sort();
        let mut functions: Vec<(&'a DefinerPath, bool)> =
            self.functions.get(&k).cloned().unwrap_or_default();
        functions.sort();
        let mut writers: Vec<(&'a DefinerPath, Command, bool)> =
            self.writers.get(&k).cloned().unwrap_or_default();
        writers.sort();
        let mut firing: Vec<&'a Relation> = writers
            .iter()
            .flat_map(|(f, _, _)| &f.fired_by)
            .filter_map(|t| self.relations.get(&key(&t.relation)).copied())
            .collect();
        firing.sort();
        firing.dedup();
        Inputs {
            relation: self.relations.get(&k).copied(),
            policies,
            readers,
            partitions,
            functions,
            writers,
            firing,
        }
    }

    /// The matrix: one cell per role × relevant table × command, ordered
    /// by role, schema, table, command.
    pub(crate) fn matrix(&self, roles: &[String], schemas: Option<&BTreeSet<String>>) -> Vec<Cell> {
        let mut out = Vec::new();
        self.each_cell(roles, schemas, &mut |c| out.push(c));
        out
    }

    /// [`Model::matrix`]'s cells one at a time, in its order, never held
    /// together (`access_matrix()` stores each as it comes).
    pub(crate) fn each_cell(
        &self,
        roles: &[String],
        schemas: Option<&BTreeSet<String>>,
        out: &mut dyn FnMut(Cell),
    ) {
        let tables: Vec<RelName> = self
            .relevant_tables()
            .into_iter()
            .filter(|(s, _)| schemas.is_none_or(|keep| keep.contains(s)))
            .collect();
        let mut roles: Vec<&String> = roles.iter().collect();
        roles.sort();
        roles.dedup();
        for role in roles {
            for t in &tables {
                for cmd in COMMANDS {
                    out(Cell {
                        role: role.clone(),
                        schema: t.0.clone(),
                        table: t.1.clone(),
                        command: cmd,
                        reach: self.reach(role, t, cmd),
                    });
                }
            }
        }
    }
}

/// A word of a function body: unquoted (folded to lower case, as
/// PostgreSQL folds it) or quoted (as written), or a dot between two.
#[derive(PartialEq)]
pub(crate) enum Word {
    Plain(String),
    Quoted(String),
    Dot,
}

/// The words of a function body, in order; other characters separate them.
/// String literals are not skipped: the words of `EXECUTE 'DELETE FROM t'`
/// count like the body's own. Read once per body, for
/// [`named_in_body`] and [`written_in_body`].
pub(crate) fn words(body: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut chars = body.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '"' {
            let mut w = String::new();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        w.push('"');
                        continue;
                    }
                    break;
                }
                w.push(c);
            }
            out.push(Word::Quoted(w));
        } else if ch.is_alphabetic() || ch == '_' {
            let mut w = String::from(ch);
            while let Some(&c) = chars.peek() {
                if c.is_alphanumeric() || c == '_' || c == '$' {
                    w.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Word::Plain(w.to_lowercase()));
        } else if ch == '.' {
            out.push(Word::Dot);
        }
    }
    out
}

/// The relations among `candidates` a function body names: as an
/// unquoted identifier (any case, when the name is all lower case) or as a
/// quoted one. PostgreSQL records no dependency for a string body, so this
/// is the best that can be known; dynamic SQL (`EXECUTE format(...)`) that
/// builds the name stays invisible (README, "What the model cannot see").
pub(crate) fn named_in_body<'n>(
    words: &[Word],
    candidates: impl Iterator<Item = (&'n str, &'n str)>,
) -> Vec<RelName> {
    let named: BTreeSet<&str> = words
        .iter()
        .filter_map(|w| match w {
            Word::Plain(w) | Word::Quoted(w) => Some(w.as_str()),
            Word::Dot => None,
        })
        .collect();
    candidates
        .filter(|(_, name)| named.contains(name))
        .map(|(schema, name)| (schema.to_string(), name.to_string()))
        .collect()
}

/// What a function's string body writes among `candidates`: the relation
/// named right after `INSERT INTO`, `UPDATE [ONLY]`, `DELETE FROM [ONLY]`
/// or `MERGE INTO [ONLY]` (a MERGE may do all three), with its schema or
/// without (then every candidate of that name, as [`named_in_body`]
/// matches). Wider than the body may be (a keyword in a comment counts),
/// never narrower, except for a name built at run time.
pub(crate) fn written_in_body<'n>(
    words: &[Word],
    candidates: impl Iterator<Item = (&'n str, &'n str)>,
) -> Vec<(RelName, Command)> {
    let plain = |i: usize, w: &str| matches!(words.get(i), Some(Word::Plain(x)) if x == w);
    let name = |i: usize| match words.get(i) {
        Some(Word::Plain(x) | Word::Quoted(x)) => Some(x.as_str()),
        _ => None,
    };
    // (schema if written, name, commands)
    let mut targets: Vec<(Option<&str>, &str, &[Command])> = Vec::new();
    for i in 0..words.len() {
        let (at, commands): (usize, &[Command]) = if plain(i, "insert") && plain(i + 1, "into") {
            (i + 2, &[Command::Insert])
        } else if plain(i, "update") {
            (i + 1, &[Command::Update])
        } else if plain(i, "delete") && plain(i + 1, "from") {
            (i + 2, &[Command::Delete])
        } else if plain(i, "merge") && plain(i + 1, "into") {
            (i + 2, &[Command::Insert, Command::Update, Command::Delete])
        } else {
            continue;
        };
        let at = if plain(at, "only") && name(at + 1).is_some() {
            at + 1
        } else {
            at
        };
        let Some(first) = name(at) else { continue };
        match (words.get(at + 1), name(at + 2)) {
            (Some(Word::Dot), Some(second)) => targets.push((Some(first), second, commands)),
            _ => targets.push((None, first, commands)),
        }
    }
    let mut out = Vec::new();
    if targets.is_empty() {
        return out;
    }
    for (schema, name) in candidates {
        for (s, n, commands) in &targets {
            if *n == name && s.is_none_or(|s| s == schema) {
                for &c in *commands {
                    out.push(((schema.to_string(), name.to_string()), c));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Does a role acting with `roles` hold what `grantee` holds (it inherits
/// the grantee, or the grantee is PUBLIC)?
fn held_by(roles: &BTreeSet<&str>, grantee: &str) -> bool {
    grantee == "public" || roles.contains(grantee)
}

/// Which of the holders of a privilege a path names first: the actor
/// itself or PUBLIC, then the inherited roles by name.
fn holder_rank<'g>(actor: &str, holder: &'g str) -> (bool, &'g str) {
    (holder != actor && holder != "public", holder)
}

/// `word` when the actor itself or PUBLIC holds the privilege, else
/// `word via <holder>`.
fn held_via(word: &str, actor: &str, holder: &str) -> String {
    if holder == actor || holder == "public" {
        word.to_string()
    } else {
        format!("{word} via {}", quote_ident(holder))
    }
}

/// A definer function as paths name it: `schema.name(argument types)`.
fn signature(f: &DefinerPath) -> String {
    format!("{}({})", quote_qualified(&f.schema, &f.name), f.args)
}

/// The widest of `best` and `candidates` (the first of equals).
fn widest(mut best: Reach, candidates: Vec<Reach>) -> Reach {
    for cand in candidates {
        if cand.access > best.access {
            best = cand;
            if best.access == Access::AllRows {
                break;
            }
        }
    }
    best
}

/// `r`, reached by `role` after `SET ROLE s`, named `<word> via set role s`.
fn through_set_role(role: &str, s: &str, word: &str, r: Reach) -> Reach {
    Reach {
        via: Some(format!("{word} via set role {}", quote_ident(s))),
        detail: format!(
            "{} may SET ROLE {}: {}",
            quote_ident(role),
            quote_ident(s),
            r.detail
        ),
        ..r
    }
}

fn owner_via(actor: &str, owner: &str) -> String {
    if actor == owner {
        "owner".into()
    } else {
        format!("owner via {}", quote_ident(owner))
    }
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::model::{Grant, Membership, RelKind, SchemaUsage};

    fn role(name: &str, login: bool) -> AccessRole {
        AccessRole {
            name: name.into(),
            superuser: false,
            bypassrls: false,
            login,
        }
    }

    fn grant(who: &str, cmd: Command) -> Grant {
        Grant {
            grantee: who.into(),
            command: cmd,
            columns: false,
        }
    }

    fn table(name: &str, owner: &str, rls: bool, forced: bool, grants: Vec<Grant>) -> Relation {
        Relation {
            schema: "s".into(),
            name: name.into(),
            kind: RelKind::Table,
            owner: owner.into(),
            rls_enabled: rls,
            rls_forced: forced,
            security_invoker: false,
            parent: None,
            updatable: vec![],
            grants,
            reads: vec![],
            rules: vec![],
            cascades: Vec::new(),
            truncate: Vec::new(),
        }
    }

    fn pol(name: &str, mode: Mode, cmd: Command, roles: &[&str], using: &str) -> Policy {
        Policy {
            schema_name: "s".into(),
            table_name: "t".into(),
            policy_name: name.into(),
            permissive: mode,
            command: cmd,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using_expr: Some(using.into()),
            check_expr: None,
        }
    }

    fn facts() -> AccessFacts {
        AccessFacts {
            roles: vec![
                role("app", true),
                role("owner", false),
                role("reader", false),
                AccessRole {
                    bypassrls: true,
                    ..role("admin", false)
                },
            ],
            memberships: vec![],
            schemas: vec![SchemaUsage {
                schema: "s".into(),
                usage: vec!["public".into(), "owner".into()],
            }],
            relations: vec![table(
                "t",
                "owner",
                true,
                false,
                vec![
                    grant("owner", Command::Select),
                    grant("reader", Command::Select),
                ],
            )],
            functions: vec![],
        }
    }

    /// View `v`, owned by `owner`, reading `t`; `app` may SELECT it.
    fn view_of_t() -> Relation {
        let mut v = table(
            "v",
            "owner",
            false,
            false,
            vec![grant("app", Command::Select)],
        );
        v.kind = RelKind::View;
        v.reads = vec![t()];
        v
    }

    fn t() -> RelName {
        ("s".into(), "t".into())
    }

    fn member(role: &str, member: &str, inherit: bool, set: bool) -> Membership {
        Membership {
            role: role.into(),
            member: member.into(),
            inherit,
            set,
        }
    }

    #[test]
    fn no_privilege_is_denied_and_a_grant_via_a_role_is_named() {
        let policies = vec![pol(
            "tenant",
            Mode::Permissive,
            Command::All,
            &["public"],
            "(tenant_id = 1)",
        )];
        let f = facts();
        let m = Model::new(&f, &policies);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(r.access, Access::Denied);
        assert_eq!(r.via, None);

        let mut f = facts();
        f.memberships.push(member("reader", "app", true, true));
        let m = Model::new(&f, &policies);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(r.access, Access::Filtered);
        assert_eq!(r.via.as_deref(), Some("grant via reader"));
        assert_eq!(r.detail, "filtered by tenant");
        assert_eq!(m.reach("app", &t(), Command::Delete).access, Access::Denied);
    }

    #[test]
    fn an_inherited_role_is_a_wider_path_only_past_a_restrictive_policy_on_the_role() {
        let mut f = facts();
        f.memberships.push(member("reader", "app", true, true));
        let mut policies = vec![pol(
            "tenant",
            Mode::Permissive,
            Command::All,
            &["public"],
            "tenant_id = 1",
        )];
        let m = Model::new(&f, &policies);
        // nothing holds app back that does not hold the reader back
        assert!(m.wider_sets.get("app").is_some_and(Vec::is_empty));
        // a restrictive policy on app alone: the reader escapes it
        policies.push(pol(
            "not_app",
            Mode::Restrictive,
            Command::Select,
            &["app"],
            "false",
        ));
        let m = Model::new(&f, &policies);
        assert_eq!(m.wider_sets.get("app"), Some(&vec!["reader"]));
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::Filtered, Some("grant via set role reader"))
        );
        // without SET (PostgreSQL 16+), no path
        f.memberships[0].set = false;
        let m = Model::new(&f, &policies);
        assert_eq!(m.reach("app", &t(), Command::Select).access, Access::NoRows);
    }

    #[test]
    fn inheriting_the_owner_skips_rls_unless_forced() {
        let mut f = facts();
        f.memberships.push(member("owner", "app", true, true));
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::AllRows, Some("owner via owner"))
        );

        f.relations[0].rls_forced = true;
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(r.access, Access::NoRows, "forced, no policy: {r:?}");
    }

    #[test]
    fn set_only_membership_gives_what_that_role_reaches() {
        let mut f = facts();
        // SET without INHERIT to the reader: its grant and its policies,
        // after SET ROLE
        f.memberships.push(member("reader", "app", false, true));
        let open = vec![pol(
            "open",
            Mode::Permissive,
            Command::Select,
            &["reader"],
            "true",
        )];
        let m = Model::new(&f, &open);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(
            (r.access, r.via.as_deref(), r.detail.as_str()),
            (
                Access::AllRows,
                Some("grant via set role reader"),
                "app may SET ROLE reader: open is constantly true"
            )
        );
        // what the reader does not hold is not reached through it
        assert_eq!(m.reach("app", &t(), Command::Delete).access, Access::Denied);
        // SET to a BYPASSRLS role that holds a grant: all rows
        f.memberships.clear();
        f.relations[0].grants.push(grant("admin", Command::Select));
        f.memberships.push(member("admin", "app", false, true));
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(r.access, Access::AllRows);
        assert_eq!(r.via.as_deref(), Some("bypassrls via set role admin"));
        // INHERIT without SET: the grant comes along, the bypass does not
        f.memberships.pop();
        f.memberships.push(member("admin", "app", true, false));
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::NoRows, Some("grant via admin"))
        );
    }

    #[test]
    fn permissive_and_restrictive_combine_like_postgres() {
        let mut f = facts();
        f.relations[0].grants.push(grant("app", Command::Select));
        f.relations[0].grants.push(grant("app", Command::Insert));
        let only_restrictive = vec![pol(
            "r",
            Mode::Restrictive,
            Command::All,
            &["app"],
            "(a = 1)",
        )];
        let m = Model::new(&f, &only_restrictive);
        assert_eq!(m.reach("app", &t(), Command::Select).access, Access::NoRows);

        let open = vec![pol(
            "p",
            Mode::Permissive,
            Command::Select,
            &["app"],
            "true",
        )];
        let m = Model::new(&f, &open);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(
            (r.access, r.detail.as_str()),
            (Access::AllRows, "p is constantly true")
        );
        assert_eq!(m.reach("app", &t(), Command::Insert).access, Access::NoRows);

        let mut both = open.clone();
        both.extend(only_restrictive.clone());
        let m = Model::new(&f, &both);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(
            (r.access, r.detail.as_str()),
            (Access::Filtered, "restricted by r")
        );

        let closed = vec![pol("p", Mode::Permissive, Command::All, &["app"], "false")];
        assert_eq!(
            Model::new(&f, &closed)
                .reach("app", &t(), Command::Select)
                .access,
            Access::NoRows
        );
        // a policy for another role does not apply
        let other = vec![pol(
            "p",
            Mode::Permissive,
            Command::All,
            &["reader"],
            "true",
        )];
        assert_eq!(
            Model::new(&f, &other)
                .reach("app", &t(), Command::Select)
                .access,
            Access::NoRows
        );
    }

    #[test]
    fn a_definer_view_reads_as_its_owner_an_invoker_view_does_not() {
        let mut f = facts();
        let mut v = view_of_t();
        f.relations.push(v.clone());
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::AllRows, Some("view s.v as owner"))
        );
        assert_eq!(
            m.reach("app", &t(), Command::Delete).access,
            Access::Denied,
            "not updatable"
        );

        f.relations[1].security_invoker = true;
        let m = Model::new(&f, &[]);
        assert_eq!(m.reach("app", &t(), Command::Select).access, Access::Denied);

        v.kind = RelKind::Matview;
        v.name = "m".into();
        f.relations[1] = v;
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::AllRows, Some("materialized view s.m"))
        );
    }

    #[test]
    fn a_rule_writes_as_its_relations_owner_for_whoever_fires_it() {
        // `intake`, owned by `owner`, with a rule ON INSERT DO ALSO INSERT
        // INTO t; `app` may INSERT into intake only
        let mut f = facts();
        let mut intake = table(
            "intake",
            "owner",
            false,
            false,
            vec![grant("app", Command::Insert)],
        );
        intake.rules.push(crate::model::RuleWrite {
            name: "fwd".into(),
            event: Command::Insert,
            command: Command::Insert,
            target: t(),
        });
        f.relations.push(intake);
        // the owner's own privileges, as the catalog read lists them
        f.relations[0].grants.push(grant("owner", Command::Insert));
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Insert);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::AllRows, Some("rule fwd on s.intake as owner")),
            "the owner of t is the rule's owner and t is not forced"
        );
        // the action inserts: no UPDATE, DELETE or SELECT path
        for cmd in [Command::Select, Command::Update, Command::Delete] {
            assert_eq!(m.reach("app", &t(), cmd).access, Access::Denied, "{cmd}");
        }
        // the event needs the privilege on intake
        assert_eq!(
            m.reach("reader", &t(), Command::Insert).access,
            Access::Denied
        );
        // a table written only through the rule is still in the matrix
        f.relations[0].rls_enabled = false;
        f.relations[0].grants.retain(|g| g.grantee == "owner");
        let m = Model::new(&f, &[]);
        assert!(m.relevant_tables().contains(&t()));
        assert_eq!(
            m.reach("app", &t(), Command::Insert).access,
            Access::AllRows
        );
        f.relations[0].rls_enabled = true;
        // forced: the owner's own policies (none for INSERT) apply
        f.relations[0].rls_forced = true;
        let m = Model::new(&f, &[]);
        assert!(m.reach("app", &t(), Command::Insert).access < Access::AllRows);
    }

    #[test]
    fn partitions_and_definer_functions_are_paths() {
        let mut f = facts();
        let mut p = table(
            "t_1",
            "owner",
            false,
            false,
            vec![grant("app", Command::Select)],
        );
        p.parent = Some(t());
        f.relations.push(p);
        f.functions.push(DefinerPath {
            schema: "s".into(),
            name: "f".into(),
            args: "integer".into(),
            owner: "owner".into(),
            executors: vec!["public".into()],
            reads: vec![(t(), true)],
            ..Default::default()
        });
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(r.access, Access::AllRows);
        assert_eq!(
            r.via.as_deref(),
            Some("partition s.t_1"),
            "first path wins a tie"
        );
        f.relations.pop();
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(r.via.as_deref(), Some("function s.f(integer) as owner"));
        // no EXECUTE, no path
        f.functions[0].executors = vec!["owner".into()];
        let m = Model::new(&f, &[]);
        assert_eq!(m.reach("app", &t(), Command::Select).access, Access::Denied);
    }

    #[test]
    fn a_body_names_tables_quoted_or_not() {
        let c: Vec<RelName> = vec![
            ("s".into(), "orders".into()),
            ("s".into(), "Mixed Case".into()),
            ("s".into(), "order".into()),
            ("s".into(), "items".into()),
        ];
        let found = named_in_body(
            &words("SELECT * FROM S.Orders o JOIN s.\"Mixed Case\" m USING (id) -- order_lines"),
            c.iter().map(|(s, n)| (s.as_str(), n.as_str())),
        );
        assert_eq!(
            found,
            vec![
                ("s".into(), "orders".into()),
                ("s".into(), "Mixed Case".into())
            ]
        );
    }

    #[test]
    fn a_body_writes_what_follows_insert_update_delete_or_merge() {
        let c: Vec<RelName> = vec![
            ("s".into(), "orders".into()),
            ("s".into(), "audit".into()),
            ("t".into(), "audit".into()),
            ("s".into(), "Log".into()),
            ("s".into(), "lines".into()),
            ("s".into(), "only".into()),
        ];
        let w = |body: &str| {
            written_in_body(
                &words(body),
                c.iter().map(|(s, n)| (s.as_str(), n.as_str())),
            )
        };
        let n = |s: &str, t: &str| (s.to_string(), t.to_string());
        assert_eq!(
            w(
                "BEGIN INSERT INTO s.Orders VALUES (1); UPDATE ONLY audit SET x = 1; \
               EXECUTE 'DELETE FROM \"Log\" WHERE true'; END"
            ),
            vec![
                (n("s", "Log"), Command::Delete),
                (n("s", "audit"), Command::Update),
                (n("s", "orders"), Command::Insert),
                (n("t", "audit"), Command::Update),
            ],
            "qualified: that schema's; unqualified: every schema's; quoted: as written"
        );
        assert_eq!(
            w("MERGE INTO t.audit a USING s.lines l ON a.id = l.id WHEN MATCHED THEN DELETE"),
            vec![
                (n("t", "audit"), Command::Insert),
                (n("t", "audit"), Command::Update),
                (n("t", "audit"), Command::Delete),
            ]
        );
        // read only, a row lock, an upsert's action, a trigger's event
        assert!(w("SELECT * FROM s.orders o FOR UPDATE OF o; \
                   INSERT INTO lines_x VALUES (1) ON CONFLICT (id) DO UPDATE SET n = 1")
        .is_empty());
        assert!(w("SELECT 1 FROM s.orders o WHERE o.id IN (SELECT id FROM lines)").is_empty());
        // a table named like a keyword is still a table
        assert_eq!(
            w("update \"only\" set x = 1"),
            vec![(n("s", "only"), Command::Update)]
        );
    }

    #[test]
    fn a_definer_function_writes_as_its_owner_when_called_or_fired() {
        // put(), owned by `owner`, inserts into t (RLS on, not forced, no
        // INSERT policy); app may execute it
        let mut f = facts();
        f.relations[0].grants.push(grant("owner", Command::Insert));
        f.relations[0].grants.push(grant("owner", Command::Update));
        f.functions.push(DefinerPath {
            schema: "s".into(),
            name: "put".into(),
            args: "integer".into(),
            owner: "owner".into(),
            executors: vec!["app".into(), "owner".into()],
            reads: vec![(t(), false)],
            writes: vec![(t(), Command::Insert, false)],
            ..Default::default()
        });
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Insert);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::AllRows, Some("function s.put(integer) as owner"))
        );
        assert!(r.detail.contains("INSERT INTO"), "{}", r.detail);
        for cmd in [Command::Update, Command::Delete] {
            assert_eq!(m.reach("app", &t(), cmd).access, Access::Denied, "{cmd}");
        }
        assert_eq!(
            m.reach("reader", &t(), Command::Insert).access,
            Access::Denied
        );
        // a trigger function: never called, fired by an UPDATE on `orders`,
        // which `reader` may update
        let mut orders = table(
            "orders",
            "owner",
            false,
            false,
            vec![grant("reader", Command::Update)],
        );
        orders.grants.push(grant("app", Command::Select));
        f.relations.push(orders);
        f.functions[0].trigger_only = true;
        f.functions[0].writes = vec![(t(), Command::Update, true)];
        f.functions[0].fired_by = vec![crate::model::TriggerFire {
            relation: ("s".into(), "orders".into()),
            name: "audit".into(),
            events: vec![Command::Insert, Command::Update],
        }];
        let m = Model::new(&f, &[]);
        let r = m.reach("reader", &t(), Command::Update);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::AllRows, Some("trigger audit on s.orders as owner"))
        );
        assert!(
            r.detail
                .starts_with("UPDATE on s.orders fires trigger audit"),
            "{}",
            r.detail
        );
        // app may execute it but not fire it: a trigger function has no
        // caller, and it reads nothing for its caller either
        assert_eq!(m.reach("app", &t(), Command::Update).access, Access::Denied);
        assert_eq!(m.reach("app", &t(), Command::Select).access, Access::Denied);
        // a table reached only through the function is in the matrix, and
        // a grant on the firing relation is an input of the written table
        f.relations[0].rls_enabled = false;
        f.relations[0].grants.retain(|g| g.grantee == "owner");
        f.canonicalize();
        let m = Model::new(&f, &[]);
        assert!(m.relevant_tables().contains(&t()));
        let mut g = f.clone();
        g.relations
            .iter_mut()
            .find(|r| r.name == "orders")
            .unwrap()
            .grants
            .push(grant("app", Command::Insert));
        let n = Model::new(&g, &[]);
        assert!(!m.same_inputs(&n, &t()));
        assert_eq!(
            n.reach("app", &t(), Command::Update).access,
            Access::AllRows
        );
    }

    #[test]
    fn a_foreign_key_action_writes_the_referencing_rows_without_rls() {
        // lines (RLS on and forced, no grant) references t ON DELETE
        // CASCADE and ON UPDATE SET NULL; reader may DELETE t's tenant rows
        use crate::model::Cascade;
        let mut f = facts();
        f.relations[0].grants.push(grant("reader", Command::Delete));
        let mut lines = table("lines", "owner", true, true, vec![]);
        for (event, action) in [
            (Command::Delete, "ON DELETE CASCADE"),
            (Command::Update, "ON UPDATE SET NULL"),
        ] {
            lines.cascades.push(Cascade {
                name: "to_t".into(),
                parent: t(),
                event,
                command: event,
                action: action.into(),
            });
        }
        f.relations.push(lines);
        let policies = vec![pol(
            "tenant",
            Mode::Permissive,
            Command::All,
            &["reader"],
            "(tenant_id = 1)",
        )];
        let m = Model::new(&f, &policies);
        let lines: RelName = ("s".into(), "lines".into());
        let r = m.reach("reader", &lines, Command::Delete);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::Filtered, Some("foreign key to_t to s.t as owner"))
        );
        assert!(r.detail.contains("ON DELETE CASCADE"), "{}", r.detail);
        // no UPDATE on t: its ON UPDATE action is no path; nothing is read
        assert_eq!(
            m.reach("reader", &lines, Command::Update).access,
            Access::Denied
        );
        assert_eq!(
            m.reach("reader", &lines, Command::Select).access,
            Access::Denied
        );
        // no DELETE on t, no path
        assert_eq!(
            m.reach("app", &lines, Command::Delete).access,
            Access::Denied
        );
        // every row of t: every referencing row
        let open = vec![pol(
            "open",
            Mode::Permissive,
            Command::All,
            &["reader"],
            "true",
        )];
        let all = Model::new(&f, &open);
        assert_eq!(
            all.reach("reader", &lines, Command::Delete).access,
            Access::AllRows
        );
        // t's grants and policies are inputs of lines
        assert!(!m.same_inputs(&all, &lines));
        let mut g = f.clone();
        g.relations[0].grants.push(grant("app", Command::Delete));
        assert!(!m.same_inputs(&Model::new(&g, &policies), &lines));
        assert!(m.same_inputs(&Model::new(&f, &policies), &lines));
    }

    #[test]
    fn a_foreign_key_action_follows_the_parents_other_paths_and_ends_on_cycles() {
        use crate::model::Cascade;
        let cascade = |name: &str, parent: &str| Cascade {
            name: name.into(),
            parent: ("s".into(), parent.into()),
            event: Command::Delete,
            command: Command::Delete,
            action: "ON DELETE CASCADE".into(),
        };
        // app may not delete from t, but purge() (a definer function it
        // may execute) deletes all of t as owner; lines cascade from t
        let mut f = facts();
        f.relations[0].grants.push(grant("owner", Command::Delete));
        let mut lines = table("lines", "owner", true, true, vec![]);
        lines.cascades.push(cascade("to_t", "t"));
        // notes cascade from lines: two keys away
        let mut notes = table("notes", "owner", true, true, vec![]);
        notes.cascades.push(cascade("to_lines", "lines"));
        f.relations.push(lines);
        f.relations.push(notes);
        f.functions.push(DefinerPath {
            schema: "s".into(),
            name: "purge".into(),
            args: String::new(),
            owner: "owner".into(),
            executors: vec!["app".into()],
            writes: vec![(t(), Command::Delete, true)],
            ..Default::default()
        });
        let m = Model::new(&f, &[]);
        for (table, key) in [("lines", "to_t"), ("notes", "to_lines")] {
            let r = m.reach("app", &("s".into(), table.into()), Command::Delete);
            assert_eq!(r.access, Access::AllRows, "{table}");
            assert_eq!(
                r.via.unwrap(),
                format!(
                    "foreign key {key} to s.{} as owner",
                    if table == "lines" { "t" } else { "lines" }
                )
            );
        }
        let r = m.reach("app", &("s".into(), "lines".into()), Command::Delete);
        assert!(
            r.detail.contains("(via function s.purge() as owner)"),
            "{}",
            r.detail
        );
        // a table referencing itself: the walk ends, the path is there
        let mut tree = table(
            "tree",
            "owner",
            true,
            false,
            vec![grant("reader", Command::Delete)],
        );
        tree.cascades.push(cascade("to_parent", "tree"));
        f.relations.push(tree);
        let m = Model::new(&f, &[]);
        let tree: RelName = ("s".into(), "tree".into());
        let r = m.reach("reader", &tree, Command::Delete);
        assert_eq!(
            r.access,
            Access::NoRows,
            "no policy for reader: its own DELETE removes nothing"
        );
        assert!(
            !m.same_inputs(&m, &tree),
            "a key cycle is recomputed, never skipped"
        );
    }

    #[test]
    fn truncate_removes_every_row_whatever_the_policies() {
        // app holds TRUNCATE only; reader's DELETE is filtered, and reader
        // gains TRUNCATE through a role it inherits
        let mut f = facts();
        f.relations[0].truncate = vec!["app".into(), "owner".into()];
        f.relations[0].grants.push(grant("reader", Command::Delete));
        let policies = vec![pol(
            "tenant",
            Mode::Permissive,
            Command::All,
            &["reader", "app"],
            "(tenant_id = 1)",
        )];
        let m = Model::new(&f, &policies);
        let r = m.reach("app", &t(), Command::Delete);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::AllRows, Some("truncate"))
        );
        for cmd in [Command::Select, Command::Insert, Command::Update] {
            assert_eq!(m.reach("app", &t(), cmd).access, Access::Denied, "{cmd}");
        }
        assert_eq!(
            m.reach("reader", &t(), Command::Delete).access,
            Access::Filtered
        );
        f.roles.push(role("cleaner", false));
        f.relations[0].truncate.push("cleaner".into());
        f.memberships.push(member("cleaner", "reader", true, false));
        let m = Model::new(&f, &policies);
        let r = m.reach("reader", &t(), Command::Delete);
        assert_eq!(
            (r.access, r.via.as_deref()),
            (Access::AllRows, Some("truncate via cleaner"))
        );
        // schema USAGE is still needed
        f.schemas[0].usage = vec!["owner".into()];
        let m = Model::new(&f, &policies);
        assert_eq!(m.reach("app", &t(), Command::Delete).access, Access::Denied);
    }

    #[test]
    fn membership_cycles_terminate_and_schema_usage_is_required() {
        let mut f = facts();
        f.memberships.push(member("reader", "app", true, true));
        f.memberships.push(member("app", "reader", true, true));
        let m = Model::new(&f, &[]);
        assert!(m.inherited("app").contains("reader"));
        assert_eq!(m.reach("app", &t(), Command::Select).access, Access::NoRows);
        f.schemas[0].usage = vec!["owner".into()];
        let m = Model::new(&f, &[]);
        let r = m.reach("app", &t(), Command::Select);
        assert_eq!(
            (r.access, r.detail.as_str()),
            (Access::Denied, "no USAGE on schema s")
        );
    }

    #[test]
    fn the_matrix_covers_relevant_tables_for_login_roles() {
        let mut f = facts();
        f.relations.push(table(
            "plain",
            "owner",
            false,
            false,
            vec![grant("owner", Command::Select)],
        ));
        let m = Model::new(&f, &[]);
        assert_eq!(m.login_roles(), vec!["app".to_string()]);
        assert_eq!(
            m.relevant_tables(),
            vec![t()],
            "an owner-only table without RLS is not relevant"
        );
        let cells = m.matrix(&m.login_roles(), None);
        assert_eq!(cells.len(), 4);
        assert_eq!(cells[0].command, Command::Select);
        assert!(m
            .matrix(&m.login_roles(), Some(&BTreeSet::from(["x".to_string()])))
            .is_empty());
    }

    #[test]
    fn same_inputs_sees_every_input_of_a_table_and_nothing_else() {
        let policies = vec![pol(
            "tenant",
            Mode::Permissive,
            Command::All,
            &["reader"],
            "(tenant_id = 1)",
        )];
        let mut base = facts();
        base.relations.push(table("u", "owner", true, true, vec![]));
        let mut part = table("t_1", "owner", false, false, vec![]);
        part.parent = Some(t());
        base.relations.push(part);
        base.canonicalize();
        let same = |f: &AccessFacts, p: &[Policy], which: &str| {
            Model::new(&base, &policies).same_inputs(&Model::new(f, p), &("s".into(), which.into()))
        };
        assert!(same(&base, &policies, "t"));
        // a grant on the table
        let mut f = base.clone();
        f.relations
            .iter_mut()
            .find(|r| r.name == "t")
            .unwrap()
            .grants
            .push(grant("app", Command::Delete));
        assert!(!same(&f, &policies, "t"));
        assert!(
            same(&f, &policies, "u"),
            "another table's grant is not an input of u"
        );
        // a policy's expression
        let mut p = policies.clone();
        p[0].using_expr = Some("true".into());
        assert!(!same(&base, &p, "t"));
        assert!(same(&base, &p, "u"));
        // a view that reads it
        let mut f = base.clone();
        f.relations.push(view_of_t());
        f.canonicalize();
        assert!(!same(&f, &policies, "t"));
        // its partition's flags
        let mut f = base.clone();
        f.relations
            .iter_mut()
            .find(|r| r.name == "t_1")
            .unwrap()
            .rls_enabled = true;
        assert!(!same(&f, &policies, "t"));
        // a definer function that reads it
        let mut f = base.clone();
        f.functions.push(DefinerPath {
            schema: "s".into(),
            name: "all_t".into(),
            args: String::new(),
            owner: "owner".into(),
            executors: vec!["app".into()],
            reads: vec![(t(), true)],
            ..Default::default()
        });
        assert!(!same(&f, &policies, "t"));
    }

    /// Not a test: the matrix's cost at the bench's size (2 000 tables,
    /// 10 000 policies, 10 login roles). `cargo test --release --lib --
    /// --ignored matrix_cost --nocapture`
    #[test]
    #[ignore]
    fn matrix_cost() {
        let mut f = AccessFacts {
            roles: (1..=10).map(|i| role(&format!("login{i}"), true)).collect(),
            memberships: (1..=10)
                .map(|i| member("app", &format!("login{i}"), true, true))
                .collect(),
            schemas: vec![SchemaUsage {
                schema: "s".into(),
                usage: vec!["app".into()],
            }],
            relations: vec![],
            functions: vec![],
        };
        f.roles.push(role("app", false));
        let mut policies = Vec::new();
        for i in 0..2000 {
            let name = format!("t{i}");
            f.relations.push(Relation {
                name: name.clone(),
                ..table(
                    "x",
                    "postgres",
                    true,
                    false,
                    COMMANDS.iter().map(|c| grant("app", *c)).collect(),
                )
            });
            for (p, cmd, mode) in [
                ("r", Command::Select, Mode::Permissive),
                ("i", Command::Insert, Mode::Permissive),
                ("u", Command::Update, Mode::Permissive),
                ("d", Command::Delete, Mode::Permissive),
                ("x", Command::Select, Mode::Restrictive),
            ] {
                policies.push(Policy {
                    table_name: name.clone(),
                    ..pol(p, mode, cmd, &["app"], "(tenant_id = NULLIF(current_setting('app.tenant_id'::text, true), ''::text)::integer)")
                });
            }
        }
        f.canonicalize();
        let roles: Vec<String> = (1..=10).map(|i| format!("login{i}")).collect();
        let t0 = std::time::Instant::now();
        let m = Model::new(&f, &policies);
        let t1 = std::time::Instant::now();
        let cells = m.matrix(&roles, None);
        let t2 = std::time::Instant::now();
        assert_eq!(cells.len(), 80_000);
        println!(
            "model {:?}, matrix {:?} ({} cells)",
            t1 - t0,
            t2 - t1,
            cells.len()
        );
    }
}
