//! `msadesk letter …` and `msadesk request letter`: letters from the Fluent templates of
//! `msadesk_formats::letters`, with the operator's overrides from the store, written as PDF or HTML.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use msadesk_core::{Date, OurRole};
use msadesk_formats::letters::{self, LANGUAGES, LetterArgs, LetterKind};
use msadesk_store::{ChangeMeta, Store};
use serde::Serialize;

use crate::cli::print_json;
use crate::db;
use crate::output::{self, Format};

#[derive(Subcommand)]
pub enum LetterCommand {
    /// The operator's own wording: export the templates, edit them, import them back.
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk letter template export --lang de --out templates/\n  msadesk letter template import templates/request-ack.de.ftl --lang de\n  msadesk letter template list\n  msadesk letter template remove --kind request-ack --lang de"
    )]
    Template(TemplateCommand),
    /// Render a letter from named arguments to PDF or HTML (the file extension decides).
    #[command(
        after_help = "Our name, address, contact and today's date are filled in from `msadesk init` unless given.\nArguments named *_date take an ISO date (2026-12-04) and are written in the letter's language;\nlegal_basis takes cites such as 'CRA Art 19(5)'. Lists: one item per line.\n`msadesk letter kinds` lists each kind's arguments.\n\nExample:\n  msadesk letter render --kind request-ack --lang de --arg sender_name='ACME Import GmbH' --arg recipient_name=Bundesnetzagentur \\\n    --arg letter_date=2026-12-04 --arg contact_name='Jana Novák' --arg contact_email=compliance@acme.example \\\n    --arg their_reference=BNetzA-2026-0042 --arg received_date=2026-12-03 --arg asks='Lieferkette' --arg due_date=2026-12-17 --out ack.pdf"
    )]
    Render(RenderArgs),
    /// List the letter kinds with their required and optional arguments.
    #[command(after_help = "Example:\n  msadesk letter kinds --format json")]
    Kinds {
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

#[derive(Subcommand)]
pub enum TemplateCommand {
    /// Write the templates in force (the override where there is one, else the built-in text) as KIND.LANG.ftl files.
    #[command(after_help = "Example:\n  msadesk letter template export --lang de --out templates/")]
    Export {
        /// Language (en de fr nl es it sv pl).
        #[arg(long)]
        lang: String,
        /// Directory to write to (created when missing).
        #[arg(long)]
        out: PathBuf,
        /// Only this kind (default: every kind).
        #[arg(long)]
        kind: Option<String>,
    },
    /// Check a template file and store it as the override of its kind and language.
    #[command(
        after_help = "The kind comes from --kind or the file name (request-ack.de.ftl). Syntax errors name the line and refuse the file;\nmessages the file leaves out keep their built-in wording and are listed.\n\nExample:\n  msadesk letter template import templates/request-ack.de.ftl --lang de"
    )]
    Import {
        file: PathBuf,
        #[arg(long)]
        lang: String,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// List the stored overrides.
    #[command(after_help = "Example:\n  msadesk letter template list --format json")]
    List {
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Remove an override: the built-in wording applies again.
    #[command(after_help = "Example:\n  msadesk letter template remove --kind request-ack --lang de")]
    Remove {
        #[arg(long)]
        kind: String,
        #[arg(long)]
        lang: String,
    },
}

#[derive(Args)]
pub struct RenderArgs {
    /// The letter kind (`msadesk letter kinds`).
    #[arg(long)]
    kind: String,
    /// Language (en de fr nl es it sv pl; others fall back to English with a note).
    #[arg(long, default_value = "en")]
    lang: String,
    /// A named argument, NAME=VALUE (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE")]
    args: Vec<String>,
    /// Arguments from a JSON object file ({"name": "value"}); --arg wins.
    #[arg(long)]
    args_json: Option<PathBuf>,
    /// Output file: .pdf or .html.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct RequestLetterArgs {
    /// The request id (`msadesk request list`).
    id: i64,
    /// ack (acknowledgement of receipt) or cover (cover letter of the response).
    #[arg(long)]
    kind: String,
    /// Language; without it the letter is written in the authority's language (its first one
    /// with templates) and, when that is not English, in English too (FILE.en.pdf beside FILE.pdf).
    #[arg(long)]
    lang: Option<String>,
    /// Output file: .pdf or .html.
    #[arg(long)]
    out: PathBuf,
    /// A file enclosed with the response (repeatable; cover letters). Default: what was asked, and the signed manifest.
    #[arg(long)]
    enclosure: Vec<String>,
    /// The date of the letter (default: today).
    #[arg(long)]
    date: Option<String>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

/// Which file format `out` asks for.
fn output_kind(out: &Path) -> Result<&'static str> {
    match out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("pdf") => Ok("pdf"),
        Some("html" | "htm") => Ok("html"),
        _ => bail!("--out {}: give a file name ending in .pdf or .html", out.display()),
    }
}

/// Renders (kind, lang) with the stored override, writes it to `out`, and returns the language used.
pub(crate) fn write_letter(
    store: &mut dyn Store,
    kind: LetterKind,
    lang: &str,
    args: &LetterArgs,
    out: &Path,
) -> Result<&'static str> {
    let what = output_kind(out)?;
    let (lang, note) = letters::effective_language(lang);
    if let Some(n) = note {
        eprintln!("note: {n}");
    }
    let stored = store.letter_template(kind.as_str(), lang)?;
    let doc = letters::render(kind, lang, args, stored.as_ref().map(|t| t.text.as_str())).map_err(|e| {
        anyhow!("{e} (template {kind}.{lang}{})", if stored.is_some() { ", operator override" } else { "" })
    })?;
    let bytes = if what == "pdf" { doc.to_pdf() } else { doc.to_html().into_bytes() };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(lang)
}

fn parse_lang(lang: &str) -> Result<&'static str> {
    let l = lang.trim().to_ascii_lowercase();
    LANGUAGES
        .iter()
        .copied()
        .find(|x| *x == l)
        .ok_or_else(|| anyhow!("--lang {lang}: letters exist in {}", LANGUAGES.join(", ")))
}

fn today() -> Date {
    Date::from_unix_seconds(jiff::Timestamp::now().as_second())
}

#[derive(Serialize)]
struct Written {
    kind: &'static str,
    lang: &'static str,
    file: String,
}

pub fn letter(url: &str, c: LetterCommand, meta: ChangeMeta) -> Result<ExitCode> {
    match c {
        LetterCommand::Kinds { format } => {
            #[derive(Serialize)]
            struct KindOut {
                kind: &'static str,
                required: &'static [&'static str],
                optional: &'static [&'static str],
            }
            let list: Vec<KindOut> = letters::KINDS
                .iter()
                .map(|k| KindOut {
                    kind: k.as_str(),
                    required: letters::required_args(*k),
                    optional: letters::optional_args(*k),
                })
                .collect();
            if output::resolve(format) == Format::Json {
                print_json(&list)?;
            } else {
                let mut t = output::table(&["kind", "required arguments", "optional arguments"]);
                for k in &list {
                    t.add_row(vec![k.kind.to_string(), k.required.join(", "), k.optional.join(", ")]);
                }
                println!("{t}");
            }
        }
        LetterCommand::Render(a) => {
            let kind = LetterKind::parse(&a.kind)?;
            let mut args = LetterArgs::new();
            if let Some(path) = &a.args_json {
                let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                let map: std::collections::BTreeMap<String, serde_json::Value> = serde_json::from_str(&text)
                    .with_context(|| format!("{}: expected a JSON object of names to values", path.display()))?;
                for (k, v) in map {
                    let v = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                            .collect::<Vec<_>>()
                            .join("\n"),
                        other => other.to_string(),
                    };
                    args.insert(k, v);
                }
            }
            for pair in &a.args {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| anyhow!("--arg {pair}: write NAME=VALUE (e.g. --arg their_reference=DE-17)"))?;
                args.insert(k.trim().to_string(), v.replace("\\n", "\n"));
            }
            let mut store = db::open(url)?;
            // Our own details and today's date come from `msadesk init` unless given.
            if store.identity()?.is_some() {
                let (ours, _) = sender_args(store.as_mut(), today())?;
                for (k, v) in ours {
                    args.entry(k).or_insert(v);
                }
            }
            let lang = write_letter(store.as_mut(), kind, &a.lang, &args, &a.out)?;
            eprintln!("wrote {} ({kind}, {lang})", a.out.display());
        }
        LetterCommand::Template(t) => template(url, t, meta)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn template(url: &str, c: TemplateCommand, meta: ChangeMeta) -> Result<()> {
    let mut store = db::open(url)?;
    match c {
        TemplateCommand::Export { lang, out, kind } => {
            let lang = parse_lang(&lang)?;
            let kinds = match kind {
                Some(k) => vec![LetterKind::parse(&k)?],
                None => letters::KINDS.to_vec(),
            };
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            for k in kinds {
                let text = match store.letter_template(k.as_str(), lang)? {
                    Some(t) => t.text,
                    None => letters::template_text(k, lang),
                };
                let path = out.join(format!("{k}.{lang}.ftl"));
                std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
                println!("{}", path.display());
            }
        }
        TemplateCommand::Import { file, lang, kind, format } => {
            let lang = parse_lang(&lang)?;
            let kind = match kind {
                Some(k) => LetterKind::parse(&k)?,
                None => {
                    let stem = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    let name = stem.split('.').next().unwrap_or("");
                    LetterKind::parse(name).map_err(|_| {
                        anyhow!("{}: cannot tell the letter kind from the file name: give --kind", file.display())
                    })?
                }
            };
            let meta_len = std::fs::metadata(&file).with_context(|| format!("cannot read {}", file.display()))?.len();
            if meta_len > msadesk_store::letters::MAX_TEMPLATE_BYTES as u64 {
                bail!("{}: {meta_len} bytes is more than a template may hold", file.display());
            }
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {} (templates are UTF-8 text)", file.display()))?;
            let check = letters::check_template(kind, lang, &text).map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let meta = ChangeMeta { source: Some(file.display().to_string()), ..meta };
            store.set_letter_template(kind.as_str(), lang, &text, &meta)?;
            #[derive(Serialize)]
            struct ImportOut<'a> {
                kind: &'static str,
                lang: &'static str,
                missing: &'a [String],
                unknown: &'a [String],
            }
            let out = ImportOut { kind: kind.as_str(), lang, missing: &check.missing, unknown: &check.unknown };
            if output::resolve(format) == Format::Json {
                print_json(&out)?;
            } else {
                eprintln!("stored the {kind} template in {lang}");
                if !check.missing.is_empty() {
                    eprintln!(
                        "note: messages not in the file keep their built-in wording: {}",
                        check.missing.join(", ")
                    );
                }
                if !check.unknown.is_empty() {
                    eprintln!("note: messages no {kind} letter uses: {}", check.unknown.join(", "));
                }
            }
        }
        TemplateCommand::List { format } => {
            let list = store.letter_templates()?;
            if output::resolve(format) == Format::Json {
                #[derive(Serialize)]
                struct Row<'a> {
                    kind: &'a str,
                    lang: &'a str,
                    bytes: usize,
                    updated_at: &'a str,
                    updated_by: &'a str,
                }
                let rows: Vec<Row<'_>> = list
                    .iter()
                    .map(|t| Row {
                        kind: &t.kind,
                        lang: &t.lang,
                        bytes: t.text.len(),
                        updated_at: &t.updated_at,
                        updated_by: &t.updated_by,
                    })
                    .collect();
                print_json(&rows)?;
            } else {
                let mut t = output::table(&["kind", "lang", "bytes", "updated", "by"]);
                for x in &list {
                    t.add_row(vec![
                        x.kind.clone(),
                        x.lang.clone(),
                        x.text.len().to_string(),
                        x.updated_at.clone(),
                        x.updated_by.clone(),
                    ]);
                }
                println!("{t}");
            }
        }
        TemplateCommand::Remove { kind, lang } => {
            let kind = LetterKind::parse(&kind)?;
            let lang = parse_lang(&lang)?;
            if store.remove_letter_template(kind.as_str(), lang, &meta)? {
                eprintln!("removed the {kind} override in {lang}: the built-in wording applies");
            } else {
                bail!("there is no {kind} override in {lang} (see `msadesk letter template list`)");
            }
        }
    }
    Ok(())
}

/// The letter languages for an authority: its first language that has templates (English when none).
pub(crate) use msadesk_server::notice_letters::authority_language;

/// The file beside `out` for another language: ack.pdf -> ack.en.pdf.
pub(crate) fn sibling(out: &Path, lang: &str) -> PathBuf {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("letter");
    let ext = out.extension().and_then(|s| s.to_str()).unwrap_or("pdf");
    out.with_file_name(format!("{stem}.{lang}.{ext}"))
}

/// Our side of every letter, from `msadesk init`, and our default role.
pub(crate) fn sender_args(store: &mut dyn Store, date: Date) -> Result<(LetterArgs, Option<OurRole>)> {
    let id =
        store.identity()?.ok_or_else(|| anyhow!("letters are signed with our identity: run `msadesk init` first"))?;
    Ok((letters::sender_args(&id, date), Some(id.default_role)))
}

/// The acknowledgement or cover letter of request `id` in `lang` as a document, with the operator's
/// override applied (for `request letter`, and for the response package's cover letter).
pub(crate) fn request_letter_document(
    store: &mut dyn Store,
    id: i64,
    kind: LetterKind,
    lang: &str,
    date: Date,
    enclosures: &[String],
) -> Result<msadesk_formats::document::Document> {
    let r = store.request(id)?.ok_or_else(|| msadesk_store::unknown_request(id))?;
    let authority = store
        .authorities()?
        .into_iter()
        .find(|x| x.id == r.new.authority)
        .ok_or_else(|| anyhow!(msadesk_store::unknown_authority(&r.new.authority)))?;
    let identity =
        store.identity()?.ok_or_else(|| anyhow!("letters are signed with our identity: run `msadesk init` first"))?;
    let product = store.product(&r.new.product)?;
    let args = letters::request_letter_args(&identity, &authority, &r, product.as_ref(), kind, lang, date, enclosures)?;
    let (lang, _) = letters::effective_language(lang);
    let stored = store.letter_template(kind.as_str(), lang)?;
    letters::render(kind, lang, &args, stored.as_ref().map(|t| t.text.as_str()))
        .map_err(|e| anyhow!("{e} (template {kind}.{lang})"))
}

/// `msadesk request letter ID --kind ack|cover`.
pub fn request_letter(store: &mut dyn Store, a: RequestLetterArgs) -> Result<()> {
    let kind = match a.kind.trim().to_ascii_lowercase().as_str() {
        "ack" | "request-ack" => LetterKind::RequestAck,
        "cover" | "response-cover" => LetterKind::ResponseCover,
        other => bail!("--kind {other}: use ack (acknowledgement of receipt) or cover (cover letter of the response)"),
    };
    output_kind(&a.out)?;
    let r = store.request(a.id)?.ok_or_else(|| msadesk_store::unknown_request(a.id))?;
    let authority = store
        .authorities()?
        .into_iter()
        .find(|x| x.id == r.new.authority)
        .ok_or_else(|| anyhow!(msadesk_store::unknown_authority(&r.new.authority)))?;
    let date = match &a.date {
        Some(d) => Date::parse(d).map_err(|e| anyhow!("--date: {e}"))?,
        None => today(),
    };
    // Explicit --lang: that language only. Otherwise the authority's language, plus English beside it.
    let plan: Vec<(&'static str, PathBuf)> = match &a.lang {
        Some(l) => vec![(parse_lang(l)?, a.out.clone())],
        None => {
            let main = authority_language(&authority);
            if authority.languages.is_empty() || main == "en" && !authority.languages.iter().any(|l| l == "en") {
                eprintln!(
                    "note: the directory names no letter language of {} ({}): writing English; set its languages with `msadesk authority edit`",
                    authority.id,
                    authority.languages.join(", ")
                );
            }
            let mut p = vec![(main, a.out.clone())];
            if main != "en" {
                p.push(("en", sibling(&a.out, "en")));
            }
            p
        }
    };
    let mut written = Vec::new();
    for (lang, out) in plan {
        let doc = request_letter_document(store, a.id, kind, lang, date, &a.enclosure)?;
        let bytes = if output_kind(&out)? == "pdf" { doc.to_pdf() } else { doc.to_html().into_bytes() };
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
        written.push(Written { kind: kind.as_str(), lang, file: out.display().to_string() });
    }
    if output::resolve(a.format) == Format::Json {
        print_json(&written)?;
    } else {
        for w in &written {
            println!("{}  ({}, {})", w.file, w.kind, w.lang);
        }
    }
    Ok(())
}
