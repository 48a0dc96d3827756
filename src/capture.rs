//! Change history: event-trigger capture, the tracked state, the
//! tamper-evident event log and the change freeze.
//!
//! The tracked state (tracked_policies, tracked_tables) is what rls_audit
//! last saw of every policy and every RLS-relevant table (RLS enabled, or
//! with policies). The event triggers fire for every DDL, whatever its tag:
//! at `ddl_command_end` the objects a DDL touched, and every policy that
//! depends on them, are compared with their tracked rows; at `sql_drop` the
//! policies and tables it removed are. The tracked row is the `before` (so a
//! dropped policy's definition never has to be read while it is being
//! dropped), the catalog row the `after`, and the difference is the event.
//! Only touched objects are read, so a capture costs the same at 10 or
//! 10 000 policies.
//!
//! Within one database objects are followed by OID (see
//! [`crate::identity`]): a rename is one `renamed` event, and a policy is
//! changed only when what PostgreSQL stores changed (its expression trees,
//! role OIDs, command or kind), not when a column, function, type or role
//! it references was renamed. Where OIDs changed (a pg_dump restored into
//! another database) names are the key, and an object recreated exactly as
//! tracked is adopted silently: a restore records nothing.
use std::collections::BTreeSet;

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::PgList;
use serde_json::{json, Value};

use crate::authz::Scope;
use crate::catalog;
use crate::diff::{self, DriftRow};
use crate::error::{Result, RlsAuditError};
use crate::heap;
use crate::model::{Change, Identity, Policy, PolicyId, State, Table, TrackedPolicy, TrackedTable};
use crate::prepared;
use crate::render;

/// Serialises appends to the hash chain (ASCII 'rls_' 'chai').
const CHAIN_LOCK_KEY: i64 = 0x726c_735f_6368_6169;

/// Take the chain's lock (until the transaction ends). Whoever also takes
/// the snapshot lock takes this one first (`snapshot::lock_snapshots`),
/// so the two are always taken in one order.
pub(crate) fn lock_chain() {
    crate::snapshot::advisory_xact_lock(CHAIN_LOCK_KEY);
}

/// Who and what a batch of events is about.
pub(crate) struct Ctx {
    pub(crate) current_user: String,
    pub(crate) command_tag: String,
    /// the statement that made the change, when it could be singled out of
    /// the client's query string (else each event gets a rendered one)
    pub(crate) statement: Option<String>,
    /// the DDL is an ALTER TABLE with an ENABLE/DISABLE/FORCE/NO FORCE ROW
    /// LEVEL SECURITY subcommand: only such a DDL changes RLS flags, so only
    /// it may record (or adopt) a flag change
    pub(crate) sets_rls_flags: bool,
    /// the DDL renames or moves something (RENAME, SET SCHEMA, an enum
    /// value): only then can the text of a policy that depends on it change
    pub(crate) renames: bool,
    /// the DDL is an ALTER TABLE … OWNER TO: only it changes a table's
    /// tracked owner (REASSIGN OWNED has no event trigger: crate::hook)
    pub(crate) changes_owner: bool,
}

/// An event before it is written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Draft {
    pub(crate) change: Change,
    pub(crate) schema_name: Option<String>,
    pub(crate) table_name: Option<String>,
    pub(crate) policy_name: Option<String>,
    pub(crate) before: Option<Value>,
    pub(crate) after: Option<Value>,
}

fn policy_json(p: &Policy) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

fn table_json(t: &TrackedTable) -> Value {
    json!({
        "schema_name": t.schema_name, "table_name": t.table_name,
        "rls_enabled": t.rls_enabled, "rls_forced": t.rls_forced,
    })
}

/// Columns of a tracked_policies row, in `catalog::decode_tracked_policy`'s order.
macro_rules! tracked_policy_cols {
    () => {
        "policy_oid, table_oid, db_ident, tree, role_oids::pg_catalog.int8[], \
         schema_name::text, table_name::text, policy_name::text, permissive, command, roles::text[], \
         using_expr, check_expr"
    };
}

/// Columns of a tracked_tables row, in `catalog::decode_tracked_table`'s order.
macro_rules! tracked_table_cols {
    () => {
        "table_oid, schema_oid, db_ident, schema_name::text, table_name::text, rls_enabled, rls_forced"
    };
}

fn oid_of(o: u32) -> pg_sys::Oid {
    pg_sys::Oid::from(o)
}

/// The tracked row of a policy becomes `new`: the row `old` (matched by
/// its names) is updated in place, or a row is added.
fn upsert_policy(
    c: &mut SpiClient<'_>,
    old: Option<&TrackedPolicy>,
    new: &TrackedPolicy,
) -> Result<()> {
    let mut row = Vec::with_capacity(TRACKED_POLICY_COLUMNS.len());
    row.extend(heap::policy_columns(&new.policy)?);
    row.extend([
        (
            "policy_oid",
            Some(pg_sys::Datum::from(oid_of(new.policy_oid))),
        ),
        (
            "table_oid",
            Some(pg_sys::Datum::from(oid_of(new.table_oid))),
        ),
        ("db_ident", new.db_ident.clone().into_datum()),
        ("tree", new.tree.as_str().into_datum()),
        ("role_oids", Some(heap::oids_datum(&new.role_oids))),
    ]);
    heap::put(
        c,
        c"tracked_policies",
        &TRACKED_POLICY_COLUMNS,
        &POLICY_KEY,
        old.map(policy_key).as_ref().map(|k| &k[..]),
        Some(&row),
    )
    .map(|_| ())
}

/// The key of a tracked policy row: its names.
const POLICY_KEY: [&str; 3] = ["schema_name", "table_name", "policy_name"];

fn policy_key(o: &TrackedPolicy) -> [&str; 3] {
    [
        &o.policy.schema_name,
        &o.policy.table_name,
        &o.policy.policy_name,
    ]
}

/// The key of a tracked table row: its names.
const TABLE_KEY: [&str; 2] = ["schema_name", "table_name"];

fn table_key(t: &TrackedTable) -> [&str; 2] {
    [&t.schema_name, &t.table_name]
}

/// The columns capture writes into rls_audit.tracked_policies.
const TRACKED_POLICY_COLUMNS: [&str; 13] =
    heap::policy_table_columns(["policy_oid", "table_oid", "db_ident", "tree", "role_oids"]);

/// The columns capture writes into rls_audit.tracked_tables (the owner and
/// grants through crate::authz).
pub(crate) const TRACKED_TABLE_COLUMNS: [&str; 10] = [
    "table_oid",
    "schema_oid",
    "schema_name",
    "table_name",
    "rls_enabled",
    "rls_forced",
    "db_ident",
    "owner",
    "owner_oid",
    "grants",
];

fn delete_policy(c: &mut SpiClient<'_>, o: &TrackedPolicy) -> Result<()> {
    heap::put(
        c,
        c"tracked_policies",
        &TRACKED_POLICY_COLUMNS,
        &POLICY_KEY,
        Some(&policy_key(o)),
        None,
    )
    .map(|_| ())
}

fn delete_table(c: &mut SpiClient<'_>, t: &TrackedTable) -> Result<()> {
    heap::put(
        c,
        c"tracked_tables",
        &TRACKED_TABLE_COLUMNS,
        &TABLE_KEY,
        Some(&table_key(t)),
        None,
    )
    .map(|_| ())
}

/// The tracked row of a table becomes `new`: the row `old` (matched by its
/// names) is updated in place (its owner and grants kept), or a row is
/// added, with the table's owner and grants as they are.
fn upsert_table(
    c: &mut SpiClient<'_>,
    old: Option<&TrackedTable>,
    new: &TrackedTable,
) -> Result<()> {
    let row = [
        (
            "table_oid",
            Some(pg_sys::Datum::from(oid_of(new.table_oid))),
        ),
        (
            "schema_oid",
            Some(pg_sys::Datum::from(oid_of(new.schema_oid))),
        ),
        ("schema_name", Some(heap::name_datum(&new.schema_name)?)),
        ("table_name", Some(heap::name_datum(&new.table_name)?)),
        ("rls_enabled", new.rls_enabled.into_datum()),
        ("rls_forced", new.rls_forced.into_datum()),
        ("db_ident", new.db_ident.clone().into_datum()),
    ];
    let put = heap::put(
        c,
        c"tracked_tables",
        &TRACKED_TABLE_COLUMNS,
        &TABLE_KEY,
        old.map(table_key).as_ref().map(|k| &k[..]),
        Some(&row),
    )?;
    if put == heap::Put::Added {
        seed_access(c, new)?;
    }
    Ok(())
}

/// A table tracked from now on starts with its owner and grants as they
/// are (they are no RLS event by themselves; later changes are).
fn seed_access(c: &mut SpiClient<'_>, t: &TrackedTable) -> Result<()> {
    match crate::authz::live_table_access(t.table_oid) {
        Some(access) => crate::authz::put_table_access(c, &t.schema_name, &t.table_name, &access),
        None => Ok(()),
    }
}

fn policy_draft(change: Change, before: Option<&Policy>, after: Option<&Policy>) -> Draft {
    let p = after.or(before);
    Draft {
        change,
        schema_name: p.map(|p| p.schema_name.clone()),
        table_name: p.map(|p| p.table_name.clone()),
        policy_name: p.map(|p| p.policy_name.clone()),
        before: before.map(policy_json),
        after: after.map(policy_json),
    }
}

/// A policy a DDL created, altered, or changed through something it
/// references.
fn on_policy(c: &mut SpiClient<'_>, oid: pg_sys::Oid, out: &mut Vec<Draft>) -> Result<()> {
    let catalog::Pair { live, tracked: old } = catalog::capture_policy(oid)?;
    let Some(live) = live else {
        return Ok(());
    };
    let p = &live.policy;
    match &old {
        None => out.push(policy_draft(Change::PolicyAdded, None, Some(p))),
        Some(o) if o.is_object(&live) => {
            // its table's rename was an event of its own; the policy's own
            // name is the policy's rename
            if o.policy.policy_name != p.policy_name {
                let mut before = o.policy.clone();
                before.schema_name = p.schema_name.clone();
                before.table_name = p.table_name.clone();
                let mut after = before.clone();
                after.policy_name = p.policy_name.clone();
                out.push(policy_draft(Change::Renamed, Some(&before), Some(&after)));
            }
            if !o.same_definition(&live) {
                let mut before = o.policy.clone();
                before.schema_name = p.schema_name.clone();
                before.table_name = p.table_name.clone();
                before.policy_name = p.policy_name.clone();
                out.push(policy_draft(Change::PolicyChanged, Some(&before), Some(p)));
            }
        }
        // matched by name only: the object was recreated (a restore, or a
        // change made while capture was off); equal definitions are adopted
        Some(o) => {
            if !o.same_definition(&live) {
                out.push(policy_draft(
                    Change::PolicyChanged,
                    Some(&o.policy),
                    Some(p),
                ));
            }
        }
    }
    // the tracked row follows the live one: new text after a referenced
    // object's rename, the OIDs of a restored policy
    if old.as_ref() != Some(&live) {
        upsert_policy(c, old.as_ref(), &live)?;
    }
    // the policy's table is tracked from now on (it has policies)
    if let (Some((t, _)), tt) = catalog::capture_table(oid_of(live.table_oid))? {
        match tt {
            None => upsert_table(c, None, &t)?,
            Some(o)
                if (o.table_oid != t.table_oid || o.db_ident != t.db_ident)
                    && o.rls_enabled == t.rls_enabled
                    && o.rls_forced == t.rls_forced =>
            {
                upsert_table(c, Some(&o), &t)?
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// A table a DDL altered: its names always, its RLS flags when the DDL set
/// them. Any other ALTER TABLE (ADD CONSTRAINT, RENAME COLUMN) leaves the
/// tracked flags alone: a flag that differs then was changed while capture
/// was off (untracked_changes() shows it), or, during a restore, the table
/// is not yet enabled.
/// One piece: the rename, the flag change and the tracked row's update read and write the
/// same before/after pair, in that order.
fn on_table(
    c: &mut SpiClient<'_>,
    oid: pg_sys::Oid,
    sets_flags: bool,
    out: &mut Vec<Draft>,
) -> Result<()> {
    // indexes, sequences, views, composite types: never RLS-relevant, and
    // known from the relation cache without a statement (CREATE INDEX)
    // SAFETY: a syscache lookup; '\0' when there is no such relation
    let kind = unsafe { pg_sys::get_rel_relkind(oid) } as u8;
    if kind != b'r' && kind != b'p' {
        return Ok(());
    }
    let (Some((live, has_policies)), old) = catalog::capture_table(oid)? else {
        return Ok(());
    };
    if !sets_flags {
        let Some(o) = old else {
            return Ok(());
        };
        let same_object = o.table_oid == live.table_oid && o.db_ident == live.db_ident;
        let follows = TrackedTable {
            rls_enabled: o.rls_enabled,
            rls_forced: o.rls_forced,
            ..live.clone()
        };
        if same_object && (o.schema_name != live.schema_name || o.table_name != live.table_name) {
            out.push(Draft {
                change: Change::Renamed,
                schema_name: Some(live.schema_name.clone()),
                table_name: Some(live.table_name.clone()),
                policy_name: None,
                before: Some(table_json(&o)),
                after: Some(table_json(&follows)),
            });
            rename_tracked_policies(c, &o, &live)?;
            upsert_table(c, Some(&o), &follows)?;
        } else if !same_object
            && o.rls_enabled == live.rls_enabled
            && o.rls_forced == live.rls_forced
        {
            // recreated as tracked (a restore): adopt its OIDs
            upsert_table(c, Some(&o), &live)?;
        }
        return Ok(());
    }
    // RLS-relevant: enabled, or with policies. FORCE alone does nothing
    // while RLS is off (and pg_dump sets it before the history is
    // restored), so it is recorded with the ENABLE that makes it matter.
    let relevant = live.rls_enabled || has_policies;
    if old.is_none() && !relevant {
        return Ok(());
    }
    let base = old.clone().unwrap_or(TrackedTable {
        rls_enabled: false,
        ..live.clone()
    });
    let renamed = old.as_ref().is_some_and(|o| {
        o.table_oid == live.table_oid
            && o.db_ident == live.db_ident
            && (o.schema_name != live.schema_name || o.table_name != live.table_name)
    });
    if renamed {
        out.push(Draft {
            change: Change::Renamed,
            schema_name: Some(live.schema_name.clone()),
            table_name: Some(live.table_name.clone()),
            policy_name: None,
            before: Some(table_json(&base)),
            after: Some(table_json(&TrackedTable {
                rls_enabled: base.rls_enabled,
                rls_forced: base.rls_forced,
                ..live.clone()
            })),
        });
        rename_tracked_policies(c, &base, &live)?;
    }
    let change = if base.rls_enabled != live.rls_enabled {
        Some(if live.rls_enabled {
            Change::RlsEnabled
        } else {
            Change::RlsDisabled
        })
    } else if base.rls_forced != live.rls_forced {
        Some(if live.rls_forced {
            Change::RlsForced
        } else {
            Change::RlsUnforced
        })
    } else {
        None
    };
    if let Some(change) = change {
        out.push(Draft {
            change,
            schema_name: Some(live.schema_name.clone()),
            table_name: Some(live.table_name.clone()),
            policy_name: None,
            before: Some(table_json(&TrackedTable {
                schema_name: live.schema_name.clone(),
                table_name: live.table_name.clone(),
                ..base.clone()
            })),
            after: Some(table_json(&live)),
        });
    }
    match (&old, relevant) {
        (Some(o), false) => delete_table(c, o)?,
        (Some(o), true) if *o != live => upsert_table(c, Some(o), &live)?,
        (None, true) => upsert_table(c, None, &live)?,
        _ => {}
    }
    Ok(())
}

/// The tracked policies of a renamed table take its new names.
fn rename_tracked_policies(
    c: &mut SpiClient<'_>,
    old: &TrackedTable,
    new: &TrackedTable,
) -> Result<()> {
    prepared::update(
        c,
        "UPDATE rls_audit.tracked_policies SET schema_name = $3, table_name = $4
          WHERE (schema_name, table_name) = ($1::name, $2::name)",
        None,
        &[
            old.schema_name.as_str().into(),
            old.table_name.as_str().into(),
            new.schema_name.as_str().into(),
            new.table_name.as_str().into(),
        ],
    )?;
    Ok(())
}

/// A schema a DDL renamed: every tracked object in it follows.
fn on_schema(c: &mut SpiClient<'_>, oid: pg_sys::Oid, out: &mut Vec<Draft>) -> Result<()> {
    let Some(new_name) = catalog::schema_name(c, oid)? else {
        return Ok(());
    };
    let old_names: Vec<String> = c
        .select(
            "SELECT DISTINCT schema_name::text FROM rls_audit.tracked_tables
              WHERE schema_oid = $1 AND db_ident = $3 AND schema_name <> $2",
            None,
            &[
                oid.into(),
                new_name.as_str().into(),
                catalog::db_ident().into(),
            ],
        )?
        .map(|r| r.get::<String>(1).ok().flatten().unwrap_or_default())
        .collect();
    for old in old_names {
        out.push(Draft {
            change: Change::Renamed,
            schema_name: Some(new_name.clone()),
            table_name: None,
            policy_name: None,
            before: Some(json!({ "schema_name": old })),
            after: Some(json!({ "schema_name": new_name })),
        });
        for q in [
            "UPDATE rls_audit.tracked_tables SET schema_name = $2 WHERE schema_name = $1",
            "UPDATE rls_audit.tracked_policies SET schema_name = $2 WHERE schema_name = $1",
        ] {
            c.update(q, None, &[old.as_str().into(), new_name.as_str().into()])?;
        }
    }
    Ok(())
}

/// The statement to record for an event whose own statement could not be
/// singled out (the DDL ran inside a function or a DO block, or came from
/// record_untracked()): rendered from the change itself, so a query string
/// with other statements (and whatever secrets they hold) never is.
fn rendered_statement(d: &Draft) -> String {
    let get = |v: &Option<Value>, k: &str| -> String {
        v.as_ref()
            .and_then(|j| j.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let policy = |v: &Option<Value>| -> Option<Policy> {
        v.as_ref()
            .and_then(|j| serde_json::from_value::<Policy>(j.clone()).ok())
    };
    let (schema, tname) = (
        d.schema_name.as_deref().unwrap_or_default(),
        d.table_name.as_deref().unwrap_or_default(),
    );
    let pname = d.policy_name.clone().unwrap_or_default();
    match d.change {
        Change::PolicyAdded => policy(&d.after)
            .map(|p| render::render_create_policy(&p))
            .unwrap_or_default(),
        Change::PolicyRemoved => render::drop_policy_strict(schema, tname, &pname),
        Change::PolicyChanged => policy(&d.after)
            .map(|p| render::alter_policy(&p))
            .unwrap_or_default(),
        Change::Renamed if d.policy_name.is_some() => {
            render::rename_policy(schema, tname, &get(&d.before, "policy_name"), &pname)
        }
        Change::Renamed if d.table_name.is_some() => render::move_table(
            (
                &get(&d.before, "schema_name"),
                &get(&d.before, "table_name"),
            ),
            (&get(&d.after, "schema_name"), &get(&d.after, "table_name")),
        ),
        Change::Renamed
            if d.before
                .as_ref()
                .is_some_and(|b| b.get("role_name").is_some()) =>
        {
            crate::authz::rendered_statement(d)
        }
        Change::Renamed => render::rename_schema(
            &get(&d.before, "schema_name"),
            &get(&d.after, "schema_name"),
        ),
        Change::RlsEnabled => render::alter_rls(schema, tname, "ENABLE"),
        Change::RlsDisabled => render::alter_rls(schema, tname, "DISABLE"),
        Change::RlsForced => render::alter_rls(schema, tname, "FORCE"),
        Change::RlsUnforced => render::alter_rls(schema, tname, "NO FORCE"),
        Change::TableRemoved => render::drop_table(schema, tname),
        Change::Frozen => render::freeze(&get(&d.after, "reason")),
        Change::Unfrozen => render::unfreeze(),
        // the role, membership, grant and owner facts (crate::authz)
        Change::RoleAdded
        | Change::RoleRemoved
        | Change::RoleChanged
        | Change::MembershipAdded
        | Change::MembershipRemoved
        | Change::GrantAdded
        | Change::GrantRemoved
        | Change::OwnerChanged => crate::authz::rendered_statement(d),
        // drift-only words: a capture never records these
        Change::TableAdded | Change::AccessWidened | Change::AccessNarrowed => String::new(),
    }
}

/// `rls_audit.ticket`, when it holds more than spaces (as
/// `NULLIF(btrim(current_setting('rls_audit.ticket', true)), '')`), read
/// straight from the setting.
fn ticket() -> Option<String> {
    // SAFETY: missing_ok = true returns NULL for a setting never set; the
    // value is copied before anything else can change it
    let value = unsafe {
        let p = pg_sys::GetConfigOption(c"rls_audit.ticket".as_ptr(), true, false);
        (!p.is_null()).then(|| core::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
    }?;
    let t = value.trim_matches(' ');
    (!t.is_empty()).then(|| t.to_string())
}

/// Why RLS changes are frozen, when they are.
fn freeze_reason(c: &SpiClient<'_>) -> Result<Option<String>> {
    Ok(prepared::select(
        c,
        "SELECT (SELECT reason FROM rls_audit.freeze_state)",
        Some(1),
        &[],
    )?
    .first()
    .get_one::<String>()?)
}

/// [`frozen_without_ticket`] read straight from the table, without SPI
/// (as committed now, as [`write_events`] reads it).
pub(crate) fn frozen_without_ticket_direct() -> Result<Option<String>> {
    if ticket().is_some() {
        return Ok(None);
    }
    Ok(
        heap::Own::open_with(c"freeze_state", pg_sys::AccessShareLock as pg_sys::LOCKMODE)?
            .any_row("reason"),
    )
}

/// The freeze reason when RLS changes are frozen and no ticket is set.
pub(crate) fn frozen_without_ticket(c: &SpiClient<'_>) -> Result<Option<String>> {
    if ticket().is_some() {
        return Ok(None);
    }
    freeze_reason(c)
}

pub(crate) fn frozen_error(reason: &str) -> RlsAuditError {
    RlsAuditError::ObjectState(format!(
        "row-level security changes are frozen: {reason} \
         (SET rls_audit.ticket = '<change id>' to make a ticketed change, or SELECT rls_audit.unfreeze())"
    ))
}

/// Append drafts to the log, after the freeze check.
pub(crate) fn write_events(
    c: &mut SpiClient<'_>,
    ctx: &Ctx,
    drafts: Vec<Draft>,
    check_freeze: bool,
) -> Result<i32> {
    if drafts.is_empty() {
        return Ok(0);
    }
    let ticket = ticket();
    // a freeze stops the DDL unless a ticket is set (the freeze's own
    // events are written while it moves)
    let stop_if_frozen = check_freeze && ticket.is_none();
    // one chain: appends are serialised until commit
    lock_chain();
    // the freeze and the chain's tail, read once under the lock, as
    // committed now (whatever the isolation level: crate::heap), then each
    // event chains to the one written before it
    let events = heap::Own::open(c"events")?;
    let reason =
        heap::Own::open_with(c"freeze_state", pg_sys::AccessShareLock as pg_sys::LOCKMODE)?
            .any_row("reason");
    let mut prev = events.newest("hash")?;
    if let (Some(reason), true) = (reason, stop_if_frozen) {
        return Err(frozen_error(&reason));
    }
    let who = Who::now()?;
    // rows go straight into the heap and its indexes while the log is the
    // plain table rls_audit created (crate::heap); else through SQL
    let direct = events
        .direct(&["events_change_check"], &EVENT_COLUMNS)
        .then_some(events);
    let n = drafts.len() as i32;
    for d in drafts {
        let statement = ctx
            .statement
            .clone()
            .unwrap_or_else(|| rendered_statement(&d));
        let id = who.next_id()?;
        let hash = event_hash(&json!([
            id,
            who.occurred_at + PG_EPOCH_US,
            who.txid,
            who.session_user,
            ctx.current_user,
            who.application_name,
            who.client_host,
            ctx.command_tag,
            d.change.as_sql(),
            d.schema_name,
            d.table_name,
            d.policy_name,
            d.before,
            d.after,
            statement,
            ticket,
            prev,
        ]))?;
        // its server log line, written if the transaction commits
        crate::anchor::note(&crate::anchor::Line {
            id,
            hash: &hash,
            prev_hash: prev.as_deref(),
            txid: who.txid,
            change: d.change.as_sql(),
            command_tag: &ctx.command_tag,
            schema_name: d.schema_name.as_deref(),
            table_name: d.table_name.as_deref(),
            policy_name: d.policy_name.as_deref(),
            object: &object_name(
                d.change,
                [
                    d.schema_name.as_deref(),
                    d.table_name.as_deref(),
                    d.policy_name.as_deref(),
                ],
                d.before.as_ref(),
                d.after.as_ref(),
            ),
            role_name: role_of(&d),
            session_user: &who.session_user,
            current_user: &ctx.current_user,
            ticket: ticket.as_deref(),
        });
        if let Some(events) = &direct {
            events.insert(&[
                ("id", id.into_datum()),
                ("occurred_at", Some(pg_sys::Datum::from(who.occurred_at))),
                ("txid", who.txid.into_datum()),
                (
                    "session_user_name",
                    Some(heap::name_datum(&who.session_user)?),
                ),
                (
                    "current_user_name",
                    Some(heap::name_datum(&ctx.current_user)?),
                ),
                (
                    "application_name",
                    who.application_name.clone().into_datum(),
                ),
                ("client_addr", who.client_addr),
                ("command_tag", ctx.command_tag.as_str().into_datum()),
                ("change", d.change.as_sql().into_datum()),
                (
                    "schema_name",
                    d.schema_name.as_deref().map(heap::name_datum).transpose()?,
                ),
                (
                    "table_name",
                    d.table_name.as_deref().map(heap::name_datum).transpose()?,
                ),
                (
                    "policy_name",
                    d.policy_name.as_deref().map(heap::name_datum).transpose()?,
                ),
                ("before", d.before.map(pgrx::JsonB).into_datum()),
                ("after", d.after.map(pgrx::JsonB).into_datum()),
                ("statement", statement.into_datum()),
                ("ticket", ticket.clone().into_datum()),
                ("prev_hash", prev.clone().into_datum()),
                ("hash", hash.as_str().into_datum()),
            ])?;
        } else {
            prepared::update(
                c,
                "INSERT INTO rls_audit.events
                     (id, occurred_at, txid, session_user_name, current_user_name, application_name,
                      client_addr, command_tag, change, schema_name, table_name, policy_name, before,
                      after, statement, ticket, prev_hash, hash)
                 VALUES ($1, $2, $3, $4::name, $5::name, $6, pg_catalog.inet_client_addr(), $7, $8,
                         $9::name, $10::name, $11::name, $12::jsonb, $13::jsonb, $14, $15, $16, $17)",
                None,
                &[
                    id.into(),
                    who.timestamp()?.into(),
                    who.txid.into(),
                    who.session_user.as_str().into(),
                    ctx.current_user.as_str().into(),
                    who.application_name.clone().into(),
                    ctx.command_tag.as_str().into(),
                    d.change.as_sql().into(),
                    d.schema_name.into(),
                    d.table_name.into(),
                    d.policy_name.into(),
                    d.before.map(pgrx::JsonB).into(),
                    d.after.map(pgrx::JsonB).into(),
                    statement.into(),
                    ticket.clone().into(),
                    prev.clone().into(),
                    hash.as_str().into(),
                ],
            )?;
        }
        prev = Some(hash);
    }
    Ok(n)
}

/// What an event is about, as the report and the server log name it:
/// `s.t.p` (each part quoted as `quote_ident` would), `s.t to grantee`,
/// `role m in r`, `role r`.
pub(crate) fn object_name(
    change: Change,
    names: [Option<&str>; 3],
    before: Option<&Value>,
    after: Option<&Value>,
) -> String {
    use crate::ident::quote_ident;
    let fact = |k: &str| {
        after
            .or(before)
            .and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let dotted = |parts: &[Option<&str>]| -> String {
        parts
            .iter()
            .flatten()
            .map(|p| quote_ident(p))
            .collect::<Vec<_>>()
            .join(".")
    };
    match change {
        Change::GrantAdded | Change::GrantRemoved => {
            format!("{} to {}", dotted(&names[..2]), fact("grantee"))
        }
        Change::MembershipAdded | Change::MembershipRemoved => format!(
            "role {} in {}",
            quote_ident(fact("member")),
            quote_ident(fact("role_name"))
        ),
        Change::RoleAdded | Change::RoleChanged | Change::RoleRemoved => {
            format!("role {}", quote_ident(fact("role_name")))
        }
        _ => dotted(&names),
    }
}

/// The role an event is about (role, membership and grant events name it
/// in their definitions), for its server log line.
fn role_of(d: &Draft) -> Option<&str> {
    [&d.after, &d.before]
        .into_iter()
        .flatten()
        .find_map(|v| v.get("role_name").or_else(|| v.get("grantee")))
        .and_then(Value::as_str)
}

/// The columns capture writes into rls_audit.events.
const EVENT_COLUMNS: [&str; 18] = [
    "id",
    "occurred_at",
    "txid",
    "session_user_name",
    "current_user_name",
    "application_name",
    "client_addr",
    "command_tag",
    "change",
    "schema_name",
    "table_name",
    "policy_name",
    "before",
    "after",
    "statement",
    "ticket",
    "prev_hash",
    "hash",
];

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_US: i64 = 946_684_800_000_000;

/// What every event of one DDL shares: when, in which transaction, by
/// whom, from where — as `statement_timestamp()`, `txid_current()`,
/// `session_user`, `current_setting('application_name')` and
/// `host(inet_client_addr())` give them.
struct Who {
    /// PostgreSQL's microseconds since 2000-01-01
    occurred_at: i64,
    txid: i64,
    session_user: String,
    application_name: Option<String>,
    client_host: Option<String>,
    /// `inet_client_addr()`
    client_addr: Option<pg_sys::Datum>,
    sequence: pg_sys::Oid,
}

impl Who {
    fn now() -> Result<Who> {
        let missing = || RlsAuditError::ObjectState("rls_audit.events_id_seq is missing".into());
        // SAFETY: plain reads of the backend's state; the two functions are
        // called as SQL calls them, and return NULL (None) or a value
        unsafe {
            let nsp = pg_sys::get_namespace_oid(c"rls_audit".as_ptr(), true);
            let sequence = pg_sys::get_relname_relid(c"events_id_seq".as_ptr(), nsp);
            if nsp == pg_sys::InvalidOid || sequence == pg_sys::InvalidOid {
                return Err(missing());
            }
            let app = pg_sys::GetConfigOption(c"application_name".as_ptr(), true, false);
            let addr = pgrx::direct_function_call_as_datum(pg_sys::inet_client_addr, &[]);
            Ok(Who {
                occurred_at: pg_sys::GetCurrentStatementStartTimestamp(),
                txid: pg_sys::GetTopFullTransactionId().value as i64,
                session_user: user_name(pg_sys::GetSessionUserId()),
                application_name: (!app.is_null()).then(|| {
                    core::ffi::CStr::from_ptr(app)
                        .to_string_lossy()
                        .into_owned()
                }),
                client_host: addr.and_then(|a| {
                    pgrx::direct_function_call::<String>(pg_sys::network_host, &[Some(a)])
                }),
                client_addr: addr,
                sequence,
            })
        }
    }

    /// The next event id (`nextval('rls_audit.events_id_seq')`).
    fn next_id(&self) -> Result<i64> {
        // SAFETY: nextval_oid takes the sequence's OID and returns int8
        unsafe {
            pgrx::direct_function_call::<i64>(pg_sys::nextval_oid, &[self.sequence.into_datum()])
        }
        .ok_or_else(|| RlsAuditError::ObjectState("nextval returned NULL".into()))
    }

    fn timestamp(&self) -> Result<pgrx::datum::TimestampWithTimeZone> {
        pgrx::datum::TimestampWithTimeZone::try_from(self.occurred_at)
            .map_err(|e| RlsAuditError::ObjectState(format!("statement timestamp: {e:?}")))
    }
}

/// `rls_audit._event_hash` of one event, given the array it hashes (in
/// its order): PostgreSQL's own jsonb text of the array (what `jsonb_out`
/// prints for `jsonb_in` of it: keys ordered, numbers and strings spelled
/// as jsonb spells them), as UTF-8, SHA-256, hex. In a UTF-8 database the
/// text is written here ([`jsonb_text`]); otherwise PostgreSQL's own
/// functions write it and the result is converted. verify_log() checks
/// every stored hash with the SQL function itself, so the two cannot drift
/// apart unseen.
fn event_hash(array: &Value) -> Result<String> {
    use sha2::{Digest, Sha256};
    let digest = match catalog::utf8_database()
        .then(|| jsonb_text(array))
        .flatten()
    {
        Some(text) => Sha256::digest(text.as_bytes()),
        None => Sha256::digest(jsonb_text_by_postgres(array)?),
    };
    Ok(crate::model::hex(&digest))
}

/// `jsonb_out(jsonb_in(v))` written directly: arrays as `[a, b]`, objects
/// as `{"k": v}` with keys ordered by length and then by bytes (jsonb's
/// order; serde_json's objects have no duplicate keys), strings escaped as
/// PostgreSQL's `escape_json` escapes them, integers as they are. None for
/// what jsonb would spell otherwise (a fraction, an exponent) or refuse (a
/// NUL character): the caller lets PostgreSQL write or refuse it.
pub(crate) fn jsonb_text(v: &Value) -> Option<String> {
    fn write(v: &Value, out: &mut String) -> Option<()> {
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => {
                if !(n.is_i64() || n.is_u64()) {
                    return None;
                }
                out.push_str(&n.to_string());
            }
            Value::String(s) => escape(s, out)?,
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(x, out)?;
                }
                out.push(']');
            }
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort_by(|a, b| {
                    a.len()
                        .cmp(&b.len())
                        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
                });
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    escape(k, out)?;
                    out.push_str(": ");
                    write(&m[k.as_str()], out)?;
                }
                out.push('}');
            }
        }
        Some(())
    }
    fn escape(s: &str, out: &mut String) -> Option<()> {
        out.push('"');
        for c in s.chars() {
            match c {
                '\0' => return None,
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        Some(())
    }
    let mut out = String::with_capacity(1024);
    write(v, &mut out)?;
    Some(out)
}

/// The same text written by PostgreSQL (`jsonb_in`, then `jsonb_out`),
/// converted to UTF-8 as `convert_to()` would.
fn jsonb_text_by_postgres(array: &Value) -> Result<Vec<u8>> {
    let text = std::ffi::CString::new(array.to_string())
        .map_err(|_| RlsAuditError::InvalidParameter("an event holds a NUL character".into()))?;
    // SAFETY: jsonb_in takes a cstring and returns a jsonb (or raises an
    // ERROR); jsonb_out takes that jsonb and returns a palloc'd cstring in
    // the database's encoding, converted to UTF-8 as convert_to() would
    unsafe {
        let jsonb =
            pgrx::direct_function_call_as_datum(pg_sys::jsonb_in, &[text.as_c_str().into_datum()])
                .ok_or_else(|| RlsAuditError::ObjectState("jsonb_in returned NULL".into()))?;
        let out = pgrx::direct_function_call_as_datum(pg_sys::jsonb_out, &[Some(jsonb)])
            .ok_or_else(|| RlsAuditError::ObjectState("jsonb_out returned NULL".into()))?;
        let p = out.cast_mut_ptr::<core::ffi::c_char>();
        let len = core::ffi::CStr::from_ptr(p).to_bytes().len();
        let utf8 = pg_sys::pg_server_to_any(p, len as i32, pg_sys::pg_enc::PG_UTF8 as i32);
        Ok(core::ffi::CStr::from_ptr(utf8).to_bytes().to_vec())
    }
}

/// Run `f` with `search_path = pg_catalog, pg_temp`, as a function
/// declared `SET search_path` runs (PostgreSQL's own GUC nesting: the
/// session's value comes back when `f` returns; on an ERROR, the
/// transaction's or savepoint's abort restores it). For rls_audit's work
/// outside its SQL functions, where the session's search_path would
/// otherwise name what its statements call: the ProcessUtility hook, which
/// runs inside any role statement of any session.
pub(crate) fn with_pinned_path<R>(f: impl FnOnce() -> R) -> R {
    with_path(c"pg_catalog, pg_temp", f)
}

/// Run `f` with `search_path = path`, nested as [`with_pinned_path`]
/// nests it.
pub(crate) fn with_path<R>(path: &std::ffi::CStr, f: impl FnOnce() -> R) -> R {
    struct Restore(std::ffi::c_int);
    impl Drop for Restore {
        fn drop(&mut self) {
            // an ERROR on its way out: the abort pops the nesting level
            if !std::thread::panicking() {
                // SAFETY: closes the nesting level opened below, as
                // fmgr_security_definer does after the call
                unsafe { pg_sys::AtEOXact_GUC(true, self.0) }
            }
        }
    }
    // SAFETY: opens a GUC nesting level and sets search_path in it, as
    // fmgr_security_definer does for a function's SET clause
    let level = unsafe {
        let level = pg_sys::NewGUCNestLevel();
        pg_sys::set_config_option(
            c"search_path".as_ptr(),
            path.as_ptr(),
            if pg_sys::superuser() {
                pg_sys::GucContext::PGC_SUSET
            } else {
                pg_sys::GucContext::PGC_USERSET
            },
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
        level
    };
    let _restore = Restore(level);
    f()
}

/// Runs `f` with the rights of the owner of rls_audit's tables, then puts
/// the caller's user id and security context back (also on error: the
/// guard's Drop runs while an error unwinds, and PostgreSQL restores both
/// when the (sub)transaction aborts).
pub(crate) fn as_owner<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    let owner = catalog::history_owner()
        .ok_or_else(|| RlsAuditError::ObjectState("rls_audit.events is missing".into()))?;
    struct Restore(pg_sys::Oid, i32);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: restores exactly what GetUserIdAndSecContext returned
            unsafe { pg_sys::SetUserIdAndSecContext(self.0, self.1) }
        }
    }
    let (mut uid, mut ctx) = (pg_sys::InvalidOid, 0i32);
    // SAFETY: plain reads and writes of the backend's user id state
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut uid, &mut ctx);
        pg_sys::SetUserIdAndSecContext(owner, ctx | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32);
    }
    let _restore = Restore(uid, ctx);
    f()
}

pub(crate) fn user_name(oid: pg_sys::Oid) -> String {
    // SAFETY: noerr = true returns NULL for a dropped role
    unsafe {
        let p = pg_sys::GetUserNameFromId(oid, true);
        if p.is_null() {
            format!("oid {}", oid.to_u32())
        } else {
            core::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

/// The event trigger's data, or an error when not called as one.
pub(crate) fn event_data(
    fcinfo: pg_sys::FunctionCallInfo,
) -> Result<*mut pg_sys::EventTriggerData> {
    // SAFETY: fcinfo comes from PostgreSQL's function manager
    unsafe {
        let ctx = (*fcinfo).context;
        if ctx.is_null() || (*ctx).type_ != pg_sys::NodeTag::T_EventTriggerData {
            return Err(RlsAuditError::ObjectState(
                "not called as an event trigger".into(),
            ));
        }
        Ok(ctx as *mut pg_sys::EventTriggerData)
    }
}

fn event_tag(data: *mut pg_sys::EventTriggerData) -> String {
    // SAFETY: data is a valid EventTriggerData (event_data checked it)
    unsafe {
        let name = pg_sys::GetCommandTagName((*data).tag);
        core::ffi::CStr::from_ptr(name)
            .to_string_lossy()
            .into_owned()
    }
}

/// Where the statements of the current query string start and end, found
/// once per query string: a migration sent as one string of many statements
/// is split once, and each DDL then parses only its own statement.
struct Split {
    /// the query string's address, length and a sample of its bytes
    key: (usize, usize, u64),
    ranges: Vec<(usize, usize)>,
    /// where the next DDL's statement most likely is (they run in order)
    next: usize,
}

thread_local! {
    static SPLIT: std::cell::RefCell<Option<Split>> = const { std::cell::RefCell::new(None) };
}

/// PostgreSQL's raw parser over `text`; None when it complains (a query
/// string that ran once already should not; `expr::one_expression` asks
/// about text that never ran).
pub(crate) fn raw_parse(text: &[u8]) -> Option<PgList<pg_sys::RawStmt>> {
    let text = std::ffi::CString::new(text).ok()?;
    // SAFETY: raw_parser only reads the NUL-terminated string; an ERROR it
    // raises is caught and leaves nothing behind but memory in the current
    // context, which the event trigger's context frees
    let list = PgTryBuilder::new(|| unsafe {
        pg_sys::raw_parser(text.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT)
    })
    .catch_others(|_| std::ptr::null_mut())
    .execute();
    // SAFETY: a List of RawStmt, as raw_parser returns
    (!list.is_null()).then(|| unsafe { PgList::<pg_sys::RawStmt>::from_pg(list) })
}

fn sample_hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes[..bytes.len().min(256)].hash(&mut h);
    bytes[bytes.len().saturating_sub(256)..].hash(&mut h);
    h.finish()
}

/// The one statement of the client's query string that is the DDL being
/// captured: the string is split with PostgreSQL's own parser and the
/// statement whose parse tree equals the event's is cut out by its
/// location. None when no statement matches (the DDL ran inside a
/// function or DO block): the event then gets a rendered statement, never
/// the query string, which may hold other statements and their secrets.
fn current_statement(data: *mut pg_sys::EventTriggerData) -> Option<String> {
    // SAFETY: data is a valid EventTriggerData; debug_query_string is the
    // backend's current query string (or NULL), only read here
    let (tree, q) = unsafe { ((*data).parsetree, pg_sys::debug_query_string) };
    if tree.is_null() || q.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string PostgreSQL keeps for the whole query
    let query = unsafe { core::ffi::CStr::from_ptr(q) }.to_bytes();
    let key = (q as usize, query.len(), sample_hash(query));
    SPLIT.with(|cell| {
        let mut cached = cell.borrow_mut();
        // the trees of a query string parsed just now: compared as they are
        // (equal() ignores locations), so a DDL sent on its own is parsed once
        let mut fresh: Option<PgList<pg_sys::RawStmt>> = None;
        if cached.as_ref().map(|s| s.key) != Some(key) {
            let list = raw_parse(query)?;
            // one range per list element, so they share their indexes
            let ranges = list
                .iter_ptr()
                .map(|st| {
                    if st.is_null() {
                        return (0, 0);
                    }
                    // SAFETY: st is a RawStmt of the list just parsed
                    let (loc, len) = unsafe { ((*st).stmt_location, (*st).stmt_len) };
                    let start = usize::try_from(loc).unwrap_or(0).min(query.len());
                    let end = match usize::try_from(len) {
                        Ok(0) | Err(_) => query.len(),
                        Ok(n) => (start + n).min(query.len()),
                    };
                    (start, end)
                })
                .collect();
            *cached = Some(Split {
                key,
                ranges,
                next: 0,
            });
            fresh = Some(list);
        }
        let split = cached.as_mut()?;
        let n = split.ranges.len();
        for k in 0..n {
            let idx = (split.next + k) % n;
            let (start, end) = split.ranges[idx];
            let text = query.get(start..end)?;
            // SAFETY: both are parse trees; equal() only reads them
            let same_tree = |st: *mut pg_sys::RawStmt| unsafe {
                !st.is_null() && pg_sys::equal((*st).stmt.cast(), tree.cast())
            };
            let same = match &fresh {
                Some(list) => list.get_ptr(idx).is_some_and(same_tree),
                None => {
                    let one = raw_parse(text)?;
                    one.len() == 1 && one.get_ptr(0).is_some_and(same_tree)
                }
            };
            if same {
                split.next = idx + 1;
                let text = String::from_utf8_lossy(text).trim().to_string();
                return Some(if text.ends_with(';') {
                    text
                } else {
                    text + ";"
                });
            }
        }
        None
    })
}

/// Does the DDL rename or move an object (whose dependent policies then
/// read differently, though they did not change)?
fn renames_something(data: *mut pg_sys::EventTriggerData) -> bool {
    use pg_sys::NodeTag as Tag;
    // SAFETY: data is a valid EventTriggerData
    let tree = unsafe { (*data).parsetree };
    !tree.is_null()
        && matches!(
            // SAFETY: a non-null parse tree starts with its node tag
            unsafe { (*tree).type_ },
            Tag::T_RenameStmt | Tag::T_AlterObjectSchemaStmt | Tag::T_AlterEnumStmt
        )
}

/// The subcommands of an ALTER TABLE (none for any other DDL).
fn alter_table_subcommands(
    data: *mut pg_sys::EventTriggerData,
) -> Vec<pg_sys::AlterTableType::Type> {
    // SAFETY: data is a valid EventTriggerData; the list is the statement's
    unsafe {
        let tree = (*data).parsetree;
        if tree.is_null() || (*tree).type_ != pg_sys::NodeTag::T_AlterTableStmt {
            return Vec::new();
        }
        let stmt = tree as *mut pg_sys::AlterTableStmt;
        PgList::<pg_sys::AlterTableCmd>::from_pg((*stmt).cmds)
            .iter_ptr()
            .filter(|cmd| !cmd.is_null())
            .map(|cmd| (*cmd).subtype)
            .collect()
    }
}

/// Is the DDL an ALTER TABLE with an RLS flag subcommand?
fn sets_rls_flags(subcommands: &[pg_sys::AlterTableType::Type]) -> bool {
    use pg_sys::AlterTableType as At;
    subcommands.iter().any(|t| {
        matches!(
            *t,
            At::AT_EnableRowSecurity
                | At::AT_DisableRowSecurity
                | At::AT_ForceRowSecurity
                | At::AT_NoForceRowSecurity
        )
    })
}

/// What both event triggers do around their own work: name the DDL's own
/// user (before borrowing the owner's rights), single out its statement,
/// and borrow the owner's rights to read and write the history. No session
/// setting switches this off: a restore is recognised by what it creates
/// (identical to the restored tracked state), not by how the session is set.
fn capture(
    fcinfo: pg_sys::FunctionCallInfo,
    work: impl FnOnce(&mut SpiClient<'_>, &Ctx) -> Result<()>,
) -> Result<()> {
    let data = event_data(fcinfo)?;
    // rls_audit's own scripts change only rls_audit's objects (and an
    // upgrade script runs while the tables are not yet current)
    if crate::schema::in_own_script() {
        return Ok(());
    }
    let subcommands = alter_table_subcommands(data);
    let ctx = Ctx {
        current_user: user_name(unsafe { pg_sys::GetUserId() }),
        command_tag: event_tag(data),
        statement: current_statement(data),
        sets_rls_flags: sets_rls_flags(&subcommands),
        renames: renames_something(data),
        changes_owner: subcommands.contains(&pg_sys::AlterTableType::AT_ChangeOwner),
    };
    as_owner(|| {
        Spi::connect_mut(|c| {
            // fail closed: a DDL is not let through unrecorded
            crate::schema::require_current(c)?;
            work(c, &ctx)
        })
    })
}

pub(crate) fn capture_end(fcinfo: pg_sys::FunctionCallInfo) -> Result<()> {
    // a DROP reports what it removed at sql_drop, and nothing here
    // (ProcessUtilitySlow collects no command for it)
    // SAFETY: event_data checked the context; a non-null parse tree starts
    // with its node tag
    let tree = unsafe { (*event_data(fcinfo)?).parsetree };
    if !tree.is_null() && unsafe { (*tree).type_ } == pg_sys::NodeTag::T_DropStmt {
        return Ok(());
    }
    capture(fcinfo, |c, ctx| {
        if ctx.command_tag == "DROP OWNED" {
            // DROP OWNED rewrites role lists of policies it does not drop,
            // revokes the role's grants, and reports none of them: compare
            // everything of this database once
            let drafts = reconcile_drafts(c, Scope::Database)?;
            write_events(c, ctx, drafts, true)?;
            return resync(c, Scope::Database);
        }
        let mut drafts = Vec::new();
        // GRANT / REVOKE on tables: PostgreSQL reports them without their
        // tables; the parse tree names them
        let granted = crate::authz::grant_targets(tree)?;
        for table in &granted {
            crate::authz::on_table(c, *table, &mut drafts)?;
        }
        if !granted.is_empty() {
            return write_events(c, ctx, drafts, true).map(|_| ());
        }
        let touched = catalog::live::touched()?;
        // rls_audit's own tables are frozen with it: no `ALTER TABLE
        // rls_audit.freeze_state DISABLE TRIGGER` while frozen
        own_objects_frozen(
            c,
            touched
                .iter()
                .any(|(class, oid)| *class == pg_sys::RelationRelationId && in_own_schema(*oid)),
        )?;
        // schemas and tables first: their renames carry their policies'
        // names along, so a policy is renamed only when its own name changed
        for (class, oid) in &touched {
            if *class == pg_sys::NamespaceRelationId {
                on_schema(c, *oid, &mut drafts)?;
            } else if *class == pg_sys::RelationRelationId {
                on_table(c, *oid, ctx.sets_rls_flags, &mut drafts)?;
            }
        }
        // then each policy the DDL touched, or that depends on what it
        // touched (a renamed column, function or type changes its text only)
        let mut policies: BTreeSet<u32> = BTreeSet::new();
        for (class, oid) in &touched {
            if *class == catalog::POLICY_RELATION_ID {
                policies.insert(oid.to_u32());
            } else if ctx.renames {
                for p in catalog::dependent_policies(c, *class, *oid)? {
                    policies.insert(p.to_u32());
                }
            }
        }
        for p in policies {
            on_policy(c, pg_sys::Oid::from(p), &mut drafts)?;
        }
        // ALTER TABLE … OWNER TO: the tracked owner (and the grants, whose
        // grantor moves with it)
        if ctx.changes_owner {
            for (class, oid) in &touched {
                if *class == pg_sys::RelationRelationId {
                    crate::authz::on_table(c, oid.to_u32(), &mut drafts)?;
                }
            }
        }
        write_events(c, ctx, drafts, true)?;
        Ok(())
    })
}

/// A DDL that `touches_own` objects of rls_audit (its tables, their
/// triggers) fails while frozen without a ticket, unless it is
/// [`set_freeze`]'s own.
fn own_objects_frozen(c: &SpiClient<'_>, touches_own: bool) -> Result<()> {
    if !touches_own || freeze_writer() {
        return Ok(());
    }
    match frozen_without_ticket(c)? {
        Some(reason) => Err(frozen_error(&reason)),
        None => Ok(()),
    }
}

/// Is relation `oid` one of rls_audit's own (in its schema)?
fn in_own_schema(oid: pg_sys::Oid) -> bool {
    // SAFETY: catalog lookups that return InvalidOid when missing
    unsafe {
        let nsp = pg_sys::get_namespace_oid(c"rls_audit".as_ptr(), true);
        nsp != pg_sys::InvalidOid && pg_sys::get_rel_namespace(oid) == nsp
    }
}

pub(crate) fn capture_drop(fcinfo: pg_sys::FunctionCallInfo) -> Result<()> {
    capture(fcinfo, |c, ctx| {
        let mut dropped = catalog::live::dropped()?;
        // rls_audit's own objects are frozen with it (its freeze's guard
        // trigger among them)
        own_objects_frozen(
            c,
            dropped
                .iter()
                .any(|(_, _, names)| names.first().map(String::as_str) == Some("rls_audit")),
        )?;
        // rls_audit's own tables go only with DROP EXTENSION; triggers are
        // not tracked
        dropped.retain(|(kind, _, names)| {
            kind != "trigger" && names.first().map(String::as_str) != Some("rls_audit")
        });
        if dropped.is_empty() {
            return Ok(());
        }
        let mut drafts = Vec::new();
        let mut emptied: BTreeSet<(String, String)> = BTreeSet::new();
        // policies first ("policy" < "table"), then their tables
        for (kind, oid, names) in dropped {
            if kind == "policy" {
                let key = match names.as_slice() {
                    [s, t, p] => Some((s.as_str(), t.as_str(), p.as_str())),
                    _ => None,
                };
                if let Some(old) = catalog::dropped_policy(oid, key)? {
                    drafts.push(policy_draft(Change::PolicyRemoved, Some(&old.policy), None));
                    delete_policy(c, &old)?;
                    // a table that keeps RLS or other policies stays
                    // RLS-relevant (the common DROP POLICY)
                    let here = catalog::db_ident();
                    let relevant = old.db_ident.as_deref() == Some(here.as_str())
                        && catalog::live::table(oid_of(old.table_oid), &here)?.is_some_and(
                            |(t, has_policies)| {
                                t.rls_enabled
                                    && has_policies
                                    && (&t.schema_name, &t.table_name)
                                        == (&old.policy.schema_name, &old.policy.table_name)
                            },
                        );
                    if !relevant {
                        emptied.insert((old.policy.schema_name, old.policy.table_name));
                    }
                }
            } else {
                let key = match names.as_slice() {
                    [s, t] => Some((s.as_str(), t.as_str())),
                    _ => None,
                };
                if let Some(old) = catalog::dropped_table(oid, key)? {
                    drafts.push(Draft {
                        change: Change::TableRemoved,
                        schema_name: Some(old.schema_name.clone()),
                        table_name: Some(old.table_name.clone()),
                        policy_name: None,
                        before: Some(table_json(&old)),
                        after: None,
                    });
                    delete_table(c, &old)?;
                }
            }
        }
        // a table left with no policy and RLS off is no longer tracked
        // (only the tables whose policies went are looked at)
        if !emptied.is_empty() {
            let (schemas, tables): (Vec<String>, Vec<String>) = emptied.into_iter().unzip();
            prepared::update(
                c,
                "DELETE FROM rls_audit.tracked_tables t
                  USING ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS g(s, n)
                  WHERE (t.schema_name, t.table_name) = (g.s::name, g.n::name)
                    AND NOT t.rls_enabled
                    AND NOT EXISTS (SELECT 1 FROM rls_audit.tracked_policies p
                                     WHERE (p.schema_name, p.table_name) = (t.schema_name, t.table_name))",
                None,
                &[schemas.into(), tables.into()],
            )?;
        }
        write_events(c, ctx, drafts, true)?;
        Ok(())
    })
}

/// At ddl_command_start of DROP EXTENSION / DROP SCHEMA: does the command
/// name rls_audit itself?
pub(crate) fn drops_rls_audit(data: *mut pg_sys::EventTriggerData) -> bool {
    // SAFETY: data is a valid EventTriggerData
    drops_rls_audit_tree(unsafe { (*data).parsetree })
}

/// Is this statement tree a DROP EXTENSION / DROP SCHEMA that names
/// rls_audit? (Its object list, printed: the names are quoted strings
/// there, whatever the PostgreSQL version.)
pub(crate) fn drops_rls_audit_tree(tree: *mut pg_sys::Node) -> bool {
    // SAFETY: tree is a statement's parse tree or NULL; nodeToString only reads
    unsafe {
        if tree.is_null() || (*tree).type_ != pg_sys::NodeTag::T_DropStmt {
            return false;
        }
        let stmt = tree as *mut pg_sys::DropStmt;
        let kind = (*stmt).removeType;
        if kind != pg_sys::ObjectType::OBJECT_EXTENSION && kind != pg_sys::ObjectType::OBJECT_SCHEMA
        {
            return false;
        }
        let printed = pg_sys::nodeToString((*stmt).objects.cast());
        if printed.is_null() {
            return false;
        }
        core::ffi::CStr::from_ptr(printed)
            .to_string_lossy()
            .contains("\"rls_audit\"")
    }
}

/// An entry of PostgreSQL's event trigger cache (`utils/evtcache.h`, the
/// same on every supported version; not in pgrx's bindings).
#[repr(C)]
struct EventTriggerCacheItem {
    fnoid: pg_sys::Oid,
    enabled: core::ffi::c_char,
    tagset: *mut pg_sys::Bitmapset,
}

extern "C-unwind" {
    /// The event triggers of one event, as PostgreSQL fires them
    /// (`EventTriggerEvent`: 0 ddl_command_start, 1 ddl_command_end,
    /// 2 sql_drop).
    fn EventCacheLookup(event: core::ffi::c_int) -> *mut pg_sys::List;
}

/// rls_audit's event trigger functions (`finalize.sql`): the event each
/// is created on (its number in PostgreSQL's cache, its name), and the C
/// symbol it runs.
const CAPTURE_TRIGGERS: [(core::ffi::c_int, &str, &[u8]); 3] = [
    (1, "ddl_command_end", b"capture_ddl_wrapper"),
    (2, "sql_drop", b"capture_sql_drop_wrapper"),
    (0, "ddl_command_start", b"guard_drop_wrapper"),
];

/// Would capture and the freeze's guard fire for a statement run now in
/// this session? See [`capture_gaps`]; `event_triggers` (PostgreSQL 17+)
/// is left to [`crate::hook`], which sets it on.
pub(crate) fn capture_fires() -> bool {
    // SAFETY: the session's own setting, read
    let replica = unsafe { pg_sys::SessionReplicationRole }
        == pg_sys::SESSION_REPLICATION_ROLE_REPLICA as core::ffi::c_int;
    capture_gaps(replica).is_empty()
}

/// The events among rls_audit's three on which none of its event triggers
/// would fire in a session in replica mode (`replica`) or not. A trigger
/// fires when it is not disabled (`ENABLE REPLICA` fires only in replica
/// mode, a plain `ENABLE` only outside it, `ENABLE ALWAYS` in both) and
/// runs rls_audit's own C function — not one replaced by `CREATE OR
/// REPLACE FUNCTION`. Read from PostgreSQL's event trigger cache, which is
/// what decides the firing (a direct edit of `pg_event_trigger` included).
pub(crate) fn capture_gaps(replica: bool) -> Vec<&'static str> {
    CAPTURE_TRIGGERS
        .iter()
        .filter(|(event, _, symbol)| {
            // SAFETY: the cache's list and items are PostgreSQL's, only read
            let items =
                unsafe { PgList::<EventTriggerCacheItem>::from_pg(EventCacheLookup(*event)) };
            let fires = items.iter_ptr().any(|item| {
                // SAFETY: an item of that list
                let (enabled, fnoid) = unsafe { ((*item).enabled as u8, (*item).fnoid) };
                let fires = match enabled {
                    pg_sys::TRIGGER_DISABLED => false,
                    pg_sys::TRIGGER_FIRES_ON_ORIGIN => !replica,
                    pg_sys::TRIGGER_FIRES_ON_REPLICA => replica,
                    _ => true,
                };
                fires && runs_own_symbol(fnoid, symbol)
            });
            !fires
        })
        .map(|(_, name, _)| *name)
        .collect()
}

/// (function, symbol, is it rls_audit's) answers of [`runs_own_symbol`]
type OwnSymbols = Vec<(pg_sys::Oid, &'static [u8], bool)>;

thread_local! {
    /// [`runs_own_symbol`]'s answers, kept until any `pg_proc` entry
    /// changes (a syscache callback empties it): the hook asks on every DDL
    static OWN_SYMBOLS: std::cell::RefCell<Option<OwnSymbols>> =
        const { std::cell::RefCell::new(None) };
}

/// The syscache callback on `pg_proc`: a function created, replaced or
/// dropped empties [`OWN_SYMBOLS`].
#[pg_guard]
unsafe extern "C-unwind" fn forget_own_symbols(_arg: pg_sys::Datum, _cache: i32, _hash: u32) {
    OWN_SYMBOLS.with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            if let Some(v) = m.as_mut() {
                v.clear();
            }
        }
    });
}

/// Is function `oid` the C function `symbol` of rls_audit's library?
/// Remembered per backend until `pg_proc` changes.
fn runs_own_symbol(oid: pg_sys::Oid, symbol: &'static [u8]) -> bool {
    let known = OWN_SYMBOLS.with(|m| {
        let mut m = m.borrow_mut();
        let v = m.get_or_insert_with(|| {
            // SAFETY: registered once per backend (the first time here);
            // PostgreSQL calls it on every pg_proc invalidation
            unsafe {
                pg_sys::CacheRegisterSyscacheCallback(
                    pg_sys::SysCacheIdentifier::PROCOID as i32,
                    Some(forget_own_symbols),
                    pg_sys::Datum::from(0),
                );
            }
            Vec::new()
        });
        v.iter()
            .find(|(o, s, _)| *o == oid && *s == symbol)
            .map(|(_, _, ours)| *ours)
    });
    if let Some(ours) = known {
        return ours;
    }
    let ours = looks_up_own_symbol(oid, symbol);
    OWN_SYMBOLS.with(|m| {
        if let Some(v) = m.borrow_mut().as_mut() {
            v.push((oid, symbol, ours));
        }
    });
    ours
}

/// [`runs_own_symbol`] from the catalog.
fn looks_up_own_symbol(oid: pg_sys::Oid, symbol: &[u8]) -> bool {
    /// pg_language's fixed OID of `c`
    const C_LANGUAGE: u32 = 13;
    crate::catalog::live::with_proc(oid, |proc, text| {
        proc.prolang == pg_sys::Oid::from(C_LANGUAGE)
            && text(pg_sys::Anum_pg_proc_prosrc).as_deref() == Some(symbol)
            && text(pg_sys::Anum_pg_proc_probin).as_deref() == Some(b"$libdir/rls_audit".as_slice())
    })
    .unwrap_or(false)
}

// ---------------------------------------------------------------------------
// tracked state as a whole: seed, untracked changes, resync

/// The tracked state as a [`State`] (no roles: roles have no events), with
/// the identity of the rows whose OIDs belong to this database.
fn tracked_state(c: &SpiClient<'_>) -> Result<(State, Identity)> {
    crate::schema::require_current(c)?;
    let here = catalog::db_ident();
    let mut s = State::default();
    let mut ids = Identity {
        db: Some(here.clone()),
        ..Identity::default()
    };
    for r in c.select(
        concat!(
            "SELECT ",
            tracked_policy_cols!(),
            " FROM rls_audit.tracked_policies"
        ),
        None,
        &[],
    )? {
        let t = catalog::decode_tracked_policy(&r)?;
        if t.db_ident.as_deref() == Some(here.as_str()) {
            let p = &t.policy;
            ids.add_policy(
                p,
                PolicyId {
                    oid: t.policy_oid,
                    table_oid: t.table_oid,
                    tree: t.tree.clone(),
                    role_oids: t.role_oids.clone(),
                },
            );
        }
        s.policies.push(t.policy);
    }
    for r in c.select(
        concat!(
            "SELECT ",
            tracked_table_cols!(),
            " FROM rls_audit.tracked_tables"
        ),
        None,
        &[],
    )? {
        let t = catalog::decode_tracked_table(&r)?;
        if t.db_ident.as_deref() == Some(here.as_str()) {
            ids.add_table(&t.schema_name, &t.table_name, t.table_oid);
        }
        s.tables.push(Table {
            schema_name: t.schema_name,
            table_name: t.table_name,
            owner: String::new(),
            rls_enabled: t.rls_enabled,
            rls_forced: t.rls_forced,
        });
    }
    s.canonicalize();
    Ok((s, ids))
}

/// Tracked and live states, made comparable: the tracked state in today's
/// names (objects renamed while capture was off are the returned rows), a
/// live table that is not tracked counts as "RLS off, no policies" on the
/// tracked side; owners and roles are left out (they have no events).
fn comparable(c: &SpiClient<'_>) -> Result<(State, State, Vec<DriftRow>)> {
    let (mut tracked, tracked_ids) = tracked_state(c)?;
    let (mut live, live_ids) = catalog::read_live(c)?;
    live.roles.clear();
    let renamed = diff::align(&mut tracked, &tracked_ids, &live, &live_ids, None);
    let with_policies: BTreeSet<(String, String)> = live
        .policies
        .iter()
        .map(|p| (p.schema_name.clone(), p.table_name.clone()))
        .collect();
    let tracked_names: BTreeSet<(String, String)> = tracked
        .tables
        .iter()
        .map(|t| (t.schema_name.clone(), t.table_name.clone()))
        .collect();
    live.tables.retain(|t| {
        let key = (t.schema_name.clone(), t.table_name.clone());
        t.rls_enabled || with_policies.contains(&key) || tracked_names.contains(&key)
    });
    for t in &mut live.tables {
        t.owner.clear();
        if !tracked_names.contains(&(t.schema_name.clone(), t.table_name.clone())) {
            // untracked: RLS was off and FORCE was not recorded on its own
            tracked.tables.push(Table {
                rls_enabled: false,
                ..t.clone()
            });
        }
    }
    tracked.canonicalize();
    live.canonicalize();
    Ok((tracked, live, renamed))
}

/// The differences between the tracked state and the catalog, as drift
/// rows: policies and table flags, then roles, memberships, table owners
/// and grants (crate::authz).
pub(crate) fn untracked_rows(c: &SpiClient<'_>) -> Result<Vec<DriftRow>> {
    let (tracked, live, mut rows) = comparable(c)?;
    rows.extend(diff::diff(&tracked, &live));
    rows.extend(crate::authz::untracked_rows(Scope::All)?);
    rows.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(rows)
}

/// One event per object that differs between the tracked and live states
/// (roles and memberships too when `scope` is All).
pub(crate) fn reconcile_drafts(c: &SpiClient<'_>, scope: Scope) -> Result<Vec<Draft>> {
    let (tracked, live, renamed) = comparable(c)?;
    let mut drafts: Vec<Draft> = renamed
        .into_iter()
        .map(|r| {
            let names = |v: &Option<String>| json!({ "name": v });
            Draft {
                change: Change::Renamed,
                schema_name: r.schema_name,
                table_name: r.table_name,
                policy_name: r.policy_name,
                before: Some(names(&r.baseline_value)),
                after: Some(names(&r.current_value)),
            }
        })
        .collect();
    let rows = diff::diff(&tracked, &live);
    let mut seen = BTreeSet::new();
    for r in rows {
        let key = (
            r.schema_name.clone(),
            r.table_name.clone(),
            r.policy_name.clone(),
        );
        if !seen.insert(key) {
            continue; // one event per object, however many attributes changed
        }
        let find_p = |s: &State| {
            s.policies
                .iter()
                .find(|p| {
                    Some(&p.schema_name) == r.schema_name.as_ref()
                        && Some(&p.table_name) == r.table_name.as_ref()
                        && Some(&p.policy_name) == r.policy_name.as_ref()
                })
                .cloned()
        };
        let find_t = |s: &State| {
            s.tables
                .iter()
                .find(|t| {
                    Some(&t.schema_name) == r.schema_name.as_ref()
                        && Some(&t.table_name) == r.table_name.as_ref()
                })
                .map(|t| {
                    json!({ "schema_name": t.schema_name, "table_name": t.table_name,
                                 "rls_enabled": t.rls_enabled, "rls_forced": t.rls_forced })
                })
        };
        let (before, after) = if r.policy_name.is_some() {
            (
                find_p(&tracked).map(|p| policy_json(&p)),
                find_p(&live).map(|p| policy_json(&p)),
            )
        } else {
            (find_t(&tracked), find_t(&live))
        };
        drafts.push(Draft {
            change: r.change,
            schema_name: r.schema_name,
            table_name: r.table_name,
            policy_name: r.policy_name,
            before,
            after,
        });
    }
    drafts.extend(crate::authz::reconcile_drafts(scope)?);
    Ok(drafts)
}

/// Make the tracked state the live one (OIDs included; roles and
/// memberships too when `scope` is All).
pub(crate) fn resync(c: &mut SpiClient<'_>, scope: Scope) -> Result<()> {
    c.update("DELETE FROM rls_audit.tracked_policies", None, &[])?;
    c.update("DELETE FROM rls_audit.tracked_tables", None, &[])?;
    // an older version's install script (CREATE EXTENSION rls_audit
    // VERSION '0.1.0') seeds its own tables; the upgrade binds them
    let legacy = !crate::schema::is_current(c)?;
    catalog::resync_tracked(c, legacy)?;
    if legacy {
        return Ok(());
    }
    crate::authz::resync(c, scope)
}

/// The role the caller really is, inside a SECURITY DEFINER function.
pub(crate) fn outer_user() -> String {
    user_name(unsafe { pg_sys::GetOuterUserId() })
}

thread_local! {
    /// set while [`set_freeze`] rewrites `rls_audit.freeze_state`, the one
    /// writer its guard trigger lets through
    static FREEZE_WRITER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The triggers that refuse any writer of `rls_audit.freeze_state` but
/// [`set_freeze`], `ENABLE ALWAYS`: created by the extension's scripts
/// (`_arm_freeze_guard()`), and put back by each freeze if someone dropped
/// or disabled them while nothing was frozen.
pub(crate) fn arm_freeze_guard(c: &mut SpiClient<'_>) -> Result<()> {
    // (NULL before 0.3.0's objects are installed: the library is newer
    // than the extension's SQL until ALTER EXTENSION … UPDATE)
    let armed = c
        .select(
            "SELECT CASE WHEN f.f IS NOT NULL THEN
                    (SELECT count(*) FILTER (WHERE t.tgenabled = 'A') = 2
                       FROM pg_catalog.pg_trigger t
                      WHERE t.tgrelid = 'rls_audit.freeze_state'::pg_catalog.regclass
                        AND t.tgname IN ('freeze_state_guard', 'freeze_state_guard_truncate')
                        AND t.tgfoid = f.f) END
               FROM (SELECT pg_catalog.to_regprocedure('rls_audit._guard_freeze_state()')::pg_catalog.oid AS f) f",
            Some(1),
            &[],
        )?
        .first()
        .get_one::<bool>()?;
    if armed != Some(false) {
        return Ok(());
    }
    let present: Vec<String> = c
        .select(
            "SELECT tgname::text FROM pg_catalog.pg_trigger
              WHERE tgrelid = 'rls_audit.freeze_state'::pg_catalog.regclass
                AND tgname IN ('freeze_state_guard', 'freeze_state_guard_truncate')",
            None,
            &[],
        )?
        .map(|r| r.get::<String>(1).map(Option::unwrap_or_default))
        .collect::<std::result::Result<_, _>>()?;
    // (its own DDL on rls_audit's table, let through a freeze in force)
    let _writing = Writing::start();
    for name in present {
        c.update(
            &format!("DROP TRIGGER {name} ON rls_audit.freeze_state"),
            None,
            &[],
        )?;
    }
    for sql in [
        "CREATE TRIGGER freeze_state_guard AFTER UPDATE OR DELETE ON rls_audit.freeze_state
             FOR EACH ROW EXECUTE FUNCTION rls_audit._guard_freeze_state()",
        "CREATE TRIGGER freeze_state_guard_truncate AFTER TRUNCATE ON rls_audit.freeze_state
             FOR EACH STATEMENT EXECUTE FUNCTION rls_audit._guard_freeze_state()",
        "ALTER TABLE rls_audit.freeze_state ENABLE ALWAYS TRIGGER freeze_state_guard",
        "ALTER TABLE rls_audit.freeze_state ENABLE ALWAYS TRIGGER freeze_state_guard_truncate",
    ] {
        c.update(sql, None, &[])?;
    }
    Ok(())
}

/// [`FREEZE_WRITER`] set until dropped (however the write ends).
struct Writing;

impl Writing {
    fn start() -> Writing {
        FREEZE_WRITER.with(|w| w.set(true));
        Writing
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        FREEZE_WRITER.with(|w| w.set(false));
    }
}

/// Is [`set_freeze`] writing `rls_audit.freeze_state` now?
pub(crate) fn freeze_writer() -> bool {
    FREEZE_WRITER.with(|w| w.get())
}

/// The reason of the log's newest freeze event when it is `frozen` (the
/// freeze the log says is in force), else None.
fn logged_freeze(c: &SpiClient<'_>) -> Result<Option<String>> {
    let row = c.select(
        "SELECT change = 'frozen', after ->> 'reason' FROM rls_audit.events
          WHERE change IN ('frozen', 'unfrozen') ORDER BY id DESC LIMIT 1",
        Some(1),
        &[],
    )?;
    if row.is_empty() {
        return Ok(None);
    }
    let row = row.first();
    Ok(if row.get::<bool>(1)?.unwrap_or(false) {
        Some(row.get::<String>(2)?.unwrap_or_default())
    } else {
        None
    })
}

/// Move the freeze state to `reason` (Some = frozen, None = not frozen) and
/// log the move; freezing twice replaces the reason, unfreezing when not
/// frozen only says so.
pub(crate) fn set_freeze(reason: Option<&str>) -> Result<()> {
    let ctx = Ctx {
        current_user: outer_user(),
        command_tag: if reason.is_some() {
            "FREEZE"
        } else {
            "UNFREEZE"
        }
        .into(),
        statement: None,
        sets_rls_flags: false,
        renames: false,
        changes_owner: false,
    };
    Spi::connect_mut(|c| -> Result<()> {
        let old = c
            .select(
                "SELECT (SELECT reason FROM rls_audit.freeze_state)",
                Some(1),
                &[],
            )?
            .first()
            .get_one::<String>()?;
        // a freeze the log still holds but freeze_state lost (a write past
        // its guard: freeze_problems) is ended here too, so the log agrees
        let old = match old {
            None if reason.is_none() => logged_freeze(c)?,
            old => old,
        };
        if old.is_none() && reason.is_none() {
            pgrx::notice!("rls_audit: row-level security changes were not frozen");
            return Ok(());
        }
        if reason.is_some() {
            arm_freeze_guard(c)?;
        }
        {
            let _writing = Writing::start();
            c.update("DELETE FROM rls_audit.freeze_state", None, &[])?;
        }
        if let Some(r) = reason {
            c.update(
                "INSERT INTO rls_audit.freeze_state (reason, frozen_by) VALUES ($1, $2)",
                None,
                &[r.into(), ctx.current_user.as_str().into()],
            )?;
        }
        let state = |r: Option<&str>| match r {
            Some(r) => json!({ "frozen": true, "reason": r }),
            None => json!({ "frozen": false }),
        };
        let draft = Draft {
            change: if reason.is_some() {
                Change::Frozen
            } else {
                Change::Unfrozen
            },
            schema_name: None,
            table_name: None,
            policy_name: None,
            before: Some(state(old.as_deref())),
            after: Some(state(reason)),
        };
        write_events(c, &ctx, vec![draft], false)?;
        Ok(())
    })
}

/// Every place the event log's hash chain is broken: (event id, problem).
pub(crate) fn broken_links(c: &SpiClient<'_>) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for r in c.select(
        r#"
SELECT id,
   prev_hash IS DISTINCT FROM pg_catalog.lag(hash) OVER (ORDER BY id),
   hash IS DISTINCT FROM rls_audit._event_hash(id, occurred_at, txid, session_user_name,
       current_user_name, application_name, client_addr, command_tag, change, schema_name,
       table_name, policy_name, before, after, statement, ticket, prev_hash)
  FROM rls_audit.events ORDER BY id"#,
        None,
        &[],
    )? {
        let id = r.get::<i64>(1)?.unwrap_or(0);
        if r.get::<bool>(2)?.unwrap_or(false) {
            out.push((id, "prev_hash does not match the hash of the event before it: an event was deleted or inserted here".into()));
        }
        if r.get::<bool>(3)?.unwrap_or(false) {
            out.push((
                id,
                "hash does not match the event's content: the row was edited".into(),
            ));
        }
    }
    Ok(out)
}

/// Where the log and the freeze disagree. The freeze is kept in
/// `rls_audit.freeze_state`, whose guard refuses every writer but
/// [`set_freeze`]; a superuser can still get past the guard (an edit of
/// `pg_trigger`), end the freeze without an event, and make changes. The
/// log keeps what the freeze should have been: each `frozen` event holds
/// until the next `unfrozen` one. So these are problems, as a broken link
/// is: the log's newest freeze event says frozen while `freeze_state`
/// holds none; and an event recorded while the log says frozen, without a
/// ticket, that is neither the freeze's own nor `record_untracked()`'s.
pub(crate) fn freeze_problems(c: &SpiClient<'_>) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for r in c.select(
        r#"
SELECT e.id, m.id, m.after ->> 'reason', e.mark_newest AND NOT EXISTS (SELECT FROM rls_audit.freeze_state)
  FROM (SELECT id, change, ticket, command_tag,
               max(id) FILTER (WHERE change IN ('frozen', 'unfrozen')) OVER (ORDER BY id) AS mark,
               id = max(id) FILTER (WHERE change IN ('frozen', 'unfrozen')) OVER () AS mark_newest
          FROM rls_audit.events) e
  JOIN rls_audit.events m ON m.id = e.mark AND m.change = 'frozen'
 WHERE e.mark_newest
    OR (e.change NOT IN ('frozen', 'unfrozen') AND e.ticket IS NULL AND e.command_tag <> 'UNTRACKED')
 ORDER BY e.id"#,
        None,
        &[],
    )? {
        let id = r.get::<i64>(1)?.unwrap_or(0);
        let freeze = r.get::<i64>(2)?.unwrap_or(0);
        let reason = r.get::<String>(3)?.unwrap_or_default();
        if r.get::<bool>(4)?.unwrap_or(false) {
            out.push((
                id,
                format!(
                    "the log says row-level security changes are frozen since this event ({reason}), \
                     but rls_audit.freeze_state holds no freeze: it was ended without unfreeze() \
                     (a write past its guard); SELECT rls_audit.unfreeze() records the end"
                ),
            ));
        } else if id != freeze {
            out.push((
                id,
                format!(
                    "recorded without a ticket while the log says row-level security changes \
                     were frozen (event {freeze}: {reason}): the freeze was not in force"
                ),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn drafts_carry_full_definitions() {
        let p = Policy {
            schema_name: "s".into(),
            table_name: "t".into(),
            policy_name: "p".into(),
            permissive: crate::model::Mode::Permissive,
            command: crate::model::Command::All,
            roles: vec!["app".into()],
            using_expr: Some("true".into()),
            check_expr: None,
        };
        let d = policy_draft(Change::PolicyRemoved, Some(&p), None);
        assert_eq!(d.policy_name.as_deref(), Some("p"));
        let before = d.before.unwrap();
        assert_eq!(before["using_expr"], "true");
        assert_eq!(before["roles"], json!(["app"]));
        assert!(d.after.is_none());
    }
}
