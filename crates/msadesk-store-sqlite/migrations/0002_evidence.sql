-- msadesk SQLite schema, version 2: evidence that holds for ten years.
-- Applied migrations are never edited: a change is a new numbered file.

-- Which audit entry added each supply event. Events from before this migration get 0 here and are
-- adopted by one audit entry written when the migration runs (see `adopt_legacy_events` in lib.rs),
-- so every event is covered by the digest of the entry that added it.
ALTER TABLE supply_events ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0;
-- No index on audit_seq or retention_until: `audit verify` and the retention job scan the table once
-- per run, while an index would cost every row of every import.

-- Set when the retention job erased the snapshot's contact data (e-mail, phone).
ALTER TABLE operator_snapshots ADD COLUMN contact_erased_at TEXT;

-- What remains of a record the retention job deleted: enough for `audit verify` to account for it
-- (its digest under the entry that added it), and for a reader to see what went, when and why.
CREATE TABLE tombstones (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    record_key      TEXT NOT NULL,
    origin_seq      INTEGER NOT NULL,
    record_digest   TEXT NOT NULL,
    basis           TEXT NOT NULL,
    retention_until TEXT NOT NULL,
    deleted_at      TEXT NOT NULL,
    deleted_seq     INTEGER NOT NULL
);

-- Legal holds: records a hold covers are kept past their retention end until it is released.
CREATE TABLE legal_holds (
    id             INTEGER PRIMARY KEY,
    scope          TEXT NOT NULL CHECK (scope IN ('product', 'version', 'operator')),
    product_id     TEXT,
    version        TEXT,
    operator_id    TEXT,
    reason         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    released_at    TEXT,
    released_by    TEXT,
    release_reason TEXT
);
