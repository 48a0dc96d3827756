//! Rows of rls_audit's own tables read and written without the executor,
//! for the one path that runs inside every captured DDL: appending to the
//! event log.
//!
//! Starting the executor for a one-row INSERT (and re-preparing the
//! table's CHECK constraint each time) costs several times the insert
//! itself. A row goes in as PostgreSQL inserts catalog rows instead: the
//! heap tuple, then one entry per index (`CatalogTupleInsertWithInfo`,
//! which checks uniqueness as any insert does). That is exact only for a
//! plain table, so [`Own::direct`] says whether the table still is one: no
//! triggers, rules or row security, plain-column indexes only, and no
//! CHECK constraint but the ones rls_audit created (whose values the
//! caller guarantees). A table a DBA has extended with any of these is
//! written through SQL as before.
use pgrx::prelude::*;

use crate::error::{Result, RlsAuditError};

/// One of rls_audit's tables, opened for writing: the lock is held to the
/// end of the transaction, as an INSERT would hold it.
pub(crate) struct Own {
    rel: pg_sys::Relation,
    indexes: *mut pg_sys::ResultRelInfo,
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
            let indexes = pg_sys::CatalogOpenIndexes(rel);
            Ok(Own { rel, indexes })
        }
    }

    /// Can rows of `columns` go in without the executor and mean exactly
    /// what an INSERT would? `checks`: the CHECK constraints rls_audit
    /// created on this table (their values are the caller's to guarantee).
    /// Every other column must take NULL: nullable, with no default,
    /// identity or generation expression.
    pub(crate) fn direct(&self, checks: &[&str], columns: &[&str]) -> bool {
        // SAFETY: reads of the open relation's cache entry and of the
        // index infos CatalogOpenIndexes built
        unsafe {
            let desc = (*self.rel).rd_att;
            let mut found = 0;
            for i in 0..(*desc).natts as usize {
                let att = &*(*desc).attrs.as_ptr().add(i);
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
            if class.relhastriggers || class.relrowsecurity || !(*self.rel).rd_rules.is_null() {
                return false;
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
            let info = &*self.indexes;
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
        // SAFETY: the tuple is formed from the relation's own descriptor
        // with one datum (or NULL) per attribute, then inserted as a
        // catalog row is; an ERROR (a duplicate key) aborts the transaction
        unsafe {
            let desc = (*self.rel).rd_att;
            let natts = (*desc).natts as usize;
            let mut values = vec![pg_sys::Datum::from(0usize); natts];
            let mut nulls = vec![true; natts];
            let mut used = 0;
            for i in 0..natts {
                let att = &*(*desc).attrs.as_ptr().add(i);
                if att.attisdropped {
                    continue;
                }
                let name = core::ffi::CStr::from_ptr(att.attname.data.as_ptr()).to_string_lossy();
                if let Some((_, v)) = row.iter().find(|(n, _)| *n == name) {
                    used += 1;
                    if let Some(d) = v {
                        values[i] = *d;
                        nulls[i] = false;
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
            let tup = pg_sys::heap_form_tuple(desc, values.as_mut_ptr(), nulls.as_mut_ptr());
            pg_sys::CatalogTupleInsertWithInfo(self.rel, tup, self.indexes);
            pg_sys::heap_freetuple(tup);
        }
        Ok(())
    }
}

impl Own {
    /// The text column `column` of the row a scan returned (None: NULL, or
    /// no such column).
    unsafe fn text_of(&self, tup: *mut pg_sys::HeapTupleData, column: &str) -> Option<String> {
        // SAFETY: tup is a row of this relation, read with its descriptor
        unsafe {
            let desc = (*self.rel).rd_att;
            for i in 0..(*desc).natts as usize {
                let att = &*(*desc).attrs.as_ptr().add(i);
                if att.attisdropped
                    || core::ffi::CStr::from_ptr(att.attname.data.as_ptr()).to_bytes()
                        != column.as_bytes()
                {
                    continue;
                }
                let mut isnull = false;
                let d = pg_sys::heap_getattr(tup, i as i32 + 1, desc, &mut isnull);
                return if isnull {
                    None
                } else {
                    String::from_datum(d, false)
                };
            }
            None
        }
    }

    /// Text column `column` of some row (the table is expected to hold at
    /// most one), as committed now or written by this transaction
    /// (SnapshotSelf: see [`Own::newest`]).
    pub(crate) fn any_row(&self, column: &str) -> Option<String> {
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
            let tup = pg_sys::systable_getnext(scan);
            let value = if tup.is_null() {
                None
            } else {
                self.text_of(tup, column)
            };
            pg_sys::systable_endscan(scan);
            value
        }
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
            let info = &*self.indexes;
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
                self.text_of(tup, column)
            };
            pg_sys::systable_endscan_ordered(scan);
            Ok(value)
        }
    }
}

impl Drop for Own {
    fn drop(&mut self) {
        // SAFETY: closes what open() opened; the lock stays to the end of
        // the transaction (NoLock)
        unsafe {
            pg_sys::CatalogCloseIndexes(self.indexes);
            pg_sys::table_close(self.rel, pg_sys::NoLock as pg_sys::LOCKMODE);
        }
    }
}

/// A `name` datum (NameData, truncated to NAMEDATALEN - 1 bytes as a cast
/// to name truncates).
pub(crate) fn name_datum(s: &str) -> Result<pg_sys::Datum> {
    let c = std::ffi::CString::new(s)
        .map_err(|_| RlsAuditError::InvalidParameter("a name holds a NUL character".into()))?;
    // SAFETY: namein takes a cstring and returns a palloc'd NameData
    unsafe { pgrx::direct_function_call_as_datum(pg_sys::namein, &[c.as_c_str().into_datum()]) }
        .ok_or_else(|| RlsAuditError::ObjectState("namein returned NULL".into()))
}
