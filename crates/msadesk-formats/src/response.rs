//! The files of a response to a market surveillance authority's request: the CRA Art 23
//! identification (JSON, CSV, EPCIS 2.0 and a readable HTML report), the requested documents from
//! the library and a cover letter. Pure: the caller loads everything and signs the result with
//! [`crate::package::build`].

use std::collections::HashMap;
use std::fmt::Write as _;

use msadesk_core::inbox::{Ask, Authority, Request};
use msadesk_core::trace::Trace;
use msadesk_core::{Gtin, OwnIdentity, ProductId, SupplyEvent};
use msadesk_store::{DocKind, DocumentInfo};

use crate::package::PackageFile;

/// Everything a response package is made of, loaded by the caller.
pub struct ResponseInput<'a> {
    pub request: &'a Request,
    pub authority: &'a Authority,
    pub own: &'a OwnIdentity,
    /// The Art 23 answer for the request's product, version and period.
    pub trace: &'a Trace,
    /// The events the trace covers (for the event-level CSV and EPCIS).
    pub events: Vec<SupplyEvent>,
    pub gtins: HashMap<ProductId, Gtin>,
    /// The current documents to include, with their bytes.
    pub documents: Vec<(DocumentInfo, Vec<u8>)>,
    /// Asked-for documents the library does not hold ("SBOM for version 1.2.0").
    pub missing: Vec<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// The provisions the answer is given under ("CRA Art 23(1), CRA Art 19(7)").
    pub legal_basis: String,
    /// Our readiness report when the package is built (issue 9): `readiness.json` and `readiness.pdf`.
    pub readiness: &'a msadesk_core::readiness::ReadinessReport,
}

/// Which document kinds an authority's asks call for.
pub fn kinds_for(asks: &[Ask]) -> Vec<DocKind> {
    let mut kinds = Vec::new();
    if asks.contains(&Ask::Documents) {
        kinds.extend([DocKind::Doc, DocKind::TechnicalDocumentation]);
    }
    if asks.contains(&Ask::Sbom) {
        kinds.push(DocKind::Sbom);
    }
    kinds
}

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A file name safe inside a package: letters, digits, `.`, `-`, `_`; anything else becomes `_`.
fn safe_name(s: &str) -> String {
    let n: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    let n = n.trim_start_matches('.').to_string();
    if n.is_empty() { "file".into() } else { n.chars().take(120).collect() }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2em .5em;text-align:left}}</style>\
         </head><body>\n{}</body></html>\n",
        esc(title),
        body
    )
}

fn period(r: &Request) -> String {
    match (r.new.from, r.new.to) {
        (None, None) => "all records held".into(),
        (f, t) => format!(
            "{} to {}",
            f.map_or("the first record".into(), |d| d.to_string()),
            t.map_or("today".into(), |d| d.to_string())
        ),
    }
}

/// A simple English cover letter (to be replaced by the letters module's templates).
pub fn cover_letter_html(input: &ResponseInput<'_>, file_list: &[String]) -> String {
    let r = input.request;
    let mut b = String::new();
    let _ = write!(
        b,
        "<p>{}<br>{}</p>\n<p>To: {}</p>\n<p>Date: {}</p>\n<h1>Your reference {}</h1>\n",
        esc(&input.own.name),
        esc(&input.own.address),
        esc(&input.authority.name),
        esc(input.created_at.get(..10).unwrap_or(&input.created_at)),
        esc(&r.new.reference)
    );
    let _ = write!(
        b,
        "<p>Dear Sir or Madam,</p>\n<p>In reply to your request received on {}, concerning product {}{} for the period {}, \
         we send the information below (CRA Art 23 identification of the economic operators who supplied the \
         product to us and to whom we supplied it{}).</p>\n",
        esc(&r.new.received_at),
        esc(r.new.product.as_str()),
        r.new.version.as_ref().map_or(String::new(), |v| format!(" version {}", esc(v.as_str()))),
        esc(&period(r)),
        if kinds_for(&r.new.asks).is_empty() { "" } else { ", and the documentation you asked for" }
    );
    b.push_str("<p>The package holds:</p>\n<ul>\n");
    for f in file_list {
        let _ = writeln!(b, "<li>{}</li>", esc(f));
    }
    b.push_str("</ul>\n");
    if !input.missing.is_empty() {
        b.push_str("<p>The following are not yet available and will follow:</p>\n<ul>\n");
        for m in &input.missing {
            let _ = writeln!(b, "<li>{}</li>", esc(m));
        }
        b.push_str("</ul>\n");
    }
    let _ = write!(
        b,
        "<p>Every file is listed with its SHA-256 in manifest.json, signed with our Ed25519 key (manifest.sig); \
         <code>msadesk verify</code> checks the package.</p>\n<p>Yours faithfully,<br>{}{}</p>\n",
        esc(input.own.contact_person.as_deref().unwrap_or(&input.own.name)),
        input.own.email.as_ref().map_or(String::new(), |e| format!("<br>{}", esc(e.as_str())))
    );
    page(&format!("Response to {}", r.new.reference), &b)
}

/// The languages of the cover letter: English, and the authority's first language when msadesk
/// has templates for it.
pub fn letter_languages(authority: &Authority) -> Vec<&'static str> {
    let mut langs = vec!["en"];
    if let Some(l) = authority.languages.first().map(|l| l.trim().to_ascii_lowercase())
        && let Some(known) = crate::letters::LANGUAGES.iter().find(|x| **x == l)
        && *known != "en"
    {
        langs.push(known);
    }
    langs
}

/// The arguments of the response cover letter (`letters::LetterKind::ResponseCover`).
pub fn cover_letter_args(input: &ResponseInput<'_>, file_list: &[String]) -> crate::letters::LetterArgs {
    let r = input.request;
    let mut a = crate::letters::LetterArgs::new();
    let mut put = |k: &str, v: String| {
        a.insert(k.to_string(), v);
    };
    put("sender_name", input.own.name.clone());
    put("sender_address", input.own.address.clone());
    put("recipient_name", input.authority.name.clone());
    if let Some(addr) = &input.authority.postal_address {
        put("recipient_address", addr.clone());
    }
    put("letter_date", input.created_at.get(..10).unwrap_or(&input.created_at).to_string());
    put("contact_name", input.own.contact_person.clone().unwrap_or_else(|| input.own.name.clone()));
    put("contact_email", input.own.email.as_ref().map_or_else(|| "-".to_string(), |e| e.as_str().to_string()));
    put("their_reference", r.new.reference.clone());
    put(
        "products",
        match &r.new.version {
            Some(v) => format!("{} {}", r.new.product, v),
            None => r.new.product.to_string(),
        },
    );
    put(
        "period",
        format!(
            "{} – {}",
            r.new.from.map_or("…".to_string(), |d| d.to_string()),
            r.new.to.map_or("…".to_string(), |d| d.to_string())
        ),
    );
    let mut enclosures: Vec<String> = file_list.to_vec();
    enclosures.extend(input.missing.iter().map(|m| format!("({m}: to follow)")));
    put("enclosures", enclosures.join("\n"));
    put("legal_basis", input.legal_basis.clone());
    a
}

/// The trace report as a neutral document (rendered to PDF in the package).
pub fn trace_report_document(input: &ResponseInput<'_>) -> crate::document::Document {
    use crate::document::{Block, Document};
    let t = input.trace;
    let mut d = Document::new("CRA Art 23 identification", "en");
    d.push(Block::Heading {
        level: 1,
        text: format!(
            "CRA Art 23 identification: {}{}",
            t.product_id,
            t.version.as_ref().map_or(String::new(), |v| format!(" version {v}"))
        ),
    });
    d.push(Block::KeyValues(vec![
        ("Request".into(), input.request.new.reference.clone()),
        ("Period".into(), period(input.request)),
        ("Prepared by".into(), input.own.name.clone()),
        ("Prepared on".into(), input.created_at.clone()),
    ]));
    for (title, list) in [("Supplied to us by", &t.upstream), ("Supplied by us to", &t.downstream)] {
        d.push(Block::Heading { level: 2, text: title.into() });
        if list.is_empty() {
            d.push(Block::Paragraph("No records in the period.".into()));
            continue;
        }
        d.push(Block::Table {
            header: [
                "Operator",
                "Name",
                "Address",
                "Country",
                "E-mail",
                "Role",
                "First",
                "Last",
                "Quantity",
                "Deliveries",
            ]
            .map(String::from)
            .to_vec(),
            rows: list
                .iter()
                .map(|e| {
                    vec![
                        e.operator_id.to_string(),
                        e.name.clone(),
                        e.address.clone(),
                        e.country.to_string(),
                        e.email.clone().unwrap_or_default(),
                        e.role.to_string(),
                        e.first_date.to_string(),
                        e.last_date.to_string(),
                        e.quantity.to_string(),
                        e.deliveries.to_string(),
                    ]
                })
                .collect(),
        });
    }
    d
}

/// The readable report of the trace.
pub fn trace_report_html(input: &ResponseInput<'_>) -> String {
    let t = input.trace;
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>CRA Art 23 identification: {}{}</h1>\n<p>Period: {}. Prepared by {} on {}.</p>\n",
        esc(t.product_id.as_str()),
        t.version.as_ref().map_or(String::new(), |v| format!(" version {}", esc(v.as_str()))),
        esc(&period(input.request)),
        esc(&input.own.name),
        esc(&input.created_at)
    );
    for (title, list) in [("Supplied to us by", &t.upstream), ("Supplied by us to", &t.downstream)] {
        let _ = writeln!(b, "<h2>{title}</h2>");
        if list.is_empty() {
            b.push_str("<p>No records in the period.</p>\n");
            continue;
        }
        b.push_str("<table><tr><th>Operator</th><th>Name</th><th>Address</th><th>Country</th><th>E-mail</th><th>Role</th><th>First</th><th>Last</th><th>Quantity</th><th>Deliveries</th></tr>\n");
        for e in list {
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(e.operator_id.as_str()),
                esc(&e.name),
                esc(&e.address),
                esc(&e.country.to_string()),
                esc(e.email.as_deref().unwrap_or("")),
                esc(&e.role.to_string()),
                e.first_date,
                e.last_date,
                e.quantity,
                e.deliveries
            );
        }
        b.push_str("</table>\n");
    }
    page("CRA Art 23 identification", &b)
}

/// The files of the response package (the manifest and signature are added by the package).
pub fn assemble(input: &ResponseInput<'_>) -> Result<Vec<PackageFile>, String> {
    let io = |e: std::io::Error| e.to_string();
    let mut files = Vec::new();
    let mut json = Vec::new();
    crate::trace_out::write_json(&mut json, input.trace).map_err(io)?;
    files.push(PackageFile {
        path: "trace/identification.json".into(),
        media_type: "application/json".into(),
        bytes: json,
    });
    let mut csv = Vec::new();
    crate::trace_out::write_csv(&mut csv, input.trace).map_err(io)?;
    files.push(PackageFile { path: "trace/identification.csv".into(), media_type: "text/csv".into(), bytes: csv });
    let mut events = Vec::new();
    {
        let mut w = crate::csv_export::SupplyCsvWriter::new(&mut events).map_err(|e| e.to_string())?;
        for e in &input.events {
            w.write(e).map_err(|e| e.to_string())?;
        }
        w.finish().map_err(|e| e.to_string())?;
    }
    files.push(PackageFile { path: "trace/events.csv".into(), media_type: "text/csv".into(), bytes: events });
    let mut epcis = Vec::new();
    let ctx = crate::epcis::ExportContext {
        own: input.own.clone(),
        creation_date: input.created_at.clone(),
        gtins: input.gtins.clone(),
    };
    crate::epcis::write_document(&mut epcis, input.events.iter().cloned(), &ctx).map_err(io)?;
    files.push(PackageFile { path: "trace/epcis.json".into(), media_type: "application/ld+json".into(), bytes: epcis });
    files.push(PackageFile {
        path: "trace/report.html".into(),
        media_type: "text/html".into(),
        bytes: trace_report_html(input).into_bytes(),
    });
    files.push(PackageFile {
        path: "trace/report.pdf".into(),
        media_type: "application/pdf".into(),
        bytes: trace_report_document(input).to_pdf(),
    });
    // The readiness report, as `msadesk report readiness --format json|pdf` writes it.
    let mut readiness = serde_json::to_vec_pretty(input.readiness).map_err(|e| e.to_string())?;
    readiness.push(b'\n');
    files.push(PackageFile { path: "readiness.json".into(), media_type: "application/json".into(), bytes: readiness });
    files.push(PackageFile {
        path: "readiness.pdf".into(),
        media_type: "application/pdf".into(),
        bytes: crate::readiness_doc::document(input.readiness).to_pdf(),
    });
    let mut used = std::collections::BTreeSet::new();
    for (d, bytes) in &input.documents {
        let mut path = format!("documents/{}/{}/{}", safe_name(d.version.as_str()), d.kind, safe_name(&d.file_name));
        if !used.insert(path.clone()) {
            path =
                format!("documents/{}/{}/{}-{}", safe_name(d.version.as_str()), d.kind, d.id, safe_name(&d.file_name));
            used.insert(path.clone());
        }
        files.push(PackageFile { path, media_type: d.media_type.clone(), bytes: bytes.clone() });
    }
    // The cover letter from the letters' templates, in English and the authority's language, as
    // HTML and PDF; the simple built-in letter only if a template cannot be rendered.
    let langs = letter_languages(input.authority);
    let mut list: Vec<String> = Vec::new();
    for l in &langs {
        list.push(format!("cover-letter-{l}.html"));
        list.push(format!("cover-letter-{l}.pdf"));
    }
    list.extend(files.iter().map(|f| f.path.clone()));
    let args = cover_letter_args(input, &list);
    let mut letters = Vec::new();
    for l in &langs {
        match crate::letters::render(crate::letters::LetterKind::ResponseCover, l, &args, None) {
            Ok(doc) => {
                letters.push(PackageFile {
                    path: format!("cover-letter-{l}.html"),
                    media_type: "text/html".into(),
                    bytes: doc.to_html().into_bytes(),
                });
                letters.push(PackageFile {
                    path: format!("cover-letter-{l}.pdf"),
                    media_type: "application/pdf".into(),
                    bytes: doc.to_pdf(),
                });
            }
            Err(_) => letters.clear(),
        }
        if letters.is_empty() {
            break;
        }
    }
    if letters.is_empty() {
        let mut list: Vec<String> = vec!["cover-letter.html".into()];
        list.extend(files.iter().map(|f| f.path.clone()));
        letters.push(PackageFile {
            path: "cover-letter.html".into(),
            media_type: "text/html".into(),
            bytes: cover_letter_html(input, &list).into_bytes(),
        });
    }
    letters.extend(files);
    Ok(letters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_select_document_kinds() {
        for (asks, want) in [
            (vec![Ask::Trace], vec![]),
            (vec![Ask::Documents], vec![DocKind::Doc, DocKind::TechnicalDocumentation]),
            (vec![Ask::Sbom, Ask::Trace], vec![DocKind::Sbom]),
            (vec![Ask::Documents, Ask::Sbom], vec![DocKind::Doc, DocKind::TechnicalDocumentation, DocKind::Sbom]),
            (vec![Ask::Samples, Ask::Access], vec![]),
        ] {
            assert_eq!(kinds_for(&asks), want, "{asks:?}");
        }
    }

    #[test]
    fn cover_letters_are_english_plus_the_authority_language_when_known() {
        let base = msadesk_core::inbox::defaults::authorities().into_iter().next().expect("a seeded authority");
        for (langs, want) in [
            (vec!["de"], vec!["en", "de"]),
            (vec!["PL", "en"], vec!["en", "pl"]),
            (vec!["en"], vec!["en"]),
            (vec!["ga"], vec!["en"]),
            (vec![], vec!["en"]),
        ] {
            let mut a = base.clone();
            a.languages = langs.iter().map(|s| s.to_string()).collect();
            assert_eq!(letter_languages(&a), want, "{langs:?}");
        }
    }

    #[test]
    fn safe_names_stay_inside_their_folder() {
        for (input, want) in
            [("DoC.pdf", "DoC.pdf"), ("../../etc/passwd", "_.._etc_passwd"), ("a b/c", "a_b_c"), ("", "file")]
        {
            assert_eq!(safe_name(input), want, "{input}");
            assert!(crate::package::check_path(&format!("documents/1.0/doc/{}", safe_name(input))).is_ok());
        }
    }
}
