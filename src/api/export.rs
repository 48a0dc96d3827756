//! `export()` and `import()`: a snapshot as a canonical, versioned JSON
//! document that can live in git next to the migrations, and back. The
//! document and its checks: [`crate::export`].
use pgrx::prelude::*;
use pgrx::JsonB;

use crate::error::{Result, RlsAuditError, SqlResult};
use crate::export;
use crate::model::Identity;
use crate::snapshot;

// The SQL is spelled out only to name the argument `ref` (a Rust keyword).
// SECURITY DEFINER: reads snapshot history, which PUBLIC cannot.
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.export("ref" text DEFAULT 'baseline') RETURNS jsonb
    STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn export_fn(reference: Option<&str>) -> SqlResult<JsonB> {
    let doc = Spi::connect(|c| -> Result<export::Document> {
        let id = snapshot::resolve_ref(c, reference)?;
        let (state, _) = snapshot::load(c, id)?;
        let access = snapshot::load_access(c, id)?;
        Ok(export::document(
            state,
            access,
            pg_sys::PG_VERSION_NUM / 10000,
        ))
    })?;
    Ok(JsonB(
        serde_json::to_value(&doc).map_err(|e| RlsAuditError::ObjectState(e.to_string()))?,
    ))
}

// SECURITY DEFINER: writes snapshot history. The imported snapshot keeps no
// OIDs: it is compared with the live state by names, so it serves as a
// baseline in another database (a CI database built from migrations).
#[pg_extern(sql = r#"
CREATE FUNCTION rls_audit.import(doc jsonb, label text) RETURNS bigint
    VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    LANGUAGE c AS 'MODULE_PATHNAME', '@FUNCTION_NAME@';"#)]
fn import_fn(doc: Option<JsonB>, label: Option<&str>) -> SqlResult<i64> {
    crate::schema::require_primary("import")?;
    let JsonB(doc) = doc.ok_or_else(|| {
        RlsAuditError::NullArgument("doc must not be NULL (an rls_audit.export() document)".into())
    })?;
    let (state, access) = export::verify(doc)?;
    // a fingerprint can be recomputed by whoever edits a document: its
    // expressions are also checked to be what they claim, one expression
    // each (restore() writes them into CREATE POLICY)
    export::expressions_are_expressions(&state, crate::expr::one_expression)?;
    Ok(Spi::connect_mut(|c| -> Result<i64> {
        let claimed = snapshot::claim(c, label)?;
        snapshot::store(
            c,
            claimed,
            Some("imported"),
            false,
            &state,
            &Identity::default(),
            access.as_ref(),
        )
    })?)
}
