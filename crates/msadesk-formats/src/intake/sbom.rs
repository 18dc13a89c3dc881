//! SBOMs: CycloneDX JSON 1.4–1.6 and SPDX 2.3 (and 2.2) JSON, read into a flat list of
//! [`Component`]s keyed by package URL, with CPE where given.
//!
//! Structure is checked as far as matching needs and a little beyond, so that a malformed SBOM is
//! refused with a clear error rather than half-read: the format markers and version, the required
//! fields of the document and of each component/package (CycloneDX `type` from the specification's
//! list and `name`; SPDX `SPDXID`, `name`, `downloadLocation`), unique `bom-ref`s/`SPDXID`s, valid
//! purls. Every problem is a [`Diagnostic`] with its JSON pointer; [`SbomRead::is_valid`] says
//! whether there were any, and the caller refuses an SBOM that is not valid. Full JSON-schema
//! validation is left to the outside validators in CI.
//!
//! CycloneDX nested `components` are flattened (depth-first, parents first); the
//! `metadata.component` (the product the SBOM describes) is kept apart as [`Sbom::subject`].

use std::collections::HashSet;
use std::io::Read;

use msadesk_core::vuln::Purl;
use serde_json::Value;

use super::json::{Walk, diag, kind, read_json};
use super::{Format, Limits, detect};
use crate::Diagnostic;

/// One component (CycloneDX) or package (SPDX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// CycloneDX `bom-ref`, SPDX `SPDXID`.
    pub bom_ref: Option<String>,
    /// CycloneDX `type` (library, application, …); SPDX `primaryPackagePurpose` when given.
    pub kind: Option<String>,
    /// CycloneDX `group` (Maven groupId, npm scope); SPDX has none.
    pub group: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<Purl>,
    /// CPE 2.2 or 2.3 name.
    pub cpe: Option<String>,
    pub pointer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sbom {
    pub format: Format,
    /// `1.5` for CycloneDX, `SPDX-2.3` for SPDX.
    pub spec_version: String,
    /// CycloneDX `serialNumber`, SPDX `documentNamespace`.
    pub serial: Option<String>,
    /// CycloneDX `metadata.component`; SPDX has no single subject.
    pub subject: Option<Component>,
    pub components: Vec<Component>,
}

#[derive(Debug, Clone)]
pub struct SbomRead {
    pub sbom: Sbom,
    pub diagnostics: Vec<Diagnostic>,
}

impl SbomRead {
    /// No errors (warnings about parts not imported do not count).
    pub fn is_valid(&self) -> bool {
        self.diagnostics.iter().all(|d| d.skipped)
    }
}

const CDX_TYPES: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
    "cryptographic-asset",
];

/// Reads a CycloneDX or SPDX JSON SBOM, detecting which. `Err` when the document is not JSON, too
/// large, or neither format.
pub fn read_sbom(input: impl Read, file: &str, limits: Limits) -> Result<SbomRead, Diagnostic> {
    let doc = read_json(input, file, limits.max_bytes, "a CycloneDX or SPDX JSON SBOM")?;
    match detect(&doc) {
        Some(Format::CycloneDx) => cyclonedx(&doc, file, limits),
        Some(Format::Spdx) => spdx(&doc, file, limits),
        Some(f) => Err(diag(
            file,
            "",
            None,
            format!(
                "this is a {} document, not an SBOM: expected CycloneDX JSON (\"bomFormat\": \"CycloneDX\") or SPDX JSON (\"spdxVersion\": \"SPDX-2.3\")",
                f.name()
            ),
        )),
        None => Err(diag(
            file,
            "",
            None,
            "this JSON is not an SBOM msadesk reads: expected CycloneDX JSON 1.4-1.6 (\"bomFormat\": \"CycloneDX\") or SPDX 2.3 JSON (\"spdxVersion\": \"SPDX-2.3\")",
        )),
    }
}

fn parse_purl(w: &mut Walk<'_>, v: &Value, p: &str, field: &str) -> Option<Purl> {
    w.opt_str(v, p, field).and_then(|s| match Purl::parse(&s) {
        Ok(u) => Some(u),
        Err(e) => {
            w.problem(p, field, e.to_string());
            None
        }
    })
}

fn cyclonedx(doc: &Value, file: &str, limits: Limits) -> Result<SbomRead, Diagnostic> {
    let spec = doc.get("specVersion").and_then(Value::as_str).unwrap_or("");
    if !["1.4", "1.5", "1.6"].contains(&spec) {
        return Err(diag(
            file,
            "/specVersion",
            Some("specVersion"),
            format!("CycloneDX specVersion '{spec}' is not supported: msadesk reads CycloneDX JSON 1.4, 1.5 and 1.6"),
        ));
    }
    let mut w = Walk::new(file);
    if let Some(v) = doc.get("version")
        && v.as_u64().is_none_or(|n| n < 1)
    {
        w.problem("", "version", format!("expected a positive integer (the BOM's revision), found {}", kind(v)));
    }
    let serial = w.opt_str(doc, "", "serialNumber");
    if let Some(s) = &serial
        && !is_urn_uuid(s)
    {
        w.problem(
            "",
            "serialNumber",
            format!("'{s}' is not a serial number of the form urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"),
        );
    }
    if let Some(meta) = doc.get("metadata") {
        if let Some(t) = w.opt_str(meta, "/metadata", "timestamp")
            && !is_date_time(&t)
        {
            w.problem("/metadata", "timestamp", format!("'{t}' is not a date-time such as 2026-11-02T10:00:00Z"));
        }
        licenses(&mut w, meta, "/metadata");
        properties(&mut w, meta, "/metadata", spec);
    }
    dependencies(&mut w, doc);
    services(&mut w, doc);
    let mut cx = Cdx { refs: HashSet::new(), components: Vec::new(), limits, spec };
    let subject = match doc.get("metadata").and_then(|m| m.get("component")) {
        Some(c) => cdx_component(&mut w, &mut cx, c, "/metadata/component"),
        None => None,
    };
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        cdx_children(&mut w, &mut cx, c, "/metadata/component", 0);
    }
    cdx_children(&mut w, &mut cx, doc, "", 0);
    Ok(SbomRead {
        sbom: Sbom {
            format: Format::CycloneDx,
            spec_version: spec.to_string(),
            serial,
            subject,
            components: cx.components,
        },
        diagnostics: w.diagnostics,
    })
}

/// The state of one CycloneDX walk.
struct Cdx<'s> {
    refs: HashSet<String>,
    components: Vec<Component>,
    limits: Limits,
    spec: &'s str,
}

fn cdx_children(w: &mut Walk<'_>, cx: &mut Cdx<'_>, parent: &Value, p: &str, depth: usize) {
    if depth > 64 {
        w.problem(p, "components", "components nested more than 64 deep are not read");
        return;
    }
    let Some(list) = w.array(parent, p, "components") else { return };
    for (i, c) in list.iter().enumerate() {
        if cx.components.len() >= cx.limits.max_records {
            let max = cx.limits.max_records;
            w.problem(p, "components", format!("more than {max} components: the rest are not read"));
            return;
        }
        let cp = format!("{p}/components/{i}");
        if let Some(comp) = cdx_component(w, cx, c, &cp) {
            cx.components.push(comp);
        }
        cdx_children(w, cx, c, &cp, depth + 1);
    }
}

fn cdx_component(w: &mut Walk<'_>, cx: &mut Cdx<'_>, c: &Value, p: &str) -> Option<Component> {
    if !c.is_object() {
        w.problem(p, "type", format!("expected a component object, found {}", kind(c)));
        return None;
    }
    let ty = w.req_str(c, p, "type");
    if let Some(t) = &ty
        && !CDX_TYPES.contains(&t.as_str())
    {
        w.problem(
            p,
            "type",
            format!("'{t}' is not a CycloneDX component type (expected one of {})", CDX_TYPES.join(", ")),
        );
    }
    let name = w.req_str(c, p, "name");
    let bom_ref = w.opt_str(c, p, "bom-ref");
    if let Some(r) = &bom_ref
        && !cx.refs.insert(r.clone())
    {
        w.problem(p, "bom-ref", format!("bom-ref '{r}' is used twice: each must be unique within the BOM"));
    }
    if c.get("bom-ref").and_then(Value::as_str).is_some_and(|r| r.trim().is_empty()) {
        w.problem(p, "bom-ref", "is empty: a bom-ref must be a non-empty string");
    }
    component_details(w, c, p, cx.spec);
    let purl = parse_purl(w, c, p, "purl");
    let cpe = w.opt_str(c, p, "cpe");
    let version = w.opt_str(c, p, "version");
    let group = w.opt_str(c, p, "group");
    Some(Component { bom_ref, kind: ty, group, name: name?, version, purl, cpe, pointer: p.to_string() })
}

fn is_urn_uuid(s: &str) -> bool {
    let Some(u) = s.strip_prefix("urn:uuid:") else { return false };
    let groups: Vec<&str> = u.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// RFC 3339 date-time, checked by shape: a date, `T`, a time, a zone.
fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let zone = s.get(19..).is_some_and(|z| {
        let z = z.strip_prefix('.').map_or(z, |f| f.trim_start_matches(|c: char| c.is_ascii_digit()));
        z == "Z" || z == "z" || (z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && z.as_bytes()[3] == b':')
    });
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && zone
}

/// An enumerated string field: absent is fine, any other value is a diagnostic.
fn one_of(w: &mut Walk<'_>, v: &Value, p: &str, field: &str, allowed: &[&str]) {
    if let Some(x) = v.get(field)
        && !x.as_str().is_some_and(|s| allowed.contains(&s))
    {
        w.problem(p, field, format!("{x} is not one of {}", allowed.join(", ")));
    }
}

/// Hash algorithms and the hex length of their digests (0: any length).
const HASHES: &[(&str, usize)] = &[
    ("MD5", 32),
    ("SHA-1", 40),
    ("SHA-256", 64),
    ("SHA-384", 96),
    ("SHA-512", 128),
    ("SHA3-256", 64),
    ("SHA3-384", 96),
    ("SHA3-512", 128),
    ("BLAKE2b-256", 64),
    ("BLAKE2b-384", 96),
    ("BLAKE2b-512", 128),
    ("BLAKE3", 0),
];

/// The parts of a component the schema constrains tightly and a wrong value of which signals a
/// broken generator: scope, hashes, licenses, SWID, pedigree patches, properties.
fn component_details(w: &mut Walk<'_>, c: &Value, p: &str, spec: &str) {
    one_of(w, c, p, "scope", &["required", "optional", "excluded"]);
    for (i, h) in w.array(c, p, "hashes").unwrap_or(&[]).iter().enumerate() {
        let hp = format!("{p}/hashes/{i}");
        let alg = w.req_str(h, &hp, "alg");
        let content = w.req_str(h, &hp, "content").unwrap_or_default();
        match alg.as_deref().and_then(|a| HASHES.iter().find(|(n, _)| *n == a)) {
            Some((name, len))
                if !content.bytes().all(|b| b.is_ascii_hexdigit()) || (*len != 0 && content.len() != *len) =>
            {
                w.problem(&hp, "content", format!("is not a {name} digest ({len} hexadecimal digits)"));
            }
            Some(_) => {}
            None if alg.is_some() => w.problem(
                &hp,
                "alg",
                format!(
                    "is not a hash algorithm of CycloneDX ({})",
                    HASHES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            ),
            None => {}
        }
    }
    licenses(w, c, p);
    if let Some(swid) = c.get("swid") {
        let sp = format!("{p}/swid");
        w.req_str(swid, &sp, "tagId");
        w.req_str(swid, &sp, "name");
    }
    if let Some(ped) = c.get("pedigree") {
        let pp = format!("{p}/pedigree");
        for (i, patch) in w.array(ped, &pp, "patches").unwrap_or(&[]).iter().enumerate() {
            let patch_p = format!("{pp}/patches/{i}");
            one_of(w, patch, &patch_p, "type", &["unofficial", "monkey", "backport", "cherry-pick"]);
            for (j, issue) in w.array(patch, &patch_p, "resolves").unwrap_or(&[]).iter().enumerate() {
                one_of(w, issue, &format!("{patch_p}/resolves/{j}"), "type", &["defect", "enhancement", "security"]);
            }
        }
    }
    properties(w, c, p, spec);
}

/// A license choice: either license objects (each with exactly one of `id` and `name`, text in
/// base64 or plain) or a single SPDX expression. Whether an `id` is on the SPDX license list is
/// not checked (that needs the list).
fn licenses(w: &mut Walk<'_>, v: &Value, p: &str) {
    let list = w.array(v, p, "licenses").unwrap_or(&[]);
    let expressions = list.iter().filter(|l| l.get("expression").is_some()).count();
    if expressions > 0 && list.len() > 1 {
        w.problem(p, "licenses", "an SPDX expression must be the only entry of a license choice");
    }
    for (i, l) in list.iter().enumerate() {
        let lp = format!("{p}/licenses/{i}");
        match (l.get("license"), l.get("expression")) {
            (Some(_), Some(_)) => {
                w.problem(&lp, "expression", "a license entry has either license or expression, not both")
            }
            (Some(lic), None) => {
                let lic_p = format!("{lp}/license");
                if lic.get("id").is_some() == lic.get("name").is_some() {
                    w.problem(&lic_p, "id", "a license has exactly one of id and name");
                }
                if let Some(t) = lic.get("text") {
                    one_of(w, t, &format!("{lic_p}/text"), "encoding", &["base64"]);
                }
                properties(w, lic, &lic_p, "1.6");
            }
            (None, Some(_)) => {}
            (None, None) => w.problem(&lp, "license", "a license entry needs license or expression"),
        }
    }
}

/// From CycloneDX 1.6 a property must have a `name` and nothing but `name` and `value`.
fn properties(w: &mut Walk<'_>, v: &Value, p: &str, spec: &str) {
    if spec != "1.6" {
        return;
    }
    for (i, prop) in w.array(v, p, "properties").unwrap_or(&[]).iter().enumerate() {
        let pp = format!("{p}/properties/{i}");
        w.req_str(prop, &pp, "name");
        if let Some(o) = prop.as_object()
            && let Some(k) = o.keys().find(|k| *k != "name" && *k != "value")
        {
            w.problem(&pp, k, "is not a field of a property (name, value)");
        }
    }
}

/// Each dependency names the `ref` it is about.
fn dependencies(w: &mut Walk<'_>, doc: &Value) {
    for (i, d) in w.array(doc, "", "dependencies").unwrap_or(&[]).iter().enumerate() {
        let dp = format!("/dependencies/{i}");
        w.req_str(d, &dp, "ref");
        for (j, x) in w.array(d, &dp, "dependsOn").unwrap_or(&[]).iter().enumerate() {
            if x.as_str().is_none_or(|s| s.trim().is_empty()) {
                w.problem_at(&format!("{dp}/dependsOn/{j}"), "dependsOn", "expected a non-empty bom-ref");
            }
        }
    }
}

/// Data flows of services have a fixed vocabulary.
fn services(w: &mut Walk<'_>, doc: &Value) {
    for (i, s) in w.array(doc, "", "services").unwrap_or(&[]).iter().enumerate() {
        let sp = format!("/services/{i}");
        for (j, d) in w.array(s, &sp, "data").unwrap_or(&[]).iter().enumerate() {
            one_of(w, d, &format!("{sp}/data/{j}"), "flow", &["inbound", "outbound", "bi-directional", "unknown"]);
        }
    }
}

fn spdx(doc: &Value, file: &str, limits: Limits) -> Result<SbomRead, Diagnostic> {
    let spec = doc.get("spdxVersion").and_then(Value::as_str).unwrap_or("").to_string();
    if spec != "SPDX-2.3" && spec != "SPDX-2.2" {
        return Err(diag(
            file,
            "/spdxVersion",
            Some("spdxVersion"),
            format!("SPDX version '{spec}' is not supported: msadesk reads SPDX 2.3 (and 2.2) JSON"),
        ));
    }
    let mut w = Walk::new(file);
    if let Some(id) = w.req_str(doc, "", "SPDXID")
        && id != "SPDXRef-DOCUMENT"
    {
        w.problem("", "SPDXID", format!("the document's SPDXID is '{id}': it must be SPDXRef-DOCUMENT"));
    }
    w.req_str(doc, "", "name");
    if let Some(l) = w.req_str(doc, "", "dataLicense")
        && l != "CC0-1.0"
    {
        w.problem("", "dataLicense", format!("is '{l}': SPDX documents are licensed CC0-1.0"));
    }
    let serial = w.req_str(doc, "", "documentNamespace");
    match doc.get("creationInfo") {
        Some(ci) if ci.is_object() => {
            w.req_str(ci, "/creationInfo", "created");
            match ci.get("creators").and_then(Value::as_array) {
                Some(a) if !a.is_empty() => {}
                _ => w.problem("/creationInfo", "creators", "is missing: at least one creator is required"),
            }
        }
        _ => w.problem("", "creationInfo", "is missing: the creation information (created, creators) is required"),
    }
    let mut ids = HashSet::new();
    let mut components = Vec::new();
    let packages = w.array(doc, "", "packages").unwrap_or(&[]);
    for (i, pkg) in packages.iter().enumerate() {
        if components.len() >= limits.max_records {
            w.problem("", "packages", format!("more than {} packages: the rest are not read", limits.max_records));
            break;
        }
        let p = format!("/packages/{i}");
        if !pkg.is_object() {
            w.problem_at(&p, "packages", format!("expected a package object, found {}", kind(pkg)));
            continue;
        }
        let id = w.req_str(pkg, &p, "SPDXID");
        if let Some(id) = &id {
            if !id.starts_with("SPDXRef-") {
                w.problem(&p, "SPDXID", format!("'{id}' must start with SPDXRef-"));
            } else if !ids.insert(id.clone()) {
                w.problem(&p, "SPDXID", format!("SPDXID '{id}' is used twice"));
            }
        }
        let name = w.req_str(pkg, &p, "name");
        w.req_str(pkg, &p, "downloadLocation");
        let version = w.opt_str(pkg, &p, "versionInfo");
        let kind = w.opt_str(pkg, &p, "primaryPackagePurpose");
        let (mut purl, mut cpe) = (None, None);
        for (j, r) in w.array(pkg, &p, "externalRefs").unwrap_or(&[]).iter().enumerate() {
            let rp = format!("{p}/externalRefs/{j}");
            let ty = w.req_str(r, &rp, "referenceType");
            w.req_str(r, &rp, "referenceCategory");
            match ty.as_deref() {
                Some("purl") if purl.is_none() => purl = parse_purl(&mut w, r, &rp, "referenceLocator"),
                Some("cpe23Type" | "cpe22Type") if cpe.is_none() => cpe = w.req_str(r, &rp, "referenceLocator"),
                _ => {}
            }
        }
        if let Some(name) = name {
            components.push(Component { bom_ref: id, kind, group: None, name, version, purl, cpe, pointer: p });
        }
    }
    Ok(SbomRead {
        sbom: Sbom { format: Format::Spdx, spec_version: spec, serial, subject: None, components },
        diagnostics: w.diagnostics,
    })
}
