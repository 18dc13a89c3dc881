//! msadesk-store: the storage boundary of msadesk, in domain terms.
//!
//! The [`Store`] trait is what every engine (SQLite, PostgreSQL) implements, and [`conformance`] is the
//! one suite of behaviour both must pass. Nothing here knows SQL: engines own their schema and
//! migrations. The trait is synchronous on purpose: engines are driven by a CLI command or, in the
//! server, from a blocking thread; a synchronous bulk path is what makes imports fast, and a
//! synchronous trait stays object-safe so one binary can choose its engine from a URL at run time.

#![forbid(unsafe_code)]

pub mod action;
pub mod auth;
pub mod conformance;
pub mod generation;
pub mod impact;
pub mod letters;
pub mod library;
pub mod notice;
pub mod readiness;
pub mod risk;

use msadesk_core::audit::{AuditEntry, ChainBreak, Coverage, RowsDigest, row_digest};
use msadesk_core::inbox::{Authority, Holiday, NewRequest, Request, Step};
use msadesk_core::retention::{ContactDecision, Decision, EventCandidate, Hold, HoldScope};
use msadesk_core::trace::{Trace, TraceQuery};
use msadesk_core::{
    Date, OperatorId, OwnIdentity, Party, Product, ProductId, ProductRecord, ProductVersion, SupplyEvent, Version,
};
use serde::Serialize;

pub use action::{AckToken, ActionStore, DeliveryOutcome, NewMessage, Notice, OutboxCounts, OutboxMessage, Recipient};
pub use auth::{ApiToken, Role, Session, User};
pub use generation::GenerationStore;
pub use impact::{ComponentIndex, ImpactStore, SuppliedToCountry};
pub use letters::{LetterTemplate, LetterTemplateStore};
pub use library::{
    AccessEntry, DocKind, DocumentInfo, InspectorGrant, LibraryStore, NewDocument, NewPackage, PackageInfo,
};
pub use notice::{NoticeSent, NoticeStore};
pub use risk::{
    Deployment, KnownExploited, NewSbom, RiskDecisionRecord, SbomComponent, SbomInfo, StoredVuln, VersionComponent,
};

/// A parsed record and the line of the input it came from (for messages about it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<T> {
    pub line: u64,
    pub record: T,
}

/// Where an import reads its valid records from. Invalid records never reach the store: the source
/// keeps their diagnostics and, when the import is atomic, forbids the commit.
pub trait RowSource<T> {
    /// The next valid record, or `None` at the end of the input.
    fn next_row(&mut self) -> Option<Row<T>>;
    /// Asked once the input is exhausted: may what was read be committed? `false` when the import is
    /// atomic and a record was invalid, or when reading the input failed part way.
    fn commit_allowed(&self) -> bool;
}

/// A row source over a vector, for tests and small inputs.
pub struct VecSource<T> {
    rows: std::vec::IntoIter<Row<T>>,
    pub allow_commit: bool,
}

impl<T> VecSource<T> {
    /// Records numbered from line 2 (line 1 being a CSV header).
    pub fn new(records: Vec<T>) -> Self {
        let rows: Vec<Row<T>> =
            records.into_iter().enumerate().map(|(i, record)| Row { line: i as u64 + 2, record }).collect();
        VecSource { rows: rows.into_iter(), allow_commit: true }
    }
}

impl<T> RowSource<T> for VecSource<T> {
    fn next_row(&mut self) -> Option<Row<T>> {
        self.rows.next()
    }
    fn commit_allowed(&self) -> bool {
        self.allow_commit
    }
}

/// Who makes a change, from where, and when: recorded in the audit trail with the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeMeta {
    /// `cli:USER`, `user:NAME`, `token:ID`.
    pub actor: String,
    /// Where the data came from (a file name), if anywhere.
    pub source: Option<String>,
    /// When, RFC 3339 UTC.
    pub at: String,
}

/// How many messages of one kind an import keeps; the rest are counted.
pub const MAX_MESSAGES: usize = 100;

/// A record that had the identity of one already present but other content: the stored one is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub line: u64,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportStats {
    /// Valid records read.
    pub rows: u64,
    /// Records added.
    pub new: u64,
    /// Records whose identity was already present with the same content (nothing added).
    pub already_present: u64,
    /// Master data records whose content changed.
    pub updated: u64,
    /// Records whose identity was present with different content (the stored record is kept).
    pub conflicts: u64,
    /// The first [`MAX_MESSAGES`] conflicts.
    pub conflict_details: Vec<Conflict>,
    /// Product versions created as stubs because supply rows arrived before master data.
    pub stub_versions: Vec<(ProductId, Version)>,
    /// Whether the import was committed (false: nothing was written).
    pub committed: bool,
}

impl ImportStats {
    pub fn conflict(&mut self, line: u64, message: String) {
        self.conflicts += 1;
        if self.conflict_details.len() < MAX_MESSAGES {
            self.conflict_details.push(Conflict { line, message });
        }
    }
}

/// Record counts, for the dashboard and `msadesk status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub products: u64,
    pub versions: u64,
    pub operators: u64,
    pub supply_events: u64,
    pub audit_entries: u64,
}

/// Errors of a store. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "product '{0}' is not in the registry: check the id with `msadesk products`, or import it with `msadesk import products FILE.csv`"
    )]
    UnknownProduct(ProductId),
    #[error(
        "the database is busy (another msadesk process holds a write lock) and stayed busy after retrying: try again when the other import has finished"
    )]
    Busy,
    #[error(
        "the database schema is at version {found}, newer than this msadesk understands ({supported}): upgrade msadesk"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error(
        "a stored value could not be read back ({0}): the database was changed outside msadesk; run `msadesk audit verify`"
    )]
    Corrupt(String),
    #[error("database error: {0}")]
    Backend(String),
    /// A user or token with this name or id exists already.
    #[error("{0} exists already: choose another name")]
    AlreadyExists(String),
    /// A request that cannot be carried out as asked (an unknown hold id, a hold released twice);
    /// the message says what to do instead.
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The registry's storage, in domain terms. Every engine implements it and passes [`conformance`].
pub trait Store:
    Send
    + LibraryStore
    + LetterTemplateStore
    + NoticeStore
    + ActionStore
    + GenerationStore
    + readiness::ReadinessStore
    + ImpactStore
    + ComponentIndex
{
    /// "sqlite" or "postgres".
    fn engine(&self) -> &'static str;

    /// Sets who we are (replacing any earlier identity).
    fn set_identity(&mut self, identity: &OwnIdentity, meta: &ChangeMeta) -> Result<()>;
    /// Who we are, if `msadesk init` was run.
    fn identity(&mut self) -> Result<Option<OwnIdentity>>;

    /// Upserts products, versions and manufacturers in one transaction. Committed only when the
    /// source allows it; nothing is written otherwise.
    fn import_products(&mut self, rows: &mut dyn RowSource<ProductRecord>, meta: &ChangeMeta) -> Result<ImportStats>;
    /// Adds supply events in one transaction, skipping those whose identity is present. Unknown
    /// products and versions are created as stubs. Committed only when the source allows it.
    fn import_supply(&mut self, rows: &mut dyn RowSource<SupplyEvent>, meta: &ChangeMeta) -> Result<ImportStats>;

    fn product(&mut self, id: &ProductId) -> Result<Option<Product>>;
    /// All products, ordered by id.
    fn products(&mut self) -> Result<Vec<Product>>;
    /// The versions of a product, ordered by version text.
    fn versions(&mut self, id: &ProductId) -> Result<Vec<ProductVersion>>;
    /// Every operator with its latest known details, ordered by id.
    fn operators(&mut self) -> Result<Vec<Party>>;

    /// The Art 23 answer. An unknown product is [`StoreError::UnknownProduct`]; a product with no
    /// events in the period is an empty answer.
    fn trace(&mut self, query: &TraceQuery) -> Result<Trace>;
    /// Streams the events a trace covers, ordered by date, direction, then insertion, each with the
    /// counterparty as it was at the event. Returns how many were visited.
    fn for_each_event(&mut self, query: &TraceQuery, visit: &mut dyn FnMut(SupplyEvent) -> Result<()>) -> Result<u64>;

    fn counts(&mut self) -> Result<Counts>;
    /// The audit trail in chain order.
    fn audit_entries(&mut self) -> Result<Vec<AuditEntry>>;

    // Users, sessions and API tokens (see [`auth`]). Creating users and tokens and revoking tokens
    // are audited; sessions and "last used" times are not registry state and are not.

    /// Adds a user; [`StoreError::AlreadyExists`] when the name is taken.
    fn create_user(&mut self, user: &User, meta: &ChangeMeta) -> Result<()>;
    fn user(&mut self, name: &str) -> Result<Option<User>>;
    /// All users, ordered by name.
    fn users(&mut self) -> Result<Vec<User>>;
    /// Adds a token; [`StoreError::AlreadyExists`] when the id is taken.
    fn create_token(&mut self, token: &ApiToken, meta: &ChangeMeta) -> Result<()>;
    fn token_by_secret(&mut self, secret_sha256: &str) -> Result<Option<ApiToken>>;
    /// All tokens, revoked ones included, ordered by creation time then id.
    fn tokens(&mut self) -> Result<Vec<ApiToken>>;
    /// Revokes a token; `false` when there is no token with this id (nothing is recorded then).
    fn revoke_token(&mut self, id: &str, meta: &ChangeMeta) -> Result<bool>;
    /// Records that a token was used at `at`.
    fn touch_token(&mut self, id: &str, at: &str) -> Result<()>;
    /// Adds a session, and removes every session that expired by the new one's creation time.
    fn create_session(&mut self, session: &Session) -> Result<()>;
    /// The session with this id hash, if it exists and has not expired at `now`.
    fn session(&mut self, id_sha256: &str, now: &str) -> Result<Option<Session>>;
    fn delete_session(&mut self, id_sha256: &str) -> Result<()>;
    /// The records each audit entry covers, recomputed from the rows as they are now (supply events
    /// and the tombstones of those the retention job removed), for [`Store::verify_audit`].
    fn coverage(&mut self) -> Result<Coverage>;

    /// Walks the chain and the records it covers (supply events, tombstones, legal holds); the first
    /// break, if any.
    fn verify_audit(&mut self) -> Result<Option<ChainBreak>> {
        let entries = self.audit_entries()?;
        let coverage = self.coverage()?;
        if let Some(b) = msadesk_core::audit::verify_records(&entries, &coverage) {
            return Ok(Some(b));
        }
        Ok(msadesk_core::audit::verify_holds(&entries, &self.holds()?))
    }

    /// Places a legal hold (audited). Records it covers are kept past their retention end.
    fn add_hold(&mut self, scope: &HoldScope, reason: &str, meta: &ChangeMeta) -> Result<Hold>;
    /// Releases an active hold (audited); [`StoreError::Invalid`] for an unknown or released hold.
    fn release_hold(&mut self, id: i64, reason: &str, meta: &ChangeMeta) -> Result<Hold>;
    /// Every hold, active and released, by id.
    fn holds(&mut self) -> Result<Vec<Hold>>;

    /// The retention job: in one audited transaction, deletes the supply events whose retention
    /// ended strictly before `as_of` and that no active hold covers, leaving a tombstone for each,
    /// and erases the contact data of operators no retained record refers to. A dry run computes
    /// the same report and commits nothing.
    fn run_retention(&mut self, as_of: Date, dry_run: bool, meta: &ChangeMeta) -> Result<RetentionReport>;

    // The MSA cooperation inbox (see `msadesk_core::inbox`). The directory and the holiday list are
    // seeded with the core's defaults by the migration that creates them; every change is audited.

    /// The authority directory, ordered by country then id.
    fn authorities(&mut self) -> Result<Vec<Authority>>;
    /// Adds an authority, or replaces the entry with the same id (audited as `add` or `edit`).
    /// Returns `true` when it was added.
    fn put_authority(&mut self, authority: &Authority, meta: &ChangeMeta) -> Result<bool>;
    /// The holiday list of every Member State, ordered by country then date.
    fn holidays(&mut self) -> Result<Vec<Holiday>>;
    /// Replaces the holiday list of one Member State (audited).
    fn set_holidays(&mut self, country: &str, holidays: &[Holiday], meta: &ChangeMeta) -> Result<()>;
    /// Registers a request (audited, first timeline entry `received`); [`StoreError::Invalid`] when
    /// its authority is not in the directory.
    fn add_request(&mut self, request: &NewRequest, meta: &ChangeMeta) -> Result<Request>;
    fn request(&mut self, id: i64) -> Result<Option<Request>>;
    /// Every request, by id.
    fn requests(&mut self) -> Result<Vec<Request>>;
    /// Takes a step on a request in one audited transaction (the core's status machine decides
    /// whether it may); [`StoreError::Invalid`] for an unknown request or a refused step.
    fn request_step(&mut self, id: i64, step: &Step, note: Option<&str>, meta: &ChangeMeta) -> Result<Request>;
    // Vulnerability intake and risk decisions (issue 5, see [`risk`]). Every import is one audited
    // transaction.

    /// Stores an SBOM for a product version, replacing its current SBOM (the old one stays in the
    /// history). [`StoreError::UnknownProduct`] when the product is not in the registry.
    fn import_sbom(&mut self, sbom: &NewSbom, meta: &ChangeMeta) -> Result<SbomInfo>;
    /// The SBOMs of a product (or of all products), current and replaced, ordered by product,
    /// version, then id.
    fn sboms(&mut self, product: Option<&ProductId>) -> Result<Vec<SbomInfo>>;
    /// The components of every current SBOM, ordered by product, version, purl.
    fn current_components(&mut self) -> Result<Vec<VersionComponent>>;
    /// Adds or replaces vulnerability records by (id, feed) (`updated` counts replaced records
    /// whose content changed, `already_present` unchanged ones).
    fn import_vulns(&mut self, vulns: &[StoredVuln], meta: &ChangeMeta) -> Result<ImportStats>;
    /// Every vulnerability record, ordered by id then feed.
    fn vulns(&mut self) -> Result<Vec<StoredVuln>>;
    /// Adds or replaces known-exploited listings by (id, source).
    fn import_known_exploited(&mut self, entries: &[KnownExploited], meta: &ChangeMeta) -> Result<ImportStats>;
    /// Every known-exploited listing, ordered by id then source.
    fn known_exploited(&mut self) -> Result<Vec<KnownExploited>>;
    /// Sets the install base: each row replaces the instances of its (product, version, Member
    /// State, critical sector).
    fn import_deployments(&mut self, rows: &[Deployment], meta: &ChangeMeta) -> Result<ImportStats>;
    /// The install base, ordered by product, version, Member State, sector.
    fn deployments(&mut self) -> Result<Vec<Deployment>>;
    /// Records a risk decision (audited); returns its id. Decisions are only added, never changed.
    fn record_decision(&mut self, decision: &RiskDecisionRecord, meta: &ChangeMeta) -> Result<i64>;
    /// Every recorded decision, oldest first.
    fn decisions(&mut self) -> Result<Vec<RiskDecisionRecord>>;
}

/// The fields of a supply event its digest covers, in a fixed order: the event itself, its product
/// version, and the counterparty's identifying data (name, address, country — what an authority is
/// shown under CRA Art 23) as they are stored now. Contact data is left out: the retention job may
/// erase it lawfully, and that must not read as tampering.
pub struct EventFields<'a> {
    pub identity: &'a [u8],
    pub direction: &'a str,
    pub date: &'a str,
    pub product_id: &'a str,
    pub version: &'a str,
    pub quantity: i64,
    pub operator_id: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub country: &'a str,
    pub role: &'a str,
    pub reference: Option<&'a str>,
    pub retention_until: &'a str,
}

impl EventFields<'_> {
    /// The event's row digest, the same on every engine.
    pub fn digest(&self) -> [u8; 32] {
        let identity = msadesk_core::audit::hex(self.identity);
        let quantity = self.quantity.to_string();
        row_digest(&[
            Some("supply_event"),
            Some(&identity),
            Some(self.direction),
            Some(self.date),
            Some(self.product_id),
            Some(self.version),
            Some(&quantity),
            Some(self.operator_id),
            Some(self.name),
            Some(self.address),
            Some(self.country),
            Some(self.role),
            self.reference,
            Some(self.retention_until),
        ])
    }
}

/// What remains of a record the retention job deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tombstone {
    /// `supply_event`.
    pub kind: String,
    /// The record's key (a supply event's identity, in hex).
    pub record_key: String,
    /// The audit entry that added the record.
    pub origin_seq: i64,
    /// The record's row digest when it was deleted, in hex.
    pub record_digest: String,
    /// The provision its retention period came from, e.g. "CRA Art 23(2)".
    pub basis: String,
    pub retention_until: String,
    /// When, RFC 3339 UTC, and by which audit entry (the retention run).
    pub deleted_at: String,
    pub deleted_seq: i64,
}

impl Tombstone {
    /// The tombstone's own digest, covered by the retention run that wrote it.
    pub fn digest(&self) -> [u8; 32] {
        let origin = self.origin_seq.to_string();
        let deleted = self.deleted_seq.to_string();
        row_digest(&[
            Some("tombstone"),
            Some(&self.kind),
            Some(&self.record_key),
            Some(&origin),
            Some(&self.record_digest),
            Some(&self.basis),
            Some(&self.retention_until),
            Some(&self.deleted_at),
            Some(&deleted),
        ])
    }

    /// The deleted record's row digest, counted under the entry that added it.
    pub fn record_digest_bytes(&self) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        if self.record_digest.len() != 64 {
            return None;
        }
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(self.record_digest.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(out)
    }

    /// Adds this tombstone to a coverage: its record under the origin entry, itself under the run.
    pub fn cover(&self, coverage: &mut Coverage) -> Result<()> {
        let record = self
            .record_digest_bytes()
            .ok_or_else(|| StoreError::Corrupt(format!("tombstone of {} has an unreadable digest", self.record_key)))?;
        coverage.rows.entry(self.origin_seq).or_default().add(&record);
        coverage.tombstones.entry(self.deleted_seq).or_default().add(&self.digest());
        Ok(())
    }
}

/// Per kind of record: supply events, product-version documents, operators (contact data).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    pub supply_events: u64,
    /// Documents are not stored yet: always 0, kept so the report's shape does not change when they are.
    pub documents: u64,
    pub operators: u64,
}

/// One record the retention job deleted (or would delete) or kept because of a hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionItem {
    /// `supply_event` or `operator_contact`.
    pub kind: &'static str,
    /// A supply event's identity (hex) or an operator id.
    pub key: String,
    /// `delete`, `erase_contact` or `held`.
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_date: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_until: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_id: Option<i64>,
    pub reason: String,
}

/// What a retention run did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    pub as_of: Date,
    pub dry_run: bool,
    pub deleted: KindCounts,
    pub held: KindCounts,
    /// The audit entry of the run (none for a dry run).
    pub audit_seq: Option<i64>,
    pub items: Vec<RetentionItem>,
}

/// The engine-independent part of a retention run: engines select the candidates and apply the
/// deletions; this decides (through `msadesk_core::retention`), keeps the report and builds the
/// tombstones and the audit detail, so both engines report the same thing the same way.
pub struct RetentionRun {
    pub report: RetentionReport,
    holds: Vec<Hold>,
    seq: i64,
    at: String,
    tombstones: RowsDigest,
}

impl RetentionRun {
    /// `seq` is the sequence number the run's audit entry will have.
    pub fn new(as_of: Date, dry_run: bool, holds: Vec<Hold>, seq: i64, meta: &ChangeMeta) -> Self {
        RetentionRun {
            report: RetentionReport {
                as_of,
                dry_run,
                deleted: KindCounts::default(),
                held: KindCounts::default(),
                audit_seq: None,
                items: Vec::new(),
            },
            holds: holds.into_iter().filter(Hold::is_active).collect(),
            seq,
            at: meta.at.clone(),
            tombstones: RowsDigest::default(),
        }
    }

    /// Decides about one supply event; returns the tombstone to write when it is to be deleted.
    pub fn event(&mut self, fields: &EventFields<'_>, origin_seq: i64) -> Result<Option<Tombstone>> {
        let parse = |what: &str, v: &str| StoreError::Corrupt(format!("{what} '{v}' of a stored supply event"));
        let candidate = EventCandidate {
            product_id: ProductId::parse(fields.product_id).map_err(|_| parse("product id", fields.product_id))?,
            version: Version::parse(fields.version).map_err(|_| parse("version", fields.version))?,
            operator_id: OperatorId::parse(fields.operator_id).map_err(|_| parse("operator id", fields.operator_id))?,
            date: Date::parse(fields.date).map_err(|_| parse("date", fields.date))?,
        };
        let key = msadesk_core::audit::hex(fields.identity);
        let item = |action, until, hold_id, reason| RetentionItem {
            kind: "supply_event",
            key: key.clone(),
            action,
            product_id: Some(fields.product_id.to_string()),
            version: Some(fields.version.to_string()),
            operator_id: Some(fields.operator_id.to_string()),
            event_date: Some(candidate.date),
            retention_until: Some(until),
            basis: Some(msadesk_core::legal::SUPPLY_RETENTION.cite),
            hold_id,
            reason,
        };
        match msadesk_core::retention::decide_event(&candidate, &self.holds, self.report.as_of) {
            Decision::Keep { .. } => Ok(None),
            Decision::Held { until, hold_id, reason } => {
                self.report.held.supply_events += 1;
                self.report.items.push(item("held", until, Some(hold_id), reason));
                Ok(None)
            }
            Decision::Delete { until, reason } => {
                self.report.deleted.supply_events += 1;
                self.report.items.push(item("delete", until, None, reason));
                let t = Tombstone {
                    kind: "supply_event".into(),
                    record_key: key.clone(),
                    origin_seq,
                    record_digest: msadesk_core::audit::hex(&fields.digest()),
                    basis: msadesk_core::legal::SUPPLY_RETENTION.cite.into(),
                    retention_until: until.to_string(),
                    deleted_at: self.at.clone(),
                    deleted_seq: self.seq,
                };
                self.tombstones.add(&t.digest());
                Ok(Some(t))
            }
        }
    }

    /// Decides about an operator's contact data; `true` when it is to be erased.
    pub fn contact(&mut self, operator_id: &str, referenced_by_retained_record: bool) -> Result<bool> {
        let id =
            OperatorId::parse(operator_id).map_err(|_| StoreError::Corrupt(format!("operator id '{operator_id}'")))?;
        let item = |action, hold_id, reason| RetentionItem {
            kind: "operator_contact",
            key: operator_id.to_string(),
            action,
            product_id: None,
            version: None,
            operator_id: Some(operator_id.to_string()),
            event_date: None,
            retention_until: None,
            basis: None,
            hold_id,
            reason,
        };
        match msadesk_core::retention::decide_contact(&id, referenced_by_retained_record, &self.holds) {
            ContactDecision::Keep => Ok(false),
            ContactDecision::Held { hold_id, reason } => {
                self.report.held.operators += 1;
                self.report.items.push(item("held", Some(hold_id), reason));
                Ok(false)
            }
            ContactDecision::Erase { reason } => {
                self.report.deleted.operators += 1;
                self.report.items.push(item("erase_contact", None, reason));
                Ok(true)
            }
        }
    }

    /// The audit detail of the run: what it deleted, held and erased, and the digest of its tombstones.
    pub fn detail(&self) -> serde_json::Value {
        serde_json::json!({
            "as_of": self.report.as_of.to_string(),
            "deleted": self.report.deleted,
            "held": self.report.held,
            msadesk_core::audit::TOMBSTONES_KEY: self.tombstones.to_json(),
        })
    }

    /// The report, marked with the run's audit entry when it was committed.
    pub fn finish(mut self, committed: bool) -> RetentionReport {
        if committed {
            self.report.audit_seq = Some(self.seq);
        }
        self.report
    }
}

/// The audit detail of placing or releasing a hold.
pub fn hold_detail(hold: &Hold) -> serde_json::Value {
    serde_json::to_value(hold).unwrap_or(serde_json::Value::Null)
}

/// The message for an unknown hold id.
pub fn unknown_hold(id: i64) -> StoreError {
    StoreError::Invalid(format!("there is no legal hold #{id}: list the holds with `msadesk hold list`"))
}

/// The message for releasing a hold twice.
pub fn hold_already_released(id: i64) -> StoreError {
    StoreError::Invalid(format!(
        "legal hold #{id} is already released: nothing to do (`msadesk hold list` shows when and why)"
    ))
}

/// Builds the next audit entry after `prev` (seq and hash of the last entry, if any). Engines call it
/// inside the transaction of the change it records, after reading the last entry under a write lock.
pub fn next_audit_entry(
    prev: Option<(i64, String)>,
    meta: &ChangeMeta,
    entity: &str,
    action: &str,
    detail: &serde_json::Value,
) -> AuditEntry {
    let (prev_seq, prev_hash) = prev.unwrap_or((0, msadesk_core::audit::GENESIS.to_string()));
    let seq = prev_seq + 1;
    let mut detail = detail.clone();
    if let (Some(src), Some(obj)) = (&meta.source, detail.as_object_mut()) {
        obj.insert("source".into(), serde_json::Value::String(src.clone()));
    }
    let detail = detail.to_string();
    let hash = msadesk_core::audit::entry_hash(&prev_hash, seq, &meta.at, &meta.actor, entity, action, &detail);
    AuditEntry {
        seq,
        at: meta.at.clone(),
        actor: meta.actor.clone(),
        entity: entity.into(),
        action: action.into(),
        detail,
        prev_hash,
        hash,
    }
}

/// The audit detail of an import: counts of what changed, and, for a supply import, the digest of
/// the events it added (`added`), against which `verify` checks them later.
pub fn import_detail(stats: &ImportStats, rows: Option<&RowsDigest>) -> serde_json::Value {
    let mut v = import_counts(stats);
    if let (Some(rows), Some(obj)) = (rows, v.as_object_mut()) {
        obj.insert(msadesk_core::audit::ROWS_KEY.into(), rows.to_json());
    }
    v
}

fn import_counts(stats: &ImportStats) -> serde_json::Value {
    serde_json::json!({
        "rows": stats.rows,
        "new": stats.new,
        "already_present": stats.already_present,
        "updated": stats.updated,
        "conflicts": stats.conflicts,
        "stub_versions": stats.stub_versions.len(),
    })
}

/// The message for an unknown request id.
pub fn unknown_request(id: i64) -> StoreError {
    StoreError::Invalid(format!("there is no request #{id}: list them with `msadesk request list`"))
}

/// The message for a request naming an authority that is not in the directory.
pub fn unknown_authority(id: &str) -> StoreError {
    StoreError::Invalid(format!(
        "there is no authority '{id}' in the directory: list them with `msadesk authority list`, or add it with `msadesk authority add`"
    ))
}

/// Applies a step to a stored request (the caller holds the write lock), mapping a refusal of the
/// status machine to [`StoreError::Invalid`].
pub fn apply_step(request: &mut Request, step: &Step, note: Option<&str>, meta: &ChangeMeta) -> Result<()> {
    request.apply(step.clone(), &meta.at, &meta.actor, note).map_err(|e| StoreError::Invalid(e.message))
}

/// The audit detail of a request change: the request as it is after the change.
pub fn request_detail(request: &Request) -> serde_json::Value {
    serde_json::to_value(request).unwrap_or(serde_json::Value::Null)
}

/// The audit detail of an authority change.
pub fn authority_detail(authority: &Authority) -> serde_json::Value {
    serde_json::to_value(authority).unwrap_or(serde_json::Value::Null)
}

/// A stored JSON body (authority or request) read back.
pub fn from_body<T: serde::de::DeserializeOwned>(what: &str, body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A value as the JSON body it is stored as.
pub fn to_body<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("cannot encode a record: {e}")))
}

/// Three text columns of a seeded row.
pub type SeedRow = (String, String, String);

/// The rows the inbox migration seeds: authorities (id, country, body) and holidays (country,
/// date, name), from the core's defaults.
pub fn inbox_seed() -> Result<(Vec<SeedRow>, Vec<SeedRow>)> {
    let authorities = msadesk_core::inbox::defaults::authorities()
        .iter()
        .map(|a| Ok((a.id.clone(), a.country.as_str().to_string(), to_body(a)?)))
        .collect::<Result<Vec<_>>>()?;
    let holidays = msadesk_core::inbox::defaults::holidays()
        .into_iter()
        .map(|h| (h.country, h.date.to_string(), h.name))
        .collect();
    Ok((authorities, holidays))
}
