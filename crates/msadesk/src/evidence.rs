//! Evidence commands: the audit log and its anchors, the retention job, legal holds, backup and
//! restore. Thin glue over `Store` (and, for backup and restore, the SQLite engine's file).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use msadesk_core::audit::{AuditEntry, hex};
use msadesk_core::retention::{Hold, HoldScope};
use msadesk_core::{Date, OperatorId, ProductId, Version};
use msadesk_store::readiness::ReadinessStore;
use msadesk_store::{RetentionReport, Store};
use serde::{Deserialize, Serialize};

use crate::db::{self, Target};
pub use crate::keys::KeyArg;
use crate::keys::{key_path, parse_hex, signing_key};
use crate::output::{self, Format};

#[derive(Args)]
pub struct AuditLogArgs {
    /// Only entries about this entity (supply_events, products, identity, legal_holds, retention…).
    #[arg(long)]
    entity: Option<String>,
    /// Only entries written on or after this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    since: Option<String>,
    /// Only the latest N entries (after the other filters).
    #[arg(long)]
    limit: Option<usize>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct AnchorArgs {
    #[command(flatten)]
    key: KeyArg,
    /// Where to write the anchor (default: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Args)]
pub struct VerifyAnchorArgs {
    /// An anchor written by `msadesk audit anchor`.
    file: PathBuf,
    #[command(flatten)]
    key: KeyArg,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct RetentionRunArgs {
    /// The day to apply retention as of (default: today, UTC). A record is expired when its
    /// retention end is strictly before this day.
    #[arg(long)]
    as_of: Option<String>,
    /// List what would be deleted, with the reason for each, and change nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Subcommand)]
pub enum HoldCommand {
    /// Place a legal hold on a product (or one version of it) or an operator: the records it covers
    /// are kept past their retention end until the hold is released.
    #[command(
        after_help = "Examples:\n  msadesk hold add --product SH-CAM-200 --reason 'MSA case DE-2031-17'\n  msadesk hold add --product SH-CAM-200 --version 1.2.0 --reason 'recall R-9'\n  msadesk hold add --operator DIST-7 --reason 'litigation'"
    )]
    Add {
        #[arg(long, conflicts_with = "operator", required_unless_present = "operator")]
        product: Option<String>,
        #[arg(long, requires = "product")]
        version: Option<String>,
        #[arg(long)]
        operator: Option<String>,
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: String,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Release a hold (the records it kept go at the next retention run if expired).
    #[command(after_help = "Example:\n  msadesk hold release 3 --reason 'case closed by the authority on 2031-05-02'")]
    Release {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// List every hold, active and released.
    #[command(after_help = "Example:\n  msadesk hold list --format json")]
    List {
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

#[derive(Args)]
pub struct BackupArgs {
    /// The file to write (must not exist).
    file: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A backup written by `msadesk backup`.
    file: PathBuf,
    /// Replace a database that already holds records.
    #[arg(long)]
    force: bool,
}

fn print_json(v: &impl Serialize) -> Result<()> {
    crate::cli::print_json(v)
}

pub fn audit_log(url: &str, a: AuditLogArgs) -> Result<ExitCode> {
    let since = a.since.as_deref().map(Date::parse).transpose().map_err(|e| anyhow!("--since: {e}"))?;
    let mut store = db::open(url)?;
    let mut entries: Vec<AuditEntry> = store
        .audit_entries()?
        .into_iter()
        .filter(|e| a.entity.as_deref().is_none_or(|x| e.entity == x))
        .filter(|e| since.is_none_or(|s| e.at.get(..10).is_some_and(|d| d >= s.to_string().as_str())))
        .collect();
    if let Some(n) = a.limit {
        let skip = entries.len().saturating_sub(n);
        entries.drain(..skip);
    }
    if output::resolve(a.format) == Format::Json {
        print_json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = output::table(&["seq", "at", "actor", "entity", "action", "detail"]);
    for e in &entries {
        let detail: String = e.detail.chars().take(100).collect();
        t.add_row(vec![e.seq.to_string(), e.at.clone(), e.actor.clone(), e.entity.clone(), e.action.clone(), detail]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

/// The anchor of the chain's head: what was signed, and the signature.
#[derive(Debug, Serialize, Deserialize)]
struct Anchor {
    format: String,
    seq: i64,
    hash: String,
    entry_at: String,
    anchored_at: String,
    public_key: String,
    signature: String,
}

const ANCHOR_FORMAT: &str = "msadesk-anchor/1";

impl Anchor {
    fn message(&self) -> String {
        format!(
            "{}\nseq={}\nhash={}\nentry_at={}\nanchored_at={}\n",
            self.format, self.seq, self.hash, self.entry_at, self.anchored_at
        )
    }
}

pub fn anchor(url: &str, a: AnchorArgs, now: String) -> Result<ExitCode> {
    let path = key_path(url, &a.key)?;
    let mut store = db::open(url)?;
    if let Some(b) = store.verify_audit()? {
        bail!(
            "the audit trail is broken at entry {} ({}): an anchor would vouch for tampered records; run `msadesk audit verify`",
            b.seq,
            b.reason
        );
    }
    let head = store.audit_entries()?.pop().ok_or_else(|| {
        anyhow!("the audit trail is empty: there is nothing to anchor yet (run `msadesk init` or an import first)")
    })?;
    let key = signing_key(&path, true)?.ok_or_else(|| anyhow!("no signing key at {}", path.display()))?;
    let mut anchor = Anchor {
        format: ANCHOR_FORMAT.into(),
        seq: head.seq,
        hash: head.hash,
        entry_at: head.at,
        anchored_at: now,
        public_key: hex(key.verifying_key().as_bytes()),
        signature: String::new(),
    };
    anchor.signature = hex(&key.sign(anchor.message().as_bytes()).to_bytes());
    let json = serde_json::to_string_pretty(&anchor)?;
    match &a.output {
        Some(out) => {
            std::fs::write(out, format!("{json}\n")).with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("anchored entry {} (head {}) in {}", anchor.seq, anchor.hash, out.display());
        }
        None => println!("{json}"),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn verify_anchor(url: &str, a: VerifyAnchorArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let anchor: Anchor = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an anchor written by `msadesk audit anchor`", a.file.display()))?;
    let mut problems: Vec<String> = Vec::new();
    if anchor.format != ANCHOR_FORMAT {
        problems.push(format!("unknown anchor format '{}'", anchor.format));
    }
    let public = VerifyingKey::from_bytes(&parse_hex::<32>("public_key", &anchor.public_key)?)
        .map_err(|e| anyhow!("public_key is not an Ed25519 key: {e}"))?;
    let signature = Signature::from_bytes(&parse_hex::<64>("signature", &anchor.signature)?);
    if public.verify(anchor.message().as_bytes(), &signature).is_err() {
        problems.push("the signature does not match the anchor's content (the file was altered)".into());
    }
    // When we hold the key, the anchor must have been signed with it.
    if let Ok(path) = key_path(url, &a.key)
        && let Some(ours) = signing_key(&path, false)?
        && ours.verifying_key() != public
    {
        problems.push(format!("it was signed with another key than {}", path.display()));
    }
    let mut store = db::open(url)?;
    if let Some(b) = store.verify_audit()? {
        problems.push(format!("the audit trail is broken at entry {}: {}", b.seq, b.reason));
    }
    let entries = store.audit_entries()?;
    match entries.iter().find(|e| e.seq == anchor.seq) {
        None => problems.push(format!("entry {} is no longer in the audit trail", anchor.seq)),
        Some(e) if e.hash != anchor.hash => {
            problems.push(format!("entry {} now has another hash than when it was anchored", anchor.seq))
        }
        Some(_) => {}
    }
    #[derive(Serialize)]
    struct Report<'a> {
        ok: bool,
        seq: i64,
        hash: &'a str,
        anchored_at: &'a str,
        entries_since: usize,
        problems: &'a [String],
    }
    let since = entries.iter().filter(|e| e.seq > anchor.seq).count();
    let r = Report {
        ok: problems.is_empty(),
        seq: anchor.seq,
        hash: &anchor.hash,
        anchored_at: &anchor.anchored_at,
        entries_since: since,
        problems: &problems,
    };
    if output::resolve(a.format) == Format::Json {
        print_json(&r)?;
    } else if r.ok {
        println!(
            "anchor valid: entry {} (hash {}) was in the trail at {} and still is; {} entries added since",
            anchor.seq, anchor.hash, anchor.anchored_at, since
        );
    }
    for p in &problems {
        eprintln!("anchor NOT valid: {p}");
    }
    Ok(if r.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub fn retention_run(url: &str, a: RetentionRunArgs, today: Date, meta: msadesk_store::ChangeMeta) -> Result<ExitCode> {
    let as_of = a.as_of.as_deref().map(Date::parse).transpose().map_err(|e| anyhow!("--as-of: {e}"))?.unwrap_or(today);
    let mut store = db::open(url)?;
    let report = store.run_retention(as_of, a.dry_run, &meta)?;
    if output::resolve(a.format) == Format::Json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_retention(&report);
    Ok(ExitCode::SUCCESS)
}

fn print_retention(r: &RetentionReport) {
    const SHOWN: usize = 50;
    let verb = if r.dry_run { "would delete" } else { "deleted" };
    println!(
        "Retention as of {}{}: {verb} {} supply events, {} documents, contact data of {} operators; kept under legal hold: {} supply events, {} operators",
        r.as_of,
        if r.dry_run { " (dry run: nothing changed)" } else { "" },
        r.deleted.supply_events,
        r.deleted.documents,
        r.deleted.operators,
        r.held.supply_events,
        r.held.operators
    );
    if r.items.is_empty() {
        return;
    }
    let mut t = output::table(&["kind", "record", "action", "event date", "retention end", "reason"]);
    for i in r.items.iter().take(SHOWN) {
        t.add_row(vec![
            i.kind.to_string(),
            match (&i.product_id, &i.version, &i.operator_id) {
                (Some(p), Some(v), Some(o)) => format!("{p} {v} / {o}"),
                _ => i.key.clone(),
            },
            i.action.to_string(),
            i.event_date.map_or(String::new(), |d| d.to_string()),
            i.retention_until.map_or(String::new(), |d| d.to_string()),
            i.reason.clone(),
        ]);
    }
    println!("{t}");
    if r.items.len() > SHOWN {
        println!("… and {} more: use --format json for the full list", r.items.len() - SHOWN);
    }
}

pub fn hold(url: &str, c: HoldCommand, meta: msadesk_store::ChangeMeta) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    let (holds, format) = match c {
        HoldCommand::Add { product, version, operator, reason, format } => {
            let reason = msadesk_core::required_text("reason", &reason).map_err(|e| anyhow!("--reason: {e}"))?;
            let scope = match (product, version, operator) {
                (Some(p), v, None) => {
                    let product_id = ProductId::parse(&p).map_err(|e| anyhow!("--product: {e}"))?;
                    match v {
                        Some(v) => HoldScope::Version {
                            product_id,
                            version: Version::parse(&v).map_err(|e| anyhow!("--version: {e}"))?,
                        },
                        None => HoldScope::Product { product_id },
                    }
                }
                (None, None, Some(o)) => {
                    HoldScope::Operator { operator_id: OperatorId::parse(&o).map_err(|e| anyhow!("--operator: {e}"))? }
                }
                _ => bail!("give either --product P [--version V] or --operator O"),
            };
            let h = store.add_hold(&scope, &reason, &meta)?;
            eprintln!("placed legal hold #{} on {}", h.id, h.scope);
            (vec![h], format)
        }
        HoldCommand::Release { id, reason, format } => {
            let reason = msadesk_core::required_text("reason", &reason).map_err(|e| anyhow!("--reason: {e}"))?;
            let h = store.release_hold(id, &reason, &meta)?;
            eprintln!("released legal hold #{} on {}", h.id, h.scope);
            (vec![h], format)
        }
        HoldCommand::List { format } => (store.holds()?, format),
    };
    if output::resolve(format) == Format::Json {
        print_json(&holds)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_holds(&holds);
    Ok(ExitCode::SUCCESS)
}

fn print_holds(holds: &[Hold]) {
    let mut t = output::table(&["id", "on", "reason", "placed", "by", "released", "release reason"]);
    for h in holds {
        t.add_row(vec![
            h.id.to_string(),
            h.scope.to_string(),
            h.reason.clone(),
            h.created_at.clone(),
            h.created_by.clone(),
            h.released_at.clone().unwrap_or_else(|| "active".into()),
            h.release_reason.clone().unwrap_or_default(),
        ]);
    }
    println!("{t}");
}

/// The PostgreSQL backup recipe: msadesk leaves PostgreSQL backups to PostgreSQL's own tools.
const PG_RECIPE: &str =
    "A PostgreSQL registry is backed up with PostgreSQL's own tools, by whoever administers the server:
  pg_dump --format=custom --file=msadesk.dump 'postgres://USER@HOST:PORT/DB'
Restore into an empty database and check the copy:
  createdb msadesk_restored
  pg_restore --no-owner --dbname='postgres://USER@HOST:PORT/msadesk_restored' msadesk.dump
  MSADESK_DATABASE='postgres://USER@HOST:PORT/msadesk_restored' msadesk audit verify
  MSADESK_DATABASE='postgres://USER@HOST:PORT/msadesk_restored' msadesk audit verify-anchor ANCHOR.json --key KEY
(take the anchor with `msadesk audit anchor --key KEY -o ANCHOR.json` just before the dump).
For point-in-time recovery, use WAL archiving (see the PostgreSQL manual, \"Continuous Archiving\").";

pub fn backup(url: &str, a: BackupArgs) -> Result<ExitCode> {
    let path = match db::parse_url(url)? {
        Target::Sqlite(path) => path,
        Target::Postgres(_) => {
            let mut store = db::open(url)?;
            let head = store.audit_entries()?.pop();
            println!("{PG_RECIPE}");
            if let Some(h) = head {
                println!("The audit trail's head now: entry {} hash {}", h.seq, h.hash);
            }
            bail!("msadesk does not back up PostgreSQL itself: run the pg_dump recipe above (nothing was written)");
        }
    };
    if !path.is_file() {
        bail!("there is no database at {}: nothing to back up (check --database or MSADESK_DATABASE)", path.display());
    }
    if a.file.exists() {
        bail!("{} already exists: choose a new file name (a backup never overwrites)", a.file.display());
    }
    let store = msadesk_store_sqlite::SqliteStore::open(&path)
        .with_context(|| format!("cannot open the SQLite database {}", path.display()))?;
    store.backup_to(&a.file).with_context(|| format!("backup to {} failed", a.file.display()))?;
    drop(store);
    // Check the copy as a restore would: it opens, and its chain and records verify.
    let mut copy = msadesk_store_sqlite::SqliteStore::open(&a.file)?;
    if let Some(b) = copy.verify_audit()? {
        bail!(
            "the backup {} does not verify (entry {}: {}): the source database's audit trail is broken; run `msadesk audit verify`",
            a.file.display(),
            b.seq,
            b.reason
        );
    }
    let c = copy.counts()?;
    let head = copy.audit_entries()?.pop();
    drop(copy);
    // Recorded in the source's audit trail (after the copy, so the copy does not hold its own
    // record): the readiness report reads the age of the last backup from it.
    let record = msadesk_store::readiness::BackupRecord {
        file: std::path::absolute(&a.file).unwrap_or_else(|_| a.file.clone()).display().to_string(),
        bytes: std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0),
        supply_events: c.supply_events,
        head_seq: head.as_ref().map(|h| h.seq),
        head_hash: head.as_ref().map(|h| h.hash.clone()),
    };
    let mut source = msadesk_store_sqlite::SqliteStore::open(&path)?;
    source
        .record_backup(&record, &crate::cli::meta(None))
        .context("the backup was written and verified, but recording it in the audit trail failed")?;
    println!(
        "backup written to {}: {} supply events, {} audit entries, head {} (verified)",
        a.file.display(),
        c.supply_events,
        c.audit_entries,
        head.map_or("(empty)".into(), |h| h.hash)
    );
    Ok(ExitCode::SUCCESS)
}

fn sidecars(path: &Path) -> [PathBuf; 2] {
    ["-wal", "-shm"].map(|s| {
        let mut n = path.as_os_str().to_os_string();
        n.push(s);
        PathBuf::from(n)
    })
}

pub fn restore(url: &str, a: RestoreArgs) -> Result<ExitCode> {
    let target = match db::parse_url(url)? {
        Target::Sqlite(path) => path,
        Target::Postgres(_) => {
            println!("{PG_RECIPE}");
            bail!("msadesk does not restore PostgreSQL itself: use pg_restore as shown above");
        }
    };
    if !a.file.is_file() {
        bail!("{} is not a file: give a backup written by `msadesk backup FILE`", a.file.display());
    }
    // Work on a copy next to the target: the backup file itself is never changed, and the target is
    // replaced in one rename only once the copy has opened (and been migrated) and verified.
    let mut tmp_name = target.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    tmp_name.push(".restoring");
    let tmp = target.with_file_name(tmp_name);
    for p in std::iter::once(tmp.clone()).chain(sidecars(&tmp)) {
        let _ = std::fs::remove_file(p);
    }
    std::fs::copy(&a.file, &tmp).with_context(|| format!("cannot copy {} to {}", a.file.display(), tmp.display()))?;
    let checked = (|| -> Result<msadesk_store::Counts> {
        let mut copy = msadesk_store_sqlite::SqliteStore::open(&tmp)
            .with_context(|| format!("{} is not a usable msadesk SQLite backup", a.file.display()))?;
        if let Some(b) = copy.verify_audit()? {
            bail!(
                "the backup's audit trail is broken at entry {} ({}): not restored; try an older backup",
                b.seq,
                b.reason
            );
        }
        Ok(copy.counts()?)
    })();
    let counts = match checked {
        Ok(c) => c,
        Err(e) => {
            for p in std::iter::once(tmp.clone()).chain(sidecars(&tmp)) {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
    };
    if target.exists() && !a.force {
        let mut current = msadesk_store_sqlite::SqliteStore::open(&target)?;
        let c = current.counts()?;
        if c.audit_entries > 0 || c.supply_events > 0 || c.products > 0 {
            for p in std::iter::once(tmp.clone()).chain(sidecars(&tmp)) {
                let _ = std::fs::remove_file(p);
            }
            bail!(
                "{} already holds {} supply events and {} audit entries: not replaced. Back it up first (`msadesk backup FILE`), then pass --force",
                target.display(),
                c.supply_events,
                c.audit_entries
            );
        }
    }
    for p in sidecars(&target) {
        let _ = std::fs::remove_file(p);
    }
    std::fs::rename(&tmp, &target)
        .with_context(|| format!("cannot move the restored copy {} to {}", tmp.display(), target.display()))?;
    for p in sidecars(&tmp) {
        let _ = std::fs::remove_file(p);
    }
    println!(
        "restored {} from {}: {} supply events, {} audit entries (audit trail verified)",
        target.display(),
        a.file.display(),
        counts.supply_events,
        counts.audit_entries
    );
    Ok(ExitCode::SUCCESS)
}
