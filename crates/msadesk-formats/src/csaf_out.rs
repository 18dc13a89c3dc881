//! CSAF 2.0 output: a security advisory (`csaf_security_advisory`) or a VEX document (`csaf_vex`)
//! about one vulnerability and the product versions it affects, does not affect, or is fixed in.
//!
//! The caller (the binary) gathers the facts — which versions are affected, which are fixed, which
//! are not affected and why, the CVSS vector, whether it is exploited, the publisher — into an
//! [`Advisory`]; this module only turns them into the CSAF 2.0 JSON shape, so that the mandatory
//! tests of CSAF 2.0 section 6.1 hold by construction (every product id used is defined once in the
//! product tree, every known-affected product has a remediation, every not-affected product has a
//! flag, the revision history is numbered 1, 2, 3, … and its last number is the document version).
//! CI checks the output with the outside validator npm `@secvisogram/csaf-validator-lib`
//! (`ci/csaf-validate.sh`). It opens no file and reads no clock: dates come in.

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// Which CSAF profile to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `csaf_security_advisory`.
    SecurityAdvisory,
    /// `csaf_vex`.
    Vex,
}

impl Profile {
    pub fn category(self) -> &'static str {
        match self {
            Profile::SecurityAdvisory => "csaf_security_advisory",
            Profile::Vex => "csaf_vex",
        }
    }
}

/// The status of one product version for the vulnerability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionStatus {
    /// Affected, through these components (purl, name, version), each with a purl helper.
    KnownAffected { components: Vec<Component> },
    /// The vulnerable component is present in a version outside the affected range.
    Fixed,
    /// Not affected, with the VEX justification flag (`component_not_present`,
    /// `vulnerable_code_not_present`, …).
    KnownNotAffected { justification: &'static str },
    /// No SBOM, or a version the ecosystem could not compare: nobody knows yet.
    UnderInvestigation,
}

impl VersionStatus {
    fn key(&self) -> &'static str {
        match self {
            VersionStatus::KnownAffected { .. } => "known_affected",
            VersionStatus::Fixed => "fixed",
            VersionStatus::KnownNotAffected { .. } => "known_not_affected",
            VersionStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// An SBOM component that makes a product version affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub purl: String,
    pub name: String,
    pub version: Option<String>,
}

/// One product version of the advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductVersionEntry {
    pub product_id: String,
    pub product_name: String,
    pub vendor: String,
    pub version: String,
    /// The product's GTIN, given as a GS1 Digital Link URI helper.
    pub gtin: Option<String>,
    pub status: VersionStatus,
}

/// The CVSS v3 score of the vulnerability (CSAF 2.0 carries CVSS v2 and v3 only).
#[derive(Debug, Clone, PartialEq)]
pub struct Cvss3 {
    /// `3.0` or `3.1`.
    pub version: String,
    pub vector: String,
    pub base_score: f64,
}

/// One revision of the advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub date: String,
    pub summary: String,
}

/// The publisher (the operator of this msadesk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    /// `vendor` for a manufacturer, `other` for an importer or distributor.
    pub category: &'static str,
    pub name: String,
    /// A URI that names the publisher (its web site).
    pub namespace: String,
    pub contact_details: Option<String>,
}

/// Everything one advisory says.
#[derive(Debug, Clone, PartialEq)]
pub struct Advisory {
    pub profile: Profile,
    pub tracking_id: String,
    pub title: String,
    pub publisher: Publisher,
    /// `final` or `interim`.
    pub status: &'static str,
    /// The revisions so far, oldest first, this one last (at least one). Numbered 1, 2, 3, …
    pub revisions: Vec<Revision>,
    /// The CVE id, when the vulnerability has one.
    pub cve: Option<String>,
    /// Other ids (GHSA, EUVD, OSV, advisory ids): (system name, id).
    pub ids: Vec<(String, String)>,
    pub vulnerability_title: Option<String>,
    pub description: String,
    pub cvss: Option<Cvss3>,
    /// Known exploitation, e.g. "Listed in CISA KEV since 2026-11-02".
    pub exploited: Option<String>,
    /// The remediation for the affected versions: (CSAF category, details).
    pub remediation: (String, String),
    /// Why it matters and what the operator's policy decided, for the notes.
    pub assessment_note: String,
    pub products: Vec<ProductVersionEntry>,
    pub generator_version: String,
}

/// A product id usable in CSAF: letters, digits and `-`, `.`, `_`, `:`, `+` kept, others replaced.
fn pid(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || "-._:+".contains(c) { c } else { '_' }).collect()
}

/// The CVSS v3 base severity of a base score (CVSS v3.1 specification, table 14).
pub fn base_severity(score: f64) -> &'static str {
    if score == 0.0 {
        "NONE"
    } else if score < 4.0 {
        "LOW"
    } else if score < 7.0 {
        "MEDIUM"
    } else if score < 9.0 {
        "HIGH"
    } else {
        "CRITICAL"
    }
}

/// Product names with their versions, in the order first seen.
type Products<'a> = Vec<(String, Vec<&'a ProductVersionEntry>)>;

/// Builds the CSAF 2.0 document.
pub fn build(a: &Advisory) -> Value {
    // The product tree: vendor → product name → product version, one leaf per version; affected
    // components as their own products (with purl helpers) and relationships that place them in
    // the versions.
    let mut vendors: Vec<(String, Products<'_>)> = Vec::new();
    for p in &a.products {
        let v = match vendors.iter_mut().position(|(n, _)| *n == p.vendor) {
            Some(i) => &mut vendors[i].1,
            None => {
                vendors.push((p.vendor.clone(), Vec::new()));
                &mut vendors.last_mut().expect("just pushed").1
            }
        };
        match v.iter_mut().position(|(n, _)| *n == p.product_name) {
            Some(i) => v[i].1.push(p),
            None => v.push((p.product_name.clone(), vec![p])),
        }
    }
    let version_pid = |p: &ProductVersionEntry| pid(&format!("{}:{}", p.product_id, p.version));
    let full_name = |p: &ProductVersionEntry| format!("{} {} {}", p.vendor, p.product_name, p.version);
    let branches: Vec<Value> = vendors
        .iter()
        .map(|(vendor, products)| {
            json!({
                "category": "vendor",
                "name": vendor,
                "branches": products.iter().map(|(name, versions)| json!({
                    "category": "product_name",
                    "name": name,
                    "branches": versions.iter().map(|p| {
                        let mut product = json!({"name": full_name(p), "product_id": version_pid(p)});
                        if let Some(g) = &p.gtin {
                            product["product_identification_helper"] = json!({"x_generic_uris": [{
                                "namespace": "https://ref.gs1.org/standards/digital-link/",
                                "uri": format!("https://id.gs1.org/01/{g}")
                            }]});
                        }
                        json!({"category": "product_version", "name": p.version, "product": product})
                    }).collect::<Vec<_>>()
                })).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut components: Vec<&Component> = Vec::new();
    let mut relationships = Vec::new();
    // The ids of "component X in product version Y": affected too, and named as such.
    let mut composite: Vec<String> = Vec::new();
    let mut component_ids = BTreeSet::new();
    let component_pid = |c: &Component| pid(&format!("component:{}", c.purl));
    for p in &a.products {
        if let VersionStatus::KnownAffected { components: cs } = &p.status {
            for c in cs {
                if component_ids.insert(component_pid(c)) {
                    components.push(c);
                }
                relationships.push(json!({
                    "category": "default_component_of",
                    "product_reference": component_pid(c),
                    "relates_to_product_reference": version_pid(p),
                    "full_product_name": {
                        "name": format!("{} {} as a component of {}", c.name, c.version.as_deref().unwrap_or(""), full_name(p)).replace("  ", " "),
                        "product_id": pid(&format!("{}|{}", version_pid(p), component_pid(c))),
                        "product_identification_helper": {"purl": c.purl},
                    }
                }));
                composite.push(pid(&format!("{}|{}", version_pid(p), component_pid(c))));
            }
        }
    }
    let mut tree = json!({"branches": branches});
    if !components.is_empty() {
        tree["full_product_names"] = components
            .iter()
            .map(|c| {
                json!({
                    "name": format!("{} {}", c.name, c.version.as_deref().unwrap_or("")).trim().to_string(),
                    "product_id": component_pid(c),
                    "product_identification_helper": {"purl": c.purl},
                })
            })
            .collect();
        tree["relationships"] = Value::Array(relationships);
    }

    // The vulnerability: status per product version.
    let mut status = serde_json::Map::new();
    for p in &a.products {
        let list = status.entry(p.status.key()).or_insert_with(|| json!([]));
        if let Value::Array(l) = list {
            l.push(json!(version_pid(p)));
        }
    }
    if let Some(Value::Array(l)) = status.get_mut("known_affected") {
        l.extend(composite.iter().map(|c| json!(c)));
    }
    let affected: Vec<String> = a
        .products
        .iter()
        .filter(|p| matches!(p.status, VersionStatus::KnownAffected { .. }))
        .map(version_pid)
        .chain(composite.iter().cloned())
        .collect();
    let mut vuln = json!({
        "notes": [
            {"category": "description", "title": "Description", "text": a.description},
            {"category": "general", "title": "Assessment", "text": a.assessment_note},
        ],
        "product_status": status,
    });
    if let Some(cve) = &a.cve {
        vuln["cve"] = json!(cve);
    }
    if !a.ids.is_empty() {
        vuln["ids"] = a.ids.iter().map(|(s, t)| json!({"system_name": s, "text": t})).collect();
    }
    if let Some(t) = &a.vulnerability_title {
        vuln["title"] = json!(t);
    }
    if !affected.is_empty() {
        vuln["remediations"] =
            json!([{"category": a.remediation.0, "details": a.remediation.1, "product_ids": affected}]);
        if let Some(c) = &a.cvss {
            vuln["scores"] = json!([{
                "products": affected,
                "cvss_v3": {
                    "version": c.version,
                    "vectorString": c.vector,
                    "baseScore": c.base_score,
                    "baseSeverity": base_severity(c.base_score),
                }
            }]);
        }
    }
    let mut threats = Vec::new();
    if let Some(e) = &a.exploited {
        let mut t = json!({"category": "exploit_status", "details": e});
        if !affected.is_empty() {
            t["product_ids"] = json!(affected);
        }
        threats.push(t);
    }
    if !threats.is_empty() {
        vuln["threats"] = Value::Array(threats);
    }
    let mut flags: Vec<(&'static str, Vec<String>)> = Vec::new();
    for p in &a.products {
        if let VersionStatus::KnownNotAffected { justification } = p.status {
            match flags.iter_mut().find(|(j, _)| *j == justification) {
                Some((_, ids)) => ids.push(version_pid(p)),
                None => flags.push((justification, vec![version_pid(p)])),
            }
        }
    }
    if !flags.is_empty() {
        vuln["flags"] = flags.into_iter().map(|(label, ids)| json!({"label": label, "product_ids": ids})).collect();
    }
    if let Some(cve) = &a.cve {
        vuln["references"] = json!([{
            "category": "external",
            "summary": format!("{cve} in the NVD"),
            "url": format!("https://nvd.nist.gov/vuln/detail/{cve}"),
        }]);
    }

    let revisions: Vec<Value> = a
        .revisions
        .iter()
        .enumerate()
        .map(|(i, r)| json!({"date": r.date, "number": (i + 1).to_string(), "summary": r.summary}))
        .collect();
    let first = a.revisions.first().map(|r| r.date.clone()).unwrap_or_default();
    let last = a.revisions.last().map(|r| r.date.clone()).unwrap_or_default();
    let mut publisher = json!({
        "category": a.publisher.category,
        "name": a.publisher.name,
        "namespace": a.publisher.namespace,
    });
    if let Some(c) = &a.publisher.contact_details {
        publisher["contact_details"] = json!(c);
    }
    json!({
        "document": {
            "category": a.profile.category(),
            "csaf_version": "2.0",
            "lang": "en",
            "title": a.title,
            "publisher": publisher,
            "notes": [
                {"category": "summary", "title": "Summary", "text": a.description},
                {"category": "legal_disclaimer", "title": "Terms of use",
                 "text": "This advisory is provided as is, to help users and authorities assess the vulnerability for the products named."},
            ],
            "distribution": {"tlp": {"label": "WHITE"}},
            "tracking": {
                "id": a.tracking_id,
                "status": a.status,
                "version": a.revisions.len().max(1).to_string(),
                "initial_release_date": first,
                "current_release_date": last,
                "revision_history": revisions,
                "generator": {"engine": {"name": "msadesk", "version": a.generator_version}, "date": last},
            },
        },
        "product_tree": tree,
        "vulnerabilities": [vuln],
    })
}

/// What an earlier advisory (for `--update`) contributes: its tracking id and revision history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    pub tracking_id: String,
    pub revisions: Vec<Revision>,
    /// The earlier document without its tracking block, to tell whether anything changed.
    pub content: Value,
}

/// Reads an earlier advisory's tracking id and revision history.
pub fn read_previous(bytes: &[u8]) -> Result<Previous, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let t = v.pointer("/document/tracking").ok_or("no /document/tracking: not a CSAF 2.0 document")?;
    let tracking_id = t.get("id").and_then(Value::as_str).ok_or("no /document/tracking/id")?.to_string();
    let list = t.get("revision_history").and_then(Value::as_array).ok_or("no /document/tracking/revision_history")?;
    let mut revisions = Vec::new();
    for (i, r) in list.iter().enumerate() {
        let date = r.get("date").and_then(Value::as_str).ok_or(format!("revision_history/{i}: no date"))?;
        let summary = r.get("summary").and_then(Value::as_str).unwrap_or("").to_string();
        revisions.push(Revision { date: date.to_string(), summary });
    }
    Ok(Previous { tracking_id, revisions, content: without_tracking(&v) })
}

/// The document without `document.tracking`, for comparing two revisions' content.
pub fn without_tracking(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(d) = v.get_mut("document").and_then(Value::as_object_mut) {
        d.remove("tracking");
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(profile: Profile) -> Advisory {
        Advisory {
            profile,
            tracking_id: "ACME-CVE-2026-11111-CAM-1".into(),
            title: "Prototype pollution in lodash affects Camera".into(),
            publisher: Publisher {
                category: "vendor",
                name: "ACME".into(),
                namespace: "https://acme.example".into(),
                contact_details: Some("security@acme.example".into()),
            },
            status: "final",
            revisions: vec![
                Revision { date: "2026-12-01T10:00:00Z".into(), summary: "Initial".into() },
                Revision { date: "2026-12-02T10:00:00Z".into(), summary: "Fixed version".into() },
            ],
            cve: Some("CVE-2026-11111".into()),
            ids: vec![("GitHub Security Advisory".into(), "GHSA-test-lodash".into())],
            vulnerability_title: Some("Prototype pollution in lodash".into()),
            description: "Prototype pollution".into(),
            cvss: Some(Cvss3 {
                version: "3.1".into(),
                vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
                base_score: 9.8,
            }),
            exploited: Some("Listed in CISA KEV since 2026-11-02".into()),
            remediation: ("vendor_fix".into(), "Update to 2.0".into()),
            assessment_note: "significant".into(),
            products: vec![
                ProductVersionEntry {
                    product_id: "CAM-1".into(),
                    product_name: "Camera".into(),
                    vendor: "ACME".into(),
                    version: "1.0".into(),
                    gtin: Some("04012345000010".into()),
                    status: VersionStatus::KnownAffected {
                        components: vec![Component {
                            purl: "pkg:npm/lodash@4.17.20".into(),
                            name: "lodash".into(),
                            version: Some("4.17.20".into()),
                        }],
                    },
                },
                ProductVersionEntry {
                    product_id: "CAM-1".into(),
                    product_name: "Camera".into(),
                    vendor: "ACME".into(),
                    version: "2.0".into(),
                    gtin: None,
                    status: VersionStatus::Fixed,
                },
                ProductVersionEntry {
                    product_id: "CAM-1".into(),
                    product_name: "Camera".into(),
                    vendor: "ACME".into(),
                    version: "3.0 beta".into(),
                    gtin: None,
                    status: VersionStatus::KnownNotAffected { justification: "component_not_present" },
                },
                ProductVersionEntry {
                    product_id: "CAM-1".into(),
                    product_name: "Camera".into(),
                    vendor: "ACME".into(),
                    version: "0.9".into(),
                    gtin: None,
                    status: VersionStatus::UnderInvestigation,
                },
            ],
            generator_version: "0.1.0".into(),
        }
    }

    /// Every product id the document uses, and every one it defines.
    fn ids(v: &Value) -> (BTreeSet<String>, Vec<String>) {
        fn walk(v: &Value, used: &mut BTreeSet<String>, defined: &mut Vec<String>, key: &str) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        if k == "product_id" {
                            defined.push(x.as_str().unwrap().to_string());
                        } else if k == "product_reference" || k == "relates_to_product_reference" {
                            used.insert(x.as_str().unwrap().to_string());
                        }
                        walk(x, used, defined, k);
                    }
                }
                Value::Array(a) => {
                    for x in a {
                        if let (Some(s), true) = (
                            x.as_str(),
                            matches!(
                                key,
                                "product_ids"
                                    | "products"
                                    | "known_affected"
                                    | "fixed"
                                    | "known_not_affected"
                                    | "under_investigation"
                            ),
                        ) {
                            used.insert(s.to_string());
                        }
                        walk(x, used, defined, key);
                    }
                }
                _ => {}
            }
        }
        let (mut used, mut defined) = (BTreeSet::new(), Vec::new());
        walk(v, &mut used, &mut defined, "");
        (used, defined)
    }

    #[test]
    fn every_product_id_used_is_defined_exactly_once() {
        for profile in [Profile::SecurityAdvisory, Profile::Vex] {
            let v = build(&sample(profile));
            let (used, defined) = ids(&v);
            let unique: BTreeSet<String> = defined.iter().cloned().collect();
            assert_eq!(unique.len(), defined.len(), "6.1.2 multiple definition: {defined:?}");
            let missing: Vec<_> = used.difference(&unique).collect();
            assert!(missing.is_empty(), "6.1.1 missing definition: {missing:?}");
            assert!(used.contains("CAM-1:1.0") && unique.contains("component:pkg:npm_lodash_4.17.20"), "{unique:?}");
        }
    }

    #[test]
    fn required_fields_and_statuses() {
        let v = build(&sample(Profile::Vex));
        let d = &v["document"];
        assert_eq!(d["category"], "csaf_vex");
        assert_eq!(d["csaf_version"], "2.0");
        assert_eq!(d["publisher"]["namespace"], "https://acme.example");
        let t = &d["tracking"];
        assert_eq!((t["version"].as_str(), t["status"].as_str()), (Some("2"), Some("final")));
        assert_eq!(t["initial_release_date"], "2026-12-01T10:00:00Z");
        assert_eq!(t["current_release_date"], "2026-12-02T10:00:00Z");
        assert_eq!(t["revision_history"][1]["number"], "2");
        let vu = &v["vulnerabilities"][0];
        assert_eq!(vu["cve"], "CVE-2026-11111");
        let s = &vu["product_status"];
        let table =
            [("fixed", "CAM-1:2.0"), ("known_not_affected", "CAM-1:3.0_beta"), ("under_investigation", "CAM-1:0.9")];
        for (key, id) in table {
            assert_eq!(s[key], json!([id]), "{key}");
        }
        // 6.1.27.9: a not-affected product has an impact statement; 6.1.27.10: an affected one an action statement.
        assert_eq!(s["known_affected"], json!(["CAM-1:1.0", "CAM-1:1.0_component:pkg:npm_lodash_4.17.20"]));
        assert_eq!(vu["flags"][0], json!({"label": "component_not_present", "product_ids": ["CAM-1:3.0_beta"]}));
        assert_eq!(vu["remediations"][0]["product_ids"], s["known_affected"]);
        assert_eq!(vu["scores"][0]["cvss_v3"]["baseSeverity"], "CRITICAL");
        assert_eq!(vu["threats"][0]["category"], "exploit_status");
        let helper = &v["product_tree"]["branches"][0]["branches"][0]["branches"][0]["product"];
        assert_eq!(
            helper["product_identification_helper"]["x_generic_uris"][0]["uri"],
            "https://id.gs1.org/01/04012345000010"
        );
        assert_eq!(
            v["product_tree"]["full_product_names"][0]["product_identification_helper"]["purl"],
            "pkg:npm/lodash@4.17.20"
        );
        assert_eq!(build(&sample(Profile::SecurityAdvisory))["document"]["category"], "csaf_security_advisory");
    }

    #[test]
    fn severity_bands() {
        for (score, want) in [
            (0.0, "NONE"),
            (0.1, "LOW"),
            (3.9, "LOW"),
            (4.0, "MEDIUM"),
            (6.9, "MEDIUM"),
            (7.0, "HIGH"),
            (8.9, "HIGH"),
            (9.0, "CRITICAL"),
            (10.0, "CRITICAL"),
        ] {
            assert_eq!(base_severity(score), want, "{score}");
        }
    }

    #[test]
    fn previous_revisions_are_read_back() {
        let v = build(&sample(Profile::Vex));
        let p = read_previous(serde_json::to_string(&v).unwrap().as_bytes()).unwrap();
        assert_eq!(p.tracking_id, "ACME-CVE-2026-11111-CAM-1");
        assert_eq!(p.revisions.len(), 2);
        assert_eq!(p.content, without_tracking(&v));
        assert!(read_previous(b"{}").unwrap_err().contains("tracking"));
        assert!(read_previous(b"nope").is_err());
    }

    #[test]
    fn no_affected_version_means_no_scores_or_remediations() {
        let mut a = sample(Profile::Vex);
        a.products.retain(|p| !matches!(p.status, VersionStatus::KnownAffected { .. }));
        let v = build(&a);
        let vu = &v["vulnerabilities"][0];
        assert!(vu.get("remediations").is_none() && vu.get("scores").is_none());
        assert!(v["product_tree"].get("relationships").is_none());
    }
}
