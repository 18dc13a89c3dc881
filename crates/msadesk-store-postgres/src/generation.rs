//! The data generation in PostgreSQL: the latest audit entry's sequence number. Writers append to
//! the trail under its exclusive lock (see `audit::lock`), so it grows in commit order.

use msadesk_store::{GenerationStore, StoreError};

use crate::PostgresStore;
use crate::error::{During, col};

impl GenerationStore for PostgresStore {
    fn data_generation(&mut self) -> Result<i64, StoreError> {
        let row = self
            .client
            .query_one("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM audit_log", &[])
            .during("reading the data generation")?;
        col(&row, 0)
    }
}
