//! Human-readable output: tables for a terminal, and the choice between table and JSON.

use std::io::IsTerminal;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use msadesk_core::trace::{Trace, TraceEntry};

/// Output formats of commands that print records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people (the default on a terminal).
    Table,
    /// JSON with stable keys (the default when standard output is not a terminal).
    Json,
    /// CSV (RFC 4180, UTF-8), where a command supports it.
    Csv,
}

/// The format asked for, or the default for where standard output goes.
pub fn resolve(f: Option<Format>) -> Format {
    f.unwrap_or(if std::io::stdout().is_terminal() { Format::Table } else { Format::Json })
}

pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_header(header.to_vec());
    // Wrap cells to the terminal only when it is wide enough to be worth it: a pseudo-terminal
    // without a size reports a tiny width, and wrapping to it makes one character per line.
    if t.width().is_some_and(|w| w >= 80) {
        t.set_content_arrangement(ContentArrangement::Dynamic);
    }
    t
}

fn entries_table(list: &[TraceEntry]) -> Table {
    let mut t =
        table(&["operator", "name", "address", "country", "e-mail", "role", "first", "last", "quantity", "deliveries"]);
    for e in list {
        t.add_row(vec![
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
        ]);
    }
    t
}

/// Prints a trace for people.
pub fn print_trace(t: &Trace) {
    let version = t.version.as_ref().map_or("all versions".to_string(), |v| format!("version {v}"));
    let period = match (t.from, t.to) {
        (None, None) => "all dates".to_string(),
        (f, to) => format!(
            "{} to {}",
            f.map_or("the beginning".into(), |d| d.to_string()),
            to.map_or("today".into(), |d| d.to_string())
        ),
    };
    println!("Trace of {} ({version}, {period}) — {}", t.product_id, msadesk_core::legal::IDENTIFICATION.cite);
    println!();
    println!("Upstream: operators that supplied us ({})", t.upstream.len());
    if t.upstream.is_empty() {
        println!("  (none in this period)")
    } else {
        println!("{}", entries_table(&t.upstream))
    }
    println!();
    println!("Downstream: operators we supplied ({})", t.downstream.len());
    if t.downstream.is_empty() {
        println!("  (none in this period)")
    } else {
        println!("{}", entries_table(&t.downstream))
    }
    let countries: Vec<String> = t.destination_countries().iter().map(ToString::to_string).collect();
    if !countries.is_empty() {
        println!();
        println!("Supplied to: {}", countries.join(", "));
    }
}
