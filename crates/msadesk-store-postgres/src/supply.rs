//! Importing supply events: the bulk path.
//!
//! Supply files can have millions of rows, so rows are not inserted one by one. The import:
//!
//! 1. streams the rows from the source into a temporary staging table with `COPY … FROM STDIN`,
//!    each row carrying the integer ids of its product version and counterparty snapshot, found
//!    in in-memory caches. A row whose ids are not cached yet waits: the connection cannot run
//!    queries while a COPY is open, so the COPY is closed once enough rows wait (or the input
//!    ends), the ids of all waiting rows are looked up or created with a few statements for the
//!    whole batch (stub versions, new snapshots: [`Versions::load_many`],
//!    [`Snapshots::load_many`]), and a new COPY starts with them. After the first few rows nearly
//!    every row hits the caches, so a million-row file is a handful of COPY statements, and the
//!    server parses rows while this side prepares the next ones;
//! 2. inserts the staged rows whose identity is new into `supply_events` with one `INSERT … SELECT`;
//! 3. when some rows were not inserted, finds the conflicts among them with one join of the staging
//!    table against the stored events.
//!
//! A first load into an empty `supply_events` ([`first_load`]) skips the staging table for nearly
//! every row: the table's key and indexes are dropped, the rows certainly first of their identity
//! (see below) are copied straight into it, and only the others are staged; the indexes are
//! rebuilt before the staged rows are settled and inserted as in 2. That halves what the server
//! does with each row of a first load (one COPY instead of a COPY and an INSERT … SELECT); the
//! supplied-by-country summary of the rows copied directly is summed here as they are written.
//!
//! The result is the same as applying the rows one by one in file order (the behaviour the
//! conformance suite pins down for both engines): the first row with an identity is inserted unless
//! the identity is already stored; every other row is compared with the stored event of its
//! identity, and counts as `already_present` when date, quantity and role agree, or as a conflict
//! (the stored event is kept) when they do not.
//!
//! Whether a row is the first of its identity in the file is decided as rows are read, in file
//! order, with a fixed-size filter of the identities seen ([`SeenFilter`], 16 MiB whatever the
//! file's size) rather than in SQL with `DISTINCT ON (identity) … ORDER BY ord` over the whole
//! staging table, which costs a sort. The filter is exact when it says "not seen"; the few rows it
//! is unsure about (true duplicates and rare false positives) are staged with `maybe_seen`, and
//! only their identities are settled in SQL afterwards ([`SETTLE_FIRSTS`]). Which staging row was
//! inserted is known afterwards from the `first` flag and the event's provenance column `audit_seq`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};

use msadesk_core::audit::RowsDigest;
use msadesk_core::{Direction, ProductId, SupplyEvent, Version};
use msadesk_store::{ChangeMeta, EventFields, ImportStats, Row, RowSource, StoreError};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Statement, Transaction};

use crate::audit;
use crate::copy::{end_row, push_bytea, push_opt_text, push_plain, tab};
use crate::error::{During, col, to_u64};
use crate::party::Snapshots;

/// How many rows may wait for ids before the COPY is closed to look them up. Rows with a new
/// counterparty or product version wait (in a first load, also the rows to be staged); bounded so
/// that memory stays flat (a few MB of rows), and large so that a file in which every row names a
/// new party still makes progress in large COPY statements and few lookups.
const MAX_WAITING: usize = 10_000;

/// Bytes collected before they are handed to the connection.
const COPY_BUFFER: usize = 256 * 1024;

/// An import that adds at least this many events vacuums the table afterwards (see the end of
/// [`import`]); smaller ones leave that to autovacuum.
const VACUUM_AFTER: u64 = 10_000;

const CREATE_STAGING: &str = "
    CREATE TEMP TABLE supply_staging (
        line              bigint NOT NULL,
        ord               bigint NOT NULL,
        first             boolean NOT NULL,
        maybe_seen        boolean NOT NULL,
        identity          bytea NOT NULL,
        direction         text NOT NULL,
        event_date        date NOT NULL,
        version_ref       bigint NOT NULL,
        quantity          bigint NOT NULL,
        snapshot_ref      bigint NOT NULL,
        counterparty_role text NOT NULL,
        reference         text,
        retention_until   date NOT NULL
    ) ON COMMIT DROP";

/// A first load: the rows certainly first of their identity, straight into the bare table.
const COPY_EVENTS: &str = "
    COPY supply_events (identity, direction, event_date, version_ref, quantity, snapshot_ref,
                        counterparty_role, reference, retention_until, audit_seq, source_line)
    FROM STDIN";

const COPY_STAGING: &str = "
    COPY supply_staging (line, ord, first, maybe_seen, identity, direction, event_date, version_ref, quantity,
                         snapshot_ref, counterparty_role, reference, retention_until)
    FROM STDIN";

/// Only the first row of each identity in the file is a candidate, and only when the identity is not
/// stored yet. An anti-join rather than `ON CONFLICT DO NOTHING`: it is exact because every msadesk
/// writer holds the audit lock (`audit::lock`), it lets the planner check a large import with one
/// hash join instead of a probe per row, and it spares the speculative-insertion bookkeeping that
/// ON CONFLICT costs on every row. Should something outside msadesk insert the same identity
/// meanwhile, the unique index turns that into an error, and the import rolls back.
///
/// The same statement adds what it inserted to the supplied-by-country summary
/// (`migrations/0011_impact.sql`) and returns how many events it inserted.
const INSERT_EVENTS: &str = "
    WITH added AS (
        INSERT INTO supply_events (identity, direction, event_date, version_ref, quantity, snapshot_ref,
                                   counterparty_role, reference, retention_until, audit_seq, source_line)
        SELECT identity, direction, event_date, version_ref, quantity, snapshot_ref,
               counterparty_role, reference, retention_until, $1, line
        FROM supply_staging s
        WHERE s.first
          AND NOT EXISTS (SELECT 1 FROM supply_events e WHERE e.identity = s.identity)
        RETURNING version_ref, snapshot_ref, direction, quantity
    ), summary AS (
        INSERT INTO supplied_by_country (version_ref, country, quantity, events)
        SELECT a.version_ref, p.country, SUM(a.quantity), COUNT(*)
        FROM added a JOIN party_snapshots p ON p.id = a.snapshot_ref
        WHERE a.direction = 'supplied'
        GROUP BY a.version_ref, p.country
        ON CONFLICT (version_ref, country) DO UPDATE
        SET quantity = supplied_by_country.quantity + EXCLUDED.quantity,
            events = supplied_by_country.events + EXCLUDED.events
    )
    SELECT COUNT(*) FROM added";

/// Every staging row that was not itself inserted, compared with the stored event of its identity;
/// only those whose content differs are returned, in file order. The row inserted for an identity is
/// its first row in the file, and only if the stored event came from this import (`audit_seq`).
const CONFLICTS: &str = "
    SELECT s.line, s.reference,
           s.event_date::text, s.quantity, s.counterparty_role,
           e.event_date::text, e.quantity, e.counterparty_role
    FROM supply_staging s
    JOIN supply_events e ON e.identity = s.identity
    WHERE NOT (s.first AND e.audit_seq = $1)
      AND (s.event_date, s.quantity, s.counterparty_role)
          IS DISTINCT FROM (e.event_date, e.quantity, e.counterparty_role)
    ORDER BY s.line";

/// Rows staged as not first because the filter may have seen their identity: for each such
/// identity, its earliest staged row (file order) is the first one after all, unless the identity
/// is stored already (in a first load: copied directly from an earlier row). Returns the
/// identities settled, whose rows the insert then adds.
const SETTLE_FIRSTS: &str = "
    UPDATE supply_staging s SET first = true
    FROM (SELECT DISTINCT ON (identity) ctid AS row_id, first FROM supply_staging
          WHERE identity IN (SELECT identity FROM supply_staging WHERE maybe_seen)
          ORDER BY identity, ord) f
    WHERE s.ctid = f.row_id AND NOT f.first
      AND NOT EXISTS (SELECT 1 FROM supply_events e WHERE e.identity = s.identity)
    RETURNING s.identity";

/// The identities already read in this file, in bounded memory: a Bloom filter of 2^27 bits and
/// three probes taken from the identity itself (a SHA-256 prefix, so already uniform). The probes
/// fall in one 512-bit block (one cache line) chosen by the first half of the identity: one cache
/// miss per row instead of three, for nearly the false-positive rate of unblocked probes. "Not
/// seen" is certain; "maybe seen" is settled in SQL. With a million rows about one in 100 000 is
/// a false "maybe"; with ten million, about one in a hundred.
struct SeenFilter {
    bits: Vec<u64>,
}

impl SeenFilter {
    const BITS: u64 = 1 << 27;
    const BLOCKS: u64 = Self::BITS / 512;

    fn new() -> Self {
        SeenFilter { bits: vec![0; (Self::BITS / 64) as usize] }
    }

    /// Records `id`; true when it may have been recorded before.
    fn insert(&mut self, id: &[u8; 16]) -> bool {
        let mut half = [0u8; 8];
        half.copy_from_slice(&id[..8]);
        let block = (u64::from_le_bytes(half) % Self::BLOCKS) as usize * 8;
        half.copy_from_slice(&id[8..]);
        let h2 = u64::from_le_bytes(half);
        let mut maybe = true;
        for i in 0..3 {
            // Three independent 9-bit positions within the block.
            let bit = (h2 >> (i * 9)) & 511;
            let (word, mask) = (block + (bit / 64) as usize, 1u64 << (bit % 64));
            if self.bits[word] & mask == 0 {
                maybe = false;
                self.bits[word] |= mask;
            }
        }
        maybe
    }
}

/// A row read from the source, with what was decided when it was read (in file order).
struct Read {
    row: Row<SupplyEvent>,
    ord: u64,
    identity: [u8; 16],
    first: bool,
    maybe_seen: bool,
}

pub(crate) fn import(
    client: &mut Client,
    rows: &mut dyn RowSource<SupplyEvent>,
    meta: &ChangeMeta,
) -> Result<ImportStats, StoreError> {
    let mut tx = client.transaction().during("starting the supply import")?;
    let tail = audit::lock(&mut tx)?;
    // The lock is held to the end of the transaction, so this import's audit entry will have the
    // next sequence number; the events record it as their provenance.
    let seq = tail.as_ref().map_or(1, |(s, _)| s + 1);
    tx.batch_execute(CREATE_STAGING).during("creating the staging table")?;
    // The summary of a large import groups up to a million rows: in memory rather than in an
    // external merge sort on disk (the default work_mem is 4 MB). Both settings end with the
    // transaction; maintenance_work_mem is for the index rebuild of a first load.
    tx.batch_execute("SET LOCAL work_mem = '64MB'; SET LOCAL maintenance_work_mem = '256MB'")
        .during("sizing the memory of the supply import")?;
    // A first load copies the rows that are certainly first of their identity straight into the
    // bare table (see [`first_load`]); only the others go through the staging table.
    let rebuild = if first_load(&mut tx)? { Some(drop_indexes(&mut tx)?) } else { None };
    let direct = rebuild.is_some();
    let mut versions = Versions::prepare(&mut tx)?;
    let mut snapshots = Snapshots::prepare(&mut tx)?;
    let mut stats = ImportStats::default();
    let mut seen = SeenFilter::new();
    let mut any_maybe_seen = false;
    let mut waiting: Vec<Read> = Vec::new();
    let mut out = Out {
        buf: Vec::with_capacity(512),
        date: String::new(),
        retention_until: String::new(),
        seq,
        firsts: RowsDigest::default(),
        loaded: 0,
        summary: HashMap::new(),
    };
    let mut exhausted = false;

    loop {
        // No COPY is open here: look up (or create) the ids the waiting rows need.
        // A few statements for the whole batch, then every row resolves from the caches.
        versions.load_many(
            &mut tx,
            waiting.iter().map(|r| (&r.row.record.product_id, &r.row.record.version)),
            &mut stats,
        )?;
        snapshots.load_many(&mut tx, waiting.iter().map(|r| &r.row.record.counterparty))?;
        let mut ready = Vec::with_capacity(waiting.len());
        let mut staged = Vec::new();
        for r in waiting.drain(..) {
            let e = &r.row.record;
            let version_ref = versions.resolve(&mut tx, &e.product_id, &e.version, &mut stats)?;
            let snapshot_ref = snapshots.resolve(&mut tx, &e.counterparty, r.row.line, e.date)?;
            if direct && !r.first {
                staged.push((r, version_ref, snapshot_ref))
            } else {
                ready.push((r, version_ref, snapshot_ref))
            }
        }
        if !staged.is_empty() {
            let mut copy =
                BufWriter::with_capacity(COPY_BUFFER, tx.copy_in(COPY_STAGING).during("staging supply events")?);
            for (r, version_ref, snapshot_ref) in &staged {
                out.write(&mut copy, Target::Staging, r, *version_ref, *snapshot_ref)?;
            }
            finish(copy, "staging supply events")?;
        }
        if exhausted && ready.is_empty() {
            break;
        }
        let (target, statement, what) = if direct {
            (Target::Events, COPY_EVENTS, "copying supply events into the empty registry")
        } else {
            (Target::Staging, COPY_STAGING, "staging supply events")
        };
        let mut copy = BufWriter::with_capacity(COPY_BUFFER, tx.copy_in(statement).during(what)?);
        for (r, version_ref, snapshot_ref) in &ready {
            out.write(&mut copy, target, r, *version_ref, *snapshot_ref)?;
        }
        while !exhausted && waiting.len() < MAX_WAITING {
            let Some(row) = rows.next_row() else {
                exhausted = true;
                break;
            };
            stats.rows += 1;
            let identity = row.record.identity();
            let maybe_seen = seen.insert(&identity);
            any_maybe_seen |= maybe_seen;
            let r = Read { row, ord: stats.rows, identity, first: !maybe_seen, maybe_seen };
            let e = &r.row.record;
            // In a first load, a row the filter is unsure about waits too: it goes to the staging
            // table, which cannot take rows while this COPY is open.
            if direct && maybe_seen {
                waiting.push(r);
                continue;
            }
            match (versions.cached(&e.product_id, &e.version), snapshots.cached(&e.counterparty, r.row.line, e.date)) {
                (Some(version_ref), Some(snapshot_ref)) => {
                    out.write(&mut copy, target, &r, version_ref, snapshot_ref)?
                }
                _ => waiting.push(r),
            }
        }
        finish(copy, what)?;
    }
    drop(seen);
    // The staging table is not analysed: the planner sizes a never-analysed table from its actual
    // number of pages, which is all it needs to choose between probing the key of supply_events
    // (a small import) and one hash join (a large one), and ANALYZE would cost more than the
    // difference for imports under a few hundred thousand rows.
    //
    // In a first load, the key is rebuilt before the staged rows are settled and inserted: they are
    // usually few (the filter's "maybe seen": repeated rows and rare false positives), and each is
    // checked against the rows copied directly through the key.
    for statement in rebuild.iter().flatten() {
        tx.batch_execute(statement).during("rebuilding the indexes of supply_events")?;
    }
    // Rows found to be first only now were not in `out.firsts`. Their identities (distinct, and
    // few: false "maybe seen" answers of the filter) are kept for the evidence digest.
    let settled: Vec<Vec<u8>> = if any_maybe_seen {
        let rows = tx.query(SETTLE_FIRSTS, &[]).during("finding the first row of each repeated identity")?;
        rows.iter().map(|r| col(r, 0)).collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let inserted: i64 = if direct && !any_maybe_seen {
        // Nothing was staged.
        0
    } else {
        col(&tx.query_one(INSERT_EVENTS, &[&seq]).during("inserting the staged supply events")?, 0)?
    };
    stats.new = out.loaded + to_u64("inserted events", inserted)?;
    out.write_summary(&mut tx)?;
    // When every row was inserted there is nothing to compare (the common case of new data).
    if stats.new < stats.rows {
        count_conflicts(&mut tx, seq, &mut stats)?;
    }
    // Every row is new, a conflict, or already present; the subtraction cannot go below zero, since
    // conflicts are drawn from the rows that were not inserted.
    stats.already_present = stats.rows.saturating_sub(stats.new + stats.conflicts);
    snapshots.write_operators(&mut tx)?;

    // Asked only now that the source is exhausted: an invalid row anywhere forbids the commit.
    // The counts are still reported, so the user sees what the import would have done.
    if !rows.commit_allowed() {
        tx.rollback().during("rolling back the supply import")?;
        return Ok(stats);
    }
    // The digest of exactly the events this import added (they carry its seq), against which
    // `audit verify` checks them later.
    // The rows known first when written, plus those settled in SQL that were inserted (read back:
    // few); when some first row was not inserted (already stored), everything is read back. (In a
    // first load every row known first is inserted, so that never happens there; were it to, the
    // events of this seq are all of the table's and are read back by seq.)
    let settled_added =
        if settled.is_empty() { RowsDigest::default() } else { crate::evidence::digest_of(&mut tx, seq, &settled)? };
    let added = if stats.new == out.firsts.count + settled_added.count {
        let mut all = out.firsts;
        all.merge(&settled_added);
        all
    } else if direct {
        crate::evidence::event_coverage(&mut tx, Some(seq))?.remove(&seq).unwrap_or_default()
    } else {
        crate::evidence::import_digest(&mut tx, seq)?
    };
    let entry = msadesk_store::next_audit_entry(
        tail,
        meta,
        "supply_events",
        "import",
        &msadesk_store::import_detail(&stats, Some(&added)),
    );
    audit::append(&mut tx, &entry)?;
    tx.commit().during("committing the supply import")?;
    stats.committed = true;
    if stats.new >= VACUUM_AFTER {
        // Traces read only the index (supply_events_trace) once the new pages are marked all-visible
        // in the visibility map, which VACUUM does; until then each event costs a visit to the
        // table too, about ten times slower. Autovacuum would get there within minutes; doing it
        // now costs about 0.2 s per million new rows (only new pages are visited). Statistics
        // are left to autovacuum's ANALYZE: sampling costs more than the vacuum, and the trace
        // plan does not depend on them. It runs after the commit (VACUUM cannot run inside a
        // transaction), so a failure here changes nothing about the import and is left to
        // autovacuum rather than reported as a failed import.
        let _ = client.batch_execute("VACUUM supply_events");
    }
    Ok(stats)
}

/// Whether this is the first load into an empty `supply_events`; if so, the table is locked
/// exclusively until the end of the transaction.
///
/// Loading an empty table bare and building its indexes afterwards (one sort per index) is several
/// times faster than maintaining them row by row, as `pg_restore` knows: for a million rows, about
/// 3.5 s instead of 11 s on the (shared, two-core) machine this was measured on; copying the rows
/// straight into it instead of through the staging table saves about as much again. It needs the
/// table to itself from the start of the import, which costs nobody anything while it is empty:
/// readers of an empty registry wait for the first import to finish instead of seeing nothing. A
/// non-empty table is never locked this way.
fn first_load(tx: &mut Transaction<'_>) -> Result<bool, StoreError> {
    let what = "checking whether supply_events is empty";
    // No msadesk writer can add events meanwhile: they all hold the audit lock first.
    let empty: bool = col(&tx.query_one("SELECT NOT EXISTS (SELECT 1 FROM supply_events)", &[]).during(what)?, 0)?;
    if empty {
        tx.batch_execute("LOCK TABLE supply_events IN ACCESS EXCLUSIVE MODE").during(what)?;
    }
    Ok(empty)
}

/// Drops the indexes (and the key) of `supply_events` and returns the statements that recreate
/// them. The definitions are read from the catalog, so they always match what the migrations
/// created; the statements are written by the server (`format`, `pg_get_indexdef`,
/// `pg_get_constraintdef`), never assembled from values here.
fn drop_indexes(tx: &mut Transaction<'_>) -> Result<Vec<String>, StoreError> {
    let what = "dropping the indexes of supply_events for the first load";
    let rows = tx
        .query(
            "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
                    format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                           pg_get_constraintdef(c.oid))
             FROM pg_constraint c
             WHERE c.conrelid = 'supply_events'::regclass AND c.contype IN ('p', 'u')
             UNION ALL
             SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
             FROM pg_index i
             WHERE i.indrelid = 'supply_events'::regclass
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            &[],
        )
        .during(what)?;
    let mut recreate = Vec::with_capacity(rows.len());
    for r in &rows {
        let drop: String = col(r, 0)?;
        tx.batch_execute(&drop).during(what)?;
        recreate.push(col(r, 1)?);
    }
    Ok(recreate)
}

/// Where a row is copied to.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Staging,
    /// Straight into `supply_events` (a first load, a row certainly first of its identity).
    Events,
}

/// What the rows are written with, and what is noted as they are written.
struct Out {
    /// One row in COPY text format.
    buf: Vec<u8>,
    /// The row's date and retention end, as text.
    date: String,
    retention_until: String,
    seq: i64,
    /// The digest of every row written as first of its identity: when all of them are inserted (new
    /// data, the common case), it is the digest of what this import adds, and reading the events
    /// back to compute it is not needed.
    firsts: RowsDigest,
    /// Rows copied straight into `supply_events`.
    loaded: u64,
    /// Supplied quantity and events per (version, country) of those rows, for `supplied_by_country`
    /// (the staged rows are added to it by [`INSERT_EVENTS`]). Bounded by versions × countries, not
    /// by the rows.
    summary: HashMap<(i64, msadesk_core::Country), (i64, i64)>,
}

impl Out {
    /// Writes one row in COPY text format, for the staging table or for `supply_events`.
    fn write(
        &mut self,
        copy: &mut impl Write,
        target: Target,
        r: &Read,
        version_ref: i64,
        snapshot_ref: i64,
    ) -> Result<(), StoreError> {
        let e = &r.row.record;
        let quantity = i64::try_from(e.quantity).map_err(|_| {
            StoreError::Backend(format!(
                "line {}: quantity {} is larger than the registry can store ({})",
                r.row.line,
                e.quantity,
                i64::MAX
            ))
        })?;
        // Each date is formatted once, for the COPY row and the digest.
        let (date, retention_until) = (&mut self.date, &mut self.retention_until);
        date.clear();
        retention_until.clear();
        // Writing to a String cannot fail.
        let _ = write!(date, "{}", e.date);
        let _ = write!(retention_until, "{}", e.retention_end());
        let buf = &mut self.buf;
        buf.clear();
        if target == Target::Staging {
            push_plain(buf, r.row.line);
            tab(buf);
            push_plain(buf, r.ord);
            tab(buf);
            buf.push(if r.first { b't' } else { b'f' });
            tab(buf);
            buf.push(if r.maybe_seen { b't' } else { b'f' });
            tab(buf);
        }
        push_bytea(buf, &r.identity);
        tab(buf);
        push_plain(buf, e.direction.as_str());
        tab(buf);
        push_plain(buf, date.as_str());
        tab(buf);
        push_plain(buf, version_ref);
        tab(buf);
        push_plain(buf, quantity);
        tab(buf);
        push_plain(buf, snapshot_ref);
        tab(buf);
        push_plain(buf, e.counterparty_role.as_str());
        tab(buf);
        push_opt_text(buf, e.reference.as_deref());
        tab(buf);
        push_plain(buf, retention_until.as_str());
        if target == Target::Events {
            tab(buf);
            push_plain(buf, self.seq);
            tab(buf);
            push_plain(buf, r.row.line);
            self.loaded += 1;
            if e.direction == Direction::Supplied {
                let (q, n) = self.summary.entry((version_ref, e.counterparty.country)).or_insert((0, 0));
                *q = q.checked_add(quantity).ok_or_else(|| {
                    StoreError::Backend(format!(
                        "line {}: the quantities supplied of this product version to {} add up to more than the registry can store ({}); split the file or correct the quantities",
                        r.row.line,
                        e.counterparty.country.as_str(),
                        i64::MAX
                    ))
                })?;
                *n += 1;
            }
        }
        end_row(buf);
        if r.first {
            // The same fields `evidence::event_digest` reads back from the stored event.
            self.firsts.add(
                &EventFields {
                    identity: &r.identity,
                    direction: e.direction.as_str(),
                    date,
                    product_id: e.product_id.as_str(),
                    version: e.version.as_str(),
                    quantity,
                    operator_id: e.counterparty.id.as_str(),
                    name: &e.counterparty.name,
                    address: &e.counterparty.address,
                    country: e.counterparty.country.as_str(),
                    role: e.counterparty_role.as_str(),
                    reference: e.reference.as_deref(),
                    retention_until,
                }
                .digest(),
            );
        }
        copy.write_all(buf).map_err(|e| StoreError::Backend(format!("sending supply events to the database: {e}")))
    }

    /// Adds the rows copied straight into `supply_events` to the supplied-by-country summary, in
    /// one statement.
    fn write_summary(&self, tx: &mut Transaction<'_>) -> Result<(), StoreError> {
        if self.summary.is_empty() {
            return Ok(());
        }
        let versions: Vec<i64> = self.summary.keys().map(|(v, _)| *v).collect();
        let countries: Vec<&str> = self.summary.keys().map(|(_, c)| c.as_str()).collect();
        let quantities: Vec<i64> = self.summary.values().map(|(q, _)| *q).collect();
        let events: Vec<i64> = self.summary.values().map(|(_, n)| *n).collect();
        // The keys are distinct (they come from a map), which ON CONFLICT DO UPDATE requires.
        tx.execute(
            "INSERT INTO supplied_by_country (version_ref, country, quantity, events)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[])
             ON CONFLICT (version_ref, country) DO UPDATE
             SET quantity = supplied_by_country.quantity + EXCLUDED.quantity,
                 events = supplied_by_country.events + EXCLUDED.events",
            &[&versions, &countries, &quantities, &events],
        )
        .during("updating the supplied-by-country summary")?;
        Ok(())
    }
}

/// Ends a COPY, sending what is still buffered.
fn finish(copy: BufWriter<postgres::CopyInWriter<'_>>, what: &str) -> Result<(), StoreError> {
    copy.into_inner().map_err(|e| StoreError::Backend(format!("{what}: {}", e.error())))?.finish().during(what)?;
    Ok(())
}

/// Streams the conflicting rows (usually none) and records them in `stats`, in file order.
fn count_conflicts(tx: &mut Transaction<'_>, seq: i64, stats: &mut ImportStats) -> Result<(), StoreError> {
    let what = "comparing the rows with the stored supply events";
    let mut it = tx.query_raw(CONFLICTS, [&seq]).during(what)?;
    while let Some(r) = it.next().during(what)? {
        let line = to_u64("line", col(&r, 0)?)?;
        let reference: Option<&str> = col(&r, 1)?;
        let mut differences = Vec::new();
        for (name, ours, stored) in [("date", 2, 5), ("quantity", 3, 6), ("role", 4, 7)] {
            let (ours, stored) = if name == "quantity" {
                (col::<i64>(&r, ours)?.to_string(), col::<i64>(&r, stored)?.to_string())
            } else {
                (col::<String>(&r, ours)?, col::<String>(&r, stored)?)
            };
            if ours != stored {
                differences.push(format!("{name} {ours} (stored: {stored})"));
            }
        }
        let event = match reference {
            Some(r) => format!("reference '{r}'"),
            None => "an event without reference".to_string(),
        };
        stats.conflict(
            line,
            format!(
                "{event} is already recorded with other content: this row has {}; the stored event is kept (correct the source, or import a new reference)",
                differences.join(", ")
            ),
        );
    }
    Ok(())
}

/// Product version ids by product and version, creating stubs for those not stored yet.
struct Versions {
    ids: HashMap<ProductId, HashMap<Version, i64>>,
    find_product: Statement,
    insert_product: Statement,
    find_version: Statement,
    insert_version: Statement,
}

impl Versions {
    fn prepare(tx: &mut Transaction<'_>) -> Result<Self, StoreError> {
        let what = "preparing the supply import";
        Ok(Versions {
            ids: HashMap::new(),
            find_product: tx.prepare("SELECT id FROM products WHERE product_id = $1").during(what)?,
            // A stub is named by its id until master data gives it a name.
            insert_product: tx
                .prepare("INSERT INTO products (product_id, name, stub) VALUES ($1, $1, true) RETURNING id")
                .during(what)?,
            find_version: tx
                .prepare("SELECT id FROM product_versions WHERE product_ref = $1 AND version = $2")
                .during(what)?,
            insert_version: tx
                .prepare("INSERT INTO product_versions (product_ref, version, stub) VALUES ($1, $2, true) RETURNING id")
                .during(what)?,
        })
    }

    /// The id of a product version, if this import has met it already.
    fn cached(&self, product: &ProductId, version: &Version) -> Option<i64> {
        self.ids.get(product).and_then(|v| v.get(version)).copied()
    }

    /// Makes every product version of `wanted` known to the cache with a handful of statements in
    /// all, rather than two to four round trips per version met (see [`Snapshots::load_many`]).
    /// Versions created here are listed in `stats.stub_versions` in the order met.
    fn load_many<'v>(
        &mut self,
        tx: &mut Transaction<'_>,
        wanted: impl IntoIterator<Item = (&'v ProductId, &'v Version)>,
        stats: &mut ImportStats,
    ) -> Result<(), StoreError> {
        let mut missing: Vec<(&ProductId, &Version)> = Vec::new();
        let mut listed = std::collections::HashSet::new();
        for (product, version) in wanted {
            if self.cached(product, version).is_none() && listed.insert((product, version)) {
                missing.push((product, version));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let what = "finding the products and versions of the supply events";
        // Products first: ids of those stored, stubs for the others (named by their id until master
        // data gives them a name). The writers' lock is held (see `audit::lock`): nobody else creates
        // these rows meanwhile.
        let mut products: HashMap<String, i64> = HashMap::new();
        let mut names: Vec<&str> = Vec::new();
        let mut named = std::collections::HashSet::new();
        for (product, _) in &missing {
            if named.insert(product.as_str()) {
                names.push(product.as_str());
            }
        }
        for row in tx.query("SELECT product_id, id FROM products WHERE product_id = ANY($1)", &[&names]).during(what)? {
            products.insert(col(&row, 0)?, col(&row, 1)?);
        }
        names.retain(|n| !products.contains_key(*n));
        if !names.is_empty() {
            let rows = tx
                .query(
                    "INSERT INTO products (product_id, name, stub) SELECT p, p, true FROM unnest($1::text[]) AS p
                     RETURNING product_id, id",
                    &[&names],
                )
                .during(what)?;
            for row in rows {
                products.insert(col(&row, 0)?, col(&row, 1)?);
            }
        }
        let refs = missing
            .iter()
            .map(|(p, _)| {
                products
                    .get(p.as_str())
                    .copied()
                    .ok_or_else(|| StoreError::Backend(format!("product '{p}' was neither found nor created")))
            })
            .collect::<Result<Vec<i64>, _>>()?;
        let versions: Vec<&str> = missing.iter().map(|(_, v)| v.as_str()).collect();
        let mut found: HashMap<(i64, String), i64> = HashMap::new();
        for row in tx
            .query(
                "SELECT v.product_ref, v.version, v.id
                 FROM product_versions v JOIN unnest($1::bigint[], $2::text[]) AS w(p, ver)
                   ON v.product_ref = w.p AND v.version = w.ver",
                &[&refs, &versions],
            )
            .during(what)?
        {
            found.insert((col(&row, 0)?, col(&row, 1)?), col(&row, 2)?);
        }
        let (mut new_refs, mut new_versions) = (Vec::new(), Vec::new());
        for (r, v) in refs.iter().zip(&versions) {
            if !found.contains_key(&(*r, (*v).to_string())) {
                new_refs.push(*r);
                new_versions.push(*v);
            }
        }
        let created: std::collections::HashSet<(i64, &str)> =
            new_refs.iter().copied().zip(new_versions.iter().copied()).collect();
        if !new_refs.is_empty() {
            for row in tx
                .query(
                    "INSERT INTO product_versions (product_ref, version, stub)
                     SELECT p, ver, true FROM unnest($1::bigint[], $2::text[]) AS w(p, ver)
                     RETURNING product_ref, version, id",
                    &[&new_refs, &new_versions],
                )
                .during(what)?
            {
                found.insert((col(&row, 0)?, col(&row, 1)?), col(&row, 2)?);
            }
        }
        for ((product, version), r) in missing.iter().zip(&refs) {
            let id = found.get(&(*r, version.as_str().to_string())).copied().ok_or_else(|| {
                StoreError::Backend(format!("product '{product}' version '{version}' was neither found nor created"))
            })?;
            if created.contains(&(*r, version.as_str())) {
                stats.stub_versions.push(((*product).clone(), (*version).clone()));
            }
            self.ids.entry((*product).clone()).or_default().insert((*version).clone(), id);
        }
        Ok(())
    }

    /// The id of a product version; a version created here is listed in `stats.stub_versions`
    /// (once: afterwards it is in the cache).
    fn resolve(
        &mut self,
        tx: &mut Transaction<'_>,
        product: &ProductId,
        version: &Version,
        stats: &mut ImportStats,
    ) -> Result<i64, StoreError> {
        if let Some(id) = self.cached(product, version) {
            return Ok(id);
        }
        let what = format!("finding product '{product}' version '{version}'");
        // The writers' lock is held (see `audit::lock`): nobody else creates these rows meanwhile.
        let product_ref: i64 = match tx.query_opt(&self.find_product, &[&product.as_str()]).during(&what)? {
            Some(row) => col(&row, 0)?,
            None => col(&tx.query_one(&self.insert_product, &[&product.as_str()]).during(&what)?, 0)?,
        };
        let id: i64 = match tx.query_opt(&self.find_version, &[&product_ref, &version.as_str()]).during(&what)? {
            Some(row) => col(&row, 0)?,
            None => {
                let row = tx.query_one(&self.insert_version, &[&product_ref, &version.as_str()]).during(&what)?;
                stats.stub_versions.push((product.clone(), version.clone()));
                col(&row, 0)?
            }
        };
        self.ids.entry(product.clone()).or_default().insert(version.clone(), id);
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::SeenFilter;

    #[test]
    fn the_filter_is_certain_about_unseen_identities_and_remembers_seen_ones() {
        let mut f = SeenFilter::new();
        let ids: Vec<[u8; 16]> = (0u32..50_000)
            .map(|i| {
                let mut id = [0u8; 16];
                // Spread like a hash prefix: a multiplicative mix of the counter in both halves.
                id[..8].copy_from_slice(&(u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes());
                id[8..].copy_from_slice(&(u64::from(i).wrapping_mul(0xBF58_476D_1CE4_E5B9)).to_le_bytes());
                id
            })
            .collect();
        let false_maybes = ids.iter().filter(|id| f.insert(id)).count();
        assert!(false_maybes < 5, "{false_maybes} of 50 000 distinct identities looked seen");
        assert!(ids.iter().all(|id| f.insert(id)), "every identity inserted must look seen");
    }
}
