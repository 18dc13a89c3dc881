use std::collections::HashMap;

use super::fonts::{self, Set};
use super::*;

/// A minimal PDF reader for our own output: checks the cross-reference table and returns the
/// objects by number.
fn objects(pdf: &[u8]) -> HashMap<usize, String> {
    // Non-ASCII bytes (only in the binary comment of the header) become '?' so offsets stay byte offsets.
    let text: String = pdf.iter().map(|&b| if b < 128 { b as char } else { '?' }).collect();
    assert!(pdf.starts_with(b"%PDF-1.7\n"), "header");
    assert!(text.ends_with("%%EOF\n"), "trailer end");
    let sx = text.rfind("startxref\n").expect("startxref");
    let xref_at: usize = text[sx + 10..].lines().next().expect("offset").trim().parse().expect("number");
    assert_eq!(&pdf[xref_at..xref_at + 5], b"xref\n", "startxref points at the xref table");
    let table = &text[xref_at..];
    let mut lines = table.lines().skip(1);
    let count: usize = lines.next().expect("subsection").split(' ').nth(1).expect("count").parse().expect("n");
    let mut out = HashMap::new();
    for (i, line) in lines.take(count).enumerate() {
        assert_eq!(line.len(), 19, "xref entries are 20 bytes with the newline: {line:?}");
        if i == 0 {
            assert!(line.ends_with(" f "), "entry 0 is free");
            continue;
        }
        let off: usize = line[..10].parse().expect("offset");
        let head = format!("{i} 0 obj\n");
        assert_eq!(&pdf[off..off + head.len()], head.as_bytes(), "object {i} starts at its xref offset");
        let end = text[off..].find("\nendobj\n").expect("endobj") + off;
        out.insert(i, text[off + head.len()..end].to_string());
    }
    assert!(text.contains(&format!("/Size {count}")), "trailer size");
    out
}

/// The text drawn by the content streams, one line per text object, decoded through our encodings.
fn extract_text(pdf: &[u8]) -> String {
    let objs = objects(pdf);
    let mut back: HashMap<(bool, u8), char> = HashMap::new();
    for u in (0x20u32..0x250).chain([0x2018, 0x2019, 0x201C, 0x201D, 0x2013, 0x2014, 0x20AC, 0x2026, 0x2022]) {
        if let Some(c) = char::from_u32(u) {
            let (set, code) = fonts::encode(c);
            if !(code == b'?' && c != '?') {
                back.entry((set == Set::Ext, code)).or_insert(c);
            }
        }
    }
    let mut nums: Vec<_> = objs.keys().copied().collect();
    nums.sort();
    let mut out = String::new();
    for n in nums {
        let body = &objs[&n];
        let Some(start) = body.find("stream\n") else { continue };
        let stream = &body.as_bytes()[start + 7..];
        let mut ext = false;
        let mut i = 0;
        while i < stream.len() {
            match stream[i] {
                b'/' if stream[i + 1] == b'F' => {
                    ext = stream[i + 2] == b'2' || stream[i + 2] == b'4';
                    i += 3;
                }
                b'(' => {
                    i += 1;
                    while stream[i] != b')' {
                        let b = if stream[i] == b'\\' {
                            if stream[i + 1].is_ascii_digit() {
                                let s = std::str::from_utf8(&stream[i + 1..i + 4]).expect("octal");
                                i += 3;
                                u8::from_str_radix(s, 8).expect("octal")
                            } else {
                                i += 1;
                                stream[i]
                            }
                        } else {
                            stream[i]
                        };
                        out.push(*back.get(&(ext, b)).unwrap_or(&'\u{FFFD}'));
                        i += 1;
                    }
                    i += 1;
                }
                b'E' if stream.get(i + 1) == Some(&b'T') => {
                    out.push('\n');
                    i += 2;
                }
                _ => i += 1,
            }
        }
    }
    out
}

#[test]
fn the_pdf_is_structurally_valid_and_its_text_comes_back() {
    let doc = sample();
    let pdf = doc.to_pdf();
    let objs = objects(&pdf);
    let pages = objs.values().filter(|o| o.starts_with("<< /Type /Page ")).count();
    assert!(pages >= 3, "the sample spans several pages, got {pages}");
    assert!(objs[&2].contains(&format!("/Count {pages}")));
    let text = extract_text(&pdf);
    for needle in [
        "Zażółć gęślą jaźń",
        "Größe",
        "prénom",
        "Marktüberwachungsbehörde",
        "Příliš žluťoučký kůň",
        "árvíztűrő tükörfúrógép",
        "Înștiințare",
    ] {
        assert!(text.contains(needle), "{needle} missing from the PDF text");
    }
    // Page numbers, and the table header repeated on every page the table spans.
    assert!(text.contains(&format!("1 / {pages}")) && text.contains(&format!("{pages} / {pages}")));
    let headers = text.lines().filter(|l| *l == "Member State").count();
    assert!(headers >= 2, "the table header repeats on each page: {headers}");
    // Unsupported characters become '?', never a broken string.
    assert!(text.contains("like ? or ?"));
}

#[test]
fn lines_wrap_by_glyph_width() {
    // 'i' is narrow and 'W' wide in Helvetica: the same number of letters wrap differently.
    let narrow = "iiii ".repeat(40);
    let wide = "WWWW ".repeat(40);
    let n = pdf::wrap(&narrow, false, 10.0, 200.0).len();
    let w = pdf::wrap(&wide, false, 10.0, 200.0).len();
    assert!(w > 2 * n, "wide letters need more lines: {w} vs {n}");
    for l in pdf::wrap(&wide, false, 10.0, 200.0) {
        assert!(text_width(&l, false, 10.0) <= 200.0, "{l} too wide");
    }
    // A word wider than the line is broken inside.
    let long = "x".repeat(200);
    let lines = pdf::wrap(&long, false, 10.0, 100.0);
    assert!(lines.len() > 5 && lines.concat() == long);
    // Explicit newlines start new lines.
    assert_eq!(pdf::wrap("a\nb", false, 10.0, 100.0), vec!["a", "b"]);
}

#[test]
fn widths_match_the_helvetica_metrics() {
    let cases: &[(&str, bool, f32)] = &[
        ("A", false, 667.0),
        ("A", true, 722.0),
        ("i", false, 222.0),
        ("ß", false, 611.0),
        ("ł", false, 222.0),
        ("ą", false, 556.0),
        ("Ł", true, 611.0),
        ("ť", false, 317.0),
        ("—", false, 1000.0),
    ];
    for (t, bold, w) in cases {
        assert_eq!(text_width(t, *bold, 1000.0), *w, "{t} bold={bold}");
    }
}

#[test]
fn html_is_standalone_and_escaped() {
    let mut d = Document::new("<Report> & co", "de");
    d.push(Block::Paragraph("a < b & \"c\"\nnext".into()));
    d.push(Block::Table { header: vec!["<h>".into()], rows: vec![vec!["<script>".into()]] });
    d.push(Block::BarChart {
        title: "T".into(),
        unit: "u".into(),
        bars: vec![("x".into(), 2.0), ("y".into(), f64::NAN)],
    });
    let h = d.to_html();
    assert!(h.starts_with("<!DOCTYPE html>") && h.contains("<html lang=\"de\">"));
    assert!(h.contains("<title>&lt;Report&gt; &amp; co</title>"));
    assert!(h.contains("a &lt; b &amp; &quot;c&quot;<br>"));
    assert!(!h.contains("<script>") && h.contains("&lt;script&gt;"));
    assert!(h.contains("@page{size:A4") && h.contains("width:100.0%"));
}

#[test]
fn odd_documents_do_not_panic() {
    let mut d = Document::new("", "");
    d.push(Block::Table { header: vec![], rows: vec![] });
    d.push(Block::Table { header: vec!["a".into()], rows: vec![vec!["b".into(), "extra".into()], vec![]] });
    d.push(Block::BarChart { title: "".into(), unit: "".into(), bars: vec![] });
    d.push(Block::BarChart {
        title: "neg".into(),
        unit: "".into(),
        bars: vec![("n".into(), -5.0), ("inf".into(), f64::INFINITY)],
    });
    d.push(Block::Paragraph("x".repeat(20_000)));
    d.push(Block::Table { header: vec!["h".into()], rows: vec![vec!["word ".repeat(3000)]] });
    d.push(Block::PageBreak);
    d.push(Block::PageBreak);
    d.push(Block::Heading { level: 9, text: "deep".into() });
    let pdf = d.to_pdf();
    let objs = objects(&pdf);
    assert!(objs.len() > 10);
    assert!(extract_text(&pdf).contains("deep"));
}

/// Writes the sample to `MSADESK_SAMPLE_PDF` (and `.html` beside it) when set; `ci/pdf-render.sh`
/// renders it with poppler.
#[test]
fn write_sample_when_asked() {
    let doc = sample();
    if let Ok(path) = std::env::var("MSADESK_SAMPLE_PDF") {
        std::fs::write(&path, doc.to_pdf()).expect("write sample PDF");
        std::fs::write(format!("{path}.html"), doc.to_html()).expect("write sample HTML");
    }
    assert!(!doc.to_pdf().is_empty());
}

/// Documents of random text (control characters, PDF delimiters, any Unicode) always give a PDF
/// whose cross-reference table is right and whose text streams are balanced.
#[test]
fn random_documents_stay_valid() {
    let seed = std::cell::Cell::new(0x5eed_u64);
    let next = |n: u64| {
        seed.set(seed.get().wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407));
        (seed.get() >> 33) % n
    };
    let alphabet: Vec<char> = "ab (x) \\ \n\r\t\0ÄÖüßłąęŁŻźćńśóŤřĚ€—„“…中🙂\u{2028}\u{feff}".chars().collect();
    for _ in 0..60 {
        let text = |len: u64| -> String { (0..len).map(|_| alphabet[next(alphabet.len() as u64) as usize]).collect() };
        let mut d = Document::new(text(20), "pl");
        for _ in 0..8 {
            let block = match next(6) {
                0 => Block::Heading { level: next(5) as u8, text: text(60) },
                1 => Block::Paragraph(text(400)),
                2 => Block::KeyValues(vec![(text(30), text(200)), (text(5), text(5))]),
                3 => Block::Table {
                    header: vec![text(10), text(10), text(3)],
                    rows: (0..next(80)).map(|_| vec![text(30), text(90), text(4)]).collect(),
                },
                4 => Block::BarChart {
                    title: text(20),
                    unit: text(5),
                    bars: (0..next(40)).map(|i| (text(15), i as f64 * 1.5 - 3.0)).collect(),
                },
                _ => Block::PageBreak,
            };
            d.push(block);
        }
        let pdf = d.to_pdf();
        let objs = objects(&pdf);
        for body in objs.values().filter(|b| b.contains("stream\n")) {
            assert_eq!(body.matches(" BT ").count() + body.matches("\nBT ").count(), body.matches("ET\n").count());
        }
        assert!(d.to_html().ends_with("</html>\n"));
    }
}
