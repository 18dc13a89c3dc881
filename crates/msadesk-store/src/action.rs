//! Corrective actions, their recipients, acknowledgement tokens and the outbox (issue 8).
//!
//! Storage shapes and the [`ActionStore`] trait. The rules (status machine, effectiveness, backoff)
//! live in `msadesk_core::action`; the wording of notices and their delivery live in the binary.
//! What the engines guarantee:
//! - the recipient list of an action is derived from the registry in the action's own transaction,
//!   set-based (one `INSERT … SELECT … GROUP BY`), so 5 000 recipients take one statement;
//! - a message is written to the outbox in the same transaction as the decision to send it (the
//!   notify step writes one outbox row per recipient with its token hash), so a crash leaves either
//!   both or neither;
//! - a message is claimed with a lease before it is sent, so two workers never send the same one
//!   at once, and a worker that dies mid-delivery leaves it to be claimed again when the lease ends;
//!   its idempotency key (the Message-ID of an e-mail) makes such a retry detectable downstream;
//! - acknowledgement tokens are stored as SHA-256 of the secret only, expire, serve one purpose and
//!   are used once.

use msadesk_core::action::{AckReport, Action, DeliveryState, NewAction, Status};
use msadesk_core::{OperatorId, audit::hex};
use serde::{Deserialize, Serialize};

use crate::{ChangeMeta, Result, StoreError};

/// One recipient of an action: an operator the affected versions were supplied to, within scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub id: i64,
    pub action_id: i64,
    pub operator_id: OperatorId,
    /// Name, country and e-mail as currently known (the operator's latest details).
    pub name: String,
    pub country: String,
    pub email: Option<String>,
    /// Units of the affected versions supplied to it within scope.
    pub quantity: u64,
    pub notified_at: Option<String>,
    /// `email`, `webhook` …
    pub notified_via: Option<String>,
    /// Delivery state of its latest notice or reminder.
    pub delivery: Option<DeliveryState>,
    pub delivered_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub report: Option<AckReport>,
    pub reminders: u32,
}

/// A message to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    /// Unique per message; a second message with the same key is not queued again. Used as the
    /// e-mail's Message-ID and the webhook's `Idempotency-Key`.
    pub idempotency_key: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// An e-mail address or a webhook URL.
    pub to: String,
    pub subject: String,
    pub body: String,
    pub action_id: Option<i64>,
    pub recipient_id: Option<i64>,
}

/// A message in the outbox with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: i64,
    #[serde(flatten)]
    pub message: NewMessage,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_attempt_at: String,
    pub lease_until: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// What the receiving side answered (SMTP reply, HTTP status).
    pub receipt: Option<String>,
}

/// A notice (or reminder) to one recipient: the hash of its personal acknowledgement token and the
/// message that carries the secret link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub recipient_id: i64,
    /// SHA-256 of the secret, hex.
    pub token_sha256: String,
    /// RFC 3339 UTC.
    pub token_expires_at: String,
    pub message: NewMessage,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Sent { receipt: String },
    Deferred { next_attempt_at: String, error: String },
    Bounced { error: String },
    Failed { error: String },
}

impl DeliveryOutcome {
    pub fn state(&self) -> DeliveryState {
        match self {
            DeliveryOutcome::Sent { .. } => DeliveryState::Sent,
            DeliveryOutcome::Deferred { .. } => DeliveryState::Deferred,
            DeliveryOutcome::Bounced { .. } => DeliveryState::Bounced,
            DeliveryOutcome::Failed { .. } => DeliveryState::Failed,
        }
    }
}

/// What an acknowledgement link leads to.
#[derive(Debug, Clone, PartialEq)]
pub struct AckToken {
    pub action: Action,
    pub recipient: Recipient,
    pub expires_at: String,
    pub used_at: Option<String>,
}

/// The one purpose acknowledgement tokens serve.
pub const ACK_PURPOSE: &str = "acknowledge";

/// Longest message body the outbox accepts.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Counts of outbox messages per state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxCounts {
    pub queued: u64,
    pub sending: u64,
    pub sent: u64,
    pub deferred: u64,
    pub bounced: u64,
    pub failed: u64,
}

pub trait ActionStore {
    /// Records an action (audited, first timeline entry `received`) and derives its recipients from
    /// the registry: every counterparty the affected versions were `supplied` to, in scope, with the
    /// units supplied. [`StoreError::UnknownProduct`] for a product not in the registry;
    /// [`StoreError::Invalid`] for an authority not in the directory.
    fn add_action(&mut self, action: &NewAction, meta: &ChangeMeta) -> Result<Action>;
    fn action(&mut self, id: i64) -> Result<Option<Action>>;
    /// Every action, by id.
    fn actions(&mut self) -> Result<Vec<Action>>;
    /// Moves an action (audited); [`StoreError::Invalid`] for an unknown action or a refused step.
    fn action_step(&mut self, id: i64, to: Status, note: Option<&str>, meta: &ChangeMeta) -> Result<Action>;
    /// The recipients of an action, by operator id.
    fn recipients(&mut self, action_id: i64) -> Result<Vec<Recipient>>;
    /// In one audited transaction: queues each notice's message, stores its token hash and marks
    /// its recipient notified; a first notification moves the action to `recipients_notified`
    /// (refused unless it is `acknowledged` or `heard`). With `reminder`, the status is not touched
    /// (the action must have been notified) and the recipients' reminder counts go up. Notices whose
    /// idempotency key is queued already are skipped. Returns the action and how many were queued.
    fn notify(
        &mut self,
        action_id: i64,
        notices: &[Notice],
        reminder: bool,
        meta: &ChangeMeta,
    ) -> Result<(Action, u64)>;
    /// Queues messages not tied to a recipient (status reports, webhooks), skipping known keys (audited).
    fn queue_messages(&mut self, messages: &[NewMessage], meta: &ChangeMeta) -> Result<u64>;
    /// Outbox messages, newest first, optionally of one state or one action.
    fn outbox(
        &mut self,
        state: Option<DeliveryState>,
        action_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>>;
    fn outbox_counts(&mut self, action_id: Option<i64>) -> Result<OutboxCounts>;
    /// Claims up to `limit` messages due at `now` (queued or deferred with `next_attempt_at <= now`,
    /// or sending with an expired lease): marks them `sending` until `lease_until` and counts the
    /// attempt. Two callers never get the same message while its lease runs.
    fn claim_messages(&mut self, now: &str, lease_until: &str, limit: u32) -> Result<Vec<OutboxMessage>>;
    /// Records the outcome of an attempt on a claimed message (audited), and the delivery state of
    /// its recipient. [`StoreError::Invalid`] when the message is not `sending` (its lease was lost).
    fn finish_message(&mut self, id: i64, outcome: &DeliveryOutcome, meta: &ChangeMeta) -> Result<()>;
    /// What a token leads to, used or not, expired or not; `None` when there is no such token.
    fn ack_token(&mut self, token_sha256: &str) -> Result<Option<AckToken>>;
    /// Records a recipient's acknowledgement through its token (audited) and uses the token up.
    /// [`StoreError::Invalid`] when the token is unknown, used, expired at `meta.at` or of another purpose.
    fn acknowledge(&mut self, token_sha256: &str, report: &AckReport, meta: &ChangeMeta) -> Result<Recipient>;
}

/// The message for an unknown action id.
pub fn unknown_action(id: i64) -> StoreError {
    StoreError::Invalid(format!("there is no action #{id}: list them with `msadesk action list`"))
}

/// The message for a token that cannot be used, and why.
pub fn token_refused(why: &str) -> StoreError {
    StoreError::Invalid(format!(
        "this acknowledgement link {why}: ask the sender for a new link (a reminder carries a fresh one)"
    ))
}

/// Checks whether a token may be used at `now` (RFC 3339 UTC text, comparable as text).
pub fn check_token(purpose: &str, expires_at: &str, used_at: Option<&str>, now: &str) -> Result<()> {
    if purpose != ACK_PURPOSE {
        return Err(token_refused("is not meant for acknowledgements"));
    }
    if let Some(at) = used_at {
        return Err(token_refused(&format!("was used already (at {at})")));
    }
    if expires_at <= now {
        return Err(token_refused(&format!("expired at {expires_at}")));
    }
    Ok(())
}

/// Checks messages before they are queued (size limits, channel).
pub fn check_messages<'a>(messages: impl IntoIterator<Item = &'a NewMessage>) -> Result<()> {
    for m in messages {
        if m.channel != "email" && m.channel != "webhook" {
            return Err(StoreError::Invalid(format!("unknown channel '{}': use email or webhook", m.channel)));
        }
        if m.body.len() > MAX_MESSAGE_BYTES || m.subject.len() > 1000 || m.to.len() > 2000 {
            return Err(StoreError::Invalid(format!(
                "message {} is too large (body over {MAX_MESSAGE_BYTES} bytes)",
                m.idempotency_key
            )));
        }
        if m.idempotency_key.is_empty() || m.idempotency_key.len() > 200 {
            return Err(StoreError::Invalid("a message needs an idempotency key of 1-200 characters".into()));
        }
    }
    Ok(())
}

/// The status an action moves to when recipients are notified, or the refusal.
pub fn notify_transition(status: Status, reminder: bool) -> Result<Option<Status>> {
    if reminder {
        return match status {
            Status::RecipientsNotified | Status::InProgress | Status::Completed => Ok(None),
            s => Err(StoreError::Invalid(format!(
                "the action is {s}: reminders go out once recipients were notified (`msadesk action notify`)"
            ))),
        };
    }
    match status {
        Status::Acknowledged | Status::Heard => Ok(Some(Status::RecipientsNotified)),
        // Recipients left out of an earlier round (no address then) can be notified later.
        Status::RecipientsNotified | Status::InProgress => Ok(None),
        s => Err(StoreError::Invalid(format!(
            "the action is {s}: recipients are notified once the action is acknowledged (`msadesk action advance ID --to acknowledged`)"
        ))),
    }
}

/// The audit detail of an action change.
pub fn action_detail(action: &Action) -> serde_json::Value {
    serde_json::json!({
        "id": action.id,
        "type": action.new.action_type,
        "product_id": action.new.product_id,
        "status": action.status,
        "recipients_total": action.figures.recipients_total,
        "units_total": action.figures.units_total,
    })
}

/// The audit detail of queued notices: how many and a digest of their keys and token hashes.
pub fn notify_detail(action_id: i64, notices: &[Notice], queued: u64, reminder: bool) -> serde_json::Value {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for n in notices {
        h.update(n.message.idempotency_key.as_bytes());
        h.update([0]);
        h.update(n.token_sha256.as_bytes());
        h.update([0]);
    }
    serde_json::json!({
        "action_id": action_id,
        "reminder": reminder,
        "notices": notices.len(),
        "queued": queued,
        "digest": hex(&h.finalize()),
    })
}

/// Versions and Member States of an action as JSON text lists for the set-based recipient query
/// (`None` when the list is empty: every version, every Member State).
pub fn filter_lists(action: &NewAction) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let versions: Vec<String> = action.versions.iter().map(|v| v.as_str().to_string()).collect();
    let scope: Vec<String> = action.scope.iter().map(|m| m.as_str().to_string()).collect();
    ((!versions.is_empty()).then_some(versions), (!scope.is_empty()).then_some(scope))
}

/// An action read back from its stored columns.
pub fn action_from_row(
    id: i64,
    body: &str,
    status: &str,
    timeline: &str,
    figures: msadesk_core::action::Figures,
) -> Result<Action> {
    Ok(Action {
        id,
        new: crate::from_body(&format!("action #{id}"), body)?,
        status: Status::parse(status).map_err(|e| StoreError::Corrupt(format!("status of action #{id}: {e}")))?,
        timeline: crate::from_body(&format!("timeline of action #{id}"), timeline)?,
        figures,
    })
}

/// Figures from the ten aggregate columns engines compute (see `msadesk_core::action::Figures`).
pub fn figures_from(v: [i64; 10]) -> msadesk_core::action::Figures {
    let u = |x: i64| u64::try_from(x).unwrap_or(0);
    msadesk_core::action::Figures {
        recipients_total: u(v[0]),
        recipients_notified: u(v[1]),
        recipients_reached: u(v[2]),
        recipients_acknowledged: u(v[3]),
        recipients_resolved: u(v[4]),
        units_total: u(v[5]),
        units_reached: u(v[6]),
        units_acknowledged: u(v[7]),
        units_resolved: u(v[8]),
        sub_recipients_notified: u(v[9]),
    }
}

/// The delivery state of a stored message.
pub fn state_from(v: &str) -> Result<DeliveryState> {
    DeliveryState::parse(v).map_err(|e| StoreError::Corrupt(format!("delivery state: {e}")))
}

/// An operator id read back.
pub fn operator_from(v: &str) -> Result<OperatorId> {
    OperatorId::parse(v).map_err(|e| StoreError::Corrupt(format!("operator id '{v}': {e}")))
}

/// A recipient's report from its stored columns (all present once it acknowledged).
pub fn report_from(v: [Option<i64>; 5]) -> Option<AckReport> {
    let u = |x: Option<i64>| x.map(|x| u64::try_from(x).unwrap_or(0));
    Some(AckReport {
        units_on_hand: u(v[0])?,
        units_returned: u(v[1])?,
        units_updated: u(v[2])?,
        units_destroyed: u(v[3])?,
        sub_recipients_notified: u(v[4])?,
    })
}

/// i64 for a database column (reports are bounded by `MAX_REPORTED_UNITS`).
pub fn db_int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
