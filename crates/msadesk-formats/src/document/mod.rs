//! A neutral document model (headings, paragraphs, label/value lines, tables, bar charts, page
//! breaks) rendered to standalone HTML and to PDF, with no outside program.
//!
//! Letters, response packages and readiness reports build a [`Document`]; this module decides how
//! it looks. The PDF writer is hand-written (PDF 1.7, uncompressed content streams) and uses the
//! standard Helvetica and Helvetica-Bold fonts, which every PDF reader provides: one font resource
//! per face with WinAnsiEncoding for Latin-1, and one with a custom `/Differences` encoding for
//! Latin Extended-A (Polish, Czech, Hungarian, Romanian, Baltic letters). Text is wrapped by the
//! fonts' real glyph widths ([`fonts`]). Characters outside both sets print as `?` in the PDF (the
//! HTML keeps them).
//!
//! It is not responsible for where the bytes go: the caller writes them to a file, a ZIP or HTTP.

mod fonts;
mod html;
mod pdf;

pub use fonts::text_width;
pub use html::escape;

/// A document: a title (shown in the PDF footer and the HTML `<title>`), a language tag (BCP 47,
/// e.g. `de`), and its blocks in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    pub lang: String,
    pub blocks: Vec<Block>,
}

/// One block of a [`Document`].
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading of level 1..=3 (other levels are clamped).
    Heading { level: u8, text: String },
    /// A paragraph; `\n` starts a new line (addresses), blank lines separate paragraphs.
    Paragraph(String),
    /// Label: value lines, labels aligned in a column.
    KeyValues(Vec<(String, String)>),
    /// A table; cells wrap, the header repeats on every page the table spans.
    Table { header: Vec<String>, rows: Vec<Vec<String>> },
    /// Horizontal bars with their labels and values; negative and non-finite values draw no bar.
    BarChart { title: String, unit: String, bars: Vec<(String, f64)> },
    /// Start a new page (a CSS page break in HTML).
    PageBreak,
}

impl Document {
    /// A new empty document.
    pub fn new(title: impl Into<String>, lang: impl Into<String>) -> Self {
        Document { title: title.into(), lang: lang.into(), blocks: Vec::new() }
    }

    /// Appends a block (builder style).
    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }

    /// A standalone HTML page: escaped, UTF-8, with print CSS (A4, table headers repeat, page
    /// breaks), readable without JavaScript or outside files.
    pub fn to_html(&self) -> String {
        html::render(self)
    }

    /// An A4 PDF 1.7: wrapped text, tables that break across pages with their header repeated,
    /// vector bar charts, page numbers.
    pub fn to_pdf(&self) -> Vec<u8> {
        pdf::render(self)
    }

    /// All visible text of the document, in order (for tests and plain-text previews).
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            match b {
                Block::Heading { text, .. } | Block::Paragraph(text) => {
                    out.push_str(text);
                    out.push('\n');
                }
                Block::KeyValues(kv) => {
                    for (k, v) in kv {
                        out.push_str(&format!("{k}: {v}\n"));
                    }
                }
                Block::Table { header, rows } => {
                    out.push_str(&header.join(" | "));
                    out.push('\n');
                    for r in rows {
                        out.push_str(&r.join(" | "));
                        out.push('\n');
                    }
                }
                Block::BarChart { title, unit, bars } => {
                    out.push_str(&format!("{title} ({unit})\n"));
                    for (l, v) in bars {
                        out.push_str(&format!("{l}: {v}\n"));
                    }
                }
                Block::PageBreak => {}
            }
        }
        out
    }
}

/// A sample document that uses every block and the letters of the supported languages; the CI
/// render check (`ci/pdf-render.sh`) turns it into PNG pages and reads its text back.
pub fn sample() -> Document {
    let mut d = Document::new("msadesk sample document — Größe", "en");
    d.push(Block::Heading { level: 1, text: "Sample document: Zażółć gęślą jaźń".into() });
    d.push(Block::Paragraph(
        "This page shows every block of the document model. Polish: Zażółć gęślą jaźń. German: Größe, \
         Marktüberwachungsbehörde, Konformitätserklärung. French: prénom, déclaration, œuvre, « guillemets ». \
         Dutch: coöperatie, ruïne. Spanish: autoridad de vigilancia del mercado, año, ¿qué? Italian: \
         perché, città. Swedish: marknadskontrollmyndighet, Åsa, Östersund. Czech: Příliš žluťoučký kůň \
         úpěl ďábelské ódy. Hungarian: árvíztűrő tükörfúrógép, Őrség. Romanian: Înștiințare, țară, \
         București."
            .into(),
    ));
    d.push(Block::Paragraph("Line one of an address\nHafenstraße 1\n20457 Hamburg".into()));
    d.push(Block::Heading { level: 2, text: "Label and value lines".into() });
    d.push(Block::KeyValues(vec![
        ("Reference".into(), "DE-2031-17".into()),
        ("prénom".into(), "Agnès".into()),
        ("Received".into(), "4 December 2026, 09:30 Europe/Berlin".into()),
        (
            "A long value".into(),
            "wraps onto the next line when it is wider than the space that is left on the right of the label column, \
             and keeps its indentation."
                .into(),
        ),
    ]));
    d.push(Block::Heading { level: 2, text: "A table across pages".into() });
    let header = vec!["#".into(), "Operator".into(), "Member State".into(), "Quantity".into(), "Note".into()];
    let rows = (1..=70)
        .map(|i| {
            vec![
                i.to_string(),
                format!("Dystrybucja Łódź sp. z o.o. {i}"),
                ["DE", "FR", "PL", "CZ", "HU"][i % 5].to_string(),
                (i * 37).to_string(),
                if i % 7 == 0 {
                    "A longer note that has to wrap inside its cell because the column is narrow".into()
                } else {
                    "ok".into()
                },
            ]
        })
        .collect();
    d.push(Block::Table { header, rows });
    d.push(Block::BarChart {
        title: "Requests per month".into(),
        unit: "requests".into(),
        bars: vec![
            ("2026-07".into(), 3.0),
            ("2026-08".into(), 5.0),
            ("2026-09".into(), 2.0),
            ("2026-10".into(), 8.0),
            ("2026-11".into(), 0.0),
            ("2026-12".into(), 4.5),
        ],
    });
    d.push(Block::PageBreak);
    d.push(Block::Heading { level: 3, text: "After a page break".into() });
    d.push(Block::Paragraph(
        "Characters outside Latin-1 and Latin Extended-A, like → or 中, print as ? in the PDF.".into(),
    ));
    d
}

#[cfg(test)]
mod tests;
