//! Known-exploited catalogues: the CISA Known Exploited Vulnerabilities (KEV) JSON, and other
//! lists in the same shape (the source's name is the caller's).
//!
//! Read: `catalogVersion`, `dateReleased`, and per `vulnerabilities[]` entry `cveID` (required),
//! `dateAdded` (required), `dueDate`, `knownRansomwareCampaignUse` (`Known` / `Unknown`),
//! `vendorProject`, `product`, `vulnerabilityName`. A listing means "actively exploited" to the
//! significant-risk policy; this module only reads it.

use std::io::Read;

use msadesk_core::Date;
use msadesk_core::vuln::ids::{IdKind, id_kind, normalize_id};
use serde_json::Value;

use super::json::{Walk, diag, read_json};
use super::{FeedContext, Format, Source, detect};
use crate::Diagnostic;

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevEntry {
    pub cve: String,
    pub date_added: Date,
    pub due_date: Option<Date>,
    /// `Some(true)` for "Known", `Some(false)` for "Unknown" (CISA's wording: not known to be
    /// used, not "known not to be"), `None` when absent.
    pub known_ransomware_campaign_use: Option<bool>,
    pub vendor_project: Option<String>,
    pub product: Option<String>,
    pub name: Option<String>,
    pub pointer: String,
}

/// A catalogue as read.
#[derive(Debug, Clone)]
pub struct KevCatalogue {
    pub source: Source,
    pub catalog_version: Option<String>,
    pub date_released: Option<String>,
    pub entries: Vec<KevEntry>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads a KEV-shaped catalogue. `Err` when the document is not one (not JSON, too large, no
/// `vulnerabilities` array).
pub fn read_kev(input: impl Read, file: &str, ctx: &FeedContext) -> Result<KevCatalogue, Diagnostic> {
    let doc = read_json(input, file, ctx.limits.max_bytes, "a known-exploited catalogue (CISA KEV JSON)")?;
    if let Some(f) = detect(&doc).filter(|f| *f != Format::Kev) {
        return Err(diag(
            file,
            "",
            None,
            format!("this is a {} document, not a known-exploited catalogue (CISA KEV JSON)", f.name()),
        ));
    }
    if !doc.get("vulnerabilities").is_some_and(Value::is_array) {
        return Err(diag(
            file,
            "/vulnerabilities",
            Some("vulnerabilities"),
            "is missing: a known-exploited catalogue is {\"catalogVersion\": ..., \"vulnerabilities\": [{\"cveID\": ..., \"dateAdded\": ...}]}",
        ));
    }
    let mut w = Walk::new(file);
    let catalog_version = w.opt_str(&doc, "", "catalogVersion");
    let date_released = w.opt_str(&doc, "", "dateReleased");
    let mut entries = Vec::new();
    for (i, v) in w.array(&doc, "", "vulnerabilities").unwrap_or(&[]).iter().enumerate() {
        if entries.len() >= ctx.limits.max_records {
            w.problem(
                "",
                "vulnerabilities",
                format!("more than {} entries: the rest are not read", ctx.limits.max_records),
            );
            break;
        }
        let p = format!("/vulnerabilities/{i}");
        let cve = w.req_str(v, &p, "cveID").and_then(|c| normalize_id(&c));
        if let Some(c) = &cve
            && id_kind(c) != IdKind::Cve
        {
            w.problem(&p, "cveID", format!("'{c}' is not a CVE id (CVE-YYYY-NNNN)"));
            continue;
        }
        let date_added = w.req_str(v, &p, "dateAdded").and_then(|d| match Date::parse(&d) {
            Ok(d) => Some(d),
            Err(e) => {
                w.problem(&p, "dateAdded", e.to_string());
                None
            }
        });
        let due_date = w.opt_str(v, &p, "dueDate").and_then(|d| match Date::parse(&d) {
            Ok(d) => Some(d),
            Err(e) => {
                w.problem(&p, "dueDate", e.to_string());
                None
            }
        });
        let ransomware = match w.opt_str(v, &p, "knownRansomwareCampaignUse").as_deref() {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("known") => Some(true),
            Some(s) if s.eq_ignore_ascii_case("unknown") => Some(false),
            Some(other) => {
                w.problem(&p, "knownRansomwareCampaignUse", format!("'{other}': expected Known or Unknown"));
                None
            }
        };
        let (Some(cve), Some(date_added)) = (cve, date_added) else { continue };
        entries.push(KevEntry {
            cve,
            date_added,
            due_date,
            known_ransomware_campaign_use: ransomware,
            vendor_project: w.opt_str(v, &p, "vendorProject"),
            product: w.opt_str(v, &p, "product"),
            name: w.opt_str(v, &p, "vulnerabilityName"),
            pointer: p,
        });
    }
    Ok(KevCatalogue {
        source: Source { format: Format::Kev, name: ctx.name.clone(), taken_at: ctx.taken_at, file: file.to_string() },
        catalog_version,
        date_released,
        entries,
        diagnostics: w.diagnostics,
    })
}
