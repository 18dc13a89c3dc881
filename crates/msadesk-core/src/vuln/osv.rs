//! OSV `affected[]` evaluation: is a package version inside the affected ranges of a record?
//!
//! Implements the OSV schema's evaluation (ossf.github.io/osv-schema, "Evaluation"): for each range
//! of type `SEMVER` or `ECOSYSTEM`, the events are sorted by version (`introduced: "0"` below
//! everything) and walked in order; `introduced` switches "affected" on when the version is at or
//! above it, `fixed` switches it off at or above the fix, `last_affected` off strictly above it.
//! A `limit` event caps the range: at or above it, this range says "not affected". A version listed
//! in `versions` (exactly, or as an equal version of the ecosystem) is affected whatever the
//! ranges say. `GIT` ranges need commit graphs and are skipped here (reported in
//! [`Evaluation::skipped_ranges`]).
//!
//! This module holds the data needed for the question, not the whole OSV record: the reader in
//! `msadesk-formats` maps a parsed record onto [`Affected`].

use std::cmp::Ordering;

use super::version::{Parsed, VersionError, VersionScheme, compare};

/// One event of a range, in OSV's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// The `type` of an OSV range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeKind {
    SemVer,
    Ecosystem,
    Git,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub kind: RangeKind,
    pub events: Vec<Event>,
}

/// The part of one OSV `affected[]` entry that decides whether a version is affected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Affected {
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions (exact strings).
    pub versions: Vec<String>,
}

/// The answer, with what could not be looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub affected: bool,
    /// `GIT` ranges, which need a repository to evaluate.
    pub skipped_ranges: usize,
}

/// Whether `version` is affected. `scheme` is the ordering of the package's ecosystem (used for
/// `ECOSYSTEM` ranges); `SEMVER` ranges always use SemVer. `Err` when the version or a bound is not
/// a valid version of its scheme: the answer is then unknown, not "no".
pub fn evaluate(affected: &Affected, scheme: VersionScheme, version: &str) -> Result<Evaluation, VersionError> {
    let mut skipped = 0;
    // Listed versions match exactly, or as equal versions of the ecosystem (PyPI `2.31` is `2.31.0`).
    if affected.versions.iter().any(|v| v == version || compare(scheme, v, version) == Ok(Ordering::Equal)) {
        return Ok(Evaluation { affected: true, skipped_ranges: 0 });
    }
    for range in &affected.ranges {
        let scheme = match range.kind {
            RangeKind::SemVer => VersionScheme::SemVer,
            RangeKind::Ecosystem => scheme,
            RangeKind::Git => {
                skipped += 1;
                continue;
            }
        };
        if range_contains(range, scheme, version)? {
            return Ok(Evaluation { affected: true, skipped_ranges: skipped });
        }
    }
    Ok(Evaluation { affected: false, skipped_ranges: skipped })
}

/// `None` stands for `introduced: "0"`, which is below every version.
type Bound = Option<Parsed>;

fn cmp_bound(a: &Bound, b: &Bound) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
    }
}

fn range_contains(range: &Range, scheme: VersionScheme, version: &str) -> Result<bool, VersionError> {
    let v = Parsed::parse(scheme, version)?;
    let mut events: Vec<(Bound, &Event)> = Vec::with_capacity(range.events.len());
    for e in &range.events {
        let b = match e {
            Event::Introduced(s) if s == "0" => None,
            _ => Some(Parsed::parse(scheme, e.version())?),
        };
        events.push((b, e));
    }
    // Stable sort: events at the same version keep their order in the record.
    events.sort_by(|a, b| cmp_bound(&a.0, &b.0));
    let vb = Some(v);
    let mut affected = false;
    for (bound, event) in &events {
        let c = cmp_bound(&vb, bound);
        match event {
            Event::Introduced(_) => {
                if c != Ordering::Less {
                    affected = true;
                }
            }
            Event::Fixed(_) => {
                if c != Ordering::Less {
                    affected = false;
                }
            }
            Event::LastAffected(_) => {
                if c == Ordering::Greater {
                    affected = false;
                }
            }
            Event::Limit(_) => {
                if c != Ordering::Less {
                    return Ok(false);
                }
            }
        }
    }
    Ok(affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intro(v: &str) -> Event {
        Event::Introduced(v.into())
    }
    fn fixed(v: &str) -> Event {
        Event::Fixed(v.into())
    }
    fn last(v: &str) -> Event {
        Event::LastAffected(v.into())
    }

    fn check(kind: RangeKind, scheme: VersionScheme, events: Vec<Event>, cases: &[(&str, bool)]) {
        let a = Affected { ranges: vec![Range { kind, events }], versions: vec![] };
        for (v, want) in cases {
            let got = evaluate(&a, scheme, v).map(|e| e.affected);
            assert_eq!(got, Ok(*want), "{v}");
        }
    }

    #[test]
    fn introduced_and_fixed() {
        check(
            RangeKind::SemVer,
            VersionScheme::SemVer,
            vec![intro("1.0.0"), fixed("1.2.3")],
            &[
                ("0.9.9", false),
                ("1.0.0", true),
                ("1.2.2", true),
                ("1.2.3-rc.1", true),
                ("1.2.3", false),
                ("2.0.0", false),
            ],
        );
    }

    #[test]
    fn introduced_zero_and_last_affected() {
        check(
            RangeKind::Ecosystem,
            VersionScheme::Pep440,
            vec![intro("0"), last("2.0")],
            &[("0.1", true), ("2.0", true), ("2.0.post1", false), ("2.0.1", false), ("1.0rc1", true)],
        );
    }

    #[test]
    fn several_intervals_in_one_range_events_in_any_order() {
        // Two affected intervals: [1.0, 1.5) and [2.0, 2.3); events listed out of order.
        check(
            RangeKind::Ecosystem,
            VersionScheme::Maven,
            vec![fixed("2.3"), intro("2.0"), fixed("1.5"), intro("1.0")],
            &[
                ("0.9", false),
                ("1.0", true),
                ("1.4.9", true),
                ("1.5", false),
                ("1.9", false),
                ("2.0-rc1", false),
                ("2.0", true),
                ("2.3", false),
            ],
        );
    }

    #[test]
    fn limit_caps_the_range() {
        check(
            RangeKind::Ecosystem,
            VersionScheme::Debian,
            vec![intro("0"), Event::Limit("1.5-1".into())],
            &[("1.0-1", true), ("1.5-1", false), ("1:0.1", false)],
        );
    }

    #[test]
    fn explicit_versions_and_git_ranges() {
        let a = Affected {
            ranges: vec![Range { kind: RangeKind::Git, events: vec![intro("abc123")] }],
            versions: vec!["1.0.0".into()],
        };
        assert!(evaluate(&a, VersionScheme::SemVer, "1.0.0").map(|e| e.affected) == Ok(true));
        assert!(evaluate(&a, VersionScheme::SemVer, "v1.0.0").map(|e| e.affected) == Ok(true));
        let e = evaluate(&a, VersionScheme::SemVer, "1.0.1");
        assert_eq!(e, Ok(Evaluation { affected: false, skipped_ranges: 1 }));
    }

    #[test]
    fn an_unparseable_version_is_unknown_not_safe() {
        let a = Affected {
            ranges: vec![Range { kind: RangeKind::SemVer, events: vec![intro("0"), fixed("1.0.0")] }],
            versions: vec![],
        };
        assert!(evaluate(&a, VersionScheme::SemVer, "not-a-version").is_err());
    }
}
