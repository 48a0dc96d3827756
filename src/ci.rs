//! CI outputs (pure): lint findings as a SARIF 2.1.0 log, and lint and
//! isolation results as JUnit XML. Each is built from the same findings
//! and verdicts `lint()` and `verify_isolation()` return.
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::lint::{Finding, Suppressed, RULES};
use crate::model::Severity;

/// What each lint checks: (short description, full description, default
/// severity). The README's lint table says the same at more length.
pub(crate) fn describe(lint: &str) -> (&'static str, &'static str, Severity) {
    use Severity::*;
    match lint {
        "rls_disabled" => ("RLS is off on a table other roles reach", "Row-level security is disabled on a table that a role other than its owner reaches through grants (PUBLIC included): every such role sees every row.", High),
        "policy_exists_rls_disabled" => ("Policies exist but RLS is disabled", "The table has policies but row-level security is disabled, so the policies do nothing.", Critical),
        "rls_enabled_no_policy" => ("RLS is on without any policy", "Row-level security is enabled without a policy: deny-all for every role except the owner and BYPASSRLS roles (medium when a non-owner role holds a grant).", Medium),
        "rls_not_forced" => ("RLS is not forced", "Row-level security is enabled but not forced, so the table owner bypasses the policies (high when the owner can log in).", Low),
        "policy_always_true" => ("A policy is constantly true", "A policy's USING or WITH CHECK is constantly true (true, 1 = 1, x OR true, COALESCE(NULL, true) ...), as PostgreSQL's constant folding decides: it lets every row through.", High),
        "policy_to_public" => ("A permissive policy applies to PUBLIC", "A permissive policy applies to PUBLIC: every role, present and future.", Medium),
        "multiple_permissive_policies" => ("Several permissive policies for one role and command", "More than one permissive policy for the same role and command on a table: each is evaluated and they are OR-ed.", Low),
        "bypassrls_role" => ("A login role has BYPASSRLS", "A login role that is not a superuser has BYPASSRLS: every policy is ignored for its sessions.", High),
        "security_definer_search_path" => ("A SECURITY DEFINER function has no safe search_path", "A SECURITY DEFINER function has no fixed search_path, one with a schema PUBLIC may create in, or pg_temp not last: objects planted there run with its owner's rights.", High),
        "view_bypasses_rls" => ("A view skips the row-level security of a table it reads", "A view that is not security_invoker reads an RLS table as its owner, and the owner bypasses that table's policies.", High),
        "policy_per_row_function" => ("A policy calls a function for every row", "A policy calls a non-IMMUTABLE user function or current_setting() outside a sub-select, so it runs once per row instead of once per statement.", Low),
        "current_setting_without_missing_ok" => ("current_setting() without missing_ok", "A policy calls current_setting(name) without missing_ok, which raises an error when the setting is unset.", Low),
        "materialized_view_exposes_rls" => ("A materialized view exposes an RLS table", "A materialized view over an RLS table is readable by a role that the table's policies filter; materialized views have no row-level security.", High),
        "role_can_bypass_rls" => ("A login role can become a role that bypasses RLS", "A login role inherits or may SET ROLE to a superuser or BYPASSRLS role.", High),
        "member_of_table_owner" => ("A login role inherits a table's owner", "A login role inherits the owner of an RLS table that is not forced: PostgreSQL then skips row-level security for it.", High),
        "security_definer_exposes_rls" => ("A SECURITY DEFINER function exposes an RLS table", "A SECURITY DEFINER function that a filtered role may execute is owned by a role that bypasses the row-level security of a table it reads.", High),
        "restrictive_only" => ("Only restrictive policies: deny-all", "A granted RLS table's policies for some command are all RESTRICTIVE: no row ever passes.", Medium),
        "write_policy_unconditional" => ("A write policy reaches every row", "An UPDATE or DELETE policy's USING is constantly true while SELECT is scoped: the write reaches rows the role cannot see.", High),
        _ => ("rls_audit lint", "An rls_audit lint.", Medium),
    }
}

/// SARIF's level for a severity.
pub(crate) fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The kind of object a finding is about, in SARIF's logical-location
/// terms (table, view, function, role, policy: tool-specific kinds where
/// SARIF's own list has none).
fn kind(f: &Finding) -> &'static str {
    if f.schema_name.is_none() {
        return "role";
    }
    match f.lint {
        "security_definer_search_path" | "security_definer_exposes_rls" => "function",
        "view_bypasses_rls" | "materialized_view_exposes_rls" => "view",
        "policy_always_true"
        | "policy_to_public"
        | "policy_per_row_function"
        | "current_setting_without_missing_ok"
        | "write_policy_unconditional" => "policy",
        _ => "table",
    }
}

fn sha256(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    crate::model::hex(&h.finalize())
}

/// The finding's identity across runs: lint and object. The same finding
/// keeps it while its detail changes; another object or lint gets another.
pub(crate) fn finding_fingerprint(f: &Finding) -> String {
    sha256(&[
        f.lint,
        f.schema_name.as_deref().unwrap_or(""),
        &f.object_name,
    ])
}

fn result(f: &Finding, rule_index: usize, suppression: Option<&str>) -> Value {
    let mut r = json!({
        "ruleId": f.lint,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": f.detail },
        "locations": [{
            "logicalLocations": [{
                "name": f.object_name,
                "fullyQualifiedName": f.object_key(),
                "kind": kind(f),
            }],
        }],
        "partialFingerprints": {
            "rlsAuditFinding/v1": finding_fingerprint(f),
            "rlsAuditDetail/v1": sha256(&[f.lint, &f.object_key(), f.severity.as_sql(), &f.detail]),
        },
        "properties": {
            "severity": f.severity.as_sql(),
            "remediation": f.remediation,
        },
    });
    if let Some(reason) = suppression {
        r["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": reason,
        }]);
    }
    r
}

/// The SARIF 2.1.0 log: one rule per lint, one result per finding (open
/// ones first, then the suppressed ones with their reason).
pub(crate) fn sarif(open: &[Finding], suppressed: &[Suppressed]) -> Value {
    let index = |lint: &str| RULES.iter().position(|r| r.name == lint).unwrap_or(0);
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let (short, full, severity) = describe(r.name);
            json!({
                "id": r.name,
                "name": r.name.split('_').map(|w| {
                    let mut c = w.chars();
                    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
                }).collect::<String>(),
                "shortDescription": { "text": short },
                "fullDescription": { "text": full },
                "help": {
                    "text": format!("{full} Each finding carries the exact remediation (properties.remediation). Reference: the rls_audit README, section Lint."),
                },
                "defaultConfiguration": { "level": level(severity) },
                "properties": { "tags": ["security", "row-level-security"], "severity": severity.as_sql() },
            })
        })
        .collect();
    let mut results: Vec<Value> = open
        .iter()
        .map(|f| result(f, index(f.lint), None))
        .collect();
    results.extend(
        suppressed
            .iter()
            .map(|(f, rule)| result(f, index(f.lint), Some(&rule.reason))),
    );
    let mut driver = json!({
        "name": "rls_audit",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    // the project's public home, once Cargo.toml names one
    let home = env!("CARGO_PKG_HOMEPAGE");
    if !home.is_empty() {
        driver["informationUri"] = json!(home);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// Text for XML: the five markup characters escaped; characters XML 1.0
/// cannot carry (control characters other than tab and line breaks)
/// become U+FFFD, so any object name gives a well-formed document.
pub(crate) fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// One JUnit test case: its outcome is pass, or a failure, skip or error
/// with a message and a body.
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) outcome: Outcome,
}

pub(crate) enum Outcome {
    Pass,
    Failure {
        kind: String,
        message: String,
        body: String,
    },
    Skipped {
        message: String,
    },
    Error {
        kind: String,
        message: String,
        body: String,
    },
}

/// A JUnit XML document: one `<testsuite>` per suite (in the order
/// given), counts on every suite and on `<testsuites>`.
pub(crate) fn junit(title: &str, suites: &[(String, Vec<Case>)]) -> String {
    let count = |cases: &[Case]| {
        let mut n = [0usize; 4]; // tests, failures, errors, skipped
        for c in cases {
            n[0] += 1;
            match c.outcome {
                Outcome::Pass => {}
                Outcome::Failure { .. } => n[1] += 1,
                Outcome::Error { .. } => n[2] += 1,
                Outcome::Skipped { .. } => n[3] += 1,
            }
        }
        n
    };
    let mut total = [0usize; 4];
    for (_, cases) in suites {
        for (t, n) in total.iter_mut().zip(count(cases)) {
            *t += n;
        }
    }
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.push_str(&format!(
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        xml_text(title),
        total[0],
        total[1],
        total[2],
        total[3]
    ));
    for (suite, cases) in suites {
        let n = count(cases);
        o.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
            xml_text(suite),
            n[0],
            n[1],
            n[2],
            n[3]
        ));
        for c in cases {
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml_text(suite),
                xml_text(&c.name)
            );
            match &c.outcome {
                Outcome::Pass => o.push_str(&format!("{open}/>\n")),
                Outcome::Failure {
                    kind,
                    message,
                    body,
                } => o.push_str(&format!(
                    "{open}>\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml_text(kind),
                    xml_text(message),
                    xml_text(body)
                )),
                Outcome::Error {
                    kind,
                    message,
                    body,
                } => o.push_str(&format!(
                    "{open}>\n      <error type=\"{}\" message=\"{}\">{}</error>\n    </testcase>\n",
                    xml_text(kind),
                    xml_text(message),
                    xml_text(body)
                )),
                Outcome::Skipped { message } => o.push_str(&format!(
                    "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    xml_text(message)
                )),
            }
        }
        o.push_str("  </testsuite>\n");
    }
    o.push_str("</testsuites>\n");
    o
}

/// lint() as JUnit: one suite per lint (every lint, so a clean lint shows
/// as a passing case); each open finding a failure (type = severity),
/// each suppressed one skipped with its reason.
pub(crate) fn lint_junit(open: &[Finding], suppressed: &[Suppressed]) -> String {
    let suites: Vec<(String, Vec<Case>)> =
        RULES
            .iter()
            .map(|r| {
                let mut cases: Vec<Case> = open
                    .iter()
                    .filter(|f| f.lint == r.name)
                    .map(|f| Case {
                        name: f.object_key(),
                        outcome: Outcome::Failure {
                            kind: f.severity.as_sql().to_string(),
                            message: f.detail.clone(),
                            body: format!("{}\nremediation: {}", f.detail, f.remediation),
                        },
                    })
                    .collect();
                cases.extend(suppressed.iter().filter(|(f, _)| f.lint == r.name).map(
                    |(f, rule)| Case {
                        name: f.object_key(),
                        outcome: Outcome::Skipped {
                            message: format!("suppressed: {}", rule.reason),
                        },
                    },
                ));
                if cases.is_empty() {
                    cases.push(Case {
                        name: format!("{}: no finding", r.name),
                        outcome: Outcome::Pass,
                    });
                }
                (r.name.to_string(), cases)
            })
            .collect();
    junit("rls_audit lint", &suites)
}

/// verify_isolation() as JUnit: one suite per table (role-level checks
/// in a suite named after the role), one case per check and tenant; FAIL
/// is a failure, SKIP skipped, ERROR an error (a check that could not run
/// never passes silently).
pub(crate) fn isolation_junit(role: &str, checks: &[crate::verdict::Check]) -> String {
    let mut suites: Vec<(String, Vec<Case>)> = Vec::new();
    for k in checks {
        let suite = match (&k.schema_name, &k.table_name) {
            (Some(s), Some(t)) => crate::ident::quote_qualified(s, t),
            _ => format!("role {}", crate::ident::quote_ident(role)),
        };
        let name = match &k.tenant {
            Some(t) => format!("{} (tenant {t})", k.check_name),
            None => k.check_name.to_string(),
        };
        let outcome = match k.status {
            "PASS" => Outcome::Pass,
            "SKIP" => Outcome::Skipped {
                message: k.detail.clone(),
            },
            "FAIL" => Outcome::Failure {
                kind: "FAIL".into(),
                message: k.detail.clone(),
                body: k.detail.clone(),
            },
            other => Outcome::Error {
                kind: other.to_string(),
                message: k.detail.clone(),
                body: k.detail.clone(),
            },
        };
        match suites.iter_mut().find(|(s, _)| *s == suite) {
            Some((_, cases)) => cases.push(Case { name, outcome }),
            None => suites.push((suite, vec![Case { name, outcome }])),
        }
    }
    junit(
        &format!(
            "rls_audit verify_isolation {}",
            crate::ident::quote_ident(role)
        ),
        &suites,
    )
}

#[cfg(test)]
mod unit {
    use super::*;

    fn finding(lint: &'static str, object: &str) -> Finding {
        Finding {
            lint,
            severity: Severity::High,
            schema_name: Some("Shop <&>".into()),
            object_name: object.into(),
            detail: "a \"detail\" with <markup> & a \u{1} control".into(),
            remediation: "ALTER TABLE x FORCE ROW LEVEL SECURITY;".into(),
        }
    }

    #[test]
    fn fingerprints_follow_the_finding_not_its_detail() {
        let a = finding("rls_disabled", "orders");
        let mut b = finding("rls_disabled", "orders");
        b.detail = "other words".into();
        assert_eq!(finding_fingerprint(&a), finding_fingerprint(&b));
        assert_ne!(
            finding_fingerprint(&a),
            finding_fingerprint(&finding("rls_disabled", "order"))
        );
        assert_ne!(
            finding_fingerprint(&a),
            finding_fingerprint(&finding("rls_not_forced", "orders"))
        );
    }

    #[test]
    fn sarif_has_a_rule_per_lint_and_levels_from_severity() {
        let log = sarif(&[finding("rls_disabled", "orders")], &[]);
        let run = &log["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().unwrap().len(),
            RULES.len()
        );
        assert_eq!(run["tool"]["driver"]["rules"][0]["name"], "RlsDisabled");
        assert_eq!(run["results"][0]["level"], "error");
        assert_eq!(run["results"][0]["ruleId"], "rls_disabled");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Info), "note");
    }

    #[test]
    fn every_lint_has_its_own_description() {
        for r in RULES {
            let (short, full, _) = describe(r.name);
            assert_ne!(
                short, "rls_audit lint",
                "{} has no SARIF description",
                r.name
            );
            assert!(full.len() > short.len(), "{}", r.name);
        }
    }

    #[test]
    fn junit_counts_and_escapes() {
        let x = lint_junit(&[finding("rls_disabled", "orders")], &[]);
        assert!(x.contains(&format!(
            "tests=\"{}\" failures=\"1\" errors=\"0\" skipped=\"0\"",
            RULES.len()
        )));
        assert!(x.contains("Shop &lt;&amp;&gt;"));
        assert!(x.contains("&quot;detail&quot; with &lt;markup&gt; &amp; a \u{FFFD} control"));
        assert!(!x.contains('\u{1}'));
    }
}
