//! The readiness report (issue 9): could we answer an authority today, and can we show it?
//!
//! Every item is a live check evaluated from the data, never a box ticked by hand. The caller (the
//! binary or the server, through `msadesk_store::readiness::gather`) reads the store once into a
//! [`Facts`] snapshot; [`evaluate`] turns it into a [`ReadinessReport`]: each [`Check`] with its
//! status, its evidence (text, figures, the items that make a gap), what to do about a gap (with the
//! exact msadesk command), and the penalty tier of CRA Art 64 a gap falls under — shown as the tier,
//! never as a computed fine. Figures and monthly trends for charts come from the same facts.
//!
//! This module is pure: no I/O, no clock (the caller passes `today` and the instant the facts were
//! read). A gap is data, never an `Err`.
//!
//! Adding a check is adding one function `fn(&Facts, &ReadinessPolicy) -> Check` to [`CHECKS`]
//! (and the facts it needs to [`Facts`]); its id is stable once published (the JSON is documented
//! in README.md).

mod checks;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use jiff::{Timestamp, ZonedDateTime as Zoned};
use serde::{Serialize, Serializer};

use crate::audit::ChainBreak;
use crate::inbox::{Request, Standing, Status as RequestStatus};
use crate::legal::{self, LegalRef};
use crate::retention::Hold;
use crate::{Country, Date, OurRole, OwnIdentity, Party, ProductId, Version};

pub use checks::*;

/// The version of the report's JSON shape. Raised when a key is renamed or removed (keys may be
/// added without raising it).
pub const SCHEMA_VERSION: u32 = 1;

/// How many offending items a check lists; the rest are counted in `more_items`.
pub const MAX_ITEMS: usize = 50;

/// The state of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Gap,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Gap => "gap",
            Status::NotApplicable => "not_applicable",
        }
    }
}

/// What a check is about; the report is grouped by area in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Identity,
    Traceability,
    Authorities,
    Documentation,
    Vulnerabilities,
    Requests,
    CorrectiveActions,
    Evidence,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Identity => "identity",
            Area::Traceability => "traceability",
            Area::Authorities => "authorities",
            Area::Documentation => "documentation",
            Area::Vulnerabilities => "vulnerabilities",
            Area::Requests => "requests",
            Area::CorrectiveActions => "corrective_actions",
            Area::Evidence => "evidence",
        }
    }
}

/// The penalty tier of CRA Art 64 a gap falls under. Shown as the tier with its maximum as the law
/// states it, never as an amount computed for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PenaltyTier {
    /// Art 64(2): essential requirements, Arts 13–14 (manufacturers).
    EssentialRequirements,
    /// Art 64(3): Arts 18–23 (importers, distributors, authorised representatives, Art 23), Art 53.
    OperatorObligations,
    /// Art 64(4): incorrect, incomplete or misleading information to authorities.
    MisleadingInformation,
}

impl PenaltyTier {
    pub const ALL: [PenaltyTier; 3] =
        [PenaltyTier::EssentialRequirements, PenaltyTier::OperatorObligations, PenaltyTier::MisleadingInformation];

    /// "64(2)", "64(3)" or "64(4)".
    pub fn tier(self) -> &'static str {
        match self {
            PenaltyTier::EssentialRequirements => "64(2)",
            PenaltyTier::OperatorObligations => "64(3)",
            PenaltyTier::MisleadingInformation => "64(4)",
        }
    }

    pub fn legal(self) -> LegalRef {
        match self {
            PenaltyTier::EssentialRequirements => legal::PENALTY_ESSENTIAL_REQUIREMENTS,
            PenaltyTier::OperatorObligations => legal::PENALTY_ART_23,
            PenaltyTier::MisleadingInformation => legal::PENALTY_MISLEADING_INFORMATION,
        }
    }

    /// The tier for a duty that falls on manufacturers under Arts 13–14 and on the other roles under
    /// Arts 18–20: the higher tier when any product concerned is ours as manufacturer.
    pub fn for_roles(roles: impl IntoIterator<Item = OurRole>) -> PenaltyTier {
        if roles.into_iter().any(|r| r == OurRole::Manufacturer) {
            PenaltyTier::EssentialRequirements
        } else {
            PenaltyTier::OperatorObligations
        }
    }
}

impl Serialize for PenaltyTier {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire {
            tier: &'static str,
            cite: &'static str,
            summary: &'static str,
        }
        let l = self.legal();
        Wire { tier: self.tier(), cite: l.cite, summary: l.summary }.serialize(s)
    }
}

/// A number shown with a check or in the report's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figure {
    /// Stable key, e.g. `versions_with_events`.
    pub key: &'static str,
    /// Label for people.
    pub label: &'static str,
    pub value: i64,
    /// `count`, `days`, `ms`.
    pub unit: &'static str,
}

pub(crate) fn figure(key: &'static str, label: &'static str, value: impl TryInto<i64>, unit: &'static str) -> Figure {
    Figure { key, label, value: value.try_into().unwrap_or(i64::MAX), unit }
}

/// What a check found: a sentence, its figures, and the items that make the gap (or, for
/// informational checks, the items listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub text: String,
    pub figures: Vec<Figure>,
    /// At most [`MAX_ITEMS`].
    pub items: Vec<String>,
    /// Items left out of `items`.
    pub more_items: u64,
}

impl Evidence {
    pub fn new(text: impl Into<String>) -> Self {
        Evidence { text: text.into(), figures: Vec::new(), items: Vec::new(), more_items: 0 }
    }
    pub fn figure(mut self, f: Figure) -> Self {
        self.figures.push(f);
        self
    }
    pub fn items(mut self, items: impl IntoIterator<Item = String>) -> Self {
        for i in items {
            if self.items.len() < MAX_ITEMS {
                self.items.push(i);
            } else {
                self.more_items += 1;
            }
        }
        self
    }
}

/// One live check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable id, `area.name` (e.g. `identity.contact`).
    pub id: &'static str,
    pub area: Area,
    pub title: &'static str,
    pub status: Status,
    pub evidence: Evidence,
    /// What to do, with the exact msadesk command (gaps only).
    pub fix: Option<String>,
    /// The Art 64 tier the gap falls under (gaps only; `None` when no CRA penalty applies).
    pub penalty_tier: Option<PenaltyTier>,
    /// The provision the check is about.
    pub basis: Option<LegalRef>,
}

impl Check {
    pub(crate) fn ok(id: &'static str, area: Area, title: &'static str, evidence: Evidence) -> Check {
        Check { id, area, title, status: Status::Ok, evidence, fix: None, penalty_tier: None, basis: None }
    }
    pub(crate) fn na(id: &'static str, area: Area, title: &'static str, why: impl Into<String>) -> Check {
        Check {
            id,
            area,
            title,
            status: Status::NotApplicable,
            evidence: Evidence::new(why),
            fix: None,
            penalty_tier: None,
            basis: None,
        }
    }
    pub(crate) fn gap(
        id: &'static str,
        area: Area,
        title: &'static str,
        evidence: Evidence,
        fix: impl Into<String>,
        tier: Option<PenaltyTier>,
    ) -> Check {
        Check { id, area, title, status: Status::Gap, evidence, fix: Some(fix.into()), penalty_tier: tier, basis: None }
    }
    pub(crate) fn basis(mut self, basis: LegalRef) -> Check {
        self.basis = Some(basis);
        self
    }
}

/// The operator's readiness policy: how fresh is fresh, how fast is fast. Data, shown in the report;
/// read from JSON where every field is optional (missing ones keep the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadinessPolicy {
    /// Vulnerability data and the known-exploited list may be this many days old.
    pub feed_max_age_days: i64,
    /// A version's current SBOM may be this many days old.
    pub sbom_max_age_days: i64,
    /// The last backup may be this many days old.
    pub backup_max_age_days: i64,
    /// The last retention run may be this many days old.
    pub retention_run_max_age_days: i64,
    /// The Art 23 trace of the largest product must answer within this many milliseconds.
    pub trace_max_ms: u64,
}

impl Default for ReadinessPolicy {
    fn default() -> Self {
        ReadinessPolicy {
            feed_max_age_days: 7,
            sbom_max_age_days: 365,
            backup_max_age_days: 7,
            retention_run_max_age_days: 31,
            trace_max_ms: 1000,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Facts: what the store holds, read once
// ---------------------------------------------------------------------------------------------

/// A product as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFacts {
    pub id: ProductId,
    pub name: String,
    /// The role recorded for this product, if it overrides the default.
    pub explicit_role: Option<OurRole>,
    pub manufacturer: Option<String>,
    pub stub: bool,
}

/// A product version as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFacts {
    pub product_id: ProductId,
    pub version: Version,
    /// Our role for it (the product's, or the default from `msadesk init`, if any).
    pub role: Option<OurRole>,
    pub placed_on_market: Option<Date>,
    pub end_of_support: Option<Date>,
    pub stub: bool,
    /// Supply events in either direction.
    pub events: u64,
    /// Countries we supplied it to (downstream), sorted and unique.
    pub supplied_to: Vec<Country>,
    /// When its current SBOM was imported, if it has one.
    pub sbom_imported: Option<Date>,
    /// Kinds of the documents in the library for it (`doc`, `technical_documentation`, `sbom`, …).
    pub documents: Vec<String>,
}

impl VersionFacts {
    pub fn label(&self) -> String {
        format!("{} {}", self.product_id, self.version)
    }
}

/// A counterparty as named and addressed at a group of its events (one trace entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventParty {
    pub product_id: ProductId,
    pub operator_id: String,
    pub name: String,
    pub address: String,
    pub country: Country,
    pub deliveries: u64,
}

/// How long the Art 23 trace of the product with the most events took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceTiming {
    pub product_id: ProductId,
    pub events: u64,
    pub millis: u64,
}

/// A directory entry, as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityFacts {
    pub id: String,
    pub country: Country,
    pub confirmed: bool,
    /// A market surveillance authority (not a CSIRT).
    pub msa: bool,
    /// Languages it easily understands (ISO 639-1), as the directory says.
    pub languages: Vec<String>,
}

/// What kind of feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    Vulnerabilities,
    KnownExploited,
}

/// The newest data of one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedFacts {
    pub kind: FeedKind,
    pub name: String,
    /// The date the newest data was taken (vulnerability feeds: `--feed-date`; known-exploited
    /// catalogues: the day of their latest import, the catalogue's own date not being stored).
    pub taken: Date,
}

/// A (product version, vulnerability) whose latest policy decision is "significant" and that no
/// officer has decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAssessment {
    pub product_id: ProductId,
    pub version: Version,
    pub vulnerability: String,
    pub role: Option<OurRole>,
    /// When the policy first found it significant, RFC 3339.
    pub since: String,
}

/// A duty to inform (CRA Arts 14, 19(5), 20(4)) of a current assessment, and whether its notice was
/// recorded as sent (`msadesk notice sent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationFacts {
    pub product_id: ProductId,
    pub version: Version,
    pub vulnerability: String,
    /// `manufacturer`, `msa`, `csirt_enisa`, `users`, `end_users`.
    pub to: String,
    /// `inform`, `early_warning`, `notification`, `final_report`.
    pub what: String,
    /// RFC 3339, when the policy could compute it.
    pub due: Option<String>,
    pub legal_duty: bool,
    pub sent: bool,
    pub role: Option<OurRole>,
}

impl ObligationFacts {
    /// Overdue at `now` (RFC 3339): a legal duty, not sent, past due (`vuln::obligations::is_overdue`).
    pub fn overdue(&self, now: &str) -> bool {
        crate::vuln::obligations::is_overdue(self.due.as_deref(), self.legal_duty, self.sent, now)
    }
}

/// A notice recorded as sent, for the trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeFacts {
    pub sent: Date,
}

/// A request from an authority, with its clocks evaluated when the facts were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub id: i64,
    pub authority: String,
    pub reference: String,
    /// The day of receipt in the authority's zone.
    pub received: Option<Date>,
    pub status: RequestStatus,
    pub due: Date,
    pub standing: Standing,
    /// Hours from receipt to the response being sent (or the request closed), once it was.
    pub response_hours: Option<i64>,
}

impl RequestFacts {
    /// The facts of a request at `now`.
    pub fn from_request(r: &Request, now: Timestamp) -> RequestFacts {
        let received: Option<Zoned> = r.new.received_at.parse().ok();
        let answered = r
            .timeline
            .iter()
            .find(|t| t.step.name() == "sent")
            .or_else(|| r.timeline.iter().find(|t| t.step.name() == "closed"))
            .and_then(|t| t.at.parse::<Timestamp>().ok());
        let response_hours = match (&received, answered) {
            (Some(rec), Some(a)) => Some((a.as_second() - rec.timestamp().as_second()).max(0) / 3600),
            _ => None,
        };
        RequestFacts {
            id: r.id,
            authority: r.new.authority.clone(),
            reference: r.new.reference.clone(),
            received: received.map(|z| Date::from_civil(z.date())),
            status: r.status,
            due: r.new.due,
            standing: r.standing(now, 3),
            response_hours,
        }
    }

    pub fn label(&self) -> String {
        format!("#{} {} ({})", self.id, self.reference, self.authority)
    }

    fn open(&self) -> bool {
        !matches!(self.status, RequestStatus::Sent | RequestStatus::Closed)
    }
}

/// A corrective action (issue 8) as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFacts {
    pub id: i64,
    /// `recall`, `update` … (`action::ActionType::as_str`).
    pub action_type: String,
    pub product_id: ProductId,
    pub status: crate::action::Status,
    /// Received (ordered) or decided (voluntary).
    pub received: Date,
    /// The date by which the action must be completed.
    pub due: Date,
    pub level: crate::action::Level,
    pub figures: crate::action::Figures,
    /// Our role for the product (its own, or the default from `msadesk init`).
    pub role: Option<OurRole>,
}

impl ActionFacts {
    pub fn label(&self) -> String {
        format!("#{} {} of {}", self.id, self.action_type, self.product_id)
    }

    /// Not yet completed (completed, reported and closed actions are done).
    pub fn open(&self) -> bool {
        self.status < crate::action::Status::Completed
    }

    /// Open and past its due date on `today`.
    pub fn overdue(&self, today: Date) -> bool {
        self.open() && today > self.due
    }

    /// Recipients have been notified, so the effectiveness check applies.
    pub fn notified(&self) -> bool {
        self.status >= crate::action::Status::RecipientsNotified
    }

    pub fn effectiveness(&self) -> crate::action::Effectiveness {
        crate::action::effectiveness(self.level, &self.figures)
    }
}

/// Supply records against their retention (from a dry run of the retention job).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SupplyRetention {
    /// Supply events in the registry.
    pub total: u64,
    /// Past their retention end and not held: the next retention run deletes them.
    pub expired: u64,
    /// Past their retention end but kept by a legal hold.
    pub held: u64,
    /// Deleted by retention runs so far (tombstones).
    pub deleted: u64,
}

/// A recorded risk decision, for the trend of significant findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionFacts {
    pub decided: Date,
    pub significant: bool,
    pub officer: bool,
}

/// Everything the checks read, taken from the store at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// When the facts were read, RFC 3339 UTC.
    pub generated_at: String,
    /// The day the ages are counted to.
    pub today: Date,
    /// `sqlite` or `postgres`.
    pub engine: String,
    pub identity: Option<OwnIdentity>,
    pub products: Vec<ProductFacts>,
    pub versions: Vec<VersionFacts>,
    /// Every operator with its latest details.
    pub counterparties: Vec<Party>,
    /// Counterparties as named and addressed at their events. Only those without a postal address
    /// ([`postal_address_problem`]) need to be here: the check reads the total from `supply`.
    pub event_parties: Vec<EventParty>,
    pub trace_timing: Option<TraceTiming>,
    pub authorities: Vec<AuthorityFacts>,
    /// Languages msadesk has letter templates in (ISO 639-1).
    pub letter_languages: Vec<String>,
    pub feeds: Vec<FeedFacts>,
    pub open_assessments: Vec<OpenAssessment>,
    pub decisions: Vec<DecisionFacts>,
    /// The obligations of the current assessments.
    pub obligations: Vec<ObligationFacts>,
    /// Notices recorded as sent.
    pub notices: Vec<NoticeFacts>,
    pub requests: Vec<RequestFacts>,
    /// Corrective actions (issue 8).
    pub actions: Vec<ActionFacts>,
    pub audit_entries: u64,
    /// The first break of the audit chain or of the records it covers.
    pub audit_break: Option<ChainBreak>,
    /// Whether msadesk makes backups of this engine itself (SQLite yes; PostgreSQL is dumped by
    /// its administrator with `pg_dump`).
    pub backups_supported: bool,
    /// When the last backup was made, RFC 3339 (from the audit trail).
    pub last_backup: Option<String>,
    /// When the retention job last ran (not dry), RFC 3339 (from the audit trail).
    pub last_retention_run: Option<String>,
    /// Active legal holds.
    pub holds: Vec<Hold>,
    pub supply: SupplyRetention,
}

impl Facts {
    /// Facts of an empty registry at `today`, for tests and as a starting point.
    pub fn empty(today: Date) -> Facts {
        Facts {
            generated_at: format!("{today}T00:00:00Z"),
            today,
            engine: "sqlite".into(),
            identity: None,
            products: Vec::new(),
            versions: Vec::new(),
            counterparties: Vec::new(),
            event_parties: Vec::new(),
            trace_timing: None,
            authorities: Vec::new(),
            letter_languages: Vec::new(),
            feeds: Vec::new(),
            open_assessments: Vec::new(),
            decisions: Vec::new(),
            obligations: Vec::new(),
            notices: Vec::new(),
            requests: Vec::new(),
            actions: Vec::new(),
            audit_entries: 0,
            audit_break: None,
            backups_supported: true,
            last_backup: None,
            last_retention_run: None,
            holds: Vec::new(),
            supply: SupplyRetention::default(),
        }
    }

    /// The versions with at least one supply event.
    pub fn versions_with_events(&self) -> impl Iterator<Item = &VersionFacts> {
        self.versions.iter().filter(|v| v.events > 0)
    }

    /// Days from an RFC 3339 instant (or a date) to `today`; `None` when it cannot be read.
    pub fn age_days(&self, at: &str) -> Option<i64> {
        let day = Date::parse(at.get(..10)?).ok()?;
        Some(self.today.days_since_epoch() - day.days_since_epoch())
    }
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

/// Counts of checks by status, and of gaps by penalty tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: u64,
    pub ok: u64,
    pub gap: u64,
    pub not_applicable: u64,
    /// Open gaps per Art 64 tier (every tier listed, zero included).
    pub gaps_by_tier: Vec<TierCount>,
    /// Gaps that fall under no CRA penalty.
    pub gaps_without_tier: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierCount {
    pub penalty_tier: PenaltyTier,
    pub gaps: u64,
    /// The ids of the checks with a gap in this tier.
    pub checks: Vec<&'static str>,
}

/// Requests from authorities in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RequestFigures {
    pub total: u64,
    pub open: u64,
    pub overdue: u64,
    pub ack_overdue: u64,
    pub answered: u64,
    /// Median hours from receipt to the response, over answered requests.
    pub median_response_hours: Option<i64>,
}

/// Risk assessments in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RiskFigures {
    pub decisions: u64,
    pub significant_decisions: u64,
    pub officer_decisions: u64,
    pub open_significant: u64,
    /// Legal duties to inform (authorities, manufacturer, CSIRT/ENISA, users) of the current assessments.
    pub notifications_due: u64,
    /// Of those, recorded as sent.
    pub notifications_sent: u64,
    /// Of those, past due and not sent.
    pub notifications_overdue: u64,
}

/// Corrective actions in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ActionFigures {
    pub total: u64,
    /// Not yet completed.
    pub open: u64,
    /// Completed, reported or closed.
    pub done: u64,
    pub closed: u64,
    /// Open and past their due date.
    pub overdue: u64,
    /// Of the actions whose recipients were notified, those whose effectiveness-check level is met.
    pub effectiveness_met: u64,
    /// Of the actions whose recipients were notified, those whose level is not met.
    pub effectiveness_not_met: u64,
    /// Recipients acknowledged over recipients of all notified actions, in per cent (one decimal).
    pub recipients_acknowledged_pct: f64,
}

/// The report's headline numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub supply_records: SupplyRetention,
    /// Supply events within their retention period (total minus expired and held).
    pub supply_within_retention: u64,
    pub requests: RequestFigures,
    pub risk: RiskFigures,
    pub actions: ActionFigures,
    pub products: u64,
    pub versions_with_events: u64,
    pub operators: u64,
    pub active_legal_holds: u64,
}

/// One month's value of a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthValue {
    /// `YYYY-MM`.
    pub month: String,
    pub value: f64,
}

/// A series over the last [`TREND_MONTHS`] months (the current one last), for charts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub key: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    pub months: Vec<MonthValue>,
}

/// Months a trend covers.
pub const TREND_MONTHS: usize = 12;

/// The readiness report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadinessReport {
    pub schema_version: u32,
    pub generated_at: String,
    pub today: Date,
    pub engine: String,
    pub operator: Option<String>,
    pub policy: ReadinessPolicy,
    pub summary: Summary,
    pub checks: Vec<Check>,
    pub figures: Figures,
    pub trends: Vec<Trend>,
}

impl ReadinessReport {
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// Evaluates every check in [`CHECKS`] and computes the figures and trends.
pub fn evaluate(facts: &Facts, policy: &ReadinessPolicy) -> ReadinessReport {
    let checks: Vec<Check> = CHECKS.iter().map(|c| c(facts, policy)).collect();
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count() as u64;
    let gaps_by_tier = PenaltyTier::ALL
        .iter()
        .map(|t| {
            let ids: Vec<&'static str> =
                checks.iter().filter(|c| c.status == Status::Gap && c.penalty_tier == Some(*t)).map(|c| c.id).collect();
            TierCount { penalty_tier: *t, gaps: ids.len() as u64, checks: ids }
        })
        .collect();
    let summary = Summary {
        total: checks.len() as u64,
        ok: count(Status::Ok),
        gap: count(Status::Gap),
        not_applicable: count(Status::NotApplicable),
        gaps_by_tier,
        gaps_without_tier: checks.iter().filter(|c| c.status == Status::Gap && c.penalty_tier.is_none()).count() as u64,
    };
    ReadinessReport {
        schema_version: SCHEMA_VERSION,
        generated_at: facts.generated_at.clone(),
        today: facts.today,
        engine: facts.engine.clone(),
        operator: facts.identity.as_ref().map(|i| i.name.clone()),
        policy: *policy,
        summary,
        checks,
        figures: figures(facts),
        trends: trends(facts),
    }
}

fn figures(f: &Facts) -> Figures {
    let mut hours: Vec<i64> = f.requests.iter().filter_map(|r| r.response_hours).collect();
    hours.sort_unstable();
    let requests = RequestFigures {
        total: f.requests.len() as u64,
        open: f.requests.iter().filter(|r| r.open()).count() as u64,
        overdue: f.requests.iter().filter(|r| r.standing.overdue).count() as u64,
        ack_overdue: f.requests.iter().filter(|r| r.standing.ack_overdue).count() as u64,
        answered: hours.len() as u64,
        median_response_hours: (!hours.is_empty()).then(|| hours[hours.len() / 2]),
    };
    let risk = RiskFigures {
        decisions: f.decisions.len() as u64,
        significant_decisions: f.decisions.iter().filter(|d| d.significant).count() as u64,
        officer_decisions: f.decisions.iter().filter(|d| d.officer).count() as u64,
        open_significant: f.open_assessments.len() as u64,
        notifications_due: f.obligations.iter().filter(|o| o.legal_duty).count() as u64,
        notifications_sent: f.obligations.iter().filter(|o| o.legal_duty && o.sent).count() as u64,
        notifications_overdue: f.obligations.iter().filter(|o| o.overdue(&f.generated_at)).count() as u64,
    };
    let notified: Vec<_> = f.actions.iter().filter(|a| a.notified()).collect();
    let met = notified.iter().filter(|a| a.effectiveness().check_met).count() as u64;
    let actions = ActionFigures {
        total: f.actions.len() as u64,
        open: f.actions.iter().filter(|a| a.open()).count() as u64,
        done: f.actions.iter().filter(|a| !a.open()).count() as u64,
        closed: f.actions.iter().filter(|a| a.status == crate::action::Status::Closed).count() as u64,
        overdue: f.actions.iter().filter(|a| a.overdue(f.today)).count() as u64,
        effectiveness_met: met,
        effectiveness_not_met: notified.len() as u64 - met,
        recipients_acknowledged_pct: crate::action::pct(
            notified.iter().map(|a| a.figures.recipients_acknowledged).sum(),
            notified.iter().map(|a| a.figures.recipients_total).sum(),
        ),
    };
    Figures {
        supply_records: f.supply,
        supply_within_retention: f.supply.total.saturating_sub(f.supply.expired + f.supply.held),
        requests,
        risk,
        actions,
        products: f.products.len() as u64,
        versions_with_events: f.versions_with_events().count() as u64,
        operators: f.counterparties.len() as u64,
        active_legal_holds: f.holds.iter().filter(|h| h.is_active()).count() as u64,
    }
}

/// The last [`TREND_MONTHS`] months, oldest first, ending with the month of `today`.
pub fn trend_months(today: Date) -> Vec<String> {
    let (mut y, mut m) = (i32::from(today.year()), i32::from(today.inner().month()));
    let mut out = Vec::with_capacity(TREND_MONTHS);
    for _ in 0..TREND_MONTHS {
        out.push(format!("{y:04}-{m:02}"));
        m -= 1;
        if m == 0 {
            m = 12;
            y -= 1;
        }
    }
    out.reverse();
    out
}

fn month_of(d: Date) -> String {
    d.to_string().get(..7).unwrap_or_default().to_string()
}

fn series(months: &[String], values: &BTreeMap<String, f64>) -> Vec<MonthValue> {
    months.iter().map(|m| MonthValue { month: m.clone(), value: values.get(m).copied().unwrap_or(0.0) }).collect()
}

fn trends(f: &Facts) -> Vec<Trend> {
    let months = trend_months(f.today);
    let mut received: BTreeMap<String, f64> = BTreeMap::new();
    let mut response: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for r in &f.requests {
        if let Some(d) = r.received {
            *received.entry(month_of(d)).or_default() += 1.0;
            if let Some(h) = r.response_hours {
                let e = response.entry(month_of(d)).or_default();
                e.0 += h as f64 / 24.0;
                e.1 += 1.0;
            }
        }
    }
    let response: BTreeMap<String, f64> =
        response.into_iter().map(|(m, (sum, n))| (m, (sum / n * 10.0).round() / 10.0)).collect();
    let mut significant: BTreeMap<String, f64> = BTreeMap::new();
    for d in f.decisions.iter().filter(|d| d.significant) {
        *significant.entry(month_of(d.decided)).or_default() += 1.0;
    }
    let mut notices: BTreeMap<String, f64> = BTreeMap::new();
    for n in &f.notices {
        *notices.entry(month_of(n.sent)).or_default() += 1.0;
    }
    // Effectiveness: per month the actions were received, the share of their recipients that
    // acknowledged, over the actions whose recipients were notified.
    let mut acknowledged: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for a in f.actions.iter().filter(|a| a.notified()) {
        let e = acknowledged.entry(month_of(a.received)).or_default();
        e.0 += a.figures.recipients_acknowledged;
        e.1 += a.figures.recipients_total;
    }
    let effectiveness: BTreeMap<String, f64> =
        acknowledged.into_iter().map(|(m, (ack, total))| (m, crate::action::pct(ack, total))).collect();
    vec![
        Trend {
            key: "requests_received",
            title: "Requests from authorities received per month",
            unit: "requests",
            months: series(&months, &received),
        },
        Trend {
            key: "response_days",
            title: "Mean days from receipt to response, by month of receipt",
            unit: "days",
            months: series(&months, &response),
        },
        Trend {
            key: "significant_risk_decisions",
            title: "Significant-risk decisions recorded per month",
            unit: "decisions",
            months: series(&months, &significant),
        },
        Trend {
            key: "notices_sent",
            title: "Notices sent (authorities, manufacturers, CSIRT/ENISA, users) per month",
            unit: "notices",
            months: series(&months, &notices),
        },
        Trend {
            key: "action_effectiveness",
            title: "Recipients of corrective actions that acknowledged, by month the action was received",
            unit: "%",
            months: series(&months, &effectiveness),
        },
    ]
}
