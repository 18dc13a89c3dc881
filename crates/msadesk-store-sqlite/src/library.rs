//! The documentation library, response packages and inspector access in SQLite (tables of
//! `migrations/0006_library.sql`). Every change appends its audit entry in the same transaction.

use msadesk_core::inbox::{Request, Step};
use msadesk_core::{Date, ProductId, Version};
use msadesk_store::library::{document_detail, grant_detail, package_detail};
use msadesk_store::{
    AccessEntry, ApiToken, ChangeMeta, DocKind, DocumentInfo, InspectorGrant, LibraryStore, NewDocument, NewPackage,
    PackageInfo, Result, Role, StoreError, apply_step, request_detail, unknown_request,
};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::{SqliteStore, append_audit, backend, corrupt, inbox};

const DOC_COLS: &str = "id, product_id, version, kind, revision, file_name, media_type, size, sha256, uploaded_by, \
     uploaded_at, retention_until, retention_basis, \
     revision = (SELECT MAX(d2.revision) FROM documents d2 WHERE d2.product_id = documents.product_id \
       AND d2.version = documents.version AND d2.kind = documents.kind)";

fn doc_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
        r.get(13)?,
    ))
}

type DocRow =
    (i64, String, String, String, i64, String, String, i64, String, String, String, Option<String>, String, bool);

fn to_doc(r: DocRow) -> Result<DocumentInfo> {
    let (id, product, version, kind, revision, file_name, media_type, size, sha256, by, at, until, basis, current) = r;
    Ok(DocumentInfo {
        id,
        product_id: ProductId::parse(&product).map_err(|e| corrupt("document product", &product, e))?,
        version: Version::parse(&version).map_err(|e| corrupt("document version", &version, e))?,
        kind: DocKind::parse(&kind).map_err(|e| corrupt("document kind", &kind, e))?,
        file_name,
        media_type,
        size: u64::try_from(size).unwrap_or(0),
        sha256,
        uploaded_by: by,
        uploaded_at: at,
        retention_until: until.map(|u| Date::parse(&u).map_err(|e| corrupt("retention_until", &u, e))).transpose()?,
        retention_basis: basis,
        revision,
        current,
    })
}

const PKG_COLS: &str = "id, request_id, number, file_name, size, sha256, files, built_by, built_at";
type PkgRow = (i64, i64, i64, String, i64, String, String, String, String);

fn pkg_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PkgRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
}

fn to_pkg(r: PkgRow) -> Result<PackageInfo> {
    let (id, request_id, number, file_name, size, sha256, files, built_by, built_at) = r;
    Ok(PackageInfo {
        id,
        request_id,
        number,
        file_name,
        size: u64::try_from(size).unwrap_or(0),
        sha256,
        files: serde_json::from_str(&files).map_err(|e| corrupt("package files", &files, e))?,
        built_by,
        built_at,
    })
}

const GRANT_COLS: &str = "token_id, request_id, created_by, created_at, expires_at, revoked";

fn grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InspectorGrant> {
    Ok(InspectorGrant {
        token_id: r.get(0)?,
        request_id: r.get(1)?,
        created_by: r.get(2)?,
        created_at: r.get(3)?,
        expires_at: r.get(4)?,
        revoked: r.get(5)?,
    })
}

impl LibraryStore for SqliteStore {
    fn add_document(&mut self, d: &NewDocument, meta: &ChangeMeta) -> Result<DocumentInfo> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let product: Option<i64> = tx
            .query_row("SELECT id FROM products WHERE product_id = ?1", [d.product_id.as_str()], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        let Some(product) = product else { return Err(StoreError::UnknownProduct(d.product_id.clone())) };
        let known = tx
            .query_row(
                "SELECT 1 FROM product_versions WHERE product = ?1 AND version = ?2",
                params![product, d.version.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map_err(backend)?;
        if known.is_none() {
            return Err(msadesk_store::library::unknown_version(&d.product_id, &d.version));
        }
        let revision: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(revision), 0) + 1 FROM documents WHERE product_id = ?1 AND version = ?2 AND kind = ?3",
                params![d.product_id.as_str(), d.version.as_str(), d.kind.as_str()],
                |r| r.get(0),
            )
            .map_err(backend)?;
        tx.execute(
            "INSERT INTO documents (product_id, version, kind, revision, file_name, media_type, size, sha256, bytes,
                                    uploaded_by, uploaded_at, retention_until, retention_basis)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                d.product_id.as_str(),
                d.version.as_str(),
                d.kind.as_str(),
                revision,
                d.file_name,
                d.media_type,
                d.bytes.len() as i64,
                d.sha256,
                d.bytes,
                meta.actor,
                meta.at,
                d.retention_until.map(|u| u.to_string()),
                d.retention_basis,
            ],
        )
        .map_err(backend)?;
        let id = tx.last_insert_rowid();
        let info = tx
            .query_row(&format!("SELECT {DOC_COLS} FROM documents WHERE id = ?1"), [id], doc_row)
            .map_err(backend)
            .and_then(to_doc)?;
        append_audit(&tx, meta, "documents", "add", &document_detail(&info))?;
        tx.commit().map_err(backend)?;
        Ok(info)
    }

    fn documents(&mut self, product: Option<&ProductId>) -> Result<Vec<DocumentInfo>> {
        let sql = format!(
            "SELECT {DOC_COLS} FROM documents {} ORDER BY product_id, version, kind, revision",
            if product.is_some() { "WHERE product_id = ?1" } else { "" }
        );
        let mut stmt = self.conn.prepare(&sql).map_err(backend)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(product.map(|p| p.as_str())), doc_row).map_err(backend)?;
        rows.map(|r| r.map_err(backend).and_then(to_doc)).collect()
    }

    fn document(&mut self, id: i64) -> Result<Option<(DocumentInfo, Vec<u8>)>> {
        let info = self
            .conn
            .query_row(&format!("SELECT {DOC_COLS} FROM documents WHERE id = ?1"), [id], doc_row)
            .optional()
            .map_err(backend)?;
        let Some(info) = info else { return Ok(None) };
        let bytes: Vec<u8> =
            self.conn.query_row("SELECT bytes FROM documents WHERE id = ?1", [id], |r| r.get(0)).map_err(backend)?;
        Ok(Some((to_doc(info)?, bytes)))
    }

    fn add_package(&mut self, p: &NewPackage, meta: &ChangeMeta) -> Result<(PackageInfo, Request)> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let mut r = inbox::requests(&tx, Some(p.request_id))?.pop().ok_or_else(|| unknown_request(p.request_id))?;
        let number: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM response_packages WHERE request_id = ?1",
                [p.request_id],
                |r| r.get(0),
            )
            .map_err(backend)?;
        let files = serde_json::to_string(&p.files).map_err(|e| StoreError::Backend(e.to_string()))?;
        tx.execute(
            "INSERT INTO response_packages (request_id, number, file_name, size, sha256, files, bytes, built_by, built_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![p.request_id, number, p.file_name, p.bytes.len() as i64, p.sha256, files, p.bytes, meta.actor, meta.at],
        )
        .map_err(backend)?;
        let id = tx.last_insert_rowid();
        let info = tx
            .query_row(&format!("SELECT {PKG_COLS} FROM response_packages WHERE id = ?1"), [id], pkg_row)
            .map_err(backend)
            .and_then(to_pkg)?;
        let note = format!("package #{number} {} (SHA-256 {})", info.file_name, info.sha256);
        apply_step(&mut r, &Step::PackageBuilt, Some(&note), meta)?;
        inbox::save_request(&tx, &r)?;
        append_audit(&tx, meta, "response_packages", "build", &package_detail(&info))?;
        append_audit(&tx, meta, "msa_requests", Step::PackageBuilt.name(), &request_detail(&r))?;
        tx.commit().map_err(backend)?;
        Ok((info, r))
    }

    fn packages(&mut self, request_id: i64) -> Result<Vec<PackageInfo>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {PKG_COLS} FROM response_packages WHERE request_id = ?1 ORDER BY number"))
            .map_err(backend)?;
        let rows = stmt.query_map([request_id], pkg_row).map_err(backend)?;
        rows.map(|r| r.map_err(backend).and_then(to_pkg)).collect()
    }

    fn package(&mut self, request_id: i64, number: i64) -> Result<Option<(PackageInfo, Vec<u8>)>> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {PKG_COLS}, bytes FROM response_packages WHERE request_id = ?1 AND number = ?2"),
                params![request_id, number],
                |r| Ok((pkg_row(r)?, r.get::<_, Vec<u8>>(9)?)),
            )
            .optional()
            .map_err(backend)?;
        row.map(|(info, bytes)| Ok((to_pkg(info)?, bytes))).transpose()
    }

    fn grant_inspector(&mut self, t: &ApiToken, request_id: i64, meta: &ChangeMeta) -> Result<InspectorGrant> {
        let expires_at = msadesk_store::library::check_inspector_token(t)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        inbox::requests(&tx, Some(request_id))?.pop().ok_or_else(|| unknown_request(request_id))?;
        debug_assert_eq!(t.role, Role::Inspector);
        tx.execute(
            "INSERT INTO api_tokens (id, name, role, secret_sha256, created_at, expires_at, revoked, last_used_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, NULL)",
            params![t.id, t.name, t.role.as_str(), t.secret_sha256, t.created_at, t.expires_at],
        )
        .map_err(backend)?;
        let grant = InspectorGrant {
            token_id: t.id.clone(),
            request_id,
            created_by: meta.actor.clone(),
            created_at: meta.at.clone(),
            expires_at,
            revoked: false,
        };
        tx.execute(
            &format!("INSERT INTO inspector_grants ({GRANT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, 0)"),
            params![grant.token_id, grant.request_id, grant.created_by, grant.created_at, grant.expires_at],
        )
        .map_err(backend)?;
        append_audit(&tx, meta, "inspector_grants", "share", &grant_detail(&grant, t))?;
        tx.commit().map_err(backend)?;
        Ok(grant)
    }

    fn inspector_grant(&mut self, token_id: &str) -> Result<Option<InspectorGrant>> {
        self.conn
            .query_row(&format!("SELECT {GRANT_COLS} FROM inspector_grants WHERE token_id = ?1"), [token_id], grant_row)
            .optional()
            .map_err(backend)
    }

    fn inspector_grants(&mut self, request_id: i64) -> Result<Vec<InspectorGrant>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {GRANT_COLS} FROM inspector_grants WHERE request_id = ?1 ORDER BY created_at, token_id"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map([request_id], grant_row).map_err(backend)?;
        rows.map(|r| r.map_err(backend)).collect()
    }

    fn revoke_inspectors(&mut self, request_id: i64, meta: &ChangeMeta) -> Result<u64> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        inbox::requests(&tx, Some(request_id))?.pop().ok_or_else(|| unknown_request(request_id))?;
        let ids: Vec<String> = {
            let mut stmt = tx
                .prepare(
                    "SELECT token_id FROM inspector_grants WHERE request_id = ?1 AND revoked = 0 ORDER BY token_id",
                )
                .map_err(backend)?;
            let rows = stmt.query_map([request_id], |r| r.get(0)).map_err(backend)?;
            rows.collect::<rusqlite::Result<_>>().map_err(backend)?
        };
        for id in &ids {
            tx.execute("UPDATE inspector_grants SET revoked = 1 WHERE token_id = ?1", [id]).map_err(backend)?;
            tx.execute("UPDATE api_tokens SET revoked = 1 WHERE id = ?1", [id]).map_err(backend)?;
        }
        if !ids.is_empty() {
            append_audit(
                &tx,
                meta,
                "inspector_grants",
                "unshare",
                &serde_json::json!({"request_id": request_id, "tokens": ids}),
            )?;
        }
        tx.commit().map_err(backend)?;
        Ok(ids.len() as u64)
    }

    fn log_access(&mut self, token_id: &str, request_id: i64, at: &str, what: &str, allowed: bool) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO inspector_access (token_id, request_id, at, what, allowed) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token_id, request_id, at, what, allowed],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn access_log(&mut self, request_id: i64) -> Result<Vec<AccessEntry>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, token_id, request_id, at, what, allowed FROM inspector_access WHERE request_id = ?1 ORDER BY id",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map([request_id], |r| {
                Ok(AccessEntry {
                    id: r.get(0)?,
                    token_id: r.get(1)?,
                    request_id: r.get(2)?,
                    at: r.get(3)?,
                    what: r.get(4)?,
                    allowed: r.get(5)?,
                })
            })
            .map_err(backend)?;
        rows.map(|r| r.map_err(backend)).collect()
    }
}
