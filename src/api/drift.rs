//! `drift()`, `assert_no_drift()` and `check_drift()`: a snapshot compared
//! with the live state (or another snapshot), as rows, as a CI gate, and as
//! a recorded nightly run.
use pgrx::prelude::*;

use crate::diff::{counts, describe, DriftRow};
use crate::drift;
use crate::error::SqlResult;
use crate::model::Severity;
use crate::regclass::Name;

/// One row of drift() and untracked_changes(), as SQL sees it.
pub(crate) type DriftTuple = (
    String,
    String,
    Option<Name>,
    Option<Name>,
    Option<Name>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

pub(crate) fn to_tuple(r: DriftRow) -> DriftTuple {
    (
        r.severity.as_sql().to_string(),
        r.change.as_sql().to_string(),
        r.schema_name.map(Name),
        r.table_name.map(Name),
        r.policy_name.map(Name),
        r.attribute,
        r.baseline_value,
        r.current_value,
        r.detail,
    )
}

// SECURITY DEFINER: reads snapshot history, which PUBLIC cannot.
// The column list must stay spelled out in the signature: pgrx reads the
// name!() markers from it to write RETURNS TABLE.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn drift(
    baseline: default!(Option<&str>, "'baseline'"),
    target: default!(Option<&str>, "NULL"),
) -> std::result::Result<
    TableIterator<
        'static,
        (
            name!(severity, String),
            name!(change, String),
            name!(schema_name, Option<Name>),
            name!(table_name, Option<Name>),
            name!(policy_name, Option<Name>),
            name!(attribute, Option<String>),
            name!(baseline_value, Option<String>),
            name!(current_value, Option<String>),
            name!(detail, String),
        ),
    >,
    pgrx::pg_sys::panic::ErrorReport,
> {
    let compared = Spi::connect(|c| drift::states_for(c, baseline, target))?;
    let rows: Vec<DriftTuple> = compared.rows().into_iter().map(to_tuple).collect();
    Ok(TableIterator::new(rows))
}

// SECURITY DEFINER: reads snapshot history, which PUBLIC cannot.
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn assert_no_drift(
    baseline: default!(Option<&str>, "'baseline'"),
    min_severity: default!(Option<&str>, "'low'"),
) -> SqlResult<()> {
    let min: Severity = min_severity.unwrap_or("low").parse()?;
    let compared = Spi::connect(|c| drift::states_for(c, baseline, None))?;
    let base_id = compared.base_id;
    let rows: Vec<DriftRow> = compared
        .rows()
        .into_iter()
        .filter(|r| r.severity <= min)
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let report = pgrx::pg_sys::panic::ErrorReport::new(
        PgSqlErrorCode::ERRCODE_RAISE_EXCEPTION,
        format!(
            "rls_audit: {} drift row(s) at or above {} since snapshot {base_id}",
            rows.len(),
            min.as_sql()
        ),
        "rls_audit",
    )
    .set_detail(describe(&rows))
    .set_hint("SELECT * FROM rls_audit.drift() shows the rows; rls_audit.restore_script() writes the rollback");
    Err(report)
}

// SECURITY DEFINER: writes drift_runs, which only the extension may write.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn check_drift(baseline: default!(Option<&str>, "'baseline'")) -> SqlResult<i64> {
    crate::schema::require_primary("check_drift")?;
    let compared = Spi::connect(|c| drift::states_for(c, baseline, None))?;
    let base_id = compared.base_id;
    let rows = compared.rows();
    let n = counts(&rows);
    let run_id = Spi::connect_mut(|c| drift::record_run(c, base_id, &rows))?;
    if n[0] + n[1] > 0 {
        let serious: Vec<DriftRow> = rows
            .into_iter()
            .filter(|r| r.severity <= Severity::High)
            .collect();
        pgrx::warning!(
            "rls_audit: drift run {run_id}: {} critical, {} high since snapshot {base_id}\n{}",
            n[0],
            n[1],
            describe(&serious)
        );
    }
    Ok(run_id)
}
