//! The supplied-by-country summary in SQLite (`migrations/0011_impact.sql`): read here, kept up to
//! date by the supply import and the retention job in `lib.rs`, in their transactions.

use std::collections::HashMap;

use msadesk_core::vuln::keys::ComponentKeys;
use msadesk_core::{Country, ProductId, Version};
use msadesk_store::{
    ComponentIndex, ImpactStore, Result, RiskDecisionRecord, StoreError, SuppliedToCountry, VersionComponent,
};
use rusqlite::params;
use rustc_hash::FxBuildHasher;

use crate::{SqliteStore, backend, corrupt};

/// Changes to the summary collected while events are added or deleted: (product version row,
/// country) -> (quantity, events), applied once before the commit.
///
/// The import touches it once per supplied event, so the usual key, a two-letter country code, is
/// kept as two bytes in one flat FxHash map: nothing is allocated per event and the hash is a few
/// instructions (the keys are row ids and codes of this process, not attacker-chosen input). Any
/// other country text read back from the table takes the general map, so the summary stays exact.
#[derive(Default)]
pub(crate) struct SummaryDelta {
    codes: HashMap<(i64, [u8; 2]), (i64, i64), FxBuildHasher>,
    other: HashMap<(i64, String), (i64, i64)>,
}

impl SummaryDelta {
    /// One `supplied` event of `quantity` to `country` added (or, with `sign` -1, deleted).
    pub(crate) fn add(&mut self, product_version: i64, country: &str, quantity: i64, sign: i64) {
        let e = match <[u8; 2]>::try_from(country.as_bytes()) {
            Ok(code) => self.codes.entry((product_version, code)).or_default(),
            Err(_) => self.other.entry((product_version, country.to_string())).or_default(),
        };
        e.0 += sign * quantity;
        e.1 += sign;
    }

    /// Applies the changes and removes the rows no event reaches any more.
    pub(crate) fn apply(self, tx: &rusqlite::Transaction<'_>) -> Result<()> {
        if self.codes.is_empty() && self.other.is_empty() {
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
            for ((pv, code), (quantity, events)) in &self.codes {
                // Two bytes taken from a `&str` of length two are valid UTF-8.
                let country = std::str::from_utf8(code).map_err(|e| corrupt("country", &format!("{code:?}"), e))?;
                upsert.execute(params![pv, country, quantity, events]).map_err(backend)?;
            }
            for ((pv, country), (quantity, events)) in &self.other {
                upsert.execute(params![pv, country, quantity, events]).map_err(backend)?;
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
                 WHERE p.product_id = ?1 AND v.version = ?2
                 ORDER BY c.country",
            )
            .map_err(backend)?;
        // Asked in sorted order, each version's rows sorted by country: the answer comes out in
        // its documented order without sorting it (at 10M events a vulnerability can reach 3 500
        // versions and 70 000 rows).
        let mut wanted: Vec<&(ProductId, Version)> = versions.iter().collect();
        wanted.sort();
        wanted.dedup();
        let mut out = Vec::new();
        for (product_id, version) in wanted {
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
        Ok(out)
    }
}

impl ComponentIndex for SqliteStore {
    fn current_components_for(&mut self, keys: &ComponentKeys) -> Result<Vec<VersionComponent>> {
        crate::risk::current_components_for(&self.conn, keys)
    }
}
