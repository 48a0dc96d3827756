//! `verify_isolation()` and `probe()`: tenant isolation proven by acting
//! as the role on live data. Probes: [`crate::isolation`]; verdicts:
//! [`crate::verdict`].
use pgrx::prelude::*;

use crate::error::{Result, RlsAuditError};
use crate::isolation;
use crate::regclass::Name;
use crate::verdict;

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

/// The checks of one verify_isolation() call (the arguments as SQL gives
/// them: NULL where the SPEC forbids it is `22004`).
fn run_checks(
    role: &str,
    setting: Option<&str>,
    tenant_column: Option<&str>,
    tables: Option<&[Option<pg_sys::Oid>]>,
    tenants: Option<&[Option<String>]>,
    write_probes: Option<bool>,
) -> Result<Vec<verdict::Check>> {
    let setting = require(setting, "setting")?;
    let column = require(tenant_column, "tenant_column")?;
    // write probes create a temporary shadow table: not on a standby
    if write_probes.unwrap_or(true) {
        crate::schema::require_primary("verify_isolation")?;
    }
    let evidence = Spi::connect(|c| {
        isolation::gather(
            c,
            role,
            setting,
            column,
            tables,
            tenants,
            write_probes.unwrap_or(true),
        )
    })?;
    Ok(verdict::verdicts(&evidence))
}

// verify_isolation() as JUnit XML (one suite per table, one case per
// check; FAIL is a failure, SKIP skipped, ERROR an error). Declared xml;
// the text is built well-formed (ci::xml_text). SECURITY INVOKER, like
// verify_isolation.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.verify_isolation_junit(
    "role" name, "setting" text, "tenant_column" name DEFAULT 'tenant_id',
    "tables" regclass[] DEFAULT NULL, "tenants" text[] DEFAULT NULL,
    "write_probes" boolean DEFAULT true)
RETURNS xml
VOLATILE SET search_path = pg_catalog, pg_temp
LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn verify_isolation_junit(
    role: Option<Name>,
    setting: Option<&str>,
    tenant_column: Option<Name>,
    tables: Option<Vec<Option<pg_sys::Oid>>>,
    tenants: Option<Vec<Option<String>>>,
    write_probes: Option<bool>,
) -> crate::error::SqlResult<String> {
    let role = require(role.as_ref().map(|n| n.0.as_str()), "role")?;
    let checks = run_checks(
        role,
        setting,
        tenant_column.as_ref().map(|n| n.0.as_str()),
        tables.as_deref(),
        tenants.as_deref(),
        write_probes,
    )?;
    Ok(crate::ci::isolation_junit(role, &checks))
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
    let checks = run_checks(
        role,
        setting,
        tenant_column.as_ref().map(|n| n.0.as_str()),
        tables.as_deref(),
        tenants.as_deref(),
        write_probes,
    )?;
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
    let row = Spi::connect(|c| isolation::probe_one(c, role, tbl, &settings))?;
    Ok(TableIterator::new(vec![row]))
}
