//! The server-rendered pages. Each handler authenticates the session cookie, checks the role, does
//! its database work in one `Pool::run`, and renders with `html`. Every form carries the session's
//! CSRF token (the login form a double-submit cookie), checked before anything is changed.

// A page handler's "error" is the response to send instead (a redirect or an error page); it is
// returned once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::fmt::Write;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use msadesk_core::trace::TraceQuery;
use msadesk_store::{Role, Store};

use crate::api::{self, ImportKind, ImportReport};
use crate::auth::{self, LOGIN_CSRF_COOKIE, Principal, SESSION_COOKIE};
use crate::html::{CSS, esc, layout, table, url};
use crate::messages::{EN, Messages};
use crate::problem::ApiError;
use crate::routes::{ADMIN, READ, WRITE};
use crate::{AppState, openapi};

pub(crate) type FormMap = Result<Form<HashMap<String, String>>, FormRejection>;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(css))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/", get(dashboard))
        .route("/products", get(products))
        .route("/operators", get(operators))
        .route("/trace", get(trace_page))
        .route("/trace/download", get(trace_download))
        .route("/import", get(import_form).post(import_submit))
        .route("/tokens", get(tokens_page).post(tokens_create))
        .route("/tokens/{id}/revoke", post(tokens_revoke))
        .route("/audit", get(audit_page))
        .route("/readiness", get(readiness_page))
        .route("/readiness.pdf", get(readiness_pdf))
        .route("/api", get(api_reference))
}

pub(crate) fn msgs() -> &'static Messages {
    &EN
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], CSS).into_response()
}

pub(crate) fn page(status: StatusCode, title: &str, who: Option<&Principal>, current: &str, body: &str) -> Response {
    (status, Html(layout(msgs(), title, who, current, body))).into_response()
}

pub(crate) fn error_page(who: Option<&Principal>, e: &ApiError) -> Response {
    let body = format!("<p class=\"msg bad\" role=\"alert\">{}</p>", esc(&e.detail));
    page(e.status, msgs().error_title, who, "", &body)
}

/// The signed-in user with one of `allowed` roles, or the response to send instead (the login page,
/// or a 403 page).
pub(crate) async fn signed_in(st: &AppState, headers: &HeaderMap, allowed: &[Role]) -> Result<Principal, Response> {
    match auth::session(st, headers).await {
        Ok(Some(p)) if allowed.contains(&p.role) => Ok(p),
        Ok(Some(p)) => Err(error_page(Some(&p), &ApiError::new(StatusCode::FORBIDDEN, msgs().forbidden))),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(error_page(None, &e)),
    }
}

pub(crate) fn check_csrf(p: &Principal, sent: Option<&String>) -> Result<(), Response> {
    match (p.csrf.as_deref(), sent) {
        (Some(want), Some(got)) if auth::same_secret(want, got) => Ok(()),
        _ => Err(error_page(Some(p), &ApiError::new(StatusCode::FORBIDDEN, msgs().csrf_failed))),
    }
}

/// A signed-in user with one of `allowed` roles who posted a readable form with the right CSRF
/// token, and the form's fields; otherwise the page saying what is wrong.
pub(crate) async fn signed_in_form(
    st: &AppState,
    headers: &HeaderMap,
    allowed: &[Role],
    form: FormMap,
) -> Result<(Principal, HashMap<String, String>), Response> {
    let p = signed_in(st, headers, allowed).await?;
    let Ok(Form(f)) = form else {
        return Err(error_page(Some(&p), &ApiError::bad_request("the form could not be read")));
    };
    check_csrf(&p, f.get("csrf"))?;
    Ok((p, f))
}

pub(crate) fn csrf_field(p: &Principal) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(p.csrf.as_deref().unwrap_or("")))
}

// ---- Login ----

fn login_body(token: &str, error: Option<&str>, name: &str) -> String {
    let m = msgs();
    let mut s = String::new();
    if let Some(e) = error {
        let _ = write!(s, "<p class=\"msg bad\" role=\"alert\">{}</p>", esc(e));
    }
    let _ = write!(
        s,
        "<p>{intro}</p><form class=\"stack\" method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\
         <div><label for=\"username\">{user}</label><input id=\"username\" name=\"username\" autocomplete=\"username\" required value=\"{name}\"></div>\
         <div><label for=\"password\">{pw}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></div>\
         <div><button type=\"submit\">{go}</button></div></form>",
        intro = esc(m.login_intro),
        token = esc(token),
        user = esc(m.username),
        name = esc(name),
        pw = esc(m.password),
        go = esc(m.log_in)
    );
    s
}

fn login_page(st: &AppState, headers: &HeaderMap, status: StatusCode, error: Option<&str>, name: &str) -> Response {
    let token = auth::random_secret();
    let mut res = page(status, msgs().login_title, None, "", &login_body(&token, error, name));
    let cookie = auth::set_cookie(LOGIN_CSRF_COOKIE, &token, 3600, auth::secure(st, headers));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn login_form(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Ok(Some(_)) = auth::session(&st, &headers).await {
        return Redirect::to("/").into_response();
    }
    login_page(&st, &headers, StatusCode::OK, None, "")
}

async fn login_submit(State(st): State<AppState>, headers: HeaderMap, form: FormMap) -> Response {
    let m = msgs();
    let Ok(Form(f)) = form else {
        return login_page(&st, &headers, StatusCode::BAD_REQUEST, Some(m.login_expired_form), "");
    };
    let name = f.get("username").map(|s| s.trim().to_string()).unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let csrf_ok = match (auth::cookie(&headers, LOGIN_CSRF_COOKIE), f.get("csrf")) {
        (Some(c), Some(sent)) => auth::same_secret(c, sent),
        _ => false,
    };
    if !csrf_ok {
        return login_page(&st, &headers, StatusCode::FORBIDDEN, Some(m.login_expired_form), &name);
    }
    if st.login_limiter().blocked(&name) {
        return login_page(&st, &headers, StatusCode::TOO_MANY_REQUESTS, Some(m.login_rate_limited), &name);
    }
    match auth::login(&st, name.clone(), password).await {
        Ok(Some(session_id)) => {
            st.login_limiter().succeeded(&name);
            let secure = auth::secure(&st, &headers);
            let mut res = Redirect::to("/").into_response();
            let max_age = st.config().session_seconds;
            for c in [
                auth::set_cookie(SESSION_COOKIE, &session_id, max_age, secure),
                auth::set_cookie(LOGIN_CSRF_COOKIE, "", 0, secure),
            ] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Ok(None) => {
            st.login_limiter().failed(&name);
            login_page(&st, &headers, StatusCode::UNAUTHORIZED, Some(m.login_failed), &name)
        }
        Err(e) => error_page(None, &e),
    }
}

async fn logout(State(st): State<AppState>, headers: HeaderMap, form: FormMap) -> Response {
    let p = match signed_in(&st, &headers, &Role::ALL).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if let Err(r) = check_csrf(&p, f.get("csrf")) {
        return r;
    }
    if let Some(id) = auth::cookie(&headers, SESSION_COOKIE) {
        let hash = crate::util::sha256_hex(id);
        let _ = st.pool().run(move |s| Ok(s.delete_session(&hash)?)).await;
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(SESSION_COOKIE, "", 0, auth::secure(&st, &headers))) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

// ---- Dashboard, products, operators ----

async fn dashboard(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let m = msgs();
    // Inspectors have a dashboard too, without registry figures: the MSA inbox will fill it.
    let p = match signed_in(&st, &headers, &Role::ALL).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !READ.contains(&p.role) {
        return page(StatusCode::OK, m.dashboard_title, Some(&p), "/", &format!("<p>{}</p>", esc(m.nothing_shared)));
    }
    let data = st
        .pool()
        .run(|s| {
            let c = s.counts()?;
            let audit = s.audit_entries()?;
            let imports: Vec<_> = audit.into_iter().rev().filter(|e| e.action == "import").take(10).collect();
            Ok((c, imports))
        })
        .await;
    let (c, imports) = match data {
        Ok(d) => d,
        Err(e) => return error_page(Some(&p), &e),
    };
    let mut body = String::from("<ul class=\"cards\">");
    for (label, n) in [
        (m.count_products, c.products),
        (m.count_versions, c.versions),
        (m.count_operators, c.operators),
        (m.count_events, c.supply_events),
    ] {
        let _ = write!(body, "<li><strong>{n}</strong>{}</li>", esc(label));
    }
    body.push_str("</ul>");
    let _ = write!(body, "<h2>{}</h2>", esc(m.latest_imports));
    if imports.is_empty() {
        let _ = write!(body, "<p>{}</p>", esc(m.no_imports));
    } else {
        let rows: Vec<Vec<String>> = imports
            .iter()
            .map(|e| {
                let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
                let what = format!(
                    "{}: {} rows, {} new",
                    e.entity.replace('_', " "),
                    detail["rows"].as_u64().unwrap_or(0),
                    detail["new"].as_u64().unwrap_or(0)
                );
                vec![esc(&e.at), esc(&e.actor), esc(&what), esc(detail["source"].as_str().unwrap_or(""))]
            })
            .collect();
        body.push_str(&table(&[m.col_when, m.col_who, m.col_what, m.col_source], &rows));
    }
    body.push_str(&crate::risk::dashboard_block(&st).await);
    page(StatusCode::OK, m.dashboard_title, Some(&p), "/", &body)
}

async fn products(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let m = msgs();
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let list = match st.pool().run(api::products_with_versions).await {
        Ok(l) => l,
        Err(e) => return error_page(Some(&p), &e),
    };
    if list.is_empty() {
        return page(
            StatusCode::OK,
            m.products_title,
            Some(&p),
            "/products",
            &format!("<p>{}</p>", esc(m.no_products)),
        );
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|pr| {
            let versions: Vec<String> = pr
                .versions
                .iter()
                .map(|v| {
                    format!(
                        "<a href=\"/trace?product={}&amp;version={}\">{}</a>{}",
                        url(&pr.product_id),
                        url(&v.version),
                        esc(&v.version),
                        if v.stub { " (stub)" } else { "" }
                    )
                })
                .collect();
            vec![
                format!(
                    "<a href=\"/trace?product={}\">{}</a>{}",
                    url(&pr.product_id),
                    esc(&pr.product_id),
                    if pr.stub { format!(" <span class=\"hint\">{}</span>", esc(m.stub_note)) } else { String::new() }
                ),
                esc(&pr.name),
                esc(pr.gtin.as_deref().unwrap_or("")),
                esc(pr.manufacturer_name.as_deref().unwrap_or("")),
                versions.join(", "),
            ]
        })
        .collect();
    let body = table(&[m.col_product, m.col_name, m.col_gtin, m.col_manufacturer, m.col_versions], &rows);
    page(StatusCode::OK, m.products_title, Some(&p), "/products", &body)
}

async fn operators(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let m = msgs();
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ops = match st.pool().run(|s| Ok(s.operators()?.iter().map(api::operator_json).collect::<Vec<_>>())).await {
        Ok(o) => o,
        Err(e) => return error_page(Some(&p), &e),
    };
    let rows: Vec<Vec<String>> = ops
        .iter()
        .map(|o| {
            vec![
                format!("<code>{}</code>", esc(&o.operator_id)),
                esc(&o.name),
                esc(&o.address),
                esc(&o.country),
                o.email.as_deref().map_or(String::new(), |e| format!("<a href=\"mailto:{}\">{}</a>", esc(e), esc(e))),
                esc(o.phone.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    let body = table(&[m.col_operator, m.col_name, m.col_address, m.col_country, m.col_email, m.col_phone], &rows);
    page(StatusCode::OK, m.operators_title, Some(&p), "/operators", &body)
}

// ---- Audit trail ----

/// How many entries the audit page shows at most, newest first.
const AUDIT_PAGE_LIMIT: usize = 200;

/// The audit trail: whether the hash chain and the records it covers verify, then the latest
/// entries, optionally of one entity. Officers and admins only: entries name users and tokens.
async fn audit_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let m = msgs();
    let p = match signed_in(&st, &headers, WRITE).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let entity = q.get("entity").map(|e| e.trim().to_string()).filter(|e| !e.is_empty());
    let result = st.pool().run(|s| Ok((s.verify_audit()?, s.audit_entries()?))).await;
    let (broken, entries) = match result {
        Ok(r) => r,
        Err(e) => return error_page(Some(&p), &e),
    };
    let mut body = String::new();
    match &broken {
        None => {
            let head = entries.last().map_or("(empty)", |e| e.hash.as_str());
            let _ = write!(
                body,
                "<p class=\"msg ok\" role=\"status\">{} <code>{}</code></p>",
                esc(&m.audit_intact.replace("{n}", &entries.len().to_string())),
                esc(head)
            );
        }
        Some(b) => {
            let _ = write!(
                body,
                "<p class=\"msg bad\" role=\"alert\">{}</p>",
                esc(&m.audit_broken.replace("{seq}", &b.seq.to_string()).replace("{reason}", &b.reason))
            );
        }
    }
    let _ = write!(
        body,
        "<form method=\"get\" action=\"/audit\"><label for=\"entity\">{}</label> \
         <input id=\"entity\" name=\"entity\" value=\"{}\" placeholder=\"supply_events\"> \
         <button type=\"submit\">{}</button></form>",
        esc(m.audit_filter),
        esc(entity.as_deref().unwrap_or("")),
        esc(m.audit_show)
    );
    let rows: Vec<Vec<String>> = entries
        .iter()
        .rev()
        .filter(|e| entity.as_deref().is_none_or(|want| e.entity == want))
        .take(AUDIT_PAGE_LIMIT)
        .map(|e| {
            vec![
                e.seq.to_string(),
                esc(&e.at),
                esc(&e.actor),
                esc(&e.entity),
                esc(&e.action),
                format!("<code>{}</code>", esc(&e.detail)),
            ]
        })
        .collect();
    body.push_str(&table(&[m.col_seq, m.col_when, m.col_who, m.col_entity, m.col_action, m.col_detail], &rows));
    let _ = write!(body, "<p>{}</p>", esc(m.audit_hint));
    page(StatusCode::OK, m.audit_title, Some(&p), "/audit", &body)
}

/// The readiness report: every live check with its evidence, what to do and the Art 64 tier of a
/// gap; then the figures and the monthly trends (as `<meter>` bars, which need no inline style).
async fn readiness_page(State(st): State<AppState>, headers: HeaderMap) -> Response {
    use msadesk_core::readiness::Status;
    let m = msgs();
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let state = st.clone();
    let result = st.pool().run(move |s| Ok(api::readiness_report(&state, s, None)?)).await;
    let r = match result {
        Ok(r) => r,
        Err(e) => return error_page(Some(&p), &e),
    };
    let mut body = String::new();
    let _ = write!(
        body,
        "<p>{}</p><p class=\"downloads\"><a href=\"/readiness.pdf\">{}</a></p>",
        esc(m.readiness_intro),
        esc(m.readiness_download)
    );
    let s = &r.summary;
    let class = if s.gap == 0 { "ok" } else { "bad" };
    let _ = write!(
        body,
        "<p class=\"msg {class}\" role=\"status\">{}</p>",
        esc(&m
            .readiness_summary
            .replace("{ok}", &s.ok.to_string())
            .replace("{gap}", &s.gap.to_string())
            .replace("{na}", &s.not_applicable.to_string())
            .replace("{at}", &r.generated_at))
    );
    let _ = write!(body, "<p>{}</p><ul class=\"cards\">", esc(m.readiness_tiers));
    for t in &s.gaps_by_tier {
        let _ = write!(
            body,
            "<li><strong>{}</strong>{} <span class=\"hint\">{}</span></li>",
            t.gaps,
            esc(t.penalty_tier.legal().cite),
            esc(t.penalty_tier.legal().summary)
        );
    }
    body.push_str("</ul>");
    let rows: Vec<Vec<String>> = r
        .checks
        .iter()
        .map(|c| {
            let (cls, label) = match c.status {
                Status::Ok => ("ok", "ok"),
                Status::Gap => ("gap", "gap"),
                Status::NotApplicable => ("na", "n/a"),
            };
            let mut evidence = esc(&c.evidence.text);
            if !c.evidence.items.is_empty() {
                evidence.push_str("<ul>");
                for i in &c.evidence.items {
                    let _ = write!(evidence, "<li>{}</li>", esc(i));
                }
                if c.evidence.more_items > 0 {
                    let _ = write!(evidence, "<li>… +{}</li>", c.evidence.more_items);
                }
                evidence.push_str("</ul>");
            }
            vec![
                format!("<span class=\"status {cls}\">{label}</span>"),
                format!("<strong>{}</strong><br><code>{}</code>", esc(c.title), esc(c.id)),
                evidence,
                c.fix.as_deref().map_or(String::new(), |f| format!("<code>{}</code>", esc(f))),
                c.penalty_tier.map_or(String::new(), |t| esc(t.legal().cite)),
            ]
        })
        .collect();
    body.push_str(&table(&[m.col_status, m.col_check, m.col_evidence, m.col_fix, m.col_tier], &rows));
    let f = &r.figures;
    let _ = write!(body, "<h2>{}</h2><ul class=\"cards\">", esc(m.readiness_figures));
    for (n, label) in [
        (f.supply_records.total, "supply records"),
        (f.supply_within_retention, "within retention"),
        (f.supply_records.expired, "past their retention end"),
        (f.supply_records.held, "held by legal holds"),
        (f.supply_records.deleted, "deleted by retention runs"),
        (f.requests.total, "requests from authorities"),
        (f.requests.overdue, "requests overdue"),
        (f.risk.significant_decisions, "significant-risk decisions"),
        (f.risk.open_significant, "significant without decision"),
        (f.risk.notifications_due, "risk notifications due by law"),
        (f.risk.notifications_sent, "risk notifications sent"),
    ] {
        let _ = write!(body, "<li><strong>{n}</strong>{}</li>", esc(label));
    }
    body.push_str("</ul>");
    let _ = write!(body, "<h2>{}</h2>", esc(m.readiness_trends));
    for t in &r.trends {
        let max = t.months.iter().map(|x| x.value).fold(0.0_f64, f64::max).max(1.0);
        let rows: Vec<Vec<String>> = t
            .months
            .iter()
            .map(|x| {
                vec![
                    esc(&x.month),
                    format!(
                        "<meter min=\"0\" max=\"{max}\" value=\"{}\" aria-label=\"{} {}\"></meter> {} {}",
                        x.value,
                        esc(&x.month),
                        esc(t.title),
                        x.value,
                        esc(t.unit)
                    ),
                ]
            })
            .collect();
        let _ = write!(body, "<h3>{}</h3>", esc(t.title));
        body.push_str(&table(&[m.col_month, m.col_value], &rows));
    }
    let _ = write!(body, "<p>{}</p>", esc(m.readiness_hint));
    page(StatusCode::OK, m.readiness_title, Some(&p), "/readiness", &body)
}

/// The readiness report as the PDF `msadesk report readiness --format pdf` writes.
async fn readiness_pdf(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let state = st.clone();
    let result = st.pool().run(move |s| Ok(api::readiness_report(&state, s, None)?)).await;
    match result {
        Ok(r) => {
            let pdf = msadesk_formats::readiness_doc::document(&r).to_pdf();
            let name = format!("attachment; filename=\"readiness-{}.pdf\"", r.today);
            let mut res = (StatusCode::OK, pdf).into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
            if let Ok(v) = HeaderValue::from_str(&name) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => error_page(Some(&p), &e),
    }
}

// ---- Trace ----

fn trace_form(m: &Messages, products: &[api::ProductJson], q: &HashMap<String, String>) -> String {
    let get = |k: &str| esc(q.get(k).map_or("", |v| v.as_str()));
    let mut options = String::new();
    let chosen = q.get("product").map_or("", |v| v.as_str());
    for pr in products {
        let sel = if pr.product_id == chosen { " selected" } else { "" };
        let _ = write!(
            options,
            "<option value=\"{}\"{sel}>{} — {}</option>",
            esc(&pr.product_id),
            esc(&pr.product_id),
            esc(&pr.name)
        );
    }
    let mut versions = String::new();
    for pr in products.iter().filter(|p| p.product_id == chosen) {
        for v in &pr.versions {
            let _ = write!(versions, "<option value=\"{}\">", esc(&v.version));
        }
    }
    format!(
        "<p>{intro}</p><form class=\"inline\" method=\"get\" action=\"/trace\">\
         <div><label for=\"product\">{lp}</label><select id=\"product\" name=\"product\" required>{options}</select></div>\
         <div><label for=\"version\">{lv} <span class=\"hint\">{hv}</span></label><input id=\"version\" name=\"version\" list=\"versions\" value=\"{v}\"><datalist id=\"versions\">{versions}</datalist></div>\
         <div><label for=\"from\">{lf}</label><input id=\"from\" name=\"from\" type=\"date\" value=\"{f}\"></div>\
         <div><label for=\"to\">{lt}</label><input id=\"to\" name=\"to\" type=\"date\" value=\"{t}\"></div>\
         <div><button type=\"submit\">{go}</button></div></form>",
        intro = esc(m.trace_intro),
        lp = esc(m.field_product),
        lv = esc(m.field_version),
        hv = esc(m.field_version_hint),
        v = get("version"),
        lf = esc(m.field_from),
        f = get("from"),
        lt = esc(m.field_to),
        t = get("to"),
        go = esc(m.run_trace),
    )
}

fn trace_tables(m: &Messages, t: &msadesk_core::trace::Trace, q: &HashMap<String, String>) -> String {
    let mut s = String::new();
    let mut qs = String::new();
    for k in ["product", "version", "from", "to"] {
        if let Some(v) = q.get(k).filter(|v| !v.is_empty()) {
            let _ = write!(qs, "&amp;{k}={}", url(v));
        }
    }
    let _ = write!(
        s,
        "<p class=\"downloads\">{}: <a href=\"/trace/download?format=csv{qs}\" download>CSV</a>\
         <a href=\"/trace/download?format=json{qs}\" download>JSON</a>\
         <a href=\"/trace/download?format=epcis{qs}\" download>EPCIS 2.0</a></p>",
        esc(m.download)
    );
    for (title, hint, list) in
        [(m.upstream, m.upstream_hint, &t.upstream), (m.downstream, m.downstream_hint, &t.downstream)]
    {
        let _ = write!(s, "<h2>{} ({})</h2><p class=\"hint\">{}</p>", esc(title), list.len(), esc(hint));
        if list.is_empty() {
            let _ = write!(s, "<p>{}</p>", esc(m.nobody));
            continue;
        }
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|e| {
                vec![
                    esc(&e.name),
                    esc(&e.address),
                    esc(e.country.as_str()),
                    e.email.as_deref().map_or(String::new(), esc),
                    esc(e.role.as_str()),
                    esc(&e.first_date.to_string()),
                    esc(&e.last_date.to_string()),
                    e.quantity.to_string(),
                    e.deliveries.to_string(),
                ]
            })
            .collect();
        s.push_str(&table(
            &[
                m.col_name,
                m.col_address,
                m.col_country,
                m.col_email,
                m.col_role,
                m.col_first,
                m.col_last,
                m.col_quantity,
                m.col_deliveries,
            ],
            &rows,
        ));
    }
    let _ =
        write!(s, "<p class=\"hint\">{}: {}</p>", esc(m.legal_basis), esc(msadesk_core::legal::IDENTIFICATION.cite));
    s
}

async fn trace_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let m = msgs();
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let tq = if q.get("product").is_some_and(|v| !v.is_empty()) { Some(api::trace_query(&q)) } else { None };
    let result = st
        .pool()
        .run(move |s| {
            let products = api::products_with_versions(s)?;
            let trace = match tq {
                Some(Ok(tq)) => Some(s.trace(&tq).map_err(ApiError::from)),
                Some(Err(e)) => Some(Err(e)),
                None => None,
            };
            Ok((products, trace))
        })
        .await;
    let (products, trace) = match result {
        Ok(r) => r,
        Err(e) => return error_page(Some(&p), &e),
    };
    let mut body = trace_form(m, &products, &q);
    let mut status = StatusCode::OK;
    match trace {
        Some(Ok(t)) => body.push_str(&trace_tables(m, &t, &q)),
        Some(Err(e)) => {
            status = e.status;
            let _ = write!(body, "<p class=\"msg bad\" role=\"alert\">{}</p>", esc(&e.detail));
        }
        None => {}
    }
    page(status, m.trace_title, Some(&p), "/trace", &body)
}

fn epcis(s: &mut dyn Store, q: &TraceQuery) -> Result<Vec<u8>, ApiError> {
    use msadesk_formats::epcis::{ExportContext, write_document};
    let own = s.identity()?.ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "an EPCIS document names us as a party, and we are not set up: run `msadesk init` first",
        )
    })?;
    let gtins = s.products()?.into_iter().filter_map(|p| p.gtin.map(|g| (p.id, g))).collect();
    let mut events = Vec::new();
    s.for_each_event(q, &mut |e| {
        events.push(e);
        Ok(())
    })?;
    let ctx = ExportContext { own, creation_date: crate::now_rfc3339(), gtins };
    let mut out = Vec::new();
    write_document(&mut out, events, &ctx)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(out)
}

async fn trace_download(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = match signed_in(&st, &headers, READ).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let tq = match api::trace_query(&q) {
        Ok(tq) => tq,
        Err(e) => return error_page(Some(&p), &e),
    };
    let format = q.get("format").map_or("csv", |f| f.as_str()).to_string();
    let (ctype, ext) = match format.as_str() {
        "csv" => ("text/csv; charset=utf-8", "csv"),
        "json" => ("application/json", "json"),
        "epcis" => ("application/ld+json", "jsonld"),
        other => {
            let e = ApiError::bad_request(format!("format '{other}' is not offered: use csv, json or epcis"));
            return error_page(Some(&p), &e);
        }
    };
    let name = format!(
        "trace-{}.{ext}",
        tq.product_id.as_str().replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    let body = st
        .pool()
        .run(move |s| {
            if format == "epcis" {
                return epcis(s, &tq);
            }
            let t = s.trace(&tq)?;
            let mut out = Vec::new();
            let written = if format == "json" {
                msadesk_formats::trace_out::write_json(&mut out, &t)
            } else {
                msadesk_formats::trace_out::write_csv(&mut out, &t)
            };
            written.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            Ok(out)
        })
        .await;
    match body {
        Ok(b) => (
            [
                (header::CONTENT_TYPE, ctype.to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            b,
        )
            .into_response(),
        Err(e) => error_page(Some(&p), &e),
    }
}

// ---- Import ----

fn import_form_html(m: &Messages, p: &Principal) -> String {
    format!(
        "<p>{intro}</p><form class=\"stack\" method=\"post\" action=\"/import\" enctype=\"multipart/form-data\">{csrf}\
         <fieldset><legend>{lk}</legend>\
         <label><input type=\"radio\" name=\"kind\" value=\"supply\" checked> {ks}</label>\
         <label><input type=\"radio\" name=\"kind\" value=\"products\"> {kp}</label></fieldset>\
         <div><label for=\"file\">{lf}</label><input id=\"file\" name=\"file\" type=\"file\" accept=\".csv,.json,.jsonld,text/csv,application/json,application/ld+json\" required></div>\
         <div><label><input type=\"checkbox\" name=\"skip_invalid\" value=\"true\"> {skip}</label></div>\
         <div><button type=\"submit\">{go}</button></div></form>",
        intro = esc(m.import_intro),
        csrf = csrf_field(p),
        lk = esc(m.field_kind),
        ks = esc(m.kind_supply),
        kp = esc(m.kind_products),
        lf = esc(m.field_file),
        skip = esc(m.field_skip_invalid),
        go = esc(m.do_import),
    )
}

async fn import_form(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let m = msgs();
    match signed_in(&st, &headers, WRITE).await {
        Ok(p) => page(StatusCode::OK, m.import_title, Some(&p), "/import", &import_form_html(m, &p)),
        Err(r) => r,
    }
}

fn report_html(m: &Messages, r: &ImportReport) -> String {
    let mut s = String::new();
    if r.committed {
        let _ = write!(
            s,
            "<div class=\"msg ok\" role=\"status\"><strong>{}</strong>: {} — {} rows, {} new, {} already present{}</div>",
            esc(m.import_done),
            esc(&r.file),
            r.stats.rows,
            r.stats.new,
            r.stats.already_present,
            if r.invalid_rows > 0 { format!(", {} rejected", r.invalid_rows) } else { String::new() }
        );
    } else {
        let _ = write!(
            s,
            "<div class=\"msg bad\" role=\"alert\"><strong>{}</strong> {} ({} invalid)</div>",
            esc(&r.file),
            esc(m.import_rejected),
            r.invalid_rows
        );
    }
    if !r.diagnostics.is_empty() {
        let rows: Vec<Vec<String>> = r
            .diagnostics
            .iter()
            .map(|d| {
                vec![
                    d.line.map_or_else(|| esc(d.pointer.as_deref().unwrap_or("")), |l| l.to_string()),
                    esc(d.field.as_deref().unwrap_or("")),
                    esc(&d.message),
                ]
            })
            .collect();
        s.push_str(&table(&[m.col_line, m.col_field, m.col_problem], &rows));
    }
    s
}

async fn import_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let m = msgs();
    let p = match signed_in(&st, &headers, WRITE).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let bad = |p: &Principal, text: String| error_page(Some(p), &ApiError::bad_request(text));
    let Ok(mut form) = form else { return bad(&p, "the form must be sent as multipart/form-data".into()) };
    let (mut fields, mut file, mut file_name) = (HashMap::new(), None, String::from("upload"));
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == "file" {
                    if let Some(f) = field.file_name().filter(|f| !f.is_empty()) {
                        file_name = f.rsplit(['/', '\\']).next().unwrap_or(f).to_string();
                    }
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
    let kind = match ImportKind::parse(fields.get("kind").map_or("supply", |k| k.as_str())) {
        Ok(k) => k,
        Err(e) => return error_page(Some(&p), &e),
    };
    let form_html = import_form_html(m, &p);
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        let body = format!("<p class=\"msg bad\" role=\"alert\">{}</p>{form_html}", esc(m.no_file));
        return page(StatusCode::BAD_REQUEST, m.import_title, Some(&p), "/import", &body);
    };
    let skip = fields.get("skip_invalid").is_some_and(|v| v == "true");
    let meta = p.meta(Some(format!("web:{file_name}")));
    let name = file_name.clone();
    let report = st.pool().run(move |s| api::run_import(s, kind, &bytes, &name, skip, &meta)).await;
    match report {
        Ok(r) => {
            let status = if r.committed { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            let body = format!("{}{form_html}", report_html(m, &r));
            page(status, m.import_title, Some(&p), "/import", &body)
        }
        Err(e) => error_page(Some(&p), &e),
    }
}

// ---- Tokens ----

async fn tokens_view(st: &AppState, p: &Principal, notice: &str, status: StatusCode) -> Response {
    let m = msgs();
    let list = match st.pool().run(|s| Ok(s.tokens()?)).await {
        Ok(l) => l,
        Err(e) => return error_page(Some(p), &e),
    };
    let mut roles = String::new();
    for r in Role::ALL {
        let sel = if r == Role::Viewer { " selected" } else { "" };
        let _ = write!(roles, "<option value=\"{r}\"{sel}>{r}</option>");
    }
    let mut body = format!(
        "{notice}<p>{intro}</p><form class=\"inline\" method=\"post\" action=\"/tokens\">{csrf}\
         <div><label for=\"name\">{ln}</label><input id=\"name\" name=\"name\" required maxlength=\"80\"></div>\
         <div><label for=\"role\">{lr}</label><select id=\"role\" name=\"role\">{roles}</select></div>\
         <div><label for=\"expires\">{le}</label><input id=\"expires\" name=\"expires\" type=\"date\"></div>\
         <div><button type=\"submit\">{go}</button></div></form>",
        intro = esc(m.tokens_intro),
        csrf = csrf_field(p),
        ln = esc(m.field_token_name),
        lr = esc(m.field_role),
        le = esc(m.field_expires),
        go = esc(m.create_token),
    );
    let rows: Vec<Vec<String>> = list
        .iter()
        .rev()
        .map(|t| {
            let action = if t.revoked {
                String::new()
            } else {
                format!(
                    "<form method=\"post\" action=\"/tokens/{}/revoke\">{}<button type=\"submit\" aria-label=\"{} {}\">{}</button></form>",
                    url(&t.id),
                    csrf_field(p),
                    esc(m.revoke),
                    esc(&t.name),
                    esc(m.revoke)
                )
            };
            vec![
                format!("<code>{}</code>", esc(&t.id)),
                esc(&t.name),
                esc(t.role.as_str()),
                esc(&t.created_at),
                esc(t.expires_at.as_deref().unwrap_or("—")),
                esc(t.last_used_at.as_deref().unwrap_or(m.never)),
                esc(if t.revoked { m.revoked } else { m.active }),
                action,
            ]
        })
        .collect();
    body.push_str(&table(
        &[m.col_id, m.col_name, m.col_role, m.col_created, m.col_expires, m.col_last_used, m.col_status, ""],
        &rows,
    ));
    page(status, m.tokens_title, Some(p), "/tokens", &body)
}

async fn tokens_page(State(st): State<AppState>, headers: HeaderMap) -> Response {
    match signed_in(&st, &headers, ADMIN).await {
        Ok(p) => tokens_view(&st, &p, "", StatusCode::OK).await,
        Err(r) => r,
    }
}

async fn tokens_create(State(st): State<AppState>, headers: HeaderMap, form: FormMap) -> Response {
    let m = msgs();
    let p = match signed_in(&st, &headers, ADMIN).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if let Err(r) = check_csrf(&p, f.get("csrf")) {
        return r;
    }
    let (role, expires) =
        match api::token_fields(f.get("role").map_or("", |r| r.as_str()), f.get("expires").map(|s| s.as_str())) {
            Ok(x) => x,
            Err(e) => {
                let notice = format!("<p class=\"msg bad\" role=\"alert\">{}</p>", esc(&e.detail));
                return tokens_view(&st, &p, &notice, StatusCode::BAD_REQUEST).await;
            }
        };
    let name = f.get("name").map(|n| n.trim()).filter(|n| !n.is_empty()).unwrap_or("api").to_string();
    let (token, secret) = auth::new_token(&name, role, expires);
    let meta = p.meta(None);
    if let Err(e) = st.pool().run(move |s| Ok(s.create_token(&token, &meta)?)).await {
        return error_page(Some(&p), &e);
    }
    let notice = format!(
        "<div class=\"msg ok\" role=\"status\"><p>{}</p><p><code class=\"secret\" id=\"new-token\">{}</code></p></div>",
        esc(m.token_created),
        esc(&secret)
    );
    tokens_view(&st, &p, &notice, StatusCode::CREATED).await
}

async fn tokens_revoke(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: FormMap,
) -> Response {
    let p = match signed_in(&st, &headers, ADMIN).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = form.map(|Form(f)| f).unwrap_or_default();
    if let Err(r) = check_csrf(&p, f.get("csrf")) {
        return r;
    }
    let meta = p.meta(None);
    match st.pool().run(move |s| Ok(s.revoke_token(&id, &meta)?)).await {
        Ok(_) => Redirect::to("/tokens").into_response(),
        Err(e) => error_page(Some(&p), &e),
    }
}

// ---- API reference ----

async fn api_reference(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let m = msgs();
    let who = auth::session(&st, &headers).await.ok().flatten();
    let doc = openapi::document();
    let mut body = format!("<p>{}</p>", esc(m.api_intro));
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(ops) = item.as_object() else { continue };
            for (method, op) in ops {
                let roles = op["x-roles"]
                    .as_array()
                    .map(|r| r.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", "))
                    .unwrap_or_else(|| m.public.to_string());
                let _ = write!(
                    body,
                    "<section><h2><code>{} {}</code></h2><p>{}</p><p><strong>{}:</strong> {}</p>",
                    esc(&method.to_uppercase()),
                    esc(path),
                    esc(op["summary"].as_str().unwrap_or("")),
                    esc(m.col_roles),
                    esc(&roles)
                );
                if let Some(params) = op["parameters"].as_array() {
                    let rows: Vec<Vec<String>> = params
                        .iter()
                        .map(|p| {
                            vec![
                                format!("<code>{}</code>", esc(p["name"].as_str().unwrap_or(""))),
                                esc(p["in"].as_str().unwrap_or("")),
                                if p["required"].as_bool() == Some(true) {
                                    "required".into()
                                } else {
                                    "optional".into()
                                },
                                esc(p["description"].as_str().unwrap_or("")),
                            ]
                        })
                        .collect();
                    body.push_str(&table(&[m.col_params, m.col_in, m.col_required, m.col_description], &rows));
                }
                if let Some(responses) = op["responses"].as_object() {
                    let list: Vec<String> = responses
                        .iter()
                        .map(|(code, r)| {
                            format!(
                                "<li><code>{}</code> {}</li>",
                                esc(code),
                                esc(r["description"].as_str().unwrap_or(""))
                            )
                        })
                        .collect();
                    let _ = write!(body, "<ul>{}</ul>", list.join(""));
                }
                body.push_str("</section>");
            }
        }
    }
    page(StatusCode::OK, m.api_title, who.as_ref(), "/api", &body)
}
