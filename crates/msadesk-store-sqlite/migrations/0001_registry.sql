-- msadesk SQLite schema, version 1: the traceability registry (CRA Art 23) and the audit trail.
-- Applied migrations are never edited: a change is a new numbered file.

CREATE TABLE identity (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    name           TEXT NOT NULL,
    address        TEXT NOT NULL,
    member_state   TEXT NOT NULL,
    contact_person TEXT,
    email          TEXT,
    default_role   TEXT NOT NULL,
    gln            TEXT
);

-- An economic operator, by the id used in the operator's own master data.
CREATE TABLE operators (
    id               INTEGER PRIMARY KEY,
    operator_id      TEXT NOT NULL UNIQUE,
    -- The snapshot with the most recent event: the operator's current details.
    current_snapshot INTEGER
);

-- An operator's details as they were at some events. Never updated except last_seen: a changed
-- address is a new snapshot, so every event keeps the address valid when it happened.
CREATE TABLE operator_snapshots (
    id        INTEGER PRIMARY KEY,
    operator  INTEGER NOT NULL REFERENCES operators(id),
    digest    BLOB NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    address   TEXT NOT NULL,
    country   TEXT NOT NULL,
    email     TEXT,
    phone     TEXT,
    gln       TEXT,
    vat       TEXT,
    last_seen TEXT NOT NULL
);
CREATE INDEX operator_snapshots_operator ON operator_snapshots(operator, last_seen);

CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    product_id   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    gtin         TEXT,
    manufacturer INTEGER REFERENCES operator_snapshots(id),
    our_role     TEXT,
    stub         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX products_gtin ON products(gtin) WHERE gtin IS NOT NULL;

CREATE TABLE product_versions (
    id               INTEGER PRIMARY KEY,
    product          INTEGER NOT NULL REFERENCES products(id),
    version          TEXT NOT NULL,
    placed_on_market TEXT,
    end_of_support   TEXT,
    stub             INTEGER NOT NULL DEFAULT 0,
    UNIQUE (product, version)
);

CREATE TABLE supply_events (
    id              INTEGER PRIMARY KEY,
    -- SupplyEvent::identity(): importing an event whose identity is present adds nothing.
    identity        BLOB NOT NULL UNIQUE,
    direction       TEXT NOT NULL CHECK (direction IN ('received', 'supplied')),
    event_date      TEXT NOT NULL,
    product_version INTEGER NOT NULL REFERENCES product_versions(id),
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    counterparty    INTEGER NOT NULL REFERENCES operator_snapshots(id),
    role            TEXT NOT NULL,
    reference       TEXT,
    -- Event date + 10 years (CRA Art 23(2)), for the retention job.
    retention_until TEXT NOT NULL
);
-- The trace reads only this index: one range scan per product version and period.
CREATE INDEX supply_events_trace ON supply_events(product_version, event_date, direction, counterparty, role, quantity);

-- The hash-chained audit trail: append-only.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    entity    TEXT NOT NULL,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
