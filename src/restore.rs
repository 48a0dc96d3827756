//! Gathering a restore: the snapshot aligned with the live state, the plan
//! that turns one back into the other ([`crate::plan`]), and the script
//! around it.
use pgrx::spi::SpiClient;

use crate::diff::Compared;
use crate::drift;
use crate::error::{Result, RlsAuditError};
use crate::plan::{self, Plan};

/// The snapshot and the plan that turns the live state back into it.
pub(crate) fn plan_for(client: &SpiClient<'_>, reference: Option<&str>) -> Result<(i64, Plan)> {
    let (compared, plan) = planned(client, reference)?;
    Ok((compared.base_id, plan))
}

/// The comparison a plan is made from (the script's guard takes the live
/// state's fingerprint from it), and the plan.
fn planned(client: &SpiClient<'_>, reference: Option<&str>) -> Result<(Compared, Plan)> {
    // the snapshot in today's names: a renamed table gets its flags and
    // policies back under its new name, and a policy whose referenced
    // column, function or role was renamed is not recreated
    let compared = drift::states_for(client, reference, None)?;
    let mut plan = plan::plan(&compared.base, &compared.cur);
    plan.undo_renames(&compared.renamed);
    // the snapshot's expression text goes into CREATE POLICY as it is: it
    // must be one expression each, never text that closes the clause and
    // adds a statement or another clause (a snapshot edited in its table,
    // or imported from an edited document)
    let statements: std::collections::HashSet<&String> = plan.statements.iter().collect();
    let created = compared
        .base
        .policies
        .iter()
        .filter(|p| statements.contains(&crate::render::render_create_policy(p)));
    if let Some((p, clause)) =
        crate::export::not_one_expression(created, crate::expr::one_expression)
    {
        return Err(RlsAuditError::InvalidParameter(format!(
            "snapshot {}: the {clause} text of policy {} on {} is not one SQL expression, \
             so it is not written into a CREATE POLICY; nothing was restored",
            compared.base_id,
            crate::ident::quote_ident(&p.policy_name),
            crate::ident::quote_qualified(&p.schema_name, &p.table_name)
        )));
    }
    Ok((compared, plan))
}

/// `restore_script()`: the plan as a script, with the snapshot's label and
/// fingerprint in its header.
pub(crate) fn script(c: &SpiClient<'_>, reference: Option<&str>) -> Result<String> {
    let (compared, plan) = planned(c, reference)?;
    let (id, live) = (compared.base_id, compared.cur.fingerprint());
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
