//! The significant-risk policy: the operator's documented thresholds as data, and an explainable
//! [`Decision`] computed from [`Facts`].
//!
//! "Significant cybersecurity risk" has no numeric definition in law (CRA Art 3(38) is
//! qualitative; see `shared/LEGAL.md`): every threshold here is the operator's policy, versioned,
//! so that each decision can say which policy it applied. The decision lists every indicator with
//! `true`, `false` or `null` (not known), the indicators that fired, and every rule with whether it
//! fired and why, so an officer can check it line by line.
//!
//! This module decides nothing about obligations or deadlines and gathers no facts: the caller
//! (matching, install base, catalogues) supplies them. It reads no clock.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::cvss::Cvss;

/// The operator's significant-risk policy. The [`Default`] is the documented default policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Named in every decision, so a decision shows which policy it applied.
    pub version: String,
    /// `cvss_critical` fires at or above this base score (default 9.0).
    pub cvss_critical: f64,
    /// The elevated-score rule needs at least this base score plus one aggravating indicator
    /// (default 7.0).
    pub elevated_score: f64,
    /// `mass_impact` fires at or above this many deployed instances (default 10 000).
    pub mass_impact_instances: u64,
    /// The indicators that make an elevated score significant (default: mass_impact,
    /// critical_infrastructure, no_fix, data_exfiltration).
    pub aggravating: Vec<Indicator>,
    /// Hours the operator gives itself for what the law says "immediately" or "without undue
    /// delay" (default 24). Used by the obligations, kept here so one file holds the policy.
    pub hours_immediately: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            version: "msadesk-default-1".into(),
            cvss_critical: 9.0,
            elevated_score: 7.0,
            mass_impact_instances: 10_000,
            aggravating: vec![
                Indicator::MassImpact,
                Indicator::CriticalInfrastructure,
                Indicator::NoFix,
                Indicator::DataExfiltration,
            ],
            hours_immediately: 24,
        }
    }
}

/// A policy that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the significant-risk policy is invalid: {0}")]
pub struct PolicyError(pub String);

impl Policy {
    /// Checks the thresholds are usable: scores within 0–10, a non-empty version, a non-zero hour target.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.version.trim().is_empty() {
            return Err(PolicyError("version is empty: name the policy so decisions can cite it".into()));
        }
        for (name, v) in [("cvss_critical", self.cvss_critical), ("elevated_score", self.elevated_score)] {
            if !(0.0..=10.0).contains(&v) {
                return Err(PolicyError(format!("{name} is {v}: a CVSS score threshold must be between 0.0 and 10.0")));
            }
        }
        if self.hours_immediately == 0 {
            return Err(PolicyError("hours_immediately is 0: give a target of at least one hour".into()));
        }
        Ok(())
    }

    /// Applies the policy to the facts of one (product version, vulnerability).
    pub fn decide(&self, facts: &Facts) -> Decision {
        let best = facts.cvss.iter().max_by(|a, b| a.base_score().total_cmp(&b.base_score()));
        let score = best.map(Cvss::base_score);

        let exfil_from_vector =
            if facts.cvss.is_empty() { None } else { Some(facts.cvss.iter().any(Cvss::network_confidentiality_high)) };
        let indicators = vec![
            (Indicator::ActivelyExploited, facts.actively_exploited),
            (Indicator::CvssCritical, score.map(|s| s >= self.cvss_critical)),
            (Indicator::MassImpact, facts.deployed_instances.map(|n| n >= self.mass_impact_instances)),
            (Indicator::CriticalInfrastructure, facts.critical_sector_deployments.map(|n| n > 0)),
            (Indicator::NoFix, facts.fix_available.map(|f| !f)),
            (
                Indicator::DataExfiltration,
                match (facts.exfiltration_marked, exfil_from_vector) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (None, None) => None,
                    _ => Some(false),
                },
            ),
        ];
        let value = |i: Indicator| indicators.iter().find(|(n, _)| *n == i).and_then(|(_, v)| *v);
        let fired: Vec<Indicator> = indicators.iter().filter(|(_, v)| *v == Some(true)).map(|(n, _)| *n).collect();

        let mut rules = Vec::new();
        let exploited = value(Indicator::ActivelyExploited) == Some(true);
        rules.push(RuleOutcome {
            rule: "actively_exploited",
            fired: exploited,
            explanation: match facts.actively_exploited {
                Some(true) => "listed in a known-exploited catalogue or marked exploited".into(),
                Some(false) => "not listed in the known-exploited catalogues consulted".into(),
                None => "no known-exploited catalogue was consulted".into(),
            },
        });
        let critical = value(Indicator::CvssCritical) == Some(true);
        rules.push(RuleOutcome {
            rule: "cvss_critical",
            fired: critical,
            explanation: match best {
                Some(c) => format!(
                    "highest base score {:.1} (CVSS {} {}) {} the threshold {:.1}",
                    c.base_score(),
                    c.version(),
                    c.vector(),
                    if critical { "reaches" } else { "is below" },
                    self.cvss_critical
                ),
                None => "no CVSS vector available".into(),
            },
        });
        let aggravating: Vec<Indicator> =
            self.aggravating.iter().copied().filter(|i| value(*i) == Some(true)).collect();
        let elevated = score.is_some_and(|s| s >= self.elevated_score) && !aggravating.is_empty();
        rules.push(RuleOutcome {
            rule: "elevated_score_with_aggravating_indicator",
            fired: elevated,
            explanation: match score {
                None => "no CVSS vector available".into(),
                Some(s) if s < self.elevated_score => {
                    format!("highest base score {s:.1} is below {:.1}", self.elevated_score)
                }
                Some(s) if aggravating.is_empty() => format!(
                    "highest base score {s:.1} reaches {:.1} but none of {} is true",
                    self.elevated_score,
                    names(&self.aggravating)
                ),
                Some(s) => format!(
                    "highest base score {s:.1} reaches {:.1} and {} is true",
                    self.elevated_score,
                    names(&aggravating)
                ),
            },
        });
        let by_rules = exploited || critical || elevated;
        let significant = match &facts.officer_override {
            Some(o) => {
                rules.push(RuleOutcome {
                    rule: "officer_override",
                    fired: true,
                    explanation: format!(
                        "an officer recorded {} (rules alone: {}): {}",
                        if o.significant { "significant" } else { "not significant" },
                        if by_rules { "significant" } else { "not significant" },
                        o.reason
                    ),
                });
                o.significant
            }
            None => {
                rules.push(RuleOutcome {
                    rule: "officer_override",
                    fired: false,
                    explanation: "no officer override recorded".into(),
                });
                by_rules
            }
        };
        Decision {
            policy_version: self.version.clone(),
            highest_cvss: best.cloned(),
            indicators,
            fired,
            rules,
            significant,
        }
    }
}

fn names(list: &[Indicator]) -> String {
    list.iter().map(|i| i.name()).collect::<Vec<_>>().join(", ")
}

/// The indicators of a significant risk, named as in the assessment JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    ActivelyExploited,
    CvssCritical,
    MassImpact,
    CriticalInfrastructure,
    NoFix,
    DataExfiltration,
}

impl Indicator {
    pub fn name(self) -> &'static str {
        match self {
            Indicator::ActivelyExploited => "actively_exploited",
            Indicator::CvssCritical => "cvss_critical",
            Indicator::MassImpact => "mass_impact",
            Indicator::CriticalInfrastructure => "critical_infrastructure",
            Indicator::NoFix => "no_fix",
            Indicator::DataExfiltration => "data_exfiltration",
        }
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An officer's recorded decision that replaces the rules' answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub significant: bool,
    pub reason: String,
}

/// What is known about one (product version, vulnerability). `None` means "not known", which is
/// shown as `null` and never counts as `true`.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Listed in an imported known-exploited catalogue, or marked exploited by a feed or an officer.
    pub actively_exploited: Option<bool>,
    /// Every CVSS vector available (3.x and 4.0); the highest score counts.
    pub cvss: Vec<Cvss>,
    /// Deployed instances of the product version (install base).
    pub deployed_instances: Option<u64>,
    /// Deployments in a NIS2 Annex I/II sector.
    pub critical_sector_deployments: Option<u64>,
    /// Whether a fixed version or vendor fix is known.
    pub fix_available: Option<bool>,
    /// Marked as data exfiltration by a feed or an officer (the vectors are consulted too).
    pub exfiltration_marked: Option<bool>,
    pub officer_override: Option<Override>,
}

/// One rule of the policy and whether it fired, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleOutcome {
    pub rule: &'static str,
    pub fired: bool,
    pub explanation: String,
}

/// The outcome of applying a [`Policy`] to [`Facts`].
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub policy_version: String,
    /// The vector with the highest score, when any.
    pub highest_cvss: Option<Cvss>,
    /// Every indicator in a fixed order: true, false or unknown.
    pub indicators: Vec<(Indicator, Option<bool>)>,
    /// The indicators that are true.
    pub fired: Vec<Indicator>,
    /// Every rule, fired or not, with its reason.
    pub rules: Vec<RuleOutcome>,
    pub significant: bool,
}

impl Decision {
    pub fn indicator(&self, i: Indicator) -> Option<bool> {
        self.indicators.iter().find(|(n, _)| *n == i).and_then(|(_, v)| *v)
    }
    /// The indicators that are false or unknown.
    pub fn not_fired(&self) -> Vec<Indicator> {
        self.indicators.iter().filter(|(_, v)| *v != Some(true)).map(|(n, _)| *n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRIT: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; // 9.8, network C:H
    const HIGH_LOCAL: &str = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"; // 7.8, local
    const MEDIUM: &str = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"; // 3.1

    fn cvss(v: &str) -> Vec<Cvss> {
        vec![Cvss::parse(v).unwrap_or_else(|e| panic!("{e}"))]
    }

    /// `check(facts, significant, fired)` under the default policy.
    fn check(facts: Facts, significant: bool, fired: &[Indicator]) {
        let d = Policy::default().decide(&facts);
        assert_eq!(d.significant, significant, "{:#?}", d.rules);
        assert_eq!(d.fired, fired, "{:#?}", d.rules);
        assert_eq!(d.rules.len(), 4);
        assert_eq!(d.policy_version, "msadesk-default-1");
    }

    #[test]
    fn each_rule_and_indicator() {
        use Indicator::*;
        check(Facts::default(), false, &[]);
        check(Facts { actively_exploited: Some(true), ..Facts::default() }, true, &[ActivelyExploited]);
        check(Facts { cvss: cvss(CRIT), ..Facts::default() }, true, &[CvssCritical, DataExfiltration]);
        // 7.8 alone is not significant; with any aggravating indicator it is.
        check(Facts { cvss: cvss(HIGH_LOCAL), ..Facts::default() }, false, &[]);
        check(
            Facts { cvss: cvss(HIGH_LOCAL), deployed_instances: Some(10_000), ..Facts::default() },
            true,
            &[MassImpact],
        );
        check(Facts { cvss: cvss(HIGH_LOCAL), deployed_instances: Some(9_999), ..Facts::default() }, false, &[]);
        check(
            Facts { cvss: cvss(HIGH_LOCAL), critical_sector_deployments: Some(1), ..Facts::default() },
            true,
            &[CriticalInfrastructure],
        );
        check(Facts { cvss: cvss(HIGH_LOCAL), fix_available: Some(false), ..Facts::default() }, true, &[NoFix]);
        check(
            Facts { cvss: cvss(HIGH_LOCAL), exfiltration_marked: Some(true), ..Facts::default() },
            true,
            &[DataExfiltration],
        );
        // Aggravating indicators without an elevated score are not enough.
        check(
            Facts {
                cvss: cvss(MEDIUM),
                deployed_instances: Some(1_000_000),
                fix_available: Some(false),
                ..Facts::default()
            },
            false,
            &[MassImpact, NoFix],
        );
        // Without any score the elevated rule cannot fire.
        check(Facts { deployed_instances: Some(1_000_000), ..Facts::default() }, false, &[MassImpact]);
    }

    #[test]
    fn the_highest_score_counts() {
        let mut v = cvss(MEDIUM);
        v.extend(cvss(CRIT));
        let d = Policy::default().decide(&Facts { cvss: v, ..Facts::default() });
        assert!(d.significant);
        assert_eq!(d.highest_cvss.map(|c| c.base_score()), Some(9.8));
    }

    #[test]
    fn unknown_is_null_not_false() {
        let d = Policy::default().decide(&Facts::default());
        assert!(d.indicators.iter().all(|(_, v)| v.is_none()));
        assert_eq!(d.not_fired().len(), 6);
        let d = Policy::default().decide(&Facts { cvss: cvss(HIGH_LOCAL), ..Facts::default() });
        assert_eq!(d.indicator(Indicator::DataExfiltration), Some(false));
        assert_eq!(d.indicator(Indicator::MassImpact), None);
    }

    #[test]
    fn officer_override_wins_both_ways_and_is_explained() {
        let o = Override { significant: false, reason: "component not reachable in our build".into() };
        let d = Policy::default().decide(&Facts { cvss: cvss(CRIT), officer_override: Some(o), ..Facts::default() });
        assert!(!d.significant);
        let r =
            d.rules.iter().find(|r| r.rule == "officer_override").map(|r| r.explanation.clone()).unwrap_or_default();
        assert!(r.contains("rules alone: significant") && r.contains("not reachable"), "{r}");
        let o = Override { significant: true, reason: "public exploit seen".into() };
        let d = Policy::default().decide(&Facts { officer_override: Some(o), ..Facts::default() });
        assert!(d.significant);
    }

    #[test]
    fn thresholds_are_data() {
        let p = Policy { cvss_critical: 7.5, mass_impact_instances: 100, ..Policy::default() };
        assert!(p.decide(&Facts { cvss: cvss(HIGH_LOCAL), ..Facts::default() }).significant);
        let p = Policy { aggravating: vec![], ..Policy::default() };
        assert!(
            !p.decide(&Facts { cvss: cvss(HIGH_LOCAL), fix_available: Some(false), ..Facts::default() }).significant
        );
        assert!(Policy { cvss_critical: 11.0, ..Policy::default() }.validate().is_err());
        assert!(Policy { version: " ".into(), ..Policy::default() }.validate().is_err());
        assert!(Policy::default().validate().is_ok());
    }

    /// The policy is data: an operator's file overrides thresholds; unknown fields are refused so a
    /// typo cannot silently fall back to a default.
    #[test]
    fn policy_is_a_document() {
        let p: Policy = serde_json::from_str(
            r#"{"version":"acme-2026-2","cvss_critical":8.5,"elevated_score":6.0,"mass_impact_instances":500,
                "aggravating":["critical_infrastructure","no_fix"],"hours_immediately":12}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(p.validate().is_ok());
        assert_eq!(p.aggravating, [Indicator::CriticalInfrastructure, Indicator::NoFix]);
        let back: Policy =
            serde_json::from_str(&serde_json::to_string(&p).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, p);
        let mut doc = serde_json::to_value(&p).unwrap_or_default();
        doc["cvss_critcal"] = serde_json::json!(8.5);
        let typo = serde_json::from_value::<Policy>(doc).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(typo.contains("unknown field `cvss_critcal`"), "{typo}");
    }

    #[test]
    fn rule_explanations_name_the_numbers() {
        let d = Policy::default().decide(&Facts { cvss: cvss(HIGH_LOCAL), ..Facts::default() });
        let text: Vec<String> = d.rules.iter().map(|r| format!("{}: {}", r.rule, r.explanation)).collect();
        assert!(text[1].contains("7.8") && text[1].contains("below the threshold 9.0"), "{text:?}");
        assert!(text[2].contains("none of mass_impact"), "{text:?}");
    }
}
