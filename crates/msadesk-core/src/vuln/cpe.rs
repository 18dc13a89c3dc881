//! CPE names (NIST IR 7695) and NVD configuration matches: does a component's CPE fall under a
//! `cpeMatch` criterion with its `versionStart…`/`versionEnd…` bounds?
//!
//! [`Cpe::parse`] reads the CPE 2.3 formatted string (`cpe:2.3:part:vendor:product:version:update:
//! edition:language:sw_edition:target_sw:target_hw:other`, `\:` escapes a colon) and the older 2.2
//! URI form (`cpe:/a:vendor:product:version`, missing parts meaning ANY). Attribute comparison is
//! case-insensitive; `*` (ANY) in the criterion matches everything, `-` (NA) only NA; wildcards
//! inside a value (`?`, a trailing `*`) are honoured. Versions inside bounds are compared with a
//! [`VersionScheme`] the caller picks (NVD versions are free-form, so [`VersionScheme::Generic`]
//! unless the product's ecosystem is known). Running-on/with (AND) configurations are not evaluated
//! here: the caller combines node results.

use std::cmp::Ordering;

use super::version::{Parsed, VersionError, VersionScheme};

/// The eleven attributes of a CPE name, in order, as written (escapes kept).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cpe {
    pub attrs: [String; 11],
}

const NAMES: [&str; 11] = [
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{cpe}' is not a CPE name ({reason}); expected cpe:2.3:part:vendor:product:version:… such as cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"
)]
pub struct CpeError {
    pub cpe: String,
    pub reason: String,
}

/// Splits on `:` not escaped by a backslash.
fn split_unescaped(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            cur.push(c);
            escaped = true;
        } else if c == ':' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

impl Cpe {
    pub fn parse(input: &str) -> Result<Self, CpeError> {
        let s = input.trim();
        let fail = |reason: &str| CpeError { cpe: s.chars().take(120).collect(), reason: reason.into() };
        if s.len() > 1024 {
            return Err(fail("longer than 1024 bytes"));
        }
        let lower = s.to_ascii_lowercase();
        let mut attrs: [String; 11] = Default::default();
        if let Some(rest) = lower.strip_prefix("cpe:2.3:") {
            let parts = split_unescaped(rest);
            if parts.len() != 11 {
                return Err(fail(&format!(
                    "a CPE 2.3 name has 11 attributes after cpe:2.3:, this has {}",
                    parts.len()
                )));
            }
            for (slot, p) in attrs.iter_mut().zip(parts) {
                if p.is_empty() {
                    return Err(fail("an attribute is empty (write * for ANY, - for not applicable)"));
                }
                *slot = p;
            }
        } else if let Some(rest) = lower.strip_prefix("cpe:/") {
            let parts: Vec<&str> = rest.split(':').collect();
            if parts.len() > 7 {
                return Err(fail("a CPE 2.2 URI has at most 7 components"));
            }
            for (i, slot) in attrs.iter_mut().enumerate() {
                *slot = parts.get(i).filter(|p| !p.is_empty()).map_or("*".to_string(), |p| p.to_string());
            }
        } else {
            return Err(fail("it does not start with cpe:2.3: or cpe:/"));
        }
        if !matches!(attrs[0].as_str(), "a" | "o" | "h" | "*") {
            return Err(fail("the part must be a (application), o (operating system) or h (hardware)"));
        }
        Ok(Cpe { attrs })
    }

    pub fn vendor(&self) -> &str {
        &self.attrs[1]
    }
    pub fn product(&self) -> &str {
        &self.attrs[2]
    }
    pub fn version(&self) -> &str {
        &self.attrs[3]
    }
    pub fn attribute_name(i: usize) -> &'static str {
        NAMES.get(i).copied().unwrap_or("?")
    }
}

/// Matches a value against a criterion value with `?` (one character) and `*` (any run) wildcards.
fn glob(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    // Iterative matcher with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while j < v.len() {
        if i < p.len() && p[i] == '\\' && i + 1 < p.len() && p[i + 1] == v[j] {
            i += 2;
            j += 1;
        } else if i < p.len() && (p[i] == '?' || p[i] == v[j]) && p[i] != '*' {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

fn attr_matches(criterion: &str, value: &str) -> bool {
    match criterion {
        "*" => true,
        "-" => value == "-",
        c if c.contains(['*', '?']) => value != "*" && value != "-" && glob(c, value),
        c => c == value,
    }
}

/// One NVD `cpeMatch` entry: a criterion and optional version bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpeRange {
    pub criteria: Cpe,
    pub start_including: Option<String>,
    pub start_excluding: Option<String>,
    pub end_including: Option<String>,
    pub end_excluding: Option<String>,
}

impl CpeRange {
    fn has_bounds(&self) -> bool {
        self.start_including.is_some()
            || self.start_excluding.is_some()
            || self.end_including.is_some()
            || self.end_excluding.is_some()
    }

    /// Whether `candidate` (a component's CPE with a concrete version) falls under this match.
    /// `Err` when a version cannot be compared under `scheme`: the answer is then unknown.
    pub fn matches(&self, candidate: &Cpe, scheme: VersionScheme) -> Result<bool, VersionError> {
        for i in 0..11 {
            // With bounds, the criterion's version is ANY and the bounds decide.
            if i == 3 && self.has_bounds() {
                continue;
            }
            if !attr_matches(&self.criteria.attrs[i], &candidate.attrs[i]) {
                return Ok(false);
            }
        }
        if !self.has_bounds() {
            return Ok(true);
        }
        let v = candidate.version().replace('\\', "");
        if v == "*" || v == "-" {
            return Ok(false);
        }
        let pv = Parsed::parse(scheme, &v)?;
        let cmp = |b: &str| -> Result<Ordering, VersionError> {
            let pb = Parsed::parse(scheme, &b.to_ascii_lowercase())?;
            Ok(pv.partial_cmp(&pb).unwrap_or(Ordering::Equal))
        };
        if let Some(b) = &self.start_including
            && cmp(b)? == Ordering::Less
        {
            return Ok(false);
        }
        if let Some(b) = &self.start_excluding
            && cmp(b)? != Ordering::Greater
        {
            return Ok(false);
        }
        if let Some(b) = &self.end_including
            && cmp(b)? == Ordering::Greater
        {
            return Ok(false);
        }
        if let Some(b) = &self.end_excluding
            && cmp(b)? != Ordering::Less
        {
            return Ok(false);
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpe(s: &str) -> Cpe {
        Cpe::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn range(criteria: &str, bounds: [Option<&str>; 4]) -> CpeRange {
        let [a, b, c, d] = bounds.map(|x| x.map(str::to_string));
        CpeRange { criteria: cpe(criteria), start_including: a, start_excluding: b, end_including: c, end_excluding: d }
    }

    #[test]
    fn parsing() {
        let c = cpe("cpe:2.3:a:Apache:log4j:2.14.1:*:*:*:*:*:*:*");
        assert_eq!((c.vendor(), c.product(), c.version()), ("apache", "log4j", "2.14.1"));
        let c = cpe(r"cpe:2.3:a:vendor:prod\:uct:1.0:*:*:*:*:*:*:*");
        assert_eq!(c.product(), r"prod\:uct");
        let c = cpe("cpe:/o:debian:debian_linux:12");
        assert_eq!((c.attrs[0].as_str(), c.version(), c.attrs[4].as_str()), ("o", "12", "*"));
        for bad in ["", "cpe:2.3:a:x", "cpe:2.3:x:a:b:c:*:*:*:*:*:*:*", "cpe:2.3:a:v:p::*:*:*:*:*:*:*", "apache log4j"]
        {
            assert!(Cpe::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_with_bounds_and_wildcards() {
        let g = VersionScheme::Generic;
        let log4j = |v: &str| cpe(&format!("cpe:2.3:a:apache:log4j:{v}:*:*:*:*:*:*:*"));
        let r = range("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", [Some("2.13.0"), None, None, Some("2.15.0")]);
        for (v, want) in [("2.12.9", false), ("2.13.0", true), ("2.14.1", true), ("2.15.0", false)] {
            assert_eq!(r.matches(&log4j(v), g), Ok(want), "{v}");
        }
        let r = range("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", [None, Some("2.0"), Some("2.3"), None]);
        assert_eq!(r.matches(&log4j("2.0"), g), Ok(false));
        assert_eq!(r.matches(&log4j("2.3"), g), Ok(true));
        // An exact version criterion, with its update attribute.
        let r = range("cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*", [None; 4]);
        assert_eq!(r.matches(&cpe("cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*"), g), Ok(true));
        assert_eq!(r.matches(&log4j("2.0"), g), Ok(false));
        // Another product never matches; NA only matches NA; wildcards inside values.
        assert_eq!(range("cpe:2.3:a:apache:tomcat:*:*:*:*:*:*:*:*", [None; 4]).matches(&log4j("1"), g), Ok(false));
        let na = range("cpe:2.3:a:apache:log4j:*:-:*:*:*:*:*:*", [None; 4]);
        assert_eq!(na.matches(&log4j("1"), g), Ok(false));
        assert_eq!(na.matches(&cpe("cpe:2.3:a:apache:log4j:1:-:*:*:*:*:*:*"), g), Ok(true));
        let wild = range("cpe:2.3:a:apache:log4j:2.1?.*:*:*:*:*:*:*:*", [None; 4]);
        assert_eq!(wild.matches(&log4j("2.14.1"), g), Ok(true));
        assert_eq!(wild.matches(&log4j("2.2.0"), g), Ok(false));
        // A candidate without a concrete version cannot be inside bounds.
        let r = range("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", [Some("1.0"), None, None, None]);
        assert_eq!(r.matches(&log4j("*"), g), Ok(false));
    }
}
