//! `msadesk obligations` (every duty that follows from the current assessments, open or sent,
//! overdue ones marked) and `msadesk notice sent` (record that a notice went out, audited).
//!
//! Glue only: the assessments come from `crate::risk::build` (nothing recorded), overdue is
//! decided by `msadesk_core::vuln::obligations::is_overdue`, notices are kept by the store's
//! `NoticeStore`.

use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use msadesk_core::legal::LegalRef;
use msadesk_core::vuln::ids::normalize_id;
use msadesk_core::vuln::obligations::is_overdue;
use msadesk_core::{ProductId, Version};
use msadesk_store::NoticeSent;
use serde::Serialize;

use crate::cli::{meta, print_json};
use crate::db;
use crate::output::{self, Format};

#[derive(Args)]
pub struct ObligationsArgs {
    /// Only legal duties past their due time with no notice recorded.
    #[arg(long)]
    overdue: bool,
    /// Only open ones (no notice recorded).
    #[arg(long, conflicts_with = "overdue")]
    open: bool,
    /// Only this product.
    #[arg(long)]
    product: Option<String>,
    /// Judge "overdue" at this time instead of now (RFC 3339), e.g. to see what is overdue by tomorrow morning.
    #[arg(long)]
    as_of: Option<String>,
    /// The significant-risk policy (JSON; default: the built-in one).
    #[arg(long, env = "MSADESK_POLICY")]
    policy: Option<std::path::PathBuf>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

fn rfc3339(flag: &str, s: &str) -> Result<String> {
    let t: jiff::Timestamp = s
        .trim()
        .parse()
        .map_err(|e| anyhow!("{flag}: '{s}' is not an RFC 3339 time ({e}); write e.g. 2026-12-04T09:30:00Z"))?;
    Ok(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[derive(Args)]
pub struct NoticeSentArgs {
    /// Product id.
    #[arg(long)]
    product: String,
    /// Product version.
    #[arg(long)]
    version: String,
    /// The vulnerability (any of its ids).
    #[arg(long)]
    vuln: String,
    /// Whom it went to, as `msadesk obligations` names it: manufacturer, msa, csirt_enisa, users, end_users.
    #[arg(long)]
    to: String,
    /// What was sent, as `msadesk obligations` names it (default: the only open obligation to that recipient).
    #[arg(long)]
    what: Option<String>,
    /// When it was sent (RFC 3339, e.g. 2026-12-04T09:30:00Z; default: now).
    #[arg(long)]
    sent_at: Option<String>,
    /// Our reference, the authority's case number or the message id.
    #[arg(long)]
    reference: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

/// One obligation with its status, as `obligations --format json` shows it.
#[derive(Serialize)]
struct Row {
    product_id: ProductId,
    version: Version,
    vulnerability: String,
    significant: bool,
    to: &'static str,
    what: &'static str,
    member_states: Vec<String>,
    basis: LegalRef,
    due: Option<String>,
    timing: String,
    legal_duty: bool,
    /// `open` or `sent`.
    status: &'static str,
    overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    sent: Option<NoticeSent>,
}

fn now() -> String {
    meta(None).at
}

/// `msadesk obligations`.
pub fn obligations(url: &str, a: ObligationsArgs) -> Result<ExitCode> {
    let product = a.product.as_deref().map(ProductId::parse).transpose().map_err(|e| anyhow!("--product: {e}"))?;
    let policy = crate::risk::load_policy(a.policy.as_deref())?;
    let mut store = db::open(url)?;
    let list = crate::risk::build(&mut *store, &policy, product.as_ref(), None, None, None)?;
    let notices = store.notices_sent()?;
    let now = match &a.as_of {
        Some(s) => rfc3339("--as-of", s)?,
        None => now(),
    };
    let mut rows = Vec::new();
    for x in &list {
        for o in &x.obligations {
            let sent = notices
                .iter()
                .rev()
                .find(|n| {
                    n.product_id == x.product_id
                        && n.version == x.version
                        && n.to == o.to
                        && n.what == o.what
                        && x.aliases.contains(&n.vulnerability)
                })
                .cloned();
            let overdue = is_overdue(o.due.as_deref(), o.legal_duty, sent.is_some(), &now);
            rows.push(Row {
                product_id: x.product_id.clone(),
                version: x.version.clone(),
                vulnerability: x.vulnerability.clone(),
                significant: x.significant,
                to: o.to,
                what: o.what,
                member_states: o.member_states.clone(),
                basis: o.basis,
                due: o.due.clone(),
                timing: o.timing.clone(),
                legal_duty: o.legal_duty,
                status: if sent.is_some() { "sent" } else { "open" },
                overdue,
                sent,
            });
        }
    }
    rows.retain(|r| (!a.overdue || r.overdue) && (!a.open || r.status == "open"));
    // Overdue first, then by due time (none last).
    rows.sort_by(|x, y| {
        y.overdue.cmp(&x.overdue).then_with(|| match (&x.due, &y.due) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
    });
    if output::resolve(a.format) == Format::Json {
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        eprintln!(
            "{}",
            if a.overdue {
                "no overdue obligations"
            } else {
                "no obligations: no assessed vulnerability affects a product version"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = output::table(&[
        "due",
        "status",
        "to",
        "what",
        "Member States",
        "product",
        "version",
        "vulnerability",
        "basis",
    ]);
    for r in &rows {
        t.add_row(vec![
            r.due.clone().unwrap_or_else(|| "-".into()),
            match (r.overdue, r.status, r.legal_duty) {
                (true, _, _) => "OVERDUE".to_string(),
                (_, "sent", _) => format!("sent {}", r.sent.as_ref().map_or("", |s| s.sent_at.as_str())),
                (_, _, false) => "open (recommended)".into(),
                _ => "open".into(),
            },
            r.to.to_string(),
            r.what.to_string(),
            r.member_states.join(" "),
            r.product_id.to_string(),
            r.version.to_string(),
            r.vulnerability.clone(),
            r.basis.cite.to_string(),
        ]);
    }
    println!("{t}");
    let overdue = rows.iter().filter(|r| r.overdue).count();
    if overdue > 0 {
        eprintln!(
            "{overdue} overdue: send them, then record each with `msadesk notice sent --product ID --version V --vuln ID --to RECIPIENT`"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `msadesk notice sent`.
pub fn notice_sent(url: &str, a: NoticeSentArgs) -> Result<ExitCode> {
    let product_id = ProductId::parse(&a.product).map_err(|e| anyhow!("--product: {e}"))?;
    let version = Version::parse(&a.version).map_err(|e| anyhow!("--version: {e}"))?;
    let sent_at = match &a.sent_at {
        Some(s) => rfc3339("--sent-at", s)?,
        None => now(),
    };
    let want = normalize_id(&a.vuln).unwrap_or_else(|| a.vuln.trim().to_string());
    let policy = crate::risk::load_policy(std::env::var_os("MSADESK_POLICY").map(std::path::PathBuf::from).as_deref())?;
    let mut store = db::open(url)?;
    let list = crate::risk::build(
        &mut *store,
        &policy,
        Some(&product_id),
        Some(&version),
        Some(std::slice::from_ref(&want)),
        None,
    )?;
    let Some(x) = list.first() else {
        bail!(
            "{product_id} {version} has no assessment for {want}: check with `msadesk obligations --product {product_id}`"
        );
    };
    let to_list: Vec<_> = x.obligations.iter().filter(|o| o.to == a.to.trim()).collect();
    if to_list.is_empty() {
        let names: Vec<String> = x.obligations.iter().map(|o| format!("{} ({})", o.to, o.what)).collect();
        bail!(
            "--to: {product_id} {version} / {} has no obligation to '{}'; it has: {}",
            x.vulnerability,
            a.to,
            if names.is_empty() { "none".into() } else { names.join(", ") }
        );
    }
    let o = match &a.what {
        Some(w) => to_list.iter().find(|o| o.what == w.trim()).copied().ok_or_else(|| {
            anyhow!(
                "--what: no obligation '{w}' to {}; choose one of: {}",
                a.to,
                to_list.iter().map(|o| o.what).collect::<Vec<_>>().join(", ")
            )
        })?,
        None if to_list.len() == 1 => to_list[0],
        None => bail!(
            "--what: there are {} obligations to {}; say which: {}",
            to_list.len(),
            a.to,
            to_list.iter().map(|o| o.what).collect::<Vec<_>>().join(", ")
        ),
    };
    let n = NoticeSent {
        id: 0,
        product_id: product_id.clone(),
        version: version.clone(),
        vulnerability: x.vulnerability.clone(),
        to: o.to.to_string(),
        what: o.what.to_string(),
        member_states: o.member_states.clone(),
        sent_at,
        reference: a.reference.clone().filter(|r| !r.trim().is_empty()),
        note: a.note.clone().filter(|r| !r.trim().is_empty()),
        recorded_by: String::new(),
        recorded_at: String::new(),
    };
    let id = store.record_notice_sent(&n, &meta(None))?;
    eprintln!(
        "notice #{id} recorded: {} to {} for {product_id} {version} / {} sent {}",
        n.what, n.to, n.vulnerability, n.sent_at
    );
    Ok(ExitCode::SUCCESS)
}
