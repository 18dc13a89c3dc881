//! Small helpers: time stamps, random secrets, hex, security headers.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use msadesk_core::Date;

/// Now as RFC 3339 UTC with whole seconds (`2026-12-04T10:00:00Z`), the format the store compares.
pub fn now_rfc3339() -> String {
    rfc3339_at(unix_now())
}

pub(crate) fn unix_now() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    i64::try_from(now).unwrap_or(0)
}

pub(crate) fn rfc3339_at(secs: i64) -> String {
    let day = Date::from_unix_seconds(secs);
    let rem = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// `n` bytes from the operating system's generator.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // Without an entropy source no secret can be made: refusing to start is the only safe answer,
    // and such a system cannot run the server anyway.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut b).expect("the operating system's random number generator is unavailable");
    b
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    msadesk_core::audit::hex(bytes)
}

pub(crate) fn sha256_hex(s: &str) -> String {
    msadesk_core::audit::sha256_hex(s.as_bytes())
}

/// Headers every response carries: no inline scripts or styles, no framing, no sniffing.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
