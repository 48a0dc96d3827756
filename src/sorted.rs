//! A set-returning function's rows sorted and returned in bounded memory.
//!
//! `drift()` can return hundreds of thousands of rows (every policy of a
//! new schema, every access change of a role). Held as Rust values, then
//! copied into the executor's tuplestore, they were most of the call's
//! memory. Here each row becomes a tuple as soon as it is found and goes
//! into PostgreSQL's own sort (`tuplesort`), then into the result's
//! tuplestore (materialize mode). Both keep at most [`MEMORY_KB`] (or
//! `work_mem`, if smaller) in memory and spill the rest to temporary
//! files, as a query's sort would; nothing here needs more than one row
//! at a time.
//!
//! The order: a rank (an `int4` the caller computes, e.g. the severity's
//! place in the vocabulary), then result columns named by the caller, each
//! ascending with NULLs last and text compared as bytes (`COLLATE "C"`),
//! as Rust compares `str`.
use pgrx::prelude::*;
use pgrx::PgMemoryContexts;

use crate::error::{Result, RlsAuditError};

/// The most memory the sort and the result may each keep before they
/// spill to temporary files, in kB.
pub(crate) const MEMORY_KB: i32 = 4096;

/// One row: a value per result column (None: NULL).
pub(crate) type Values = Vec<Option<pg_sys::Datum>>;

/// The rows of one call of a set-returning function, sorted as they come.
pub(crate) struct Sorted {
    fcinfo: pg_sys::FunctionCallInfo,
    rsinfo: *mut pg_sys::ReturnSetInfo,
    /// the function's result columns
    result: pg_sys::TupleDesc,
    /// the rank, then the result columns
    sort_desc: pg_sys::TupleDesc,
    sort: *mut pg_sys::Tuplesortstate,
    slot: *mut pg_sys::TupleTableSlot,
    /// each row's datums, reset after the row is in the sort
    row_cx: PgMemoryContexts,
}

impl Sorted {
    /// Start the result of the call `fcinfo`, sorted by the rank and then
    /// by `keys` (0-based result columns). Fails (0A000) where a set is
    /// not accepted or only one row at a time is.
    pub(crate) fn begin(fcinfo: pg_sys::FunctionCallInfo, keys: &[usize]) -> Result<Sorted> {
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
            // the result's description outlives the call: the executor
            // reads the tuplestore after it
            let per_query = (*(*rsinfo).econtext).ecxt_per_query_memory;
            let old = pg_sys::MemoryContextSwitchTo(per_query);
            let result = pg_sys::CreateTupleDescCopy(result);
            pg_sys::MemoryContextSwitchTo(old);

            let natts = (*result).natts;
            let sort_desc = pg_sys::CreateTemplateTupleDesc(natts + 1);
            pg_sys::TupleDescInitEntry(sort_desc, 1, c"rank".as_ptr(), pg_sys::INT4OID, -1, 0);
            for i in 1..=natts {
                pg_sys::TupleDescCopyEntry(sort_desc, (i + 1) as i16, result, i as i16);
            }
            let columns = pgrx::PgTupleDesc::from_pg_unchecked(sort_desc);
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
            let sort = pg_sys::tuplesort_begin_heap(
                sort_desc,
                attnums.len() as i32,
                attnums.as_mut_ptr(),
                operators.as_mut_ptr(),
                collations.as_mut_ptr(),
                nulls_first.as_mut_ptr(),
                MEMORY_KB.min(pg_sys::work_mem),
                std::ptr::null_mut(),
                pg_sys::TUPLESORT_NONE as i32,
            );
            let slot =
                pg_sys::MakeSingleTupleTableSlot(sort_desc, &raw const pg_sys::TTSOpsVirtual);
            Ok(Sorted {
                fcinfo,
                rsinfo,
                result,
                sort_desc,
                sort,
                slot,
                row_cx: PgMemoryContexts::new("rls_audit sorted row"),
            })
        }
    }

    /// Add one row: its rank and a value per result column, built by
    /// `values` in a memory context that is reset once the sort has its
    /// own copy.
    pub(crate) fn put(&mut self, rank: i32, values: impl FnOnce() -> Values) -> Result<()> {
        let row = unsafe { self.row_cx.switch_to(|_| values()) };
        // SAFETY: the slot is a virtual slot of sort_desc; its arrays have
        // natts entries, and every entry is set before it is stored
        let out = unsafe {
            let natts = (*self.sort_desc).natts as usize;
            if row.len() + 1 != natts {
                Err(RlsAuditError::ObjectState(format!(
                    "a row of {} values for {} result columns",
                    row.len(),
                    natts - 1
                )))
            } else {
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
                pg_sys::tuplesort_puttupleslot(self.sort, self.slot);
                Ok(())
            }
        };
        drop(row);
        // SAFETY: nothing made in the context outlives the row: the sort
        // copied it
        unsafe { self.row_cx.reset() };
        out
    }

    /// Sort, and hand the rows to the executor as the call's result.
    pub(crate) fn finish(mut self) -> Result<()> {
        // SAFETY: the sort is complete once performsort returns; each
        // tuple read (not copied) is valid until the next read, and
        // tuplestore_putvalues copies it
        unsafe {
            pg_sys::tuplesort_performsort(self.sort);
            let per_query = (*(*self.rsinfo).econtext).ecxt_per_query_memory;
            let old = pg_sys::MemoryContextSwitchTo(per_query);
            let random = (*self.rsinfo).allowedModes
                & pg_sys::SetFunctionReturnMode::SFRM_Materialize_Random as i32
                != 0;
            let store =
                pg_sys::tuplestore_begin_heap(random, false, MEMORY_KB.min(pg_sys::work_mem));
            pg_sys::MemoryContextSwitchTo(old);

            let read = pg_sys::MakeSingleTupleTableSlot(
                self.sort_desc,
                &raw const pg_sys::TTSOpsMinimalTuple,
            );
            while pg_sys::tuplesort_gettupleslot(self.sort, true, false, read, std::ptr::null_mut())
            {
                pg_sys::slot_getallattrs(read);
                pg_sys::tuplestore_putvalues(
                    store,
                    self.result,
                    (*read).tts_values.add(1),
                    (*read).tts_isnull.add(1),
                );
            }
            pg_sys::ExecDropSingleTupleTableSlot(read);
            (*self.rsinfo).returnMode = pg_sys::SetFunctionReturnMode::SFRM_Materialize;
            (*self.rsinfo).setResult = store;
            (*self.rsinfo).setDesc = self.result;
            let _ = self.fcinfo;
            self.end();
        }
        Ok(())
    }

    fn end(&mut self) {
        // SAFETY: each is released once: the pointers are nulled after
        if !self.sort.is_null() {
            unsafe { pg_sys::tuplesort_end(self.sort) };
            self.sort = std::ptr::null_mut();
        }
        if !self.slot.is_null() {
            unsafe { pg_sys::ExecDropSingleTupleTableSlot(self.slot) };
            self.slot = std::ptr::null_mut();
        }
    }
}

impl Drop for Sorted {
    /// A call that fails (a Rust error) before [`Sorted::finish`] closes
    /// the sort and its temporary files at once; an ERROR raised by
    /// PostgreSQL leaves them to the transaction's cleanup, which frees
    /// the memory and closes the files.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        self.end();
    }
}
