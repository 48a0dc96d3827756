//! `drift()`, `assert_no_drift()` and `check_drift()`: a snapshot compared
//! with the live state (or another snapshot), as rows, as a CI gate, and as
//! a recorded nightly run.
use pgrx::prelude::*;

use crate::diff::{counts, describe, DriftRow};
use crate::drift;
use crate::error::SqlResult;
use crate::model::Severity;
use crate::regclass::Name;
use crate::srf::Rows;

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
// Declared by hand (the same declaration pgrx would write) because the rows
// are returned in materialize mode: each goes into a sort as it is found
// (crate::srf), so a drift of a whole new schema is never held whole.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit."drift"(
    "baseline" TEXT DEFAULT 'baseline',
    "target" TEXT DEFAULT NULL)
RETURNS TABLE ("severity" TEXT, "change" TEXT, "schema_name" name, "table_name" name,
               "policy_name" name, "attribute" TEXT, "baseline_value" TEXT,
               "current_value" TEXT, "detail" TEXT)
STABLE SECURITY DEFINER
SET search_path TO pg_catalog, pg_temp
LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn drift(
    baseline: Option<&str>,
    target: Option<&str>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> SqlResult<()> {
    let mut out = Rows::sorted(fcinfo, &SORT_KEY)?;
    let compared = Spi::connect(|c| drift::states_for(c, baseline, target))?;
    compared.each_row(&mut |r| out.put(r.severity as i32, || values(r)));
    drop(compared);
    Ok(out.finish()?)
}

/// The order of drift()'s rows, as result columns after the severity's
/// rank: schema, table, policy, attribute, detail, change, baseline and
/// current value, as [`DriftRow::sort_key`] orders them in Rust.
const SORT_KEY: [usize; 8] = [2, 3, 4, 5, 8, 1, 6, 7];

/// A drift row as the datums of drift()'s columns.
fn values(r: DriftRow) -> crate::srf::Values {
    let (severity, change, schema, table, policy, attribute, was, now, detail) = to_tuple(r);
    vec![
        severity.into_datum(),
        change.into_datum(),
        schema.and_then(IntoDatum::into_datum),
        table.and_then(IntoDatum::into_datum),
        policy.and_then(IntoDatum::into_datum),
        attribute.into_datum(),
        was.into_datum(),
        now.into_datum(),
        detail.into_datum(),
    ]
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
    // the nightly job is where switched-off capture is seen first
    let gaps = crate::capture::capture_gaps(false);
    if !gaps.is_empty() {
        pgrx::warning!(
            "rls_audit: capture is off: none of its event triggers fires on {}; \
             RLS changes are not recorded until they are enabled again \
             (untracked_changes() lists what changed meanwhile)",
            gaps.join(", ")
        );
    }
    // and so is a freeze ended past its guard
    let freeze = Spi::connect(crate::capture::freeze_problems)?;
    if let Some((id, problem)) = freeze.first() {
        pgrx::warning!(
            "rls_audit: the event log and the freeze disagree in {} place(s); event {id}: {problem} \
             (SELECT * FROM rls_audit.verify_log() lists them)",
            freeze.len()
        );
    }
    Ok(run_id)
}
