//! Reading the registry back as domain values: identity, products, operators, traces, events.
//!
//! Every stored text is parsed back through the core's constructors, so a value edited outside
//! msadesk into something invalid is reported as [`StoreError::Corrupt`] rather than passed on.

use msadesk_core::trace::{Trace, TraceEntry, TraceQuery};
use msadesk_core::{
    Country, Date, Direction, Email, Gln, Gtin, MemberState, OperatorId, OperatorRole, OurRole, OwnIdentity, Party,
    Product, ProductId, ProductVersion, SupplyEvent, Version,
};
use msadesk_store::{Counts, StoreError};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, IsolationLevel, Row, Transaction};

use crate::error::{During, col, parse_stored, parse_stored_opt, to_u64};

pub(crate) fn identity(client: &mut Client) -> Result<Option<OwnIdentity>, StoreError> {
    let row = client
        .query_opt(
            "SELECT name, address, member_state, contact_person, email, default_role, gln
             FROM own_identity",
            &[],
        )
        .during("reading the identity")?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(OwnIdentity {
        name: col(&r, 0)?,
        address: col(&r, 1)?,
        member_state: parse_stored("member state", col(&r, 2)?, MemberState::parse)?,
        contact_person: col(&r, 3)?,
        email: parse_stored_opt("e-mail", col(&r, 4)?, Email::parse)?,
        default_role: parse_stored("role", col(&r, 5)?, OurRole::parse)?,
        gln: parse_stored_opt("GLN", col(&r, 6)?, Gln::parse)?,
    }))
}

const PRODUCT_COLUMNS: &str = "
    SELECT p.product_id, p.name, p.gtin, m.operator_id, m.name, p.our_role, p.stub
    FROM products p
    LEFT JOIN party_snapshots m ON m.id = p.manufacturer_snapshot_id";

fn product_from(r: &Row) -> Result<Product, StoreError> {
    Ok(Product {
        id: parse_stored("product id", col(r, 0)?, ProductId::parse)?,
        name: col(r, 1)?,
        gtin: parse_stored_opt("GTIN", col(r, 2)?, Gtin::parse)?,
        manufacturer_id: parse_stored_opt("operator id", col(r, 3)?, OperatorId::parse)?,
        manufacturer_name: col(r, 4)?,
        our_role: parse_stored_opt("role", col(r, 5)?, OurRole::parse)?,
        stub: col(r, 6)?,
    })
}

pub(crate) fn product(client: &mut Client, id: &ProductId) -> Result<Option<Product>, StoreError> {
    let sql = format!("{PRODUCT_COLUMNS} WHERE p.product_id = $1");
    client.query_opt(&sql, &[&id.as_str()]).during("reading a product")?.map(|r| product_from(&r)).transpose()
}

pub(crate) fn products(client: &mut Client) -> Result<Vec<Product>, StoreError> {
    let sql = format!("{PRODUCT_COLUMNS} ORDER BY p.product_id");
    let rows = client.query(&sql, &[]).during("listing products")?;
    rows.iter().map(product_from).collect()
}

pub(crate) fn versions(client: &mut Client, id: &ProductId) -> Result<Vec<ProductVersion>, StoreError> {
    let rows = client
        .query(
            "SELECT v.version, v.placed_on_market::text, v.end_of_support::text, v.stub
             FROM product_versions v JOIN products p ON p.id = v.product_ref
             WHERE p.product_id = $1
             ORDER BY v.version",
            &[&id.as_str()],
        )
        .during("listing product versions")?;
    rows.iter()
        .map(|r| {
            Ok(ProductVersion {
                product_id: id.clone(),
                version: parse_stored("version", col(r, 0)?, Version::parse)?,
                placed_on_market: parse_stored_opt("date", col(r, 1)?, Date::parse)?,
                end_of_support: parse_stored_opt("date", col(r, 2)?, Date::parse)?,
                stub: col(r, 3)?,
            })
        })
        .collect()
}

/// A party from eight columns starting at `at`: operator_id, name, address, country, email, phone,
/// gln, vat.
fn party_from(r: &Row, at: usize) -> Result<Party, StoreError> {
    Ok(Party {
        id: parse_stored("operator id", col(r, at)?, OperatorId::parse)?,
        name: col(r, at + 1)?,
        address: col(r, at + 2)?,
        country: parse_stored("country", col(r, at + 3)?, Country::parse)?,
        email: parse_stored_opt("e-mail", col(r, at + 4)?, Email::parse)?,
        phone: col(r, at + 5)?,
        gln: parse_stored_opt("GLN", col(r, at + 6)?, Gln::parse)?,
        vat: col(r, at + 7)?,
    })
}

pub(crate) fn operators(client: &mut Client) -> Result<Vec<Party>, StoreError> {
    let rows = client
        .query(
            "SELECT s.operator_id, s.name, s.address, s.country, s.email, s.phone, s.gln, s.vat
             FROM operators o JOIN party_snapshots s ON s.id = o.snapshot_id
             ORDER BY o.operator_id",
            &[],
        )
        .during("listing operators")?;
    rows.iter().map(|r| party_from(r, 0)).collect()
}

pub(crate) fn counts(client: &mut Client) -> Result<Counts, StoreError> {
    let r = client
        .query_one(
            "SELECT (SELECT count(*) FROM products),
                    (SELECT count(*) FROM product_versions),
                    (SELECT count(*) FROM operators),
                    (SELECT count(*) FROM supply_events),
                    (SELECT count(*) FROM audit_log)",
            &[],
        )
        .during("counting records")?;
    Ok(Counts {
        products: to_u64("count", col(&r, 0)?)?,
        versions: to_u64("count", col(&r, 1)?)?,
        operators: to_u64("count", col(&r, 2)?)?,
        supply_events: to_u64("count", col(&r, 3)?)?,
        audit_entries: to_u64("count", col(&r, 4)?)?,
    })
}

/// A trace reads several statements; a read-only snapshot makes them agree with each other even
/// while an import commits.
fn snapshot(client: &mut Client) -> Result<Transaction<'_>, StoreError> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .during("starting a read")
}

/// The version ids a query covers; an unknown product is an error, an unknown version an empty list.
fn version_refs(tx: &mut Transaction<'_>, query: &TraceQuery) -> Result<Vec<i64>, StoreError> {
    let product = tx
        .query_opt("SELECT id FROM products WHERE product_id = $1", &[&query.product_id.as_str()])
        .during("finding the product")?
        .ok_or_else(|| StoreError::UnknownProduct(query.product_id.clone()))?;
    let product_ref: i64 = col(&product, 0)?;
    let version = query.version.as_ref().map(Version::as_str);
    let rows = tx
        .query(
            "SELECT id FROM product_versions
             WHERE product_ref = $1 AND ($2::text IS NULL OR version = $2::text)",
            &[&product_ref, &version],
        )
        .during("finding the product's versions")?;
    rows.iter().map(|r| col(r, 0)).collect()
}

/// The period as bind values: an open bound is PostgreSQL's infinite date, so that every trace is
/// the same index range condition.
fn period(query: &TraceQuery) -> (String, String) {
    (
        query.from.map_or_else(|| "-infinity".to_string(), |d| d.to_string()),
        query.to.map_or_else(|| "infinity".to_string(), |d| d.to_string()),
    )
}

pub(crate) fn trace(client: &mut Client, query: &TraceQuery) -> Result<Trace, StoreError> {
    let mut tx = snapshot(client)?;
    let refs = version_refs(&mut tx, query)?;
    let (from, to) = period(query);
    // Aggregate in the index (see the supply_events_trace index), then fetch the few snapshots.
    let rows = tx
        .query(
            "SELECT a.direction, s.operator_id, s.name, s.address, s.country, s.email, s.phone,
                    a.counterparty_role, a.first_date::text, a.last_date::text,
                    a.quantity::bigint, a.deliveries
             FROM (
                 SELECT direction, snapshot_ref, counterparty_role,
                        min(event_date) AS first_date, max(event_date) AS last_date,
                        sum(quantity) AS quantity, count(*) AS deliveries
                 FROM supply_events
                 WHERE version_ref = ANY($1)
                   AND event_date BETWEEN $2::text::date AND $3::text::date
                 GROUP BY direction, snapshot_ref, counterparty_role
             ) a
             JOIN party_snapshots s ON s.id = a.snapshot_ref",
            &[&refs, &from, &to],
        )
        .during("tracing the product")?;
    let mut entries = Vec::with_capacity(rows.len());
    for r in &rows {
        let direction = parse_stored("direction", col(r, 0)?, Direction::parse)?;
        entries.push((
            direction,
            TraceEntry {
                operator_id: parse_stored("operator id", col(r, 1)?, OperatorId::parse)?,
                name: col(r, 2)?,
                address: col(r, 3)?,
                country: parse_stored("country", col(r, 4)?, Country::parse)?,
                email: col(r, 5)?,
                phone: col(r, 6)?,
                role: parse_stored("role", col(r, 7)?, OperatorRole::parse)?,
                first_date: parse_stored("date", col(r, 8)?, Date::parse)?,
                last_date: parse_stored("date", col(r, 9)?, Date::parse)?,
                quantity: to_u64("quantity", col(r, 10)?)?,
                deliveries: to_u64("count", col(r, 11)?)?,
            },
        ));
    }
    tx.commit().during("ending a read")?;
    Ok(Trace::from_rows(query, entries))
}

pub(crate) fn for_each_event(
    client: &mut Client,
    query: &TraceQuery,
    visit: &mut dyn FnMut(SupplyEvent) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let mut tx = snapshot(client)?;
    let refs = version_refs(&mut tx, query)?;
    let (from, to) = period(query);
    let what = "reading supply events";
    let mut visited = 0;
    {
        // Streamed, not collected: a trace of a busy product can cover millions of events.
        // "Insertion order" is import order, then line order within an import (the provenance
        // columns): the bulk import may stage rows out of line order.
        let mut it = tx
            .query_raw(
                "SELECT e.direction, e.event_date::text, v.version, e.quantity,
                        s.operator_id, s.name, s.address, s.country, s.email, s.phone, s.gln, s.vat,
                        e.counterparty_role, e.reference
                 FROM supply_events e
                 JOIN product_versions v ON v.id = e.version_ref
                 JOIN party_snapshots s ON s.id = e.snapshot_ref
                 WHERE e.version_ref = ANY($1)
                   AND e.event_date BETWEEN $2::text::date AND $3::text::date
                 ORDER BY e.event_date, e.direction, e.audit_seq, e.source_line, e.identity",
                [&refs as &(dyn postgres::types::ToSql + Sync), &from, &to],
            )
            .during(what)?;
        while let Some(r) = it.next().during(what)? {
            visit(SupplyEvent {
                direction: parse_stored("direction", col(&r, 0)?, Direction::parse)?,
                date: parse_stored("date", col(&r, 1)?, Date::parse)?,
                product_id: query.product_id.clone(),
                version: parse_stored("version", col(&r, 2)?, Version::parse)?,
                quantity: to_u64("quantity", col(&r, 3)?)?,
                counterparty: party_from(&r, 4)?,
                counterparty_role: parse_stored("role", col(&r, 12)?, OperatorRole::parse)?,
                reference: col(&r, 13)?,
            })?;
            visited += 1;
        }
    }
    tx.commit().during("ending a read")?;
    Ok(visited)
}
