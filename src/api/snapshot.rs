//! `snapshot()`, `set_baseline()` and `forget()`: restore points, stored
//! as rows.
use pgrx::prelude::*;

use crate::error::SqlResult;
use crate::snapshot;

// SECURITY DEFINER: history tables are writable only by the extension owner.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn snapshot(
    label: default!(Option<&str>, "NULL"),
    note: default!(Option<&str>, "NULL"),
    baseline: default!(Option<bool>, false),
) -> SqlResult<i64> {
    crate::schema::require_primary("snapshot")?;
    // NULL for `baseline` means "no preference", like the default
    let baseline = baseline.unwrap_or(false);
    Ok(Spi::connect_mut(|c| {
        snapshot::take(c, label, note, baseline)
    })?)
}

// The SQL is spelled out only to name the argument `ref` (a Rust keyword).
// SECURITY DEFINER: moves the baseline flag in a history table.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.set_baseline("ref" text) RETURNS bigint
    VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn set_baseline_fn(reference: Option<&str>) -> SqlResult<i64> {
    crate::schema::require_primary("set_baseline")?;
    Ok(Spi::connect_mut(|c| snapshot::set_baseline(c, reference))?)
}

// SECURITY DEFINER: deletes from history tables.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.forget("ref" text) RETURNS void
    VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn forget_fn(reference: Option<&str>) -> SqlResult<()> {
    crate::schema::require_primary("forget")?;
    Ok(Spi::connect_mut(|c| snapshot::forget(c, reference))?)
}
