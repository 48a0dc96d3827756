//! Isolation proofs on live data: `verify_isolation()` and `probe()`.
//!
//! Every probe goes through `rls_audit._probe` (sql/probe.sql): one query,
//! run as the role with the settings, inside a subtransaction that is always
//! rolled back, so the caller's role, settings and data come back exactly as
//! they were. This module decides which probes to run, builds their SQL (names
//! quoted, values bound) and reads their outcomes into checks.
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::catalog::EXCLUDED_SCHEMAS_SQL;
use crate::error::{Result, RlsAuditError};
use crate::ident::{quote_ident, quote_qualified};
use crate::regclass::Name;

/// Bounded visibility probes count at most this many rows: enough to say
/// "rows leak", cheap enough for tables of any size.
const PROBE_LIMIT: i64 = 100;

/// How many tenant values are sampled per table when none are given.
const SAMPLE_TENANTS: i64 = 3;

/// What one probe returned.
#[derive(Debug, Clone)]
pub struct Outcome {
    values: Vec<Option<String>>,
    pub sqlstate: String,
    pub message: Option<String>,
}

/// What a probe's SQLSTATE and message say, for read and write probes alike.
trait ProbeState {
    fn state(&self) -> (&str, Option<&str>);
    fn ok(&self) -> bool {
        self.state().0 == "00000"
    }
    /// 42501 on the table itself: the role has no privilege at all (a
    /// WITH CHECK refusal is 42501 too, but says "row-level security").
    fn denied(&self) -> bool {
        let (code, message) = self.state();
        code == "42501" && message.is_some_and(|m| m.starts_with("permission denied"))
    }
    fn error_text(&self) -> String {
        let (code, message) = self.state();
        format!("{code}: {}", message.unwrap_or(""))
    }
}

impl ProbeState for Outcome {
    fn state(&self) -> (&str, Option<&str>) {
        (&self.sqlstate, self.message.as_deref())
    }
}

impl Outcome {
    fn count(&self) -> i64 {
        self.values
            .first()
            .cloned()
            .flatten()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

type Settings = Vec<(String, Option<String>)>;

/// Settings as the probe runners take them: name, value, name, value, …
fn flatten(settings: &Settings) -> Vec<Option<String>> {
    settings
        .iter()
        .flat_map(|(k, v)| [Some(k.clone()), v.clone()])
        .collect()
}

/// Run one probe through `rls_audit._probe`: `sql` is a query returning
/// one text[] (writes run on a shadow table, see [`write_probe`]). `role`
/// None = as the caller.
fn run(
    c: &SpiClient<'_>,
    role: Option<&str>,
    settings: &Settings,
    sql: &str,
    args: &[String],
) -> Result<Outcome> {
    // a read-only SPI call: on a hot standby nothing may ask for a
    // transaction id (the probe runner is VOLATILE, its own statements run
    // read-write where they must)
    let table = c.select(
        "SELECT o_result, o_state, o_message FROM rls_audit._probe($1, $2, $3, $4, $5)",
        Some(1),
        &[
            role.into(),
            flatten(settings).into(),
            sql.into(),
            args.to_vec().into(),
            // p_count: the runner's write mode, unused since write probes
            // moved to _write_probe (kept: the function's signature is released)
            false.into(),
        ],
    )?;
    let row = table.first();
    Ok(Outcome {
        values: row.get::<Vec<Option<String>>>(1)?.unwrap_or_default(),
        sqlstate: row.get::<String>(2)?.unwrap_or_else(|| "00000".into()),
        message: row.get::<String>(3)?,
    })
}

/// A table under test and what the probes need to know about it.
#[derive(Debug, Clone)]
struct Target {
    schema: String,
    table: String,
    owner: String,
    role_owns: bool,
    rls_enabled: bool,
    rls_forced: bool,
    /// `format_type` of the tenant column, used to cast bound values
    col_type: String,
    /// the tenant column
    column: String,
}

impl Target {
    fn qualified(&self) -> String {
        quote_qualified(&self.schema, &self.table)
    }
}

struct RoleInfo {
    superuser: bool,
    bypassrls: bool,
    search_path: Option<String>,
}

/// What a fresh login of `role` in this database gets for a setting, and
/// from where: `ALTER ROLE … IN DATABASE … SET`, then `ALTER ROLE … SET`,
/// then `ALTER DATABASE … SET` (PostgreSQL's own order), then the server's
/// configuration file when the caller may read it. None: no default.
const FRESH_LOGIN_SETTING: &str = r#"
SELECT v.value, v.source FROM (
    SELECT s.setdatabase <> 0 AND s.setrole <> 0 AS in_db, s.setrole <> 0 AS for_role,
           pg_catalog.substr(x.x, pg_catalog.strpos(x.x, '=') + 1) AS value,
           CASE WHEN s.setrole <> 0 AND s.setdatabase <> 0 THEN 'ALTER ROLE ... IN DATABASE ... SET'
                WHEN s.setrole <> 0 THEN 'ALTER ROLE ... SET'
                ELSE 'ALTER DATABASE ... SET' END AS source
      FROM pg_catalog.pg_db_role_setting s
      CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS x(x)
     WHERE s.setrole IN (0, (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = $1))
       AND s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d
                                  WHERE d.datname = pg_catalog.current_database()))
       AND NOT (s.setrole = 0 AND s.setdatabase = 0)
       AND pg_catalog.lower(pg_catalog.split_part(x.x, '=', 1)) = pg_catalog.lower($2)) v
 ORDER BY v.in_db DESC, v.for_role DESC LIMIT 1"#;

/// The server configuration file's value (pg_file_settings is readable by
/// superusers and pg_read_all_settings only; placeholders such as
/// app.tenant_id are not listed in pg_settings).
const FILE_SETTING: &str = r#"
SELECT f.setting, 'postgresql.conf' FROM pg_catalog.pg_file_settings f
 WHERE pg_catalog.lower(f.name) = pg_catalog.lower($1) AND f.applied
 ORDER BY f.seqno DESC LIMIT 1"#;

/// A fresh login's value of `setting` for `role`: (value, where from).
fn fresh_login_setting(
    c: &SpiClient<'_>,
    role: &str,
    setting: &str,
) -> Result<Option<(String, String)>> {
    let first = |rows: pgrx::spi::SpiTupleTable| -> Result<Option<(String, String)>> {
        let mut rows = rows;
        match rows.next() {
            Some(r) => Ok(Some((
                r.get::<String>(1)?.unwrap_or_default(),
                r.get::<String>(2)?.unwrap_or_default(),
            ))),
            None => Ok(None),
        }
    };
    if let Some(v) =
        first(c.select(FRESH_LOGIN_SETTING, Some(1), &[role.into(), setting.into()])?)?
    {
        return Ok(Some(v));
    }
    let may_read_file = c
        .select(
            "SELECT pg_catalog.has_function_privilege('pg_catalog.pg_show_all_file_settings()', 'EXECUTE')",
            Some(1),
            &[],
        )?
        .first()
        .get_one::<bool>()?
        .unwrap_or(false);
    if may_read_file {
        return first(c.select(FILE_SETTING, Some(1), &[setting.into()])?);
    }
    Ok(None)
}

fn role_info(c: &SpiClient<'_>, role: &str) -> Result<RoleInfo> {
    let mut rows = c.select(
        "SELECT r.rolsuper, r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname = $1",
        Some(1),
        &[role.into()],
    )?;
    let Some(row) = rows.next() else {
        return Err(RlsAuditError::UnknownRole(role.to_string()));
    };
    let (superuser, bypassrls) = (
        row.get::<bool>(1)?.unwrap_or(false),
        row.get::<bool>(2)?.unwrap_or(false),
    );
    // the role's own search_path, else the database's, else the server's:
    // what the application's sessions would use
    let search_path = match fresh_login_setting(c, role, "search_path")? {
        Some((v, _)) => Some(v),
        None => c
            .select(
                "SELECT boot_val FROM pg_catalog.pg_settings WHERE name = 'search_path'",
                Some(1),
                &[],
            )?
            .first()
            .get_one::<String>()?,
    };
    Ok(RoleInfo {
        superuser,
        bypassrls,
        search_path,
    })
}

/// A custom setting (`app.tenant_id`) or one PostgreSQL knows.
fn check_setting_name(c: &SpiClient<'_>, setting: &str) -> Result<()> {
    let custom = {
        let parts: Vec<&str> = setting.split('.').collect();
        parts.len() >= 2
            && parts.iter().all(|p| {
                let mut ch = p.chars();
                ch.next()
                    .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
                    && ch.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == '$')
            })
    };
    if custom {
        return Ok(());
    }
    let known = c
        .select(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = pg_catalog.lower($1))",
            None,
            &[setting.into()],
        )?
        .first()
        .get_one::<bool>()?
        .unwrap_or(false);
    if known {
        Ok(())
    } else {
        Err(RlsAuditError::InvalidParameter(format!(
            "\"{setting}\" is not a setting name (use a custom setting such as app.tenant_id)"
        )))
    }
}

/// The tables to verify: the given ones (each must exist and have the
/// column), or every table outside the system schemas that has the column.
fn targets(
    c: &SpiClient<'_>,
    role: &str,
    column: &str,
    tables: Option<&[Option<pg_sys::Oid>]>,
) -> Result<Vec<Target>> {
    if let Some(list) = tables {
        for oid in list.iter().flatten() {
            let row = c
                .select(
                    "SELECT (SELECT c.relkind::text FROM pg_catalog.pg_class c WHERE c.oid = $1),
                            (SELECT $1::regclass::text),
                            EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                     WHERE a.attrelid = $1 AND a.attname = $2
                                       AND a.attnum > 0 AND NOT a.attisdropped)",
                    Some(1),
                    &[(*oid).into(), column.into()],
                )?
                .first();
            let kind = row.get::<String>(1)?;
            let name = row.get::<String>(2)?.unwrap_or_default();
            match kind.as_deref() {
                None => return Err(RlsAuditError::UnknownTable(oid.to_u32())),
                Some("r") | Some("p") => {}
                Some(_) => {
                    return Err(RlsAuditError::WrongObjectType(format!(
                        "{name} is not a table"
                    )))
                }
            }
            if !row.get::<bool>(3)?.unwrap_or(false) {
                return Err(RlsAuditError::UnknownColumn {
                    column: column.to_string(),
                    table: name,
                });
            }
        }
    }
    let oids: Option<Vec<pg_sys::Oid>> = tables.map(|l| l.iter().flatten().copied().collect());
    let q = format!(
        r#"
SELECT n.nspname::text, c.relname::text, pg_catalog.pg_get_userbyid(c.relowner)::text,
       pg_catalog.pg_has_role($1::name, c.relowner, 'USAGE'),
       c.relrowsecurity, c.relforcerowsecurity,
       pg_catalog.format_type(a.atttypid, a.atttypmod)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a
    ON a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind IN ('r', 'p')
   AND CASE WHEN $3::oid[] IS NULL
            THEN {EXCLUDED_SCHEMAS_SQL} AND NOT c.relispartition
            ELSE c.oid = ANY ($3::oid[]) END
 ORDER BY n.nspname, c.relname"#
    );
    let mut out = Vec::new();
    for row in c.select(q.as_str(), None, &[role.into(), column.into(), oids.into()])? {
        out.push(Target {
            schema: row.get::<String>(1)?.unwrap_or_default(),
            table: row.get::<String>(2)?.unwrap_or_default(),
            owner: row.get::<String>(3)?.unwrap_or_default(),
            role_owns: row.get::<bool>(4)?.unwrap_or(false),
            rls_enabled: row.get::<bool>(5)?.unwrap_or(false),
            rls_forced: row.get::<bool>(6)?.unwrap_or(false),
            col_type: row.get::<String>(7)?.unwrap_or_default(),
            column: column.to_string(),
        });
    }
    if out.is_empty() && tables.is_none() {
        return Err(RlsAuditError::UnknownColumn {
            column: column.to_string(),
            table: "any table outside the system schemas".into(),
        });
    }
    Ok(out)
}

/// One result row of `verify_isolation`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub check_name: &'static str,
    pub schema_name: Option<String>,
    pub table_name: Option<String>,
    pub tenant: Option<String>,
    pub status: &'static str,
    pub rows_seen: Option<i64>,
    pub detail: String,
}

/// The probe SQL for one table; `$1` is always the text[] of arguments.
struct Sql<'a> {
    t: &'a Target,
    col: String,
}

impl Sql<'_> {
    fn tbl(&self) -> String {
        self.t.qualified()
    }
    fn ty(&self) -> &str {
        &self.t.col_type
    }
    /// Up to N distinct tenant values, one index descent each (loose index scan).
    fn sample(&self) -> String {
        let (tbl, col) = (self.tbl(), &self.col);
        format!(
            "WITH RECURSIVE s(v, n) AS (
                 (SELECT t.{col}, 1 FROM {tbl} t WHERE t.{col} IS NOT NULL ORDER BY t.{col} LIMIT 1)
                 UNION ALL
                 SELECT (SELECT t.{col} FROM {tbl} t WHERE t.{col} > s.v ORDER BY t.{col} LIMIT 1),
                        s.n + 1
                   FROM s WHERE s.n < {SAMPLE_TENANTS} AND s.v IS NOT NULL)
             SELECT ARRAY(SELECT s.v::text FROM s WHERE s.v IS NOT NULL)"
        )
    }
    /// Rows visible at all (bounded).
    fn visible(&self) -> String {
        format!(
            "SELECT ARRAY[(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {} LIMIT {PROBE_LIMIT}) s)::text]",
            self.tbl()
        )
    }
    /// Rows of the tenants in $1 visible (bounded).
    fn visible_of(&self) -> String {
        format!(
            "SELECT ARRAY[(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {} t
                WHERE t.{} = ANY ($1::{}[]) LIMIT {PROBE_LIMIT}) s)::text]",
            self.tbl(),
            self.col,
            self.ty()
        )
    }
}

/// The right to `SET ROLE`: membership on PostgreSQL 15 and older, the SET
/// option of a membership from 16 on; superusers always.
#[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
const MAY_SET_ROLE: &str =
    "SELECT pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER') FROM pg_catalog.pg_roles r WHERE r.rolname = $1";
#[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
const MAY_SET_ROLE: &str =
    "SELECT pg_catalog.pg_has_role(session_user, r.oid, 'SET') FROM pg_catalog.pg_roles r WHERE r.rolname = $1";

/// May the caller become `role` at all? Asked twice, before anything else
/// runs: the right PostgreSQL's SET ROLE checks (the session user's), and
/// a probe that really switches.
fn ensure_can_act_as(c: &SpiClient<'_>, role: &str) -> Result<()> {
    let denied = || {
        RlsAuditError::InsufficientPrivilege(format!(
            "permission denied to act as role \"{role}\": the caller must be allowed to SET ROLE to it"
        ))
    };
    let may = c
        .select(MAY_SET_ROLE, Some(1), &[role.into()])?
        .first()
        .get_one::<bool>()?
        .unwrap_or(false);
    if !may {
        return Err(denied());
    }
    let can = run(c, Some(role), &Vec::new(), "SELECT ARRAY['ok']", &[])?;
    if can.sqlstate == "42501" {
        Err(denied())
    } else if !can.ok() {
        Err(RlsAuditError::ObjectState(format!(
            "cannot act as role \"{role}\": {}",
            can.error_text()
        )))
    } else {
        Ok(())
    }
}

/// Everything one verify_isolation call needs.
struct Run<'a> {
    setting: &'a str,
    base: Settings,
}

impl Run<'_> {
    fn with_tenant(&self, value: Option<&str>) -> Settings {
        let mut s = self.base.clone();
        s.push((self.setting.to_string(), value.map(Into::into)));
        s
    }
}

fn check(
    name: &'static str,
    t: Option<&Target>,
    tenant: Option<&str>,
    status: &'static str,
    rows: Option<i64>,
    detail: String,
) -> Check {
    Check {
        check_name: name,
        schema_name: t.map(|t| t.schema.clone()),
        table_name: t.map(|t| t.table.clone()),
        tenant: tenant.map(Into::into),
        status,
        rows_seen: rows,
        detail,
    }
}

/// fail_closed_unset / fail_closed_empty: no row visible, or an error.
fn fail_closed(name: &'static str, t: &Target, o: &Outcome, how: &str) -> Check {
    if !o.ok() {
        let detail = if o.denied() {
            format!(
                "closed: the role has no SELECT privilege ({})",
                o.error_text()
            )
        } else {
            // an error is closed: the application gets no rows either
            format!("closed: the query errors with {how} ({})", o.error_text())
        };
        return check(name, Some(t), None, "PASS", Some(0), detail);
    }
    let n = o.count();
    if n == 0 {
        check(
            name,
            Some(t),
            None,
            "PASS",
            Some(0),
            format!("no row visible with {how}"),
        )
    } else {
        let more = if n >= PROBE_LIMIT {
            " (counting stopped there)"
        } else {
            ""
        };
        check(
            name,
            Some(t),
            None,
            "FAIL",
            Some(n),
            format!("{n} rows visible with {how}{more}: the policy does not fail closed"),
        )
    }
}

fn verify(
    c: &SpiClient<'_>,
    role: &str,
    setting: &str,
    column: &str,
    tables: Option<&[Option<pg_sys::Oid>]>,
    tenants: Option<&[Option<String>]>,
    write_probes: bool,
) -> Result<Vec<Check>> {
    let info = role_info(c, role)?;
    ensure_can_act_as(c, role)?;
    check_setting_name(c, setting)?;
    if tables.is_some_and(|t| t.iter().flatten().next().is_none()) {
        return Err(RlsAuditError::InvalidParameter(
            "tables is an empty array: pass NULL for every table with the tenant column".into(),
        ));
    }
    if tenants.is_some_and(|t| t.iter().flatten().next().is_none()) {
        return Err(RlsAuditError::InvalidParameter(
            "tenants is an empty array: pass NULL to sample tenant values from each table".into(),
        ));
    }
    let targets = targets(c, role, column, tables)?;
    // "unset" is what a fresh login of the role gets: its defaults apply
    let fresh = fresh_login_setting(c, role, setting)?;
    let defined_here = c
        .select(
            "SELECT pg_catalog.current_setting($1, true) IS NOT NULL",
            Some(1),
            &[setting.into()],
        )?
        .first()
        .get_one::<bool>()?
        .unwrap_or(false);

    let base: Settings = match &info.search_path {
        Some(p) => vec![("search_path".into(), Some(p.clone()))],
        None => Vec::new(),
    };
    let run_cx = Run { setting, base };
    let col = quote_ident(column);
    let mut out = vec![
        if info.superuser {
            check(
                "role_not_superuser",
                None,
                None,
                "FAIL",
                None,
                format!("{role} is a superuser: row-level security never applies to it"),
            )
        } else {
            check(
                "role_not_superuser",
                None,
                None,
                "PASS",
                None,
                format!("{role} is not a superuser"),
            )
        },
        if info.bypassrls {
            check(
                "role_no_bypassrls",
                None,
                None,
                "FAIL",
                None,
                format!(
                    "{role} has BYPASSRLS: fix with ALTER ROLE {} NOBYPASSRLS",
                    quote_ident(role)
                ),
            )
        } else {
            check(
                "role_no_bypassrls",
                None,
                None,
                "PASS",
                None,
                format!("{role} is NOBYPASSRLS"),
            )
        },
    ];

    // Phase 1, before any probe defines the setting in this session: with it
    // truly unset. (PostgreSQL cannot undefine a custom setting afterwards.)
    let mut unset = Vec::new();
    for t in &targets {
        let sql = Sql {
            t,
            col: col.clone(),
        };
        let (value, how) = match &fresh {
            Some((v, from)) => (
                Some(v.as_str()),
                format!("{setting} not set by the application (a fresh login of {role} gets '{v}' from {from})"),
            ),
            None if defined_here => (
                None,
                format!("{setting} unset (this session had already defined it, so unset reads as '')"),
            ),
            None => (None, format!("{setting} unset")),
        };
        let o = run(
            c,
            Some(role),
            &run_cx.with_tenant(value),
            &sql.visible(),
            &[],
        )?;
        unset.push(fail_closed("fail_closed_unset", t, &o, &how));
    }

    for (t, unset_check) in targets.iter().zip(unset) {
        let sql = Sql {
            t,
            col: col.clone(),
        };
        out.push(if t.rls_enabled {
            check("rls_enabled", Some(t), None, "PASS", None, "row-level security is enabled".into())
        } else {
            check("rls_enabled", Some(t), None, "FAIL", None, format!(
                "row-level security is disabled: fix with ALTER TABLE {} ENABLE ROW LEVEL SECURITY", t.qualified()))
        });
        out.push(match (t.rls_forced, t.role_owns) {
            (true, _) => check("rls_forced", Some(t), None, "PASS", None, "row-level security is forced".into()),
            (false, true) => check("rls_forced", Some(t), None, "FAIL", None, format!(
                "{role} owns the table (owner {}) and RLS is not forced, so its policies do not apply: \
                 fix with ALTER TABLE {} FORCE ROW LEVEL SECURITY", t.owner, t.qualified())),
            (false, false) => check("rls_forced", Some(t), None, "PASS", None, format!(
                "not forced, but {role} does not own the table (owner {})", t.owner)),
        });
        out.push(unset_check);
        let o = run(
            c,
            Some(role),
            &run_cx.with_tenant(Some("")),
            &sql.visible(),
            &[],
        )?;
        out.push(fail_closed(
            "fail_closed_empty",
            t,
            &o,
            &format!("{setting} = ''"),
        ));

        // tenants: given, or sampled as the caller (only the values are read)
        let tenant_list: Vec<String> = match tenants {
            Some(list) => list.iter().flatten().cloned().collect(),
            None => {
                let o = run(c, None, &Vec::new(), &sql.sample(), &[])?;
                if !o.ok() {
                    let why = format!(
                        "could not sample tenant values as the caller ({})",
                        o.error_text()
                    );
                    for name in [
                        "tenant_read",
                        "tenant_insert",
                        "tenant_update",
                        "tenant_delete",
                    ] {
                        out.push(check(name, Some(t), None, "SKIP", None, why.clone()));
                    }
                    continue;
                }
                o.values.into_iter().flatten().collect()
            }
        };
        if tenant_list.is_empty() {
            for name in [
                "tenant_read",
                "tenant_insert",
                "tenant_update",
                "tenant_delete",
            ] {
                out.push(check(name, Some(t), None, "SKIP", None,
                    "no tenant values: the table is empty (pass tenants => ARRAY[...] to probe anyway)".into()));
            }
            continue;
        }
        for (a, others) in tenant_pairs(&tenant_list) {
            let settings = run_cx.with_tenant(Some(a));
            out.push(if others.is_empty() {
                check("tenant_read", Some(t), Some(a), "SKIP", None,
                    format!("only tenant {a} has rows: no other tenant to look for (pass tenants => ARRAY[...])"))
            } else {
                let o = run(c, Some(role), &settings, &sql.visible_of(), &others)?;
                read_check(t, a, &others, &o)
            });
        }
        if write_probes {
            let outcomes = write_probe(c, role, t, column, &run_cx, &tenant_list)?;
            out.extend(write_checks(t, &tenant_list, &outcomes));
        } else {
            for name in ["tenant_insert", "tenant_update", "tenant_delete"] {
                out.push(check(
                    name,
                    Some(t),
                    None,
                    "SKIP",
                    None,
                    "write probes disabled (write_probes => false)".into(),
                ));
            }
        }
    }
    Ok(out)
}

/// Each tenant with the other tenants of the list.
fn tenant_pairs(tenants: &[String]) -> Vec<(&str, Vec<String>)> {
    tenants
        .iter()
        .map(|a| {
            let others = tenants.iter().filter(|x| *x != a).cloned().collect();
            (a.as_str(), others)
        })
        .collect()
}

/// tenant_read: with the setting at tenant A, no row of another tenant.
fn read_check(t: &Target, a: &str, others: &[String], o: &Outcome) -> Check {
    let others = others.join(", ");
    if o.ok() && o.count() == 0 {
        check(
            "tenant_read",
            Some(t),
            Some(a),
            "PASS",
            Some(0),
            format!("as tenant {a}, no row of {others} is visible"),
        )
    } else if o.ok() {
        check(
            "tenant_read",
            Some(t),
            Some(a),
            "FAIL",
            Some(o.count()),
            format!(
                "as tenant {a}, {} rows of other tenants ({others}) are visible",
                o.count()
            ),
        )
    } else if o.denied() {
        check(
            "tenant_read",
            Some(t),
            Some(a),
            "PASS",
            Some(0),
            format!("the role cannot read the table at all ({})", o.error_text()),
        )
    } else {
        check(
            "tenant_read",
            Some(t),
            Some(a),
            "ERROR",
            None,
            format!("reading as tenant {a} fails: {}", o.error_text()),
        )
    }
}

/// Rows copied into the shadow table per tenant: enough to see every
/// policy at work, few enough that a probe costs the same on any table.
const SHADOW_ROWS: i32 = 16;

/// One row of `rls_audit._write_probe`: a statement run as `tenant` (or,
/// with check `copied`, how many rows of `tenant` the shadow holds; with no
/// tenant, why the shadow could not be set up).
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOutcome {
    pub tenant: Option<String>,
    pub check: Option<String>,
    pub value: Option<String>,
    pub rows: Option<i64>,
    pub sqlstate: String,
    pub message: Option<String>,
}

impl ProbeState for WriteOutcome {
    fn state(&self) -> (&str, Option<&str>) {
        (&self.sqlstate, self.message.as_deref())
    }
}

/// Run the shadow-table write probes of one table (sql/probe.sql).
fn write_probe(
    c: &SpiClient<'_>,
    role: &str,
    t: &Target,
    column: &str,
    run_cx: &Run<'_>,
    tenants: &[String],
) -> Result<Vec<WriteOutcome>> {
    let mut out = Vec::new();
    for r in c.select(
        "SELECT o_tenant, o_check, o_value, o_rows, o_state, o_message
           FROM rls_audit._write_probe($1, $2::pg_catalog.regclass, $3, $4, $5, $6, $7)",
        None,
        &[
            role.into(),
            t.qualified().into(),
            column.into(),
            flatten(&run_cx.base).into(),
            run_cx.setting.into(),
            tenants.to_vec().into(),
            SHADOW_ROWS.into(),
        ],
    )? {
        out.push(WriteOutcome {
            tenant: r.get::<String>(1)?,
            check: r.get::<String>(2)?,
            value: r.get::<String>(3)?,
            rows: r.get::<i64>(4)?,
            sqlstate: r.get::<String>(5)?.unwrap_or_else(|| "00000".into()),
            // the shadow stands in for the table: name the table
            message: r
                .get::<String>(6)?
                .map(|m| m.replace("\"rls_audit_shadow\"", &format!("\"{}\"", t.table))),
        });
    }
    Ok(out)
}

/// The statement a write outcome stands for, as a DBA would type it.
fn statement_text(t: &Target, o: &WriteOutcome) -> String {
    let col = quote_ident(&t.column);
    let v = o.value.as_deref().unwrap_or("NULL");
    match o.check.as_deref() {
        Some("tenant_delete") => format!("DELETE FROM {}", t.qualified()),
        Some("tenant_update") => format!("UPDATE {} SET {col} = {v}", t.qualified()),
        _ => format!(
            "INSERT INTO {} (..., {col}) VALUES (..., {v})",
            t.qualified()
        ),
    }
}

/// tenant_insert / tenant_update / tenant_delete from the write probe's
/// outcomes: FAIL when any statement touched a row of another tenant
/// (that is a real statement the role can run), PASS when none did (a
/// statement that fails touches nothing), SKIP when there was nothing to
/// touch, ERROR when the probe could not run.
fn write_checks(t: &Target, tenants: &[String], outcomes: &[WriteOutcome]) -> Vec<Check> {
    let names = ["tenant_insert", "tenant_update", "tenant_delete"];
    if let Some(broken) = outcomes.iter().find(|o| o.tenant.is_none() && !o.ok()) {
        return names
            .iter()
            .flat_map(|name| {
                tenants.iter().map(move |a| {
                    check(
                        name,
                        Some(t),
                        Some(a),
                        "ERROR",
                        None,
                        format!(
                            "the write probe could not be set up: {}",
                            broken.error_text()
                        ),
                    )
                })
            })
            .collect();
    }
    let copied = |tenant: &str| {
        outcomes
            .iter()
            .filter(|o| o.check.as_deref() == Some("copied") && o.tenant.as_deref() == Some(tenant))
            .filter_map(|o| o.rows)
            .sum::<i64>()
    };
    let mut out = Vec::new();
    for name in names {
        for a in tenants {
            let foreign: i64 = tenants.iter().filter(|x| *x != a).map(|x| copied(x)).sum();
            let mine: Vec<&WriteOutcome> = outcomes
                .iter()
                .filter(|o| o.check.as_deref() == Some(name) && o.tenant.as_deref() == Some(a))
                .collect();
            let nothing = if tenants.len() < 2 {
                Some(format!(
                    "only tenant {a} has rows: no other tenant to write as"
                ))
            } else if name == "tenant_insert" {
                (mine.is_empty() || copied(a) + foreign == 0).then(|| {
                    format!("only tenant {a} is probed: no other tenant to write a row for")
                })
            } else {
                (foreign == 0).then(|| {
                    format!("no row of another tenant to reach as {a} (pass tenants => ARRAY[...] with tenants that have rows)")
                })
            };
            if let Some(why) = nothing {
                out.push(check(name, Some(t), Some(a), "SKIP", None, why));
                continue;
            }
            let leaks: Vec<&&WriteOutcome> = mine
                .iter()
                .filter(|o| o.ok() && o.rows.unwrap_or(0) > 0)
                .collect();
            if !leaks.is_empty() {
                let rows: i64 = leaks.iter().filter_map(|o| o.rows).sum();
                let what: Vec<String> = leaks
                    .iter()
                    .map(|o| {
                        let n = o.rows.unwrap_or(0);
                        let verb = match name {
                            "tenant_insert" => "inserts",
                            "tenant_delete" => "deletes",
                            _ => "changes or moves",
                        };
                        format!(
                            "`{}` {verb} {n} row{} of another tenant",
                            statement_text(t, o),
                            if n == 1 { "" } else { "s" }
                        )
                    })
                    .collect();
                out.push(check(
                    name,
                    Some(t),
                    Some(a),
                    "FAIL",
                    Some(rows),
                    format!("as tenant {a}: {}", what.join("; ")),
                ));
            } else if let Some(first) = mine.first().filter(|_| mine.iter().all(|o| o.denied())) {
                out.push(check(
                    name,
                    Some(t),
                    Some(a),
                    "PASS",
                    Some(0),
                    format!("the role has no privilege for it ({})", first.error_text()),
                ));
            } else if mine.is_empty() {
                // the probe ran no statement for this tenant: nothing is proven
                out.push(check(
                    name,
                    Some(t),
                    Some(a),
                    "ERROR",
                    None,
                    format!("the write probe returned no outcome for tenant {a}"),
                ));
            } else {
                // a failing statement touched nothing; say why once per reason
                let mut refused: Vec<String> = mine
                    .iter()
                    .filter(|o| !o.ok())
                    .map(|o| o.error_text())
                    .collect();
                refused.sort();
                refused.dedup();
                let mut values: Vec<&str> = Vec::new();
                for v in mine.iter().filter_map(|o| o.value.as_deref()) {
                    if !values.contains(&v) {
                        values.push(v);
                    }
                }
                let (tbl, col) = (t.qualified(), quote_ident(&t.column));
                let mut detail = match name {
                    "tenant_delete" => format!(
                        "as tenant {a}, DELETE FROM {tbl} (no WHERE) deletes no row of another tenant"
                    ),
                    "tenant_update" => format!(
                        "as tenant {a}, UPDATE {tbl} SET {col} = {} (no WHERE) neither changes a row of \
                         another tenant nor moves one to another tenant",
                        values.join(" | ")
                    ),
                    _ => format!(
                        "as tenant {a}, no row for tenant {} can be inserted",
                        values.join(" or ")
                    ),
                };
                if !refused.is_empty() {
                    detail.push_str(&format!(" (refused with {})", refused.join("; ")));
                }
                out.push(check(name, Some(t), Some(a), "PASS", Some(0), detail));
            }
        }
    }
    out
}

type CheckRow = (
    String,
    Option<Name>,
    Option<Name>,
    Option<String>,
    String,
    Option<i64>,
    String,
);

fn require<'a, T: ?Sized>(v: Option<&'a T>, what: &str) -> Result<&'a T> {
    v.ok_or_else(|| RlsAuditError::NullArgument(format!("{what} must not be NULL")))
}

// SECURITY INVOKER (PostgreSQL refuses SET ROLE in SECURITY DEFINER
// functions, and the caller's own right to become the role is the point).
#[allow(clippy::type_complexity)]
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.verify_isolation(
    "role" name, "setting" text, "tenant_column" name DEFAULT 'tenant_id',
    "tables" regclass[] DEFAULT NULL, "tenants" text[] DEFAULT NULL,
    "write_probes" boolean DEFAULT true)
RETURNS TABLE (check_name text, schema_name name, table_name name, tenant text,
               status text, rows_seen bigint, detail text)
VOLATILE SET search_path = pg_catalog, pg_temp
LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn verify_isolation(
    role: Option<Name>,
    setting: Option<&str>,
    tenant_column: Option<Name>,
    tables: Option<Vec<Option<pg_sys::Oid>>>,
    tenants: Option<Vec<Option<String>>>,
    write_probes: Option<bool>,
) -> std::result::Result<
    TableIterator<
        'static,
        (
            name!(check_name, String),
            name!(schema_name, Option<Name>),
            name!(table_name, Option<Name>),
            name!(tenant, Option<String>),
            name!(status, String),
            name!(rows_seen, Option<i64>),
            name!(detail, String),
        ),
    >,
    pgrx::pg_sys::panic::ErrorReport,
> {
    let role = require(role.as_ref().map(|n| n.0.as_str()), "role")?;
    let setting = require(setting, "setting")?;
    let column = require(
        tenant_column.as_ref().map(|n| n.0.as_str()),
        "tenant_column",
    )?;
    // write probes create a temporary shadow table: not on a standby
    if write_probes.unwrap_or(true) {
        crate::schema::require_primary("verify_isolation")?;
    }
    let checks = Spi::connect(|c| {
        verify(
            c,
            role,
            setting,
            column,
            tables.as_deref(),
            tenants.as_deref(),
            write_probes.unwrap_or(true),
        )
    })?;
    let rows: Vec<CheckRow> = checks
        .into_iter()
        .map(|k| {
            (
                k.check_name.to_string(),
                k.schema_name.map(Name),
                k.table_name.map(Name),
                k.tenant,
                k.status.to_string(),
                k.rows_seen,
                k.detail,
            )
        })
        .collect();
    Ok(TableIterator::new(rows))
}

/// One row of `probe()`: outcome, rows_visible, sqlstate, message.
type ProbeRow = (String, Option<i64>, Option<String>, Option<String>);

/// `probe()`: what `role` sees in `tbl` with these settings.
fn probe_one(
    c: &SpiClient<'_>,
    role: &str,
    tbl: pg_sys::Oid,
    settings: &serde_json::Value,
) -> Result<ProbeRow> {
    let info = role_info(c, role)?;
    ensure_can_act_as(c, role)?;
    let obj = settings.as_object().ok_or_else(|| {
        RlsAuditError::InvalidParameter(
            "settings must be a JSON object such as {\"app.tenant_id\": \"1\"}".into(),
        )
    })?;
    let mut s: Settings = match info.search_path {
        Some(p) => vec![("search_path".into(), Some(p))],
        None => Vec::new(),
    };
    for (k, v) in obj {
        check_setting_name(c, k)?;
        // the probe acts as `role` and nobody else
        if ["role", "session_authorization"].contains(&k.to_ascii_lowercase().as_str()) {
            return Err(RlsAuditError::InvalidParameter(format!(
                "setting \"{k}\" changes who the probe runs as: name the role in the role argument"
            )));
        }
        let value = match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(x) => Some(x.clone()),
            serde_json::Value::Bool(_) | serde_json::Value::Number(_) => Some(v.to_string()),
            _ => {
                return Err(RlsAuditError::InvalidParameter(format!(
                    "setting \"{k}\" must be a string, number, boolean or null"
                )))
            }
        };
        s.push((k.clone(), value));
    }
    let name = c
        .select(
            "SELECT (SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
                       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                      WHERE c.oid = $1)",
            Some(1),
            &[tbl.into()],
        )?
        .first()
        .get_one::<String>()?
        .ok_or(RlsAuditError::UnknownTable(tbl.to_u32()))?;
    let sql = format!("SELECT ARRAY[(SELECT pg_catalog.count(*) FROM {name})::text]");
    let o = run(c, Some(role), &s, &sql, &[])?;
    Ok(if o.ok() {
        let n = o.count();
        (
            if n > 0 { "rows" } else { "no_rows" }.into(),
            Some(n),
            None,
            None,
        )
    } else if o.denied() {
        (
            "denied".into(),
            None,
            Some(o.sqlstate.clone()),
            o.message.clone(),
        )
    } else {
        (
            "error".into(),
            None,
            Some(o.sqlstate.clone()),
            o.message.clone(),
        )
    })
}

// SECURITY INVOKER, like verify_isolation.
#[allow(clippy::type_complexity)]
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.probe("role" name, "tbl" regclass, "settings" jsonb DEFAULT '{}')
RETURNS TABLE (outcome text, rows_visible bigint, sqlstate text, message text)
VOLATILE SET search_path = pg_catalog, pg_temp
LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn probe(
    role: Option<Name>,
    tbl: Option<pg_sys::Oid>,
    settings: Option<pgrx::JsonB>,
) -> std::result::Result<
    TableIterator<
        'static,
        (
            name!(outcome, String),
            name!(rows_visible, Option<i64>),
            name!(sqlstate, Option<String>),
            name!(message, Option<String>),
        ),
    >,
    pgrx::pg_sys::panic::ErrorReport,
> {
    let role = require(role.as_ref().map(|n| n.0.as_str()), "role")?;
    let tbl = *require(tbl.as_ref(), "tbl")?;
    let settings = settings
        .map(|j| j.0)
        .unwrap_or_else(|| serde_json::json!({}));
    let row = Spi::connect(|c| probe_one(c, role, tbl, &settings))?;
    Ok(TableIterator::new(vec![row]))
}

#[cfg(test)]
mod unit {
    use super::*;

    fn target() -> Target {
        Target {
            schema: "shop".into(),
            table: "orders".into(),
            owner: "postgres".into(),
            role_owns: false,
            rls_enabled: true,
            rls_forced: true,
            col_type: "integer".into(),
            column: "tenant_id".into(),
        }
    }

    fn outcome(
        tenant: &str,
        check: &str,
        value: Option<&str>,
        rows: Option<i64>,
        state: &str,
    ) -> WriteOutcome {
        WriteOutcome {
            tenant: Some(tenant.into()),
            check: Some(check.into()),
            value: value.map(Into::into),
            rows,
            sqlstate: state.into(),
            message: (state != "00000").then(|| {
                if state == "42501" {
                    "new row violates row-level security policy for table \"orders\"".to_string()
                } else {
                    "boom".to_string()
                }
            }),
        }
    }

    fn copied(tenant: &str, n: i64) -> WriteOutcome {
        outcome(tenant, "copied", None, Some(n), "00000")
    }

    fn status<'a>(checks: &'a [Check], name: &str, tenant: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.check_name == name && c.tenant.as_deref() == Some(tenant))
            .expect("a check row")
    }

    #[test]
    fn a_touched_row_of_another_tenant_fails_with_the_statement() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        let outcomes = vec![
            copied("1", 3),
            copied("2", 3),
            outcome("1", "tenant_delete", None, Some(3), "00000"),
            outcome("1", "tenant_update", Some("1"), Some(0), "42501"),
            outcome("1", "tenant_update", Some("2"), Some(2), "00000"),
            outcome("1", "tenant_insert", Some("2"), Some(0), "42501"),
            outcome("2", "tenant_delete", None, Some(0), "00000"),
            outcome("2", "tenant_update", Some("2"), Some(0), "00000"),
            outcome("2", "tenant_update", Some("1"), None, "23502"),
            outcome("2", "tenant_insert", Some("1"), Some(1), "00000"),
        ];
        let checks = write_checks(&target(), &tenants, &outcomes);
        let d = status(&checks, "tenant_delete", "1");
        assert_eq!((d.status, d.rows_seen), ("FAIL", Some(3)));
        assert!(d.detail.contains("DELETE FROM shop.orders"), "{}", d.detail);
        let u = status(&checks, "tenant_update", "1");
        assert_eq!((u.status, u.rows_seen), ("FAIL", Some(2)));
        assert!(u.detail.contains("SET tenant_id = 2"), "{}", u.detail);
        assert_eq!(status(&checks, "tenant_insert", "1").status, "PASS");
        assert_eq!(status(&checks, "tenant_delete", "2").status, "PASS");
        // a statement that fails touched nothing: closed, and the detail says why
        let u2 = status(&checks, "tenant_update", "2");
        assert_eq!(u2.status, "PASS");
        assert!(u2.detail.contains("23502"), "{}", u2.detail);
        assert_eq!(status(&checks, "tenant_insert", "2").status, "FAIL");
    }

    #[test]
    fn no_privilege_passes_and_says_so() {
        let tenants = vec!["1".to_string(), "2".to_string()];
        let mut denied = outcome("1", "tenant_delete", None, None, "42501");
        denied.message = Some("permission denied for table rls_audit_shadow".into());
        let outcomes = vec![copied("1", 1), copied("2", 1), denied];
        let checks = write_checks(&target(), &tenants, &outcomes);
        let d = status(&checks, "tenant_delete", "1");
        assert_eq!(d.status, "PASS");
        assert!(d.detail.contains("no privilege"), "{}", d.detail);
    }

    #[test]
    fn nothing_to_reach_is_skip_and_a_broken_probe_is_error() {
        let one = vec!["7".to_string()];
        let checks = write_checks(&target(), &one, &[copied("7", 2)]);
        assert!(checks.iter().all(|c| c.status == "SKIP"));
        // given tenants without rows: nothing of another tenant to reach
        let two = vec!["1".to_string(), "2".to_string()];
        let checks = write_checks(&target(), &two, &[copied("1", 2), copied("2", 0)]);
        assert_eq!(status(&checks, "tenant_delete", "1").status, "SKIP");
        let broken = WriteOutcome {
            tenant: None,
            check: None,
            value: None,
            rows: None,
            sqlstate: "42P01".into(),
            message: Some("relation does not exist".into()),
        };
        let checks = write_checks(&target(), &two, &[broken]);
        assert_eq!(checks.len(), 6);
        assert!(checks.iter().all(|c| c.status == "ERROR"));
    }
}
