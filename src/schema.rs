//! Which version of rls_audit's own tables this database has.
//!
//! A new library can be loaded before `ALTER EXTENSION rls_audit UPDATE`
//! has brought the tables to its version (the package was upgraded, the
//! extension not yet). Functions that read or write the columns added in
//! 0.3.0 then stop with a clear error saying what to run, instead of a
//! missing-column error; capture stays out of rls_audit's own install and
//! upgrade scripts, so the update itself can run.
use std::sync::atomic::{AtomicBool, Ordering};

use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::error::{Result, RlsAuditError};

/// Once the tables were found current in this backend, they stay current
/// (an extension is never downgraded in place).
static CURRENT: AtomicBool = AtomicBool::new(false);

/// Do rls_audit's tables have this library's columns (the newest: the
/// tracked tables' grants)?
pub(crate) fn is_current(c: &SpiClient<'_>) -> Result<bool> {
    if CURRENT.load(Ordering::Relaxed) {
        return Ok(true);
    }
    let current = c
        .select(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                             WHERE attrelid = pg_catalog.to_regclass('rls_audit.tracked_tables')
                               AND attname = 'grants' AND NOT attisdropped)",
            Some(1),
            &[],
        )?
        .first()
        .get_one::<bool>()?
        .unwrap_or(false);
    if current {
        CURRENT.store(true, Ordering::Relaxed);
    }
    Ok(current)
}

/// Stop with a clear error unless the tables are current.
pub(crate) fn require_current(c: &SpiClient<'_>) -> Result<()> {
    if is_current(c)? {
        return Ok(());
    }
    Err(RlsAuditError::ObjectState(format!(
        "rls_audit's tables are older than its library ({}): run ALTER EXTENSION rls_audit UPDATE",
        env!("CARGO_PKG_VERSION")
    )))
}

/// Writers stop on a hot standby with 25006 and a hint to use the primary,
/// before they read anything (instead of failing half-way at their first
/// write with an internal error).
pub(crate) fn require_primary(what: &str) -> Result<()> {
    // SAFETY: a plain read of the shared recovery state
    if unsafe { pg_sys::RecoveryInProgress() } {
        return Err(RlsAuditError::ReadOnly(format!("rls_audit.{what}()")));
    }
    Ok(())
}

/// Is rls_audit's own install or upgrade script running?
pub(crate) fn in_own_script() -> bool {
    // SAFETY: plain reads of backend globals; get_extension_oid with
    // missing_ok = true returns InvalidOid instead of raising
    unsafe {
        pg_sys::creating_extension
            && pg_sys::CurrentExtensionObject
                == pg_sys::get_extension_oid(c"rls_audit".as_ptr(), true)
    }
}
