//! The documentation library and response packages (issue 4 items 4–6), as the store keeps them:
//! documents per product version with their bytes and version history, the signed response
//! packages built for requests (exactly the bytes sent), inspector grants scoped to one request and
//! the log of every inspector read.
//!
//! Storage shapes only: hashing, retention dates and package building happen in the binary and
//! the core; the engines keep bytes and rows. Every change is audited in its own transaction.

use msadesk_core::inbox::Request;
use msadesk_core::{Date, ProductId, Version};
use serde::Serialize;

use crate::{ApiToken, ChangeMeta, Result};

/// What a document is, for the library's readiness checks and the response package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// The EU declaration of conformity.
    Doc,
    TechnicalDocumentation,
    Sbom,
    TestReport,
    SecurityUpdateHistory,
    UserInstructions,
    Other,
}

impl DocKind {
    pub const ALL: [DocKind; 7] = [
        DocKind::Doc,
        DocKind::TechnicalDocumentation,
        DocKind::Sbom,
        DocKind::TestReport,
        DocKind::SecurityUpdateHistory,
        DocKind::UserInstructions,
        DocKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Doc => "doc",
            DocKind::TechnicalDocumentation => "technical_documentation",
            DocKind::Sbom => "sbom",
            DocKind::TestReport => "test_report",
            DocKind::SecurityUpdateHistory => "security_update_history",
            DocKind::UserInstructions => "user_instructions",
            DocKind::Other => "other",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            DocKind::Doc => "EU declaration of conformity",
            DocKind::TechnicalDocumentation => "Technical documentation",
            DocKind::Sbom => "SBOM",
            DocKind::TestReport => "Test report",
            DocKind::SecurityUpdateHistory => "Security update history",
            DocKind::UserInstructions => "User instructions",
            DocKind::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> std::result::Result<DocKind, String> {
        let t = s.trim().to_ascii_lowercase().replace('-', "_");
        DocKind::ALL.into_iter().find(|k| k.as_str() == t).ok_or_else(|| {
            format!("'{s}' is not a document kind: use one of {}", DocKind::ALL.map(DocKind::as_str).join(", "))
        })
    }
}

impl std::fmt::Display for DocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A document to store. The caller computes the hash and the retention end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub product_id: ProductId,
    pub version: Version,
    pub kind: DocKind,
    /// The uploaded file's name (no directories).
    pub file_name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, lower-case hex.
    pub sha256: String,
    /// Keep at least until this day (LEGAL.md documentation retention); `None` when unknown.
    pub retention_until: Option<Date>,
    /// The provision (and explanation) the retention end comes from.
    pub retention_basis: String,
}

/// A stored document, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentInfo {
    pub id: i64,
    pub product_id: ProductId,
    pub version: Version,
    pub kind: DocKind,
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    pub retention_until: Option<Date>,
    pub retention_basis: String,
    /// 1 for the first upload of this kind for this version, then 2, 3…
    pub revision: i64,
    /// Whether it is the latest upload of its kind for its version.
    pub current: bool,
}

/// A response package to store: exactly the bytes built (and later sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPackage {
    pub request_id: i64,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    /// The paths inside the package.
    pub files: Vec<String>,
}

/// A stored response package, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageInfo {
    pub id: i64,
    pub request_id: i64,
    /// 1 for the request's first package, then 2, 3…
    pub number: i64,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    pub files: Vec<String>,
    pub built_by: String,
    pub built_at: String,
}

/// An inspector token's scope: the request it may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InspectorGrant {
    pub token_id: String,
    pub request_id: i64,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked: bool,
}

/// One read by an inspector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    pub id: i64,
    pub token_id: String,
    pub request_id: i64,
    pub at: String,
    /// What was read (`GET /api/v1/inspector/requests/3/package`), and whether it was allowed.
    pub what: String,
    pub allowed: bool,
}

/// Storage of the documentation library, response packages and inspector access.
pub trait LibraryStore {
    /// Stores a document (audited; the audit detail has its hash, not its bytes). An upload of a
    /// kind the version has already keeps the earlier one as an older revision.
    /// [`crate::StoreError::UnknownProduct`] when the product is not in the registry,
    /// [`crate::StoreError::Invalid`] when the version is not.
    fn add_document(&mut self, doc: &NewDocument, meta: &ChangeMeta) -> Result<DocumentInfo>;
    /// Every document (all revisions) of a product, or of all products, ordered by product, version,
    /// kind, revision.
    fn documents(&mut self, product: Option<&ProductId>) -> Result<Vec<DocumentInfo>>;
    /// A document with its bytes.
    fn document(&mut self, id: i64) -> Result<Option<(DocumentInfo, Vec<u8>)>>;

    /// Stores a built package and takes the request's `package_built` step, in one audited
    /// transaction. [`crate::StoreError::Invalid`] for an unknown request or a refused step.
    fn add_package(&mut self, package: &NewPackage, meta: &ChangeMeta) -> Result<(PackageInfo, Request)>;
    /// The packages built for a request, oldest first.
    fn packages(&mut self, request_id: i64) -> Result<Vec<PackageInfo>>;
    /// A package with its bytes, by the request and the package's number.
    fn package(&mut self, request_id: i64, number: i64) -> Result<Option<(PackageInfo, Vec<u8>)>>;

    /// Creates an inspector token scoped to a request, in one audited transaction (the token's role
    /// must be inspector and its expiry set). [`crate::StoreError::Invalid`] for an unknown request.
    fn grant_inspector(&mut self, token: &ApiToken, request_id: i64, meta: &ChangeMeta) -> Result<InspectorGrant>;
    /// The grant of an inspector token, if it has one.
    fn inspector_grant(&mut self, token_id: &str) -> Result<Option<InspectorGrant>>;
    /// Every grant of a request, oldest first.
    fn inspector_grants(&mut self, request_id: i64) -> Result<Vec<InspectorGrant>>;
    /// Revokes every active grant of a request and its tokens (audited); how many were revoked.
    fn revoke_inspectors(&mut self, request_id: i64, meta: &ChangeMeta) -> Result<u64>;
    /// Records a read by an inspector token (not an audit entry: reads change nothing).
    fn log_access(&mut self, token_id: &str, request_id: i64, at: &str, what: &str, allowed: bool) -> Result<()>;
    /// The reads of a request's inspectors, oldest first.
    fn access_log(&mut self, request_id: i64) -> Result<Vec<AccessEntry>>;
}

/// The audit detail of a stored document: everything but the bytes.
pub fn document_detail(info: &DocumentInfo) -> serde_json::Value {
    serde_json::to_value(info).unwrap_or(serde_json::Value::Null)
}

/// The audit detail of a stored package.
pub fn package_detail(info: &PackageInfo) -> serde_json::Value {
    serde_json::to_value(info).unwrap_or(serde_json::Value::Null)
}

/// The audit detail of an inspector grant (never the secret).
pub fn grant_detail(grant: &InspectorGrant, token: &ApiToken) -> serde_json::Value {
    serde_json::json!({ "grant": grant, "token_name": token.name, "role": token.role })
}

/// The message for a document of a version the registry does not know.
pub fn unknown_version(product: &ProductId, version: &Version) -> crate::StoreError {
    crate::StoreError::Invalid(format!(
        "product {product} has no version {version}: see `msadesk products`, or import it with `msadesk import products`"
    ))
}

/// An inspector token must have the inspector role and an expiry; returns the expiry.
pub fn check_inspector_token(token: &ApiToken) -> Result<String> {
    if token.role != crate::Role::Inspector {
        return Err(crate::StoreError::Invalid(format!("token '{}' is not an inspector token", token.id)));
    }
    token
        .expires_at
        .clone()
        .ok_or_else(|| crate::StoreError::Invalid("an inspector token must expire: give it an expiry".into()))
}
