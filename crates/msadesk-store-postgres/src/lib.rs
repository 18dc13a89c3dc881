//! msadesk-store-postgres: the PostgreSQL engine of msadesk, for deployments that outgrow one
//! machine.
//!
//! [`PostgresStore`] implements [`msadesk_store::Store`] over one synchronous connection (the
//! `postgres` crate, without TLS) and passes the same conformance suite as the SQLite engine. This
//! crate owns its schema: the forward-only migrations in `migrations/`, applied when a store is
//! opened (module `migrate`). It knows SQL and nothing about HTTP, files or formats.
//!
//! Where to look:
//! - `supply` — the bulk import of supply events (COPY into a staging table, one set-based insert);
//! - `products` — the row-by-row import of product master data;
//! - `party` — counterparty snapshots and the operator list;
//! - `audit` — the audit hash chain, appended in the transaction of each change;
//! - `read` — everything that reads (identity, listings, traces);
//! - `copy` — the COPY text format; `error` — how PostgreSQL errors become `StoreError`s.
//!
//! Architecture invariant: values only ever reach SQL as bind parameters or, for COPY, through
//! `copy::push_text`'s escaping. The few statements assembled at run time (creating and dropping a
//! schema, rebuilding indexes after a first load) are written by the server itself, with
//! `format('%I', …)`, `pg_get_indexdef` and `pg_get_constraintdef`.

#![forbid(unsafe_code)]

mod action;
mod audit;
mod auth;
mod copy;
mod error;
mod evidence;
mod generation;
mod impact;
mod inbox;
mod letters;
mod library;
mod migrate;
mod notice;
mod party;
mod products;
mod read;
mod readiness;
mod risk;
mod supply;

use msadesk_core::Date;
use msadesk_core::audit::{AuditEntry, Coverage};
use msadesk_core::retention::{Hold, HoldScope};
use msadesk_core::trace::{Trace, TraceQuery};
use msadesk_core::{Email, Gln, OwnIdentity, Party, Product, ProductId, ProductRecord, ProductVersion, SupplyEvent};
use msadesk_store::{ChangeMeta, Counts, ImportStats, RetentionReport, RowSource, Store, StoreError};
use postgres::{Client, NoTls};

use crate::error::{During, col, describe};

/// The registry in a PostgreSQL database (or in one schema of it).
pub struct PostgresStore {
    client: Client,
    /// The schema the connection's `search_path` is set to, when opened in one.
    schema: Option<String>,
    /// Drop `schema` when the store is dropped (a scratch store for tests and benchmarks).
    drop_schema: bool,
}

impl std::fmt::Debug for PostgresStore {
    // The connection URL may hold a password, and the client keeps its configuration: show only
    // the schema.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .field("scratch", &self.drop_schema)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`, or the key=value form) and
    /// brings the schema up to date. Tables are created in the connection's default schema (usually
    /// `public`).
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut store = Self::connect(url)?;
        store.migrate()?;
        Ok(store)
    }

    /// Like [`open`](Self::open), inside `schema`: the schema is created if missing and becomes the
    /// connection's `search_path`, so one database can hold several registries.
    pub fn open_in_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        let mut store = Self::connect(url)?;
        store.use_schema(schema)?;
        store.migrate()?;
        Ok(store)
    }

    /// A store in a new schema with a random name, dropped (with everything in it) when the store
    /// is dropped. For tests and benchmarks, which can then run in parallel against one database
    /// without leaving anything behind.
    pub fn open_scratch(url: &str) -> Result<Self, StoreError> {
        let mut store = Self::connect(url)?;
        let row = store
            .client
            .query_one(
                "SELECT 'msadesk_scratch_' || substr(md5(random()::text || clock_timestamp()::text || pg_backend_pid()::text), 1, 16)",
                &[],
            )
            .during("naming a scratch schema")?;
        let schema: String = col(&row, 0)?;
        // From here on, dropping the store drops the schema, even if the migration below fails.
        store.drop_schema = true;
        store.use_schema(&schema)?;
        store.migrate()?;
        Ok(store)
    }

    /// The schema this store was opened in, if it was opened in one.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    fn connect(url: &str) -> Result<Self, StoreError> {
        // The URL is not repeated in the message: it may contain a password.
        let mut client = Client::connect(url, NoTls)
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {}", describe(&e))))?;
        // Dates are read back as text (`::text`), which must be YYYY-MM-DD whatever the server's
        // default DateStyle is.
        client.batch_execute("SET DateStyle = 'ISO, YMD'").during("configuring the connection")?;
        Ok(PostgresStore { client, schema: None, drop_schema: false })
    }

    fn use_schema(&mut self, schema: &str) -> Result<(), StoreError> {
        if schema.is_empty() || schema.len() > 63 {
            return Err(StoreError::Backend(format!("'{schema}' is not a usable schema name: expected 1 to 63 bytes")));
        }
        self.schema = Some(schema.to_string());
        let create =
            server_quoted(&mut self.client, "SELECT format('CREATE SCHEMA IF NOT EXISTS %I', $1::text)", schema)?;
        if let Err(e) = self.client.batch_execute(&create) {
            // Two processes creating the same schema at once: one of them loses the race on the
            // catalog's unique index even with IF NOT EXISTS. The schema exists either way.
            let raced = e.code().is_some_and(|c| {
                *c == postgres::error::SqlState::UNIQUE_VIOLATION || *c == postgres::error::SqlState::DUPLICATE_SCHEMA
            });
            if !raced {
                return Err(error::to_store_error(&format!("creating schema '{schema}'"), &e));
            }
        }
        self.client
            .execute("SELECT set_config('search_path', quote_ident($1::text), false)", &[&schema])
            .during(&format!("selecting schema '{schema}'"))?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        migrate::migrate(&mut self.client).map(|_| ())
    }
}

/// Runs a query that builds a statement with `format('%I', …)` on the server, so that an identifier
/// is quoted by PostgreSQL's own rules rather than by string handling here.
fn server_quoted(client: &mut Client, sql: &str, identifier: &str) -> Result<String, StoreError> {
    let row = client.query_one(sql, &[&identifier]).during("quoting an identifier")?;
    col(&row, 0)
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        if !self.drop_schema {
            return;
        }
        let Some(schema) = self.schema.clone() else {
            return;
        };
        let dropped =
            server_quoted(&mut self.client, "SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', $1::text)", &schema)
                .and_then(|sql| self.client.batch_execute(&sql).during("dropping the scratch schema"));
        if let Err(e) = dropped {
            // Drop cannot return an error; a scratch schema left behind should at least be visible.
            eprintln!("msadesk-store-postgres: scratch schema {schema} was not dropped: {e}");
        }
    }
}

impl Store for PostgresStore {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    fn set_identity(&mut self, identity: &OwnIdentity, meta: &ChangeMeta) -> Result<(), StoreError> {
        let mut tx = self.client.transaction().during("starting to set the identity")?;
        let tail = audit::lock(&mut tx)?;
        tx.execute(
            "INSERT INTO own_identity (singleton, name, address, member_state, contact_person, email, default_role, gln)
             VALUES (true, $1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (singleton) DO UPDATE SET
                 name = excluded.name, address = excluded.address, member_state = excluded.member_state,
                 contact_person = excluded.contact_person, email = excluded.email,
                 default_role = excluded.default_role, gln = excluded.gln",
            &[
                &identity.name,
                &identity.address,
                &identity.member_state.as_str(),
                &identity.contact_person,
                &identity.email.as_ref().map(Email::as_str),
                &identity.default_role.as_str(),
                &identity.gln.as_ref().map(Gln::as_str),
            ],
        )
        .during("setting the identity")?;
        let entry = msadesk_store::next_audit_entry(tail, meta, "identity", "init", &identity_detail(identity));
        audit::append(&mut tx, &entry)?;
        tx.commit().during("committing the identity")
    }

    fn identity(&mut self) -> Result<Option<OwnIdentity>, StoreError> {
        read::identity(&mut self.client)
    }

    fn import_products(
        &mut self,
        rows: &mut dyn RowSource<ProductRecord>,
        meta: &ChangeMeta,
    ) -> Result<ImportStats, StoreError> {
        products::import(&mut self.client, rows, meta)
    }

    fn import_supply(
        &mut self,
        rows: &mut dyn RowSource<SupplyEvent>,
        meta: &ChangeMeta,
    ) -> Result<ImportStats, StoreError> {
        supply::import(&mut self.client, rows, meta)
    }

    fn product(&mut self, id: &ProductId) -> Result<Option<Product>, StoreError> {
        read::product(&mut self.client, id)
    }

    fn products(&mut self) -> Result<Vec<Product>, StoreError> {
        read::products(&mut self.client)
    }

    fn versions(&mut self, id: &ProductId) -> Result<Vec<ProductVersion>, StoreError> {
        read::versions(&mut self.client, id)
    }

    fn operators(&mut self) -> Result<Vec<Party>, StoreError> {
        read::operators(&mut self.client)
    }

    fn trace(&mut self, query: &TraceQuery) -> Result<Trace, StoreError> {
        read::trace(&mut self.client, query)
    }

    fn for_each_event(
        &mut self,
        query: &TraceQuery,
        visit: &mut dyn FnMut(SupplyEvent) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        read::for_each_event(&mut self.client, query, visit)
    }

    fn counts(&mut self) -> Result<Counts, StoreError> {
        read::counts(&mut self.client)
    }

    fn audit_entries(&mut self) -> Result<Vec<AuditEntry>, StoreError> {
        audit::entries(&mut self.client)
    }

    fn create_user(&mut self, user: &msadesk_store::User, meta: &ChangeMeta) -> Result<(), StoreError> {
        auth::create_user(&mut self.client, user, meta)
    }
    fn user(&mut self, name: &str) -> Result<Option<msadesk_store::User>, StoreError> {
        auth::user(&mut self.client, name)
    }
    fn users(&mut self) -> Result<Vec<msadesk_store::User>, StoreError> {
        auth::users(&mut self.client)
    }
    fn create_token(&mut self, token: &msadesk_store::ApiToken, meta: &ChangeMeta) -> Result<(), StoreError> {
        auth::create_token(&mut self.client, token, meta)
    }
    fn token_by_secret(&mut self, secret_sha256: &str) -> Result<Option<msadesk_store::ApiToken>, StoreError> {
        auth::token_by_secret(&mut self.client, secret_sha256)
    }
    fn tokens(&mut self) -> Result<Vec<msadesk_store::ApiToken>, StoreError> {
        auth::tokens(&mut self.client)
    }
    fn revoke_token(&mut self, id: &str, meta: &ChangeMeta) -> Result<bool, StoreError> {
        auth::revoke_token(&mut self.client, id, meta)
    }
    fn touch_token(&mut self, id: &str, at: &str) -> Result<(), StoreError> {
        auth::touch_token(&mut self.client, id, at)
    }
    fn create_session(&mut self, session: &msadesk_store::Session) -> Result<(), StoreError> {
        auth::create_session(&mut self.client, session)
    }
    fn session(&mut self, id_sha256: &str, now: &str) -> Result<Option<msadesk_store::Session>, StoreError> {
        auth::session(&mut self.client, id_sha256, now)
    }
    fn delete_session(&mut self, id_sha256: &str) -> Result<(), StoreError> {
        auth::delete_session(&mut self.client, id_sha256)
    }

    fn coverage(&mut self) -> Result<Coverage, StoreError> {
        evidence::coverage(&mut self.client)
    }

    fn add_hold(&mut self, scope: &HoldScope, reason: &str, meta: &ChangeMeta) -> Result<Hold, StoreError> {
        evidence::add_hold(&mut self.client, scope, reason, meta)
    }

    fn release_hold(&mut self, id: i64, reason: &str, meta: &ChangeMeta) -> Result<Hold, StoreError> {
        evidence::release_hold(&mut self.client, id, reason, meta)
    }

    fn holds(&mut self) -> Result<Vec<Hold>, StoreError> {
        evidence::holds(&mut self.client)
    }

    fn authorities(&mut self) -> Result<Vec<msadesk_core::inbox::Authority>, StoreError> {
        inbox::authorities(&mut self.client)
    }

    fn put_authority(
        &mut self,
        authority: &msadesk_core::inbox::Authority,
        meta: &ChangeMeta,
    ) -> Result<bool, StoreError> {
        inbox::put_authority(&mut self.client, authority, meta)
    }

    fn holidays(&mut self) -> Result<Vec<msadesk_core::inbox::Holiday>, StoreError> {
        inbox::holidays(&mut self.client)
    }

    fn set_holidays(
        &mut self,
        country: &str,
        holidays: &[msadesk_core::inbox::Holiday],
        meta: &ChangeMeta,
    ) -> Result<(), StoreError> {
        inbox::set_holidays(&mut self.client, country, holidays, meta)
    }

    fn add_request(
        &mut self,
        request: &msadesk_core::inbox::NewRequest,
        meta: &ChangeMeta,
    ) -> Result<msadesk_core::inbox::Request, StoreError> {
        inbox::add_request(&mut self.client, request, meta)
    }

    fn request(&mut self, id: i64) -> Result<Option<msadesk_core::inbox::Request>, StoreError> {
        inbox::requests(&mut self.client, Some(id)).map(|mut v| v.pop())
    }

    fn requests(&mut self) -> Result<Vec<msadesk_core::inbox::Request>, StoreError> {
        inbox::requests(&mut self.client, None)
    }

    fn request_step(
        &mut self,
        id: i64,
        step: &msadesk_core::inbox::Step,
        note: Option<&str>,
        meta: &ChangeMeta,
    ) -> Result<msadesk_core::inbox::Request, StoreError> {
        inbox::request_step(&mut self.client, id, step, note, meta)
    }

    fn import_sbom(
        &mut self,
        sbom: &msadesk_store::NewSbom,
        meta: &ChangeMeta,
    ) -> Result<msadesk_store::SbomInfo, StoreError> {
        risk::import_sbom(&mut self.client, sbom, meta)
    }
    fn sboms(&mut self, product: Option<&ProductId>) -> Result<Vec<msadesk_store::SbomInfo>, StoreError> {
        risk::sboms(&mut self.client, product)
    }
    fn current_components(&mut self) -> Result<Vec<msadesk_store::VersionComponent>, StoreError> {
        risk::current_components(&mut self.client)
    }
    fn import_vulns(
        &mut self,
        vulns: &[msadesk_store::StoredVuln],
        meta: &ChangeMeta,
    ) -> Result<ImportStats, StoreError> {
        risk::import_vulns(&mut self.client, vulns, meta)
    }
    fn vulns(&mut self) -> Result<Vec<msadesk_store::StoredVuln>, StoreError> {
        risk::vulns(&mut self.client)
    }
    fn import_known_exploited(
        &mut self,
        entries: &[msadesk_store::KnownExploited],
        meta: &ChangeMeta,
    ) -> Result<ImportStats, StoreError> {
        risk::import_known_exploited(&mut self.client, entries, meta)
    }
    fn known_exploited(&mut self) -> Result<Vec<msadesk_store::KnownExploited>, StoreError> {
        risk::known_exploited(&mut self.client)
    }
    fn import_deployments(
        &mut self,
        rows: &[msadesk_store::Deployment],
        meta: &ChangeMeta,
    ) -> Result<ImportStats, StoreError> {
        risk::import_deployments(&mut self.client, rows, meta)
    }
    fn deployments(&mut self) -> Result<Vec<msadesk_store::Deployment>, StoreError> {
        risk::deployments(&mut self.client)
    }
    fn record_decision(
        &mut self,
        decision: &msadesk_store::RiskDecisionRecord,
        meta: &ChangeMeta,
    ) -> Result<i64, StoreError> {
        risk::record_decision(&mut self.client, decision, meta)
    }
    fn decisions(&mut self) -> Result<Vec<msadesk_store::RiskDecisionRecord>, StoreError> {
        risk::decisions(&mut self.client)
    }

    fn run_retention(&mut self, as_of: Date, dry_run: bool, meta: &ChangeMeta) -> Result<RetentionReport, StoreError> {
        evidence::run_retention(&mut self.client, as_of, dry_run, meta)
    }
}

/// What the audit trail records when the identity is set: who we now say we are.
fn identity_detail(identity: &OwnIdentity) -> serde_json::Value {
    serde_json::json!({
        "name": identity.name,
        "member_state": identity.member_state.as_str(),
        "default_role": identity.default_role.as_str(),
    })
}

impl msadesk_store::ActionStore for PostgresStore {
    fn add_action(
        &mut self,
        a: &msadesk_core::action::NewAction,
        meta: &ChangeMeta,
    ) -> Result<msadesk_core::action::Action, StoreError> {
        action::add_action(&mut self.client, a, meta)
    }
    fn action(&mut self, id: i64) -> Result<Option<msadesk_core::action::Action>, StoreError> {
        action::action(&mut self.client, id)
    }
    fn actions(&mut self) -> Result<Vec<msadesk_core::action::Action>, StoreError> {
        action::actions(&mut self.client)
    }
    fn action_step(
        &mut self,
        id: i64,
        to: msadesk_core::action::Status,
        note: Option<&str>,
        meta: &ChangeMeta,
    ) -> Result<msadesk_core::action::Action, StoreError> {
        action::action_step(&mut self.client, id, to, note, meta)
    }
    fn recipients(&mut self, action_id: i64) -> Result<Vec<msadesk_store::Recipient>, StoreError> {
        action::recipients(&mut self.client, action_id)
    }
    fn notify(
        &mut self,
        action_id: i64,
        notices: &[msadesk_store::Notice],
        reminder: bool,
        meta: &ChangeMeta,
    ) -> Result<(msadesk_core::action::Action, u64), StoreError> {
        action::notify(&mut self.client, action_id, notices, reminder, meta)
    }
    fn queue_messages(&mut self, messages: &[msadesk_store::NewMessage], meta: &ChangeMeta) -> Result<u64, StoreError> {
        action::queue_messages(&mut self.client, messages, meta)
    }
    fn outbox(
        &mut self,
        state: Option<msadesk_core::action::DeliveryState>,
        action_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<msadesk_store::OutboxMessage>, StoreError> {
        action::outbox(&mut self.client, state, action_id, limit)
    }
    fn outbox_counts(&mut self, action_id: Option<i64>) -> Result<msadesk_store::OutboxCounts, StoreError> {
        action::outbox_counts(&mut self.client, action_id)
    }
    fn claim_messages(
        &mut self,
        now: &str,
        lease_until: &str,
        limit: u32,
    ) -> Result<Vec<msadesk_store::OutboxMessage>, StoreError> {
        action::claim_messages(&mut self.client, now, lease_until, limit)
    }
    fn finish_message(
        &mut self,
        id: i64,
        outcome: &msadesk_store::DeliveryOutcome,
        meta: &ChangeMeta,
    ) -> Result<(), StoreError> {
        action::finish_message(&mut self.client, id, outcome, meta)
    }
    fn ack_token(&mut self, token_sha256: &str) -> Result<Option<msadesk_store::AckToken>, StoreError> {
        action::ack_token(&mut self.client, token_sha256)
    }
    fn acknowledge(
        &mut self,
        token_sha256: &str,
        report: &msadesk_core::action::AckReport,
        meta: &ChangeMeta,
    ) -> Result<msadesk_store::Recipient, StoreError> {
        action::acknowledge(&mut self.client, token_sha256, report, meta)
    }
}
