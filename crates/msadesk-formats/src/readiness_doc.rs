//! The readiness report as a [`Document`]: what `msadesk report readiness --format html|pdf` and the
//! server's download write. A board member reads it top down: the summary and the tiers, the gaps
//! with what to do, every check, then the figures and the trends as bar charts.

use msadesk_core::readiness::{Check, ReadinessReport, Status};

use crate::document::{Block, Document};

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Gap => "GAP",
        Status::NotApplicable => "n/a",
    }
}

fn evidence_text(c: &Check, max_items: usize) -> String {
    let mut t = c.evidence.text.clone();
    for i in c.evidence.items.iter().take(max_items) {
        t.push_str("\n- ");
        t.push_str(i);
    }
    let more = c.evidence.items.len().saturating_sub(max_items) as u64 + c.evidence.more_items;
    if more > 0 {
        t.push_str(&format!("\n- ... and {more} more"));
    }
    t
}

/// The report as a document (English).
pub fn document(r: &ReadinessReport) -> Document {
    let who = r.operator.clone().unwrap_or_else(|| "(operator not recorded)".into());
    let mut d = Document::new(format!("Readiness report - {who} - {}", r.today), "en");
    let s = &r.summary;
    d.push(Block::Heading { level: 1, text: "Readiness report".into() });
    d.push(Block::Paragraph(
        "Could we answer a market surveillance authority today? Every item below is a live check of the registry, evaluated from the data when this report was made; none is ticked by hand.".into(),
    ));
    d.push(Block::KeyValues(vec![
        ("Economic operator".into(), who.clone()),
        ("Evaluated at".into(), r.generated_at.clone()),
        ("Registry".into(), r.engine.clone()),
        (
            "Checks".into(),
            format!("{} ok, {} gap(s), {} not applicable (of {})", s.ok, s.gap, s.not_applicable, s.total),
        ),
        ("Report format".into(), format!("readiness schema version {}", r.schema_version)),
    ]));
    d.push(Block::Heading { level: 2, text: "Open gaps by penalty tier".into() });
    d.push(Block::Paragraph(
        "The tier of CRA Art 64 each open gap falls under, with the maximum the law sets. This is the tier, not a fine computed for us.".into(),
    ));
    let mut rows: Vec<Vec<String>> = s
        .gaps_by_tier
        .iter()
        .map(|t| {
            vec![
                t.penalty_tier.legal().cite.to_string(),
                t.gaps.to_string(),
                if t.checks.is_empty() { "-".into() } else { t.checks.join(", ") },
                t.penalty_tier.legal().summary.to_string(),
            ]
        })
        .collect();
    if s.gaps_without_tier > 0 {
        let ids: Vec<&str> =
            r.checks.iter().filter(|c| c.status == Status::Gap && c.penalty_tier.is_none()).map(|c| c.id).collect();
        rows.push(vec![
            "no CRA penalty".into(),
            s.gaps_without_tier.to_string(),
            ids.join(", "),
            "Good practice or other law (e.g. personal data kept beyond its purpose).".into(),
        ]);
    }
    d.push(Block::Table { header: vec!["Tier".into(), "Gaps".into(), "Checks".into(), "Maximum".into()], rows });

    let gaps: Vec<&Check> = r.checks.iter().filter(|c| c.status == Status::Gap).collect();
    d.push(Block::Heading { level: 2, text: format!("Gaps and what to do ({})", gaps.len()) });
    if gaps.is_empty() {
        d.push(Block::Paragraph("No gaps.".into()));
    }
    for c in gaps {
        d.push(Block::Heading { level: 3, text: format!("{} ({})", c.title, c.id) });
        let mut kv = vec![("Evidence".into(), evidence_text(c, 10))];
        if let Some(f) = &c.fix {
            kv.push(("What to do".into(), f.clone()));
        }
        if let Some(t) = c.penalty_tier {
            kv.push(("Penalty tier".into(), t.legal().cite.to_string()));
        }
        if let Some(b) = c.basis {
            kv.push(("About".into(), format!("{}: {}", b.cite, b.summary)));
        }
        d.push(Block::KeyValues(kv));
    }

    d.push(Block::PageBreak);
    d.push(Block::Heading { level: 2, text: "Every check".into() });
    d.push(Block::Table {
        header: vec!["Status".into(), "Check".into(), "Evidence".into()],
        rows: r
            .checks
            .iter()
            .map(|c| vec![status_label(c.status).into(), format!("{}\n{}", c.title, c.id), evidence_text(c, 3)])
            .collect(),
    });

    d.push(Block::PageBreak);
    d.push(Block::Heading { level: 2, text: "Figures".into() });
    let f = &r.figures;
    let median = f.requests.median_response_hours.map_or("-".into(), |h| format!("{h} hours"));
    d.push(Block::KeyValues(vec![
        ("Supply records".into(), f.supply_records.total.to_string()),
        ("within their retention period".into(), f.supply_within_retention.to_string()),
        ("past their end, awaiting the retention job".into(), f.supply_records.expired.to_string()),
        ("past their end, kept by a legal hold".into(), f.supply_records.held.to_string()),
        ("deleted by retention runs so far".into(), f.supply_records.deleted.to_string()),
        (
            "Requests from authorities".into(),
            format!(
                "{} ({} open, {} overdue, {} acknowledgement late)",
                f.requests.total, f.requests.open, f.requests.overdue, f.requests.ack_overdue
            ),
        ),
        ("Median time to respond".into(), median),
        (
            "Risk decisions".into(),
            format!(
                "{} ({} significant, {} by an officer; {} significant without decision)",
                f.risk.decisions, f.risk.significant_decisions, f.risk.officer_decisions, f.risk.open_significant
            ),
        ),
        (
            "Risk notifications (legal duties)".into(),
            format!(
                "{} ({} sent, {} overdue)",
                f.risk.notifications_due, f.risk.notifications_sent, f.risk.notifications_overdue
            ),
        ),
        (
            "Corrective actions".into(),
            format!(
                "{} ({} open, {} overdue, {} completed, {} closed)",
                f.actions.total, f.actions.open, f.actions.overdue, f.actions.done, f.actions.closed
            ),
        ),
        (
            "Effectiveness checks (notified actions)".into(),
            format!(
                "{} met, {} below their level; {}% of recipients acknowledged",
                f.actions.effectiveness_met, f.actions.effectiveness_not_met, f.actions.recipients_acknowledged_pct
            ),
        ),
        (
            "Products / versions with events / operators".into(),
            format!("{} / {} / {}", f.products, f.versions_with_events, f.operators),
        ),
        ("Active legal holds".into(), f.active_legal_holds.to_string()),
    ]));
    d.push(Block::Heading { level: 2, text: "Trends over the last 12 months".into() });
    for t in &r.trends {
        d.push(Block::BarChart {
            title: t.title.to_string(),
            unit: t.unit.to_string(),
            bars: t.months.iter().map(|m| (m.month.clone(), m.value)).collect(),
        });
    }
    let p = &r.policy;
    d.push(Block::Paragraph(format!(
        "Policy: vulnerability feeds at most {} days old, SBOMs at most {} days, backups at most {} days, retention runs at most {} days apart, the Art 23 trace of the largest product within {} ms. Made with `msadesk report readiness`.",
        p.feed_max_age_days, p.sbom_max_age_days, p.backup_max_age_days, p.retention_run_max_age_days, p.trace_max_ms
    )));
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use msadesk_core::Date;
    use msadesk_core::readiness::{Facts, ReadinessPolicy, evaluate};

    #[test]
    fn the_document_has_the_summary_every_gap_and_a_chart_per_trend() {
        let f = Facts::empty(Date::parse("2026-12-04").expect("date"));
        let r = evaluate(&f, &ReadinessPolicy::default());
        let d = document(&r);
        let text = d.plain_text();
        assert!(text.contains("Readiness report"));
        for c in r.checks.iter().filter(|c| c.status == Status::Gap) {
            assert!(text.contains(c.id), "{} missing", c.id);
            assert!(text.contains(c.fix.as_deref().unwrap_or_default()), "fix of {}", c.id);
        }
        let charts = d.blocks.iter().filter(|b| matches!(b, Block::BarChart { .. })).count();
        assert_eq!(charts, r.trends.len());
        let pdf = d.to_pdf();
        assert!(pdf.starts_with(b"%PDF-"));
        let html = d.to_html();
        assert!(html.contains("identity.contact"));
    }
}
