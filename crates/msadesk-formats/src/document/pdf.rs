//! The PDF writer: lays a [`Document`] out on A4 pages and writes PDF 1.7 by hand (objects, a
//! cross-reference table with exact byte offsets, uncompressed content streams).
//!
//! Layout works top-down with a cursor: each block asks for the height it needs and starts a new
//! page when it does not fit. Page numbers are written once the number of pages is known.

use std::fmt::Write as _;

use super::fonts::{self, EXT_A, EXT_FIRST, EXTRAS, Set};
use super::{Block, Document};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.7;
const TOP: f32 = PAGE_H - MARGIN;
/// The lowest baseline of body text; the footer lives below it.
const BOTTOM: f32 = MARGIN + 14.0;
/// The lowest point body content may reach.
const FLOOR: f32 = BOTTOM - 4.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;

const BODY: f32 = 10.0;
const LEADING: f32 = 14.0;
const TABLE_SIZE: f32 = 9.0;
const TABLE_LEADING: f32 = 11.5;
const PAD: f32 = 3.0;

#[derive(Debug, Clone)]
enum Op {
    Text { x: f32, y: f32, size: f32, bold: bool, gray: f32, text: String },
    Rect { x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32) },
    Stroke { x: f32, y: f32, w: f32, h: f32 },
    Line { x1: f32, y1: f32, x2: f32, y2: f32 },
}

struct Layout {
    pages: Vec<Vec<Op>>,
    /// The top of the free space on the current page.
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Layout { pages: vec![Vec::new()], y: TOP }
    }

    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    fn at_top(&self) -> bool {
        (self.y - TOP).abs() < 0.01
    }

    /// Makes room for `h` points, starting a new page when needed. Returns whether a page was started.
    fn ensure(&mut self, h: f32) -> bool {
        if self.y - h < FLOOR && !self.at_top() {
            self.new_page();
            return true;
        }
        false
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        self.text_gray(x, y, size, bold, 0.0, text);
    }

    fn text_gray(&mut self, x: f32, y: f32, size: f32, bold: bool, gray: f32, text: &str) {
        if !text.is_empty() {
            self.page().push(Op::Text { x, y, size, bold, gray, text: text.to_string() });
        }
    }

    fn lines(&mut self, lines: &[String], x: f32, size: f32, leading: f32, bold: bool) {
        for l in lines {
            self.ensure(leading);
            let baseline = self.y - size;
            self.text(x, baseline, size, bold, l);
            self.y -= leading;
        }
    }

    fn heading(&mut self, level: u8, text: &str) {
        let size = match level {
            0 | 1 => 16.0,
            2 => 13.0,
            _ => 11.0,
        };
        let leading = size * 1.3;
        let lines = wrap(text, true, size, CONTENT_W);
        if !self.at_top() {
            self.y -= 6.0;
        }
        // Keep the heading with at least two lines of what follows.
        self.ensure(leading * lines.len() as f32 + 2.0 * LEADING);
        self.lines(&lines, 0.0, size, leading, true);
        self.y -= 2.0;
    }

    fn paragraph(&mut self, text: &str) {
        for para in text.split("\n\n") {
            let lines = wrap(para, false, BODY, CONTENT_W);
            self.lines(&lines, 0.0, BODY, LEADING, false);
            self.y -= 5.0;
        }
    }

    fn key_values(&mut self, kv: &[(String, String)]) {
        let widest = kv.iter().map(|(k, _)| fonts::text_width(k, true, BODY)).fold(0.0, f32::max);
        let label_w = (widest + 12.0).min(CONTENT_W * 0.4);
        for (k, v) in kv {
            let label = wrap(&format!("{k}:"), true, BODY, label_w - 8.0);
            let value = wrap(v, false, BODY, CONTENT_W - label_w);
            for i in 0..label.len().max(value.len()) {
                self.ensure(LEADING);
                let baseline = self.y - BODY;
                if let Some(l) = label.get(i) {
                    self.text(0.0, baseline, BODY, true, l);
                }
                if let Some(v) = value.get(i) {
                    self.text(label_w, baseline, BODY, false, v);
                }
                self.y -= LEADING;
            }
        }
        self.y -= 5.0;
    }

    fn table(&mut self, header: &[String], rows: &[Vec<String>]) {
        let n = header.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
        if n == 0 {
            return;
        }
        let cell = |r: &Vec<String>, i: usize| r.get(i).cloned().unwrap_or_default();
        let mut natural = vec![0.0f32; n];
        for (i, nat) in natural.iter_mut().enumerate() {
            let h = header.get(i).map(|t| fonts::text_width(t, true, TABLE_SIZE)).unwrap_or(0.0);
            let body = rows.iter().map(|r| fonts::text_width(&cell(r, i), false, TABLE_SIZE)).fold(0.0, f32::max);
            *nat = h.max(body) + 2.0 * PAD + 1.0;
        }
        let widths = column_widths(&natural, CONTENT_W);
        let header_cells: Vec<Vec<String>> = (0..n)
            .map(|i| wrap(&header.get(i).cloned().unwrap_or_default(), true, TABLE_SIZE, widths[i] - 2.0 * PAD))
            .collect();
        let header_h = header_cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * TABLE_LEADING + 2.0 * PAD;
        if !self.at_top() {
            self.y -= 4.0;
        }
        self.ensure(header_h + TABLE_LEADING + 2.0 * PAD);
        self.table_row(&header_cells, &widths, true);
        for r in rows {
            let cells: Vec<Vec<String>> =
                (0..n).map(|i| wrap(&cell(r, i), false, TABLE_SIZE, widths[i] - 2.0 * PAD)).collect();
            let mut from = 0;
            let total = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            while from < total {
                let room = ((self.y - FLOOR - 2.0 * PAD) / TABLE_LEADING).floor();
                if room < 1.0
                    || (from == 0 && room < total as f32 && total as f32 * TABLE_LEADING < TOP - BOTTOM - 60.0)
                {
                    self.new_page();
                    self.table_row(&header_cells, &widths, true);
                    continue;
                }
                let take = (room as usize).min(total - from);
                let chunk: Vec<Vec<String>> =
                    cells.iter().map(|c| c.iter().skip(from).take(take).cloned().collect()).collect();
                self.table_row(&chunk, &widths, false);
                from += take;
            }
        }
        self.y -= 8.0;
    }

    fn table_row(&mut self, cells: &[Vec<String>], widths: &[f32], header: bool) {
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = lines as f32 * TABLE_LEADING + 2.0 * PAD;
        let mut x = 0.0;
        let top = self.y;
        if header {
            self.page().push(Op::Rect { x: 0.0, y: top - h, w: widths.iter().sum(), h, rgb: (0.88, 0.9, 0.93) });
        }
        for (i, c) in cells.iter().enumerate() {
            self.page().push(Op::Stroke { x, y: top - h, w: widths[i], h });
            for (j, l) in c.iter().enumerate() {
                let baseline = top - PAD - TABLE_SIZE - j as f32 * TABLE_LEADING + 1.0;
                self.text(x + PAD, baseline, TABLE_SIZE, header, l);
            }
            x += widths[i];
        }
        self.y -= h;
    }

    fn bar_chart(&mut self, title: &str, unit: &str, bars: &[(String, f64)]) {
        const ROW: f32 = 16.0;
        let label_w =
            bars.iter().map(|(l, _)| fonts::text_width(l, false, TABLE_SIZE)).fold(0.0, f32::max).min(CONTENT_W * 0.35)
                + 8.0;
        let value_w = 70.0;
        let area = CONTENT_W - label_w - value_w;
        let max = bars.iter().map(|(_, v)| *v).filter(|v| v.is_finite() && *v > 0.0).fold(0.0, f64::max);
        let max = if max > 0.0 { max } else { 1.0 };
        if !self.at_top() {
            self.y -= 6.0;
        }
        let head = |me: &mut Layout, cont: bool| {
            let t = if cont { format!("{title} (continued)") } else { title.to_string() };
            let lines = wrap(&t, true, 11.0, CONTENT_W);
            me.lines(&lines, 0.0, 11.0, 14.0, true);
            if !unit.is_empty() {
                let baseline = me.y - TABLE_SIZE;
                me.text_gray(0.0, baseline, TABLE_SIZE, false, 0.35, unit);
                me.y -= TABLE_LEADING + 2.0;
            }
        };
        self.ensure(14.0 + TABLE_LEADING + 2.0 * ROW.min(bars.len().max(1) as f32 * ROW));
        head(self, false);
        for (label, v) in bars {
            if self.ensure(ROW) {
                head(self, true);
            }
            let baseline = self.y - 11.5;
            let shown = truncate_to(label, false, TABLE_SIZE, label_w - 8.0);
            self.text(0.0, baseline, TABLE_SIZE, false, &shown);
            let len = if v.is_finite() && *v > 0.0 { (*v / max) as f32 * area } else { 0.0 };
            let y = self.y;
            if len > 0.0 {
                self.page().push(Op::Rect { x: label_w, y: y - 13.0, w: len, h: 10.0, rgb: (0.2, 0.42, 0.65) });
            }
            self.page().push(Op::Line { x1: label_w, y1: y, x2: label_w, y2: y - ROW });
            self.text(label_w + len + 4.0, baseline, TABLE_SIZE, false, &number(*v));
            self.y -= ROW;
        }
        self.y -= 8.0;
    }
}

/// A number as a person reads it: integers without decimals, others with up to two.
fn number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Column widths that fill `total`: narrow columns get what they need, the others share the rest
/// in proportion to their natural widths.
fn column_widths(natural: &[f32], total: f32) -> Vec<f32> {
    let n = natural.len();
    let sum: f32 = natural.iter().sum();
    if sum <= total {
        return natural.iter().map(|w| w * total / sum.max(1.0)).collect();
    }
    let mut w = vec![0.0f32; n];
    let mut fixed = vec![false; n];
    loop {
        let used: f32 = (0..n).filter(|&i| fixed[i]).map(|i| w[i]).sum();
        let free: Vec<usize> = (0..n).filter(|&i| !fixed[i]).collect();
        if free.is_empty() {
            break;
        }
        let share = (total - used) / free.len() as f32;
        let mut changed = false;
        for &i in &free {
            if natural[i] <= share {
                w[i] = natural[i];
                fixed[i] = true;
                changed = true;
            }
        }
        if !changed {
            let rest = total - used;
            let free_sum: f32 = free.iter().map(|&i| natural[i]).sum();
            for &i in &free {
                w[i] = rest * natural[i] / free_sum.max(1.0);
            }
            break;
        }
    }
    w
}

/// Shortens `text` with an ellipsis so that it fits `max` points.
fn truncate_to(text: &str, bold: bool, size: f32, max: f32) -> String {
    if fonts::text_width(text, bold, size) <= max {
        return text.to_string();
    }
    let mut s = String::new();
    for c in text.chars() {
        if fonts::text_width(&format!("{s}{c}…"), bold, size) > max {
            break;
        }
        s.push(c);
    }
    s.push('…');
    s
}

/// Breaks `text` into lines no wider than `max` points: at spaces, at explicit newlines, and inside
/// words that are wider than a whole line.
pub(super) fn wrap(text: &str, bold: bool, size: f32, max: f32) -> Vec<String> {
    let max = max.max(size);
    let mut out = Vec::new();
    for raw in text.split('\n') {
        let mut line = String::new();
        for word in raw.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if fonts::text_width(&candidate, bold, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            if fonts::text_width(word, bold, size) <= max {
                line = word.to_string();
            } else {
                for c in word.chars() {
                    let next = format!("{line}{c}");
                    if fonts::text_width(&next, bold, size) > max && !line.is_empty() {
                        out.push(std::mem::take(&mut line));
                        line.push(c);
                    } else {
                        line = next;
                    }
                }
            }
        }
        out.push(line);
    }
    out
}

pub(super) fn render(doc: &Document) -> Vec<u8> {
    let mut l = Layout::new();
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text } => l.heading(*level, text),
            Block::Paragraph(t) => l.paragraph(t),
            Block::KeyValues(kv) => l.key_values(kv),
            Block::Table { header, rows } => l.table(header, rows),
            Block::BarChart { title, unit, bars } => l.bar_chart(title, unit, bars),
            Block::PageBreak => {
                if !l.at_top() {
                    l.new_page();
                }
            }
        }
    }
    let total = l.pages.len();
    let footer_title = truncate_to(&doc.title, false, 8.0, CONTENT_W - 90.0);
    for (i, page) in l.pages.iter_mut().enumerate() {
        let label = format!("{} / {}", i + 1, total);
        let lw = fonts::text_width(&label, false, 8.0);
        page.push(Op::Line { x1: 0.0, y1: MARGIN - 4.0, x2: CONTENT_W, y2: MARGIN - 4.0 });
        page.push(Op::Text {
            x: 0.0,
            y: MARGIN - 14.0,
            size: 8.0,
            bold: false,
            gray: 0.35,
            text: footer_title.clone(),
        });
        page.push(Op::Text { x: CONTENT_W - lw, y: MARGIN - 14.0, size: 8.0, bold: false, gray: 0.35, text: label });
    }
    write_pdf(doc, &l.pages)
}

/// A PDF string literal of raw bytes.
fn literal(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('(');
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                s.push('\\');
                s.push(b as char);
            }
            32..=126 => s.push(b as char),
            _ => {
                let _ = write!(s, "\\{b:03o}");
            }
        }
    }
    s.push(')');
    s
}

/// A PDF text string (document information) in UTF-16BE with a byte-order mark.
fn text_string(text: &str) -> String {
    let mut s = String::from("<FEFF");
    for u in text.encode_utf16() {
        let _ = write!(s, "{u:04X}");
    }
    s.push('>');
    s
}

fn content(ops: &[Op]) -> String {
    let mut s = String::new();
    for op in ops {
        match op {
            Op::Text { x, y, size, bold, gray, text } => {
                let _ = write!(s, "{gray:.2} g BT 1 0 0 1 {:.2} {:.2} Tm ", MARGIN + x, y);
                let mut run: Vec<u8> = Vec::new();
                let mut current: Option<Set> = None;
                let font = |set: Set| match (set, bold) {
                    (Set::Win, false) => "F1",
                    (Set::Ext, false) => "F2",
                    (Set::Win, true) => "F3",
                    (Set::Ext, true) => "F4",
                };
                for c in text.chars() {
                    let (set, code) = fonts::encode(c);
                    if current != Some(set) {
                        if let Some(cur) = current {
                            let _ = write!(s, "/{} {size} Tf {} Tj ", font(cur), literal(&run));
                            run.clear();
                        }
                        current = Some(set);
                    }
                    run.push(code);
                }
                if let Some(cur) = current {
                    let _ = write!(s, "/{} {size} Tf {} Tj ", font(cur), literal(&run));
                }
                s.push_str("ET\n");
            }
            Op::Rect { x, y, w, h, rgb } => {
                let _ = writeln!(
                    s,
                    "{:.3} {:.3} {:.3} rg {:.2} {:.2} {:.2} {:.2} re f",
                    rgb.0,
                    rgb.1,
                    rgb.2,
                    MARGIN + x,
                    y,
                    w,
                    h
                );
            }
            Op::Stroke { x, y, w, h } => {
                let _ = writeln!(s, "0.6 G 0.5 w {:.2} {:.2} {:.2} {:.2} re S", MARGIN + x, y, w, h);
            }
            Op::Line { x1, y1, x2, y2 } => {
                let _ = writeln!(s, "0.6 G 0.5 w {:.2} {:.2} m {:.2} {:.2} l S", MARGIN + x1, y1, MARGIN + x2, y2);
            }
        }
    }
    s
}

fn widths(set: Set, bold: bool) -> (u8, u8, String) {
    let (first, last) = match set {
        Set::Win => (32u8, 255u8),
        Set::Ext => (EXT_FIRST, EXT_FIRST + 128 + EXTRAS.len() as u8 - 1),
    };
    let list: Vec<String> = (first..=last).map(|c| fonts::width(set, c, bold).to_string()).collect();
    (first, last, list.join(" "))
}

fn write_pdf(doc: &Document, pages: &[Vec<Op>]) -> Vec<u8> {
    // Object numbers: 1 catalog, 2 page tree, 3-6 fonts, 7 the Ext encoding, 8 info, then a page
    // object and its content stream per page.
    let n_pages = pages.len();
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let kids: Vec<String> = (0..n_pages).map(|i| format!("{} 0 R", 9 + 2 * i)).collect();
    let lang: String = doc.lang.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    objects.push(format!("<< /Type /Catalog /Pages 2 0 R /Lang ({lang}) >>").into_bytes());
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n_pages} /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R /F4 6 0 R >> >> >>",
            kids.join(" ")
        )
        .into_bytes(),
    );
    for (set, bold) in [(Set::Win, false), (Set::Ext, false), (Set::Win, true), (Set::Ext, true)] {
        let base = if bold { "Helvetica-Bold" } else { "Helvetica" };
        let enc = match set {
            Set::Win => "/WinAnsiEncoding".to_string(),
            Set::Ext => "7 0 R".to_string(),
        };
        let (first, last, w) = widths(set, bold);
        objects.push(
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding {enc} /FirstChar {first} /LastChar {last} /Widths [{w}] >>"
            )
            .into_bytes(),
        );
    }
    let mut diff = format!("<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [{EXT_FIRST}");
    for name in EXT_A.iter().copied().chain(EXTRAS.iter().map(|e| e.1)) {
        diff.push_str(" /");
        diff.push_str(name);
    }
    diff.push_str("] >>");
    objects.push(diff.into_bytes());
    objects.push(format!("<< /Title {} /Producer (msadesk) >>", text_string(&doc.title)).into_bytes());
    for ops in pages {
        let idx = objects.len() + 2; // this page's content stream object number (1-based + 1)
        objects.push(format!("<< /Type /Page /Parent 2 0 R /Contents {idx} 0 R >>").into_bytes());
        let stream = content(ops);
        let mut obj = format!("<< /Length {} >>\nstream\n", stream.len()).into_bytes();
        obj.extend_from_slice(stream.as_bytes());
        obj.extend_from_slice(b"\nendstream");
        objects.push(obj);
    }
    let mut out: Vec<u8> = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let mut x = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        let _ = writeln!(x, "{o:010} 00000 n ");
    }
    let _ = write!(x, "trailer\n<< /Size {} /Root 1 0 R /Info 8 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    out.extend_from_slice(x.as_bytes());
    out
}
