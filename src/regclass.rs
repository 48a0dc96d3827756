//! A `regclass` argument that is only an OID.
//!
//! pgrx's `PgRelation` opens the relation while decoding the argument, so an
//! OID with no table behind it fails with an internal error before our code
//! runs. Keeping the bare OID lets us answer SPEC §4's 42P01 ourselves.
use pgrx::callconv::{Arg, ArgAbi, BoxRet, FcInfo};
use pgrx::nullable::Nullable;
use pgrx::prelude::*;
use pgrx::{FromDatum, IntoDatum};

#[derive(Clone, Copy, Debug)]
pub(crate) struct RegClass(pub pg_sys::Oid);

impl FromDatum for RegClass {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<Self> {
        pg_sys::Oid::from_polymorphic_datum(datum, is_null, pg_sys::OIDOID).map(RegClass)
    }
}

impl_sql_translatable!(RegClass, "regclass");

/// A `name` argument (NAMEDATALEN-limited identifier), decoded to a String.
#[derive(Clone, Debug)]
pub(crate) struct Name(pub String);

impl FromDatum for Name {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<Self> {
        if is_null || datum.is_null() {
            return None;
        }
        // SAFETY: a non-null `name` datum points at a NUL-terminated NameData
        let c = unsafe { core::ffi::CStr::from_ptr(datum.cast_mut_ptr::<core::ffi::c_char>()) };
        Some(Name(c.to_string_lossy().into_owned()))
    }
}

impl IntoDatum for Name {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        let c = std::ffi::CString::new(self.0).ok()?;
        // SAFETY: namein copies (and truncates to NAMEDATALEN) into a palloc'd NameData
        unsafe { pgrx::direct_function_call_as_datum(pg_sys::namein, &[c.as_c_str().into_datum()]) }
    }
    fn type_oid() -> pg_sys::Oid {
        pg_sys::NAMEOID
    }
}

// SAFETY: returns the datum IntoDatum built (a palloc'd NameData) or NULL
unsafe impl BoxRet for Name {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
        match self.into_datum() {
            Some(datum) => unsafe { fcinfo.return_raw_datum(datum) },
            None => fcinfo.return_null(),
        }
    }
}

impl_sql_translatable!(Name, "name");

/// Both wrappers decode through `FromDatum`, as pgrx does for its own types.
macro_rules! arg_from_datum {
    ($($t:ty),*) => {$(
        // SAFETY: the SQL signature declares the matching type, so the datum
        // is an OID (regclass) or a NameData pointer (name)
        unsafe impl<'fcx> ArgAbi<'fcx> for $t {
            unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
                let index = arg.index();
                unsafe { arg.unbox_arg_using_from_datum() }
                    .unwrap_or_else(|| panic!("argument {index} must not be null"))
            }
            unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
                unsafe { arg.unbox_arg_using_from_datum().into() }
            }
        }
    )*};
}
arg_from_datum!(RegClass, Name);
