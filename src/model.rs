//! The typed state every part of rls_audit works on, and its vocabularies.
//!
//! catalog (reads PostgreSQL) → **model** → pure decisions (diff, plan,
//! lint rules, isolation verdicts, report) → rows (api). Nothing here
//! touches SPI. Each vocabulary word is spelled once, in its enum's
//! `as_sql`; the CHECK constraints of `sql/bootstrap.sql` use the same
//! words, and a `#[pg_test]` (`model_words_match_check_constraints`) fails
//! when the two lists part.
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, RlsAuditError};

/// "a, b or c": the words a parameter may take, for an error message.
fn one_of(words: &[&str]) -> String {
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => words.join(""),
    }
}

/// Implements the SQL spelling of a word enum: `as_sql`, `ALL`, `FromStr`
/// and `Display`, from one list of (variant, word) pairs.
macro_rules! vocabulary {
    ($ty:ident, $what:literal, [$(($v:ident, $w:literal)),+ $(,)?]) => {
        impl $ty {
            /// Every word, in vocabulary order (the `#[pg_test]`
            /// model_words_match_check_constraints compares it with SQL).
            #[allow(dead_code)]
            pub(crate) const ALL: &'static [$ty] = &[$($ty::$v),+];

            /// The word as SQL stores and prints it.
            pub(crate) const fn as_sql(self) -> &'static str {
                match self {
                    $($ty::$v => $w),+
                }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = RlsAuditError;

            fn from_str(word: &str) -> Result<$ty> {
                match word {
                    $($w => Ok($ty::$v),)+
                    _ => Err(RlsAuditError::InvalidParameter(format!(
                        "\"{word}\" is not {} (use {})",
                        $what,
                        one_of(&[$($w),+])
                    ))),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_sql())
            }
        }

        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_sql())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<$ty, D::Error> {
                let word = String::deserialize(d)?;
                word.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// What a policy applies to (the catalog's `polcmd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Command {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

vocabulary!(
    Command,
    "a policy command",
    [
        (All, "ALL"),
        (Select, "SELECT"),
        (Insert, "INSERT"),
        (Update, "UPDATE"),
        (Delete, "DELETE"),
    ]
);

impl Command {
    /// The single commands this one covers (ALL covers all four).
    pub(crate) fn covers(self) -> &'static [Command] {
        match self {
            Command::All => &[
                Command::Select,
                Command::Insert,
                Command::Update,
                Command::Delete,
            ],
            Command::Select => &[Command::Select],
            Command::Insert => &[Command::Insert],
            Command::Update => &[Command::Update],
            Command::Delete => &[Command::Delete],
        }
    }
}

/// How a policy combines with the others (the catalog's `polpermissive`):
/// permissive policies are OR-ed, restrictive ones AND-ed on top.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Mode {
    Permissive,
    Restrictive,
}

vocabulary!(
    Mode,
    "PERMISSIVE or RESTRICTIVE",
    [(Permissive, "PERMISSIVE"), (Restrictive, "RESTRICTIVE")]
);

/// The severity vocabulary (SPEC), most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

vocabulary!(
    Severity,
    "a severity",
    [
        (Critical, "critical"),
        (High, "high"),
        (Medium, "medium"),
        (Low, "low"),
        (Info, "info"),
    ]
);

/// What changed: the `change` column of `drift()`, `untracked_changes()`
/// and `events`. `frozen` / `unfrozen` are event-only (the freeze has no
/// drift); the membership, grant and owner words are the tracked role and
/// table facts' (events and `untracked_changes()`; `drift()` reports their
/// effect as `access_widened` / `access_narrowed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Change {
    PolicyAdded,
    PolicyRemoved,
    PolicyChanged,
    RlsEnabled,
    RlsDisabled,
    RlsForced,
    RlsUnforced,
    TableAdded,
    TableRemoved,
    RoleAdded,
    RoleRemoved,
    RoleChanged,
    Renamed,
    AccessWidened,
    AccessNarrowed,
    Frozen,
    Unfrozen,
    MembershipAdded,
    MembershipRemoved,
    GrantAdded,
    GrantRemoved,
    OwnerChanged,
}

vocabulary!(
    Change,
    "a change kind",
    [
        (PolicyAdded, "policy_added"),
        (PolicyRemoved, "policy_removed"),
        (PolicyChanged, "policy_changed"),
        (RlsEnabled, "rls_enabled"),
        (RlsDisabled, "rls_disabled"),
        (RlsForced, "rls_forced"),
        (RlsUnforced, "rls_unforced"),
        (TableAdded, "table_added"),
        (TableRemoved, "table_removed"),
        (RoleAdded, "role_added"),
        (RoleRemoved, "role_removed"),
        (RoleChanged, "role_changed"),
        (Renamed, "renamed"),
        (AccessWidened, "access_widened"),
        (AccessNarrowed, "access_narrowed"),
        (Frozen, "frozen"),
        (Unfrozen, "unfrozen"),
        (MembershipAdded, "membership_added"),
        (MembershipRemoved, "membership_removed"),
        (GrantAdded, "grant_added"),
        (GrantRemoved, "grant_removed"),
        (OwnerChanged, "owner_changed"),
    ]
);

/// What a role may do to a table's rows for one command (`access_matrix`,
/// access drift), narrowest first so the widest path is the maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Access {
    Denied,
    NoRows,
    Filtered,
    AllRows,
}

vocabulary!(
    Access,
    "an access level",
    [
        (Denied, "denied"),
        (NoRows, "no_rows"),
        (Filtered, "filtered"),
        (AllRows, "all_rows"),
    ]
);

/// One policy as the catalog holds it, with names instead of OIDs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Policy {
    pub(crate) schema_name: String,
    pub(crate) table_name: String,
    pub(crate) policy_name: String,
    pub(crate) permissive: Mode,
    pub(crate) command: Command,
    /// sorted role names; `public` stands for PUBLIC
    pub(crate) roles: Vec<String>,
    pub(crate) using_expr: Option<String>,
    pub(crate) check_expr: Option<String>,
}

impl Policy {
    /// Its three names, schema, table and policy: the key it is compared,
    /// sorted and followed by everywhere.
    pub(crate) fn names(&self) -> (&str, &str, &str) {
        (&self.schema_name, &self.table_name, &self.policy_name)
    }

    /// The roles it applies to, PUBLIC spelled `public` (an empty list,
    /// which PostgreSQL never stores, reads as PUBLIC too).
    pub(crate) fn applies_to_public(&self) -> bool {
        self.roles.is_empty() || self.roles.iter().any(|r| r == "public")
    }

    /// It applies to PUBLIC or to one of `login_roles`: it reaches a person
    /// (the severity rules of drift and lint both ask this).
    pub(crate) fn reaches_people(&self, login_roles: &std::collections::BTreeSet<&str>) -> bool {
        self.applies_to_public() || self.roles.iter().any(|r| login_roles.contains(r.as_str()))
    }
}

/// An ordinary or partitioned table and its RLS flags.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Table {
    pub(crate) schema_name: String,
    pub(crate) table_name: String,
    pub(crate) owner: String,
    pub(crate) rls_enabled: bool,
    pub(crate) rls_forced: bool,
}

/// The role attributes that decide whether RLS applies at all.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Role {
    pub(crate) role_name: String,
    pub(crate) superuser: bool,
    pub(crate) bypassrls: bool,
    pub(crate) can_login: bool,
}

/// The RLS posture of a database (SPEC §2). Always kept in canonical order,
/// so equal postures serialise to equal bytes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct State {
    pub(crate) policies: Vec<Policy>,
    pub(crate) tables: Vec<Table>,
    pub(crate) roles: Vec<Role>,
}

impl State {
    /// Sort everything by name (byte order, not the database collation, so
    /// the order does not depend on where the state was read).
    /// (Unstable sorts: every order here is derived over every field, so
    /// equal elements are identical, and a stable sort's scratch copy of a
    /// large list would be memory for nothing.)
    pub(crate) fn canonicalize(&mut self) {
        for p in &mut self.policies {
            p.roles.sort_unstable();
            p.roles.dedup();
        }
        self.policies.sort_unstable();
        self.tables.sort_unstable();
        self.roles.sort_unstable();
    }

    /// Whether [`State::canonicalize`] would leave this state as it is.
    fn is_canonical(&self) -> bool {
        fn sorted<T: Ord>(v: &[T]) -> bool {
            v.windows(2).all(|w| w[0] <= w[1])
        }
        self.policies
            .iter()
            .all(|p| p.roles.windows(2).all(|w| w[0] < w[1]))
            && sorted(&self.policies)
            && sorted(&self.tables)
            && sorted(&self.roles)
    }

    /// Hex SHA-256 of the canonical JSON form: equal states, equal prints.
    /// The JSON is streamed into the hash ([`Fingerprinter`]), never held;
    /// a state read from the catalog is canonical already and is not
    /// copied.
    pub(crate) fn fingerprint(&self) -> String {
        let copy;
        let state = if self.is_canonical() {
            self
        } else {
            copy = {
                let mut c = self.clone();
                c.canonicalize();
                c
            };
            &copy
        };
        let mut h = Fingerprinter::default();
        // a canonical state is in order: feeding it cannot fail
        let fed = (state.policies.iter().try_for_each(|p| h.policy(p)))
            .and_then(|()| state.tables.iter().try_for_each(|t| h.table(t)))
            .and_then(|()| state.roles.iter().try_for_each(|r| h.role(r)));
        debug_assert!(fed.is_ok());
        h.finish()
    }
}

/// [`State::fingerprint`] of a state fed one object at a time, in canonical
/// order (policies, then tables, then roles, each sorted): the hash of the
/// same JSON document, written as the objects arrive, so a snapshot is
/// fingerprinted while it is read and written, never held. An object out
/// of order is an error (the document would not be the canonical one).
#[derive(Default)]
pub(crate) struct Fingerprinter {
    h: Sha256,
    /// the part being written: 0 none yet, 1 policies, 2 tables, 3 roles
    part: usize,
    /// whether the current part has an element (the next needs a comma)
    any: bool,
    /// the previous element's sort key, within the current part
    last: Vec<u8>,
    /// objects fed per part: policies, tables, roles
    pub(crate) counts: [usize; 3],
}

impl Fingerprinter {
    const PARTS: [&'static str; 3] = ["policies", "tables", "roles"];

    /// Move to `part` (1-based), closing and opening the arrays between.
    fn enter(&mut self, part: usize) -> Result<()> {
        if part < self.part {
            return Err(self.out_of_order());
        }
        while self.part < part {
            let open = if self.part == 0 { "{" } else { "]," };
            self.h.update(open.as_bytes());
            self.h
                .update(format!("\"{}\":[", Self::PARTS[self.part]).as_bytes());
            self.part += 1;
            self.any = false;
            self.last.clear();
        }
        Ok(())
    }

    fn out_of_order(&self) -> RlsAuditError {
        RlsAuditError::ObjectState(format!(
            "the posture was read out of canonical order (in its {}): the fingerprint would be wrong",
            Self::PARTS[self.part.saturating_sub(1)]
        ))
    }

    /// Append one element to the current part; `key` is its sort key,
    /// which must be greater than the previous element's.
    fn element<T: Serialize>(&mut self, part: usize, key: &[&str], item: &T) -> Result<()> {
        self.enter(part)?;
        // the names joined with a byte below any in a name: the order of
        // the joined keys is the order of the name tuples
        let mut k = Vec::new();
        for (i, name) in key.iter().enumerate() {
            if i > 0 {
                k.push(0);
            }
            k.extend_from_slice(name.as_bytes());
        }
        if self.any && k <= self.last {
            return Err(self.out_of_order());
        }
        if self.any {
            self.h.update(b",");
        }
        struct Into<'a>(&'a mut Sha256);
        impl std::io::Write for Into<'_> {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.update(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        // plain structs of strings and words into a writer that cannot fail
        serde_json::to_writer(Into(&mut self.h), item)
            .map_err(|e| RlsAuditError::ObjectState(e.to_string()))?;
        self.any = true;
        self.last = k;
        self.counts[part - 1] += 1;
        Ok(())
    }

    /// A policy, its roles sorted and without duplicates.
    pub(crate) fn policy(&mut self, p: &Policy) -> Result<()> {
        if !p.roles.windows(2).all(|w| w[0] < w[1]) {
            return Err(self.out_of_order());
        }
        let (s, t, n) = p.names();
        self.element(1, &[s, t, n], p)
    }

    pub(crate) fn table(&mut self, t: &Table) -> Result<()> {
        self.element(2, &[t.schema_name.as_str(), t.table_name.as_str()], t)
    }

    pub(crate) fn role(&mut self, r: &Role) -> Result<()> {
        self.element(3, &[r.role_name.as_str()], r)
    }

    /// Close every part (an empty one is `[]`) and give the hex digest.
    pub(crate) fn finish(mut self) -> String {
        // entering the last part never goes backwards
        let _ = self.enter(Self::PARTS.len());
        self.h.update(b"]}");
        hex(&self.h.finalize())
    }
}

/// Bytes in lowercase hex, as `encode(…, 'hex')` spells them.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Which object each name stood for, in which database. PostgreSQL keys
/// its catalog by OID: a rename keeps the OID, and a policy's stored
/// expression tree and role OIDs do not change when a column, function,
/// type or role it references is renamed (only their text rendering does).
/// So within one database, `identity::align` follows objects by
/// OID; across databases (a dump restored elsewhere) OIDs mean nothing and
/// names are the key. Kept out of [`State`]: it never enters a fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Identity {
    /// `catalog::db_ident` of the database the OIDs belong to; None: unknown
    pub(crate) db: Option<String>,
    pub(crate) tables: BTreeMap<(String, String), u32>,
    pub(crate) policies: BTreeMap<(String, String, String), PolicyId>,
    pub(crate) roles: BTreeMap<String, u32>,
}

impl Identity {
    /// The key of a policy in [`Identity::policies`]: its three names.
    fn policy_key(p: &Policy) -> (String, String, String) {
        (
            p.schema_name.clone(),
            p.table_name.clone(),
            p.policy_name.clone(),
        )
    }

    /// Record which policy `p`'s names stand for.
    pub(crate) fn add_policy(&mut self, p: &Policy, id: PolicyId) {
        self.policies.insert(Self::policy_key(p), id);
    }

    /// Record the identities gathered while `policies` was read, each with
    /// the policy's place in it. Keyed by names only once the list is
    /// whole, so the keys are allocated together after it, and their
    /// memory is one piece when it is freed; the list first gives back
    /// the spare room a growing list keeps (a third of it at worst).
    pub(crate) fn add_placed_policies(
        &mut self,
        policies: &mut Vec<Policy>,
        placed: Vec<(usize, PolicyId)>,
    ) {
        policies.shrink_to_fit();
        for (i, id) in placed {
            self.add_policy(&policies[i], id);
        }
    }

    /// What `p`'s names stood for (None: not known).
    pub(crate) fn policy(&self, p: &Policy) -> Option<&PolicyId> {
        self.policies.get(&Self::policy_key(p))
    }

    /// Record which table `schema.table` stands for.
    pub(crate) fn add_table(&mut self, schema: &str, table: &str, oid: u32) {
        self.tables
            .insert((schema.to_string(), table.to_string()), oid);
    }
}

/// A policy's identity and what it stores rather than how it reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PolicyId {
    pub(crate) oid: u32,
    pub(crate) table_oid: u32,
    /// digests of the USING and WITH CHECK trees (`catalog::live::tree_digest`)
    pub(crate) tree: String,
    /// `polroles` (0 = PUBLIC), sorted
    pub(crate) role_oids: Vec<u32>,
}

/// `polroles` as a sorted list of plain numbers. Read as int8[]: 0 stands
/// for PUBLIC there, and an oid 0 would arrive as a NULL element.
pub(crate) fn sorted_oids(oids: Option<Vec<i64>>) -> Vec<u32> {
    let mut v: Vec<u32> = oids
        .unwrap_or_default()
        .into_iter()
        .filter_map(|o| u32::try_from(o).ok())
        .collect();
    v.sort_unstable();
    v
}

/// A policy as the tracked state keeps it (and as capture reads a live one
/// to compare): the definition and what identifies it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TrackedPolicy {
    pub(crate) policy_oid: u32,
    pub(crate) table_oid: u32,
    /// the database the OIDs belong to (`catalog::db_ident`)
    pub(crate) db_ident: Option<String>,
    /// digests of the stored trees and `polroles`: what the policy stores
    pub(crate) tree: String,
    pub(crate) role_oids: Vec<u32>,
    pub(crate) policy: Policy,
}

impl TrackedPolicy {
    /// The same catalog row as `live` (same OID, in this database).
    pub(crate) fn is_object(&self, live: &TrackedPolicy) -> bool {
        self.policy_oid == live.policy_oid && self.db_ident == live.db_ident
    }

    /// Does `live` define what this one does? By what PostgreSQL stores
    /// when both are the same object (a renamed column or role changes the
    /// text, not the policy); by the text otherwise.
    pub(crate) fn same_definition(&self, live: &TrackedPolicy) -> bool {
        let (a, b) = (&self.policy, &live.policy);
        if a.permissive != b.permissive || a.command != b.command {
            return false;
        }
        let same_text =
            a.roles == b.roles && a.using_expr == b.using_expr && a.check_expr == b.check_expr;
        if self.is_object(live) && !self.tree.is_empty() {
            // the same stored trees (whatever their text reads now), or the
            // same expressions restated at other offsets
            self.role_oids == live.role_oids && (self.tree == live.tree || same_text)
        } else {
            same_text
        }
    }
}

/// A table as the tracked state keeps it, with the identities that follow
/// renames.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TrackedTable {
    pub(crate) table_oid: u32,
    pub(crate) schema_oid: u32,
    pub(crate) db_ident: Option<String>,
    pub(crate) schema_name: String,
    pub(crate) table_name: String,
    pub(crate) rls_enabled: bool,
    pub(crate) rls_forced: bool,
}

/// What lint judges beyond the [`State`]: a table with its owner's
/// attributes, policy count and grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableFacts {
    pub(crate) table: Table,
    pub(crate) owner_login: bool,
    pub(crate) owner_super: bool,
    pub(crate) policies: usize,
    /// non-owner grantees and what they may do, e.g. "PUBLIC: SELECT"
    pub(crate) grants: Vec<String>,
}

/// A SECURITY DEFINER function and its fixed search_path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DefinerFunction {
    pub(crate) schema_name: String,
    pub(crate) name: String,
    /// argument types as `oidvectortypes` prints them
    pub(crate) args: String,
    /// None: no `SET search_path`
    pub(crate) search_path: Option<String>,
    /// schemas where PUBLIC may create objects
    pub(crate) public_writable: std::collections::BTreeSet<String>,
    /// a procedure: `ALTER PROCEDURE` fixes it
    pub(crate) procedure: bool,
}

/// A view that skips the row-level security of a table it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BypassingView {
    pub(crate) schema_name: String,
    pub(crate) view_name: String,
    pub(crate) owner: String,
    /// (schema, table, why the owner bypasses it)
    pub(crate) tables: Vec<(String, String, String)>,
}

/// Everything the lint rules look at. Read from the catalog, or made from
/// a snapshot's [`State`] (which has no grants, functions, views or
/// volatility: those rules then find nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Posture {
    pub(crate) roles: Vec<Role>,
    pub(crate) tables: Vec<TableFacts>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) functions: Vec<DefinerFunction>,
    pub(crate) views: Vec<BypassingView>,
    /// (schema, name) of the non-IMMUTABLE functions the policies call;
    /// None: unknown (a snapshot), and policy_per_row_function is not judged
    pub(crate) non_immutable: Option<std::collections::BTreeSet<(String, String)>>,
    /// the access model's facts; None (a snapshot taken before 0.3.0): the
    /// rules that need them find nothing
    pub(crate) access: Option<AccessFacts>,
}

impl Posture {
    /// The posture a snapshot's state shows: roles, tables and policies.
    pub(crate) fn from_state(state: &State) -> Posture {
        let roles: BTreeMap<&str, &Role> = state
            .roles
            .iter()
            .map(|r| (r.role_name.as_str(), r))
            .collect();
        let tables = state
            .tables
            .iter()
            .map(|t| {
                let owner = roles.get(t.owner.as_str());
                TableFacts {
                    table: t.clone(),
                    owner_login: owner.is_some_and(|o| o.can_login),
                    owner_super: owner.is_some_and(|o| o.superuser),
                    policies: state
                        .policies
                        .iter()
                        .filter(|p| p.schema_name == t.schema_name && p.table_name == t.table_name)
                        .count(),
                    grants: Vec::new(),
                }
            })
            .collect();
        Posture {
            roles: state.roles.clone(),
            tables,
            policies: state.policies.clone(),
            ..Posture::default()
        }
    }
}

// ---------------------------------------------------------------------------
// the access model's facts (SPEC §3 "Access model")

/// A relation by name: (schema, name).
pub(crate) type RelName = (String, String);

/// Everything beyond policies that decides who reaches which rows: roles,
/// memberships, schema USAGE, relations with their grants and the paths
/// around them, SECURITY DEFINER functions. Names, not OIDs, so a
/// snapshot's facts compare with another database's. Kept in canonical
/// order ([`AccessFacts::canonicalize`]); snapshots store it as JSON.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AccessFacts {
    pub(crate) roles: Vec<AccessRole>,
    pub(crate) memberships: Vec<Membership>,
    pub(crate) schemas: Vec<SchemaUsage>,
    pub(crate) relations: Vec<Relation>,
    pub(crate) functions: Vec<DefinerPath>,
}

impl AccessFacts {
    pub(crate) fn canonicalize(&mut self) {
        self.roles.sort_unstable();
        self.memberships.sort_unstable();
        self.memberships.dedup();
        self.schemas.sort_unstable();
        for r in &mut self.relations {
            r.grants.sort_unstable();
            r.grants.dedup();
            r.reads.sort_unstable();
            r.reads.dedup();
            r.updatable.sort_unstable();
            r.cascades.sort_unstable();
            r.cascades.dedup();
            r.truncate.sort_unstable();
            r.truncate.dedup();
        }
        self.relations.sort_unstable();
        for f in &mut self.functions {
            f.executors.sort_unstable();
            f.reads.sort_unstable();
            f.reads.dedup();
            f.writes.sort_unstable();
            f.writes.dedup();
            for t in &mut f.fired_by {
                t.events.sort_unstable();
                t.events.dedup();
            }
            f.fired_by.sort_unstable();
        }
        self.functions.sort_unstable();
    }
}

/// A role's attributes (attributes are never inherited).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct AccessRole {
    pub(crate) name: String,
    pub(crate) superuser: bool,
    pub(crate) bypassrls: bool,
    pub(crate) login: bool,
}

/// `member` belongs to `role`: it inherits the role's privileges when
/// `inherit`, and may `SET ROLE` to it when `set` (PostgreSQL 16's grant
/// options; before 16, the member's INHERIT attribute and always).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Membership {
    pub(crate) role: String,
    pub(crate) member: String,
    pub(crate) inherit: bool,
    pub(crate) set: bool,
}

/// A schema and the roles holding USAGE on it (`public` for PUBLIC).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SchemaUsage {
    pub(crate) schema: String,
    pub(crate) usage: Vec<String>,
}

/// What kind of relation: RLS exists on tables only.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RelKind {
    Table,
    Partitioned,
    View,
    Matview,
}

impl RelKind {
    /// From `pg_class.relkind`.
    pub(crate) fn from_relkind(k: &str) -> Option<RelKind> {
        match k {
            "r" => Some(RelKind::Table),
            "p" => Some(RelKind::Partitioned),
            "v" => Some(RelKind::View),
            "m" => Some(RelKind::Matview),
            _ => None,
        }
    }

    pub(crate) fn is_table(self) -> bool {
        matches!(self, RelKind::Table | RelKind::Partitioned)
    }
}

/// A privilege on a relation: `grantee` (`public` for PUBLIC) may run
/// `command` (never ALL), on the whole table or (`columns`) on some columns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Grant {
    pub(crate) grantee: String,
    pub(crate) command: Command,
    pub(crate) columns: bool,
}

/// A table, partition, view or materialized view.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Relation {
    pub(crate) schema: String,
    pub(crate) name: String,
    pub(crate) kind: RelKind,
    pub(crate) owner: String,
    pub(crate) rls_enabled: bool,
    pub(crate) rls_forced: bool,
    /// a view that checks as its caller
    pub(crate) security_invoker: bool,
    /// the partitioned table this is a partition of
    pub(crate) parent: Option<RelName>,
    /// the commands a view accepts without triggers or rules
    pub(crate) updatable: Vec<Command>,
    pub(crate) grants: Vec<Grant>,
    /// what a view or materialized view reads
    pub(crate) reads: Vec<RelName>,
    /// what its rules write when they fire (they run as its owner); left
    /// out of the stored facts when there is none, so facts read before
    /// rules were modelled compare equal
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) rules: Vec<RuleWrite>,
    /// its foreign keys whose referential action writes it (left out of
    /// the stored facts when there is none, as `rules`)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) cascades: Vec<Cascade>,
    /// the roles holding TRUNCATE on it (`public` for PUBLIC, the owner's
    /// implicit privilege included): TRUNCATE removes every row, and row
    /// security does not apply to it (left out when there is none)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) truncate: Vec<String>,
}

/// A foreign key's referential action: `event` on a row of `parent`
/// (DELETE, or UPDATE of the referenced key) runs `command` on the rows
/// referencing it (`ON DELETE CASCADE` deletes them; `SET NULL`, `SET
/// DEFAULT` and `ON UPDATE CASCADE` update them). PostgreSQL runs it as
/// the referencing table's owner with row-level security off, even when
/// forced, for whoever may run the event on the parent's rows.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Cascade {
    pub(crate) name: String,
    pub(crate) parent: RelName,
    pub(crate) event: Command,
    pub(crate) command: Command,
    /// as written: `ON DELETE CASCADE`, `ON UPDATE SET NULL`, …
    pub(crate) action: String,
}

/// A rule's action that writes a relation: `ON event TO <the rule's
/// relation> DO [ALSO | INSTEAD] command … <target>`. PostgreSQL checks the
/// action's privileges, and applies row security, as the rule's relation's
/// owner, for whoever may run the event on that relation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RuleWrite {
    pub(crate) name: String,
    pub(crate) event: Command,
    pub(crate) command: Command,
    pub(crate) target: RelName,
}

/// A SECURITY DEFINER function: it runs as `owner` for whoever may execute
/// it, or fires one of its triggers, and reads `reads` and writes `writes`.
/// The fields added after 0.3.0's first facts are left out of the stored
/// facts when empty, so facts read before them compare equal.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DefinerPath {
    pub(crate) schema: String,
    pub(crate) name: String,
    /// argument types as `oidvectortypes` prints them
    pub(crate) args: String,
    pub(crate) owner: String,
    /// roles that may EXECUTE it (`public` for PUBLIC)
    pub(crate) executors: Vec<String>,
    /// (relation, recorded): recorded by PostgreSQL (a BEGIN ATOMIC body),
    /// or only named in a string body
    pub(crate) reads: Vec<(RelName, bool)>,
    /// (relation, command, recorded): what its statements write, read from
    /// a BEGIN ATOMIC body's trees (recorded), or found in a string body
    /// as `INSERT INTO`, `UPDATE`, `DELETE FROM` or `MERGE INTO` the name
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) writes: Vec<(RelName, Command, bool)>,
    /// a trigger or event trigger function: it cannot be called, only fired
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) trigger_only: bool,
    /// a procedure (CALLed; it runs as its owner all the same)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) procedure: bool,
    /// the enabled triggers that run it
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) fired_by: Vec<TriggerFire>,
}

impl DefinerPath {
    /// `function` or `procedure`, as `ALTER` and `via` name it.
    pub(crate) fn kind(&self) -> &'static str {
        routine_kind(self.procedure)
    }
}

/// `function` or `procedure`: `ALTER FUNCTION` refuses a procedure.
pub(crate) fn routine_kind(procedure: bool) -> &'static str {
    if procedure {
        "procedure"
    } else {
        "function"
    }
}

/// A trigger on `relation` that runs a SECURITY DEFINER function on
/// `events`: PostgreSQL runs the function as its owner for whoever may run
/// the event on the relation (no EXECUTE privilege is checked).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TriggerFire {
    pub(crate) relation: RelName,
    pub(crate) name: String,
    pub(crate) events: Vec<Command>,
}

/// Which writes a role may run through a view: it holds the privilege and
/// PostgreSQL would run the statement (auto-updatable, an INSTEAD OF
/// trigger or an INSTEAD rule).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct ViewWrites {
    pub(crate) insert: bool,
    pub(crate) update: bool,
    pub(crate) delete: bool,
    /// the role may set the view's tenant column itself (its UPDATE
    /// privilege there, a column PostgreSQL updates through the view)
    pub(crate) tenant: bool,
    /// the view has a CHECK OPTION (LOCAL or CASCADED): a row it writes
    /// must still be one it shows
    pub(crate) check_option: bool,
    /// its table has a BEFORE UPDATE row trigger, which may change or
    /// refuse a row an UPDATE through the view moves
    pub(crate) before_update: bool,
}

/// The one table a view or materialized view reads (`oid`, `schema`.`table`),
/// and how PostgreSQL writes through a view to it itself (auto-updatable:
/// no trigger, no rule of its own), as the view's owner (not
/// security_invoker). `delete` / `update`: Some(true) when it runs that
/// write (the owner holds the privilege on the table), Some(false) when it
/// refuses it (the owner holds none), None when it does not write this way
/// or that is not known (the owner may update some columns only). `why`:
/// row security does not apply to the owner on the table (`disabled`,
/// `superuser`, `bypassrls` or `owner`), so such a DELETE or UPDATE
/// reaches exactly the rows a read through the view shows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ViewBase {
    pub(crate) oid: u32,
    pub(crate) schema: String,
    pub(crate) table: String,
    pub(crate) why: Option<String>,
    pub(crate) delete: Option<bool>,
    pub(crate) update: Option<bool>,
}

/// A function a policy calls that the probed role may replace: `CREATE OR
/// REPLACE FUNCTION` changes what the policy lets through (catalog
/// `replaceable.sql`; what a replacement shows is probed, isolation.rs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replaceable {
    /// the first policy (for SELECT or ALL) that calls it, if `reads`
    pub(crate) policy: String,
    /// a policy that checks reads (SELECT or ALL) calls it
    pub(crate) reads: bool,
    /// a policy that checks writes (INSERT, UPDATE, DELETE or ALL) calls
    /// it: those, by name
    pub(crate) writes: bool,
    pub(crate) write_policies: Vec<String>,
    /// `schema.name(argument types)`
    pub(crate) function: String,
    pub(crate) owner: String,
    /// who runs CREATE OR REPLACE: the role, or the owner it may SET ROLE to
    pub(crate) replacer: String,
    /// `schema.name(arguments with defaults)` and the result type, for
    /// CREATE OR REPLACE FUNCTION
    pub(crate) signature: String,
    pub(crate) result: String,
    pub(crate) returns_bool: bool,
}

/// Another table a policy of a probed table reads (a sub-select in its
/// USING or WITH CHECK) that the role may write: its rows decide what the
/// policy lets through (`lookups.sql`).
#[derive(Debug, Clone)]
pub(crate) struct Lookup {
    /// the first (by name) policy for the role that reads it (of the read
    /// policies in `Target::lookups`, of the write policies in
    /// `Target::write_lookups`)
    pub(crate) policy: String,
    /// in `Target::write_lookups`: each write policy for the role that
    /// reads it, by name, with its command (`polcmd`: `a` INSERT, `w`
    /// UPDATE, `d` DELETE, `*` ALL)
    pub(crate) write_policies: Vec<(String, String)>,
    /// schema-qualified, quoted
    pub(crate) table: String,
    pub(crate) oid: u32,
    /// the writes the role may run there: `insert`, `update`, `delete`,
    /// `truncate`
    pub(crate) kinds: Vec<String>,
    /// its columns whose default is volatile (never run by the probe)
    pub(crate) volatile: Vec<String>,
    /// found by what a read as the role scanned (a function the policy
    /// calls reads it), not in the policy's own expression
    pub(crate) via_function: bool,
}

/// A SECURITY DEFINER function or procedure the role may execute
/// (`definers.sql`): it reads and writes as its owner.
#[derive(Debug, Clone)]
pub(crate) struct Definer {
    /// as regprocedure prints it
    pub(crate) function: String,
    pub(crate) owner: String,
    /// schema-qualified, quoted
    pub(crate) name: String,
    /// its input arguments' types, as `schema.name` (quoted)
    pub(crate) arg_types: Vec<String>,
    /// its input arguments' names ('' when unnamed)
    pub(crate) arg_names: Vec<String>,
    /// its input arguments' element types, as `schema.name`, for arrays
    /// ('' for the others)
    pub(crate) arg_elems: Vec<String>,
    /// a procedure (CALL), not a function
    pub(crate) procedure: bool,
}

/// A definer function that returns a probed table's rows (its row type,
/// or rows with the tenant column).
pub(crate) type DefinerReader = Definer;

/// A definer function or procedure, owned by another role, whose body
/// names a probed table: it may write the table.
pub(crate) type DefinerWriter = Definer;

/// A table under test and what the probes need to know about it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) oid: u32,
    /// a table (ordinary or partitioned), or a view or materialized view
    /// with the tenant column that the role may use: read through as the
    /// role (a view reads its tables as its owner unless it is
    /// security_invoker; a materialized view has no row security)
    pub(crate) kind: RelKind,
    /// for a view: the writes the role may run through it
    pub(crate) view_writes: ViewWrites,
    /// for a view or materialized view that reads one table: that table,
    /// and how PostgreSQL writes through the view to it
    pub(crate) view_base: Option<ViewBase>,
    /// a view that checks as its caller (security_invoker): its tables'
    /// policies apply to the role, not to its owner
    pub(crate) security_invoker: bool,
    /// the table's enabled rules on INSERT, UPDATE or DELETE: (command,
    /// rule name). They rewrite the statement (DO INSTEAD, DO ALSO, as the
    /// table's owner) where the write probes' shadow does not.
    pub(crate) rules: Vec<(String, String)>,
    pub(crate) schema: String,
    pub(crate) table: String,
    pub(crate) owner: String,
    /// the role has the owner's rights (owns it or inherits the owner)
    pub(crate) role_owns: bool,
    /// the role may SET ROLE to the owner (without inheriting it): one
    /// statement away from the owner's rights
    pub(crate) role_may_become_owner: bool,
    /// the owner may use the table's schema (else becoming it reaches
    /// nothing)
    pub(crate) owner_uses_schema: bool,
    /// the role may TRUNCATE the table (the privilege on it and on every
    /// table whose foreign keys reach it): row security does not apply
    /// to TRUNCATE, which removes every tenant's rows
    pub(crate) role_may_truncate: bool,
    /// a role the role may SET ROLE to (without inheriting it) that may
    /// TRUNCATE the table: one statement away from removing every
    /// tenant's rows, as the owner is for `rls_forced`
    pub(crate) truncate_via: Option<String>,
    /// the role may create a trigger on the table (TRIGGER privilege,
    /// held or as the owner): its function, a temporary one of its own
    /// session included, runs in every session that writes the table
    pub(crate) role_may_trigger: bool,
    /// functions the table's policies for the role call that the role
    /// may replace (catalog::replaceable)
    pub(crate) replaceable: Vec<Replaceable>,
    /// other tables its read policies for the role read that the role
    /// may write
    pub(crate) lookups: Vec<Lookup>,
    /// other tables its write policies for the role (INSERT, UPDATE,
    /// DELETE, ALL) read that the role may write
    pub(crate) write_lookups: Vec<Lookup>,
    /// SECURITY DEFINER functions the role may call that return its rows
    pub(crate) definer_readers: Vec<DefinerReader>,
    /// SECURITY DEFINER functions the role may call that may write it
    pub(crate) definer_writers: Vec<DefinerWriter>,
    /// the role may SELECT some columns of the table but not the tenant
    /// column: the rows it sees are counted, not told apart by tenant
    pub(crate) tenant_hidden: bool,
    /// the role may UPDATE some columns of the table but not the tenant
    /// column: the write probes' `UPDATE … SET tenant_column` is refused,
    /// which says nothing about the rows its other UPDATEs reach
    pub(crate) tenant_fixed: bool,
    /// the role may INSERT some columns of the table but not the tenant
    /// column: its rows take the column's default (`tenant_default`, the
    /// `pg_get_expr` text; None: NULL), which the write probe copies onto
    /// the shadow, unless it is volatile (`default_volatile`: it could
    /// advance a sequence, so it is not run)
    pub(crate) tenant_defaulted: bool,
    pub(crate) tenant_default: Option<String>,
    pub(crate) default_volatile: bool,
    pub(crate) rls_enabled: bool,
    pub(crate) rls_forced: bool,
    /// the tenant column's base type, schema-qualified (`pg_catalog.int4`):
    /// how probes cast bound values (see `catalog::probe_type`)
    pub(crate) col_type_q: String,
    /// the type's equality operator, schema-qualified
    /// (`OPERATOR(pg_catalog.=)`), for the same reason
    pub(crate) col_eq: String,
    /// its `<` and `>`, schema-qualified, when it has a default btree
    /// operator class: the read probe looks for another tenant's rows on
    /// either side of the tenant's value (two index ranges)
    pub(crate) col_order: Option<(String, String)>,
    /// the tenant column's base type (its OID)
    pub(crate) col_base: u32,
    /// the tenant column
    pub(crate) column: String,
}

impl Target {
    pub(crate) fn qualified(&self) -> String {
        crate::ident::quote_qualified(&self.schema, &self.table)
    }

    /// A view or materialized view, read through rather than a table with
    /// row security of its own.
    pub(crate) fn is_view(&self) -> bool {
        !self.kind.is_table()
    }

    /// May the role TRUNCATE the table, itself or after one SET ROLE?
    pub(crate) fn may_truncate(&self) -> bool {
        self.role_may_truncate || self.truncate_via.is_some()
    }
}

/// The unit tests' one-table state: `shop.orders`, owned by `owner`, RLS
/// forced (and enabled as `rls_enabled` says), one permissive tenant
/// policy for `app_user`.
#[cfg(test)]
pub(crate) fn shop_orders(rls_enabled: bool) -> State {
    State {
        policies: vec![Policy {
            schema_name: "shop".into(),
            table_name: "orders".into(),
            policy_name: "tenant".into(),
            permissive: Mode::Permissive,
            command: Command::All,
            roles: vec!["app_user".into()],
            using_expr: Some("(tenant_id = 1)".into()),
            check_expr: None,
        }],
        tables: vec![Table {
            schema_name: "shop".into(),
            table_name: "orders".into(),
            owner: "owner".into(),
            rls_enabled,
            rls_forced: true,
        }],
        roles: vec![],
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn policy(name: &str, roles: &[&str]) -> Policy {
        Policy {
            schema_name: "public".into(),
            table_name: "t".into(),
            policy_name: name.into(),
            permissive: Mode::Permissive,
            command: Command::All,
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

        let mut e = a.clone();
        e.policies[0].command = Command::Select;
        assert_ne!(a.fingerprint(), e.fingerprint());
    }

    #[test]
    fn streamed_fingerprint_is_the_digest_of_the_canonical_json() {
        // snapshots store fingerprints: the streamed hash must equal the
        // digest of the whole canonical document, canonical input or not
        let canonical = State {
            policies: vec![policy("a", &["x", "y"]), policy("b", &["public"])],
            tables: vec![shop_orders(true).tables[0].clone()],
            ..Default::default()
        };
        let shuffled = State {
            policies: vec![policy("b", &["public"]), policy("a", &["y", "x", "x"])],
            ..canonical.clone()
        };
        let whole = Sha256::digest(serde_json::to_vec(&canonical).unwrap());
        let expected: String = whole.iter().map(|b| format!("{b:02x}")).collect();
        assert!(canonical.is_canonical());
        assert!(!shuffled.is_canonical());
        assert_eq!(canonical.fingerprint(), expected);
        assert_eq!(shuffled.fingerprint(), expected);
    }

    fn digest_of_json(state: &State) -> String {
        let whole = Sha256::digest(serde_json::to_vec(state).unwrap());
        whole.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn fed_fingerprint_is_the_whole_documents_and_refuses_disorder() {
        let roles = |names: &[&str]| -> Vec<Role> {
            names
                .iter()
                .map(|n| Role {
                    role_name: n.to_string(),
                    superuser: false,
                    bypassrls: false,
                    can_login: true,
                })
                .collect()
        };
        // every mix of empty and full parts, names that are prefixes of
        // each other (tuple order, not string order) and non-ASCII names
        let mut p1 = policy("a", &["x"]);
        p1.table_name = "ab".into();
        let mut p2 = policy("z", &["x", "y"]);
        p2.schema_name = "ab".into();
        p2.table_name = "c".into();
        let mut p3 = policy("é", &["public"]);
        p3.table_name = "ab".into();
        let full = State {
            policies: vec![p1.clone(), p3.clone(), p2.clone()],
            tables: shop_orders(true).tables,
            roles: roles(&["app", "app_user", "Été"]),
        };
        let mut states = vec![State::default(), full.clone()];
        for mask in 1..7 {
            states.push(State {
                policies: if mask & 1 != 0 {
                    full.policies.clone()
                } else {
                    vec![]
                },
                tables: if mask & 2 != 0 {
                    full.tables.clone()
                } else {
                    vec![]
                },
                roles: if mask & 4 != 0 {
                    full.roles.clone()
                } else {
                    vec![]
                },
            });
        }
        for st in &states {
            let mut c = st.clone();
            c.canonicalize();
            let mut h = Fingerprinter::default();
            for p in &c.policies {
                h.policy(p).unwrap();
            }
            for t in &c.tables {
                h.table(t).unwrap();
            }
            for r in &c.roles {
                h.role(r).unwrap();
            }
            assert_eq!(h.counts, [c.policies.len(), c.tables.len(), c.roles.len()]);
            assert_eq!(h.finish(), digest_of_json(&c), "{c:?}");
            assert_eq!(st.fingerprint(), digest_of_json(&c));
        }
        // out of order: a smaller or equal name, an earlier part, unsorted roles
        let mut h = Fingerprinter::default();
        h.policy(&p3).unwrap();
        assert!(h.policy(&p1).is_err());
        let mut h = Fingerprinter::default();
        h.policy(&p1).unwrap();
        assert!(h.policy(&p1).is_err());
        let mut h = Fingerprinter::default();
        h.role(&roles(&["a"])[0]).unwrap();
        assert!(h.table(&full.tables[0]).is_err());
        let mut h = Fingerprinter::default();
        assert!(h.policy(&policy("b", &["y", "x"])).is_err());
    }

    #[test]
    fn empty_state_has_a_stable_fingerprint() {
        assert_eq!(
            State::default().fingerprint(),
            State::default().fingerprint()
        );
    }

    #[test]
    fn words_round_trip_and_serialise_as_sql_spells_them() {
        for c in Command::ALL {
            assert_eq!(c.as_sql().parse::<Command>().unwrap(), *c);
        }
        for c in Change::ALL {
            assert_eq!(c.as_sql().parse::<Change>().unwrap(), *c);
            assert_eq!(
                serde_json::to_string(c).unwrap(),
                format!("\"{}\"", c.as_sql())
            );
        }
        assert_eq!(
            serde_json::to_string(&policy("a", &["x"])).unwrap(),
            r#"{"schema_name":"public","table_name":"t","policy_name":"a","permissive":"PERMISSIVE","command":"ALL","roles":["x"],"using_expr":"true","check_expr":null}"#,
            "the JSON form (and so every stored fingerprint) is unchanged"
        );
        let e = "HIGH".parse::<Severity>().unwrap_err().to_string();
        assert_eq!(
            e,
            "\"HIGH\" is not a severity (use critical, high, medium, low or info)"
        );
        assert!("select".parse::<Command>().is_err());
        assert_eq!(
            serde_json::from_str::<Mode>("\"RESTRICTIVE\"").unwrap(),
            Mode::Restrictive
        );
        assert!(serde_json::from_str::<Mode>("\"OTHER\"").is_err());
    }

    #[test]
    fn all_covers_every_command_and_severity_orders_most_severe_first() {
        assert_eq!(Command::All.covers().len(), 4);
        assert_eq!(Command::Update.covers(), &[Command::Update]);
        let mut s = Severity::ALL.to_vec();
        s.reverse();
        s.sort();
        assert_eq!(s, Severity::ALL);
    }
}
