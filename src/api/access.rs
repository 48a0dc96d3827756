//! `access_matrix()`: who reaches which rows of which table, per command,
//! by the widest path. The model: [`crate::access`]; the facts:
//! `catalog::read_access`.
use std::collections::BTreeSet;

use pgrx::prelude::*;

use crate::access::{Cell, Model};
use crate::catalog;
use crate::error::{Result, RlsAuditError};
use crate::regclass::Name;

/// The matrix for `roles` (None: the login roles that are not superusers)
/// over `schemas` (None: every schema in scope), from the live catalog.
fn live_matrix(
    c: &pgrx::spi::SpiClient<'_>,
    roles: Option<&[Option<String>]>,
    schemas: Option<&[Option<String>]>,
) -> Result<Vec<Cell>> {
    let policies = catalog::read_policies(c)?;
    let facts = catalog::read_access(c)?;
    let model = Model::new(&facts, &policies);
    let roles = matrix_roles(&model, roles)?;
    let keep: Option<BTreeSet<String>> = schemas.map(|s| s.iter().flatten().cloned().collect());
    Ok(model.matrix(&roles, keep.as_ref()))
}

/// The roles a matrix is for: the named ones (each must exist: `42704`),
/// or, for NULL, the login roles that are not superusers. NULL elements
/// are skipped.
pub(crate) fn matrix_roles(
    model: &Model<'_>,
    roles: Option<&[Option<String>]>,
) -> Result<Vec<String>> {
    match roles {
        None => Ok(model.login_roles()),
        Some(list) => {
            let named: Vec<String> = list.iter().flatten().cloned().collect();
            if let Some(unknown) = named.iter().find(|r| !model.knows_role(r)) {
                return Err(RlsAuditError::UnknownRole(unknown.clone()));
            }
            Ok(named)
        }
    }
}

// The C half of access_matrix(); the SQL wrapper in sql/finalize.sql gives
// it the SPEC's signature (roles name[]). Invoker's rights: it reads only
// catalogs every role can read.
#[allow(clippy::type_complexity)]
#[pg_extern(stable)]
#[search_path(pg_catalog, pg_temp)]
fn _access_matrix(
    roles: Option<Vec<Option<String>>>,
    schemas: Option<Vec<Option<String>>>,
) -> std::result::Result<
    TableIterator<
        'static,
        (
            name!(role_name, Name),
            name!(schema_name, Name),
            name!(table_name, Name),
            name!(command, &'static str),
            name!(access, &'static str),
            name!(via, Option<String>),
            name!(detail, String),
        ),
    >,
    pgrx::pg_sys::panic::ErrorReport,
> {
    let cells = Spi::connect(|c| live_matrix(c, roles.as_deref(), schemas.as_deref()))?;
    Ok(TableIterator::new(cells.into_iter().map(|c| {
        (
            Name(c.role),
            Name(c.schema),
            Name(c.table),
            c.command.as_sql(),
            c.reach.access.as_sql(),
            c.reach.via,
            c.reach.detail,
        )
    })))
}
