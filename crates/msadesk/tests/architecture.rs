//! The dependency rules of ARCHITECTURE.md, checked mechanically from `cargo metadata`.

use std::collections::BTreeMap;
use std::process::Command;

fn dependencies() -> BTreeMap<String, Vec<String>> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let mut map = BTreeMap::new();
    for p in meta["packages"].as_array().expect("packages") {
        let deps = p["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].is_null()) // normal dependencies; dev-dependencies may differ
            .map(|d| d["name"].as_str().expect("name").to_string())
            .collect();
        map.insert(p["name"].as_str().expect("name").to_string(), deps);
    }
    map
}

/// Database drivers: only the engine crates may use them.
const IO_CRATES: &[&str] = &["rusqlite", "postgres", "tokio-postgres", "sqlx", "libsqlite3-sys"];

/// HTTP and the async runtime: only the server crate, and the binary that starts it.
const HTTP_CRATES: &[&str] = &["axum", "hyper", "tower", "tower-http", "reqwest", "tokio", "askama"];

/// Parsers the core may use besides the list in `the_core_is_pure`: they do no I/O, so the core can
/// compute CVSS scores and read package URLs itself and every decision stays a function of its inputs.
const PURE_PARSERS: &[&str] = &["cvss", "packageurl"];

#[test]
fn the_core_is_pure() {
    let deps = dependencies();
    let core = &deps["msadesk-core"];
    let allowed = ["jiff", "serde", "serde_json", "sha2", "thiserror"];
    for d in core {
        assert!(
            allowed.contains(&d.as_str()) || PURE_PARSERS.contains(&d.as_str()),
            "msadesk-core must stay free of I/O: it depends on {d}"
        );
    }
}

#[test]
fn only_engines_know_sql_and_only_the_binary_picks_an_engine() {
    let deps = dependencies();
    for (krate, list) in &deps {
        let is_engine = krate.starts_with("msadesk-store-");
        for d in list {
            if IO_CRATES.contains(&d.as_str()) {
                assert!(is_engine, "{krate} depends on {d}: only the engine crates may talk to a database");
            }
            if d.starts_with("msadesk-store-") {
                assert_eq!(krate, "msadesk", "{krate} depends on the engine {d}: only the binary chooses engines");
            }
        }
    }
    for lib in ["msadesk-formats", "msadesk-store", "msadesk-server"] {
        assert!(!deps[lib].iter().any(|d| d == "msadesk"), "{lib} must not depend on the binary");
    }
}

#[test]
fn only_the_server_knows_http() {
    let deps = dependencies();
    for (krate, list) in &deps {
        for d in list {
            if HTTP_CRATES.contains(&d.as_str()) {
                assert!(
                    krate == "msadesk-server" || (krate == "msadesk" && d == "tokio"),
                    "{krate} depends on {d}: only msadesk-server knows HTTP (the binary may start its runtime)"
                );
            }
        }
    }
    assert!(
        !deps["msadesk-server"].iter().any(|d| IO_CRATES.contains(&d.as_str()) || d.starts_with("msadesk-store-")),
        "msadesk-server must reach the database through the Store trait only"
    );
}
