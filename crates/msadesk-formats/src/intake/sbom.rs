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
        && !s.starts_with("urn:uuid:")
    {
        w.problem("", "serialNumber", format!("'{s}' is not a urn:uuid: serial number"));
    }
    let mut refs = HashSet::new();
    let mut components = Vec::new();
    let subject = match doc.get("metadata").and_then(|m| m.get("component")) {
        Some(c) => cdx_component(&mut w, c, "/metadata/component", &mut refs),
        None => None,
    };
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        cdx_children(&mut w, c, "/metadata/component", &mut refs, &mut components, limits, 0);
    }
    cdx_children(&mut w, doc, "", &mut refs, &mut components, limits, 0);
    Ok(SbomRead {
        sbom: Sbom { format: Format::CycloneDx, spec_version: spec.to_string(), serial, subject, components },
        diagnostics: w.diagnostics,
    })
}

fn cdx_children(
    w: &mut Walk<'_>,
    parent: &Value,
    p: &str,
    refs: &mut HashSet<String>,
    out: &mut Vec<Component>,
    limits: Limits,
    depth: usize,
) {
    if depth > 64 {
        w.problem(p, "components", "components nested more than 64 deep are not read");
        return;
    }
    let Some(list) = w.array(parent, p, "components") else { return };
    for (i, c) in list.iter().enumerate() {
        if out.len() >= limits.max_records {
            w.problem(p, "components", format!("more than {} components: the rest are not read", limits.max_records));
            return;
        }
        let cp = format!("{p}/components/{i}");
        if let Some(comp) = cdx_component(w, c, &cp, refs) {
            out.push(comp);
        }
        cdx_children(w, c, &cp, refs, out, limits, depth + 1);
    }
}

fn cdx_component(w: &mut Walk<'_>, c: &Value, p: &str, refs: &mut HashSet<String>) -> Option<Component> {
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
        && !refs.insert(r.clone())
    {
        w.problem(p, "bom-ref", format!("bom-ref '{r}' is used twice: each must be unique within the BOM"));
    }
    let purl = parse_purl(w, c, p, "purl");
    let cpe = w.opt_str(c, p, "cpe");
    let version = w.opt_str(c, p, "version");
    let group = w.opt_str(c, p, "group");
    Some(Component { bom_ref, kind: ty, group, name: name?, version, purl, cpe, pointer: p.to_string() })
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
