//! `msadesk serve`, `msadesk token …` and `msadesk user …`: the binary's side of the server. The
//! server crate never picks an engine; here the database URL becomes the store factory it is given.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use msadesk_core::Date;
use msadesk_server::{AppState, Config, StoreFactory};
use msadesk_store::{Role, StoreError};

use crate::cli::{load_demo, meta, print_json};
use crate::db;
use crate::output::{self, Format};

/// The demo's size when `serve --demo` loads it.
const DEMO_EVENTS: u64 = 5000;
const DEMO_SEED: u64 = 2847;

pub fn serve(url: &str, listen: String, demo: bool, secure_cookies: bool) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    if demo && store.counts()?.supply_events == 0 {
        load_demo(store.as_mut(), url, DEMO_EVENTS, DEMO_SEED)?;
    }
    if store.users()?.is_empty() {
        let password = msadesk_server::auth::generate_password();
        msadesk_server::auth::add_user(store.as_mut(), "admin", Role::Admin, &password, &meta(None))?;
        // Shown this once, on the terminal of whoever started the server; only the hash is stored.
        eprintln!("Created the administrator account. Log in as user 'admin' with password: {password}");
        eprintln!("(Add more users with `msadesk user add NAME --role officer`.)");
    }
    drop(store);
    let owned = url.to_string();
    let factory: StoreFactory = Arc::new(move || db::open(&owned).map_err(|e| StoreError::Backend(format!("{e:#}"))));
    let signing_key = crate::keys::for_server(url).map(|k| msadesk_server::SigningKeyHandle(Arc::new(k)));
    let max_document_bytes = std::env::var("MSADESK_MAX_DOCUMENT_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(msadesk_server::DEFAULT_MAX_DOCUMENT_BYTES);
    let config = Config { secure_cookies, signing_key, max_document_bytes, ..Config::default() };
    let state = AppState::new(factory, config);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| {
            format!("cannot listen on {listen}: is another program using that port? Try --listen 127.0.0.1:0")
        })?;
        let addr = listener.local_addr()?;
        eprintln!("msadesk listening on http://{addr} ({}) — stop with Ctrl-C", db::redacted(url));
        msadesk_server::serve(listener, state, msadesk_server::shutdown_signal()).await?;
        eprintln!("msadesk stopped: requests in flight were answered");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).map_err(|e| anyhow!("--role: {e}"))
}

pub fn token_create(url: &str, role: &str, name: &str, expires: Option<&str>) -> Result<ExitCode> {
    let role = parse_role(role)?;
    let expires = expires.map(|e| Date::parse(e).map_err(|err| anyhow!("--expires: {err}"))).transpose()?;
    let today = Date::from_unix_seconds(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0)),
    );
    if let Some(d) = expires
        && d < today
    {
        bail!("--expires: {d} has passed: give today ({today}) or a later day");
    }
    let expires_at = expires.map(|d| format!("{}T00:00:00Z", d.plus_days(1)));
    let (token, secret) = msadesk_server::auth::new_token(name, role, expires_at);
    let mut store = db::open(url)?;
    store.create_token(&token, &meta(None))?;
    eprintln!("created token {} ({role}); it is shown once, below:", token.id);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{secret}")?;
    Ok(ExitCode::SUCCESS)
}

pub fn token_list(url: &str, format: Format) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    let tokens = store.tokens()?;
    if format == Format::Json {
        print_json(&tokens)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = output::table(&["id", "name", "role", "created", "expires", "last used", "status"]);
    for k in &tokens {
        t.add_row(vec![
            k.id.clone(),
            k.name.clone(),
            k.role.to_string(),
            k.created_at.clone(),
            k.expires_at.clone().unwrap_or_else(|| "—".into()),
            k.last_used_at.clone().unwrap_or_else(|| "never".into()),
            if k.revoked { "revoked".into() } else { "active".into() },
        ]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}

pub fn token_revoke(url: &str, id: &str) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    if !store.revoke_token(id, &meta(None))? {
        bail!("there is no token '{id}': `msadesk token list` shows the ids");
    }
    eprintln!("revoked {id}");
    Ok(ExitCode::SUCCESS)
}

pub fn user_add(url: &str, name: &str, role: &str, password_stdin: bool) -> Result<ExitCode> {
    let role = parse_role(role)?;
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
        let p = line.trim_end_matches(['\r', '\n']).to_string();
        if p.chars().count() < 12 {
            bail!("the password must have at least 12 characters");
        }
        (p, false)
    } else {
        (msadesk_server::auth::generate_password(), true)
    };
    let mut store = db::open(url)?;
    msadesk_server::auth::add_user(store.as_mut(), name, role, &password, &meta(None))?;
    if generated {
        eprintln!("added user '{name}' ({role}); the password is shown once, below:");
        println!("{password}");
    } else {
        eprintln!("added user '{name}' ({role})");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn user_list(url: &str, format: Format) -> Result<ExitCode> {
    let mut store = db::open(url)?;
    let users = store.users()?;
    if format == Format::Json {
        print_json(&users)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = output::table(&["user", "role", "created", "status"]);
    for u in &users {
        t.add_row(vec![
            u.name.clone(),
            u.role.to_string(),
            u.created_at.clone(),
            if u.disabled { "disabled".into() } else { "active".into() },
        ]);
    }
    println!("{t}");
    Ok(ExitCode::SUCCESS)
}
