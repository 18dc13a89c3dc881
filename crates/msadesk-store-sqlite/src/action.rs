//! Corrective actions, recipients, acknowledgement tokens and the outbox in SQLite (tables of
//! `migrations/0010_action.sql`). Every change appends its audit entry in its own transaction.

use msadesk_core::action::{AckReport, Action, DeliveryState, NewAction, Source, Status, TimelineEntry};
use msadesk_store::action::{
    ACK_PURPOSE, action_detail, action_from_row, check_messages, check_token, db_int, figures_from, filter_lists,
    notify_detail, notify_transition, operator_from, report_from, state_from, unknown_action,
};
use msadesk_store::{
    AckToken, ChangeMeta, DeliveryOutcome, NewMessage, Notice, OutboxCounts, OutboxMessage, Recipient, Result,
    StoreError, to_body, unknown_authority,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::{append_audit, backend};

const FIGURES: &str = "SELECT COUNT(*), COUNT(notified_at),
       COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL OR acknowledged_at IS NOT NULL THEN 1 ELSE 0 END), 0),
       COUNT(acknowledged_at),
       COALESCE(SUM(CASE WHEN acknowledged_at IS NOT NULL AND units_on_hand = 0 THEN 1 ELSE 0 END), 0),
       COALESCE(SUM(quantity), 0),
       COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL OR acknowledged_at IS NOT NULL THEN quantity ELSE 0 END), 0),
       COALESCE(SUM(CASE WHEN acknowledged_at IS NOT NULL THEN quantity ELSE 0 END), 0),
       COALESCE(SUM(MIN(COALESCE(units_returned, 0) + COALESCE(units_updated, 0) + COALESCE(units_destroyed, 0), quantity)), 0),
       COALESCE(SUM(sub_recipients_notified), 0)
     FROM action_recipients WHERE action_id = ?1";

fn figures(conn: &Connection, id: i64) -> Result<msadesk_core::action::Figures> {
    let v = conn
        .query_row(FIGURES, [id], |r| {
            let mut v = [0i64; 10];
            for (i, x) in v.iter_mut().enumerate() {
                *x = r.get(i)?;
            }
            Ok(v)
        })
        .map_err(backend)?;
    Ok(figures_from(v))
}

fn load(conn: &Connection, id: i64) -> Result<Option<Action>> {
    let row: Option<(String, String, String)> = conn
        .query_row("SELECT body, status, timeline FROM actions WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
        .map_err(backend)?;
    match row {
        None => Ok(None),
        Some((body, status, timeline)) => Ok(Some(action_from_row(id, &body, &status, &timeline, figures(conn, id)?)?)),
    }
}

fn save_status(tx: &Connection, a: &Action) -> Result<()> {
    tx.execute(
        "UPDATE actions SET status = ?2, timeline = ?3 WHERE id = ?1",
        params![a.id, a.status.as_str(), to_body(&a.timeline)?],
    )
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn add_action(conn: &mut Connection, new: &NewAction, meta: &ChangeMeta) -> Result<Action> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let known: Option<i64> = tx
        .query_row("SELECT id FROM products WHERE product_id = ?1", [new.product_id.as_str()], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    if known.is_none() {
        return Err(msadesk_store::StoreError::UnknownProduct(new.product_id.clone()));
    }
    if let Source::Ordered { authority, .. } = &new.source {
        let found: Option<String> = tx
            .query_row("SELECT id FROM authorities WHERE id = ?1", [authority], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        if found.is_none() {
            return Err(unknown_authority(authority));
        }
    }
    let timeline =
        vec![TimelineEntry { status: Status::Received, at: meta.at.clone(), actor: meta.actor.clone(), note: None }];
    tx.execute(
        "INSERT INTO actions (body, action_type, product_id, due, status, timeline, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            to_body(new)?,
            new.action_type.as_str(),
            new.product_id.as_str(),
            new.due.to_string(),
            Status::Received.as_str(),
            to_body(&timeline)?,
            meta.at
        ],
    )
    .map_err(backend)?;
    let id = tx.last_insert_rowid();
    let (versions, scope) = filter_lists(new);
    let json = |v: Option<Vec<String>>| v.map(|v| serde_json::to_string(&v).unwrap_or_default());
    // One statement: every operator the affected versions were supplied to, in scope (the country of
    // the event's snapshot), with the units, named and addressed as currently known.
    tx.execute(
        "INSERT INTO action_recipients (action_id, operator_id, name, country, email, quantity)
         SELECT ?1, o.operator_id, cs.name, cs.country, cs.email, SUM(e.quantity)
         FROM supply_events e
         JOIN product_versions v ON v.id = e.product_version
         JOIN products p ON p.id = v.product
         JOIN operator_snapshots s ON s.id = e.counterparty
         JOIN operators o ON o.id = s.operator
         JOIN operator_snapshots cs ON cs.id = COALESCE(o.current_snapshot, s.id)
         WHERE e.direction = 'supplied' AND p.product_id = ?2
           AND (?3 IS NULL OR v.version IN (SELECT value FROM json_each(?3)))
           AND (?4 IS NULL OR s.country IN (SELECT value FROM json_each(?4)))
         GROUP BY o.id",
        params![id, new.product_id.as_str(), json(versions), json(scope)],
    )
    .map_err(backend)?;
    let action = load(&tx, id)?.ok_or_else(|| unknown_action(id))?;
    append_audit(&tx, meta, "action", "add", &action_detail(&action))?;
    tx.commit().map_err(backend)?;
    Ok(action)
}

pub(crate) fn action(conn: &Connection, id: i64) -> Result<Option<Action>> {
    load(conn, id)
}

pub(crate) fn actions(conn: &Connection) -> Result<Vec<Action>> {
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM actions ORDER BY id")
        .map_err(backend)?
        .query_map([], |r| r.get(0))
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    ids.into_iter().filter_map(|id| load(conn, id).transpose()).collect()
}

pub(crate) fn action_step(
    conn: &mut Connection,
    id: i64,
    to: Status,
    note: Option<&str>,
    meta: &ChangeMeta,
) -> Result<Action> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let mut a = load(&tx, id)?.ok_or_else(|| unknown_action(id))?;
    a.advance(to, &meta.at, &meta.actor, note).map_err(|e| StoreError::Invalid(e.message))?;
    save_status(&tx, &a)?;
    append_audit(&tx, meta, "action", to.as_str(), &action_detail(&a))?;
    tx.commit().map_err(backend)?;
    Ok(a)
}

const RECIPIENT_COLS: &str = "id, action_id, operator_id, name, country, email, quantity, notified_at, notified_via,
    delivery_state, delivered_at, acknowledged_at, units_on_hand, units_returned, units_updated, units_destroyed,
    sub_recipients_notified, reminders";

type RecipientRow = (
    (i64, i64, String, String, String, Option<String>, i64, Option<String>, Option<String>),
    (Option<String>, Option<String>, Option<String>, [Option<i64>; 5], i64),
);

fn recipient_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecipientRow> {
    Ok((
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?),
        (r.get(9)?, r.get(10)?, r.get(11)?, [r.get(12)?, r.get(13)?, r.get(14)?, r.get(15)?, r.get(16)?], r.get(17)?),
    ))
}

fn recipient_from(row: RecipientRow) -> Result<Recipient> {
    let (
        (id, action_id, op, name, country, email, qty, notified_at, notified_via),
        (delivery, delivered_at, ack, rep, reminders),
    ) = row;
    Ok(Recipient {
        id,
        action_id,
        operator_id: operator_from(&op)?,
        name,
        country,
        email,
        quantity: u64::try_from(qty).unwrap_or(0),
        notified_at,
        notified_via,
        delivery: delivery.as_deref().map(state_from).transpose()?,
        delivered_at,
        report: if ack.is_some() { report_from(rep) } else { None },
        acknowledged_at: ack,
        reminders: u32::try_from(reminders).unwrap_or(0),
    })
}

pub(crate) fn recipients(conn: &Connection, action_id: i64) -> Result<Vec<Recipient>> {
    let mut stmt = conn
        .prepare(&format!("SELECT {RECIPIENT_COLS} FROM action_recipients WHERE action_id = ?1 ORDER BY operator_id"))
        .map_err(backend)?;
    let rows: Vec<RecipientRow> = stmt
        .query_map([action_id], recipient_row)
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    rows.into_iter().map(recipient_from).collect()
}

fn insert_message(tx: &Connection, m: &NewMessage, at: &str) -> Result<bool> {
    let n = tx
        .execute(
            "INSERT INTO outbox (idempotency_key, channel, recipient, subject, body, action_id, recipient_id, state,
                                 attempts, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', 0, ?8, ?8)
             ON CONFLICT (idempotency_key) DO NOTHING",
            params![m.idempotency_key, m.channel, m.to, m.subject, m.body, m.action_id, m.recipient_id, at],
        )
        .map_err(backend)?;
    Ok(n == 1)
}

pub(crate) fn notify(
    conn: &mut Connection,
    action_id: i64,
    notices: &[Notice],
    reminder: bool,
    meta: &ChangeMeta,
) -> Result<(Action, u64)> {
    check_messages(notices.iter().map(|n| &n.message))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let mut a = load(&tx, action_id)?.ok_or_else(|| unknown_action(action_id))?;
    let next = notify_transition(a.status, reminder)?;
    let mut queued = 0;
    {
        let mut owner = tx.prepare("SELECT action_id FROM action_recipients WHERE id = ?1").map_err(backend)?;
        let mut token = tx
            .prepare(
                "INSERT INTO ack_tokens (secret_sha256, recipient_id, purpose, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(backend)?;
        let mut mark = tx
            .prepare(
                "UPDATE action_recipients SET notified_at = COALESCE(notified_at, ?2), notified_via = ?3,
                        delivery_state = 'queued', reminders = reminders + ?4 WHERE id = ?1",
            )
            .map_err(backend)?;
        for n in notices {
            let of: Option<i64> = owner.query_row([n.recipient_id], |r| r.get(0)).optional().map_err(backend)?;
            if of != Some(action_id) || n.message.recipient_id != Some(n.recipient_id) {
                return Err(StoreError::Invalid(format!(
                    "recipient #{} is not a recipient of action #{action_id}",
                    n.recipient_id
                )));
            }
            if !insert_message(&tx, &n.message, &meta.at)? {
                continue;
            }
            token
                .execute(params![n.token_sha256, n.recipient_id, ACK_PURPOSE, meta.at, n.token_expires_at])
                .map_err(backend)?;
            mark.execute(params![n.recipient_id, meta.at, n.message.channel, i64::from(reminder)]).map_err(backend)?;
            queued += 1;
        }
    }
    if let Some(to) = next
        && queued > 0
    {
        a.advance(to, &meta.at, &meta.actor, Some(&format!("{queued} notices queued")))
            .map_err(|e| StoreError::Invalid(e.message))?;
        save_status(&tx, &a)?;
    }
    append_audit(
        &tx,
        meta,
        "action",
        if reminder { "remind" } else { "notify" },
        &notify_detail(action_id, notices, queued, reminder),
    )?;
    let a = load(&tx, action_id)?.ok_or_else(|| unknown_action(action_id))?;
    tx.commit().map_err(backend)?;
    Ok((a, queued))
}

pub(crate) fn queue_messages(conn: &mut Connection, messages: &[NewMessage], meta: &ChangeMeta) -> Result<u64> {
    check_messages(messages)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let mut queued = 0;
    for m in messages {
        if insert_message(&tx, m, &meta.at)? {
            queued += 1;
        }
    }
    let keys: Vec<&str> = messages.iter().map(|m| m.idempotency_key.as_str()).take(100).collect();
    append_audit(&tx, meta, "outbox", "queue", &serde_json::json!({ "queued": queued, "keys": keys }))?;
    tx.commit().map_err(backend)?;
    Ok(queued)
}

const MESSAGE_COLS: &str = "id, idempotency_key, channel, recipient, subject, body, action_id, recipient_id, state,
    attempts, next_attempt_at, lease_until, last_error, created_at, sent_at, receipt";

type MessageRow = (
    (i64, String, String, String, String, String, Option<i64>, Option<i64>),
    (String, i64, String, Option<String>, Option<String>, String, Option<String>, Option<String>),
);

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok((
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?),
        (r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?, r.get(13)?, r.get(14)?, r.get(15)?),
    ))
}

fn message_from(row: MessageRow) -> Result<OutboxMessage> {
    let (
        (id, key, channel, to, subject, body, action_id, recipient_id),
        (state, attempts, next, lease, err, created, sent, receipt),
    ) = row;
    Ok(OutboxMessage {
        id,
        message: NewMessage { idempotency_key: key, channel, to, subject, body, action_id, recipient_id },
        state: state_from(&state)?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt_at: next,
        lease_until: lease,
        last_error: err,
        created_at: created,
        sent_at: sent,
        receipt,
    })
}

pub(crate) fn outbox(
    conn: &Connection,
    state: Option<DeliveryState>,
    action_id: Option<i64>,
    limit: u32,
) -> Result<Vec<OutboxMessage>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {MESSAGE_COLS} FROM outbox WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR action_id = ?2)
             ORDER BY id DESC LIMIT ?3"
        ))
        .map_err(backend)?;
    let rows: Vec<MessageRow> = stmt
        .query_map(params![state.map(|s| s.as_str()), action_id, i64::from(limit)], message_row)
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    rows.into_iter().map(message_from).collect()
}

pub(crate) fn outbox_counts(conn: &Connection, action_id: Option<i64>) -> Result<OutboxCounts> {
    let mut stmt = conn
        .prepare("SELECT state, COUNT(*) FROM outbox WHERE (?1 IS NULL OR action_id = ?1) GROUP BY state")
        .map_err(backend)?;
    let rows: Vec<(String, i64)> = stmt
        .query_map([action_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(backend)?
        .collect::<rusqlite::Result<_>>()
        .map_err(backend)?;
    let mut c = OutboxCounts::default();
    for (state, n) in rows {
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
    conn: &mut Connection,
    now: &str,
    lease_until: &str,
    limit: u32,
) -> Result<Vec<OutboxMessage>> {
    // IMMEDIATE: the select and the update happen under the write lock, so two workers (two
    // processes on one file) never claim the same row.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let rows: Vec<MessageRow> = {
        let mut stmt = tx
            .prepare(&format!(
                "SELECT {MESSAGE_COLS} FROM outbox
                 WHERE (state IN ('queued', 'deferred') AND next_attempt_at <= ?1)
                    OR (state = 'sending' AND lease_until <= ?1)
                 ORDER BY next_attempt_at, id LIMIT ?2"
            ))
            .map_err(backend)?;
        stmt.query_map(params![now, i64::from(limit)], message_row)
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)?
    };
    let mut out = Vec::with_capacity(rows.len());
    {
        let mut claim = tx
            .prepare("UPDATE outbox SET state = 'sending', lease_until = ?2, attempts = attempts + 1 WHERE id = ?1")
            .map_err(backend)?;
        for row in rows {
            let mut m = message_from(row)?;
            claim.execute(params![m.id, lease_until]).map_err(backend)?;
            m.state = DeliveryState::Sending;
            m.lease_until = Some(lease_until.to_string());
            m.attempts += 1;
            out.push(m);
        }
    }
    tx.commit().map_err(backend)?;
    Ok(out)
}

pub(crate) fn finish_message(
    conn: &mut Connection,
    id: i64,
    outcome: &DeliveryOutcome,
    meta: &ChangeMeta,
) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let row: Option<(String, Option<i64>, String, i64)> = tx
        .query_row("SELECT state, recipient_id, idempotency_key, attempts FROM outbox WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()
        .map_err(backend)?;
    let Some((state, recipient, key, attempts)) = row else {
        return Err(StoreError::Invalid(format!("there is no outbox message #{id}")));
    };
    if state != "sending" {
        return Err(StoreError::Invalid(format!(
            "outbox message #{id} is {state}, not sending: another worker took it over (its lease ended)"
        )));
    }
    let new_state = outcome.state().as_str();
    let (next, err, receipt, sent_at) = match outcome {
        DeliveryOutcome::Sent { receipt } => (None, None, Some(receipt.as_str()), Some(meta.at.as_str())),
        DeliveryOutcome::Deferred { next_attempt_at, error } => {
            (Some(next_attempt_at.as_str()), Some(error.as_str()), None, None)
        }
        DeliveryOutcome::Bounced { error } | DeliveryOutcome::Failed { error } => {
            (None, Some(error.as_str()), None, None)
        }
    };
    tx.execute(
        "UPDATE outbox SET state = ?2, lease_until = NULL, next_attempt_at = COALESCE(?3, next_attempt_at),
                last_error = COALESCE(?4, last_error), receipt = COALESCE(?5, receipt), sent_at = COALESCE(?6, sent_at)
         WHERE id = ?1",
        params![id, new_state, next, err, receipt, sent_at],
    )
    .map_err(backend)?;
    if let Some(r) = recipient {
        tx.execute(
            "UPDATE action_recipients SET delivery_state = ?2, delivered_at = COALESCE(delivered_at, ?3) WHERE id = ?1",
            params![r, new_state, sent_at],
        )
        .map_err(backend)?;
    }
    append_audit(
        &tx,
        meta,
        "outbox",
        new_state,
        &serde_json::json!({ "id": id, "key": key, "attempts": attempts, "error": err, "receipt": receipt }),
    )?;
    tx.commit().map_err(backend)
}

/// A token's recipient, purpose, expiry and use.
type TokenRow = (i64, String, String, Option<String>);

fn token_row(conn: &Connection, hash: &str) -> Result<Option<TokenRow>> {
    conn.query_row(
        "SELECT recipient_id, purpose, expires_at, used_at FROM ack_tokens WHERE secret_sha256 = ?1",
        [hash],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .optional()
    .map_err(backend)
}

fn recipient(conn: &Connection, id: i64) -> Result<Recipient> {
    let row = conn
        .query_row(&format!("SELECT {RECIPIENT_COLS} FROM action_recipients WHERE id = ?1"), [id], recipient_row)
        .map_err(backend)?;
    recipient_from(row)
}

pub(crate) fn ack_token(conn: &Connection, hash: &str) -> Result<Option<AckToken>> {
    let Some((rid, _purpose, expires_at, used_at)) = token_row(conn, hash)? else {
        return Ok(None);
    };
    let recipient = recipient(conn, rid)?;
    let action = load(conn, recipient.action_id)?.ok_or_else(|| unknown_action(recipient.action_id))?;
    Ok(Some(AckToken { action, recipient, expires_at, used_at }))
}

pub(crate) fn acknowledge(
    conn: &mut Connection,
    hash: &str,
    report: &AckReport,
    meta: &ChangeMeta,
) -> Result<Recipient> {
    report.validate().map_err(|e| StoreError::Invalid(e.message))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let Some((rid, purpose, expires_at, used_at)) = token_row(&tx, hash)? else {
        return Err(msadesk_store::action::token_refused("is not known"));
    };
    check_token(&purpose, &expires_at, used_at.as_deref(), &meta.at)?;
    tx.execute("UPDATE ack_tokens SET used_at = ?2 WHERE secret_sha256 = ?1", params![hash, meta.at])
        .map_err(backend)?;
    tx.execute(
        "UPDATE action_recipients SET acknowledged_at = ?2, units_on_hand = ?3, units_returned = ?4, units_updated = ?5,
                units_destroyed = ?6, sub_recipients_notified = ?7 WHERE id = ?1",
        params![
            rid,
            meta.at,
            db_int(report.units_on_hand),
            db_int(report.units_returned),
            db_int(report.units_updated),
            db_int(report.units_destroyed),
            db_int(report.sub_recipients_notified)
        ],
    )
    .map_err(backend)?;
    let r = recipient(&tx, rid)?;
    append_audit(
        &tx,
        meta,
        "action_recipient",
        "acknowledge",
        &serde_json::json!({ "action_id": r.action_id, "recipient_id": rid, "operator_id": r.operator_id, "report": report }),
    )?;
    tx.commit().map_err(backend)?;
    Ok(r)
}
