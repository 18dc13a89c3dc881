//! The documentation library (`msadesk doc …`) and the response package and inspector commands of
//! `msadesk request`. Thin glue: the layout and signing live in `msadesk_server::respond` and
//! `msadesk_formats::package`, shared with the server.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use msadesk_core::{ProductId, Version};
use msadesk_store::{ChangeMeta, DocKind, Role, Store};
use serde::Serialize;

use crate::db;
use crate::keys::KeyArg;
use crate::output::{self, Format};

/// The default largest document: 50 MiB (`--max-bytes` or MSADESK_MAX_DOCUMENT_BYTES to change).
const DEFAULT_MAX_DOCUMENT: u64 = 50 << 20;

#[derive(Subcommand)]
pub enum DocCommand {
    /// Store a document for a product version (an upload of a kind the version has keeps the old one as history).
    #[command(
        after_help = "Kinds: doc (EU declaration of conformity), technical_documentation, sbom, test_report,\nsecurity_update_history, user_instructions, other.\n\nExamples:\n  msadesk doc add --product SH-CAM-200 --version 1.2.0 --kind doc DoC-SH-CAM-200.pdf\n  msadesk doc add --product SH-CAM-200 --version 1.2.0 --kind sbom sbom.cdx.json --format json"
    )]
    Add {
        #[arg(long)]
        product: String,
        #[arg(long)]
        version: String,
        #[arg(long)]
        kind: String,
        /// The file to store.
        file: PathBuf,
        /// Media type (default: from the file name's extension).
        #[arg(long)]
        media_type: Option<String>,
        /// Largest accepted file, in bytes.
        #[arg(long, env = "MSADESK_MAX_DOCUMENT_BYTES", default_value_t = DEFAULT_MAX_DOCUMENT)]
        max_bytes: u64,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// List the library: every revision, with hash, size, who uploaded it and its retention end.
    #[command(after_help = "Examples:\n  msadesk doc list\n  msadesk doc list --product SH-CAM-200 --format json")]
    List {
        #[arg(long)]
        product: Option<String>,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Write a stored document to a file (its SHA-256 is checked first).
    #[command(after_help = "Example:\n  msadesk doc get 3 --out DoC-SH-CAM-200.pdf")]
    Get {
        id: i64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Readiness gaps: versions with supply events lacking a DoC, technical documentation or SBOM.
    #[command(after_help = "Examples:\n  msadesk doc gaps\n  msadesk doc gaps --format json")]
    Gaps {
        #[arg(long)]
        product: Option<String>,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

fn print_json(v: &impl Serialize) -> Result<()> {
    out(&serde_json::to_string_pretty(v)?)
}

/// Prints a line; a closed pipe (`| head`) is an error the caller's main treats as success.
fn out(s: &str) -> Result<()> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{s}")?;
    Ok(())
}

fn product_arg(p: &str) -> Result<ProductId> {
    ProductId::parse(p).map_err(|e| anyhow!("--product: {e}"))
}

pub fn doc(url: &str, c: DocCommand, meta: ChangeMeta) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    match c {
        DocCommand::Add { product, version, kind, file, media_type, max_bytes, format } => {
            let kind = DocKind::parse(&kind).map_err(|e| anyhow!("--kind: {e}"))?;
            let pid = product_arg(&product)?;
            let version = Version::parse(&version).map_err(|e| anyhow!("--version: {e}"))?;
            let len = std::fs::metadata(&file).with_context(|| format!("cannot read {}", file.display()))?.len();
            if len > max_bytes {
                bail!(
                    "{} is {len} bytes; the library takes at most {max_bytes} (raise it with --max-bytes or MSADESK_MAX_DOCUMENT_BYTES)",
                    file.display()
                );
            }
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("document").to_string();
            let media = media_type.unwrap_or_else(|| msadesk_server::respond::media_type_for(&name).to_string());
            let new = msadesk_server::respond::new_document(store.as_mut(), pid, version, kind, &name, &media, bytes)?;
            let info = store.add_document(&new, &meta)?;
            eprintln!(
                "stored document #{} ({} revision {} of {} {}), SHA-256 {}, kept until {}",
                info.id,
                info.kind.label(),
                info.revision,
                info.product_id,
                info.version,
                info.sha256,
                info.retention_until.map_or("unknown (see `msadesk retention --product`)".into(), |d| d.to_string())
            );
            if output::resolve(format) == Format::Json {
                print_json(&info)?;
            }
        }
        DocCommand::List { product, format } => {
            let pid = product.as_deref().map(product_arg).transpose()?;
            let docs = store.documents(pid.as_ref())?;
            if output::resolve(format) == Format::Json {
                print_json(&docs)?;
            } else {
                let mut t = output::table(&[
                    "id",
                    "product",
                    "version",
                    "kind",
                    "rev",
                    "file",
                    "size",
                    "SHA-256",
                    "uploaded",
                    "by",
                    "keep until",
                ]);
                for d in &docs {
                    t.add_row(vec![
                        d.id.to_string(),
                        d.product_id.to_string(),
                        d.version.to_string(),
                        d.kind.to_string(),
                        format!("{}{}", d.revision, if d.current { "" } else { " (old)" }),
                        d.file_name.clone(),
                        d.size.to_string(),
                        d.sha256.get(..16).unwrap_or(&d.sha256).to_string() + "…",
                        d.uploaded_at.clone(),
                        d.uploaded_by.clone(),
                        d.retention_until.map_or("unknown".into(), |u| u.to_string()),
                    ]);
                }
                out(&t.to_string())?;
            }
        }
        DocCommand::Get { id, out } => {
            let (info, bytes) = store
                .document(id)?
                .ok_or_else(|| anyhow!("there is no document #{id}: list them with `msadesk doc list`"))?;
            if msadesk_formats::package::sha256_hex(&bytes) != info.sha256 {
                bail!("document #{id} no longer matches its SHA-256 {}: the database was altered", info.sha256);
            }
            std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("wrote {} ({} bytes, SHA-256 {})", out.display(), info.size, info.sha256);
        }
        DocCommand::Gaps { product, format } => {
            let pid = product.as_deref().map(product_arg).transpose()?;
            let gaps = msadesk_server::respond::gaps(store.as_mut(), pid.as_ref())?;
            if output::resolve(format) == Format::Json {
                print_json(&gaps)?;
            } else if gaps.is_empty() {
                out("no gaps: every version with supply events has a DoC, technical documentation and an SBOM")?;
            } else {
                let mut t = output::table(&["product", "version", "missing"]);
                for g in &gaps {
                    t.add_row(vec![
                        g.product_id.to_string(),
                        g.version.to_string(),
                        g.missing.iter().map(|k| k.label()).collect::<Vec<_>>().join(", "),
                    ]);
                }
                out(&t.to_string())?;
                eprintln!("add them with `msadesk doc add --product P --version V --kind KIND FILE`");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct PackageArgs {
    id: i64,
    /// Where to write the ZIP.
    #[arg(long)]
    out: PathBuf,
    /// Download package number N (as stored when it was built) instead of building a new one.
    #[arg(long)]
    download: Option<i64>,
    #[command(flatten)]
    key: KeyArg,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct ShareArgs {
    id: i64,
    /// How many days the token works.
    #[arg(long, default_value_t = 14)]
    days: u32,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct RequestIdArgs {
    id: i64,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

pub fn package(url: &str, a: PackageArgs, meta: ChangeMeta) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    if let Some(n) = a.download {
        let (info, bytes) = store.package(a.id, n)?.ok_or_else(|| {
            anyhow!("request #{} has no package #{n}: see `msadesk request show {}` for the packages built", a.id, a.id)
        })?;
        std::fs::write(&a.out, &bytes).with_context(|| format!("cannot write {}", a.out.display()))?;
        eprintln!(
            "wrote package #{} of request #{} ({} bytes, SHA-256 {}) to {}",
            n,
            a.id,
            info.size,
            info.sha256,
            a.out.display()
        );
        if output::resolve(a.format) == Format::Json {
            print_json(&info)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let key = crate::keys::load_or_create(url, &a.key)?;
    let built = msadesk_server::respond::build_response(store.as_mut(), a.id, &key, &meta)?;
    std::fs::write(&a.out, &built.bytes).with_context(|| format!("cannot write {}", a.out.display()))?;
    eprintln!(
        "built package #{} of request #{}: {} files, {} bytes, SHA-256 {}; wrote {} (check it with `msadesk verify {}`)",
        built.info.number,
        a.id,
        built.info.files.len() + 2,
        built.info.size,
        built.info.sha256,
        a.out.display(),
        a.out.display()
    );
    if output::resolve(a.format) == Format::Json {
        print_json(&built.info)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The note of the `sent` step (shared with the server).
pub fn sent_note(store: &mut dyn Store, id: i64, note: Option<&str>) -> Result<Option<String>> {
    Ok(msadesk_server::respond::sent_note(store, id, note)?)
}

pub fn share(url: &str, a: ShareArgs, meta: ChangeMeta) -> Result<ExitCode> {
    if !(1..=365).contains(&a.days) {
        bail!("--days {} is out of range: give 1 to 365", a.days);
    }
    let mut store = db::open(url)?;
    let r = store.request(a.id)?.ok_or_else(|| msadesk_store::unknown_request(a.id))?;
    let now = jiff::Timestamp::now();
    let expires = now
        .checked_add(jiff::SignedDuration::from_hours(24 * i64::from(a.days)))
        .map_err(|e| anyhow!("cannot compute the expiry: {e}"))?;
    let expires_at = expires.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let name = format!("inspector for request #{} ({})", r.id, r.new.reference);
    let (token, secret) = msadesk_server::auth::new_token(&name, Role::Inspector, Some(expires_at.clone()));
    let grant = store.grant_inspector(&token, a.id, &meta)?;
    eprintln!(
        "shared request #{} with an inspector token {} until {} (revoke with `msadesk request unshare {}`); the secret is shown once:",
        a.id, grant.token_id, grant.expires_at, a.id
    );
    if output::resolve(a.format) == Format::Json {
        print_json(
            &serde_json::json!({"token_id": grant.token_id, "secret": secret, "expires_at": grant.expires_at, "request_id": a.id}),
        )?;
    } else {
        out(&secret)?;
        eprintln!(
            "the authority reads with: curl -H 'Authorization: Bearer SECRET' https://YOUR-HOST/api/v1/inspector/requests/{}",
            a.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn unshare(url: &str, a: RequestIdArgs, meta: ChangeMeta) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    let n = store.revoke_inspectors(a.id, &meta)?;
    eprintln!("revoked {n} inspector token(s) of request #{}", a.id);
    if output::resolve(a.format) == Format::Json {
        print_json(&serde_json::json!({"request_id": a.id, "revoked": n}))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn access_log(url: &str, a: RequestIdArgs) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    store.request(a.id)?.ok_or_else(|| msadesk_store::unknown_request(a.id))?;
    let log = store.access_log(a.id)?;
    if output::resolve(a.format) == Format::Json {
        print_json(&log)?;
    } else {
        let mut t = output::table(&["at", "token", "read", "allowed"]);
        for e in &log {
            t.add_row(vec![
                e.at.clone(),
                e.token_id.clone(),
                e.what.clone(),
                if e.allowed { "yes" } else { "REFUSED" }.into(),
            ]);
        }
        out(&t.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}
