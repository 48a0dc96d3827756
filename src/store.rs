//! Reads of rls_audit's own review table, `lint_ignore` (snapshots live in
//! `snapshot.rs`, events and the tracked state in `capture.rs`).
use pgrx::spi::SpiClient;

use crate::error::Result;
use crate::lint::Suppression;

/// Every `lint_ignore` row.
pub(crate) fn suppressions(c: &SpiClient<'_>) -> Result<Vec<Suppression>> {
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
