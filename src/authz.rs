//! Who reaches rows besides the policies: role attributes, role
//! memberships, and the owner and grants of every tracked table.
//!
//! These open every tenant's rows as surely as a policy does (`ALTER ROLE
//! app BYPASSRLS`, `GRANT table_owner TO app`, `GRANT SELECT ON t TO
//! reporting`), so they are tracked like policies:
//! - the tracked state holds every role (superuser, bypassrls, can_login:
//!   `tracked_roles`), every membership (admin, inherit, set:
//!   `tracked_memberships`) and each tracked table's owner and grants
//!   (columns of `tracked_tables`);
//! - `GRANT` / `REVOKE` on tables, `ALTER TABLE … OWNER TO` and `DROP
//!   OWNED` are DDL: the event triggers capture them (GRANT's tables come
//!   from its parse tree: PostgreSQL reports a GRANT without them);
//! - role statements and `REASSIGN OWNED` have no event triggers:
//!   [`crate::hook`] captures them when rls_audit is preloaded;
//! - [`untracked_rows`] compares everything with the catalog, so a change
//!   made without the hook, or in another database (roles are
//!   cluster-wide), is still found, and [`reconcile_drafts`] records it.
//!
//! Roles are followed by OID within one cluster (`cluster_ident`, the
//! system identifier): a rename changes no policy, grant or membership
//! (they hold the OID), so it records nothing and the tracked names
//! follow. Names are the key where OIDs changed (a history restored into
//! another cluster).
use std::collections::{BTreeMap, BTreeSet};

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use serde_json::{json, Value};

use crate::capture::Draft;
use crate::catalog::{self, live};
use crate::diff::DriftRow;
use crate::error::Result;
use crate::heap::{self, Key};
use crate::ident::{quote_ident, quote_qualified};
use crate::model::{Change, Role, Severity, State};
use crate::render;

/// What a comparison covers: one database's facts (table owners and
/// grants), or the cluster's too (roles and memberships).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Database,
    All,
}

// ---------------------------------------------------------------------------
// the facts

/// A role's attributes that decide whether row-level security applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleFact {
    pub(crate) oid: u32,
    pub(crate) name: String,
    pub(crate) superuser: bool,
    pub(crate) bypassrls: bool,
    pub(crate) can_login: bool,
}

impl RoleFact {
    fn same_attributes(&self, o: &RoleFact) -> bool {
        (self.superuser, self.bypassrls, self.can_login) == (o.superuser, o.bypassrls, o.can_login)
    }

    fn json(&self) -> Value {
        json!({
            "role_name": self.name, "superuser": self.superuser,
            "bypassrls": self.bypassrls, "can_login": self.can_login,
        })
    }

    fn as_role(&self) -> Role {
        Role {
            role_name: self.name.clone(),
            superuser: self.superuser,
            bypassrls: self.bypassrls,
            can_login: self.can_login,
        }
    }
}

/// `member` is a member of `role` (every grantor's grant together): with
/// the admin option, inheriting its privileges, allowed to SET ROLE to it.
/// Before PostgreSQL 16 inheritance is the member's INHERIT attribute and
/// SET is always allowed, as the access model reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberFact {
    pub(crate) role_oid: u32,
    pub(crate) member_oid: u32,
    pub(crate) role: String,
    pub(crate) member: String,
    pub(crate) admin: bool,
    pub(crate) inherit: bool,
    pub(crate) set: bool,
}

impl MemberFact {
    fn options(&self) -> (bool, bool, bool) {
        (self.admin, self.inherit, self.set)
    }

    fn json(&self) -> Value {
        json!({
            "role_name": self.role, "member": self.member, "admin_option": self.admin,
            "inherit_option": self.inherit, "set_option": self.set,
        })
    }

    /// e.g. `app_user in table_owner (inherit, set)`
    fn describe(&self) -> String {
        let opts: Vec<&str> = [
            (self.admin, "admin"),
            (self.inherit, "inherit"),
            (self.set, "set"),
        ]
        .into_iter()
        .filter_map(|(on, w)| on.then_some(w))
        .collect();
        format!(
            "{} in {} ({})",
            quote_ident(&self.member),
            quote_ident(&self.role),
            if opts.is_empty() {
                "no options".into()
            } else {
                opts.join(", ")
            }
        )
    }
}

/// What one grantee holds on a table: `SELECT`, `UPDATE (col)`, and `…
/// WITH GRANT OPTION` for each privilege it may grant on (sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GrantFact {
    pub(crate) grantee_oid: u32,
    pub(crate) grantee: String,
    pub(crate) privileges: Vec<String>,
}

/// A table's owner and the grants to every role but the owner.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct TableAccess {
    pub(crate) owner_oid: u32,
    pub(crate) owner: String,
    /// sorted by grantee name
    pub(crate) grants: Vec<GrantFact>,
}

impl TableAccess {
    /// The stored form of the grants (`tracked_tables.grants`).
    pub(crate) fn grants_json(&self) -> Value {
        Value::Array(
            self.grants
                .iter()
                .map(|g| {
                    json!({"grantee": g.grantee, "grantee_oid": g.grantee_oid,
                           "privileges": g.privileges})
                })
                .collect(),
        )
    }

    fn from_stored(owner_oid: u32, owner: String, grants: &Value) -> TableAccess {
        let grants = grants
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|g| GrantFact {
                        grantee_oid: g["grantee_oid"].as_u64().unwrap_or(0) as u32,
                        grantee: g["grantee"].as_str().unwrap_or_default().to_string(),
                        privileges: g["privileges"]
                            .as_array()
                            .map(|p| {
                                p.iter()
                                    .filter_map(|x| x.as_str().map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        TableAccess {
            owner_oid,
            owner,
            grants,
        }
    }
}

/// This cluster's part of [`catalog::db_ident`]: role OIDs mean the same
/// role in every database of a cluster.
pub(crate) fn cluster_ident() -> String {
    cluster_of(&catalog::db_ident()).to_string()
}

fn cluster_of(db_ident: &str) -> &str {
    db_ident.split('/').next().unwrap_or_default()
}

// ---------------------------------------------------------------------------
// the live facts, read from the catalog without a statement

fn cstr(p: *const core::ffi::c_char) -> String {
    // SAFETY: callers pass NUL-terminated strings from the catalog
    unsafe { core::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

/// Every row of a shared catalog, as committed now or changed by this
/// transaction (SnapshotSelf: the statement that just ran included).
fn scan_catalog(
    relation: pg_sys::Oid,
    mut f: impl FnMut(*mut pg_sys::HeapTupleData, pg_sys::TupleDesc) -> Result<()>,
) -> Result<()> {
    // SAFETY: the standard catalog scan; an ERROR inside aborts the
    // transaction, which releases the scan, the lock and the relation
    unsafe {
        let rel = pg_sys::table_open(relation, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let scan = pg_sys::systable_beginscan(
            rel,
            pg_sys::InvalidOid,
            false,
            &raw mut pg_sys::SnapshotSelfData,
            0,
            std::ptr::null_mut(),
        );
        let desc = (*rel).rd_att;
        let result = heap::each_tuple(scan, |tup| f(tup, desc).map(|_| true));
        pg_sys::table_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        result
    }
}

/// Every role but PostgreSQL's predefined ones (`pg_*`: they cannot be
/// created, altered or given BYPASSRLS), by name.
pub(crate) fn live_roles() -> Result<Vec<RoleFact>> {
    let mut out = Vec::new();
    scan_catalog(pg_sys::AuthIdRelationId, |tup, _| {
        // SAFETY: a pg_authid row; its fixed-width part is FormData_pg_authid
        let a = unsafe { &*pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_authid>() };
        let name = cstr(a.rolname.data.as_ptr());
        if !name.starts_with("pg_") {
            out.push(RoleFact {
                oid: a.oid.to_u32(),
                name,
                superuser: a.rolsuper,
                bypassrls: a.rolbypassrls,
                can_login: a.rolcanlogin,
            });
        }
        Ok(())
    })?;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// pg_auth_members (catalog/pg_auth_members.h; not in pgrx's bindings).
const AUTH_MEMBERS_RELATION_ID: pg_sys::Oid = pg_sys::Oid::from_u32(1261);

/// The attribute number of column `name` in a descriptor.
fn attno_of(desc: pg_sys::TupleDesc, name: &str) -> Option<i32> {
    // SAFETY: reads of a valid descriptor's attributes
    unsafe {
        (0..(*desc).natts as usize).find_map(|i| {
            let att = crate::heap::attr(desc, i);
            (!att.attisdropped && cstr(att.attname.data.as_ptr()) == name).then_some(i as i32 + 1)
        })
    }
}

/// A role's INHERIT attribute (false for a role that is gone).
fn inherits(role: u32) -> bool {
    // SAFETY: a syscache lookup, released before returning
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::AUTHOID as i32,
            pg_sys::Datum::from(pg_sys::Oid::from(role)),
        );
        if tup.is_null() {
            return false;
        }
        let inherit = (*pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_authid>()).rolinherit;
        pg_sys::ReleaseSysCache(tup);
        inherit
    }
}

/// Every membership whose member is not a predefined role (those are
/// PostgreSQL's own), every grantor's grant together, by role and member.
pub(crate) fn live_memberships() -> Result<Vec<MemberFact>> {
    let mut grants: BTreeMap<(u32, u32), (bool, bool, bool)> = BTreeMap::new();
    scan_catalog(AUTH_MEMBERS_RELATION_ID, |tup, desc| {
        let col = |name: &str| -> Option<pg_sys::Datum> {
            let attno = attno_of(desc, name)?;
            let mut isnull = false;
            // SAFETY: a pg_auth_members row read with its descriptor
            let d = unsafe { pg_sys::heap_getattr(tup, attno, desc, &mut isnull) };
            (!isnull).then_some(d)
        };
        let oid = |name: &str| col(name).map_or(0, |d| d.value() as u32);
        let flag = |name: &str| col(name).map(|d| d.value() != 0);
        let (role, member) = (oid("roleid"), oid("member"));
        let admin = flag("admin_option").unwrap_or(false);
        // PostgreSQL 16 keeps INHERIT and SET per grant; before, INHERIT is
        // the member's attribute and SET is always allowed
        let inherit = flag("inherit_option").unwrap_or_else(|| inherits(member));
        let set = flag("set_option").unwrap_or(true);
        let e = grants.entry((role, member)).or_default();
        *e = (e.0 || admin, e.1 || inherit, e.2 || set);
        Ok(())
    })?;
    let mut out = Vec::new();
    for ((role, member), (admin, inherit, set)) in grants {
        let (Some(role_name), Some(member_name)) = (
            live::role_name_if_exists(role),
            live::role_name_if_exists(member),
        ) else {
            continue;
        };
        if member_name.starts_with("pg_") {
            continue;
        }
        out.push(MemberFact {
            role_oid: role,
            member_oid: member,
            role: role_name,
            member: member_name,
            admin,
            inherit,
            set,
        });
    }
    out.sort_by(|a, b| (&a.role, &a.member).cmp(&(&b.role, &b.member)));
    Ok(out)
}

/// Table privileges by ACL bit (utils/acl.h), as GRANT spells them.
const TABLE_PRIVILEGES: [(u32, &str); 8] = [
    (0, "INSERT"),
    (1, "SELECT"),
    (2, "UPDATE"),
    (3, "DELETE"),
    (4, "TRUNCATE"),
    (5, "REFERENCES"),
    (6, "TRIGGER"),
    (14, "MAINTAIN"),
];

/// Add what an ACL (a `relacl` or `attacl` datum) grants to every role but
/// `owner`; `column`: the column it belongs to.
unsafe fn add_acl(
    into: &mut BTreeMap<u32, BTreeSet<String>>,
    acl: pg_sys::Datum,
    owner: u32,
    column: Option<&str>,
) {
    // SAFETY: acl is an aclitem[] datum (never NULL elements), detoasted here
    unsafe {
        let arr = pg_sys::pg_detoast_datum(acl.cast_mut_ptr()).cast::<pg_sys::ArrayType>();
        let Some(arr) = std::ptr::NonNull::new(arr) else {
            return;
        };
        let mut raw = pgrx::array::RawArray::from_ptr(arr);
        let items = raw.data::<pg_sys::AclItem>();
        // grant options sit in the upper half of AclMode (16 bits before
        // PostgreSQL 16, 32 since)
        let shift = std::mem::size_of::<pg_sys::AclMode>() * 4;
        for i in 0..items.len() {
            let item = std::ptr::read_unaligned(items.cast::<pg_sys::AclItem>().as_ptr().add(i));
            let grantee = item.ai_grantee.to_u32();
            if grantee == owner {
                continue;
            }
            let privs = item.ai_privs as u64;
            let set = into.entry(grantee).or_default();
            for (bit, word) in TABLE_PRIVILEGES {
                let name = match column {
                    Some(c) => format!("{word} ({})", quote_ident(c)),
                    None => word.to_string(),
                };
                if privs & (1u64 << bit) != 0 {
                    set.insert(name.clone());
                }
                if privs & (1u64 << (bit as usize + shift)) != 0 {
                    set.insert(format!("{name} WITH GRANT OPTION"));
                }
            }
        }
    }
}

/// A table's owner and grants (table and column privileges) as the
/// catalog holds them now; None when there is no such relation.
pub(crate) fn live_table_access(table: u32) -> Option<TableAccess> {
    let mut by_grantee: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    // SAFETY: syscache lookups; each cache tuple is read (its ACL detoasted
    // into the current context) and released before the next
    let owner = unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::RELOID as i32,
            pg_sys::Datum::from(pg_sys::Oid::from(table)),
        );
        if tup.is_null() {
            return None;
        }
        let class = &*pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_class>();
        let owner = class.relowner.to_u32();
        let natts = class.relnatts;
        let mut isnull = false;
        let acl = pg_sys::SysCacheGetAttr(
            pg_sys::SysCacheIdentifier::RELOID as i32,
            tup,
            pg_sys::Anum_pg_class_relacl as pg_sys::AttrNumber,
            &mut isnull,
        );
        if !isnull {
            add_acl(&mut by_grantee, acl, owner, None);
        }
        pg_sys::ReleaseSysCache(tup);
        for attnum in 1..=natts {
            let atup = pg_sys::SearchSysCache2(
                pg_sys::SysCacheIdentifier::ATTNUM as i32,
                pg_sys::Datum::from(pg_sys::Oid::from(table)),
                pg_sys::Datum::from(attnum),
            );
            if atup.is_null() {
                continue;
            }
            let att = &*pg_sys::GETSTRUCT(atup).cast::<pg_sys::FormData_pg_attribute>();
            if !att.attisdropped {
                let name = cstr(att.attname.data.as_ptr());
                let mut isnull = false;
                let acl = pg_sys::SysCacheGetAttr(
                    pg_sys::SysCacheIdentifier::ATTNUM as i32,
                    atup,
                    pg_sys::Anum_pg_attribute_attacl as pg_sys::AttrNumber,
                    &mut isnull,
                );
                if !isnull {
                    add_acl(&mut by_grantee, acl, owner, Some(&name));
                }
            }
            pg_sys::ReleaseSysCache(atup);
        }
        owner
    };
    let mut grants: Vec<GrantFact> = by_grantee
        .into_iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(oid, p)| GrantFact {
            grantee_oid: oid,
            grantee: live::role_name(oid),
            privileges: p.into_iter().collect(),
        })
        .collect();
    grants.sort_by(|a, b| a.grantee.cmp(&b.grantee));
    Some(TableAccess {
        owner_oid: owner,
        owner: live::role_name(owner),
        grants,
    })
}

// ---------------------------------------------------------------------------
// the tracked facts

/// A fact tracked in a table of its own, one row per fact: a role or a
/// membership. Rows are keyed by names (they survive pg_dump and another
/// cluster); within the cluster of their `cluster_ident` they are followed
/// by OIDs.
trait Fact: Clone + PartialEq + Sized {
    const TABLE: &'static core::ffi::CStr;
    /// every column rls_audit writes
    const COLUMNS: &'static [&'static str];
    /// the key columns (names)
    const KEY: &'static [&'static str];
    fn from_row(r: &heap::Row<'_>) -> Self;
    /// the row's values, with the cluster its OIDs belong to
    fn values(&self, cluster: &str) -> Result<Vec<(&'static str, Option<pg_sys::Datum>)>>;
    /// what identifies the fact within a cluster
    fn oids(&self) -> (u32, u32);
    /// what identifies it elsewhere: the key columns' values
    fn names(&self) -> Vec<&str>;
}

fn oid_datum(o: u32) -> Option<pg_sys::Datum> {
    Some(pg_sys::Datum::from(pg_sys::Oid::from(o)))
}

impl Fact for RoleFact {
    const TABLE: &'static core::ffi::CStr = c"tracked_roles";
    const COLUMNS: &'static [&'static str] = &[
        "role_oid",
        "role_name",
        "superuser",
        "bypassrls",
        "can_login",
        "cluster_ident",
    ];
    const KEY: &'static [&'static str] = &["role_name"];

    fn from_row(r: &heap::Row<'_>) -> Self {
        RoleFact {
            oid: r.oid("role_oid"),
            name: r.name("role_name").unwrap_or_default(),
            superuser: r.flag("superuser"),
            bypassrls: r.flag("bypassrls"),
            can_login: r.flag("can_login"),
        }
    }

    fn values(&self, cluster: &str) -> Result<Vec<(&'static str, Option<pg_sys::Datum>)>> {
        Ok(vec![
            ("role_oid", oid_datum(self.oid)),
            ("role_name", Some(heap::name_datum(&self.name)?)),
            ("superuser", self.superuser.into_datum()),
            ("bypassrls", self.bypassrls.into_datum()),
            ("can_login", self.can_login.into_datum()),
            ("cluster_ident", cluster.into_datum()),
        ])
    }

    fn oids(&self) -> (u32, u32) {
        (self.oid, 0)
    }

    fn names(&self) -> Vec<&str> {
        vec![&self.name]
    }
}

impl Fact for MemberFact {
    const TABLE: &'static core::ffi::CStr = c"tracked_memberships";
    const COLUMNS: &'static [&'static str] = &[
        "role_oid",
        "member_oid",
        "role_name",
        "member_name",
        "admin_option",
        "inherit_option",
        "set_option",
        "cluster_ident",
    ];
    const KEY: &'static [&'static str] = &["role_name", "member_name"];

    fn from_row(r: &heap::Row<'_>) -> Self {
        MemberFact {
            role_oid: r.oid("role_oid"),
            member_oid: r.oid("member_oid"),
            role: r.name("role_name").unwrap_or_default(),
            member: r.name("member_name").unwrap_or_default(),
            admin: r.flag("admin_option"),
            inherit: r.flag("inherit_option"),
            set: r.flag("set_option"),
        }
    }

    fn values(&self, cluster: &str) -> Result<Vec<(&'static str, Option<pg_sys::Datum>)>> {
        Ok(vec![
            ("role_oid", oid_datum(self.role_oid)),
            ("member_oid", oid_datum(self.member_oid)),
            ("role_name", Some(heap::name_datum(&self.role)?)),
            ("member_name", Some(heap::name_datum(&self.member)?)),
            ("admin_option", self.admin.into_datum()),
            ("inherit_option", self.inherit.into_datum()),
            ("set_option", self.set.into_datum()),
            ("cluster_ident", cluster.into_datum()),
        ])
    }

    fn oids(&self) -> (u32, u32) {
        (self.role_oid, self.member_oid)
    }

    fn names(&self) -> Vec<&str> {
        vec![&self.role, &self.member]
    }
}

/// A tracked fact and the cluster its OIDs belong to.
type Tracked<T> = (T, Option<String>);

/// Every tracked fact of a kind, as committed now or written by this
/// transaction.
fn tracked_facts<F: Fact>() -> Result<Vec<Tracked<F>>> {
    let rows = heap::Own::open_with(F::TABLE, pg_sys::AccessShareLock as pg_sys::LOCKMODE)?;
    let mut out = Vec::new();
    rows.scan(|r| {
        out.push((F::from_row(r), r.text("cluster_ident")));
        Ok(true)
    })?;
    Ok(out)
}

/// The tracked row of `old` (by its names, the key) becomes `new`:
/// changed, deleted (None) or added (no `old`).
fn put<F: Fact>(
    c: &mut SpiClient<'_>,
    old: Option<&F>,
    new: Option<&F>,
    cluster: &str,
) -> Result<()> {
    let values = new.map(|n| n.values(cluster)).transpose()?;
    let old_key = old.map(F::names);
    heap::put(
        c,
        F::TABLE,
        F::COLUMNS,
        F::KEY,
        old_key.as_deref(),
        values.as_deref(),
    )
    .map(|_| ())
}

/// Old rows first, then new ones: a name one row frees may be taken by
/// another (the names are the key, and a change may swap two).
fn apply_writes<F: Fact>(
    c: &mut SpiClient<'_>,
    writes: &[(Option<F>, Option<F>)],
    here: &str,
) -> Result<()> {
    for (old, _) in writes.iter().filter(|(o, _)| o.is_some()) {
        put(c, old.as_ref(), None, here)?;
    }
    for (_, new) in writes.iter().filter(|(_, n)| n.is_some()) {
        put(c, None, new.as_ref(), here)?;
    }
    Ok(())
}

/// A tracked table with its access facts (None: tracked before rls_audit
/// tracked them, not yet known).
struct TrackedAccess {
    schema_name: String,
    table_name: String,
    table_oid: u32,
    db_ident: Option<String>,
    access: Option<TableAccess>,
}

fn tracked_access_of(r: &heap::Row<'_>) -> TrackedAccess {
    let access = r.name("owner").map(|owner| {
        TableAccess::from_stored(
            r.oid("owner_oid"),
            owner,
            &r.json("grants").unwrap_or(Value::Null),
        )
    });
    TrackedAccess {
        schema_name: r.name("schema_name").unwrap_or_default(),
        table_name: r.name("table_name").unwrap_or_default(),
        table_oid: r.oid("table_oid"),
        db_ident: r.text("db_ident"),
        access,
    }
}

fn all_tracked_access() -> Result<Vec<TrackedAccess>> {
    let rows = heap::Own::open_with(
        c"tracked_tables",
        pg_sys::AccessShareLock as pg_sys::LOCKMODE,
    )?;
    let mut out = Vec::new();
    rows.scan(|r| {
        out.push(tracked_access_of(r));
        Ok(true)
    })?;
    Ok(out)
}

/// The tracked row of a table, by OID in this database, else by its live
/// names.
fn tracked_access(table: u32, names: (&str, &str), here: &str) -> Result<Option<TrackedAccess>> {
    catalog::tracked_table_row(table, Some(names), here, tracked_access_of)
}

/// The access facts of the tracked row (schema, table) become `access`
/// (a table no longer tracked is left alone).
pub(crate) fn put_table_access(
    c: &mut SpiClient<'_>,
    schema: &str,
    table: &str,
    access: &TableAccess,
) -> Result<()> {
    let values = [
        ("owner", Some(heap::name_datum(&access.owner)?)),
        (
            "owner_oid",
            Some(pg_sys::Datum::from(pg_sys::Oid::from(access.owner_oid))),
        ),
        ("grants", pgrx::JsonB(access.grants_json()).into_datum()),
    ];
    heap::change(
        c,
        c"tracked_tables",
        &crate::capture::TRACKED_TABLE_COLUMNS,
        &["schema_name", "table_name"],
        &[schema, table],
        &values,
    )
}

// ---------------------------------------------------------------------------
// pairing tracked and live facts, and the events between them

/// Each live fact with its tracked row (by OIDs in this cluster, else by
/// names for a row of another cluster: here, OIDs that are gone were a
/// role or membership that is gone, and one of the same names is another),
/// then each tracked row no live fact took (gone).
fn pair<'a, F: Fact>(
    tracked: &'a [Tracked<F>],
    live: &'a [F],
    here: &str,
) -> Vec<(Option<&'a F>, Option<&'a F>)> {
    let mut taken = vec![false; tracked.len()];
    let mut out = Vec::new();
    for l in live {
        let by_oid = tracked
            .iter()
            .position(|(t, cl)| cl.as_deref() == Some(here) && t.oids() == l.oids());
        let by_name = || {
            tracked.iter().enumerate().position(|(i, (t, cl))| {
                !taken[i] && t.names() == l.names() && cl.as_deref() != Some(here)
            })
        };
        let i = by_oid.or_else(by_name);
        if let Some(i) = i {
            taken[i] = true;
        }
        out.push((i.map(|i| &tracked[i].0), Some(l)));
    }
    for (i, (t, _)) in tracked.iter().enumerate() {
        if !taken[i] {
            out.push((Some(t), None));
        }
    }
    out
}

fn draft(change: Change, before: Option<Value>, after: Option<Value>) -> Draft {
    Draft {
        change,
        schema_name: None,
        table_name: None,
        policy_name: None,
        before,
        after,
    }
}

/// The events between a tracked role and the live one.
fn role_drafts(t: Option<&RoleFact>, l: Option<&RoleFact>, out: &mut Vec<Draft>) {
    match (t, l) {
        (None, Some(l)) => out.push(draft(Change::RoleAdded, None, Some(l.json()))),
        (Some(t), None) => out.push(draft(Change::RoleRemoved, Some(t.json()), None)),
        (Some(t), Some(l)) => {
            // a rename changes no policy, grant or membership (they hold
            // the role's OID): the tracked name follows, and nothing is
            // recorded
            if !t.same_attributes(l) {
                let before = RoleFact {
                    name: l.name.clone(),
                    ..t.clone()
                };
                out.push(draft(
                    Change::RoleChanged,
                    Some(before.json()),
                    Some(l.json()),
                ));
            }
        }
        (None, None) => {}
    }
}

/// Did the options only grow (or the membership appear)?
fn widens(t: Option<&MemberFact>, l: Option<&MemberFact>) -> bool {
    match (t, l) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(t), Some(l)) => {
            (l.admin && !t.admin) || (l.inherit && !t.inherit) || (l.set && !t.set)
        }
    }
}

/// The event between a tracked membership and the live one: added (or
/// widened: an option gained), removed (or only narrowed).
fn membership_drafts(t: Option<&MemberFact>, l: Option<&MemberFact>, out: &mut Vec<Draft>) {
    if let (Some(a), Some(b)) = (t, l) {
        if a.options() == b.options() {
            return;
        }
    }
    if t.is_none() && l.is_none() {
        return;
    }
    let change = if widens(t, l) {
        Change::MembershipAdded
    } else {
        Change::MembershipRemoved
    };
    // the before in today's names (a rename is no change)
    let before = t.map(|t| match l {
        Some(l) => MemberFact {
            role: l.role.clone(),
            member: l.member.clone(),
            ..t.clone()
        },
        None => t.clone(),
    });
    out.push(draft(
        change,
        before.map(|b| b.json()),
        l.map(MemberFact::json),
    ));
}

/// The events between a tracked table's owner and grants and the live
/// ones: one per grantee whose privileges changed, and the owner's.
/// `by_oid`: the tracked row's role OIDs are this cluster's.
fn access_drafts(
    (schema, table): (&str, &str),
    tracked: &TableAccess,
    live: &TableAccess,
    by_oid: bool,
    out: &mut Vec<Draft>,
) {
    let on_table = |change: Change, before: Option<Value>, after: Option<Value>| Draft {
        change,
        schema_name: Some(schema.to_string()),
        table_name: Some(table.to_string()),
        policy_name: None,
        before,
        after,
    };
    let same_owner = if by_oid {
        tracked.owner_oid == live.owner_oid
    } else {
        tracked.owner == live.owner
    };
    if !same_owner {
        let owner = |o: &str| json!({"schema_name": schema, "table_name": table, "owner": o});
        out.push(on_table(
            Change::OwnerChanged,
            Some(owner(&tracked.owner)),
            Some(owner(&live.owner)),
        ));
    }
    // a role's privileges as the old or new owner are its ownership, which
    // the owner event says: only other grantees' changes are grant events
    let is_owner = |g: &GrantFact| {
        !same_owner
            && if by_oid {
                g.grantee_oid == tracked.owner_oid || g.grantee_oid == live.owner_oid
            } else {
                g.grantee == tracked.owner || g.grantee == live.owner
            }
    };
    for (t, l) in pair_grants(tracked, live, by_oid) {
        if t.or(l).is_some_and(is_owner) {
            continue;
        }
        fn privileges(g: Option<&GrantFact>) -> BTreeSet<&str> {
            g.map(|g| g.privileges.iter().map(String::as_str).collect())
                .unwrap_or_default()
        }
        let (was, now) = (privileges(t), privileges(l));
        if was == now {
            continue;
        }
        let grantee = l.or(t).map(|g| g.grantee.as_str()).unwrap_or_default();
        let value = |g: Option<&GrantFact>| {
            g.map(|g| {
                json!({"schema_name": schema, "table_name": table, "grantee": grantee,
                       "privileges": g.privileges})
            })
        };
        let change = if now.difference(&was).next().is_some() {
            Change::GrantAdded
        } else {
            Change::GrantRemoved
        };
        out.push(on_table(change, value(t), value(l)));
    }
}

/// Each grantee's tracked and live grants, by OID or by name.
fn pair_grants<'a>(
    tracked: &'a TableAccess,
    live: &'a TableAccess,
    by_oid: bool,
) -> Vec<(Option<&'a GrantFact>, Option<&'a GrantFact>)> {
    let same = |a: &GrantFact, b: &GrantFact| {
        if by_oid {
            a.grantee_oid == b.grantee_oid
        } else {
            a.grantee == b.grantee
        }
    };
    let mut out: Vec<(Option<&GrantFact>, Option<&GrantFact>)> = live
        .grants
        .iter()
        .map(|l| (tracked.grants.iter().find(|t| same(t, l)), Some(l)))
        .collect();
    for t in &tracked.grants {
        if !live.grants.iter().any(|l| same(t, l)) {
            out.push((Some(t), None));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// capture: the event triggers' part (GRANT / REVOKE, ALTER TABLE … OWNER)

/// A table a DDL may have given or taken privileges on, or a new owner:
/// its tracked owner and grants become the live ones, with an event per
/// change. Untracked tables (RLS off, no policies) are not followed.
pub(crate) fn on_table(c: &mut SpiClient<'_>, table: u32, out: &mut Vec<Draft>) -> Result<()> {
    let here = catalog::db_ident();
    let Some((live_table, _)) = live::table(pg_sys::Oid::from(table), &here)? else {
        return Ok(());
    };
    let names = (
        live_table.schema_name.as_str(),
        live_table.table_name.as_str(),
    );
    let Some(tracked) = tracked_access(table, names, &here)? else {
        return Ok(());
    };
    let Some(live_access) = live_table_access(table) else {
        return Ok(());
    };
    if let Some(t) = &tracked.access {
        if t == &live_access {
            return Ok(());
        }
        let by_oid = tracked.db_ident.as_deref().map(cluster_of) == Some(cluster_of(&here));
        access_drafts(names, t, &live_access, by_oid, out);
    }
    // the tracked row keeps its names (a rename is the table's own event)
    put_table_access(c, &tracked.schema_name, &tracked.table_name, &live_access)
}

/// The tables a GRANT / REVOKE statement names (`ON TABLE a, b`, `ON ALL
/// TABLES IN SCHEMA s`), from its parse tree: PostgreSQL reports a GRANT
/// to event triggers without them. Empty for other object kinds.
pub(crate) fn grant_targets(tree: *mut pg_sys::Node) -> Result<Vec<u32>> {
    use pg_sys::GrantTargetType as Target;
    let mut out = Vec::new();
    // SAFETY: tree is the event's parse tree; its lists are read only, and
    // names are resolved as the statement resolved them (missing_ok)
    unsafe {
        if tree.is_null() || (*tree).type_ != pg_sys::NodeTag::T_GrantStmt {
            return Ok(out);
        }
        let stmt = tree.cast::<pg_sys::GrantStmt>();
        if (*stmt).objtype != pg_sys::ObjectType::OBJECT_TABLE {
            return Ok(out);
        }
        match (*stmt).targtype {
            Target::ACL_TARGET_OBJECT => {
                // the event trigger runs with rls_audit's pinned
                // search_path, not the statement's: a qualified name is
                // looked up, an unqualified one stands for every tracked
                // table of that name (a table the statement did not touch
                // has no difference to record)
                let here = catalog::db_ident();
                let rows = heap::Own::open_with(
                    c"tracked_tables",
                    pg_sys::AccessShareLock as pg_sys::LOCKMODE,
                )?;
                for rv in pgrx::PgList::<pg_sys::RangeVar>::from_pg((*stmt).objects).iter_ptr() {
                    if rv.is_null() || (*rv).relname.is_null() {
                        continue;
                    }
                    let relname = cstr((*rv).relname);
                    if !(*rv).schemaname.is_null() {
                        let nsp = pg_sys::get_namespace_oid((*rv).schemaname, true);
                        let oid = if nsp == pg_sys::InvalidOid {
                            pg_sys::InvalidOid
                        } else {
                            pg_sys::get_relname_relid((*rv).relname, nsp)
                        };
                        if oid != pg_sys::InvalidOid {
                            out.push(oid.to_u32());
                        }
                        continue;
                    }
                    rows.scan(|r| {
                        if r.name("table_name").as_deref() == Some(relname.as_str())
                            && r.text("db_ident").as_deref() == Some(here.as_str())
                        {
                            out.push(r.oid("table_oid"));
                        }
                        Ok(true)
                    })?;
                }
            }
            Target::ACL_TARGET_ALL_IN_SCHEMA => {
                let here = catalog::db_ident();
                for s in pgrx::PgList::<pg_sys::Node>::from_pg((*stmt).objects).iter_ptr() {
                    if s.is_null() || (*s).type_ != pg_sys::NodeTag::T_String {
                        continue;
                    }
                    let nsp = pg_sys::get_namespace_oid(string_value(s), true);
                    if nsp == pg_sys::InvalidOid {
                        continue;
                    }
                    let rows = heap::Own::open_with(
                        c"tracked_tables",
                        pg_sys::AccessShareLock as pg_sys::LOCKMODE,
                    )?;
                    rows.find(&["schema_oid"], &[Key::Oid(nsp.to_u32())], |r| {
                        if r.text("db_ident").as_deref() == Some(here.as_str()) {
                            out.push(r.oid("table_oid"));
                        }
                        Ok(true)
                    })?;
                }
            }
            _ => {}
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// A `String` node's text (a `Value` node before PostgreSQL 15).
unsafe fn string_value(node: *mut pg_sys::Node) -> *const core::ffi::c_char {
    // SAFETY: node is a T_String node
    #[cfg(any(feature = "pg13", feature = "pg14"))]
    unsafe {
        (*node.cast::<pg_sys::Value>()).val.str_
    }
    #[cfg(not(any(feature = "pg13", feature = "pg14")))]
    unsafe {
        (*node.cast::<pg_sys::String>()).sval
    }
}

// ---------------------------------------------------------------------------
// capture: the hook's part (role statements, REASSIGN OWNED)

/// The live roles and memberships, for comparing around a role statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleState {
    roles: Vec<RoleFact>,
    members: Vec<MemberFact>,
}

pub(crate) fn role_state() -> Result<RoleState> {
    Ok(RoleState {
        roles: live_roles()?,
        members: live_memberships()?,
    })
}

/// What a role statement changed (`before` → the live state now), as
/// events against the tracked rows; the tracked rows follow.
pub(crate) fn on_roles(
    c: &mut SpiClient<'_>,
    before: &RoleState,
    out: &mut Vec<Draft>,
) -> Result<()> {
    let after = role_state()?;
    let here = cluster_ident();
    // the roles and memberships the statement touched
    let role_key = |r: &RoleFact| (r.oid, r.name.clone(), r.superuser, r.bypassrls, r.can_login);
    let before_roles: BTreeSet<_> = before.roles.iter().map(role_key).collect();
    let after_roles: BTreeSet<_> = after.roles.iter().map(role_key).collect();
    let touched_roles: BTreeSet<u32> = before_roles
        .symmetric_difference(&after_roles)
        .map(|k| k.0)
        .collect();
    let member_key = |m: &MemberFact| (m.role_oid, m.member_oid, m.admin, m.inherit, m.set);
    let before_members: BTreeSet<_> = before.members.iter().map(member_key).collect();
    let after_members: BTreeSet<_> = after.members.iter().map(member_key).collect();
    let touched_members: BTreeSet<(u32, u32)> = before_members
        .symmetric_difference(&after_members)
        .map(|k| (k.0, k.1))
        .collect();
    if touched_roles.is_empty() && touched_members.is_empty() {
        return Ok(());
    }
    let tracked = tracked_facts::<RoleFact>()?;
    // a role gone is matched by OID, or by the name it had
    let gone = |t: &RoleFact| {
        before.roles.iter().any(|r| {
            touched_roles.contains(&r.oid)
                && !after.roles.iter().any(|a| a.oid == r.oid)
                && (r.oid == t.oid || r.name == t.name)
        })
    };
    let mut writes: Vec<(Option<RoleFact>, Option<RoleFact>)> = Vec::new();
    for (t, l) in pair(&tracked, &after.roles, &here) {
        let touched = match (t, l) {
            (_, Some(l)) => touched_roles.contains(&l.oid),
            // a tracked role the statement did not drop stays as it is
            (Some(t), None) => gone(t),
            (None, None) => false,
        };
        if !touched {
            continue;
        }
        role_drafts(t, l, out);
        if t != l {
            writes.push((t.cloned(), l.cloned()));
        }
    }
    apply_writes(c, &writes, &here)?;

    let tracked_m = tracked_facts::<MemberFact>()?;
    let gone_m = |t: &MemberFact| {
        before.members.iter().any(|m| {
            let key = (m.role_oid, m.member_oid);
            touched_members.contains(&key)
                && !after
                    .members
                    .iter()
                    .any(|a| (a.role_oid, a.member_oid) == key)
                && (key == (t.role_oid, t.member_oid)
                    || (&m.role, &m.member) == (&t.role, &t.member))
        })
    };
    let mut m_writes: Vec<(Option<MemberFact>, Option<MemberFact>)> = Vec::new();
    for (t, l) in pair(&tracked_m, &after.members, &here) {
        let touched = match (t, l) {
            (_, Some(l)) => touched_members.contains(&(l.role_oid, l.member_oid)),
            (Some(t), None) => gone_m(t),
            (None, None) => false,
        };
        if !touched {
            continue;
        }
        membership_drafts(t, l, out);
        if t != l {
            m_writes.push((t.cloned(), l.cloned()));
        }
    }
    // renamed roles: their memberships' names follow
    for (old, new) in &writes {
        if let (Some(o), Some(n)) = (old, new) {
            if o.name != n.name {
                for (t, _) in &tracked_m {
                    if (t.role_oid == n.oid || t.member_oid == n.oid)
                        && !m_writes.iter().any(|(a, _)| a.as_ref() == Some(t))
                    {
                        let mut renamed = t.clone();
                        if renamed.role_oid == n.oid {
                            renamed.role = n.name.clone();
                        }
                        if renamed.member_oid == n.oid {
                            renamed.member = n.name.clone();
                        }
                        m_writes.push((Some(t.clone()), Some(renamed)));
                    }
                }
            }
        }
    }
    apply_writes(c, &m_writes, &here)
}

/// After `REASSIGN OWNED BY old … TO …`: each tracked table a role of
/// `old` owned has its new owner as an event (PostgreSQL has no event
/// trigger for REASSIGN OWNED).
pub(crate) fn on_reassign(c: &mut SpiClient<'_>, old: &[u32], out: &mut Vec<Draft>) -> Result<()> {
    let here = catalog::db_ident();
    for t in all_tracked_access()? {
        let Some(tracked) = &t.access else {
            continue;
        };
        if t.db_ident.as_deref() != Some(here.as_str()) || !old.contains(&tracked.owner_oid) {
            continue;
        }
        let Some(live_access) = live_table_access(t.table_oid) else {
            continue;
        };
        if live_access.owner_oid == tracked.owner_oid {
            continue;
        }
        let names = live::table(pg_sys::Oid::from(t.table_oid), &here)?
            .map(|(l, _)| (l.schema_name, l.table_name))
            .unwrap_or((t.schema_name.clone(), t.table_name.clone()));
        access_drafts((&names.0, &names.1), tracked, &live_access, true, out);
        put_table_access(c, &t.schema_name, &t.table_name, &live_access)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// the tracked state as a whole: untracked changes, their events, resync

/// Every tracked table with its live access facts (None when the table is
/// gone: its removal is a table event), and whether role OIDs compare.
fn table_pairs() -> Result<Vec<(TrackedAccess, Option<TableAccess>, bool)>> {
    let here = catalog::db_ident();
    let mut out = Vec::new();
    for t in all_tracked_access()? {
        let here_db = t.db_ident.as_deref() == Some(here.as_str());
        let oid = if here_db {
            Some(t.table_oid)
        } else {
            // SAFETY: name lookups; InvalidOid when missing
            unsafe {
                let s = std::ffi::CString::new(t.schema_name.as_str()).ok();
                let n = std::ffi::CString::new(t.table_name.as_str()).ok();
                match (s, n) {
                    (Some(s), Some(n)) => {
                        let nsp = pg_sys::get_namespace_oid(s.as_ptr(), true);
                        let rel = if nsp == pg_sys::InvalidOid {
                            pg_sys::InvalidOid
                        } else {
                            pg_sys::get_relname_relid(n.as_ptr(), nsp)
                        };
                        (rel != pg_sys::InvalidOid).then(|| rel.to_u32())
                    }
                    _ => None,
                }
            }
        };
        let by_oid = t.db_ident.as_deref().map(cluster_of) == Some(cluster_of(&here));
        let live = oid.and_then(live_table_access);
        out.push((t, live, by_oid));
    }
    Ok(out)
}

/// The names a tracked table has now (a rename while capture was off is
/// the table's own row).
fn live_names(t: &TrackedAccess) -> (String, String) {
    let here = catalog::db_ident();
    if t.db_ident.as_deref() == Some(here.as_str()) {
        if let Ok(Some((l, _))) = live::table(pg_sys::Oid::from(t.table_oid), &here) {
            return (l.schema_name, l.table_name);
        }
    }
    (t.schema_name.clone(), t.table_name.clone())
}

/// Every difference between the tracked facts of `scope` and the catalog,
/// as events.
pub(crate) fn reconcile_drafts(scope: Scope) -> Result<Vec<Draft>> {
    let mut out = Vec::new();
    if scope == Scope::All {
        let here = cluster_ident();
        let (tracked, live) = (tracked_facts::<RoleFact>()?, live_roles()?);
        for (t, l) in pair(&tracked, &live, &here) {
            role_drafts(t, l, &mut out);
        }
        let (tracked, live) = (tracked_facts::<MemberFact>()?, live_memberships()?);
        for (t, l) in pair(&tracked, &live, &here) {
            membership_drafts(t, l, &mut out);
        }
    }
    for (t, live, by_oid) in table_pairs()? {
        if let (Some(tracked), Some(live)) = (&t.access, &live) {
            let names = live_names(&t);
            access_drafts((&names.0, &names.1), tracked, live, by_oid, &mut out);
        }
    }
    Ok(out)
}

/// The same differences as drift rows (`untracked_changes()`).
pub(crate) fn untracked_rows(scope: Scope) -> Result<Vec<DriftRow>> {
    let mut rows = Vec::new();
    if scope == Scope::All {
        let here = cluster_ident();
        let (tracked, live) = (tracked_facts::<RoleFact>()?, live_roles()?);
        // roles by their names today, so the drift rules judge attributes
        // (a rename changes nothing: the tracked name follows)
        let mut base = State::default();
        let mut cur = State::default();
        for (t, l) in pair(&tracked, &live, &here) {
            if let Some(t) = t {
                base.roles.push(Role {
                    role_name: l.map_or(t.name.clone(), |l| l.name.clone()),
                    ..t.as_role()
                });
            }
            if let Some(l) = l {
                cur.roles.push(l.as_role());
            }
        }
        base.canonicalize();
        cur.canonicalize();
        rows.extend(crate::diff::diff(&base, &cur));
        let (tracked_m, live_m) = (tracked_facts::<MemberFact>()?, live_memberships()?);
        for (t, l) in pair(&tracked_m, &live_m, &here) {
            if let Some(row) = membership_row(t, l, &live) {
                rows.push(row);
            }
        }
    }
    for (t, live, by_oid) in table_pairs()? {
        let (Some(tracked), Some(live)) = (&t.access, &live) else {
            continue;
        };
        let names = live_names(&t);
        let mut drafts = Vec::new();
        access_drafts((&names.0, &names.1), tracked, live, by_oid, &mut drafts);
        rows.extend(drafts.iter().map(access_row));
    }
    Ok(rows)
}

/// A membership difference as a drift row: widening is high (critical
/// when the role bypasses row-level security), narrowing medium.
fn membership_row(
    t: Option<&MemberFact>,
    l: Option<&MemberFact>,
    roles: &[RoleFact],
) -> Option<DriftRow> {
    if let (Some(a), Some(b)) = (t, l) {
        if a.options() == b.options() {
            return None;
        }
    }
    let any = l.or(t)?;
    let bypasses = roles
        .iter()
        .any(|r| r.oid == any.role_oid && (r.superuser || r.bypassrls));
    let widened = widens(t, l);
    let (severity, change) = if !widened {
        (Severity::Medium, Change::MembershipRemoved)
    } else if bypasses {
        (Severity::Critical, Change::MembershipAdded)
    } else {
        (Severity::High, Change::MembershipAdded)
    };
    let why = match (t, l) {
        (None, Some(_)) if bypasses => "new membership in a role that bypasses row-level security",
        (None, Some(_)) => "new membership: the member may act with the role's privileges",
        (Some(_), None) => "membership removed: narrows access",
        _ if widened => "membership options widened",
        _ => "membership options narrowed",
    };
    Some(DriftRow {
        severity,
        change,
        schema_name: None,
        table_name: None,
        policy_name: None,
        attribute: Some("membership".into()),
        baseline_value: t.map(MemberFact::describe),
        current_value: l.map(MemberFact::describe),
        detail: format!(
            "role {}: {why} ({})",
            quote_ident(&any.member),
            quote_ident(&any.role)
        ),
    })
}

/// A grant or owner event as a drift row: a grant gained or a new owner is
/// high (the owner bypasses the table's policies unless RLS is forced), a
/// grant lost medium.
fn access_row(d: &Draft) -> DriftRow {
    let text = |v: &Option<Value>, key: &str| -> Option<String> {
        v.as_ref().map(|v| match &v[key] {
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        })
    };
    let object = quote_qualified(
        d.schema_name.as_deref().unwrap_or_default(),
        d.table_name.as_deref().unwrap_or_default(),
    );
    let (severity, attribute, detail) = match d.change {
        Change::OwnerChanged => (
            Severity::High,
            "owner",
            format!(
                "{object} now belongs to {}: the owner bypasses its policies unless RLS is forced",
                text(&d.after, "owner").unwrap_or_default()
            ),
        ),
        Change::GrantAdded => (
            Severity::High,
            "privileges",
            format!(
                "{} gained privileges on {object}",
                text(&d.after, "grantee").unwrap_or_default()
            ),
        ),
        _ => (
            Severity::Medium,
            "privileges",
            format!(
                "{} lost privileges on {object}: narrows access",
                text(&d.before, "grantee")
                    .or_else(|| text(&d.after, "grantee"))
                    .unwrap_or_default()
            ),
        ),
    };
    let key = if d.change == Change::OwnerChanged {
        "owner"
    } else {
        "privileges"
    };
    DriftRow {
        severity,
        change: d.change,
        schema_name: d.schema_name.clone(),
        table_name: d.table_name.clone(),
        policy_name: None,
        attribute: Some(attribute.into()),
        baseline_value: text(&d.before, key),
        current_value: text(&d.after, key),
        detail,
    }
}

/// Make the tracked facts of `scope` the live ones.
pub(crate) fn resync(c: &mut SpiClient<'_>, scope: Scope) -> Result<()> {
    if scope == Scope::All {
        let here = cluster_ident();
        c.update("DELETE FROM rls_audit.tracked_roles", None, &[])?;
        c.update("DELETE FROM rls_audit.tracked_memberships", None, &[])?;
        for r in live_roles()? {
            put(c, None, Some(&r), &here)?;
        }
        for m in live_memberships()? {
            put(c, None, Some(&m), &here)?;
        }
    }
    for (t, live, _) in table_pairs()? {
        if let Some(live) = live {
            if t.access.as_ref() != Some(&live) {
                put_table_access(c, &t.schema_name, &t.table_name, &live)?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// statements rendered for these events

/// The statement recorded for an event of this module when the statement
/// that made it could not be kept (it ran inside a function, or it carried
/// a password).
pub(crate) fn rendered_statement(d: &Draft) -> String {
    let v = d.after.as_ref().or(d.before.as_ref());
    let s = |v: Option<&Value>, k: &str| -> String {
        v.and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let b = |v: Option<&Value>, k: &str| {
        v.and_then(|v| v.get(k)).and_then(Value::as_bool) == Some(true)
    };
    let privileges = |v: Option<&Value>| -> BTreeSet<String> {
        v.and_then(|v| v.get("privileges"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (schema, table) = (
        d.schema_name.as_deref().unwrap_or_default(),
        d.table_name.as_deref().unwrap_or_default(),
    );
    match d.change {
        Change::RoleAdded => render::create_role(
            &s(v, "role_name"),
            b(v, "superuser"),
            b(v, "bypassrls"),
            b(v, "can_login"),
        ),
        Change::RoleChanged => render::alter_role(
            &s(v, "role_name"),
            b(v, "superuser"),
            b(v, "bypassrls"),
            b(v, "can_login"),
        ),
        Change::RoleRemoved => render::drop_role(&s(v, "role_name")),
        Change::MembershipAdded => {
            render::grant_role(&s(v, "role_name"), &s(v, "member"), b(v, "admin_option"))
        }
        Change::MembershipRemoved => match &d.after {
            Some(a) => render::grant_role(
                &s(Some(a), "role_name"),
                &s(Some(a), "member"),
                b(Some(a), "admin_option"),
            ),
            None => render::revoke_role(&s(v, "role_name"), &s(v, "member")),
        },
        Change::GrantAdded | Change::GrantRemoved => {
            let (was, now) = (privileges(d.before.as_ref()), privileges(d.after.as_ref()));
            let grant = d.change == Change::GrantAdded;
            let list: Vec<String> = if grant {
                now.difference(&was).cloned().collect()
            } else {
                was.difference(&now).cloned().collect()
            };
            render::grant_table(grant, &list, schema, table, &s(v, "grantee"))
        }
        Change::OwnerChanged => render::alter_owner(schema, table, &s(v, "owner")),
        _ => String::new(),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn role(oid: u32, name: &str, bypassrls: bool) -> RoleFact {
        RoleFact {
            oid,
            name: name.into(),
            superuser: false,
            bypassrls,
            can_login: true,
        }
    }

    fn member(role: (u32, &str), member: (u32, &str), inherit: bool) -> MemberFact {
        MemberFact {
            role_oid: role.0,
            member_oid: member.0,
            role: role.1.into(),
            member: member.1.into(),
            admin: false,
            inherit,
            set: true,
        }
    }

    #[test]
    fn roles_pair_by_oid_in_this_cluster_else_by_name() {
        let tracked = vec![
            (role(10, "app", false), Some("c1".to_string())),
            (role(11, "old name", false), Some("c1".to_string())),
            (role(99, "elsewhere", false), Some("c0".to_string())),
        ];
        let live = vec![
            role(10, "app", true),
            role(11, "new name", false),
            role(12, "elsewhere", false),
        ];
        let mut out = Vec::new();
        for (t, l) in pair(&tracked, &live, "c1") {
            role_drafts(t, l, &mut out);
        }
        // a rename records nothing; another cluster's row pairs by name
        let changes: Vec<Change> = out.iter().map(|d| d.change).collect();
        assert_eq!(changes, vec![Change::RoleChanged]);
        assert_eq!(out[0].after.as_ref().unwrap()["bypassrls"], true);
    }

    #[test]
    fn a_dropped_and_recreated_role_is_removed_and_added() {
        let tracked = vec![(role(10, "app", false), Some("c1".to_string()))];
        let live = vec![role(20, "app", false)];
        let mut out = Vec::new();
        for (t, l) in pair(&tracked, &live, "c1") {
            role_drafts(t, l, &mut out);
        }
        let changes: Vec<Change> = out.iter().map(|d| d.change).collect();
        assert_eq!(changes, vec![Change::RoleAdded, Change::RoleRemoved]);
    }

    #[test]
    fn membership_options_widen_or_narrow() {
        let a = member((1, "owner"), (2, "app"), false);
        let b = member((1, "owner"), (2, "app"), true);
        let mut out = Vec::new();
        membership_drafts(Some(&a), Some(&b), &mut out);
        membership_drafts(Some(&b), Some(&a), &mut out);
        membership_drafts(None, Some(&a), &mut out);
        membership_drafts(Some(&a), None, &mut out);
        membership_drafts(Some(&a), Some(&a), &mut out);
        let changes: Vec<Change> = out.iter().map(|d| d.change).collect();
        assert_eq!(
            changes,
            vec![
                Change::MembershipAdded,
                Change::MembershipRemoved,
                Change::MembershipAdded,
                Change::MembershipRemoved
            ]
        );
        assert_eq!(out[0].before.as_ref().unwrap()["inherit_option"], false);
        assert_eq!(out[0].after.as_ref().unwrap()["inherit_option"], true);
        let row = membership_row(None, Some(&a), &[role(1, "owner", true)]).unwrap();
        assert_eq!(row.severity, Severity::Critical);
        assert_eq!(row.current_value.as_deref(), Some("app in owner (set)"));
    }

    #[test]
    fn grants_are_events_per_grantee_and_the_owner_its_own() {
        let g = |oid: u32, name: &str, p: &[&str]| GrantFact {
            grantee_oid: oid,
            grantee: name.into(),
            privileges: p.iter().map(|s| s.to_string()).collect(),
        };
        let tracked = TableAccess {
            owner_oid: 1,
            owner: "owner".into(),
            grants: vec![g(5, "app", &["SELECT"]), g(6, "gone", &["DELETE"])],
        };
        let live = TableAccess {
            owner_oid: 7,
            owner: "new owner".into(),
            grants: vec![
                g(5, "app renamed", &["INSERT", "SELECT"]),
                g(0, "public", &["SELECT (id)"]),
            ],
        };
        let mut out = Vec::new();
        access_drafts(("s", "t"), &tracked, &live, true, &mut out);
        let changes: Vec<(Change, Option<String>)> = out
            .iter()
            .map(|d| (d.change, d.after.as_ref().map(|a| a.to_string())))
            .collect();
        assert_eq!(changes.len(), 4, "{changes:?}");
        assert_eq!(out[0].change, Change::OwnerChanged);
        assert_eq!(out[1].change, Change::GrantAdded);
        assert_eq!(out[1].after.as_ref().unwrap()["grantee"], "app renamed");
        assert_eq!(out[2].change, Change::GrantAdded);
        assert_eq!(out[3].change, Change::GrantRemoved);
        assert!(out[3].after.is_none());
        assert_eq!(
            rendered_statement(&out[1]),
            r#"GRANT INSERT ON TABLE s.t TO "app renamed";"#
        );
        assert_eq!(
            rendered_statement(&out[3]),
            "REVOKE DELETE ON TABLE s.t FROM gone;"
        );
        assert_eq!(
            rendered_statement(&out[2]),
            "GRANT SELECT (id) ON TABLE s.t TO PUBLIC;"
        );
        assert_eq!(access_row(&out[0]).severity, Severity::High);
        assert_eq!(access_row(&out[3]).severity, Severity::Medium);
        // by name (another cluster's OIDs): the renamed grantee is new
        let mut by_name = Vec::new();
        access_drafts(("s", "t"), &tracked, &live, false, &mut by_name);
        assert_eq!(by_name.len(), 5);
    }

    #[test]
    fn stored_grants_round_trip() {
        let a = TableAccess {
            owner_oid: 3,
            owner: "o".into(),
            grants: vec![GrantFact {
                grantee_oid: 4,
                grantee: "q\"uote".into(),
                privileges: vec!["SELECT".into(), "SELECT WITH GRANT OPTION".into()],
            }],
        };
        assert_eq!(TableAccess::from_stored(3, "o".into(), &a.grants_json()), a);
    }
}
