-- Notices sent for the obligations of risk assessments (issue 5). Append only: a correction is
-- a new row.
CREATE TABLE notices_sent (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id    text NOT NULL,
    version       text NOT NULL,
    vulnerability text NOT NULL,
    recipient     text NOT NULL,
    what          text NOT NULL,
    member_states text NOT NULL,
    sent_at       text NOT NULL,
    reference     text,
    note          text,
    recorded_by   text NOT NULL,
    recorded_at   text NOT NULL
);
CREATE INDEX notices_sent_by_pair ON notices_sent (product_id, version, vulnerability);
