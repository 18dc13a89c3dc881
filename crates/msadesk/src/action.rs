//! `msadesk action …` and `msadesk outbox …`: corrective actions and recalls, and delivery of the
//! messages they queue. Thin glue over `msadesk_core::action` (rules), the `Store` and
//! `msadesk_server::{recall, delivery}` (notices, the delivery worker).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use msadesk_core::action::{ActionInput, ActionType, Basis, DeliveryState, Level, NewAction, Source, Status};
use msadesk_core::inbox::Calendar;
use msadesk_core::{Date, MemberState, ProductId, Version};
use msadesk_server::delivery::{DeliveryConfig, deliver_pass, deliver_until_idle};
use msadesk_server::recall::{Round, action_json, notify_round, public_url, status_report};
use msadesk_store::{ChangeMeta, Store};

use crate::cli::print_json;
use crate::db;
use crate::output::{self, Format};

#[derive(Subcommand)]
pub enum ActionCommand {
    /// Record an ordered or voluntary corrective action; its recipients are derived from the registry.
    #[command(
        after_help = "Examples:\n  msadesk action add --type recall --product SH-CAM-200 --version 1.2.0 --authority de-bnetza --reference BNetzA-2026-0042 --due 2027-01-31 --level B --format json\n  msadesk action add --type update --product SH-CAM-200 --voluntary --due 2027-02-28 --summary 'Firmware 1.2.1 fixes CVE-2026-1234'"
    )]
    Add(Box<AddArgs>),
    /// List actions with status, due date and effectiveness.
    #[command(after_help = "Example:\n  msadesk action list --format json")]
    List {
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Show an action with its timeline and recipients.
    #[command(after_help = "Example:\n  msadesk action show 1 --not-acknowledged --format json")]
    Show {
        id: i64,
        /// Only recipients that have not acknowledged.
        #[arg(long)]
        not_acknowledged: bool,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Move an action to its next status (received → acknowledged → [heard] → recipients_notified → in_progress → completed → reported → closed).
    #[command(after_help = "Example:\n  msadesk action advance 1 --to acknowledged --note 'order received by post'")]
    Advance {
        id: i64,
        #[arg(long)]
        to: String,
        #[arg(long)]
        note: Option<String>,
        /// Also queue a signed webhook (MSADESK_WEBHOOK_SECRET) with the action's new status to this URL.
        #[arg(long)]
        webhook: Option<String>,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Queue a notice with a personal acknowledgement link to every recipient not yet notified.
    #[command(
        after_help = "The links start with MSADESK_PUBLIC_URL (default http://127.0.0.1:8080). Deliver with `msadesk outbox deliver`.\n\nExample:\n  MSADESK_PUBLIC_URL=https://desk.example.eu msadesk action notify 1"
    )]
    Notify {
        id: i64,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Queue a reminder (with a fresh link) to every notified recipient that has not acknowledged.
    #[command(
        after_help = "Run it on a schedule (cron) with --older-than-days, or let `msadesk serve` do it with MSADESK_REMIND_AFTER_DAYS.\n\nExamples:\n  msadesk action remind 1\n  msadesk action remind 1 --older-than-days 7"
    )]
    Remind {
        id: i64,
        /// Only recipients last written to at least this many days ago.
        #[arg(long)]
        older_than_days: Option<u32>,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Write the completion package: report (JSON, HTML, PDF), notice log, acknowledgements and delivery receipts, signed.
    #[command(
        after_help = "Every file is listed with its SHA-256 in manifest.json, signed with the operator's key (manifest.sig).\nCheck it with `msadesk verify FILE.zip`.\n\nExample:\n  msadesk action package 1 --out recall-1-completion.zip"
    )]
    Package {
        id: i64,
        /// The ZIP file to write.
        #[arg(long)]
        out: std::path::PathBuf,
        #[command(flatten)]
        key: crate::keys::KeyArg,
    },
    /// Status report for the authority: figures, effectiveness, deliveries, non-responders.
    #[command(after_help = "Example:\n  msadesk action report 1 --format json > report.json")]
    Report {
        id: i64,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

#[derive(Args)]
pub struct AddArgs {
    /// update, withdrawal, recall, alert-users or stop.
    #[arg(long = "type")]
    action_type: String,
    #[arg(long)]
    product: String,
    /// An affected version (repeat for several; none: every version).
    #[arg(long)]
    version: Vec<String>,
    /// A Member State in scope (repeat; none: every Member State where it was made available, CRA Art 54(4)).
    #[arg(long)]
    member_state: Vec<String>,
    /// The ordering authority's id in the directory (`msadesk authority list`).
    #[arg(long, requires = "reference", conflicts_with = "voluntary")]
    authority: Option<String>,
    /// The authority's reference of the order.
    #[arg(long, requires = "authority")]
    reference: Option<String>,
    /// Legal basis of the order: art54, art57, art58 or msr16 (2019/1020 Art 16(3)).
    #[arg(long, default_value = "art54")]
    basis: String,
    /// A measure we take on our own initiative.
    #[arg(long)]
    voluntary: bool,
    /// The date by which the action must be completed.
    #[arg(long)]
    due: String,
    /// When the order was received (default: today).
    #[arg(long)]
    received: Option<String>,
    /// Working days of the right-to-be-heard window (at least 10 unless --urgent).
    #[arg(long)]
    hearing_days: Option<u32>,
    /// The authority ordered urgent action: no hearing window.
    #[arg(long)]
    urgent: bool,
    /// Effectiveness-check level A (100 %), B (50 %), C (10 %), D (2 %), E (none).
    #[arg(long, default_value = "C")]
    level: String,
    /// What and why, as recipients will read it.
    #[arg(long, default_value = "")]
    summary: String,
    /// The MSA request (`msadesk request list`) the order came with.
    #[arg(long)]
    request: Option<i64>,
    /// The recorded risk decision (`msadesk assess`, `msadesk decide`) that caused the action.
    #[arg(long)]
    risk_decision: Option<i64>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// List messages with their delivery state.
    #[command(after_help = "Example:\n  msadesk outbox list --state deferred --format json")]
    List {
        /// queued, sending, sent, deferred, bounced or failed.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        action: Option<i64>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Deliver due messages by SMTP (MSADESK_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _TLS=none|starttls|tls, _CA_FILE) and signed webhooks (MSADESK_WEBHOOK_SECRET).
    #[command(
        after_help = "Without --once the worker keeps running and looks for due messages every few seconds.\n\nExamples:\n  MSADESK_SMTP_HOST=127.0.0.1 MSADESK_SMTP_PORT=2525 MSADESK_SMTP_FROM=recalls@acme.example msadesk outbox deliver --once\n  MSADESK_SMTP_HOST=mail.acme.example MSADESK_SMTP_TLS=starttls MSADESK_SMTP_USER=recalls MSADESK_SMTP_PASSWORD=... MSADESK_SMTP_CA_FILE=ca.pem MSADESK_SMTP_FROM=recalls@acme.example msadesk outbox deliver --once\n  msadesk outbox deliver   # runs until stopped"
    )]
    Deliver {
        /// Deliver what is due now, then stop.
        #[arg(long)]
        once: bool,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

fn today() -> Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    Date::from_unix_seconds(i64::try_from(secs).unwrap_or(0))
}

fn build(store: &mut dyn Store, a: &AddArgs) -> Result<NewAction> {
    let source = match (&a.authority, &a.reference, a.voluntary) {
        (Some(auth), Some(r), false) => Source::Ordered {
            authority: auth.trim().to_string(),
            reference: r.trim().to_string(),
            basis: Basis::parse(&a.basis).map_err(|e| anyhow!("--basis: {e}"))?,
        },
        (None, None, true) => Source::Voluntary,
        _ => bail!("say who decided the action: --authority ID --reference REF for an order, or --voluntary"),
    };
    if let Some(r) = a.request
        && store.request(r)?.is_none()
    {
        bail!("--request {r}: there is no such request; list them with `msadesk request list`");
    }
    if let Some(d) = a.risk_decision
        && !store.decisions()?.iter().any(|x| x.id == d)
    {
        bail!(
            "--risk-decision {d}: there is no such recorded decision; they are recorded by `msadesk assess` and `msadesk decide`"
        );
    }
    let calendar = match &source {
        Source::Ordered { authority, .. } => {
            let country = store
                .authorities()?
                .into_iter()
                .find(|x| &x.id == authority)
                .map(|x| x.country.as_str().to_string())
                .ok_or_else(|| anyhow!(msadesk_store::unknown_authority(authority)))?;
            Calendar::for_country(&country, &store.holidays()?)
        }
        Source::Voluntary => Calendar::weekends_only(),
    };
    let new = NewAction::build(
        ActionInput {
            action_type: ActionType::parse(&a.action_type).map_err(|e| anyhow!("--type: {e}"))?,
            source,
            product_id: ProductId::parse(&a.product).map_err(|e| anyhow!("--product: {e}"))?,
            versions: a
                .version
                .iter()
                .map(|v| Version::parse(v))
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow!("--version: {e}"))?,
            scope: a
                .member_state
                .iter()
                .map(|m| MemberState::parse(m))
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow!("--member-state: {e}"))?,
            received: match &a.received {
                Some(r) => Date::parse(r).map_err(|e| anyhow!("--received: {e}"))?,
                None => today(),
            },
            due: Date::parse(&a.due).map_err(|e| anyhow!("--due: {e}"))?,
            hearing_days: a.hearing_days,
            urgent: a.urgent,
            level: Level::parse(&a.level).map_err(|e| anyhow!("--level: {e}"))?,
            summary: &a.summary,
            request_id: a.request,
            decision_id: a.risk_decision,
        },
        &calendar,
    )
    .map_err(|e| anyhow!("{e}"))?;
    Ok(new)
}

fn bar(pct: f64) -> String {
    let filled = ((pct / 10.0).round() as usize).min(10);
    format!("{}{} {pct:.1} %", "#".repeat(filled), ".".repeat(10 - filled))
}

fn print_actions(list: &[msadesk_core::action::Action], format: Option<Format>) -> Result<()> {
    match output::resolve(format) {
        Format::Table => {
            let mut t =
                output::table(&["id", "type", "product", "status", "due", "recipients", "acknowledged", "check"]);
            for a in list {
                let e = a.effectiveness();
                t.add_row(vec![
                    a.id.to_string(),
                    a.new.action_type.to_string(),
                    a.new.product_id.to_string(),
                    a.status.to_string(),
                    a.new.due.to_string(),
                    a.figures.recipients_total.to_string(),
                    bar(e.recipients_acknowledged_pct),
                    format!("{} {}", a.new.level.as_str(), if e.check_met { "met" } else { "open" }),
                ]);
            }
            println!("{t}");
            Ok(())
        }
        _ => print_json(&list.iter().map(action_json).collect::<Vec<_>>()),
    }
}

fn print_one(a: &msadesk_core::action::Action, format: Option<Format>) -> Result<()> {
    match output::resolve(format) {
        Format::Table => print_actions(std::slice::from_ref(a), Some(Format::Table)),
        _ => print_json(&action_json(a)),
    }
}

pub fn action(url: &str, c: ActionCommand, meta: ChangeMeta) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    match c {
        ActionCommand::Package { id, out, key } => {
            let signing = crate::keys::load_or_create(url, &key)?;
            let zip = completion_package(store.as_mut(), id, &signing, &meta.at)?;
            std::fs::write(&out, &zip).with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!(
                "wrote {} ({} bytes); check it with `msadesk verify {}`",
                out.display(),
                zip.len(),
                out.display()
            );
        }
        ActionCommand::Add(a) => {
            let new = build(store.as_mut(), &a)?;
            let action = store.add_action(&new, &meta)?;
            if action.figures.recipients_total == 0 {
                eprintln!(
                    "note: no supply to anyone is recorded for the affected versions in scope: check --version and --member-state, or import the supply data first"
                );
            }
            print_one(&action, a.format)?;
        }
        ActionCommand::List { format } => print_actions(&store.actions()?, format)?,
        ActionCommand::Show { id, not_acknowledged, format } => {
            let a = store.action(id)?.ok_or_else(|| anyhow!(msadesk_store::action::unknown_action(id)))?;
            let recipients: Vec<_> = store
                .recipients(id)?
                .into_iter()
                .filter(|r| !not_acknowledged || r.acknowledged_at.is_none())
                .collect();
            match output::resolve(format) {
                Format::Table => {
                    print_one(&a, Some(Format::Table))?;
                    for step in &a.timeline {
                        println!(
                            "{}  {:<20} {}  {}",
                            step.at,
                            step.status.as_str(),
                            step.actor,
                            step.note.as_deref().unwrap_or("")
                        );
                    }
                    let mut t = output::table(&[
                        "operator",
                        "name",
                        "country",
                        "units",
                        "notified",
                        "delivery",
                        "acknowledged",
                    ]);
                    for r in &recipients {
                        t.add_row(vec![
                            r.operator_id.to_string(),
                            r.name.clone(),
                            r.country.clone(),
                            r.quantity.to_string(),
                            r.notified_at.clone().unwrap_or_default(),
                            r.delivery.map(|d| d.as_str().to_string()).unwrap_or_default(),
                            r.acknowledged_at.clone().unwrap_or_default(),
                        ]);
                    }
                    println!("{t}");
                }
                _ => {
                    let mut v = action_json(&a);
                    if let Some(o) = v.as_object_mut() {
                        o.insert("recipients".into(), serde_json::to_value(&recipients)?);
                    }
                    print_json(&v)?;
                }
            }
        }
        ActionCommand::Advance { id, to, note, webhook, format } => {
            let to = Status::parse(&to).map_err(|e| anyhow!("--to: {e}"))?;
            if let Some(url) = &webhook
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                bail!("--webhook '{url}': give an http:// or https:// URL");
            }
            let a = store.action_step(id, to, note.as_deref(), &meta)?;
            if let Some(url) = webhook {
                // Queued after the step is committed; its key names the step, so it is queued once.
                let m = msadesk_store::NewMessage {
                    idempotency_key: format!("action-{id}-status-{}", a.status.as_str()),
                    channel: "webhook".into(),
                    to: url,
                    subject: format!("action #{id} is {}", a.status),
                    body: serde_json::to_string(&action_json(&a))?,
                    action_id: Some(id),
                    recipient_id: None,
                };
                store.queue_messages(&[m], &meta)?;
            }
            print_one(&a, format)?;
        }
        ActionCommand::Notify { id, format } => round(store.as_mut(), id, Round::First, format, &meta)?,
        ActionCommand::Remind { id, older_than_days, format } => {
            let r = match older_than_days {
                None => Round::Reminder,
                Some(days) => Round::ReminderBefore(days_ago(i64::from(days))),
            };
            round(store.as_mut(), id, r, format, &meta)?
        }
        ActionCommand::Report { id, format } => {
            let r = status_report(store.as_mut(), id)?;
            match output::resolve(format) {
                Format::Table => {
                    let a = &r["action"];
                    println!(
                        "Action #{} ({}) of {}: {} - due {}",
                        a["id"], a["type"], a["product_id"], a["status"], a["due"]
                    );
                    println!(
                        "Recipients: {} notified, {} responded of {}; units resolved {} of {}; non-responders {}",
                        r["recipients_notified"],
                        r["recipients_responded"],
                        a["recipients_total"],
                        r["quantities"]["resolved"],
                        r["quantities"]["supplied"],
                        r["non_responders_total"]
                    );
                    println!(
                        "Effectiveness check (level {}): {}",
                        a["level"],
                        if r["complete"] == true { "met" } else { "not met yet" }
                    );
                }
                _ => print_json(&r)?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// RFC 3339 time `days` days ago.
fn days_ago(days: i64) -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let t = i64::try_from(secs).unwrap_or(0) - days * 86_400;
    let day = Date::from_unix_seconds(t);
    let rem = t.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

fn round(store: &mut dyn Store, id: i64, round: Round, format: Option<Format>, meta: &ChangeMeta) -> Result<()> {
    let reminder = round != Round::First;
    let r = notify_round(store, id, round, &public_url(), meta)?;
    if !r.without_address.is_empty() {
        eprintln!(
            "{} recipient(s) have no e-mail address and were not notified (escalation list): {}",
            r.without_address.len(),
            r.without_address.iter().take(20).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    match output::resolve(format) {
        Format::Table => eprintln!(
            "{} {} queued for action #{id}; deliver them with `msadesk outbox deliver`",
            r.queued,
            if reminder { "reminders" } else { "notices" }
        ),
        _ => print_json(&r)?,
    }
    Ok(())
}

pub fn outbox(url: &str, c: OutboxCommand) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    match c {
        OutboxCommand::List { state, action, limit, format } => {
            let state = state.as_deref().map(DeliveryState::parse).transpose().map_err(|e| anyhow!("--state: {e}"))?;
            let list = store.outbox(state, action, limit.min(100_000))?;
            match output::resolve(format) {
                Format::Table => {
                    let mut t = output::table(&[
                        "id",
                        "key",
                        "channel",
                        "to",
                        "state",
                        "attempts",
                        "next attempt",
                        "last error",
                    ]);
                    for m in &list {
                        t.add_row(vec![
                            m.id.to_string(),
                            m.message.idempotency_key.clone(),
                            m.message.channel.clone(),
                            m.message.to.clone(),
                            m.state.as_str().to_string(),
                            m.attempts.to_string(),
                            m.next_attempt_at.clone(),
                            m.last_error.clone().unwrap_or_default(),
                        ]);
                    }
                    println!("{t}");
                }
                // The bodies hold acknowledgement links (secrets): the list shows everything else.
                _ => print_json(
                    &list
                        .iter()
                        .map(|m| {
                            serde_json::json!({
                                "id": m.id, "idempotency_key": m.message.idempotency_key, "channel": m.message.channel,
                                "to": m.message.to, "subject": m.message.subject, "action_id": m.message.action_id,
                                "recipient_id": m.message.recipient_id, "state": m.state, "attempts": m.attempts,
                                "next_attempt_at": m.next_attempt_at, "last_error": m.last_error,
                                "created_at": m.created_at, "sent_at": m.sent_at, "receipt": m.receipt,
                            })
                        })
                        .collect::<Vec<_>>(),
                )?,
            }
        }
        OutboxCommand::Deliver { once, format } => {
            let cfg = DeliveryConfig::from_env().map_err(|e| anyhow!(e))?;
            if cfg.smtp.is_none() {
                eprintln!("note: MSADESK_SMTP_HOST is not set: e-mails stay deferred until it is");
            }
            if once {
                let stats = deliver_until_idle(store.as_mut(), &cfg)?;
                match output::resolve(format) {
                    Format::Table => eprintln!(
                        "{} claimed: {} sent, {} deferred, {} bounced, {} failed",
                        stats.claimed, stats.sent, stats.deferred, stats.bounced, stats.failed
                    ),
                    _ => print_json(&stats)?,
                }
            } else {
                eprintln!("delivering the outbox; stop with Ctrl-C");
                loop {
                    let s = deliver_pass(store.as_mut(), &cfg)?;
                    if s.claimed > 0 {
                        eprintln!(
                            "{} claimed: {} sent, {} deferred, {} bounced",
                            s.claimed, s.sent, s.deferred, s.bounced
                        );
                    } else {
                        std::thread::sleep(Duration::from_secs(2));
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn csv_bytes(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(r)?;
    }
    w.into_inner().map_err(|e| anyhow!("cannot write CSV: {e}"))
}

/// The completion package of an action: the completion report (JSON, HTML and PDF), the notice log,
/// the acknowledgements and the delivery receipts, in a signed `msadesk_formats::package`.
fn completion_package(store: &mut dyn Store, id: i64, key: &ed25519_dalek::SigningKey, at: &str) -> Result<Vec<u8>> {
    use msadesk_formats::document::{Block, Document};
    use msadesk_formats::package::{PackageFile, PackageMeta, build};
    let report = status_report(store, id)?;
    let action = store.action(id)?.ok_or_else(|| anyhow!(msadesk_store::action::unknown_action(id)))?;
    let recipients = store.recipients(id)?;
    let messages = store.outbox(None, Some(id), u32::MAX)?;
    let e = action.effectiveness();
    let f = action.figures;
    let mut doc = Document::new(format!("Completion report: corrective action #{id}"), "en");
    doc.push(Block::Heading {
        level: 1,
        text: format!("Corrective action #{id}: {} of {}", action.new.action_type, action.new.product_id),
    });
    doc.push(Block::KeyValues(vec![
        (
            "Source".into(),
            match &action.new.source {
                Source::Ordered { authority, reference, basis } => {
                    format!("{authority}, reference {reference}, {}", basis.legal().cite)
                }
                Source::Voluntary => "voluntary".into(),
            },
        ),
        (
            "Versions".into(),
            if action.new.versions.is_empty() {
                "all".into()
            } else {
                action.new.versions.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            },
        ),
        ("Status".into(), action.status.to_string()),
        ("Due".into(), action.new.due.to_string()),
        ("Recipients".into(), format!("{} ({} units)", f.recipients_total, f.units_total)),
        ("Notified".into(), f.recipients_notified.to_string()),
        ("Reached".into(), format!("{} ({} %)", f.recipients_reached, e.recipients_reached_pct)),
        ("Acknowledged".into(), format!("{} ({} %)", f.recipients_acknowledged, e.recipients_acknowledged_pct)),
        ("Units resolved".into(), format!("{} ({} %)", f.units_resolved, e.units_resolved_pct)),
        ("Sub-recipients notified".into(), f.sub_recipients_notified.to_string()),
        (
            "Effectiveness check".into(),
            format!(
                "level {}: {} of {} required answers, {}",
                action.new.level.as_str(),
                f.recipients_acknowledged,
                e.required_recipients,
                if e.check_met { "met" } else { "not met" }
            ),
        ),
    ]));
    doc.push(Block::BarChart {
        title: "Effectiveness".into(),
        unit: "%".into(),
        bars: vec![
            ("Recipients reached".into(), e.recipients_reached_pct),
            ("Recipients acknowledged".into(), e.recipients_acknowledged_pct),
            ("Recipients resolved".into(), e.recipients_resolved_pct),
            ("Units resolved".into(), e.units_resolved_pct),
        ],
    });
    doc.push(Block::Heading { level: 2, text: "Timeline".into() });
    doc.push(Block::Table {
        header: vec!["When".into(), "Status".into(), "Who".into(), "Note".into()],
        rows: action
            .timeline
            .iter()
            .map(|t| vec![t.at.clone(), t.status.to_string(), t.actor.clone(), t.note.clone().unwrap_or_default()])
            .collect(),
    });
    let acks: Vec<Vec<String>> = recipients
        .iter()
        .map(|r| {
            let rep = r.report.unwrap_or_default();
            let n = |v: u64| if r.report.is_some() { v.to_string() } else { String::new() };
            vec![
                r.operator_id.to_string(),
                r.name.clone(),
                r.country.clone(),
                r.quantity.to_string(),
                r.notified_at.clone().unwrap_or_default(),
                r.delivery.map(|d| d.as_str().to_string()).unwrap_or_default(),
                r.acknowledged_at.clone().unwrap_or_default(),
                n(rep.units_on_hand),
                n(rep.units_returned),
                n(rep.units_updated),
                n(rep.units_destroyed),
                n(rep.sub_recipients_notified),
                r.reminders.to_string(),
            ]
        })
        .collect();
    let notices: Vec<Vec<String>> = messages
        .iter()
        .rev()
        .map(|m| {
            vec![
                m.message.idempotency_key.clone(),
                msadesk_server::delivery::message_id(&m.message.idempotency_key),
                m.message.channel.clone(),
                m.message.to.clone(),
                m.message.subject.clone(),
                m.created_at.clone(),
                m.state.as_str().to_string(),
                m.attempts.to_string(),
                m.sent_at.clone().unwrap_or_default(),
                m.last_error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    // Receipts: what the receiving server answered for each delivered message. Bodies are left out:
    // they hold the recipients' personal links.
    let receipts: Vec<serde_json::Value> = messages
        .iter()
        .rev()
        .filter(|m| m.receipt.is_some())
        .map(|m| serde_json::json!({
            "idempotency_key": m.message.idempotency_key, "message_id": msadesk_server::delivery::message_id(&m.message.idempotency_key),
            "to": m.message.to, "sent_at": m.sent_at, "receipt": m.receipt, "attempts": m.attempts,
        }))
        .collect();
    let operator = store.identity()?.map(|i| i.name).unwrap_or_else(|| "msadesk operator".into());
    let files = vec![
        PackageFile {
            path: "completion-report.json".into(),
            media_type: "application/json".into(),
            bytes: serde_json::to_vec_pretty(&report)?,
        },
        PackageFile {
            path: "completion-report.html".into(),
            media_type: "text/html".into(),
            bytes: doc.to_html().into_bytes(),
        },
        PackageFile { path: "completion-report.pdf".into(), media_type: "application/pdf".into(), bytes: doc.to_pdf() },
        PackageFile {
            path: "notice-log.csv".into(),
            media_type: "text/csv".into(),
            bytes: csv_bytes(
                &[
                    "idempotency_key",
                    "message_id",
                    "channel",
                    "to",
                    "subject",
                    "queued_at",
                    "state",
                    "attempts",
                    "sent_at",
                    "last_error",
                ],
                &notices,
            )?,
        },
        PackageFile {
            path: "acknowledgements.csv".into(),
            media_type: "text/csv".into(),
            bytes: csv_bytes(
                &[
                    "operator_id",
                    "name",
                    "country",
                    "units_supplied",
                    "notified_at",
                    "delivery",
                    "acknowledged_at",
                    "units_on_hand",
                    "units_returned",
                    "units_updated",
                    "units_destroyed",
                    "sub_recipients_notified",
                    "reminders",
                ],
                &acks,
            )?,
        },
        PackageFile {
            path: "delivery-receipts.json".into(),
            media_type: "application/json".into(),
            bytes: serde_json::to_vec_pretty(&receipts)?,
        },
    ];
    let meta = PackageMeta {
        title: format!("Completion package of corrective action #{id}"),
        created_at: at.to_string(),
        operator,
    };
    build(&files, &meta, key).map_err(|e| anyhow!("cannot build the package: {e}"))
}
