//! English notice drafts for the obligations of an assessment: plain text an officer reviews,
//! completes (the bracketed parts) and sends. Delivery, translations and CSAF advisories are not
//! made here.

use serde::Serialize;

use super::obligations::Obligation;

/// What a draft says about the product and the vulnerability.
#[derive(Debug, Clone)]
pub struct NoticeFacts<'a> {
    /// Our name (from `msadesk init`), signing the notice.
    pub sender: &'a str,
    pub product_id: &'a str,
    pub product_name: Option<&'a str>,
    pub version: &'a str,
    pub vulnerability: &'a str,
    pub aliases: &'a [String],
    pub summary: Option<&'a str>,
    /// CVSS version, vector and base score of the highest-scoring vector.
    pub cvss: Option<(&'a str, &'a str, f64)>,
    /// Indicators that fired.
    pub fired: &'a [&'a str],
    pub significant: bool,
    /// Member State, quantity we supplied there, instances deployed there.
    pub member_states: &'a [(String, u64, u64)],
    /// The policy that decided.
    pub policy_version: &'a str,
}

/// One draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draft {
    pub to: &'static str,
    pub what: &'static str,
    /// ISO 639-1; only `en` is drafted so far.
    pub language: &'static str,
    pub legal_duty: bool,
    pub basis: &'static str,
    pub due: Option<String>,
    pub subject: String,
    pub body: String,
}

fn product_line(f: &NoticeFacts<'_>) -> String {
    match f.product_name {
        Some(n) => format!("{n} ({}), version {}", f.product_id, f.version),
        None => format!("{}, version {}", f.product_id, f.version),
    }
}

fn vulnerability_lines(f: &NoticeFacts<'_>) -> String {
    let others: Vec<&str> = f.aliases.iter().map(String::as_str).filter(|a| *a != f.vulnerability).collect();
    let mut s = format!("Vulnerability: {}", f.vulnerability);
    if !others.is_empty() {
        s.push_str(&format!(" (also known as {})", others.join(", ")));
    }
    s.push('\n');
    if let Some(summary) = f.summary {
        s.push_str(&format!("Description: {summary}\n"));
    }
    if let Some((v, vector, score)) = f.cvss {
        s.push_str(&format!("Severity: CVSS {v} base score {score:.1} ({vector})\n"));
    }
    if !f.fired.is_empty() {
        s.push_str(&format!("Risk indicators: {}\n", f.fired.join(", ")));
    }
    s
}

fn member_state_lines(f: &NoticeFacts<'_>) -> String {
    if f.member_states.is_empty() {
        return "Member States: none recorded\n".into();
    }
    let mut s = String::from("Member States where the product version was made available or is deployed:\n");
    for (ms, supplied, instances) in f.member_states {
        s.push_str(&format!("  {ms}: {supplied} units supplied, {instances} instances deployed\n"));
    }
    s
}

/// The draft for one obligation.
pub fn draft(o: &Obligation, f: &NoticeFacts<'_>) -> Draft {
    let product = product_line(f);
    let vuln = vulnerability_lines(f);
    let due = o.due.as_deref().map_or(String::new(), |d| format!(" (due {d})"));
    let (subject, body) = match (o.to, o.what) {
        ("manufacturer", _) => (
            format!("Vulnerability {} in {product}", f.vulnerability),
            format!(
                "Dear manufacturer,\n\nunder {basis} we inform you that we have become aware of a vulnerability in a product we make available:\n\nProduct: {product}\n{vuln}\nPlease confirm whether the product is affected, which versions are fixed, and which corrective or mitigating measures you recommend.\n\n[Add what you know: how you learned of it, affected serial numbers or batches.]\n\nKind regards,\n{sender}\n",
                basis = o.basis.cite,
                sender = f.sender
            ),
        ),
        ("msa", _) => (
            format!("Significant cybersecurity risk: {product} — {}", f.vulnerability),
            format!(
                "To the market surveillance authorities of {states},\n\nunder {basis} we inform you that a product we made available in your Member State presents a significant cybersecurity risk.\n\nProduct: {product}\n{vuln}{ms}Assessed as significant under our policy {policy}.\n\nCorrective measures taken: [describe: information of the manufacturer, stop of sales, update, withdrawal or recall, with dates].\n\nWe remain at your disposal for any further information.\n\n{sender}\n",
                states = if o.member_states.is_empty() {
                    "the Member States concerned".into()
                } else {
                    o.member_states.join(", ")
                },
                basis = o.basis.cite,
                ms = member_state_lines(f),
                policy = f.policy_version,
                sender = f.sender
            ),
        ),
        ("csirt_enisa", what) => (
            format!(
                "{} — actively exploited vulnerability {} in {product}",
                match what {
                    "early_warning" => "Early warning",
                    "notification" => "Vulnerability notification",
                    _ => "Final report",
                },
                f.vulnerability
            ),
            format!(
                "Submission through the single reporting platform (CRA Art 16){due}, under {basis}.\n\nProduct: {product}\n{vuln}{ms}\n[Early warning: Member States where the product is made available. Notification: general nature of the exploit and of the vulnerability, corrective or mitigating measures taken, measures users can take, sensitivity of the information. Final report: description, severity and impact, malicious actor where known, security update or other corrective measures.]\n\n{sender}\n",
                basis = o.basis.cite,
                ms = member_state_lines(f),
                sender = f.sender
            ),
        ),
        (to, _) => (
            format!("Security notice: {} affects {product}", f.vulnerability),
            format!(
                "{intro}\n\nProduct: {product}\n{vuln}\nWhat you should do: [update to version …, or apply this mitigation: …].\n\n{sender}\n",
                intro = if to == "users" {
                    format!(
                        "Under {} we inform you of an actively exploited vulnerability in a product you use.",
                        o.basis.cite
                    )
                } else {
                    "We inform you of a vulnerability in a product you bought from us. (Recommended notice: not a legal duty of an importer or distributor.)".to_string()
                },
                sender = f.sender
            ),
        ),
    };
    Draft {
        to: o.to,
        what: o.what,
        language: "en",
        legal_duty: o.legal_duty,
        basis: o.basis.cite,
        due: o.due.clone(),
        subject,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OurRole;
    use crate::vuln::obligations::{Situation, obligations};

    #[test]
    fn drafts_name_the_product_the_vulnerability_and_the_basis() {
        let ms = vec!["DE".to_string(), "PL".to_string()];
        let s = Situation {
            role: OurRole::Importer,
            affected: true,
            significant: true,
            actively_exploited: false,
            made_available_in: &ms,
            first_seen: Some("2026-12-01T08:00:00Z"),
            first_significant: Some("2026-12-01T08:00:00Z"),
            first_exploited: None,
            fix_available_at: None,
            hours_immediately: 24,
        };
        let aliases = vec!["CVE-2026-1".to_string(), "GHSA-aaaa-bbbb-cccc".to_string()];
        let states = vec![("DE".to_string(), 40, 0), ("PL".to_string(), 50, 12_000)];
        let f = NoticeFacts {
            sender: "ACME Import GmbH",
            product_id: "CAM-1",
            product_name: Some("Camera"),
            version: "1.0",
            vulnerability: "CVE-2026-1",
            aliases: &aliases,
            summary: Some("Prototype pollution"),
            cvss: Some(("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)),
            fired: &["cvss_critical"],
            significant: true,
            member_states: &states,
            policy_version: "msadesk-default-1",
        };
        let drafts: Vec<Draft> = obligations(&s).iter().map(|o| draft(o, &f)).collect();
        assert_eq!(drafts.len(), 3);
        assert!(drafts[0].body.contains("CRA Art 19(5)") && drafts[0].body.contains("Camera (CAM-1), version 1.0"));
        assert!(drafts[0].body.contains("also known as GHSA-aaaa-bbbb-cccc"));
        assert!(drafts[1].body.starts_with("To the market surveillance authorities of DE, PL"));
        assert!(drafts[1].body.contains("PL: 50 units supplied, 12000 instances deployed"));
        assert!(drafts[1].body.contains("base score 9.8"));
        assert!(!drafts[2].legal_duty && drafts[2].body.contains("not a legal duty"));
    }
}
