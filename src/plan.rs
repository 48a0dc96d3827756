//! The restore plan: which statements turn the live policies and RLS flags
//! back into a snapshot's, and the script that carries them. Pure: the plan
//! is derived from the typed drift rows ([`crate::diff`]), so a restore fixes
//! exactly what `drift()` reports, and every statement comes from
//! [`crate::render`].
use std::collections::BTreeSet;

use crate::diff::{self, DriftRow};
use crate::ident::{quote_ident, quote_qualified};
use crate::model::{Change, State};
use crate::render;

/// What a restore does: the statements to run, in order, and the notes
/// about what it deliberately leaves alone.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Plan {
    pub(crate) statements: Vec<String>,
    pub(crate) notes: Vec<String>,
}

impl Plan {
    /// After the plan (which works in today's names): a renamed policy gets
    /// its snapshot name back; a renamed table or role keeps its name (the
    /// application may use it) and gets a note.
    pub(crate) fn undo_renames(&mut self, renamed: &[DriftRow]) {
        for r in renamed {
            // the values are quote_ident output (diff::renamed_row)
            let (Some(old), Some(new)) = (&r.baseline_value, &r.current_value) else {
                continue;
            };
            match (&r.schema_name, &r.table_name, &r.policy_name) {
                (Some(s), Some(t), Some(_)) => self.statements.push(format!(
                    "ALTER POLICY {new} ON {} RENAME TO {old};",
                    quote_qualified(s, t)
                )),
                (Some(_), Some(_), None) => self.notes.push(format!(
                    "table {old} is now {new}: its policies and flags are restored under the new name, which is kept"
                )),
                _ => self
                    .notes
                    .push(format!("roles are not altered: role {old} is now {new}")),
            }
        }
    }
}

/// One line of a SQL comment, whatever the text holds.
fn comment_text(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Turn the drift from `snapshot` to `live` into the statements that make
/// the live policies and RLS flags the snapshot's again. Tables are never
/// created or dropped and roles never altered: those become notes.
/// One piece: one match over the drift rows, an arm per change kind.
pub(crate) fn plan(snapshot: &State, live: &State) -> Plan {
    let rows = diff::diff(snapshot, live);
    let tables_with = |change: Change| -> BTreeSet<(&str, &str)> {
        rows.iter()
            .filter(|r| r.change == change)
            .filter_map(|r| Some((r.schema_name.as_deref()?, r.table_name.as_deref()?)))
            .collect()
    };
    let new_tables = tables_with(Change::TableAdded);
    let gone_tables = tables_with(Change::TableRemoved);
    let mut drops = BTreeSet::new();
    let mut creates = BTreeSet::new();
    let mut flags = BTreeSet::new();
    let mut notes = Vec::new();
    for r in &rows {
        let (Some(s), Some(t)) = (r.schema_name.as_deref(), r.table_name.as_deref()) else {
            notes.push(format!("roles are not altered: {}", r.detail));
            continue;
        };
        let p = r.policy_name.as_deref();
        match (r.change, p) {
            (Change::PolicyAdded, Some(p)) if new_tables.contains(&(s, t)) => notes.push(format!(
                "policy {} on new table {} left in place",
                quote_ident(p),
                quote_qualified(s, t)
            )),
            (Change::PolicyAdded, Some(p)) => {
                drops.insert((s, t, p));
            }
            (Change::PolicyRemoved, Some(p)) if gone_tables.contains(&(s, t)) => {
                notes.push(format!(
                    "{} no longer exists: its policy {} cannot be recreated",
                    quote_qualified(s, t),
                    quote_ident(p)
                ))
            }
            (Change::PolicyRemoved, Some(p)) => {
                creates.insert((s, t, p));
            }
            (Change::PolicyChanged, Some(p)) => {
                drops.insert((s, t, p));
                creates.insert((s, t, p));
            }
            (Change::RlsDisabled, _) => {
                flags.insert((s, t, "ENABLE"));
            }
            (Change::RlsEnabled, _) => {
                flags.insert((s, t, "DISABLE"));
            }
            (Change::RlsUnforced, _) => {
                flags.insert((s, t, "FORCE"));
            }
            (Change::RlsForced, _) => {
                flags.insert((s, t, "NO FORCE"));
            }
            (Change::TableAdded, _) => {
                notes.push(format!("new table {} left in place", quote_qualified(s, t)))
            }
            (Change::TableRemoved, _) => notes.push(format!(
                "{} no longer exists and is not recreated",
                quote_qualified(s, t)
            )),
            _ => {}
        }
    }
    let mut statements: Vec<String> = drops
        .iter()
        .map(|(s, t, p)| render::drop_policy(s, t, p))
        .collect();
    for key in &creates {
        if let Some(p) = snapshot.policies.iter().find(|p| p.names() == *key) {
            statements.push(render::render_create_policy(p));
        }
    }
    statements.extend(flags.iter().map(|(s, t, a)| render::alter_rls(s, t, a)));
    Plan { statements, notes }
}

/// The whole script: header, BEGIN, statements, notes, COMMIT.
pub(crate) fn render_script(
    id: i64,
    label: Option<&str>,
    fingerprint: &str,
    live_fingerprint: &str,
    generated_at: &str,
    plan: &Plan,
) -> String {
    let mut out = String::new();
    out.push_str("-- rls_audit restore script\n");
    out.push_str(&format!("-- snapshot:     {id}\n"));
    out.push_str(&format!(
        "-- label:        {}\n",
        comment_text(
            &label
                .map(crate::ident::quote_literal)
                .unwrap_or_else(|| "(none)".into())
        )
    ));
    out.push_str(&format!("-- fingerprint:  {fingerprint}\n"));
    out.push_str(&format!("-- generated at: {generated_at}\n"));
    out.push_str("-- Turns the live policies and table RLS flags back into the snapshot's.\n");
    out.push_str("BEGIN;\n");
    // as pg_dump does: names in the script resolve the same whatever the
    // replaying session's search_path (a schema listed before pg_catalog
    // could otherwise supply its own "=" operator)
    out.push_str("SET LOCAL search_path = pg_catalog, pg_temp;\n");
    // the guard: a script prepared before someone else's change must not
    // silently undo or half-apply it; the check stops the transaction with
    // both fingerprints named, before any statement runs
    out.push_str(
        "-- guard: stop here, nothing changed, unless the live state is still the one this script was written against\n",
    );
    out.push_str(&format!(
        "SELECT rls_audit.assert_fingerprint({});\n",
        crate::ident::quote_literal(live_fingerprint)
    ));
    if plan.statements.is_empty() {
        out.push_str("-- nothing to restore: policies and RLS flags match the snapshot\n");
    }
    for s in &plan.statements {
        out.push_str(s);
        out.push('\n');
    }
    for n in &plan.notes {
        out.push_str(&format!("-- not restored: {}\n", comment_text(n)));
    }
    out.push_str("COMMIT;\n");
    out
}

// The SQL is spelled out only to name the argument `ref` (a Rust keyword).

#[cfg(test)]
mod unit {
    use super::*;
    use crate::model::{Command, Mode, Policy, Table};

    fn table(name: &str, enabled: bool, forced: bool) -> Table {
        Table {
            schema_name: "s".into(),
            table_name: name.into(),
            owner: "o".into(),
            rls_enabled: enabled,
            rls_forced: forced,
        }
    }

    fn pol(t: &str, name: &str, using: &str) -> Policy {
        Policy {
            schema_name: "s".into(),
            table_name: t.into(),
            policy_name: name.into(),
            permissive: Mode::Permissive,
            command: Command::All,
            roles: vec!["public".into()],
            using_expr: Some(using.into()),
            check_expr: None,
        }
    }

    #[test]
    fn plan_undoes_policy_and_flag_changes_and_leaves_tables_alone() {
        let snap = State {
            policies: vec![
                pol("kept", "changed", "(a = 1)"),
                pol("kept", "dropped", "(b = 1)"),
                pol("gone", "g", "true"),
            ],
            tables: vec![table("kept", true, true), table("gone", true, false)],
            roles: vec![],
        };
        let live = State {
            policies: vec![
                pol("kept", "changed", "(a = 2)"),
                pol("kept", "added", "true"),
                pol("fresh", "f", "true"),
            ],
            tables: vec![table("kept", false, true), table("fresh", true, false)],
            roles: vec![],
        };
        let plan = plan(&snap, &live);
        assert_eq!(
            plan.statements,
            vec![
                "DROP POLICY IF EXISTS added ON s.kept;",
                "DROP POLICY IF EXISTS changed ON s.kept;",
                "CREATE POLICY changed ON s.kept FOR ALL TO PUBLIC USING ((a = 1));",
                "CREATE POLICY dropped ON s.kept FOR ALL TO PUBLIC USING ((b = 1));",
                "ALTER TABLE s.kept ENABLE ROW LEVEL SECURITY;",
            ]
        );
        let notes = plan.notes.join("\n");
        assert!(
            notes.contains("s.gone no longer exists: its policy g cannot be recreated"),
            "{notes}"
        );
        assert!(
            notes.contains("policy f on new table s.fresh left in place"),
            "{notes}"
        );
        assert!(notes.contains("new table s.fresh left in place"), "{notes}");
        // nothing to do for equal states
        assert_eq!(plan_of_equal(), Plan::default());
    }

    fn plan_of_equal() -> Plan {
        let s = State {
            policies: vec![pol("t", "p", "true")],
            tables: vec![table("t", true, false)],
            roles: vec![],
        };
        plan(&s, &s.clone())
    }
}
