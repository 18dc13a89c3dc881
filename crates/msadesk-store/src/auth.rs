//! Who may use the server: users, sessions and API tokens, as the store keeps them.
//!
//! Only hashes are stored: an argon2id PHC string for a password, the SHA-256 of a session id or an
//! API token. Hashing and checking happen in the server; the store compares hashes for equality and
//! never sees a secret. Expiry times are RFC 3339 UTC strings, which compare in time order as text.

use serde::Serialize;

/// What a user or token may do. Every endpoint of the server names the roles it admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Users, tokens, settings, and everything an officer may do.
    Admin,
    /// Everything compliance: imports, cases, notices.
    Officer,
    /// Reads the registry.
    Viewer,
    /// A market surveillance authority's reader: sees only what was shared with it.
    Inspector,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Officer, Role::Viewer, Role::Inspector];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
            Role::Viewer => "viewer",
            Role::Inspector => "inspector",
        }
    }

    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "officer" => Ok(Role::Officer),
            "viewer" => Ok(Role::Viewer),
            "inspector" => Ok(Role::Inspector),
            other => Err(format!("'{other}' is not a role: use admin, officer, viewer or inspector")),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person who logs in to the pages.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// argon2id PHC string. Never serialised.
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: String,
    pub disabled: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("created_at", &self.created_at)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// An API token as stored: its public id and the SHA-256 of the secret (hex).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Public identifier, shown in lists and recorded as `token:ID` in the audit trail.
    pub id: String,
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub secret_sha256: String,
    pub created_at: String,
    /// The token no longer works from this time on (RFC 3339 UTC), if set.
    pub expires_at: Option<String>,
    pub revoked: bool,
    pub last_used_at: Option<String>,
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .field("revoked", &self.revoked)
            .finish_non_exhaustive()
    }
}

/// A logged-in browser: the SHA-256 of the cookie's value, whose user, until when, and the CSRF token
/// its forms carry.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub id_sha256: String,
    pub user: String,
    pub csrf: String,
    pub created_at: String,
    pub expires_at: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
