//! OSV JSON (ossf.github.io/osv-schema): one record, an array of records, or `{"vulns": [...]}`
//! (the osv.dev query-batch shape).
//!
//! Read: `id`, `aliases` (and `upstream`), `summary`, `details`, `published`, `modified`,
//! `severity` of type `CVSS_V3`/`CVSS_V4` (top level and per affected package), and `affected[]`:
//! `package` (`ecosystem`, `name`, `purl`), `ranges` (`SEMVER`, `ECOSYSTEM`, `GIT`, with their
//! events) and `versions`. A withdrawn record is reported and not imported. `related` ids are not
//! aliases (they name other vulnerabilities) and are ignored.

use msadesk_core::vuln::ids::normalize_id;
use msadesk_core::vuln::osv::{Affected, Event, Range, RangeKind};
use msadesk_core::vuln::{Ecosystem, Purl};
use serde_json::Value;

use super::json::Walk;
use super::{AffectedPackage, FeedContext, Format, Source, VulnRead, VulnRecord, add_cvss};

/// Whether a JSON value has the shape of an OSV record (an `id` and OSV-only fields).
pub fn looks_like_record(v: &Value) -> bool {
    v.get("id").is_some_and(Value::is_string)
        && (v.get("affected").is_some() || v.get("schema_version").is_some() || v.get("modified").is_some())
}

pub(crate) fn from_value(doc: &Value, file: &str, ctx: &FeedContext) -> VulnRead {
    let mut w = Walk::new(file);
    // The records, and the pointer of the array holding them (None: the document is one record).
    let (items, base): (Vec<&Value>, Option<&str>) = match doc {
        Value::Array(a) => (a.iter().collect(), Some("")),
        Value::Object(o) => match o.get("vulns").and_then(Value::as_array) {
            Some(a) => (a.iter().collect(), Some("/vulns")),
            None => (vec![doc], None),
        },
        _ => (Vec::new(), None),
    };
    let mut records = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        if records.len() >= ctx.limits.max_records {
            w.problem("", "vulns", format!("more than {} records: the rest are not read", ctx.limits.max_records));
            break;
        }
        let pointer = base.map(|b| format!("{b}/{i}")).unwrap_or_default();
        if let Some(r) = record(&mut w, item, &pointer, file, ctx) {
            records.push(r);
        }
    }
    VulnRead { format: Format::Osv, records, diagnostics: w.diagnostics }
}

fn record(w: &mut Walk<'_>, v: &Value, p: &str, file: &str, ctx: &FeedContext) -> Option<VulnRecord> {
    if !v.is_object() {
        w.problem(p, "id", "expected an OSV record (a JSON object with an \"id\")");
        return None;
    }
    let id = w.req_str(v, p, "id")?;
    let Some(id) = normalize_id(&id) else {
        w.problem(p, "id", "is not a usable identifier");
        return None;
    };
    if let Some(when) = w.opt_str(v, p, "withdrawn") {
        w.skipped(p, format!("OSV record {id} was withdrawn on {when}"));
        return None;
    }
    let source = Source { format: Format::Osv, name: ctx.name.clone(), taken_at: ctx.taken_at, file: file.to_string() };
    let mut rec = VulnRecord::new(id, source, p.to_string());
    for field in ["aliases", "upstream"] {
        for (i, a) in w.array(v, p, field).unwrap_or(&[]).iter().enumerate() {
            match a.as_str() {
                Some(s) => rec.add_alias(s),
                None => w.problem_at(&format!("{p}/{field}/{i}"), field, "expected an id string"),
            }
        }
    }
    rec.title = w.opt_str(v, p, "summary");
    rec.description = w.opt_str(v, p, "details");
    rec.published = w.opt_str(v, p, "published");
    rec.modified = w.opt_str(v, p, "modified");
    severity(w, &mut rec, v, p);

    let mut any_range = false;
    let mut any_fix = false;
    for (i, a) in w.array(v, p, "affected").unwrap_or(&[]).iter().enumerate() {
        let ap = format!("{p}/affected/{i}");
        severity(w, &mut rec, a, &ap);
        if let Some(pkg) = affected(w, a, &ap) {
            any_range |= !pkg.affected.ranges.is_empty() || !pkg.affected.versions.is_empty();
            any_fix |= !pkg.fixed.is_empty();
            rec.affected.push(pkg);
        }
    }
    rec.fix_available = if any_fix {
        Some(true)
    } else if any_range {
        Some(false)
    } else {
        None
    };
    Some(rec)
}

fn severity(w: &mut Walk<'_>, rec: &mut VulnRecord, v: &Value, p: &str) {
    for (i, s) in w.array(v, p, "severity").unwrap_or(&[]).iter().enumerate() {
        let sp = format!("{p}/severity/{i}");
        let ty = w.opt_str(s, &sp, "type").unwrap_or_default();
        if (ty == "CVSS_V3" || ty == "CVSS_V4")
            && let Some(score) = w.req_str(s, &sp, "score")
        {
            add_cvss(w, rec, &score, &sp, "score");
        }
    }
}

fn affected(w: &mut Walk<'_>, a: &Value, p: &str) -> Option<AffectedPackage> {
    let Some(pkg) = a.get("package") else {
        w.problem(p, "package", "is missing: each affected entry names its package (ecosystem and name)");
        return None;
    };
    let pp = format!("{p}/package");
    let purl = w.opt_str(pkg, &pp, "purl").and_then(|s| match Purl::parse(&s) {
        Ok(u) => Some(u),
        Err(e) => {
            w.problem(&pp, "purl", e.to_string());
            None
        }
    });
    let ecosystem = w
        .opt_str(pkg, &pp, "ecosystem")
        .map(|e| Ecosystem::from_osv(&e))
        .or_else(|| purl.as_ref().map(Purl::ecosystem));
    let name = w.opt_str(pkg, &pp, "name").or_else(|| purl.as_ref().map(Purl::osv_package_name));
    let (Some(ecosystem), Some(name)) = (ecosystem, name) else {
        w.problem(&pp, "name", "the package needs an ecosystem and a name (or a purl)");
        return None;
    };
    let mut out = AffectedPackage { ecosystem, name, purl, affected: Affected::default(), fixed: Vec::new() };
    for (i, r) in w.array(a, p, "ranges").unwrap_or(&[]).iter().enumerate() {
        let rp = format!("{p}/ranges/{i}");
        let kind = match w.req_str(r, &rp, "type").as_deref() {
            Some("SEMVER") => RangeKind::SemVer,
            Some("ECOSYSTEM") => RangeKind::Ecosystem,
            Some("GIT") => RangeKind::Git,
            Some(other) => {
                w.problem(&rp, "type", format!("'{other}' is not an OSV range type (SEMVER, ECOSYSTEM, GIT)"));
                continue;
            }
            None => continue,
        };
        let mut events = Vec::new();
        let mut ok = true;
        for (j, e) in w.array(r, &rp, "events").unwrap_or(&[]).iter().enumerate() {
            let ep = format!("{rp}/events/{j}");
            let fields: Vec<(&String, &Value)> = e.as_object().map(|o| o.iter().collect()).unwrap_or_default();
            match fields.as_slice() {
                [(k, Value::String(val))] => {
                    let val = val.trim().to_string();
                    let ev = match k.as_str() {
                        "introduced" => Event::Introduced(val),
                        "fixed" => {
                            out.fixed.push(val.clone());
                            Event::Fixed(val)
                        }
                        "last_affected" => Event::LastAffected(val),
                        "limit" => Event::Limit(val),
                        other => {
                            w.problem(&ep, other, "expected one of introduced, fixed, last_affected, limit");
                            ok = false;
                            continue;
                        }
                    };
                    events.push(ev);
                }
                _ => {
                    w.problem_at(
                        &ep,
                        "events",
                        "an event is an object with exactly one of introduced, fixed, last_affected, limit (a string)",
                    );
                    ok = false;
                }
            }
        }
        if kind != RangeKind::Git && !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
            w.problem(&rp, "events", "a range needs at least one introduced event; the range is ignored");
            ok = false;
        }
        if ok {
            out.affected.ranges.push(Range { kind, events });
        }
    }
    for (i, v) in w.array(a, p, "versions").unwrap_or(&[]).iter().enumerate() {
        match v.as_str() {
            Some(s) => out.affected.versions.push(s.trim().to_string()),
            None => w.problem_at(&format!("{p}/versions/{i}"), "versions", "expected a version string"),
        }
    }
    Some(out)
}
