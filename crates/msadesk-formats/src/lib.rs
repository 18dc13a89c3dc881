//! msadesk-formats: the formats msadesk reads and writes, between bytes and core types.
//!
//! Importers take a reader and yield records plus diagnostics that name the line (or, for JSON, the
//! event and the JSON pointer) and the field; exporters write to `impl Write`. Nothing here opens a
//! file, touches a database or knows HTTP: the caller decides where bytes come from and go to.

#![forbid(unsafe_code)]

pub mod csaf_out;
pub mod csv_export;
pub mod csv_import;
pub mod deployments;
pub mod document;
pub mod epcis;
pub mod intake;
pub mod letters;
pub mod package;
pub mod readiness_doc;
pub mod response;
pub mod trace_out;

use std::fmt;

use serde::Serialize;

/// A problem with one place of an input: where, which field, what was wrong and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The input's name as the user gave it (a path, an upload's file name).
    pub file: String,
    /// 1-based line of a text input (the header is line 1 in CSV).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// For JSON inputs: where in the document, as a JSON pointer (`/epcisBody/eventList/3/bizStep`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The column or field concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What was wrong, and what was expected.
    pub message: String,
    /// A part of the input that is deliberately not imported (an EPCIS event that is not a supply
    /// event), reported so that nothing is dropped silently, but not an error: it does not stop an
    /// atomic import. Its message starts with "not imported:".
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(p) = &self.pointer {
            write!(f, ": at {p}")?;
        }
        if let Some(field) = &self.field {
            // CSV has columns; JSON documents have fields (and a pointer said where).
            let kind = if self.pointer.is_some() { "field" } else { "column" };
            write!(f, ": {kind} '{field}'")?;
        }
        if self.skipped {
            write!(f, ": warning")?;
        }
        write!(f, ": {}", self.message)
    }
}
