//! The duties that follow from an assessment, for our role for the product (CRA Arts 14, 19(5),
//! 20(4); `shared/LEGAL.md`, "When a vulnerability or a significant cybersecurity risk is found").
//!
//! Pure: the caller passes when we became aware (RFC 3339) and the policy's hour target for
//! "immediately" / "without undue delay"; nothing here reads a clock. Legal duties and
//! recommendations are told apart by `legal_duty`.

use serde::Serialize;

use crate::OurRole;
use crate::legal::{self, LegalRef};

/// One duty (or recommendation): whom to inform, where, on which basis, by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    /// `manufacturer`, `msa`, `csirt_enisa`, `users` or `end_users`.
    pub to: &'static str,
    /// What to send: `inform`, `early_warning`, `notification`, `final_report`.
    pub what: &'static str,
    /// The Member States whose authorities are addressed (empty when not an authority).
    pub member_states: Vec<String>,
    pub basis: LegalRef,
    /// RFC 3339 UTC, when it can be computed (awareness known, and for a final report a fix).
    pub due: Option<String>,
    /// The rule behind `due`, in words.
    pub timing: String,
    /// `false`: a recommendation, not a duty of the law.
    pub legal_duty: bool,
}

/// What the obligations depend on.
#[derive(Debug, Clone)]
pub struct Situation<'a> {
    pub role: OurRole,
    /// The product version is affected by the vulnerability.
    pub affected: bool,
    pub significant: bool,
    pub actively_exploited: bool,
    /// Member States where we made the product version available (registry: supplied events).
    pub made_available_in: &'a [String],
    /// When we first knew of the vulnerability for this product version (first assessment).
    pub first_seen: Option<&'a str>,
    /// When the assessment first came out significant.
    pub first_significant: Option<&'a str>,
    /// When the manufacturer first knew it was actively exploited (for Art 14).
    pub first_exploited: Option<&'a str>,
    /// When a fix became available, if one did.
    pub fix_available_at: Option<&'a str>,
    /// The policy's hours for "immediately" / "without undue delay".
    pub hours_immediately: u32,
}

fn plus_hours(at: Option<&str>, hours: u32) -> Option<String> {
    let t: jiff::Timestamp = at?.parse().ok()?;
    let due = t.checked_add(jiff::SignedDuration::from_hours(i64::from(hours))).ok()?;
    Some(due.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The obligations for a situation, legal duties first, each once.
pub fn obligations(s: &Situation<'_>) -> Vec<Obligation> {
    let mut out = Vec::new();
    if !s.affected {
        return out;
    }
    let h = s.hours_immediately;
    let o = |to, what, member_states: Vec<String>, basis, due, timing: String, legal_duty| Obligation {
        to,
        what,
        member_states,
        basis,
        due,
        timing,
        legal_duty,
    };
    match s.role {
        OurRole::Importer | OurRole::Distributor => {
            let (manufacturer, msa) = if s.role == OurRole::Importer {
                (legal::IMPORTER_INFORM_MANUFACTURER, legal::IMPORTER_INFORM_MSA)
            } else {
                (legal::DISTRIBUTOR_INFORM_MANUFACTURER, legal::DISTRIBUTOR_INFORM_MSA)
            };
            out.push(o(
                "manufacturer",
                "inform",
                vec![],
                manufacturer,
                plus_hours(s.first_seen, h),
                format!("without undue delay (policy target {h} h from awareness)"),
                true,
            ));
            if s.significant {
                out.push(o(
                    "msa",
                    "inform",
                    s.made_available_in.to_vec(),
                    msa,
                    plus_hours(s.first_significant, h),
                    format!(
                        "immediately (policy target {h} h from the first significant assessment), with details of the risk and of corrective measures taken"
                    ),
                    true,
                ));
                out.push(o(
                    "end_users",
                    "inform",
                    vec![],
                    legal::ALERT_END_USERS,
                    None,
                    "recommendation: no CRA duty for importers and distributors unless an authority orders it".into(),
                    false,
                ));
            }
        }
        OurRole::Manufacturer => {
            if s.actively_exploited {
                let at = s.first_exploited.or(s.first_significant).or(s.first_seen);
                out.push(o(
                    "csirt_enisa",
                    "early_warning",
                    vec![],
                    legal::MANUFACTURER_REPORT_EXPLOITED,
                    plus_hours(at, legal::EARLY_WARNING_HOURS),
                    format!("within {} h of becoming aware", legal::EARLY_WARNING_HOURS),
                    true,
                ));
                out.push(o(
                    "csirt_enisa",
                    "notification",
                    vec![],
                    legal::MANUFACTURER_REPORT_EXPLOITED,
                    plus_hours(at, legal::NOTIFICATION_HOURS),
                    format!("within {} h of becoming aware", legal::NOTIFICATION_HOURS),
                    true,
                ));
                out.push(o(
                    "csirt_enisa",
                    "final_report",
                    vec![],
                    legal::MANUFACTURER_REPORT_EXPLOITED,
                    plus_hours(s.fix_available_at, legal::FINAL_REPORT_DAYS_AFTER_FIX * 24),
                    format!(
                        "within {} days after a corrective or mitigating measure is available",
                        legal::FINAL_REPORT_DAYS_AFTER_FIX
                    ),
                    true,
                ));
                out.push(o(
                    "users",
                    "inform",
                    vec![],
                    legal::MANUFACTURER_INFORM_USERS,
                    plus_hours(at, h),
                    format!("after becoming aware (policy target {h} h); CSAF where appropriate"),
                    true,
                ));
            }
        }
        // LEGAL.md lists no vulnerability-reporting duty of its own for an authorised representative.
        OurRole::AuthorisedRepresentative => {}
    }
    out
}

/// An RFC 3339 time (any offset) as UTC `YYYY-MM-DDTHH:MM:SSZ`, or `None` when it is not one.
pub fn utc_timestamp(s: &str) -> Option<String> {
    let t: jiff::Timestamp = s.trim().parse().ok()?;
    Some(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Whether a duty is overdue at `now` (RFC 3339): a legal duty, no notice sent for it, and its
/// due time passed. A recommendation, or a duty without a computable due time, is never overdue.
pub fn is_overdue(due: Option<&str>, legal_duty: bool, sent: bool, now: &str) -> bool {
    if !legal_duty || sent {
        return false;
    }
    let (Some(due), Ok(now)) = (due.and_then(|d| d.parse::<jiff::Timestamp>().ok()), now.parse::<jiff::Timestamp>())
    else {
        return false;
    };
    due < now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn situation(role: OurRole, significant: bool, exploited: bool) -> Situation<'static> {
        const MS: &[String] = &[];
        Situation {
            role,
            affected: true,
            significant,
            actively_exploited: exploited,
            made_available_in: MS,
            first_seen: Some("2026-12-01T08:00:00Z"),
            first_significant: Some("2026-12-02T08:00:00Z"),
            first_exploited: None,
            fix_available_at: None,
            hours_immediately: 24,
        }
    }

    /// `check(situation, [(to, what, due, legal_duty)])`.
    fn check(s: Situation<'_>, expected: &[(&str, &str, Option<&str>, bool)]) {
        let got: Vec<(String, String, Option<String>, bool)> =
            obligations(&s).into_iter().map(|o| (o.to.into(), o.what.into(), o.due, o.legal_duty)).collect();
        let want: Vec<(String, String, Option<String>, bool)> =
            expected.iter().map(|(a, b, c, d)| ((*a).into(), (*b).into(), c.map(Into::into), *d)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn each_role() {
        let ms = vec!["DE".to_string(), "FR".to_string()];
        check(
            situation(OurRole::Importer, false, false),
            &[("manufacturer", "inform", Some("2026-12-02T08:00:00Z"), true)],
        );
        let mut s = situation(OurRole::Distributor, true, false);
        s.made_available_in = &ms;
        let all = obligations(&s);
        assert_eq!(all[1].member_states, ms);
        assert_eq!(all[1].basis.cite, "CRA Art 20(4)");
        check(
            s,
            &[
                ("manufacturer", "inform", Some("2026-12-02T08:00:00Z"), true),
                ("msa", "inform", Some("2026-12-03T08:00:00Z"), true),
                ("end_users", "inform", None, false),
            ],
        );
        check(situation(OurRole::Manufacturer, true, false), &[]);
        let mut m = situation(OurRole::Manufacturer, true, true);
        m.fix_available_at = Some("2026-12-10T00:00:00Z");
        check(
            m,
            &[
                ("csirt_enisa", "early_warning", Some("2026-12-03T08:00:00Z"), true),
                ("csirt_enisa", "notification", Some("2026-12-05T08:00:00Z"), true),
                ("csirt_enisa", "final_report", Some("2026-12-24T00:00:00Z"), true),
                ("users", "inform", Some("2026-12-03T08:00:00Z"), true),
            ],
        );
        check(situation(OurRole::AuthorisedRepresentative, true, true), &[]);
        let mut none = situation(OurRole::Importer, true, true);
        none.affected = false;
        check(none, &[]);
    }

    #[test]
    fn the_policy_target_sets_immediately() {
        let mut s = situation(OurRole::Importer, true, false);
        s.hours_immediately = 48;
        assert_eq!(obligations(&s)[1].due.as_deref(), Some("2026-12-04T08:00:00Z"));
        s.first_significant = None;
        assert_eq!(obligations(&s)[1].due, None);
    }

    #[test]
    fn timestamps_are_normalised_to_utc() {
        assert_eq!(utc_timestamp("2026-12-04T09:30:00+01:00").as_deref(), Some("2026-12-04T08:30:00Z"));
        assert_eq!(utc_timestamp(" 2026-12-04T09:30:00Z ").as_deref(), Some("2026-12-04T09:30:00Z"));
        assert_eq!(utc_timestamp("2026-12-04"), None);
        assert_eq!(utc_timestamp("yesterday"), None);
    }

    #[test]
    fn overdue_only_for_unsent_legal_duties_past_due() {
        let now = "2026-12-04T12:00:00Z";
        let table = [
            (Some("2026-12-04T11:59:59Z"), true, false, true),
            (Some("2026-12-04T12:00:00Z"), true, false, false),
            (Some("2026-12-05T00:00:00Z"), true, false, false),
            (Some("2026-12-01T00:00:00Z"), true, true, false),
            (Some("2026-12-01T00:00:00Z"), false, false, false),
            (None, true, false, false),
            (Some("not a time"), true, false, false),
        ];
        for (due, legal, sent, want) in table {
            assert_eq!(is_overdue(due, legal, sent, now), want, "{due:?} legal={legal} sent={sent}");
        }
    }
}
