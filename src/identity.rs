//! Following objects by identity instead of by name.
//!
//! Within one database a table, policy or role keeps its OID across
//! renames and `SET SCHEMA`, and a policy's stored expression trees and
//! role OIDs stay the same when a column, function, type or role it
//! references is renamed. [`align`] uses that to rewrite an older state
//! (a snapshot, or the tracked state) into the names of a newer one before
//! the two are compared by name:
//! - a renamed table, policy or role takes its new name (and becomes one
//!   [`Rename`]), so a rename plus `DISABLE ROW LEVEL SECURITY` is a
//!   rename and an `rls_disabled`, not a removal and an addition;
//! - a policy whose trees and role OIDs are unchanged takes the newer text,
//!   so renaming what it references is no change at all.
//!
//! States from different databases (a dump restored elsewhere) are left
//! alone: their OIDs mean nothing to each other, and names are the key.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::{Identity, Policy, State};

/// What kind of object a [`Rename`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Table,
    Policy,
    Role,
}

/// One object found under a new name: (schema, table, policy) for tables
/// and policies (policy empty for a table), (role, "", "") for roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rename {
    pub(crate) kind: Kind,
    pub(crate) old: (String, String, String),
    pub(crate) new: (String, String, String),
}

/// Map each name of `base` to the name its OID has in `cur`. A mapping is
/// used only when the new names stay unique (a swap of two names is fine;
/// a name taken by an object that is gone is not followed).
fn moves<K: Ord + Clone + std::hash::Hash>(
    base: &BTreeMap<K, u32>,
    cur: &BTreeMap<K, u32>,
    base_names: &[K],
) -> BTreeMap<K, K> {
    let by_oid: HashMap<u32, &K> = cur.iter().map(|(k, oid)| (*oid, k)).collect();
    let target = |k: &K| -> K {
        base.get(k)
            .filter(|oid| **oid != 0)
            .and_then(|oid| by_oid.get(oid))
            .map(|n| (*n).clone())
            .unwrap_or_else(|| k.clone())
    };
    let new_names: Vec<K> = base_names.iter().map(target).collect();
    let unique: BTreeSet<&K> = new_names.iter().collect();
    if unique.len() != new_names.len() {
        return BTreeMap::new();
    }
    base_names
        .iter()
        .zip(new_names)
        .filter(|(old, new)| *old != new)
        .map(|(old, new)| (old.clone(), new))
        .collect()
}

/// Rewrite `base` into `cur`'s names where both are the same database and
/// an OID says the object is the same; returns what was renamed. `cur`
/// must be canonical ([`State::canonicalize`]), as every reader leaves it.
/// One piece: tables, then policies (which follow their tables), then roles: the order is
/// the algorithm.
pub(crate) fn align(
    base: &mut State,
    base_ids: &Identity,
    cur: &State,
    cur_ids: &Identity,
) -> Vec<Rename> {
    let mut out = Vec::new();
    if base_ids.db.is_none() || base_ids.db != cur_ids.db {
        return out;
    }

    // roles first: policies name them
    let role_names: Vec<String> = base.roles.iter().map(|r| r.role_name.clone()).collect();
    let role_moves = moves(&base_ids.roles, &cur_ids.roles, &role_names);
    for r in &mut base.roles {
        if let Some(new) = role_moves.get(&r.role_name) {
            out.push(Rename {
                kind: Kind::Role,
                old: (r.role_name.clone(), String::new(), String::new()),
                new: (new.clone(), String::new(), String::new()),
            });
            r.role_name = new.clone();
        }
    }

    // tables, and the policies on them
    let table_names: Vec<(String, String)> = base
        .tables
        .iter()
        .map(|t| (t.schema_name.clone(), t.table_name.clone()))
        .collect();
    let table_moves = moves(&base_ids.tables, &cur_ids.tables, &table_names);
    for t in &mut base.tables {
        let key = (t.schema_name.clone(), t.table_name.clone());
        if let Some((s, n)) = table_moves.get(&key) {
            out.push(Rename {
                kind: Kind::Table,
                old: (key.0, key.1, String::new()),
                new: (s.clone(), n.clone(), String::new()),
            });
            t.schema_name = s.clone();
            t.table_name = n.clone();
        }
    }

    // policies: by their own OID (a policy never moves to another table);
    // worked out on borrowed names (a large state is not copied), only the
    // moves themselves owned
    type Names = (String, String, String);
    let policy_moves: BTreeMap<Names, Names> = {
        fn borrowed(ids: &Identity) -> BTreeMap<(&str, &str, &str), u32> {
            ids.policies
                .iter()
                .map(|((s, t, p), id)| ((s.as_str(), t.as_str(), p.as_str()), id.oid))
                .collect()
        }
        let keys: Vec<(&str, &str, &str)> = base.policies.iter().map(Policy::names).collect();
        let owned = |(s, t, p): (&str, &str, &str)| (s.to_string(), t.to_string(), p.to_string());
        moves(&borrowed(base_ids), &borrowed(cur_ids), &keys)
            .into_iter()
            .map(|(old, new)| (owned(old), owned(new)))
            .collect()
    };
    // cur is canonical (sorted by names, which are unique): a policy is
    // found by binary search, with no index over a large state
    let cur_by_key = |key: (&str, &str, &str)| -> Option<&Policy> {
        cur.policies
            .binary_search_by(|p| p.names().cmp(&key))
            .ok()
            .map(|i| &cur.policies[i])
    };
    for p in &mut base.policies {
        let key = (
            p.schema_name.clone(),
            p.table_name.clone(),
            p.policy_name.clone(),
        );
        let base_id = base_ids.policies.get(&key);
        let new_key = match policy_moves.get(&key) {
            Some(new) => {
                if new.2 != key.2 {
                    out.push(Rename {
                        kind: Kind::Policy,
                        old: key.clone(),
                        new: new.clone(),
                    });
                }
                new.clone()
            }
            // a policy with no OID of its own follows its table
            None => match table_moves.get(&(key.0.clone(), key.1.clone())) {
                Some((s, t)) => (s.clone(), t.clone(), key.2.clone()),
                None => key.clone(),
            },
        };
        p.schema_name = new_key.0.clone();
        p.table_name = new_key.1.clone();
        p.policy_name = new_key.2.clone();
        for r in &mut p.roles {
            if let Some(new) = role_moves.get(r) {
                *r = new.clone();
            }
        }
        p.roles.sort();
        // same stored trees and role OIDs: the same policy, in today's words
        let cur_id = cur_ids.policies.get(&new_key);
        if let (Some(b), Some(c)) = (base_id, cur_id) {
            let same = b.oid == c.oid
                && !b.tree.is_empty()
                && b.tree == c.tree
                && b.role_oids == c.role_oids;
            if let (true, Some(now)) = (
                same,
                cur_by_key((new_key.0.as_str(), new_key.1.as_str(), new_key.2.as_str())),
            ) {
                p.using_expr = now.using_expr.clone();
                p.check_expr = now.check_expr.clone();
                p.roles = now.roles.clone();
            }
        }
    }
    base.canonicalize();
    out
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::model::{Command, Mode, Policy, PolicyId, Role, Table};

    fn table(s: &str, t: &str, enabled: bool) -> Table {
        Table {
            schema_name: s.into(),
            table_name: t.into(),
            owner: "o".into(),
            rls_enabled: enabled,
            rls_forced: false,
        }
    }

    fn policy(s: &str, t: &str, p: &str, using: &str, roles: &[&str]) -> Policy {
        Policy {
            schema_name: s.into(),
            table_name: t.into(),
            policy_name: p.into(),
            permissive: Mode::Permissive,
            command: Command::All,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using_expr: Some(using.into()),
            check_expr: None,
        }
    }

    fn ids(
        db: &str,
        tables: &[(&str, &str, u32)],
        policies: &[(&str, &str, &str, u32, &str)],
    ) -> Identity {
        Identity {
            db: Some(db.into()),
            tables: tables
                .iter()
                .map(|(s, t, o)| ((s.to_string(), t.to_string()), *o))
                .collect(),
            policies: policies
                .iter()
                .map(|(s, t, p, o, tree)| {
                    (
                        (s.to_string(), t.to_string(), p.to_string()),
                        PolicyId {
                            oid: *o,
                            table_oid: 0,
                            tree: tree.to_string(),
                            role_oids: vec![10],
                        },
                    )
                })
                .collect(),
            roles: BTreeMap::new(),
        }
    }

    #[test]
    fn a_renamed_table_keeps_its_flags_and_policies() {
        let mut base = State {
            tables: vec![table("s", "vault", true)],
            policies: vec![policy("s", "vault", "p", "(a = 1)", &["app"])],
            roles: vec![],
        };
        let base_ids = ids("db1", &[("s", "vault", 7)], &[("s", "vault", "p", 70, "x")]);
        let cur = State {
            tables: vec![table("s2", "vault2", false)],
            policies: vec![policy("s2", "vault2", "p", "(a = 1)", &["app"])],
            roles: vec![],
        };
        let cur_ids = ids(
            "db1",
            &[("s2", "vault2", 7)],
            &[("s2", "vault2", "p", 70, "x")],
        );
        let renames = align(&mut base, &base_ids, &cur, &cur_ids);
        assert_eq!(renames.len(), 1);
        assert_eq!(renames[0].kind, Kind::Table);
        assert_eq!(renames[0].new.1, "vault2");
        assert_eq!(base.tables[0].table_name, "vault2");
        assert!(
            base.tables[0].rls_enabled,
            "the baseline's flags stay the baseline's"
        );
        assert_eq!(base.policies[0].schema_name, "s2");
    }

    #[test]
    fn same_tree_takes_the_new_text_other_tree_keeps_the_old() {
        let mut base = State {
            policies: vec![
                policy("s", "t", "same", "(old_col = 1)", &["app"]),
                policy("s", "t", "changed", "(a = 1)", &["app"]),
            ],
            ..State::default()
        };
        let base_ids = ids(
            "db1",
            &[],
            &[("s", "t", "same", 1, "T1"), ("s", "t", "changed", 2, "T2")],
        );
        let mut cur = State {
            policies: vec![
                policy("s", "t", "same", "(new_col = 1)", &["app"]),
                policy("s", "t", "changed", "(a = 2)", &["app"]),
            ],
            ..State::default()
        };
        cur.canonicalize();
        let cur_ids = ids(
            "db1",
            &[],
            &[("s", "t", "same", 1, "T1"), ("s", "t", "changed", 2, "T3")],
        );
        assert!(align(&mut base, &base_ids, &cur, &cur_ids).is_empty());
        let get = |n: &str| {
            base.policies
                .iter()
                .find(|p| p.policy_name == n)
                .unwrap()
                .clone()
        };
        assert_eq!(get("same").using_expr.as_deref(), Some("(new_col = 1)"));
        assert_eq!(get("changed").using_expr.as_deref(), Some("(a = 1)"));
    }

    #[test]
    fn another_database_is_compared_by_name() {
        let mut base = State {
            tables: vec![table("s", "a", true)],
            ..State::default()
        };
        let before = base.clone();
        let base_ids = ids("db1", &[("s", "a", 7)], &[]);
        let cur = State {
            tables: vec![table("s", "b", true)],
            ..State::default()
        };
        let cur_ids = ids("db2", &[("s", "b", 7)], &[]);
        assert!(align(&mut base, &base_ids, &cur, &cur_ids).is_empty());
        assert_eq!(base, before);
    }

    #[test]
    fn a_renamed_role_is_followed_in_policies() {
        let mut base = State {
            policies: vec![policy("s", "t", "p", "(a = 1)", &["app"])],
            roles: vec![Role {
                role_name: "app".into(),
                superuser: false,
                bypassrls: false,
                can_login: true,
            }],
            ..State::default()
        };
        let mut base_ids = ids("db1", &[], &[("s", "t", "p", 1, "T")]);
        base_ids.roles.insert("app".into(), 10);
        let cur = State {
            policies: vec![policy("s", "t", "p", "(a = 1)", &["app2"])],
            roles: vec![Role {
                role_name: "app2".into(),
                superuser: false,
                bypassrls: false,
                can_login: true,
            }],
            ..State::default()
        };
        let mut cur_ids = ids("db1", &[], &[("s", "t", "p", 1, "T")]);
        cur_ids.roles.insert("app2".into(), 10);
        let r = align(&mut base, &base_ids, &cur, &cur_ids);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].kind, Kind::Role);
        assert_eq!(base.policies[0].roles, vec!["app2".to_string()]);
        assert_eq!(base.roles[0].role_name, "app2");
    }

    #[test]
    fn a_name_taken_over_by_another_object_is_not_followed() {
        // t1 (oid 1) dropped, t2 (oid 2) renamed to t1: the baseline's t1
        // and t2 would both be called t1
        let mut base = State {
            tables: vec![table("s", "t1", true), table("s", "t2", true)],
            ..State::default()
        };
        let base_ids = ids("db", &[("s", "t1", 1), ("s", "t2", 2)], &[]);
        let cur = State {
            tables: vec![table("s", "t1", false)],
            ..State::default()
        };
        let cur_ids = ids("db", &[("s", "t1", 2)], &[]);
        assert!(align(&mut base, &base_ids, &cur, &cur_ids).is_empty());
        assert_eq!(base.tables.len(), 2);
    }
}
