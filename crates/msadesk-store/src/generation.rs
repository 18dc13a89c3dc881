//! A data generation: a number that changes whenever the registry's data changes, so that a reader
//! can keep answers (e.g. the server's trace cache) and know exactly when they go stale.
//!
//! Every change to the registry writes an audit entry in its own transaction, and writers append to
//! the audit trail one at a time (SQLite's single writer; PostgreSQL's exclusive lock on the trail),
//! so the sequence number of the latest audit entry grows with every committed change. Reads of a
//! generation followed by reads of the data can only see data as new or newer than the generation.

use crate::Result;

pub trait GenerationStore {
    /// The sequence number of the latest audit entry (0 for an empty registry). Equal generations,
    /// read before the data, mean the data has not changed in between.
    fn data_generation(&mut self) -> Result<i64>;
}
