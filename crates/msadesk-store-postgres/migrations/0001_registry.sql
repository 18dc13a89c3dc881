-- 0001: the registry.
--
-- Applied once, in a transaction, by msadesk-store-postgres (src/migrate.rs). An applied migration is
-- never edited: a later change is a new file 0002_….sql.
--
-- Identifier columns (operator, product and version ids) use the "C" collation, so that listings
-- are ordered by bytes, as the SQLite engine orders them, whatever the database's default
-- collation is.
--
-- Dates are `date` columns; msadesk binds them as text (`$1::text::date`) and reads them back with
-- `::text` under DateStyle ISO, so the Rust side never depends on a driver's date types.

-- Who runs this registry (`msadesk init`): at most one row.
CREATE TABLE own_identity (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    name           text NOT NULL,
    address        text NOT NULL,
    member_state   text NOT NULL,
    contact_person text,
    email          text,
    default_role   text NOT NULL,
    gln            text
);

-- An economic operator as it was named and addressed at some moment. Snapshots are immutable and
-- found again by the digest of their content (`Party::content_digest`): an operator that moved gets
-- a new snapshot, and the events before the move keep pointing at the old address, which is the one
-- an authority must be given for them (CRA Art 23).
CREATE TABLE party_snapshots (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    digest      bytea NOT NULL UNIQUE,
    operator_id text COLLATE "C" NOT NULL,
    name        text NOT NULL,
    address     text NOT NULL,
    country     text NOT NULL,
    email       text,
    phone       text,
    gln         text,
    vat         text
);

-- Every operator once, with the snapshot of its latest known details (the last one imported).
CREATE TABLE operators (
    operator_id text COLLATE "C" PRIMARY KEY,
    snapshot_id bigint NOT NULL REFERENCES party_snapshots (id),
    -- The latest date the current snapshot was seen at (an event date; the import day for master
    -- data): an older file imported later does not bring an old address back.
    as_of       date NOT NULL
);

-- Products; a stub is a product met in supply data before its master data was imported.
CREATE TABLE products (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id               text COLLATE "C" NOT NULL UNIQUE,
    name                     text NOT NULL,
    gtin                     text,
    manufacturer_snapshot_id bigint REFERENCES party_snapshots (id),
    our_role                 text CHECK (our_role IN ('manufacturer', 'importer', 'distributor', 'authorised_representative')),
    stub                     boolean NOT NULL
);

CREATE TABLE product_versions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_ref      bigint NOT NULL REFERENCES products (id),
    version          text COLLATE "C" NOT NULL,
    placed_on_market date,
    end_of_support   date,
    stub             boolean NOT NULL,
    UNIQUE (product_ref, version)
);

-- Supply events (CRA Art 23(1)). `identity` is `SupplyEvent::identity()`: importing an event whose
-- identity is present adds nothing. `retention_until` is the event date + 10 years (Art 23(2)),
-- computed by msadesk-core and stored so that the retention job and reports need no date rules in
-- SQL. `audit_seq` and `source_line` say which import added the event and from which line of its
-- input; they are provenance, not a foreign key, because the audit entry is written at the end of
-- the import's transaction, after the events. The identity is the key: a surrogate id would be one
-- more index to maintain on every row of a bulk import.
--
-- `version_ref` and `snapshot_ref` are not declared as foreign keys: checking them row by row
-- doubled the time of a million-row import (one trigger call per row and key). The import takes
-- both ids from rows it has just read or created in the same transaction, and the triggers below
-- keep the referenced rows from being deleted (or, for snapshots, changed) behind its back.
CREATE TABLE supply_events (
    identity          bytea PRIMARY KEY,
    direction         text NOT NULL CHECK (direction IN ('received', 'supplied')),
    event_date        date NOT NULL,
    version_ref       bigint NOT NULL,
    quantity          bigint NOT NULL CHECK (quantity >= 1),
    snapshot_ref      bigint NOT NULL,
    counterparty_role text NOT NULL CHECK (counterparty_role IN ('manufacturer', 'importer', 'distributor', 'authorised_representative', 'other')),
    reference         text,
    retention_until   date NOT NULL,
    audit_seq         bigint NOT NULL,
    source_line       bigint NOT NULL
);

-- A trace asks for one product's versions in a period: with this index it is a range scan that never
-- visits the table (everything the aggregate needs is in the index).
--
-- The first import into an empty supply_events drops its key and indexes and rebuilds them from
-- their definitions in the catalog (src/supply.rs), so an index added by a later migration is
-- rebuilt too.
CREATE INDEX supply_events_trace ON supply_events (version_ref, event_date)
    INCLUDE (direction, snapshot_ref, counterparty_role, quantity);

-- Snapshots are immutable, and neither snapshots nor product versions are ever deleted: supply
-- events point at them, and an event whose counterparty or version vanished would silently drop out
-- of every trace.
CREATE FUNCTION msadesk_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'msadesk refuses % on %: supply events refer to these rows', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER party_snapshots_immutable BEFORE UPDATE OR DELETE ON party_snapshots
    FOR EACH ROW EXECUTE FUNCTION msadesk_refuse_change();
CREATE TRIGGER product_versions_kept BEFORE DELETE ON product_versions
    FOR EACH ROW EXECUTE FUNCTION msadesk_refuse_change();

-- The audit trail, a hash chain (msadesk_core::audit). Appended in the transaction of each change,
-- under `LOCK TABLE audit_log IN EXCLUSIVE MODE` so that two writers cannot fork the chain.
CREATE TABLE audit_log (
    seq       bigint PRIMARY KEY,
    at        text NOT NULL,
    actor     text NOT NULL,
    entity    text NOT NULL,
    action    text NOT NULL,
    detail    text NOT NULL,
    prev_hash text NOT NULL,
    hash      text NOT NULL
);
