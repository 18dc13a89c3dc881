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
use super::vers::VersRange;

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
    /// A `vers:` range of the package named by `purl` (a CSAF `product_version_range` branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vers: Option<String>,
}

/// One NVD configuration that is more than a list of vulnerable CPEs: nodes joined by AND
/// ("running on / with"), or negated nodes. Kept as a tree, evaluated against every CPE of the
/// product version's SBOM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpeConfig {
    /// `true`: every node must hold (operator AND); `false`: any node (OR).
    pub and: bool,
    pub negate: bool,
    pub nodes: Vec<CpeNode>,
}

/// One node of an NVD configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpeNode {
    /// `true`: every match must hold (operator AND); `false`: any (OR).
    pub and: bool,
    pub negate: bool,
    pub matches: Vec<CpeNodeMatch>,
}

/// One `cpeMatch` of a node: the criterion and whether a match is the vulnerable part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpeNodeMatch {
    pub criterion: CpeCriterion,
    pub vulnerable: bool,
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
    /// NVD configurations with AND operators or negated nodes (plain OR lists are in `cpe`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpe_configs: Vec<CpeConfig>,
    /// CSAF `threats` of category `exploit_status`, verbatim (free text: shown to the officer,
    /// not turned into `exploited`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exploit_status: Vec<String>,
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
        self.matches_in(c, &[])
    }

    /// Like [`MatchData::matches`], with the CPEs of every component of the same product version
    /// (`siblings`), so that NVD "running on / with" (AND) and negated configurations can be
    /// evaluated. A configuration whose other nodes name nothing the SBOM lists is an unknown
    /// answer: the SBOM rarely lists the platform the product itself is.
    pub fn matches_in(&self, c: &ComponentRef<'_>, siblings: &[&str]) -> MatchOutcome {
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
                if sp.package_key() != purl.package_key() {
                    continue;
                }
                match csaf_version_matches(s, &sp, purl.version.as_deref()) {
                    Ok(true) => {
                        return MatchOutcome::Affected(match &s.vers {
                            Some(v) => format!("CSAF product status {} for {} in {v}", s.status, c.purl),
                            None => format!("CSAF product status {} for {}", s.status, c.purl),
                        });
                    }
                    Ok(false) => {}
                    Err(e) => unknown = Some(format!("{}: {e}", c.purl)),
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
        if let Some(cpe) = c.cpe.and_then(|s| Cpe::parse(s).ok()) {
            let scheme = Purl::parse(c.purl).map_or(super::VersionScheme::Generic, |p| p.ecosystem().scheme());
            let mut all: Vec<Cpe> = siblings.iter().filter_map(|s| Cpe::parse(s).ok()).collect();
            if !all.contains(&cpe) {
                all.push(cpe.clone());
            }
            for config in &self.cpe_configs {
                match config_outcome(config, &cpe, &all, scheme) {
                    MatchOutcome::NotAffected => {}
                    o @ MatchOutcome::Affected(_) => return o,
                    MatchOutcome::Unknown(r) => unknown = Some(r),
                }
            }
        }
        unknown.map_or(MatchOutcome::NotAffected, MatchOutcome::Unknown)
    }

    /// Whether a CSAF document (a supplier's VEX) states that this exact component version is not
    /// affected or is fixed (`known_not_affected`, `fixed`, `first_fixed`), and where.
    pub fn declared_not_affected(&self, c: &ComponentRef<'_>) -> Option<String> {
        let purl = Purl::parse(c.purl).ok()?;
        let version = purl.version.as_deref()?;
        self.csaf
            .iter()
            .filter(|s| matches!(s.status.as_str(), "known_not_affected" | "fixed" | "first_fixed"))
            .find_map(|s| {
                let sp = Purl::parse(s.purl.as_deref()?).ok()?;
                let exact = s.vers.is_some() || sp.version.is_some();
                (exact
                    && sp.package_key() == purl.package_key()
                    && csaf_version_matches(s, &sp, Some(version)) == Ok(true))
                .then(|| format!("CSAF product status {} for {}", s.status, c.purl))
            })
    }
}

/// Whether a CSAF product (purl, optionally with a `vers:` range) covers the component version.
/// Without a range and without a version in the purl, every version is covered.
fn csaf_version_matches(s: &CsafStatus, sp: &Purl, version: Option<&str>) -> Result<bool, String> {
    match (&s.vers, version) {
        (Some(v), Some(version)) => {
            let r = VersRange::parse(v).map_err(|e| e.to_string())?;
            r.contains(version).map_err(|e| e.to_string())
        }
        (Some(_), None) => Ok(false),
        (None, _) => Ok(sp.version.is_none() || sp.version.as_deref() == version),
    }
}

fn criterion_range(m: &CpeCriterion) -> Option<CpeRange> {
    Some(CpeRange {
        criteria: Cpe::parse(&m.criteria).ok()?,
        start_including: m.start_including.clone(),
        start_excluding: m.start_excluding.clone(),
        end_including: m.end_including.clone(),
        end_excluding: m.end_excluding.clone(),
    })
}

/// A node over a set of CPEs: `Ok(true)` when it holds (after `negate`).
fn node_holds(n: &CpeNode, all: &[Cpe], scheme: super::VersionScheme) -> Result<bool, String> {
    let mut results = Vec::new();
    for m in &n.matches {
        let Some(range) = criterion_range(&m.criterion) else { continue };
        let mut any = false;
        for c in all {
            if range.matches(c, scheme).map_err(|e| format!("{}: {e}", m.criterion.criteria))? {
                any = true;
                break;
            }
        }
        results.push(any);
    }
    let holds = if n.and { !results.is_empty() && results.iter().all(|b| *b) } else { results.iter().any(|b| *b) };
    Ok(holds != n.negate)
}

/// One AND/negated NVD configuration for a component: affected when the component matches a
/// vulnerable criterion and the whole configuration holds over the version's CPEs.
fn config_outcome(config: &CpeConfig, cpe: &Cpe, all: &[Cpe], scheme: super::VersionScheme) -> MatchOutcome {
    let mut vulnerable_hit = None;
    for n in config.nodes.iter().filter(|n| !n.negate) {
        for m in n.matches.iter().filter(|m| m.vulnerable) {
            let Some(range) = criterion_range(&m.criterion) else { continue };
            match range.matches(cpe, scheme) {
                Ok(true) => vulnerable_hit = Some(m.criterion.criteria.clone()),
                Ok(false) => {}
                Err(e) => return MatchOutcome::Unknown(format!("{}: {e}", m.criterion.criteria)),
            }
        }
    }
    let Some(hit) = vulnerable_hit else { return MatchOutcome::NotAffected };
    let mut missing = Vec::new();
    let mut results = Vec::new();
    for n in &config.nodes {
        match node_holds(n, all, scheme) {
            Ok(h) => {
                results.push(h);
                if !h && !n.negate {
                    missing.extend(n.matches.iter().map(|m| m.criterion.criteria.clone()));
                }
            }
            Err(e) => return MatchOutcome::Unknown(e),
        }
    }
    let holds = if config.and { results.iter().all(|b| *b) } else { results.iter().any(|b| *b) };
    match (holds != config.negate, config.and && !missing.is_empty()) {
        (true, _) => MatchOutcome::Affected(format!("CPE matches {hit} and its NVD configuration holds")),
        // A "running on / with" part the SBOM does not list: an officer must say.
        (false, true) => MatchOutcome::Unknown(format!(
            "CPE matches {hit}, affected only together with {} which the SBOM does not list",
            missing.join(" or ")
        )),
        (false, false) => MatchOutcome::NotAffected,
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
                    vers: None,
                },
                CsafStatus {
                    status: "fixed".into(),
                    affected: false,
                    purl: Some("pkg:npm/acme-ui@2.1.1".into()),
                    cpe: None,
                    vers: None,
                },
            ],
            ..MatchData::default()
        };
        check(&csaf, "pkg:npm/acme-ui@2.1.0", None, "affected");
        check(&csaf, "pkg:npm/acme-ui@2.1.1", None, "not");
    }

    fn crit(criteria: &str, end_excluding: Option<&str>) -> CpeCriterion {
        CpeCriterion {
            criteria: criteria.into(),
            start_including: None,
            start_excluding: None,
            end_including: None,
            end_excluding: end_excluding.map(Into::into),
        }
    }

    fn node(and: bool, negate: bool, matches: Vec<(CpeCriterion, bool)>) -> CpeNode {
        CpeNode {
            and,
            negate,
            matches: matches
                .into_iter()
                .map(|(criterion, vulnerable)| CpeNodeMatch { criterion, vulnerable })
                .collect(),
        }
    }

    fn outcome(data: &MatchData, purl: &str, cpe: Option<&str>, siblings: &[&str]) -> &'static str {
        match data.matches_in(&ComponentRef { purl, cpe }, siblings) {
            MatchOutcome::Affected(_) => "affected",
            MatchOutcome::Unknown(_) => "unknown",
            MatchOutcome::NotAffected => "not",
        }
    }

    /// NVD configurations with AND ("running on") and negated nodes, evaluated over the CPEs of
    /// the product version's SBOM.
    #[test]
    fn nvd_and_and_negated_configurations() {
        let fw = "cpe:2.3:o:acme:fw:*:*:*:*:*:*:*:*";
        let hw = "cpe:2.3:h:acme:board:-:*:*:*:*:*:*:*";
        let running_on = MatchData {
            cpe_configs: vec![CpeConfig {
                and: true,
                negate: false,
                nodes: vec![
                    node(false, false, vec![(crit(fw, Some("2.0")), true)]),
                    node(false, false, vec![(crit(hw, None), false)]),
                ],
            }],
            ..MatchData::default()
        };
        let not_on = MatchData {
            cpe_configs: vec![CpeConfig {
                and: true,
                negate: false,
                nodes: vec![
                    node(false, false, vec![(crit(fw, Some("2.0")), true)]),
                    node(false, true, vec![(crit(hw, None), false)]),
                ],
            }],
            ..MatchData::default()
        };
        let inner_and = MatchData {
            cpe_configs: vec![CpeConfig {
                and: false,
                negate: false,
                nodes: vec![node(true, false, vec![(crit(fw, Some("2.0")), true), (crit(hw, None), false)])],
            }],
            ..MatchData::default()
        };
        let fw1 = "cpe:2.3:o:acme:fw:1.5:*:*:*:*:*:*:*";
        let fw2 = "cpe:2.3:o:acme:fw:2.0:*:*:*:*:*:*:*";
        let board = "cpe:2.3:h:acme:board:-:*:*:*:*:*:*:*";
        let other = "cpe:2.3:h:other:board:-:*:*:*:*:*:*:*";
        let table: &[(&MatchData, &str, &[&str], &str)] = &[
            (&running_on, fw1, &[board], "affected"),
            (&running_on, fw1, &[other], "unknown"),
            (&running_on, fw1, &[], "unknown"),
            (&running_on, fw2, &[board], "not"),
            (&running_on, board, &[fw1], "not"),
            (&not_on, fw1, &[other], "affected"),
            (&not_on, fw1, &[board], "not"),
            (&not_on, fw2, &[], "not"),
            (&inner_and, fw1, &[board], "affected"),
            (&inner_and, fw1, &[other], "not"),
        ];
        for (i, (data, cpe, siblings, want)) in table.iter().enumerate() {
            assert_eq!(
                outcome(data, "pkg:generic/fw@x", Some(cpe), siblings),
                *want,
                "case {i}: {cpe} with {siblings:?}"
            );
        }
        // Without configurations nothing changes: the plain OR list still works.
        assert_eq!(outcome(&MatchData::default(), "pkg:generic/fw@1.5", Some(fw1), &[]), "not");
    }

    /// CSAF products with `vers:` ranges, and a supplier's VEX saying a version is not affected.
    #[test]
    fn csaf_vers_ranges_and_not_affected_statements() {
        let status = |status: &str, affected: bool, purl: &str, vers: Option<&str>| CsafStatus {
            status: status.into(),
            affected,
            purl: Some(purl.into()),
            cpe: None,
            vers: vers.map(Into::into),
        };
        let data = MatchData {
            csaf: vec![
                status("known_affected", true, "pkg:npm/acme-ui", Some("vers:npm/>=2.0.0|<2.1.1")),
                status("known_not_affected", false, "pkg:npm/acme-ui@2.0.5", None),
                status("fixed", false, "pkg:pypi/flask", Some("vers:pypi/>=2.3.2")),
                status("known_affected", true, "pkg:pypi/flask", Some("vers:pypi/<2.3.2")),
                status("known_affected", true, "pkg:npm/broken", Some("vers:npm/<x|>y")),
            ],
            ..MatchData::default()
        };
        let table = [
            ("pkg:npm/acme-ui@2.0.0", "affected", None),
            ("pkg:npm/acme-ui@2.1.0", "affected", None),
            ("pkg:npm/acme-ui@2.1.1", "not", None),
            ("pkg:npm/acme-ui@1.9.9", "not", None),
            ("pkg:npm/acme-ui@2.0.5", "affected", Some("known_not_affected")),
            ("pkg:pypi/flask@2.3.1", "affected", None),
            ("pkg:pypi/flask@2.3.2", "not", Some("fixed")),
            ("pkg:pypi/flask@3.0.0", "not", Some("fixed")),
            ("pkg:npm/other@1.0.0", "not", None),
        ];
        for (purl, want, declared) in table {
            let c = ComponentRef { purl, cpe: None };
            assert_eq!(outcome(&data, purl, None, &[]), want, "{purl}");
            let got = data.declared_not_affected(&c);
            assert_eq!(got.as_deref().map(|g| g.split(' ').nth(3).unwrap_or("")), declared, "{purl}: {got:?}");
        }
        assert_eq!(outcome(&data, "pkg:npm/broken@1.0.0", None, &[]), "unknown");
    }

    #[test]
    fn round_trips_as_json() {
        let d = osv("npm", "lodash", "0", "4.17.21");
        let back: MatchData = serde_json::from_value(serde_json::to_value(&d).unwrap_or_default()).unwrap_or_default();
        assert_eq!(back, d);
    }
}
