//! Vulnerability intake and the significant-risk assessment (issue 5): `import sbom`, `import
//! vulns`, `import kev`, `import deployments` and `assess`.
//!
//! Glue only: files are read by `msadesk_formats::intake` and `msadesk_formats::deployments`,
//! matching, the decision and the obligations are made in `msadesk_core::vuln`, and everything is
//! kept through the `Store` trait.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use msadesk_core::vuln::Policy;
use msadesk_core::vuln::ids::normalize_id;
use msadesk_core::{Date, ProductId, Version};
use msadesk_formats::Diagnostic;
use msadesk_formats::intake::{FeedContext, Limits, purl_text};
use msadesk_store::{ImportStats, KnownExploited, NewSbom, RiskDecisionRecord, SbomComponent, Store, StoredVuln};
use serde::Serialize;
use sha2::Digest;

pub(crate) use msadesk_server::assess::build;
use msadesk_server::assess::{Assessment, Change, OVERRIDE_KEY, drafts_for};

use crate::cli::{meta, print_json};
use crate::db;
use crate::output::{self, Format};

#[derive(Args)]
pub struct SbomArgs {
    /// Product id (as in the registry).
    #[arg(long)]
    product: String,
    /// Product version the SBOM describes.
    #[arg(long)]
    version: String,
    /// CycloneDX JSON (1.4–1.6) or SPDX 2.3 JSON.
    file: PathBuf,
    /// The significant-risk policy (JSON) for the re-assessment that follows the import (default: the built-in one).
    #[arg(long, env = "MSADESK_POLICY")]
    policy: Option<PathBuf>,
    /// Do not re-assess after the import (by default, what the import touched is assessed again and new or changed results are recorded).
    #[arg(long)]
    no_assess: bool,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct VulnsArgs {
    /// OSV JSON (a record, an array, or {"vulns": [...]}), NVD CVE API 2.0 JSON or a CSAF 2.0 advisory.
    file: PathBuf,
    /// The date the feed was taken (YYYY-MM-DD; default: today). Every decision shows it.
    #[arg(long)]
    feed_date: Option<String>,
    /// The feed's name as decisions show it (default: the format, e.g. "OSV").
    #[arg(long)]
    feed: Option<String>,
    /// The significant-risk policy (JSON) for the re-assessment that follows the import (default: the built-in one).
    #[arg(long, env = "MSADESK_POLICY")]
    policy: Option<PathBuf>,
    /// Do not re-assess after the import (by default, what the import touched is assessed again and new or changed results are recorded).
    #[arg(long)]
    no_assess: bool,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct KevArgs {
    /// The CISA Known Exploited Vulnerabilities catalogue JSON, or a catalogue of the same shape.
    file: PathBuf,
    /// The catalogue's name (default: CISA KEV).
    #[arg(long, default_value = "CISA KEV")]
    source: String,
    /// The significant-risk policy (JSON) for the re-assessment that follows the import (default: the built-in one).
    #[arg(long, env = "MSADESK_POLICY")]
    policy: Option<PathBuf>,
    /// Do not re-assess after the import (by default, what the import touched is assessed again and new or changed results are recorded).
    #[arg(long)]
    no_assess: bool,
    /// The date the catalogue was taken (YYYY-MM-DD; default: today).
    #[arg(long)]
    feed_date: Option<String>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct DeploymentsArgs {
    /// CSV with the columns product_id,version,member_state,instances,critical_sector.
    file: PathBuf,
    /// The significant-risk policy (JSON) for the re-assessment that follows the import (default: the built-in one).
    #[arg(long, env = "MSADESK_POLICY")]
    policy: Option<PathBuf>,
    /// Do not re-assess after the import (by default, what the import touched is assessed again and new or changed results are recorded).
    #[arg(long)]
    no_assess: bool,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct AssessArgs {
    /// Only this vulnerability (any of its ids: CVE, GHSA, EUVD, OSV, advisory id).
    #[arg(long)]
    vuln: Option<String>,
    /// Only this product.
    #[arg(long)]
    product: Option<String>,
    /// Only this version (with --product).
    #[arg(long, requires = "product")]
    version: Option<String>,
    /// The significant-risk policy as a JSON file (default: the built-in default policy; print it with --show-policy).
    #[arg(long, env = "MSADESK_POLICY")]
    policy: Option<PathBuf>,
    /// Print the policy in force as JSON and stop.
    #[arg(long)]
    show_policy: bool,
    /// Add English notice drafts for the obligations (JSON: `drafts`; table: printed after the table).
    #[arg(long)]
    drafts: bool,
    /// Also write each obligation's notice as a letter (PDF and HTML) into this directory: in English and in the
    /// language of each addressed Member State's authority (manufacturer: English; users: the languages of the
    /// Member States where the version was made available). Needs `msadesk init`.
    #[arg(long, value_name = "DIR")]
    letters: Option<PathBuf>,
    /// Do not record the decisions (by default a decision is recorded, audited, when it is new or differs from the last one recorded).
    #[arg(long)]
    dry_run: bool,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct DecideArgs {
    /// Product id.
    #[arg(long)]
    product: String,
    /// Product version.
    #[arg(long)]
    version: String,
    /// The vulnerability (any of its ids).
    #[arg(long)]
    vuln: String,
    /// The officer's decision: is it a significant cybersecurity risk?
    #[arg(long, action = clap::ArgAction::Set)]
    significant: bool,
    /// Why (recorded and shown in every later assessment).
    #[arg(long)]
    reason: String,
    /// Policy file for the re-assessment that follows (default: the built-in policy).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Only record the decision; the next `msadesk assess` or import applies it.
    #[arg(long)]
    no_assess: bool,
}

/// `msadesk decide`: an officer's recorded decision, which wins over the policy's rules.
pub fn decide(url: &str, a: DecideArgs) -> Result<ExitCode> {
    let product_id = ProductId::parse(&a.product).map_err(|e| anyhow!("--product: {e}"))?;
    let version = Version::parse(&a.version).map_err(|e| anyhow!("--version: {e}"))?;
    let reason = a.reason.trim();
    if reason.is_empty() {
        bail!("--reason: say why, e.g. --reason 'the vulnerable function is not reachable in our build'");
    }
    let want = normalize_id(&a.vuln).unwrap_or_else(|| a.vuln.trim().to_string());
    let mut store = db::open(url)?;
    if store.product(&product_id)?.is_none() {
        return Err(msadesk_store::StoreError::UnknownProduct(product_id).into());
    }
    let vulns = store.vulns()?;
    let groups = msadesk_core::vuln::ids::unify(
        vulns.iter().map(|v| v.aliases.iter().cloned().chain([v.id.clone()]).collect::<BTreeSet<String>>()),
    );
    let Some(ids) = groups.into_iter().find(|g| g.iter().any(|i| i.eq_ignore_ascii_case(&want))) else {
        bail!("--vuln: no imported vulnerability record has the id {want}: import it with `msadesk import vulns`");
    };
    let primary = ids.iter().find(|i| i.starts_with("CVE-")).cloned().unwrap_or(want);
    let m = meta(None);
    let record = RiskDecisionRecord {
        id: 0,
        product_id,
        version,
        vulnerability: primary,
        significant: a.significant,
        policy_version: "officer".into(),
        decided_at: m.at.clone(),
        decided_by: m.actor.clone(),
        assessment: serde_json::json!({OVERRIDE_KEY: {"significant": a.significant, "reason": reason}}),
    };
    let id = store.record_decision(&record, &m)?;
    eprintln!(
        "decision #{id} recorded: {} {} {} is {}a significant risk ({reason})",
        record.product_id,
        record.version,
        record.vulnerability,
        if a.significant { "" } else { "not " }
    );
    if a.no_assess {
        eprintln!("`msadesk assess` applies it from now on");
    } else {
        let ids = [record.vulnerability.clone()];
        let why = "re-assessment after an officer decision";
        let r = reassess(
            &mut *store,
            a.policy.as_deref(),
            Some(&record.product_id),
            Some(&record.version),
            Some(&ids),
            why,
        )?;
        eprintln!("{}", r.line());
    }
    Ok(ExitCode::SUCCESS)
}

fn today() -> Date {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    Date::from_unix_seconds(i64::try_from(now).unwrap_or(0))
}

fn feed_date(v: Option<&str>) -> Result<Date> {
    v.map_or(Ok(today()), |s| Date::parse(s).map_err(|e| anyhow!("--feed-date: {e}")))
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn print_diagnostics(diags: &[Diagnostic]) {
    for d in diags {
        eprintln!("{d}");
    }
}

/// The JSON summary of an import: the file, what was done, whether it was committed, diagnostics.
fn summary(file: &Path, committed: bool, detail: impl Serialize, diags: &[Diagnostic]) -> serde_json::Value {
    let mut v = serde_json::json!({"file": file.display().to_string()});
    if let (Some(obj), Ok(serde_json::Value::Object(d))) = (v.as_object_mut(), serde_json::to_value(detail)) {
        obj.extend(d);
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert("committed".into(), serde_json::Value::Bool(committed));
        obj.insert("diagnostics".into(), serde_json::to_value(diags).unwrap_or_default());
    }
    v
}

fn report<T: Serialize>(
    format: Option<Format>,
    file: &Path,
    detail: T,
    diags: &[Diagnostic],
    line: String,
) -> Result<ExitCode> {
    if output::resolve(format) == Format::Json {
        print_json(&summary(file, true, detail, diags))?;
    }
    print_diagnostics(diags);
    eprintln!("{line}");
    Ok(ExitCode::SUCCESS)
}

fn rejected(format: Option<Format>, file: &Path, diags: &[Diagnostic], why: &str) -> Result<ExitCode> {
    if output::resolve(format) == Format::Json {
        print_json(&summary(file, false, serde_json::json!({}), diags))?;
    }
    print_diagnostics(diags);
    eprintln!("{}: {why}: nothing was imported", file.display());
    Ok(ExitCode::FAILURE)
}

/// `msadesk import sbom`.
pub fn import_sbom(url: &str, a: SbomArgs) -> Result<ExitCode> {
    let product_id = ProductId::parse(&a.product).map_err(|e| anyhow!("--product: {e}"))?;
    let version = Version::parse(&a.version).map_err(|e| anyhow!("--version: {e}"))?;
    let bytes = read_file(&a.file)?;
    let name = a.file.display().to_string();
    let read = match msadesk_formats::intake::sbom::read_sbom(&bytes[..], &name, Limits::default()) {
        Ok(r) => r,
        Err(d) => return rejected(a.format, &a.file, &[d], "not a CycloneDX JSON 1.4–1.6 or SPDX 2.3 JSON SBOM"),
    };
    if !read.is_valid() {
        return rejected(a.format, &a.file, &read.diagnostics, "the SBOM is malformed (see above)");
    }
    let mut without_purl = 0u64;
    let components: Vec<SbomComponent> = read
        .sbom
        .components
        .iter()
        .map(|c| {
            let purl = c.purl.as_ref().map(purl_text).unwrap_or_else(|| {
                // A component without a purl is kept under a generic one, so a CPE it carries can
                // still be matched against NVD data.
                without_purl += 1;
                let n = c.name.replace(['/', '@', '?', '#', ' '], "-");
                match &c.version {
                    Some(v) => format!("pkg:generic/{n}@{}", v.replace(['/', '?', '#', ' '], "-")),
                    None => format!("pkg:generic/{n}"),
                }
            });
            SbomComponent { purl, name: c.name.clone(), version: c.version.clone(), cpe: c.cpe.clone() }
        })
        .collect();
    let sbom = NewSbom {
        product_id,
        version,
        source_file: name.clone(),
        // "CycloneDX 1.6", "SPDX 2.3" (SPDX spells its version "SPDX-2.3").
        format: format!("{} {}", read.sbom.format.name(), read.sbom.spec_version.trim_start_matches("SPDX-")),
        digest: msadesk_core::audit::hex(&sha2::Sha256::digest(&bytes)),
        components,
    };
    let mut store = db::open(url)?;
    let info = store.import_sbom(&sbom, &meta(Some(name.clone())))?;
    let reassessment = if a.no_assess {
        None
    } else {
        Some(reassess(
            &mut *store,
            a.policy.as_deref(),
            Some(&sbom.product_id),
            Some(&sbom.version),
            None,
            AFTER_IMPORT,
        )?)
    };
    #[derive(Serialize)]
    struct Detail {
        sbom: msadesk_store::SbomInfo,
        components_without_purl: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        reassessment: Option<Reassessment>,
    }
    let line = format!(
        "{name}: {} SBOM for {} {} stored as #{} with {} components ({} without a purl, kept as pkg:generic); it is now the version's current SBOM",
        sbom.format, info.product_id, info.version, info.id, info.components, without_purl
    );
    let line = with_reassessment(line, reassessment.as_ref());
    report(
        a.format,
        &a.file,
        Detail { sbom: info, components_without_purl: without_purl, reassessment },
        &read.diagnostics,
        line,
    )
}

/// Import statistics with the re-assessment that followed.
#[derive(Serialize)]
struct Reassessed {
    #[serde(flatten)]
    stats: ImportStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    reassessment: Option<Reassessment>,
}

fn with_reassessment(line: String, r: Option<&Reassessment>) -> String {
    match r {
        Some(r) => format!("{line}\n{}", r.line()),
        None => line,
    }
}

fn stats_line(name: &str, what: &str, s: &ImportStats) -> String {
    format!(
        "{name}: {} {what} read: {} new, {} updated, {} already present",
        s.rows, s.new, s.updated, s.already_present
    )
}

/// `msadesk import vulns`.
pub fn import_vulns(url: &str, a: VulnsArgs) -> Result<ExitCode> {
    let bytes = read_file(&a.file)?;
    import_vulns_bytes(url, a, &bytes)
}

#[derive(Args)]
pub struct FetchVulnsArgs {
    /// Where the feed is: an https:// or http:// URL (OSV, NVD CVE API 2.0 or CSAF 2.0 JSON, detected).
    #[arg(long, env = "MSADESK_VULNS_URL")]
    url: String,
    /// PEM file of a private CA to trust for HTTPS, in addition to the built-in Mozilla roots.
    #[arg(long, env = "MSADESK_FETCH_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// The feed's name as decisions show it (default: the format).
    #[arg(long)]
    feed: Option<String>,
    /// Largest answer accepted, in MiB.
    #[arg(long, default_value_t = 64)]
    max_mib: usize,
    /// Seconds the whole download may take.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// The significant-risk policy for the re-assessment that follows (default: the built-in one).
    #[arg(long, env = "MSADESK_POLICY")]
    policy: Option<PathBuf>,
    /// Do not re-assess after the import.
    #[arg(long)]
    no_assess: bool,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

/// `msadesk fetch vulns`: downloads the feed over HTTP(S) and imports it as `import vulns` does,
/// with today as the date the feed was taken and the URL as its file.
pub fn fetch_vulns(url: &str, a: FetchVulnsArgs) -> Result<ExitCode> {
    let extra_ca_pem = match &a.ca_file {
        Some(path) => {
            let len = std::fs::metadata(path)
                .with_context(|| {
                    format!("the CA file {}: check the path (--ca-file, MSADESK_FETCH_CA_FILE)", path.display())
                })?
                .len();
            if len > 4 << 20 {
                bail!("the CA file {} is larger than 4 MiB: give the PEM certificate(s) of the CA", path.display());
            }
            Some(std::fs::read(path).with_context(|| format!("cannot read the CA file {}", path.display()))?)
        }
        None => None,
    };
    let opts = msadesk_server::fetch::FetchOptions {
        max_bytes: a.max_mib.saturating_mul(1024 * 1024).max(1),
        timeout: std::time::Duration::from_secs(a.timeout.max(1)),
        extra_ca_pem,
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    let fetched = rt.block_on(msadesk_server::fetch::get(&a.url, &opts)).map_err(|e| anyhow!("{e}"))?;
    eprintln!(
        "{}: {} bytes{}",
        a.url.trim(),
        fetched.bytes.len(),
        fetched.content_type.as_deref().map_or(String::new(), |c| format!(" ({c})"))
    );
    let args = VulnsArgs {
        file: PathBuf::from(a.url.trim()),
        feed_date: None,
        feed: a.feed,
        policy: a.policy,
        no_assess: a.no_assess,
        format: a.format,
    };
    import_vulns_bytes(url, args, &fetched.bytes)
}

fn import_vulns_bytes(url: &str, a: VulnsArgs, bytes: &[u8]) -> Result<ExitCode> {
    let taken = feed_date(a.feed_date.as_deref())?;
    let name = a.file.display().to_string();
    let ctx = FeedContext::new(a.feed.clone().unwrap_or_default(), taken);
    let read = match msadesk_formats::intake::read_vulns(bytes, &name, &ctx) {
        Ok(r) => r,
        Err(d) => return rejected(a.format, &a.file, &[d], "not vulnerability data msadesk reads"),
    };
    let feed = a.feed.clone().unwrap_or_else(|| read.format.name().to_string());
    let vulns: Vec<StoredVuln> = read
        .records
        .iter()
        .map(|r| StoredVuln {
            id: r.id.clone(),
            aliases: r.aliases.iter().cloned().collect(),
            format: read.format.name().to_string(),
            feed: feed.clone(),
            feed_date: taken,
            file: name.clone(),
            summary: r.title.clone().or_else(|| r.description.clone()),
            cvss: r.cvss.iter().map(|c| c.vector().to_string()).collect(),
            match_data: serde_json::to_value(r.match_data()).unwrap_or_default(),
        })
        .collect();
    let mut store = db::open(url)?;
    let stats = store.import_vulns(&vulns, &meta(Some(name.clone())))?;
    let ids: Vec<String> = vulns.iter().map(|v| v.id.clone()).collect();
    let reassessment = if a.no_assess {
        None
    } else {
        Some(reassess(&mut *store, a.policy.as_deref(), None, None, Some(&ids), AFTER_IMPORT)?)
    };
    let line = format!(
        "{} ({}, feed '{feed}' of {taken})",
        stats_line(&name, "vulnerability records", &stats),
        read.format.name()
    );
    let line = with_reassessment(line, reassessment.as_ref());
    report(a.format, &a.file, Reassessed { stats, reassessment }, &read.diagnostics, line)
}

/// `msadesk import kev`.
pub fn import_kev(url: &str, a: KevArgs) -> Result<ExitCode> {
    let taken = feed_date(a.feed_date.as_deref())?;
    let bytes = read_file(&a.file)?;
    let name = a.file.display().to_string();
    let ctx = FeedContext::new(a.source.clone(), taken);
    let cat = match msadesk_formats::intake::kev::read_kev(&bytes[..], &name, &ctx) {
        Ok(c) => c,
        Err(d) => return rejected(a.format, &a.file, &[d], "not a known-exploited catalogue"),
    };
    let entries: Vec<KnownExploited> = cat
        .entries
        .iter()
        .map(|e| KnownExploited {
            id: normalize_id(&e.cve).unwrap_or_else(|| e.cve.clone()),
            source: a.source.clone(),
            date_added: e.date_added,
            due_date: e.due_date,
            ransomware: e.known_ransomware_campaign_use,
        })
        .collect();
    let mut store = db::open(url)?;
    let stats = store.import_known_exploited(&entries, &meta(Some(name.clone())))?;
    let ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
    let reassessment = if a.no_assess {
        None
    } else {
        Some(reassess(&mut *store, a.policy.as_deref(), None, None, Some(&ids), AFTER_IMPORT)?)
    };
    let line = format!("{} (catalogue '{}')", stats_line(&name, "known-exploited listings", &stats), a.source);
    let line = with_reassessment(line, reassessment.as_ref());
    report(a.format, &a.file, Reassessed { stats, reassessment }, &cat.diagnostics, line)
}

/// `msadesk import deployments`.
pub fn import_deployments(url: &str, a: DeploymentsArgs) -> Result<ExitCode> {
    let file = std::fs::File::open(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let name = a.file.display().to_string();
    let (rows, diags) = msadesk_formats::deployments::read(std::io::BufReader::new(file), &name);
    if !diags.is_empty() {
        return rejected(a.format, &a.file, &diags, "invalid rows (see above); fix them and import again");
    }
    let mut store = db::open(url)?;
    let stats = store.import_deployments(&rows, &meta(Some(name.clone())))?;
    // The install base changes indicators of every vulnerability of the versions named.
    let mut reassessment: Option<Reassessment> = None;
    if !a.no_assess {
        let versions: BTreeSet<(ProductId, Version)> =
            rows.iter().map(|r| (r.product_id.clone(), r.version.clone())).collect();
        let mut total = Reassessment::default();
        // Each pass reads the whole intake once: past a few versions, one pass over everything is cheaper.
        let passes: Vec<(Option<&ProductId>, Option<&Version>)> = if versions.len() > 20 {
            vec![(None, None)]
        } else {
            versions.iter().map(|(p, v)| (Some(p), Some(v))).collect()
        };
        for (p, v) in passes {
            let r = reassess(&mut *store, a.policy.as_deref(), p, v, None, AFTER_IMPORT)?;
            total.assessed += r.assessed;
            total.new_affected += r.new_affected;
            total.changed += r.changed;
            total.significant += r.significant;
            total.policy_version = r.policy_version;
        }
        if total.policy_version.is_empty() {
            total.policy_version = load_policy(a.policy.as_deref())?.version;
        }
        reassessment = Some(total);
    }
    let line = with_reassessment(stats_line(&name, "deployments", &stats), reassessment.as_ref());
    report(a.format, &a.file, Reassessed { stats, reassessment }, &diags, line)
}

pub(crate) fn load_policy(path: Option<&Path>) -> Result<Policy> {
    let Some(path) = path else { return Ok(Policy::default()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let p: Policy = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a significant-risk policy (print the default one with `msadesk assess --show-policy`)",
            path.display()
        )
    })?;
    p.validate().map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(p)
}

/// `msadesk assess`.
pub fn assess(url: &str, a: AssessArgs) -> Result<ExitCode> {
    let policy = load_policy(a.policy.as_deref())?;
    if a.show_policy {
        print_json(&policy)?;
        return Ok(ExitCode::SUCCESS);
    }
    let product_filter =
        a.product.as_deref().map(ProductId::parse).transpose().map_err(|e| anyhow!("--product: {e}"))?;
    let version_filter = a.version.as_deref().map(Version::parse).transpose().map_err(|e| anyhow!("--version: {e}"))?;
    let vuln_filter = a.vuln.as_deref().map(|v| normalize_id(v).unwrap_or_else(|| v.trim().to_string()));
    let mut store = db::open(url)?;
    let meta = meta(None);
    let assessments = build(
        &mut *store,
        &policy,
        product_filter.as_ref(),
        version_filter.as_ref(),
        vuln_filter.as_ref().map(std::slice::from_ref),
        (!a.dry_run).then_some(&meta),
    )?;
    let mut assessments = assessments;
    if a.drafts {
        add_drafts(&mut *store, &mut assessments)?;
    }
    if let Some(dir) = &a.letters {
        let written = write_notice_letters(&mut *store, &assessments, dir)?;
        eprintln!("wrote {} notice letters to {}", written, dir.display());
    }
    if output::resolve(a.format) == Format::Json {
        print_json(&assessments)?;
    } else {
        print_table(&assessments);
        for d in assessments.iter().flat_map(|a| &a.drafts) {
            let kind = if d.legal_duty { "legal duty" } else { "recommendation" };
            println!("\n=== To {} ({}, {kind}, {}) ===\nSubject: {}\n\n{}", d.to, d.what, d.basis, d.subject, d.body);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The note of the re-assessments that follow an import.
const AFTER_IMPORT: &str = "re-assessment after import";

/// Re-runs the assessment after an import, for what the import touched, records new and changed
/// results (audited), and says what came out. Officer decisions are kept and applied.
fn reassess(
    store: &mut dyn Store,
    policy: Option<&Path>,
    product: Option<&ProductId>,
    version: Option<&Version>,
    vulns: Option<&[String]>,
    why: &str,
) -> Result<Reassessment> {
    let policy = load_policy(policy)?;
    let m = meta(Some(why.into()));
    let list = build(store, &policy, product, version, vulns, Some(&m))?;
    let touched: Vec<&Assessment> = list.iter().filter(|a| a.change != Change::Unchanged).collect();
    Ok(Reassessment {
        assessed: list.len() as u64,
        new_affected: touched.iter().filter(|a| a.change == Change::New).count() as u64,
        changed: touched.iter().filter(|a| a.change == Change::Changed).count() as u64,
        significant: touched.iter().filter(|a| a.significant).count() as u64,
        policy_version: policy.version,
    })
}

/// What a re-assessment after an import found.
#[derive(Serialize, Default)]
struct Reassessment {
    /// Pairs assessed (affected or unknown).
    assessed: u64,
    /// (product, version, vulnerability) pairs affected for the first time.
    new_affected: u64,
    /// Pairs whose significance, policy or indicators changed.
    changed: u64,
    /// Of the new and changed pairs, how many are significant.
    significant: u64,
    policy_version: String,
}

impl Reassessment {
    fn line(&self) -> String {
        format!(
            "re-assessed under policy {}: {} new affected (product, version, vulnerability), {} changed, {} significant; see `msadesk assess`",
            self.policy_version, self.new_affected, self.changed, self.significant
        )
    }
}

fn print_table(list: &[Assessment]) {
    if list.is_empty() {
        eprintln!(
            "no affected product versions: import SBOMs (`msadesk import sbom`) and vulnerability data (`msadesk import vulns`) first"
        );
        return;
    }
    let mut t = output::table(&[
        "vulnerability",
        "product",
        "version",
        "CVSS",
        "fired",
        "significant",
        "role",
        "Member States",
        "obligations",
    ]);
    for a in list {
        t.add_row(vec![
            a.vulnerability.clone(),
            a.product_id.to_string(),
            a.version.to_string(),
            a.cvss.as_ref().map_or("-".into(), |c| format!("{:.1} ({})", c.base_score, c.version)),
            a.fired.join(", "),
            if a.significant { "yes".into() } else { "no".into() },
            a.role.map_or("(unknown: run msadesk init)".into(), |r| r.to_string()),
            a.member_states.iter().map(|m| m.member_state.clone()).collect::<Vec<_>>().join(" "),
            a.obligations
                .iter()
                .map(|o| {
                    format!(
                        "{} {} {}{} [{}]",
                        if o.legal_duty { "MUST" } else { "recommended:" },
                        o.what,
                        o.to,
                        o.due.as_ref().map_or(String::new(), |d| format!(" by {d}")),
                        o.basis.cite
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ]);
    }
    println!("{t}");
}

/// Adds the English notice drafts of each assessment's obligations.
fn add_drafts(store: &mut dyn Store, list: &mut [Assessment]) -> Result<()> {
    let sender = store.identity()?.map_or_else(|| "[our company: run msadesk init]".to_string(), |i| i.name);
    let names: BTreeMap<ProductId, String> = store.products()?.into_iter().map(|p| (p.id, p.name)).collect();
    for a in list.iter_mut() {
        a.drafts = drafts_for(&sender, &names, a);
    }
    Ok(())
}

/// Writes the notice letters of every assessment's obligations (`assess --letters DIR`), as
/// `msadesk_server::notice_letters` lists them, in PDF and HTML. Returns how many files were written.
fn write_notice_letters(store: &mut dyn Store, list: &[Assessment], dir: &Path) -> Result<usize> {
    let (base, _) = crate::letters::sender_args(store, Date::from_unix_seconds(jiff::Timestamp::now().as_second()))?;
    let authorities = store.authorities()?;
    let products: BTreeMap<ProductId, msadesk_core::Product> =
        store.products()?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let mut written = 0;
    for a in list.iter().filter(|a| !a.obligations.is_empty()) {
        let folder =
            dir.join(format!("{}-{}-{}", a.product_id, a.version, a.vulnerability).replace(['/', '\\', ' '], "_"));
        let letters =
            msadesk_server::notice_letters::notice_letters(&base, &authorities, products.get(&a.product_id), a)
                .map_err(|e| anyhow!("{e}"))?;
        for l in letters {
            for ext in ["pdf", "html"] {
                crate::letters::write_letter(store, l.kind, l.lang, &l.args, &folder.join(l.file_name(ext)))?;
                written += 1;
            }
        }
    }
    Ok(written)
}

/// `msadesk bench impact`: the time from a vulnerability to its affected product versions, the
/// operators we supplied them to and the Member States they went to (the assessment without
/// recording anything), p50 and p99 over repeated runs in one process, JSON on stdout. Two
/// references are measured in the same run, and the benchmark fails when either disagrees: the
/// same assessment loading every current SBOM component (what it did before the component index),
/// and one trace per affected version (what it did before the supplied-by-country summary).
pub fn bench_impact(url: &str, vuln: &str, iterations: u32) -> Result<ExitCode> {
    use msadesk_server::assess::{ComponentLoad, build_with};
    let policy = load_policy(None)?;
    let want = normalize_id(vuln).unwrap_or_else(|| vuln.trim().to_string());
    let mut store = db::open(url)?;
    let wanted = std::slice::from_ref(&want);
    let first = build(&mut *store, &policy, None, None, Some(wanted), None)?;
    if first.is_empty() {
        bail!("{vuln} affects no product version here: import the SBOMs and the vulnerability file first");
    }
    // The keyed and the full load, alternated so that both see the same state of a shared machine.
    let n = iterations.max(1) as usize;
    let (mut times, mut full_times) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut full = None;
    for _ in 0..n {
        let start = std::time::Instant::now();
        let a = build(&mut *store, &policy, None, None, Some(wanted), None)?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(a);
        let start = std::time::Instant::now();
        let a = build_with(&mut *store, &policy, None, None, Some(wanted), None, ComponentLoad::All)?;
        full_times.push(start.elapsed().as_secs_f64() * 1000.0);
        full = Some(a);
    }
    let json = |l: &[Assessment]| serde_json::to_value(l).unwrap_or_default();
    if full.as_deref().map(json) != Some(json(&first)) {
        bail!(
            "the assessment that loads only the keyed SBOM components differs from the one that loads them all: \
             report this with the vulnerability data (msadesk_core::vuln::keys misses a case)"
        );
    }
    times.sort_by(f64::total_cmp);
    full_times.sort_by(f64::total_cmp);
    let pct = |t: &[f64], p: f64| t[((t.len() as f64 - 1.0) * p).round() as usize];
    let member_states: BTreeSet<&str> =
        first.iter().flat_map(|a| a.member_states.iter().map(|m| m.member_state.as_str())).collect();
    let supplied: u64 = first.iter().flat_map(|a| a.member_states.iter().map(|m| m.supplied)).sum();
    // The reference: what the assessment did before the supplied-by-country summary, one trace per
    // affected version (reading each of its events), timed the same way; its Member State
    // quantities must equal the summary's, or the benchmark fails.
    let mut by_summary: BTreeMap<(String, String), BTreeMap<String, u64>> = BTreeMap::new();
    for a in &first {
        let per = by_summary.entry((a.product_id.as_str().to_string(), a.version.as_str().to_string())).or_default();
        for m in a.member_states.iter().filter(|m| m.supplied > 0) {
            per.insert(m.member_state.clone(), m.supplied);
        }
    }
    let mut reference = Vec::new();
    let mut by_trace: BTreeMap<(String, String), BTreeMap<String, u64>> = BTreeMap::new();
    for _ in 0..iterations.clamp(1, 5) {
        let start = std::time::Instant::now();
        by_trace.clear();
        for a in &first {
            let key = (a.product_id.as_str().to_string(), a.version.as_str().to_string());
            if by_trace.contains_key(&key) {
                continue;
            }
            let q = msadesk_core::trace::TraceQuery {
                product_id: a.product_id.clone(),
                version: Some(a.version.clone()),
                from: None,
                to: None,
            };
            let mut per: BTreeMap<String, u64> = BTreeMap::new();
            match store.trace(&q) {
                Ok(t) => {
                    for e in t.downstream.iter().filter(|e| e.country.is_member_state()) {
                        *per.entry(e.country.as_str().to_string()).or_default() += e.quantity;
                    }
                }
                Err(msadesk_store::StoreError::UnknownProduct(_)) => {}
                Err(e) => return Err(e.into()),
            }
            by_trace.insert(key, per);
        }
        reference.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    if by_trace != by_summary {
        bail!(
            "the supplied-by-country summary differs from the traces of the affected versions: the store is inconsistent"
        );
    }
    reference.sort_by(f64::total_cmp);
    let components = store.current_components()?.len();
    let keyed = match msadesk_server::assess::candidates(&mut *store, Some(wanted))? {
        msadesk_core::vuln::keys::Candidates::Keys(k) => serde_json::json!(store.current_components_for(&k)?.len()),
        // The data names something no key describes: every component is loaded.
        msadesk_core::vuln::keys::Candidates::All(why) => serde_json::json!(format!("all ({why})")),
    };
    print_json(&serde_json::json!({
        "vulnerability": vuln,
        "sbom_components": components,
        "keyed_components": keyed,
        "affected_versions": first.len(),
        "member_states": member_states.len(),
        "quantity_supplied_to_member_states": supplied,
        "iterations": times.len(),
        "p50_ms": pct(&times, 0.5),
        "p99_ms": pct(&times, 0.99),
        "full_load_p50_ms": pct(&full_times, 0.5),
        "full_load_p99_ms": pct(&full_times, 0.99),
        "keyed_equals_full_load": true,
        "per_version_traces_p50_ms": reference[reference.len() / 2],
        "summary_equals_traces": true,
    }))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    // In a test a panic is the failure report.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use msadesk_server::assess::{ComponentLoad, build_with};

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../msadesk-formats/tests/fixtures/intake");

    /// NVD data the fixtures lack: log4j affected only when running on Debian 10 (an AND
    /// configuration, matched over the whole version's CPEs), and a criterion naming any vendor
    /// (which no key describes: every component is loaded).
    const NVD: &str = r#"{"format": "NVD_CVE", "version": "2.0", "vulnerabilities": [
      {"cve": {"id": "CVE-2099-1001", "published": "2026-11-01T00:00:00.000", "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": "log4j on Debian 10"}],
        "configurations": [{"operator": "AND", "nodes": [
          {"operator": "OR", "negate": false, "cpeMatch": [{"vulnerable": true,
            "criteria": "cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", "versionEndExcluding": "2.17.0"}]},
          {"operator": "OR", "negate": false, "cpeMatch": [{"vulnerable": false,
            "criteria": "cpe:2.3:o:debian:debian_linux:10.0:*:*:*:*:*:*:*"}]}]}]}},
      {"cve": {"id": "CVE-2099-1002", "published": "2026-11-01T00:00:00.000", "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": "any vendor's busybox"}],
        "configurations": [{"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [{"vulnerable": true,
          "criteria": "cpe:2.3:a:*:busybox:*:*:*:*:*:*:*:*", "versionEndExcluding": "1.37.0"}]}]}]}}
    ]}"#;

    /// Components without a purl (kept under a generic one) with CPEs, in mixed case.
    fn cpe_sbom(cpes: &[(&str, &str, &str)]) -> String {
        let components: Vec<serde_json::Value> = cpes
            .iter()
            .map(|(name, version, cpe)| serde_json::json!({"type": "library", "name": name, "version": version, "cpe": cpe}))
            .collect();
        serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components})
            .to_string()
    }

    fn sbom(url: &str, product: &str, version: &str, file: PathBuf) {
        let a = SbomArgs {
            product: product.into(),
            version: version.into(),
            file,
            policy: None,
            no_assess: true,
            format: None,
        };
        assert_eq!(import_sbom(url, a).unwrap(), ExitCode::SUCCESS);
    }

    fn vulns(url: &str, file: PathBuf) {
        let a = VulnsArgs {
            file,
            feed_date: Some("2026-11-01".into()),
            feed: None,
            policy: None,
            no_assess: true,
            format: None,
        };
        assert_eq!(import_vulns(url, a).unwrap(), ExitCode::SUCCESS);
    }

    fn assessed(
        store: &mut dyn Store,
        vuln: Option<&[String]>,
        pv: Option<(&ProductId, &Version)>,
        load: ComponentLoad,
    ) -> serde_json::Value {
        let policy = load_policy(None).unwrap();
        let list = build_with(store, &policy, pv.map(|p| p.0), pv.map(|p| p.1), vuln, None, load).unwrap();
        serde_json::to_value(&list).unwrap()
    }

    /// The assessment that loads only the keyed components equals the one that loads every
    /// component, on the intake fixtures (OSV, NVD, CSAF, CycloneDX, SPDX), generated SBOMs,
    /// CPE-only components, an NVD AND configuration, a superseded SBOM, per vulnerability, per
    /// product version and for everything.
    #[test]
    fn keyed_component_loading_assesses_exactly_like_loading_every_component() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("keys.db").display());
        let mut store = db::open(&url).unwrap();
        crate::cli::load_demo(store.as_mut(), &url, 3_000, 7).unwrap();
        drop(store);
        let data = crate::generate::Dataset::new(3_000, 7);
        let versions: Vec<(String, String)> =
            data.products.iter().map(|p| (p.product_id.as_str().to_string(), p.version.as_str().to_string())).collect();
        assert!(versions.len() > 12, "{}", versions.len());
        // Generated SBOMs (npm libraries, the benchmark's vulnerable one in every third version).
        let (generated, osv) = crate::generate::sboms(&data.products[..10], 12, 7);
        for (product, version, file, json) in &generated {
            let path = dir.path().join(file);
            std::fs::write(&path, json).unwrap();
            sbom(&url, product, version, path);
        }
        let fixtures = Path::new(FIXTURES);
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let p = |i: usize| (versions[i].0.as_str(), versions[i].1.as_str());
        // The fixtures' SBOMs; the CycloneDX one first replaced a CPE-only SBOM, which must not count.
        let debian_log4j = cpe_sbom(&[
            ("Debian", "10.0", "cpe:2.3:o:Debian:Debian_Linux:10.0:*:*:*:*:*:*:*"),
            ("log4j", "2.14.1", "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"),
        ]);
        sbom(&url, p(10).0, p(10).1, write("replaced.cdx.json", &debian_log4j));
        sbom(&url, p(10).0, p(10).1, fixtures.join("cyclonedx-1.5.json"));
        sbom(&url, p(11).0, p(11).1, fixtures.join("spdx-2.3.json"));
        sbom(&url, p(12).0, p(12).1, write("debian.cdx.json", &debian_log4j));
        let gateway = cpe_sbom(&[
            ("firmware", "4.2.0", "cpe:2.3:o:Example:Gateway_Firmware:4.2.0:*:*:*:*:*:*:*"),
            ("busybox", "1.36.1", "cpe:2.3:a:BusyBox:busybox:1.36.1:*:*:*:*:*:*:*"),
            ("log4j", "2.16.0", "cpe:2.3:a:apache:log4j:2.16.0:*:*:*:*:*:*:*"),
        ]);
        sbom(&url, p(13).0, p(13).1, write("gateway.cdx.json", &gateway));
        for f in ["osv-vulns.json", "nvd-cve-2.0.json", "csaf-2.0.json"] {
            vulns(&url, fixtures.join(f));
        }
        vulns(&url, write("bench.osv.json", &osv));
        vulns(&url, write("more.nvd.json", NVD));

        let mut store = db::open(&url).unwrap();
        let everything = assessed(store.as_mut(), None, None, ComponentLoad::All);
        assert_eq!(assessed(store.as_mut(), None, None, ComponentLoad::Keyed), everything, "all vulnerabilities");
        let list = everything.as_array().unwrap();
        let reasons = serde_json::to_string(&everything).unwrap();
        for (what, needle) in [
            ("OSV", "in an affected range (OSV)"),
            ("NVD", "(NVD)"),
            ("NVD AND configuration", "its NVD configuration holds"),
            ("CSAF", "CSAF product status"),
        ] {
            assert!(reasons.contains(needle), "no {what} match in the data: the comparison would prove little");
        }
        assert!(list.len() > 5, "{}", list.len());
        let all_components = store.current_components().unwrap().len();
        let mut ids: Vec<String> = store.vulns().unwrap().iter().map(|v| v.id.clone()).collect();
        ids.push("CVE-2099-7777".into());
        ids.push("EUVD-2021-0001".into());
        let mut smaller = 0;
        for id in &ids {
            let want = std::slice::from_ref(id);
            let full = assessed(store.as_mut(), Some(want), None, ComponentLoad::All);
            assert_eq!(assessed(store.as_mut(), Some(want), None, ComponentLoad::Keyed), full, "{id}");
            // The keyed load reads fewer components wherever the data can be keyed.
            let vs: Vec<msadesk_core::vuln::matching::MatchData> = store
                .vulns()
                .unwrap()
                .iter()
                .filter(|v| v.id == *id)
                .map(|v| serde_json::from_value(v.match_data.clone()).unwrap())
                .collect();
            if let msadesk_core::vuln::keys::Candidates::Keys(k) = msadesk_core::vuln::keys::Candidates::union(&vs)
                && store.current_components_for(&k).unwrap().len() < all_components
            {
                smaller += 1;
            }
        }
        assert!(smaller >= 4, "{smaller} of {} vulnerabilities were loaded keyed", ids.len());
        for i in [0, 3, 10, 12, 13] {
            let pid = ProductId::parse(p(i).0).unwrap();
            let ver = Version::parse(p(i).1).unwrap();
            let full = assessed(store.as_mut(), None, Some((&pid, &ver)), ComponentLoad::All);
            assert_eq!(assessed(store.as_mut(), None, Some((&pid, &ver)), ComponentLoad::Keyed), full, "{pid} {ver}");
        }
    }
}
