//! `access_matrix()`: who reaches which rows of which table, per command,
//! by the widest path. The model: [`crate::access`]; the facts:
//! `catalog::read_access`.
use std::collections::BTreeSet;

use pgrx::prelude::*;

use crate::access::{Cell, Model};
use crate::catalog;
use crate::error::{Result, RlsAuditError};
use crate::regclass::Name;
use crate::srf::Rows;

/// The matrix for `roles` (None: the login roles that are not superusers)
/// over `schemas` (None: every schema in scope), from the live catalog,
/// each cell handed to `out` in the matrix's order.
fn live_matrix(
    c: &pgrx::spi::SpiClient<'_>,
    roles: Option<&[Option<String>]>,
    schemas: Option<&[Option<String>]>,
    out: &mut dyn FnMut(Cell),
) -> Result<()> {
    let policies = catalog::read_policies(c)?;
    let facts = catalog::read_access(c)?;
    let model = Model::new(&facts, &policies);
    let roles = matrix_roles(&model, roles)?;
    let keep: Option<BTreeSet<String>> = schemas.map(|s| s.iter().flatten().cloned().collect());
    model.each_cell(&roles, keep.as_ref(), out);
    Ok(())
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
// catalogs every role can read. Declared by hand (the same declaration
// pgrx would write) because the cells are returned in materialize mode,
// each stored as it is computed (crate::srf): a matrix of 10 roles over
// 10 000 tables is 400 000 cells, never held together.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit."_access_matrix"("roles" TEXT[], "schemas" TEXT[])
RETURNS TABLE ("role_name" name, "schema_name" name, "table_name" name, "command" TEXT,
               "access" TEXT, "via" TEXT, "detail" TEXT)
STABLE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn _access_matrix(
    roles: Option<Vec<Option<String>>>,
    schemas: Option<Vec<Option<String>>>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> crate::error::SqlResult<()> {
    let mut rows = Rows::in_order(fcinfo)?;
    Spi::connect(|c| {
        live_matrix(c, roles.as_deref(), schemas.as_deref(), &mut |cell| {
            rows.put(0, || {
                vec![
                    Name(cell.role).into_datum(),
                    Name(cell.schema).into_datum(),
                    Name(cell.table).into_datum(),
                    cell.command.as_sql().into_datum(),
                    cell.reach.access.as_sql().into_datum(),
                    cell.reach.via.into_datum(),
                    cell.reach.detail.into_datum(),
                ]
            })
        })
    })?;
    Ok(rows.finish()?)
}
