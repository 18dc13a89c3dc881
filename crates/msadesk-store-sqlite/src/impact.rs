//! The supplied-by-country summary in SQLite (`migrations/0011_impact.sql`): read here, kept up to
//! date by the supply import and the retention job in `lib.rs`, in their transactions.

use std::collections::HashMap;

use msadesk_core::vuln::keys::ComponentKeys;
use msadesk_core::{Country, ProductId, Version};
use msadesk_store::{
    ComponentIndex, ImpactStore, Result, RiskDecisionRecord, StoreError, SuppliedToCountry, VersionComponent,
};
use rusqlite::params;

use crate::{SqliteStore, backend, corrupt};

/// Changes to the summary collected while events are added or deleted: (product version row,
/// country) -> (quantity, events), applied once before the commit.
/// (Keyed by version, then country, so that the per-event lookup allocates nothing.)
#[derive(Default)]
pub(crate) struct SummaryDelta(HashMap<i64, HashMap<String, (i64, i64)>>);

impl SummaryDelta {
    /// One `supplied` event of `quantity` to `country` added (or, with `sign` -1, deleted).
    pub(crate) fn add(&mut self, product_version: i64, country: &str, quantity: i64, sign: i64) {
        let per = self.0.entry(product_version).or_default();
        let e = match per.get_mut(country) {
            Some(e) => e,
            None => per.entry(country.to_string()).or_default(),
        };
        e.0 += sign * quantity;
        e.1 += sign;
    }

    /// Applies the changes and removes the rows no event reaches any more.
    pub(crate) fn apply(self, tx: &rusqlite::Transaction<'_>) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO supplied_by_country (product_version, country, quantity, events) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (product_version, country)
                     DO UPDATE SET quantity = quantity + excluded.quantity, events = events + excluded.events",
                )
                .map_err(backend)?;
            for (pv, per) in &self.0 {
                for (country, (quantity, events)) in per {
                    upsert.execute(params![pv, country, quantity, events]).map_err(backend)?;
                }
            }
        }
        tx.execute("DELETE FROM supplied_by_country WHERE events <= 0", []).map_err(backend)?;
        Ok(())
    }
}

impl ImpactStore for SqliteStore {
    fn decision_outlines(&mut self) -> Result<Vec<RiskDecisionRecord>> {
        crate::risk::decision_outlines(&self.conn)
    }

    fn supplied_by_country(&mut self, versions: &[(ProductId, Version)]) -> Result<Vec<SuppliedToCountry>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT c.country, c.quantity, c.events
                 FROM products p JOIN product_versions v ON v.product = p.id
                 JOIN supplied_by_country c ON c.product_version = v.id
                 WHERE p.product_id = ?1 AND v.version = ?2",
            )
            .map_err(backend)?;
        let mut out = Vec::new();
        for (product_id, version) in versions {
            let rows = stmt
                .query_map([product_id.as_str(), version.as_str()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                })
                .map_err(backend)?;
            for row in rows {
                let (country, quantity, events) = row.map_err(backend)?;
                let count = |what: &str, n: i64| {
                    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("supplied {what} {n} below zero")))
                };
                out.push(SuppliedToCountry {
                    product_id: product_id.clone(),
                    version: version.clone(),
                    country: Country::parse(&country).map_err(|e| corrupt("country", &country, e))?,
                    quantity: count("quantity", quantity)?,
                    events: count("events", events)?,
                });
            }
        }
        out.sort_by(|a, b| {
            (&a.product_id, &a.version, a.country.as_str()).cmp(&(&b.product_id, &b.version, b.country.as_str()))
        });
        out.dedup();
        Ok(out)
    }
}

impl ComponentIndex for SqliteStore {
    fn current_components_for(&mut self, keys: &ComponentKeys) -> Result<Vec<VersionComponent>> {
        crate::risk::current_components_for(&self.conn, keys)
    }
}
