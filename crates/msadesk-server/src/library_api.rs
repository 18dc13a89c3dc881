//! The JSON API of the documentation library, response packages and inspector access (issue 4
//! items 4–6). Officers write, viewers read; inspector tokens read only what was shared with them,
//! and every inspector read (allowed or refused) is logged for the operator.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use msadesk_core::inbox::{Ask, DeadlineRule, NewRequest, RequestInput, Step};
use msadesk_core::{Date, ProductId, Version};
use msadesk_store::{DocKind, Role};
use serde::Deserialize;

use crate::AppState;
use crate::api::{caller, request_id, request_json, trace_query_for};
use crate::problem::ApiError;
use crate::respond;
use crate::routes::{INSPECT, READ, WRITE};

type Params = Query<HashMap<String, String>>;

fn number(s: &str) -> Result<i64, ApiError> {
    s.trim().parse().map_err(|_| ApiError::bad_request(format!("'{s}' is not a package number (1, 2, …)")))
}

fn doc_id(s: &str) -> Result<i64, ApiError> {
    s.trim()
        .parse()
        .map_err(|_| ApiError::bad_request(format!("'{s}' is not a document id: see GET /api/v1/documents")))
}

fn zip_response(file_name: &str, bytes: Vec<u8>) -> Response {
    let disp = format!("attachment; filename=\"{}\"", file_name.replace(['"', '\\', '\r', '\n'], "_"));
    ([(header::CONTENT_TYPE, "application/zip".to_string()), (header::CONTENT_DISPOSITION, disp)], bytes)
        .into_response()
}

/// The body of `POST /api/v1/requests`, named like `msadesk request add`'s options.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRequestBody {
    authority: String,
    reference: String,
    received: String,
    due: Option<String>,
    due_days: Option<u32>,
    due_working_days: Option<u32>,
    product: String,
    version: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// `trace,documents,sbom,samples,access`, as a list or one comma-separated text.
    asks: serde_json::Value,
    ack_hours: Option<i64>,
}

pub(crate) async fn create_request(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, WRITE).await?;
    let b: NewRequestBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("the request body: {e}")))?;
    let bad = |what: &str, e: &dyn std::fmt::Display| ApiError::bad_request(format!("{what}: {e}"));
    let deadline = match (b.due.as_deref(), b.due_days, b.due_working_days) {
        (Some(d), None, None) => DeadlineRule::Date(Date::parse(d).map_err(|e| bad("due", &e))?),
        (None, Some(n), None) => DeadlineRule::Days(n),
        (None, None, Some(n)) => DeadlineRule::WorkingDays(n),
        _ => return Err(ApiError::bad_request("give exactly one of due, due_days, due_working_days")),
    };
    let asks = match &b.asks {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(","),
        _ => return Err(ApiError::bad_request("asks: a list such as [\"trace\", \"documents\"]")),
    };
    let asks = Ask::parse_list(&asks).map_err(|e| bad("asks", &e))?;
    let product = ProductId::parse(&b.product).map_err(|e| bad("product", &e))?;
    let version = b.version.as_deref().map(Version::parse).transpose().map_err(|e| bad("version", &e))?;
    let from = b.from.as_deref().map(Date::parse).transpose().map_err(|e| bad("from", &e))?;
    let to = b.to.as_deref().map(Date::parse).transpose().map_err(|e| bad("to", &e))?;
    let ack_hours = b.ack_hours.unwrap_or(24);
    if !(1..=720).contains(&ack_hours) {
        return Err(ApiError::bad_request("ack_hours: between 1 and 720"));
    }
    let meta = p.meta(None);
    let now = meta.at.clone();
    let r = st
        .pool()
        .run(move |s| {
            let authority = s.authorities()?.into_iter().find(|a| a.id == b.authority.trim()).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "authority: '{}' is not in the directory (GET /api/v1/authorities)",
                    b.authority
                ))
            })?;
            let holidays = s.holidays()?;
            let new = NewRequest::build(
                RequestInput {
                    authority: &authority,
                    reference: &b.reference,
                    received: &b.received,
                    deadline,
                    product,
                    version,
                    from,
                    to,
                    asks,
                    ack_hours,
                },
                &holidays,
            )
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
            Ok(s.add_request(&new, &meta)?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(request_json(&r, &now)?)).into_response())
}

async fn step(st: &AppState, headers: &HeaderMap, id: &str, step: Step) -> Result<Response, ApiError> {
    let p = caller(st, headers, WRITE).await?;
    let id = request_id(id)?;
    let meta = p.meta(None);
    let now = meta.at.clone();
    let r = st
        .pool()
        .run(move |s| {
            let note = if step == Step::Sent { respond::sent_note(s, id, None)? } else { None };
            Ok(s.request_step(id, &step, note.as_deref(), &meta)?)
        })
        .await?;
    Ok(Json(request_json(&r, &now)?).into_response())
}

pub(crate) async fn sent_request(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    step(&st, &headers, &id, Step::Sent).await
}

pub(crate) async fn close_request(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    step(&st, &headers, &id, Step::Closed).await
}

pub(crate) async fn build_package(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, WRITE).await?;
    let id = request_id(&id)?;
    let key = st.config().signing_key.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server has no signing key: start it with MSADESK_SIGNING_KEY=FILE, or build with `msadesk request package`",
        )
    })?;
    let meta = p.meta(None);
    let info = st.pool().run(move |s| Ok(respond::build_response(s, id, &key.0, &meta)?.info)).await?;
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

/// The request, or a 404 naming it: for handlers that act on one request's parts.
pub(crate) fn existing_request(
    s: &mut dyn msadesk_store::Store,
    id: i64,
) -> Result<msadesk_core::inbox::Request, ApiError> {
    s.request(id)?.ok_or_else(|| ApiError::not_found(format!("no request #{id}")))
}

pub(crate) async fn packages(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    request_part(&st, &headers, &id, |s, id| s.packages(id)).await
}

/// A read of one part of an existing request (its packages, its access log): the caller may
/// read, the request exists (404 naming it otherwise), and `read` answers as JSON.
async fn request_part<T: serde::Serialize + Send + 'static>(
    st: &AppState,
    headers: &HeaderMap,
    id: &str,
    read: fn(&mut dyn msadesk_store::Store, i64) -> Result<T, msadesk_store::StoreError>,
) -> Result<Response, ApiError> {
    caller(st, headers, READ).await?;
    let id = request_id(id)?;
    let part = st
        .pool()
        .run(move |s| {
            existing_request(s, id)?;
            Ok(read(s, id)?)
        })
        .await?;
    Ok(Json(part).into_response())
}

pub(crate) async fn download_package(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let (id, n) = (request_id(&id)?, number(&n)?);
    let (info, bytes) = st
        .pool()
        .run(move |s| {
            s.package(id, n)?.ok_or_else(|| ApiError::not_found(format!("request #{id} has no package #{n}")))
        })
        .await?;
    Ok(zip_response(&info.file_name, bytes))
}

pub(crate) async fn share(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, WRITE).await?;
    let id = request_id(&id)?;
    let days: i64 =
        match q.get("days") {
            None => 14,
            Some(v) => v.trim().parse().ok().filter(|d| (1..=365).contains(d)).ok_or_else(|| {
                ApiError::bad_request(format!("days: '{v}' is not a number of days between 1 and 365"))
            })?,
        };
    let meta = p.meta(None);
    let expires = crate::util::rfc3339_at(crate::util::unix_now() + days * 86_400);
    let (token, secret) =
        crate::auth::new_token(&format!("inspector for request #{id}"), Role::Inspector, Some(expires));
    let grant = st.pool().run(move |s| Ok(s.grant_inspector(&token, id, &meta)?)).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"token_id": grant.token_id, "secret": secret, "expires_at": grant.expires_at, "request_id": id})),
    )
        .into_response())
}

pub(crate) async fn unshare(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, WRITE).await?;
    let id = request_id(&id)?;
    let meta = p.meta(None);
    let n = st.pool().run(move |s| Ok(s.revoke_inspectors(id, &meta)?)).await?;
    Ok(Json(serde_json::json!({"request_id": id, "revoked": n})).into_response())
}

pub(crate) async fn access_log(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    request_part(&st, &headers, &id, |s, id| s.access_log(id)).await
}

// ---- Documents ----

pub(crate) async fn documents(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Params,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let product = q
        .get("product")
        .filter(|v| !v.trim().is_empty())
        .map(|v| ProductId::parse(v.trim()))
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("product: {e}")))?;
    let list = st.pool().run(move |s| Ok(s.documents(product.as_ref())?)).await?;
    Ok(Json(list).into_response())
}

pub(crate) async fn upload_document(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, WRITE).await?;
    let need = |k: &str| {
        q.get(k)
            .filter(|v| !v.trim().is_empty())
            .cloned()
            .ok_or_else(|| ApiError::bad_request(format!("{k}: required")))
    };
    let product =
        ProductId::parse(need("product")?.trim()).map_err(|e| ApiError::bad_request(format!("product: {e}")))?;
    let version =
        Version::parse(need("version")?.trim()).map_err(|e| ApiError::bad_request(format!("version: {e}")))?;
    let kind = DocKind::parse(&need("kind")?).map_err(|e| ApiError::bad_request(format!("kind: {e}")))?;
    let name = need("name")?;
    let limit = st.config().max_document_bytes;
    if body.len() > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the document is {} bytes; the library takes at most {limit}", body.len()),
        ));
    }
    if body.is_empty() {
        return Err(ApiError::bad_request("the document is empty: send the file's bytes as the body"));
    }
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
        .filter(|v| !v.is_empty() && v != "application/octet-stream")
        .unwrap_or_else(|| respond::media_type_for(&name).to_string());
    let meta = p.meta(None);
    let info = st
        .pool()
        .run(move |s| {
            let new = respond::new_document(s, product, version, kind, &name, &media, body.to_vec())?;
            Ok(s.add_document(&new, &meta)?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

pub(crate) async fn download_document(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let id = doc_id(&id)?;
    let (info, bytes) = st
        .pool()
        .run(move |s| s.document(id)?.ok_or_else(|| ApiError::not_found(format!("no document #{id}"))))
        .await?;
    let disp = format!("attachment; filename=\"{}\"", info.file_name.replace(['"', '\\', '\r', '\n'], "_"));
    Ok(([(header::CONTENT_TYPE, info.media_type.clone()), (header::CONTENT_DISPOSITION, disp)], bytes).into_response())
}

pub(crate) async fn document_gaps(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Params,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let product = q
        .get("product")
        .filter(|v| !v.trim().is_empty())
        .map(|v| ProductId::parse(v.trim()))
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("product: {e}")))?;
    let gaps = st.pool().run(move |s| Ok(respond::gaps(s, product.as_ref())?)).await?;
    Ok(Json(gaps).into_response())
}

// ---- Inspector access ----

/// The request an inspector token may read, checking its grant; logs the read either way.
/// Out of scope is 404 (the token learns nothing about what else exists).
async fn inspect<T: Send + 'static>(
    st: &AppState,
    headers: &HeaderMap,
    id: &str,
    what: String,
    read: impl FnOnce(&mut dyn msadesk_store::Store, &msadesk_core::inbox::Request) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let p = caller(st, headers, INSPECT).await?;
    let token_id = p.actor.strip_prefix("token:").unwrap_or(&p.actor).to_string();
    let id = request_id(id)?;
    let now = crate::now_rfc3339();
    st.pool()
        .run(move |s| {
            let grant = s.inspector_grant(&token_id)?;
            let in_scope = grant
                .as_ref()
                .is_some_and(|g| g.request_id == id && !g.revoked && g.expires_at.as_str() > now.as_str());
            let logged_request = grant.as_ref().map_or(id, |g| g.request_id);
            let result = if in_scope {
                match s.request(id)? {
                    Some(r) => read(s, &r),
                    None => Err(ApiError::not_found(format!("no request #{id} is shared with this token"))),
                }
            } else {
                Err(ApiError::not_found(format!("no request #{id} is shared with this token")))
            };
            let allowed = result.is_ok();
            s.log_access(&token_id, logged_request, &now, &what, allowed)?;
            result
        })
        .await
}

pub(crate) async fn inspector_request(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let what = format!("GET /api/v1/inspector/requests/{id}");
    let now = crate::now_rfc3339();
    let v = inspect(&st, &headers, &id, what, move |s, r| {
        let mut v = request_json(r, &now)?;
        v["packages"] = serde_json::to_value(s.packages(r.id)?).unwrap_or_default();
        Ok(v)
    })
    .await?;
    Ok(Json(v).into_response())
}

pub(crate) async fn inspector_package(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let what = format!("GET /api/v1/inspector/requests/{id}/packages/{n}");
    let n = number(&n)?;
    let (info, bytes) = inspect(&st, &headers, &id, what, move |s, r| {
        s.package(r.id, n)?.ok_or_else(|| ApiError::not_found(format!("request #{} has no package #{n}", r.id)))
    })
    .await?;
    Ok(zip_response(&info.file_name, bytes))
}

pub(crate) async fn inspector_trace(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let mut what = format!("GET /api/v1/inspector/requests/{id}/trace");
    for k in ["version", "from", "to"] {
        if let Some(v) = q.get(k) {
            what.push_str(&format!(" {k}={v}"));
        }
    }
    let body = inspect(&st, &headers, &id, what, move |s, r| {
        // The request's product, and a period inside the request's: a narrower one is fine, a
        // wider one or another version is refused.
        let tq = trace_query_for(r.new.product.as_str(), &q)?;
        let outside = |msg: String| Err(ApiError::new(StatusCode::FORBIDDEN, msg));
        if let Some(v) = &r.new.version
            && tq.version.as_ref().is_some_and(|x| x != v)
        {
            return outside(format!("the request concerns version {v} only"));
        }
        if let (Some(rf), Some(f)) = (r.new.from, tq.from)
            && f < rf
        {
            return outside(format!("the request's period starts on {rf}"));
        }
        if let (Some(rt), Some(t)) = (r.new.to, tq.to)
            && t > rt
        {
            return outside(format!("the request's period ends on {rt}"));
        }
        let tq = msadesk_core::trace::TraceQuery {
            product_id: r.new.product.clone(),
            version: tq.version.or_else(|| r.new.version.clone()),
            from: tq.from.or(r.new.from),
            to: tq.to.or(r.new.to),
        };
        let t = s.trace(&tq)?;
        let mut out = Vec::new();
        msadesk_formats::trace_out::write_json(&mut out, &t)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok(out)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
