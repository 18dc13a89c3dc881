//! msadesk-store: the storage boundary of msadesk, in domain terms.
//!
//! The [`Store`] trait is what every engine (SQLite, PostgreSQL) implements, and [`conformance`] is the
//! one suite of behaviour both must pass. Nothing here knows SQL: engines own their schema and
//! migrations. The trait is synchronous on purpose: engines are driven by a CLI command or, in the
//! server, from a blocking thread; a synchronous bulk path is what makes imports fast, and a
//! synchronous trait stays object-safe so one binary can choose its engine from a URL at run time.

#![forbid(unsafe_code)]

pub mod auth;
pub mod conformance;

use msadesk_core::audit::AuditEntry;
use msadesk_core::trace::{Trace, TraceQuery};
use msadesk_core::{OwnIdentity, Party, Product, ProductId, ProductRecord, ProductVersion, SupplyEvent, Version};
use serde::Serialize;

pub use auth::{ApiToken, Role, Session, User};

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
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The registry's storage, in domain terms. Every engine implements it and passes [`conformance`].
pub trait Store: Send {
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

/// The audit detail of an import: counts of what changed.
pub fn import_detail(stats: &ImportStats) -> serde_json::Value {
    serde_json::json!({
        "rows": stats.rows,
        "new": stats.new,
        "already_present": stats.already_present,
        "updated": stats.updated,
        "conflicts": stats.conflicts,
        "stub_versions": stats.stub_versions.len(),
    })
}
