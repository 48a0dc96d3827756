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
    // whether a backend of its own would see what this transaction sees,
    // for the unset probes (crate::fresh), kept for the next call
    let was_clean = crate::fresh::enter();
    let checks = Spi::connect(|c| {
        let gather = |acting: &str| {
            isolation::gather(
                c,
                acting,
                role,
                setting,
                column,
                tables,
                tenants,
                write_probes.unwrap_or(true),
            )
        };
        let own = gather(role)?;
        let mut checks = verdict::verdicts(&own);
        // one SET ROLE away: what the session may read and write as
        // another role is the role's too
        for other in &own.set_role_targets {
            // what the probes so far wrote was theirs and is rolled back:
            // a new backend still sees this transaction's data, so the
            // next role's "unset" probes can run there (crate::fresh)
            crate::fresh::leave(was_clean);
            crate::fresh::enter();
            let theirs = verdict::verdicts(&gather(other)?);
            verdict::through_set_role(&mut checks, role, other, theirs);
        }
        Ok::<_, RlsAuditError>(checks)
    })?;
    crate::fresh::leave(was_clean);
    Ok(checks)
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

// The write probes' statements on their shadow table (sql/probe.sql's
// _write_probe sets the table up and calls this inside its own rolled-back
// subtransaction). SECURITY INVOKER and open to PUBLIC like _probe: each
// statement runs as `role` through SET ROLE, which PostgreSQL checks
// against the caller's own session user, so it gives nothing the caller
// could not do anyway. Returns (tenant, check, value, rows, sqlstate,
// message) sextuples, flattened.
#[allow(clippy::too_many_arguments)]
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit._write_statements(
    p_role name, p_settings text[], p_setting text, p_tenants text[],
    p_update text, p_insert text, p_templates text, p_setup text[],
    p_shadow regclass, p_col name, p_screen text, p_variants text[] DEFAULT NULL)
RETURNS text[]
VOLATILE SET search_path = pg_catalog, pg_temp
LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn write_statements(
    role: Option<Name>,
    settings: Option<Vec<Option<String>>>,
    setting: Option<&str>,
    tenants: Option<Vec<Option<String>>>,
    update: Option<&str>,
    insert: Option<&str>,
    templates: Option<&str>,
    setup: Option<Vec<Option<String>>>,
    shadow: Option<pg_sys::Oid>,
    column: Option<Name>,
    screen: Option<&str>,
    variants: default!(Option<Vec<Option<String>>>, "NULL"),
) -> crate::error::SqlResult<Vec<Option<String>>> {
    let role = require(role.as_ref().map(|n| n.0.as_str()), "p_role")?;
    let pairs: Vec<(String, Option<String>)> = settings
        .unwrap_or_default()
        .chunks(2)
        .filter_map(|kv| match kv {
            [Some(k), v] => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect();
    let tenants: Vec<String> = tenants.unwrap_or_default().into_iter().flatten().collect();
    let setup: Vec<String> = setup.unwrap_or_default().into_iter().flatten().collect();
    // (update, insert, column, kind, value, also) sextuples, flattened;
    // also: the constants set with it, [column, value, ...] in JSON; kind
    // `target`: a tenant the checks name, no statement of its own
    let variants = variants.unwrap_or_default();
    // (each once: a check may name a tenant and pass it by a term too)
    let targets: Vec<String> =
        crate::candidates::dedup(variants.chunks(6).filter_map(|v| match v {
            [_, _, _, Some(kind), Some(value), _] if kind == "target" => Some(value.clone()),
            _ => None,
        }));
    // (kind `claim`: a setting the application sets per request, a value
    // of it that reaches rows of others, and the tenant whose DELETE,
    // take-over and moves run again with it)
    let claims: Vec<crate::shadow::ReachClaim> = variants
        .chunks(6)
        .filter_map(|v| match v {
            [_, _, Some(setting), Some(kind), Some(value), Some(tenant)] if kind == "claim" => {
                Some(crate::shadow::ReachClaim {
                    tenant: tenant.clone(),
                    setting: setting.clone(),
                    value: value.clone(),
                })
            }
            _ => None,
        })
        .collect();
    // (kind `check claimed`: each setting with the SQL of a tenant's
    // value of it, as JSON)
    let check_claims: Vec<Vec<(String, String)>> = variants
        .chunks(6)
        .filter_map(|v| match v {
            [_, _, _, Some(kind), Some(json), _] if kind == "check claimed" => {
                serde_json::from_str::<serde_json::Value>(json)
                    .ok()
                    .and_then(|j| serde_json::from_value(j["givens"].clone()).ok())
            }
            _ => None,
        })
        .collect();
    let variants: Vec<crate::shadow::Variant> = variants
        .chunks(6)
        .filter_map(|v| match v {
            [Some(update), insert, Some(column), Some(kind), value, also] => {
                Some(crate::shadow::Variant {
                    update: update.clone(),
                    insert: insert.clone(),
                    column: column.clone(),
                    value: match (kind.as_str(), value) {
                        ("tenant", _) => crate::shadow::VariantValue::Tenant,
                        ("computed", Some(sql)) => {
                            crate::shadow::VariantValue::Computed(sql.clone())
                        }
                        ("claimed", Some(claim)) => {
                            let claim: serde_json::Value =
                                serde_json::from_str(claim).unwrap_or_default();
                            crate::shadow::VariantValue::Claimed(
                                claim["sql"].as_str().unwrap_or_default().to_string(),
                                strings(&claim["settings"]),
                                strings(&claim["givens"]),
                            )
                        }
                        // (one that does not read: no candidates, nothing
                        // found)
                        ("searched", Some(search)) => {
                            let search: serde_json::Value =
                                serde_json::from_str(search).unwrap_or_default();
                            crate::shadow::VariantValue::Searched(
                                search["sql"].as_str().unwrap_or_default().to_string(),
                                strings(&search["candidates"]),
                                search["settings"].is_array().then(|| {
                                    (strings(&search["settings"]), strings(&search["givens"]))
                                }),
                            )
                        }
                        // (a term of several columns: its rows' candidates,
                        // the columns set with it in `also`)
                        // (one that does not read: NULL, nothing tried)
                        ("rows", Some(search)) => match serde_json::from_str(search) {
                            Ok(rows) => crate::shadow::VariantValue::Rows(Box::new(rows)),
                            Err(_) => crate::shadow::VariantValue::Computed("NULL".into()),
                        },
                        (_, value) => crate::shadow::VariantValue::Constant(value.clone()),
                    },
                    also: also
                        .as_deref()
                        .and_then(|a| serde_json::from_str::<Vec<Option<String>>>(a).ok())
                        .unwrap_or_default()
                        .chunks(2)
                        .filter_map(|p| match p {
                            [Some(c), v] => Some((c.clone(), v.clone())),
                            _ => None,
                        })
                        .collect(),
                })
            }
            _ => None,
        })
        .collect();
    let rows = crate::shadow::run_statements(&crate::shadow::Probe {
        role,
        settings: &pairs,
        setting: require(setting, "p_setting")?,
        tenants: &tenants,
        targets: &targets,
        // on a foreign key's referenced table (_cascade_probe), the
        // DELETE and the key's UPDATE alone (p_update, p_insert NULL)
        rewrites: match (update, insert, templates) {
            (_, None, None) => None,
            (update, insert, templates) => Some(crate::shadow::Rewrites {
                update: require(update, "p_update")?,
                insert: require(insert, "p_insert")?,
                templates: require(templates, "p_templates")?,
            }),
        },
        key_update: update.filter(|_| insert.is_none() && templates.is_none()),
        setup: &setup,
        shadow: *require(shadow.as_ref(), "p_shadow")?,
        column: require(column.as_ref().map(|n| n.0.as_str()), "p_col")?,
        screen,
        variants: &variants,
        claims: &claims,
        check_claims: &check_claims,
    })?;
    Ok(rows
        .into_iter()
        .flat_map(|(tenant, check, value, n, state, message)| {
            [
                Some(tenant),
                Some(check.to_string()),
                value,
                n.map(|n| n.to_string()),
                Some(state),
                message,
            ]
        })
        .collect())
}

// The shadow table's AFTER ROW trigger (see crate::shadow): counts the
// rows of other tenants a write probe's statement touched.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit._shadow_count() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn shadow_count(fcinfo: pg_sys::FunctionCallInfo) -> crate::error::SqlResult<()> {
    // SAFETY: fcinfo is this call's, as PostgreSQL passed it
    Ok(unsafe { crate::shadow::count_touched(fcinfo) }?)
}

// The write probes' shadow gets the real table's row triggers (see
// crate::shadow::copy_row_triggers). SECURITY INVOKER and open to PUBLIC
// like _write_statements: PostgreSQL's own checks apply (the caller must
// own the shadow and may execute each function).
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit._copy_row_triggers(p_from regclass, p_to regclass) RETURNS integer
    VOLATILE SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn copy_row_triggers(
    from: Option<pg_sys::Oid>,
    to: Option<pg_sys::Oid>,
) -> crate::error::SqlResult<i32> {
    let from = *require(from.as_ref(), "p_from")?;
    let to = *require(to.as_ref(), "p_to")?;
    Ok(crate::shadow::copy_row_triggers(from, to)?)
}

/// The strings of a JSON array (a searched variant's candidates, a claimed
/// one's values); none for anything else.
fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|all| {
            all.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
