//! The fallback ordering for ecosystems without a scheme of their own.
//!
//! The version is split into runs of digits and runs of letters; every other character separates
//! (`10.2alpha3..patch.4` is 10, 2, alpha, 3, patch, 4). Runs compare pairwise: numbers as
//! numbers, letters case-insensitively, a number above a word; when one version runs out, it is
//! the lower one. Good enough for "1.2.10 > 1.2.9"; for anything subtler the ecosystem needs its
//! own scheme.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme, cmp_digits, strip_zeros};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericVersion(Vec<Part>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Num(String),
    Word(String),
}

impl Ord for Part {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Part::Num(a), Part::Num(b)) => cmp_digits(a, b),
            (Part::Num(_), Part::Word(_)) => Ordering::Greater,
            (Part::Word(_), Part::Num(_)) => Ordering::Less,
            (Part::Word(a), Part::Word(b)) => a.cmp(b),
        }
    }
}
impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl GenericVersion {
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let mut parts = Vec::new();
        let mut cur = String::new();
        let mut digits = false;
        for c in input.trim().chars() {
            let is_d = c.is_ascii_digit();
            let is_a = c.is_alphabetic();
            // A separator or a change between digits and letters ends the current run.
            if !cur.is_empty() && (!(is_d || is_a) || is_d != digits) {
                parts.push(if digits { Part::Num(strip_zeros(&cur)) } else { Part::Word(cur.clone()) });
                cur.clear();
            }
            if is_d || is_a {
                digits = is_d;
                cur.extend(c.to_lowercase());
            }
        }
        if !cur.is_empty() {
            parts.push(if digits { Part::Num(strip_zeros(&cur)) } else { Part::Word(cur) });
        }
        if parts.is_empty() {
            return Err(VersionError::new(VersionScheme::Generic, input, "no digits or letters"));
        }
        Ok(GenericVersion(parts))
    }
}

impl Ord for GenericVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}
impl PartialOrd for GenericVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering::*;

    use super::super::VersionScheme::Generic as G;
    use super::super::tests::{check, check_invalid};

    #[test]
    fn cases() {
        for (a, b, want) in [
            ("1.2.10", "1.2.9", Greater),
            ("1.2", "1.2.0", Less),
            ("10.2alpha3..patch.4", "10.2.alpha.3.patch.4", Equal),
            ("1.0a", "1.0.1", Less),
            ("R2", "r2", Equal),
            ("2024-01-05", "2024-01-10", Less),
        ] {
            check(G, a, b, want);
        }
        check_invalid(G, "..");
    }
}
