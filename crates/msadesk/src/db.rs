//! Choosing and opening the store from a database URL.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use msadesk_store::Store;

/// The database URL used when neither `--database` nor `MSADESK_DATABASE` is given.
pub const DEFAULT_DATABASE: &str = "sqlite:msadesk.db";

/// Which engine a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

/// Parses `sqlite:PATH`, `sqlite://PATH` (`sqlite:///abs/path` for an absolute path) or
/// `postgres://…` / `postgresql://…`.
pub fn parse_url(url: &str) -> Result<Target> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres(url.to_string()));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        // Query parameters (`?mode=rwc`) are accepted for compatibility and ignored.
        let path = rest.split('?').next().unwrap_or("");
        if path.is_empty() {
            bail!("database URL '{url}' names no file: use sqlite:PATH, for example sqlite:msadesk.db");
        }
        return Ok(Target::Sqlite(PathBuf::from(path)));
    }
    bail!(
        "database URL '{url}' is not understood: use sqlite:PATH (the default is {DEFAULT_DATABASE}) or postgres://USER@HOST:PORT/DB"
    )
}

/// A URL with any password replaced, for messages and logs.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Opens (creating and migrating if needed) the store a URL names.
pub fn open(url: &str) -> Result<Box<dyn Store>> {
    match parse_url(url)? {
        Target::Sqlite(path) => {
            let store = msadesk_store_sqlite::SqliteStore::open(&path)
                .with_context(|| format!("cannot open the SQLite database {}", path.display()))?;
            Ok(Box::new(store))
        }
        Target::Postgres(url) => {
            let store = msadesk_store_postgres::PostgresStore::open(&url).with_context(|| {
                format!(
                    "cannot open the PostgreSQL database {}: is the server running and the database created?",
                    redacted(&url)
                )
            })?;
            Ok(Box::new(store))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("sqlite:msadesk.db").unwrap(), Target::Sqlite("msadesk.db".into()));
        assert_eq!(parse_url("sqlite://data/x.db").unwrap(), Target::Sqlite("data/x.db".into()));
        assert_eq!(parse_url("sqlite:///var/lib/x.db?mode=rwc").unwrap(), Target::Sqlite("/var/lib/x.db".into()));
        assert!(matches!(parse_url("postgres://u@h/db").unwrap(), Target::Postgres(_)));
        assert!(parse_url("mysql://x").is_err());
        assert!(parse_url("sqlite:").is_err());
        assert_eq!(redacted("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redacted("postgres://u@h/db"), "postgres://u@h/db");
    }
}
