//! Risk assessments in the server: the JSON API (`/api/v1/assessments…`, `/api/v1/obligations`)
//! and the pages (`/assessments`, `/assessments/{id}`, the overdue block of the dashboard).
//!
//! The server shows the assessments as they were recorded (`Store::decisions`): the CLI records
//! one whenever an import or `msadesk assess` finds a new or changed result, with its indicators,
//! rules, evidence, obligations and English drafts. An officer's decision made here is recorded and
//! the pair re-assessed at once (`crate::assess::build`, default policy), so the obligations follow
//! it immediately. Notices sent are kept by the store's `NoticeStore`.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::fmt::Write;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use msadesk_core::vuln::obligations::{is_overdue, utc_timestamp};
use msadesk_store::{ChangeMeta, NoticeSent, RiskDecisionRecord, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::caller;
use crate::auth::{self, Principal};
use crate::html::{esc, layout, table, url};
use crate::messages::EN;
use crate::problem::ApiError;
use crate::routes::{READ, WRITE};
use crate::{AppState, now_rfc3339};

/// The key of an officer's decision in a recorded assessment (as `msadesk decide` writes it).
use crate::assess::OVERRIDE_KEY;
/// Longest reason, reference or note accepted.
const MAX_TEXT: usize = 2000;

/// An officer's recorded decision.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Officer {
    pub id: i64,
    pub significant: bool,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: String,
}

/// One obligation of an assessment with its status.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ObligationView {
    pub assessment_id: i64,
    pub product_id: String,
    pub version: String,
    pub vulnerability: String,
    pub to: String,
    pub what: String,
    pub member_states: Vec<String>,
    pub basis: String,
    pub due: Option<String>,
    pub timing: String,
    pub legal_duty: bool,
    /// `open` or `sent`.
    pub status: &'static str,
    pub overdue: bool,
    pub sent: Option<NoticeSent>,
}

/// One recorded assessment as the server shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AssessmentView {
    /// The recorded decision's id.
    pub id: i64,
    pub product_id: String,
    pub version: String,
    pub vulnerability: String,
    /// As decided: the officer's latest decision when there is one, else the policy's.
    pub significant: bool,
    pub fired: Vec<String>,
    pub policy_version: String,
    pub recorded_at: String,
    pub officer: Option<Officer>,
    /// The officer decided after this assessment was recorded and the server could not re-assess
    /// (an operator's policy file): obligations follow at the next `msadesk assess` or import.
    pub reassessment_pending: bool,
    pub obligations: Vec<ObligationView>,
    /// The whole recorded assessment (indicators, rules, evidence, Member States, drafts).
    pub assessment: Value,
}

fn officer_of(r: &RiskDecisionRecord) -> Option<Officer> {
    let o = r.assessment.get(OVERRIDE_KEY)?;
    Some(Officer {
        id: r.id,
        significant: o.get("significant")?.as_bool()?,
        reason: o.get("reason")?.as_str()?.to_string(),
        decided_by: r.decided_by.clone(),
        decided_at: r.decided_at.clone(),
    })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// The current assessments: per (product, version, vulnerability) the latest recorded automatic
/// assessment that found the version affected, with the officer's latest decision and the status of
/// each obligation at `now`. Significant first, then by vulnerability, product and version.
pub(crate) fn views(s: &mut dyn Store, now: &str) -> Result<Vec<AssessmentView>, ApiError> {
    let decisions = s.decisions()?;
    let notices = s.notices_sent()?;
    let mut latest: HashMap<(String, String, String), &RiskDecisionRecord> = HashMap::new();
    for r in decisions.iter().filter(|r| r.assessment.get(OVERRIDE_KEY).is_none()) {
        latest.insert((r.product_id.to_string(), r.version.to_string(), r.vulnerability.clone()), r);
    }
    let mut out = Vec::new();
    for ((product_id, version, vulnerability), r) in latest {
        if r.assessment.get("affected") == Some(&Value::Bool(false)) {
            continue;
        }
        let aliases = {
            let mut a = strings(&r.assessment["aliases"]);
            a.push(vulnerability.clone());
            a
        };
        let officer = decisions
            .iter()
            .rev()
            .filter(|d| d.product_id == r.product_id && d.version == r.version && aliases.contains(&d.vulnerability))
            .find_map(officer_of);
        let reassessment_pending = officer.as_ref().is_some_and(|o| o.id > r.id);
        let obligations = r.assessment["obligations"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|o| {
                        let to = o["to"].as_str().unwrap_or("").to_string();
                        let what = o["what"].as_str().unwrap_or("").to_string();
                        let sent = notices
                            .iter()
                            .rev()
                            .find(|n| {
                                n.product_id == r.product_id
                                    && n.version == r.version
                                    && n.to == to
                                    && n.what == what
                                    && aliases.contains(&n.vulnerability)
                            })
                            .cloned();
                        let due = o["due"].as_str().map(str::to_string);
                        let legal_duty = o["legal_duty"].as_bool().unwrap_or(false);
                        ObligationView {
                            assessment_id: r.id,
                            product_id: product_id.clone(),
                            version: version.clone(),
                            vulnerability: vulnerability.clone(),
                            to,
                            what,
                            member_states: strings(&o["member_states"]),
                            basis: o["basis"]["cite"].as_str().unwrap_or("").to_string(),
                            due: due.clone(),
                            timing: o["timing"].as_str().unwrap_or("").to_string(),
                            legal_duty,
                            status: if sent.is_some() { "sent" } else { "open" },
                            overdue: is_overdue(due.as_deref(), legal_duty, sent.is_some(), now),
                            sent,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(AssessmentView {
            id: r.id,
            product_id,
            version,
            vulnerability,
            significant: officer.as_ref().map_or(r.significant, |o| o.significant),
            fired: strings(&r.assessment["fired"]),
            policy_version: r.policy_version.clone(),
            recorded_at: r.decided_at.clone(),
            officer,
            reassessment_pending,
            obligations,
            assessment: r.assessment.clone(),
        });
    }
    out.sort_by(|a, b| {
        b.significant
            .cmp(&a.significant)
            .then_with(|| a.vulnerability.cmp(&b.vulnerability))
            .then_with(|| a.product_id.cmp(&b.product_id))
            .then_with(|| a.version.cmp(&b.version))
    });
    Ok(out)
}

/// Every obligation of the current assessments, overdue first, then by due time.
pub(crate) fn obligations(s: &mut dyn Store, now: &str) -> Result<Vec<ObligationView>, ApiError> {
    let mut all: Vec<ObligationView> = views(s, now)?.into_iter().flat_map(|v| v.obligations).collect();
    all.sort_by(|a, b| {
        b.overdue.cmp(&a.overdue).then_with(|| match (&a.due, &b.due) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
    });
    Ok(all)
}

fn find(s: &mut dyn Store, id: i64, now: &str) -> Result<AssessmentView, ApiError> {
    views(s, now)?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no current assessment #{id}: the list is at /api/v1/assessments")))
}

fn assessment_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| ApiError::bad_request(format!("'{id}' is not an assessment id (a positive integer)")))
}

/// An officer's decision, as posted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionRequest {
    pub significant: bool,
    pub reason: String,
}

/// A notice recorded as sent, as posted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoticeRequest {
    pub to: String,
    pub what: String,
    /// RFC 3339; default: now.
    pub sent_at: Option<String>,
    pub reference: Option<String>,
    pub note: Option<String>,
}

fn text(field: &str, v: Option<&str>, required: bool) -> Result<Option<String>, ApiError> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    match v {
        None if required => Err(ApiError::bad_request(format!("{field} is required: say why"))),
        Some(s) if s.chars().count() > MAX_TEXT => {
            Err(ApiError::bad_request(format!("{field} is longer than {MAX_TEXT} characters")))
        }
        v => Ok(v.map(str::to_string)),
    }
}

fn decide(s: &mut dyn Store, id: i64, req: &DecisionRequest, meta: &ChangeMeta) -> Result<AssessmentView, ApiError> {
    let reason = text("reason", Some(&req.reason), true)?.unwrap_or_default();
    let v = find(s, id, &meta.at)?;
    let record = RiskDecisionRecord {
        id: 0,
        product_id: msadesk_core::ProductId::parse(&v.product_id).map_err(|e| ApiError::bad_request(e.to_string()))?,
        version: msadesk_core::Version::parse(&v.version).map_err(|e| ApiError::bad_request(e.to_string()))?,
        vulnerability: v.vulnerability.clone(),
        significant: req.significant,
        policy_version: "officer".into(),
        decided_at: meta.at.clone(),
        decided_by: meta.actor.clone(),
        assessment: serde_json::json!({OVERRIDE_KEY: {"significant": req.significant, "reason": reason}}),
    };
    s.record_decision(&record, meta)?;
    // Re-assess the pair at once so its obligations follow the decision. The server knows only the
    // default policy: a pair assessed under an operator's policy file is re-assessed by the next
    // `msadesk assess` or import (the page says so).
    let policy = msadesk_core::vuln::Policy::default();
    if v.policy_version == policy.version {
        let ids = [v.vulnerability.clone()];
        crate::assess::build(s, &policy, Some(&record.product_id), Some(&record.version), Some(&ids), Some(meta))?;
    }
    // The re-assessment is recorded under a new id: find the pair's current assessment.
    views(s, &meta.at)?
        .into_iter()
        .find(|x| x.product_id == v.product_id && x.version == v.version && x.vulnerability == v.vulnerability)
        .ok_or_else(|| {
            ApiError::not_found(format!("assessment #{id} is no longer current: the list is at /api/v1/assessments"))
        })
}

fn mark_sent(s: &mut dyn Store, id: i64, req: &NoticeRequest, meta: &ChangeMeta) -> Result<AssessmentView, ApiError> {
    let v = find(s, id, &meta.at)?;
    let Some(o) = v.obligations.iter().find(|o| o.to == req.to && o.what == req.what) else {
        let have: Vec<String> = v.obligations.iter().map(|o| format!("{} ({})", o.to, o.what)).collect();
        return Err(ApiError::bad_request(format!(
            "assessment #{id} has no obligation '{}' to '{}'; it has: {}",
            req.what,
            req.to,
            if have.is_empty() { "none".into() } else { have.join(", ") }
        )));
    };
    let sent_at = match req.sent_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => utc_timestamp(t).ok_or_else(|| {
            ApiError::bad_request(format!("sent_at '{t}' is not an RFC 3339 time: write e.g. 2026-12-04T09:30:00Z"))
        })?,
        None => meta.at.clone(),
    };
    let n = NoticeSent {
        id: 0,
        product_id: msadesk_core::ProductId::parse(&v.product_id).map_err(|e| ApiError::bad_request(e.to_string()))?,
        version: msadesk_core::Version::parse(&v.version).map_err(|e| ApiError::bad_request(e.to_string()))?,
        vulnerability: v.vulnerability.clone(),
        to: o.to.clone(),
        what: o.what.clone(),
        member_states: o.member_states.clone(),
        sent_at,
        reference: text("reference", req.reference.as_deref(), false)?,
        note: text("note", req.note.as_deref(), false)?,
        recorded_by: String::new(),
        recorded_at: String::new(),
    };
    s.record_notice_sent(&n, meta)?;
    find(s, id, &meta.at)
}

// ---- JSON API ----

#[derive(Deserialize)]
pub(crate) struct ObligationsQuery {
    overdue: Option<bool>,
}

pub(crate) async fn list(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let now = now_rfc3339();
    let mut list = st.pool().run(move |s| views(s, &now)).await?;
    for v in &mut list {
        // The list is a summary: the whole assessment is at /api/v1/assessments/{id}.
        v.assessment = Value::Null;
    }
    Ok(Json(list).into_response())
}

pub(crate) async fn get_one(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let id = assessment_id(&id)?;
    let now = now_rfc3339();
    let v = st.pool().run(move |s| find(s, id, &now)).await?;
    Ok(Json(v).into_response())
}

pub(crate) async fn post_decision(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    const SHAPE: &str = "a decision ({\"significant\": true|false, \"reason\": \"…\"})";
    write_to_assessment(&st, &headers, &id, &body, SHAPE, decide).await
}

pub(crate) async fn post_notice(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    const SHAPE: &str = "a notice ({\"to\": \"msa\", \"what\": \"inform\", \"sent_at\": \"…\", \"reference\": \"…\"})";
    write_to_assessment(&st, &headers, &id, &body, SHAPE, mark_sent).await
}

/// A JSON write to one assessment (a decision, a notice sent): the caller may write, the body is
/// read as `R` (a bad one is a 400 naming the expected `shape`), `apply` runs on the store's thread
/// and its view of the assessment is the 201 answer.
async fn write_to_assessment<R>(
    st: &AppState,
    headers: &HeaderMap,
    id: &str,
    body: &[u8],
    shape: &'static str,
    apply: fn(&mut dyn Store, i64, &R, &ChangeMeta) -> Result<AssessmentView, ApiError>,
) -> Result<Response, ApiError>
where
    R: serde::de::DeserializeOwned + Send + 'static,
{
    let p = caller(st, headers, WRITE).await?;
    let id = assessment_id(id)?;
    let req: R =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body is not {shape}: {e}")))?;
    let meta = p.meta(None);
    let v = st.pool().run(move |s| apply(s, id, &req, &meta)).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub(crate) async fn list_obligations(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ObligationsQuery>,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let now = now_rfc3339();
    let mut all = st.pool().run(move |s| obligations(s, &now)).await?;
    if q.overdue == Some(true) {
        all.retain(|o| o.overdue);
    }
    Ok(Json(all).into_response())
}

// ---- Pages ----

fn page(status: StatusCode, title: &str, who: Option<&Principal>, current: &str, body: &str) -> Response {
    (status, Html(layout(&EN, title, who, current, body))).into_response()
}

fn error_page(who: Option<&Principal>, e: &ApiError) -> Response {
    let body = format!("<p class=\"msg bad\" role=\"alert\">{}</p>", esc(&e.detail));
    page(e.status, EN.error_title, who, "", &body)
}

async fn signed_in(st: &AppState, headers: &HeaderMap, allowed: &[msadesk_store::Role]) -> Result<Principal, Response> {
    match auth::session(st, headers).await {
        Ok(Some(p)) if allowed.contains(&p.role) => Ok(p),
        Ok(Some(p)) => Err(error_page(Some(&p), &ApiError::new(StatusCode::FORBIDDEN, EN.forbidden))),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(error_page(None, &e)),
    }
}

fn csrf_ok(p: &Principal, sent: Option<&String>) -> bool {
    matches!((p.csrf.as_deref(), sent), (Some(want), Some(got)) if auth::same_secret(want, got))
}

fn csrf_field(p: &Principal) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(p.csrf.as_deref().unwrap_or("")))
}

fn yes_no(v: &Value) -> &'static str {
    match v.as_bool() {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not known",
    }
}

fn obligation_rows(list: &[ObligationView], with_link: bool) -> Vec<Vec<String>> {
    list.iter()
        .map(|o| {
            let status = match (o.overdue, o.status, o.legal_duty) {
                (true, _, _) => "<strong class=\"bad\">OVERDUE</strong>".to_string(),
                (_, "sent", _) => {
                    format!("sent {}", esc(o.sent.as_ref().map_or("", |n| n.sent_at.as_str())))
                }
                (_, _, false) => "open (recommended, not a legal duty)".to_string(),
                _ => "open".to_string(),
            };
            let mut row = vec![
                esc(o.due.as_deref().unwrap_or("-")),
                status,
                esc(&o.to),
                esc(&o.what),
                esc(&o.member_states.join(" ")),
                esc(&o.basis),
            ];
            if with_link {
                row.push(format!(
                    "<a href=\"/assessments/{}\">{} {} / {}</a>",
                    o.assessment_id,
                    esc(&o.product_id),
                    esc(&o.version),
                    esc(&o.vulnerability)
                ));
            }
            row
        })
        .collect()
}

/// The dashboard's block of overdue obligations (empty for roles that do not read the registry).
pub(crate) async fn dashboard_block(st: &AppState) -> String {
    let now = now_rfc3339();
    let Ok(all) = st.pool().run(move |s| obligations(s, &now)).await else {
        return String::new();
    };
    let overdue: Vec<ObligationView> = all.iter().filter(|o| o.overdue).cloned().collect();
    let open = all.iter().filter(|o| o.status == "open" && o.legal_duty).count();
    let mut s = String::from("<h2>Obligations</h2>");
    if overdue.is_empty() {
        let _ = write!(
            s,
            "<p>No overdue obligations. {open} legal duties open. <a href=\"/assessments\">Assessments</a></p>"
        );
    } else {
        let _ = write!(
            s,
            "<p class=\"msg bad\" role=\"alert\">{} overdue obligation(s): send the notices, then mark them sent.</p>",
            overdue.len()
        );
        s.push_str(&table(
            &["Due", "Status", "To", "What", "Member States", "Basis", "Assessment"],
            &obligation_rows(&overdue, true),
        ));
    }
    s
}

pub(crate) async fn list_page(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let now = now_rfc3339();
    let list = match st.pool().run(move |s| views(s, &now)).await {
        Ok(l) => l,
        Err(e) => return error_page(Some(&p), &e),
    };
    let mut body = String::from(
        "<p>Each affected (product version, vulnerability) as last assessed, significant first. Assessments are recorded when \
         SBOMs, vulnerability data, known-exploited lists or the install base are imported, and by <code>msadesk assess</code>.</p>",
    );
    if list.is_empty() {
        body.push_str("<p>No assessments recorded yet.</p>");
    } else {
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|v| {
                let open = v.obligations.iter().filter(|o| o.status == "open" && o.legal_duty).count();
                let overdue = v.obligations.iter().filter(|o| o.overdue).count();
                vec![
                    format!("<a href=\"/assessments/{}\">{}</a>", v.id, esc(&v.vulnerability)),
                    esc(&v.product_id),
                    esc(&v.version),
                    if v.significant { "<strong>significant</strong>".into() } else { "not significant".into() },
                    esc(&v.fired.join(", ")),
                    if v.officer.is_some() { "officer".into() } else { esc(&v.policy_version) },
                    if overdue > 0 {
                        format!("{open} open, <strong class=\"bad\">{overdue} overdue</strong>")
                    } else {
                        format!("{open} open")
                    },
                ]
            })
            .collect();
        body.push_str(&table(
            &["Vulnerability", "Product", "Version", "Decision", "Indicators fired", "Decided by", "Legal duties"],
            &rows,
        ));
    }
    page(StatusCode::OK, "Risk assessments", Some(&p), "/assessments", &body)
}

/// The notice letters of an assessment as the page lists them: (file stem, language, letter kind),
/// or why there are none here.
type LetterLinks = Result<Vec<(String, &'static str, String)>, &'static str>;

fn detail_body(v: &AssessmentView, p: &Principal, message: Option<&str>, letters: &LetterLinks) -> String {
    let a = &v.assessment;
    let mut s = String::new();
    if let Some(m) = message {
        let _ = write!(s, "<p class=\"msg ok\" role=\"status\">{}</p>", esc(m));
    }
    let cvss = a["cvss"].as_object().map_or("no CVSS vector".to_string(), |c| {
        format!(
            "{:.1} (CVSS {}) {}",
            c.get("base_score").and_then(Value::as_f64).unwrap_or(0.0),
            c.get("version").and_then(Value::as_str).unwrap_or(""),
            c.get("vector").and_then(Value::as_str).unwrap_or("")
        )
    });
    let _ = write!(
        s,
        "<dl><dt>Product version</dt><dd>{} {}</dd><dt>Vulnerability</dt><dd>{}</dd><dt>Also known as</dt><dd>{}</dd>\
         <dt>Summary</dt><dd>{}</dd><dt>Highest CVSS</dt><dd>{}</dd><dt>Decision</dt><dd><strong>{}</strong>{}</dd>\
         <dt>Policy</dt><dd>{}</dd><dt>Recorded</dt><dd>{}</dd><dt>Aware since (first significant)</dt><dd>{}</dd></dl>",
        esc(&v.product_id),
        esc(&v.version),
        esc(&v.vulnerability),
        esc(&strings(&a["aliases"]).join(", ")),
        esc(a["summary"].as_str().unwrap_or("")),
        esc(&cvss),
        if v.significant { "significant cybersecurity risk" } else { "not a significant risk" },
        v.officer.as_ref().map_or(String::new(), |o| format!(
            " (officer {} on {}: {})",
            esc(&o.decided_by),
            esc(&o.decided_at),
            esc(&o.reason)
        )),
        esc(&v.policy_version),
        esc(&v.recorded_at),
        esc(a["first_significant_at"].as_str().unwrap_or("not significant so far")),
    );
    if v.reassessment_pending {
        s.push_str(
            "<p class=\"msg\">The officer decided after this assessment was recorded under the operator's own policy file, \
             which the server does not have: the obligations below follow the decision at the next re-assessment \
             (<code>msadesk assess</code>, or the next import).</p>",
        );
    }
    s.push_str("<h2>Indicators</h2>");
    let indicator_rows: Vec<Vec<String>> = a["indicators"]
        .as_object()
        .map(|m| m.iter().map(|(k, x)| vec![format!("<code>{}</code>", esc(k)), yes_no(x).to_string()]).collect())
        .unwrap_or_default();
    s.push_str(&table(&["Indicator", "Value"], &indicator_rows));
    s.push_str("<h2>Rules of the policy</h2>");
    let rule_rows: Vec<Vec<String>> = a["rules"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|r| {
                    vec![
                        format!("<code>{}</code>", esc(r["rule"].as_str().unwrap_or(""))),
                        yes_no(&r["fired"]).to_string(),
                        esc(r["explanation"].as_str().unwrap_or("")),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    s.push_str(&table(&["Rule", "Fired", "Why"], &rule_rows));
    s.push_str("<h2>Evidence</h2>");
    let evidence_rows: Vec<Vec<String>> = a["evidence"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|e| {
                    vec![
                        esc(e["source"].as_str().unwrap_or("")),
                        esc(e["kind"].as_str().unwrap_or("")),
                        esc(e["taken_at"].as_str().unwrap_or("")),
                        esc(e["file"].as_str().unwrap_or("")),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    s.push_str(&table(&["Source", "Kind", "Taken at", "File"], &evidence_rows));
    s.push_str("<h2>Obligations</h2>");
    if v.obligations.is_empty() {
        s.push_str("<p>None for our role.</p>");
    } else {
        s.push_str(&table(
            &["Due", "Status", "To", "What", "Member States", "Basis"],
            &obligation_rows(&v.obligations, false),
        ));
        if WRITE.contains(&p.role) {
            for o in v.obligations.iter().filter(|o| o.status == "open") {
                let _ = write!(
                    s,
                    "<form class=\"stack\" method=\"post\" action=\"/assessments/{id}/notices\">{csrf}\
                     <input type=\"hidden\" name=\"to\" value=\"{to}\"><input type=\"hidden\" name=\"what\" value=\"{what}\">\
                     <fieldset><legend>Mark sent: {what} to {to}</legend>\
                     <div><label for=\"sent-{to}-{what}\">Sent at (RFC 3339, empty: now)</label><input id=\"sent-{to}-{what}\" name=\"sent_at\"></div>\
                     <div><label for=\"ref-{to}-{what}\">Reference</label><input id=\"ref-{to}-{what}\" name=\"reference\" maxlength=\"{max}\"></div>\
                     <button type=\"submit\">Mark sent</button></fieldset></form>",
                    id = v.id,
                    csrf = csrf_field(p),
                    to = esc(&o.to),
                    what = esc(&o.what),
                    max = MAX_TEXT,
                );
            }
        }
    }
    s.push_str("<h2>Notice drafts</h2>");
    // The English drafts recorded with the assessment (msadesk_core::vuln::notice); below them the
    // letters in English and in the addressed authorities' languages (msadesk_formats::letters).
    match a["drafts"].as_array() {
        Some(drafts) if !drafts.is_empty() => {
            for d in drafts {
                let _ = write!(
                    s,
                    "<details><summary>To {} ({}, {}, {})</summary><p><strong>Subject:</strong> {}</p><pre>{}</pre></details>",
                    esc(d["to"].as_str().unwrap_or("")),
                    esc(d["what"].as_str().unwrap_or("")),
                    esc(d["language"].as_str().unwrap_or("en")),
                    if d["legal_duty"].as_bool() == Some(true) { "legal duty" } else { "recommendation" },
                    esc(d["subject"].as_str().unwrap_or("")),
                    esc(d["body"].as_str().unwrap_or("")),
                );
            }
        }
        _ => s.push_str(
            "<p>No drafts recorded with this assessment: <code>msadesk assess --drafts</code> prints them.</p>",
        ),
    }
    s.push_str("<h2>Notice letters</h2>");
    match letters {
        Ok(list) if !list.is_empty() => {
            s.push_str("<p>Each obligation's letter in English and in the language of the addressed authority, from the letter templates (with your overrides):</p><ul>");
            for (stem, lang, kind) in list {
                let _ = write!(
                    s,
                    "<li>{stem} ({kind}), {lang}: <a href=\"/assessments/{id}/letters/{f}.pdf\">PDF</a> · <a href=\"/assessments/{id}/letters/{f}.html\">HTML</a></li>",
                    stem = esc(stem),
                    kind = esc(kind),
                    lang = esc(lang),
                    id = v.id,
                    f = url(&format!("{stem}.{lang}")),
                );
            }
            s.push_str("</ul>");
        }
        Ok(_) => s.push_str("<p>No letters: this assessment has no obligations with a letter.</p>"),
        Err(why) => {
            let _ = write!(s, "<p>No letters here: {}.</p>", esc(why));
        }
    }
    if WRITE.contains(&p.role) {
        let _ = write!(
            s,
            "<h2>Officer decision</h2><p>Confirm or override the policy's result. The decision and its reason are recorded, \
             audited and applied to every later assessment.</p>\
             <form class=\"stack\" method=\"post\" action=\"/assessments/{id}/decision\">{csrf}\
             <fieldset><legend>Is this a significant cybersecurity risk?</legend>\
             <div><input type=\"radio\" id=\"sig-yes\" name=\"significant\" value=\"true\"{yes}><label for=\"sig-yes\">Significant</label></div>\
             <div><input type=\"radio\" id=\"sig-no\" name=\"significant\" value=\"false\"{no}><label for=\"sig-no\">Not significant</label></div></fieldset>\
             <div><label for=\"reason\">Reason (required)</label><textarea id=\"reason\" name=\"reason\" required maxlength=\"{max}\"></textarea></div>\
             <button type=\"submit\">Record decision</button></form>",
            id = v.id,
            csrf = csrf_field(p),
            yes = if v.significant { " checked" } else { "" },
            no = if v.significant { "" } else { " checked" },
            max = MAX_TEXT,
        );
    }
    s
}

/// A signed-in reader and the assessment id of the path, or the page saying what is wrong.
async fn reader_and_id(st: &AppState, headers: &HeaderMap, id: &str) -> Result<(Principal, i64), Response> {
    let p = signed_in(st, headers, READ).await?;
    match assessment_id(id) {
        Ok(i) => Ok((p, i)),
        Err(e) => Err(error_page(Some(&p), &e)),
    }
}

pub(crate) async fn detail_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (p, id) = match reader_and_id(&st, &headers, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = now_rfc3339();
    let found = st
        .pool()
        .run(move |s| {
            let v = find(s, id, &now)?;
            let letters = notice_letters_of(s, &v)?.map(|list| {
                list.iter().map(|l| (l.stem.clone(), l.lang, l.kind.as_str().to_string())).collect::<Vec<_>>()
            });
            Ok::<_, ApiError>((v, letters))
        })
        .await;
    let (v, letters) = match found {
        Ok(x) => x,
        Err(e) => return error_page(Some(&p), &e),
    };
    let message = match q.get("done").map(String::as_str) {
        Some("decision") => Some("Decision recorded."),
        Some("notice") => Some("Notice recorded as sent."),
        _ => None,
    };
    let title = format!("{} in {} {}", v.vulnerability, v.product_id, v.version);
    page(StatusCode::OK, &title, Some(&p), "/assessments", &detail_body(&v, &p, message, &letters))
}

type FormMap = Result<Form<HashMap<String, String>>, FormRejection>;

async fn form_post(st: AppState, headers: HeaderMap, id: String, form: FormMap, notice: bool) -> Response {
    let p = match signed_in(&st, &headers, WRITE).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(Form(f)) = form else {
        return error_page(Some(&p), &ApiError::bad_request("the form could not be read"));
    };
    if !csrf_ok(&p, f.get("csrf")) {
        return error_page(Some(&p), &ApiError::new(StatusCode::FORBIDDEN, EN.csrf_failed));
    }
    let id = match assessment_id(&id) {
        Ok(i) => i,
        Err(e) => return error_page(Some(&p), &e),
    };
    let meta = p.meta(None);
    let get = |k: &str| f.get(k).cloned();
    let result = if notice {
        let req = NoticeRequest {
            to: get("to").unwrap_or_default(),
            what: get("what").unwrap_or_default(),
            sent_at: get("sent_at"),
            reference: get("reference"),
            note: get("note"),
        };
        st.pool().run(move |s| mark_sent(s, id, &req, &meta)).await
    } else {
        let significant = match get("significant").as_deref() {
            Some("true") => true,
            Some("false") => false,
            _ => return error_page(Some(&p), &ApiError::bad_request("choose significant or not significant")),
        };
        let req = DecisionRequest { significant, reason: get("reason").unwrap_or_default() };
        st.pool().run(move |s| decide(s, id, &req, &meta)).await
    };
    match result {
        Ok(v) => {
            Redirect::to(&format!("/assessments/{}?done={}", v.id, url(if notice { "notice" } else { "decision" })))
                .into_response()
        }
        Err(e) => error_page(Some(&p), &e),
    }
}

/// The notice letters of a current assessment (English and the addressed authorities' languages),
/// from a fresh, unrecorded assessment of its pair under the default policy. `Err` with a message
/// for the page when they cannot be made here: an operator's policy file (`msadesk assess
/// --letters DIR` makes them), or no identity yet.
fn notice_letters_of(
    s: &mut dyn Store,
    v: &AssessmentView,
) -> Result<Result<Vec<crate::notice_letters::NoticeLetter>, &'static str>, ApiError> {
    let policy = msadesk_core::vuln::Policy::default();
    if v.policy_version != policy.version {
        return Ok(Err("assessed under the operator's policy file: `msadesk assess --letters DIR` writes the letters"));
    }
    let Some(identity) = s.identity()? else {
        return Ok(Err("letters are signed with our identity: run `msadesk init` first"));
    };
    let pid = msadesk_core::ProductId::parse(&v.product_id).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let ver = msadesk_core::Version::parse(&v.version).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let ids = [v.vulnerability.clone()];
    let list = crate::assess::build(s, &policy, Some(&pid), Some(&ver), Some(&ids), None)?;
    let Some(a) = list.iter().find(|a| a.vulnerability == v.vulnerability) else { return Ok(Ok(Vec::new())) };
    let today = msadesk_core::Date::from_unix_seconds(crate::util::unix_now());
    let base = msadesk_formats::letters::sender_args(&identity, today);
    let authorities = s.authorities()?;
    let product = s.product(&pid)?;
    crate::notice_letters::notice_letters(&base, &authorities, product.as_ref(), a)
        .map(Ok)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// One notice letter of an assessment, rendered (with the operator's template override) to PDF or
/// HTML: `GET /assessments/{id}/letters/{STEM.LANG.pdf|html}`.
pub(crate) async fn letter_download(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let (p, id) = match reader_and_id(&st, &headers, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = now_rfc3339();
    let result = st
        .pool()
        .run(move |s| {
            let v = find(s, id, &now)?;
            let letters = notice_letters_of(s, &v)?.map_err(|why| ApiError::new(StatusCode::CONFLICT, why))?;
            let (l, pdf) = letters
                .into_iter()
                .find_map(|l| {
                    if l.file_name("pdf") == file {
                        Some((l, true))
                    } else if l.file_name("html") == file {
                        Some((l, false))
                    } else {
                        None
                    }
                })
                .ok_or_else(|| ApiError::not_found(format!("assessment #{id} has no notice letter {file}")))?;
            let (lang, _) = msadesk_formats::letters::effective_language(l.lang);
            let stored = s.letter_template(l.kind.as_str(), lang)?;
            let doc = msadesk_formats::letters::render(l.kind, lang, &l.args, stored.as_ref().map(|t| t.text.as_str()))
                .map_err(|e| {
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{e} (template {}.{lang})", l.kind))
                })?;
            Ok::<_, ApiError>(if pdf {
                ("application/pdf", doc.to_pdf(), file)
            } else {
                ("text/html; charset=utf-8", doc.to_html().into_bytes(), file)
            })
        })
        .await;
    match result {
        Ok((media, bytes, name)) => (
            [
                (axum::http::header::CONTENT_TYPE, media.to_string()),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", name.replace('"', "_")),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(Some(&p), &e),
    }
}

/// The pages of this module.
pub(crate) fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/assessments", get(list_page))
        .route("/assessments/{id}", get(detail_page))
        .route("/assessments/{id}/decision", post(decision_form))
        .route("/assessments/{id}/notices", post(notice_form))
        .route("/assessments/{id}/letters/{file}", get(letter_download))
}

pub(crate) async fn decision_form(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: FormMap,
) -> Response {
    form_post(st, headers, id, form, false).await
}

pub(crate) async fn notice_form(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: FormMap,
) -> Response {
    form_post(st, headers, id, form, true).await
}
