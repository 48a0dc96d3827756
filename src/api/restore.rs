//! `policy_ddl()`, `restore_script()` and `restore()`: policies written
//! back exactly as a snapshot (or the catalog) holds them.
use std::panic::AssertUnwindSafe;

use pgrx::pg_sys::panic::{CaughtError, ErrorReport};
use pgrx::prelude::*;

use crate::catalog;
use crate::error::{Result, RlsAuditError, SqlResult};
use crate::regclass::{Name, RegClass};
use crate::render::render_create_policy;
use crate::restore;

#[pg_extern(stable)]
#[search_path(pg_catalog, pg_temp)]
fn policy_ddl(tbl: RegClass, policy: Name) -> SqlResult<String> {
    let (RegClass(tbl), Name(policy)) = (tbl, policy);
    let found = Spi::connect(|c| -> Result<_> {
        match catalog::read_live_policy(c, tbl, &policy)? {
            Some(p) => Ok(Ok(p)),
            // regclass input already rejects unknown names (42P01); a bare
            // OID with no relation behind it reaches us and gets the same
            None => Ok(Err(match catalog::relation_name(c, tbl)? {
                Some(table) => RlsAuditError::UnknownPolicy { table, policy },
                None => RlsAuditError::UnknownTable(tbl.to_u32()),
            })),
        }
    })?;
    Ok(render_create_policy(&found?))
}

// The SQL is spelled out only to name the argument `ref` (a Rust keyword).
// SECURITY DEFINER: reads snapshot history, which PUBLIC cannot.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.restore_script("ref" text DEFAULT 'baseline') RETURNS text
    STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn restore_script(reference: Option<&str>) -> SqlResult<String> {
    Ok(Spi::connect(|c| restore::script(c, reference))?)
}

// The restore script's guard: ERROR 55000 naming both fingerprints unless
// the live state still has `expected`. Invoker's rights: it reads only the
// catalog.
#[pg_extern(stable)]
#[search_path(pg_catalog, pg_temp)]
fn assert_fingerprint(expected: Option<&str>) -> SqlResult<()> {
    let expected = expected.ok_or_else(|| {
        RlsAuditError::NullArgument("expected fingerprint must not be NULL".into())
    })?;
    let live = Spi::connect(catalog::live_fingerprint)?;
    if live != expected.trim() {
        return Err(RlsAuditError::FingerprintMoved {
            expected: expected.to_string(),
            live,
        }
        .into());
    }
    Ok(())
}

// SECURITY INVOKER on purpose: the DDL runs with the caller's rights, so only
// someone who may alter those tables' policies can restore them.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.restore("ref" text DEFAULT 'baseline') RETURNS integer
    VOLATILE SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn restore(reference: Option<&str>) -> SqlResult<i32> {
    crate::schema::require_primary("restore")?;
    let (_, plan) = Spi::connect(|c| restore::plan_for(c, reference))?;
    Spi::connect_mut(|c| -> Result<()> {
        for s in &plan.statements {
            PgTryBuilder::new(AssertUnwindSafe(|| {
                c.update(s.as_str(), None, &[]).map(|_| ())
            }))
            .catch_others(|e| stopped_at(e, s))
            .execute()?;
        }
        Ok(())
    })?;
    Ok(plan.statements.len() as i32)
}

/// A statement of the plan failed (a policy whose column or function is
/// gone cannot be recreated): PostgreSQL's own error, with the statement
/// it stopped at in its detail. The error ends the call, so nothing it ran
/// stays.
fn stopped_at(e: CaughtError, statement: &str) -> ! {
    match e {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => {
            let detail = match r.detail() {
                Some(d) => format!("{d}\nrestore() stopped at: {statement}"),
                None => format!("restore() stopped at: {statement}"),
            };
            let mut report =
                ErrorReport::new(r.sql_error_code(), r.message().to_string(), "restore")
                    .set_detail(format!("{detail} (nothing it ran stays)"));
            if let Some(h) = r.hint() {
                report = report.set_hint(h.to_string());
            }
            report.report(PgLogLevel::ERROR);
            unreachable!("an ERROR does not return")
        }
        other => other.rethrow(),
    }
}
