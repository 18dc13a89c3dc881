//! The behaviour every engine must show, as functions over `&mut dyn Store`.
//!
//! Engine crates run it with [`conformance_suite!`](crate::conformance_suite), giving a
//! constructor for a fresh, empty store: each case then becomes one `#[test]` of that engine, so
//! both engines answer the same questions the same way. Cases panic (assert) on a difference.

use msadesk_core::trace::TraceQuery;
use msadesk_core::*;

use crate::{ChangeMeta, RiskDecisionRecord, Row, RowSource, Store, StoreError, VecSource};

/// Generates one `#[test]` per conformance case for an engine. `$make` is an expression that
/// evaluates to a fresh `Box<dyn Store>` (or any `Store`) each time it is evaluated.
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@cases $make;
            identity_round_trips,
            products_import_is_idempotent_and_reports_updates,
            supply_import_is_idempotent,
            a_forbidden_commit_writes_nothing,
            unknown_products_become_stubs,
            trace_aggregates_per_counterparty,
            trace_bounds_are_inclusive_and_versions_filter,
            trace_of_unknown_product_is_an_error_and_of_quiet_product_is_empty,
            moved_operator_keeps_its_address_history,
            texts_round_trip_exactly,
            conflicting_duplicates_are_reported_not_applied,
            imports_are_recorded_in_a_verifiable_audit_chain,
            large_import_counts_add_up,
            operator_details_follow_the_latest_event_not_the_latest_import,
            empty_master_data_cells_do_not_erase,
            users_are_created_once_and_audited,
            tokens_are_found_by_hash_revoked_and_audited,
            sessions_expire_and_can_be_deleted,
            supply_imports_record_a_digest_of_the_events_they_add,
            retention_removes_exactly_the_expired_unheld_events,
            legal_holds_are_audited_and_released_once,
            erased_contact_data_comes_back_only_with_a_new_event,
            authority_directory_is_seeded_editable_and_audited,
            holidays_are_seeded_and_replaced_per_country,
            requests_keep_a_timeline_and_every_step_is_audited,
            sboms_replace_the_current_one_and_keep_history,
            vulnerability_data_round_trips_and_is_audited,
            risk_decisions_are_recorded_and_audited,
            letter_templates_are_set_replaced_removed_and_audited,
            notices_sent_are_recorded_and_audited,
            documents_keep_every_revision_and_are_audited,
            packages_are_stored_and_mark_the_request_built,
            inspector_grants_are_scoped_revocable_and_logged,
            actions_derive_recipients_and_refuse_invalid_steps,
            notices_go_to_the_outbox_with_tokens_and_acknowledgements_count,
            outbox_claims_lease_and_record_outcomes,
            data_generation_moves_with_every_change_and_only_then,
            readiness_facts_are_gathered_and_backups_audited,
            readiness_gathers_corrective_actions,
            supplied_by_country_equals_the_events_after_imports_duplicates_and_retention,
            components_for_keys_are_exactly_the_keyed_current_components,
            decision_outlines_are_the_decisions_cut_to_the_outline_keys
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[test]
            fn $case() {
                let mut store = $make;
                $crate::conformance::$case(&mut store);
            }
        )+
    };
}

fn d(s: &str) -> Date {
    Date::parse(s).expect("test date")
}

fn meta() -> ChangeMeta {
    ChangeMeta { actor: "cli:conformance".into(), source: Some("test.csv".into()), at: "2026-12-04T10:00:00Z".into() }
}

/// A party with the given id, name and country.
pub fn party(id: &str, name: &str, country: &str) -> Party {
    Party {
        id: OperatorId::parse(id).expect("id"),
        name: name.into(),
        address: format!("{name} street 1, 10115 City"),
        country: Country::parse(country).expect("country"),
        email: Some(
            Email::parse(&format!(
                "{}@example.eu",
                id.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>()
            ))
            .expect("email"),
        ),
        phone: None,
        gln: None,
        vat: None,
    }
}

/// A supply event with sensible defaults.
pub fn event(
    direction: Direction,
    date: &str,
    product: &str,
    version: &str,
    qty: u64,
    cp: &Party,
    reference: Option<&str>,
) -> SupplyEvent {
    SupplyEvent {
        direction,
        date: d(date),
        product_id: ProductId::parse(product).expect("product"),
        version: Version::parse(version).expect("version"),
        quantity: qty,
        counterparty: cp.clone(),
        counterparty_role: match direction {
            Direction::Received => OperatorRole::Manufacturer,
            Direction::Supplied => OperatorRole::Distributor,
        },
        reference: reference.map(String::from),
    }
}

/// A product master data record.
pub fn product(id: &str, version: &str, placed: Option<&str>, eos: Option<&str>) -> ProductRecord {
    ProductRecord {
        product_id: ProductId::parse(id).expect("product"),
        name: format!("Product {id}"),
        gtin: None,
        manufacturer: party("MAN-1", "Maker AG", "DE"),
        version: Version::parse(version).expect("version"),
        placed_on_market: placed.map(d),
        end_of_support: eos.map(d),
        our_role: None,
    }
}

fn supply(store: &mut dyn Store, events: Vec<SupplyEvent>) -> crate::ImportStats {
    store.import_supply(&mut VecSource::new(events), &meta()).expect("import supply")
}

fn products(store: &mut dyn Store, records: Vec<ProductRecord>) -> crate::ImportStats {
    store.import_products(&mut VecSource::new(records), &meta()).expect("import products")
}

fn query(product: &str, version: Option<&str>, from: Option<&str>, to: Option<&str>) -> TraceQuery {
    TraceQuery {
        product_id: ProductId::parse(product).expect("product"),
        version: version.map(|v| Version::parse(v).expect("version")),
        from: from.map(d),
        to: to.map(d),
    }
}

pub fn identity_round_trips(store: &mut dyn Store) {
    assert_eq!(store.identity().expect("identity"), None);
    let id = OwnIdentity {
        name: "Ünïcode Import GmbH".into(),
        address: "Hafenstraße 1, 20457 Hamburg".into(),
        member_state: MemberState::parse("DE").expect("ms"),
        contact_person: Some("Jana Novák".into()),
        email: Some(Email::parse("compliance@example.eu").expect("email")),
        default_role: OurRole::Importer,
        gln: Some(Gln::parse("4012345000009").expect("gln")),
    };
    store.set_identity(&id, &meta()).expect("set identity");
    assert_eq!(store.identity().expect("identity"), Some(id.clone()));
    let mut changed = id.clone();
    changed.default_role = OurRole::Distributor;
    changed.gln = None;
    store.set_identity(&changed, &meta()).expect("set identity again");
    assert_eq!(store.identity().expect("identity"), Some(changed));
}

pub fn products_import_is_idempotent_and_reports_updates(store: &mut dyn Store) {
    let mut a = product("P-1", "1.0", Some("2026-01-15"), Some("2031-01-15"));
    a.gtin = Some(Gtin::parse("4006381333931").expect("gtin"));
    a.our_role = Some(OurRole::Manufacturer);
    let b = product("P-1", "2.0", Some("2027-06-01"), None);
    let c = product("P-2", "1.0", None, None);
    // Product-level columns left empty on one version's row do not erase what another row gave.
    let first = products(store, vec![a.clone(), b.clone(), c.clone()]);
    assert!(first.committed);
    assert_eq!((first.rows, first.new, first.already_present, first.updated), (3, 3, 0, 0));

    let again = products(store, vec![a.clone(), b.clone(), c.clone()]);
    assert_eq!((again.new, again.already_present, again.updated), (0, 3, 0));

    let mut c2 = c.clone();
    c2.end_of_support = Some(d("2035-12-31"));
    let upd = products(store, vec![c2]);
    assert_eq!((upd.new, upd.already_present, upd.updated), (0, 0, 1));

    let p = store.product(&a.product_id).expect("product").expect("present");
    assert_eq!(p.name, "Product P-1");
    assert_eq!(p.gtin, a.gtin);
    assert_eq!(p.our_role, Some(OurRole::Manufacturer));
    assert_eq!(p.manufacturer_id.as_ref().map(OperatorId::as_str), Some("MAN-1"));
    assert!(!p.stub);
    let versions = store.versions(&a.product_id).expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].version.as_str(), "1.0");
    assert_eq!(versions[0].placed_on_market, Some(d("2026-01-15")));
    assert_eq!(versions[0].end_of_support, Some(d("2031-01-15")));
    assert_eq!(versions[1].end_of_support, None);
    let v2 = store.versions(&c.product_id).expect("versions");
    assert_eq!(v2[0].end_of_support, Some(d("2035-12-31")));
    let all: Vec<String> = store.products().expect("products").into_iter().map(|p| p.id.to_string()).collect();
    assert_eq!(all, ["P-1", "P-2"]);
    assert_eq!(store.counts().expect("counts").versions, 3);
}

pub fn supply_import_is_idempotent(store: &mut dyn Store) {
    let m = party("MAN-1", "Maker AG", "DE");
    let r = party("RET-1", "Retail SARL", "FR");
    let events = vec![
        event(Direction::Received, "2026-01-05", "P-1", "1.0", 100, &m, Some("DN-1")),
        event(Direction::Supplied, "2026-01-10", "P-1", "1.0", 10, &r, Some("INV-1")),
        event(Direction::Supplied, "2026-01-11", "P-1", "1.0", 5, &r, None),
    ];
    let first = supply(store, events.clone());
    assert!(first.committed);
    assert_eq!((first.rows, first.new, first.already_present), (3, 3, 0));
    let again = supply(store, events.clone());
    assert_eq!((again.rows, again.new, again.already_present, again.conflicts), (3, 0, 3, 0));
    // The same row twice in one file is one event.
    let twice = supply(store, vec![events[2].clone(), events[2].clone()]);
    assert_eq!((twice.new, twice.already_present), (0, 2));
    let counts = store.counts().expect("counts");
    assert_eq!(counts.supply_events, 3);
    assert_eq!(counts.operators, 2);
}

struct Refusing(VecSource<SupplyEvent>);

impl RowSource<SupplyEvent> for Refusing {
    fn next_row(&mut self) -> Option<Row<SupplyEvent>> {
        self.0.next_row()
    }
    fn commit_allowed(&self) -> bool {
        false
    }
}

pub fn a_forbidden_commit_writes_nothing(store: &mut dyn Store) {
    let r = party("RET-1", "Retail SARL", "FR");
    let mut src = Refusing(VecSource::new(vec![
        event(Direction::Supplied, "2026-01-10", "P-9", "1.0", 10, &r, Some("INV-1")),
        event(Direction::Supplied, "2026-01-11", "P-9", "1.0", 10, &r, Some("INV-2")),
    ]));
    let stats = store.import_supply(&mut src, &meta()).expect("import");
    assert!(!stats.committed);
    let counts = store.counts().expect("counts");
    assert_eq!(
        (counts.supply_events, counts.operators, counts.products, counts.versions, counts.audit_entries),
        (0, 0, 0, 0, 0)
    );
    assert!(store.product(&ProductId::parse("P-9").expect("id")).expect("product").is_none());
}

pub fn unknown_products_become_stubs(store: &mut dyn Store) {
    products(store, vec![product("P-1", "1.0", Some("2026-01-01"), None)]);
    let r = party("RET-1", "Retail SARL", "FR");
    let stats = supply(
        store,
        vec![
            event(Direction::Supplied, "2026-02-01", "P-1", "1.0", 1, &r, Some("A")),
            event(Direction::Supplied, "2026-02-01", "P-1", "1.1", 1, &r, Some("B")),
            event(Direction::Supplied, "2026-02-01", "P-NEW", "3", 1, &r, Some("C")),
            event(Direction::Supplied, "2026-02-02", "P-NEW", "3", 1, &r, Some("D")),
        ],
    );
    let mut stubs: Vec<String> = stats.stub_versions.iter().map(|(p, v)| format!("{p}@{v}")).collect();
    stubs.sort();
    assert_eq!(stubs, ["P-1@1.1", "P-NEW@3"]);
    let p = store.product(&ProductId::parse("P-NEW").expect("id")).expect("product").expect("stub product");
    assert!(p.stub);
    let v = store.versions(&ProductId::parse("P-1").expect("id")).expect("versions");
    assert_eq!(
        v.iter().map(|v| (v.version.to_string(), v.stub)).collect::<Vec<_>>(),
        [("1.0".to_string(), false), ("1.1".to_string(), true)]
    );
    // Master data arriving later fills the stub in.
    let filled = products(store, vec![product("P-1", "1.1", Some("2026-03-01"), None)]);
    assert_eq!(filled.updated, 1);
    let v = store.versions(&ProductId::parse("P-1").expect("id")).expect("versions");
    assert!(!v[1].stub);
    assert_eq!(v[1].placed_on_market, Some(d("2026-03-01")));
}

pub fn trace_aggregates_per_counterparty(store: &mut dyn Store) {
    let m = party("MAN-1", "Maker AG", "DE");
    let a = party("D-A", "alpha Distribution", "FR");
    let b = party("D-B", "Beta Handel", "AT");
    supply(
        store,
        vec![
            event(Direction::Received, "2026-01-01", "P-1", "1.0", 500, &m, Some("DN-1")),
            event(Direction::Received, "2026-03-01", "P-1", "1.0", 300, &m, Some("DN-2")),
            event(Direction::Supplied, "2026-01-10", "P-1", "1.0", 10, &b, Some("INV-1")),
            event(Direction::Supplied, "2026-01-20", "P-1", "1.0", 20, &a, Some("INV-2")),
            event(Direction::Supplied, "2026-02-20", "P-1", "1.0", 30, &a, Some("INV-3")),
            event(Direction::Supplied, "2026-02-21", "P-2", "1.0", 99, &a, Some("INV-4")),
        ],
    );
    let t = store.trace(&query("P-1", None, None, None)).expect("trace");
    assert_eq!(t.upstream.len(), 1);
    let up = &t.upstream[0];
    assert_eq!((up.operator_id.as_str(), up.quantity, up.deliveries), ("MAN-1", 800, 2));
    assert_eq!((up.first_date, up.last_date), (d("2026-01-01"), d("2026-03-01")));
    assert_eq!(up.role, OperatorRole::Manufacturer);
    assert_eq!(up.email.as_deref(), Some("man-1@example.eu"));
    let names: Vec<&str> = t.downstream.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["alpha Distribution", "Beta Handel"]);
    let alpha = &t.downstream[0];
    assert_eq!(
        (alpha.quantity, alpha.deliveries, alpha.first_date, alpha.last_date),
        (50, 2, d("2026-01-20"), d("2026-02-20"))
    );
    assert_eq!(alpha.country.as_str(), "FR");
    assert_eq!(alpha.address, "alpha Distribution street 1, 10115 City");
    assert_eq!(t.destination_countries().iter().map(Country::as_str).collect::<Vec<_>>(), ["AT", "FR"]);
}

pub fn trace_bounds_are_inclusive_and_versions_filter(store: &mut dyn Store) {
    let a = party("D-A", "Alpha", "FR");
    supply(
        store,
        vec![
            event(Direction::Supplied, "2025-12-31", "P-1", "1.0", 1, &a, Some("1")),
            event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 2, &a, Some("2")),
            event(Direction::Supplied, "2026-01-31", "P-1", "2.0", 4, &a, Some("3")),
            event(Direction::Supplied, "2026-02-01", "P-1", "1.0", 8, &a, Some("4")),
        ],
    );
    let qty = |store: &mut dyn Store, q: TraceQuery| {
        store.trace(&q).expect("trace").downstream.iter().map(|e| e.quantity).sum::<u64>()
    };
    assert_eq!(qty(store, query("P-1", None, Some("2026-01-01"), Some("2026-01-31"))), 6);
    assert_eq!(qty(store, query("P-1", Some("1.0"), Some("2026-01-01"), Some("2026-01-31"))), 2);
    assert_eq!(qty(store, query("P-1", Some("1.0"), None, None)), 11);
    assert_eq!(qty(store, query("P-1", None, Some("2026-02-01"), None)), 8);
    assert_eq!(qty(store, query("P-1", None, None, Some("2025-12-31"))), 1);
    assert_eq!(qty(store, query("P-1", Some("9.9"), None, None)), 0);
    let mut seen = Vec::new();
    let n = store
        .for_each_event(&query("P-1", None, Some("2026-01-01"), Some("2026-01-31")), &mut |e| {
            seen.push((e.date.to_string(), e.quantity));
            Ok(())
        })
        .expect("events");
    assert_eq!(n, 2);
    assert_eq!(seen, [("2026-01-01".to_string(), 2), ("2026-01-31".to_string(), 4)]);
}

pub fn trace_of_unknown_product_is_an_error_and_of_quiet_product_is_empty(store: &mut dyn Store) {
    match store.trace(&query("NOPE", None, None, None)) {
        Err(StoreError::UnknownProduct(p)) => assert_eq!(p.as_str(), "NOPE"),
        other => panic!("expected UnknownProduct, got {other:?}"),
    }
    products(store, vec![product("P-1", "1.0", None, None)]);
    let t = store.trace(&query("P-1", None, None, None)).expect("trace");
    assert!(t.upstream.is_empty() && t.downstream.is_empty());
}

pub fn moved_operator_keeps_its_address_history(store: &mut dyn Store) {
    let before = party("D-A", "Alpha", "FR");
    let mut after = before.clone();
    after.address = "Nouvelle adresse 9, 75001 Paris".into();
    supply(
        store,
        vec![
            event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 1, &before, Some("1")),
            event(Direction::Supplied, "2026-01-02", "P-1", "1.0", 2, &before, Some("2")),
        ],
    );
    supply(store, vec![event(Direction::Supplied, "2026-06-01", "P-1", "1.0", 4, &after, Some("3"))]);
    let t = store.trace(&query("P-1", None, None, None)).expect("trace");
    assert_eq!(t.downstream.len(), 2, "{:?}", t.downstream);
    assert_eq!(t.downstream[0].address, before.address);
    assert_eq!((t.downstream[0].quantity, t.downstream[0].last_date), (3, d("2026-01-02")));
    assert_eq!(t.downstream[1].address, after.address);
    assert_eq!(t.downstream[1].first_date, d("2026-06-01"));
    // The operator list shows the latest details.
    let ops = store.operators().expect("operators");
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].address, after.address);
    let mut addresses = Vec::new();
    store
        .for_each_event(&query("P-1", None, None, None), &mut |e| {
            addresses.push(e.counterparty.address);
            Ok(())
        })
        .expect("events");
    assert_eq!(addresses, [before.address.clone(), before.address.clone(), after.address.clone()]);
}

pub fn texts_round_trip_exactly(store: &mut dyn Store) {
    let mut p = party("Ø-1 \"quoted\"", "Łódź \"Sp. z o.o.\", \\ back\tslash", "PL");
    p.address = "ul. Piotrkowska 1\nline two; 90-001 Łódź".into();
    p.phone = Some("+48 42 000 00 00".into());
    p.vat = Some("PL1234567890".into());
    p.gln = Some(Gln::parse("4012345000009").expect("gln"));
    let e = event(Direction::Received, "2024-02-29", "Prodüct/ü 1", "v1.0-β", 7, &p, Some("DN,1;\"x\"\\N"));
    supply(store, vec![e.clone()]);
    let mut got = Vec::new();
    store
        .for_each_event(&query("Prodüct/ü 1", None, None, None), &mut |ev| {
            got.push(ev);
            Ok(())
        })
        .expect("events");
    assert_eq!(got, [e]);
}

pub fn conflicting_duplicates_are_reported_not_applied(store: &mut dyn Store) {
    let a = party("D-A", "Alpha", "FR");
    supply(store, vec![event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 10, &a, Some("INV-1"))]);
    let stats = supply(
        store,
        vec![
            event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 10, &a, Some("INV-2")),
            event(Direction::Supplied, "2026-01-02", "P-1", "1.0", 12, &a, Some("INV-1")),
        ],
    );
    assert_eq!((stats.new, stats.already_present, stats.conflicts), (1, 0, 1));
    assert_eq!(stats.conflict_details[0].line, 3);
    assert!(stats.conflict_details[0].message.contains("INV-1"), "{}", stats.conflict_details[0].message);
    let t = store.trace(&query("P-1", None, None, None)).expect("trace");
    assert_eq!(t.downstream[0].quantity, 20);
}

pub fn imports_are_recorded_in_a_verifiable_audit_chain(store: &mut dyn Store) {
    let a = party("D-A", "Alpha", "FR");
    products(store, vec![product("P-1", "1.0", None, None)]);
    supply(store, vec![event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 10, &a, Some("INV-1"))]);
    supply(store, vec![event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 10, &a, Some("INV-1"))]);
    let entries = store.audit_entries().expect("audit");
    assert_eq!(entries.len(), 3);
    assert_eq!(msadesk_core::audit::verify(&entries), None);
    assert_eq!((entries[0].entity.as_str(), entries[0].action.as_str()), ("products", "import"));
    assert_eq!(entries[1].entity, "supply_events");
    assert_eq!(entries[1].actor, "cli:conformance");
    let detail: serde_json::Value = serde_json::from_str(&entries[1].detail).expect("json detail");
    assert_eq!(detail["new"], 1);
    assert_eq!(detail["source"], "test.csv");
    let detail: serde_json::Value = serde_json::from_str(&entries[2].detail).expect("json detail");
    assert_eq!(detail["already_present"], 1);
}

pub fn large_import_counts_add_up(store: &mut dyn Store) {
    let parties: Vec<Party> = (0..50)
        .map(|i| party(&format!("OP-{i}"), &format!("Operator {i}"), if i % 2 == 0 { "DE" } else { "IT" }))
        .collect();
    let events: Vec<SupplyEvent> = (0..5000u64)
        .map(|i| {
            let p = &parties[(i % 50) as usize];
            let dir = if i % 5 == 0 { Direction::Received } else { Direction::Supplied };
            let day = format!("2026-{:02}-{:02}", 1 + (i % 12), 1 + (i % 28));
            event(dir, &day, &format!("P-{}", i % 7), &format!("{}.0", i % 3), 1 + i % 10, p, Some(&format!("R-{i}")))
        })
        .collect();
    let total: u64 = events.iter().map(|e| e.quantity).sum();
    let stats = supply(store, events);
    assert_eq!(stats.new, 5000);
    let mut sum = 0;
    for p in 0..7 {
        let t = store.trace(&query(&format!("P-{p}"), None, None, None)).expect("trace");
        sum += t.upstream.iter().chain(&t.downstream).map(|e| e.quantity).sum::<u64>();
    }
    assert_eq!(sum, total);
    assert_eq!(store.counts().expect("counts").operators, 50);
}

pub fn operator_details_follow_the_latest_event_not_the_latest_import(store: &mut dyn Store) {
    let old = party("D-A", "Alpha", "FR");
    let mut new = old.clone();
    new.address = "Nouvelle adresse 9, 75001 Paris".into();
    supply(store, vec![event(Direction::Supplied, "2026-06-01", "P-1", "1.0", 1, &new, Some("2"))]);
    // An older file arrives later: it does not bring the old address back.
    supply(store, vec![event(Direction::Supplied, "2025-01-01", "P-1", "1.0", 1, &old, Some("1"))]);
    assert_eq!(store.operators().expect("operators")[0].address, new.address);
    // A newer event with the old address again (the operator moved back) does.
    supply(store, vec![event(Direction::Supplied, "2026-09-01", "P-1", "1.0", 1, &old, Some("3"))]);
    assert_eq!(store.operators().expect("operators")[0].address, old.address);
}

pub fn empty_master_data_cells_do_not_erase(store: &mut dyn Store) {
    let mut full = product("P-1", "1.0", Some("2026-01-15"), Some("2031-01-15"));
    full.gtin = Some(Gtin::parse("4006381333931").expect("gtin"));
    products(store, vec![full]);
    let sparse = product("P-1", "1.0", None, None);
    let stats = products(store, vec![sparse]);
    assert_eq!((stats.new, stats.updated, stats.already_present), (0, 0, 1));
    let v = store.versions(&ProductId::parse("P-1").expect("id")).expect("versions");
    assert_eq!((v[0].placed_on_market, v[0].end_of_support), (Some(d("2026-01-15")), Some(d("2031-01-15"))));
    let p = store.product(&ProductId::parse("P-1").expect("id")).expect("product").expect("present");
    assert!(p.gtin.is_some());
}

// ---- Users, tokens and sessions (the server's authentication) ----

fn user(name: &str, role: crate::Role) -> crate::User {
    crate::User {
        name: name.into(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: "2026-12-04T10:00:00Z".into(),
        disabled: false,
    }
}

pub fn users_are_created_once_and_audited(store: &mut dyn Store) {
    let m = ChangeMeta { actor: "cli:admin".into(), source: None, at: "2026-12-04T10:00:00Z".into() };
    assert!(store.users().expect("users").is_empty());
    store.create_user(&user("zoe", crate::Role::Viewer), &m).expect("create zoe");
    store.create_user(&user("anna", crate::Role::Admin), &m).expect("create anna");
    match store.create_user(&user("anna", crate::Role::Officer), &m) {
        Err(StoreError::AlreadyExists(what)) => assert!(what.contains("anna"), "{what}"),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    let names: Vec<String> = store.users().expect("users").into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["anna", "zoe"]);
    let anna = store.user("anna").expect("user").expect("anna exists");
    assert_eq!(anna, user("anna", crate::Role::Admin));
    assert!(store.user("nobody").expect("user").is_none());
    let audit = store.audit_entries().expect("audit");
    let creations: Vec<_> = audit.iter().filter(|e| e.entity == "user" && e.action == "create").collect();
    assert_eq!(creations.len(), 2, "the failed duplicate is not recorded");
    assert!(!creations[0].detail.contains("argon2"), "the password hash stays out of the audit trail");
    assert!(msadesk_core::audit::verify(&audit).is_none());
}

pub fn tokens_are_found_by_hash_revoked_and_audited(store: &mut dyn Store) {
    let m = ChangeMeta { actor: "user:anna".into(), source: None, at: "2026-12-04T10:00:00Z".into() };
    let t = crate::ApiToken {
        id: "t1".into(),
        name: "ERP".into(),
        role: crate::Role::Officer,
        secret_sha256: "ab".repeat(32),
        created_at: "2026-12-04T10:00:00Z".into(),
        expires_at: Some("2027-01-01T00:00:00Z".into()),
        revoked: false,
        last_used_at: None,
    };
    store.create_token(&t, &m).expect("create token");
    assert!(matches!(store.create_token(&t, &m), Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.token_by_secret(&"ab".repeat(32)).expect("lookup"), Some(t.clone()));
    assert!(store.token_by_secret(&"cd".repeat(32)).expect("lookup").is_none());
    store.touch_token("t1", "2026-12-05T08:00:00Z").expect("touch");
    assert_eq!(store.tokens().expect("tokens")[0].last_used_at.as_deref(), Some("2026-12-05T08:00:00Z"));
    assert!(store.revoke_token("t1", &m).expect("revoke"));
    assert!(!store.revoke_token("nope", &m).expect("revoke unknown"));
    assert!(store.token_by_secret(&"ab".repeat(32)).expect("lookup").expect("still listed").revoked);
    let audit = store.audit_entries().expect("audit");
    let actions: Vec<(&str, &str)> =
        audit.iter().filter(|e| e.entity == "token").map(|e| (e.action.as_str(), e.actor.as_str())).collect();
    assert_eq!(actions, [("create", "user:anna"), ("revoke", "user:anna")]);
    assert!(!audit.iter().any(|e| e.detail.contains(&"ab".repeat(32))), "no secret hash in the audit trail");
}

pub fn sessions_expire_and_can_be_deleted(store: &mut dyn Store) {
    let m = ChangeMeta { actor: "cli:admin".into(), source: None, at: "2026-12-04T10:00:00Z".into() };
    store.create_user(&user("anna", crate::Role::Officer), &m).expect("create anna");
    let s = crate::Session {
        id_sha256: "11".repeat(32),
        user: "anna".into(),
        csrf: "csrf-token".into(),
        created_at: "2026-12-04T10:00:00Z".into(),
        expires_at: "2026-12-04T18:00:00Z".into(),
    };
    store.create_session(&s).expect("create session");
    assert_eq!(store.session(&s.id_sha256, "2026-12-04T12:00:00Z").expect("session"), Some(s.clone()));
    assert!(store.session(&s.id_sha256, "2026-12-04T18:00:00Z").expect("session").is_none(), "expired");
    assert!(store.session(&"22".repeat(32), "2026-12-04T12:00:00Z").expect("session").is_none());
    store.delete_session(&s.id_sha256).expect("delete");
    assert!(store.session(&s.id_sha256, "2026-12-04T12:00:00Z").expect("session").is_none());

    // A new session clears those that expired by its creation, and only those.
    let mut old = s.clone();
    old.id_sha256 = "33".repeat(32);
    store.create_session(&old).expect("old session");
    let mut long = s.clone();
    long.id_sha256 = "44".repeat(32);
    long.expires_at = "2026-12-31T00:00:00Z".into();
    store.create_session(&long).expect("long session");
    let mut next_day = s.clone();
    next_day.id_sha256 = "55".repeat(32);
    next_day.created_at = "2026-12-05T09:00:00Z".into();
    next_day.expires_at = "2026-12-05T17:00:00Z".into();
    store.create_session(&next_day).expect("next day's session");
    assert!(store.session(&old.id_sha256, "2026-12-04T12:00:00Z").expect("session").is_none(), "expired: removed");
    assert!(store.session(&long.id_sha256, "2026-12-04T12:00:00Z").expect("session").is_some(), "still valid: kept");
}

/// The retention dataset: four series of one event a year (15 March) from 2010 to 2027 — CAM 1.0
/// with OP-1, CAM 2.0 with OP-2 (a held version), CAM 1.0 with OP-H (a held operator), HELD 1.0
/// with OP-3 (a held product) — plus CAM 1.0 with OP-1 on 29 February and 1 March 2016, and one
/// event in 2012 with OP-OLD, which nothing later refers to. 75 events.
pub fn retention_dataset() -> Vec<SupplyEvent> {
    let series = [("CAM", "1.0", "OP-1"), ("CAM", "2.0", "OP-2"), ("CAM", "1.0", "OP-H"), ("HELD", "1.0", "OP-3")];
    let mut out = Vec::new();
    for (product, version, op) in series {
        let p = party(op, &format!("Operator {op}"), "DE");
        for year in 2010..=2027 {
            let date = format!("{year}-03-15");
            out.push(event(Direction::Supplied, &date, product, version, 1, &p, Some(&format!("{op}-{year}"))));
        }
    }
    let p1 = party("OP-1", "Operator OP-1", "DE");
    out.push(event(Direction::Received, "2016-02-29", "CAM", "1.0", 5, &p1, Some("LEAP")));
    out.push(event(Direction::Received, "2016-03-01", "CAM", "1.0", 5, &p1, Some("AFTER-LEAP")));
    out.push(event(
        Direction::Supplied,
        "2012-06-01",
        "CAM",
        "1.0",
        2,
        &party("OP-OLD", "Old Trader", "AT"),
        Some("OLD"),
    ));
    out
}

/// Places the dataset's holds: product HELD, version CAM 2.0, operator OP-H. Returns their ids.
pub fn retention_holds(store: &mut dyn Store) -> [i64; 3] {
    use msadesk_core::retention::HoldScope;
    let pid = |s: &str| ProductId::parse(s).expect("product");
    let scopes = [
        HoldScope::Product { product_id: pid("HELD") },
        HoldScope::Version { product_id: pid("CAM"), version: Version::parse("2.0").expect("version") },
        HoldScope::Operator { operator_id: OperatorId::parse("OP-H").expect("operator") },
    ];
    scopes.map(|s| store.add_hold(&s, "open case MSA-2036-17", &meta()).expect("hold").id)
}

fn assert_verifies(store: &mut dyn Store) {
    assert_eq!(store.verify_audit().expect("verify"), None, "the audit trail and its records must verify");
}

pub fn supply_imports_record_a_digest_of_the_events_they_add(store: &mut dyn Store) {
    let a = party("D-A", "Alpha", "FR");
    let stats = supply(
        store,
        vec![
            event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 10, &a, Some("INV-1")),
            event(Direction::Supplied, "2026-01-02", "P-1", "1.0", 10, &a, Some("INV-2")),
        ],
    );
    assert_eq!(stats.new, 2);
    // A re-import adds nothing and records an empty digest.
    supply(store, vec![event(Direction::Supplied, "2026-01-01", "P-1", "1.0", 10, &a, Some("INV-1"))]);
    let entries = store.audit_entries().expect("audit");
    let rows = |i: usize| -> serde_json::Value {
        let d: serde_json::Value = serde_json::from_str(&entries[i].detail).expect("json");
        d[msadesk_core::audit::ROWS_KEY].clone()
    };
    assert_eq!(rows(0)["count"], 2);
    assert_eq!(rows(1)["count"], 0);
    let coverage = store.coverage().expect("coverage");
    assert_eq!(coverage.rows.get(&entries[0].seq).map(|r| r.count), Some(2));
    assert_verifies(store);
}

pub fn retention_removes_exactly_the_expired_unheld_events(store: &mut dyn Store) {
    supply(store, retention_dataset());
    let [held_product, held_version, held_operator] = retention_holds(store);
    let entries_before = store.audit_entries().expect("audit").len();

    // A dry run reports exactly what a run would do and changes nothing.
    let dry = store.run_retention(d("2037-01-01"), true, &meta()).expect("dry run");
    assert!(dry.dry_run);
    assert_eq!((dry.deleted.supply_events, dry.held.supply_events, dry.deleted.operators), (20, 51, 1));
    assert_eq!(dry.deleted.documents, 0);
    assert_eq!(dry.audit_seq, None);
    assert_eq!(store.counts().expect("counts").supply_events, 75);
    assert_eq!(store.audit_entries().expect("audit").len(), entries_before);

    // 29 February 2016 + 10 years = 28 February 2026: gone on 1 March 2026; 1 March 2016 is not.
    let leap = store.run_retention(d("2026-03-01"), false, &meta()).expect("run");
    assert_eq!((leap.deleted.supply_events, leap.held.supply_events, leap.deleted.operators), (8, 18, 1));
    let leap_item = leap.items.iter().find(|i| i.event_date == Some(d("2016-02-29"))).expect("29 February listed");
    assert_eq!((leap_item.action, leap_item.retention_until), ("delete", Some(d("2026-02-28"))));
    assert!(leap_item.reason.contains("CRA Art 23(2)"), "{}", leap_item.reason);
    assert!(!leap.items.iter().any(|i| i.event_date == Some(d("2016-03-01"))));
    assert!(
        leap.items.iter().any(|i| i.kind == "operator_contact" && i.key == "OP-OLD" && i.action == "erase_contact")
    );
    assert_verifies(store);

    // The issue's case: 2010–2026 as of 2037-01-01 removes every unheld event up to 2026.
    let run = store.run_retention(d("2037-01-01"), false, &meta()).expect("run");
    assert_eq!((run.deleted.supply_events, run.held.supply_events, run.deleted.operators), (12, 51, 0));
    assert!(run.audit_seq.is_some());
    for (hold, n) in [(held_product, 17), (held_version, 17), (held_operator, 17)] {
        assert_eq!(run.items.iter().filter(|i| i.hold_id == Some(hold)).count(), n, "hold #{hold}");
    }
    assert!(run.items.iter().all(|i| i.event_date.is_none_or(|d0| d0 < d("2027-01-01"))));
    assert_eq!(store.counts().expect("counts").supply_events, 75 - 20);
    // What remains of CAM 1.0 with OP-1: the 2027 event only.
    let t = store.trace(&query("CAM", Some("1.0"), None, None)).expect("trace");
    let op1 = t.downstream.iter().find(|e| e.operator_id.as_str() == "OP-1").expect("OP-1 still there");
    assert_eq!((op1.first_date, op1.deliveries), (d("2027-03-15"), 1));
    assert!(t.upstream.is_empty(), "the 2016 receipts are gone");
    assert_verifies(store);

    // Nothing left to do; then releasing a hold lets its records go.
    let again = store.run_retention(d("2037-01-01"), false, &meta()).expect("run");
    assert_eq!(again.deleted.supply_events, 0);
    store.release_hold(held_version, "case closed", &meta()).expect("release");
    let after = store.run_retention(d("2037-01-01"), false, &meta()).expect("run");
    assert_eq!((after.deleted.supply_events, after.held.supply_events), (17, 34));
    assert_eq!(store.counts().expect("counts").supply_events, 75 - 37);
    assert_verifies(store);
    let last = store.audit_entries().expect("audit").pop().expect("entry");
    assert_eq!((last.entity.as_str(), last.action.as_str()), ("retention", "run"));
}

pub fn legal_holds_are_audited_and_released_once(store: &mut dyn Store) {
    use msadesk_core::retention::HoldScope;
    let scope = HoldScope::Operator { operator_id: OperatorId::parse("OP-9").expect("operator") };
    let hold = store.add_hold(&scope, "MSA request 42", &meta()).expect("hold");
    assert!(hold.is_active());
    assert_eq!((hold.reason.as_str(), hold.created_by.as_str()), ("MSA request 42", "cli:conformance"));
    let released = store.release_hold(hold.id, "answered", &meta()).expect("release");
    assert_eq!(released.release_reason.as_deref(), Some("answered"));
    assert!(!released.is_active());
    assert!(matches!(store.release_hold(hold.id, "again", &meta()), Err(StoreError::Invalid(_))));
    assert!(matches!(store.release_hold(hold.id + 100, "no such", &meta()), Err(StoreError::Invalid(_))));
    assert_eq!(store.holds().expect("holds"), vec![released]);
    let entries = store.audit_entries().expect("audit");
    let actions: Vec<(&str, &str)> = entries.iter().map(|e| (e.entity.as_str(), e.action.as_str())).collect();
    assert_eq!(actions, vec![("legal_holds", "place"), ("legal_holds", "release")]);
    assert!(entries[1].detail.contains("answered"));
    assert_verifies(store);
}

pub fn erased_contact_data_comes_back_only_with_a_new_event(store: &mut dyn Store) {
    let old = party("OP-OLD", "Old Trader", "AT");
    supply(store, vec![event(Direction::Supplied, "2012-06-01", "CAM", "1.0", 2, &old, Some("OLD"))]);
    let run = store.run_retention(d("2030-01-01"), false, &meta()).expect("run");
    assert_eq!((run.deleted.supply_events, run.deleted.operators), (1, 1));
    let ops = store.operators().expect("operators");
    assert_eq!((ops[0].name.as_str(), ops[0].email.as_ref()), ("Old Trader", None));
    // The same details arrive again with a new event: a new snapshot, with the e-mail.
    supply(store, vec![event(Direction::Supplied, "2029-06-01", "CAM", "1.0", 2, &old, Some("NEW"))]);
    let ops = store.operators().expect("operators");
    assert_eq!(ops[0].email, old.email);
    assert_verifies(store);
}

pub fn authority_directory_is_seeded_editable_and_audited(store: &mut dyn Store) {
    let seeded = store.authorities().expect("authorities");
    let ids: Vec<&str> = seeded.iter().map(|a| a.id.as_str()).collect();
    for id in
        ["de-bnetza", "de-bsi", "fr-anssi", "fr-dgccrf", "nl-rdi", "at-rtr", "ie-nsai", "se-pts", "be-ccb", "es-incibe"]
    {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(seeded.iter().all(|a| !a.confirmed), "seed entries are unconfirmed");
    assert!(seeded.windows(2).all(|w| (w[0].country.as_str(), &w[0].id) <= (w[1].country.as_str(), &w[1].id)));
    assert!(store.audit_entries().expect("audit").is_empty(), "seeding is part of the migration");

    let mut bsi = seeded.iter().find(|a| a.id == "de-bsi").expect("bsi").clone();
    bsi.confirmed = true;
    bsi.email = Some("cra@bsi.example".into());
    bsi.source = "Letter of 2026-11-02".into();
    assert!(!store.put_authority(&bsi, &meta()).expect("edit"));
    let mut pl = bsi.clone();
    pl.id = "pl-uke".into();
    pl.country = MemberState::parse("PL").expect("PL");
    pl.name = "Urząd Komunikacji Elektronicznej".into();
    pl.time_zone = "Europe/Warsaw".into();
    assert!(store.put_authority(&pl, &meta()).expect("add"));
    let now = store.authorities().expect("authorities");
    assert_eq!(now.len(), seeded.len() + 1);
    assert_eq!(now.iter().find(|a| a.id == "de-bsi"), Some(&bsi));
    assert_eq!(now.iter().find(|a| a.id == "pl-uke"), Some(&pl));
    let actions: Vec<(String, String)> =
        store.audit_entries().expect("audit").into_iter().map(|e| (e.entity, e.action)).collect();
    assert_eq!(actions, [("authorities".into(), "edit".into()), ("authorities".into(), "add".into())]);
    assert_verifies(store);
}

pub fn holidays_are_seeded_and_replaced_per_country(store: &mut dyn Store) {
    use msadesk_core::inbox::Holiday;
    let all = store.holidays().expect("holidays");
    assert_eq!(all, {
        let mut v = msadesk_core::inbox::defaults::holidays();
        v.sort_by(|a, b| (&a.country, a.date).cmp(&(&b.country, b.date)));
        v
    });
    let de = vec![
        Holiday { country: "DE".into(), date: d("2026-04-03"), name: "Karfreitag".into() },
        Holiday { country: "DE".into(), date: d("2026-04-06"), name: "Ostermontag".into() },
    ];
    store.set_holidays("DE", &de, &meta()).expect("set");
    let now = store.holidays().expect("holidays");
    assert_eq!(now.iter().filter(|h| h.country == "DE").cloned().collect::<Vec<_>>(), de);
    assert_eq!(now.iter().filter(|h| h.country == "FR").count(), all.iter().filter(|h| h.country == "FR").count());
    let last = store.audit_entries().expect("audit").pop().expect("entry");
    assert_eq!((last.entity.as_str(), last.action.as_str()), ("holidays", "replace"));
    assert!(last.detail.contains("Karfreitag"));
}

pub fn requests_keep_a_timeline_and_every_step_is_audited(store: &mut dyn Store) {
    use msadesk_core::inbox::{Ask, DeadlineRule, NewRequest, RequestInput, Status, Step};
    let authority = store.authorities().expect("authorities").into_iter().find(|a| a.id == "de-bnetza").expect("seed");
    let holidays = store.holidays().expect("holidays");
    let input = |reference: &'static str| RequestInput {
        authority: &authority,
        reference,
        received: "2026-12-23T09:30",
        deadline: DeadlineRule::WorkingDays(3),
        product: ProductId::parse("SH-CAM-200").expect("product"),
        version: Some(Version::parse("1.2.0").expect("version")),
        from: Some(d("2026-01-01")),
        to: Some(d("2026-06-30")),
        asks: vec![Ask::Trace, Ask::Sbom],
        ack_hours: 24,
    };
    let new = NewRequest::build(input("BNetzA-2026-17"), &holidays).expect("build");
    assert_eq!(new.due, d("2026-12-29"), "24 Dec, then 25/26 Dec and the weekend are skipped");
    assert_eq!(new.ack_due, "2026-12-24T09:30:00+01:00[Europe/Berlin]");
    let r = store.add_request(&new, &meta()).expect("add");
    assert_eq!((r.status, r.timeline.len(), r.acknowledged_at.as_deref()), (Status::Received, 1, None));
    assert_eq!(store.request(r.id).expect("read"), Some(r.clone()));

    let second = store.add_request(&NewRequest::build(input("BNetzA-2026-18"), &holidays).expect("build"), &meta());
    let second = second.expect("add");
    assert!(second.id > r.id);

    let mut unknown = new.clone();
    unknown.authority = "xx-nobody".into();
    assert!(
        matches!(store.add_request(&unknown, &meta()), Err(StoreError::Invalid(m)) if m.contains("authority list"))
    );

    let later = ChangeMeta { actor: "user:jana".into(), source: None, at: "2026-12-23T10:00:00Z".into() };
    let acked = store.request_step(r.id, &Step::Acknowledged, Some("by e-mail"), &later).expect("ack");
    assert_eq!((acked.status, acked.acknowledged_at.as_deref()), (Status::Acknowledged, Some("2026-12-23T10:00:00Z")));
    // A refused step changes nothing and records nothing.
    let before = store.audit_entries().expect("audit").len();
    assert!(matches!(store.request_step(r.id, &Step::Sent, None, &later), Err(StoreError::Invalid(_))));
    assert!(matches!(store.request_step(9999, &Step::Closed, None, &later), Err(StoreError::Invalid(_))));
    assert_eq!(store.audit_entries().expect("audit").len(), before);

    store.request_step(r.id, &Step::ExtensionAsked, None, &later).expect("ask");
    let ext = store.request_step(r.id, &Step::ExtensionGiven { due: d("2027-01-15") }, None, &later).expect("give");
    assert_eq!(ext.new.due, d("2027-01-15"));
    let closed = store.request_step(r.id, &Step::Closed, Some("withdrawn"), &later).expect("close");
    let steps: Vec<(&str, &str)> = closed.timeline.iter().map(|t| (t.step.name(), t.actor.as_str())).collect();
    assert_eq!(
        steps,
        [
            ("received", "cli:conformance"),
            ("acknowledged", "user:jana"),
            ("extension_asked", "user:jana"),
            ("extension_given", "user:jana"),
            ("closed", "user:jana")
        ]
    );
    assert_eq!(store.request(r.id).expect("read"), Some(closed.clone()));
    assert_eq!(store.requests().expect("list"), vec![closed, second]);
    let actions: Vec<String> = store
        .audit_entries()
        .expect("audit")
        .into_iter()
        .filter(|e| e.entity == "msa_requests")
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["received", "received", "acknowledged", "extension_asked", "extension_given", "closed"]);
}

fn component(purl: &str, name: &str, version: &str, cpe: Option<&str>) -> crate::SbomComponent {
    crate::SbomComponent {
        purl: purl.into(),
        name: name.into(),
        version: Some(version.into()),
        cpe: cpe.map(Into::into),
    }
}

fn sbom(product: &str, version: &str, digest: &str, components: Vec<crate::SbomComponent>) -> crate::NewSbom {
    crate::NewSbom {
        product_id: ProductId::parse(product).expect("product"),
        version: Version::parse(version).expect("version"),
        source_file: format!("{product}-{version}.cdx.json"),
        format: "CycloneDX 1.6".into(),
        digest: digest.into(),
        components,
    }
}

pub fn sboms_replace_the_current_one_and_keep_history(store: &mut dyn Store) {
    let unknown = sbom("NOPE", "1.0", "00", vec![]);
    assert!(matches!(store.import_sbom(&unknown, &meta()), Err(StoreError::UnknownProduct(_))));
    products(store, vec![product("CAM", "1.0", None, None), product("CAM", "2.0", None, None)]);
    let lodash = component("pkg:npm/lodash@4.17.20", "lodash", "4.17.20", None);
    let openssl = component(
        "pkg:generic/openssl@3.0.1",
        "openssl",
        "3.0.1",
        Some("cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*"),
    );
    let first = store
        .import_sbom(&sbom("CAM", "1.0", "aa", vec![lodash.clone(), lodash.clone(), openssl.clone()]), &meta())
        .expect("sbom");
    assert_eq!((first.components, first.current), (2, true), "duplicate purls are kept once");
    store.import_sbom(&sbom("CAM", "2.0", "bb", vec![openssl.clone()]), &meta()).expect("sbom 2.0");
    let fixed = component("pkg:npm/lodash@4.17.21", "lodash", "4.17.21", None);
    let second = store.import_sbom(&sbom("CAM", "1.0", "cc", vec![fixed.clone()]), &meta()).expect("re-import");
    assert!(second.id > first.id);
    let history = store.sboms(Some(&ProductId::parse("CAM").expect("id"))).expect("sboms");
    let summary: Vec<(&str, &str, bool, u64)> =
        history.iter().map(|s| (s.version.as_str(), s.digest.as_str(), s.current, s.components)).collect();
    assert_eq!(summary, vec![("1.0", "aa", false, 2), ("1.0", "cc", true, 1), ("2.0", "bb", true, 1)]);
    assert_eq!(history[0].source_file, "CAM-1.0.cdx.json");
    assert_eq!(history[0].imported_at, meta().at);
    let current = store.current_components().expect("components");
    let got: Vec<(&str, &crate::SbomComponent)> = current.iter().map(|c| (c.version.as_str(), &c.component)).collect();
    assert_eq!(got, vec![("1.0", &fixed), ("2.0", &openssl)]);
    let entries = store.audit_entries().expect("audit");
    let last = entries.last().expect("entry");
    assert_eq!((last.entity.as_str(), last.action.as_str()), ("sbom", "import"));
    assert!(last.detail.contains("\"replaced\":") && last.detail.contains("\"digest\":\"cc\""), "{}", last.detail);
    assert_verifies(store);
}

pub fn vulnerability_data_round_trips_and_is_audited(store: &mut dyn Store) {
    let vuln = crate::StoredVuln {
        id: "GHSA-jf85-cpcp-j695".into(),
        aliases: vec!["CVE-2019-10744".into(), "GHSA-jf85-cpcp-j695".into()],
        format: "OSV".into(),
        feed: "osv.dev".into(),
        feed_date: d("2026-12-01"),
        file: "osv.json".into(),
        summary: Some("Prototype pollution in lodash — «quoted»".into()),
        cvss: vec!["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H".into()],
        match_data: serde_json::json!({"affected": [{"ecosystem": "npm", "name": "lodash"}]}),
    };
    let stats = store.import_vulns(std::slice::from_ref(&vuln), &meta()).expect("vulns");
    assert_eq!((stats.rows, stats.new, stats.committed), (1, 1, true));
    let again = store.import_vulns(std::slice::from_ref(&vuln), &meta()).expect("again");
    assert_eq!((again.new, again.already_present, again.updated), (0, 1, 0));
    let mut newer = vuln.clone();
    newer.feed_date = d("2026-12-03");
    assert_eq!(store.import_vulns(&[newer.clone()], &meta()).expect("newer").updated, 1);
    assert_eq!(store.vulns().expect("vulns"), vec![newer.clone()]);
    // The same id from another feed is another record.
    let other = crate::StoredVuln { feed: "GitHub".into(), format: "CSAF 2.0".into(), cvss: vec![], ..newer.clone() };
    assert_eq!(store.import_vulns(std::slice::from_ref(&other), &meta()).expect("other feed").new, 1);
    assert_eq!(store.vulns().expect("vulns"), vec![other, newer]);

    let kev = |id: &str, source: &str, ransomware| crate::KnownExploited {
        id: id.into(),
        source: source.into(),
        date_added: d("2026-11-30"),
        due_date: Some(d("2026-12-21")),
        ransomware,
    };
    let listings = vec![kev("CVE-2019-10744", "CISA KEV", Some(true)), kev("CVE-2019-10744", "ACME list", None)];
    let stats = store.import_known_exploited(&listings, &meta()).expect("kev");
    assert_eq!(stats.new, 2);
    assert_eq!(store.import_known_exploited(&listings, &meta()).expect("kev again").already_present, 2);
    let mut sorted = listings.clone();
    sorted.reverse();
    assert_eq!(store.known_exploited().expect("kev"), sorted);

    let dep = |ms: &str, instances, sector: Option<&str>| crate::Deployment {
        product_id: ProductId::parse("CAM").expect("id"),
        version: Version::parse("1.0").expect("version"),
        member_state: MemberState::parse(ms).expect("ms"),
        instances,
        critical_sector: sector.map(Into::into),
    };
    let rows = vec![dep("DE", 12_000, None), dep("FR", 40, Some("energy")), dep("FR", 3, None)];
    assert_eq!(store.import_deployments(&rows, &meta()).expect("deployments").new, 3);
    let stats = store.import_deployments(&[dep("DE", 9_000, None)], &meta()).expect("update");
    assert_eq!((stats.updated, stats.new), (1, 0));
    let got = store.deployments().expect("deployments");
    assert_eq!(got, vec![dep("DE", 9_000, None), dep("FR", 3, None), dep("FR", 40, Some("energy"))]);

    let entities: Vec<String> = store.audit_entries().expect("audit").into_iter().map(|e| e.entity).collect();
    assert_eq!(
        entities,
        [
            "vulnerabilities",
            "vulnerabilities",
            "vulnerabilities",
            "vulnerabilities",
            "known_exploited",
            "known_exploited",
            "deployments",
            "deployments"
        ]
    );
    assert_verifies(store);
}

pub fn risk_decisions_are_recorded_and_audited(store: &mut dyn Store) {
    let record = crate::RiskDecisionRecord {
        id: 0,
        product_id: ProductId::parse("CAM").expect("id"),
        version: Version::parse("1.0").expect("version"),
        vulnerability: "CVE-2019-10744".into(),
        significant: true,
        policy_version: "msadesk-default-1".into(),
        decided_at: String::new(),
        decided_by: String::new(),
        assessment: serde_json::json!({"fired": ["actively_exploited"], "evidence": [{"source": "CISA KEV"}]}),
    };
    let first = store.record_decision(&record, &meta()).expect("record");
    let second =
        store.record_decision(&RiskDecisionRecord { significant: false, ..record.clone() }, &meta()).expect("2");
    assert!(second > first);
    let got = store.decisions().expect("decisions");
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0],
        crate::RiskDecisionRecord { id: first, decided_at: meta().at, decided_by: meta().actor, ..record }
    );
    assert!(!got[1].significant);
    let last = store.audit_entries().expect("audit").pop().expect("entry");
    assert_eq!((last.entity.as_str(), last.action.as_str()), ("risk_decision", "record"));
    assert!(last.detail.contains("CVE-2019-10744"));
    assert_verifies(store);
}

pub fn letter_templates_are_set_replaced_removed_and_audited(store: &mut dyn Store) {
    assert_eq!(store.letter_template("request-ack", "de").expect("read"), None);
    let text = "request-ack-subject = Eingang Ihres Schreibens { $their_reference } – Größe ✓\n";
    let set = store.set_letter_template("request-ack", "de", text, &meta()).expect("set");
    assert_eq!(set.text, text);
    assert_eq!(store.letter_template("request-ack", "de").expect("read"), Some(set.clone()));
    let other = store.set_letter_template("user-notice", "pl", "user-notice-subject = x\n", &meta()).expect("set");
    let replaced = store.set_letter_template("request-ack", "de", "closing = Hochachtungsvoll\n", &meta()).expect("2");
    assert_eq!(store.letter_templates().expect("list"), vec![replaced, other]);
    assert!(store.set_letter_template("Request Ack", "de", "a = b", &meta()).is_err(), "kind names are checked");
    assert!(store.set_letter_template("request-ack", "deu", "a = b", &meta()).is_err(), "languages are checked");
    let big = "a = b\n".repeat(crate::letters::MAX_TEMPLATE_BYTES / 6 + 1);
    assert!(store.set_letter_template("request-ack", "de", &big, &meta()).is_err(), "size is limited");
    assert!(store.remove_letter_template("request-ack", "de", &meta()).expect("remove"));
    assert!(!store.remove_letter_template("request-ack", "de", &meta()).expect("again"));
    assert_eq!(store.letter_template("request-ack", "de").expect("read"), None);
    let trail: Vec<(String, String)> = store
        .audit_entries()
        .expect("audit")
        .into_iter()
        .filter(|e| e.entity == "letter_templates")
        .map(|e| (e.action, e.detail))
        .collect();
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["set", "set", "set", "remove"]);
    assert!(trail[0].1.contains(&msadesk_core::audit::sha256_hex(text.as_bytes())));
}

pub fn notices_sent_are_recorded_and_audited(store: &mut dyn Store) {
    assert!(store.notices_sent().expect("none yet").is_empty());
    let n = crate::NoticeSent {
        id: 0,
        product_id: ProductId::parse("CAM").expect("id"),
        version: Version::parse("1.0").expect("version"),
        vulnerability: "CVE-2019-10744".into(),
        to: "msa".into(),
        what: "inform".into(),
        member_states: vec!["DE".into(), "PL".into()],
        sent_at: "2026-12-04T09:30:00Z".into(),
        reference: Some("BNetzA-2026-17 «Łódź»".into()),
        note: None,
        recorded_by: String::new(),
        recorded_at: String::new(),
    };
    let first = store.record_notice_sent(&n, &meta()).expect("record");
    let second = store
        .record_notice_sent(
            &crate::NoticeSent { to: "manufacturer".into(), member_states: vec![], ..n.clone() },
            &meta(),
        )
        .expect("second");
    assert!(second > first);
    let got = store.notices_sent().expect("notices");
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], crate::NoticeSent { id: first, recorded_by: meta().actor, recorded_at: meta().at, ..n });
    assert_eq!((got[1].to.as_str(), got[1].member_states.len()), ("manufacturer", 0));
    let last = store.audit_entries().expect("audit").pop().expect("entry");
    assert_eq!((last.entity.as_str(), last.action.as_str()), ("notice", "sent"));
    assert!(last.detail.contains("CVE-2019-10744"));
}

// ---------------------------------------------------------------------------------------------
// Corrective actions and the outbox (issue 8)
// ---------------------------------------------------------------------------------------------

fn action_registry(store: &mut dyn Store) {
    let a = party("D-DE-1", "Alpha GmbH", "DE");
    let b = party("D-FR-1", "Beta SARL", "FR");
    let c = party("D-NL-1", "Gamma BV", "NL");
    let m = party("MAN-1", "Maker AG", "DE");
    products(store, vec![product("CAM", "1.0", None, None), product("CAM", "2.0", None, None)]);
    supply(
        store,
        vec![
            event(Direction::Received, "2026-01-02", "CAM", "1.0", 500, &m, Some("R1")),
            event(Direction::Supplied, "2026-02-01", "CAM", "1.0", 10, &a, Some("S1")),
            event(Direction::Supplied, "2026-03-01", "CAM", "1.0", 5, &a, Some("S2")),
            event(Direction::Supplied, "2026-03-02", "CAM", "1.0", 7, &b, Some("S3")),
            event(Direction::Supplied, "2026-03-03", "CAM", "2.0", 3, &c, Some("S4")),
        ],
    );
}

fn new_action(
    versions: &[&str],
    scope: &[&str],
    source: msadesk_core::action::Source,
) -> msadesk_core::action::NewAction {
    use msadesk_core::action::*;
    NewAction {
        action_type: ActionType::Recall,
        source,
        product_id: ProductId::parse("CAM").expect("id"),
        versions: versions.iter().map(|v| Version::parse(v).expect("v")).collect(),
        scope: scope.iter().map(|m| MemberState::parse(m).expect("ms")).collect(),
        received: d("2026-12-04"),
        due: d("2027-01-31"),
        hearing_until: None,
        urgent: false,
        level: Level::C,
        summary: "Remote code execution".into(),
        request_id: None,
        decision_id: Some(7),
    }
}

pub fn actions_derive_recipients_and_refuse_invalid_steps(store: &mut dyn Store) {
    use msadesk_core::action::{Basis, Source, Status};
    action_registry(store);
    // (versions, scope, expected recipients (operator, units))
    type Case<'a> = (&'a [&'a str], &'a [&'a str], &'a [(&'a str, u64)]);
    let table: [Case<'_>; 4] = [
        (&[], &[], &[("D-DE-1", 15), ("D-FR-1", 7), ("D-NL-1", 3)]),
        (&["1.0"], &[], &[("D-DE-1", 15), ("D-FR-1", 7)]),
        (&["1.0"], &["FR"], &[("D-FR-1", 7)]),
        (&["3.0"], &[], &[]),
    ];
    for (versions, scope, expected) in table {
        let a = store.add_action(&new_action(versions, scope, Source::Voluntary), &meta()).expect("add");
        let got: Vec<(String, u64)> = store
            .recipients(a.id)
            .expect("recipients")
            .into_iter()
            .map(|r| (r.operator_id.as_str().to_string(), r.quantity))
            .collect();
        let want: Vec<(String, u64)> = expected.iter().map(|(o, q)| (o.to_string(), *q)).collect();
        assert_eq!(got, want, "{versions:?} {scope:?}");
        assert_eq!(a.figures.recipients_total, expected.len() as u64);
        assert_eq!(a.figures.units_total, expected.iter().map(|e| e.1).sum::<u64>());
        assert_eq!(a.status, Status::Received);
    }
    let r = store.recipients(1).expect("r");
    assert_eq!(r[0].email.as_deref(), Some("d-de-1@example.eu"));
    assert_eq!(r[0].country, "DE");
    // Unknown product, unknown authority.
    let mut bad = new_action(&[], &[], Source::Voluntary);
    bad.product_id = ProductId::parse("NOPE").expect("id");
    assert!(matches!(store.add_action(&bad, &meta()), Err(StoreError::UnknownProduct(_))));
    let ordered = Source::Ordered { authority: "XX-NONE".into(), reference: "1".into(), basis: Basis::CraArt54 };
    assert!(matches!(store.add_action(&new_action(&[], &[], ordered), &meta()), Err(StoreError::Invalid(_))));
    let authority = store.authorities().expect("dir")[0].id.clone();
    let ordered = Source::Ordered { authority, reference: "AZ-7".into(), basis: Basis::CraArt54 };
    let a = store.add_action(&new_action(&[], &[], ordered.clone()), &meta()).expect("ordered");
    let back = store.action(a.id).expect("get").expect("some");
    assert_eq!(back.new.source, ordered);
    assert_eq!(back.new.decision_id, Some(7), "the link to the risk decision is kept");
    // Steps: refused ones change nothing, allowed ones are audited.
    let before = store.audit_entries().expect("audit").len();
    assert!(matches!(store.action_step(a.id, Status::Closed, None, &meta()), Err(StoreError::Invalid(_))));
    assert_eq!(store.audit_entries().expect("audit").len(), before);
    let a = store.action_step(a.id, Status::Acknowledged, Some("ok"), &meta()).expect("ack");
    assert_eq!(a.timeline.len(), 2);
    let a = store.action_step(a.id, Status::Heard, None, &meta()).expect("heard");
    assert_eq!(store.action(a.id).expect("get").expect("some").status, Status::Heard);
    assert!(matches!(store.action_step(999, Status::Heard, None, &meta()), Err(StoreError::Invalid(_))));
    let last = store.audit_entries().expect("audit").pop().expect("entry");
    assert_eq!((last.entity.as_str(), last.action.as_str()), ("action", "heard"));
    assert_eq!(store.actions().expect("list").len(), 5);
    assert_verifies(store);
}

fn notice(action_id: i64, r: &crate::Recipient, token: &str, key: &str) -> crate::Notice {
    crate::Notice {
        recipient_id: r.id,
        token_sha256: token.into(),
        token_expires_at: "2027-02-01T00:00:00Z".into(),
        message: crate::NewMessage {
            idempotency_key: key.into(),
            channel: "email".into(),
            to: r.email.clone().unwrap_or_default(),
            subject: "Recall".into(),
            body: format!("Dear {}", r.name),
            action_id: Some(action_id),
            recipient_id: Some(r.id),
        },
    }
}

pub fn notices_go_to_the_outbox_with_tokens_and_acknowledgements_count(store: &mut dyn Store) {
    use msadesk_core::action::{AckReport, DeliveryState, Source, Status};
    action_registry(store);
    let a = store.add_action(&new_action(&[], &[], Source::Voluntary), &meta()).expect("add");
    let rs = store.recipients(a.id).expect("r");
    let notices: Vec<crate::Notice> =
        rs.iter().map(|r| notice(a.id, r, &format!("{:064x}", r.id), &format!("n-{}", r.id))).collect();
    // Not yet acknowledged: refused, nothing queued.
    assert!(matches!(store.notify(a.id, &notices, false, &meta()), Err(StoreError::Invalid(_))));
    assert!(store.outbox(None, None, 100).expect("outbox").is_empty());
    store.action_step(a.id, Status::Acknowledged, None, &meta()).expect("ack");
    let (a2, queued) = store.notify(a.id, &notices, false, &meta()).expect("notify");
    assert_eq!(queued, 3);
    assert_eq!(a2.status, Status::RecipientsNotified);
    assert_eq!(a2.figures.recipients_notified, 3);
    assert_eq!(a2.figures.recipients_reached, 0);
    // Same keys again: nothing new.
    let (_, again) = store.notify(a.id, &notices, false, &meta()).expect("again");
    assert_eq!(again, 0);
    let out = store.outbox(Some(DeliveryState::Queued), Some(a.id), 100).expect("outbox");
    assert_eq!(out.len(), 3);
    assert_eq!(store.outbox_counts(Some(a.id)).expect("counts").queued, 3);
    // Acknowledge through a token.
    let hash = format!("{:064x}", rs[0].id);
    let t = store.ack_token(&hash).expect("token").expect("some");
    assert_eq!(t.recipient.operator_id, rs[0].operator_id);
    assert!(t.used_at.is_none());
    let report = AckReport {
        units_on_hand: 0,
        units_returned: 10,
        units_updated: 2,
        units_destroyed: 1,
        sub_recipients_notified: 4,
    };
    let r = store.acknowledge(&hash, &report, &meta()).expect("acknowledge");
    assert_eq!(r.report, Some(report));
    // Used, unknown, expired: refused with a reason.
    let e = store.acknowledge(&hash, &report, &meta()).expect_err("used").to_string();
    assert!(e.contains("used already"), "{e}");
    let e = store.acknowledge(&"f".repeat(64), &report, &meta()).expect_err("unknown").to_string();
    assert!(e.contains("not known"), "{e}");
    let late = ChangeMeta { at: "2027-03-01T00:00:00Z".into(), ..meta() };
    let e = store.acknowledge(&format!("{:064x}", rs[1].id), &report, &late).expect_err("expired").to_string();
    assert!(e.contains("expired"), "{e}");
    let a3 = store.action(a.id).expect("get").expect("some");
    let f = a3.figures;
    assert_eq!((f.recipients_acknowledged, f.recipients_resolved, f.recipients_reached), (1, 1, 1));
    // 13 units resolved, capped at the 15 supplied.
    assert_eq!((f.units_total, f.units_acknowledged, f.units_resolved, f.sub_recipients_notified), (25, 15, 13, 4));
    // Reminders: a fresh token for a non-responder, no status change.
    let reminder = notice(a.id, &rs[1], &"a".repeat(64), "reminder-1");
    let (a4, q) = store.notify(a.id, &[reminder], true, &meta()).expect("remind");
    assert_eq!((q, a4.status), (1, Status::RecipientsNotified));
    assert_eq!(store.recipients(a.id).expect("r")[1].reminders, 1);
    let last = store.audit_entries().expect("audit").pop().expect("entry");
    assert_eq!((last.entity.as_str(), last.action.as_str()), ("action", "remind"));
    assert_verifies(store);
}

pub fn outbox_claims_lease_and_record_outcomes(store: &mut dyn Store) {
    use msadesk_core::action::DeliveryState;
    let msg = |k: &str| crate::NewMessage {
        idempotency_key: k.into(),
        channel: "email".into(),
        to: "x@example.eu".into(),
        subject: "s".into(),
        body: "b".into(),
        action_id: None,
        recipient_id: None,
    };
    let bad = crate::NewMessage { channel: "fax".into(), ..msg("z") };
    assert!(matches!(store.queue_messages(&[bad], &meta()), Err(StoreError::Invalid(_))));
    assert_eq!(store.queue_messages(&[msg("a"), msg("b"), msg("c"), msg("a")], &meta()).expect("queue"), 3);
    let now = "2026-12-04T10:00:00Z";
    let first = store.claim_messages(now, "2026-12-04T10:05:00Z", 2).expect("claim");
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|m| m.state == DeliveryState::Sending && m.attempts == 1));
    // A second worker gets only the third while the lease runs.
    let second = store.claim_messages(now, "2026-12-04T10:05:00Z", 10).expect("claim");
    assert_eq!(second.len(), 1);
    assert!(store.claim_messages(now, "2026-12-04T10:05:00Z", 10).expect("claim").is_empty());
    let at = |t: &str| ChangeMeta { at: t.into(), ..meta() };
    store
        .finish_message(first[0].id, &crate::DeliveryOutcome::Sent { receipt: "250 OK".into() }, &at(now))
        .expect("sent");
    store
        .finish_message(
            first[1].id,
            &crate::DeliveryOutcome::Deferred {
                next_attempt_at: "2026-12-04T10:01:00Z".into(),
                error: "refused".into(),
            },
            &at(now),
        )
        .expect("deferred");
    // Finishing twice is refused (not sending any more).
    assert!(
        store.finish_message(first[0].id, &crate::DeliveryOutcome::Sent { receipt: "x".into() }, &at(now)).is_err()
    );
    // Not yet due; then due.
    assert!(store.claim_messages(now, "2026-12-04T10:05:00Z", 10).expect("claim").is_empty());
    let retry = store.claim_messages("2026-12-04T10:01:00Z", "2026-12-04T10:06:00Z", 10).expect("claim");
    assert_eq!(retry.len(), 1);
    assert_eq!((retry[0].id, retry[0].attempts), (first[1].id, 2));
    // The third's worker died: once its lease ends it is claimed again.
    let taken_over = store.claim_messages("2026-12-04T10:05:00Z", "2026-12-04T10:10:00Z", 10).expect("claim");
    assert_eq!(taken_over.iter().map(|m| m.id).collect::<Vec<_>>(), vec![second[0].id]);
    store
        .finish_message(retry[0].id, &crate::DeliveryOutcome::Bounced { error: "550 no such user".into() }, &at(now))
        .expect("b");
    let c = store.outbox_counts(None).expect("counts");
    assert_eq!((c.sent, c.bounced, c.sending, c.queued, c.deferred), (1, 1, 1, 0, 0));
    let sent = store.outbox(Some(DeliveryState::Sent), None, 10).expect("sent");
    assert_eq!(sent[0].receipt.as_deref(), Some("250 OK"));
    assert_eq!(sent[0].sent_at.as_deref(), Some(now));
    let bounced = store.outbox(Some(DeliveryState::Bounced), None, 10).expect("b");
    assert_eq!(bounced[0].last_error.as_deref(), Some("550 no such user"));
    let last = store.audit_entries().expect("audit").pop().expect("entry");
    assert_eq!((last.entity.as_str(), last.action.as_str()), ("outbox", "bounced"));
    assert_verifies(store);
}

fn library_doc(kind: crate::DocKind, bytes: &[u8]) -> crate::NewDocument {
    crate::NewDocument {
        product_id: ProductId::parse("CAM-1").expect("id"),
        version: Version::parse("1.0").expect("version"),
        kind,
        file_name: "doc.pdf".into(),
        media_type: "application/pdf".into(),
        bytes: bytes.to_vec(),
        sha256: format!("{:x}", sha_of(bytes)),
        retention_until: Some(d("2036-01-01")),
        retention_basis: "CRA Art 13(13)".into(),
    }
}

fn sha_of(bytes: &[u8]) -> u128 {
    // Any stable text serves the store; it does not check hashes.
    bytes.iter().fold(17u128, |h, b| h.wrapping_mul(31).wrapping_add(u128::from(*b)))
}

pub fn documents_keep_every_revision_and_are_audited(store: &mut dyn Store) {
    use crate::DocKind;
    products(store, vec![product("CAM-1", "1.0", Some("2026-01-01"), None)]);
    let first = store.add_document(&library_doc(DocKind::Doc, b"%PDF-1 first"), &meta()).expect("add");
    assert_eq!((first.revision, first.current, first.size), (1, true, 12));
    assert_eq!(first.uploaded_by, meta().actor);
    let second = store.add_document(&library_doc(DocKind::Doc, b"%PDF-1 second\0\xff"), &meta()).expect("add 2");
    assert_eq!((second.revision, second.current), (2, true));
    store.add_document(&library_doc(DocKind::Sbom, b"{}"), &meta()).expect("sbom");
    let all = store.documents(None).expect("list");
    assert_eq!(all.len(), 3);
    let docs: Vec<_> = all.iter().filter(|x| x.kind == DocKind::Doc).collect();
    assert_eq!(docs.iter().map(|x| (x.revision, x.current)).collect::<Vec<_>>(), [(1, false), (2, true)]);
    let (info, bytes) = store.document(second.id).expect("read").expect("present");
    assert_eq!(bytes, b"%PDF-1 second\0\xff");
    assert_eq!(info, second);
    assert_eq!(store.document(first.id).expect("read").expect("old kept").1, b"%PDF-1 first");
    assert!(store.document(9999).expect("read").is_none());
    assert_eq!(store.documents(Some(&ProductId::parse("OTHER").expect("id"))).expect("list").len(), 0);
    // Unknown product or version: refused, nothing recorded.
    let before = store.audit_entries().expect("audit").len();
    let mut unknown = library_doc(DocKind::Doc, b"x");
    unknown.version = Version::parse("9.9").expect("v");
    assert!(matches!(store.add_document(&unknown, &meta()), Err(StoreError::Invalid(m)) if m.contains("9.9")));
    unknown.product_id = ProductId::parse("NOPE").expect("id");
    assert!(matches!(store.add_document(&unknown, &meta()), Err(StoreError::UnknownProduct(_))));
    assert_eq!(store.audit_entries().expect("audit").len(), before);
    let last = store.audit_entries().expect("audit").pop().expect("entry");
    assert_eq!((last.entity.as_str(), last.action.as_str()), ("documents", "add"));
    assert!(last.detail.contains("sbom") && last.detail.contains("CAM-1"), "{}", last.detail);
    assert_verifies(store);
}

fn library_request(store: &mut dyn Store) -> msadesk_core::inbox::Request {
    use msadesk_core::inbox::{Ask, DeadlineRule, NewRequest, RequestInput};
    let authority = store.authorities().expect("authorities").into_iter().find(|a| a.id == "de-bnetza").expect("seed");
    let holidays = store.holidays().expect("holidays");
    let input = RequestInput {
        authority: &authority,
        reference: "BNetzA-1",
        received: "2026-12-01T09:30",
        deadline: DeadlineRule::Days(10),
        product: ProductId::parse("CAM-1").expect("product"),
        version: None,
        from: None,
        to: None,
        asks: vec![Ask::Trace, Ask::Documents],
        ack_hours: 24,
    };
    let new = NewRequest::build(input, &holidays).expect("build");
    store.add_request(&new, &meta()).expect("add")
}

pub fn packages_are_stored_and_mark_the_request_built(store: &mut dyn Store) {
    use msadesk_core::inbox::{Status, Step};
    let r = library_request(store);
    let pkg = |bytes: &[u8]| crate::NewPackage {
        request_id: r.id,
        file_name: "response.zip".into(),
        bytes: bytes.to_vec(),
        sha256: "ab".repeat(32),
        files: vec!["manifest.json".into(), "trace/answer.csv".into()],
    };
    // Not acknowledged yet: refused, nothing stored.
    assert!(matches!(store.add_package(&pkg(b"PK1"), &meta()), Err(StoreError::Invalid(_))));
    assert!(store.packages(r.id).expect("list").is_empty());
    store.request_step(r.id, &Step::Acknowledged, None, &meta()).expect("ack");
    let (first, req) = store.add_package(&pkg(b"PK\x03\x04one"), &meta()).expect("store");
    assert_eq!((first.number, first.size, req.status), (1, 7, Status::PackageBuilt));
    assert!(req.timeline.last().and_then(|t| t.note.as_deref()).is_some_and(|n| n.contains("#1")));
    let (second, _) = store.add_package(&pkg(b"PK two"), &meta()).expect("rebuild");
    assert_eq!(second.number, 2);
    assert_eq!(store.packages(r.id).expect("list"), vec![first.clone(), second]);
    let (info, bytes) = store.package(r.id, 1).expect("read").expect("present");
    assert_eq!((info, bytes.as_slice()), (first, &b"PK\x03\x04one"[..]));
    assert!(store.package(r.id, 3).expect("read").is_none());
    assert!(matches!(
        store.add_package(&crate::NewPackage { request_id: 999, ..pkg(b"x") }, &meta()),
        Err(StoreError::Invalid(_))
    ));
    let entries = store.audit_entries().expect("audit");
    assert!(entries.iter().any(|e| e.entity == "response_packages" && e.action == "build"));
    assert_eq!(store.request(r.id).expect("read").expect("req").status, Status::PackageBuilt);
    assert_verifies(store);
}

pub fn inspector_grants_are_scoped_revocable_and_logged(store: &mut dyn Store) {
    let r = library_request(store);
    let token = crate::ApiToken {
        id: "insp1".into(),
        name: "BNetzA inspector".into(),
        role: crate::Role::Inspector,
        secret_sha256: "cd".repeat(32),
        created_at: meta().at,
        expires_at: Some("2027-01-01T00:00:00Z".into()),
        revoked: false,
        last_used_at: None,
    };
    // Not an inspector, or no expiry, or an unknown request: refused.
    let viewer = crate::ApiToken { role: crate::Role::Viewer, ..token.clone() };
    assert!(store.grant_inspector(&viewer, r.id, &meta()).is_err());
    let forever = crate::ApiToken { expires_at: None, ..token.clone() };
    assert!(store.grant_inspector(&forever, r.id, &meta()).is_err());
    assert!(store.grant_inspector(&token, 999, &meta()).is_err());
    assert!(store.token_by_secret(&token.secret_sha256).expect("read").is_none());

    let g = store.grant_inspector(&token, r.id, &meta()).expect("grant");
    assert_eq!((g.request_id, g.revoked, g.expires_at.as_str()), (r.id, false, "2027-01-01T00:00:00Z"));
    let t = store.token_by_secret(&token.secret_sha256).expect("read").expect("token");
    assert_eq!(t.role, crate::Role::Inspector);
    assert_eq!(store.inspector_grant("insp1").expect("read"), Some(g.clone()));
    assert_eq!(store.inspector_grants(r.id).expect("list"), vec![g]);
    assert!(store.inspector_grant("other").expect("read").is_none());

    store.log_access("insp1", r.id, "2026-12-02T10:00:00Z", "GET /api/v1/inspector/requests/1", true).expect("log");
    store.log_access("insp1", r.id, "2026-12-02T10:01:00Z", "GET /api/v1/inspector/requests/2", false).expect("log");
    let log = store.access_log(r.id).expect("log");
    assert_eq!(log.iter().map(|e| e.allowed).collect::<Vec<_>>(), [true, false]);
    assert!(log[0].id < log[1].id);
    assert!(store.access_log(999).expect("log").is_empty());

    assert_eq!(store.revoke_inspectors(r.id, &meta()).expect("revoke"), 1);
    assert_eq!(store.revoke_inspectors(r.id, &meta()).expect("again"), 0);
    assert!(store.inspector_grant("insp1").expect("read").expect("kept").revoked);
    assert!(store.token_by_secret(&token.secret_sha256).expect("read").expect("kept").revoked);
    let actions: Vec<_> = store
        .audit_entries()
        .expect("audit")
        .into_iter()
        .filter(|e| e.entity == "inspector_grants")
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["share", "unshare"]);
    assert!(!store.audit_entries().expect("audit").iter().any(|e| e.detail.contains(&"cd".repeat(32))));
    assert_verifies(store);
}

pub fn data_generation_moves_with_every_change_and_only_then(store: &mut dyn Store) {
    let start = store.data_generation().expect("generation");
    // Reads do not move it.
    let _ = store.counts().expect("counts");
    assert_eq!(store.data_generation().expect("generation"), start);
    let r = party("RET-1", "Retail SARL", "FR");
    let mut last = start;
    let mut moved = |store: &mut dyn Store, what: &str| {
        let now = store.data_generation().expect("generation");
        assert!(now > last, "{what}: the generation should grow ({last} -> {now})");
        last = now;
    };
    products(store, vec![product("P-1", "1.0", Some("2020-01-01"), None)]);
    moved(store, "products import");
    supply(store, vec![event(Direction::Supplied, "2026-01-10", "P-1", "1.0", 10, &r, Some("INV-1"))]);
    moved(store, "supply import");
    let before_trace = store.data_generation().expect("generation");
    let _ = store.trace(&query("P-1", None, None, None)).expect("trace");
    assert_eq!(store.data_generation().expect("generation"), before_trace, "a trace is a read");
    supply(store, vec![event(Direction::Supplied, "2026-01-11", "P-1", "1.0", 3, &r, Some("INV-2"))]);
    moved(store, "second supply import");
    let report = store.run_retention(d("2040-01-01"), false, &meta()).expect("retention");
    assert_eq!(store.counts().expect("counts").supply_events, 0, "{report:?}");
    moved(store, "retention run that removed events");
    let scope = msadesk_core::retention::HoldScope::Product { product_id: ProductId::parse("P-1").expect("id") };
    store.add_hold(&scope, "case 1", &meta()).expect("hold");
    moved(store, "legal hold");
}

pub fn readiness_facts_are_gathered_and_backups_audited(store: &mut dyn Store) {
    use msadesk_core::readiness::{ReadinessPolicy, Status, evaluate};
    products(store, vec![product("CAM", "1.0", Some("2025-01-01"), Some("2030-01-01"))]);
    let fr = party("D-FR", "Distrib SAS", "FR");
    let mut pl = party("D-PL", "Hurt sp. z o.o.", "PL");
    pl.address = "Warszawa".into();
    supply(
        store,
        vec![
            event(Direction::Received, "2015-01-01", "CAM", "1.0", 10, &party("MAN-1", "Maker AG", "DE"), Some("DN-1")),
            event(Direction::Supplied, "2026-03-01", "CAM", "1.0", 4, &fr, Some("INV-1")),
            event(Direction::Supplied, "2026-04-01", "CAM", "1.0", 2, &pl, Some("INV-2")),
            event(Direction::Supplied, "2026-05-01", "CAM", "2.0", 1, &fr, Some("INV-3")),
        ],
    );
    let today = d("2026-12-04");
    let now: jiff::Timestamp = "2026-12-04T12:00:00Z".parse().expect("now");
    let f = crate::readiness::gather(store, now, today).expect("gather");
    assert_eq!(f.generated_at, "2026-12-04T12:00:00Z");
    assert_eq!(f.engine, store.engine());
    assert_eq!(f.versions.len(), 2, "{:?}", f.versions);
    let v1 = f.versions.iter().find(|v| v.version.as_str() == "1.0").expect("1.0");
    assert_eq!(v1.events, 3);
    let countries: Vec<&str> = v1.supplied_to.iter().map(|c| c.as_str()).collect();
    assert_eq!(countries, ["FR", "PL"]);
    let v2 = f.versions.iter().find(|v| v.version.as_str() == "2.0").expect("2.0 (stub)");
    assert!(v2.stub && v2.events == 1);
    // Only the counterparties without a postal address at their events are kept: D-PL's one event.
    assert_eq!(
        f.event_parties.iter().map(|e| (e.operator_id.as_str(), e.deliveries)).collect::<Vec<_>>(),
        [("D-PL", 1)]
    );
    let timing = f.trace_timing.as_ref().expect("timed");
    assert_eq!((timing.product_id.as_str(), timing.events), ("CAM", 4));
    assert_eq!(f.supply.total, 4);
    assert_eq!(f.supply.expired, 1, "the 2015 event is past its retention end");
    assert!(f.last_backup.is_none() && f.last_retention_run.is_none());
    assert!(f.audit_break.is_none());
    // The dry run recorded nothing.
    assert!(!store.audit_entries().expect("audit").iter().any(|e| e.entity == "retention"));

    let r = evaluate(&f, &ReadinessPolicy::default());
    let status = |id: &str| r.check(id).expect(id).status;
    assert_eq!(status("traceability.event_addresses"), Status::Gap);
    assert_eq!(status("traceability.counterparties"), Status::Gap);
    assert_eq!(status("traceability.master_data"), Status::Gap, "2.0 is a stub");
    assert_eq!(status("authorities.directory"), Status::Gap, "PL has no seeded authority");
    assert_eq!(status("traceability.trace_time"), Status::Ok);
    assert_eq!(status("evidence.audit_chain"), Status::Ok);

    let backup = crate::readiness::BackupRecord {
        file: "/backups/b.db".into(),
        bytes: 4096,
        supply_events: 4,
        head_seq: Some(3),
        head_hash: Some("ab".into()),
    };
    let seq = store.record_backup(&backup, &meta()).expect("record backup");
    let last = store.audit_entries().expect("audit").pop().expect("entry");
    assert_eq!((last.seq, last.entity.as_str(), last.action.as_str()), (seq, "backup", "create"));
    assert!(last.detail.contains("/backups/b.db"));
    assert_verifies(store);
    let f = crate::readiness::gather(store, now, today).expect("gather");
    assert_eq!(f.last_backup.as_deref(), Some(meta().at.as_str()));
    let r = evaluate(&f, &ReadinessPolicy::default());
    let expected = if f.backups_supported { Status::Ok } else { Status::NotApplicable };
    assert_eq!(r.check("evidence.backup").expect("backup").status, expected);

    // Open significant assessments: significant by the policy and not decided by an officer.
    let decision = |vuln: &str, significant: bool, policy: &str| crate::RiskDecisionRecord {
        id: 0,
        product_id: ProductId::parse("CAM").expect("id"),
        version: Version::parse("1.0").expect("version"),
        vulnerability: vuln.into(),
        significant,
        policy_version: policy.into(),
        decided_at: String::new(),
        decided_by: String::new(),
        assessment: serde_json::json!({}),
    };
    for (vuln, significant, policy) in [
        ("CVE-2026-0001", true, "msadesk-default-1"),
        ("CVE-2026-0002", true, "msadesk-default-1"),
        ("CVE-2026-0002", false, "officer"),
        ("CVE-2026-0003", true, "msadesk-default-1"),
        ("CVE-2026-0003", false, "msadesk-default-1"),
        ("CVE-2026-0004", false, "msadesk-default-1"),
    ] {
        store.record_decision(&decision(vuln, significant, policy), &meta()).expect("decision");
    }
    let f = crate::readiness::gather(store, now, today).expect("gather");
    let open: Vec<&str> = f.open_assessments.iter().map(|a| a.vulnerability.as_str()).collect();
    assert_eq!(open, ["CVE-2026-0001"], "decided by an officer or no longer significant: not open");
    assert_eq!(f.decisions.len(), 6);
    assert_eq!(f.decisions.iter().filter(|d| d.officer).count(), 1);
    let r = evaluate(&f, &ReadinessPolicy::default());
    assert_eq!(r.check("vulnerabilities.open_assessments").expect("open").status, Status::Gap);

    // Obligations of the current assessment, overdue until a notice is recorded as sent.
    let mut with_duty = decision("CVE-2026-0005", true, "msadesk-default-1");
    with_duty.assessment = serde_json::json!({
        "aliases": ["GHSA-xxxx-yyyy-zzzz"],
        "obligations": [
            {"to": "msa", "what": "inform", "due": "2026-12-01T10:00:00Z", "legal_duty": true},
            {"to": "end_users", "what": "inform", "due": "2026-12-01T10:00:00Z", "legal_duty": false}
        ]
    });
    store.record_decision(&with_duty, &meta()).expect("decision");
    let f = crate::readiness::gather(store, now, today).expect("gather");
    assert_eq!(f.obligations.len(), 2, "{:?}", f.obligations);
    let r = evaluate(&f, &ReadinessPolicy::default());
    assert_eq!(r.check("vulnerabilities.obligations").expect("obligations").status, Status::Gap);
    assert_eq!((r.figures.risk.notifications_due, r.figures.risk.notifications_overdue), (1, 1));
    let notice = crate::notice::NoticeSent {
        id: 0,
        product_id: ProductId::parse("CAM").expect("id"),
        version: Version::parse("1.0").expect("version"),
        vulnerability: "GHSA-xxxx-yyyy-zzzz".into(),
        to: "msa".into(),
        what: "inform".into(),
        member_states: vec!["FR".into()],
        sent_at: "2026-12-02T09:00:00Z".into(),
        reference: None,
        note: None,
        recorded_by: String::new(),
        recorded_at: String::new(),
    };
    store.record_notice_sent(&notice, &meta()).expect("notice");
    let f = crate::readiness::gather(store, now, today).expect("gather");
    let r = evaluate(&f, &ReadinessPolicy::default());
    assert_eq!(r.check("vulnerabilities.obligations").expect("obligations").status, Status::Ok);
    assert_eq!((r.figures.risk.notifications_sent, f.notices.len()), (1, 1));
}

pub fn readiness_gathers_corrective_actions(store: &mut dyn Store) {
    use msadesk_core::action::{Level, Source, Status as ActionStatus};
    use msadesk_core::readiness::{ReadinessPolicy, Status, evaluate};
    action_registry(store);
    let now: jiff::Timestamp = "2026-12-04T12:00:00Z".parse().expect("now");
    let f = crate::readiness::gather(store, now, d("2026-12-04")).expect("gather");
    assert!(f.actions.is_empty());
    let r = evaluate(&f, &ReadinessPolicy::default());
    assert_eq!(r.check("corrective_actions.overdue").expect("overdue").status, Status::NotApplicable);

    let mut new = new_action(&[], &[], Source::Voluntary);
    new.level = Level::A;
    let a = store.add_action(&new, &meta()).expect("add");
    store.action_step(a.id, ActionStatus::Acknowledged, None, &meta()).expect("ack");
    store.action_step(a.id, ActionStatus::RecipientsNotified, None, &meta()).expect("notified");
    let f = crate::readiness::gather(store, now, d("2026-12-04")).expect("gather");
    assert_eq!(f.actions.len(), 1);
    let facts = &f.actions[0];
    assert_eq!((facts.id, facts.action_type.as_str(), facts.product_id.as_str()), (a.id, "recall", "CAM"));
    assert_eq!((facts.status, facts.due, facts.level), (ActionStatus::RecipientsNotified, d("2027-01-31"), Level::A));
    assert_eq!(facts.figures.recipients_total, 3);
    let r = evaluate(&f, &ReadinessPolicy::default());
    assert_eq!(r.check("corrective_actions.overdue").expect("overdue").status, Status::Ok);
    let e = r.check("corrective_actions.effectiveness").expect("effectiveness");
    assert_eq!(e.status, Status::Gap, "level A needs every recipient, none acknowledged");
    assert_eq!((r.figures.actions.open, r.figures.actions.effectiveness_not_met), (1, 1));

    // After its due date and not completed: overdue.
    let later: jiff::Timestamp = "2027-02-05T12:00:00Z".parse().expect("later");
    let f = crate::readiness::gather(store, later, d("2027-02-05")).expect("gather");
    let r = evaluate(&f, &ReadinessPolicy::default());
    let o = r.check("corrective_actions.overdue").expect("overdue");
    assert_eq!(o.status, Status::Gap);
    assert_eq!(o.evidence.items.len(), 1, "{:?}", o.evidence.items);
    assert_eq!(r.figures.actions.overdue, 1);
}

/// The supplied-by-country summary as the trace of each version (the reference: it reads the
/// events) adds it up: (product, version, country) -> (quantity, events).
fn supplied_by_trace(
    store: &mut dyn Store,
    versions: &[(ProductId, Version)],
) -> std::collections::BTreeMap<(String, String, String), (u64, u64)> {
    let mut out = std::collections::BTreeMap::new();
    for (p, v) in versions {
        let Ok(t) = store.trace(&query(p.as_str(), Some(v.as_str()), None, None)) else { continue };
        for e in &t.downstream {
            let k = (p.as_str().to_string(), v.as_str().to_string(), e.country.as_str().to_string());
            let n: &mut (u64, u64) = out.entry(k).or_default();
            n.0 += e.quantity;
            n.1 += e.deliveries;
        }
    }
    out
}

fn supplied_by_summary(
    store: &mut dyn Store,
    versions: &[(ProductId, Version)],
) -> std::collections::BTreeMap<(String, String, String), (u64, u64)> {
    let rows = store.supplied_by_country(versions).expect("supplied by country");
    let keys: Vec<_> = rows.iter().map(|r| (&r.product_id, &r.version, r.country.as_str())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "sorted by product, version and country, each once");
    assert!(rows.iter().all(|r| r.events > 0 && r.quantity > 0), "no empty rows: {rows:?}");
    rows.iter()
        .map(|r| {
            (
                (r.product_id.as_str().to_string(), r.version.as_str().to_string(), r.country.as_str().to_string()),
                (r.quantity, r.events),
            )
        })
        .collect()
}

pub fn supplied_by_country_equals_the_events_after_imports_duplicates_and_retention(store: &mut dyn Store) {
    let pv = |p: &str, v: &str| (ProductId::parse(p).expect("product"), Version::parse(v).expect("version"));
    // Every version of the data, one that has only received events, and ones that do not exist.
    let versions = [
        pv("CAM", "1.0"),
        pv("CAM", "2.0"),
        pv("HELD", "1.0"),
        pv("MOV", "1.0"),
        pv("RECV", "1.0"),
        pv("CAM", "9.9"),
        pv("NOPE", "1.0"),
    ];
    let same = |store: &mut dyn Store, when: &str| {
        let summary = supplied_by_summary(store, &versions);
        assert_eq!(summary, supplied_by_trace(store, &versions), "{when}: the summary must equal the events");
        summary
    };
    let key = |p: &str, v: &str, c: &str| (p.to_string(), v.to_string(), c.to_string());
    let empty = supplied_by_summary(store, &versions);
    assert!(empty.is_empty());

    // An operator who moved from FR to BE: each event counts where the operator was then; a
    // received event counts nowhere; a non-member country is kept (the caller filters).
    let fr = party("OP-M", "Mover", "FR");
    let be = party("OP-M", "Mover", "BE");
    let ch = party("OP-CH", "Swiss", "CH");
    let extra = vec![
        event(Direction::Supplied, "2025-01-10", "MOV", "1.0", 7, &fr, Some("M-1")),
        event(Direction::Supplied, "2025-06-10", "MOV", "1.0", 5, &be, Some("M-2")),
        event(Direction::Supplied, "2025-07-10", "MOV", "1.0", 4, &ch, Some("M-3")),
        event(Direction::Received, "2025-01-05", "MOV", "1.0", 100, &fr, Some("M-IN")),
        event(Direction::Received, "2025-01-05", "RECV", "1.0", 3, &fr, Some("R-IN")),
    ];
    supply(store, retention_dataset());
    supply(store, extra.clone());
    let first = same(store, "after the imports");
    // CAM 1.0: OP-1 and OP-H once a year 2010-2027 (36 x 1, DE), OP-OLD once (2, AT).
    assert_eq!(first.get(&key("CAM", "1.0", "DE")), Some(&(36, 36)));
    assert_eq!(first.get(&key("CAM", "1.0", "AT")), Some(&(2, 1)));
    assert_eq!(first.get(&key("MOV", "1.0", "FR")), Some(&(7, 1)));
    assert_eq!(first.get(&key("MOV", "1.0", "BE")), Some(&(5, 1)));
    assert_eq!(first.get(&key("MOV", "1.0", "CH")), Some(&(4, 1)));
    assert!(!first.keys().any(|k| k.0 == "RECV"), "received events are not supplied");
    // Versions asked twice and out of order: the same rows, sorted, each once.
    let twice = store.supplied_by_country(&[pv("MOV", "1.0"), pv("CAM", "1.0"), pv("MOV", "1.0")]).expect("twice");
    let once = store.supplied_by_country(&[pv("CAM", "1.0"), pv("MOV", "1.0")]).expect("once");
    assert_eq!(twice, once);
    assert_eq!(once.len(), 5, "{once:?}");

    // Importing the same events again, and a conflicting duplicate, adds nothing.
    let again = supply(store, retention_dataset());
    assert_eq!(again.new, 0);
    let mut changed = extra.clone();
    changed[0].quantity = 70;
    let dup = supply(store, changed);
    assert_eq!(dup.new, 0, "{dup:?}");
    assert_eq!(same(store, "after the repeated imports"), first);
    // A new event adds to its row.
    supply(store, vec![event(Direction::Supplied, "2026-02-01", "MOV", "1.0", 3, &be, Some("M-4"))]);
    let more = same(store, "after a new event");
    assert_eq!(more.get(&key("MOV", "1.0", "BE")), Some(&(8, 2)));

    // Retention: a dry run changes nothing; a run subtracts what it deleted, and a country no
    // retained event reaches (AT: OP-OLD's 2012 event) has no row left.
    retention_holds(store);
    store.run_retention(d("2037-01-01"), true, &meta()).expect("dry run");
    assert_eq!(same(store, "after a dry run"), more);
    let run = store.run_retention(d("2037-01-01"), false, &meta()).expect("run");
    assert!(run.deleted.supply_events > 0);
    let after = same(store, "after the retention run");
    assert_eq!(after.get(&key("CAM", "1.0", "AT")), None);
    // CAM 1.0 keeps OP-1's 2027 event and every event of the held operator OP-H (18).
    assert_eq!(after.get(&key("CAM", "1.0", "DE")), Some(&(19, 19)));
    assert_eq!(after.get(&key("CAM", "2.0", "DE")), first.get(&key("CAM", "2.0", "DE")), "held version");
    assert_verifies(store);
}

/// What `current_components_for` must answer: the current components with one of the keys (and,
/// for whole versions, every component of their product versions), in `current_components` order.
fn keyed_subset(
    all: &[crate::VersionComponent],
    keys: &msadesk_core::vuln::keys::ComponentKeys,
) -> Vec<crate::VersionComponent> {
    use msadesk_core::vuln::keys::{cpe_key, package_key};
    let keyed = |c: &crate::VersionComponent| {
        package_key(&c.component.purl).is_some_and(|k| keys.packages.contains(&k))
            || c.component.cpe.as_deref().and_then(cpe_key).is_some_and(|k| keys.cpes.contains(&k))
    };
    let versions: std::collections::BTreeSet<(&ProductId, &Version)> =
        all.iter().filter(|c| keyed(c)).map(|c| (&c.product_id, &c.version)).collect();
    all.iter()
        .filter(|c| keyed(c) || (keys.whole_versions && versions.contains(&(&c.product_id, &c.version))))
        .cloned()
        .collect()
}

pub fn components_for_keys_are_exactly_the_keyed_current_components(store: &mut dyn Store) {
    use msadesk_core::vuln::keys::ComponentKeys;
    products(
        store,
        vec![product("CAM", "1.0", None, None), product("CAM", "2.0", None, None), product("GW", "1.0", None, None)],
    );
    let lodash_old = component("pkg:npm/lodash@4.17.20", "lodash", "4.17.20", None);
    let lodash = component("pkg:npm/lodash@4.17.21", "lodash", "4.17.21", None);
    let scoped = component("pkg:npm/%40Acme/Widget@1.0.0", "widget", "1.0.0", None);
    let django = component("pkg:pypi/Django_REST.framework@3.14.0", "djangorestframework", "3.14.0", None);
    let log4j =
        component("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar", "log4j-core", "2.14.1", None);
    // CPE-only: no readable purl (an SBOM tool's own identifier), found by its CPE alone.
    let router =
        component("urn:acme:router-os", "router-os", "7.1", Some("cpe:2.3:o:ACME:Router_OS:7.1:*:*:*:*:*:*:*"));
    let openssl = component(
        "pkg:generic/openssl@3.0.1",
        "openssl",
        "3.0.1",
        Some("cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*"),
    );
    let unreadable_cpe = component("pkg:generic/busybox@1.36", "busybox", "1.36", Some("cpe:busybox"));
    let no_version = crate::SbomComponent { version: None, ..component("pkg:npm/lodash", "lodash", "", None) };
    let sbom_of = |p: &str, v: &str, digest: &str, cs: &[&crate::SbomComponent]| {
        sbom(p, v, digest, cs.iter().map(|c| (*c).clone()).collect())
    };
    // CAM 1.0's first SBOM (lodash 4.17.20, the router) is superseded: none of its components count.
    store.import_sbom(&sbom_of("CAM", "1.0", "a1", &[&lodash_old, &router, &django]), &meta()).expect("sbom");
    store.import_sbom(&sbom_of("CAM", "1.0", "a2", &[&lodash, &scoped, &django, &openssl]), &meta()).expect("sbom");
    store.import_sbom(&sbom_of("CAM", "2.0", "b1", &[&log4j, &no_version, &unreadable_cpe]), &meta()).expect("sbom");
    store.import_sbom(&sbom_of("GW", "1.0", "c1", &[&router, &openssl, &scoped]), &meta()).expect("sbom");
    let all = store.current_components().expect("components");
    assert_eq!(all.len(), 10);
    let keys = |packages: &[&str], cpes: &[&str], whole_versions: bool| ComponentKeys {
        packages: packages.iter().map(|s| s.to_string()).collect(),
        cpes: cpes.iter().map(|s| s.to_string()).collect(),
        whole_versions,
    };
    let names = |cs: &[crate::VersionComponent]| -> Vec<String> {
        cs.iter().map(|c| format!("{} {} {}", c.product_id.as_str(), c.version.as_str(), c.component.purl)).collect()
    };
    let cases: Vec<(&str, ComponentKeys, usize)> = vec![
        ("no keys", keys(&[], &[], false), 0),
        ("no keys, whole versions", keys(&[], &[], true), 0),
        ("unknown package", keys(&["npm/left-pad"], &[], false), 0),
        ("lodash with and without a version, not the superseded one", keys(&["npm/lodash"], &[], false), 2),
        (
            "keys are compared exactly",
            keys(&["npm/LODASH", "NPM/lodash", "npm/@acme/widget", "pypi/django-rest-framework"], &[], false),
            0,
        ),
        ("scoped npm package, in two versions", keys(&["npm/@Acme/widget"], &[], false), 2),
        ("PyPI normalised name", keys(&["PyPI/django-rest-framework"], &[], false), 1),
        ("Maven group:artifact", keys(&["Maven/org.apache.logging.log4j:log4j-core"], &[], false), 1),
        ("CPE-only component, lower-case key", keys(&[], &["acme:router_os"], false), 1),
        (
            "CPE and package keys together, each component once",
            keys(&["generic/openssl", "npm/lodash"], &["openssl:openssl", "acme:router_os"], false),
            5,
        ),
        ("whole versions of the CPE's versions", keys(&[], &["openssl:openssl"], true), 7),
        ("whole versions of a package key", keys(&["Maven/org.apache.logging.log4j:log4j-core"], &[], true), 3),
    ];
    for (what, k, count) in cases {
        let got = store.current_components_for(&k).expect("components for keys");
        let want = keyed_subset(&all, &k);
        assert_eq!(names(&got), names(&want), "{what}");
        assert_eq!(got, want, "{what}");
        assert_eq!(got.len(), count, "{what}: {:?}", names(&got));
    }
    // A new SBOM moves the answer with it.
    store.import_sbom(&sbom_of("GW", "1.0", "c2", &[&scoped]), &meta()).expect("sbom");
    let k = keys(&[], &["acme:router_os", "openssl:openssl"], false);
    let got = store.current_components_for(&k).expect("components for keys");
    assert_eq!(names(&got), ["CAM 1.0 pkg:generic/openssl@3.0.1"]);
    assert_eq!(got, keyed_subset(&store.current_components().expect("components"), &k));
}

/// For the engines' migration tests: the answer of `current_components_for` for each key of every
/// stored current component alone, and for all of them with whole versions, each checked against
/// `current_components`. Equal before and after the keys are recomputed means they were recomputed
/// right.
pub fn keyed_answers(store: &mut dyn Store) -> Vec<Vec<crate::VersionComponent>> {
    use msadesk_core::vuln::keys::{ComponentKeys, cpe_key, package_key};
    let all = store.current_components().expect("components");
    let mut probes: Vec<ComponentKeys> = Vec::new();
    let mut every = ComponentKeys { whole_versions: true, ..ComponentKeys::default() };
    for c in &all {
        if let Some(k) = package_key(&c.component.purl) {
            probes.push(ComponentKeys { packages: [k.clone()].into(), ..ComponentKeys::default() });
            every.packages.insert(k);
        }
        if let Some(k) = c.component.cpe.as_deref().and_then(cpe_key) {
            probes.push(ComponentKeys { cpes: [k.clone()].into(), ..ComponentKeys::default() });
            every.cpes.insert(k);
        }
    }
    probes.push(every);
    probes
        .iter()
        .map(|k| {
            let got = store.current_components_for(k).expect("components for keys");
            assert_eq!(got, keyed_subset(&all, k), "{k:?}");
            got
        })
        .collect()
}

pub fn decision_outlines_are_the_decisions_cut_to_the_outline_keys(store: &mut dyn Store) {
    assert_eq!(store.decision_outlines().expect("outlines"), vec![]);
    let record = |product: &str, assessment: serde_json::Value| crate::RiskDecisionRecord {
        id: 0,
        product_id: ProductId::parse(product).expect("id"),
        version: Version::parse("1.0").expect("version"),
        vulnerability: "CVE-2021-44228".into(),
        significant: true,
        policy_version: "msadesk-default-1".into(),
        decided_at: String::new(),
        decided_by: String::new(),
        assessment,
    };
    let drafts = "Sehr geehrte Damen und Herren, «Log4Shell» — ".repeat(200);
    let assessments = [
        // An automatic assessment as `msadesk assess` records it, with drafts and evidence.
        serde_json::json!({"affected": true, "fired": ["actively_exploited", "critical_cvss"], "summary": "x",
                           "drafts": [{"text": drafts}], "evidence": [{"source": "NVD"}], "member_states": []}),
        // An officer's decision.
        serde_json::json!({"officer_override": {"significant": false, "reason": "not reachable: \"jndi\" off"},
                           "decided": "by hand"}),
        // No longer affected: no fired list.
        serde_json::json!({"affected": false, "significant": false, "reason": "no component matches any more"}),
        // Unknown (null kept, not dropped) and an empty fired list.
        serde_json::json!({"affected": null, "fired": []}),
        serde_json::json!({}),
        serde_json::json!({"fired": "not a list", "affected": 1.5, "nested": {"affected": true}}),
    ];
    for (i, a) in assessments.iter().enumerate() {
        store.record_decision(&record(if i % 2 == 0 { "CAM" } else { "GW" }, a.clone()), &meta()).expect("record");
    }
    let full = store.decisions().expect("decisions");
    let outlines = store.decision_outlines().expect("outlines");
    assert_eq!(full.len(), assessments.len());
    let want: Vec<crate::RiskDecisionRecord> = full
        .iter()
        .map(|d| crate::RiskDecisionRecord { assessment: crate::impact::outline(&d.assessment), ..d.clone() })
        .collect();
    assert_eq!(outlines, want);
    assert_eq!(outlines[3].assessment, serde_json::json!({"affected": null, "fired": []}));
    assert_eq!(outlines[4].assessment, serde_json::json!({}));
    assert_eq!(
        outlines[1].assessment,
        serde_json::json!({"officer_override": {"significant": false, "reason": "not reachable: \"jndi\" off"}})
    );
}
