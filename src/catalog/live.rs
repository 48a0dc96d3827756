//! The event triggers' hot path: one touched policy or table read straight
//! from the system caches, without a statement.
//!
//! A capture sits inside every DDL, and starting the executor for a
//! catalog join costs more than the lookups themselves. These readers give
//! exactly what `sql/catalog/state.sql` gives for the same object — the
//! same scope rule, the same deparsed text (PostgreSQL's own `pg_get_expr`,
//! called directly, under the caller's pinned `search_path`), the same
//! tree digest ([`tree_digest`]) and role names (`pg_get_userbyid`'s spelling)
//! — and `tests::live_readers_agree_with_the_catalog_queries` holds them
//! to that with hostile names.
use pgrx::prelude::*;
use pgrx::{direct_function_call, IntoDatum};

use crate::error::{Result, RlsAuditError};
use crate::model::{Policy, TrackedPolicy, TrackedTable};

/// pg_policy's indexes (catalog/pg_policy.h, the same in every supported
/// version): by OID, and by (polrelid, polname).
const POLICY_OID_INDEX: pg_sys::Oid = pg_sys::Oid::from_u32(3257);
const POLICY_RELID_INDEX: pg_sys::Oid = pg_sys::Oid::from_u32(3258);

/// pg_policy's columns (catalog/pg_policy.h).
const ANUM_OID: i16 = 1;
const ANUM_POLNAME: i32 = 2;
const ANUM_POLRELID: i16 = 3;
const ANUM_POLCMD: i32 = 4;
const ANUM_POLPERMISSIVE: i32 = 5;
const ANUM_POLROLES: i32 = 6;
const ANUM_POLQUAL: i32 = 7;
const ANUM_POLWITHCHECK: i32 = 8;

/// The scope rule of `catalog::IN_SCOPE`, on a schema's name: the
/// system's schemas, TOAST, temporary schemas and rls_audit's own are
/// never part of the posture.
pub(crate) fn schema_in_scope(name: &str) -> bool {
    !matches!(name, "pg_catalog" | "information_schema" | "rls_audit")
        && !name.starts_with("pg_toast")
        && !name.starts_with("pg_temp_")
}

/// A role's name as `pg_get_userbyid` spells it, `public` for PUBLIC.
pub(crate) fn role_name(oid: u32) -> String {
    if oid == 0 {
        return "public".into();
    }
    role_name_if_exists(oid).unwrap_or_else(|| format!("unknown (OID={oid})"))
}

/// A policy's role names ([`role_name`]) as the model keeps them: sorted,
/// each once (PostgreSQL keeps `TO r, r` as two entries of `polroles`).
pub(crate) fn role_names(oids: &[u32]) -> Vec<String> {
    let mut names: Vec<String> = oids.iter().map(|o| role_name(*o)).collect();
    names.sort();
    names.dedup();
    names
}

/// A role's name, None when it is gone.
pub(crate) fn role_name_if_exists(oid: u32) -> Option<String> {
    // SAFETY: noerr = true returns NULL for a role that does not exist
    unsafe {
        let p = pg_sys::GetUserNameFromId(pg_sys::Oid::from(oid), true);
        (!p.is_null()).then(|| core::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

fn cstr(p: *const core::ffi::c_char) -> String {
    // SAFETY: callers pass NUL-terminated strings from the catalog
    unsafe { core::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

/// A schema's name (None: no such schema).
fn namespace_name(oid: pg_sys::Oid) -> Option<String> {
    // SAFETY: a syscache lookup; NULL when there is no such schema
    let p = unsafe { pg_sys::get_namespace_name(oid) };
    (!p.is_null()).then(|| cstr(p))
}

/// A relation's schema, name, kind and RLS flags from the relation
/// syscache.
struct RelRow {
    namespace: pg_sys::Oid,
    name: String,
    kind: u8,
    rls: bool,
    force: bool,
}

fn rel_row(oid: pg_sys::Oid) -> Option<RelRow> {
    with_class(oid, |c| RelRow {
        namespace: c.relnamespace,
        name: cstr(c.relname.data.as_ptr()),
        kind: c.relkind as u8,
        rls: c.relrowsecurity,
        force: c.relforcerowsecurity,
    })
}

/// `f` on a relation's `pg_class` row from the relation syscache; None
/// when there is no such relation. `f` only reads the row.
pub(crate) fn with_class<R>(
    oid: pg_sys::Oid,
    f: impl FnOnce(&pg_sys::FormData_pg_class) -> R,
) -> Option<R> {
    // SAFETY: the cache tuple is read by f and released before returning
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::RELOID as i32,
            pg_sys::Datum::from(oid),
        );
        if tup.is_null() {
            return None;
        }
        let out = f(&*pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_class>());
        pg_sys::ReleaseSysCache(tup);
        Some(out)
    }
}

/// `f` on a function's `pg_proc` row from the function syscache, with a
/// reader of its text columns (`prosrc`, `probin`: None when NULL); None
/// when there is no such function. `f` only reads the row.
pub(crate) fn with_proc<R>(
    oid: pg_sys::Oid,
    f: impl FnOnce(&pg_sys::FormData_pg_proc, &dyn Fn(u32) -> Option<Vec<u8>>) -> R,
) -> Option<R> {
    // SAFETY: the cache tuple is read by f and released before returning;
    // a text column is copied out of it at once
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            pg_sys::Datum::from(oid),
        );
        if tup.is_null() {
            return None;
        }
        let text = |attno: u32| {
            let mut isnull = false;
            let d = pg_sys::SysCacheGetAttr(
                pg_sys::SysCacheIdentifier::PROCOID as i32,
                tup,
                attno as pg_sys::AttrNumber,
                &mut isnull,
            );
            (!isnull).then(|| {
                let t = pg_sys::text_to_cstring(d.cast_mut_ptr());
                let bytes = std::ffi::CStr::from_ptr(t).to_bytes().to_vec();
                pg_sys::pfree(t.cast());
                bytes
            })
        };
        let out = f(
            &*pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_proc>(),
            &text,
        );
        pg_sys::ReleaseSysCache(tup);
        Some(out)
    }
}

/// One scan of pg_policy through `index` on its column `attno` = `value`:
/// `f` sees each row (with pg_policy's descriptor) until it returns false.
fn scan_policies(
    index: pg_sys::Oid,
    attno: i16,
    value: pg_sys::Oid,
    mut f: impl FnMut(*mut pg_sys::HeapTupleData, pg_sys::TupleDesc) -> Result<bool>,
) -> Result<()> {
    // SAFETY: the standard catalog scan (table_open, systable_beginscan,
    // systable_endscan, table_close); an ERROR inside aborts the
    // transaction, which releases the scan, the lock and the relation
    unsafe {
        let rel = pg_sys::table_open(
            crate::catalog::POLICY_RELATION_ID,
            pg_sys::AccessShareLock as pg_sys::LOCKMODE,
        );
        let mut key: pg_sys::ScanKeyData = std::mem::zeroed();
        pg_sys::ScanKeyInit(
            &mut key,
            attno,
            pg_sys::BTEqualStrategyNumber as pg_sys::StrategyNumber,
            pg_sys::Oid::from(pg_sys::F_OIDEQ),
            pg_sys::Datum::from(value),
        );
        let scan = pg_sys::systable_beginscan(rel, index, true, std::ptr::null_mut(), 1, &mut key);
        let desc = (*rel).rd_att;
        let result = crate::heap::each_tuple(scan, |tup| f(tup, desc));
        pg_sys::table_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        result
    }
}

/// A column of a pg_policy row; None when NULL.
unsafe fn attr(
    tup: *mut pg_sys::HeapTupleData,
    desc: pg_sys::TupleDesc,
    attno: i32,
) -> Option<pg_sys::Datum> {
    let mut isnull = false;
    // SAFETY: tup is a pg_policy row and desc pg_policy's descriptor
    let d = unsafe { pg_sys::heap_getattr(tup, attno, desc, &mut isnull) };
    (!isnull).then_some(d)
}

/// A stored tree deparsed ([`Deparser::deparse`]).
pub(crate) struct Deparsed {
    /// `pg_get_expr(tree, table)`; None for no tree
    pub(crate) text: Option<String>,
    /// [`tree_digest`]; `-` for no tree
    pub(crate) digest: String,
    /// whether `pg_get_expr` itself deparsed it, opening the table (which
    /// builds the table's relation cache entry): see [`deparse_plain`]
    pub(crate) opened: bool,
}

/// Deparses stored trees, table after table: a catalog read, whose
/// policies come table by table (or capture, one policy's two trees),
/// sets up each table's lock, names and deparsing context once for all of
/// its trees, and releases them when the next table comes, at
/// [`Deparser::release`] or when dropped.
///
/// `pg_get_expr` opens the table only to learn its name and its columns'
/// names, and opening builds the table's relation cache entry with every
/// one of its policies parsed: most of deparsing a policy whose entry is
/// not built, which is every policy after its table's DDL (capture) and
/// every table a catalog read released before (snapshot, drift). For a
/// plain tree the names come from the catalog caches instead, and
/// PostgreSQL's own deparser prints the tree (`deparse_expression`)
/// against a range table entry that carries them.
///
/// Plain means every node is of a kind whose printing depends on nothing
/// but the node and those names ([`plain_node`]), and the only sub-selects
/// are scalar ones with nothing but one plain output column, as in
/// `tenant_id = (SELECT auth.tenant())`. `pg_get_expr` indents (and
/// `deparse_expression` does not): that changes how CASE and a
/// sub-select's clauses are laid out, so CASE is not plain, and the one
/// difference left, the space that opens an indented sub-select (`(
/// SELECT …`), is put in where each sub-select's own text stands; a
/// sub-select whose text is found anywhere else in the whole is left to
/// `pg_get_expr`. A whole-row or system column, which the deparser names
/// through the relation itself, is not plain either.
///
/// The table is locked as `pg_get_expr` locks it, while its trees are
/// deparsed, so the names are those after any DDL that committed before;
/// a table gone gives NULL, as `pg_get_expr` does.
/// `tests::plain_deparse_is_pg_get_expr` holds the two to the same text.
pub(crate) struct Deparser {
    /// where each table's context is made
    parent: pg_sys::MemoryContext,
    current: Option<TableContext>,
}

/// The table a [`Deparser`] holds locked, and its deparsing context.
struct TableContext {
    table: pg_sys::Oid,
    /// the deparser's namespace for the table; None when it is gone
    names: Option<*mut pg_sys::List>,
    /// where the namespace lives
    memory: pg_sys::MemoryContext,
}

impl Deparser {
    /// A deparser whose contexts are made in the current memory context.
    pub(crate) fn new() -> Self {
        Deparser {
            // SAFETY: a plain read of the backend's current context
            parent: unsafe { pg_sys::CurrentMemoryContext },
            current: None,
        }
    }

    /// `pg_get_expr(tree, table)` and the tree's digest ([`tree_digest`])
    /// of a stored tree, from one detoasted copy of it (each of
    /// PostgreSQL's functions would detoast and decompress it again), its
    /// constants printed under [`CanonicalOutput`].
    pub(crate) fn deparse(&mut self, tree: Option<pg_sys::Datum>, table: pg_sys::Oid) -> Deparsed {
        let Some(tree) = tree else {
            return Deparsed {
                text: None,
                digest: "-".into(),
                opened: false,
            };
        };
        let _output = CanonicalOutput::pin();
        // what detoasting and deparsing allocate (the copy, the parsed
        // tree, the text) goes with this context: a reader deparsing a
        // batch of policies holds one expression's worth, as the executor
        // does per row
        let mut scratch = pgrx::PgMemoryContexts::new("rls_audit deparse");
        // SAFETY: tree is a pg_node_tree (a text) datum; the detoasted
        // copy (or the value itself when it is plain) lives in the scratch
        // context, deparse_plain and pg_get_expr take it as text and
        // return text or raise an ERROR; both results are copied into Rust
        // before the context goes
        unsafe {
            scratch.switch_to(|_| {
                let plain = pg_sys::pg_detoast_datum_packed(tree.cast_mut_ptr::<pg_sys::varlena>());
                let digest = tree_digest(pgrx::varlena::varlena_to_byte_slice(plain));
                match self.deparse_plain(plain, table) {
                    Some(text) => Deparsed {
                        text,
                        digest,
                        opened: false,
                    },
                    None => Deparsed {
                        text: direct_function_call::<String>(
                            pg_sys::pg_get_expr,
                            &[Some(pg_sys::Datum::from(plain)), table.into_datum()],
                        ),
                        digest,
                        opened: true,
                    },
                }
            })
        }
    }

    /// `pg_get_expr(tree, table)` for a plain tree, without the table's
    /// relation cache entry; None when the tree is not plain (then only
    /// `pg_get_expr` itself says what it prints).
    ///
    /// # Safety
    /// `plain` is a detoasted `pg_node_tree`; what is allocated goes with
    /// the current memory context.
    unsafe fn deparse_plain(
        &mut self,
        plain: *mut pg_sys::varlena,
        table: pg_sys::Oid,
    ) -> Option<Option<String>> {
        // SAFETY: PostgreSQL's own output parsed back; the walker reads
        // the nodes it is given
        unsafe {
            let node =
                pg_sys::stringToNode(pg_sys::text_to_cstring(plain.cast())).cast::<pg_sys::Node>();
            let mut found = Plain::default();
            if plain_node(node, (&raw mut found).cast()) {
                return None;
            }
            let Some(context) = self.context_for(table) else {
                return Some(None);
            };
            print_plain(node, &found.sublinks, context).map(Some)
        }
    }

    /// The deparsing context of `table`, made (and the table locked) when
    /// it is not the current one; None when the table is gone.
    fn context_for(&mut self, table: pg_sys::Oid) -> Option<*mut pg_sys::List> {
        if let Some(current) = &self.current {
            if current.table == table {
                return current.names;
            }
        }
        self.release();
        // SAFETY: a memory context made under the deparser's parent and
        // deleted by release(); the lock is released there too (or by
        // the transaction's end after an ERROR); the namespace is made in
        // that context
        unsafe {
            let memory = pg_sys::AllocSetContextCreateExtended(
                self.parent,
                c"rls_audit deparse context".as_ptr(),
                0,
                1024,
                8192,
            );
            pg_sys::LockRelationOid(table, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
            let names = pgrx::PgMemoryContexts::For(memory).switch_to(|_| table_namespace(table));
            self.current = Some(TableContext {
                table,
                names,
                memory,
            });
            names
        }
    }

    /// Unlock the current table and free its context.
    pub(crate) fn release(&mut self) {
        if let Some(current) = self.current.take() {
            // SAFETY: the lock context_for took and the context it made
            unsafe {
                pg_sys::UnlockRelationOid(
                    current.table,
                    pg_sys::AccessShareLock as pg_sys::LOCKMODE,
                );
                pg_sys::MemoryContextDelete(current.memory);
            }
        }
    }
}

impl Drop for Deparser {
    fn drop(&mut self) {
        // after an ERROR the transaction's end releases both
        if !std::thread::panicking() {
            self.release();
        }
    }
}

/// The session settings a deparsed constant's text depends on, pinned for
/// as long as this lives: dates in ISO (`2024-01-31`, never `31/01/2024`,
/// which a session with another DateStyle reads as another date or not at
/// all), intervals in PostgreSQL's own style, floating point numbers in
/// full precision (`extra_float_digits` 0 rounds them), and strings with
/// standard conforming backslashes. A snapshot, a captured definition and
/// the rollback or restore statements written from them are then the same
/// text whatever the settings of the session that took them, and read back
/// as the same values in any session (`pg_dump` pins the same settings).
/// Each is PostgreSQL's own variable behind the setting, set back when this
/// is dropped, after an ERROR too (no GUC is changed: nothing else sees it).
pub(crate) struct CanonicalOutput {
    date_style: core::ffi::c_int,
    interval_style: core::ffi::c_int,
    float_digits: core::ffi::c_int,
    standard_strings: bool,
}

impl CanonicalOutput {
    pub(crate) fn pin() -> Self {
        // SAFETY: plain reads and writes of the backend's own settings
        // variables, set back in drop
        unsafe {
            let saved = CanonicalOutput {
                date_style: pg_sys::DateStyle,
                interval_style: pg_sys::IntervalStyle,
                float_digits: pg_sys::extra_float_digits,
                standard_strings: pg_sys::standard_conforming_strings,
            };
            pg_sys::DateStyle = pg_sys::USE_ISO_DATES as core::ffi::c_int;
            pg_sys::IntervalStyle = pg_sys::INTSTYLE_POSTGRES as core::ffi::c_int;
            // any value above 0 prints the shortest exact form
            pg_sys::extra_float_digits = pg_sys::extra_float_digits.max(1);
            pg_sys::standard_conforming_strings = true;
            saved
        }
    }
}

impl Drop for CanonicalOutput {
    fn drop(&mut self) {
        // SAFETY: as in pin
        unsafe {
            pg_sys::DateStyle = self.date_style;
            pg_sys::IntervalStyle = self.interval_style;
            pg_sys::extra_float_digits = self.float_digits;
            pg_sys::standard_conforming_strings = self.standard_strings;
        }
    }
}

/// `pg_get_expr(tree, table)` for a plain tree ([`Deparser`]), outside a
/// catalog read: the table is locked and named for this one tree.
///
/// # Safety
/// As [`Deparser::deparse_plain`].
#[cfg(any(test, feature = "pg_test"))]
pub(crate) unsafe fn deparse_plain(
    plain: *mut pg_sys::varlena,
    table: pg_sys::Oid,
) -> Option<Option<String>> {
    // SAFETY: the caller's promise
    unsafe { Deparser::new().deparse_plain(plain, table) }
}

/// A stored expression tree (a `pg_node_tree`'s text) of `table` printed
/// as if the table were called `alias`: a column a sub-select compares
/// with the table's own (`m.tenant_id = docs.tenant_id`, which
/// `pg_get_expr` prints with the table's name) then names `alias`. The
/// write probes give a copy of the table (`pg_temp.rls_audit_shadow`) the
/// table's policies; under the table's own name their expressions do not
/// parse there. Printed by PostgreSQL's deparser with the table's column
/// names (the copy's are the same), fully parenthesised, under
/// [`CanonicalOutput`], the table's whole row as the copy's row cast to
/// the table's type ([`whole_rows_as`]); None when it prints nothing.
pub(crate) fn deparse_as(tree: &str, table: pg_sys::Oid, alias: &str) -> Result<Option<String>> {
    deparse_changed(tree, table, alias, |node| node)
}

/// [`deparse_as`] of the tree as a new session evaluates it, where the
/// settings `unset` (lowercased) were never set ([`super::as_unset`]).
pub(crate) fn deparse_unset(
    tree: &str,
    table: pg_sys::Oid,
    alias: &str,
    unset: &[String],
) -> Result<Option<String>> {
    // SAFETY: a tree parsed from the catalog's text, copied where changed
    deparse_changed(tree, table, alias, |node| unsafe {
        super::as_unset(node, unset)
    })
}

/// [`deparse_as`] of the tree as `change` makes it.
fn deparse_changed(
    tree: &str,
    table: pg_sys::Oid,
    alias: &str,
    change: impl FnOnce(*mut pg_sys::Node) -> *mut pg_sys::Node,
) -> Result<Option<String>> {
    let tree = std::ffi::CString::new(tree)
        .map_err(|_| RlsAuditError::Internal("a policy's tree contains a NUL byte".into()))?;
    let alias_c = std::ffi::CString::new(alias)
        .map_err(|_| RlsAuditError::Internal("an alias contains a NUL byte".into()))?;
    let _output = CanonicalOutput::pin();
    // SAFETY: PostgreSQL's own output parsed back; deparse_context_for
    // opens the table for its column names (it is locked by the caller's
    // probe or by this); the text is copied into Rust before returning
    unsafe {
        let node = change(pg_sys::stringToNode(tree.as_ptr()).cast::<pg_sys::Node>());
        let context = pg_sys::deparse_context_for(alias_c.as_ptr(), table);
        let text = pg_sys::deparse_expression(node, context, false, false);
        if text.is_null() {
            return Ok(None);
        }
        // read as any text is (in the database's encoding)
        let printed: Option<String> =
            String::from_datum(pg_sys::Datum::from(pg_sys::cstring_to_text(text)), false);
        Ok(printed.map(|p| whole_rows_as(p, table, alias)))
    }
}

/// A policy that passes its table's whole row (`may_write(docs)`, printed
/// `may_write(alias.*)`) gets the copy's row, whose type is not the
/// table's: each `alias.*` becomes the row of the copy's columns cast to
/// the table's type (`ROW(alias.id, alias.tenant_id)::public.docs`, the
/// table's columns by number, dropped ones left out as the copy has none).
fn whole_rows_as(printed: String, table: pg_sys::Oid, alias: &str) -> String {
    let alias_q = crate::ident::quote_ident(alias);
    let star = format!("{alias_q}.*");
    if !printed.contains(&star) {
        return printed;
    }
    // one lookup of the table: its schema, name and number of columns
    let Some((namespace, name, columns)) = with_class(table, |c| {
        (c.relnamespace, cstr(c.relname.data.as_ptr()), c.relnatts)
    }) else {
        return printed;
    };
    let Some(schema) = namespace_name(namespace) else {
        return printed;
    };
    let mut names = Vec::new();
    for attno in 1..=columns {
        // SAFETY: a catalog cache lookup; the copy is freed right away
        if let Some(name) = unsafe { column_name(table, attno) } {
            names.push(format!(
                "{alias_q}.{}",
                crate::ident::quote_ident(&cstr(name))
            ));
            // SAFETY: pstrdup'd by column_name, used no more
            unsafe { pg_sys::pfree(name.cast()) };
        }
    }
    let row = format!(
        "(ROW({})::{})",
        names.join(", "),
        crate::ident::quote_qualified(&schema, &name)
    );
    replace_star(&printed, &star, &row)
}

/// `printed` with each `star` (`alias.*`) that is the alias itself, not
/// the end of a longer name, replaced by `row`.
fn replace_star(printed: &str, star: &str, row: &str) -> String {
    let mut out = String::with_capacity(printed.len() + row.len());
    let mut rest = printed;
    while let Some(i) = rest.find(star) {
        let before = rest[..i].chars().next_back();
        out.push_str(&rest[..i]);
        if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '"' | '$' | '.')) {
            out.push_str(star);
        } else {
            out.push_str(row);
        }
        rest = &rest[i + star.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod unit {
    #[test]
    fn only_the_alias_whole_row_is_replaced() {
        let row = "(ROW(s.id)::public.docs)";
        assert_eq!(
            super::replace_star("(f(s.*) AND g(xs.*, s.*) AND h(a.s.*))", "s.*", row),
            "(f((ROW(s.id)::public.docs)) AND g(xs.*, (ROW(s.id)::public.docs)) AND h(a.s.*))"
        );
        assert_eq!(super::replace_star("(s.id = 1)", "s.*", row), "(s.id = 1)");
    }
}

/// The deparser's namespace for a table, as `deparse_context_for` makes
/// it but from the catalog caches: a range table entry named after the
/// table, with its columns' names by number ("" for a dropped column, the
/// deparser's own mark), that is not a relation entry, which the deparser
/// would open for the names. None when the table is gone.
///
/// # Safety
/// Allocates in the current memory context.
unsafe fn table_namespace(table: pg_sys::Oid) -> Option<*mut pg_sys::List> {
    // SAFETY: catalog cache lookups by key, released before returning;
    // the range table entry and statement are zeroed nodes with the
    // fields the deparser reads set
    unsafe {
        let (name, columns) = with_class(table, |c| {
            (pg_sys::pstrdup(c.relname.data.as_ptr()), c.relnatts)
        })?;
        let mut names: *mut pg_sys::List = std::ptr::null_mut();
        for attno in 1..=columns {
            let column = column_name(table, attno).unwrap_or_else(|| pg_sys::pstrdup(c"".as_ptr()));
            names = pg_sys::lappend(names, pg_sys::makeString(column).cast());
        }
        let rte =
            pg_sys::palloc0(size_of::<pg_sys::RangeTblEntry>()).cast::<pg_sys::RangeTblEntry>();
        (*rte).type_ = pg_sys::NodeTag::T_RangeTblEntry;
        (*rte).rtekind = pg_sys::RTEKind::RTE_RESULT;
        (*rte).alias = pg_sys::makeAlias(name, std::ptr::null_mut());
        (*rte).eref = pg_sys::makeAlias(name, names);
        (*rte).inFromCl = true;
        let rtable = pg_sys::lappend(std::ptr::null_mut(), rte.cast());
        let stmt = pg_sys::palloc0(size_of::<pg_sys::PlannedStmt>()).cast::<pg_sys::PlannedStmt>();
        (*stmt).type_ = pg_sys::NodeTag::T_PlannedStmt;
        (*stmt).rtable = rtable;
        Some(pg_sys::deparse_context_for_plan_tree(
            stmt,
            pg_sys::select_rtable_names_for_explain(rtable, std::ptr::null_mut()),
        ))
    }
}

/// A plain tree printed against a table's namespace, its scalar
/// sub-selects as `pg_get_expr` indents them; None when a sub-select's
/// text is not found exactly once, or a text is not UTF-8 (left to
/// `pg_get_expr`, which pgrx then reads as it reads any text).
///
/// # Safety
/// `node` and `sublinks` are a plain tree and its sub-selects
/// ([`plain_node`]), `context` a namespace from [`table_namespace`].
unsafe fn print_plain(
    node: *mut pg_sys::Node,
    sublinks: &[*mut pg_sys::Node],
    context: *mut pg_sys::List,
) -> Option<String> {
    // SAFETY: the deparser reads the nodes and the namespace
    let print = |n: *mut pg_sys::Node| unsafe {
        let text = pg_sys::deparse_expression(n, context, false, false);
        core::ffi::CStr::from_ptr(text)
            .to_str()
            .ok()
            .map(str::to_owned)
    };
    let whole = print(node)?;
    // each sub-select as pg_get_expr indents it, where it stands
    let mut spans = Vec::with_capacity(sublinks.len());
    for &sublink in sublinks {
        let own = print(sublink)?;
        let rest = own.strip_prefix("(SELECT ")?.to_owned();
        let at = whole.find(&own)?;
        // `own` opens with an ASCII "(": at + 1 is a character boundary
        if whole[at + 1..].contains(&own) {
            return None;
        }
        spans.push((at, own.len(), rest));
    }
    spans.sort_unstable_by_key(|s| s.0);
    let mut out = String::with_capacity(whole.len() + spans.len());
    let mut done = 0;
    for (at, len, rest) in spans {
        if at < done {
            return None;
        }
        out.push_str(&whole[done..at]);
        out.push_str("( SELECT ");
        out.push_str(&rest);
        done = at + len;
    }
    out.push_str(&whole[done..]);
    Some(out)
}

/// A column's name (a copy in the current memory context); None when it
/// is dropped or missing.
unsafe fn column_name(table: pg_sys::Oid, attno: i16) -> Option<*mut core::ffi::c_char> {
    // SAFETY: a catalog cache lookup by key, released before returning
    unsafe {
        let tup = pg_sys::SearchSysCache2(
            pg_sys::SysCacheIdentifier::ATTNUM as i32,
            pg_sys::Datum::from(table),
            pg_sys::Datum::from(attno),
        );
        if tup.is_null() {
            return None;
        }
        let att = pg_sys::GETSTRUCT(tup).cast::<pg_sys::FormData_pg_attribute>();
        let name = (!(*att).attisdropped).then(|| pg_sys::pstrdup((*att).attname.data.as_ptr()));
        pg_sys::ReleaseSysCache(tup);
        name
    }
}

/// What [`plain_node`] gathers from a plain tree.
#[derive(Default)]
struct Plain {
    /// its scalar sub-selects
    sublinks: Vec<*mut pg_sys::Node>,
    /// how many sub-selects deep the walk is (0 or 1)
    level: u32,
}

/// The walker of [`Deparser::deparse_plain`]: true (stop) at the first
/// node that is not plain; otherwise it gathers the tree's sub-selects
/// into `found` (a [`Plain`]). The kinds listed print from the node alone
/// (operators, functions and types by their OIDs, under the caller's
/// search_path), a column of the table by its name.
unsafe extern "C-unwind" fn plain_node(
    node: *mut pg_sys::Node,
    found: *mut core::ffi::c_void,
) -> bool {
    use pg_sys::NodeTag::*;
    if node.is_null() {
        return false;
    }
    // SAFETY: node is a node of the parsed tree, found the walker's
    // Plain; nothing here can panic
    unsafe {
        let found = &mut *found.cast::<Plain>();
        match (*node).type_ {
            T_Var => {
                let var = node.cast::<pg_sys::Var>();
                if i64::from((*var).varno) != 1
                    || (*var).varlevelsup != found.level
                    || (*var).varattno <= 0
                {
                    return true;
                }
                false
            }
            T_SubLink => {
                let Some(output) = scalar_select(node.cast()).filter(|_| found.level == 0) else {
                    return true;
                };
                found.sublinks.push(node);
                found.level += 1;
                let stop = plain_node(output, (found as *mut Plain).cast());
                found.level -= 1;
                stop
            }
            T_List | T_Const | T_FuncExpr | T_NamedArgExpr | T_OpExpr | T_DistinctExpr
            | T_NullIfExpr | T_ScalarArrayOpExpr | T_BoolExpr | T_RelabelType | T_CoerceViaIO
            | T_CollateExpr | T_CoerceToDomain | T_ArrayExpr | T_CoalesceExpr | T_MinMaxExpr
            | T_NullTest | T_BooleanTest | T_SQLValueFunction => {
                pg_sys::expression_tree_walker(node, Some(plain_node), (found as *mut Plain).cast())
            }
            _ => true,
        }
    }
}

/// The output expression of a scalar sub-select that is nothing but
/// `(SELECT <expression>)`: no FROM, WHERE or any other clause, one
/// output column; None for any other sub-select.
unsafe fn scalar_select(sublink: *mut pg_sys::SubLink) -> Option<*mut pg_sys::Node> {
    // SAFETY: a SubLink of a parsed tree, its sub-select a Query node
    unsafe {
        let s = &*sublink;
        if s.subLinkType != pg_sys::SubLinkType::EXPR_SUBLINK
            || !s.testexpr.is_null()
            || s.subselect.is_null()
            || (*s.subselect).type_ != pg_sys::NodeTag::T_Query
        {
            return None;
        }
        let q = &*s.subselect.cast::<pg_sys::Query>();
        let bare = q.commandType == pg_sys::CmdType::CMD_SELECT
            && q.utilityStmt.is_null()
            && !(q.hasAggs || q.hasWindowFuncs || q.hasTargetSRFs || q.hasSubLinks)
            && !(q.hasDistinctOn || q.hasRecursive || q.hasModifyingCTE || q.hasForUpdate)
            && !q.isReturn
            && q.cteList.is_null()
            && q.rtable.is_null()
            && (q.jointree.is_null()
                || ((*q.jointree).fromlist.is_null() && (*q.jointree).quals.is_null()))
            && q.groupClause.is_null()
            && q.groupingSets.is_null()
            && q.havingQual.is_null()
            && q.windowClause.is_null()
            && q.distinctClause.is_null()
            && q.sortClause.is_null()
            && q.limitOffset.is_null()
            && q.limitCount.is_null()
            && q.rowMarks.is_null()
            && q.setOperations.is_null();
        if !bare {
            return None;
        }
        let outputs = pgrx::PgList::<pg_sys::TargetEntry>::from_pg(q.targetList);
        if outputs.len() != 1 {
            return None;
        }
        let output = outputs.get_ptr(0)?;
        (!(*output).resjunk).then(|| (*output).expr.cast())
    }
}

/// What identifies a stored expression tree: the first 128 bits of the
/// SHA-256 of its text, in hex (`left(encode(sha256(convert_to(tree::text,
/// getdatabaseencoding())), 'hex'), 32)` in SQL: `catalog::policy_tree`).
/// The text is what PostgreSQL stores, so a rename of what the expression
/// references leaves it alone; SHA-256, so no other tree can be made to
/// pass for it (a collision would hide an ALTER POLICY from capture).
pub(crate) fn tree_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    crate::model::hex(&Sha256::digest(bytes)[..16])
}

/// The live policy with this OID, as the tracked state would keep it;
/// None when it is gone or outside the scope.
pub(crate) fn policy(oid: pg_sys::Oid, db_ident: &str) -> Result<Option<TrackedPolicy>> {
    let mut found = None;
    scan_policies(POLICY_OID_INDEX, ANUM_OID, oid, |tup, desc| {
        found = decode(tup, desc, db_ident)?;
        Ok(false)
    })?;
    Ok(found)
}

/// Does the table have policies?
pub(crate) fn has_policies(table: pg_sys::Oid) -> Result<bool> {
    let mut any = false;
    scan_policies(POLICY_RELID_INDEX, ANUM_POLRELID, table, |_, _| {
        any = true;
        Ok(false)
    })?;
    Ok(any)
}

fn decode(
    tup: *mut pg_sys::HeapTupleData,
    desc: pg_sys::TupleDesc,
    db_ident: &str,
) -> Result<Option<TrackedPolicy>> {
    let bad = |what: &str| RlsAuditError::ObjectState(format!("unexpected pg_policy row: {what}"));
    // SAFETY: tup is the pg_policy row the scan returned, desc its
    // descriptor; fixed-width columns are read by value, the others copied
    let (oid, name, table, cmd, permissive, roles, qual, check) = unsafe {
        let get = |n| attr(tup, desc, n);
        let oid = get(ANUM_OID as i32).and_then(|d| pg_sys::Oid::from_datum(d, false));
        let name = get(ANUM_POLNAME).map(|d| cstr(d.cast_mut_ptr::<core::ffi::c_char>()));
        let table = get(ANUM_POLRELID as i32).and_then(|d| pg_sys::Oid::from_datum(d, false));
        let cmd = get(ANUM_POLCMD).map(|d| d.value() as u8);
        let permissive = get(ANUM_POLPERMISSIVE).and_then(|d| bool::from_datum(d, false));
        let roles = get(ANUM_POLROLES).and_then(|d| Vec::<pg_sys::Oid>::from_datum(d, false));
        (
            oid,
            name,
            table,
            cmd,
            permissive,
            roles,
            get(ANUM_POLQUAL),
            get(ANUM_POLWITHCHECK),
        )
    };
    let (Some(oid), Some(name), Some(table), Some(cmd), Some(permissive)) =
        (oid, name, table, cmd, permissive)
    else {
        return Err(bad("a NULL column"));
    };
    let Some(rel) = rel_row(table) else {
        return Ok(None);
    };
    let Some(schema) = namespace_name(rel.namespace) else {
        return Ok(None);
    };
    if !schema_in_scope(&schema) {
        return Ok(None);
    }
    let command = match cmd {
        b'r' => "SELECT",
        b'a' => "INSERT",
        b'w' => "UPDATE",
        b'd' => "DELETE",
        _ => "ALL",
    };
    let mode = if permissive {
        "PERMISSIVE"
    } else {
        "RESTRICTIVE"
    };
    let role_oids: Vec<u32> = roles
        .unwrap_or_default()
        .iter()
        .map(|o| o.to_u32())
        .collect();
    let names = role_names(&role_oids);
    let mut sorted = role_oids;
    sorted.sort_unstable();
    // one deparser: the table is locked and named once for both trees
    let mut deparser = Deparser::new();
    let (using, check) = (
        deparser.deparse(qual, table),
        deparser.deparse(check, table),
    );
    Ok(Some(TrackedPolicy {
        policy_oid: oid.to_u32(),
        table_oid: table.to_u32(),
        db_ident: Some(db_ident.to_string()),
        tree: format!("{}/{}", using.digest, check.digest),
        role_oids: sorted,
        policy: Policy {
            schema_name: schema,
            table_name: rel.name,
            policy_name: name,
            permissive: mode.parse().map_err(|_| bad("mode"))?,
            command: command.parse().map_err(|_| bad("command"))?,
            roles: names,
            using_expr: using.text,
            check_expr: check.text,
        },
    }))
}

/// The live table with this OID, as the tracked state would keep it, and
/// whether it has policies; None unless it is an ordinary or partitioned
/// table in scope.
pub(crate) fn table(oid: pg_sys::Oid, db_ident: &str) -> Result<Option<(TrackedTable, bool)>> {
    let Some(rel) = rel_row(oid) else {
        return Ok(None);
    };
    if rel.kind != b'r' && rel.kind != b'p' {
        return Ok(None);
    }
    let Some(schema) = namespace_name(rel.namespace) else {
        return Ok(None);
    };
    if !schema_in_scope(&schema) {
        return Ok(None);
    }
    Ok(Some((
        TrackedTable {
            table_oid: oid.to_u32(),
            schema_oid: rel.namespace.to_u32(),
            db_ident: Some(db_ident.to_string()),
            schema_name: schema,
            table_name: rel.name,
            rls_enabled: rel.rls,
            rls_forced: rel.force,
        },
        has_policies(oid)?,
    )))
}

/// The rows of one of the event trigger functions
/// (`pg_event_trigger_ddl_commands`, `pg_event_trigger_dropped_objects`),
/// called as the executor calls a set-returning function in a FROM list
/// (materialize mode), without a statement. `f` sees each row's slot.
fn event_trigger_rows(
    name: &core::ffi::CStr,
    call: unsafe fn(pg_sys::FunctionCallInfo) -> pg_sys::Datum,
    mut f: impl FnMut(*mut pg_sys::TupleTableSlot) -> Result<()>,
) -> Result<()> {
    // SAFETY: the function is a built-in found by name; it is given what
    // the executor gives it (an FmgrInfo, a ReturnSetInfo allowing
    // materialize mode, an expression context for its per-query memory),
    // and its tuplestore is read with a slot of the descriptor it returns,
    // then everything is released. An ERROR it raises unwinds through the
    // pgrx-guarded call and aborts the DDL, as SQL would.
    unsafe {
        let oid = builtin_oid(name);
        if oid == pg_sys::InvalidOid {
            return Err(RlsAuditError::ObjectState(format!(
                "{} is not a built-in function",
                name.to_string_lossy()
            )));
        }
        let mut flinfo: pg_sys::FmgrInfo = std::mem::zeroed();
        pg_sys::fmgr_info(oid, &mut flinfo);
        let econtext = pg_sys::CreateStandaloneExprContext();
        let mut rsinfo = pg_sys::ReturnSetInfo {
            type_: pg_sys::NodeTag::T_ReturnSetInfo,
            econtext,
            allowedModes: pg_sys::SetFunctionReturnMode::SFRM_Materialize as i32,
            returnMode: pg_sys::SetFunctionReturnMode::SFRM_ValuePerCall,
            isDone: pg_sys::ExprDoneCond::ExprSingleResult,
            ..Default::default()
        };
        let mut fcinfo: pg_sys::FunctionCallInfoBaseData = std::mem::zeroed();
        fcinfo.flinfo = &mut flinfo;
        fcinfo.resultinfo = (&raw mut rsinfo).cast();
        fcinfo.fncollation = pg_sys::InvalidOid;
        fcinfo.nargs = 0;
        call(&mut fcinfo);
        let mut result = Ok(());
        if !rsinfo.setResult.is_null() && !rsinfo.setDesc.is_null() {
            let slot =
                pg_sys::MakeSingleTupleTableSlot(rsinfo.setDesc, &pg_sys::TTSOpsMinimalTuple);
            while pg_sys::tuplestore_gettupleslot(rsinfo.setResult, true, false, slot) {
                if let Err(e) = f(slot) {
                    result = Err(e);
                    break;
                }
            }
            pg_sys::ExecDropSingleTupleTableSlot(slot);
            pg_sys::tuplestore_end(rsinfo.setResult);
        }
        pg_sys::FreeExprContext(econtext, true);
        result
    }
}

/// A built-in function's OID by its C name, looked up once per backend
/// (fmgr_internal_function searches the whole built-in table; built-in
/// OIDs never change).
fn builtin_oid(name: &core::ffi::CStr) -> pg_sys::Oid {
    thread_local! {
        static FOUND: std::cell::RefCell<Vec<(std::ffi::CString, pg_sys::Oid)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    FOUND.with(|found| {
        if let Some((_, oid)) = found.borrow().iter().find(|(n, _)| n.as_c_str() == name) {
            return *oid;
        }
        // SAFETY: a lookup in the built-in function table; InvalidOid when absent
        let oid = unsafe { pg_sys::fmgr_internal_function(name.as_ptr()) };
        if oid != pg_sys::InvalidOid {
            found.borrow_mut().push((name.to_owned(), oid));
        }
        oid
    })
}

/// Column `attno` (1-based) of a slot; None when NULL.
unsafe fn slot_value(slot: *mut pg_sys::TupleTableSlot, attno: i32) -> Option<pg_sys::Datum> {
    let mut isnull = false;
    // SAFETY: slot holds a row of the function's result descriptor
    let d = unsafe { pg_sys::slot_getattr(slot, attno, &mut isnull) };
    (!isnull).then_some(d)
}

/// What `SELECT DISTINCT classid, objid FROM pg_event_trigger_ddl_commands()
/// WHERE objid <> 0` gives, in the order the DDL touched them.
pub(crate) fn touched() -> Result<Vec<(pg_sys::Oid, pg_sys::Oid)>> {
    let mut out: Vec<(pg_sys::Oid, pg_sys::Oid)> = Vec::new();
    event_trigger_rows(
        c"pg_event_trigger_ddl_commands",
        pg_sys::pg_event_trigger_ddl_commands,
        |slot| {
            // SAFETY: columns 1 and 2 are classid and objid (oid)
            let (class, obj) = unsafe { (slot_value(slot, 1), slot_value(slot, 2)) };
            let class = class
                .map(|d| pg_sys::Oid::from(d.value() as u32))
                .unwrap_or(pg_sys::InvalidOid);
            let obj = obj
                .map(|d| pg_sys::Oid::from(d.value() as u32))
                .unwrap_or(pg_sys::InvalidOid);
            if obj != pg_sys::InvalidOid && !out.contains(&(class, obj)) {
                out.push((class, obj));
            }
            Ok(())
        },
    )?;
    Ok(out)
}

/// What `SELECT object_type, objid, address_names FROM
/// pg_event_trigger_dropped_objects() WHERE object_type IN ('policy',
/// 'table', 'trigger') ORDER BY object_type` gives: policies first, then
/// tables, then triggers.
pub(crate) fn dropped() -> Result<Vec<(String, pg_sys::Oid, Vec<String>)>> {
    let mut out: Vec<(String, pg_sys::Oid, Vec<String>)> = Vec::new();
    event_trigger_rows(
        c"pg_event_trigger_dropped_objects",
        pg_sys::pg_event_trigger_dropped_objects,
        |slot| {
            // SAFETY: column 7 is object_type (text), 2 objid (oid), 11
            // address_names (text[])
            unsafe {
                let kind = slot_value(slot, 7)
                    .and_then(|d| String::from_datum(d, false))
                    .unwrap_or_default();
                // (a trigger only for rls_audit's own: its freeze's guard)
                if kind != "policy" && kind != "table" && kind != "trigger" {
                    return Ok(());
                }
                let obj = slot_value(slot, 2)
                    .map(|d| pg_sys::Oid::from(d.value() as u32))
                    .unwrap_or(pg_sys::InvalidOid);
                let names = slot_value(slot, 11)
                    .and_then(|d| Vec::<Option<String>>::from_datum(d, false))
                    .unwrap_or_default()
                    .into_iter()
                    .flatten()
                    .collect();
                out.push((kind, obj, names));
            }
            Ok(())
        },
    )?;
    // a stable sort: "policy" < "table", each in the order dropped
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
