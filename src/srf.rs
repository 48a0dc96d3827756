//! A set-returning function's rows returned in bounded memory, in
//! materialize mode: each row becomes a tuple as soon as it is found, and
//! nothing here holds more than one row at a time.
//!
//! `drift()` can return hundreds of thousands of rows (every policy of a
//! new schema, every access change of a role), `access_matrix()` one per
//! role, table and command. Held as Rust values, then copied into the
//! executor's tuplestore, they were most of the call's memory. Here a row
//! goes either into PostgreSQL's own sort (`tuplesort`, [`Rows::sorted`])
//! and from there into the result's tuplestore, or straight into the
//! tuplestore ([`Rows::in_order`], for rows made in their final order).
//! The sort and the tuplestore each keep at most [`MEMORY_KB`] (or
//! `work_mem`, if smaller) in memory and spill the rest to temporary
//! files, as a query's sort would.
//!
//! The sorted order: a rank (an `int4` the caller computes, e.g. the
//! severity's place in the vocabulary), then result columns named by the
//! caller, each ascending with NULLs last and text compared as bytes
//! (`COLLATE "C"`), as Rust compares `str`.
use pgrx::prelude::*;
use pgrx::PgMemoryContexts;

use crate::error::{Result, RlsAuditError};

/// The most memory the sort and the result may each keep before they
/// spill to temporary files, in kB.
pub(crate) const MEMORY_KB: i32 = 1024;

/// One row: a value per result column (None: NULL).
pub(crate) type Values = Vec<Option<pg_sys::Datum>>;

/// The sort rows go through before the result, for [`Rows::sorted`].
struct Sort {
    state: *mut pg_sys::Tuplesortstate,
    /// the rank, then the result columns
    desc: pg_sys::TupleDesc,
    /// a virtual slot of `desc`, each row stored into it
    slot: *mut pg_sys::TupleTableSlot,
}

/// The rows of one call of a set-returning function.
pub(crate) struct Rows {
    rsinfo: *mut pg_sys::ReturnSetInfo,
    /// the function's result columns
    result: pg_sys::TupleDesc,
    /// the result, handed to the executor by [`Rows::finish`]
    store: *mut pg_sys::Tuplestorestate,
    sort: Option<Sort>,
    /// each row's datums, reset after the row is stored
    row_cx: PgMemoryContexts,
    /// the first row that could not be stored: [`Rows::finish`] returns it
    failed: Option<RlsAuditError>,
}

impl Rows {
    /// The result of the call `fcinfo`, rows put in the order they are
    /// to be returned.
    pub(crate) fn in_order(fcinfo: pg_sys::FunctionCallInfo) -> Result<Rows> {
        Self::begin(fcinfo, None)
    }

    /// The result of the call `fcinfo`, sorted by the rank and then by
    /// `keys` (0-based result columns).
    pub(crate) fn sorted(fcinfo: pg_sys::FunctionCallInfo, keys: &[usize]) -> Result<Rows> {
        Self::begin(fcinfo, Some(keys))
    }

    /// Fails (0A000) where a set is not accepted or only one row at a
    /// time is.
    fn begin(fcinfo: pg_sys::FunctionCallInfo, keys: Option<&[usize]>) -> Result<Rows> {
        // SAFETY: fcinfo is the live call's; resultinfo is checked to be a
        // ReturnSetInfo before it is used, as PostgreSQL's own SRFs check
        unsafe {
            let rsinfo = (*fcinfo).resultinfo.cast::<pg_sys::ReturnSetInfo>();
            if rsinfo.is_null()
                || (*rsinfo).type_ != pg_sys::NodeTag::T_ReturnSetInfo
                || (*rsinfo).allowedModes & pg_sys::SetFunctionReturnMode::SFRM_Materialize as i32
                    == 0
            {
                return Err(RlsAuditError::Unsupported(
                    "set-valued function called in a context that cannot accept a set".into(),
                ));
            }
            let mut result: pg_sys::TupleDesc = std::ptr::null_mut();
            if pg_sys::get_call_result_type(fcinfo, std::ptr::null_mut(), &mut result)
                != pg_sys::TypeFuncClass::TYPEFUNC_COMPOSITE
            {
                return Err(RlsAuditError::ObjectState(
                    "the function's result is not a row type".into(),
                ));
            }
            // the result and its description outlive the call: the
            // executor reads the tuplestore after it
            let per_query = (*(*rsinfo).econtext).ecxt_per_query_memory;
            let old = pg_sys::MemoryContextSwitchTo(per_query);
            let result = pg_sys::CreateTupleDescCopy(result);
            let random = (*rsinfo).allowedModes
                & pg_sys::SetFunctionReturnMode::SFRM_Materialize_Random as i32
                != 0;
            let store =
                pg_sys::tuplestore_begin_heap(random, false, MEMORY_KB.min(pg_sys::work_mem));
            pg_sys::MemoryContextSwitchTo(old);
            let sort = match keys {
                Some(keys) => Some(Sort::begin(result, keys)?),
                None => None,
            };
            Ok(Rows {
                rsinfo,
                result,
                store,
                sort,
                row_cx: PgMemoryContexts::new("rls_audit result row"),
                failed: None,
            })
        }
    }

    /// Add one row: its rank (ignored in order) and a value per result
    /// column, built by `values` in a memory context that is reset once
    /// the row is stored. The rows come from callbacks that cannot fail,
    /// so a row that cannot be stored is kept as the error
    /// [`Rows::finish`] returns, and the rows after it are not made.
    pub(crate) fn put(&mut self, rank: i32, values: impl FnOnce() -> Values) {
        if self.failed.is_none() {
            self.failed = self.store(rank, values).err();
        }
    }

    fn store(&mut self, rank: i32, values: impl FnOnce() -> Values) -> Result<()> {
        // SAFETY: the datums are made in row_cx and copied by the sort or
        // the tuplestore before it is reset
        let row = unsafe { self.row_cx.switch_to(|_| values()) };
        let natts = unsafe { (*self.result).natts } as usize;
        let out = if row.len() != natts {
            Err(RlsAuditError::ObjectState(format!(
                "a row of {} values for {natts} result columns",
                row.len()
            )))
        } else {
            match &self.sort {
                Some(sort) => {
                    sort.put(rank, &row);
                }
                None => {
                    let mut datums: Vec<pg_sys::Datum> = row
                        .iter()
                        .map(|v| v.unwrap_or(pg_sys::Datum::from(0usize)))
                        .collect();
                    let mut nulls: Vec<bool> = row.iter().map(Option::is_none).collect();
                    // SAFETY: one datum and one flag per result column
                    unsafe {
                        pg_sys::tuplestore_putvalues(
                            self.store,
                            self.result,
                            datums.as_mut_ptr(),
                            nulls.as_mut_ptr(),
                        )
                    };
                }
            }
            Ok(())
        };
        drop(row);
        // SAFETY: nothing made in the context outlives the row
        unsafe { self.row_cx.reset() };
        out
    }

    /// Hand the rows to the executor as the call's result (sorted first,
    /// if they are to be), or the error of the first row that could not
    /// be stored.
    pub(crate) fn finish(mut self) -> Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if let Some(sort) = self.sort.take() {
            sort.drain_into(self.store, self.result);
        }
        // SAFETY: rsinfo is the call's, checked in begin
        unsafe {
            (*self.rsinfo).returnMode = pg_sys::SetFunctionReturnMode::SFRM_Materialize;
            (*self.rsinfo).setResult = self.store;
            (*self.rsinfo).setDesc = self.result;
        }
        Ok(())
    }
}

impl Sort {
    fn begin(result: pg_sys::TupleDesc, keys: &[usize]) -> Result<Sort> {
        // SAFETY: the descriptors are valid; every key is checked to be a
        // column of the sort's descriptor before it is used
        unsafe {
            let natts = (*result).natts;
            let desc = pg_sys::CreateTemplateTupleDesc(natts + 1);
            pg_sys::TupleDescInitEntry(desc, 1, c"rank".as_ptr(), pg_sys::INT4OID, -1, 0);
            for i in 1..=natts {
                pg_sys::TupleDescCopyEntry(desc, (i + 1) as i16, result, i as i16);
            }
            let columns = pgrx::PgTupleDesc::from_pg_unchecked(desc);
            let mut attnums: Vec<pg_sys::AttrNumber> = vec![1];
            for &k in keys {
                if k >= natts as usize {
                    return Err(RlsAuditError::ObjectState(format!(
                        "sort key {k} is not a result column"
                    )));
                }
                attnums.push((k + 2) as pg_sys::AttrNumber);
            }
            let mut operators = Vec::with_capacity(attnums.len());
            for &a in &attnums {
                let typ = columns
                    .get((a - 1) as usize)
                    .map(|att| att.atttypid)
                    .unwrap_or(pg_sys::InvalidOid);
                let cache = pg_sys::lookup_type_cache(typ, pg_sys::TYPECACHE_LT_OPR as i32);
                if cache.is_null() || (*cache).lt_opr == pg_sys::InvalidOid {
                    return Err(RlsAuditError::ObjectState(format!(
                        "result column {a} has no ordering"
                    )));
                }
                operators.push((*cache).lt_opr);
            }
            let mut collations = vec![pg_sys::C_COLLATION_OID; attnums.len()];
            let mut nulls_first = vec![false; attnums.len()];
            let state = pg_sys::tuplesort_begin_heap(
                desc,
                attnums.len() as i32,
                attnums.as_mut_ptr(),
                operators.as_mut_ptr(),
                collations.as_mut_ptr(),
                nulls_first.as_mut_ptr(),
                MEMORY_KB.min(pg_sys::work_mem),
                std::ptr::null_mut(),
                pg_sys::TUPLESORT_NONE as i32,
            );
            let slot = pg_sys::MakeSingleTupleTableSlot(desc, &raw const pg_sys::TTSOpsVirtual);
            Ok(Sort { state, desc, slot })
        }
    }

    /// One row into the sort (which copies it).
    fn put(&self, rank: i32, row: &[Option<pg_sys::Datum>]) {
        // SAFETY: the slot is a virtual slot of desc, whose arrays have
        // one entry per column (the rank and the row's, checked by the
        // caller); every entry is set before the slot is stored
        unsafe {
            let natts = (*self.desc).natts as usize;
            pg_sys::ExecClearTuple(self.slot);
            let values = std::slice::from_raw_parts_mut((*self.slot).tts_values, natts);
            let nulls = std::slice::from_raw_parts_mut((*self.slot).tts_isnull, natts);
            values[0] = pg_sys::Datum::from(rank);
            nulls[0] = false;
            for (i, v) in row.iter().enumerate() {
                values[i + 1] = v.unwrap_or(pg_sys::Datum::from(0usize));
                nulls[i + 1] = v.is_none();
            }
            pg_sys::ExecStoreVirtualTuple(self.slot);
            pg_sys::tuplesort_puttupleslot(self.state, self.slot);
        }
    }

    /// Sort, and move every row, without its rank, into `store`.
    fn drain_into(mut self, store: *mut pg_sys::Tuplestorestate, result: pg_sys::TupleDesc) {
        // SAFETY: the sort is complete once performsort returns; each
        // tuple read (not copied) is valid until the next read, and
        // tuplestore_putvalues copies it
        unsafe {
            pg_sys::tuplesort_performsort(self.state);
            let read =
                pg_sys::MakeSingleTupleTableSlot(self.desc, &raw const pg_sys::TTSOpsMinimalTuple);
            while pg_sys::tuplesort_gettupleslot(
                self.state,
                true,
                false,
                read,
                std::ptr::null_mut(),
            ) {
                pg_sys::slot_getallattrs(read);
                pg_sys::tuplestore_putvalues(
                    store,
                    result,
                    (*read).tts_values.add(1),
                    (*read).tts_isnull.add(1),
                );
            }
            pg_sys::ExecDropSingleTupleTableSlot(read);
        }
        self.end();
    }

    fn end(&mut self) {
        // SAFETY: each is released once: the pointers are nulled after
        if !self.state.is_null() {
            unsafe { pg_sys::tuplesort_end(self.state) };
            self.state = std::ptr::null_mut();
        }
        if !self.slot.is_null() {
            unsafe { pg_sys::ExecDropSingleTupleTableSlot(self.slot) };
            self.slot = std::ptr::null_mut();
        }
    }
}

impl Drop for Sort {
    /// A call that fails with a Rust error before the sort is drained
    /// closes it and its temporary files at once. An ERROR raised by
    /// PostgreSQL (a panic here) leaves them to the transaction's
    /// cleanup, which frees the memory and closes the files.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        self.end();
    }
}
