//! Snapshots: the DBA's restore point, stored as rows.
use std::borrow::Borrow;

use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::catalog::{self, LiveRow, LiveRows};
use crate::error::{Result, RlsAuditError};
use crate::model::{AccessFacts, Fingerprinter, Identity, Policy, PolicyId, Role, State, Table};

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

/// Take a snapshot of the live state; returns its id. The posture is
/// written and fingerprinted as the catalog read streams it, a batch at a
/// time (never held whole): the access facts are read and stored first,
/// then the snapshot's row, whose fingerprint and counts are set once the
/// last batch is written.
pub(crate) fn take(
    client: &mut SpiClient<'_>,
    label: Option<&str>,
    note: Option<&str>,
    baseline: bool,
) -> Result<i64> {
    let claimed = claim(client, label)?;
    let access = catalog::read_access(client)?;
    let here = catalog::db_ident();
    // a placeholder fingerprint until the posture has been read
    let id = insert_meta(
        client,
        claimed,
        note,
        baseline,
        &"0".repeat(64),
        [0; 3],
        Some(here),
    )?;
    store_access(client, id, &access)?;
    drop(access);

    let mut print = Fingerprinter::default();
    let batch = std::cell::RefCell::new(LiveRows::default());
    catalog::each_live(
        client,
        |row| {
            match &row {
                LiveRow::Policy(p, _) => print.policy(p)?,
                LiveRow::Table(t, _) => print.table(t)?,
                LiveRow::Role(r, _) => print.role(r)?,
            }
            batch.borrow_mut().push(row);
            Ok(())
        },
        || {
            let b = batch.take();
            write_rows(id, &b.policies, &b.tables, &b.roles)
        },
    )?;
    let counts = print.counts;
    let fingerprint = print.finish();
    crate::prepared::update(
        client,
        r#"UPDATE rls_audit.snapshot_meta
              SET fingerprint = $2, policy_count = $3, table_count = $4, role_count = $5
            WHERE id = $1"#,
        None,
        &[
            id.into(),
            fingerprint.as_str().into(),
            count(counts[0]).into(),
            count(counts[1]).into(),
            count(counts[2]).into(),
        ],
    )?;
    Ok(id)
}

/// Take the snapshot lock, the chain's lock first. A transaction that
/// writes a snapshot may then run a captured DDL, and one that ran a
/// captured DDL may then write a snapshot: were the two locks taken in
/// either order, two such transactions would each wait for the other
/// (deadlock detected, one of them rolled back). The chain's lock first
/// makes a snapshot wait for the DDL in flight (and captured DDL elsewhere
/// wait until the snapshot's transaction ends).
fn lock_snapshots() {
    crate::capture::lock_chain();
    advisory_xact_lock(SNAPSHOT_LOCK_KEY);
}

/// A count as snapshot_meta's integer columns hold it.
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
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
    lock_snapshots();
    if let Some(l) = label {
        if meta_now(Some(l))?.1 {
            return Err(RlsAuditError::DuplicateLabel(l.to_string()));
        }
    }
    Ok(Claimed(label))
}

/// Whether `snapshot_meta` holds a baseline, and whether `label` is
/// taken, as committed now or written by this transaction (SnapshotSelf).
/// Read under the snapshot lock: what its previous holder committed is
/// seen, whatever the isolation level (a query would read the statement's
/// snapshot, taken before the lock was granted, and two first snapshots
/// would both become the baseline).
fn meta_now(label: Option<&str>) -> Result<(bool, bool)> {
    let meta = crate::heap::Own::open_with(
        c"snapshot_meta",
        pg_sys::AccessShareLock as pg_sys::LOCKMODE,
    )?;
    let (mut baseline, mut taken) = (false, false);
    meta.scan(|r| {
        baseline |= r.flag("is_baseline");
        taken |= label.is_some() && r.text("label").as_deref() == label;
        Ok(true)
    })?;
    Ok((baseline, taken))
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
    let counts = [state.policies.len(), state.tables.len(), state.roles.len()];
    let fingerprint = state.fingerprint();
    let id = insert_meta(
        client,
        label,
        note,
        baseline,
        &fingerprint,
        counts,
        ids.db.clone(),
    )?;
    // the rows a chunk at a time, each with its identity (none known: a
    // zero OID, as a snapshot from elsewhere has)
    for chunk in state.policies.chunks(CHUNK) {
        let rows: Vec<(&Policy, PolicyId)> = chunk
            .iter()
            .map(|p| (p, ids.policy(p).cloned().unwrap_or_default()))
            .collect();
        write_rows::<_, &Table, &Role>(id, &rows, &[], &[])?;
    }
    let tables: Vec<(&Table, u32)> = state
        .tables
        .iter()
        .map(|t| {
            let k = (t.schema_name.clone(), t.table_name.clone());
            (t, ids.tables.get(&k).copied().unwrap_or(0))
        })
        .collect();
    let roles: Vec<(&Role, u32)> = state
        .roles
        .iter()
        .map(|r| (r, ids.roles.get(&r.role_name).copied().unwrap_or(0)))
        .collect();
    for chunk in tables.chunks(CHUNK) {
        write_rows::<&Policy, _, &Role>(id, &[], chunk, &[])?;
    }
    for chunk in roles.chunks(CHUNK) {
        write_rows::<&Policy, &Table, _>(id, &[], &[], chunk)?;
    }
    if let Some(a) = access {
        store_access(client, id, a)?;
    }
    Ok(id)
}

/// The snapshot's row (the only baseline when it becomes one); its id.
fn insert_meta(
    client: &mut SpiClient<'_>,
    label: Claimed<'_>,
    note: Option<&str>,
    baseline: bool,
    fingerprint: &str,
    counts: [usize; 3],
    db_ident: Option<String>,
) -> Result<i64> {
    let label = label.0;
    let has_baseline = meta_now(None)?.0;
    let make_baseline = baseline || !has_baseline;
    if make_baseline && has_baseline {
        crate::prepared::update(
            client,
            "UPDATE rls_audit.snapshot_meta SET is_baseline = false WHERE is_baseline",
            None,
            &[],
        )?;
    }
    crate::prepared::update(
        client,
        r#"INSERT INTO rls_audit.snapshot_meta
                   (label, note, is_baseline, fingerprint, policy_count, table_count, role_count,
                    db_ident)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"#,
        None,
        &[
            label.into(),
            note.into(),
            make_baseline.into(),
            fingerprint.into(),
            count(counts[0]).into(),
            count(counts[1]).into(),
            count(counts[2]).into(),
            db_ident.into(),
        ],
    )?
    .first()
    .get_one::<i64>()?
    .ok_or_else(|| RlsAuditError::ObjectState("snapshot row was not created".into()))
}

/// Rows per INSERT when a whole state is stored.
const CHUNK: usize = 2000;

/// Write rows of snapshot `id`: one INSERT per content table that has
/// rows, the columns passed as arrays and unnested. Each write runs in an
/// SPI connection of its own, whose memory (the column arrays, the
/// statements) is freed when it returns: SPI would otherwise keep every
/// argument until the outer connection ends, a second copy of the state.
fn write_rows<P: Borrow<Policy>, T: Borrow<Table>, R: Borrow<Role>>(
    id: i64,
    policies: &[(P, PolicyId)],
    tables: &[(T, u32)],
    roles: &[(R, u32)],
) -> Result<()> {
    if write_direct(id, policies, tables, roles)? {
        return Ok(());
    }
    Spi::connect_mut(|c| {
        if !policies.is_empty() {
            store_policies(c, id, policies)?;
        }
        if !tables.is_empty() {
            store_tables(c, id, tables)?;
        }
        if !roles.is_empty() {
            store_roles(c, id, roles)?;
        }
        Ok(())
    })
}

/// The columns of a snapshot_policies row: a policy's, then its snapshot and identity.
const SNAPSHOT_POLICY_COLUMNS: [&str; 13] = crate::heap::policy_table_columns([
    "snapshot_id",
    "policy_oid",
    "table_oid",
    "tree",
    "role_oids",
]);
/// snapshot_policies' CHECK constraints: the values come from
/// [`crate::model::Mode`] and [`crate::model::Command`], which spell only
/// what they allow.
const POLICY_CHECKS: [&str; 2] = [
    "snapshot_policies_permissive_check",
    "snapshot_policies_command_check",
];
const TABLE_COLUMNS: [&str; 7] = [
    "snapshot_id",
    "schema_name",
    "table_name",
    "owner",
    "rls_enabled",
    "rls_forced",
    "table_oid",
];
const ROLE_COLUMNS: [&str; 6] = [
    "snapshot_id",
    "role_name",
    "superuser",
    "bypassrls",
    "can_login",
    "role_oid",
];

/// [`write_rows`] without SQL: each row straight into the heap and its
/// indexes, as the event log is written ([`crate::heap`]), while the three
/// tables are the plain ones rls_audit created. Their only triggers are
/// the foreign keys' checks that snapshot `id` exists, and it does: its
/// row was written earlier in this transaction, which nothing else can
/// see, let alone delete. Skipping those checks (one query per row) and
/// the INSERT's parse, plan and array unpacking is most of a snapshot's
/// write. The datums live in a memory context deleted after the batch.
/// False, with nothing written, when a table is not plain (a DBA's
/// trigger, rule, row security, CHECK or expression index): then SQL
/// writes the rows and runs all of it.
pub(crate) fn write_direct<P: Borrow<Policy>, T: Borrow<Table>, R: Borrow<Role>>(
    id: i64,
    policies: &[(P, PolicyId)],
    tables: &[(T, u32)],
    roles: &[(R, u32)],
) -> Result<bool> {
    use crate::heap::{name_datum, oids_datum, policy_columns, Own};
    let parents = [c"snapshot_meta"];
    // opened, and their indexes opened by direct_under(), before the
    // batch's memory context: they outlive it
    let (pol, tab, rol) = (
        Own::open(c"snapshot_policies")?,
        Own::open(c"snapshot_tables")?,
        Own::open(c"snapshot_roles")?,
    );
    if !(pol.direct_under(&POLICY_CHECKS, &SNAPSHOT_POLICY_COLUMNS, &parents)
        && tab.direct_under(&[], &TABLE_COLUMNS, &parents)
        && rol.direct_under(&[], &ROLE_COLUMNS, &parents))
    {
        return Ok(false);
    }
    let oid = |o: u32| pg_sys::Oid::from(o).into_datum();
    let snapshot = id.into_datum();
    let mut batch = pgrx::PgMemoryContexts::new("rls_audit snapshot rows");
    // SAFETY: nothing allocated in the batch's context outlives it: each
    // tuple is freed once inserted, and the datums are used only here
    unsafe {
        batch.switch_to(|_| -> Result<()> {
            let mut row = Vec::with_capacity(SNAPSHOT_POLICY_COLUMNS.len());
            for (p, i) in policies {
                row.clear();
                row.extend(policy_columns(p.borrow())?);
                row.extend([
                    ("snapshot_id", snapshot),
                    ("policy_oid", oid(i.oid)),
                    ("table_oid", oid(i.table_oid)),
                    ("tree", i.tree.as_str().into_datum()),
                    ("role_oids", Some(oids_datum(&i.role_oids))),
                ]);
                pol.append(&row)?;
            }
            for (t, o) in tables {
                let t = t.borrow();
                tab.append(&[
                    ("snapshot_id", snapshot),
                    ("schema_name", Some(name_datum(&t.schema_name)?)),
                    ("table_name", Some(name_datum(&t.table_name)?)),
                    ("owner", Some(name_datum(&t.owner)?)),
                    ("rls_enabled", t.rls_enabled.into_datum()),
                    ("rls_forced", t.rls_forced.into_datum()),
                    ("table_oid", oid(*o)),
                ])?;
            }
            for (r, o) in roles {
                let r = r.borrow();
                rol.append(&[
                    ("snapshot_id", snapshot),
                    ("role_name", Some(name_datum(&r.role_name)?)),
                    ("superuser", r.superuser.into_datum()),
                    ("bypassrls", r.bypassrls.into_datum()),
                    ("can_login", r.can_login.into_datum()),
                    ("role_oid", oid(*o)),
                ])?;
            }
            Ok(())
        })
    }?;
    drop(batch);
    pol.settle();
    Ok(true)
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

fn store_policies<P: Borrow<Policy>>(
    client: &mut SpiClient<'_>,
    id: i64,
    rows: &[(P, PolicyId)],
) -> Result<()> {
    let col = |f: fn(&Policy) -> String| {
        rows.iter()
            .map(|(x, _)| f(x.borrow()))
            .collect::<Vec<String>>()
    };
    // role lists differ in length and SQL arrays of arrays must be
    // rectangular, so each list travels as one array literal
    let roles = col(|x| array_literal(&x.roles));
    let using: Vec<Option<String>> = rows
        .iter()
        .map(|(x, _)| x.borrow().using_expr.clone())
        .collect();
    let check: Vec<Option<String>> = rows
        .iter()
        .map(|(x, _)| x.borrow().check_expr.clone())
        .collect();
    let ident =
        |f: fn(&PolicyId) -> pg_sys::Oid| rows.iter().map(|(_, i)| f(i)).collect::<Vec<_>>();
    let role_oids: Vec<String> = rows
        .iter()
        .map(|(_, i)| array_literal(&i.role_oids))
        .collect();
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
            ident(|i| pg_sys::Oid::from(i.oid)).into(),
            ident(|i| pg_sys::Oid::from(i.table_oid)).into(),
            rows.iter()
                .map(|(_, i)| i.tree.clone())
                .collect::<Vec<_>>()
                .into(),
            role_oids.into(),
        ],
    )?;
    Ok(())
}

fn store_tables<T: Borrow<Table>>(
    client: &mut SpiClient<'_>,
    id: i64,
    rows: &[(T, u32)],
) -> Result<()> {
    let col = |f: fn(&Table) -> String| {
        rows.iter()
            .map(|(x, _)| f(x.borrow()))
            .collect::<Vec<String>>()
    };
    let flag = |f: fn(&Table) -> bool| {
        rows.iter()
            .map(|(x, _)| f(x.borrow()))
            .collect::<Vec<bool>>()
    };
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
            col(|x| x.schema_name.clone()).into(),
            col(|x| x.table_name.clone()).into(),
            col(|x| x.owner.clone()).into(),
            flag(|x| x.rls_enabled).into(),
            flag(|x| x.rls_forced).into(),
            rows.iter()
                .map(|(_, o)| pg_sys::Oid::from(*o))
                .collect::<Vec<_>>()
                .into(),
        ],
    )?;
    Ok(())
}

fn store_roles<R: Borrow<Role>>(
    client: &mut SpiClient<'_>,
    id: i64,
    rows: &[(R, u32)],
) -> Result<()> {
    let flag = |f: fn(&Role) -> bool| {
        rows.iter()
            .map(|(x, _)| f(x.borrow()))
            .collect::<Vec<bool>>()
    };
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
            rows.iter()
                .map(|(x, _)| x.borrow().role_name.clone())
                .collect::<Vec<_>>()
                .into(),
            flag(|x| x.superuser).into(),
            flag(|x| x.bypassrls).into(),
            flag(|x| x.can_login).into(),
            rows.iter()
                .map(|(_, o)| pg_sys::Oid::from(*o))
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
    crate::prepared::update(
        client,
        "INSERT INTO rls_audit.snapshot_access (snapshot_id, facts) VALUES ($1, $2::json)",
        None,
        &[id.into(), doc.as_str().into()],
    )?;
    Ok(())
}

/// The access facts snapshot `id` keeps; None for a snapshot taken before
/// 0.3.0 (access drift against it is unknown, never guessed).
pub(crate) fn load_access(client: &SpiClient<'_>, id: i64) -> Result<Option<AccessFacts>> {
    // no row at all for a snapshot taken before 0.3.0
    let found = client.select(
        "SELECT facts::text FROM rls_audit.snapshot_access WHERE snapshot_id = $1",
        Some(1),
        &[id.into()],
    )?;
    // the document is detoasted in a context freed right after (see
    // catalog::decoding), not in the transaction's
    let doc = catalog::decoding(|| match found.into_iter().next() {
        Some(row) => row.get::<String>(1),
        None => Ok(None),
    })?;
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
    let mut policy_ids: Vec<(usize, PolicyId)> = Vec::new();
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
                policy_ids.push((
                    state.policies.len(),
                    PolicyId {
                        oid: policy_oid.to_u32(),
                        table_oid: oid(row.get::<pg_sys::Oid>(10)?),
                        tree: row.get::<String>(11)?.unwrap_or_default(),
                        role_oids: crate::model::sorted_oids(row.get::<Vec<i64>>(12)?),
                    },
                ));
            }
            state.policies.push(p);
            Ok(())
        },
    )?;
    ids.add_placed_policies(&mut state.policies, policy_ids);
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
    lock_snapshots();
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
    lock_snapshots();
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
