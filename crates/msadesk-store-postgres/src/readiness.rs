//! Storage for the readiness report: a verified backup is recorded as an audit entry.

use msadesk_store::readiness::{BackupRecord, ReadinessStore, backup_detail};
use msadesk_store::{ChangeMeta, StoreError};

use crate::PostgresStore;
use crate::audit;
use crate::error::During;

impl ReadinessStore for PostgresStore {
    fn record_backup(&mut self, backup: &BackupRecord, meta: &ChangeMeta) -> Result<i64, StoreError> {
        let mut tx = self.client.transaction().during("starting to record a backup")?;
        let tail = audit::lock(&mut tx)?;
        let entry = msadesk_store::next_audit_entry(tail, meta, "backup", "create", &backup_detail(backup));
        audit::append(&mut tx, &entry)?;
        tx.commit().during("committing the backup record")?;
        Ok(entry.seq)
    }
}
