//! The MSA inbox tables: the authority directory, the holiday lists and the requests. Every change
//! takes the audit lock first and appends its entry in the same transaction.

use msadesk_core::inbox::{Authority, Holiday, NewRequest, Request, Step};
use msadesk_store::{
    ChangeMeta, StoreError, apply_step, authority_detail, from_body, next_audit_entry, request_detail, to_body,
    unknown_authority, unknown_request,
};
use postgres::{Client, GenericClient, Transaction};

use crate::audit;
use crate::error::{During, col, parse_stored};

/// Seeds the directory and the holiday lists with msadesk's defaults (run by migration 4).
pub(crate) fn seed(tx: &mut Transaction<'_>) -> Result<(), StoreError> {
    let (authorities, holidays) = msadesk_store::inbox_seed()?;
    for (id, country, body) in authorities {
        tx.execute(
            "INSERT INTO authorities (id, country, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            &[&id, &country, &body],
        )
        .during("seeding the authority directory")?;
    }
    for (country, day, name) in holidays {
        tx.execute(
            "INSERT INTO holidays (country, day, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&country, &day, &name],
        )
        .during("seeding the holiday lists")?;
    }
    Ok(())
}

pub(crate) fn authorities(client: &mut Client) -> Result<Vec<Authority>, StoreError> {
    let rows =
        client.query("SELECT id, body FROM authorities ORDER BY country, id", &[]).during("reading the authorities")?;
    rows.iter()
        .map(|r| {
            let id: String = col(r, 0)?;
            let body: String = col(r, 1)?;
            from_body(&format!("authority '{id}'"), &body)
        })
        .collect()
}

pub(crate) fn put_authority(client: &mut Client, a: &Authority, meta: &ChangeMeta) -> Result<bool, StoreError> {
    let mut tx = client.transaction().during("starting to save an authority")?;
    let tail = audit::lock(&mut tx)?;
    let exists = tx.query_opt("SELECT 1 FROM authorities WHERE id = $1", &[&a.id]).during("reading an authority")?;
    tx.execute(
        "INSERT INTO authorities (id, country, body) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET country = excluded.country, body = excluded.body",
        &[&a.id, &a.country.as_str(), &to_body(a)?],
    )
    .during("saving an authority")?;
    let action = if exists.is_none() { "add" } else { "edit" };
    audit::append(&mut tx, &next_audit_entry(tail, meta, "authorities", action, &authority_detail(a)))?;
    tx.commit().during("committing the authority")?;
    Ok(exists.is_none())
}

pub(crate) fn holidays(client: &mut Client) -> Result<Vec<Holiday>, StoreError> {
    let rows = client
        .query("SELECT country, day, name FROM holidays ORDER BY country, day", &[])
        .during("reading the holidays")?;
    rows.iter()
        .map(|r| {
            let day: String = col(r, 1)?;
            Ok(Holiday {
                country: col(r, 0)?,
                date: parse_stored("holiday", &day, msadesk_core::Date::parse)?,
                name: col(r, 2)?,
            })
        })
        .collect()
}

pub(crate) fn set_holidays(
    client: &mut Client,
    country: &str,
    list: &[Holiday],
    meta: &ChangeMeta,
) -> Result<(), StoreError> {
    let mut tx = client.transaction().during("starting to replace holidays")?;
    let tail = audit::lock(&mut tx)?;
    tx.execute("DELETE FROM holidays WHERE country = $1", &[&country]).during("replacing holidays")?;
    for h in list {
        tx.execute(
            "INSERT INTO holidays (country, day, name) VALUES ($1, $2, $3)
             ON CONFLICT (country, day) DO UPDATE SET name = excluded.name",
            &[&country, &h.date.to_string(), &h.name],
        )
        .during("replacing holidays")?;
    }
    let detail = serde_json::json!({ "country": country, "holidays": list });
    audit::append(&mut tx, &next_audit_entry(tail, meta, "holidays", "replace", &detail))?;
    tx.commit().during("committing the holidays")
}

pub(crate) fn add_request(client: &mut Client, new: &NewRequest, meta: &ChangeMeta) -> Result<Request, StoreError> {
    let mut tx = client.transaction().during("starting to register a request")?;
    let tail = audit::lock(&mut tx)?;
    if tx
        .query_opt("SELECT 1 FROM authorities WHERE id = $1", &[&new.authority])
        .during("reading an authority")?
        .is_none()
    {
        return Err(unknown_authority(&new.authority));
    }
    let row = tx
        .query_one(
            "INSERT INTO msa_requests (authority_id, status, due, body) VALUES ($1, 'received', $2, '{}') RETURNING id",
            &[&new.authority, &new.due.to_string()],
        )
        .during("registering a request")?;
    let id: i64 = col(&row, 0)?;
    let r = Request::received(id, new.clone(), &meta.at, &meta.actor);
    save_request(&mut tx, &r)?;
    audit::append(&mut tx, &next_audit_entry(tail, meta, "msa_requests", "received", &request_detail(&r)))?;
    tx.commit().during("committing the request")?;
    Ok(r)
}

pub(crate) fn request_step(
    client: &mut Client,
    id: i64,
    step: &Step,
    note: Option<&str>,
    meta: &ChangeMeta,
) -> Result<Request, StoreError> {
    let mut tx = client.transaction().during("starting to update a request")?;
    let tail = audit::lock(&mut tx)?;
    let mut r = requests(&mut tx, Some(id))?.pop().ok_or_else(|| unknown_request(id))?;
    apply_step(&mut r, step, note, meta)?;
    save_request(&mut tx, &r)?;
    audit::append(&mut tx, &next_audit_entry(tail, meta, "msa_requests", step.name(), &request_detail(&r)))?;
    tx.commit().during("committing the request")?;
    Ok(r)
}

pub(crate) fn save_request(tx: &mut Transaction<'_>, r: &Request) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE msa_requests SET status = $2, due = $3, body = $4 WHERE id = $1",
        &[&r.id, &r.status.as_str(), &r.new.due.to_string(), &to_body(r)?],
    )
    .during("saving a request")?;
    Ok(())
}

pub(crate) fn requests(client: &mut impl GenericClient, id: Option<i64>) -> Result<Vec<Request>, StoreError> {
    let rows = client
        .query("SELECT id, body FROM msa_requests WHERE $1::bigint IS NULL OR id = $1 ORDER BY id", &[&id])
        .during("reading requests")?;
    rows.iter()
        .map(|row| {
            let id: i64 = col(row, 0)?;
            let body: String = col(row, 1)?;
            let mut r: Request = from_body(&format!("request #{id}"), &body)?;
            r.id = id;
            Ok(r)
        })
        .collect()
}
