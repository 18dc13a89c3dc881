//! Storage for the readiness report: a verified backup is recorded as an audit entry.

use msadesk_store::readiness::{BackupRecord, ReadinessStore, backup_detail};
use msadesk_store::{ChangeMeta, Result};
use rusqlite::TransactionBehavior;

use crate::{SqliteStore, append_audit, backend};

impl ReadinessStore for SqliteStore {
    fn record_backup(&mut self, backup: &BackupRecord, meta: &ChangeMeta) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        append_audit(&tx, meta, "backup", "create", &backup_detail(backup))?;
        let seq: i64 = tx.query_row("SELECT MAX(seq) FROM audit_log", [], |r| r.get(0)).map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(seq)
    }
}
