//! Errors as RFC 9457 problem details (`application/problem+json`).
//!
//! Client mistakes are 4xx with a message that says what was wrong and what to do; only failures of
//! the server itself (the database) are 5xx, and their details go to the log, not to the client.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use msadesk_store::StoreError;
use serde::Serialize;

/// An error answer of the API.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    /// Extra members of the problem document (import diagnostics).
    pub extra: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError { status, detail: detail.into(), extra: None }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication required: send 'Authorization: Bearer TOKEN' (create one with `msadesk token create --role viewer`)",
        )
    }
    pub fn forbidden(role: msadesk_store::Role) -> Self {
        Self::new(StatusCode::FORBIDDEN, format!("the role '{role}' may not do this: ask an administrator"))
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownProduct(_) => ApiError::not_found(e.to_string()),
            StoreError::AlreadyExists(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            StoreError::Invalid(_) => ApiError::new(StatusCode::CONFLICT, e.to_string()),
            StoreError::Busy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            other => {
                eprintln!("msadesk-server: store error: {other}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the database failed to answer; the administrator finds the cause in the server's log",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let mut body = serde_json::to_value(Problem {
            kind: "about:blank",
            title,
            status: self.status.as_u16(),
            detail: &self.detail,
        })
        .unwrap_or_default();
        if let (Some(serde_json::Value::Object(extra)), Some(obj)) = (self.extra, body.as_object_mut()) {
            obj.extend(extra);
        }
        let mut res = (self.status, axum::Json(body)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
        res
    }
}

/// Turns the plain-text rejections of axum's extractors (malformed query, body over the limit, wrong
/// method) into problem details on API paths, so that every API error has the same shape.
pub(crate) async fn api_errors_as_problems(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !api || is_problem || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let text = match axum::body::to_bytes(res.into_body(), 64 * 1024).await {
        Ok(b) if !b.is_empty() => String::from_utf8_lossy(&b).into_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!(
                "{text}: the body is larger than this server accepts; split the file or ask the administrator to raise the limit"
            )
        }
        StatusCode::METHOD_NOT_ALLOWED => format!("{text}: see /api/v1/openapi.json for the methods of this path"),
        _ => text,
    };
    ApiError::new(status, detail).into_response()
}
