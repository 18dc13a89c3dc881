//! The data generation in SQLite: the latest audit entry's sequence number (SQLite has one writer
//! at a time, so it grows with every committed change).

use msadesk_store::{GenerationStore, Result};

use crate::{SqliteStore, backend};

impl GenerationStore for SqliteStore {
    fn data_generation(&mut self) -> Result<i64> {
        self.conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM audit_log")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(backend)
    }
}
