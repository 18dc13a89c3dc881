-- Notices sent for the obligations of risk assessments (issue 5). Append only: a correction is
-- a new row.
CREATE TABLE notices_sent (
    id            INTEGER PRIMARY KEY,
    product_id    TEXT NOT NULL,
    version       TEXT NOT NULL,
    vulnerability TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    what          TEXT NOT NULL,
    member_states TEXT NOT NULL,
    sent_at       TEXT NOT NULL,
    reference     TEXT,
    note          TEXT,
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
);
CREATE INDEX notices_sent_by_pair ON notices_sent (product_id, version, vulnerability);
