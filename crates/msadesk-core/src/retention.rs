//! How long each record must be kept, and on which legal basis.
//!
//! Pure functions over dates and roles (LEGAL.md, "Retention periods"). Deleting is not decided
//! here: this module answers "until when, and why", and a missing date is an answer too.

use serde::Serialize;

use crate::legal::{self, LegalRef};
use crate::{Date, OperatorId, OurRole, ProductId, Version};

/// Retention end of a supply event: the event date plus 10 years (CRA Art 23(2)); the clock starts
/// at each supply event, not at placing on the market nor at the end of support.
pub fn supply_event_end(event_date: Date) -> Date {
    event_date.plus_years(legal::SUPPLY_RETENTION_YEARS)
}

/// The answer for a product version's documentation (DoC, technical documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentationRetention {
    /// Keep at least until this day; `None` when there is no duty or a date is missing.
    pub until: Option<Date>,
    /// Why: the provision that applies to our role for this product.
    pub basis: LegalRef,
    /// A sentence for the reader: which date won, or what is missing.
    pub explanation: String,
}

/// Documentation retention of a product version: the later of placing on the market + 10 years and
/// the end of the support period, for the role we hold for the product. Distributors have no duty.
pub fn documentation(
    role: OurRole,
    placed_on_market: Option<Date>,
    end_of_support: Option<Date>,
) -> DocumentationRetention {
    let basis = match role {
        OurRole::Manufacturer => legal::MANUFACTURER_DOC_RETENTION,
        OurRole::AuthorisedRepresentative => legal::AUTHORISED_REP_DOC_RETENTION,
        OurRole::Importer => legal::IMPORTER_DOC_RETENTION,
        OurRole::Distributor => {
            return DocumentationRetention {
                until: None,
                basis: legal::DISTRIBUTOR_NO_DOC_RETENTION,
                explanation: "no documentation retention duty for a distributor".into(),
            };
        }
    };
    let Some(placed) = placed_on_market else {
        return DocumentationRetention {
            until: None,
            basis,
            explanation: "unknown: the placing-on-the-market date is missing; import it with `msadesk import products`"
                .into(),
        };
    };
    let ten_years = placed.plus_years(legal::DOCUMENTATION_RETENTION_YEARS);
    let (until, explanation) = match end_of_support {
        Some(eos) if eos > ten_years => {
            (eos, format!("end of support {eos} is later than placing on the market {placed} + 10 years"))
        }
        Some(eos) => {
            (ten_years, format!("placing on the market {placed} + 10 years is later than end of support {eos}"))
        }
        None => (
            ten_years,
            format!("placing on the market {placed} + 10 years (end of support unknown: it may extend this)"),
        ),
    };
    DocumentationRetention { until: Some(until), basis, explanation }
}

/// What a legal hold covers: a whole product, one version of it, or an operator. A hold keeps every
/// record it covers past its retention end, until it is released (LEGAL.md: a policy may keep
/// records longer, never shorter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum HoldScope {
    Product { product_id: ProductId },
    Version { product_id: ProductId, version: Version },
    Operator { operator_id: OperatorId },
}

impl std::fmt::Display for HoldScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HoldScope::Product { product_id } => write!(f, "product {product_id}"),
            HoldScope::Version { product_id, version } => write!(f, "product {product_id} version {version}"),
            HoldScope::Operator { operator_id } => write!(f, "operator {operator_id}"),
        }
    }
}

/// A legal hold as stored: active while `released_at` is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hold {
    pub id: i64,
    #[serde(flatten)]
    pub scope: HoldScope,
    pub reason: String,
    pub created_at: String,
    pub created_by: String,
    pub released_at: Option<String>,
    pub released_by: Option<String>,
    pub release_reason: Option<String>,
}

impl Hold {
    pub fn is_active(&self) -> bool {
        self.released_at.is_none()
    }

    /// Whether this hold, while active, covers a record of this product, version and operator.
    pub fn covers(&self, product: Option<(&ProductId, &Version)>, operator: Option<&OperatorId>) -> bool {
        if !self.is_active() {
            return false;
        }
        match (&self.scope, product, operator) {
            (HoldScope::Product { product_id }, Some((p, _)), _) => product_id == p,
            (HoldScope::Version { product_id, version }, Some((p, v)), _) => product_id == p && version == v,
            (HoldScope::Operator { operator_id }, _, Some(o)) => operator_id == o,
            _ => false,
        }
    }
}

/// A supply event the retention job looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCandidate {
    pub product_id: ProductId,
    pub version: Version,
    pub operator_id: OperatorId,
    pub date: Date,
}

/// What the retention job does with one record, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    /// Still within its retention period (kept, not listed).
    Keep { until: Date },
    /// Expired and not held: deleted, leaving a tombstone.
    Delete { until: Date, reason: String },
    /// Expired but under an active legal hold: kept.
    Held { until: Date, hold_id: i64, reason: String },
}

/// The decision for a supply event on `as_of`: expired when its retention end (event date + 10
/// years, CRA Art 23(2)) is strictly before `as_of`; an expired event covered by an active hold on
/// its product, version or counterparty is kept (the lowest hold id is named).
pub fn decide_event(e: &EventCandidate, holds: &[Hold], as_of: Date) -> Decision {
    let until = supply_event_end(e.date);
    if until >= as_of {
        return Decision::Keep { until };
    }
    let hold =
        holds.iter().filter(|h| h.covers(Some((&e.product_id, &e.version)), Some(&e.operator_id))).min_by_key(|h| h.id);
    match hold {
        Some(h) => Decision::Held {
            until,
            hold_id: h.id,
            reason: format!("retention ended {until} but legal hold #{} on {} is active: {}", h.id, h.scope, h.reason),
        },
        None => Decision::Delete {
            until,
            reason: format!(
                "event of {} + 10 years = {until}, before {as_of} ({})",
                e.date,
                legal::SUPPLY_RETENTION.cite
            ),
        },
    }
}

/// What happens to an operator's personal contact data (e-mail, phone of a contact person).
///
/// Name, address and country identify the legal entity (CRA Art 23 data) and are kept as long as
/// any snapshot row exists; the contact data is personal data that no retention duty covers once no
/// retained record refers to the operator, so it is erased then — unless a hold on the operator
/// keeps it.
pub fn decide_contact(operator: &OperatorId, referenced_by_retained_record: bool, holds: &[Hold]) -> ContactDecision {
    if referenced_by_retained_record {
        return ContactDecision::Keep;
    }
    match holds.iter().filter(|h| h.covers(None, Some(operator))).min_by_key(|h| h.id) {
        Some(h) => ContactDecision::Held {
            hold_id: h.id,
            reason: format!(
                "no retained record refers to it, but legal hold #{} on {} is active: {}",
                h.id, h.scope, h.reason
            ),
        },
        None => ContactDecision::Erase {
            reason: "no retained supply event or product refers to this operator any more: its contact data (e-mail, phone) is erased; name and address stay with the records that remain".into(),
        },
    }
}

/// The decision about an operator's contact data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum ContactDecision {
    /// A retained record still refers to the operator.
    Keep,
    Erase {
        reason: String,
    },
    Held {
        hold_id: i64,
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn supply_events_are_kept_ten_years_from_the_event() {
        assert_eq!(supply_event_end(d("2026-05-17")), d("2036-05-17"));
        assert_eq!(supply_event_end(d("2028-02-29")), d("2038-02-28"));
    }

    #[test]
    fn documentation_takes_the_later_date_for_the_role() {
        let check = |role, placed: Option<&str>, eos: Option<&str>, want: Option<&str>, cite: &str| {
            let r = documentation(role, placed.map(d), eos.map(d));
            assert_eq!(r.until, want.map(d), "{role:?} {placed:?} {eos:?}");
            assert_eq!(r.basis.cite, cite);
        };
        check(OurRole::Manufacturer, Some("2027-12-11"), Some("2032-12-11"), Some("2037-12-11"), "CRA Art 13(13)");
        check(OurRole::Manufacturer, Some("2027-12-11"), Some("2040-06-30"), Some("2040-06-30"), "CRA Art 13(13)");
        check(OurRole::Importer, Some("2024-02-29"), None, Some("2034-02-28"), "CRA Art 19(6)");
        check(
            OurRole::AuthorisedRepresentative,
            Some("2028-01-01"),
            Some("2028-01-01"),
            Some("2038-01-01"),
            "CRA Art 18(3)(a)",
        );
        check(OurRole::Distributor, Some("2028-01-01"), Some("2045-01-01"), None, "CRA Art 20");
        check(OurRole::Manufacturer, None, Some("2045-01-01"), None, "CRA Art 13(13)");
    }

    fn hold(id: i64, scope: HoldScope, released: bool) -> Hold {
        Hold {
            id,
            scope,
            reason: "open case MSA-1".into(),
            created_at: "2030-01-01T00:00:00Z".into(),
            created_by: "cli:test".into(),
            released_at: released.then(|| "2031-01-01T00:00:00Z".into()),
            released_by: None,
            release_reason: None,
        }
    }

    #[test]
    fn retention_decisions_for_supply_events() {
        let p = |s: &str| ProductId::parse(s).unwrap();
        let v = |s: &str| Version::parse(s).unwrap();
        let o = |s: &str| OperatorId::parse(s).unwrap();
        let holds = vec![
            hold(3, HoldScope::Product { product_id: p("HELD") }, false),
            hold(4, HoldScope::Version { product_id: p("CAM"), version: v("2.0") }, false),
            hold(5, HoldScope::Operator { operator_id: o("OP-HELD") }, false),
            hold(1, HoldScope::Product { product_id: p("CAM") }, true),
        ];
        // (product, version, operator, event date, as of, expected: "keep" | "delete" | hold id)
        let cases: &[(&str, &str, &str, &str, &str, &str)] = &[
            ("CAM", "1.0", "OP-1", "2026-12-31", "2037-01-01", "delete"), // ends 2036-12-31
            ("CAM", "1.0", "OP-1", "2026-12-30", "2037-01-01", "delete"),
            ("CAM", "1.0", "OP-1", "2027-01-01", "2037-01-01", "keep"), // ends on the as-of day: not strictly before
            ("CAM", "1.0", "OP-1", "2026-12-31", "2037-01-02", "delete"),
            ("CAM", "1.0", "OP-1", "2010-03-01", "2037-01-01", "delete"),
            // 29 February + 10 years = 28 February: expired on 1 March, kept on 28 February.
            ("CAM", "1.0", "OP-1", "2016-02-29", "2026-03-01", "delete"),
            ("CAM", "1.0", "OP-1", "2016-02-29", "2026-02-28", "keep"),
            ("CAM", "1.0", "OP-1", "2016-02-29", "2026-02-27", "keep"),
            // Holds: product, version, operator; a released hold keeps nothing.
            ("HELD", "1.0", "OP-1", "2012-05-05", "2037-01-01", "3"),
            ("CAM", "2.0", "OP-1", "2012-05-05", "2037-01-01", "4"),
            ("CAM", "3.0", "OP-1", "2012-05-05", "2037-01-01", "delete"),
            ("CAM", "1.0", "OP-HELD", "2012-05-05", "2037-01-01", "5"),
            ("HELD", "1.0", "OP-HELD", "2012-05-05", "2037-01-01", "3"),
            ("HELD", "1.0", "OP-1", "2030-05-05", "2037-01-01", "keep"),
        ];
        for &(prod, ver, op, date, as_of, want) in cases {
            let as_of = d(as_of);
            let e = EventCandidate { product_id: p(prod), version: v(ver), operator_id: o(op), date: d(date) };
            let got = match decide_event(&e, &holds, as_of) {
                Decision::Keep { .. } => "keep".to_string(),
                Decision::Delete { .. } => "delete".to_string(),
                Decision::Held { hold_id, .. } => hold_id.to_string(),
            };
            assert_eq!(got, want, "{prod} {ver} {op} {date} as of {as_of}");
        }
    }

    #[test]
    fn contact_data_is_erased_only_when_unreferenced_and_unheld() {
        let o = |s: &str| OperatorId::parse(s).unwrap();
        let holds = vec![hold(7, HoldScope::Operator { operator_id: o("OP-HELD") }, false)];
        assert_eq!(decide_contact(&o("OP-1"), true, &holds), ContactDecision::Keep);
        assert!(matches!(decide_contact(&o("OP-1"), false, &holds), ContactDecision::Erase { .. }));
        assert!(matches!(decide_contact(&o("OP-HELD"), false, &holds), ContactDecision::Held { hold_id: 7, .. }));
        assert_eq!(decide_contact(&o("OP-HELD"), true, &holds), ContactDecision::Keep);
    }
}
