//! Debian version ordering, as `dpkg --compare-versions` (Debian Policy §5.6.12).
//!
//! `[epoch:]upstream_version[-debian_revision]`: the epoch is a number (0 when absent); the
//! revision is everything after the last `-` (empty when there is none). Upstream and revision are
//! compared with dpkg's `verrevcmp`: alternately a run of non-digits (character by character,
//! `~` before the end of the string, letters before other characters) and a run of digits
//! (numerically).

use std::cmp::Ordering;

use super::{VersionError, VersionScheme, cmp_digits, strip_zeros};

#[derive(Debug, Clone)]
pub struct DebianVersion {
    epoch: String,
    upstream: String,
    revision: String,
}

fn err(v: &str, reason: &str) -> VersionError {
    VersionError::new(VersionScheme::Debian, v, reason)
}

impl DebianVersion {
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(err(input, "the version is empty"));
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, r)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err(input, "the epoch (before ':') must be a number"));
                }
                (strip_zeros(e), r)
            }
            None => (String::new(), s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, r),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(err(input, "the upstream version is empty"));
        }
        if !upstream.as_bytes()[0].is_ascii_digit() {
            return Err(err(input, "the upstream version must start with a digit"));
        }
        let ok = |c: char, extra: &str| c.is_ascii_alphanumeric() || extra.contains(c);
        if !upstream.chars().all(|c| ok(c, ".+-~:")) {
            return Err(err(input, "the upstream version may only contain A-Za-z0-9 . + - ~ :"));
        }
        if !revision.chars().all(|c| ok(c, ".+~")) {
            return Err(err(input, "the Debian revision may only contain A-Za-z0-9 . + ~"));
        }
        Ok(DebianVersion { epoch, upstream: upstream.to_string(), revision: revision.to_string() })
    }
}

/// dpkg's character weight: `~` lowest, then the end of the string and digits, letters, the rest.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(c) => c as i32 + 256,
    }
}

fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // Non-digit prefix, character by character.
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied().filter(|c| !c.is_ascii_digit()));
            let bc = order(b.get(j).copied().filter(|c| !c.is_ascii_digit()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            if i < a.len() && !a[i].is_ascii_digit() {
                i += 1;
            }
            if j < b.len() && !b[j].is_ascii_digit() {
                j += 1;
            }
        }
        let si = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        let sj = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let c = cmp_digits(std::str::from_utf8(&a[si..i]).unwrap_or(""), std::str::from_utf8(&b[sj..j]).unwrap_or(""));
        if c != Ordering::Equal {
            return c;
        }
    }
    Ordering::Equal
}

impl Ord for DebianVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}
impl PartialOrd for DebianVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for DebianVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for DebianVersion {}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering::*;

    use super::super::VersionScheme::Debian as D;
    use super::super::tests::{check, check_invalid, check_sorted};

    #[test]
    fn tilde_sorts_before_everything() {
        check_sorted(D, &["1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a", "1.0+", "1.0.1", "1.1"]);
    }

    #[test]
    fn tricky_cases() {
        for (a, b, want) in [
            ("1:1.0", "2.0", Greater), // epoch first
            ("0:1.0", "1.0", Equal),   // epoch 0 is the default
            ("1.0-1", "1.0-2", Less),
            ("1.0-10", "1.0-9", Greater),
            ("1.0", "1.0-0", Equal), // an empty revision equals "0"
            ("1.0-1", "1.0", Greater),
            ("2.30-1ubuntu1", "2.30-1", Greater),
            ("1.2.3-1~deb11u1", "1.2.3-1", Less),
            ("1.2.3-1+deb11u1", "1.2.3-1", Greater),
            ("1.0-1-2", "1.0-1-1", Greater), // the revision is after the last hyphen
            ("1.01", "1.1", Equal),
            ("1.0a", "1.0.", Less), // letters before other characters
            ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12", Less),
            ("1:2.3:4-5", "1:2.3:4-5", Equal), // colons allowed in upstream after an epoch
        ] {
            check(D, a, b, want);
        }
    }

    #[test]
    fn refused() {
        for v in ["", "a1.0", "x:1.0", ":1.0", "1.0 beta", "1.0-a_b", "-1"] {
            check_invalid(D, v);
        }
    }
}
