//! The `msadesk` binary end to end: real processes on real database files, as a user runs them.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
    db: String,
}

impl Env {
    fn sqlite() -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = format!("sqlite:{}", dir.path().join("t.db").display());
        Env { dir, db }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).expect("write fixture");
        p
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_msadesk"))
            .args(args)
            .env("MSADESK_DATABASE", &self.db)
            .env("USER", "tester")
            .current_dir(self.dir.path())
            .output()
            .expect("run msadesk")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "msadesk {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&a)).expect("JSON output")
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const PRODUCTS: &str = "product_id,product_name,version,manufacturer_id,manufacturer_name,manufacturer_address,manufacturer_country,manufacturer_email,placed_on_market,end_of_support,gtin,our_role
CAM-1,Camera,1.0,MAN-1,Maker Ltd,1 Factory Road,CN,sales@maker.example,2024-02-29,2027-06-30,4006381333931,
CAM-1,Camera,2.0,MAN-1,Maker Ltd,1 Factory Road,CN,sales@maker.example,2026-05-01,2040-12-31,,
PLUG,Smart plug,1.0,MAN-1,Maker Ltd,1 Factory Road,CN,sales@maker.example,2025-01-01,,,distributor
";

const SUPPLY: &str = "direction,date,product_id,version,quantity,counterparty_id,counterparty_name,counterparty_address,counterparty_country,counterparty_email,counterparty_role,reference
received,2026-01-05,CAM-1,1.0,500,MAN-1,Maker Ltd,1 Factory Road,CN,sales@maker.example,manufacturer,DN-1
supplied,2026-01-10,CAM-1,1.0,20,D-1,\"Łódź \"\"Elektro\"\" Sp. z o.o.\",\"ul. Długa 1, 90-001 Łódź\",PL,biuro@elektro.example,distributor,INV-1
supplied,2026-01-31,CAM-1,1.0,30,D-1,\"Łódź \"\"Elektro\"\" Sp. z o.o.\",\"ul. Długa 1, 90-001 Łódź\",PL,biuro@elektro.example,distributor,INV-2
supplied,2026-02-01,CAM-1,1.0,40,D-2,Müller Handel GmbH,Hauptstraße 5,DE,,distributor,INV-3
supplied,2026-02-15,CAM-1,2.0,7,D-2,Müller Handel GmbH,Hauptstraße 5,DE,,distributor,INV-4
";

#[test]
fn import_trace_and_reimport() {
    let env = Env::sqlite();
    let p = env.write("products.csv", PRODUCTS);
    let s = env.write("supply.csv", SUPPLY);
    let r = env.json(&["import", "products", p.to_str().unwrap()]);
    assert_eq!((r["new"].as_u64(), r["committed"].as_bool()), (Some(3), Some(true)));
    let r = env.json(&["import", "supply", s.to_str().unwrap()]);
    assert_eq!(r["new"], 5);

    // Importing the same file again adds nothing and says so.
    let out = env.run(&["import", "supply", s.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("5 supply events read: 0 new, 5 already present"), "{}", stderr(&out));

    let t = env.json(&["trace", "--product", "CAM-1", "--from", "2026-01-10", "--to", "2026-01-31"]);
    assert_eq!(t["product_id"], "CAM-1");
    assert_eq!(t["version"], Value::Null);
    assert_eq!(t["from"], "2026-01-10");
    assert_eq!(t["upstream"].as_array().map(Vec::len), Some(0));
    let down = t["downstream"].as_array().expect("downstream");
    assert_eq!(down.len(), 1);
    assert_eq!(down[0]["name"], "Łódź \"Elektro\" Sp. z o.o.");
    assert_eq!(down[0]["quantity"], 50);
    assert_eq!(down[0]["deliveries"], 2);
    assert_eq!(down[0]["first_date"], "2026-01-10");
    assert_eq!(down[0]["last_date"], "2026-01-31");
    assert_eq!(down[0]["country"], "PL");
    for key in ["operator_id", "address", "email", "role"] {
        assert!(down[0].get(key).is_some(), "missing {key}");
    }

    let t = env.json(&["trace", "--product", "CAM-1", "--version", "2.0"]);
    assert_eq!(t["downstream"][0]["quantity"], 7);

    let csv = env.ok(&["trace", "--product", "CAM-1", "--format", "csv"]);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("direction,operator_id,name,address"));
    assert_eq!(csv.lines().count(), 1 + 1 + 2);
    assert!(csv.contains("upstream,MAN-1,Maker Ltd"));

    // A product without events answers empty; an unknown one is an error that says so.
    let t = env.json(&["trace", "--product", "PLUG"]);
    assert_eq!(t["downstream"].as_array().map(Vec::len), Some(0));
    let out = env.run(&["trace", "--product", "NOPE"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("product 'NOPE' is not in the registry"), "{}", stderr(&out));
}

#[test]
fn one_invalid_row_rejects_the_whole_file_and_writes_nothing() {
    let env = Env::sqlite();
    let bad = format!("{SUPPLY}supplied,2026-13-01,CAM-1,1.0,-5,D-9,,Addr,XX,,seller,INV-9\n");
    let f = env.write("bad.csv", &bad);
    let out = env.run(&["import", "supply", f.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad.csv:7: column 'date': '2026-13-01' is not a date"), "{err}");
    assert!(err.contains("bad.csv:7: column 'quantity'"), "{err}");
    assert!(err.contains("bad.csv:7: column 'counterparty_name'"), "{err}");
    assert!(err.contains("bad.csv:7: column 'counterparty_country'"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let st = env.json(&["status"]);
    assert_eq!(st["supply_events"], 0);
    assert_eq!(st["products"], 0);

    // --skip-invalid imports the valid rows and writes the rejected one next to the input.
    let out = env.run(&["import", "supply", "--skip-invalid", f.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.json(&["status"])["supply_events"], 5);
    let rejected = std::fs::read_to_string(env.path("bad.csv.rejected.csv")).expect("rejected file");
    assert_eq!(rejected.lines().count(), 2);
    assert!(rejected.lines().nth(1).unwrap().starts_with("7,\"date:"), "{rejected}");
    // Stub products were created and reported for the supply rows without master data.
    assert!(stderr(&out).contains("warning: CAM-1 version 1.0 is not in the product master data"), "{}", stderr(&out));
}

#[test]
fn retention_shows_both_periods_with_their_basis() {
    let env = Env::sqlite();
    env.ok(&[
        "init",
        "--name",
        "ACME Import GmbH",
        "--address",
        "Hafenstraße 1, 20457 Hamburg",
        "--member-state",
        "DE",
        "--role",
        "importer",
    ]);
    env.ok(&["import", "products", env.write("p.csv", PRODUCTS).to_str().unwrap()]);
    env.ok(&["import", "supply", env.write("s.csv", SUPPLY).to_str().unwrap()]);
    let r = env.json(&["retention", "--product", "CAM-1"]);
    assert_eq!(r["our_role"], "importer");
    let v1 = &r["versions"][0];
    assert_eq!(v1["version"], "1.0");
    // Placed 2024-02-29 + 10 years = 2034-02-28, later than the end of support in 2027.
    assert_eq!(v1["documentation"]["until"], "2034-02-28");
    assert_eq!(v1["documentation"]["basis"]["cite"], "CRA Art 19(6)");
    assert_eq!(v1["supply_retention_from"], "2036-01-05");
    assert_eq!(v1["supply_retention_to"], "2036-02-01");
    assert_eq!(v1["supply_basis"]["cite"], "CRA Art 23(2)");
    // End of support later than placing + 10 years wins.
    assert_eq!(r["versions"][1]["documentation"]["until"], "2040-12-31");
    // We distribute PLUG: no documentation retention duty.
    let r = env.json(&["retention", "--product", "PLUG"]);
    assert_eq!(r["our_role"], "distributor");
    assert_eq!(r["versions"][0]["documentation"]["until"], Value::Null);
}

#[test]
fn init_validates_and_every_change_is_audited() {
    let env = Env::sqlite();
    let out = env.run(&["init", "--name", "X", "--address", "Y", "--member-state", "CH", "--role", "importer"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--member-state: 'CH' is not an EU/EEA Member State"), "{}", stderr(&out));
    let out = env.run(&["init", "--name", "X", "--address", "Y", "--member-state", "AT", "--role", "retailer"]);
    assert!(stderr(&out).contains("--role: 'retailer' is not a role"), "{}", stderr(&out));
    env.ok(&["init", "--name", "X", "--address", "Y", "--member-state", "AT", "--role", "distributor"]);
    env.ok(&["import", "supply", env.write("s.csv", SUPPLY).to_str().unwrap()]);
    let v = env.json(&["audit", "verify"]);
    assert_eq!((v["ok"].as_bool(), v["entries"].as_u64()), (Some(true), Some(2)));

    // Tampering behind msadesk's back is caught.
    let conn = rusqlite_free_edit(&env.path("t.db"));
    assert!(conn, "edited the database");
    let out = env.run(&["audit", "verify"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("BROKEN at entry 2"), "{}", stderr(&out));
}

/// Edits an audit entry with the sqlite3 command-line shell, as an intruder would.
fn rusqlite_free_edit(db: &Path) -> bool {
    Command::new("sqlite3")
        .arg(db)
        .arg("UPDATE audit_log SET detail = replace(detail, '\"new\":5', '\"new\":4') WHERE seq = 2;")
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn demo_loads_a_realistic_dataset_and_shows_a_trace() {
    let env = Env::sqlite();
    let out = env.ok(&["demo", "--events", "3000"]);
    assert!(out.contains("Trace of SH-CAM-200"), "{out}");
    assert!(out.contains("Downstream: operators we supplied"), "{out}");
    let st = env.json(&["status"]);
    assert_eq!(st["supply_events"], 3000);
    assert!(st["operators"].as_u64().unwrap() >= 200, "{st}");
    // Running it again does not load twice.
    env.ok(&["demo", "--events", "3000"]);
    assert_eq!(env.json(&["status"])["supply_events"], 3000);
    let products = env.json(&["products"]);
    assert!(products.as_array().unwrap().len() >= 8);
    let ops = env.json(&["operators"]);
    assert!(
        ops.as_array()
            .unwrap()
            .iter()
            .map(|o| o["country"].as_str().unwrap())
            .collect::<std::collections::HashSet<_>>()
            .len()
            >= 10
    );
}

#[test]
fn supply_csv_export_reimports_to_the_same_registry() {
    let env = Env::sqlite();
    env.ok(&["demo", "--events", "2000"]);
    let out = env.path("export.csv");
    env.ok(&["export", "supply", "--product", "SH-CAM-200", "--output", out.to_str().unwrap()]);
    let before = env.json(&["trace", "--product", "SH-CAM-200"]);

    let other = Env::sqlite();
    other.ok(&["import", "supply", out.to_str().unwrap()]);
    let after = other.json(&["trace", "--product", "SH-CAM-200"]);
    assert_eq!(before, after);
}

#[test]
fn help_has_examples_and_bad_database_urls_are_explained() {
    let env = Env::sqlite();
    for cmd in [
        &["import", "supply", "--help"][..],
        &["trace", "--help"],
        &["init", "--help"],
        &["export", "epcis", "--help"],
        &["retention", "--help"],
    ] {
        let out = env.ok(cmd);
        assert!(out.contains("Example"), "{cmd:?} --help has no example:\n{out}");
    }
    let out =
        Command::new(env!("CARGO_BIN_EXE_msadesk")).args(["--database", "mysql://x", "status"]).output().expect("run");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("use sqlite:PATH"), "{}", stderr(&out));
}

/// A PostgreSQL database in a schema of its own, dropped at the end.
struct PgSchema {
    name: String,
}

fn pg_base() -> Option<String> {
    if std::env::var("MSADESK_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
        return None;
    }
    Some(std::env::var("MSADESK_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()))
}

fn psql(base: &str, sql: &str) {
    let out = Command::new("psql").args([base, "-v", "ON_ERROR_STOP=1", "-qc", sql]).output().expect("psql");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

impl PgSchema {
    fn new(base: &str) -> PgSchema {
        let name = format!(
            "cli_{}_{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        );
        psql(base, &format!("CREATE SCHEMA {name}"));
        PgSchema { name }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Some(base) = pg_base() {
            psql(&base, &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

#[test]
fn both_engines_answer_identically() {
    let Some(base) = pg_base() else { return };
    let schema = PgSchema::new(&base);
    let sep = if base.contains('?') { '&' } else { '?' };
    let pg = Env {
        dir: tempfile::tempdir().expect("tempdir"),
        db: format!("{base}{sep}options=-csearch_path%3D{}", schema.name),
    };
    let lite = Env::sqlite();
    for env in [&lite, &pg] {
        env.ok(&["demo", "--events", "4000"]);
        env.ok(&["import", "supply", env.write("s.csv", SUPPLY).to_str().unwrap()]);
        env.ok(&["import", "products", env.write("p.csv", PRODUCTS).to_str().unwrap()]);
    }
    for args in [
        &["trace", "--product", "SH-CAM-200"][..],
        &["trace", "--product", "SH-CAM-200", "--version", "1.2.0", "--from", "2020-02-29", "--to", "2024-02-29"],
        &["trace", "--product", "CAM-1"],
        &["trace", "--product", "RT-AX6000", "--from", "2026-01-01"],
        &["products"],
        &["operators"],
        &["retention", "--product", "CAM-1"],
    ] {
        assert_eq!(lite.json(args), pg.json(args), "engines differ on {args:?}");
    }
    let s = lite.json(&["status"]);
    let p = pg.json(&["status"]);
    for key in ["products", "versions", "operators", "supply_events", "audit_entries"] {
        assert_eq!(s[key], p[key], "status {key}");
    }
    let a = lite.ok(&["export", "supply", "--product", "SH-CAM-200"]);
    let b = pg.ok(&["export", "supply", "--product", "SH-CAM-200"]);
    assert!(a == b, "supply exports differ between engines");
    assert_eq!(pg.json(&["audit", "verify"])["ok"], true);
}

#[test]
fn epcis_export_reimports_to_the_same_registry() {
    let init = [
        "init",
        "--name",
        "ACME Import GmbH",
        "--address",
        "Hafenstraße 1, 20457 Hamburg",
        "--member-state",
        "DE",
        "--role",
        "importer",
    ];
    let a = Env::sqlite();
    a.ok(&init);
    a.ok(&["import", "products", a.write("p.csv", PRODUCTS).to_str().unwrap()]);
    a.ok(&["import", "supply", a.write("s.csv", SUPPLY).to_str().unwrap()]);
    let doc = a.path("cam-1.jsonld");
    a.ok(&["export", "epcis", "--product", "CAM-1", "--output", doc.to_str().unwrap()]);
    let parsed: Value = serde_json::from_str(&std::fs::read_to_string(&doc).unwrap()).expect("EPCIS is JSON");
    assert_eq!(parsed["type"], "EPCISDocument");
    assert_eq!(parsed["epcisBody"]["eventList"].as_array().map(Vec::len), Some(5));

    let b = Env::sqlite();
    b.ok(&init);
    b.ok(&["import", "products", b.write("p.csv", PRODUCTS).to_str().unwrap()]);
    let r = b.json(&["import", "supply", doc.to_str().unwrap()]);
    assert_eq!(r["new"], 5, "{r}");
    for args in [&["trace", "--product", "CAM-1"][..], &["trace", "--product", "CAM-1", "--version", "2.0"]] {
        assert_eq!(a.json(args), b.json(args), "{args:?}");
    }
    // Importing it again adds nothing.
    let r = b.json(&["import", "supply", doc.to_str().unwrap()]);
    assert_eq!((r["new"].as_u64(), r["already_present"].as_u64()), (Some(0), Some(5)));

    // EPCIS export needs to know who we are.
    let c = Env::sqlite();
    c.ok(&["import", "supply", c.write("s.csv", SUPPLY).to_str().unwrap()]);
    let out = c.run(&["export", "epcis", "--product", "CAM-1"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("run `msadesk init"), "{}", stderr(&out));
}

#[test]
fn tokens_and_users_from_the_command_line() {
    let env = Env::sqlite();
    for cmd in [
        &["serve", "--help"][..],
        &["token", "create", "--help"],
        &["token", "list", "--help"],
        &["token", "revoke", "--help"],
        &["user", "add", "--help"],
        &["user", "list", "--help"],
    ] {
        let out = env.ok(cmd);
        assert!(out.contains("Example"), "{cmd:?} --help has no example:\n{out}");
    }
    // The token alone on stdout, so that `$(msadesk token create …)` works.
    let token = env.ok(&["token", "create", "--role", "viewer", "--name", "erp", "--expires", "2030-01-31"]);
    let token = token.trim_end();
    assert!(token.starts_with("msd_") && !token.contains(char::is_whitespace), "{token:?}");
    let list = env.json(&["token", "list"]);
    assert_eq!(list[0]["name"], "erp");
    assert_eq!(list[0]["expires_at"], "2030-02-01T00:00:00Z");
    assert!(!list.to_string().contains(token), "the list never shows a secret");
    let id = list[0]["id"].as_str().unwrap().to_string();
    env.ok(&["token", "revoke", &id]);
    assert_eq!(env.json(&["token", "list"])[0]["revoked"], true);
    let out = env.run(&["token", "revoke", "tok_nope"]);
    assert!(!out.status.success() && stderr(&out).contains("token list"), "{}", stderr(&out));
    let out = env.run(&["token", "create", "--role", "emperor"]);
    assert!(!out.status.success() && stderr(&out).contains("admin, officer, viewer or inspector"));

    let password = env.ok(&["user", "add", "jana", "--role", "officer"]);
    assert!(password.trim().len() >= 20, "a generated password is printed: {password:?}");
    assert_eq!(env.json(&["user", "list"])[0]["role"], "officer");
    let out = env.run(&["user", "add", "jana", "--role", "viewer"]);
    assert!(!out.status.success() && stderr(&out).contains("exists already"), "{}", stderr(&out));
    // Token creation, revocation and the new user are in an intact audit trail.
    assert_eq!(env.json(&["audit", "verify"])["ok"], true);
}

/// `msadesk serve` as a process: an administrator is created on a fresh database, the server
/// answers on the port it printed, and SIGTERM stops it cleanly.
#[test]
fn serve_starts_answers_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let env = Env::sqlite();
    let mut child = Command::new(env!("CARGO_BIN_EXE_msadesk"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("MSADESK_DATABASE", &env.db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut addr = None;
    let mut admin = false;
    for line in lines.by_ref() {
        let line = line.unwrap();
        admin |= line.contains("Log in as user 'admin' with password: ");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = rest.split_whitespace().next().map(str::to_string);
            break;
        }
    }
    assert!(admin, "a fresh database gets an administrator");
    let addr = addr.expect("the server prints its address");
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM is a clean stop: {status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("msadesk stopped")), "{rest:?}");
    // Exactly one account: the administrator.
    let users = env.json(&["user", "list"]);
    assert_eq!(users.as_array().map(Vec::len), Some(1));
}

/// Runs a statement with the sqlite3 shell, as someone editing the database behind msadesk's back.
fn sqlite3(db: &Path, sql: &str) {
    let out = Command::new("sqlite3").arg(db).arg(sql).output().expect("sqlite3 shell");
    assert!(out.status.success(), "sqlite3 {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn retention_backup_restore_and_anchor_keep_a_verifiable_registry() {
    let env = Env::sqlite();
    env.ok(&["demo", "--events", "2000"]);
    let hold = env.json(&["hold", "add", "--product", "SH-CAM-200", "--reason", "MSA case DE-17"]);
    assert_eq!(hold[0]["scope"], "product");
    // A dry run lists what would go, with reasons, and changes nothing.
    let dry = env.json(&["retention", "run", "--as-of", "2037-01-01", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    for key in ["supply_events", "documents", "operators"] {
        assert!(dry["deleted"][key].is_u64() && dry["held"][key].is_u64(), "{key}: {dry}");
    }
    let would = dry["deleted"]["supply_events"].as_u64().unwrap();
    assert!(would > 0 && dry["held"]["supply_events"].as_u64().unwrap() > 0);
    assert!(dry["items"].as_array().unwrap().iter().all(|i| i["reason"].as_str().is_some_and(|r| !r.is_empty())));
    let before = env.json(&["status"]);
    let run = env.json(&["retention", "run", "--as-of", "2037-01-01"]);
    assert_eq!(run["deleted"], dry["deleted"]);
    let after = env.json(&["status"]);
    assert_eq!(after["supply_events"].as_u64().unwrap(), before["supply_events"].as_u64().unwrap() - would, "{after}");
    assert_eq!(env.json(&["audit", "verify"])["ok"], true);
    let log = env.json(&["audit", "log", "--entity", "retention"]);
    assert_eq!(log.as_array().unwrap().len(), 1);

    // Anchor, back up, restore elsewhere: the same registry, and the anchor holds there.
    env.ok(&["audit", "anchor", "-o", "anchor.json"]);
    assert!(env.path("t.db.signing-key").exists());
    assert!(
        !std::fs::read_to_string(env.path("anchor.json"))
            .unwrap()
            .contains(std::fs::read_to_string(env.path("t.db.signing-key")).unwrap().trim())
    );
    env.ok(&["backup", "backup.db"]);
    let out = env.run(&["backup", "backup.db"]);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    let restored = Env { dir: tempfile::tempdir().unwrap(), db: String::new() };
    let restored = Env { db: format!("sqlite:{}", restored.dir.path().join("r.db").display()), ..restored };
    let backup = env.path("backup.db");
    restored.ok(&["restore", backup.to_str().unwrap()]);
    for args in [&["operators"][..], &["products"], &["hold", "list"]] {
        assert_eq!(restored.json(args), env.json(args), "{args:?}");
    }
    // The source records the backup in its audit trail after the copy was made and verified.
    let mut log = env.json(&["audit", "log"]);
    let recorded = log.as_array_mut().unwrap().pop().unwrap();
    assert_eq!((recorded["entity"].as_str(), recorded["action"].as_str()), (Some("backup"), Some("create")));
    assert!(recorded["detail"].as_str().unwrap().contains("backup.db"), "{recorded}");
    assert_eq!(restored.json(&["audit", "log"]), log);
    let export = |e: &Env| e.ok(&["export", "supply", "--product", "SH-CAM-200"]);
    assert_eq!(export(&restored), export(&env));
    assert_eq!(restored.json(&["audit", "verify"])["ok"], true);
    let key = env.path("t.db.signing-key");
    let anchor = env.path("anchor.json");
    let v = restored.json(&["audit", "verify-anchor", anchor.to_str().unwrap(), "--key", key.to_str().unwrap()]);
    assert_eq!(v["ok"], true, "{v}");

    // Restoring over a registry that holds records needs --force.
    let out = env.run(&["restore", backup.to_str().unwrap()]);
    assert!(!out.status.success() && stderr(&out).contains("--force"), "{}", stderr(&out));
    env.ok(&["restore", "--force", backup.to_str().unwrap()]);

    // A backup tampered with is refused; so is an anchor once the anchored entry is gone.
    sqlite3(&backup, "DELETE FROM supply_events WHERE rowid = (SELECT max(rowid) FROM supply_events);");
    let fresh = Env::sqlite();
    let out = fresh.run(&["restore", backup.to_str().unwrap()]);
    assert!(stderr(&out).contains("broken at entry 3"), "{}", stderr(&out));
    sqlite3(&env.path("t.db"), "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log);");
    let out = env.run(&["audit", "verify-anchor", anchor.to_str().unwrap()]);
    assert!(!out.status.success() && stderr(&out).contains("anchor NOT valid"), "{}", stderr(&out));
}

#[test]
fn audit_verify_names_the_entry_whose_records_were_edited_deleted_or_inserted() {
    let cases = [
        ("UPDATE supply_events SET quantity = quantity + 1 WHERE rowid = 1;", 2),
        ("DELETE FROM supply_events WHERE rowid = 2;", 2),
        (
            "INSERT INTO supply_events (identity, direction, event_date, product_version, quantity, counterparty, role, reference, retention_until, audit_seq)
             SELECT randomblob(16), direction, event_date, product_version, 99, counterparty, role, 'X', retention_until, audit_seq FROM supply_events LIMIT 1;",
            2,
        ),
        ("UPDATE operator_snapshots SET name = 'Someone else';", 2),
    ];
    for (sql, entry) in cases {
        let env = Env::sqlite();
        env.ok(&["init", "--name", "X", "--address", "Y", "--member-state", "AT", "--role", "distributor"]);
        env.ok(&["import", "supply", env.write("s.csv", SUPPLY).to_str().unwrap()]);
        assert_eq!(env.json(&["audit", "verify"])["ok"], true);
        sqlite3(&env.path("t.db"), sql);
        let out = env.run(&["audit", "verify"]);
        assert!(!out.status.success(), "{sql}");
        assert!(stderr(&out).contains(&format!("BROKEN at entry {entry}")), "{sql}: {}", stderr(&out));
    }
}

fn wal_len(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_os_string();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).map(|m| m.len()).unwrap_or(0)
}

/// Starts `msadesk ARGS`, waits until the database's WAL holds more than `bytes` (the process is
/// writing its transaction), then SIGKILLs it. Returns whether it was killed while still running.
fn kill_while_writing(env: &Env, args: &[&str], bytes: u64) -> bool {
    kill_when(env, args, || wal_len(&env.path("t.db")) > bytes)
}

/// Starts `msadesk ARGS`, polls `writing` until it says the process is inside its transaction, then
/// SIGKILLs it. Returns whether it was killed while still running.
fn kill_when(env: &Env, args: &[&str], writing: impl Fn() -> bool) -> bool {
    let mut child = Command::new(env!("CARGO_BIN_EXE_msadesk"))
        .args(args)
        .env("MSADESK_DATABASE", &env.db)
        .current_dir(env.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start msadesk");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if writing() || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no rollback by the process itself.
    child.wait().unwrap();
    true
}

/// Whether another connection holds the database's write lock (the sqlite3 shell waits 0 ms).
fn sqlite_write_locked(db: &Path) -> bool {
    let out = Command::new("sqlite3").arg(db).arg("BEGIN IMMEDIATE; ROLLBACK;").output().expect("sqlite3 shell");
    !out.status.success()
}

fn events(env: &Env) -> u64 {
    env.json(&["status"])["supply_events"].as_u64().unwrap()
}

#[test]
fn a_killed_import_or_retention_run_commits_nothing_and_a_rerun_completes() {
    let n: u64 = std::env::var("MSADESK_CRASH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(150_000);
    let env = Env::sqlite();
    env.ok(&["bench", "generate", "--events", &n.to_string(), "work"]);
    env.ok(&["import", "products", "work/products.csv"]);
    let entries = env.json(&["audit", "verify"])["entries"].as_u64().unwrap();

    assert!(
        kill_while_writing(&env, &["import", "supply", "work/supply.csv"], 2 << 20),
        "the import ended before it could be killed"
    );
    assert_eq!(events(&env), 0, "nothing of the killed import is committed");
    let v = env.json(&["audit", "verify"]);
    assert_eq!((v["ok"].as_bool(), v["entries"].as_u64()), (Some(true), Some(entries)));

    let first = env.json(&["import", "supply", "work/supply.csv"]);
    let new = first["stats"]["new"].as_u64().or_else(|| first["new"].as_u64()).unwrap_or(0);
    assert_eq!(events(&env), new);
    assert!(new > 0 && new <= n);
    let again = env.json(&["import", "supply", "work/supply.csv"]);
    assert_eq!(events(&env), new, "no duplicates: {again}");
    assert_eq!(env.json(&["audit", "verify"])["ok"], true);

    // The same for the retention job: killed mid-run, it leaves everything as it was.
    let entries = env.json(&["audit", "verify"])["entries"].as_u64().unwrap();
    // A retention run's changes may stay in the page cache until its commit, so the WAL is no
    // signal here: the run is inside its transaction while it holds the write lock. Seen held in
    // several polls in a row, it is not the brief lock of opening the database.
    let held = std::cell::Cell::new(0);
    let writing = || {
        held.set(if sqlite_write_locked(&env.path("t.db")) { held.get() + 1 } else { 0 });
        held.get() >= 3
    };
    assert!(
        kill_when(&env, &["retention", "run", "--as-of", "2099-01-01"], writing),
        "the retention run ended before it could be killed"
    );
    assert_eq!(events(&env), new);
    let v = env.json(&["audit", "verify"]);
    assert_eq!((v["ok"].as_bool(), v["entries"].as_u64()), (Some(true), Some(entries)));
    let run = env.json(&["retention", "run", "--as-of", "2099-01-01"]);
    assert_eq!(run["deleted"]["supply_events"].as_u64(), Some(new));
    assert_eq!(events(&env), 0);
    assert_eq!(env.json(&["audit", "verify"])["ok"], true);
}

#[test]
fn two_imports_at_once_both_succeed_or_one_is_told_the_database_is_busy() {
    let env = Env::sqlite();
    env.ok(&["bench", "generate", "--events", "30000", "--seed", "1", "a"]);
    env.ok(&["bench", "generate", "--events", "30000", "--seed", "2", "b"]);
    let spawn = |file: &str| {
        Command::new(env!("CARGO_BIN_EXE_msadesk"))
            .args(["import", "supply", file, "--format", "json"])
            .env("MSADESK_DATABASE", &env.db)
            .current_dir(env.dir.path())
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| spawn("a/supply.csv").unwrap());
        let b = s.spawn(|| spawn("b/supply.csv").unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    for out in [&a, &b] {
        assert!(out.status.success() || stderr(out).contains("busy"), "{}", stderr(out));
    }
    let v = env.json(&["audit", "verify"]);
    assert_eq!(v["ok"], true);
    let ok = [&a, &b].iter().filter(|o| o.status.success()).count() as u64;
    assert_eq!(v["entries"].as_u64(), Some(ok));
}

/// Whether a PostgreSQL backend other than this query's is inside a transaction that has written
/// something (it has a transaction id), its latest statement mentioning `text`.
fn pg_running(base: &str, text: &str) -> bool {
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE state IN ('active', 'idle in transaction')
         AND backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND query ILIKE '%{text}%'"
    );
    let out = Command::new("psql").args([base, "-tAc", &sql]).output().expect("psql");
    String::from_utf8_lossy(&out.stdout).trim().parse::<u64>().unwrap_or(0) > 0
}

#[test]
fn postgres_a_killed_import_or_retention_run_commits_nothing() {
    let Some(base) = pg_base() else { return };
    let schema = PgSchema::new(&base);
    let sep = if base.contains('?') { '&' } else { '?' };
    let env = Env {
        dir: tempfile::tempdir().expect("tempdir"),
        db: format!("{base}{sep}options=-csearch_path%3D{}", schema.name),
    };
    env.ok(&["bench", "generate", "--events", "100000", "work"]);
    env.ok(&["import", "products", "work/products.csv"]);
    let entries = env.json(&["audit", "verify"])["entries"].as_u64().unwrap();
    // Killed while the rows stream in: this first load copies them straight into supply_events
    // (a later import, into the staging table).
    assert!(
        kill_when(&env, &["import", "supply", "work/supply.csv"], || pg_running(&base, "COPY supply")),
        "the import ended before it could be killed"
    );
    assert_eq!(events(&env), 0, "nothing of the killed import is committed");
    let v = env.json(&["audit", "verify"]);
    assert_eq!((v["ok"].as_bool(), v["entries"].as_u64()), (Some(true), Some(entries)));
    let first = env.json(&["import", "supply", "work/supply.csv"]);
    let new = first["new"].as_u64().unwrap();
    assert!(new > 0);
    env.json(&["import", "supply", "work/supply.csv"]);
    assert_eq!(events(&env), new, "no duplicates");
    let entries = env.json(&["audit", "verify"])["entries"].as_u64().unwrap();
    assert!(
        kill_when(&env, &["retention", "run", "--as-of", "2099-01-01"], || pg_running(&base, "supply_events")),
        "the retention run ended before it could be killed"
    );
    assert_eq!(events(&env), new);
    let v = env.json(&["audit", "verify"]);
    assert_eq!((v["ok"].as_bool(), v["entries"].as_u64()), (Some(true), Some(entries)));
    let run = env.json(&["retention", "run", "--as-of", "2099-01-01"]);
    assert_eq!(run["deleted"]["supply_events"].as_u64(), Some(new));
    assert_eq!(env.json(&["audit", "verify"])["ok"], true);
}

/// The MSA inbox on one engine: the seeded directory, a request's clocks and every step audited.
fn inbox_story(env: &Env) -> Value {
    let de = env.json(&["authority", "list", "--country", "DE"]);
    let ids: Vec<&str> = de.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["de-bnetza", "de-bsi"]);
    assert!(
        de.as_array()
            .unwrap()
            .iter()
            .all(|a| a["confirmed"] == false && a["source"].as_str().unwrap().contains("review"))
    );

    // Received on Wednesday 23 December in Berlin; 3 working days skip Christmas and the weekend.
    let r = env.json(&[
        "request",
        "add",
        "--authority",
        "de-bnetza",
        "--reference",
        "BNetzA-2026-17",
        "--received",
        "2026-12-23T09:30",
        "--due-working-days",
        "3",
        "--product",
        "SH-CAM-200",
        "--version",
        "1.2.0",
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--asks",
        "trace,sbom",
    ]);
    for key in ["id", "authority", "reference", "received_at", "ack_due", "acknowledged_at", "due", "status", "overdue"]
    {
        assert!(r.get(key).is_some(), "{key} missing in {r}");
    }
    assert_eq!(r["received_at"], "2026-12-23T09:30:00+01:00[Europe/Berlin]");
    assert_eq!(r["ack_due"], "2026-12-24T09:30:00+01:00[Europe/Berlin]");
    assert_eq!((r["due"].as_str(), r["status"].as_str()), (Some("2026-12-29"), Some("received")));
    assert_eq!(r["acknowledged_at"], Value::Null);
    let id = r["id"].as_i64().unwrap().to_string();

    // An offset receipt in UTC late on Friday is Saturday in Paris: 10 days run from Saturday.
    let fr = env.json(&[
        "request",
        "add",
        "--authority",
        "fr-anssi",
        "--reference",
        "ANSSI/2026/3",
        "--received",
        "2026-03-27T23:30:00Z",
        "--due-days",
        "10",
        "--product",
        "SH-CAM-200",
        "--asks",
        "documents",
    ]);
    assert_eq!(
        (fr["received_at"].as_str(), fr["due"].as_str()),
        (Some("2026-03-28T00:30:00+01:00[Europe/Paris]"), Some("2026-04-07"))
    );

    let overdue = env.json(&["request", "list", "--overdue", "--now", "2026-12-30T00:00:00Z"]);
    let overdue_ids: Vec<i64> = overdue.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(overdue_ids.len(), 2, "both are past their deadline: {overdue}");
    let early = env.json(&["request", "list", "--overdue", "--now", "2026-12-23T12:00:00Z"]);
    assert_eq!(early.as_array().unwrap().len(), 1, "only the April request is overdue in December");
    let soon = env.json(&["request", "show", &id, "--now", "2026-12-28T12:00:00Z"]);
    assert_eq!((soon["due_soon"].as_bool(), soon["ack_overdue"].as_bool()), (Some(true), Some(true)));

    let acked = env.json(&["request", "ack", &id, "--note", "by e-mail"]);
    assert_eq!(acked["status"], "acknowledged");
    assert!(acked["acknowledged_at"].is_string());
    let out = env.run(&["request", "sent", &id]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("build the package first"), "{}", stderr(&out));
    env.ok(&["request", "extend", &id]);
    let extended = env.json(&["request", "extend", &id, "--due", "2027-01-15"]);
    assert_eq!(extended["due"], "2027-01-15");
    let closed = env.json(&["request", "close", &id, "--note", "answered"]);
    assert_eq!(closed["status"], "closed");
    let steps: Vec<(&str, &str)> = closed["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["step"].as_str().unwrap(), t["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("received", "cli:tester"),
            ("acknowledged", "cli:tester"),
            ("extension_asked", "cli:tester"),
            ("extension_given", "cli:tester"),
            ("closed", "cli:tester")
        ]
    );
    let out = env.run(&["request", "close", &id]);
    assert!(stderr(&out).contains("is closed"), "{}", stderr(&out));
    let out = env.run(&[
        "request",
        "add",
        "--authority",
        "xx-nobody",
        "--reference",
        "X",
        "--received",
        "2026-12-23T09:30",
        "--due-days",
        "3",
        "--product",
        "P",
        "--asks",
        "trace",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("msadesk authority list"), "{}", stderr(&out));
    let out = env.run(&[
        "request",
        "add",
        "--authority",
        "de-bnetza",
        "--reference",
        "X",
        "--received",
        "2026-12-23T09:30",
        "--due-days",
        "3",
        "--product",
        "P",
        "--asks",
        "trace,cake",
    ]);
    assert!(stderr(&out).contains("trace,documents,sbom,samples,access"), "{}", stderr(&out));

    let log = env.json(&["audit", "log", "--entity", "msa_requests"]);
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["received", "received", "acknowledged", "extension_asked", "extension_given", "closed"]);
    assert_eq!(env.json(&["audit", "verify"])["ok"], true);
    // What both engines must agree on: the requests without the times the steps were taken.
    let mut list = env.json(&["request", "list", "--now", "2026-12-30T00:00:00Z"]);
    for r in list.as_array_mut().unwrap() {
        r["acknowledged_at"] = Value::Null;
        for t in r["timeline"].as_array_mut().unwrap() {
            t["at"] = Value::Null;
        }
    }
    list
}

#[test]
fn msa_inbox_requests_from_receipt_to_close_on_both_engines() {
    let lite = Env::sqlite();
    let a = inbox_story(&lite);
    let Some(base) = pg_base() else { return };
    let schema = PgSchema::new(&base);
    let sep = if base.contains('?') { '&' } else { '?' };
    let pg = Env {
        dir: tempfile::tempdir().expect("tempdir"),
        db: format!("{base}{sep}options=-csearch_path%3D{}", schema.name),
    };
    assert_eq!(inbox_story(&pg), a, "engines differ on the inbox");
}

#[test]
fn authority_directory_is_edited_exported_and_imported() {
    let env = Env::sqlite();
    env.ok(&[
        "authority",
        "edit",
        "de-bsi",
        "--confirmed",
        "true",
        "--email",
        "cra@bsi.example",
        "--source",
        "BSI letter",
    ]);
    env.ok(&[
        "authority",
        "add",
        "--id",
        "pl-uke",
        "--country",
        "PL",
        "--name",
        "Urząd Komunikacji Elektronicznej",
        "--time-zone",
        "Europe/Warsaw",
        "--languages",
        "pl,en",
        "--source",
        "UKE letter",
    ]);
    let out = env.run(&[
        "authority",
        "add",
        "--id",
        "pl-uke",
        "--country",
        "PL",
        "--name",
        "x",
        "--time-zone",
        "Europe/Warsaw",
        "--source",
        "x",
    ]);
    assert!(stderr(&out).contains("authority edit pl-uke"), "{}", stderr(&out));
    let out = env.run(&["authority", "edit", "de-bsi", "--time-zone", "Berlin"]);
    assert!(stderr(&out).contains("Europe/Berlin"), "{}", stderr(&out));
    let before = env.json(&["authority", "list"]);
    let bsi = before.as_array().unwrap().iter().find(|a| a["id"] == "de-bsi").unwrap();
    assert_eq!((bsi["confirmed"].as_bool(), bsi["email"].as_str()), (Some(true), Some("cra@bsi.example")));

    // CSV and JSON exports import into a fresh registry as the same directory.
    for file in ["dir.csv", "dir.json"] {
        env.ok(&["authority", "export", file]);
        let other = Env::sqlite();
        std::fs::copy(env.path(file), other.path(file)).unwrap();
        other.ok(&["authority", "import", file]);
        assert_eq!(other.json(&["authority", "list"]), before, "{file}");
    }
    // A bad row names its line and changes nothing.
    let bad = env.write(
        "bad.csv",
        "id,country,name,time_zone,kind,source,confirmed\nok-1,DE,A,Europe/Berlin,msa,s,false\nok-2,XX,B,Europe/Berlin,msa,s,false\n",
    );
    let out = env.run(&["authority", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("bad.csv:3: country"), "{}", stderr(&out));
    assert_eq!(env.json(&["authority", "list"]), before);

    // The holiday list of a Member State can be replaced; working days follow it.
    let de = env.write("de.csv", "date,name\n2026-04-03,Karfreitag\n2026-04-06,Ostermontag\n");
    env.ok(&["holiday", "set", "--country", "DE", de.to_str().unwrap()]);
    let list = env.json(&["holiday", "list", "--country", "DE"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let r = env.json(&[
        "request",
        "add",
        "--authority",
        "de-bsi",
        "--reference",
        "BSI-1",
        "--received",
        "2026-04-02T10:00",
        "--due-working-days",
        "1",
        "--product",
        "P",
        "--asks",
        "trace",
    ]);
    assert_eq!(r["due"], "2026-04-07", "Good Friday, the weekend and Easter Monday are skipped");
}

#[test]
fn inbox_commands_have_help_with_examples() {
    let env = Env::sqlite();
    for cmd in [
        &["authority", "list", "--help"][..],
        &["authority", "add", "--help"],
        &["authority", "edit", "--help"],
        &["authority", "import", "--help"],
        &["authority", "export", "--help"],
        &["holiday", "set", "--help"],
        &["request", "add", "--help"],
        &["request", "list", "--help"],
        &["request", "show", "--help"],
        &["request", "ack", "--help"],
        &["request", "close", "--help"],
        &["request", "extend", "--help"],
    ] {
        let out = env.ok(cmd);
        assert!(out.contains("Example"), "{cmd:?} --help has no example:\n{out}");
    }
}
const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "components": [
    {"type": "library", "bom-ref": "a", "name": "lodash", "version": "4.17.20", "purl": "pkg:npm/lodash@4.17.20"},
    {"type": "library", "bom-ref": "b", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"}
  ]}"#;

const OSV: &str = r#"{"vulns": [{"schema_version": "1.6.0", "id": "GHSA-test-lodash", "modified": "2026-11-01T00:00:00Z",
  "aliases": ["CVE-2026-11111"], "summary": "Prototype pollution in lodash",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
  "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}]}"#;

#[test]
fn sbom_vulnerability_and_assessment_end_to_end() {
    let env = Env::sqlite();
    env.ok(&["init", "--name", "X", "--address", "Y", "--member-state", "AT", "--role", "importer"]);
    env.ok(&["import", "products", env.write("p.csv", PRODUCTS).to_str().unwrap()]);
    env.ok(&["import", "supply", env.write("s.csv", SUPPLY).to_str().unwrap()]);
    let entries = |env: &Env| env.json(&["audit", "verify"])["entries"].as_u64().unwrap();

    // A malformed SBOM is rejected with its diagnostics, and nothing is written.
    let before = entries(&env);
    let bad = env.write("bad.json", r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": 3}]}"#);
    let out = env.run(&["import", "sbom", "--product", "CAM-1", "--version", "1.0", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("nothing was imported") && stderr(&out).contains("/components/0"),
        "{}",
        stderr(&out)
    );
    assert_eq!(entries(&env), before);

    let sbom = env.write("cam.cdx.json", SBOM);
    let s = env.json(&["import", "sbom", "--product", "CAM-1", "--version", "1.0", sbom.to_str().unwrap()]);
    assert_eq!((s["committed"].as_bool(), s["sbom"]["components"].as_u64()), (Some(true), Some(2)));
    assert_eq!(s["sbom"]["format"], "CycloneDX 1.6");
    env.ok(&["import", "sbom", "--product", "PLUG", "--version", "1.0", sbom.to_str().unwrap()]);
    let v = env.json(&["import", "vulns", env.write("osv.json", OSV).to_str().unwrap(), "--feed-date", "2026-12-01"]);
    assert_eq!(v["new"].as_u64(), Some(1));
    let deployments = "product_id,version,member_state,instances,critical_sector\nCAM-1,1.0,FR,3,energy\n";
    env.ok(&["import", "deployments", env.write("d.csv", deployments).to_str().unwrap()]);

    let a = env.json(&["assess", "--vuln", "CVE-2026-11111"]);
    let list = a.as_array().unwrap();
    assert_eq!(list.len(), 2, "{a:#}");
    let cam = &list[0];
    assert_eq!((cam["product_id"].as_str(), cam["vulnerability"].as_str()), (Some("CAM-1"), Some("CVE-2026-11111")));
    assert_eq!(cam["significant"], true);
    assert_eq!(cam["fired"], serde_json::json!(["cvss_critical", "critical_infrastructure", "data_exfiltration"]));
    assert_eq!(cam["indicators"]["actively_exploited"], Value::Null, "no known-exploited catalogue imported");
    assert_eq!(cam["cvss"]["base_score"].as_f64(), Some(9.8));
    assert_eq!(cam["evidence"][0]["taken_at"], "2026-12-01");
    let obligations = cam["obligations"].as_array().unwrap();
    let got: Vec<(&str, &str, bool)> = obligations
        .iter()
        .map(|o| (o["to"].as_str().unwrap(), o["basis"]["cite"].as_str().unwrap(), o["legal_duty"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("manufacturer", "CRA Art 19(5)", true),
            ("msa", "CRA Art 19(5)", true),
            ("end_users", "Regulation (EU) 2019/1020 Art 16(3)(g)", false)
        ]
    );
    // The Member States where version 1.0 was made available: from the registry's supplied events.
    assert_eq!(obligations[1]["member_states"], serde_json::json!(["DE", "PL"]));
    assert!(obligations[1]["due"].as_str().is_some());
    // PLUG is distributed, not imported: Art 20(4); no install base, so fewer indicators fire.
    assert_eq!(list[1]["obligations"][0]["basis"]["cite"], "CRA Art 20(4)");

    // Decisions are recorded once, audited, and not again while nothing changed.
    let after = entries(&env);
    let again = env.json(&["assess"]);
    assert_eq!(again[0]["decision_id"], cam["decision_id"]);
    assert_eq!(entries(&env), after);
    let log = env.json(&["audit", "log", "--limit", "1"]);
    assert_eq!(log[0]["entity"], "risk_decision");

    // An officer's decision wins over the rules, is recorded with its reason, and leads to a new decision.
    let out = env.run(&[
        "decide",
        "--product",
        "CAM-1",
        "--version",
        "1.0",
        "--vuln",
        "NOPE-1",
        "--significant",
        "false",
        "--reason",
        "x",
    ]);
    assert!(!out.status.success() && stderr(&out).contains("no imported vulnerability record"), "{}", stderr(&out));
    env.ok(&[
        "decide",
        "--product",
        "CAM-1",
        "--version",
        "1.0",
        "--vuln",
        "GHSA-test-lodash",
        "--significant",
        "false",
        "--reason",
        "lodash is only used at build time",
    ]);
    // `decide` re-assessed and recorded at once: a dry run shows the new recorded decision.
    let a = env.json(&["assess", "--product", "CAM-1", "--dry-run"]);
    assert_eq!(a[0]["significant"], false, "{a:#}");
    let rules = a[0]["rules"].as_array().unwrap();
    assert!(
        rules.iter().any(|r| r["rule"] == "officer_override"
            && r["explanation"].as_str().unwrap().contains("lodash is only used at build time")),
        "{rules:#?}"
    );
    assert_ne!(a[0]["decision_id"], cam["decision_id"]);
    assert_eq!(a[0]["obligations"].as_array().unwrap().len(), 1, "only the manufacturer is informed");

    // A new SBOM without the vulnerable component: nothing is affected any more.
    let fixed = SBOM.replace("4.17.20", "4.17.21");
    env.ok(&[
        "import",
        "sbom",
        "--product",
        "CAM-1",
        "--version",
        "1.0",
        env.write("fixed.json", &fixed).to_str().unwrap(),
    ]);
    let a = env.json(&["assess", "--product", "CAM-1", "--dry-run"]);
    assert_eq!(a, serde_json::json!([]));
    let spdx = r#"{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "cam",
      "documentNamespace": "https://example.com/cam-1.0", "creationInfo": {"created": "2026-11-01T00:00:00Z", "creators": ["Tool: t"]},
      "packages": [{"SPDXID": "SPDXRef-lodash", "name": "lodash", "versionInfo": "4.17.20", "downloadLocation": "NOASSERTION",
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/lodash@4.17.20"}]}]}"#;
    let s = env.json(&[
        "import",
        "sbom",
        "--product",
        "CAM-1",
        "--version",
        "2.0",
        env.write("cam.spdx.json", spdx).to_str().unwrap(),
    ]);
    assert_eq!(s["sbom"]["format"], "SPDX 2.3", "{s:#}");
    let a = env.json(&["assess", "--product", "CAM-1", "--version", "2.0", "--dry-run"]);
    assert_eq!(a[0]["matched"][0]["purl"], "pkg:npm/lodash@4.17.20");
    let drafts = env.json(&["assess", "--vuln", "CVE-2026-11111", "--product", "PLUG", "--dry-run", "--drafts"]);
    let d = &drafts[0]["drafts"];
    assert_eq!((d[1]["to"].as_str(), d[1]["language"].as_str()), (Some("msa"), Some("en")));
    // CAM-1 1.0 is fixed by now: only PLUG is left.
    assert!(d[1]["body"].as_str().unwrap().contains("Smart plug (PLUG), version 1.0"), "{d:#}");
    assert!(env.ok(&["import", "sbom", "--help"]).contains("Example"));
    assert!(env.ok(&["assess", "--help"]).contains("msadesk assess --vuln"));
}

#[test]
fn letters_request_letters_templates_and_notice_letters() {
    let env = Env::sqlite();
    env.ok(&[
        "init",
        "--name",
        "ACME Import GmbH",
        "--address",
        "Hafenstraße 1, 20457 Hamburg",
        "--member-state",
        "DE",
        "--role",
        "importer",
        "--contact-person",
        "Jana Novák",
        "--email",
        "compliance@acme.example",
    ]);
    env.ok(&["import", "products", env.write("p.csv", PRODUCTS).to_str().unwrap()]);
    env.ok(&["import", "supply", env.write("s.csv", SUPPLY).to_str().unwrap()]);

    // A request from the German authority: the acknowledgement in German, and in English beside it.
    let r = env.json(&[
        "request",
        "add",
        "--authority",
        "de-bnetza",
        "--reference",
        "BNetzA-2026-0042",
        "--received",
        "2026-12-03T16:30",
        "--due-working-days",
        "10",
        "--product",
        "CAM-1",
        "--asks",
        "trace,documents",
    ]);
    let id = r["id"].as_i64().unwrap().to_string();
    let w = env.json(&["request", "letter", &id, "--kind", "ack", "--out", "ack.html", "--date", "2026-12-04"]);
    assert_eq!(w[0]["lang"], "de");
    assert_eq!(w[1]["lang"], "en");
    let de = std::fs::read_to_string(env.path("ack.html")).unwrap();
    assert!(de.contains("Eingangsbestätigung zu Ihrem Ersuchen BNetzA-2026-0042"), "{de}");
    assert!(de.contains("am 3. Dezember 2026") && de.contains("EU-Konformitätserklärung"));
    assert!(de.contains("Jana Novák"));
    let en = std::fs::read_to_string(env.path("ack.en.html")).unwrap();
    assert!(en.contains("Acknowledgement of receipt of your request BNetzA-2026-0042"));
    env.ok(&["request", "letter", &id, "--kind", "cover", "--lang", "fr", "--out", "cover.pdf"]);
    assert!(std::fs::read(env.path("cover.pdf")).unwrap().starts_with(b"%PDF-1.7"));
    let out = env.run(&["request", "letter", &id, "--kind", "memo", "--out", "x.pdf"]);
    assert!(!out.status.success() && stderr(&out).contains("use ack"), "{}", stderr(&out));
    let out = env.run(&["request", "letter", &id, "--kind", "ack", "--out", "x.docx"]);
    assert!(!out.status.success() && stderr(&out).contains(".pdf or .html"));

    // Templates: export, edit, import (checked), and the letter uses the operator's wording.
    env.ok(&["letter", "template", "export", "--lang", "de", "--out", "tpl"]);
    let path = env.path("tpl/request-ack.de.ftl");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("request-ack-subject = ") && text.contains("salutation = Sehr geehrte Damen und Herren,"));
    std::fs::write(&path, text.replace("Sehr geehrte Damen und Herren,", "Sehr geehrte Frau Dr. Weber,")).unwrap();
    let imported = env.json(&["letter", "template", "import", path.to_str().unwrap(), "--lang", "de"]);
    assert_eq!(imported["kind"], "request-ack");
    assert_eq!(imported["missing"], serde_json::json!([]));
    env.ok(&["request", "letter", &id, "--kind", "ack", "--lang", "de", "--out", "ack2.html"]);
    assert!(std::fs::read_to_string(env.path("ack2.html")).unwrap().contains("Sehr geehrte Frau Dr. Weber,"));
    let list = env.json(&["letter", "template", "list"]);
    assert_eq!(list[0]["kind"], "request-ack");
    let log = env.json(&["audit", "log", "--limit", "1"]);
    assert_eq!(log[0]["entity"], "letter_templates");
    // A broken template is refused with its line, and nothing is stored.
    let bad =
        env.write("request-ack.pl.ftl", "salutation = Szanowni Państwo,\nrequest-ack-subject = { $their_reference\n");
    let out = env.run(&["letter", "template", "import", bad.to_str().unwrap(), "--lang", "pl"]);
    assert!(!out.status.success() && stderr(&out).contains("line 2"), "{}", stderr(&out));
    assert_eq!(env.json(&["letter", "template", "list"]).as_array().unwrap().len(), 1);
    env.ok(&["letter", "template", "remove", "--kind", "request-ack", "--lang", "de"]);

    // Render any kind from arguments; a missing argument is named.
    let out = env.run(&["letter", "render", "--kind", "recall-notice", "--lang", "pl", "--out", "r.pdf"]);
    assert!(!out.status.success() && stderr(&out).contains("needs the argument 'recipient_name'"), "{}", stderr(&out));
    env.ok(&[
        "letter",
        "render",
        "--kind",
        "recall-notice",
        "--lang",
        "pl",
        "--out",
        "r.html",
        "--arg",
        "recipient_name=Łódź Elektro",
        "--arg",
        "product=Camera",
        "--arg",
        "versions=1.0",
        "--arg",
        "recall_reference=R-1",
        "--arg",
        "reason=CVE-2026-11111",
        "--arg",
        "what_to_do=Zwrot",
        "--arg",
        "deadline_date=2026-12-20",
        "--arg",
        "ack_link=https://acme.example/r/1",
    ]);
    let r = std::fs::read_to_string(env.path("r.html")).unwrap();
    assert!(r.contains("do dnia 20 grudnia 2026 r.") && r.contains("ACME Import GmbH"), "{r}");
    let kinds = env.json(&["letter", "kinds"]);
    assert_eq!(kinds.as_array().unwrap().len(), 7);

    // Notice letters for an assessment: English and the authorities' languages.
    let sbom = env.write("cam.cdx.json", SBOM);
    env.ok(&["import", "sbom", "--product", "CAM-1", "--version", "1.0", sbom.to_str().unwrap()]);
    env.ok(&["import", "vulns", env.write("osv.json", OSV).to_str().unwrap(), "--feed-date", "2026-12-01"]);
    let out = env.run(&["assess", "--vuln", "CVE-2026-11111", "--letters", "notices", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let folder = env.path("notices/CAM-1-1.0-CVE-2026-11111");
    for f in [
        "manufacturer.en.pdf",
        "msa-DE.en.pdf",
        "msa-DE.de.pdf",
        "msa-DE.de.html",
        "end-users.en.html",
        "end-users.de.html",
    ] {
        assert!(folder.join(f).exists(), "{f} missing in {}", folder.display());
    }
    let de = std::fs::read_to_string(folder.join("msa-DE.de.html")).unwrap();
    assert!(
        de.contains("Meldung eines erheblichen Cybersicherheitsrisikos") && de.contains("Marktüberwachungsbehörde")
    );
    assert!(de.contains("Artikel 19 Absatz 5 der Verordnung (EU) 2024/2847"), "{de}");
    assert!(de.contains("PL: 50 Einheiten geliefert"), "{de}");
    let users = std::fs::read_to_string(folder.join("end-users.de.html")).unwrap();
    assert!(users.contains("empfohlene Vorsichtsmaßnahme"), "an importer's user notice is a recommendation");
}

#[test]
fn letter_commands_have_help_with_examples() {
    let env = Env::sqlite();
    for cmd in [
        &["letter", "--help"][..],
        &["letter", "render", "--help"],
        &["letter", "kinds", "--help"],
        &["letter", "template", "export", "--help"],
        &["letter", "template", "import", "--help"],
        &["letter", "template", "list", "--help"],
        &["letter", "template", "remove", "--help"],
        &["request", "letter", "--help"],
    ] {
        let out = env.ok(cmd);
        assert!(out.contains("Example"), "{cmd:?} --help has no example:\n{out}");
    }
}

// ---------------------------------------------------------------------------------------------
// Corrective actions and the outbox (issue 8)
// ---------------------------------------------------------------------------------------------

fn action_env() -> Env {
    let env = Env::sqlite();
    env.write("p.csv", PRODUCTS);
    env.write("s.csv", SUPPLY);
    env.ok(&["import", "products", "p.csv"]);
    env.ok(&["import", "supply", "s.csv"]);
    env
}

#[test]
fn action_lifecycle_from_the_command_line() {
    let env = action_env();
    let a = env.json(&[
        "action",
        "add",
        "--type",
        "recall",
        "--product",
        "CAM-1",
        "--version",
        "1.0",
        "--authority",
        "de-bnetza",
        "--reference",
        "AZ-7",
        "--due",
        "2027-01-31",
        "--received",
        "2026-12-04",
        "--level",
        "A",
    ]);
    assert_eq!(
        (a["id"].as_i64(), a["type"].as_str(), a["status"].as_str()),
        (Some(1), Some("recall"), Some("received"))
    );
    assert_eq!(a["due"], "2027-01-31");
    assert_eq!(a["recipients_total"], 2, "{a}");
    assert_eq!(a["recipients_acknowledged"], 0);
    assert_eq!(a["units_total"], 90);
    assert_eq!(a["hearing_until"], "2026-12-18");
    assert_eq!(a["effectiveness"]["required_recipients"], 2);
    assert_eq!(a["legal_basis"], "CRA Art 54");
    // Refused steps exit non-zero and say what is next.
    let out = env.run(&["action", "advance", "1", "--to", "completed"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("next step is acknowledged"), "{}", stderr(&out));
    // Bad input is refused with what to do.
    let out =
        env.run(&["action", "add", "--type", "destroy", "--product", "CAM-1", "--voluntary", "--due", "2027-01-31"]);
    assert!(!out.status.success() && stderr(&out).contains("--type"), "{}", stderr(&out));
    let out = env.run(&["action", "add", "--type", "recall", "--product", "CAM-1", "--due", "2027-01-31"]);
    assert!(!out.status.success() && stderr(&out).contains("--voluntary"), "{}", stderr(&out));
    let out = env.run(&[
        "action",
        "add",
        "--type",
        "recall",
        "--product",
        "CAM-1",
        "--authority",
        "de-bnetza",
        "--reference",
        "x",
        "--due",
        "2027-01-31",
        "--hearing-days",
        "3",
    ]);
    assert!(!out.status.success() && stderr(&out).contains("--urgent"), "{}", stderr(&out));
    let out = env.run(&[
        "action",
        "add",
        "--type",
        "recall",
        "--product",
        "CAM-1",
        "--voluntary",
        "--due",
        "2027-01-31",
        "--request",
        "9",
    ]);
    assert!(!out.status.success() && stderr(&out).contains("request list"), "{}", stderr(&out));
    // Notifying before acknowledging is refused.
    assert!(!env.run(&["action", "notify", "1"]).status.success());
    assert_eq!(env.json(&["action", "advance", "1", "--to", "acknowledged"])["status"], "acknowledged");
    let n = env.json(&["action", "notify", "1"]);
    // D-2 has no e-mail address: it is on the escalation list, not in the outbox.
    assert_eq!(n["queued"], 1, "{n}");
    assert_eq!(n["without_address"], serde_json::json!(["D-2"]));
    assert_eq!(n["action"]["status"], "recipients_notified");
    let out = env.json(&["outbox", "list"]);
    assert_eq!(out.as_array().unwrap().len(), 1);
    assert_eq!(out[0]["state"], "queued");
    assert_eq!(out[0]["to"], "biuro@elektro.example");
    assert!(out[0].get("body").is_none(), "the list must not show the link's secret");
    let shown = env.json(&["action", "show", "1", "--not-acknowledged"]);
    assert_eq!(shown["recipients"].as_array().unwrap().len(), 2);
    let report = env.json(&["action", "report", "1"]);
    assert_eq!(report["recipients_notified"], 1);
    assert_eq!(report["non_responders_total"], 2);
    assert_eq!(report["delivery"]["queued"], 1);
    assert_eq!(env.json(&["action", "list"]).as_array().unwrap().len(), 1);
    // Without a mail server the message is deferred, not lost.
    let d = env.json(&["outbox", "deliver", "--once"]);
    assert_eq!((d["claimed"].as_u64(), d["deferred"].as_u64()), (Some(1), Some(1)), "{d}");
    assert_eq!(env.json(&["outbox", "list", "--state", "deferred"]).as_array().unwrap().len(), 1);
    // Reminders: on a schedule only those last written to long enough ago; otherwise every non-responder.
    assert_eq!(env.json(&["action", "remind", "1", "--older-than-days", "1"])["queued"], 0);
    let r = env.json(&["action", "remind", "1"]);
    assert_eq!(r["queued"], 1, "{r}");
    assert_eq!(env.json(&["action", "show", "1"])["recipients"][0]["reminders"], 1);
    // A status change can be announced by a signed webhook, queued once.
    let bad = env.run(&["action", "advance", "1", "--to", "in_progress", "--webhook", "ftp://x"]);
    assert!(!bad.status.success() && stderr(&bad).contains("http://"), "{}", stderr(&bad));
    env.ok(&["action", "advance", "1", "--to", "in_progress", "--webhook", "http://127.0.0.1:9/hook"]);
    let queued = env.json(&["outbox", "list", "--state", "queued"]);
    assert_eq!(queued[0]["channel"], "webhook", "{queued}");
    assert_eq!(queued[0]["idempotency_key"], "action-1-status-in_progress");
    assert!(env.run(&["audit", "verify"]).status.success());
}

/// A free local port (bound and released; the sink binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Sink(std::process::Child);

impl Sink {
    fn start(port: u16, dir: &Path) -> Sink {
        Sink::start_with(port, dir, &[])
    }

    /// The sink with extra options (`--tls-cert`, `--tls-key`, `--auth`).
    fn start_with(port: u16, dir: &Path, extra: &[&std::ffi::OsStr]) -> Sink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ci/smtp_sink.py");
        // Held by the guard from the start, so it is killed and waited for whatever happens.
        let sink = Sink(
            Command::new("python3")
                .arg(script)
                .args(["127.0.0.1", &port.to_string()])
                .arg(dir)
                .args(extra)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("python3 ci/smtp_sink.py (pip install aiosmtpd)"),
        );
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return sink;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the SMTP sink did not start on port {port}");
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The Message-IDs of every message the sink received, one per file.
fn received_ids(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).collect::<Vec<_>>())
        .unwrap_or_default()
        .iter()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap();
            text.lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:")).unwrap_or("").to_string()
        })
        .collect();
    ids.sort();
    ids
}

/// Real SMTP (PyPI aiosmtpd through ci/smtp_sink.py): server down → deferred; back → each message
/// delivered exactly once. Runs when MSADESK_SMTP_TEST=1 (CI sets it; see ci/smtp-test.sh).
#[test]
fn smtp_delivery_survives_a_server_outage() {
    if std::env::var("MSADESK_SMTP_TEST").ok().as_deref() != Some("1") {
        eprintln!("skipped: set MSADESK_SMTP_TEST=1 (needs python3 with aiosmtpd)");
        return;
    }
    let env = action_env();
    // Give D-2 an address so both recipients are mailed.
    env.write(
        "s2.csv",
        "direction,date,product_id,version,quantity,counterparty_id,counterparty_name,counterparty_address,counterparty_country,counterparty_email,counterparty_role,reference\nsupplied,2026-03-01,CAM-1,1.0,5,D-2,Müller Handel GmbH,Hauptstraße 5,DE,einkauf@mueller.example,distributor,INV-9\n",
    );
    env.ok(&["import", "supply", "s2.csv"]);
    env.ok(&["action", "add", "--type", "update", "--product", "CAM-1", "--voluntary", "--due", "2027-01-31"]);
    env.ok(&["action", "advance", "1", "--to", "acknowledged"]);
    assert_eq!(env.json(&["action", "notify", "1"])["queued"], 2);
    let port = free_port();
    let mail = env.path("mail");
    let deliver = |env: &Env| -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_msadesk"))
            .args(["outbox", "deliver", "--once", "--format", "json"])
            .env("MSADESK_DATABASE", &env.db)
            .env("MSADESK_SMTP_HOST", "127.0.0.1")
            .env("MSADESK_SMTP_PORT", port.to_string())
            .env("MSADESK_SMTP_FROM", "recalls@operator.example")
            .env("MSADESK_SMTP_PASSWORD", "do-not-print-me")
            .env("MSADESK_OUTBOX_BACKOFF_SECS", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!String::from_utf8_lossy(&out.stdout).contains("do-not-print-me"));
        assert!(!stderr(&out).contains("do-not-print-me"));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Server down: both deferred with an error and a later attempt.
    let d = deliver(&env);
    assert_eq!((d["sent"].as_u64(), d["deferred"].as_u64()), (Some(0), Some(2)), "{d}");
    let deferred = env.json(&["outbox", "list", "--state", "deferred"]);
    assert!(deferred[0]["last_error"].as_str().unwrap().len() > 3, "{deferred}");
    assert_eq!(deferred[0]["attempts"], 1);
    // Server back: delivered once each, after the backoff.
    let _sink = Sink::start(port, &mail);
    let mut sent = 0;
    for _ in 0..30 {
        sent += deliver(&env)["sent"].as_u64().unwrap();
        if sent == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert_eq!(sent, 2);
    // Nothing more to send: a further pass sends nothing again.
    assert_eq!(deliver(&env)["claimed"], 0);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let ids = received_ids(&mail);
    assert_eq!(ids.len(), 2, "{ids:?}");
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique, ids, "a message was delivered twice");
    assert!(ids.iter().any(|i| i.contains("action-1-r")), "{ids:?}");
    let a = env.json(&["action", "show", "1"]);
    assert_eq!(a["recipients_reached"], 2, "{a}");
    assert!(a["recipients"].as_array().unwrap().iter().all(|r| r["delivery"] == "sent"));
}

/// The raw messages the sink stored.
fn received_texts(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).collect::<Vec<_>>())
        .unwrap_or_default()
        .iter()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect()
}

/// SMTP over STARTTLS against the sink with a throw-away private CA (openssl): without
/// MSADESK_SMTP_CA_FILE the certificate is refused with a clear error and the messages stay
/// deferred; with it they are delivered over TLS, with AUTH (the sink accepts AUTH over TLS only).
/// Runs when MSADESK_SMTP_TEST=1 (see ci/smtp-test.sh).
#[test]
fn smtp_starttls_with_a_private_ca() {
    smtp_tls_with_a_private_ca("starttls");
}

/// The same with TLS from the first byte (SMTPS, `MSADESK_SMTP_TLS=tls`; the sink with `--tls-wrapper`).
#[test]
fn smtp_smtps_with_a_private_ca() {
    smtp_tls_with_a_private_ca("tls");
}

fn smtp_tls_with_a_private_ca(mode: &str) {
    if std::env::var("MSADESK_SMTP_TEST").ok().as_deref() != Some("1") {
        eprintln!("skipped: set MSADESK_SMTP_TEST=1 (needs python3 with aiosmtpd, and openssl)");
        return;
    }
    let env = action_env();
    env.write(
        "s2.csv",
        "direction,date,product_id,version,quantity,counterparty_id,counterparty_name,counterparty_address,counterparty_country,counterparty_email,counterparty_role,reference\nsupplied,2026-03-01,CAM-1,1.0,5,D-2,Müller Handel GmbH,Hauptstraße 5,DE,einkauf@mueller.example,distributor,INV-9\n",
    );
    env.ok(&["import", "supply", "s2.csv"]);
    env.ok(&["action", "add", "--type", "update", "--product", "CAM-1", "--voluntary", "--due", "2027-01-31"]);
    env.ok(&["action", "advance", "1", "--to", "acknowledged"]);
    assert_eq!(env.json(&["action", "notify", "1"])["queued"], 2);
    // A private CA and a server certificate it issued for 127.0.0.1/localhost. (rustls refuses a
    // CA certificate presented as the server's own, so the plain `req -x509` one is the CA.)
    let (ca, ca_key, cert, key) = (env.path("ca.pem"), env.path("ca.key"), env.path("cert.pem"), env.path("key.pem"));
    let openssl = |args: &[&std::ffi::OsStr]| {
        let out = Command::new("openssl").args(args).output().expect("openssl");
        assert!(out.status.success(), "{}", stderr(&out));
    };
    let o = |s: &'static str| -> &std::ffi::OsStr { s.as_ref() };
    openssl(
        &[o("req"), o("-x509"), o("-newkey"), o("rsa:2048"), o("-nodes"), o("-subj"), o("/CN=msadesk-test-ca")]
            .into_iter()
            .chain([o("-days"), o("1"), o("-keyout"), ca_key.as_os_str(), o("-out"), ca.as_os_str()])
            .collect::<Vec<_>>(),
    );
    openssl(
        &[o("req"), o("-x509"), o("-newkey"), o("rsa:2048"), o("-nodes"), o("-subj"), o("/CN=localhost")]
            .into_iter()
            .chain([o("-addext"), o("subjectAltName=IP:127.0.0.1,DNS:localhost")])
            .chain([o("-addext"), o("basicConstraints=critical,CA:FALSE"), o("-days"), o("1")])
            .chain([o("-CA"), ca.as_os_str(), o("-CAkey"), ca_key.as_os_str()])
            .chain([o("-keyout"), key.as_os_str(), o("-out"), cert.as_os_str()])
            .collect::<Vec<_>>(),
    );
    let port = free_port();
    let mail = env.path("mail");
    let mut sink_args: Vec<&std::ffi::OsStr> = vec![o("--tls-cert"), cert.as_os_str(), o("--tls-key"), key.as_os_str()];
    sink_args.extend([o("--auth"), o("msadesk:do-not-print-me")]);
    if mode == "tls" {
        sink_args.push(o("--tls-wrapper"));
    }
    let _sink = Sink::start_with(port, &mail, &sink_args);
    let deliver = |ca: Option<&Path>| -> Value {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_msadesk"));
        cmd.args(["outbox", "deliver", "--once", "--format", "json"])
            .env("MSADESK_DATABASE", &env.db)
            .env("MSADESK_SMTP_HOST", "127.0.0.1")
            .env("MSADESK_SMTP_PORT", port.to_string())
            .env("MSADESK_SMTP_TLS", mode)
            .env("MSADESK_SMTP_FROM", "recalls@operator.example")
            .env("MSADESK_SMTP_USER", "msadesk")
            .env("MSADESK_SMTP_PASSWORD", "do-not-print-me")
            .env("MSADESK_OUTBOX_BACKOFF_SECS", "1");
        if let Some(ca) = ca {
            cmd.env("MSADESK_SMTP_CA_FILE", ca);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!String::from_utf8_lossy(&out.stdout).contains("do-not-print-me"));
        assert!(!stderr(&out).contains("do-not-print-me"));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Not trusted (self-signed, no CA file): refused, deferred with a clear error, nothing received.
    let d = deliver(None);
    assert_eq!((d["sent"].as_u64(), d["deferred"].as_u64()), (Some(0), Some(2)), "{d}");
    let deferred = env.json(&["outbox", "list", "--state", "deferred"]);
    assert_eq!(deferred.as_array().unwrap().len(), 2, "{deferred}");
    let error = deferred[0]["last_error"].as_str().unwrap();
    assert!(error.contains("certificate") && error.contains("MSADESK_SMTP_CA_FILE"), "{error}");
    eprintln!("without the CA file ({mode}): {error}");
    assert!(received_texts(&mail).is_empty());
    // The CA trusted: both delivered once, over TLS, authenticated.
    let mut sent = 0;
    for _ in 0..30 {
        sent += deliver(Some(&ca))["sent"].as_u64().unwrap();
        if sent == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert_eq!(sent, 2, "{}", env.json(&["outbox", "list"]));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let texts = received_texts(&mail);
    assert_eq!(texts.len(), 2);
    for t in &texts {
        assert!(t.starts_with("X-Sink-TLS: TLSv1."), "not received over TLS: {t}");
        assert!(t.contains("X-Sink-Auth: msadesk"), "{t}");
    }
    let ids = received_ids(&mail);
    assert!(ids[0] != ids[1] && ids.iter().all(|i| i.contains("action-1-r")), "{ids:?}");
}

/// A password is not sent in plain text to a remote host, and a bad TLS setting is explained
/// (refused before any connection is made, so this needs no mail server).
#[test]
fn smtp_settings_refuse_plaintext_passwords_and_unknown_modes() {
    let env = action_env();
    let run = |vars: &[(&str, &str)]| -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_msadesk"));
        cmd.args(["outbox", "deliver", "--once", "--format", "json"])
            .env("MSADESK_DATABASE", &env.db)
            .env("MSADESK_SMTP_FROM", "recalls@operator.example");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let remote = [("MSADESK_SMTP_HOST", "smtp.example"), ("MSADESK_SMTP_USER", "u"), ("MSADESK_SMTP_PASSWORD", "pw")];
    let not_pem = env.write("not-pem.txt", "not a certificate\n");
    let not_pem = not_pem.to_str().unwrap();
    let port = free_port().to_string();
    type Vars<'a> = &'a [(&'a str, &'a str)];
    let cases: &[(Vars, Option<&str>)] = &[
        // On the loopback interface a plain-text AUTH does not leave the machine: accepted (deferred, no server).
        (&[("MSADESK_SMTP_TLS", "none"), ("MSADESK_SMTP_HOST", "127.0.0.1"), ("MSADESK_SMTP_PORT", &port)], None),
        (&[("MSADESK_SMTP_TLS", "none")], Some("plain text")),
        (&[("MSADESK_SMTP_TLS", "ssl3")], Some("none, starttls or tls")),
        (
            &[("MSADESK_SMTP_TLS", "starttls"), ("MSADESK_SMTP_CA_FILE", "/nonexistent/ca.pem")],
            Some("MSADESK_SMTP_CA_FILE"),
        ),
        (&[("MSADESK_SMTP_TLS", "tls"), ("MSADESK_SMTP_CA_FILE", not_pem)], Some("no PEM certificate")),
    ];
    for (extra, refused) in cases {
        let mut vars = remote.to_vec();
        vars.extend_from_slice(extra);
        let out = run(&vars);
        match refused {
            Some(text) => {
                assert!(!out.status.success(), "{extra:?} accepted");
                assert!(stderr(&out).contains(text), "{extra:?}: {}", stderr(&out));
                assert!(!stderr(&out).contains("pw\n"), "{}", stderr(&out));
            }
            None => assert!(out.status.success(), "{extra:?}: {}", stderr(&out)),
        }
    }
}

/// Reads the hex seed `msadesk` keeps next to a SQLite database.
fn signing_key_of(env: &Env) -> ed25519_dalek::SigningKey {
    let text = std::fs::read_to_string(env.path("t.db.signing-key")).expect("key file");
    let t = text.trim();
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).expect("hex");
    }
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

#[test]
fn verify_checks_packages_and_names_the_altered_file() {
    use msadesk_formats::package::{PackageFile, PackageMeta, build};
    let env = Env::sqlite();
    let public = env.ok(&["key", "export"]).trim().to_string();
    assert_eq!(public.len(), 64, "{public}");
    // The same key again (created once), and the JSON form.
    assert_eq!(env.json(&["key", "export"])["public_key"], public.as_str());
    let key = signing_key_of(&env);
    let files = vec![
        PackageFile { path: "trace/answer.csv".into(), media_type: "text/csv".into(), bytes: b"x,y\n1,2\n".to_vec() },
        PackageFile { path: "report.html".into(), media_type: "text/html".into(), bytes: b"<h1>Report</h1>".to_vec() },
    ];
    let meta = PackageMeta { title: "t".into(), created_at: "2026-12-04T21:00:00Z".into(), operator: "ACME".into() };
    let zip = build(&files, &meta, &key).unwrap();
    std::fs::write(env.path("p.zip"), &zip).unwrap();
    let out = env.ok(&["verify", "p.zip", "--key", &public]);
    assert!(out.contains("OK"), "{out}");
    env.write("pub.txt", &format!("{public}\n"));
    assert_eq!(env.json(&["verify", "p.zip", "--key", "pub.txt"])["ok"], true);

    // Another key: refused.
    let other = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    let o = env.run(&["verify", "p.zip", "--key", other]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("manifest.sig"), "{}", stderr(&o));

    // One altered byte of a file: refused, naming the file.
    let mut bad = zip.clone();
    let at = bad.windows(5).position(|w| w == b"x,y\n1").unwrap();
    bad[at] = b'z';
    std::fs::write(env.path("bad.zip"), &bad).unwrap();
    let o = env.run(&["verify", "bad.zip"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("trace/answer.csv"), "{}", stderr(&o));
    let o = env.run(&["verify", "bad.zip", "--format", "json"]);
    assert!(!o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["problem_file"], "trace/answer.csv");

    // A bad --key is explained.
    let o = env.run(&["verify", "p.zip", "--key", "nothex"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("key export"), "{}", stderr(&o));
}

const OWN_PRODUCTS: &str = "product_id,product_name,version,manufacturer_id,manufacturer_name,manufacturer_address,manufacturer_country,manufacturer_email,placed_on_market,end_of_support,gtin,our_role
CAM-1,Camera,1.0,ACME,ACME Devices GmbH,Hafenstraße 1,DE,security@acme.example,2024-02-29,2027-06-30,4006381333931,
CAM-1,Camera,2.0,ACME,ACME Devices GmbH,Hafenstraße 1,DE,security@acme.example,2026-05-01,2040-12-31,4006381333931,
CAM-1,Camera,3.0,ACME,ACME Devices GmbH,Hafenstraße 1,DE,security@acme.example,2026-05-01,2040-12-31,4006381333931,
CAM-1,Camera,4.0,ACME,ACME Devices GmbH,Hafenstraße 1,DE,security@acme.example,2026-05-01,2040-12-31,4006381333931,
";

/// A manufacturer's CSAF 2.0 advisory and VEX: every version gets the status the SBOMs support,
/// the ids are consistent, and a revision is added only when the content changed. With
/// MSADESK_CSAF_OUT set, the documents are copied there for the outside validator
/// (ci/csaf-validate.sh).
#[test]
fn csaf_advisory_and_vex() {
    let env = Env::sqlite();
    let out = env.run(&["advisory", "csaf", "--vuln", "CVE-2026-11111", "--out", "a.json"]);
    assert!(!out.status.success() && stderr(&out).contains("msadesk init"), "{}", stderr(&out));
    env.ok(&[
        "init",
        "--name",
        "ACME Devices GmbH",
        "--address",
        "Hafenstraße 1, 20457 Hamburg",
        "--member-state",
        "DE",
        "--role",
        "manufacturer",
        "--email",
        "security@acme.example",
    ]);
    env.ok(&["import", "products", env.write("p.csv", OWN_PRODUCTS).to_str().unwrap()]);
    let out = env.run(&["advisory", "csaf", "--vuln", "CVE-2026-11111", "--out", "a.json"]);
    assert!(!out.status.success() && stderr(&out).contains("import vulns"), "{}", stderr(&out));
    for (version, sbom) in [
        ("1.0", SBOM.to_string()),
        ("2.0", SBOM.replace("4.17.20", "4.17.21")),
        ("3.0", SBOM.replace("pkg:npm/lodash@4.17.20", "pkg:npm/other@4.17.20")),
    ] {
        let f = env.write(&format!("sbom-{version}.json"), &sbom);
        env.ok(&["import", "sbom", "--product", "CAM-1", "--version", version, f.to_str().unwrap()]);
    }
    env.ok(&["import", "vulns", env.write("osv.json", OSV).to_str().unwrap(), "--feed-date", "2026-12-01"]);

    env.ok(&["advisory", "csaf", "--vuln", "GHSA-test-lodash", "--out", "advisory.json"]);
    env.ok(&["advisory", "csaf", "--vuln", "CVE-2026-11111", "--product", "CAM-1", "--vex", "--out", "vex.json"]);
    let read =
        |name: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(env.path(name)).unwrap()).unwrap() };
    let adv = read("advisory.json");
    let vex = read("vex.json");
    assert_eq!(adv["document"]["category"], "csaf_security_advisory");
    assert_eq!(vex["document"]["category"], "csaf_vex");
    for doc in [&adv, &vex] {
        let d = &doc["document"];
        assert_eq!(d["csaf_version"], "2.0");
        assert_eq!(
            (
                d["publisher"]["name"].as_str(),
                d["publisher"]["category"].as_str(),
                d["publisher"]["namespace"].as_str()
            ),
            (Some("ACME Devices GmbH"), Some("vendor"), Some("https://acme.example"))
        );
        assert_eq!(d["tracking"]["version"], "1");
        assert_eq!(d["tracking"]["revision_history"].as_array().unwrap().len(), 1);
        let v = &doc["vulnerabilities"][0];
        assert_eq!(v["cve"], "CVE-2026-11111");
        assert_eq!(v["ids"][0]["text"], "GHSA-test-lodash");
        assert_eq!(v["scores"][0]["cvss_v3"]["baseScore"].as_f64(), Some(9.8));
        let s = &v["product_status"];
        // Table: version -> status, as the SBOMs support it.
        for (status, id) in [
            ("known_affected", "CAM-1:1.0"),
            ("fixed", "CAM-1:2.0"),
            ("known_not_affected", "CAM-1:3.0"),
            ("under_investigation", "CAM-1:4.0"),
        ] {
            assert!(s[status].as_array().unwrap().iter().any(|x| x == id), "{status} {id}: {s:#}");
        }
        assert_eq!(v["remediations"][0]["category"], "vendor_fix");
        assert!(v["remediations"][0]["details"].as_str().unwrap().contains("Camera 2.0"), "{v:#}");
        assert_eq!(v["flags"][0]["label"], "component_not_present");
        // Every product id the vulnerability names is defined in the product tree.
        let tree = doc["product_tree"].to_string();
        for id in s.as_object().unwrap().values().flat_map(|l| l.as_array().unwrap()) {
            assert!(tree.contains(&format!("\"product_id\":{id}")), "{id} is not defined in the product tree");
        }
    }
    assert_eq!(adv["document"]["tracking"]["id"], "MSADESK-CVE-2026-11111");

    // Nothing changed: the revision history stays. A KEV listing changes the content: revision 2.
    env.ok(&["advisory", "csaf", "--vuln", "CVE-2026-11111", "--update", "advisory.json", "--out", "same.json"]);
    assert_eq!(read("same.json")["document"]["tracking"], adv["document"]["tracking"]);
    let kev = r#"{"title": "KEV", "catalogVersion": "1", "dateReleased": "2026-12-02T00:00:00Z", "count": 1,
      "vulnerabilities": [{"cveID": "CVE-2026-11111", "vendorProject": "lodash", "product": "lodash",
      "vulnerabilityName": "x", "dateAdded": "2026-12-02", "shortDescription": "x", "requiredAction": "x",
      "dueDate": "2026-12-23", "knownRansomwareCampaignUse": "Unknown", "notes": ""}]}"#;
    env.ok(&["import", "kev", env.write("kev.json", kev).to_str().unwrap()]);
    env.ok(&[
        "advisory",
        "csaf",
        "--vuln",
        "CVE-2026-11111",
        "--update",
        "advisory.json",
        "--revision-summary",
        "Exploited in the wild",
        "--out",
        "advisory2.json",
    ]);
    let adv2 = read("advisory2.json");
    let t = &adv2["document"]["tracking"];
    assert_eq!((t["id"].as_str(), t["version"].as_str()), (Some("MSADESK-CVE-2026-11111"), Some("2")));
    assert_eq!(t["revision_history"][1]["summary"], "Exploited in the wild");
    assert_eq!(t["initial_release_date"], adv["document"]["tracking"]["initial_release_date"]);
    assert!(adv2["vulnerabilities"][0]["threats"][0]["details"].as_str().unwrap().contains("CISA KEV"), "{adv2:#}");

    assert!(env.ok(&["advisory", "csaf", "--help"]).contains("Example"));
    if let Ok(dir) = std::env::var("MSADESK_CSAF_OUT") {
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["advisory.json", "vex.json", "advisory2.json"] {
            std::fs::copy(env.path(f), Path::new(&dir).join(f)).unwrap();
        }
    }
}

/// New SBOMs, vulnerability data, known-exploited listings and install base are assessed as they
/// arrive: new and changed results are recorded, officer decisions kept, "became aware" is the
/// first significant result, and a version that no longer matches gets an entry saying so.
#[test]
fn imports_reassess_what_changed() {
    let env = Env::sqlite();
    env.ok(&["init", "--name", "X", "--address", "Y", "--member-state", "AT", "--role", "importer"]);
    env.ok(&["import", "products", env.write("p.csv", PRODUCTS).to_str().unwrap()]);
    env.ok(&["import", "supply", env.write("s.csv", SUPPLY).to_str().unwrap()]);
    let sbom = env.write("cam.cdx.json", SBOM);
    let fixed = env.write("fixed.cdx.json", &SBOM.replace("4.17.20", "4.17.21"));
    let import_sbom =
        |f: &Path| env.json(&["import", "sbom", "--product", "CAM-1", "--version", "1.0", f.to_str().unwrap()]);
    let r = import_sbom(&sbom);
    assert_eq!(r["reassessment"]["new_affected"], 0, "no vulnerability data yet: {r:#}");

    // 7.5, integrity only, a fix exists: not significant under the default policy.
    let osv = OSV.replace("C:H/I:H/A:H", "C:N/I:H/A:N");
    let osv = env.write("osv.json", &osv);
    let import_vulns = || env.json(&["import", "vulns", osv.to_str().unwrap(), "--feed-date", "2026-12-01"]);
    let out = env.run(&["import", "vulns", osv.to_str().unwrap(), "--feed-date", "2026-12-01"]);
    assert!(
        stderr(&out).contains("1 new affected (product, version, vulnerability), 0 changed, 0 significant"),
        "{}",
        stderr(&out)
    );
    let r = import_vulns();
    let table = [("new_affected", 0), ("changed", 0), ("significant", 0), ("assessed", 1)];
    for (k, want) in table {
        assert_eq!(r["reassessment"][k], want, "{k}: {r:#}");
    }
    let a = env.json(&["assess", "--dry-run"]);
    assert_eq!((a[0]["significant"].as_bool(), a[0]["first_significant_at"].as_str()), (Some(false), None));

    // Listed as exploited: significant from now on, and that is when we became aware.
    let kev = r#"{"title": "KEV", "catalogVersion": "1", "dateReleased": "2026-12-02T00:00:00Z", "count": 1,
      "vulnerabilities": [{"cveID": "CVE-2026-11111", "vendorProject": "lodash", "product": "lodash",
      "vulnerabilityName": "x", "dateAdded": "2026-12-02", "shortDescription": "x", "requiredAction": "x",
      "dueDate": "2026-12-23", "knownRansomwareCampaignUse": "Unknown", "notes": ""}]}"#;
    let r = env.json(&["import", "kev", env.write("kev.json", kev).to_str().unwrap()]);
    assert_eq!((r["reassessment"]["changed"].as_u64(), r["reassessment"]["significant"].as_u64()), (Some(1), Some(1)));
    let a = env.json(&["assess", "--dry-run"]);
    let aware = a[0]["first_significant_at"].as_str().unwrap().to_string();
    assert_eq!(a[0]["significant"], true);
    assert!(a[0]["obligations"].as_array().unwrap().iter().any(|o| o["due"].is_string()), "{a:#}");

    // The officer's decision is kept through later imports (recorded only, here: the import applies it).
    env.ok(&[
        "decide",
        "--product",
        "CAM-1",
        "--version",
        "1.0",
        "--vuln",
        "CVE-2026-11111",
        "--significant",
        "false",
        "--reason",
        "not reachable",
        "--no-assess",
    ]);
    let r = import_vulns();
    assert_eq!((r["reassessment"]["changed"].as_u64(), r["reassessment"]["significant"].as_u64()), (Some(1), Some(0)));
    let a = env.json(&["assess", "--dry-run"]);
    assert_eq!(a[0]["significant"], false);
    assert_eq!(a[0]["first_significant_at"], aware.as_str(), "when we became aware does not move");

    // A fixed SBOM: the pair is recorded as no longer affected; nothing is deleted.
    let r = import_sbom(&fixed);
    assert_eq!(r["reassessment"]["assessed"], 0);
    let log = env.json(&["audit", "log", "--limit", "1"]);
    assert_eq!(log[0]["entity"], "risk_decision", "{log:#}");
    assert_eq!(env.json(&["assess", "--dry-run"]), serde_json::json!([]));
    let again = import_sbom(&fixed);
    assert_eq!(again["reassessment"]["assessed"], 0);
    assert_eq!(env.json(&["audit", "log", "--limit", "1"])[0]["entity"], "sbom", "no second 'no longer affected'");
    // Vulnerable again: a new affected pair; the officer's decision still applies.
    let r = import_sbom(&sbom);
    assert_eq!(r["reassessment"]["new_affected"], 1, "{r:#}");
    assert_eq!(env.json(&["assess", "--dry-run"])[0]["significant"], false);

    // The install base: assessed again for the versions named; --no-assess skips it.
    let d = env.write("d.csv", "product_id,version,member_state,instances,critical_sector\nCAM-1,1.0,FR,3,energy\n");
    let r = env.json(&["import", "deployments", d.to_str().unwrap()]);
    assert!(r["reassessment"]["assessed"].as_u64() == Some(1), "{r:#}");
    let r = env.json(&["import", "deployments", d.to_str().unwrap(), "--no-assess"]);
    assert!(r.get("reassessment").is_none(), "{r:#}");
}

/// Obligations listed with their status; overdue ones first; a notice recorded as sent closes one
/// and is audited.
#[test]
fn obligations_overdue_and_notices_sent() {
    let env = Env::sqlite();
    env.ok(&["init", "--name", "X", "--address", "Y", "--member-state", "AT", "--role", "importer"]);
    env.ok(&["import", "products", env.write("p.csv", PRODUCTS).to_str().unwrap()]);
    env.ok(&["import", "supply", env.write("s.csv", SUPPLY).to_str().unwrap()]);
    env.ok(&["import", "sbom", "--product", "CAM-1", "--version", "1.0", env.write("c.json", SBOM).to_str().unwrap()]);
    env.ok(&["import", "vulns", env.write("osv.json", OSV).to_str().unwrap()]);

    let all = env.json(&["obligations"]);
    let rows = all.as_array().unwrap();
    let got: Vec<(&str, &str, bool, &str, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["to"].as_str().unwrap(),
                r["what"].as_str().unwrap(),
                r["legal_duty"].as_bool().unwrap(),
                r["status"].as_str().unwrap(),
                r["overdue"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("manufacturer", "inform", true, "open", false),
            ("msa", "inform", true, "open", false),
            ("end_users", "inform", false, "open", false)
        ],
        "{all:#}"
    );
    assert_eq!(rows[1]["member_states"], serde_json::json!(["DE", "PL"]));
    assert!(rows[1]["due"].is_string() && rows[1]["basis"]["cite"] == "CRA Art 19(5)");
    assert_eq!(env.json(&["obligations", "--overdue"]), serde_json::json!([]));

    // Far in the future, the two legal duties are overdue; the recommendation never is.
    let later = ["obligations", "--overdue", "--as-of", "2099-01-01T00:00:00Z"];
    let overdue = env.json(&later);
    assert_eq!(overdue.as_array().unwrap().len(), 2, "{overdue:#}");
    let text = env.ok(&["obligations", "--as-of", "2099-01-01T00:00:00Z", "--format", "table"]);
    assert!(text.contains("OVERDUE"), "{text}");

    // Record the notice to the authorities: closed, audited, no longer overdue.
    let bad = env.run(&[
        "notice",
        "sent",
        "--product",
        "CAM-1",
        "--version",
        "1.0",
        "--vuln",
        "CVE-2026-11111",
        "--to",
        "csirt_enisa",
    ]);
    assert!(
        !bad.status.success() && stderr(&bad).contains("it has: manufacturer (inform), msa (inform)"),
        "{}",
        stderr(&bad)
    );
    let bad = env.run(&[
        "notice",
        "sent",
        "--product",
        "CAM-1",
        "--version",
        "1.0",
        "--vuln",
        "CVE-2026-11111",
        "--to",
        "msa",
        "--sent-at",
        "yesterday",
    ]);
    assert!(!bad.status.success() && stderr(&bad).contains("RFC 3339"), "{}", stderr(&bad));
    env.ok(&[
        "notice",
        "sent",
        "--product",
        "CAM-1",
        "--version",
        "1.0",
        "--vuln",
        "GHSA-test-lodash",
        "--to",
        "msa",
        "--sent-at",
        "2026-12-04T09:30:00+01:00",
        "--reference",
        "BNetzA-17",
    ]);
    assert_eq!(env.json(&["audit", "log", "--limit", "1"])[0]["entity"], "notice");
    let overdue = env.json(&later);
    assert_eq!(overdue.as_array().unwrap().len(), 1);
    assert_eq!(overdue[0]["to"], "manufacturer");
    let all = env.json(&["obligations", "--as-of", "2099-01-01T00:00:00Z"]);
    let msa = all.as_array().unwrap().iter().find(|r| r["to"] == "msa").unwrap();
    assert_eq!((msa["status"].as_str(), msa["overdue"].as_bool()), (Some("sent"), Some(false)));
    assert_eq!(msa["sent"]["sent_at"], "2026-12-04T08:30:00Z");
    assert_eq!(msa["sent"]["reference"], "BNetzA-17");
    assert_eq!(env.json(&["obligations", "--open"]).as_array().unwrap().len(), 2);
    assert!(env.ok(&["obligations", "--help"]).contains("Example"));
    assert!(env.ok(&["notice", "sent", "--help"]).contains("Example"));
}

/// `fetch vulns` downloads a feed over plain HTTP from a local server and imports it; error
/// statuses and a missing CA file are refused with what to do.
#[test]
fn fetch_vulns_over_plain_http() {
    use std::io::{Read, Write};
    let env = Env::sqlite();
    env.ok(&["init", "--name", "X", "--address", "Y", "--member-state", "AT", "--role", "importer"]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let answers = [
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{OSV}",
                OSV.len()
            ),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
        ];
        let mut requests = Vec::new();
        for answer in answers {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            requests.push(String::from_utf8_lossy(&buf[..n]).into_owned());
            s.write_all(answer.as_bytes()).unwrap();
        }
        requests
    });
    let url = format!("http://{addr}/osv/npm.json");
    let r = env.json(&["fetch", "vulns", "--url", &url, "--feed", "OSV npm"]);
    assert_eq!((r["new"].as_u64(), r["file"].as_str()), (Some(1), Some(url.as_str())), "{r:#}");
    let out = env.run(&["fetch", "vulns", "--url", &url]);
    assert!(!out.status.success() && stderr(&out).contains("404"), "{}", stderr(&out));
    let requests = server.join().unwrap();
    assert!(requests[0].starts_with("GET /osv/npm.json HTTP/1.1"), "{}", requests[0]);
    // HTTPS (the TLS handshake itself is tested in msadesk-server's fetch module): a missing CA
    // file is named with the option to fix, before anything is fetched.
    let out =
        env.run(&["fetch", "vulns", "--url", "https://127.0.0.1:9/feed.json", "--ca-file", "/nonexistent/ca.pem"]);
    assert!(!out.status.success() && stderr(&out).contains("--ca-file"), "{}", stderr(&out));
    let a = env.json(&["assess", "--vuln", "CVE-2026-11111", "--dry-run"]);
    assert_eq!(a, serde_json::json!([]), "no SBOM yet: nothing affected");
    assert!(env.ok(&["fetch", "vulns", "--help"]).contains("Example"));
}

#[test]
fn documentation_library_and_response_package_end_to_end() {
    let env = Env::sqlite();
    let p = env.write("products.csv", PRODUCTS);
    let s = env.write("supply.csv", SUPPLY);
    env.ok(&[
        "init",
        "--name",
        "ACME Import GmbH",
        "--address",
        "Hafen 1, Hamburg",
        "--member-state",
        "DE",
        "--role",
        "importer",
    ]);
    env.json(&["import", "products", p.to_str().unwrap()]);
    env.json(&["import", "supply", s.to_str().unwrap()]);

    // Gaps before any upload: both versions with events lack all three kinds.
    let gaps = env.json(&["doc", "gaps"]);
    assert_eq!(gaps.as_array().map(Vec::len), Some(2), "{gaps}");
    assert_eq!(gaps[0]["missing"], serde_json::json!(["doc", "technical_documentation", "sbom"]));

    env.write("DoC.pdf", "%PDF-1.4 first");
    let d1 = env.json(&["doc", "add", "--product", "CAM-1", "--version", "1.0", "--kind", "doc", "DoC.pdf"]);
    assert_eq!(d1["revision"], 1);
    assert_eq!(d1["media_type"], "application/pdf");
    // Importer: placing on the market 2024-02-29 + 10 years (later than the end of support).
    assert_eq!(d1["retention_until"], "2034-02-28");
    env.write("DoC.pdf", "%PDF-1.4 second");
    let d2 = env.json(&["doc", "add", "--product", "CAM-1", "--version", "1.0", "--kind", "doc", "DoC.pdf"]);
    assert_eq!(d2["revision"], 2);
    env.write("sbom.json", "{\"bomFormat\":\"CycloneDX\"}");
    env.json(&["doc", "add", "--product", "CAM-1", "--version", "1.0", "--kind", "sbom", "sbom.json"]);
    let list = env.json(&["doc", "list", "--product", "CAM-1"]);
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    env.ok(&["doc", "get", &d1["id"].to_string(), "--out", "old.pdf"]);
    assert_eq!(std::fs::read_to_string(env.path("old.pdf")).unwrap(), "%PDF-1.4 first");
    let gaps = env.json(&["doc", "gaps", "--product", "CAM-1"]);
    assert_eq!(gaps[0]["missing"], serde_json::json!(["technical_documentation"]), "{gaps}");
    // Too large, unknown kind, unknown version: refused with what to do.
    let o = env.run(&[
        "doc",
        "add",
        "--product",
        "CAM-1",
        "--version",
        "1.0",
        "--kind",
        "doc",
        "DoC.pdf",
        "--max-bytes",
        "3",
    ]);
    assert!(!o.status.success() && stderr(&o).contains("--max-bytes"), "{}", stderr(&o));
    let o = env.run(&["doc", "add", "--product", "CAM-1", "--version", "1.0", "--kind", "manual", "DoC.pdf"]);
    assert!(!o.status.success() && stderr(&o).contains("technical_documentation"), "{}", stderr(&o));
    let o = env.run(&["doc", "add", "--product", "CAM-1", "--version", "9.9", "--kind", "doc", "DoC.pdf"]);
    assert!(!o.status.success() && stderr(&o).contains("no version 9.9"), "{}", stderr(&o));

    let r = env.json(&[
        "request",
        "add",
        "--authority",
        "de-bnetza",
        "--reference",
        "BNetzA-7",
        "--received",
        "2026-12-03T16:30",
        "--due-days",
        "10",
        "--product",
        "CAM-1",
        "--version",
        "1.0",
        "--asks",
        "trace,documents,sbom",
    ]);
    let id = r["id"].to_string();
    let o = env.run(&["request", "package", &id, "--out", "r.zip"]);
    assert!(!o.status.success() && stderr(&o).contains("request ack"), "{}", stderr(&o));
    env.ok(&["request", "ack", &id]);
    let built = env.json(&["request", "package", &id, "--out", "r.zip"]);
    assert_eq!(built["number"], 1);
    let files: Vec<&str> = built["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    for f in [
        "cover-letter-en.html",
        "cover-letter-en.pdf",
        "cover-letter-de.html",
        "cover-letter-de.pdf",
        "trace/report.pdf",
        "trace/identification.json",
        "trace/identification.csv",
        "trace/epcis.json",
        "trace/report.html",
        "documents/1.0/doc/DoC.pdf",
        "documents/1.0/sbom/sbom.json",
        "readiness.json",
        "readiness.pdf",
    ] {
        assert!(files.contains(&f), "{f} missing from {files:?}");
    }
    let public = env.ok(&["key", "export"]).trim().to_string();
    let v = env.json(&["verify", "r.zip", "--key", &public]);
    assert_eq!(v["ok"], true);
    // The cover letter says what is missing; the current DoC (second revision) is the one sent.
    let zip = std::fs::read(env.path("r.zip")).unwrap();
    let text = String::from_utf8_lossy(&zip);
    assert!(text.contains("Technical documentation for version 1.0"));
    assert!(text.contains("%PDF-1.4 second") && !text.contains("%PDF-1.4 first"));
    assert!(text.contains("Müller Handel GmbH"));
    // Our readiness report as it stood when the package was built (entries are stored, not compressed).
    assert!(text.contains("\"schema_version\": 1") && text.contains("\"id\": \"corrective_actions.overdue\""));

    // Stored exactly: the download is byte-identical; sending records the package.
    env.ok(&["request", "package", &id, "--download", "1", "--out", "again.zip"]);
    assert_eq!(std::fs::read(env.path("again.zip")).unwrap(), zip);
    let unsent = env.json(&["request", "show", &id]);
    assert!(
        unsent["packages"][0]["sent_at"].is_null() && unsent["inspector_grants"] == serde_json::json!([]),
        "{unsent}"
    );
    let sent = env.json(&["request", "sent", &id]);
    let sent = if sent.is_array() { sent[0].clone() } else { sent };
    let note = sent["timeline"].as_array().unwrap().last().unwrap()["note"].as_str().unwrap().to_string();
    assert!(note.contains("package #1") && note.contains(built["sha256"].as_str().unwrap()), "{note}");

    // `request show` lists the packages (sent or not) and the inspector grants.
    let shared = env.json(&["request", "share", &id, "--days", "7"]);
    let show = env.json(&["request", "show", &id]);
    let packages = show["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 1, "{show}");
    assert_eq!((packages[0]["number"].as_i64(), &packages[0]["sha256"]), (Some(1), &built["sha256"]));
    assert!(packages[0]["sent_at"].is_string() && packages[0]["built_at"].is_string(), "{show}");
    let grants = show["inspector_grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1, "{show}");
    assert_eq!(grants[0]["token_id"], shared["token_id"]);
    assert_eq!((grants[0]["revoked"].as_bool(), grants[0]["expired"].as_bool()), (Some(false), Some(false)));
    assert_eq!(grants[0]["expires_at"], shared["expires_at"]);
    assert_eq!(show["id"].to_string(), id, "the request's own fields stay at the top level");
    env.ok(&["request", "unshare", &id]);
    let show = env.json(&["request", "show", &id]);
    assert_eq!(show["inspector_grants"][0]["revoked"], true, "{show}");
    let table = env.ok(&["request", "show", &id, "--format", "table"]);
    assert!(
        table.contains("#1") && table.contains(built["sha256"].as_str().unwrap()) && table.contains("revoked"),
        "{table}"
    );
    let audit = env.json(&["audit", "log", "--entity", "response_packages"]);
    assert_eq!(audit.as_array().map(Vec::len), Some(1));
    assert!(env.run(&["audit", "verify"]).status.success());
}

fn check_status(r: &Value, id: &str) -> String {
    let c = r["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}"));
    c["status"].as_str().unwrap().to_string()
}

#[test]
fn readiness_on_the_demo_is_a_mix_and_fixing_a_gap_turns_it_ok_at_once() {
    let env = Env::sqlite();
    env.ok(&["demo", "--events", "800"]);
    let r = env.json(&["report", "readiness"]);
    assert_eq!(r["schema_version"], 1);
    let (ok, gap) = (r["summary"]["ok"].as_u64().unwrap(), r["summary"]["gap"].as_u64().unwrap());
    assert!(ok >= 5 && gap >= 3, "a realistic mix: {}", r["summary"]);
    for (id, want) in [
        ("identity.contact", "ok"),
        ("traceability.master_data", "ok"),
        ("traceability.trace_time", "ok"),
        ("evidence.audit_chain", "ok"),
        ("authorities.directory", "gap"),
        ("vulnerabilities.sbom", "gap"),
        ("evidence.backup", "gap"),
        ("requests.acknowledged", "ok"),
        ("requests.deadlines", "gap"),
        ("vulnerabilities.open_assessments", "not_applicable"),
    ] {
        assert_eq!(check_status(&r, id), want, "{id}");
    }
    let sbom = r["checks"].as_array().unwrap().iter().find(|c| c["id"] == "vulnerabilities.sbom").unwrap();
    assert_eq!(sbom["penalty_tier"]["tier"], "64(3)", "an importer's duty: {sbom}");
    assert!(sbom["fix"].as_str().unwrap().contains("msadesk import sbom --product"), "{sbom}");
    let held = &r["figures"]["supply_records"];
    assert_eq!(held["total"].as_u64(), Some(800));
    assert!(held["expired"].as_u64().unwrap() > 0, "the demo starts in 2016: {held}");
    assert_eq!(r["trends"].as_array().unwrap().len(), 5);
    assert_eq!(r["figures"]["requests"]["total"], 6, "the demo's requests from authorities");
    let received: f64 = r["trends"][0]["months"].as_array().unwrap().iter().map(|m| m["value"].as_f64().unwrap()).sum();
    assert!(received >= 1.0, "the trend of requests has data: {}", r["trends"][0]);

    // Corrective actions: not applicable until one is recorded; overdue once past its due date and
    // not completed; below its effectiveness level once its recipients are notified and none answered.
    assert_eq!(check_status(&r, "corrective_actions.overdue"), "not_applicable");
    env.ok(&[
        "action",
        "add",
        "--type",
        "update",
        "--product",
        "SH-CAM-200",
        "--voluntary",
        "--received",
        "2026-11-02",
        "--due",
        "2026-11-30",
        "--level",
        "A",
    ]);
    let at = |now: &str| env.json(&["report", "readiness", "--now", now]);
    let r = at("2026-11-20T10:00:00Z");
    assert_eq!(check_status(&r, "corrective_actions.overdue"), "ok");
    assert_eq!(check_status(&r, "corrective_actions.effectiveness"), "not_applicable");
    env.ok(&["action", "advance", "1", "--to", "acknowledged"]);
    env.ok(&["action", "notify", "1"]);
    let r = at("2026-12-04T10:00:00Z");
    assert_eq!(check_status(&r, "corrective_actions.overdue"), "gap");
    assert_eq!(check_status(&r, "corrective_actions.effectiveness"), "gap");
    assert_eq!(r["figures"]["actions"]["overdue"], 1, "{}", r["figures"]);
    assert_eq!(r["figures"]["actions"]["effectiveness_not_met"], 1, "{}", r["figures"]);

    // Fixing gaps, each turns its check ok at once.
    env.ok(&["backup", "b1.db"]);
    let missing: Vec<String> = {
        let c = r["checks"].as_array().unwrap().iter().find(|c| c["id"] == "authorities.directory").unwrap();
        c["evidence"]["items"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()[..2].to_string()).collect()
    };
    assert!(!missing.is_empty());
    for cc in &missing {
        let id = format!("{}-msa", cc.to_lowercase());
        env.ok(&[
            "authority",
            "add",
            "--id",
            &id,
            "--country",
            cc,
            "--name",
            "Authority",
            "--time-zone",
            "Europe/Brussels",
            "--source",
            "test",
        ]);
    }
    let r = env.json(&["report", "readiness"]);
    assert_eq!(check_status(&r, "evidence.backup"), "ok");
    assert_eq!(check_status(&r, "authorities.directory"), "ok");
    // The new entries name no language: their Member State's is assumed, and some have no letter
    // template; recording that the authority accepts English closes the gap.
    assert_eq!(check_status(&r, "authorities.letter_languages"), "gap");
    let c = r["checks"].as_array().unwrap().iter().find(|c| c["id"] == "authorities.letter_languages").unwrap();
    assert!(c["fix"].as_str().unwrap().contains("msadesk authority edit"), "{c}");
    for item in c["evidence"]["items"].as_array().unwrap() {
        let id = item.as_str().unwrap().split(" (").next().unwrap();
        env.ok(&["authority", "edit", id, "--languages", "en"]);
    }
    assert_eq!(check_status(&env.json(&["report", "readiness"]), "authorities.letter_languages"), "ok");
    env.ok(&["request", "extend", "6", "--due", "2099-01-15"]);
    assert_eq!(check_status(&env.json(&["report", "readiness"]), "requests.deadlines"), "ok");

    // A generic mailbox and no named person: a gap, with the init command that fixes it; run it.
    env.ok(&[
        "init",
        "--name",
        "Nordlicht GmbH",
        "--address",
        "Hafenstraße 12, 20457 Hamburg",
        "--member-state",
        "DE",
        "--role",
        "importer",
        "--email",
        "info@nordlicht.example",
    ]);
    let r = env.json(&["report", "readiness"]);
    assert_eq!(check_status(&r, "identity.contact"), "gap");
    let c = r["checks"].as_array().unwrap().iter().find(|c| c["id"] == "identity.contact").unwrap();
    assert!(c["fix"].as_str().unwrap().contains("msadesk init --name 'Nordlicht GmbH'"), "{c}");
    env.ok(&[
        "init",
        "--name",
        "Nordlicht GmbH",
        "--address",
        "Hafenstraße 12, 20457 Hamburg",
        "--member-state",
        "DE",
        "--role",
        "importer",
        "--contact-person",
        "Jana Novák",
        "--email",
        "jana.novak@nordlicht.example",
    ]);
    assert_eq!(check_status(&env.json(&["report", "readiness"]), "identity.contact"), "ok");

    // The table names every check; --fail-on-gap exits 1 while gaps remain.
    let table = env.ok(&["report", "readiness", "--format", "table"]);
    for id in ["identity.operator", "vulnerabilities.feeds", "evidence.retention_run"] {
        assert!(table.contains(id), "{id} in\n{table}");
    }
    let out = env.run(&["report", "readiness", "--fail-on-gap", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    // A policy file: a trace allowance of 0 ms always fails; unknown fields are refused.
    let policy: Value = serde_json::from_str(&env.ok(&["report", "readiness", "--show-policy"])).unwrap();
    assert_eq!(policy["trace_max_ms"], 1000);
    let strict = env.write("strict.json", r#"{"trace_max_ms": 0}"#);
    let r = env.json(&["report", "readiness", "--policy", strict.to_str().unwrap()]);
    assert_eq!(
        (check_status(&r, "traceability.trace_time").as_str(), r["policy"]["trace_max_ms"].as_u64()),
        ("gap", Some(0))
    );
    assert_eq!(r["policy"]["feed_max_age_days"], 7, "missing fields keep their default");
    let bad = env.write("bad.json", r#"{"trace_max": 5}"#);
    let out = env.run(&["report", "readiness", "--policy", bad.to_str().unwrap()]);
    assert!(!out.status.success() && stderr(&out).contains("unknown field"), "{}", stderr(&out));
    let out = env.run(&["report", "readiness", "--now", "yesterday"]);
    assert!(!out.status.success() && stderr(&out).contains("RFC 3339"), "{}", stderr(&out));
}

#[test]
fn readiness_pdf_turns_into_png_pages() {
    let have = |tool: &str| Command::new(tool).arg("-v").output().is_ok();
    if !have("pdftoppm") {
        // CI installs poppler-utils (ci/readiness-pdf.sh); a developer machine may not have it.
        assert!(std::env::var("CI").is_err(), "pdftoppm (Debian poppler-utils) is needed in CI");
        eprintln!("skipped: pdftoppm not found (apt-get install poppler-utils)");
        return;
    }
    let env = Env::sqlite();
    env.ok(&["demo", "--events", "500"]);
    env.ok(&["report", "readiness", "--format", "pdf", "--out", "r.pdf"]);
    let html = env.ok(&["report", "readiness", "--format", "html"]);
    assert!(html.contains("<html") && html.contains("identity.contact"), "standalone HTML");
    let pdf = std::fs::read(env.path("r.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let out = Command::new("pdftoppm")
        .args(["-png", "-r", "40"])
        .arg(env.path("r.pdf"))
        .arg(env.path("page"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pngs: Vec<PathBuf> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name().unwrap().to_string_lossy().starts_with("page") && p.extension().is_some_and(|x| x == "png")
        })
        .collect();
    assert!(pngs.len() >= 2, "{} pages", pngs.len());
    for p in &pngs {
        let bytes = std::fs::read(p).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 2000, "{} is a real PNG page", p.display());
    }
    let text = Command::new("pdftotext").arg(env.path("r.pdf")).arg("-").output().unwrap();
    let text: String = String::from_utf8_lossy(&text.stdout).split_whitespace().collect();
    for id in ["identity.contact", "evidence.backup", "requests.deadlines"] {
        assert!(text.contains(id), "{id} in the PDF text");
    }
}
