//! How long each record must be kept, and on which legal basis.
//!
//! Pure functions over dates and roles (LEGAL.md, "Retention periods"). Deleting is not decided
//! here: this module answers "until when, and why", and a missing date is an answer too.

use serde::Serialize;

use crate::legal::{self, LegalRef};
use crate::{Date, OurRole};

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
}
