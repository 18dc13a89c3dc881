//! Command-line arguments and what each command does.

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use msadesk_core::trace::TraceQuery;
use msadesk_core::{
    Date, Email, Gln, MemberState, OurRole, OwnIdentity, ProductId, ProductRecord, SupplyEvent, Version, retention,
};
use msadesk_formats::Diagnostic;
use msadesk_formats::csv_import::{CsvRecord, CsvSource, OnInvalid};
use msadesk_store::{ChangeMeta, ImportStats, RowSource, Store};
use serde::Serialize;

use crate::db;
use crate::evidence;
use crate::generate::{Dataset, demo_identity};
use crate::output::{self, Format};

#[derive(Parser)]
#[command(
    name = "msadesk",
    version,
    about = "The economic operator's desk for EU market surveillance under the Cyber Resilience Act",
    long_about = "msadesk keeps the supply records that CRA Art 23 requires (who supplied you, whom you supplied, \
for ten years) and answers an authority's questions about them.\n\n\
Start with `msadesk demo` to load a demonstration dataset, then `msadesk trace --product SH-CAM-200`.",
    after_help = "Examples:\n  msadesk demo\n  msadesk init --name 'ACME Import GmbH' --address 'Hafenstraße 1, 20457 Hamburg' --member-state DE --role importer\n  msadesk import products products.csv\n  msadesk import supply deliveries.csv\n  msadesk trace --product SH-CAM-200 --from 2026-01-01 --to 2026-06-30 --format csv\n  MSADESK_DATABASE=postgres://postgres@127.0.0.1/msadesk msadesk migrate"
)]
struct Cli {
    /// Database URL: sqlite:PATH (created on first use) or postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true, env = "MSADESK_DATABASE", default_value = db::DEFAULT_DATABASE, hide_env_values = true)]
    database: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Record who we are: our name, address, Member State and default role.
    #[command(
        after_help = "Example:\n  msadesk init --name 'ACME Import GmbH' --address 'Hafenstraße 1, 20457 Hamburg' --member-state DE --role importer --contact-person 'Jana Novák' --email compliance@acme.example"
    )]
    Init(InitArgs),
    /// Create or upgrade the database schema (also done automatically on first use).
    #[command(after_help = "Example:\n  msadesk --database postgres://postgres@127.0.0.1:5432/msadesk migrate")]
    Migrate,
    /// Import product master data, supply events, SBOMs, vulnerability data, known-exploited lists or the install base.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Answer CRA Art 23 for a product: who supplied it to us, whom we supplied, in a period.
    #[command(
        after_help = "Examples:\n  msadesk trace --product SH-CAM-200\n  msadesk trace --product SH-CAM-200 --version 1.2.0 --from 2025-01-01 --to 2025-12-31 --format json\n  msadesk trace --product SH-CAM-200 --format csv > answer.csv"
    )]
    Trace(TraceArgs),
    /// Export supply events for an authority or a partner system.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Which product versions each vulnerability affects, whether it is a significant risk, and what we must do.
    #[command(
        after_help = "Each (product version, vulnerability) shows the matched SBOM components, the indicators, every rule of the\npolicy with its reason, the Member States (registry and install base) and the obligations for our role.\nDecisions are recorded (audited) when new or changed; --dry-run records nothing.\n\nExamples:\n  msadesk assess\n  msadesk assess --vuln CVE-2021-44228 --format json\n  msadesk assess --product SH-CAM-200 --version 1.2.0 --policy policy.json\n  msadesk assess --show-policy > policy.json"
    )]
    Assess(crate::risk::AssessArgs),
    /// Record an officer's decision on a (product version, vulnerability): significant or not, with a reason; it wins over the policy.
    #[command(
        after_help = "Examples:\n  msadesk decide --product SH-CAM-200 --version 1.2.0 --vuln CVE-2021-44228 --significant false --reason 'JNDI lookups disabled in our build'\n  msadesk decide --product SH-CAM-200 --version 1.2.0 --vuln GHSA-jfh8-c2jp-5v3q --significant true --reason 'exploit seen at a customer'"
    )]
    Decide(crate::risk::DecideArgs),
    /// Every duty that follows from the current assessments (whom to inform, by when, on which basis), open or sent; overdue first.
    #[command(
        after_help = "A duty is overdue when it is a legal duty, past its due time, and no notice was recorded for it\n(`msadesk notice sent`). Recommendations are listed but never overdue.\n\nExamples:\n  msadesk obligations\n  msadesk obligations --overdue --format json\n  msadesk obligations --overdue --as-of 2026-12-05T08:00:00Z\n  msadesk obligations --product SH-CAM-200 --open"
    )]
    Obligations(crate::obligations::ObligationsArgs),
    /// Notices for obligations: record that one was sent.
    #[command(subcommand)]
    Notice(NoticeCommand),
    /// Download data over HTTPS (or plain HTTP) and import it (the URL is configurable).
    #[command(subcommand)]
    Fetch(FetchCommand),
    /// Publish what we know about a vulnerability: a CSAF 2.0 security advisory or VEX document for our product versions.
    #[command(subcommand)]
    Advisory(AdvisoryCommand),
    /// Show how long a product's records must be kept (`--product`), or run the retention job (`run`).
    #[command(
        after_help = "Examples:\n  msadesk retention --product SH-CAM-200\n  msadesk retention run --dry-run --as-of 2037-01-01\n  msadesk retention run --format json"
    )]
    Retention(RetentionArgs),
    /// Legal holds: keep records past their retention end (per product, version or operator).
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk hold add --product SH-CAM-200 --reason 'MSA case DE-2031-17'\n  msadesk hold list\n  msadesk hold release 1 --reason 'case closed'"
    )]
    Hold(evidence::HoldCommand),
    /// Write a consistent, verified snapshot of the SQLite database to a new file (PostgreSQL: prints the pg_dump recipe).
    #[command(after_help = "Example:\n  msadesk backup /backups/msadesk-2026-12-04.db")]
    Backup(evidence::BackupArgs),
    /// Replace the SQLite database with a backup, after verifying the backup's audit trail.
    #[command(
        after_help = "Examples:\n  msadesk --database sqlite:restored.db restore /backups/msadesk-2026-12-04.db\n  msadesk restore --force /backups/msadesk-2026-12-04.db   # replaces a database that holds records"
    )]
    Restore(evidence::RestoreArgs),
    /// List products and their versions.
    #[command(after_help = "Example:\n  msadesk products --format json")]
    Products(FormatArg),
    /// List economic operators with their current details.
    #[command(after_help = "Example:\n  msadesk operators --format json")]
    Operators(FormatArg),
    /// Show what the registry holds and who we are.
    #[command(after_help = "Example:\n  msadesk status")]
    Status(FormatArg),
    /// Check, browse and anchor the audit trail.
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk audit verify\n  msadesk audit log --limit 20\n  msadesk audit anchor -o anchor.json"
    )]
    Audit(AuditCommand),
    /// Fill a fresh database with a realistic demonstration dataset and show a trace.
    #[command(after_help = "Example:\n  msadesk demo\n  msadesk --database sqlite:/tmp/demo.db demo --events 20000")]
    Demo(DemoArgs),
    /// Benchmark helpers.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Serve the web pages and the JSON API (http://127.0.0.1:8080 by default).
    #[command(
        after_help = "On a database without users, an administrator is created and its password printed once.\n\nExamples:\n  msadesk serve --demo\n  msadesk --database postgres://postgres@127.0.0.1:5432/msadesk serve --listen 0.0.0.0:8080\n  MSADESK_SECURE_COOKIES=1 msadesk serve   # behind a TLS proxy that does not send X-Forwarded-Proto"
    )]
    Serve(ServeArgs),
    /// The MSA inbox's authority directory (seeded with unconfirmed entries to review).
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk authority list --country DE\n  msadesk authority edit de-bsi --confirmed true --source 'BSI letter of 2026-11-02'\n  msadesk authority export authorities.csv"
    )]
    Authority(crate::inbox::AuthorityCommand),
    /// Public holidays per Member State, skipped when deadlines are counted in working days.
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk holiday list --country DE\n  msadesk holiday set --country DE de-holidays.csv"
    )]
    Holiday(crate::inbox::HolidayCommand),
    /// Requests from market surveillance authorities: register, acknowledge, track deadlines, close.
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk request add --authority de-bnetza --reference BNetzA-2026-0042 --received 2026-12-03T16:30 --due-working-days 10 --product SH-CAM-200 --asks trace,documents\n  msadesk request list --overdue\n  msadesk request ack 1\n  msadesk request close 1"
    )]
    Request(crate::inbox::RequestCommand),
    /// Corrective actions and recalls: record an order, notify every recipient, track acknowledgements and effectiveness.
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk action add --type recall --product SH-CAM-200 --version 1.2.0 --authority de-bnetza --reference BNetzA-2026-0042 --due 2027-01-31 --format json\n  msadesk action advance 1 --to acknowledged\n  msadesk action notify 1\n  msadesk outbox deliver --once\n  msadesk action report 1"
    )]
    Action(crate::action::ActionCommand),
    /// Messages waiting to be delivered (notices, reminders, webhooks) and the delivery worker.
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk outbox list --state deferred\n  MSADESK_SMTP_HOST=127.0.0.1 MSADESK_SMTP_PORT=2525 MSADESK_SMTP_FROM=recalls@acme.example msadesk outbox deliver --once"
    )]
    Outbox(crate::action::OutboxCommand),
    /// Reports: the readiness report (could we answer an authority today?).
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk report readiness\n  msadesk report readiness --format pdf --out readiness.pdf"
    )]
    Report(crate::readiness::ReportCommand),
    /// Letters in English and the authorities' languages (PDF or HTML), and the operator's own template wording.
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk letter kinds\n  msadesk letter render --kind user-notice --lang pl --args-json notice.json --out notice.pl.pdf\n  msadesk letter template export --lang de --out templates/\n  msadesk request letter 1 --kind ack --out ack.pdf"
    )]
    Letter(crate::letters::LetterCommand),
    /// The documentation library: DoC, technical documentation, SBOM… per product version, with history and gaps.
    #[command(
        subcommand,
        after_help = "Examples:\n  msadesk doc add --product SH-CAM-200 --version 1.2.0 --kind doc DoC.pdf\n  msadesk doc list --product SH-CAM-200\n  msadesk doc gaps"
    )]
    Doc(crate::library::DocCommand),
    /// Check a signed package (an MSA response package): every file's SHA-256, nothing added or removed, the signature.
    #[command(
        after_help = "Exit status 0 when valid; otherwise non-zero, naming the file that was altered, added or removed.\n\nExamples:\n  msadesk verify response-BNetzA-2026-0042.zip\n  msadesk verify response.zip --key acme-public-key.txt\n  msadesk verify response.zip --key 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
    )]
    Verify(crate::keys::VerifyArgs),
    /// The operator's signing key (Ed25519): export its public half.
    #[command(subcommand, after_help = "Example:\n  msadesk key export > acme-public-key.txt")]
    Key(crate::keys::KeyCommand),
    /// Create, list and revoke API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the users who log in to the web pages.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Args)]
struct ServeArgs {
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080", env = "MSADESK_LISTEN")]
    listen: String,
    /// Load the demonstration dataset first when the database holds no supply events.
    #[arg(long)]
    demo: bool,
    /// Mark cookies Secure even when no proxy says the client used HTTPS.
    #[arg(long, env = "MSADESK_SECURE_COOKIES")]
    secure_cookies: bool,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token and print it (alone) on standard output; only its hash is stored.
    #[command(
        after_help = "Example:\n  msadesk token create --role viewer --name erp-sync --expires 2027-06-30\n  curl -H \"Authorization: Bearer $(msadesk token create --role viewer)\" http://127.0.0.1:8080/api/v1/products"
    )]
    Create {
        /// admin, officer, viewer or inspector.
        #[arg(long)]
        role: String,
        /// What uses the token.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Last day the token works (YYYY-MM-DD, UTC).
        #[arg(long)]
        expires: Option<String>,
    },
    /// List API tokens (never their secrets).
    #[command(after_help = "Example:\n  msadesk token list --format json")]
    List(FormatArg),
    /// Revoke an API token by its id.
    #[command(after_help = "Example:\n  msadesk token revoke tok_1a2b3c4d5e6f")]
    Revoke {
        /// The token's id (tok_…), as `msadesk token list` shows it.
        id: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from standard input with --password-stdin, or generated and printed.
    #[command(
        after_help = "Examples:\n  msadesk user add jana --role officer\n  printf '%s\\n' \"$PASSWORD\" | msadesk user add jana --role officer --password-stdin"
    )]
    Add {
        /// The login name.
        name: String,
        /// admin, officer, viewer or inspector.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    #[command(after_help = "Example:\n  msadesk user list")]
    List(FormatArg),
}

#[derive(Args)]
struct InitArgs {
    /// Our legal name.
    #[arg(long)]
    name: String,
    /// Our postal address.
    #[arg(long)]
    address: String,
    /// The Member State we are established in (ISO code, e.g. DE).
    #[arg(long)]
    member_state: String,
    /// Our role for every product that does not say otherwise: manufacturer, importer, distributor or authorised_representative.
    #[arg(long)]
    role: String,
    /// The person authorities should contact.
    #[arg(long)]
    contact_person: Option<String>,
    /// The e-mail address authorities should write to.
    #[arg(long)]
    email: Option<String>,
    /// Our GS1 Global Location Number, if we have one (used as our party id in EPCIS).
    #[arg(long)]
    gln: Option<String>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Subcommand)]
enum NoticeCommand {
    /// Record that the notice for an obligation was sent (audited); the obligation is then no longer open or overdue.
    #[command(
        after_help = "Examples:\n  msadesk notice sent --product SH-CAM-200 --version 1.2.0 --vuln CVE-2021-44228 --to msa --reference 'BNetzA 2026-0042'\n  msadesk notice sent --product SH-CAM-200 --version 1.2.0 --vuln CVE-2021-44228 --to csirt_enisa --what early_warning --sent-at 2026-12-04T09:30:00Z"
    )]
    Sent(crate::obligations::NoticeSentArgs),
}

#[derive(Subcommand)]
enum FetchCommand {
    /// Download vulnerability data (OSV, NVD CVE API 2.0 or CSAF 2.0 JSON) from an https:// or http:// URL and import it like `import vulns`.
    #[command(
        after_help = "The feed date is today; the URL is recorded as the file. No redirects are followed. HTTPS certificates are\nchecked against the Mozilla roots built into msadesk; a mirror behind a private CA needs --ca-file (or MSADESK_FETCH_CA_FILE).\n\nExamples:\n  msadesk fetch vulns --url https://mirror.example/osv/npm.json --feed 'OSV npm'\n  msadesk fetch vulns --url https://osv.internal/npm.json --ca-file /etc/ssl/private-ca.pem\n  MSADESK_VULNS_URL=http://10.0.0.5/nvd/recent.json msadesk fetch vulns --format json"
    )]
    Vulns(crate::risk::FetchVulnsArgs),
}

#[derive(Subcommand)]
enum AdvisoryCommand {
    /// A CSAF 2.0 document (csaf_security_advisory, or csaf_vex with --vex) for one assessed vulnerability: affected,
    /// fixed, not affected and under-investigation versions, CVSS, exploitation, remediation; we are the publisher.
    #[command(
        after_help = "Versions come from the registry and the current SBOMs: affected as assessed, fixed when the SBOM holds the\nvulnerable package at an unaffected version, not affected when it does not hold it, under investigation without an SBOM.\n\nExamples:\n  msadesk advisory csaf --vuln CVE-2021-44228 --product SH-CAM-200 --out advisory.json\n  msadesk advisory csaf --vuln CVE-2021-44228 --vex --out vex.json\n  msadesk advisory csaf --vuln CVE-2021-44228 --update advisory.json --revision-summary 'Fix in 1.3.0' --out advisory.json"
    )]
    Csaf(crate::advisory::CsafArgs),
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import product master data from CSV (one row per product version).
    #[command(
        after_help = "Columns (any order, extra columns ignored): product_id,product_name,version,manufacturer_id,manufacturer_name,\n  manufacturer_address,manufacturer_country,manufacturer_email,placed_on_market,end_of_support\n  optional: gtin,our_role,manufacturer_phone,manufacturer_gln,manufacturer_vat\n\nExample:\n  msadesk import products products.csv"
    )]
    Products(ImportArgs),
    /// Import supply events from CSV or an EPCIS 2.0 JSON/JSON-LD document.
    #[command(
        after_help = "CSV columns (any order, extra columns ignored): direction,date,product_id,version,quantity,counterparty_id,\n  counterparty_name,counterparty_address,counterparty_country,counterparty_email,counterparty_role,reference\n  optional: counterparty_phone,counterparty_gln,counterparty_vat\ndirection is received (an operator supplied us) or supplied (we supplied an operator).\n\nExamples:\n  msadesk import supply deliveries.csv\n  msadesk import supply --skip-invalid deliveries.csv   # rejected rows go to deliveries.csv.rejected.csv\n  msadesk import supply events.jsonld"
    )]
    Supply(ImportArgs),
    /// Import a product version's SBOM (CycloneDX JSON 1.4–1.6, SPDX 2.3 JSON); replaces its current SBOM, keeps the history.
    #[command(
        after_help = "A malformed SBOM is rejected with its diagnostics and nothing is written.\n\nExample:\n  msadesk import sbom --product SH-CAM-200 --version 1.2.0 cam-1.2.0.cdx.json\n  msadesk import sbom --product SH-CAM-200 --version 1.2.0 cam.spdx.json --format json"
    )]
    Sbom(crate::risk::SbomArgs),
    /// Import vulnerability data: OSV JSON, NVD CVE API 2.0 JSON or a CSAF 2.0 advisory (detected).
    #[command(
        after_help = "Records are replaced by id; each keeps its feed and the date the feed was taken.\n\nExamples:\n  msadesk import vulns osv-npm.json --feed-date 2026-12-01\n  msadesk import vulns nvd-2026-12.json --feed NVD --feed-date 2026-12-01\n  msadesk import vulns vendor-advisory.csaf.json --format json"
    )]
    Vulns(crate::risk::VulnsArgs),
    /// Import a known-exploited catalogue (CISA KEV JSON, or another list of the same shape).
    #[command(
        after_help = "Examples:\n  msadesk import kev known_exploited_vulnerabilities.json --feed-date 2026-12-01\n  msadesk import kev other-list.json --source 'CERT-X exploited list'"
    )]
    Kev(crate::risk::KevArgs),
    /// Import the install base from CSV: product_id,version,member_state,instances,critical_sector.
    #[command(
        after_help = "critical_sector is empty or a NIS2 Annex I/II sector (energy, transport, banking, health, drinking water, digital infrastructure, ...).\nEach row sets the instances of its (product, version, Member State, sector).\n\nExample:\n  msadesk import deployments deployments.csv"
    )]
    Deployments(crate::risk::DeploymentsArgs),
}

#[derive(Args)]
struct ImportArgs {
    /// The file to import.
    file: PathBuf,
    /// Import the valid rows and write the rejected ones, with reasons, to FILE.rejected.csv (default: one invalid row rejects the whole file).
    #[arg(long)]
    skip_invalid: bool,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
struct TraceArgs {
    /// Product id.
    #[arg(long)]
    product: String,
    /// Only this version (default: all versions).
    #[arg(long)]
    version: Option<String>,
    /// First day of the period, inclusive (YYYY-MM-DD).
    #[arg(long)]
    from: Option<String>,
    /// Last day of the period, inclusive (YYYY-MM-DD).
    #[arg(long)]
    to: Option<String>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Write the supply events of a product as an EPCIS 2.0 JSON-LD document.
    #[command(
        after_help = "Example:\n  msadesk export epcis --product SH-CAM-200 --from 2026-01-01 --output sh-cam-200.jsonld"
    )]
    Epcis(ExportArgs),
    /// Write the supply events of a product as supply CSV (the import format).
    #[command(after_help = "Example:\n  msadesk export supply --product SH-CAM-200 --output sh-cam-200.csv")]
    Supply(ExportArgs),
}

#[derive(Args)]
struct ExportArgs {
    #[arg(long)]
    product: String,
    #[arg(long)]
    version: Option<String>,
    #[arg(long)]
    from: Option<String>,
    #[arg(long)]
    to: Option<String>,
    /// Where to write (default: standard output). Written to a temporary file and renamed, so a failed export leaves nothing half-written.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
struct RetentionArgs {
    #[command(subcommand)]
    command: Option<RetentionCommand>,
    /// Product id: show its retention periods.
    #[arg(long)]
    product: Option<String>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Delete the records whose retention ended before --as-of and that no legal hold keeps; each
    /// leaves a tombstone, and the run is one audited transaction. Contact data of operators no
    /// retained record refers to is erased.
    #[command(
        after_help = "Examples:\n  msadesk retention run --dry-run                      # what would go today, with reasons\n  msadesk retention run --as-of 2037-01-01 --format json"
    )]
    Run(evidence::RetentionRunArgs),
}

#[derive(Args)]
struct FormatArg {
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and the records it covers; report the first broken entry (exit status 1 when broken).
    #[command(after_help = "Example:\n  msadesk audit verify")]
    Verify(FormatArg),
    /// List audit entries: who changed what, when.
    #[command(
        after_help = "Examples:\n  msadesk audit log --limit 20\n  msadesk audit log --entity legal_holds --since 2026-01-01 --format json"
    )]
    Log(evidence::AuditLogArgs),
    /// Export the chain's head (seq, hash, time) signed with Ed25519, for a third party to keep.
    #[command(
        after_help = "Examples:\n  msadesk audit anchor -o anchor-2026-12-04.json\n  msadesk --database postgres://postgres@127.0.0.1/msadesk audit anchor --key /etc/msadesk/signing-key -o anchor.json\n\nThe key is created on first use (next to the SQLite database, DB.signing-key) and never printed."
    )]
    Anchor(evidence::AnchorArgs),
    /// Check an anchor: its signature, and that the anchored entry is still in an intact chain.
    #[command(after_help = "Example:\n  msadesk audit verify-anchor anchor-2026-12-04.json")]
    VerifyAnchor(evidence::VerifyAnchorArgs),
}

#[derive(Args)]
struct DemoArgs {
    /// How many supply events to generate.
    #[arg(long, default_value_t = 5000)]
    events: u64,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 2847)]
    seed: u64,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Write a deterministic workload to a directory: products.csv, supply.csv, and for the impact
    /// benchmark sboms/ (one CycloneDX SBOM per product version, listed in sboms/index.csv) and
    /// vulns.osv.json (CVE-2099-7777).
    #[command(after_help = "Example:\n  msadesk bench generate --events 1000000 --seed 1 /tmp/workload")]
    Generate {
        #[arg(long)]
        events: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// SBOM components in all (default: one per 10 events, spread over the product versions).
        #[arg(long)]
        components: Option<u64>,
        /// Output directory (created if missing).
        out: PathBuf,
    },
    /// Time the trace of a product in-process: p50 and p99 over repeated runs, JSON on stdout.
    #[command(after_help = "Example:\n  msadesk bench trace --product SH-CAM-200 --iterations 200")]
    Trace {
        #[arg(long)]
        product: String,
        #[arg(long)]
        version: Option<String>,
        #[arg(long, default_value_t = 100)]
        iterations: u32,
    },
    /// Time a vulnerability's impact in-process: affected versions, the operators they were
    /// supplied to and the Member States (the assessment, recording nothing), next to the same
    /// assessment loading every SBOM component and to one trace per affected version (both must
    /// agree with it); JSON on stdout.
    #[command(after_help = "Example:\n  msadesk bench impact --vuln CVE-2099-7777 --iterations 21")]
    Impact {
        #[arg(long, default_value = "CVE-2099-7777")]
        vuln: String,
        #[arg(long, default_value_t = 21)]
        iterations: u32,
    },
}

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Init(a) => init(&cli.database, a),
        Command::Migrate => {
            let store = db::open(&cli.database)?;
            eprintln!("{} database {} is up to date", store.engine(), db::redacted(&cli.database));
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(ImportCommand::Products(a)) => import::<ProductRecord>(&cli.database, a, Kind::Products),
        Command::Import(ImportCommand::Supply(a)) => import::<SupplyEvent>(&cli.database, a, Kind::Supply),
        Command::Import(ImportCommand::Sbom(a)) => crate::risk::import_sbom(&cli.database, a),
        Command::Import(ImportCommand::Vulns(a)) => crate::risk::import_vulns(&cli.database, a),
        Command::Import(ImportCommand::Kev(a)) => crate::risk::import_kev(&cli.database, a),
        Command::Import(ImportCommand::Deployments(a)) => crate::risk::import_deployments(&cli.database, a),
        Command::Assess(a) => crate::risk::assess(&cli.database, a),
        Command::Decide(a) => crate::risk::decide(&cli.database, a),
        Command::Advisory(AdvisoryCommand::Csaf(a)) => crate::advisory::csaf(&cli.database, a),
        Command::Fetch(FetchCommand::Vulns(a)) => crate::risk::fetch_vulns(&cli.database, a),
        Command::Obligations(a) => crate::obligations::obligations(&cli.database, a),
        Command::Notice(NoticeCommand::Sent(a)) => crate::obligations::notice_sent(&cli.database, a),
        Command::Trace(a) => trace(&cli.database, a),
        Command::Export(ExportCommand::Epcis(a)) => export(&cli.database, a, ExportKind::Epcis),
        Command::Export(ExportCommand::Supply(a)) => export(&cli.database, a, ExportKind::Csv),
        Command::Retention(RetentionArgs { command: Some(RetentionCommand::Run(a)), .. }) => {
            let today = Date::from_unix_seconds(unix_now());
            evidence::retention_run(&cli.database, a, today, meta(None))
        }
        Command::Retention(a) => retention_cmd(&cli.database, a),
        Command::Hold(c) => evidence::hold(&cli.database, c, meta(None)),
        Command::Authority(c) => crate::inbox::authority(&cli.database, c, meta(None)),
        Command::Holiday(c) => crate::inbox::holiday(&cli.database, c, meta(None)),
        Command::Request(c) => crate::inbox::request(&cli.database, c, meta(None)),
        Command::Action(c) => crate::action::action(&cli.database, c, meta(None)),
        Command::Outbox(c) => crate::action::outbox(&cli.database, c),
        Command::Letter(c) => crate::letters::letter(&cli.database, c, meta(None)),
        Command::Doc(c) => crate::library::doc(&cli.database, c, meta(None)),
        Command::Verify(a) => crate::keys::verify(a),
        Command::Key(c) => crate::keys::key(&cli.database, c),
        Command::Backup(a) => evidence::backup(&cli.database, a),
        Command::Report(c) => crate::readiness::report(&cli.database, c),
        Command::Restore(a) => evidence::restore(&cli.database, a),
        Command::Products(f) => products(&cli.database, f.format),
        Command::Operators(f) => operators(&cli.database, f.format),
        Command::Status(f) => status(&cli.database, f.format),
        Command::Audit(AuditCommand::Verify(f)) => audit_verify(&cli.database, f.format),
        Command::Audit(AuditCommand::Log(a)) => evidence::audit_log(&cli.database, a),
        Command::Audit(AuditCommand::Anchor(a)) => evidence::anchor(&cli.database, a, now_rfc3339()),
        Command::Audit(AuditCommand::VerifyAnchor(a)) => evidence::verify_anchor(&cli.database, a),
        Command::Demo(a) => demo(&cli.database, a),
        Command::Bench(BenchCommand::Generate { events, seed, components, out }) => {
            bench_generate(events, seed, components.unwrap_or(events / 10), &out)
        }
        Command::Bench(BenchCommand::Impact { vuln, iterations }) => {
            crate::risk::bench_impact(&cli.database, &vuln, iterations)
        }
        Command::Bench(BenchCommand::Trace { product, version, iterations }) => {
            bench_trace(&cli.database, &product, version.as_deref(), iterations)
        }
        Command::Serve(a) => crate::serve::serve(&cli.database, a.listen, a.demo, a.secure_cookies),
        Command::Token(TokenCommand::Create { role, name, expires }) => {
            crate::serve::token_create(&cli.database, &role, &name, expires.as_deref())
        }
        Command::Token(TokenCommand::List(f)) => crate::serve::token_list(&cli.database, output::resolve(f.format)),
        Command::Token(TokenCommand::Revoke { id }) => crate::serve::token_revoke(&cli.database, &id),
        Command::User(UserCommand::Add { name, role, password_stdin }) => {
            crate::serve::user_add(&cli.database, &name, &role, password_stdin)
        }
        Command::User(UserCommand::List(f)) => crate::serve::user_list(&cli.database, output::resolve(f.format)),
    }
}

/// The actor recorded in the audit trail for CLI changes.
pub(crate) fn meta(source: Option<String>) -> ChangeMeta {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
    ChangeMeta { actor: format!("cli:{user}"), source, at: now_rfc3339() }
}

fn unix_now() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    i64::try_from(now).unwrap_or(0)
}

fn now_rfc3339() -> String {
    let secs = unix_now();
    let day = Date::from_unix_seconds(secs);
    let rem = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// Pretty JSON on stdout, buffered: stdout is line-buffered, and pretty JSON has a line per field
/// (a 15 MB assessment list was one `write` call per line).
pub(crate) fn print_json(v: &impl Serialize) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

fn parse_opt_date(flag: &str, v: Option<&str>) -> Result<Option<Date>> {
    v.map(|s| Date::parse(s).map_err(|e| anyhow!("--{flag}: {e}"))).transpose()
}

fn trace_query(product: &str, version: Option<&str>, from: Option<&str>, to: Option<&str>) -> Result<TraceQuery> {
    let q = TraceQuery {
        product_id: ProductId::parse(product).map_err(|e| anyhow!("--product: {e}"))?,
        version: version.map(Version::parse).transpose().map_err(|e| anyhow!("--version: {e}"))?,
        from: parse_opt_date("from", from)?,
        to: parse_opt_date("to", to)?,
    };
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        bail!("--from {f} is after --to {t}: the period is empty; swap the dates");
    }
    Ok(q)
}

fn init(url: &str, a: InitArgs) -> Result<ExitCode> {
    let field = |flag: &str, r: Result<String, msadesk_core::ValueError>| r.map_err(|e| anyhow!("--{flag}: {e}"));
    let id = OwnIdentity {
        name: field("name", msadesk_core::required_text("name", &a.name))?,
        address: field("address", msadesk_core::required_text("address", &a.address))?,
        member_state: MemberState::parse(&a.member_state).map_err(|e| anyhow!("--member-state: {e}"))?,
        contact_person: a
            .contact_person
            .as_deref()
            .map(|c| field("contact-person", msadesk_core::required_text("contact person", c)))
            .transpose()?,
        email: a.email.as_deref().map(Email::parse).transpose().map_err(|e| anyhow!("--email: {e}"))?,
        default_role: OurRole::parse(&a.role).map_err(|e| anyhow!("--role: {e}"))?,
        gln: a.gln.as_deref().map(Gln::parse).transpose().map_err(|e| anyhow!("--gln: {e}"))?,
    };
    let mut store = db::open(url)?;
    store.set_identity(&id, &meta(None))?;
    match output::resolve(a.format) {
        Format::Json => print_json(&id)?,
        _ => println!(
            "We are {} ({}), {}; default role for every product: {} ({}).",
            id.name,
            id.member_state,
            id.address,
            id.default_role,
            id.default_role.duties().cite
        ),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Products,
    Supply,
}

/// What an import printed in JSON.
#[derive(Serialize)]
struct ImportReport<'a> {
    file: String,
    committed: bool,
    #[serde(flatten)]
    stats: &'a ImportStats,
    invalid_rows: u64,
    diagnostics: &'a [Diagnostic],
    rejected_file: Option<String>,
}

fn is_json_file(path: &Path) -> Result<bool> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if ext == "json" || ext == "jsonld" {
        return Ok(true);
    }
    if ext == "csv" {
        return Ok(false);
    }
    // Otherwise sniff: a JSON document starts with '{' after optional white space and BOM.
    let mut head = [0u8; 64];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8_lossy(&head[..n]);
    Ok(text.trim_start_matches('\u{feff}').trim_start().starts_with('{'))
}

/// A reader over a file that shows a progress bar on a terminal for files that take a moment.
fn open_input(path: &Path) -> Result<Box<dyn Read>> {
    let file = File::open(path).with_context(|| format!("cannot open {}: check the path", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let reader = BufReader::with_capacity(1 << 20, file);
    if std::io::stderr().is_terminal() && len > 8 << 20 {
        let bar = indicatif::ProgressBar::new(len).with_style(
            indicatif::ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {wide_bar} {eta} left")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Ok(Box::new(bar.wrap_read(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

fn rejected_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".rejected.csv");
    PathBuf::from(p)
}

fn import<T: CsvRecord>(url: &str, a: ImportArgs, kind: Kind) -> Result<ExitCode>
where
    ImportFn: Importer<T>,
{
    let name = a.file.display().to_string();
    let mut store = db::open(url)?;
    let meta = meta(Some(name.clone()));
    let (stats, diagnostics, invalid, rejected) = if kind == Kind::Supply && is_json_file(&a.file)? {
        let (stats, diags, invalid) = epcis_import(store.as_mut(), &a.file, &name, a.skip_invalid, &meta)?;
        (stats, diags, invalid, None)
    } else {
        let rejected = a.skip_invalid.then(|| rejected_path(&a.file));
        let on_invalid = match &rejected {
            Some(p) => OnInvalid::Skip(Box::new(BufWriter::new(
                File::create(p).with_context(|| format!("cannot create the rejected-rows file {}", p.display()))?,
            ))),
            None => OnInvalid::RejectFile,
        };
        let mut src: CsvSource<'_, _, T> = match CsvSource::new(open_input(&a.file)?, &name, on_invalid) {
            Ok(s) => s,
            Err(d) => {
                eprintln!("{d}");
                eprintln!("nothing was imported");
                return Ok(ExitCode::FAILURE);
            }
        };
        let stats = ImportFn::import(store.as_mut(), &mut src, &meta)?;
        src.finish().context("cannot write the rejected-rows file")?;
        let invalid = src.invalid_rows();
        if invalid == 0
            && let Some(p) = &rejected
        {
            let _ = std::fs::remove_file(p);
        }
        let rejected = rejected.filter(|_| invalid > 0);
        (stats, src.diagnostics().to_vec(), invalid, rejected)
    };
    report_import(&name, a.format, kind, &stats, &diagnostics, invalid, rejected.as_deref())
}

/// Dispatches to the store method for a record kind.
pub trait Importer<T> {
    fn import(
        store: &mut dyn Store,
        src: &mut dyn RowSource<T>,
        meta: &ChangeMeta,
    ) -> msadesk_store::Result<ImportStats>;
}

pub struct ImportFn;

impl Importer<ProductRecord> for ImportFn {
    fn import(
        store: &mut dyn Store,
        src: &mut dyn RowSource<ProductRecord>,
        meta: &ChangeMeta,
    ) -> msadesk_store::Result<ImportStats> {
        store.import_products(src, meta)
    }
}

impl Importer<SupplyEvent> for ImportFn {
    fn import(
        store: &mut dyn Store,
        src: &mut dyn RowSource<SupplyEvent>,
        meta: &ChangeMeta,
    ) -> msadesk_store::Result<ImportStats> {
        store.import_supply(src, meta)
    }
}

fn report_import(
    name: &str,
    format: Option<Format>,
    kind: Kind,
    stats: &ImportStats,
    diagnostics: &[Diagnostic],
    invalid: u64,
    rejected: Option<&Path>,
) -> Result<ExitCode> {
    let ok = stats.committed;
    if output::resolve(format) == Format::Json {
        print_json(&ImportReport {
            file: name.to_string(),
            committed: ok,
            stats,
            invalid_rows: invalid,
            diagnostics,
            rejected_file: rejected.map(|p| p.display().to_string()),
        })?;
    }
    for d in diagnostics {
        eprintln!("{d}");
    }
    if invalid as usize > diagnostics.len() {
        eprintln!("… and more: {invalid} invalid rows in all");
    }
    if !ok {
        if invalid > 0 {
            eprintln!(
                "{name}: {invalid} invalid row(s): nothing was imported. Fix the rows above and import again, or use --skip-invalid to import the valid rows and write the rejected ones to {}",
                rejected_path(Path::new(name)).display()
            );
        } else {
            eprintln!("{name}: the file could not be read to its end: nothing was imported");
        }
        return Ok(ExitCode::FAILURE);
    }
    const SHOWN: usize = 10;
    for (p, v) in stats.stub_versions.iter().take(SHOWN) {
        eprintln!(
            "warning: {p} version {v} is not in the product master data: created as a stub; import it with `msadesk import products`"
        );
    }
    if stats.stub_versions.len() > SHOWN {
        eprintln!(
            "warning: … and {}{} more product versions created as stubs (`msadesk products` marks them)",
            if stats.stub_versions.len() >= msadesk_store::MAX_MESSAGES { "at least " } else { "" },
            stats.stub_versions.len() - SHOWN
        );
    }
    for c in &stats.conflict_details {
        eprintln!("warning: {name}:{}: {}", c.line, c.message);
    }
    let what = if kind == Kind::Products { "product versions" } else { "supply events" };
    let mut line =
        format!("{name}: {} {what} read: {} new, {} already present", stats.rows, stats.new, stats.already_present);
    if kind == Kind::Products {
        line.push_str(&format!(", {} updated", stats.updated));
    }
    if stats.conflicts > 0 {
        line.push_str(&format!(", {} conflicting (kept the recorded ones)", stats.conflicts));
    }
    if invalid > 0 {
        line.push_str(&format!(
            ", {invalid} rejected (see {})",
            rejected.map_or(String::new(), |p| p.display().to_string())
        ));
    }
    eprintln!("{line}");
    Ok(ExitCode::SUCCESS)
}

fn trace(url: &str, a: TraceArgs) -> Result<ExitCode> {
    let q = trace_query(&a.product, a.version.as_deref(), a.from.as_deref(), a.to.as_deref())?;
    let mut store = db::open(url)?;
    let t = store.trace(&q)?;
    let mut out = std::io::stdout().lock();
    match output::resolve(a.format) {
        Format::Json => msadesk_formats::trace_out::write_json(&mut out, &t)?,
        Format::Csv => msadesk_formats::trace_out::write_csv(&mut out, &t)?,
        Format::Table => output::print_trace(&t),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Clone, Copy)]
enum ExportKind {
    Epcis,
    Csv,
}

/// Writes to a temporary file next to the target and renames it into place when complete.
fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.partial", path.file_name().and_then(|n| n.to_str()).unwrap_or("export")));
    let result = (|| {
        let mut w = BufWriter::new(File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?);
        write(&mut w)?;
        w.into_inner().map_err(|e| anyhow!("cannot write {}: {}", tmp.display(), e.error()))?.sync_all()?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot move the export into {}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn export(url: &str, a: ExportArgs, kind: ExportKind) -> Result<ExitCode> {
    let q = trace_query(&a.product, a.version.as_deref(), a.from.as_deref(), a.to.as_deref())?;
    let mut store = db::open(url)?;
    let mut write = |w: &mut dyn Write| -> Result<()> {
        match kind {
            ExportKind::Csv => {
                let mut wtr = msadesk_formats::csv_export::SupplyCsvWriter::new(w)?;
                store.for_each_event(&q, &mut |e| {
                    wtr.write(&e).map_err(|e| msadesk_store::StoreError::Backend(format!("write failed: {e}")))
                })?;
                wtr.finish()?;
                Ok(())
            }
            ExportKind::Epcis => epcis_export(store.as_mut(), &q, w),
        }
    };
    let n_written = match &a.output {
        Some(path) => {
            write_atomically(path, write)?;
            eprintln!("wrote {}", path.display());
            0
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            write(&mut out)?;
            out.flush()?;
            0
        }
    };
    let _ = n_written;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct VersionRetention {
    version: String,
    placed_on_market: Option<Date>,
    end_of_support: Option<Date>,
    documentation: retention::DocumentationRetention,
    supply_events: u64,
    first_event: Option<Date>,
    last_event: Option<Date>,
    /// Retention end of the earliest and latest events: each event is kept 10 years from its own date.
    supply_retention_from: Option<Date>,
    supply_retention_to: Option<Date>,
    supply_basis: msadesk_core::legal::LegalRef,
}

#[derive(Serialize)]
struct RetentionReport {
    product_id: String,
    our_role: OurRole,
    role_basis: msadesk_core::legal::LegalRef,
    versions: Vec<VersionRetention>,
}

fn retention_cmd(url: &str, a: RetentionArgs) -> Result<ExitCode> {
    let product = a.product.as_deref().ok_or_else(|| {
        anyhow!("give --product P to see a product's retention periods, or run the retention job with `msadesk retention run --dry-run`")
    })?;
    let pid = ProductId::parse(product).map_err(|e| anyhow!("--product: {e}"))?;
    let mut store = db::open(url)?;
    let product = store.product(&pid)?.ok_or_else(|| msadesk_store::StoreError::UnknownProduct(pid.clone()))?;
    let default_role = store.identity()?.map_or(OurRole::Manufacturer, |i| i.default_role);
    let role = product.our_role.unwrap_or(default_role);
    let mut versions = Vec::new();
    for v in store.versions(&pid)? {
        let q = TraceQuery { product_id: pid.clone(), version: Some(v.version.clone()), from: None, to: None };
        let (mut n, mut first, mut last) = (0u64, None::<Date>, None::<Date>);
        store.for_each_event(&q, &mut |e| {
            n += 1;
            first = Some(first.map_or(e.date, |f| f.min(e.date)));
            last = Some(last.map_or(e.date, |l| l.max(e.date)));
            Ok(())
        })?;
        versions.push(VersionRetention {
            version: v.version.to_string(),
            placed_on_market: v.placed_on_market,
            end_of_support: v.end_of_support,
            documentation: retention::documentation(role, v.placed_on_market, v.end_of_support),
            supply_events: n,
            first_event: first,
            last_event: last,
            supply_retention_from: first.map(retention::supply_event_end),
            supply_retention_to: last.map(retention::supply_event_end),
            supply_basis: msadesk_core::legal::SUPPLY_RETENTION,
        });
    }
    let report = RetentionReport { product_id: pid.to_string(), our_role: role, role_basis: role.duties(), versions };
    if output::resolve(a.format) == Format::Json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("Retention of {} ({}) — our role: {} ({})", product.name, pid, role, role.duties().cite);
    let mut t = output::table(&[
        "version",
        "documentation kept until",
        "basis",
        "why",
        "supply events",
        "event records kept until",
    ]);
    for v in &report.versions {
        t.add_row(vec![
            v.version.clone(),
            v.documentation.until.map_or("—".into(), |d| d.to_string()),
            v.documentation.basis.cite.to_string(),
            v.documentation.explanation.clone(),
            v.supply_events.to_string(),
            match (v.supply_retention_from, v.supply_retention_to) {
                (Some(f), Some(t)) if f == t => f.to_string(),
                (Some(f), Some(t)) => format!("{f} … {t}"),
                _ => "—".into(),
            },
        ]);
    }
    println!("{t}");
    println!(
        "Each supply event is kept 10 years from its own date ({}); 29 February + 10 years is 28 February.",
        msadesk_core::legal::SUPPLY_RETENTION.cite
    );
    Ok(ExitCode::SUCCESS)
}

fn products(url: &str, format: Option<Format>) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    #[derive(Serialize)]
    struct Row {
        #[serde(flatten)]
        product: msadesk_core::Product,
        versions: Vec<msadesk_core::ProductVersion>,
    }
    let mut rows = Vec::new();
    for p in store.products()? {
        let versions = store.versions(&p.id)?;
        rows.push(Row { product: p, versions });
    }
    if output::resolve(format) == Format::Json {
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = output::table(&["product", "name", "GTIN", "manufacturer", "our role", "versions"]);
    for r in &rows {
        let p = &r.product;
        let vs: Vec<String> = r
            .versions
            .iter()
            .map(|v| if v.stub { format!("{} (stub)", v.version) } else { v.version.to_string() })
            .collect();
        t.add_row(vec![
            if p.stub { format!("{} (stub)", p.id) } else { p.id.to_string() },
            p.name.clone(),
            p.gtin.as_ref().map_or(String::new(), |g| g.as_str().to_string()),
            p.manufacturer_name.clone().unwrap_or_default(),
            p.our_role.map_or("(default)".into(), |r| r.to_string()),
            vs.join(", "),
        ]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

fn operators(url: &str, format: Option<Format>) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    let ops = store.operators()?;
    if output::resolve(format) == Format::Json {
        print_json(&ops)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = output::table(&["operator", "name", "address", "country", "e-mail", "phone"]);
    for p in &ops {
        t.add_row(vec![
            p.id.to_string(),
            p.name.clone(),
            p.address.clone(),
            p.country.to_string(),
            p.email.as_ref().map_or(String::new(), |e| e.as_str().to_string()),
            p.phone.clone().unwrap_or_default(),
        ]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

fn status(url: &str, format: Option<Format>) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    let counts = store.counts()?;
    let identity = store.identity()?;
    #[derive(Serialize)]
    struct Status<'a> {
        engine: &'a str,
        database: String,
        identity: Option<OwnIdentity>,
        #[serde(flatten)]
        counts: msadesk_store::Counts,
    }
    let s = Status { engine: store.engine(), database: db::redacted(url), identity, counts };
    if output::resolve(format) == Format::Json {
        print_json(&s)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("Database: {} ({})", s.database, s.engine);
    match &s.identity {
        Some(i) => println!("We are:   {} ({}), default role {}", i.name, i.member_state, i.default_role),
        None => println!("We are:   not set — run `msadesk init --name … --address … --member-state CC --role ROLE`"),
    }
    let c = &s.counts;
    println!(
        "Holds:    {} products, {} versions, {} operators, {} supply events, {} audit entries",
        c.products, c.versions, c.operators, c.supply_events, c.audit_entries
    );
    Ok(ExitCode::SUCCESS)
}

fn audit_verify(url: &str, format: Option<Format>) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    let entries = store.audit_entries()?;
    // The chain, and the records each entry covers (events, tombstones) as they are now.
    let broken = store.verify_audit()?;
    #[derive(Serialize)]
    struct Verify {
        entries: usize,
        head: Option<String>,
        ok: bool,
        first_break: Option<msadesk_core::audit::ChainBreak>,
    }
    let v = Verify {
        entries: entries.len(),
        head: entries.last().map(|e| e.hash.clone()),
        ok: broken.is_none(),
        first_break: broken,
    };
    if output::resolve(format) == Format::Json {
        print_json(&v)?;
    }
    if let Some(b) = &v.first_break {
        eprintln!(
            "audit trail BROKEN at entry {}: {}. Records were changed outside msadesk: keep this database as evidence and restore from a backup",
            b.seq, b.reason
        );
    } else if output::resolve(format) != Format::Json {
        println!("audit trail intact: {} entries, head {}", v.entries, v.head.as_deref().unwrap_or("(empty)"));
    }
    Ok(if v.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn demo(url: &str, a: DemoArgs) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    if store.counts()?.supply_events > 0 {
        eprintln!("{} already holds supply events: showing them without loading the demo again", db::redacted(url));
    } else {
        load_demo(store.as_mut(), url, a.events, a.seed)?;
    }
    let q = TraceQuery {
        product_id: ProductId::parse("SH-CAM-200")?,
        version: Some(Version::parse("1.2.0")?),
        from: Date::from_ymd(2025, 1, 1),
        to: Date::from_ymd(2025, 12, 31),
    };
    let t = store.trace(&q)?;
    output::print_trace(&t);
    println!();
    println!(
        "Next: msadesk trace --product SH-CAM-200 --format csv · msadesk products · msadesk retention --product SH-CAM-200 · msadesk export epcis --product SH-CAM-200"
    );
    Ok(ExitCode::SUCCESS)
}

/// Loads the demonstration dataset into a store (the caller checks that it holds no events).
pub(crate) fn load_demo(store: &mut dyn Store, url: &str, events: u64, seed: u64) -> Result<()> {
    let data = Dataset::new(events, seed);
    let meta = meta(Some(format!("demo (seed {seed})")));
    store.set_identity(&demo_identity(), &meta)?;
    let mut products = msadesk_store::VecSource::new(data.products.clone());
    let p = store.import_products(&mut products, &meta)?;
    let events: Vec<SupplyEvent> = data.collect();
    let s = store.import_supply(&mut msadesk_store::VecSource::new(events), &meta)?;
    let requests = load_demo_requests(store, &meta)?;
    let c = store.counts()?;
    eprintln!(
        "Loaded the demo into {}: {} product versions, {} supply events, {} operators, {requests} requests from authorities.",
        db::redacted(url),
        p.new,
        s.new,
        c.operators
    );
    Ok(())
}

/// The demo's requests from authorities, each step recorded at its (fixed, past) time.
fn load_demo_requests(store: &mut dyn Store, meta: &ChangeMeta) -> Result<usize> {
    use msadesk_core::inbox::{Ask, DeadlineRule, NewRequest, RequestInput, Step};
    let authorities = store.authorities()?;
    let holidays = store.holidays()?;
    let mut n = 0;
    for d in crate::generate::DEMO_REQUESTS {
        let Some(authority) = authorities.iter().find(|a| a.id == d.authority) else { continue };
        let new = NewRequest::build(
            RequestInput {
                authority,
                reference: d.reference,
                received: d.received,
                deadline: DeadlineRule::WorkingDays(d.working_days),
                product: ProductId::parse(d.product)?,
                version: None,
                from: None,
                to: None,
                asks: vec![Ask::Trace, Ask::Documents],
                ack_hours: 24,
            },
            &holidays,
        )
        .map_err(|e| anyhow!("demo request {}: {e}", d.reference))?;
        let received_at = new.received_at.parse::<jiff::ZonedDateTime>().map(|z| z.timestamp().to_string());
        let at = |t: &str| ChangeMeta { at: t.to_string(), ..meta.clone() };
        let r = store.add_request(&new, &at(&received_at.unwrap_or_else(|_| meta.at.clone())))?;
        for (step, when) in d.steps {
            let step = match *step {
                "acknowledged" => Step::Acknowledged,
                "package_built" => Step::PackageBuilt,
                "sent" => Step::Sent,
                _ => Step::Closed,
            };
            store.request_step(r.id, &step, None, &at(when))?;
        }
        n += 1;
    }
    Ok(n)
}

fn bench_generate(events: u64, seed: u64, components: u64, out: &Path) -> Result<ExitCode> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let data = Dataset::new(events, seed);
    let per_sbom = components.div_ceil(data.products.len().max(1) as u64).max(1);
    let (sboms, osv) = crate::generate::sboms(&data.products, per_sbom, seed);
    let dir = out.join("sboms");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut index = String::from("product_id,version,file\n");
    for (product, version, file, json) in &sboms {
        std::fs::write(dir.join(file), json).with_context(|| format!("cannot write {file}"))?;
        index.push_str(&format!("{product},{version},{file}\n"));
    }
    std::fs::write(dir.join("index.csv"), index).context("cannot write sboms/index.csv")?;
    std::fs::write(out.join("vulns.osv.json"), osv).context("cannot write vulns.osv.json")?;
    let products_path = out.join("products.csv");
    write_atomically(&products_path, |w| {
        let mut pw = msadesk_formats::csv_export::ProductCsvWriter::new(w)?;
        for p in &data.products {
            pw.write(p)?;
        }
        pw.finish()?;
        Ok(())
    })?;
    let supply_path = out.join("supply.csv");
    write_atomically(&supply_path, |w| {
        let mut sw = msadesk_formats::csv_export::SupplyCsvWriter::new(w)?;
        for e in data {
            sw.write(&e)?;
        }
        sw.finish()?;
        Ok(())
    })?;
    eprintln!("wrote {} and {} ({events} events, seed {seed})", products_path.display(), supply_path.display());
    Ok(ExitCode::SUCCESS)
}

fn bench_trace(url: &str, product: &str, version: Option<&str>, iterations: u32) -> Result<ExitCode> {
    let q = trace_query(product, version, None, None)?;
    let mut store = db::open(url)?;
    let first = store.trace(&q)?; // warm the cache, and report the answer's size
    let mut times = Vec::with_capacity(iterations as usize);
    for _ in 0..iterations.max(1) {
        let start = std::time::Instant::now();
        let t = store.trace(&q)?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(t);
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    print_json(&serde_json::json!({
        "product": product,
        "counterparties": first.upstream.len() + first.downstream.len(),
        "deliveries": first.upstream.iter().chain(&first.downstream).map(|e| e.deliveries).sum::<u64>(),
        "iterations": times.len(),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
    }))?;
    Ok(ExitCode::SUCCESS)
}

/// EPCIS import: the document's events go to the store with the same atomic / skip-invalid policy as
/// CSV. Events that are not supply events are reported as warnings and do not block the import.
pub fn epcis_import(
    store: &mut dyn Store,
    path: &Path,
    name: &str,
    skip_invalid: bool,
    meta: &ChangeMeta,
) -> Result<(ImportStats, Vec<Diagnostic>, u64)> {
    use msadesk_formats::epcis::{ImportContext, own_party_uri, read_document};
    let gtins: Vec<_> = store.products()?.into_iter().filter_map(|p| p.gtin.map(|g| (g, p.id))).collect();
    let own: Vec<String> = store.identity()?.iter().map(own_party_uri).collect();
    let ctx = ImportContext::new(gtins, own);
    let items = match read_document(open_input(path)?, name, &ctx) {
        Ok(items) => items,
        Err(d) => return Ok((ImportStats::default(), vec![d], 1)),
    };
    let mut src = msadesk_formats::epcis::EpcisSource::new(items, skip_invalid);
    let stats = store.import_supply(&mut src, meta)?;
    let invalid = src.invalid();
    Ok((stats, src.into_diagnostics(), invalid))
}

/// EPCIS export of the events a query covers.
pub fn epcis_export(store: &mut dyn Store, q: &TraceQuery, w: &mut dyn Write) -> Result<()> {
    use msadesk_formats::epcis::{ExportContext, write_document};
    let own = store
        .identity()?
        .ok_or_else(|| anyhow!("an EPCIS document names us as a party, and we are not set up: run `msadesk init --name … --address … --member-state CC --role ROLE` first"))?;
    let gtins = store.products()?.into_iter().filter_map(|p| p.gtin.map(|g| (p.id, g))).collect();
    let mut events = Vec::new();
    store.for_each_event(q, &mut |e| {
        events.push(e);
        Ok(())
    })?;
    let ctx = ExportContext { own, creation_date: now_rfc3339(), gtins };
    write_document(w, events, &ctx).context("cannot write the EPCIS document")
}
