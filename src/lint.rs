//! Lint: the RLS posture's known mistakes, as rows.
//!
//! One read-only catalog query per lint family (tables, policies, roles,
//! functions, views); the rules themselves are plain Rust over the rows, and
//! expressions are judged by `expr.rs`, not by regular expressions.
use std::collections::{BTreeMap, BTreeSet};

use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::catalog::EXCLUDED_SCHEMAS_SQL;
use crate::drift::Severity;
use crate::error::Result;
use crate::expr::{self, is_constant_true};
use crate::ident::{quote_ident, quote_qualified};
use crate::regclass::Name;

/// Every lint, in catalogue order (README lists them the same way).
pub const LINTS: [&str; 12] = [
    "rls_disabled",
    "policy_exists_rls_disabled",
    "rls_enabled_no_policy",
    "rls_not_forced",
    "policy_always_true",
    "policy_to_public",
    "multiple_permissive_policies",
    "bypassrls_role",
    "security_definer_search_path",
    "view_bypasses_rls",
    "policy_per_row_function",
    "current_setting_without_missing_ok",
];

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub lint: &'static str,
    pub severity: Severity,
    pub schema_name: Option<String>,
    pub object_name: String,
    pub detail: String,
    pub remediation: String,
}

impl Finding {
    /// The key a `lint_ignore` row names: `schema.object` (each part as
    /// quote_ident writes it), or the role name for role findings.
    pub fn object_key(&self) -> String {
        match &self.schema_name {
            Some(s) => format!("{}.{}", quote_ident(s), self.object_name),
            None => self.object_name.clone(),
        }
    }
}

struct TableRow {
    schema: String,
    name: String,
    owner: String,
    owner_login: bool,
    owner_super: bool,
    rls_enabled: bool,
    rls_forced: bool,
    policies: i64,
    /// non-owner grantees and what they may do, e.g. "PUBLIC: SELECT"
    grants: Vec<String>,
}

fn tables(c: &SpiClient<'_>) -> Result<Vec<TableRow>> {
    let q = format!(
        r#"
SELECT n.nspname::text, c.relname::text, o.rolname::text, o.rolcanlogin, o.rolsuper,
       c.relrowsecurity, c.relforcerowsecurity,
       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid),
       ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END
                    || ': ' || pg_catalog.string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type)
               FROM pg_catalog.aclexplode(c.relacl) a
               LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
              WHERE a.grantee <> c.relowner
                AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
              GROUP BY a.grantee, r.rolname ORDER BY 1)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
 WHERE c.relkind IN ('r', 'p') AND {EXCLUDED_SCHEMAS_SQL}
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'e')"#
    );
    let mut out = Vec::new();
    for r in c.select(q.as_str(), None, &[])? {
        out.push(TableRow {
            schema: r.get::<String>(1)?.unwrap_or_default(),
            name: r.get::<String>(2)?.unwrap_or_default(),
            owner: r.get::<String>(3)?.unwrap_or_default(),
            owner_login: r.get::<bool>(4)?.unwrap_or(false),
            owner_super: r.get::<bool>(5)?.unwrap_or(false),
            rls_enabled: r.get::<bool>(6)?.unwrap_or(false),
            rls_forced: r.get::<bool>(7)?.unwrap_or(false),
            policies: r.get::<i64>(8)?.unwrap_or(0),
            grants: r.get::<Vec<String>>(9)?.unwrap_or_default(),
        });
    }
    Ok(out)
}

fn table_lints(t: &TableRow, out: &mut Vec<Finding>) {
    let q = quote_qualified(&t.schema, &t.name);
    let mut push = |lint, severity, detail: String, remediation: String| {
        out.push(Finding {
            lint,
            severity,
            schema_name: Some(t.schema.clone()),
            object_name: quote_ident(&t.name),
            detail,
            remediation,
        })
    };
    if !t.rls_enabled && t.policies > 0 {
        push(
            "policy_exists_rls_disabled",
            Severity::Critical,
            format!(
                "{} polic{} but row-level security is disabled: the policies do nothing",
                if t.policies == 1 {
                    "has 1".to_string()
                } else {
                    format!("has {}", t.policies)
                },
                if t.policies == 1 { "y" } else { "ies" }
            ),
            format!("ALTER TABLE {q} ENABLE ROW LEVEL SECURITY;"),
        );
    } else if !t.rls_enabled && !t.grants.is_empty() {
        push(
            "rls_disabled",
            Severity::High,
            format!(
                "row-level security is off and other roles reach every row through grants ({})",
                t.grants.join("; ")
            ),
            format!("ALTER TABLE {q} ENABLE ROW LEVEL SECURITY; then CREATE POLICY for each role that needs rows"),
        );
    }
    if t.rls_enabled && t.policies == 0 {
        push(
            "rls_enabled_no_policy",
            Severity::Info,
            "row-level security is enabled without any policy: only the owner and BYPASSRLS roles see rows".into(),
            format!("CREATE POLICY ... ON {q} for the roles that need rows, or leave it deny-all on purpose"),
        );
    }
    if t.rls_enabled && !t.rls_forced {
        let app_owner = t.owner_login && !t.owner_super;
        push(
            "rls_not_forced",
            if app_owner {
                Severity::High
            } else {
                Severity::Low
            },
            if app_owner {
                format!(
                    "the owner {} can log in and bypasses the policies: RLS is not forced",
                    quote_ident(&t.owner)
                )
            } else {
                format!(
                    "the owner {} bypasses the policies: RLS is not forced",
                    quote_ident(&t.owner)
                )
            },
            format!("ALTER TABLE {q} FORCE ROW LEVEL SECURITY;"),
        );
    }
}

struct PolicyRow {
    schema: String,
    table: String,
    name: String,
    permissive: bool,
    command: String,
    roles: Vec<String>,
    using_expr: Option<String>,
    check_expr: Option<String>,
}

fn policies(c: &SpiClient<'_>) -> Result<Vec<PolicyRow>> {
    let q = format!(
        r#"
SELECT n.nspname::text, c.relname::text, p.polname::text, p.polpermissive,
       CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                     WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
       ARRAY(SELECT CASE WHEN x = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x)::text END
               FROM pg_catalog.unnest(p.polroles) AS x),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {EXCLUDED_SCHEMAS_SQL}
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'e')"#
    );
    let mut out = Vec::new();
    for r in c.select(q.as_str(), None, &[])? {
        let mut roles = r.get::<Vec<String>>(6)?.unwrap_or_default();
        roles.sort();
        out.push(PolicyRow {
            schema: r.get::<String>(1)?.unwrap_or_default(),
            table: r.get::<String>(2)?.unwrap_or_default(),
            name: r.get::<String>(3)?.unwrap_or_default(),
            permissive: r.get::<bool>(4)?.unwrap_or(true),
            command: r.get::<String>(5)?.unwrap_or_default(),
            roles,
            using_expr: r.get::<String>(7)?,
            check_expr: r.get::<String>(8)?,
        });
    }
    Ok(out)
}

/// Functions (schema, name) that are not IMMUTABLE, among `candidates`.
fn non_immutable(
    c: &SpiClient<'_>,
    candidates: &BTreeSet<(String, String)>,
) -> Result<BTreeSet<(String, String)>> {
    if candidates.is_empty() {
        return Ok(BTreeSet::new());
    }
    let (schemas, names): (Vec<String>, Vec<String>) = candidates.iter().cloned().unzip();
    let mut out = BTreeSet::new();
    for r in c.select(
        "SELECT DISTINCT x.s, x.f
           FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS x(s, f)
           JOIN pg_catalog.pg_namespace n ON n.nspname = x.s
           JOIN pg_catalog.pg_proc p ON p.pronamespace = n.oid AND p.proname = x.f
          WHERE p.provolatile <> 'i'",
        None,
        &[schemas.into(), names.into()],
    )? {
        out.insert((
            r.get::<String>(1)?.unwrap_or_default(),
            r.get::<String>(2)?.unwrap_or_default(),
        ));
    }
    Ok(out)
}

fn policy_lints(
    c: Option<&SpiClient<'_>>,
    pols: &[PolicyRow],
    login_roles: &BTreeSet<String>,
    out: &mut Vec<Finding>,
) -> Result<()> {
    // calls per policy, and the set of functions to look up once
    let mut candidates = BTreeSet::new();
    let calls: Vec<Vec<expr::Call>> = pols
        .iter()
        .map(|p| {
            let mut v = Vec::new();
            for e in [&p.using_expr, &p.check_expr].into_iter().flatten() {
                v.extend(expr::calls(e));
            }
            for k in &v {
                candidates.insert((
                    k.schema.clone().unwrap_or_else(|| "pg_catalog".into()),
                    k.name.clone(),
                ));
            }
            v
        })
        .collect();
    // without the catalog (a snapshot's state) volatility is unknown and
    // policy_per_row_function cannot be judged
    let volatile = match c {
        Some(c) => non_immutable(c, &candidates)?,
        None => BTreeSet::new(),
    };

    for (p, calls) in pols.iter().zip(&calls) {
        let table = quote_qualified(&p.schema, &p.table);
        let object = format!("{}.{}", quote_ident(&p.table), quote_ident(&p.name));
        let mut push = |lint, severity, detail: String, remediation: String| {
            out.push(Finding {
                lint,
                severity,
                schema_name: Some(p.schema.clone()),
                object_name: object.clone(),
                detail,
                remediation,
            })
        };
        let to_public = p.roles.is_empty() || p.roles.iter().any(|r| r == "public");
        let reaches_people = to_public || p.roles.iter().any(|r| login_roles.contains(r));
        let using_true = is_constant_true(p.using_expr.as_deref());
        let check_true = is_constant_true(p.check_expr.as_deref());
        if using_true || check_true {
            let which = match (using_true, check_true) {
                (true, true) => "USING and WITH CHECK are",
                (true, false) => "USING is",
                _ => "WITH CHECK is",
            };
            let severity = match (p.permissive, reaches_people) {
                (false, _) => Severity::Low,
                (true, true) => Severity::Critical,
                (true, false) => Severity::High,
            };
            let effect = if p.permissive {
                format!(
                    "every row is open to {{{}}} for {}",
                    p.roles.join(","),
                    p.command
                )
            } else {
                "the restrictive policy restricts nothing".to_string()
            };
            push(
                "policy_always_true",
                severity,
                format!("{which} constantly true: {effect}"),
                format!(
                    "ALTER POLICY {} ON {table} {}; or DROP POLICY {} ON {table};",
                    quote_ident(&p.name),
                    if using_true {
                        "USING (<tenant condition>)"
                    } else {
                        "WITH CHECK (<tenant condition>)"
                    },
                    quote_ident(&p.name)
                ),
            );
        }
        if p.permissive && to_public {
            push(
                "policy_to_public",
                Severity::Medium,
                format!(
                    "permissive {} policy applies to PUBLIC: every role, present and future",
                    p.command
                ),
                format!(
                    "ALTER POLICY {} ON {table} TO <the roles that need it>;",
                    quote_ident(&p.name)
                ),
            );
        }
        // per-row calls: unwrapped calls of non-immutable functions
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
        if !per_row.is_empty() {
            let list: Vec<String> = per_row.into_iter().collect();
            let wrapped: Vec<String> = list.iter().map(|f| format!("(SELECT {f})")).collect();
            push(
                "policy_per_row_function",
                Severity::Low,
                format!("calls {} for every row: not IMMUTABLE and not wrapped in a sub-select", list.join(", ")),
                format!(
                    "ALTER POLICY {} ON {table} with each call wrapped so it runs once per statement: {}",
                    quote_ident(&p.name),
                    wrapped.join(", ")
                ),
            );
        }
        if calls.iter().any(|k| {
            k.name == "current_setting"
                && k.args == 1
                && k.schema.as_deref().is_none_or(|s| s == "pg_catalog")
        }) {
            push(
                "current_setting_without_missing_ok",
                Severity::Low,
                "current_setting(name) without missing_ok raises an error when the setting is unset, instead of matching no row".into(),
                "use NULLIF(current_setting('<name>', true), '') so an unset or empty setting matches nothing".into(),
            );
        }
    }

    // multiple_permissive_policies: one finding per table, listing each
    // (role, command) served by more than one permissive policy
    // (schema, table) → (role, command) → policy names
    type Overlaps<'a> = BTreeMap<(String, &'a str), Vec<&'a str>>;
    let mut by_table: BTreeMap<(&str, &str), Overlaps> = BTreeMap::new();
    for p in pols.iter().filter(|p| p.permissive) {
        let cmds: &[&str] = match p.command.as_str() {
            "ALL" => &["SELECT", "INSERT", "UPDATE", "DELETE"],
            "SELECT" => &["SELECT"],
            "INSERT" => &["INSERT"],
            "UPDATE" => &["UPDATE"],
            _ => &["DELETE"],
        };
        let roles = if p.roles.is_empty() {
            vec!["public".to_string()]
        } else {
            p.roles.clone()
        };
        for r in roles {
            for cmd in cmds {
                by_table
                    .entry((p.schema.as_str(), p.table.as_str()))
                    .or_default()
                    .entry((r.clone(), cmd))
                    .or_default()
                    .push(&p.name);
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
                format!(
                    "{} {cmd}: {}",
                    crate::restore::render_role(role),
                    names.join(", ")
                )
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
    Ok(())
}

fn role_lints(c: &SpiClient<'_>, out: &mut Vec<Finding>) -> Result<BTreeSet<String>> {
    let mut login = BTreeSet::new();
    for r in c.select(
        "SELECT rolname::text, rolbypassrls AND NOT rolsuper
           FROM pg_catalog.pg_roles WHERE rolcanlogin AND rolname !~ '^pg_'",
        None,
        &[],
    )? {
        let name = r.get::<String>(1)?.unwrap_or_default();
        if r.get::<bool>(2)?.unwrap_or(false) {
            out.push(Finding {
                lint: "bypassrls_role",
                severity: Severity::High,
                schema_name: None,
                object_name: quote_ident(&name),
                detail: "a login role with BYPASSRLS: every policy is ignored for its sessions"
                    .into(),
                remediation: format!("ALTER ROLE {} NOBYPASSRLS;", quote_ident(&name)),
            });
        }
        login.insert(name);
    }
    Ok(login)
}

fn function_lints(c: &SpiClient<'_>, out: &mut Vec<Finding>) -> Result<()> {
    let q = format!(
        r#"
SELECT n.nspname::text, p.proname::text, pg_catalog.oidvectortypes(p.proargtypes),
       (SELECT pg_catalog.substr(x, 13) FROM pg_catalog.unnest(p.proconfig) x
         WHERE x LIKE 'search\_path=%' LIMIT 1),
       ARRAY(SELECT s.nspname::text FROM pg_catalog.pg_namespace s
              WHERE EXISTS (SELECT 1 FROM pg_catalog.aclexplode(s.nspacl) a
                             WHERE a.grantee = 0 AND a.privilege_type = 'CREATE'))
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prosecdef AND {EXCLUDED_SCHEMAS_SQL}
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                      AND d.objid = p.oid AND d.deptype = 'e')"#
    );
    for r in c.select(q.as_str(), None, &[])? {
        let schema = r.get::<String>(1)?.unwrap_or_default();
        let name = r.get::<String>(2)?.unwrap_or_default();
        let args = r.get::<String>(3)?.unwrap_or_default();
        let path = r.get::<String>(4)?;
        let writable: BTreeSet<String> = r
            .get::<Vec<String>>(5)?
            .unwrap_or_default()
            .into_iter()
            .collect();
        let object = format!("{}({args})", quote_ident(&name));
        let remediation = format!(
            "ALTER FUNCTION {}.{object} SET search_path = pg_catalog, pg_temp;",
            quote_ident(&schema)
        );
        let problem = match path.as_deref() {
            None => Some((Severity::High, "SECURITY DEFINER without a fixed search_path: the caller's path decides what it runs".to_string())),
            Some(p) => search_path_problem(p, &writable),
        };
        if let Some((severity, detail)) = problem {
            out.push(Finding {
                lint: "security_definer_search_path",
                severity,
                schema_name: Some(schema),
                object_name: object,
                detail,
                remediation,
            });
        }
    }
    Ok(())
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

fn view_lints(c: &SpiClient<'_>, out: &mut Vec<Finding>) -> Result<()> {
    // a view runs with its owner's rights unless security_invoker; it
    // bypasses a table's policies when that owner is superuser, BYPASSRLS,
    // or owns the table without FORCE
    let q = format!(
        r#"
SELECT DISTINCT n.nspname::text, v.relname::text, o.rolname::text,
       tn.nspname::text, t.relname::text,
       CASE WHEN o.rolsuper THEN 'is a superuser'
            WHEN o.rolbypassrls THEN 'has BYPASSRLS'
            ELSE 'owns it and RLS is not forced' END
  FROM pg_catalog.pg_class v
  JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace
  JOIN pg_catalog.pg_roles o ON o.oid = v.relowner
  JOIN pg_catalog.pg_rewrite w ON w.ev_class = v.oid
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                             AND d.objid = w.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
  JOIN pg_catalog.pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid AND t.relrowsecurity
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
 WHERE v.relkind = 'v' AND {EXCLUDED_SCHEMAS_SQL}
   AND NOT coalesce(v.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on',
                                                   'security_invoker=1', 'security_invoker=yes'], false)
   AND (o.rolsuper OR o.rolbypassrls OR (t.relowner = v.relowner AND NOT t.relforcerowsecurity))
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND e.objid = v.oid AND e.deptype = 'e')
 ORDER BY 1, 2, 4, 5"#
    );
    let mut views: BTreeMap<(String, String), (String, Vec<String>)> = BTreeMap::new();
    for r in c.select(q.as_str(), None, &[])? {
        let schema = r.get::<String>(1)?.unwrap_or_default();
        let view = r.get::<String>(2)?.unwrap_or_default();
        let owner = r.get::<String>(3)?.unwrap_or_default();
        let table = quote_qualified(
            &r.get::<String>(4)?.unwrap_or_default(),
            &r.get::<String>(5)?.unwrap_or_default(),
        );
        let why = r.get::<String>(6)?.unwrap_or_default();
        views
            .entry((schema, view))
            .or_insert_with(|| (owner, Vec::new()))
            .1
            .push(format!("{table} (owner {why})"));
    }
    for ((schema, view), (owner, tables)) in views {
        out.push(Finding {
            lint: "view_bypasses_rls",
            severity: Severity::High,
            schema_name: Some(schema.clone()),
            object_name: quote_ident(&view),
            detail: format!(
                "the view runs as its owner {} and so skips the row-level security of {}",
                quote_ident(&owner),
                tables.join(", ")
            ),
            remediation: format!(
                "ALTER VIEW {} SET (security_invoker = on);",
                quote_qualified(&schema, &view)
            ),
        });
    }
    Ok(())
}

/// Every finding, suppressed or not, for the schemas asked (None = all).
/// Role findings belong to no schema and come only when no filter is given.
pub fn run_all(c: &SpiClient<'_>, schemas: Option<&[Option<String>]>) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    let login = role_lints(c, &mut out)?;
    for t in tables(c)? {
        table_lints(&t, &mut out);
    }
    policy_lints(Some(c), &policies(c)?, &login, &mut out)?;
    function_lints(c, &mut out)?;
    view_lints(c, &mut out)?;
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
    Ok(out)
}

/// The lints that can be judged from a [`State`] alone (a snapshot has no
/// grants, functions, views or volatility): the same rules as `lint()`, so a
/// baseline and the live database can be compared like for like.
pub fn lint_state(state: &crate::catalog::State) -> Vec<Finding> {
    let mut out = Vec::new();
    let roles: BTreeMap<&str, &crate::catalog::Role> = state
        .roles
        .iter()
        .map(|r| (r.role_name.as_str(), r))
        .collect();
    let mut login = BTreeSet::new();
    for r in &state.roles {
        if r.can_login {
            login.insert(r.role_name.clone());
            if r.bypassrls && !r.superuser {
                out.push(Finding {
                    lint: "bypassrls_role",
                    severity: Severity::High,
                    schema_name: None,
                    object_name: quote_ident(&r.role_name),
                    detail: "a login role with BYPASSRLS: every policy is ignored for its sessions"
                        .into(),
                    remediation: format!("ALTER ROLE {} NOBYPASSRLS;", quote_ident(&r.role_name)),
                });
            }
        }
    }
    for t in &state.tables {
        let owner = roles.get(t.owner.as_str());
        let row = TableRow {
            schema: t.schema_name.clone(),
            name: t.table_name.clone(),
            owner: t.owner.clone(),
            owner_login: owner.is_some_and(|o| o.can_login),
            owner_super: owner.is_some_and(|o| o.superuser),
            rls_enabled: t.rls_enabled,
            rls_forced: t.rls_forced,
            policies: state
                .policies
                .iter()
                .filter(|p| p.schema_name == t.schema_name && p.table_name == t.table_name)
                .count() as i64,
            grants: Vec::new(),
        };
        table_lints(&row, &mut out);
    }
    let pols: Vec<PolicyRow> = state
        .policies
        .iter()
        .map(|p| PolicyRow {
            schema: p.schema_name.clone(),
            table: p.table_name.clone(),
            name: p.policy_name.clone(),
            permissive: p.permissive == "PERMISSIVE",
            command: p.command.clone(),
            roles: p.roles.clone(),
            using_expr: p.using_expr.clone(),
            check_expr: p.check_expr.clone(),
        })
        .collect();
    // without a client no query runs, so this cannot fail
    let _ = policy_lints(None, &pols, &login, &mut out);
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

/// One `lint_ignore` row.
#[derive(Clone, Debug, PartialEq)]
pub struct Suppression {
    pub lint: String,
    /// NULL: the object in any schema
    pub schema_name: Option<String>,
    pub object: String,
    pub reason: String,
    pub added_by: String,
    pub added_at: String,
}

impl Suppression {
    /// Does this row silence `f`? `object` is the `object_name` lint()
    /// prints, in `schema_name` or (NULL) in any schema; the older spelling
    /// `schema.object` (quote_ident parts) keeps working.
    pub fn silences(&self, f: &Finding) -> bool {
        if self.lint != f.lint {
            return false;
        }
        match &self.schema_name {
            Some(s) => f.schema_name.as_deref() == Some(s.as_str()) && self.object == f.object_name,
            None => self.object == f.object_name || self.object == f.object_key(),
        }
    }
}

fn suppressions(c: &SpiClient<'_>) -> Result<Vec<Suppression>> {
    crate::schema::require_current(c)?;
    let mut out = Vec::new();
    for r in c.select(
        "SELECT lint, schema_name::text, object, reason, added_by::text, added_at::text
           FROM rls_audit.lint_ignore",
        None,
        &[],
    )? {
        out.push(Suppression {
            lint: r.get::<String>(1)?.unwrap_or_default(),
            schema_name: r.get::<String>(2)?,
            object: r.get::<String>(3)?.unwrap_or_default(),
            reason: r.get::<String>(4)?.unwrap_or_default(),
            added_by: r.get::<String>(5)?.unwrap_or_default(),
            added_at: r.get::<String>(6)?.unwrap_or_default(),
        });
    }
    Ok(out)
}

fn silenced_by<'a>(rules: &'a [Suppression], f: &Finding) -> Option<&'a Suppression> {
    rules.iter().find(|r| r.silences(f))
}

/// A suppressed finding and the reason it was accepted.
pub type Suppressed = (Finding, String);

/// Split findings into (open, suppressed with their reason).
pub fn split_suppressed(
    c: &SpiClient<'_>,
    findings: Vec<Finding>,
) -> Result<(Vec<Finding>, Vec<Suppressed>)> {
    let ignore = suppressions(c)?;
    let mut open = Vec::new();
    let mut silenced = Vec::new();
    for f in findings {
        match silenced_by(&ignore, &f) {
            Some(rule) => silenced.push((f, rule.reason.clone())),
            None => open.push(f),
        }
    }
    Ok((open, silenced))
}

/// Findings not silenced by `lint_ignore`.
pub fn open_findings(
    c: &SpiClient<'_>,
    schemas: Option<&[Option<String>]>,
) -> Result<Vec<Finding>> {
    let ignore = suppressions(c)?;
    Ok(run_all(c, schemas)?
        .into_iter()
        .filter(|f| silenced_by(&ignore, f).is_none())
        .collect())
}

type LintRow = (String, String, Option<Name>, String, String, String);

fn to_row(f: Finding) -> LintRow {
    (
        f.lint.to_string(),
        f.severity.as_str().to_string(),
        f.schema_name.map(Name),
        f.object_name,
        f.detail,
        f.remediation,
    )
}

// SECURITY DEFINER: reads lint_ignore, which PUBLIC cannot; the catalog
// reads would be the same for any caller.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn lint(
    schemas: default!(Option<Vec<Option<String>>>, "NULL"),
) -> std::result::Result<
    TableIterator<
        'static,
        (
            name!(lint, String),
            name!(severity, String),
            name!(schema_name, Option<Name>),
            name!(object_name, String),
            name!(detail, String),
            name!(remediation, String),
        ),
    >,
    pgrx::pg_sys::panic::ErrorReport,
> {
    let rows = Spi::connect(|c| open_findings(c, schemas.as_deref()))?;
    Ok(TableIterator::new(
        rows.into_iter().map(to_row).collect::<Vec<_>>(),
    ))
}

// SECURITY DEFINER: reads lint_ignore, which PUBLIC cannot.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn lint_suppressed(
    schemas: default!(Option<Vec<Option<String>>>, "NULL"),
) -> std::result::Result<
    TableIterator<
        'static,
        (
            name!(lint, String),
            name!(severity, String),
            name!(schema_name, Option<Name>),
            name!(object_name, String),
            name!(reason, String),
            name!(added_by, String),
            name!(added_at, String),
        ),
    >,
    pgrx::pg_sys::panic::ErrorReport,
> {
    let rows = Spi::connect(|c| -> Result<Vec<_>> {
        let ignore = suppressions(c)?;
        Ok(run_all(c, schemas.as_deref())?
            .into_iter()
            .filter_map(|f| {
                let rule = silenced_by(&ignore, &f)?.clone();
                let (reason, by, at) = (rule.reason, rule.added_by, rule.added_at);
                Some((
                    f.lint.to_string(),
                    f.severity.as_str().to_string(),
                    f.schema_name.map(Name),
                    f.object_name,
                    reason,
                    by,
                    at,
                ))
            })
            .collect())
    })?;
    Ok(TableIterator::new(rows))
}

/// Is `name` one of the lints (lint_ignore's CHECK constraint lists the same)?
pub fn is_lint(name: &str) -> bool {
    LINTS.contains(&name)
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
        assert_eq!(LINTS.len(), 12);
        assert!(is_lint("view_bypasses_rls"));
        assert!(!is_lint("unknown"));
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
