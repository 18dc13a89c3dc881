//! Evidence: the records each audit entry covers, legal holds, and the retention job.
//!
//! The decisions (what is expired, what a hold keeps, whose contact data goes) are made by
//! `msadesk_core::retention` through `msadesk_store::RetentionRun`; this module only selects rows,
//! writes tombstones and deletes, in the transaction of the run's audit entry.

use std::collections::{BTreeMap, HashSet};

use msadesk_core::audit::{Coverage, RowsDigest};
use msadesk_core::retention::{Hold, HoldScope};
use msadesk_core::{Date, OperatorId, ProductId, Version};
use msadesk_store::{
    ChangeMeta, EventFields, RetentionReport, RetentionRun, StoreError, Tombstone, hold_already_released, hold_detail,
    unknown_hold,
};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, GenericClient, Row, Transaction};

use crate::audit;
use crate::error::{During, col};

/// The columns of an event's digest, in the order [`event_digest`] reads them, then its audit seq.
const EVENT_COLUMNS: &str = "e.identity, e.direction, e.event_date::text, p.product_id, v.version, e.quantity,
    s.operator_id, s.name, s.address, s.country, e.counterparty_role, e.reference, e.retention_until::text, e.audit_seq";

/// Left joins: an event whose version or counterparty vanished reads as empty text, which changes
/// its digest instead of dropping it silently.
const EVENT_JOINS: &str = "FROM supply_events e
    LEFT JOIN product_versions v ON v.id = e.version_ref LEFT JOIN products p ON p.id = v.product_ref
    LEFT JOIN party_snapshots s ON s.id = e.snapshot_ref";

fn event_digest(r: &Row) -> Result<[u8; 32], StoreError> {
    let text = |i: usize| -> Result<String, StoreError> { Ok(col::<Option<String>>(r, i)?.unwrap_or_default()) };
    let identity: Vec<u8> = col(r, 0)?;
    let (direction, date, product_id, version) = (text(1)?, text(2)?, text(3)?, text(4)?);
    let (operator_id, name, address, country, role) = (text(6)?, text(7)?, text(8)?, text(9)?, text(10)?);
    let reference: Option<String> = col(r, 11)?;
    let retention_until = text(12)?;
    Ok(fields(
        &identity,
        &direction,
        &date,
        &product_id,
        &version,
        col(r, 5)?,
        &operator_id,
        &name,
        &address,
        &country,
        &role,
        reference.as_deref(),
        &retention_until,
    )
    .digest())
}

#[allow(clippy::too_many_arguments)]
fn fields<'a>(
    identity: &'a [u8],
    direction: &'a str,
    date: &'a str,
    product_id: &'a str,
    version: &'a str,
    quantity: i64,
    operator_id: &'a str,
    name: &'a str,
    address: &'a str,
    country: &'a str,
    role: &'a str,
    reference: Option<&'a str>,
    retention_until: &'a str,
) -> EventFields<'a> {
    EventFields {
        identity,
        direction,
        date,
        product_id,
        version,
        quantity,
        operator_id,
        name,
        address,
        country,
        role,
        reference,
        retention_until,
    }
}

/// The digest of the events an import added: the staged rows that were inserted (first of their
/// identity in the file, stored with this import's seq), found through the key of supply_events
/// rather than by scanning the table for the seq.
pub(crate) fn import_digest(tx: &mut Transaction<'_>, seq: i64) -> Result<RowsDigest, StoreError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM supply_staging st JOIN supply_events e ON e.identity = st.identity
         LEFT JOIN product_versions v ON v.id = e.version_ref LEFT JOIN products p ON p.id = v.product_ref
         LEFT JOIN party_snapshots s ON s.id = e.snapshot_ref
         WHERE st.first AND e.audit_seq = $1"
    );
    sum_digests(tx, &sql, &[&seq])
}

/// The digest of those of `identities` (distinct) that the import `seq` added: the few rows whose
/// first-ness was settled in SQL (see `supply::SETTLE_FIRSTS`), each found by the key of
/// supply_events.
pub(crate) fn digest_of(tx: &mut Transaction<'_>, seq: i64, identities: &[Vec<u8>]) -> Result<RowsDigest, StoreError> {
    let sql = format!("SELECT {EVENT_COLUMNS} {EVENT_JOINS} WHERE e.identity = ANY($2) AND e.audit_seq = $1");
    sum_digests(tx, &sql, &[&seq, &identities])
}

fn sum_digests(
    tx: &mut Transaction<'_>,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<RowsDigest, StoreError> {
    let what = "computing the digest of the imported events";
    let mut it = tx.query_raw(sql, params.iter().copied()).during(what)?;
    let mut out = RowsDigest::default();
    while let Some(r) = it.next().during(what)? {
        out.add(&event_digest(&r)?);
    }
    Ok(out)
}

/// The digests of the events per audit entry that added them (only `seq`'s when given).
pub(crate) fn event_coverage(
    client: &mut impl GenericClient,
    only: Option<i64>,
) -> Result<BTreeMap<i64, RowsDigest>, StoreError> {
    let what = "reading the supply events for their digests";
    // Streamed: a verify of a large registry must not hold every row in memory.
    let (sql, params): (String, Vec<i64>) = match only {
        Some(seq) => (format!("SELECT {EVENT_COLUMNS} {EVENT_JOINS} WHERE e.audit_seq = $1"), vec![seq]),
        None => (format!("SELECT {EVENT_COLUMNS} {EVENT_JOINS}"), vec![]),
    };
    let mut it = client.query_raw(sql.as_str(), params.iter()).during(what)?;
    let mut out: BTreeMap<i64, RowsDigest> = BTreeMap::new();
    while let Some(r) = it.next().during(what)? {
        let seq: i64 = col(&r, 13)?;
        out.entry(seq).or_default().add(&event_digest(&r)?);
    }
    Ok(out)
}

pub(crate) fn coverage(client: &mut Client) -> Result<Coverage, StoreError> {
    let mut coverage = Coverage { rows: event_coverage(client, None)?, ..Coverage::default() };
    let rows = client
        .query(
            "SELECT kind, record_key, origin_seq, record_digest, basis, retention_until, deleted_at, deleted_seq FROM tombstones",
            &[],
        )
        .during("reading the tombstones")?;
    for r in &rows {
        Tombstone {
            kind: col(r, 0)?,
            record_key: col(r, 1)?,
            origin_seq: col(r, 2)?,
            record_digest: col(r, 3)?,
            basis: col(r, 4)?,
            retention_until: col(r, 5)?,
            deleted_at: col(r, 6)?,
            deleted_seq: col(r, 7)?,
        }
        .cover(&mut coverage)?;
    }
    Ok(coverage)
}

/// Events written before schema version 2 name entries that recorded no digest. One audit entry,
/// written in the migration's transaction, adopts them all (see the SQLite engine for the why).
pub(crate) fn adopt_legacy_events(tx: &mut Transaction<'_>) -> Result<(), StoreError> {
    let what = "adopting the events imported before schema version 2";
    let any: bool = col(&tx.query_one("SELECT EXISTS (SELECT 1 FROM supply_events)", &[]).during(what)?, 0)?;
    if !any {
        return Ok(());
    }
    let tail = audit::lock(tx)?;
    let seq = tail.as_ref().map_or(1, |(s, _)| s + 1);
    tx.execute("UPDATE supply_events SET audit_seq = $1", &[&seq]).during(what)?;
    let rows = event_coverage(tx, Some(seq))?.remove(&seq).unwrap_or_default();
    let at: String = col(
        &tx.query_one("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", &[])
            .during(what)?,
        0,
    )?;
    let meta = ChangeMeta { actor: "msadesk:migrate".into(), source: None, at };
    let detail = serde_json::json!({ "schema_version": 2, msadesk_core::audit::ROWS_KEY: rows.to_json() });
    let entry = msadesk_store::next_audit_entry(tail, &meta, "supply_events", "adopt", &detail);
    audit::append(tx, &entry)
}

const HOLD_COLUMNS: &str = "id, scope, product_id, version, operator_id, reason, created_at, created_by, released_at, released_by, release_reason";

fn hold_from_row(r: &Row) -> Result<Hold, StoreError> {
    let text = |i: usize| -> Result<String, StoreError> { Ok(col::<Option<String>>(r, i)?.unwrap_or_default()) };
    let bad = |what: &str, v: &str| StoreError::Corrupt(format!("{what} '{v}' stored in legal_holds"));
    let product = || -> Result<ProductId, StoreError> {
        let v = text(2)?;
        ProductId::parse(&v).map_err(|_| bad("product id", &v))
    };
    let scope: String = text(1)?;
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
        id: col(r, 0)?,
        scope,
        reason: text(5)?,
        created_at: text(6)?,
        created_by: text(7)?,
        released_at: col(r, 8)?,
        released_by: col(r, 9)?,
        release_reason: col(r, 10)?,
    })
}

fn read_holds(client: &mut impl GenericClient, id: Option<i64>) -> Result<Vec<Hold>, StoreError> {
    let what = "reading the legal holds";
    let rows = match id {
        Some(id) => client.query(&format!("SELECT {HOLD_COLUMNS} FROM legal_holds WHERE id = $1"), &[&id]),
        None => client.query(&format!("SELECT {HOLD_COLUMNS} FROM legal_holds ORDER BY id"), &[]),
    }
    .during(what)?;
    rows.iter().map(hold_from_row).collect()
}

pub(crate) fn holds(client: &mut Client) -> Result<Vec<Hold>, StoreError> {
    read_holds(client, None)
}

pub(crate) fn add_hold(
    client: &mut Client,
    scope: &HoldScope,
    reason: &str,
    meta: &ChangeMeta,
) -> Result<Hold, StoreError> {
    let mut tx = client.transaction().during("starting to place a hold")?;
    let tail = audit::lock(&mut tx)?;
    let (kind, product, version, operator) = match scope {
        HoldScope::Product { product_id } => ("product", Some(product_id.as_str()), None, None),
        HoldScope::Version { product_id, version } => {
            ("version", Some(product_id.as_str()), Some(version.as_str()), None)
        }
        HoldScope::Operator { operator_id } => ("operator", None, None, Some(operator_id.as_str())),
    };
    let row = tx
        .query_one(
            "INSERT INTO legal_holds (scope, product_id, version, operator_id, reason, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[&kind, &product, &version, &operator, &reason, &meta.at, &meta.actor],
        )
        .during("placing a hold")?;
    let id: i64 = col(&row, 0)?;
    let hold = read_holds(&mut tx, Some(id))?.pop().ok_or_else(|| unknown_hold(id))?;
    let entry = msadesk_store::next_audit_entry(tail, meta, "legal_holds", "place", &hold_detail(&hold));
    audit::append(&mut tx, &entry)?;
    tx.commit().during("committing the hold")?;
    Ok(hold)
}

pub(crate) fn release_hold(client: &mut Client, id: i64, reason: &str, meta: &ChangeMeta) -> Result<Hold, StoreError> {
    let mut tx = client.transaction().during("starting to release a hold")?;
    let tail = audit::lock(&mut tx)?;
    let hold = read_holds(&mut tx, Some(id))?.pop().ok_or_else(|| unknown_hold(id))?;
    if !hold.is_active() {
        return Err(hold_already_released(id));
    }
    tx.execute(
        "UPDATE legal_holds SET released_at = $2, released_by = $3, release_reason = $4 WHERE id = $1",
        &[&id, &meta.at, &meta.actor, &reason],
    )
    .during("releasing a hold")?;
    let hold = read_holds(&mut tx, Some(id))?.pop().ok_or_else(|| unknown_hold(id))?;
    let entry = msadesk_store::next_audit_entry(tail, meta, "legal_holds", "release", &hold_detail(&hold));
    audit::append(&mut tx, &entry)?;
    tx.commit().during("committing the release")?;
    Ok(hold)
}

/// Tombstones and deletions are written in batches of this many.
const BATCH: usize = 5000;

pub(crate) fn run_retention(
    client: &mut Client,
    as_of: Date,
    dry_run: bool,
    meta: &ChangeMeta,
) -> Result<RetentionReport, StoreError> {
    let mut tx = client.transaction().during("starting the retention run")?;
    let tail = audit::lock(&mut tx)?;
    let seq = tail.as_ref().map_or(1, |(s, _)| s + 1);
    let holds = read_holds(&mut tx, None)?;
    let mut run = RetentionRun::new(as_of, dry_run, holds, seq, meta);
    let what = "selecting expired supply events";
    let sql = format!(
        "SELECT {EVENT_COLUMNS} {EVENT_JOINS} WHERE e.retention_until < $1::text::date
         ORDER BY e.event_date, e.identity"
    );
    let as_of_text = as_of.to_string();
    let mut doomed: Vec<(Vec<u8>, Tombstone)> = Vec::new();
    {
        // Streamed: only what is to be deleted is kept.
        let mut it = tx.query_raw(sql.as_str(), [&as_of_text]).during(what)?;
        while let Some(r) = it.next().during(what)? {
            let text =
                |i: usize| -> Result<String, StoreError> { Ok(col::<Option<String>>(&r, i)?.unwrap_or_default()) };
            let identity: Vec<u8> = col(&r, 0)?;
            let (direction, date, product_id, version) = (text(1)?, text(2)?, text(3)?, text(4)?);
            let (operator_id, name, address, country, role) = (text(6)?, text(7)?, text(8)?, text(9)?, text(10)?);
            let reference: Option<String> = col(&r, 11)?;
            let retention_until = text(12)?;
            let f = fields(
                &identity,
                &direction,
                &date,
                &product_id,
                &version,
                col(&r, 5)?,
                &operator_id,
                &name,
                &address,
                &country,
                &role,
                reference.as_deref(),
                &retention_until,
            );
            if let Some(t) = run.event(&f, col(&r, 13)?)? {
                doomed.push((identity, t));
            }
        }
    }
    for chunk in doomed.chunks(BATCH) {
        let ids: Vec<&[u8]> = chunk.iter().map(|(i, _)| i.as_slice()).collect();
        let col_of = |f: fn(&Tombstone) -> String| chunk.iter().map(|(_, t)| f(t)).collect::<Vec<String>>();
        let origin: Vec<i64> = chunk.iter().map(|(_, t)| t.origin_seq).collect();
        tx.execute(
            "INSERT INTO tombstones (kind, record_key, origin_seq, record_digest, basis, retention_until, deleted_at, deleted_seq)
             SELECT k, r, o, d, b, u, $7, $8 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[]) AS t(k, r, o, d, b, u)",
            &[
                &col_of(|t| t.kind.clone()),
                &col_of(|t| t.record_key.clone()),
                &origin,
                &col_of(|t| t.record_digest.clone()),
                &col_of(|t| t.basis.clone()),
                &col_of(|t| t.retention_until.clone()),
                &meta.at,
                &seq,
            ],
        )
        .during("writing tombstones")?;
        // The supplied-by-country summary (migrations/0011_impact.sql) loses what is deleted.
        tx.execute(
            "WITH gone AS (DELETE FROM supply_events WHERE identity = ANY($1)
                           RETURNING version_ref, snapshot_ref, direction, quantity),
                  lost AS (SELECT g.version_ref, p.country, SUM(g.quantity) AS quantity, COUNT(*) AS events
                           FROM gone g JOIN party_snapshots p ON p.id = g.snapshot_ref
                           WHERE g.direction = 'supplied' GROUP BY g.version_ref, p.country)
             UPDATE supplied_by_country c SET quantity = c.quantity - lost.quantity, events = c.events - lost.events
             FROM lost WHERE c.version_ref = lost.version_ref AND c.country = lost.country",
            &[&ids],
        )
        .during("deleting expired supply events")?;
    }
    tx.execute("DELETE FROM supplied_by_country WHERE events <= 0", &[])
        .during("removing emptied rows of the supplied-by-country summary")?;
    // Operators whose snapshots no retained event and no product refer to any more.
    let referenced: HashSet<String> = tx
        .query(
            "SELECT s.operator_id FROM party_snapshots s WHERE s.id IN (SELECT DISTINCT snapshot_ref FROM supply_events)
             UNION SELECT s.operator_id FROM party_snapshots s JOIN products p ON p.manufacturer_snapshot_id = s.id",
            &[],
        )
        .during("finding the operators retained records refer to")?
        .iter()
        .map(|r| col(r, 0))
        .collect::<Result<_, _>>()?;
    let candidates: Vec<String> = tx
        .query(
            "SELECT DISTINCT operator_id FROM party_snapshots WHERE email IS NOT NULL OR phone IS NOT NULL ORDER BY operator_id",
            &[],
        )
        .during("finding operators with contact data")?
        .iter()
        .map(|r| col(r, 0))
        .collect::<Result<_, _>>()?;
    let mut erased = false;
    for operator_id in candidates {
        if run.contact(&operator_id, referenced.contains(&operator_id))? {
            if !erased {
                tx.batch_execute("SET LOCAL msadesk.erasing = 'on'").during("erasing contact data")?;
                erased = true;
            }
            // The digest is renamed so that a later import of the same details (with contact data)
            // makes a new snapshot instead of finding this erased one.
            tx.execute(
                "UPDATE party_snapshots SET email = NULL, phone = NULL, contact_erased_at = $2,
                        digest = 'erased:'::bytea || digest
                 WHERE operator_id = $1 AND (email IS NOT NULL OR phone IS NOT NULL)",
                &[&operator_id, &meta.at],
            )
            .during("erasing contact data")?;
        }
    }
    if dry_run {
        tx.rollback().during("ending the dry run")?;
        return Ok(run.finish(false));
    }
    let entry = msadesk_store::next_audit_entry(tail, meta, "retention", "run", &run.detail());
    audit::append(&mut tx, &entry)?;
    tx.commit().during("committing the retention run")?;
    Ok(run.finish(true))
}
