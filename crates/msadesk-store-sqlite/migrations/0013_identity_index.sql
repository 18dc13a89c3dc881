-- The uniqueness of a supply event's identity moves from the column constraint (an automatic index
-- that cannot be dropped) to a named unique index. A large import then drops it, appends its rows
-- without a B-tree descent per row, and builds it again sorted before its commit, resolving any
-- duplicate identity exactly as the per-row check did (first row kept, the others counted as
-- already present or reported as conflicts). SQLite cannot drop a column constraint, so the table
-- is rebuilt once, with the same columns and row ids.
CREATE TABLE supply_events_new (
    id              INTEGER PRIMARY KEY,
    -- SupplyEvent::identity(): importing an event whose identity is present adds nothing
    -- (unique index supply_events_identity).
    identity        BLOB NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('received', 'supplied')),
    event_date      TEXT NOT NULL,
    product_version INTEGER NOT NULL REFERENCES product_versions(id),
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    counterparty    INTEGER NOT NULL REFERENCES operator_snapshots(id),
    role            TEXT NOT NULL,
    reference       TEXT,
    -- Event date + 10 years (CRA Art 23(2)), for the retention job.
    retention_until TEXT NOT NULL,
    -- The audit entry of the import that added the event.
    audit_seq       INTEGER NOT NULL DEFAULT 0
);
INSERT INTO supply_events_new (id, identity, direction, event_date, product_version, quantity, counterparty, role,
                               reference, retention_until, audit_seq)
SELECT id, identity, direction, event_date, product_version, quantity, counterparty, role, reference,
       retention_until, audit_seq
FROM supply_events ORDER BY id;
DROP TABLE supply_events;
ALTER TABLE supply_events_new RENAME TO supply_events;
CREATE UNIQUE INDEX supply_events_identity ON supply_events(identity);
-- The trace reads only this index: one range scan per product version and period.
CREATE INDEX supply_events_trace ON supply_events(product_version, event_date, direction, counterparty, role, quantity);
