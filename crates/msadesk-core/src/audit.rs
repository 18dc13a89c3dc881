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

/// A multiset digest of records: their count and the sum, modulo 2^256, of their SHA-256 row
/// digests. Addition is order-independent, so an engine can accumulate it while inserting rows one
/// by one and `verify` can recompute it from a table scan in any order; unlike XOR, a record counted
/// twice does not cancel out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowsDigest {
    pub count: u64,
    pub sum: [u8; 32],
}

impl RowsDigest {
    /// Adds a record given its row digest (see [`row_digest`]).
    pub fn add(&mut self, row: &[u8; 32]) {
        self.count += 1;
        let mut carry = 0u16;
        // Little-endian: byte 31 is the most significant; the final carry is dropped (mod 2^256).
        for (acc, b) in self.sum.iter_mut().zip(row) {
            let v = u16::from(*acc) + u16::from(*b) + carry;
            *acc = (v & 0xff) as u8;
            carry = v >> 8;
        }
    }

    /// Takes back a record added before (the inverse of [`add`](Self::add)): an import that finds,
    /// after appending, that a row it added was a duplicate removes it again.
    pub fn remove(&mut self, row: &[u8; 32]) {
        self.count = self.count.saturating_sub(1);
        let mut borrow = 0i16;
        for (acc, b) in self.sum.iter_mut().zip(row) {
            let v = i16::from(*acc) - i16::from(*b) - borrow;
            borrow = i16::from(v < 0);
            *acc = (v + 256 * borrow) as u8;
        }
    }

    /// Adds every record of another digest.
    pub fn merge(&mut self, other: &RowsDigest) {
        let count = self.count + other.count;
        self.add(&other.sum);
        self.count = count;
    }

    /// The digest as recorded in an audit entry's detail: `{"count": N, "digest": "hex"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "count": self.count, "digest": hex(&self.sum) })
    }

    /// Reads the form written by [`to_json`](Self::to_json).
    pub fn from_json(v: &serde_json::Value) -> Option<RowsDigest> {
        let count = v.get("count")?.as_u64()?;
        let digest = v.get("digest")?.as_str()?;
        if digest.len() != 64 {
            return None;
        }
        let mut sum = [0u8; 32];
        for (i, out) in sum.iter_mut().enumerate() {
            *out = u8::from_str_radix(digest.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(RowsDigest { count, sum })
    }
}

/// The digest of one record from its fields in a fixed order. `None` fields are distinguished from
/// empty text. Every field is length-prefixed, so no two field lists share a digest by concatenation.
pub fn row_digest(fields: &[Option<&str>]) -> [u8; 32] {
    let mut h = Sha256::new();
    for f in fields {
        match f {
            None => h.update([0u8]),
            Some(s) => {
                h.update([1u8]);
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    h.finalize().into()
}

/// The records each audit entry covers, as found in the database now, by entry seq.
///
/// `rows`: records alive now plus the tombstones of records the retention job removed, each under
/// the entry that added the record. `tombstones`: the tombstones under the retention run that wrote
/// them. An entry's detail states what it added (`"added"`) or wrote (`"tombstones"`) when it was
/// committed; [`verify_records`] compares the two.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub rows: std::collections::BTreeMap<i64, RowsDigest>,
    pub tombstones: std::collections::BTreeMap<i64, RowsDigest>,
}

/// The detail keys under which an entry records what it covers.
pub const ROWS_KEY: &str = "added";
pub const TOMBSTONES_KEY: &str = "tombstones";

/// Checks the chain ([`verify`]) and then that the records each entry covers are exactly those it
/// recorded: a record edited, deleted or inserted behind msadesk's back changes the digest under
/// the entry it claims, or claims an entry that recorded nothing. Returns the first break by seq.
pub fn verify_records(entries: &[AuditEntry], coverage: &Coverage) -> Option<ChainBreak> {
    if let Some(b) = verify(entries) {
        return Some(b);
    }
    let mut breaks: Vec<ChainBreak> = Vec::new();
    let mut claimed = [coverage.rows.clone(), coverage.tombstones.clone()];
    for e in entries {
        let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null);
        for (i, (key, what)) in
            [(ROWS_KEY, "records it added"), (TOMBSTONES_KEY, "tombstones it wrote")].iter().enumerate()
        {
            let found = claimed[i].remove(&e.seq);
            let recorded = detail.get(*key);
            match (recorded.and_then(RowsDigest::from_json), found) {
                (None, None) => {
                    if recorded.is_some() {
                        breaks.push(ChainBreak { seq: e.seq, reason: format!("the digest of the {what} is unreadable") });
                    }
                }
                (None, Some(f)) => breaks.push(ChainBreak {
                    seq: e.seq,
                    reason: format!("{} record(s) claim to have been added by it, which recorded none: rows were inserted behind msadesk's back", f.count),
                }),
                (Some(r), found) => {
                    let f = found.unwrap_or_default();
                    if r != f {
                        let how = match f.count.cmp(&r.count) {
                            std::cmp::Ordering::Less => format!("{} of its {} {what} are missing (deleted outside the retention job)", r.count - f.count, r.count),
                            std::cmp::Ordering::Greater => format!("{} more {what} than it recorded ({} found): rows were inserted behind msadesk's back", f.count - r.count, f.count),
                            std::cmp::Ordering::Equal => format!("the {what} were edited after it was written ({} records, digest differs)", r.count),
                        };
                        breaks.push(ChainBreak { seq: e.seq, reason: how });
                    }
                }
            }
        }
    }
    for (i, left) in claimed.iter().enumerate() {
        for (seq, f) in left {
            breaks.push(ChainBreak {
                seq: *seq,
                reason: format!(
                    "{} {} claim audit entry {seq}, which does not exist: rows were inserted behind msadesk's back",
                    f.count,
                    if i == 0 { "record(s)" } else { "tombstone(s)" }
                ),
            });
        }
    }
    breaks.into_iter().min_by_key(|b| b.seq)
}

/// Checks the legal holds as stored against the audit trail: each hold must be exactly as the last
/// entry that placed or released it recorded (its detail is the hold). A hold edited, deleted or
/// inserted behind msadesk's back would silently keep records or let them go.
pub fn verify_holds(entries: &[AuditEntry], holds: &[crate::retention::Hold]) -> Option<ChainBreak> {
    let mut expected: std::collections::BTreeMap<i64, (i64, serde_json::Value)> = std::collections::BTreeMap::new();
    for e in entries.iter().filter(|e| e.entity == "legal_holds") {
        let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&e.detail) else { continue };
        if let Some(obj) = v.as_object_mut() {
            obj.remove("source");
        }
        if let Some(id) = v.get("id").and_then(serde_json::Value::as_i64) {
            expected.insert(id, (e.seq, v));
        }
    }
    let head = entries.last().map_or(0, |e| e.seq);
    let mut breaks = Vec::new();
    for h in holds {
        let now = serde_json::to_value(h).unwrap_or(serde_json::Value::Null);
        match expected.remove(&h.id) {
            Some((seq, recorded)) if recorded != now => breaks.push(ChainBreak {
                seq,
                reason: format!(
                    "legal hold #{} differs from what this entry recorded: it was changed outside msadesk",
                    h.id
                ),
            }),
            Some(_) => {}
            None => breaks.push(ChainBreak {
                seq: head,
                reason: format!("legal hold #{} has no audit entry: it was inserted behind msadesk's back", h.id),
            }),
        }
    }
    for (id, (seq, _)) in expected {
        breaks.push(ChainBreak {
            seq,
            reason: format!("legal hold #{id}, recorded by this entry, was deleted outside msadesk"),
        });
    }
    breaks.into_iter().min_by_key(|b| b.seq)
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
    fn removing_a_row_undoes_adding_it_whatever_the_order_and_the_carries() {
        // Rows chosen to carry and borrow across every byte (0xff.. and 0x01..).
        let rows: Vec<[u8; 32]> = vec![[0xff; 32], [0x01; 32], [0x80; 32], core::array::from_fn(|i| (i * 37) as u8)];
        let mut all = RowsDigest::default();
        for r in &rows {
            all.add(r);
        }
        let mut without_two = RowsDigest::default();
        for r in [&rows[0], &rows[3]] {
            without_two.add(r);
        }
        let mut taken = all;
        taken.remove(&rows[2]);
        taken.remove(&rows[1]);
        assert_eq!(taken, without_two);
        // Removing what was never there changes the digest (it is not a no-op).
        let mut wrong = without_two;
        wrong.remove(&rows[1]);
        assert_ne!(wrong.sum, without_two.sum);
        // And everything removed is the empty digest.
        for r in &rows {
            all.remove(r);
        }
        assert_eq!(all, RowsDigest::default());
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

    fn with_rows(mut c: Vec<AuditEntry>, seq: i64, d: &RowsDigest) -> Vec<AuditEntry> {
        // Rebuild the chain with an "added" detail on entry `seq`.
        let mut prev = GENESIS.to_string();
        for e in &mut c {
            if e.seq == seq {
                e.detail = serde_json::json!({ ROWS_KEY: d.to_json() }).to_string();
            }
            e.prev_hash = prev.clone();
            e.hash = entry_hash(&prev, e.seq, &e.at, &e.actor, &e.entity, &e.action, &e.detail);
            prev = e.hash.clone();
        }
        c
    }

    #[test]
    fn records_are_checked_against_the_entry_that_added_them() {
        let rows: Vec<[u8; 32]> = ["a", "b", "c"].iter().map(|s| row_digest(&[Some(s), None, Some("")])).collect();
        let mut d = RowsDigest::default();
        rows.iter().for_each(|r| d.add(r));
        let c = with_rows(chain(3), 2, &d);
        let cover = |rs: &[[u8; 32]], seq: i64| {
            let mut x = RowsDigest::default();
            rs.iter().for_each(|r| x.add(r));
            let mut cov = Coverage::default();
            if x.count > 0 {
                cov.rows.insert(seq, x);
            }
            cov
        };
        let check = |cov: Coverage, want: Option<i64>| assert_eq!(verify_records(&c, &cov).map(|b| b.seq), want);
        check(cover(&rows, 2), None);
        // Order does not matter.
        check(cover(&[rows[2], rows[0], rows[1]], 2), None);
        // Deleted, edited, inserted (also a duplicate of an existing row), or moved to another entry.
        check(cover(&rows[..2], 2), Some(2));
        check(cover(&[rows[0], rows[1], row_digest(&[Some("x")])], 2), Some(2));
        check(cover(&[rows[0], rows[1], rows[2], rows[2]], 2), Some(2));
        check(cover(&rows, 3), Some(2));
        check(cover(&rows, 9), Some(2));
        let mut extra = cover(&rows, 2);
        extra.rows.insert(1, cover(&rows[..1], 1).rows[&1]);
        check(extra, Some(1));
        // Round trip of the recorded form, and merging equals adding one by one.
        assert_eq!(RowsDigest::from_json(&d.to_json()), Some(d));
        let mut m = RowsDigest::default();
        m.add(&rows[0]);
        let mut rest = RowsDigest::default();
        rest.add(&rows[1]);
        rest.add(&rows[2]);
        m.merge(&rest);
        assert_eq!(m, d);
    }
}
