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
//! - [`purl`]: package URLs and the ecosystem they belong to.
//! - [`cpe`]: CPE names and NVD `cpeMatch` criteria with version bounds.
//! - [`cvss`]: [`Cvss`], a parsed CVSS 3.x / 4.0 vector with its base score.
//! - [`policy`]: the significant-risk policy as data and the explainable [`Decision`].

pub mod cpe;
pub mod cvss;
pub mod ids;
pub mod osv;
pub mod policy;
pub mod purl;
pub mod vers;
pub mod version;

pub use cvss::{Cvss, CvssError, CvssVersion};
pub use policy::{Decision, Facts, Indicator, Policy, RuleOutcome};
pub use purl::{Ecosystem, Purl, PurlError};
pub use version::{VersionError, VersionScheme, compare};
