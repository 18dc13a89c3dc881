-- The documentation library (documents per product version, every revision kept, bytes inline),
-- the response packages built for MSA requests (exactly the bytes sent), inspector grants scoped
-- to one request, and the log of every inspector read.
CREATE TABLE documents (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id      text NOT NULL,
    version         text NOT NULL,
    kind            text NOT NULL,
    revision        bigint NOT NULL,
    file_name       text NOT NULL,
    media_type      text NOT NULL,
    size            bigint NOT NULL,
    sha256          text NOT NULL,
    bytes           bytea NOT NULL,
    uploaded_by     text NOT NULL,
    uploaded_at     text NOT NULL,
    retention_until text,
    retention_basis text NOT NULL,
    UNIQUE (product_id, version, kind, revision)
);

CREATE TABLE response_packages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id bigint NOT NULL REFERENCES msa_requests (id),
    number     bigint NOT NULL,
    file_name  text NOT NULL,
    size       bigint NOT NULL,
    sha256     text NOT NULL,
    files      text NOT NULL,
    bytes      bytea NOT NULL,
    built_by   text NOT NULL,
    built_at   text NOT NULL,
    UNIQUE (request_id, number)
);

CREATE TABLE inspector_grants (
    token_id   text PRIMARY KEY REFERENCES api_tokens (id),
    request_id bigint NOT NULL REFERENCES msa_requests (id),
    created_by text NOT NULL,
    created_at text NOT NULL,
    expires_at text NOT NULL,
    revoked    boolean NOT NULL DEFAULT false
);
CREATE INDEX inspector_grants_request ON inspector_grants (request_id);

CREATE TABLE inspector_access (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_id   text NOT NULL,
    request_id bigint NOT NULL,
    at         text NOT NULL,
    what       text NOT NULL,
    allowed    boolean NOT NULL
);
CREATE INDEX inspector_access_request ON inspector_access (request_id, id);
