//! The CSV importers: quoting, UTF-8, header handling, diagnostics and the two invalid-row policies.

#![allow(clippy::unwrap_used)]

use msadesk_core::{Direction, OperatorRole, OurRole, ProductRecord, SupplyEvent};
use msadesk_formats::Diagnostic;
use msadesk_formats::csv_export::{ProductCsvWriter, SupplyCsvWriter};
use msadesk_formats::csv_import::{CsvSource, OnInvalid};
use msadesk_store::{Row, RowSource};

const HEADER: &str = "direction,date,product_id,version,quantity,counterparty_id,counterparty_name,counterparty_address,counterparty_country,counterparty_email,counterparty_role,reference\n";

fn read_all<T: msadesk_formats::csv_import::CsvRecord>(
    input: &str,
    on_invalid: OnInvalid<'_>,
) -> (Vec<Row<T>>, Vec<Diagnostic>, bool) {
    let mut src: CsvSource<'_, _, T> = CsvSource::new(input.as_bytes(), "in.csv", on_invalid).expect("header");
    let mut rows = Vec::new();
    while let Some(r) = src.next_row() {
        rows.push(r);
    }
    let ok = src.commit_allowed();
    (rows, src.diagnostics().to_vec(), ok)
}

#[test]
fn quoting_utf8_bom_and_multiline_fields() {
    let input = format!(
        "\u{feff}{HEADER}supplied,2026-03-01,P-1,1.0,5,C-1,\"Łódź \"\"Elektro\"\", Sp. z o.o.\",\"ul. Długa 1\n90-001 Łódź\",pl,biuro@lodz.example,distributor,\"INV,1\"\nreceived,2024-02-29,P-1,1.0,100,M-1,Müller & Söhne GmbH,Straße 1,DE,,manufacturer,\n"
    );
    let (rows, diags, ok) = read_all::<SupplyEvent>(&input, OnInvalid::RejectFile);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(ok);
    assert_eq!(rows.len(), 2);
    let e = &rows[0].record;
    assert_eq!(rows[0].line, 2);
    assert_eq!(e.counterparty.name, "Łódź \"Elektro\", Sp. z o.o.");
    assert_eq!(e.counterparty.address, "ul. Długa 1\n90-001 Łódź");
    assert_eq!(e.counterparty.country.as_str(), "PL");
    assert_eq!(e.reference.as_deref(), Some("INV,1"));
    assert_eq!(e.direction, Direction::Supplied);
    // The second record starts on line 4: the quoted address spans two lines.
    assert_eq!(rows[1].line, 4);
    let m = &rows[1].record;
    assert_eq!(
        (m.quantity, m.counterparty_role, m.reference.clone(), m.counterparty.email.clone()),
        (100, OperatorRole::Manufacturer, None, None)
    );
    assert_eq!(m.date.to_string(), "2024-02-29");
}

#[test]
fn headers_in_any_order_any_case_with_extra_columns() {
    let input = "Reference,EXTRA,quantity,direction,date,product_id,version,counterparty_id,counterparty_name,counterparty_address,counterparty_country,counterparty_email,Counterparty_Role\nR-1,ignored,3,supplied,2026-01-01,P,1,C,Name,Addr,FR,,other\n";
    let (rows, diags, _) = read_all::<SupplyEvent>(input, OnInvalid::RejectFile);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(rows[0].record.quantity, 3);
    assert_eq!(rows[0].record.reference.as_deref(), Some("R-1"));
}

#[test]
fn a_missing_column_is_refused_before_reading_rows() {
    let err = CsvSource::<_, SupplyEvent>::new(
        "direction,date\nsupplied,2026-01-01\n".as_bytes(),
        "in.csv",
        OnInvalid::RejectFile,
    )
    .err()
    .expect("must fail");
    assert_eq!(err.line, Some(1));
    assert!(err.message.contains("missing columns product_id, version"), "{}", err.message);
    assert!(err.to_string().starts_with("in.csv:1: missing columns"), "{err}");
}

#[test]
fn invalid_rows_name_line_column_and_expectation() {
    let input = format!(
        "{HEADER}supplied,2026-01-01,P,1,5,C,Name,Addr,FR,,distributor,ok\nsideways,2026-02-30,P,1,-3,C,,Addr,XX,not-an-email,retailer,R\nsupplied,2026-01-01,P,1,5,C,Name,Addr,FR,,distributor,ok2\n"
    );
    let (rows, diags, ok) = read_all::<SupplyEvent>(&input, OnInvalid::RejectFile);
    assert!(!ok, "atomic import must not commit");
    // The valid first row was passed on before the bad one was met; nothing after it is.
    assert_eq!(rows.len(), 1);
    let by_field: Vec<(Option<u64>, &str)> = diags.iter().map(|d| (d.line, d.field.as_deref().unwrap_or(""))).collect();
    assert_eq!(
        by_field,
        [
            (Some(3), "direction"),
            (Some(3), "date"),
            (Some(3), "quantity"),
            (Some(3), "counterparty_name"),
            (Some(3), "counterparty_country"),
            (Some(3), "counterparty_email"),
            (Some(3), "counterparty_role")
        ]
    );
    let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert!(text[0].starts_with("in.csv:3: column 'direction': 'sideways' is not a direction"), "{}", text[0]);
    assert!(text[1].contains("expected YYYY-MM-DD"), "{}", text[1]);
    assert!(text[2].contains("at least 1"), "{}", text[2]);
    assert!(text[4].contains("ISO 3166-1 alpha-2"), "{}", text[4]);
}

#[test]
fn skip_invalid_passes_valid_rows_on_and_writes_the_rejected_ones() {
    let input = format!(
        "{HEADER}supplied,2026-01-01,P,1,5,C,Name,Addr,FR,,distributor,a\nsupplied,bad,P,1,5,C,Name,Addr,FR,,distributor,b\nsupplied,2026-01-02,P,1,5,C,Name,Addr,FR,,distributor,c\n"
    );
    let mut rejected = Vec::new();
    let (rows, diags, ok) = read_all::<SupplyEvent>(&input, OnInvalid::Skip(Box::new(&mut rejected)));
    assert!(ok);
    assert_eq!(rows.iter().map(|r| r.record.reference.clone().unwrap_or_default()).collect::<Vec<_>>(), ["a", "c"]);
    assert_eq!(diags.len(), 1);
    let text = String::from_utf8(rejected).expect("utf-8");
    let mut lines = text.lines();
    assert!(lines.next().expect("header").starts_with("line,error,direction,date"));
    let row = lines.next().expect("rejected row");
    assert!(row.starts_with("3,date: 'bad' is not a date"), "{row}");
    assert!(row.ends_with(",b"), "{row}");
    assert_eq!(lines.next(), None);
}

#[test]
fn text_that_is_not_utf8_is_a_row_error() {
    let mut input = HEADER.as_bytes().to_vec();
    input.extend_from_slice(b"supplied,2026-01-01,P,1,5,C,M\xfcller,Addr,DE,,distributor,a\n");
    let mut src: CsvSource<'_, _, SupplyEvent> =
        CsvSource::new(&input[..], "latin1.csv", OnInvalid::RejectFile).expect("header");
    assert!(src.next_row().is_none());
    assert!(!src.commit_allowed());
    let d = &src.diagnostics()[0];
    assert_eq!(d.line, Some(2));
    assert!(d.message.contains("not UTF-8"), "{}", d.message);
}

#[test]
fn blank_lines_are_skipped_and_short_rows_are_diagnosed() {
    let input = format!("{HEADER}\nsupplied,2026-01-01,P\n");
    let (rows, diags, ok) = read_all::<SupplyEvent>(&input, OnInvalid::RejectFile);
    assert!(rows.is_empty() && !ok);
    assert!(diags.iter().any(|d| d.field.as_deref() == Some("version")));
}

#[test]
fn products_csv_with_optional_columns() {
    let input = "product_id,product_name,version,manufacturer_id,manufacturer_name,manufacturer_address,manufacturer_country,manufacturer_email,placed_on_market,end_of_support,gtin,our_role\n\
P-1,Camera,1.0,M-1,Maker,Addr,DE,a@b.eu,2026-01-01,2031-01-01,4006381333931,distributor\n\
P-1,Camera,2.0,M-1,Maker,Addr,DE,a@b.eu,,,,\n\
P-2,Plug,1.0,M-1,Maker,Addr,DE,a@b.eu,2026-01-01,2025-01-01,123,boss\n";
    let (rows, diags, ok): (Vec<Row<ProductRecord>>, _, _) = read_all(input, OnInvalid::RejectFile);
    assert!(!ok);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].record.our_role, Some(OurRole::Distributor));
    assert_eq!(rows[0].record.gtin.as_ref().map(|g| g.as_str()), Some("4006381333931"));
    assert_eq!(rows[1].record.placed_on_market, None);
    let fields: Vec<&str> = diags.iter().map(|d| d.field.as_deref().unwrap_or("")).collect();
    assert_eq!(fields, ["end_of_support", "gtin", "our_role"]);
}

#[test]
fn export_then_import_gives_the_same_records() {
    let events: Vec<SupplyEvent> = {
        let input = format!(
            "{HEADER}supplied,2026-03-01,P-1,1.0,5,C-1,\"A, \"\"B\"\"\",\"x\ny\",PL,a@b.eu,distributor,\"R,1\"\nreceived,2024-02-29,P-1,1.0,100,M-1,Müller,S 1,DE,,manufacturer,\n"
        );
        read_all::<SupplyEvent>(&input, OnInvalid::RejectFile).0.into_iter().map(|r| r.record).collect()
    };
    let mut w = SupplyCsvWriter::new(Vec::new()).expect("writer");
    for e in &events {
        w.write(e).expect("write");
    }
    let bytes = w.finish().expect("finish");
    let text = String::from_utf8(bytes).expect("utf-8");
    let again: Vec<SupplyEvent> =
        read_all::<SupplyEvent>(&text, OnInvalid::RejectFile).0.into_iter().map(|r| r.record).collect();
    assert_eq!(again, events);

    let products: Vec<ProductRecord> = read_all::<ProductRecord>(
        "product_id,product_name,version,manufacturer_id,manufacturer_name,manufacturer_address,manufacturer_country,manufacturer_email,placed_on_market,end_of_support,gtin\nP,N,1,M,Maker,A,DE,,2026-01-01,,4006381333931\n",
        OnInvalid::RejectFile,
    )
    .0
    .into_iter()
    .map(|r| r.record)
    .collect();
    let mut w = ProductCsvWriter::new(Vec::new()).expect("writer");
    w.write(&products[0]).expect("write");
    let text = String::from_utf8(w.finish().expect("finish")).expect("utf-8");
    let again: Vec<ProductRecord> =
        read_all::<ProductRecord>(&text, OnInvalid::RejectFile).0.into_iter().map(|r| r.record).collect();
    assert_eq!(again, products);
}

#[test]
fn garbage_never_panics() {
    let samples: [&[u8]; 6] =
        [b"", b"\n\n\n", b"\"unterminated", b"direction\n\"", &[0xff, 0xfe, 0x00, 0x41], b",,,,,,,,,,,,,\n,,,"];
    for s in samples {
        if let Ok(mut src) = CsvSource::<_, SupplyEvent>::new(s, "g.csv", OnInvalid::RejectFile) {
            while src.next_row().is_some() {}
        }
    }
    let valid = format!("{HEADER}supplied,2026-01-01,P,1,5,C,Name,Addr,FR,,distributor,a\n");
    for cut in 0..valid.len() {
        if let Ok(mut src) = CsvSource::<_, SupplyEvent>::new(&valid.as_bytes()[..cut], "g.csv", OnInvalid::RejectFile)
        {
            while src.next_row().is_some() {}
        }
    }
}
