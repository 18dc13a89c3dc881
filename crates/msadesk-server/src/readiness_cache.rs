//! Readiness reports, kept per data generation and instant.
//!
//! A report reads the whole registry (about 8 s at a million supply events), but depends only on
//! the data and on the instant it is taken at. It is kept under the key (data generation, instant):
//! the generation is read before the report is made, as for traces (see `trace_cache`), so a kept
//! report is never older than the data a request sees. Pages and downloads without an explicit
//! instant take the report as of the current minute (`generated_at` says which), so that views within
//! a minute of each other on unchanged data share one computation. Only a few reports are kept, and
//! a newer generation drops the older ones.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use msadesk_core::readiness::ReadinessReport;

/// Reports kept at once (different instants of the same generation).
const KEPT: usize = 4;

#[derive(Default)]
pub(crate) struct ReadinessCache {
    kept: Mutex<Vec<(i64, String, Arc<ReadinessReport>)>>,
    computed: AtomicU64,
    served: AtomicU64,
}

impl ReadinessCache {
    /// The report kept for `generation` at `now`, counted as served from the cache.
    pub(crate) fn get(&self, generation: i64, now: &str) -> Option<Arc<ReadinessReport>> {
        let kept = self.kept.lock().ok()?;
        let hit = kept.iter().find(|(g, n, _)| *g == generation && n == now).map(|(_, _, r)| Arc::clone(r));
        if hit.is_some() {
            self.served.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    /// Keeps a report made after reading `generation`; older generations are dropped.
    pub(crate) fn put(&self, generation: i64, now: String, report: Arc<ReadinessReport>) {
        self.computed.fetch_add(1, Ordering::Relaxed);
        let Ok(mut kept) = self.kept.lock() else { return };
        if kept.iter().any(|(g, _, _)| *g > generation) {
            return;
        }
        kept.retain(|(g, n, _)| *g == generation && *n != now);
        if kept.len() >= KEPT {
            kept.remove(0);
        }
        kept.push((generation, now, report));
    }

    /// (reports computed, reports served from the cache), for `/metrics`.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.computed.load(Ordering::Relaxed), self.served.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(at: &str) -> Arc<ReadinessReport> {
        let mut facts = msadesk_core::readiness::Facts::empty(msadesk_core::Date::parse(at).unwrap());
        facts.generated_at = at.to_string();
        Arc::new(msadesk_core::readiness::evaluate(&facts, &Default::default()))
    }

    #[test]
    fn a_report_is_served_only_for_its_generation_and_instant() {
        let c = ReadinessCache::default();
        assert!(c.get(1, "2026-12-04T10:00:00Z").is_none());
        c.put(1, "2026-12-04T10:00:00Z".into(), report("2026-12-04T10:00:00Z"));
        assert!(c.get(1, "2026-12-04T10:00:00Z").is_some());
        assert!(c.get(1, "2026-12-04T10:01:00Z").is_none(), "another instant");
        assert!(c.get(2, "2026-12-04T10:00:00Z").is_none(), "newer data");
        // A newer generation replaces the kept reports; an older one arriving late is not kept.
        c.put(2, "2026-12-04T10:00:00Z".into(), report("2026-12-04T10:00:00Z"));
        c.put(1, "2026-12-04T10:05:00Z".into(), report("2026-12-04T10:05:00Z"));
        assert!(c.get(1, "2026-12-04T10:00:00Z").is_none());
        assert!(c.get(1, "2026-12-04T10:05:00Z").is_none());
        assert!(c.get(2, "2026-12-04T10:00:00Z").is_some());
        // Bounded: the oldest instant goes first.
        for m in 1..=KEPT {
            let at = format!("2026-12-04T10:0{m}:00Z");
            c.put(2, at.clone(), report(&at));
        }
        assert!(c.get(2, "2026-12-04T10:00:00Z").is_none());
        assert!(c.get(2, &format!("2026-12-04T10:0{KEPT}:00Z")).is_some());
        assert_eq!(c.counts(), (3 + KEPT as u64, 3));
    }
}
