// `#[pg_test]`s: behaviour inside one backend, exercised through SQL the way
// a DBA calls it. Each test runs in its own transaction, rolled back after.
use pgrx::prelude::*;

// Runs a statement in a subtransaction and returns its SQLSTATE ('00000' on
// success), so a test can assert the exact code an error carries.
extension_sql!(
    r#"
CREATE FUNCTION rls_audit.test_sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN '00000';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
"#,
    name = "test_helpers"
);

fn run(sql: &str) {
    Spi::run(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn one<T: FromDatum + IntoDatum>(sql: &str) -> Option<T> {
    Spi::get_one::<T>(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn sqlstate(sql: &str) -> String {
    Spi::get_one_with_args::<String>("SELECT rls_audit.test_sqlstate_of($1)", &[sql.into()])
        .expect("sqlstate_of")
        .expect("a SQLSTATE")
}

/// Every row of `sql` as text, `columns` columns, in the order returned.
fn text_rows(sql: &str, columns: usize) -> Vec<Vec<Option<String>>> {
    Spi::connect(|c| {
        c.select(sql, None, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .map(|row| {
                (1..=columns)
                    .map(|i| row.get::<String>(i).expect("a text column"))
                    .collect()
            })
            .collect()
    })
}

/// Drift rows as `text_rows` reads drift()'s columns.
fn drift_texts(rows: Vec<crate::diff::DriftRow>) -> Vec<Vec<Option<String>>> {
    rows.into_iter()
        .map(|r| {
            let (s, ch, sc, t, p, a, b, cu, d) = crate::api::drift::to_tuple(r);
            let name = |n: Option<crate::regclass::Name>| n.map(|n| n.0);
            vec![Some(s), Some(ch), name(sc), name(t), name(p), a, b, cu, Some(d)]
        })
        .collect()
}

fn snapshot_count() -> i64 {
    one::<i64>("SELECT count(*) FROM rls_audit.snapshots").unwrap_or(-1)
}

fn tenant_schema() {
    run(r#"
        CREATE ROLE rls_test_app NOLOGIN;
        CREATE TABLE public.customers (id int PRIMARY KEY, tenant_id int NOT NULL);
        ALTER TABLE public.customers ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON public.customers FOR ALL TO rls_test_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int);
    "#);
}

/// The write probes' SQLSTATEs are PostgreSQL's own five characters.
#[pg_test]
fn sqlstates_print_as_five_characters() {
    use pgrx::PgSqlErrorCode as C;
    assert_eq!(crate::shadow::sqlstate(C::ERRCODE_INSUFFICIENT_PRIVILEGE), "42501");
    assert_eq!(crate::shadow::sqlstate(C::ERRCODE_QUERY_CANCELED), "57014");
    assert_eq!(crate::shadow::sqlstate(C::ERRCODE_DIVISION_BY_ZERO), "22012");
}

#[pg_test]
fn first_snapshot_becomes_baseline_and_ids_increase() {
    tenant_schema();
    let a = one::<i64>("SELECT rls_audit.snapshot('a')").unwrap();
    let b = one::<i64>("SELECT rls_audit.snapshot('b', 'a note')").unwrap();
    assert!(b > a);
    assert_eq!(
        one::<i64>("SELECT id FROM rls_audit.snapshots WHERE is_baseline"),
        Some(a)
    );
    assert_eq!(
        one::<String>("SELECT note FROM rls_audit.snapshots WHERE label = 'b'").as_deref(),
        Some("a note")
    );
    // baseline => true moves the flag, and there is only ever one baseline
    let c = one::<i64>("SELECT rls_audit.snapshot('c', baseline => true)").unwrap();
    assert_eq!(
        one::<i64>("SELECT count(*) FROM rls_audit.snapshots WHERE is_baseline"),
        Some(1)
    );
    assert_eq!(
        one::<i64>("SELECT id FROM rls_audit.snapshots WHERE is_baseline"),
        Some(c)
    );
    assert_eq!(one::<i64>("SELECT rls_audit.set_baseline('a')"), Some(a));
    assert_eq!(
        one::<i64>("SELECT id FROM rls_audit.snapshots WHERE is_baseline"),
        Some(a)
    );
}

#[pg_test]
fn snapshot_content_matches_the_catalog() {
    tenant_schema();
    let id = one::<i64>("SELECT rls_audit.snapshot()").unwrap();
    let policies = one::<i64>(&format!(
        "SELECT count(*) FROM rls_audit.snapshot_policies WHERE snapshot_id = {id}"
    ));
    let live = one::<i64>(
        "SELECT count(*) FROM pg_policies WHERE schemaname NOT IN ('pg_catalog', 'rls_audit')",
    );
    assert_eq!(policies, live);
    assert_eq!(
        one::<i64>(&format!(
            "SELECT policies::bigint FROM rls_audit.snapshots WHERE id = {id}"
        )),
        live
    );
    // expressions are schema-qualified pg_get_expr text, roles sorted names
    assert_eq!(
        one::<String>(&format!(
            "SELECT using_expr FROM rls_audit.snapshot_policies WHERE snapshot_id = {id}"
        ))
        .as_deref(),
        Some("(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::integer)")
    );
    assert_eq!(
        one::<String>(&format!(
            "SELECT roles::text FROM rls_audit.snapshot_policies WHERE snapshot_id = {id}"
        ))
        .as_deref(),
        Some("{rls_test_app}")
    );
    assert_eq!(
        one::<bool>(&format!(
            "SELECT rls_enabled AND NOT rls_forced FROM rls_audit.snapshot_tables
              WHERE snapshot_id = {id} AND table_name = 'customers'"
        )),
        Some(true)
    );
    // rls_audit's own tables and predefined pg_* roles are not part of the state
    assert_eq!(
        one::<i64>(&format!(
            "SELECT count(*) FROM rls_audit.snapshot_tables
              WHERE snapshot_id = {id} AND schema_name = 'rls_audit'"
        )),
        Some(0)
    );
    assert_eq!(
        one::<i64>(&format!(
            "SELECT count(*) FROM rls_audit.snapshot_roles
              WHERE snapshot_id = {id} AND role_name LIKE 'pg\\_%'"
        )),
        Some(0)
    );
    assert_eq!(
        one::<bool>(&format!(
            "SELECT NOT superuser AND NOT bypassrls AND NOT can_login FROM rls_audit.snapshot_roles
              WHERE snapshot_id = {id} AND role_name = 'rls_test_app'"
        )),
        Some(true)
    );
}

#[pg_test]
fn fingerprint_is_equal_for_equal_states_only() {
    tenant_schema();
    let fp = |label: &str| {
        let id = one::<i64>(&format!("SELECT rls_audit.snapshot('{label}')")).unwrap();
        one::<String>(&format!("SELECT fingerprint FROM rls_audit.snapshots WHERE id = {id}"))
            .unwrap()
    };
    let a = fp("a");
    assert_eq!(a.len(), 64);
    assert_eq!(fp("b"), a, "nothing changed");
    run("ALTER POLICY tenant_isolation ON public.customers USING (tenant_id = 1)");
    let c = fp("c");
    assert_ne!(c, a, "USING changed");
    run("ALTER POLICY tenant_isolation ON public.customers
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)");
    assert_eq!(fp("d"), a, "changed back");
    run("ALTER TABLE public.customers FORCE ROW LEVEL SECURITY");
    assert_ne!(fp("e"), a, "FORCE changed");
    run("ALTER TABLE public.customers NO FORCE ROW LEVEL SECURITY");
    run("ALTER ROLE rls_test_app BYPASSRLS");
    assert_ne!(fp("f"), a, "role attribute changed");
}

#[pg_test]
fn references_resolve_label_then_keywords_then_id() {
    let a = one::<i64>("SELECT rls_audit.snapshot('first')").unwrap();
    let b = one::<i64>("SELECT rls_audit.snapshot()").unwrap();
    let resolve = |r: &str| {
        Spi::get_one_with_args::<i64>(
            "SELECT id FROM rls_audit.snapshots
              WHERE id = (SELECT rls_audit.set_baseline($1))",
            &[r.into()],
        )
        .unwrap()
    };
    assert_eq!(resolve("first"), Some(a));
    assert_eq!(resolve("latest"), Some(b));
    assert_eq!(resolve(&a.to_string()), Some(a));
    assert_eq!(resolve("baseline"), Some(a));
    // the keywords and ids cannot be taken as labels, so nobody can point
    // check_drift() or report() at another snapshot than the real baseline
    for label in ["baseline", "latest", "1", "007", "123456789012345678901"] {
        assert_eq!(
            sqlstate(&format!("SELECT rls_audit.snapshot('{label}')")),
            "22023",
            "{label}"
        );
    }
    assert_eq!(resolve("latest"), Some(b));
    // labels that merely look alike are fine
    assert!(one::<i64>("SELECT rls_audit.snapshot('latest-2026')").is_some());
    assert!(one::<i64>("SELECT rls_audit.snapshot('v1')").is_some());
}

#[pg_test]
fn every_bad_input_has_its_sqlstate_and_changes_nothing() {
    tenant_schema();
    run("SELECT rls_audit.snapshot('base')");
    run("SELECT rls_audit.snapshot('other')");
    let before = snapshot_count();
    let cases = [
        ("SELECT rls_audit.set_baseline('no such snapshot')", "42704"),
        ("SELECT rls_audit.forget('no such snapshot')", "42704"),
        ("SELECT rls_audit.forget('99999')", "42704"),
        ("SELECT rls_audit.snapshot('base')", "23505"),
        ("SELECT rls_audit.forget('base')", "55000"),
        ("SELECT rls_audit.forget('baseline')", "55000"),
        ("SELECT rls_audit.set_baseline(NULL)", "22004"),
        ("SELECT rls_audit.forget(NULL)", "22004"),
        ("SELECT rls_audit.snapshot('   ')", "22023"),
        (
            "SELECT rls_audit.policy_ddl('public.customers', 'nope')",
            "42704",
        ),
        (
            "SELECT rls_audit.policy_ddl('public.nope', 'tenant_isolation')",
            "42P01",
        ),
        (
            "SELECT rls_audit.policy_ddl(4000000000::oid::regclass, 'x')",
            "42P01",
        ),
    ];
    for (sql, code) in cases {
        assert_eq!(sqlstate(sql), code, "{sql}");
    }
    assert_eq!(
        snapshot_count(),
        before,
        "a failed call must not leave a snapshot"
    );
    assert_eq!(
        one::<String>("SELECT label FROM rls_audit.snapshots WHERE is_baseline").as_deref(),
        Some("base")
    );
    // and the happy path still works afterwards
    assert_eq!(sqlstate("SELECT rls_audit.forget('other')"), "00000");
    assert_eq!(snapshot_count(), before - 1);
}

#[pg_test]
fn policy_ddl_round_trips_awkward_names_under_empty_search_path() {
    run(r#"
        CREATE SCHEMA "Intake Ω";
        CREATE TABLE "Intake Ω"."forms ""v2""" (id int, tenant_id int, "Owner" text);
        CREATE ROLE "Role With Space";
        CREATE ROLE "select";
        CREATE FUNCTION "Intake Ω".current_tenant() RETURNS int LANGUAGE sql STABLE
            AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::int $$;
        CREATE POLICY "Tenant ""Read"" Ω" ON "Intake Ω"."forms ""v2""" AS RESTRICTIVE
            FOR SELECT TO "Role With Space", "select"
            USING (tenant_id = "Intake Ω".current_tenant());
        CREATE POLICY "order" ON "Intake Ω"."forms ""v2""" FOR INSERT
            WITH CHECK ("Owner" = current_user AND tenant_id > 0);
        CREATE POLICY plain ON "Intake Ω"."forms ""v2""" FOR UPDATE TO public
            USING (true) WITH CHECK (tenant_id IN (SELECT 1));
    "#);
    let rows = "SELECT policyname::text || permissive || cmd || roles::text
                       || coalesce(qual, '-') || coalesce(with_check, '-')
                  FROM pg_policies WHERE schemaname = 'Intake Ω' ORDER BY policyname";
    let before: Vec<String> = Spi::connect(|c| {
        c.select(rows, None, &[])
            .unwrap()
            .map(|r| r.get::<String>(1).unwrap().unwrap())
            .collect()
    });
    assert_eq!(before.len(), 3);
    let ddl: Vec<String> = Spi::connect(|c| {
        c.select(
            "SELECT rls_audit.policy_ddl(format('%I.%I', schemaname, tablename)::regclass, policyname)
               FROM pg_policies WHERE schemaname = 'Intake Ω'",
            None,
            &[],
        )
        .unwrap()
        .map(|r| r.get::<String>(1).unwrap().unwrap())
        .collect()
    });
    run(
        r#"DROP POLICY "Tenant ""Read"" Ω" ON "Intake Ω"."forms ""v2""";
           DROP POLICY "order" ON "Intake Ω"."forms ""v2""";
           DROP POLICY plain ON "Intake Ω"."forms ""v2""""#,
    );
    run("SET LOCAL search_path = ''");
    for stmt in &ddl {
        run(stmt);
    }
    run("RESET search_path");
    let after: Vec<String> = Spi::connect(|c| {
        c.select(rows, None, &[])
            .unwrap()
            .map(|r| r.get::<String>(1).unwrap().unwrap())
            .collect()
    });
    assert_eq!(before, after);
}

#[pg_test]
fn quote_ident_agrees_with_the_server_for_every_keyword() {
    let words: Vec<String> = Spi::connect(|c| {
        c.select("SELECT word FROM pg_get_keywords()", None, &[])
            .unwrap()
            .map(|r| r.get::<String>(1).unwrap().unwrap())
            .collect()
    });
    assert!(words.len() > 400);
    let extra = [
        "Mixed",
        "with space",
        "q\"uote",
        "Ωmega",
        "_ok",
        "a1",
        "1a",
        "",
    ];
    for w in words.iter().map(String::as_str).chain(extra) {
        let server =
            Spi::get_one_with_args::<String>("SELECT quote_ident($1)", &[w.into()]).unwrap();
        assert_eq!(Some(crate::ident::quote_ident(w)), server, "{w:?}");
    }
}

#[pg_test]
fn history_is_closed_to_public() {
    run("CREATE ROLE rls_test_nobody NOLOGIN");
    for t in [
        "snapshot_meta",
        "snapshot_policies",
        "snapshot_tables",
        "snapshot_roles",
        "snapshots",
    ] {
        for privilege in ["SELECT", "INSERT", "UPDATE", "DELETE"] {
            assert_eq!(
                one::<bool>(&format!(
                    "SELECT has_table_privilege('rls_test_nobody', 'rls_audit.{t}', '{privilege}')"
                )),
                Some(false),
                "{privilege} on {t}"
            );
        }
    }
    for f in [
        "snapshot(text, text, boolean)",
        "set_baseline(text)",
        "forget(text)",
    ] {
        assert_eq!(
            one::<bool>(&format!(
                "SELECT has_function_privilege('rls_test_nobody', 'rls_audit.{f}', 'EXECUTE')"
            )),
            Some(false),
            "{f}"
        );
    }
    // every rls_audit function is documented for \df+
    assert_eq!(
        one::<i64>(include_str!("../sql/catalog/undocumented_functions.sql")),
        Some(0)
    );
}

/// Every function x every kind of bad argument: the SPEC's SQLSTATE, no
/// backend crash, and nothing changed (snapshots, events, drift runs,
/// suppressions, freeze state and policies are counted before and after).
#[pg_test]
fn bad_input_table_for_every_function() {
    tenant_schema();
    run("SELECT rls_audit.snapshot('base')");
    let state = || {
        one::<String>(
            "SELECT concat_ws(',', (SELECT count(*) FROM rls_audit.snapshots),
                    (SELECT count(*) FROM rls_audit.events), (SELECT count(*) FROM rls_audit.drift_runs),
                    (SELECT count(*) FROM rls_audit.lint_ignore), (SELECT count(*) FROM rls_audit.freeze_state),
                    (SELECT count(*) FROM pg_policies), (SELECT string_agg(label, ',') FROM rls_audit.snapshots))",
        )
        .unwrap()
    };
    let before = state();
    let huge = "x".repeat(100_000);
    let cases: Vec<(String, &str)> = vec![
        // snapshots
        ("SELECT rls_audit.snapshot('base')".into(), "23505"),
        ("SELECT rls_audit.snapshot('')".into(), "22023"),
        ("SELECT rls_audit.set_baseline(NULL)".into(), "22004"),
        (format!("SELECT rls_audit.set_baseline('{huge}')"), "42704"),
        ("SELECT rls_audit.forget('')".into(), "42704"),
        ("SELECT rls_audit.forget('base')".into(), "55000"),
        ("SELECT rls_audit.forget('-1')".into(), "42704"),
        ("SELECT rls_audit.forget('99999999999999999999999')".into(), "42704"),
        // drift
        ("SELECT * FROM rls_audit.drift('nope')".into(), "42704"),
        ("SELECT * FROM rls_audit.drift('base', 'nope')".into(), "42704"),
        ("SELECT * FROM rls_audit.drift(NULL)".into(), "22004"),
        ("SELECT rls_audit.assert_no_drift('base', 'severe')".into(), "22023"),
        ("SELECT rls_audit.assert_no_drift('base', '')".into(), "22023"),
        ("SELECT rls_audit.assert_no_drift('nope')".into(), "42704"),
        ("SELECT rls_audit.check_drift('nope')".into(), "42704"),
        // restore
        ("SELECT rls_audit.policy_ddl('public.customers', 'nope')".into(), "42704"),
        ("SELECT rls_audit.policy_ddl('public.nope', 'x')".into(), "42P01"),
        ("SELECT rls_audit.policy_ddl(0::oid::regclass, 'x')".into(), "42P01"),
        ("SELECT rls_audit.restore_script('nope')".into(), "42704"),
        ("SELECT rls_audit.restore_script(NULL)".into(), "22004"),
        ("SELECT rls_audit.restore('nope')".into(), "42704"),
        // isolation
        ("SELECT * FROM rls_audit.verify_isolation('nope', 'app.tenant_id')".into(), "42704"),
        ("SELECT * FROM rls_audit.verify_isolation(NULL, 'app.tenant_id')".into(), "22004"),
        ("SELECT * FROM rls_audit.verify_isolation('rls_test_app', NULL)".into(), "22004"),
        ("SELECT * FROM rls_audit.verify_isolation('rls_test_app', '')".into(), "22023"),
        (format!("SELECT * FROM rls_audit.verify_isolation('rls_test_app', '{huge}')"), "22023"),
        ("SELECT * FROM rls_audit.verify_isolation('rls_test_app', 'app.tenant_id', 'nope')".into(), "42703"),
        ("SELECT * FROM rls_audit.verify_isolation('rls_test_app', 'app.tenant_id', tables => ARRAY[0::oid::regclass])".into(), "42P01"),
        ("SELECT * FROM rls_audit.verify_isolation('rls_test_app', 'app.tenant_id', tables => ARRAY['pg_database'::regclass])".into(), "42703"),
        ("SELECT * FROM rls_audit.probe('nope', 'public.customers')".into(), "42704"),
        ("SELECT * FROM rls_audit.probe('rls_test_app', 0::oid::regclass)".into(), "42P01"),
        ("SELECT * FROM rls_audit.probe('rls_test_app', 'public.customers', '\"text\"')".into(), "22023"),
        ("SELECT * FROM rls_audit.probe('rls_test_app', 'public.customers', '{\"bad name\": 1}')".into(), "22023"),
        ("SELECT * FROM rls_audit.probe('rls_test_app', 'public.customers', '{\"app.x\": [1]}')".into(), "22023"),
        // lint, report, freeze
        ("SELECT rls_audit.report('base', 'pdf')".into(), "22023"),
        ("SELECT rls_audit.report('base', NULL)".into(), "22004"),
        ("SELECT rls_audit.snapshot('baseline')".into(), "22023"),
        ("SELECT rls_audit.snapshot('latest')".into(), "22023"),
        ("SELECT rls_audit.snapshot('42')".into(), "22023"),
        ("SELECT * FROM rls_audit.verify_isolation('rls_test_app', 'app.tenant_id', tables => '{}')".into(), "22023"),
        ("SELECT * FROM rls_audit.verify_isolation('rls_test_app', 'app.tenant_id', tenants => '{}')".into(), "22023"),
        ("SELECT * FROM rls_audit.probe('rls_test_app', 'public.customers', '{\"role\": \"postgres\"}')".into(), "22023"),
        ("SELECT rls_audit.report('nope')".into(), "42704"),
        ("SELECT rls_audit.freeze(NULL)".into(), "22023"),
        ("SELECT rls_audit.freeze('   ')".into(), "22023"),
        ("INSERT INTO rls_audit.lint_ignore (lint, object, reason) VALUES ('nope', 'x', 'y')".into(), "23514"),
    ];
    for (sql, code) in &cases {
        let label: String = sql.chars().take(120).collect();
        assert_eq!(sqlstate(sql), *code, "{label}");
    }
    assert_eq!(state(), before, "a rejected call changed something");
    // NULLs where the SPEC has a meaning are not errors
    assert_eq!(sqlstate("SELECT count(*) FROM rls_audit.lint(NULL)"), "00000");
    assert_eq!(sqlstate("SELECT count(*) FROM rls_audit.drift('base', NULL)"), "00000");
    assert_eq!(sqlstate("SELECT rls_audit.snapshot(NULL, NULL, NULL)"), "00000");
}

/// Every word list in a CHECK constraint of rls_audit's tables is exactly
/// its enum's (or, for lint names, the rule table's): a word added on one
/// side only fails here, not at the first INSERT in production.
#[pg_test]
fn model_words_match_check_constraints() {
    use crate::model::{Change, Command, Mode};
    let words = |all: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = all.iter().map(|w| w.to_string()).collect();
        v.sort();
        v
    };
    let expected = |column: &str| -> Option<Vec<String>> {
        Some(match column {
            "permissive" => words(&Mode::ALL.iter().map(|m| m.as_sql()).collect::<Vec<_>>()),
            "command" => words(&Command::ALL.iter().map(|m| m.as_sql()).collect::<Vec<_>>()),
            "change" => words(&Change::ALL.iter().map(|m| m.as_sql()).collect::<Vec<_>>()),
            "lint" => words(&crate::lint::RULES.iter().map(|r| r.name).collect::<Vec<_>>()),
            _ => return None,
        })
    };
    let lists: Vec<(String, String, Vec<String>)> = Spi::connect(|c| {
        c.select(
            r#"SELECT c.conrelid::regclass::text, a.attname::text,
                      ARRAY(SELECT m[1] FROM regexp_matches(pg_get_constraintdef(c.oid),
                                                             '''([^'']*)''::text', 'g') AS m
                             ORDER BY m[1] COLLATE "C")
                 FROM pg_constraint c
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'c' AND c.connamespace = 'rls_audit'::regnamespace
                  AND pg_get_constraintdef(c.oid) LIKE '%= ANY (ARRAY[%'"#,
            None,
            &[],
        )
        .unwrap()
        .map(|r| {
            (
                r.get::<String>(1).unwrap().unwrap(),
                r.get::<String>(2).unwrap().unwrap(),
                r.get::<Vec<String>>(3).unwrap().unwrap(),
            )
        })
        .collect()
    });
    let columns: Vec<&str> = lists.iter().map(|(_, col, _)| col.as_str()).collect();
    for col in ["permissive", "command", "change", "lint"] {
        assert!(columns.contains(&col), "no word-list CHECK on {col}: {lists:?}");
    }
    for (table, column, list) in &lists {
        let want = expected(column)
            .unwrap_or_else(|| panic!("{table}.{column}: a word list with no enum in model.rs"));
        assert_eq!(list, &want, "{table}.{column}");
    }
}

/// snapshot() writes and fingerprints the catalog as it streams in, in the
/// order state.sql returns it; the oracle is the whole state read and
/// sorted in Rust (State::canonicalize): the same fingerprint, and the
/// stored snapshot loads back as that state with the same identities.
/// Names are chosen where byte order and tuple order part: prefixes ("a" <
/// "a b" < "ab"), capitals, quotes, non-ASCII letters and an emoji.
#[pg_test]
fn streamed_snapshot_is_the_whole_state_sorted() {
    use crate::{catalog, snapshot};
    run(r#"
        CREATE ROLE "rls stream Ω" NOLOGIN;
        CREATE ROLE rls_stream_a NOLOGIN;
        CREATE SCHEMA "a"; CREATE SCHEMA "a b"; CREATE SCHEMA "ab"; CREATE SCHEMA "A"; CREATE SCHEMA "é";
        DO $$
        DECLARE s text; t text; p text;
        BEGIN
            FOREACH s IN ARRAY ARRAY['a', 'a b', 'ab', 'A', 'é'] LOOP
                FOREACH t IN ARRAY ARRAY['t', 't t', 'T', 'tt', 'ä', 'q"q'] LOOP
                    EXECUTE format('CREATE TABLE %I.%I (tenant_id int)', s, t);
                    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', s, t);
                    FOREACH p IN ARRAY ARRAY['p', 'P', 'p q', 'pq', 'ü', '😀', 'a"b'] LOOP
                        EXECUTE format('CREATE POLICY %I ON %I.%I TO %I, rls_stream_a USING (tenant_id = %s)',
                                       p, s, t, 'rls stream Ω', length(s || t || p));
                    END LOOP;
                END LOOP;
            END LOOP;
        END $$;
    "#);
    let id = one::<i64>("SELECT rls_audit.snapshot('stream oracle')").expect("a snapshot id");
    let stored = one::<String>(&format!(
        "SELECT fingerprint FROM rls_audit.snapshot_meta WHERE id = {id}"
    ))
    .expect("a fingerprint");
    let (whole, whole_ids) = Spi::connect(|c| {
        run("SET LOCAL search_path = pg_catalog, pg_temp");
        catalog::read_live(c)
    })
    .expect("read_live");
    assert!(whole.policies.len() >= 5 * 6 * 7, "{} policies", whole.policies.len());
    assert_eq!(
        stored,
        whole.fingerprint(),
        "snapshot fingerprint = the whole state's"
    );
    assert_eq!(
        Spi::connect(catalog::live_fingerprint).expect("live_fingerprint"),
        stored
    );
    let (loaded, loaded_ids) = Spi::connect(|c| snapshot::load(c, id)).expect("load");
    assert_eq!(loaded, whole, "the stored rows are the state");
    assert_eq!(loaded_ids.policies, whole_ids.policies);
    assert_eq!(loaded_ids.tables, whole_ids.tables);
    assert_eq!(loaded_ids.roles, whole_ids.roles);
    let counts = one::<String>(&format!(
        "SELECT policy_count || '/' || table_count || '/' || role_count FROM rls_audit.snapshot_meta WHERE id = {id}"
    ));
    assert_eq!(
        counts,
        Some(format!("{}/{}/{}", whole.policies.len(), whole.tables.len(), whole.roles.len()))
    );
}

/// heap::name_datum writes a name without namein when it needs no
/// truncation: the same 64 bytes as namein, truncation included.
#[pg_test]
fn name_datum_is_namein() {
    let cases = [
        String::new(),
        "a".into(),
        "Sch \"q\" é".into(),
        "x".repeat(63),
        "x".repeat(64),
        "é".repeat(31) + "x",
        "é".repeat(32),
        "€".repeat(30),
    ];
    for s in &cases {
        let ours = crate::heap::name_datum(s).expect("name_datum");
        let c = std::ffi::CString::new(s.as_str()).expect("no NUL");
        // SAFETY: namein takes a cstring and returns a palloc'd NameData;
        // both datums point at NAMEDATALEN bytes
        let (a, b) = unsafe {
            let theirs = pgrx::direct_function_call_as_datum(pg_sys::namein, &[c.as_c_str().into_datum()])
                .expect("namein");
            let n = pg_sys::NAMEDATALEN as usize;
            (
                std::slice::from_raw_parts(ours.cast_mut_ptr::<u8>(), n).to_vec(),
                std::slice::from_raw_parts(theirs.cast_mut_ptr::<u8>(), n).to_vec(),
            )
        };
        assert_eq!(a, b, "name of {s:?}");
    }
}

/// The event triggers read a touched policy or table from the system
/// caches (catalog::live); snapshot() reads the same objects through
/// sql/catalog/state.sql. Both must give the same answer for every object,
/// whatever its names, roles, command, mode or expressions: the SQL read
/// is the oracle.
#[pg_test]
fn live_readers_agree_with_the_catalog_queries() {
    use crate::catalog;
    run(r#"
        CREATE ROLE "rls test ""Ω"" role" NOLOGIN;
        CREATE ROLE rls_test_b NOLOGIN;
        CREATE SCHEMA "Sch ""q"" é";
        CREATE TABLE "Sch ""q"" é"."T a""b" (id int, tenant_id int, "Col x" text);
        ALTER TABLE "Sch ""q"" é"."T a""b" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
        CREATE POLICY "p ""1"" ü" ON "Sch ""q"" é"."T a""b" AS RESTRICTIVE FOR SELECT
            TO "rls test ""Ω"" role", rls_test_b USING ("Col x" = 'it''s' AND tenant_id > 0);
        CREATE POLICY p2 ON "Sch ""q"" é"."T a""b" FOR INSERT WITH CHECK (tenant_id = 7);
        CREATE POLICY p3 ON "Sch ""q"" é"."T a""b" FOR UPDATE TO PUBLIC, rls_test_b
            USING (true) WITH CHECK (id IS NOT NULL);
        CREATE POLICY p4 ON "Sch ""q"" é"."T a""b" FOR DELETE USING (false);
        CREATE POLICY p5 ON "Sch ""q"" é"."T a""b" TO rls_test_b, rls_test_b
            USING (tenant_id = ANY (ARRAY[1, 2]));
        -- a tree of over 40 kB (its constant's bytes spelled out), stored
        -- compressed out of line
        DO $$ BEGIN
            EXECUTE format('CREATE POLICY p6 ON "Sch ""q"" é"."T a""b" FOR SELECT USING ("Col x" <> %L)',
                           repeat('é€', 1500));
        END $$;
        CREATE TABLE public.parted (id int, tenant_id int) PARTITION BY RANGE (id);
        CREATE TABLE public.parted_1 PARTITION OF public.parted FOR VALUES FROM (0) TO (10);
        CREATE POLICY on_parted ON public.parted USING (tenant_id = 1);
        CREATE TABLE public.plain (id int);
        CREATE VIEW public.a_view AS SELECT 1 AS one;
        CREATE TEMP TABLE temp_t (id int);
        CREATE POLICY on_temp ON temp_t USING (true);
        SET LOCAL search_path = pg_catalog, pg_temp;
    "#);
    let (state, ids) = Spi::connect(catalog::read_live).expect("read_live");
    let here = catalog::db_ident();
    let mut seen = 0;
    for p in &state.policies {
        let id = ids.policy(p).expect("every policy has an identity");
        let live = catalog::live::policy(pg_sys::Oid::from(id.oid), &here)
            .expect("live::policy")
            .expect("an in-scope policy is found");
        assert_eq!(live.policy, *p, "definition of {}", p.policy_name);
        assert_eq!(live.tree, id.tree, "tree of {}", p.policy_name);
        // both read the trees in Rust (live::Deparser): PostgreSQL's own
        // pg_get_expr() and the digest spelled in SQL are the oracle
        let sql = catalog::fill(&format!(
            "SELECT pg_catalog.pg_get_expr(p.polqual, p.polrelid) || '|', \
                    pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) || '|', {{policy_tree}}, \
                    (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(r), ',' ORDER BY r COLLATE \"C\") \
                       FROM (SELECT DISTINCT CASE WHEN x = 0 THEN 'public' \
                                             ELSE pg_catalog.pg_get_userbyid(x)::text END AS r \
                               FROM pg_catalog.unnest(p.polroles) AS x) s) \
               FROM pg_catalog.pg_policy p WHERE p.oid = {}",
            id.oid
        ));
        let oracle = Spi::connect(|c| {
            let row = c.select(&sql, Some(1), &[])?.first();
            Ok::<_, pgrx::spi::SpiError>((
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<String>(3)?,
                row.get::<String>(4)?,
            ))
        })
        .expect("oracle");
        let bar = |e: &Option<String>| e.as_ref().map(|e| format!("{e}|"));
        assert_eq!((bar(&p.using_expr), bar(&p.check_expr)), (oracle.0, oracle.1), "text of {}", p.policy_name);
        assert_eq!(Some(id.tree.clone()), oracle.2, "digest of {}", p.policy_name);
        let roles: Vec<String> = p.roles.iter().map(|r| crate::ident::quote_ident(r)).collect();
        assert_eq!(Some(roles.join(",")), oracle.3, "roles of {}", p.policy_name);
        assert_eq!(live.role_oids, id.role_oids, "role OIDs of {}", p.policy_name);
        assert_eq!((live.policy_oid, live.table_oid), (id.oid, id.table_oid));
        seen += 1;
    }
    assert!(seen >= 7, "the test's policies were read: {seen}");
    for t in &state.tables {
        let oid = ids.tables[&(t.schema_name.clone(), t.table_name.clone())];
        let (live, has_policies) = catalog::live::table(pg_sys::Oid::from(oid), &here)
            .expect("live::table")
            .expect("an in-scope table is found");
        assert_eq!(
            (&live.schema_name, &live.table_name, live.rls_enabled, live.rls_forced),
            (&t.schema_name, &t.table_name, t.rls_enabled, t.rls_forced)
        );
        let with_policies = state
            .policies
            .iter()
            .any(|p| (&p.schema_name, &p.table_name) == (&t.schema_name, &t.table_name));
        assert_eq!(has_policies, with_policies, "{}", t.table_name);
    }
    // out of scope: a temporary table's policy, a view, no such object
    let oid_of = |q: &str| pg_sys::Oid::from(one::<pg_sys::Oid>(q).unwrap().to_u32());
    let temp_policy = oid_of("SELECT oid FROM pg_catalog.pg_policy WHERE polname = 'on_temp'");
    assert!(catalog::live::policy(temp_policy, &here).unwrap().is_none());
    let view = oid_of("SELECT 'public.a_view'::pg_catalog.regclass::pg_catalog.oid");
    assert!(catalog::live::table(view, &here).unwrap().is_none());
    let nothing = pg_sys::Oid::from(4_000_000_000u32);
    assert!(catalog::live::policy(nothing, &here).unwrap().is_none());
    assert!(catalog::live::table(nothing, &here).unwrap().is_none());
    // the Rust copy of the scope rule says what the SQL one says
    for name in [
        "public", "pg_catalog", "information_schema", "rls_audit", "pg_toast",
        "pg_toast_temp_3", "pg_temp_3", "pg_temp", "pgx", "Pg_temp_1", "rls_audit2", "x pg_temp_1",
    ] {
        let sql_rule = Spi::get_one_with_args::<bool>(
            &format!("SELECT {} FROM (SELECT $1::name AS nspname) n", catalog::IN_SCOPE),
            &[name.into()],
        )
        .unwrap()
        .unwrap();
        assert_eq!(catalog::live::schema_in_scope(name), sql_rule, "{name}");
    }
}

/// A plain tree is deparsed without its table's relation cache entry
/// (catalog::live::deparse_plain), with the names read from the catalog
/// caches; PostgreSQL's own pg_get_expr() is the oracle for every tree,
/// plain or not, under the pinned search_path and under a hostile one.
/// The trees name renamed, quoted, unicode and keyword columns after a
/// dropped one, call functions with named arguments, cast to a domain,
/// compare with a collation, use SQL keywords' functions, use bare scalar
/// sub-selects (which pg_get_expr indents); the ones that are not plain
/// (CASE, EXISTS or any sub-select with a clause, a nested one, the same
/// sub-select twice or its text in a literal, the whole row, a system
/// column, a subscript, an array cast) must go to pg_get_expr.
#[pg_test]
fn plain_deparse_is_pg_get_expr() {
    use crate::catalog;
    run(r#"
        CREATE SCHEMA "Dp ""s"" é";
        CREATE TABLE "Dp ""s"" é"."T ""x""" (gone int, id int, "Tenant Id" int, "ünï" text,
            tags text[], "select" text, d date, n numeric, j jsonb, b bool, c "char", arr int[],
            v varchar(10));
        ALTER TABLE "Dp ""s"" é"."T ""x""" DROP COLUMN gone;
        ALTER TABLE "Dp ""s"" é"."T ""x""" RENAME COLUMN id TO "Id ""r""";
        CREATE DOMAIN "Dp ""s"" é".pos AS int CHECK (VALUE > 0);
        CREATE FUNCTION "Dp ""s"" é"."f ""q"""(a int, b int DEFAULT 0) RETURNS int
            LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
        CREATE POLICY p01 ON "Dp ""s"" é"."T ""x"""
            USING ("Tenant Id" = NULLIF(current_setting('app.tenant_id', true), '')::int);
        CREATE POLICY p02 ON "Dp ""s"" é"."T ""x"""
            USING ("Tenant Id" = ANY (ARRAY[1, 2, 3]) AND "ünï" IS NOT NULL OR b IS NOT TRUE);
        CREATE POLICY p03 ON "Dp ""s"" é"."T ""x"""
            USING ("select" = CURRENT_USER AND "ünï" = SESSION_USER AND d <= CURRENT_DATE);
        CREATE POLICY p04 ON "Dp ""s"" é"."T ""x"""
            USING ("Id ""r""" IN (1, 2) AND d > CURRENT_DATE - 7 AND NOT b AND v = 'x');
        CREATE POLICY p05 ON "Dp ""s"" é"."T ""x"""
            USING (coalesce("ünï", 'x') COLLATE "C" < 'y' AND greatest(1, "Tenant Id") > 0
                   AND nullif("Tenant Id", 3) IS DISTINCT FROM 4);
        CREATE POLICY p06 ON "Dp ""s"" é"."T ""x"""
            USING ("Dp ""s"" é"."f ""q"""(b => "Tenant Id", a => 1) > 0
                   AND "Tenant Id"::"Dp ""s"" é".pos > 0);
        CREATE POLICY p07 ON "Dp ""s"" é"."T ""x"""
            USING (arr && ARRAY[1] AND j ->> 'k' = 'v' AND n::text LIKE '1%' AND n::int > 0);
        CREATE POLICY p08 ON "Dp ""s"" é"."T ""x""" FOR INSERT
            WITH CHECK (c = 'a' AND tags @> '{x}' AND "Tenant Id" BETWEEN 1 AND 9);
        CREATE POLICY p09 ON "Dp ""s"" é"."T ""x"""
            USING (CASE WHEN b THEN "Tenant Id" = 1 ELSE false END);
        CREATE POLICY p10 ON "Dp ""s"" é"."T ""x"""
            USING (EXISTS (SELECT 1 FROM "Dp ""s"" é"."T ""x""" o
                            WHERE o."Tenant Id" = "T ""x"""."Tenant Id"));
        CREATE POLICY p11 ON "Dp ""s"" é"."T ""x""" USING ("T ""x""" IS NOT NULL);
        CREATE POLICY p12 ON "Dp ""s"" é"."T ""x""" USING (tableoid <> 0 AND ctid IS NOT NULL);
        CREATE POLICY p13 ON "Dp ""s"" é"."T ""x""" FOR UPDATE USING (tags[1] = 'a')
            WITH CHECK (tags[2] = 'b');
        CREATE POLICY p14 ON "Dp ""s"" é"."T ""x""" USING (arr::bigint[] && ARRAY[1::bigint]);
        -- scalar sub-selects: plain when bare and found once
        CREATE POLICY p15 ON "Dp ""s"" é"."T ""x"""
            USING ("Tenant Id" = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::int))
            WITH CHECK ("Tenant Id" = ANY ((SELECT ARRAY[1, 2])::int[]) AND (SELECT CURRENT_USER) = 'x');
        CREATE POLICY p16 ON "Dp ""s"" é"."T ""x"""
            USING ((SELECT "T ""x"""."ünï") IS NOT NULL AND "Id ""r""" = (SELECT 1)
                   AND (SELECT "Dp ""s"" é"."f ""q"""("Tenant Id") AS "Ω x") > 0);
        CREATE POLICY p17 ON "Dp ""s"" é"."T ""x"""
            USING ("Tenant Id" = (SELECT 1) OR "Id ""r""" = (SELECT 1));
        CREATE POLICY p18 ON "Dp ""s"" é"."T ""x"""
            USING ('(SELECT 1)' <> "ünï" AND "Tenant Id" = (SELECT 1));
        CREATE POLICY p19 ON "Dp ""s"" é"."T ""x""" USING ("Tenant Id" = (SELECT (SELECT 1)));
        CREATE POLICY p20 ON "Dp ""s"" é"."T ""x"""
            USING ("Tenant Id" IN (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = 1)
                   AND "Id ""r""" = (SELECT 2 LIMIT 1));
        CREATE POLICY p21 ON "Dp ""s"" é"."T ""x""" USING ("Tenant Id" = (SELECT CASE WHEN b THEN 1 END));
    "#);
    let plain = ["p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p15", "p16"];
    let trees = Spi::connect(|c| {
        c.select(
            "SELECT polname::text, polrelid, polqual::text, polwithcheck::text \
               FROM pg_catalog.pg_policy \
              WHERE polrelid = '\"Dp \"\"s\"\" é\".\"T \"\"x\"\"\"'::pg_catalog.regclass ORDER BY polname",
            None,
            &[],
        )?
        .map(|r| {
            Ok::<_, pgrx::spi::SpiError>((
                r.get::<String>(1)?.unwrap_or_default(),
                r.get::<pg_sys::Oid>(2)?.unwrap_or_default(),
                [r.get::<String>(3)?, r.get::<String>(4)?],
            ))
        })
        .collect::<Result<Vec<_>, _>>()
    })
    .expect("the policies");
    assert_eq!(trees.len(), 21);
    for path in ["pg_catalog, pg_temp", "\"Dp \"\"s\"\" é\", public, pg_catalog"] {
        run(&format!("SET LOCAL search_path = {path}"));
        for (name, table, exprs) in &trees {
            for (column, tree) in ["polqual", "polwithcheck"].iter().zip(exprs) {
                let Some(tree) = tree else { continue };
                let oracle = Spi::get_one_with_args::<String>(
                    &format!(
                        "SELECT pg_catalog.pg_get_expr({column}, polrelid) FROM pg_catalog.pg_policy \
                          WHERE polname = $1 AND polrelid = $2"
                    ),
                    &[name.as_str().into(), (*table).into()],
                )
                .expect("pg_get_expr");
                let datum = tree.clone().into_datum().expect("a text datum");
                let ours = catalog::live::Deparser::new().deparse(Some(datum), *table);
                assert_eq!(ours.text, oracle, "{name} under {path}");
                assert_eq!(ours.opened, !plain.contains(&name.as_str()), "{name}: opened or not");
                // SAFETY: a text datum holding a pg_node_tree's text
                let fast = unsafe { catalog::live::deparse_plain(datum.cast_mut_ptr(), *table) };
                assert_eq!(fast.is_some(), plain.contains(&name.as_str()), "{name}: plain or not");
            }
        }
    }
    // a table that is gone: NULL, as pg_get_expr says
    let tree = trees[0].2[0].clone().expect("p01 has USING");
    let datum = tree.clone().into_datum().expect("a text datum");
    let gone = pg_sys::Oid::from(4_000_000_000u32);
    // SAFETY: as above
    assert_eq!(unsafe { catalog::live::deparse_plain(datum.cast_mut_ptr(), gone) }, Some(None));
    let oracle = Spi::get_one_with_args::<String>(
        "SELECT pg_catalog.pg_get_expr(polqual, $2) FROM pg_catalog.pg_policy \
          WHERE polname = 'p01' AND polrelid = $1",
        &[trees[0].1.into(), gone.into()],
    )
    .expect("pg_get_expr");
    assert_eq!(oracle, None);
}

/// Capture hashes each event in Rust (PostgreSQL's jsonb text of the
/// event, SHA-256); verify_log() checks with rls_audit._event_hash in SQL.
/// With names, a ticket and an application name full of what JSON must
/// escape (quotes, backslashes, control characters, non-ASCII), every
/// stored hash is still the SQL function's: the SQL hash is the oracle.
#[pg_test]
fn event_hashes_are_the_sql_hash_for_hostile_values() {
    run(r#"
        -- PostgreSQL keeps application_name ASCII (é becomes ??)
        SET LOCAL application_name = 'app "q" \ é';
        SET LOCAL rls_audit.ticket = U&'T-1 "x" \\ \00e9 \0009 \0001 end';
        CREATE SCHEMA U&"s \\ ""q"" \000a nl";
        CREATE TABLE U&"s \\ ""q"" \000a nl".U&"t \0009 Ω" (id int, tenant_id int);
        ALTER TABLE U&"s \\ ""q"" \000a nl".U&"t \0009 Ω" ENABLE ROW LEVEL SECURITY;
        CREATE POLICY U&"p \0001 \001f \007f \2028 ü" ON U&"s \\ ""q"" \000a nl".U&"t \0009 Ω"
            USING (tenant_id = 1 AND 'a"b\c' <> U&'\0002');
        ALTER POLICY U&"p \0001 \001f \007f \2028 ü" ON U&"s \\ ""q"" \000a nl".U&"t \0009 Ω"
            RENAME TO "plain";
        DROP TABLE U&"s \\ ""q"" \000a nl".U&"t \0009 Ω";
    "#);
    let events = one::<i64>("SELECT count(*) FROM rls_audit.events").unwrap_or(0);
    assert!(events >= 4, "the DDL was captured: {events} events");
    assert_eq!(
        one::<i64>(
            "SELECT count(*) FROM rls_audit.events e
              WHERE e.hash IS DISTINCT FROM rls_audit._event_hash(e.id, e.occurred_at, e.txid,
                    e.session_user_name, e.current_user_name, e.application_name, e.client_addr,
                    e.command_tag, e.change, e.schema_name, e.table_name, e.policy_name, e.before,
                    e.after, e.statement, e.ticket, e.prev_hash)"
        ),
        Some(0)
    );
    assert_eq!(
        one::<i64>("SELECT count(*) FROM rls_audit.verify_log()"),
        Some(0)
    );
    // and they are not vacuous: the hostile values are in what was hashed
    assert_eq!(
        one::<i64>(
            "SELECT count(*) FROM rls_audit.events
              WHERE application_name = current_setting('application_name')
                AND application_name LIKE 'app \"q\" \\\\ %'
                AND ticket LIKE '%' || chr(1) || '%' AND strpos(schema_name, chr(10)) > 0"
        ),
        Some(events)
    );
}

/// Capture appends events straight into the heap and the indexes while
/// rls_audit.events is the plain table rls_audit created (crate::heap).
/// What a DBA adds to it still holds, exactly as for an INSERT: a trigger
/// fires, a CHECK constraint stops the DDL, a unique index refuses a
/// duplicate id.
#[pg_test]
fn event_log_appends_honour_what_a_dba_adds_to_the_table() {
    tenant_schema();
    let events = || one::<i64>("SELECT count(*) FROM rls_audit.events").unwrap_or(-1);
    // the plain table: appended directly, chain intact
    let before = events();
    run("CREATE POLICY direct_1 ON public.customers USING (true)");
    assert_eq!(events(), before + 1);
    // a unique index refuses a duplicate id (the sequence set back)
    // (nextval then returns the newest id again)
    run("SELECT pg_catalog.setval('rls_audit.events_id_seq', (SELECT max(id) FROM rls_audit.events), false)");
    assert_eq!(
        sqlstate("CREATE POLICY dup ON public.customers USING (true)"),
        "23505"
    );
    run("SELECT pg_catalog.setval('rls_audit.events_id_seq', (SELECT max(id) FROM rls_audit.events))");
    // a trigger a DBA added fires for every event
    run(r#"
        CREATE TABLE public.shipped (id bigint);
        CREATE FUNCTION public.ship() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO public.shipped VALUES (NEW.id); RETURN NEW; END $$;
        CREATE TRIGGER ship AFTER INSERT ON rls_audit.events
            FOR EACH ROW EXECUTE FUNCTION public.ship();
        CREATE POLICY shipped_1 ON public.customers USING (true);
        ALTER POLICY shipped_1 ON public.customers RENAME TO shipped_2;
    "#);
    assert_eq!(one::<i64>("SELECT count(*) FROM public.shipped"), Some(2));
    run("DROP TRIGGER ship ON rls_audit.events");
    // a CHECK constraint a DBA added stops a DDL that breaks it
    run("ALTER TABLE rls_audit.events ADD CONSTRAINT needs_ticket CHECK (ticket IS NOT NULL) NOT VALID");
    assert_eq!(
        sqlstate("CREATE POLICY unticketed ON public.customers USING (true)"),
        "23514"
    );
    run("SET LOCAL rls_audit.ticket = 'CHG-1'");
    run("CREATE POLICY ticketed ON public.customers USING (true)");
    run("ALTER TABLE rls_audit.events DROP CONSTRAINT needs_ticket");
    // a column a DBA added with a default gets it
    run("ALTER TABLE rls_audit.events ADD COLUMN shipped boolean NOT NULL DEFAULT false");
    run("CREATE POLICY defaulted ON public.customers USING (true)");
    assert_eq!(
        one::<bool>("SELECT shipped FROM rls_audit.events WHERE policy_name = 'defaulted'"),
        Some(false)
    );
    // whichever way each event went in, the chain is whole
    assert_eq!(one::<i64>("SELECT count(*) FROM rls_audit.verify_log()"), Some(0));
    assert_eq!(
        one::<i64>("SELECT count(*) FROM rls_audit.events WHERE policy_name IN ('direct_1', 'shipped_1', 'shipped_2', 'ticketed')"),
        Some(4)
    );
}

/// The tracked state is written without the executor (crate::heap) while
/// its tables are the plain ones rls_audit created, and through SQL once a
/// DBA has extended them. Either way it must say exactly what the catalog
/// says: untracked_changes() (SQL over the tracked rows and the catalog)
/// is the oracle, after every kind of change, with hostile names.
#[pg_test]
fn tracked_state_written_either_way_matches_the_catalog() {
    // (this cluster does not preload rls_audit: its roles are untracked
    // here by design, and tests::roles_without_the_hook covers them)
    let untracked = || {
        one::<i64>(
            "SELECT count(*) FROM rls_audit.untracked_changes()
              WHERE change NOT IN ('role_added', 'role_removed', 'role_changed')",
        )
    };
    let steps = [
        r#"CREATE ROLE "r ""q"" Ω" NOLOGIN; CREATE ROLE rls_test_r2 NOLOGIN;
           CREATE SCHEMA "S ""x"" é";
           CREATE TABLE "S ""x"" é"."T ""1""" (id int, tenant_id int);
           ALTER TABLE "S ""x"" é"."T ""1""" ENABLE ROW LEVEL SECURITY"#,
        r#"CREATE POLICY "p ""a""" ON "S ""x"" é"."T ""1""" TO "r ""q"" Ω", rls_test_r2
               USING (tenant_id = 1)"#,
        r#"ALTER POLICY "p ""a""" ON "S ""x"" é"."T ""1""" TO rls_test_r2 USING (tenant_id = 2)"#,
        r#"ALTER POLICY "p ""a""" ON "S ""x"" é"."T ""1""" RENAME TO "p b""#,
        r#"ALTER TABLE "S ""x"" é"."T ""1""" RENAME TO "T 2""#,
        r#"ALTER TABLE "S ""x"" é"."T 2" FORCE ROW LEVEL SECURITY"#,
        r#"ALTER SCHEMA "S ""x"" é" RENAME TO "S y""#,
        r#"CREATE POLICY second ON "S y"."T 2" FOR INSERT WITH CHECK (tenant_id > 0)"#,
        r#"DROP POLICY "p b" ON "S y"."T 2""#,
        r#"ALTER TABLE "S y"."T 2" DISABLE ROW LEVEL SECURITY"#,
        r#"DROP TABLE "S y"."T 2""#,
    ];
    for (round, prefix) in ["direct", "sql"].iter().enumerate() {
        if round == 1 {
            // a DBA's triggers: the tracked tables are written through SQL
            run(r#"
                DROP ROLE "r ""q"" Ω"; DROP ROLE rls_test_r2; DROP SCHEMA "S y";
                CREATE FUNCTION public.noop() RETURNS trigger LANGUAGE plpgsql
                    AS $$ BEGIN RETURN NEW; END $$;
                CREATE TRIGGER noop BEFORE INSERT OR UPDATE ON rls_audit.tracked_policies
                    FOR EACH ROW EXECUTE FUNCTION public.noop();
                CREATE TRIGGER noop BEFORE INSERT OR UPDATE ON rls_audit.tracked_tables
                    FOR EACH ROW EXECUTE FUNCTION public.noop();
            "#);
        }
        for (i, step) in steps.iter().enumerate() {
            run(step);
            assert_eq!(untracked(), Some(0), "{prefix}: after step {i}: {step}");
        }
    }
    assert_eq!(one::<i64>("SELECT count(*) FROM rls_audit.verify_log()"), Some(0));
    // the steps were recorded both times, not skipped
    assert_eq!(
        one::<i64>("SELECT count(*) FROM rls_audit.events WHERE change = 'renamed'"),
        Some(6)
    );
}

/// Without rls_audit in shared_preload_libraries (this cluster) nothing
/// records role statements, so nothing may pretend to: report() says role
/// capture is off, ALTER ROLE / GRANT role leave no event, and yet
/// untracked_changes() and drift() report them, record_untracked() records
/// them, and GRANT / ALTER TABLE … OWNER on a tracked table (DDL: the event
/// triggers see it) are events all the same.
#[pg_test]
fn roles_without_the_hook_are_found_not_recorded() {
    tenant_schema();
    run(r#"
        CREATE ROLE "rls Test ""bypass"" Ω" LOGIN;
        CREATE ROLE rls_test_owner NOLOGIN;
        SELECT rls_audit.record_untracked('roles of this test');
        SELECT rls_audit.snapshot('roles before');
    "#);
    assert_eq!(
        one::<String>(
            "SELECT rls_audit.report(format => 'json')::jsonb #>> '{rollback,role_capture}'"
        )
        .as_deref(),
        Some("off")
    );
    assert!(one::<String>("SELECT rls_audit.report()")
        .unwrap_or_default()
        .contains("Role capture: off"));
    let events = || one::<i64>("SELECT count(*) FROM rls_audit.events").unwrap_or(-1);
    let before = events();
    run(r#"
        ALTER ROLE "rls Test ""bypass"" Ω" BYPASSRLS;
        GRANT rls_test_owner TO "rls Test ""bypass"" Ω";
    "#);
    assert_eq!(events(), before, "no hook: no event");
    let untracked = |change: &str| {
        Spi::get_one_with_args::<String>(
            "SELECT string_agg(severity || ' ' || coalesce(attribute, '') || ' ' ||
                               coalesce(current_value, ''), '; ')
               FROM rls_audit.untracked_changes() WHERE change = $1",
            &[change.into()],
        )
        .expect("untracked_changes")
    };
    assert_eq!(
        untracked("role_changed").as_deref(),
        Some("critical bypassrls true")
    );
    assert_eq!(
        untracked("membership_added").as_deref(),
        Some(r#"high membership "rls Test ""bypass"" Ω" in rls_test_owner (inherit, set)"#)
    );
    assert_eq!(
        one::<i64>(
            "SELECT count(*) FROM rls_audit.drift('roles before')
              WHERE change = 'role_changed' AND attribute = 'bypassrls' AND severity = 'critical'"
        ),
        Some(1)
    );
    // DDL is captured with or without the hook
    run(r#"
        GRANT SELECT ON public.customers TO "rls Test ""bypass"" Ω";
        ALTER TABLE public.customers OWNER TO rls_test_owner;
    "#);
    assert_eq!(
        one::<String>(
            "SELECT string_agg(change || ':' || coalesce(after ->> 'grantee', after ->> 'owner'), ',' ORDER BY id)
               FROM rls_audit.events WHERE id > (SELECT max(id) - 2 FROM rls_audit.events)"
        )
        .as_deref(),
        Some(r#"grant_added:rls Test "bypass" Ω,owner_changed:rls_test_owner"#)
    );
    // recorded afterwards: one UNTRACKED event per difference
    assert_eq!(
        one::<i32>("SELECT rls_audit.record_untracked('found by the nightly check')"),
        Some(2)
    );
    assert_eq!(
        one::<String>(
            "SELECT string_agg(change, ',' ORDER BY change) FROM rls_audit.events
              WHERE command_tag = 'UNTRACKED' AND statement = 'found by the nightly check'"
        )
        .as_deref(),
        Some("membership_added,role_changed")
    );
    assert_eq!(
        one::<i64>("SELECT count(*) FROM rls_audit.untracked_changes()"),
        Some(0)
    );
    assert_eq!(
        one::<i64>("SELECT count(*) FROM rls_audit.verify_log()"),
        Some(0)
    );
}

/// Capture writes PostgreSQL's jsonb text of each event itself
/// (capture::jsonb_text): PostgreSQL's own `jsonb::text` is the oracle,
/// for key orders, nesting and every character JSON escapes.
#[pg_test]
fn event_text_is_postgres_jsonb_text() {
    use serde_json::json;
    let values = [
        json!([1, -2, 946684800000000i64, null, true, false, "", [], {}]),
        json!({"bb": 1, "a": 2, "ccc": {"zz": [1, {"y": null, "x": "é"}], "z": "Ω"}, "b": "q\"uo\\te"}),
        json!(["\u{1}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1f}\u{7f}\u{2028}ü/<>", {"schema_name": "s", "roles": ["a b", "public"]}]),
        json!({"role_name": "r", "member": "m", "admin_option": false, "set_option": true}),
    ];
    for v in values {
        let ours = crate::capture::jsonb_text(&v).expect("a text");
        let theirs = Spi::get_one_with_args::<String>(
            "SELECT $1::jsonb::text",
            &[v.to_string().into()],
        )
        .expect("jsonb")
        .expect("a text");
        assert_eq!(ours, theirs, "{v}");
    }
    // what jsonb spells otherwise is left to PostgreSQL
    assert_eq!(crate::capture::jsonb_text(&json!([1.5])), None);
    assert_eq!(crate::capture::jsonb_text(&json!(["nul \u{0} here"])), None);
}

/// snapshot() writes its rows without SQL (crate::heap) while the three
/// content tables are the plain ones rls_audit created, their foreign
/// keys' checks included, and through SQL once a DBA extends them. The
/// oracle is the SQL path itself: the rows either way are the same, a
/// trigger a DBA added sees every row, and the foreign keys still hold
/// (forget() cascades).
#[pg_test]
fn snapshot_rows_written_either_way_are_the_same() {
    use crate::model::{Policy, Role, Table};
    let direct = || {
        crate::snapshot::write_direct::<&Policy, &Table, &Role>(0, &[], &[], &[])
            .expect("write_direct")
    };
    tenant_schema();
    run(r#"
        CREATE ROLE "rls either Ω" NOLOGIN;
        CREATE SCHEMA "Either ""way""";
        CREATE TABLE "Either ""way"""."t é" (tenant_id int, body text);
        ALTER TABLE "Either ""way"""."t é" ENABLE ROW LEVEL SECURITY;
        ALTER TABLE "Either ""way"""."t é" FORCE ROW LEVEL SECURITY;
        CREATE POLICY "p ""q""" ON "Either ""way"""."t é" AS RESTRICTIVE FOR UPDATE
            TO "rls either Ω", rls_test_app USING (tenant_id = 1) WITH CHECK (body <> 'x');
        CREATE POLICY "😀" ON "Either ""way"""."t é" FOR INSERT WITH CHECK (true);
        CREATE POLICY ins ON public.customers FOR DELETE TO PUBLIC USING (tenant_id > 0);
        CREATE TABLE public.seen (n int);
        CREATE FUNCTION public.see() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO public.seen VALUES (1); RETURN NEW; END $$;
    "#);
    assert!(direct(), "the plain tables are written directly");
    let a = one::<i64>("SELECT rls_audit.snapshot('direct')").unwrap();
    // a DBA's trigger: the rows go through SQL, and it sees each of them
    run(r#"
        CREATE TRIGGER see AFTER INSERT ON rls_audit.snapshot_policies
            FOR EACH ROW EXECUTE FUNCTION public.see();
    "#);
    assert!(!direct(), "a table with a DBA's trigger goes through SQL");
    let b = one::<i64>("SELECT rls_audit.snapshot('through sql')").unwrap();
    assert_eq!(
        one::<i64>("SELECT count(*) FROM public.seen"),
        one::<i32>(&format!("SELECT policy_count FROM rls_audit.snapshot_meta WHERE id = {b}"))
            .map(i64::from)
    );
    run("DROP TRIGGER see ON rls_audit.snapshot_policies");
    assert!(direct());
    for (table, columns) in [
        (
            "snapshot_policies",
            "schema_name, table_name, policy_name, permissive, command, roles, using_expr, check_expr, policy_oid, table_oid, tree, role_oids",
        ),
        (
            "snapshot_tables",
            "schema_name, table_name, owner, rls_enabled, rls_forced, table_oid",
        ),
        (
            "snapshot_roles",
            "role_name, superuser, bypassrls, can_login, role_oid",
        ),
    ] {
        let rows = |id: i64| format!("SELECT {columns} FROM rls_audit.{table} WHERE snapshot_id = {id}");
        let differ = one::<i64>(&format!(
            "SELECT count(*) FROM (({} EXCEPT ALL {}) UNION ALL ({} EXCEPT ALL {})) d",
            rows(a),
            rows(b),
            rows(b),
            rows(a)
        ));
        assert_eq!(differ, Some(0), "{table}: rows differ between the two ways");
        assert!(
            one::<i64>(&format!("SELECT count(*) FROM ({}) r", rows(a))).unwrap_or(0) > 0,
            "{table} has rows"
        );
    }
    assert_eq!(
        one::<bool>(&format!(
            "SELECT a.fingerprint = b.fingerprint FROM rls_audit.snapshot_meta a, rls_audit.snapshot_meta b WHERE a.id = {a} AND b.id = {b}"
        )),
        Some(true)
    );
    // each way out of the direct path
    for (extend, undo) in [
        (
            "ALTER TABLE rls_audit.snapshot_tables ADD CONSTRAINT dba CHECK (owner <> '') NOT VALID",
            "ALTER TABLE rls_audit.snapshot_tables DROP CONSTRAINT dba",
        ),
        (
            "ALTER TABLE rls_audit.snapshot_roles ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE rls_audit.snapshot_roles DISABLE ROW LEVEL SECURITY",
        ),
        (
            "CREATE INDEX dba ON rls_audit.snapshot_policies (lower(policy_name))",
            "DROP INDEX rls_audit.dba",
        ),
    ] {
        run(extend);
        assert!(!direct(), "{extend}");
        run(undo);
    }
    assert!(direct());
    // the foreign keys hold and cascade
    run("SELECT rls_audit.set_baseline('through sql')");
    run("SELECT rls_audit.forget('direct')");
    for table in ["snapshot_policies", "snapshot_tables", "snapshot_roles"] {
        assert_eq!(
            one::<i64>(&format!(
                "SELECT count(*) FROM rls_audit.{table} WHERE snapshot_id = {a}"
            )),
            Some(0),
            "{table}"
        );
    }
}

#[pg_test]
fn drift_rows_come_out_sorted_as_rust_sorts_them_even_spilled() {
    tenant_schema();
    run(r#"
        CREATE ROLE "Drift Ω" NOLOGIN;
        CREATE ROLE drift_gone NOLOGIN;
        CREATE SCHEMA "Zeta";
        CREATE SCHEMA "alpha é";
        CREATE TABLE public.renamed_later (tenant_id int);
        ALTER TABLE public.renamed_later ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "old name" ON public.renamed_later USING (tenant_id = 1);
        CREATE POLICY gone ON public.customers AS RESTRICTIVE USING (tenant_id > 0);
    "#);
    run("SELECT rls_audit.snapshot('drift order')");
    // many rows of every kind, with names whose byte order is not their
    // alphabetical order (capitals, accents, emoji, quotes)
    run(r#"
        DO $$
        BEGIN
            FOR i IN 1..120 LOOP
                EXECUTE format('CREATE TABLE %I.%I (tenant_id int, body text)',
                               CASE WHEN i % 2 = 0 THEN 'Zeta' ELSE 'alpha é' END,
                               CASE i % 4 WHEN 0 THEN 'T' WHEN 1 THEN 't' WHEN 2 THEN 'é' ELSE '😀 "q"' END || i);
            END LOOP;
        END $$;
        DO $$
        DECLARE r record;
        BEGIN
            FOR r IN SELECT c.oid::regclass AS t FROM pg_catalog.pg_class c
                      WHERE c.relnamespace IN ('"Zeta"'::regnamespace, '"alpha é"'::regnamespace)
                        AND c.relkind = 'r'
            LOOP
                EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', r.t);
                EXECUTE format('CREATE POLICY "P" ON %s USING (tenant_id = 1)', r.t);
                EXECUTE format('CREATE POLICY p ON %s AS RESTRICTIVE FOR INSERT TO "Drift Ω" WITH CHECK (body <> %L)', r.t, 'x');
                EXECUTE format('CREATE POLICY "é" ON %s FOR SELECT TO rls_test_app USING (true)', r.t);
                EXECUTE format('GRANT SELECT, INSERT ON %s TO "Drift Ω", rls_test_app', r.t);
            END LOOP;
        END $$;
        ALTER TABLE public.renamed_later RENAME TO "Renamed now";
        ALTER POLICY "old name" ON public."Renamed now" RENAME TO "new name";
        ALTER TABLE public."Renamed now" RENAME COLUMN tenant_id TO "Tenant";
        ALTER POLICY tenant_isolation ON public.customers USING (tenant_id = 2);
        DROP POLICY gone ON public.customers;
        DROP ROLE drift_gone;
        CREATE ROLE "drift new" LOGIN BYPASSRLS;
        GRANT SELECT ON public.customers TO "Drift Ω";
    "#);
    // the sort and the result may keep 64 kB: both spill to files
    run("SET LOCAL work_mem = '64kB'");
    let got = text_rows(
        r#"SELECT severity, change, schema_name::text, table_name::text, policy_name::text,
                  attribute, baseline_value, current_value, detail
             FROM rls_audit.drift('drift order')"#,
        9,
    );
    run("SET LOCAL search_path = pg_catalog, pg_temp");
    let expected = drift_texts(Spi::connect(|c| {
        crate::drift::states_for(c, Some("drift order"), None)
            .expect("states_for")
            .rows()
    }));
    // a row here is over 200 bytes as a tuple: 400 of them spill past 64 kB
    assert!(expected.len() > 400, "{} rows", expected.len());
    // drift keeps the live identity of only the policies the baseline
    // has: the same rows as aligning with every live identity
    let whole: Vec<crate::diff::DriftRow> = Spi::connect(|c| -> crate::error::Result<_> {
        let id = crate::snapshot::resolve_ref(c, Some("drift order"))?;
        let (mut base, base_ids) = crate::snapshot::load(c, id)?;
        let (cur, cur_ids) = crate::catalog::read_live(c)?;
        let mut base_access = crate::snapshot::load_access(c, id)?;
        let renamed = crate::diff::align(&mut base, &base_ids, &cur, &cur_ids, base_access.as_mut());
        let cur_access = Some(crate::catalog::read_access(c)?);
        Ok(crate::diff::Compared {
            base_id: id,
            base,
            cur,
            renamed,
            base_access,
            cur_access,
        }
        .rows())
    })
    .expect("the whole comparison");
    let whole = drift_texts(whole);
    assert_eq!(whole, expected);
    // the renamed column's policy is the same policy: no change row
    assert!(!expected
        .iter()
        .any(|r| r[4].as_deref() == Some("new name") && r[1].as_deref() == Some("policy_changed")));
    let changes: std::collections::BTreeSet<&str> = expected
        .iter()
        .filter_map(|r| r[1].as_deref())
        .collect();
    for change in [
        "policy_added",
        "policy_removed",
        "policy_changed",
        "table_added",
        "role_added",
        "role_removed",
        "renamed",
        "access_widened",
    ] {
        assert!(changes.contains(change), "{change} in {changes:?}");
    }
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "row {i}");
    }
}

#[pg_test]
fn reading_the_live_state_leaves_nothing_in_the_transaction() {
    tenant_schema();
    run(r#"
        CREATE ROLE "leak Ω" NOLOGIN;
        DO $$
        BEGIN
            FOR i IN 1..200 LOOP
                EXECUTE format('CREATE TABLE public.leak%s (tenant_id int)', i);
                FOR j IN 1..5 LOOP
                    EXECUTE format('CREATE POLICY p%s ON public.leak%s TO "leak Ω", rls_test_app USING (tenant_id = %s)', j, i, j);
                END LOOP;
            END LOOP;
        END $$;
    "#);
    run("SET LOCAL search_path = pg_catalog, pg_temp");
    let transaction = || {
        one::<i64>(
            "SELECT total_bytes FROM pg_catalog.pg_backend_memory_contexts WHERE name = 'TopTransactionContext'",
        )
        .expect("TopTransactionContext")
    };
    // once to warm the caches and the kept plans
    Spi::connect(|c| crate::catalog::read_live(c).map(|_| ())).expect("read_live");
    let before = transaction();
    for _ in 0..3 {
        let (state, _) = Spi::connect(crate::catalog::read_live).expect("read_live");
        assert!(state.policies.len() >= 1000);
        Spi::connect(|c| crate::catalog::read_access(c).map(|_| ())).expect("read_access");
    }
    // each policy's two arrays decoded in the transaction's context would
    // add over 300 kB here
    let grown = transaction() - before;
    assert!(grown <= 64 * 1024, "the transaction's context grew {grown} bytes");
}

#[pg_test]
fn a_catalog_read_leaves_no_cache_entries_past_the_kept_tables() {
    // tables past catalog::KEEP_LOOKUPS, each with a policy naming columns:
    // deparsing it fills the relation cache and the catalog caches (the
    // table's pg_class row, each column looked up by number)
    let make = |from: usize, to: usize| {
        run(&format!(
            r#"DO $$
               BEGIN
                   FOR i IN {from}..{to} LOOP
                       EXECUTE format('CREATE TABLE public."Cache é%s" (a int, b int, "Tenant Id" int)', i);
                       EXECUTE format('CREATE POLICY p ON public."Cache é%s" USING ("Tenant Id" = a + b)', i);
                   END LOOP;
               END $$"#
        ))
    };
    let cache = || {
        one::<i64>(
            "SELECT used_bytes FROM pg_catalog.pg_backend_memory_contexts WHERE name = 'CacheMemoryContext'",
        )
        .expect("CacheMemoryContext")
    };
    // what one read of the live state leaves in the caches, from empty ones
    let left_by_a_read = || {
        // SAFETY: what PostgreSQL does when its invalidation queue overflows
        unsafe { pg_sys::InvalidateSystemCaches() };
        let before = cache();
        let (state, _) = Spi::connect(crate::catalog::read_live).expect("read_live");
        (cache() - before, state.policies.len())
    };
    let keep = crate::catalog::KEEP_LOOKUPS;
    assert!(keep > crate::catalog::KEEP_TABLES);
    make(1, keep + 20);
    left_by_a_read(); // plans and the system catalogs' own entries
    let (few, n) = left_by_a_read();
    assert_eq!(n, keep + 20);
    make(keep + 21, keep + 320);
    let (many, n) = left_by_a_read();
    assert_eq!(n, keep + 320);
    // the 300 tables more would leave about 150 kB (a pg_class row and
    // three columns each) if their entries stayed
    let more = many - few;
    assert!(
        more < 300 * 128,
        "300 tables past the kept ones left {more} bytes in the caches ({few} -> {many})"
    );
}

#[pg_test]
fn access_matrix_rows_are_the_model_cells_in_order_even_spilled() {
    tenant_schema();
    run(r#"
        CREATE ROLE "Matrix Ω" LOGIN;
        CREATE ROLE matrix_b LOGIN;
        GRANT rls_test_app TO matrix_b;
        CREATE SCHEMA "Zeta";
        DO $$
        BEGIN
            FOR i IN 1..60 LOOP
                EXECUTE format('CREATE TABLE %I.%I (tenant_id int)',
                               CASE WHEN i % 2 = 0 THEN 'Zeta' ELSE 'public' END,
                               CASE i % 3 WHEN 0 THEN 'T' WHEN 1 THEN 't' ELSE 'é' END || i);
                EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY',
                               CASE WHEN i % 2 = 0 THEN 'Zeta' ELSE 'public' END,
                               CASE i % 3 WHEN 0 THEN 'T' WHEN 1 THEN 't' ELSE 'é' END || i);
                EXECUTE format('CREATE POLICY p ON %I.%I TO "Matrix Ω" USING (tenant_id = %s)',
                               CASE WHEN i % 2 = 0 THEN 'Zeta' ELSE 'public' END,
                               CASE i % 3 WHEN 0 THEN 'T' WHEN 1 THEN 't' ELSE 'é' END || i, i);
                EXECUTE format('GRANT SELECT, UPDATE ON %I.%I TO "Matrix Ω", rls_test_app',
                               CASE WHEN i % 2 = 0 THEN 'Zeta' ELSE 'public' END,
                               CASE i % 3 WHEN 0 THEN 'T' WHEN 1 THEN 't' ELSE 'é' END || i);
            END LOOP;
        END $$;
    "#);
    // the result may keep 64 kB: it spills to a file
    run("SET LOCAL work_mem = '64kB'");
    let got = text_rows(
        r#"SELECT role_name::text, schema_name::text, table_name::text, command, access, via, detail
             FROM rls_audit.access_matrix(ARRAY['Matrix Ω', 'matrix_b', 'rls_test_app']::name[])"#,
        7,
    );
    run("SET LOCAL search_path = pg_catalog, pg_temp");
    let expected: Vec<Vec<Option<String>>> = Spi::connect(|c| {
        let policies = crate::catalog::read_policies(c).expect("read_policies");
        let facts = crate::catalog::read_access(c).expect("read_access");
        let model = crate::access::Model::new(&facts, &policies);
        let roles: Vec<String> = ["Matrix Ω", "matrix_b", "rls_test_app"]
            .map(String::from)
            .to_vec();
        model
            .matrix(&roles, None)
            .into_iter()
            .map(|cell| {
                vec![
                    Some(cell.role),
                    Some(cell.schema),
                    Some(cell.table),
                    Some(cell.command.as_sql().to_string()),
                    Some(cell.reach.access.as_sql().to_string()),
                    cell.reach.via,
                    Some(cell.reach.detail),
                ]
            })
            .collect()
    });
    // 3 roles x 61 tables x 4 commands, each row well over 100 bytes
    assert!(expected.len() >= 700, "{} cells", expected.len());
    let levels: std::collections::BTreeSet<&str> =
        expected.iter().filter_map(|r| r[4].as_deref()).collect();
    assert!(levels.len() >= 2, "{levels:?}");
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "cell {i}");
    }
}

#[pg_test]
fn one_expression_is_what_postgres_parses_as_one() {
    use crate::expr::one_expression;
    for ok in [
        "true",
        "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::integer)",
        "a = ANY (ARRAY[1, 2]) AND (SELECT true)",
        "'it''s; a string; DROP TABLE t' = b",
        "$x$ ); DROP TABLE t; ( $x$ = b",
        "CASE WHEN a > 1 THEN true ELSE false END",
    ] {
        assert!(one_expression(ok), "{ok}");
    }
    for bad in [
        "",
        "true); DROP TABLE t; SELECT (true",
        "true; DROP TABLE t",
        "true;",
        "true) WITH CHECK (true",
        "true), (false",
        "true AS x",
        "true FROM pg_class",
        "true WHERE false",
        "true UNION SELECT false",
        "true ORDER BY 1",
        "true LIMIT 1",
        "true FOR UPDATE",
        "true INTO t",
        "true -- ",
        "true) /*",
        "(true",
    ] {
        assert!(!one_expression(bad), "{bad}");
    }
}

#[pg_test]
fn an_edited_document_with_its_fingerprint_recomputed_is_not_imported() {
    tenant_schema();
    // a document whose fingerprint matches its edited content: the hash
    // proves no origin, so the expressions are checked themselves
    let exported = one::<pgrx::JsonB>("SELECT rls_audit.export(rls_audit.snapshot()::text)")
        .expect("an export")
        .0;
    let doc: crate::export::Document = serde_json::from_value(exported).expect("a document");
    // the customers policy's USING edited, the fingerprint hashed again as
    // an editor would, and the import's SQLSTATE
    let import_edited = |using: &str, label: &str| {
        let mut doc = doc_clone(&doc);
        if let Some(p) = doc
            .state
            .policies
            .iter_mut()
            .find(|p| p.table_name == "customers")
        {
            p.using_expr = Some(using.into());
        }
        doc.fingerprint = doc.state.fingerprint();
        let json = serde_json::to_string(&doc).expect("a document");
        sqlstate(&format!(
            "SELECT rls_audit.import({}::jsonb, {})",
            crate::ident::quote_literal(&json),
            crate::ident::quote_literal(label)
        ))
    };
    // an edit that is one expression goes in
    assert_eq!(import_edited("(tenant_id = 2)", "edited, one expression"), "00000");
    assert_eq!(
        import_edited("true); DROP TABLE public.customers; SELECT (true", "edited"),
        "22023"
    );
    assert_eq!(
        one::<i64>("SELECT count(*) FROM rls_audit.snapshots WHERE label = 'edited'"),
        Some(0)
    );
}

/// A copy of a document (it is not `Clone`: a round trip through JSON).
fn doc_clone(doc: &crate::export::Document) -> crate::export::Document {
    serde_json::from_value(serde_json::to_value(doc).expect("a document")).expect("a document")
}

/// Check variants with each `Computed` expression, and each `Searched`
/// one's first candidate that passes, replaced by its value here (as
/// `Computed`: its SQL differs between PostgreSQL versions; its value
/// does not).
fn computed_values(
    got: Vec<(String, crate::catalog::Variant)>,
) -> Vec<(String, crate::catalog::Variant)> {
    use crate::catalog::Variant::{Computed, Reach, Rows, Searched, Targets};
    // (the terms that reach rows or other tenants:
    // check_variants_give_the_terms_that_reach_rows)
    got.into_iter()
        .filter(|(_, v)| !matches!(v, Reach(..) | Targets(..)))
        .map(|(c, v)| match v {
            // (the first row that passes, the other tenant's value 2, as
            // JSON, and the columns set with it)
            Rows(r) => {
                let rows = crate::candidates::rows(
                    &r.candidates,
                    r.tenant.then_some(&["2".to_string()][..]),
                    r.most,
                );
                let value = Spi::get_one_with_args::<String>(
                    &format!("SELECT ({})::text", r.sql),
                    &[rows.into()],
                )
                .unwrap_or_default()
                .unwrap_or_default();
                (c, Computed(format!("{value} with {}", r.with.join(", "))))
            }
            Computed(sql) => {
                let value = one::<String>(&format!("SELECT ({sql})::text")).unwrap_or_default();
                (c, Computed(value))
            }
            // (the first of its candidates that passes, here in one run)
            Searched(sql, candidates, _) => {
                let value = Spi::get_one_with_args::<String>(
                    &format!("SELECT ({sql})::text"),
                    &[candidates.into()],
                )
                .unwrap_or_default()
                .unwrap_or_default();
                (c, Computed(value))
            }
            v => (c, v),
        })
        .collect()
}

/// The values the write policies' checks compare the table's other
/// columns with: constants (under implicit casts, in an IN list, in a
/// sub-select), a boolean column, IS NULL, the tenant setting itself;
/// not the tenant column, not a SELECT or DELETE policy's, not another
/// role's, and not a value the column's type cannot read (7.5 for an
/// integer, compared as numeric).
#[pg_test]
fn check_variants_are_the_values_write_checks_compare_other_columns_with() {
    run(r#"
        CREATE ROLE rls_audit_variants_app;
        CREATE ROLE rls_audit_variants_other;
        CREATE TABLE public.variants (id int, tenant_id int, "Is Public" boolean, kind varchar(10),
                                      partner int, note text, size int);
        CREATE TABLE public.variants_tags (id int, tag text);
        CREATE POLICY i ON public.variants FOR INSERT TO rls_audit_variants_app
            WITH CHECK (tenant_id = 1 OR "Is Public" OR kind IN ('shared', 'global'));
        CREATE POLICY u ON public.variants FOR UPDATE
            USING (tenant_id = current_setting('app.tenant_id')::int OR kind = 'ignored: USING')
            WITH CHECK (partner = current_setting('app.tenant_id')::int OR note IS NULL
                        OR EXISTS (SELECT FROM public.variants_tags g WHERE g.id = variants.id
                                     AND variants.kind = 'tagged'));
        CREATE POLICY a ON public.variants
            USING (size = 7 OR size = 7.5);
        CREATE POLICY s ON public.variants FOR SELECT USING (kind = 'read only');
        CREATE POLICY o ON public.variants FOR INSERT TO rls_audit_variants_other
            WITH CHECK (kind = 'other role');
        CREATE POLICY c ON public.variants FOR UPDATE TO rls_audit_variants_app
            WITH CHECK (size > 9 OR 3 >= size OR note LIKE 'pub\_%' OR lower(kind) = 'mixed'
                        OR "Is Public" <> true OR note ~ '^regex' OR NOT (size <= 20)
                        OR kind NOT IN ('post', 'note') OR size > ANY (ARRAY[40, 50]));
        CREATE POLICY k ON public.variants FOR INSERT TO rls_audit_variants_app
            WITH CHECK (("Is Public" AND kind = 'combo')
                        OR (partner = current_setting('app.tenant_id')::int AND NOT "Is Public")
                        OR (tenant_id = 3 AND size = 99));
        CREATE TABLE public.variants_kinds (kind text);
        INSERT INTO public.variants_kinds VALUES ('public'), (NULL), ('public'), ('open');
        INSERT INTO public.variants_tags VALUES (1, 'tagged note');
        CREATE VIEW public.variants_view AS SELECT 'from a view'::text AS v;
        CREATE POLICY l ON public.variants FOR INSERT TO rls_audit_variants_app
            WITH CHECK (kind IN (SELECT k.kind FROM public.variants_kinds k)
                        OR EXISTS (SELECT FROM public.variants_tags g WHERE g.tag = variants.note)
                        OR kind = (SELECT w.v FROM public.variants_view w));
    "#);
    let oid = one::<pg_sys::Oid>("SELECT 'public.variants'::regclass::oid").unwrap();
    let variants = |limit| {
        Spi::connect(|c| {
            crate::catalog::check_variants(
                c,
                &[(oid.to_u32(), "tenant_id")],
                "rls_audit_variants_app",
                None,
                "app.tenant_id",
                limit,
            )
        })
        .unwrap()
        .remove(&oid.to_u32())
        .unwrap_or_default()
    };
    let got = computed_values(variants(30));
    use crate::catalog::Variant::{Also, Computed, Tenant, Value};
    let v = |c: &str, x: Option<&str>| (c.to_string(), Value(x.map(str::to_string)));
    assert_eq!(
        got,
        vec![
            v("Is Public", Some("true")),
            v("Is Public", Some("false")),
            v("kind", Some("shared")),
            v("kind", Some("global")),
            ("partner".to_string(), Tenant),
            v("note", None),
            // (variants_tags' id: its row below)
            v("id", Some("1")),
            v("kind", Some("tagged")),
            // (and the two together: the sub-select needs both)
            v("id", Some("1")),
            ("kind".to_string(), Also(Some("tagged".into()))),
            v("size", Some("7")),
            v("size", Some("10")),
            v("size", Some("3")),
            v("note", Some("pub_")),
            v("kind", Some("mixed")),
            // (a function of the column: also the candidate PostgreSQL
            // passes, the same value, tried once by the probe)
            ("kind".to_string(), Computed("mixed".into())),
            v("note", Some("regex")),
            v("size", Some("21")),
            v("kind", Some("postz")),
            v("kind", Some("notez")),
            v("size", Some("41")),
            v("size", Some("51")),
            v("kind", Some("combo")),
            v("size", Some("99")),
            // the terms of a conjunction, set together (the tenant column
            // left to the probe): the value not a constant first
            v("Is Public", Some("true")),
            ("kind".to_string(), Also(Some("combo".into()))),
            ("partner".to_string(), Tenant),
            ("Is Public".to_string(), Also(Some("false".into()))),
            // the values of the tables the checks read (a view is not
            // read as the caller)
            v("kind", Some("public")),
            v("kind", Some("open")),
            // (and the sub-select's first value as the role)
            ("kind".to_string(), Computed("public".into())),
            v("note", Some("tagged note")),
            // (a sub-select that reads no column of the table: its value
            // as the role, computed in the probe)
            ("kind".to_string(), Computed("from a view".into())),
        ]
    );
    // at most `limit` (the terms that reach rows or other tenants aside:
    // they set nothing)
    let two: Vec<_> = variants(2)
        .into_iter()
        .filter(|(_, v)| {
            !matches!(
                v,
                crate::catalog::Variant::Reach(..) | crate::catalog::Variant::Targets(..)
            )
        })
        .collect();
    assert_eq!(
        two,
        vec![
            v("Is Public", Some("true")),
            v("Is Public", Some("false")),
            // (and half as many conjunctions)
            v("id", Some("1")),
            ("kind".to_string(), Also(Some("tagged".into()))),
        ]
    );
}

/// The values check variants find for patterns, lengths, dates and IS
/// DISTINCT FROM: a string a regular expression or SIMILAR TO matches, a
/// string longer than a length, the ends of time past a date or `now()`
/// (for a `time` column, whose type has none, an hour PostgreSQL passes
/// among the candidates), a prefix, NULL or
/// another value for IS DISTINCT FROM; none for a back reference. Each
/// value is then checked against PostgreSQL's own operator.
#[pg_test]
fn check_variants_read_patterns_lengths_and_dates() {
    run(r#"
        CREATE ROLE rls_audit_patterns_app;
        CREATE TABLE public.patterns (tenant_id int, body text, due date, at timestamptz,
                                      t time, kind text, shared int[], tags text[], doc jsonb);
        CREATE FUNCTION public.patterns_kind() RETURNS text LANGUAGE sql STABLE
            AS $$ SELECT 'open' $$;
        CREATE POLICY u ON public.patterns FOR UPDATE TO rls_audit_patterns_app
            WITH CHECK (body ~ '^pub-[0-9]{2}$' OR body SIMILAR TO 'sim(ilar)?\_%'
                        OR char_length(body) > 3 OR due > '2030-01-01' OR at <= now()
                        OR t > '10:00' OR starts_with(kind, 'st') OR kind ^@ 'op'
                        OR kind IS DISTINCT FROM 'x' OR body IS NOT DISTINCT FROM 'w'
                        OR body !~ '^z' OR body ~ '(a)\1' OR regexp_like(kind, '^r[0-9]')
                        OR kind = 'by ' || current_user OR kind = upper(body)
                        OR body = public.patterns_kind()
                        OR kind = ANY (string_to_array('a,' || current_user, ','))
                        OR extract(year FROM due) < 2000 OR date_trunc('day', at) > now()
                        OR NULLIF(current_setting('app.tenant_id', true), '')::int = ANY (shared)
                        OR tags @> ARRAY['public'] OR ARRAY[current_user::text] <@ tags
                        OR doc ? 'open'
                        OR CASE kind WHEN 'case' THEN true WHEN 'no' THEN false END
                        OR body = 't-' || current_setting('app.tenant_id', true)
                        OR kind = NULLIF(current_setting('app.tenant_id', true), ''));
    "#);
    let oid = one::<pg_sys::Oid>("SELECT 'public.patterns'::regclass::oid").unwrap();
    // (verify_isolation's own search_path: names outside pg_catalog print
    // qualified)
    Spi::run("SET LOCAL search_path = pg_catalog, pg_temp").unwrap();
    let got = Spi::connect(|c| {
        crate::catalog::check_variants(
            c,
            &[(oid.to_u32(), "tenant_id")],
            "rls_audit_patterns_app",
            None,
            "app.tenant_id",
            30,
        )
    })
    .unwrap()
    .remove(&oid.to_u32())
    .unwrap_or_default();
    let me = one::<String>("SELECT current_user::text").unwrap();
    Spi::run("SET LOCAL app.tenant_id = '7'").unwrap();
    let got = computed_values(got);
    use crate::catalog::Variant::{Computed, Tenant, Value};
    let v = |c: &str, x: Option<&str>| (c.to_string(), Value(x.map(str::to_string)));
    assert_eq!(
        got,
        vec![
            v("body", Some("pub-00")),
            v("body", Some("sim_")),
            v("body", Some("xxxx")),
            v("due", Some("infinity")),
            v("at", Some("-infinity")),
            // (`time` has no end of time: a candidate PostgreSQL passes)
            ("t".to_string(), Computed("11:00:00".into())),
            v("kind", Some("st")),
            v("kind", Some("op")),
            v("kind", None),
            v("kind", Some("xz")),
            v("body", Some("w")),
            v("body", Some("")),
            v("kind", Some("r0")),
            // (computed as the role acting as each tenant, sql/probe.sql:
            // here their SQL's value as the test's user)
            ("kind".to_string(), Computed(format!("by {me}"))),
            ("body".to_string(), Computed("open".into())),
            ("kind".to_string(), Computed("a".into())),
            // (a function of a date: the end of time it passes with, also
            // found among the candidates)
            v("due", Some("-infinity")),
            ("due".to_string(), Computed("-infinity".into())),
            v("at", Some("infinity")),
            ("at".to_string(), Computed("infinity".into())),
            // (arrays and jsonb holding the value: as the role acting as
            // tenant 7 here)
            ("shared".to_string(), Computed("{7}".into())),
            ("tags".to_string(), Computed("{public}".into())),
            ("tags".to_string(), Computed(format!("{{{me}}}"))),
            ("doc".to_string(), Computed("[\"open\"]".into())),
            // (a CASE on the column: the WHEN whose THEN is not false)
            v("kind", Some("case")),
            // (more than the setting: also its value as each tenant)
            ("body".to_string(), Tenant),
            ("body".to_string(), Computed("t-7".into())),
            ("kind".to_string(), Tenant),
            // (`kind = upper(body)`, a term of two columns: the first row
            // of their candidates that passes, after every other variant)
            ("kind".to_string(), Computed(r#"["0","0"] with body"#.into())),
        ]
    );
    // each passes its term, by PostgreSQL's own operators
    for (test, value) in [
        ("$1 ~ '^pub-[0-9]{2}$'", "pub-00"),
        ("$1 SIMILAR TO 'sim(ilar)?\\_%'", "sim_"),
        ("char_length($1) > 3", "xxxx"),
        ("$1::date > '2030-01-01'", "infinity"),
        ("$1::timestamptz <= now()", "-infinity"),
        ("$1::time > '10:00'", "11:00:00"),
        ("starts_with($1, 'st')", "st"),
        ("$1 ^@ 'op'", "op"),
        ("$1 IS DISTINCT FROM 'x'", "xz"),
        ("$1 !~ '^z'", ""),
        ("regexp_like($1, '^r[0-9]')", "r0"),
        ("extract(year FROM $1::date) < 2000", "-infinity"),
        ("date_trunc('day', $1::timestamptz) > now()", "infinity"),
        ("7 = ANY ($1::int[])", "{7}"),
        ("$1::text[] @> ARRAY['public']", "{public}"),
        ("$1::jsonb ? 'open'", "[\"open\"]"),
        ("CASE $1 WHEN 'case' THEN true WHEN 'no' THEN false END", "case"),
    ] {
        let passes = Spi::get_one_with_args::<bool>(&format!("SELECT {test}"), &[value.into()]);
        assert_eq!(passes, Ok(Some(true)), "{test} with {value:?}");
    }
}

/// A term of one column that check variants cannot read off (arithmetic,
/// a text function compared by its result, a part of a date, an enum
/// through a cast, `time`, a numeric's rounding, a term inside a
/// sub-select, one under NOT, a function of the application's among its
/// first 64 candidates, a conjunction of one column, json by key and
/// path, an array by size and element) gives the first candidate PostgreSQL itself
/// passes, evaluated as the role; a term with a volatile function gives
/// none. Each value is then run through the term by PostgreSQL, beside
/// the same term with the column's type. A term of two or three columns
/// (with the tenant column too) gives the first row of their candidates
/// that passes, after every other variant.
#[pg_test]
fn check_variants_search_candidates_for_terms_of_one_column() {
    run(r#"
        CREATE ROLE rls_audit_search_app;
        CREATE SCHEMA "Sé arch";
        CREATE TYPE "Sé arch".state AS ENUM ('draft', 'Pub''lished', 'gone');
        CREATE TABLE "Sé arch"."Odd ""T""" (tenant_id int, n int, "N two" bigint, n3 smallint,
            email text, due date, st "Sé arch".state, code varchar(6), amt numeric(8, 2),
            at time, m int, k int, r float8, "Own" int, far int, q int, doc jsonb,
            deep json, tags text[], firsts text[], p int, "S s" int, u int, v int, w int);
        CREATE TABLE "Sé arch".other (x int);
        CREATE FUNCTION "Sé arch"."is it"(int) RETURNS boolean LANGUAGE sql IMMUTABLE
            AS 'SELECT $1 = 40';
        CREATE FUNCTION "Sé arch".far(int) RETURNS boolean LANGUAGE sql IMMUTABLE
            AS 'SELECT $1 = 200';
        CREATE POLICY u ON "Sé arch"."Odd ""T""" FOR UPDATE TO rls_audit_search_app
            WITH CHECK (n % 7 = 3 OR "N two" / 10 = 5 OR n3 * 3 + 1 = 10
                        OR split_part(email, '@', 2) = 'corp.example'
                        OR extract(dow FROM due) = 0 OR st::text LIKE 'Pub%'
                        OR NOT (right(code, 3) <> 'a''\') OR round(amt) = 13
                        OR at BETWEEN '10:30' AND '10:45'
                        OR EXISTS (SELECT FROM "Sé arch".other o WHERE o.x = 1
                                     AND "Odd ""T""".m % 5 = 2)
                        OR k + n = 5 OR r > random()
                        OR "Sé arch"."is it"("Own") OR "Sé arch".far(far)
                        OR (q > 5 AND q % 2 = 1)
                        OR doc ->> 'visibility' = 'public'
                        OR (deep -> 'a' ->> 'b')::int >= 3
                        OR cardinality(tags) > 2 OR firsts[1] = 'first'
                        OR p = tenant_id + "S s" OR u * v = w + 5
                        OR k + random()::int = n);
    "#);
    let oid = one::<pg_sys::Oid>(r#"SELECT '"Sé arch"."Odd ""T"""'::regclass::oid"#).unwrap();
    Spi::run("SET LOCAL search_path = pg_catalog, pg_temp").unwrap();
    let got = Spi::connect(|c| {
        crate::catalog::check_variants(
            c,
            &[(oid.to_u32(), "tenant_id")],
            "rls_audit_search_app",
            None,
            "app.tenant_id",
            30,
        )
    })
    .unwrap()
    .remove(&oid.to_u32())
    .unwrap_or_default();
    let got = computed_values(got);
    use crate::catalog::Variant::{Computed, Value};
    let c = |col: &str, x: &str| (col.to_string(), Computed(x.to_string()));
    let v = |col: &str, x: &str| (col.to_string(), Value(Some(x.to_string())));
    assert_eq!(
        got,
        vec![
            c("n", "3"),
            c("N two", "50"),
            c("n3", "3"),
            // (a function of the column: its constant guessed first)
            v("email", "corp.example"),
            c("email", "@corp.example"),
            // (a function of a date compared by `=`: the statement's `now`)
            v("due", "now"),
            c("due", "2000-01-02"),
            c("st", "Pub'lished"),
            v("code", "a'\\"),
            c("code", "a'\\"),
            v("amt", "13"),
            c("amt", "13.00"),
            // (BETWEEN: each bound, read off the comparisons, and the
            // conjunction's first candidate)
            v("at", "10:30:00"),
            v("at", "10:45:00"),
            c("at", "10:30:00"),
            c("m", "2"),
            // (a function of the application's: the first 64 candidates
            // only, among them 40 but not 200)
            c("Own", "40"),
            // (none of them passes: NULL, not tried)
            c("far", ""),
            // (a conjunction of one column: each term's value, 6 and 1,
            // then one that passes both, 5 * 5)
            v("q", "6"),
            c("q", "1"),
            c("q", "25"),
            // (json by key and path, arrays by size and element)
            c("doc", r#"{"visibility": "public"}"#),
            c("deep", r#"{"a": {"b": "3"}}"#),
            c("tags", "{2,2,2}"),
            c("firsts", "{first}"),
            // (terms of two or three columns, after every other: their
            // candidates combined, the tenant column the other tenant's
            // value, 2; not one with a volatile function)
            c("k", r#"["5","0"] with n"#),
            c("p", r#"["2","0","2"] with S s"#),
            c("u", r#"["5","1","0"] with v, w"#),
        ]
    );
    // each passes its term, by PostgreSQL's own operators on the
    // column's type
    for (test, value) in [
        ("$1::int % 7 = 3", "3"),
        ("$1::bigint / 10 = 5", "50"),
        ("$1::smallint * 3 + 1 = 10", "3"),
        ("split_part($1, '@', 2) = 'corp.example'", "@corp.example"),
        ("extract(dow FROM $1::date) = 0", "2000-01-02"),
        (r#"$1::"Sé arch".state::text LIKE 'Pub%'"#, "Pub'lished"),
        ("NOT (right($1::varchar(6), 3) <> 'a''\\')", "a'\\"),
        ("round($1::numeric(8, 2)) = 13", "13.00"),
        ("$1::time BETWEEN '10:30' AND '10:45'", "10:30:00"),
        ("$1::int % 5 = 2", "2"),
        ("$1::int > 5 AND $1::int % 2 = 1", "25"),
        ("$1::jsonb ->> 'visibility' = 'public'", r#"{"visibility": "public"}"#),
        ("($1::json -> 'a' ->> 'b')::int >= 3", r#"{"a": {"b": "3"}}"#),
        ("cardinality($1::text[]) > 2", "{2,2,2}"),
        ("($1::text[])[1] = 'first'", "{first}"),
    ] {
        let passes = Spi::get_one_with_args::<bool>(&format!("SELECT {test}"), &[value.into()]);
        assert_eq!(passes, Ok(Some(true)), "{test} with {value:?}");
    }
}

/// The tenant column compared with constants in a write check (`OR
/// (tenant_id = 3 AND is_public)`, `IN`, `>=`): the tenants among them
/// that some row has, at most four, each a `Target`; not one no row has
/// (9). The rows are read as the caller with row security off, in a
/// rolled-back subtransaction.
#[pg_test]
fn check_variants_name_the_tenants_a_check_names() {
    run(r#"
        CREATE ROLE rls_audit_targets_app;
        CREATE TABLE public."Tar gets" ("Tenant" int, is_public boolean);
        INSERT INTO public."Tar gets" SELECT g, false FROM generate_series(1, 8) g;
        ALTER TABLE public."Tar gets" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
        CREATE POLICY i ON public."Tar gets" FOR INSERT TO rls_audit_targets_app
            WITH CHECK ("Tenant" = NULLIF(current_setting('app.tenant_id', true), '')::int
                        OR ("Tenant" = 3 AND is_public) OR "Tenant" IN (9, 2)
                        OR "Tenant" >= 7 OR "Tenant" = 5 OR "Tenant" = 6);
    "#);
    let oid = one::<pg_sys::Oid>(r#"SELECT 'public."Tar gets"'::regclass::oid"#).unwrap();
    Spi::run("SET LOCAL search_path = pg_catalog, pg_temp").unwrap();
    let got = Spi::connect(|c| {
        crate::catalog::check_variants(
            c,
            &[(oid.to_u32(), "Tenant")],
            "rls_audit_targets_app",
            None,
            "app.tenant_id",
            16,
        )
    })
    .unwrap()
    .remove(&oid.to_u32())
    .unwrap_or_default();
    let targets: Vec<&str> = got
        .iter()
        .filter_map(|(c, v)| match v {
            crate::catalog::Variant::Target(t) if c == "Tenant" => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(targets, ["3", "2", "7", "5"]);
    // the other column's value is there as before
    assert!(got.iter().any(|(c, v)| c == "is_public"
        && *v == crate::catalog::Variant::Value(Some("true".into()))));
    // the row security off was the probe's alone
    assert_eq!(one::<String>("SELECT current_setting('row_security')"), Some("on".into()));
}

/// The terms of a DELETE or UPDATE policy's USING that reach rows by
/// other columns (`OR a - b = 777`, a conjunction of them), each a
/// `Reach` the probe evaluates to pick rows for the shadow, sub-selects of
/// tables among them: the caller evaluates those of built-in, not
/// volatile functions (once when they read no setting); the role those
/// that call a function of the application's or a volatile one, cast to a
/// domain or read a view (whose code must not run as the caller). Terms
/// of the tenant column alone too (`tenant_id > 1`, `tenant_id = <another
/// setting>`), but not the tenant's own (`tenant_id = <the setting>`,
/// under casts); not one that reads no column. A write check's terms of
/// the tenant column alone (`OR tenant_id IN (SELECT …)`) are `Targets`
/// alike, a restrictive policy's never.
#[pg_test]
fn check_variants_give_the_terms_that_reach_rows() {
    use crate::catalog::ReachBy::{Caller, Once, Role};
    run(r#"
        CREATE ROLE rls_audit_reach_app;
        CREATE DOMAIN public.reach_dom AS int CHECK (VALUE > 0);
        CREATE FUNCTION public.reach_fn(int) RETURNS boolean LANGUAGE sql STABLE AS 'SELECT $1 = 1';
        CREATE TABLE public.reach (tenant_id int, a int, "B b" int);
        CREATE TABLE public.reach_role (tenant_id int, a int, "B b" int);
        CREATE TABLE public.reach_tenant (tenant_id int, a int);
        CREATE TABLE public.reach_shares (doc int, tenant int);
        CREATE VIEW public.reach_view AS SELECT doc FROM public.reach_shares;
        CREATE POLICY d ON public.reach FOR DELETE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR a - "B b" = 777 OR current_user = 'x'
                   OR ("B b" > 3 AND a < 2)
                   OR a IN (SELECT s.doc FROM public.reach_shares s
                             WHERE s.tenant = NULLIF(current_setting('app.tenant_id', true), '')::int));
        CREATE POLICY d ON public.reach_tenant FOR DELETE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR tenant_id::text = current_setting('app.tenant_id')
                   OR current_setting('app.tenant_id')::bigint = tenant_id::bigint
                   OR tenant_id > 1 OR current_user = 'x'
                   OR EXISTS (SELECT FROM public.reach_shares s WHERE s.doc = reach_tenant.tenant_id)
                   OR tenant_id = NULLIF(current_setting('app.parent_id', true), '')::int);
        CREATE POLICY i ON public.reach_tenant FOR INSERT TO rls_audit_reach_app
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                        OR tenant_id IN (SELECT s.doc FROM public.reach_shares s
                                          WHERE s.tenant = NULLIF(current_setting('app.tenant_id', true), '')::int)
                        OR a = 1 OR public.reach_fn(tenant_id));
        CREATE POLICY not6 ON public.reach_tenant AS RESTRICTIVE FOR INSERT TO rls_audit_reach_app
            WITH CHECK (tenant_id <> 6);
        CREATE POLICY u ON public.reach FOR UPDATE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR a = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR (a > 0 AND (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')::int = "B b"))
            WITH CHECK (a = 5);
        CREATE POLICY i ON public.reach FOR INSERT TO rls_audit_reach_app WITH CHECK (a + 1 = 2);
        CREATE POLICY d ON public.reach_role FOR DELETE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR public.reach_fn(a) OR a::public.reach_dom = 3
                   OR a IN (SELECT v.doc FROM public.reach_view v)
                   OR EXISTS (SELECT FROM public.reach_shares s WHERE s.doc = reach_role.a
                                                                 AND public.reach_fn(s.doc)));
        CREATE POLICY u ON public.reach_role FOR UPDATE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR EXISTS (SELECT FROM public.reach_shares s WHERE s.tenant = random()::int));
        CREATE TABLE public.reach_rights (tenant_id int, a int);
        CREATE TABLE public.reach_blocks (doc int);
        ALTER TABLE public.reach_blocks ENABLE ROW LEVEL SECURITY;
        CREATE POLICY d ON public.reach_rights FOR DELETE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR (a = 1 AND NOT pg_has_role('pg_read_all_data', 'member'))
                   OR (a = 2 AND NOT has_table_privilege('public.reach_shares', 'UPDATE'))
                   OR NOT EXISTS (SELECT FROM public.reach_blocks b WHERE b.doc = reach_rights.a)
                   OR (a = 3 AND row_security_active('public.reach_blocks')));
        CREATE FUNCTION public.reach_uid() RETURNS int LANGUAGE sql STABLE
            AS $$ SELECT NULLIF(current_setting('request.jwt.claim.sub', true), '')::int $$;
        CREATE FUNCTION public.reach_jwt() RETURNS jsonb LANGUAGE sql STABLE
            AS $$ SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb $$;
        CREATE TABLE public.reach_flags (tenant_id int, a int);
        CREATE POLICY d ON public.reach_flags FOR DELETE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR current_setting('app.support', true) = 'on'
                   OR (a > 0 AND current_setting('app.admin', true)::boolean)
                   OR NOT coalesce(current_setting('app.strict', true), 'on')::boolean
                   OR public.reach_jwt() -> 'app_metadata' ->> 'role' = 'service');
        CREATE POLICY i ON public.reach_flags FOR INSERT TO rls_audit_reach_app
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                        OR NULLIF(current_setting('app.level', true), '')::int IN (7, 9)
                        OR 3 < current_setting('app.rank', true)::int);
        CREATE TABLE public.reach_members (org int, usr int);
        CREATE TABLE public.reach_orgs (tenant_id int, org int);
        CREATE POLICY d ON public.reach_orgs FOR DELETE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR org IN (SELECT m.org FROM public.reach_members m
                               WHERE m.usr = NULLIF(current_setting('app.user_id', true), '')::int)
                   OR EXISTS (SELECT FROM public.reach_members m
                               WHERE m.org = reach_orgs.org AND m.usr = public.reach_uid())
                   OR NULLIF(current_setting('app.user_id', true), '')::int
                      IN (SELECT m.usr FROM public.reach_members m WHERE m.org = reach_orgs.org));
        CREATE POLICY d2 ON public.reach_orgs FOR DELETE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR NOT EXISTS (SELECT FROM public.reach_members m
                                   WHERE m.org = reach_orgs.org AND m.usr = public.reach_uid()));
        CREATE POLICY u ON public.reach_orgs FOR UPDATE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR org = (SELECT m.org FROM public.reach_members m WHERE m.usr = public.reach_uid()));
        CREATE POLICY i ON public.reach_orgs FOR INSERT TO rls_audit_reach_app
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                        OR tenant_id IN (SELECT m.org FROM public.reach_members m
                                          WHERE m.usr = NULLIF(current_setting('app.user_id', true), '')::int));
        CREATE TABLE public.reach_names (tenant_id int, a int, n text);
        CREATE POLICY d ON public.reach_names FOR DELETE TO rls_audit_reach_app
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR (a = 1 AND to_regclass('reach_blocks') IS NULL)
                   OR n::regclass IS NULL OR n = current_schema());
    "#);
    Spi::run("SET LOCAL search_path = pg_catalog, pg_temp").unwrap();
    for (table, want) in [
        (
            "public.reach",
            vec![
                (r#"(((a - "B b") = 777))"#, Once),
                (r#"((("B b" > 3) AND (a < 2)))"#, Once),
                ("((a IN (SELECT s.doc FROM public.reach_shares s WHERE (s.tenant = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::integer))))", Caller),
                ("((a = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::integer))", Caller),
            ],
        ),
        (
            "public.reach_tenant",
            vec![
                ("((tenant_id > 1))", Once),
                ("((EXISTS (SELECT FROM public.reach_shares s WHERE (s.doc = rls_audit_row.tenant_id))))", Once),
            ],
        ),
        (
            "public.reach_role",
            vec![
                ("(public.reach_fn(a))", Role),
                ("((((a)::public.reach_dom)::integer = 3))", Role),
                ("((a IN (SELECT v.doc FROM public.reach_view v)))", Role),
                ("((EXISTS (SELECT FROM public.reach_shares s WHERE ((s.doc = rls_audit_row.a) AND public.reach_fn(s.doc)))))", Role),
            ],
        ),
        (
            // what reads otherwise for the caller: the current user's
            // rights, a table of row-level security
            "public.reach_rights",
            vec![
                ("(((a = 1) AND (NOT pg_has_role('pg_read_all_data'::name, 'member'::text))))", Role),
                ("(((a = 2) AND (NOT has_table_privilege('public.reach_shares'::text, 'UPDATE'::text))))", Role),
                ("((NOT (EXISTS (SELECT FROM public.reach_blocks b WHERE (b.doc = rls_audit_row.a)))))", Role),
                ("(((a = 3) AND row_security_active('public.reach_blocks'::text)))", Role),
            ],
        ),
        // (its terms are all claimed)
        ("public.reach_flags", vec![]),
        // (but under NOT a term is not claimed: `usr IS NOT NULL` there
        // would pass fewer rows than the term does)
        (
            "public.reach_orgs",
            vec![(
                "((NOT (EXISTS (SELECT FROM public.reach_members m WHERE ((m.org = rls_audit_row.org) AND (m.usr = public.reach_uid()))))))",
                Role,
            )],
        ),
        (
            // names read under the search_path
            "public.reach_names",
            vec![
                ("(((a = 1) AND (to_regclass('reach_blocks'::text) IS NULL)))", Role),
                ("(((n)::regclass IS NULL))", Role),
                (r#"((n = "current_schema"()))"#, Role),
            ],
        ),
    ] {
        let oid = one::<pg_sys::Oid>(&format!("SELECT '{table}'::regclass::oid")).unwrap();
        let got = Spi::connect(|c| {
            crate::catalog::check_variants(
                c,
                &[(oid.to_u32(), "tenant_id")],
                "rls_audit_reach_app",
                None,
                "app.tenant_id",
                16,
            )
        })
        .unwrap()
        .remove(&oid.to_u32())
        .unwrap_or_default();
        let reach: Vec<(&str, crate::catalog::ReachBy)> = got
            .iter()
            .filter_map(|(_, v)| match v {
                crate::catalog::Variant::Reach(t, by) => Some((t.as_str(), *by)),
                _ => None,
            })
            .collect();
        assert_eq!(reach, want, "{table}");
        // a write check's terms of the tenant column alone that pass other
        // tenants, a permissive policy's only
        let targets: Vec<(&str, crate::catalog::ReachBy)> = got
            .iter()
            .filter_map(|(_, v)| match v {
                crate::catalog::Variant::Targets(t, by) => Some((t.as_str(), *by)),
                _ => None,
            })
            .collect();
        // a term by a setting the application sets per request that it
        // compares a column with: the rows it reaches for some value of
        // it, and the SQL of each row's value
        let claims: Vec<(&str, &str, &str)> = got
            .iter()
            .filter_map(|(_, v)| match v {
                crate::catalog::Variant::Claims(c) => Some(
                    c.givens
                        .iter()
                        .map(|(s, g)| (c.term.as_str(), s.as_str(), g.as_str()))
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        let want_claims: &[(&str, &str, &str)] = match table {
            "public.reach_tenant" => &[(
                "((tenant_id IS NOT NULL))",
                "app.parent_id",
                "(rls_audit_row.tenant_id)::pg_catalog.text",
            )],
            "public.reach" => &[(
                r#"(((a > 0) AND ("B b" IS NOT NULL)))"#,
                "request.jwt.claims",
                r#"(pg_catalog.json_build_object('sub', rls_audit_row."B b"))::pg_catalog.text"#,
            )],
            // (a setting compared with a constant, read as a boolean, by
            // a function's JSON keys: the term passes all for it)
            "public.reach_flags" => &[
                ("(true)", "app.support", "('on'::pg_catalog.text)::pg_catalog.text"),
                ("(((a > 0) AND true))", "app.admin", "('true'::pg_catalog.text)::pg_catalog.text"),
                ("(true)", "app.strict", "('false'::pg_catalog.text)::pg_catalog.text"),
                (
                    "(true)",
                    "request.jwt.claim",
                    "(pg_catalog.json_build_object('app_metadata', pg_catalog.json_build_object('role', 'service'::pg_catalog.text)))::pg_catalog.text",
                ),
                (
                    "(true)",
                    "request.jwt.claims",
                    "(pg_catalog.json_build_object('app_metadata', pg_catalog.json_build_object('role', 'service'::pg_catalog.text)))::pg_catalog.text",
                ),
            ],
            // (through a sub-select: a member's user, of a membership
            // that passes it for the row)
            "public.reach_orgs" => &[
                (
                    "((org IN (SELECT m.org FROM public.reach_members m WHERE (m.usr IS NOT NULL))))",
                    "app.user_id",
                    "((SELECT m.usr AS v FROM public.reach_members m WHERE ((m.usr IS NOT NULL) AND (rls_audit_row.org = m.org)) LIMIT '1'::bigint))::pg_catalog.text",
                ),
                (
                    "((EXISTS (SELECT FROM public.reach_members m WHERE ((m.org = rls_audit_row.org) AND (m.usr IS NOT NULL)))))",
                    "request.jwt.claim.sub",
                    "((SELECT m.usr AS v FROM public.reach_members m WHERE ((m.org = rls_audit_row.org) AND (m.usr IS NOT NULL)) LIMIT '1'::bigint))::pg_catalog.text",
                ),
                (
                    "((EXISTS (SELECT m.usr FROM public.reach_members m WHERE (m.org = rls_audit_row.org))))",
                    "app.user_id",
                    "((SELECT m.usr AS v FROM public.reach_members m WHERE ((m.org = rls_audit_row.org) AND (m.usr IS NOT NULL)) LIMIT '1'::bigint))::pg_catalog.text",
                ),
                // (a scalar sub-select, read as IN)
                (
                    "((org IN (SELECT m.org FROM public.reach_members m WHERE (m.usr IS NOT NULL))))",
                    "request.jwt.claim.sub",
                    "((SELECT m.usr AS v FROM public.reach_members m WHERE ((m.usr IS NOT NULL) AND (rls_audit_row.org = m.org)) LIMIT '1'::bigint))::pg_catalog.text",
                ),
            ],
            _ => &[],
        };
        // (a check's: the level in the list)
        let claimed_targets: Vec<(&str, &str)> = got
            .iter()
            .filter_map(|(_, v)| match v {
                crate::catalog::Variant::ClaimedTargets(c) => Some(
                    c.givens
                        .iter()
                        .map(|(s, g)| (s.as_str(), g.as_str()))
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        if table == "public.reach_flags" {
            // (and a rank past 3: 4)
            assert_eq!(
                claimed_targets,
                [
                    ("app.level", "('7'::pg_catalog.text)::pg_catalog.text"),
                    ("app.rank", "('4'::pg_catalog.text)::pg_catalog.text")
                ]
            );
        }
        if table == "public.reach_orgs" {
            assert_eq!(
                claimed_targets,
                [(
                    "app.user_id",
                    "((SELECT m.usr AS v FROM public.reach_members m WHERE ((m.usr IS NOT NULL) AND (rls_audit_row.tenant_id = m.org)) LIMIT '1'::bigint))::pg_catalog.text"
                )]
            );
        }
        assert_eq!(claims, want_claims, "{table}");
        for (term, _, given) in claims {
            assert!(
                Spi::run(&format!(
                    "SELECT {given} FROM {table} rls_audit_row WHERE {term}"
                ))
                .is_ok(),
                "{term}"
            );
        }
        if table == "public.reach_tenant" {
            assert_eq!(
                targets,
                [
                    ("((tenant_id IN (SELECT s.doc FROM public.reach_shares s WHERE (s.tenant = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::integer))))", Caller),
                    ("(public.reach_fn(tenant_id))", Role),
                ]
            );
        }
        // each runs as SQL of the table's columns
        for (term, _) in reach {
            assert!(
                Spi::run(&format!("SELECT FROM {table} rls_audit_row WHERE {term}")).is_ok(),
                "{term}"
            );
        }
    }
}

/// The policies as a new session reads them where the settings an
/// application sets per request were never set: `current_setting('s',
/// true)` NULL, `current_setting('s')` the error of an unknown setting
/// (its name under `rls_audit.unset.`), in sub-selects too; the other
/// settings untouched; and the settings (with a dot) they read.
#[pg_test]
fn table_policies_as_a_new_session_reads_them() {
    run(r#"
        CREATE TABLE public.unset_t (tenant_id int, owner_id int);
        CREATE TABLE public.unset_s (doc int, grantee int);
        CREATE POLICY d ON public.unset_t FOR DELETE
            USING (tenant_id = current_setting('app.tenant_id')::int
                   OR owner_id = current_setting('App.User_Id', true)::int
                   OR current_setting('app.user_id') = 'x'
                   OR owner_id IN (SELECT s.doc FROM public.unset_s s
                                    WHERE s.grantee = current_setting('app.user_id', true)::int)
                   OR current_setting('work_mem') = '1MB');
    "#);
    let oid = one::<pg_sys::Oid>("SELECT 'public.unset_t'::regclass::oid").unwrap();
    Spi::run("SET LOCAL search_path = pg_catalog, pg_temp").unwrap();
    let (policies, read) = Spi::connect(|c| {
        let read = crate::catalog::table_policies(c, oid.to_u32(), &["t"])?.read;
        let unset = crate::catalog::table_policies_unset(
            c,
            oid.to_u32(),
            "t",
            &["app.user_id".to_string()],
        )?;
        Ok::<_, crate::error::RlsAuditError>((unset, read))
    })
    .unwrap();
    assert_eq!(read, ["app.tenant_id", "app.user_id"]);
    assert_eq!(
        policies[0].using_expr.as_deref(),
        Some(
            "((tenant_id = (current_setting('app.tenant_id'::text))::integer) \
             OR (owner_id = (NULL::text)::integer) \
             OR (current_setting('rls_audit.unset.app.user_id'::text) = 'x'::text) \
             OR (owner_id IN (SELECT s.doc FROM public.unset_s s WHERE (s.grantee = (NULL::text)::integer))) \
             OR (current_setting('work_mem'::text) = '1MB'::text))"
        )
    );
}

/// A term that reaches rows by the current user (`owner = current_user`,
/// `CURRENT_ROLE`, `USER`, `"current_user"()`, also in a sub-select)
/// reads the role's name, as when the role runs the statement, not the
/// caller's, who reads the rows: a role whose name needs quotes. So do
/// the settings the probes' taking the role changes, a term the role
/// evaluates too (a SECURITY DEFINER function of its reads the caller's
/// settings and session user). A superuser caller who has not SET ROLE
/// takes the role by SESSION AUTHORIZATION, as in its own sessions:
/// `session_user` is the role there and the `role` setting `none`; after
/// SET ROLE, the probes take it by SET ROLE, which keeps the session
/// user.
#[pg_test]
fn check_variants_read_the_current_user_as_the_role() {
    use crate::catalog::ReachBy::{Once, Role};
    run(r#"
        CREATE ROLE "rls_audit 'reach' Ü";
        CREATE TABLE public.reach_user (tenant_id int, owner name, editor name, "Viewer" name);
        CREATE TABLE public.reach_user_shares (doc name, grantee name);
        CREATE POLICY d ON public.reach_user FOR DELETE TO "rls_audit 'reach' Ü"
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR owner = current_user OR editor = CURRENT_ROLE
                   OR "Viewer" IN (SELECT s.doc FROM public.reach_user_shares s WHERE s.grantee = USER));
        CREATE POLICY u ON public.reach_user FOR UPDATE TO "rls_audit 'reach' Ü"
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR (owner = session_user AND editor IS DISTINCT FROM "current_user"()));
        INSERT INTO public.reach_user VALUES (1, 'rls_audit ''reach'' Ü', NULL, NULL),
            (2, NULL, 'rls_audit ''reach'' Ü', NULL), (3, NULL, NULL, 'v'), (4, session_user, NULL, NULL);
        INSERT INTO public.reach_user_shares VALUES ('v', 'rls_audit ''reach'' Ü');
        CREATE FUNCTION public.reach_user_fn(name) RETURNS boolean LANGUAGE sql STABLE AS 'SELECT $1 IS NOT NULL';
        CREATE TABLE public.reach_set (tenant_id int, owner name, flag text);
        CREATE POLICY d ON public.reach_set FOR DELETE TO "rls_audit 'reach' Ü"
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int
                   OR owner = current_setting('role')
                   OR flag = current_setting('is_superuser', true)
                   OR (public.reach_user_fn(owner) AND owner = current_setting('ROLE'))
                   OR flag = current_setting('session_authorization'));
    "#);
    Spi::run("SET LOCAL search_path = pg_catalog, pg_temp").unwrap();
    let reach = |table: &str| -> Vec<(String, crate::catalog::ReachBy)> {
        let oid = one::<pg_sys::Oid>(&format!("SELECT '{table}'::regclass::oid")).unwrap();
        Spi::connect(|c| {
            crate::catalog::check_variants(
                c,
                &[(oid.to_u32(), "tenant_id")],
                "rls_audit 'reach' Ü",
                None,
                "app.tenant_id",
                16,
            )
        })
        .unwrap()
        .remove(&oid.to_u32())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(_, v)| match v {
            crate::catalog::Variant::Reach(t, by) => Some((t, by)),
            _ => None,
        })
        .collect()
    };
    const ROLE: &str = "'rls_audit ''reach'' Ü'";
    // (each as SQL passes the rows the role's name passes, in order)
    let passed = |terms: &[(String, crate::catalog::ReachBy)]| -> Vec<i32> {
        terms
            .iter()
            .map(|(term, _)| {
                one::<i32>(&format!(
                    "SELECT min(tenant_id) FROM public.reach_user rls_audit_row WHERE {term}"
                ))
                .unwrap()
            })
            .collect()
    };
    // by SESSION AUTHORIZATION
    let user = reach("public.reach_user");
    let want: Vec<(String, crate::catalog::ReachBy)> = vec![
        (format!("((owner = {ROLE}::name))"), Once),
        (format!("((editor = {ROLE}::name))"), Once),
        (format!(r#"(("Viewer" IN (SELECT s.doc FROM public.reach_user_shares s WHERE (s.grantee = {ROLE}::name))))"#), Once),
        (format!("(((owner = {ROLE}::name) AND (editor IS DISTINCT FROM {ROLE}::name)))"), Once),
    ];
    assert_eq!(user, want);
    assert_eq!(passed(&user), [1, 2, 3, 1]);
    assert_eq!(
        reach("public.reach_set"),
        [
            ("((owner = 'none'::text))".to_string(), Once),
            ("((flag = 'off'::text))".to_string(), Once),
            ("((public.reach_user_fn(owner) AND (owner = 'none'::text)))".to_string(), Role),
            (format!("((flag = {ROLE}::text))"), Once),
        ]
    );
    // by SET ROLE (to the caller itself): the session user stays
    Spi::run("DO $$ BEGIN EXECUTE pg_catalog.format('SET LOCAL ROLE %I', current_user); END $$").unwrap();
    let user = reach("public.reach_user");
    assert_eq!(
        user[3],
        (
            format!("(((owner = SESSION_USER) AND (editor IS DISTINCT FROM {ROLE}::name)))"),
            Once
        )
    );
    assert_eq!(passed(&user), [1, 2, 3, 4]);
    assert_eq!(
        reach("public.reach_set"),
        [
            (format!("((owner = {ROLE}::text))"), Once),
            ("((flag = 'off'::text))".to_string(), Once),
            (format!("((public.reach_user_fn(owner) AND (owner = {ROLE}::text)))"), Role),
            ("((flag = current_setting('session_authorization'::text)))".to_string(), Once),
        ]
    );
}

/// A column compared by `=` with an expression of another setting than
/// the tenant's, one the application sets per request (a user id, a JWT's
/// claims), gives a `Claimed` variant: the expression, that setting, and
/// the values the probe gives it in turn (JSON objects keyed by the
/// expression's constants among them); also two such settings, and those
/// named in the body of a function it calls (read as text, never run as
/// the caller). One of the tenant's and another, or through a sub-select
/// or a function that may read a table, stays `Computed`.
#[pg_test]
fn check_variants_give_other_settings_a_value() {
    run(r#"
        CREATE ROLE rls_audit_claims_app;
        CREATE TABLE public.claims (tenant_id int, owner int, author uuid, note text, kind text,
                                    handle text, email text, uid uuid);
        CREATE FUNCTION public.claims_spy(text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
            BEGIN PERFORM set_config('claims.spy', 'ran as ' || current_user, false); RETURN $1; END
        $$;
        CREATE TABLE public.claims_members (login text, org int);
        CREATE FUNCTION public.claims_org() RETURNS int LANGUAGE sql STABLE AS $$
            SELECT org FROM public.claims_members WHERE login = current_setting('app.login', true)
        $$;
        CREATE FUNCTION public.claims_uid() RETURNS uuid LANGUAGE sql STABLE AS $$
            SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                            nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid
        $$;
        CREATE POLICY u ON public.claims FOR UPDATE TO rls_audit_claims_app
            WITH CHECK (owner = NULLIF(current_setting('app.user_id', true), '')::int
                        OR author = (current_setting('request.jwt.claims', true)::json ->> 'sub')::uuid
                        OR note = current_setting('app.a', true) || current_setting('app.b', true)
                        OR kind = current_setting('app.tenant_id') || current_setting('app.b', true)
                        OR handle = (SELECT current_setting('app.user_id', true))
                        OR lower(email) = lower(current_setting('app.user_email', true))
                        OR uid = public.claims_uid()
                        OR kind = public.claims_spy('x') || current_setting('app.c', true)
                        OR owner = public.claims_org());
    "#);
    let oid = one::<pg_sys::Oid>("SELECT 'public.claims'::regclass::oid").unwrap();
    Spi::run("SET LOCAL search_path = pg_catalog, pg_temp").unwrap();
    let got = Spi::connect(|c| {
        crate::catalog::check_variants(
            c,
            &[(oid.to_u32(), "tenant_id")],
            "rls_audit_claims_app",
            None,
            "app.tenant_id",
            30,
        )
    })
    .unwrap()
    .remove(&oid.to_u32())
    .unwrap_or_default();
    use crate::catalog::Variant::{Claimed, Computed, Searched};
    let kinds: Vec<(String, &str, Option<String>)> = got
        .iter()
        .map(|(c, v)| match v {
            Claimed(_, settings, _) => (c.clone(), "claimed", Some(settings.join(","))),
            Searched(_, _, Some((settings, _))) => {
                (c.clone(), "searched", Some(settings.join(",")))
            }
            Computed(_) => (c.clone(), "computed", None),
            _ => (c.clone(), "other", None),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("owner".into(), "claimed", Some("app.user_id".into())),
            ("author".into(), "claimed", Some("request.jwt.claims".into())),
            // (two of them: each given a value in turn)
            ("note".into(), "claimed", Some("app.a,app.b".into())),
            // (the tenant's own value, then the expression as each tenant)
            ("kind".into(), "other", None),
            ("kind".into(), "computed", None),
            // (through a sub-select: as it is)
            ("handle".into(), "computed", None),
            // (a function of the column: the expression's value guessed,
            // then its candidates, each with the setting given a value too)
            ("email".into(), "claimed", Some("app.user_email".into())),
            ("email".into(), "searched", Some("app.user_email".into())),
            // (read inside a function it calls, its body read as text)
            ("uid".into(), "claimed", Some("request.jwt.claim.sub,request.jwt.claims".into())),
            ("kind".into(), "claimed", Some("app.c".into())),
            // (a function that reads a table: as it is)
            ("owner".into(), "computed", None),
        ]
    );
    // no function of the policy ran as the caller to find them (the
    // planner's simplification would have run claims_spy('x'): IMMUTABLE,
    // of a constant)
    assert_eq!(one::<String>("SELECT current_setting('claims.spy', true)"), None);
    // the values given in turn: a number, a uuid, a word, then the 'sub'
    // claim as a uuid, which makes the expression not NULL
    let Some((_, Claimed(sql, settings, givens))) = got.get(1) else {
        panic!("a claimed variant: {got:?}");
    };
    assert_eq!(&givens[..3], ["1", "00000000-0000-0000-0000-000000000001", "x"]);
    let sub = r#"{"sub": "00000000-0000-0000-0000-000000000001"}"#;
    assert!(givens.iter().any(|g| g == sub), "{givens:?}");
    Spi::run(&format!("SELECT set_config('{}', '{sub}', true)", settings[0])).unwrap();
    assert_eq!(
        one::<String>(&format!("SELECT ({sql})::text")).as_deref(),
        Some("00000000-0000-0000-0000-000000000001")
    );
}
