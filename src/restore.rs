//! Writing policies back: `policy_ddl` today; the restore script reuses the
//! same renderer so a restored policy is byte-for-byte the snapshot's.
use pgrx::prelude::*;

use crate::catalog::{self, Policy};
use crate::error::{RlsAuditError, SqlResult};
use crate::ident::{quote_ident, quote_qualified};
use crate::regclass::{Name, RegClass};

/// Render one role of a `TO` list: PUBLIC is a keyword, not a role name.
fn render_role(role: &str) -> String {
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
}
