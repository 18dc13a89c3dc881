//! Notices sent for the obligations of a risk assessment (issue 5): the record that a duty (to
//! inform the manufacturer, the market surveillance authorities, the CSIRT/ENISA, the users) was
//! fulfilled, when, by whom, and with which reference. An obligation is open until a notice for
//! it is recorded; records are never changed or deleted (a correction is a new record).
//!
//! An obligation is named by (product id, version, vulnerability, `to`, `what`), as the
//! assessment lists it (`msadesk_core::vuln::obligations::Obligation`).

use msadesk_core::{ProductId, Version};
use serde::Serialize;

use crate::{ChangeMeta, Result};

/// A notice recorded as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeSent {
    /// Assigned by the store (0 before recording).
    pub id: i64,
    pub product_id: ProductId,
    pub version: Version,
    pub vulnerability: String,
    /// `manufacturer`, `msa`, `csirt_enisa`, `users`, `end_users`.
    pub to: String,
    /// `inform`, `early_warning`, `notification`, `final_report`.
    pub what: String,
    /// The Member States it went to (authorities), empty otherwise.
    pub member_states: Vec<String>,
    /// When it was sent, RFC 3339 UTC (may be earlier than when it was recorded).
    pub sent_at: String,
    /// Our reference, the authority's case number, a message id.
    pub reference: Option<String>,
    pub note: Option<String>,
    /// Who recorded it and when (set by the store from the change's meta).
    pub recorded_by: String,
    pub recorded_at: String,
}

/// The audit detail of a recorded notice.
pub fn notice_detail(n: &NoticeSent, id: i64) -> serde_json::Value {
    serde_json::json!({
        "notice_id": id,
        "product_id": n.product_id.as_str(),
        "version": n.version.as_str(),
        "vulnerability": n.vulnerability,
        "to": n.to,
        "what": n.what,
        "member_states": n.member_states,
        "sent_at": n.sent_at,
        "reference": n.reference,
    })
}

/// Notices sent, kept per engine.
pub trait NoticeStore {
    /// Records that a notice was sent, audited in the same transaction. Returns its id.
    fn record_notice_sent(&mut self, notice: &NoticeSent, meta: &ChangeMeta) -> Result<i64>;
    /// Every notice recorded, oldest first.
    fn notices_sent(&mut self) -> Result<Vec<NoticeSent>>;
}
