//! Prometheus metrics, hand-written: requests per route and status, and their total duration.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// (method, route, status) → (count, seconds).
type Counters = BTreeMap<(String, String, u16), (u64, f64)>;

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<Counters>,
}

pub(crate) async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    // The route template, not the path: ids in paths would make the label set unbounded.
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_string();
    let method = req.method().as_str().to_string();
    let start = std::time::Instant::now();
    let res = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    if let Ok(mut m) = st.inner.metrics.requests.lock() {
        let e = m.entry((method, route, res.status().as_u16())).or_insert((0, 0.0));
        e.0 += 1;
        e.1 += secs;
    }
    res
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

pub(crate) async fn render(State(st): State<AppState>) -> Response {
    let mut out = String::from(
        "# HELP msadesk_http_requests_total HTTP requests answered.\n# TYPE msadesk_http_requests_total counter\n",
    );
    let snapshot = st.inner.metrics.requests.lock().map(|m| m.clone()).unwrap_or_default();
    for ((method, route, status), (n, _)) in &snapshot {
        out.push_str(&format!(
            "msadesk_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}\n",
            label(method),
            label(route)
        ));
    }
    out.push_str("# HELP msadesk_http_request_duration_seconds_sum Time spent answering, in seconds.\n# TYPE msadesk_http_request_duration_seconds_sum counter\n");
    for ((method, route, status), (_, s)) in &snapshot {
        out.push_str(&format!(
            "msadesk_http_request_duration_seconds_sum{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {s}\n",
            label(method),
            label(route)
        ));
    }
    let (computed, served) = st.inner.readiness_cache.counts();
    out.push_str(&format!(
        "# HELP msadesk_readiness_reports_total Readiness reports answered, by whether they were computed or served again for unchanged data.\n# TYPE msadesk_readiness_reports_total counter\nmsadesk_readiness_reports_total{{source=\"computed\"}} {computed}\nmsadesk_readiness_reports_total{{source=\"cache\"}} {served}\n"
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
