//! Pages of the MSA inbox's answering side: the request list (overdue and due-soon highlighted), a
//! request's detail with its timeline, packages, inspector tokens and their reads, with the buttons
//! that move it on; and the documentation library per product with its upload form and gaps.
//! Viewers read; officers and admins press buttons (every form carries the CSRF token).

#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::fmt::Write;

use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use msadesk_core::inbox::{DEFAULT_DUE_SOON_DAYS, Request, Step, parse_instant};
use msadesk_core::{ProductId, Version};
use msadesk_store::{DocKind, Role};

use crate::html::{esc, table};
use crate::pages::{FormMap, check_csrf, csrf_field, error_page, page, signed_in, signed_in_form};
use crate::problem::ApiError;
use crate::routes::{READ, WRITE};
use crate::{AppState, respond};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/requests", get(list))
        .route("/requests/{id}", get(detail))
        .route("/requests/{id}/action", post(action))
        .route("/requests/{id}/packages/{number}", get(download_package))
        .route("/library", get(library))
        .route("/library/upload", post(upload))
        .route("/library/documents/{id}", get(download_document))
}

fn standing_text(r: &Request, now: &str) -> String {
    let Ok(now) = parse_instant(now) else { return String::new() };
    let st = r.standing(now, DEFAULT_DUE_SOON_DAYS);
    let mut parts = Vec::new();
    if st.overdue {
        parts.push("<strong class=\"bad\">OVERDUE</strong>");
    } else if st.due_soon {
        parts.push("<strong class=\"bad\">due soon</strong>");
    }
    if st.ack_overdue {
        parts.push("<strong class=\"bad\">acknowledgement late</strong>");
    }
    parts.join(" ")
}

async fn list(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let list = match st.pool().run(|s| Ok(s.requests()?)).await {
        Ok(l) => l,
        Err(e) => return error_page(Some(&p), &e),
    };
    let now = crate::now_rfc3339();
    let rows: Vec<Vec<String>> = list
        .iter()
        .rev()
        .map(|r| {
            vec![
                format!("<a href=\"/requests/{}\">#{}</a>", r.id, r.id),
                esc(&r.new.authority),
                esc(&r.new.reference),
                esc(r.new.product.as_str()),
                esc(r.status.as_str()),
                esc(&r.new.due.to_string()),
                standing_text(r, &now),
            ]
        })
        .collect();
    let body = if rows.is_empty() {
        "<p>No requests yet. Register one with <code>msadesk request add</code> or <code>POST /api/v1/requests</code>.</p>".to_string()
    } else {
        table(&["Request", "Authority", "Their reference", "Product", "Status", "Answer by", "Clock"], &rows)
    };
    page(StatusCode::OK, "Requests from authorities", Some(&p), "/requests", &body)
}

fn button(p: &crate::auth::Principal, id: i64, action: &str, label: &str, extra: &str) -> String {
    format!(
        "<form class=\"inline\" method=\"post\" action=\"/requests/{id}/action\">{}<input type=\"hidden\" name=\"do\" value=\"{action}\">{extra}<button type=\"submit\">{}</button></form>",
        csrf_field(p),
        esc(label)
    )
}

async fn detail_view(st: &AppState, p: &crate::auth::Principal, id: i64, notice: &str) -> Response {
    let loaded = st
        .pool()
        .run(move |s| {
            let r = crate::library_api::existing_request(s, id)?;
            Ok((r, s.packages(id)?, s.inspector_grants(id)?, s.access_log(id)?))
        })
        .await;
    let (r, packages, grants, log) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(Some(p), &e),
    };
    let now = crate::now_rfc3339();
    let mut b = String::from(notice);
    let asks: Vec<&str> = r.new.asks.iter().map(|a| a.as_str()).collect();
    let _ = write!(
        b,
        "<dl><dt>Authority</dt><dd>{}</dd><dt>Their reference</dt><dd>{}</dd><dt>Received</dt><dd>{}</dd>\
         <dt>Acknowledge by</dt><dd>{}</dd><dt>Answer by</dt><dd>{} {}</dd><dt>Status</dt><dd>{}</dd>\
         <dt>Product</dt><dd>{}{}</dd><dt>Period</dt><dd>{} – {}</dd><dt>Asks</dt><dd>{}</dd></dl>",
        esc(&r.new.authority),
        esc(&r.new.reference),
        esc(&r.new.received_at),
        esc(&r.new.ack_due),
        esc(&r.new.due.to_string()),
        standing_text(&r, &now),
        esc(r.status.as_str()),
        esc(r.new.product.as_str()),
        r.new.version.as_ref().map_or(String::new(), |v| format!(" version {}", esc(v.as_str()))),
        r.new.from.map_or("…".into(), |d| d.to_string()),
        r.new.to.map_or("…".into(), |d| d.to_string()),
        esc(&asks.join(", "))
    );
    if WRITE.contains(&p.role) {
        b.push_str("<h2>Next steps</h2>");
        b.push_str(&button(p, id, "ack", "Acknowledge", ""));
        b.push_str(&button(p, id, "package", "Build package", ""));
        b.push_str(&button(p, id, "sent", "Mark sent (latest package)", ""));
        b.push_str(&button(p, id, "close", "Close", ""));
        b.push_str(&button(
            p,
            id,
            "share",
            "Share with an inspector",
            "<label for=\"days\">Days</label><input id=\"days\" name=\"days\" type=\"number\" min=\"1\" max=\"365\" value=\"14\">",
        ));
        b.push_str(&button(p, id, "unshare", "Revoke inspector access", ""));
    }
    b.push_str("<h2>Timeline</h2>");
    let rows: Vec<Vec<String>> = r
        .timeline
        .iter()
        .map(|t| vec![esc(t.step.name()), esc(&t.at), esc(&t.actor), esc(t.note.as_deref().unwrap_or(""))])
        .collect();
    b.push_str(&table(&["Step", "When", "Who", "Note"], &rows));
    b.push_str("<h2>Packages</h2>");
    if packages.is_empty() {
        b.push_str("<p>None built yet.</p>");
    } else {
        let rows: Vec<Vec<String>> = packages
            .iter()
            .map(|k| {
                vec![
                    format!("<a href=\"/requests/{id}/packages/{}\">#{} {}</a>", k.number, k.number, esc(&k.file_name)),
                    k.size.to_string(),
                    format!("<span class=\"secret\">{}</span>", esc(&k.sha256)),
                    esc(&k.built_at),
                    esc(&k.built_by),
                ]
            })
            .collect();
        b.push_str(&table(&["Package", "Bytes", "SHA-256", "Built", "By"], &rows));
        b.push_str(
            "<p class=\"hint\">Check a download with <code>msadesk verify FILE.zip --key PUBLIC_KEY</code>.</p>",
        );
    }
    b.push_str("<h2>Inspector access</h2>");
    if grants.is_empty() {
        b.push_str("<p>Not shared.</p>");
    } else {
        let rows: Vec<Vec<String>> = grants
            .iter()
            .map(|g| {
                let state = if g.revoked {
                    "revoked"
                } else if g.expires_at.as_str() <= now.as_str() {
                    "expired"
                } else {
                    "active"
                };
                vec![esc(&g.token_id), esc(&g.created_at), esc(&g.expires_at), state.to_string()]
            })
            .collect();
        b.push_str(&table(&["Token", "Created", "Expires", "State"], &rows));
    }
    let rows: Vec<Vec<String>> = log
        .iter()
        .map(|e| {
            vec![
                esc(&e.at),
                esc(&e.token_id),
                esc(&e.what),
                if e.allowed { "yes".into() } else { "<strong class=\"bad\">refused</strong>".into() },
            ]
        })
        .collect();
    if !rows.is_empty() {
        b.push_str("<h3>Reads by inspectors</h3>");
        b.push_str(&table(&["When", "Token", "Read", "Allowed"], &rows));
    }
    page(StatusCode::OK, &format!("Request #{id}: {}", r.new.reference), Some(p), "/requests", &b)
}

fn id_of(s: &str) -> Result<i64, ApiError> {
    s.trim().parse().map_err(|_| ApiError::bad_request(format!("'{s}' is not a request id")))
}

async fn detail(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match id_of(&id) {
        Ok(id) => detail_view(&st, &p, id, "").await,
        Err(e) => error_page(Some(&p), &e),
    }
}

async fn action(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<String>, form: FormMap) -> Response {
    let (p, f) = match signed_in_form(&st, &headers, WRITE, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let id = match id_of(&id) {
        Ok(id) => id,
        Err(e) => return error_page(Some(&p), &e),
    };
    let meta = p.meta(Some("web".into()));
    let what = f.get("do").cloned().unwrap_or_default();
    let key = st.config().signing_key.clone();
    let days: i64 = f.get("days").and_then(|d| d.trim().parse().ok()).filter(|d| (1..=365).contains(d)).unwrap_or(14);
    let result: Result<String, ApiError> = st
        .pool()
        .run(move |s| {
            let step = |s: &mut dyn msadesk_store::Store, step: Step, note: Option<String>| -> Result<String, ApiError> {
                let r = s.request_step(id, &step, note.as_deref(), &meta)?;
                Ok(format!("Recorded: {} (status {}).", step.name(), esc(r.status.as_str())))
            };
            match what.as_str() {
                "ack" => step(s, Step::Acknowledged, None),
                "sent" => {
                    let note = respond::sent_note(s, id, None)?;
                    step(s, Step::Sent, note)
                }
                "close" => step(s, Step::Closed, None),
                "package" => {
                    let key = key.ok_or_else(|| {
                        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the server has no signing key (MSADESK_SIGNING_KEY)")
                    })?;
                    let b = respond::build_response(s, id, &key.0, &meta)?;
                    Ok(format!(
                        "Built package #{} ({} bytes, SHA-256 {}).",
                        b.info.number,
                        b.info.size,
                        esc(&b.info.sha256)
                    ))
                }
                "share" => {
                    let expires = crate::util::rfc3339_at(crate::util::unix_now() + days * 86_400);
                    let (token, secret) =
                        crate::auth::new_token(&format!("inspector for request #{id}"), Role::Inspector, Some(expires));
                    let g = s.grant_inspector(&token, id, &meta)?;
                    Ok(format!(
                        "Inspector token {} until {}. Give the authority this secret (shown once): <span class=\"secret\">{}</span>",
                        esc(&g.token_id),
                        esc(&g.expires_at),
                        esc(&secret)
                    ))
                }
                "unshare" => Ok(format!("Revoked {} inspector token(s).", s.revoke_inspectors(id, &meta)?)),
                other => Err(ApiError::bad_request(format!("unknown action '{other}'"))),
            }
        })
        .await;
    let notice = match result {
        // The message is built from numbers, hex digests and escaped values.
        Ok(m) => format!("<p class=\"msg ok\" role=\"status\">{m}</p>"),
        Err(e) => format!("<p class=\"msg bad\" role=\"alert\">{}</p>", esc(&e.detail)),
    };
    detail_view(&st, &p, id, &notice).await
}

async fn download_package(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((id, n)): Path<(String, String)>,
) -> Response {
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (Ok(id), Ok(n)) = (id.trim().parse::<i64>(), n.trim().parse::<i64>()) else {
        return error_page(Some(&p), &ApiError::bad_request("not a request id and package number"));
    };
    match st.pool().run(move |s| s.package(id, n)?.ok_or_else(|| ApiError::not_found("no such package"))).await {
        Ok((info, bytes)) => (
            [
                (header::CONTENT_TYPE, "application/zip".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", info.file_name.replace('"', "_"))),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(Some(&p), &e),
    }
}

async fn library_view(st: &AppState, p: &crate::auth::Principal, product: Option<String>, notice: &str) -> Response {
    let pid = match product.as_deref().filter(|s| !s.trim().is_empty()).map(|s| ProductId::parse(s.trim())).transpose()
    {
        Ok(x) => x,
        Err(e) => return error_page(Some(p), &ApiError::bad_request(format!("product: {e}"))),
    };
    let loaded = st
        .pool()
        .run(move |s| {
            let products = s.products()?;
            let docs = s.documents(pid.as_ref())?;
            let gaps = respond::gaps(s, pid.as_ref())?;
            Ok((products, docs, gaps, pid))
        })
        .await;
    let (products, docs, gaps, pid) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(Some(p), &e),
    };
    let mut b = String::from(notice);
    b.push_str("<form class=\"inline\" method=\"get\" action=\"/library\"><label for=\"product\">Product</label><select id=\"product\" name=\"product\"><option value=\"\">All</option>");
    for pr in &products {
        let sel = if pid.as_ref() == Some(&pr.id) { " selected" } else { "" };
        let _ = write!(
            b,
            "<option value=\"{}\"{sel}>{} — {}</option>",
            esc(pr.id.as_str()),
            esc(pr.id.as_str()),
            esc(&pr.name)
        );
    }
    b.push_str("</select><button type=\"submit\">Show</button></form>");
    if WRITE.contains(&p.role) {
        let _ = write!(
            b,
            "<h2>Upload</h2><form class=\"stack\" method=\"post\" action=\"/library/upload\" enctype=\"multipart/form-data\">{}\
             <div><label for=\"up-product\">Product</label><input id=\"up-product\" name=\"product\" required value=\"{}\"></div>\
             <div><label for=\"up-version\">Version</label><input id=\"up-version\" name=\"version\" required></div>\
             <div><label for=\"up-kind\">Kind</label><select id=\"up-kind\" name=\"kind\">",
            csrf_field(p),
            esc(pid.as_ref().map_or("", |x| x.as_str()))
        );
        for k in DocKind::ALL {
            let _ = write!(b, "<option value=\"{}\">{}</option>", k.as_str(), esc(k.label()));
        }
        b.push_str("</select></div><div><label for=\"up-file\">File</label><input id=\"up-file\" name=\"file\" type=\"file\" required></div><div><button type=\"submit\">Upload</button></div></form>");
    }
    b.push_str("<h2>Readiness gaps</h2>");
    if gaps.is_empty() {
        b.push_str(
            "<p class=\"msg ok\">Every version with supply events has a DoC, technical documentation and an SBOM.</p>",
        );
    } else {
        let rows: Vec<Vec<String>> = gaps
            .iter()
            .map(|g| {
                vec![
                    esc(g.product_id.as_str()),
                    esc(g.version.as_str()),
                    format!(
                        "<strong class=\"bad\">{}</strong>",
                        esc(&g.missing.iter().map(|k| k.label()).collect::<Vec<_>>().join(", "))
                    ),
                ]
            })
            .collect();
        b.push_str(&table(&["Product", "Version", "Missing"], &rows));
    }
    b.push_str("<h2>Documents</h2>");
    let rows: Vec<Vec<String>> = docs
        .iter()
        .rev()
        .map(|d| {
            vec![
                format!("<a href=\"/library/documents/{}\">{}</a>", d.id, esc(&d.file_name)),
                esc(d.product_id.as_str()),
                esc(d.version.as_str()),
                esc(d.kind.label()),
                format!("{}{}", d.revision, if d.current { "" } else { " (superseded)" }),
                d.size.to_string(),
                format!("<span class=\"secret\">{}</span>", esc(&d.sha256)),
                format!("{} by {}", esc(&d.uploaded_at), esc(&d.uploaded_by)),
                esc(&d.retention_until.map_or("unknown".into(), |u| u.to_string())),
            ]
        })
        .collect();
    b.push_str(&table(
        &["File", "Product", "Version", "Kind", "Revision", "Bytes", "SHA-256", "Uploaded", "Keep until"],
        &rows,
    ));
    page(StatusCode::OK, "Documentation library", Some(p), "/library", &b)
}

async fn library(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    library_view(&st, &p, q.get("product").cloned(), "").await
}

async fn upload(
    State(st): State<AppState>,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let p = match signed_in(&st, &headers, WRITE).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let bad = |p: &crate::auth::Principal, text: String| error_page(Some(p), &ApiError::bad_request(text));
    let Ok(mut form) = form else { return bad(&p, "the form must be sent as multipart/form-data".into()) };
    let limit = st.config().max_document_bytes;
    let (mut fields, mut file, mut file_name, mut media) = (HashMap::new(), None, String::from("document"), None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == "file" {
                    if let Some(f) = field.file_name().filter(|f| !f.is_empty()) {
                        file_name = f.rsplit(['/', '\\']).next().unwrap_or(f).to_string();
                    }
                    media = field.content_type().map(str::to_string);
                    match field.bytes().await {
                        Ok(b) => file = Some(b),
                        Err(e) => return bad(&p, format!("the upload could not be read: {e}")),
                    }
                } else {
                    match field.text().await {
                        Ok(t) => {
                            fields.insert(name, t);
                        }
                        Err(e) => return bad(&p, format!("the form could not be read: {e}")),
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return bad(&p, format!("the form could not be read: {e}")),
        }
    }
    if let Err(r) = check_csrf(&p, fields.get("csrf")) {
        return r;
    }
    let get = |k: &str| fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let product = get("product");
    let parsed = (|| {
        let pid = ProductId::parse(&product).map_err(|e| format!("product: {e}"))?;
        let v = Version::parse(&get("version")).map_err(|e| format!("version: {e}"))?;
        let k = DocKind::parse(&get("kind")).map_err(|e| format!("kind: {e}"))?;
        let bytes = file.filter(|b| !b.is_empty()).ok_or("choose a file to upload")?;
        if bytes.len() > limit {
            return Err(format!("the file is {} bytes; the library takes at most {limit}", bytes.len()));
        }
        Ok((pid, v, k, bytes))
    })();
    let (pid, v, k, bytes) = match parsed {
        Ok(x) => x,
        Err(e) => {
            let notice = format!("<p class=\"msg bad\" role=\"alert\">{}</p>", esc(&e));
            return library_view(&st, &p, Some(product), &notice).await;
        }
    };
    let media = media
        .filter(|m| !m.is_empty() && m != "application/octet-stream")
        .unwrap_or_else(|| respond::media_type_for(&file_name).to_string());
    let meta = p.meta(Some(format!("web:{file_name}")));
    let result = st
        .pool()
        .run(move |s| {
            let new = respond::new_document(s, pid, v, k, &file_name, &media, bytes.to_vec())?;
            Ok(s.add_document(&new, &meta)?)
        })
        .await;
    let notice = match result {
        Ok(d) => format!(
            "<p class=\"msg ok\" role=\"status\">Stored {} revision {} (SHA-256 <span class=\"secret\">{}</span>).</p>",
            esc(d.kind.label()),
            d.revision,
            esc(&d.sha256)
        ),
        Err(e) => format!("<p class=\"msg bad\" role=\"alert\">{}</p>", esc(&e.detail)),
    };
    library_view(&st, &p, Some(product), &notice).await
}

async fn download_document(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.trim().parse::<i64>() else {
        return error_page(Some(&p), &ApiError::bad_request("not a document id"));
    };
    match st.pool().run(move |s| s.document(id)?.ok_or_else(|| ApiError::not_found("no such document"))).await {
        Ok((info, bytes)) => (
            [
                (header::CONTENT_TYPE, info.media_type.clone()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", info.file_name.replace('"', "_"))),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(Some(&p), &e),
    }
}
