//! `msadesk advisory csaf`: a CSAF 2.0 security advisory or VEX document for one assessed
//! vulnerability and the versions of our products it affects, does not affect, or is fixed in.
//!
//! Glue only: the facts come from the assessment (`crate::risk::build`, nothing recorded), the
//! store (versions, current SBOMs, our identity as the publisher), and the document shape from
//! `msadesk_formats::csaf_out`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use msadesk_core::vuln::ids::normalize_id;
use msadesk_core::vuln::matching::MatchOutcome;
use msadesk_core::vuln::{Cvss, CvssVersion, Purl};
use msadesk_core::{OurRole, ProductId, Version};
use msadesk_formats::csaf_out::{
    self, Advisory, Component, Cvss3, ProductVersionEntry, Profile, Publisher, Revision, VersionStatus,
};

use crate::cli::meta;
use crate::db;

#[derive(Clone, Copy, ValueEnum)]
pub enum CsafStatus {
    Final,
    Interim,
}

#[derive(Args)]
pub struct CsafArgs {
    /// The vulnerability (any of its ids: CVE, GHSA, EUVD, OSV, advisory id).
    #[arg(long)]
    vuln: String,
    /// Only this product (default: every product with an affected version). With --product, a
    /// product that is not affected gets a statement that it is not affected.
    #[arg(long)]
    product: Option<String>,
    /// Write a VEX document (csaf_vex) instead of a security advisory (csaf_security_advisory).
    #[arg(long)]
    vex: bool,
    /// The earlier advisory this one revises: its tracking id and revision history are kept, and a
    /// revision is added when the content changed.
    #[arg(long)]
    update: Option<PathBuf>,
    /// What changed in this revision (with --update).
    #[arg(long)]
    revision_summary: Option<String>,
    /// The publisher's namespace, a URL that names us (default: https:// and the domain of the e-mail address given to `msadesk init`).
    #[arg(long)]
    namespace: Option<String>,
    /// The tracking id (default: MSADESK-<vulnerability>[-<product>]).
    #[arg(long)]
    id: Option<String>,
    #[arg(long, value_enum, default_value = "final")]
    status: CsafStatus,
    /// The remediation for the affected versions (default: update to the fixed versions, or "no fix available yet").
    #[arg(long)]
    remediation: Option<String>,
    /// The CSAF remediation category (default: vendor_fix when a fixed version exists, else none_available).
    #[arg(long, value_parser = ["vendor_fix", "mitigation", "workaround", "none_available", "no_fix_planned"])]
    remediation_category: Option<String>,
    /// Where to write the JSON document (`-` for standard output).
    #[arg(long)]
    out: PathBuf,
}

fn system_name(id: &str) -> &'static str {
    if id.starts_with("GHSA-") {
        "GitHub Security Advisory"
    } else if id.starts_with("EUVD-") {
        "EU Vulnerability Database (EUVD)"
    } else if id.starts_with("PYSEC-") || id.starts_with("RUSTSEC-") || id.starts_with("GO-") {
        "OSV"
    } else {
        "Vulnerability feed"
    }
}

fn now() -> String {
    meta(None).at
}

/// `msadesk advisory csaf`.
pub fn csaf(url: &str, a: CsafArgs) -> Result<ExitCode> {
    let want = normalize_id(&a.vuln).unwrap_or_else(|| a.vuln.trim().to_string());
    let product_filter =
        a.product.as_deref().map(ProductId::parse).transpose().map_err(|e| anyhow!("--product: {e}"))?;
    let mut store = db::open(url)?;
    let Some(me) = store.identity()? else {
        bail!("the publisher is unknown: run `msadesk init` first (the advisory is published under our name)");
    };
    let namespace = match (&a.namespace, me.email.as_ref()) {
        (Some(n), _) => n.trim().to_string(),
        (None, Some(e)) => {
            let e = e.as_str();
            let domain = e.rsplit('@').next().unwrap_or_default();
            format!("https://{domain}")
        }
        (None, None) => bail!(
            "--namespace: give the URL that names us as publisher (e.g. --namespace https://acme.example), or record an e-mail with `msadesk init --email`"
        ),
    };
    if !(namespace.starts_with("https://") || namespace.starts_with("http://")) || namespace.len() < 10 {
        bail!("--namespace: '{namespace}' is not a URL; give e.g. https://acme.example");
    }

    // The vulnerability: every record that shares an id with the one asked for.
    let vulns = store.vulns()?;
    let groups = msadesk_core::vuln::ids::unify(
        vulns.iter().map(|v| v.aliases.iter().cloned().chain([v.id.clone()]).collect::<BTreeSet<String>>()),
    );
    let Some(ids) = groups.into_iter().find(|g| g.iter().any(|i| i.eq_ignore_ascii_case(&want))) else {
        bail!("--vuln: no imported vulnerability record has the id {want}: import it with `msadesk import vulns`");
    };
    let members: Vec<_> = vulns.iter().filter(|v| ids.contains(&v.id)).collect();
    let cve = ids.iter().find(|i| i.starts_with("CVE-")).cloned();
    let primary = cve.clone().unwrap_or_else(|| ids.iter().next().cloned().unwrap_or_default());
    let best3 = members
        .iter()
        .flat_map(|v| v.cvss.iter())
        .filter_map(|s| Cvss::parse(s).ok())
        .filter(|c| matches!(c.version(), CvssVersion::V3_0 | CvssVersion::V3_1))
        .max_by(|x, y| x.base_score().total_cmp(&y.base_score()));
    let summary = members.iter().find_map(|v| v.summary.clone());

    let policy = crate::risk::load_policy(std::env::var_os("MSADESK_POLICY").map(PathBuf::from).as_deref())?;
    let assessments = crate::risk::build(
        &mut *store,
        &policy,
        product_filter.as_ref(),
        None,
        Some(std::slice::from_ref(&primary)),
        None,
    )?;
    let products: Vec<ProductId> = match &product_filter {
        Some(p) => {
            if store.product(p)?.is_none() {
                return Err(msadesk_store::StoreError::UnknownProduct(p.clone()).into());
            }
            vec![p.clone()]
        }
        None => assessments.iter().map(|x| x.product_id.clone()).collect::<BTreeSet<_>>().into_iter().collect(),
    };
    if products.is_empty() {
        bail!(
            "no product version is affected by {primary}: to state that a product is not affected, name it with --product"
        );
    }

    // Package keys of the components that make any version affected: a version whose SBOM holds
    // the same package at another version is fixed; one without it is not affected.
    let components = store.current_components()?;
    let affected_packages: BTreeSet<String> = assessments
        .iter()
        .flat_map(|x| x.matched.iter())
        .filter_map(|m| Purl::parse(&m.purl).ok().map(|p| p.package_key()))
        .collect();
    let default_role = me.default_role;
    let mut entries = Vec::new();
    let mut roles = Vec::new();
    for pid in &products {
        let Some(product) = store.product(pid)? else { continue };
        let role = product.our_role.unwrap_or(default_role);
        roles.push(role);
        let vendor = match (&product.manufacturer_name, role) {
            (Some(m), _) => m.clone(),
            (None, OurRole::Manufacturer) => me.name.clone(),
            (None, _) => "Unknown manufacturer".to_string(),
        };
        let mut versions: BTreeSet<Version> = store.versions(pid)?.into_iter().map(|v| v.version).collect();
        versions.extend(components.iter().filter(|c| &c.product_id == pid).map(|c| c.version.clone()));
        for ver in versions {
            let sbom: Vec<_> = components.iter().filter(|c| &c.product_id == pid && c.version == ver).collect();
            let status = match assessments.iter().find(|x| &x.product_id == pid && x.version == ver) {
                Some(x) if x.affected == Some(true) => VersionStatus::KnownAffected {
                    components: x
                        .matched
                        .iter()
                        .filter(|m| matches!(m.outcome, MatchOutcome::Affected(_)))
                        .map(|m| {
                            let c = sbom.iter().find(|c| c.component.purl == m.purl);
                            Component {
                                purl: m.purl.clone(),
                                name: c.map_or_else(|| m.purl.clone(), |c| c.component.name.clone()),
                                version: c.and_then(|c| c.component.version.clone()),
                            }
                        })
                        .collect(),
                },
                Some(_) => VersionStatus::UnderInvestigation,
                None if sbom.is_empty() => VersionStatus::UnderInvestigation,
                None if sbom.iter().any(|c| {
                    Purl::parse(&c.component.purl).is_ok_and(|p| affected_packages.contains(&p.package_key()))
                }) =>
                {
                    VersionStatus::Fixed
                }
                None => VersionStatus::KnownNotAffected { justification: "component_not_present" },
            };
            entries.push(ProductVersionEntry {
                product_id: pid.to_string(),
                product_name: product.name.clone(),
                vendor: vendor.clone(),
                version: ver.to_string(),
                gtin: product.gtin.as_ref().map(|g| g.as_str().to_string()),
                status,
            });
        }
    }
    let fixed: Vec<String> = entries
        .iter()
        .filter(|e| e.status == VersionStatus::Fixed)
        .map(|e| format!("{} {}", e.product_name, e.version))
        .collect();
    let remediation_category = a
        .remediation_category
        .clone()
        .unwrap_or_else(|| if fixed.is_empty() { "none_available".into() } else { "vendor_fix".into() });
    let remediation = a.remediation.clone().unwrap_or_else(|| {
        if fixed.is_empty() {
            "No fixed version is available yet. Limit network exposure of the affected versions; this advisory will be revised when a fix is available.".into()
        } else {
            format!("Update to a fixed version: {}.", fixed.join(", "))
        }
    });
    let exploited = assessments.iter().find(|x| x.indicators.get("actively_exploited") == Some(&Some(true))).map(|x| {
        let listed: Vec<String> = x
            .evidence
            .iter()
            .filter(|e| e.kind.starts_with("known-exploited"))
            .map(|e| format!("{} (listed {})", e.source, e.taken_at))
            .collect();
        if listed.is_empty() {
            "Known to be actively exploited (marked exploited by a vulnerability feed or an officer).".to_string()
        } else {
            format!("Known to be actively exploited: {}.", listed.join(", "))
        }
    });
    let mut note = Vec::new();
    for x in &assessments {
        if x.affected != Some(true) {
            continue;
        }
        note.push(format!(
            "{} {}: {} under policy {} (indicators that fired: {}).",
            x.product_id,
            x.version,
            if x.significant { "a significant cybersecurity risk" } else { "not a significant cybersecurity risk" },
            x.policy_version,
            if x.fired.is_empty() { "none".to_string() } else { x.fired.join(", ") }
        ));
    }
    if note.is_empty() {
        note.push("None of the product versions named is affected.".into());
    }
    let publisher_category =
        if roles.iter().all(|r| *r == OurRole::Manufacturer) && !roles.is_empty() { "vendor" } else { "other" };
    let contact =
        [me.contact_person.clone(), me.email.as_ref().map(|e| e.as_str().to_string()), Some(me.address.clone())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
    let tracking_id = a.id.clone().unwrap_or_else(|| match &product_filter {
        Some(p) => format!("MSADESK-{primary}-{p}"),
        None => format!("MSADESK-{primary}"),
    });
    let product_names: Vec<String> = {
        let names: BTreeSet<String> = entries.iter().map(|e| e.product_name.clone()).collect();
        names.into_iter().collect()
    };
    let profile = if a.vex { Profile::Vex } else { Profile::SecurityAdvisory };
    let mut advisory = Advisory {
        profile,
        tracking_id,
        title: format!(
            "{}: {} in {}",
            if a.vex { "VEX" } else { "Security advisory" },
            primary,
            product_names.join(", ")
        ),
        publisher: Publisher {
            category: publisher_category,
            name: me.name.clone(),
            namespace,
            contact_details: Some(contact),
        },
        status: match a.status {
            CsafStatus::Final => "final",
            CsafStatus::Interim => "interim",
        },
        revisions: vec![Revision { date: now(), summary: "Initial version.".into() }],
        cve: cve.clone(),
        ids: ids.iter().filter(|i| Some(*i) != cve.as_ref()).map(|i| (system_name(i).to_string(), i.clone())).collect(),
        vulnerability_title: summary.clone().map(|s| s.chars().take(200).collect()),
        description: summary
            .unwrap_or_else(|| format!("{primary}: the vulnerability data imported has no description.")),
        cvss: best3.map(|c| Cvss3 {
            version: c.version().as_str().to_string(),
            vector: c.vector().to_string(),
            base_score: c.base_score(),
        }),
        exploited,
        remediation: (remediation_category, remediation),
        assessment_note: note.join(" "),
        products: entries,
        generator_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let mut changed_line = "new advisory, revision 1".to_string();
    if let Some(prev_path) = &a.update {
        let bytes = std::fs::read(prev_path).with_context(|| format!("cannot read {}", prev_path.display()))?;
        let prev = csaf_out::read_previous(&bytes).map_err(|e| {
            anyhow!("--update {}: {e}; give an advisory written by `msadesk advisory csaf`", prev_path.display())
        })?;
        if prev.revisions.is_empty() {
            bail!("--update {}: the revision history is empty", prev_path.display());
        }
        advisory.tracking_id = a.id.clone().unwrap_or(prev.tracking_id.clone());
        let mut same = advisory.clone();
        same.revisions = prev.revisions.clone();
        if csaf_out::without_tracking(&csaf_out::build(&same)) == prev.content {
            advisory.revisions = prev.revisions;
            changed_line =
                format!("nothing changed since revision {}: revision history kept", advisory.revisions.len());
        } else {
            let mut revs = prev.revisions;
            revs.push(Revision {
                date: now(),
                summary: a
                    .revision_summary
                    .clone()
                    .unwrap_or_else(|| "Updated: product status, scores, threats or remediation changed.".to_string()),
            });
            advisory.revisions = revs;
            changed_line = format!("revision {} added", advisory.revisions.len());
        }
    }
    let doc = csaf_out::build(&advisory);
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    if a.out.as_os_str() == "-" {
        print!("{text}");
    } else {
        std::fs::write(&a.out, &text).with_context(|| format!("cannot write {}", a.out.display()))?;
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &advisory.products {
        *counts
            .entry(match e.status {
                VersionStatus::KnownAffected { .. } => "known_affected",
                VersionStatus::Fixed => "fixed",
                VersionStatus::KnownNotAffected { .. } => "known_not_affected",
                VersionStatus::UnderInvestigation => "under_investigation",
            })
            .or_default() += 1;
    }
    eprintln!(
        "{}: CSAF 2.0 {} '{}' for {primary} ({changed_line}); product versions: {}",
        a.out.display(),
        profile.category(),
        advisory.tracking_id,
        counts.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
