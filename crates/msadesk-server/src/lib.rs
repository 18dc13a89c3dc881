//! msadesk-server: the HTTP side of msadesk — the JSON API under `/api/v1`, authentication and roles,
//! and the server-rendered pages. The only crate that knows HTTP, HTML and JSON API shapes.
//!
//! It does not choose a database engine: the binary hands it a [`StoreFactory`] that opens a store,
//! and the server keeps a small [`pool`] of them, each used from a blocking thread (the Store trait is
//! synchronous). It never writes to the registry other than through the Store trait, so every change
//! made over HTTP lands in the same audit trail as the CLI's, with `user:NAME` or `token:ID` as actor.
//!
//! Where to look: `routes` (the one table of endpoints and the roles they admit, which the router,
//! the OpenAPI document and the role-matrix test all read), `api` (JSON handlers), `pages` (HTML),
//! `auth` (passwords, tokens, sessions, CSRF, login rate limit), `problem` (RFC 9457 errors),
//! `openapi` (the document), `messages` (every English text of the pages), `metrics`.

#![forbid(unsafe_code)]

mod action_pages;
mod api;
pub mod assess;
pub mod auth;
pub mod delivery;
pub mod fetch;
mod html;
mod letter_pages;
mod library_api;
mod library_pages;
pub mod messages;
mod metrics;
pub mod notice_letters;
pub mod openapi;
mod pages;
pub mod pool;
mod problem;
mod readiness_cache;
pub mod recall;
pub mod respond;
mod risk;
pub mod routes;
mod trace_cache;
mod util;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use pool::StoreFactory;
pub use problem::ApiError;
pub use util::now_rfc3339;

/// The default largest document of the library: 50 MiB.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 50 << 20;

/// How the server behaves; defaults in [`Config::default`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` even without `X-Forwarded-Proto: https` (when TLS terminates elsewhere
    /// and the proxy does not say so).
    pub secure_cookies: bool,
    /// Stores kept open at once (each one is a database connection).
    pub pool_size: usize,
    /// Largest request body accepted, in bytes (imports included).
    pub max_body_bytes: usize,
    /// How long a page session lasts, in seconds.
    pub session_seconds: i64,
    /// The operator's Ed25519 key that signs response packages; without it, packages cannot be built
    /// over HTTP (the binary loads it, creating it on first use).
    pub signing_key: Option<SigningKeyHandle>,
    /// Largest document accepted into the library, in bytes.
    pub max_document_bytes: usize,
}

/// The signing key, shared by the handlers; never printed.
#[derive(Clone)]
pub struct SigningKeyHandle(pub Arc<ed25519_dalek::SigningKey>);

impl std::fmt::Debug for SigningKeyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(redacted)")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            pool_size: 4,
            max_body_bytes: 64 << 20,
            session_seconds: 8 * 3600,
            signing_key: None,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    pool: pool::Pool,
    config: Config,
    metrics: metrics::Metrics,
    login_limiter: auth::LoginLimiter,
    touch_limiter: auth::TouchLimiter,
    trace_cache: trace_cache::TraceCache,
    readiness_cache: readiness_cache::ReadinessCache,
}

impl AppState {
    pub fn new(factory: StoreFactory, config: Config) -> Self {
        AppState {
            inner: Arc::new(Inner {
                pool: pool::Pool::new(factory, config.pool_size),
                metrics: metrics::Metrics::default(),
                login_limiter: auth::LoginLimiter::default(),
                touch_limiter: auth::TouchLimiter::default(),
                trace_cache: trace_cache::TraceCache::default(),
                readiness_cache: readiness_cache::ReadinessCache::default(),
                config,
            }),
        }
    }

    pub(crate) fn pool(&self) -> &pool::Pool {
        &self.inner.pool
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }
}

/// The whole application: API, pages, health, metrics, with security headers and body limits.
pub fn app(state: AppState) -> Router {
    let limit = state.config().max_body_bytes;
    routes::router(state.clone())
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(problem::api_errors_as_problems))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(axum::middleware::from_fn(util::security_headers))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes; requests in flight are finished first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
