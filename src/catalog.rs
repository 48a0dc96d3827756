//! The one place that reads the RLS posture out of the catalog.
//!
//! catalog → [`State`] (plain structs, serde) → compare/render → SQL rows.
//! Snapshots store a `State`, and everything that compares or restores works
//! on `State`s, so no other module queries `pg_policy` its own way.
use pgrx::prelude::*;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;

/// One row of `pg_policy`, with names instead of OIDs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Policy {
    pub schema_name: String,
    pub table_name: String,
    pub policy_name: String,
    /// `PERMISSIVE` or `RESTRICTIVE`
    pub permissive: String,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`
    pub command: String,
    /// sorted role names; `public` stands for PUBLIC
    pub roles: Vec<String>,
    pub using_expr: Option<String>,
    pub check_expr: Option<String>,
}

/// An ordinary or partitioned table and its RLS flags.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Table {
    pub schema_name: String,
    pub table_name: String,
    pub owner: String,
    pub rls_enabled: bool,
    pub rls_forced: bool,
}

/// The role attributes that decide whether RLS applies at all.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Role {
    pub role_name: String,
    pub superuser: bool,
    pub bypassrls: bool,
    pub can_login: bool,
}

/// The RLS posture of a database (SPEC §2). Always kept in canonical order,
/// so equal postures serialise to equal bytes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub policies: Vec<Policy>,
    pub tables: Vec<Table>,
    pub roles: Vec<Role>,
}

impl State {
    /// Sort everything by name (byte order, not the database collation, so
    /// the order does not depend on where the state was read).
    pub fn canonicalize(&mut self) {
        for p in &mut self.policies {
            p.roles.sort();
            p.roles.dedup();
        }
        self.policies.sort();
        self.tables.sort();
        self.roles.sort();
    }

    /// Hex SHA-256 of the canonical JSON form: equal states, equal prints.
    pub fn fingerprint(&self) -> String {
        let mut canonical = self.clone();
        canonical.canonicalize();
        // serialising plain structs of strings and bools cannot fail
        let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Which object each name stood for, in which database. PostgreSQL keys
/// its catalog by OID: a rename keeps the OID, and a policy's stored
/// expression tree and role OIDs do not change when a column, function,
/// type or role it references is renamed (only their text rendering does).
/// So within one database, [`crate::identity::align`] follows objects by
/// OID; across databases (a dump restored elsewhere) OIDs mean nothing and
/// names are the key. Kept out of [`State`]: it never enters a fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// [`db_ident`] of the database the OIDs belong to; None: unknown
    pub db: Option<String>,
    pub tables: BTreeMap<(String, String), u32>,
    pub policies: BTreeMap<(String, String, String), PolicyId>,
    pub roles: BTreeMap<String, u32>,
}

/// A policy's identity and what it stores rather than how it reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyId {
    pub oid: u32,
    pub table_oid: u32,
    /// [`POLICY_TREE_SQL`]: md5 of the USING and WITH CHECK trees
    pub tree: String,
    /// `polroles` (0 = PUBLIC), sorted
    pub role_oids: Vec<u32>,
}

/// This database, as "system identifier/database OID": OIDs are only
/// comparable between states with the same ident. A physical replica or a
/// promoted standby has the same; a dump restored anywhere else does not.
pub fn db_ident() -> String {
    // SAFETY: plain reads of process-global state set at backend start
    let (sysid, db) = unsafe { (pg_sys::GetSystemIdentifier(), pg_sys::MyDatabaseId) };
    // signed, as pg_control_system() shows it (the upgrade script binds rows in SQL)
    let sysid = sysid as i64;
    format!("{sysid}/{}", db.to_u32())
}

/// What a policy stores, from `pg_policy p`: md5 of the USING and WITH
/// CHECK node trees. The trees also hold `:location` offsets into the
/// statement that wrote them, so an unchanged tree always hashes the same
/// (a rename of what it references does not touch it), while the same
/// expression restated by a later ALTER POLICY may hash differently: that
/// case is caught by comparing the text too (see TrackedPolicy::same_definition).
pub const POLICY_TREE_SQL: &str = "coalesce(pg_catalog.md5(p.polqual::text), '-') || '/' || \
     coalesce(pg_catalog.md5(p.polwithcheck::text), '-')";

/// Schemas whose tables are never part of the posture: the system's, TOAST,
/// other sessions' temporary schemas, and rls_audit's own.
pub const EXCLUDED_SCHEMAS_SQL: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'rls_audit') \
     AND n.nspname !~ '^pg_(toast|temp_)'";

/// A policy's definition as every reader selects it from `pg_policy p`:
/// permissive, command, roles (`public` for PUBLIC), USING, WITH CHECK.
pub const POLICY_DEFINITION_SQL: &str =
    "CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
       CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                     WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
       ARRAY(SELECT CASE WHEN x = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x)::text END
               FROM pg_catalog.unnest(p.polroles) AS x),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)";

/// The whole posture in ONE statement, so policies, tables and roles come
/// from the same MVCC snapshot even under READ COMMITTED. Expressions are
/// deparsed with the caller's search_path replaced by `pg_catalog` (every
/// rls_audit function pins it), so every name comes out schema-qualified.
fn state_query() -> String {
    format!(
        r#"
WITH rel AS (
    SELECT c.oid, n.nspname::text AS nspname, c.relname::text AS relname,
           c.relowner, c.relrowsecurity, c.relforcerowsecurity
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND {EXCLUDED_SCHEMAS_SQL}
)
SELECT 'p' AS kind, r.nspname, r.relname, p.polname::text,
       {POLICY_DEFINITION_SQL},
       NULL::bool, NULL::bool, NULL::bool,
       p.oid, p.polrelid, {POLICY_TREE_SQL}, p.polroles::pg_catalog.int8[]
  FROM pg_catalog.pg_policy p JOIN rel r ON r.oid = p.polrelid
UNION ALL
SELECT 't', r.nspname, r.relname, pg_catalog.pg_get_userbyid(r.relowner)::text,
       NULL, NULL, NULL, NULL, NULL,
       r.relrowsecurity, r.relforcerowsecurity, NULL,
       r.oid, NULL, NULL, NULL
  FROM rel r
UNION ALL
SELECT 'r', a.rolname::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       a.rolsuper, a.rolbypassrls, a.rolcanlogin,
       a.oid, NULL, NULL, NULL
  FROM pg_catalog.pg_roles a
 WHERE a.rolname !~ '^pg_'
"#
    )
}

fn text(row: &pgrx::spi::SpiHeapTupleData, i: usize) -> Result<String> {
    Ok(row.get::<String>(i)?.unwrap_or_default())
}

fn flag(row: &pgrx::spi::SpiHeapTupleData, i: usize) -> Result<bool> {
    Ok(row.get::<bool>(i)?.unwrap_or(false))
}

/// Read the live posture. The caller must run under a pinned
/// `search_path = pg_catalog, pg_temp` (see [`state_query`]).
pub fn read_live_state(client: &pgrx::spi::SpiClient<'_>) -> Result<State> {
    Ok(read_live(client)?.0)
}

/// The live posture and which objects its names stand for.
pub fn read_live(client: &pgrx::spi::SpiClient<'_>) -> Result<(State, Identity)> {
    let mut state = State::default();
    let mut ids = Identity {
        db: Some(db_ident()),
        ..Identity::default()
    };
    let rows = client.select(state_query().as_str(), None, &[])?;
    for row in rows {
        let oid = row.get::<pg_sys::Oid>(13)?.map(|o| o.to_u32()).unwrap_or(0);
        match text(&row, 1)?.as_str() {
            "p" => {
                let p = Policy {
                    schema_name: text(&row, 2)?,
                    table_name: text(&row, 3)?,
                    policy_name: text(&row, 4)?,
                    permissive: text(&row, 5)?,
                    command: text(&row, 6)?,
                    roles: row.get::<Vec<String>>(7)?.unwrap_or_default(),
                    using_expr: row.get::<String>(8)?,
                    check_expr: row.get::<String>(9)?,
                };
                ids.policies.insert(
                    (
                        p.schema_name.clone(),
                        p.table_name.clone(),
                        p.policy_name.clone(),
                    ),
                    PolicyId {
                        oid,
                        table_oid: row.get::<pg_sys::Oid>(14)?.map(|o| o.to_u32()).unwrap_or(0),
                        tree: text(&row, 15)?,
                        role_oids: sorted_oids(row.get::<Vec<i64>>(16)?),
                    },
                );
                state.policies.push(p);
            }
            "t" => {
                let t = Table {
                    schema_name: text(&row, 2)?,
                    table_name: text(&row, 3)?,
                    owner: text(&row, 4)?,
                    rls_enabled: flag(&row, 10)?,
                    rls_forced: flag(&row, 11)?,
                };
                ids.tables
                    .insert((t.schema_name.clone(), t.table_name.clone()), oid);
                state.tables.push(t);
            }
            _ => {
                let r = Role {
                    role_name: text(&row, 2)?,
                    superuser: flag(&row, 10)?,
                    bypassrls: flag(&row, 11)?,
                    can_login: flag(&row, 12)?,
                };
                ids.roles.insert(r.role_name.clone(), oid);
                state.roles.push(r);
            }
        }
    }
    state.canonicalize();
    Ok((state, ids))
}

/// `polroles` as a sorted list of plain numbers. Read as int8[]: 0 stands
/// for PUBLIC there, and an oid 0 would arrive as a NULL element.
pub fn sorted_oids(oids: Option<Vec<i64>>) -> Vec<u32> {
    let mut v: Vec<u32> = oids
        .unwrap_or_default()
        .into_iter()
        .filter_map(|o| u32::try_from(o).ok())
        .collect();
    v.sort_unstable();
    v
}

/// Read one live policy by table OID and name (for `policy_ddl`).
pub fn read_live_policy(
    client: &pgrx::spi::SpiClient<'_>,
    table: pg_sys::Oid,
    policy: &str,
) -> Result<Option<Policy>> {
    let q = format!(
        r#"
SELECT n.nspname::text, c.relname::text, p.polname::text,
       {POLICY_DEFINITION_SQL}
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE p.polrelid = $1 AND p.polname = $2"#
    );
    let mut rows = client.select(q.as_str(), Some(1), &[table.into(), policy.into()])?;
    if let Some(row) = rows.next() {
        let mut roles = row.get::<Vec<String>>(6)?.unwrap_or_default();
        roles.sort();
        return Ok(Some(Policy {
            schema_name: text(&row, 1)?,
            table_name: text(&row, 2)?,
            policy_name: text(&row, 3)?,
            permissive: text(&row, 4)?,
            command: text(&row, 5)?,
            roles,
            using_expr: row.get::<String>(7)?,
            check_expr: row.get::<String>(8)?,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod unit {
    use super::*;

    fn policy(name: &str, roles: &[&str]) -> Policy {
        Policy {
            schema_name: "public".into(),
            table_name: "t".into(),
            policy_name: name.into(),
            permissive: "PERMISSIVE".into(),
            command: "ALL".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using_expr: Some("true".into()),
            check_expr: None,
        }
    }

    #[test]
    fn fingerprint_ignores_order_but_not_content() {
        let a = State {
            policies: vec![policy("a", &["x", "y"]), policy("b", &["public"])],
            ..Default::default()
        };
        let b = State {
            policies: vec![policy("b", &["public"]), policy("a", &["y", "x"])],
            ..Default::default()
        };
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), 64);

        let mut c = a.clone();
        c.policies[0].using_expr = Some("false".into());
        assert_ne!(a.fingerprint(), c.fingerprint());

        let mut d = a.clone();
        d.policies[0].check_expr = Some("true".into());
        assert_ne!(a.fingerprint(), d.fingerprint(), "NULL and 'true' differ");
    }

    #[test]
    fn empty_state_has_a_stable_fingerprint() {
        assert_eq!(
            State::default().fingerprint(),
            State::default().fingerprint()
        );
    }
}
