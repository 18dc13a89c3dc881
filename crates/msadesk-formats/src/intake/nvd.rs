//! NVD CVE API 2.0 JSON (`/rest/json/cves/2.0` responses and the NVD 2.0 data feeds).
//!
//! Read per `vulnerabilities[].cve`: `id`, English `descriptions`, `published`, `lastModified`,
//! `metrics.cvssMetricV40/V31/V30[].cvssData.vectorString` (scored by us; the feed's
//! `baseScore` is not trusted), `cisaExploitAdd` (listed in CISA KEV: exploited), and the
//! `configurations[].nodes[].cpeMatch[]` with their `versionStart…`/`versionEnd…` bounds.
//! Rejected CVEs are reported and not imported. A configuration that is only OR nodes gives its
//! vulnerable CPE matches as a flat list; one with an AND operator (configuration or node) or a
//! negated node is kept as a tree (`cpe_configs`) and evaluated by the matcher against every CPE
//! of the product version ("running on / with").

use msadesk_core::vuln::ids::normalize_id;
use serde_json::Value;

use msadesk_core::vuln::matching::{CpeConfig, CpeCriterion, CpeNode, CpeNodeMatch};

use super::json::Walk;
use super::{CpeMatch, FeedContext, Format, Source, VulnRead, VulnRecord, add_cvss};

pub(crate) fn from_value(doc: &Value, file: &str, ctx: &FeedContext) -> VulnRead {
    let mut w = Walk::new(file);
    let mut records = Vec::new();
    let items = w.array(doc, "", "vulnerabilities").unwrap_or(&[]);
    for (i, item) in items.iter().enumerate() {
        if records.len() >= ctx.limits.max_records {
            w.problem(
                "",
                "vulnerabilities",
                format!("more than {} records: the rest are not read", ctx.limits.max_records),
            );
            break;
        }
        let p = format!("/vulnerabilities/{i}/cve");
        let Some(cve) = item.get("cve").filter(|c| c.is_object()) else {
            w.problem(&format!("/vulnerabilities/{i}"), "cve", "is missing: each entry is {\"cve\": {...}}");
            continue;
        };
        if let Some(r) = record(&mut w, cve, &p, file, ctx) {
            records.push(r);
        }
    }
    VulnRead { format: Format::Nvd, records, diagnostics: w.diagnostics }
}

fn record(w: &mut Walk<'_>, cve: &Value, p: &str, file: &str, ctx: &FeedContext) -> Option<VulnRecord> {
    let id = w.req_str(cve, p, "id").and_then(|s| normalize_id(&s))?;
    if w.opt_str(cve, p, "vulnStatus").as_deref() == Some("Rejected") {
        w.skipped(p, format!("{id} is rejected in the NVD"));
        return None;
    }
    let source = Source { format: Format::Nvd, name: ctx.name.clone(), taken_at: ctx.taken_at, file: file.to_string() };
    let mut rec = VulnRecord::new(id, source, p.to_string());
    rec.published = w.opt_str(cve, p, "published");
    rec.modified = w.opt_str(cve, p, "lastModified");
    rec.title = w.opt_str(cve, p, "cisaVulnerabilityName");
    for d in w.array(cve, p, "descriptions").unwrap_or(&[]) {
        if d.get("lang").and_then(Value::as_str) == Some("en") {
            rec.description = d.get("value").and_then(Value::as_str).map(str::to_string);
        }
    }
    if w.opt_str(cve, p, "cisaExploitAdd").is_some() {
        rec.exploited = Some(true);
    }
    if let Some(metrics) = cve.get("metrics") {
        let mp = format!("{p}/metrics");
        for key in ["cvssMetricV40", "cvssMetricV31", "cvssMetricV30"] {
            for (i, m) in w.array(metrics, &mp, key).unwrap_or(&[]).iter().enumerate() {
                let dp = format!("{mp}/{key}/{i}/cvssData");
                match m.get("cvssData") {
                    Some(data) => {
                        if let Some(v) = w.req_str(data, &dp, "vectorString") {
                            add_cvss(w, &mut rec, &v, &dp, "vectorString");
                        }
                    }
                    None => w.problem(&format!("{mp}/{key}/{i}"), "cvssData", "is missing"),
                }
            }
        }
    }
    for (i, c) in w.array(cve, p, "configurations").unwrap_or(&[]).iter().enumerate() {
        let cp = format!("{p}/configurations/{i}");
        let is_and =
            |v: &Value| v.get("operator").and_then(Value::as_str).is_some_and(|o| o.eq_ignore_ascii_case("AND"));
        let is_neg = |v: &Value| v.get("negate").and_then(Value::as_bool) == Some(true);
        let nodes = c.get("nodes").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        let tree = is_and(c) || is_neg(c) || nodes.iter().any(|n| is_and(n) || is_neg(n));
        let first = rec.cpe_matches.len();
        let mut config = CpeConfig { and: is_and(c), negate: is_neg(c), nodes: Vec::new() };
        for (j, n) in w.array(c, &cp, "nodes").unwrap_or(&[]).iter().enumerate() {
            let np = format!("{cp}/nodes/{j}");
            config.nodes.push(CpeNode { and: is_and(n), negate: is_neg(n), matches: Vec::new() });
            for (k, m) in w.array(n, &np, "cpeMatch").unwrap_or(&[]).iter().enumerate() {
                let mp = format!("{np}/cpeMatch/{k}");
                let Some(criteria) = w.req_str(m, &mp, "criteria") else { continue };
                if !criteria.starts_with("cpe:2.3:") {
                    w.problem(
                        &mp,
                        "criteria",
                        format!("'{criteria}' is not a CPE 2.3 name (cpe:2.3:part:vendor:product:…)"),
                    );
                    continue;
                }
                let vulnerable = match m.get("vulnerable") {
                    Some(Value::Bool(b)) => *b,
                    _ => {
                        w.problem(&mp, "vulnerable", "expected true or false");
                        continue;
                    }
                };
                rec.cpe_matches.push(CpeMatch {
                    criteria,
                    vulnerable,
                    version_start_including: w.opt_str(m, &mp, "versionStartIncluding"),
                    version_start_excluding: w.opt_str(m, &mp, "versionStartExcluding"),
                    version_end_including: w.opt_str(m, &mp, "versionEndIncluding"),
                    version_end_excluding: w.opt_str(m, &mp, "versionEndExcluding"),
                    pointer: mp,
                    in_config: tree,
                });
                if let (Some(node), Some(last)) = (config.nodes.last_mut(), rec.cpe_matches.last()) {
                    node.matches.push(CpeNodeMatch {
                        vulnerable: last.vulnerable,
                        criterion: CpeCriterion {
                            criteria: last.criteria.clone(),
                            start_including: last.version_start_including.clone(),
                            start_excluding: last.version_start_excluding.clone(),
                            end_including: last.version_end_including.clone(),
                            end_excluding: last.version_end_excluding.clone(),
                        },
                    });
                }
            }
        }
        if tree && rec.cpe_matches.len() > first {
            rec.cpe_configs.push(config);
        }
    }
    // An exclusive upper bound on a vulnerable match is the first fixed version.
    if rec.cpe_matches.iter().any(|m| m.vulnerable && m.version_end_excluding.is_some()) {
        rec.fix_available = Some(true);
    }
    Some(rec)
}
