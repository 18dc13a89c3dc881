//! Recall campaigns: turning an action's recipients into notices (each with a personal, expiring,
//! single-purpose acknowledgement link) and an action into its status report.
//!
//! Used by the CLI (`msadesk action notify|remind|report`) and by the pages (bulk reminder). The
//! secret of a link exists only in the message queued for its recipient; the store keeps its
//! SHA-256. Notices are English text of our own until the shared letter templates are available.

use msadesk_core::action::{Action, Effectiveness, Source};
use msadesk_store::{NewMessage, Notice, Recipient, Store, StoreError};
use serde::Serialize;

use crate::auth::random_secret;
use crate::util::{rfc3339_at, sha256_hex, unix_now};

/// Days an acknowledgement link stays valid when the action's due date is not later.
pub const MIN_TOKEN_DAYS: i64 = 30;

/// The public base URL the acknowledgement links start with (`MSADESK_PUBLIC_URL`).
pub fn public_url() -> String {
    std::env::var("MSADESK_PUBLIC_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:8080".into())
        .trim_end_matches('/')
        .to_string()
}

/// Which recipients a round of notices goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round {
    /// Every recipient not yet notified.
    First,
    /// A reminder to every notified recipient that has not acknowledged.
    Reminder,
    /// A reminder to those whose latest notice or reminder was queued before this RFC 3339 time
    /// (the reminder schedule: `--older-than-days`, `MSADESK_REMIND_AFTER_DAYS`).
    ReminderBefore(String),
}

/// What a round queued, and who could not be reached (no e-mail address): the escalation list.
#[derive(Debug, Clone, Serialize)]
pub struct RoundResult {
    pub action: serde_json::Value,
    pub queued: u64,
    pub without_address: Vec<String>,
}

/// The expiry of a link issued at `now`: the due date's end plus 30 days, at least 30 days.
fn token_expiry(action: &Action, now: i64) -> String {
    let due_end = action.new.due.plus_days(MIN_TOKEN_DAYS + 1).days_since_epoch() * 86_400;
    rfc3339_at(due_end.max(now + MIN_TOKEN_DAYS * 86_400))
}

/// Our own English notice, used when the letter templates cannot render (a missing argument).
fn fallback_text(action: &Action, r: &Recipient, link: &str, reminder: bool) -> (String, String) {
    let what = match &action.new.source {
        Source::Ordered { authority, reference, basis } => {
            format!("ordered by {authority} (reference {reference}) under {}", basis.legal().cite)
        }
        Source::Voluntary => "taken voluntarily by the operator".to_string(),
    };
    let versions = if action.new.versions.is_empty() {
        "all versions".to_string()
    } else {
        action.new.versions.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
    };
    let subject = format!(
        "{}{} of product {} ({versions}) - action #{} - respond by {}",
        if reminder { "REMINDER: " } else { "" },
        capitalised(action.new.action_type.as_str()),
        action.new.product_id,
        action.id,
        action.new.due
    );
    let body = format!(
        "Dear {name},\n\n\
         Corrective action #{id} ({kind}) concerns product {product}, {versions}, {what}.\n\n\
         Why: {summary}\n\n\
         Our records show that we supplied you {qty} unit(s) of the affected versions.\n\n\
         What to do: {instruction}\n\n\
         Deadline: {due}.\n\n\
         Please confirm receipt and report the units you still hold and those returned, updated or destroyed,\n\
         and how many of your own customers you passed this notice on to, through your personal link:\n\n\
         {link}\n\n\
         The link is personal to {name} and works once. Scope: {scope}.\n",
        name = r.name,
        id = action.id,
        kind = action.new.action_type,
        product = action.new.product_id,
        summary = if action.new.summary.is_empty() { "see the attached order" } else { &action.new.summary },
        qty = r.quantity,
        instruction = action.new.action_type.instruction(),
        due = action.new.due,
        scope = if action.new.scope.is_empty() {
            format!(
                "every Member State where the product was made available ({})",
                msadesk_core::legal::CORRECTIVE_SCOPE_ART_54_4.cite
            )
        } else {
            action.new.scope.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
        },
    );
    (subject, body)
}

/// The language of a recipient's country that the letter templates have, if any besides English.
pub fn country_language(country: &str) -> Option<&'static str> {
    let lang = match country.to_ascii_uppercase().as_str() {
        "DE" | "AT" | "LI" => "de",
        "FR" | "LU" | "BE" => "fr",
        "NL" => "nl",
        "ES" => "es",
        "IT" => "it",
        "SE" => "sv",
        "PL" => "pl",
        _ => return None,
    };
    msadesk_formats::letters::LANGUAGES.contains(&lang).then_some(lang)
}

/// Who sends the notices (our identity, `msadesk init`), for the letter's sender and contact lines.
#[derive(Debug, Clone, Default)]
pub struct Sender {
    pub name: String,
    pub address: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
}

impl Sender {
    pub fn from_identity(id: Option<&msadesk_core::OwnIdentity>) -> Sender {
        match id {
            Some(i) => Sender {
                name: i.name.clone(),
                address: Some(i.address.clone()),
                contact_name: i.contact_person.clone().unwrap_or_else(|| i.name.clone()),
                contact_email: i.email.as_ref().map(|e| e.as_str().to_string()).unwrap_or_else(|| "-".into()),
            },
            None => Sender {
                name: "The operator".into(),
                address: None,
                contact_name: "Compliance".into(),
                contact_email: "-".into(),
            },
        }
    }
}

/// The notice for one recipient: the RecallNotice letter in English and, where the templates have
/// it, in the language of the recipient's country, followed by a short English reference block.
pub fn notice_text(action: &Action, r: &Recipient, link: &str, reminder: bool, sender: &Sender) -> (String, String) {
    let (subject, fallback) = fallback_text(action, r, link, reminder);
    let mut args = msadesk_formats::letters::LetterArgs::new();
    let versions = if action.new.versions.is_empty() {
        "all versions".to_string()
    } else {
        action.new.versions.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
    };
    let reference = match &action.new.source {
        Source::Ordered { authority, reference, basis } => {
            format!("action #{} ({authority} {reference}, {})", action.id, basis.legal().cite)
        }
        Source::Voluntary => format!("action #{} (voluntary)", action.id),
    };
    let today = crate::util::now_rfc3339();
    for (k, v) in [
        ("sender_name", sender.name.clone()),
        ("recipient_name", r.name.clone()),
        ("letter_date", today.get(..10).unwrap_or("").to_string()),
        ("contact_name", sender.contact_name.clone()),
        ("contact_email", sender.contact_email.clone()),
        ("product", action.new.product_id.to_string()),
        ("versions", versions),
        ("recall_reference", reference),
        (
            "reason",
            if action.new.summary.is_empty() { action.new.action_type.to_string() } else { action.new.summary.clone() },
        ),
        ("what_to_do", action.new.action_type.instruction().to_string()),
        ("deadline_date", action.new.due.to_string()),
        ("ack_link", link.to_string()),
        ("units", r.quantity.to_string()),
    ] {
        args.insert(k.to_string(), v);
    }
    if let Some(a) = &sender.address {
        args.insert("sender_address".into(), a.clone());
    }
    let render = |lang: &str| {
        msadesk_formats::letters::render(msadesk_formats::letters::LetterKind::RecallNotice, lang, &args, None)
            .map(|d| d.plain_text())
    };
    let Ok(english) = render("en") else {
        return (subject, fallback);
    };
    let mut body = english;
    if let Some(lang) = country_language(&r.country)
        && let Ok(local) = render(lang)
    {
        body.push_str("\n----------------------------------------------------------------\n\n");
        body.push_str(&local);
    }
    body.push_str(&format!(
        "\n--\nReference: action #{} · units supplied to you: {} · personal acknowledgement link: {link}\n",
        action.id, r.quantity
    ));
    (subject, body)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Queues a round of notices for an action in one transaction (see `ActionStore::notify`).
pub fn notify_round(
    store: &mut dyn Store,
    action_id: i64,
    round: Round,
    base_url: &str,
    meta: &msadesk_store::ChangeMeta,
) -> Result<RoundResult, StoreError> {
    let action = store.action(action_id)?.ok_or_else(|| msadesk_store::action::unknown_action(action_id))?;
    let recipients = store.recipients(action_id)?;
    let sender = Sender::from_identity(store.identity()?.as_ref());
    let now = unix_now();
    let expires = token_expiry(&action, now);
    let mut notices = Vec::new();
    let mut without_address = Vec::new();
    // When each recipient was last written to (for the reminder schedule).
    let mut last: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    if matches!(round, Round::ReminderBefore(_)) {
        for m in store.outbox(None, Some(action_id), u32::MAX)? {
            if let Some(rid) = m.message.recipient_id {
                let e = last.entry(rid).or_default();
                if m.created_at > *e {
                    *e = m.created_at;
                }
            }
        }
    }
    let reminder = round != Round::First;
    for r in &recipients {
        let wanted = match &round {
            Round::First => r.notified_at.is_none(),
            Round::Reminder => r.notified_at.is_some() && r.acknowledged_at.is_none(),
            Round::ReminderBefore(cutoff) => {
                r.notified_at.is_some()
                    && r.acknowledged_at.is_none()
                    && last.get(&r.id).is_none_or(|at| at.as_str() < cutoff.as_str())
            }
        };
        if !wanted {
            continue;
        }
        let Some(email) = r.email.clone() else {
            without_address.push(r.operator_id.to_string());
            continue;
        };
        let secret = random_secret();
        let link = format!("{base_url}/ack/{secret}");
        let (subject, body) = notice_text(&action, r, &link, reminder, &sender);
        let key = if reminder {
            format!("action-{action_id}-r{}-reminder-{}", r.id, r.reminders + 1)
        } else {
            format!("action-{action_id}-r{}-notice", r.id)
        };
        notices.push(Notice {
            recipient_id: r.id,
            token_sha256: sha256_hex(&secret),
            token_expires_at: expires.clone(),
            message: NewMessage {
                idempotency_key: key,
                channel: "email".into(),
                to: email,
                subject,
                body,
                action_id: Some(action_id),
                recipient_id: Some(r.id),
            },
        });
    }
    if reminder && notices.is_empty() {
        // Nothing due: no empty round in the audit trail.
        return Ok(RoundResult { action: action_json(&action), queued: 0, without_address });
    }
    let (action, queued) = store.notify(action_id, &notices, reminder, meta)?;
    Ok(RoundResult { action: action_json(&action), queued, without_address })
}

/// An action as the CLI and the API show it: the recorded action, its figures and effectiveness,
/// and the fields scripts read first.
pub fn action_json(a: &Action) -> serde_json::Value {
    let e: Effectiveness = a.effectiveness();
    serde_json::json!({
        "id": a.id,
        "type": a.new.action_type,
        "status": a.status,
        "due": a.new.due,
        "product_id": a.new.product_id,
        "versions": a.new.versions,
        "scope": a.new.scope,
        "source": a.new.source,
        "legal_basis": match &a.new.source {
            Source::Ordered { basis, .. } => Some(basis.legal().cite),
            Source::Voluntary => None,
        },
        "received": a.new.received,
        "hearing_until": a.new.hearing_until,
        "urgent": a.new.urgent,
        "level": a.new.level,
        "summary": a.new.summary,
        "request_id": a.new.request_id,
        "decision_id": a.new.decision_id,
        "recipients_total": a.figures.recipients_total,
        "recipients_notified": a.figures.recipients_notified,
        "recipients_reached": a.figures.recipients_reached,
        "recipients_acknowledged": a.figures.recipients_acknowledged,
        "recipients_resolved": a.figures.recipients_resolved,
        "units_total": a.figures.units_total,
        "units_resolved": a.figures.units_resolved,
        "figures": a.figures,
        "effectiveness": e,
        "timeline": a.timeline,
    })
}

/// A status report for the authority: figures, effectiveness, delivery states, non-responders and a
/// completion estimate (the acknowledgement rate so far, projected to the due date).
pub fn status_report(store: &mut dyn Store, action_id: i64) -> Result<serde_json::Value, StoreError> {
    let action = store.action(action_id)?.ok_or_else(|| msadesk_store::action::unknown_action(action_id))?;
    let recipients = store.recipients(action_id)?;
    let outbox = store.outbox_counts(Some(action_id))?;
    let non_responders: Vec<serde_json::Value> = recipients
        .iter()
        .filter(|r| r.acknowledged_at.is_none())
        .map(|r| {
            serde_json::json!({
                "operator_id": r.operator_id, "name": r.name, "country": r.country, "units": r.quantity,
                "notified_at": r.notified_at, "delivery": r.delivery, "reminders": r.reminders,
            })
        })
        .collect();
    let mut by_country: std::collections::BTreeMap<String, (u64, u64, u64)> = Default::default();
    for r in &recipients {
        let e = by_country.entry(r.country.clone()).or_default();
        e.0 += 1;
        e.1 += u64::from(r.acknowledged_at.is_some());
        e.2 += r.quantity;
    }
    let countries: Vec<serde_json::Value> = by_country
        .into_iter()
        .map(|(c, (n, ack, units))| serde_json::json!({"country": c, "recipients": n, "acknowledged": ack, "units": units}))
        .collect();
    let f = action.figures;
    let units_on_hand: u64 = recipients.iter().filter_map(|r| r.report).map(|r| r.units_on_hand).sum();
    let returned: u64 = recipients.iter().filter_map(|r| r.report).map(|r| r.units_returned).sum();
    let updated: u64 = recipients.iter().filter_map(|r| r.report).map(|r| r.units_updated).sum();
    let destroyed: u64 = recipients.iter().filter_map(|r| r.report).map(|r| r.units_destroyed).sum();
    Ok(serde_json::json!({
        "action": action_json(&action),
        "generated_at": crate::util::now_rfc3339(),
        "recipients_notified": f.recipients_notified,
        "recipients_responded": f.recipients_acknowledged,
        "quantities": {
            "supplied": f.units_total, "on_hand": units_on_hand, "returned": returned, "updated": updated,
            "destroyed": destroyed, "resolved": f.units_resolved,
        },
        "sub_recipients_notified": f.sub_recipients_notified,
        "delivery": outbox,
        "effectiveness": action.effectiveness(),
        "countries": countries,
        "non_responders_total": non_responders.len(),
        "non_responders": non_responders,
        "complete": f.recipients_total > 0 && f.recipients_acknowledged >= action.new.level.required_count(f.recipients_total),
    }))
}
