//! Gathering a restore: the snapshot aligned with the live state, the plan
//! that turns one back into the other ([`crate::plan`]), and the script
//! around it.
use pgrx::spi::SpiClient;

use crate::drift;
use crate::error::Result;
use crate::plan::{self, Plan};

/// The snapshot and the plan that turns the live state back into it.
pub(crate) fn plan_for(client: &SpiClient<'_>, reference: Option<&str>) -> Result<(i64, Plan)> {
    let (id, plan, _) = plan_with_live(client, reference)?;
    Ok((id, plan))
}

/// [`plan_for`], and the fingerprint of the live state it was planned
/// against (the script's guard checks it is still that state).
fn plan_with_live(client: &SpiClient<'_>, reference: Option<&str>) -> Result<(i64, Plan, String)> {
    // the snapshot in today's names: a renamed table gets its flags and
    // policies back under its new name, and a policy whose referenced
    // column, function or role was renamed is not recreated
    let compared = drift::states_for(client, reference, None)?;
    let mut plan = plan::plan(&compared.base, &compared.cur);
    plan.undo_renames(&compared.renamed);
    Ok((compared.base_id, plan, compared.cur.fingerprint()))
}

/// `restore_script()`: the plan as a script, with the snapshot's label and
/// fingerprint in its header.
pub(crate) fn script(c: &SpiClient<'_>, reference: Option<&str>) -> Result<String> {
    let (id, plan, live) = plan_with_live(c, reference)?;
    let row = c
        .select(
            "SELECT label, fingerprint, pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC',
                    'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
               FROM rls_audit.snapshot_meta WHERE id = $1",
            Some(1),
            &[id.into()],
        )?
        .first();
    let label = row.get::<String>(1)?;
    let fingerprint = row.get::<String>(2)?.unwrap_or_default();
    let at = row.get::<String>(3)?.unwrap_or_default();
    Ok(plan::render_script(
        id,
        label.as_deref(),
        &fingerprint,
        &live,
        &at,
        &plan,
    ))
}
