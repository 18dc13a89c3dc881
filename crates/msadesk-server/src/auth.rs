//! Authentication: passwords (argon2id), API tokens and page sessions (stored as SHA-256 hashes),
//! CSRF tokens, and the login rate limit. Roles are checked per endpoint in `routes`.
//!
//! Secrets (passwords, tokens, session ids) are never logged, never stored in clear and never put in
//! the audit trail; a token is shown once, when it is made.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::{HeaderMap, header};
use base64::Engine;
use msadesk_store::{ApiToken, ChangeMeta, Role, Session, Store, StoreError, User};

use crate::problem::ApiError;
use crate::util::{hex, random_bytes, rfc3339_at, sha256_hex, unix_now};
use crate::{AppState, now_rfc3339};

/// The name of the session cookie. `__Host-` would forbid plain-HTTP use on localhost.
pub const SESSION_COOKIE: &str = "msadesk_session";
/// The double-submit cookie that protects the login form before there is a session.
pub const LOGIN_CSRF_COOKIE: &str = "msadesk_login_csrf";

/// Who is calling, after authentication.
#[derive(Debug, Clone)]
pub struct Principal {
    /// `user:NAME` or `token:ID`: the actor in the audit trail.
    pub actor: String,
    /// The user's name or the token's name, for display.
    pub name: String,
    pub role: Role,
    /// The session's CSRF token (page sessions only).
    pub csrf: Option<String>,
}

impl Principal {
    pub fn meta(&self, source: Option<String>) -> ChangeMeta {
        ChangeMeta { actor: self.actor.clone(), source, at: now_rfc3339() }
    }

    pub fn require(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) { Ok(()) } else { Err(ApiError::forbidden(self.role)) }
    }
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A random password for a generated account: 18 bytes, URL-safe base64 (24 characters).
pub fn generate_password() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<18>())
}

/// A random secret for cookies and CSRF tokens.
pub fn random_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// Adds a user (password hashed here) and records it in the audit trail.
pub fn add_user(
    store: &mut dyn Store,
    name: &str,
    role: Role,
    password: &str,
    meta: &ChangeMeta,
) -> Result<(), StoreError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(StoreError::Backend(format!(
            "'{name}' is not a usable user name: use 1 to 64 characters without spaces"
        )));
    }
    let password_hash =
        hash_password(password).map_err(|e| StoreError::Backend(format!("cannot hash the password: {e}")))?;
    store
        .create_user(&User { name: name.into(), role, password_hash, created_at: now_rfc3339(), disabled: false }, meta)
}

/// A new API token: what to store and the secret to show once (`msd_…`).
pub fn new_token(name: &str, role: Role, expires_at: Option<String>) -> (ApiToken, String) {
    let secret = format!("msd_{}", random_secret());
    let token = ApiToken {
        id: format!("tok_{}", hex(&random_bytes::<6>())),
        name: name.to_string(),
        role,
        secret_sha256: sha256_hex(&secret),
        created_at: now_rfc3339(),
        expires_at,
        revoked: false,
        last_used_at: None,
    };
    (token, secret)
}

/// Reads a cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether cookies must be `Secure`: configured so, or the proxy in front says the client used TLS.
pub fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.config().secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure when behind TLS.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The SHA-256 of the bearer secret in the request headers: `Ok(None)` when no credentials were sent,
/// an error when the header is malformed. Checking it needs the store: see [`check_token`].
pub fn bearer_hash(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| ApiError::unauthorized())?;
    let Some(secret) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) else {
        return Err(ApiError::unauthorized());
    };
    Ok(Some(sha256_hex(secret.trim())))
}

/// Looks the token up by the SHA-256 of its secret (no password hashing per request) and checks it
/// is active; "last used" is written at most once a minute per token. Runs on the store's thread,
/// so a handler can authenticate and do its work in one `Pool::run`.
pub(crate) fn check_token(state: &AppState, s: &mut dyn Store, hash: &str) -> Result<Principal, ApiError> {
    let now = now_rfc3339();
    match s.token_by_secret(hash)? {
        Some(t) if !t.revoked && t.expires_at.as_deref().is_none_or(|e| e > now.as_str()) => {
            // A write per request would make every read of the API a database write.
            if state.inner.touch_limiter.due(&t.id) {
                s.touch_token(&t.id, &now)?;
            }
            Ok(Principal { actor: format!("token:{}", t.id), name: t.name, role: t.role, csrf: None })
        }
        _ => Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "the bearer token is unknown, revoked or expired: create a new one with `msadesk token create`",
        )),
    }
}

/// The principal of an API call: a bearer token. `Ok(None)` when no credentials were sent.
pub async fn bearer(state: &AppState, headers: &HeaderMap) -> Result<Option<Principal>, ApiError> {
    let Some(hash) = bearer_hash(headers)? else { return Ok(None) };
    let st = state.clone();
    state.pool().run(move |s| check_token(&st, s, &hash).map(Some)).await
}

/// The principal of a page request: the session cookie's user.
pub async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<Principal>, ApiError> {
    let Some(id) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    let hash = sha256_hex(id);
    state
        .pool()
        .run(move |s| {
            let Some(sess) = s.session(&hash, &now_rfc3339())? else { return Ok(None) };
            let Some(user) = s.user(&sess.user)? else { return Ok(None) };
            if user.disabled {
                return Ok(None);
            }
            Ok(Some(Principal {
                actor: format!("user:{}", user.name),
                name: user.name,
                role: user.role,
                csrf: Some(sess.csrf),
            }))
        })
        .await
}

/// Checks a password and opens a session. Returns the cookie value on success.
pub async fn login(state: &AppState, name: String, password: String) -> Result<Option<String>, ApiError> {
    let session_seconds = state.config().session_seconds;
    state
        .pool()
        .run(move |s| {
            let user = s.user(&name)?;
            // Verify against a fixed hash when the user is unknown, so both answers take as long.
            let phc = user.as_ref().filter(|u| !u.disabled).map(|u| u.password_hash.clone());
            let ok = verify_password(&password, phc.as_deref().unwrap_or(DUMMY_HASH)) && phc.is_some();
            if !ok {
                return Ok(None);
            }
            let id = random_secret();
            let now = unix_now();
            s.create_session(&Session {
                id_sha256: sha256_hex(&id),
                user: name,
                csrf: random_secret(),
                created_at: rfc3339_at(now),
                expires_at: rfc3339_at(now + session_seconds),
            })?;
            Ok(Some(id))
        })
        .await
}

/// An argon2id hash of a password nobody knows, verified when the user does not exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$bXNhZGVza2R1bW15c2FsdA$3jGn5fNnJ6XtrpE2pBc3VZnxL8uI0bKkn6s6k2bJXb0";

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Failed logins per user name: after [`LoginLimiter::MAX_FAILURES`] in [`LoginLimiter::WINDOW`],
/// further attempts for that name are refused until the window has passed.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    pub const MAX_FAILURES: usize = 5;
    pub const WINDOW: Duration = Duration::from_secs(300);

    pub fn blocked(&self, name: &str) -> bool {
        let Ok(mut map) = self.failures.lock() else { return false };
        let now = Instant::now();
        let list = map.entry(name.to_ascii_lowercase()).or_default();
        list.retain(|t| now.duration_since(*t) < Self::WINDOW);
        list.len() >= Self::MAX_FAILURES
    }

    pub fn failed(&self, name: &str) {
        if let Ok(mut map) = self.failures.lock() {
            // Bound the memory an attacker can make us use with made-up names.
            if map.len() > 10_000 {
                map.clear();
            }
            map.entry(name.to_ascii_lowercase()).or_default().push(Instant::now());
        }
    }

    pub fn succeeded(&self, name: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&name.to_ascii_lowercase());
        }
    }
}

impl AppState {
    pub(crate) fn login_limiter(&self) -> &LoginLimiter {
        &self.inner.login_limiter
    }
}

/// Remembers when each token's "last used" time was last written.
#[derive(Default)]
pub(crate) struct TouchLimiter {
    last: Mutex<HashMap<String, Instant>>,
}

impl TouchLimiter {
    const EVERY: Duration = Duration::from_secs(60);

    fn due(&self, id: &str) -> bool {
        let Ok(mut map) = self.last.lock() else { return true };
        let now = Instant::now();
        match map.get(id) {
            Some(t) if now.duration_since(*t) < Self::EVERY => false,
            _ => {
                if map.len() > 10_000 {
                    map.clear();
                }
                map.insert(id.to_string(), now);
                true
            }
        }
    }
}
