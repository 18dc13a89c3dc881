//! PEP 440 version ordering (PyPI), following the normalisation and sort key of the reference
//! implementation (`packaging.version`).
//!
//! Accepted spellings are those of PEP 440's permissive pattern: case-insensitive, optional leading
//! `v`, `alpha`/`a`, `beta`/`b`, `c`/`pre`/`preview`/`rc` for pre-releases, `post`/`rev`/`r` or
//! `-N` for post-releases, `dev`, separators `.`, `-`, `_` between segments, implicit 0 numbers,
//! and `+local` versions. Legacy (non-PEP 440) versions are refused, as modern pip does.
//!
//! Sort key: epoch; release with trailing zeros removed; a dev-only release (`1.0.dev1`) before
//! every pre-release of it; pre-release (a < b < rc) before the final; post-releases after; dev
//! releases before their non-dev counterpart; a local version after its public one, local
//! segments compared numeric-above-string, shorter first.

use std::cmp::Ordering;

use super::{VersionError, VersionScheme, cmp_digits, strip_zeros};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pep440 {
    epoch: String,
    release: Vec<String>,
    /// (0 = a, 1 = b, 2 = rc, number)
    pre: Option<(u8, String)>,
    post: Option<String>,
    dev: Option<String>,
    local: Vec<LocalPart>,
    has_local: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum LocalPart {
    Num(String),
    Str(String),
}

impl Ord for LocalPart {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (LocalPart::Num(a), LocalPart::Num(b)) => cmp_digits(a, b),
            (LocalPart::Num(_), LocalPart::Str(_)) => Ordering::Greater,
            (LocalPart::Str(_), LocalPart::Num(_)) => Ordering::Less,
            (LocalPart::Str(a), LocalPart::Str(b)) => a.cmp(b),
        }
    }
}
impl PartialOrd for LocalPart {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn digits(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        (self.pos > start).then(|| String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }
    fn sep(&mut self) -> bool {
        if matches!(self.peek(), Some(b'.' | b'-' | b'_')) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = &self.s[self.pos..];
        for (i, w) in words.iter().enumerate() {
            if rest.starts_with(w.as_bytes()) {
                self.pos += w.len();
                return Some(i);
            }
        }
        None
    }
    /// `[-_.]?WORD[-_.]?N?`: the matched word's index and number ("" when implicit). Nothing is
    /// consumed when no word follows.
    fn labelled(&mut self, words: &[&str]) -> Option<(usize, String)> {
        let save = self.pos;
        self.sep();
        let Some(i) = self.word(words) else {
            self.pos = save;
            return None;
        };
        let after_word = self.pos;
        self.sep();
        match self.digits() {
            Some(n) => Some((i, n)),
            None => {
                // The separator belongs to what follows, not to this segment.
                self.pos = after_word;
                Some((i, String::new()))
            }
        }
    }
}

fn err(v: &str, reason: &str) -> VersionError {
    VersionError::new(VersionScheme::Pep440, v, reason)
}

impl Pep440 {
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let lower = input.trim().to_ascii_lowercase();
        let mut c = Cursor { s: lower.as_bytes(), pos: 0 };
        if c.peek() == Some(b'v') {
            c.pos += 1;
        }
        let first = c.digits().ok_or_else(|| err(input, "expected a release number such as 1.0"))?;
        let (epoch, mut release) = if c.peek() == Some(b'!') {
            c.pos += 1;
            let r = c.digits().ok_or_else(|| err(input, "expected a release number after the epoch"))?;
            (strip_zeros(&first), vec![r])
        } else {
            (String::new(), vec![first])
        };
        while c.peek() == Some(b'.') && c.s.get(c.pos + 1).is_some_and(|b| b.is_ascii_digit()) {
            c.pos += 1;
            release.extend(c.digits());
        }
        let release: Vec<String> = release.iter().map(|r| strip_zeros(r)).collect();

        let pre = c.labelled(&["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]).map(|(i, n)| {
            (
                match i {
                    0 | 1 => 0,
                    2 | 3 => 1,
                    _ => 2,
                },
                strip_zeros(&n),
            )
        });

        let post = if c.peek() == Some(b'-') && c.s.get(c.pos + 1).is_some_and(|b| b.is_ascii_digit()) {
            c.pos += 1;
            c.digits().map(|n| strip_zeros(&n))
        } else {
            c.labelled(&["post", "rev", "r"]).map(|(_, n)| strip_zeros(&n))
        };
        let dev = c.labelled(&["dev"]).map(|(_, n)| strip_zeros(&n));

        let mut local = Vec::new();
        let mut has_local = false;
        if c.peek() == Some(b'+') {
            c.pos += 1;
            has_local = true;
            let rest = String::from_utf8_lossy(&c.s[c.pos..]).into_owned();
            for part in rest.split(['.', '-', '_']) {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(err(input, "a local version is letters and digits separated by . - _"));
                }
                local.push(if part.bytes().all(|b| b.is_ascii_digit()) {
                    LocalPart::Num(strip_zeros(part))
                } else {
                    LocalPart::Str(part.to_string())
                });
            }
            c.pos = c.s.len();
        }
        if c.pos != c.s.len() {
            return Err(err(
                input,
                "unexpected text; expected N(.N)*[{a|b|rc}N][.postN][.devN][+local] with an optional N! epoch",
            ));
        }
        Ok(Pep440 { epoch, release, pre, post, dev, local, has_local })
    }

    fn release_trimmed(&self) -> &[String] {
        let mut n = self.release.len();
        while n > 0 && self.release[n - 1].is_empty() {
            n -= 1;
        }
        &self.release[..n]
    }
}

/// A component of the sort key that may be "below everything" or "above everything".
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    NegInf,
    Val(T),
    PosInf,
}

#[derive(Debug, PartialEq, Eq)]
struct Num<'a>(&'a str);
impl Ord for Num<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.0, other.0)
    }
}
impl PartialOrd for Num<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pep440 {
    fn cmp(&self, other: &Self) -> Ordering {
        let key = |v: &Pep440| {
            let pre = match (&v.pre, &v.post, &v.dev) {
                (None, None, Some(_)) => Bound::NegInf,
                (None, _, _) => Bound::PosInf,
                (Some((l, n)), _, _) => Bound::Val((*l, n.clone())),
            };
            let post = v.post.as_ref().map_or(Bound::NegInf, |p| Bound::Val(p.clone()));
            let dev = v.dev.as_ref().map_or(Bound::PosInf, |d| Bound::Val(d.clone()));
            (pre, post, dev)
        };
        let num = |a: &Bound<String>, b: &Bound<String>| match (a, b) {
            (Bound::Val(x), Bound::Val(y)) => cmp_digits(x, y),
            _ => a.cmp(b),
        };
        let (ka, kb) = (key(self), key(other));
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| {
                let (ra, rb) = (self.release_trimmed(), other.release_trimmed());
                ra.iter().map(|s| Num(s)).cmp(rb.iter().map(|s| Num(s)))
            })
            .then_with(|| match (&ka.0, &kb.0) {
                (Bound::Val((la, na)), Bound::Val((lb, nb))) => la.cmp(lb).then_with(|| cmp_digits(na, nb)),
                (a, b) => bound_rank(a).cmp(&bound_rank(b)),
            })
            .then_with(|| num(&ka.1, &kb.1))
            .then_with(|| num(&ka.2, &kb.2))
            .then_with(|| match (self.has_local, other.has_local) {
                (false, false) => Ordering::Equal,
                (false, true) => Ordering::Less,
                (true, false) => Ordering::Greater,
                (true, true) => self.local.cmp(&other.local),
            })
    }
}

fn bound_rank<T>(b: &Bound<T>) -> u8 {
    match b {
        Bound::NegInf => 0,
        Bound::Val(_) => 1,
        Bound::PosInf => 2,
    }
}

impl PartialOrd for Pep440 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering::*;

    use super::super::VersionScheme::Pep440 as P;
    use super::super::tests::{check, check_invalid, check_sorted};

    #[test]
    fn the_pep_440_example_order() {
        check_sorted(
            P,
            &[
                "1.0.dev456",
                "1.0a1",
                "1.0a2.dev456",
                "1.0a12.dev456",
                "1.0a12",
                "1.0b1.dev456",
                "1.0b2",
                "1.0b2.post345.dev456",
                "1.0b2.post345",
                "1.0rc1.dev456",
                "1.0rc1",
                "1.0",
                "1.0+abc.5",
                "1.0+abc.7",
                "1.0+5",
                "1.0.post456.dev34",
                "1.0.post456",
                "1.0.15",
                "1.1.dev1",
                "1!0.1",
            ],
        );
    }

    #[test]
    fn normalisation() {
        for (a, b, want) in [
            ("1.0", "1.0.0", Equal),
            ("1.0", "1", Equal),
            ("v1.0", "1.0", Equal),
            ("1.0alpha1", "1.0a1", Equal),
            ("1.0-beta.2", "1.0b2", Equal),
            ("1.0c1", "1.0rc1", Equal),
            ("1.0pre1", "1.0rc1", Equal),
            ("1.0preview1", "1.0rc1", Equal),
            ("1.0a", "1.0a0", Equal),
            ("1.0-1", "1.0.post1", Equal),
            ("1.0rev1", "1.0.post1", Equal),
            ("1.0r", "1.0.post0", Equal),
            ("1.0.dev", "1.0.dev0", Equal),
            ("1.0RC1", "1.0rc1", Equal),
            ("0!1.0", "1.0", Equal),
            ("1.0+ubuntu-1", "1.0+ubuntu.1", Equal),
            ("1.01", "1.1", Equal),
            ("1.0+1", "1.0+01", Equal),
            ("2.0", "10.0", Less),
            ("1.0+a", "1.0+1", Less),   // numeric local segments above strings
            ("1.0+1", "1.0+1.a", Less), // shorter local first
            ("1.0.post1", "1.0.1", Less),
            ("1.0a1.post1", "1.0a2", Less),
            ("1.0.dev1", "1.0a1.dev1", Less), // dev-only release below pre-releases
            ("1!1.0", "2.0", Greater),
        ] {
            check(P, a, b, want);
        }
    }

    #[test]
    fn refused() {
        for v in ["", "a", "1.0-", "1.0+", "1.0+a..b", "1.0.x", "1.0 beta", "1.0dev1dev2", "1.0+$", "!1"] {
            check_invalid(P, v);
        }
    }
}
