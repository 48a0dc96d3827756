//! Writing policies back: `policy_ddl`, `restore_script` and `restore`.
//!
//! The restore plan is derived from the drift rows between the snapshot and
//! the live state, so restore fixes exactly what `drift()` reports, and every
//! `CREATE POLICY` comes from the one renderer below with the snapshot's
//! stored, schema-qualified expressions.
use std::collections::BTreeSet;

use pgrx::prelude::*;

use crate::catalog::{self, Policy, State};
use crate::drift;
use crate::error::{Result, RlsAuditError, SqlResult};
use crate::ident::{quote_ident, quote_qualified};
use crate::regclass::{Name, RegClass};

/// Render one role of a `TO` list: PUBLIC is a keyword, not a role name.
pub(crate) fn render_role(role: &str) -> String {
    if role == "public" {
        "PUBLIC".to_string()
    } else {
        quote_ident(role)
    }
}

/// The exact `CREATE POLICY` statement for a policy.
///
/// `FOR` is always spelled out (never left to the ALL default) and the
/// expressions are the stored, schema-qualified `pg_get_expr` text, so the
/// statement means the same under any caller search_path.
pub fn render_create_policy(p: &Policy) -> String {
    let mut sql = format!(
        "CREATE POLICY {} ON {}",
        quote_ident(&p.policy_name),
        quote_qualified(&p.schema_name, &p.table_name)
    );
    if p.permissive == "RESTRICTIVE" {
        sql.push_str(" AS RESTRICTIVE");
    }
    sql.push_str(" FOR ");
    sql.push_str(&p.command);
    let roles: Vec<String> = if p.roles.is_empty() {
        vec!["PUBLIC".into()]
    } else {
        p.roles.iter().map(|r| render_role(r)).collect()
    };
    sql.push_str(" TO ");
    sql.push_str(&roles.join(", "));
    if let Some(u) = &p.using_expr {
        sql.push_str(&format!(" USING ({u})"));
    }
    if let Some(c) = &p.check_expr {
        sql.push_str(&format!(" WITH CHECK ({c})"));
    }
    sql.push(';');
    sql
}

#[pg_extern(stable)]
#[search_path(pg_catalog, pg_temp)]
fn policy_ddl(tbl: RegClass, policy: Name) -> SqlResult<String> {
    let (RegClass(tbl), Name(policy)) = (tbl, policy);
    let found = Spi::connect(|c| catalog::read_live_policy(c, tbl, &policy))?;
    if let Some(p) = found {
        return Ok(render_create_policy(&p));
    }
    // regclass input already rejects unknown names (42P01); a bare OID with
    // no relation behind it reaches us and gets the same SQLSTATE
    let table = Spi::connect(|c| {
        c.select(
            "SELECT (SELECT c.oid::regclass::text FROM pg_catalog.pg_class c WHERE c.oid = $1)",
            Some(1),
            &[tbl.into()],
        )?
        .first()
        .get_one::<String>()
    })
    .map_err(RlsAuditError::from)?;
    let err = match table {
        Some(table) => RlsAuditError::UnknownPolicy { table, policy },
        None => RlsAuditError::UnknownTable(tbl.to_u32()),
    };
    Err(err.into())
}

/// What a restore does: the statements to run, in order, and the notes
/// about what it deliberately leaves alone.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    pub statements: Vec<String>,
    pub notes: Vec<String>,
}

impl Plan {
    /// After the plan (which works in today's names): a renamed policy gets
    /// its snapshot name back; a renamed table or role keeps its name (the
    /// application may use it) and gets a note.
    pub fn undo_renames(&mut self, renamed: &[drift::DriftRow]) {
        for r in renamed {
            // the values are quote_ident output (drift::renamed_row)
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

fn drop_policy(schema: &str, table: &str, policy: &str) -> String {
    format!(
        "DROP POLICY IF EXISTS {} ON {};",
        quote_ident(policy),
        quote_qualified(schema, table)
    )
}

fn alter_table(schema: &str, table: &str, action: &str) -> String {
    format!(
        "ALTER TABLE {} {action} ROW LEVEL SECURITY;",
        quote_qualified(schema, table)
    )
}

/// One line of a SQL comment, whatever the text holds.
fn comment_text(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Turn the drift from `snapshot` to `live` into the statements that make
/// the live policies and RLS flags the snapshot's again. Tables are never
/// created or dropped and roles never altered: those become notes.
pub fn plan(snapshot: &State, live: &State) -> Plan {
    let rows = drift::diff(snapshot, live);
    let tables_with = |change: &str| -> BTreeSet<(&str, &str)> {
        rows.iter()
            .filter(|r| r.change == change)
            .filter_map(|r| Some((r.schema_name.as_deref()?, r.table_name.as_deref()?)))
            .collect()
    };
    let new_tables = tables_with("table_added");
    let gone_tables = tables_with("table_removed");
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
            ("policy_added", Some(p)) if new_tables.contains(&(s, t)) => notes.push(format!(
                "policy {} on new table {} left in place",
                quote_ident(p),
                quote_qualified(s, t)
            )),
            ("policy_added", Some(p)) => {
                drops.insert((s, t, p));
            }
            ("policy_removed", Some(p)) if gone_tables.contains(&(s, t)) => notes.push(format!(
                "{} no longer exists: its policy {} cannot be recreated",
                quote_qualified(s, t),
                quote_ident(p)
            )),
            ("policy_removed", Some(p)) => {
                creates.insert((s, t, p));
            }
            ("policy_changed", Some(p)) => {
                drops.insert((s, t, p));
                creates.insert((s, t, p));
            }
            ("rls_disabled", _) => {
                flags.insert((s, t, "ENABLE"));
            }
            ("rls_enabled", _) => {
                flags.insert((s, t, "DISABLE"));
            }
            ("rls_unforced", _) => {
                flags.insert((s, t, "FORCE"));
            }
            ("rls_forced", _) => {
                flags.insert((s, t, "NO FORCE"));
            }
            ("table_added", _) => {
                notes.push(format!("new table {} left in place", quote_qualified(s, t)))
            }
            ("table_removed", _) => notes.push(format!(
                "{} no longer exists and is not recreated",
                quote_qualified(s, t)
            )),
            _ => {}
        }
    }
    let mut statements: Vec<String> = drops.iter().map(|(s, t, p)| drop_policy(s, t, p)).collect();
    for key in &creates {
        if let Some(p) = snapshot.policies.iter().find(|p| {
            (
                p.schema_name.as_str(),
                p.table_name.as_str(),
                p.policy_name.as_str(),
            ) == *key
        }) {
            statements.push(render_create_policy(p));
        }
    }
    statements.extend(flags.iter().map(|(s, t, a)| alter_table(s, t, a)));
    Plan { statements, notes }
}

/// The snapshot and the plan that turns the live state back into it.
fn plan_for(client: &pgrx::spi::SpiClient<'_>, reference: Option<&str>) -> Result<(i64, Plan)> {
    // the snapshot in today's names: a renamed table gets its flags and
    // policies back under its new name, and a policy whose referenced
    // column, function or role was renamed is not recreated
    let compared = drift::states_for(client, reference, None)?;
    let mut plan = plan(&compared.base, &compared.cur);
    plan.undo_renames(&compared.renamed);
    Ok((compared.base_id, plan))
}

/// The whole script: header, BEGIN, statements, notes, COMMIT.
pub fn render_script(
    id: i64,
    label: Option<&str>,
    fingerprint: &str,
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
// SECURITY DEFINER: reads snapshot history, which PUBLIC cannot.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.restore_script("ref" text DEFAULT 'baseline') RETURNS text
    STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn restore_script(reference: Option<&str>) -> SqlResult<String> {
    Ok(Spi::connect(|c| -> Result<String> {
        let (id, plan) = plan_for(c, reference)?;
        let row = c
            .select(
                "SELECT label, fingerprint, pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC',
                        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
                   FROM rls_audit.snapshot_meta WHERE id = $1",
                Some(1),
                &[id.into()],
            )?
            .first();
        let label = row.get::<String>(1)?;
        let fingerprint = row.get::<String>(2)?.unwrap_or_default();
        let at = row.get::<String>(3)?.unwrap_or_default();
        Ok(render_script(
            id,
            label.as_deref(),
            &fingerprint,
            &at,
            &plan,
        ))
    })?)
}

// SECURITY INVOKER on purpose: the DDL runs with the caller's rights, so only
// someone who may alter those tables' policies can restore them.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.restore("ref" text DEFAULT 'baseline') RETURNS integer
    VOLATILE SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn restore(reference: Option<&str>) -> SqlResult<i32> {
    crate::schema::require_primary("restore")?;
    let (_, plan) = Spi::connect(|c| plan_for(c, reference))?;
    Spi::connect_mut(|c| -> Result<()> {
        for s in &plan.statements {
            c.update(s.as_str(), None, &[])?;
        }
        Ok(())
    })?;
    Ok(plan.statements.len() as i32)
}

#[cfg(test)]
mod unit {
    use super::*;

    fn p(cmd: &str, permissive: &str, roles: &[&str], u: Option<&str>, c: Option<&str>) -> Policy {
        Policy {
            schema_name: "Intake Ω".into(),
            table_name: "forms \"v2\"".into(),
            policy_name: "Tenant Read".into(),
            permissive: permissive.into(),
            command: cmd.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using_expr: u.map(Into::into),
            check_expr: c.map(Into::into),
        }
    }

    #[test]
    fn renders_awkward_names_and_public() {
        let sql = render_create_policy(&p(
            "SELECT",
            "PERMISSIVE",
            &["Role With Space", "public"],
            Some("(tenant_id = 1)"),
            None,
        ));
        assert_eq!(
            sql,
            "CREATE POLICY \"Tenant Read\" ON \"Intake Ω\".\"forms \"\"v2\"\"\" FOR SELECT \
             TO \"Role With Space\", PUBLIC USING ((tenant_id = 1));"
        );
    }

    #[test]
    fn restrictive_and_check_only() {
        let sql = render_create_policy(&p("INSERT", "RESTRICTIVE", &["app"], None, Some("true")));
        assert!(
            sql.contains(" AS RESTRICTIVE FOR INSERT TO app WITH CHECK (true);"),
            "{sql}"
        );
        assert!(!sql.contains("USING"));
    }

    #[test]
    fn every_command_is_spelled_out() {
        for cmd in ["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"] {
            let sql = render_create_policy(&p(cmd, "PERMISSIVE", &["public"], Some("true"), None));
            assert!(sql.contains(&format!(" FOR {cmd} TO PUBLIC ")), "{sql}");
            assert!(!sql.contains("AS RESTRICTIVE"));
        }
    }

    #[test]
    fn keyword_names_are_quoted() {
        let mut q = p(
            "UPDATE",
            "PERMISSIVE",
            &["user"],
            Some("true"),
            Some("true"),
        );
        q.policy_name = "select".into();
        q.schema_name = "order".into();
        q.table_name = "table".into();
        assert_eq!(
            render_create_policy(&q),
            "CREATE POLICY \"select\" ON \"order\".\"table\" FOR UPDATE TO \"user\" \
             USING (true) WITH CHECK (true);"
        );
    }

    #[test]
    fn empty_role_list_means_public() {
        let mut q = p("ALL", "PERMISSIVE", &[], Some("true"), None);
        q.roles.clear();
        assert!(render_create_policy(&q).contains(" TO PUBLIC "));
    }

    fn table(name: &str, enabled: bool, forced: bool) -> catalog::Table {
        catalog::Table {
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
            permissive: "PERMISSIVE".into(),
            command: "ALL".into(),
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
