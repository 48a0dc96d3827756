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

impl Outcome {
    fn ok(&self) -> bool {
        self.sqlstate == "00000"
    }
    fn count(&self) -> i64 {
        self.values
            .first()
            .cloned()
            .flatten()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
    /// 42501 on the table itself: the role has no privilege at all.
    fn denied(&self) -> bool {
        self.sqlstate == "42501"
            && self
                .message
                .as_deref()
                .is_some_and(|m| m.starts_with("permission denied"))
    }
    /// 42501 from a WITH CHECK / USING refusal.
    fn refused_by_rls(&self) -> bool {
        self.sqlstate == "42501"
            && self
                .message
                .as_deref()
                .is_some_and(|m| m.contains("row-level security"))
    }
    fn error_text(&self) -> String {
        format!(
            "{}: {}",
            self.sqlstate,
            self.message.as_deref().unwrap_or("")
        )
    }
}

type Settings = Vec<(String, Option<String>)>;

/// A probe's SQL: a query returning one text[], or a write whose row count
/// is the answer.
enum Q {
    Read(String),
    Write(String),
}

/// Run one probe through `rls_audit._probe`. `role` None = as the caller.
fn run(
    c: &mut SpiClient<'_>,
    role: Option<&str>,
    settings: &Settings,
    query: &Q,
    args: &[String],
) -> Result<Outcome> {
    let (sql, count) = match query {
        Q::Read(s) => (s.as_str(), false),
        Q::Write(s) => (s.as_str(), true),
    };
    let flat: Vec<Option<String>> = settings
        .iter()
        .flat_map(|(k, v)| [Some(k.clone()), v.clone()])
        .collect();
    let table = c.update(
        "SELECT o_result, o_state, o_message FROM rls_audit._probe($1, $2, $3, $4, $5)",
        Some(1),
        &[
            role.into(),
            flat.into(),
            sql.into(),
            args.to_vec().into(),
            count.into(),
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
    /// columns copied by the insert probe (no default, not generated)
    copy_cols: Vec<String>,
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

fn role_info(c: &SpiClient<'_>, role: &str) -> Result<RoleInfo> {
    // the role's own search_path (ALTER ROLE ... SET), else the database's,
    // else the server's: what the application's sessions would use
    const Q: &str = r#"
SELECT r.rolsuper, r.rolbypassrls,
       coalesce(
         (SELECT pg_catalog.substr(x, 13) FROM pg_catalog.pg_db_role_setting s,
                 pg_catalog.unnest(s.setconfig) x
           WHERE s.setrole = r.oid AND s.setdatabase = d.oid AND x LIKE 'search\_path=%' LIMIT 1),
         (SELECT pg_catalog.substr(x, 13) FROM pg_catalog.pg_db_role_setting s,
                 pg_catalog.unnest(s.setconfig) x
           WHERE s.setrole = r.oid AND s.setdatabase = 0 AND x LIKE 'search\_path=%' LIMIT 1),
         (SELECT pg_catalog.substr(x, 13) FROM pg_catalog.pg_db_role_setting s,
                 pg_catalog.unnest(s.setconfig) x
           WHERE s.setrole = 0 AND s.setdatabase = d.oid AND x LIKE 'search\_path=%' LIMIT 1),
         (SELECT boot_val FROM pg_catalog.pg_settings WHERE name = 'search_path'))
  FROM pg_catalog.pg_roles r, pg_catalog.pg_database d
 WHERE r.rolname = $1 AND d.datname = pg_catalog.current_database()"#;
    let mut rows = c.select(Q, Some(1), &[role.into()])?;
    match rows.next() {
        Some(row) => Ok(RoleInfo {
            superuser: row.get::<bool>(1)?.unwrap_or(false),
            bypassrls: row.get::<bool>(2)?.unwrap_or(false),
            search_path: row.get::<String>(3)?,
        }),
        None => Err(RlsAuditError::UnknownRole(role.to_string())),
    }
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
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       ARRAY(SELECT x.attname::text FROM pg_catalog.pg_attribute x
              WHERE x.attrelid = c.oid AND x.attnum > 0 AND NOT x.attisdropped
                AND x.attname <> $2 AND NOT x.atthasdef
                AND x.attidentity = '' AND x.attgenerated = ''
              ORDER BY x.attnum)
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
            copy_cols: row.get::<Vec<String>>(8)?.unwrap_or_default(),
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
    fn sample(&self) -> Q {
        let (tbl, col) = (self.tbl(), &self.col);
        Q::Read(format!(
            "WITH RECURSIVE s(v, n) AS (
                 (SELECT t.{col}, 1 FROM {tbl} t WHERE t.{col} IS NOT NULL ORDER BY t.{col} LIMIT 1)
                 UNION ALL
                 SELECT (SELECT t.{col} FROM {tbl} t WHERE t.{col} > s.v ORDER BY t.{col} LIMIT 1),
                        s.n + 1
                   FROM s WHERE s.n < {SAMPLE_TENANTS} AND s.v IS NOT NULL)
             SELECT ARRAY(SELECT s.v::text FROM s WHERE s.v IS NOT NULL)"
        ))
    }
    /// Rows visible at all (bounded).
    fn visible(&self) -> Q {
        Q::Read(format!(
            "SELECT ARRAY[(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {} LIMIT {PROBE_LIMIT}) s)::text]",
            self.tbl()
        ))
    }
    /// Rows of the tenants in $1 visible (bounded).
    fn visible_of(&self) -> Q {
        Q::Read(format!(
            "SELECT ARRAY[(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {} t
                WHERE t.{} = ANY ($1::{}[]) LIMIT {PROBE_LIMIT}) s)::text]",
            self.tbl(),
            self.col,
            self.ty()
        ))
    }
    /// Copy one row of tenant $1[1] as a row of tenant $1[2].
    fn insert(&self) -> Q {
        let (tbl, col, ty) = (self.tbl(), &self.col, self.ty());
        let cols: Vec<String> = self.t.copy_cols.iter().map(|c| quote_ident(c)).collect();
        let (target_cols, source_cols) = if cols.is_empty() {
            (col.clone(), format!("$1[2]::{ty}"))
        } else {
            let src: Vec<String> = cols.iter().map(|c| format!("t.{c}")).collect();
            (
                format!("{}, {col}", cols.join(", ")),
                format!("{}, $1[2]::{ty}", src.join(", ")),
            )
        };
        Q::Write(format!(
            "INSERT INTO {tbl} ({target_cols})
             SELECT {source_cols} FROM {tbl} t WHERE t.{col} = $1[1]::{ty} LIMIT 1"
        ))
    }
    /// The rows to write: one row of tenant $1[1] (ctid keeps it to one
    /// row and cheap; the tenant repeated because partitions share ctids).
    fn one_row_of_first(&self) -> String {
        let (tbl, col, ty) = (self.tbl(), &self.col, self.ty());
        format!(
            "t.{col} = $1[1]::{ty} AND t.ctid = ANY (ARRAY(SELECT x.ctid FROM {tbl} x
                                                         WHERE x.{col} = $1[1]::{ty} LIMIT 1))"
        )
    }
    /// Touch one row of tenant $1[1] without changing it.
    fn update_reach(&self) -> Q {
        Q::Write(format!(
            "UPDATE {} t SET {col} = t.{col} WHERE {}",
            self.tbl(),
            self.one_row_of_first(),
            col = self.col
        ))
    }
    /// Move the current tenant's rows to tenant $1[1]. Deliberately without
    /// a WHERE clause: reading a column would make PostgreSQL check the new
    /// rows against the SELECT policies too, and an application's
    /// `UPDATE t SET tenant_id = ...` has no such safety net.
    fn update_move(&self) -> Q {
        Q::Write(format!(
            "UPDATE {} SET {} = $1[1]::{}",
            self.tbl(),
            self.col,
            self.ty()
        ))
    }
    /// Delete one row of tenant $1[1].
    fn delete(&self) -> Q {
        Q::Write(format!(
            "DELETE FROM {} t WHERE {}",
            self.tbl(),
            self.one_row_of_first()
        ))
    }
}

/// May the caller become `role` at all? Asked of PostgreSQL itself (a
/// probe that only switches role), before anything else runs.
fn ensure_can_act_as(c: &mut SpiClient<'_>, role: &str) -> Result<()> {
    let can = run(
        c,
        Some(role),
        &Vec::new(),
        &Q::Read("SELECT ARRAY['ok']".into()),
        &[],
    )?;
    if can.sqlstate == "42501" {
        Err(RlsAuditError::InsufficientPrivilege(format!(
            "permission denied to act as role \"{role}\": the caller must be allowed to SET ROLE to it"
        )))
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
    c: &mut SpiClient<'_>,
    role: &str,
    setting: &str,
    column: &str,
    tables: Option<&[Option<pg_sys::Oid>]>,
    tenants: Option<&[Option<String>]>,
    write_probes: bool,
) -> Result<Vec<Check>> {
    let info = role_info(c, role)?;
    check_setting_name(c, setting)?;
    let targets = targets(c, role, column, tables)?;

    ensure_can_act_as(c, role)?;

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
        let o = run(
            c,
            Some(role),
            &run_cx.with_tenant(None),
            &sql.visible(),
            &[],
        )?;
        unset.push(fail_closed(
            "fail_closed_unset",
            t,
            &o,
            &format!("{setting} unset"),
        ));
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
        let mut reads = Vec::new();
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        let mut deletes = Vec::new();
        for (i, a) in tenant_list.iter().enumerate() {
            let others: Vec<String> = tenant_list.iter().filter(|x| *x != a).cloned().collect();
            let settings = run_cx.with_tenant(Some(a));
            // tenant_read
            reads.push(if others.is_empty() {
                check("tenant_read", Some(t), Some(a), "SKIP", None,
                    format!("only tenant {a} has rows: no other tenant to look for (pass tenants => ARRAY[...])"))
            } else {
                let o = run(c, Some(role), &settings, &sql.visible_of(), &others)?;
                if o.ok() && o.count() == 0 {
                    check("tenant_read", Some(t), Some(a), "PASS", Some(0),
                        format!("as tenant {a}, no row of {} is visible", others.join(", ")))
                } else if o.ok() {
                    check("tenant_read", Some(t), Some(a), "FAIL", Some(o.count()),
                        format!("as tenant {a}, {} rows of other tenants ({}) are visible", o.count(), others.join(", ")))
                } else if o.denied() {
                    check("tenant_read", Some(t), Some(a), "PASS", Some(0), format!("the role cannot read the table at all ({})", o.error_text()))
                } else {
                    check("tenant_read", Some(t), Some(a), "ERROR", None, format!("reading as tenant {a} fails: {}", o.error_text()))
                }
            });
            let b = tenant_list
                .get((i + 1) % tenant_list.len())
                .filter(|b| *b != a);
            if !write_probes {
                continue;
            }
            let Some(b) = b else {
                for (list, name) in [
                    (&mut inserts, "tenant_insert"),
                    (&mut updates, "tenant_update"),
                    (&mut deletes, "tenant_delete"),
                ] {
                    list.push(check(
                        name,
                        Some(t),
                        Some(a),
                        "SKIP",
                        None,
                        format!("only tenant {a} has rows: no other tenant to write as"),
                    ));
                }
                continue;
            };
            // tenant_insert: a copy of one of A's rows, re-labelled as B's
            let o = run(
                c,
                Some(role),
                &settings,
                &sql.insert(),
                &[a.clone(), b.clone()],
            )?;
            inserts.push(if o.ok() && o.count() > 0 {
                check("tenant_insert", Some(t), Some(a), "FAIL", Some(o.count()),
                    format!("as tenant {a}, a row for tenant {b} was inserted: the INSERT policy's WITH CHECK lets it through"))
            } else if o.ok() {
                check("tenant_insert", Some(t), Some(a), "SKIP", Some(0),
                    format!("as tenant {a}, no row of {a} is visible to copy, so the insert was not tried"))
            } else if o.refused_by_rls() {
                check("tenant_insert", Some(t), Some(a), "PASS", Some(0),
                    format!("inserting a row for tenant {b} as {a} is refused by row-level security"))
            } else if o.denied() {
                check("tenant_insert", Some(t), Some(a), "PASS", Some(0), format!("the role has no INSERT privilege ({})", o.error_text()))
            } else {
                // a unique, not-null or foreign key error proves nothing either way
                check("tenant_insert", Some(t), Some(a), "SKIP", None,
                    format!("the probe row was rejected for another reason, so isolation is unproven: {}", o.error_text()))
            });
            // tenant_update: B's rows unreachable, and A's rows cannot move to B
            let one_b = std::slice::from_ref(b);
            let reach = run(c, Some(role), &settings, &sql.update_reach(), one_b)?;
            let moved = run(c, Some(role), &settings, &sql.update_move(), one_b)?;
            updates.push(update_check(t, a, b, &reach, &moved));
            // tenant_delete: B's rows unreachable
            let o = run(
                c,
                Some(role),
                &settings,
                &sql.delete(),
                std::slice::from_ref(b),
            )?;
            deletes.push(if o.ok() && o.count() == 0 {
                check(
                    "tenant_delete",
                    Some(t),
                    Some(a),
                    "PASS",
                    Some(0),
                    format!("as tenant {a}, deleting {b}'s rows touches none"),
                )
            } else if o.ok() {
                check(
                    "tenant_delete",
                    Some(t),
                    Some(a),
                    "FAIL",
                    Some(o.count()),
                    format!("as tenant {a}, a row of tenant {b} could be deleted"),
                )
            } else if o.sqlstate == "42501" {
                check(
                    "tenant_delete",
                    Some(t),
                    Some(a),
                    "PASS",
                    Some(0),
                    format!("deleting {b}'s rows as {a} is refused ({})", o.error_text()),
                )
            } else {
                check(
                    "tenant_delete",
                    Some(t),
                    Some(a),
                    "SKIP",
                    None,
                    format!(
                        "the delete probe failed for another reason: {}",
                        o.error_text()
                    ),
                )
            });
        }
        out.extend(reads);
        if write_probes {
            out.extend(inserts);
            out.extend(updates);
            out.extend(deletes);
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

fn update_check(t: &Target, a: &str, b: &str, reach: &Outcome, moved: &Outcome) -> Check {
    let mut fails = Vec::new();
    let mut skips = Vec::new();
    let mut rows = 0;
    if reach.ok() && reach.count() > 0 {
        rows += reach.count();
        fails.push(format!("a row of tenant {b} could be updated"));
    } else if !reach.ok() && reach.sqlstate != "42501" {
        skips.push(format!(
            "updating {b}'s rows failed: {}",
            reach.error_text()
        ));
    }
    if moved.ok() && moved.count() > 0 {
        rows += moved.count();
        fails.push(format!(
            "UPDATE ... SET tenant to {b} moved {} of tenant {a}'s rows to {b}: the UPDATE policy's WITH CHECK lets it through",
            moved.count()
        ));
    } else if moved.ok() {
        skips.push(format!(
            "no row of tenant {a} could be updated, so moving one to {b} was not tried"
        ));
    } else if moved.sqlstate != "42501" {
        skips.push(format!(
            "moving a row to {b} failed for another reason: {}",
            moved.error_text()
        ));
    }
    if !fails.is_empty() {
        check(
            "tenant_update",
            Some(t),
            Some(a),
            "FAIL",
            Some(rows),
            format!("as tenant {a}: {}", fails.join("; ")),
        )
    } else if !skips.is_empty() {
        check(
            "tenant_update",
            Some(t),
            Some(a),
            "SKIP",
            Some(0),
            format!("as tenant {a}: {}", skips.join("; ")),
        )
    } else {
        check(
            "tenant_update",
            Some(t),
            Some(a),
            "PASS",
            Some(0),
            format!("as tenant {a}, {b}'s rows are unreachable and moving a row to {b} is refused"),
        )
    }
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
    let checks = Spi::connect_mut(|c| {
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
    c: &mut SpiClient<'_>,
    role: &str,
    tbl: pg_sys::Oid,
    settings: &serde_json::Value,
) -> Result<ProbeRow> {
    let info = role_info(c, role)?;
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
    ensure_can_act_as(c, role)?;
    let sql = Q::Read(format!(
        "SELECT ARRAY[(SELECT pg_catalog.count(*) FROM {name})::text]"
    ));
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
    let row = Spi::connect_mut(|c| probe_one(c, role, tbl, &settings))?;
    Ok(TableIterator::new(vec![row]))
}
