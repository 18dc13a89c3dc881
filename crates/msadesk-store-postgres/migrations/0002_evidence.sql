-- 0002: evidence that holds for ten years (audit coverage of records, retention, legal holds).
--
-- An applied migration is never edited: a later change is a new file.

-- No index on audit_seq or retention_until: `audit verify` and the retention job scan the table once
-- per run, while an index would cost every row of every import. (supply_events.audit_seq exists since
-- 0001.)

-- Set when the retention job erased the snapshot's contact data (e-mail, phone).
ALTER TABLE party_snapshots ADD COLUMN contact_erased_at text;

-- Snapshots stay immutable, with one exception: the retention job erases contact data (and
-- renames the snapshot's digest, so that a later import of the same details makes a new snapshot).
-- It says so with `SET LOCAL msadesk.erasing = 'on'`; everything else is still refused.
CREATE OR REPLACE FUNCTION msadesk_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'party_snapshots'
       AND coalesce(current_setting('msadesk.erasing', true), '') = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'msadesk refuses % on %: supply events refer to these rows', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

-- What remains of a record the retention job deleted (see the SQLite engine's 0002 for the why).
CREATE TABLE tombstones (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL,
    record_key      text NOT NULL,
    origin_seq      bigint NOT NULL,
    record_digest   text NOT NULL,
    basis           text NOT NULL,
    retention_until text NOT NULL,
    deleted_at      text NOT NULL,
    deleted_seq     bigint NOT NULL
);

CREATE TABLE legal_holds (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope          text NOT NULL CHECK (scope IN ('product', 'version', 'operator')),
    product_id     text,
    version        text,
    operator_id    text,
    reason         text NOT NULL,
    created_at     text NOT NULL,
    created_by     text NOT NULL,
    released_at    text,
    released_by    text,
    release_reason text
);
