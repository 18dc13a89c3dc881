//! Forward-only schema migrations, embedded in the binary.
//!
//! Each file in `migrations/` is applied once, in order, and recorded in `schema_migrations`. An
//! applied migration is never edited; a change to the schema is a new file. All pending migrations
//! are applied in one transaction under an advisory lock, so two processes that open the same
//! database at once do not both try to create the tables: the second waits, then finds them there.

use msadesk_store::StoreError;
use postgres::Client;

use crate::error::{During, col};

/// The migrations, by version. Append only.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_registry.sql")),
    (2, include_str!("../migrations/0002_evidence.sql")),
    (3, include_str!("../migrations/0003_auth.sql")),
    (4, include_str!("../migrations/0004_inbox.sql")),
    (5, include_str!("../migrations/0005_risk.sql")),
    (6, include_str!("../migrations/0006_library.sql")),
    (8, include_str!("../migrations/0008_notices.sql")),
    (9, include_str!("../migrations/0009_letters.sql")),
    (10, include_str!("../migrations/0010_action.sql")),
    (11, include_str!("../migrations/0011_impact.sql")),
    (12, include_str!("../migrations/0012_component_keys.sql")),
];

/// The first key of the advisory lock msadesk takes while migrating ("msad" in ASCII); the second key
/// is a hash of the schema name, so that migrations of different schemas do not wait for each other.
const MIGRATION_LOCK: i32 = 0x6d73_6164;

/// The schema version this build understands.
pub(crate) fn supported_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Brings the schema of the connection's current schema up to date. Returns the versions applied.
pub(crate) fn migrate(client: &mut Client) -> Result<Vec<i32>, StoreError> {
    let mut tx = client.transaction().during("starting the migration")?;
    // The lock is released by the end of the transaction, whatever happens.
    tx.execute("SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))", &[&MIGRATION_LOCK])
        .during("waiting for another process's migration")?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .during("creating the schema_migrations table")?;
    let row = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])
        .during("reading the schema version")?;
    let current: i32 = col(&row, 0)?;
    let supported = supported_version();
    if current > supported {
        return Err(StoreError::SchemaTooNew { found: i64::from(current), supported: i64::from(supported) });
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql).during(&format!("applying migration {version}"))?;
        tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())", &[version])
            .during(&format!("recording migration {version}"))?;
        if *version == 2 {
            crate::evidence::adopt_legacy_events(&mut tx)?;
        }
        if *version == 4 {
            crate::inbox::seed(&mut tx)?;
        }
        if *version == 12 {
            crate::risk::fill_component_keys(&mut tx)?;
        }
        applied.push(*version);
    }
    tx.commit().during("committing the migration")?;
    Ok(applied)
}
