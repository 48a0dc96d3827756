//! Role statements captured: PostgreSQL fires no event trigger for `CREATE
//! / ALTER / DROP ROLE`, `GRANT` / `REVOKE` of role membership or
//! `REASSIGN OWNED`, yet `ALTER ROLE app BYPASSRLS` opens every tenant's
//! rows. A ProcessUtility hook sees them: it reads the roles and
//! memberships before the statement runs, and afterwards records what the
//! statement changed as events (`role_added`, `role_changed`,
//! `role_removed`, `membership_added`, `membership_removed`,
//! `owner_changed`; a rename changes nothing that holds the role's OID and
//! records nothing), in the statement's transaction, in the database where
//! it ran, subject to the freeze and the ticket, exactly as the event
//! triggers record a policy change ([`crate::authz`] holds the facts).
//!
//! The same hook keeps `SET event_triggers = off` (PostgreSQL 17+) from
//! switching capture and the freeze off ([`event_triggers_back_on`]), and
//! a statement run while capture does not fire (replica mode, its event
//! triggers disabled or their functions replaced) from getting past a
//! freeze ([`capture_off_under_freeze`]).
//!
//! The hook is installed only when rls_audit is in
//! `shared_preload_libraries`: loaded later (at the first rls_audit call
//! of a session) it would miss the session's earlier statements, so it is
//! all or nothing. Without it, `untracked_changes()` and `drift()` still
//! find every such change; `report()` says which is the case.
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, Ordering};

use pgrx::prelude::*;
use pgrx::PgList;

use crate::authz;
use crate::capture;
use crate::error::Result;

static mut PREVIOUS: pg_sys::ProcessUtility_hook_type = None;
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// From `_PG_init`: install the hook, chained to the one before it, when
/// the library is being preloaded.
pub(crate) fn install() {
    // SAFETY: _PG_init runs once per process, before any statement; the
    // previous hook is kept and called by ours
    unsafe {
        if !pg_sys::process_shared_preload_libraries_in_progress {
            return;
        }
        PREVIOUS = pg_sys::ProcessUtility_hook;
        pg_sys::ProcessUtility_hook = Some(process_utility);
    }
    INSTALLED.store(true, Ordering::Relaxed);
}

/// Is role capture on in this backend (rls_audit preloaded)?
pub(crate) fn role_capture_on() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// What a statement is watched for: the roles and memberships it may
/// change (read before it runs), or the tables it may give new owners.
enum Watch {
    Roles(authz::RoleState),
    Reassign(Vec<u32>),
}

#[cfg(not(feature = "pg13"))]
#[pg_guard]
#[allow(clippy::too_many_arguments)]
unsafe extern "C-unwind" fn process_utility(
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const core::ffi::c_char,
    read_only_tree: bool,
    context: pg_sys::ProcessUtilityContext::Type,
    params: pg_sys::ParamListInfo,
    query_env: *mut pg_sys::QueryEnvironment,
    dest: *mut pg_sys::DestReceiver,
    qc: *mut pg_sys::QueryCompletion,
) {
    // SAFETY: the previous hook (or PostgreSQL's own processing) is called
    // with exactly the arguments this hook was given; an ERROR it raises
    // is caught at the FFI boundary and re-raised
    around(pstmt, query_string, || unsafe {
        match PREVIOUS {
            Some(previous) => pg_sys::ffi::pg_guard_ffi_boundary(|| {
                previous(
                    pstmt,
                    query_string,
                    read_only_tree,
                    context,
                    params,
                    query_env,
                    dest,
                    qc,
                )
            }),
            None => pg_sys::standard_ProcessUtility(
                pstmt,
                query_string,
                read_only_tree,
                context,
                params,
                query_env,
                dest,
                qc,
            ),
        }
    });
}

#[cfg(feature = "pg13")]
#[pg_guard]
unsafe extern "C-unwind" fn process_utility(
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const core::ffi::c_char,
    context: pg_sys::ProcessUtilityContext::Type,
    params: pg_sys::ParamListInfo,
    query_env: *mut pg_sys::QueryEnvironment,
    dest: *mut pg_sys::DestReceiver,
    qc: *mut pg_sys::QueryCompletion,
) {
    // SAFETY: as above
    around(pstmt, query_string, || unsafe {
        match PREVIOUS {
            Some(previous) => pg_sys::ffi::pg_guard_ffi_boundary(|| {
                previous(pstmt, query_string, context, params, query_env, dest, qc)
            }),
            None => pg_sys::standard_ProcessUtility(
                pstmt,
                query_string,
                context,
                params,
                query_env,
                dest,
                qc,
            ),
        }
    });
}

/// The hook's work around the statement (`run`): what it may change is
/// read before, what it changed recorded after.
/// What the hook reads and writes runs under rls_audit's own search_path,
/// never the session's: the statement's author chooses that one, and no
/// function or operator of theirs may run here (the recording runs as the
/// history tables' owner). Only a watched statement pays for it.
fn around(pstmt: *mut pg_sys::PlannedStmt, query: *const core::ffi::c_char, run: impl FnOnce()) {
    let watch = or_raise(watch(pstmt));
    let restore = event_triggers_back_on(pstmt);
    let unseen = or_raise(capture_off_under_freeze(pstmt));
    run();
    if let Some((reason, before)) = unseen {
        let after = or_raise(untracked_now());
        if after != before {
            or_raise::<()>(Err(capture::frozen_error(&reason)));
        }
    }
    if let Some(level) = restore {
        // SAFETY: the nesting level opened by event_triggers_back_on; an
        // ERROR in run() leaves it to the (sub)transaction's abort, as for
        // a function's SET clause
        unsafe { pg_sys::AtEOXact_GUC(true, level) };
    }
    if let Some(w) = watch {
        or_raise(capture::with_pinned_path(|| record(w, pstmt, query)));
    }
}

/// Is `pstmt` a statement event triggers fire for, about to run in a
/// transaction?
fn event_statement(pstmt: *mut pg_sys::PlannedStmt) -> bool {
    // SAFETY: pstmt is the statement about to run, only read
    unsafe {
        let tree = (*pstmt).utilityStmt;
        !tree.is_null()
            && pg_sys::IsTransactionState()
            && pg_sys::command_tag_event_trigger_ok(pg_sys::CreateCommandTag(tree))
    }
}

/// Does setting `name` read `value` now? (A setting this server does not
/// have, such as `event_triggers` before 17, reads nothing.)
fn setting_is(name: &CStr, value: &[u8]) -> bool {
    // SAFETY: GetConfigOption returns NULL for a missing setting, else a
    // string owned by the GUC machinery, read at once
    unsafe {
        let current = pg_sys::GetConfigOption(name.as_ptr(), true, false);
        !current.is_null() && CStr::from_ptr(current).to_bytes() == value
    }
}

/// `SET event_triggers = off` (PostgreSQL 17+, a superuser's setting)
/// would stop every event trigger, rls_audit's capture and freeze among
/// them, for the session. No session setting switches those off: in a
/// database where rls_audit is installed, a statement event triggers fire
/// for, run with it off, runs with it on, set for the statement alone (as
/// a function's SET clause is) and put back after it. Returns the GUC
/// nesting level to close, when it was set. (An event trigger's own
/// statements fire none anyway, so a broken trigger can still be dropped.)
fn event_triggers_back_on(pstmt: *mut pg_sys::PlannedStmt) -> Option<i32> {
    // only a statement event triggers fire for (never SET itself, whose
    // own change of the setting must outlive it)
    if !event_statement(pstmt) || !setting_is(c"event_triggers", b"off") || !tracking_here() {
        return None;
    }
    // SAFETY: a new GUC nesting level, the setting saved in it: closed by
    // `around` after the statement, or by the abort of the transaction
    unsafe {
        let level = pg_sys::NewGUCNestLevel();
        pg_sys::set_config_option(
            c"event_triggers".as_ptr(),
            c"on".as_ptr(),
            pg_sys::GucContext::PGC_SUSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
        Some(level)
    }
}

/// A statement event triggers fire for, while rls_audit's capture does
/// not fire ([`capture::capture_fires`]): its event triggers disabled
/// (`ALTER EVENT TRIGGER … DISABLE`, or a catalog edit), set to fire in
/// the other replication mode (`session_replication_role = replica`
/// against a plain `ENABLE`), dropped, or running a replaced function.
/// The change is then untracked — the SPEC's way, which
/// `untracked_changes()` lists — but it does not get past a freeze: run
/// while rls_audit is frozen and no ticket is set, the statement is
/// compared with the tracked state before and after; if it changed
/// anything capture records — a policy, a table's RLS flags, owner or
/// grants — it fails with the freeze's error (55000), as a captured
/// change would, and nothing it did stays. `DROP EXTENSION rls_audit` / `DROP
/// SCHEMA rls_audit` (whose guard is one of those triggers) is refused
/// before it runs. Returns the freeze reason and the untracked differences
/// before the statement.
fn capture_off_under_freeze(
    pstmt: *mut pg_sys::PlannedStmt,
) -> Result<Option<(String, Vec<crate::diff::DriftRow>)>> {
    if !event_statement(pstmt) || capture::capture_fires() || !tracking_here() {
        return Ok(None);
    }
    // frozen? read straight from the table (no SQL): this runs for every
    // DDL while capture is off
    let Some(reason) = capture::frozen_without_ticket_direct()? else {
        return Ok(None);
    };
    // SAFETY: the statement about to run, only read
    if capture::drops_rls_audit_tree(unsafe { (*pstmt).utilityStmt }) {
        return Err(capture::frozen_error(&reason));
    }
    Ok(Some((reason, untracked_now()?)))
}

/// What differs between the tracked state and the catalog now
/// (`untracked_changes()`), read under rls_audit's own search_path.
fn untracked_now() -> Result<Vec<crate::diff::DriftRow>> {
    capture::with_pinned_path(|| Spi::connect(capture::untracked_rows))
}

/// An error of rls_audit's own raised as PostgreSQL's ERROR, with its
/// SQLSTATE.
fn or_raise<T>(r: Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            pgrx::pg_sys::panic::ErrorReport::from(e).report(PgLogLevel::ERROR);
            unreachable!("an ERROR does not return")
        }
    }
}

/// Is rls_audit installed here, at a version that tracks roles, and not
/// running its own script?
fn tracking_here() -> bool {
    // SAFETY: catalog lookups that return InvalidOid when missing (the
    // cached ones first: a database without rls_audit stops there)
    unsafe {
        let nsp = pg_sys::get_namespace_oid(c"rls_audit".as_ptr(), true);
        nsp != pg_sys::InvalidOid
            && pg_sys::get_relname_relid(c"tracked_roles".as_ptr(), nsp) != pg_sys::InvalidOid
            && pg_sys::get_extension_oid(c"rls_audit".as_ptr(), true) != pg_sys::InvalidOid
            && !crate::schema::in_own_script()
    }
}

/// Before the statement runs: is it one that changes roles or owners, and
/// what do they look like now?
fn watch(pstmt: *mut pg_sys::PlannedStmt) -> Result<Option<Watch>> {
    use pg_sys::NodeTag as Tag;
    // SAFETY: pstmt is the statement PostgreSQL is about to run; its
    // utility tree is only read
    let watch = unsafe {
        let tree = (*pstmt).utilityStmt;
        if tree.is_null() || !pg_sys::IsTransactionState() {
            return Ok(None);
        }
        match (*tree).type_ {
            Tag::T_CreateRoleStmt
            | Tag::T_AlterRoleStmt
            | Tag::T_DropRoleStmt
            | Tag::T_GrantRoleStmt
            | Tag::T_DropOwnedStmt => 'r',
            Tag::T_RenameStmt
                if (*tree.cast::<pg_sys::RenameStmt>()).renameType
                    == pg_sys::ObjectType::OBJECT_ROLE =>
            {
                'r'
            }
            Tag::T_ReassignOwnedStmt => 'o',
            _ => return Ok(None),
        }
    };
    if !tracking_here() {
        return Ok(None);
    }
    Ok(Some(match watch {
        // read under rls_audit's own search_path (see `around`)
        'r' => Watch::Roles(capture::with_pinned_path(authz::role_state)?),
        _ => {
            // SAFETY: a ReassignOwnedStmt; its roles resolved as it will
            // resolve them (a missing one fails the statement itself)
            let old = unsafe {
                let stmt = (*pstmt).utilityStmt.cast::<pg_sys::ReassignOwnedStmt>();
                PgList::<pg_sys::RoleSpec>::from_pg((*stmt).roles)
                    .iter_ptr()
                    .filter(|r| !r.is_null())
                    .map(|r| pg_sys::get_rolespec_oid(r, true).to_u32())
                    .filter(|o| *o != 0)
                    .collect()
            };
            Watch::Reassign(old)
        }
    }))
}

/// After the statement ran: what it changed, as events.
fn record(
    w: Watch,
    pstmt: *mut pg_sys::PlannedStmt,
    query: *const core::ffi::c_char,
) -> Result<()> {
    // SAFETY: makes the statement's own catalog changes visible to what
    // follows, as between two statements
    unsafe { pg_sys::CommandCounterIncrement() };
    let ctx = capture::Ctx {
        current_user: capture::user_name(unsafe { pg_sys::GetUserId() }),
        command_tag: command_tag(pstmt),
        statement: statement(pstmt, query),
        sets_rls_flags: false,
        renames: false,
        changes_owner: false,
    };
    capture::as_owner(|| {
        Spi::connect_mut(|c| {
            crate::schema::require_current(c)?;
            let mut drafts = Vec::new();
            match &w {
                Watch::Roles(before) => authz::on_roles(c, before, &mut drafts)?,
                Watch::Reassign(old) => authz::on_reassign(c, old, &mut drafts)?,
            }
            capture::write_events(c, &ctx, drafts, true).map(|_| ())
        })
    })
}

fn command_tag(pstmt: *mut pg_sys::PlannedStmt) -> String {
    // SAFETY: the statement's utility tree; the tag name is a static string
    unsafe {
        let tag = pg_sys::CreateCommandTag((*pstmt).utilityStmt);
        core::ffi::CStr::from_ptr(pg_sys::GetCommandTagName(tag))
            .to_string_lossy()
            .into_owned()
    }
}

/// The statement as the client sent it (its own part of the query
/// string), unless it carries a password: then None, and each event gets
/// a statement rendered from the change (a password never reaches
/// history).
fn statement(pstmt: *mut pg_sys::PlannedStmt, query: *const core::ffi::c_char) -> Option<String> {
    // SAFETY: the statement's tree and the NUL-terminated query string
    // PostgreSQL keeps while it runs
    unsafe {
        if query.is_null() || has_password((*pstmt).utilityStmt) {
            return None;
        }
        let text = core::ffi::CStr::from_ptr(query).to_bytes();
        let start = usize::try_from((*pstmt).stmt_location)
            .unwrap_or(0)
            .min(text.len());
        let end = match usize::try_from((*pstmt).stmt_len) {
            Ok(0) | Err(_) => text.len(),
            Ok(n) => (start + n).min(text.len()),
        };
        let s = String::from_utf8_lossy(&text[start..end])
            .trim()
            .to_string();
        if s.is_empty() {
            return None;
        }
        Some(if s.ends_with(';') { s } else { s + ";" })
    }
}

/// Does a CREATE / ALTER ROLE carry a PASSWORD option?
unsafe fn has_password(tree: *mut pg_sys::Node) -> bool {
    // SAFETY: tree is a utility statement; the option lists are DefElems
    unsafe {
        let options = match (*tree).type_ {
            pg_sys::NodeTag::T_CreateRoleStmt => (*tree.cast::<pg_sys::CreateRoleStmt>()).options,
            pg_sys::NodeTag::T_AlterRoleStmt => (*tree.cast::<pg_sys::AlterRoleStmt>()).options,
            _ => return false,
        };
        PgList::<pg_sys::DefElem>::from_pg(options)
            .iter_ptr()
            .any(|d| {
                !d.is_null()
                    && !(*d).defname.is_null()
                    && core::ffi::CStr::from_ptr((*d).defname).to_bytes() == b"password"
            })
    }
}
