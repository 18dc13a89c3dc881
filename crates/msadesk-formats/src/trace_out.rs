//! Trace answers as JSON and CSV: the shapes an authority receives.
//!
//! The wire shape is defined here, not by the core types, so a refactoring of the domain cannot change
//! what authorities and integrations read. Keys are stable and documented in the README.

use std::io::Write;

use msadesk_core::trace::{Trace, TraceEntry};
use serde::Serialize;

/// One counterparty in the JSON answer.
#[derive(Debug, Serialize)]
pub struct EntryJson<'a> {
    pub operator_id: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub country: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub role: &'a str,
    pub first_date: String,
    pub last_date: String,
    pub quantity: u64,
    pub deliveries: u64,
}

/// The JSON answer of `msadesk trace --format json` and `GET /api/v1/trace`.
#[derive(Debug, Serialize)]
pub struct TraceJson<'a> {
    pub product_id: &'a str,
    pub version: Option<&'a str>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub legal_basis: &'static str,
    pub upstream: Vec<EntryJson<'a>>,
    pub downstream: Vec<EntryJson<'a>>,
}

fn entry(e: &TraceEntry) -> EntryJson<'_> {
    EntryJson {
        operator_id: e.operator_id.as_str(),
        name: &e.name,
        address: &e.address,
        country: e.country.as_str(),
        email: e.email.as_deref(),
        phone: e.phone.as_deref(),
        role: e.role.as_str(),
        first_date: e.first_date.to_string(),
        last_date: e.last_date.to_string(),
        quantity: e.quantity,
        deliveries: e.deliveries,
    }
}

impl<'a> TraceJson<'a> {
    pub fn new(t: &'a Trace) -> Self {
        TraceJson {
            product_id: t.product_id.as_str(),
            version: t.version.as_ref().map(|v| v.as_str()),
            from: t.from.map(|d| d.to_string()),
            to: t.to.map(|d| d.to_string()),
            legal_basis: msadesk_core::legal::IDENTIFICATION.cite,
            upstream: t.upstream.iter().map(entry).collect(),
            downstream: t.downstream.iter().map(entry).collect(),
        }
    }
}

/// Writes the trace as pretty JSON followed by a newline.
pub fn write_json(out: &mut impl Write, t: &Trace) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &TraceJson::new(t))?;
    writeln!(out)
}

/// The CSV columns of a trace: one row per counterparty, `direction` telling upstream from downstream.
pub const TRACE_CSV_COLUMNS: [&str; 13] = [
    "direction",
    "operator_id",
    "name",
    "address",
    "country",
    "email",
    "phone",
    "role",
    "first_date",
    "last_date",
    "quantity",
    "deliveries",
    "product_id",
];

/// Writes the trace as CSV (RFC 4180, UTF-8, header line first).
pub fn write_csv(out: impl Write, t: &Trace) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(TRACE_CSV_COLUMNS)?;
    for (direction, list) in [("upstream", &t.upstream), ("downstream", &t.downstream)] {
        for e in list {
            let (q, n) = (e.quantity.to_string(), e.deliveries.to_string());
            let (first, last) = (e.first_date.to_string(), e.last_date.to_string());
            w.write_record([
                direction,
                e.operator_id.as_str(),
                &e.name,
                &e.address,
                e.country.as_str(),
                e.email.as_deref().unwrap_or(""),
                e.phone.as_deref().unwrap_or(""),
                e.role.as_str(),
                &first,
                &last,
                &q,
                &n,
                t.product_id.as_str(),
            ])?;
        }
    }
    w.flush()
}
