//! Change history, as SQL sees it: the event trigger functions, the
//! tracked state's `untracked_changes()` / `record_untracked()`, the change
//! freeze and the chain check. The work is in [`crate::capture`].
use pgrx::prelude::*;

use super::drift::{to_tuple, DriftTuple};
use crate::capture;
use crate::error::{Result, RlsAuditError, SqlResult};
use crate::regclass::Name;

// Event trigger functions run as the user issuing the DDL (so the event
// names them), and borrow the extension owner's rights only to write.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit._capture_ddl() RETURNS event_trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn capture_ddl(fcinfo: pg_sys::FunctionCallInfo) -> SqlResult<()> {
    Ok(capture::capture_end(fcinfo)?)
}

#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit._capture_drop() RETURNS event_trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn capture_sql_drop(fcinfo: pg_sys::FunctionCallInfo) -> SqlResult<()> {
    Ok(capture::capture_drop(fcinfo)?)
}

// A freeze also holds rls_audit itself: dropping the extension (or its
// schema) would end the freeze and the record with it.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit._guard_drop() RETURNS event_trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn guard_drop(fcinfo: pg_sys::FunctionCallInfo) -> SqlResult<()> {
    let data = capture::event_data(fcinfo)?;
    if !capture::drops_rls_audit(data) {
        return Ok(());
    }
    let reason = capture::as_owner(|| Spi::connect(capture::frozen_without_ticket))?;
    match reason {
        Some(r) => Err(RlsAuditError::ObjectState(format!(
            "row-level security changes are frozen: {r} \
             (unfreeze with SELECT rls_audit.unfreeze() before dropping rls_audit, \
             or SET rls_audit.ticket = '<change id>')"
        ))
        .into()),
        None => Ok(()),
    }
}

// AFTER UPDATE / DELETE / TRUNCATE trigger of rls_audit.freeze_state
// (ENABLE ALWAYS): the freeze changes through freeze() and unfreeze() only,
// which record it as an event. A superuser's DELETE of the row would end a
// freeze with no trace. (An INSERT only freezes, and is how pg_dump's copy
// of the table comes back.)
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit._guard_freeze_state() RETURNS trigger
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn guard_freeze_state(_fcinfo: pg_sys::FunctionCallInfo) -> SqlResult<()> {
    if capture::freeze_writer() {
        return Ok(());
    }
    Err(RlsAuditError::ObjectState(
        "rls_audit.freeze_state is changed only by rls_audit.freeze() and rls_audit.unfreeze(), \
         which record the change as an event"
            .into(),
    )
    .into())
}

// The freeze_state guard's triggers, created (or put back) here only: by
// CREATE EXTENSION, the 0.2.0 -> 0.3.0 update, and every freeze().
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit._arm_freeze_guard() RETURNS void
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn arm_freeze_guard() -> SqlResult<()> {
    Ok(Spi::connect_mut(capture::arm_freeze_guard)?)
}

// Called once by CREATE EXTENSION: the tracked state starts as the live one.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit._seed_tracked() RETURNS void
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn seed_tracked() -> SqlResult<()> {
    Ok(Spi::connect_mut(|c| {
        capture::resync(c, crate::authz::Scope::All)
    })?)
}

// Called once by ALTER EXTENSION rls_audit UPDATE from 0.2.0: roles,
// memberships, table owners and grants start as they are (CREATE EXTENSION
// seeds them with the rest of the tracked state).
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit._seed_access() RETURNS void
    SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn seed_access() -> SqlResult<()> {
    Ok(Spi::connect_mut(|c| {
        crate::authz::resync(c, crate::authz::Scope::All)
    })?)
}

// SECURITY DEFINER: reads the tracked state, which PUBLIC cannot.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn untracked_changes() -> std::result::Result<
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
    let rows: Vec<DriftTuple> = Spi::connect(capture::untracked_rows)?
        .into_iter()
        .map(to_tuple)
        .collect();
    Ok(TableIterator::new(rows))
}

// SECURITY DEFINER: writes events and the tracked state.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn record_untracked(note: default!(Option<&str>, "NULL")) -> SqlResult<i32> {
    crate::schema::require_primary("record_untracked")?;
    let ctx = capture::Ctx {
        current_user: capture::outer_user(),
        command_tag: "UNTRACKED".into(),
        // the note is kept as each event's statement
        statement: note.map(Into::into),
        sets_rls_flags: false,
        renames: false,
        changes_owner: false,
    };
    Ok(Spi::connect_mut(|c| -> Result<i32> {
        let drafts = capture::reconcile_drafts(c, crate::authz::Scope::All)?;
        // recording what already happened is not a new change: no freeze check
        let n = capture::write_events(c, &ctx, drafts, false)?;
        capture::resync(c, crate::authz::Scope::All)?;
        Ok(n)
    })?)
}

// SECURITY DEFINER: writes the freeze state and the event log.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn freeze(reason: Option<&str>) -> SqlResult<()> {
    crate::schema::require_primary("freeze")?;
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            RlsAuditError::InvalidParameter(
                "a freeze needs a reason, e.g. 'release 1.7 window'".into(),
            )
        })?;
    Ok(capture::set_freeze(Some(reason))?)
}

// SECURITY DEFINER: writes the freeze state and the event log.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn unfreeze() -> SqlResult<()> {
    crate::schema::require_primary("unfreeze")?;
    Ok(capture::set_freeze(None)?)
}

// SECURITY DEFINER: reads the event log, which PUBLIC cannot.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn verify_log(
    expected_head: default!(Option<&str>, "NULL"),
) -> std::result::Result<
    TableIterator<'static, (name!(event_id, Option<i64>), name!(problem, String))>,
    pgrx::pg_sys::panic::ErrorReport,
> {
    let expected: Option<crate::anchor::ExpectedHead> =
        expected_head.map(str::parse).transpose()?;
    let rows = Spi::connect(|c| -> Result<Vec<(Option<i64>, String)>> {
        let mut problems = capture::broken_links(c)?;
        problems.extend(capture::freeze_problems(c)?);
        problems.sort_by_key(|(id, _)| *id);
        let mut rows: Vec<(Option<i64>, String)> =
            problems.into_iter().map(|(id, p)| (Some(id), p)).collect();
        if let Some(e) = &expected {
            rows.extend(crate::anchor::check_head(c, e)?);
        }
        Ok(rows)
    })?;
    Ok(TableIterator::new(rows))
}

// SECURITY DEFINER: reads the event log, which PUBLIC cannot.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn log_head() -> std::result::Result<
    TableIterator<'static, (name!(id, i64), name!(hash, String))>,
    pgrx::pg_sys::panic::ErrorReport,
> {
    let head = Spi::connect(crate::anchor::head)?;
    Ok(TableIterator::new(head))
}
