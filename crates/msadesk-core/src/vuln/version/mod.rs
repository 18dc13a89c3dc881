//! Ordering of version strings, one [`VersionScheme`] per family of ecosystems.
//!
//! Each scheme parses a version string into a comparable value and compares two of them; nothing
//! else. Which scheme an ecosystem uses is decided by [`crate::vuln::Ecosystem::scheme`] and by the
//! `vers:` scheme names ([`VersionScheme::from_vers_scheme`]). A string the scheme does not accept is
//! a [`VersionError`] naming the scheme and what was expected: comparisons never guess.
//!
//! Numbers are compared as digit strings (leading zeros removed, then by length, then by digits),
//! so arbitrarily long numeric components neither overflow nor panic.

use std::cmp::Ordering;
use std::fmt;

pub mod debian;
pub mod generic;
pub mod maven;
pub mod pep440;
pub mod semver;

/// A version ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionScheme {
    /// Semantic Versioning 2.0 (npm, crates.io, Go with its `v` prefix; pseudo-versions are
    /// pre-releases). Missing minor or patch numbers count as 0; build metadata is ignored.
    SemVer,
    /// PEP 440 (PyPI): epochs, pre-, post- and dev-releases, local versions.
    Pep440,
    /// Maven's `ComparableVersion`.
    Maven,
    /// Debian (`dpkg --compare-versions`): `epoch:upstream-revision`, `~` sorts first.
    Debian,
    /// Anything else: alternating numeric and alphabetic runs; numbers compare as numbers.
    Generic,
}

impl VersionScheme {
    /// The scheme of a `vers:` URI scheme name (`vers:npm/…`), or `None` for one we do not know.
    pub fn from_vers_scheme(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "npm" | "cargo" | "golang" | "semver" | "hex" | "composer" => VersionScheme::SemVer,
            "pypi" => VersionScheme::Pep440,
            "maven" => VersionScheme::Maven,
            "deb" | "debian" => VersionScheme::Debian,
            "generic" | "gem" | "github" | "intdot" => VersionScheme::Generic,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            VersionScheme::SemVer => "SemVer",
            VersionScheme::Pep440 => "PEP 440",
            VersionScheme::Maven => "Maven",
            VersionScheme::Debian => "Debian",
            VersionScheme::Generic => "generic",
        }
    }
}

impl fmt::Display for VersionScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A version string that its scheme does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{version}' is not a valid {scheme} version: {reason}")]
pub struct VersionError {
    pub scheme: VersionScheme,
    pub version: String,
    pub reason: String,
}

impl VersionError {
    pub(crate) fn new(scheme: VersionScheme, version: &str, reason: impl Into<String>) -> Self {
        // Cap what we echo back: a version string comes from outside.
        let version: String = version.chars().take(80).collect();
        VersionError { scheme, version, reason: reason.into() }
    }
}

/// Longest version string any scheme accepts. Real versions are far shorter; the cap keeps a
/// hostile feed from making comparisons expensive.
pub const MAX_VERSION_LEN: usize = 256;

/// A parsed version of any scheme, so a range can parse its bounds once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    SemVer(semver::SemVer),
    Pep440(pep440::Pep440),
    Maven(maven::MavenVersion),
    Debian(debian::DebianVersion),
    Generic(generic::GenericVersion),
}

impl Parsed {
    pub fn parse(scheme: VersionScheme, v: &str) -> Result<Self, VersionError> {
        if v.len() > MAX_VERSION_LEN {
            return Err(VersionError::new(scheme, v, format!("longer than {MAX_VERSION_LEN} bytes")));
        }
        Ok(match scheme {
            VersionScheme::SemVer => Parsed::SemVer(semver::SemVer::parse(v)?),
            VersionScheme::Pep440 => Parsed::Pep440(pep440::Pep440::parse(v)?),
            VersionScheme::Maven => Parsed::Maven(maven::MavenVersion::parse(v)?),
            VersionScheme::Debian => Parsed::Debian(debian::DebianVersion::parse(v)?),
            VersionScheme::Generic => Parsed::Generic(generic::GenericVersion::parse(v)?),
        })
    }
}

impl PartialOrd for Parsed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Parsed::SemVer(a), Parsed::SemVer(b)) => Some(a.cmp(b)),
            (Parsed::Pep440(a), Parsed::Pep440(b)) => Some(a.cmp(b)),
            (Parsed::Maven(a), Parsed::Maven(b)) => Some(a.cmp(b)),
            (Parsed::Debian(a), Parsed::Debian(b)) => Some(a.cmp(b)),
            (Parsed::Generic(a), Parsed::Generic(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Compares two version strings under `scheme`.
pub fn compare(scheme: VersionScheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = Parsed::parse(scheme, a)?;
    let pb = Parsed::parse(scheme, b)?;
    // Both were parsed under the same scheme, so they are always comparable.
    Ok(pa.partial_cmp(&pb).unwrap_or(Ordering::Equal))
}

/// Compares two strings of ASCII digits as unbounded natural numbers.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A digit string without its leading zeros ("" for zero).
pub(crate) fn strip_zeros(s: &str) -> String {
    s.trim_start_matches('0').to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `check(scheme, a, b, expected)`: compares both ways so antisymmetry is tested too.
    pub(crate) fn check(scheme: VersionScheme, a: &str, b: &str, expected: Ordering) {
        let got = compare(scheme, a, b).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, expected, "{scheme}: {a} vs {b}");
        let back = compare(scheme, b, a).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, expected.reverse(), "{scheme}: {b} vs {a}");
    }

    /// Every adjacent pair of `sorted` is strictly increasing, and all pairs are consistent.
    pub(crate) fn check_sorted(scheme: VersionScheme, sorted: &[&str]) {
        for (i, a) in sorted.iter().enumerate() {
            for (j, b) in sorted.iter().enumerate() {
                check(scheme, a, b, i.cmp(&j));
            }
        }
    }

    pub(crate) fn check_invalid(scheme: VersionScheme, v: &str) {
        assert!(Parsed::parse(scheme, v).is_err(), "{scheme}: '{v}' should be refused");
    }

    #[test]
    fn digits_compare_as_numbers_of_any_length() {
        assert_eq!(cmp_digits("10", "9"), Ordering::Greater);
        assert_eq!(cmp_digits("007", "7"), Ordering::Equal);
        assert_eq!(cmp_digits("", "0"), Ordering::Equal);
        assert_eq!(cmp_digits("123456789012345678901234567890", "123456789012345678901234567891"), Ordering::Less);
    }

    #[test]
    fn vers_scheme_names() {
        assert_eq!(VersionScheme::from_vers_scheme("npm"), Some(VersionScheme::SemVer));
        assert_eq!(VersionScheme::from_vers_scheme("PyPI"), Some(VersionScheme::Pep440));
        assert_eq!(VersionScheme::from_vers_scheme("deb"), Some(VersionScheme::Debian));
        assert_eq!(VersionScheme::from_vers_scheme("nope"), None);
    }

    /// Random strings over a version-ish alphabet: parsing never panics, and on the versions a
    /// scheme accepts, comparison is a total order (antisymmetric and transitive).
    #[test]
    fn random_input_never_panics_and_orders_consistently() {
        const ALPHABET: &[u8] = b"0123456789..--~+:!_vVabcdeghlmnprstxzABRS";
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for scheme in [
            VersionScheme::SemVer,
            VersionScheme::Pep440,
            VersionScheme::Maven,
            VersionScheme::Debian,
            VersionScheme::Generic,
        ] {
            let mut ok = Vec::new();
            for _ in 0..4000 {
                let len = 1 + (next() % 12) as usize;
                let s: String = (0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize] as char).collect();
                if let Ok(p) = Parsed::parse(scheme, &s) {
                    ok.push((s, p));
                }
            }
            assert!(ok.len() > 20, "{scheme}: only {} random strings parsed", ok.len());
            let sample = &ok[..ok.len().min(60)];
            for (a, pa) in sample {
                for (b, pb) in sample {
                    let ab = pa.partial_cmp(pb);
                    assert_eq!(ab.map(Ordering::reverse), pb.partial_cmp(pa), "{scheme}: {a} vs {b}");
                    for (c, pc) in sample {
                        if ab != Some(Ordering::Greater) && pb.partial_cmp(pc) != Some(Ordering::Greater) {
                            assert_ne!(pa.partial_cmp(pc), Some(Ordering::Greater), "{scheme}: {a} <= {b} <= {c}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn overlong_versions_are_refused() {
        check_invalid(VersionScheme::Generic, &"1".repeat(MAX_VERSION_LEN + 1));
    }
}
