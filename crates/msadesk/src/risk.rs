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
use msadesk_core::trace::TraceQuery;
use msadesk_core::vuln::ids::normalize_id;
use msadesk_core::vuln::matching::{ComponentRef, MatchData, MatchOutcome};
use msadesk_core::vuln::obligations::{Obligation, Situation, obligations};
use msadesk_core::vuln::policy::Override;
use msadesk_core::vuln::{Cvss, Facts, Policy};
use msadesk_core::{Date, OurRole, ProductId, Version};
use msadesk_formats::Diagnostic;
use msadesk_formats::intake::{FeedContext, Limits, purl_text};
use msadesk_store::{
    ChangeMeta, ImportStats, KnownExploited, NewSbom, RiskDecisionRecord, SbomComponent, Store, StoredVuln,
};
use serde::Serialize;
use sha2::Digest;

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
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Print the policy in force as JSON and stop.
    #[arg(long)]
    show_policy: bool,
    /// Add English notice drafts for the obligations (JSON: `drafts`; table: printed after the table).
    #[arg(long)]
    drafts: bool,
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
        "decision #{id} recorded: {} {} {} is {}a significant risk ({reason}); `msadesk assess` applies it from now on",
        record.product_id,
        record.version,
        record.vulnerability,
        if a.significant { "" } else { "not " }
    );
    Ok(ExitCode::SUCCESS)
}

/// The key of an officer's decision in a recorded assessment.
const OVERRIDE_KEY: &str = "officer_override";

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
    #[derive(Serialize)]
    struct Detail {
        sbom: msadesk_store::SbomInfo,
        components_without_purl: u64,
    }
    let line = format!(
        "{name}: {} SBOM for {} {} stored as #{} with {} components ({} without a purl, kept as pkg:generic); it is now the version's current SBOM",
        sbom.format, info.product_id, info.version, info.id, info.components, without_purl
    );
    report(a.format, &a.file, Detail { sbom: info, components_without_purl: without_purl }, &read.diagnostics, line)
}

fn stats_line(name: &str, what: &str, s: &ImportStats) -> String {
    format!(
        "{name}: {} {what} read: {} new, {} updated, {} already present",
        s.rows, s.new, s.updated, s.already_present
    )
}

/// `msadesk import vulns`.
pub fn import_vulns(url: &str, a: VulnsArgs) -> Result<ExitCode> {
    let taken = feed_date(a.feed_date.as_deref())?;
    let bytes = read_file(&a.file)?;
    let name = a.file.display().to_string();
    let ctx = FeedContext::new(a.feed.clone().unwrap_or_default(), taken);
    let read = match msadesk_formats::intake::read_vulns(&bytes[..], &name, &ctx) {
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
    let line = format!(
        "{} ({}, feed '{feed}' of {taken})",
        stats_line(&name, "vulnerability records", &stats),
        read.format.name()
    );
    report(a.format, &a.file, stats, &read.diagnostics, line)
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
    let line = format!("{} (catalogue '{}')", stats_line(&name, "known-exploited listings", &stats), a.source);
    report(a.format, &a.file, stats, &cat.diagnostics, line)
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
    let line = stats_line(&name, "deployments", &stats);
    report(a.format, &a.file, stats, &diags, line)
}

/// One (product version, vulnerability) assessment, as `assess --format json` shows it.
#[derive(Serialize)]
struct Assessment {
    product_id: ProductId,
    version: Version,
    vulnerability: String,
    aliases: Vec<String>,
    summary: Option<String>,
    /// `true` when a component is affected; `null` when the data names a component whose version
    /// could not be compared (an officer must look).
    affected: Option<bool>,
    /// Why the version is affected: each matching SBOM component and the rule that matched.
    matched: Vec<MatchedComponent>,
    cvss: Option<CvssOut>,
    indicators: BTreeMap<&'static str, Option<bool>>,
    fired: Vec<&'static str>,
    rules: Vec<msadesk_core::vuln::RuleOutcome>,
    significant: bool,
    policy_version: String,
    role: Option<OurRole>,
    member_states: Vec<MemberStateOut>,
    deployed_instances: Option<u64>,
    obligations: Vec<Obligation>,
    evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    drafts: Vec<msadesk_core::vuln::notice::Draft>,
    /// The recorded decision this assessment is (or was) stored as.
    decision_id: Option<i64>,
    first_assessed_at: Option<String>,
    first_significant_at: Option<String>,
}

#[derive(Serialize, Clone)]
struct MatchedComponent {
    purl: String,
    outcome: MatchOutcome,
}

#[derive(Serialize)]
struct CvssOut {
    version: &'static str,
    vector: String,
    base_score: f64,
}

#[derive(Serialize, Default)]
struct MemberStateOut {
    member_state: String,
    /// Quantity we supplied there (registry, supplied events).
    supplied: u64,
    /// Deployed instances there (install base).
    instances: u64,
}

#[derive(Serialize)]
struct Evidence {
    source: String,
    kind: &'static str,
    taken_at: Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
}

fn load_policy(path: Option<&Path>) -> Result<Policy> {
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
        vuln_filter.as_deref(),
        (!a.dry_run).then_some(&meta),
    )?;
    let mut assessments = assessments;
    if a.drafts {
        add_drafts(&mut *store, &mut assessments)?;
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

fn build(
    store: &mut dyn Store,
    policy: &Policy,
    product: Option<&ProductId>,
    version: Option<&Version>,
    vuln: Option<&str>,
    record: Option<&ChangeMeta>,
) -> Result<Vec<Assessment>> {
    let vulns = store.vulns()?;
    let kev = store.known_exploited()?;
    let deployments = store.deployments()?;
    let components = store.current_components()?;
    let default_role = store.identity()?.map(|i| i.default_role);
    let roles: BTreeMap<ProductId, Option<OurRole>> =
        store.products()?.into_iter().map(|p| (p.id, p.our_role.or(default_role))).collect();
    let decisions = store.decisions()?;
    let mut out = Vec::new();
    let mut downstream: BTreeMap<(ProductId, Version), BTreeMap<String, u64>> = BTreeMap::new();
    // Records of the same vulnerability (shared aliases, from different feeds) are assessed as one.
    let groups = msadesk_core::vuln::ids::unify(
        vulns.iter().map(|v| v.aliases.iter().cloned().chain([v.id.clone()]).collect::<BTreeSet<String>>()),
    );
    for ids in groups {
        if let Some(want) = vuln
            && !ids.iter().any(|i| i.eq_ignore_ascii_case(want))
        {
            continue;
        }
        let members: Vec<&StoredVuln> = vulns.iter().filter(|v| ids.contains(&v.id)).collect();
        let Some(first) = members.first() else { continue };
        // The CVE id names the vulnerability when there is one; otherwise the first record's id.
        let primary = ids.iter().find(|i| i.starts_with("CVE-")).cloned().unwrap_or_else(|| first.id.clone());
        let mut datas = Vec::new();
        for v in &members {
            let d: MatchData = serde_json::from_value(v.match_data.clone()).map_err(|e| {
                anyhow!("the stored matching data of {} ({}) cannot be read ({e}): import the feed again", v.id, v.feed)
            })?;
            datas.push(d);
        }
        let merge = |f: &dyn Fn(&MatchData) -> Option<bool>| {
            if datas.iter().any(|d| f(d) == Some(true)) {
                Some(true)
            } else if datas.iter().any(|d| f(d) == Some(false)) {
                Some(false)
            } else {
                None
            }
        };
        let fix_available = merge(&|d| d.fix_available);
        let feed_exploited = merge(&|d| d.exploited);
        // Matched components per product version: the first record that says "affected" wins.
        let mut hits: BTreeMap<(ProductId, Version), Vec<MatchedComponent>> = BTreeMap::new();
        for c in &components {
            if product.is_some_and(|p| *p != c.product_id) || version.is_some_and(|x| *x != c.version) {
                continue;
            }
            let component = ComponentRef { purl: &c.component.purl, cpe: c.component.cpe.as_deref() };
            let mut outcome = MatchOutcome::NotAffected;
            for d in &datas {
                match d.matches(&component) {
                    MatchOutcome::NotAffected => {}
                    o @ MatchOutcome::Affected(_) => {
                        outcome = o;
                        break;
                    }
                    o @ MatchOutcome::Unknown(_) => outcome = o,
                }
            }
            if outcome != MatchOutcome::NotAffected {
                hits.entry((c.product_id.clone(), c.version.clone()))
                    .or_default()
                    .push(MatchedComponent { purl: c.component.purl.clone(), outcome });
            }
        }
        let listings: Vec<&KnownExploited> = kev.iter().filter(|k| ids.contains(&k.id)).collect();
        let actively_exploited = if !listings.is_empty() || feed_exploited == Some(true) {
            Some(true)
        } else if !kev.is_empty() {
            Some(false)
        } else {
            feed_exploited
        };
        let vectors: BTreeSet<&str> = members.iter().flat_map(|v| v.cvss.iter().map(String::as_str)).collect();
        let cvss: Vec<Cvss> = vectors.into_iter().filter_map(|s| Cvss::parse(s).ok()).collect();
        let summary = members.iter().find_map(|v| v.summary.clone());
        for ((pid, ver), matched) in hits {
            let affected = matched.iter().any(|m| matches!(m.outcome, MatchOutcome::Affected(_)));
            let here: Vec<_> = deployments.iter().filter(|d| d.product_id == pid && d.version == ver).collect();
            let facts = Facts {
                actively_exploited,
                cvss: cvss.clone(),
                deployed_instances: (!here.is_empty()).then(|| here.iter().map(|d| d.instances).sum()),
                critical_sector_deployments: (!here.is_empty())
                    .then(|| here.iter().filter(|d| d.critical_sector.is_some()).count() as u64),
                fix_available,
                exfiltration_marked: None,
                officer_override: None,
            };
            // The latest officer decision for the pair, if any, wins over the rules.
            let officer = decisions
                .iter()
                .rev()
                .filter(|r| r.product_id == pid && r.version == ver && ids.contains(&r.vulnerability))
                .find_map(|r| r.assessment.get(OVERRIDE_KEY))
                .and_then(|o| {
                    Some(Override {
                        significant: o.get("significant")?.as_bool()?,
                        reason: o.get("reason")?.as_str()?.to_string(),
                    })
                });
            let facts = Facts { officer_override: officer, ..facts };
            let decision = policy.decide(&facts);
            // Where the version went: the registry's supplied events, plus the install base.
            let key = (pid.clone(), ver.clone());
            if !downstream.contains_key(&key) {
                let q = TraceQuery { product_id: pid.clone(), version: Some(ver.clone()), from: None, to: None };
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
                downstream.insert(key.clone(), per);
            }
            let mut ms: BTreeMap<String, MemberStateOut> = BTreeMap::new();
            for (c, q) in downstream.get(&key).into_iter().flatten() {
                ms.entry(c.clone())
                    .or_insert_with(|| MemberStateOut { member_state: c.clone(), ..Default::default() })
                    .supplied += q;
            }
            for d in &here {
                let c = d.member_state.as_str().to_string();
                ms.entry(c.clone())
                    .or_insert_with(|| MemberStateOut { member_state: c, ..Default::default() })
                    .instances += d.instances;
            }
            let fired: Vec<&'static str> = decision.fired.iter().map(|i| i.name()).collect();
            let pair: Vec<&RiskDecisionRecord> = decisions
                .iter()
                .filter(|r| r.product_id == pid && r.version == ver && ids.contains(&r.vulnerability))
                .collect();
            let last = pair.iter().rev().find(|r| r.assessment.get(OVERRIDE_KEY).is_none()).copied();
            let changed = last.is_none_or(|l| {
                l.significant != decision.significant
                    || l.policy_version != decision.policy_version
                    || l.assessment.get("fired") != Some(&serde_json::json!(fired))
            });
            let role = roles.get(&pid).copied().flatten();
            let mut assessment = Assessment {
                product_id: pid.clone(),
                version: ver.clone(),
                vulnerability: primary.clone(),
                aliases: ids.iter().cloned().collect(),
                summary: summary.clone(),
                affected: if affected { Some(true) } else { None },
                matched,
                cvss: decision.highest_cvss.as_ref().map(|c| CvssOut {
                    version: c.version().as_str(),
                    vector: c.vector().to_string(),
                    base_score: c.base_score(),
                }),
                indicators: decision.indicators.iter().map(|(i, b)| (i.name(), *b)).collect(),
                fired,
                rules: decision.rules.clone(),
                significant: decision.significant,
                policy_version: decision.policy_version.clone(),
                role,
                member_states: ms.into_values().collect(),
                deployed_instances: facts.deployed_instances,
                obligations: Vec::new(),
                drafts: Vec::new(),
                evidence: members
                    .iter()
                    .map(|v| Evidence {
                        source: v.feed.clone(),
                        kind: "vulnerability feed",
                        taken_at: v.feed_date,
                        file: Some(v.file.clone()),
                    })
                    .chain(listings.iter().map(|k| Evidence {
                        source: k.source.clone(),
                        kind: "known-exploited listing (date added)",
                        taken_at: k.date_added,
                        file: None,
                    }))
                    .collect(),
                decision_id: last.map(|l| l.id),
                first_assessed_at: pair.first().map(|r| r.decided_at.clone()),
                first_significant_at: pair.iter().find(|r| r.significant).map(|r| r.decided_at.clone()),
            };
            let now = record.map(|m| m.at.clone());
            if changed && now.is_some() {
                if assessment.first_assessed_at.is_none() {
                    assessment.first_assessed_at = now.clone();
                }
                if assessment.significant && assessment.first_significant_at.is_none() {
                    assessment.first_significant_at = now.clone();
                }
            }
            let made_available_in: Vec<String> =
                assessment.member_states.iter().filter(|m| m.supplied > 0).map(|m| m.member_state.clone()).collect();
            if let Some(role) = role {
                assessment.obligations = obligations(&Situation {
                    role,
                    affected,
                    significant: assessment.significant,
                    actively_exploited: actively_exploited == Some(true),
                    made_available_in: &made_available_in,
                    first_seen: assessment.first_assessed_at.as_deref(),
                    first_significant: assessment.first_significant_at.as_deref(),
                    first_exploited: None,
                    fix_available_at: None,
                    hours_immediately: policy.hours_immediately,
                });
            }
            if changed && let Some(m) = record {
                let rec = RiskDecisionRecord {
                    id: 0,
                    product_id: pid.clone(),
                    version: ver.clone(),
                    vulnerability: primary.clone(),
                    significant: assessment.significant,
                    policy_version: assessment.policy_version.clone(),
                    decided_at: m.at.clone(),
                    decided_by: m.actor.clone(),
                    assessment: serde_json::to_value(&assessment).unwrap_or_default(),
                };
                assessment.decision_id = Some(store.record_decision(&rec, m)?);
            }
            out.push(assessment);
        }
    }
    Ok(out)
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
    use msadesk_core::vuln::notice::{NoticeFacts, draft};
    let sender = store.identity()?.map_or_else(|| "[our company: run msadesk init]".to_string(), |i| i.name);
    let names: BTreeMap<ProductId, String> = store.products()?.into_iter().map(|p| (p.id, p.name)).collect();
    for a in list.iter_mut() {
        let states: Vec<(String, u64, u64)> =
            a.member_states.iter().map(|m| (m.member_state.clone(), m.supplied, m.instances)).collect();
        let facts = NoticeFacts {
            sender: &sender,
            product_id: a.product_id.as_str(),
            product_name: names.get(&a.product_id).map(String::as_str),
            version: a.version.as_str(),
            vulnerability: &a.vulnerability,
            aliases: &a.aliases,
            summary: a.summary.as_deref(),
            cvss: a.cvss.as_ref().map(|c| (c.version, c.vector.as_str(), c.base_score)),
            fired: &a.fired,
            significant: a.significant,
            member_states: &states,
            policy_version: &a.policy_version,
        };
        a.drafts = a.obligations.iter().map(|o| draft(o, &facts)).collect();
    }
    Ok(())
}

/// `msadesk bench impact`: the time from a vulnerability to its affected product versions, the
/// operators we supplied them to and the Member States they went to (the assessment without
/// recording anything), p50 and p99 over repeated runs in one process, JSON on stdout.
pub fn bench_impact(url: &str, vuln: &str, iterations: u32) -> Result<ExitCode> {
    let policy = load_policy(None)?;
    let want = normalize_id(vuln).unwrap_or_else(|| vuln.trim().to_string());
    let mut store = db::open(url)?;
    let first = build(&mut *store, &policy, None, None, Some(&want), None)?;
    if first.is_empty() {
        bail!("{vuln} affects no product version here: import the SBOMs and the vulnerability file first");
    }
    let mut times = Vec::with_capacity(iterations as usize);
    for _ in 0..iterations.max(1) {
        let start = std::time::Instant::now();
        let a = build(&mut *store, &policy, None, None, Some(&want), None)?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(a);
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    let member_states: BTreeSet<&str> =
        first.iter().flat_map(|a| a.member_states.iter().map(|m| m.member_state.as_str())).collect();
    let supplied: u64 = first.iter().flat_map(|a| a.member_states.iter().map(|m| m.supplied)).sum();
    let components = store.current_components()?.len();
    print_json(&serde_json::json!({
        "vulnerability": vuln,
        "sbom_components": components,
        "affected_versions": first.len(),
        "member_states": member_states.len(),
        "quantity_supplied_to_member_states": supplied,
        "iterations": times.len(),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
    }))?;
    Ok(ExitCode::SUCCESS)
}
