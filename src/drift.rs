//! Comparing two states: a snapshot with the live database or with another
//! snapshot, aligned by identity first (renames followed by OID), and the
//! record of each nightly `check_drift()` run. The comparison itself is
//! [`crate::diff`]; this module only gathers its inputs and stores runs.
use pgrx::spi::SpiClient;

use crate::catalog;
use crate::diff::{self, Compared, DriftRow};
use crate::error::{Result, RlsAuditError};
use crate::snapshot;

/// Resolve the two sides of a comparison: a snapshot and either another
/// snapshot or (target NULL) the live state. The identities (which OID
/// each name stands for) are dropped once the sides are aligned, before
/// the access facts are read: the two never take memory at once.
pub(crate) fn states_for(
    client: &SpiClient<'_>,
    baseline: Option<&str>,
    target: Option<&str>,
) -> Result<Compared> {
    let base_id = snapshot::resolve_ref(client, baseline)?;
    let (mut base, base_ids) = snapshot::load(client, base_id)?;
    let target_id = target
        .map(|t| snapshot::resolve_ref(client, Some(t)))
        .transpose()?;
    let (cur, cur_ids) = match target_id {
        Some(id) => snapshot::load(client, id)?,
        None => {
            let followed = base_ids.policies.values().map(|id| id.oid).collect();
            catalog::read_live_following(client, Some(&followed))?
        }
    };
    let renames = crate::identity::align(&mut base, &base_ids, &cur, &cur_ids);
    drop((base_ids, cur_ids));
    let mut base_access = snapshot::load_access(client, base_id)?;
    if let Some(facts) = base_access.as_mut() {
        diff::rename_access(facts, &renames);
    }
    let cur_access = match target_id {
        Some(id) => snapshot::load_access(client, id)?,
        None => Some(catalog::read_access(client)?),
    };
    Ok(Compared {
        base_id,
        base,
        cur,
        renamed: renames.into_iter().map(diff::renamed_row).collect(),
        base_access,
        cur_access,
    })
}

/// Record one `check_drift()` run in `drift_runs` and announce it on the
/// `rls_audit` channel; returns the run's id.
pub(crate) fn record_run(c: &mut SpiClient<'_>, base_id: i64, rows: &[DriftRow]) -> Result<i64> {
    let n = diff::counts(rows);
    let report =
        serde_json::to_string(rows).map_err(|e| RlsAuditError::ObjectState(e.to_string()))?;
    // the event log's head at this run: kept here and in the notification,
    // so a later rewrite or truncation of the chain shows against any copy
    let head = crate::anchor::head(c)?;
    let (head_id, head_hash) = (
        head.as_ref().map(|h| h.0),
        head.as_ref().map(|h| h.1.clone()),
    );
    let id = c
        .update(
            r#"INSERT INTO rls_audit.drift_runs
                   (baseline_id, critical, high, medium, low, info, report, head_id, head_hash)
               VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9) RETURNING id"#,
            None,
            &[
                base_id.into(),
                n[0].into(),
                n[1].into(),
                n[2].into(),
                n[3].into(),
                n[4].into(),
                report.as_str().into(),
                head_id.into(),
                head_hash.clone().into(),
            ],
        )?
        .first()
        .get_one::<i64>()?
        .ok_or_else(|| RlsAuditError::ObjectState("drift run was not recorded".into()))?;
    let summary = serde_json::json!({
        "run_id": id, "baseline_id": base_id,
        "critical": n[0], "high": n[1], "medium": n[2], "low": n[3], "info": n[4],
        "head_id": head_id, "head_hash": head_hash,
    })
    .to_string();
    c.update(
        "SELECT pg_catalog.pg_notify('rls_audit', $1)",
        None,
        &[summary.as_str().into()],
    )?;
    Ok(id)
}
