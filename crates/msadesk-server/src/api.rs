//! The JSON API under `/api/v1`. Handlers parse and check the request, then do their database work in
//! one `Pool::run` closure. Wire shapes are defined here, not by the core types.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use msadesk_core::trace::TraceQuery;
use msadesk_core::{Date, Direction, Party, ProductId, ProductRecord, SupplyEvent, Version};
use msadesk_formats::Diagnostic;
use msadesk_formats::csv_import::{CsvRecord, CsvSource, OnInvalid};
use msadesk_store::{ChangeMeta, ImportStats, Role, RowSource, Store};
use serde::Serialize;

use crate::AppState;
use crate::auth::{self, Principal};
use crate::problem::ApiError;
use crate::routes::{ADMIN, ANY, READ, WRITE};

type Params = Query<HashMap<String, String>>;

/// Authenticates a bearer token and checks its role.
pub(crate) async fn caller(state: &AppState, headers: &HeaderMap, allowed: &[Role]) -> Result<Principal, ApiError> {
    let p = auth::bearer(state, headers).await?.ok_or_else(ApiError::unauthorized)?;
    p.require(allowed)?;
    Ok(p)
}

#[derive(Serialize)]
pub(crate) struct VersionJson {
    pub version: String,
    pub placed_on_market: Option<String>,
    pub end_of_support: Option<String>,
    pub stub: bool,
}

#[derive(Serialize)]
pub(crate) struct ProductJson {
    pub product_id: String,
    pub name: String,
    pub gtin: Option<String>,
    pub manufacturer_id: Option<String>,
    pub manufacturer_name: Option<String>,
    pub our_role: Option<String>,
    pub stub: bool,
    pub versions: Vec<VersionJson>,
}

#[derive(Serialize)]
pub(crate) struct OperatorJson {
    pub operator_id: String,
    pub name: String,
    pub address: String,
    pub country: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub gln: Option<String>,
    pub vat: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct EventJson {
    pub direction: &'static str,
    pub date: String,
    pub product_id: String,
    pub version: String,
    pub quantity: u64,
    pub counterparty: OperatorJson,
    pub counterparty_role: &'static str,
    pub reference: Option<String>,
}

pub(crate) fn operator_json(p: &Party) -> OperatorJson {
    OperatorJson {
        operator_id: p.id.to_string(),
        name: p.name.clone(),
        address: p.address.clone(),
        country: p.country.to_string(),
        email: p.email.as_ref().map(|e| e.as_str().to_string()),
        phone: p.phone.clone(),
        gln: p.gln.as_ref().map(|g| g.as_str().to_string()),
        vat: p.vat.clone(),
    }
}

fn event_json(e: &SupplyEvent) -> EventJson {
    EventJson {
        direction: e.direction.as_str(),
        date: e.date.to_string(),
        product_id: e.product_id.to_string(),
        version: e.version.to_string(),
        quantity: e.quantity,
        counterparty: operator_json(&e.counterparty),
        counterparty_role: e.counterparty_role.as_str(),
        reference: e.reference.clone(),
    }
}

pub(crate) fn products_with_versions(s: &mut dyn Store) -> Result<Vec<ProductJson>, ApiError> {
    let mut out = Vec::new();
    for p in s.products()? {
        let versions = s.versions(&p.id)?;
        out.push(product_json(p, versions));
    }
    Ok(out)
}

fn product_json(p: msadesk_core::Product, versions: Vec<msadesk_core::ProductVersion>) -> ProductJson {
    ProductJson {
        product_id: p.id.to_string(),
        name: p.name,
        gtin: p.gtin.map(|g| g.as_str().to_string()),
        manufacturer_id: p.manufacturer_id.map(|m| m.to_string()),
        manufacturer_name: p.manufacturer_name,
        our_role: p.our_role.map(|r| r.as_str().to_string()),
        stub: p.stub,
        versions: versions
            .into_iter()
            .map(|v| VersionJson {
                version: v.version.to_string(),
                placed_on_market: v.placed_on_market.map(|d| d.to_string()),
                end_of_support: v.end_of_support.map(|d| d.to_string()),
                stub: v.stub,
            })
            .collect(),
    }
}

pub(crate) async fn products(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    Ok(Json(st.pool().run(products_with_versions).await?).into_response())
}

fn product_id(s: &str) -> Result<ProductId, ApiError> {
    ProductId::parse(s).map_err(|e| ApiError::bad_request(format!("product: {e}")))
}

/// A product with its versions, or 404 when the registry does not know it.
async fn load_product(st: &AppState, id: &str) -> Result<ProductJson, ApiError> {
    let id = product_id(id)?;
    st.pool()
        .run(move |s| {
            let p = s.product(&id)?.ok_or_else(|| msadesk_store::StoreError::UnknownProduct(id.clone()))?;
            let v = s.versions(&id)?;
            Ok(product_json(p, v))
        })
        .await
}

pub(crate) async fn product(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    Ok(Json(load_product(&st, &id).await?).into_response())
}

pub(crate) async fn versions(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    Ok(Json(load_product(&st, &id).await?.versions).into_response())
}

pub(crate) async fn operators(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let ops = st.pool().run(|s| Ok(s.operators()?.iter().map(operator_json).collect::<Vec<_>>())).await?;
    Ok(Json(ops).into_response())
}

fn opt_date(q: &HashMap<String, String>, key: &str) -> Result<Option<Date>, ApiError> {
    q.get(key)
        .filter(|v| !v.trim().is_empty())
        .map(|v| Date::parse(v.trim()).map_err(|e| ApiError::bad_request(format!("{key}: {e}"))))
        .transpose()
}

/// Parses `product`, `version`, `from`, `to` as the CLI's `trace` does.
pub(crate) fn trace_query(q: &HashMap<String, String>) -> Result<TraceQuery, ApiError> {
    let product = q
        .get("product")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("product: required (the product id, e.g. product=SH-CAM-200)"))?;
    trace_query_for(product, q)
}

pub(crate) fn trace_query_for(product: &str, q: &HashMap<String, String>) -> Result<TraceQuery, ApiError> {
    let tq = TraceQuery {
        product_id: product_id(product.trim())?,
        version: q
            .get("version")
            .filter(|v| !v.trim().is_empty())
            .map(|v| Version::parse(v.trim()))
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("version: {e}")))?,
        from: opt_date(q, "from")?,
        to: opt_date(q, "to")?,
    };
    if let (Some(f), Some(t)) = (tq.from, tq.to)
        && f > t
    {
        return Err(ApiError::bad_request(format!("from {f} is after to {t}: the period is empty; swap the dates")));
    }
    Ok(tq)
}

pub(crate) async fn trace(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Params,
) -> Result<Response, ApiError> {
    // Authentication and the trace in one trip to a store thread: this is the hottest read.
    let hash = auth::bearer_hash(&headers)?.ok_or_else(ApiError::unauthorized)?;
    // Checked after the token, as for every endpoint: an unknown token gets 401 whatever the query.
    let tq = trace_query(&q);
    let state = st.clone();
    let body = st
        .pool()
        .run(move |s| {
            auth::check_token(&state, s, &hash)?.require(READ)?;
            let tq = tq?;
            // The generation is read before the trace: an answer is kept under a generation no
            // newer than the data it was computed from (see `trace_cache`).
            let generation = s.data_generation()?;
            let key = crate::trace_cache::key(&tq);
            if let Some(hit) = state.inner.trace_cache.get(generation, &key) {
                return Ok(hit);
            }
            let t = s.trace(&tq)?;
            let mut out = Vec::new();
            msadesk_formats::trace_out::write_json(&mut out, &t)
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            let out = Bytes::from(out);
            state.inner.trace_cache.put(generation, key, out.clone());
            Ok(out)
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Serialize)]
struct EventPage {
    total: u64,
    offset: u64,
    limit: u64,
    items: Vec<EventJson>,
}

pub(crate) async fn events(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Params,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let num = |key: &str, default: u64| -> Result<u64, ApiError> {
        q.get(key).map_or(Ok(default), |v| {
            v.trim().parse::<u64>().map_err(|_| ApiError::bad_request(format!("{key}: '{v}' is not a whole number")))
        })
    };
    let limit = num("limit", 100)?;
    if limit == 0 || limit > 1000 {
        return Err(ApiError::bad_request("limit: must be between 1 and 1000"));
    }
    let offset = num("offset", 0)?;
    let direction = q
        .get("direction")
        .filter(|v| !v.trim().is_empty())
        .map(|v| Direction::parse(v.trim()))
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("direction: {e}")))?;
    // Without a product, the events of every product are listed, product by product.
    let queries: Option<TraceQuery> = match q.get("product").filter(|v| !v.trim().is_empty()) {
        Some(p) => Some(trace_query_for(p, &q)?),
        None => {
            if q.get("version").is_some_and(|v| !v.trim().is_empty()) {
                return Err(ApiError::bad_request("version: give product too (a version belongs to a product)"));
            }
            None
        }
    };
    let (from, to) = (opt_date(&q, "from")?, opt_date(&q, "to")?);
    let page = st
        .pool()
        .run(move |s| {
            let list = match queries {
                Some(tq) => vec![tq],
                None => s
                    .products()?
                    .into_iter()
                    .map(|p| TraceQuery { product_id: p.id, version: None, from, to })
                    .collect(),
            };
            let (mut total, mut items) = (0u64, Vec::new());
            for tq in &list {
                s.for_each_event(tq, &mut |e| {
                    if direction.is_none_or(|d| d == e.direction) {
                        if total >= offset && (items.len() as u64) < limit {
                            items.push(event_json(&e));
                        }
                        total += 1;
                    }
                    Ok(())
                })?;
            }
            Ok(EventPage { total, offset, limit, items })
        })
        .await?;
    Ok(Json(page).into_response())
}

/// The outcome of an import over HTTP: the CLI's `--format json` report, with the rejected rows
/// inline instead of in a file.
#[derive(Serialize)]
pub(crate) struct ImportReport {
    pub file: String,
    pub committed: bool,
    #[serde(flatten)]
    pub stats: ImportStats,
    pub invalid_rows: u64,
    pub diagnostics: Vec<Diagnostic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_csv: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ImportKind {
    Products,
    Supply,
}

impl ImportKind {
    pub(crate) fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "products" => Ok(ImportKind::Products),
            "supply" => Ok(ImportKind::Supply),
            other => Err(ApiError::not_found(format!("'{other}' is not an import kind: use products or supply"))),
        }
    }
}

fn csv_import<T: CsvRecord>(
    store: &mut dyn Store,
    bytes: &[u8],
    name: &str,
    skip_invalid: bool,
    meta: &ChangeMeta,
    run: fn(&mut dyn Store, &mut dyn RowSource<T>, &ChangeMeta) -> msadesk_store::Result<ImportStats>,
) -> Result<ImportReport, ApiError> {
    let mut rejected = Vec::new();
    let on_invalid = if skip_invalid { OnInvalid::Skip(Box::new(&mut rejected)) } else { OnInvalid::RejectFile };
    let (stats, diagnostics, invalid) = {
        let mut src: CsvSource<'_, _, T> = match CsvSource::new(bytes, name, on_invalid) {
            Ok(s) => s,
            Err(d) => {
                return Ok(ImportReport {
                    file: name.into(),
                    committed: false,
                    stats: ImportStats::default(),
                    invalid_rows: 1,
                    diagnostics: vec![d],
                    rejected_csv: None,
                });
            }
        };
        let stats = run(store, &mut src, meta)?;
        src.finish().map_err(|e| ApiError::bad_request(format!("cannot collect the rejected rows: {e}")))?;
        (stats, src.diagnostics().to_vec(), src.invalid_rows())
    };
    Ok(ImportReport {
        file: name.into(),
        committed: stats.committed,
        stats,
        invalid_rows: invalid,
        diagnostics,
        rejected_csv: (skip_invalid && invalid > 0).then(|| String::from_utf8_lossy(&rejected).into_owned()),
    })
}

fn epcis_import(
    store: &mut dyn Store,
    bytes: &[u8],
    name: &str,
    skip_invalid: bool,
    meta: &ChangeMeta,
) -> Result<ImportReport, ApiError> {
    use msadesk_formats::epcis::{ImportContext, own_party_uri, read_document};
    let gtins: Vec<_> = store.products()?.into_iter().filter_map(|p| p.gtin.map(|g| (g, p.id))).collect();
    let own: Vec<String> = store.identity()?.iter().map(own_party_uri).collect();
    let ctx = ImportContext::new(gtins, own);
    let items = match read_document(bytes, name, &ctx) {
        Ok(items) => items,
        Err(d) => {
            return Ok(ImportReport {
                file: name.into(),
                committed: false,
                stats: ImportStats::default(),
                invalid_rows: 1,
                diagnostics: vec![d],
                rejected_csv: None,
            });
        }
    };
    let mut src = msadesk_formats::epcis::EpcisSource::new(items, skip_invalid);
    let stats = store.import_supply(&mut src, meta)?;
    Ok(ImportReport {
        file: name.into(),
        committed: stats.committed,
        stats,
        invalid_rows: src.invalid(),
        diagnostics: src.into_diagnostics(),
        rejected_csv: None,
    })
}

fn looks_like_json(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
    text.trim_start_matches('\u{feff}').trim_start().starts_with('{')
}

/// Imports a body the way `msadesk import KIND` imports a file (atomic unless `skip_invalid`).
pub(crate) fn run_import(
    store: &mut dyn Store,
    kind: ImportKind,
    bytes: &[u8],
    name: &str,
    skip_invalid: bool,
    meta: &ChangeMeta,
) -> Result<ImportReport, ApiError> {
    match kind {
        ImportKind::Supply if looks_like_json(bytes) => epcis_import(store, bytes, name, skip_invalid, meta),
        ImportKind::Supply => {
            csv_import::<SupplyEvent>(store, bytes, name, skip_invalid, meta, |s, r, m| s.import_supply(r, m))
        }
        ImportKind::Products => {
            csv_import::<ProductRecord>(store, bytes, name, skip_invalid, meta, |s, r, m| s.import_products(r, m))
        }
    }
}

fn report_response(report: ImportReport, ok_status: StatusCode) -> Response {
    if report.committed {
        return (ok_status, Json(report)).into_response();
    }
    let detail = if report.invalid_rows > 0 {
        format!(
            "{}: {} invalid row(s): nothing was imported. Fix the rows listed in 'diagnostics' and send again, or add skip_invalid=true to import the valid rows",
            report.file, report.invalid_rows
        )
    } else {
        format!("{}: the input could not be read to its end: nothing was imported", report.file)
    };
    let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, detail);
    err.extra = serde_json::to_value(&report).ok();
    err.into_response()
}

pub(crate) async fn import(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, WRITE).await?;
    let kind = ImportKind::parse(&kind)?;
    if body.is_empty() {
        return Err(ApiError::bad_request("the request body is empty: send the CSV or EPCIS document as the body"));
    }
    let skip_invalid = q.get("skip_invalid").is_some_and(|v| v == "true" || v == "1");
    let name = q.get("name").cloned().unwrap_or_else(|| "upload".into());
    let meta = p.meta(Some(format!("api:{name}")));
    let report = st.pool().run(move |s| run_import(s, kind, &body, &name, skip_invalid, &meta)).await?;
    Ok(report_response(report, StatusCode::OK))
}

/// Creates one supply event from a JSON object whose members are the supply CSV's columns; it goes
/// through the CSV importer, so it is checked exactly like a row of an imported file.
pub(crate) async fn create_event(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, WRITE).await?;
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    let obj = value.as_object().ok_or_else(|| {
        ApiError::bad_request("the body must be a JSON object with the supply CSV's columns as members")
    })?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut head = Vec::new();
    let mut row = Vec::new();
    for (k, v) in obj {
        head.push(k.clone());
        row.push(match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            serde_json::Value::Number(n) => n.to_string(),
            other => return Err(ApiError::bad_request(format!("{k}: expected a string or a number, found {other}"))),
        });
    }
    let written = csv.write_record(&head).and_then(|()| csv.write_record(&row));
    let bytes = written
        .map_err(|e| ApiError::bad_request(e.to_string()))
        .and_then(|()| csv.into_inner().map_err(|e| ApiError::bad_request(e.to_string())))?;
    let meta = p.meta(Some("api:supply-event".into()));
    let report =
        st.pool().run(move |s| run_import(s, ImportKind::Supply, &bytes, "supply-event", false, &meta)).await?;
    Ok(report_response(report, StatusCode::CREATED))
}

#[derive(Serialize)]
struct Me {
    actor: String,
    name: String,
    role: Role,
}

pub(crate) async fn me(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, ANY).await?;
    Ok(Json(Me { actor: p.actor, name: p.name, role: p.role }).into_response())
}

pub(crate) async fn tokens(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller(&st, &headers, ADMIN).await?;
    Ok(Json(st.pool().run(|s| Ok(s.tokens()?)).await?).into_response())
}

#[derive(serde::Deserialize)]
pub(crate) struct NewToken {
    pub role: String,
    pub name: Option<String>,
    /// YYYY-MM-DD: the token works until the end of this day (UTC).
    pub expires: Option<String>,
}

/// Checks a new token's fields; the expiry day becomes the next midnight UTC.
pub(crate) fn token_fields(role: &str, expires: Option<&str>) -> Result<(Role, Option<String>), ApiError> {
    let role = Role::parse(role).map_err(|e| ApiError::bad_request(format!("role: {e}")))?;
    let expires = expires
        .filter(|e| !e.trim().is_empty())
        .map(|e| Date::parse(e.trim()).map_err(|err| ApiError::bad_request(format!("expires: {err}"))))
        .transpose()?;
    let today = Date::from_unix_seconds(crate::util::unix_now());
    if let Some(d) = expires
        && d < today
    {
        return Err(ApiError::bad_request(format!("expires: {d} has passed: give today ({today}) or a later day")));
    }
    Ok((role, expires.map(|d| format!("{}T00:00:00Z", d.plus_days(1)))))
}

#[derive(Serialize)]
struct CreatedToken {
    id: String,
    name: String,
    role: Role,
    expires_at: Option<String>,
    /// The secret: shown this once, stored only as a hash.
    token: String,
}

pub(crate) async fn create_token(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, ADMIN).await?;
    let req: NewToken = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not a token request: {e}")))?;
    let (role, expires) = token_fields(&req.role, req.expires.as_deref())?;
    let (token, secret) = auth::new_token(req.name.as_deref().unwrap_or("api"), role, expires);
    let meta = p.meta(None);
    let t = token.clone();
    st.pool().run(move |s| Ok(s.create_token(&t, &meta)?)).await?;
    let out = CreatedToken { id: token.id, name: token.name, role, expires_at: token.expires_at, token: secret };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub(crate) async fn revoke_token(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, ADMIN).await?;
    let meta = p.meta(None);
    let id2 = id.clone();
    let found = st.pool().run(move |s| Ok(s.revoke_token(&id2, &meta)?)).await?;
    if found {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(format!("no token '{id}'")))
    }
}

pub(crate) async fn healthz(State(st): State<AppState>) -> Response {
    match st.pool().run(|s| Ok(s.counts()?)).await {
        Ok(_) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "database unavailable"})))
            .into_response(),
    }
}

pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::document_text()).into_response()
}

// ---- The MSA inbox (read, acknowledge) ----

/// The wire shape of an authority entry.
fn authority_json(a: &msadesk_core::inbox::Authority) -> serde_json::Value {
    serde_json::json!({
        "id": a.id, "country": a.country.as_str(), "name": a.name, "postal_address": a.postal_address,
        "email": a.email, "portal": a.portal, "languages": a.languages, "time_zone": a.time_zone,
        "kind": a.kind.as_str(), "source": a.source, "confirmed": a.confirmed,
    })
}

/// The wire shape of a request with its clocks at `now`.
pub(crate) fn request_json(r: &msadesk_core::inbox::Request, now: &str) -> Result<serde_json::Value, ApiError> {
    let now = msadesk_core::inbox::parse_instant(now).map_err(|e| ApiError::bad_request(format!("now: {e}")))?;
    let st = r.standing(now, msadesk_core::inbox::DEFAULT_DUE_SOON_DAYS);
    let timeline: Vec<serde_json::Value> = r
        .timeline
        .iter()
        .map(|t| serde_json::json!({"step": t.step.name(), "at": t.at, "actor": t.actor, "note": t.note}))
        .collect();
    Ok(serde_json::json!({
        "id": r.id, "authority": r.new.authority, "reference": r.new.reference, "received_at": r.new.received_at,
        "ack_due": r.new.ack_due, "acknowledged_at": r.acknowledged_at, "due": r.new.due.to_string(),
        "status": r.status.as_str(), "overdue": st.overdue, "due_soon": st.due_soon, "ack_overdue": st.ack_overdue,
        "product": r.new.product.as_str(), "version": r.new.version.as_ref().map(|v| v.as_str()),
        "from": r.new.from.map(|d| d.to_string()), "to": r.new.to.map(|d| d.to_string()),
        "asks": r.new.asks.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "extension_pending": r.extension_pending, "timeline": timeline,
    }))
}

pub(crate) fn request_id(s: &str) -> Result<i64, ApiError> {
    s.trim().parse().map_err(|_| {
        ApiError::bad_request(format!("'{s}' is not a request id: use the number `id` of GET /api/v1/requests"))
    })
}

pub(crate) async fn authorities(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let list = st.pool().run(|s| Ok(s.authorities()?.iter().map(authority_json).collect::<Vec<_>>())).await?;
    Ok(Json(list).into_response())
}

pub(crate) async fn requests(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, READ).await?;
    let now = q.get("now").cloned().unwrap_or_else(|| p.meta(None).at);
    let overdue_only = q.get("overdue").is_some_and(|v| v == "true" || v == "1");
    let list = st.pool().run(|s| Ok(s.requests()?)).await?;
    let mut out = Vec::new();
    for r in &list {
        let v = request_json(r, &now)?;
        if !overdue_only || v["overdue"] == true {
            out.push(v);
        }
    }
    Ok(Json(out).into_response())
}

pub(crate) async fn request(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, READ).await?;
    let id = request_id(&id)?;
    let now = q.get("now").cloned().unwrap_or_else(|| p.meta(None).at);
    let r = st.pool().run(move |s| Ok(s.request(id)?)).await?;
    let r = r.ok_or_else(|| ApiError::not_found(format!("no request #{id}: list them with GET /api/v1/requests")))?;
    Ok(Json(request_json(&r, &now)?).into_response())
}

pub(crate) async fn ack_request(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = caller(&st, &headers, WRITE).await?;
    let id = request_id(&id)?;
    let meta = p.meta(None);
    let now = meta.at.clone();
    let r =
        st.pool().run(move |s| Ok(s.request_step(id, &msadesk_core::inbox::Step::Acknowledged, None, &meta)?)).await?;
    Ok(Json(request_json(&r, &now)?).into_response())
}

/// The readiness report, as `msadesk report readiness --format json` writes it.
pub(crate) async fn readiness(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    caller(&st, &headers, READ).await?;
    let now = q.get("now").cloned();
    if now.as_ref().is_some_and(|n| n.len() > 64) {
        return Err(ApiError::bad_request("now: expected an RFC 3339 instant such as 2026-12-04T10:00:00Z"));
    }
    let state = st.clone();
    let report = st
        .pool()
        .run(move |s| {
            readiness_report(&state, s, now.as_deref()).map_err(|e| match e {
                msadesk_store::StoreError::Invalid(m) => ApiError::bad_request(format!("now: {m}")),
                e => e.into(),
            })
        })
        .await?;
    Ok(Json(&*report).into_response())
}

/// The readiness report at `now` (by default the current minute) with the default policy and the
/// letter languages msadesk has (the API, the page and the PDF download all make it this way), kept
/// per data generation and instant (see `readiness_cache`).
pub(crate) fn readiness_report(
    state: &AppState,
    s: &mut dyn msadesk_store::Store,
    now: Option<&str>,
) -> Result<std::sync::Arc<msadesk_core::readiness::ReadinessReport>, msadesk_store::StoreError> {
    let now = now.map_or_else(|| crate::util::rfc3339_at(crate::util::unix_now() / 60 * 60), str::to_string);
    // Read before the report: a kept report is never newer than its key says.
    let generation = s.data_generation()?;
    if let Some(hit) = state.inner.readiness_cache.get(generation, &now) {
        return Ok(hit);
    }
    let policy = msadesk_core::readiness::ReadinessPolicy::default();
    let report =
        std::sync::Arc::new(msadesk_store::readiness::report(s, &now, &policy, msadesk_formats::letters::LANGUAGES)?);
    state.inner.readiness_cache.put(generation, now, std::sync::Arc::clone(&report));
    Ok(report)
}
