//! The store conformance suite on the SQLite engine (in-memory databases, one per test), and what
//! only a test with SQL access can show: tampering behind msadesk's back is caught, and a database
//! at an older schema version is upgraded with its data.

// In a test a panic is the failure report.
#![allow(clippy::unwrap_used)]

msadesk_store::conformance_suite!(msadesk_store_sqlite::SqliteStore::open_in_memory().expect("in-memory SQLite store"));

use msadesk_core::Date;
use msadesk_store::conformance::{retention_dataset, retention_holds};
use msadesk_store::{ChangeMeta, Store, VecSource};
use msadesk_store_sqlite::SqliteStore;

fn meta() -> ChangeMeta {
    ChangeMeta { actor: "cli:test".into(), source: None, at: "2026-12-04T10:00:00Z".into() }
}

/// A store with the retention dataset (audit entry 1), three holds (2–4) and a retention run as of
/// 2026-03-01 (entry 5, which wrote tombstones).
fn evidence_store() -> SqliteStore {
    let mut store = SqliteStore::open_in_memory().unwrap();
    store.import_supply(&mut VecSource::new(retention_dataset()), &meta()).unwrap();
    retention_holds(&mut store);
    let run = store.run_retention(Date::parse("2026-03-01").unwrap(), false, &meta()).unwrap();
    assert_eq!(run.audit_seq, Some(5));
    assert_eq!(store.verify_audit().unwrap(), None);
    store
}

#[test]
fn tampering_with_records_is_caught_at_the_entry_that_covers_them() {
    // (what is done behind msadesk's back, the first entry `audit verify` must name)
    let cases: &[(&str, i64)] = &[
        ("UPDATE supply_events SET quantity = quantity + 1 WHERE reference = 'OP-1-2020'", 1),
        ("DELETE FROM supply_events WHERE reference = 'OP-2-2021'", 1),
        (
            "INSERT INTO supply_events (identity, direction, event_date, product_version, quantity, counterparty, role, reference, retention_until, audit_seq)
             SELECT randomblob(16), direction, event_date, product_version, quantity, counterparty, role, 'FAKE', retention_until, audit_seq
             FROM supply_events LIMIT 1",
            1,
        ),
        (
            "INSERT INTO supply_events (identity, direction, event_date, product_version, quantity, counterparty, role, reference, retention_until, audit_seq)
             SELECT randomblob(16), direction, event_date, product_version, quantity, counterparty, role, 'FAKE', retention_until, 99
             FROM supply_events LIMIT 1",
            99,
        ),
        ("UPDATE supply_events SET event_date = '2030-01-01' WHERE reference = 'OP-3-2019'", 1),
        ("UPDATE operator_snapshots SET address = 'Elsewhere 1' WHERE name = 'Operator OP-2'", 1),
        ("UPDATE product_versions SET version = '9.9' WHERE version = '2.0'", 1),
        ("DELETE FROM tombstones WHERE id = 1", 1),
        ("UPDATE tombstones SET deleted_at = '2020-01-01T00:00:00Z' WHERE id = 2", 5),
        ("UPDATE audit_log SET detail = '{}' WHERE seq = 3", 3),
        ("DELETE FROM audit_log WHERE seq = 5", 5),
        ("UPDATE legal_holds SET released_at = '2030-01-01T00:00:00Z' WHERE id = 2", 3),
        ("DELETE FROM legal_holds WHERE id = 3", 4),
        (
            "INSERT INTO legal_holds (scope, product_id, reason, created_at, created_by) VALUES ('product', 'CAM', 'x', 'y', 'z')",
            5,
        ),
    ];
    for (sql, want) in cases {
        let mut store = evidence_store();
        store.connection().execute_batch(sql).unwrap();
        let got = store.verify_audit().unwrap();
        assert_eq!(got.as_ref().map(|b| b.seq), Some(*want), "{sql}: {got:?}");
    }
}

#[test]
fn a_schema_1_database_is_upgraded_with_its_data_and_stays_verifiable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        // A database as msadesk with schema version 1 left it: one import of two events.
        let conn = rusqlite_connection(&path);
        conn.execute_batch(include_str!("../migrations/0001_registry.sql")).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO operators (id, operator_id, current_snapshot) VALUES (1, 'D-A', 1);
             INSERT INTO operator_snapshots (id, operator, digest, name, address, country, email, last_seen)
                 VALUES (1, 1, X'00112233445566778899AABBCCDDEEFF', 'Alpha', 'Rue 1, Paris', 'FR', 'a@example.eu', '2016-02-29');
             INSERT INTO products (id, product_id, name, stub) VALUES (1, 'P-1', 'P-1', 1);
             INSERT INTO product_versions (id, product, version, stub) VALUES (1, 1, '1.0', 1);
             INSERT INTO supply_events (identity, direction, event_date, product_version, quantity, counterparty, role, reference, retention_until)
                 VALUES (X'01', 'supplied', '2016-02-29', 1, 5, 1, 'distributor', 'INV-1', '2026-02-28'),
                        (X'02', 'supplied', '2016-03-01', 1, 7, 1, 'distributor', 'INV-2', '2026-03-01');",
        )
        .unwrap();
        let e = msadesk_store::next_audit_entry(None, &meta(), "supply_events", "import", &serde_json_new(2));
        conn.execute(
            "INSERT INTO audit_log (seq, at, actor, entity, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            (e.seq, &e.at, &e.actor, &e.entity, &e.action, &e.detail, &e.prev_hash, &e.hash),
        )
        .unwrap();
    }
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 12);
    assert_eq!(store.counts().unwrap().supply_events, 2);
    assert_eq!(store.verify_audit().unwrap(), None);
    let adopt = store.audit_entries().unwrap().pop().unwrap();
    assert_eq!((adopt.seq, adopt.entity.as_str(), adopt.action.as_str()), (2, "supply_events", "adopt"));
    assert!(adopt.detail.contains("\"count\":2"), "{}", adopt.detail);
    // Migration 0011 summed the events already there into the supplied-by-country summary.
    let pv = [(msadesk_core::ProductId::parse("P-1").unwrap(), msadesk_core::Version::parse("1.0").unwrap())];
    let summed = |store: &mut SqliteStore| -> Vec<(String, u64, u64)> {
        let rows = msadesk_store::ImpactStore::supplied_by_country(store, &pv).unwrap();
        rows.into_iter().map(|r| (r.country.as_str().to_string(), r.quantity, r.events)).collect()
    };
    assert_eq!(summed(&mut store), [("FR".to_string(), 12, 2)]);
    // The upgraded registry works as a new one: retention, then verify.
    let run = store.run_retention(Date::parse("2026-03-01").unwrap(), false, &meta()).unwrap();
    assert_eq!(run.deleted.supply_events, 1);
    assert_eq!(summed(&mut store), [("FR".to_string(), 7, 1)]);
    assert_eq!(store.verify_audit().unwrap(), None);
    // Opening again migrates nothing more.
    drop(store);
    let mut again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.audit_entries().unwrap().len(), 3);
}

fn rusqlite_connection(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

fn serde_json_new(new: u64) -> serde_json::Value {
    serde_json::json!({ "rows": new, "new": new })
}

/// The supply import switches foreign-key checks off for its own transaction only: they are on
/// again afterwards, whether the import committed or was refused.
#[test]
fn foreign_keys_are_checked_again_after_an_import() {
    use msadesk_store::conformance::{event, party};
    use msadesk_store::{RowSource, VecSource};
    let mut store = SqliteStore::open_in_memory().unwrap();
    let fk = |s: &SqliteStore| -> i64 { s.connection().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap() };
    let p = party("D-1", "Alpha", "FR");
    let e = event(msadesk_core::Direction::Supplied, "2026-01-02", "P", "1", 3, &p, Some("R"));
    store.import_supply(&mut VecSource::new(vec![e.clone()]), &meta()).unwrap();
    assert_eq!(fk(&store), 1);
    struct Refuse(VecSource<msadesk_core::SupplyEvent>);
    impl RowSource<msadesk_core::SupplyEvent> for Refuse {
        fn next_row(&mut self) -> Option<msadesk_store::Row<msadesk_core::SupplyEvent>> {
            self.0.next_row()
        }
        fn commit_allowed(&self) -> bool {
            false
        }
    }
    let stats = store.import_supply(&mut Refuse(VecSource::new(vec![e])), &meta()).unwrap();
    assert!(!stats.committed);
    assert_eq!(fk(&store), 1);
    // And they bite: an event pointing at no product version is refused outside an import.
    let orphan = store.connection().execute(
        "INSERT INTO supply_events (identity, direction, event_date, product_version, quantity, counterparty, role, retention_until)
         VALUES (X'99', 'supplied', '2026-01-01', 999, 1, 999, 'other', '2036-01-01')",
        [],
    );
    assert!(orphan.is_err(), "{orphan:?}");
}

/// A large import sets the trace index aside and builds it again before committing; a refused one
/// leaves the index as it was. Either way the trace answers from the index afterwards.
#[test]
fn a_large_import_rebuilds_the_trace_index_and_a_refused_one_keeps_it() {
    use msadesk_store::conformance::{event, party};
    use msadesk_store::{RowSource, VecSource};
    let index_sql = |s: &SqliteStore| -> Option<String> {
        s.connection()
            .query_row("SELECT sql FROM sqlite_master WHERE name = 'supply_events_trace'", [], |r| r.get(0))
            .ok()
    };
    let mut store = SqliteStore::open_in_memory().unwrap();
    let original = index_sql(&store).expect("the migration creates the index");
    let shops: Vec<_> = (0..40).map(|i| party(&format!("D-{i}"), &format!("Shop {i}"), "FR")).collect();
    let events = |from: usize, n: usize| -> Vec<msadesk_core::SupplyEvent> {
        (from..from + n)
            .map(|i| {
                let date = format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
                let reference = format!("INV-{i}");
                event(msadesk_core::Direction::Supplied, &date, "P", "1", 1, &shops[i % 40], Some(&reference))
            })
            .collect()
    };
    struct Refuse(VecSource<msadesk_core::SupplyEvent>);
    impl RowSource<msadesk_core::SupplyEvent> for Refuse {
        fn next_row(&mut self) -> Option<msadesk_store::Row<msadesk_core::SupplyEvent>> {
            self.0.next_row()
        }
        fn commit_allowed(&self) -> bool {
            false
        }
    }
    let refused = store.import_supply(&mut Refuse(VecSource::new(events(0, 60_000))), &meta()).unwrap();
    assert!(!refused.committed);
    assert_eq!(index_sql(&store).as_deref(), Some(original.as_str()), "a refused import keeps the index");
    assert_eq!(store.counts().unwrap().supply_events, 0);

    let stats = store.import_supply(&mut VecSource::new(events(0, 60_000)), &meta()).unwrap();
    assert_eq!((stats.committed, stats.new), (true, 60_000));
    assert_eq!(index_sql(&store).as_deref(), Some(original.as_str()), "the index is built again, the same");
    let plan: String = store
        .connection()
        .query_row(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM supply_events WHERE product_version = 1 AND event_date >= '2025-03-01'",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("supply_events_trace"), "{plan}");
    let q = msadesk_core::trace::TraceQuery {
        product_id: msadesk_core::ProductId::parse("P").unwrap(),
        version: None,
        from: None,
        to: None,
    };
    let t = store.trace(&q).unwrap();
    let delivered: u64 = t.downstream.iter().map(|e| e.deliveries).sum();
    assert_eq!(delivered, 60_000);
    // Importing the same rows again adds nothing and keeps the index.
    let again = store.import_supply(&mut VecSource::new(events(0, 60_000)), &meta()).unwrap();
    assert_eq!((again.new, again.already_present), (0, 60_000));
    assert_eq!(index_sql(&store).as_deref(), Some(original.as_str()));
}

/// A large import appends its rows without the per-row identity check once the indexes are set
/// aside; duplicates among them (of rows before the drop, of rows after it, identical or
/// conflicting) must come out exactly as the per-row check reports them: same statistics, same
/// conflict messages at the right source lines, same events, summary and evidence digest.
#[test]
fn duplicates_in_a_large_import_are_resolved_as_the_per_row_check_does() {
    use msadesk_core::{Direction, ProductId, Version};
    use msadesk_store::ImpactStore;
    use msadesk_store::conformance::{event, party};
    let shops: Vec<_> =
        (0..40).map(|i| party(&format!("D-{i}"), &format!("Shop {i}"), ["FR", "DE", "IT", "NL"][i % 4])).collect();
    let ev = |i: usize, qty: u64| {
        let date = format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
        let reference = format!("INV-{i}");
        let version = ["1", "2", "3"][i % 3];
        event(Direction::Supplied, &date, "P", version, qty, &shops[i % 40], Some(&reference))
    };
    let mut rows: Vec<msadesk_core::SupplyEvent> = (0..60_000).map(|i| ev(i, 1)).collect();
    // Appended after the drop (row 50 000): identical copies (of a row before and a row after the
    // drop), conflicting ones (quantity changed), and a new event followed by a conflicting copy.
    rows.push(ev(5, 1)); // line 60 002
    rows.push(ev(7, 2)); // line 60 003: conflict with a row checked before the drop
    rows.push(ev(59_990, 1)); // line 60 004
    rows.push(ev(55_000, 3)); // line 60 005: conflict with a row appended unchecked
    rows.push(ev(70_000, 1)); // line 60 006: new
    rows.push(ev(70_000, 4)); // line 60 007: conflict with the row just above
    rows.push(ev(70_000, 1)); // line 60 008: identical
    let total = rows.len();

    let mut large = SqliteStore::open_in_memory().unwrap();
    let big = large.import_supply(&mut VecSource::new(rows.clone()), &meta()).unwrap();
    assert!(big.committed);
    assert_eq!((big.rows, big.new, big.already_present, big.conflicts), (total as u64, 60_001, 3, 3));
    let lines: Vec<u64> = big.conflict_details.iter().map(|c| c.line).collect();
    assert_eq!(lines, vec![60_003, 60_005, 60_007]);
    assert!(big.conflict_details[1].message.contains("'INV-55000'"), "{:?}", big.conflict_details[1]);
    assert!(big.conflict_details[1].message.contains("quantity 1"), "{:?}", big.conflict_details[1]);

    // The same rows through the per-row check (imports too small to set the indexes aside).
    let mut small = SqliteStore::open_in_memory().unwrap();
    let mut messages = Vec::new();
    let (mut new, mut present) = (0, 0);
    for chunk in rows.chunks(10_000) {
        let s = small.import_supply(&mut VecSource::new(chunk.to_vec()), &meta()).unwrap();
        new += s.new;
        present += s.already_present;
        messages.extend(s.conflict_details.into_iter().map(|c| c.message));
    }
    assert_eq!((new, present), (big.new, big.already_present));
    assert_eq!(messages, big.conflict_details.iter().map(|c| c.message.clone()).collect::<Vec<_>>());

    // Same registry: counts, traces, summary; and the evidence digest verifies.
    assert_eq!(large.counts().unwrap().supply_events, small.counts().unwrap().supply_events);
    let q = msadesk_core::trace::TraceQuery {
        product_id: ProductId::parse("P").unwrap(),
        version: None,
        from: None,
        to: None,
    };
    assert_eq!(large.trace(&q).unwrap(), small.trace(&q).unwrap());
    let versions: Vec<_> =
        ["1", "2", "3"].iter().map(|v| (ProductId::parse("P").unwrap(), Version::parse(v).unwrap())).collect();
    assert_eq!(large.supplied_by_country(&versions).unwrap(), small.supplied_by_country(&versions).unwrap());
    assert_eq!(large.verify_audit().unwrap(), None);
    // The unique index is back: the same rows again add nothing, through the per-row check.
    let unique: i64 = large
        .connection()
        .query_row(
            "SELECT \"unique\" FROM pragma_index_list('supply_events') WHERE name = 'supply_events_identity'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unique, 1);
    let again = large.import_supply(&mut VecSource::new(rows[..1000].to_vec()), &meta()).unwrap();
    assert_eq!((again.new, again.already_present), (0, 1000));
}

#[test]
fn migration_12_keys_the_components_already_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.db");
    let mut store = SqliteStore::open(&path).unwrap();
    msadesk_store::conformance::components_for_keys_are_exactly_the_keyed_current_components(&mut store);
    let before = msadesk_store::conformance::keyed_answers(&mut store);
    assert!(before.len() > 5 && before.iter().all(|a| !a.is_empty()), "{before:?}");
    // Back to schema version 10, as a database written before migration 0012 was (0013, the
    // identity index, runs again too: it rebuilds the table with the same rows).
    store
        .connection()
        .execute_batch(
            "DROP INDEX sbom_components_by_package; DROP INDEX sbom_components_by_cpe;
             ALTER TABLE sbom_components DROP COLUMN package_key; ALTER TABLE sbom_components DROP COLUMN cpe_key;
             PRAGMA user_version = 10;",
        )
        .unwrap();
    drop(store);
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 12);
    let unkeyed: i64 = store
        .connection()
        .query_row("SELECT COUNT(*) FROM sbom_components WHERE package_key IS NULL AND cpe_key IS NULL", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(unkeyed, 0, "every stored component has a key again");
    assert_eq!(msadesk_store::conformance::keyed_answers(&mut store), before);
}
