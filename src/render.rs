//! SQL text rendered from the model: the one place a `CREATE POLICY`, a
//! `DROP POLICY` or an RLS flag statement is written. Pure: drift rows,
//! restore plans, capture's rendered statements and lint remediations all
//! use it, so they spell a policy the same way.
use crate::ident::{quote_ident, quote_qualified};
use crate::model::{Mode, Policy};

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
pub(crate) fn render_create_policy(p: &Policy) -> String {
    let mut sql = format!(
        "CREATE POLICY {} ON {}",
        quote_ident(&p.policy_name),
        quote_qualified(&p.schema_name, &p.table_name)
    );
    if p.permissive == Mode::Restrictive {
        sql.push_str(" AS RESTRICTIVE");
    }
    sql.push_str(" FOR ");
    sql.push_str(p.command.as_sql());
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

/// `DROP POLICY IF EXISTS`, so a script can be replayed.
pub(crate) fn drop_policy(schema: &str, table: &str, policy: &str) -> String {
    format!(
        "DROP POLICY IF EXISTS {} ON {};",
        quote_ident(policy),
        quote_qualified(schema, table)
    )
}

/// `ALTER TABLE … ENABLE|DISABLE|FORCE|NO FORCE ROW LEVEL SECURITY`.
pub(crate) fn alter_rls(schema: &str, table: &str, action: &str) -> String {
    format!(
        "ALTER TABLE {} {action} ROW LEVEL SECURITY;",
        quote_qualified(schema, table)
    )
}

/// `DROP POLICY` as a DBA typed it (no IF EXISTS: it existed).
pub(crate) fn drop_policy_strict(schema: &str, table: &str, policy: &str) -> String {
    format!(
        "DROP POLICY {} ON {};",
        quote_ident(policy),
        quote_qualified(schema, table)
    )
}

/// The `ALTER POLICY` that gives an existing policy `p`'s roles and
/// expressions (its command and mode cannot be altered).
pub(crate) fn alter_policy(p: &Policy) -> String {
    let mut s = format!(
        "ALTER POLICY {} ON {}",
        quote_ident(&p.policy_name),
        quote_qualified(&p.schema_name, &p.table_name)
    );
    let roles: Vec<String> = p.roles.iter().map(|r| render_role(r)).collect();
    if !roles.is_empty() {
        s.push_str(&format!(" TO {}", roles.join(", ")));
    }
    if let Some(u) = &p.using_expr {
        s.push_str(&format!(" USING ({u})"));
    }
    if let Some(k) = &p.check_expr {
        s.push_str(&format!(" WITH CHECK ({k})"));
    }
    s + ";"
}

/// `ALTER POLICY … RENAME TO`.
pub(crate) fn rename_policy(schema: &str, table: &str, old: &str, new: &str) -> String {
    format!(
        "ALTER POLICY {} ON {} RENAME TO {};",
        quote_ident(old),
        quote_qualified(schema, table),
        quote_ident(new)
    )
}

/// A table moved and/or renamed: `SET SCHEMA` first, then `RENAME TO`.
pub(crate) fn move_table(from: (&str, &str), to: (&str, &str)) -> String {
    let ((s0, t0), (s1, t1)) = (from, to);
    let mut parts = Vec::new();
    if s0 != s1 {
        parts.push(format!(
            "ALTER TABLE {} SET SCHEMA {};",
            quote_qualified(s0, t0),
            quote_ident(s1)
        ));
    }
    if t0 != t1 {
        parts.push(format!(
            "ALTER TABLE {} RENAME TO {};",
            quote_qualified(s1, t0),
            quote_ident(t1)
        ));
    }
    parts.join(" ")
}

/// `ALTER SCHEMA … RENAME TO`.
pub(crate) fn rename_schema(old: &str, new: &str) -> String {
    format!(
        "ALTER SCHEMA {} RENAME TO {};",
        quote_ident(old),
        quote_ident(new)
    )
}

pub(crate) fn drop_table(schema: &str, table: &str) -> String {
    format!("DROP TABLE {};", quote_qualified(schema, table))
}

/// The freeze calls, as recorded for the freeze's own events.
pub(crate) fn freeze(reason: &str) -> String {
    format!(
        "SELECT rls_audit.freeze({});",
        crate::ident::quote_literal(reason)
    )
}

pub(crate) fn unfreeze() -> String {
    "SELECT rls_audit.unfreeze();".into()
}

/// `CREATE ROLE` with the attributes rls_audit tracks.
pub(crate) fn create_role(role: &str, superuser: bool, bypassrls: bool, can_login: bool) -> String {
    format!(
        "CREATE ROLE {} {} {} {};",
        quote_ident(role),
        if superuser {
            "SUPERUSER"
        } else {
            "NOSUPERUSER"
        },
        if bypassrls {
            "BYPASSRLS"
        } else {
            "NOBYPASSRLS"
        },
        if can_login { "LOGIN" } else { "NOLOGIN" }
    )
}

/// `ALTER ROLE` setting the attributes rls_audit tracks.
pub(crate) fn alter_role(role: &str, superuser: bool, bypassrls: bool, can_login: bool) -> String {
    create_role(role, superuser, bypassrls, can_login).replacen("CREATE ROLE", "ALTER ROLE", 1)
}

pub(crate) fn drop_role(role: &str) -> String {
    format!("DROP ROLE {};", quote_ident(role))
}

/// `GRANT role TO member`, with the admin option when it is held.
pub(crate) fn grant_role(role: &str, member: &str, admin: bool) -> String {
    format!(
        "GRANT {} TO {}{};",
        quote_ident(role),
        quote_ident(member),
        if admin { " WITH ADMIN OPTION" } else { "" }
    )
}

pub(crate) fn revoke_role(role: &str, member: &str) -> String {
    format!("REVOKE {} FROM {};", quote_ident(role), quote_ident(member))
}

/// `GRANT` / `REVOKE` of table privileges as rls_audit spells them
/// (`SELECT`, `UPDATE (col)`, `… WITH GRANT OPTION`).
pub(crate) fn grant_table(
    grant: bool,
    privileges: &[String],
    schema: &str,
    table: &str,
    grantee: &str,
) -> String {
    let plain: Vec<&str> = privileges
        .iter()
        .map(|p| p.trim_end_matches(" WITH GRANT OPTION"))
        .collect();
    let option = grant && privileges.iter().any(|p| p.ends_with(" WITH GRANT OPTION"));
    format!(
        "{} {} ON TABLE {} {} {}{};",
        if grant { "GRANT" } else { "REVOKE" },
        plain.join(", "),
        quote_qualified(schema, table),
        if grant { "TO" } else { "FROM" },
        render_role(grantee),
        if option { " WITH GRANT OPTION" } else { "" }
    )
}

pub(crate) fn alter_owner(schema: &str, table: &str, owner: &str) -> String {
    format!(
        "ALTER TABLE {} OWNER TO {};",
        quote_qualified(schema, table),
        quote_ident(owner)
    )
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::model::Command;

    fn p(cmd: &str, permissive: &str, roles: &[&str], u: Option<&str>, c: Option<&str>) -> Policy {
        Policy {
            schema_name: "Intake Ω".into(),
            table_name: "forms \"v2\"".into(),
            policy_name: "Tenant Read".into(),
            permissive: permissive.parse().unwrap(),
            command: cmd.parse().unwrap(),
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

    #[test]
    fn event_statements_quote_names() {
        let q = p(
            "SELECT",
            "PERMISSIVE",
            &["app", "public"],
            Some("(a = 1)"),
            None,
        );
        assert_eq!(
            alter_policy(&q),
            "ALTER POLICY \"Tenant Read\" ON \"Intake Ω\".\"forms \"\"v2\"\"\" TO app, PUBLIC USING ((a = 1));"
        );
        assert_eq!(
            move_table(("a", "T"), ("b", "t2")),
            "ALTER TABLE a.\"T\" SET SCHEMA b; ALTER TABLE b.\"T\" RENAME TO t2;"
        );
        assert_eq!(
            move_table(("a", "t"), ("a", "u")),
            "ALTER TABLE a.t RENAME TO u;"
        );
        assert_eq!(
            rename_policy("s", "t", "old", "New"),
            "ALTER POLICY old ON s.t RENAME TO \"New\";"
        );
        assert_eq!(
            freeze("it's release"),
            "SELECT rls_audit.freeze('it''s release');"
        );
        assert_eq!(drop_policy_strict("s", "t", "p"), "DROP POLICY p ON s.t;");
    }

    #[test]
    fn drop_and_flag_statements_quote_names() {
        assert_eq!(
            drop_policy("S", "t", "p 1"),
            "DROP POLICY IF EXISTS \"p 1\" ON \"S\".t;"
        );
        assert_eq!(
            alter_rls("s", "order", "NO FORCE"),
            "ALTER TABLE s.\"order\" NO FORCE ROW LEVEL SECURITY;"
        );
        assert_eq!(Command::ALL.len(), 5);
    }
}
