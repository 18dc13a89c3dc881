//! CSAF 2.0 advisories (OASIS Common Security Advisory Framework), the format in which
//! manufacturers publish security advisories and VEX documents.
//!
//! The document is checked enough to refuse what is not a CSAF 2.0 advisory (`document` with
//! `csaf_version` "2.0", `category`, `title`, `publisher.name`, `tracking.id`); full schema and
//! mandatory-test validation is the outside validator's job. The product tree is flattened:
//! products from `full_product_names`, from nested `branches` (any depth) and from
//! `relationships[].full_product_name`, each with its `purl` and `cpe` helpers. Each entry of
//! `vulnerabilities` becomes one record: id = `cve` (else the first of `ids`, else
//! `{tracking id}#{index}`), `ids` as aliases, the products per `product_status` category,
//! `scores[].cvss_v3`/`cvss_v4` vectors, `remediations` (a `vendor_fix` means a fix is available;
//! `none_available`/`no_fix_planned` without one means none is) and `threats` of category
//! `exploit_status` kept verbatim (stored with the matching data, shown to the officer).
//! A `product_version_range` branch named with a `vers:` range gives its products that range,
//! matched against the package of their purl helper.

use std::collections::BTreeMap;

use msadesk_core::vuln::Purl;
use msadesk_core::vuln::ids::normalize_id;
use serde_json::Value;

use super::json::{Walk, diag};
use super::{CsafProduct, FeedContext, Format, ProductStatus, Source, VulnRead, VulnRecord, add_cvss};
use crate::Diagnostic;

pub(crate) fn from_value(doc: &Value, file: &str, ctx: &FeedContext) -> Result<VulnRead, Diagnostic> {
    let mut w = Walk::new(file);
    let fail = |p: &str, f: &str, m: &str| {
        Err(diag(file, &format!("{p}/{f}"), Some(f), format!("{m}: this is not a valid CSAF 2.0 advisory")))
    };
    let Some(document) = doc.get("document").filter(|d| d.is_object()) else {
        return fail("", "document", "is missing");
    };
    match document.get("csaf_version").and_then(Value::as_str) {
        Some("2.0") => {}
        Some(v) => return fail("/document", "csaf_version", &format!("is '{v}', only \"2.0\" is read")),
        None => return fail("/document", "csaf_version", "is missing"),
    }
    for f in ["category", "title"] {
        if document.get(f).and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
            return fail("/document", f, "is missing");
        }
    }
    let Some(publisher) = document.get("publisher").and_then(|p| p.get("name")).and_then(Value::as_str) else {
        return fail("/document/publisher", "name", "is missing");
    };
    let Some(tracking_id) = document.get("tracking").and_then(|t| t.get("id")).and_then(Value::as_str) else {
        return fail("/document/tracking", "id", "is missing");
    };
    let tracking_id = tracking_id.trim().to_string();
    let published = document.get("tracking").and_then(|t| t.get("initial_release_date")).and_then(Value::as_str);
    let modified = document.get("tracking").and_then(|t| t.get("current_release_date")).and_then(Value::as_str);

    let mut products: BTreeMap<String, CsafProduct> = BTreeMap::new();
    if let Some(tree) = doc.get("product_tree") {
        let tp = "/product_tree";
        for (i, fpn) in w.array(tree, tp, "full_product_names").unwrap_or(&[]).iter().enumerate() {
            product(&mut w, fpn, &format!("{tp}/full_product_names/{i}"), &mut products, None);
        }
        branches(&mut w, tree, tp, &mut products, 0, None);
        for (i, rel) in w.array(tree, tp, "relationships").unwrap_or(&[]).iter().enumerate() {
            let rp = format!("{tp}/relationships/{i}");
            match rel.get("full_product_name") {
                Some(fpn) => product(&mut w, fpn, &format!("{rp}/full_product_name"), &mut products, None),
                None => w.problem(&rp, "full_product_name", "is missing"),
            }
        }
    }

    let name = if ctx.name.trim().is_empty() { publisher.to_string() } else { ctx.name.clone() };
    let source = Source { format: Format::Csaf, name, taken_at: ctx.taken_at, file: file.to_string() };
    let mut records = Vec::new();
    for (i, v) in w.array(doc, "", "vulnerabilities").unwrap_or(&[]).iter().enumerate() {
        if records.len() >= ctx.limits.max_records {
            w.problem(
                "",
                "vulnerabilities",
                format!("more than {} records: the rest are not read", ctx.limits.max_records),
            );
            break;
        }
        let p = format!("/vulnerabilities/{i}");
        let ids: Vec<String> = w
            .array(v, &p, "ids")
            .unwrap_or(&[])
            .iter()
            .filter_map(|x| x.get("text").and_then(Value::as_str))
            .filter_map(normalize_id)
            .collect();
        let id = w
            .opt_str(v, &p, "cve")
            .and_then(|c| normalize_id(&c))
            .or_else(|| ids.first().cloned())
            .unwrap_or_else(|| format!("{tracking_id}#{i}"));
        let mut rec = VulnRecord::new(id, source.clone(), p.clone());
        rec.advisory_id = Some(tracking_id.clone());
        for a in &ids {
            rec.add_alias(a);
        }
        rec.title = w.opt_str(v, &p, "title");
        rec.published = published.map(str::to_string);
        rec.modified = modified.map(str::to_string);
        for n in w.array(v, &p, "notes").unwrap_or(&[]) {
            if n.get("category").and_then(Value::as_str) == Some("description") {
                rec.description = n.get("text").and_then(Value::as_str).map(str::to_string);
            }
        }
        if let Some(status) = v.get("product_status") {
            let sp = format!("{p}/product_status");
            for (name, st) in ProductStatus::ALL {
                for (j, pid) in w.array(status, &sp, name).unwrap_or(&[]).iter().enumerate() {
                    match pid.as_str().and_then(|id| products.get(id)) {
                        Some(prod) => rec.products.push((st, prod.clone())),
                        None => w.problem_at(
                            &format!("{sp}/{name}/{j}"),
                            name,
                            format!("product id {pid} is not in the product tree"),
                        ),
                    }
                }
            }
        }
        for (j, s) in w.array(v, &p, "scores").unwrap_or(&[]).iter().enumerate() {
            let sp = format!("{p}/scores/{j}");
            for key in ["cvss_v3", "cvss_v4"] {
                if let Some(c) = s.get(key)
                    && let Some(vec) = w.req_str(c, &format!("{sp}/{key}"), "vectorString")
                {
                    add_cvss(&mut w, &mut rec, &vec, &format!("{sp}/{key}"), "vectorString");
                }
            }
        }
        let mut vendor_fix =
            rec.products.iter().any(|(s, _)| matches!(s, ProductStatus::Fixed | ProductStatus::FirstFixed));
        let mut no_fix = false;
        for r in w.array(v, &p, "remediations").unwrap_or(&[]) {
            match r.get("category").and_then(Value::as_str) {
                Some("vendor_fix") => vendor_fix = true,
                Some("none_available" | "no_fix_planned") => no_fix = true,
                _ => {}
            }
        }
        rec.fix_available = if vendor_fix {
            Some(true)
        } else if no_fix {
            Some(false)
        } else {
            None
        };
        for t in w.array(v, &p, "threats").unwrap_or(&[]) {
            if t.get("category").and_then(Value::as_str) == Some("exploit_status")
                && let Some(d) = t.get("details").and_then(Value::as_str)
            {
                rec.exploit_status.push(d.to_string());
            }
        }
        records.push(rec);
    }
    Ok(VulnRead { format: Format::Csaf, records, diagnostics: w.diagnostics })
}

/// Nested branches end in products. serde_json's nesting limit bounds the recursion; `depth` is a
/// second guard.
fn branches(
    w: &mut Walk<'_>,
    node: &Value,
    p: &str,
    out: &mut BTreeMap<String, CsafProduct>,
    depth: usize,
    vers: Option<&str>,
) {
    if depth > 64 {
        w.problem(p, "branches", "branches nested more than 64 deep are not read");
        return;
    }
    for (i, b) in w.array(node, p, "branches").unwrap_or(&[]).iter().enumerate() {
        let bp = format!("{p}/branches/{i}");
        // A `product_version_range` branch named with a `vers:` range applies to what is under it.
        let range = (b.get("category").and_then(Value::as_str) == Some("product_version_range"))
            .then(|| b.get("name").and_then(Value::as_str))
            .flatten()
            .filter(|n| n.trim_start().to_ascii_lowercase().starts_with("vers:"));
        if let Some(r) = range
            && let Err(e) = msadesk_core::vuln::vers::VersRange::parse(r)
        {
            w.problem(&bp, "name", format!("{e}; products under it are matched by their purl only"));
        }
        let vers = range.or(vers);
        if let Some(prod) = b.get("product") {
            product(w, prod, &format!("{bp}/product"), out, vers);
        }
        branches(w, b, &bp, out, depth + 1, vers);
    }
}

fn product(w: &mut Walk<'_>, v: &Value, p: &str, out: &mut BTreeMap<String, CsafProduct>, vers: Option<&str>) {
    let Some(product_id) = w.req_str(v, p, "product_id") else { return };
    let name = w.req_str(v, p, "name").unwrap_or_default();
    let (mut purl, mut cpe) = (None, None);
    if let Some(h) = v.get("product_identification_helper") {
        let hp = format!("{p}/product_identification_helper");
        purl = w.opt_str(h, &hp, "purl").and_then(|s| match Purl::parse(&s) {
            Ok(u) => Some(u),
            Err(e) => {
                w.problem(&hp, "purl", e.to_string());
                None
            }
        });
        cpe = w.opt_str(h, &hp, "cpe");
    }
    if out.contains_key(&product_id) {
        w.problem(p, "product_id", format!("product id {product_id} is defined twice; the first definition is kept"));
        return;
    }
    // A range is only usable with the package it ranges over.
    let vers =
        vers.filter(|r| purl.is_some() && msadesk_core::vuln::vers::VersRange::parse(r).is_ok()).map(str::to_string);
    out.insert(product_id.clone(), CsafProduct { product_id, name, purl, cpe, vers });
}
