//! Vulnerability vocabulary and pure rules: version ordering per ecosystem, affected-range
//! evaluation (OSV and `vers:`), package URLs, CVSS scores and the significant-risk policy.
//!
//! This module tree answers "is this component version inside that affected range?", "what is this
//! CVSS vector's base score?" and "does this set of facts make a significant cybersecurity risk
//! under the operator's policy, and why?". It does not read feeds or SBOMs (that is
//! `msadesk-formats`), does not store anything (the store crates), reads no clock and never does
//! I/O. A vulnerability that cannot be evaluated (a version string the ecosystem does not accept)
//! is reported as an `Err` for that one question, so the caller can show "unknown" rather than a
//! silent "not affected".
//!
//! - [`version`]: ordering of version strings per [`VersionScheme`] (SemVer, PEP 440, Maven,
//!   Debian, generic).
//! - [`osv`]: OSV `affected[]` evaluation (`SEMVER`/`ECOSYSTEM` ranges, explicit `versions`).
//! - [`vers`]: `vers:` range specifiers (purl-spec VERS).
//! - [`ids`]: vulnerability ids (CVE, GHSA, EUVD) and alias unification.
//! - [`keys`]: index keys of the SBOM components a vulnerability can match.
//! - [`purl`]: package URLs and the ecosystem they belong to.
//! - [`cpe`]: CPE names and NVD `cpeMatch` criteria with version bounds.
//! - [`cvss`]: [`Cvss`], a parsed CVSS 3.x / 4.0 vector with its base score.
//! - [`policy`]: the significant-risk policy as data and the explainable [`Decision`].

pub mod cpe;
pub mod cvss;
pub mod ids;
pub mod keys;
pub mod matching;
pub mod notice;
pub mod obligations;
pub mod osv;
pub mod policy;
pub mod purl;
pub mod vers;
pub mod version;

pub use cvss::{Cvss, CvssError, CvssVersion};
pub use policy::{Decision, Facts, Indicator, Policy, RuleOutcome};
pub use purl::{Ecosystem, Purl, PurlError};
pub use version::{VersionError, VersionScheme, compare};

#[cfg(test)]
mod tests {
    use super::cpe::Cpe;
    use super::vers::VersRange;
    use super::*;

    /// Every parser of this module returns on random input built from the pieces of valid input:
    /// none panics (the `cvss` and `packageurl` crates included).
    #[test]
    fn parsers_never_panic_on_random_input() {
        let pieces: &[&str] = &[
            "CVSS:3.1/",
            "CVSS:4.0/",
            "CVSS:3.0/",
            "AV:N",
            "AV:X",
            "AC:L",
            "AT:N",
            "PR:N",
            "UI:N",
            "UI:P",
            "S:C",
            "C:H",
            "I:H",
            "A:H",
            "VC:H",
            "VI:L",
            "VA:N",
            "SC:N",
            "SI:S",
            "SA:N",
            "E:A",
            "MAV:N",
            "CR:H",
            "/",
            ":",
            "pkg:",
            "npm/",
            "maven/",
            "%40",
            "%",
            "@",
            "?",
            "#",
            "=",
            "&",
            "vers:",
            "pypi/",
            "deb/",
            ">=",
            "<",
            "!=",
            "|",
            "*",
            "1.0",
            "2.0.0-rc.1",
            "1:2.3~b",
            "cpe:2.3:",
            "cpe:/",
            "a:",
            "\\:",
            "-",
            "",
            " ",
            "\u{e9}",
            "\u{0}",
        ];
        let mut seed: u64 = 0xDEAD_BEEF_CAFE_F00D;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let n = 1 + (next() % 14) as usize;
            let s: String = (0..n).map(|_| pieces[(next() % pieces.len() as u64) as usize]).collect();
            let _ = Cvss::parse(&s);
            let _ = Purl::parse(&s);
            let _ = Cpe::parse(&s);
            if let Ok(r) = VersRange::parse(&s) {
                let _ = r.contains("1.0");
            }
        }
    }
}
