//! Notices sent (table of `migrations/0008_notices.sql`). The writer takes the audit lock first.

use msadesk_core::{ProductId, Version};
use msadesk_store::notice::notice_detail;
use msadesk_store::{ChangeMeta, NoticeSent, NoticeStore, Result, next_audit_entry};

use crate::PostgresStore;
use crate::audit;
use crate::error::{During, col, parse_stored};

impl NoticeStore for PostgresStore {
    fn record_notice_sent(&mut self, n: &NoticeSent, meta: &ChangeMeta) -> Result<i64> {
        let mut tx = self.client.transaction().during("starting to record a notice")?;
        let tail = audit::lock(&mut tx)?;
        let ms = serde_json::to_string(&n.member_states).unwrap_or_else(|_| "[]".into());
        let row = tx
            .query_one(
                "INSERT INTO notices_sent (product_id, version, vulnerability, recipient, what, member_states, sent_at,
                   reference, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 RETURNING id",
                &[
                    &n.product_id.as_str(),
                    &n.version.as_str(),
                    &n.vulnerability,
                    &n.to,
                    &n.what,
                    &ms,
                    &n.sent_at,
                    &n.reference,
                    &n.note,
                    &meta.actor,
                    &meta.at,
                ],
            )
            .during("recording a notice")?;
        let id: i64 = col(&row, 0)?;
        audit::append(&mut tx, &next_audit_entry(tail, meta, "notice", "sent", &notice_detail(n, id)))?;
        tx.commit().during("committing the notice")?;
        Ok(id)
    }

    fn notices_sent(&mut self) -> Result<Vec<NoticeSent>> {
        let rows = self
            .client
            .query(
                "SELECT id, product_id, version, vulnerability, recipient, what, member_states, sent_at, reference, note,
                        recorded_by, recorded_at FROM notices_sent ORDER BY id",
                &[],
            )
            .during("reading notices")?;
        rows.iter()
            .map(|r| {
                let p: String = col(r, 1)?;
                let v: String = col(r, 2)?;
                let ms: String = col(r, 6)?;
                Ok(NoticeSent {
                    id: col(r, 0)?,
                    product_id: parse_stored("product id", &p, ProductId::parse)?,
                    version: parse_stored("version", &v, Version::parse)?,
                    vulnerability: col(r, 3)?,
                    to: col(r, 4)?,
                    what: col(r, 5)?,
                    member_states: parse_stored("member states", &ms, |s| serde_json::from_str::<Vec<String>>(s))?,
                    sent_at: col(r, 7)?,
                    reference: col(r, 8)?,
                    note: col(r, 9)?,
                    recorded_by: col(r, 10)?,
                    recorded_at: col(r, 11)?,
                })
            })
            .collect()
    }
}
