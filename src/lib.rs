//! rls_audit: keeps PostgreSQL row-level security honest from inside the
//! database. This file only wires the modules and the SQL files together.
// pgrx raises a returned `ErrorReport` with its own SQLSTATE; that type is
// large by design and only ever travels one frame up to the SQL boundary.
#![allow(clippy::result_large_err)]
use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

// The SQL surface: every #[pg_extern], thin.
mod api;

// The typed model and the one module that reads the catalog into it.
mod catalog;
mod model;

// Pure decisions over the model (no SPI; ordinary #[test]s).
mod access;
mod candidates;
mod ci;
mod diff;
mod export;
mod expr;
mod ident;
mod identity;
mod lint;
mod pattern;
mod plan;
mod render;
mod report;
mod verdict;

// Gathering and storing: probes, capture, rls_audit's own tables.
mod anchor;
mod authz;
mod capture;
mod drift;
mod fresh;
mod isolation;
mod restore;
mod shadow;
mod snapshot;
mod store;

// Plumbing: errors with SQLSTATEs, SQL types, the extension's schema state.
mod error;
mod heap;
mod hook;
mod prepared;
mod regclass;
mod schema;
mod srf;

// Tables, views and grants first: every function below reads or writes them.
extension_sql_file!("../sql/bootstrap.sql", name = "bootstrap", bootstrap);
// The probe runner used by verify_isolation and probe.
extension_sql_file!(
    "../sql/probe.sql",
    name = "probe_runner",
    requires = ["bootstrap"]
);
// The event log's hash function.
extension_sql_file!(
    "../sql/capture.sql",
    name = "capture_sql",
    requires = ["bootstrap"]
);
// Comments and privileges on the generated functions last.
extension_sql_file!("../sql/finalize.sql", name = "finalize", finalize);

/// Once per backend (or in the postmaster, when preloaded), when the library
/// is loaded: policy expressions are judged "constantly true" by
/// PostgreSQL's own constant folding; the server log setting is defined;
/// when preloaded, the hook that captures role statements is installed.
#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    expr::set_folder(expr::fold_with_postgres);
    anchor::define_settings();
    hook::install();
}

// pg_schema needs an inline module; the tests themselves live in tests.rs
#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    include!("tests.rs");
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
