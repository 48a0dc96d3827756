//! Rows of rls_audit's own tables read and written without the executor,
//! for the paths that run inside every captured DDL (the event log, the
//! tracked state) and for a snapshot's rows.
//!
//! Starting the executor for a one-row INSERT (and re-preparing the
//! table's CHECK constraint each time) costs several times the insert
//! itself. A row goes in as PostgreSQL inserts catalog rows instead: the
//! heap tuple, then one entry per index (`CatalogTupleInsertWithInfo`,
//! which checks uniqueness as any insert does). That is exact only for a
//! plain table, so [`Own::direct`] says whether the table still is one: no
//! triggers, rules or row security, plain-column indexes only, and no
//! CHECK constraint but the ones rls_audit created (whose values the
//! caller guarantees). [`Own::direct_under`] also allows the check
//! triggers of foreign keys to a parent whose rows the caller guarantees.
//! A table a DBA has extended with any of these is written through SQL as
//! before.
use pgrx::prelude::*;

use crate::error::{Result, RlsAuditError};

/// One of rls_audit's tables, opened for writing: the lock is held to the
/// end of the transaction, as an INSERT would hold it.
pub(crate) struct Own {
    rel: pg_sys::Relation,
    /// its indexes, opened on first use (a read of a table's only row
    /// needs none)
    indexes: std::cell::Cell<*mut pg_sys::ResultRelInfo>,
}

impl Own {
    /// `rls_audit.<name>` with RowExclusiveLock.
    pub(crate) fn open(name: &core::ffi::CStr) -> Result<Own> {
        Self::open_with(name, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE)
    }

    /// `rls_audit.<name>` with `lock`.
    pub(crate) fn open_with(name: &core::ffi::CStr, lock: pg_sys::LOCKMODE) -> Result<Own> {
        // SAFETY: missing_ok lookups return InvalidOid; table_open raises
        // if the relation went away in between
        unsafe {
            let nsp = pg_sys::get_namespace_oid(c"rls_audit".as_ptr(), true);
            let oid = if nsp == pg_sys::InvalidOid {
                pg_sys::InvalidOid
            } else {
                pg_sys::get_relname_relid(name.as_ptr(), nsp)
            };
            if oid == pg_sys::InvalidOid {
                return Err(RlsAuditError::ObjectState(format!(
                    "rls_audit.{} is missing",
                    name.to_string_lossy()
                )));
            }
            let rel = pg_sys::table_open(oid, lock);
            Ok(Own {
                rel,
                indexes: std::cell::Cell::new(std::ptr::null_mut()),
            })
        }
    }

    /// The table's indexes with their index infos (CatalogOpenIndexes),
    /// opened once.
    fn indexes(&self) -> *mut pg_sys::ResultRelInfo {
        if self.indexes.get().is_null() {
            // SAFETY: the relation is open; closed in Drop
            self.indexes
                .set(unsafe { pg_sys::CatalogOpenIndexes(self.rel) });
        }
        self.indexes.get()
    }

    /// Can rows of `columns` go in without the executor and mean exactly
    /// what an INSERT would? `checks`: the CHECK constraints rls_audit
    /// created on this table (their values are the caller's to guarantee).
    /// Every other column must take NULL: nullable, with no default,
    /// identity or generation expression.
    pub(crate) fn direct(&self, checks: &[&str], columns: &[&str]) -> bool {
        self.direct_under(checks, columns, &[])
    }

    /// [`Own::direct`] for a table with foreign keys to `parents` (tables
    /// of rls_audit): their check triggers, which PostgreSQL creates for
    /// each foreign key, are the only triggers allowed, and the caller
    /// guarantees every referenced row exists (it wrote it earlier in this
    /// transaction, where nothing else can delete it). Any other trigger,
    /// a DBA's own included, sends the rows through SQL.
    pub(crate) fn direct_under(
        &self,
        checks: &[&str],
        columns: &[&str],
        parents: &[&core::ffi::CStr],
    ) -> bool {
        // SAFETY: reads of the open relation's cache entry and of the
        // index infos CatalogOpenIndexes built
        unsafe {
            let desc = (*self.rel).rd_att;
            let mut found = 0;
            for i in 0..(*desc).natts as usize {
                let att = attr(desc, i);
                if att.attisdropped {
                    continue;
                }
                let name = core::ffi::CStr::from_ptr(att.attname.data.as_ptr()).to_string_lossy();
                if columns.contains(&name.as_ref()) {
                    found += 1;
                } else if att.attnotnull
                    || att.atthasdef
                    || att.attidentity != 0
                    || att.attgenerated != 0
                {
                    return false;
                }
            }
            if found != columns.len() {
                return false;
            }
            let class = &*(*self.rel).rd_rel;
            if class.relrowsecurity || !(*self.rel).rd_rules.is_null() {
                return false;
            }
            let triggers = (*self.rel).trigdesc;
            if class.relhastriggers && !triggers.is_null() {
                let nsp = pg_sys::get_namespace_oid(c"rls_audit".as_ptr(), true);
                let parent_oids: Vec<pg_sys::Oid> = parents
                    .iter()
                    .map(|p| pg_sys::get_relname_relid(p.as_ptr(), nsp))
                    .filter(|o| *o != pg_sys::InvalidOid)
                    .collect();
                for i in 0..(*triggers).numtriggers as usize {
                    let t = &*(*triggers).triggers.add(i);
                    let fk_check = t.tgisinternal
                        && (t.tgfoid == pg_sys::Oid::from(pg_sys::F_RI_FKEY_CHECK_INS)
                            || t.tgfoid == pg_sys::Oid::from(pg_sys::F_RI_FKEY_CHECK_UPD));
                    if !(fk_check && parent_oids.contains(&t.tgconstrrelid)) {
                        return false;
                    }
                }
            }
            let constr = (*(*self.rel).rd_att).constr;
            if !constr.is_null() {
                let c = &*constr;
                for i in 0..c.num_check as usize {
                    let check = &*c.check.add(i);
                    let name = core::ffi::CStr::from_ptr(check.ccname).to_string_lossy();
                    if !checks.contains(&name.as_ref()) {
                        return false;
                    }
                }
            }
            let info = &*self.indexes();
            for i in 0..info.ri_NumIndices as usize {
                let ii = &**info.ri_IndexRelationInfo.add(i);
                let index = *info.ri_IndexRelationDescs.add(i);
                if !ii.ii_Expressions.is_null()
                    || !ii.ii_Predicate.is_null()
                    || !ii.ii_ExclusionOps.is_null()
                    || !(*(*index).rd_index).indimmediate
                {
                    return false;
                }
            }
            true
        }
    }

    /// Insert one row given by column name. A column left out must be
    /// nullable and have no default, and every named column must exist:
    /// else the table is not the one rls_audit created, and this is an
    /// error rather than a row an INSERT would not have written.
    pub(crate) fn insert(&self, row: &[(&str, Option<pg_sys::Datum>)]) -> Result<()> {
        self.append(row)?;
        self.settle();
        Ok(())
    }

    /// [`Own::insert`] without making the row visible yet: a batch of
    /// rows ends with [`Own::settle`].
    pub(crate) fn append(&self, row: &[(&str, Option<pg_sys::Datum>)]) -> Result<()> {
        let tup = self.form(row)?;
        // SAFETY: a tuple of this relation, inserted as a catalog row is; an
        // ERROR (a duplicate key) aborts the transaction
        unsafe {
            pg_sys::CatalogTupleInsertWithInfo(self.rel, tup, self.indexes());
            pg_sys::heap_freetuple(tup);
        }
        Ok(())
    }

    /// Make the rows [`Own::append`] wrote visible, as the end of an
    /// INSERT does: SPI runs each write as a command of its own, so what
    /// comes next (a later write of the same row, an SQL read) sees it.
    pub(crate) fn settle(&self) {
        // SAFETY: advances the command counter, as any statement's end does
        unsafe { pg_sys::CommandCounterIncrement() };
    }

    /// A heap tuple of this relation from values by column name.
    fn form(&self, row: &[(&str, Option<pg_sys::Datum>)]) -> Result<pg_sys::HeapTuple> {
        // SAFETY: reads of the open relation's descriptor
        let natts = unsafe { (*(*self.rel).rd_att).natts as usize };
        self.form_over(
            vec![pg_sys::Datum::from(0usize); natts],
            vec![true; natts],
            row,
        )
    }

    /// A heap tuple of this relation: `values` / `nulls` (one per
    /// attribute) with the columns `row` names replaced. A column left
    /// NULL must be nullable and have no default, and every named column
    /// must exist: else the table is not the one rls_audit created, and
    /// this is an error rather than a row an INSERT would not have written.
    fn form_over(
        &self,
        mut values: Vec<pg_sys::Datum>,
        mut nulls: Vec<bool>,
        row: &[(&str, Option<pg_sys::Datum>)],
    ) -> Result<pg_sys::HeapTuple> {
        // SAFETY: the tuple is formed from the relation's own descriptor
        // with one datum (or NULL) per attribute
        unsafe {
            let desc = (*self.rel).rd_att;
            let natts = (*desc).natts as usize;
            let mut used = 0;
            for i in 0..natts {
                let att = attr(desc, i);
                if att.attisdropped {
                    nulls[i] = true;
                    continue;
                }
                let name = core::ffi::CStr::from_ptr(att.attname.data.as_ptr()).to_string_lossy();
                if let Some((_, v)) = row.iter().find(|(n, _)| *n == name) {
                    used += 1;
                    match v {
                        Some(d) => {
                            values[i] = *d;
                            nulls[i] = false;
                        }
                        None => nulls[i] = true,
                    }
                }
                if nulls[i] && (att.attnotnull || att.atthasdef) {
                    return Err(RlsAuditError::ObjectState(format!(
                        "rls_audit.{}: column {name} needs a value",
                        pgrx::name_data_to_str(&(*(*self.rel).rd_rel).relname)
                    )));
                }
            }
            if used != row.len() {
                return Err(RlsAuditError::ObjectState(
                    "rls_audit's table lacks a column it writes".into(),
                ));
            }
            Ok(pg_sys::heap_form_tuple(
                desc,
                values.as_mut_ptr(),
                nulls.as_mut_ptr(),
            ))
        }
    }
}

impl Own {
    /// Text column `column` of some row (the table is expected to hold at
    /// most one), as committed now or written by this transaction
    /// (SnapshotSelf: see [`Own::newest`]).
    pub(crate) fn any_row(&self, column: &str) -> Option<String> {
        let mut value = None;
        // (the scan's only error would be the closure's, which has none)
        let _ = self.scan(|r| {
            value = r.text(column);
            Ok(false)
        });
        value
    }

    /// Text column `column` of the row with the highest primary key, as
    /// committed now or written by this transaction: SnapshotSelf, not the
    /// transaction's snapshot, so under REPEATABLE READ and SERIALIZABLE
    /// too the newest row is found (and no predicate lock is taken). Only
    /// meaningful while writers of this table are serialised by a lock.
    pub(crate) fn newest(&self, column: &str) -> Result<Option<String>> {
        // SAFETY: an ordered scan of the open relation through its primary
        // key index (opened by CatalogOpenIndexes), ended before returning
        unsafe {
            let info = &*self.indexes();
            let pkey = (0..info.ri_NumIndices as usize)
                .map(|i| *info.ri_IndexRelationDescs.add(i))
                .find(|ix| (*(**ix).rd_index).indisprimary)
                .ok_or_else(|| {
                    RlsAuditError::ObjectState("rls_audit's table has no primary key".into())
                })?;
            let scan = pg_sys::systable_beginscan_ordered(
                self.rel,
                pkey,
                &raw mut pg_sys::SnapshotSelfData,
                0,
                std::ptr::null_mut(),
            );
            let tup = pg_sys::systable_getnext_ordered(
                scan,
                pg_sys::ScanDirection::BackwardScanDirection,
            );
            let value = if tup.is_null() {
                None
            } else {
                Row { own: self, tup }.text(column)
            };
            pg_sys::systable_endscan_ordered(scan);
            Ok(value)
        }
    }
}

/// A key value of an index lookup.
pub(crate) enum Key<'a> {
    Oid(u32),
    Name(&'a str),
}

impl Own {
    /// The attribute number of `column` (None: no such column).
    fn attno(&self, column: &str) -> Option<i16> {
        // SAFETY: reads of the open relation's descriptor
        unsafe {
            let desc = (*self.rel).rd_att;
            (0..(*desc).natts as usize).find_map(|i| {
                let att = attr(desc, i);
                (!att.attisdropped
                    && core::ffi::CStr::from_ptr(att.attname.data.as_ptr()).to_bytes()
                        == column.as_bytes())
                .then_some(i as i16 + 1)
            })
        }
    }

    /// Each row whose `columns` equal `keys`, found through the index that
    /// starts with exactly those columns, as committed now or written by
    /// this transaction (SnapshotSelf, as [`Own::newest`]: no predicate
    /// lock, whatever the isolation level). `f` returns false to stop.
    pub(crate) fn find(
        &self,
        columns: &[&str],
        keys: &[Key<'_>],
        mut f: impl FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        let missing =
            || RlsAuditError::ObjectState("rls_audit's table lacks an index it reads".into());
        let attnos: Vec<i16> = columns
            .iter()
            .map(|c| self.attno(c))
            .collect::<Option<_>>()
            .ok_or_else(missing)?;
        // SAFETY: an index scan of the open relation (keys in heap column
        // numbers, as systable_beginscan takes them), ended before returning
        unsafe {
            let info = &*self.indexes();
            let index = (0..info.ri_NumIndices as usize)
                .map(|i| *info.ri_IndexRelationDescs.add(i))
                .find(|ix| {
                    let ind = &*(**ix).rd_index;
                    let k = ind.indkey.values.as_slice(ind.indnkeyatts as usize);
                    k.len() >= attnos.len() && k[..attnos.len()] == attnos[..]
                })
                .ok_or_else(missing)?;
            let mut scankeys: Vec<pg_sys::ScanKeyData> = Vec::with_capacity(keys.len());
            for (attno, key) in attnos.iter().zip(keys) {
                let (proc_, datum) = match key {
                    Key::Oid(o) => (pg_sys::F_OIDEQ, pg_sys::Datum::from(pg_sys::Oid::from(*o))),
                    Key::Name(n) => (pg_sys::F_NAMEEQ, name_datum(n)?),
                };
                let mut k: pg_sys::ScanKeyData = std::mem::zeroed();
                pg_sys::ScanKeyInit(
                    &mut k,
                    *attno,
                    pg_sys::BTEqualStrategyNumber as pg_sys::StrategyNumber,
                    pg_sys::Oid::from(proc_),
                    datum,
                );
                scankeys.push(k);
            }
            let scan = pg_sys::systable_beginscan(
                self.rel,
                (*index).rd_id,
                true,
                &raw mut pg_sys::SnapshotSelfData,
                scankeys.len() as i32,
                scankeys.as_mut_ptr(),
            );
            each_tuple(scan, |tup| f(&Row { own: self, tup }))
        }
    }

    /// Each row of the table, as committed now or written by this
    /// transaction (SnapshotSelf, as [`Own::find`]). `f` returns false to
    /// stop.
    pub(crate) fn scan(&self, mut f: impl FnMut(&Row<'_>) -> Result<bool>) -> Result<()> {
        // SAFETY: a heap scan of the open relation, ended before returning
        unsafe {
            let scan = pg_sys::systable_beginscan(
                self.rel,
                pg_sys::InvalidOid,
                false,
                &raw mut pg_sys::SnapshotSelfData,
                0,
                std::ptr::null_mut(),
            );
            each_tuple(scan, |tup| f(&Row { own: self, tup }))
        }
    }

    /// Change the columns `row` names in the row at `tid` (found by
    /// [`Own::find`]); the others keep their values, as in an UPDATE. Its
    /// index entries are added.
    pub(crate) fn update(
        &self,
        tid: pg_sys::ItemPointerData,
        row: &[(&str, Option<pg_sys::Datum>)],
    ) -> Result<()> {
        let mut tid = tid;
        // SAFETY: tid is a row of this relation read in this transaction;
        // the old row is read from its pinned buffer (released once the new
        // tuple, which copies what it keeps, is formed); a concurrent update
        // of it raises an ERROR (fail closed)
        unsafe {
            let desc = (*self.rel).rd_att;
            let natts = (*desc).natts as usize;
            let mut values = vec![pg_sys::Datum::from(0usize); natts];
            let mut nulls = vec![true; natts];
            let mut old: pg_sys::HeapTupleData = std::mem::zeroed();
            old.t_self = tid;
            let mut buffer: pg_sys::Buffer = pg_sys::InvalidBuffer as pg_sys::Buffer;
            if !pg_sys::heap_fetch(
                self.rel,
                &raw mut pg_sys::SnapshotSelfData,
                &mut old,
                &mut buffer,
                false,
            ) {
                return Err(RlsAuditError::ObjectState(
                    "a row of rls_audit's table went away while it was being updated".into(),
                ));
            }
            pg_sys::heap_deform_tuple(&mut old, desc, values.as_mut_ptr(), nulls.as_mut_ptr());
            let formed = self.form_over(values, nulls, row);
            pg_sys::ReleaseBuffer(buffer);
            let tup = formed?;
            pg_sys::CatalogTupleUpdateWithInfo(self.rel, &mut tid, tup, self.indexes());
            pg_sys::heap_freetuple(tup);
            pg_sys::CommandCounterIncrement();
        }
        Ok(())
    }

    /// Delete the row at `tid` (found by [`Own::find`]).
    pub(crate) fn delete(&self, tid: pg_sys::ItemPointerData) {
        let mut tid = tid;
        // SAFETY: as for update
        unsafe {
            pg_sys::simple_heap_delete(self.rel, &mut tid);
            pg_sys::CommandCounterIncrement();
        }
    }
}

/// Each tuple a started systable scan returns, until `f` returns false or
/// an error; the scan is ended either way.
///
/// # Safety
/// `scan` is a scan begun with `systable_beginscan` and not yet ended.
pub(crate) unsafe fn each_tuple(
    scan: pg_sys::SysScanDesc,
    mut f: impl FnMut(*mut pg_sys::HeapTupleData) -> Result<bool>,
) -> Result<()> {
    let mut result = Ok(());
    // SAFETY: the caller's scan, read to its end (or f's stop) and ended
    unsafe {
        loop {
            let tup = pg_sys::systable_getnext(scan);
            if tup.is_null() {
                break;
            }
            match f(tup) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        pg_sys::systable_endscan(scan);
    }
    result
}

/// The row of `rls_audit.<table>` whose `key` columns hold the names
/// `old_key` becomes `new`: changed (the columns `new` names; the others
/// keep their values), deleted (`new` None), or added (no such row). While
/// the table is the plain one rls_audit created (`columns`: every column
/// rls_audit writes) that is done directly, else through SQL, so what a DBA
/// added to the table (a trigger, a CHECK) still holds.
pub(crate) fn put(
    c: &mut pgrx::spi::SpiClient<'_>,
    table: &core::ffi::CStr,
    columns: &[&str],
    key: &[&str],
    old_key: Option<&[&str]>,
    new: Option<&[(&str, Option<pg_sys::Datum>)]>,
) -> Result<Put> {
    put_row(c, table, columns, key, old_key, new, true)
}

/// What [`put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Put {
    Changed,
    Added,
    Deleted,
    Nothing,
}

/// As [`put`], for a row that may be gone: nothing is added.
pub(crate) fn change(
    c: &mut pgrx::spi::SpiClient<'_>,
    table: &core::ffi::CStr,
    columns: &[&str],
    key: &[&str],
    old_key: &[&str],
    new: &[(&str, Option<pg_sys::Datum>)],
) -> Result<()> {
    put_row(c, table, columns, key, Some(old_key), Some(new), false).map(|_| ())
}

fn put_row(
    c: &mut pgrx::spi::SpiClient<'_>,
    table: &core::ffi::CStr,
    columns: &[&str],
    key: &[&str],
    old_key: Option<&[&str]>,
    new: Option<&[(&str, Option<pg_sys::Datum>)]>,
    add: bool,
) -> Result<Put> {
    let rows = Own::open(table)?;
    let keys: Option<Vec<Key<'_>>> = old_key.map(|k| k.iter().map(|n| Key::Name(n)).collect());
    if rows.direct(&[], columns) {
        let mut tid = None;
        if let Some(keys) = &keys {
            rows.find(key, keys, |r| {
                tid = Some(r.tid());
                Ok(false)
            })?;
        }
        return match (tid, new) {
            (Some(t), Some(n)) => rows.update(t, n).map(|_| Put::Changed),
            (Some(t), None) => {
                rows.delete(t);
                Ok(Put::Deleted)
            }
            (None, Some(n)) if add => rows.insert(n).map(|_| Put::Added),
            (None, _) => Ok(Put::Nothing),
        };
    }
    rows.put_by_sql(c, key, old_key, new, add)
}

impl Own {
    /// [`put`] through SQL: DELETE, UPDATE (else INSERT) or INSERT, every
    /// value bound with its column's type.
    fn put_by_sql(
        &self,
        c: &mut pgrx::spi::SpiClient<'_>,
        key: &[&str],
        old_key: Option<&[&str]>,
        new: Option<&[(&str, Option<pg_sys::Datum>)]>,
        add: bool,
    ) -> Result<Put> {
        use crate::ident::quote_ident;
        use pgrx::datum::DatumWithOid;
        // SAFETY: reads of the open relation's name and descriptor
        let (table, types) = unsafe {
            let desc = (*self.rel).rd_att;
            let types: Vec<(String, pg_sys::Oid)> = (0..(*desc).natts as usize)
                .map(|i| attr(desc, i))
                .filter(|a| !a.attisdropped)
                .map(|a| {
                    let name = core::ffi::CStr::from_ptr(a.attname.data.as_ptr());
                    (name.to_string_lossy().into_owned(), a.atttypid)
                })
                .collect();
            let name = pgrx::name_data_to_str(&(*(*self.rel).rd_rel).relname).to_string();
            (format!("rls_audit.{}", quote_ident(&name)), types)
        };
        let type_of = |column: &str| {
            types
                .iter()
                .find(|(n, _)| n == column)
                .map(|(_, t)| *t)
                .ok_or_else(|| {
                    RlsAuditError::ObjectState(format!("{table} has no column {column}"))
                })
        };
        let values = |n: &[(&str, Option<pg_sys::Datum>)]| -> Result<Vec<DatumWithOid<'static>>> {
            n.iter()
                .map(|(col, v)| {
                    let t = type_of(col)?;
                    // SAFETY: the datum is a value of the column's type
                    Ok(match v {
                        Some(d) => unsafe { DatumWithOid::new(*d, t) },
                        None => DatumWithOid::null_oid(t),
                    })
                })
                .collect()
        };
        let mut args: Vec<DatumWithOid<'_>> = Vec::new();
        let mut where_ = Vec::new();
        for (i, (k, v)) in key.iter().zip(old_key.unwrap_or_default()).enumerate() {
            where_.push(format!("{} = ${}::pg_catalog.name", quote_ident(k), i + 1));
            args.push((*v).into());
        }
        let where_ = where_.join(" AND ");
        match (old_key, new) {
            (Some(_), None) => {
                let gone = c
                    .update(
                        &format!("DELETE FROM {table} WHERE {where_} RETURNING 1"),
                        None,
                        &args,
                    )?
                    .len();
                Ok(if gone > 0 { Put::Deleted } else { Put::Nothing })
            }
            (Some(_), Some(n)) => {
                let set: Vec<String> = n
                    .iter()
                    .enumerate()
                    .map(|(i, (col, _))| format!("{} = ${}", quote_ident(col), args.len() + i + 1))
                    .collect();
                args.extend(values(n)?);
                let changed = c
                    .update(
                        &format!(
                            "UPDATE {table} SET {} WHERE {where_} RETURNING 1",
                            set.join(", ")
                        ),
                        None,
                        &args,
                    )?
                    .len();
                if changed > 0 {
                    Ok(Put::Changed)
                } else if add {
                    self.put_by_sql(c, key, None, new, add)
                } else {
                    Ok(Put::Nothing)
                }
            }
            (None, Some(n)) if add => {
                let cols: Vec<String> = n.iter().map(|(col, _)| quote_ident(col)).collect();
                let params: Vec<String> = (1..=n.len()).map(|i| format!("${i}")).collect();
                c.update(
                    &format!(
                        "INSERT INTO {table} ({}) VALUES ({})",
                        cols.join(", "),
                        params.join(", ")
                    ),
                    None,
                    &values(n)?,
                )?;
                Ok(Put::Added)
            }
            (None, _) => Ok(Put::Nothing),
        }
    }
}

/// A row [`Own::find`] found, read by column name.
pub(crate) struct Row<'a> {
    own: &'a Own,
    tup: *mut pg_sys::HeapTupleData,
}

impl Row<'_> {
    pub(crate) fn tid(&self) -> pg_sys::ItemPointerData {
        // SAFETY: the scan's current tuple
        unsafe { (*self.tup).t_self }
    }

    fn datum(&self, column: &str) -> Option<pg_sys::Datum> {
        let attno = self.own.attno(column)?;
        let mut isnull = false;
        // SAFETY: the scan's current tuple, read with its relation's descriptor
        let d = unsafe {
            pg_sys::heap_getattr(self.tup, attno as i32, (*self.own.rel).rd_att, &mut isnull)
        };
        (!isnull).then_some(d)
    }

    pub(crate) fn text(&self, column: &str) -> Option<String> {
        // SAFETY: a text column's datum
        self.datum(column)
            .and_then(|d| unsafe { String::from_datum(d, false) })
    }

    /// A jsonb column, as serde_json reads PostgreSQL's text of it.
    pub(crate) fn json(&self, column: &str) -> Option<serde_json::Value> {
        // SAFETY: a jsonb column's datum
        self.datum(column)
            .and_then(|d| unsafe { pgrx::JsonB::from_datum(d, false) })
            .map(|j| j.0)
    }

    pub(crate) fn name(&self, column: &str) -> Option<String> {
        // SAFETY: a name column's datum points at its NameData
        self.datum(column).map(|d| unsafe {
            core::ffi::CStr::from_ptr(d.cast_mut_ptr::<core::ffi::c_char>())
                .to_string_lossy()
                .into_owned()
        })
    }

    pub(crate) fn oid(&self, column: &str) -> u32 {
        self.datum(column).map(|d| d.value() as u32).unwrap_or(0)
    }

    pub(crate) fn flag(&self, column: &str) -> bool {
        self.datum(column).is_some_and(|d| d.value() != 0)
    }

    pub(crate) fn oids(&self, column: &str) -> Vec<u32> {
        // SAFETY: an oid[] column's datum
        self.datum(column)
            .and_then(|d| unsafe { Vec::<Option<pg_sys::Oid>>::from_datum(d, false) })
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .map(|o| o.to_u32())
            .collect()
    }

    /// A name[] column (NULL elements left out).
    pub(crate) fn names(&self, column: &str) -> Vec<String> {
        let Some(d) = self.datum(column) else {
            return Vec::new();
        };
        // SAFETY: a name[] column's datum, detoasted, deconstructed with
        // name's storage (fixed NAMEDATALEN bytes, by reference, char-aligned)
        unsafe {
            let arr = pg_sys::pg_detoast_datum(d.cast_mut_ptr()).cast::<pg_sys::ArrayType>();
            let mut elems: *mut pg_sys::Datum = std::ptr::null_mut();
            let mut nulls: *mut bool = std::ptr::null_mut();
            let mut n = 0i32;
            pg_sys::deconstruct_array(
                arr,
                pg_sys::NAMEOID,
                pg_sys::NAMEDATALEN as i32,
                false,
                pg_sys::TYPALIGN_CHAR as core::ffi::c_char,
                &mut elems,
                &mut nulls,
                &mut n,
            );
            (0..n as usize)
                .filter(|i| !*nulls.add(*i))
                .map(|i| {
                    core::ffi::CStr::from_ptr((*elems.add(i)).cast_mut_ptr::<core::ffi::c_char>())
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        }
    }
}

/// Attribute `i` (0-based) of a tuple descriptor, whatever the version's
/// layout (PostgreSQL 18 keeps the attributes after compact copies).
pub(crate) unsafe fn attr<'a>(
    desc: pg_sys::TupleDesc,
    i: usize,
) -> &'a pg_sys::FormData_pg_attribute {
    // SAFETY: desc is a valid descriptor and i < natts (callers loop to natts)
    #[cfg(not(feature = "pg18"))]
    unsafe {
        &*(*desc).attrs.as_ptr().add(i)
    }
    #[cfg(feature = "pg18")]
    unsafe {
        &*pg_sys::TupleDescAttr(desc, i as core::ffi::c_int)
    }
}

/// A name[] datum of `names`.
pub(crate) fn names_datum(names: &[String]) -> Result<pg_sys::Datum> {
    let mut elems: Vec<pg_sys::Datum> =
        names.iter().map(|n| name_datum(n)).collect::<Result<_>>()?;
    // SAFETY: construct_array copies the NameData elements into a new array
    unsafe {
        let arr = pg_sys::construct_array(
            elems.as_mut_ptr(),
            elems.len() as i32,
            pg_sys::NAMEOID,
            pg_sys::NAMEDATALEN as i32,
            false,
            pg_sys::TYPALIGN_CHAR as core::ffi::c_char,
        );
        Ok(pg_sys::Datum::from(arr))
    }
}

/// An oid[] datum of `oids`.
pub(crate) fn oids_datum(oids: &[u32]) -> pg_sys::Datum {
    let mut elems: Vec<pg_sys::Datum> = oids
        .iter()
        .map(|o| pg_sys::Datum::from(pg_sys::Oid::from(*o)))
        .collect();
    // SAFETY: construct_array copies the by-value oid elements into a new
    // array without a NULL bitmap
    unsafe {
        let arr = pg_sys::construct_array(
            elems.as_mut_ptr(),
            elems.len() as i32,
            pg_sys::OIDOID,
            std::mem::size_of::<pg_sys::Oid>() as i32,
            true,
            pg_sys::TYPALIGN_INT as core::ffi::c_char,
        );
        pg_sys::Datum::from(arr)
    }
}

impl Drop for Own {
    fn drop(&mut self) {
        // SAFETY: closes what open() opened; the lock stays to the end of
        // the transaction (NoLock)
        unsafe {
            if !self.indexes.get().is_null() {
                pg_sys::CatalogCloseIndexes(self.indexes.get());
            }
            pg_sys::table_close(self.rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        }
    }
}

/// A policy's eight columns as rls_audit's tables name them (the snapshot's
/// and the tracked state's rows): its names, mode, command, roles, USING
/// and WITH CHECK.
pub(crate) const POLICY_COLUMNS: [&str; 8] = [
    "schema_name",
    "table_name",
    "policy_name",
    "permissive",
    "command",
    "roles",
    "using_expr",
    "check_expr",
];

/// Every column of a table that holds policies: [`POLICY_COLUMNS`], then
/// the table's `own`.
pub(crate) const fn policy_table_columns<const N: usize, const M: usize>(
    own: [&'static str; N],
) -> [&'static str; M] {
    assert!(M == POLICY_COLUMNS.len() + N);
    let mut out = [""; M];
    let mut i = 0;
    while i < M {
        out[i] = if i < POLICY_COLUMNS.len() {
            POLICY_COLUMNS[i]
        } else {
            own[i - POLICY_COLUMNS.len()]
        };
        i += 1;
    }
    out
}

/// The values of a policy's [`POLICY_COLUMNS`].
pub(crate) fn policy_columns(
    p: &crate::model::Policy,
) -> Result<[(&'static str, Option<pg_sys::Datum>); 8]> {
    let [schema, table, name, mode, command, roles, using, check] = POLICY_COLUMNS;
    Ok([
        (schema, Some(name_datum(&p.schema_name)?)),
        (table, Some(name_datum(&p.table_name)?)),
        (name, Some(name_datum(&p.policy_name)?)),
        (mode, p.permissive.as_sql().into_datum()),
        (command, p.command.as_sql().into_datum()),
        (roles, Some(names_datum(&p.roles)?)),
        (using, p.using_expr.as_deref().into_datum()),
        (check, p.check_expr.as_deref().into_datum()),
    ])
}

/// A `name` datum (NameData, truncated to NAMEDATALEN - 1 bytes as a cast
/// to name truncates).
pub(crate) fn name_datum(s: &str) -> Result<pg_sys::Datum> {
    let bytes = s.as_bytes();
    if bytes.len() < pg_sys::NAMEDATALEN as usize && !bytes.contains(&0) {
        // what namein does for a name that needs no truncation: a zeroed
        // NameData holding the bytes
        // SAFETY: palloc0 returns NAMEDATALEN zeroed bytes in the current
        // memory context, and fewer than that are copied into them
        unsafe {
            let out = pg_sys::palloc0(pg_sys::NAMEDATALEN as usize).cast::<u8>();
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len());
            return Ok(pg_sys::Datum::from(out));
        }
    }
    let c = std::ffi::CString::new(s)
        .map_err(|_| RlsAuditError::InvalidParameter("a name holds a NUL character".into()))?;
    // SAFETY: namein takes a cstring and returns a palloc'd NameData
    unsafe { pgrx::direct_function_call_as_datum(pg_sys::namein, &[c.as_c_str().into_datum()]) }
        .ok_or_else(|| RlsAuditError::ObjectState("namein returned NULL".into()))
}
