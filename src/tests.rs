//! `#[pg_test]`s: behaviour inside one backend, through SQL as a DBA calls it.
use pgrx::prelude::*;
