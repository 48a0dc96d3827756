//! The SQL surface: every `#[pg_extern]` of rls_audit, one file per
//! mission verb. Each function is a few lines: arguments → core → rows;
//! the work is in the modules they call.
mod access;
mod capture;
pub(crate) mod drift;
mod export;
mod isolation;
mod lint;
mod report;
mod restore;
mod snapshot;
