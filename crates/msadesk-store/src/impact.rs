//! What a vulnerability's impact needs from the registry: for each affected product version, the
//! quantity supplied to each country, without reading the events. Engines keep a summary per
//! (product version, country) of the `supplied` events, updated in the same transactions as the
//! supply import and the retention job; the conformance suite checks it equals the aggregate of the
//! events (as the trace reads them) after imports, repeated imports and a retention run.
//!
//! It also needs the SBOM components a vulnerability can match without loading every current one:
//! engines keep each component's package and CPE keys (`msadesk_core::vuln::keys`) next to it,
//! indexed, and [`ComponentIndex::current_components_for`] reads only the components with given
//! keys; the conformance suite checks it returns exactly that subset of `current_components`.

use msadesk_core::vuln::keys::ComponentKeys;
use msadesk_core::{Country, ProductId, Version};

use crate::{Result, RiskDecisionRecord, VersionComponent};

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

    /// Every recorded decision, oldest first, as `Store::decisions` returns it but with only the
    /// parts of its assessment that a new assessment compares with ([`OUTLINE_KEYS`], each where
    /// recorded, `null` kept): an assessment JSON is a few kB (drafts, evidence), and reading
    /// every one whole cost more than the rest of a vulnerability's impact.
    fn decision_outlines(&mut self) -> Result<Vec<RiskDecisionRecord>>;
}

/// The keys of a recorded assessment that [`ImpactStore::decision_outlines`] keeps.
pub const OUTLINE_KEYS: [&str; 3] = ["officer_override", "fired", "affected"];

/// A recorded assessment cut to [`OUTLINE_KEYS`] (what `decision_outlines` must return for it).
pub fn outline(assessment: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for k in OUTLINE_KEYS {
        if let Some(v) = assessment.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    serde_json::Value::Object(out)
}

/// Assembles an outline from the engine's extraction of each of [`OUTLINE_KEYS`], in order, as
/// JSON text (`None`: not recorded).
pub fn outline_from(parts: [Option<String>; 3]) -> Result<serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (k, text) in OUTLINE_KEYS.iter().zip(parts) {
        if let Some(t) = text {
            let v = serde_json::from_str(&t)
                .map_err(|e| crate::StoreError::Corrupt(format!("recorded assessment, {k} '{t}': {e}")))?;
            out.insert(k.to_string(), v);
        }
    }
    Ok(serde_json::Value::Object(out))
}

pub trait ComponentIndex {
    /// The components of current SBOMs whose package key is in `keys.packages` or whose CPE key is
    /// in `keys.cpes` (keys as `msadesk_core::vuln::keys::{package_key, cpe_key}` compute them,
    /// compared exactly), plus, with `keys.whole_versions`, every other component of the product
    /// versions that have such a component. In the order of `Store::current_components`, of which
    /// the answer is a subsequence. Costs an index lookup per key, not a read of every component.
    fn current_components_for(&mut self, keys: &ComponentKeys) -> Result<Vec<VersionComponent>>;
}

/// The outline of a recorded assessment's JSON text, reading only [`OUTLINE_KEYS`] into values and
/// skipping the rest (drafts, evidence) without building them: several times cheaper than parsing
/// the whole assessment, for engines that cannot extract the keys more cheaply themselves.
pub fn outline_of(text: &str) -> Result<serde_json::Value> {
    // `Some(Null)` for a key recorded as null, `None` for an absent one.
    fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<serde_json::Value>, D::Error> {
        <serde_json::Value as serde::Deserialize>::deserialize(d).map(Some)
    }
    #[derive(serde::Deserialize)]
    struct Outline {
        #[serde(default, deserialize_with = "present")]
        officer_override: Option<serde_json::Value>,
        #[serde(default, deserialize_with = "present")]
        fired: Option<serde_json::Value>,
        #[serde(default, deserialize_with = "present")]
        affected: Option<serde_json::Value>,
    }
    let o: Outline = serde_json::from_str(text).map_err(|e| {
        crate::StoreError::Corrupt(format!("recorded assessment: {e}: {}", text.chars().take(120).collect::<String>()))
    })?;
    let mut out = serde_json::Map::new();
    for (k, v) in OUTLINE_KEYS.iter().zip([o.officer_override, o.fired, o.affected]) {
        if let Some(v) = v {
            out.insert(k.to_string(), v);
        }
    }
    Ok(serde_json::Value::Object(out))
}
