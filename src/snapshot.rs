//! Snapshots: the DBA's restore point, stored as rows.
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::PgMemoryContexts;

use crate::catalog;
use crate::error::{Result, RlsAuditError};
use crate::model::{AccessFacts, Identity, Policy, PolicyId, Role, State, Table};

/// Serialises snapshot writers so that "the first snapshot becomes the
/// baseline" and label checks hold under concurrency (an arbitrary constant:
/// 'rls_' 'snap' in ASCII).
const SNAPSHOT_LOCK_KEY: i64 = 0x726c_735f_736e_6170;

/// Take a transaction-scoped advisory lock: it is released at commit or
/// rollback, so writers that take the same key are serialised.
/// Called directly (no statement to parse and plan: the event triggers
/// take the chain's lock on every captured DDL).
pub(crate) fn advisory_xact_lock(key: i64) {
    // SAFETY: pg_advisory_xact_lock(bigint) takes one by-value int8 and
    // returns void; it waits for the lock or raises (a deadlock, a cancel)
    unsafe {
        pgrx::fcinfo::direct_function_call_as_datum(
            pg_sys::pg_advisory_xact_lock_int8,
            &[Some(pg_sys::Datum::from(key))],
        );
    }
}

/// Resolve a snapshot reference in SPEC order: exact label, `baseline`,
/// `latest`, decimal id. Returns the snapshot id.
pub(crate) fn resolve_ref(client: &SpiClient<'_>, reference: Option<&str>) -> Result<i64> {
    let reference = reference.ok_or_else(|| {
        RlsAuditError::NullArgument(
            "snapshot reference must not be NULL (use a label, 'baseline', 'latest' or an id)"
                .into(),
        )
    })?;
    const Q: &str = r#"
SELECT coalesce(
    (SELECT id FROM rls_audit.snapshot_meta WHERE label = $1),
    CASE $1
        WHEN 'baseline' THEN (SELECT id FROM rls_audit.snapshot_meta WHERE is_baseline)
        WHEN 'latest' THEN (SELECT max(id) FROM rls_audit.snapshot_meta)
    END,
    CASE WHEN $1 ~ '^[0-9]{1,18}$'
         THEN (SELECT id FROM rls_audit.snapshot_meta WHERE id = $1::bigint)
    END)"#;
    let id = client
        .select(Q, Some(1), &[reference.into()])?
        .first()
        .get_one::<i64>()?;
    id.ok_or_else(|| RlsAuditError::UnknownSnapshot(reference.to_string()))
}

/// A label must not be empty, nor read as another kind of reference:
/// `baseline`, `latest` and all-digit labels would let a snapshot stand in
/// for the real baseline, the newest snapshot or another id wherever a
/// reference is resolved (check_drift(), report(), restore()).
pub(crate) fn check_label(l: &str) -> Result<()> {
    if l.trim().is_empty() {
        return Err(RlsAuditError::InvalidParameter(
            "a snapshot label must not be empty (pass NULL for no label)".into(),
        ));
    }
    if l == "baseline" || l == "latest" || l.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RlsAuditError::InvalidParameter(format!(
            "\"{l}\" is reserved: 'baseline', 'latest' and numbers already name snapshots (choose another label)"
        )));
    }
    Ok(())
}

/// Take a snapshot of the live state; returns its id.
pub(crate) fn take(
    client: &mut SpiClient<'_>,
    label: Option<&str>,
    note: Option<&str>,
    baseline: bool,
) -> Result<i64> {
    let claimed = claim(client, label)?;
    let (state, ids) = catalog::read_live(client)?;
    let access = catalog::read_access(client)?;
    store(client, claimed, note, baseline, &state, &ids, Some(&access))
}

/// A snapshot label checked and free, under the snapshot lock.
pub(crate) struct Claimed<'l>(Option<&'l str>);

/// Check `label` (reserved words, duplicates: `23505`) and take the
/// snapshot lock, before anything is read or written.
pub(crate) fn claim<'l>(client: &mut SpiClient<'_>, label: Option<&'l str>) -> Result<Claimed<'l>> {
    if let Some(l) = label {
        check_label(l)?;
    }
    crate::schema::require_current(client)?;
    advisory_xact_lock(SNAPSHOT_LOCK_KEY);
    if let Some(l) = label {
        let taken = client
            .select(
                "SELECT EXISTS (SELECT 1 FROM rls_audit.snapshot_meta WHERE label = $1)",
                None,
                &[l.into()],
            )?
            .first()
            .get_one::<bool>()?
            .unwrap_or(false);
        if taken {
            return Err(RlsAuditError::DuplicateLabel(l.to_string()));
        }
    }
    Ok(Claimed(label))
}

/// Store a state (and its access facts, when known) as a snapshot; the
/// first snapshot, or one asked to be, becomes the baseline. Returns its id.
pub(crate) fn store(
    client: &mut SpiClient<'_>,
    label: Claimed<'_>,
    note: Option<&str>,
    baseline: bool,
    state: &State,
    ids: &Identity,
    access: Option<&AccessFacts>,
) -> Result<i64> {
    let label = label.0;
    let fingerprint = state.fingerprint();
    let has_baseline = client
        .select(
            "SELECT EXISTS (SELECT 1 FROM rls_audit.snapshot_meta WHERE is_baseline)",
            None,
            &[],
        )?
        .first()
        .get_one::<bool>()?
        .unwrap_or(false);
    let make_baseline = baseline || !has_baseline;
    if make_baseline && has_baseline {
        client.update(
            "UPDATE rls_audit.snapshot_meta SET is_baseline = false WHERE is_baseline",
            None,
            &[],
        )?;
    }

    let id = client
        .update(
            r#"INSERT INTO rls_audit.snapshot_meta
                   (label, note, is_baseline, fingerprint, policy_count, table_count, role_count,
                    db_ident)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"#,
            None,
            &[
                label.into(),
                note.into(),
                make_baseline.into(),
                fingerprint.as_str().into(),
                (state.policies.len() as i32).into(),
                (state.tables.len() as i32).into(),
                (state.roles.len() as i32).into(),
                ids.db.clone().into(),
            ],
        )?
        .first()
        .get_one::<i64>()?
        .ok_or_else(|| RlsAuditError::ObjectState("snapshot row was not created".into()))?;

    store_state(client, id, state, ids)?;
    if let Some(a) = access {
        store_access(client, id, a)?;
    }
    Ok(id)
}

/// Rows per INSERT when a state is stored.
const CHUNK: usize = 2000;

/// Write `items` a chunk at a time. Each chunk's arguments (the column
/// arrays) are built in a memory context of their own, deleted before the
/// next chunk: SPI would otherwise keep every argument until the
/// connection ends, a second copy of the whole state.
fn in_chunks<T>(items: &[T], mut write: impl FnMut(&[T]) -> Result<()>) -> Result<()> {
    for chunk in items.chunks(CHUNK) {
        let mut cx = PgMemoryContexts::new("rls_audit snapshot rows");
        // SAFETY: cx is a fresh child of the current context; it lives
        // until the end of this iteration, after the statement that reads
        // the arguments allocated in it has finished
        unsafe { cx.switch_to(|_| write(chunk)) }?;
    }
    Ok(())
}

/// A list as a SQL array literal (`{"a","b"}`), cast to its type in SQL:
/// every element quoted, `"` and `\` escaped.
fn array_literal<T: std::fmt::Display>(items: &[T]) -> String {
    let mut out = String::from("{");
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for ch in x.to_string().chars() {
            if ch == '"' || ch == '\\' {
                out.push('\\');
            }
            out.push(ch);
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// Write a state's rows set-wise: one INSERT per chunk of each content
/// table, the columns passed as arrays and unnested.
fn store_state(client: &mut SpiClient<'_>, id: i64, state: &State, ids: &Identity) -> Result<()> {
    in_chunks(&state.policies, |p| store_policies(client, id, p, ids))?;
    in_chunks(&state.tables, |t| store_tables(client, id, t, ids))?;
    in_chunks(&state.roles, |r| store_roles(client, id, r, ids))?;
    Ok(())
}

fn store_policies(client: &mut SpiClient<'_>, id: i64, p: &[Policy], ids: &Identity) -> Result<()> {
    let col = |f: fn(&Policy) -> String| p.iter().map(f).collect::<Vec<String>>();
    // role lists differ in length and SQL arrays of arrays must be
    // rectangular, so each list travels as one array literal
    let roles: Vec<String> = p.iter().map(|x| array_literal(&x.roles)).collect();
    let using: Vec<Option<String>> = p.iter().map(|x| x.using_expr.clone()).collect();
    let check: Vec<Option<String>> = p.iter().map(|x| x.check_expr.clone()).collect();
    let pids: Vec<PolicyId> = p
        .iter()
        .map(|x| ids.policy(x).cloned().unwrap_or_default())
        .collect();
    let oid = |v: u32| pg_sys::Oid::from(v);
    let role_oids: Vec<String> = pids.iter().map(|i| array_literal(&i.role_oids)).collect();
    client.update(
        r#"INSERT INTO rls_audit.snapshot_policies
               (snapshot_id, schema_name, table_name, policy_name, permissive, command,
                roles, using_expr, check_expr, policy_oid, table_oid, tree, role_oids)
           SELECT $1, s, t, n, pm, c, r::name[], u, k, po, tpo, tr, ro::oid[]
             FROM ROWS FROM (pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[]),
                             pg_catalog.unnest($4::text[]), pg_catalog.unnest($5::text[]),
                             pg_catalog.unnest($6::text[]), pg_catalog.unnest($7::text[]),
                             pg_catalog.unnest($8::text[]), pg_catalog.unnest($9::text[]),
                             pg_catalog.unnest($10::oid[]), pg_catalog.unnest($11::oid[]),
                             pg_catalog.unnest($12::text[]), pg_catalog.unnest($13::text[]))
                  AS x(s, t, n, pm, c, r, u, k, po, tpo, tr, ro)"#,
        None,
        &[
            id.into(),
            col(|x| x.schema_name.clone()).into(),
            col(|x| x.table_name.clone()).into(),
            col(|x| x.policy_name.clone()).into(),
            col(|x| x.permissive.to_string()).into(),
            col(|x| x.command.to_string()).into(),
            roles.into(),
            using.into(),
            check.into(),
            pids.iter().map(|i| oid(i.oid)).collect::<Vec<_>>().into(),
            pids.iter()
                .map(|i| oid(i.table_oid))
                .collect::<Vec<_>>()
                .into(),
            pids.iter()
                .map(|i| i.tree.clone())
                .collect::<Vec<_>>()
                .into(),
            role_oids.into(),
        ],
    )?;
    Ok(())
}

fn store_tables(client: &mut SpiClient<'_>, id: i64, t: &[Table], ids: &Identity) -> Result<()> {
    client.update(
        r#"INSERT INTO rls_audit.snapshot_tables
               (snapshot_id, schema_name, table_name, owner, rls_enabled, rls_forced, table_oid)
           SELECT $1, s, t, o, e, f, i
             FROM ROWS FROM (pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[]),
                             pg_catalog.unnest($4::text[]), pg_catalog.unnest($5::bool[]),
                             pg_catalog.unnest($6::bool[]), pg_catalog.unnest($7::oid[]))
                  AS x(s, t, o, e, f, i)"#,
        None,
        &[
            id.into(),
            t.iter()
                .map(|x| x.schema_name.clone())
                .collect::<Vec<_>>()
                .into(),
            t.iter()
                .map(|x| x.table_name.clone())
                .collect::<Vec<_>>()
                .into(),
            t.iter().map(|x| x.owner.clone()).collect::<Vec<_>>().into(),
            t.iter().map(|x| x.rls_enabled).collect::<Vec<_>>().into(),
            t.iter().map(|x| x.rls_forced).collect::<Vec<_>>().into(),
            t.iter()
                .map(|x| {
                    let k = (x.schema_name.clone(), x.table_name.clone());
                    pg_sys::Oid::from(ids.tables.get(&k).copied().unwrap_or(0))
                })
                .collect::<Vec<_>>()
                .into(),
        ],
    )?;
    Ok(())
}

fn store_roles(client: &mut SpiClient<'_>, id: i64, r: &[Role], ids: &Identity) -> Result<()> {
    client.update(
        r#"INSERT INTO rls_audit.snapshot_roles
               (snapshot_id, role_name, superuser, bypassrls, can_login, role_oid)
           SELECT $1, n, s, b, l, i
             FROM ROWS FROM (pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::bool[]),
                             pg_catalog.unnest($4::bool[]), pg_catalog.unnest($5::bool[]),
                             pg_catalog.unnest($6::oid[]))
                  AS x(n, s, b, l, i)"#,
        None,
        &[
            id.into(),
            r.iter()
                .map(|x| x.role_name.clone())
                .collect::<Vec<_>>()
                .into(),
            r.iter().map(|x| x.superuser).collect::<Vec<_>>().into(),
            r.iter().map(|x| x.bypassrls).collect::<Vec<_>>().into(),
            r.iter().map(|x| x.can_login).collect::<Vec<_>>().into(),
            r.iter()
                .map(|x| pg_sys::Oid::from(ids.roles.get(&x.role_name).copied().unwrap_or(0)))
                .collect::<Vec<_>>()
                .into(),
        ],
    )?;
    Ok(())
}

/// The access facts of snapshot `id`, as one canonical JSON document
/// (they are read and compared whole, never row by row).
fn store_access(client: &mut SpiClient<'_>, id: i64, facts: &AccessFacts) -> Result<()> {
    let doc =
        serde_json::to_string(facts).map_err(|e| RlsAuditError::ObjectState(e.to_string()))?;
    client.update(
        "INSERT INTO rls_audit.snapshot_access (snapshot_id, facts) VALUES ($1, $2::jsonb)",
        None,
        &[id.into(), doc.as_str().into()],
    )?;
    Ok(())
}

/// The access facts snapshot `id` keeps; None for a snapshot taken before
/// 0.3.0 (access drift against it is unknown, never guessed).
pub(crate) fn load_access(client: &SpiClient<'_>, id: i64) -> Result<Option<AccessFacts>> {
    // no row at all for a snapshot taken before 0.3.0
    let doc = match client
        .select(
            "SELECT facts::text FROM rls_audit.snapshot_access WHERE snapshot_id = $1",
            Some(1),
            &[id.into()],
        )?
        .next()
    {
        Some(row) => row.get::<String>(1)?,
        None => None,
    };
    doc.map(|d| {
        serde_json::from_str(&d).map_err(|e| {
            RlsAuditError::ObjectState(format!("snapshot {id}: unreadable access facts: {e}"))
        })
    })
    .transpose()
}

/// A stored snapshot and the identity of its objects (none for snapshots
/// taken before 0.3.0: they are compared by name).
pub(crate) fn load(client: &SpiClient<'_>, id: i64) -> Result<(State, Identity)> {
    crate::schema::require_current(client)?;
    let mut state = State::default();
    let db = client
        .select(
            "SELECT db_ident FROM rls_audit.snapshot_meta WHERE id = $1",
            Some(1),
            &[id.into()],
        )?
        .first()
        .get_one::<String>()?;
    let mut ids = Identity {
        db,
        ..Identity::default()
    };
    let oid = |o: Option<pg_sys::Oid>| o.map(|o| o.to_u32()).unwrap_or(0);
    catalog::each_row(
        client,
        r#"SELECT schema_name::text, table_name::text, policy_name::text, permissive, command,
                  roles::text[], using_expr, check_expr, policy_oid, table_oid, tree,
                  role_oids::pg_catalog.int8[]
             FROM rls_audit.snapshot_policies WHERE snapshot_id = $1"#,
        &[id.into()],
        |row| {
            let p = catalog::decode_policy(row, 1)?;
            if let Some(policy_oid) = row.get::<pg_sys::Oid>(9)? {
                ids.add_policy(
                    &p,
                    PolicyId {
                        oid: policy_oid.to_u32(),
                        table_oid: oid(row.get::<pg_sys::Oid>(10)?),
                        tree: row.get::<String>(11)?.unwrap_or_default(),
                        role_oids: crate::model::sorted_oids(row.get::<Vec<i64>>(12)?),
                    },
                );
            }
            state.policies.push(p);
            Ok(())
        },
    )?;
    catalog::each_row(
        client,
        r#"SELECT schema_name::text, table_name::text, owner::text, rls_enabled, rls_forced, table_oid
             FROM rls_audit.snapshot_tables WHERE snapshot_id = $1"#,
        &[id.into()],
        |row| {
            let t = catalog::decode_table(row, [1, 2, 3, 4, 5])?;
            if let Some(o) = row.get::<pg_sys::Oid>(6)? {
                ids.add_table(&t.schema_name, &t.table_name, o.to_u32());
            }
            state.tables.push(t);
            Ok(())
        },
    )?;
    catalog::each_row(
        client,
        r#"SELECT role_name::text, superuser, bypassrls, can_login, role_oid
             FROM rls_audit.snapshot_roles WHERE snapshot_id = $1"#,
        &[id.into()],
        |row| {
            let r = catalog::decode_role(row, [1, 2, 3, 4])?;
            if let Some(o) = row.get::<pg_sys::Oid>(5)? {
                ids.roles.insert(r.role_name.clone(), o.to_u32());
            }
            state.roles.push(r);
            Ok(())
        },
    )?;
    state.canonicalize();
    Ok((state, ids))
}

pub(crate) fn set_baseline(client: &mut SpiClient<'_>, reference: Option<&str>) -> Result<i64> {
    advisory_xact_lock(SNAPSHOT_LOCK_KEY);
    let id = resolve_ref(client, reference)?;
    client.update(
        "UPDATE rls_audit.snapshot_meta SET is_baseline = false WHERE is_baseline AND id <> $1",
        None,
        &[id.into()],
    )?;
    client.update(
        "UPDATE rls_audit.snapshot_meta SET is_baseline = true WHERE id = $1",
        None,
        &[id.into()],
    )?;
    Ok(id)
}

pub(crate) fn forget(client: &mut SpiClient<'_>, reference: Option<&str>) -> Result<()> {
    advisory_xact_lock(SNAPSHOT_LOCK_KEY);
    let id = resolve_ref(client, reference)?;
    let is_baseline = client
        .select(
            "SELECT (SELECT is_baseline FROM rls_audit.snapshot_meta WHERE id = $1)",
            None,
            &[id.into()],
        )?
        .first()
        .get_one::<bool>()?
        .unwrap_or(false);
    if is_baseline {
        return Err(RlsAuditError::ObjectState(format!(
            "snapshot {id} is the baseline and cannot be forgotten: \
             set another baseline first with rls_audit.set_baseline(ref)"
        )));
    }
    client.update(
        "DELETE FROM rls_audit.snapshot_meta WHERE id = $1",
        None,
        &[id.into()],
    )?;
    Ok(())
}
