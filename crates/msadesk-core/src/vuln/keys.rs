//! Which SBOM components a vulnerability's matching data can possibly affect, as index keys, so
//! that the store loads only those components instead of every current one.
//!
//! Each component gets two keys when it is stored: its package key ([`package_key`]: the purl's
//! ecosystem and package name as OSV writes it, without version or qualifiers) and its CPE key
//! ([`cpe_key`]: `vendor:product` of its CPE). [`candidates`] derives, from a record's
//! [`MatchData`], the keys that every component it could match must carry; a component carrying
//! none of them cannot match (`MatchData::matches_in` would answer `NotAffected` whatever its
//! version). Each key is a necessary condition of a rule in `matching`, never a guess: where the
//! data names something that cannot be keyed (a CPE criterion with a wildcard vendor or product),
//! the answer is [`Candidates::All`] and the caller loads every component. Keys may collide (two
//! different packages with the same key): that loads more components, never fewer.

use std::collections::BTreeSet;

use super::cpe::Cpe;
use super::matching::MatchData;
use super::purl::{Ecosystem, Purl};

/// Keys of the components a vulnerability can match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentKeys {
    /// Package keys ([`package_key`]).
    pub packages: BTreeSet<String>,
    /// CPE keys ([`cpe_key`]).
    pub cpes: BTreeSet<String>,
    /// Also every other component of a product version that has a component with one of the keys:
    /// NVD "running on / with" configurations look at the CPEs of the whole version's SBOM.
    pub whole_versions: bool,
}

impl ComponentKeys {
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty() && self.cpes.is_empty()
    }

    /// Adds another record's keys (the records of one vulnerability are matched together).
    pub fn extend(&mut self, other: ComponentKeys) {
        self.packages.extend(other.packages);
        self.cpes.extend(other.cpes);
        self.whole_versions |= other.whole_versions;
    }
}

/// What a vulnerability can match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidates {
    /// Only components with one of these keys.
    Keys(ComponentKeys),
    /// Any component: the data names something no key describes (the reason says what).
    All(String),
}

impl Candidates {
    /// The candidates of several records matched together: the union of their keys, every
    /// component as soon as one record needs them all.
    pub fn union<'a>(datas: impl IntoIterator<Item = &'a MatchData>) -> Candidates {
        let mut keys = ComponentKeys::default();
        for d in datas {
            match candidates(d) {
                Candidates::Keys(k) => keys.extend(k),
                all @ Candidates::All(_) => return all,
            }
        }
        Candidates::Keys(keys)
    }
}

/// The package key of a component's purl: the OSV ecosystem and the package name as OSV writes it
/// (`npm/@scope/name`, `Maven/group:artifact`, `PyPI/normalised-name`). `None` when the purl cannot
/// be read (such a component can only match by its CPE).
pub fn package_key(purl: &str) -> Option<String> {
    let p = Purl::parse(purl).ok()?;
    Some(osv_key(&p.ecosystem(), &p.osv_package_name()))
}

/// The CPE key of a component's CPE: `vendor:product` as parsed (lower case, escapes kept). `None`
/// when the CPE cannot be read (matching ignores it then).
pub fn cpe_key(cpe: &str) -> Option<String> {
    let c = Cpe::parse(cpe).ok()?;
    Some(format!("{}:{}", c.vendor(), c.product()))
}

fn osv_key(eco: &Ecosystem, name: &str) -> String {
    format!("{}/{name}", eco.osv_name())
}

/// The CPE key a criterion can match: its own vendor:product when neither holds a wildcard (which
/// `cpe::CpeRange::matches` compares for equality), `None` when the criterion matches other vendors
/// or products. Unreadable criteria match nothing: `Some(None)`.
fn criterion_key(criteria: &str) -> Option<Option<String>> {
    let Ok(c) = Cpe::parse(criteria) else { return Some(None) };
    if [c.vendor(), c.product()].iter().any(|a| a.contains(['*', '?'])) {
        return None;
    }
    Some(Some(format!("{}:{}", c.vendor(), c.product())))
}

/// The keys of the components `data` can match (see the module documentation).
pub fn candidates(data: &MatchData) -> Candidates {
    let mut keys = ComponentKeys::default();
    // OSV: same ecosystem and the purl's OSV package name.
    for p in &data.packages {
        keys.packages.insert(osv_key(&Ecosystem::from_osv(&p.ecosystem), &p.name));
    }
    for s in data.csaf.iter().filter(|s| s.affected) {
        // CSAF by purl: the same purl package key (type, namespace, name), hence the same
        // ecosystem and OSV package name. An unreadable purl matches nothing.
        if let Some(k) = s.purl.as_deref().and_then(package_key) {
            keys.packages.insert(k);
        }
        // CSAF by CPE: the same CPE, hence the same vendor and product.
        if let Some(k) = s.cpe.as_deref().and_then(cpe_key) {
            keys.cpes.insert(k);
        }
    }
    for m in &data.cpe {
        match criterion_key(&m.criteria) {
            Some(Some(k)) => {
                keys.cpes.insert(k);
            }
            Some(None) => {}
            None => return Candidates::All(format!("the NVD criterion {} names any vendor or product", m.criteria)),
        }
    }
    // NVD configurations: a component is affected only when its own CPE matches a vulnerable
    // criterion of a node that is not negated; the rest of the configuration is evaluated over the
    // CPEs of its whole product version.
    for config in &data.cpe_configs {
        keys.whole_versions = true;
        for m in config.nodes.iter().filter(|n| !n.negate).flat_map(|n| &n.matches).filter(|m| m.vulnerable) {
            match criterion_key(&m.criterion.criteria) {
                Some(Some(k)) => {
                    keys.cpes.insert(k);
                }
                Some(None) => {}
                None => {
                    return Candidates::All(format!(
                        "the NVD configuration criterion {} names any vendor or product",
                        m.criterion.criteria
                    ));
                }
            }
        }
    }
    Candidates::Keys(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vuln::matching::{
        ComponentRef, CpeConfig, CpeCriterion, CpeNode, CpeNodeMatch, CsafStatus, MatchOutcome, PackageRange,
    };

    fn crit(c: &str) -> CpeCriterion {
        CpeCriterion {
            criteria: c.into(),
            start_including: None,
            start_excluding: None,
            end_including: None,
            end_excluding: Some("9.9".into()),
        }
    }

    fn osv(eco: &str, name: &str) -> MatchData {
        MatchData {
            packages: vec![PackageRange {
                ecosystem: eco.into(),
                name: name.into(),
                ranges: vec![("ECOSYSTEM".into(), vec![("introduced".into(), "0".into())])],
                versions: vec![],
            }],
            ..MatchData::default()
        }
    }

    fn csaf(status: &str, affected: bool, purl: Option<&str>, cpe: Option<&str>) -> MatchData {
        MatchData {
            csaf: vec![CsafStatus {
                status: status.into(),
                affected,
                purl: purl.map(Into::into),
                cpe: cpe.map(Into::into),
                vers: None,
            }],
            ..MatchData::default()
        }
    }

    fn nvd(criteria: &[&str]) -> MatchData {
        MatchData { cpe: criteria.iter().map(|c| crit(c)).collect(), ..MatchData::default() }
    }

    fn config(nodes: Vec<(bool, Vec<(&str, bool)>)>) -> MatchData {
        MatchData {
            cpe_configs: vec![CpeConfig {
                and: true,
                negate: false,
                nodes: nodes
                    .into_iter()
                    .map(|(negate, ms)| CpeNode {
                        and: false,
                        negate,
                        matches: ms
                            .into_iter()
                            .map(|(c, vulnerable)| CpeNodeMatch { criterion: crit(c), vulnerable })
                            .collect(),
                    })
                    .collect(),
            }],
            ..MatchData::default()
        }
    }

    fn keys(packages: &[&str], cpes: &[&str], whole_versions: bool) -> Candidates {
        Candidates::Keys(ComponentKeys {
            packages: packages.iter().map(|s| s.to_string()).collect(),
            cpes: cpes.iter().map(|s| s.to_string()).collect(),
            whole_versions,
        })
    }

    #[test]
    fn keys_of_match_data() {
        let cases: Vec<(&str, MatchData, Candidates)> = vec![
            ("nothing", MatchData::default(), keys(&[], &[], false)),
            ("osv npm", osv("npm", "lodash"), keys(&["npm/lodash"], &[], false)),
            ("osv npm scope", osv("npm", "@angular/core"), keys(&["npm/@angular/core"], &[], false)),
            ("osv maven", osv("Maven", "org.x:core"), keys(&["Maven/org.x:core"], &[], false)),
            ("osv debian release", osv("Debian:12", "openssl"), keys(&["Debian/openssl"], &[], false)),
            ("osv other", osv("RubyGems", "rack"), keys(&["RubyGems/rack"], &[], false)),
            (
                "csaf purl affected",
                csaf("known_affected", true, Some("pkg:pypi/Django_REST@1.0?x=y"), None),
                keys(&["PyPI/django-rest"], &[], false),
            ),
            ("csaf purl not affected", csaf("fixed", false, Some("pkg:npm/a@1"), None), keys(&[], &[], false)),
            ("csaf unreadable purl", csaf("known_affected", true, Some("npm/a"), None), keys(&[], &[], false)),
            (
                "csaf cpe",
                csaf("known_affected", true, None, Some("cpe:2.3:a:ACME:Router:1.0:*:*:*:*:*:*:*")),
                keys(&[], &["acme:router"], false),
            ),
            (
                "csaf cpe wildcard is literal",
                csaf("known_affected", true, None, Some("cpe:2.3:a:*:router:1.0:*:*:*:*:*:*:*")),
                keys(&[], &["*:router"], false),
            ),
            ("nvd", nvd(&["cpe:2.3:a:Apache:Log4j:*:*:*:*:*:*:*:*"]), keys(&[], &["apache:log4j"], false)),
            ("nvd 2.2 uri", nvd(&["cpe:/a:apache:log4j"]), keys(&[], &["apache:log4j"], false)),
            ("nvd unreadable", nvd(&["cpe:9:x"]), keys(&[], &[], false)),
            ("nvd any vendor", nvd(&["cpe:2.3:a:*:log4j:*:*:*:*:*:*:*:*"]), Candidates::All(String::new())),
            ("nvd glob product", nvd(&["cpe:2.3:a:apache:log4?:*:*:*:*:*:*:*:*"]), Candidates::All(String::new())),
            ("nvd 2.2 without product", nvd(&["cpe:/a:apache"]), Candidates::All(String::new())),
            (
                "config: vulnerable parts only, whole versions",
                config(vec![
                    (false, vec![("cpe:2.3:a:acme:app:*:*:*:*:*:*:*:*", true)]),
                    (false, vec![("cpe:2.3:o:*:linux:*:*:*:*:*:*:*:*", false)]),
                    (true, vec![("cpe:2.3:a:*:*:*:*:*:*:*:*:*:*", true)]),
                ]),
                keys(&[], &["acme:app"], true),
            ),
            (
                "config: vulnerable wildcard",
                config(vec![(false, vec![("cpe:2.3:a:acme:*:*:*:*:*:*:*:*:*", true)])]),
                Candidates::All(String::new()),
            ),
        ];
        for (name, data, expected) in cases {
            let got = candidates(&data);
            match (&got, &expected) {
                (Candidates::All(reason), Candidates::All(_)) => assert!(!reason.is_empty(), "{name}"),
                _ => assert_eq!(got, expected, "{name}"),
            }
        }
    }

    #[test]
    fn union_of_records() {
        let (a, b) = (osv("npm", "a"), nvd(&["cpe:2.3:a:v:p:*:*:*:*:*:*:*:*"]));
        assert_eq!(Candidates::union([&a, &b]), keys(&["npm/a"], &["v:p"], false));
        let all = nvd(&["cpe:2.3:a:*:p:*:*:*:*:*:*:*:*"]);
        assert!(matches!(Candidates::union([&a, &all, &b]), Candidates::All(_)));
    }

    #[test]
    fn component_keys() {
        for (purl, expected) in [
            ("pkg:npm/%40angular/core@16.0.0", Some("npm/@angular/core")),
            ("pkg:npm/lodash@4.17.21?x=1#sub", Some("npm/lodash")),
            ("pkg:NPM/lodash", Some("npm/lodash")),
            // packageurl lower-cases an npm name, not its scope.
            ("pkg:npm/%40Acme/Widget@1.0.0", Some("npm/@Acme/widget")),
            ("pkg:pypi/Django_REST.framework@3.14.0", Some("PyPI/django-rest-framework")),
            ("pkg:maven/org.apache/log4j@1?type=jar", Some("Maven/org.apache:log4j")),
            ("pkg:deb/debian/openssl@3", Some("Debian/openssl")),
            ("pkg:generic/Acme/Thing@1", Some("generic/Thing")),
            ("not a purl", None),
        ] {
            assert_eq!(package_key(purl).as_deref(), expected, "{purl}");
        }
        assert_eq!(cpe_key("cpe:2.3:a:Apache:Log4j:2.14.1:*:*:*:*:*:*:*").as_deref(), Some("apache:log4j"));
        assert_eq!(cpe_key("cpe:/a:apache:log4j:2.14.1").as_deref(), Some("apache:log4j"));
        assert_eq!(cpe_key("cpe:2.3:a:x").as_deref(), None);
    }

    /// The keys are necessary: every component the data says something about (affected or
    /// unknown) carries one of them.
    #[test]
    fn every_match_carries_a_key() {
        let datas = [
            osv("npm", "lodash"),
            osv("PyPI", "django-rest"),
            osv("Maven", "org.apache:log4j"),
            csaf("known_affected", true, Some("pkg:npm/%40s/x"), None),
            csaf("known_affected", true, None, Some("cpe:2.3:a:acme:router:1.0:*:*:*:*:*:*:*")),
            nvd(&["cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*"]),
        ];
        let components = [
            ("pkg:npm/lodash@1.0.0", None),
            ("pkg:npm/lodash@bad", None),
            ("pkg:pypi/Django_REST@1.0", None),
            ("pkg:maven/org.apache/log4j@2.0", None),
            ("pkg:npm/%40s/x@1.0.0", None),
            ("pkg:generic/router@1.0", Some("cpe:2.3:a:ACME:router:1.0:*:*:*:*:*:*:*")),
            ("not a purl", Some("cpe:2.3:a:apache:log4j:2.0:*:*:*:*:*:*:*")),
        ];
        for data in &datas {
            let Candidates::Keys(k) = candidates(data) else { panic!("keyable: {data:?}") };
            for (purl, cpe) in components {
                let outcome = data.matches(&ComponentRef { purl, cpe });
                let keyed = package_key(purl).is_some_and(|p| k.packages.contains(&p))
                    || cpe.and_then(cpe_key).is_some_and(|c| k.cpes.contains(&c));
                if outcome != MatchOutcome::NotAffected {
                    assert!(keyed, "{purl} {cpe:?} matches {data:?} ({outcome:?}) without a key in {k:?}");
                }
            }
        }
    }
}
