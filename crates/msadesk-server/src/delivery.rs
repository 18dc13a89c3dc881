//! The outbox worker: delivers queued messages by SMTP (lettre) and signed webhooks (HTTP or HTTPS
//! through `fetch::request`), and
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
//! secret are never printed (`Debug` redacts them).
//!
//! TLS (`MSADESK_SMTP_TLS`, lettre over rustls with the `ring` provider): `none` (plain SMTP, port
//! 25 by default), `starttls` (plain connection upgraded by STARTTLS, which the server must offer;
//! port 587) or `tls` (TLS from the first byte, "SMTPS"; port 465). The default is `starttls` when
//! `MSADESK_SMTP_USER` is set and `none` otherwise. A password is never sent in plain text to a
//! host other than the loopback interface: `none` with a user and a remote host is refused unless
//! `MSADESK_SMTP_ALLOW_PLAINTEXT_AUTH=1`. The server's certificate is checked against the Mozilla
//! roots built in (`webpki-roots`: no system store is read, so the result is the same on every
//! machine) plus the certificates of `MSADESK_SMTP_CA_FILE` (PEM), which is how a private CA is
//! trusted. A certificate that does not verify is a temporary failure: the message stays deferred
//! and is retried, never dropped, and the error says to set `MSADESK_SMTP_CA_FILE`.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
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
    /// How the connection is secured (`MSADESK_SMTP_TLS`).
    pub tls: SmtpTls,
    /// The PEM certificates of `MSADESK_SMTP_CA_FILE`, trusted in addition to the built-in roots.
    pub ca_pem: Option<Vec<u8>>,
}

/// `MSADESK_SMTP_TLS`: how the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP (a local relay).
    None,
    /// A plain connection upgraded by STARTTLS; refused when the server does not offer it.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

impl SmtpTls {
    /// Parses the value of `MSADESK_SMTP_TLS`.
    pub fn parse(s: &str) -> Result<SmtpTls, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" | "smtps" => Ok(SmtpTls::Tls),
            other => Err(format!("MSADESK_SMTP_TLS={other} is not known: use none, starttls or tls")),
        }
    }

    /// The usual port of the mode.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

/// Whether `host` is the loopback interface (where a plain-text password does not leave the machine).
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("tls", &self.tls)
            .field("ca_pem", &self.ca_pem.as_ref().map(|p| format!("{} bytes", p.len())))
            .finish()
    }
}

/// The worker's settings.
#[derive(Clone)]
pub struct DeliveryConfig {
    pub smtp: Option<SmtpConfig>,
    /// Key of the webhook signatures.
    pub webhook_secret: Option<String>,
    /// The PEM certificates of `MSADESK_WEBHOOK_CA_FILE`, trusted for HTTPS webhooks in addition to
    /// the built-in roots.
    pub webhook_ca_pem: Option<Vec<u8>>,
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
            .field("webhook_ca_pem", &self.webhook_ca_pem.as_ref().map(|p| format!("{} bytes", p.len())))
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
    /// `MSADESK_WEBHOOK_SECRET`, `MSADESK_WEBHOOK_CA_FILE` (PEM of a private CA for HTTPS webhooks),
    /// `MSADESK_OUTBOX_BACKOFF_SECS` (30), `MSADESK_OUTBOX_LEASE_SECS` (120) and
    /// `MSADESK_OUTBOX_CONCURRENCY` (8).
    pub fn from_env() -> Result<DeliveryConfig, String> {
        let smtp = match env("MSADESK_SMTP_HOST") {
            None => None,
            Some(host) => {
                let user = env("MSADESK_SMTP_USER");
                let tls = match env("MSADESK_SMTP_TLS") {
                    Some(v) => SmtpTls::parse(&v)?,
                    None if user.is_some() => SmtpTls::StartTls,
                    None => SmtpTls::None,
                };
                if tls == SmtpTls::None
                    && user.is_some()
                    && !is_loopback(&host)
                    && env("MSADESK_SMTP_ALLOW_PLAINTEXT_AUTH").as_deref() != Some("1")
                {
                    return Err(format!(
                        "MSADESK_SMTP_TLS=none with MSADESK_SMTP_USER would send the password in plain text to {host}: use MSADESK_SMTP_TLS=starttls or tls (or, on a network you trust, MSADESK_SMTP_ALLOW_PLAINTEXT_AUTH=1)"
                    ));
                }
                let port = match env("MSADESK_SMTP_PORT") {
                    None => tls.default_port(),
                    Some(p) => p.parse().map_err(|_| format!("MSADESK_SMTP_PORT '{p}' is not a port number"))?,
                };
                let ca_pem = ca_file(&env, "MSADESK_SMTP_CA_FILE")?;
                if let Some(pem) = &ca_pem {
                    Certificate::from_pem(pem).map_err(|e| format!("MSADESK_SMTP_CA_FILE: {e}"))?;
                }
                if ca_pem.is_some() && tls == SmtpTls::None {
                    return Err("MSADESK_SMTP_CA_FILE is set but MSADESK_SMTP_TLS is none: set MSADESK_SMTP_TLS=starttls or tls".into());
                }
                let from = env("MSADESK_SMTP_FROM").ok_or(
                    "MSADESK_SMTP_FROM is not set: give the sender address, e.g. recalls@operator.example".to_string(),
                )?;
                from.parse::<Mailbox>().map_err(|e| format!("MSADESK_SMTP_FROM '{from}': {e}"))?;
                Some(SmtpConfig {
                    host,
                    port,
                    user,
                    password: env("MSADESK_SMTP_PASSWORD"),
                    from,
                    timeout: Duration::from_secs(10),
                    tls,
                    ca_pem,
                })
            }
        };
        let num = |name: &str, default: u64| -> Result<u64, String> {
            env(name).map_or(Ok(default), |v| v.parse().map_err(|_| format!("{name} '{v}' is not a number")))
        };
        Ok(DeliveryConfig {
            smtp,
            webhook_secret: env("MSADESK_WEBHOOK_SECRET"),
            webhook_ca_pem: ca_file(&env, "MSADESK_WEBHOOK_CA_FILE")?,
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
fn transport(smtp: &SmtpConfig) -> Result<SmtpTransport, String> {
    let mut builder = SmtpTransport::builder_dangerous(&smtp.host).port(smtp.port).timeout(Some(smtp.timeout));
    if smtp.tls != SmtpTls::None {
        let mut params = TlsParameters::builder(smtp.host.trim_start_matches('[').trim_end_matches(']').to_string());
        if let Some(pem) = &smtp.ca_pem {
            let cert = Certificate::from_pem(pem).map_err(|e| format!("MSADESK_SMTP_CA_FILE: {e}"))?;
            params = params.add_root_certificate(cert);
        }
        let params = params.build_rustls().map_err(|e| format!("TLS set-up: {e}"))?;
        builder = builder.tls(match smtp.tls {
            SmtpTls::Tls => Tls::Wrapper(params),
            _ => Tls::Required(params),
        });
    }
    if let (Some(u), Some(p)) = (&smtp.user, &smtp.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    Ok(builder.build())
}

/// The error of a failed send, with what to do when it is about the server's certificate.
fn describe_smtp_error(smtp: &SmtpConfig, e: &lettre::transport::smtp::Error) -> String {
    let text = e.to_string();
    let about_cert = e.is_tls() || text.contains("certificate") || text.contains("UnknownIssuer");
    if !about_cert {
        return text;
    }
    let hint = if text.contains("CaUsedAsEndEntity") {
        "the server presents a CA certificate as its own: give it a certificate issued by that CA (basicConstraints CA:FALSE) and put the CA in MSADESK_SMTP_CA_FILE"
    } else if smtp.ca_pem.is_some() {
        "the server's certificate verifies neither against the built-in roots nor against MSADESK_SMTP_CA_FILE: check the CA file, and that the certificate names the host"
    } else {
        "the server's certificate does not verify against the built-in roots: for a private CA set MSADESK_SMTP_CA_FILE to its PEM file, and check that the certificate names the host"
    };
    format!("TLS certificate error: {text}: {hint} (host '{}')", smtp.host)
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
        Err(e) => Attempt::Temporary(describe_smtp_error(smtp, &e)),
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

/// The PEM file named by the variable `var`, checked to hold a certificate and to be of a sane size.
fn ca_file(env: &dyn Fn(&str) -> Option<String>, var: &str) -> Result<Option<Vec<u8>>, String> {
    let Some(path) = env(var) else { return Ok(None) };
    let meta = std::fs::metadata(&path).map_err(|e| format!("{var} '{path}': {e}: give the PEM file of the CA"))?;
    if meta.len() > 4 * 1024 * 1024 {
        return Err(format!("{var} '{path}' is larger than 4 MiB: is it a PEM certificate file?"));
    }
    let pem = std::fs::read(&path).map_err(|e| format!("{var} '{path}': {e}"))?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(format!("{var} '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
    }
    Ok(Some(pem))
}

fn send_webhook(cfg: &DeliveryConfig, m: &OutboxMessage) -> Attempt {
    let Some(secret) = cfg.webhook_secret.as_deref() else {
        return Attempt::Temporary("MSADESK_WEBHOOK_SECRET is not set: webhooks are not signed, so not sent".into());
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Attempt::Temporary(format!("cannot start a runtime: {e}")),
    };
    let ts = unix_now();
    let signature = webhook_signature(secret, ts, &m.message.body);
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", m.message.idempotency_key.as_str()),
        ("x-msadesk-signature", signature.as_str()),
    ];
    // HTTPS endpoints are checked against the built-in roots plus MSADESK_WEBHOOK_CA_FILE.
    let opts = crate::fetch::FetchOptions {
        max_bytes: 64 << 10,
        timeout: Duration::from_secs(15),
        extra_ca_pem: cfg.webhook_ca_pem.clone(),
    };
    let body = m.message.body.as_bytes().to_vec();
    let answer = rt.block_on(crate::fetch::request(hyper::Method::POST, &m.message.to, &headers, body, &opts));
    match answer {
        Err(crate::fetch::FetchError::BadUrl(e)) => Attempt::Permanent(format!("webhook URL '{}': {e}", m.message.to)),
        Err(crate::fetch::FetchError::Timeout(..)) => Attempt::Temporary("timed out after 15 s".into()),
        Err(e) => Attempt::Temporary(format!("cannot reach the webhook: {e}")),
        Ok(a) => {
            let s = a.status;
            if (200..300).contains(&s) {
                Attempt::Sent(format!("HTTP {s}"))
            } else if (400..500).contains(&s) && s != 408 && s != 429 {
                Attempt::Permanent(format!("HTTP {s}"))
            } else {
                Attempt::Temporary(format!("HTTP {s}"))
            }
        }
    }
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
                            Some((c, Ok(t))) => send_email(c, t, &m),
                            Some((_, Err(e))) => Attempt::Temporary(e.clone()),
                            None => Attempt::Temporary(
                                "MSADESK_SMTP_HOST is not set: no mail server to send through".into(),
                            ),
                        },
                        "webhook" => send_webhook(cfg, &m),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_modes_and_their_ports() {
        let cases = [
            ("none", Some((SmtpTls::None, 25))),
            ("starttls", Some((SmtpTls::StartTls, 587))),
            ("STARTTLS", Some((SmtpTls::StartTls, 587))),
            ("tls", Some((SmtpTls::Tls, 465))),
            ("smtps", Some((SmtpTls::Tls, 465))),
            ("ssl3", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got = SmtpTls::parse(text).ok().map(|t| (t, t.default_port()));
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn loopback_hosts() {
        let cases = [
            ("127.0.0.1", true),
            ("127.1.2.3", true),
            ("localhost", true),
            ("::1", true),
            ("[::1]", true),
            ("10.0.0.1", false),
            ("smtp.example", false),
            ("localhost.example", false),
        ];
        for (host, want) in cases {
            assert_eq!(is_loopback(host), want, "{host}");
        }
    }

    #[test]
    fn debug_redacts_the_password_and_the_ca() {
        let c = SmtpConfig {
            host: "h".into(),
            port: 587,
            user: Some("u".into()),
            password: Some("secret-pw".into()),
            from: "a@b.example".into(),
            timeout: Duration::from_secs(1),
            tls: SmtpTls::StartTls,
            ca_pem: Some(b"-----BEGIN CERTIFICATE-----".to_vec()),
        };
        let d = format!("{c:?}");
        assert!(!d.contains("secret-pw") && d.contains("<redacted>") && d.contains("StartTls"), "{d}");
    }
}
