//! Corrective actions and recalls (issue 8), as types and pure rules.
//!
//! An action is an order of a market surveillance authority (CRA Art 54, 57, 58; Regulation (EU)
//! 2019/1020 Art 16(3)) or a measure the operator takes itself. This module knows its kinds, its
//! status machine, the right-to-be-heard window, the FDA-style effectiveness-check levels and how
//! effectiveness figures are computed from per-recipient counts. It does not know who the recipients
//! are (the store derives them from the registry), how notices are worded (templates) or how they are
//! delivered (the binary's worker): those are I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::inbox::Calendar;
use crate::legal::{self, LegalRef};
use crate::model::ValueError;
use crate::{Date, MemberState, ProductId, Version};

#[cfg(test)]
mod tests;

fn err(message: impl Into<String>) -> ValueError {
    ValueError { message: message.into() }
}

/// What the action requires of every recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionType {
    /// Bring into conformity by a security update.
    Update,
    /// Withdraw from the supply chain (stop it reaching users).
    Withdrawal,
    /// Get back units already made available to users.
    Recall,
    /// Alert the end users at risk (2019/1020 Art 16(3)(g)).
    AlertUsers,
    /// Stop making it available.
    Stop,
}

impl ActionType {
    pub const ALL: [ActionType; 5] =
        [ActionType::Update, ActionType::Withdrawal, ActionType::Recall, ActionType::AlertUsers, ActionType::Stop];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionType::Update => "update",
            ActionType::Withdrawal => "withdrawal",
            ActionType::Recall => "recall",
            ActionType::AlertUsers => "alert-users",
            ActionType::Stop => "stop",
        }
    }

    pub fn parse(v: &str) -> Result<Self, ValueError> {
        ActionType::ALL.into_iter().find(|t| t.as_str() == v.trim()).ok_or_else(|| {
            err(format!(
                "'{}' is not an action type (expected one of: update, withdrawal, recall, alert-users, stop)",
                v.trim()
            ))
        })
    }

    /// What a recipient is asked to do, in one English sentence (the notice's "what to do").
    pub fn instruction(self) -> &'static str {
        match self {
            ActionType::Update => {
                "Install the security update on every unit you hold and pass this notice on to everyone you supplied."
            }
            ActionType::Withdrawal => {
                "Stop supplying the product, quarantine the units you hold and pass this notice on to everyone you supplied."
            }
            ActionType::Recall => {
                "Stop supplying the product, return or destroy the units you hold, and pass this notice on to everyone you supplied, down to end users."
            }
            ActionType::AlertUsers => "Alert the end users you supplied of the risk and of the measures to take.",
            ActionType::Stop => "Stop making the product available on the market.",
        }
    }
}

impl fmt::Display for ActionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The provision an ordered action rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    CraArt54,
    CraArt57,
    CraArt58,
    Msr2019Art16,
}

impl Basis {
    pub const ALL: [Basis; 4] = [Basis::CraArt54, Basis::CraArt57, Basis::CraArt58, Basis::Msr2019Art16];

    pub fn as_str(self) -> &'static str {
        match self {
            Basis::CraArt54 => "art54",
            Basis::CraArt57 => "art57",
            Basis::CraArt58 => "art58",
            Basis::Msr2019Art16 => "msr16",
        }
    }

    pub fn parse(v: &str) -> Result<Self, ValueError> {
        Basis::ALL.into_iter().find(|b| b.as_str() == v.trim()).ok_or_else(|| {
            err(format!("'{}' is not a legal basis (expected one of: art54, art57, art58, msr16)", v.trim()))
        })
    }

    pub fn legal(self) -> LegalRef {
        match self {
            Basis::CraArt54 => legal::CORRECTIVE_ART_54,
            Basis::CraArt57 => legal::CORRECTIVE_ART_57,
            Basis::CraArt58 => legal::CORRECTIVE_ART_58,
            Basis::Msr2019Art16 => legal::CORRECTIVE_MSR_16_3,
        }
    }
}

/// Who decided the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Ordered by an authority of the directory, under its reference.
    Ordered { authority: String, reference: String, basis: Basis },
    /// Taken by the operator on its own initiative.
    Voluntary,
}

/// FDA 21 CFR Part 7 effectiveness-check levels: the share of recipients whose response is checked.
///
/// B is "between A and C" in the FDA text; msadesk uses the midpoint policy of 50 % so that the figure
/// is a fixed, documented number that can be compared across actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    A,
    B,
    C,
    D,
    E,
}

impl Level {
    pub fn parse(v: &str) -> Result<Self, ValueError> {
        match v.trim().to_ascii_uppercase().as_str() {
            "A" => Ok(Level::A),
            "B" => Ok(Level::B),
            "C" => Ok(Level::C),
            "D" => Ok(Level::D),
            "E" => Ok(Level::E),
            other => Err(err(format!("'{other}' is not an effectiveness-check level (expected A, B, C, D or E)"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::A => "A",
            Level::B => "B",
            Level::C => "C",
            Level::D => "D",
            Level::E => "E",
        }
    }

    /// Share of recipients to check, in per mille (A 1000 = 100 %, B 500, C 100, D 20, E 0).
    pub fn required_permille(self) -> u32 {
        match self {
            Level::A => 1000,
            Level::B => 500,
            Level::C => 100,
            Level::D => 20,
            Level::E => 0,
        }
    }

    /// How many of `total` recipients must have answered for the check to be met (rounded up).
    pub fn required_count(self, total: u64) -> u64 {
        (total * u64::from(self.required_permille())).div_ceil(1000)
    }
}

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Received,
    Acknowledged,
    Heard,
    RecipientsNotified,
    InProgress,
    Completed,
    Reported,
    Closed,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Received,
        Status::Acknowledged,
        Status::Heard,
        Status::RecipientsNotified,
        Status::InProgress,
        Status::Completed,
        Status::Reported,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Acknowledged => "acknowledged",
            Status::Heard => "heard",
            Status::RecipientsNotified => "recipients_notified",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Reported => "reported",
            Status::Closed => "closed",
        }
    }

    pub fn parse(v: &str) -> Result<Self, ValueError> {
        let v = v.trim().replace('-', "_");
        Status::ALL.into_iter().find(|s| s.as_str() == v).ok_or_else(|| {
            err(format!(
                "'{v}' is not an action status (expected one of: received, acknowledged, heard, recipients_notified, in_progress, completed, reported, closed)"
            ))
        })
    }

    /// The statuses an action may move to from this one. `heard` is optional: an action may go from
    /// `acknowledged` straight to `recipients_notified` (no hearing, or an urgent order).
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Received => &[Status::Acknowledged],
            Status::Acknowledged => &[Status::Heard, Status::RecipientsNotified],
            Status::Heard => &[Status::RecipientsNotified],
            Status::RecipientsNotified => &[Status::InProgress],
            Status::InProgress => &[Status::Completed],
            Status::Completed => &[Status::Reported],
            Status::Reported => &[Status::Closed],
            Status::Closed => &[],
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an action may move from `from` to `to`; the refusal says what is allowed instead.
pub fn check_transition(from: Status, to: Status) -> Result<(), ValueError> {
    if from.next().contains(&to) {
        return Ok(());
    }
    let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
    Err(err(if allowed.is_empty() {
        format!("the action is {from}: it is finished and cannot move to {to}")
    } else {
        format!("an action that is {from} cannot move to {to}: the next step is {}", allowed.join(" or "))
    }))
}

/// One step of an action's life: the status reached, when (RFC 3339 UTC), who, and an optional note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub status: Status,
    pub at: String,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Longest summary text of an action (what and why).
pub const MAX_SUMMARY: usize = 4000;

/// An action as recorded, before the store gives it an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAction {
    pub action_type: ActionType,
    pub source: Source,
    pub product_id: ProductId,
    /// The affected versions; empty means every version of the product.
    pub versions: Vec<Version>,
    /// The Member States in scope; empty means every Member State where it was made available
    /// (CRA Art 54(4), the default).
    pub scope: Vec<MemberState>,
    /// Received (ordered) or decided (voluntary).
    pub received: Date,
    /// The period set: the date by which the action must be completed.
    pub due: Date,
    /// The last day of the right-to-be-heard window, for an ordered action that is not urgent.
    pub hearing_until: Option<Date>,
    pub urgent: bool,
    pub level: Level,
    /// What and why, as the recipients read it.
    pub summary: String,
    /// The MSA request (inbox) the order came with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<i64>,
    /// The recorded risk decision that caused the action, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<i64>,
}

/// What [`NewAction::build`] reads.
#[derive(Debug, Clone)]
pub struct ActionInput<'a> {
    pub action_type: ActionType,
    pub source: Source,
    pub product_id: ProductId,
    pub versions: Vec<Version>,
    pub scope: Vec<MemberState>,
    pub received: Date,
    pub due: Date,
    /// Working days of the hearing window the authority gave (default and minimum 10 unless urgent).
    pub hearing_days: Option<u32>,
    pub urgent: bool,
    pub level: Level,
    pub summary: &'a str,
    pub request_id: Option<i64>,
    pub decision_id: Option<i64>,
}

impl NewAction {
    /// Checks an action's input: the due date is not before it was received, the hearing window is at
    /// least 10 working days unless the order is urgent (2019/1020 Art 18), and the summary is sane.
    pub fn build(input: ActionInput<'_>, calendar: &Calendar) -> Result<NewAction, ValueError> {
        if input.due < input.received {
            return Err(err(format!(
                "the due date {} is before the action was received ({}): give a date on or after it",
                input.due, input.received
            )));
        }
        let summary = input.summary.trim();
        if summary.chars().count() > MAX_SUMMARY {
            return Err(err(format!("the summary is longer than {MAX_SUMMARY} characters: shorten it")));
        }
        if let Source::Ordered { authority, reference, .. } = &input.source
            && (authority.trim().is_empty() || reference.trim().is_empty())
        {
            return Err(err("an ordered action needs the authority and its reference"));
        }
        let hearing_until = hearing_window(&input.source, input.received, input.hearing_days, input.urgent, calendar)?;
        let mut versions = input.versions;
        versions.sort();
        versions.dedup();
        let mut scope = input.scope;
        scope.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        scope.dedup();
        Ok(NewAction {
            action_type: input.action_type,
            source: input.source,
            product_id: input.product_id,
            versions,
            scope,
            received: input.received,
            due: input.due,
            hearing_until,
            urgent: input.urgent,
            level: input.level,
            summary: summary.to_string(),
            request_id: input.request_id,
            decision_id: input.decision_id,
        })
    }
}

/// The last day of the right-to-be-heard window: `days` working days (at least 10, the default) after
/// receipt, for an ordered action that is not urgent. Voluntary and urgent actions have none.
pub fn hearing_window(
    source: &Source,
    received: Date,
    days: Option<u32>,
    urgent: bool,
    calendar: &Calendar,
) -> Result<Option<Date>, ValueError> {
    if urgent || matches!(source, Source::Voluntary) {
        return Ok(None);
    }
    let days = days.unwrap_or(legal::HEARING_MIN_WORKING_DAYS);
    if days < legal::HEARING_MIN_WORKING_DAYS {
        return Err(err(format!(
            "a hearing window of {days} working days is shorter than the {} working days of {} : mark the order urgent (--urgent) if the authority said so",
            legal::HEARING_MIN_WORKING_DAYS,
            legal::RIGHT_TO_BE_HEARD.cite
        )));
    }
    Ok(Some(calendar.add_working_days(received, days)))
}

/// A recorded action with its counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub id: i64,
    #[serde(flatten)]
    pub new: NewAction,
    pub status: Status,
    pub timeline: Vec<TimelineEntry>,
    pub figures: Figures,
}

impl Action {
    /// Moves the action to `to`, adding a timeline entry; refused when the status machine does not allow it.
    pub fn advance(&mut self, to: Status, at: &str, actor: &str, note: Option<&str>) -> Result<(), ValueError> {
        check_transition(self.status, to)?;
        self.status = to;
        self.timeline.push(TimelineEntry {
            status: to,
            at: at.to_string(),
            actor: actor.to_string(),
            note: note.map(str::to_string),
        });
        Ok(())
    }

    pub fn effectiveness(&self) -> Effectiveness {
        effectiveness(self.new.level, &self.figures)
    }
}

/// What a recipient reported through its acknowledgement (units it holds, what became of them, how
/// many of its own recipients it passed the notice on to).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckReport {
    pub units_on_hand: u64,
    pub units_returned: u64,
    pub units_updated: u64,
    pub units_destroyed: u64,
    pub sub_recipients_notified: u64,
}

/// Largest unit count a recipient may report (more than any real consignment, small enough to sum).
pub const MAX_REPORTED_UNITS: u64 = 1_000_000_000;

impl AckReport {
    pub fn validate(&self) -> Result<(), ValueError> {
        for (name, v) in [
            ("units on hand", self.units_on_hand),
            ("units returned", self.units_returned),
            ("units updated", self.units_updated),
            ("units destroyed", self.units_destroyed),
            ("sub-recipients notified", self.sub_recipients_notified),
        ] {
            if v > MAX_REPORTED_UNITS {
                return Err(err(format!("{name} is {v}, more than {MAX_REPORTED_UNITS}: check the figure")));
            }
        }
        Ok(())
    }

    /// Units dealt with: returned, updated or destroyed.
    pub fn resolved(&self) -> u64 {
        self.units_returned + self.units_updated + self.units_destroyed
    }
}

/// Counts over an action's recipients, as the store aggregates them. A recipient is *reached* when a
/// notice to it was delivered, *acknowledged* when it answered through its link, *resolved* when it
/// answered and holds no unit any more. Units: a recipient's supplied quantity counts as reached or
/// acknowledged with the recipient; resolved units are those it reported returned, updated or
/// destroyed, capped at what it was supplied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub recipients_total: u64,
    pub recipients_notified: u64,
    pub recipients_reached: u64,
    pub recipients_acknowledged: u64,
    pub recipients_resolved: u64,
    pub units_total: u64,
    pub units_reached: u64,
    pub units_acknowledged: u64,
    pub units_resolved: u64,
    pub sub_recipients_notified: u64,
}

/// Shares of an action's figures, in per cent with one decimal, and whether the check level is met.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Effectiveness {
    pub level: Level,
    /// Recipients whose answer the level requires.
    pub required_recipients: u64,
    pub recipients_reached_pct: f64,
    pub recipients_acknowledged_pct: f64,
    pub recipients_resolved_pct: f64,
    pub units_reached_pct: f64,
    pub units_acknowledged_pct: f64,
    pub units_resolved_pct: f64,
    /// Whether as many recipients acknowledged as the level requires.
    pub check_met: bool,
}

/// `part` of `whole` in per cent, one decimal; 0 of 0 is 0 %.
pub fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    ((part as f64) * 1000.0 / (whole as f64)).round() / 10.0
}

pub fn effectiveness(level: Level, f: &Figures) -> Effectiveness {
    let required = level.required_count(f.recipients_total);
    Effectiveness {
        level,
        required_recipients: required,
        recipients_reached_pct: pct(f.recipients_reached, f.recipients_total),
        recipients_acknowledged_pct: pct(f.recipients_acknowledged, f.recipients_total),
        recipients_resolved_pct: pct(f.recipients_resolved, f.recipients_total),
        units_reached_pct: pct(f.units_reached, f.units_total),
        units_acknowledged_pct: pct(f.units_acknowledged, f.units_total),
        units_resolved_pct: pct(f.units_resolved, f.units_total),
        check_met: f.recipients_acknowledged >= required,
    }
}

/// Delivery state of an outbox message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first attempt.
    Queued,
    /// Claimed by a worker until its lease ends.
    Sending,
    Sent,
    /// A temporary failure: tried again at `next_attempt_at`.
    Deferred,
    /// Refused permanently by the receiving side (unknown mailbox, 4xx webhook).
    Bounced,
    /// Gave up after [`MAX_ATTEMPTS`].
    Failed,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 6] = [
        DeliveryState::Queued,
        DeliveryState::Sending,
        DeliveryState::Sent,
        DeliveryState::Deferred,
        DeliveryState::Bounced,
        DeliveryState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Deferred => "deferred",
            DeliveryState::Bounced => "bounced",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(v: &str) -> Result<Self, ValueError> {
        DeliveryState::ALL.into_iter().find(|s| s.as_str() == v.trim()).ok_or_else(|| {
            err(format!(
                "'{}' is not a delivery state (expected queued, sending, sent, deferred, bounced or failed)",
                v.trim()
            ))
        })
    }
}

/// Attempts after which a message that keeps failing temporarily is marked failed.
pub const MAX_ATTEMPTS: u32 = 12;
/// First retry delay, seconds; doubled at each attempt up to [`MAX_BACKOFF_SECS`].
pub const BASE_BACKOFF_SECS: u64 = 30;
pub const MAX_BACKOFF_SECS: u64 = 3600;

/// Seconds to wait before attempt `attempts + 1`, after `attempts` failed ones: exponential backoff
/// (30 s, 60 s, 120 s … capped at an hour) with "equal jitter": half the delay fixed, half scaled by
/// `jitter` in [0, 1), which the caller draws at random so that many deferred messages do not all
/// come back at once. Never less than one second.
pub fn backoff_secs(attempts: u32, jitter: f64, base: u64) -> u64 {
    let exp = base.saturating_mul(1u64 << attempts.saturating_sub(1).min(20));
    let delay = exp.min(MAX_BACKOFF_SECS.max(base));
    let half = delay / 2;
    let j = jitter.clamp(0.0, 0.999_999);
    // At least a second: times are kept to the second, and a retry must not be due at once.
    (half + ((delay - half) as f64 * j) as u64).max(1)
}

/// What happens to a message after a failed attempt: deferred (with the delay) or failed for good.
pub fn after_failure(attempts: u32, permanent: bool, jitter: f64, base: u64) -> (DeliveryState, Option<u64>) {
    if permanent {
        return (DeliveryState::Bounced, None);
    }
    if attempts >= MAX_ATTEMPTS {
        return (DeliveryState::Failed, None);
    }
    (DeliveryState::Deferred, Some(backoff_secs(attempts, jitter, base)))
}
