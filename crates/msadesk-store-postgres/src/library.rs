//! The documentation library, response packages and inspector access in PostgreSQL (tables of
//! `migrations/0006_library.sql`). Every writer takes the audit lock first.

use msadesk_core::inbox::{Request, Step};
use msadesk_core::{Date, ProductId, Version};
use msadesk_store::library::{check_inspector_token, document_detail, grant_detail, package_detail, unknown_version};
use msadesk_store::{
    AccessEntry, ApiToken, ChangeMeta, DocKind, DocumentInfo, InspectorGrant, LibraryStore, NewDocument, NewPackage,
    PackageInfo, StoreError, apply_step, next_audit_entry, request_detail, unknown_request,
};
use postgres::Row;

use crate::error::{During, col, parse_stored, parse_stored_opt};
use crate::{PostgresStore, audit, inbox};

type Result<T> = std::result::Result<T, StoreError>;

const DOC_COLS: &str = "id, product_id, version, kind, revision, file_name, media_type, size, sha256, uploaded_by, \
     uploaded_at, retention_until, retention_basis, \
     revision = (SELECT MAX(d2.revision) FROM documents d2 WHERE d2.product_id = documents.product_id \
       AND d2.version = documents.version AND d2.kind = documents.kind)";

fn to_doc(r: &Row) -> Result<DocumentInfo> {
    let product: String = col(r, 1)?;
    let version: String = col(r, 2)?;
    let kind: String = col(r, 3)?;
    let until: Option<String> = col(r, 11)?;
    let size: i64 = col(r, 7)?;
    Ok(DocumentInfo {
        id: col(r, 0)?,
        product_id: parse_stored("document product", &product, ProductId::parse)?,
        version: parse_stored("document version", &version, Version::parse)?,
        kind: parse_stored("document kind", &kind, DocKind::parse)?,
        revision: col(r, 4)?,
        file_name: col(r, 5)?,
        media_type: col(r, 6)?,
        size: u64::try_from(size).unwrap_or(0),
        sha256: col(r, 8)?,
        uploaded_by: col(r, 9)?,
        uploaded_at: col(r, 10)?,
        retention_until: parse_stored_opt("retention_until", until.as_deref(), Date::parse)?,
        retention_basis: col(r, 12)?,
        current: col(r, 13)?,
    })
}

const PKG_COLS: &str = "id, request_id, number, file_name, size, sha256, files, built_by, built_at";

fn to_pkg(r: &Row) -> Result<PackageInfo> {
    let files: String = col(r, 6)?;
    let size: i64 = col(r, 4)?;
    Ok(PackageInfo {
        id: col(r, 0)?,
        request_id: col(r, 1)?,
        number: col(r, 2)?,
        file_name: col(r, 3)?,
        size: u64::try_from(size).unwrap_or(0),
        sha256: col(r, 5)?,
        files: parse_stored("package files", &files, |s| serde_json::from_str::<Vec<String>>(s))?,
        built_by: col(r, 7)?,
        built_at: col(r, 8)?,
    })
}

const GRANT_COLS: &str = "token_id, request_id, created_by, created_at, expires_at, revoked";

fn to_grant(r: &Row) -> Result<InspectorGrant> {
    Ok(InspectorGrant {
        token_id: col(r, 0)?,
        request_id: col(r, 1)?,
        created_by: col(r, 2)?,
        created_at: col(r, 3)?,
        expires_at: col(r, 4)?,
        revoked: col(r, 5)?,
    })
}

impl LibraryStore for PostgresStore {
    fn add_document(&mut self, d: &NewDocument, meta: &ChangeMeta) -> Result<DocumentInfo> {
        let mut tx = self.client.transaction().during("starting to add a document")?;
        let tail = audit::lock(&mut tx)?;
        let product: Option<i64> = tx
            .query_opt("SELECT id FROM products WHERE product_id = $1", &[&d.product_id.as_str()])
            .during("looking up the product")?
            .map(|r| col(&r, 0))
            .transpose()?;
        let Some(product) = product else { return Err(StoreError::UnknownProduct(d.product_id.clone())) };
        let known = tx
            .query_opt(
                "SELECT 1 FROM product_versions WHERE product_ref = $1 AND version = $2",
                &[&product, &d.version.as_str()],
            )
            .during("looking up the version")?;
        if known.is_none() {
            return Err(unknown_version(&d.product_id, &d.version));
        }
        let key: [&(dyn postgres::types::ToSql + Sync); 3] =
            [&d.product_id.as_str(), &d.version.as_str(), &d.kind.as_str()];
        let revision: i64 = col(
            &tx.query_one(
                "SELECT COALESCE(MAX(revision), 0) + 1 FROM documents WHERE product_id = $1 AND version = $2 AND kind = $3",
                &key,
            )
            .during("numbering the document")?,
            0,
        )?;
        let size = d.bytes.len() as i64;
        let until = d.retention_until.map(|u| u.to_string());
        let row = tx
            .query_one(
                "INSERT INTO documents (product_id, version, kind, revision, file_name, media_type, size, sha256, bytes,
                                        uploaded_by, uploaded_at, retention_until, retention_basis)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                &[
                    &d.product_id.as_str(),
                    &d.version.as_str(),
                    &d.kind.as_str(),
                    &revision,
                    &d.file_name,
                    &d.media_type,
                    &size,
                    &d.sha256,
                    &d.bytes,
                    &meta.actor,
                    &meta.at,
                    &until,
                    &d.retention_basis,
                ],
            )
            .during("adding the document")?;
        let id: i64 = col(&row, 0)?;
        let info = to_doc(
            &tx.query_one(&format!("SELECT {DOC_COLS} FROM documents WHERE id = $1"), &[&id])
                .during("reading the document back")?,
        )?;
        audit::append(&mut tx, &next_audit_entry(tail, meta, "documents", "add", &document_detail(&info)))?;
        tx.commit().during("committing the document")?;
        Ok(info)
    }

    fn documents(&mut self, product: Option<&ProductId>) -> Result<Vec<DocumentInfo>> {
        let rows = match product {
            Some(p) => self.client.query(
                &format!("SELECT {DOC_COLS} FROM documents WHERE product_id = $1 ORDER BY product_id, version, kind, revision"),
                &[&p.as_str()],
            ),
            None => self
                .client
                .query(&format!("SELECT {DOC_COLS} FROM documents ORDER BY product_id, version, kind, revision"), &[]),
        }
        .during("listing documents")?;
        rows.iter().map(to_doc).collect()
    }

    fn document(&mut self, id: i64) -> Result<Option<(DocumentInfo, Vec<u8>)>> {
        let row = self
            .client
            .query_opt(&format!("SELECT {DOC_COLS}, bytes FROM documents WHERE id = $1"), &[&id])
            .during("reading a document")?;
        row.map(|r| Ok((to_doc(&r)?, col::<Vec<u8>>(&r, 14)?))).transpose()
    }

    fn add_package(&mut self, p: &NewPackage, meta: &ChangeMeta) -> Result<(PackageInfo, Request)> {
        let mut tx = self.client.transaction().during("starting to store a package")?;
        let tail = audit::lock(&mut tx)?;
        let mut r = inbox::requests(&mut tx, Some(p.request_id))?.pop().ok_or_else(|| unknown_request(p.request_id))?;
        let number: i64 = col(
            &tx.query_one(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM response_packages WHERE request_id = $1",
                &[&p.request_id],
            )
            .during("numbering the package")?,
            0,
        )?;
        let files = serde_json::to_string(&p.files).map_err(|e| StoreError::Backend(e.to_string()))?;
        let size = p.bytes.len() as i64;
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO response_packages (request_id, number, file_name, size, sha256, files, bytes, built_by, built_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {PKG_COLS}"
                ),
                &[&p.request_id, &number, &p.file_name, &size, &p.sha256, &files, &p.bytes, &meta.actor, &meta.at],
            )
            .during("storing the package")?;
        let info = to_pkg(&row)?;
        let note = format!("package #{number} {} (SHA-256 {})", info.file_name, info.sha256);
        apply_step(&mut r, &Step::PackageBuilt, Some(&note), meta)?;
        inbox::save_request(&mut tx, &r)?;
        let first = next_audit_entry(tail, meta, "response_packages", "build", &package_detail(&info));
        let tail2 = Some((first.seq, first.hash.clone()));
        audit::append(&mut tx, &first)?;
        audit::append(
            &mut tx,
            &next_audit_entry(tail2, meta, "msa_requests", Step::PackageBuilt.name(), &request_detail(&r)),
        )?;
        tx.commit().during("committing the package")?;
        Ok((info, r))
    }

    fn packages(&mut self, request_id: i64) -> Result<Vec<PackageInfo>> {
        let rows = self
            .client
            .query(
                &format!("SELECT {PKG_COLS} FROM response_packages WHERE request_id = $1 ORDER BY number"),
                &[&request_id],
            )
            .during("listing packages")?;
        rows.iter().map(to_pkg).collect()
    }

    fn package(&mut self, request_id: i64, number: i64) -> Result<Option<(PackageInfo, Vec<u8>)>> {
        let row = self
            .client
            .query_opt(
                &format!("SELECT {PKG_COLS}, bytes FROM response_packages WHERE request_id = $1 AND number = $2"),
                &[&request_id, &number],
            )
            .during("reading a package")?;
        row.map(|r| Ok((to_pkg(&r)?, col::<Vec<u8>>(&r, 9)?))).transpose()
    }

    fn grant_inspector(&mut self, t: &ApiToken, request_id: i64, meta: &ChangeMeta) -> Result<InspectorGrant> {
        let expires_at = check_inspector_token(t)?;
        let mut tx = self.client.transaction().during("starting to share a request")?;
        let tail = audit::lock(&mut tx)?;
        inbox::requests(&mut tx, Some(request_id))?.pop().ok_or_else(|| unknown_request(request_id))?;
        tx.execute(
            "INSERT INTO api_tokens (id, name, role, secret_sha256, created_at, expires_at, revoked, last_used_at)
             VALUES ($1, $2, $3, $4, $5, $6, false, NULL)",
            &[&t.id, &t.name, &t.role.as_str(), &t.secret_sha256, &t.created_at, &t.expires_at],
        )
        .during("adding the inspector token")?;
        let grant = InspectorGrant {
            token_id: t.id.clone(),
            request_id,
            created_by: meta.actor.clone(),
            created_at: meta.at.clone(),
            expires_at,
            revoked: false,
        };
        tx.execute(
            &format!("INSERT INTO inspector_grants ({GRANT_COLS}) VALUES ($1, $2, $3, $4, $5, false)"),
            &[&grant.token_id, &grant.request_id, &grant.created_by, &grant.created_at, &grant.expires_at],
        )
        .during("adding the grant")?;
        audit::append(&mut tx, &next_audit_entry(tail, meta, "inspector_grants", "share", &grant_detail(&grant, t)))?;
        tx.commit().during("committing the grant")?;
        Ok(grant)
    }

    fn inspector_grant(&mut self, token_id: &str) -> Result<Option<InspectorGrant>> {
        let row = self
            .client
            .query_opt(&format!("SELECT {GRANT_COLS} FROM inspector_grants WHERE token_id = $1"), &[&token_id])
            .during("reading a grant")?;
        row.as_ref().map(to_grant).transpose()
    }

    fn inspector_grants(&mut self, request_id: i64) -> Result<Vec<InspectorGrant>> {
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT {GRANT_COLS} FROM inspector_grants WHERE request_id = $1 ORDER BY created_at, token_id"
                ),
                &[&request_id],
            )
            .during("listing grants")?;
        rows.iter().map(to_grant).collect()
    }

    fn revoke_inspectors(&mut self, request_id: i64, meta: &ChangeMeta) -> Result<u64> {
        let mut tx = self.client.transaction().during("starting to unshare a request")?;
        let tail = audit::lock(&mut tx)?;
        inbox::requests(&mut tx, Some(request_id))?.pop().ok_or_else(|| unknown_request(request_id))?;
        let ids: Vec<String> = tx
            .query(
                "SELECT token_id FROM inspector_grants WHERE request_id = $1 AND NOT revoked ORDER BY token_id",
                &[&request_id],
            )
            .during("listing active grants")?
            .iter()
            .map(|r| col(r, 0))
            .collect::<Result<_>>()?;
        for id in &ids {
            tx.execute("UPDATE inspector_grants SET revoked = true WHERE token_id = $1", &[id])
                .during("revoking a grant")?;
            tx.execute("UPDATE api_tokens SET revoked = true WHERE id = $1", &[id]).during("revoking a token")?;
        }
        if !ids.is_empty() {
            let detail = serde_json::json!({"request_id": request_id, "tokens": ids});
            audit::append(&mut tx, &next_audit_entry(tail, meta, "inspector_grants", "unshare", &detail))?;
        }
        tx.commit().during("committing the revocation")?;
        Ok(ids.len() as u64)
    }

    fn log_access(&mut self, token_id: &str, request_id: i64, at: &str, what: &str, allowed: bool) -> Result<()> {
        self.client
            .execute(
                "INSERT INTO inspector_access (token_id, request_id, at, what, allowed) VALUES ($1, $2, $3, $4, $5)",
                &[&token_id, &request_id, &at, &what, &allowed],
            )
            .during("logging an inspector read")?;
        Ok(())
    }

    fn access_log(&mut self, request_id: i64) -> Result<Vec<AccessEntry>> {
        let rows = self
            .client
            .query(
                "SELECT id, token_id, request_id, at, what, allowed FROM inspector_access WHERE request_id = $1 ORDER BY id",
                &[&request_id],
            )
            .during("reading the access log")?;
        rows.iter()
            .map(|r| {
                Ok(AccessEntry {
                    id: col(r, 0)?,
                    token_id: col(r, 1)?,
                    request_id: col(r, 2)?,
                    at: col(r, 3)?,
                    what: col(r, 4)?,
                    allowed: col(r, 5)?,
                })
            })
            .collect()
    }
}
