//! The statements of verify_isolation's write probes, run on the shadow
//! table `rls_audit._write_probe` (sql/probe.sql) has set up: "can a
//! statement the role may run, with tenant A's settings, delete, change,
//! move or insert a row of another tenant?" answered by PostgreSQL itself.
//!
//! Each statement runs as the role with A's settings in its own
//! subtransaction that is always rolled back, the way a PL/pgSQL
//! exception block runs it ([`rolled_back`]). Each kind of statement is
//! planned once per tenant (a generic plan, kept for that tenant's
//! statements, so a constant the planner folds from the settings is the
//! tenant's), and the rows a statement touched are counted by a C trigger
//! on the shadow ([`count_touched`]): no row is written anywhere to be
//! read back.
//!
//! The trigger compares the touched rows' tenant column with A by the
//! base type's own equality, called as the role (the current user while
//! the statement runs).
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::panic::AssertUnwindSafe;

use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;

use crate::error::{Result, RlsAuditError};

/// The statement being counted: which table, which column (and, once a
/// row has been counted, how it is compared), which tenant is "own", and
/// how many touched rows were another tenant's so far.
struct Witness {
    /// the shadow, or a real table and its partitions
    tables: Vec<pg_sys::Oid>,
    column: String,
    /// where the column is in each of `tables` counted so far
    resolved: Vec<(pg_sys::Oid, Column)>,
    tenant: CString,
    /// rows of another tenant inserted, updated, deleted
    kinds: [i64; 3],
    /// the relations a TRUNCATE emptied (a statement trigger, on a real
    /// table only: [`run_calls`])
    truncated: Vec<pg_sys::Oid>,
}

thread_local! {
    static WITNESS: RefCell<Option<Witness>> = const { RefCell::new(None) };
}

/// The witness state of one statement loop; the state it replaced (a
/// loop started from inside a statement of another, through a policy's
/// function) comes back however the loop ends.
struct Counting {
    outer: Option<Witness>,
}

impl Counting {
    fn start(tables: Vec<pg_sys::Oid>, column: &str) -> Self {
        let outer = WITNESS.with(|w| {
            w.borrow_mut().replace(Witness {
                tables,
                column: column.to_string(),
                resolved: Vec::new(),
                tenant: CString::default(),
                kinds: [0; 3],
                truncated: Vec::new(),
            })
        });
        Counting { outer }
    }

    /// A new statement as `tenant`: nothing touched yet.
    fn reset(&self, tenant: &CString) {
        WITNESS.with(|w| {
            if let Some(w) = w.borrow_mut().as_mut() {
                w.tenant = tenant.clone();
                w.kinds = [0; 3];
                w.truncated.clear();
            }
        });
    }

    /// Rows of other tenants touched, of every kind.
    fn touched(&self) -> i64 {
        self.wrote().kinds.iter().sum()
    }

    /// What the statement wrote: rows of other tenants inserted, updated,
    /// deleted, and the relations it truncated.
    fn wrote(&self) -> Wrote {
        WITNESS.with(|w| {
            w.borrow().as_ref().map_or(
                Wrote {
                    kinds: [0; 3],
                    truncated: Vec::new(),
                },
                |w| Wrote {
                    kinds: w.kinds,
                    truncated: w.truncated.iter().map(|o| u32::from(*o)).collect(),
                },
            )
        })
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        let outer = self.outer.take();
        WITNESS.with(|w| *w.borrow_mut() = outer);
    }
}

/// The AFTER ROW trigger of the shadow table: counts a touched row when
/// its tenant (old or new) is not the statement's tenant, NULL included.
/// Any failure here is an internal error (XX000): the statement fails,
/// and its check reads ERROR, never "it failed, so it touched nothing".
///
/// # Safety
/// `fcinfo` is the trigger call's, as PostgreSQL passes it.
pub(crate) unsafe fn count_touched(fcinfo: pg_sys::FunctionCallInfo) -> Result<()> {
    // SAFETY: PostgreSQL passes a valid fcinfo; its context is a
    // TriggerData exactly when the function runs as a trigger, checked
    // by its node tag before it is read as one
    let not_ours = || {
        RlsAuditError::Internal(
            "rls_audit._shadow_count() runs only as the write probes' trigger".into(),
        )
    };
    let td = unsafe {
        let ctx = (*fcinfo).context;
        if ctx.is_null() || (*ctx).type_ != pg_sys::NodeTag::T_TriggerData {
            return Err(not_ours());
        }
        ctx as *mut pg_sys::TriggerData
    };
    // SAFETY: td is the valid TriggerData of this call (above)
    let (event, rel) = unsafe { ((*td).tg_event, (*td).tg_relation) };
    // SAFETY: rel is the trigger's open relation
    let relid = unsafe { (*rel).rd_id };
    // the state is read, then let go while the type's functions run (they
    // may run SQL), then counted into
    let (column, resolved, tenant) = WITNESS
        .with(|cell| {
            cell.borrow()
                .as_ref()
                .filter(|w| w.tables.contains(&relid))
                .map(|w| {
                    let at = w.resolved.iter().find(|(r, _)| *r == relid);
                    (w.column.clone(), at.map(|(_, c)| *c), w.tenant.clone())
                })
        })
        .ok_or_else(not_ours)?;
    let op = event & pg_sys::TRIGGER_EVENT_OPMASK;
    let count = |kind: usize| {
        WITNESS.with(|cell| {
            if let Some(w) = cell
                .borrow_mut()
                .as_mut()
                .filter(|w| w.tables.contains(&relid))
            {
                w.kinds[kind] += 1;
            }
        })
    };
    if event & pg_sys::TRIGGER_EVENT_ROW == 0 {
        // a TRUNCATE removes every row of the relation: whose they were
        // is asked once it is rolled back (isolation.rs)
        if op == pg_sys::TRIGGER_EVENT_TRUNCATE {
            WITNESS.with(|cell| {
                if let Some(w) = cell
                    .borrow_mut()
                    .as_mut()
                    .filter(|w| w.tables.contains(&relid) && !w.truncated.contains(&relid))
                {
                    w.truncated.push(relid);
                }
            });
        }
        return Ok(());
    }
    // SAFETY: rel is open, its descriptor valid for the call
    let desc = unsafe { (*rel).rd_att };
    // where the column is and how it compares: looked up at the loop's
    // first counted row of each table (a partition may place it
    // elsewhere), the same for all of its rows
    let col = match resolved {
        Some(col) => col,
        None => {
            let col =
                column_of(desc, &column).map_err(|e| RlsAuditError::Internal(e.to_string()))?;
            WITNESS.with(|cell| {
                if let Some(w) = cell
                    .borrow_mut()
                    .as_mut()
                    .filter(|w| w.tables.contains(&relid))
                {
                    w.resolved.push((relid, col));
                }
            });
            col
        }
    };
    // SAFETY: PostgreSQL sets tg_trigtuple for every row event and
    // tg_newtuple for an UPDATE's; both are heap tuples of `desc`. An
    // ERROR of the type's functions is caught only to be raised again as
    // an internal one, at once
    let foreign = PgTryBuilder::new(AssertUnwindSafe(|| unsafe {
        let f = col.foreign((*td).tg_trigtuple, desc, &tenant)
            || op == pg_sys::TRIGGER_EVENT_UPDATE && col.foreign((*td).tg_newtuple, desc, &tenant);
        Ok(f)
    }))
    .catch_when(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, |e| e.rethrow())
    .catch_others(|e| {
        let what = match &e {
            CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => r.message().to_string(),
            CaughtError::RustPanic { ereport, .. } => ereport.message().to_string(),
        };
        Err(RlsAuditError::Internal(format!(
            "the write probes could not compare a touched row's tenant with {}: {what}",
            tenant.to_string_lossy()
        )))
    })
    .execute()?;
    if foreign {
        count(match op {
            pg_sys::TRIGGER_EVENT_INSERT => 0,
            pg_sys::TRIGGER_EVENT_UPDATE => 1,
            _ => 2,
        });
    }
    Ok(())
}

/// The tenant column of the shadow: where it is and how its values are
/// compared (the base type's equality, with the column's collation; the
/// tenant's text read by the base type's input function).
#[derive(Clone, Copy)]
struct Column {
    attnum: i32,
    collation: pg_sys::Oid,
    eq: pg_sys::Oid,
    input: pg_sys::Oid,
    ioparam: pg_sys::Oid,
}

fn column_of(desc: pg_sys::TupleDesc, name: &str) -> Result<Column> {
    // SAFETY: desc is a valid tuple descriptor; attributes are read
    // within natts
    let found = unsafe {
        (0..(*desc).natts as usize).find_map(|i| {
            let a = crate::heap::attr(desc, i);
            let attname = CStr::from_ptr(a.attname.data.as_ptr());
            (!a.attisdropped && attname.to_bytes() == name.as_bytes()).then_some((
                i as i32 + 1,
                a.atttypid,
                a.attcollation,
            ))
        })
    };
    let Some((attnum, typid, collation)) = found else {
        return Err(RlsAuditError::ObjectState(format!(
            "the table the write probes watch has no column \"{name}\""
        )));
    };
    let (base, eq_opr) = crate::catalog::base_type_equality(typid);
    if eq_opr == pg_sys::InvalidOid {
        return Err(RlsAuditError::ObjectState(format!(
            "the tenant column \"{name}\" has a type without an equality operator"
        )));
    }
    // SAFETY: catalog cache lookups of the base type and its operator;
    // each raises an ERROR for one that is gone, never crashes
    let (eq, input, ioparam) = unsafe {
        let mut input = pg_sys::InvalidOid;
        let mut ioparam = pg_sys::InvalidOid;
        pg_sys::getTypeInputInfo(base, &mut input, &mut ioparam);
        (pg_sys::get_opcode(eq_opr), input, ioparam)
    };
    Ok(Column {
        attnum,
        collation,
        eq,
        input,
        ioparam,
    })
}

impl Column {
    /// Is this row's tenant not `tenant` (NULL counts as another's)?
    ///
    /// # Safety
    /// `tuple` is a valid heap tuple of `desc`.
    unsafe fn foreign(
        &self,
        tuple: *mut pg_sys::HeapTupleData,
        desc: pg_sys::TupleDesc,
        tenant: &CString,
    ) -> bool {
        let mut isnull = false;
        // SAFETY: tuple and desc match (caller); attnum is a column of desc
        let value = unsafe { pg_sys::heap_getattr(tuple, self.attnum, desc, &mut isnull) };
        if isnull {
            return true;
        }
        // SAFETY: the base type's input function on a NUL-terminated
        // string, and its equality on two values of that type; both run
        // as the current user (the role), and raise an ERROR (which fails
        // the statement) rather than return garbage
        unsafe {
            let a = pg_sys::OidInputFunctionCall(
                self.input,
                tenant.as_ptr() as *mut std::ffi::c_char,
                self.ioparam,
                -1,
            );
            let same = pg_sys::OidFunctionCall2Coll(self.eq, self.collation, value, a);
            !bool::from_datum(same, false).unwrap_or(false)
        }
    }
}

/// One write statement's outcome: tenant, check, value, rows of other
/// tenants touched (None when it failed), SQLSTATE, message.
pub(crate) type Statement = (
    String,
    &'static str,
    Option<String>,
    Option<i64>,
    String,
    Option<String>,
);

/// What `_write_probe` hands over once the shadow holds its rows: the
/// statements, the query of the templates and the set-up that follows it.
pub(crate) struct Probe<'a> {
    pub(crate) role: &'a str,
    /// (name, value) pairs set with each tenant's value
    pub(crate) settings: &'a [(String, Option<String>)],
    /// the tenant setting
    pub(crate) setting: &'a str,
    pub(crate) tenants: &'a [String],
    /// tenants the write checks name besides them (`OR (tenant_id = 3 AND
    /// is_public)`), probed or not: each moved to and inserted for too
    pub(crate) targets: &'a [String],
    /// the UPDATE and INSERT statements besides the DELETE; None for the
    /// shadow of a foreign key's referenced table (`_cascade_probe`),
    /// where the DELETE is asked, and `key_update`
    pub(crate) rewrites: Option<Rewrites<'a>>,
    /// on a foreign key's referenced table: the UPDATE (no parameter)
    /// that changes its key to a value no row has, asked as `key_update`
    pub(crate) key_update: Option<&'a str>,
    /// run as the caller once the templates are read: row security, the
    /// policies, the role's privileges, the counting trigger
    pub(crate) setup: &'a [String],
    pub(crate) shadow: pg_sys::Oid,
    pub(crate) column: &'a str,
    /// the screen of the tenants not probed, when there is one: the
    /// SELECT of each row's kind (`i`, `u`), tenant and template tenant
    /// that the role reads there (sql/probe.sql)
    pub(crate) screen: Option<&'a str>,
    /// the values the write policies' checks compare the table's other
    /// columns with, each tried in moves and inserts (sql/probe.sql)
    pub(crate) variants: &'a [Variant],
    /// the values of settings the application sets per request that
    /// reach rows of other tenants the shadow holds by a DELETE or UPDATE
    /// policy's term (sql/probe.sql, kind `claim`)
    pub(crate) claims: &'a [ReachClaim],
    /// a write check's terms of the tenant column by a setting the
    /// application sets per request: each setting with the SQL of the
    /// value that passes a tenant (`rls_audit_row`, a row of the shadow's
    /// type with that tenant in the tenant column; sql/probe.sql, kind
    /// `check claimed`)
    pub(crate) check_claims: &'a [Vec<(String, String)>],
}

/// A value of a setting the application sets per request, by which a
/// tenant's DELETE or UPDATE reaches rows of others (`OR owner_id =
/// current_setting('app.user_id', true)::int`, a row of owner 105): the
/// tenant's DELETE, take-over and moves run again with it set.
pub(crate) struct ReachClaim {
    pub(crate) tenant: String,
    pub(crate) setting: String,
    pub(crate) value: String,
}

/// One value of another column that a write policy's check compares
/// with (`OR kind = 'shared'`, `OR is_public`): the move and the insert
/// that also set that column to it. For a role that may not UPDATE the
/// tenant column, also its UPDATE of the first column it may update, to a
/// value of the copied rows (sql/probe.sql, kind `kept`).
pub(crate) struct Variant {
    /// `UPDATE ... SET col = $1, column = $2` (text); for a role that may
    /// not UPDATE the tenant column, `UPDATE ... SET column = $2`
    pub(crate) update: String,
    /// `INSERT ...` as [`Rewrites::insert`], the column set to $4 (text);
    /// None when the role's INSERTs may not name the column
    pub(crate) insert: Option<String>,
    pub(crate) column: String,
    pub(crate) value: VariantValue,
    /// the other columns the statements set, to constants (None: NULL):
    /// the terms of a conjunction
    pub(crate) also: Vec<(String, Option<String>)>,
}

/// The value a [`Variant`]'s statements set its column to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum VariantValue {
    /// this text (None: NULL)
    Constant(Option<String>),
    /// each tenant's own value, for a column the check compares with the
    /// tenant setting
    Tenant,
    /// the value of this expression (SQL that reads no column) as the role
    /// acting as each tenant: `current_user`, a function of the settings;
    /// not tried for a tenant where it is NULL or fails
    Computed(String),
    /// the first of these candidates that passes a term of the column, by
    /// this SQL (its `$1` a `text[]` of candidates) as the role acting as
    /// each tenant ([`crate::candidates::first_passing`]); not tried for a
    /// tenant where none does. With another setting the term reads and
    /// the values it is given in turn, as `Claimed`
    Searched(String, Vec<String>, Option<(Vec<String>, Vec<String>)>),
    /// the value of this expression (as `Computed`) that reads these other
    /// settings, ones the application sets per request: as it is, else
    /// with one of them given the first of these values that makes it not
    /// NULL; the statements then run with that setting so given too
    Claimed(String, Vec<String>, Vec<String>),
    /// the first row of candidates that passes a term of several columns
    /// (the variant's and those of its `also`, whose values the row gives
    /// too; `with` names them in the row's order)
    Rows(Box<crate::catalog::Rows>),
}

/// A column a [`Variant`]'s statements set and its value (None: NULL).
type Set = (String, Option<String>);

/// Another setting a [`Variant`]'s statements run with (VariantValue::
/// Claimed), and its value.
type Claim = (CString, CString);

/// A claimed setting in a write outcome's note ([`VARIANT`]), its last
/// element: `{"setting": …, "value": …}` (read by verdict's `claim_of`).
fn claim_json((name, given): &Claim) -> serde_json::Value {
    serde_json::json!({
        "setting": name.to_string_lossy(),
        "value": given.to_string_lossy(),
    })
}

/// The note on a write outcome of a [`Variant`]'s statement: this prefix
/// and the JSON array `[column, value, column, value, ...]`: the variant's
/// column and value first, then those set with it.
pub(crate) const VARIANT: &str = "also setting ";

/// The statements of the tenant column's own write probes.
#[derive(Clone, Copy)]
pub(crate) struct Rewrites<'a> {
    /// `UPDATE ... SET col = $1` (text)
    pub(crate) update: &'a str,
    /// `INSERT ...`: the value $1 and the template's tenant $2 (text), the
    /// templates $3 (an array of the shadow's rows)
    pub(crate) insert: &'a str,
    /// the templates' query: the first row of each tenant in $1 (text[])
    pub(crate) templates: &'a str,
}

/// A probe argument as a C string (a NUL byte is bad input).
fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| {
        RlsAuditError::InvalidParameter("a write probe argument contains a NUL byte".into())
    })
}

/// Whom a probe's statements run as: the role, its settings, the tenant
/// setting.
struct Acting {
    who: &'static CStr,
    role: CString,
    settings: Vec<(CString, Option<CString>)>,
    setting: CString,
}

impl Acting {
    fn new(role: &str, settings: &[(String, Option<String>)], setting: &str) -> Result<Self> {
        // as _probe takes the role: SET LOCAL SESSION AUTHORIZATION where
        // the caller may (a superuser who has not SET ROLE), so that
        // session_user is the role too; else SET LOCAL ROLE
        // SAFETY: reads this backend's user state
        let who = if unsafe {
            let session = pg_sys::GetSessionUserId();
            pg_sys::GetUserId() == session
                && pg_sys::GetCurrentRoleId() == pg_sys::InvalidOid
                && pg_sys::superuser_arg(session)
        } {
            c"session_authorization"
        } else {
            c"role"
        };
        Ok(Acting {
            who,
            role: cstring(role)?,
            settings: settings
                .iter()
                .map(|(k, v)| Ok((cstring(k)?, v.as_deref().map(cstring).transpose()?)))
                .collect::<Result<Vec<_>>>()?,
            setting: cstring(setting)?,
        })
    }

    /// Become the role with the tenant's settings (and, `read_only`, in
    /// a read-only transaction) until the subtransaction ends.
    ///
    /// # Safety
    /// Inside a subtransaction that is rolled back: the settings are
    /// PostgreSQL's own set_config(..., true), undone by the rollback.
    unsafe fn take(&self, tenant: &CStr, read_only: bool) {
        // SAFETY: as above
        unsafe {
            set_local(self.who, Some(&self.role));
            for (k, v) in &self.settings {
                set_local(k, v.as_deref());
            }
            set_local(&self.setting, Some(tenant));
            if read_only {
                set_local(c"transaction_read_only", Some(c"on"));
            }
        }
    }
}

/// One call of a SECURITY DEFINER function that may write a probed table:
/// as which tenant (an index into the tenants), the statement (its
/// arguments `$1::type` …, every name schema-qualified), and the
/// arguments' text (None: NULL).
pub(crate) struct Call {
    pub(crate) tenant: usize,
    pub(crate) sql: String,
    pub(crate) args: Vec<Option<String>>,
}

/// What `run_calls` needs: whom to act as, the real table watched (with
/// its partitions), the tenant column, the calls.
pub(crate) struct Calls<'a> {
    pub(crate) role: &'a str,
    pub(crate) settings: &'a [(String, Option<String>)],
    pub(crate) setting: &'a str,
    pub(crate) tenants: &'a [String],
    pub(crate) tables: Vec<pg_sys::Oid>,
    pub(crate) column: &'a str,
    pub(crate) calls: &'a [Call],
}

/// What a call wrote: the rows of other tenants it inserted, updated and
/// deleted, and the relations it truncated (their OIDs).
#[derive(Debug, Clone)]
pub(crate) struct Wrote {
    pub(crate) kinds: [i64; 3],
    pub(crate) truncated: Vec<u32>,
}

/// Per call: what it wrote (a call that failed: its SQLSTATE and message).
pub(crate) type CallOutcome = std::result::Result<Wrote, (String, String)>;

/// The definer write probe: the real table watched by the counting
/// trigger ([`watch`], waiting 1 s at most for its lock), then each call
/// as the role with its tenant's settings, each in its own
/// subtransaction, and all of it rolled back: no row the calls wrote, and
/// no trigger, is left. The counts are of what PostgreSQL really did (an
/// AFTER ROW trigger fires for a row written, not one refused). Triggers
/// fire only while session_replication_role is origin (or local): it is
/// set so for the calls, whatever the caller's session set (only a
/// superuser can have set it). Err: the table could not be watched (why).
pub(crate) fn run_calls(
    p: &Calls<'_>,
) -> Result<std::result::Result<Vec<CallOutcome>, (String, String)>> {
    let acting = Acting::new(p.role, p.settings, p.setting)?;
    let tenants_c = p
        .tenants
        .iter()
        .map(|t| cstring(t))
        .collect::<Result<Vec<_>>>()?;
    let calls = p
        .calls
        .iter()
        .map(|c| {
            Ok((
                c.tenant,
                cstring(&c.sql)?,
                c.args
                    .iter()
                    .map(|a| a.as_deref().map(cstring).transpose())
                    .collect::<Result<Vec<_>>>()?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Spi::connect(|_| {
        rolled_back(|| {
            // SAFETY: SPI is connected; as the caller, inside the
            // subtransaction rolled_back ends; an ERROR leaves through it
            unsafe {
                set_local(c"lock_timeout", Some(c"1s"));
                // (set only when it is not: only a superuser may set it)
                if pg_sys::SessionReplicationRole
                    != pg_sys::SESSION_REPLICATION_ROLE_ORIGIN as core::ffi::c_int
                {
                    set_local(c"session_replication_role", Some(c"origin"));
                }
                watch(&p.tables);
            }
            let counting = Counting::start(p.tables.clone(), p.column);
            calls
                .iter()
                .map(|(i, sql, args)| {
                    counting.reset(&tenants_c[*i]);
                    rolled_back(|| {
                        // SAFETY: inside this subtransaction; SPI is
                        // connected, the statement's parameters are text
                        unsafe {
                            acting.take(&tenants_c[*i], false);
                            execute_text(sql, args);
                        }
                        counting.wrote()
                    })
                })
                .collect::<Vec<_>>()
        })
    }))
}

/// Put the counting trigger on each of `tables` (a table, or a
/// partitioned table and its partitions): AFTER ROW on INSERT, UPDATE and
/// DELETE where rows are stored, AFTER TRUNCATE on each. The triggers are
/// internal ones, made the way PostgreSQL makes a foreign key's: no
/// TRIGGER privilege is asked of the caller (who may SET ROLE to the role
/// whose calls they watch), no event trigger fires, and they live only in
/// the subtransaction that is rolled back around the calls.
///
/// # Safety
/// SPI is connected; inside a subtransaction that is rolled back; an
/// ERROR (a lock not granted in time) leaves through it.
unsafe fn watch(tables: &[pg_sys::Oid]) {
    // SAFETY: catalog lookups and CreateTrigger on palloc'd nodes, as
    // copy_row_triggers does; each raises an ERROR rather than crash
    unsafe {
        let function = select_text(
            c"SELECT 'rls_audit._shadow_count()'::pg_catalog.regprocedure::pg_catalog.oid::pg_catalog.text",
            1,
        )
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|o| o.parse::<u32>().ok())
        .map_or(pg_sys::InvalidOid, pg_sys::Oid::from);
        if function == pg_sys::InvalidOid {
            pgrx::error!("rls_audit._shadow_count() is missing");
        }
        for &rel in tables {
            let relkind = pg_sys::get_rel_relkind(rel) as u8;
            for (name, row, events) in [
                (
                    c"rls_audit witness",
                    true,
                    pg_sys::TRIGGER_TYPE_INSERT
                        | pg_sys::TRIGGER_TYPE_UPDATE
                        | pg_sys::TRIGGER_TYPE_DELETE,
                ),
                (
                    c"rls_audit witness truncate",
                    false,
                    pg_sys::TRIGGER_TYPE_TRUNCATE,
                ),
            ] {
                // (a partitioned table stores no row: its partitions do)
                if row && relkind == pg_sys::RELKIND_PARTITIONED_TABLE {
                    continue;
                }
                let stmt = pg_sys::palloc0(std::mem::size_of::<pg_sys::CreateTrigStmt>())
                    as *mut pg_sys::CreateTrigStmt;
                (*stmt).type_ = pg_sys::NodeTag::T_CreateTrigStmt;
                (*stmt).trigname = pg_sys::pstrdup(name.as_ptr());
                (*stmt).relation = pg_sys::makeRangeVar(
                    pg_sys::get_namespace_name(pg_sys::get_rel_namespace(rel)),
                    pg_sys::get_rel_name(rel),
                    -1,
                );
                (*stmt).row = row;
                (*stmt).timing = pg_sys::TRIGGER_TYPE_AFTER as i16;
                (*stmt).events = events as i16;
                pg_sys::CreateTrigger(
                    stmt,
                    c"".as_ptr(),
                    rel,
                    pg_sys::InvalidOid,
                    pg_sys::InvalidOid,
                    pg_sys::InvalidOid,
                    function,
                    pg_sys::InvalidOid,
                    std::ptr::null_mut(),
                    true,
                    false,
                );
            }
        }
        pg_sys::CommandCounterIncrement();
    }
}

/// Run `sql` with text parameters (None: NULL).
///
/// # Safety
/// SPI is connected.
unsafe fn execute_text(sql: &CStr, args: &[Option<CString>]) {
    let mut types = vec![pg_sys::TEXTOID; args.len()];
    let mut values: Vec<pg_sys::Datum> = args
        .iter()
        .map(|a| {
            // SAFETY: cstring_to_text copies into a palloc'd text
            a.as_ref().map_or(pg_sys::Datum::from(0usize), |a| {
                pg_sys::Datum::from(unsafe { pg_sys::cstring_to_text(a.as_ptr()) })
            })
        })
        .collect();
    let nulls: Vec<std::ffi::c_char> = args
        .iter()
        .map(|a| if a.is_some() { b' ' } else { b'n' } as std::ffi::c_char)
        .collect();
    // SAFETY: a NUL-terminated statement, its parameters' types, values
    // and nulls of the same length; an ERROR leaves through the caller's
    // subtransaction
    unsafe {
        pg_sys::SPI_execute_with_args(
            sql.as_ptr(),
            args.len() as i32,
            types.as_mut_ptr(),
            values.as_mut_ptr(),
            nulls.as_ptr(),
            false,
            0,
        );
    }
}

/// The statements of `_write_probe`, run on `pg_temp.rls_audit_shadow` as
/// the role with its settings and the tenant setting = each tenant: for
/// each tenant A, `DELETE`, `update` with A (take-over) and with each
/// other tenant X (move), and `insert` of each tenant's template row
/// relabelled X.
pub(crate) fn run_statements(p: &Probe<'_>) -> Result<Vec<Statement>> {
    let Probe {
        role,
        settings,
        setting,
        tenants,
        targets,
        rewrites,
        key_update,
        setup,
        shadow,
        column,
        screen,
        variants,
        claims: reach_claims,
        check_claims,
    } = *p;
    let acting = Acting::new(role, settings, setting)?;
    // the tenants rows are moved to and inserted for: the probed ones,
    // then those the checks name
    let reach: Vec<String> = tenants
        .iter()
        .chain(targets.iter().filter(|t| !tenants.contains(t)))
        .cloned()
        .collect();
    let tenants_c = tenants
        .iter()
        .map(|t| cstring(t))
        .collect::<Result<Vec<_>>>()?;
    let delete = c"DELETE FROM pg_temp.rls_audit_shadow";
    // the shadow's rows of one tenant, by the text of its value
    let own_rows = cstring(&format!(
        "DELETE FROM pg_temp.rls_audit_shadow WHERE {}::pg_catalog.text OPERATOR(pg_catalog.=) $1",
        crate::ident::quote_ident(column)
    ))?;
    let rewrites = rewrites
        .map(|r| -> Result<_> {
            Ok((
                cstring(r.update)?,
                cstring(r.insert)?,
                cstring(r.templates)?,
            ))
        })
        .transpose()?;
    let setup = setup
        .iter()
        .map(|s| cstring(s))
        .collect::<Result<Vec<_>>>()?;
    // the templates outlive the SPI calls: they are copied here
    // SAFETY: the context current at the call, valid until it returns
    let outer = unsafe { pg_sys::CurrentMemoryContext };

    // the screen's query, when _write_probe made one
    let screen = screen.map(cstring).transpose()?;
    let key_update = key_update.map(cstring).transpose()?;
    // each variant's statements (the same text for the values of one
    // column: planned once per tenant), its value and its column
    let variants = variants
        .iter()
        .map(|v| -> Result<_> {
            Ok((
                cstring(&v.update)?,
                v.insert.as_deref().map(cstring).transpose()?,
                &v.value,
                v.column.as_str(),
                &v.also,
            ))
        })
        .collect::<Result<Vec<_>>>()?;

    Spi::connect(|_| -> Result<Vec<Statement>> {
        // SAFETY: SPI is connected for this closure; every statement runs
        // as the caller (names all schema-qualified); the plans are freed
        // with the connection
        let (rows, rows_type) = match &rewrites {
            Some((_, _, templates)) => unsafe { read_templates(templates, tenants, outer)? },
            None => (pg_sys::Datum::from(0usize), pg_sys::InvalidOid),
        };
        // each tenant X rows are moved to and inserted for (and up to 3
        // of the tenants not probed the shadow holds a row of, read before
        // it has row security), with the value of each setting a write
        // check compares the tenant column with that passes X (the
        // claim's SQL on a row of X's, read as the caller)
        let mut check_values: Vec<(String, Claim)> = Vec::new();
        if rewrites.is_some() && !check_claims.is_empty() {
            let others = cstring(&format!(
                "SELECT DISTINCT t.{col}::pg_catalog.text FROM pg_temp.rls_audit_shadow t
                  WHERE t.{col} IS NOT NULL
                    AND (t.{col}::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1)) IS NOT TRUE
                  ORDER BY 1 LIMIT 3",
                col = crate::ident::quote_ident(column)
            ))?;
            // SAFETY: SPI is connected; a plain SELECT of the shadow, as
            // the caller
            let others = rolled_back(|| unsafe { select_text_over(&others, &reach) })
                .unwrap_or_default()
                .into_iter()
                .filter_map(|mut r| r.pop().flatten());
            let xs: Vec<String> = reach.iter().cloned().chain(others).collect();
            // (a row of the shadow's type with X in the tenant column,
            // read into its type: the claim's SQL may compare it with a
            // sub-select's column, `org_id = rls_audit_row.tenant_id`)
            for (setting, sql) in check_claims.iter().flatten() {
                let sql = cstring(&format!(
                    "SELECT ({sql})::pg_catalog.text
                       FROM pg_catalog.json_populate_record(NULL::pg_temp.rls_audit_shadow,
                                pg_catalog.json_build_object({}, $1[1])) rls_audit_row",
                    crate::ident::quote_literal(column)
                ))?;
                for x in &xs {
                    let value = rolled_back(|| {
                        // SAFETY: SPI is connected; a SELECT of rls_audit's
                        // own expression of one text
                        unsafe { select_text_over(&sql, std::slice::from_ref(x)) }
                    });
                    if let Some(value) = value
                        .ok()
                        .and_then(|rows| rows.into_iter().next()?.into_iter().next()?)
                        // (several settings at once, one of them NULL: none)
                        .filter(|v| !crate::catalog::claim_sets(setting, v).is_empty())
                    {
                        check_values.push((x.clone(), (cstring(setting)?, cstring(&value)?)));
                    }
                }
            }
        }
        for s in &setup {
            // SAFETY: as above; an ERROR fails the whole write probe
            unsafe { run_utility(s) };
        }
        let counting = Counting::start(vec![shadow], column);
        let mut out = Vec::new();
        // as the role with A's settings, in a rolled-back subtransaction;
        // read-only: the shadow is a temporary table, which PostgreSQL
        // still writes, while a trigger of the table that would write
        // elsewhere or advance a sequence (which no rollback undoes) is
        // refused (25006)
        let as_tenant = |i: usize, f: &mut dyn FnMut()| {
            // SAFETY: inside the subtransaction (the callers below)
            unsafe { acting.take(&tenants_c[i], true) };
            f();
        };
        for (i, a) in tenants.iter().enumerate() {
            // planned afresh for each tenant, under its settings: the
            // planner folds an IMMUTABLE function (one that reads the
            // tenant setting though it should not) to the value it has
            // then, as it does for the application's own statement
            // SAFETY: SPI is connected; the plans are freed below
            let mut plans = vec![unsafe { prepare(delete, &[]) }];
            // (check, plan, value, template tenant, variant): what an
            // application could run as A
            let mut stmts: Vec<Stmt> = vec![("tenant_delete", 0, None, None, None, None)];
            // each variant's value as A (None: not tried), and the other
            // setting its statements run with (VariantValue::Claimed)
            let mut values: Vec<Option<Option<CString>>> = Vec::new();
            let mut claims: Vec<Option<Claim>> = Vec::new();
            // (a term of several columns: the values of the others its
            // statements set, in their `also` order, from the row found)
            let mut extras: Vec<Vec<Option<CString>>> = Vec::new();
            let mut sets: Vec<Option<Vec<Set>>> = Vec::new();
            if let Some(update) = &key_update {
                stmts.push(("key_update", plans.len(), None, None, None, None));
                // SAFETY: as above
                plans.push(unsafe { prepare(update, &[]) });
            }
            if let Some((update, insert, _)) = &rewrites {
                // SAFETY: as above
                unsafe {
                    plans.push(prepare(update, &[pg_sys::TEXTOID]));
                    plans.push(prepare(
                        insert,
                        &[pg_sys::TEXTOID, pg_sys::TEXTOID, rows_type],
                    ));
                }
                stmts.push(("tenant_update", 1, Some(a.clone()), None, None, None));
                for other in reach.iter().filter(|x| *x != a) {
                    stmts.push(("tenant_update", 1, Some(other.clone()), None, None, None));
                    for from in tenants {
                        stmts.push((
                            "tenant_insert",
                            2,
                            Some(other.clone()),
                            Some(from.clone()),
                            None,
                            None,
                        ));
                    }
                }
                // each variant: the take-over and the moves, and the
                // inserts, that also set its column to its value
                let mut planned: Vec<(usize, Option<usize>)> = Vec::new();
                // an expression's value as A, under rls_audit's own
                // search_path (its names are qualified for it); None when
                // it fails or is NULL. With candidates: its `$1`, the first
                // that passes, over slices of them when the term raises an
                // error on one. With another setting it reads: as the
                // setting is, else given each value in turn (the first that
                // gives a value, and that setting's value)
                let evaluate = |sql: &str,
                                candidates: Option<&[String]>,
                                claim: Option<(&[String], &[String])>|
                 -> Result<Option<(CString, Option<Claim>)>> {
                    let sql = cstring(&format!("SELECT ({sql})::pg_catalog.text"))?;
                    // (as the settings are, then each setting given each
                    // value)
                    let mut tries: Vec<Option<Claim>> = vec![None];
                    if let Some((settings, givens)) = claim {
                        for setting in settings {
                            for given in givens {
                                tries.push(Some((cstring(setting)?, cstring(given)?)));
                            }
                        }
                        // (a term of several such settings, `owner_id =
                        // app.user_id AND project_id = app.project_id`:
                        // then each value given to all of them at once)
                        let several = crate::catalog::SEVERAL;
                        if settings.len() > 1 && !settings.iter().any(|s| s == several) {
                            for given in givens {
                                let all = crate::catalog::several_value(
                                    settings.iter().map(|s| (s.as_str(), given.as_str())),
                                );
                                tries.push(Some((cstring(several)?, cstring(&all)?)));
                            }
                        }
                    }
                    for given in tries {
                        let run = |candidates: Option<&[String]>| {
                            rolled_back(|| {
                                let mut rows = Vec::new();
                                as_tenant(i, &mut || {
                                    // SAFETY: inside the subtransaction; a
                                    // SELECT of an expression PostgreSQL
                                    // printed; the other setting a
                                    // placeholder one (a dot in it)
                                    rows = unsafe {
                                        set_local(c"search_path", Some(c"pg_catalog, pg_temp"));
                                        if let Some((name, g)) = &given {
                                            set_claim(name, g);
                                        }
                                        match candidates {
                                            None => select_text(&sql, 1),
                                            Some(c) => select_text_over(&sql, c),
                                        }
                                    }
                                });
                                rows
                            })
                            .map(|rows| {
                                rows.into_iter().next().and_then(|r| r.into_iter().next()?)
                            })
                        };
                        let found = match candidates {
                            None => run(None).ok().flatten(),
                            Some(all) => {
                                let mut budget = crate::candidates::SEARCH_RUNS;
                                crate::candidates::first_passing(all, &mut budget, &mut |slice| {
                                    run(Some(slice))
                                })
                            }
                        };
                        if let Some(v) = found.and_then(|v| cstring(&v).ok()) {
                            return Ok(Some((v, given)));
                        }
                    }
                    Ok(None)
                };
                for (k, (_, _, value, _, also)) in variants.iter().enumerate() {
                    let mut claim = None;
                    let mut extra = Vec::new();
                    let v = match value {
                        VariantValue::Constant(v) => Some(v.as_deref().map(cstring).transpose()?),
                        VariantValue::Tenant => Some(Some(tenants_c[i].clone())),
                        // (an expression another variant evaluated already:
                        // its value)
                        VariantValue::Computed(_)
                        | VariantValue::Searched(..)
                        | VariantValue::Claimed(..)
                        | VariantValue::Rows(_) => {
                            match (0..k).find(|j| variants[*j].2 == *value) {
                                Some(j) => {
                                    claim = claims[j].clone();
                                    extra = extras[j].clone();
                                    values[j].clone()
                                }
                                None => {
                                    let found = match value {
                                        VariantValue::Computed(sql) => evaluate(sql, None, None)?,
                                        VariantValue::Searched(sql, candidates, claimed) => {
                                            evaluate(
                                                sql,
                                                Some(candidates),
                                                claimed
                                                    .as_ref()
                                                    .map(|(s, g)| (s.as_slice(), g.as_slice())),
                                            )?
                                        }
                                        VariantValue::Claimed(sql, settings, givens) => {
                                            evaluate(sql, None, Some((settings, givens)))?
                                        }
                                        // (rows whose tenant, when the term
                                        // reads it, is each other tenant)
                                        VariantValue::Rows(search) => {
                                            let others: Vec<String> =
                                                reach.iter().filter(|x| *x != a).cloned().collect();
                                            let rows = crate::candidates::rows(
                                                &search.candidates,
                                                search.tenant.then_some(others.as_slice()),
                                                search.most,
                                            );
                                            evaluate(
                                                &search.sql,
                                                Some(&rows),
                                                search
                                                    .claimed
                                                    .as_ref()
                                                    .map(|(s, g)| (s.as_slice(), g.as_slice())),
                                            )?
                                        }
                                        _ => None,
                                    };
                                    match (found, value) {
                                        // (the row found: the variant's
                                        // column's value first, then those
                                        // of `with`)
                                        (Some((row, given)), VariantValue::Rows(search)) => {
                                            let row: Vec<Option<String>> =
                                                serde_json::from_slice(row.as_bytes())
                                                    .unwrap_or_default();
                                            let of = |i: usize| -> Result<Option<CString>> {
                                                row.get(i)
                                                    .cloned()
                                                    .flatten()
                                                    .map(|v| cstring(&v))
                                                    .transpose()
                                            };
                                            let main = of(0)?;
                                            for (c, _) in also.iter() {
                                                extra.push(
                                                    match search.with.iter().position(|w| w == c) {
                                                        Some(p) => of(p + 1)?,
                                                        None => None,
                                                    },
                                                );
                                            }
                                            claim = given;
                                            main.map(Some)
                                        }
                                        (found, _) => found.map(|(v, given)| {
                                            claim = given;
                                            Some(v)
                                        }),
                                    }
                                }
                            }
                        }
                    };
                    values.push(v);
                    claims.push(claim);
                    extras.push(extra);
                }
                // (the columns each sets, and their values, that of its own
                // column first; a set of values an earlier variant already
                // sets, a sub-select's value also read from its table, a
                // conjunction's values also found by a search of its
                // columns: tried once)
                sets = (0..values.len())
                    .map(|k| {
                        let (_, _, _, column, also) = &variants[k];
                        let text = |v: &Option<CString>| {
                            v.as_ref().map(|v| v.to_string_lossy().into_owned())
                        };
                        let mut set = vec![(column.to_string(), text(values[k].as_ref()?))];
                        for (i, (c, v)) in also.iter().enumerate() {
                            let v = match extras[k].get(i) {
                                Some(found) => text(found),
                                None => v.clone(),
                            };
                            set.push((c.clone(), v));
                        }
                        Some(set)
                    })
                    .collect();
                for k in 0..values.len() {
                    let sorted = |j: usize| {
                        let mut set = sets[j].clone();
                        if let Some(set) = set.as_mut() {
                            set.sort();
                        }
                        set
                    };
                    if sets[k].is_some()
                        && (0..k).any(|j| {
                            values[j].is_some() && sorted(j) == sorted(k) && claims[j] == claims[k]
                        })
                    {
                        values[k] = None;
                    }
                }
                for (k, (update, insert, _, _, _)) in variants.iter().enumerate() {
                    // (an expression NULL or failing as A, or a value
                    // tried already: nothing to set)
                    if values[k].is_none() {
                        planned.push((0, None));
                        continue;
                    }
                    // (the values of one column share its statements)
                    let (up, ins) =
                        match (0..k).find(|j| variants[*j].0 == *update && values[*j].is_some()) {
                            Some(j) => planned[j],
                            None => {
                                // (and a text for each column set with it
                                // from the row found)
                                let more = vec![pg_sys::TEXTOID; extras[k].len()];
                                // SAFETY: as above
                                plans.push(unsafe {
                                    prepare(
                                        update,
                                        &[&[pg_sys::TEXTOID, pg_sys::TEXTOID], more.as_slice()]
                                            .concat(),
                                    )
                                });
                                let up = plans.len() - 1;
                                let ins = insert.as_ref().map(|insert| {
                                    // SAFETY: as above
                                    plans.push(unsafe {
                                        prepare(
                                            insert,
                                            &[
                                                &[
                                                    pg_sys::TEXTOID,
                                                    pg_sys::TEXTOID,
                                                    rows_type,
                                                    pg_sys::TEXTOID,
                                                ],
                                                more.as_slice(),
                                            ]
                                            .concat(),
                                        )
                                    });
                                    plans.len() - 1
                                });
                                (up, ins)
                            }
                        };
                    planned.push((up, ins));
                    for x in &reach {
                        stmts.push(("tenant_update", up, Some(x.clone()), None, Some(k), None));
                    }
                    if let Some(ins) = ins {
                        for other in reach.iter().filter(|x| *x != a) {
                            for from in tenants {
                                stmts.push((
                                    "tenant_insert",
                                    ins,
                                    Some(other.clone()),
                                    Some(from.clone()),
                                    Some(k),
                                    None,
                                ));
                            }
                        }
                    }
                }
            }
            // the DELETE, the take-over and the moves again with each value
            // of a setting the application sets per request that reaches
            // rows of others the shadow holds (a placeholder setting: a dot
            // in its name)
            let mut claimed: Vec<Claim> = Vec::new();
            for c in reach_claims.iter().filter(|c| c.tenant == *a) {
                let claim = (cstring(&c.setting)?, cstring(&c.value)?);
                if claimed.contains(&claim) {
                    continue;
                }
                claimed.push(claim);
                let n = claimed.len() - 1;
                stmts.push(("tenant_delete", 0, None, None, None, Some(n)));
                if rewrites.is_some() {
                    stmts.push(("tenant_update", 1, Some(a.clone()), None, None, Some(n)));
                    for x in reach.iter().filter(|x| *x != a) {
                        stmts.push(("tenant_update", 1, Some(x.clone()), None, None, Some(n)));
                    }
                }
            }
            // the moves to and the inserts for each other tenant X again
            // with each setting a check compares the tenant column with
            // given X's value of it
            if rewrites.is_some() {
                for (x, claim) in check_values.iter().filter(|(x, _)| x != a) {
                    let n = match claimed.iter().position(|c| c == claim) {
                        Some(n) => n,
                        None => {
                            claimed.push(claim.clone());
                            claimed.len() - 1
                        }
                    };
                    stmts.push(("tenant_update", 1, Some(x.clone()), None, None, Some(n)));
                    for from in tenants {
                        stmts.push((
                            "tenant_insert",
                            2,
                            Some(x.clone()),
                            Some(from.clone()),
                            None,
                            Some(n),
                        ));
                    }
                }
            }
            // the tenants not probed that the screen lets through, each
            // tried with the real statement: the verdict rests on what
            // PostgreSQL does, the screen only says where to look
            if let Some(sql) = screen.as_ref().filter(|_| rewrites.is_some()) {
                let seen = rolled_back(|| {
                    let mut found = Vec::new();
                    // SAFETY: SPI is connected; a plain SELECT, every name
                    // in it schema-qualified (it is parsed as the role)
                    as_tenant(i, &mut || found = unsafe { select_text(sql, 3) });
                    found
                });
                let mut inserts = std::collections::BTreeSet::new();
                let mut moves = std::collections::BTreeSet::new();
                for row in seen.as_ref().map(Vec::as_slice).unwrap_or_default() {
                    if let [Some(kind), Some(value), Some(from)] = row.as_slice() {
                        if kind == "i" {
                            inserts.insert((value.clone(), from.clone()));
                        } else {
                            moves.insert(value.clone());
                        }
                    }
                }
                let insert_values: std::collections::BTreeSet<&String> =
                    inserts.iter().map(|(v, _)| v).collect();
                for (check, n) in [
                    ("tenant_insert", insert_values.len()),
                    ("tenant_update", moves.len()),
                ] {
                    out.push(match &seen {
                        Ok(_) => (
                            a.clone(),
                            "screened",
                            Some(check.into()),
                            Some(n as i64),
                            "00000".into(),
                            None,
                        ),
                        Err((state, message)) => (
                            a.clone(),
                            "screened",
                            Some(check.into()),
                            None,
                            state.clone(),
                            Some(message.clone()),
                        ),
                    });
                }
                // (not a tenant the checks name: tried above already)
                for v in moves
                    .into_iter()
                    .filter(|v| !reach.contains(v))
                    .take(SCREEN_TRIED)
                {
                    stmts.push(("tenant_update", 1, Some(v), None, None, None));
                }
                for (v, from) in inserts
                    .into_iter()
                    .filter(|(v, _)| !reach.contains(v))
                    .take(SCREEN_TRIED)
                {
                    stmts.push(("tenant_insert", 2, Some(v), Some(from), None, None));
                }
            }
            let mut update_sees_none = false;
            for (check, plan, value, from, variant, reached) in stmts {
                counting.reset(&tenants_c[i]);
                let mut args = Vec::new();
                for v in [&value, &from].into_iter().flatten() {
                    let v = cstring(v)?;
                    // SAFETY: cstring_to_text copies into a palloc'd text
                    args.push(Some(pg_sys::Datum::from(unsafe {
                        pg_sys::cstring_to_text(v.as_ptr())
                    })));
                }
                if check == "tenant_insert" {
                    args.push(Some(rows));
                }
                // a variant's value (the tenant's own, for a column compared
                // with the setting) and the note that says so; the other
                // setting its statement runs with, last in the note
                let claim = variant
                    .and_then(|k| claims.get(k)?.clone())
                    .or_else(|| claimed.get(reached?).cloned());
                let extra = variant
                    .and_then(|k| extras.get(k))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let variant = variant
                    .and_then(|k| Some((sets.get(k)?.as_ref()?, values.get(k)?.clone()?)))
                    .map(|(columns, v)| {
                        let mut set = Vec::new();
                        for (c, v) in columns {
                            set.extend([serde_json::json!(c), serde_json::json!(v)]);
                        }
                        if let Some(claim) = &claim {
                            set.push(claim_json(claim));
                        }
                        let note = format!("{VARIANT}{}", serde_json::Value::Array(set));
                        (v, note)
                    });
                if let Some((v, _)) = &variant {
                    for v in std::iter::once(v).chain(extra) {
                        // SAFETY: cstring_to_text copies into a palloc'd text
                        args.push(v.as_ref().map(|v| {
                            pg_sys::Datum::from(unsafe { pg_sys::cstring_to_text(v.as_ptr()) })
                        }));
                    }
                }
                // (the note: a variant's, else the claimed setting's alone)
                let note = match (&variant, reached.and(claim.as_ref())) {
                    (Some((_, note)), _) => Some(note.clone()),
                    (None, Some(claim)) => Some(format!(
                        "{VARIANT}{}",
                        serde_json::json!([claim_json(claim)])
                    )),
                    (None, None) => None,
                };
                let outcome = rolled_back(|| {
                    // SAFETY: SPI is connected; the plan's parameters; the
                    // claimed setting a placeholder one, set in the
                    // subtransaction
                    as_tenant(i, &mut || unsafe {
                        if let Some((name, given)) = &claim {
                            set_claim(name, given);
                        }
                        execute(plans[plan], &mut args)
                    });
                    counting.touched()
                });
                // a DELETE or UPDATE with no WHERE that fails for A's own
                // rows (a check they fail, a trigger that refuses them)
                // may still reach the other tenants' rows once A's own are
                // gone: a new tenant has none, and A may target the others
                // or delete its own first. Asked again, A's rows deleted
                // from the shadow first (as the caller).
                // (a take-over, `SET col = A`, that went through and
                // touched no other tenant's row says the UPDATE policies
                // show it none: a move then reaches none either)
                if plan == 1 && value.as_deref() == Some(a.as_str()) && reached.is_none() {
                    update_sees_none = matches!(outcome, Ok(0));
                }
                // (a variant's statement is asked as it is: what it adds
                // is its value passing a check)
                let alone = if outcome.is_err()
                    && check != "tenant_insert"
                    && variant.is_none()
                    && !(plan == 1 && update_sees_none && reached.is_none())
                {
                    let own = own_rows.as_ref();
                    let tenant = &tenants_c[i];
                    rolled_back(|| {
                        // SAFETY: SPI is connected; a DELETE of the
                        // shadow's rows of A (its text = A), as the caller
                        unsafe { delete_own(own, tenant) };
                        counting.reset(tenant);
                        // SAFETY: as above; the claimed setting as above
                        as_tenant(i, &mut || unsafe {
                            if let Some((name, given)) = &claim {
                                set_claim(name, given);
                            }
                            execute(plans[plan], &mut args)
                        });
                        counting.touched()
                    })
                    .ok()
                    .filter(|n| *n > 0)
                } else {
                    None
                };
                out.push(match (outcome, alone) {
                    (_, Some(n)) => (
                        a.clone(),
                        check,
                        value,
                        Some(n),
                        "00000".into(),
                        // (and the claimed setting it ran with, if any)
                        Some(match reached.and(claim.as_ref()) {
                            None => WITHOUT_OWN_ROWS.into(),
                            Some(claim) => {
                                let mut claim = claim_json(claim);
                                claim[WITHOUT_OWN_ROWS] = serde_json::Value::Bool(true);
                                format!("{VARIANT}{}", serde_json::json!([claim]))
                            }
                        }),
                    ),
                    (Ok(n), None) => (a.clone(), check, value, Some(n), "00000".into(), note),
                    (Err((state, message)), None) => {
                        (a.clone(), check, value, None, state, Some(message))
                    }
                });
            }
            for plan in plans {
                // SAFETY: prepared above, used no more
                unsafe { pg_sys::SPI_freeplan(plan) };
            }
        }
        Ok(out)
    })
}

/// The templates: `sql` run with the tenants as $1, its one value (an
/// array of the shadow's rows) copied into `outer`, and its type.
///
/// # Safety
/// SPI is connected; `outer` outlives the statements that use the value.
unsafe fn read_templates(
    sql: &CStr,
    tenants: &[String],
    outer: pg_sys::MemoryContext,
) -> Result<(pg_sys::Datum, pg_sys::Oid)> {
    let list = tenants.to_vec().into_datum().ok_or_else(|| {
        RlsAuditError::ObjectState("the write probes' tenants could not be passed".into())
    })?;
    // SAFETY: SPI is connected (caller); the statement reads one row
    unsafe {
        let mut types = [pg_sys::TEXTARRAYOID];
        let mut values = [list];
        let nulls = [b' ' as std::ffi::c_char];
        let rc = pg_sys::SPI_execute_with_args(
            sql.as_ptr(),
            1,
            types.as_mut_ptr(),
            values.as_mut_ptr(),
            nulls.as_ptr(),
            true,
            1,
        );
        let table = pg_sys::SPI_tuptable;
        if rc != pg_sys::SPI_OK_SELECT as i32 || table.is_null() || pg_sys::SPI_processed != 1 {
            return Err(RlsAuditError::ObjectState(
                "the write probes' templates could not be read".into(),
            ));
        }
        let desc = (*table).tupdesc;
        let mut isnull = false;
        let value = pg_sys::SPI_getbinval(*(*table).vals, desc, 1, &mut isnull);
        let typid = pg_sys::SPI_gettypeid(desc, 1);
        if isnull {
            return Err(RlsAuditError::ObjectState(
                "the write probes' templates could not be read".into(),
            ));
        }
        let old = pg_sys::MemoryContextSwitchTo(outer);
        // an array is a varlena: copied (and detoasted) whole
        let copy = pg_sys::Datum::from(pg_sys::pg_detoast_datum_copy(
            value.cast_mut_ptr::<pg_sys::varlena>(),
        ));
        pg_sys::MemoryContextSwitchTo(old);
        Ok((copy, typid))
    }
}

/// How many of the tenants not probed that the screen lets through are
/// tried with the real statement, per tenant and kind of statement: one
/// that goes through is a FAIL; a policy that lets every tenant through
/// needs no thousand statements to show it.
const SCREEN_TRIED: usize = 8;

/// Run a SELECT and read its first `columns` columns as text (NULL as
/// None).
///
/// # Safety
/// SPI is connected.
pub(crate) unsafe fn select_text(sql: &CStr, columns: i32) -> Vec<Vec<Option<String>>> {
    // SAFETY: a NUL-terminated statement; an ERROR leaves through the
    // caller's subtransaction. SPI_getvalue runs the output functions and
    // returns palloc'd strings (or NULL), copied at once
    unsafe {
        pg_sys::SPI_execute(sql.as_ptr(), false, 0);
        read_rows(columns)
    }
}

/// The rows of the last SPI statement, `columns` of each as text.
///
/// # Safety
/// SPI is connected, right after a statement.
unsafe fn read_rows(columns: i32) -> Vec<Vec<Option<String>>> {
    // SAFETY: SPI_getvalue runs the output functions and returns palloc'd
    // strings (or NULL), copied at once
    unsafe {
        let table = pg_sys::SPI_tuptable;
        if table.is_null() {
            return Vec::new();
        }
        let desc = (*table).tupdesc;
        (0..pg_sys::SPI_processed as usize)
            .map(|r| {
                let tuple = *(*table).vals.add(r);
                (1..=columns)
                    .map(|c| {
                        let v = pg_sys::SPI_getvalue(tuple, desc, c);
                        (!v.is_null()).then(|| CStr::from_ptr(v).to_string_lossy().into_owned())
                    })
                    .collect()
            })
            .collect()
    }
}

/// [`select_text`] of one column with `$1` the `text[]` of `values`.
///
/// # Safety
/// As [`select_text`].
pub(crate) unsafe fn select_text_over(sql: &CStr, values: &[String]) -> Vec<Vec<Option<String>>> {
    let mut types = [pg_sys::TEXTARRAYOID];
    let datum = values.to_vec().into_datum();
    let nulls = [if datum.is_some() { b' ' } else { b'n' } as std::ffi::c_char];
    let mut datums = [datum.unwrap_or(pg_sys::Datum::from(0usize))];
    // SAFETY: a NUL-terminated statement of one text[] parameter, a datum
    // built in the current (SPI) memory context; an ERROR leaves through
    // the caller's subtransaction
    unsafe {
        pg_sys::SPI_execute_with_args(
            sql.as_ptr(),
            1,
            types.as_mut_ptr(),
            datums.as_mut_ptr(),
            nulls.as_ptr(),
            false,
            0,
        );
        read_rows(1)
    }
}

/// Run one set-up statement (DDL, GRANT) as the caller.
///
/// # Safety
/// SPI is connected.
unsafe fn run_utility(sql: &CStr) {
    // SAFETY: a NUL-terminated statement; an ERROR fails the write probe
    unsafe {
        pg_sys::SPI_execute(sql.as_ptr(), false, 0);
    }
}

/// Prepare `sql` with parameters of `types`, for a generic plan kept for
/// one tenant's statements: each kind of statement is planned once per
/// tenant, not once per target.
///
/// # Safety
/// SPI is connected.
unsafe fn prepare(sql: &CStr, types: &[pg_sys::Oid]) -> pg_sys::SPIPlanPtr {
    let mut types = types.to_vec();
    // SAFETY: a NUL-terminated statement and its parameters' type OIDs; an
    // ERROR (a statement that does not parse) fails the whole write probe
    unsafe {
        let plan = pg_sys::SPI_prepare_cursor(
            sql.as_ptr(),
            types.len() as i32,
            types.as_mut_ptr(),
            pg_sys::CURSOR_OPT_GENERIC_PLAN as i32,
        );
        if plan.is_null() {
            pgrx::error!("rls_audit: could not prepare a write probe statement");
        }
        plan
    }
}

/// The note on a write outcome that reached other tenants' rows only once
/// the tenant's own rows were gone (`run_statements`).
pub(crate) const WITHOUT_OWN_ROWS: &str = "without its own rows";

/// Delete the shadow's rows of one tenant (`sql`: the DELETE, its value as
/// $1 text), as the caller.
///
/// # Safety
/// SPI is connected; inside a subtransaction that is rolled back.
unsafe fn delete_own(sql: &CStr, tenant: &CStr) {
    // SAFETY: a NUL-terminated statement of one text parameter, copied
    // into a palloc'd text
    unsafe {
        let mut types = [pg_sys::TEXTOID];
        let mut values = [pg_sys::Datum::from(pg_sys::cstring_to_text(
            tenant.as_ptr(),
        ))];
        let nulls = [b' ' as std::ffi::c_char];
        pg_sys::SPI_execute_with_args(
            sql.as_ptr(),
            1,
            types.as_mut_ptr(),
            values.as_mut_ptr(),
            nulls.as_ptr(),
            false,
            0,
        );
    }
}

/// Run a prepared write statement.
///
/// # Safety
/// SPI is connected; `plan` is one of [`prepare`]'s with `args.len()`
/// parameters of its types.
unsafe fn execute(plan: pg_sys::SPIPlanPtr, args: &mut [Option<pg_sys::Datum>]) {
    let nulls: Vec<std::ffi::c_char> = args
        .iter()
        .map(|a| if a.is_some() { b' ' } else { b'n' } as std::ffi::c_char)
        .collect();
    let mut values: Vec<pg_sys::Datum> = args
        .iter()
        .map(|a| a.unwrap_or(pg_sys::Datum::from(0usize)))
        .collect();
    // SAFETY: values and nulls match the plan's parameters
    unsafe {
        pg_sys::SPI_execute_plan(plan, values.as_mut_ptr(), nulls.as_ptr(), false, 0);
    }
}

/// One of [`run_statements`]' statements: (check, plan, value, template
/// tenant, variant, claim: an index into the tenant's [`ReachClaim`]s).
type Stmt = (
    &'static str,
    usize,
    Option<String>,
    Option<String>,
    Option<usize>,
    Option<usize>,
);

/// `set_config(name, value, true)`, as PostgreSQL's SQL function does it
/// (NULL: the setting's reset value).
///
/// # Safety
/// Inside a transaction.
pub(crate) unsafe fn set_local(name: &CStr, value: Option<&CStr>) {
    // SAFETY: NUL-terminated strings; set_config_option raises an ERROR
    // for a setting the current user may not change
    unsafe {
        let context = if pg_sys::superuser() {
            pg_sys::GucContext::PGC_SUSET
        } else {
            pg_sys::GucContext::PGC_USERSET
        };
        pg_sys::set_config_option(
            name.as_ptr(),
            value.map_or(std::ptr::null(), |v| v.as_ptr()),
            context,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_LOCAL,
            true,
            0,
            false,
        );
    }
}

/// Set, for the transaction, each setting a claim's given sets
/// ([`crate::catalog::claim_sets`]: one, or several at once).
///
/// # Safety
/// Inside a transaction.
pub(crate) unsafe fn set_claim(name: &CStr, value: &CStr) {
    let sets = crate::catalog::claim_sets(&name.to_string_lossy(), &value.to_string_lossy());
    for (name, value) in sets {
        if let (Ok(name), Ok(value)) = (CString::new(name), CString::new(value)) {
            // SAFETY: the caller's transaction
            unsafe { set_local(&name, Some(&value)) };
        }
    }
}

/// Run `f` in a subtransaction that is always rolled back, the way a
/// PL/pgSQL exception block runs its statements: Ok(what f returned) or
/// the (SQLSTATE, message) of its ERROR. A cancel (57014) or an assertion
/// failure goes on up, as PL/pgSQL's `WHEN OTHERS` lets them; so does
/// anything that is not a PostgreSQL ERROR.
pub(crate) fn rolled_back<R>(f: impl FnOnce() -> R) -> std::result::Result<R, (String, String)> {
    // SAFETY: the subtransaction is begun and always ended here, the
    // memory context and resource owner restored after it, as
    // exec_stmt_block does
    let caught = unsafe {
        let cx = pg_sys::CurrentMemoryContext;
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(cx);
        let r = PgTryBuilder::new(AssertUnwindSafe(|| Ok(f())))
            .catch_others(Err)
            .execute();
        pg_sys::RollbackAndReleaseCurrentSubTransaction();
        pg_sys::MemoryContextSwitchTo(cx);
        pg_sys::CurrentResourceOwner = owner;
        r
    };
    match caught {
        Ok(v) => Ok(v),
        Err(CaughtError::PostgresError(e)) | Err(CaughtError::ErrorReport(e))
            if !matches!(
                e.sql_error_code(),
                PgSqlErrorCode::ERRCODE_QUERY_CANCELED | PgSqlErrorCode::ERRCODE_ASSERT_FAILURE
            ) =>
        {
            Err((sqlstate(e.sql_error_code()), e.message().to_string()))
        }
        Err(e) => e.rethrow(),
    }
}

/// The five characters of a SQLSTATE, as PostgreSQL prints them.
pub(crate) fn sqlstate(code: PgSqlErrorCode) -> String {
    // SAFETY: unpack_sql_state writes the code into a static buffer and
    // returns it NUL-terminated; it is copied at once
    unsafe { CStr::from_ptr(pg_sys::unpack_sql_state(code as i32)) }
        .to_string_lossy()
        .into_owned()
}

/// Copy the BEFORE row triggers of `from` (the real table) onto `to` (its
/// shadow): the same name, function, arguments, timing, events, `UPDATE
/// OF` columns and WHEN clause (its columns matched by name), for each
/// enabled one PostgreSQL would fire on INSERT, UPDATE or DELETE of the
/// real table in this session (`O`rigin or `A`lways; not an internal or
/// constraint trigger), as PostgreSQL clones a table's triggers onto a new
/// partition. A BEFORE trigger decides a row's fate: it sets the tenant
/// column, skips the row or raises, and then does to the probes'
/// statements what it does to the application's. AFTER triggers (audit
/// rows, notifications) change no row of the table and are not copied;
/// the statements run read-only, so a copied trigger that writes
/// elsewhere or advances a sequence is refused rather than run (see
/// `run_statements`). Returns how many were copied.
pub(crate) fn copy_row_triggers(from: pg_sys::Oid, to: pg_sys::Oid) -> Result<i32> {
    use pg_sys::{AccessShareLock, NodeTag};
    let mut copied = 0;
    // SAFETY: both relations are opened (and closed) here; the trigger
    // descriptors and tuple descriptors read belong to the open `from`
    // and `to`; every node built is palloc'd in the current memory
    // context, as CreateTrigger expects; an ERROR it raises unwinds
    // through pg_guard_ffi_boundary like any other
    unsafe {
        let from_rel = pg_sys::table_open(from, AccessShareLock as i32);
        let to_rel = pg_sys::table_open(to, AccessShareLock as i32);
        let desc = (*from_rel).trigdesc;
        let n = if desc.is_null() {
            0
        } else {
            (*desc).numtriggers
        };
        let to_name = (*(*to_rel).rd_rel).relname.data.as_ptr();
        let to_schema = pg_sys::get_namespace_name((*(*to_rel).rd_rel).relnamespace);
        for i in 0..n as usize {
            let tg = &*(*desc).triggers.add(i);
            let tgtype = tg.tgtype as u32;
            let enabled = tg.tgenabled as u8;
            if tg.tgisinternal
                || tg.tgconstraint != pg_sys::InvalidOid
                || tgtype & pg_sys::TRIGGER_TYPE_ROW == 0
                || tgtype & pg_sys::TRIGGER_TYPE_BEFORE == 0
                || !(enabled == b'O' || enabled == b'A')
            {
                continue;
            }
            let events = tgtype
                & (pg_sys::TRIGGER_TYPE_INSERT
                    | pg_sys::TRIGGER_TYPE_UPDATE
                    | pg_sys::TRIGGER_TYPE_DELETE);
            if events == 0 {
                continue;
            }
            let stmt = pg_sys::palloc0(std::mem::size_of::<pg_sys::CreateTrigStmt>())
                as *mut pg_sys::CreateTrigStmt;
            (*stmt).type_ = NodeTag::T_CreateTrigStmt;
            (*stmt).trigname = pg_sys::pstrdup(tg.tgname);
            (*stmt).relation = pg_sys::makeRangeVar(to_schema, pg_sys::pstrdup(to_name), -1);
            (*stmt).funcname = std::ptr::null_mut();
            let mut args: *mut pg_sys::List = std::ptr::null_mut();
            for a in 0..tg.tgnargs as usize {
                args = pg_sys::lappend(
                    args,
                    pg_sys::makeString(pg_sys::pstrdup(*tg.tgargs.add(a))).cast(),
                );
            }
            (*stmt).args = args;
            (*stmt).row = true;
            (*stmt).timing = (tgtype & pg_sys::TRIGGER_TYPE_TIMING_MASK) as i16;
            (*stmt).events = events as i16;
            let mut columns: *mut pg_sys::List = std::ptr::null_mut();
            for c in 0..tg.tgnattr as usize {
                let name = pg_sys::get_attname(from, *tg.tgattr.add(c), false);
                columns = pg_sys::lappend(columns, pg_sys::makeString(name).cast());
            }
            (*stmt).columns = columns;
            // (a BEFORE trigger has no transition tables)
            // the WHEN clause as stored, its OLD and NEW columns matched
            // to the shadow's by name (as for a partition's clone)
            let mut when: *mut pg_sys::Node = std::ptr::null_mut();
            if !tg.tgqual.is_null() {
                when = pg_sys::stringToNode(tg.tgqual).cast();
                #[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
                let map = pg_sys::build_attrmap_by_name((*to_rel).rd_att, (*from_rel).rd_att);
                #[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
                let map =
                    pg_sys::build_attrmap_by_name((*to_rel).rd_att, (*from_rel).rd_att, false);
                let rowtype = (*(*to_rel).rd_rel).reltype;
                for varno in [pg_sys::PRS2_OLD_VARNO, pg_sys::PRS2_NEW_VARNO] {
                    let mut whole_row = false;
                    when = pg_sys::map_variable_attnos(
                        when,
                        varno as i32,
                        0,
                        map,
                        rowtype,
                        &mut whole_row,
                    );
                }
            }
            // fires on origin, as the original ('O', or 'A' always): the
            // probes run with session_replication_role = origin
            pg_sys::CreateTrigger(
                stmt,
                c"".as_ptr(),
                to,
                pg_sys::InvalidOid,
                pg_sys::InvalidOid,
                pg_sys::InvalidOid,
                tg.tgfoid,
                pg_sys::InvalidOid,
                when,
                false,
                false,
            );
            copied += 1;
        }
        pg_sys::table_close(to_rel, AccessShareLock as i32);
        pg_sys::table_close(from_rel, AccessShareLock as i32);
        pg_sys::CommandCounterIncrement();
    }
    Ok(copied)
}
