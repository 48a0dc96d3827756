//! Statements prepared once per backend and kept (`SPI_keepplan`), for the
//! paths that run inside every DDL (the event triggers) and the catalog
//! reads every snapshot(), drift(), lint() and access_matrix() repeats
//! (`crate::catalog`: the posture, the access facts). A statement run as
//! text is parsed, analysed and planned on every call, which costs more
//! than executing it; a kept plan is only executed. PostgreSQL's plan cache
//! re-validates a kept plan when a table or function it uses changes (or is
//! dropped and recreated by a reinstall), so a kept plan never runs stale.
//!
//! Every statement is a `&'static str` (the key) and names everything it
//! uses schema-qualified; the parameter types are those of the first
//! call's arguments (a call site always passes the same Rust types).
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys::PgOid;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiTupleTable};

use crate::error::Result;

thread_local! {
    static PLANS: RefCell<HashMap<(&'static str, bool), Rc<OwnedPreparedStatement>>> =
        RefCell::new(HashMap::new());
}

pub(crate) fn plan(
    c: &SpiClient<'_>,
    sql: &'static str,
    args: &[DatumWithOid<'_>],
    mutating: bool,
) -> Result<Rc<OwnedPreparedStatement>> {
    if let Some(p) = PLANS.with(|m| m.borrow().get(&(sql, mutating)).cloned()) {
        return Ok(p);
    }
    let types: Vec<PgOid> = args.iter().map(|a| PgOid::from(a.oid())).collect();
    let p = if mutating {
        c.prepare_mut(sql, &types)?
    } else {
        c.prepare(sql, &types)?
    };
    let p = Rc::new(p.keep());
    PLANS.with(|m| m.borrow_mut().insert((sql, mutating), Rc::clone(&p)));
    Ok(p)
}

/// Run a read-only statement through its kept plan.
pub(crate) fn select<'conn>(
    c: &SpiClient<'conn>,
    sql: &'static str,
    limit: Option<i64>,
    args: &[DatumWithOid<'_>],
) -> Result<SpiTupleTable<'conn>> {
    let p = plan(c, sql, args, false)?;
    Ok(c.select(&*p, limit.map(|l| l as _), args)?)
}

/// Run a statement that writes through its kept plan.
pub(crate) fn update<'conn>(
    c: &mut SpiClient<'conn>,
    sql: &'static str,
    limit: Option<i64>,
    args: &[DatumWithOid<'_>],
) -> Result<SpiTupleTable<'conn>> {
    let p = plan(c, sql, args, true)?;
    Ok(c.update(&*p, limit.map(|l| l as _), args)?)
}
