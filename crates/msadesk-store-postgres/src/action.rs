//! Corrective actions, recipients, acknowledgement tokens and the outbox in PostgreSQL (tables of
//! `migrations/0010_action.sql`). Every writer takes the audit lock first; the outbox claim uses
//! `FOR UPDATE SKIP LOCKED` so that workers on several servers share the queue without waiting.

use msadesk_core::action::{AckReport, Action, DeliveryState, NewAction, Source, Status, TimelineEntry};
use msadesk_store::action::{
    ACK_PURPOSE, action_detail, action_from_row, check_messages, check_token, db_int, figures_from, filter_lists,
    notify_detail, notify_transition, operator_from, report_from, state_from, token_refused, unknown_action,
};
use msadesk_store::{
    AckToken, ChangeMeta, DeliveryOutcome, NewMessage, Notice, OutboxCounts, OutboxMessage, Recipient, StoreError,
    next_audit_entry, to_body, unknown_authority,
};
use postgres::{Client, GenericClient, Row, Transaction};

use crate::audit;
use crate::error::{During, col};

type Result<T> = std::result::Result<T, StoreError>;

const FIGURES: &str = "SELECT COUNT(*)::bigint, COUNT(notified_at)::bigint,
       COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL OR acknowledged_at IS NOT NULL THEN 1 ELSE 0 END), 0)::bigint,
       COUNT(acknowledged_at)::bigint,
       COALESCE(SUM(CASE WHEN acknowledged_at IS NOT NULL AND units_on_hand = 0 THEN 1 ELSE 0 END), 0)::bigint,
       COALESCE(SUM(quantity), 0)::bigint,
       COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL OR acknowledged_at IS NOT NULL THEN quantity ELSE 0 END), 0)::bigint,
       COALESCE(SUM(CASE WHEN acknowledged_at IS NOT NULL THEN quantity ELSE 0 END), 0)::bigint,
       COALESCE(SUM(LEAST(COALESCE(units_returned, 0) + COALESCE(units_updated, 0) + COALESCE(units_destroyed, 0), quantity)), 0)::bigint,
       COALESCE(SUM(sub_recipients_notified), 0)::bigint
     FROM action_recipients WHERE action_id = $1";

fn figures(c: &mut impl GenericClient, id: i64) -> Result<msadesk_core::action::Figures> {
    let row = c.query_one(FIGURES, &[&id]).during("counting an action's recipients")?;
    let mut v = [0i64; 10];
    for (i, x) in v.iter_mut().enumerate() {
        *x = col(&row, i)?;
    }
    Ok(figures_from(v))
}

fn load(c: &mut impl GenericClient, id: i64) -> Result<Option<Action>> {
    let Some(row) =
        c.query_opt("SELECT body, status, timeline FROM actions WHERE id = $1", &[&id]).during("reading an action")?
    else {
        return Ok(None);
    };
    let (body, status, timeline): (String, String, String) = (col(&row, 0)?, col(&row, 1)?, col(&row, 2)?);
    let f = figures(c, id)?;
    Ok(Some(action_from_row(id, &body, &status, &timeline, f)?))
}

fn save_status(tx: &mut Transaction<'_>, a: &Action) -> Result<()> {
    tx.execute(
        "UPDATE actions SET status = $2, timeline = $3 WHERE id = $1",
        &[&a.id, &a.status.as_str(), &to_body(&a.timeline)?],
    )
    .during("saving an action")?;
    Ok(())
}

pub(crate) fn add_action(client: &mut Client, new: &NewAction, meta: &ChangeMeta) -> Result<Action> {
    let mut tx = client.transaction().during("starting to record an action")?;
    let tail = audit::lock(&mut tx)?;
    if tx
        .query_opt("SELECT 1 FROM products WHERE product_id = $1", &[&new.product_id.as_str()])
        .during("looking up the product")?
        .is_none()
    {
        return Err(StoreError::UnknownProduct(new.product_id.clone()));
    }
    if let Source::Ordered { authority, .. } = &new.source
        && tx
            .query_opt("SELECT 1 FROM authorities WHERE id = $1", &[authority])
            .during("reading an authority")?
            .is_none()
    {
        return Err(unknown_authority(authority));
    }
    let timeline =
        vec![TimelineEntry { status: Status::Received, at: meta.at.clone(), actor: meta.actor.clone(), note: None }];
    let row = tx
        .query_one(
            "INSERT INTO actions (body, action_type, product_id, due, status, timeline, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &to_body(new)?,
                &new.action_type.as_str(),
                &new.product_id.as_str(),
                &new.due.to_string(),
                &Status::Received.as_str(),
                &to_body(&timeline)?,
                &meta.at,
            ],
        )
        .during("recording an action")?;
    let id: i64 = col(&row, 0)?;
    let (versions, scope) = filter_lists(new);
    tx.execute(
        "INSERT INTO action_recipients (action_id, operator_id, name, country, email, quantity)
         SELECT $1, o.operator_id, cs.name, cs.country, cs.email, SUM(e.quantity)
         FROM supply_events e
         JOIN product_versions v ON v.id = e.version_ref
         JOIN products p ON p.id = v.product_ref
         JOIN party_snapshots s ON s.id = e.snapshot_ref
         JOIN operators o ON o.operator_id = s.operator_id
         JOIN party_snapshots cs ON cs.id = o.snapshot_id
         WHERE e.direction = 'supplied' AND p.product_id = $2
           AND ($3::text[] IS NULL OR v.version = ANY($3::text[]))
           AND ($4::text[] IS NULL OR s.country = ANY($4::text[]))
         GROUP BY o.operator_id, cs.name, cs.country, cs.email",
        &[&id, &new.product_id.as_str(), &versions, &scope],
    )
    .during("deriving the recipients from the registry")?;
    let action = load(&mut tx, id)?.ok_or_else(|| unknown_action(id))?;
    audit::append(&mut tx, &next_audit_entry(tail, meta, "action", "add", &action_detail(&action)))?;
    tx.commit().during("committing the action")?;
    Ok(action)
}

pub(crate) fn action(client: &mut Client, id: i64) -> Result<Option<Action>> {
    load(client, id)
}

pub(crate) fn actions(client: &mut Client) -> Result<Vec<Action>> {
    let rows = client.query("SELECT id FROM actions ORDER BY id", &[]).during("listing actions")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = col(&r, 0)?;
        if let Some(a) = load(client, id)? {
            out.push(a);
        }
    }
    Ok(out)
}

pub(crate) fn action_step(
    client: &mut Client,
    id: i64,
    to: Status,
    note: Option<&str>,
    meta: &ChangeMeta,
) -> Result<Action> {
    let mut tx = client.transaction().during("starting to update an action")?;
    let tail = audit::lock(&mut tx)?;
    let mut a = load(&mut tx, id)?.ok_or_else(|| unknown_action(id))?;
    a.advance(to, &meta.at, &meta.actor, note).map_err(|e| StoreError::Invalid(e.message))?;
    save_status(&mut tx, &a)?;
    audit::append(&mut tx, &next_audit_entry(tail, meta, "action", to.as_str(), &action_detail(&a)))?;
    tx.commit().during("committing the action step")?;
    Ok(a)
}

const RECIPIENT_COLS: &str = "id, action_id, operator_id, name, country, email, quantity, notified_at, notified_via,
    delivery_state, delivered_at, acknowledged_at, units_on_hand, units_returned, units_updated, units_destroyed,
    sub_recipients_notified, reminders";

fn recipient_from(r: &Row) -> Result<Recipient> {
    let op: String = col(r, 2)?;
    let qty: i64 = col(r, 6)?;
    let delivery: Option<String> = col(r, 9)?;
    let ack: Option<String> = col(r, 11)?;
    let rep = [col(r, 12)?, col(r, 13)?, col(r, 14)?, col(r, 15)?, col(r, 16)?];
    let reminders: i64 = col(r, 17)?;
    Ok(Recipient {
        id: col(r, 0)?,
        action_id: col(r, 1)?,
        operator_id: operator_from(&op)?,
        name: col(r, 3)?,
        country: col(r, 4)?,
        email: col(r, 5)?,
        quantity: u64::try_from(qty).unwrap_or(0),
        notified_at: col(r, 7)?,
        notified_via: col(r, 8)?,
        delivery: delivery.as_deref().map(state_from).transpose()?,
        delivered_at: col(r, 10)?,
        report: if ack.is_some() { report_from(rep) } else { None },
        acknowledged_at: ack,
        reminders: u32::try_from(reminders).unwrap_or(0),
    })
}

pub(crate) fn recipients(client: &mut Client, action_id: i64) -> Result<Vec<Recipient>> {
    client
        .query(
            &format!("SELECT {RECIPIENT_COLS} FROM action_recipients WHERE action_id = $1 ORDER BY operator_id"),
            &[&action_id],
        )
        .during("listing recipients")?
        .iter()
        .map(recipient_from)
        .collect()
}

fn insert_message(tx: &mut Transaction<'_>, m: &NewMessage, at: &str) -> Result<bool> {
    let n = tx
        .execute(
            "INSERT INTO outbox (idempotency_key, channel, recipient, subject, body, action_id, recipient_id, state,
                                 attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $8)
             ON CONFLICT (idempotency_key) DO NOTHING",
            &[&m.idempotency_key, &m.channel, &m.to, &m.subject, &m.body, &m.action_id, &m.recipient_id, &at],
        )
        .during("queuing a message")?;
    Ok(n == 1)
}

pub(crate) fn notify(
    client: &mut Client,
    action_id: i64,
    notices: &[Notice],
    reminder: bool,
    meta: &ChangeMeta,
) -> Result<(Action, u64)> {
    check_messages(notices.iter().map(|n| &n.message))?;
    let mut tx = client.transaction().during("starting to notify recipients")?;
    let tail = audit::lock(&mut tx)?;
    let mut a = load(&mut tx, action_id)?.ok_or_else(|| unknown_action(action_id))?;
    let next = notify_transition(a.status, reminder)?;
    let owners: std::collections::HashSet<i64> = tx
        .query("SELECT id FROM action_recipients WHERE action_id = $1", &[&action_id])
        .during("reading recipients")?
        .iter()
        .map(|r| col(r, 0))
        .collect::<Result<_>>()?;
    let token = tx
        .prepare(
            "INSERT INTO ack_tokens (secret_sha256, recipient_id, purpose, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .during("preparing tokens")?;
    let mark = tx
        .prepare(
            "UPDATE action_recipients SET notified_at = COALESCE(notified_at, $2), notified_via = $3,
                    delivery_state = 'queued', reminders = reminders + $4 WHERE id = $1",
        )
        .during("preparing recipients")?;
    let mut queued = 0u64;
    for n in notices {
        if !owners.contains(&n.recipient_id) || n.message.recipient_id != Some(n.recipient_id) {
            return Err(StoreError::Invalid(format!(
                "recipient #{} is not a recipient of action #{action_id}",
                n.recipient_id
            )));
        }
        if !insert_message(&mut tx, &n.message, &meta.at)? {
            continue;
        }
        tx.execute(&token, &[&n.token_sha256, &n.recipient_id, &ACK_PURPOSE, &meta.at, &n.token_expires_at])
            .during("storing a token")?;
        tx.execute(&mark, &[&n.recipient_id, &meta.at, &n.message.channel, &i64::from(reminder)])
            .during("marking a recipient notified")?;
        queued += 1;
    }
    if let Some(to) = next
        && queued > 0
    {
        a.advance(to, &meta.at, &meta.actor, Some(&format!("{queued} notices queued")))
            .map_err(|e| StoreError::Invalid(e.message))?;
        save_status(&mut tx, &a)?;
    }
    let action = if reminder { "remind" } else { "notify" };
    audit::append(
        &mut tx,
        &next_audit_entry(tail, meta, "action", action, &notify_detail(action_id, notices, queued, reminder)),
    )?;
    let a = load(&mut tx, action_id)?.ok_or_else(|| unknown_action(action_id))?;
    tx.commit().during("committing the notices")?;
    Ok((a, queued))
}

pub(crate) fn queue_messages(client: &mut Client, messages: &[NewMessage], meta: &ChangeMeta) -> Result<u64> {
    check_messages(messages)?;
    let mut tx = client.transaction().during("starting to queue messages")?;
    let tail = audit::lock(&mut tx)?;
    let mut queued = 0;
    for m in messages {
        if insert_message(&mut tx, m, &meta.at)? {
            queued += 1;
        }
    }
    let keys: Vec<&str> = messages.iter().map(|m| m.idempotency_key.as_str()).take(100).collect();
    audit::append(
        &mut tx,
        &next_audit_entry(tail, meta, "outbox", "queue", &serde_json::json!({ "queued": queued, "keys": keys })),
    )?;
    tx.commit().during("committing the messages")?;
    Ok(queued)
}

const MESSAGE_COLS: &str = "id, idempotency_key, channel, recipient, subject, body, action_id, recipient_id, state,
    attempts, next_attempt_at, lease_until, last_error, created_at, sent_at, receipt";

fn message_from(r: &Row) -> Result<OutboxMessage> {
    let state: String = col(r, 8)?;
    let attempts: i64 = col(r, 9)?;
    Ok(OutboxMessage {
        id: col(r, 0)?,
        message: NewMessage {
            idempotency_key: col(r, 1)?,
            channel: col(r, 2)?,
            to: col(r, 3)?,
            subject: col(r, 4)?,
            body: col(r, 5)?,
            action_id: col(r, 6)?,
            recipient_id: col(r, 7)?,
        },
        state: state_from(&state)?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt_at: col(r, 10)?,
        lease_until: col(r, 11)?,
        last_error: col(r, 12)?,
        created_at: col(r, 13)?,
        sent_at: col(r, 14)?,
        receipt: col(r, 15)?,
    })
}

pub(crate) fn outbox(
    client: &mut Client,
    state: Option<DeliveryState>,
    action_id: Option<i64>,
    limit: u32,
) -> Result<Vec<OutboxMessage>> {
    client
        .query(
            &format!(
                "SELECT {MESSAGE_COLS} FROM outbox WHERE ($1::text IS NULL OR state = $1) AND ($2::bigint IS NULL OR action_id = $2)
                 ORDER BY id DESC LIMIT $3"
            ),
            &[&state.map(|s| s.as_str()), &action_id, &i64::from(limit)],
        )
        .during("listing the outbox")?
        .iter()
        .map(message_from)
        .collect()
}

pub(crate) fn outbox_counts(client: &mut Client, action_id: Option<i64>) -> Result<OutboxCounts> {
    let rows = client
        .query(
            "SELECT state, COUNT(*)::bigint FROM outbox WHERE ($1::bigint IS NULL OR action_id = $1) GROUP BY state",
            &[&action_id],
        )
        .during("counting the outbox")?;
    let mut c = OutboxCounts::default();
    for r in rows {
        let state: String = col(&r, 0)?;
        let n: i64 = col(&r, 1)?;
        let n = u64::try_from(n).unwrap_or(0);
        match state_from(&state)? {
            DeliveryState::Queued => c.queued = n,
            DeliveryState::Sending => c.sending = n,
            DeliveryState::Sent => c.sent = n,
            DeliveryState::Deferred => c.deferred = n,
            DeliveryState::Bounced => c.bounced = n,
            DeliveryState::Failed => c.failed = n,
        }
    }
    Ok(c)
}

pub(crate) fn claim_messages(
    client: &mut Client,
    now: &str,
    lease_until: &str,
    limit: u32,
) -> Result<Vec<OutboxMessage>> {
    let rows = client
        .query(
            &format!(
                "UPDATE outbox SET state = 'sending', lease_until = $2, attempts = attempts + 1
                 WHERE id IN (
                     SELECT id FROM outbox
                     WHERE (state IN ('queued', 'deferred') AND next_attempt_at <= $1)
                        OR (state = 'sending' AND lease_until <= $1)
                     ORDER BY next_attempt_at, id LIMIT $3
                     FOR UPDATE SKIP LOCKED)
                 RETURNING {MESSAGE_COLS}"
            ),
            &[&now, &lease_until, &i64::from(limit)],
        )
        .during("claiming messages")?;
    let mut out: Vec<OutboxMessage> = rows.iter().map(message_from).collect::<Result<_>>()?;
    out.sort_by(|a, b| (a.next_attempt_at.as_str(), a.id).cmp(&(b.next_attempt_at.as_str(), b.id)));
    Ok(out)
}

pub(crate) fn finish_message(client: &mut Client, id: i64, outcome: &DeliveryOutcome, meta: &ChangeMeta) -> Result<()> {
    let mut tx = client.transaction().during("starting to record a delivery")?;
    let tail = audit::lock(&mut tx)?;
    let Some(row) = tx
        .query_opt("SELECT state, recipient_id, idempotency_key, attempts FROM outbox WHERE id = $1 FOR UPDATE", &[&id])
        .during("reading a message")?
    else {
        return Err(StoreError::Invalid(format!("there is no outbox message #{id}")));
    };
    let (state, recipient, key, attempts): (String, Option<i64>, String, i64) =
        (col(&row, 0)?, col(&row, 1)?, col(&row, 2)?, col(&row, 3)?);
    if state != "sending" {
        return Err(StoreError::Invalid(format!(
            "outbox message #{id} is {state}, not sending: another worker took it over (its lease ended)"
        )));
    }
    let new_state = outcome.state().as_str();
    let (next, err, receipt, sent_at): (Option<&str>, Option<&str>, Option<&str>, Option<&str>) = match outcome {
        DeliveryOutcome::Sent { receipt } => (None, None, Some(receipt.as_str()), Some(meta.at.as_str())),
        DeliveryOutcome::Deferred { next_attempt_at, error } => {
            (Some(next_attempt_at.as_str()), Some(error.as_str()), None, None)
        }
        DeliveryOutcome::Bounced { error } | DeliveryOutcome::Failed { error } => {
            (None, Some(error.as_str()), None, None)
        }
    };
    tx.execute(
        "UPDATE outbox SET state = $2, lease_until = NULL, next_attempt_at = COALESCE($3, next_attempt_at),
                last_error = COALESCE($4, last_error), receipt = COALESCE($5, receipt), sent_at = COALESCE($6, sent_at)
         WHERE id = $1",
        &[&id, &new_state, &next, &err, &receipt, &sent_at],
    )
    .during("recording a delivery")?;
    if let Some(r) = recipient {
        tx.execute(
            "UPDATE action_recipients SET delivery_state = $2, delivered_at = COALESCE(delivered_at, $3) WHERE id = $1",
            &[&r, &new_state, &sent_at],
        )
        .during("recording a recipient's delivery")?;
    }
    let detail = serde_json::json!({ "id": id, "key": key, "attempts": attempts, "error": err, "receipt": receipt });
    audit::append(&mut tx, &next_audit_entry(tail, meta, "outbox", new_state, &detail))?;
    tx.commit().during("committing the delivery")
}

/// A token's recipient, purpose, expiry and use.
type TokenRow = (i64, String, String, Option<String>);

fn token_row(c: &mut impl GenericClient, hash: &str) -> Result<Option<TokenRow>> {
    c.query_opt("SELECT recipient_id, purpose, expires_at, used_at FROM ack_tokens WHERE secret_sha256 = $1", &[&hash])
        .during("reading a token")?
        .map(|r| Ok((col(&r, 0)?, col(&r, 1)?, col(&r, 2)?, col(&r, 3)?)))
        .transpose()
}

fn recipient(c: &mut impl GenericClient, id: i64) -> Result<Recipient> {
    let row = c
        .query_one(&format!("SELECT {RECIPIENT_COLS} FROM action_recipients WHERE id = $1"), &[&id])
        .during("reading a recipient")?;
    recipient_from(&row)
}

pub(crate) fn ack_token(client: &mut Client, hash: &str) -> Result<Option<AckToken>> {
    let Some((rid, _purpose, expires_at, used_at)) = token_row(client, hash)? else {
        return Ok(None);
    };
    let recipient = recipient(client, rid)?;
    let action = load(client, recipient.action_id)?.ok_or_else(|| unknown_action(recipient.action_id))?;
    Ok(Some(AckToken { action, recipient, expires_at, used_at }))
}

pub(crate) fn acknowledge(client: &mut Client, hash: &str, report: &AckReport, meta: &ChangeMeta) -> Result<Recipient> {
    report.validate().map_err(|e| StoreError::Invalid(e.message))?;
    let mut tx = client.transaction().during("starting to record an acknowledgement")?;
    let tail = audit::lock(&mut tx)?;
    let Some((rid, purpose, expires_at, used_at)) = token_row(&mut tx, hash)? else {
        return Err(token_refused("is not known"));
    };
    check_token(&purpose, &expires_at, used_at.as_deref(), &meta.at)?;
    tx.execute("UPDATE ack_tokens SET used_at = $2 WHERE secret_sha256 = $1", &[&hash, &meta.at])
        .during("using a token")?;
    tx.execute(
        "UPDATE action_recipients SET acknowledged_at = $2, units_on_hand = $3, units_returned = $4, units_updated = $5,
                units_destroyed = $6, sub_recipients_notified = $7 WHERE id = $1",
        &[
            &rid,
            &meta.at,
            &db_int(report.units_on_hand),
            &db_int(report.units_returned),
            &db_int(report.units_updated),
            &db_int(report.units_destroyed),
            &db_int(report.sub_recipients_notified),
        ],
    )
    .during("recording an acknowledgement")?;
    let r = recipient(&mut tx, rid)?;
    let detail = serde_json::json!({ "action_id": r.action_id, "recipient_id": rid, "operator_id": r.operator_id, "report": report });
    audit::append(&mut tx, &next_audit_entry(tail, meta, "action_recipient", "acknowledge", &detail))?;
    tx.commit().during("committing the acknowledgement")?;
    Ok(r)
}
