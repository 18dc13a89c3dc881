-- The documentation library (documents per product version, every revision kept, bytes inline),
-- the response packages built for MSA requests (exactly the bytes sent), inspector grants scoped
-- to one request, and the log of every inspector read.
CREATE TABLE documents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id      TEXT NOT NULL,
    version         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    file_name       TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    bytes           BLOB NOT NULL,
    uploaded_by     TEXT NOT NULL,
    uploaded_at     TEXT NOT NULL,
    retention_until TEXT,
    retention_basis TEXT NOT NULL,
    UNIQUE (product_id, version, kind, revision)
);

CREATE TABLE response_packages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES msa_requests (id),
    number     INTEGER NOT NULL,
    file_name  TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    files      TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    built_by   TEXT NOT NULL,
    built_at   TEXT NOT NULL,
    UNIQUE (request_id, number)
);

CREATE TABLE inspector_grants (
    token_id   TEXT PRIMARY KEY REFERENCES api_tokens (id),
    request_id INTEGER NOT NULL REFERENCES msa_requests (id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inspector_grants_request ON inspector_grants (request_id);

CREATE TABLE inspector_access (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id   TEXT NOT NULL,
    request_id INTEGER NOT NULL,
    at         TEXT NOT NULL,
    what       TEXT NOT NULL,
    allowed    INTEGER NOT NULL
);
CREATE INDEX inspector_access_request ON inspector_access (request_id, id);
