//! CSV importers for product master data and supply events.
//!
//! A [`CsvSource`] reads a CSV file row by row (memory does not grow with the file), turns each row
//! into a core record or into diagnostics naming line and column, and is handed to a store as a
//! [`RowSource`]. Header names are matched case-insensitively in any order; extra columns are ignored;
//! a UTF-8 byte order mark is skipped; quoting follows RFC 4180.
//!
//! Two policies: *atomic* (the default) — after the first invalid row no record is passed on, the rest
//! of the file is still read so that every problem is reported at once, and the store is told not to
//! commit; *skip invalid* — valid rows are imported and each rejected row is written, with its reason,
//! to a separate CSV the caller provides.

use std::collections::HashMap;
use std::io::{Read, Write};

use msadesk_core::{
    Country, Date, Direction, Email, Gln, Gtin, OperatorId, OperatorRole, OurRole, Party, ProductId, ProductRecord,
    SupplyEvent, ValueError, Version, optional_text, parse_quantity, required_text,
};
use msadesk_store::{MAX_MESSAGES, Row, RowSource};

use crate::Diagnostic;

/// Columns of the supply CSV: (name, required).
pub const SUPPLY_COLUMNS: &[(&str, bool)] = &[
    ("direction", true),
    ("date", true),
    ("product_id", true),
    ("version", true),
    ("quantity", true),
    ("counterparty_id", true),
    ("counterparty_name", true),
    ("counterparty_address", true),
    ("counterparty_country", true),
    ("counterparty_email", true),
    ("counterparty_role", true),
    ("reference", true),
    ("counterparty_phone", false),
    ("counterparty_gln", false),
    ("counterparty_vat", false),
];

/// Columns of the products CSV: (name, required).
pub const PRODUCT_COLUMNS: &[(&str, bool)] = &[
    ("product_id", true),
    ("product_name", true),
    ("version", true),
    ("manufacturer_id", true),
    ("manufacturer_name", true),
    ("manufacturer_address", true),
    ("manufacturer_country", true),
    ("manufacturer_email", true),
    ("placed_on_market", true),
    ("end_of_support", true),
    ("gtin", false),
    ("our_role", false),
    ("manufacturer_phone", false),
    ("manufacturer_gln", false),
    ("manufacturer_vat", false),
];

/// A record kind the CSV importer can read.
pub trait CsvRecord: Sized {
    const COLUMNS: &'static [(&'static str, bool)];
    /// Builds the record from a row, or returns one message per bad field.
    fn from_row(row: &Fields<'_>) -> Result<Self, Vec<(String, String)>>;
}

/// Access to one row's fields by column name.
pub struct Fields<'a> {
    record: &'a csv::StringRecord,
    index: &'a HashMap<&'static str, usize>,
}

impl Fields<'_> {
    /// The trimmed value of a column; empty when the column is absent or the row is short.
    pub fn get(&self, column: &str) -> &str {
        self.index.get(column).and_then(|&i| self.record.get(i)).map_or("", str::trim)
    }
}

/// Collects per-field errors of one row so a row reports every bad field at once.
struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    fn take<T>(&mut self, column: &str, r: Result<T, ValueError>) -> Option<T> {
        r.map_err(|e| self.0.push((column.to_string(), e.message))).ok()
    }
    fn required<'a>(&mut self, f: &'a Fields<'_>, column: &str) -> Option<&'a str> {
        let v = f.get(column);
        if v.is_empty() {
            self.0.push((column.to_string(), "is empty: a value is required".into()));
            None
        } else {
            Some(v)
        }
    }
}

fn optional<T>(
    errs: &mut FieldErrors,
    f: &Fields<'_>,
    column: &str,
    parse: impl Fn(&str) -> Result<T, ValueError>,
) -> Option<T> {
    let v = f.get(column);
    if v.is_empty() { None } else { errs.take(column, parse(v)) }
}

/// Reads a party from the columns `{prefix}_id`, `_name`, `_address`, `_country`, `_email`, `_phone`,
/// `_gln`, `_vat`.
/// The eight column names of a party with a given prefix (`counterparty_…`, `manufacturer_…`),
/// spelled out once: a supply import reads them for every row.
struct PartyColumns {
    id: &'static str,
    name: &'static str,
    address: &'static str,
    country: &'static str,
    email: &'static str,
    phone: &'static str,
    gln: &'static str,
    vat: &'static str,
}

macro_rules! party_columns {
    ($prefix:literal) => {
        PartyColumns {
            id: concat!($prefix, "_id"),
            name: concat!($prefix, "_name"),
            address: concat!($prefix, "_address"),
            country: concat!($prefix, "_country"),
            email: concat!($prefix, "_email"),
            phone: concat!($prefix, "_phone"),
            gln: concat!($prefix, "_gln"),
            vat: concat!($prefix, "_vat"),
        }
    };
}

const COUNTERPARTY: PartyColumns = party_columns!("counterparty");
const MANUFACTURER: PartyColumns = party_columns!("manufacturer");

fn party(errs: &mut FieldErrors, f: &Fields<'_>, c: &PartyColumns) -> Option<Party> {
    let id = errs.take(c.id, OperatorId::parse(f.get(c.id)));
    let name = errs.take(c.name, required_text(c.name, f.get(c.name)));
    let address = errs.take(c.address, required_text(c.address, f.get(c.address)));
    let country = errs.take(c.country, Country::parse(f.get(c.country)));
    let email = optional(errs, f, c.email, Email::parse);
    let phone = errs.take(c.phone, optional_text(c.phone, f.get(c.phone))).flatten();
    let gln = optional(errs, f, c.gln, Gln::parse);
    let vat = errs.take(c.vat, optional_text(c.vat, f.get(c.vat))).flatten();
    Some(Party { id: id?, name: name?, address: address?, country: country?, email, phone, gln, vat })
}

impl CsvRecord for SupplyEvent {
    const COLUMNS: &'static [(&'static str, bool)] = SUPPLY_COLUMNS;

    fn from_row(f: &Fields<'_>) -> Result<Self, Vec<(String, String)>> {
        let mut e = FieldErrors(Vec::new());
        let direction = e.take("direction", Direction::parse(f.get("direction")));
        let date = e
            .required(f, "date")
            .and_then(|v| e.take("date", Date::parse(v).map_err(|d| ValueError { message: d.to_string() })));
        let product_id = e.take("product_id", ProductId::parse(f.get("product_id")));
        let version = e.take("version", Version::parse(f.get("version")));
        let quantity = e.take("quantity", parse_quantity(f.get("quantity")));
        let counterparty = party(&mut e, f, &COUNTERPARTY);
        let role = e.take("counterparty_role", OperatorRole::parse(f.get("counterparty_role")));
        let reference = e.take("reference", optional_text("reference", f.get("reference"))).flatten();
        match (direction, date, product_id, version, quantity, counterparty, role) {
            (
                Some(direction),
                Some(date),
                Some(product_id),
                Some(version),
                Some(quantity),
                Some(counterparty),
                Some(counterparty_role),
            ) if e.0.is_empty() => Ok(SupplyEvent {
                direction,
                date,
                product_id,
                version,
                quantity,
                counterparty,
                counterparty_role,
                reference,
            }),
            _ => Err(e.0),
        }
    }
}

impl CsvRecord for ProductRecord {
    const COLUMNS: &'static [(&'static str, bool)] = PRODUCT_COLUMNS;

    fn from_row(f: &Fields<'_>) -> Result<Self, Vec<(String, String)>> {
        let mut e = FieldErrors(Vec::new());
        let product_id = e.take("product_id", ProductId::parse(f.get("product_id")));
        let name = e.take("product_name", required_text("product_name", f.get("product_name")));
        let version = e.take("version", Version::parse(f.get("version")));
        let manufacturer = party(&mut e, f, &MANUFACTURER);
        let date = |e: &mut FieldErrors, c: &str| {
            optional(e, f, c, |v| Date::parse(v).map_err(|d| ValueError { message: d.to_string() }))
        };
        let placed_on_market = date(&mut e, "placed_on_market");
        let end_of_support = date(&mut e, "end_of_support");
        if let (Some(p), Some(s)) = (placed_on_market, end_of_support)
            && s < p
        {
            e.0.push(("end_of_support".into(), format!("end of support {s} is before placing on the market {p}")));
        }
        let gtin = optional(&mut e, f, "gtin", Gtin::parse);
        let our_role = optional(&mut e, f, "our_role", OurRole::parse);
        match (product_id, name, version, manufacturer) {
            (Some(product_id), Some(name), Some(version), Some(manufacturer)) if e.0.is_empty() => Ok(ProductRecord {
                product_id,
                name,
                gtin,
                manufacturer,
                version,
                placed_on_market,
                end_of_support,
                our_role,
            }),
            _ => Err(e.0),
        }
    }
}

/// What to do with an invalid row.
pub enum OnInvalid<'w> {
    /// Reject the whole file: nothing is committed.
    RejectFile,
    /// Import the valid rows; write each rejected row with its reason to this CSV.
    Skip(Box<dyn Write + 'w>),
}

/// A streaming CSV reader that is also a [`RowSource`] for the store.
pub struct CsvSource<'w, R: Read, T: CsvRecord> {
    file: String,
    reader: csv::Reader<R>,
    index: HashMap<&'static str, usize>,
    headers: csv::StringRecord,
    on_invalid: OnInvalid<'w>,
    rejected: Option<csv::Writer<Box<dyn Write + 'w>>>,
    diagnostics: Vec<Diagnostic>,
    invalid_rows: u64,
    read_failed: bool,
    record: csv::StringRecord,
    _kind: std::marker::PhantomData<T>,
}

impl<'w, R: Read, T: CsvRecord> CsvSource<'w, R, T> {
    /// Reads the header line and checks that every required column is there.
    pub fn new(input: R, file: &str, on_invalid: OnInvalid<'w>) -> Result<Self, Diagnostic> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(input);
        let diag = |message: String| Diagnostic {
            file: file.to_string(),
            line: Some(1),
            pointer: None,
            field: None,
            message,
            skipped: false,
        };
        let headers =
            reader.headers().map_err(|e| diag(format!("cannot read the header line: {}", csv_error_text(&e))))?.clone();
        let mut index = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
            if let Some((name, _)) = T::COLUMNS.iter().find(|(c, _)| *c == h) {
                index.entry(*name).or_insert(i);
            }
        }
        let missing: Vec<&str> =
            T::COLUMNS.iter().filter(|(c, req)| *req && !index.contains_key(c)).map(|(c, _)| *c).collect();
        if !missing.is_empty() {
            let expected: Vec<&str> = T::COLUMNS.iter().filter(|(_, r)| *r).map(|(c, _)| *c).collect();
            return Err(diag(format!(
                "missing column{} {}: the header line must name {} (any order; extra columns are ignored)",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                expected.join(",")
            )));
        }
        let (on_invalid, rejected) = match on_invalid {
            OnInvalid::RejectFile => (OnInvalid::RejectFile, None),
            OnInvalid::Skip(w) => {
                let mut wtr = csv::Writer::from_writer(w);
                let mut head: Vec<&str> = vec!["line", "error"];
                head.extend(headers.iter());
                wtr.write_record(&head).map_err(|e| diag(format!("cannot write the rejected-rows file: {e}")))?;
                (OnInvalid::Skip(Box::new(std::io::sink())), Some(wtr))
            }
        };
        Ok(CsvSource {
            file: file.to_string(),
            reader,
            index,
            headers,
            on_invalid,
            rejected,
            diagnostics: Vec::new(),
            invalid_rows: 0,
            read_failed: false,
            record: csv::StringRecord::new(),
            _kind: std::marker::PhantomData,
        })
    }

    /// The first [`MAX_MESSAGES`] problems found.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// How many rows were invalid (all of them, not only those with a kept message).
    pub fn invalid_rows(&self) -> u64 {
        self.invalid_rows
    }

    /// Whether the input could not be read to its end (I/O error, not UTF-8…).
    pub fn read_failed(&self) -> bool {
        self.read_failed
    }

    /// Flushes the rejected-rows file.
    pub fn finish(&mut self) -> std::io::Result<()> {
        if let Some(w) = self.rejected.as_mut() {
            w.flush()?;
        }
        Ok(())
    }

    fn diag(&mut self, line: Option<u64>, field: Option<String>, message: String) {
        if self.diagnostics.len() < MAX_MESSAGES {
            self.diagnostics.push(Diagnostic {
                file: self.file.clone(),
                line,
                pointer: None,
                field,
                message,
                skipped: false,
            });
        }
    }

    fn reject(&mut self, line: u64, errors: Vec<(String, String)>) {
        self.invalid_rows += 1;
        let reason: Vec<String> = errors.iter().map(|(c, m)| format!("{c}: {m}")).collect();
        for (column, message) in errors {
            self.diag(Some(line), Some(column), message);
        }
        if let Some(w) = self.rejected.as_mut() {
            let mut out: Vec<String> = vec![line.to_string(), reason.join("; ")];
            out.extend(self.record.iter().map(String::from));
            if w.write_record(&out).is_err() {
                self.read_failed = true;
                self.diag(None, None, "cannot write the rejected-rows file: nothing was committed".into());
            }
        }
    }
}

fn csv_error_text(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "the text is not UTF-8: save the file as UTF-8 (CSV UTF-8 in spreadsheet programs)".into()
        }
        csv::ErrorKind::Io(io) => format!("read error: {io}"),
        _ => e.to_string(),
    }
}

impl<R: Read, T: CsvRecord> RowSource<T> for CsvSource<'_, R, T> {
    fn next_row(&mut self) -> Option<Row<T>> {
        loop {
            if self.read_failed {
                return None;
            }
            let mut record = std::mem::take(&mut self.record);
            let read = self.reader.read_record(&mut record);
            self.record = record;
            match read {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map(|p| p.line());
                    // A row that is not UTF-8 is an invalid row; an I/O error ends the import.
                    if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                        let msg = csv_error_text(&e);
                        self.record = csv::StringRecord::new();
                        self.reject(line.unwrap_or(0), vec![("(row)".into(), msg)]);
                        continue;
                    }
                    self.read_failed = true;
                    self.diag(line, None, format!("{}: nothing was committed", csv_error_text(&e)));
                    return None;
                }
            }
            let line = self.record.position().map_or(0, |p| p.line());
            if self.record.iter().all(|f| f.trim().is_empty()) {
                continue; // Blank lines carry nothing.
            }
            let parsed = T::from_row(&Fields { record: &self.record, index: &self.index });
            match parsed {
                Ok(record) if self.invalid_rows == 0 || matches!(self.on_invalid, OnInvalid::Skip(_)) => {
                    return Some(Row { line, record });
                }
                // Atomic mode after an invalid row: keep reading for diagnostics, pass nothing on.
                Ok(_) => {}
                Err(errors) => self.reject(line, errors),
            }
        }
    }

    fn commit_allowed(&self) -> bool {
        !self.read_failed && (self.invalid_rows == 0 || matches!(self.on_invalid, OnInvalid::Skip(_)))
    }
}

impl<R: Read, T: CsvRecord> CsvSource<'_, R, T> {
    /// The header of the input, as read.
    pub fn headers(&self) -> &csv::StringRecord {
        &self.headers
    }
}
