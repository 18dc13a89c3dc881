//! CVSS vectors: [`Cvss::parse`] reads a CVSS 3.0, 3.1 or 4.0 vector string and computes its score
//! with the `cvss` crate (RustSec), which agrees with FIRST's calculators and Red Hat's Python
//! `cvss` (checked by `ci/univers-oracle.sh`).
//!
//! The score is always computed from the vector, never taken from a feed: a feed's number is at
//! best a copy and at worst a typo. For 3.x the score is the base score (temporal and
//! environmental metrics, if present, are ignored); for 4.0 it is the score of the vector as given
//! (CVSS-B, or CVSS-BT/BE/BTE when threat or environmental metrics are included, see
//! [`Cvss::nomenclature`]). CVSS 2.0 is refused: the policy thresholds are defined on 3.x/4.0.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CvssVersion {
    V3_0,
    V3_1,
    V4_0,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    #[error(
        "'{0}' is not a CVSS 3.x or 4.0 vector: expected it to start with CVSS:3.1/, CVSS:3.0/ or CVSS:4.0/ (e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)"
    )]
    Prefix(String),
    #[error("CVSS vector '{vector}' is invalid: {reason}")]
    Invalid { vector: String, reason: String },
    #[error("CVSS vector '{vector}' lacks the base metric(s) {missing}: every base metric is required")]
    MissingBase { vector: String, missing: String },
}

/// A CVSS vector with its computed score.
#[derive(Debug, Clone, PartialEq)]
pub struct Cvss {
    version: CvssVersion,
    vector: String,
    score: f64,
    nomenclature: &'static str,
    network: bool,
    confidentiality_high: bool,
}

/// Longest vector accepted; a full 4.0 vector with every metric is about 250 bytes.
const MAX_VECTOR_LEN: usize = 512;

impl Cvss {
    pub fn parse(input: &str) -> Result<Self, CvssError> {
        let s = input.trim();
        let short: String = s.chars().take(120).collect();
        if s.len() > MAX_VECTOR_LEN {
            return Err(CvssError::Invalid { vector: short, reason: format!("longer than {MAX_VECTOR_LEN} bytes") });
        }
        let invalid = |e: &dyn fmt::Display| CvssError::Invalid { vector: short.clone(), reason: e.to_string() };
        let metrics: Vec<(&str, &str)> = s.split('/').skip(1).filter_map(|m| m.split_once(':')).collect();
        let metric = |k: &str| metrics.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        if s.starts_with("CVSS:3.0/") || s.starts_with("CVSS:3.1/") {
            let v = cvss::v3::Vector::from_str(s).map_err(|e| invalid(&e))?;
            let missing: Vec<&str> = [
                ("AV", v.av.is_some()),
                ("AC", v.ac.is_some()),
                ("PR", v.pr.is_some()),
                ("UI", v.ui.is_some()),
                ("S", v.s.is_some()),
                ("C", v.c.is_some()),
                ("I", v.i.is_some()),
                ("A", v.a.is_some()),
            ]
            .iter()
            .filter(|(_, present)| !present)
            .map(|(n, _)| *n)
            .collect();
            if !missing.is_empty() {
                return Err(CvssError::MissingBase { vector: short, missing: missing.join(", ") });
            }
            Ok(Cvss {
                version: if v.minor_version == 0 { CvssVersion::V3_0 } else { CvssVersion::V3_1 },
                vector: s.to_string(),
                score: v.base_score().value(),
                nomenclature: "CVSS-B",
                network: metric("AV") == Some("N"),
                confidentiality_high: metric("C") == Some("H"),
            })
        } else if s.starts_with("CVSS:4.0/") {
            let v = cvss::v4::Vector::from_str(s).map_err(|e| invalid(&e))?;
            let nomenclature = match v.nomenclature().to_string().as_str() {
                "CVSS-BT" => "CVSS-BT",
                "CVSS-BE" => "CVSS-BE",
                "CVSS-BTE" => "CVSS-BTE",
                _ => "CVSS-B",
            };
            Ok(Cvss {
                version: CvssVersion::V4_0,
                vector: s.to_string(),
                score: v.score().value(),
                nomenclature,
                network: metric("AV") == Some("N"),
                confidentiality_high: metric("VC") == Some("H"),
            })
        } else {
            Err(CvssError::Prefix(short))
        }
    }

    pub fn version(&self) -> CvssVersion {
        self.version
    }
    pub fn vector(&self) -> &str {
        &self.vector
    }
    /// The base score (3.x) or the score of the vector as given (4.0), 0.0–10.0, one decimal.
    pub fn base_score(&self) -> f64 {
        self.score
    }
    /// `CVSS-B` for 3.x and base-only 4.0 vectors; `CVSS-BT`, `CVSS-BE`, `CVSS-BTE` for 4.0 vectors
    /// with threat and/or environmental metrics.
    pub fn nomenclature(&self) -> &'static str {
        self.nomenclature
    }
    /// Confidentiality impact High (3.x `C:H`, 4.0 `VC:H`) over the network (`AV:N`): the
    /// vector's reading of "data exfiltration".
    pub fn network_confidentiality_high(&self) -> bool {
        self.network && self.confidentiality_high
    }
}

impl fmt::Display for Cvss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:.1})", self.vector, self.score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(vector: &str, score: f64, exfil: bool) {
        let c = Cvss::parse(vector).unwrap_or_else(|e| panic!("{e}"));
        assert!((c.base_score() - score).abs() < 1e-9, "{vector}: {} != {score}", c.base_score());
        assert_eq!(c.network_confidentiality_high(), exfil, "{vector}");
    }

    #[test]
    fn known_scores() {
        // Log4Shell (CVE-2021-44228) as NVD scores it.
        check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, true);
        check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, true);
        check("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, false);
        check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, false);
        check("CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, false);
        check("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, true);
        check("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0, false);
    }

    #[test]
    fn refused_with_reasons() {
        for (input, want) in [
            ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "expected it to start with"),
            ("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", "expected it to start with"),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "lacks the base metric(s) A"),
            ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid"),
            ("CVSS:4.0/AV:N/AC:L", "invalid"),
            ("", "expected it to start with"),
        ] {
            let e = Cvss::parse(input).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(want), "{input}: {e}");
        }
    }
}
