//! The outbox worker: delivers queued messages by SMTP (lettre) and signed webhooks (hyper), and
//! records each outcome.
//!
//! Loses nothing, sends nothing twice on purpose: a message is claimed with a lease before it is
//! sent (`ActionStore::claim_messages`), and its outcome is recorded right after (`finish_message`).
//! A worker that dies between the two leaves the message `sending`; when the lease ends another
//! claim takes it again. That retry carries the same Message-ID (or `Idempotency-Key`), so the
//! receiving side can tell it is the same message. Temporary failures (server down, 4xx SMTP reply,
//! 5xx/timeout webhook) are deferred with exponential backoff and jitter
//! (`msadesk_core::action::backoff_secs`); permanent ones (5xx SMTP reply, 4xx webhook) bounce.
//!
//! Configuration comes from `MSADESK_SMTP_*` and `MSADESK_WEBHOOK_SECRET`; the password and the
//! secret are never printed (`Debug` redacts them). TLS: this build speaks plain SMTP only (with
//! AUTH when a user is given), for a local relay; `MSADESK_SMTP_TLS=starttls|tls` is refused with a
//! message, because the rustls stack is not part of the build (see README).

use std::time::Duration;

use hmac::{KeyInit, Mac};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport};
use msadesk_core::action::{BASE_BACKOFF_SECS, after_failure};
use msadesk_store::{ChangeMeta, DeliveryOutcome, OutboxMessage, Store, StoreError};
use serde::Serialize;

use crate::util::{random_bytes, rfc3339_at, unix_now};

/// SMTP settings.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    pub from: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish()
    }
}

/// The worker's settings.
#[derive(Clone)]
pub struct DeliveryConfig {
    pub smtp: Option<SmtpConfig>,
    /// Key of the webhook signatures.
    pub webhook_secret: Option<String>,
    /// How long a claim lasts before another worker may take the message.
    pub lease_secs: i64,
    /// Messages claimed per batch.
    pub batch: u32,
    /// First retry delay (doubled per attempt).
    pub base_backoff_secs: u64,
    /// Messages sent at once.
    pub concurrency: usize,
    /// Remind non-responders automatically this many days after their last notice (`msadesk serve`).
    pub remind_after_days: Option<u32>,
}

impl std::fmt::Debug for DeliveryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryConfig")
            .field("smtp", &self.smtp)
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "<redacted>"))
            .field("lease_secs", &self.lease_secs)
            .field("batch", &self.batch)
            .field("base_backoff_secs", &self.base_backoff_secs)
            .field("concurrency", &self.concurrency)
            .field("remind_after_days", &self.remind_after_days)
            .finish()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl DeliveryConfig {
    /// Reads `MSADESK_SMTP_HOST`, `_PORT` (25), `_USER`, `_PASSWORD`, `_FROM`, `_TLS` (none),
    /// `MSADESK_WEBHOOK_SECRET`, `MSADESK_OUTBOX_BACKOFF_SECS` (30), `MSADESK_OUTBOX_LEASE_SECS` (120) and
    /// `MSADESK_OUTBOX_CONCURRENCY` (8).
    pub fn from_env() -> Result<DeliveryConfig, String> {
        let smtp = match env("MSADESK_SMTP_HOST") {
            None => None,
            Some(host) => {
                let port = match env("MSADESK_SMTP_PORT") {
                    None => 25,
                    Some(p) => p.parse().map_err(|_| format!("MSADESK_SMTP_PORT '{p}' is not a port number"))?,
                };
                match env("MSADESK_SMTP_TLS").as_deref() {
                    None | Some("none") => {}
                    Some(other) => {
                        return Err(format!(
                            "MSADESK_SMTP_TLS={other}: this build sends through a plain (local) SMTP relay only; set MSADESK_SMTP_TLS=none and let the relay use TLS onwards"
                        ));
                    }
                }
                let from = env("MSADESK_SMTP_FROM").ok_or(
                    "MSADESK_SMTP_FROM is not set: give the sender address, e.g. recalls@operator.example".to_string(),
                )?;
                from.parse::<Mailbox>().map_err(|e| format!("MSADESK_SMTP_FROM '{from}': {e}"))?;
                Some(SmtpConfig {
                    host,
                    port,
                    user: env("MSADESK_SMTP_USER"),
                    password: env("MSADESK_SMTP_PASSWORD"),
                    from,
                    timeout: Duration::from_secs(10),
                })
            }
        };
        let num = |name: &str, default: u64| -> Result<u64, String> {
            env(name).map_or(Ok(default), |v| v.parse().map_err(|_| format!("{name} '{v}' is not a number")))
        };
        Ok(DeliveryConfig {
            smtp,
            webhook_secret: env("MSADESK_WEBHOOK_SECRET"),
            lease_secs: i64::try_from(num("MSADESK_OUTBOX_LEASE_SECS", 120)?).unwrap_or(120),
            batch: 100,
            base_backoff_secs: num("MSADESK_OUTBOX_BACKOFF_SECS", BASE_BACKOFF_SECS)?.max(1),
            concurrency: usize::try_from(num("MSADESK_OUTBOX_CONCURRENCY", 8)?).unwrap_or(8).clamp(1, 64),
            remind_after_days: match env("MSADESK_REMIND_AFTER_DAYS") {
                None => None,
                Some(v) => {
                    Some(v.parse().map_err(|_| format!("MSADESK_REMIND_AFTER_DAYS '{v}' is not a number of days"))?)
                }
            },
        })
    }
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PassStats {
    pub claimed: u64,
    pub sent: u64,
    pub deferred: u64,
    pub bounced: u64,
    pub failed: u64,
}

/// The result of one attempt, before it is recorded.
enum Attempt {
    Sent(String),
    Temporary(String),
    Permanent(String),
}

fn jitter() -> f64 {
    let b = random_bytes::<4>();
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

/// The Message-ID of an outbox message: its idempotency key, so a retry is recognisable.
pub fn message_id(key: &str) -> String {
    format!("<{key}@msadesk.invalid>")
}

/// A transport for a pass; it keeps its connections open (lettre's pool) between the messages of
/// the pass, so a batch does not pay a TCP and SMTP handshake per message.
fn transport(smtp: &SmtpConfig) -> SmtpTransport {
    let mut builder = SmtpTransport::builder_dangerous(&smtp.host).port(smtp.port).timeout(Some(smtp.timeout));
    if let (Some(u), Some(p)) = (&smtp.user, &smtp.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    builder.build()
}

fn send_email(smtp: &SmtpConfig, transport: &SmtpTransport, m: &OutboxMessage) -> Attempt {
    let from: Mailbox = match smtp.from.parse() {
        Ok(f) => f,
        Err(e) => return Attempt::Permanent(format!("sender address: {e}")),
    };
    let to: Mailbox = match m.message.to.parse() {
        Ok(t) => t,
        Err(e) => return Attempt::Permanent(format!("recipient address '{}': {e}", m.message.to)),
    };
    let email = match lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(m.message.subject.clone())
        .message_id(Some(message_id(&m.message.idempotency_key)))
        .header(ContentType::TEXT_PLAIN)
        .body(m.message.body.clone())
    {
        Ok(e) => e,
        Err(e) => return Attempt::Permanent(format!("cannot build the message: {e}")),
    };
    match transport.send(&email) {
        Ok(resp) => Attempt::Sent(format!("{} {}", resp.code(), resp.message().collect::<Vec<_>>().join(" "))),
        Err(e) if e.is_permanent() => Attempt::Permanent(e.to_string()),
        Err(e) => Attempt::Temporary(e.to_string()),
    }
}

/// The signature header value of a webhook body: `t=TIMESTAMP,v1=HEX(HMAC-SHA256(secret, "TIMESTAMP.BODY"))`.
pub fn webhook_signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| {
        <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(b"-").unwrap_or_else(|_| unreachable!())
    });
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={timestamp},v1={}", crate::util::hex(&mac.finalize().into_bytes()))
}

fn send_webhook(secret: Option<&str>, m: &OutboxMessage) -> Attempt {
    let Some(secret) = secret else {
        return Attempt::Temporary("MSADESK_WEBHOOK_SECRET is not set: webhooks are not signed, so not sent".into());
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Attempt::Temporary(format!("cannot start a runtime: {e}")),
    };
    let ts = unix_now();
    let request = axum::http::Request::post(&m.message.to)
        .header("content-type", "application/json")
        .header("idempotency-key", &m.message.idempotency_key)
        .header("x-msadesk-signature", webhook_signature(secret, ts, &m.message.body))
        .body(m.message.body.clone());
    let request = match request {
        Ok(r) => r,
        Err(e) => return Attempt::Permanent(format!("webhook URL '{}': {e}", m.message.to)),
    };
    rt.block_on(async move {
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        match tokio::time::timeout(Duration::from_secs(15), client.request(request)).await {
            Err(_) => Attempt::Temporary("timed out after 15 s".into()),
            Ok(Err(e)) => Attempt::Temporary(format!("cannot reach the webhook: {e}")),
            Ok(Ok(res)) => {
                let s = res.status();
                if s.is_success() {
                    Attempt::Sent(format!("HTTP {}", s.as_u16()))
                } else if s.is_client_error() && s.as_u16() != 408 && s.as_u16() != 429 {
                    Attempt::Permanent(format!("HTTP {}", s.as_u16()))
                } else {
                    Attempt::Temporary(format!("HTTP {}", s.as_u16()))
                }
            }
        }
    })
}

fn worker_meta(at: String) -> ChangeMeta {
    ChangeMeta { actor: "worker:outbox".into(), source: None, at }
}

/// One pass: claims up to a batch of due messages, tries each once and records the outcomes.
pub fn deliver_pass(store: &mut dyn Store, cfg: &DeliveryConfig) -> Result<PassStats, StoreError> {
    deliver_due_at(store, cfg, unix_now())
}

/// One pass over the messages due at `due` (the lease runs from the real time). Up to
/// `cfg.concurrency` threads send at once, each with its own connections; the outcome of each
/// message is recorded as soon as it is known, so at most the messages in flight are sent again
/// after a crash (with the same Message-ID).
fn deliver_due_at(store: &mut dyn Store, cfg: &DeliveryConfig, due: i64) -> Result<PassStats, StoreError> {
    let now = unix_now();
    let claimed = store.claim_messages(&rfc3339_at(due), &rfc3339_at(now + cfg.lease_secs), cfg.batch)?;
    let mut stats = PassStats { claimed: claimed.len() as u64, ..PassStats::default() };
    if claimed.is_empty() {
        return Ok(stats);
    }
    let queue = std::sync::Mutex::new(claimed.into_iter().collect::<std::collections::VecDeque<_>>());
    // A rendezvous channel: a sender thread waits until its outcome is taken for recording, so at
    // most `concurrency + 1` messages are ever sent but not yet recorded (what a crash could repeat).
    let (tx, rx) = std::sync::mpsc::sync_channel::<(OutboxMessage, Attempt)>(0);
    let threads = cfg.concurrency.clamp(1, 64);
    std::thread::scope(|scope| -> Result<(), StoreError> {
        for _ in 0..threads {
            let tx = tx.clone();
            let queue = &queue;
            scope.spawn(move || {
                let smtp = cfg.smtp.as_ref().map(|c| (c, transport(c)));
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(m) = next else { break };
                    let attempt = match m.message.channel.as_str() {
                        "email" => match &smtp {
                            Some((c, t)) => send_email(c, t, &m),
                            None => Attempt::Temporary(
                                "MSADESK_SMTP_HOST is not set: no mail server to send through".into(),
                            ),
                        },
                        "webhook" => send_webhook(cfg.webhook_secret.as_deref(), &m),
                        other => Attempt::Permanent(format!("unknown channel {other}")),
                    };
                    if tx.send((m, attempt)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (m, attempt) in rx {
            record(store, cfg, &m, attempt, &mut stats)?;
        }
        Ok(())
    })?;
    Ok(stats)
}

fn record(
    store: &mut dyn Store,
    cfg: &DeliveryConfig,
    m: &OutboxMessage,
    attempt: Attempt,
    stats: &mut PassStats,
) -> Result<(), StoreError> {
    let at = unix_now();
    let outcome = match attempt {
        Attempt::Sent(receipt) => DeliveryOutcome::Sent { receipt },
        Attempt::Permanent(error) => DeliveryOutcome::Bounced { error },
        Attempt::Temporary(error) => match after_failure(m.attempts, false, jitter(), cfg.base_backoff_secs) {
            (_, Some(delay)) => DeliveryOutcome::Deferred {
                next_attempt_at: rfc3339_at(at + i64::try_from(delay).unwrap_or(3600)),
                error,
            },
            _ => DeliveryOutcome::Failed { error },
        },
    };
    match &outcome {
        DeliveryOutcome::Sent { .. } => stats.sent += 1,
        DeliveryOutcome::Deferred { .. } => stats.deferred += 1,
        DeliveryOutcome::Bounced { .. } => stats.bounced += 1,
        DeliveryOutcome::Failed { .. } => stats.failed += 1,
    }
    match store.finish_message(m.id, &outcome, &worker_meta(rfc3339_at(at))) {
        Ok(()) => Ok(()),
        // Our lease ended and another worker took the message over: its outcome wins.
        Err(StoreError::Invalid(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Runs passes until no message that was due when it started is left (for `msadesk outbox deliver
/// --once`): each message is tried at most once, since a deferred one is due again only later.
pub fn deliver_until_idle(store: &mut dyn Store, cfg: &DeliveryConfig) -> Result<PassStats, StoreError> {
    let mut total = PassStats::default();
    let start = unix_now();
    loop {
        let s = deliver_due_at(store, cfg, start)?;
        total.claimed += s.claimed;
        total.sent += s.sent;
        total.deferred += s.deferred;
        total.bounced += s.bounced;
        total.failed += s.failed;
        if s.claimed == 0 {
            return Ok(total);
        }
    }
}

/// The background worker of `msadesk serve`: a pass every `interval` on a blocking thread of the pool.
pub async fn run_worker(state: crate::AppState, cfg: DeliveryConfig, interval: Duration) {
    let mut last_reminders: Option<std::time::Instant> = None;
    loop {
        // The reminder schedule: once an hour, a reminder to every non-responder last written to
        // `remind_after_days` ago or earlier, for actions whose recipients were notified.
        if let Some(days) = cfg.remind_after_days
            && last_reminders.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600))
        {
            last_reminders = Some(std::time::Instant::now());
            let cutoff = rfc3339_at(unix_now() - i64::from(days) * 86_400);
            let r = state
                .pool()
                .run(move |store| {
                    let meta = worker_meta(rfc3339_at(unix_now()));
                    let base = crate::recall::public_url();
                    let mut queued = 0;
                    for a in store.actions()? {
                        use msadesk_core::action::Status;
                        if matches!(a.status, Status::RecipientsNotified | Status::InProgress) {
                            let round = crate::recall::Round::ReminderBefore(cutoff.clone());
                            queued += crate::recall::notify_round(store, a.id, round, &base, &meta)?.queued;
                        }
                    }
                    Ok(queued)
                })
                .await;
            match r {
                Ok(0) => {}
                Ok(n) => eprintln!("outbox: {n} scheduled reminders queued"),
                Err(e) => eprintln!("outbox: scheduled reminders failed: {}", e.detail),
            }
        }
        let c = cfg.clone();
        let r = state.pool().run(move |store| deliver_pass(store, &c).map_err(crate::problem::ApiError::from)).await;
        match r {
            Ok(s) if s.claimed > 0 => {
                eprintln!(
                    "outbox: {} claimed, {} sent, {} deferred, {} bounced, {} failed",
                    s.claimed, s.sent, s.deferred, s.bounced, s.failed
                );
                continue;
            }
            Ok(_) => {}
            Err(e) => eprintln!("outbox: delivery pass failed: {}", e.detail),
        }
        tokio::time::sleep(interval).await;
    }
}
