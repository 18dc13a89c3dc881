//! The Art 23 answer: who supplied us a product, and whom we supplied, in a period.
//!
//! Engines aggregate supply events per counterparty snapshot (SQL is good at that); this module
//! defines the query and the answer, and orders the answer the same way whatever engine produced it.

use serde::Serialize;

use crate::{Country, Date, Direction, OperatorId, OperatorRole, ProductId, Version};

/// What an authority asks: a product, optionally one version, optionally a period (both bounds
/// inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceQuery {
    pub product_id: ProductId,
    pub version: Option<Version>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl TraceQuery {
    /// Whether an event date falls in the period (bounds inclusive).
    pub fn covers(&self, date: Date) -> bool {
        self.from.is_none_or(|f| date >= f) && self.to.is_none_or(|t| date <= t)
    }
}

/// One counterparty, as it was named and addressed at its events, with what moved in the period.
/// An operator that moved appears once per address, each with its own dates: the address valid at
/// each event is what the authority must get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceEntry {
    pub operator_id: OperatorId,
    pub name: String,
    pub address: String,
    pub country: Country,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: OperatorRole,
    pub first_date: Date,
    pub last_date: Date,
    pub quantity: u64,
    pub deliveries: u64,
}

/// The answer to a trace query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub product_id: ProductId,
    pub version: Option<Version>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Operators that supplied us the product.
    pub upstream: Vec<TraceEntry>,
    /// Operators we supplied the product to.
    pub downstream: Vec<TraceEntry>,
}

impl Trace {
    /// Builds the answer from per-counterparty aggregates in any order.
    pub fn from_rows(query: &TraceQuery, rows: impl IntoIterator<Item = (Direction, TraceEntry)>) -> Trace {
        let (mut upstream, mut downstream) = (Vec::new(), Vec::new());
        for (direction, entry) in rows {
            match direction {
                Direction::Received => upstream.push(entry),
                Direction::Supplied => downstream.push(entry),
            }
        }
        for list in [&mut upstream, &mut downstream] {
            list.sort_by(|a, b| {
                (a.name.to_lowercase(), &a.name, &a.operator_id, a.first_date, &a.address, a.role).cmp(&(
                    b.name.to_lowercase(),
                    &b.name,
                    &b.operator_id,
                    b.first_date,
                    &b.address,
                    b.role,
                ))
            });
        }
        Trace {
            product_id: query.product_id.clone(),
            version: query.version.clone(),
            from: query.from,
            to: query.to,
            upstream,
            downstream,
        }
    }

    /// The Member States (and other countries) the product was supplied to in the period.
    pub fn destination_countries(&self) -> Vec<Country> {
        let mut c: Vec<Country> = self.downstream.iter().map(|e| e.country).collect();
        c.sort();
        c.dedup();
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, id: &str) -> TraceEntry {
        TraceEntry {
            operator_id: OperatorId::parse(id).unwrap(),
            name: name.into(),
            address: "a".into(),
            country: Country::parse("FR").unwrap(),
            email: None,
            phone: None,
            role: OperatorRole::Distributor,
            first_date: Date::parse("2026-01-01").unwrap(),
            last_date: Date::parse("2026-01-01").unwrap(),
            quantity: 1,
            deliveries: 1,
        }
    }

    #[test]
    fn entries_are_split_and_sorted_by_name_case_insensitively() {
        let q = TraceQuery { product_id: ProductId::parse("P").unwrap(), version: None, from: None, to: None };
        let t = Trace::from_rows(
            &q,
            [
                (Direction::Supplied, entry("zeta", "1")),
                (Direction::Supplied, entry("Alpha", "2")),
                (Direction::Received, entry("beta", "3")),
                (Direction::Supplied, entry("Ælfric", "4")),
            ],
        );
        let names: Vec<&str> = t.downstream.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Alpha", "zeta", "Ælfric"]);
        assert_eq!(t.upstream.len(), 1);
    }

    #[test]
    fn period_bounds_are_inclusive() {
        let d = |s| Date::parse(s).unwrap();
        let q = TraceQuery {
            product_id: ProductId::parse("P").unwrap(),
            version: None,
            from: Some(d("2026-01-01")),
            to: Some(d("2026-01-31")),
        };
        assert!(q.covers(d("2026-01-01")));
        assert!(q.covers(d("2026-01-31")));
        assert!(!q.covers(d("2025-12-31")));
        assert!(!q.covers(d("2026-02-01")));
    }
}
