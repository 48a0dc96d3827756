//! The event log anchored outside the database.
//!
//! The hash chain proves that no event was edited, inserted or deleted in
//! the middle, but a superuser can rewrite a whole tail (edit an event and
//! recompute every later hash with the extension's own function) or delete
//! the newest events. What stops that is a copy of the chain the database
//! cannot reach: each committed event is also written to the server log as
//! one JSON line (`rls_audit.log_events`, on by default), and the newest
//! event's (id, hash) — [`head`] — can be stored anywhere.
//!
//! A line is written when the event's transaction commits, never before:
//! an event of a rolled-back DDL (or of a rolled-back subtransaction) never
//! existed and leaves no line, so every id in the log must be in the table.
//!
//! ```text
//! LOG:  rls_audit event: {"id":42,"hash":"…","prev_hash":"…","database":"shop","txid":918,
//!       "change":"policy_added","command_tag":"CREATE POLICY","object":"shop.orders.tenant",
//!       "schema_name":"shop","table_name":"orders","policy_name":"tenant","role_name":null,
//!       "session_user":"alice","current_user":"alice","ticket":null}
//! ```
//!
//! The key order is fixed (id, hash, prev_hash first), so a log shipper or
//! `scripts/verify-log-against-server-log.sh` can read the chain with a
//! regular expression.
use std::cell::RefCell;

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::error::{Result, RlsAuditError};

/// The stable prefix of every line (log shippers filter on it).
pub(crate) const LINE_PREFIX: &str = "rls_audit event: ";

/// `rls_audit.log_events`: write each committed event to the server log.
/// SIGHUP, not a session setting: turning it off takes the configuration
/// file and a reload, both of which the server log records.
static LOG_EVENTS: GucSetting<bool> = GucSetting::<bool>::new(true);

pub(crate) fn define_settings() {
    GucRegistry::define_bool_guc(
        c"rls_audit.log_events",
        c"Write each committed rls_audit event to the server log as one JSON line.",
        c"The lines anchor the event log's hash chain outside the database: compare them with \
          rls_audit.events (scripts/verify-log-against-server-log.sh) to find a rewritten or \
          truncated chain.",
        &LOG_EVENTS,
        GucContext::Sighup,
        GucFlags::default(),
    );
}

/// What one line says about its event.
pub(crate) struct Line<'a> {
    pub(crate) id: i64,
    pub(crate) hash: &'a str,
    pub(crate) prev_hash: Option<&'a str>,
    pub(crate) txid: i64,
    pub(crate) change: &'a str,
    pub(crate) command_tag: &'a str,
    pub(crate) schema_name: Option<&'a str>,
    pub(crate) table_name: Option<&'a str>,
    pub(crate) policy_name: Option<&'a str>,
    /// what the event is about, named as report() names it
    pub(crate) object: &'a str,
    pub(crate) role_name: Option<&'a str>,
    pub(crate) session_user: &'a str,
    pub(crate) current_user: &'a str,
    pub(crate) ticket: Option<&'a str>,
}

impl Line<'_> {
    /// The JSON object, keys in their fixed order.
    pub(crate) fn render(&self, database: &str) -> String {
        use serde_json::to_string as js;
        let s = |v: &str| js(v).unwrap_or_else(|_| "null".into());
        let o = |v: Option<&str>| v.map(s).unwrap_or_else(|| "null".into());
        format!(
            "{{\"id\":{},\"hash\":{},\"prev_hash\":{},\"database\":{},\"txid\":{},\"change\":{},\
             \"command_tag\":{},\"object\":{},\"schema_name\":{},\"table_name\":{},\"policy_name\":{},\
             \"role_name\":{},\"session_user\":{},\"current_user\":{},\"ticket\":{}}}",
            self.id,
            s(self.hash),
            o(self.prev_hash),
            s(database),
            self.txid,
            s(self.change),
            s(self.command_tag),
            s(self.object),
            o(self.schema_name),
            o(self.table_name),
            o(self.policy_name),
            o(self.role_name),
            s(self.session_user),
            s(self.current_user),
            o(self.ticket),
        )
    }
}

thread_local! {
    /// Lines of events written by the current transaction, each with the
    /// subtransaction that wrote it; written out at commit.
    static PENDING: RefCell<Vec<(pg_sys::SubTransactionId, String)>> = const { RefCell::new(Vec::new()) };
    static REGISTERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Keep the line of an event just written; it reaches the server log when
/// (and only if) the transaction commits.
pub(crate) fn note(line: &Line<'_>) {
    if !LOG_EVENTS.get() {
        return;
    }
    register_callbacks();
    // SAFETY: a plain read of the backend's transaction state
    let sub = unsafe { pg_sys::GetCurrentSubTransactionId() };
    let text = DATABASE.with(|d| line.render(d.get_or_init(database_name)));
    PENDING.with(|p| p.borrow_mut().push((sub, text)));
}

thread_local! {
    /// This backend's database's name (a database connected to cannot be
    /// renamed, so it is read once).
    static DATABASE: std::cell::OnceCell<String> = const { std::cell::OnceCell::new() };
}

fn database_name() -> String {
    // SAFETY: a syscache lookup of the backend's own database; NULL when
    // it is gone (it cannot be while connected)
    unsafe {
        let db = pg_sys::get_database_name(pg_sys::MyDatabaseId);
        if db.is_null() {
            String::new()
        } else {
            core::ffi::CStr::from_ptr(db).to_string_lossy().into_owned()
        }
    }
}

fn register_callbacks() {
    if REGISTERED.with(|r| r.replace(true)) {
        return;
    }
    // SAFETY: registered once per backend, for its whole life
    unsafe {
        pg_sys::RegisterXactCallback(Some(on_xact), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(on_subxact), std::ptr::null_mut());
    }
}

/// At commit (or PREPARE TRANSACTION, after which the events normally
/// commit elsewhere) the lines are written; at abort they are dropped.
/// Nothing here may raise an ERROR: after commit that would be a PANIC.
#[pg_guard]
unsafe extern "C-unwind" fn on_xact(event: pg_sys::XactEvent::Type, _arg: *mut core::ffi::c_void) {
    use pg_sys::XactEvent::*;
    match event {
        XACT_EVENT_COMMIT | XACT_EVENT_PREPARE => {
            let lines = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
            for (_, text) in lines {
                pgrx::pg_sys::panic::ErrorReport::new(
                    PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION,
                    format!("{LINE_PREFIX}{text}"),
                    "rls_audit",
                )
                .report(PgLogLevel::LOG_SERVER_ONLY);
            }
        }
        XACT_EVENT_ABORT | XACT_EVENT_PARALLEL_ABORT => {
            PENDING.with(|p| p.borrow_mut().clear());
        }
        _ => {}
    }
}

/// A rolled-back subtransaction takes its events (and those of every
/// subtransaction begun inside it, which have larger ids) with it.
#[pg_guard]
unsafe extern "C-unwind" fn on_subxact(
    event: pg_sys::SubXactEvent::Type,
    my_subid: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut core::ffi::c_void,
) {
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB {
        PENDING.with(|p| p.borrow_mut().retain(|(sub, _)| *sub < my_subid));
    }
}

/// The newest event's id and hash: the head to keep outside the database.
pub(crate) fn head(c: &SpiClient<'_>) -> Result<Option<(i64, String)>> {
    let row = c
        .select(
            "SELECT id, hash FROM rls_audit.events ORDER BY id DESC LIMIT 1",
            Some(1),
            &[],
        )?
        .first();
    if row.is_empty() {
        return Ok(None);
    }
    Ok(match (row.get::<i64>(1)?, row.get::<String>(2)?) {
        (Some(id), Some(hash)) => Some((id, hash)),
        _ => None,
    })
}

/// A head as a DBA stores it: the hash alone, or `id:hash` (the form
/// `check_drift()`, `report()` and `log_head()` give).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ExpectedHead {
    pub(crate) id: Option<i64>,
    pub(crate) hash: String,
}

impl std::str::FromStr for ExpectedHead {
    type Err = RlsAuditError;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            RlsAuditError::InvalidParameter(format!(
                "expected head {s:?} is neither a 64-digit hex hash nor id:hash \
                 (SELECT id || ':' || hash FROM rls_audit.log_head() gives one)"
            ))
        };
        let t = s.trim();
        let (id, hash) = match t.split_once(':') {
            Some((id, hash)) => (
                Some(id.trim().parse::<i64>().map_err(|_| bad())?),
                hash.trim(),
            ),
            None => (None, t),
        };
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        if id.is_some_and(|i| i <= 0) {
            return Err(bad());
        }
        Ok(ExpectedHead {
            id,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// Does the chain still reach `expected`? None when it does (an event has
/// that hash, at that id when one is given); else (the first event id
/// that cannot be trusted, when it can be named; the problem). A hash
/// given alone takes its id from the drift run that recorded it, if any.
pub(crate) fn check_head(
    c: &SpiClient<'_>,
    expected: &ExpectedHead,
) -> Result<Option<(Option<i64>, String)>> {
    let found = c
        .select(
            "SELECT (SELECT id FROM rls_audit.events WHERE hash = $1 ORDER BY id LIMIT 1)",
            Some(1),
            &[expected.hash.as_str().into()],
        )?
        .first()
        .get_one::<i64>()?;
    let newest = head(c)?.map(|(id, _)| id);
    let short = &expected.hash[..16];
    // a hash alone: its id is known if a drift run recorded it as its head
    let id = match (found, expected.id) {
        (None, None) => c
            .select(
                "SELECT (SELECT head_id FROM rls_audit.drift_runs WHERE head_hash = $1 ORDER BY id LIMIT 1)",
                Some(1),
                &[expected.hash.as_str().into()],
            )?
            .first()
            .get_one::<i64>()?,
        (_, id) => id,
    };
    Ok(match (found, id) {
        (Some(f), Some(id)) if f == id => None,
        (Some(_), None) => None,
        (Some(f), Some(id)) => Some((
            Some(f.min(id)),
            format!(
                "the expected head's hash {short}… is event {f}'s, not event {id}'s: ids were changed"
            ),
        )),
        (None, Some(id)) if newest.is_none_or(|n| n < id) => {
            let first_gone = newest.map_or(1, |n| n + 1).min(id);
            Some((
                Some(first_gone),
                match newest {
                    Some(n) => format!(
                        "the chain ends at event {n}, before the expected head {id} ({short}…): \
                         events from {first_gone} on were deleted"
                    ),
                    None => format!(
                        "the event log is empty, but the expected head is event {id} ({short}…): \
                         every event was deleted"
                    ),
                },
            ))
        }
        (None, Some(id)) => Some((
            Some(id),
            format!(
                "event {id} is not the expected head ({short}…): the chain was rewritten at or \
                 before it (the server log's lines name the first rewritten event)"
            ),
        )),
        (None, None) => Some((
            None,
            format!(
                "no event has the expected head's hash {short}…: the chain was rewritten or \
                 truncated (give id:hash, or a head a drift run recorded, to have the first \
                 missing id named)"
            ),
        )),
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn a_head_is_a_hash_or_id_and_hash() {
        let h = "A".repeat(64);
        assert_eq!(
            h.parse::<ExpectedHead>().unwrap(),
            ExpectedHead {
                id: None,
                hash: "a".repeat(64)
            }
        );
        assert_eq!(
            format!(" 42 : {h} ").parse::<ExpectedHead>().unwrap().id,
            Some(42)
        );
        for bad in [
            "",
            "abc",
            "42:abc",
            &format!("x:{h}"),
            &format!("0:{h}"),
            &"g".repeat(64),
        ] {
            assert!(bad.parse::<ExpectedHead>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lines_keep_their_key_order_and_escape_names() {
        let line = Line {
            id: 7,
            hash: "h",
            prev_hash: None,
            txid: 9,
            change: "policy_added",
            command_tag: "CREATE POLICY",
            schema_name: Some("s\"q"),
            table_name: Some("t"),
            policy_name: None,
            object: "s\"q.t",
            role_name: None,
            session_user: "u",
            current_user: "u",
            ticket: Some("CHG-1"),
        }
        .render("d b");
        assert!(
            line.starts_with(r#"{"id":7,"hash":"h","prev_hash":null,"database":"d b","txid":9,"#)
        );
        assert!(line.contains(r#""schema_name":"s\"q""#));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["ticket"], "CHG-1");
    }
}
