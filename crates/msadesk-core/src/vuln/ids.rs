//! Vulnerability identifiers and their aliases: CVE, GHSA, EUVD (ENISA's EU Vulnerability
//! Database, `EUVD-YYYY-NNNNN`) and the ecosystem databases' own ids (PYSEC, RUSTSEC, GO, OSV…).
//!
//! [`normalize_id`] writes an id in its canonical spelling so that the same vulnerability named by
//! two feeds compares equal; [`unify`] merges sets of ids that share any member into one key set
//! per vulnerability (a CVE known under a GHSA in OSV and under an EUVD id elsewhere becomes one
//! set). Nothing here knows which feed said what: that stays with the records.

use std::collections::{BTreeMap, BTreeSet};

/// The kind of an identifier, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    Cve,
    Ghsa,
    Euvd,
    Other,
}

/// Canonical spelling: CVE and EUVD ids upper case, GHSA ids as `GHSA-` plus lower-case groups
/// (GitHub's spelling), everything else trimmed as given. `None` for an empty or overlong id.
pub fn normalize_id(id: &str) -> Option<String> {
    let t = id.trim();
    if t.is_empty() || t.len() > 200 || t.chars().any(char::is_control) {
        return None;
    }
    let upper = t.to_ascii_uppercase();
    Some(if upper.starts_with("CVE-") || upper.starts_with("EUVD-") {
        upper
    } else if upper.starts_with("GHSA-") {
        format!("GHSA-{}", t[5..].to_ascii_lowercase())
    } else {
        t.to_string()
    })
}

pub fn id_kind(id: &str) -> IdKind {
    let u = id.trim().to_ascii_uppercase();
    if is_dated(&u, "CVE-", 4) {
        IdKind::Cve
    } else if is_dated(&u, "EUVD-", 1) {
        IdKind::Euvd
    } else if u.starts_with("GHSA-") && u.len() == 19 && u[5..].split('-').count() == 3 {
        IdKind::Ghsa
    } else {
        IdKind::Other
    }
}

/// `PREFIX-YYYY-N…` with at least `min_digits` digits in the sequence number.
fn is_dated(u: &str, prefix: &str, min_digits: usize) -> bool {
    let Some(rest) = u.strip_prefix(prefix) else { return false };
    let Some((year, seq)) = rest.split_once('-') else { return false };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && seq.len() >= min_digits
        && seq.bytes().all(|b| b.is_ascii_digit())
}

/// Merges id sets that share an id, transitively. Each output set is one vulnerability; sets are
/// returned in the order of their smallest id.
pub fn unify(sets: impl IntoIterator<Item = BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    // Union-find over ids.
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    fn find(parent: &mut BTreeMap<String, String>, x: &str) -> String {
        let mut root = x.to_string();
        while let Some(p) = parent.get(&root) {
            if *p == root {
                break;
            }
            root = p.clone();
        }
        // Path compression.
        let mut cur = x.to_string();
        while let Some(p) = parent.get(&cur).cloned() {
            if p == cur {
                break;
            }
            parent.insert(cur, root.clone());
            cur = p;
        }
        root
    }
    for set in sets {
        let mut iter = set.into_iter();
        let Some(first) = iter.next() else { continue };
        parent.entry(first.clone()).or_insert_with(|| first.clone());
        for id in iter {
            parent.entry(id.clone()).or_insert_with(|| id.clone());
            let (a, b) = (find(&mut parent, &first), find(&mut parent, &id));
            if a != b {
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                parent.insert(hi, lo);
            }
        }
    }
    let ids: Vec<String> = parent.keys().cloned().collect();
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for id in ids {
        let root = find(&mut parent, &id);
        groups.entry(root).or_default().insert(id);
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn normalisation_and_kinds() {
        for (input, norm, kind) in [
            (" cve-2021-44228 ", "CVE-2021-44228", IdKind::Cve),
            ("GHSA-JFH8-C2JP-5V3Q", "GHSA-jfh8-c2jp-5v3q", IdKind::Ghsa),
            ("euvd-2024-12345", "EUVD-2024-12345", IdKind::Euvd),
            ("PYSEC-2021-123", "PYSEC-2021-123", IdKind::Other),
            ("CVE-2021-1", "CVE-2021-1", IdKind::Other), // a CVE sequence number has at least 4 digits
        ] {
            let n = normalize_id(input).unwrap_or_default();
            assert_eq!(n, norm);
            assert_eq!(id_kind(&n), kind, "{input}");
        }
        assert_eq!(normalize_id("  "), None);
    }

    #[test]
    fn unify_merges_transitively() {
        let groups = unify([
            set(&["GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"]),
            set(&["EUVD-2021-0001", "CVE-2021-44228"]),
            set(&["CVE-2022-0001"]),
            set(&["PYSEC-1", "EUVD-2021-0001"]),
        ]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0], set(&["CVE-2021-44228", "EUVD-2021-0001", "GHSA-jfh8-c2jp-5v3q", "PYSEC-1"]));
        assert_eq!(groups[1], set(&["CVE-2022-0001"]));
    }
}
