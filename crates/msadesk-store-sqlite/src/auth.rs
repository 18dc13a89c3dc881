//! Users, sessions and API tokens in SQLite (tables of `migrations/0003_auth.sql`).

use msadesk_store::{ApiToken, ChangeMeta, Result, Role, Session, StoreError, User};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::{append_audit, backend};

fn role(s: &str) -> Result<Role> {
    Role::parse(s).map_err(StoreError::Corrupt)
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

pub(crate) fn create_user(conn: &mut Connection, u: &User, meta: &ChangeMeta) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    tx.execute(
        "INSERT INTO users (name, role, password_hash, created_at, disabled) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![u.name, u.role.as_str(), u.password_hash, u.created_at, u.disabled],
    )
    .map_err(|e| {
        if is_unique_violation(&e) { StoreError::AlreadyExists(format!("user '{}'", u.name)) } else { backend(e) }
    })?;
    append_audit(&tx, meta, "user", "create", &serde_json::json!({"name": u.name, "role": u.role.as_str()}))?;
    tx.commit().map_err(backend)
}

const USER_COLS: &str = "name, role, password_hash, created_at, disabled";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, String, bool)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn to_user((name, r, password_hash, created_at, disabled): (String, String, String, String, bool)) -> Result<User> {
    Ok(User { name, role: role(&r)?, password_hash, created_at, disabled })
}

pub(crate) fn user(conn: &Connection, name: &str) -> Result<Option<User>> {
    let row = conn
        .query_row(&format!("SELECT {USER_COLS} FROM users WHERE name = ?1"), [name], user_row)
        .optional()
        .map_err(backend)?;
    row.map(to_user).transpose()
}

pub(crate) fn users(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn.prepare(&format!("SELECT {USER_COLS} FROM users ORDER BY name")).map_err(backend)?;
    let rows = stmt.query_map([], user_row).map_err(backend)?.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)?;
    rows.into_iter().map(to_user).collect()
}

const TOKEN_COLS: &str = "id, name, role, secret_sha256, created_at, expires_at, revoked, last_used_at";

type TokenRow = (String, String, String, String, String, Option<String>, bool, Option<String>);

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

fn to_token(t: TokenRow) -> Result<ApiToken> {
    let (id, name, r, secret_sha256, created_at, expires_at, revoked, last_used_at) = t;
    Ok(ApiToken { id, name, role: role(&r)?, secret_sha256, created_at, expires_at, revoked, last_used_at })
}

pub(crate) fn create_token(conn: &mut Connection, t: &ApiToken, meta: &ChangeMeta) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    tx.execute(
        &format!("INSERT INTO api_tokens ({TOKEN_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        params![t.id, t.name, t.role.as_str(), t.secret_sha256, t.created_at, t.expires_at, t.revoked, t.last_used_at],
    )
    .map_err(|e| {
        if is_unique_violation(&e) { StoreError::AlreadyExists(format!("token '{}'", t.id)) } else { backend(e) }
    })?;
    append_audit(
        &tx,
        meta,
        "token",
        "create",
        &serde_json::json!({"id": t.id, "name": t.name, "role": t.role.as_str(), "expires_at": t.expires_at}),
    )?;
    tx.commit().map_err(backend)
}

pub(crate) fn token_by_secret(conn: &Connection, secret_sha256: &str) -> Result<Option<ApiToken>> {
    let row = conn
        .prepare_cached(&format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE secret_sha256 = ?1"))
        .and_then(|mut s| s.query_row([secret_sha256], token_row).optional())
        .map_err(backend)?;
    row.map(to_token).transpose()
}

pub(crate) fn tokens(conn: &Connection) -> Result<Vec<ApiToken>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {TOKEN_COLS} FROM api_tokens ORDER BY created_at, id")).map_err(backend)?;
    let rows =
        stmt.query_map([], token_row).map_err(backend)?.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)?;
    rows.into_iter().map(to_token).collect()
}

pub(crate) fn revoke_token(conn: &mut Connection, id: &str, meta: &ChangeMeta) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
    let n = tx.execute("UPDATE api_tokens SET revoked = 1 WHERE id = ?1", [id]).map_err(backend)?;
    if n == 0 {
        return Ok(false);
    }
    append_audit(&tx, meta, "token", "revoke", &serde_json::json!({"id": id}))?;
    tx.commit().map_err(backend)?;
    Ok(true)
}

pub(crate) fn touch_token(conn: &Connection, id: &str, at: &str) -> Result<()> {
    conn.execute("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1", [id, at]).map_err(backend)?;
    Ok(())
}

pub(crate) fn create_session(conn: &Connection, s: &Session) -> Result<()> {
    conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [&s.created_at]).map_err(backend)?;
    conn.execute(
        "INSERT INTO sessions (id_sha256, user_name, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![s.id_sha256, s.user, s.csrf, s.created_at, s.expires_at],
    )
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn session(conn: &Connection, id_sha256: &str, now: &str) -> Result<Option<Session>> {
    conn.query_row(
        "SELECT id_sha256, user_name, csrf, created_at, expires_at FROM sessions WHERE id_sha256 = ?1 AND expires_at > ?2",
        [id_sha256, now],
        |r| Ok(Session { id_sha256: r.get(0)?, user: r.get(1)?, csrf: r.get(2)?, created_at: r.get(3)?, expires_at: r.get(4)? }),
    )
    .optional()
    .map_err(backend)
}

pub(crate) fn delete_session(conn: &Connection, id_sha256: &str) -> Result<()> {
    conn.execute("DELETE FROM sessions WHERE id_sha256 = ?1", [id_sha256]).map_err(backend)?;
    Ok(())
}
