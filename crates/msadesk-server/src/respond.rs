//! Building a request's response package: load what the request asks for through the Store, lay
//! it out with `msadesk_formats::response`, sign it with `msadesk_formats::package` and store the
//! exact bytes (which also takes the request's `package_built` step). Shared by the CLI
//! (`msadesk request package`) and the server's "build package" endpoint, so both build the same.

use ed25519_dalek::SigningKey;
use msadesk_core::inbox::{Request, Status};
use msadesk_core::trace::TraceQuery;
use msadesk_formats::package::{self, PackageMeta};
use msadesk_formats::response::{ResponseInput, assemble, kinds_for};
use msadesk_store::{ChangeMeta, NewPackage, PackageInfo, Store, StoreError, unknown_request};

/// A package just built and stored.
pub struct Built {
    pub info: PackageInfo,
    pub request: Request,
    pub bytes: Vec<u8>,
}

/// The period and products of a request, as a trace query.
pub fn request_query(r: &Request) -> TraceQuery {
    TraceQuery { product_id: r.new.product.clone(), version: r.new.version.clone(), from: r.new.from, to: r.new.to }
}

/// Builds, signs and stores the response package of request `id`. [`StoreError::Invalid`] says
/// what to do when the request is not acknowledged, we are not set up, or the product is unknown.
pub fn build_response(
    store: &mut dyn Store,
    id: i64,
    key: &SigningKey,
    meta: &ChangeMeta,
) -> Result<Built, StoreError> {
    let r = store.request(id)?.ok_or_else(|| unknown_request(id))?;
    if !matches!(r.status, Status::Acknowledged | Status::PackageBuilt) {
        return Err(StoreError::Invalid(format!(
            "request #{id} is {}: a package is built after the request is acknowledged and before it is sent (`msadesk request ack {id}` first)",
            r.status
        )));
    }
    let own = store.identity()?.ok_or_else(|| {
        StoreError::Invalid(
            "the package names us as the sender, and we are not set up: run `msadesk init --name … --address … --member-state CC --role ROLE` first".into(),
        )
    })?;
    let authority = store.authorities()?.into_iter().find(|a| a.id == r.new.authority).ok_or_else(|| {
        StoreError::Invalid(format!("authority '{}' is no longer in the directory: add it back", r.new.authority))
    })?;
    let q = request_query(&r);
    let trace = store.trace(&q)?;
    let mut events = Vec::new();
    store.for_each_event(&q, &mut |e| {
        events.push(e);
        Ok(())
    })?;
    let gtins = store.products()?.into_iter().filter_map(|p| p.gtin.map(|g| (p.id, g))).collect();
    let versions = match &r.new.version {
        Some(v) => vec![v.clone()],
        None => store.versions(&r.new.product)?.into_iter().map(|v| v.version).collect(),
    };
    let library = store.documents(Some(&r.new.product))?;
    let (mut documents, mut missing) = (Vec::new(), Vec::new());
    for v in &versions {
        for kind in kinds_for(&r.new.asks) {
            match library.iter().find(|d| d.current && &d.version == v && d.kind == kind) {
                Some(d) => {
                    let (info, bytes) = store
                        .document(d.id)?
                        .ok_or_else(|| StoreError::Corrupt(format!("document {} vanished while building", d.id)))?;
                    documents.push((info, bytes));
                }
                None => missing.push(format!("{} for version {v}", kind.label())),
            }
        }
    }
    let product = store.product(&r.new.product)?;
    let role = product.and_then(|p| p.our_role).unwrap_or(own.default_role);
    let cooperation = match role {
        msadesk_core::OurRole::Manufacturer => "CRA Art 13(22)",
        msadesk_core::OurRole::AuthorisedRepresentative => "CRA Art 18(3)(b)",
        msadesk_core::OurRole::Importer => "CRA Art 19(7)",
        msadesk_core::OurRole::Distributor => "CRA Art 20(5)",
    };
    let legal_basis = format!("{}, {cooperation}", msadesk_core::legal::IDENTIFICATION.cite);
    // Every package carries our readiness report as it stands when the package is built.
    let readiness = msadesk_store::readiness::report(
        store,
        &meta.at,
        &msadesk_core::readiness::ReadinessPolicy::default(),
        msadesk_formats::letters::LANGUAGES,
    )?;
    let input = ResponseInput {
        request: &r,
        authority: &authority,
        own: &own,
        trace: &trace,
        events,
        gtins,
        documents,
        missing,
        created_at: meta.at.clone(),
        legal_basis,
        readiness: &readiness,
    };
    let files = assemble(&input).map_err(|e| StoreError::Invalid(format!("cannot lay out the package: {e}")))?;
    let pmeta = PackageMeta {
        title: format!("Response to {} ({}), request #{id}", r.new.reference, authority.name),
        created_at: meta.at.clone(),
        operator: own.name.clone(),
    };
    let bytes = package::build(&files, &pmeta, key).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let safe: String =
        r.new.reference.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let new = NewPackage {
        request_id: id,
        file_name: format!("response-{safe}.zip"),
        sha256: package::sha256_hex(&bytes),
        files: files.iter().map(|f| f.path.clone()).collect(),
        bytes,
    };
    let (info, request) = store.add_package(&new, meta)?;
    Ok(Built { info, request, bytes: new.bytes })
}

/// A product version that has supply events but lacks documents an authority will ask for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Gap {
    pub product_id: msadesk_core::ProductId,
    pub version: msadesk_core::Version,
    pub missing: Vec<msadesk_store::DocKind>,
}

/// The kinds every version on the market should have ready (DoC, technical documentation, SBOM).
pub const READINESS_KINDS: [msadesk_store::DocKind; 3] =
    [msadesk_store::DocKind::Doc, msadesk_store::DocKind::TechnicalDocumentation, msadesk_store::DocKind::Sbom];

/// Readiness gaps: versions with supply events lacking a DoC, technical documentation or SBOM.
pub fn gaps(store: &mut dyn Store, product: Option<&msadesk_core::ProductId>) -> Result<Vec<Gap>, StoreError> {
    let docs = store.documents(product)?;
    let mut out = Vec::new();
    let products: Vec<_> = match product {
        Some(p) => vec![p.clone()],
        None => store.products()?.into_iter().map(|p| p.id).collect(),
    };
    for pid in products {
        for v in store.versions(&pid)? {
            let q = TraceQuery { product_id: pid.clone(), version: Some(v.version.clone()), from: None, to: None };
            let t = store.trace(&q)?;
            if t.upstream.is_empty() && t.downstream.is_empty() {
                continue;
            }
            let missing: Vec<_> = READINESS_KINDS
                .into_iter()
                .filter(|k| !docs.iter().any(|d| d.product_id == pid && d.version == v.version && d.kind == *k))
                .collect();
            if !missing.is_empty() {
                out.push(Gap { product_id: pid.clone(), version: v.version, missing });
            }
        }
    }
    Ok(out)
}

/// Prepares a document for the library: hash, and the retention end of the product version's
/// documentation for our role (`msadesk_core::retention::documentation`).
pub fn new_document(
    store: &mut dyn Store,
    product_id: msadesk_core::ProductId,
    version: msadesk_core::Version,
    kind: msadesk_store::DocKind,
    file_name: &str,
    media_type: &str,
    bytes: Vec<u8>,
) -> Result<msadesk_store::NewDocument, StoreError> {
    let product = store.product(&product_id)?.ok_or_else(|| StoreError::UnknownProduct(product_id.clone()))?;
    let v = store
        .versions(&product_id)?
        .into_iter()
        .find(|x| x.version == version)
        .ok_or_else(|| msadesk_store::library::unknown_version(&product_id, &version))?;
    let default_role = store.identity()?.map_or(msadesk_core::OurRole::Manufacturer, |i| i.default_role);
    let role = product.our_role.unwrap_or(default_role);
    let r = msadesk_core::retention::documentation(role, v.placed_on_market, v.end_of_support);
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name).trim();
    if base.is_empty() || base.len() > 200 || base.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!("'{file_name}' is not a usable file name")));
    }
    Ok(msadesk_store::NewDocument {
        product_id,
        version,
        kind,
        file_name: base.to_string(),
        media_type: media_type.to_string(),
        sha256: package::sha256_hex(&bytes),
        bytes,
        retention_until: r.until,
        retention_basis: format!("{}: {}", r.basis.cite, r.explanation),
    })
}

/// A media type from a file name, for uploads that do not say.
pub fn media_type_for(file_name: &str) -> &'static str {
    let ext = file_name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "json" => "application/json",
        "xml" => "application/xml",
        "html" | "htm" => "text/html",
        "txt" | "md" => "text/plain",
        "csv" => "text/csv",
        "zip" => "application/zip",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "odt" => "application/vnd.oasis.opendocument.text",
        _ => "application/octet-stream",
    }
}

/// The note of a request's `sent` step: which package went out (the latest built) and the user's note.
pub fn sent_note(store: &mut dyn Store, id: i64, note: Option<&str>) -> Result<Option<String>, StoreError> {
    let last = store.packages(id)?.pop();
    Ok(match (last, note) {
        (Some(p), Some(n)) => Some(format!("package #{} (SHA-256 {}); {n}", p.number, p.sha256)),
        (Some(p), None) => Some(format!("package #{} (SHA-256 {})", p.number, p.sha256)),
        (None, n) => n.map(str::to_string),
    })
}

/// When package `number` of a request was marked sent (the first `sent` step whose note
/// [`sent_note`] wrote for it), if ever.
pub fn package_sent_at(request: &msadesk_core::inbox::Request, number: i64) -> Option<String> {
    let prefix = format!("package #{number} (");
    request
        .timeline
        .iter()
        .find(|e| {
            e.step == msadesk_core::inbox::Step::Sent && e.note.as_deref().is_some_and(|n| n.starts_with(&prefix))
        })
        .map(|e| e.at.clone())
}
