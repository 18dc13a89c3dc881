//! The MSA cooperation inbox: authorities, their requests, and the clocks that run on them.
//!
//! This module knows how to count a deadline (calendar days or working days, honouring weekends and a
//! per-Member-State holiday list the caller passes in), when an acknowledgement is due, which steps a
//! request may take next, and whether a request is overdue or due soon at a `now` the caller passes
//! in. It reads no clock, no file and no database: the holiday list and the authority directory are
//! data (see [`defaults`] for the built-in starting points, which the operator reviews and edits).
//!
//! Architecture invariant: an overdue request is a finding in [`Standing`], never an `Err`.

pub mod defaults;

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ZonedDateTime as Zoned};
use serde::{Deserialize, Serialize};

use crate::model::{ValueError, optional_text, required_text};
use crate::{Date, MemberState, ProductId, Version};

fn err(message: impl Into<String>) -> ValueError {
    ValueError { message: message.into() }
}

/// The acknowledgement clock's policy default: 24 hours from receipt (an operator policy, not a
/// number from the law; LEGAL.md: "Immediately" has no hour count).
pub const DEFAULT_ACK_HOURS: i64 = 24;

/// The longest deadline in days accepted when registering a request (longer ones are typos).
pub const MAX_DEADLINE_DAYS: u32 = 3650;

/// How many days before the deadline a request counts as "due soon" by default.
pub const DEFAULT_DUE_SOON_DAYS: i64 = 3;

// ---------------------------------------------------------------------------------------------
// Holidays and working days
// ---------------------------------------------------------------------------------------------

/// A public holiday in one Member State.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Holiday {
    /// ISO 3166-1 alpha-2 code of the Member State.
    pub country: String,
    pub date: Date,
    pub name: String,
}

/// The days that are not working days in one Member State, besides Saturdays and Sundays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<Date>,
}

impl Calendar {
    /// The calendar of `country` from a list of holidays of any countries.
    pub fn for_country(country: &str, holidays: &[Holiday]) -> Self {
        Calendar {
            holidays: holidays.iter().filter(|h| h.country.eq_ignore_ascii_case(country)).map(|h| h.date).collect(),
        }
    }

    /// A calendar with weekends only.
    pub fn weekends_only() -> Self {
        Calendar::default()
    }

    /// Monday to Friday and not a holiday.
    pub fn is_working_day(&self, day: Date) -> bool {
        !matches!(day.inner().weekday(), Weekday::Saturday | Weekday::Sunday) && !self.holidays.contains(&day)
    }

    /// The `n`th working day after `start` (`start` itself is not counted: a request received on a
    /// Friday with 1 working day is due on Monday). `n = 0` is `start` itself.
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day.plus_days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }
}

// ---------------------------------------------------------------------------------------------
// Receipt, deadlines and the acknowledgement clock
// ---------------------------------------------------------------------------------------------

/// An IANA time zone name, checked against the time zone database.
pub fn parse_time_zone(name: &str) -> Result<TimeZone, ValueError> {
    TimeZone::get(name.trim()).map_err(|_| {
        err(format!("'{}' is not a known IANA time zone (expected a name such as Europe/Berlin)", name.trim()))
    })
}

/// Parses when a request was received. Accepted: a date-time with its zone
/// (`2026-03-27T16:30:00+01:00[Europe/Berlin]`), with an offset (`2026-03-27T16:30:00+01:00`, then
/// shown in `zone`), or without either (`2026-03-27T16:30`, read as a local time in `zone`, the
/// authority's time zone; a time skipped by a DST change moves forward, a repeated one takes the
/// earlier offset).
pub fn parse_received(input: &str, zone: &TimeZone) -> Result<Zoned, ValueError> {
    let z = parse_any_received(input, zone)?;
    if !(1900..=9999).contains(&z.date().year()) {
        return Err(err(format!("'{}' is not a plausible date of receipt: expected a year from 1900", input.trim())));
    }
    Ok(z)
}

fn parse_any_received(input: &str, zone: &TimeZone) -> Result<Zoned, ValueError> {
    let s = input.trim();
    if let Ok(z) = s.parse::<Zoned>() {
        return Ok(z);
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts.to_zoned_datetime(zone.clone()));
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return zone
            .to_zoned_datetime(dt)
            .map_err(|e| err(format!("'{s}' cannot be placed in the authority's time zone: {e}")));
    }
    Err(err(format!(
        "'{s}' is not a date-time: expected for example 2026-03-27T16:30:00+01:00[Europe/Berlin], 2026-03-27T16:30:00+01:00 or 2026-03-27T16:30 (authority's time zone)"
    )))
}

/// How the authority set its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DeadlineRule {
    /// A date given in the letter.
    Date(Date),
    /// N calendar days from the day of receipt (in the authority's time zone).
    Days(u32),
    /// N working days from the day of receipt (weekends and the Member State's holidays skipped).
    WorkingDays(u32),
}

/// The last day to answer. A deadline that would end on a day that is not a working day is not
/// moved: the law gives no general rule, and moving it later is the riskier error.
pub fn due_date(received: &Zoned, rule: DeadlineRule, calendar: &Calendar) -> Date {
    let day = Date::from_civil(received.date());
    match rule {
        DeadlineRule::Date(d) => d,
        DeadlineRule::Days(n) => day.plus_days(i64::from(n)),
        DeadlineRule::WorkingDays(n) => calendar.add_working_days(day, n),
    }
}

/// The instant the deadline passes: the start of the day after `due`, in the authority's time zone.
pub fn due_end(due: Date, zone: &TimeZone) -> Timestamp {
    let next = due.plus_days(1).inner().to_datetime(jiff::civil::Time::midnight());
    zone.to_timestamp(next).unwrap_or(Timestamp::MAX)
}

/// When the acknowledgement is due: `hours` elapsed hours after receipt (across a DST change this is
/// still `hours` real hours).
pub fn ack_due(received: &Zoned, hours: i64) -> Zoned {
    received.checked_add(SignedDuration::from_hours(hours)).unwrap_or_else(|_| received.clone())
}

/// Parses an instant (RFC 3339, e.g. `2026-12-04T10:00:00Z`), the `now` the clocks are read at.
pub fn parse_instant(input: &str) -> Result<Timestamp, ValueError> {
    input.trim().parse().map_err(|_| {
        err(format!("'{}' is not an RFC 3339 instant: expected for example 2026-12-04T10:00:00Z", input.trim()))
    })
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// What an authority asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ask {
    /// Supply-chain identification (CRA Art 23).
    Trace,
    /// Information and documentation showing conformity.
    Documents,
    Sbom,
    Samples,
    Access,
}

impl Ask {
    pub const ALL: [Ask; 5] = [Ask::Trace, Ask::Documents, Ask::Sbom, Ask::Samples, Ask::Access];

    pub fn as_str(self) -> &'static str {
        match self {
            Ask::Trace => "trace",
            Ask::Documents => "documents",
            Ask::Sbom => "sbom",
            Ask::Samples => "samples",
            Ask::Access => "access",
        }
    }

    /// Parses a comma-separated list such as `trace,documents,sbom`.
    pub fn parse_list(input: &str) -> Result<Vec<Ask>, ValueError> {
        let mut out = BTreeSet::new();
        for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let ask = Ask::ALL.into_iter().find(|a| a.as_str().eq_ignore_ascii_case(part)).ok_or_else(|| {
                err(format!(
                    "'{part}' is not something an authority asks for: use a list of trace,documents,sbom,samples,access"
                ))
            })?;
            out.insert(ask);
        }
        if out.is_empty() {
            return Err(err("the list of what is asked is empty: use a list of trace,documents,sbom,samples,access"));
        }
        Ok(out.into_iter().collect())
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Received,
    Acknowledged,
    PackageBuilt,
    Sent,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Acknowledged => "acknowledged",
            Status::PackageBuilt => "package_built",
            Status::Sent => "sent",
            Status::Closed => "closed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step in a request's life, as recorded in its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    Received,
    Acknowledged,
    PackageBuilt,
    Sent,
    /// We asked the authority for more time.
    ExtensionAsked,
    /// The authority granted a new deadline.
    ExtensionGiven {
        due: Date,
    },
    Closed,
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Received => "received",
            Step::Acknowledged => "acknowledged",
            Step::PackageBuilt => "package_built",
            Step::Sent => "sent",
            Step::ExtensionAsked => "extension_asked",
            Step::ExtensionGiven { .. } => "extension_given",
            Step::Closed => "closed",
        }
    }
}

/// One entry of a request's timeline: what happened, when (RFC 3339 UTC), who, and an optional note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    #[serde(flatten)]
    pub step: Step,
    pub at: String,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A request as registered, before the store gives it an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequest {
    /// The authority's id in the directory.
    pub authority: String,
    /// The authority's own reference.
    pub reference: String,
    /// When it was received, RFC 9557 (`2026-03-27T16:30:00+01:00[Europe/Berlin]`).
    pub received_at: String,
    /// When the acknowledgement is due, same form.
    pub ack_due: String,
    pub deadline: DeadlineRule,
    /// The last day to answer, in the authority's time zone.
    pub due: Date,
    pub product: ProductId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    pub asks: Vec<Ask>,
}

/// What the operator types to register a request, before the clocks are computed.
#[derive(Debug, Clone)]
pub struct RequestInput<'a> {
    pub authority: &'a Authority,
    pub reference: &'a str,
    pub received: &'a str,
    pub deadline: DeadlineRule,
    pub product: ProductId,
    pub version: Option<Version>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub asks: Vec<Ask>,
    pub ack_hours: i64,
}

impl NewRequest {
    /// Computes the clocks of a request: receipt in the authority's time zone, acknowledgement due,
    /// response due (working days counted with `holidays` of the authority's Member State).
    pub fn build(input: RequestInput<'_>, holidays: &[Holiday]) -> Result<NewRequest, ValueError> {
        if let DeadlineRule::Days(n) | DeadlineRule::WorkingDays(n) = input.deadline
            && n > MAX_DEADLINE_DAYS
        {
            return Err(err(format!(
                "a deadline of {n} days is not plausible (at most {MAX_DEADLINE_DAYS}): check --due-days or --due-working-days"
            )));
        }
        let zone = parse_time_zone(&input.authority.time_zone)?;
        let received = parse_received(input.received, &zone)?;
        let calendar = Calendar::for_country(input.authority.country.as_str(), holidays);
        let due = due_date(&received, input.deadline, &calendar);
        if due < Date::from_civil(received.date()) {
            return Err(err(format!("the deadline {due} is before the day of receipt: check --due and --received")));
        }
        if let (Some(f), Some(t)) = (input.from, input.to)
            && f > t
        {
            return Err(err(format!("--from {f} is after --to {t}: swap them")));
        }
        Ok(NewRequest {
            authority: input.authority.id.clone(),
            reference: required_text("reference", input.reference)?,
            received_at: received.to_string(),
            ack_due: ack_due(&received, input.ack_hours).to_string(),
            deadline: input.deadline,
            due,
            product: input.product,
            version: input.version,
            from: input.from,
            to: input.to,
            asks: input.asks,
        })
    }
}

/// A registered request with its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: i64,
    #[serde(flatten)]
    pub new: NewRequest,
    pub status: Status,
    /// When it was acknowledged (RFC 3339 UTC), once it was.
    pub acknowledged_at: Option<String>,
    /// Whether an extension was asked and not yet answered.
    #[serde(default)]
    pub extension_pending: bool,
    pub timeline: Vec<TimelineEntry>,
}

impl Request {
    /// A request just registered: status received, one timeline entry.
    pub fn received(id: i64, new: NewRequest, at: &str, actor: &str) -> Request {
        Request {
            id,
            new,
            status: Status::Received,
            acknowledged_at: None,
            extension_pending: false,
            timeline: vec![TimelineEntry { step: Step::Received, at: at.into(), actor: actor.into(), note: None }],
        }
    }

    /// Takes a step, or says why it cannot be taken now. Steps go forward only
    /// (received → acknowledged → package built → sent → closed); a package may be rebuilt before it
    /// is sent; an extension may be asked and given while the request is open; closing is allowed
    /// from any open status (the authority may withdraw its request).
    pub fn apply(&mut self, step: Step, at: &str, actor: &str, note: Option<&str>) -> Result<(), ValueError> {
        use Status as S;
        let refuse = |what: &str| {
            err(format!(
                "request #{} is {}: it cannot be {what} now (see `msadesk request show {}`)",
                self.id, self.status, self.id
            ))
        };
        let next = match (&step, self.status) {
            (_, S::Closed) => return Err(refuse(step.name())),
            (Step::Received, _) => return Err(refuse("received again")),
            (Step::Acknowledged, S::Received) => S::Acknowledged,
            (Step::Acknowledged, _) => return Err(refuse("acknowledged again")),
            (Step::PackageBuilt, S::Acknowledged | S::PackageBuilt) => S::PackageBuilt,
            (Step::PackageBuilt, _) => return Err(refuse("packaged (acknowledge it first)")),
            (Step::Sent, S::PackageBuilt) => S::Sent,
            (Step::Sent, _) => return Err(refuse("sent (build the package first)")),
            (Step::ExtensionAsked, s) if s != S::Sent => {
                if self.extension_pending {
                    return Err(refuse("asked for an extension twice"));
                }
                self.extension_pending = true;
                s
            }
            (Step::ExtensionAsked, _) => return Err(refuse("given an extension (it was sent)")),
            (Step::ExtensionGiven { due }, s) => {
                if *due < self.new.due {
                    return Err(err(format!(
                        "the new deadline {due} is before the current one {}: an extension moves it later",
                        self.new.due
                    )));
                }
                self.new.due = *due;
                self.new.deadline = DeadlineRule::Date(*due);
                self.extension_pending = false;
                s
            }
            (Step::Closed, _) => S::Closed,
        };
        if step == Step::Acknowledged {
            self.acknowledged_at = Some(at.to_string());
        }
        let note = note.map(|n| optional_text("note", n)).transpose()?.flatten();
        self.status = next;
        self.timeline.push(TimelineEntry { step, at: at.into(), actor: actor.into(), note });
        Ok(())
    }

    /// Overdue and due-soon findings at `now`.
    pub fn standing(&self, now: Timestamp, due_soon_days: i64) -> Standing {
        let received: Option<Zoned> = self.new.received_at.parse().ok();
        let zone = received.as_ref().map_or(TimeZone::UTC, |z| z.time_zone().clone());
        let end = due_end(self.new.due, &zone);
        let open = !matches!(self.status, Status::Sent | Status::Closed);
        let overdue = open && now >= end;
        let soon_from = end.checked_sub(SignedDuration::from_hours(24 * due_soon_days)).unwrap_or(Timestamp::MIN);
        let due_soon = open && !overdue && now >= soon_from;
        let ack_overdue = self.acknowledged_at.is_none()
            && self.status != Status::Closed
            && self.new.ack_due.parse::<Zoned>().is_ok_and(|a| now >= a.timestamp());
        Standing { overdue, due_soon, ack_overdue }
    }
}

/// Findings about a request's clocks at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Standing {
    /// Not sent or closed, and its response deadline has passed.
    pub overdue: bool,
    /// Not sent or closed, deadline within the due-soon window.
    pub due_soon: bool,
    /// Not acknowledged, and the acknowledgement clock ran out.
    pub ack_overdue: bool,
}

// ---------------------------------------------------------------------------------------------
// The authority directory
// ---------------------------------------------------------------------------------------------

/// What an authority is for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityKind {
    /// A market surveillance authority.
    Msa,
    /// The CSIRT designated as coordinator (Art 14 reporting).
    Csirt,
}

impl AuthorityKind {
    pub fn parse(v: &str) -> Result<Self, ValueError> {
        match v.trim().to_ascii_lowercase().as_str() {
            "msa" => Ok(AuthorityKind::Msa),
            "csirt" => Ok(AuthorityKind::Csirt),
            other => Err(err(format!("'{other}' is not an authority kind: use msa or csirt"))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorityKind::Msa => "msa",
            AuthorityKind::Csirt => "csirt",
        }
    }
}

/// One entry of the authority directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authority {
    /// Short stable id chosen by the operator (`de-bnetza`).
    pub id: String,
    /// The Member State (ISO code).
    #[serde(serialize_with = "ser_ms", deserialize_with = "de_ms")]
    pub country: MemberState,
    pub name: String,
    #[serde(default)]
    pub postal_address: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub portal: Option<String>,
    /// Languages the authority easily understands (ISO 639-1, e.g. `de`, `en`).
    #[serde(default)]
    pub languages: Vec<String>,
    /// IANA time zone its deadlines run in.
    pub time_zone: String,
    pub kind: AuthorityKind,
    /// Where the entry comes from.
    pub source: String,
    /// Whether the designation under CRA Art 52 has been confirmed.
    pub confirmed: bool,
}

fn ser_ms<S: serde::Serializer>(m: &MemberState, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

fn de_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<MemberState, D::Error> {
    let s = String::deserialize(d)?;
    MemberState::parse(&s).map_err(serde::de::Error::custom)
}

impl Authority {
    /// Checks every field (an entry read from a file or typed by the operator).
    pub fn validate(mut self) -> Result<Authority, ValueError> {
        let id = self.id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(err(format!(
                "authority id '{id}' is not valid: use 1 to 64 lower-case letters, digits, '-' or '_' (e.g. de-bnetza)"
            )));
        }
        self.id = id.to_string();
        self.name = required_text("name", &self.name)?;
        self.source = required_text("source", &self.source)?;
        self.postal_address =
            self.postal_address.as_deref().map(|v| optional_text("postal_address", v)).transpose()?.flatten();
        self.portal = self.portal.as_deref().map(|v| optional_text("portal", v)).transpose()?.flatten();
        self.email = match self.email.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => Some(crate::Email::parse(v)?.as_str().to_string()),
            None => None,
        };
        for l in &mut self.languages {
            *l = l.trim().to_ascii_lowercase();
            if l.len() != 2 || !l.chars().all(|c| c.is_ascii_lowercase()) {
                return Err(err(format!(
                    "language '{l}' is not an ISO 639-1 code: use two letters such as de, fr, en"
                )));
            }
        }
        self.languages.retain(|l| !l.is_empty());
        parse_time_zone(&self.time_zone)?;
        self.time_zone = self.time_zone.trim().to_string();
        Ok(self)
    }
}

#[cfg(test)]
mod tests;
