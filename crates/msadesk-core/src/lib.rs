//! msadesk-core: the domain of msadesk as types and pure rules.
//!
//! This crate knows what an economic operator, a product version and a supply event are, which
//! values are valid, how long each record must be kept and why, and what an Art 23 trace answer
//! looks like. It does no I/O, no SQL, no HTTP and no async: everything here is a function of its
//! arguments, so it can be tested table-driven and reused by every engine and front end.
//!
//! Architecture invariant: a compliance finding (an expired record, a missing date) is data in the
//! return value, never an `Err`. `Err` is reserved for values that cannot be represented at all.

#![forbid(unsafe_code)]

pub mod action;
pub mod audit;
pub mod date;
pub mod inbox;
pub mod legal;
pub mod model;
pub mod readiness;
pub mod retention;
pub mod trace;
pub mod vuln;

pub use date::Date;
pub use model::*;
