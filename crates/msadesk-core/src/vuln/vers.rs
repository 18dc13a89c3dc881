//! `vers:` version range specifiers (package-url/purl-spec, VERS).
//!
//! `vers:<scheme>/<constraint>|<constraint>|…`, each constraint an optional comparator (`=`,
//! `!=`, `<`, `<=`, `>`, `>=`; none means `=`) and a percent-encoded version, or the single
//! constraint `*` (every version). Parsing checks what the specification requires: a known
//! scheme, no empty constraint, each version at most once, constraints sorted by version. The
//! containment test is the specification's algorithm ([`VersRange::contains`]).
//!
//! One reading of ours where the specification is silent: a range made only of `!=` constraints
//! (`vers:npm/!=1.0.0|!=2.0.0`) contains every other version. PyPI `univers` agrees for a single
//! `!=` and answers "no version" for two or more; the generated oracle cases do not include that
//! shape.

use std::cmp::Ordering;
use std::fmt;

use super::version::{Parsed, VersionError, VersionScheme};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "!=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Constraint {
    pub comparator: Comparator,
    pub version: String,
    parsed: Parsed,
}

/// A parsed `vers:` range.
#[derive(Debug, Clone)]
pub struct VersRange {
    /// The scheme as written (`npm`, `pypi`, …).
    pub scheme_name: String,
    pub scheme: VersionScheme,
    /// Empty means `*` (all versions).
    pub constraints: Vec<Constraint>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersError {
    #[error("'{0}' is not a vers range: expected vers:<scheme>/<constraints>, e.g. vers:npm/>=1.0.0|<2.0.0")]
    Syntax(String),
    #[error("vers scheme '{0}' is not supported (npm, cargo, golang, pypi, maven, deb, gem, generic are)")]
    UnknownScheme(String),
    #[error("vers range has an empty constraint (two '|' in a row, or one at an end)")]
    EmptyConstraint,
    #[error("vers constraint '{0}' has no version after its comparator")]
    MissingVersion(String),
    #[error("vers range names version '{0}' more than once")]
    Duplicate(String),
    #[error("vers range constraints must be sorted by version: '{0}' comes after '{1}'")]
    Unsorted(String, String),
    #[error("'*' must be the only constraint of a vers range")]
    StarNotAlone,
    #[error(transparent)]
    Version(#[from] VersionError),
}

fn pct_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl VersRange {
    pub fn parse(input: &str) -> Result<Self, VersError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let rest = s
            .strip_prefix("vers:")
            .or_else(|| s.strip_prefix("VERS:"))
            .ok_or_else(|| VersError::Syntax(input.chars().take(80).collect()))?;
        let (scheme_name, spec) =
            rest.split_once('/').ok_or_else(|| VersError::Syntax(input.chars().take(80).collect()))?;
        let scheme_name = scheme_name.to_ascii_lowercase();
        let scheme = VersionScheme::from_vers_scheme(&scheme_name)
            .ok_or_else(|| VersError::UnknownScheme(scheme_name.clone()))?;
        let spec = spec.trim_matches('|');
        if spec == "*" {
            return Ok(VersRange { scheme_name, scheme, constraints: Vec::new() });
        }
        if spec.is_empty() {
            return Err(VersError::EmptyConstraint);
        }
        let mut constraints: Vec<Constraint> = Vec::new();
        for raw in spec.split('|') {
            if raw.is_empty() {
                return Err(VersError::EmptyConstraint);
            }
            if raw == "*" {
                return Err(VersError::StarNotAlone);
            }
            let (comparator, v) = [
                (">=", Comparator::Ge),
                ("<=", Comparator::Le),
                ("!=", Comparator::Ne),
                ("<", Comparator::Lt),
                (">", Comparator::Gt),
                ("=", Comparator::Eq),
            ]
            .iter()
            .find_map(|(p, c)| raw.strip_prefix(p).map(|v| (*c, v)))
            .unwrap_or((Comparator::Eq, raw));
            if v.is_empty() {
                return Err(VersError::MissingVersion(raw.to_string()));
            }
            let version = pct_decode(v).ok_or_else(|| VersError::Syntax(raw.to_string()))?;
            let parsed = Parsed::parse(scheme, &version)?;
            if let Some(prev) = constraints.last() {
                match prev.parsed.partial_cmp(&parsed) {
                    Some(Ordering::Less) => {}
                    Some(Ordering::Equal) => return Err(VersError::Duplicate(version)),
                    _ => return Err(VersError::Unsorted(version, prev.version.clone())),
                }
            }
            constraints.push(Constraint { comparator, version, parsed });
        }
        Ok(VersRange { scheme_name, scheme, constraints })
    }

    /// The specification's containment algorithm.
    pub fn contains(&self, version: &str) -> Result<bool, VersionError> {
        if self.constraints.is_empty() {
            return Ok(true);
        }
        let v = Parsed::parse(self.scheme, version)?;
        let cmp = |c: &Constraint| v.partial_cmp(&c.parsed).unwrap_or(Ordering::Equal);
        for c in &self.constraints {
            match (c.comparator, cmp(c)) {
                (Comparator::Eq, Ordering::Equal) => return Ok(true),
                (Comparator::Ne, Ordering::Equal) => return Ok(false),
                _ => {}
            }
        }
        let rest: Vec<&Constraint> =
            self.constraints.iter().filter(|c| !matches!(c.comparator, Comparator::Eq | Comparator::Ne)).collect();
        let (Some(first), Some(last)) = (rest.first(), rest.last()) else {
            // Only "=" / "!=" constraints: with "!=" only, everything else is in the range.
            return Ok(self.constraints.iter().all(|c| c.comparator == Comparator::Ne));
        };
        let lower = |c: &Constraint| matches!(c.comparator, Comparator::Lt | Comparator::Le);
        let upper_ok = |c: &Constraint| match cmp(c) {
            Ordering::Less => true,
            Ordering::Equal => c.comparator == Comparator::Le,
            Ordering::Greater => false,
        };
        let lower_ok = |c: &Constraint| match cmp(c) {
            Ordering::Greater => true,
            Ordering::Equal => c.comparator == Comparator::Ge,
            Ordering::Less => false,
        };
        if lower(first) && upper_ok(first) {
            return Ok(true);
        }
        if !lower(last) && lower_ok(last) {
            return Ok(true);
        }
        for pair in rest.windows(2) {
            let (cur, next) = (pair[0], pair[1]);
            if !lower(cur) && lower(next) && lower_ok(cur) && upper_ok(next) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl fmt::Display for VersRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.scheme_name)?;
        if self.constraints.is_empty() {
            return f.write_str("*");
        }
        for (i, c) in self.constraints.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            let op = if c.comparator == Comparator::Eq { "" } else { c.comparator.as_str() };
            write!(f, "{op}{}", c.version)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(range: &str, cases: &[(&str, bool)]) {
        let r = VersRange::parse(range).unwrap_or_else(|e| panic!("{range}: {e}"));
        for (v, want) in cases {
            assert_eq!(r.contains(v), Ok(*want), "{range} contains {v}");
        }
    }

    #[test]
    fn containment() {
        check("vers:npm/>=1.0.0|<2.0.0", &[("0.9.0", false), ("1.0.0", true), ("1.5.0", true), ("2.0.0", false)]);
        check("vers:npm/*", &[("0.0.1", true), ("99.0.0", true)]);
        check("vers:npm/<1.0.0", &[("0.1.0", true), ("1.0.0", false)]);
        check("vers:npm/<=1.0.0", &[("1.0.0", true), ("1.0.1", false)]);
        check("vers:npm/>2.0.0", &[("2.0.0", false), ("2.0.1", true)]);
        check("vers:npm/1.2.3", &[("1.2.3", true), ("1.2.4", false)]);
        check("vers:npm/1.0.0|1.2.0", &[("1.0.0", true), ("1.1.0", false), ("1.2.0", true)]);
        check("vers:npm/!=1.5.0", &[("1.5.0", false), ("1.6.0", true)]);
        // Two intervals with a hole and an excluded version inside the first.
        check(
            "vers:pypi/>=1.0|!=1.2|<1.5|>=2.0|<=2.4",
            &[
                ("0.9", false),
                ("1.0", true),
                ("1.2", false),
                ("1.4", true),
                ("1.5", false),
                ("1.9", false),
                ("2.4", true),
                ("2.4.1", false),
            ],
        );
        check(
            "vers:deb/>=1:1.0-1|<1:2.0~rc1",
            &[("1:1.5-1", true), ("1:2.0~beta", true), ("1:2.0", false), ("1.9", false)],
        );
        check("vers:maven/>=1.0-SNAPSHOT|<1.0", &[("1.0-SNAPSHOT", true), ("1.0-rc1", false), ("1.0", false)]);
        check("vers:golang/>=v1.2.0|<v1.2.4", &[("v1.2.3", true), ("v1.2.4-0.20191109021931-daa7c04131f5", true)]);
    }

    #[test]
    fn display_round_trips() {
        let r = VersRange::parse("vers:npm/>=1.0.0 | <2.0.0").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.to_string(), "vers:npm/>=1.0.0|<2.0.0");
    }

    #[test]
    fn refused() {
        for (input, want) in [
            ("npm/>=1.0.0", "not a vers range"),
            ("vers:npm", "not a vers range"),
            ("vers:nope/1.0", "not supported"),
            ("vers:npm/>=1.0.0||<2.0.0", "empty constraint"),
            ("vers:npm/<2.0.0|>=1.0.0", "sorted"),
            ("vers:npm/1.0.0|>=1.0.0", "more than once"),
            ("vers:npm/*|1.0.0", "only constraint"),
            ("vers:npm/>=", "no version"),
            ("vers:npm/>=abc", "not a valid SemVer"),
        ] {
            let e = VersRange::parse(input).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(want), "{input}: {e}");
        }
    }
}
