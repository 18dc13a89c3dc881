//! The one table of endpoints: method, path, the roles admitted, and what the OpenAPI document says
//! about them. The router is built next to it, and a test checks that both agree and walks every
//! role over every endpoint.

use axum::Router;
use axum::routing::{delete, get, post};
use msadesk_store::Role;

use crate::{AppState, api, library_api, metrics, pages, risk};

/// Read the registry.
pub const READ: &[Role] = &[Role::Admin, Role::Officer, Role::Viewer];
/// Change the registry.
pub const WRITE: &[Role] = &[Role::Admin, Role::Officer];
/// Users and tokens.
pub const ADMIN: &[Role] = &[Role::Admin];
/// An authority's inspector token: reads only the request shared with it.
pub const INSPECT: &[Role] = &[Role::Inspector];
/// Any authenticated caller (inspectors included).
pub const ANY: &[Role] = &[Role::Admin, Role::Officer, Role::Viewer, Role::Inspector];

/// A query or path parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub location: &'static str,
    pub required: bool,
    pub description: &'static str,
    /// `string`, `id`, `integer`, `limit`, `direction`, `kind`, `boolean` or `date` (see `openapi`).
    pub kind: &'static str,
}

const fn q(name: &'static str, kind: &'static str, description: &'static str) -> Param {
    Param { name, location: "query", required: false, description, kind }
}

const fn path(name: &'static str, description: &'static str) -> Param {
    Param { name, location: "path", required: true, description, kind: "id" }
}

/// One endpoint of the JSON API (and the two unauthenticated ones beside it).
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    pub method: &'static str,
    /// OpenAPI path template (`{id}`).
    pub path: &'static str,
    /// `None`: no authentication.
    pub roles: Option<&'static [Role]>,
    pub operation_id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub params: &'static [Param],
    /// Media types of the request body, if it has one.
    pub body: &'static [&'static str],
    /// Schema name (in `openapi::schemas`) of the success answer, and its status.
    pub ok: (u16, &'static str),
}

const fn num(name: &'static str, description: &'static str) -> Param {
    Param { name, location: "path", required: true, description, kind: "integer" }
}

const REQ: Param = Param { name: "id", location: "path", required: true, description: "Request id", kind: "integer" };
const PERIOD_PARAMS: &[Param] = &[
    REQ,
    q("version", "id", "Only this version (must be the request's version if it names one)"),
    q("from", "date", "First day, inclusive (not before the request's period)"),
    q("to", "date", "Last day, inclusive (not after the request's period)"),
];

const TRACE_PARAMS: &[Param] = &[
    Param { name: "product", location: "query", required: true, description: "Product id", kind: "id" },
    q("version", "id", "Only this version (default: all versions)"),
    q("from", "date", "First day of the period, inclusive (YYYY-MM-DD)"),
    q("to", "date", "Last day of the period, inclusive (YYYY-MM-DD)"),
];

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/healthz",
        roles: None,
        operation_id: "health",
        tag: "operations",
        summary: "Whether the server can reach its database",
        params: &[],
        body: &[],
        ok: (200, "Health"),
    },
    Endpoint {
        method: "get",
        path: "/metrics",
        roles: None,
        operation_id: "metrics",
        tag: "operations",
        summary: "Request counters and latencies in the Prometheus text format",
        params: &[],
        body: &[],
        ok: (200, "Text"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/me",
        roles: Some(ANY),
        operation_id: "whoAmI",
        tag: "auth",
        summary: "Who the token belongs to and its role",
        params: &[],
        body: &[],
        ok: (200, "Me"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/products",
        roles: Some(READ),
        operation_id: "listProducts",
        tag: "registry",
        summary: "All products with their versions",
        params: &[],
        body: &[],
        ok: (200, "ProductList"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/products/{id}",
        roles: Some(READ),
        operation_id: "getProduct",
        tag: "registry",
        summary: "One product with its versions",
        params: &[path("id", "Product id")],
        body: &[],
        ok: (200, "Product"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/products/{id}/versions",
        roles: Some(READ),
        operation_id: "listVersions",
        tag: "registry",
        summary: "The versions of a product",
        params: &[path("id", "Product id")],
        body: &[],
        ok: (200, "VersionList"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/operators",
        roles: Some(READ),
        operation_id: "listOperators",
        tag: "registry",
        summary: "Economic operators with their current details",
        params: &[],
        body: &[],
        ok: (200, "OperatorList"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/supply-events",
        roles: Some(READ),
        operation_id: "listSupplyEvents",
        tag: "registry",
        summary: "Supply events, filtered and paged (ordered by product, date, direction)",
        params: &[
            q("product", "id", "Product id (default: all products)"),
            q("version", "id", "Only this version (needs product)"),
            q("direction", "direction", "received or supplied"),
            q("from", "date", "First day, inclusive (YYYY-MM-DD)"),
            q("to", "date", "Last day, inclusive (YYYY-MM-DD)"),
            q("limit", "limit", "Page size, 1 to 1000 (default 100)"),
            q("offset", "integer", "Events to skip (default 0)"),
        ],
        body: &[],
        ok: (200, "EventPage"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/supply-events",
        roles: Some(WRITE),
        operation_id: "createSupplyEvent",
        tag: "registry",
        summary: "Record one supply event (members named like the supply CSV's columns)",
        params: &[],
        body: &["application/json"],
        ok: (201, "ImportReport"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/imports/{kind}",
        roles: Some(WRITE),
        operation_id: "importFile",
        tag: "registry",
        summary: "Import a products CSV, or a supply CSV or EPCIS 2.0 document (atomic unless skip_invalid)",
        params: &[
            Param { name: "kind", location: "path", required: true, description: "products or supply", kind: "kind" },
            q("skip_invalid", "boolean", "Import the valid rows and return the rejected ones (default false)"),
            q("name", "string", "The file name, for diagnostics and the audit trail"),
        ],
        body: &["text/csv", "application/ld+json", "application/json"],
        ok: (200, "ImportReport"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/trace",
        roles: Some(READ),
        operation_id: "trace",
        tag: "registry",
        summary: "CRA Art 23: who supplied the product to us and whom we supplied, in a period",
        params: TRACE_PARAMS,
        body: &[],
        ok: (200, "Trace"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/authorities",
        roles: Some(READ),
        operation_id: "listAuthorities",
        tag: "inbox",
        summary: "The authority directory (each entry with its source and whether it is confirmed)",
        params: &[],
        body: &[],
        ok: (200, "AuthorityList"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/requests",
        roles: Some(READ),
        operation_id: "listRequests",
        tag: "inbox",
        summary: "Requests from authorities with their clocks (overdue, due soon, acknowledgement late)",
        params: &[
            q("overdue", "boolean", "Only requests past their response deadline (default false)"),
            q("now", "string", "Evaluate the clocks at this RFC 3339 instant (default: now)"),
        ],
        body: &[],
        ok: (200, "RequestList"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/requests/{id}",
        roles: Some(READ),
        operation_id: "getRequest",
        tag: "inbox",
        summary: "One request with its clocks and timeline",
        params: &[
            path("id", "Request id"),
            q("now", "string", "Evaluate the clocks at this RFC 3339 instant (default: now)"),
        ],
        body: &[],
        ok: (200, "Request"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/requests/{id}/ack",
        roles: Some(WRITE),
        operation_id: "acknowledgeRequest",
        tag: "inbox",
        summary: "Record that a request was acknowledged to the authority (audited, kept in its timeline)",
        params: &[path("id", "Request id")],
        body: &[],
        ok: (200, "Request"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/readiness",
        roles: Some(READ),
        operation_id: "readiness",
        tag: "readiness",
        summary: "The readiness report: live checks (ok, gap, not applicable) with evidence, fix and Art 64 tier; figures and monthly trends",
        params: &[q("now", "string", "Evaluate at this RFC 3339 instant (default: now)")],
        body: &[],
        ok: (200, "ReadinessReport"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/assessments",
        roles: Some(READ),
        operation_id: "listAssessments",
        tag: "risk",
        summary: "Current risk assessments (latest recorded per product version and vulnerability), significant first",
        params: &[],
        body: &[],
        ok: (200, "AssessmentList"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/assessments/{id}",
        roles: Some(READ),
        operation_id: "getAssessment",
        tag: "risk",
        summary: "One assessment: indicators, rules, policy version, evidence, obligations with due and status, drafts",
        params: &[path("id", "Assessment id (the recorded decision's id)")],
        body: &[],
        ok: (200, "Assessment"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/assessments/{id}/decision",
        roles: Some(WRITE),
        operation_id: "decideAssessment",
        tag: "risk",
        summary: "Record an officer's decision (significant or not, with a reason); it wins over the policy (audited)",
        params: &[path("id", "Assessment id")],
        body: &["application/json"],
        ok: (201, "Assessment"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/assessments/{id}/notices",
        roles: Some(WRITE),
        operation_id: "markNoticeSent",
        tag: "risk",
        summary: "Record that the notice for one of the assessment's obligations was sent (audited)",
        params: &[path("id", "Assessment id")],
        body: &["application/json"],
        ok: (201, "Assessment"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/obligations",
        roles: Some(READ),
        operation_id: "listObligations",
        tag: "risk",
        summary: "Every obligation of the current assessments with its status, overdue first",
        params: &[q("overdue", "boolean", "Only legal duties past due with no notice recorded")],
        body: &[],
        ok: (200, "ObligationList"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/tokens",
        roles: Some(ADMIN),
        operation_id: "listTokens",
        tag: "auth",
        summary: "API tokens (without their secrets)",
        params: &[],
        body: &[],
        ok: (200, "TokenList"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/tokens",
        roles: Some(ADMIN),
        operation_id: "createToken",
        tag: "auth",
        summary: "Create an API token; the secret is in this answer only",
        params: &[],
        body: &["application/json"],
        ok: (201, "CreatedToken"),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/tokens/{id}",
        roles: Some(ADMIN),
        operation_id: "revokeToken",
        tag: "auth",
        summary: "Revoke an API token",
        params: &[path("id", "Token id (tok_…)")],
        body: &[],
        ok: (204, ""),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/actions",
        roles: Some(READ),
        operation_id: "listActions",
        tag: "actions",
        summary: "Corrective actions and recalls with their figures and effectiveness",
        params: &[],
        body: &[],
        ok: (200, "ActionList"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/actions/{id}",
        roles: Some(READ),
        operation_id: "getAction",
        tag: "actions",
        summary: "One corrective action with its timeline and recipients",
        params: &[path("id", "Action id")],
        body: &[],
        ok: (200, "Action"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/actions/{id}/report",
        roles: Some(READ),
        operation_id: "actionReport",
        tag: "actions",
        summary: "Status report for the authority: notified, responded, quantities, non-responders, effectiveness",
        params: &[path("id", "Action id")],
        body: &[],
        ok: (200, "ActionReport"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/actions/{id}/remind",
        roles: Some(WRITE),
        operation_id: "remindRecipients",
        tag: "actions",
        summary: "Queue a reminder with a fresh link to every notified recipient that has not acknowledged",
        params: &[path("id", "Action id")],
        body: &[],
        ok: (200, "ReminderRound"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/requests",
        roles: Some(WRITE),
        operation_id: "createRequest",
        tag: "inbox",
        summary: "Register a request from an authority (fields as `msadesk request add`); its clocks are computed",
        params: &[],
        body: &["application/json"],
        ok: (201, "Request"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/requests/{id}/sent",
        roles: Some(WRITE),
        operation_id: "markRequestSent",
        tag: "inbox",
        summary: "Record that the response was sent (the timeline names the latest package)",
        params: &[REQ],
        body: &[],
        ok: (200, "Request"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/requests/{id}/close",
        roles: Some(WRITE),
        operation_id: "closeRequest",
        tag: "inbox",
        summary: "Close a request (answered or withdrawn)",
        params: &[REQ],
        body: &[],
        ok: (200, "Request"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/requests/{id}/package",
        roles: Some(WRITE),
        operation_id: "buildPackage",
        tag: "inbox",
        summary: "Build, sign and store the response package (Art 23 identification, requested documents, cover letter)",
        params: &[REQ],
        body: &[],
        ok: (201, "Package"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/requests/{id}/packages",
        roles: Some(READ),
        operation_id: "listPackages",
        tag: "inbox",
        summary: "The packages built for a request, oldest first",
        params: &[REQ],
        body: &[],
        ok: (200, "PackageList"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/requests/{id}/packages/{number}",
        roles: Some(READ),
        operation_id: "downloadPackage",
        tag: "inbox",
        summary: "A package exactly as built (ZIP); check it with `msadesk verify`",
        params: &[REQ, num("number", "Package number (1, 2, …)")],
        body: &[],
        ok: (200, "Zip"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/requests/{id}/share",
        roles: Some(WRITE),
        operation_id: "shareRequest",
        tag: "inbox",
        summary: "Create an inspector token that reads only this request, for `days` days (default 14); the secret is in this answer only",
        params: &[REQ, q("days", "integer", "How long the token works, 1 to 365 days")],
        body: &[],
        ok: (201, "Share"),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/requests/{id}/share",
        roles: Some(WRITE),
        operation_id: "unshareRequest",
        tag: "inbox",
        summary: "Revoke every inspector token of a request",
        params: &[REQ],
        body: &[],
        ok: (200, "Unshare"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/requests/{id}/access-log",
        roles: Some(READ),
        operation_id: "requestAccessLog",
        tag: "inbox",
        summary: "Every read by the request's inspectors, allowed or refused",
        params: &[REQ],
        body: &[],
        ok: (200, "AccessLog"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/documents",
        roles: Some(READ),
        operation_id: "listDocuments",
        tag: "library",
        summary: "The documentation library: every revision, with SHA-256, size, uploader and retention end",
        params: &[q("product", "id", "Only this product")],
        body: &[],
        ok: (200, "DocumentList"),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/documents",
        roles: Some(WRITE),
        operation_id: "uploadDocument",
        tag: "library",
        summary: "Store a document (the body is the file); an upload of a kind the version has keeps the old one",
        params: &[
            Param { name: "product", location: "query", required: true, description: "Product id", kind: "id" },
            Param { name: "version", location: "query", required: true, description: "Version", kind: "id" },
            Param {
                name: "kind",
                location: "query",
                required: true,
                description: "doc, technical_documentation, sbom, test_report, security_update_history, user_instructions or other",
                kind: "string",
            },
            Param { name: "name", location: "query", required: true, description: "The file's name", kind: "string" },
        ],
        body: &["application/octet-stream"],
        ok: (201, "Document"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/documents/{id}",
        roles: Some(READ),
        operation_id: "downloadDocument",
        tag: "library",
        summary: "A stored document's bytes",
        params: &[num("id", "Document id")],
        body: &[],
        ok: (200, "Binary"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/document-gaps",
        roles: Some(READ),
        operation_id: "documentGaps",
        tag: "library",
        summary: "Versions with supply events lacking a DoC, technical documentation or SBOM",
        params: &[q("product", "id", "Only this product")],
        body: &[],
        ok: (200, "GapList"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/inspector/requests/{id}",
        roles: Some(INSPECT),
        operation_id: "inspectorRequest",
        tag: "inspector",
        summary: "The request shared with this inspector token, with its packages (the read is logged)",
        params: &[REQ],
        body: &[],
        ok: (200, "Request"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/inspector/requests/{id}/packages/{number}",
        roles: Some(INSPECT),
        operation_id: "inspectorPackage",
        tag: "inspector",
        summary: "A package of the shared request (ZIP; the read is logged)",
        params: &[REQ, num("number", "Package number (1, 2, …)")],
        body: &[],
        ok: (200, "Zip"),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/inspector/requests/{id}/trace",
        roles: Some(INSPECT),
        operation_id: "inspectorTrace",
        tag: "inspector",
        summary: "The Art 23 trace of the shared request's product within its period (the read is logged)",
        params: PERIOD_PARAMS,
        body: &[],
        ok: (200, "Trace"),
    },
];

/// The router: the API of [`ENDPOINTS`], the OpenAPI document and the pages.
pub fn router(_state: AppState) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics::render))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/products", get(api::products))
        .route("/api/v1/products/{id}", get(api::product))
        .route("/api/v1/products/{id}/versions", get(api::versions))
        .route("/api/v1/operators", get(api::operators))
        .route("/api/v1/supply-events", get(api::events).post(api::create_event))
        .route("/api/v1/imports/{kind}", post(api::import))
        .route("/api/v1/trace", get(api::trace))
        .route("/api/v1/authorities", get(api::authorities))
        .route("/api/v1/requests", get(api::requests).post(library_api::create_request))
        .route("/api/v1/requests/{id}/sent", post(library_api::sent_request))
        .route("/api/v1/requests/{id}/close", post(library_api::close_request))
        .route("/api/v1/requests/{id}/package", post(library_api::build_package))
        .route("/api/v1/requests/{id}/packages", get(library_api::packages))
        .route("/api/v1/requests/{id}/packages/{number}", get(library_api::download_package))
        .route("/api/v1/requests/{id}/share", post(library_api::share).delete(library_api::unshare))
        .route("/api/v1/requests/{id}/access-log", get(library_api::access_log))
        .route("/api/v1/documents", get(library_api::documents).post(library_api::upload_document))
        .route("/api/v1/documents/{id}", get(library_api::download_document))
        .route("/api/v1/document-gaps", get(library_api::document_gaps))
        .route("/api/v1/inspector/requests/{id}", get(library_api::inspector_request))
        .route("/api/v1/inspector/requests/{id}/packages/{number}", get(library_api::inspector_package))
        .route("/api/v1/inspector/requests/{id}/trace", get(library_api::inspector_trace))
        .route("/api/v1/requests/{id}", get(api::request))
        .route("/api/v1/requests/{id}/ack", post(api::ack_request))
        .route("/api/v1/readiness", get(api::readiness))
        .route("/api/v1/assessments", get(risk::list))
        .route("/api/v1/assessments/{id}", get(risk::get_one))
        .route("/api/v1/assessments/{id}/decision", post(risk::post_decision))
        .route("/api/v1/assessments/{id}/notices", post(risk::post_notice))
        .route("/api/v1/obligations", get(risk::list_obligations))
        .route("/api/v1/tokens", get(api::tokens).post(api::create_token))
        .route("/api/v1/tokens/{id}", delete(api::revoke_token))
        .merge(pages::router())
        .merge(crate::action_pages::router())
        .merge(risk::router())
        .merge(crate::library_pages::router())
        .merge(crate::letter_pages::router())
        .fallback(not_found)
}

async fn not_found(uri: axum::http::Uri) -> crate::ApiError {
    crate::ApiError::not_found(format!("nothing at {}: the API is described at /api/v1/openapi.json", uri.path()))
}
