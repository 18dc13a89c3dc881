//! Pages and API of corrective actions (issue 8): the actions list with effectiveness bars, an
//! action's page (recipients with a "not yet acknowledged" filter, bulk reminder, timeline), the
//! recipients' acknowledgement form, and the JSON API for the same.
//!
//! The acknowledgement form needs no login: the personal link is the credential. It is looked up by
//! the SHA-256 of its secret, expires, serves this one purpose and works once; every refusal is a
//! plain page that says why and what to do.

#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::fmt::Write;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use msadesk_core::action::{AckReport, Action};
use msadesk_store::StoreError;

use crate::AppState;
use crate::api::caller;
use crate::html::{esc, layout, table};
use crate::messages::EN;
use crate::pages::{check_csrf, csrf_field, error_page, page, signed_in};
use crate::problem::ApiError;
use crate::recall::{Round, action_json, notify_round, public_url, status_report};
use crate::routes::{READ, WRITE};
use crate::util::sha256_hex;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/actions", get(list_page))
        .route("/actions/{id}", get(action_page))
        .route("/actions/{id}/remind", post(remind_submit))
        .route("/ack/{secret}", get(ack_form).post(ack_submit))
        .route("/api/v1/actions", get(api_list))
        .route("/api/v1/actions/{id}", get(api_show))
        .route("/api/v1/actions/{id}/report", get(api_report))
        .route("/api/v1/actions/{id}/remind", post(api_remind))
}

fn action_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, format!("'{id}' is not an action id: list them at /actions")))
}

fn bar(label: &str, pct: f64) -> String {
    format!("<progress max=\"100\" value=\"{pct:.1}\" aria-label=\"{}\">{pct:.1} %</progress> {pct:.1} %", esc(label))
}

// ---- Pages for signed-in users ----

async fn list_page(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let list = match st.pool().run(|s| Ok(s.actions()?)).await {
        Ok(l) => l,
        Err(e) => return error_page(Some(&p), &e),
    };
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            let e = a.effectiveness();
            vec![
                format!("<a href=\"/actions/{}\">#{}</a>", a.id, a.id),
                esc(a.new.action_type.as_str()),
                format!("<code>{}</code>", esc(a.new.product_id.as_str())),
                esc(a.status.as_str()),
                esc(&a.new.due.to_string()),
                a.figures.recipients_total.to_string(),
                bar("acknowledged", e.recipients_acknowledged_pct),
                bar("units resolved", e.units_resolved_pct),
                format!("{} ({})", a.new.level.as_str(), if e.check_met { "met" } else { "open" }),
            ]
        })
        .collect();
    let body = if rows.is_empty() {
        "<p>No corrective actions yet. Record one with <code>msadesk action add</code>.</p>".to_string()
    } else {
        table(
            &[
                "Action",
                "Type",
                "Product",
                "Status",
                "Due",
                "Recipients",
                "Acknowledged",
                "Units resolved",
                "Check level",
            ],
            &rows,
        )
    };
    page(StatusCode::OK, "Corrective actions", Some(&p), "/actions", &body)
}

async fn action_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let id = match action_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(Some(&p), &e),
    };
    let loaded = st
        .pool()
        .run(move |s| {
            let a = s.action(id)?.ok_or_else(|| ApiError::not_found(format!("no action #{id}")))?;
            Ok((a, s.recipients(id)?, s.outbox_counts(Some(id))?))
        })
        .await;
    let (a, recipients, outbox) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(Some(&p), &e),
    };
    let only_open = q.get("filter").is_some_and(|f| f == "not-acknowledged");
    let e = a.effectiveness();
    let mut body = String::new();
    let _ = write!(
        body,
        "<dl><dt>Type</dt><dd>{}</dd><dt>Product</dt><dd><code>{}</code> {}</dd><dt>Status</dt><dd>{}</dd>\
         <dt>Due</dt><dd>{}</dd><dt>Source</dt><dd>{}</dd><dt>Recipients</dt><dd>{} ({} units)</dd>\
         <dt>Reached</dt><dd>{}</dd><dt>Acknowledged</dt><dd>{}</dd><dt>Units resolved</dt><dd>{}</dd>\
         <dt>Check level {}</dt><dd>{} of {} required answers: {}</dd>\
         <dt>Deliveries</dt><dd>{} sent, {} queued, {} deferred, {} bounced, {} failed</dd></dl>",
        esc(a.new.action_type.as_str()),
        esc(a.new.product_id.as_str()),
        esc(&a.new.versions.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")),
        esc(a.status.as_str()),
        esc(&a.new.due.to_string()),
        esc(&source_text(&a)),
        a.figures.recipients_total,
        a.figures.units_total,
        bar("reached", e.recipients_reached_pct),
        bar("acknowledged", e.recipients_acknowledged_pct),
        bar("units resolved", e.units_resolved_pct),
        a.new.level.as_str(),
        a.figures.recipients_acknowledged,
        e.required_recipients,
        if e.check_met { "met" } else { "not met yet" },
        outbox.sent,
        outbox.queued,
        outbox.deferred,
        outbox.bounced,
        outbox.failed,
    );
    if WRITE.contains(&p.role) {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"/actions/{}/remind\">{}<button type=\"submit\">Send a reminder to every recipient that has not acknowledged</button></form>",
            a.id,
            csrf_field(&p)
        );
    }
    let _ = write!(body, "<h2>Timeline</h2><ol>");
    for t in &a.timeline {
        let _ = write!(
            body,
            "<li>{} <strong>{}</strong> by {}{}</li>",
            esc(&t.at),
            esc(t.status.as_str()),
            esc(&t.actor),
            t.note.as_deref().map(|n| format!(": {}", esc(n))).unwrap_or_default()
        );
    }
    let _ = write!(
        body,
        "</ol><h2>Recipients</h2><p>{}</p>",
        if only_open {
            format!("Showing recipients that have not acknowledged. <a href=\"/actions/{}\">Show all</a>", a.id)
        } else {
            format!("<a href=\"/actions/{}?filter=not-acknowledged\">Show only those not yet acknowledged</a>", a.id)
        }
    );
    let rows: Vec<Vec<String>> = recipients
        .iter()
        .filter(|r| !only_open || r.acknowledged_at.is_none())
        .map(|r| {
            vec![
                format!("<code>{}</code>", esc(r.operator_id.as_str())),
                esc(&r.name),
                esc(&r.country),
                r.quantity.to_string(),
                esc(r.notified_at.as_deref().unwrap_or("")),
                esc(r.delivery.map(|d| d.as_str()).unwrap_or("")),
                esc(r.acknowledged_at.as_deref().unwrap_or("")),
                r.report.map(|x| x.resolved().to_string()).unwrap_or_default(),
                r.reminders.to_string(),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            "Operator",
            "Name",
            "Country",
            "Units",
            "Notified",
            "Delivery",
            "Acknowledged",
            "Units resolved",
            "Reminders",
        ],
        &rows,
    ));
    page(StatusCode::OK, &format!("Action #{}", a.id), Some(&p), "/actions", &body)
}

fn source_text(a: &Action) -> String {
    let mut s = match &a.new.source {
        msadesk_core::action::Source::Ordered { authority, reference, basis } => {
            format!("ordered by {authority}, reference {reference}, {}", basis.legal().cite)
        }
        msadesk_core::action::Source::Voluntary => "voluntary".into(),
    };
    if let Some(r) = a.new.request_id {
        s.push_str(&format!("; MSA request #{r}"));
    }
    if let Some(d) = a.new.decision_id {
        s.push_str(&format!("; risk decision #{d}"));
    }
    s
}

async fn remind_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let p = match signed_in(&st, &headers, WRITE).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = check_csrf(&p, f.get("csrf")) {
        return r;
    }
    let id = match action_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(Some(&p), &e),
    };
    let meta = p.meta(None);
    let base = public_url();
    match st.pool().run(move |s| Ok(notify_round(s, id, Round::Reminder, &base, &meta)?)).await {
        Ok(_) => Redirect::to(&format!("/actions/{id}")).into_response(),
        Err(e) => error_page(Some(&p), &e),
    }
}

// ---- The recipient's acknowledgement form (no login) ----

fn public_page(status: StatusCode, title: &str, body: &str) -> Response {
    (status, Html(layout(&EN, title, None, "", body))).into_response()
}

fn refused(e: &ApiError) -> Response {
    public_page(
        e.status,
        "This link cannot be used",
        &format!("<p role=\"alert\">{}</p><p>Contact the sender of the notice for a new link.</p>", esc(&e.detail)),
    )
}

/// Longest secret accepted in a link (ours are 43 characters).
const MAX_SECRET: usize = 128;

fn token_hash(secret: &str) -> Result<String, ApiError> {
    if secret.is_empty()
        || secret.len() > MAX_SECRET
        || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "this acknowledgement link is not known"));
    }
    Ok(sha256_hex(secret))
}

async fn ack_form(State(st): State<AppState>, Path(secret): Path<String>) -> Response {
    let hash = match token_hash(&secret) {
        Ok(h) => h,
        Err(e) => return refused(&e),
    };
    let now = crate::util::now_rfc3339();
    let found = st.pool().run(move |s| Ok(s.ack_token(&hash)?)).await;
    let t = match found {
        Ok(Some(t)) => t,
        Ok(None) => return refused(&ApiError::new(StatusCode::NOT_FOUND, "this acknowledgement link is not known")),
        Err(e) => return refused(&e),
    };
    if let Err(e) = msadesk_store::action::check_token(
        msadesk_store::action::ACK_PURPOSE,
        &t.expires_at,
        t.used_at.as_deref(),
        &now,
    ) {
        return refused(&ApiError::new(StatusCode::GONE, e.to_string()));
    }
    let a = &t.action;
    let r = &t.recipient;
    let mut body = String::new();
    let _ = write!(
        body,
        "<p>Corrective action #{} (<strong>{}</strong>) concerns product <code>{}</code>{}. {}</p>\
         <p>{}</p><p>Our records show that we supplied <strong>{}</strong> {} unit(s). Please answer by <strong>{}</strong>.</p>\
         <p><em>This link is personal and works once.</em></p>\
         <form method=\"post\" action=\"/ack/{}\" class=\"stack\">\
         <label>Units you still hold <input type=\"number\" name=\"units_on_hand\" min=\"0\" value=\"0\" required></label>\
         <label>Units returned <input type=\"number\" name=\"units_returned\" min=\"0\" value=\"0\" required></label>\
         <label>Units updated <input type=\"number\" name=\"units_updated\" min=\"0\" value=\"0\" required></label>\
         <label>Units destroyed <input type=\"number\" name=\"units_destroyed\" min=\"0\" value=\"0\" required></label>\
         <label>Your own customers you passed the notice on to <input type=\"number\" name=\"sub_recipients_notified\" min=\"0\" value=\"0\" required></label>\
         <button type=\"submit\">Acknowledge</button></form>",
        a.id,
        esc(a.new.action_type.as_str()),
        esc(a.new.product_id.as_str()),
        if a.new.versions.is_empty() {
            String::new()
        } else {
            format!(" version(s) {}", esc(&a.new.versions.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")))
        },
        esc(&a.new.summary),
        esc(a.new.action_type.instruction()),
        esc(&r.name),
        r.quantity,
        esc(&a.new.due.to_string()),
        esc(&secret),
    );
    public_page(StatusCode::OK, "Acknowledge a corrective action", &body)
}

fn report_from_form(f: &HashMap<String, String>) -> Result<AckReport, ApiError> {
    let n = |k: &str| -> Result<u64, ApiError> {
        let v = f.get(k).map(|s| s.trim()).unwrap_or("0");
        let v = if v.is_empty() { "0" } else { v };
        v.parse().map_err(|_| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("{k} '{v}' is not a whole number of 0 or more"))
        })
    };
    let r = AckReport {
        units_on_hand: n("units_on_hand")?,
        units_returned: n("units_returned")?,
        units_updated: n("units_updated")?,
        units_destroyed: n("units_destroyed")?,
        sub_recipients_notified: n("sub_recipients_notified")?,
    };
    r.validate().map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.message))?;
    Ok(r)
}

async fn ack_submit(
    State(st): State<AppState>,
    Path(secret): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let hash = match token_hash(&secret) {
        Ok(h) => h,
        Err(e) => return refused(&e),
    };
    let report = match report_from_form(&f) {
        Ok(r) => r,
        Err(e) => return refused(&e),
    };
    let meta = msadesk_store::ChangeMeta { actor: "ack-link".into(), source: None, at: crate::util::now_rfc3339() };
    match st.pool().run(move |s| Ok(s.acknowledge(&hash, &report, &meta)?)).await {
        Ok(r) => public_page(
            StatusCode::OK,
            "Thank you",
            &format!(
                "<p role=\"status\">Your acknowledgement for {} is recorded: {} unit(s) on hand, {} returned, {} updated, {} destroyed; {} customer(s) notified.</p>",
                esc(&r.name),
                report.units_on_hand,
                report.units_returned,
                report.units_updated,
                report.units_destroyed,
                report.sub_recipients_notified
            ),
        ),
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY
                || e.status == StatusCode::CONFLICT
                || e.status == StatusCode::BAD_REQUEST =>
        {
            refused(&ApiError::new(StatusCode::GONE, e.detail))
        }
        Err(e) => refused(&e),
    }
}

// ---- JSON API ----

async fn api_list(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let list = st.pool().run(|s| Ok(s.actions()?)).await?;
    Ok(Json(list.iter().map(action_json).collect::<Vec<_>>()).into_response())
}

async fn api_show(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let id = action_id(&id)?;
    let (a, recipients) = st
        .pool()
        .run(move |s| {
            let a = s
                .action(id)?
                .ok_or_else(|| ApiError::not_found(format!("no action #{id}: list them with GET /api/v1/actions")))?;
            Ok((a, s.recipients(id)?))
        })
        .await?;
    let mut v = action_json(&a);
    if let Some(o) = v.as_object_mut() {
        o.insert("recipients".into(), serde_json::to_value(&recipients).unwrap_or_default());
    }
    Ok(Json(v).into_response())
}

async fn api_report(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let id = action_id(&id)?;
    let r = st.pool().run(move |s| Ok(status_report(s, id)?)).await?;
    Ok(Json(r).into_response())
}

async fn api_remind(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, WRITE).await?;
    let id = action_id(&id)?;
    let meta = p.meta(None);
    let base = public_url();
    let r = st
        .pool()
        .run(move |s| notify_round(s, id, Round::Reminder, &base, &meta).map_err(|e: StoreError| ApiError::from(e)))
        .await?;
    Ok(Json(r).into_response())
}
