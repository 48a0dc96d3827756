//! `report()`: the release checklist filled in from the live database.
//! This file gathers the inputs; [`crate::report`] builds the report.
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::access::Model;
use crate::capture;
use crate::drift;
use crate::error::{Result, RlsAuditError, SqlResult};
use crate::lint;
use crate::report::{self, Baseline, EventRow, Inputs};
use crate::store;

/// Everything a report is built from, read in one SPI connection.
fn gather(
    c: &SpiClient<'_>,
    baseline: Option<&str>,
    roles: Option<&[Option<String>]>,
) -> Result<Inputs> {
    let compared = drift::states_for(c, baseline, None)?;
    let access_roles = match &compared.cur_access {
        Some(facts) => {
            super::access::matrix_roles(&Model::new(facts, &compared.cur.policies), roles)?
        }
        None => Vec::new(),
    };
    let base_id = compared.base_id;
    let meta = c
        .select(
            "SELECT label, fingerprint, pg_catalog.to_char(taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'),
                    taken_by::text, pg_catalog.current_database()::text,
                    pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'),
                    taken_at
               FROM rls_audit.snapshot_meta WHERE id = $1",
            Some(1),
            &[base_id.into()],
        )?
        .first();
    let baseline = Baseline {
        id: base_id,
        label: meta.get::<String>(1)?,
        fingerprint: meta.get::<String>(2)?.unwrap_or_default(),
        taken_at: meta.get::<String>(3)?.unwrap_or_default(),
        taken_by: meta.get::<String>(4)?.unwrap_or_default(),
    };
    let database = meta.get::<String>(5)?.unwrap_or_default();
    let generated_at = meta.get::<String>(6)?.unwrap_or_default();
    let mut events = Vec::new();
    for r in c.select(
        "SELECT e.id, pg_catalog.to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                e.current_user_name::text, e.command_tag, e.change,
                e.schema_name::text, e.table_name::text, e.policy_name::text, e.before, e.after,
                e.ticket, e.statement
           FROM rls_audit.events e, rls_audit.snapshot_meta s
          WHERE s.id = $1 AND e.occurred_at >= s.taken_at ORDER BY e.id",
        None,
        &[base_id.into()],
    )? {
        events.push(EventRow {
            id: r.get::<i64>(1)?.unwrap_or(0),
            occurred_at: r.get::<String>(2)?.unwrap_or_default(),
            who: r.get::<String>(3)?.unwrap_or_default(),
            command_tag: r.get::<String>(4)?.unwrap_or_default(),
            change: r.get::<String>(5)?.unwrap_or_default(),
            object: capture::object_name(
                r.get::<String>(5)?.unwrap_or_default().parse()?,
                [
                    r.get::<String>(6)?.as_deref(),
                    r.get::<String>(7)?.as_deref(),
                    r.get::<String>(8)?.as_deref(),
                ],
                r.get::<pgrx::JsonB>(9)?.map(|j| j.0).as_ref(),
                r.get::<pgrx::JsonB>(10)?.map(|j| j.0).as_ref(),
            ),
            ticket: r.get::<String>(11)?,
            statement: r.get::<String>(12)?,
        });
    }
    Ok(Inputs {
        compared,
        baseline,
        database,
        generated_at,
        events,
        lint_now: lint::run(&super::lint::posture(c, None)?, None),
        suppressions: store::suppressions(c)?,
        untracked: capture::untracked_rows(c)?.len(),
        broken_links: capture::broken_links(c)?.len(),
        freeze_problems: capture::freeze_problems(c)?.len(),
        log_head: crate::anchor::head(c)?.map(|(id, hash)| crate::report::LogHead { id, hash }),
        role_capture: crate::hook::role_capture_on(),
        ddl_capture_gaps: capture::capture_gaps(false)
            .into_iter()
            .map(String::from)
            .collect(),
        access_roles,
    })
}

// SECURITY DEFINER: reads snapshot history, the event log and lint_ignore.
// `roles`: whose all_rows access the report lists (NULL: the login roles
// that are not superusers, as access_matrix()).
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn report(
    baseline: default!(Option<&str>, "'baseline'"),
    format: default!(Option<&str>, "'markdown'"),
    roles: default!(Option<Vec<Option<String>>>, "NULL"),
) -> SqlResult<String> {
    let format = format
        .ok_or_else(|| {
            RlsAuditError::NullArgument("format must not be NULL (markdown or json)".into())
        })?
        .trim()
        .to_ascii_lowercase();
    if format != "markdown" && format != "json" {
        return Err(RlsAuditError::InvalidParameter(format!(
            "\"{format}\" is not a report format (use markdown or json)"
        ))
        .into());
    }
    let r = Spi::connect(|c| gather(c, baseline, roles.as_deref()))?;
    let r = report::build(r);
    Ok(if format == "json" {
        serde_json::to_string_pretty(&r).map_err(|e| RlsAuditError::ObjectState(e.to_string()))?
    } else {
        report::markdown(&r)
    })
}
