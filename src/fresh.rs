//! Probes in a backend of its own, where the tenant setting, or the
//! settings the application sets per request, have never been defined.
//!
//! `fail_closed_unset` asks what a fresh login of the role sees without
//! setting the tenant. PostgreSQL cannot undefine a custom setting in a
//! session that has used it (a probe of an earlier `verify_isolation()`
//! call did, or the application's own code): there `current_setting(s,
//! true)` reads `''`, never NULL again, and a policy that opens every row
//! when the setting is NULL (`current_setting(s, true) IS NULL OR …`)
//! would read as closed. So in such a session the unset probes run in a
//! dynamic background worker: a new backend of this database, which reads
//! the same committed rows, runs the same probes the same way
//! (`isolation::run_batch`: `rls_audit._probe` as the role with the same
//! settings, batched per statement) and hands the outcomes back through a
//! dynamic shared memory segment. One worker serves all of a call's unset
//! probes. The same holds for the settings an application sets per
//! request (`app.user_id`): the reads of a context run again in a worker
//! where they are undefined ([`run_batch`]), and so does the write probe
//! of a table whose policies call a function that reads one
//! ([`run_writes`]: such a function reads `''` in this session, and its
//! body cannot be read as a new session reads it, as the policies can).
//!
//! The worker is used only when it sees what the caller sees: the caller's
//! transaction has written nothing but earlier calls' rolled-back probes
//! (else its rows, or a table it created, would be missing there; see
//! [`clean`]), a worker slot is free, and the setting is
//! undefined in the worker too (a default of the role the worker connects
//! as could define it). Otherwise [`run_batch`] says None and the caller
//! probes in its own session with `''`, saying so in the check's detail.

use pgrx::bgworkers::{
    BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, SignalWakeFlags,
};
use pgrx::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, RlsAuditError};

thread_local! {
    /// The transaction and command counter a `verify_isolation()` call left
    /// behind, when everything the transaction had written by then was its
    /// own probes' (always rolled back).
    static OURS: std::cell::Cell<Option<(pg_sys::TransactionId, pg_sys::CommandId)>> =
        const { std::cell::Cell::new(None) };
}

/// Does a new backend see what this transaction sees? When the
/// transaction has written nothing, or only what earlier
/// `verify_isolation()` calls' probes wrote and rolled back (their write
/// probes give it a transaction ID): the statement that held the call
/// ended then, and no statement since has written anything (each would
/// have moved the command counter once more).
pub(crate) fn clean() -> bool {
    // SAFETY: reads this backend's transaction state
    let (xid, cid) = unsafe {
        (
            pg_sys::GetTopTransactionIdIfAny(),
            pg_sys::GetCurrentCommandId(false),
        )
    };
    if xid == pg_sys::InvalidTransactionId {
        return true;
    }
    OURS.with(|o| {
        o.get()
            .is_some_and(|(x, c)| x == xid && (cid == c || cid == c.wrapping_add(1)))
    })
}

/// At the end of a `verify_isolation()` call: remember the state it
/// leaves when the transaction was [`clean`] at its start. The command
/// counter is marked used, so the end of the statement that holds the
/// call moves it once and a statement that writes after it moves it
/// again.
pub(crate) fn leave(was_clean: bool) {
    // SAFETY: reads this backend's transaction state; marking the command
    // ID used is what any write does
    let state = unsafe {
        let xid = pg_sys::GetTopTransactionIdIfAny();
        (xid != pg_sys::InvalidTransactionId).then(|| (xid, pg_sys::GetCurrentCommandId(true)))
    };
    OURS.with(|o| o.set(if was_clean { state } else { None }));
    CALL_CLEAN.with(|c| c.set(false));
}

/// What the caller asks: the settings that must be undefined in the
/// worker, and the probes to run there.
#[derive(Serialize, Deserialize)]
struct Request {
    /// settings that must be undefined in the worker
    undefined: Vec<String>,
    work: Work,
}

/// The probes a worker runs.
#[derive(Serialize, Deserialize)]
enum Work {
    /// the read probes of one context (see `isolation::run_batch`)
    Reads {
        role: String,
        settings: Vec<(String, Option<String>)>,
        parts: Vec<crate::isolation::Part>,
    },
    /// one write probe call (`isolation::WriteCall`)
    Writes(Box<crate::isolation::WriteCall>),
}

/// What the worker answers.
#[derive(Serialize, Deserialize)]
enum Response {
    /// a setting is defined in the worker's session too
    Defined,
    /// each read probe's outcome, as `isolation::run_batch` gives them
    Ran(Vec<crate::verdict::Outcome>),
    /// the write probe's rows
    Wrote(Vec<crate::isolation::WriteRow>),
}

/// The segment's layout: this header, the request, then room for the
/// response.
#[repr(C)]
struct Header {
    request_len: u32,
    response_cap: u32,
    response_len: u32,
    /// 1 once the response is written
    done: u32,
}

/// Room for the response: a batch of read probes answers a few numbers
/// per table.
const RESPONSE_CAP: usize = 1 << 20;

/// Run the read probes of one context (`isolation::run_batch` as `role`
/// with `settings`, the settings `undefined` undefined: the tenant's, or
/// those the application sets per request) in one new backend. None: they
/// could not run there as the caller's session would see them (see the
/// module comment).
pub(crate) fn run_batch(
    undefined: &[String],
    role: &str,
    settings: &crate::isolation::Settings,
    parts: &[crate::isolation::Part],
) -> Result<Option<Vec<crate::verdict::Outcome>>> {
    let work = Work::Reads {
        role: role.to_string(),
        settings: settings.clone(),
        parts: parts.to_vec(),
    };
    Ok(match in_new_backend(undefined, work)? {
        Some(Response::Ran(outcomes)) if outcomes.len() == parts.len() => Some(outcomes),
        _ => None,
    })
}

/// Run one write probe call in one new backend, the settings `undefined`
/// undefined there: what a new session's statements write where nothing
/// set them, also inside the functions the policies call (which read
/// them as `''` in this session once anything set them). None as for
/// [`run_batch`].
pub(crate) fn run_writes(
    undefined: &[String],
    call: &crate::isolation::WriteCall,
) -> Result<Option<Vec<crate::isolation::WriteRow>>> {
    Ok(
        match in_new_backend(undefined, Work::Writes(Box::new(call.clone())))? {
            Some(Response::Wrote(rows)) => Some(rows),
            _ => None,
        },
    )
}

thread_local! {
    /// Whether a `verify_isolation()` call that is under way started
    /// [`clean`]: then what the transaction wrote since is only its own
    /// probes', rolled back, and a new backend still sees what it sees.
    static CALL_CLEAN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// At the start of a `verify_isolation()` call: whether it is [`clean`],
/// kept for its probes ([`in_new_backend`]) until [`leave`].
pub(crate) fn enter() -> bool {
    let was_clean = clean();
    CALL_CLEAN.with(|c| c.set(was_clean));
    was_clean
}

/// The worker round trip of [`run_batch`] and [`run_writes`].
fn in_new_backend(undefined: &[String], work: Work) -> Result<Option<Response>> {
    if !(CALL_CLEAN.with(|c| c.get()) || clean()) {
        return Ok(None);
    }
    let request = serde_json::to_vec(&Request {
        undefined: undefined.to_vec(),
        work,
    })
    .map_err(|e| RlsAuditError::Internal(format!("fresh-backend probe request: {e}")))?;
    let header = std::mem::size_of::<Header>();
    let size = header + request.len() + RESPONSE_CAP;
    // SAFETY: a new segment of `size` bytes (NULL when the server has no
    // segment left), mapped until this transaction's resource owner
    // releases it or dsm_detach below; the header and request are written
    // before the worker is started
    let segment =
        unsafe { pg_sys::dsm_create(size, pg_sys::DSM_CREATE_NULL_IF_MAXSEGMENTS as i32) };
    if segment.is_null() {
        return Ok(None);
    }
    // SAFETY: as above
    let base = unsafe {
        let base = pg_sys::dsm_segment_address(segment) as *mut u8;
        base.cast::<Header>().write(Header {
            request_len: request.len() as u32,
            response_cap: RESPONSE_CAP as u32,
            response_len: 0,
            done: 0,
        });
        std::ptr::copy_nonoverlapping(request.as_ptr(), base.add(header), request.len());
        base
    };
    // SAFETY: the segment's handle, and this database's OID
    let (handle, database) = unsafe { (pg_sys::dsm_segment_handle(segment), pg_sys::MyDatabaseId) };
    let started = BackgroundWorkerBuilder::new("rls_audit fresh-login probe")
        .set_type("rls_audit probe")
        .set_library("rls_audit")
        .set_function("rls_audit_fresh_probe_main")
        .set_argument(Some(pg_sys::Datum::from(handle as usize)))
        .set_extra(&database.to_u32().to_string())
        .enable_spi_access()
        .set_start_time(BgWorkerStartTime::ConsistentState)
        .set_restart_time(None)
        // SAFETY: this backend's PID, to be told when the worker exits
        .set_notify_pid(unsafe { pg_sys::MyProcPid })
        .load_dynamic();
    // waits for the worker's exit; a cancel here is an ERROR as usual (the
    // worker then finishes its bounded probe on its own)
    let exited = started.is_ok_and(|worker| worker.wait_for_shutdown().is_ok());
    // SAFETY: the worker has exited: what it wrote is complete
    let answer = exited
        .then(|| unsafe {
            let h = std::ptr::read_volatile(base.cast::<Header>());
            (h.done == 1 && h.response_len <= h.response_cap).then(|| {
                let at = base.add(header + h.request_len as usize);
                std::slice::from_raw_parts(at, h.response_len as usize)
            })
        })
        .flatten()
        .and_then(|bytes| serde_json::from_slice::<Response>(bytes).ok());
    // SAFETY: mapped above, no longer read
    unsafe { pg_sys::dsm_detach(segment) };
    Ok(answer)
}

/// The worker: connect to the caller's database as the bootstrap
/// superuser, check that the settings are undefined, run the probe, write
/// the answer into the segment and exit. Anything that goes wrong leaves
/// `done` at 0, and the caller probes in its own session instead.
#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn rls_audit_fresh_probe_main(arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGTERM);
    let Ok(database) = BackgroundWorker::get_extra().parse::<u32>() else {
        return;
    };
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(pg_sys::Oid::from(database)), None);
    let handle = arg.value() as pg_sys::dsm_handle;
    // SAFETY: the caller's segment, mapped for this process until the
    // dsm_detach below (pinned: no resource owner releases it, whatever
    // transaction runs in between)
    let segment = unsafe { pg_sys::dsm_attach(handle) };
    if segment.is_null() {
        return;
    }
    // SAFETY: attached just above
    unsafe { pg_sys::dsm_pin_mapping(segment) };
    let header = std::mem::size_of::<Header>();
    // SAFETY: the caller wrote the header and request before starting us
    let (base, h) = unsafe {
        let base = pg_sys::dsm_segment_address(segment) as *mut u8;
        (base, std::ptr::read_volatile(base.cast::<Header>()))
    };
    // SAFETY: request_len bytes follow the header
    let request =
        unsafe { std::slice::from_raw_parts(base.add(header), h.request_len as usize).to_vec() };
    let response = serde_json::from_slice::<Request>(&request)
        .ok()
        .and_then(|r| BackgroundWorker::transaction(move || answer(&r).ok()));
    if let Some(bytes) = response.and_then(|r| serde_json::to_vec(&r).ok()) {
        if bytes.len() <= h.response_cap as usize {
            // SAFETY: response_cap bytes follow the request; done is set
            // after the response is written
            unsafe {
                let at = base.add(header + h.request_len as usize);
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), at, bytes.len());
                let mut done = h;
                done.response_len = bytes.len() as u32;
                done.done = 1;
                std::ptr::write_volatile(base.cast::<Header>(), done);
            }
        }
    }
    // SAFETY: attached above
    unsafe { pg_sys::dsm_detach(segment) };
}

/// The worker's probes, inside its transaction.
fn answer(r: &Request) -> Result<Response> {
    Spi::connect(|c| {
        let defined = c
            .select(
                "SELECT pg_catalog.bool_or(pg_catalog.current_setting(s, true) IS NOT NULL)
                   FROM pg_catalog.unnest($1::pg_catalog.text[]) s",
                Some(1),
                &[r.undefined.clone().into()],
            )?
            .first()
            .get_one::<bool>()?
            .unwrap_or(true);
        if defined {
            return Ok(Response::Defined);
        }
        match &r.work {
            Work::Reads {
                role,
                settings,
                parts,
            } => crate::isolation::run_batch(c, Some(role), settings, parts).map(Response::Ran),
            Work::Writes(call) => call.run(c).map(Response::Wrote),
        }
    })
}
