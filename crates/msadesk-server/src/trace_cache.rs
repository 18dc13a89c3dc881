//! Answers of `GET /api/v1/trace`, kept per data generation.
//!
//! A trace depends only on the registry's data and the query, so its JSON can be served again until
//! the data changes. The key is exact: the store's data generation (the latest audit entry's
//! sequence number, which every committed change moves, whichever process made it) is read before
//! the trace, and an answer is only served to a request that read the same generation. The cache is
//! bounded: answers over [`MAX_ENTRY`] bytes are not kept, and it is emptied when it would exceed
//! [`MAX_BYTES`] or when a newer generation is seen.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use msadesk_core::trace::TraceQuery;

/// Largest answer kept (bigger traces are dominated by their own cost, not by the lookup). A
/// product with about 1 000 events in a 10M-event registry has some 500 counterparties: about
/// 300 kB of JSON, which costs 2 ms to compute and is worth keeping.
pub(crate) const MAX_ENTRY: usize = 1 << 20;
/// Total size of the kept answers.
pub(crate) const MAX_BYTES: usize = 64 << 20;

#[derive(Default)]
pub(crate) struct TraceCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    generation: i64,
    entries: HashMap<String, Bytes>,
    bytes: usize,
}

/// The cache key of a query: every field, unambiguously separated.
pub(crate) fn key(q: &TraceQuery) -> String {
    let opt = |v: Option<String>| v.unwrap_or_default();
    format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}",
        q.product_id,
        opt(q.version.as_ref().map(ToString::to_string)),
        opt(q.from.map(|d| d.to_string())),
        opt(q.to.map(|d| d.to_string()))
    )
}

impl TraceCache {
    /// The kept answer to `key`, if it was computed at `generation`.
    pub(crate) fn get(&self, generation: i64, key: &str) -> Option<Bytes> {
        let st = self.state.lock().ok()?;
        if st.generation != generation {
            return None;
        }
        st.entries.get(key).cloned()
    }

    /// Keeps an answer computed after reading `generation`. Answers of an older generation than the
    /// newest one seen are dropped; a newer generation empties the cache.
    pub(crate) fn put(&self, generation: i64, key: String, body: Bytes) {
        if body.len() > MAX_ENTRY {
            return;
        }
        let Ok(mut st) = self.state.lock() else { return };
        if generation < st.generation {
            return;
        }
        if generation > st.generation || st.bytes + body.len() > MAX_BYTES {
            st.entries.clear();
            st.bytes = 0;
            st.generation = generation;
        }
        st.bytes += body.len();
        if let Some(old) = st.entries.insert(key, body) {
            st.bytes -= old.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msadesk_core::{Date, ProductId, Version};

    fn q(product: &str, version: Option<&str>, from: Option<&str>) -> TraceQuery {
        TraceQuery {
            product_id: ProductId::parse(product).expect("id"),
            version: version.map(|v| Version::parse(v).expect("version")),
            from: from.map(|d| Date::parse(d).expect("date")),
            to: None,
        }
    }

    #[test]
    fn answers_are_served_only_at_the_generation_they_were_computed_at() {
        let c = TraceCache::default();
        let k = key(&q("CAM", None, None));
        c.put(5, k.clone(), Bytes::from_static(b"five"));
        assert_eq!(c.get(5, &k).as_deref(), Some(&b"five"[..]));
        assert_eq!(c.get(6, &k), None, "a newer generation must not see the old answer");
        assert_eq!(c.get(4, &k), None);
        c.put(6, k.clone(), Bytes::from_static(b"six"));
        assert_eq!(c.get(5, &k), None, "a newer generation empties the cache");
        assert_eq!(c.get(6, &k).as_deref(), Some(&b"six"[..]));
        // A late answer of an older generation is not kept over the newer one.
        c.put(5, k.clone(), Bytes::from_static(b"late"));
        assert_eq!(c.get(6, &k).as_deref(), Some(&b"six"[..]));
    }

    #[test]
    fn keys_tell_every_field_apart_and_sizes_are_bounded() {
        let keys = [
            key(&q("CAM", None, None)),
            key(&q("CAM", Some("1.0"), None)),
            key(&q("CAM", None, Some("2024-01-01"))),
            key(&q("CAM2", None, None)),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let c = TraceCache::default();
        c.put(1, "big".into(), Bytes::from(vec![0u8; MAX_ENTRY + 1]));
        assert_eq!(c.get(1, "big"), None, "answers over MAX_ENTRY are not kept");
        for i in 0..(MAX_BYTES / MAX_ENTRY + 2) {
            c.put(1, format!("k{i}"), Bytes::from(vec![0u8; MAX_ENTRY]));
            let st = c.state.lock().expect("lock");
            assert!(st.bytes <= MAX_BYTES, "{} bytes kept", st.bytes);
            assert_eq!(st.bytes, st.entries.values().map(Bytes::len).sum::<usize>());
        }
    }
}
