//! `msadesk report readiness`: the live checklist as a table, JSON, HTML or PDF.
//!
//! The store is read once (`msadesk_store::readiness::gather`), the core evaluates the checks
//! (`msadesk_core::readiness::evaluate`), and this module only prints or writes the result.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand, ValueEnum};
use msadesk_core::readiness::{ReadinessPolicy, ReadinessReport, Status};

use crate::db;
use crate::output;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Could we answer an authority today? Live checks (ok / gap / not applicable) with evidence, the fix and the Art 64 tier.
    #[command(
        after_help = "Every item is evaluated from the data; a gap says what to do, with the exact msadesk command.\n\nExamples:\n  msadesk report readiness\n  msadesk report readiness --format json --out readiness.json\n  msadesk report readiness --format pdf --out readiness.pdf\n  msadesk report readiness --fail-on-gap   # exit 1 when a check has a gap (for a scheduled job)\n  msadesk report readiness --show-policy > policy.json   # then: --policy policy.json"
    )]
    Readiness(ReadinessArgs),
}

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A table for people (the default on a terminal).
    Table,
    /// JSON with stable keys (the default when standard output is not a terminal; see README).
    Json,
    /// A standalone, printable HTML page.
    Html,
    /// A PDF for the board (A4, with charts of the trends).
    Pdf,
}

#[derive(Args)]
pub struct ReadinessArgs {
    #[arg(long, value_enum)]
    format: Option<ReportFormat>,
    /// Write to FILE instead of standard output (required for pdf on a terminal).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Evaluate at this instant (RFC 3339, default: now), for reviews and tests.
    #[arg(long)]
    now: Option<String>,
    /// Exit with status 1 when any check has a gap.
    #[arg(long)]
    fail_on_gap: bool,
    /// The readiness policy as JSON (feed_max_age_days, sbom_max_age_days, backup_max_age_days,
    /// retention_run_max_age_days, trace_max_ms; missing fields keep their default).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Print the default policy as JSON (edit it and pass it with --policy) and exit.
    #[arg(long)]
    show_policy: bool,
}

fn policy(path: Option<&std::path::Path>) -> Result<ReadinessPolicy> {
    let Some(path) = path else { return Ok(ReadinessPolicy::default()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the policy {}", path.display()))?;
    let p: ReadinessPolicy = serde_json::from_str(&text).map_err(|e| {
        anyhow!("{}: {e} (print the default with `msadesk report readiness --show-policy`)", path.display())
    })?;
    if p.feed_max_age_days < 0
        || p.sbom_max_age_days < 0
        || p.backup_max_age_days < 0
        || p.retention_run_max_age_days < 0
    {
        return Err(anyhow!("{}: ages are whole numbers of days, 0 or more", path.display()));
    }
    Ok(p)
}

pub fn report(url: &str, c: ReportCommand) -> Result<ExitCode> {
    let ReportCommand::Readiness(a) = c;
    if a.show_policy {
        println!("{}", serde_json::to_string_pretty(&ReadinessPolicy::default())?);
        return Ok(ExitCode::SUCCESS);
    }
    let policy = policy(a.policy.as_deref())?;
    let now = match a.now.as_deref() {
        Some(s) => s
            .parse::<jiff::Timestamp>()
            .map_err(|e| anyhow!("--now '{s}' is not an RFC 3339 instant (e.g. 2026-12-04T10:00:00Z): {e}"))?,
        None => jiff::Timestamp::now(),
    };
    let now = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let format = a.format.unwrap_or(match output::resolve(None) {
        output::Format::Table => ReportFormat::Table,
        _ => ReportFormat::Json,
    });
    let mut store = db::open(url)?;
    let r = msadesk_store::readiness::report(store.as_mut(), &now, &policy, msadesk_formats::letters::LANGUAGES)
        .context("reading the registry for the report")?;
    let bytes: Vec<u8> = match format {
        ReportFormat::Table => table(&r).into_bytes(),
        ReportFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&r)?;
            v.push(b'\n');
            v
        }
        ReportFormat::Html => msadesk_formats::readiness_doc::document(&r).to_html().into_bytes(),
        ReportFormat::Pdf => msadesk_formats::readiness_doc::document(&r).to_pdf(),
    };
    match &a.out {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "readiness report written to {}: {} ok, {} gap(s), {} not applicable",
                path.display(),
                r.summary.ok,
                r.summary.gap,
                r.summary.not_applicable
            );
        }
        None => {
            if format == ReportFormat::Pdf && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                return Err(anyhow!("a PDF is not for the terminal: give --out readiness.pdf"));
            }
            std::io::stdout().lock().write_all(&bytes)?;
        }
    }
    Ok(if a.fail_on_gap && r.summary.gap > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn mark(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Gap => "GAP",
        Status::NotApplicable => "n/a",
    }
}

fn table(r: &ReadinessReport) -> String {
    let mut out = String::new();
    let who = r.operator.as_deref().unwrap_or("(who we are is not recorded)");
    out.push_str(&format!("Readiness of {who} at {} ({} registry)\n", r.generated_at, r.engine));
    let mut t = output::table(&["status", "check", "evidence", "what to do", "tier"]);
    for c in &r.checks {
        let mut evidence = c.evidence.text.clone();
        for i in c.evidence.items.iter().take(5) {
            evidence.push_str(&format!("\n· {i}"));
        }
        let more = c.evidence.items.len().saturating_sub(5) as u64 + c.evidence.more_items;
        if more > 0 {
            evidence.push_str(&format!("\n· … and {more} more (--format json lists up to 50)"));
        }
        t.add_row(vec![
            mark(c.status).to_string(),
            format!("{}\n{}", c.id, c.title),
            evidence,
            c.fix.clone().unwrap_or_default(),
            c.penalty_tier.map_or(String::new(), |p| p.legal().cite.to_string()),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    let s = &r.summary;
    out.push_str(&format!(
        "{} checks: {} ok, {} gap(s), {} not applicable. Gaps by penalty tier (the maximum the law sets, not a fine computed for us): {}",
        s.total,
        s.ok,
        s.gap,
        s.not_applicable,
        s.gaps_by_tier.iter().map(|t| format!("{} {}", t.penalty_tier.legal().cite, t.gaps)).collect::<Vec<_>>().join(", ")
    ));
    if s.gaps_without_tier > 0 {
        out.push_str(&format!(", no CRA penalty {}", s.gaps_without_tier));
    }
    out.push('\n');
    let f = &r.figures;
    out.push_str(&format!(
        "Supply records: {} ({} within retention, {} past their end awaiting the retention job, {} held, {} deleted by retention runs). Requests: {} ({} open, {} overdue). Risk decisions: {} ({} significant, {} by an officer, {} significant without decision).\n",
        f.supply_records.total,
        f.supply_within_retention,
        f.supply_records.expired,
        f.supply_records.held,
        f.supply_records.deleted,
        f.requests.total,
        f.requests.open,
        f.requests.overdue,
        f.risk.decisions,
        f.risk.significant_decisions,
        f.risk.officer_decisions,
        f.risk.open_significant
    ));
    out
}
