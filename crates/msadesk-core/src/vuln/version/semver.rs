//! Semantic Versioning 2.0.0 precedence (semver.org §11), as used by npm, crates.io and Go.
//!
//! Leniencies, because feeds and SBOMs write versions loosely: a leading `v`/`V` (Go's `v1.2.3`)
//! and surrounding whitespace are dropped, and a missing minor or patch number counts as 0 (`1.2`
//! is `1.2.0`). Numeric components may have leading zeros. Build metadata (`+…`) is kept for
//! display but ignored for precedence, as the specification says. Go pseudo-versions
//! (`v0.0.0-20191109021931-daa7c04131f5`) are ordinary pre-releases and order correctly by their
//! timestamp.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme, cmp_digits, strip_zeros};

#[derive(Debug, Clone)]
pub struct SemVer {
    /// major, minor, patch as digit strings without leading zeros.
    pub core: [String; 3],
    pub pre: Vec<Ident>,
    pub build: String,
}

/// A pre-release identifier: numeric identifiers sort below alphanumeric ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ident {
    Num(String),
    Alpha(String),
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => cmp_digits(a, b),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}
impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn err(v: &str, reason: &str) -> VersionError {
    VersionError::new(VersionScheme::SemVer, v, reason)
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

impl SemVer {
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let s = input.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => {
                if b.is_empty() || !b.split('.').all(|p| !p.is_empty() && p.chars().all(is_ident_char)) {
                    return Err(err(input, "build metadata must be dot-separated [0-9A-Za-z-] identifiers"));
                }
                (r, b.to_string())
            }
            None => (s, String::new()),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return Err(err(input, "expected MAJOR.MINOR.PATCH"));
        }
        let mut nums = [String::new(), String::new(), String::new()];
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(input, "MAJOR, MINOR and PATCH must be numbers"));
            }
            nums[i] = strip_zeros(p);
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => {
                let mut ids = Vec::new();
                for id in p.split('.') {
                    if id.is_empty() || !id.chars().all(is_ident_char) {
                        return Err(err(input, "pre-release must be dot-separated [0-9A-Za-z-] identifiers"));
                    }
                    ids.push(if id.bytes().all(|b| b.is_ascii_digit()) {
                        Ident::Num(strip_zeros(id))
                    } else {
                        Ident::Alpha(id.to_string())
                    });
                }
                ids
            }
        };
        Ok(SemVer { core: nums, pre, build })
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0..3 {
            let c = cmp_digits(&self.core[i], &other.core[i]);
            if c != Ordering::Equal {
                return c;
            }
        }
        // A version without pre-release has higher precedence than one with.
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.pre.cmp(&other.pre),
        }
    }
}
impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for SemVer {}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering::*;

    use super::super::VersionScheme::SemVer as S;
    use super::super::tests::{check, check_invalid, check_sorted};

    #[test]
    fn precedence_from_the_specification() {
        check_sorted(
            S,
            &[
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.0.1",
                "1.1.0",
                "2.0.0",
                "10.0.0",
            ],
        );
    }

    #[test]
    fn tricky_cases() {
        for (a, b, want) in [
            ("1.0.0+build.1", "1.0.0+build.2", Equal), // build metadata has no precedence
            ("v1.2.3", "1.2.3", Equal),                // Go's prefix
            ("1.2", "1.2.0", Equal),                   // lenient: missing patch is 0
            ("1", "1.0.0", Equal),
            ("01.2.3", "1.2.3", Equal),
            ("1.0.0-2", "1.0.0-10", Less),     // numeric identifiers compare as numbers
            ("1.0.0-a10", "1.0.0-a9", Less),   // alphanumeric ones in ASCII order
            ("1.0.0-Z", "1.0.0-a", Less),      // ASCII: upper case first
            ("1.0.0-x-y", "1.0.0-x", Greater), // hyphens belong to identifiers
            ("1.0.0-1", "1.0.0-alpha", Less),  // numeric below alphanumeric
            ("1.0.0-alpha.1", "1.0.0-alpha", Greater), // more identifiers win when the rest is equal
            ("18446744073709551616.0.0", "18446744073709551615.0.0", Greater),
            // Go pseudo-versions order by timestamp and stay below the release.
            ("v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-aaaaaaaaaaaa", Less),
            ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", Less),
            ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3", Greater),
            ("v2.0.0+incompatible", "v2.0.0", Equal),
        ] {
            check(S, a, b, want);
        }
    }

    #[test]
    fn refused() {
        for v in ["", "a.b.c", "1.2.3.4", "1..2", "1.2.3-", "1.2.3-a..b", "1.2.3+", "1.2.3-a$b", "1.x"] {
            check_invalid(S, v);
        }
    }
}
