//! The audit trail's hash chain, as pure functions.
//!
//! Each entry's hash covers the previous entry's hash and the entry's own fields, so an entry that is
//! edited, removed or slipped in behind msadesk's back breaks the chain at that point. Engines store
//! the entries in the same transaction as the change they record; this module only computes.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash that precedes the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When, RFC 3339 in UTC.
    pub at: String,
    /// Who: `cli:USER`, later `user:NAME` or `token:ID`.
    pub actor: String,
    /// What kind of record changed: `identity`, `products`, `supply_events`…
    pub entity: String,
    /// Which action: `init`, `import`…
    pub action: String,
    /// Details as a JSON object (counts, source file, digest of the content).
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// SHA-256 of some bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The hash of an entry, given the previous entry's hash.
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: &str,
    actor: &str,
    entity: &str,
    action: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for field in [prev_hash, &seq.to_string(), at, actor, entity, action, detail] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    hex(&h.finalize())
}

/// Where the chain first breaks, if it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// Walks entries in order and returns the first broken link.
pub fn verify<'a>(entries: impl IntoIterator<Item = &'a AuditEntry>) -> Option<ChainBreak> {
    let mut prev = GENESIS.to_string();
    for (expected_seq, e) in (1..).zip(entries) {
        if e.seq != expected_seq {
            return Some(ChainBreak {
                seq: e.seq,
                reason: format!("entry {expected_seq} is missing (found {} next)", e.seq),
            });
        }
        if e.prev_hash != prev {
            return Some(ChainBreak {
                seq: e.seq,
                reason: "its previous-hash does not match the entry before it".into(),
            });
        }
        let want = entry_hash(&e.prev_hash, e.seq, &e.at, &e.actor, &e.entity, &e.action, &e.detail);
        if e.hash != want {
            return Some(ChainBreak { seq: e.seq, reason: "its content was changed after it was written".into() });
        }
        prev = e.hash.clone();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for seq in 1..=n {
            let prev = out.last().map_or(GENESIS.to_string(), |e| e.hash.clone());
            let detail = format!("{{\"n\":{seq}}}");
            let hash = entry_hash(&prev, seq, "2026-12-04T00:00:00Z", "cli:test", "supply_events", "import", &detail);
            out.push(AuditEntry {
                seq,
                at: "2026-12-04T00:00:00Z".into(),
                actor: "cli:test".into(),
                entity: "supply_events".into(),
                action: "import".into(),
                detail,
                prev_hash: prev,
                hash,
            });
        }
        out
    }

    #[test]
    fn an_intact_chain_verifies_and_any_tampering_is_found() {
        let c = chain(4);
        assert_eq!(verify(&c), None);

        let mut edited = c.clone();
        edited[2].detail = "{\"n\":99}".into();
        assert_eq!(verify(&edited).map(|b| b.seq), Some(3));

        let mut removed = c.clone();
        removed.remove(1);
        assert_eq!(verify(&removed).map(|b| b.seq), Some(3));

        let mut inserted = c.clone();
        let mut extra = c[1].clone();
        extra.seq = 3;
        inserted.insert(2, extra);
        assert!(verify(&inserted).is_some());
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(sha256_hex(b"").len(), 64);
    }
}
