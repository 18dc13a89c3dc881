//! msadesk-store-sqlite: the embedded default engine.
//!
//! One SQLite file in WAL mode, created and migrated on first use. Imports run in one `BEGIN
//! IMMEDIATE` transaction with prepared statements, which is what makes a million-row import take
//! seconds; a trace is one range scan of a covering index. This crate owns its schema
//! (`migrations/`, tracked with `PRAGMA user_version`) and is the only place that knows SQLite.

#![forbid(unsafe_code)]

mod action;
mod auth;
mod generation;
mod notice;
mod risk;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use msadesk_core::audit::{AuditEntry, Coverage, RowsDigest};
use msadesk_core::retention::{Hold, HoldScope};
use msadesk_core::trace::{Trace, TraceEntry, TraceQuery};
use msadesk_core::{
    Country, Date, Direction, Email, Gln, Gtin, MemberState, OperatorId, OperatorRole, OurRole, OwnIdentity, Party,
    Product, ProductId, ProductRecord, ProductVersion, SupplyEvent, Version, retention,
};
use msadesk_store::{
    ChangeMeta, Counts, EventFields, ImportStats, Result, RetentionReport, RetentionRun, RowSource, Store, StoreError,
    Tombstone, hold_already_released, hold_detail, import_detail, next_audit_entry, unknown_hold,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rustc_hash::FxBuildHasher;

mod impact;
mod inbox;
mod letters;
mod library;
mod readiness;

/// Forward-only migrations; the index + 1 is the schema version they bring the database to.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_registry.sql"),
    include_str!("../migrations/0002_evidence.sql"),
    include_str!("../migrations/0003_auth.sql"),
    include_str!("../migrations/0004_inbox.sql"),
    include_str!("../migrations/0005_risk.sql"),
    include_str!("../migrations/0006_library.sql"),
    include_str!("../migrations/0008_notices.sql"),
    include_str!("../migrations/0009_letters.sql"),
    include_str!("../migrations/0010_action.sql"),
    include_str!("../migrations/0011_impact.sql"),
    COMPONENT_KEYS,
    include_str!("../migrations/0013_identity_index.sql"),
];

/// Migration 0012, whose rows present at the time get their keys from Rust (`risk::fill_component_keys`).
const COMPONENT_KEYS: &str = include_str!("../migrations/0012_component_keys.sql");

/// One supply event row; the import adds `ON CONFLICT (identity) DO NOTHING` while the unique
/// identity index is in place.
const INSERT_EVENT: &str = "INSERT INTO supply_events (identity, direction, event_date, product_version, quantity, counterparty, role, reference, retention_until, audit_seq)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// How long a writer waits for another writer before giving up with [`StoreError::Busy`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The SQLite engine.
pub struct SqliteStore {
    conn: Connection,
}

fn backend(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => StoreError::Busy,
        _ => StoreError::Backend(e.to_string()),
    }
}

fn corrupt(what: &str, value: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} '{value}': {e}"))
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let conn =
            Connection::open(path).map_err(|e| StoreError::Backend(format!("cannot open {}: {e}", path.display())))?;
        Self::init(conn)
    }

    /// A private in-memory database (tests, demos).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory().map_err(backend)?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
        // WAL lets readers (a server answering traces) run while an import writes. FULL sync: a
        // committed import survives a power cut; imports are single transactions, so it costs little.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(backend)?;
        // A 64 MiB page cache: an import inserts into two large B-trees (identity, trace index) at
        // random places; with SQLite's 2 MiB default every insert spills pages to the WAL and the
        // import becomes I/O-bound. Memory stays bounded by this figure whatever the file size.
        conn.pragma_update(None, "cache_size", -65536).map_err(backend)?;
        let mut store = SqliteStore { conn };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(backend)
    }

    fn migrate(&mut self) -> Result<()> {
        let supported = MIGRATIONS.len() as i64;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(backend)?;
        if current > supported {
            return Err(StoreError::SchemaTooNew { found: current, supported });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql).map_err(|e| StoreError::Backend(format!("migration {} failed: {e}", i + 1)))?;
            tx.pragma_update(None, "user_version", i as i64 + 1).map_err(backend)?;
            if i + 1 == 2 {
                adopt_legacy_events(&tx)?;
            }
            if i + 1 == 4 {
                inbox::seed(&tx)?;
            }
            if std::ptr::eq(*sql, COMPONENT_KEYS) {
                risk::fill_component_keys(&tx)?;
            }
        }
        tx.commit().map_err(backend)
    }

    /// Direct access for tests that tamper with the database behind msadesk's back.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Events imported before schema version 2 carry no audit seq (0). One audit entry, written in the
/// migration's transaction, adopts them: it records their digest, and they carry its seq from then
/// on, so `audit verify` covers every event. A fresh database has nothing to adopt.
fn adopt_legacy_events(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let legacy: i64 =
        tx.query_row("SELECT COUNT(*) FROM supply_events WHERE audit_seq = 0", [], |r| r.get(0)).map_err(backend)?;
    if legacy == 0 {
        return Ok(());
    }
    let seq = next_seq(tx)?;
    tx.execute("UPDATE supply_events SET audit_seq = ?1 WHERE audit_seq = 0", [seq]).map_err(backend)?;
    let rows = event_coverage(tx, Some(seq))?.remove(&seq).unwrap_or_default();
    let at: String = tx.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", [], |r| r.get(0)).map_err(backend)?;
    let meta = ChangeMeta { actor: "msadesk:migrate".into(), source: None, at };
    let detail = serde_json::json!({ "schema_version": 2, msadesk_core::audit::ROWS_KEY: rows.to_json() });
    append_audit(tx, &meta, "supply_events", "adopt", &detail)
}

/// The seq the next audit entry will have (the caller holds the write lock).
fn next_seq(tx: &rusqlite::Transaction<'_>) -> Result<i64> {
    tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log", [], |r| r.get(0)).map_err(backend)
}

/// The digests of the supply events, per audit entry that added them (only `seq`'s when given).
fn event_coverage(conn: &Connection, only: Option<i64>) -> Result<BTreeMap<i64, RowsDigest>> {
    let sql = format!(
        "SELECT e.identity, e.direction, e.event_date, p.product_id, v.version, e.quantity, o.operator_id, s.name,
                s.address, s.country, e.role, e.reference, e.retention_until, e.audit_seq
         FROM supply_events e
         LEFT JOIN product_versions v ON v.id = e.product_version LEFT JOIN products p ON p.id = v.product
         LEFT JOIN operator_snapshots s ON s.id = e.counterparty LEFT JOIN operators o ON o.id = s.operator {}",
        if only.is_some() { "WHERE e.audit_seq = ?1" } else { "" }
    );
    let mut stmt = conn.prepare(&sql).map_err(backend)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(only)).map_err(backend)?;
    let mut out: BTreeMap<i64, RowsDigest> = BTreeMap::new();
    while let Some(r) = rows.next().map_err(backend)? {
        let seq: i64 = r.get(13).map_err(backend)?;
        out.entry(seq).or_default().add(&event_fields_digest(r)?);
    }
    Ok(out)
}

/// An event row read with the columns identity, direction, date, product id, version, quantity,
/// operator id, name, address, country, role, reference, retention end (in this order, from 0). A
/// row whose version or counterparty was removed reads as empty text there, which changes its digest.
struct EventRow {
    identity: Vec<u8>,
    text: [String; 10],
    quantity: i64,
    reference: Option<String>,
}

impl EventRow {
    fn read(r: &rusqlite::Row<'_>) -> Result<Self> {
        let text = |i: usize| r.get::<_, Option<String>>(i).map(Option::unwrap_or_default).map_err(backend);
        Ok(EventRow {
            identity: r.get(0).map_err(backend)?,
            text: [
                text(1)?,
                text(2)?,
                text(3)?,
                text(4)?,
                text(6)?,
                text(7)?,
                text(8)?,
                text(9)?,
                text(10)?,
                text(12)?,
            ],
            quantity: r.get(5).map_err(backend)?,
            reference: r.get(11).map_err(backend)?,
        })
    }

    fn fields(&self) -> EventFields<'_> {
        let [direction, date, product_id, version, operator_id, name, address, country, role, retention_until] =
            &self.text;
        EventFields {
            identity: &self.identity,
            direction,
            date,
            product_id,
            version,
            quantity: self.quantity,
            operator_id,
            name,
            address,
            country,
            role,
            reference: self.reference.as_deref(),
            retention_until,
        }
    }
}

/// The digest of an event row read with the columns of [`event_coverage`].
fn event_fields_digest(r: &rusqlite::Row<'_>) -> Result<[u8; 32]> {
    Ok(EventRow::read(r)?.fields().digest())
}

fn tombstone_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tombstone> {
    Ok(Tombstone {
        kind: r.get(0)?,
        record_key: r.get(1)?,
        origin_seq: r.get(2)?,
        record_digest: r.get(3)?,
        basis: r.get(4)?,
        retention_until: r.get(5)?,
        deleted_at: r.get(6)?,
        deleted_seq: r.get(7)?,
    })
}

const HOLD_COLUMNS: &str = "id, scope, product_id, version, operator_id, reason, created_at, created_by, released_at, released_by, release_reason";

fn hold_from_row(r: &rusqlite::Row<'_>) -> Result<Hold> {
    let text = |i: usize| r.get::<_, Option<String>>(i).map(Option::unwrap_or_default).map_err(backend);
    let scope = text(1)?;
    let bad = |what: &str, v: &str| corrupt(what, v, "stored in legal_holds");
    let product = || -> Result<ProductId> {
        let v = text(2)?;
        ProductId::parse(&v).map_err(|_| bad("product id", &v))
    };
    let scope = match scope.as_str() {
        "product" => HoldScope::Product { product_id: product()? },
        "version" => {
            let v = text(3)?;
            HoldScope::Version { product_id: product()?, version: Version::parse(&v).map_err(|_| bad("version", &v))? }
        }
        "operator" => {
            let v = text(4)?;
            HoldScope::Operator { operator_id: OperatorId::parse(&v).map_err(|_| bad("operator id", &v))? }
        }
        other => return Err(bad("hold scope", other)),
    };
    Ok(Hold {
        id: r.get(0).map_err(backend)?,
        scope,
        reason: text(5)?,
        created_at: text(6)?,
        created_by: text(7)?,
        released_at: r.get(8).map_err(backend)?,
        released_by: r.get(9).map_err(backend)?,
        release_reason: r.get(10).map_err(backend)?,
    })
}

fn read_holds(conn: &Connection, id: Option<i64>) -> Result<Vec<Hold>> {
    let sql = format!(
        "SELECT {HOLD_COLUMNS} FROM legal_holds {} ORDER BY id",
        if id.is_some() { "WHERE id = ?1" } else { "" }
    );
    let mut stmt = conn.prepare(&sql).map_err(backend)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(id)).map_err(backend)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(backend)? {
        out.push(hold_from_row(r)?);
    }
    Ok(out)
}

fn append_audit(
    tx: &rusqlite::Transaction<'_>,
    meta: &ChangeMeta,
    entity: &str,
    action: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    let prev: Option<(i64, String)> = tx
        .query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(backend)?;
    let e = next_audit_entry(prev, meta, entity, action, detail);
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, entity, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![e.seq, e.at, e.actor, e.entity, e.action, e.detail, e.prev_hash, e.hash],
    )
    .map_err(backend)?;
    Ok(())
}

/// A product row as stored: id, name, GTIN, manufacturer snapshot, our role, stub.
type StoredProduct = (i64, String, Option<String>, Option<i64>, Option<String>, bool);

/// Finds or creates the snapshot of a party and returns its row id. `seen` is a date the snapshot
/// was valid at (an event date, or the import day for master data).
///
/// The cache is keyed by the party's SHA-256 content digest (16 bytes), not by the party: memory
/// stays at a few dozen bytes per distinct snapshot (a 10M-event file names a few hundred thousand),
/// and a crafted file cannot make two different parties share a snapshot.
struct Snapshots {
    cache: HashMap<[u8; 16], i64, FxBuildHasher>,
    /// Latest date each snapshot was seen at in this import, written back at the end.
    seen: HashMap<i64, Date, FxBuildHasher>,
}

impl Snapshots {
    fn new() -> Self {
        Snapshots { cache: HashMap::default(), seen: HashMap::default() }
    }

    fn resolve(&mut self, tx: &rusqlite::Transaction<'_>, p: &Party, seen: Date) -> Result<i64> {
        let digest = p.content_digest();
        let id = match self.cache.get(&digest) {
            Some(&id) => id,
            None => {
                let existing: Option<i64> = tx
                    .prepare_cached("SELECT id FROM operator_snapshots WHERE digest = ?1")
                    .and_then(|mut s| s.query_row([&digest[..]], |r| r.get(0)).optional())
                    .map_err(backend)?;
                let id = match existing {
                    Some(id) => id,
                    None => {
                        tx.prepare_cached(
                            "INSERT INTO operators (operator_id) VALUES (?1) ON CONFLICT (operator_id) DO NOTHING",
                        )
                        .and_then(|mut s| s.execute([p.id.as_str()]))
                        .map_err(backend)?;
                        let op: i64 = tx
                            .prepare_cached("SELECT id FROM operators WHERE operator_id = ?1")
                            .and_then(|mut s| s.query_row([p.id.as_str()], |r| r.get(0)))
                            .map_err(backend)?;
                        tx.prepare_cached(
                            "INSERT INTO operator_snapshots (operator, digest, name, address, country, email, phone, gln, vat, last_seen)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        )
                        .and_then(|mut s| {
                            s.execute(params![
                                op,
                                &digest[..],
                                p.name,
                                p.address,
                                p.country.as_str(),
                                p.email.as_ref().map(Email::as_str),
                                p.phone,
                                p.gln.as_ref().map(Gln::as_str),
                                p.vat,
                                seen.to_string()
                            ])
                        })
                        .map_err(backend)?;
                        tx.last_insert_rowid()
                    }
                };
                self.cache.insert(digest, id);
                id
            }
        };
        let e = self.seen.entry(id).or_insert(seen);
        if seen > *e {
            *e = seen;
        }
        Ok(id)
    }

    /// Writes the last-seen dates back and makes each touched operator's current snapshot the one
    /// seen most recently.
    fn flush(&self, tx: &rusqlite::Transaction<'_>) -> Result<()> {
        let mut upd = tx
            .prepare_cached("UPDATE operator_snapshots SET last_seen = max(last_seen, ?2) WHERE id = ?1")
            .map_err(backend)?;
        let mut cur = tx
            .prepare_cached(
                "UPDATE operators SET current_snapshot =
                   (SELECT s.id FROM operator_snapshots s WHERE s.operator = operators.id ORDER BY s.last_seen DESC, s.id DESC LIMIT 1)
                 WHERE id = (SELECT operator FROM operator_snapshots WHERE id = ?1)",
            )
            .map_err(backend)?;
        for (id, date) in &self.seen {
            upd.execute(params![id, date.to_string()]).map_err(backend)?;
        }
        for id in self.seen.keys() {
            cur.execute([id]).map_err(backend)?;
        }
        Ok(())
    }
}

fn parse_date(s: &str) -> Result<Date> {
    Date::parse(s).map_err(|e| corrupt("date", s, e))
}

fn opt_date(s: Option<String>) -> Result<Option<Date>> {
    s.as_deref().map(parse_date).transpose()
}

/// Reads a party from eight consecutive columns starting at `at`: operator id, name, address,
/// country, e-mail, phone, GLN, VAT.
fn party_at(r: &rusqlite::Row<'_>, at: usize) -> Result<Party> {
    let text = |i: usize| r.get::<_, String>(at + i).map_err(backend);
    let opt = |i: usize| r.get::<_, Option<String>>(at + i).map_err(backend);
    let (id, country, email, gln) = (text(0)?, text(3)?, opt(4)?, opt(6)?);
    Ok(Party {
        id: OperatorId::parse(&id).map_err(|e| corrupt("operator id", &id, e))?,
        name: text(1)?,
        address: text(2)?,
        country: Country::parse(&country).map_err(|e| corrupt("country", &country, e))?,
        email: email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|e| corrupt("e-mail", email.as_deref().unwrap_or(""), e))?,
        phone: opt(5)?,
        gln: gln.as_deref().map(Gln::parse).transpose().map_err(|e| corrupt("GLN", gln.as_deref().unwrap_or(""), e))?,
        vat: opt(7)?,
    })
}

/// The SQL filter of a trace query over `supply_events e`, with its parameters. Only the predicates
/// the query has are added, so SQLite can use the trace index as a range.
fn trace_filter(q: &TraceQuery, product: i64) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut sql = String::from("e.product_version IN (SELECT id FROM product_versions WHERE product = ?1");
    let mut params = vec![Value::Integer(product)];
    if let Some(v) = &q.version {
        params.push(Value::Text(v.to_string()));
        sql.push_str(&format!(" AND version = ?{}", params.len()));
    }
    sql.push(')');
    if let Some(f) = q.from {
        params.push(Value::Text(f.to_string()));
        sql.push_str(&format!(" AND e.event_date >= ?{}", params.len()));
    }
    if let Some(t) = q.to {
        params.push(Value::Text(t.to_string()));
        sql.push_str(&format!(" AND e.event_date <= ?{}", params.len()));
    }
    (sql, params)
}

impl SqliteStore {
    fn product_row(&self, id: &ProductId) -> Result<Option<i64>> {
        self.conn
            .prepare_cached("SELECT id FROM products WHERE product_id = ?1")
            .and_then(|mut s| s.query_row([id.as_str()], |r| r.get(0)).optional())
            .map_err(backend)
    }
}

impl Store for SqliteStore {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    fn set_identity(&mut self, id: &OwnIdentity, meta: &ChangeMeta) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        tx.execute(
            "INSERT INTO identity (id, name, address, member_state, contact_person, email, default_role, gln)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address, member_state = excluded.member_state,
               contact_person = excluded.contact_person, email = excluded.email, default_role = excluded.default_role, gln = excluded.gln",
            params![
                id.name,
                id.address,
                id.member_state.as_str(),
                id.contact_person,
                id.email.as_ref().map(Email::as_str),
                id.default_role.as_str(),
                id.gln.as_ref().map(Gln::as_str)
            ],
        )
        .map_err(backend)?;
        let detail = serde_json::json!({"name": id.name, "member_state": id.member_state.as_str(), "default_role": id.default_role.as_str()});
        append_audit(&tx, meta, "identity", "init", &detail)?;
        tx.commit().map_err(backend)
    }

    fn identity(&mut self) -> Result<Option<OwnIdentity>> {
        let row = self
            .conn
            .query_row(
                "SELECT name, address, member_state, contact_person, email, default_role, gln FROM identity WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<String>>(6)?,
                    ))
                },
            )
            .optional()
            .map_err(backend)?;
        let Some((name, address, ms, contact_person, email, role, gln)) = row else { return Ok(None) };
        Ok(Some(OwnIdentity {
            name,
            address,
            member_state: MemberState::parse(&ms).map_err(|e| corrupt("member state", &ms, e))?,
            contact_person,
            email: email.as_deref().map(Email::parse).transpose().map_err(|e| corrupt("e-mail", "", e))?,
            default_role: OurRole::parse(&role).map_err(|e| corrupt("role", &role, e))?,
            gln: gln.as_deref().map(Gln::parse).transpose().map_err(|e| corrupt("GLN", "", e))?,
        }))
    }

    fn import_products(&mut self, rows: &mut dyn RowSource<ProductRecord>, meta: &ChangeMeta) -> Result<ImportStats> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let mut stats = ImportStats::default();
        let mut snapshots = Snapshots::new();
        let today = Date::parse(&meta.at).unwrap_or_else(|_| Date::from_unix_seconds(0));
        while let Some(row) = rows.next_row() {
            stats.rows += 1;
            let r = row.record;
            let man = snapshots.resolve(&tx, &r.manufacturer, today)?;
            let existing: Option<StoredProduct> = tx
                .prepare_cached(
                    "SELECT id, name, gtin, manufacturer, our_role, stub FROM products WHERE product_id = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([r.product_id.as_str()], |x| {
                        Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?, x.get(4)?, x.get(5)?))
                    })
                    .optional()
                })
                .map_err(backend)?;
            let mut gtin = r.gtin.as_ref().map(|g| g.as_str().to_string());
            let mut role = r.our_role.map(|o| o.as_str().to_string());
            let mut changed = false;
            let product = match existing {
                Some((id, name, g, m, o, stub)) => {
                    // An empty optional column means "not given here", not "erase": products repeat
                    // on every version row and only one row may carry the GTIN.
                    if gtin.is_none() {
                        gtin.clone_from(&g);
                    }
                    if role.is_none() {
                        role.clone_from(&o);
                    }
                    if name != r.name || g != gtin || m != Some(man) || o != role || stub {
                        tx.prepare_cached("UPDATE products SET name = ?2, gtin = ?3, manufacturer = ?4, our_role = ?5, stub = 0 WHERE id = ?1")
                            .and_then(|mut s| s.execute(params![id, r.name, gtin, man, role]))
                            .map_err(backend)?;
                        changed = true;
                    }
                    id
                }
                None => {
                    tx.prepare_cached("INSERT INTO products (product_id, name, gtin, manufacturer, our_role, stub) VALUES (?1, ?2, ?3, ?4, ?5, 0)")
                        .and_then(|mut s| s.execute(params![r.product_id.as_str(), r.name, gtin, man, role]))
                        .map_err(backend)?;
                    tx.last_insert_rowid()
                }
            };
            let version: Option<(i64, Option<String>, Option<String>, bool)> = tx
                .prepare_cached(
                    "SELECT id, placed_on_market, end_of_support, stub FROM product_versions WHERE product = ?1 AND version = ?2",
                )
                .and_then(|mut s| {
                    s.query_row(params![product, r.version.as_str()], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?)))
                        .optional()
                })
                .map_err(backend)?;
            // As for the product's columns, an empty date means "not given here", not "erase".
            let given = |d: Option<Date>, stored: Option<&Option<String>>| {
                d.map(|d| d.to_string()).or_else(|| stored.cloned().flatten())
            };
            let placed = given(r.placed_on_market, version.as_ref().map(|v| &v.1));
            let eos = given(r.end_of_support, version.as_ref().map(|v| &v.2));
            match version {
                None => {
                    tx.prepare_cached("INSERT INTO product_versions (product, version, placed_on_market, end_of_support, stub) VALUES (?1, ?2, ?3, ?4, 0)")
                        .and_then(|mut s| s.execute(params![product, r.version.as_str(), placed, eos]))
                        .map_err(backend)?;
                    stats.new += 1;
                }
                Some((vid, p, e, stub)) => {
                    if p != placed || e != eos || stub {
                        tx.prepare_cached("UPDATE product_versions SET placed_on_market = ?2, end_of_support = ?3, stub = 0 WHERE id = ?1")
                            .and_then(|mut s| s.execute(params![vid, placed, eos]))
                            .map_err(backend)?;
                        changed = true;
                    }
                    if changed { stats.updated += 1 } else { stats.already_present += 1 }
                }
            }
        }
        if !rows.commit_allowed() {
            return Ok(stats); // Dropping the transaction rolls it back.
        }
        snapshots.flush(&tx)?;
        append_audit(&tx, meta, "products", "import", &import_detail(&stats, None))?;
        tx.commit().map_err(backend)?;
        stats.committed = true;
        Ok(stats)
    }

    fn import_supply(&mut self, rows: &mut dyn RowSource<SupplyEvent>, meta: &ChangeMeta) -> Result<ImportStats> {
        // Every id an import writes (product version, counterparty snapshot) is one it resolved or
        // created in its own transaction, so checking the foreign keys of each row again only doubles
        // the B-tree descents of a large import. The pragma cannot change inside a transaction: it is
        // switched off around this one, and back on whatever happens.
        self.conn.pragma_update(None, "foreign_keys", "OFF").map_err(backend)?;
        let result = self.import_supply_unchecked(rows, meta);
        let restored = self.conn.pragma_update(None, "foreign_keys", "ON").map_err(backend);
        let stats = result?;
        restored?;
        Ok(stats)
    }
    fn product(&mut self, id: &ProductId) -> Result<Option<Product>> {
        Ok(self.query_products(Some(id))?.into_iter().next())
    }

    fn products(&mut self) -> Result<Vec<Product>> {
        self.query_products(None)
    }

    fn versions(&mut self, id: &ProductId) -> Result<Vec<ProductVersion>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT v.version, v.placed_on_market, v.end_of_support, v.stub FROM product_versions v JOIN products p ON p.id = v.product
                 WHERE p.product_id = ?1",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map([id.as_str()], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, bool>(3)?)))
            .map_err(backend)?;
        let mut out = Vec::new();
        for row in rows {
            let (v, placed, eos, stub) = row.map_err(backend)?;
            out.push(ProductVersion {
                product_id: id.clone(),
                version: Version::parse(&v).map_err(|e| corrupt("version", &v, e))?,
                placed_on_market: opt_date(placed)?,
                end_of_support: opt_date(eos)?,
                stub,
            });
        }
        out.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(out)
    }

    fn operators(&mut self) -> Result<Vec<Party>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT o.operator_id, s.name, s.address, s.country, s.email, s.phone, s.gln, s.vat
                 FROM operators o JOIN operator_snapshots s ON s.id = o.current_snapshot",
            )
            .map_err(backend)?;
        let mut rows = stmt.query([]).map_err(backend)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(backend)? {
            out.push(party_at(r, 0)?);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    fn trace(&mut self, q: &TraceQuery) -> Result<Trace> {
        let product =
            self.product_row(&q.product_id)?.ok_or_else(|| StoreError::UnknownProduct(q.product_id.clone()))?;
        let (filter, params) = trace_filter(q, product);
        let sql = format!(
            "SELECT a.direction, o.operator_id, s.name, s.address, s.country, s.email, s.phone, a.role, a.first, a.last, a.qty, a.n
             FROM (SELECT e.direction, e.counterparty, e.role, MIN(e.event_date) AS first, MAX(e.event_date) AS last,
                          SUM(e.quantity) AS qty, COUNT(*) AS n
                   FROM supply_events e WHERE {filter} GROUP BY e.direction, e.counterparty, e.role) a
             JOIN operator_snapshots s ON s.id = a.counterparty JOIN operators o ON o.id = s.operator"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, i64>(10)?,
                    r.get::<_, i64>(11)?,
                ))
            })
            .map_err(backend)?;
        let mut entries = Vec::new();
        for row in rows {
            let (dir, id, name, address, country, email, phone, role, first, last, qty, n) = row.map_err(backend)?;
            entries.push((
                Direction::parse(&dir).map_err(|e| corrupt("direction", &dir, e))?,
                TraceEntry {
                    operator_id: OperatorId::parse(&id).map_err(|e| corrupt("operator id", &id, e))?,
                    name,
                    address,
                    country: Country::parse(&country).map_err(|e| corrupt("country", &country, e))?,
                    email,
                    phone,
                    role: OperatorRole::parse(&role).map_err(|e| corrupt("role", &role, e))?,
                    first_date: parse_date(&first)?,
                    last_date: parse_date(&last)?,
                    quantity: u64::try_from(qty).map_err(|e| corrupt("quantity", &qty.to_string(), e))?,
                    deliveries: u64::try_from(n).map_err(|e| corrupt("count", &n.to_string(), e))?,
                },
            ));
        }
        Ok(Trace::from_rows(q, entries))
    }

    fn for_each_event(&mut self, q: &TraceQuery, visit: &mut dyn FnMut(SupplyEvent) -> Result<()>) -> Result<u64> {
        let product =
            self.product_row(&q.product_id)?.ok_or_else(|| StoreError::UnknownProduct(q.product_id.clone()))?;
        let (filter, params) = trace_filter(q, product);
        let sql = format!(
            "SELECT e.direction, e.event_date, v.version, e.quantity, o.operator_id, s.name, s.address, s.country, s.email, s.phone,
                    s.gln, s.vat, e.role, e.reference
             FROM supply_events e JOIN product_versions v ON v.id = e.product_version
             JOIN operator_snapshots s ON s.id = e.counterparty JOIN operators o ON o.id = s.operator
             WHERE {filter} ORDER BY e.event_date, e.direction, e.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(backend)?;
        let mut n = 0;
        while let Some(r) = rows.next().map_err(backend)? {
            let get = |i| r.get::<_, String>(i).map_err(backend);
            let opt = |i| r.get::<_, Option<String>>(i).map_err(backend);
            let dir = get(0)?;
            let version = get(2)?;
            let role = get(12)?;
            let qty: i64 = r.get(3).map_err(backend)?;
            visit(SupplyEvent {
                direction: Direction::parse(&dir).map_err(|e| corrupt("direction", &dir, e))?,
                date: parse_date(&get(1)?)?,
                product_id: q.product_id.clone(),
                version: Version::parse(&version).map_err(|e| corrupt("version", &version, e))?,
                quantity: u64::try_from(qty).map_err(|e| corrupt("quantity", &qty.to_string(), e))?,
                counterparty: party_at(r, 4)?,
                counterparty_role: OperatorRole::parse(&role).map_err(|e| corrupt("role", &role, e))?,
                reference: opt(13)?,
            })?;
            n += 1;
        }
        Ok(n)
    }

    fn counts(&mut self) -> Result<Counts> {
        let count = |table: &str| -> Result<u64> {
            let n: i64 =
                self.conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).map_err(backend)?;
            Ok(n as u64)
        };
        Ok(Counts {
            products: count("products")?,
            versions: count("product_versions")?,
            operators: count("operators")?,
            supply_events: count("supply_events")?,
            audit_entries: count("audit_log")?,
        })
    }

    fn audit_entries(&mut self) -> Result<Vec<AuditEntry>> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, at, actor, entity, action, detail, prev_hash, hash FROM audit_log ORDER BY seq")
            .map_err(backend)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(AuditEntry {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    entity: r.get(3)?,
                    action: r.get(4)?,
                    detail: r.get(5)?,
                    prev_hash: r.get(6)?,
                    hash: r.get(7)?,
                })
            })
            .map_err(backend)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
    }

    fn create_user(&mut self, user: &msadesk_store::User, meta: &ChangeMeta) -> Result<()> {
        auth::create_user(&mut self.conn, user, meta)
    }
    fn user(&mut self, name: &str) -> Result<Option<msadesk_store::User>> {
        auth::user(&self.conn, name)
    }
    fn users(&mut self) -> Result<Vec<msadesk_store::User>> {
        auth::users(&self.conn)
    }
    fn create_token(&mut self, token: &msadesk_store::ApiToken, meta: &ChangeMeta) -> Result<()> {
        auth::create_token(&mut self.conn, token, meta)
    }
    fn token_by_secret(&mut self, secret_sha256: &str) -> Result<Option<msadesk_store::ApiToken>> {
        auth::token_by_secret(&self.conn, secret_sha256)
    }
    fn tokens(&mut self) -> Result<Vec<msadesk_store::ApiToken>> {
        auth::tokens(&self.conn)
    }
    fn revoke_token(&mut self, id: &str, meta: &ChangeMeta) -> Result<bool> {
        auth::revoke_token(&mut self.conn, id, meta)
    }
    fn touch_token(&mut self, id: &str, at: &str) -> Result<()> {
        auth::touch_token(&self.conn, id, at)
    }
    fn create_session(&mut self, session: &msadesk_store::Session) -> Result<()> {
        auth::create_session(&self.conn, session)
    }
    fn session(&mut self, id_sha256: &str, now: &str) -> Result<Option<msadesk_store::Session>> {
        auth::session(&self.conn, id_sha256, now)
    }
    fn delete_session(&mut self, id_sha256: &str) -> Result<()> {
        auth::delete_session(&self.conn, id_sha256)
    }
    fn coverage(&mut self) -> Result<Coverage> {
        let mut coverage = Coverage { rows: event_coverage(&self.conn, None)?, ..Coverage::default() };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kind, record_key, origin_seq, record_digest, basis, retention_until, deleted_at, deleted_seq FROM tombstones",
            )
            .map_err(backend)?;
        let rows = stmt.query_map([], tombstone_from_row).map_err(backend)?;
        for t in rows {
            t.map_err(backend)?.cover(&mut coverage)?;
        }
        Ok(coverage)
    }

    fn add_hold(&mut self, scope: &HoldScope, reason: &str, meta: &ChangeMeta) -> Result<Hold> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let (kind, product, version, operator) = match scope {
            HoldScope::Product { product_id } => ("product", Some(product_id.as_str()), None, None),
            HoldScope::Version { product_id, version } => {
                ("version", Some(product_id.as_str()), Some(version.as_str()), None)
            }
            HoldScope::Operator { operator_id } => ("operator", None, None, Some(operator_id.as_str())),
        };
        tx.execute(
            "INSERT INTO legal_holds (scope, product_id, version, operator_id, reason, created_at, created_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![kind, product, version, operator, reason, meta.at, meta.actor],
        )
        .map_err(backend)?;
        let id = tx.last_insert_rowid();
        let hold = read_holds(&tx, Some(id))?.pop().ok_or_else(|| unknown_hold(id))?;
        append_audit(&tx, meta, "legal_holds", "place", &hold_detail(&hold))?;
        tx.commit().map_err(backend)?;
        Ok(hold)
    }

    fn release_hold(&mut self, id: i64, reason: &str, meta: &ChangeMeta) -> Result<Hold> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let hold = read_holds(&tx, Some(id))?.pop().ok_or_else(|| unknown_hold(id))?;
        if !hold.is_active() {
            return Err(hold_already_released(id));
        }
        tx.execute(
            "UPDATE legal_holds SET released_at = ?2, released_by = ?3, release_reason = ?4 WHERE id = ?1",
            params![id, meta.at, meta.actor, reason],
        )
        .map_err(backend)?;
        let hold = read_holds(&tx, Some(id))?.pop().ok_or_else(|| unknown_hold(id))?;
        append_audit(&tx, meta, "legal_holds", "release", &hold_detail(&hold))?;
        tx.commit().map_err(backend)?;
        Ok(hold)
    }

    fn holds(&mut self) -> Result<Vec<Hold>> {
        read_holds(&self.conn, None)
    }

    fn authorities(&mut self) -> Result<Vec<msadesk_core::inbox::Authority>> {
        inbox::authorities(&self.conn)
    }

    fn put_authority(&mut self, authority: &msadesk_core::inbox::Authority, meta: &ChangeMeta) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let added = inbox::put_authority(&tx, authority)?;
        let action = if added { "add" } else { "edit" };
        append_audit(&tx, meta, "authorities", action, &msadesk_store::authority_detail(authority))?;
        tx.commit().map_err(backend)?;
        Ok(added)
    }

    fn holidays(&mut self) -> Result<Vec<msadesk_core::inbox::Holiday>> {
        inbox::holidays(&self.conn)
    }

    fn set_holidays(
        &mut self,
        country: &str,
        holidays: &[msadesk_core::inbox::Holiday],
        meta: &ChangeMeta,
    ) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        inbox::set_holidays(&tx, country, holidays)?;
        let detail = serde_json::json!({ "country": country, "holidays": holidays });
        append_audit(&tx, meta, "holidays", "replace", &detail)?;
        tx.commit().map_err(backend)
    }

    fn add_request(
        &mut self,
        request: &msadesk_core::inbox::NewRequest,
        meta: &ChangeMeta,
    ) -> Result<msadesk_core::inbox::Request> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let r = inbox::add_request(&tx, request, meta)?;
        append_audit(&tx, meta, "msa_requests", "received", &msadesk_store::request_detail(&r))?;
        tx.commit().map_err(backend)?;
        Ok(r)
    }

    fn request(&mut self, id: i64) -> Result<Option<msadesk_core::inbox::Request>> {
        inbox::requests(&self.conn, Some(id)).map(|mut v| v.pop())
    }

    fn requests(&mut self) -> Result<Vec<msadesk_core::inbox::Request>> {
        inbox::requests(&self.conn, None)
    }

    fn request_step(
        &mut self,
        id: i64,
        step: &msadesk_core::inbox::Step,
        note: Option<&str>,
        meta: &ChangeMeta,
    ) -> Result<msadesk_core::inbox::Request> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let mut r = inbox::requests(&tx, Some(id))?.pop().ok_or_else(|| msadesk_store::unknown_request(id))?;
        msadesk_store::apply_step(&mut r, step, note, meta)?;
        inbox::save_request(&tx, &r)?;
        append_audit(&tx, meta, "msa_requests", step.name(), &msadesk_store::request_detail(&r))?;
        tx.commit().map_err(backend)?;
        Ok(r)
    }

    fn import_sbom(&mut self, sbom: &msadesk_store::NewSbom, meta: &ChangeMeta) -> Result<msadesk_store::SbomInfo> {
        risk::import_sbom(&mut self.conn, sbom, meta)
    }
    fn sboms(&mut self, product: Option<&ProductId>) -> Result<Vec<msadesk_store::SbomInfo>> {
        risk::sboms(&self.conn, product)
    }
    fn current_components(&mut self) -> Result<Vec<msadesk_store::VersionComponent>> {
        risk::current_components(&self.conn)
    }
    fn import_vulns(&mut self, vulns: &[msadesk_store::StoredVuln], meta: &ChangeMeta) -> Result<ImportStats> {
        risk::import_vulns(&mut self.conn, vulns, meta)
    }
    fn vulns(&mut self) -> Result<Vec<msadesk_store::StoredVuln>> {
        risk::vulns(&self.conn)
    }
    fn import_known_exploited(
        &mut self,
        entries: &[msadesk_store::KnownExploited],
        meta: &ChangeMeta,
    ) -> Result<ImportStats> {
        risk::import_known_exploited(&mut self.conn, entries, meta)
    }
    fn known_exploited(&mut self) -> Result<Vec<msadesk_store::KnownExploited>> {
        risk::known_exploited(&self.conn)
    }
    fn import_deployments(&mut self, rows: &[msadesk_store::Deployment], meta: &ChangeMeta) -> Result<ImportStats> {
        risk::import_deployments(&mut self.conn, rows, meta)
    }
    fn deployments(&mut self) -> Result<Vec<msadesk_store::Deployment>> {
        risk::deployments(&self.conn)
    }
    fn record_decision(&mut self, decision: &msadesk_store::RiskDecisionRecord, meta: &ChangeMeta) -> Result<i64> {
        risk::record_decision(&mut self.conn, decision, meta)
    }
    fn decisions(&mut self) -> Result<Vec<msadesk_store::RiskDecisionRecord>> {
        risk::decisions(&self.conn)
    }

    fn run_retention(&mut self, as_of: Date, dry_run: bool, meta: &ChangeMeta) -> Result<RetentionReport> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let seq = next_seq(&tx)?;
        let mut run = RetentionRun::new(as_of, dry_run, read_holds(&tx, None)?, seq, meta);
        let mut doomed: Vec<Vec<u8>> = Vec::new();
        let mut summary = impact::SummaryDelta::default();
        {
            let mut tomb = tx
                .prepare(
                    "INSERT INTO tombstones (kind, record_key, origin_seq, record_digest, basis, retention_until, deleted_at, deleted_seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(backend)?;

            // Expired by the stored retention end (computed by msadesk-core at import); the core
            // decides again from the event date, and about holds.
            let mut stmt = tx
                .prepare(
                    "SELECT e.identity, e.direction, e.event_date, p.product_id, v.version, e.quantity, o.operator_id, s.name,
                            s.address, s.country, e.role, e.reference, e.retention_until, e.audit_seq, e.product_version
                     FROM supply_events e
                     JOIN product_versions v ON v.id = e.product_version JOIN products p ON p.id = v.product
                     JOIN operator_snapshots s ON s.id = e.counterparty JOIN operators o ON o.id = s.operator
                     WHERE e.retention_until < ?1 ORDER BY e.event_date, e.id",
                )
                .map_err(backend)?;
            let mut rows = stmt.query([as_of.to_string()]).map_err(backend)?;
            while let Some(r) = rows.next().map_err(backend)? {
                let row = EventRow::read(r)?;
                let fields = row.fields();
                let origin: i64 = r.get(13).map_err(backend)?;
                if let Some(t) = run.event(&fields, origin)? {
                    tomb.execute(params![
                        t.kind,
                        t.record_key,
                        t.origin_seq,
                        t.record_digest,
                        t.basis,
                        t.retention_until,
                        t.deleted_at,
                        t.deleted_seq
                    ])
                    .map_err(backend)?;
                    doomed.push(row.identity.clone());
                    if fields.direction == Direction::Supplied.as_str() {
                        let pv: i64 = r.get(14).map_err(backend)?;
                        summary.add(pv, fields.country, fields.quantity, -1);
                    }
                }
            }
        }
        // Deleted only once the selection is read to its end: SQLite leaves undefined what a
        // statement still stepping sees of rows deleted meanwhile. (Tombstones go in as they are
        // decided: that table is not being read.)
        {
            let mut delete = tx.prepare("DELETE FROM supply_events WHERE identity = ?1").map_err(backend)?;
            for identity in &doomed {
                delete.execute([identity]).map_err(backend)?;
            }
        }
        drop(doomed);
        summary.apply(&tx)?;
        // Operators with contact data left: is any of their snapshots still referenced by a
        // retained event or a product (as manufacturer)? One scan for the referenced set.
        let referenced: std::collections::HashSet<i64> = {
            let mut stmt = tx
                .prepare(
                    "SELECT s.operator FROM operator_snapshots s WHERE s.id IN (SELECT counterparty FROM supply_events)
                     UNION SELECT s.operator FROM operator_snapshots s JOIN products p ON p.manufacturer = s.id",
                )
                .map_err(backend)?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(backend)?;
            rows.collect::<rusqlite::Result<_>>().map_err(backend)?
        };
        let candidates: Vec<(i64, String, bool)> = {
            let mut stmt = tx
                .prepare(
                    "SELECT o.id, o.operator_id FROM operators o
                     WHERE EXISTS (SELECT 1 FROM operator_snapshots s WHERE s.operator = o.id
                                   AND (s.email IS NOT NULL OR s.phone IS NOT NULL))
                     ORDER BY o.operator_id",
                )
                .map_err(backend)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
            let list: Vec<(i64, String)> = rows.collect::<rusqlite::Result<_>>().map_err(backend)?;
            list.into_iter().map(|(id, op)| (id, op, referenced.contains(&id))).collect()
        };
        for (id, operator_id, referenced) in candidates {
            if run.contact(&operator_id, referenced)? {
                erase_contact(&tx, id, &meta.at)?;
            }
        }
        if dry_run {
            tx.rollback().map_err(backend)?;
            return Ok(run.finish(false));
        }
        append_audit(&tx, meta, "retention", "run", &run.detail())?;
        tx.commit().map_err(backend)?;
        Ok(run.finish(true))
    }
}

/// Erases the contact data of an operator's snapshots. The snapshot's digest is renamed, so that a
/// later import of the same details (with contact data) makes a new snapshot instead of finding
/// this erased one.
fn erase_contact(tx: &rusqlite::Transaction<'_>, operator: i64, at: &str) -> Result<()> {
    let snaps: Vec<(i64, Vec<u8>)> = {
        let mut stmt = tx
            .prepare(
                "SELECT id, digest FROM operator_snapshots WHERE operator = ?1 AND (email IS NOT NULL OR phone IS NOT NULL)",
            )
            .map_err(backend)?;
        let rows = stmt.query_map([operator], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
        rows.collect::<rusqlite::Result<_>>().map_err(backend)?
    };
    for (id, digest) in snaps {
        let mut renamed = b"erased:".to_vec();
        renamed.extend_from_slice(&digest);
        tx.execute(
            "UPDATE operator_snapshots SET email = NULL, phone = NULL, contact_erased_at = ?2, digest = ?3 WHERE id = ?1",
            params![id, at, renamed],
        )
        .map_err(backend)?;
    }
    Ok(())
}

/// The two indexes of `supply_events`, set aside during a large import and built again, sorted,
/// before the commit.
///
/// Inserting a million rows into `supply_events_trace` and `supply_events_identity` one at a time
/// costs random B-tree descents each (two for the unique identity: the check and the insert) and
/// pushes the working set out of the page cache; `CREATE INDEX` sorts once instead. The indexes are
/// only dropped once the import has added more rows than the table held (at least
/// [`DeferredIndexes::MIN_ROWS`]), so rebuilding them never costs more than about twice what the
/// import itself wrote, and a small import into a large table keeps them. Both happen inside the
/// import's transaction: a failed or refused import rolls back to the indexes as they were.
///
/// Rows appended after the drop are not checked for duplicate identities one by one: the unique
/// index, built again at the end, finds them, and [`resolve_duplicates`](Self::resolve_duplicates)
/// then does what the per-row check would have done (the first row kept, every later one counted as
/// already present or reported as a conflict with its source line, and taken out of the digest and
/// the summary).
struct DeferredIndexes {
    /// The indexes' own `CREATE INDEX` statements, as stored in the schema (trace, identity).
    trace_sql: Option<String>,
    identity_sql: Option<String>,
    /// Rows seen before the indexes are dropped.
    threshold: u64,
    seen: u64,
    dropped: bool,
    /// Row id of the first row appended without the identity check, and how many followed.
    first_unchecked: i64,
    unchecked: u64,
    /// Source lines of the unchecked rows, as (offset, line) wherever a row's line is not the
    /// previous row's plus one (a quoted field spanning lines): a few entries, not one per row.
    lines: Vec<(u64, u64)>,
}

impl DeferredIndexes {
    const TRACE: &'static str = "supply_events_trace";
    const IDENTITY: &'static str = "supply_events_identity";
    const MIN_ROWS: u64 = 50_000;

    fn new(tx: &rusqlite::Transaction<'_>) -> Result<Self> {
        let sql = |name: &str| -> Result<Option<String>> {
            tx.query_row("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1", [name], |r| r.get(0))
                .optional()
                .map_err(backend)
        };
        // An upper bound of the rows is enough (rowids are never reused downwards).
        let existing: i64 =
            tx.query_row("SELECT COALESCE(MAX(id), 0) FROM supply_events", [], |r| r.get(0)).map_err(backend)?;
        let threshold = u64::try_from(existing).unwrap_or(0).max(Self::MIN_ROWS);
        Ok(DeferredIndexes {
            trace_sql: sql(Self::TRACE)?,
            identity_sql: sql(Self::IDENTITY)?,
            threshold,
            seen: 0,
            dropped: false,
            first_unchecked: 0,
            unchecked: 0,
            lines: Vec::new(),
        })
    }

    /// Counts a row about to be written; returns whether it goes in unchecked (indexes dropped).
    fn row_added(&mut self, tx: &rusqlite::Transaction<'_>) -> Result<bool> {
        self.seen += 1;
        if self.seen == self.threshold && !self.dropped {
            if self.trace_sql.is_some() {
                tx.execute_batch(&format!("DROP INDEX {}", Self::TRACE)).map_err(backend)?;
            }
            if self.identity_sql.is_some() {
                tx.execute_batch(&format!("DROP INDEX {}", Self::IDENTITY)).map_err(backend)?;
            }
            self.dropped = true;
        }
        Ok(self.dropped && self.identity_sql.is_some())
    }

    /// Notes the row id and source line of a row appended unchecked.
    fn appended(&mut self, id: i64, line: u64) {
        if self.unchecked == 0 {
            self.first_unchecked = id;
        }
        let predicted = self.lines.last().map(|&(o, l)| l + (self.unchecked - o));
        if predicted != Some(line) {
            self.lines.push((self.unchecked, line));
        }
        self.unchecked += 1;
    }

    /// The source line of an unchecked row.
    fn line_of(&self, id: i64) -> u64 {
        let offset = u64::try_from(id - self.first_unchecked).unwrap_or(0);
        let at = self.lines.partition_point(|&(o, _)| o <= offset);
        match at.checked_sub(1).and_then(|i| self.lines.get(i)) {
            Some(&(o, l)) => l + (offset - o),
            None => 0,
        }
    }

    /// Builds the unique identity index again; where it finds duplicates among the rows appended
    /// unchecked, removes every row but the first of each identity and accounts for them in the
    /// statistics, the digest and the summary, as the per-row check would have.
    fn resolve_duplicates(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        stats: &mut ImportStats,
        digest: &mut RowsDigest,
        summary: &mut impact::SummaryDelta,
    ) -> Result<()> {
        let Some(unique) = self.identity_sql.as_deref().filter(|_| self.dropped) else { return Ok(()) };
        match tx.execute_batch(unique) {
            Ok(()) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ConstraintViolation => {}
            Err(e) => return Err(backend(e)),
        }
        // Duplicates: find them through a plain index, keep the first row of each identity.
        tx.execute_batch(&format!(
            "CREATE INDEX {idx} ON supply_events(identity);
             CREATE TEMP TABLE import_duplicates AS
               SELECT e.id AS id, k.kept AS kept FROM supply_events e
               JOIN (SELECT identity, MIN(id) AS kept FROM supply_events GROUP BY identity HAVING COUNT(*) > 1) k
                 ON k.identity = e.identity AND e.id > k.kept;",
            idx = Self::IDENTITY
        ))
        .map_err(backend)?;
        {
            let mut stmt = tx
                .prepare(
                    "SELECT e.identity, e.direction, e.event_date, p.product_id, v.version, e.quantity, o.operator_id, s.name,
                            s.address, s.country, e.role, e.reference, e.retention_until,
                            k.event_date, k.quantity, k.role, e.product_version, e.id
                     FROM temp.import_duplicates d
                     JOIN supply_events e ON e.id = d.id JOIN supply_events k ON k.id = d.kept
                     LEFT JOIN product_versions v ON v.id = e.product_version LEFT JOIN products p ON p.id = v.product
                     LEFT JOIN operator_snapshots s ON s.id = e.counterparty LEFT JOIN operators o ON o.id = s.operator
                     ORDER BY e.id",
                )
                .map_err(backend)?;
            let mut rows = stmt.query([]).map_err(backend)?;
            while let Some(r) = rows.next().map_err(backend)? {
                let row = EventRow::read(r)?;
                let kept: (String, i64, String) =
                    (r.get(13).map_err(backend)?, r.get(14).map_err(backend)?, r.get(15).map_err(backend)?);
                let pv: i64 = r.get(16).map_err(backend)?;
                let id: i64 = r.get(17).map_err(backend)?;
                let f = row.fields();
                digest.remove(&f.digest());
                if f.direction == Direction::Supplied.as_str() {
                    summary.add(pv, f.country, f.quantity, -1);
                }
                stats.new = stats.new.saturating_sub(1);
                if (f.date, f.quantity, f.role) == (kept.0.as_str(), kept.1, kept.2.as_str()) {
                    stats.already_present += 1;
                } else {
                    let message = conflict_text(
                        &ConflictRow {
                            direction: f.direction,
                            reference: f.reference,
                            product_id: f.product_id,
                            version: f.version,
                            operator_id: f.operator_id,
                            date: f.date,
                            quantity: f.quantity,
                            role: f.role,
                        },
                        &kept.0,
                        kept.1,
                        &kept.2,
                    );
                    stats.conflict(self.line_of(id), message);
                }
            }
        }
        tx.execute_batch(&format!(
            "DELETE FROM supply_events WHERE id IN (SELECT id FROM temp.import_duplicates);
             DROP TABLE temp.import_duplicates;
             DROP INDEX {idx};
             {unique};",
            idx = Self::IDENTITY
        ))
        .map_err(backend)?;
        Ok(())
    }

    fn rebuild(&mut self, tx: &rusqlite::Transaction<'_>) -> Result<()> {
        if let (true, Some(sql)) = (self.dropped, &self.trace_sql) {
            tx.execute_batch(sql).map_err(backend)?;
        }
        self.dropped = false;
        Ok(())
    }
}

impl SqliteStore {
    /// The supply import itself, with foreign-key checks switched off by the caller.
    fn import_supply_unchecked(
        &mut self,
        rows: &mut dyn RowSource<SupplyEvent>,
        meta: &ChangeMeta,
    ) -> Result<ImportStats> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        // The write lock is held from here: this import's audit entry will have this seq, and each
        // event it adds records it, so `audit verify` can check the events against the entry.
        let seq = next_seq(&tx)?;
        let mut digest = RowsDigest::default();
        let mut stats = ImportStats::default();
        let mut snapshots = Snapshots::new();
        // Product -> version -> row id, looked up by reference (no key built per event).
        let mut versions: HashMap<ProductId, HashMap<Version, i64, FxBuildHasher>, FxBuildHasher> = HashMap::default();
        let mut deferred = DeferredIndexes::new(&tx)?;
        let mut summary = impact::SummaryDelta::default();
        {
            let mut insert =
                tx.prepare_cached(&format!("{INSERT_EVENT} ON CONFLICT (identity) DO NOTHING")).map_err(backend)?;
            // Prepared now, used once the indexes are dropped (SQLite prepares it again then).
            let mut append = tx.prepare_cached(INSERT_EVENT).map_err(backend)?;
            let mut existing = tx
                .prepare_cached("SELECT event_date, quantity, role FROM supply_events WHERE identity = ?1")
                .map_err(backend)?;
            while let Some(row) = rows.next_row() {
                stats.rows += 1;
                let unchecked = deferred.row_added(&tx)?;
                let e = row.record;
                let pv = match versions.get(&e.product_id).and_then(|v| v.get(&e.version)) {
                    Some(&id) => id,
                    None => {
                        let id = version_or_stub(&tx, &e.product_id, &e.version, &mut stats)?;
                        versions.entry(e.product_id.clone()).or_default().insert(e.version.clone(), id);
                        id
                    }
                };
                let cp = snapshots.resolve(&tx, &e.counterparty, e.date)?;
                let identity = e.identity();
                let date = e.date.to_string();
                let retention_until = e.retention_end().to_string();
                let quantity =
                    i64::try_from(e.quantity).map_err(|_| StoreError::Backend("quantity too large".into()))?;
                let values = params![
                    &identity[..],
                    e.direction.as_str(),
                    date,
                    pv,
                    quantity,
                    cp,
                    e.counterparty_role.as_str(),
                    e.reference,
                    retention_until,
                    seq
                ];
                let added = if unchecked {
                    // No identity index to consult: duplicates are resolved when it is built again.
                    let n = append.execute(values).map_err(backend)?;
                    deferred.appended(tx.last_insert_rowid(), row.line);
                    n
                } else {
                    insert.execute(values).map_err(backend)?
                };
                if added == 1 {
                    stats.new += 1;
                    if e.direction == Direction::Supplied {
                        summary.add(pv, e.counterparty.country.as_str(), quantity, 1);
                    }
                    // The digest of what this import adds, from the values just written (the same
                    // fields `event_coverage` reads back for `audit verify`).
                    digest.add(
                        &EventFields {
                            identity: &identity,
                            direction: e.direction.as_str(),
                            date: &date,
                            product_id: e.product_id.as_str(),
                            version: e.version.as_str(),
                            quantity,
                            operator_id: e.counterparty.id.as_str(),
                            name: &e.counterparty.name,
                            address: &e.counterparty.address,
                            country: e.counterparty.country.as_str(),
                            role: e.counterparty_role.as_str(),
                            reference: e.reference.as_deref(),
                            retention_until: &retention_until,
                        }
                        .digest(),
                    );
                    continue;
                }
                let (d, q, role): (String, i64, String) =
                    existing.query_row([&identity[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(backend)?;
                if d == date && q == quantity && role == e.counterparty_role.as_str() {
                    stats.already_present += 1;
                } else {
                    let this = ConflictRow {
                        direction: e.direction.as_str(),
                        reference: e.reference.as_deref(),
                        product_id: e.product_id.as_str(),
                        version: e.version.as_str(),
                        operator_id: e.counterparty.id.as_str(),
                        date: &date,
                        quantity,
                        role: e.counterparty_role.as_str(),
                    };
                    stats.conflict(row.line, conflict_text(&this, &d, q, &role));
                }
            }
        }
        if !rows.commit_allowed() {
            return Ok(stats);
        }
        deferred.resolve_duplicates(&tx, &mut stats, &mut digest, &mut summary)?;
        deferred.rebuild(&tx)?;
        summary.apply(&tx)?;
        snapshots.flush(&tx)?;
        append_audit(&tx, meta, "supply_events", "import", &import_detail(&stats, Some(&digest)))?;
        tx.commit().map_err(backend)?;
        stats.committed = true;
        Ok(stats)
    }
}

impl SqliteStore {
    fn query_products(&self, only: Option<&ProductId>) -> Result<Vec<Product>> {
        let sql = format!(
            "SELECT p.product_id, p.name, p.gtin, o.operator_id, s.name, p.our_role, p.stub
             FROM products p LEFT JOIN operator_snapshots s ON s.id = p.manufacturer LEFT JOIN operators o ON o.id = s.operator {}",
            if only.is_some() { "WHERE p.product_id = ?1" } else { "" }
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        let params: Vec<&str> = only.map(ProductId::as_str).into_iter().collect();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, bool>(6)?,
                ))
            })
            .map_err(backend)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, gtin, man_id, man_name, role, stub) = row.map_err(backend)?;
            out.push(Product {
                id: ProductId::parse(&id).map_err(|e| corrupt("product id", &id, e))?,
                name,
                gtin: gtin.as_deref().map(Gtin::parse).transpose().map_err(|e| corrupt("GTIN", "", e))?,
                manufacturer_id: man_id
                    .as_deref()
                    .map(OperatorId::parse)
                    .transpose()
                    .map_err(|e| corrupt("operator id", "", e))?,
                manufacturer_name: man_name,
                our_role: role.as_deref().map(OurRole::parse).transpose().map_err(|e| corrupt("role", "", e))?,
                stub,
            });
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

fn version_or_stub(
    tx: &rusqlite::Transaction<'_>,
    product: &ProductId,
    version: &Version,
    stats: &mut ImportStats,
) -> Result<i64> {
    let found: Option<i64> = tx
        .prepare_cached("SELECT v.id FROM product_versions v JOIN products p ON p.id = v.product WHERE p.product_id = ?1 AND v.version = ?2")
        .and_then(|mut s| s.query_row([product.as_str(), version.as_str()], |r| r.get(0)).optional())
        .map_err(backend)?;
    if let Some(id) = found {
        return Ok(id);
    }
    // Supply rows may arrive before master data (ERP exports come in any order): create stubs that a
    // later products import fills in.
    tx.prepare_cached(
        "INSERT INTO products (product_id, name, stub) VALUES (?1, ?1, 1) ON CONFLICT (product_id) DO NOTHING",
    )
    .and_then(|mut s| s.execute([product.as_str()]))
    .map_err(backend)?;
    tx.prepare_cached(
        "INSERT INTO product_versions (product, version, stub) SELECT id, ?2, 1 FROM products WHERE product_id = ?1",
    )
    .and_then(|mut s| s.execute([product.as_str(), version.as_str()]))
    .map_err(backend)?;
    if stats.stub_versions.len() < msadesk_store::MAX_MESSAGES {
        stats.stub_versions.push((product.clone(), version.clone()));
    }
    Ok(tx.last_insert_rowid())
}

/// The fields of an imported row that a conflict message names.
struct ConflictRow<'a> {
    direction: &'a str,
    reference: Option<&'a str>,
    product_id: &'a str,
    version: &'a str,
    operator_id: &'a str,
    date: &'a str,
    quantity: i64,
    role: &'a str,
}

/// Why a row was not imported: an event with its identity is recorded with other values.
fn conflict_text(e: &ConflictRow<'_>, date: &str, qty: i64, role: &str) -> String {
    format!(
        "{} event {} of {} {} with {} is already recorded with date {date}, quantity {qty}, role {role}; this row says {}, {}, {}: the recorded event was kept (correct it at the source or contact support to amend)",
        e.direction,
        e.reference.map_or("without reference".to_string(), |r| format!("'{r}'")),
        e.product_id,
        e.version,
        e.operator_id,
        e.date,
        e.quantity,
        e.role
    )
}

/// Retention of a supply event, re-exported for callers that show it.
pub fn supply_retention_end(date: Date) -> Date {
    retention::supply_event_end(date)
}

impl SqliteStore {
    /// Writes a consistent snapshot of the open database to a new file (`VACUUM INTO`): it reads in
    /// one transaction, so an import committing meanwhile is either wholly in the copy or not at all,
    /// and readers and writers of the source are not stopped for long.
    pub fn backup_to(&self, to: &Path) -> Result<()> {
        let to = to.to_str().ok_or_else(|| StoreError::Backend(format!("{} is not a UTF-8 path", to.display())))?;
        self.conn.execute("VACUUM INTO ?1", [to]).map_err(backend)?;
        Ok(())
    }
}

impl msadesk_store::ActionStore for SqliteStore {
    fn add_action(
        &mut self,
        a: &msadesk_core::action::NewAction,
        meta: &ChangeMeta,
    ) -> Result<msadesk_core::action::Action> {
        action::add_action(&mut self.conn, a, meta)
    }
    fn action(&mut self, id: i64) -> Result<Option<msadesk_core::action::Action>> {
        action::action(&self.conn, id)
    }
    fn actions(&mut self) -> Result<Vec<msadesk_core::action::Action>> {
        action::actions(&self.conn)
    }
    fn action_step(
        &mut self,
        id: i64,
        to: msadesk_core::action::Status,
        note: Option<&str>,
        meta: &ChangeMeta,
    ) -> Result<msadesk_core::action::Action> {
        action::action_step(&mut self.conn, id, to, note, meta)
    }
    fn recipients(&mut self, action_id: i64) -> Result<Vec<msadesk_store::Recipient>> {
        action::recipients(&self.conn, action_id)
    }
    fn notify(
        &mut self,
        action_id: i64,
        notices: &[msadesk_store::Notice],
        reminder: bool,
        meta: &ChangeMeta,
    ) -> Result<(msadesk_core::action::Action, u64)> {
        action::notify(&mut self.conn, action_id, notices, reminder, meta)
    }
    fn queue_messages(&mut self, messages: &[msadesk_store::NewMessage], meta: &ChangeMeta) -> Result<u64> {
        action::queue_messages(&mut self.conn, messages, meta)
    }
    fn outbox(
        &mut self,
        state: Option<msadesk_core::action::DeliveryState>,
        action_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<msadesk_store::OutboxMessage>> {
        action::outbox(&self.conn, state, action_id, limit)
    }
    fn outbox_counts(&mut self, action_id: Option<i64>) -> Result<msadesk_store::OutboxCounts> {
        action::outbox_counts(&self.conn, action_id)
    }
    fn claim_messages(
        &mut self,
        now: &str,
        lease_until: &str,
        limit: u32,
    ) -> Result<Vec<msadesk_store::OutboxMessage>> {
        action::claim_messages(&mut self.conn, now, lease_until, limit)
    }
    fn finish_message(&mut self, id: i64, outcome: &msadesk_store::DeliveryOutcome, meta: &ChangeMeta) -> Result<()> {
        action::finish_message(&mut self.conn, id, outcome, meta)
    }
    fn ack_token(&mut self, token_sha256: &str) -> Result<Option<msadesk_store::AckToken>> {
        action::ack_token(&self.conn, token_sha256)
    }
    fn acknowledge(
        &mut self,
        token_sha256: &str,
        report: &msadesk_core::action::AckReport,
        meta: &ChangeMeta,
    ) -> Result<msadesk_store::Recipient> {
        action::acknowledge(&mut self.conn, token_sha256, report, meta)
    }
}
