//! `export()` / `import()` (pure half): a snapshot as a self-describing,
//! versioned JSON document, and the checks a document must pass before it
//! is stored. The document holds no label, id or time, so equal states
//! export equal bytes; it names its format, the extension and server that
//! wrote it, and carries the fingerprints its content must hash to.
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, RlsAuditError};
use crate::model::{AccessFacts, State};

/// What the `format` field says.
pub(crate) const FORMAT: &str = "rls_audit snapshot";
/// The version of the document's layout. A reader accepts its own version
/// and every older one; fields are only ever added in a new version.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// The exported document. Key order in the stored jsonb is jsonb's own
/// (deterministic); arrays are in canonical order.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Document {
    pub(crate) format: String,
    pub(crate) format_version: u32,
    /// the rls_audit version that exported it
    pub(crate) extension_version: String,
    /// the PostgreSQL major version it was exported on (expressions are
    /// deparsed by the server, so text can differ between majors)
    pub(crate) server_version: u32,
    /// the snapshot's fingerprint: SHA-256 of the canonical state
    pub(crate) fingerprint: String,
    /// SHA-256 of the canonical access facts (None: a snapshot taken before
    /// 0.3.0 keeps none)
    pub(crate) access_fingerprint: Option<String>,
    pub(crate) state: State,
    pub(crate) access: Option<AccessFacts>,
}

/// Hex SHA-256 of the canonical JSON form of the access facts.
pub(crate) fn access_fingerprint(facts: &AccessFacts) -> String {
    let mut canonical = facts.clone();
    canonical.canonicalize();
    // plain structs of strings, bools and vectors always serialise
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    crate::model::hex(&Sha256::digest(&bytes))
}

/// The document for a stored snapshot.
pub(crate) fn document(
    mut state: State,
    access: Option<AccessFacts>,
    server_version: u32,
) -> Document {
    state.canonicalize();
    let access = access.map(|mut a| {
        a.canonicalize();
        a
    });
    Document {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        extension_version: env!("CARGO_PKG_VERSION").into(),
        server_version,
        fingerprint: state.fingerprint(),
        access_fingerprint: access.as_ref().map(access_fingerprint),
        state,
        access,
    }
}

fn refused(why: String) -> RlsAuditError {
    RlsAuditError::InvalidParameter(format!(
        "not a valid rls_audit export: {why}; nothing was imported"
    ))
}

/// Check a document before it is stored: its shape, format and version,
/// and that its content hashes to the fingerprints it carries (an edited
/// document is refused: `22023`). Returns the state and access facts in
/// canonical order.
pub(crate) fn verify(doc: serde_json::Value) -> Result<(State, Option<AccessFacts>)> {
    let format = doc
        .get("format")
        .and_then(|f| f.as_str())
        .map(str::to_string);
    if format.as_deref() != Some(FORMAT) {
        return Err(refused(format!(
            "\"format\" is {}, not \"{FORMAT}\"",
            format.map_or("missing".to_string(), |f| format!("\"{f}\""))
        )));
    }
    let version = doc.get("format_version").and_then(|v| v.as_u64());
    match version {
        Some(v) if (1..=u64::from(FORMAT_VERSION)).contains(&v) => {}
        Some(v) => {
            return Err(refused(format!(
                "format_version {v} is newer than this rls_audit reads ({FORMAT_VERSION}): update the extension"
            )))
        }
        None => return Err(refused("\"format_version\" is missing".into())),
    }
    let doc: Document = serde_json::from_value(doc).map_err(|e| refused(e.to_string()))?;
    let mut state = doc.state;
    state.canonicalize();
    let hashed = state.fingerprint();
    if hashed != doc.fingerprint {
        return Err(refused(format!(
            "its content hashes to {hashed}, not to the fingerprint it carries ({}): it was edited after export",
            doc.fingerprint
        )));
    }
    let access = match (doc.access, doc.access_fingerprint) {
        (None, None) => None,
        (Some(mut a), Some(claimed)) => {
            a.canonicalize();
            let hashed = access_fingerprint(&a);
            if hashed != claimed {
                return Err(refused(format!(
                    "its access facts hash to {hashed}, not to the access_fingerprint it carries ({claimed}): they were edited after export"
                )));
            }
            Some(a)
        }
        _ => {
            return Err(refused(
                "\"access\" and \"access_fingerprint\" must be both present or both null".into(),
            ))
        }
    };
    Ok((state, access))
}

/// The first of `policies` whose USING or WITH CHECK text is not one SQL
/// expression (`one` decides: `expr::one_expression` in the server), and
/// which clause. Such text must never be written into a statement.
pub(crate) fn not_one_expression<'a>(
    policies: impl IntoIterator<Item = &'a crate::model::Policy>,
    one: impl Fn(&str) -> bool,
) -> Option<(&'a crate::model::Policy, &'static str)> {
    policies.into_iter().find_map(|p| {
        [("USING", &p.using_expr), ("WITH CHECK", &p.check_expr)]
            .into_iter()
            .find(|(_, text)| text.as_deref().is_some_and(|t| !one(t)))
            .map(|(clause, _)| (p, clause))
    })
}

/// Every USING and WITH CHECK text of `state` is one SQL expression, else
/// the document is refused (`22023`). A fingerprint proves no origin:
/// whoever edits a document can hash it again.
pub(crate) fn expressions_are_expressions(state: &State, one: impl Fn(&str) -> bool) -> Result<()> {
    match not_one_expression(&state.policies, one) {
        Some((p, clause)) => Err(refused(format!(
            "the {clause} text of policy {} on {} is not one SQL expression",
            crate::ident::quote_ident(&p.policy_name),
            crate::ident::quote_qualified(&p.schema_name, &p.table_name)
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::model::{AccessRole, Policy};

    fn state() -> State {
        crate::model::shop_orders(true)
    }

    #[test]
    fn text_that_is_not_one_expression_is_named_with_its_clause() {
        let mut s = state();
        // the parser's verdict stands in for PostgreSQL's here
        let one = |t: &str| !t.contains(';');
        assert!(not_one_expression(&s.policies, one).is_none());
        assert!(expressions_are_expressions(&s, one).is_ok());
        s.policies[0].check_expr = Some("true); DROP TABLE t; SELECT (true".into());
        let (p, clause) = not_one_expression(&s.policies, one).expect("the edited policy");
        assert_eq!(
            (p.policy_name.as_str(), clause),
            (s.policies[0].policy_name.as_str(), "WITH CHECK")
        );
        let e = expressions_are_expressions(&s, one).expect_err("refused");
        assert!(e.to_string().contains("WITH CHECK text of policy"), "{e}");
    }

    fn access() -> AccessFacts {
        AccessFacts {
            roles: vec![AccessRole {
                name: "app_user".into(),
                superuser: false,
                bypassrls: false,
                login: false,
            }],
            ..Default::default()
        }
    }

    fn json(d: &Document) -> serde_json::Value {
        serde_json::to_value(d).unwrap()
    }

    #[test]
    fn a_document_verifies_and_equal_states_give_equal_documents() {
        let d = document(state(), Some(access()), 15);
        let (s, a) = verify(json(&d)).unwrap();
        assert_eq!(s.fingerprint(), d.fingerprint);
        assert_eq!(document(s, a, 15), d);
        // arrays in another order are the same state
        let mut twice = state();
        twice.policies.push(Policy {
            policy_name: "a_first".into(),
            ..state().policies[0].clone()
        });
        let mut reversed = twice.clone();
        reversed.policies.reverse();
        assert_eq!(document(twice, None, 15), document(reversed, None, 15));
    }

    #[test]
    fn edited_documents_are_refused() {
        let d = json(&document(state(), Some(access()), 15));
        let mut using = d.clone();
        using["state"]["policies"][0]["using_expr"] = "true".into();
        let e = verify(using).unwrap_err().to_string();
        assert!(e.contains("edited after export"), "{e}");
        let mut grant = d.clone();
        grant["access"]["roles"][0]["bypassrls"] = true.into();
        assert!(verify(grant)
            .unwrap_err()
            .to_string()
            .contains("access facts hash"));
        let mut half = d.clone();
        half["access_fingerprint"] = serde_json::Value::Null;
        assert!(verify(half).is_err());
        let mut newer = d.clone();
        newer["format_version"] = 2.into();
        assert!(verify(newer).unwrap_err().to_string().contains("newer"));
        let mut extra = d.clone();
        extra["surprise"] = 1.into();
        assert!(verify(extra).is_err());
        let mut word = d;
        word["state"]["policies"][0]["command"] = "MERGE".into();
        assert!(verify(word).is_err());
        assert!(verify(serde_json::json!({})).is_err());
        assert!(verify(serde_json::json!([1, 2])).is_err());
    }
}
