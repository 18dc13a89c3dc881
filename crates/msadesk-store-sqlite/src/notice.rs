//! Notices sent (table of `migrations/0008_notices.sql`).

use msadesk_core::{ProductId, Version};
use msadesk_store::notice::notice_detail;
use msadesk_store::{ChangeMeta, NoticeSent, NoticeStore, Result};
use rusqlite::{TransactionBehavior, params};

use crate::{SqliteStore, append_audit, backend, corrupt};

type NoticeRow =
    (i64, String, String, String, String, String, String, String, Option<String>, Option<String>, String, String);

impl NoticeStore for SqliteStore {
    fn record_notice_sent(&mut self, n: &NoticeSent, meta: &ChangeMeta) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        tx.execute(
            "INSERT INTO notices_sent (product_id, version, vulnerability, recipient, what, member_states, sent_at,
               reference, note, recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                n.product_id.as_str(),
                n.version.as_str(),
                n.vulnerability,
                n.to,
                n.what,
                serde_json::to_string(&n.member_states).unwrap_or_else(|_| "[]".into()),
                n.sent_at,
                n.reference,
                n.note,
                meta.actor,
                meta.at
            ],
        )
        .map_err(backend)?;
        let id = tx.last_insert_rowid();
        append_audit(&tx, meta, "notice", "sent", &notice_detail(n, id))?;
        tx.commit().map_err(backend)?;
        Ok(id)
    }

    fn notices_sent(&mut self) -> Result<Vec<NoticeSent>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, product_id, version, vulnerability, recipient, what, member_states, sent_at, reference, note,
                        recorded_by, recorded_at FROM notices_sent ORDER BY id",
            )
            .map_err(backend)?;
        let rows: Vec<NoticeRow> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ))
            })
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)?;
        rows.into_iter()
            .map(|(id, p, v, vulnerability, to, what, ms, sent_at, reference, note, recorded_by, recorded_at)| {
                Ok(NoticeSent {
                    id,
                    product_id: ProductId::parse(&p).map_err(|e| corrupt("product id", &p, e))?,
                    version: Version::parse(&v).map_err(|e| corrupt("version", &v, e))?,
                    vulnerability,
                    to,
                    what,
                    member_states: serde_json::from_str(&ms).map_err(|e| corrupt("member states", &ms, e))?,
                    sent_at,
                    reference,
                    note,
                    recorded_by,
                    recorded_at,
                })
            })
            .collect()
    }
}
