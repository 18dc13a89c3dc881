//! The supplied-by-country summary in PostgreSQL (`migrations/0011_impact.sql`): read here, kept up
//! to date by the supply import (`supply.rs`) and the retention job (`evidence.rs`) in the same
//! statements that add or delete the events.

use msadesk_core::vuln::keys::ComponentKeys;
use msadesk_core::{Country, ProductId, Version};
use msadesk_store::{ComponentIndex, ImpactStore, RiskDecisionRecord, StoreError, SuppliedToCountry, VersionComponent};

use crate::PostgresStore;
use crate::error::{During, col, parse_stored, to_u64};

impl ImpactStore for PostgresStore {
    fn decision_outlines(&mut self) -> Result<Vec<RiskDecisionRecord>, StoreError> {
        crate::risk::decision_outlines(&mut self.client)
    }

    fn supplied_by_country(&mut self, versions: &[(ProductId, Version)]) -> Result<Vec<SuppliedToCountry>, StoreError> {
        let products: Vec<&str> = versions.iter().map(|(p, _)| p.as_str()).collect();
        let names: Vec<&str> = versions.iter().map(|(_, v)| v.as_str()).collect();
        let rows = self
            .client
            .query(
                "SELECT DISTINCT p.product_id, v.version, c.country, c.quantity, c.events
                 FROM unnest($1::text[], $2::text[]) AS w(product_id, version)
                 JOIN products p ON p.product_id = w.product_id
                 JOIN product_versions v ON v.product_ref = p.id AND v.version = w.version
                 JOIN supplied_by_country c ON c.version_ref = v.id
                 ORDER BY p.product_id, v.version, c.country",
                &[&products, &names],
            )
            .during("reading the supplied-by-country summary")?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let product: String = col(r, 0)?;
            let version: String = col(r, 1)?;
            let country: String = col(r, 2)?;
            out.push(SuppliedToCountry {
                product_id: parse_stored("product id", &product, ProductId::parse)?,
                version: parse_stored("version", &version, Version::parse)?,
                country: parse_stored("country", &country, Country::parse)?,
                quantity: to_u64("supplied quantity", col(r, 3)?)?,
                events: to_u64("supplied events", col(r, 4)?)?,
            });
        }
        // The database's text order may differ from Rust's: sort as the trait promises.
        out.sort_by(|a, b| {
            (&a.product_id, &a.version, a.country.as_str()).cmp(&(&b.product_id, &b.version, b.country.as_str()))
        });
        Ok(out)
    }
}

impl ComponentIndex for PostgresStore {
    fn current_components_for(&mut self, keys: &ComponentKeys) -> Result<Vec<VersionComponent>, StoreError> {
        crate::risk::current_components_for(&mut self.client, keys)
    }
}
