//! The MSA inbox tables: the authority directory, the holiday lists and the requests. Audit entries
//! are appended by the `Store` methods in `lib.rs`, in the same transaction.

use msadesk_core::inbox::{Authority, Holiday, NewRequest, Request};
use msadesk_store::{ChangeMeta, Result, from_body, to_body, unknown_authority};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{backend, corrupt};

/// Seeds the directory and the holiday lists with msadesk's defaults (run by migration 4).
pub(crate) fn seed(tx: &Connection) -> Result<()> {
    let (authorities, holidays) = msadesk_store::inbox_seed()?;
    for (id, country, body) in authorities {
        tx.execute(
            "INSERT OR IGNORE INTO authorities (id, country, body) VALUES (?1, ?2, ?3)",
            params![id, country, body],
        )
        .map_err(backend)?;
    }
    for (country, day, name) in holidays {
        tx.execute(
            "INSERT OR IGNORE INTO holidays (country, day, name) VALUES (?1, ?2, ?3)",
            params![country, day, name],
        )
        .map_err(backend)?;
    }
    Ok(())
}

pub(crate) fn authorities(conn: &Connection) -> Result<Vec<Authority>> {
    let mut stmt = conn.prepare("SELECT id, body FROM authorities ORDER BY country, id").map_err(backend)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, body) = row.map_err(backend)?;
        out.push(from_body(&format!("authority '{id}'"), &body)?);
    }
    Ok(out)
}

/// Inserts or replaces; `true` when the id was new.
pub(crate) fn put_authority(tx: &Connection, a: &Authority) -> Result<bool> {
    let exists = tx
        .query_row("SELECT 1 FROM authorities WHERE id = ?1", [&a.id], |_| Ok(()))
        .optional()
        .map_err(backend)?
        .is_some();
    tx.execute(
        "INSERT INTO authorities (id, country, body) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET country = excluded.country, body = excluded.body",
        params![a.id, a.country.as_str(), to_body(a)?],
    )
    .map_err(backend)?;
    Ok(!exists)
}

pub(crate) fn holidays(conn: &Connection) -> Result<Vec<Holiday>> {
    let mut stmt = conn.prepare("SELECT country, day, name FROM holidays ORDER BY country, day").map_err(backend)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (country, day, name) = row.map_err(backend)?;
        let date = msadesk_core::Date::parse(&day).map_err(|e| corrupt("holiday", &day, e))?;
        out.push(Holiday { country, date, name });
    }
    Ok(out)
}

pub(crate) fn set_holidays(tx: &Connection, country: &str, list: &[Holiday]) -> Result<()> {
    tx.execute("DELETE FROM holidays WHERE country = ?1", [country]).map_err(backend)?;
    for h in list {
        tx.execute(
            "INSERT OR REPLACE INTO holidays (country, day, name) VALUES (?1, ?2, ?3)",
            params![country, h.date.to_string(), h.name],
        )
        .map_err(backend)?;
    }
    Ok(())
}

pub(crate) fn add_request(tx: &Connection, new: &NewRequest, meta: &ChangeMeta) -> Result<Request> {
    let known = tx
        .query_row("SELECT 1 FROM authorities WHERE id = ?1", [&new.authority], |_| Ok(()))
        .optional()
        .map_err(backend)?
        .is_some();
    if !known {
        return Err(unknown_authority(&new.authority));
    }
    tx.execute(
        "INSERT INTO msa_requests (authority_id, status, due, body) VALUES (?1, 'received', ?2, '{}')",
        params![new.authority, new.due.to_string()],
    )
    .map_err(backend)?;
    let id = tx.last_insert_rowid();
    let r = Request::received(id, new.clone(), &meta.at, &meta.actor);
    save_request(tx, &r)?;
    Ok(r)
}

pub(crate) fn save_request(tx: &Connection, r: &Request) -> Result<()> {
    tx.execute(
        "UPDATE msa_requests SET status = ?2, due = ?3, body = ?4 WHERE id = ?1",
        params![r.id, r.status.as_str(), r.new.due.to_string(), to_body(r)?],
    )
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn requests(conn: &Connection, id: Option<i64>) -> Result<Vec<Request>> {
    let mut stmt =
        conn.prepare("SELECT id, body FROM msa_requests WHERE ?1 IS NULL OR id = ?1 ORDER BY id").map_err(backend)?;
    let rows = stmt.query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, body) = row.map_err(backend)?;
        let mut r: Request = from_body(&format!("request #{id}"), &body)?;
        r.id = id;
        out.push(r);
    }
    Ok(out)
}
