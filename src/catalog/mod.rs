//! The catalog gateway: the only module that reads PostgreSQL's catalog.
//!
//! catalog → [`crate::model`] → pure decisions → rows. Every read is one SQL
//! file under `sql/catalog/` (see its README), included at build time; the
//! scope rule (which schemas and relkinds count) and a policy's definition
//! columns are written once and filled into each file. One exception, for
//! speed: the event triggers read the one policy or table a DDL touched
//! from the system caches ([`live`]), held to the SQL reads by a test. Each
//! model struct has one decoder here, used for catalog rows and for
//! rls_audit's own history rows alike (they select the same columns in the
//! same order).
use std::collections::BTreeMap;

use once_cell::sync::Lazy;
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiHeapTupleData};

mod claims;
mod inline;
pub(crate) mod live;

use crate::error::{Result, RlsAuditError};
use crate::model::{
    self, BypassingView, DefinerFunction, Identity, Policy, PolicyId, Posture, Role, State, Table,
    TableFacts, Target, TrackedPolicy, TrackedTable,
};
use claims::claim_term;
pub(crate) use claims::{
    claim_sets, claim_text, claim_values, read_claims, several_value, ReachClaim, SEVERAL,
};

/// pg_policy's OID (catalog/pg_policy.h; pg_sys has no constant for it):
/// how an event trigger recognises a policy among the objects a DDL touched.
pub(crate) const POLICY_RELATION_ID: pg_sys::Oid = pg_sys::Oid::from_u32(3256);

/// The scope rule, on `pg_namespace n`: the system's schemas, TOAST, other
/// sessions' temporary schemas and rls_audit's own are never part of the
/// posture.
pub(crate) const IN_SCOPE: &str =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'rls_audit') \
     AND n.nspname !~ '^pg_(toast|temp_)'";

/// The relkind rule, on `pg_class c`: RLS exists on ordinary and
/// partitioned tables only.
const IS_TABLE: &str = "c.relkind IN ('r', 'p')";

/// [`crate::model::Mode`] and [`crate::model::Command`] of `pg_policy p`.
const POLICY_MODE: &str = "CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END";
const POLICY_COMMAND: &str = "CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' \
     WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END";

/// A policy's definition from `pg_policy p`, in [`decode_policy`]'s order
/// after the three names: mode, command, roles (`public` for PUBLIC),
/// USING, WITH CHECK.
const POLICY_DEFINITION: &str = "{policy_mode}, {policy_command},
       ARRAY(SELECT CASE WHEN x = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x)::text END
               FROM pg_catalog.unnest(p.polroles) AS x),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)";

/// [`POLICY_DEFINITION`] with the USING and WITH CHECK trees themselves
/// (`pg_node_tree`), which the reader deparses ([`decode_policy_trees`]).
const POLICY_TREES: &str = "{policy_mode}, {policy_command},
       ARRAY(SELECT CASE WHEN x = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x)::text END
               FROM pg_catalog.unnest(p.polroles) AS x),
       p.polqual, p.polwithcheck";

/// What a policy stores, from `pg_policy p`: the digests of the USING and
/// WITH CHECK node trees ([`live::tree_digest`], spelled in SQL), `-` for
/// none. The trees also hold `:location` offsets into the statement that
/// wrote them, so an unchanged tree always hashes the same (a rename of
/// what it references does not touch it), while the same expression
/// restated by a later ALTER POLICY may hash differently: that case is
/// caught by comparing the text too (TrackedPolicy::same_definition).
/// `state.sql` reads the trees themselves and digests them as it deparses
/// them, from one detoasted copy ([`live::Deparser::deparse`]).
fn policy_tree() -> String {
    // SHA-256 of the tree's bytes as stored (`convert_to` into the
    // database's own encoding changes nothing), its first 128 bits in hex
    let digest = |tree: &str| {
        format!(
            "pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(\
             {tree}::pg_catalog.text, pg_catalog.getdatabaseencoding())), 'hex'), 32)"
        )
    };
    format!(
        "coalesce({}, '-') || '/' || coalesce({}, '-')",
        digest("p.polqual"),
        digest("p.polwithcheck")
    )
}

/// May TRUNCATOR truncate table `c`? The privilege on it and on every
/// table whose foreign keys reach it (TRUNCATE ... CASCADE asks for them;
/// without CASCADE a referencing table stops it). Row security does not
/// apply to TRUNCATE. `{may_truncate_role}` asks it of the probed role
/// (`$1`), `{may_truncate_r}` of `r.r`.
const MAY_TRUNCATE: &str = "pg_catalog.has_table_privilege(TRUNCATOR, c.oid, 'TRUNCATE')
       AND NOT EXISTS (
           WITH RECURSIVE fk(relid) AS (
               SELECT k.conrelid FROM pg_catalog.pg_constraint k
                WHERE k.contype = 'f' AND k.confrelid = c.oid AND k.conrelid <> c.oid
               UNION
               SELECT k.conrelid FROM fk, pg_catalog.pg_constraint k
                WHERE k.contype = 'f' AND k.confrelid = fk.relid)
           SELECT FROM fk WHERE NOT pg_catalog.has_table_privilege(TRUNCATOR, fk.relid, 'TRUNCATE'))";

/// A query file with the shared rules filled in.
pub(crate) fn fill(sql: &str) -> String {
    sql.replace(
        "{may_truncate_role}",
        &MAY_TRUNCATE.replace("TRUNCATOR", "$1::name"),
    )
    .replace(
        "{may_truncate_r}",
        &MAY_TRUNCATE.replace("TRUNCATOR", "r.r"),
    )
    .replace("{policy_definition}", POLICY_DEFINITION)
    .replace("{policy_trees}", POLICY_TREES)
    .replace("{policy_mode}", POLICY_MODE)
    .replace("{policy_command}", POLICY_COMMAND)
    .replace("{policy_tree}", &policy_tree())
    .replace("{in_scope}", IN_SCOPE)
    .replace("{is_table}", IS_TABLE)
    .replace("{set_option}", SET_OPTION)
}

/// The `pg_has_role` privilege that allows `SET ROLE`: membership on
/// PostgreSQL 15 and older, the SET option of a membership from 16 on.
#[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
const SET_OPTION: &str = "MEMBER";
#[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
const SET_OPTION: &str = "SET";

/// `static NAME: Lazy<String>` for `sql/catalog/<file>`, filled once per
/// backend.
macro_rules! query {
    ($($name:ident = $file:literal;)+) => {
        $(static $name: Lazy<String> =
            Lazy::new(|| fill(include_str!(concat!("../../sql/catalog/", $file))));)+
    };
}

query! {
    STATE = "state.sql";
    POLICY_BY_NAME = "policy_by_name.sql";
    RELATION_NAME = "relation_name.sql";
    QUALIFIED_NAME = "qualified_name.sql";
    SCHEMA_NAME = "schema_name.sql";
    DEPENDENT_POLICIES = "dependent_policies.sql";
    RESYNC_POLICIES = "resync_policies.sql";
    RESYNC_TABLES = "resync_tables.sql";
    RESYNC_POLICIES_LEGACY = "resync_policies_legacy.sql";
    RESYNC_TABLES_LEGACY = "resync_tables_legacy.sql";
    LINT_TABLES = "lint_tables.sql";
    LINT_POLICIES = "lint_policies.sql";
    LOGIN_ROLES = "login_roles.sql";
    NON_IMMUTABLE = "non_immutable.sql";
    DEFINER_FUNCTIONS = "definer_functions.sql";
    BYPASSING_VIEWS = "bypassing_views.sql";
    FRESH_LOGIN_SETTING = "fresh_login_setting.sql";
    ROLE_CUSTOM_SETTINGS = "role_custom_settings.sql";
    MAY_READ_FILE_SETTINGS = "may_read_file_settings.sql";
    FILE_SETTING = "file_setting.sql";
    ROLE = "role.sql";
    BOOT_SEARCH_PATH_SQL = "boot_search_path.sql";
    SETTING_KNOWN = "setting_known.sql";
    SETTING_DEFINED = "setting_defined.sql";
    TARGET_CHECK = "target_check.sql";
    TARGETS = "targets.sql";
    TRUNCATE_VIA = "truncate_via.sql";
    CASCADES = "cascades.sql";
    REPLACEABLE = "replaceable.sql";
    LOOKUPS = "lookups.sql";
    DEFINERS = "definers.sql";
    COLUMNS = "columns.sql";
    PARTITION_TREE = "partition_tree.sql";
    ROW_TYPE = "row_type.sql";
    FUNCTION_READERS = "function_readers.sql";
    WRITABLE = "writable.sql";
    SCANS = "scans.sql";
    PRIVILEGED_AMONG = "privileged_among.sql";
    POLICY_TREES_FOR = "policy_trees_for.sql";
    TABLE_POLICIES = "table_policies.sql";
    ACCESS_ROLES = "access_roles.sql";
    ACCESS_SCHEMAS = "access_schemas.sql";
    ACCESS_RELATIONS = "access_relations.sql";
    ACCESS_RULES = "access_rules.sql";
    ACCESS_FUNCTIONS = "access_functions.sql";
    ACCESS_TRIGGERS = "access_triggers.sql";
    ACCESS_CASCADES = "access_cascades.sql";
    ACCESS_POLICIES = "access_policies.sql";
}

/// Memberships with their INHERIT and SET: the member's INHERIT attribute
/// (and always SET) on PostgreSQL 15 and older, the grant's options from 16.
#[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
const ACCESS_MEMBERS: &str = include_str!("../../sql/catalog/access_members_pg15.sql");
#[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
const ACCESS_MEMBERS: &str = include_str!("../../sql/catalog/access_members.sql");

/// The right to `SET ROLE`: membership on PostgreSQL 15 and older, the SET
/// option of a membership from 16 on; superusers always.
#[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
const MAY_SET_ROLE: &str = include_str!("../../sql/catalog/may_set_role_member.sql");
#[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
const MAY_SET_ROLE: &str = include_str!("../../sql/catalog/may_set_role_set.sql");

// ---------------------------------------------------------------------------
// decoders: one per model struct

fn text(row: &SpiHeapTupleData, i: usize) -> Result<String> {
    Ok(row.get::<String>(i)?.unwrap_or_default())
}

fn flag(row: &SpiHeapTupleData, i: usize) -> Result<bool> {
    Ok(row.get::<bool>(i)?.unwrap_or(false))
}

fn oid(row: &SpiHeapTupleData, i: usize) -> Result<u32> {
    Ok(row.get::<pg_sys::Oid>(i)?.map(|o| o.to_u32()).unwrap_or(0))
}

/// A word column (mode, command) into its enum; a word the model does not
/// know means the catalog and rls_audit disagree.
fn word<T: std::str::FromStr<Err = RlsAuditError>>(row: &SpiHeapTupleData, i: usize) -> Result<T> {
    text(row, i)?.parse().map_err(|e: RlsAuditError| {
        RlsAuditError::ObjectState(format!("unexpected catalog value: {e}"))
    })
}

/// A [`Policy`] from eight columns starting at `first`: schema, table,
/// name, mode, command, roles, USING, WITH CHECK.
pub(crate) fn decode_policy(row: &SpiHeapTupleData, first: usize) -> Result<Policy> {
    policy_with(
        row,
        first,
        role_column(row, first + 5)?,
        row.get::<String>(first + 6)?,
        row.get::<String>(first + 7)?,
    )
}

/// A [`Policy`] from eight columns starting at `first` as
/// [`decode_policy`] reads them, but USING and WITH CHECK as stored trees
/// (`{policy_trees}`), deparsed against `table` ([`Opened::deparse_trees`]).
fn decode_policy_trees(
    row: &SpiHeapTupleData,
    first: usize,
    table: u32,
    opened: &mut Opened,
) -> Result<Policy> {
    let (using, check) = opened.deparse_trees(row, first + 6, table)?;
    policy_with(
        row,
        first,
        role_column(row, first + 5)?,
        using.text,
        check.text,
    )
}

/// A [`Policy`] whose schema, table, name, mode and command are the five
/// columns starting at `first`, with these roles and expressions.
fn policy_with(
    row: &SpiHeapTupleData,
    first: usize,
    roles: Vec<String>,
    using_expr: Option<String>,
    check_expr: Option<String>,
) -> Result<Policy> {
    Ok(Policy {
        schema_name: text(row, first)?,
        table_name: text(row, first + 1)?,
        policy_name: text(row, first + 2)?,
        permissive: word(row, first + 3)?,
        command: word(row, first + 4)?,
        roles,
        using_expr,
        check_expr,
    })
}

/// A policy's roles column (names, `public` for PUBLIC), sorted and
/// without repeats.
fn role_column(row: &SpiHeapTupleData, at: usize) -> Result<Vec<String>> {
    let mut roles = row.get::<Vec<String>>(at)?.unwrap_or_default();
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// A stored expression tree as the row holds it, neither copied nor
/// detoasted ([`live::Deparser::deparse`] detoasts it once); valid while the row is.
struct Tree(pg_sys::Datum);

impl FromDatum for Tree {
    unsafe fn from_polymorphic_datum(
        d: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<Self> {
        (!is_null).then_some(Tree(d))
    }
}

impl IntoDatum for Tree {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(self.0)
    }
    fn type_oid() -> pg_sys::Oid {
        pg_sys::PG_NODE_TREEOID
    }
}

/// What the statements stored in `tree` write: (relation OID, command) of
/// each INSERT, UPDATE or DELETE, and of each action of a MERGE, read from
/// the Query trees as PostgreSQL stores them (a rule's actions,
/// `pg_rewrite.ev_action`; a BEGIN ATOMIC body, `pg_proc.prosqlbody`):
/// the command and the range table entry of its result relation, and the
/// same for the data-modifying WITH queries of each.
fn query_writes(tree: pg_sys::Datum) -> Vec<(u32, model::Command)> {
    let mut out = Vec::new();
    let mut scratch = pgrx::PgMemoryContexts::new("rls_audit stored queries");
    // SAFETY: tree is a pg_node_tree (text) datum; text_to_cstring detoasts
    // and copies it, stringToNode parses PostgreSQL's own output;
    // `walk_writes` reads only nodes of the parsed tree, and all of it lives in the
    // scratch context, deleted on return
    unsafe {
        scratch.switch_to(|_| {
            let text = pg_sys::text_to_cstring(tree.cast_mut_ptr::<pg_sys::text>());
            walk_writes(pg_sys::stringToNode(text).cast(), 0, &mut out);
        })
    };
    out
}

/// [`query_writes`] of one node: a List (of statements, or of a body's
/// list of statements) or a Query; deep enough for any stored body, a
/// guard, not a limit.
///
/// # Safety
/// `node` is null or a node of a tree parsed by `stringToNode`.
unsafe fn walk_writes(node: *mut pg_sys::Node, depth: usize, out: &mut Vec<(u32, model::Command)>) {
    use model::Command;
    use pg_sys::CmdType::{CMD_DELETE, CMD_INSERT, CMD_MERGE, CMD_UPDATE};
    if node.is_null() || depth > 32 {
        return;
    }
    let command = |c: pg_sys::CmdType::Type| match c {
        CMD_INSERT => Some(Command::Insert),
        CMD_UPDATE => Some(Command::Update),
        CMD_DELETE => Some(Command::Delete),
        _ => None,
    };
    match (*node).type_ {
        pg_sys::NodeTag::T_List => {
            for n in pgrx::PgList::<pg_sys::Node>::from_pg(node.cast()).iter_ptr() {
                walk_writes(n, depth + 1, out);
            }
        }
        pg_sys::NodeTag::T_Query => {
            let q = node.cast::<pg_sys::Query>();
            let commands: Vec<Command> = if (*q).commandType == CMD_MERGE {
                pgrx::PgList::<pg_sys::MergeAction>::from_pg((*q).mergeActionList)
                    .iter_ptr()
                    .filter(|a| !a.is_null())
                    .filter_map(|a| command((*a).commandType))
                    .collect()
            } else {
                command((*q).commandType).into_iter().collect()
            };
            if let Ok(at) = usize::try_from((*q).resultRelation - 1) {
                let rtable = pgrx::PgList::<pg_sys::RangeTblEntry>::from_pg((*q).rtable);
                if let Some(rte) = rtable.get_ptr(at) {
                    if (*rte).rtekind == pg_sys::RTEKind::RTE_RELATION {
                        for c in commands {
                            out.push(((*rte).relid.to_u32(), c));
                        }
                    }
                }
            }
            for cte in pgrx::PgList::<pg_sys::CommonTableExpr>::from_pg((*q).cteList).iter_ptr() {
                if !cte.is_null() {
                    walk_writes((*cte).ctequery, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

/// The commands whose bit is set in `bits`, each bit given with its
/// command (catalogs spell them differently).
fn commands_in(bits: i32, spelled: [(i32, model::Command); 3]) -> Vec<model::Command> {
    spelled
        .into_iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, cmd)| cmd)
        .collect()
}

/// A policy of `state.sql`: its three names, mode and command from column
/// 2 on, then its stored trees (`pg_node_tree`), deparsed against `table`
/// ([`Opened::deparse_trees`]); its roles named from their OIDs as
/// `pg_get_userbyid` names them; and the trees' digests (`{policy_tree}`).
fn decode_live_policy(
    row: &SpiHeapTupleData,
    table: u32,
    role_oids: &[u32],
    opened: &mut Opened,
) -> Result<(Policy, String)> {
    let (using, check) = opened.deparse_trees(row, 7, table)?;
    let tree = format!("{}/{}", using.digest, check.digest);
    let policy = policy_with(row, 2, live::role_names(role_oids), using.text, check.text)?;
    Ok((policy, tree))
}

/// A [`Table`] from the columns at `at`: schema, table, owner, RLS
/// enabled, RLS forced.
pub(crate) fn decode_table(row: &SpiHeapTupleData, at: [usize; 5]) -> Result<Table> {
    Ok(Table {
        schema_name: text(row, at[0])?,
        table_name: text(row, at[1])?,
        owner: text(row, at[2])?,
        rls_enabled: flag(row, at[3])?,
        rls_forced: flag(row, at[4])?,
    })
}

/// A [`Role`] from the columns at `at`: name, superuser, BYPASSRLS, login.
pub(crate) fn decode_role(row: &SpiHeapTupleData, at: [usize; 4]) -> Result<Role> {
    Ok(Role {
        role_name: text(row, at[0])?,
        superuser: flag(row, at[1])?,
        bypassrls: flag(row, at[2])?,
        can_login: flag(row, at[3])?,
    })
}

/// A [`TrackedPolicy`]: policy OID, table OID, db ident, tree, role OIDs
/// (int8[]), then a policy's eight columns.
pub(crate) fn decode_tracked_policy(row: &SpiHeapTupleData) -> Result<TrackedPolicy> {
    Ok(TrackedPolicy {
        policy_oid: oid(row, 1)?,
        table_oid: oid(row, 2)?,
        db_ident: row.get::<String>(3)?,
        tree: text(row, 4)?,
        role_oids: model::sorted_oids(row.get::<Vec<i64>>(5)?),
        policy: decode_policy(row, 6)?,
    })
}

/// A [`TrackedTable`]: table OID, schema OID, db ident, schema, table,
/// RLS enabled, RLS forced.
pub(crate) fn decode_tracked_table(row: &SpiHeapTupleData) -> Result<TrackedTable> {
    Ok(TrackedTable {
        table_oid: oid(row, 1)?,
        schema_oid: oid(row, 2)?,
        db_ident: row.get::<String>(3)?,
        schema_name: text(row, 4)?,
        table_name: text(row, 5)?,
        rls_enabled: flag(row, 6)?,
        rls_forced: flag(row, 7)?,
    })
}

// ---------------------------------------------------------------------------
// the posture

/// Rows a read fetches per batch in [`each_row`].
const BATCH: std::ffi::c_long = 1000;

/// Decode every row of a read (one statement, one MVCC snapshot) through a
/// cursor, a batch at a time, freeing each batch once decoded: memory holds
/// one batch of SPI rows besides what `f` keeps, never the whole result
/// (pgrx frees SPI results only when the connection ends). `done` runs
/// after each batch.
pub(crate) fn each_row_then(
    client: &SpiClient<'_>,
    sql: &'static str,
    args: &[pgrx::datum::DatumWithOid],
    mut f: impl FnMut(&SpiHeapTupleData) -> Result<()>,
    mut done: impl FnMut() -> Result<()>,
) -> Result<()> {
    // planned once per backend and kept (crate::prepared)
    let plan = crate::prepared::plan(client, sql, args, false)?;
    let mut cursor = client.try_open_cursor(&*plan, args)?;
    loop {
        let fetched = {
            let batch = cursor.fetch(BATCH)?;
            let n = batch.len();
            decoding(|| batch.into_iter().try_for_each(|row| f(&row)))?;
            n
        };
        // SAFETY: SPI_tuptable is the batch fetched above, whose
        // SpiTupleTable is gone; no other SPI call ran in between, and
        // nothing refers to its rows any more (f copied what it keeps)
        unsafe {
            if !pg_sys::SPI_tuptable.is_null() {
                pg_sys::SPI_freetuptable(pg_sys::SPI_tuptable);
                pg_sys::SPI_tuptable = std::ptr::null_mut();
            }
        }
        done()?;
        if (fetched as std::ffi::c_long) < BATCH {
            return Ok(());
        }
    }
}

/// Run `f`, which decodes SPI values, so that what decoding allocates is
/// freed when `f` returns. pgrx decodes a value in the parent of the
/// current memory context, which under SPI is the transaction's own
/// context, kept to the end of the transaction: every array it copies
/// (a policy's roles, their OIDs) and every text it detoasts stayed there,
/// about 8 MiB per read of 50 000 policies. Here that parent is a context
/// of its own, deleted after `f`. What `f` keeps must be owned by Rust
/// (a `String`, a `Vec`), as every decoder here returns.
pub(crate) fn decoding<R>(f: impl FnOnce() -> R) -> R {
    let mut values = pgrx::PgMemoryContexts::new("rls_audit decoded values");
    // SAFETY: the two contexts are deleted only after f returns, and
    // nothing f returns points into them
    unsafe {
        values.switch_to(|_| {
            let mut current = pgrx::PgMemoryContexts::new("rls_audit decoding");
            current.switch_to(|_| f())
        })
    }
}

/// [`each_row_then`] with nothing to do between batches.
pub(crate) fn each_row(
    client: &SpiClient<'_>,
    sql: &'static str,
    args: &[pgrx::datum::DatumWithOid],
    f: impl FnMut(&SpiHeapTupleData) -> Result<()>,
) -> Result<()> {
    each_row_then(client, sql, args, f, || Ok(()))
}

/// How many tables' relation cache entries one catalog read leaves in
/// place before it starts releasing them ([`Opened`]): about 3.5 MiB at
/// five policies a table (each entry holds its policies parsed). 500 made
/// `drift()` at 50 000 policies 2.5 MiB larger and a repeated `snapshot()`
/// of 2 000 tables about 2 % faster.
pub(crate) const KEEP_TABLES: usize = 300;

/// How many tables' catalog cache entries (the `pg_class` row and the
/// columns deparsing looked up) one catalog read leaves in place: about
/// half a kilobyte a table, 1 MiB in all. Past it they go with the
/// relation cache entry: 5 MiB of `drift()` at 50 000 policies, at the
/// cost of looking them up again in the next call (dropping them from the
/// 301st table on made a repeated `snapshot()` of 2 000 tables 5–10 %
/// slower).
pub(crate) const KEEP_LOOKUPS: usize = 2000;

/// The tables whose policies a catalog read deparsed, and how many it has
/// seen. Deparsing a policy with `pg_get_expr` opens its table, and
/// opening a table builds its cache entry with every one of its policies
/// parsed, kept for the rest of the session, as after any query on the
/// table; deparsing also looks up the table's row and columns in the
/// catalog caches. Reading 50 000 policies would leave the backend over
/// 100 MiB larger. A plain policy is deparsed without opening its table
/// ([`live::deparse_plain`]), so only its lookups stay. The first
/// [`KEEP_TABLES`] tables whose entries were built keep them, so a
/// catalog of that size stays as warm as any query over it would leave it
/// (and a repeated call does not build them again); past that, each
/// batch's relation cache entries are dropped after it, and past
/// [`KEEP_LOOKUPS`] tables their catalog cache entries too, exactly as an
/// invalidation message would drop them (a table used later has its
/// entries built again). Its deparser ([`live::Deparser`]) keeps the
/// current table's deparsing context from one policy to the next.
struct Opened {
    seen: usize,
    built: usize,
    /// the batch's tables, each with whether its entry was built
    batch: BTreeMap<u32, bool>,
    deparser: live::Deparser,
}

impl Opened {
    fn new() -> Self {
        Opened {
            seen: 0,
            built: 0,
            batch: BTreeMap::new(),
            deparser: live::Deparser::new(),
        }
    }

    /// The USING and WITH CHECK trees at columns `at` and `at + 1` of
    /// `row`, deparsed against `table` (texts and digests), the table
    /// noted with whether deparsing built its entry.
    fn deparse_trees(
        &mut self,
        row: &SpiHeapTupleData,
        at: usize,
        table: u32,
    ) -> Result<(live::Deparsed, live::Deparsed)> {
        let tree = |i: usize| -> Result<_> { Ok(row.get::<Tree>(i)?.map(|t| t.0)) };
        let oid = pg_sys::Oid::from(table);
        let (using, check) = (
            self.deparser.deparse(tree(at)?, oid),
            self.deparser.deparse(tree(at + 1)?, oid),
        );
        *self.batch.entry(table).or_default() |= using.opened || check.opened;
        Ok((using, check))
    }

    /// The batch is done: release the deparser's table, keep the cache
    /// entries while under the limits, drop the rest.
    fn release(&mut self) {
        self.deparser.release();
        for (t, built) in std::mem::take(&mut self.batch) {
            self.seen += 1;
            self.built += usize::from(built);
            let entry = built && self.built > KEEP_TABLES;
            let lookups = self.seen > KEEP_LOOKUPS;
            if entry || lookups {
                forget_table(pg_sys::Oid::from(t), entry, lookups);
            }
        }
    }
}

/// Drop what deparsing a table's policies left in this backend's caches:
/// with `entry`, its relation cache entry; with `lookups`, the catalog
/// cache entries of its `pg_class` row and its columns (deparsing looks
/// each column up by number). Each goes exactly as an invalidation
/// message would drop it: an entry still referenced is rebuilt or marked
/// dead, never freed under its user, and anything that needs one later
/// looks it up again.
fn forget_table(table: pg_sys::Oid, entry: bool, lookups: bool) {
    use pg_sys::SysCacheIdentifier::{ATTNUM, RELOID};
    let key = pg_sys::Datum::from(table);
    let none = pg_sys::Datum::from(0);
    // SAFETY: syscache lookups and invalidations by key, the calls
    // PostgreSQL's own invalidation processing makes
    unsafe {
        if entry {
            pg_sys::RelationCacheInvalidateEntry(table);
        }
        if !lookups {
            return;
        }
        let tup = pg_sys::SearchSysCache1(RELOID as i32, key);
        if tup.is_null() {
            return;
        }
        let columns = (*pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_class>()).relnatts;
        pg_sys::ReleaseSysCache(tup);
        for attnum in 1..=columns {
            let hash = pg_sys::GetSysCacheHashValue(
                ATTNUM as i32,
                key,
                pg_sys::Datum::from(attnum),
                none,
                none,
            );
            pg_sys::SysCacheInvalidate(ATTNUM as i32, hash);
        }
        let hash = pg_sys::GetSysCacheHashValue(RELOID as i32, key, none, none, none);
        pg_sys::SysCacheInvalidate(RELOID as i32, hash);
    }
}

/// This database, as "system identifier/database OID": OIDs are only
/// comparable between states with the same ident. A physical replica or a
/// promoted standby has the same; a dump restored anywhere else does not.
pub(crate) fn db_ident() -> String {
    // SAFETY: plain reads of process-global state set at backend start
    let (sysid, db) = unsafe { (pg_sys::GetSystemIdentifier(), pg_sys::MyDatabaseId) };
    // signed, as pg_control_system() shows it (the upgrade script binds rows in SQL)
    let sysid = sysid as i64;
    format!("{sysid}/{}", db.to_u32())
}

/// One object of the live posture, with what it stands for in this
/// database.
pub(crate) enum LiveRow {
    Policy(Policy, PolicyId),
    /// a table and its OID
    Table(Table, u32),
    /// a role and its OID
    Role(Role, u32),
}

/// Live objects gathered: one batch of them (`snapshot::take`).
#[derive(Default)]
pub(crate) struct LiveRows {
    pub(crate) policies: Vec<(Policy, PolicyId)>,
    pub(crate) tables: Vec<(Table, u32)>,
    pub(crate) roles: Vec<(Role, u32)>,
}

impl LiveRows {
    pub(crate) fn push(&mut self, row: LiveRow) {
        match row {
            LiveRow::Policy(p, id) => self.policies.push((p, id)),
            LiveRow::Table(t, oid) => self.tables.push((t, oid)),
            LiveRow::Role(r, oid) => self.roles.push((r, oid)),
        }
    }
}

/// Whether this database is UTF8 (the one other encoding rls_audit
/// installs in is SQL_ASCII): text read from it is then its own bytes in
/// Rust, with no check needed.
pub(crate) fn utf8_database() -> bool {
    // SAFETY: a plain read of the database's encoding
    unsafe { pg_sys::GetDatabaseEncoding() == pg_sys::pg_enc::PG_UTF8 as i32 }
}

/// The live posture one object at a time, in canonical order (policies,
/// tables, roles, each by name in byte order: see state.sql), never held
/// whole. `batch_done` runs after each batch the cursor fetched, once the
/// batch's SPI rows are freed and the relation cache entries its deparsing
/// built are released. The caller must run under a pinned
/// `search_path = pg_catalog, pg_temp`.
///
/// COLLATE "C" compares the database's bytes, which are the UTF-8 bytes
/// of the names Rust compares: rls_audit installs only in a UTF8 or a
/// SQL_ASCII database (bootstrap.sql refuses any other encoding), and in
/// SQL_ASCII pgrx refuses a name that is not valid UTF-8 when it is read.
pub(crate) fn each_live(
    client: &SpiClient<'_>,
    mut f: impl FnMut(LiveRow) -> Result<()>,
    mut batch_done: impl FnMut() -> Result<()>,
) -> Result<()> {
    let opened = std::cell::RefCell::new(Opened::new());
    each_row_then(
        client,
        STATE.as_str(),
        &[],
        |row| {
            let oid = oid(row, 12)?;
            match text(row, 1)?.as_str() {
                "p" => {
                    let table_oid = self::oid(row, 13)?;
                    let role_oids = model::sorted_oids(row.get::<Vec<i64>>(14)?);
                    let (p, tree) =
                        decode_live_policy(row, table_oid, &role_oids, &mut opened.borrow_mut())?;
                    let id = PolicyId {
                        oid,
                        table_oid,
                        tree,
                        role_oids,
                    };
                    f(LiveRow::Policy(p, id))
                }
                "t" => f(LiveRow::Table(decode_table(row, [2, 3, 4, 9, 10])?, oid)),
                _ => f(LiveRow::Role(decode_role(row, [2, 9, 10, 11])?, oid)),
            }
        },
        || {
            opened.borrow_mut().release();
            batch_done()
        },
    )
}

/// The live posture and which objects its names stand for, whole (drift
/// compares two of them). The caller must run under a pinned
/// `search_path = pg_catalog, pg_temp` (see state.sql).
pub(crate) fn read_live(client: &SpiClient<'_>) -> Result<(State, Identity)> {
    read_live_following(client, None)
}

/// [`read_live`], keeping the identity of only the policies whose OID is
/// in `followed` (None: all). Aligning an older state with the live one
/// looks up a live policy's identity only by an OID the older state has
/// ([`crate::identity::align`]), so the others need not be kept: against
/// a baseline of 10 000 policies, 40 000 new ones take no identity.
pub(crate) fn read_live_following(
    client: &SpiClient<'_>,
    followed: Option<&std::collections::HashSet<u32>>,
) -> Result<(State, Identity)> {
    let mut state = State::default();
    let mut ids = Identity {
        db: Some(db_ident()),
        ..Identity::default()
    };
    // (a policy's place in the state, its identity), keyed once it is read
    let mut policy_ids: Vec<(usize, PolicyId)> = Vec::new();
    each_live(
        client,
        |row| {
            match row {
                LiveRow::Policy(p, id) => {
                    if followed.is_none_or(|oids| oids.contains(&id.oid)) {
                        policy_ids.push((state.policies.len(), id));
                    }
                    state.policies.push(p);
                }
                LiveRow::Table(t, oid) => {
                    ids.add_table(&t.schema_name, &t.table_name, oid);
                    state.tables.push(t);
                }
                LiveRow::Role(r, oid) => {
                    ids.roles.insert(r.role_name.clone(), oid);
                    state.roles.push(r);
                }
            }
            Ok(())
        },
        || Ok(()),
    )?;
    ids.add_placed_policies(&mut state.policies, policy_ids);
    // canonical already (each_live delivers it in order); sorting a
    // sorted list is a pass over it
    state.canonicalize();
    Ok((state, ids))
}

/// The fingerprint of the live posture ([`State::fingerprint`]), streamed:
/// nothing but one batch is held.
pub(crate) fn live_fingerprint(client: &SpiClient<'_>) -> Result<String> {
    let mut h = model::Fingerprinter::default();
    each_live(
        client,
        |row| match row {
            LiveRow::Policy(p, _) => h.policy(&p),
            LiveRow::Table(t, _) => h.table(&t),
            LiveRow::Role(r, _) => h.role(&r),
        },
        || Ok(()),
    )?;
    Ok(h.finish())
}

/// One live policy by table OID and name (for `policy_ddl`).
pub(crate) fn read_live_policy(
    client: &SpiClient<'_>,
    table: pg_sys::Oid,
    policy: &str,
) -> Result<Option<Policy>> {
    // the pg_get_expr() texts as live::Deparser prints them
    let _output = live::CanonicalOutput::pin();
    let mut rows = client.select(
        POLICY_BY_NAME.as_str(),
        Some(1),
        &[table.into(), policy.into()],
    )?;
    rows.next().map(|r| decode_policy(&r, 1)).transpose()
}

fn one<T: pgrx::datum::FromDatum + pgrx::datum::IntoDatum>(
    client: &SpiClient<'_>,
    sql: &'static str,
    args: &[pgrx::datum::DatumWithOid],
) -> Result<Option<T>> {
    Ok(crate::prepared::select(client, sql, Some(1), args)?
        .first()
        .get_one::<T>()?)
}

/// A relation's name as regclass prints it (None: no such relation).
pub(crate) fn relation_name(client: &SpiClient<'_>, rel: pg_sys::Oid) -> Result<Option<String>> {
    one(client, RELATION_NAME.as_str(), &[rel.into()])
}

/// A relation's quoted, schema-qualified name (None: no such relation).
pub(crate) fn qualified_name(client: &SpiClient<'_>, rel: pg_sys::Oid) -> Result<Option<String>> {
    one(client, QUALIFIED_NAME.as_str(), &[rel.into()])
}

// ---------------------------------------------------------------------------
// capture: the objects one DDL touched

/// A live object and its tracked row, as one capture compares them.
pub(crate) struct Pair<T> {
    pub(crate) live: Option<T>,
    pub(crate) tracked: Option<T>,
}

/// For the event triggers: the live policy with this OID (if it is in
/// scope, read from the system caches: [`live::policy`]) and, when there
/// is one, its tracked row, matched by OID in this database or else by the
/// live policy's names. A DDL on something out of scope (a temporary
/// table's policy) costs no statement.
pub(crate) fn capture_policy(policy: pg_sys::Oid) -> Result<Pair<TrackedPolicy>> {
    let here = db_ident();
    let Some(live) = live::policy(policy, &here)? else {
        return Ok(Pair {
            live: None,
            tracked: None,
        });
    };
    let p = &live.policy;
    let tracked = tracked_policy(policy, Some(p.names()), &here)?;
    Ok(Pair {
        live: Some(live),
        tracked,
    })
}

/// For sql_drop: the tracked row of a dropped policy, matched by OID in
/// this database or else by `names` (schema, table, policy: what sql_drop
/// reported; None when it reported something else).
pub(crate) fn dropped_policy(
    policy: pg_sys::Oid,
    names: Option<(&str, &str, &str)>,
) -> Result<Option<TrackedPolicy>> {
    tracked_policy(policy, names, &db_ident())
}

/// The tracked row of a policy, by OID in this database (`here`), else by
/// names. A row whose OIDs are this database's names its roles as they are
/// called now (a role renamed since: no event trigger sees that), unless
/// one is gone.
fn tracked_policy(
    policy: pg_sys::Oid,
    names: Option<(&str, &str, &str)>,
    here: &str,
) -> Result<Option<TrackedPolicy>> {
    use crate::heap::Key;
    let rows = crate::heap::Own::open_with(
        c"tracked_policies",
        pg_sys::AccessShareLock as pg_sys::LOCKMODE,
    )?;
    let mut tracked = None;
    rows.find(&["policy_oid"], &[Key::Oid(policy.to_u32())], |r| {
        if r.text("db_ident").as_deref() != Some(here) {
            return Ok(true);
        }
        tracked = Some(tracked_policy_of(r)?);
        Ok(false)
    })?;
    if let (None, Some((s, t, p))) = (&tracked, names) {
        rows.find(
            &["schema_name", "table_name", "policy_name"],
            &[Key::Name(s), Key::Name(t), Key::Name(p)],
            |r| {
                tracked = Some(tracked_policy_of(r)?);
                Ok(false)
            },
        )?;
    }
    if let Some(p) = tracked.as_mut() {
        if p.db_ident.as_deref() == Some(here) {
            let now = p.role_oids.iter().map(|o| {
                if *o == 0 {
                    Some("public".to_string())
                } else {
                    live::role_name_if_exists(*o)
                }
            });
            name_roles_now(p, Some(now.collect()));
        }
    }
    Ok(tracked)
}

/// A word column (mode, command) of a tracked row into its enum.
fn word_of<T: std::str::FromStr<Err = RlsAuditError>>(
    r: &crate::heap::Row<'_>,
    column: &str,
) -> Result<T> {
    r.text(column)
        .unwrap_or_default()
        .parse()
        .map_err(|e: RlsAuditError| {
            RlsAuditError::ObjectState(format!("unexpected tracked value: {e}"))
        })
}

/// A [`TrackedPolicy`] from a tracked_policies row, as
/// [`decode_tracked_policy`] decodes the same columns read through SQL.
fn tracked_policy_of(r: &crate::heap::Row<'_>) -> Result<TrackedPolicy> {
    let mut role_oids = r.oids("role_oids");
    role_oids.sort_unstable();
    let mut roles = r.names("roles");
    roles.sort();
    Ok(TrackedPolicy {
        policy_oid: r.oid("policy_oid"),
        table_oid: r.oid("table_oid"),
        db_ident: r.text("db_ident"),
        tree: r.text("tree").unwrap_or_default(),
        role_oids,
        policy: Policy {
            schema_name: r.name("schema_name").unwrap_or_default(),
            table_name: r.name("table_name").unwrap_or_default(),
            policy_name: r.name("policy_name").unwrap_or_default(),
            permissive: word_of(r, "permissive")?,
            command: word_of(r, "command")?,
            roles,
            using_expr: r.text("using_expr"),
            check_expr: r.text("check_expr"),
        },
    })
}

/// A [`TrackedTable`] from a tracked_tables row, as
/// [`decode_tracked_table`] decodes the same columns read through SQL.
fn tracked_table_of(r: &crate::heap::Row<'_>) -> TrackedTable {
    TrackedTable {
        table_oid: r.oid("table_oid"),
        schema_oid: r.oid("schema_oid"),
        db_ident: r.text("db_ident"),
        schema_name: r.name("schema_name").unwrap_or_default(),
        table_name: r.name("table_name").unwrap_or_default(),
        rls_enabled: r.flag("rls_enabled"),
        rls_forced: r.flag("rls_forced"),
    }
}

/// Roles are tracked by OID: a role renamed since (no event trigger sees
/// that) is named as it is called `now` (the names of the tracked row's
/// role OIDs, read with it; None when its OIDs are another database's),
/// unless one of them is gone.
fn name_roles_now(p: &mut TrackedPolicy, now: Option<Vec<Option<String>>>) {
    if p.role_oids.is_empty() {
        return;
    }
    if let Some(mut names) = now.and_then(|n| n.into_iter().collect::<Option<Vec<String>>>()) {
        names.sort();
        p.policy.roles = names;
    }
}

/// A live table and whether it has policies.
pub(crate) type LiveTable = (TrackedTable, bool);

/// For the event triggers: the live table with this OID (if it is a table
/// in scope, read from the system caches: [`live::table`]) with whether it
/// has policies and, when there is one, its tracked row, matched by OID in
/// this database or else by the live table's names. A DDL on something out
/// of scope (a temporary table) costs no statement.
pub(crate) fn capture_table(
    table: pg_sys::Oid,
) -> Result<(Option<LiveTable>, Option<TrackedTable>)> {
    let here = db_ident();
    let Some((live, has_policies)) = live::table(table, &here)? else {
        return Ok((None, None));
    };
    let names = (live.schema_name.as_str(), live.table_name.as_str());
    let tracked = tracked_table(table, Some(names), &here)?;
    Ok((Some((live, has_policies)), tracked))
}

/// For sql_drop: the tracked row of a dropped table, matched by OID in this
/// database or else by `names` (schema, table: what sql_drop reported;
/// None when it reported something else).
pub(crate) fn dropped_table(
    table: pg_sys::Oid,
    names: Option<(&str, &str)>,
) -> Result<Option<TrackedTable>> {
    tracked_table(table, names, &db_ident())
}

/// The tracked row of a table, by OID in this database (`here`), else by
/// names.
fn tracked_table(
    table: pg_sys::Oid,
    names: Option<(&str, &str)>,
    here: &str,
) -> Result<Option<TrackedTable>> {
    tracked_table_row(table.to_u32(), names, here, tracked_table_of)
}

/// The tracked_tables row of a table, read by `decode`: by OID in this
/// database (`here`), else by names.
pub(crate) fn tracked_table_row<T>(
    table: u32,
    names: Option<(&str, &str)>,
    here: &str,
    decode: impl Fn(&crate::heap::Row<'_>) -> T,
) -> Result<Option<T>> {
    use crate::heap::Key;
    let rows = crate::heap::Own::open_with(
        c"tracked_tables",
        pg_sys::AccessShareLock as pg_sys::LOCKMODE,
    )?;
    let mut tracked = None;
    rows.find(&["table_oid"], &[Key::Oid(table)], |r| {
        if r.text("db_ident").as_deref() != Some(here) {
            return Ok(true);
        }
        tracked = Some(decode(r));
        Ok(false)
    })?;
    if let (None, Some((s, t))) = (&tracked, names) {
        rows.find(
            &["schema_name", "table_name"],
            &[Key::Name(s), Key::Name(t)],
            |r| {
                tracked = Some(decode(r));
                Ok(false)
            },
        )?;
    }
    Ok(tracked)
}

/// A schema's name (None: no such schema).
pub(crate) fn schema_name(client: &SpiClient<'_>, schema: pg_sys::Oid) -> Result<Option<String>> {
    one(client, SCHEMA_NAME.as_str(), &[schema.into()])
}

/// The policies that depend on object `oid` of catalog `class`.
pub(crate) fn dependent_policies(
    client: &SpiClient<'_>,
    class: pg_sys::Oid,
    oid: pg_sys::Oid,
) -> Result<Vec<pg_sys::Oid>> {
    let mut out = Vec::new();
    for r in crate::prepared::select(
        client,
        DEPENDENT_POLICIES.as_str(),
        None,
        &[class.into(), oid.into()],
    )? {
        if let Some(o) = r.get::<pg_sys::Oid>(1)? {
            out.push(o);
        }
    }
    Ok(out)
}

/// The owner of rls_audit's history tables (`rls_audit.events`), looked up
/// by name in the catalog caches: every captured DDL asks, so no statement
/// is run. By name, not through a regclass cast: the DDL's user may have
/// no USAGE on the schema, and none is needed here.
pub(crate) fn history_owner() -> Option<pg_sys::Oid> {
    // SAFETY: missing_ok lookups return InvalidOid instead of raising; the
    // cache tuple is read (a fixed-width pg_class field) and released
    unsafe {
        let nsp = pg_sys::get_namespace_oid(c"rls_audit".as_ptr(), true);
        if nsp == pg_sys::InvalidOid {
            return None;
        }
        let rel = pg_sys::get_relname_relid(c"events".as_ptr(), nsp);
        if rel == pg_sys::InvalidOid {
            return None;
        }
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::RELOID as i32,
            pg_sys::Datum::from(rel),
        );
        if tup.is_null() {
            return None;
        }
        let owner = (*pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_class>()).relowner;
        pg_sys::ReleaseSysCache(tup);
        Some(owner)
    }
}

/// Fill the (emptied) tracked state from the catalog; `legacy`: the tables
/// of 0.1.0 and 0.2.0, which have no identity columns.
pub(crate) fn resync_tracked(client: &mut SpiClient<'_>, legacy: bool) -> Result<()> {
    // their pg_get_expr() texts as live::Deparser prints them
    let _output = live::CanonicalOutput::pin();
    if legacy {
        client.update(RESYNC_POLICIES_LEGACY.as_str(), None, &[])?;
        client.update(RESYNC_TABLES_LEGACY.as_str(), None, &[])?;
    } else {
        let here = db_ident();
        client.update(RESYNC_POLICIES.as_str(), None, &[here.as_str().into()])?;
        client.update(RESYNC_TABLES.as_str(), None, &[here.as_str().into()])?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// lint

/// Every policy in scope, as the access model judges them (no identity
/// columns: cheaper than [`read_live`] when only the policies matter).
pub(crate) fn read_policies(client: &SpiClient<'_>) -> Result<Vec<Policy>> {
    let mut out = Vec::new();
    each_policy(client, ACCESS_POLICIES.as_str(), &[], |p| {
        out.push(p);
        Ok(())
    })?;
    Ok(out)
}

/// The policies a query returns (a policy's eight columns with its trees,
/// `{policy_trees}`, then its table's OID), one batch at a time, deparsed
/// as `snapshot()` deparses them ([`live::Deparser`]): each batch's SPI
/// rows are freed and the relation cache entries its deparsing built are
/// released past a limit ([`Opened`]), so reading every policy of a large
/// catalog never holds every table's parsed policies.
fn each_policy(
    client: &SpiClient<'_>,
    sql: &'static str,
    args: &[pgrx::datum::DatumWithOid],
    mut f: impl FnMut(Policy) -> Result<()>,
) -> Result<()> {
    let opened = std::cell::RefCell::new(Opened::new());
    each_row_then(
        client,
        sql,
        args,
        |row| {
            let policy = decode_policy_trees(row, 1, oid(row, 9)?, &mut opened.borrow_mut())?;
            f(policy)
        },
        || {
            opened.borrow_mut().release();
            Ok(())
        },
    )
}

/// Everything the lint rules look at, in one read per fact family; the
/// volatility of the functions the policies call is read separately
/// ([`non_immutable`]), once lint has parsed which those are.
///
/// `schemas` (lint's filter; `None`: all): the policies, the read that
/// costs (each is deparsed), are read only for the tables in those schemas
/// and the tables that their materialized views and SECURITY DEFINER
/// functions read, whose policies decide what those expose. Every other
/// fact is read whole: the rules that report in a schema only look there
/// or through those reads, and role findings (no schema) are not kept
/// under a filter.
pub(crate) fn read_posture(client: &SpiClient<'_>, schemas: Option<&[String]>) -> Result<Posture> {
    let mut posture = Posture::default();
    for r in crate::prepared::select(client, LOGIN_ROLES.as_str(), None, &[])? {
        posture.roles.push(decode_role(&r, [1, 2, 3, 4])?);
    }
    each_row(client, LINT_TABLES.as_str(), &[], |r| {
        posture.tables.push(TableFacts {
            table: decode_table(r, [1, 2, 3, 6, 7])?,
            owner_login: flag(r, 4)?,
            owner_super: flag(r, 5)?,
            policies: usize::try_from(r.get::<i64>(8)?.unwrap_or(0)).unwrap_or(0),
            grants: r.get::<Vec<String>>(9)?.unwrap_or_default(),
        });
        Ok(())
    })?;
    let access = read_access(client)?;
    let (mut via_schema, mut via_table) = (Vec::new(), Vec::new());
    if let Some(list) = schemas {
        let in_scope = |s: &String| list.contains(s);
        let matview_reads = access
            .relations
            .iter()
            .filter(|r| r.kind == crate::model::RelKind::Matview && in_scope(&r.schema))
            .flat_map(|r| r.reads.iter());
        let function_reads = access
            .functions
            .iter()
            .filter(|f| in_scope(&f.schema))
            .flat_map(|f| f.reads.iter().map(|(t, _)| t));
        for (s, t) in matview_reads.chain(function_reads) {
            via_schema.push(s.clone());
            via_table.push(t.clone());
        }
    }
    each_policy(
        client,
        LINT_POLICIES.as_str(),
        &[
            schemas.map(<[String]>::to_vec).into(),
            via_schema.into(),
            via_table.into(),
        ],
        |p| {
            posture.policies.push(p);
            Ok(())
        },
    )?;
    for r in crate::prepared::select(client, DEFINER_FUNCTIONS.as_str(), None, &[])? {
        posture.functions.push(DefinerFunction {
            schema_name: text(&r, 1)?,
            name: text(&r, 2)?,
            args: text(&r, 3)?,
            search_path: r.get::<String>(4)?,
            public_writable: r
                .get::<Vec<String>>(5)?
                .unwrap_or_default()
                .into_iter()
                .collect(),
            procedure: flag(&r, 6)?,
        });
    }
    for r in crate::prepared::select(client, BYPASSING_VIEWS.as_str(), None, &[])? {
        let (schema, view) = (text(&r, 1)?, text(&r, 2)?);
        let table = (text(&r, 4)?, text(&r, 5)?, text(&r, 6)?);
        // rows come ordered by view: one entry per view, its tables in order
        match posture.views.last_mut() {
            Some(v) if v.schema_name == schema && v.view_name == view => v.tables.push(table),
            _ => posture.views.push(BypassingView {
                schema_name: schema,
                view_name: view,
                owner: text(&r, 3)?,
                tables: vec![table],
            }),
        }
    }
    posture.access = Some(access);
    Ok(posture)
}

/// How the probes name the tenant column's type and comparison, for a
/// column of type `typid`: its base type (a domain's CHECK would run a
/// function of the domain's owner wherever a value is cast to it, in the
/// caller's part of a probe too, with the caller's rights; the column's own
/// assignments still check it, as the role) and that type's equality and,
/// when it has a default btree operator class, its `<` and `>` (the
/// operators of its default operator class as the type cache finds them:
/// varchar's are text's), all schema-qualified: `pg_catalog.int4` and
/// `OPERATOR(pg_catalog.=)`. A probe statement runs under the role's
/// search_path, which the role chooses, so a bare `=` or `int4` there
/// could be the role's own. A type without an equality gets pg_catalog's
/// `=`, which then fails the probe (an ERROR check), never matches
/// silently.
fn probe_type(c: &SpiClient<'_>, typid: pg_sys::Oid) -> Result<ProbeType> {
    let (base, eq) = base_type_equality(typid);
    let (lt, gt) = base_type_order(base);
    let row = crate::prepared::select(
        c,
        "SELECT pg_catalog.format('%I.%I', tn.nspname, t.typname),
                ARRAY(SELECT (SELECT pg_catalog.format('OPERATOR(%I.%s)', n.nspname, o.oprname)
                                FROM pg_catalog.pg_operator o
                                JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
                               WHERE o.oid = k.opr)
                        FROM pg_catalog.unnest(ARRAY[$2, $3, $4]::pg_catalog.oid[]) WITH ORDINALITY AS k(opr, ord)
                       ORDER BY k.ord)
           FROM pg_catalog.pg_type t
           JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
          WHERE t.oid = $1",
        Some(1),
        &[base.into(), eq.into(), lt.into(), gt.into()],
    )?
    .first();
    let name = row
        .get::<String>(1)?
        .ok_or_else(|| RlsAuditError::ObjectState(format!("type {} is gone", typid.to_u32())))?;
    // eq, lt, gt by name, NULL where the type has none (InvalidOid)
    let mut ops = row
        .get::<Vec<Option<String>>>(2)?
        .unwrap_or_default()
        .into_iter();
    let (eq_name, lt_name, gt_name) = (
        ops.next().flatten(),
        ops.next().flatten(),
        ops.next().flatten(),
    );
    let order = lt_name.zip(gt_name);
    Ok(ProbeType {
        name,
        eq: eq_name.unwrap_or_else(|| "OPERATOR(pg_catalog.=)".into()),
        order,
    })
}

/// The tenant column's type as the probes name it (see [`probe_type`]).
#[derive(Clone)]
struct ProbeType {
    name: String,
    eq: String,
    /// `<` and `>` of the type's default btree operator class
    order: Option<(String, String)>,
}

/// The base type of a tenant column's type (a domain's CHECK is never run
/// by a probe's cast) and that base type's equality operator from the type
/// cache (InvalidOid: it has none). The read probes spell them in SQL
/// ([`probe_type`]); the write probes' trigger calls them (crate::shadow).
pub(crate) fn base_type_equality(typid: pg_sys::Oid) -> (pg_sys::Oid, pg_sys::Oid) {
    // SAFETY: catalog cache lookups of the column's type, read in this
    // statement; both raise an ERROR for a type that is gone, never crash
    unsafe {
        let base = pg_sys::getBaseType(typid);
        let entry = pg_sys::lookup_type_cache(base, pg_sys::TYPECACHE_EQ_OPR as std::ffi::c_int);
        (base, (*entry).eq_opr)
    }
}

/// `<` and `>` of a base type's default btree operator class (InvalidOid:
/// it has none). When it has one, the type cache's equality is that
/// class's too, so `a < b`, `a = b` and `a > b` are exactly one true for
/// two values that are not NULL.
fn base_type_order(base: pg_sys::Oid) -> (pg_sys::Oid, pg_sys::Oid) {
    // SAFETY: a type cache lookup of a type read in this statement
    unsafe {
        let flags = (pg_sys::TYPECACHE_LT_OPR | pg_sys::TYPECACHE_GT_OPR) as std::ffi::c_int;
        let entry = pg_sys::lookup_type_cache(base, flags);
        ((*entry).lt_opr, (*entry).gt_opr)
    }
}

/// Functions (schema, name) that are not IMMUTABLE, among `candidates`.
pub(crate) fn non_immutable(
    client: &SpiClient<'_>,
    candidates: &std::collections::BTreeSet<(String, String)>,
) -> Result<std::collections::BTreeSet<(String, String)>> {
    let mut out = std::collections::BTreeSet::new();
    if candidates.is_empty() {
        return Ok(out);
    }
    let (schemas, names): (Vec<String>, Vec<String>) = candidates.iter().cloned().unzip();
    for r in client.select(
        NON_IMMUTABLE.as_str(),
        None,
        &[schemas.into(), names.into()],
    )? {
        out.insert((text(&r, 1)?, text(&r, 2)?));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// isolation: the role, its settings and the tables to probe

/// A role's RLS-relevant attributes.
pub(crate) struct RoleInfo {
    pub(crate) superuser: bool,
    pub(crate) bypassrls: bool,
    /// the search_path a fresh session of the role gets
    pub(crate) search_path: Option<String>,
    /// a fresh login's value of the setting [`role_info`] was asked
    /// about: (value, where from)
    pub(crate) fresh: Option<(String, String)>,
    /// the custom settings a fresh login of the role holds otherwise than
    /// this session does: (lower-case name, value), None where RESET gives
    /// this session the value every login of the database gets
    pub(crate) customs: Vec<(String, Option<String>)>,
}

/// The custom settings (placeholders such as `app.support`) this session
/// holds from somewhere a fresh login of another role would not: a SET, or
/// the caller's own role or connection defaults. Lower-case names, each
/// with whether its login value is one every login of this database shares
/// (the file, ALTER DATABASE ... SET), which RESET gives back.
fn session_placeholders() -> Vec<(String, bool)> {
    let shared = |s: pg_sys::GucSource::Type| s <= pg_sys::GucSource::PGC_S_DATABASE;
    let mut out = Vec::new();
    // SAFETY: PostgreSQL's array of this backend's settings, read only;
    // every entry has a NUL-terminated name
    unsafe {
        #[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
        let (vars, n) = (pg_sys::get_guc_variables(), pg_sys::GetNumConfigOptions());
        #[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
        let (vars, n) = {
            let mut n = 0;
            (pg_sys::get_guc_variables(&mut n), n)
        };
        if vars.is_null() {
            return out;
        }
        for i in 0..usize::try_from(n).unwrap_or(0) {
            let g = *vars.add(i);
            if g.is_null()
                || (*g).name.is_null()
                || (*g).flags & pg_sys::GUC_CUSTOM_PLACEHOLDER as i32 == 0
                || (shared((*g).source) && shared((*g).reset_source))
            {
                continue;
            }
            let name = std::ffi::CStr::from_ptr((*g).name)
                .to_string_lossy()
                .to_lowercase();
            out.push((name, shared((*g).reset_source)));
        }
    }
    out
}

/// What the probes set so that a policy reading a custom setting sees what
/// a fresh login of `role` sees: the role's own defaults of custom
/// settings, and this session's custom settings put back to the fresh
/// login's value (a default of the role or the database, the file), else
/// RESET to the value every login shares, else `''` (PostgreSQL cannot
/// undefine a setting a session has used). `skip`: the tenant setting,
/// which the probes set themselves.
fn fresh_login_customs(
    c: &SpiClient<'_>,
    role: &str,
    skip: Option<&str>,
) -> Result<Vec<(String, Option<String>)>> {
    // name -> Some(shared) for this session's, None for the role's own
    let mut names: std::collections::BTreeMap<String, Option<bool>> = Default::default();
    for r in crate::prepared::select(c, ROLE_CUSTOM_SETTINGS.as_str(), None, &[role.into()])? {
        names.insert(text(&r, 1)?, None);
    }
    for (name, shared) in session_placeholders() {
        names.entry(name).or_insert(Some(shared));
    }
    if let Some(s) = skip {
        names.remove(&s.to_lowercase());
    }
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<&str> = names.keys().map(String::as_str).collect();
    let values = fresh_login_settings(c, role, &list)?;
    Ok(names
        .iter()
        .zip(values)
        .map(|((name, shared), v)| {
            let value = match (v, shared) {
                (Some((v, _)), _) => Some(v),
                (None, Some(true)) => None,
                (None, _) => Some(String::new()),
            };
            (name.clone(), value)
        })
        .collect())
}

/// A fresh login's values of `settings` for `role`: (value, where from)
/// each. The role-in-database, role and database defaults (PostgreSQL's
/// order), then the server's configuration file when the caller may read
/// it, read once for all of them (PostgreSQL parses the file on every
/// read of pg_file_settings).
fn fresh_login_settings(
    c: &SpiClient<'_>,
    role: &str,
    settings: &[&str],
) -> Result<Vec<Option<(String, String)>>> {
    let mut out = Vec::with_capacity(settings.len());
    for setting in settings {
        let mut rows = crate::prepared::select(
            c,
            FRESH_LOGIN_SETTING.as_str(),
            Some(1),
            &[(*role).into(), (*setting).into()],
        )?;
        out.push(match rows.next() {
            Some(r) => Some((text(&r, 1)?, text(&r, 2)?)),
            None => None,
        });
    }
    // the file, for the settings no default names
    let missing: Vec<String> = settings
        .iter()
        .zip(&out)
        .filter(|(_, v)| v.is_none())
        .map(|(s, _)| s.to_lowercase())
        .collect();
    if missing.is_empty() || !one::<bool>(c, MAY_READ_FILE_SETTINGS.as_str(), &[])?.unwrap_or(false)
    {
        return Ok(out);
    }
    let mut in_file = std::collections::HashMap::new();
    for r in crate::prepared::select(c, FILE_SETTING.as_str(), None, &[missing.into()])? {
        in_file.insert(text(&r, 1)?, (text(&r, 2)?, text(&r, 3)?));
    }
    for (setting, v) in settings.iter().zip(out.iter_mut()) {
        if v.is_none() {
            *v = in_file.get(&setting.to_lowercase()).cloned();
        }
    }
    Ok(out)
}

thread_local! {
    /// The server's boot value of search_path: compiled into the server,
    /// so read once per backend.
    static BOOT_SEARCH_PATH: std::cell::OnceCell<Option<String>> =
        const { std::cell::OnceCell::new() };
}

/// `role`'s attributes, its fresh-login search_path and a fresh login's
/// value of `setting` (when given); 42704 when the role does not exist.
pub(crate) fn role_info(c: &SpiClient<'_>, role: &str, setting: Option<&str>) -> Result<RoleInfo> {
    let (superuser, bypassrls) = {
        let mut rows = crate::prepared::select(c, ROLE.as_str(), Some(1), &[role.into()])?;
        let Some(row) = rows.next() else {
            return Err(RlsAuditError::UnknownRole(role.to_string()));
        };
        (flag(&row, 1)?, flag(&row, 2)?)
    };
    let boot_path = match BOOT_SEARCH_PATH.with(|b| b.get().cloned()) {
        Some(p) => p,
        None => {
            let p = one::<String>(c, BOOT_SEARCH_PATH_SQL.as_str(), &[])?;
            BOOT_SEARCH_PATH.with(|b| b.get_or_init(|| p.clone()).clone())
        }
    };
    let names: Vec<&str> = std::iter::once("search_path").chain(setting).collect();
    let mut fresh = fresh_login_settings(c, role, &names)?.into_iter();
    // the role's own search_path, else the database's, else the server's:
    // what the application's sessions would use
    let search_path = match fresh.next().flatten() {
        Some((v, _)) => Some(v),
        None => boot_path,
    };
    Ok(RoleInfo {
        superuser,
        bypassrls,
        search_path,
        fresh: fresh.next().flatten(),
        customs: fresh_login_customs(c, role, setting)?,
    })
}

/// May the session user `SET ROLE` to `role`?
pub(crate) fn may_set_role(c: &SpiClient<'_>, role: &str) -> Result<bool> {
    Ok(one::<bool>(c, MAY_SET_ROLE, &[role.into()])?.unwrap_or(false))
}

/// Is `setting` a setting PostgreSQL knows?
pub(crate) fn setting_known(c: &SpiClient<'_>, setting: &str) -> Result<bool> {
    Ok(one::<bool>(c, SETTING_KNOWN.as_str(), &[setting.into()])?.unwrap_or(false))
}

/// Has this session defined `setting`?
pub(crate) fn setting_defined(c: &SpiClient<'_>, setting: &str) -> Result<bool> {
    Ok(one::<bool>(c, SETTING_DEFINED.as_str(), &[setting.into()])?.unwrap_or(false))
}

/// Does a stored expression tree (`pg_node_tree` text, as the catalog
/// holds it) call a volatile function, such as `nextval()`? Unreadable text
/// counts as volatile.
fn volatile_tree(tree: &str) -> bool {
    let Ok(text) = std::ffi::CString::new(tree) else {
        return true;
    };
    // SAFETY: the catalog's own node text; stringToNode reads it into a
    // tree in the current memory context, which contain_volatile_functions
    // only walks
    unsafe {
        let node = pg_sys::stringToNode(text.as_ptr());
        node.is_null() || pg_sys::contain_volatile_functions(node.cast())
    }
}

/// One policy of a table that applies to a role, as the catalog stores
/// it: the table's OID, USING and WITH CHECK (`pg_node_tree` text), the
/// command (`r`, `a`, `w`, `d`, `*`) and whether it is permissive.
struct PolicyTree {
    table: u32,
    qual: Option<String>,
    check: Option<String>,
    cmd: String,
    permissive: bool,
}

/// The policies of `oids` that apply to `role` (sql/catalog/policy_trees_for.sql).
fn policy_trees(c: &SpiClient<'_>, oids: Vec<pg_sys::Oid>, role: &str) -> Result<Vec<PolicyTree>> {
    crate::prepared::select(
        c,
        POLICY_TREES_FOR.as_str(),
        None,
        &[oids.into(), role.into()],
    )?
    .map(|r| {
        Ok(PolicyTree {
            table: oid(&r, 1)?,
            qual: r.get::<String>(2)?,
            check: r.get::<String>(3)?,
            cmd: r.get::<String>(4)?.unwrap_or_default(),
            permissive: r.get::<bool>(5)?.unwrap_or(true),
        })
    })
    .collect()
}

/// For each of `tables` (OID, the tenant column's base type): the values
/// the policies that apply to `role` compare the tenant `setting` itself
/// with, in that type (its output text): `current_setting('app.tenant_id')::int
/// = 99`, `… IN (98, 99)`, `… = ANY ('{98,99}')`. A policy that opens rows
/// to a reader whose setting holds such a value singles that reader out;
/// no row need have it, so sampling the table never finds it.
pub(crate) fn singled_out_values(
    c: &SpiClient<'_>,
    tables: &[(u32, u32)],
    role: &str,
    setting: &str,
) -> Result<std::collections::BTreeMap<u32, Vec<String>>> {
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|(o, _)| pg_sys::Oid::from(*o)).collect();
    let mut trees: Vec<(u32, String)> = Vec::new();
    for p in policy_trees(c, oids, role)? {
        trees.extend(p.qual.map(|t| (p.table, t)));
        trees.extend(p.check.map(|t| (p.table, t)));
    }
    let bases: std::collections::BTreeMap<u32, u32> = tables.iter().copied().collect();
    let setting = setting.to_lowercase();
    let mut out: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    // each tree is parsed into a context of its own, emptied after its
    // walk: a call over many tables never holds all their trees
    let mut scratch = pgrx::PgMemoryContexts::new("rls_audit policy trees");
    for (table, tree) in trees {
        let (Some(base), Ok(text)) = (bases.get(&table), std::ffi::CString::new(tree)) else {
            continue;
        };
        let mut found = Singled {
            setting: &setting,
            base: pg_sys::Oid::from(*base),
            values: Vec::new(),
        };
        // SAFETY: the catalog's own node text, read into a tree in the
        // scratch context and only walked; what the walk keeps is copied
        // into Rust strings before the context is reset
        unsafe {
            scratch.switch_to(|_| {
                let node = pg_sys::stringToNode(text.as_ptr()).cast::<pg_sys::Node>();
                singled_walk(node, (&mut found as *mut Singled<'_>).cast());
            });
            scratch.reset();
        }
        out.entry(table).or_default().extend(found.values);
    }
    for values in out.values_mut() {
        values.sort();
        values.dedup();
    }
    Ok(out)
}

/// What [`singled_walk`] looks for and what it found.
struct Singled<'a> {
    setting: &'a str,
    base: pg_sys::Oid,
    values: Vec<String>,
}

/// Is operator `opno` spelled `=`?
unsafe fn is_equality(opno: pg_sys::Oid) -> bool {
    // SAFETY: a catalog cache lookup
    unsafe { operator_name(opno) == "=" }
}

/// Whether `node` is a `current_setting(…)` call itself, under casts and
/// `NULLIF(…, '')` (its value is the tenant's own, [`Variant::Tenant`]).
unsafe fn plain_setting(node: *mut pg_sys::Node) -> bool {
    // SAFETY: a node of a tree being walked
    unsafe {
        let mut node = under_casts(node);
        while !node.is_null() && (*node).type_ == pg_sys::NodeTag::T_NullIfExpr {
            node = under_casts(
                pgrx::PgList::<pg_sys::Node>::from_pg((*node.cast::<pg_sys::OpExpr>()).args)
                    .get_ptr(0)
                    .unwrap_or(std::ptr::null_mut()),
            );
        }
        !node.is_null()
            && (*node).type_ == pg_sys::NodeTag::T_FuncExpr
            && matches!(
                (*node.cast::<pg_sys::FuncExpr>()).funcid.to_u32(),
                pg_sys::F_CURRENT_SETTING_TEXT | pg_sys::F_CURRENT_SETTING_TEXT_BOOL
            )
    }
}

/// Does `node` read the setting (a `current_setting` call whose name is a
/// constant equal to it) and no column?
unsafe fn reads_setting(node: *mut pg_sys::Node, setting: &str) -> bool {
    // SAFETY: node is a tree of the caller's; the walkers only read it
    unsafe {
        !node.is_null()
            && !pg_sys::contain_var_clause(node)
            && settings_read(node).iter().any(|name| name == setting)
    }
}

/// The settings `node` reads by `current_setting('name' [, missing_ok])`
/// with a constant name, lowercased, each once (not in its sub-selects).
unsafe fn settings_read(node: *mut pg_sys::Node) -> Vec<String> {
    // SAFETY: the caller's tree, only read
    unsafe { settings_in(node, false) }
}

/// [`settings_read`], in sub-selects too when `deep`.
unsafe fn settings_in(node: *mut pg_sys::Node, deep: bool) -> Vec<String> {
    struct Seen {
        all: Vec<String>,
        deep: bool,
    }
    unsafe extern "C-unwind" fn walk(node: *mut pg_sys::Node, ctx: *mut std::ffi::c_void) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: a node of a tree being walked; ctx is settings_in's Seen
        unsafe {
            let seen = &mut *ctx.cast::<Seen>();
            if (*node).type_ == pg_sys::NodeTag::T_Query {
                return seen.deep && pg_sys::query_tree_walker(node.cast(), Some(walk), ctx, 0);
            }
            if let Some(name) = setting_named(node) {
                if !seen.all.contains(&name) {
                    seen.all.push(name);
                }
            }
            pg_sys::expression_tree_walker(node, Some(walk), ctx)
        }
    }
    let mut seen = Seen {
        all: Vec::new(),
        deep,
    };
    // SAFETY: as above
    unsafe { walk(node, (&mut seen as *mut Seen).cast()) };
    seen.all
}

/// The setting `node` reads when it is a `current_setting('name' [,
/// missing_ok])` call with a constant name: that name, lowercased.
unsafe fn setting_named(node: *mut pg_sys::Node) -> Option<String> {
    // SAFETY: a node of a tree being walked, only read
    unsafe {
        if (*node).type_ != pg_sys::NodeTag::T_FuncExpr {
            return None;
        }
        let f = node.cast::<pg_sys::FuncExpr>();
        let id = (*f).funcid.to_u32();
        if id != pg_sys::F_CURRENT_SETTING_TEXT && id != pg_sys::F_CURRENT_SETTING_TEXT_BOOL {
            return None;
        }
        let first = pgrx::PgList::<pg_sys::Node>::from_pg((*f).args).get_ptr(0)?;
        let k = first.cast::<pg_sys::Const>();
        ((*first).type_ == pg_sys::NodeTag::T_Const
            && !(*k).constisnull
            && (*k).consttype == pg_sys::TEXTOID)
            .then(|| {
                String::from_datum((*k).constvalue, false)
                    .unwrap_or_default()
                    .to_lowercase()
            })
    }
}

/// Adds to `read` the settings with a dot in their names (ones an
/// application defines) that a policy's stored tree (`pg_node_tree` text)
/// reads by a constant name, in sub-selects too, and to `bodies` (when
/// given) those the bodies of the functions it calls name
/// (`candidates::settings_named_in`), each once: the tree read once.
fn note_settings(tree: &str, read: &mut Vec<String>, bodies: Option<&mut Vec<String>>) {
    let Ok(tree) = std::ffi::CString::new(tree) else {
        return;
    };
    // SAFETY: the catalog's own node text, read into a tree and only
    // walked; nothing kept but the names; the bodies are read as text,
    // never run
    unsafe {
        let node = pg_sys::stringToNode(tree.as_ptr()).cast();
        note_dotted(settings_in(node, true), read);
        if let Some(bodies) = bodies {
            note_dotted(
                called_bodies(node)
                    .iter()
                    .flat_map(|b| crate::candidates::settings_named_in(b)),
                bodies,
            );
        }
    }
}

/// Adds to `read` the settings of `names` with a dot in their names,
/// each once.
fn note_dotted(names: impl IntoIterator<Item = String>, read: &mut Vec<String>) {
    for name in names {
        if name.contains('.') && !read.contains(&name) {
            read.push(name);
        }
    }
}

/// The constants of the base type in `node`: a Const, an ARRAY[...] of
/// them, or a constant array.
unsafe fn constants_into(node: *mut pg_sys::Node, found: &mut Singled<'_>) {
    // SAFETY: a node of a tree being walked; values are printed with their
    // type's own output function
    unsafe {
        if node.is_null() {
            return;
        }
        match (*node).type_ {
            pg_sys::NodeTag::T_Const => {
                let k = node.cast::<pg_sys::Const>();
                if (*k).constisnull {
                    return;
                }
                if (*k).consttype == found.base {
                    found
                        .values
                        .push(print_datum((*k).consttype, (*k).constvalue));
                } else if (*k).consttype == pg_sys::TEXTOID {
                    // the setting compared as text (`current_setting(…) =
                    // '99'`): a value when the column's type reads it
                    // the reader's setting is that very text ('095', not 95)
                    let text = print_datum((*k).consttype, (*k).constvalue);
                    if reads_as(&text, found.base) {
                        found.values.push(text);
                    }
                } else if pg_sys::get_element_type((*k).consttype) == found.base {
                    found
                        .values
                        .extend(array_texts((*k).constvalue, found.base));
                }
            }
            pg_sys::NodeTag::T_ArrayExpr => {
                let a = node.cast::<pg_sys::ArrayExpr>();
                for e in pgrx::PgList::<pg_sys::Node>::from_pg((*a).elements).iter_ptr() {
                    constants_into(e, found);
                }
            }
            _ => {}
        }
    }
}

/// Does type `base`'s input function read `text` (the probes cast the
/// tenant value to it)? Its ERROR is caught: an input function holds no
/// lock or buffer, only memory of the current context.
fn reads_as(text: &str, base: pg_sys::Oid) -> bool {
    let Ok(text) = std::ffi::CString::new(text) else {
        return false;
    };
    PgTryBuilder::new(|| {
        // SAFETY: the type's input function on a NUL-terminated string
        unsafe {
            let (mut input, mut ioparam) = (pg_sys::InvalidOid, pg_sys::InvalidOid);
            pg_sys::getTypeInputInfo(base, &mut input, &mut ioparam);
            pg_sys::OidInputFunctionCall(input, text.as_ptr().cast_mut(), ioparam, -1);
            true
        }
    })
    .catch_when(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, |e| e.rethrow())
    .catch_others(|_| false)
    .execute()
}

/// The walker of [`singled_out_values`]: `setting-expression = constant`
/// (either side) and `setting-expression = ANY (constants)`.
unsafe extern "C-unwind" fn singled_walk(
    node: *mut pg_sys::Node,
    ctx: *mut std::ffi::c_void,
) -> bool {
    if node.is_null() {
        return false;
    }
    // SAFETY: a node of a tree being walked; ctx is the Singled of
    // singled_out_values, alive for the walk
    unsafe {
        let found = &mut *ctx.cast::<Singled<'_>>();
        match (*node).type_ {
            pg_sys::NodeTag::T_OpExpr => {
                let op = node.cast::<pg_sys::OpExpr>();
                let args = pgrx::PgList::<pg_sys::Node>::from_pg((*op).args);
                if let (2, Some(a), Some(b)) = (args.len(), args.get_ptr(0), args.get_ptr(1)) {
                    if is_equality((*op).opno) {
                        if reads_setting(a, found.setting) {
                            constants_into(b, found);
                        } else if reads_setting(b, found.setting) {
                            constants_into(a, found);
                        }
                    }
                }
            }
            pg_sys::NodeTag::T_ScalarArrayOpExpr => {
                let op = node.cast::<pg_sys::ScalarArrayOpExpr>();
                let args = pgrx::PgList::<pg_sys::Node>::from_pg((*op).args);
                if let (true, 2, Some(a), Some(b)) =
                    ((*op).useOr, args.len(), args.get_ptr(0), args.get_ptr(1))
                {
                    if is_equality((*op).opno) && reads_setting(a, found.setting) {
                        constants_into(b, found);
                    }
                }
            }
            // a sub-select's own expressions (`EXISTS (SELECT 1 WHERE …)`):
            // PostgreSQL's walker hands the Query over and stops there
            pg_sys::NodeTag::T_Query => {
                return pg_sys::query_tree_walker(
                    node.cast::<pg_sys::Query>(),
                    Some(singled_walk),
                    ctx,
                    0,
                );
            }
            _ => {}
        }
        pg_sys::expression_tree_walker(node, Some(singled_walk), ctx)
    }
}

/// For each of `tables` (OID, tenant column): the values the
/// checks of its write policies for `role` (INSERT, UPDATE and ALL: WITH
/// CHECK, else USING) compare its other columns with, as (column, value
/// text, None for NULL), at most `limit` of them: `kind = 'shared'`,
/// `kind IN ('a', 'b')`, a boolean column (`OR is_public`: true and
/// false), `col IS NULL` ([`Variant::NotNull`] for `IS NOT NULL`), a
/// value past an ordering comparison's or a pattern's constant
/// (`priority > 5`: 6, `title LIKE 'public:%'`: `public:`, `title ~
/// '^pub-[0-9]+$'`: `pub-0`, SIMILAR TO too; see [`values_passing`]), a
/// string as long as a length comparison asks, a date or timestamp at the
/// end of time that passes (`published_at <= now()`: `-infinity`), IS
/// DISTINCT FROM's NULL, a boolean function's constant
/// (`starts_with(kind, 'pub')`), under NOT too, and a column compared
/// with the tenant `setting` itself (`OR
/// partner_id = current_setting(…)::int`: the value [`Variant::Tenant`],
/// each probed tenant's own). The terms of a conjunction (`OR (is_public
/// AND kind = 'shared')`) are also set together: an entry, then
/// [`Variant::Also`] entries for the constants set with it (at most
/// `limit / 2` conjunctions, after the others). A check that lets a
/// row through by such a column (`tenant_id = … OR is_public`) lets an
/// INSERT or a move put a row in another tenant's hands only with that
/// value, which the rows the write probe copies need not have; the probe
/// tries each (sql/probe.sql). Values the column's type does not read are
/// left out.
pub(crate) fn check_variants(
    c: &SpiClient<'_>,
    tables: &[(u32, &str)],
    role: &str,
    search_path: Option<&str>,
    setting: &str,
    limit: usize,
) -> Result<std::collections::BTreeMap<u32, Vec<(String, Variant)>>> {
    let mut out: std::collections::BTreeMap<u32, Vec<(String, Variant)>> = Default::default();
    if tables.is_empty() {
        return Ok(out);
    }
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|(o, _)| pg_sys::Oid::from(*o)).collect();
    // (table, tree, whether it is a write's check; else the USING of a
    // DELETE or UPDATE policy, read for the terms that reach rows; whether
    // the policy is permissive; its command)
    let mut trees: Vec<(u32, String, bool, bool, String)> = Vec::new();
    let policies = policy_trees(c, oids, role)?;
    let setting = setting.to_lowercase();
    // (the other policies' terms a DELETE's and an UPDATE's claimed rows
    // must pass too: claims::passing)
    let passing = AsRole::new(role, search_path).map(|as_role| {
        [("d", ["d", "*"]), ("w", ["w", "*"]), ("*", ["*", "*"])].map(|(cmd, of)| {
            (
                cmd,
                claims::passing(&policies, tables, &of, &as_role, &setting),
            )
        })
    });
    for p in policies {
        // PostgreSQL's check of a new row: WITH CHECK, else USING (an
        // INSERT policy has no USING)
        if matches!(p.cmd.as_str(), "d" | "w" | "*") {
            trees.extend(
                p.qual
                    .clone()
                    .map(|t| (p.table, t, false, p.permissive, p.cmd.clone())),
            );
        }
        if matches!(p.cmd.as_str(), "a" | "w" | "*") {
            trees.extend(
                p.check
                    .or(p.qual)
                    .map(|t| (p.table, t, true, p.permissive, p.cmd.clone())),
            );
        }
    }
    let mut looked_up: std::collections::BTreeMap<(u32, i16), Vec<String>> = Default::default();
    // (the constants a restrictive policy's check holds rows to, per
    // table: `tenant_id = … OR NOT archived`, `archived` false)
    let mut holding: std::collections::BTreeMap<u32, Vec<(String, Option<String>)>> =
        Default::default();
    // (and those a permissive policy's check lets a row through by, `OR
    // is_public`; and the variants of a restrictive policy's check that
    // are not constants, `OR owner_id = current_setting('app.user_id',
    // true)::int`: a row of another tenant goes in only with one of those)
    let mut opening: std::collections::BTreeMap<u32, Vec<(String, Option<String>)>> =
        Default::default();
    let mut restricting: std::collections::BTreeMap<u32, Vec<(String, Variant)>> =
        Default::default();
    let mut deferred: std::collections::BTreeMap<u32, Vec<(String, Variant)>> = Default::default();
    let mut scratch = pgrx::PgMemoryContexts::new("rls_audit check variants");
    let as_role = AsRole::new(role, search_path);
    for (table, tree, check, permissive, cmd) in trees {
        let Some(column) = tables.iter().find(|(o, _)| *o == table).map(|(_, c)| *c) else {
            continue;
        };
        let relid = pg_sys::Oid::from(table);
        let out = out.entry(table).or_default();
        let (Ok(text), Ok(name), Some(as_role)) = (
            std::ffi::CString::new(tree),
            std::ffi::CString::new(column),
            as_role.as_ref(),
        ) else {
            continue;
        };
        // SAFETY: a catalog cache lookup of the table's column
        let tenant = unsafe { pg_sys::get_attnum(relid, name.as_ptr()) };
        // a permissive policy's terms that reach rows by other columns
        // (`OR a - b = 777`) or other tenants (`OR tenant_id = 1400`): in
        // a DELETE or UPDATE policy's USING, each a `Reach`; in a write's
        // check, those of the tenant column alone (`OR tenant_id IN
        // (SELECT child FROM tree WHERE parent = …)`), each a `Targets` (a
        // restrictive policy's only hold rows back)
        // SAFETY: as below
        // (a restrictive policy's USING: its claims alone, `OR owner_id =
        // current_setting('app.user_id', true)::int`, which a request may
        // pass for rows a permissive policy reaches)
        let terms = if !permissive && check {
            Vec::new()
        } else {
            unsafe {
                let terms = scratch.switch_to(|_| {
                    let node = pg_sys::stringToNode(text.as_ptr()).cast::<pg_sys::Node>();
                    reach_terms(node, relid, tenant, as_role, &setting)
                });
                scratch.reset();
                terms
            }
        };
        for (term, by, other, claim) in terms {
            if !permissive && claim.is_none() {
                continue;
            }
            let entry = match (check, claim) {
                // (a term by a setting the application sets per request:
                // the rows it reaches for some value of it, and that value)
                (false, Some(claim)) => {
                    let passing = passing
                        .as_ref()
                        .and_then(|p| p.iter().find(|(c, _)| *c == cmd))
                        .and_then(|(_, p)| p.get(&table));
                    Variant::Claims(Box::new(claim.within(passing, !permissive)))
                }
                (false, None) => Variant::Reach(term, by),
                // (a check's term of the tenant column by such a setting
                // passes the tenant it is given: moves and inserts for
                // each other tenant run with it given that tenant)
                (true, Some(claim)) if !other => Variant::ClaimedTargets(Box::new(claim)),
                (true, _) if !other => Variant::Targets(term, by),
                (true, _) => continue,
            };
            let entry = (column.to_string(), entry);
            let reach = out
                .iter()
                .filter(|(_, v)| std::mem::discriminant(v) == std::mem::discriminant(&entry.1))
                .count();
            if reach < REACH_TERMS && !out.contains(&entry) {
                out.push(entry);
            }
        }
        if !check {
            continue;
        }
        let mut found = Variants {
            relid,
            depth: 0,
            negated: false,
            setting: &setting,
            tenant,
            found: Vec::new(),
            combined: Vec::new(),
            queries: Vec::new(),
        };
        // SAFETY: the catalog's own node text, read into a tree in the
        // scratch context and only walked; the values are Rust strings
        unsafe {
            scratch.switch_to(|_| {
                let node = pg_sys::stringToNode(text.as_ptr()).cast::<pg_sys::Node>();
                variants_walk(node, (&mut found as *mut Variants<'_>).cast());
            });
            scratch.reset();
        }
        // a column's name, when it is one the probe may set to `value`
        let usable = |attno: i16, value: &Variant| -> Option<String> {
            // SAFETY: catalog cache lookups of the table's own column
            let (name, typ) = unsafe {
                let name = pg_sys::get_attname(relid, attno, true);
                if name.is_null() {
                    return None;
                }
                (
                    std::ffi::CStr::from_ptr(name)
                        .to_string_lossy()
                        .into_owned(),
                    pg_sys::get_atttype(relid, attno),
                )
            };
            (name != column && !matches!(value, Variant::Value(Some(v)) if !reads_as(v, typ)))
                .then_some(name)
        };
        // (the values another table has for a column compared with this
        // one: a few, as they come, read once per call)
        let mut read = |table: u32, col: i16| -> Vec<Variant> {
            looked_up
                .entry((table, col))
                .or_insert_with(|| lookup_values(table, col))
                .iter()
                .map(|v| Variant::Value(Some(v.clone())))
                .collect()
        };
        // (a term of several columns last: it counts against the limit
        // after every other)
        let (rows, single): (Vec<_>, Vec<_>) = std::mem::take(&mut found.found)
            .into_iter()
            .partition(|(_, v)| matches!(v, Variant::Rows(_)));
        // (the tenant column compared with constants, `OR (tenant_id = 3
        // AND is_public)`: the tenants among them the table has, each
        // tried as a target too, probed or not)
        for (attno, value) in &single {
            if let (true, Variant::Value(Some(v))) = (*attno == found.tenant, value) {
                let entry = (column.to_string(), Variant::Target(v.clone()));
                let targets = out
                    .iter()
                    .filter(|(_, v)| matches!(v, Variant::Target(_)))
                    .count();
                if targets < NAMED_TENANTS && !out.contains(&entry) && has_value(table, *attno, v) {
                    out.push(entry);
                }
            }
        }
        for (attno, value) in single {
            let values = match value {
                Variant::Lookup(table, col) => read(table, col),
                value => vec![value],
            };
            for value in values {
                let Some(name) = usable(attno, &value) else {
                    continue;
                };
                match (permissive, &value) {
                    (false, Variant::Value(v)) => {
                        let holds = holding.entry(table).or_default();
                        if !holds.iter().any(|(n, _)| *n == name) {
                            holds.push((name.clone(), v.clone()));
                        }
                    }
                    (true, Variant::Value(v)) => {
                        let opens = opening.entry(table).or_default();
                        if !opens.iter().any(|(n, _)| *n == name) {
                            opens.push((name.clone(), v.clone()));
                        }
                    }
                    (false, _) => {
                        let restricts = restricting.entry(table).or_default();
                        if !restricts.iter().any(|(n, v)| *n == name && *v == value) {
                            restricts.push((name.clone(), value.clone()));
                        }
                    }
                    (true, _) => {}
                }
                if !out.iter().any(|(n, v)| *n == name && *v == value) && primaries(out) < limit {
                    out.push((name, value));
                }
            }
        }
        // (a column compared with two settings a request sets, `id =
        // app.user AND (app.claims ->> 'uid')::int = id`: one value both
        // give, the two set together)
        let claimed: Vec<(String, Variant)> = out
            .iter()
            .filter(|(_, v)| matches!(v, Variant::Claimed(..)))
            .cloned()
            .collect();
        for (i, (name, a)) in claimed.iter().enumerate() {
            for (other, b) in &claimed[i + 1..] {
                let entry = match claimed_together(a, b) {
                    Some(both) if other == name => (name.clone(), both),
                    _ => continue,
                };
                if !out.contains(&entry) && primaries(out) < limit {
                    out.push(entry);
                }
            }
        }
        // the values of a conjunction's columns, set together: the first
        // that is not a constant (it is the one the probe reads or takes
        // per tenant), then the constants
        for combined in std::mem::take(&mut found.combined) {
            let mut set: Vec<(String, Variant)> = Vec::new();
            for (attno, value) in combined {
                // (another table's: its first value)
                let value = match value {
                    Variant::Lookup(table, col) => match read(table, col).into_iter().next() {
                        Some(v) => v,
                        None => continue,
                    },
                    value => value,
                };
                if let Some(name) = usable(attno, &value) {
                    if !set.iter().any(|(n, _)| *n == name) {
                        set.push((name, value));
                    }
                }
            }
            let first = set
                .iter()
                .position(|(_, v)| !matches!(v, Variant::Value(_)))
                .unwrap_or(0);
            if set.len() < 2 {
                continue;
            }
            let (name, value) = set.remove(first);
            let mut entry = vec![(name, value)];
            entry.extend(set.into_iter().filter_map(|(n, v)| match v {
                Variant::Value(v) => Some((n, Variant::Also(v))),
                _ => None,
            }));
            let conjunctions = out
                .windows(2)
                .filter(|w| {
                    matches!(w[1].1, Variant::Also(_)) && !matches!(w[0].1, Variant::Also(_))
                })
                .count();
            if entry.len() < 2
                || conjunctions >= limit / 2
                || out.windows(entry.len()).any(|w| w == entry.as_slice())
            {
                continue;
            }
            out.extend(entry);
        }
        deferred.entry(table).or_default().extend(
            rows.into_iter()
                .filter_map(|(attno, value)| Some((usable(attno, &value)?, value))),
        );
    }
    // (terms of several columns: after every other variant of the
    // table's policies)
    for (table, rows) in deferred {
        let out = out.entry(table).or_default();
        for entry in rows {
            if !out.contains(&entry) && primaries(out) < limit {
                out.push(entry);
            }
        }
    }
    // each variant that stands alone again with the columns a restrictive
    // policy's check holds rows to set to the constants that pass it
    // (`OR owner_id = current_setting('app.user_id', true)::int` beside a
    // restrictive `OR NOT archived`: a row of another tenant goes in only
    // with both), after every other: each alone passes one policy
    for (table, holds) in &holding {
        let out = out.entry(*table).or_default();
        let alone: Vec<(String, Variant)> = out
            .iter()
            .enumerate()
            .filter(|(i, (name, v))| {
                matches!(
                    v,
                    Variant::Value(_)
                        | Variant::Tenant
                        | Variant::NotNull
                        | Variant::Computed(_)
                        | Variant::Claimed(..)
                        | Variant::Searched(..)
                ) && !matches!(out.get(i + 1), Some((_, Variant::Also(_))))
                    && !holds.iter().any(|(h, _)| h == name)
            })
            .map(|(_, e)| e.clone())
            .collect();
        for (name, value) in alone {
            if primaries(out) >= limit {
                break;
            }
            let mut entry = vec![(name, value)];
            entry.extend(
                holds
                    .iter()
                    .map(|(h, v)| (h.clone(), Variant::Also(v.clone()))),
            );
            if !out.windows(entry.len()).any(|w| w == entry.as_slice()) {
                out.extend(entry);
            }
        }
    }
    // and each restrictive check's variant that is not a constant with
    // the columns a permissive check lets a row through by, and those the
    // other restrictive checks hold rows to, set to their constants
    for (table, restricts) in restricting {
        let Some(opens) = opening.get(&table).filter(|o| !o.is_empty()) else {
            continue;
        };
        let holds = holding.get(&table).cloned().unwrap_or_default();
        let out = out.entry(table).or_default();
        for (name, value) in restricts {
            if primaries(out) >= limit {
                break;
            }
            let mut entry = vec![(name.clone(), value)];
            for (column, v) in opens.iter().chain(&holds) {
                if *column != name && !entry.iter().any(|(c, _)| c == column) {
                    entry.push((column.clone(), Variant::Also(v.clone())));
                }
            }
            if entry.len() > 1 && !out.windows(entry.len()).any(|w| w == entry.as_slice()) {
                out.extend(entry);
            }
        }
    }
    Ok(out)
}

/// How many of a table's variants count against [`check_variants`]'
/// limit: not a value set together with the one before it, a tenant a
/// check names or the terms that name them, or a term that reaches rows
/// (they set no column of their own).
fn primaries(out: &[(String, Variant)]) -> usize {
    out.iter()
        .filter(|(_, v)| {
            !matches!(
                v,
                Variant::Also(_)
                    | Variant::Target(_)
                    | Variant::Reach(..)
                    | Variant::Targets(..)
                    | Variant::Claims(_)
                    | Variant::ClaimedTargets(_)
            )
        })
        .count()
}

/// Up to [`LOOKUP_VALUES`] values of column `col` of table `table` (a
/// table a write check reads), as text, read as the caller with row
/// security off: a table whose policies would apply to the caller gives
/// none (no policy's code runs as the caller for this), nor does one the
/// caller may not read.
fn lookup_values(table: u32, col: i16) -> Vec<String> {
    crate::candidates::dedup(
        read_as_caller(table, col, |table, column, _| {
            format!("SELECT l.{column}::pg_catalog.text FROM {table} l WHERE l.{column} IS NOT NULL LIMIT {LOOKUP_VALUES}")
        })
        .unwrap_or_default()
        .into_iter()
        .flatten(),
    )
}

/// The first column, as text, of the rows `query` selects from table
/// `table` (given its qualified name, column `col`'s quoted name and that
/// column's base type, qualified), read as the caller with row security
/// off in a rolled-back subtransaction (the setting goes with it). None
/// for a table or column that is gone, and when the read fails: a table
/// whose policies would apply to the caller (no policy's code runs as the
/// caller for this), or one it may not read.
fn read_as_caller(
    table: u32,
    col: i16,
    query: impl FnOnce(&str, &str, &str) -> String,
) -> Option<Vec<Option<String>>> {
    // SAFETY: catalog cache lookups of the table, its column and its
    // type; NULL for one that is gone
    let (nsp, rel, att, typ) = unsafe {
        let relid = pg_sys::Oid::from(table);
        let (nsp, rel, att) = (
            pg_sys::get_namespace_name(pg_sys::get_rel_namespace(relid)),
            pg_sys::get_rel_name(relid),
            pg_sys::get_attname(relid, col, true),
        );
        if nsp.is_null() || rel.is_null() || att.is_null() {
            return None;
        }
        // (its base type: a cast to a domain would run its CHECK as the
        // caller)
        let typ = pg_sys::format_type_extended(
            pg_sys::getBaseType(pg_sys::get_atttype(relid, col)),
            -1,
            pg_sys::FORMAT_TYPE_FORCE_QUALIFY as u16,
        );
        (
            name_or_empty(nsp),
            name_or_empty(rel),
            name_or_empty(att),
            name_or_empty(typ),
        )
    };
    let sql = std::ffi::CString::new(query(
        &crate::ident::quote_qualified(&nsp, &rel),
        &crate::ident::quote_ident(&att),
        &typ,
    ))
    .ok()?;
    let off = c"SELECT pg_catalog.set_config('row_security', 'off', true)";
    crate::shadow::rolled_back(|| {
        // SAFETY: SPI is connected (check_variants' client); a plain
        // SELECT with every name qualified, in a rolled-back subtransaction
        // (the setting goes with it)
        unsafe {
            crate::shadow::select_text(off, 1);
            crate::shadow::select_text(&sql, 1)
        }
    })
    .ok()
    .map(|rows| {
        rows.into_iter()
            .map(|mut row| row.pop().flatten())
            .collect()
    })
}

/// At most this many values of a table a write check reads, per column.
const LOOKUP_VALUES: usize = 3;

/// At most this many terms of a table's DELETE and UPDATE policies that
/// reach rows by other columns (`Variant::Reach`).
const REACH_TERMS: usize = 4;

/// The terms of a DELETE or UPDATE policy's USING `node` (its
/// disjuncts, `tenant_id = … OR a - b = 777`) that reach rows by a column
/// other than the tenant column (`tenant`), or by the tenant column
/// otherwise than by the tenant's own value (`OR tenant_id = 4177`: the
/// shadow holds the first row of the first 1 000 tenants only; not
/// `tenant_id = current_setting(setting)`), as SQL of the table's columns
/// by their bare names, to choose which rows of the table the shadow
/// holds besides its first ones. The caller evaluates a term of the
/// table's own columns and sub-selects of tables, with no function that
/// is not built in or is volatile ([`reach_walk`]: no code of the
/// application's runs as the caller). The role evaluates any other
/// ([`ReachBy::Role`]). In each, the current user (`owner =
/// current_user`) and the settings SET ROLE changes are `role`'s, as when
/// the role runs the statement ([`as_role`]). Each with whether it reads
/// a column besides the tenant column, and (read by the caller) the
/// term again by a setting the application sets per request that it
/// compares a column with ([`claim_term`]).
unsafe fn reach_terms(
    node: *mut pg_sys::Node,
    relid: pg_sys::Oid,
    tenant: i16,
    role: &AsRole,
    setting: &str,
) -> Vec<(String, ReachBy, bool, Option<ReachClaim>)> {
    // SAFETY: nodes of the tree being walked, only read
    unsafe {
        let mut disjuncts = vec![node];
        let mut out = Vec::new();
        while let Some(term) = disjuncts.pop() {
            if term.is_null() {
                continue;
            }
            if (*term).type_ == pg_sys::NodeTag::T_BoolExpr
                && (*term.cast::<pg_sys::BoolExpr>()).boolop == pg_sys::BoolExprType::OR_EXPR
            {
                let args =
                    pgrx::PgList::<pg_sys::Node>::from_pg((*term.cast::<pg_sys::BoolExpr>()).args);
                let mut args: Vec<_> = args.iter_ptr().collect();
                args.reverse();
                disjuncts.extend(args);
                continue;
            }
            let mut seen = Reach::new(tenant);
            reach_walk(term, (&mut seen as *mut Reach).cast());
            // (a term of no other column reaches no other tenant's row,
            // unless the application sets a setting it reads so:
            // `current_setting('app.support', true) = 'on'`)
            let own = !seen.other && (!seen.read_tenant || own_tenant(term, tenant, setting));
            if own && !seen.setting && !seen.role {
                continue;
            }
            let by = match seen {
                Reach { role: true, .. } => ReachBy::Role,
                Reach { setting: true, .. } => ReachBy::Caller,
                _ => ReachBy::Once,
            };
            // (the term again with the comparison by such a setting `col
            // IS NOT NULL`, or `true`: read by the caller when it holds
            // nothing else the caller must not run, `auth.uid() = owner`
            // aside)
            let claim = match by {
                ReachBy::Once => None,
                _ => claim_term(term, relid, setting, &role.path).and_then(|(t, givens)| {
                    let mut rest = Reach::new(tenant);
                    reach_walk(t, (&mut rest as *mut Reach).cast());
                    // (a table with row-level security the caller reads
                    // as it is: rows to try, not a verdict)
                    if rest.code {
                        return None;
                    }
                    Some(ReachClaim {
                        term: format!("({})", printed_term(as_role(t, role), relid, 0)?),
                        givens,
                    })
                }),
            };
            if own && claim.is_none() {
                continue;
            }
            let term = as_role(term, role);
            let printed = match by {
                ReachBy::Role => {
                    crate::capture::with_path(&role.path, || printed_term(term, relid, 0))
                }
                _ => printed_term(term, relid, 0),
            };
            out.extend(printed.map(|t| (format!("({t})"), by, seen.other, claim)));
        }
        out
    }
}

/// The role a term is read for ([`as_role`]).
pub(crate) struct AsRole {
    name: std::ffi::CString,
    /// its `is_superuser` setting, `on` or `off`
    superuser: &'static std::ffi::CStr,
    /// the search_path a term it evaluates is printed under
    /// ([`role_path`]): the one the probe evaluates it under
    path: std::ffi::CString,
    /// whether the probes take the role by SESSION AUTHORIZATION, as in
    /// its own sessions (a superuser caller who has not SET ROLE:
    /// `session_user` is the role there, and the `role` setting `none`),
    /// else by SET ROLE (see `rls_audit._probe`)
    by_session: bool,
}

impl AsRole {
    /// `role` with its sessions' `search_path` (None: the probes' pinned
    /// one); None for a name with a NUL, which no role has.
    pub(crate) fn new(role: &str, search_path: Option<&str>) -> Option<Self> {
        let name = std::ffi::CString::new(role).ok()?;
        let path = std::ffi::CString::new(match search_path {
            Some(path) => role_path(path, role),
            None => "pg_catalog, pg_temp".into(),
        })
        .ok()?;
        // SAFETY: catalog cache lookups (an unknown role is no superuser)
        // and reads of this session's user ids and `role` setting
        let (superuser, by_session) = unsafe {
            let oid = pg_sys::get_role_oid(name.as_ptr(), true);
            let set_role = pg_sys::GetConfigOption(c"role".as_ptr(), true, false);
            (
                oid != pg_sys::InvalidOid && pg_sys::superuser_arg(oid),
                pg_sys::GetSessionUserId() == pg_sys::GetUserId()
                    && !set_role.is_null()
                    && std::ffi::CStr::from_ptr(set_role) == c"none"
                    && pg_sys::superuser(),
            )
        };
        Some(Self {
            name,
            superuser: if superuser { c"on" } else { c"off" },
            path,
            by_session,
        })
    }
}

/// `path`, a search_path of `role`'s sessions, as it resolves for
/// `role`: `$user` its name, then `pg_temp` (searched last, not first:
/// the probe's own temporary tables must not stand for the application's).
/// The probe evaluates a term the role evaluates under that path, where
/// the application's functions find what their unqualified names name in
/// its sessions; the term is printed under it too, so that each name in it
/// means the same object there (PostgreSQL's deparser qualifies what the
/// path would resolve otherwise: a role's own `=` or `text` before
/// pg_catalog's).
fn role_path(path: &str, role: &str) -> String {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for ch in path.chars() {
        match ch {
            ',' if !quoted => parts.push(String::new()),
            _ => {
                quoted ^= ch == '"';
                if let Some(last) = parts.last_mut() {
                    last.push(ch);
                }
            }
        }
    }
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| match p {
            "$user" | "\"$user\"" => crate::ident::quote_ident(role),
            p => p.to_string(),
        })
        .chain(std::iter::once("pg_temp".to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A copy of `node` in which each reading of who runs it is a constant,
/// what it reads when the probes run the statement as `role`, not what
/// it reads as the caller who evaluates the term (or in a SECURITY
/// DEFINER function of the role's, which reads the caller's settings and
/// session user): the current user (`current_user`, `current_role`,
/// `user`, `"current_user"()`) is the role's name, of type name, and
/// `current_setting('is_superuser')` its own, of type text. Taken by
/// SESSION AUTHORIZATION ([`AsRole::by_session`]), the session user
/// (`session_user`, `current_setting('session_authorization')`) is the
/// role too and `current_setting('role')` is `none`; taken by SET ROLE,
/// the session user stays the caller's and `role` is the role's name.
/// Into sub-selects too.
unsafe fn as_role(node: *mut pg_sys::Node, role: &AsRole) -> *mut pg_sys::Node {
    unsafe extern "C-unwind" fn swap(
        node: *mut pg_sys::Node,
        ctx: *mut std::ffi::c_void,
    ) -> *mut pg_sys::Node {
        if node.is_null() {
            return node;
        }
        // SAFETY: a node of the tree being copied; ctx is as_role's AsRole
        unsafe {
            let role = &*ctx.cast::<AsRole>();
            let set = match setting_named(node).as_deref() {
                Some("role") if role.by_session => Some(c"none"),
                Some("role") => Some(role.name.as_c_str()),
                Some("session_authorization") if role.by_session => Some(role.name.as_c_str()),
                Some("is_superuser") => Some(role.superuser),
                _ => None,
            };
            if let Some(value) = set {
                return pg_sys::makeConst(
                    pg_sys::TEXTOID,
                    -1,
                    pg_sys::DEFAULT_COLLATION_OID,
                    -1,
                    pg_sys::Datum::from(pg_sys::cstring_to_text(value.as_ptr())),
                    false,
                    false,
                )
                .cast();
            }
            let user = match (*node).type_ {
                pg_sys::NodeTag::T_SQLValueFunction => match (*node
                    .cast::<pg_sys::SQLValueFunction>())
                .op
                {
                    pg_sys::SQLValueFunctionOp::SVFOP_CURRENT_USER
                    | pg_sys::SQLValueFunctionOp::SVFOP_CURRENT_ROLE
                    | pg_sys::SQLValueFunctionOp::SVFOP_USER => true,
                    op => role.by_session && op == pg_sys::SQLValueFunctionOp::SVFOP_SESSION_USER,
                },
                pg_sys::NodeTag::T_FuncExpr => {
                    let f = (*node.cast::<pg_sys::FuncExpr>()).funcid;
                    f == pg_sys::Oid::from(pg_sys::F_CURRENT_USER)
                        || (role.by_session && f == pg_sys::Oid::from(pg_sys::F_SESSION_USER))
                }
                pg_sys::NodeTag::T_Query => {
                    return query_mutator(node.cast(), swap, ctx).cast();
                }
                _ => false,
            };
            if user {
                let name = pg_sys::palloc0(pg_sys::NAMEDATALEN as usize).cast::<pg_sys::NameData>();
                pg_sys::namestrcpy(name, role.name.as_ptr());
                return pg_sys::makeConst(
                    pg_sys::NAMEOID,
                    -1,
                    pg_sys::C_COLLATION_OID,
                    pg_sys::NAMEDATALEN as i32,
                    pg_sys::Datum::from(name),
                    false,
                    false,
                )
                .cast();
            }
            expression_mutator(node, swap, ctx)
        }
    }
    // SAFETY: the caller's node; swap copies what it changes and only
    // reads role
    unsafe { swap(node, (role as *const AsRole).cast_mut().cast()) }
}

/// A copy of `node` as a new session evaluates it, where the settings
/// `unset` (lowercased) were never set: `current_setting('s', true)` is
/// NULL there, and `current_setting('s')` raises 42704 (in this session,
/// once anything set them, they are placeholders whose value is `''`), in
/// sub-selects too. The error names `rls_audit.unset.s` ([`UNSET`]).
pub(crate) unsafe fn as_unset(node: *mut pg_sys::Node, unset: &[String]) -> *mut pg_sys::Node {
    unsafe extern "C-unwind" fn swap(
        node: *mut pg_sys::Node,
        ctx: *mut std::ffi::c_void,
    ) -> *mut pg_sys::Node {
        if node.is_null() {
            return node;
        }
        // SAFETY: a node of the tree being copied; ctx is as_unset's names
        unsafe {
            if (*node).type_ == pg_sys::NodeTag::T_Query {
                return query_mutator(node.cast(), swap, ctx).cast();
            }
            let unset = &*ctx.cast::<&[String]>();
            if let Some(name) = setting_named(node).filter(|n| unset.contains(n)) {
                let args =
                    pgrx::PgList::<pg_sys::Node>::from_pg((*node.cast::<pg_sys::FuncExpr>()).args);
                // (missing_ok: a constant true, else not)
                let missing_ok = args.get_ptr(1).is_some_and(|m| {
                    let k = m.cast::<pg_sys::Const>();
                    (*m).type_ == pg_sys::NodeTag::T_Const
                        && !(*k).constisnull
                        && bool::from_datum((*k).constvalue, false) == Some(true)
                });
                if missing_ok {
                    return pg_sys::makeNullConst(
                        pg_sys::TEXTOID,
                        -1,
                        pg_sys::DEFAULT_COLLATION_OID,
                    )
                    .cast();
                }
                if let Ok(unknown) = std::ffi::CString::new(format!("{UNSET}{name}")) {
                    let copy = pg_sys::copyObjectImpl(node.cast()).cast::<pg_sys::FuncExpr>();
                    let k = pg_sys::makeConst(
                        pg_sys::TEXTOID,
                        -1,
                        pg_sys::DEFAULT_COLLATION_OID,
                        -1,
                        pg_sys::Datum::from(pg_sys::cstring_to_text(unknown.as_ptr())),
                        false,
                        false,
                    );
                    let mut list = pgrx::PgList::<pg_sys::Node>::new();
                    list.push(k.cast());
                    for a in args.iter_ptr().skip(1) {
                        list.push(a);
                    }
                    (*copy).args = list.into_pg();
                    return copy.cast();
                }
            }
            expression_mutator(node, swap, ctx)
        }
    }
    let mut unset = unset;
    // SAFETY: the caller's node; swap copies what it changes
    unsafe { swap(node, (&mut unset as *mut &[String]).cast()) }
}

/// The prefix of the name a setting not set in a new session is read as
/// ([`as_unset`]): none has it, so reading it raises the error a new
/// session raises for the setting (42704), its message naming
/// `rls_audit.unset.<the setting>`.
pub(crate) const UNSET: &str = "rls_audit.unset.";

/// A callback of PostgreSQL's tree mutators.
type Mutator =
    unsafe extern "C-unwind" fn(*mut pg_sys::Node, *mut std::ffi::c_void) -> *mut pg_sys::Node;

/// `f` as PostgreSQL before 16 declares a mutator: without its
/// arguments (it calls it with them).
#[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
fn declared(f: Mutator) -> Option<unsafe extern "C-unwind" fn() -> *mut pg_sys::Node> {
    // SAFETY: the same function pointer, its arguments left undeclared
    Some(unsafe {
        std::mem::transmute::<Mutator, unsafe extern "C-unwind" fn() -> *mut pg_sys::Node>(f)
    })
}

/// PostgreSQL's `expression_tree_mutator` (a macro over `_impl` since 16).
unsafe fn expression_mutator(
    node: *mut pg_sys::Node,
    f: Mutator,
    ctx: *mut std::ffi::c_void,
) -> *mut pg_sys::Node {
    // SAFETY: the caller's node and callback
    unsafe {
        #[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
        return pg_sys::expression_tree_mutator(node, declared(f), ctx);
        #[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
        return pg_sys::expression_tree_mutator_impl(node, Some(f), ctx);
    }
}

/// PostgreSQL's `query_tree_mutator`, as [`expression_mutator`]: a copy
/// of `query` with its expressions (and sub-queries) passed through `f`.
unsafe fn query_mutator(
    query: *mut pg_sys::Query,
    f: Mutator,
    ctx: *mut std::ffi::c_void,
) -> *mut pg_sys::Query {
    // SAFETY: as expression_mutator
    unsafe {
        #[cfg(any(feature = "pg13", feature = "pg14", feature = "pg15"))]
        return pg_sys::query_tree_mutator(query, declared(f), ctx, 0);
        #[cfg(not(any(feature = "pg13", feature = "pg14", feature = "pg15")))]
        return pg_sys::query_tree_mutator_impl(query, Some(f), ctx, 0);
    }
}

/// Whether `term` is the tenant column (under casts) `=` an expression
/// of the tenant setting `setting` alone (`tenant_id = NULLIF(
/// current_setting('app.tenant_id', true), '')::int`): the tenant's own
/// rows, which reach no other's.
unsafe fn own_tenant(term: *mut pg_sys::Node, tenant: i16, setting: &str) -> bool {
    // SAFETY: a node of the tree being walked, only read
    unsafe {
        if (*term).type_ != pg_sys::NodeTag::T_OpExpr
            || !is_equality((*term.cast::<pg_sys::OpExpr>()).opno)
        {
            return false;
        }
        let args = pgrx::PgList::<pg_sys::Node>::from_pg((*term.cast::<pg_sys::OpExpr>()).args);
        let (Some(l), Some(r)) = (args.get_ptr(0), args.get_ptr(1)) else {
            return false;
        };
        let column = |n| column_var(n).is_some_and(|v| (*v).varattno == tenant);
        (column(l) && reads_setting(r, setting)) || (column(r) && reads_setting(l, setting))
    }
}

/// The column of the policy's table `n` is, under implicit casts and
/// explicit ones (`tenant_id::text`), at the policy's own level.
unsafe fn column_var(n: *mut pg_sys::Node) -> Option<*mut pg_sys::Var> {
    // SAFETY: a node of a tree being walked, only read
    unsafe { var_under(n).filter(|v| (**v).varno == 1) }
}

/// The column `n` is, under implicit casts and explicit ones, of a
/// relation of its own query level (in a sub-select, of the sub-select's).
unsafe fn var_under(mut n: *mut pg_sys::Node) -> Option<*mut pg_sys::Var> {
    // SAFETY: a node of a tree being walked, only read
    unsafe {
        loop {
            n = under_casts(n);
            if n.is_null()
                || (*n).type_ != pg_sys::NodeTag::T_FuncExpr
                || (*n.cast::<pg_sys::FuncExpr>()).funcformat
                    != pg_sys::CoercionForm::COERCE_EXPLICIT_CAST
            {
                break;
            }
            n = pgrx::PgList::<pg_sys::Node>::from_pg((*n.cast::<pg_sys::FuncExpr>()).args)
                .get_ptr(0)
                .unwrap_or(std::ptr::null_mut());
        }
        (!n.is_null()
            && (*n).type_ == pg_sys::NodeTag::T_Var
            && (*n.cast::<pg_sys::Var>()).varlevelsup == 0)
            .then(|| n.cast())
    }
}

/// What [`reach_walk`] found in a term.
struct Reach {
    /// sub-selects down
    depth: u32,
    tenant: i16,
    /// whether it reads a column of the table besides the tenant column
    other: bool,
    /// whether it reads the tenant column
    read_tenant: bool,
    /// whether it reads a setting (`current_setting`): then it may pass
    /// other rows for each tenant
    setting: bool,
    /// whether it holds what the caller must not run: then the role
    /// evaluates it
    role: bool,
    /// whether it holds any of that besides a read of a table with
    /// row-level security (a function of the application's, a view…)
    code: bool,
}

impl Reach {
    /// Nothing found yet, in a table whose tenant column is `tenant`.
    fn new(tenant: i16) -> Self {
        Reach {
            depth: 0,
            tenant,
            other: false,
            read_tenant: false,
            setting: false,
            role: false,
            code: false,
        }
    }
}

/// The walker of [`reach_terms`]: notes the table's own columns a term
/// reads (also in sub-selects, `OR id IN (SELECT doc FROM shares WHERE
/// …)`), whether it reads a setting, and what the caller must not run or
/// would read otherwise than the role for a policy's term: a function
/// that is not built in or is volatile, a built-in one that answers by
/// who runs it or the search_path ([`depends_on_caller`]), a cast to a domain
/// (whose CHECK may call one), a Param, a relation read that is not a
/// table (a view runs its own functions as the caller) or is a table
/// with row-level security (the caller reads rows the role's policies
/// hide: `NOT EXISTS (SELECT … FROM blocks …)` passes rows for the role
/// that it does not for the caller). Never stops.
unsafe extern "C-unwind" fn reach_walk(
    node: *mut pg_sys::Node,
    ctx: *mut std::ffi::c_void,
) -> bool {
    unsafe extern "C-unwind" fn barred(funcid: pg_sys::Oid, _: *mut std::ffi::c_void) -> bool {
        // SAFETY: catalog cache lookups of a function the tree calls
        funcid.to_u32() >= pg_sys::FirstNormalObjectId
            || unsafe { pg_sys::func_volatile(funcid) }
                == pg_sys::PROVOLATILE_VOLATILE as std::ffi::c_char
            || unsafe { depends_on_caller(funcid) }
    }
    if node.is_null() {
        return false;
    }
    // SAFETY: a node of the tree being walked; ctx is reach_terms' Reach
    unsafe {
        let seen = &mut *ctx.cast::<Reach>();
        match (*node).type_ {
            pg_sys::NodeTag::T_Var => {
                let v = node.cast::<pg_sys::Var>();
                if (*v).varno == 1 && (*v).varlevelsup == seen.depth {
                    if (*v).varattno == seen.tenant {
                        seen.read_tenant = true;
                    } else {
                        seen.other = true;
                    }
                }
                false
            }
            // (a sub-select's own output in `x IN (SELECT …)` is a Param)
            pg_sys::NodeTag::T_Param => {
                let param =
                    (*node.cast::<pg_sys::Param>()).paramkind != pg_sys::ParamKind::PARAM_SUBLINK;
                seen.role |= param;
                seen.code |= param;
                false
            }
            pg_sys::NodeTag::T_Query => {
                let query = node.cast::<pg_sys::Query>();
                // (each relation read: whether it is a table, and whether
                // it has row-level security)
                let read: Vec<Option<(bool, bool)>> =
                    pgrx::PgList::<pg_sys::RangeTblEntry>::from_pg((*query).rtable)
                        .iter_ptr()
                        .filter(|rte| (**rte).rtekind == pg_sys::RTEKind::RTE_RELATION)
                        .map(|rte| {
                            live::with_class((*rte).relid, |c| {
                                (
                                    matches!(
                                        c.relkind as u8,
                                        pg_sys::RELKIND_RELATION
                                            | pg_sys::RELKIND_PARTITIONED_TABLE
                                    ),
                                    c.relrowsecurity,
                                )
                            })
                        })
                        .collect();
                seen.role |= !read.iter().all(|r| matches!(r, Some((true, false))));
                seen.code |= !read.iter().all(|r| matches!(r, Some((true, _))));
                seen.depth += 1;
                pg_sys::query_tree_walker(query, Some(reach_walk), ctx, 0);
                let seen = &mut *ctx.cast::<Reach>();
                seen.depth -= 1;
                false
            }
            _ => {
                // (as_role makes those SET ROLE changes constants)
                if (*node).type_ == pg_sys::NodeTag::T_FuncExpr
                    && function_name((*node.cast::<pg_sys::FuncExpr>()).funcid) == "current_setting"
                    && !matches!(
                        setting_named(node).as_deref(),
                        Some("role" | "is_superuser" | "session_authorization")
                    )
                {
                    seen.setting = true;
                }
                let code = (*node).type_ == pg_sys::NodeTag::T_CoerceToDomain
                    || pg_sys::check_functions_in_node(node, Some(barred), std::ptr::null_mut());
                seen.role |= code;
                seen.code |= code;
                pg_sys::expression_tree_walker(node, Some(reach_walk), ctx)
            }
        }
    }
}

/// Whether built-in function `funcid` answers by who runs it or under
/// which search_path: `pg_has_role` and the `has_…_privilege` family
/// (their forms without a user), `row_security_active`; a name read
/// under the search_path (`to_regclass(…)`, the `reg…` types' input, a
/// `text::regclass` cast of a column) and `current_schema(s)`. A
/// superuser caller passes every right, so `NOT pg_has_role('auditors',
/// 'member')` would pass no row for it that it passes for the role; and
/// the caller reads names under rls_audit's own search_path, not the
/// role's.
unsafe fn depends_on_caller(funcid: pg_sys::Oid) -> bool {
    // SAFETY: a catalog cache lookup
    let name = unsafe { function_name(funcid) };
    matches!(
        name.as_str(),
        "pg_has_role" | "row_security_active" | "current_schema" | "current_schemas" | "regclass"
    ) || (name.starts_with("has_") && name.ends_with("_privilege"))
        || name.starts_with("to_reg")
        || (name.starts_with("reg") && name.ends_with("in"))
}

/// At most this many tenants a table's write checks name (`Variant::
/// Target`).
const NAMED_TENANTS: usize = 4;

/// Whether column `col` of table `table` holds `value` (a constant
/// printed in its type) in some row, read as the caller with row security
/// off by the column's own equality (an index on it serves); false for a
/// table whose policies would apply to the caller, or one it may not
/// read.
fn has_value(table: u32, col: i16, value: &str) -> bool {
    read_as_caller(table, col, |table, column, typ| {
        format!(
            "SELECT 1 FROM {table} l WHERE l.{column} = {}::{typ} LIMIT 1",
            crate::ident::quote_literal(value)
        )
    })
    .is_some_and(|rows| !rows.is_empty())
}

/// What [`variants_walk`] found: (attribute number, value) of the
/// table's columns (Vars of the policy's own query level, `depth`).
struct Variants<'a> {
    /// the policy's table
    relid: pg_sys::Oid,
    depth: u32,
    /// under an odd number of NOTs: `NOT (priority <= 5)` is `priority > 5`
    negated: bool,
    setting: &'a str,
    /// the tenant column's attribute number
    tenant: i16,
    found: Vec<(i16, Variant)>,
    /// for each conjunction (`is_public AND kind = 'shared'`), the first
    /// value of each of its terms' columns: a check that needs them all
    /// passes only with them set together
    combined: Vec<Vec<(i16, Variant)>>,
    /// the sub-selects being walked, innermost last
    queries: Vec<*mut pg_sys::Query>,
}

/// A value [`check_variants`] found for a column.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Variant {
    /// a constant's text; None: NULL
    Value(Option<String>),
    /// the tenant's own value, that of the setting the check compares
    /// the column with
    Tenant,
    /// a value that is not NULL (`col IS NOT NULL`): the first of the
    /// write probe's copied rows that has one (sql/probe.sql)
    NotNull,
    /// a constant (None: NULL) set together with the entry before it: the
    /// terms of a conjunction (`OR (is_public AND kind = 'shared')`)
    Also(Option<String>),
    /// the values of another table's column (OID, attribute number) the
    /// check compares the column with (`kind IN (SELECT kind FROM
    /// public_kinds)`): read by [`check_variants`] into `Value`s, never
    /// returned
    Lookup(u32, i16),
    /// an expression that reads no column (`owner = current_user`,
    /// `kind = app.public_kind()`), as SQL with every name outside
    /// pg_catalog qualified: its value is the one it has as the role
    /// acting as each tenant (sql/probe.sql's kind `computed`)
    Computed(String),
    /// an expression as `Computed`'s that reads another setting than the
    /// tenant's, one the application sets per request (`owner_id =
    /// current_setting('app.user_id', true)::int`): its value as the role
    /// acting as each tenant with that setting as it is, else given the
    /// first of these values that makes it not NULL, the statements then
    /// run with that value too (kind `claimed`)
    Claimed(String, Vec<String>, Vec<String>),
    /// the first of these candidates that passes a term of the column
    /// ([`searched`]): SQL as `Computed`'s, its `$1` the candidates as a
    /// `text[]`, run as the role acting as each tenant over slices of them
    /// ([`crate::candidates::first_passing`]; kind `searched`). With
    /// another setting the term reads, as `Claimed`'s, and the values it
    /// is given in turn
    Searched(String, Vec<String>, Option<(Vec<String>, Vec<String>)>),
    /// the first row of candidates that passes a term of two or three
    /// columns ([`searched_rows`]): this column's value and those of the
    /// others set with it
    Rows(Box<Rows>),
    /// a value of the tenant column itself that a check compares it with
    /// and some row has (`OR (tenant_id = 3 AND is_public)`): a tenant
    /// the statements move and insert rows for too, probed or not
    Target(String),
    /// a term of a DELETE or UPDATE policy's USING that reaches rows by
    /// other columns (`OR a - b = 777`), as SQL ([`reach_terms`]): the
    /// shadow also holds a few rows of other tenants that pass it; and
    /// who evaluates it, for which tenants
    Reach(String, ReachBy),
    /// a term of a write's check that passes other tenants by the tenant
    /// column alone (`OR tenant_id IN (SELECT child FROM tenant_tree WHERE
    /// parent = …)`), as `Reach`'s: the tenants of the table's rows that
    /// pass it are targets too, as `Target`s (past the first 1 000 the
    /// screen tries)
    Targets(String, ReachBy),
    /// a term of a DELETE or UPDATE policy's USING that reaches rows by
    /// a column compared with a setting the application sets per request
    /// (`OR owner_id = current_setting('app.user_id', true)::int`): the
    /// shadow also holds a few rows of other tenants it reaches for some
    /// value of that setting, and the DELETE and the take-over UPDATE run
    /// again with the setting given each of theirs (kind `reach claimed`)
    Claims(Box<ReachClaim>),
    /// a term of a write's check that compares the tenant column with a
    /// setting the application sets per request (`OR tenant_id =
    /// current_setting('app.parent_id', true)::int`): the moves to and
    /// inserts for each other tenant run again with that setting given
    /// that tenant (its `givens` with the row's tenant column that
    /// tenant; kind `check claimed`)
    ClaimedTargets(Box<ReachClaim>),
}

/// Who evaluates a [`Variant::Reach`] term on the table's rows, and how
/// often (sql/probe.sql's kinds `reach once`, `reach`, `reach as role`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ReachBy {
    /// the caller, once: it reads no setting, so the rows that pass are
    /// the same for every tenant
    Once,
    /// the caller, for each tenant with the tenant setting its own
    Caller,
    /// the role, for each tenant: a term with what the caller must not
    /// run (an application's function, a domain's CHECK, a view), run in
    /// a function of the role's (SECURITY DEFINER) as PostgreSQL runs the
    /// policy for the role
    Role,
}

impl ReachBy {
    /// The probe's kind for a [`Variant::Reach`] term.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            ReachBy::Once => "reach once",
            ReachBy::Caller => "reach",
            ReachBy::Role => "reach as role",
        }
    }

    /// The probe's kind for a [`Variant::Targets`] term.
    pub(crate) fn targets_kind(self) -> &'static str {
        match self {
            ReachBy::Once => "targets once",
            ReachBy::Caller => "targets",
            ReachBy::Role => "targets as role",
        }
    }
}

/// A term of several columns [`searched_rows`] evaluates on rows of
/// candidates, as the role acting as each tenant (passed to the write
/// probe as JSON, `p_variants`' kind `rows`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Rows {
    /// SQL as `Variant::Searched`'s, its `$1` the rows as a `text[]` of
    /// JSON arrays ([`crate::candidates::rows`]), its value the first
    /// that passes
    pub(crate) sql: String,
    /// each column's candidates: the variant's column first, then those
    /// of `with`
    pub(crate) candidates: Vec<Vec<String>>,
    /// the other columns set with the variant's, by name
    pub(crate) with: Vec<String>,
    /// whether the term reads the tenant column too: each row then ends
    /// with another tenant's value
    pub(crate) tenant: bool,
    /// at most this many rows
    pub(crate) most: usize,
    /// the other settings the term reads and the values they are given,
    /// as `Variant::Searched`'s
    pub(crate) claimed: Option<(Vec<String>, Vec<String>)>,
}

/// A datum as its type's output function prints it.
unsafe fn print_datum(typ: pg_sys::Oid, value: pg_sys::Datum) -> String {
    // SAFETY: the caller's datum of type `typ`
    unsafe {
        let (mut out, mut varlena) = (pg_sys::InvalidOid, false);
        pg_sys::getTypeOutputInfo(typ, &mut out, &mut varlena);
        let text = pg_sys::OidOutputFunctionCall(out, value);
        std::ffi::CStr::from_ptr(text)
            .to_string_lossy()
            .into_owned()
    }
}

/// The non-NULL elements of array `value` (elements of type `elem`), each
/// as its type's output function prints it.
unsafe fn array_texts(value: pg_sys::Datum, elem: pg_sys::Oid) -> Vec<String> {
    // SAFETY: the caller's array datum of element type `elem`
    unsafe {
        let array = pg_sys::pg_detoast_datum(value.cast_mut_ptr()).cast::<pg_sys::ArrayType>();
        let (mut len, mut byval, mut align) = (0i16, false, 0 as std::ffi::c_char);
        pg_sys::get_typlenbyvalalign(elem, &mut len, &mut byval, &mut align);
        let (mut elems, mut nulls, mut n) = (std::ptr::null_mut(), std::ptr::null_mut(), 0);
        pg_sys::deconstruct_array(
            array,
            elem,
            len.into(),
            byval,
            align,
            &mut elems,
            &mut nulls,
            &mut n,
        );
        (0..usize::try_from(n).unwrap_or(0))
            .filter(|i| !*nulls.add(*i))
            .map(|i| print_datum(elem, *elems.add(i)))
            .collect()
    }
}

/// `node` under the implicit casts PostgreSQL puts around a column or a
/// sub-select (`varchar` read as `text`); NULL for a cast without an
/// argument.
unsafe fn under_casts(mut node: *mut pg_sys::Node) -> *mut pg_sys::Node {
    // SAFETY: a node of a tree being walked
    unsafe {
        while !node.is_null() {
            node = match (*node).type_ {
                pg_sys::NodeTag::T_RelabelType => (*node.cast::<pg_sys::RelabelType>()).arg.cast(),
                pg_sys::NodeTag::T_CoerceViaIO => (*node.cast::<pg_sys::CoerceViaIO>()).arg.cast(),
                pg_sys::NodeTag::T_FuncExpr
                    if (*node.cast::<pg_sys::FuncExpr>()).funcformat
                        == pg_sys::CoercionForm::COERCE_IMPLICIT_CAST =>
                {
                    pgrx::PgList::<pg_sys::Node>::from_pg((*node.cast::<pg_sys::FuncExpr>()).args)
                        .get_ptr(0)
                        .unwrap_or(std::ptr::null_mut())
                }
                _ => return node,
            };
        }
        node
    }
}

/// The column `node` reads, under implicit casts ([`under_casts`]): its
/// attribute number, when it is the policy's table's at `depth`
/// sub-selects down.
unsafe fn column_of(node: *mut pg_sys::Node, depth: u32) -> Option<i16> {
    // SAFETY: a node of a tree being walked
    unsafe {
        let node = under_casts(node);
        if node.is_null() || (*node).type_ != pg_sys::NodeTag::T_Var {
            return None;
        }
        let v = node.cast::<pg_sys::Var>();
        ((*v).varno == 1 && (*v).varlevelsup == depth && (*v).varattno > 0).then_some((*v).varattno)
    }
}

/// The column `node` reads ([`column_of`]), or, for a function call or
/// COALESCE one of whose arguments is such a column (`lower(kind)`,
/// `coalesce(priority, 0)`), that column: its values are then guessed
/// from what the call is compared with, which need not pass (the
/// variants are only tried).
unsafe fn column_within(node: *mut pg_sys::Node, depth: u32) -> Option<i16> {
    // SAFETY: a node of a tree being walked
    unsafe {
        if let Some(attno) = column_of(node, depth) {
            return Some(attno);
        }
        if node.is_null() {
            return None;
        }
        let args = match (*node).type_ {
            pg_sys::NodeTag::T_FuncExpr => (*node.cast::<pg_sys::FuncExpr>()).args,
            pg_sys::NodeTag::T_CoalesceExpr => (*node.cast::<pg_sys::CoalesceExpr>()).args,
            _ => return None,
        };
        pgrx::PgList::<pg_sys::Node>::from_pg(args)
            .iter_ptr()
            .find_map(|a| column_of(a, depth))
    }
}

/// The column of an ordinary or partitioned table that `node` reads
/// (under implicit casts, [`under_casts`]): a Var of `query`'s own level (the innermost
/// sub-select being walked), or a sub-select's (`(SELECT kind FROM …)`,
/// `kind IN (SELECT …)`) first output column, as (table OID, attribute
/// number).
unsafe fn source_column(
    node: *mut pg_sys::Node,
    query: Option<*mut pg_sys::Query>,
) -> Option<(u32, i16)> {
    // SAFETY: nodes of a tree being walked; `query` is the one `node` is in
    unsafe {
        let node = under_casts(node);
        if node.is_null() {
            return None;
        }
        match (*node).type_ {
            pg_sys::NodeTag::T_SubLink => {
                let sub = (*node.cast::<pg_sys::SubLink>()).subselect;
                if sub.is_null() || (*sub).type_ != pg_sys::NodeTag::T_Query {
                    return None;
                }
                let sub = sub.cast::<pg_sys::Query>();
                let first = pgrx::PgList::<pg_sys::TargetEntry>::from_pg((*sub).targetList)
                    .iter_ptr()
                    .find(|t| !(**t).resjunk)?;
                source_column((*first).expr.cast(), Some(sub))
            }
            pg_sys::NodeTag::T_Var => {
                let v = node.cast::<pg_sys::Var>();
                let query = query?;
                if (*v).varlevelsup != 0 || (*v).varattno <= 0 {
                    return None;
                }
                let rtable = pgrx::PgList::<pg_sys::RangeTblEntry>::from_pg((*query).rtable);
                let rte = rtable.get_ptr(usize::try_from((*v).varno).ok()?.checked_sub(1)?)?;
                if (*rte).rtekind != pg_sys::RTEKind::RTE_RELATION
                    || !matches!(
                        (*rte).relkind as u8,
                        pg_sys::RELKIND_RELATION | pg_sys::RELKIND_PARTITIONED_TABLE
                    )
                {
                    return None;
                }
                Some(((*rte).relid.to_u32(), (*v).varattno))
            }
            _ => None,
        }
    }
}

/// A C string PostgreSQL returned (palloc'd: a catalog cache lookup's
/// name, the deparser's text), as a String; empty for NULL, an object
/// that is gone.
unsafe fn name_or_empty(name: *const std::ffi::c_char) -> String {
    if name.is_null() {
        return String::new();
    }
    // SAFETY: a NUL-terminated string, checked not NULL
    unsafe { std::ffi::CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned()
}

/// An operator's name; empty for one that is gone.
unsafe fn operator_name(opno: pg_sys::Oid) -> String {
    // SAFETY: a catalog cache lookup
    unsafe { name_or_empty(pg_sys::get_opname(opno)) }
}

/// A function's name; empty for one that is gone.
unsafe fn function_name(funcid: pg_sys::Oid) -> String {
    // SAFETY: a catalog cache lookup
    unsafe { name_or_empty(pg_sys::get_func_name(funcid)) }
}

/// The longest string a length comparison is tried with.
const MAX_LENGTH: usize = 1000;

/// Whether `node` is a column of a date or time type of the policy's
/// table at `depth` sub-selects down, or a function of one
/// (`date_trunc('day', at)`, `extract(year FROM due)`: the ends of time
/// give infinities there too).
unsafe fn time_column(node: *mut pg_sys::Node, depth: u32) -> bool {
    // SAFETY: a node of a tree being walked
    unsafe {
        let is_time = |n: *mut pg_sys::Node| {
            column_of(n, depth).is_some()
                && kind_of((*under_casts(n).cast::<pg_sys::Var>()).vartype) == Kind::Time
        };
        let node = under_casts(node);
        if node.is_null() {
            return false;
        }
        if is_time(node) {
            return true;
        }
        (*node).type_ == pg_sys::NodeTag::T_FuncExpr
            && pgrx::PgList::<pg_sys::Node>::from_pg((*node.cast::<pg_sys::FuncExpr>()).args)
                .iter_ptr()
                .any(is_time)
    }
}

/// A value of a date or time column that passes `column <op> x` whatever
/// `x` is (`published_at <= now()`): the ends of time (types without them
/// do not read them and are left out), and for `=` the statement's own
/// `now`.
fn time_passing(op: &str) -> Option<&'static str> {
    match op {
        ">" | ">=" | "<>" => Some("infinity"),
        "<" | "<=" => Some("-infinity"),
        "=" => Some("now"),
        _ => None,
    }
}

/// `node` as SQL, when it is an expression that reads no column of the
/// policy's query or of the sub-selects around it (`depth` levels) and is
/// not a constant (constants are read as such; the caller leaves out the
/// tenant setting itself, [`plain_setting`]):
/// `current_user`, `'by ' || current_user`, `app.public_kind()`. Printed
/// by PostgreSQL's deparser under the caller's `search_path` (rls_audit's
/// functions run with `pg_catalog, pg_temp`), so every name outside
/// pg_catalog is qualified; None when it cannot be printed.
unsafe fn computed(node: *mut pg_sys::Node, depth: u32) -> Option<String> {
    // SAFETY: a node of a tree being walked
    unsafe {
        if node.is_null() || constants(node).is_some() {
            return None;
        }
        sql_of(node, depth)
    }
}

/// One [`Variant::Claimed`] of two that a check compares one column with
/// (`id = NULLIF(current_setting('app.user', true), '')::int AND
/// (current_setting('app.claims', true)::jsonb ->> 'uid')::int = id`):
/// its value the first's where the second's is the same, its settings
/// given together (a [`claims::SEVERAL`] of them) each of the pairs of
/// the two's values where the second's names the first's (`1` and `{"uid":
/// 1}`), at most 16. None for anything else, or settings they share.
fn claimed_together(a: &Variant, b: &Variant) -> Option<Variant> {
    let (
        Variant::Claimed(sql_a, settings_a, givens_a),
        Variant::Claimed(sql_b, settings_b, givens_b),
    ) = (a, b)
    else {
        return None;
    };
    if settings_a.iter().any(|s| settings_b.contains(s))
        || settings_a.contains(&claims::SEVERAL.to_string())
    {
        return None;
    }
    let mut pairs = Vec::new();
    for ga in givens_a {
        for gb in givens_b
            .iter()
            .filter(|gb| *gb == ga || gb.contains(ga.as_str()))
        {
            for sa in settings_a {
                for sb in settings_b {
                    let pair = claims::several_value([
                        (sa.as_str(), ga.as_str()),
                        (sb.as_str(), gb.as_str()),
                    ]);
                    if !pairs.contains(&pair) && pairs.len() < 16 {
                        pairs.push(pair);
                    }
                }
            }
        }
    }
    (!pairs.is_empty()).then(|| {
        Variant::Claimed(
            format!("CASE WHEN ({sql_b}) = ({sql_a}) THEN ({sql_a}) END"),
            vec![claims::SEVERAL.to_string()],
            pairs,
        )
    })
}

/// The settings other than the tenant's `tenant` that `node` reads, with
/// a dot in their names (ones an application defines), also those the
/// bodies of the functions it calls name (`auth.uid()`'s
/// `current_setting('request.jwt.claim.sub', true)`), and the values
/// [`Variant::Claimed`] gives each in turn ([`claimed_givens`]); None when
/// it reads none, reads the tenant's too, or calls a function that may
/// read a table.
unsafe fn claimed(node: *mut pg_sys::Node, tenant: &str) -> Option<(Vec<String>, Vec<String>)> {
    // SAFETY: a node of the tree being walked; the bodies of the functions
    // it calls, read as text once
    let (mut read, bodies) = unsafe { (settings_read(node), called_bodies(node)) };
    // (a function that may read a table: what it reads for a user the
    // probe makes up could be another tenant's, as through a sub-select)
    if bodies
        .iter()
        .any(|b| crate::candidates::may_read_a_table(b))
    {
        return None;
    }
    for name in bodies
        .iter()
        .flat_map(|b| crate::candidates::settings_named_in(b))
    {
        if !read.contains(&name) {
            read.push(name);
        }
    }
    if read.iter().any(|name| name == tenant) {
        return None;
    }
    read.retain(|name| name.contains('.'));
    if read.is_empty() {
        return None;
    }
    // SAFETY: as above
    let givens = unsafe { claimed_givens(node, &bodies, &read) };
    Some((read, givens))
}

/// The bodies (`prosrc`) of the functions of the application's (not
/// built in) that `node` calls, read from the catalog as text: never run,
/// never inlined (PostgreSQL's simplification would run IMMUTABLE ones
/// as the caller).
unsafe fn called_bodies(node: *mut pg_sys::Node) -> Vec<String> {
    unsafe extern "C-unwind" fn note(funcid: pg_sys::Oid, ctx: *mut std::ffi::c_void) -> bool {
        // SAFETY: ctx is called_bodies' Vec
        unsafe {
            let all = &mut *ctx.cast::<Vec<pg_sys::Oid>>();
            if funcid.to_u32() >= pg_sys::FirstNormalObjectId && !all.contains(&funcid) {
                all.push(funcid);
            }
        }
        false
    }
    unsafe extern "C-unwind" fn walk(node: *mut pg_sys::Node, ctx: *mut std::ffi::c_void) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: a node of the tree being walked
        unsafe {
            pg_sys::check_functions_in_node(node, Some(note), ctx);
            pg_sys::expression_tree_walker(node, Some(walk), ctx)
        }
    }
    let mut funcs: Vec<pg_sys::Oid> = Vec::new();
    // SAFETY: as above
    unsafe { walk(node, (&mut funcs as *mut Vec<pg_sys::Oid>).cast()) };
    funcs
        .into_iter()
        .filter_map(|oid| {
            live::with_proc(oid, |_, text| text(pg_sys::Anum_pg_proc_prosrc)).flatten()
        })
        .map(|body| String::from_utf8_lossy(&body).into_owned())
        .collect()
}

/// The values [`Variant::Claimed`] gives each of `settings`, read by
/// `node`, in turn: a number, a uuid, a word, and JSON objects with each of
/// the expression's other constants (and the string literals of `bodies`,
/// its functions') as the key of a uuid or a number
/// (`current_setting('request.jwt.claims', true)::json ->> 'sub'`).
unsafe fn claimed_givens(
    node: *mut pg_sys::Node,
    bodies: &[String],
    settings: &[String],
) -> Vec<String> {
    const UUID: &str = "00000000-0000-0000-0000-000000000001";
    let mut givens: Vec<String> = ["1", UUID, "x"].iter().map(|g| g.to_string()).collect();
    // SAFETY: a node of the tree being walked (the keys a function reads,
    // `auth.uid()`'s 'sub', come from its body)
    let mut keys = unsafe { all_constants(node) };
    for body in bodies {
        keys.extend(crate::candidates::literals_in(body));
    }
    for key in keys {
        if settings.iter().any(|s| key.eq_ignore_ascii_case(s))
            || key.is_empty()
            || givens.len() >= 16
        {
            continue;
        }
        let key = serde_json::Value::String(key).to_string();
        givens.push(format!("{{{key}: \"{UUID}\"}}"));
        givens.push(format!("{{{key}: 1}}"));
    }
    givens
}

/// [`computed`]'s SQL of `node`, constants too (`ARRAY['public']`).
unsafe fn sql_of(node: *mut pg_sys::Node, depth: u32) -> Option<String> {
    // SAFETY: a node of a tree being walked
    unsafe {
        if node.is_null()
            || (0..=depth).any(|level| pg_sys::contain_vars_of_level(node, level as i32))
            || has_param(node, std::ptr::null_mut())
        {
            return None;
        }
    }
    PgTryBuilder::new(|| {
        // SAFETY: an expression with no Var of the levels above (checked):
        // the deparser needs no range table for it
        unsafe {
            let text = pg_sys::deparse_expression(node, std::ptr::null_mut(), false, false);
            (!text.is_null()).then(|| name_or_empty(text))
        }
    })
    .catch_when(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, |e| e.rethrow())
    .catch_others(|_| None)
    .execute()
}

/// Whether `node` holds a Param (a sub-select's output in `x IN (SELECT
/// …)`'s test, which means nothing out of it), sub-selects included.
unsafe extern "C-unwind" fn has_param(node: *mut pg_sys::Node, ctx: *mut std::ffi::c_void) -> bool {
    if node.is_null() {
        return false;
    }
    // SAFETY: a node of a tree being walked
    unsafe {
        match (*node).type_ {
            pg_sys::NodeTag::T_Param => true,
            pg_sys::NodeTag::T_Query => {
                pg_sys::query_tree_walker(node.cast(), Some(has_param), ctx, 0)
            }
            _ => pg_sys::expression_tree_walker(node, Some(has_param), ctx),
        }
    }
}

/// The column whose length `node` is (`length(body)`, `char_length`,
/// `octet_length`, under casts): its attribute number, when it is the
/// policy's table's at `depth` sub-selects down.
unsafe fn length_of(node: *mut pg_sys::Node, depth: u32) -> Option<i16> {
    // SAFETY: a node of a tree being walked
    unsafe {
        let node = under_casts(node);
        if node.is_null() || (*node).type_ != pg_sys::NodeTag::T_FuncExpr {
            return None;
        }
        let f = node.cast::<pg_sys::FuncExpr>();
        let args = pgrx::PgList::<pg_sys::Node>::from_pg((*f).args);
        if args.len() != 1
            || !matches!(
                function_name((*f).funcid).as_str(),
                "length" | "char_length" | "character_length" | "octet_length"
            )
        {
            return None;
        }
        column_of(args.get_ptr(0)?, depth)
    }
}

/// A string `node` matches as a SIMILAR TO pattern, when it is one
/// (`similar_to_escape(pattern [, escape])` of constants: what `body
/// SIMILAR TO 'pub%'` compares `body` with by `~`).
unsafe fn similar_example(node: *mut pg_sys::Node) -> Option<String> {
    // SAFETY: a node of a tree being walked
    unsafe {
        if node.is_null() || (*node).type_ != pg_sys::NodeTag::T_FuncExpr {
            return None;
        }
        let f = node.cast::<pg_sys::FuncExpr>();
        if !matches!(
            function_name((*f).funcid).as_str(),
            "similar_to_escape" | "similar_escape"
        ) {
            return None;
        }
        let args = pgrx::PgList::<pg_sys::Node>::from_pg((*f).args);
        let mut texts = args
            .iter_ptr()
            .map(|a| constants(a).and_then(|(_, mut t)| (t.len() == 1).then(|| t.remove(0))));
        let pattern = texts.next()??;
        let escape = match texts.next() {
            None => Some('\\'),
            Some(escape) => escape?.chars().next(),
        };
        crate::pattern::similar_example(&pattern, escape)
    }
}

/// The comparison `op` with its operands swapped (`5 < x` is `x > 5`);
/// an operator that is not an ordering one, unchanged except LIKE's, which
/// read the other way round mean nothing here.
fn mirrored(op: &str) -> String {
    match op {
        "<" => ">",
        ">" => "<",
        "<=" => ">=",
        ">=" => "<=",
        "~~" | "~~*" | "~" | "~*" | "^@" | "?" => "",
        "@>" => "<@",
        "<@" => "@>",
        other => other,
    }
    .to_string()
}

/// The comparison that holds when `op` does not (`NOT (x <= 5)` is
/// `x > 5`, `NOT (x LIKE 'a%')` is `x NOT LIKE 'a%'`); nothing for one
/// without an opposite here.
fn negated(op: &str) -> String {
    match op {
        "=" => "<>",
        "<>" => "=",
        "<" => ">=",
        ">=" => "<",
        ">" => "<=",
        "<=" => ">",
        "~~" => "!~~",
        "!~~" => "~~",
        "~~*" => "!~~*",
        "!~~*" => "~~*",
        "~" => "!~",
        "!~" => "~",
        "~*" => "!~*",
        "!~*" => "~*",
        _ => "",
    }
    .to_string()
}

/// The family of a constant's type, for [`values_passing`].
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Number,
    Text,
    Bool,
    /// dates, times, timestamps and intervals
    Time,
    Other,
}

/// The family of type `typ` (its category in pg_type).
fn kind_of(typ: pg_sys::Oid) -> Kind {
    let (mut category, mut preferred) = (0 as std::ffi::c_char, false);
    // SAFETY: a catalog cache lookup of the constant's own type
    unsafe { pg_sys::get_type_category_preferred(typ, &mut category, &mut preferred) };
    match category as u8 {
        b'N' => Kind::Number,
        b'S' => Kind::Text,
        b'B' => Kind::Bool,
        b'D' | b'T' => Kind::Time,
        _ => Kind::Other,
    }
}

/// Values that pass `column <op> constant` (the constant printed in its
/// type), as far as they can be told without running it: the constant
/// itself for `=`, `>=`, `<=` and `^@` (starts with); one step past it for
/// `>`, `<` and `<>` (a number ± 1; a string with `z` added, or the empty
/// string; the other boolean; a date's or timestamp's `infinity` or
/// `-infinity`); for LIKE, ILIKE, a regular expression (`~`, `~*`) a string
/// the pattern matches ([`crate::pattern`]); for their negations the empty
/// string. A wrong guess costs a statement that changes nothing (the
/// variants are tried, not trusted; a value the column's type does not
/// read is left out).
fn values_passing(op: &str, constant: &str, kind: Kind) -> Vec<String> {
    let step = |up: bool| -> Option<String> {
        match kind {
            Kind::Number => {
                let d: i8 = if up { 1 } else { -1 };
                if let Ok(n) = constant.parse::<i128>() {
                    n.checked_add(d.into()).map(|n| n.to_string())
                } else {
                    constant
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .map(|x| (x + f64::from(d)).to_string())
                }
            }
            Kind::Text if up => Some(format!("{constant}z")),
            Kind::Text => (!constant.is_empty()).then(String::new),
            Kind::Bool => match (constant, up) {
                ("f" | "false", true) => Some("true".into()),
                ("t" | "true", false) => Some("false".into()),
                _ => None,
            },
            Kind::Time if up => (constant != "infinity").then(|| "infinity".into()),
            Kind::Time => (constant != "-infinity").then(|| "-infinity".into()),
            Kind::Other => None,
        }
    };
    match op {
        "=" | ">=" | "<=" => vec![constant.to_string()],
        "^@" if kind == Kind::Text => vec![constant.to_string()],
        ">" => step(true).into_iter().collect(),
        "<" => step(false).into_iter().collect(),
        "<>" => match kind {
            Kind::Bool => step(true).or_else(|| step(false)).into_iter().collect(),
            _ => step(true).into_iter().collect(),
        },
        "~~" | "~~*" if kind == Kind::Text => vec![crate::pattern::like_example(constant)],
        "~" | "~*" if kind == Kind::Text => crate::pattern::regex_example(constant)
            .into_iter()
            .collect(),
        "!~~" | "!~~*" | "!~" | "!~*" if kind == Kind::Text => vec![String::new()],
        _ => Vec::new(),
    }
}

/// The constants of `node` (a Const, an ARRAY[...] of them, or a constant
/// array, under casts), printed in their type, and that type (an array's
/// element type); None when `node` is not one.
unsafe fn constants(node: *mut pg_sys::Node) -> Option<(pg_sys::Oid, Vec<String>)> {
    // SAFETY: a node of a tree being walked
    unsafe {
        if node.is_null() {
            return None;
        }
        match (*node).type_ {
            pg_sys::NodeTag::T_Const => {
                let k = node.cast::<pg_sys::Const>();
                if (*k).constisnull {
                    return None;
                }
                let elem = pg_sys::get_element_type((*k).consttype);
                Some(if elem == pg_sys::InvalidOid {
                    (
                        (*k).consttype,
                        vec![print_datum((*k).consttype, (*k).constvalue)],
                    )
                } else {
                    (elem, array_texts((*k).constvalue, elem))
                })
            }
            pg_sys::NodeTag::T_ArrayExpr => {
                let a = node.cast::<pg_sys::ArrayExpr>();
                Some((
                    (*a).element_typeid,
                    pgrx::PgList::<pg_sys::Node>::from_pg((*a).elements)
                        .iter_ptr()
                        .filter_map(|e| constants(e))
                        .flat_map(|(_, texts)| texts)
                        .collect(),
                ))
            }
            // a cast of constants (`kind IN ('a', 'b')` on a varchar column
            // casts the ARRAY[...] of varchar to text[]): the constants
            pg_sys::NodeTag::T_RelabelType => {
                constants((*node.cast::<pg_sys::RelabelType>()).arg.cast())
            }
            pg_sys::NodeTag::T_CoerceViaIO => {
                constants((*node.cast::<pg_sys::CoerceViaIO>()).arg.cast())
            }
            pg_sys::NodeTag::T_ArrayCoerceExpr => {
                constants((*node.cast::<pg_sys::ArrayCoerceExpr>()).arg.cast())
            }
            pg_sys::NodeTag::T_FuncExpr
                if (*node.cast::<pg_sys::FuncExpr>()).funcformat
                    != pg_sys::CoercionForm::COERCE_EXPLICIT_CALL =>
            {
                let args =
                    pgrx::PgList::<pg_sys::Node>::from_pg((*node.cast::<pg_sys::FuncExpr>()).args);
                match (args.len(), args.get_ptr(0)) {
                    (1, Some(arg)) => constants(arg),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// [`variants_walk`] on `x <op> y` (`op` already turned for the side `x`
/// is on and for NOT; `distinct`: `IS DISTINCT FROM`, `op` then `<>` or
/// `=`): the values of the column `x` reads, or whose length it is, that
/// pass.
unsafe fn compared(
    found: &mut Variants<'_>,
    x: *mut pg_sys::Node,
    y: *mut pg_sys::Node,
    op: &str,
    distinct: bool,
) {
    let depth = found.depth;
    // SAFETY: nodes of the tree being walked
    unsafe {
        // `length(body) > 3`: a string that long
        let length = length_of(x, depth);
        let Some(attno) = length.or_else(|| column_within(x, depth)) else {
            return;
        };
        if distinct && op == "<>" {
            found.found.push((attno, Variant::Value(None)));
        }
        // an array or jsonb that contains or overlaps a value that reads
        // no column (`tags @> ARRAY['public']`, `shared && ARRAY[current_user]`,
        // `doc ? 'open'`): that value itself, as the role
        if length.is_none() && matches!(op, "@>" | "&&" | "?") {
            if let Some(sql) = sql_of(y, depth) {
                let sql = if op == "?" {
                    format!("pg_catalog.jsonb_build_array({sql})")
                } else {
                    sql
                };
                found.found.push((attno, Variant::Computed(sql)));
            }
            return;
        }
        let mut values = Vec::new();
        if let Some((typ, texts)) = constants(y) {
            let kind = kind_of(typ);
            for v in texts {
                values.extend(values_passing(op, &v, kind));
            }
        } else if let Some(example) = similar_example(y) {
            // `body SIMILAR TO 'pub%'` is `body ~ similar_to_escape('pub%')`
            match op {
                "~" => values.push(example),
                "!~" => values.push(String::new()),
                _ => {}
            }
        }
        // a date or timestamp compared with what is not a constant
        // (`published_at <= now()`), or a function of one (`extract(year
        // FROM due) > 2030`)
        if time_column(x, depth) && (constants(y).is_none() || column_of(x, depth).is_none()) {
            values.extend(time_passing(op).map(str::to_string));
        }
        for v in values {
            let v = match length {
                None => v,
                Some(_) => match v.parse::<usize>() {
                    Ok(n) if n <= MAX_LENGTH => "x".repeat(n),
                    _ => continue,
                },
            };
            found.found.push((attno, Variant::Value(Some(v))));
        }
        if length.is_some() || op != "=" {
            return;
        }
        let tenant = reads_setting(y, found.setting);
        if tenant {
            found.found.push((attno, Variant::Tenant));
        }
        if let Some((table, col)) = source_column(y, found.queries.last().copied()) {
            found.found.push((attno, Variant::Lookup(table, col)));
        } else if let Some(sql) = computed(y, depth).filter(|_| !tenant || !plain_setting(y)) {
            // (one that reads the setting but is more than it, `'t-' ||
            // current_setting(…)`: its value as each tenant too; one that
            // reads another setting the application sets per request,
            // `current_setting('app.user_id')`: with that setting given a
            // value too)
            // (not through a sub-select: what it reads for a user the
            // probe makes up could be another tenant's)
            let claim = (!tenant && !pg_sys::checkExprHasSubLink(y))
                .then(|| claimed(y, found.setting))
                .flatten();
            found.found.push((
                attno,
                match claim {
                    Some((settings, givens)) => Variant::Claimed(sql, settings, givens),
                    None => Variant::Computed(sql),
                },
            ));
        }
    }
}

/// The walker of [`check_variants`]: comparisons of a column ([`compared`]:
/// with a constant, a pattern, an expression that reads no column, the
/// setting, another table's column), `col = ANY (constants)`, `setting =
/// ANY (array column)`, a boolean column or function, `col IS [NOT]
/// NULL`, CASE on a column, `col IN (SELECT …)`, conjunctions; a function
/// of the column (`lower(kind) = 'shared'`) is tried with the constant
/// itself; in sub-selects too (`EXISTS (SELECT … WHERE t.kind = 'x')`).
unsafe extern "C-unwind" fn variants_walk(
    node: *mut pg_sys::Node,
    ctx: *mut std::ffi::c_void,
) -> bool {
    if node.is_null() {
        return false;
    }
    // SAFETY: a node of a tree being walked; ctx is the Variants of
    // check_variants, alive for the walk
    unsafe {
        let found = &mut *ctx.cast::<Variants<'_>>();
        let depth = found.depth;
        match (*node).type_ {
            pg_sys::NodeTag::T_Var => {
                let v = node.cast::<pg_sys::Var>();
                if (*v).vartype == pg_sys::BOOLOID {
                    if let Some(attno) = column_of(node, depth) {
                        // (the value that passes first: a conjunction
                        // takes each column's first)
                        let both = if found.negated {
                            ["false", "true"]
                        } else {
                            ["true", "false"]
                        };
                        for b in both {
                            found.found.push((attno, Variant::Value(Some(b.into()))));
                        }
                    }
                }
            }
            // a comparison, and `x IS DISTINCT FROM y` (`<>`, or NULL)
            pg_sys::NodeTag::T_OpExpr | pg_sys::NodeTag::T_DistinctExpr => {
                let op = node.cast::<pg_sys::OpExpr>();
                let args = pgrx::PgList::<pg_sys::Node>::from_pg((*op).args);
                if let (2, Some(a), Some(b)) = (args.len(), args.get_ptr(0), args.get_ptr(1)) {
                    let distinct = (*node).type_ == pg_sys::NodeTag::T_DistinctExpr;
                    let name = match operator_name((*op).opno) {
                        name if !distinct => name,
                        name if name == "=" => "<>".into(),
                        _ => String::new(),
                    };
                    for (x, y, left) in [(a, b, true), (b, a, false)] {
                        // `5 < priority` is `priority > 5`
                        let op = if left { name.clone() } else { mirrored(&name) };
                        let op = if found.negated { negated(&op) } else { op };
                        compared(found, x, y, &op, distinct);
                    }
                }
            }
            // `CASE kind WHEN 'public' THEN true … END`: each WHEN's value
            // whose THEN is not a constant false or NULL
            pg_sys::NodeTag::T_CaseExpr
                if !found.negated && !(*node.cast::<pg_sys::CaseExpr>()).arg.is_null() =>
            {
                let case = node.cast::<pg_sys::CaseExpr>();
                if let Some(attno) = column_within((*case).arg.cast(), depth) {
                    for when in pgrx::PgList::<pg_sys::CaseWhen>::from_pg((*case).args).iter_ptr() {
                        let then = (*when).result.cast::<pg_sys::Node>();
                        if !then.is_null()
                            && (*then).type_ == pg_sys::NodeTag::T_Const
                            && ((*then.cast::<pg_sys::Const>()).constisnull
                                || !bool::from_datum(
                                    (*then.cast::<pg_sys::Const>()).constvalue,
                                    false,
                                )
                                .unwrap_or(true))
                        {
                            continue;
                        }
                        let test = (*when).expr.cast::<pg_sys::Node>();
                        if test.is_null() || (*test).type_ != pg_sys::NodeTag::T_OpExpr {
                            continue;
                        }
                        let args = pgrx::PgList::<pg_sys::Node>::from_pg(
                            (*test.cast::<pg_sys::OpExpr>()).args,
                        );
                        let name = operator_name((*test.cast::<pg_sys::OpExpr>()).opno);
                        if let Some((typ, texts)) = args.get_ptr(1).and_then(|y| constants(y)) {
                            for c in texts {
                                for v in values_passing(&name, &c, kind_of(typ)) {
                                    found.found.push((attno, Variant::Value(Some(v))));
                                }
                            }
                        }
                    }
                }
            }
            // a test of the column by a function with constants
            // (`starts_with(kind, 'pub')`): each constant, or for a
            // pattern function (`regexp_like(kind, '^pub')`) a string it
            // matches
            pg_sys::NodeTag::T_FuncExpr
                if !found.negated
                    && (*node.cast::<pg_sys::FuncExpr>()).funcresulttype == pg_sys::BOOLOID
                    && (*node.cast::<pg_sys::FuncExpr>()).funcformat
                        == pg_sys::CoercionForm::COERCE_EXPLICIT_CALL =>
            {
                let args =
                    pgrx::PgList::<pg_sys::Node>::from_pg((*node.cast::<pg_sys::FuncExpr>()).args);
                let column = args.iter_ptr().find_map(|a| column_of(a, depth));
                if let Some(attno) = column {
                    let op = match function_name((*node.cast::<pg_sys::FuncExpr>()).funcid).as_str()
                    {
                        "regexp_like" | "textregexeq" | "texticregexeq" => "~",
                        "textlike" | "texticlike" | "like" | "ilike" => "~~",
                        _ => "=",
                    };
                    // (a pattern function's pattern is its second argument;
                    // its flags are not values)
                    let patterns = args
                        .iter_ptr()
                        .enumerate()
                        .filter(|(i, _)| op == "=" || *i == 1)
                        .filter_map(|(_, a)| constants(a));
                    for (typ, texts) in patterns {
                        for v in texts {
                            for v in values_passing(op, &v, kind_of(typ)) {
                                found.found.push((attno, Variant::Value(Some(v))));
                            }
                        }
                    }
                }
            }
            pg_sys::NodeTag::T_ScalarArrayOpExpr => {
                let op = node.cast::<pg_sys::ScalarArrayOpExpr>();
                let args = pgrx::PgList::<pg_sys::Node>::from_pg((*op).args);
                // `kind IN (…)`, `kind NOT IN (…)` (`<> ALL`), `priority >
                // ANY (…)`: each constant's values; under NOT the opposite
                // comparison's (a candidate that fails is only a
                // statement that changes nothing)
                if let (2, Some(a), Some(b)) = (args.len(), args.get_ptr(0), args.get_ptr(1)) {
                    let name = operator_name((*op).opno);
                    let name = if found.negated { negated(&name) } else { name };
                    if let (Some(attno), Some((typ, all))) = (column_within(a, depth), constants(b))
                    {
                        let kind = kind_of(typ);
                        for c in &all {
                            for v in values_passing(&name, c, kind) {
                                // (`<> ALL`: not one of the others either)
                                if name != "<>" || !all.contains(&v) {
                                    found.found.push((attno, Variant::Value(Some(v))));
                                }
                            }
                        }
                    } else if let (Some(attno), true, Some(sql)) = (
                        column_of(b, depth),
                        name == "=" && (*op).useOr && column_within(a, depth).is_none(),
                        sql_of(a, depth),
                    ) {
                        // `current_setting(…)::int = ANY (shared_with)`: an
                        // array column holding that value, as the role
                        found
                            .found
                            .push((attno, Variant::Computed(format!("ARRAY[{sql}]"))));
                    } else if let (Some(attno), true, false, Some(sql)) = (
                        column_within(a, depth),
                        name == "=" && (*op).useOr,
                        reads_setting(b, found.setting),
                        computed(b, depth),
                    ) {
                        // `kind = ANY (string_to_array(current_setting(…), ','))`:
                        // the array's first element as the role
                        found.found.push((
                            attno,
                            Variant::Computed(format!(
                                "(SELECT e FROM pg_catalog.unnest({sql}) e WHERE e IS NOT NULL LIMIT 1)"
                            )),
                        ));
                    }
                }
            }
            pg_sys::NodeTag::T_NullTest => {
                let t = node.cast::<pg_sys::NullTest>();
                if let Some(attno) = column_of((*t).arg.cast(), depth) {
                    found.found.push((
                        attno,
                        if ((*t).nulltesttype == pg_sys::NullTestType::IS_NULL) != found.negated {
                            Variant::Value(None)
                        } else {
                            Variant::NotNull
                        },
                    ));
                }
            }
            // a conjunction (or NOT of a disjunction): its terms walked
            // one by one, and their columns' first values kept together
            pg_sys::NodeTag::T_BoolExpr
                if ((*node.cast::<pg_sys::BoolExpr>()).boolop
                    == pg_sys::BoolExprType::AND_EXPR)
                    != found.negated
                    && (*node.cast::<pg_sys::BoolExpr>()).boolop
                        != pg_sys::BoolExprType::NOT_EXPR =>
            {
                let mut together: Vec<(i16, Variant)> = Vec::new();
                for arg in
                    pgrx::PgList::<pg_sys::Node>::from_pg((*node.cast::<pg_sys::BoolExpr>()).args)
                        .iter_ptr()
                {
                    let mut term = Variants {
                        relid: found.relid,
                        depth: found.depth,
                        negated: found.negated,
                        setting: found.setting,
                        tenant: found.tenant,
                        found: Vec::new(),
                        combined: Vec::new(),
                        queries: found.queries.clone(),
                    };
                    if variants_walk(arg, (&mut term as *mut Variants<'_>).cast()) {
                        return true;
                    }
                    for (attno, value) in &term.found {
                        if !together.iter().any(|(a, _)| a == attno) {
                            together.push((*attno, value.clone()));
                        }
                    }
                    let found = &mut *ctx.cast::<Variants<'_>>();
                    found.found.append(&mut term.found);
                    found.combined.append(&mut term.combined);
                }
                let found = &mut *ctx.cast::<Variants<'_>>();
                if together.len() > 1 {
                    found.combined.push(together);
                }
                // (a conjunction of one column, `n > 5 AND n % 2 = 1`: its
                // terms' values need not pass together, a candidate may; one
                // of several columns whose terms are all read off exactly,
                // `is_public AND kind = 'shared'`, is set together above)
                // (nor is one that compares its columns with two settings a
                // request sets, `owner_id = app.user_id AND project_id =
                // app.project_id`: its values are read off as each setting
                // is given a value, the two given together)
                let args =
                    pgrx::PgList::<pg_sys::Node>::from_pg((*node.cast::<pg_sys::BoolExpr>()).args);
                if columns_read(node, found.depth).is_some_and(|c| c.len() == 1)
                    || !args.iter_ptr().all(|a| read_exactly(a, found.depth))
                    || claimed(node, found.setting).is_some_and(|(s, _)| s.len() > 1)
                {
                    searched(found, node);
                }
                return false;
            }
            pg_sys::NodeTag::T_BoolExpr
                if (*node.cast::<pg_sys::BoolExpr>()).boolop == pg_sys::BoolExprType::NOT_EXPR =>
            {
                found.negated = !found.negated;
                let stop = pg_sys::expression_tree_walker(node, Some(variants_walk), ctx);
                let found = &mut *ctx.cast::<Variants<'_>>();
                found.negated = !found.negated;
                return stop;
            }
            // `kind IN (SELECT kind FROM public_kinds)`
            pg_sys::NodeTag::T_SubLink => {
                let link = node.cast::<pg_sys::SubLink>();
                let test = (*link).testexpr;
                if (*link).subLinkType == pg_sys::SubLinkType::ANY_SUBLINK
                    && !found.negated
                    && !test.is_null()
                    && (*test).type_ == pg_sys::NodeTag::T_OpExpr
                {
                    let op = test.cast::<pg_sys::OpExpr>();
                    let args = pgrx::PgList::<pg_sys::Node>::from_pg((*op).args);
                    if let (2, Some(attno), "=") = (
                        args.len(),
                        args.get_ptr(0).and_then(|a| column_within(a, depth)),
                        operator_name((*op).opno).as_str(),
                    ) {
                        if let Some((table, col)) = source_column(node, None) {
                            found.found.push((attno, Variant::Lookup(table, col)));
                        }
                        // and the sub-select's first value as the role
                        // (`owner IN (SELECT id FROM users WHERE name =
                        // current_user)`), when it reads no column outside:
                        // a copy of it as ARRAY(SELECT …)
                        let first = pg_sys::copyObjectImpl(node.cast()).cast::<pg_sys::SubLink>();
                        (*first).subLinkType = pg_sys::SubLinkType::ARRAY_SUBLINK;
                        (*first).testexpr = std::ptr::null_mut();
                        (*first).operName = std::ptr::null_mut();
                        if let Some(sql) = sql_of(first.cast(), depth) {
                            found
                                .found
                                .push((attno, Variant::Computed(format!("({sql})[1]"))));
                        }
                    }
                }
            }
            // a sub-select: the table's columns are one level further up
            pg_sys::NodeTag::T_Query => {
                found.queries.push(node.cast());
                found.depth += 1;
                let stop = pg_sys::query_tree_walker(
                    node.cast::<pg_sys::Query>(),
                    Some(variants_walk),
                    ctx,
                    0,
                );
                let found = &mut *ctx.cast::<Variants<'_>>();
                found.depth -= 1;
                found.queries.pop();
                return stop;
            }
            _ => {}
        }
        // a term of one column the walk above cannot solve by reading it
        // (`n % 7 = 3`, `split_part(email, '@', 2) = 'x'`): PostgreSQL's
        // own answer on candidates, after the values read off it
        if !read_exactly(node, depth) {
            searched(&mut *ctx.cast::<Variants<'_>>(), node);
        }
        pg_sys::expression_tree_walker(node, Some(variants_walk), ctx)
    }
}

/// Whether `node` is not a term [`searched`] looks at, or one whose
/// values [`variants_walk`] reads off it exactly: a bare column (or its
/// length) compared with constants of a type [`values_passing`] knows, or
/// by `=` with what reads no column; `col [NOT] IN (constants)`; a
/// pattern or prefix function of a bare column and constants.
unsafe fn read_exactly(node: *mut pg_sys::Node, depth: u32) -> bool {
    // SAFETY: a node of a tree being walked
    unsafe {
        // (SIMILAR TO's pattern is `similar_to_escape(constant)`)
        let known = |y: *mut pg_sys::Node| {
            constants(y).is_some_and(|(typ, _)| kind_of(typ) != Kind::Other)
                || similar_example(y).is_some()
        };
        // (a column under a cast to another family, `status::text`, is
        // not: its values are not the compared constant's)
        let bare = |x: *mut pg_sys::Node| {
            length_of(x, depth).is_some()
                || (column_of(x, depth).is_some()
                    && kind_of(pg_sys::exprType(x)) == kind_of(pg_sys::exprType(under_casts(x))))
        };
        // `x <op> y` read exactly: a bare column by `=`; a date or
        // timestamp compared with anything (the ends of time; `time` has
        // none); another compared with constants of a known type
        // (`time` past a constant: none)
        // (`partner = tenant_id`: not; a value of one column does not
        // pass with every value of the other)
        let side = |x: *mut pg_sys::Node, y: *mut pg_sys::Node, op: &str| {
            if !bare(x) || (op == "=" && reads_a_column(y, depth)) {
                return false;
            }
            let typ = pg_sys::getBaseType(pg_sys::exprType(under_casts(x)));
            let ends = kind_of(typ) != Kind::Time
                || length_of(x, depth).is_some()
                || reads_as("infinity", typ);
            op == "="
                || (ends && kind_of(typ) == Kind::Time && length_of(x, depth).is_none())
                || (known(y) && (ends || matches!(op, ">=" | "<=")))
        };
        match (*node).type_ {
            pg_sys::NodeTag::T_OpExpr | pg_sys::NodeTag::T_DistinctExpr => {
                let op = node.cast::<pg_sys::OpExpr>();
                let args = pgrx::PgList::<pg_sys::Node>::from_pg((*op).args);
                // (IS DISTINCT FROM is `<>` and NULL)
                let name = match (*node).type_ {
                    pg_sys::NodeTag::T_OpExpr => operator_name((*op).opno),
                    _ => "<>".into(),
                };
                match (args.len(), args.get_ptr(0), args.get_ptr(1)) {
                    (2, Some(a), Some(b)) => side(a, b, &name) || side(b, a, &mirrored(&name)),
                    _ => true,
                }
            }
            // (`= ANY (an array that reads no column)`: its first element)
            pg_sys::NodeTag::T_ScalarArrayOpExpr => {
                let op = node.cast::<pg_sys::ScalarArrayOpExpr>();
                let args = pgrx::PgList::<pg_sys::Node>::from_pg((*op).args);
                let any_equal = (*op).useOr && operator_name((*op).opno) == "=";
                match (args.len(), args.get_ptr(0), args.get_ptr(1)) {
                    // (and `x = ANY (array column)`: an array of x)
                    (2, Some(a), Some(b)) => {
                        (bare(a) && (known(b) || any_equal))
                            || (any_equal && column_of(b, depth).is_some())
                    }
                    _ => true,
                }
            }
            pg_sys::NodeTag::T_FuncExpr => {
                let f = node.cast::<pg_sys::FuncExpr>();
                if (*f).funcresulttype != pg_sys::BOOLOID
                    || (*f).funcformat != pg_sys::CoercionForm::COERCE_EXPLICIT_CALL
                {
                    return true;
                }
                let args = pgrx::PgList::<pg_sys::Node>::from_pg((*f).args);
                matches!(
                    function_name((*f).funcid).as_str(),
                    "starts_with"
                        | "regexp_like"
                        | "textregexeq"
                        | "texticregexeq"
                        | "textlike"
                        | "texticlike"
                        | "like"
                        | "ilike"
                ) && args
                    .iter_ptr()
                    .filter(|a| column_of(*a, depth).is_some())
                    .count()
                    == 1
                    && args
                        .iter_ptr()
                        .all(|a| column_of(a, depth).is_some() || constants(a).is_some())
            }
            _ => true,
        }
    }
}

/// The columns of the policy's table a term reads, each once in the
/// order it first reads them, when it reads nothing [`searched`] cannot
/// evaluate on its own: no column of a sub-select's or of another level,
/// no sub-select, Param or aggregate, no volatile function. (attribute
/// number, type, typmod) each.
unsafe fn columns_read(
    node: *mut pg_sys::Node,
    depth: u32,
) -> Option<Vec<(i16, pg_sys::Oid, i32)>> {
    struct Seen {
        depth: u32,
        columns: Vec<(i16, pg_sys::Oid, i32)>,
    }
    unsafe extern "C-unwind" fn walk(node: *mut pg_sys::Node, ctx: *mut std::ffi::c_void) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: a node of the tree being walked; ctx is columns_read's Seen
        unsafe {
            let seen = &mut *ctx.cast::<Seen>();
            match (*node).type_ {
                pg_sys::NodeTag::T_Var => {
                    let v = node.cast::<pg_sys::Var>();
                    if (*v).varno != 1 || (*v).varlevelsup != seen.depth || (*v).varattno <= 0 {
                        return true;
                    }
                    let this = ((*v).varattno, (*v).vartype, (*v).vartypmod);
                    if !seen.columns.contains(&this) {
                        seen.columns.push(this);
                    }
                    false
                }
                pg_sys::NodeTag::T_SubLink
                | pg_sys::NodeTag::T_SubPlan
                | pg_sys::NodeTag::T_AlternativeSubPlan
                | pg_sys::NodeTag::T_Query
                | pg_sys::NodeTag::T_Param
                | pg_sys::NodeTag::T_Aggref
                | pg_sys::NodeTag::T_WindowFunc
                | pg_sys::NodeTag::T_GroupingFunc
                | pg_sys::NodeTag::T_PlaceHolderVar
                | pg_sys::NodeTag::T_CurrentOfExpr
                | pg_sys::NodeTag::T_SetToDefault
                | pg_sys::NodeTag::T_NextValueExpr => true,
                _ => pg_sys::expression_tree_walker(node, Some(walk), ctx),
            }
        }
    }
    let mut seen = Seen {
        depth,
        columns: Vec::new(),
    };
    // SAFETY: a node of a tree being walked, only read
    unsafe {
        if walk(node, (&mut seen as *mut Seen).cast()) || pg_sys::contain_volatile_functions(node) {
            return None;
        }
    }
    Some(seen.columns)
}

/// Whether `node` reads a column of the policy's table at `depth` where
/// [`columns_read`] can tell (`partner = tenant_id`'s right side).
unsafe fn reads_a_column(node: *mut pg_sys::Node, depth: u32) -> bool {
    // SAFETY: a node of a tree being walked
    unsafe { columns_read(node, depth).is_some_and(|c| !c.is_empty()) }
}

/// The constants of `node`, anywhere in it, each printed in its type (an
/// array's elements one by one).
unsafe fn all_constants(node: *mut pg_sys::Node) -> Vec<String> {
    unsafe extern "C-unwind" fn walk(node: *mut pg_sys::Node, ctx: *mut std::ffi::c_void) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: a node of the tree being walked; ctx is all_constants' Vec
        unsafe {
            if (*node).type_ == pg_sys::NodeTag::T_Const {
                if let Some((_, texts)) = constants(node) {
                    (*ctx.cast::<Vec<String>>()).extend(texts);
                }
                return false;
            }
            pg_sys::expression_tree_walker(node, Some(walk), ctx)
        }
    }
    let mut out: Vec<String> = Vec::new();
    // SAFETY: as above
    unsafe { walk(node, (&mut out as *mut Vec<String>).cast()) };
    out
}

/// [`variants_walk`] on a term it cannot solve by reading it (see
/// [`read_exactly`]), or a conjunction: of one column, [`searched_one`];
/// of two or three, [`searched_rows`].
unsafe fn searched(found: &mut Variants<'_>, node: *mut pg_sys::Node) {
    // (a term: a test, not `n * 3` inside one)
    // SAFETY: nodes of the tree being walked
    let Some(columns) = (unsafe {
        (pg_sys::exprType(node) == pg_sys::BOOLOID)
            .then(|| columns_read(node, found.depth))
            .flatten()
    }) else {
        return;
    };
    // SAFETY: as above
    unsafe {
        match columns.as_slice() {
            [column] => searched_one(found, node, *column),
            [_, _] | [_, _, _] => searched_rows(found, node, &columns),
            _ => {}
        }
    }
}

/// Term `node` as SQL against the policy's table alone, its columns by
/// their bare names, under NOT when the walk is (the term must then
/// fail): `(term)` or `NOT (term)`. None when PostgreSQL cannot print it.
unsafe fn printed_test(found: &Variants<'_>, node: *mut pg_sys::Node) -> Option<String> {
    // SAFETY: the caller's node of the tree being walked
    let term = unsafe { printed_term(node, found.relid, found.depth) }?;
    // (`NOT (a OR b)` is walked as a conjunction, and printed as the OR it
    // is)
    Some(if found.negated {
        format!("NOT ({term})")
    } else {
        format!("({term})")
    })
}

/// Term `node`, whose Vars of the policy's table are `depth` sub-selects
/// up, as SQL against the table (`relid`) alone, its columns by their bare
/// names or `rls_audit_row.`; None when PostgreSQL cannot print it.
unsafe fn printed_term(node: *mut pg_sys::Node, relid: pg_sys::Oid, depth: u32) -> Option<String> {
    PgTryBuilder::new(|| {
        // SAFETY: a copy of the term, its table's Vars moved to level 0,
        // deparsed against the table alone
        unsafe {
            let term = pg_sys::copyObjectImpl(node.cast()).cast::<pg_sys::Node>();
            if depth > 0 {
                pg_sys::IncrementVarSublevelsUp(term, -(depth as i32), 0);
            }
            let context = pg_sys::deparse_context_for(c"rls_audit_row".as_ptr(), relid);
            let text = pg_sys::deparse_expression(term, context, false, false);
            (!text.is_null()).then(|| name_or_empty(text))
        }
    })
    .catch_when(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, |e| e.rethrow())
    .catch_others(|_| None)
    .execute()
}

/// A column of the policy's table: its name and its type with typmod,
/// qualified. None for a column that is gone.
unsafe fn column_named(
    relid: pg_sys::Oid,
    (attno, typ, typmod): (i16, pg_sys::Oid, i32),
) -> Option<(String, String)> {
    PgTryBuilder::new(|| {
        // SAFETY: catalog cache lookups of the column and its type
        unsafe {
            let column = pg_sys::get_attname(relid, attno, true);
            if column.is_null() {
                return None;
            }
            let typ = pg_sys::format_type_extended(
                typ,
                typmod,
                (pg_sys::FORMAT_TYPE_TYPEMOD_GIVEN | pg_sys::FORMAT_TYPE_FORCE_QUALIFY) as u16,
            );
            (!typ.is_null()).then(|| (name_or_empty(column), name_or_empty(typ)))
        }
    })
    .catch_when(PgSqlErrorCode::ERRCODE_QUERY_CANCELED, |e| e.rethrow())
    .catch_others(|_| None)
    .execute()
}

/// The candidates (`made`, of [`crate::candidates`]) for a column of
/// base type `base` in a term with constants `constants`: at most `most`, and at
/// most [`SEARCHED_BYTES`], each one the type reads. json/jsonb by its
/// keys and values; an array by its elements and size; a type no
/// candidates are built for, the term's constants.
fn column_candidates(
    constants: &[String],
    base: pg_sys::Oid,
    most: usize,
    made: fn(&[String]) -> Vec<String>,
) -> Vec<String> {
    let scalars = |typ: pg_sys::Oid| -> Vec<String> {
        let kind = kind_of(typ);
        let likely = |c: &String| match kind {
            Kind::Number => c.parse::<f64>().is_ok(),
            Kind::Bool => matches!(c.as_str(), "true" | "false"),
            Kind::Time => c.contains(['-', ':']) || c.ends_with("infinity"),
            Kind::Text => true,
            Kind::Other => false,
        };
        made(constants).into_iter().filter(likely).collect()
    };
    // SAFETY: a catalog cache lookup of the column's type
    let element = unsafe { pg_sys::get_element_type(base) };
    let read: Vec<String> = if base == pg_sys::JSONBOID || base == pg_sys::JSONOID {
        crate::candidates::json_candidates(constants)
    } else if element != pg_sys::InvalidOid {
        // SAFETY: a catalog cache lookup of the element type
        let element = unsafe { pg_sys::getBaseType(element) };
        let elements: Vec<String> = scalars(element)
            .into_iter()
            .filter(|c| reads_as(c, element))
            .take(crate::candidates::ARRAY_ELEMENTS)
            .collect();
        crate::candidates::array_candidates(&elements, constants)
    } else if kind_of(base) == Kind::Other {
        constants.to_vec()
    } else {
        scalars(base)
    };
    let mut bytes = 0;
    read.into_iter()
        .filter(|c| reads_as(c, base))
        .take(most)
        .take_while(|c| {
            bytes += c.len();
            bytes <= SEARCHED_BYTES
        })
        .collect()
}

/// [`searched`] on a term of one column: a `Variant::Searched` that
/// evaluates the term, as the role acting as the tenant, on candidates
/// for the column ([`column_candidates`]) and is the first that passes
/// (under NOT: that fails), NULL when none does; for an enum, a
/// `Variant::Computed` that does the same over all its labels.
unsafe fn searched_one(
    found: &mut Variants<'_>,
    node: *mut pg_sys::Node,
    (attno, typ, typmod): (i16, pg_sys::Oid, i32),
) {
    // SAFETY: nodes of the tree being walked; catalog cache lookups
    let (Some(test), Some((column, type_name))) = (unsafe {
        (
            printed_test(found, node),
            column_named(found.relid, (attno, typ, typmod)),
        )
    }) else {
        return;
    };
    let column = crate::ident::quote_ident(&column);
    // SAFETY: catalog cache lookups of the column's type
    let (base, enumerated) = unsafe {
        let base = pg_sys::getBaseType(typ);
        (base, pg_sys::type_is_enum(base))
    };
    // (an enum's labels are read where the term is run: no candidates)
    let candidates = if enumerated {
        None
    } else {
        // (a function of the application's may be slow: the best few)
        // SAFETY: nodes of the tree being walked
        let (constants, most) = unsafe { term_constants(node) };
        let read = column_candidates(&constants, base, most, crate::candidates::candidates);
        if read.is_empty() {
            return;
        }
        Some(read)
    };
    let source = match candidates {
        None => format!("pg_catalog.enum_range(NULL::{type_name})::pg_catalog.text[]"),
        Some(_) => "$1::pg_catalog.text[]".to_string(),
    };
    let sql = format!(
        "(SELECT rls_audit_row.{column}::pg_catalog.text FROM (SELECT rls_audit_candidate.v::{type_name} AS {column} FROM pg_catalog.unnest({source}) AS rls_audit_candidate(v)) AS rls_audit_row WHERE {test} LIMIT 1)"
    );
    // (a term that reads another setting the application sets per
    // request, `lower(email) = current_setting('app.user_email', true)`:
    // that setting given a value too, as a Claimed variant's)
    // SAFETY: nodes of the tree being walked
    let claimed = unsafe { claimed(node, found.setting) };
    found.found.push((
        attno,
        match candidates {
            None => Variant::Computed(sql),
            Some(candidates) => Variant::Searched(sql, candidates, claimed),
        },
    ));
}

/// [`searched`] on a term of two or three columns (`a + b = 10`,
/// `partner = tenant_id`, `NOT (starts_with(code, prefix))`): a
/// `Variant::Rows` that evaluates the term, as the role acting as the
/// tenant, on rows of candidates for its columns
/// ([`crate::candidates::rows`]) and is the first row that passes, its
/// values set together. The tenant column, when the term reads it, is
/// not searched: its value in each row is another tenant's, the one the
/// statements move or insert the row for.
unsafe fn searched_rows(
    found: &mut Variants<'_>,
    node: *mut pg_sys::Node,
    columns: &[(i16, pg_sys::Oid, i32)],
) {
    // SAFETY: nodes of the tree being walked
    let Some(test) = (unsafe { printed_test(found, node) }) else {
        return;
    };
    // SAFETY: as above
    let (constants, most) = unsafe { term_constants(node) };
    // (the tenant column last)
    let ordered = columns
        .iter()
        .filter(|c| c.0 != found.tenant)
        .chain(columns.iter().filter(|c| c.0 == found.tenant));
    let (mut select, mut candidates, mut with) = (Vec::new(), Vec::new(), Vec::new());
    let mut attno = None;
    for (index, &column) in ordered.enumerate() {
        // SAFETY: catalog cache lookups of the table's own column
        let Some((name, type_name)) = (unsafe { column_named(found.relid, column) }) else {
            return;
        };
        select.push(format!(
            "(rls_audit_candidate.v::pg_catalog.json OPERATOR(pg_catalog.->>) {index})::{type_name} AS {}",
            crate::ident::quote_ident(&name)
        ));
        if column.0 == found.tenant {
            continue;
        }
        // (each column's best few: the rows combine them)
        // SAFETY: a catalog cache lookup of the column's type
        let base = unsafe { pg_sys::getBaseType(column.1) };
        let read = column_candidates(&constants, base, ROWS_COLUMN, crate::candidates::for_rows);
        if read.is_empty() {
            return;
        }
        candidates.push(read);
        match attno {
            None => attno = Some(column.0),
            Some(_) => with.push(name),
        }
    }
    // (a term of the tenant column alone is tried with every tenant's
    // value already)
    let Some(attno) = attno else {
        return;
    };
    let sql = format!(
        "(SELECT rls_audit_row.rls_audit_values FROM (SELECT rls_audit_candidate.v AS rls_audit_values, {} FROM pg_catalog.unnest($1::pg_catalog.text[]) AS rls_audit_candidate(v)) AS rls_audit_row WHERE {test} LIMIT 1)",
        select.join(", ")
    );
    // SAFETY: nodes of the tree being walked
    let claimed = unsafe { claimed(node, found.setting) };
    found.found.push((
        attno,
        Variant::Rows(Box::new(Rows {
            sql,
            candidates,
            with,
            tenant: columns.iter().any(|c| c.0 == found.tenant),
            most,
            claimed,
        })),
    ));
}

/// A searched term's constants ([`all_constants`]) and how many
/// candidates (or rows of them) it is tried with: fewer when it calls a
/// function of the application's, which may be slow.
unsafe fn term_constants(node: *mut pg_sys::Node) -> (Vec<String>, usize) {
    // SAFETY: the caller's node of the tree being walked
    unsafe {
        let most = if calls_own_function(node) {
            SEARCHED_OWN
        } else {
            SEARCHED
        };
        (all_constants(node), most)
    }
}

/// At most this many candidates per column of a term [`searched_rows`]
/// combines.
const ROWS_COLUMN: usize = 64;

/// Whether `node` calls a function (or an operator's) that is not
/// built in.
unsafe fn calls_own_function(node: *mut pg_sys::Node) -> bool {
    unsafe extern "C-unwind" fn own(funcid: pg_sys::Oid, _: *mut std::ffi::c_void) -> bool {
        funcid.to_u32() >= pg_sys::FirstNormalObjectId
    }
    unsafe extern "C-unwind" fn walk(node: *mut pg_sys::Node, ctx: *mut std::ffi::c_void) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: a node of the tree being walked
        unsafe {
            pg_sys::check_functions_in_node(node, Some(own), ctx)
                || pg_sys::expression_tree_walker(node, Some(walk), ctx)
        }
    }
    // SAFETY: as above
    unsafe { walk(node, std::ptr::null_mut()) }
}

/// At most this many candidates of a term that calls a function of the
/// application's ([`calls_own_function`]).
const SEARCHED_OWN: usize = 64;

/// At most this many bytes of candidates' literals per term.
const SEARCHED_BYTES: usize = 64 * 1024;

/// At most this many candidates of a term [`searched`] tries.
const SEARCHED: usize = 1000;

/// For each of `tables` the role cannot TRUNCATE itself: the first of
/// `roles` (those it may SET ROLE to without inheriting them) that may,
/// after that SET ROLE (see `truncate_via.sql`).
pub(crate) fn truncate_via(
    c: &SpiClient<'_>,
    tables: &[u32],
    roles: &[String],
) -> Result<Vec<(u32, String)>> {
    if tables.is_empty() || roles.is_empty() {
        return Ok(Vec::new());
    }
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|o| pg_sys::Oid::from(*o)).collect();
    let mut out = Vec::new();
    for r in crate::prepared::select(
        c,
        TRUNCATE_VIA.as_str(),
        None,
        &[oids.into(), roles.to_vec().into()],
    )? {
        out.push((oid(&r, 1)?, text(&r, 2)?));
    }
    Ok(out)
}

/// The functions that read policies of `tables` applying to `role` call
/// and that the role may replace (`replaceable.sql`), per table OID.
pub(crate) fn replaceable(
    c: &SpiClient<'_>,
    tables: &[u32],
    role: &str,
) -> Result<Vec<(u32, crate::model::Replaceable)>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|o| pg_sys::Oid::from(*o)).collect();
    let mut out = Vec::new();
    for r in crate::prepared::select(c, REPLACEABLE.as_str(), None, &[oids.into(), role.into()])? {
        out.push((
            oid(&r, 1)?,
            crate::model::Replaceable {
                policy: text(&r, 2)?,
                function: text(&r, 3)?,
                owner: text(&r, 4)?,
                replacer: text(&r, 5)?,
                signature: text(&r, 6)?,
                result: text(&r, 7)?,
                returns_bool: flag(&r, 8)?,
                reads: flag(&r, 9)?,
                writes: flag(&r, 10)?,
                write_policies: r.get::<Vec<String>>(11)?.unwrap_or_default(),
            },
        ));
    }
    Ok(out)
}

/// For each of `tables`: the other tables its policies for `role` read
/// that the role may write (`lookups.sql`, and `writable` read into
/// `written` when not yet: one verify_isolation call reads it once), as
/// (table, the policies that read it check writes, the lookup): one
/// entry for its read policies and one for its write policies.
pub(crate) fn lookups(
    c: &SpiClient<'_>,
    tables: &[u32],
    role: &str,
    written: &mut Option<Vec<crate::model::Lookup>>,
) -> Result<Vec<(u32, bool, crate::model::Lookup)>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|o| pg_sys::Oid::from(*o)).collect();
    let mut read = Vec::new();
    for r in crate::prepared::select(c, LOOKUPS.as_str(), None, &[oids.into(), role.into()])? {
        let (table, m) = (oid(&r, 1)?, oid(&r, 3)?);
        if let Some(policy) = r.get::<String>(2)? {
            read.push((table, false, policy, Vec::new(), m));
        }
        let names = r.get::<Vec<String>>(4)?.unwrap_or_default();
        let commands = r.get::<Vec<String>>(5)?.unwrap_or_default();
        if let Some(first) = names.first().cloned() {
            read.push((
                table,
                true,
                first,
                names.into_iter().zip(commands).collect(),
                m,
            ));
        }
    }
    if read.is_empty() {
        return Ok(Vec::new());
    }
    let writable = writable_once(c, role, written)?;
    Ok(read
        .into_iter()
        .filter_map(|(table, writes, policy, write_policies, m)| {
            writable.iter().find(|l| l.oid == m).map(|l| {
                (
                    table,
                    writes,
                    crate::model::Lookup {
                        policy,
                        write_policies,
                        via_function: false,
                        ..l.clone()
                    },
                )
            })
        })
        .collect())
}

/// A table whose policies call a function that is not built in, the first
/// such read policy and the first such write policy (None: none).
pub(crate) type FunctionReaders = (u32, Option<String>, Option<String>);

/// For each of `tables` whose policies for `role` call a function that is
/// not built in: the first such read policy and the first such write
/// policy, None for none (`function_readers.sql`).
pub(crate) fn function_readers(
    c: &SpiClient<'_>,
    tables: &[u32],
    role: &str,
) -> Result<Vec<FunctionReaders>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|o| pg_sys::Oid::from(*o)).collect();
    let mut out = Vec::new();
    for r in crate::prepared::select(
        c,
        FUNCTION_READERS.as_str(),
        None,
        &[oids.into(), role.into()],
    )? {
        out.push((oid(&r, 1)?, r.get::<String>(2)?, r.get::<String>(3)?));
    }
    Ok(out)
}

/// The tables `role` may write (`writable.sql`), as lookups with no
/// policy named yet (found by a scan unless said otherwise).
pub(crate) fn writable(c: &SpiClient<'_>, role: &str) -> Result<Vec<crate::model::Lookup>> {
    let mut out = Vec::new();
    for r in crate::prepared::select(c, WRITABLE.as_str(), None, &[role.into()])? {
        let columns = r.get::<Vec<String>>(4)?.unwrap_or_default();
        let trees = r.get::<Vec<String>>(5)?.unwrap_or_default();
        out.push(crate::model::Lookup {
            policy: String::new(),
            write_policies: Vec::new(),
            table: text(&r, 1)?,
            oid: oid(&r, 2)?,
            kinds: r.get::<Vec<String>>(3)?.unwrap_or_default(),
            volatile: columns
                .into_iter()
                .zip(trees)
                .filter(|(_, tree)| volatile_tree(tree))
                .map(|(column, _)| column)
                .collect(),
            via_function: true,
        });
    }
    Ok(out)
}

/// [`writable`], read once into `written` and kept there.
pub(crate) fn writable_once<'w>(
    c: &SpiClient<'_>,
    role: &str,
    written: &'w mut Option<Vec<crate::model::Lookup>>,
) -> Result<&'w [crate::model::Lookup]> {
    if written.is_none() {
        *written = Some(writable(c, role)?);
    }
    Ok(written.as_deref().unwrap_or_default())
}

/// The scans this transaction has made so far of each of `tables` (and
/// of their indexes and partitions: `scans.sql`).
pub(crate) fn scans(c: &SpiClient<'_>, tables: &[u32]) -> Result<Vec<(u32, i64)>> {
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|o| pg_sys::Oid::from(*o)).collect();
    let mut out = Vec::new();
    for r in crate::prepared::select(c, SCANS.as_str(), None, &[oids.into()])? {
        out.push((oid(&r, 1)?, r.get::<i64>(2)?.unwrap_or(0)));
    }
    Ok(out)
}

/// For each of `tables`: the SECURITY DEFINER functions `role` may call
/// that return its rows, with the tenant `column`, and (when `writes`)
/// those that may write it (`definers.sql`: one scan of `pg_proc` for
/// both).
#[allow(clippy::type_complexity)]
pub(crate) fn definers(
    c: &SpiClient<'_>,
    tables: &[u32],
    role: &str,
    column: &str,
    writes: bool,
) -> Result<(
    Vec<(u32, crate::model::DefinerReader)>,
    Vec<(u32, crate::model::DefinerWriter)>,
)> {
    let (mut readers, mut writers) = (Vec::new(), Vec::new());
    if tables.is_empty() {
        return Ok((readers, writers));
    }
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|o| pg_sys::Oid::from(*o)).collect();
    for r in crate::prepared::select(
        c,
        DEFINERS.as_str(),
        None,
        &[oids.into(), role.into(), column.into(), writes.into()],
    )? {
        let table = oid(&r, 1)?;
        let definer = crate::model::Definer {
            function: text(&r, 2)?,
            owner: text(&r, 3)?,
            name: text(&r, 4)?,
            arg_types: r.get::<Vec<String>>(5)?.unwrap_or_default(),
            arg_names: r.get::<Vec<String>>(6)?.unwrap_or_default(),
            arg_elems: r.get::<Vec<String>>(7)?.unwrap_or_default(),
            procedure: r.get::<bool>(8)?.unwrap_or(false),
        };
        if r.get::<bool>(10)?.unwrap_or(false) {
            writers.push((table, definer.clone()));
        }
        if r.get::<bool>(9)?.unwrap_or(false) {
            readers.push((table, definer));
        }
    }
    Ok((readers, writers))
}

/// The columns of relation `rel`: (name, type as `schema.name`, quoted).
pub(crate) fn columns_of(c: &SpiClient<'_>, rel: u32) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for r in crate::prepared::select(c, COLUMNS.as_str(), None, &[pg_sys::Oid::from(rel).into()])? {
        out.push((text(&r, 1)?, text(&r, 2)?));
    }
    Ok(out)
}

/// The row type of relation `rel` as `schema.name` (quoted).
pub(crate) fn row_type(c: &SpiClient<'_>, rel: u32) -> Result<Option<String>> {
    one(c, ROW_TYPE.as_str(), &[pg_sys::Oid::from(rel).into()])
}

/// Table `rel` and its partitions, at every level.
pub(crate) fn partition_tree(c: &SpiClient<'_>, rel: u32) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for r in crate::prepared::select(
        c,
        PARTITION_TREE.as_str(),
        None,
        &[pg_sys::Oid::from(rel).into()],
    )? {
        out.push(oid(&r, 1)?);
    }
    Ok(out)
}

/// A foreign key of a probed table whose ON DELETE action writes the
/// table's rows (`cascades.sql`): what verify_isolation's cascade probe
/// needs of it and of the table it references.
#[derive(Debug, Clone)]
pub(crate) struct CascadeKey {
    pub(crate) name: String,
    /// the ON DELETE and ON UPDATE actions: `c` CASCADE, `n` SET NULL,
    /// `d` SET DEFAULT (`a` NO ACTION, `r` RESTRICT: nothing written)
    pub(crate) on_delete: char,
    pub(crate) on_update: char,
    pub(crate) parent_oid: u32,
    /// schema-qualified, quoted
    pub(crate) parent: String,
    pub(crate) parent_owner: String,
    pub(crate) parent_rls: bool,
    pub(crate) parent_forced: bool,
    /// the key's columns in the table, and in the referenced table
    pub(crate) keys: Vec<String>,
    pub(crate) refs: Vec<String>,
    /// `OPERATOR(schema.=)` per column: referenced = referencing
    pub(crate) ops: Vec<String>,
}

/// The foreign keys of `tables` whose ON DELETE or ON UPDATE action
/// writes their rows, per table OID.
pub(crate) fn cascades(c: &SpiClient<'_>, tables: &[u32]) -> Result<Vec<(u32, CascadeKey)>> {
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let names = |r: &SpiHeapTupleData, i: usize| -> Result<Vec<String>> {
        Ok(r.get::<Vec<Option<String>>>(i)?
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect())
    };
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|o| pg_sys::Oid::from(*o)).collect();
    let mut out = Vec::new();
    for r in crate::prepared::select(c, CASCADES.as_str(), None, &[oids.into()])? {
        out.push((
            oid(&r, 1)?,
            CascadeKey {
                name: text(&r, 2)?,
                on_delete: text(&r, 3)?.chars().next().unwrap_or('a'),
                on_update: text(&r, 12)?.chars().next().unwrap_or('a'),
                parent_oid: oid(&r, 4)?,
                parent: text(&r, 5)?,
                parent_owner: text(&r, 6)?,
                parent_rls: flag(&r, 7)?,
                parent_forced: flag(&r, 8)?,
                keys: names(&r, 9)?,
                refs: names(&r, 10)?,
                ops: names(&r, 11)?,
            },
        ));
    }
    Ok(out)
}

/// Of `roles`, those holding a privilege the probes could use on a
/// relation with `column` (`tables`, or every one in scope): see
/// `privileged_among.sql`.
pub(crate) fn privileged_among(
    c: &SpiClient<'_>,
    roles: &[String],
    column: &str,
    tables: Option<Vec<pg_sys::Oid>>,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for r in crate::prepared::select(
        c,
        PRIVILEGED_AMONG.as_str(),
        None,
        &[roles.to_vec().into(), column.into(), tables.into()],
    )? {
        out.push(text(&r, 1)?);
    }
    Ok(out)
}

/// The tables to verify: the given ones (each must exist, be a table and
/// have the column), or every table in scope that has the column.
pub(crate) fn targets(
    c: &SpiClient<'_>,
    role: &str,
    column: &str,
    tables: Option<&[Option<pg_sys::Oid>]>,
) -> Result<Vec<Target>> {
    if let Some(list) = tables {
        for oid in list.iter().flatten() {
            let row = crate::prepared::select(
                c,
                TARGET_CHECK.as_str(),
                Some(1),
                &[(*oid).into(), column.into()],
            )?
            .first();
            let name = row.get::<String>(2)?.unwrap_or_default();
            match row.get::<String>(1)?.as_deref() {
                None => return Err(RlsAuditError::UnknownTable(oid.to_u32())),
                Some("r") | Some("p") | Some("v") | Some("m") => {}
                Some(_) => {
                    return Err(RlsAuditError::WrongObjectType(format!(
                        "{name} is not a table or a view"
                    )))
                }
            }
            if !row.get::<bool>(3)?.unwrap_or(false) {
                return Err(RlsAuditError::UnknownColumn {
                    column: column.to_string(),
                    table: name,
                });
            }
        }
    }
    let oids: Option<Vec<pg_sys::Oid>> = tables.map(|l| l.iter().flatten().copied().collect());
    let mut out = Vec::new();
    let mut types = Vec::new();
    for row in crate::prepared::select(
        c,
        TARGETS.as_str(),
        None,
        &[role.into(), column.into(), oids.into()],
    )? {
        let kind = text(&row, 16)?;
        out.push(Target {
            oid: oid(&row, 7)?,
            kind: crate::model::RelKind::from_relkind(&kind).ok_or_else(|| {
                RlsAuditError::ObjectState(format!(
                    "unexpected catalog value: relation kind {kind:?}"
                ))
            })?,
            view_writes: crate::model::ViewWrites {
                insert: flag(&row, 17)?,
                update: flag(&row, 18)?,
                delete: flag(&row, 19)?,
                tenant: flag(&row, 28)?,
                check_option: flag(&row, 29)?,
                before_update: flag(&row, 30)?,
            },
            security_invoker: flag(&row, 31)?,
            view_base: match (row.get::<String>(20)?, row.get::<String>(21)?) {
                (Some(schema), Some(table)) => Some(crate::model::ViewBase {
                    oid: oid(&row, 23)?,
                    schema,
                    table,
                    why: row.get::<String>(22)?,
                    delete: row.get::<bool>(24)?,
                    update: row.get::<bool>(25)?,
                }),
                _ => None,
            },
            rules: row
                .get::<Vec<Option<String>>>(26)?
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    r.split_once(' ')
                        .map(|(c, n)| (c.to_string(), n.to_string()))
                })
                .collect(),
            schema: text(&row, 1)?,
            table: text(&row, 2)?,
            owner: text(&row, 3)?,
            role_owns: flag(&row, 4)?,
            role_may_become_owner: false,
            owner_uses_schema: flag(&row, 9)?,
            role_may_truncate: flag(&row, 10)?,
            truncate_via: None,
            role_may_trigger: flag(&row, 27)?,
            replaceable: Vec::new(),
            lookups: Vec::new(),
            write_lookups: Vec::new(),
            definer_readers: Vec::new(),
            definer_writers: Vec::new(),
            tenant_hidden: flag(&row, 11)?,
            tenant_fixed: flag(&row, 12)?,
            tenant_defaulted: flag(&row, 13)?,
            tenant_default: row.get::<String>(14)?,
            default_volatile: row
                .get::<String>(15)?
                .is_some_and(|tree| volatile_tree(&tree)),
            rls_enabled: flag(&row, 5)?,
            rls_forced: flag(&row, 6)?,
            col_type_q: String::new(),
            col_eq: String::new(),
            col_order: None,
            col_base: 0,
            column: column.to_string(),
        });
        types.push(oid(&row, 8)?);
    }
    // after the read (no statement runs while its rows are walked), once
    // per distinct type: most tables share the tenant column's type
    let mut named: std::collections::BTreeMap<u32, ProbeType> = Default::default();
    for (t, typid) in out.iter_mut().zip(types) {
        let ty = match named.entry(typid) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(probe_type(c, pg_sys::Oid::from(typid))?)
            }
        };
        t.col_type_q = ty.name.clone();
        t.col_eq = ty.eq.clone();
        t.col_order = ty.order.clone();
        t.col_base = base_type_equality(pg_sys::Oid::from(typid)).0.to_u32();
    }
    if out.is_empty() && tables.is_none() {
        return Err(RlsAuditError::UnknownColumn {
            column: column.to_string(),
            table: "any table outside the system schemas".into(),
        });
    }
    Ok(out)
}

/// Every policy of `table`, once per alias: its USING and WITH CHECK
/// printed as if the table were called that (`live::deparse_as`; the
/// write probe's shadow and screen copies get the table's policies); the
/// settings with a dot in their names (ones an application defines) they
/// read by a constant name; and those the bodies of the functions they
/// call name (which a new session's write probe leaves undefined:
/// `crate::fresh::run_writes`, as their bodies cannot be read as a new
/// session reads them); lowercased, each once ([`note_settings`]).
pub(crate) fn table_policies(
    c: &SpiClient<'_>,
    table: u32,
    aliases: &[&str],
) -> Result<TablePolicies> {
    let (mut read, mut bodies) = (Vec::new(), Vec::new());
    let policies = policies_printed(c, table, aliases, None, &mut read, Some(&mut bodies))?;
    Ok(TablePolicies {
        policies,
        read,
        bodies,
    })
}

/// What [`table_policies`] gives.
pub(crate) struct TablePolicies {
    /// the policies, once per alias
    pub(crate) policies: Vec<Vec<Policy>>,
    /// the settings they read
    pub(crate) read: Vec<String>,
    /// the settings the bodies of the functions they call name
    pub(crate) bodies: Vec<String>,
}

/// The settings with a dot in their names (ones an application defines)
/// that the policies of `tables` applying to `role` read by a constant
/// name, in sub-selects too, or that the bodies of the functions they call
/// name (`app.uid()`'s `current_setting('app.user_id', true)`: read in a
/// new session, it is NULL there too), lowercased, each once
/// ([`note_settings`]).
pub(crate) fn policy_settings(
    c: &SpiClient<'_>,
    tables: &[u32],
    role: &str,
) -> Result<Vec<String>> {
    let oids: Vec<pg_sys::Oid> = tables.iter().map(|o| pg_sys::Oid::from(*o)).collect();
    let (mut read, mut bodies) = (Vec::new(), Vec::new());
    for p in policy_trees(c, oids, role)? {
        for tree in [p.qual, p.check].into_iter().flatten() {
            note_settings(&tree, &mut read, Some(&mut bodies));
            note_dotted(bodies.drain(..), &mut read);
        }
    }
    Ok(read)
}

/// [`table_policies`] of one alias as a new session evaluates them, where
/// the settings `unset` (lowercased) were never set ([`as_unset`]).
pub(crate) fn table_policies_unset(
    c: &SpiClient<'_>,
    table: u32,
    alias: &str,
    unset: &[String],
) -> Result<Vec<Policy>> {
    let mut out = policies_printed(c, table, &[alias], Some(unset), &mut Vec::new(), None)?;
    Ok(out.pop().unwrap_or_default())
}

/// [`table_policies`]' policies, as a new session evaluates them when
/// `unset` is given; the settings they read added to `read`, and those
/// the bodies of the functions they call name to `bodies`, when given.
fn policies_printed(
    c: &SpiClient<'_>,
    table: u32,
    aliases: &[&str],
    unset: Option<&[String]>,
    read: &mut Vec<String>,
    mut bodies: Option<&mut Vec<String>>,
) -> Result<Vec<Vec<Policy>>> {
    let mut out = vec![Vec::new(); aliases.len()];
    for r in c.select(
        TABLE_POLICIES.as_str(),
        None,
        &[pg_sys::Oid::from(table).into()],
    )? {
        let (using, check) = (r.get::<String>(7)?, r.get::<String>(8)?);
        for tree in using.iter().chain(&check) {
            note_settings(tree, read, bodies.as_deref_mut());
        }
        for (alias, policies) in aliases.iter().zip(out.iter_mut()) {
            let print = |tree: &Option<String>| -> Result<Option<String>> {
                match (tree, unset) {
                    (Some(t), None) => live::deparse_as(t, pg_sys::Oid::from(table), alias),
                    (Some(t), Some(unset)) => {
                        live::deparse_unset(t, pg_sys::Oid::from(table), alias, unset)
                    }
                    (None, _) => Ok(None),
                }
            };
            policies.push(policy_with(
                &r,
                1,
                role_column(&r, 6)?,
                print(&using)?,
                print(&check)?,
            )?);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// the access model

/// Who is who and who may act as whom: every role with its attributes and
/// every membership, as facts with only those two families filled (what
/// verify_isolation's role checks need), and each role OID's name (0 is
/// PUBLIC) for the other families.
fn read_roles(
    c: &SpiClient<'_>,
) -> Result<(model::AccessFacts, std::collections::BTreeMap<i64, String>)> {
    use model::{AccessRole, Membership};
    let mut facts = model::AccessFacts::default();
    let mut names = std::collections::BTreeMap::from([(0, "public".to_string())]);
    for r in crate::prepared::select(c, ACCESS_ROLES.as_str(), None, &[])? {
        let name = text(&r, 2)?;
        names.insert(r.get::<i64>(1)?.unwrap_or(-1), name.clone());
        facts.roles.push(AccessRole {
            name,
            superuser: flag(&r, 3)?,
            bypassrls: flag(&r, 4)?,
            login: flag(&r, 5)?,
        });
    }
    for r in crate::prepared::select(c, ACCESS_MEMBERS, None, &[])? {
        let name_of = |i: usize| -> Result<Option<String>> {
            Ok(r.get::<i64>(i)?.and_then(|o| names.get(&o).cloned()))
        };
        let (Some(role), Some(member)) = (name_of(1)?, name_of(2)?) else {
            continue;
        };
        facts.memberships.push(Membership {
            role,
            member,
            inherit: flag(&r, 3)?,
            set: flag(&r, 4)?,
        });
    }
    Ok((facts, names))
}

/// Roles and memberships only (see [`read_roles`]).
pub(crate) fn read_role_facts(c: &SpiClient<'_>) -> Result<model::AccessFacts> {
    let (mut facts, _) = read_roles(c)?;
    facts.canonicalize();
    Ok(facts)
}

/// The access model's facts, one statement per fact family (roles,
/// memberships, schemas, relations, definer functions), OIDs turned into
/// names here. The caller runs under the pinned search_path.
pub(crate) fn read_access(c: &SpiClient<'_>) -> Result<model::AccessFacts> {
    use model::{Command, DefinerPath, Grant, RelKind, Relation};

    let (mut facts, names) = read_roles(c)?;
    let name_of = |o: i64| names.get(&o).cloned();
    for r in crate::prepared::select(c, ACCESS_SCHEMAS.as_str(), None, &[])? {
        facts.schemas.push(model::SchemaUsage {
            schema: text(&r, 1)?,
            usage: r
                .get::<Vec<i64>>(2)?
                .unwrap_or_default()
                .into_iter()
                .filter_map(name_of)
                .collect(),
        });
    }
    // "grantee-oid PRIVILEGE" pairs into grants
    let grants = |pairs: Vec<String>, columns: bool| -> Vec<Grant> {
        pairs
            .iter()
            .filter_map(|p| {
                let (who, what) = p.split_once(' ')?;
                Some(Grant {
                    grantee: name_of(who.parse().ok()?)?,
                    command: what.parse::<Command>().ok()?,
                    columns,
                })
            })
            .collect()
    };
    // a relation's OID to its place in facts.relations (its names are there)
    let mut by_oid: BTreeMap<i64, usize> = BTreeMap::new();
    // (relation index, parent OID, read OIDs): resolved once every name is known
    let mut links: Vec<(usize, Option<i64>, Vec<i64>)> = Vec::new();
    // batched: one relation per table of a large catalog
    each_row(c, ACCESS_RELATIONS.as_str(), &[], |r| {
        let Some(kind) = RelKind::from_relkind(&text(r, 4)?) else {
            return Ok(());
        };
        let (schema, name) = (text(r, 2)?, text(r, 3)?);
        by_oid.insert(r.get::<i64>(1)?.unwrap_or(-1), facts.relations.len());
        // pg_relation_is_updatable's bits
        let updatable = commands_in(
            r.get::<i32>(10)?.unwrap_or(0),
            [
                (8, Command::Insert),
                (4, Command::Update),
                (16, Command::Delete),
            ],
        );
        let (truncate, table_wide): (Vec<String>, Vec<String>) = r
            .get::<Vec<String>>(11)?
            .unwrap_or_default()
            .into_iter()
            .partition(|p| p.ends_with(" TRUNCATE"));
        let mut all = grants(table_wide, false);
        all.extend(grants(r.get::<Vec<String>>(12)?.unwrap_or_default(), true));
        let truncate: Vec<String> = truncate
            .iter()
            .filter_map(|p| name_of(p.split_once(' ')?.0.parse().ok()?))
            .collect();
        links.push((
            facts.relations.len(),
            r.get::<i64>(9)?,
            r.get::<Vec<i64>>(13)?.unwrap_or_default(),
        ));
        facts.relations.push(Relation {
            schema,
            name,
            kind,
            owner: r.get::<i64>(5)?.and_then(name_of).unwrap_or_default(),
            rls_enabled: flag(r, 6)?,
            rls_forced: flag(r, 7)?,
            security_invoker: flag(r, 8)?,
            parent: None,
            updatable,
            grants: all,
            reads: Vec::new(),
            rules: Vec::new(),
            cascades: Vec::new(),
            truncate,
        });
        Ok(())
    })?;
    let name_at = |rels: &[Relation], o: &i64| {
        by_oid
            .get(o)
            .map(|&i| (rels[i].schema.clone(), rels[i].name.clone()))
    };
    for (i, parent, reads) in links {
        let parent = parent.and_then(|p| name_at(&facts.relations, &p));
        let reads = reads
            .iter()
            .filter_map(|o| name_at(&facts.relations, o))
            .collect();
        (facts.relations[i].parent, facts.relations[i].reads) = (parent, reads);
    }
    for r in crate::prepared::select(c, ACCESS_RULES.as_str(), None, &[])? {
        let Some(&i) = by_oid.get(&r.get::<i64>(1)?.unwrap_or(-1)) else {
            continue;
        };
        let event = match text(&r, 3)?.as_str() {
            "2" => Command::Update,
            "3" => Command::Insert,
            "4" => Command::Delete,
            _ => continue,
        };
        let name = text(&r, 2)?;
        let Some(Tree(actions)) = r.get::<Tree>(4)? else {
            continue;
        };
        for (target, command) in query_writes(actions) {
            if let Some(target) = name_at(&facts.relations, &i64::from(target)) {
                facts.relations[i].rules.push(model::RuleWrite {
                    name: name.clone(),
                    event,
                    command,
                    target,
                });
            }
        }
    }
    for r in crate::prepared::select(c, ACCESS_CASCADES.as_str(), None, &[])? {
        let (Some(&i), Some(parent)) = (
            by_oid.get(&r.get::<i64>(1)?.unwrap_or(-1)),
            name_at(&facts.relations, &r.get::<i64>(3)?.unwrap_or(-1)),
        ) else {
            continue;
        };
        let name = text(&r, 2)?;
        for (event, action) in [
            (Command::Delete, text(&r, 4)?),
            (Command::Update, text(&r, 5)?),
        ] {
            let (command, spelled) = match action.as_str() {
                "c" if event == Command::Delete => (Command::Delete, "CASCADE"),
                "c" => (Command::Update, "CASCADE"),
                "n" => (Command::Update, "SET NULL"),
                "d" => (Command::Update, "SET DEFAULT"),
                _ => continue,
            };
            facts.relations[i].cascades.push(model::Cascade {
                name: name.clone(),
                parent: parent.clone(),
                event,
                command,
                action: format!("ON {event} {spelled}"),
            });
        }
    }
    // a function's OID to its place in facts.functions
    let mut function_at: BTreeMap<i64, usize> = BTreeMap::new();
    for r in crate::prepared::select(c, ACCESS_FUNCTIONS.as_str(), None, &[])? {
        let mut reads: Vec<(model::RelName, bool)> = r
            .get::<Vec<i64>>(6)?
            .unwrap_or_default()
            .iter()
            .filter_map(|o| name_at(&facts.relations, o))
            .map(|n| (n, true))
            .collect();
        let mut writes: Vec<(model::RelName, Command, bool)> = Vec::new();
        if let Some(body) = r.get::<String>(7)? {
            let candidates = || {
                facts
                    .relations
                    .iter()
                    .map(|r| (r.schema.as_str(), r.name.as_str()))
            };
            let words = crate::access::words(&body);
            for n in crate::access::named_in_body(&words, candidates()) {
                if !reads.iter().any(|(m, _)| *m == n) {
                    reads.push((n, false));
                }
            }
            for (n, cmd) in crate::access::written_in_body(&words, candidates()) {
                writes.push((n, cmd, false));
            }
        }
        if let Some(Tree(body)) = r.get::<Tree>(8)? {
            for (target, cmd) in query_writes(body) {
                if let Some(n) = name_at(&facts.relations, &i64::from(target)) {
                    writes.push((n, cmd, true));
                }
            }
        }
        function_at.insert(r.get::<i64>(10)?.unwrap_or(-1), facts.functions.len());
        facts.functions.push(DefinerPath {
            schema: text(&r, 1)?,
            name: text(&r, 2)?,
            args: text(&r, 3)?,
            owner: r.get::<i64>(4)?.and_then(name_of).unwrap_or_default(),
            executors: r
                .get::<Vec<i64>>(5)?
                .unwrap_or_default()
                .into_iter()
                .filter_map(name_of)
                .collect(),
            reads,
            writes,
            trigger_only: flag(&r, 9)?,
            procedure: flag(&r, 11)?,
            fired_by: Vec::new(),
        });
    }
    for r in crate::prepared::select(c, ACCESS_TRIGGERS.as_str(), None, &[])? {
        let (Some(&f), Some(relation)) = (
            function_at.get(&r.get::<i64>(4)?.unwrap_or(-1)),
            name_at(&facts.relations, &r.get::<i64>(1)?.unwrap_or(-1)),
        ) else {
            continue;
        };
        // pg_trigger.tgtype's event bits
        let events = commands_in(
            r.get::<i32>(3)?.unwrap_or(0),
            [
                (4, Command::Insert),
                (8, Command::Delete),
                (16, Command::Update),
            ],
        );
        if !events.is_empty() {
            facts.functions[f].fired_by.push(model::TriggerFire {
                relation,
                name: text(&r, 2)?,
                events,
            });
        }
    }
    facts.canonicalize();
    Ok(facts)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn a_roles_path_names_its_own_schema_and_searches_pg_temp_last() {
        assert_eq!(
            role_path(r#""$user", public"#, "app"),
            "app, public, pg_temp"
        );
        assert_eq!(
            role_path(r#"$user,"a, ""b"" c" , pg_catalog"#, "App User"),
            r#""App User", "a, ""b"" c", pg_catalog, pg_temp"#
        );
        assert_eq!(role_path("", "app"), "pg_temp");
    }

    #[test]
    fn every_placeholder_is_filled() {
        for sql in [
            include_str!("../../sql/catalog/state.sql"),
            include_str!("../../sql/catalog/resync_policies.sql"),
            include_str!("../../sql/catalog/lint_policies.sql"),
            include_str!("../../sql/catalog/targets.sql"),
        ] {
            let filled = fill(sql);
            for p in [
                "{in_scope}",
                "{is_table}",
                "{policy_definition}",
                "{policy_mode}",
                "{policy_command}",
                "{policy_tree}",
            ] {
                assert!(!filled.contains(p), "{p} left in {filled}");
            }
        }
        assert!(fill("{policy_definition}").contains("'RESTRICTIVE'"));
    }

    #[test]
    fn values_passing_a_comparison_are_the_constant_or_one_step_past_it() {
        let v = |op, c, k| values_passing(op, c, k);
        assert_eq!(v(">", "5", Kind::Number), ["6"]);
        assert_eq!(v("<", "5", Kind::Number), ["4"]);
        assert_eq!(v(">=", "5", Kind::Number), ["5"]);
        assert_eq!(v("<>", "0.5", Kind::Number), ["1.5"]);
        assert_eq!(
            v(">", "170141183460469231731687303715884105727", Kind::Number),
            Vec::<String>::new()
        );
        assert_eq!(v(">", "m", Kind::Text), ["mz"]);
        assert_eq!(v("<", "m", Kind::Text), [""]);
        assert_eq!(v("<", "", Kind::Text), Vec::<String>::new());
        assert_eq!(v("<>", "t", Kind::Bool), ["false"]);
        assert_eq!(v("<>", "f", Kind::Bool), ["true"]);
        assert_eq!(v("~~", "pub\\_%", Kind::Text), ["pub_"]);
        assert_eq!(v("~~*", "a_c%", Kind::Text), ["axc"]);
        assert_eq!(v("~~", "5%", Kind::Number), Vec::<String>::new());
        assert_eq!(v(">", "2026-01-01", Kind::Other), Vec::<String>::new());
        assert_eq!(v("<=", "2026-01-01", Kind::Other), ["2026-01-01"]);
        assert_eq!(v("~", "^pub-[0-9]+$", Kind::Text), ["pub-0"]);
        assert_eq!(v("~*", "(a", Kind::Text), Vec::<String>::new());
        assert_eq!(v("!~", "^pub", Kind::Text), [""]);
        assert_eq!(v("!~~", "pub%", Kind::Text), [""]);
        assert_eq!(v("^@", "pub", Kind::Text), ["pub"]);
        assert_eq!(v(">", "2026-01-01", Kind::Time), ["infinity"]);
        assert_eq!(v("<", "2026-01-01 10:00", Kind::Time), ["-infinity"]);
        assert_eq!(v("<>", "infinity", Kind::Time), Vec::<String>::new());
        assert_eq!(time_passing(">="), Some("infinity"));
        assert_eq!(time_passing("<"), Some("-infinity"));
        assert_eq!(time_passing("~~"), None);
        assert_eq!(negated("~*"), "!~*");
        assert_eq!(negated("!~~"), "~~");
        assert_eq!(mirrored("~"), "");
        assert_eq!(mirrored("<"), ">");
        assert_eq!(mirrored("~~"), "");
        assert_eq!(mirrored("="), "=");
        assert_eq!(negated("<="), ">");
        assert_eq!(negated("="), "<>");
        assert_eq!(negated("~~"), "!~~");
        assert_eq!(negated("^@"), "");
    }
}
