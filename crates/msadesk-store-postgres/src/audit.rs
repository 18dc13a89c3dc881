//! Appending to the audit trail inside the transaction of the change it records.
//!
//! Every writer first takes [`lock`], which holds `audit_log` in EXCLUSIVE mode until the transaction
//! ends and returns the last entry's sequence number and hash. Reading the tail under that lock is
//! what keeps the hash chain linear: a second writer waits for the first to commit and then links to
//! its entry, instead of both linking to the same predecessor. Readers are not blocked (EXCLUSIVE
//! mode still admits plain SELECTs).

use msadesk_core::audit::AuditEntry;
use msadesk_store::StoreError;
use postgres::Transaction;

use crate::error::{During, col};

/// Takes the writers' lock and returns the chain's tail (seq, hash), if the chain is not empty.
///
/// The wait for the lock is bounded, so that an import started while another runs fails with
/// [`StoreError::Busy`] after a minute rather than hanging without a word.
pub(crate) fn lock(tx: &mut Transaction<'_>) -> Result<Option<(i64, String)>, StoreError> {
    tx.batch_execute(
        "SET LOCAL lock_timeout = '60s';
         LOCK TABLE audit_log IN EXCLUSIVE MODE;
         SET LOCAL lock_timeout TO DEFAULT;",
    )
    .during("waiting for other writers (locking the audit trail)")?;
    let row = tx
        .query_opt("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &[])
        .during("reading the end of the audit trail")?;
    row.map(|r| Ok((col(&r, 0)?, col(&r, 1)?))).transpose()
}

/// Appends an entry built with `msadesk_store::next_audit_entry` from the tail [`lock`] returned.
pub(crate) fn append(tx: &mut Transaction<'_>, e: &AuditEntry) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, entity, action, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[&e.seq, &e.at, &e.actor, &e.entity, &e.action, &e.detail, &e.prev_hash, &e.hash],
    )
    .during("appending to the audit trail")?;
    Ok(())
}

/// The whole trail, in chain order.
pub(crate) fn entries(client: &mut postgres::Client) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = client
        .query(
            "SELECT seq, at, actor, entity, action, detail, prev_hash, hash
             FROM audit_log ORDER BY seq",
            &[],
        )
        .during("reading the audit trail")?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: col(r, 0)?,
                at: col(r, 1)?,
                actor: col(r, 2)?,
                entity: col(r, 3)?,
                action: col(r, 4)?,
                detail: col(r, 5)?,
                prev_hash: col(r, 6)?,
                hash: col(r, 7)?,
            })
        })
        .collect()
}
