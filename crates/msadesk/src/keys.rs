//! The operator's Ed25519 signing key: where it lives, reading it, creating it on first use. Used by
//! `audit anchor`, response packages and `key export`. The key itself is never printed.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use ed25519_dalek::SigningKey;
use msadesk_core::audit::hex;

use crate::db::{self, Target};

#[derive(Args)]
pub struct KeyArg {
    /// The Ed25519 signing key file (64 hex digits). Default: next to the SQLite database
    /// (DB.signing-key), created on first use; required for PostgreSQL.
    #[arg(long, env = "MSADESK_SIGNING_KEY", hide_env_values = true)]
    key: Option<PathBuf>,
}

pub(crate) fn key_path(url: &str, key: &KeyArg) -> Result<PathBuf> {
    if let Some(k) = &key.key {
        return Ok(k.clone());
    }
    match db::parse_url(url)? {
        Target::Sqlite(path) => {
            let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
            name.push(".signing-key");
            Ok(path.with_file_name(name))
        }
        Target::Postgres(_) => bail!(
            "a PostgreSQL registry has no file to keep its signing key next to: give one with --key FILE or MSADESK_SIGNING_KEY (it is created on first use)"
        ),
    }
}

pub(crate) fn parse_hex<const N: usize>(what: &str, s: &str) -> Result<[u8; N]> {
    let s = s.trim();
    if s.len() != 2 * N {
        bail!("{what} must be {} hexadecimal digits", 2 * N);
    }
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| anyhow!("{what} is not hexadecimal"))?;
    }
    Ok(out)
}

/// Reads the signing key, creating it (readable by the owner only) when `create` and it is missing.
/// The key itself is never printed.
pub(crate) fn signing_key(path: &Path, create: bool) -> Result<Option<SigningKey>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let seed = parse_hex::<32>(&format!("the signing key {}", path.display()), &text)?;
            Ok(Some(SigningKey::from_bytes(&seed)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let mut seed = [0u8; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
                .context("cannot read random bytes for a new signing key from /dev/urandom")?;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts
                .open(path)
                .with_context(|| format!("cannot create the signing key {}: check the directory", path.display()))?;
            writeln!(f, "{}", hex(&seed))?;
            f.sync_all()?;
            eprintln!(
                "created a new signing key {} (keep it safe; back it up apart from the database)",
                path.display()
            );
            Ok(Some(SigningKey::from_bytes(&seed)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read the signing key {}", path.display())),
    }
}

/// The signing key for this database, created on first use.
pub(crate) fn load_or_create(url: &str, key: &KeyArg) -> Result<SigningKey> {
    let path = key_path(url, key)?;
    signing_key(&path, true)?.ok_or_else(|| anyhow!("no signing key at {}", path.display()))
}

#[derive(clap::Subcommand)]
pub enum KeyCommand {
    /// Print the operator's public key (64 hex digits): give it to authorities so they can check packages.
    #[command(
        after_help = "Examples:\n  msadesk key export > acme-public-key.txt\n  msadesk key export --format json\n\nThe signing key is created on first use (next to the SQLite database, DB.signing-key); only its public half is printed."
    )]
    Export {
        #[command(flatten)]
        key: KeyArg,
        #[arg(long, value_enum)]
        format: Option<crate::output::Format>,
    },
}

pub fn key(url: &str, c: KeyCommand) -> Result<std::process::ExitCode> {
    match c {
        KeyCommand::Export { key, format } => {
            let k = load_or_create(url, &key)?;
            let public = msadesk_formats::package::public_key_hex(&k.verifying_key());
            if format == Some(crate::output::Format::Json) {
                println!("{}", serde_json::json!({ "algorithm": "Ed25519", "public_key": public }));
            } else {
                println!("{public}");
            }
            Ok(std::process::ExitCode::SUCCESS)
        }
    }
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The package (ZIP) to check.
    file: PathBuf,
    /// The public key the package must be signed with: 64 hex digits, or a file holding them (as
    /// written by `msadesk key export`). Without it, the key named in the manifest is used and printed.
    #[arg(long)]
    key: Option<String>,
    #[arg(long, value_enum)]
    format: Option<crate::output::Format>,
}

/// `msadesk verify`: needs no database.
pub fn verify(a: VerifyArgs) -> Result<std::process::ExitCode> {
    use msadesk_formats::package;
    let meta = std::fs::metadata(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let limits = package::Limits::default();
    if meta.len() > limits.max_archive {
        bail!("{} is {} bytes; packages are at most {} bytes", a.file.display(), meta.len(), limits.max_archive);
    }
    let bytes = std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let trusted = match &a.key {
        None => None,
        Some(k) => {
            let text = if Path::new(k).is_file() {
                std::fs::read_to_string(k).with_context(|| format!("cannot read the key file {k}"))?
            } else {
                k.clone()
            };
            let t = text.trim();
            // `key export --format json` output is accepted too.
            let t = serde_json::from_str::<serde_json::Value>(t)
                .ok()
                .and_then(|v| v["public_key"].as_str().map(str::to_string))
                .unwrap_or_else(|| t.to_string());
            Some(package::parse_public_key(&t).map_err(|e| {
                anyhow!("--key: {e}; give the 64 hex digits printed by `msadesk key export`, or a file holding them")
            })?)
        }
    };
    let json = a.format == Some(crate::output::Format::Json);
    match package::verify_with_limits(&bytes, trusted.as_ref(), &limits) {
        Ok(v) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "ok": true, "file": a.file.display().to_string(), "title": v.manifest.title,
                        "created_at": v.manifest.created_at, "operator": v.manifest.operator,
                        "public_key": v.manifest.public_key, "key_trusted": v.key_trusted,
                        "files": v.manifest.files,
                    })
                );
            } else {
                println!(
                    "{}: OK — {} files, every SHA-256 and the signature check out\n  title: {}\n  created: {} by {}\n  signed by: {}{}",
                    a.file.display(),
                    v.manifest.files.len(),
                    v.manifest.title,
                    v.manifest.created_at,
                    v.manifest.operator,
                    v.manifest.public_key,
                    if v.key_trusted {
                        " (the key you gave)"
                    } else {
                        "\n  warning: no --key given; compare this key with the operator's published one"
                    }
                );
                for f in &v.manifest.files {
                    println!("  {}  {:>10}  {}", f.sha256, f.size, f.path);
                }
            }
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(e) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "file": a.file.display().to_string(), "problem_file": e.file(), "error": e.to_string()})
                );
            }
            eprintln!("{}: NOT VALID: {e}", a.file.display());
            Ok(std::process::ExitCode::FAILURE)
        }
    }
}

/// The signing key for the server: `MSADESK_SIGNING_KEY` or the file next to a SQLite database
/// (created on first use); `None`, with a warning, when neither applies (PostgreSQL without a key).
pub(crate) fn for_server(url: &str) -> Option<SigningKey> {
    let arg = KeyArg { key: std::env::var_os("MSADESK_SIGNING_KEY").map(PathBuf::from) };
    match load_or_create(url, &arg) {
        Ok(k) => Some(k),
        Err(e) => {
            eprintln!("warning: response packages cannot be built over HTTP: {e:#}");
            None
        }
    }
}
