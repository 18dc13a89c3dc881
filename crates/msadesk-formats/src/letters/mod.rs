//! Letters from Fluent templates: acknowledgements and cover letters for authorities' requests,
//! risk notices, vulnerability information, user notices and recall letters, in English and the
//! languages of the authorities (de fr nl es it sv pl), rendered to a [`Document`].
//!
//! The templates ship in the binary (`letters/<lang>/common.ftl` and `letters/<lang>/<kind>.ftl`).
//! An operator may override the messages of one (kind, language) with their own Fluent text; the
//! override is laid over the built-in text, so a message it leaves out keeps its built-in wording.
//! Storing overrides is the store's business; this module only parses, checks and renders.
//!
//! Arguments are plain strings ([`LetterArgs`]); lists are pre-joined by the caller (one item per
//! line). Arguments whose name ends in `_date` and hold an ISO date (`2026-12-04`) are written in
//! the letter language's date format ("4. Dezember 2026", "4 grudnia 2026").

use std::collections::BTreeSet;
use std::fmt;

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use fluent_syntax::ast;

use crate::document::{Block, Document};

mod dates;
mod legal;
mod request;

pub use dates::format_date;
pub use legal::localize_legal_basis;
pub use request::{request_letter_args, sender_args};

/// The letters we write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LetterKind {
    /// Acknowledgement of an authority's request (their reference, receipt, what we will provide, by when).
    RequestAck,
    /// Cover letter of the response package to an authority's request.
    ResponseCover,
    /// Importer/distributor informing a market surveillance authority of a significant cybersecurity risk.
    RiskNoticeMsa,
    /// Importer/distributor informing the manufacturer of a vulnerability.
    VulnInfoManufacturer,
    /// Plain-language notice to users (a recommendation when we are importer or distributor).
    UserNotice,
    /// Recall notice to a downstream recipient.
    RecallNotice,
    /// Recall status report to the authority.
    RecallStatusReport,
}

/// Every kind, in a stable order.
pub const KINDS: &[LetterKind] = &[
    LetterKind::RequestAck,
    LetterKind::ResponseCover,
    LetterKind::RiskNoticeMsa,
    LetterKind::VulnInfoManufacturer,
    LetterKind::UserNotice,
    LetterKind::RecallNotice,
    LetterKind::RecallStatusReport,
];

/// The languages letters are written in; English is the reference and the fallback.
pub const LANGUAGES: &[&str] = &["en", "de", "fr", "nl", "es", "it", "sv", "pl"];

/// Named argument values of a letter.
pub type LetterArgs = std::collections::BTreeMap<String, String>;

impl LetterKind {
    /// The kebab-case name used in file names, the CLI and the store (`request-ack`).
    pub fn as_str(self) -> &'static str {
        match self {
            LetterKind::RequestAck => "request-ack",
            LetterKind::ResponseCover => "response-cover",
            LetterKind::RiskNoticeMsa => "risk-notice-msa",
            LetterKind::VulnInfoManufacturer => "vuln-info-manufacturer",
            LetterKind::UserNotice => "user-notice",
            LetterKind::RecallNotice => "recall-notice",
            LetterKind::RecallStatusReport => "recall-status-report",
        }
    }

    /// Parses a kind name (`request-ack`, also `request_ack`).
    pub fn parse(name: &str) -> Result<LetterKind, LetterError> {
        let n = name.trim().to_ascii_lowercase().replace('_', "-");
        KINDS.iter().copied().find(|k| k.as_str() == n).ok_or_else(|| LetterError::UnknownKind(name.to_string()))
    }
}

impl fmt::Display for LetterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can go wrong with a letter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    #[error("the {kind} letter needs the argument '{arg}' (required: {})", required_args(*kind).join(", "))]
    MissingArg { kind: LetterKind, arg: String },
    #[error("'{0}' is not a letter kind: use one of {kinds}", kinds = KINDS.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))]
    UnknownKind(String),
    #[error("'{0}' is not a letter language: use one of {langs}", langs = LANGUAGES.join(", "))]
    UnknownLanguage(String),
    #[error("template line {line}, column {column}: {message}")]
    Parse { line: usize, column: usize, message: String },
    #[error("template message '{id}': {message}")]
    Format { id: String, message: String },
}

/// The arguments `kind` needs (the common ones first). Optional ones are listed in [`optional_args`].
pub fn required_args(kind: LetterKind) -> &'static [&'static str] {
    match kind {
        LetterKind::RequestAck => &[
            "sender_name",
            "recipient_name",
            "letter_date",
            "contact_name",
            "contact_email",
            "their_reference",
            "received_date",
            "asks",
            "due_date",
        ],
        LetterKind::ResponseCover => &[
            "sender_name",
            "recipient_name",
            "letter_date",
            "contact_name",
            "contact_email",
            "their_reference",
            "products",
            "period",
            "enclosures",
            "legal_basis",
        ],
        LetterKind::RiskNoticeMsa => &[
            "sender_name",
            "recipient_name",
            "letter_date",
            "contact_name",
            "contact_email",
            "product",
            "versions",
            "vulnerability",
            "risk_details",
            "member_states",
            "quantities",
            "corrective_measures",
            "legal_basis",
        ],
        LetterKind::VulnInfoManufacturer => &[
            "sender_name",
            "recipient_name",
            "letter_date",
            "contact_name",
            "contact_email",
            "product",
            "versions",
            "vulnerability",
            "risk_details",
            "legal_basis",
        ],
        LetterKind::UserNotice => &[
            "sender_name",
            "recipient_name",
            "letter_date",
            "contact_name",
            "contact_email",
            "product",
            "versions",
            "vulnerability",
            "risk_details",
            "what_to_do",
        ],
        LetterKind::RecallNotice => &[
            "sender_name",
            "recipient_name",
            "letter_date",
            "contact_name",
            "contact_email",
            "product",
            "versions",
            "recall_reference",
            "reason",
            "what_to_do",
            "deadline_date",
            "ack_link",
        ],
        LetterKind::RecallStatusReport => &[
            "sender_name",
            "recipient_name",
            "letter_date",
            "contact_name",
            "contact_email",
            "product",
            "versions",
            "recall_reference",
            "recipients_notified",
            "recipients_responded",
            "quantities",
            "non_responders",
            "completion_date",
        ],
    }
}

/// Arguments `kind` uses when given.
pub fn optional_args(kind: LetterKind) -> &'static [&'static str] {
    match kind {
        LetterKind::RequestAck => &["sender_address", "recipient_address", "products"],
        LetterKind::ResponseCover => &["sender_address", "recipient_address"],
        LetterKind::RiskNoticeMsa => {
            &["sender_address", "recipient_address", "severity", "aware_since_date", "their_reference"]
        }
        LetterKind::VulnInfoManufacturer => {
            &["sender_address", "recipient_address", "severity", "source", "our_reference"]
        }
        LetterKind::UserNotice => &["sender_address", "recipient_address", "severity", "legal_basis", "recommendation"],
        LetterKind::RecallNotice => &["sender_address", "recipient_address", "units"],
        LetterKind::RecallStatusReport => &["sender_address", "recipient_address", "effectiveness", "their_reference"],
    }
}

/// One part of a letter's body.
enum Part {
    /// A paragraph from a message.
    Msg(&'static str),
    /// A paragraph from a message, only when the argument is given (and not "no"/"false").
    MsgIf(&'static str, &'static str),
    /// A paragraph holding an argument's value (a pre-joined list).
    Arg(&'static str),
    /// Label/value lines: (label message, argument); lines whose argument is missing are left out.
    Lines(&'static [(&'static str, &'static str)]),
}

fn body(kind: LetterKind) -> Vec<Part> {
    use Part::*;
    match kind {
        LetterKind::RequestAck => vec![
            Msg("request-ack-intro"),
            Lines(&[("label-products", "products")]),
            Msg("request-ack-provide"),
            Arg("asks"),
            Msg("request-ack-deadline"),
            Msg("request-ack-contact"),
        ],
        LetterKind::ResponseCover => vec![
            Msg("response-cover-intro"),
            Lines(&[("label-products", "products"), ("label-period", "period"), ("label-legal-basis", "legal_basis")]),
            Msg("response-cover-enclosures"),
            Arg("enclosures"),
            Msg("response-cover-integrity"),
            Msg("response-cover-basis"),
            Msg("response-cover-offer"),
        ],
        LetterKind::RiskNoticeMsa => vec![
            Msg("risk-notice-msa-intro"),
            Lines(&[
                ("label-product", "product"),
                ("label-versions", "versions"),
                ("label-vulnerability", "vulnerability"),
                ("label-severity", "severity"),
                ("label-details", "risk_details"),
                ("label-member-states", "member_states"),
                ("label-quantities", "quantities"),
                ("label-aware-since", "aware_since_date"),
                ("label-legal-basis", "legal_basis"),
            ]),
            Msg("risk-notice-msa-measures"),
            Arg("corrective_measures"),
            Msg("risk-notice-msa-offer"),
        ],
        LetterKind::VulnInfoManufacturer => vec![
            Msg("vuln-info-manufacturer-intro"),
            Lines(&[
                ("label-product", "product"),
                ("label-versions", "versions"),
                ("label-vulnerability", "vulnerability"),
                ("label-severity", "severity"),
                ("label-details", "risk_details"),
                ("label-source", "source"),
                ("label-legal-basis", "legal_basis"),
            ]),
            Msg("vuln-info-manufacturer-request"),
        ],
        LetterKind::UserNotice => vec![
            Msg("user-notice-intro"),
            Lines(&[
                ("label-vulnerability", "vulnerability"),
                ("label-severity", "severity"),
                ("label-details", "risk_details"),
            ]),
            Msg("user-notice-todo"),
            Arg("what_to_do"),
            MsgIf("legal_basis", "user-notice-basis"),
            MsgIf("recommendation", "user-notice-recommendation"),
            Msg("user-notice-questions"),
        ],
        LetterKind::RecallNotice => vec![
            Msg("recall-notice-intro"),
            Lines(&[
                ("label-product", "product"),
                ("label-versions", "versions"),
                ("label-units", "units"),
                ("label-reason", "reason"),
                ("label-what-to-do", "what_to_do"),
                ("label-deadline", "deadline_date"),
            ]),
            Msg("recall-notice-report"),
            Msg("recall-notice-sub-recipients"),
        ],
        LetterKind::RecallStatusReport => vec![
            Msg("recall-status-report-intro"),
            Lines(&[
                ("label-product", "product"),
                ("label-versions", "versions"),
                ("label-recipients-notified", "recipients_notified"),
                ("label-recipients-responded", "recipients_responded"),
                ("label-quantities", "quantities"),
                ("label-effectiveness", "effectiveness"),
                ("label-non-responders", "non_responders"),
                ("label-completion", "completion_date"),
            ]),
            Msg("recall-status-report-next"),
        ],
    }
}

macro_rules! lang_files {
    ($($lang:literal),*) => {
        /// The built-in template of (kind, language): its common messages and its own.
        fn builtin(kind: LetterKind, lang: &str) -> Option<(&'static str, &'static str)> {
            match lang {
                $($lang => Some((
                    include_str!(concat!("../../letters/", $lang, "/common.ftl")),
                    match kind {
                        LetterKind::RequestAck => include_str!(concat!("../../letters/", $lang, "/request-ack.ftl")),
                        LetterKind::ResponseCover => include_str!(concat!("../../letters/", $lang, "/response-cover.ftl")),
                        LetterKind::RiskNoticeMsa => include_str!(concat!("../../letters/", $lang, "/risk-notice-msa.ftl")),
                        LetterKind::VulnInfoManufacturer => include_str!(concat!("../../letters/", $lang, "/vuln-info-manufacturer.ftl")),
                        LetterKind::UserNotice => include_str!(concat!("../../letters/", $lang, "/user-notice.ftl")),
                        LetterKind::RecallNotice => include_str!(concat!("../../letters/", $lang, "/recall-notice.ftl")),
                        LetterKind::RecallStatusReport => include_str!(concat!("../../letters/", $lang, "/recall-status-report.ftl")),
                    },
                )),)*
                _ => None,
            }
        }
    };
}

lang_files!("en", "de", "fr", "nl", "es", "it", "sv", "pl");

/// The language a letter is written in for `lang`: itself when supported (case and region are
/// ignored: `de-AT` is `de`), otherwise English with an explanation the caller can show.
pub fn effective_language(lang: &str) -> (&'static str, Option<String>) {
    let primary = lang.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    match LANGUAGES.iter().find(|l| **l == primary) {
        Some(l) => (l, None),
        None => (
            "en",
            Some(format!(
                "no letter templates in '{lang}': the letter is written in English (languages: {})",
                LANGUAGES.join(", ")
            )),
        ),
    }
}

/// The full template text of (kind, language) as an operator edits it: the common messages and the
/// kind's own, with a header saying what the file is. Unknown languages give English.
pub fn template_text(kind: LetterKind, lang: &str) -> String {
    let (lang, _) = effective_language(lang);
    let (common, own) = builtin(kind, lang).or_else(|| builtin(kind, "en")).unwrap_or(("", ""));
    format!(
        "# msadesk letter template: {kind}, language {lang}.\n# Edit the wording, keep the message ids and the {{ $variables }}; import with\n#   msadesk letter template import {kind}.{lang}.ftl --lang {lang}\n# Arguments: {} (optional: {}).\n\n{common}\n{own}",
        required_args(kind).join(", "),
        optional_args(kind).join(", ")
    )
}

/// Parses Fluent text, reporting the first syntax error with its line and column.
fn parse(text: &str) -> Result<FluentResource, LetterError> {
    FluentResource::try_new(text.to_string()).map_err(|(_, errors)| {
        let e = &errors[0];
        // The entry that is broken starts at `slice`; the parser noticed it at `pos`.
        let (line, column) = line_col(text, e.slice.as_ref().map_or(e.pos.start, |s| s.start));
        let (at_line, at_column) = line_col(text, e.pos.start);
        LetterError::Parse {
            line,
            column,
            message: format!("{} (noticed at line {at_line}, column {at_column})", e.kind),
        }
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn message_ids(res: &FluentResource) -> BTreeSet<String> {
    res.entries()
        .filter_map(|e| match e {
            ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}

/// What checking an operator's template found: the messages of the English template it does not
/// define (the built-in wording stays for those) and messages no letter uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateCheck {
    pub missing: Vec<String>,
    pub unknown: Vec<String>,
}

/// Checks an operator's template for (kind, language): it must parse (a syntax error names the
/// line and column), and it must render with sample arguments; missing and unknown messages are
/// reported, not refused.
pub fn check_template(kind: LetterKind, lang: &str, text: &str) -> Result<TemplateCheck, LetterError> {
    if !LANGUAGES.contains(&lang) {
        return Err(LetterError::UnknownLanguage(lang.to_string()));
    }
    let res = parse(text)?;
    let ids = message_ids(&res);
    let (common, own) = builtin(kind, "en").unwrap_or(("", ""));
    let mut reference = message_ids(&parse(common)?);
    reference.extend(message_ids(&parse(own)?));
    let missing = reference.difference(&ids).cloned().collect();
    let unknown = ids.difference(&reference).cloned().collect();
    render(kind, lang, &sample_args(kind), Some(text))?;
    Ok(TemplateCheck { missing, unknown })
}

/// Plausible arguments for every argument a kind uses (previews and template checks).
pub fn sample_args(kind: LetterKind) -> LetterArgs {
    let mut a = LetterArgs::new();
    for name in required_args(kind).iter().chain(optional_args(kind)) {
        let v = match *name {
            n if n.ends_with("_date") => "2026-12-04".to_string(),
            "recommendation" => "yes".into(),
            "sender_name" => "ACME Import GmbH".into(),
            "recipient_name" => "Bundesnetzagentur".into(),
            "contact_email" => "compliance@acme.example".into(),
            n => format!("[{n}]"),
        };
        a.insert((*name).to_string(), v);
    }
    a
}

/// An argument as the letter prints it: dates and legal references in the letter's language.
fn localize_arg(lang: &str, name: &str, value: &str) -> String {
    let v = value.trim();
    if name.ends_with("_date") {
        format_date(lang, v)
    } else if name == "legal_basis" {
        localize_legal_basis(lang, v)
    } else {
        v.to_string()
    }
}

fn capitalize(v: &str) -> String {
    let mut c = v.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn given<'a>(args: &'a LetterArgs, name: &str) -> Option<&'a str> {
    args.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A shared phrase of the letters in `lang` (e.g. `ask-trace`, `period-range` with `from_date` and
/// `to_date`), for callers that build list arguments in the letter's language. Dates are localized
/// as in letters.
pub fn phrase(lang: &str, id: &str, args: &[(&str, &str)]) -> Result<String, LetterError> {
    let (lang, _) = effective_language(lang);
    let (common, _) = builtin(LetterKind::RequestAck, lang).ok_or_else(|| LetterError::UnknownLanguage(lang.into()))?;
    let langid: unic_langid::LanguageIdentifier =
        lang.parse().map_err(|_| LetterError::UnknownLanguage(lang.to_string()))?;
    let mut bundle = FluentBundle::new(vec![langid]);
    bundle.set_use_isolating(false);
    bundle
        .add_resource(parse(common)?)
        .map_err(|e| LetterError::Format { id: id.to_string(), message: format!("{e:?}") })?;
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(k.to_string(), FluentValue::from(localize_arg(lang, k, v)));
    }
    let pattern = bundle
        .get_message(id)
        .and_then(|m| m.value())
        .ok_or_else(|| LetterError::Format { id: id.to_string(), message: "no such phrase".into() })?;
    let mut errors = Vec::new();
    let out = bundle.format_pattern(pattern, Some(&fargs), &mut errors).to_string();
    match errors.first() {
        Some(e) => Err(LetterError::Format { id: id.to_string(), message: e.to_string() }),
        None => Ok(out),
    }
}

/// Renders a letter. Unknown languages are written in English (see [`effective_language`]); a
/// missing required argument is an error naming it. `overrides` is the operator's Fluent text for
/// this (kind, language), laid over the built-in messages.
pub fn render(
    kind: LetterKind,
    lang: &str,
    args: &LetterArgs,
    overrides: Option<&str>,
) -> Result<Document, LetterError> {
    let (lang, _) = effective_language(lang);
    for a in required_args(kind) {
        if given(args, a).is_none() {
            return Err(LetterError::MissingArg { kind, arg: (*a).to_string() });
        }
    }
    let (common, own) = builtin(kind, lang).ok_or_else(|| LetterError::UnknownLanguage(lang.to_string()))?;
    let langid: unic_langid::LanguageIdentifier =
        lang.parse().map_err(|_| LetterError::UnknownLanguage(lang.to_string()))?;
    let mut bundle = FluentBundle::new(vec![langid]);
    // Unicode isolation marks would print as '?' in the PDF; our arguments are all left-to-right.
    bundle.set_use_isolating(false);
    let add = |b: &mut FluentBundle<FluentResource>, text: &str, overriding: bool| -> Result<(), LetterError> {
        let res = parse(text)?;
        if overriding {
            b.add_resource_overriding(res);
            Ok(())
        } else {
            b.add_resource(res).map_err(|e| LetterError::Format { id: String::new(), message: format!("{e:?}") })
        }
    };
    add(&mut bundle, common, false)?;
    add(&mut bundle, own, false)?;
    if let Some(text) = overrides {
        add(&mut bundle, text, true)?;
    }
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(k.clone(), FluentValue::from(localize_arg(lang, k, v)));
    }
    let msg = |id: &str| -> Result<String, LetterError> {
        let m = bundle.get_message(id).ok_or_else(|| LetterError::Format {
            id: id.to_string(),
            message: "no such message in the template".into(),
        })?;
        let pattern = m
            .value()
            .ok_or_else(|| LetterError::Format { id: id.to_string(), message: "the message has no value".into() })?;
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, Some(&fargs), &mut errors).to_string();
        if let Some(e) = errors.first() {
            return Err(LetterError::Format { id: id.to_string(), message: e.to_string() });
        }
        Ok(out)
    };
    let arg = |name: &str| given(args, name).map(|v| localize_arg(lang, name, v));

    let subject = msg(&format!("{kind}-subject"))?;
    let mut doc = Document::new(subject.clone(), lang);
    let mut sender = args.get("sender_name").cloned().unwrap_or_default();
    if let Some(a) = arg("sender_address") {
        sender = format!("{sender}\n{a}");
    }
    doc.push(Block::Paragraph(sender));
    let mut recipient = args.get("recipient_name").cloned().unwrap_or_default();
    if let Some(a) = arg("recipient_address") {
        recipient = format!("{recipient}\n{a}");
    }
    doc.push(Block::Paragraph(recipient));
    let mut head = vec![(msg("date-label")?, arg("letter_date").unwrap_or_default())];
    if let Some(r) = arg("their_reference") {
        head.push((msg("your-reference")?, r));
    }
    if let Some(r) = arg("our_reference").or_else(|| arg("recall_reference")) {
        head.push((msg("our-reference")?, r));
    }
    doc.push(Block::KeyValues(head));
    doc.push(Block::Heading { level: 2, text: subject });
    let salutation_id = format!("{kind}-salutation");
    let salutation = if bundle.has_message(&salutation_id) { msg(&salutation_id)? } else { msg("salutation")? };
    doc.push(Block::Paragraph(salutation));
    for part in body(kind) {
        match part {
            Part::Msg(id) => {
                doc.push(Block::Paragraph(msg(id)?));
            }
            Part::MsgIf(a, id) => {
                if given(args, a).is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "no" | "false" | "0")) {
                    doc.push(Block::Paragraph(msg(id)?));
                }
            }
            Part::Arg(a) => {
                doc.push(Block::Paragraph(arg(a).unwrap_or_default()));
            }
            Part::Lines(lines) => {
                let mut kv = Vec::new();
                for (label, a) in lines {
                    if let Some(v) = arg(a) {
                        kv.push((msg(label)?, capitalize(&v)));
                    }
                }
                if !kv.is_empty() {
                    doc.push(Block::KeyValues(kv));
                }
            }
        }
    }
    let closing_id = format!("{kind}-closing");
    let closing = if bundle.has_message(&closing_id) { msg(&closing_id)? } else { msg("closing")? };
    doc.push(Block::Paragraph(closing));
    let sign = format!("{}\n{}", args.get("sender_name").cloned().unwrap_or_default(), msg("contact-line")?);
    doc.push(Block::Paragraph(sign));
    Ok(doc)
}

#[cfg(test)]
mod tests;
