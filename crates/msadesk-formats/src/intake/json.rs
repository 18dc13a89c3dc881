//! Reading a JSON document with a size limit, and small accessors that record a [`Diagnostic`]
//! with the JSON pointer of every problem instead of failing.

use std::io::Read;

use serde_json::Value;

use crate::Diagnostic;

/// Reads at most `max_bytes` and parses the JSON. The error names the file, and the line and
/// column for a syntax error. A UTF-8 byte order mark is skipped. serde_json refuses nesting
/// deeper than 128 levels, so hostile nesting cannot exhaust the stack of the readers either.
pub(crate) fn read_json(input: impl Read, file: &str, max_bytes: u64, what: &str) -> Result<Value, Diagnostic> {
    let mut bytes = Vec::new();
    input
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| diag(file, "", None, format!("reading the file failed: {e}")))?;
    if bytes.len() as u64 > max_bytes {
        return Err(diag(
            file,
            "",
            None,
            format!("the file is larger than {} MiB, the most accepted for {what}", max_bytes / (1024 * 1024)),
        ));
    }
    // UTF-16 with a byte order mark (Windows tools write it; the SPDX examples include one) is
    // converted; JSON proper is UTF-8, whose byte order mark is skipped.
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(u16::from_le_bytes as fn([u8; 2]) -> u16),
        Some([0xFE, 0xFF]) => Some(u16::from_be_bytes as fn([u8; 2]) -> u16),
        _ => None,
    };
    if let Some(to_u16) = utf16 {
        let units: Vec<u16> = bytes[2..].chunks_exact(2).map(|c| to_u16([c[0], c[1]])).collect();
        bytes = String::from_utf16(&units)
            .map_err(|_| {
                diag(file, "", None, format!("the file starts as UTF-16 but is not valid UTF-16; expected {what}"))
            })?
            .into_bytes();
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    serde_json::from_slice(body).map_err(|e| Diagnostic {
        line: Some(e.line() as u64),
        ..diag(file, "", None, format!("this is not valid JSON (column {}): {e}; expected {what}", e.column()))
    })
}

pub(crate) fn diag(file: &str, pointer: &str, field: Option<&str>, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: None,
        pointer: (!pointer.is_empty()).then(|| pointer.to_string()),
        field: field.map(str::to_string),
        message: message.into(),
        skipped: false,
    }
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
pub(crate) fn token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Collects diagnostics while a document is walked.
pub(crate) struct Walk<'a> {
    pub file: &'a str,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Walk<'a> {
    pub fn new(file: &'a str) -> Self {
        Walk { file, diagnostics: Vec::new() }
    }

    pub fn problem(&mut self, pointer: &str, field: &str, message: impl Into<String>) {
        self.diagnostics.push(diag(self.file, &format!("{pointer}/{}", token(field)), Some(field), message));
    }

    /// A problem with an array element: `pointer` is the element's, `field` names the array.
    pub fn problem_at(&mut self, pointer: &str, field: &str, message: impl Into<String>) {
        self.diagnostics.push(diag(self.file, pointer, Some(field), message));
    }

    pub fn skipped(&mut self, pointer: &str, message: impl Into<String>) {
        let mut d = diag(self.file, pointer, None, format!("not imported: {}", message.into()));
        d.skipped = true;
        self.diagnostics.push(d);
    }

    /// An optional string field; a non-string value is a diagnostic.
    pub fn opt_str(&mut self, obj: &Value, pointer: &str, field: &str) -> Option<String> {
        match obj.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                let t = s.trim();
                (!t.is_empty()).then(|| t.to_string())
            }
            Some(other) => {
                self.problem(pointer, field, format!("expected a string, found {}", kind(other)));
                None
            }
        }
    }

    /// A required string field.
    pub fn req_str(&mut self, obj: &Value, pointer: &str, field: &str) -> Option<String> {
        let present = obj.get(field).is_some_and(|v| !v.is_null());
        let v = self.opt_str(obj, pointer, field);
        if v.is_none() && !present {
            self.problem(pointer, field, "is missing: a non-empty string is required");
        } else if v.is_none() && obj.get(field).is_some_and(Value::is_string) {
            self.problem(pointer, field, "is empty: a non-empty string is required");
        }
        v
    }

    /// An optional array field: `Some(&[])` when absent; `None` (with a diagnostic) when it is not an array.
    pub fn array<'v>(&mut self, obj: &'v Value, pointer: &str, field: &str) -> Option<&'v [Value]> {
        match obj.get(field) {
            None | Some(Value::Null) => Some(&[]),
            Some(Value::Array(a)) => Some(a),
            Some(other) => {
                self.problem(pointer, field, format!("expected an array, found {}", kind(other)));
                None
            }
        }
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
