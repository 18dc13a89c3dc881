//! Vulnerability intake records as the store keeps them (issue 5): SBOMs per product version,
//! vulnerability records, known-exploited listings, the install base and recorded risk decisions.
//!
//! These are storage shapes, not parsers: the binary reads files with `msadesk_formats::intake`,
//! turns the records into these, and the engines keep them. Matching data of a vulnerability is
//! kept as JSON (`match_data`) so that matching can run again when a new SBOM arrives; its shape
//! belongs to the code that matches (`msadesk_core::vuln::matching`), not to the engines.

use msadesk_core::{Date, MemberState, ProductId, Version};
use serde::Serialize;

/// One component of an SBOM, keyed by its package URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SbomComponent {
    /// The canonical purl (`pkg:type/namespace/name@version`).
    pub purl: String,
    pub name: String,
    pub version: Option<String>,
    /// CPE 2.3 name, where the SBOM gives one.
    pub cpe: Option<String>,
}

/// An SBOM to store for one product version. It replaces the version's current SBOM; earlier ones
/// stay in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSbom {
    pub product_id: ProductId,
    pub version: Version,
    /// The file it was read from.
    pub source_file: String,
    /// `CycloneDX 1.6`, `SPDX 2.3`, …
    pub format: String,
    /// SHA-256 of the file, hex.
    pub digest: String,
    pub components: Vec<SbomComponent>,
}

/// A stored SBOM (without its components).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SbomInfo {
    pub id: i64,
    pub product_id: ProductId,
    pub version: Version,
    pub imported_at: String,
    pub source_file: String,
    pub format: String,
    pub digest: String,
    pub components: u64,
    /// Whether it is the version's current SBOM (the latest imported).
    pub current: bool,
}

/// A component of a current SBOM with the product version it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionComponent {
    pub product_id: ProductId,
    pub version: Version,
    pub component: SbomComponent,
}

/// A vulnerability record as stored. The id is the record's primary id as the feed spells it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredVuln {
    pub id: String,
    /// Every id known for it (itself included), canonical spelling, sorted.
    pub aliases: Vec<String>,
    /// The format (`OSV`, `NVD CVE API 2.0`, `CSAF 2.0`).
    pub format: String,
    /// The feed's name, as the operator gave it (or the format's default).
    pub feed: String,
    /// The date the feed was taken.
    pub feed_date: Date,
    pub file: String,
    pub summary: Option<String>,
    /// CVSS vectors (scores are computed from them when needed, never stored from a feed).
    pub cvss: Vec<String>,
    /// Affected ranges, CPE criteria and CSAF product status, for matching.
    pub match_data: serde_json::Value,
}

/// A known-exploited listing (CISA KEV or a same-shaped catalogue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownExploited {
    pub id: String,
    /// The catalogue's name.
    pub source: String,
    pub date_added: Date,
    pub due_date: Option<Date>,
    /// Known ransomware campaign use, when the catalogue says.
    pub ransomware: Option<bool>,
}

/// Deployed instances of a product version in a Member State (install base).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployment {
    pub product_id: ProductId,
    pub version: Version,
    pub member_state: MemberState,
    pub instances: u64,
    /// A NIS2 Annex I/II sector name, when the deployment is in one.
    pub critical_sector: Option<String>,
}

/// A recorded significant-risk decision about one (product version, vulnerability).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskDecisionRecord {
    /// Assigned by the store (0 before recording).
    pub id: i64,
    pub product_id: ProductId,
    pub version: Version,
    pub vulnerability: String,
    pub significant: bool,
    pub policy_version: String,
    /// When it was decided, RFC 3339 UTC.
    pub decided_at: String,
    pub decided_by: String,
    /// The whole assessment as shown (indicators, rules, evidence, obligations).
    pub assessment: serde_json::Value,
}

/// The audit detail of an SBOM import.
pub fn sbom_detail(s: &NewSbom, id: i64, replaced: Option<i64>) -> serde_json::Value {
    serde_json::json!({
        "sbom_id": id,
        "product_id": s.product_id.as_str(),
        "version": s.version.as_str(),
        "format": s.format,
        "digest": s.digest,
        "file": s.source_file,
        "components": s.components.len(),
        "replaced": replaced,
    })
}

/// The audit detail of a recorded decision.
pub fn decision_detail(r: &RiskDecisionRecord, id: i64) -> serde_json::Value {
    serde_json::json!({
        "decision_id": id,
        "product_id": r.product_id.as_str(),
        "version": r.version.as_str(),
        "vulnerability": r.vulnerability,
        "significant": r.significant,
        "policy_version": r.policy_version,
    })
}

/// Components with the same purl in one SBOM are kept once (the first).
pub fn dedup_components(components: &[SbomComponent]) -> Vec<&SbomComponent> {
    let mut seen = std::collections::HashSet::new();
    components.iter().filter(|c| seen.insert(c.purl.as_str())).collect()
}
