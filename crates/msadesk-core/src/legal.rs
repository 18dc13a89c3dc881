//! Every legal reference msadesk shows a user, as data, in one place.
//!
//! Taken from `shared/LEGAL.md` (Regulation (EU) 2024/2847, the Cyber Resilience Act, with its
//! corrigenda, and Regulation (EU) 2019/1020). Popular guides use the 2022 proposal's article numbers;
//! these are the final ones. A correction is a one-line change here, and nothing else in the code
//! spells an article number.

use serde::Serialize;

/// A citation: where in which act, and what it says in one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LegalRef {
    /// Short citation as shown to users, e.g. "CRA Art 23(2)".
    pub cite: &'static str,
    /// What the provision requires, in one sentence.
    pub summary: &'static str,
}

/// Identification of economic operators: who supplied you, whom you supplied.
pub const IDENTIFICATION: LegalRef = LegalRef {
    cite: "CRA Art 23(1)",
    summary: "On request of a market surveillance authority, identify every economic operator that supplied you a product and, where available, every operator you supplied.",
};

/// Retention of the identification information.
pub const SUPPLY_RETENTION: LegalRef = LegalRef {
    cite: "CRA Art 23(2)",
    summary: "Be able to present the identification information for 10 years after you were supplied with the product and 10 years after you supplied it.",
};

/// Years a supply event must stay presentable, counted from the event.
pub const SUPPLY_RETENTION_YEARS: i16 = 10;

/// Years technical documentation and the EU declaration of conformity are kept after placing on the
/// market (or until the end of the support period, whichever is later).
pub const DOCUMENTATION_RETENTION_YEARS: i16 = 10;

/// Manufacturer: technical documentation and EU declaration of conformity.
pub const MANUFACTURER_DOC_RETENTION: LegalRef = LegalRef {
    cite: "CRA Art 13(13)",
    summary: "Keep the technical documentation and the EU declaration of conformity for at least 10 years after placing on the market or for the support period, whichever is longer.",
};

/// Authorised representative: keeps the same documents at the authorities' disposal.
pub const AUTHORISED_REP_DOC_RETENTION: LegalRef = LegalRef {
    cite: "CRA Art 18(3)(a)",
    summary: "Keep the EU declaration of conformity and the technical documentation at the disposal of the market surveillance authorities for at least 10 years after placing on the market or for the support period, whichever is longer.",
};

/// Importer: keeps a copy of the EU declaration of conformity.
pub const IMPORTER_DOC_RETENTION: LegalRef = LegalRef {
    cite: "CRA Art 19(6)",
    summary: "Keep a copy of the EU declaration of conformity at the disposal of the market surveillance authorities for at least 10 years after placing on the market or for the support period, whichever is longer, and ensure the technical documentation can be made available.",
};

/// Distributor: no documentation retention duty in the CRA.
pub const DISTRIBUTOR_NO_DOC_RETENTION: LegalRef = LegalRef {
    cite: "CRA Art 20",
    summary: "Distributors have no duty to keep the EU declaration of conformity or the technical documentation; Art 23 supply records still apply.",
};

/// Duties of each role, for display next to a product's role.
pub const ROLE_MANUFACTURER: LegalRef = LegalRef {
    cite: "CRA Art 13, Art 14",
    summary: "Obligations of manufacturers; reporting of actively exploited vulnerabilities and severe incidents.",
};
pub const ROLE_AUTHORISED_REP: LegalRef =
    LegalRef { cite: "CRA Art 18", summary: "Obligations of authorised representatives." };
pub const ROLE_IMPORTER: LegalRef = LegalRef { cite: "CRA Art 19", summary: "Obligations of importers." };
pub const ROLE_DISTRIBUTOR: LegalRef = LegalRef { cite: "CRA Art 20", summary: "Obligations of distributors." };

/// Market surveillance authorities may also ask for supply chain details and quantities.
pub const MSR_SUPPLY_CHAIN_DETAILS: LegalRef = LegalRef {
    cite: "Regulation (EU) 2019/1020 Art 14(4)(b)",
    summary: "Market surveillance authorities may require information on the supply chain, the distribution network and quantities of products.",
};

/// Penalty tier for breaching Art 23.
pub const PENALTY_ART_23: LegalRef = LegalRef {
    cite: "CRA Art 64(3)",
    summary: "Non-compliance with Arts 18 to 23 (among others): administrative fines of up to EUR 10 000 000 or 2 % of total worldwide annual turnover, whichever is higher.",
};

/// Penalty tier for the essential requirements and the manufacturer's obligations.
pub const PENALTY_ESSENTIAL_REQUIREMENTS: LegalRef = LegalRef {
    cite: "CRA Art 64(2)",
    summary: "Non-compliance with the essential cybersecurity requirements of Annex I or with Arts 13 and 14: administrative fines of up to EUR 15 000 000 or 2.5 % of total worldwide annual turnover, whichever is higher.",
};

/// Cooperation on a reasoned request of a market surveillance authority (the MSA inbox).
pub const COOPERATION_ON_REQUEST: LegalRef = LegalRef {
    cite: "CRA Art 13(22), 18(3)(b)-(c), 19(7), 20(5), 24(2), 53; Regulation (EU) 2019/1020 Art 7",
    summary: "On a reasoned request of a market surveillance authority, provide all information and documentation needed to show conformity, in a language the authority easily understands, and cooperate on measures to eliminate the risks.",
};

/// Penalty tier for incorrect, incomplete or misleading information to authorities.
pub const PENALTY_MISLEADING_INFORMATION: LegalRef = LegalRef {
    cite: "CRA Art 64(4)",
    summary: "Supplying incorrect, incomplete or misleading information to market surveillance authorities or notified bodies: administrative fines of up to EUR 5 000 000 or 1 % of total worldwide annual turnover, whichever is higher.",
};
// When a vulnerability or a significant cybersecurity risk is found (LEGAL.md, table of that name).

/// Importer: informs the manufacturer of a vulnerability it becomes aware of.
pub const IMPORTER_INFORM_MANUFACTURER: LegalRef = LegalRef {
    cite: "CRA Art 19(5)",
    summary: "An importer that becomes aware of a vulnerability in the product informs the manufacturer without undue delay.",
};
/// Importer: informs the MSAs where it made a product with a significant risk available.
pub const IMPORTER_INFORM_MSA: LegalRef = LegalRef {
    cite: "CRA Art 19(5)",
    summary: "Where the product presents a significant cybersecurity risk, the importer immediately informs the market surveillance authorities of the Member States in which it made the product available, giving details of the non-compliance and of any corrective measures taken.",
};
/// Distributor: informs the manufacturer of a vulnerability it becomes aware of.
pub const DISTRIBUTOR_INFORM_MANUFACTURER: LegalRef = LegalRef {
    cite: "CRA Art 20(4)",
    summary: "A distributor that becomes aware of a vulnerability in the product informs the manufacturer without undue delay.",
};
/// Distributor: informs the MSAs where it made a product with a significant risk available.
pub const DISTRIBUTOR_INFORM_MSA: LegalRef = LegalRef {
    cite: "CRA Art 20(4)",
    summary: "Where the product presents a significant cybersecurity risk, the distributor immediately informs the market surveillance authorities of the Member States in which it made the product available, giving details of the non-compliance and of any corrective measures taken.",
};
/// Manufacturer: staged reports of an actively exploited vulnerability.
pub const MANUFACTURER_REPORT_EXPLOITED: LegalRef = LegalRef {
    cite: "CRA Art 14(1)-(2)",
    summary: "A manufacturer notifies an actively exploited vulnerability to the coordinator CSIRT and ENISA via the single reporting platform: early warning within 24 hours, notification within 72 hours, final report within 14 days after a corrective or mitigating measure is available.",
};
/// Manufacturer: informs impacted users.
pub const MANUFACTURER_INFORM_USERS: LegalRef = LegalRef {
    cite: "CRA Art 14(8)",
    summary: "After becoming aware of an actively exploited vulnerability, the manufacturer informs the impacted users (where appropriate all users) and, where necessary, of risk mitigation and corrective measures, in a machine-readable format where appropriate.",
};
/// An authority may order end users to be alerted; a recommendation for importers and distributors.
pub const ALERT_END_USERS: LegalRef = LegalRef {
    cite: "Regulation (EU) 2019/1020 Art 16(3)(g)",
    summary: "Importers and distributors have no CRA duty to notify end users; a market surveillance authority can order the end users at risk to be alerted. Recommended, not a legal duty.",
};
/// Hours of the manufacturer's early warning (Art 14(2)(a)).
pub const EARLY_WARNING_HOURS: u32 = 24;
/// Hours of the manufacturer's vulnerability notification (Art 14(2)(b)).
pub const NOTIFICATION_HOURS: u32 = 72;
/// Days after a fix is available for the final report (Art 14(2)(c)).
pub const FINAL_REPORT_DAYS_AFTER_FIX: u32 = 14;

/// The article of the duty to cooperate on request for one role (the cover letter of a response
/// cites it next to Art 23).
pub fn cooperation_for(role: crate::OurRole) -> &'static str {
    match role {
        crate::OurRole::Manufacturer => "CRA Art 13(22)",
        crate::OurRole::AuthorisedRepresentative => "CRA Art 18(3)(b)",
        crate::OurRole::Importer => "CRA Art 19(7)",
        crate::OurRole::Distributor => "CRA Art 20(5)",
    }
}

// Corrective actions (issue 8). Taken from LEGAL.md, "Corrective action procedures".

/// National procedure for products presenting a significant cybersecurity risk.
pub const CORRECTIVE_ART_54: LegalRef = LegalRef {
    cite: "CRA Art 54",
    summary: "The market surveillance authority requires the operator to bring the product into compliance, withdraw it or recall it within a reasonable period it sets; 2019/1020 Art 18 applies (stated grounds, right to be heard).",
};
/// The operator's corrective action covers every affected unit made available in the Union.
pub const CORRECTIVE_SCOPE_ART_54_4: LegalRef = LegalRef {
    cite: "CRA Art 54(4)",
    summary: "The operator ensures that appropriate corrective action is taken for all products concerned that it has made available on the market throughout the Union.",
};
/// Compliant products that still present a significant cybersecurity risk.
pub const CORRECTIVE_ART_57: LegalRef = LegalRef {
    cite: "CRA Art 57",
    summary: "A compliant product that still presents a significant cybersecurity risk: the operator takes the measures the authority requires within the timeline it sets.",
};
/// Formal non-compliance.
pub const CORRECTIVE_ART_58: LegalRef = LegalRef {
    cite: "CRA Art 58",
    summary: "Formal non-compliance (CE marking, EU declaration of conformity, notified body number, technical documentation): the operator puts an end to it, or the product is restricted, withdrawn or recalled.",
};
/// The corrective options of the Market Surveillance Regulation.
pub const CORRECTIVE_MSR_16_3: LegalRef = LegalRef {
    cite: "Regulation (EU) 2019/1020 Art 16(3)",
    summary: "Corrective action: bring into compliance, stop making available, withdraw or recall and alert the public, destroy or render inoperable, affix warnings, set prior conditions, alert end users at risk.",
};
/// The right to be heard before a measure.
pub const RIGHT_TO_BE_HEARD: LegalRef = LegalRef {
    cite: "Regulation (EU) 2019/1020 Art 18",
    summary: "Before a measure is adopted the operator is given an opportunity to be heard within a period of not less than 10 working days, unless urgent action is needed.",
};
/// Minimum working days of the right-to-be-heard window (unless urgent).
pub const HEARING_MIN_WORKING_DAYS: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    /// The 2022 proposal's numbers must never come back: importers are Art 19, distributors Art 20.
    #[test]
    fn uses_the_final_article_numbers() {
        assert_eq!(ROLE_IMPORTER.cite, "CRA Art 19");
        assert_eq!(ROLE_DISTRIBUTOR.cite, "CRA Art 20");
        assert_eq!(SUPPLY_RETENTION.cite, "CRA Art 23(2)");
        assert_eq!(IMPORTER_DOC_RETENTION.cite, "CRA Art 19(6)");
        assert!(!ROLE_IMPORTER.cite.contains("18"));
        assert_eq!(IMPORTER_INFORM_MSA.cite, "CRA Art 19(5)");
        assert_eq!(DISTRIBUTOR_INFORM_MSA.cite, "CRA Art 20(4)");
        assert_eq!(MANUFACTURER_REPORT_EXPLOITED.cite, "CRA Art 14(1)-(2)");
    }
}
