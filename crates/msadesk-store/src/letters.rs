//! The operator's own wording of letters: Fluent text that overrides the built-in template of one
//! (letter kind, language). The store keeps the text as given; parsing and checking it is
//! `msadesk_formats::letters`' business, done before it is stored.

use serde::Serialize;

use crate::{ChangeMeta, Result, StoreError};

/// The largest template text accepted (the built-in ones are a few KiB).
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;

/// A stored override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterTemplate {
    /// The letter kind (`request-ack`, …).
    pub kind: String,
    /// ISO 639-1 language.
    pub lang: String,
    /// The Fluent text.
    pub text: String,
    /// When it was last set (RFC 3339 UTC) and by whom.
    pub updated_at: String,
    pub updated_by: String,
}

/// Storage of letter template overrides. Setting and removing are audited (`letter_templates`).
pub trait LetterTemplateStore {
    /// The override of (kind, lang), if the operator set one.
    fn letter_template(&mut self, kind: &str, lang: &str) -> Result<Option<LetterTemplate>>;
    /// Every override, ordered by kind and language.
    fn letter_templates(&mut self) -> Result<Vec<LetterTemplate>>;
    /// Sets (or replaces) the override of (kind, lang).
    fn set_letter_template(&mut self, kind: &str, lang: &str, text: &str, meta: &ChangeMeta) -> Result<LetterTemplate>;
    /// Removes the override of (kind, lang), so the built-in wording applies again. Returns whether
    /// there was one.
    fn remove_letter_template(&mut self, kind: &str, lang: &str, meta: &ChangeMeta) -> Result<bool>;
}

/// Checks what every engine must refuse before writing.
pub fn check_template_input(kind: &str, lang: &str, text: &str) -> Result<()> {
    let simple = |s: &str| !s.is_empty() && s.len() <= 40 && s.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    if !simple(kind) {
        return Err(StoreError::Invalid(format!("'{kind}' is not a letter kind name (e.g. request-ack)")));
    }
    if lang.len() != 2 || !lang.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(StoreError::Invalid(format!("'{lang}' is not an ISO 639-1 language code (e.g. de)")));
    }
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err(StoreError::Invalid(format!(
            "the template is {} bytes, more than the {MAX_TEMPLATE_BYTES} accepted",
            text.len()
        )));
    }
    Ok(())
}

/// The audit detail of a change: what was set, with the text's size and SHA-256 (the text itself
/// stays in the table, the trail proves which one it was).
pub fn template_audit_detail(kind: &str, lang: &str, text: Option<&str>) -> serde_json::Value {
    match text {
        Some(t) => serde_json::json!({
            "kind": kind,
            "lang": lang,
            "bytes": t.len(),
            "sha256": msadesk_core::audit::sha256_hex(t.as_bytes()),
        }),
        None => serde_json::json!({ "kind": kind, "lang": lang, "removed": true }),
    }
}
