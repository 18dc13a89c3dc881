//! The PostgreSQL engine against the conformance suite, and what only this engine has: migrations
//! and several processes writing to one database.
//!
//! Every test works in a scratch schema of the database named by `MSADESK_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`), so tests run in parallel and leave nothing behind.
//! `MSADESK_SKIP_POSTGRES=1` skips them on a machine without PostgreSQL; CI does not set it.

// In a test a panic is the failure report, and the values unwrapped here are the test's own.
#![allow(clippy::unwrap_used)]

use msadesk_core::{Direction, ProductId};
use msadesk_store::conformance::{event, party, product, retention_dataset, retention_holds};
use msadesk_store::{ChangeMeta, Store, StoreError, VecSource};
use msadesk_store_postgres::PostgresStore;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn url() -> String {
    std::env::var("MSADESK_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

fn skipped() -> bool {
    let skip = std::env::var("MSADESK_SKIP_POSTGRES").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("skipped: MSADESK_SKIP_POSTGRES=1");
    }
    skip
}

/// A fresh, empty store in its own schema, or `None` when PostgreSQL tests are skipped.
fn scratch() -> Option<PostgresStore> {
    if skipped() {
        return None;
    }
    match PostgresStore::open_scratch(&url()) {
        Ok(store) => Some(store),
        Err(e) => panic!(
            "cannot open a scratch store at {} ({e}); start PostgreSQL, set MSADESK_TEST_POSTGRES, or set MSADESK_SKIP_POSTGRES=1",
            url()
        ),
    }
}

msadesk_store::conformance_suite!(match scratch() {
    Some(store) => store,
    None => return,
});

fn meta() -> ChangeMeta {
    ChangeMeta { actor: "cli:test".into(), source: None, at: "2026-12-04T10:00:00Z".into() }
}

/// A plain connection with `search_path` set to `schema`, to look at what the store wrote.
fn raw(schema: &str) -> postgres::Client {
    let mut c = postgres::Client::connect(&url(), postgres::NoTls).unwrap();
    c.execute("SELECT set_config('search_path', quote_ident($1::text), false)", &[&schema]).unwrap();
    c
}

/// Drops a schema created by a test under a name of its own, when the test ends (even by a panic).
struct DropSchema(String);

impl Drop for DropSchema {
    fn drop(&mut self) {
        let mut c = postgres::Client::connect(&url(), postgres::NoTls).unwrap();
        let sql: String =
            c.query_one("SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', $1::text)", &[&self.0]).unwrap().get(0);
        c.batch_execute(&sql).unwrap();
    }
}

fn unique_schema(tag: &str) -> DropSchema {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    DropSchema(format!("msadesk_test_{tag}_{}_{nanos}", std::process::id()))
}

#[test]
fn opening_twice_migrates_once_and_keeps_the_data() {
    let Some(mut first) = scratch() else { return };
    let schema = first.schema().unwrap().to_string();
    first.import_products(&mut VecSource::new(vec![product("P-1", "1.0", None, None)]), &meta()).unwrap();
    let migrations: i64 = raw(&schema).query_one("SELECT count(*) FROM schema_migrations", &[]).unwrap().get(0);

    let mut second = PostgresStore::open_in_schema(&url(), &schema).unwrap();
    let again: i64 = raw(&schema).query_one("SELECT count(*) FROM schema_migrations", &[]).unwrap().get(0);
    assert_eq!(again, migrations);
    assert_eq!(second.counts().unwrap().products, 1);
    drop(second);
    // The scratch store's schema is still there for the first store.
    assert!(first.product(&ProductId::parse("P-1").unwrap()).unwrap().is_some());
}

#[test]
fn processes_opening_a_new_schema_at_once_migrate_it_once() {
    if skipped() {
        return;
    }
    let schema = unique_schema("race");
    let name = schema.0.clone();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let name = name.clone();
            std::thread::spawn(move || PostgresStore::open_in_schema(&url(), &name).map(drop))
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let migrations: Vec<i32> = raw(&name)
        .query("SELECT version FROM schema_migrations ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(migrations, [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12]);
}

#[test]
fn a_schema_newer_than_this_build_is_refused() {
    let Some(store) = scratch() else { return };
    let schema = store.schema().unwrap().to_string();
    raw(&schema).execute("INSERT INTO schema_migrations (version) VALUES (999)", &[]).unwrap();
    match PostgresStore::open_in_schema(&url(), &schema) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, 999);
            assert!(supported < 999);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn concurrent_imports_keep_one_audit_chain() {
    let Some(store) = scratch() else { return };
    let schema = store.schema().unwrap().to_string();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let schema = schema.clone();
            std::thread::spawn(move || {
                let mut s = PostgresStore::open_in_schema(&url(), &schema).unwrap();
                let cp = party("D-A", "Alpha", "FR");
                for round in 0..3 {
                    let events = (0..50)
                        .map(|i| {
                            let r = format!("T{t}-R{round}-{i}");
                            event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 1, &cp, Some(&r))
                        })
                        .collect();
                    let stats = s.import_supply(&mut VecSource::new(events), &meta()).unwrap();
                    assert_eq!(stats.new, 50);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut check = PostgresStore::open_in_schema(&url(), &schema).unwrap();
    let entries = check.audit_entries().unwrap();
    assert_eq!(entries.len(), 12);
    assert_eq!(msadesk_core::audit::verify(&entries), None);
    assert_eq!(check.counts().unwrap().supply_events, 600);
    drop(check);
    drop(store);
}

#[test]
fn events_record_their_retention_end_and_provenance() {
    let Some(mut store) = scratch() else { return };
    let schema = store.schema().unwrap().to_string();
    let cp = party("D-A", "Alpha", "FR");
    store
        .import_supply(
            &mut VecSource::new(vec![
                event(Direction::Supplied, "2028-02-29", "P-1", "1.0", 1, &cp, Some("A")),
                event(Direction::Supplied, "2026-05-17", "P-1", "1.0", 1, &cp, Some("B")),
            ]),
            &meta(),
        )
        .unwrap();
    let rows: Vec<(String, String, i64, i64)> = raw(&schema)
        .query(
            "SELECT event_date::text, retention_until::text, audit_seq, source_line
             FROM supply_events ORDER BY source_line",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        rows,
        [("2028-02-29".into(), "2038-02-28".into(), 1, 2), ("2026-05-17".into(), "2036-05-17".into(), 1, 3),]
    );
}

#[test]
fn the_first_load_leaves_the_indexes_as_the_migrations_made_them() {
    let Some(mut store) = scratch() else { return };
    let schema = store.schema().unwrap().to_string();
    let indexes = |schema: &str| -> Vec<String> {
        raw(schema)
            .query(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index
                 WHERE indrelid = 'supply_events'::regclass ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let before = indexes(&schema);
    assert_eq!(before.len(), 2, "{before:?}");
    let cp = party("D-A", "Alpha", "FR");
    let first = vec![event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 1, &cp, Some("A"))];
    // A refused first load rolls the dropped indexes back too.
    let mut refused = VecSource::new(first.clone());
    refused.allow_commit = false;
    assert!(!store.import_supply(&mut refused, &meta()).unwrap().committed);
    assert_eq!(indexes(&schema), before);
    assert!(store.import_supply(&mut VecSource::new(first), &meta()).unwrap().committed);
    assert_eq!(indexes(&schema), before);
    let primary: bool = raw(&schema)
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'supply_events'::regclass AND contype = 'p')",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(primary);
}

#[test]
fn an_in_file_duplicate_of_a_stored_event_is_compared_with_the_stored_one() {
    let Some(mut store) = scratch() else { return };
    let cp = party("D-A", "Alpha", "FR");
    let stored = event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 10, &cp, Some("INV-1"));
    store.import_supply(&mut VecSource::new(vec![stored.clone()]), &meta()).unwrap();
    let mut changed = stored.clone();
    changed.quantity = 12;
    // Both changed rows differ from the stored event; the stored one is identical to itself.
    let stats = store.import_supply(&mut VecSource::new(vec![changed.clone(), changed, stored]), &meta()).unwrap();
    assert_eq!((stats.new, stats.already_present, stats.conflicts), (0, 1, 2));
    assert_eq!(stats.conflict_details.iter().map(|c| c.line).collect::<Vec<_>>(), [2, 3]);
    assert!(stats.conflict_details[0].message.contains("quantity 12 (stored: 10)"));
}

#[test]
fn the_operator_list_shows_the_last_line_that_named_an_operator() {
    let Some(mut store) = scratch() else { return };
    let at_a = party("X", "Xavier", "FR");
    let mut at_b = at_a.clone();
    at_b.address = "Somewhere else 2".into();
    // Over a thousand new parties, so that rows are resolved in several rounds and a row with an
    // old address can be resolved after a later row with a new one.
    let mut events = vec![event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 1, &at_a, Some("x-0"))];
    for i in 0..999 {
        let p = party(&format!("OP-{i}"), &format!("Operator {i}"), "DE");
        events.push(event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 1, &p, Some(&format!("o-{i}"))));
    }
    events.push(event(Direction::Supplied, "2026-01-02", "P-1", "1.0", 1, &at_b, Some("x-1")));
    events.push(event(Direction::Supplied, "2026-01-03", "P-1", "1.0", 1, &at_a, Some("x-2")));
    let stats = store.import_supply(&mut VecSource::new(events), &meta()).unwrap();
    assert_eq!(stats.new, 1002);
    let ops = store.operators().unwrap();
    assert_eq!(ops.len(), 1000);
    let x = ops.iter().find(|p| p.id.as_str() == "X").unwrap();
    assert_eq!(x.address, at_a.address);
}

#[test]
fn snapshots_and_versions_that_events_point_at_cannot_be_deleted() {
    let Some(mut store) = scratch() else { return };
    let schema = store.schema().unwrap().to_string();
    let cp = party("D-A", "Alpha", "FR");
    store
        .import_supply(
            &mut VecSource::new(vec![event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 1, &cp, Some("A"))]),
            &meta(),
        )
        .unwrap();
    let mut c = raw(&schema);
    for sql in [
        "DELETE FROM product_versions",
        "DELETE FROM party_snapshots",
        "UPDATE party_snapshots SET address = 'elsewhere'",
    ] {
        let e = c.batch_execute(sql).unwrap_err();
        assert_eq!(e.code(), Some(&postgres::error::SqlState::RESTRICT_VIOLATION), "{sql}: {e}");
    }
}

/// Generates supply events on the fly (references `R-{first}` onwards), so that a million rows need
/// no million-row vector.
struct Generated {
    parties: Vec<msadesk_core::Party>,
    first: u64,
    next: u64,
    rows: u64,
}

impl Generated {
    fn new(parties: &[msadesk_core::Party], first: u64, rows: u64) -> Self {
        Generated { parties: parties.to_vec(), first, next: 0, rows }
    }
}

impl msadesk_store::RowSource<msadesk_core::SupplyEvent> for Generated {
    fn next_row(&mut self) -> Option<msadesk_store::Row<msadesk_core::SupplyEvent>> {
        if self.next == self.rows {
            return None;
        }
        let line = self.next + 2;
        let i = self.first + self.next;
        self.next += 1;
        let p = &self.parties[(i % self.parties.len() as u64) as usize];
        let dir = if i.is_multiple_of(5) { Direction::Received } else { Direction::Supplied };
        let day = format!("20{:02}-{:02}-{:02}", 20 + i % 10, 1 + (i % 12), 1 + (i % 28));
        let record =
            event(dir, &day, &format!("P-{}", i % 50), &format!("{}.0", i % 3), 1 + i % 10, p, Some(&format!("R-{i}")));
        Some(msadesk_store::Row { line, record })
    }
    fn commit_allowed(&self) -> bool {
        true
    }
}

/// The rows of a `Generated` as COPY text for a table shaped like supply_events.
fn copy_text(mut rows: Generated) -> Vec<u8> {
    use msadesk_store::RowSource;
    use std::io::Write;
    let mut text = Vec::new();
    while let Some(r) = rows.next_row() {
        let e = r.record;
        let id: String = e.identity().iter().map(|b| format!("{b:02x}")).collect();
        writeln!(
            text,
            "\\\\x{id}\t{}\t{}\t1\t{}\t1\t{}\t{}\t{}\t1\t{}",
            e.direction.as_str(),
            e.date,
            e.quantity,
            e.counterparty_role.as_str(),
            e.reference.unwrap_or_default(),
            e.date.plus_years(10),
            r.line
        )
        .unwrap();
    }
    text
}

/// How long imports take next to PostgreSQL's own COPY of the same rows, measured in the same run
/// (the machines here are shared and noisy: only ratios mean something). Slow: runs only when
/// `MSADESK_PG_BENCH_ROWS` is set (for example 1000000); build with `--release` for numbers worth
/// quoting.
#[test]
fn bulk_import_speed() {
    use std::io::Write;
    use std::time::Instant;
    let Some(rows) = std::env::var("MSADESK_PG_BENCH_ROWS").ok().and_then(|v| v.parse::<u64>().ok()) else {
        return;
    };
    let Some(mut store) = scratch() else { return };
    let schema = store.schema().unwrap().to_string();
    let parties: Vec<_> = (0..1000).map(|i| party(&format!("OP-{i}"), &format!("Operator {i}"), "DE")).collect();

    let started = Instant::now();
    let first = store.import_supply(&mut Generated::new(&parties, 0, rows), &meta()).unwrap();
    let first_load = started.elapsed();
    assert_eq!(first.new, rows);
    let started = Instant::now();
    let again = store.import_supply(&mut Generated::new(&parties, 0, rows), &meta()).unwrap();
    let reimport = started.elapsed();
    assert_eq!(again.already_present, rows);
    let started = Instant::now();
    let more = store.import_supply(&mut Generated::new(&parties, rows, rows), &meta()).unwrap();
    let second_load = started.elapsed();
    assert_eq!(more.new, rows);

    // References: COPY of the same rows, already rendered as COPY text, into a bare table of the
    // same shape, then building the same indexes (the first load's end state); then COPY of the
    // second batch into that indexed table.
    let mut c = raw(&schema);
    c.batch_execute("CREATE TABLE copy_reference (LIKE supply_events)").unwrap();
    let columns = "(identity, direction, event_date, version_ref, quantity, snapshot_ref, counterparty_role, reference, retention_until, audit_seq, source_line)";
    let mut timed_copy = |text: &[u8], then: &str| {
        let started = Instant::now();
        let mut tx = c.transaction().unwrap();
        let mut w = tx.copy_in(&format!("COPY copy_reference {columns} FROM STDIN")).unwrap();
        w.write_all(text).unwrap();
        w.finish().unwrap();
        tx.batch_execute(then).unwrap();
        tx.commit().unwrap();
        started.elapsed()
    };
    let copy_first = timed_copy(
        &copy_text(Generated::new(&parties, 0, rows)),
        "ALTER TABLE copy_reference ADD PRIMARY KEY (identity);
         CREATE INDEX ON copy_reference (version_ref, event_date)
             INCLUDE (direction, snapshot_ref, counterparty_role, quantity);",
    );
    let copy_second = timed_copy(&copy_text(Generated::new(&parties, rows, rows)), "");

    let query = msadesk_core::trace::TraceQuery {
        product_id: ProductId::parse("P-7").unwrap(),
        version: None,
        from: Some(msadesk_core::Date::parse("2027-01-01").unwrap()),
        to: Some(msadesk_core::Date::parse("2027-12-31").unwrap()),
    };
    let cold = Instant::now();
    let trace = store.trace(&query).unwrap();
    let cold = cold.elapsed();
    let mut times: Vec<_> = (0..11)
        .map(|_| {
            let t = Instant::now();
            store.trace(&query).unwrap();
            t.elapsed()
        })
        .collect();
    times.sort();
    let deliveries: u64 = trace.upstream.iter().chain(&trace.downstream).map(|e| e.deliveries).sum();

    // What the imports spent in the test's own row generator, which the references do not pay.
    let started = Instant::now();
    let mut source = Generated::new(&parties, 0, rows);
    while msadesk_store::RowSource::next_row(&mut source).is_some() {}
    let generating = started.elapsed();

    let ratio = |a: std::time::Duration, b: std::time::Duration| a.as_secs_f64() / b.as_secs_f64();
    eprintln!("{rows} rows per import");
    eprintln!(
        "first load:  msadesk {first_load:.2?}   COPY + index builds {copy_first:.2?}   ratio {:.2}",
        ratio(first_load, copy_first)
    );
    eprintln!(
        "second load: msadesk {second_load:.2?}   COPY into the indexed table {copy_second:.2?}   ratio {:.2}",
        ratio(second_load, copy_second)
    );
    eprintln!("re-import of the first load (all already present): {reimport:.2?}");
    eprintln!("(each import includes {generating:.2?} of generating its rows in the test)");
    eprintln!("trace of one product over a year ({deliveries} events): first {cold:.2?}, then p50 {:.2?}", times[5]);
}

/// A store with the retention dataset (audit entry 1), three holds (2–4) and a retention run as of
/// 2026-03-01 (entry 5, which wrote tombstones).
fn evidence_store() -> Option<PostgresStore> {
    let mut store = scratch()?;
    store.import_supply(&mut VecSource::new(retention_dataset()), &meta()).unwrap();
    retention_holds(&mut store);
    let run = store.run_retention(msadesk_core::Date::parse("2026-03-01").unwrap(), false, &meta()).unwrap();
    assert_eq!(run.audit_seq, Some(5));
    assert_eq!(store.verify_audit().unwrap(), None);
    Some(store)
}

#[test]
fn tampering_with_records_is_caught_at_the_entry_that_covers_them() {
    // (what is done behind msadesk's back, the first entry `audit verify` must name)
    let cases: &[(&str, i64)] = &[
        ("UPDATE supply_events SET quantity = quantity + 1 WHERE reference = 'OP-1-2020'", 1),
        ("DELETE FROM supply_events WHERE reference = 'OP-2-2021'", 1),
        (
            "INSERT INTO supply_events (identity, direction, event_date, version_ref, quantity, snapshot_ref, counterparty_role, reference, retention_until, audit_seq, source_line)
             SELECT decode(md5('fake'), 'hex'), direction, event_date, version_ref, quantity, snapshot_ref, counterparty_role, 'FAKE', retention_until, audit_seq, 0
             FROM supply_events LIMIT 1",
            1,
        ),
        (
            "INSERT INTO supply_events (identity, direction, event_date, version_ref, quantity, snapshot_ref, counterparty_role, reference, retention_until, audit_seq, source_line)
             SELECT decode(md5('fake'), 'hex'), direction, event_date, version_ref, quantity, snapshot_ref, counterparty_role, 'FAKE', retention_until, 99, 0
             FROM supply_events LIMIT 1",
            99,
        ),
        ("UPDATE supply_events SET event_date = '2030-01-01' WHERE reference = 'OP-3-2019'", 1),
        // The snapshot trigger stops a plain UPDATE; someone determined switches it off first.
        (
            "ALTER TABLE party_snapshots DISABLE TRIGGER party_snapshots_immutable;
             UPDATE party_snapshots SET address = 'Elsewhere 1' WHERE name = 'Operator OP-2'",
            1,
        ),
        ("UPDATE product_versions SET version = '9.9' WHERE version = '2.0'", 1),
        ("DELETE FROM tombstones WHERE id = (SELECT min(id) FROM tombstones)", 1),
        ("UPDATE tombstones SET deleted_at = '2020-01-01T00:00:00Z' WHERE id = (SELECT max(id) FROM tombstones)", 5),
        ("UPDATE audit_log SET detail = '{}' WHERE seq = 3", 3),
        ("DELETE FROM audit_log WHERE seq = 5", 5),
        ("UPDATE legal_holds SET released_at = '2030-01-01T00:00:00Z' WHERE id = (SELECT min(id) + 1 FROM legal_holds)", 3),
        ("DELETE FROM legal_holds WHERE id = (SELECT max(id) FROM legal_holds)", 4),
        (
            "INSERT INTO legal_holds (scope, product_id, reason, created_at, created_by) VALUES ('product', 'CAM', 'x', 'y', 'z')",
            5,
        ),
    ];
    for (sql, want) in cases {
        let Some(mut store) = evidence_store() else { return };
        let schema = store.schema().unwrap().to_string();
        raw(&schema).batch_execute(sql).unwrap();
        let got = store.verify_audit().unwrap();
        assert_eq!(got.as_ref().map(|b| b.seq), Some(*want), "{sql}: {got:?}");
    }
}

#[test]
fn a_schema_1_database_is_upgraded_with_its_data_and_stays_verifiable() {
    if skipped() {
        return;
    }
    let schema = unique_schema("v1");
    let name = schema.0.clone();
    {
        // A schema as msadesk with schema version 1 left it: one import of two events.
        let mut c = postgres::Client::connect(&url(), postgres::NoTls).unwrap();
        let create: String = c.query_one("SELECT format('CREATE SCHEMA %I', $1::text)", &[&name]).unwrap().get(0);
        c.batch_execute(&create).unwrap();
        drop(c);
        let mut c = raw(&name);
        c.batch_execute(include_str!("../migrations/0001_registry.sql")).unwrap();
        c.batch_execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
             INSERT INTO schema_migrations (version) VALUES (1);
             INSERT INTO party_snapshots (digest, operator_id, name, address, country, email)
                 VALUES ('\\x00112233445566778899aabbccddeeff', 'D-A', 'Alpha', 'Rue 1, Paris', 'FR', 'a@example.eu');
             INSERT INTO operators (operator_id, snapshot_id, as_of) SELECT 'D-A', id, '2016-03-01' FROM party_snapshots;
             INSERT INTO products (product_id, name, stub) VALUES ('P-1', 'P-1', true);
             INSERT INTO product_versions (product_ref, version, stub) SELECT id, '1.0', true FROM products;
             INSERT INTO supply_events (identity, direction, event_date, version_ref, quantity, snapshot_ref, counterparty_role, reference, retention_until, audit_seq, source_line)
                 SELECT '\\x01'::bytea, 'supplied', '2016-02-29'::date, v.id, 5, s.id, 'distributor', 'INV-1', '2026-02-28'::date, 1, 2 FROM product_versions v, party_snapshots s
                 UNION ALL
                 SELECT '\\x02'::bytea, 'supplied', '2016-03-01', v.id, 7, s.id, 'distributor', 'INV-2', '2026-03-01', 1, 3 FROM product_versions v, party_snapshots s;",
        )
        .unwrap();
        let detail = serde_json::json!({ "rows": 2, "new": 2 });
        let e = msadesk_store::next_audit_entry(None, &meta(), "supply_events", "import", &detail);
        c.execute(
            "INSERT INTO audit_log (seq, at, actor, entity, action, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&e.seq, &e.at, &e.actor, &e.entity, &e.action, &e.detail, &e.prev_hash, &e.hash],
        )
        .unwrap();
    }
    let mut store = PostgresStore::open_in_schema(&url(), &name).unwrap();
    assert_eq!(store.counts().unwrap().supply_events, 2);
    assert_eq!(store.verify_audit().unwrap(), None);
    let adopt = store.audit_entries().unwrap().pop().unwrap();
    assert_eq!((adopt.seq, adopt.entity.as_str(), adopt.action.as_str()), (2, "supply_events", "adopt"));
    let run = store.run_retention(msadesk_core::Date::parse("2026-03-01").unwrap(), false, &meta()).unwrap();
    assert_eq!(run.deleted.supply_events, 1);
    assert_eq!(store.verify_audit().unwrap(), None);
    drop(store);
    let mut again = PostgresStore::open_in_schema(&url(), &name).unwrap();
    assert_eq!(again.audit_entries().unwrap().len(), 3);
}

#[test]
fn a_first_load_with_repeated_identities_keeps_the_first_row_the_summary_and_the_evidence() {
    // A first load copies the rows certainly first of their identity straight into supply_events
    // and stages the repeated ones: the result must be the same as row by row.
    let Some(mut store) = scratch() else { return };
    let schema = store.schema().unwrap().to_string();
    let (fr, de) = (party("D-A", "Alpha", "FR"), party("D-B", "Beta", "DE"));
    let a = event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 10, &fr, Some("INV-1"));
    let b = event(Direction::Supplied, "2026-01-02", "P-1", "1.0", 5, &de, Some("INV-2"));
    let c = event(Direction::Received, "2026-01-03", "P-1", "1.0", 7, &de, Some("DN-1"));
    let mut a_changed = a.clone();
    a_changed.quantity = 11;
    let rows = vec![a.clone(), b.clone(), a.clone(), c, a_changed, b];
    let stats = store.import_supply(&mut VecSource::new(rows), &meta()).unwrap();
    assert!(stats.committed);
    assert_eq!((stats.rows, stats.new, stats.already_present, stats.conflicts), (6, 3, 2, 1));
    assert_eq!(stats.conflict_details.iter().map(|c| c.line).collect::<Vec<_>>(), [6]);
    let mut c = raw(&schema);
    let lines: Vec<i64> =
        c.query("SELECT source_line FROM supply_events ORDER BY 1", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(lines, [2, 3, 5], "the first row of each identity is the one stored");
    let summary: Vec<(String, i64, i64)> = c
        .query("SELECT country, quantity, events FROM supplied_by_country ORDER BY 1", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(summary, [("DE".to_string(), 5, 1), ("FR".to_string(), 10, 1)]);
    assert_eq!(store.verify_audit().unwrap(), None);
    // Importing the file again is not a first load any more, and adds nothing.
    let again = store.import_supply(&mut VecSource::new(vec![a]), &meta()).unwrap();
    assert_eq!((again.new, again.already_present), (0, 1));
    assert_eq!(store.verify_audit().unwrap(), None);
}

#[test]
fn migration_12_keys_the_components_already_stored() {
    let Some(mut store) = scratch() else { return };
    msadesk_store::conformance::components_for_keys_are_exactly_the_keyed_current_components(&mut store);
    let before = msadesk_store::conformance::keyed_answers(&mut store);
    assert!(before.len() > 5 && before.iter().all(|a| !a.is_empty()), "{before:?}");
    // Back to schema version 11, as a database written before migration 0012 was.
    let schema = store.schema().unwrap().to_string();
    raw(&schema)
        .batch_execute(
            "DROP INDEX sbom_components_by_package; DROP INDEX sbom_components_by_cpe;
             ALTER TABLE sbom_components DROP COLUMN package_key, DROP COLUMN cpe_key;
             DELETE FROM schema_migrations WHERE version = 12;",
        )
        .unwrap();
    let mut again = PostgresStore::open_in_schema(&url(), &schema).unwrap();
    let unkeyed: i64 = raw(&schema)
        .query_one("SELECT COUNT(*) FROM sbom_components WHERE package_key IS NULL AND cpe_key IS NULL", &[])
        .unwrap()
        .get(0);
    assert_eq!(unkeyed, 0, "every stored component has a key again");
    assert_eq!(msadesk_store::conformance::keyed_answers(&mut again), before);
}
