//! Vulnerability intake: SBOMs (CycloneDX, SPDX) and vulnerability data (OSV, NVD CVE API 2.0,
//! CSAF 2.0, CISA KEV) read from bytes into plain records.
//!
//! Every reader takes `impl Read` and a file name, refuses documents over a size limit
//! ([`Limits`]), never panics on malformed input, and returns records plus [`Diagnostic`]s that
//! name the JSON pointer and field of each problem. The outer `Err` is for a document that cannot
//! be read at all (not JSON, too large, not the expected format); a problem inside one record
//! leaves that record out (or a field of it) and says so in a diagnostic.
//!
//! Every vulnerability record carries its [`Source`]: which format and feed it came from and the
//! date the caller says the feed was taken, because a decision must show what it was based on.
//! Ids are spelled canonically and each record's [`VulnRecord::aliases`] holds every id it is known
//! by (unify across records with `msadesk_core::vuln::ids::unify`).
//!
//! Not here: matching components against ranges (the core's `vuln::osv`/`vers`), storing, or
//! fetching feeds over HTTP.

use std::collections::BTreeSet;
use std::io::Read;

use msadesk_core::Date;
use msadesk_core::vuln::cpe::{Cpe, CpeError, CpeRange};
use msadesk_core::vuln::ids::normalize_id;
use msadesk_core::vuln::osv::Affected;
use msadesk_core::vuln::{Cvss, Ecosystem, Purl};
use serde_json::Value;

use crate::Diagnostic;

pub mod csaf;
mod json;
pub mod kev;
pub mod nvd;
pub mod osv;
pub mod sbom;

/// Size limits of one input document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted, in bytes (default 256 MiB: the full NVD or OSV exports are
    /// split into files far smaller than that).
    pub max_bytes: u64,
    /// Most records (components, vulnerabilities, catalogue entries) read from one document
    /// (default 2 000 000); the rest are reported, not read.
    pub max_records: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 256 * 1024 * 1024, max_records: 2_000_000 }
    }
}

/// The formats this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    CycloneDx,
    Spdx,
    Osv,
    Nvd,
    Csaf,
    Kev,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::CycloneDx => "CycloneDX",
            Format::Spdx => "SPDX",
            Format::Osv => "OSV",
            Format::Nvd => "NVD CVE API 2.0",
            Format::Csaf => "CSAF 2.0",
            Format::Kev => "known-exploited catalogue (CISA KEV)",
        }
    }
}

/// Which format a parsed JSON document is, from its distinctive top-level fields; `None` when it
/// is none of ours.
pub fn detect(doc: &Value) -> Option<Format> {
    let first = |v: &Value| v.as_array().and_then(|a| a.first().cloned());
    match doc {
        Value::Object(o) => {
            if o.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
                Some(Format::CycloneDx)
            } else if o.get("spdxVersion").and_then(Value::as_str).is_some_and(|v| v.starts_with("SPDX-")) {
                Some(Format::Spdx)
            } else if o.get("document").and_then(|d| d.get("csaf_version")).is_some() {
                Some(Format::Csaf)
            } else if o.contains_key("catalogVersion")
                || o.get("vulnerabilities").and_then(first).is_some_and(|v| v.get("cveID").is_some())
            {
                Some(Format::Kev)
            } else if o.get("format").and_then(Value::as_str) == Some("NVD_CVE")
                || o.get("vulnerabilities").and_then(first).is_some_and(|v| v.get("cve").is_some())
            {
                Some(Format::Nvd)
            } else if o.get("vulns").is_some_and(Value::is_array) || osv::looks_like_record(doc) {
                Some(Format::Osv)
            } else {
                None
            }
        }
        Value::Array(a) => {
            if a.is_empty() || a.first().is_some_and(osv::looks_like_record) {
                Some(Format::Osv)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Where a record came from and when the feed was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub format: Format,
    /// The feed as the caller names it ("OSV PyPI export", "NVD", "CISA KEV", a vendor's name);
    /// for CSAF, the publisher's name from the document when the caller gives none.
    pub name: String,
    /// The date the feed was taken (downloaded, exported), as the caller says.
    pub taken_at: Date,
    /// The input's file name.
    pub file: String,
}

/// What the caller tells a reader about the input.
#[derive(Debug, Clone)]
pub struct FeedContext {
    pub name: String,
    pub taken_at: Date,
    pub limits: Limits,
}

impl FeedContext {
    pub fn new(name: impl Into<String>, taken_at: Date) -> Self {
        FeedContext { name: name.into(), taken_at, limits: Limits::default() }
    }
}

/// One package a record says is affected, with the ranges that say which versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedPackage {
    pub ecosystem: Ecosystem,
    /// The package name as the ecosystem writes it (OSV style: `group:artifact` for Maven).
    pub name: String,
    pub purl: Option<Purl>,
    /// OSV ranges and explicit versions (empty for CSAF, which names product ids instead).
    pub affected: Affected,
    /// Versions at which the vulnerability is fixed, when the record names them.
    pub fixed: Vec<String>,
}

/// A CPE match of an NVD configuration, with its version bounds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CpeMatch {
    /// `cpe:2.3:a:vendor:product:version:…`
    pub criteria: String,
    pub vulnerable: bool,
    pub version_start_including: Option<String>,
    pub version_start_excluding: Option<String>,
    pub version_end_including: Option<String>,
    pub version_end_excluding: Option<String>,
    pub pointer: String,
    /// Part of a configuration with AND operators or negated nodes (kept whole in
    /// [`VulnRecord::cpe_configs`]), so not a vulnerable CPE on its own.
    pub in_config: bool,
}

impl CpeMatch {
    /// The match as the core's [`CpeRange`], to test a component's CPE against it.
    pub fn to_range(&self) -> Result<CpeRange, CpeError> {
        Ok(CpeRange {
            criteria: Cpe::parse(&self.criteria)?,
            start_including: self.version_start_including.clone(),
            start_excluding: self.version_start_excluding.clone(),
            end_including: self.version_end_including.clone(),
            end_excluding: self.version_end_excluding.clone(),
        })
    }
}

/// A CSAF product status category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProductStatus {
    FirstAffected,
    KnownAffected,
    LastAffected,
    FirstFixed,
    Fixed,
    KnownNotAffected,
    Recommended,
    UnderInvestigation,
}

impl ProductStatus {
    pub(crate) const ALL: [(&'static str, ProductStatus); 8] = [
        ("first_affected", ProductStatus::FirstAffected),
        ("known_affected", ProductStatus::KnownAffected),
        ("last_affected", ProductStatus::LastAffected),
        ("first_fixed", ProductStatus::FirstFixed),
        ("fixed", ProductStatus::Fixed),
        ("known_not_affected", ProductStatus::KnownNotAffected),
        ("recommended", ProductStatus::Recommended),
        ("under_investigation", ProductStatus::UnderInvestigation),
    ];

    pub fn is_affected(self) -> bool {
        matches!(self, ProductStatus::FirstAffected | ProductStatus::KnownAffected | ProductStatus::LastAffected)
    }
}

/// A product of a CSAF product tree, with the helpers that identify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsafProduct {
    pub product_id: String,
    pub name: String,
    pub purl: Option<Purl>,
    pub cpe: Option<String>,
    /// The `vers:` range of a `product_version_range` branch the product sits under.
    pub vers: Option<String>,
}

/// One vulnerability as one source describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct VulnRecord {
    /// The record's own id (canonical spelling).
    pub id: String,
    /// Every id the record is known by, its own included (canonical spelling).
    pub aliases: BTreeSet<String>,
    pub source: Source,
    /// Where in the file the record is.
    pub pointer: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    /// Every valid CVSS 3.x/4.0 vector the record gives, scored by us.
    pub cvss: Vec<Cvss>,
    pub affected: Vec<AffectedPackage>,
    /// NVD configurations.
    pub cpe_matches: Vec<CpeMatch>,
    /// NVD configurations with AND operators or negated nodes, as trees.
    pub cpe_configs: Vec<msadesk_core::vuln::matching::CpeConfig>,
    /// CSAF: the status of each product of the product tree for this vulnerability.
    pub products: Vec<(ProductStatus, CsafProduct)>,
    /// Whether a fixed version or vendor fix is named (`None`: the record does not say).
    pub fix_available: Option<bool>,
    /// Whether the record marks the vulnerability as exploited (NVD `cisaExploitAdd`); `None`: it
    /// does not say.
    pub exploited: Option<bool>,
    /// CSAF: the advisory (`document.tracking.id`) the record comes from.
    pub advisory_id: Option<String>,
    /// CSAF `threats` of category `exploit_status`, verbatim, for an officer to read: free text is
    /// not turned into `exploited`.
    pub exploit_status: Vec<String>,
}

impl VulnRecord {
    pub(crate) fn new(id: String, source: Source, pointer: String) -> Self {
        let mut aliases = BTreeSet::new();
        aliases.insert(id.clone());
        VulnRecord {
            id,
            aliases,
            source,
            pointer,
            title: None,
            description: None,
            published: None,
            modified: None,
            cvss: Vec::new(),
            affected: Vec::new(),
            cpe_matches: Vec::new(),
            cpe_configs: Vec::new(),
            products: Vec::new(),
            fix_available: None,
            exploited: None,
            advisory_id: None,
            exploit_status: Vec::new(),
        }
    }

    /// The record's affected data in the stored form the matcher reads
    /// ([`msadesk_core::vuln::matching::MatchData`]). A fix counts as known when the feed says so
    /// or an OSV package names a fixed version.
    pub fn match_data(&self) -> msadesk_core::vuln::matching::MatchData {
        use msadesk_core::vuln::matching::{CpeCriterion, CsafStatus, MatchData, PackageRange, range_data};
        let packages: Vec<PackageRange> = self
            .affected
            .iter()
            .map(|p| PackageRange {
                ecosystem: p.ecosystem.osv_name().to_string(),
                name: p.name.clone(),
                ranges: p.affected.ranges.iter().map(range_data).collect(),
                versions: p.affected.versions.clone(),
            })
            .collect();
        let fixed_named = self.affected.iter().any(|p| !p.fixed.is_empty());
        MatchData {
            packages,
            cpe: self
                .cpe_matches
                .iter()
                .filter(|m| m.vulnerable && !m.in_config)
                .map(|m| CpeCriterion {
                    criteria: m.criteria.clone(),
                    start_including: m.version_start_including.clone(),
                    start_excluding: m.version_start_excluding.clone(),
                    end_including: m.version_end_including.clone(),
                    end_excluding: m.version_end_excluding.clone(),
                })
                .collect(),
            csaf: self
                .products
                .iter()
                .map(|(status, p)| CsafStatus {
                    status: ProductStatus::ALL
                        .iter()
                        .find(|(_, s)| s == status)
                        .map_or("unknown", |(n, _)| n)
                        .to_string(),
                    affected: status.is_affected(),
                    purl: p.purl.as_ref().map(|u| if p.vers.is_some() { u.package_key() } else { purl_text(u) }),
                    cpe: p.cpe.clone(),
                    vers: p.vers.clone(),
                })
                .collect(),
            cpe_configs: self.cpe_configs.clone(),
            exploit_status: self.exploit_status.clone(),
            fix_available: if fixed_named { Some(true) } else { self.fix_available },
            exploited: self.exploited,
        }
    }

    pub(crate) fn add_alias(&mut self, id: &str) {
        if let Some(n) = normalize_id(id) {
            self.aliases.insert(n);
        }
    }
}

/// Records read from one document, with the diagnostics of what was left out.
#[derive(Debug, Clone)]
pub struct VulnRead {
    pub format: Format,
    pub records: Vec<VulnRecord>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads a vulnerability document of any supported kind (OSV, NVD, CSAF), detecting which.
/// A KEV catalogue or an SBOM is refused with a message naming the right command.
pub fn read_vulns(input: impl Read, file: &str, ctx: &FeedContext) -> Result<VulnRead, Diagnostic> {
    let doc = json::read_json(input, file, ctx.limits.max_bytes, "an OSV, NVD CVE API 2.0 or CSAF 2.0 document")?;
    match detect(&doc) {
        Some(Format::Osv) => Ok(osv::from_value(&doc, file, ctx)),
        Some(Format::Nvd) => Ok(nvd::from_value(&doc, file, ctx)),
        Some(Format::Csaf) => csaf::from_value(&doc, file, ctx),
        Some(f @ (Format::Kev | Format::CycloneDx | Format::Spdx)) => Err(json::diag(
            file,
            "",
            None,
            format!(
                "this is a {} document, not vulnerability data: import it with `msadesk import {}`",
                f.name(),
                if f == Format::Kev { "kev" } else { "sbom" }
            ),
        )),
        None => Err(json::diag(
            file,
            "",
            None,
            "this JSON is not a format msadesk reads as vulnerability data: expected an OSV record (or an array, or {\"vulns\": [...]}), an NVD CVE API 2.0 response ({\"vulnerabilities\": [{\"cve\": ...}]}) or a CSAF 2.0 advisory ({\"document\": {\"csaf_version\": \"2.0\"}})",
        )),
    }
}

/// Parses the CVSS vectors found at `pointer`, reporting each invalid one.
pub(crate) fn add_cvss(w: &mut json::Walk<'_>, rec: &mut VulnRecord, vector: &str, pointer: &str, field: &str) {
    match Cvss::parse(vector) {
        Ok(c) => {
            if !rec.cvss.iter().any(|x| x.vector() == c.vector()) {
                rec.cvss.push(c);
            }
        }
        // CVSS 2.0 vectors are common in older records and not an error: they are just not used.
        Err(_) if !vector.starts_with("CVSS:") && vector.contains("Au:") => {}
        Err(e) => w.problem(pointer, field, format!("{e}; the vector is ignored")),
    }
}

/// A purl as text: package key, then `@version` when it has one (qualifiers and subpath left out).
pub fn purl_text(p: &Purl) -> String {
    match &p.version {
        Some(v) => format!("{}@{v}", p.package_key()),
        None => p.package_key(),
    }
}
