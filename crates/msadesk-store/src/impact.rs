//! What a vulnerability's impact needs from the registry: for each affected product version, the
//! quantity supplied to each country, without reading the events. Engines keep a summary per
//! (product version, country) of the `supplied` events, updated in the same transactions as the
//! supply import and the retention job; the conformance suite checks it equals the aggregate of the
//! events (as the trace reads them) after imports, repeated imports and a retention run.

use msadesk_core::{Country, ProductId, Version};

use crate::Result;

/// The `supplied` events of one product version to one country, summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppliedToCountry {
    pub product_id: ProductId,
    pub version: Version,
    /// The counterparty's country as recorded with each event (its address at the time).
    pub country: Country,
    pub quantity: u64,
    pub events: u64,
}

pub trait ImpactStore {
    /// For each of `versions` (unknown ones are skipped), the quantity and number of events it was
    /// supplied with to each country, sorted by product, version and country. Costs one row per
    /// version and country, whatever the number of events.
    fn supplied_by_country(&mut self, versions: &[(ProductId, Version)]) -> Result<Vec<SuppliedToCountry>>;
}
