//! The server in-process (`Router::oneshot`) on SQLite and PostgreSQL, plus one real-socket test.
//!
//! PostgreSQL tests work in a scratch schema of `MSADESK_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`); `MSADESK_SKIP_POSTGRES=1` skips them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use msadesk_server::routes::ENDPOINTS;
use msadesk_server::{AppState, Config, StoreFactory};
use msadesk_store::{ChangeMeta, Role, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

const PRODUCTS: &str = include_str!("data/products.csv");
const SUPPLY: &str = include_str!("data/supply.csv");
const SUPPLY_INVALID: &str = include_str!("data/supply-invalid.csv");

/// A server over one database, and what keeps the database alive while the test runs.
struct Harness {
    app: Router,
    factory: StoreFactory,
    _keep: Box<dyn std::any::Any>,
}

fn sqlite() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let factory: StoreFactory =
        Arc::new(move || Ok(Box::new(msadesk_store_sqlite::SqliteStore::open(&path)?) as Box<dyn Store>));
    harness(factory, Box::new(dir))
}

fn pg_url() -> String {
    std::env::var("MSADESK_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn postgres() -> Option<Harness> {
    if std::env::var("MSADESK_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
        eprintln!("skipped: MSADESK_SKIP_POSTGRES=1");
        return None;
    }
    // The scratch store owns the schema (dropped with it); the pool opens more stores in it.
    let owner = msadesk_store_postgres::PostgresStore::open_scratch(&pg_url())
        .unwrap_or_else(|e| panic!("PostgreSQL at {} ({e}); set MSADESK_SKIP_POSTGRES=1 to skip", pg_url()));
    let schema = owner.schema().unwrap().to_string();
    let url = pg_url();
    let factory: StoreFactory = Arc::new(move || {
        Ok(Box::new(msadesk_store_postgres::PostgresStore::open_in_schema(&url, &schema)?) as Box<dyn Store>)
    });
    Some(harness(factory, Box::new(owner)))
}

fn harness(factory: StoreFactory, keep: Box<dyn std::any::Any>) -> Harness {
    let app = msadesk_server::app(AppState::new(factory.clone(), Config::default()));
    Harness { app, factory, _keep: keep }
}

fn meta() -> ChangeMeta {
    ChangeMeta { actor: "cli:test".into(), source: None, at: "2026-12-04T10:00:00Z".into() }
}

impl Harness {
    /// Synchronous store work from inside a test's runtime (the PostgreSQL client blocks).
    fn with_store<T>(&self, f: impl FnOnce(&mut dyn Store) -> T) -> T {
        tokio::task::block_in_place(|| f((self.factory)().unwrap().as_mut()))
    }

    fn token(&self, role: Role) -> String {
        let (t, secret) = msadesk_server::auth::new_token(role.as_str(), role, None);
        self.with_store(|s| s.create_token(&t, &meta()).unwrap());
        secret
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        ctype: &str,
        body: &str,
    ) -> (StatusCode, Value, String) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if !ctype.is_empty() {
            req = req.header(header::CONTENT_TYPE, ctype);
        }
        let res = self.app.clone().oneshot(req.body(Body::from(body.to_string())).unwrap()).await.unwrap();
        let status = res.status();
        let ct = res.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json =
            if ct.contains("json") { serde_json::from_slice(&bytes).unwrap_or(Value::Null) } else { Value::Null };
        if status.is_client_error() && status != StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(ct, "application/problem+json", "{method} {uri}: errors are problem details: {text}");
        }
        (status, json, text)
    }

    async fn get(&self, uri: &str, token: &str) -> (StatusCode, Value) {
        let (s, v, _) = self.call("GET", uri, Some(token), "", "").await;
        (s, v)
    }
}

// ---- The role matrix ----

/// A request that an admitted role gets past authorisation with (the answer may still be 4xx).
fn sample(method: &str, path: &str) -> (String, &'static str, &'static str) {
    let uri = path.replace("{id}", "CAM-1").replace("{kind}", "supply").replace("{number}", "1");
    let uri = match uri.as_str() {
        "/api/v1/trace" => "/api/v1/trace?product=CAM-1".to_string(),
        "/api/v1/tokens/CAM-1" => "/api/v1/tokens/tok_missing".to_string(),
        _ => uri,
    };
    match (method, path) {
        ("post", "/api/v1/tokens") => (uri, "application/json", r#"{"role":"viewer","name":"matrix"}"#),
        ("post", "/api/v1/supply-events") => (uri, "application/json", r#"{"direction":"nonsense"}"#),
        ("post", _) => (uri, "text/csv", "direction\n"),
        _ => (uri, "", ""),
    }
}

async fn role_matrix(h: &Harness) {
    h.with_store(|s| s.import_products(&mut msadesk_store::VecSource::new(vec![]), &meta()).unwrap());
    let tokens: Vec<(Role, String)> = Role::ALL.iter().map(|r| (*r, h.token(*r))).collect();
    let mut walked = 0;
    for e in ENDPOINTS {
        let (uri, ctype, body) = sample(e.method, e.path);
        let method = e.method.to_uppercase();
        let (status, _, text) = h.call(&method, &uri, None, ctype, body).await;
        match e.roles {
            None => assert!(status.is_success(), "{method} {uri} needs no authentication: {status} {text}"),
            Some(_) => assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} without a token: {text}"),
        }
        let Some(allowed) = e.roles else { continue };
        for (role, token) in &tokens {
            let (status, _, text) = h.call(&method, &uri, Some(token), ctype, body).await;
            walked += 1;
            if allowed.contains(role) {
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED && !status.is_server_error(),
                    "{role} may {method} {uri}: got {status} {text}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} may not {method} {uri}: {text}");
            }
        }
    }
    assert!(walked >= 4 * 12, "the matrix covers every authenticated endpoint and role");
    // Inspectors see nothing of the registry until something is shared with them.
    let inspector = &tokens[3].1;
    for uri in [
        "/api/v1/products",
        "/api/v1/operators",
        "/api/v1/supply-events",
        "/api/v1/trace?product=CAM-1",
        "/api/v1/authorities",
        "/api/v1/requests",
    ] {
        assert_eq!(h.get(uri, inspector).await.0, StatusCode::FORBIDDEN, "{uri}");
    }
}

/// A runtime for the PostgreSQL tests, which create and drop their scratch schema outside it.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_matrix_sqlite() {
    role_matrix(&sqlite()).await;
}

#[test]
fn role_matrix_postgres() {
    if let Some(h) = postgres() {
        runtime().block_on(role_matrix(&h));
    }
}

// ---- The API, end to end ----

async fn api_story(h: &Harness) {
    let officer = h.token(Role::Officer);
    let viewer = h.token(Role::Viewer);

    let (s, r, _) =
        h.call("POST", "/api/v1/imports/products?name=products.csv", Some(&officer), "text/csv", PRODUCTS).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["committed"].as_bool(), r["new"].as_u64()), (Some(true), Some(3)));
    let (s, r, _) = h.call("POST", "/api/v1/imports/supply?name=supply.csv", Some(&officer), "text/csv", SUPPLY).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["new"], 5);

    // A rejected file: 422, nothing written, diagnostics with line and field.
    let (s, r, _) =
        h.call("POST", "/api/v1/imports/supply?name=bad.csv", Some(&officer), "text/csv", SUPPLY_INVALID).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["committed"], false);
    assert_eq!(r["invalid_rows"], 1);
    let diags = r["diagnostics"].as_array().unwrap();
    assert!(diags.iter().all(|d| d["line"] == 3), "{r}");
    assert!(diags.iter().any(|d| d["field"] == "date"), "{r}");
    assert!(r["detail"].as_str().unwrap().contains("nothing was imported"));
    // With skip_invalid, the valid row goes in and the rejected one comes back as CSV.
    let (s, r, _) = h
        .call(
            "POST",
            "/api/v1/imports/supply?name=bad.csv&skip_invalid=true",
            Some(&officer),
            "text/csv",
            SUPPLY_INVALID,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["new"].as_u64(), r["invalid_rows"].as_u64()), (Some(1), Some(1)));
    assert!(r["rejected_csv"].as_str().unwrap().starts_with("line,error,"));

    // The trace is exactly the CLI's JSON (the same writer, byte for byte).
    let (s, _, text) =
        h.call("GET", "/api/v1/trace?product=CAM-1&from=2026-01-10&to=2026-01-31", Some(&viewer), "", "").await;
    assert_eq!(s, StatusCode::OK);
    let q = msadesk_core::trace::TraceQuery {
        product_id: msadesk_core::ProductId::parse("CAM-1").unwrap(),
        version: None,
        from: msadesk_core::Date::from_ymd(2026, 1, 10),
        to: msadesk_core::Date::from_ymd(2026, 1, 31),
    };
    let mut expected = Vec::new();
    msadesk_formats::trace_out::write_json(&mut expected, &h.with_store(|s| s.trace(&q)).unwrap()).unwrap();
    assert_eq!(text, String::from_utf8(expected).unwrap());
    let t: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(t["downstream"][0]["quantity"], 50);

    // Bad input is a 4xx that names the parameter.
    for (uri, want, needle) in [
        ("/api/v1/trace?product=CAM-1&from=2026-02-30", StatusCode::BAD_REQUEST, "from"),
        ("/api/v1/trace?product=CAM-1&from=2026-02-01&to=2026-01-01", StatusCode::BAD_REQUEST, "swap"),
        ("/api/v1/trace", StatusCode::BAD_REQUEST, "product"),
        ("/api/v1/trace?product=NOPE", StatusCode::NOT_FOUND, "NOPE"),
        ("/api/v1/products/NOPE", StatusCode::NOT_FOUND, "NOPE"),
        ("/api/v1/supply-events?limit=0", StatusCode::BAD_REQUEST, "limit"),
        ("/api/v1/supply-events?limit=x", StatusCode::BAD_REQUEST, "limit"),
        ("/api/v1/supply-events?direction=sideways", StatusCode::BAD_REQUEST, "direction"),
        ("/api/v1/nothing-here", StatusCode::NOT_FOUND, "openapi"),
    ] {
        let (s, r) = h.get(uri, &viewer).await;
        assert_eq!(s, want, "{uri}: {r}");
        assert!(r["detail"].as_str().unwrap().contains(needle), "{uri}: {r}");
    }

    // Products, versions, operators.
    let (_, r) = h.get("/api/v1/products", &viewer).await;
    assert_eq!(r.as_array().unwrap().len(), 2);
    assert_eq!(r[0]["versions"].as_array().unwrap().len(), 2);
    let (_, r) = h.get("/api/v1/products/CAM-1/versions", &viewer).await;
    assert_eq!(r[1]["version"], "2.0");
    let (_, r) = h.get("/api/v1/operators", &viewer).await;
    assert!(r.as_array().unwrap().iter().any(|o| o["operator_id"] == "D-3"));

    // Supply events: filters and paging.
    let (_, r) = h.get("/api/v1/supply-events?product=CAM-1&direction=supplied&limit=2&offset=1", &viewer).await;
    assert_eq!(r["total"], 5);
    assert_eq!(r["items"].as_array().unwrap().len(), 2);
    assert_eq!(r["items"][0]["date"], "2026-01-31");
    let (_, r) = h.get("/api/v1/supply-events?from=2026-02-01&to=2026-02-28", &viewer).await;
    assert_eq!(r["total"], 2);
    let (_, r) = h.get("/api/v1/supply-events?product=CAM-1&version=2.0", &viewer).await;
    assert_eq!(r["total"], 1);

    // Creating one event: checked like a CSV row.
    let event = json!({
        "direction": "supplied", "date": "2026-04-01", "product_id": "PLUG", "version": "1.0", "quantity": 3,
        "counterparty_id": "D-1", "counterparty_name": "Łódź \"Elektro\" Sp. z o.o.",
        "counterparty_address": "ul. Długa 1, 90-001 Łódź", "counterparty_country": "PL",
        "counterparty_email": "biuro@elektro.example", "counterparty_role": "distributor", "reference": "INV-99"
    });
    let (s, r, _) =
        h.call("POST", "/api/v1/supply-events", Some(&officer), "application/json", &event.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["new"], 1);
    let mut bad = event.clone();
    bad["quantity"] = json!(-1);
    let (s, r, _) = h.call("POST", "/api/v1/supply-events", Some(&officer), "application/json", &bad.to_string()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["diagnostics"][0]["field"], "quantity");
    let (s, _, _) = h.call("POST", "/api/v1/supply-events", Some(&officer), "application/json", "{not json").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) =
        h.call("POST", "/api/v1/supply-events", Some(&viewer), "application/json", &event.to_string()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Every write is audited with the token as actor; the chain stays intact.
    let audit = h.with_store(|s| s.audit_entries()).unwrap();
    assert!(msadesk_core::audit::verify(&audit).is_none());
    let imports: Vec<_> = audit.iter().filter(|e| e.action == "import").collect();
    assert_eq!(imports.len(), 4, "products, supply, skip-invalid supply, one event (the rejected ones wrote nothing)");
    assert!(imports.iter().all(|e| e.actor.starts_with("token:tok_")), "{imports:?}");
    assert!(imports[0].detail.contains("api:products.csv"));

    // Tokens over the API: admin only; the secret is shown once and works; revoked, it stops working.
    let admin = h.token(Role::Admin);
    let (s, r, _) = h
        .call(
            "POST",
            "/api/v1/tokens",
            Some(&admin),
            "application/json",
            r#"{"role":"viewer","name":"erp","expires":"2099-12-31"}"#,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let secret = r["token"].as_str().unwrap().to_string();
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["expires_at"], "2100-01-01T00:00:00Z");
    assert_eq!(h.get("/api/v1/me", &secret).await.1["role"], "viewer");
    let (_, list) = h.get("/api/v1/tokens", &admin).await;
    assert!(!list.to_string().contains(&secret), "secrets are never listed");
    let (s, _, _) = h.call("DELETE", &format!("/api/v1/tokens/{id}"), Some(&admin), "", "").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(h.get("/api/v1/me", &secret).await.0, StatusCode::UNAUTHORIZED);
    let (s, _, _) = h.call("POST", "/api/v1/tokens", Some(&admin), "application/json", r#"{"role":"emperor"}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // An expired token is refused.
    let (mut old, old_secret) =
        msadesk_server::auth::new_token("old", Role::Viewer, Some("2020-01-01T00:00:00Z".into()));
    old.id = "tok_expired".into();
    h.with_store(|s| s.create_token(&old, &meta())).unwrap();
    assert_eq!(h.get("/api/v1/me", &old_secret).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(h.get("/api/v1/me", "msd_made_up").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_story_sqlite() {
    api_story(&sqlite()).await;
}

#[test]
fn api_story_postgres() {
    if let Some(h) = postgres() {
        runtime().block_on(api_story(&h));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_metrics_headers_and_limits() {
    let h = sqlite();
    let (s, r, _) = h.call("GET", "/healthz", None, "", "").await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("ok")));
    let res = h.app.clone().oneshot(Request::get("/login").body(Body::empty()).unwrap()).await.unwrap();
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline")
    );
    assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let (_, _, text) = h.call("GET", "/metrics", None, "", "").await;
    assert!(text.contains("msadesk_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{text}");

    // A body over the limit is refused with 413, before it is read to the end.
    let small =
        msadesk_server::app(AppState::new(h.factory.clone(), Config { max_body_bytes: 1024, ..Config::default() }));
    let officer = h.token(Role::Officer);
    let big = "x".repeat(4096);
    let req = Request::post("/api/v1/imports/supply")
        .header(header::AUTHORIZATION, format!("Bearer {officer}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(big))
        .unwrap();
    let res = small.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
    // A malformed query string and a wrong method are problem details too.
    let (s, r, _) = h.call("GET", "/api/v1/trace?product=%FF%FE", Some(&officer), "", "").await;
    assert!(s.is_client_error(), "{s} {r}");
    let (s, r, _) = h.call("PUT", "/api/v1/products", Some(&officer), "", "").await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{r}");
    assert!(r["detail"].as_str().unwrap().contains("openapi"));
}

#[test]
fn openapi_document_matches_the_committed_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let now = msadesk_server::openapi::document_text();
    if std::env::var("MSADESK_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &now).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == now,
        "the OpenAPI document changed: review the difference, then run MSADESK_UPDATE_SNAPSHOTS=1 cargo test -p msadesk-server and commit crates/msadesk-server/openapi.json"
    );
    let doc: Value = serde_json::from_str(&now).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    // Every endpoint of the table is in the document, with its roles.
    for e in ENDPOINTS {
        let op = &doc["paths"][e.path][e.method];
        assert_eq!(op["operationId"], e.operation_id);
    }
}

// ---- Pages ----

/// A browser without JavaScript: keeps cookies, follows nothing by itself.
struct Browser<'a> {
    h: &'a Harness,
    cookies: std::collections::BTreeMap<String, String>,
    proto: Option<&'static str>,
}

struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Browser<'_> {
    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Page {
        let mut req = req;
        if !self.cookies.is_empty() {
            let c: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header(header::COOKIE, c.join("; "));
        }
        if let Some(p) = self.proto {
            req = req.header("x-forwarded-proto", p);
        }
        let res = self.h.app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, _) = v.split_once(';').unwrap();
            let (k, val) = kv.split_once('=').unwrap();
            if val.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.into(), val.into());
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        Page { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&mut self, uri: &str) -> Page {
        self.send(Request::get(uri), Body::empty()).await
    }

    async fn post_form(&mut self, uri: &str, form: &[(&str, &str)]) -> Page {
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
        let req = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(req, Body::from(body.join("&"))).await
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn hidden(text: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = text.find(&needle).unwrap_or_else(|| panic!("no {name} field in {text}")) + needle.len();
    text[start..].split('"').next().unwrap().to_string()
}

fn multipart(fields: &[(&str, &str)], file_name: &str, file: &str) -> (String, String) {
    let boundary = "----msadesk-test-boundary";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_log_in_import_trace_and_download() {
    let h = sqlite();
    h.with_store(|s| {
        msadesk_server::auth::add_user(s, "olga", Role::Officer, "correct horse battery", &meta()).unwrap();
        msadesk_server::auth::add_user(s, "vera", Role::Viewer, "correct horse battery", &meta()).unwrap();
    });
    let mut b = Browser { h: &h, cookies: Default::default(), proto: Some("https") };

    // Not signed in: every page sends to the login page.
    let p = b.get("/products").await;
    assert_eq!((p.status, p.headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/login"));

    let p = b.get("/login").await;
    let login_csrf = hidden(&p.text, "csrf");
    // A login form without the double-submit cookie's value is refused.
    let p =
        b.post_form("/login", &[("username", "olga"), ("password", "correct horse battery"), ("csrf", "forged")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let login_csrf2 = hidden(&p.text, "csrf");
    assert_ne!(login_csrf, login_csrf2);
    let p = b.post_form("/login", &[("username", "olga"), ("password", "wrong"), ("csrf", &login_csrf2)]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.text.contains("The user name or the password is wrong."));
    let csrf = hidden(&p.text, "csrf");
    let p =
        b.post_form("/login", &[("username", "olga"), ("password", "correct horse battery"), ("csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text);
    let set: Vec<&str> = p.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
    let session = set.iter().find(|c| c.starts_with("msadesk_session=")).unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(session.contains(flag), "{session} lacks {flag}");
    }

    // Dashboard, then an import that is rejected with its line errors, then a good one.
    let p = b.get("/").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("Supply events") && p.text.contains("olga"));
    let p = b.get("/import").await;
    let csrf = hidden(&p.text, "csrf");
    let (ct, body) = multipart(&[("csrf", &csrf), ("kind", "supply")], "bad.csv", SUPPLY_INVALID);
    let p = b.send(Request::post("/import").header(header::CONTENT_TYPE, ct), Body::from(body)).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.text.contains("Rejected: nothing was imported"), "{}", p.text);
    assert!(p.text.contains("<td>3</td><td>date</td>"), "{}", p.text);
    // Without the CSRF token, nothing is imported.
    let (ct, body) = multipart(&[("kind", "products")], "products.csv", PRODUCTS);
    let p = b.send(Request::post("/import").header(header::CONTENT_TYPE, ct), Body::from(body)).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let (ct, body) = multipart(&[("csrf", &csrf), ("kind", "products")], "products.csv", PRODUCTS);
    let p = b.send(Request::post("/import").header(header::CONTENT_TYPE, ct), Body::from(body)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    let (ct, body) = multipart(&[("csrf", &csrf), ("kind", "supply")], "supply.csv", SUPPLY);
    let p = b.send(Request::post("/import").header(header::CONTENT_TYPE, ct), Body::from(body)).await;
    assert!(p.text.contains("5 rows, 5 new"), "{}", p.text);
    assert!(
        h.with_store(|s| s.audit_entries())
            .unwrap()
            .iter()
            .any(|e| e.actor == "user:olga" && e.detail.contains("web:supply.csv"))
    );

    // Trace page: tables, escaped names, download links; the CSV download is the CLI's CSV.
    let p = b.get("/trace?product=CAM-1&version=&from=2026-01-01&to=2026-12-31").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; Handel GmbH"));
    assert!(!p.text.contains("<script>"));
    assert!(p.text.contains("/trace/download?format=csv&amp;product=CAM-1"));
    let p = b.get("/trace/download?format=csv&product=CAM-1&from=2026-01-01&to=2026-12-31").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("trace-CAM-1.csv"));
    assert!(p.text.starts_with("direction,operator_id,name"));
    let p = b.get("/trace?product=CAM-1&from=nonsense").await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    let p = b.get("/products").await;
    assert!(p.text.contains("CAM-1") && p.text.contains("PLUG"));
    let p = b.get("/operators").await;
    assert!(p.text.contains("D-2"));
    // An officer is no admin.
    assert_eq!(b.get("/tokens").await.status, StatusCode::FORBIDDEN);
    // The audit trail page: the chain verifies, the imports are listed with their actor, and the
    // entity filter keeps only what was asked for.
    let p = b.get("/audit").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("The audit trail verifies"), "{}", p.text);
    assert!(p.text.contains("<td>user:olga</td><td>supply_events</td><td>import</td>"), "{}", p.text);
    let p = b.get("/audit?entity=products").await;
    assert!(p.text.contains("<td>products</td>") && !p.text.contains("<td>supply_events</td>"), "{}", p.text);

    // Logging out needs the CSRF token and ends the session.
    let csrf = hidden(&b.get("/").await.text, "csrf");
    assert_eq!(b.post_form("/logout", &[("csrf", "nope")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(b.post_form("/logout", &[("csrf", &csrf)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/").await.status, StatusCode::SEE_OTHER);

    // A viewer sees the registry but not the import page.
    let mut v = Browser { h: &h, cookies: Default::default(), proto: None };
    let csrf = hidden(&v.get("/login").await.text, "csrf");
    let p =
        v.post_form("/login", &[("username", "vera"), ("password", "correct horse battery"), ("csrf", &csrf)]).await;
    let session = p
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("msadesk_session="))
        .unwrap();
    assert!(!session.contains("Secure"), "plain HTTP without a proxy: no Secure flag");
    assert_eq!(v.get("/products").await.status, StatusCode::OK);
    assert_eq!(v.get("/import").await.status, StatusCode::FORBIDDEN);
    assert_eq!(v.get("/audit").await.status, StatusCode::FORBIDDEN);

    // An inspector signs in to an empty dashboard and sees none of the registry.
    h.with_store(|s| {
        msadesk_server::auth::add_user(s, "ines", Role::Inspector, "correct horse battery", &meta()).unwrap()
    });
    let mut i = Browser { h: &h, cookies: Default::default(), proto: None };
    let csrf = hidden(&i.get("/login").await.text, "csrf");
    i.post_form("/login", &[("username", "ines"), ("password", "correct horse battery"), ("csrf", &csrf)]).await;
    let p = i.get("/").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("Nothing has been shared with you yet.") && !p.text.contains("Supply events"));
    for uri in [
        "/products",
        "/operators",
        "/trace?product=CAM-1",
        "/trace/download?product=CAM-1",
        "/import",
        "/tokens",
        "/audit",
    ] {
        assert_eq!(i.get(uri).await.status, StatusCode::FORBIDDEN, "{uri}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_manage_tokens_and_logins_are_rate_limited() {
    let h = sqlite();
    h.with_store(|s| msadesk_server::auth::add_user(s, "root", Role::Admin, "a long admin password", &meta()).unwrap());
    let mut b = Browser { h: &h, cookies: Default::default(), proto: None };
    let csrf = hidden(&b.get("/login").await.text, "csrf");
    b.post_form("/login", &[("username", "root"), ("password", "a long admin password"), ("csrf", &csrf)]).await;
    let p = b.get("/tokens").await;
    assert_eq!(p.status, StatusCode::OK);
    let csrf = hidden(&p.text, "csrf");
    let p = b.post_form("/tokens", &[("csrf", &csrf), ("name", "erp"), ("role", "viewer"), ("expires", "")]).await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
    let secret = p.text.split("id=\"new-token\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(h.get("/api/v1/me", &secret).await.1["name"], "erp");
    let id = h.with_store(|s| s.tokens()).unwrap()[0].id.clone();
    let p = b.post_form(&format!("/tokens/{id}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(h.get("/api/v1/me", &secret).await.0, StatusCode::UNAUTHORIZED);

    // Five wrong passwords for a name, and even the right one is refused for a while.
    let mut a = Browser { h: &h, cookies: Default::default(), proto: None };
    for _ in 0..5 {
        let csrf = hidden(&a.get("/login").await.text, "csrf");
        let p = a.post_form("/login", &[("username", "root"), ("password", "guess"), ("csrf", &csrf)]).await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    }
    let csrf = hidden(&a.get("/login").await.text, "csrf");
    let p =
        a.post_form("/login", &[("username", "root"), ("password", "a long admin password"), ("csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);

    // The API reference page is rendered from the OpenAPI document.
    let p = b.get("/api").await;
    assert!(p.text.contains("GET /api/v1/trace") && p.text.contains("admin, officer, viewer"));
}

/// A real socket: bind port 0 first, serve, ask, shut down gracefully.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_socket_serves_and_shuts_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = sqlite();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(h.factory.clone(), Config::default());
    let server = tokio::spawn(msadesk_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.contains("{\"status\":\"ok\"}"));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

// ---- The MSA inbox over the API ----

async fn inbox_story(h: &Harness) {
    use msadesk_core::inbox::{Ask, DeadlineRule, NewRequest, RequestInput};
    let viewer = h.token(Role::Viewer);
    let officer = h.token(Role::Officer);
    let (s, dir) = h.get("/api/v1/authorities", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    let bnetza = dir.as_array().unwrap().iter().find(|a| a["id"] == "de-bnetza").unwrap();
    assert_eq!((bnetza["confirmed"].as_bool(), bnetza["time_zone"].as_str()), (Some(false), Some("Europe/Berlin")));

    let id = h.with_store(|s| {
        let authority = s.authorities().unwrap().into_iter().find(|a| a.id == "de-bnetza").unwrap();
        let holidays = s.holidays().unwrap();
        let new = NewRequest::build(
            RequestInput {
                authority: &authority,
                reference: "BNetzA-2026-17",
                received: "2026-12-23T09:30",
                deadline: DeadlineRule::WorkingDays(3),
                product: msadesk_core::ProductId::parse("CAM-1").unwrap(),
                version: None,
                from: None,
                to: None,
                asks: vec![Ask::Trace],
                ack_hours: 24,
            },
            &holidays,
        )
        .unwrap();
        s.add_request(&new, &meta()).unwrap().id
    });
    let (s, list) = h.get("/api/v1/requests?overdue=true&now=2026-12-30T00:00:00Z", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let r = &list[0];
    for key in ["id", "authority", "reference", "received_at", "ack_due", "acknowledged_at", "due", "status", "overdue"]
    {
        assert!(r.get(key).is_some(), "{key} missing in {r}");
    }
    assert_eq!((r["due"].as_str(), r["overdue"].as_bool()), (Some("2026-12-29"), Some(true)));
    let (_, none) = h.get("/api/v1/requests?overdue=true&now=2026-12-28T00:00:00Z", &viewer).await;
    assert_eq!(none, serde_json::json!([]));

    let uri = format!("/api/v1/requests/{id}/ack");
    let (s, _, _) = h.call("POST", &uri, Some(&viewer), "", "").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, acked, text) = h.call("POST", &uri, Some(&officer), "", "").await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(acked["status"], "acknowledged");
    let (s, _, text) = h.call("POST", &uri, Some(&officer), "", "").await;
    assert_eq!(s, StatusCode::CONFLICT, "acknowledging twice: {text}");
    assert!(text.contains("acknowledged again"), "{text}");
    let (s, one) = h.get(&format!("/api/v1/requests/{id}"), &viewer).await;
    assert_eq!(s, StatusCode::OK);
    let steps: Vec<&str> = one["timeline"].as_array().unwrap().iter().map(|t| t["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["received", "acknowledged"]);
    assert!(one["timeline"][1]["actor"].as_str().unwrap().starts_with("token:"));
    assert_eq!(h.get("/api/v1/requests/999", &viewer).await.0, StatusCode::NOT_FOUND);
    assert_eq!(h.get("/api/v1/requests/x", &viewer).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_over_the_api_sqlite() {
    inbox_story(&sqlite()).await;
}

#[test]
fn inbox_over_the_api_postgres() {
    if let Some(h) = postgres() {
        runtime().block_on(inbox_story(&h));
    }
}

// ---- Risk assessments ----

fn record_assessment(s: &mut dyn Store, vuln: &str, significant: bool, due: &str) -> i64 {
    let assessment = serde_json::json!({
        "product_id": "CAM-1", "version": "1.0", "vulnerability": vuln, "aliases": [vuln, "GHSA-xxxx"],
        "summary": "Prototype pollution <script>", "affected": true,
        "cvss": {"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "base_score": 9.8},
        "indicators": {"actively_exploited": null, "cvss_critical": significant, "mass_impact": false},
        "fired": if significant { vec!["cvss_critical"] } else { vec![] },
        "rules": [{"rule": "cvss_critical", "fired": significant, "explanation": "highest base score 9.8"}],
        "significant": significant, "policy_version": "operator-policy-2",
        "evidence": [{"source": "OSV", "kind": "vulnerability feed", "taken_at": "2026-12-01", "file": "osv.json"}],
        "obligations": [
            {"to": "msa", "what": "inform", "member_states": ["DE", "PL"], "basis": {"cite": "CRA Art 19(5)", "summary": "x"},
             "due": due, "timing": "24 h", "legal_duty": true},
            {"to": "end_users", "what": "inform", "member_states": [], "basis": {"cite": "Regulation (EU) 2019/1020 Art 16(3)(g)", "summary": "x"},
             "due": due, "timing": "24 h", "legal_duty": false}
        ],
        "drafts": [{"to": "msa", "what": "inform", "language": "en", "legal_duty": true, "basis": "CRA Art 19(5)",
                    "due": due, "subject": "Significant cybersecurity risk: Camera 1.0", "body": "Dear authority"}],
        "first_significant_at": "2026-12-01T10:00:00Z"
    });
    let r = msadesk_store::RiskDecisionRecord {
        id: 0,
        product_id: msadesk_core::ProductId::parse("CAM-1").unwrap(),
        version: msadesk_core::Version::parse("1.0").unwrap(),
        vulnerability: vuln.into(),
        significant,
        // An operator's own policy file: the server cannot re-assess under it (only the CLI can).
        policy_version: "operator-policy-2".into(),
        decided_at: String::new(),
        decided_by: String::new(),
        assessment,
    };
    s.record_decision(&r, &meta()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assessments_api_and_pages() {
    let h = sqlite();
    let (quiet, loud) = h.with_store(|s| {
        msadesk_server::auth::add_user(s, "olga", Role::Officer, "correct horse battery", &meta()).unwrap();
        let quiet = record_assessment(s, "CVE-2026-00001", false, "2099-01-01T00:00:00Z");
        let loud = record_assessment(s, "CVE-2026-00002", true, "2026-12-02T10:00:00Z");
        (quiet, loud)
    });
    let viewer = h.token(Role::Viewer);
    let officer = h.token(Role::Officer);

    // Significant first; the list is a summary.
    let (status, list) = h.get("/api/v1/assessments", &viewer).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = list.as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [loud, quiet]);
    assert_eq!(list[0]["assessment"], Value::Null);
    let (_, one) = h.get(&format!("/api/v1/assessments/{loud}"), &viewer).await;
    assert_eq!(one["assessment"]["evidence"][0]["source"], "OSV");
    assert_eq!(h.get("/api/v1/assessments/999", &viewer).await.0, StatusCode::NOT_FOUND);

    // The past-due legal duty is overdue; the recommendation and the future one are not.
    let (_, overdue) = h.get("/api/v1/obligations?overdue=true", &viewer).await;
    let got: Vec<(i64, &str)> = overdue
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["assessment_id"].as_i64().unwrap(), o["to"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [(loud, "msa")]);
    let (_, all) = h.get("/api/v1/obligations", &viewer).await;
    assert_eq!(all.as_array().unwrap().len(), 4);

    // Marking sent: viewers may not; a wrong obligation is refused; then it is closed and audited.
    let uri = format!("/api/v1/assessments/{loud}/notices");
    let body = r#"{"to": "msa", "what": "inform", "sent_at": "2026-12-02T11:00:00+01:00", "reference": "BNetzA-17"}"#;
    assert_eq!(h.call("POST", &uri, Some(&viewer), "application/json", body).await.0, StatusCode::FORBIDDEN);
    let (status, _, text) = h.call("POST", &uri, Some(&officer), "application/json", r#"{"to": 7}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("the body is not a notice ({"), "{text}");
    let (status, _, text) =
        h.call("POST", &uri, Some(&officer), "application/json", r#"{"to": "csirt_enisa", "what": "inform"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("it has: msa (inform), end_users (inform)"), "{text}");
    let (status, v, text) = h.call("POST", &uri, Some(&officer), "application/json", body).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_eq!(
        (v["obligations"][0]["status"].as_str(), v["obligations"][0]["overdue"].as_bool()),
        (Some("sent"), Some(false))
    );
    assert_eq!(v["obligations"][0]["sent"]["sent_at"], "2026-12-02T10:00:00Z");
    assert_eq!(h.get("/api/v1/obligations?overdue=true", &viewer).await.1, serde_json::json!([]));
    let last = h.with_store(|s| s.audit_entries().unwrap().pop().unwrap());
    assert_eq!((last.entity.as_str(), last.action.as_str()), ("notice", "sent"));

    // An officer's decision needs a reason, is recorded and wins.
    let uri = format!("/api/v1/assessments/{loud}/decision");
    let (status, _, _) =
        h.call("POST", &uri, Some(&officer), "application/json", r#"{"significant": false, "reason": " "}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, text) = h.call("POST", &uri, Some(&officer), "application/json", "significant").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(text.contains("the body is not a decision ({"), "{text}");
    let (status, v, text) = h
        .call("POST", &uri, Some(&officer), "application/json", r#"{"significant": false, "reason": "not reachable"}"#)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_eq!((v["significant"].as_bool(), v["officer"]["reason"].as_str()), (Some(false), Some("not reachable")));
    assert_eq!(v["reassessment_pending"], true, "assessed under an operator's policy: the CLI re-assesses");

    // Pages: the list, the assessment explained, the forms, the dashboard block.
    let mut b = Browser { h: &h, cookies: Default::default(), proto: None };
    let csrf = hidden(&b.get("/login").await.text, "csrf");
    b.post_form("/login", &[("username", "olga"), ("password", "correct horse battery"), ("csrf", &csrf)]).await;
    let p = b.get("/assessments").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains(&format!("href=\"/assessments/{quiet}\"")), "{}", p.text);
    let p = b.get(&format!("/assessments/{quiet}")).await;
    assert_eq!(p.status, StatusCode::OK);
    for want in [
        "cvss_critical",
        "highest base score 9.8",
        "osv.json",
        "Significant cybersecurity risk: Camera 1.0",
        "Prototype pollution &lt;script&gt;",
        "Mark sent",
        "Record decision",
    ] {
        assert!(p.text.contains(want), "{want} missing in {}", p.text);
    }
    let csrf = hidden(&p.text, "csrf");
    let form = [("csrf", csrf.as_str()), ("to", "msa"), ("what", "inform"), ("sent_at", ""), ("reference", "x")];
    assert_eq!(
        b.post_form(&format!("/assessments/{quiet}/notices"), &[("csrf", "nope"), ("to", "msa"), ("what", "inform")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = b.post_form(&format!("/assessments/{quiet}/notices"), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let p = b.get(&format!("/assessments/{quiet}?done=notice")).await;
    assert!(p.text.contains("Notice recorded as sent."));
    let r = b
        .post_form(
            &format!("/assessments/{quiet}/decision"),
            &[("csrf", &csrf), ("significant", "true"), ("reason", "exploit seen")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let p = b.get("/").await;
    assert!(p.text.contains("Obligations") && p.text.contains("No overdue obligations"), "{}", p.text);
}

// ---- Corrective actions: the acknowledgement link and the API (issue 8) ----

/// A request to a public page (HTML answers, also for refusals).
async fn public(h: &Harness, method: &str, uri: &str, form: &str) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if !form.is_empty() {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let res = h.app.clone().oneshot(req.body(Body::from(form.to_string())).unwrap()).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn action_story(h: &Harness) {
    use msadesk_core::action::*;
    let officer = h.token(Role::Officer);
    let viewer = h.token(Role::Viewer);
    h.call("POST", "/api/v1/imports/products?name=products.csv", Some(&officer), "text/csv", PRODUCTS).await;
    h.call("POST", "/api/v1/imports/supply?name=supply.csv", Some(&officer), "text/csv", SUPPLY).await;
    let id = h.with_store(|s| {
        let new = NewAction {
            action_type: ActionType::Recall,
            source: Source::Voluntary,
            product_id: msadesk_core::ProductId::parse("CAM-1").unwrap(),
            versions: vec![msadesk_core::Version::parse("1.0").unwrap()],
            scope: vec![],
            received: msadesk_core::Date::parse("2026-12-04").unwrap(),
            due: msadesk_core::Date::parse("2099-01-31").unwrap(),
            hearing_until: None,
            urgent: false,
            level: Level::A,
            summary: "Remote code execution".into(),
            request_id: None,
            decision_id: None,
        };
        let a = s.add_action(&new, &meta()).unwrap();
        s.action_step(a.id, Status::Acknowledged, None, &meta()).unwrap();
        let r = msadesk_server::recall::notify_round(
            s,
            a.id,
            msadesk_server::recall::Round::First,
            "https://desk.example",
            &meta(),
        )
        .unwrap();
        // D-2 has no e-mail address: escalation list.
        assert_eq!((r.queued, r.without_address.clone()), (1, vec!["D-2".to_string()]));
        a.id
    });
    // The secret is only in the queued message.
    let body = h.with_store(|s| s.outbox(None, Some(id), 10).unwrap()[0].message.body.clone());
    assert!(body.contains("Units supplied to you: 50"), "{body}");
    // D-1 is in Poland: the Polish letter follows the English one.
    assert!(body.contains("Szanowni"), "{body}");
    let at = body.find("https://desk.example/ack/").unwrap() + "https://desk.example/ack/".len();
    let secret: String =
        body[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    assert!(secret.len() >= 40, "{secret}");
    let hash = msadesk_core::audit::sha256_hex(secret.as_bytes());
    assert!(h.with_store(|s| s.ack_token(&hash).unwrap()).is_some(), "only the hash is stored");

    let (s, page) = public(h, "GET", &format!("/ack/{secret}"), "").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("units_returned") && page.contains("CAM-1"), "{page}");
    let (s, page) = public(
        h,
        "POST",
        &format!("/ack/{secret}"),
        "units_on_hand=0&units_returned=40&units_updated=0&units_destroyed=10&sub_recipients_notified=2",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("recorded"), "{page}");
    // Used, unknown, malformed: a page that says why.
    let (s, page) = public(h, "POST", &format!("/ack/{secret}"), "units_on_hand=0").await;
    assert_eq!(s, StatusCode::GONE, "{page}");
    assert!(page.contains("used already"), "{page}");
    let (s, page) = public(h, "GET", &format!("/ack/{secret}"), "").await;
    assert_eq!(s, StatusCode::GONE, "{page}");
    let (s, _) = public(h, "GET", "/ack/unknownsecretunknownsecretunknownsecret", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = public(h, "GET", "/ack/bad%20secret", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The API: figures, report, reminders with roles.
    let (s, list) = h.get("/api/v1/actions", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    let a = &list[0];
    assert_eq!((a["recipients_total"].as_u64(), a["recipients_acknowledged"].as_u64()), (Some(2), Some(1)), "{a}");
    assert_eq!(a["units_resolved"], 50);
    assert_eq!(a["effectiveness"]["check_met"], false);
    let (s, one) = h.get(&format!("/api/v1/actions/{id}"), &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(one["recipients"].as_array().unwrap().len(), 2);
    let (s, report) = h.get(&format!("/api/v1/actions/{id}/report"), &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (report["quantities"]["returned"].as_u64(), report["non_responders_total"].as_u64()),
        (Some(40), Some(1))
    );
    let uri = format!("/api/v1/actions/{id}/remind");
    assert_eq!(h.call("POST", &uri, Some(&viewer), "", "").await.0, StatusCode::FORBIDDEN);
    let (s, r, text) = h.call("POST", &uri, Some(&officer), "", "").await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(r["queued"], 0, "the only notified recipient has acknowledged");
    assert_eq!(h.get("/api/v1/actions/999", &viewer).await.0, StatusCode::NOT_FOUND);
    // The acknowledgement is in the audit trail, which verifies.
    h.with_store(|s| {
        let entries = s.audit_entries().unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e.entity == "action_recipient" && e.action == "acknowledge" && e.actor == "ack-link")
        );
        assert!(s.verify_audit().unwrap().is_none());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_and_acknowledgement_links_sqlite() {
    action_story(&sqlite()).await;
}

#[test]
fn actions_and_acknowledgement_links_postgres() {
    if let Some(h) = postgres() {
        runtime().block_on(action_story(&h));
    }
}

#[test]
fn webhook_signatures_are_hmac_sha256_over_timestamp_and_body() {
    // The expected value computed independently with Python's hmac module:
    // hmac.new(b'secret', b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    let sig = msadesk_server::delivery::webhook_signature("secret", 1_700_000_000, "{\"a\":1}");
    assert_eq!(sig, "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686");
    // Same input, same signature; any change of secret, time or body changes it.
    assert_eq!(sig, msadesk_server::delivery::webhook_signature("secret", 1_700_000_000, "{\"a\":1}"));
    assert_ne!(sig, msadesk_server::delivery::webhook_signature("secret2", 1_700_000_000, "{\"a\":1}"));
    assert_ne!(sig, msadesk_server::delivery::webhook_signature("secret", 1_700_000_001, "{\"a\":1}"));
    assert_ne!(sig, msadesk_server::delivery::webhook_signature("secret", 1_700_000_000, "{\"a\":2}"));
}

/// Signed webhooks against a real local receiver: a 503 defers the message, the retry delivers it
/// with the same idempotency key and a signature the receiver can check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_retried_and_carry_one_idempotency_key() {
    use std::sync::Mutex;
    type Seen = Arc<Mutex<Vec<(String, String, String)>>>;
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let receiver = Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let recorded = recorded.clone();
            async move {
                let h = |n: &str| headers.get(n).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                let mut v = recorded.lock().unwrap();
                v.push((h("idempotency-key"), h("x-msadesk-signature"), body));
                if v.len() == 1 { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let h = sqlite();
    let cfg = msadesk_server::delivery::DeliveryConfig {
        smtp: None,
        webhook_secret: Some("s3cret".into()),
        webhook_ca_pem: None,
        lease_secs: 60,
        batch: 10,
        base_backoff_secs: 1,
        concurrency: 2,
        remind_after_days: None,
    };
    assert!(!format!("{cfg:?}").contains("s3cret"), "the secret is redacted");
    h.with_store(|s| {
        let m = msadesk_store::NewMessage {
            idempotency_key: "action-1-status-recipients_notified".into(),
            channel: "webhook".into(),
            to: format!("http://{addr}/hook"),
            subject: "status".into(),
            body: "{\"action\":1,\"status\":\"recipients_notified\"}".into(),
            action_id: None,
            recipient_id: None,
        };
        assert_eq!(s.queue_messages(&[m], &meta()).unwrap(), 1);
    });
    let pass = |h: &Harness| h.with_store(|s| msadesk_server::delivery::deliver_pass(s, &cfg).unwrap());
    let first = pass(&h);
    assert_eq!((first.claimed, first.deferred), (1, 1), "{first:?}");
    let mut second = pass(&h);
    for _ in 0..30 {
        if second.sent == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        second = pass(&h);
    }
    assert_eq!(second.sent, 1, "{second:?}");
    let v = seen.lock().unwrap().clone();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].0, v[1].0, "the retry carries the same idempotency key");
    assert_eq!(v[1].0, "action-1-status-recipients_notified");
    // The receiver checks the signature from the timestamp it carries.
    let sig = &v[1].1;
    let t: i64 = sig.trim_start_matches("t=").split(',').next().unwrap().parse().unwrap();
    assert_eq!(sig, &msadesk_server::delivery::webhook_signature("s3cret", t, &v[1].2));
    let sent = h.with_store(|s| s.outbox(Some(msadesk_core::action::DeliveryState::Sent), None, 10).unwrap());
    assert_eq!((sent[0].attempts, sent[0].receipt.as_deref()), (2, Some("HTTP 200")));
}

/// The actions pages for signed-in users: list with effectiveness bars, the action's page with the
/// "not yet acknowledged" filter, escaped names, the bulk reminder (officers only, CSRF-checked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_pages_show_effectiveness_recipients_and_remind() {
    use msadesk_core::action::*;
    let h = sqlite();
    let officer = h.token(Role::Officer);
    h.call("POST", "/api/v1/imports/products?name=products.csv", Some(&officer), "text/csv", PRODUCTS).await;
    h.call("POST", "/api/v1/imports/supply?name=supply.csv", Some(&officer), "text/csv", SUPPLY).await;
    h.with_store(|s| {
        msadesk_server::auth::add_user(s, "olga", Role::Officer, "correct horse battery", &meta()).unwrap();
        let new = NewAction {
            action_type: ActionType::Withdrawal,
            source: Source::Voluntary,
            product_id: msadesk_core::ProductId::parse("CAM-1").unwrap(),
            versions: vec![],
            scope: vec![],
            received: msadesk_core::Date::parse("2026-12-04").unwrap(),
            due: msadesk_core::Date::parse("2099-01-31").unwrap(),
            hearing_until: None,
            urgent: false,
            level: Level::C,
            summary: String::new(),
            request_id: None,
            decision_id: None,
        };
        let a = s.add_action(&new, &meta()).unwrap();
        s.action_step(a.id, Status::Acknowledged, None, &meta()).unwrap();
        msadesk_server::recall::notify_round(
            s,
            a.id,
            msadesk_server::recall::Round::First,
            "https://d.example",
            &meta(),
        )
        .unwrap();
    });
    let mut b = Browser { h: &h, cookies: Default::default(), proto: Some("https") };
    let p = b.get("/actions").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "signed out: to the login page");
    let p = b.get("/login").await;
    let csrf = hidden(&p.text, "csrf");
    b.post_form("/login", &[("username", "olga"), ("password", "correct horse battery"), ("csrf", &csrf)]).await;
    let p = b.get("/actions").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    assert!(p.text.contains("<progress") && p.text.contains("2099-01-31") && p.text.contains("href=\"/actions/1\""));
    let p = b.get("/actions/1").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; Handel GmbH") && !p.text.contains("<script>"));
    assert!(p.text.contains("?filter=not-acknowledged") && p.text.contains("recipients_notified"));
    let p = b.get("/actions/1?filter=not-acknowledged").await;
    assert!(p.text.contains("Show all"));
    let csrf = hidden(&p.text, "csrf");
    let p = b.post_form("/actions/1/remind", &[("csrf", "forged")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = b.post_form("/actions/1/remind", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text);
    // D-1 was notified and has not answered: one reminder with a fresh link.
    let reminders = h.with_store(|s| s.outbox(None, Some(1), 10).unwrap());
    assert_eq!(reminders.len(), 2);
    assert!(
        reminders[0].message.subject.starts_with("REMINDER")
            || reminders[0].message.idempotency_key.contains("reminder")
    );
    assert_eq!(b.get("/actions/999").await.status, StatusCode::NOT_FOUND);
}

/// Our company, an importer in DE.
fn set_importer_identity(s: &mut dyn Store) {
    s.set_identity(
        &msadesk_core::OwnIdentity {
            name: "ACME Import GmbH".into(),
            address: "Hafen 1, Hamburg".into(),
            member_state: msadesk_core::MemberState::parse("DE").unwrap(),
            contact_person: None,
            email: None,
            default_role: msadesk_core::OurRole::Importer,
            gln: None,
        },
        &meta(),
    )
    .unwrap()
}

const OSV_LODASH: &str = r#"{"vulns": [{"schema_version": "1.6.0", "id": "GHSA-test-lodash", "modified": "2026-11-01T00:00:00Z",
  "aliases": ["CVE-2026-11111"], "summary": "Prototype pollution in lodash",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
  "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_decision_reassesses_the_pair_at_once_sqlite() {
    decision_story(&sqlite()).await;
}

#[test]
fn an_officer_decision_reassesses_the_pair_at_once_postgres() {
    if let Some(h) = postgres() {
        runtime().block_on(decision_story(&h));
    }
}

/// A real assessment (SBOM + OSV record), an officer's decision from the API that re-assesses at
/// once, and the notice letters of the page in English and the authority's language.
async fn decision_story(h: &Harness) {
    let officer = h.token(Role::Officer);
    h.with_store(set_importer_identity);
    for (uri, body) in [("/api/v1/imports/products", PRODUCTS), ("/api/v1/imports/supply", SUPPLY)] {
        assert_eq!(h.call("POST", uri, Some(&officer), "text/csv", body).await.0, StatusCode::OK);
    }
    // What an import of the SBOM and the feed does: store them, then assess and record.
    h.with_store(|s| {
        let sbom = msadesk_store::NewSbom {
            product_id: msadesk_core::ProductId::parse("CAM-1").unwrap(),
            version: msadesk_core::Version::parse("1.0").unwrap(),
            source_file: "cam.cdx.json".into(),
            format: "CycloneDX 1.6".into(),
            digest: "00".repeat(32),
            components: vec![msadesk_store::SbomComponent {
                purl: "pkg:npm/lodash@4.17.20".into(),
                name: "lodash".into(),
                version: Some("4.17.20".into()),
                cpe: None,
            }],
        };
        s.import_sbom(&sbom, &meta()).unwrap();
        let ctx = msadesk_formats::intake::FeedContext::new("OSV", msadesk_core::Date::parse("2026-12-01").unwrap());
        let read = msadesk_formats::intake::read_vulns(OSV_LODASH.as_bytes(), "osv.json", &ctx).unwrap();
        let vulns: Vec<msadesk_store::StoredVuln> = read
            .records
            .iter()
            .map(|r| msadesk_store::StoredVuln {
                id: r.id.clone(),
                aliases: r.aliases.iter().cloned().collect(),
                format: read.format.name().to_string(),
                feed: "OSV".into(),
                feed_date: ctx.taken_at,
                file: "osv.json".into(),
                summary: r.title.clone().or_else(|| r.description.clone()),
                cvss: r.cvss.iter().map(|c| c.vector().to_string()).collect(),
                match_data: serde_json::to_value(r.match_data()).unwrap(),
            })
            .collect();
        s.import_vulns(&vulns, &meta()).unwrap();
        let policy = msadesk_core::vuln::Policy::default();
        msadesk_server::assess::build(s, &policy, None, None, None, Some(&meta())).unwrap();
    });
    let (_, list) = h.get("/api/v1/assessments", &officer).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let before = list[0]["id"].as_i64().unwrap();
    let (_, one) = h.get(&format!("/api/v1/assessments/{before}"), &officer).await;
    let to = |v: &Value| -> Vec<String> {
        v["obligations"].as_array().unwrap().iter().map(|o| o["to"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(one["significant"], true);
    assert!(to(&one).contains(&"msa".to_string()), "significant: the PL authority is to be informed: {one}");

    // The page offers each obligation's letter in English and in the addressed authority's language.
    h.with_store(|s| {
        msadesk_server::auth::add_user(s, "olga", Role::Officer, "correct horse battery", &meta()).unwrap();
    });
    let mut b = Browser { h, cookies: Default::default(), proto: None };
    let csrf = hidden(&b.get("/login").await.text, "csrf");
    b.post_form("/login", &[("username", "olga"), ("password", "correct horse battery"), ("csrf", &csrf)]).await;
    let page = b.get(&format!("/assessments/{before}")).await;
    for file in ["manufacturer.en.pdf", "msa-DE.en.pdf", "msa-DE.de.pdf", "msa-DE.de.html"] {
        assert!(page.text.contains(&format!("/assessments/{before}/letters/{file}\"")), "{file} in {}", page.text);
    }
    let pdf = b.get(&format!("/assessments/{before}/letters/msa-DE.de.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.text.starts_with("%PDF"), "a PDF");
    let html = b.get(&format!("/assessments/{before}/letters/msa-DE.de.html")).await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.text.contains("CVE-2026-11111") && html.text.contains("lang=\"de\""), "{}", html.text);
    let en = b.get(&format!("/assessments/{before}/letters/msa-DE.en.html")).await;
    assert!(en.text.contains("lang=\"en\"") && en.text != html.text, "{}", en.text);
    assert_eq!(b.get(&format!("/assessments/{before}/letters/msa-XX.de.pdf")).await.status, StatusCode::NOT_FOUND);

    // Not significant, says the officer: re-assessed and recorded at once, the MSA duty is gone.
    let uri = format!("/api/v1/assessments/{before}/decision");
    let body = r#"{"significant": false, "reason": "lodash is only used at build time"}"#;
    let (status, v, text) = h.call("POST", &uri, Some(&officer), "application/json", body).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_eq!(v["reassessment_pending"], false, "{v}");
    let after = v["id"].as_i64().unwrap();
    assert!(after > before, "a new assessment is recorded: {v}");
    assert_eq!(v["assessment"]["significant"], false, "{v}");
    let rules = v["assessment"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["rule"] == "officer_override" && r["fired"] == true), "{v}");
    assert_eq!(to(&v), ["manufacturer"], "{v}");
    let (_, list) = h.get("/api/v1/assessments", &officer).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "one current assessment per pair: {list}");
    assert_eq!(list[0]["id"].as_i64(), Some(after));
    // The recorded re-assessment is audited, by the officer.
    let decisions = h.with_store(|s| s.decisions().unwrap());
    let last = decisions.last().unwrap();
    assert_eq!((last.id, last.significant, last.policy_version.as_str()), (after, false, "msadesk-default-1"));

    // And back: significant again from the page; the redirect names the new assessment.
    let (status, v, _) = h
        .call(
            "POST",
            &format!("/api/v1/assessments/{after}/decision"),
            Some(&officer),
            "application/json",
            r#"{"significant": true, "reason": "used at run time after all"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(v["id"].as_i64().unwrap() > after && to(&v).contains(&"msa".to_string()), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letter_templates_are_viewed_and_edited_from_pages() {
    let h = sqlite();
    h.with_store(|s| {
        msadesk_server::auth::add_user(s, "olga", Role::Officer, "correct horse battery", &meta()).unwrap();
        msadesk_server::auth::add_user(s, "vera", Role::Viewer, "correct horse battery", &meta()).unwrap();
    });
    async fn login<'a>(h: &'a Harness, who: &str) -> Browser<'a> {
        let mut b = Browser { h, cookies: Default::default(), proto: None };
        let csrf = hidden(&b.get("/login").await.text, "csrf");
        b.post_form("/login", &[("username", who), ("password", "correct horse battery"), ("csrf", &csrf)]).await;
        b
    }
    let mut viewer = login(&h, "vera").await;
    assert_eq!(viewer.get("/letters").await.status, StatusCode::FORBIDDEN);
    let mut b = login(&h, "olga").await;
    let list = b.get("/letters").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("href=\"/letters/request-ack/de\""), "{}", list.text);
    let page = b.get("/letters/request-ack/de").await;
    let builtin = msadesk_formats::letters::template_text(msadesk_formats::letters::LetterKind::RequestAck, "de");
    assert!(page.text.contains("The built-in wording") && page.text.contains("<textarea"), "{}", page.text);
    let csrf = hidden(&page.text, "csrf");
    assert_eq!(b.get("/letters/nope/de").await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get("/letters/request-ack/xx").await.status, StatusCode::NOT_FOUND);

    // A broken template is refused and nothing is stored; a good one is stored and audited.
    let r = b.post_form("/letters/request-ack/de", &[("csrf", &csrf), ("do", "save"), ("text", "= broken {")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(h.with_store(|s| s.letter_template("request-ack", "de").unwrap()).is_none());
    let mine = format!("{builtin}\n# geändert\n");
    let r = b.post_form("/letters/request-ack/de", &[("csrf", "wrong"), ("do", "save"), ("text", &mine)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b.post_form("/letters/request-ack/de", &[("csrf", &csrf), ("do", "save"), ("text", &mine)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let stored = h.with_store(|s| s.letter_template("request-ack", "de").unwrap()).expect("stored");
    assert_eq!(stored.text, mine);
    let page = b.get("/letters/request-ack/de?done=Saved.").await;
    assert!(page.text.contains("Your wording") && page.text.contains("# geändert"), "{}", page.text);
    assert!(b.get("/letters").await.text.contains("de (yours)"));
    let r = b.post_form("/letters/request-ack/de", &[("csrf", &csrf), ("do", "remove")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(h.with_store(|s| s.letter_template("request-ack", "de").unwrap()).is_none());
    let audit = h.with_store(|s| s.audit_entries().unwrap());
    assert!(audit.iter().filter(|e| e.actor.contains("olga")).count() >= 2, "saving and removing are audited");
}

// ---- Documentation library, response packages and inspector access ----

impl Harness {
    async fn get_bytes(&self, uri: &str, token: &str) -> (StatusCode, Vec<u8>) {
        let req = Request::builder()
            .method("GET")
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        (status, axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec())
    }
}

async fn library_story(h: &Harness) {
    let officer = h.token(Role::Officer);
    let viewer = h.token(Role::Viewer);
    h.with_store(set_importer_identity);
    let (s, _, _) = h.call("POST", "/api/v1/imports/products", Some(&officer), "text/csv", PRODUCTS).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = h.call("POST", "/api/v1/imports/supply", Some(&officer), "text/csv", SUPPLY).await;
    assert_eq!(s, StatusCode::OK);

    // Documents: officers upload, viewers read; a second upload keeps the first.
    let up = "/api/v1/documents?product=CAM-1&version=1.0&kind=doc&name=DoC.pdf";
    let (s, _, _) = h.call("POST", up, Some(&viewer), "application/pdf", "%PDF x").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, d1, t) = h.call("POST", up, Some(&officer), "application/pdf", "%PDF first").await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!((d1["revision"].as_i64(), d1["media_type"].as_str()), (Some(1), Some("application/pdf")));
    assert_eq!(d1["retention_until"], "2034-02-28");
    let (s, d2, _) = h.call("POST", up, Some(&officer), "application/pdf", "%PDF second").await;
    assert_eq!((s, d2["revision"].as_i64()), (StatusCode::CREATED, Some(2)));
    let (s, _, t) =
        h.call("POST", "/api/v1/documents?product=CAM-1&version=1.0&kind=nope&name=a", Some(&officer), "", "x").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{t}");
    let (s, list) = h.get("/api/v1/documents?product=CAM-1", &viewer).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(2)));
    let (s, bytes) = h.get_bytes(&format!("/api/v1/documents/{}", d1["id"]), &viewer).await;
    assert_eq!((s, bytes.as_slice()), (StatusCode::OK, &b"%PDF first"[..]));
    let (_, gaps) = h.get("/api/v1/document-gaps?product=CAM-1", &viewer).await;
    assert_eq!(gaps[0]["missing"], json!(["technical_documentation", "sbom"]), "{gaps}");

    // Two requests; the first is answered with a package and shared with an inspector.
    let body = |reference: &str| {
        json!({"authority": "de-bnetza", "reference": reference, "received": "2026-12-03T16:30", "due_days": 10,
               "product": "CAM-1", "version": "1.0", "from": "2026-01-01", "to": "2026-01-31", "asks": ["trace", "documents"]})
        .to_string()
    };
    let (s, r1, t) = h.call("POST", "/api/v1/requests", Some(&officer), "application/json", &body("R-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, r2, _) = h.call("POST", "/api/v1/requests", Some(&officer), "application/json", &body("R-2")).await;
    assert_eq!(s, StatusCode::CREATED);
    let (id1, id2) = (r1["id"].as_i64().unwrap(), r2["id"].as_i64().unwrap());
    let (s, _, _) = h.call("POST", &format!("/api/v1/requests/{id1}/package"), Some(&officer), "", "").await;
    assert_eq!(s, StatusCode::CONFLICT, "not acknowledged yet");
    let (s, _, _) = h.call("POST", &format!("/api/v1/requests/{id1}/ack"), Some(&officer), "", "").await;
    assert_eq!(s, StatusCode::OK);
    let (s, pkg, t) = h.call("POST", &format!("/api/v1/requests/{id1}/package"), Some(&officer), "", "").await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(pkg["number"], 1);
    let (s, zip) = h.get_bytes(&format!("/api/v1/requests/{id1}/packages/1"), &viewer).await;
    assert_eq!(s, StatusCode::OK);
    let v = msadesk_formats::package::verify(&zip, Some(&signing_key().verifying_key())).unwrap();
    assert!(v.manifest.files.iter().any(|f| f.path == "documents/1.0/doc/DoC.pdf"));
    assert_eq!(msadesk_formats::package::sha256_hex(&zip), pkg["sha256"].as_str().unwrap());
    let (s, sent, _) = h.call("POST", &format!("/api/v1/requests/{id1}/sent"), Some(&officer), "", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(sent["timeline"].as_array().unwrap().last().unwrap()["note"].as_str().unwrap().contains("package #1"));

    let (s, share, _) = h.call("POST", &format!("/api/v1/requests/{id1}/share?days=7"), Some(&viewer), "", "").await;
    assert_eq!((s, share["secret"].as_str()), (StatusCode::FORBIDDEN, None));
    let (s, share, t) = h.call("POST", &format!("/api/v1/requests/{id1}/share?days=7"), Some(&officer), "", "").await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let insp = share["secret"].as_str().unwrap().to_string();

    // In scope: its request, its package, the trace of its product within its period.
    let (s, r) = h.get(&format!("/api/v1/inspector/requests/{id1}"), &insp).await;
    assert_eq!((s, r["reference"].as_str()), (StatusCode::OK, Some("R-1")));
    assert_eq!(r["packages"][0]["number"], 1);
    let (s, z) = h.get_bytes(&format!("/api/v1/inspector/requests/{id1}/packages/1"), &insp).await;
    assert_eq!((s, z == zip), (StatusCode::OK, true));
    let (s, t) = h.get(&format!("/api/v1/inspector/requests/{id1}/trace"), &insp).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(
        (t["from"].as_str(), t["to"].as_str(), t["version"].as_str()),
        (Some("2026-01-01"), Some("2026-01-31"), Some("1.0"))
    );
    assert_eq!(t["downstream"][0]["quantity"], 50, "only January's deliveries: {t}");
    let (s, _) = h.get(&format!("/api/v1/inspector/requests/{id1}/trace?from=2026-01-10&to=2026-01-20"), &insp).await;
    assert_eq!(s, StatusCode::OK, "a narrower period is fine");

    // Out of scope: another request, another product or version, a wider period, the registry.
    for uri in [
        format!("/api/v1/inspector/requests/{id2}"),
        format!("/api/v1/inspector/requests/{id2}/packages/1"),
        format!("/api/v1/inspector/requests/{id2}/trace"),
        format!("/api/v1/inspector/requests/{id1}/packages/2"),
    ] {
        assert_eq!(h.get(&uri, &insp).await.0, StatusCode::NOT_FOUND, "{uri}");
    }
    for uri in [
        format!("/api/v1/inspector/requests/{id1}/trace?from=2025-12-31"),
        format!("/api/v1/inspector/requests/{id1}/trace?to=2026-02-01"),
        format!("/api/v1/inspector/requests/{id1}/trace?version=2.0"),
    ] {
        assert_eq!(h.get(&uri, &insp).await.0, StatusCode::FORBIDDEN, "{uri}");
    }
    for uri in [
        "/api/v1/trace?product=CAM-1".to_string(),
        "/api/v1/trace?product=PLUG".to_string(),
        "/api/v1/products".to_string(),
        "/api/v1/documents".to_string(),
        format!("/api/v1/requests/{id1}"),
        format!("/api/v1/requests/{id1}/packages/1"),
        format!("/api/v1/documents/{}", d1["id"]),
    ] {
        assert_eq!(h.get(&uri, &insp).await.0, StatusCode::FORBIDDEN, "{uri}");
    }

    // The operator sees every inspector read, refused ones included.
    let (s, log) = h.get(&format!("/api/v1/requests/{id1}/access-log"), &viewer).await;
    assert_eq!(s, StatusCode::OK);
    let log = log.as_array().unwrap().clone();
    assert!(log.iter().filter(|e| e["allowed"] == true).count() >= 4, "{log:?}");
    assert!(log.iter().any(|e| e["allowed"] == false && e["what"].as_str().unwrap().contains("2025-12-31")));
    assert!(
        log.iter().any(|e| e["allowed"] == false && e["what"].as_str().unwrap().contains(&format!("requests/{id2}")))
    );

    // Revoked: nothing more.
    let (s, u, _) = h.call("DELETE", &format!("/api/v1/requests/{id1}/share"), Some(&officer), "", "").await;
    assert_eq!((s, u["revoked"].as_u64()), (StatusCode::OK, Some(1)));
    assert_eq!(h.get(&format!("/api/v1/inspector/requests/{id1}"), &insp).await.0, StatusCode::UNAUTHORIZED);

    // Expired: nothing either (a grant whose token expired yesterday).
    let (tok, expired) = msadesk_server::auth::new_token("old", Role::Inspector, Some("2020-01-01T00:00:00Z".into()));
    h.with_store(|s| s.grant_inspector(&tok, id1, &meta()).unwrap());
    assert_eq!(h.get(&format!("/api/v1/inspector/requests/{id1}"), &expired).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        h.get(&format!("/api/v1/inspector/requests/{id1}/packages/1"), &expired).await.0,
        StatusCode::UNAUTHORIZED
    );
}

fn signing_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[5u8; 32])
}

fn with_key(mut h: Harness) -> Harness {
    let config =
        Config { signing_key: Some(msadesk_server::SigningKeyHandle(Arc::new(signing_key()))), ..Config::default() };
    h.app = msadesk_server::app(AppState::new(h.factory.clone(), config));
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_packages_and_inspectors_sqlite() {
    library_story(&with_key(sqlite())).await;
}

#[test]
fn library_packages_and_inspectors_postgres() {
    if let Some(h) = postgres() {
        runtime().block_on(library_story(&with_key(h)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_answer_a_request_and_keep_the_library() {
    let h = with_key(sqlite());
    h.with_store(|s| {
        msadesk_server::auth::add_user(s, "olga", Role::Officer, "correct horse battery", &meta()).unwrap();
        msadesk_server::auth::add_user(s, "vera", Role::Viewer, "correct horse battery", &meta()).unwrap();
    });
    let officer = h.token(Role::Officer);
    h.call("POST", "/api/v1/imports/products", Some(&officer), "text/csv", PRODUCTS).await;
    h.call("POST", "/api/v1/imports/supply", Some(&officer), "text/csv", SUPPLY).await;
    h.with_store(set_importer_identity);
    let body = json!({"authority": "de-bnetza", "reference": "R-<9>", "received": "2020-01-01T09:00", "due_days": 5,
                      "product": "CAM-1", "asks": "trace,sbom"});
    let (s, r, _) = h.call("POST", "/api/v1/requests", Some(&officer), "application/json", &body.to_string()).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = r["id"].as_i64().unwrap();

    let mut b = Browser { h: &h, cookies: Default::default(), proto: Some("https") };
    let csrf = hidden(&b.get("/login").await.text, "csrf");
    b.post_form("/login", &[("username", "olga"), ("password", "correct horse battery"), ("csrf", &csrf)]).await;
    let p = b.get("/requests").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("R-&lt;9&gt;") && p.text.contains("OVERDUE"), "{}", p.text);
    let p = b.get(&format!("/requests/{id}")).await;
    let csrf = hidden(&p.text, "csrf");
    assert!(p.text.contains("Build package") && p.text.contains("Timeline"));
    let path = format!("/requests/{id}/action");
    assert_eq!(b.post_form(&path, &[("csrf", "forged"), ("do", "ack")]).await.status, StatusCode::FORBIDDEN);
    let p = b.post_form(&path, &[("csrf", &csrf), ("do", "ack")]).await;
    assert!(p.text.contains("Recorded: acknowledged"), "{}", p.text);
    let p = b.post_form(&path, &[("csrf", &csrf), ("do", "package")]).await;
    assert!(p.text.contains("Built package #1"), "{}", p.text);
    let p = b.get(&format!("/requests/{id}/packages/1")).await;
    assert_eq!(p.headers[header::CONTENT_TYPE], "application/zip");
    let p = b.post_form(&path, &[("csrf", &csrf), ("do", "share"), ("days", "3")]).await;
    assert!(p.text.contains("Inspector token") && p.text.contains("active"), "{}", p.text);
    let p = b.post_form(&path, &[("csrf", &csrf), ("do", "sent")]).await;
    assert!(p.text.contains("package #1 (SHA-256"), "{}", p.text);

    // The library: gaps, an upload (multipart), and the document listed with its hash.
    let p = b.get("/library?product=CAM-1").await;
    assert!(p.text.contains("Readiness gaps") && p.text.contains("EU declaration of conformity"));
    let (ct, body) =
        multipart(&[("csrf", &csrf), ("product", "CAM-1"), ("version", "1.0"), ("kind", "sbom")], "bom.json", "{}");
    let req = Request::post("/library/upload").header(header::CONTENT_TYPE, ct);
    let p = b.send(req, Body::from(body)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.text.contains("Stored SBOM revision 1"), "{}", p.text);
    assert!(p.text.contains("bom.json"));

    // A viewer reads but has no buttons and cannot act.
    let mut v = Browser { h: &h, cookies: Default::default(), proto: Some("https") };
    let csrf = hidden(&v.get("/login").await.text, "csrf");
    v.post_form("/login", &[("username", "vera"), ("password", "correct horse battery"), ("csrf", &csrf)]).await;
    let p = v.get(&format!("/requests/{id}")).await;
    assert!(p.status == StatusCode::OK && !p.text.contains("Build package"));
    let csrf = hidden(&p.text, "csrf");
    assert_eq!(v.post_form(&path, &[("csrf", &csrf), ("do", "close")]).await.status, StatusCode::FORBIDDEN);
}

// ---- Trace answers are cached per data generation ----

async fn trace_cache_story(h: &Harness) {
    let officer = h.token(Role::Officer);
    let viewer = h.token(Role::Viewer);
    let (s, r, _) =
        h.call("POST", "/api/v1/imports/products?name=products.csv", Some(&officer), "text/csv", PRODUCTS).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r, _) = h.call("POST", "/api/v1/imports/supply?name=supply.csv", Some(&officer), "text/csv", SUPPLY).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let uri = "/api/v1/trace?product=CAM-1";
    let (s, first) = h.get(uri, &viewer).await;
    assert_eq!(s, StatusCode::OK);
    let (_, again) = h.get(uri, &viewer).await;
    assert_eq!(first, again);
    let downstream = |v: &Value| v["downstream"].as_array().unwrap().len();
    let before = downstream(&first);

    // A change made outside the server (as `msadesk import` in another process would) is seen at once.
    let extra = msadesk_store::conformance::event(
        msadesk_core::Direction::Supplied,
        "2026-03-01",
        "CAM-1",
        "1.0",
        7,
        &msadesk_store::conformance::party("NEW-1", "New Shop", "AT"),
        Some("INV-NEW"),
    );
    h.with_store(|s| s.import_supply(&mut msadesk_store::VecSource::new(vec![extra]), &meta()).unwrap());
    let (s, after) = h.get(uri, &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(downstream(&after), before + 1, "the cached answer must not outlive the data: {after}");
    assert!(after.to_string().contains("NEW-1"));

    // A cached answer is still only given to a valid token.
    h.with_store(|s| {
        let id = s.tokens().unwrap().into_iter().find(|t| t.role == Role::Viewer).unwrap().id;
        assert!(s.revoke_token(&id, &meta()).unwrap());
    });
    let (s, _) = h.get(uri, &viewer).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_answers_follow_every_change_sqlite() {
    trace_cache_story(&sqlite()).await;
}

#[test]
fn trace_answers_follow_every_change_postgres() {
    if let Some(h) = postgres() {
        runtime().block_on(trace_cache_story(&h));
    }
}

// ---- The readiness report over the API and as a page ----

async fn readiness_story(h: &Harness) {
    let officer = h.token(Role::Officer);
    let viewer = h.token(Role::Viewer);
    let (s, r, _) =
        h.call("POST", "/api/v1/imports/products?name=products.csv", Some(&officer), "text/csv", PRODUCTS).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r, _) = h.call("POST", "/api/v1/imports/supply?name=supply.csv", Some(&officer), "text/csv", SUPPLY).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = h.get("/api/v1/readiness?now=2026-12-04T10:00:00Z", &viewer).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["generated_at"], "2026-12-04T10:00:00Z");
    let checks = r["checks"].as_array().unwrap();
    let status = |id: &str| checks.iter().find(|c| c["id"] == id).map(|c| c["status"].as_str().unwrap().to_string());
    assert_eq!(status("identity.operator").as_deref(), Some("gap"), "no `msadesk init` in this registry");
    assert_eq!(status("evidence.audit_chain").as_deref(), Some("ok"));
    assert_eq!(status("requests.deadlines").as_deref(), Some("not_applicable"));
    let gaps = r["summary"]["gap"].as_u64().unwrap();
    assert_eq!(gaps as usize, checks.iter().filter(|c| c["status"] == "gap").count());
    assert_eq!(r["figures"]["supply_records"]["total"].as_u64(), Some(5));
    // Unchanged data, same instant: the same report, served again without reading the registry.
    let counter = |text: &str, source: &str| -> u64 {
        let line = format!("msadesk_readiness_reports_total{{source=\"{source}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(line.as_str())).and_then(|n| n.parse().ok()).unwrap()
    };
    let (_, _, m0) = h.call("GET", "/metrics", None, "", "").await;
    let (s, again) = h.get("/api/v1/readiness?now=2026-12-04T10:00:00Z", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again, r);
    let (_, _, m1) = h.call("GET", "/metrics", None, "", "").await;
    assert_eq!(counter(&m1, "cache"), counter(&m0, "cache") + 1);
    assert_eq!(counter(&m1, "computed"), counter(&m0, "computed"));
    // Changed data: computed again, and it shows the change.
    let more = "direction,date,product_id,version,quantity,counterparty_id,counterparty_name,counterparty_address,counterparty_country,counterparty_email,counterparty_role,reference\n\
                supplied,2026-06-01,CAM-1,1.0,3,OP-NEW,New Shop,\"Rue Neuve 1, 75001 Paris\",FR,shop@new.example,distributor,INV-NEW-1\n";
    let (s, r2, _) = h.call("POST", "/api/v1/imports/supply?name=more.csv", Some(&officer), "text/csv", more).await;
    assert_eq!(s, StatusCode::OK, "{r2}");
    let (_, fresh) = h.get("/api/v1/readiness?now=2026-12-04T10:00:00Z", &viewer).await;
    assert_eq!(fresh["figures"]["supply_records"]["total"].as_u64(), Some(6));
    let (_, _, m2) = h.call("GET", "/metrics", None, "", "").await;
    assert_eq!(counter(&m2, "computed"), counter(&m1, "computed") + 1);
    let (s, e, text) = h.call("GET", "/api/v1/readiness?now=tomorrow", Some(&viewer), "", "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{text}");
    assert!(e["detail"].as_str().unwrap().contains("RFC 3339"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_over_the_api_sqlite() {
    readiness_story(&sqlite()).await;
}

#[test]
fn readiness_over_the_api_postgres() {
    if let Some(h) = postgres() {
        runtime().block_on(readiness_story(&h));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_page_shows_every_check_to_a_viewer() {
    let h = sqlite();
    h.with_store(|s| {
        msadesk_server::auth::add_user(s, "vera", Role::Viewer, "correct horse battery", &meta()).unwrap();
    });
    let mut b = Browser { h: &h, cookies: Default::default(), proto: None };
    let p = b.get("/readiness").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = b.get("/login").await;
    let csrf = hidden(&p.text, "csrf");
    let p =
        b.post_form("/login", &[("username", "vera"), ("password", "correct horse battery"), ("csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text);
    let p = b.get("/readiness").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    for want in
        ["Readiness report", "identity.contact", "evidence.backup", "CRA Art 64(3)", "msadesk init --name", "<meter"]
    {
        assert!(p.text.contains(want), "{want} missing");
    }
    assert!(p.text.contains("href=\"/readiness\" aria-current=\"page\""));
    assert!(!p.text.contains("style="), "no inline style (CSP)");
    let pdf = b.get("/readiness.pdf").await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.text.starts_with("%PDF-"), "a PDF");
}
