//! Isolation proofs on live data: the probes of `verify_isolation()` and
//! `probe()`.
//!
//! Every probe goes through `rls_audit._probe` or `rls_audit._write_probe`
//! (sql/probe.sql): run as the role with the settings, inside a
//! subtransaction that is always rolled back, so the caller's role,
//! settings and data come back exactly as they were. This module decides
//! which probes to run, builds their SQL (names quoted, values bound) and
//! gathers their outcomes; [`crate::verdict`] judges them.
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::catalog;
use crate::error::{Result, RlsAuditError};
use crate::ident::quote_ident;
use crate::model::{Policy, RelKind, Target};
use crate::render;
use crate::verdict::{
    Evidence, Outcome, ProbeState, SettingFacts, TableEvidence, TenantRead, Tenants, WriteOutcome,
    PROBE_LIMIT,
};

/// How many tenant values are sampled per table when none are given.
const SAMPLE_TENANTS: i64 = 3;

/// The tenant values a replaced function is made to return, besides NULL
/// (`replace_probes`): the first this many of the table.
const REPLACE_VALUES: i64 = 16;

/// How many rows of each call of a SECURITY DEFINER function are looked
/// at (`definer_probes`): a function that returns millions of the
/// tenant's own rows costs their reading, no more than this many.
const DEFINER_ROWS: i64 = 10_000;

/// How many of a table's rows a lookup probe copies (`lookup_probes`).
const LOOKUP_ROWS: i32 = 8;

/// How many values a table's policies single out are probed besides them.
const SINGLED_OUT: usize = 8;

pub(crate) type Settings = Vec<(String, Option<String>)>;

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
pub(crate) fn run(
    c: &SpiClient<'_>,
    role: Option<&str>,
    settings: &Settings,
    sql: &str,
    args: &[String],
) -> Result<Outcome> {
    // a read-only SPI call: on a hot standby nothing may ask for a
    // transaction id (the probe runner is VOLATILE, its own statements run
    // read-write where they must)
    let table = crate::prepared::select(
        c,
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
    probe_outcome(&table.first())
}

/// A probe runner's one row (`_probe`, `_replace_probe`; the table at its
/// first row): o_result, o_state, o_message.
fn probe_outcome(row: &pgrx::spi::SpiTupleTable<'_>) -> Result<Outcome> {
    Ok(Outcome {
        values: row.get::<Vec<Option<String>>>(1)?.unwrap_or_default(),
        sqlstate: row.get::<String>(2)?.unwrap_or_else(|| "00000".into()),
        message: row.get::<String>(3)?,
    })
}

/// Does row-level security apply to the role on a table, as PostgreSQL
/// decides it: enabled, the role neither superuser nor BYPASSRLS
/// (`bypasses`), and forced or the role without the owner's rights.
fn rls_applies(enabled: bool, forced: bool, bypasses: bool, owns: bool) -> bool {
    enabled && !bypasses && (forced || !owns)
}

/// A custom setting (`app.tenant_id`) or one PostgreSQL knows.
pub(crate) fn check_setting_name(c: &SpiClient<'_>, setting: &str) -> Result<()> {
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
    if catalog::setting_known(c, setting)? {
        Ok(())
    } else {
        Err(RlsAuditError::InvalidParameter(format!(
            "\"{setting}\" is not a setting name (use a custom setting such as app.tenant_id)"
        )))
    }
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
    /// The column's type and equality, schema-qualified: the read probes
    /// run under the role's search_path (see `rls_audit._probe`).
    fn ty(&self) -> &str {
        &self.t.col_type_q
    }
    fn eq(&self) -> &str {
        &self.t.col_eq
    }
    /// Up to N distinct tenant values, one index descent each (loose index scan).
    fn sample(&self) -> Part {
        sample_of(&self.tbl(), &self.col, SAMPLE_TENANTS)
    }
    /// Rows visible at all (bounded).
    fn visible(&self) -> Part {
        Part::new(format!(
            "ARRAY[(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {} LIMIT {PROBE_LIMIT}) s)::pg_catalog.text]",
            self.tbl()
        ))
    }
    /// Rows of `tenant` and rows without a tenant (each bounded), read as
    /// the caller: what a role that may not read the tenant column is
    /// allowed to see of its own (see `read_check`).
    fn own_rows(&self, tenant: &str) -> Part {
        let (tbl, col, ty, eq) = (self.tbl(), &self.col, self.ty(), self.eq());
        Part {
            head: "(SELECT ARRAY[(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM (SELECT (".to_string(),
            tail: Some(format!(
                ")[1]::{ty} AS a) x, {tbl} t WHERE t.{col} {eq} x.a LIMIT {PROBE_LIMIT}) s)::pg_catalog.text,
                    (SELECT pg_catalog.count(*) FROM (SELECT 1 FROM {tbl} t WHERE t.{col} IS NULL
                                                       LIMIT {PROBE_LIMIT}) s)::pg_catalog.text])"
            )),
            args: vec![tenant.to_string()],
        }
    }
    /// Rows of another tenant than `tenant` visible (bounded): rows whose
    /// tenant column is not NULL and not equal to it, whether or not their
    /// tenant was sampled. With an ordering, two index ranges on either
    /// side of the value (what an isolating policy's own condition on the
    /// column empties at once); else every visible row is compared.
    fn foreign_visible(&self, tenant: &str) -> Part {
        let (tbl, col, ty) = (self.tbl(), &self.col, self.ty());
        let head = "ARRAY[(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM (SELECT (".to_string();
        let value = format!(")[1]::{ty} AS a) x");
        let tail = match &self.t.col_order {
            Some((lt, gt)) => format!(
                "{value}, LATERAL ((SELECT 1 FROM {tbl} t WHERE t.{col} {lt} x.a LIMIT {PROBE_LIMIT})
                    UNION ALL (SELECT 1 FROM {tbl} t WHERE t.{col} {gt} x.a LIMIT {PROBE_LIMIT})) y
                 LIMIT {PROBE_LIMIT}) s)::pg_catalog.text]"
            ),
            None => format!(
                "{value}, {tbl} t WHERE NOT (t.{col} {} x.a) LIMIT {PROBE_LIMIT}) s)::pg_catalog.text]",
                self.eq()
            ),
        };
        Part {
            head,
            tail: Some(tail),
            args: vec![tenant.to_string()],
        }
    }
}

/// Up to `n` distinct tenant values of `tbl`'s column `col` (both quoted),
/// one index descent each (loose index scan).
fn sample_of(tbl: &str, col: &str, n: i64) -> Part {
    Part::new(
            format!(
                "(WITH RECURSIVE s(v, n) AS (
                     (SELECT t.{col}, 1 FROM {tbl} t WHERE t.{col} IS NOT NULL ORDER BY t.{col} LIMIT 1)
                     UNION ALL
                     SELECT (SELECT t.{col} FROM {tbl} t WHERE t.{col} > s.v ORDER BY t.{col} LIMIT 1),
                            s.n + 1
                       FROM s WHERE s.n < {n} AND s.v IS NOT NULL)
                 SELECT ARRAY(SELECT s.v::pg_catalog.text FROM s WHERE s.v IS NOT NULL))"
        ))
}

/// One read probe: an expression of type text[] (what `rls_audit._probe`
/// returns) and its arguments. An expression with arguments is `head`,
/// then the text[] that holds them, then `tail`; names stay in `head` and
/// `tail` as they were quoted, never searched or replaced in.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Part {
    head: String,
    tail: Option<String>,
    args: Vec<String>,
}

impl Part {
    /// A probe without arguments.
    fn new(expr: String) -> Self {
        Part {
            head: expr,
            tail: None,
            args: Vec::new(),
        }
    }

    /// The expression, reading its arguments from `args` (a text[]).
    fn expr(&self, args: &str) -> String {
        match &self.tail {
            Some(tail) => format!("{}{args}{tail}", self.head),
            None => self.head.clone(),
        }
    }
}

/// At most this many probes in one statement: PostgreSQL's planner takes
/// time quadratic in the number of sub-selects of a statement (each one's
/// parallel safety is checked against the others): one statement over
/// 2 000 tables took 2.9 s to run the read probes, statements of 32 or of
/// 100 tables 0.6 s. (The isolation oracle's calls over all of a role's
/// tables run more than one such statement.)
const MAX_BATCH: usize = 32;

/// Run read probes that share a context (role and settings) as one
/// statement, and give each its own outcome, exactly as running it alone
/// would. The statement lists each probe's values prefixed with its
/// number; its arguments are one text[] of which each probe reads its own
/// slice. A probe that fails makes the statement fail: the batch is then
/// halved and each half run again, down to the failing probe alone, so a
/// failure is always the probe's own, with its own SQLSTATE and message.
/// Probes only read (counts and tenant values), so running them in one
/// statement changes nothing another one sees.
pub(crate) fn run_batch(
    c: &SpiClient<'_>,
    role: Option<&str>,
    settings: &Settings,
    parts: &[Part],
) -> Result<Vec<Outcome>> {
    if parts.len() > MAX_BATCH {
        let mut out = Vec::with_capacity(parts.len());
        for chunk in parts.chunks(MAX_BATCH) {
            out.extend(run_batch(c, role, settings, chunk)?);
        }
        return Ok(out);
    }
    match parts {
        [] => Ok(Vec::new()),
        [one] => Ok(vec![run(
            c,
            role,
            settings,
            &format!("SELECT {}", one.expr("$1")),
            &one.args,
        )?]),
        _ => {
            let mut args = Vec::new();
            let mut rows = Vec::new();
            for (k, p) in parts.iter().enumerate() {
                // this probe's slice of $1 (an empty slice when it has none)
                let slice = format!("(($1)[{}:{}])", args.len() + 1, args.len() + p.args.len());
                args.extend(p.args.iter().cloned());
                rows.push(format!("({}, {})", k + 1, p.expr(&slice)));
            }
            // "k:value" per value, "k!" for a NULL value; no operator is
            // evaluated (the role's search_path is in effect, see _probe)
            let sql = format!(
                "SELECT ARRAY(SELECT pg_catalog.concat(v.k, CASE WHEN e.e IS NULL THEN '!' ELSE ':' END, e.e)
                                FROM (VALUES {}) v(k, a)
                                CROSS JOIN LATERAL pg_catalog.unnest(v.a) WITH ORDINALITY e(e, o)
                               ORDER BY v.k, e.o)",
                rows.join(", ")
            );
            let o = run(c, role, settings, &sql, &args)?;
            let mut out: Vec<Outcome> = parts
                .iter()
                .map(|_| Outcome {
                    values: Vec::new(),
                    sqlstate: "00000".into(),
                    message: None,
                })
                .collect();
            let mut whole = o.ok();
            for v in o.values.into_iter().flatten() {
                let split = v.find([':', '!']).and_then(|i| {
                    let k = v[..i].parse::<usize>().ok()?;
                    let value = v[i..].starts_with(':').then(|| v[i + 1..].to_string());
                    Some((k, value))
                });
                match split {
                    Some((k, value)) if (1..=out.len()).contains(&k) => {
                        out[k - 1].values.push(value)
                    }
                    // never printed by the statement above; if it were,
                    // the probes run alone
                    _ => whole = false,
                }
            }
            if !whole {
                let (a, b) = parts.split_at(parts.len() / 2);
                let mut out = run_batch(c, role, settings, a)?;
                out.extend(run_batch(c, role, settings, b)?);
                return Ok(out);
            }
            Ok(out)
        }
    }
}

/// May the caller become `role` at all? Asked twice, before anything else
/// runs: the right PostgreSQL's SET ROLE checks (the session user's), and
/// a probe that really switches.
pub(crate) fn ensure_can_act_as(c: &SpiClient<'_>, role: &str) -> Result<()> {
    let denied = || {
        RlsAuditError::InsufficientPrivilege(format!(
            "permission denied to act as role \"{role}\": the caller must be allowed to SET ROLE to it"
        ))
    };
    if !catalog::may_set_role(c, role)? {
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

/// The settings every probe as the role starts from: what a fresh session
/// of the role has, whatever the caller's own session set. Row security on
/// (PostgreSQL's default; a caller with `row_security = off`, as pg_dump
/// sets it, would have every filtered read fail instead of filter, and an
/// error reads as closed), the role's fresh-login search_path, and the
/// custom settings a policy may read as a fresh login has them (an
/// `ALTER ROLE ... SET app.support = 'on'` opens the role's real sessions,
/// and a caller's own `SET` must not close them; see
/// `catalog::fresh_login_customs`).
fn fresh_session(info: &catalog::RoleInfo) -> Settings {
    let mut s: Settings = vec![("row_security".into(), Some("on".into()))];
    if let Some(p) = &info.search_path {
        s.push(("search_path".into(), Some(p.clone())));
    }
    s.extend(info.customs.iter().cloned());
    s
}

/// Everything one verify_isolation call needs.
struct Run<'a> {
    setting: &'a str,
    base: Settings,
}

impl Run<'_> {
    /// Of the settings `read` (lowercased), those the application sets per
    /// request: not the tenant's, nor one a new login of the role gets.
    fn per_request(&self, read: Vec<String>) -> Vec<String> {
        let tenant = self.setting.to_lowercase();
        read.into_iter()
            .filter(|name| {
                *name != tenant && !self.base.iter().any(|(b, _)| b.to_lowercase() == *name)
            })
            .collect()
    }

    /// The search_path of the role's sessions, when they set one.
    fn search_path(&self) -> Option<&str> {
        self.base
            .iter()
            .find(|(name, _)| name == "search_path")
            .and_then(|(_, value)| value.as_deref())
    }

    fn with_tenant(&self, value: Option<&str>) -> Settings {
        let mut s = self.base.clone();
        s.push((self.setting.to_string(), value.map(Into::into)));
        s
    }
}

/// Run every probe of one verify_isolation call and gather what they
/// returned; [`verdicts`] turns that into check rows.
/// One piece: the probe order is part of the proof (every unset probe runs before any probe
/// defines the setting in this session).
///
/// `role` is whom the probes act as; `login` whose session they run in:
/// its fresh-login settings apply (the same role, or the one that reaches
/// `role` with SET ROLE: `Evidence::set_role_targets`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gather(
    c: &SpiClient<'_>,
    role: &str,
    login: &str,
    setting: &str,
    column: &str,
    tables: Option<&[Option<pg_sys::Oid>]>,
    tenants: Option<&[Option<String>]>,
    write_probes: bool,
) -> Result<Evidence> {
    let info = catalog::role_info(c, role, Some(setting))?;
    let login_info = if login == role {
        None
    } else {
        Some(catalog::role_info(c, login, Some(setting))?)
    };
    let session = login_info.as_ref().unwrap_or(&info);
    ensure_can_act_as(c, role)?;
    check_setting_name(c, setting)?;
    // the tenant setting is set to each tenant's value: never one that
    // decides who the probe runs as, or whether row security and the
    // write probes' trigger apply at all
    if [
        "role",
        "session_authorization",
        "row_security",
        "session_replication_role",
    ]
    .contains(&setting.to_ascii_lowercase().as_str())
    {
        return Err(RlsAuditError::InvalidParameter(format!(
            "\"{setting}\" cannot be the tenant setting: it decides how the probes run, not which tenant they see"
        )));
    }
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
    let mut targets = catalog::targets(c, role, column, tables)?;
    // the role-level facts come from the access model: the bypassing roles
    // it may become, and whether it has each table owner's rights
    let access = catalog::read_role_facts(c)?;
    let model = crate::access::Model::new(&access, &[]);
    let (inherited, settable) = (model.inherited(role), model.settable(role));
    for t in &mut targets {
        t.role_owns = inherited.contains(t.owner.as_str());
        t.role_may_become_owner = settable.contains(t.owner.as_str()) && t.owner_uses_schema;
    }
    // TRUNCATE after one SET ROLE (a NOINHERIT membership): row security
    // does not apply to it either
    let only_settable: Vec<String> = settable
        .iter()
        .filter(|r| !inherited.contains(*r))
        .map(|r| r.to_string())
        .collect();
    let unable: Vec<u32> = targets
        .iter()
        .filter(|t| !t.role_may_truncate && !t.is_view())
        .map(|t| t.oid)
        .collect();
    for (oid, via) in catalog::truncate_via(c, &unable, &only_settable)? {
        if let Some(t) = targets.iter_mut().find(|t| t.oid == oid) {
            t.truncate_via = Some(via);
        }
    }
    // functions the policies call that the role may replace
    let tables_here: Vec<u32> = targets
        .iter()
        .filter(|t| !t.is_view())
        .map(|t| t.oid)
        .collect();
    for (oid, r) in catalog::replaceable(c, &tables_here, role)? {
        if let Some(t) = targets.iter_mut().find(|t| t.oid == oid) {
            t.replaceable.push(r);
        }
    }
    // the SECURITY DEFINER functions the role may call that return their
    // rows (called read-only, so with or without write probes), and those
    // that may write them (called only with write probes on: they write
    // the real table, rolled back)
    let (readers, writers) = catalog::definers(c, &tables_here, role, column, write_probes)?;
    for (oid, r) in readers {
        if let Some(t) = targets.iter_mut().find(|t| t.oid == oid) {
            t.definer_readers.push(r);
        }
    }
    for (oid, w) in writers {
        if let Some(t) = targets.iter_mut().find(|t| t.oid == oid) {
            t.definer_writers.push(w);
        }
    }
    // and the other tables their read and write policies read that the
    // role may write (written only with write probes on; named either way)
    let mut written = None;
    for (oid, writes, l) in catalog::lookups(c, &tables_here, role, &mut written)? {
        if let Some(t) = targets.iter_mut().find(|t| t.oid == oid) {
            if writes {
                t.write_lookups.push(l);
            } else {
                t.lookups.push(l);
            }
        }
    }
    // and the foreign keys whose actions write the tables' rows
    let mut keys = if write_probes {
        catalog::cascades(c, &tables_here)?
    } else {
        Vec::new()
    };
    let bypass_via = model.bypassing_roles(role);
    // the roles a session of the role may SET ROLE to that hold a
    // privilege on a relation looked at: after that one statement it reads
    // and writes as them, under the policies that apply to them (a
    // permissive one for them alone, or without a restrictive one that
    // only the role is under); their probes run too (api::isolation,
    // verdict::through_set_role)
    let others: Vec<String> = settable
        .iter()
        .filter(|r| **r != role)
        .map(|r| r.to_string())
        .collect();
    let set_role_targets = if login == role && !others.is_empty() {
        let oids: Option<Vec<pg_sys::Oid>> = tables.map(|t| t.iter().flatten().copied().collect());
        catalog::privileged_among(c, &others, column, oids)?
    } else {
        Vec::new()
    };
    // "unset" is what a fresh login of the role gets: its defaults apply
    let mut facts = SettingFacts {
        setting: setting.to_string(),
        fresh: session.fresh.clone(),
        defined_here: catalog::setting_defined(c, setting)?,
        elsewhere: false,
    };
    let base = fresh_session(session);
    let run_cx = Run { setting, base };
    let col = quote_ident(column);

    let sqls: Vec<Sql> = targets
        .iter()
        .map(|t| Sql {
            t,
            col: col.clone(),
        })
        .collect();

    // Phase 1, before any probe defines the setting in this session: with it
    // truly unset. (PostgreSQL cannot undefine a custom setting afterwards.)
    // Each phase runs the tables' probes of one context as one statement
    // (run_batch).
    let unset_value = facts.unset(login).0.map(str::to_string);
    let visible: Vec<Part> = sqls.iter().map(Sql::visible).collect();
    // a session that had defined the setting reads it as '' at best: the
    // probes of "unset" then run in a backend of their own (crate::fresh)
    let elsewhere = if facts.fresh.is_none() && facts.defined_here {
        crate::fresh::run_batch(
            &[setting.to_string()],
            role,
            &run_cx.with_tenant(None),
            &visible,
        )?
    } else {
        None
    };
    facts.elsewhere = elsewhere.is_some();
    let unset = match elsewhere {
        Some(outcomes) => outcomes,
        None => run_batch(
            c,
            Some(role),
            &run_cx.with_tenant(unset_value.as_deref()),
            &visible,
        )?,
    };
    let empty = run_batch(c, Some(role), &run_cx.with_tenant(Some("")), &visible)?;
    // tenants: given, or sampled as the caller (only the values are read)
    let mut tenant_lists: Vec<Tenants> = match tenants {
        Some(list) => {
            let list: Vec<String> = list.iter().flatten().cloned().collect();
            sqls.iter().map(|_| Tenants::Values(list.clone())).collect()
        }
        None => {
            let samples: Vec<Part> = sqls.iter().map(Sql::sample).collect();
            // and the values a policy compares the setting itself with
            // (`current_setting(…)::int = 99`): a reader it singles out,
            // which no row need have
            let bases: Vec<(u32, u32)> = targets.iter().map(|t| (t.oid, t.col_base)).collect();
            let singled = catalog::singled_out_values(c, &bases, role, setting)?;
            run_batch(c, None, &Vec::new(), &samples)?
                .into_iter()
                .zip(&targets)
                .map(|(o, t)| {
                    if o.ok() {
                        let mut values: Vec<String> = o.values.into_iter().flatten().collect();
                        // (an empty table stays SKIP: no row for anyone)
                        let extra = singled.get(&t.oid).filter(|_| !values.is_empty());
                        for v in extra.into_iter().flatten() {
                            if !values.contains(v)
                                && values.len() < SAMPLE_TENANTS as usize + SINGLED_OUT
                            {
                                values.push(v.clone());
                            }
                        }
                        Tenants::Values(values)
                    } else {
                        Tenants::SampleFailed(o)
                    }
                })
                .collect()
        }
    };
    // a view that shows the caller nothing gets its table's tenants
    if tenants.is_none() {
        view_tenants(c, &targets, &mut tenant_lists, &col)?;
    }
    // tenant_read: each table's tenants, one statement per tenant value
    // (the tables that sampled the same value share its context)
    let mut reads: Vec<Vec<TenantRead>> = Vec::new();
    let mut by_tenant: Vec<TenantBatch> = Vec::new();
    for (i, (sql, list)) in sqls.iter().zip(&tenant_lists).enumerate() {
        let mut table_reads = Vec::new();
        if let Tenants::Values(list) = list {
            for a in list.iter().map(String::as_str) {
                // a tenant named alone is still looked at: are the rows of
                // any other tenant visible to it? (A lone sampled value
                // means the table has no other tenant.)
                let others = list.iter().any(|x| x != a);
                if others || tenants.is_some() {
                    let at = match by_tenant.iter().position(|b| b.tenant == a) {
                        Some(at) => at,
                        None => {
                            by_tenant.push(TenantBatch {
                                tenant: a.to_string(),
                                slots: Vec::new(),
                                parts: Vec::new(),
                            });
                            by_tenant.len() - 1
                        }
                    };
                    by_tenant[at].slots.push((i, table_reads.len()));
                    // a role that may not read the tenant column: the
                    // rows it sees at all (compared below with A's own)
                    by_tenant[at].parts.push(if sql.t.tenant_hidden {
                        sql.visible()
                    } else {
                        sql.foreign_visible(a)
                    });
                }
                table_reads.push((a.to_string(), None));
            }
        }
        reads.push(table_reads);
    }
    for b in &by_tenant {
        let outcomes = run_batch(
            c,
            Some(role),
            &run_cx.with_tenant(Some(&b.tenant)),
            &b.parts,
        )?;
        for ((i, j), o) in b.slots.iter().zip(outcomes) {
            reads[*i][*j].1 = Some(o);
        }
    }
    // the settings the application sets per request that the policies
    // read and this session has defined (an earlier call's probes did, or
    // the application's code): here they read '', in a new session NULL.
    // The reads again in a backend of its own (crate::fresh), where they
    // are not: a read that shows other tenants' rows only there counts,
    // noting them
    let mut reads_unset: Vec<Vec<(String, Vec<String>)>> = vec![Vec::new(); sqls.len()];
    let undefined: Vec<String> = if by_tenant.is_empty() {
        Vec::new()
    } else {
        let oids: Vec<u32> = targets.iter().map(|t| t.oid).collect();
        run_cx
            .per_request(catalog::policy_settings(c, &oids, role)?)
            .into_iter()
            .map(|name| Ok((catalog::setting_defined(c, &name)?, name)))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter_map(|(defined, name)| defined.then_some(name))
            .collect()
    };
    if !undefined.is_empty() {
        for b in &by_tenant {
            let Some(outcomes) = crate::fresh::run_batch(
                &undefined,
                role,
                &run_cx.with_tenant(Some(&b.tenant)),
                &b.parts,
            )?
            else {
                continue;
            };
            for ((i, j), o) in b.slots.iter().zip(outcomes) {
                let leaks = |o: &crate::verdict::Outcome| o.ok() && o.count() > 0;
                let here = reads[*i][*j].1.as_ref().is_some_and(leaks);
                if leaks(&o) && !here && !sqls[*i].t.tenant_hidden {
                    reads[*i][*j].1 = Some(o);
                    reads_unset[*i].push((b.tenant.clone(), undefined.clone()));
                }
            }
        }
    }
    // a SELECT policy's term by a setting the application sets per
    // request that it compares a column with (`OR owner_id =
    // current_setting('app.user_id', true)::int`): each tenant's read
    // again with it set to the value of a row of another tenant that
    // passes the term (catalog::claim_values), as a request that sets it
    // reads; a read that shows other tenants' rows only so counts, noting
    // the setting (after the reads above: this defines the setting here)
    let mut reads_claimed: Vec<Vec<(String, String, String)>> = vec![Vec::new(); sqls.len()];
    if !by_tenant.is_empty() {
        // (a view that reads one table: that table's terms, for the role
        // and for the view's owner, as whose rights it reads the table
        // unless it is security_invoker; the values read from that table,
        // the read again through the view)
        let claimed: Vec<Option<(u32, String)>> = sqls
            .iter()
            .map(|s| match (&s.t.kind, &s.t.view_base) {
                _ if s.t.tenant_hidden => None,
                (RelKind::View, Some(b)) => {
                    Some((b.oid, crate::ident::quote_qualified(&b.schema, &b.table)))
                }
                (RelKind::Table | RelKind::Partitioned, _) => Some((s.t.oid, s.t.qualified())),
                _ => None,
            })
            .collect();
        let tables: Vec<(u32, &str)> = sqls
            .iter()
            .zip(&claimed)
            .filter_map(|(s, k)| k.as_ref().map(|(oid, _)| (*oid, s.t.column.as_str())))
            .collect();
        let mut claims =
            catalog::read_claims(c, &tables, role, run_cx.search_path(), run_cx.setting)?;
        let mut owners: Vec<&str> = sqls
            .iter()
            .filter(|s| {
                s.t.kind == RelKind::View
                    && !s.t.security_invoker
                    && s.t.view_base.is_some()
                    && s.t.owner != role
            })
            .map(|s| s.t.owner.as_str())
            .collect();
        owners.sort_unstable();
        owners.dedup();
        for owner in owners {
            let views: Vec<(u32, &str)> = sqls
                .iter()
                .zip(&claimed)
                .filter(|(s, _)| {
                    s.t.kind == RelKind::View && !s.t.security_invoker && s.t.owner == owner
                })
                .filter_map(|(s, k)| k.as_ref().map(|(oid, _)| (*oid, s.t.column.as_str())))
                .collect();
            for (oid, more) in
                catalog::read_claims(c, &views, owner, run_cx.search_path(), run_cx.setting)?
            {
                let had = claims.entry(oid).or_default();
                for claim in more {
                    if !had.contains(&claim) {
                        had.push(claim);
                    }
                }
            }
        }
        for (i, sql) in sqls.iter().enumerate() {
            let Some((oid, relation)) = &claimed[i] else {
                continue;
            };
            let Some(claims) = claims.get(oid) else {
                continue;
            };
            for j in 0..reads[i].len() {
                let a = reads[i][j].0.clone();
                let leaks = |o: &crate::verdict::Outcome| o.ok() && o.count() > 0;
                if reads[i][j].1.as_ref().is_none_or(leaks) {
                    continue;
                }
                'claims: for claim in claims {
                    for (name, value) in
                        catalog::claim_values(relation, &sql.t.column, run_cx.setting, &a, claim)
                    {
                        let mut settings = run_cx.with_tenant(Some(&a));
                        settings.extend(
                            catalog::claim_sets(&name, &value)
                                .into_iter()
                                .map(|(n, v)| (n, Some(v))),
                        );
                        let o = run_batch(c, Some(role), &settings, &[sql.foreign_visible(&a)])?;
                        if let Some(o) = o.into_iter().next().filter(leaks) {
                            reads[i][j].1 = Some(o);
                            reads_claimed[i].push((a.clone(), name, value));
                            break 'claims;
                        }
                    }
                }
            }
        }
    }
    // and, for those, how many rows of A's own (and without a tenant) the
    // table has, counted as the caller: appended to the read's values
    let mut own: Vec<(usize, usize, Part)> = Vec::new();
    for (i, table_reads) in reads.iter().enumerate() {
        if sqls[i].t.tenant_hidden {
            for (j, (a, o)) in table_reads.iter().enumerate() {
                if o.as_ref().is_some_and(|o| o.ok()) {
                    own.push((i, j, sqls[i].own_rows(a)));
                }
            }
        }
    }
    if !own.is_empty() {
        let parts: Vec<Part> = own.iter().map(|(_, _, p)| p.clone()).collect();
        for ((i, j, _), o) in own
            .into_iter()
            .zip(run_batch(c, None, &Vec::new(), &parts)?)
        {
            if let Some(read) = reads[i][j].1.as_mut() {
                if o.ok() {
                    read.values.extend(o.values);
                } else {
                    // what the caller could not count: the read says why
                    *read = o;
                }
            }
        }
    }

    // a read policy's function the role may replace, replaced (rolled back)
    let mut replaced: Vec<Vec<crate::verdict::ReplaceLeak>> = Vec::with_capacity(sqls.len());
    for (i, sql) in sqls.iter().enumerate() {
        replaced.push(
            if write_probes && sql.t.replaceable.iter().any(|r| r.reads) {
                replace_probes(c, role, sql, &tenant_lists[i], &reads[i], &run_cx)?
            } else {
                Vec::new()
            },
        );
    }
    // and a table a read policy reads, written by the role (rolled back):
    // those its expression names, and those a read as the role scans
    // when a policy calls a function (what the function reads no
    // catalog records)
    let mut scanned: Vec<Vec<crate::model::Lookup>> = vec![Vec::new(); sqls.len()];
    // (and the tables whose write policies call such a function: the
    // write probes of those are watched the same way, below)
    let mut write_callers: Vec<(u32, String)> = Vec::new();
    if write_probes {
        let oids: Vec<u32> = sqls
            .iter()
            .filter(|s| !s.t.is_view())
            .map(|s| s.t.oid)
            .collect();
        let calling = catalog::function_readers(c, &oids, role)?;
        let read_callers: Vec<(u32, String)> = calling
            .iter()
            .filter_map(|(o, r, _)| r.clone().map(|r| (*o, r)))
            .collect();
        write_callers = calling
            .into_iter()
            .filter_map(|(o, _, w)| w.map(|w| (o, w)))
            .collect();
        scanned_lookups(
            c,
            role,
            &sqls,
            &read_callers,
            &tenant_lists,
            &reads,
            &run_cx,
            &mut written,
            &mut scanned,
        )?;
    }
    let mut looked_up: Vec<Vec<crate::verdict::LookupLeak>> = Vec::with_capacity(sqls.len());
    for (i, sql) in sqls.iter().enumerate() {
        let lookups: Vec<&crate::model::Lookup> =
            sql.t.lookups.iter().chain(scanned[i].iter()).collect();
        looked_up.push(if write_probes && !lookups.is_empty() {
            lookup_probes(c, role, sql, &lookups, &tenant_lists[i], &reads[i], &run_cx)?
        } else {
            Vec::new()
        });
    }

    // and each SECURITY DEFINER function that returns the table's rows,
    // called as the role (read-only)
    // (where the definer functions' arguments come from: read once per
    // table with one to call that takes arguments, as the caller)
    let mut sources: Vec<Option<ArgSource>> = Vec::with_capacity(sqls.len());
    for (sql, list) in sqls.iter().zip(&tenant_lists) {
        let t = sql.t;
        let Tenants::Values(list) = list else {
            sources.push(None);
            continue;
        };
        let readers = t.definer_readers.iter().any(|r| !r.arg_types.is_empty());
        let writers = write_probes && !t.definer_writers.is_empty() && list.len() > 1;
        sources.push(if readers || writers {
            Some(ArgSource::read(c, t, list)?)
        } else {
            None
        });
    }
    let mut definer_reads: Vec<Vec<crate::verdict::DefinerLeak>> = Vec::with_capacity(sqls.len());
    for (i, sql) in sqls.iter().enumerate() {
        definer_reads.push(if sql.t.definer_readers.is_empty() {
            Vec::new()
        } else {
            definer_probes(
                c,
                role,
                sql,
                sources[i].as_ref(),
                &tenant_lists[i],
                &reads[i],
                &run_cx,
            )?
        });
    }

    // the values the write policies' checks compare other columns with,
    // for every table the write probes copy (one read of the catalog)
    let mut variants = if write_probes {
        let tables: Vec<(u32, &str)> = targets
            .iter()
            .filter(|t| !t.is_view())
            .map(|t| (t.oid, t.column.as_str()))
            .collect();
        // (a term the role evaluates runs under its sessions' search_path)
        catalog::check_variants(
            c,
            &tables,
            role,
            run_cx.search_path(),
            run_cx.setting,
            CHECK_VARIANTS,
        )?
    } else {
        Default::default()
    };
    let mut out = Vec::new();
    for (
        (
            (((((((t, unset), empty), tenant_list), reads), replaced), looked_up), definer_reads),
            source,
        ),
        (reads_unset, reads_claimed),
    ) in targets
        .into_iter()
        .zip(unset)
        .zip(empty)
        .zip(tenant_lists)
        .zip(reads)
        .zip(replaced)
        .zip(looked_up)
        .zip(definer_reads)
        .zip(sources)
        .zip(reads_unset.into_iter().zip(reads_claimed))
    {
        let mut writes = None;
        let mut cascades = Vec::new();
        let mut replaced_writes = Vec::new();
        let mut looked_up_writes = Vec::new();
        let mut definer_writes = Vec::new();
        let mut view_reads = Vec::new();
        let mut view_shown = Vec::new();
        if let Tenants::Values(list) = &tenant_list {
            // (writes through a view are judged from its facts and the
            // reads through it, a read with SELECT lent among them:
            // view_reads_of, verdict::view_write_checks)
            if write_probes && !list.is_empty() {
                let bypasses = info.superuser || info.bypassrls;
                let applies = rls_applies(t.rls_enabled, t.rls_forced, bypasses, t.role_owns);
                writes = Some(if t.is_view() {
                    let sql = Sql {
                        t: &t,
                        col: col.clone(),
                    };
                    (view_reads, view_shown) = view_reads_of(c, role, &sql, &reads, &run_cx)?;
                    Vec::new()
                } else {
                    let (mine, rest): (Vec<_>, Vec<_>) =
                        keys.into_iter().partition(|(oid, _)| *oid == t.oid);
                    keys = rest;
                    let mine = mine.into_iter().map(|(_, k)| k).collect();
                    cascades =
                        cascade_probes(c, role, &t, mine, bypasses, inherited, &run_cx, list)?;
                    let shadow = Shadow::of(
                        c,
                        &t,
                        applies,
                        variants.remove(&t.oid).unwrap_or_default(),
                        &run_cx,
                    )?;
                    if t.replaceable.iter().any(|r| r.writes) {
                        let values = replace_values(c, &t, list)?;
                        replaced_writes =
                            replace_write_probes(c, role, &t, &shadow, &run_cx, list, &values)?;
                    }
                    if let Some(source) = source
                        .as_ref()
                        .filter(|_| !t.definer_writers.is_empty() && list.len() > 1)
                    {
                        definer_writes = definer_write_probes(c, role, &t, source, &run_cx, list)?;
                    }
                    // a write policy that calls a function: the tables the
                    // role may write that the write probe scanned (what
                    // the function read, as for the read policies'
                    // scanned_lookups), but the table and those the
                    // policies name
                    let calling = write_callers.iter().find(|(o, _)| *o == t.oid);
                    let watched: Vec<crate::model::Lookup> = match calling {
                        Some(_) => catalog::writable_once(c, role, &mut written)?
                            .iter()
                            .filter(|l| {
                                l.oid != t.oid && !t.write_lookups.iter().any(|w| w.oid == l.oid)
                            })
                            .cloned()
                            .collect(),
                        None => Vec::new(),
                    };
                    let oids: Vec<u32> = watched.iter().map(|l| l.oid).collect();
                    let before = if oids.is_empty() {
                        Vec::new()
                    } else {
                        catalog::scans(c, &oids)?
                    };
                    let mut outcomes = write_probe(c, role, &t, &shadow, &run_cx, list, None)?;
                    outcomes.extend(unset_writes(
                        c, role, &t, &shadow, &run_cx, list, &outcomes,
                    )?);
                    let mut lookups = t.write_lookups.clone();
                    if let (Some((_, policy)), false) = (calling, oids.is_empty()) {
                        let after = catalog::scans(c, &oids)?;
                        for (((_, b), (_, n)), l) in before.iter().zip(&after).zip(&watched) {
                            if n > b {
                                lookups.push(crate::model::Lookup {
                                    policy: policy.clone(),
                                    ..l.clone()
                                });
                            }
                        }
                    }
                    if !lookups.is_empty() {
                        looked_up_writes =
                            lookup_write_probes(c, role, &t, &shadow, &lookups, &run_cx, list)?;
                    }
                    outcomes
                });
            }
        }
        out.push(TableEvidence {
            target: t,
            unset,
            empty,
            tenants: tenant_list,
            reads,
            reads_unset,
            reads_claimed,
            writes,
            cascades,
            replaced,
            replaced_writes,
            looked_up,
            looked_up_writes,
            definer_reads,
            definer_writes,
            view_reads,
            view_shown,
        });
    }
    Ok(Evidence {
        role: role.to_string(),
        login: login.to_string(),
        superuser: info.superuser,
        bypassrls: info.bypassrls,
        bypass_via,
        setting: facts,
        tables: out,
        set_role_targets,
    })
}

/// Tenants for the views that sampled none: a view that shows the caller
/// nothing (its own WHERE reads the setting) or that the caller cannot
/// read (its owner may not) is probed with the tenants of its one table,
/// sampled as the caller, else with those sampled from the tables probed.
/// They are only candidates: the verdicts for any tenant value are
/// PostgreSQL's.
fn view_tenants(
    c: &SpiClient<'_>,
    targets: &[Target],
    tenant_lists: &mut [Tenants],
    col: &str,
) -> Result<()> {
    let lacking = |t: &Target, list: &Tenants| {
        t.is_view()
            && match list {
                Tenants::Values(v) => v.is_empty(),
                Tenants::SampleFailed(_) => true,
            }
    };
    let bases: Vec<(usize, Part)> = targets
        .iter()
        .zip(tenant_lists.iter())
        .enumerate()
        .filter(|(_, (t, list))| lacking(t, list))
        .filter_map(|(i, (t, _))| {
            let b = t.view_base.as_ref()?;
            Some((
                i,
                sample_of(
                    &crate::ident::quote_qualified(&b.schema, &b.table),
                    col,
                    SAMPLE_TENANTS,
                ),
            ))
        })
        .collect();
    let parts: Vec<Part> = bases.iter().map(|(_, p)| p.clone()).collect();
    let mut from_base: Vec<Option<Vec<String>>> = vec![None; targets.len()];
    for ((i, _), o) in bases.iter().zip(run_batch(c, None, &Vec::new(), &parts)?) {
        let ok = o.ok();
        let values: Vec<String> = o.values.into_iter().flatten().collect();
        if ok && !values.is_empty() {
            from_base[*i] = Some(values);
        }
    }
    let mut from_tables: Vec<String> = Vec::new();
    for (t, list) in targets.iter().zip(tenant_lists.iter()) {
        if let (false, Tenants::Values(values)) = (t.is_view(), list) {
            for v in values {
                if !from_tables.contains(v) && from_tables.len() < SAMPLE_TENANTS as usize {
                    from_tables.push(v.clone());
                }
            }
        }
    }
    for (i, (t, list)) in targets.iter().zip(tenant_lists.iter_mut()).enumerate() {
        if !lacking(t, list) {
            continue;
        }
        match from_base[i].take() {
            Some(values) => *list = Tenants::Values(values),
            None if !from_tables.is_empty() => *list = Tenants::Values(from_tables.clone()),
            None => {}
        }
    }
    Ok(())
}

/// The tenant_read probes of one tenant value, over the tables that have
/// it: where each outcome goes (table, read), and the probes.
struct TenantBatch {
    tenant: String,
    slots: Vec<(usize, usize)>,
    parts: Vec<Part>,
}

/// Rows copied into the shadow table per tenant: enough to see every
/// policy at work, few enough that a probe costs the same on any table.
const SHADOW_ROWS: i32 = 16;

/// Tenants whose first row the shadow table also holds, the probed ones
/// included: a policy that lets a tenant delete or take over the rows of a
/// tenant not probed is seen for the first this many tenants of a table.
const SHADOW_TENANTS: i32 = 1000;

/// The table's policies as CREATE POLICY statements for the write probe's
/// shadow copy (`pg_temp.rls_audit_shadow`): the same names, modes,
/// commands, roles and expressions, rendered by the one renderer.
fn shadow_policies(policies: &[Policy]) -> Vec<String> {
    policies
        .iter()
        .map(|p| {
            render::render_create_policy(&Policy {
                schema_name: "pg_temp".into(),
                table_name: "rls_audit_shadow".into(),
                ..p.clone()
            })
        })
        .collect()
}

/// The screen's policies (`pg_temp.rls_audit_screen`, sql/probe.sql): for
/// each policy that checks an INSERT (kind `i`) or an UPDATE (kind `u`),
/// a SELECT policy with the same mode and roles whose USING is that check
/// on the rows of its kind, so that what the role sees there is exactly
/// the rows that statement's new rows would be let through as.
///
/// Policies, not a WHERE clause: created as the caller under the pinned
/// search_path, they are bound to the table's own functions and operators
/// as the real policies are, while a statement parsed as the role would
/// resolve `=` under the role's search_path (hostile_path.sql).
///
/// The check is PostgreSQL's (`add_with_check_options`): a policy's WITH
/// CHECK, else its USING; a policy with neither adds nothing, permissive
/// (no row passes through it) or restrictive (it holds nothing back).
fn screen_policies(policies: &[Policy]) -> Vec<String> {
    use crate::model::{Command, Mode};
    let mut out = Vec::new();
    for (kind, command) in [("i", Command::Insert), ("u", Command::Update)] {
        for (n, p) in policies.iter().enumerate() {
            if !(p.command == command || p.command == Command::All) {
                continue;
            }
            let Some(check) = p.check_expr.as_ref().or(p.using_expr.as_ref()) else {
                continue;
            };
            let using = match p.permissive {
                Mode::Permissive => format!(
                    "rls_audit_kind OPERATOR(pg_catalog.=) '{kind}'::pg_catalog.\"char\" AND ({check})"
                ),
                Mode::Restrictive => format!(
                    "rls_audit_kind OPERATOR(pg_catalog.<>) '{kind}'::pg_catalog.\"char\" OR ({check})"
                ),
            };
            out.push(render::render_create_policy(&Policy {
                schema_name: "pg_temp".into(),
                table_name: "rls_audit_screen".into(),
                policy_name: format!("{kind}{n}"),
                permissive: p.permissive,
                command: Command::Select,
                roles: p.roles.clone(),
                using_expr: Some(using),
                check_expr: None,
            }));
        }
    }
    out
}

/// What every write probe of one table gives its shadow: row security
/// when it applies to the role on the real table (`p_applies`), the
/// shadow's policies and the screen's (`p_policies`, `p_screen`). Read
/// once per table: the plain, replace and lookup write probes share it.
struct Shadow {
    applies: bool,
    policies: Vec<String>,
    screen: Vec<String>,
    /// the values the write policies' checks compare the table's other
    /// columns with (catalog::check_variants), as `p_variants`: (column,
    /// kind `value`, `tenant`, `not null`, or `and` for a constant set
    /// together with the triple before it, value) triples, flattened;
    /// tried by the plain write probe
    variants: Vec<Option<String>>,
    /// the settings an application sets per request that the policies
    /// read, besides the tenant's and a new login's defaults, and the
    /// shadow's policies as a new session evaluates them, where those were
    /// never set (`catalog::as_unset`): in this session, once anything set
    /// them, they read `''`, not NULL. None when they read none
    unset: Option<(Vec<String>, Vec<String>)>,
    /// the settings an application sets per request (as `unset`) that the
    /// bodies of the functions the policies call name
    /// (`catalog::table_policies`)
    bodies: Vec<String>,
}

/// At most this many (column, value) variants of the write probe's rows.
const CHECK_VARIANTS: usize = 16;

impl Shadow {
    /// `variants`: the table's, from catalog::check_variants
    fn of(
        c: &SpiClient<'_>,
        t: &Target,
        applies: bool,
        variants: Vec<(String, catalog::Variant)>,
        run_cx: &Run<'_>,
    ) -> Result<Self> {
        let catalog::TablePolicies {
            mut policies,
            read,
            bodies,
        } = catalog::table_policies(c, t.oid, &["rls_audit_shadow", "rls_audit_screen"])?;
        let unset = run_cx.per_request(read);
        let unset = match unset.is_empty() {
            true => None,
            false => Some((
                shadow_policies(&catalog::table_policies_unset(
                    c,
                    t.oid,
                    "rls_audit_shadow",
                    &unset,
                )?),
                unset,
            )),
        };
        let screen = screen_policies(&policies.pop().unwrap_or_default());
        // (a role row security does not apply to inserts and moves any
        // row: no check to pass)
        let variants = variants
            .into_iter()
            .filter(|(_, v)| applies && !matches!(v, catalog::Variant::Lookup(..)))
            .flat_map(|(column, value)| {
                match value {
                catalog::Variant::Value(v) => [Some(column), Some("value".into()), v],
                catalog::Variant::Tenant => [Some(column), Some("tenant".into()), None],
                catalog::Variant::NotNull => [Some(column), Some("not null".into()), None],
                // (its value as the role acting as each tenant)
                catalog::Variant::Computed(sql) => {
                    [Some(column), Some("computed".into()), Some(sql)]
                }
                // (its value with the setting given one: the SQL and the
                // setting as JSON)
                catalog::Variant::Claimed(sql, settings, givens) => [
                    Some(column),
                    Some("claimed".into()),
                    Some(
                        serde_json::json!({ "sql": sql, "settings": settings, "givens": givens })
                            .to_string(),
                    ),
                ],
                // (the first of its candidates that passes, as the role:
                // the SQL and the candidates as JSON)
                catalog::Variant::Searched(sql, candidates, claimed) => [
                    Some(column),
                    Some("searched".into()),
                    Some(
                        serde_json::json!({
                            "sql": sql,
                            "candidates": candidates,
                            "settings": claimed.as_ref().map(|(s, _)| s),
                            "givens": claimed.as_ref().map(|(_, g)| g),
                        })
                        .to_string(),
                    ),
                ],
                // (set together with the triple before it)
                catalog::Variant::Also(v) => [Some(column), Some("and".into()), v],
                // (read into values by check_variants: left out above)
                catalog::Variant::Lookup(..) => [None, None, None],
                catalog::Variant::Rows(rows) => return rows_triples(column, &rows),
                // (a tenant a check names: one more the statements target)
                catalog::Variant::Target(v) => [Some(column), Some("target".into()), Some(v)],
                // (a term that reaches rows: rows of other tenants passing it
                // copied into the shadow too; `reach once`: one that reads no
                // setting, whose rows are the same for every tenant; `reach
                // as role`: one the role evaluates)
                catalog::Variant::Reach(sql, by) => {
                    [Some(column), Some(by.kind().into()), Some(sql)]
                }
                // (a term of a check that passes other tenants: the
                // tenants of the rows that pass it are targets too)
                catalog::Variant::Targets(sql, by) => {
                    [Some(column), Some(by.targets_kind().into()), Some(sql)]
                }
                // (a term by a setting the application sets per request:
                // the term, and each setting with the SQL of a row's value
                // of it, as JSON)
                catalog::Variant::Claims(claim) => [
                    Some(column),
                    Some("reach claimed".into()),
                    Some(
                        serde_json::json!({ "term": claim.term, "givens": claim.givens })
                            .to_string(),
                    ),
                ],
                // (a check's term of the tenant column by such a setting:
                // each setting with the SQL of a tenant's value of it)
                catalog::Variant::ClaimedTargets(claim) => [
                    Some(column),
                    Some("check claimed".into()),
                    Some(serde_json::json!({ "givens": claim.givens }).to_string()),
                ],
            }
            .to_vec()
            })
            .collect();
        Ok(Shadow {
            applies,
            policies: shadow_policies(&policies.pop().unwrap_or_default()),
            screen,
            variants,
            unset,
            bodies: run_cx.per_request(bodies),
        })
    }
}

/// A `Variant::Rows` as `p_variants` triples: (column, `rows`, the SQL,
/// the candidates and what else the search needs as JSON), then (column,
/// `with`, NULL) for each other column whose value the found row gives
/// too, in order.
fn rows_triples(column: String, rows: &catalog::Rows) -> Vec<Option<String>> {
    let mut out = vec![
        Some(column),
        Some("rows".into()),
        serde_json::to_string(rows).ok(),
    ];
    for with in &rows.with {
        out.extend([Some(with.clone()), Some("with".into()), None]);
    }
    out
}

/// The tenant column's default for the write probe (`p_default`): for a
/// role whose INSERTs leave it out; a volatile one is never run
/// (verdict: ERROR).
fn shadow_default(t: &Target) -> Option<&str> {
    t.tenant_default
        .as_deref()
        .filter(|_| t.tenant_defaulted && !t.default_volatile)
}

/// Run the shadow-table write probes of one table (sql/probe.sql), its
/// shadow set up as `shadow` says. `replaced`: first
/// (`_replace_write_probe`) a function the write policies call is
/// replaced, as (who, the CREATE OR REPLACE FUNCTION statement).
fn write_probe(
    c: &SpiClient<'_>,
    role: &str,
    t: &Target,
    shadow: &Shadow,
    run_cx: &Run<'_>,
    tenants: &[String],
    replaced: Option<(&str, &str)>,
) -> Result<Vec<WriteOutcome>> {
    WriteCall::of(role, t, shadow, run_cx, tenants, replaced)
        .run(c)?
        .into_iter()
        .map(|row| write_outcome(row, &t.table))
        .collect()
}

/// One call of the shadow-table write probe (`rls_audit._write_probe`,
/// or `_replace_write_probe` with `replaced`), its arguments owned: run
/// here, or in a backend of its own (`crate::fresh::run_writes`).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct WriteCall {
    role: String,
    table: String,
    column: String,
    settings: Vec<Option<String>>,
    setting: String,
    tenants: Vec<String>,
    applies: bool,
    policies: Vec<String>,
    col_type: String,
    col_eq: String,
    col_gt: Option<String>,
    screen: Vec<String>,
    default: Option<String>,
    variants: Vec<Option<String>>,
    replaced: Option<(String, String)>,
}

/// A row of the write probe: tenant, check, value, rows, SQLSTATE,
/// message.
pub(crate) type WriteRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

impl WriteCall {
    fn of(
        role: &str,
        t: &Target,
        shadow: &Shadow,
        run_cx: &Run<'_>,
        tenants: &[String],
        replaced: Option<(&str, &str)>,
    ) -> Self {
        WriteCall {
            role: role.to_string(),
            table: t.qualified(),
            column: t.column.clone(),
            settings: flatten(&run_cx.base),
            setting: run_cx.setting.to_string(),
            tenants: tenants.to_vec(),
            applies: shadow.applies,
            policies: shadow.policies.clone(),
            col_type: t.col_type_q.clone(),
            col_eq: t.col_eq.clone(),
            col_gt: t.col_order.as_ref().map(|(_, gt)| gt.clone()),
            screen: shadow.screen.clone(),
            default: shadow_default(t).map(Into::into),
            variants: shadow.variants.clone(),
            replaced: replaced.map(|(a, b)| (a.to_string(), b.to_string())),
        }
    }

    pub(crate) fn run(&self, c: &SpiClient<'_>) -> Result<Vec<WriteRow>> {
        let mut args: Vec<pgrx::datum::DatumWithOid<'_>> = vec![
            self.role.as_str().into(),
            self.table.as_str().into(),
            self.column.as_str().into(),
            self.settings.clone().into(),
            self.setting.as_str().into(),
            self.tenants.clone().into(),
            SHADOW_ROWS.into(),
            self.applies.into(),
            self.policies.clone().into(),
            self.col_type.as_str().into(),
            self.col_eq.as_str().into(),
            self.col_gt.as_deref().into(),
            SHADOW_TENANTS.into(),
            self.screen.clone().into(),
            self.default.as_deref().into(),
        ];
        // the checks' variants too; a replace probe asks about the
        // function it replaced
        args.push(self.variants.clone().into());
        let runner = match &self.replaced {
            Some((replacer, replace)) => {
                args.push(replacer.as_str().into());
                args.push(replace.as_str().into());
                "_replace_write_probe($17, $18, "
            }
            None => "_write_probe(",
        };
        let mut out = Vec::new();
        for r in c.select(
            &format!(
                "SELECT o_tenant, o_check, o_value, o_rows, o_state, o_message
                   FROM rls_audit.{runner}$1, $2::pg_catalog.regclass, $3, $4, $5, $6, $7, $8, $9,
                                           $10, $11, $12, $13, $14, $15, $16)"
            ),
            None,
            &args,
        )? {
            out.push(write_row(&r)?);
        }
        Ok(out)
    }

    /// Without the variants that give a setting the application sets
    /// per request a value ([`unclaimed`]): in a new session nothing sets
    /// it.
    fn unclaimed(mut self) -> Self {
        self.variants = unclaimed(&self.variants);
        self
    }
}

/// `p_variants` triples without those that give a setting the
/// application sets per request a value (kind `claimed`, a `searched`
/// one with settings, and the triples set together with them; a `reach
/// claimed` or `check claimed` term): for a new session, where nothing
/// sets it.
fn unclaimed(variants: &[Option<String>]) -> Vec<Option<String>> {
    let mut kept = Vec::with_capacity(variants.len());
    let mut dropping = false;
    for triple in variants.chunks(3) {
        let kind = triple.get(1).cloned().flatten().unwrap_or_default();
        let claims = kind == "claimed"
            || kind == "reach claimed"
            || kind == "check claimed"
            || (kind == "searched"
                && triple
                    .get(2)
                    .cloned()
                    .flatten()
                    .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
                    .is_some_and(|j| !j["settings"].is_null()));
        if claims || (dropping && matches!(kind.as_str(), "and" | "with")) {
            dropping = true;
            continue;
        }
        dropping = false;
        kept.extend_from_slice(triple);
    }
    kept
}

/// The write probe of one table again as a new session runs it, where
/// the settings the application sets per request were never set: its
/// statements that reach other tenants' rows there and did not in the
/// first probe (`outcomes`), each noting those settings. When the bodies
/// of the functions the policies call name such a setting
/// (`Shadow::bodies`), in a backend of its own where they are
/// undefined (`crate::fresh::run_writes`), without the variants that
/// would set them; else, or when no such backend can run it, here, with
/// the shadow's policies as a new session evaluates them
/// (`Shadow::unset`). Nothing when the policies read none.
fn unset_writes(
    c: &SpiClient<'_>,
    role: &str,
    t: &Target,
    shadow: &Shadow,
    run_cx: &Run<'_>,
    tenants: &[String],
    outcomes: &[WriteOutcome],
) -> Result<Vec<WriteOutcome>> {
    let bodies: &[String] = match shadow.applies {
        true => &shadow.bodies,
        false => &[],
    };
    let mut unset = crate::candidates::dedup(
        shadow
            .unset
            .iter()
            .flat_map(|(_, unset)| unset.iter())
            .chain(bodies)
            .cloned(),
    );
    let rows = match bodies.is_empty() {
        true => None,
        false => crate::fresh::run_writes(
            &unset,
            &WriteCall::of(role, t, shadow, run_cx, tenants, None).unclaimed(),
        )?,
    };
    let found = match (rows, &shadow.unset) {
        (Some(rows), _) => rows
            .into_iter()
            .map(|row| write_outcome(row, &t.table))
            .collect::<Result<Vec<_>>>()?,
        (None, Some((policies, read))) => {
            // (here, only the settings the policies read themselves)
            unset = read.clone();
            let fresh = Shadow {
                policies: policies.clone(),
                screen: shadow.screen.clone(),
                variants: unclaimed(&shadow.variants),
                unset: None,
                bodies: Vec::new(),
                ..*shadow
            };
            write_probe(c, role, t, &fresh, run_cx, tenants, None)?
        }
        (None, None) => return Ok(Vec::new()),
    };
    let leaks = |o: &WriteOutcome| o.tenant.is_some() && o.ok() && o.rows.unwrap_or(0) > 0;
    Ok(found
        .into_iter()
        .filter(|o| {
            leaks(o)
                && !outcomes.iter().any(|r| {
                    leaks(r)
                        && (&r.tenant, &r.check, &r.value, &r.message)
                            == (&o.tenant, &o.check, &o.value, &o.message)
                })
        })
        .map(|o| WriteOutcome {
            unset: unset.clone(),
            ..o
        })
        .collect())
}

/// The lookup probes of the write policies of one table: for each tenant
/// A, each other table a write policy for the role reads that the role
/// may write (`lookups`: those the policies name, and those the write
/// probe scanned when a policy calls a function) is written as the role
/// with A's settings
/// (`rls_audit._lookup_write_probe`: the writes of `_lookup_writes`, one
/// group at a time, rolled back), and the write probe runs again after
/// each group that wrote a row, the checks' variants too (a check that
/// lets the row through by the lookup table and another column's value:
/// `tenant_id IN (SELECT … FROM viewers …)` and a restrictive `body >
/// 'sh'`). Per group, the write probe's outcomes
/// (judged by verdict::looked_up_write_checks for A's checks).
fn lookup_write_probes(
    c: &SpiClient<'_>,
    role: &str,
    t: &Target,
    shadow: &Shadow,
    lookups: &[crate::model::Lookup],
    run_cx: &Run<'_>,
    tenants: &[String],
) -> Result<Vec<crate::verdict::LookupWrites>> {
    let mut out: Vec<crate::verdict::LookupWrites> = Vec::new();
    for a in tenants {
        let others: Vec<String> = tenants.iter().filter(|x| *x != a).cloned().collect();
        for l in lookups {
            let mut last = None;
            for r in c.select(
                "SELECT o_tenant, o_check, o_value, o_rows, o_state, o_message, o_kind, o_column, o_source,
                        o_group
                   FROM rls_audit._lookup_write_probe(
                            $1, $2::pg_catalog.oid::pg_catalog.regclass, $3, $4,
                            $5::pg_catalog.regclass, $6, $7, $8, $9, $10, $11,
                            $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
                None,
                &[
                    role.into(),
                    pg_sys::Oid::from(l.oid).into(),
                    l.kinds.clone().into(),
                    l.volatile.clone().into(),
                    t.qualified().into(),
                    t.column.as_str().into(),
                    t.col_type_q.as_str().into(),
                    t.col_eq.as_str().into(),
                    a.as_str().into(),
                    others.clone().into(),
                    LOOKUP_ROWS.into(),
                    flatten(&run_cx.base).into(),
                    run_cx.setting.into(),
                    tenants.to_vec().into(),
                    SHADOW_ROWS.into(),
                    shadow.applies.into(),
                    shadow.policies.clone().into(),
                    t.col_order.as_ref().map(|(_, gt)| gt.as_str()).into(),
                    SHADOW_TENANTS.into(),
                    shadow.screen.clone().into(),
                    shadow_default(t).into(),
                    shadow.variants.clone().into(),
                ],
            )? {
                let outcome = write_outcome(write_row(&r)?, &t.table)?;
                let (kind, column, source, group) = (
                    r.get::<String>(7)?,
                    r.get::<String>(8)?,
                    r.get::<String>(9)?,
                    r.get::<i32>(10)?,
                );
                // (one entry per group: its rows come together)
                match out.last_mut().filter(|_| group.is_some() && group == last) {
                    Some(w) => w.outcomes.push(outcome),
                    None => out.push(crate::verdict::LookupWrites {
                        tenant: a.clone(),
                        lookup: l.clone(),
                        kind: kind.unwrap_or_default(),
                        column,
                        source,
                        outcomes: vec![outcome],
                    }),
                }
                last = group;
            }
        }
    }
    Ok(out)
}

/// The replace probes of the write policies of one table: each function a
/// policy checking writes calls, that the role may replace, is replaced
/// with each plain body ([`replace_bodies`]) and the write probe runs
/// again (`rls_audit._replace_write_probe`, rolled back). Per body, the
/// write probe's outcomes (judged by verdict::replaced_writes).
fn replace_write_probes(
    c: &SpiClient<'_>,
    role: &str,
    t: &Target,
    shadow: &Shadow,
    run_cx: &Run<'_>,
    tenants: &[String],
    values: &[String],
) -> Result<Vec<crate::verdict::ReplacedWrites>> {
    let mut out = Vec::new();
    for r in t.replaceable.iter().filter(|r| r.writes) {
        for body in replace_bodies(r, values, None) {
            let replace = replace_statement(r, &body);
            let outcomes = write_probe(
                c,
                role,
                t,
                shadow,
                run_cx,
                tenants,
                Some((r.replacer.as_str(), replace.as_str())),
            )?;
            out.push(crate::verdict::ReplacedWrites {
                replaceable: r.clone(),
                body,
                outcomes,
            });
        }
    }
    Ok(out)
}

/// The tenant values a replaced function is made to return: the table's
/// (the first [`REPLACE_VALUES`], read as the caller), else `probed`.
fn replace_values(c: &SpiClient<'_>, t: &Target, probed: &[String]) -> Result<Vec<String>> {
    Ok(run_batch(
        c,
        None,
        &Vec::new(),
        &[sample_of(
            &t.qualified(),
            &quote_ident(&t.column),
            REPLACE_VALUES,
        )],
    )?
    .pop()
    .filter(|o| o.ok())
    .map(|o| o.values.into_iter().flatten().collect())
    .unwrap_or_else(|| probed.to_vec()))
}

/// The plain bodies a replaced function is given: true, false and NULL
/// for a boolean; else NULL and each of `values` (tenant values, quoted as
/// literals) but `skip`.
fn replace_bodies(
    r: &crate::model::Replaceable,
    values: &[String],
    skip: Option<&str>,
) -> Vec<String> {
    if r.returns_bool {
        vec!["true".into(), "false".into(), "NULL".into()]
    } else {
        std::iter::once("NULL".to_string())
            .chain(
                values
                    .iter()
                    .filter(|x| Some(x.as_str()) != skip)
                    .map(|x| crate::ident::quote_literal(x)),
            )
            .collect()
    }
}

/// CREATE OR REPLACE FUNCTION of `r` with the plain SQL body `SELECT body`.
fn replace_statement(r: &crate::model::Replaceable, body: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION {} RETURNS {} LANGUAGE sql STABLE AS {}",
        r.signature,
        r.result,
        crate::ident::quote_literal(&format!("SELECT {body}::{}", r.result))
    )
}

/// The table's tenants, and those whose own read ran and saw no row of
/// another tenant: the ones the replace, definer and lookup probes look
/// at (a read that already fails, or could not run, says enough). None
/// when the table has no tenant values.
fn clean_reads<'a>(
    tenants: &'a Tenants,
    reads: &'a [TenantRead],
) -> Option<(&'a [String], Vec<&'a String>)> {
    let Tenants::Values(list) = tenants else {
        return None;
    };
    let clean = reads
        .iter()
        .filter(|(_, read)| read.as_ref().is_some_and(|o| o.ok() && o.count() == 0))
        .map(|(a, _)| a)
        .collect();
    Some((list, clean))
}

/// The replace probes of one table: for each tenant whose own read saw no
/// row of another tenant, each function a read policy for the role calls
/// and the role may replace is replaced (`rls_audit._replace_probe`, as
/// the role or the owner it may SET ROLE to, rolled back) with a plain
/// body: true, false or NULL for a boolean; NULL or each other tenant's
/// value (cast to the result type; the table's first [`REPLACE_VALUES`])
/// otherwise; and the read runs again.
/// The first body that shows rows of another tenant is kept: that
/// CREATE OR REPLACE FUNCTION, then the read, is a real leak. A body that
/// fails (a value that does not cast) shows nothing.
fn replace_probes(
    c: &SpiClient<'_>,
    role: &str,
    sql: &Sql<'_>,
    tenants: &Tenants,
    reads: &[TenantRead],
    run_cx: &Run<'_>,
) -> Result<Vec<crate::verdict::ReplaceLeak>> {
    let Some((list, clean)) = clean_reads(tenants, reads) else {
        return Ok(Vec::new());
    };
    // the values to return: the table's tenants (the first REPLACE_VALUES,
    // read as the caller), else the probed ones
    let values = replace_values(c, sql.t, list)?;
    let mut out = Vec::new();
    for a in clean {
        let part = sql.foreign_visible(a);
        let query = format!("SELECT {}", part.expr("$1"));
        'function: for r in sql.t.replaceable.iter().filter(|r| r.reads) {
            for body in replace_bodies(r, &values, Some(a)) {
                let replace = replace_statement(r, &body);
                let o = statement_then_read(
                    c,
                    role,
                    &r.replacer,
                    &replace,
                    &run_cx.with_tenant(Some(a)),
                    &query,
                    &part.args,
                )?;
                if o.ok() && o.count() > 0 {
                    out.push(crate::verdict::ReplaceLeak {
                        tenant: a.clone(),
                        replaceable: r.clone(),
                        body,
                        rows: o.count(),
                    });
                    break 'function;
                }
            }
        }
    }
    Ok(out)
}

/// The definer probes of one table: for each tenant A whose own read saw
/// no row of another tenant, each SECURITY DEFINER function the role may
/// call that returns the table's rows is called as the role with A's
/// settings, read-only (a function that writes is refused, 25006, and
/// shows nothing), with every argument NULL, then with every argument
/// each tenant value of the table, then with values of each other
/// tenant's first row ([`ArgSource::lists`]; cast from text, one that
/// does not cast shows nothing); the rows among the first [`DEFINER_ROWS`] it returns
/// whose tenant is another than A's are counted (bounded). The first call
/// that returns any is kept.
fn definer_probes(
    c: &SpiClient<'_>,
    role: &str,
    sql: &Sql<'_>,
    source: Option<&ArgSource>,
    tenants: &Tenants,
    reads: &[TenantRead],
    run_cx: &Run<'_>,
) -> Result<Vec<crate::verdict::DefinerLeak>> {
    let Some((list, clean)) = clean_reads(tenants, reads) else {
        return Ok(Vec::new());
    };
    let (col, ty, eq) = (&sql.col, sql.ty(), sql.eq());
    let mut out = Vec::new();
    for a in clean {
        // (function, its arguments) per probe
        let mut calls: Vec<(&crate::model::DefinerReader, Vec<Option<String>>)> = Vec::new();
        let mut parts = Vec::new();
        for r in &sql.t.definer_readers {
            // every argument NULL, then each tenant value, then values of
            // another tenant's row
            let n = r.arg_types.len();
            let mut lists: Vec<Vec<Option<String>>> = vec![vec![None; n]];
            if n > 0 {
                lists.extend(list.iter().map(|v| vec![Some(v.clone()); n]));
            }
            for l in source
                .map(|s| {
                    s.lists(
                        &Args {
                            types: &r.arg_types,
                            names: &r.arg_names,
                            elems: &r.arg_elems,
                        },
                        a,
                        list,
                    )
                })
                .unwrap_or_default()
            {
                if !lists.contains(&l) {
                    lists.push(l);
                }
            }
            for v in lists {
                // each value is an element of the array x.a (A's first)
                let mut at = 1;
                let args: Vec<String> = r
                    .arg_types
                    .iter()
                    .zip(&v)
                    .map(|(t, v)| match v {
                        Some(_) => {
                            at += 1;
                            format!("((x.a)[{at}])::{t}")
                        }
                        None => format!("NULL::{t}"),
                    })
                    .collect();
                // called in the select list, so that a function that can
                // return its rows one at a time (SQL) stops at the limit
                parts.push(Part {
                    head: format!(
                        "ARRAY[(SELECT pg_catalog.count(*) FROM (SELECT 1 FROM (SELECT x.a, ({}({})).{col} AS c \
                         FROM (SELECT ",
                        r.name,
                        args.join(", ")
                    ),
                    tail: Some(format!(
                        " AS a) x LIMIT {DEFINER_ROWS}) r
                          WHERE r.c IS NOT NULL AND NOT (r.c {eq} ((r.a)[1])::{ty})
                          LIMIT {PROBE_LIMIT}) s)::pg_catalog.text]"
                    )),
                    args: std::iter::once(a.clone())
                        .chain(v.iter().flatten().cloned())
                        .collect(),
                });
                calls.push((r, v));
            }
        }
        let mut settings = run_cx.with_tenant(Some(a));
        settings.push(("transaction_read_only".into(), Some("on".into())));
        let mut found: Vec<&str> = Vec::new();
        for ((r, v), o) in calls
            .into_iter()
            .zip(run_batch(c, Some(role), &settings, &parts)?)
        {
            if o.ok() && o.count() > 0 && !found.contains(&r.function.as_str()) {
                found.push(&r.function);
                out.push(crate::verdict::DefinerLeak {
                    tenant: a.clone(),
                    reader: r.clone(),
                    args: v,
                    rows: o.count(),
                });
            }
        }
    }
    Ok(out)
}

/// Where the definer probes' arguments come from: the table's columns
/// (name, type as `schema.name`), the tenant column's type, the table's
/// row type, and each tenant's first row (its columns' text, then the
/// whole row's; None: a tenant named by the caller without a row, or a
/// caller who may not read it), read as the caller.
struct ArgSource {
    columns: Vec<(String, String)>,
    tenant_column: String,
    tenant_type: Option<String>,
    row_type: Option<String>,
    rows: Vec<(String, Option<Vec<Option<String>>>)>,
}

/// One function's input arguments: types, names, element types.
struct Args<'a> {
    types: &'a [String],
    names: &'a [String],
    elems: &'a [String],
}

/// `{"v"}`: an array of one value, as array_in reads it.
fn array_of(v: &str) -> String {
    format!("{{\"{}\"}}", v.replace('\\', "\\\\").replace('"', "\\\""))
}

impl ArgSource {
    fn read(c: &SpiClient<'_>, t: &Target, tenants: &[String]) -> Result<Self> {
        let columns = catalog::columns_of(c, t.oid)?;
        let tenant_type = columns
            .iter()
            .find(|(name, _)| *name == t.column)
            .map(|(_, ty)| ty.clone());
        // each tenant's first row, in the order of `tenants`
        let select = format!(
            "SELECT (SELECT ARRAY[{}t::pg_catalog.text] FROM {} t WHERE t.{} {} a.a::{} LIMIT 1)
               FROM pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY a(a, i) ORDER BY a.i",
            columns
                .iter()
                .map(|(name, _)| format!("t.{}::pg_catalog.text, ", quote_ident(name)))
                .collect::<String>(),
            t.qualified(),
            quote_ident(&t.column),
            t.col_eq,
            t.col_type_q
        );
        // (a caller who may not read the table gets no rows: the calls
        // with NULL and the tenant values are still made)
        let read = crate::shadow::rolled_back(|| -> Result<Vec<Option<Vec<Option<String>>>>> {
            let mut rows = Vec::new();
            for r in c.select(&select, None, &[tenants.to_vec().into()])? {
                rows.push(r.get::<Vec<Option<String>>>(1)?);
            }
            Ok(rows)
        });
        let found = read.ok().transpose()?.unwrap_or_default();
        let rows = tenants
            .iter()
            .enumerate()
            .map(|(i, b)| (b.clone(), found.get(i).cloned().flatten()))
            .collect();
        Ok(ArgSource {
            columns,
            tenant_column: t.column.clone(),
            tenant_type,
            row_type: catalog::row_type(c, t.oid)?,
            rows,
        })
    }

    /// The column an argument's name stands for: the same name, or the
    /// name without a `p_`, `in_`, `arg_` or `_` prefix (case aside).
    fn column_of(&self, arg: &str) -> Option<usize> {
        let lower = arg.to_lowercase();
        let bare = ["p_", "in_", "arg_", "_"]
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .unwrap_or(&lower);
        self.columns.iter().position(|(name, _)| {
            let name = name.to_lowercase();
            name == lower || name == bare
        })
    }

    /// The column argument `j` stands for: by its name; for an array, by
    /// its name less a plural `s` (`ids` for `id`), else the first column
    /// of its element type (not the tenant column), else the tenant
    /// column when that is its element type.
    fn column_for(&self, args: &Args<'_>, j: usize) -> Option<usize> {
        let name = args.names.get(j).filter(|n| !n.is_empty());
        let elem = args.elems.get(j).filter(|e| !e.is_empty());
        match elem {
            None => name.and_then(|n| self.column_of(n)),
            Some(elem) => name
                .and_then(|n| self.column_of(n.strip_suffix('s').unwrap_or(n)))
                .or_else(|| {
                    self.columns
                        .iter()
                        .position(|(name, ty)| ty == elem && *name != self.tenant_column)
                })
                .or_else(|| {
                    self.columns
                        .iter()
                        .position(|(name, ty)| ty == elem && *name == self.tenant_column)
                }),
        }
    }

    /// The argument lists tried as tenant `a`, for each other tenant B:
    /// from B's first row (an argument named like a column gets its value,
    /// an array one of them, one of the table's row type B's row; else one
    /// of a column's type (not the tenant column) the first such column's,
    /// else one of the tenant column's type B); then every argument of the
    /// tenant column's type B (the others by name, from B's row); then A's
    /// own first row with B as its tenant (an argument named like the
    /// tenant column, or of its type and named like no column, gets B: a
    /// row of A's moved to B, or a copy of it for B). Each list once.
    fn lists(&self, args: &Args<'_>, a: &str, tenants: &[String]) -> Vec<Vec<Option<String>>> {
        let mut out: Vec<Vec<Option<String>>> = Vec::new();
        if args.types.is_empty() {
            return out;
        }
        let n = self.columns.len();
        let is_tenant_type = |ty: &String| Some(ty) == self.tenant_type.as_ref();
        let tenant_at = self
            .columns
            .iter()
            .position(|(name, _)| *name == self.tenant_column);
        // argument j from `row` (columns' text, then the row's)
        let from = |row: &[Option<String>], j: usize| -> Option<String> {
            if self.row_type.as_ref() == args.types.get(j) {
                return row.get(n).cloned().flatten();
            }
            let v = self
                .column_for(args, j)
                .and_then(|k| row.get(k).cloned().flatten())?;
            Some(if args.elems.get(j).is_some_and(|e| !e.is_empty()) {
                array_of(&v)
            } else {
                v
            })
        };
        let own = self
            .rows
            .iter()
            .find(|(x, _)| x == a)
            .and_then(|(_, row)| row.as_deref());
        for (b, row) in self
            .rows
            .iter()
            .filter(|(b, _)| b != a && tenants.contains(b))
        {
            let row = row.as_deref().unwrap_or_default();
            let from_row: Vec<Option<String>> = args
                .types
                .iter()
                .enumerate()
                .map(|(j, ty)| {
                    from(row, j)
                        .or_else(|| {
                            self.columns
                                .iter()
                                .position(|(name, cty)| cty == ty && *name != self.tenant_column)
                                .and_then(|k| row.get(k).cloned().flatten())
                        })
                        .or_else(|| is_tenant_type(ty).then(|| b.clone()))
                })
                .collect();
            let tenant_valued: Vec<Option<String>> = args
                .types
                .iter()
                .enumerate()
                .map(|(j, ty)| {
                    if is_tenant_type(ty) {
                        Some(b.clone())
                    } else {
                        from(row, j)
                    }
                })
                .collect();
            let mut candidates = vec![from_row, tenant_valued];
            if let Some(own) = own {
                // A's row, its tenant B
                let mut moved = own.to_vec();
                if let Some(k) = tenant_at {
                    if k < moved.len() {
                        moved[k] = Some(b.clone());
                    }
                }
                candidates.push(
                    args.types
                        .iter()
                        .enumerate()
                        .map(|(j, ty)| {
                            if self.row_type.as_ref() == Some(ty) {
                                // (a whole row of A's is not relabelled)
                                return None;
                            }
                            match self.column_for(args, j) {
                                Some(_) => from(&moved, j),
                                None => is_tenant_type(ty).then(|| b.clone()),
                            }
                        })
                        .collect(),
                );
            }
            for list in candidates {
                if !out.contains(&list) {
                    out.push(list);
                }
            }
        }
        out
    }
}

/// The definer write probes of one table: each SECURITY DEFINER function
/// the role may call that may write it ([`crate::model::DefinerWriter`])
/// is called as the role with each tenant A's settings, on the real table
/// watched by the counting trigger (`shadow::run_calls`: all rolled back),
/// with each of [`ArgSource::lists`] and then every argument NULL.
///
/// Its verdict is what the call did: the rows of other tenants it
/// inserted, updated or deleted, or a TRUNCATE. The first call that
/// wrote any is kept per function and tenant.
fn definer_write_probes(
    c: &SpiClient<'_>,
    role: &str,
    t: &Target,
    source: &ArgSource,
    run_cx: &Run<'_>,
    tenants: &[String],
) -> Result<Vec<crate::verdict::DefinerWrite>> {
    let mut calls: Vec<crate::shadow::Call> = Vec::new();
    // (function, arguments) per call
    let mut made: Vec<(usize, Vec<Option<String>>)> = Vec::new();
    for (fi, w) in t.definer_writers.iter().enumerate() {
        let sql = {
            let args: Vec<String> = w
                .arg_types
                .iter()
                .enumerate()
                .map(|(j, ty)| format!("${}::{ty}", j + 1))
                .collect();
            if w.procedure {
                format!("CALL {}({})", w.name, args.join(", "))
            } else {
                format!(
                    "SELECT pg_catalog.count(*) FROM (SELECT {}({})) rls_audit_call",
                    w.name,
                    args.join(", ")
                )
            }
        };
        for (i, a) in tenants.iter().enumerate() {
            // and every argument NULL, last (a call with another tenant's
            // values is the clearer evidence)
            let mut lists = source.lists(
                &Args {
                    types: &w.arg_types,
                    names: &w.arg_names,
                    elems: &w.arg_elems,
                },
                a,
                tenants,
            );
            let none = vec![None; w.arg_types.len()];
            if !lists.contains(&none) {
                lists.push(none);
            }
            for args in lists {
                calls.push(crate::shadow::Call {
                    tenant: i,
                    sql: sql.clone(),
                    args: args.clone(),
                });
                made.push((fi, args));
            }
        }
    }
    let tables = catalog::partition_tree(c, t.oid)?;
    let outcomes = crate::shadow::run_calls(&crate::shadow::Calls {
        role,
        settings: &run_cx.base,
        setting: run_cx.setting,
        tenants,
        tables: tables.into_iter().map(pg_sys::Oid::from).collect(),
        column: &t.column,
        calls: &calls,
    })?;
    let mut out: Vec<crate::verdict::DefinerWrite> = Vec::new();
    match outcomes {
        Err((state, message)) => {
            for a in tenants {
                for w in &t.definer_writers {
                    out.push(crate::verdict::DefinerWrite {
                        tenant: a.clone(),
                        writer: w.clone(),
                        args: Vec::new(),
                        kinds: [0; 4],
                        error: Some(format!("{message} ({state})")),
                    });
                }
            }
        }
        Ok(outcomes) => {
            for ((call, (fi, args)), o) in calls.iter().zip(made).zip(outcomes) {
                let Ok(wrote) = o else { continue };
                let a = &tenants[call.tenant];
                let w = &t.definer_writers[fi];
                if out
                    .iter()
                    .any(|d| &d.tenant == a && d.writer.function == w.function)
                {
                    continue;
                }
                // a TRUNCATE removed the rows of the relations it emptied:
                // those of other tenants (or none), counted as the caller
                // now that it is rolled back
                let mut truncated = 0;
                for rel in &wrote.truncated {
                    truncated += others_in(c, t, pg_sys::Oid::from(*rel), a)?;
                }
                let [ins, upd, del] = wrote.kinds;
                let kinds = [ins, upd, del, truncated];
                if kinds.iter().all(|n| *n == 0) {
                    continue;
                }
                out.push(crate::verdict::DefinerWrite {
                    tenant: a.clone(),
                    writer: w.clone(),
                    args,
                    kinds,
                    error: None,
                });
            }
        }
    }
    Ok(out)
}

/// How many rows of relation `rel` (the probed table or one of its
/// partitions) are not tenant `a`'s (NULL included), up to
/// [`PROBE_LIMIT`], counted as the caller; one that cannot be counted
/// (the caller may not read it) counts as 1: the TRUNCATE that emptied it
/// is not ruled out as another tenant's.
fn others_in(c: &SpiClient<'_>, t: &Target, rel: pg_sys::Oid, a: &str) -> Result<i64> {
    let Some(name) = catalog::qualified_name(c, rel)? else {
        return Ok(0);
    };
    let col = quote_ident(&t.column);
    let sql = format!(
        "SELECT pg_catalog.count(*) FROM (SELECT FROM ONLY {name} t
          WHERE t.{col} IS NULL OR NOT (t.{col} {} $1::{}) LIMIT {PROBE_LIMIT}) s",
        t.col_eq, t.col_type_q
    );
    let counted = crate::shadow::rolled_back(|| -> Result<i64> {
        Ok(c.select(&sql, Some(1), &[a.into()])?
            .first()
            .get::<i64>(1)?
            .unwrap_or(0))
    });
    match counted {
        Ok(n) => n,
        Err(_) => Ok(1),
    }
}

/// The tables the read policies' functions read that the role may write:
/// for each probed table whose read policies for the role call a function
/// that is not built in (`calling`: the table and the first such policy,
/// `catalog::function_readers`), one read as the role (its first tenant
/// whose own read saw nothing of others), and the tables the role may
/// write that it scanned (`catalog::scans`, before and after: a function's
/// reads are counted whatever it is written in, as the owner's or the
/// caller's), but the table itself and those its policies name.
#[allow(clippy::too_many_arguments)]
fn scanned_lookups(
    c: &SpiClient<'_>,
    role: &str,
    sqls: &[Sql<'_>],
    calling: &[(u32, String)],
    tenant_lists: &[Tenants],
    reads: &[Vec<TenantRead>],
    run_cx: &Run<'_>,
    written: &mut Option<Vec<crate::model::Lookup>>,
    out: &mut [Vec<crate::model::Lookup>],
) -> Result<()> {
    if calling.is_empty() {
        return Ok(());
    }
    let writable = catalog::writable_once(c, role, written)?;
    let candidates: Vec<u32> = writable.iter().map(|l| l.oid).collect();
    if candidates.is_empty() {
        return Ok(());
    }
    for (oid, policy) in calling.iter().cloned() {
        let Some(i) = sqls.iter().position(|s| s.t.oid == oid) else {
            continue;
        };
        let Some(a) =
            clean_reads(&tenant_lists[i], &reads[i]).and_then(|(_, clean)| clean.first().copied())
        else {
            continue;
        };
        let part = sqls[i].foreign_visible(a);
        let before = catalog::scans(c, &candidates)?;
        run(
            c,
            Some(role),
            &run_cx.with_tenant(Some(a)),
            &format!("SELECT {}", part.expr("$1")),
            &part.args,
        )?;
        let after = catalog::scans(c, &candidates)?;
        for ((m, b), (_, n)) in before.iter().zip(&after) {
            if n > b && *m != oid && !sqls[i].t.lookups.iter().any(|l| l.oid == *m) {
                if let Some(l) = writable.iter().find(|l| l.oid == *m) {
                    out[i].push(crate::model::Lookup {
                        policy: policy.clone(),
                        ..l.clone()
                    });
                }
            }
        }
    }
    Ok(())
}

/// The lookup probes of one table: for each tenant A whose own read saw
/// no row of another tenant, each other table a read policy for the role
/// reads and the role may write is written as the role with A's settings
/// (`rls_audit._lookup_probe`: INSERT, UPDATE, DELETE, or what TRUNCATE
/// leaves; rolled back), and the read runs again after each. A write
/// after which the read shows rows of another tenant is a real leak.
fn lookup_probes(
    c: &SpiClient<'_>,
    role: &str,
    sql: &Sql<'_>,
    lookups: &[&crate::model::Lookup],
    tenants: &Tenants,
    reads: &[TenantRead],
    run_cx: &Run<'_>,
) -> Result<Vec<crate::verdict::LookupLeak>> {
    let Some((list, clean)) = clean_reads(tenants, reads) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for a in clean {
        let others: Vec<String> = list.iter().filter(|x| *x != a).cloned().collect();
        let part = sql.foreign_visible(a);
        let query = format!("SELECT {}", part.expr("$1"));
        for l in lookups {
            for r in c.select(
                "SELECT o_kind, o_column, o_source, o_rows, o_state, o_message
                   FROM rls_audit._lookup_probe($1, $2, $3::pg_catalog.oid::pg_catalog.regclass, $4, $5,
                                                $6::pg_catalog.oid::pg_catalog.regclass, $7, $8, $9, $10,
                                                $11, $12, $13, $14)",
                None,
                &[
                    role.into(),
                    flatten(&run_cx.with_tenant(Some(a))).into(),
                    pg_sys::Oid::from(l.oid).into(),
                    l.kinds.clone().into(),
                    l.volatile.clone().into(),
                    pg_sys::Oid::from(sql.t.oid).into(),
                    sql.t.column.as_str().into(),
                    sql.ty().into(),
                    sql.eq().into(),
                    a.as_str().into(),
                    others.clone().into(),
                    LOOKUP_ROWS.into(),
                    query.as_str().into(),
                    part.args.clone().into(),
                ],
            )? {
                let (kind, rows) = match (r.get::<String>(1)?, r.get::<i64>(4)?) {
                    (Some(kind), Some(rows)) => (kind, rows),
                    // the probe could not be set up: its SQLSTATE and message
                    _ => (
                        "error".to_string(),
                        0,
                    ),
                };
                let error = (kind == "error").then(|| {
                    Outcome {
                        values: Vec::new(),
                        sqlstate: r.get::<String>(5).ok().flatten().unwrap_or_else(|| "XX000".into()),
                        message: r.get::<String>(6).ok().flatten(),
                    }
                    .error_text()
                });
                out.push(crate::verdict::LookupLeak {
                    tenant: a.clone(),
                    lookup: (*l).clone(),
                    kind,
                    column: r.get::<String>(2)?,
                    source: r.get::<String>(3)?,
                    rows,
                    error,
                });
            }
        }
    }
    Ok(out)
}

/// One row of `_write_probe` or `_cascade_probe`: tenant, check, value,
/// rows, SQLSTATE, message; the shadow stands in for `table`, so a
/// message names the table.
/// A write probe's row as it reads: its first six columns.
fn write_row(r: &pgrx::spi::SpiHeapTupleData) -> Result<WriteRow> {
    Ok((
        r.get::<String>(1)?,
        r.get::<String>(2)?,
        r.get::<String>(3)?,
        r.get::<i64>(4)?,
        r.get::<String>(5)?,
        r.get::<String>(6)?,
    ))
}

fn write_outcome(r: WriteRow, table: &str) -> Result<WriteOutcome> {
    let (tenant, check, value, rows, sqlstate, message) = r;
    Ok(WriteOutcome {
        tenant,
        check,
        value,
        rows,
        sqlstate: sqlstate.unwrap_or_else(|| "00000".into()),
        message: message.map(|m| {
            m.replace("\"rls_audit_shadow\"", &format!("\"{table}\""))
                .replace("table rls_audit_shadow", &format!("table {table}"))
                .replace(&format!("\"{}", catalog::UNSET), "\"")
        }),
        unset: Vec::new(),
    })
}

/// `statement` run as `by` (a CREATE OR REPLACE FUNCTION, a GRANT), then
/// one read probe as the role with `settings`, then everything rolled
/// back (sql/probe.sql's `_replace_probe`): what the read saw.
fn statement_then_read(
    c: &SpiClient<'_>,
    role: &str,
    by: &str,
    statement: &str,
    settings: &Settings,
    query: &str,
    args: &[String],
) -> Result<Outcome> {
    let row = c.select(
        "SELECT o_result, o_state, o_message
           FROM rls_audit._replace_probe($1, $2, $3, $4, $5, $6)",
        Some(1),
        &[
            role.into(),
            by.into(),
            statement.into(),
            flatten(settings).into(),
            query.into(),
            args.to_vec().into(),
        ],
    )?;
    probe_outcome(&row.first())
}

/// A view the role may DELETE or UPDATE through, which PostgreSQL then
/// writes as the view's owner on a table whose row security does not apply
/// to that owner, reaches the rows a read through the view shows
/// (verdict::view_write_checks). When the role may not read them (no
/// SELECT on the view: 42501; or not on its tenant column), the read runs
/// once more, as the role with A's settings, after the view's owner
/// granted it SELECT on the view (`_replace_probe`: the statement, the
/// read, then everything rolled back: nobody else ever sees the grant).
/// The rows the read shows are the rows the DELETE reaches: the view's
/// own conditions, run as the role in both. And when the role may set the
/// view's tenant column and the view has no CHECK OPTION, an UPDATE moves
/// any row the view shows A to another tenant: per tenant, how many rows
/// the view shows at all (read the same way). Returns (the lent reads, the
/// rows shown).
fn view_reads_of(
    c: &SpiClient<'_>,
    role: &str,
    sql: &Sql<'_>,
    reads: &[TenantRead],
    run_cx: &Run<'_>,
) -> Result<(Vec<TenantRead>, Vec<TenantRead>)> {
    let t = sql.t;
    let (mut lent, mut shown) = (Vec::new(), Vec::new());
    let Some(b) = t.view_base.as_ref() else {
        return Ok((lent, shown));
    };
    let w = t.view_writes;
    let writes = (w.delete && b.delete == Some(true)) || (w.update && b.update == Some(true));
    if t.kind != crate::model::RelKind::View || b.why.is_none() || !writes {
        return Ok((lent, shown));
    }
    let moves = w.tenant && !w.check_option && b.update == Some(true);
    let grant = format!("GRANT SELECT ON {} TO {}", t.qualified(), quote_ident(role));
    // one read as the role with A's settings, SELECT lent or not
    let read = |a: &str, part: Part, lend: bool| -> Result<Outcome> {
        let query = format!("SELECT {}", part.expr("$1"));
        let settings = run_cx.with_tenant(Some(a));
        if !lend {
            return run(c, Some(role), &settings, &query, &part.args);
        }
        statement_then_read(c, role, &t.owner, &grant, &settings, &query, &part.args)
    };
    for (a, o) in reads {
        let Some(o) = o else {
            continue;
        };
        let lend = o.sqlstate == "42501" || (t.tenant_hidden && o.ok());
        if lend {
            lent.push((a.clone(), Some(read(a, sql.foreign_visible(a), true)?)));
        }
        if moves {
            shown.push((a.clone(), Some(read(a, sql.visible(), lend)?)));
        }
    }
    Ok((lent, shown))
}

/// The cascade probes of one table (sql/probe.sql's `_cascade_probe`), one
/// per foreign key in `keys` (those of its keys whose ON DELETE or ON
/// UPDATE action writes its rows, catalog::cascades): may the role, as
/// each tenant, delete a row of the referenced table that another tenant's
/// rows reference, or change its key? `bypasses`: the role is a superuser or
/// BYPASSRLS; `inherited`: the roles whose rights it has (an owner of the
/// referenced table among them skips its policies unless forced).
#[allow(clippy::too_many_arguments)]
fn cascade_probes(
    c: &SpiClient<'_>,
    role: &str,
    t: &Target,
    keys: Vec<catalog::CascadeKey>,
    bypasses: bool,
    inherited: &std::collections::BTreeSet<&str>,
    run_cx: &Run<'_>,
    tenants: &[String],
) -> Result<Vec<crate::verdict::Cascade>> {
    let mut out = Vec::new();
    for k in keys {
        let applies = rls_applies(
            k.parent_rls,
            k.parent_forced,
            bypasses,
            inherited.contains(k.parent_owner.as_str()),
        );
        let policies = shadow_policies(
            &catalog::table_policies(c, k.parent_oid, &["rls_audit_shadow"])?
                .policies
                .pop()
                .unwrap_or_default(),
        );
        let mut outcomes = Vec::new();
        for r in c.select(
            "SELECT o_tenant, o_check, o_value, o_rows, o_state, o_message
               FROM rls_audit._cascade_probe($1, $2::pg_catalog.regclass, $3,
                                             $4::pg_catalog.regclass, $5, $6, $7, $8, $9, $10,
                                             $11, $12, $13, $14, $15, $16, $17, $18)",
            None,
            &[
                role.into(),
                t.qualified().into(),
                t.column.as_str().into(),
                k.parent.as_str().into(),
                k.keys.clone().into(),
                k.refs.clone().into(),
                k.ops.clone().into(),
                flatten(&run_cx.base).into(),
                run_cx.setting.into(),
                tenants.to_vec().into(),
                SHADOW_ROWS.into(),
                applies.into(),
                policies.into(),
                t.col_type_q.as_str().into(),
                t.col_eq.as_str().into(),
                t.col_order.as_ref().map(|(_, gt)| gt.as_str()).into(),
                SHADOW_TENANTS.into(),
                matches!(k.on_update, 'c' | 'n' | 'd').into(),
            ],
        )? {
            outcomes.push(write_outcome(write_row(&r)?, &k.parent)?);
        }
        out.push(crate::verdict::Cascade {
            constraint: k.name,
            parent: k.parent,
            on_delete: k.on_delete,
            on_update: k.on_update,
            outcomes,
        });
    }
    Ok(out)
}

/// One row of `probe()`: outcome, rows_visible, sqlstate, message.
pub(crate) type ProbeRow = (String, Option<i64>, Option<String>, Option<String>);

/// `probe()`: what `role` sees in `tbl` with these settings.
pub(crate) fn probe_one(
    c: &SpiClient<'_>,
    role: &str,
    tbl: pg_sys::Oid,
    settings: &serde_json::Value,
) -> Result<ProbeRow> {
    let info = catalog::role_info(c, role, None)?;
    ensure_can_act_as(c, role)?;
    let obj = settings.as_object().ok_or_else(|| {
        RlsAuditError::InvalidParameter(
            "settings must be a JSON object such as {\"app.tenant_id\": \"1\"}".into(),
        )
    })?;
    let mut s = fresh_session(&info);
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
    let name = catalog::qualified_name(c, tbl)?.ok_or(RlsAuditError::UnknownTable(tbl.to_u32()))?;
    let sql = format!("SELECT ARRAY[(SELECT pg_catalog.count(*) FROM {name})::pg_catalog.text]");
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

#[cfg(test)]
mod unit {
    use super::*;

    fn call(variants: &[Option<&str>]) -> WriteCall {
        WriteCall {
            role: "app".into(),
            table: "public.t".into(),
            column: "tenant_id".into(),
            settings: Vec::new(),
            setting: "app.tenant_id".into(),
            tenants: vec!["1".into()],
            applies: true,
            policies: Vec::new(),
            col_type: "pg_catalog.int4".into(),
            col_eq: "pg_catalog.=".into(),
            col_gt: None,
            screen: Vec::new(),
            default: None,
            variants: variants.iter().map(|v| v.map(Into::into)).collect(),
            replaced: None,
        }
    }

    #[test]
    fn a_new_sessions_call_sets_no_claimed_setting() {
        let searched_with =
            r#"{"sql":"x","candidates":["1"],"settings":["app.user_id"],"givens":["1"]}"#;
        let searched_without = r#"{"sql":"x","candidates":["1"],"settings":null,"givens":null}"#;
        let kept = call(&[
            Some("kind"),
            Some("value"),
            Some("public"),
            Some("owner"),
            Some("claimed"),
            Some("{}"),
            Some("note"),
            Some("and"),
            Some("by"),
            Some("score"),
            Some("searched"),
            Some(searched_with),
            Some("partner"),
            Some("with"),
            None,
            Some("score"),
            Some("searched"),
            Some(searched_without),
            Some("flag"),
            Some("and"),
            Some("t"),
            Some("app.user_id"),
            Some("reach claimed"),
            Some("{}"),
            Some("tenant_id"),
            Some("tenant"),
            None,
        ])
        .unclaimed();
        let want: Vec<Option<String>> = [
            Some("kind"),
            Some("value"),
            Some("public"),
            Some("score"),
            Some("searched"),
            Some(searched_without),
            Some("flag"),
            Some("and"),
            Some("t"),
            Some("tenant_id"),
            Some("tenant"),
            None,
        ]
        .iter()
        .map(|v| v.map(Into::into))
        .collect();
        assert_eq!(kept.variants, want);
    }
}
