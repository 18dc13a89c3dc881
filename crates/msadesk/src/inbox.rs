//! The MSA inbox commands: the authority directory (`msadesk authority`), the holiday lists the
//! working-day clock uses (`msadesk holiday`) and the requests (`msadesk request`). Thin glue over
//! `msadesk_core::inbox` (the clocks and the status machine) and the `Store`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use msadesk_core::inbox::{
    Ask, Authority, AuthorityKind, DEFAULT_ACK_HOURS, DEFAULT_DUE_SOON_DAYS, DeadlineRule, Holiday, NewRequest,
    Request, RequestInput, Standing, Step,
};
use msadesk_core::{Date, MemberState, ProductId, Version};
use msadesk_store::{ChangeMeta, Store};
use serde::Serialize;

use crate::cli::print_json;
use crate::db;
use crate::output::{self, Format};

#[derive(Subcommand)]
pub enum AuthorityCommand {
    /// List the directory (seeded with commonly cited, unconfirmed entries: review them).
    #[command(after_help = "Examples:\n  msadesk authority list\n  msadesk authority list --country DE --format json")]
    List {
        /// Only this Member State (ISO code, e.g. DE).
        #[arg(long)]
        country: Option<String>,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Add an authority to the directory.
    #[command(
        after_help = "Example:\n  msadesk authority add --id pl-uke --country PL --name 'Urząd Komunikacji Elektronicznej' --time-zone Europe/Warsaw --languages pl,en --email uke@example.pl --source 'UKE letter of 2026-11-02' --confirmed"
    )]
    Add(AuthorityFields),
    /// Change fields of an entry (only the options given change).
    #[command(
        after_help = "Examples:\n  msadesk authority edit de-bsi --confirmed true --source 'BSI letter of 2026-11-02'\n  msadesk authority edit nl-rdi --email info@rdi.example --postal-address 'Postbus 450, 9700 AL Groningen'"
    )]
    Edit(AuthorityFields),
    /// Write the directory to FILE (.json or .csv; `-` for JSON on standard output).
    #[command(
        after_help = "Examples:\n  msadesk authority export authorities.csv\n  msadesk authority export - > authorities.json"
    )]
    Export { file: PathBuf },
    /// Add or replace entries from FILE (.json: an array as `export` writes it; .csv: its columns).
    #[command(
        after_help = "CSV columns: id,country,name,postal_address,email,portal,languages,time_zone,kind,source,confirmed\n(languages separated by spaces or ';', kind msa or csirt, confirmed true or false)\n\nExample:\n  msadesk authority import authorities.csv"
    )]
    Import { file: PathBuf },
}

#[derive(Args)]
pub struct AuthorityFields {
    /// The entry's id (lower-case letters, digits, '-'), e.g. pl-uke (or give it as --id).
    #[arg(value_name = "ID")]
    id: Option<String>,
    #[arg(long = "id", value_name = "ID", conflicts_with = "id")]
    id_flag: Option<String>,
    /// Member State (ISO code).
    #[arg(long)]
    country: Option<String>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    postal_address: Option<String>,
    #[arg(long)]
    email: Option<String>,
    /// Web portal or site.
    #[arg(long)]
    portal: Option<String>,
    /// Languages the authority easily understands, e.g. de,en.
    #[arg(long)]
    languages: Option<String>,
    /// IANA time zone its deadlines run in, e.g. Europe/Berlin.
    #[arg(long)]
    time_zone: Option<String>,
    /// msa or csirt.
    #[arg(long)]
    kind: Option<String>,
    /// Where the entry comes from (a letter, an official list).
    #[arg(long)]
    source: Option<String>,
    /// Whether the designation is confirmed (`--confirmed` alone means true).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    confirmed: Option<bool>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Subcommand)]
pub enum HolidayCommand {
    /// List the holidays the working-day clock skips (defaults: fixed-date national holidays 2026-2027, to review).
    #[command(after_help = "Example:\n  msadesk holiday list --country DE --format json")]
    List {
        #[arg(long)]
        country: Option<String>,
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Replace one Member State's holiday list with the rows of a CSV file (columns: date,name).
    #[command(
        after_help = "Example:\n  printf 'date,name\\n2026-04-03,Karfreitag\\n2026-04-06,Ostermontag\\n' > de.csv\n  msadesk holiday set --country DE de.csv"
    )]
    Set {
        #[arg(long)]
        country: String,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum RequestCommand {
    /// Register a request from an authority and print it with its clocks.
    #[command(
        after_help = "The day of receipt and the working days are those of the authority's time zone and Member State.\n\nExamples:\n  msadesk request add --authority de-bnetza --reference BNetzA-2026-0042 --received 2026-12-03T16:30 --due-working-days 10 --product SH-CAM-200 --asks trace,documents --format json\n  msadesk request add --authority fr-anssi --reference 'ANSSI/2026/17' --received '2026-12-03T09:00:00+01:00' --due 2026-12-18 --product SH-CAM-200 --version 1.2.0 --from 2026-01-01 --to 2026-06-30 --asks trace,sbom"
    )]
    Add(RequestAddArgs),
    /// List requests with their clocks (overdue, due soon, acknowledgement late).
    #[command(after_help = "Examples:\n  msadesk request list\n  msadesk request list --overdue --format json")]
    List {
        /// Only requests whose response deadline has passed (not yet sent or closed).
        #[arg(long)]
        overdue: bool,
        #[command(flatten)]
        clock: ClockArgs,
    },
    /// Show a request with its timeline.
    #[command(after_help = "Example:\n  msadesk request show 1 --format json")]
    Show {
        id: i64,
        #[command(flatten)]
        clock: ClockArgs,
    },
    /// Record that the request was acknowledged to the authority.
    #[command(after_help = "Example:\n  msadesk request ack 1 --note 'acknowledged by e-mail to the case officer'")]
    Ack(StepArgs),
    /// Record that an extension was asked for (without --due) or given (with the new --due date).
    #[command(
        after_help = "Examples:\n  msadesk request extend 1 --note 'asked by phone'\n  msadesk request extend 1 --due 2027-01-15"
    )]
    Extend {
        #[command(flatten)]
        step: StepArgs,
        /// The new deadline the authority granted.
        #[arg(long)]
        due: Option<String>,
    },
    /// Record that the response was sent (the package step comes first).
    #[command(after_help = "Example:\n  msadesk request sent 1 --note 'sent by registered mail'")]
    Sent(StepArgs),
    /// Write the acknowledgement (ack) or the response cover letter (cover) of a request, as PDF or HTML.
    #[command(
        after_help = "Without --lang the letter is written in the authority's language (the first of its directory languages\nthat has templates) and, when that is not English, in English too: ack.pdf and ack.en.pdf.\n\nExamples:\n  msadesk request letter 1 --kind ack --out ack.pdf\n  msadesk request letter 1 --kind cover --lang fr --out cover.html --enclosure trace.csv --enclosure report.pdf"
    )]
    Letter(crate::letters::RequestLetterArgs),
    /// Close a request (answered, or withdrawn by the authority).
    #[command(after_help = "Example:\n  msadesk request close 1 --note 'authority confirmed receipt'")]
    Close(StepArgs),
    /// Build the signed response package (Art 23 identification, requested documents, cover letter), or download a stored one.
    #[command(
        after_help = "Each build is stored exactly as written (re-downloadable) and recorded in the timeline (package_built);\n`msadesk request sent` then records which package went out.\n\nExamples:\n  msadesk request package 1 --out response-BNetzA-2026-0042.zip\n  msadesk request package 1 --download 1 --out sent-package.zip\n  msadesk verify response-BNetzA-2026-0042.zip"
    )]
    Package(crate::library::PackageArgs),
    /// Give the authority a time-limited, revocable inspector token that reads only this request.
    #[command(
        after_help = "The token reads the request, its packages and the trace of its product in its period, nothing else;\nevery read is logged (`msadesk request access-log`).\n\nExamples:\n  msadesk request share 1 --days 14\n  msadesk request share 1 --days 7 --format json"
    )]
    Share(crate::library::ShareArgs),
    /// Revoke every inspector token of a request.
    #[command(after_help = "Example:\n  msadesk request unshare 1")]
    Unshare(crate::library::RequestIdArgs),
    /// Every read by the request's inspectors (allowed and refused).
    #[command(name = "access-log", after_help = "Example:\n  msadesk request access-log 1 --format json")]
    AccessLog(crate::library::RequestIdArgs),
}

#[derive(Args)]
pub struct ClockArgs {
    /// Evaluate the clocks at this instant (RFC 3339, default: now).
    #[arg(long)]
    now: Option<String>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct StepArgs {
    id: i64,
    /// A note kept in the timeline.
    #[arg(long)]
    note: Option<String>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
pub struct RequestAddArgs {
    /// The authority's id in the directory (`msadesk authority list`).
    #[arg(long)]
    authority: String,
    /// The authority's own reference.
    #[arg(long)]
    reference: String,
    /// When it was received: 2026-12-03T16:30 (authority's time zone), or with an offset or zone.
    #[arg(long)]
    received: String,
    /// The deadline as a date given in the letter.
    #[arg(long, group = "deadline", required_unless_present_any = ["due_days", "due_working_days"])]
    due: Option<String>,
    /// The deadline as N calendar days from the day of receipt.
    #[arg(long, group = "deadline")]
    due_days: Option<u32>,
    /// The deadline as N working days from the day of receipt.
    #[arg(long, group = "deadline")]
    due_working_days: Option<u32>,
    /// The product concerned.
    #[arg(long)]
    product: String,
    #[arg(long)]
    version: Option<String>,
    /// Start of the period concerned.
    #[arg(long)]
    from: Option<String>,
    /// End of the period concerned.
    #[arg(long)]
    to: Option<String>,
    /// What is asked: a list of trace,documents,sbom,samples,access.
    #[arg(long)]
    asks: String,
    /// Hours to acknowledge (policy; default 24).
    #[arg(long, default_value_t = DEFAULT_ACK_HOURS)]
    ack_hours: i64,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

/// A request as the CLI prints it: the stored request and its clocks at `now`.
#[derive(Serialize)]
struct RequestView<'a> {
    #[serde(flatten)]
    request: &'a Request,
    #[serde(flatten)]
    standing: Standing,
}

fn now_timestamp(flag: Option<&str>) -> Result<jiff::Timestamp> {
    match flag {
        Some(s) => s
            .trim()
            .parse()
            .map_err(|e| anyhow!("--now '{s}' is not an RFC 3339 instant (e.g. 2026-12-04T10:00:00Z): {e}")),
        None => Ok(jiff::Timestamp::now()),
    }
}

fn print_requests(list: &[Request], now: jiff::Timestamp, format: Option<Format>, single: bool) -> Result<()> {
    let views: Vec<RequestView<'_>> =
        list.iter().map(|r| RequestView { request: r, standing: r.standing(now, DEFAULT_DUE_SOON_DAYS) }).collect();
    match output::resolve(format) {
        Format::Json if single => views.first().map_or(Ok(()), print_json),
        Format::Json => print_json(&views),
        _ => {
            let mut t =
                output::table(&["id", "authority", "reference", "received", "ack due", "due", "status", "clock"]);
            for v in &views {
                let r = v.request;
                let clock = if v.standing.overdue {
                    "OVERDUE"
                } else if v.standing.due_soon {
                    "due soon"
                } else if v.standing.ack_overdue {
                    "ack late"
                } else {
                    ""
                };
                t.add_row(vec![
                    r.id.to_string(),
                    r.new.authority.clone(),
                    r.new.reference.clone(),
                    r.new.received_at.clone(),
                    r.new.ack_due.clone(),
                    r.new.due.to_string(),
                    r.status.to_string(),
                    clock.to_string(),
                ]);
            }
            println!("{t}");
            if single && let Some(v) = views.first() {
                for e in &v.request.timeline {
                    println!(
                        "  {}  {:<16} {}{}",
                        e.at,
                        e.step.name(),
                        e.actor,
                        e.note.as_ref().map_or(String::new(), |n| format!("  ({n})"))
                    );
                }
            }
            Ok(())
        }
    }
}

/// One package of a request as `request show` lists it.
#[derive(Serialize)]
struct PackageRow<'a> {
    number: i64,
    built_at: &'a str,
    built_by: &'a str,
    sha256: &'a str,
    size: u64,
    /// When the package was marked sent (`request sent`), or null.
    sent_at: Option<String>,
}

/// One inspector grant of a request as `request show` lists it.
#[derive(Serialize)]
struct GrantRow<'a> {
    token_id: &'a str,
    created_by: &'a str,
    created_at: &'a str,
    expires_at: &'a str,
    revoked: bool,
    expired: bool,
}

/// `request show`: the request with its clocks, its packages and its inspector grants.
#[derive(Serialize)]
struct RequestDetail<'a> {
    #[serde(flatten)]
    view: RequestView<'a>,
    packages: Vec<PackageRow<'a>>,
    inspector_grants: Vec<GrantRow<'a>>,
}

fn print_request_detail(
    r: &Request,
    now: jiff::Timestamp,
    format: Option<Format>,
    packages: &[msadesk_store::PackageInfo],
    grants: &[msadesk_store::InspectorGrant],
) -> Result<()> {
    let packages: Vec<PackageRow<'_>> = packages
        .iter()
        .map(|p| PackageRow {
            number: p.number,
            built_at: &p.built_at,
            built_by: &p.built_by,
            sha256: &p.sha256,
            size: p.size,
            sent_at: msadesk_server::respond::package_sent_at(r, p.number),
        })
        .collect();
    let grants: Vec<GrantRow<'_>> = grants
        .iter()
        .map(|g| GrantRow {
            token_id: &g.token_id,
            created_by: &g.created_by,
            created_at: &g.created_at,
            expires_at: &g.expires_at,
            revoked: g.revoked,
            expired: g.expires_at.parse::<jiff::Timestamp>().is_ok_and(|t| t <= now),
        })
        .collect();
    if output::resolve(format) == Format::Json {
        let view = RequestView { request: r, standing: r.standing(now, DEFAULT_DUE_SOON_DAYS) };
        return print_json(&RequestDetail { view, packages, inspector_grants: grants });
    }
    print_requests(std::slice::from_ref(r), now, format, true)?;
    if !packages.is_empty() {
        let mut t = output::table(&["package", "built at", "built by", "sha256", "bytes", "sent at"]);
        for p in &packages {
            t.add_row(vec![
                format!("#{}", p.number),
                p.built_at.to_string(),
                p.built_by.to_string(),
                p.sha256.to_string(),
                p.size.to_string(),
                p.sent_at.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        println!("{t}");
    }
    if !grants.is_empty() {
        let mut t = output::table(&["inspector token", "created at", "expires at", "state"]);
        for g in &grants {
            let state = if g.revoked {
                "revoked"
            } else if g.expired {
                "expired"
            } else {
                "active"
            };
            t.add_row(vec![g.token_id.to_string(), g.created_at.to_string(), g.expires_at.to_string(), state.into()]);
        }
        println!("{t}");
    }
    Ok(())
}

pub fn request(url: &str, c: RequestCommand, meta: ChangeMeta) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    match c {
        RequestCommand::Add(a) => {
            let authority = find_authority(store.as_mut(), &a.authority)?;
            let deadline = match (a.due.as_deref(), a.due_days, a.due_working_days) {
                (Some(d), None, None) => DeadlineRule::Date(Date::parse(d).map_err(|e| anyhow!("--due: {e}"))?),
                (None, Some(n), None) => DeadlineRule::Days(n),
                (None, None, Some(n)) => DeadlineRule::WorkingDays(n),
                _ => bail!("give exactly one of --due DATE, --due-days N, --due-working-days N"),
            };
            if !(1..=24 * 30).contains(&a.ack_hours) {
                bail!("--ack-hours {} is out of range: give between 1 and 720 hours", a.ack_hours);
            }
            let product = ProductId::parse(&a.product).map_err(|e| anyhow!("--product: {e}"))?;
            if store.product(&product)?.is_none() {
                eprintln!(
                    "note: product '{product}' is not in the registry yet; import it with `msadesk import products FILE.csv` before answering"
                );
            }
            let holidays = store.holidays()?;
            let new = NewRequest::build(
                RequestInput {
                    authority: &authority,
                    reference: &a.reference,
                    received: &a.received,
                    deadline,
                    product,
                    version: a
                        .version
                        .as_deref()
                        .map(Version::parse)
                        .transpose()
                        .map_err(|e| anyhow!("--version: {e}"))?,
                    from: a.from.as_deref().map(Date::parse).transpose().map_err(|e| anyhow!("--from: {e}"))?,
                    to: a.to.as_deref().map(Date::parse).transpose().map_err(|e| anyhow!("--to: {e}"))?,
                    asks: Ask::parse_list(&a.asks).map_err(|e| anyhow!("--asks: {e}"))?,
                    ack_hours: a.ack_hours,
                },
                &holidays,
            )
            .map_err(|e| anyhow!("{e}"))?;
            let r = store.add_request(&new, &meta)?;
            eprintln!(
                "registered request #{} from {} ({}): acknowledge by {}, answer completely by {} ({}; incomplete or misleading answers: {})",
                r.id,
                authority.name,
                r.new.reference,
                r.new.ack_due,
                r.new.due,
                msadesk_core::legal::COOPERATION_ON_REQUEST.cite,
                msadesk_core::legal::PENALTY_MISLEADING_INFORMATION.cite
            );
            print_requests(&[r], now_timestamp(None)?, a.format, true)?;
        }
        RequestCommand::List { overdue, clock } => {
            let now = now_timestamp(clock.now.as_deref())?;
            let mut list = store.requests()?;
            if overdue {
                list.retain(|r| r.standing(now, DEFAULT_DUE_SOON_DAYS).overdue);
            }
            print_requests(&list, now, clock.format, false)?;
        }
        RequestCommand::Show { id, clock } => {
            let now = now_timestamp(clock.now.as_deref())?;
            let r = store.request(id)?.ok_or_else(|| msadesk_store::unknown_request(id))?;
            let packages = store.packages(id)?;
            let grants = store.inspector_grants(id)?;
            print_request_detail(&r, now, clock.format, &packages, &grants)?;
        }
        RequestCommand::Letter(a) => crate::letters::request_letter(store.as_mut(), a)?,
        RequestCommand::Ack(s) => step(store.as_mut(), s, Step::Acknowledged, &meta)?,
        RequestCommand::Sent(mut s) => {
            s.note = crate::library::sent_note(store.as_mut(), s.id, s.note.as_deref())?;
            step(store.as_mut(), s, Step::Sent, &meta)?
        }
        RequestCommand::Package(a) => {
            drop(store);
            return crate::library::package(url, a, meta);
        }
        RequestCommand::Share(a) => {
            drop(store);
            return crate::library::share(url, a, meta);
        }
        RequestCommand::Unshare(a) => {
            drop(store);
            return crate::library::unshare(url, a, meta);
        }
        RequestCommand::AccessLog(a) => {
            drop(store);
            return crate::library::access_log(url, a);
        }
        RequestCommand::Close(s) => step(store.as_mut(), s, Step::Closed, &meta)?,
        RequestCommand::Extend { step: s, due } => {
            let st = match due {
                Some(d) => Step::ExtensionGiven { due: Date::parse(&d).map_err(|e| anyhow!("--due: {e}"))? },
                None => Step::ExtensionAsked,
            };
            step(store.as_mut(), s, st, &meta)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn step(store: &mut dyn Store, s: StepArgs, st: Step, meta: &ChangeMeta) -> Result<()> {
    let r = store.request_step(s.id, &st, s.note.as_deref(), meta)?;
    eprintln!("request #{}: {} ({})", r.id, st.name(), r.status);
    print_requests(&[r], now_timestamp(None)?, s.format, true)
}

fn find_authority(store: &mut dyn Store, id: &str) -> Result<Authority> {
    store
        .authorities()?
        .into_iter()
        .find(|a| a.id == id.trim())
        .ok_or_else(|| anyhow!(msadesk_store::unknown_authority(id.trim())))
}

fn print_authorities(list: &[Authority], format: Option<Format>) -> Result<()> {
    match output::resolve(format) {
        Format::Json => print_json(&list),
        Format::Csv => write_authorities_csv(list, std::io::stdout().lock()),
        Format::Table => {
            let mut t = output::table(&[
                "id",
                "country",
                "kind",
                "name",
                "e-mail",
                "languages",
                "time zone",
                "confirmed",
                "source",
            ]);
            for a in list {
                t.add_row(vec![
                    a.id.clone(),
                    a.country.to_string(),
                    a.kind.as_str().to_string(),
                    a.name.clone(),
                    a.email.clone().unwrap_or_default(),
                    a.languages.join(" "),
                    a.time_zone.clone(),
                    if a.confirmed { "yes".into() } else { "NO".into() },
                    a.source.clone(),
                ]);
            }
            println!("{t}");
            Ok(())
        }
    }
}

const CSV_COLUMNS: [&str; 11] = [
    "id",
    "country",
    "name",
    "postal_address",
    "email",
    "portal",
    "languages",
    "time_zone",
    "kind",
    "source",
    "confirmed",
];

fn write_authorities_csv(list: &[Authority], out: impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_COLUMNS)?;
    for a in list {
        w.write_record([
            a.id.as_str(),
            a.country.as_str(),
            &a.name,
            a.postal_address.as_deref().unwrap_or(""),
            a.email.as_deref().unwrap_or(""),
            a.portal.as_deref().unwrap_or(""),
            &a.languages.join(" "),
            &a.time_zone,
            a.kind.as_str(),
            &a.source,
            if a.confirmed { "true" } else { "false" },
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn is_csv(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

fn read_authorities(path: &Path) -> Result<Vec<Authority>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let raw: Vec<Authority> = if is_csv(path) {
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        let headers = r.headers()?.clone();
        let idx = |name: &str| headers.iter().position(|h| h.trim() == name);
        let mut out = Vec::new();
        for (n, rec) in r.records().enumerate() {
            let line = n + 2;
            let rec = rec.with_context(|| format!("{}:{line}: not valid CSV", path.display()))?;
            let get = |name: &str| idx(name).and_then(|i| rec.get(i)).unwrap_or("").trim().to_string();
            let opt = |name: &str| Some(get(name)).filter(|v| !v.is_empty());
            let at = |field: &str, e: &dyn std::fmt::Display| anyhow!("{}:{line}: {field}: {e}", path.display());
            out.push(Authority {
                id: get("id"),
                country: MemberState::parse(&get("country")).map_err(|e| at("country", &e))?,
                name: get("name"),
                postal_address: opt("postal_address"),
                email: opt("email"),
                portal: opt("portal"),
                languages: get("languages").split([' ', ';', ',']).filter(|l| !l.is_empty()).map(Into::into).collect(),
                time_zone: get("time_zone"),
                kind: AuthorityKind::parse(&get("kind")).map_err(|e| at("kind", &e))?,
                source: get("source"),
                confirmed: match get("confirmed").to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => true,
                    "false" | "no" | "0" | "" => false,
                    other => return Err(at("confirmed", &format!("'{other}' is not true or false"))),
                },
            });
        }
        out
    } else {
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: not a JSON array of authorities as `msadesk authority export FILE.json` writes",
                path.display()
            )
        })?
    };
    raw.into_iter()
        .enumerate()
        .map(|(i, a)| {
            let id = a.id.clone();
            a.validate().map_err(|e| anyhow!("{}: entry {} ('{id}'): {e}", path.display(), i + 1))
        })
        .collect()
}

pub fn authority(url: &str, c: AuthorityCommand, meta: ChangeMeta) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    match c {
        AuthorityCommand::List { country, format } => {
            let mut list = store.authorities()?;
            if let Some(c) = country {
                let c = MemberState::parse(&c).map_err(|e| anyhow!("--country: {e}"))?;
                list.retain(|a| a.country == c);
            }
            print_authorities(&list, format)?;
        }
        AuthorityCommand::Add(f) => {
            let id =
                f.id_flag.clone().or(f.id.clone()).ok_or_else(|| anyhow!("give the new entry's --id (e.g. pl-uke)"))?;
            if store.authorities()?.iter().any(|a| a.id == id.trim()) {
                bail!(
                    "authority '{}' exists already: change it with `msadesk authority edit {}`",
                    id.trim(),
                    id.trim()
                );
            }
            let need =
                |v: Option<String>, flag: &str| v.ok_or_else(|| anyhow!("--{flag} is required to add an authority"));
            let a = Authority {
                id,
                country: MemberState::parse(&need(f.country, "country")?).map_err(|e| anyhow!("--country: {e}"))?,
                name: need(f.name, "name")?,
                postal_address: f.postal_address,
                email: f.email,
                portal: f.portal,
                languages: split_languages(f.languages.as_deref().unwrap_or("")),
                time_zone: need(f.time_zone, "time-zone")?,
                kind: AuthorityKind::parse(f.kind.as_deref().unwrap_or("msa")).map_err(|e| anyhow!("--kind: {e}"))?,
                source: need(f.source, "source")?,
                confirmed: f.confirmed.unwrap_or(false),
            }
            .validate()
            .map_err(|e| anyhow!("{e}"))?;
            store.put_authority(&a, &meta)?;
            eprintln!("added authority '{}'", a.id);
            print_authorities(&[a], f.format)?;
        }
        AuthorityCommand::Edit(f) => {
            let id = f.id.clone().or(f.id_flag.clone()).ok_or_else(|| anyhow!("give the id of the entry to edit"))?;
            let mut a = find_authority(store.as_mut(), &id)?;
            if let Some(v) = f.country {
                a.country = MemberState::parse(&v).map_err(|e| anyhow!("--country: {e}"))?;
            }
            if let Some(v) = f.name {
                a.name = v;
            }
            if let Some(v) = f.postal_address {
                a.postal_address = Some(v);
            }
            if let Some(v) = f.email {
                a.email = Some(v);
            }
            if let Some(v) = f.portal {
                a.portal = Some(v);
            }
            if let Some(v) = f.languages {
                a.languages = split_languages(&v);
            }
            if let Some(v) = f.time_zone {
                a.time_zone = v;
            }
            if let Some(v) = f.kind {
                a.kind = AuthorityKind::parse(&v).map_err(|e| anyhow!("--kind: {e}"))?;
            }
            if let Some(v) = f.source {
                a.source = v;
            }
            if let Some(v) = f.confirmed {
                a.confirmed = v;
            }
            let a = a.validate().map_err(|e| anyhow!("{e}"))?;
            store.put_authority(&a, &meta)?;
            eprintln!("updated authority '{}'", a.id);
            print_authorities(&[a], f.format)?;
        }
        AuthorityCommand::Export { file } => {
            let list = store.authorities()?;
            if file.as_os_str() == "-" {
                print_json(&list)?;
            } else {
                let out = std::fs::File::create(&file).with_context(|| format!("cannot create {}", file.display()))?;
                if is_csv(&file) {
                    write_authorities_csv(&list, out)?;
                } else {
                    serde_json::to_writer_pretty(out, &list)?;
                }
                eprintln!("wrote {} authorities to {}", list.len(), file.display());
            }
        }
        AuthorityCommand::Import { file } => {
            // Every entry is checked before any is written, so a bad file changes nothing.
            let list = read_authorities(&file)?;
            let meta = ChangeMeta { source: Some(file.display().to_string()), ..meta };
            let (mut added, mut replaced) = (0, 0);
            for a in &list {
                if store.put_authority(a, &meta)? {
                    added += 1;
                } else {
                    replaced += 1;
                }
            }
            eprintln!(
                "imported {} authorities from {}: {added} added, {replaced} replaced",
                list.len(),
                file.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn split_languages(v: &str) -> Vec<String> {
    v.split([' ', ';', ',']).filter(|l| !l.is_empty()).map(Into::into).collect()
}

pub fn holiday(url: &str, c: HolidayCommand, meta: ChangeMeta) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    match c {
        HolidayCommand::List { country, format } => {
            let mut list = store.holidays()?;
            if let Some(c) = country {
                let c = MemberState::parse(&c).map_err(|e| anyhow!("--country: {e}"))?;
                list.retain(|h| h.country == c.as_str());
            }
            match output::resolve(format) {
                Format::Json => print_json(&list)?,
                _ => {
                    let mut t = output::table(&["country", "date", "name"]);
                    for h in &list {
                        t.add_row(vec![h.country.clone(), h.date.to_string(), h.name.clone()]);
                    }
                    println!("{t}");
                }
            }
        }
        HolidayCommand::Set { country, file } => {
            let country = MemberState::parse(&country).map_err(|e| anyhow!("--country: {e}"))?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mut r = csv::Reader::from_reader(bytes.as_slice());
            let mut list = Vec::new();
            for (n, rec) in r.records().enumerate() {
                let line = n + 2;
                let rec = rec.with_context(|| format!("{}:{line}: not valid CSV", file.display()))?;
                let date = Date::parse(rec.get(0).unwrap_or(""))
                    .map_err(|e| anyhow!("{}:{line}: date: {e}", file.display()))?;
                let name = msadesk_core::required_text("name", rec.get(1).unwrap_or(""))
                    .map_err(|e| anyhow!("{}:{line}: {e}", file.display()))?;
                list.push(Holiday { country: country.as_str().into(), date, name });
            }
            let meta = ChangeMeta { source: Some(file.display().to_string()), ..meta };
            store.set_holidays(country.as_str(), &list, &meta)?;
            eprintln!("the holiday list of {country} now has {} days", list.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
