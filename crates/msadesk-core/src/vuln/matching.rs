//! Which SBOM components a vulnerability record affects: the stored, serialisable form of a
//! record's affected data ([`MatchData`]) and the one function that matches a component against it.
//!
//! The data is kept by the store as JSON, so matching runs again whenever a new SBOM or new
//! vulnerability data arrives. Sources: OSV `affected[]` ranges (by purl package and ecosystem
//! ordering), NVD CPE criteria (by the component's CPE), and CSAF product status (by purl, or by
//! CPE). A version the scheme cannot read is an unknown answer, never "not affected".

use serde::{Deserialize, Serialize};

use super::cpe::{Cpe, CpeRange};
use super::osv::{Affected, Event, Range, RangeKind, evaluate};
use super::purl::{Ecosystem, Purl};

/// One OSV `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRange {
    /// OSV ecosystem name (`npm`, `PyPI`, `Maven`, `crates.io`, `Go`, `Debian`).
    pub ecosystem: String,
    /// Package name as OSV writes it.
    pub name: String,
    /// `SEMVER`, `ECOSYSTEM` or `GIT` ranges, each a list of `[event, version]` pairs
    /// (`introduced`, `fixed`, `last_affected`, `limit`).
    pub ranges: Vec<(String, Vec<(String, String)>)>,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
}

/// One NVD `cpeMatch` criterion with its version bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpeCriterion {
    pub criteria: String,
    pub start_including: Option<String>,
    pub start_excluding: Option<String>,
    pub end_including: Option<String>,
    pub end_excluding: Option<String>,
}

/// One CSAF product with its status for this vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsafStatus {
    /// `known_affected`, `fixed`, `known_not_affected`, …
    pub status: String,
    pub affected: bool,
    pub purl: Option<String>,
    pub cpe: Option<String>,
}

/// What a vulnerability record says about which components it affects.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MatchData {
    #[serde(default)]
    pub packages: Vec<PackageRange>,
    #[serde(default)]
    pub cpe: Vec<CpeCriterion>,
    #[serde(default)]
    pub csaf: Vec<CsafStatus>,
    /// A fixed version or vendor fix is known (`None`: the feed does not say).
    #[serde(default)]
    pub fix_available: Option<bool>,
    /// The feed marks it exploited.
    #[serde(default)]
    pub exploited: Option<bool>,
}

/// The answer for one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum MatchOutcome {
    Affected(String),
    /// The data names the component but its version could not be compared.
    Unknown(String),
    NotAffected,
}

/// A component as matching needs it.
pub struct ComponentRef<'a> {
    pub purl: &'a str,
    pub cpe: Option<&'a str>,
}

fn to_affected(p: &PackageRange) -> Affected {
    let ranges = p
        .ranges
        .iter()
        .map(|(kind, events)| Range {
            kind: match kind.as_str() {
                "SEMVER" => RangeKind::SemVer,
                "GIT" => RangeKind::Git,
                _ => RangeKind::Ecosystem,
            },
            events: events
                .iter()
                .map(|(k, v)| match k.as_str() {
                    "fixed" => Event::Fixed(v.clone()),
                    "last_affected" => Event::LastAffected(v.clone()),
                    "limit" => Event::Limit(v.clone()),
                    _ => Event::Introduced(v.clone()),
                })
                .collect(),
        })
        .collect();
    Affected { ranges, versions: p.versions.clone() }
}

/// The stored form of an OSV range.
pub fn range_data(r: &Range) -> (String, Vec<(String, String)>) {
    let kind = match r.kind {
        RangeKind::SemVer => "SEMVER",
        RangeKind::Ecosystem => "ECOSYSTEM",
        RangeKind::Git => "GIT",
    };
    let events = r
        .events
        .iter()
        .map(|e| {
            let k = match e {
                Event::Introduced(_) => "introduced",
                Event::Fixed(_) => "fixed",
                Event::LastAffected(_) => "last_affected",
                Event::Limit(_) => "limit",
            };
            (k.to_string(), e.version().to_string())
        })
        .collect();
    (kind.to_string(), events)
}

impl MatchData {
    /// Whether the component is affected, and why. The first affecting source wins; an unknown
    /// answer is kept when nothing says "affected".
    pub fn matches(&self, c: &ComponentRef<'_>) -> MatchOutcome {
        let mut unknown = None;
        if let Ok(purl) = Purl::parse(c.purl) {
            let eco = purl.ecosystem();
            if let Some(version) = purl.version.as_deref() {
                for p in &self.packages {
                    if Ecosystem::from_osv(&p.ecosystem) != eco || p.name != purl.osv_package_name() {
                        continue;
                    }
                    match evaluate(&to_affected(p), eco.scheme(), version) {
                        Ok(e) if e.affected => {
                            return MatchOutcome::Affected(format!(
                                "{} {} {version} is in an affected range (OSV)",
                                p.ecosystem, p.name
                            ));
                        }
                        Ok(_) => {}
                        Err(e) => unknown = Some(format!("{} {}: {e}", p.ecosystem, p.name)),
                    }
                }
            }
            for s in self.csaf.iter().filter(|s| s.affected) {
                let Some(sp) = s.purl.as_deref().and_then(|p| Purl::parse(p).ok()) else { continue };
                let same_version = sp.version.is_none() || sp.version == purl.version;
                if sp.package_key() == purl.package_key() && same_version {
                    return MatchOutcome::Affected(format!("CSAF product status {} for {}", s.status, c.purl));
                }
            }
        }
        if let Some(cpe) = c.cpe.and_then(|s| Cpe::parse(s).ok()) {
            let scheme = Purl::parse(c.purl).map_or(super::VersionScheme::Generic, |p| p.ecosystem().scheme());
            for m in &self.cpe {
                let Ok(criteria) = Cpe::parse(&m.criteria) else { continue };
                let range = CpeRange {
                    criteria,
                    start_including: m.start_including.clone(),
                    start_excluding: m.start_excluding.clone(),
                    end_including: m.end_including.clone(),
                    end_excluding: m.end_excluding.clone(),
                };
                match range.matches(&cpe, scheme) {
                    Ok(true) => return MatchOutcome::Affected(format!("CPE matches {} (NVD)", m.criteria)),
                    Ok(false) => {}
                    Err(e) => unknown = Some(format!("{}: {e}", m.criteria)),
                }
            }
            for s in self.csaf.iter().filter(|s| s.affected) {
                if let Some(sc) = s.cpe.as_deref().and_then(|p| Cpe::parse(p).ok())
                    && sc == cpe
                {
                    return MatchOutcome::Affected(format!("CSAF product status {} for {}", s.status, m_cpe(&sc)));
                }
            }
        }
        unknown.map_or(MatchOutcome::NotAffected, MatchOutcome::Unknown)
    }
}

fn m_cpe(c: &Cpe) -> String {
    format!("{}:{}:{}", c.vendor(), c.product(), c.version())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn osv(eco: &str, name: &str, introduced: &str, fixed: &str) -> MatchData {
        MatchData {
            packages: vec![PackageRange {
                ecosystem: eco.into(),
                name: name.into(),
                ranges: vec![(
                    "ECOSYSTEM".into(),
                    vec![("introduced".into(), introduced.into()), ("fixed".into(), fixed.into())],
                )],
                versions: vec![],
            }],
            ..MatchData::default()
        }
    }

    fn check(data: &MatchData, purl: &str, cpe: Option<&str>, expected: &str) {
        let got = match data.matches(&ComponentRef { purl, cpe }) {
            MatchOutcome::Affected(_) => "affected",
            MatchOutcome::Unknown(_) => "unknown",
            MatchOutcome::NotAffected => "not",
        };
        assert_eq!(got, expected, "{purl} {cpe:?}");
    }

    #[test]
    fn osv_ranges_by_ecosystem() {
        let npm = osv("npm", "lodash", "0", "4.17.21");
        check(&npm, "pkg:npm/lodash@4.17.20", None, "affected");
        check(&npm, "pkg:npm/lodash@4.17.21", None, "not");
        check(&npm, "pkg:npm/underscore@1.0.0", None, "not");
        check(&npm, "pkg:pypi/lodash@1.0", None, "not");
        check(&npm, "pkg:npm/lodash@not-a-version", None, "unknown");
        let maven = osv("Maven", "org.apache.logging.log4j:log4j-core", "2.0-beta9", "2.15.0");
        check(&maven, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", None, "affected");
        check(&maven, "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.0", None, "not");
        let pypi = osv("PyPI", "jinja2", "0", "2.11.3");
        check(&pypi, "pkg:pypi/Jinja2@2.10", None, "affected");
        let deb = osv("Debian:12", "openssl", "0", "3.0.11-1~deb12u1");
        check(&deb, "pkg:deb/debian/openssl@3.0.9-1", None, "affected");
    }

    #[test]
    fn nvd_cpe_and_csaf_status() {
        let nvd = MatchData {
            cpe: vec![CpeCriterion {
                criteria: "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*".into(),
                start_including: Some("3.0.0".into()),
                start_excluding: None,
                end_including: None,
                end_excluding: Some("3.0.7".into()),
            }],
            ..MatchData::default()
        };
        let cpe = |v: &str| format!("cpe:2.3:a:openssl:openssl:{v}:*:*:*:*:*:*:*");
        check(&nvd, "pkg:generic/openssl@3.0.1", Some(&cpe("3.0.1")), "affected");
        check(&nvd, "pkg:generic/openssl@3.0.7", Some(&cpe("3.0.7")), "not");
        check(&nvd, "pkg:generic/openssl@3.0.1", None, "not");
        let csaf = MatchData {
            csaf: vec![
                CsafStatus {
                    status: "known_affected".into(),
                    affected: true,
                    purl: Some("pkg:npm/acme-ui@2.1.0".into()),
                    cpe: None,
                },
                CsafStatus {
                    status: "fixed".into(),
                    affected: false,
                    purl: Some("pkg:npm/acme-ui@2.1.1".into()),
                    cpe: None,
                },
            ],
            ..MatchData::default()
        };
        check(&csaf, "pkg:npm/acme-ui@2.1.0", None, "affected");
        check(&csaf, "pkg:npm/acme-ui@2.1.1", None, "not");
    }

    #[test]
    fn round_trips_as_json() {
        let d = osv("npm", "lodash", "0", "4.17.21");
        let back: MatchData = serde_json::from_value(serde_json::to_value(&d).unwrap_or_default()).unwrap_or_default();
        assert_eq!(back, d);
    }
}
