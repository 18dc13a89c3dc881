//! Users, sessions and API tokens in PostgreSQL (tables of `migrations/0003_auth.sql`).

use msadesk_store::{ApiToken, ChangeMeta, Role, Session, StoreError, User};
use postgres::Client;
use postgres::error::SqlState;

use crate::audit;
use crate::error::{During, col, to_store_error};

type Result<T> = std::result::Result<T, StoreError>;

fn role(s: &str) -> Result<Role> {
    Role::parse(s).map_err(StoreError::Corrupt)
}

fn exists_or(what: String, doing: &str, e: &postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        StoreError::AlreadyExists(what)
    } else {
        to_store_error(doing, e)
    }
}

pub(crate) fn create_user(client: &mut Client, u: &User, meta: &ChangeMeta) -> Result<()> {
    let mut tx = client.transaction().during("starting to add a user")?;
    let tail = audit::lock(&mut tx)?;
    tx.execute(
        "INSERT INTO users (name, role, password_hash, created_at, disabled) VALUES ($1, $2, $3, $4, $5)",
        &[&u.name, &u.role.as_str(), &u.password_hash, &u.created_at, &u.disabled],
    )
    .map_err(|e| exists_or(format!("user '{}'", u.name), "adding a user", &e))?;
    let detail = serde_json::json!({"name": u.name, "role": u.role.as_str()});
    audit::append(&mut tx, &msadesk_store::next_audit_entry(tail, meta, "user", "create", &detail))?;
    tx.commit().during("committing the new user")
}

const USER_COLS: &str = "name, role, password_hash, created_at, disabled";

fn to_user(r: &postgres::Row) -> Result<User> {
    let r_role: String = col(r, 1)?;
    Ok(User {
        name: col(r, 0)?,
        role: role(&r_role)?,
        password_hash: col(r, 2)?,
        created_at: col(r, 3)?,
        disabled: col(r, 4)?,
    })
}

pub(crate) fn user(client: &mut Client, name: &str) -> Result<Option<User>> {
    let row = client
        .query_opt(&format!("SELECT {USER_COLS} FROM users WHERE name = $1"), &[&name])
        .during("reading a user")?;
    row.as_ref().map(to_user).transpose()
}

pub(crate) fn users(client: &mut Client) -> Result<Vec<User>> {
    let rows = client.query(&format!("SELECT {USER_COLS} FROM users ORDER BY name"), &[]).during("listing users")?;
    rows.iter().map(to_user).collect()
}

const TOKEN_COLS: &str = "id, name, role, secret_sha256, created_at, expires_at, revoked, last_used_at";

fn to_token(r: &postgres::Row) -> Result<ApiToken> {
    let r_role: String = col(r, 2)?;
    Ok(ApiToken {
        id: col(r, 0)?,
        name: col(r, 1)?,
        role: role(&r_role)?,
        secret_sha256: col(r, 3)?,
        created_at: col(r, 4)?,
        expires_at: col(r, 5)?,
        revoked: col(r, 6)?,
        last_used_at: col(r, 7)?,
    })
}

pub(crate) fn create_token(client: &mut Client, t: &ApiToken, meta: &ChangeMeta) -> Result<()> {
    let mut tx = client.transaction().during("starting to add a token")?;
    let tail = audit::lock(&mut tx)?;
    tx.execute(
        &format!("INSERT INTO api_tokens ({TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        &[
            &t.id,
            &t.name,
            &t.role.as_str(),
            &t.secret_sha256,
            &t.created_at,
            &t.expires_at,
            &t.revoked,
            &t.last_used_at,
        ],
    )
    .map_err(|e| exists_or(format!("token '{}'", t.id), "adding a token", &e))?;
    let detail = serde_json::json!({"id": t.id, "name": t.name, "role": t.role.as_str(), "expires_at": t.expires_at});
    audit::append(&mut tx, &msadesk_store::next_audit_entry(tail, meta, "token", "create", &detail))?;
    tx.commit().during("committing the new token")
}

pub(crate) fn token_by_secret(client: &mut Client, secret_sha256: &str) -> Result<Option<ApiToken>> {
    let row = client
        .query_opt(&format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE secret_sha256 = $1"), &[&secret_sha256])
        .during("reading a token")?;
    row.as_ref().map(to_token).transpose()
}

pub(crate) fn tokens(client: &mut Client) -> Result<Vec<ApiToken>> {
    let rows = client
        .query(&format!("SELECT {TOKEN_COLS} FROM api_tokens ORDER BY created_at, id"), &[])
        .during("listing tokens")?;
    rows.iter().map(to_token).collect()
}

pub(crate) fn revoke_token(client: &mut Client, id: &str, meta: &ChangeMeta) -> Result<bool> {
    let mut tx = client.transaction().during("starting to revoke a token")?;
    let tail = audit::lock(&mut tx)?;
    let n = tx.execute("UPDATE api_tokens SET revoked = true WHERE id = $1", &[&id]).during("revoking a token")?;
    if n == 0 {
        return Ok(false);
    }
    let detail = serde_json::json!({"id": id});
    audit::append(&mut tx, &msadesk_store::next_audit_entry(tail, meta, "token", "revoke", &detail))?;
    tx.commit().during("committing the revocation")?;
    Ok(true)
}

pub(crate) fn touch_token(client: &mut Client, id: &str, at: &str) -> Result<()> {
    client.execute("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1", &[&id, &at]).during("touching a token")?;
    Ok(())
}

pub(crate) fn create_session(client: &mut Client, s: &Session) -> Result<()> {
    client
        .execute("DELETE FROM sessions WHERE expires_at <= $1", &[&s.created_at])
        .during("removing expired sessions")?;
    client
        .execute(
            "INSERT INTO sessions (id_sha256, user_name, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&s.id_sha256, &s.user, &s.csrf, &s.created_at, &s.expires_at],
        )
        .during("adding a session")?;
    Ok(())
}

pub(crate) fn session(client: &mut Client, id_sha256: &str, now: &str) -> Result<Option<Session>> {
    let row = client
        .query_opt(
            "SELECT id_sha256, user_name, csrf, created_at, expires_at FROM sessions
             WHERE id_sha256 = $1 AND expires_at > $2",
            &[&id_sha256, &now],
        )
        .during("reading a session")?;
    row.map(|r| {
        Ok(Session {
            id_sha256: col(&r, 0)?,
            user: col(&r, 1)?,
            csrf: col(&r, 2)?,
            created_at: col(&r, 3)?,
            expires_at: col(&r, 4)?,
        })
    })
    .transpose()
}

pub(crate) fn delete_session(client: &mut Client, id_sha256: &str) -> Result<()> {
    client.execute("DELETE FROM sessions WHERE id_sha256 = $1", &[&id_sha256]).during("deleting a session")?;
    Ok(())
}
