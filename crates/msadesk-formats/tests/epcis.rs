//! EPCIS 2.0 import and export: round trips, a hand-written document in the style of other
//! systems, malformed input, and a truncation fuzz loop.
//!
//! With `MSADESK_EPCIS_OUT=PATH`, `write_schema_sample` writes a representative export to PATH;
//! `ci/epcis-schema-check.sh` validates it against the official EPCIS 2.0 JSON schema.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use msadesk_core::{
    Country, Date, Direction, Email, Gln, Gtin, MemberState, OperatorId, OperatorRole, OurRole, OwnIdentity, Party,
    ProductId, SupplyEvent, Version,
};
use msadesk_formats::Diagnostic;
use msadesk_formats::epcis::{
    ExportContext, ImportContext, MAX_DOCUMENT_BYTES, own_party_uri, party_uri, read_document, write_document,
};
use msadesk_store::Row;
use serde_json::{Value, json};

const GTIN_P1: &str = "4006381333931";
const FIXTURE: &str = include_str!("fixtures/epcis/third_party.jsonld");

type Rows = Vec<Result<Row<SupplyEvent>, Diagnostic>>;

fn own(gln: Option<&str>) -> OwnIdentity {
    OwnIdentity {
        name: "Nordlicht Vertrieb GmbH".into(),
        address: "Am Hafen 5\n20457 Hamburg".into(),
        member_state: MemberState::parse("DE").unwrap(),
        contact_person: None,
        email: Some(Email::parse("compliance@nordlicht.example").unwrap()),
        default_role: OurRole::Distributor,
        gln: gln.map(|g| Gln::parse(g).unwrap()),
    }
}

fn party(id: &str, name: &str, address: &str, country: &str, gln: Option<&str>) -> Party {
    Party {
        id: OperatorId::parse(id).unwrap(),
        name: name.into(),
        address: address.into(),
        country: Country::parse(country).unwrap(),
        email: None,
        phone: None,
        gln: gln.map(|g| Gln::parse(g).unwrap()),
        vat: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn event(
    direction: Direction,
    date: &str,
    product: &str,
    version: &str,
    quantity: u64,
    counterparty: Party,
    role: OperatorRole,
    reference: Option<&str>,
) -> SupplyEvent {
    SupplyEvent {
        direction,
        date: Date::parse(date).unwrap(),
        product_id: ProductId::parse(product).unwrap(),
        version: Version::parse(version).unwrap(),
        quantity,
        counterparty,
        counterparty_role: role,
        reference: reference.map(str::to_string),
    }
}

/// Events that exercise every mapping decision at once.
fn sample_events() -> Vec<SupplyEvent> {
    let mut mueller = party(
        "C-001",
        "Müller & Söhne \"Elektro\", GmbH",
        "Hauptstraße 1\nHinterhaus, 2. OG\n80331 München\nBayern",
        "DE",
        Some("4012345000009"),
    );
    mueller.email = Some(Email::parse("einkauf@mueller.example").unwrap());
    mueller.phone = Some("+49 89 123456".into());
    mueller.vat = Some("DE123456789".into());
    // The same GLN with another operator id and name: a second snapshot under one party URI.
    let mueller_branch =
        party("C-001-B", "Müller Filiale Nord", "Nordring 9, 20095 Hamburg", "DE", Some("4012345000009"));
    let sup_old = party("SUP 7/α", "Ωmega Parts S.A.", "Rue de l'Usine 4, 1000 Bruxelles", "BE", None);
    let sup_new = party("SUP 7/α", "Ωmega Parts S.A.", "Avenue Louise 200\n1050 Ixelles", "BE", None);
    vec![
        event(
            Direction::Supplied,
            "2026-01-15",
            "P-1",
            "2.1.0",
            10,
            mueller.clone(),
            OperatorRole::Distributor,
            Some("DN-2026/001, \"A\""),
        ),
        event(
            Direction::Received,
            "2026-02-01",
            "Pümpe/2 #x",
            "HW rev C / FW 4.2",
            3,
            sup_new.clone(),
            OperatorRole::Manufacturer,
            None,
        ),
        // An older event with the operator's old address, after the newer one in input order.
        event(
            Direction::Received,
            "2025-11-30",
            "Pümpe/2 #x",
            "HW rev B",
            1,
            sup_old.clone(),
            OperatorRole::Manufacturer,
            Some("urn:epcglobal:cbv:bt:5400000000010:PO-77"),
        ),
        event(
            Direction::Supplied,
            "2026-03-01",
            "P-1",
            "2.1.0",
            2,
            mueller_branch,
            OperatorRole::Importer,
            Some("https://erp.example.com/dn?id=1&x=%20"),
        ),
        event(
            Direction::Supplied,
            "2026-03-02",
            "Pümpe/2 #x",
            "HW rev C / FW 4.2",
            1,
            sup_old,
            OperatorRole::Other,
            Some("urn:msadesk:ref:looks-like-ours"),
        ),
        event(
            Direction::Received,
            "2024-02-29",
            "P-1",
            "1.0\ttabbed",
            u64::MAX / 2,
            mueller,
            OperatorRole::AuthorisedRepresentative,
            Some("line one\nline two"),
        ),
        event(
            Direction::Supplied,
            "2026-03-03",
            "P-3",
            "3",
            7,
            sup_new,
            OperatorRole::Distributor,
            Some("has space: and colon"),
        ),
    ]
}

fn export_ctx(own: OwnIdentity) -> ExportContext {
    ExportContext {
        own,
        creation_date: "2026-04-03T09:30:00Z".into(),
        gtins: HashMap::from([(ProductId::parse("P-1").unwrap(), Gtin::parse(GTIN_P1).unwrap())]),
    }
}

fn import_ctx(own_uris: &[&str]) -> ImportContext {
    ImportContext::new(
        [(Gtin::parse(GTIN_P1).unwrap(), ProductId::parse("P-1").unwrap())],
        own_uris.iter().map(|s| s.to_string()),
    )
}

fn export(events: Vec<SupplyEvent>, ctx: &ExportContext) -> Vec<u8> {
    let mut out = Vec::new();
    write_document(&mut out, events, ctx).unwrap();
    out
}

fn read(bytes: &[u8], ctx: &ImportContext) -> Rows {
    read_document(bytes, "test.jsonld", ctx).unwrap()
}

fn records(rows: Rows) -> Vec<(u64, SupplyEvent)> {
    rows.into_iter()
        .map(|r| match r {
            Ok(row) => (row.line, row.record),
            Err(d) => panic!("unexpected diagnostic: {d}"),
        })
        .collect()
}

fn errors(rows: &Rows) -> Vec<&Diagnostic> {
    rows.iter().filter_map(|r| r.as_ref().err()).collect()
}

#[test]
fn round_trip_without_our_gln() {
    let own = own(None);
    let ctx = export_ctx(own.clone());
    let events = sample_events();
    let bytes = export(events.clone(), &ctx);
    let got = records(read(&bytes, &import_ctx(&[&own_party_uri(&own)])));
    let expected: Vec<(u64, SupplyEvent)> = events.into_iter().enumerate().map(|(i, e)| (i as u64 + 1, e)).collect();
    assert_eq!(got, expected);
}

#[test]
fn round_trip_with_our_gln_named_in_another_form() {
    let own = own(Some("4098765000003"));
    let events = sample_events();
    let bytes = export(events.clone(), &export_ctx(own));
    // We say who we are with the PGLN URN; the document uses the Digital Link: they must match.
    let got = records(read(&bytes, &import_ctx(&["urn:epc:id:pgln:4098765.00000"])));
    assert_eq!(got.into_iter().map(|(_, e)| e).collect::<Vec<_>>(), events);
}

#[test]
fn a_partner_reads_our_export_from_its_side() {
    // We export; our supplier "SUP 7/α", also running msadesk, imports the same document.
    let own = own(None);
    let events = sample_events();
    let bytes = export(events.clone(), &export_ctx(own.clone()));
    let sup = events[1].counterparty.clone();
    let ctx =
        ImportContext::new([(Gtin::parse(GTIN_P1).unwrap(), ProductId::parse("P-1").unwrap())], [party_uri(&sup)]);
    let rows = read(&bytes, &ctx);
    let us_seen_by_them = Party {
        id: OperatorId::parse("Nordlicht Vertrieb GmbH").unwrap(),
        name: own.name.clone(),
        address: own.address.clone(),
        country: Country::parse("DE").unwrap(),
        email: own.email.clone(),
        phone: None,
        gln: None,
        vat: None,
    };
    let mut got = Vec::new();
    for row in &rows {
        match row {
            Ok(row) => got.push((row.line, row.record.clone())),
            // The deliveries between us and Müller are none of the supplier's business.
            Err(d) => assert!(d.message.contains("neither source nor destination is us"), "{d}"),
        }
    }
    let expected: Vec<(u64, SupplyEvent)> = [1usize, 2, 4, 6]
        .into_iter()
        .map(|i| {
            let mut e = events[i].clone();
            e.direction = match e.direction {
                Direction::Supplied => Direction::Received,
                Direction::Received => Direction::Supplied,
            };
            e.counterparty = us_seen_by_them.clone();
            // Our role for them described the supplier itself: it does not travel.
            e.counterparty_role = OperatorRole::Other;
            (i as u64 + 1, e)
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(errors(&rows).len(), 3);
}

#[test]
fn export_shape_follows_the_mapping() {
    let own = own(None);
    let bytes = export(sample_events(), &export_ctx(own.clone()));
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["type"], "EPCISDocument");
    assert_eq!(doc["schemaVersion"], "2.0");
    assert_eq!(doc["@context"][1]["msadesk"], "https://msadesk.eu/epcis/ns/");
    let events = doc["epcisBody"]["eventList"].as_array().unwrap();
    assert_eq!(events.len(), 7);

    let e0 = &events[0];
    assert_eq!(e0["type"], "ObjectEvent");
    assert_eq!(e0["action"], "OBSERVE");
    assert_eq!(e0["bizStep"], "shipping");
    assert_eq!(e0["eventTime"], "2026-01-15T12:00:00Z");
    assert_eq!(e0["eventTimeZoneOffset"], "+00:00");
    assert_eq!(e0["quantityList"], json!([{"epcClass": "https://id.gs1.org/01/04006381333931", "quantity": 10}]));
    assert_eq!(e0["sourceList"], json!([{"type": "owning_party", "source": own_party_uri(&own)}]));
    assert_eq!(
        e0["destinationList"],
        json!([{"type": "owning_party", "destination": "https://id.gs1.org/417/4012345000009"}])
    );
    assert_eq!(e0["bizTransactionList"][0]["type"], "desadv");
    assert_eq!(e0["bizTransactionList"][0]["bizTransaction"], "urn:msadesk:ref:DN-2026%2F001%2C%20%22A%22");
    assert_eq!(e0["msadesk:productVersion"], "2.1.0");
    assert_eq!(e0["msadesk:counterpartyRole"], "distributor");

    let e1 = &events[1];
    assert_eq!(e1["bizStep"], "receiving");
    assert_eq!(e1["quantityList"][0]["epcClass"], "urn:msadesk:product:P%C3%BCmpe%2F2%20%23x");
    assert_eq!(e1["sourceList"][0]["source"], "urn:msadesk:operator:SUP%207%2F%CE%B1");
    assert!(e1.get("bizTransactionList").is_none(), "no reference, no bizTransactionList");
    // A reference that already is a URI is kept; one that merely looks like ours is wrapped.
    assert_eq!(events[2]["bizTransactionList"][0]["bizTransaction"], "urn:epcglobal:cbv:bt:5400000000010:PO-77");
    assert_eq!(
        events[4]["bizTransactionList"][0]["bizTransaction"],
        "urn:msadesk:ref:urn%3Amsadesk%3Aref%3Alooks-like-ours"
    );

    // Snapshots: the operator's newest address sits under its party URI, the old one apart.
    let elements =
        doc["epcisHeader"]["epcisMasterData"]["vocabularyList"][0]["vocabularyElementList"].as_array().unwrap();
    let attr = |id: &str, a: &str| -> Option<String> {
        let el = elements.iter().find(|e| e["id"] == id)?;
        el["attributes"].as_array()?.iter().find(|x| x["id"] == a).map(|x| x["attribute"].as_str().unwrap().to_string())
    };
    let sup = "urn:msadesk:operator:SUP%207%2F%CE%B1";
    assert_eq!(attr(sup, "https://msadesk.eu/epcis/ns/address").as_deref(), Some("Avenue Louise 200\n1050 Ixelles"));
    assert_eq!(attr(sup, "urn:epcglobal:cbv:mda#streetAddressOne").as_deref(), Some("Avenue Louise 200"));
    assert_eq!(attr(sup, "urn:epcglobal:cbv:mda#countryCode").as_deref(), Some("BE"));
    assert!(events[1].get("msadesk:counterpartySnapshot").is_none());
    let old = events[2]["msadesk:counterpartySnapshot"].as_str().unwrap();
    assert!(old.starts_with("urn:msadesk:party-snapshot:"));
    assert_eq!(attr(old, "https://msadesk.eu/epcis/ns/address").as_deref(), Some("Rue de l'Usine 4, 1000 Bruxelles"));
    assert_eq!(attr(old, "https://msadesk.eu/epcis/ns/snapshotOf").as_deref(), Some(sup));
    // Our own entry, so that a partner can read the document back.
    assert_eq!(attr(&own_party_uri(&own), "urn:epcglobal:cbv:mda#name").as_deref(), Some("Nordlicht Vertrieb GmbH"));
    // Each event on its own line.
    assert_eq!(
        String::from_utf8(bytes).unwrap().lines().filter(|l| l.starts_with("{\"type\":\"ObjectEvent\"")).count(),
        7
    );
}

#[test]
fn export_refuses_a_creation_date_that_is_not_a_date_time() {
    let mut ctx = export_ctx(own(None));
    ctx.creation_date = "yesterday".into();
    let err = write_document(Vec::new(), sample_events(), &ctx).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn empty_export_reads_back_as_nothing() {
    let bytes = export(Vec::new(), &export_ctx(own(None)));
    assert!(read(&bytes, &import_ctx(&[])).is_empty());
}

fn third_party_ctx() -> ImportContext {
    ImportContext::new(
        [
            (Gtin::parse("04012345123456").unwrap(), ProductId::parse("PA").unwrap()),
            (Gtin::parse("04012345678901").unwrap(), ProductId::parse("PB").unwrap()),
            (Gtin::parse(GTIN_P1).unwrap(), ProductId::parse("PC").unwrap()),
        ],
        ["https://id.gs1.org/417/4098765000003".to_string()],
    )
}

#[test]
fn third_party_document_maps_to_products_and_quantities() {
    let rows = read(FIXTURE.as_bytes(), &third_party_ctx());
    let acme = Party {
        id: OperatorId::parse("4012345000009").unwrap(),
        name: "Acme Components B.V.".into(),
        address: "Industrieweg 12\n5611 AB Eindhoven".into(),
        country: Country::parse("NL").unwrap(),
        email: None,
        phone: None,
        gln: Some(Gln::parse("4012345000009").unwrap()),
        vat: None,
    };
    let van_dijk = Party {
        id: OperatorId::parse("8712345000004").unwrap(),
        name: "Van Dijk Elektronica".into(),
        address: "Stationsplein 3\n3511 ED Utrecht".into(),
        country: Country::parse("NL").unwrap(),
        email: None,
        phone: None,
        gln: Some(Gln::parse("8712345000004").unwrap()),
        vat: None,
    };
    let ok: Vec<(u64, SupplyEvent)> =
        rows.iter().filter_map(|r| r.as_ref().ok()).map(|r| (r.line, r.record.clone())).collect();
    let expected = vec![
        // The supplier's shipping event names us as destination: for us it is a receipt. Three
        // sgtins of one GTIN are three units; the event's local day is 31 March (+02:00).
        (
            1,
            event(
                Direction::Received,
                "2026-03-31",
                "PA",
                "1.4",
                3,
                acme.clone(),
                OperatorRole::Other,
                Some("urn:epcglobal:cbv:bt:4012345000009:DN-88"),
            ),
        ),
        // lgtin lots become versions; equal lots are added up (5 + 1.0).
        (2, event(Direction::Received, "2026-04-02", "PB", "2.0.1", 6, acme.clone(), OperatorRole::Other, None)),
        (2, event(Direction::Received, "2026-04-02", "PB", "2.0.2", 2, acme, OperatorRole::Other, None)),
        // Digital Link class with a percent-encoded lot; 03:00Z at -05:00 is the day before.
        (
            5,
            event(
                Direction::Supplied,
                "2026-04-02",
                "PC",
                "R/7",
                4,
                van_dijk,
                OperatorRole::Other,
                Some("http://transaction.example.com/inv/2026-17"),
            ),
        ),
    ];
    assert_eq!(ok, expected);

    let errs = errors(&rows);
    let at: Vec<(&str, &str)> =
        errs.iter().map(|d| (d.pointer.as_deref().unwrap(), d.field.as_deref().unwrap())).collect();
    assert_eq!(
        at,
        vec![
            ("/epcisBody/eventList/2/bizStep", "bizStep"),
            ("/epcisBody/eventList/3/epcList/0", "epcList"),
            ("/epcisBody/eventList/5/type", "type"),
            ("/epcisBody/eventList/6/destinationList/0/destination", "destination"),
        ]
    );
    assert!(errs[0].message.contains("'commissioning' is not a supply event"), "{}", errs[0]);
    assert!(errs[1].message.contains("no product version"), "{}", errs[1]);
    assert!(errs[2].message.contains("AggregationEvent"), "{}", errs[2]);
    assert!(errs[3].message.contains("no master data for party urn:example:party:nobody"), "{}", errs[3]);
    assert!(errs.iter().all(|d| d.line.is_none() && d.file == "test.jsonld"));
}

#[test]
fn bare_json_ld_with_a_string_context_is_read() {
    let mut doc: Value = serde_json::from_str(FIXTURE).unwrap();
    doc["@context"] = json!("https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld");
    // Without our prefix declared, msadesk: still means our namespace, but msa: means nothing:
    // event 0 loses its version.
    let rows = read(doc.to_string().as_bytes(), &third_party_ctx());
    assert_eq!(errors(&rows)[0].pointer.as_deref(), Some("/epcisBody/eventList/0/epcList/0"));
    doc["epcisBody"]["eventList"][0]["msadesk:productVersion"] = json!("1.4");
    let rows = read(doc.to_string().as_bytes(), &third_party_ctx());
    assert_eq!(rows.iter().filter(|r| r.is_ok()).count(), 4);
}

/// A valid export as a JSON value, for tests that break one thing in it.
fn valid_doc() -> (Value, ImportContext) {
    let own = own(None);
    let bytes = export(sample_events(), &export_ctx(own.clone()));
    (serde_json::from_slice(&bytes).unwrap(), import_ctx(&[&own_party_uri(&own)]))
}

fn read_value(doc: &Value, ctx: &ImportContext) -> Rows {
    read(doc.to_string().as_bytes(), ctx)
}

fn only_error(rows: &Rows) -> &Diagnostic {
    let errs = errors(rows);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    errs[0]
}

#[test]
fn document_level_errors() {
    let ctx = import_ctx(&[]);
    let err = |input: &str| read_document(input.as_bytes(), "bad.json", &ctx).unwrap_err();

    let d = err("this is not json");
    assert!(d.message.contains("not valid JSON"), "{d}");
    assert_eq!(d.line, Some(1));
    assert_eq!(d.file, "bad.json");

    let d = err("{\"type\": \"EPCISDocument\",\n \"epcisBody\": {\"eventList\": [}");
    assert_eq!(d.line, Some(2));

    let d = err("[1, 2]");
    assert!(d.message.contains("not an EPCIS document") && d.message.contains("EPCISDocument"), "{d}");

    let d = err(r#"{"type": "CycloneDX", "epcisBody": {"eventList": []}}"#);
    assert_eq!(d.pointer.as_deref(), Some("/type"));
    assert!(d.message.contains("'CycloneDX'") && d.message.contains("EPCISDocument"), "{d}");

    let d = err(r#"{"epcisBody": {"eventList": []}}"#);
    assert_eq!(d.pointer.as_deref(), Some("/type"));

    let d = err(r#"{"type": "EPCISDocument", "epcisBody": {}}"#);
    assert_eq!(d.pointer.as_deref(), Some("/epcisBody/eventList"));
    assert!(d.message.contains("epcisBody.eventList"), "{d}");

    let d = err(r#"{"type": "EPCISDocument"}"#);
    assert_eq!(d.pointer.as_deref(), Some("/epcisBody"));

    let d = err(r#"{"type": "EPCISDocument", "epcisBody": {"eventList": {"a": 1}}}"#);
    assert_eq!(d.pointer.as_deref(), Some("/epcisBody/eventList"));
    assert!(d.message.contains("not an array"), "{d}");

    let d = err(
        r#"{"type": "EPCISDocument", "epcisHeader": {"epcisMasterData": {"vocabularyList": 3}}, "epcisBody": {"eventList": []}}"#,
    );
    assert_eq!(d.pointer.as_deref(), Some("/epcisHeader/epcisMasterData/vocabularyList"));

    // A query document's results are read too; a byte order mark is tolerated.
    let q = "\u{feff}{\"type\": \"EPCISQueryDocument\", \"epcisBody\": {\"queryResults\": {\"resultsBody\": {\"eventList\": []}}}}";
    assert!(read_document(q.as_bytes(), "q.json", &ctx).unwrap().is_empty());
}

#[test]
fn documents_over_the_size_limit_are_refused() {
    assert_eq!(MAX_DOCUMENT_BYTES, 256 * 1024 * 1024);
    let (doc, mut ctx) = valid_doc();
    let text = doc.to_string();
    ctx.max_document_bytes = text.len() as u64;
    assert!(read_document(text.as_bytes(), "big.json", &ctx).is_ok());
    ctx.max_document_bytes = text.len() as u64 - 1;
    let d = read_document(text.as_bytes(), "big.json", &ctx).unwrap_err();
    assert!(d.message.contains("larger than") && d.message.contains("split"), "{d}");
}

#[test]
fn bad_biz_step_points_at_it() {
    let (mut doc, ctx) = valid_doc();
    doc["epcisBody"]["eventList"][3]["bizStep"] = json!("packing");
    let rows = read_value(&doc, &ctx);
    let d = only_error(&rows);
    assert_eq!(d.pointer.as_deref(), Some("/epcisBody/eventList/3/bizStep"));
    assert_eq!(d.field.as_deref(), Some("bizStep"));
    assert!(d.message.contains("expected shipping or receiving"), "{d}");
    assert_eq!(rows.iter().filter(|r| r.is_ok()).count(), 6);
    // The CBV URN and web URI forms are accepted.
    doc["epcisBody"]["eventList"][3]["bizStep"] = json!("urn:epcglobal:cbv:bizstep:shipping");
    doc["epcisBody"]["eventList"][4]["bizStep"] = json!("https://ref.gs1.org/cbv/BizStep-shipping");
    assert!(read_value(&doc, &ctx).iter().all(Result::is_ok));
}

#[test]
fn unknown_gtin_points_at_the_class() {
    let (doc, _) = valid_doc();
    let ctx = ImportContext::new([], [own_party_uri(&own(None))]);
    let rows = read_value(&doc, &ctx);
    let errs = errors(&rows);
    assert_eq!(errs.len(), 3, "the three events of P-1: {errs:#?}");
    assert_eq!(errs[0].pointer.as_deref(), Some("/epcisBody/eventList/0/quantityList/0/epcClass"));
    assert!(errs[0].message.contains("GTIN 04006381333931 is not in the product master data"), "{}", errs[0]);
}

#[test]
fn many_serials_of_an_unknown_gtin_give_one_diagnostic() {
    let mut doc: Value = serde_json::from_str(FIXTURE).unwrap();
    let serials: Vec<String> = (0..500).map(|n| format!("urn:epc:id:sgtin:4012345.012345.{n}")).collect();
    doc["epcisBody"]["eventList"][0]["epcList"] = json!(serials);
    let ctx = ImportContext::new([], ["https://id.gs1.org/417/4098765000003".to_string()]);
    let rows = read_value(&doc, &ctx);
    let first: Vec<&Diagnostic> = errors(&rows)
        .into_iter()
        .filter(|d| d.pointer.as_deref().unwrap().starts_with("/epcisBody/eventList/0/"))
        .collect();
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(first[0].pointer.as_deref(), Some("/epcisBody/eventList/0/epcList/0"));
    assert!(first[0].message.contains("GTIN 04012345123456"), "{}", first[0]);

    // With the product known, 500 serials are 500 units.
    let rows = read_value(&doc, &third_party_ctx());
    assert_eq!(rows[0].as_ref().unwrap().record.quantity, 500);
}

#[test]
fn missing_party_master_data_names_the_party() {
    let (mut doc, ctx) = valid_doc();
    doc.as_object_mut().unwrap().remove("epcisHeader");
    let rows = read_value(&doc, &ctx);
    assert_eq!(errors(&rows).len(), 7);
    let d = errors(&rows)[0];
    assert_eq!(d.pointer.as_deref(), Some("/epcisBody/eventList/0/destinationList/0/destination"));
    assert!(d.message.contains("https://id.gs1.org/417/4012345000009"), "{d}");

    // An element without a name: the diagnostic points at the element and names the attribute.
    let (mut doc, ctx) = valid_doc();
    let elements = &mut doc["epcisHeader"]["epcisMasterData"]["vocabularyList"][0]["vocabularyElementList"];
    let k =
        elements.as_array().unwrap().iter().position(|e| e["id"] == "https://id.gs1.org/417/4012345000009").unwrap();
    elements[k]["attributes"].as_array_mut().unwrap().retain(|a| a["id"] != "urn:epcglobal:cbv:mda#name");
    let rows = read_value(&doc, &ctx);
    let errs = errors(&rows);
    assert!(!errs.is_empty());
    let pointer = format!("/epcisHeader/epcisMasterData/vocabularyList/0/vocabularyElementList/{k}");
    assert!(
        errs.iter().all(|d| d.pointer.as_deref() == Some(pointer.as_str()) && d.field.as_deref() == Some("name")),
        "{errs:#?}"
    );
    assert!(errs[0].message.contains("urn:epcglobal:cbv:mda#name"), "{}", errs[0]);
}

#[test]
fn bad_quantities_point_at_the_quantity() {
    for bad in [json!(-3), json!(0), json!(1.5), json!("7"), json!(null)] {
        let (mut doc, ctx) = valid_doc();
        doc["epcisBody"]["eventList"][1]["quantityList"][0]["quantity"] = bad.clone();
        let rows = read_value(&doc, &ctx);
        let d = only_error(&rows);
        assert_eq!(d.pointer.as_deref(), Some("/epcisBody/eventList/1/quantityList/0/quantity"), "{bad}");
        assert!(d.message.contains("whole number of units, at least 1"), "{d}");
    }
    let (mut doc, ctx) = valid_doc();
    doc["epcisBody"]["eventList"][1]["quantityList"][0]["uom"] = json!("KGM");
    assert_eq!(
        only_error(&read_value(&doc, &ctx)).pointer.as_deref(),
        Some("/epcisBody/eventList/1/quantityList/0/uom")
    );
}

#[test]
fn other_broken_events_give_pointed_diagnostics() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/eventTime", json!("31.03.2026"), "/epcisBody/eventList/0/eventTime"),
        ("/eventTimeZoneOffset", json!("CET"), "/epcisBody/eventList/0/eventTimeZoneOffset"),
        ("/msadesk:productVersion", json!(""), "/epcisBody/eventList/0/msadesk:productVersion"),
        ("/msadesk:counterpartyRole", json!("retailer"), "/epcisBody/eventList/0/msadesk:counterpartyRole"),
        (
            "/quantityList/0/epcClass",
            json!("urn:epc:id:sscc:4012345.0000000001"),
            "/epcisBody/eventList/0/quantityList/0/epcClass",
        ),
        (
            "/quantityList/0/epcClass",
            json!("https://id.gs1.org/01/04006381333932"),
            "/epcisBody/eventList/0/quantityList/0/epcClass",
        ),
        (
            "/bizTransactionList/0/bizTransaction",
            json!("urn:msadesk:ref:%ZZ"),
            "/epcisBody/eventList/0/bizTransactionList/0/bizTransaction",
        ),
        (
            "/msadesk:counterpartySnapshot",
            json!("urn:msadesk:party-snapshot:0000"),
            "/epcisBody/eventList/0/destinationList/0/destination",
        ),
        (
            "/errorDeclaration",
            json!({"declarationTime": "2026-04-01T00:00:00Z"}),
            "/epcisBody/eventList/0/errorDeclaration",
        ),
        ("/type", json!("TransactionEvent"), "/epcisBody/eventList/0/type"),
    ];
    for (path, value, pointer) in cases {
        let (mut doc, ctx) = valid_doc();
        let (parent, last) = path.rsplit_once('/').unwrap();
        doc.pointer_mut(&format!("/epcisBody/eventList/0{parent}")).unwrap()[last] = value;
        let rows = read_value(&doc, &ctx);
        let d = only_error(&rows);
        assert_eq!(d.pointer.as_deref(), Some(pointer), "{path}: {d}");
        assert_eq!(d.line, None);
    }

    // An event that is not an object, and an event naming us on both sides.
    let (mut doc, ctx) = valid_doc();
    doc["epcisBody"]["eventList"][0] = json!(42);
    let ours = doc["epcisBody"]["eventList"][1]["destinationList"][0]["destination"].clone();
    doc["epcisBody"]["eventList"][1]["sourceList"][0]["source"] = ours;
    let rows = read_value(&doc, &ctx);
    let errs = errors(&rows);
    assert_eq!(errs[0].pointer.as_deref(), Some("/epcisBody/eventList/0"));
    assert!(errs[1].message.contains("both source and destination"), "{}", errs[1]);
}

#[test]
fn several_problems_of_one_event_are_all_reported() {
    let (mut doc, ctx) = valid_doc();
    let e = &mut doc["epcisBody"]["eventList"][0];
    e["eventTime"] = json!("never");
    e["quantityList"][0]["quantity"] = json!(-1);
    e["msadesk:counterpartyRole"] = json!("nobody");
    let rows = read_value(&doc, &ctx);
    let mut pointers: Vec<&str> = errors(&rows).iter().map(|d| d.pointer.as_deref().unwrap()).collect();
    pointers.sort();
    assert_eq!(
        pointers,
        vec![
            "/epcisBody/eventList/0/eventTime",
            "/epcisBody/eventList/0/msadesk:counterpartyRole",
            "/epcisBody/eventList/0/quantityList/0/quantity",
        ]
    );
}

#[test]
fn truncated_and_corrupted_documents_never_panic() {
    let (doc, ctx) = valid_doc();
    let bytes = doc.to_string().into_bytes();
    for cut in 0..bytes.len() {
        let _ = read_document(&bytes[..cut], "cut.json", &ctx);
    }
    let fixture = FIXTURE.as_bytes();
    let third = third_party_ctx();
    for cut in (0..fixture.len()).step_by(3) {
        let _ = read_document(&fixture[..cut], "cut.json", &third);
    }
    // Single-byte corruptions, including ones that split a UTF-8 sequence.
    for (i, replacement) in
        (0..bytes.len()).step_by(7).flat_map(|i| [b'"', b'}', b'0', b'-', 0xC3, b'%', b'.'].map(|r| (i, r)))
    {
        let mut broken = bytes.clone();
        broken[i] = replacement;
        let _ = read_document(broken.as_slice(), "flip.json", &ctx);
    }
    // Deep nesting must stop at serde_json's recursion limit, not overflow the stack.
    let deep = format!(
        "{{\"type\":\"EPCISDocument\",\"epcisBody\":{{\"eventList\":[{}{}]}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let rows = read_document(deep.as_bytes(), "deep.json", &ctx).unwrap();
    assert_eq!(only_error(&rows).pointer.as_deref(), Some("/epcisBody/eventList/0"));
}

/// Writes a representative export for `ci/epcis-schema-check.sh`; does nothing unless
/// `MSADESK_EPCIS_OUT` is set.
#[test]
fn write_schema_sample() {
    let Some(path) = std::env::var_os("MSADESK_EPCIS_OUT") else {
        return;
    };
    let file = std::fs::File::create(&path).unwrap();
    write_document(file, sample_events(), &export_ctx(own(Some("4098765000003")))).unwrap();
    let path = std::path::PathBuf::from(path).with_extension("nogln.jsonld");
    let file = std::fs::File::create(&path).unwrap();
    write_document(file, sample_events(), &export_ctx(own(None))).unwrap();
}

#[test]
fn party_uris() {
    let p = party("C 1", "N", "A", "DE", None);
    assert_eq!(party_uri(&p), "urn:msadesk:operator:C%201");
    let p = party("C 1", "N", "A", "DE", Some("4012345000009"));
    assert_eq!(party_uri(&p), "https://id.gs1.org/417/4012345000009");
    assert_eq!(own_party_uri(&own(None)), "urn:msadesk:org:Nordlicht%20Vertrieb%20GmbH");
}
