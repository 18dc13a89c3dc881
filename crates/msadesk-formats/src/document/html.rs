//! The HTML rendering: one standalone, escaped page with screen and print CSS (A4 pages, table
//! headers repeated by the browser, page breaks), no scripts and no outside files.

use std::fmt::Write as _;

use super::{Block, Document};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}

const CSS: &str = "\
body{font-family:Helvetica,Arial,sans-serif;font-size:11pt;line-height:1.4;color:#111;max-width:46em;margin:2em auto;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.3em}h3{font-size:1.1em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}
th,td{border:1px solid #999;padding:.2em .4em;text-align:left;vertical-align:top}
th{background:#e0e6ee}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}
dl.kv dt{font-weight:bold}dl.kv dd{margin:0}
figure.chart{margin:1em 0}figure.chart figcaption{font-weight:bold}
.bar{background:#336ba6;height:.8em;display:inline-block;vertical-align:middle}
td.barcell{width:60%}
.unit{color:#555;font-weight:normal}
.pagebreak{break-after:page}
@page{size:A4;margin:20mm}
@media print{body{margin:0;max-width:none;font-size:10pt}thead{display:table-header-group}tr{break-inside:avoid}}
";

pub(super) fn render(doc: &Document) -> String {
    let mut h = String::new();
    let lang = escape(&doc.lang);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        escape(&doc.title)
    );
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text } => {
                let l = (*level).clamp(1, 3);
                let _ = writeln!(h, "<h{l}>{}</h{l}>", escape(text));
            }
            Block::Paragraph(text) => {
                for para in text.split("\n\n") {
                    let lines: Vec<String> = para.split('\n').map(escape).collect();
                    let _ = writeln!(h, "<p>{}</p>", lines.join("<br>\n"));
                }
            }
            Block::KeyValues(kv) => {
                h.push_str("<dl class=\"kv\">\n");
                for (k, v) in kv {
                    let lines: Vec<String> = v.split('\n').map(escape).collect();
                    let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), lines.join("<br>"));
                }
                h.push_str("</dl>\n");
            }
            Block::Table { header, rows } => {
                h.push_str("<table>\n<thead><tr>");
                for c in header {
                    let _ = write!(h, "<th scope=\"col\">{}</th>", escape(c));
                }
                h.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    h.push_str("<tr>");
                    for c in r {
                        let _ = write!(h, "<td>{}</td>", escape(c));
                    }
                    h.push_str("</tr>\n");
                }
                h.push_str("</tbody>\n</table>\n");
            }
            Block::BarChart { title, unit, bars } => {
                let max = bars.iter().map(|(_, v)| *v).filter(|v| v.is_finite() && *v > 0.0).fold(0.0, f64::max);
                let _ = writeln!(
                    h,
                    "<figure class=\"chart\">\n<figcaption>{} <span class=\"unit\">({})</span></figcaption>\n<table>\n<tbody>",
                    escape(title),
                    escape(unit)
                );
                for (label, v) in bars {
                    let pct = if max > 0.0 && v.is_finite() && *v > 0.0 { v / max * 100.0 } else { 0.0 };
                    let _ = writeln!(
                        h,
                        "<tr><th scope=\"row\">{}</th><td>{v}</td><td class=\"barcell\"><span class=\"bar\" style=\"width:{pct:.1}%\" aria-hidden=\"true\"></span></td></tr>",
                        escape(label)
                    );
                }
                h.push_str("</tbody>\n</table>\n</figure>\n");
            }
            Block::PageBreak => h.push_str("<div class=\"pagebreak\"></div>\n"),
        }
    }
    h.push_str("</body>\n</html>\n");
    h
}
