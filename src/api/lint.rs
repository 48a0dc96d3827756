//! `lint()` and `lint_suppressed()`: the posture's known mistakes, open
//! and accepted.
use pgrx::prelude::*;

use crate::catalog;
use crate::error::{Result, SqlResult};
use crate::lint::{self, Facts, Finding, Suppressed};
use crate::regclass::Name;
use crate::store;

/// The live posture, with the volatility of every function its policies
/// call; `schemas` as in `catalog::read_posture`.
pub(super) fn posture(c: &pgrx::spi::SpiClient<'_>, schemas: Option<&[String]>) -> Result<Facts> {
    let mut facts = Facts::new(catalog::read_posture(c, schemas)?);
    let volatile = catalog::non_immutable(c, &facts.called_functions())?;
    facts.set_non_immutable(volatile);
    Ok(facts)
}

/// Every finding for the schemas asked, split into open and suppressed.
fn findings(
    c: &pgrx::spi::SpiClient<'_>,
    schemas: Option<&[Option<String>]>,
) -> Result<(Vec<Finding>, Vec<Suppressed>)> {
    let rules = store::suppressions(c)?;
    let scope: Option<Vec<String>> = schemas.map(|l| l.iter().flatten().cloned().collect());
    let all = lint::run(&posture(c, scope.as_deref())?, schemas);
    Ok(lint::split_suppressed(all, &rules))
}

// SECURITY DEFINER: reads lint_ignore, which PUBLIC cannot; the catalog
// reads would be the same for any caller.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn lint(
    schemas: default!(Option<Vec<Option<String>>>, "NULL"),
) -> std::result::Result<
    TableIterator<
        'static,
        (
            name!(lint, String),
            name!(severity, String),
            name!(schema_name, Option<Name>),
            name!(object_name, String),
            name!(detail, String),
            name!(remediation, String),
        ),
    >,
    pgrx::pg_sys::panic::ErrorReport,
> {
    let (open, _) = Spi::connect(|c| findings(c, schemas.as_deref()))?;
    Ok(TableIterator::new(open.into_iter().map(|f| {
        (
            f.lint.to_string(),
            f.severity.as_sql().to_string(),
            f.schema_name.map(Name),
            f.object_name,
            f.detail,
            f.remediation,
        )
    })))
}

// SECURITY DEFINER: reads lint_ignore, which PUBLIC cannot.
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn lint_sarif(schemas: default!(Option<Vec<Option<String>>>, "NULL")) -> SqlResult<pgrx::JsonB> {
    let (open, silenced) = Spi::connect(|c| findings(c, schemas.as_deref()))?;
    Ok(pgrx::JsonB(crate::ci::sarif(&open, &silenced)))
}

// SECURITY DEFINER: reads lint_ignore, which PUBLIC cannot. Declared xml;
// the text is built well-formed (ci::xml_text), so no XML parser is needed
// in the server.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.lint_junit(schemas text[] DEFAULT NULL) RETURNS xml
    STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn lint_junit(schemas: Option<Vec<Option<String>>>) -> SqlResult<String> {
    let (open, silenced) = Spi::connect(|c| findings(c, schemas.as_deref()))?;
    Ok(crate::ci::lint_junit(&open, &silenced))
}

// SECURITY DEFINER: reads lint_ignore, which PUBLIC cannot.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn lint_suppressed(
    schemas: default!(Option<Vec<Option<String>>>, "NULL"),
) -> std::result::Result<
    TableIterator<
        'static,
        (
            name!(lint, String),
            name!(severity, String),
            name!(schema_name, Option<Name>),
            name!(object_name, String),
            name!(reason, String),
            name!(added_by, String),
            name!(added_at, String),
        ),
    >,
    pgrx::pg_sys::panic::ErrorReport,
> {
    let (_, silenced) = Spi::connect(|c| findings(c, schemas.as_deref()))?;
    Ok(TableIterator::new(silenced.into_iter().map(|(f, rule)| {
        (
            f.lint.to_string(),
            f.severity.as_sql().to_string(),
            f.schema_name.map(Name),
            f.object_name,
            rule.reason,
            rule.added_by,
            rule.added_at,
        )
    })))
}
