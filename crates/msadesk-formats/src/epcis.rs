//! EPCIS 2.0 JSON/JSON-LD: supply events in and out.
//!
//! This module turns [`SupplyEvent`]s into an EPCIS 2.0 document ([`write_document`]) and reads
//! EPCIS 2.0 documents — our own and those of other systems — back into supply events
//! ([`read_document`]). It only converts: it opens no file, reads no clock and touches no database.
//! The caller passes the creation time, the GTINs of our products and the identifiers that denote
//! us, and decides what to do with the per-event diagnostics.
//!
//! # Mapping
//!
//! One supply event is one `ObjectEvent` with `action` `OBSERVE`:
//!
//! | Supply event        | EPCIS                                                                   |
//! |---------------------|-------------------------------------------------------------------------|
//! | direction           | `bizStep` `shipping` (supplied) or `receiving` (received)               |
//! | date                | `eventTime` `{date}T12:00:00Z`, `eventTimeZoneOffset` `+00:00`           |
//! | product, quantity   | `quantityList[0]`: `epcClass` + `quantity` (a count: no `uom`)         |
//! | version             | extension `msadesk:productVersion`                                      |
//! | counterparty role   | extension `msadesk:counterpartyRole`                                    |
//! | reference           | `bizTransactionList[0]`, type `desadv`                                  |
//! | counterparty, us    | `sourceList`/`destinationList`, type `owning_party`                     |
//! | counterparty data   | `epcisHeader.epcisMasterData`, vocabulary `urn:epcglobal:epcis:vtype:Party` |
//!
//! Noon UTC rather than midnight: a reader that converts `eventTime` to its own time zone instead
//! of honouring `eventTimeZoneOffset` still lands on the same calendar day anywhere from UTC−12 to
//! UTC+11.
//!
//! Identifiers are URIs, as the schema requires:
//! - a product with a GTIN is the GS1 Digital Link class `https://id.gs1.org/01/{GTIN-14}`; one
//!   without is `urn:msadesk:product:{id}`;
//! - a party with a GLN is `https://id.gs1.org/417/{GLN}`; one without is
//!   `urn:msadesk:operator:{id}`; we ourselves without a GLN are `urn:msadesk:org:{our name}`;
//! - a reference that is already a `urn:`/`http(s):` URI is written as it is (so a supplier's
//!   EPCIS transaction id survives a round trip through the registry); any other reference is
//!   `urn:msadesk:ref:{reference}`.
//!
//! Every `{…}` is percent-encoded (all but `A-Z a-z 0-9 - . _ ~`) and decoded back exactly.
//!
//! Master data attributes use the CBV names where CBV has one (`urn:epcglobal:cbv:mda#name`,
//! `#streetAddressOne`…`Three`, `#countryCode`) and our namespace [`NAMESPACE`] for the rest:
//! `operatorId`, `address` (the exact free text; the CBV street lines are a courtesy copy for other
//! readers), `email`, `phone`, `vat`.
//!
//! **Snapshots.** A party's name and address are kept as they were at each event, so one operator
//! can appear with two addresses in one document. The vocabulary element whose id is the party URI
//! holds the snapshot of that party's latest event (what other systems should see); every other
//! snapshot is an element with id `urn:msadesk:party-snapshot:{digest}` (and attribute
//! `msadesk:snapshotOf` naming the party URI), and the events that used it point to it with the
//! extension `msadesk:counterpartySnapshot`.
//!
//! # Reading
//!
//! Only `ObjectEvent`s with a shipping or receiving `bizStep` are supply events. Every other event
//! (another type, another `bizStep`, an error declaration) gives a diagnostic saying it was not
//! imported and why: nothing is dropped silently. See [`read_document`] for the fallbacks used
//! with documents from other systems.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Read, Write};

use msadesk_core::{
    Country, Date, Direction, Email, Gln, Gtin, OperatorId, OperatorRole, OwnIdentity, Party, ProductId, SupplyEvent,
    Version, optional_text, required_text,
};
use msadesk_store::Row;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::Diagnostic;

/// Our JSON-LD namespace for what EPCIS and CBV have no field for; declared in `@context` under the
/// prefix `msadesk`.
pub const NAMESPACE: &str = "https://msadesk.eu/epcis/ns/";

/// The largest document [`read_document`] accepts by default (256 MiB). The document is held in
/// memory while it is read, so a limit keeps a runaway upload from exhausting the machine; a
/// quarter of a million events fit well under it.
pub const MAX_DOCUMENT_BYTES: u64 = 256 * 1024 * 1024;

/// The EPCIS 2.0 JSON-LD context every document we write refers to.
const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
const CBV_MDA: &str = "urn:epcglobal:cbv:mda#";
const VTYPE_PARTY: &str = "urn:epcglobal:epcis:vtype:Party";
const SNAPSHOT_URN: &str = "urn:msadesk:party-snapshot:";
const PRODUCT_URN: &str = "urn:msadesk:product:";
const OPERATOR_URN: &str = "urn:msadesk:operator:";
const ORG_URN: &str = "urn:msadesk:org:";
const REF_URN: &str = "urn:msadesk:ref:";

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

/// What [`write_document`] needs besides the events.
#[derive(Debug, Clone)]
pub struct ExportContext {
    /// Who we are: our side of every event, and a master data entry so that a partner importing
    /// the document knows our name, address and country.
    pub own: OwnIdentity,
    /// The document's `creationDate`, RFC 3339 with a zone (`2026-05-04T09:30:00Z`); the caller
    /// reads the clock.
    pub creation_date: String,
    /// The GTIN of each product that has one; the others get a class URI of our own.
    pub gtins: HashMap<ProductId, Gtin>,
}

/// The party URI of a counterparty: its GLN as a GS1 Digital Link, else `urn:msadesk:operator:{id}`.
pub fn party_uri(party: &Party) -> String {
    match &party.gln {
        Some(gln) => gln_uri(gln.as_str()),
        None => format!("{OPERATOR_URN}{}", pct_encode(party.id.as_str())),
    }
}

/// Our own party URI: our GLN as a GS1 Digital Link, else `urn:msadesk:org:{our name}`. Pass it in
/// [`ImportContext::own_parties`] to read back documents we wrote.
pub fn own_party_uri(own: &OwnIdentity) -> String {
    match &own.gln {
        Some(gln) => gln_uri(gln.as_str()),
        None => format!("{ORG_URN}{}", pct_encode(&own.name)),
    }
}

/// Writes `events` as one EPCIS 2.0 JSON-LD document.
///
/// The master data in the header must name every counterparty snapshot before the first event,
/// so the events are collected first; each is then serialized and written on its own line. Fails
/// only when writing fails or when `ctx.creation_date` is not an RFC 3339 date-time
/// (`InvalidInput`).
pub fn write_document(
    out: impl Write,
    events: impl IntoIterator<Item = SupplyEvent>,
    ctx: &ExportContext,
) -> io::Result<()> {
    if parse_timestamp(&ctx.creation_date).is_err() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("creation date '{}' is not an RFC 3339 date-time such as 2026-05-04T09:30:00Z", ctx.creation_date),
        ));
    }
    let events: Vec<SupplyEvent> = events.into_iter().collect();
    let own_uri = own_party_uri(&ctx.own);
    let snapshots = Snapshots::of(&events);

    let mut out = io::BufWriter::new(out);
    let context = serde_json::json!([EPCIS_CONTEXT, { "msadesk": NAMESPACE }]);
    out.write_all(b"{\"@context\":")?;
    serde_json::to_writer(&mut out, &context)?;
    out.write_all(b",\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":")?;
    serde_json::to_writer(&mut out, &ctx.creation_date)?;
    out.write_all(b",\n\"epcisHeader\":")?;
    serde_json::to_writer(&mut out, &snapshots.header(&ctx.own, &own_uri))?;
    out.write_all(b",\n\"epcisBody\":{\"eventList\":[")?;
    for (i, event) in events.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut out, &out_event(event, ctx, &own_uri, snapshots.pointer_for(event)))?;
    }
    out.write_all(b"\n]}}\n")?;
    out.flush()
}

/// The counterparty snapshots of one export, and which one is the party URI's own entry.
struct Snapshots<'e> {
    /// Party URIs in order of first appearance, each with its snapshots in order of first
    /// appearance and the index of the primary one (the snapshot of the party's latest event).
    parties: Vec<(String, Vec<&'e Party>, usize)>,
    /// Index into `parties` by party URI.
    by_uri: HashMap<String, usize>,
}

impl<'e> Snapshots<'e> {
    fn of(events: &'e [SupplyEvent]) -> Self {
        let mut parties: Vec<(String, Vec<&'e Party>, usize)> = Vec::new();
        let mut by_uri: HashMap<String, usize> = HashMap::new();
        let mut latest: HashMap<String, Date> = HashMap::new();
        for event in events {
            let party = &event.counterparty;
            let uri = party_uri(party);
            let slot = *by_uri.entry(uri.clone()).or_insert_with(|| {
                parties.push((uri.clone(), Vec::new(), 0));
                parties.len() - 1
            });
            let (_, snaps, primary) = &mut parties[slot];
            let k = match snaps.iter().position(|s| *s == party) {
                Some(k) => k,
                None => {
                    snaps.push(party);
                    snaps.len() - 1
                }
            };
            // Ties go to the later event in input order, which is usually the newer record.
            if latest.get(&uri).is_none_or(|d| event.date >= *d) {
                latest.insert(uri, event.date);
                *primary = k;
            }
        }
        Snapshots { parties, by_uri }
    }

    /// The snapshot id an event must point to, or `None` when its counterparty is the primary
    /// snapshot (found by the party URI alone).
    fn pointer_for(&self, event: &SupplyEvent) -> Option<String> {
        let uri = party_uri(&event.counterparty);
        let (_, snaps, primary) = self.parties.get(*self.by_uri.get(&uri)?)?;
        if *snaps.get(*primary)? == &event.counterparty { None } else { Some(snapshot_id(&event.counterparty)) }
    }

    fn header(&self, own: &OwnIdentity, own_uri: &str) -> OutHeader {
        let mut elements = Vec::new();
        // Our own entry, unless a counterparty claims the same URI (then theirs is what the
        // events need, and we would only contradict it).
        if !self.by_uri.contains_key(own_uri) {
            let mut attributes = vec![attr_cbv("name", &own.name)];
            address_attributes(&own.address, &mut attributes);
            attributes.push(attr_cbv("countryCode", own.member_state.as_str()));
            if let Some(email) = &own.email {
                attributes.push(attr_ns("email", email.as_str()));
            }
            elements.push(OutElement { id: own_uri.to_string(), attributes });
        }
        for (uri, snaps, primary) in &self.parties {
            for (k, party) in snaps.iter().enumerate() {
                let mut attributes = party_attributes(party);
                let id = if k == *primary {
                    uri.clone()
                } else {
                    attributes.push(attr_ns("snapshotOf", uri));
                    snapshot_id(party)
                };
                elements.push(OutElement { id, attributes });
            }
        }
        OutHeader {
            epcis_master_data: OutMasterData {
                vocabulary_list: vec![OutVocabulary { ty: VTYPE_PARTY, vocabulary_element_list: elements }],
            },
        }
    }
}

fn snapshot_id(party: &Party) -> String {
    let mut s = String::from(SNAPSHOT_URN);
    for b in party.content_digest() {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn party_attributes(party: &Party) -> Vec<OutAttribute> {
    let mut a = vec![attr_cbv("name", &party.name)];
    address_attributes(&party.address, &mut a);
    a.push(attr_cbv("countryCode", party.country.as_str()));
    a.push(attr_ns("operatorId", party.id.as_str()));
    if let Some(email) = &party.email {
        a.push(attr_ns("email", email.as_str()));
    }
    if let Some(phone) = &party.phone {
        a.push(attr_ns("phone", phone));
    }
    if let Some(vat) = &party.vat {
        a.push(attr_ns("vat", vat));
    }
    a
}

/// The exact address in our namespace, plus CBV street lines for readers that only know CBV. Our
/// address is free text, so the lines are a best effort: first line, second line, the rest joined.
fn address_attributes(address: &str, a: &mut Vec<OutAttribute>) {
    let lines: Vec<&str> = address.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let names = ["streetAddressOne", "streetAddressTwo"];
    for (name, line) in names.iter().zip(&lines) {
        a.push(attr_cbv(name, line));
    }
    if lines.len() > 2 {
        a.push(attr_cbv("streetAddressThree", &lines[2..].join(", ")));
    }
    a.push(attr_ns("address", address));
}

fn attr_cbv(name: &str, value: &str) -> OutAttribute {
    OutAttribute { id: format!("{CBV_MDA}{name}"), attribute: value.to_string() }
}

fn attr_ns(name: &str, value: &str) -> OutAttribute {
    OutAttribute { id: format!("{NAMESPACE}{name}"), attribute: value.to_string() }
}

fn out_event<'a>(event: &'a SupplyEvent, ctx: &ExportContext, own_uri: &str, snapshot: Option<String>) -> OutEvent<'a> {
    let counterparty = party_uri(&event.counterparty);
    let (biz_step, source, destination) = match event.direction {
        Direction::Supplied => ("shipping", own_uri.to_string(), counterparty),
        Direction::Received => ("receiving", counterparty, own_uri.to_string()),
    };
    let epc_class = match ctx.gtins.get(&event.product_id) {
        Some(gtin) => format!("https://id.gs1.org/01/{}", gtin.to_gtin14()),
        None => format!("{PRODUCT_URN}{}", pct_encode(event.product_id.as_str())),
    };
    OutEvent {
        ty: "ObjectEvent",
        event_time: format!("{}T12:00:00Z", event.date),
        event_time_zone_offset: "+00:00",
        action: "OBSERVE",
        biz_step,
        quantity_list: [OutQuantity { epc_class, quantity: event.quantity }],
        biz_transaction_list: event
            .reference
            .as_deref()
            .map(|r| OutBizTransaction { ty: "desadv", biz_transaction: reference_uri(r) })
            .into_iter()
            .collect(),
        source_list: [OutSource { ty: "owning_party", source }],
        destination_list: [OutDestination { ty: "owning_party", destination }],
        product_version: event.version.as_str(),
        counterparty_role: event.counterparty_role.as_str(),
        counterparty_snapshot: snapshot,
    }
}

/// A reference as a `bizTransaction` URI (the schema requires one). A reference that already is
/// a plain `urn:`/`http(s):` URI is kept as it is; everything else is wrapped in our URN.
fn reference_uri(reference: &str) -> String {
    let lower = reference.to_ascii_lowercase();
    let uri_like = (lower.starts_with("urn:") || lower.starts_with("http://") || lower.starts_with("https://"))
        && !lower.starts_with("urn:msadesk:")
        && is_plain_uri(reference);
    if uri_like { reference.to_string() } else { format!("{REF_URN}{}", pct_encode(reference)) }
}

/// Only characters RFC 3986 allows in a URI, and `%` only as the start of an escape.
fn is_plain_uri(s: &str) -> bool {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    b.iter().enumerate().all(|(i, &c)| {
        c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&c) || (c == b'%' && hex(i + 1) && hex(i + 2))
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutHeader {
    epcis_master_data: OutMasterData,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutMasterData {
    vocabulary_list: Vec<OutVocabulary>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutVocabulary {
    #[serde(rename = "type")]
    ty: &'static str,
    vocabulary_element_list: Vec<OutElement>,
}

#[derive(Serialize)]
struct OutElement {
    id: String,
    attributes: Vec<OutAttribute>,
}

#[derive(Serialize)]
struct OutAttribute {
    id: String,
    attribute: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutEvent<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    event_time: String,
    event_time_zone_offset: &'static str,
    action: &'static str,
    biz_step: &'static str,
    quantity_list: [OutQuantity; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    biz_transaction_list: Vec<OutBizTransaction>,
    source_list: [OutSource; 1],
    destination_list: [OutDestination; 1],
    #[serde(rename = "msadesk:productVersion")]
    product_version: &'a str,
    #[serde(rename = "msadesk:counterpartyRole")]
    counterparty_role: &'static str,
    #[serde(rename = "msadesk:counterpartySnapshot", skip_serializing_if = "Option::is_none")]
    counterparty_snapshot: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutQuantity {
    epc_class: String,
    quantity: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutBizTransaction {
    #[serde(rename = "type")]
    ty: &'static str,
    biz_transaction: String,
}

#[derive(Serialize)]
struct OutSource {
    #[serde(rename = "type")]
    ty: &'static str,
    source: String,
}

#[derive(Serialize)]
struct OutDestination {
    #[serde(rename = "type")]
    ty: &'static str,
    destination: String,
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// What [`read_document`] needs besides the document.
#[derive(Debug, Clone)]
pub struct ImportContext {
    /// Our products by GTIN-14 (built by the caller from product master data).
    pub products_by_gtin: HashMap<String, ProductId>,
    /// Party URIs that denote us. GLN-based forms (`https://id.gs1.org/417/…`, `urn:epc:id:pgln:…`,
    /// `urn:epc:id:sgln:…`) match each other by GLN; other URIs match exactly.
    pub own_parties: Vec<String>,
    /// Documents larger than this are refused; [`MAX_DOCUMENT_BYTES`] by default.
    pub max_document_bytes: u64,
}

impl ImportContext {
    pub fn new(
        products: impl IntoIterator<Item = (Gtin, ProductId)>,
        own_parties: impl IntoIterator<Item = String>,
    ) -> Self {
        ImportContext {
            products_by_gtin: products.into_iter().map(|(g, p)| (g.to_gtin14(), p)).collect(),
            own_parties: own_parties.into_iter().collect(),
            max_document_bytes: MAX_DOCUMENT_BYTES,
        }
    }
}

/// Reads an EPCIS 2.0 JSON or JSON-LD document (`EPCISDocument`, or an `EPCISQueryDocument`'s
/// results) into supply events.
///
/// The outer `Err` is for a document that cannot be read at all: too large, not JSON, not an EPCIS
/// document, malformed master data. Otherwise there is one entry per supply event found, in
/// document order: `Ok(Row)` with `line` = the 1-based position of the event in `eventList`, or
/// `Err(Diagnostic)` with the JSON pointer and field of the problem. One EPCIS event can give
/// several rows (one per product and version it lists, quantities of the same product and version
/// added up) or several diagnostics (one per problem found).
///
/// Events that are not supply events — another event type, a `bizStep` other than shipping or
/// receiving, an error declaration — are not imported; each gives a diagnostic saying so, so the
/// caller sees everything that was left out.
///
/// For documents written by other systems:
/// - `bizStep` may be the bare CBV word, the CBV URN (`urn:epcglobal:cbv:bizstep:shipping`) or the
///   web URI (`https://ref.gs1.org/cbv/BizStep-shipping`).
/// - The product comes from the GTIN of each `epcList` entry (`urn:epc:id:sgtin:…` or a Digital
///   Link with `/01/`, counted as one unit each) or `quantityList` class (`urn:epc:class:lgtin:…`,
///   `urn:epc:idpat:sgtin:…`, Digital Link), looked up in [`ImportContext::products_by_gtin`].
/// - The version is `msadesk:productVersion` when present, else the lot of the class or EPC
///   (`lgtin` lot, Digital Link `/10/`), else the event is refused: an Art 23 record needs a version.
/// - Parties are the `owning_party` entries of `sourceList`/`destinationList` (`possessing_party`
///   when a list has no owner). When we appear on one side, that side decides the direction,
///   whatever the `bizStep`: a supplier's shipping event naming us as destination is our receipt.
///   Such an event is written from the other side, so its `msadesk:counterpartyRole` (which
///   would describe us) is ignored. When only one side names a party, shipping means supplied
///   (the counterparty is the destination) and receiving means received (the counterparty is the
///   source). An event naming parties on both sides, none of them us, is refused: list every URI
///   that denotes us in [`ImportContext::own_parties`].
/// - The counterparty's name, address and country come from the header master data (any
///   vocabulary type, element id = the party URI); without them the event is refused. The
///   operator id is `msadesk:operatorId`, else the id inside `urn:msadesk:operator:…`, else the
///   GLN, else the party URI itself.
/// - The counterparty role is `msadesk:counterpartyRole`, else `other`.
/// - The reference is the `bizTransaction` of the first entry in our URN, else the first of type
///   desadv, inv, bol, po, recadv, else the first entry; other URIs are kept verbatim.
/// - The date is the calendar day of `eventTime` in `eventTimeZoneOffset` (the event's own offset
///   when that is missing).
pub fn read_document(
    input: impl Read,
    file: &str,
    ctx: &ImportContext,
) -> Result<Vec<Result<Row<SupplyEvent>, Diagnostic>>, Diagnostic> {
    let doc_err = |pointer: &str, message: String| Diagnostic {
        file: file.to_string(),
        line: None,
        pointer: (!pointer.is_empty()).then(|| pointer.to_string()),
        field: pointer.rsplit('/').next().filter(|f| !f.is_empty()).map(str::to_string),
        message,
        skipped: false,
    };

    let mut bytes = Vec::new();
    input
        .take(ctx.max_document_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| doc_err("", format!("reading the document failed: {e}")))?;
    if bytes.len() as u64 > ctx.max_document_bytes {
        return Err(doc_err(
            "",
            format!(
                "the document is larger than {} MiB, the most one import accepts: split it into several documents",
                ctx.max_document_bytes / (1024 * 1024)
            ),
        ));
    }
    // Windows tools like to start UTF-8 files with a byte order mark, which JSON does not allow.
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);

    let top: BTreeMap<String, &RawValue> = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => doc_err(
            "",
            "this is JSON but not an EPCIS document: expected a JSON object with \"type\": \"EPCISDocument\"".into(),
        ),
        _ => Diagnostic {
            line: Some(e.line() as u64),
            ..doc_err(
                "",
                format!("this is not valid JSON (column {}): {e}; expected an EPCIS 2.0 JSON document", e.column()),
            )
        },
    })?;

    let prefixes = Prefixes::from_context(top.get("@context").copied());
    let ty = top
        .get("type")
        .or_else(|| top.get("@type"))
        .and_then(|r| as_value(r))
        .and_then(|v| v.as_str().map(str::to_string));
    let query = match ty.as_deref().map(|t| prefixes.expand(t)) {
        Some(t) if is_epcis_term(&t, "EPCISDocument") => false,
        Some(t) if is_epcis_term(&t, "EPCISQueryDocument") => true,
        Some(t) => {
            return Err(doc_err(
                "/type",
                format!("the document type is '{t}': expected \"EPCISDocument\" (or \"EPCISQueryDocument\")"),
            ));
        }
        None => {
            return Err(doc_err(
                "/type",
                "the document has no \"type\" text: expected \"type\": \"EPCISDocument\" (an EPCIS 2.0 JSON document)"
                    .into(),
            ));
        }
    };

    let master = match top.get("epcisHeader") {
        Some(raw) => MasterData::read(raw, &prefixes).map_err(|(p, m)| doc_err(&p, m))?,
        None => MasterData::default(),
    };

    let (list_pointer, events) = event_list(&top, query).map_err(|(p, m)| doc_err(&p, m))?;

    let reader = EventReader {
        file,
        ctx,
        prefixes: &prefixes,
        master: &master,
        own: ctx.own_parties.iter().map(|u| canonical_party(u)).collect(),
    };
    let mut out = Vec::new();
    for (i, raw) in events.iter().enumerate() {
        reader.read(i, &format!("{list_pointer}/{i}"), raw, &mut out);
    }
    Ok(out)
}

/// The raw events and the pointer of their list.
fn event_list<'a>(
    top: &BTreeMap<String, &'a RawValue>,
    query: bool,
) -> Result<(String, Vec<&'a RawValue>), (String, String)> {
    let path: &[&str] =
        if query { &["epcisBody", "queryResults", "resultsBody", "eventList"] } else { &["epcisBody", "eventList"] };
    let mut pointer = String::new();
    let mut here: Option<&'a RawValue> = None;
    for (depth, key) in path.iter().enumerate() {
        let map: BTreeMap<String, &'a RawValue> = match here {
            None => top.clone(),
            Some(raw) => serde_json::from_str(raw.get()).map_err(|_| {
                (pointer.clone(), format!("'{}' is not an object: expected {}", path[depth - 1], want(path)))
            })?,
        };
        let next = map.get(*key).copied();
        pointer.push('/');
        pointer.push_str(key);
        here = Some(
            next.ok_or_else(|| (pointer.clone(), format!("the document has no '{key}': expected {}", want(path))))?,
        );
    }
    let raw = here.ok_or_else(|| (pointer.clone(), format!("expected {}", want(path))))?;
    let events: Vec<&RawValue> = serde_json::from_str(raw.get())
        .map_err(|_| (pointer.clone(), format!("'eventList' is not an array: expected {}", want(path))))?;
    Ok((pointer, events))
}

fn want(path: &[&str]) -> String {
    format!("{} holding an array of EPCIS events", path.join("."))
}

fn as_value(raw: &RawValue) -> Option<Value> {
    serde_json::from_str(raw.get()).ok()
}

/// Whether an expanded term is an EPCIS class or field (`X`, `epcis:X` expanded, or the IRI).
fn is_epcis_term(expanded: &str, term: &str) -> bool {
    expanded == term || expanded.strip_prefix("https://ref.gs1.org/epcis/") == Some(term)
}

/// JSON-LD prefixes, enough to read the compact IRIs documents use for extension fields and
/// master data attributes (`msadesk:productVersion`, `cbvmda:name`). The standard EPCIS context's
/// prefixes are built in because we do not fetch remote contexts.
struct Prefixes(HashMap<String, String>);

impl Prefixes {
    fn from_context(context: Option<&RawValue>) -> Self {
        let mut map: HashMap<String, String> = [
            ("cbvmda", CBV_MDA),
            ("cbv", "https://ref.gs1.org/cbv/"),
            ("epcis", "https://ref.gs1.org/epcis/"),
            ("gs1", "https://gs1.org/voc/"),
            ("msadesk", NAMESPACE),
        ]
        .into_iter()
        .map(|(p, iri)| (p.to_string(), iri.to_string()))
        .collect();
        let objects = match context.and_then(as_value) {
            Some(Value::Object(o)) => vec![o],
            Some(Value::Array(items)) => {
                items.into_iter().filter_map(|v| if let Value::Object(o) = v { Some(o) } else { None }).collect()
            }
            _ => Vec::new(),
        };
        for o in objects {
            for (prefix, iri) in o {
                // A term defined by an object ({"@id": …}) is a prefix too.
                let iri = match iri {
                    Value::String(s) => s,
                    Value::Object(mut d) => match d.remove("@id") {
                        Some(Value::String(s)) => s,
                        _ => continue,
                    },
                    _ => continue,
                };
                map.insert(prefix, iri);
            }
        }
        Prefixes(map)
    }

    /// `prefix:rest` with a known prefix becomes the full IRI; anything else is returned as it is.
    fn expand(&self, term: &str) -> String {
        if let Some((prefix, rest)) = term.split_once(':')
            && !rest.starts_with("//")
            && let Some(iri) = self.0.get(prefix)
        {
            return format!("{iri}{rest}");
        }
        term.to_string()
    }
}

/// Header master data: vocabulary elements by id, with their attributes by expanded id.
#[derive(Default)]
struct MasterData {
    elements: Vec<Element>,
    /// Element index by id and, for GLN-based ids, by the canonical GLN URI.
    by_id: HashMap<String, usize>,
}

struct Element {
    pointer: String,
    attributes: HashMap<String, String>,
}

impl MasterData {
    fn read(raw: &RawValue, prefixes: &Prefixes) -> Result<Self, (String, String)> {
        let mut md = MasterData::default();
        let header: Value =
            serde_json::from_str(raw.get()).map_err(|_| ("/epcisHeader".to_string(), "unreadable".to_string()))?;
        let not = |p: &str, what: &str| (p.to_string(), format!("expected {what} here (EPCIS master data)"));
        let header = header.as_object().ok_or_else(|| not("/epcisHeader", "an object"))?;
        let Some(mdata) = header.get("epcisMasterData") else {
            return Ok(md);
        };
        let mdata = mdata.as_object().ok_or_else(|| not("/epcisHeader/epcisMasterData", "an object"))?;
        let Some(list) = mdata.get("vocabularyList") else {
            return Ok(md);
        };
        let base = "/epcisHeader/epcisMasterData/vocabularyList";
        let list = list.as_array().ok_or_else(|| not(base, "an array of vocabularies"))?;
        for (v, vocabulary) in list.iter().enumerate() {
            let vp = format!("{base}/{v}");
            let vocabulary = vocabulary.as_object().ok_or_else(|| not(&vp, "a vocabulary object"))?;
            let Some(elements) = vocabulary.get("vocabularyElementList") else {
                continue;
            };
            let ep = format!("{vp}/vocabularyElementList");
            let elements = elements.as_array().ok_or_else(|| not(&ep, "an array of vocabulary elements"))?;
            for (e, element) in elements.iter().enumerate() {
                let pointer = format!("{ep}/{e}");
                let element = element.as_object().ok_or_else(|| not(&pointer, "a vocabulary element object"))?;
                let id = element
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| not(&format!("{pointer}/id"), "the element's id (a URI)"))?;
                let mut attributes = HashMap::new();
                if let Some(list) = element.get("attributes") {
                    let ap = format!("{pointer}/attributes");
                    for (a, attribute) in
                        list.as_array().ok_or_else(|| not(&ap, "an array of attributes"))?.iter().enumerate()
                    {
                        let attribute =
                            attribute.as_object().ok_or_else(|| not(&format!("{ap}/{a}"), "an attribute object"))?;
                        // Only text values carry what we read; other attributes (numbers,
                        // structured values) belong to other vocabularies and are ignored.
                        if let (Some(aid), Some(Value::String(value))) =
                            (attribute.get("id").and_then(Value::as_str), attribute.get("attribute"))
                        {
                            attributes.entry(prefixes.expand(aid)).or_insert_with(|| value.clone());
                        }
                    }
                }
                let index = md.elements.len();
                md.elements.push(Element { pointer, attributes });
                // The first element with an id wins, as a reader of a list would expect.
                md.by_id.entry(id.to_string()).or_insert(index);
                md.by_id.entry(canonical_party(id)).or_insert(index);
            }
        }
        Ok(md)
    }

    fn find(&self, id: &str) -> Option<&Element> {
        self.by_id.get(id).or_else(|| self.by_id.get(&canonical_party(id))).and_then(|&i| self.elements.get(i))
    }
}

/// Reads events one at a time against the document's master data.
struct EventReader<'a> {
    file: &'a str,
    ctx: &'a ImportContext,
    prefixes: &'a Prefixes,
    master: &'a MasterData,
    own: HashSet<String>,
}

/// The diagnostics of one event.
struct Problems<'a> {
    file: &'a str,
    base: &'a str,
    list: Vec<Diagnostic>,
}

impl Problems<'_> {
    /// A problem at `rel`, a pointer relative to the event (`/bizStep`).
    fn at(&mut self, rel: &str, field: &str, message: impl Into<String>) {
        let pointer = format!("{}{rel}", self.base);
        self.abs(&pointer, field, message);
    }
    /// A problem at an absolute pointer (master data).
    fn abs(&mut self, pointer: &str, field: &str, message: impl Into<String>) {
        let message = message.into();
        self.list.push(Diagnostic {
            file: self.file.to_string(),
            line: None,
            pointer: Some(pointer.to_string()),
            field: Some(field.to_string()),
            skipped: message.starts_with("not imported:"),
            message,
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Shipping,
    Receiving,
}

/// A product line of an event before grouping: what it is, how many, and where it was written.
struct Item {
    product: ProductId,
    lot: Option<String>,
    quantity: u64,
    pointer: String,
    field: &'static str,
}

impl EventReader<'_> {
    fn read(&self, index: usize, base: &str, raw: &RawValue, out: &mut Vec<Result<Row<SupplyEvent>, Diagnostic>>) {
        let mut p = Problems { file: self.file, base, list: Vec::new() };
        match self.event(&mut p, raw) {
            Some(events) if p.list.is_empty() => {
                out.extend(events.into_iter().map(|record| Ok(Row { line: index as u64 + 1, record })));
            }
            _ => {
                // Every refusal is meant to leave a reason; this guards against one that does not,
                // so that no event ever disappears without a word.
                if p.list.is_empty() {
                    p.at("", "event", "the event could not be read as a supply event");
                }
                out.extend(p.list.into_iter().map(Err));
            }
        }
    }

    /// The supply events of one EPCIS event, or `None` with the reasons in `p`.
    fn event(&self, p: &mut Problems, raw: &RawValue) -> Option<Vec<SupplyEvent>> {
        let value: Value = match serde_json::from_str(raw.get()) {
            Ok(v) => v,
            Err(err) => {
                // Syntax was checked with the document; what is left is nesting too deep to read.
                p.at("", "event", format!("the event cannot be read: {err}"));
                return None;
            }
        };
        let Some(e) = value.as_object() else {
            p.at("", "event", "the event is not a JSON object: expected an EPCIS event");
            return None;
        };
        // Extension fields by expanded name, so any prefix bound to our namespace works.
        let ext: HashMap<String, (&str, &Value)> =
            e.iter().map(|(k, v)| (self.prefixes.expand(k), (k.as_str(), v))).collect();

        let ty = e.get("type").or_else(|| e.get("@type")).and_then(Value::as_str).unwrap_or("");
        if !is_epcis_term(&self.prefixes.expand(ty), "ObjectEvent") {
            p.at(
                "/type",
                "type",
                format!("not imported: a '{ty}' is not a supply event (only ObjectEvents with bizStep shipping or receiving are)"),
            );
            return None;
        }
        if e.contains_key("errorDeclaration") {
            p.at(
                "/errorDeclaration",
                "errorDeclaration",
                "not imported: this event declares an earlier event erroneous; correct the registry's record of that event instead",
            );
            return None;
        }
        let step = self.biz_step(p, e)?;
        if e.get("action").and_then(Value::as_str) == Some("DELETE") {
            p.at("/action", "action", "action DELETE does not record a delivery: expected OBSERVE (or ADD)");
        }

        let date = self.date(p, e);
        let version_ext = ext.get(&format!("{NAMESPACE}productVersion"));
        let version = version_ext.and_then(|(key, v)| self.parse_ext(p, key, v, Version::parse));
        let role = match ext.get(&format!("{NAMESPACE}counterpartyRole")) {
            Some((key, v)) => self.parse_ext(p, key, v, OperatorRole::parse),
            None => Some(OperatorRole::Other),
        };
        let snapshot = match ext.get(&format!("{NAMESPACE}counterpartySnapshot")) {
            Some((key, v)) => self.parse_ext(p, key, v, |s| Ok::<_, msadesk_core::ValueError>(s.to_string())),
            None => None,
        };
        // A version given but invalid has its own diagnostic; do not also call it missing.
        let lines = self.products(p, e, version.as_ref(), version_ext.is_some());
        let reference = self.reference(p, e);
        let party = self.counterparty(p, e, step, snapshot.as_deref());

        let (date, role, lines, reference, (direction, counterparty, flipped)) =
            (date?, role?, lines?, reference?, party?);
        // A document written from the other side (our supplier's shipping event, or another
        // msadesk's export naming us as its counterparty): its counterparty role describes us,
        // not the party we are reading, so it does not apply.
        let role = if flipped { OperatorRole::Other } else { role };
        if !p.list.is_empty() {
            return None;
        }
        Some(
            lines
                .into_iter()
                .map(|(product_id, version, quantity)| SupplyEvent {
                    direction,
                    date,
                    product_id,
                    version,
                    quantity,
                    counterparty: counterparty.clone(),
                    counterparty_role: role,
                    reference: reference.clone(),
                })
                .collect(),
        )
    }

    fn parse_ext<T, E: std::fmt::Display>(
        &self,
        p: &mut Problems,
        key: &str,
        v: &Value,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Option<T> {
        let rel = format!("/{}", pointer_escape(key));
        match v.as_str().map(parse) {
            Some(Ok(t)) => Some(t),
            Some(Err(err)) => {
                p.at(&rel, key, format!("{err}"));
                None
            }
            None => {
                p.at(&rel, key, format!("'{key}' is not text: expected a string"));
                None
            }
        }
    }

    fn biz_step(&self, p: &mut Problems, e: &Map<String, Value>) -> Option<Step> {
        let Some(v) = e.get("bizStep") else {
            p.at(
                "",
                "bizStep",
                "not imported: the event has no bizStep; a supply event has bizStep shipping or receiving",
            );
            return None;
        };
        let Some(s) = v.as_str() else {
            p.at("/bizStep", "bizStep", "bizStep is not text: expected shipping or receiving");
            return None;
        };
        match cbv_word(&self.prefixes.expand(s), "bizstep", "BizStep") {
            Some("shipping") => Some(Step::Shipping),
            Some("receiving") => Some(Step::Receiving),
            _ => {
                p.at(
                    "/bizStep",
                    "bizStep",
                    format!("not imported: bizStep '{s}' is not a supply event; expected shipping or receiving (as a CBV word, URN or URI)"),
                );
                None
            }
        }
    }

    fn date(&self, p: &mut Problems, e: &Map<String, Value>) -> Option<Date> {
        let Some(time) = e.get("eventTime").and_then(Value::as_str) else {
            p.at(
                "/eventTime",
                "eventTime",
                "the event has no eventTime: expected a date-time such as 2026-03-31T12:00:00Z",
            );
            return None;
        };
        let (date, minutes, offset) = match parse_timestamp(time) {
            Ok(t) => t,
            Err(()) => {
                p.at(
                    "/eventTime",
                    "eventTime",
                    format!("'{time}' is not a date-time: expected RFC 3339 such as 2026-03-31T12:00:00Z"),
                );
                return None;
            }
        };
        let local_offset = match e.get("eventTimeZoneOffset") {
            None => offset,
            Some(v) => match v.as_str().and_then(parse_offset) {
                Some(o) => o,
                None => {
                    p.at(
                        "/eventTimeZoneOffset",
                        "eventTimeZoneOffset",
                        format!("{v} is not a time zone offset: expected +HH:MM or -HH:MM"),
                    );
                    return None;
                }
            },
        };
        let day_shift = i64::from(minutes - offset + local_offset).div_euclid(24 * 60);
        // Re-parse the shifted day so that the calendar bounds of `Date` still hold.
        match Date::parse(&date.plus_days(day_shift).to_string()) {
            Ok(d) => Some(d),
            Err(err) => {
                p.at("/eventTime", "eventTime", err.to_string());
                None
            }
        }
    }

    /// The event's (product, version, quantity) lines, equal products and versions added up.
    fn products(
        &self,
        p: &mut Problems,
        e: &Map<String, Value>,
        version: Option<&Version>,
        version_given: bool,
    ) -> Option<Vec<(ProductId, Version, u64)>> {
        let mut items = Vec::new();
        let mut ok = true;
        if let Some(list) = e.get("epcList") {
            match list.as_array() {
                Some(epcs) => {
                    // Thousands of serials of one product are common: count them per GTIN and
                    // lot first, so that an unknown GTIN is reported once, at its first EPC.
                    let mut groups: Vec<(String, Option<String>, u64, String)> = Vec::new();
                    for (k, epc) in epcs.iter().enumerate() {
                        let rel = format!("/epcList/{k}");
                        match epc.as_str().map(|s| (s, parse_instance(s))) {
                            Some((_, Ok((gtin, lot)))) => match groups.iter_mut().find(|g| g.0 == gtin && g.1 == lot) {
                                Some(group) => group.2 += 1,
                                None => groups.push((gtin, lot, 1, rel)),
                            },
                            Some((s, Err(msg))) => {
                                p.at(&rel, "epcList", format!("'{s}' {msg}"));
                                ok = false;
                            }
                            None => {
                                p.at(&rel, "epcList", "an EPC is not text: expected a URI");
                                ok = false;
                            }
                        }
                    }
                    for (gtin, lot, quantity, rel) in groups {
                        match self.product(p, &rel, "epcList", &gtin) {
                            Some(product) => {
                                items.push(Item { product, lot, quantity, pointer: rel, field: "epcList" })
                            }
                            None => ok = false,
                        }
                    }
                }
                None => {
                    p.at("/epcList", "epcList", "epcList is not an array: expected an array of EPC URIs");
                    ok = false;
                }
            }
        }
        if let Some(list) = e.get("quantityList") {
            match list.as_array() {
                Some(q) => {
                    for (k, element) in q.iter().enumerate() {
                        match self.quantity_element(p, element, &format!("/quantityList/{k}")) {
                            Some(item) => items.push(item),
                            None => ok = false,
                        }
                    }
                }
                None => {
                    p.at(
                        "/quantityList",
                        "quantityList",
                        "quantityList is not an array: expected [{\"epcClass\": …, \"quantity\": …}]",
                    );
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        if items.is_empty() {
            p.at(
                "",
                "quantityList",
                "the event lists no products: expected a quantityList or an epcList with the products delivered",
            );
            return None;
        }

        let mut lines: Vec<(ProductId, Version, u64)> = Vec::new();
        let mut unversioned: HashSet<ProductId> = HashSet::new();
        for item in items {
            let version = match (version, &item.lot) {
                (Some(v), _) => v.clone(),
                (None, Some(lot)) => match Version::parse(lot) {
                    Ok(v) => v,
                    Err(err) => {
                        p.at(&item.pointer, item.field, format!("the lot, read as the product version: {err}"));
                        continue;
                    }
                },
                (None, _) if version_given => continue,
                (None, None) => {
                    if !unversioned.insert(item.product.clone()) {
                        continue;
                    }
                    p.at(
                        &item.pointer,
                        item.field,
                        format!(
                            "no product version for product {}: expected the extension msadesk:productVersion ({NAMESPACE}productVersion) on the event, or a lot in the class or EPC",
                            item.product
                        ),
                    );
                    continue;
                }
            };
            match lines.iter_mut().find(|(pid, v, _)| *pid == item.product && *v == version) {
                Some(line) => match line.2.checked_add(item.quantity) {
                    Some(sum) if sum <= i64::MAX as u64 => line.2 = sum,
                    _ => p.at(
                        &item.pointer,
                        item.field,
                        "the quantities of this product add up to more than the registry can hold",
                    ),
                },
                None => lines.push((item.product, version, item.quantity)),
            }
        }
        p.list.is_empty().then_some(lines)
    }

    fn quantity_element(&self, p: &mut Problems, q: &Value, rel: &str) -> Option<Item> {
        let Some(q) = q.as_object() else {
            p.at(
                rel,
                "quantityList",
                "a quantity element is not an object: expected {\"epcClass\": …, \"quantity\": …}",
            );
            return None;
        };
        let class_rel = format!("{rel}/epcClass");
        let class = match q.get("epcClass").and_then(Value::as_str) {
            Some(c) => c,
            None => {
                p.at(&class_rel, "epcClass", "the quantity element has no epcClass: expected a product class URI");
                return None;
            }
        };
        let product_and_lot = match parse_class(class) {
            Ok(ClassId::Gtin(gtin, lot)) => self.product(p, &class_rel, "epcClass", &gtin).map(|pid| (pid, lot)),
            Ok(ClassId::Product(pid)) => Some((pid, None)),
            Err(msg) => {
                p.at(&class_rel, "epcClass", format!("'{class}' {msg}"));
                None
            }
        };
        let qty_rel = format!("{rel}/quantity");
        let quantity = match q.get("quantity") {
            None => {
                p.at(
                    &qty_rel,
                    "quantity",
                    "the quantity element has no quantity: expected a whole number of units, at least 1",
                );
                None
            }
            Some(v) => match whole_quantity(v) {
                Some(n) => Some(n),
                None => {
                    p.at(
                        &qty_rel,
                        "quantity",
                        format!("quantity {v} is not allowed: expected a whole number of units, at least 1"),
                    );
                    None
                }
            },
        };
        if let Some(uom) = q.get("uom") {
            // A count of items is written without uom; EA, C62 and H87 are the UN/CEFACT codes
            // for "each", "one" and "piece" that some systems write anyway.
            if !matches!(uom.as_str(), Some("EA" | "C62" | "H87")) {
                p.at(
                    &format!("{rel}/uom"),
                    "uom",
                    format!(
                        "unit of measure {uom} is not a count: expected a number of units (no uom, or EA, C62, H87)"
                    ),
                );
                return None;
            }
        }
        let (product, lot) = product_and_lot?;
        Some(Item { product, lot, quantity: quantity?, pointer: class_rel, field: "epcClass" })
    }

    fn product(&self, p: &mut Problems, rel: &str, field: &str, gtin14: &str) -> Option<ProductId> {
        let found = self.ctx.products_by_gtin.get(gtin14).cloned();
        if found.is_none() {
            p.at(
                rel,
                field,
                format!("GTIN {gtin14} is not in the product master data: import the product (with its GTIN) first"),
            );
        }
        found
    }

    /// `Some(None)` when there is no reference, `None` when the list is malformed.
    fn reference(&self, p: &mut Problems, e: &Map<String, Value>) -> Option<Option<String>> {
        let Some(list) = e.get("bizTransactionList") else {
            return Some(None);
        };
        let Some(list) = list.as_array() else {
            p.at(
                "/bizTransactionList",
                "bizTransactionList",
                "bizTransactionList is not an array: expected [{\"type\": …, \"bizTransaction\": …}]",
            );
            return None;
        };
        let mut entries = Vec::new();
        for (k, bt) in list.iter().enumerate() {
            match bt.get("bizTransaction").and_then(Value::as_str) {
                Some(uri) => {
                    let ty = bt.get("type").and_then(Value::as_str).map(|t| self.prefixes.expand(t));
                    entries.push((k, uri, ty.as_deref().and_then(|t| cbv_word(t, "btt", "BTT")).map(str::to_string)));
                }
                None => {
                    p.at(
                        &format!("/bizTransactionList/{k}/bizTransaction"),
                        "bizTransaction",
                        "the entry has no bizTransaction: expected a URI",
                    );
                    return None;
                }
            }
        }
        let rank = |(_, uri, ty): &(usize, &str, Option<String>)| {
            if starts_with_ignore_case(uri, REF_URN) {
                return 0;
            }
            match ty.as_deref() {
                Some("desadv") => 1,
                Some("inv") => 2,
                Some("bol") => 3,
                Some("po") => 4,
                Some("recadv") => 5,
                _ => 6,
            }
        };
        let Some((k, uri, _)) = entries.iter().min_by_key(|e| rank(e)) else {
            return Some(None);
        };
        let rel = format!("/bizTransactionList/{k}/bizTransaction");
        let text = if let Some(encoded) = urn_payload(uri, REF_URN) {
            match pct_decode(encoded) {
                Some(t) => t,
                None => {
                    p.at(
                        &rel,
                        "bizTransaction",
                        format!("'{uri}' is not a valid {REF_URN} URN: broken percent-encoding"),
                    );
                    return None;
                }
            }
        } else {
            uri.to_string()
        };
        match optional_text("reference", &text) {
            Ok(r) => Some(r),
            Err(err) => {
                p.at(&rel, "bizTransaction", err.message);
                None
            }
        }
    }

    /// The direction and the counterparty, with its master data.
    fn counterparty(
        &self,
        p: &mut Problems,
        e: &Map<String, Value>,
        step: Step,
        snapshot: Option<&str>,
    ) -> Option<(Direction, Party, bool)> {
        let sources = self.parties(p, e, "sourceList", "source")?;
        let destinations = self.parties(p, e, "destinationList", "destination")?;
        let ours = |list: &[(String, String)]| list.iter().any(|(uri, _)| self.own.contains(&canonical_party(uri)));
        let direction = match (ours(&sources), ours(&destinations)) {
            (true, false) => Direction::Supplied,
            (false, true) => Direction::Received,
            (false, false) if !sources.is_empty() && !destinations.is_empty() => {
                p.at(
                    "/sourceList",
                    "sourceList",
                    "neither source nor destination is us: a delivery between two other operators is not ours to record (if one of them is us, add its URI to the import's own parties)",
                );
                return None;
            }
            // Only one side named: the bizStep says which side the counterparty is on.
            (false, false) if step == Step::Shipping => Direction::Supplied,
            (false, false) => Direction::Received,
            (true, true) => {
                p.at(
                    "/sourceList",
                    "sourceList",
                    "we are both source and destination: a movement inside our own company is not a supply to or from another operator",
                );
                return None;
            }
        };
        let (list, rel_list, field) = match direction {
            Direction::Supplied => (&destinations, "/destinationList", "destination"),
            Direction::Received => (&sources, "/sourceList", "source"),
        };
        let others: Vec<&(String, String)> =
            list.iter().filter(|(uri, _)| !self.own.contains(&canonical_party(uri))).collect();
        let (uri, rel) = match others.as_slice() {
            [one] => (*one).clone(),
            [] => {
                p.at(
                    rel_list,
                    field,
                    format!(
                        "no counterparty: expected an owning_party in {} naming the operator {}",
                        &rel_list[1..],
                        match direction {
                            Direction::Supplied => "we supplied",
                            Direction::Received => "that supplied us",
                        }
                    ),
                );
                return None;
            }
            _ => {
                p.at(
                    rel_list,
                    field,
                    format!("{} names {} parties: expected exactly one counterparty", &rel_list[1..], others.len()),
                );
                return None;
            }
        };
        let flipped = (direction == Direction::Supplied) != (step == Step::Shipping);
        // A snapshot pointer written from the other side points at the writer's record of us.
        let snapshot = if flipped { None } else { snapshot };
        let party = self.party(p, &uri, &rel, field, snapshot)?;
        Some((direction, party, flipped))
    }

    /// The `(uri, pointer)` of the party entries of one list: owners, else possessors.
    fn parties(
        &self,
        p: &mut Problems,
        e: &Map<String, Value>,
        list: &str,
        key: &str,
    ) -> Option<Vec<(String, String)>> {
        let Some(v) = e.get(list) else {
            return Some(Vec::new());
        };
        let Some(entries) = v.as_array() else {
            p.at(
                &format!("/{list}"),
                list,
                format!("{list} is not an array: expected [{{\"type\": \"owning_party\", \"{key}\": …}}]"),
            );
            return None;
        };
        let mut owners = Vec::new();
        let mut possessors = Vec::new();
        for (k, entry) in entries.iter().enumerate() {
            let rel = format!("/{list}/{k}/{key}");
            let Some(uri) = entry.get(key).and_then(Value::as_str) else {
                p.at(&rel, key, format!("the entry has no {key}: expected a party or location URI"));
                return None;
            };
            let ty = entry.get("type").and_then(Value::as_str).map(|t| self.prefixes.expand(t));
            match ty.as_deref().and_then(|t| cbv_word(t, "sdt", "SDT")) {
                Some("owning_party") => owners.push((uri.to_string(), rel)),
                Some("possessing_party") => possessors.push((uri.to_string(), rel)),
                // Locations are places, not operators.
                _ => {}
            }
        }
        Some(if owners.is_empty() { possessors } else { owners })
    }

    fn party(&self, p: &mut Problems, uri: &str, rel: &str, field: &str, snapshot: Option<&str>) -> Option<Party> {
        let key = snapshot.unwrap_or(uri);
        let Some(element) = self.master.find(key) else {
            p.at(
                rel,
                field,
                format!(
                    "no master data for party {uri}{}: expected an element with id {key} in epcisHeader.epcisMasterData.vocabularyList giving its name ({CBV_MDA}name), address and country ({CBV_MDA}countryCode)",
                    snapshot.map(|s| format!(" (snapshot {s} named by msadesk:counterpartySnapshot)")).unwrap_or_default()
                ),
            );
            return None;
        };
        let attr = |name: &str| element.attributes.get(name).map(String::as_str).filter(|s| !s.trim().is_empty());
        let cbv = |name: &str| attr(&format!("{CBV_MDA}{name}"));
        let ns = |name: &str| attr(&format!("{NAMESPACE}{name}"));
        let at = element.pointer.as_str();
        let before = p.list.len();

        let name = cbv("name");
        // Our exact free text when we wrote the document; otherwise the CBV address parts, one
        // per line.
        let address = ns("address").map(str::to_string).or_else(|| {
            let city = [cbv("postalCode"), cbv("city")].into_iter().flatten().collect::<Vec<_>>().join(" ");
            let parts: Vec<&str> = [
                cbv("streetAddressOne"),
                cbv("streetAddressTwo"),
                cbv("streetAddressThree"),
                Some(city.as_str()),
                cbv("state"),
            ]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
            (!parts.is_empty()).then(|| parts.join("\n"))
        });
        let country = cbv("countryCode");
        let required = [
            ("name", name.is_some(), format!("{CBV_MDA}name")),
            ("address", address.is_some(), format!("{CBV_MDA}streetAddressOne (or {NAMESPACE}address)")),
            ("countryCode", country.is_some(), format!("{CBV_MDA}countryCode")),
        ];
        for (what, present, attribute) in required {
            if !present {
                p.abs(
                    at,
                    what,
                    format!("party {uri} has no {what} in its master data: expected the attribute {attribute}"),
                );
            }
        }

        // Each value is checked as the CSV importer checks it; a bad one names the attribute.
        let fail = |p: &mut Problems, what: &str, err: msadesk_core::ValueError| {
            p.abs(at, what, format!("party {uri}: {}", err.message));
        };
        let name = name.and_then(|n| required_text("name", n).map_err(|e| fail(p, "name", e)).ok());
        let address = address.and_then(|a| required_text("address", &a).map_err(|e| fail(p, "address", e)).ok());
        let country = country.and_then(|c| Country::parse(c).map_err(|e| fail(p, "countryCode", e)).ok());
        let email = ns("email").and_then(|v| Email::parse(v).map_err(|e| fail(p, "email", e)).ok());
        let phone = ns("phone").and_then(|v| optional_text("phone", v).map_err(|e| fail(p, "phone", e)).ok().flatten());
        let vat = ns("vat").and_then(|v| optional_text("vat", v).map_err(|e| fail(p, "vat", e)).ok().flatten());
        let gln = gln_of(uri).and_then(|g| Gln::parse(&g).ok());
        // Our URNs carry the id (another msadesk's own party URN carries its name); failing
        // that, the GLN is the most stable identifier, and the URI itself the last resort.
        let encoded = urn_payload(uri, OPERATOR_URN).or_else(|| urn_payload(uri, ORG_URN));
        let id_text = match (ns("operatorId"), encoded) {
            (Some(id), _) => Some(id.to_string()),
            (None, Some(encoded)) => pct_decode(encoded),
            (None, None) => Some(gln.as_ref().map_or_else(|| uri.to_string(), |g| g.as_str().to_string())),
        };
        let id = match id_text {
            Some(text) => OperatorId::parse(&text).map_err(|e| fail(p, "operatorId", e)).ok(),
            None => {
                p.at(rel, field, format!("the operator id in '{uri}' has broken percent-encoding"));
                None
            }
        };
        if p.list.len() > before {
            return None;
        }
        Some(Party { id: id?, name: name?, address: address?, country: country?, email, phone, gln, vat })
    }
}

// ---------------------------------------------------------------------------------------------
// Identifiers and times
// ---------------------------------------------------------------------------------------------

fn gln_uri(gln: &str) -> String {
    format!("https://id.gs1.org/417/{gln}")
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// What follows `prefix` (compared case-insensitively, as URN schemes and NIDs are).
fn urn_payload<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    if starts_with_ignore_case(s, prefix) { s.get(prefix.len()..) } else { None }
}

/// The CBV word of a value written bare, as a CBV 1.x URN or as a CBV 2.0 web URI; `None` for
/// any other URI (a private vocabulary).
fn cbv_word<'s>(value: &'s str, urn_kind: &str, web_kind: &str) -> Option<&'s str> {
    if !value.contains(':') {
        return Some(value);
    }
    if let Some(word) = urn_payload(value, &format!("urn:epcglobal:cbv:{urn_kind}:")) {
        return Some(word);
    }
    for host in
        ["https://ref.gs1.org/cbv/", "http://ref.gs1.org/cbv/", "https://ns.gs1.org/cbv/", "http://ns.gs1.org/cbv/"]
    {
        if let Some(word) =
            value.strip_prefix(host).and_then(|rest| rest.strip_prefix(web_kind)).and_then(|r| r.strip_prefix('-'))
        {
            return Some(word);
        }
    }
    None
}

fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Strict percent-decoding: every `%` starts two hex digits and the result is UTF-8.
fn pct_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = char::from(*b.get(i + 1)?).to_digit(16)?;
            let lo = char::from(*b.get(i + 2)?).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The GS1 check digit of the digits in `body` (weights 3, 1, 3… from the right).
fn gs1_check_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d.saturating_sub(b'0')) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    char::from_digit((10 - sum % 10) % 10, 10).unwrap_or('0')
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// GTIN-14 from an EPC URN's company prefix and item reference (indicator digit first).
fn gtin_from_epc(company_prefix: &str, item_ref: &str) -> Option<String> {
    if !all_digits(company_prefix)
        || !all_digits(item_ref)
        || company_prefix.len() + item_ref.len() != 13
        || !(6..=12).contains(&company_prefix.len())
    {
        return None;
    }
    let body = format!("{}{company_prefix}{}", &item_ref[..1], &item_ref[1..]);
    let check = gs1_check_digit(&body);
    Some(format!("{body}{check}"))
}

/// GLN from an EPC URN's company prefix and location reference.
fn gln_from_epc(company_prefix: &str, location_ref: &str) -> Option<String> {
    if !all_digits(company_prefix)
        || company_prefix.len() + location_ref.len() != 12
        || !(location_ref.is_empty() || all_digits(location_ref))
    {
        return None;
    }
    let body = format!("{company_prefix}{location_ref}");
    let check = gs1_check_digit(&body);
    Some(format!("{body}{check}"))
}

/// The key/value segments of a GS1 Digital Link URI's path (`/01/…/10/…`), after the first primary
/// key `key`; `None` when `uri` is not a Digital Link with that key.
fn digital_link<'s>(uri: &'s str, keys: &[&str]) -> Option<(&'s str, Vec<(&'s str, &'s str)>)> {
    let rest = uri.strip_prefix("https://").or_else(|| uri.strip_prefix("http://"))?;
    let path = rest.split(['?', '#']).next()?;
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    // A Digital Link may sit under a path prefix on the resolver; find the primary key.
    let start = segments.windows(2).position(|w| keys.contains(&w[0]) && all_digits(w[1]))?;
    let value = segments[start + 1];
    let pairs =
        segments[start + 2..].chunks(2).filter_map(|c| if let [k, v] = c { Some((*k, *v)) } else { None }).collect();
    Some((value, pairs))
}

/// A GTIN of 8, 12, 13 or 14 digits with a valid check digit, as GTIN-14.
fn gtin14(digits: &str) -> Option<String> {
    Gtin::parse(digits).ok().map(|g| g.to_gtin14())
}

enum ClassId {
    Gtin(String, Option<String>),
    Product(ProductId),
}

const CLASS_EXPECTED: &str = "is not a product class we can read: expected a GS1 Digital Link with a GTIN (https://id.gs1.org/01/…), urn:epc:class:lgtin:…, urn:epc:idpat:sgtin:… or urn:msadesk:product:…";

/// A `quantityList` class: GTIN-14 and lot, or one of our product URNs.
fn parse_class(uri: &str) -> Result<ClassId, String> {
    if let Some(encoded) = urn_payload(uri, PRODUCT_URN) {
        let id = pct_decode(encoded).ok_or_else(|| "has broken percent-encoding".to_string())?;
        return ProductId::parse(&id)
            .map(ClassId::Product)
            .map_err(|e| format!("does not carry a product id: {}", e.message));
    }
    for prefix in ["urn:epc:class:lgtin:", "urn:epc:idpat:sgtin:"] {
        if let Some(rest) = urn_payload(uri, prefix) {
            let mut parts = rest.splitn(3, '.');
            let (cp, item, tail) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next());
            let gtin = gtin_from_epc(cp, item)
                .ok_or_else(|| "has no valid company prefix and item reference (together 13 digits)".to_string())?;
            let lot = match (prefix, tail) {
                ("urn:epc:class:lgtin:", Some(lot)) => {
                    Some(pct_decode(lot).ok_or_else(|| "has a lot with broken percent-encoding".to_string())?)
                }
                ("urn:epc:class:lgtin:", None) => {
                    return Err("has no lot: expected urn:epc:class:lgtin:CompanyPrefix.ItemRef.Lot".into());
                }
                _ => None,
            };
            return Ok(ClassId::Gtin(gtin, lot));
        }
    }
    if let Some((gtin, pairs)) = digital_link(uri, &["01"]) {
        let gtin = gtin14(gtin).ok_or_else(|| "has no valid GTIN after /01/ (check digit or length)".to_string())?;
        let lot = lot_of(&pairs)?;
        return Ok(ClassId::Gtin(gtin, lot));
    }
    Err(CLASS_EXPECTED.into())
}

/// An `epcList` entry: the GTIN-14 and lot of one item instance.
fn parse_instance(uri: &str) -> Result<(String, Option<String>), String> {
    if let Some(rest) = urn_payload(uri, "urn:epc:id:sgtin:") {
        let mut parts = rest.splitn(3, '.');
        let (cp, item) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let gtin = gtin_from_epc(cp, item)
            .ok_or_else(|| "has no valid company prefix and item reference (together 13 digits)".to_string())?;
        return Ok((gtin, None));
    }
    if let Some((gtin, pairs)) = digital_link(uri, &["01"]) {
        let gtin = gtin14(gtin).ok_or_else(|| "has no valid GTIN after /01/ (check digit or length)".to_string())?;
        return Ok((gtin, lot_of(&pairs)?));
    }
    if starts_with_ignore_case(uri, "urn:epc:id:sscc:") || digital_link(uri, &["00"]).is_some() {
        return Err(
            "is a logistic unit (SSCC), not a product: expected the trade items (urn:epc:id:sgtin:… or a quantityList)"
                .into(),
        );
    }
    Err("is not an item we can read: expected urn:epc:id:sgtin:CompanyPrefix.ItemRef.Serial or a GS1 Digital Link with /01/GTIN".into())
}

fn lot_of(pairs: &[(&str, &str)]) -> Result<Option<String>, String> {
    match pairs.iter().find(|(k, _)| *k == "10") {
        Some((_, lot)) => pct_decode(lot).map(Some).ok_or_else(|| "has a lot with broken percent-encoding".to_string()),
        None => Ok(None),
    }
}

/// The GLN of a GLN-based party or location URI.
fn gln_of(uri: &str) -> Option<String> {
    for prefix in ["urn:epc:id:pgln:", "urn:epc:id:sgln:"] {
        if let Some(rest) = urn_payload(uri, prefix) {
            let mut parts = rest.split('.');
            return gln_from_epc(parts.next()?, parts.next()?);
        }
    }
    let (gln, _) = digital_link(uri, &["417", "414"])?;
    Gln::parse(gln).ok().map(|g| g.as_str().to_string())
}

/// GLN-based party URIs in one form, so that a PGLN URN and a Digital Link of the same GLN match.
fn canonical_party(uri: &str) -> String {
    gln_of(uri).map_or_else(|| uri.to_string(), |g| gln_uri(&g))
}

/// A whole, positive JSON number of units (`5` or `5.0`).
fn whole_quantity(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return (1..=i64::MAX as u64).contains(&n).then_some(n);
    }
    let f = v.as_f64()?;
    // Beyond 2^53 a float no longer holds whole numbers exactly.
    (f >= 1.0 && f.fract() == 0.0 && f <= 9_007_199_254_740_992.0).then_some(f as u64)
}

/// `±HH:MM` in minutes; `Z` for zero.
fn parse_offset(s: &str) -> Option<i32> {
    if s == "Z" || s == "z" {
        return Some(0);
    }
    let b = s.as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = two_digits(b, 1)?;
    let m = two_digits(b, 4)?;
    (h <= 14 && m <= 59).then_some(sign * (h * 60 + m))
}

fn two_digits(b: &[u8], at: usize) -> Option<i32> {
    let (x, y) = (*b.get(at)?, *b.get(at + 1)?);
    (x.is_ascii_digit() && y.is_ascii_digit()).then(|| i32::from(x - b'0') * 10 + i32::from(y - b'0'))
}

/// An RFC 3339 date-time: its date, its time of day in minutes, and its offset in minutes.
fn parse_timestamp(s: &str) -> Result<(Date, i32, i32), ()> {
    let b = s.as_bytes();
    if b.len() < 20 || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return Err(());
    }
    let date = Date::parse(s.get(..10).ok_or(())?).map_err(|_| ())?;
    let (h, m, sec) = (two_digits(b, 11).ok_or(())?, two_digits(b, 14).ok_or(())?, two_digits(b, 17).ok_or(())?);
    if h > 23 || m > 59 || sec > 60 {
        return Err(());
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(());
        }
    }
    let offset = parse_offset(s.get(i..).ok_or(())?).ok_or(())?;
    Ok((date, h * 60 + m, offset))
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The events of a read document as a [`RowSource`] for the store, with the same policy as the CSV
/// importer: atomic by default (after an invalid event nothing more is passed on and the commit is
/// refused), or skipping invalid events. Events that are deliberately not imported (not supply
/// events) are kept as diagnostics but never block the import.
pub struct EpcisSource {
    items: std::vec::IntoIter<Result<Row<SupplyEvent>, Diagnostic>>,
    skip_invalid: bool,
    invalid: u64,
    diagnostics: Vec<Diagnostic>,
}

impl EpcisSource {
    pub fn new(items: Vec<Result<Row<SupplyEvent>, Diagnostic>>, skip_invalid: bool) -> Self {
        EpcisSource { items: items.into_iter(), skip_invalid, invalid: 0, diagnostics: Vec::new() }
    }

    /// Events that were invalid (not counting those deliberately not imported).
    pub fn invalid(&self) -> u64 {
        self.invalid
    }

    /// The first [`msadesk_store::MAX_MESSAGES`] diagnostics, warnings included.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

impl msadesk_store::RowSource<SupplyEvent> for EpcisSource {
    fn next_row(&mut self) -> Option<Row<SupplyEvent>> {
        for item in self.items.by_ref() {
            match item {
                Ok(row) if self.invalid == 0 || self.skip_invalid => return Some(row),
                Ok(_) => {}
                Err(d) => {
                    if !d.skipped {
                        self.invalid += 1;
                    }
                    if self.diagnostics.len() < msadesk_store::MAX_MESSAGES {
                        self.diagnostics.push(d);
                    }
                }
            }
        }
        None
    }

    fn commit_allowed(&self) -> bool {
        self.invalid == 0 || self.skip_invalid
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn epc_urns_become_gtin14_with_check_digit() {
        // GS1's own example: company prefix 0614141, item reference 812345 → GTIN 80614141123458.
        assert_eq!(gtin_from_epc("0614141", "812345").as_deref(), Some("80614141123458"));
        assert_eq!(gtin_from_epc("4006381", "033393").as_deref(), Some("04006381333931"));
        assert_eq!(gtin_from_epc("0614141", "81234"), None);
        assert_eq!(gln_from_epc("0614141", "00001").as_deref(), Some("0614141000012"));
        assert_eq!(gln_of("urn:epc:id:pgln:0614141.00001").as_deref(), Some("0614141000012"));
        assert_eq!(gln_of("https://id.gs1.org/417/4012345000009").as_deref(), Some("4012345000009"));
    }

    #[test]
    fn percent_encoding_round_trips_and_rejects_garbage() {
        for s in ["a b", "Müller/ÄÖ%", "x:y#z?", "ok-._~"] {
            assert_eq!(pct_decode(&pct_encode(s)).as_deref(), Some(s));
        }
        assert_eq!(pct_decode("%"), None);
        assert_eq!(pct_decode("%G1"), None);
        assert_eq!(pct_decode("%+1"), None);
        assert_eq!(pct_decode("%FF"), None);
    }

    #[test]
    fn timestamps_and_local_days() {
        let (d, min, off) = parse_timestamp("2026-03-31T23:30:00.123Z").unwrap();
        assert_eq!((d.to_string(), min, off), ("2026-03-31".into(), 23 * 60 + 30, 0));
        assert!(parse_timestamp("2026-03-31T23:30:00").is_err());
        assert!(parse_timestamp("2026-03-31T24:30:00Z").is_err());
        assert!(parse_timestamp("2026-03-31Tää:30:00Z").is_err());
        assert_eq!(parse_offset("-05:30"), Some(-330));
        assert_eq!(parse_offset("+15:00"), None);
    }
}
