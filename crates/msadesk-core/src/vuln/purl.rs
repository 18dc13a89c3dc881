//! Package URLs (purl) and the ecosystem of a package.
//!
//! [`Purl::parse`] reads `pkg:type/namespace/name@version?qualifiers#subpath` with the `packageurl`
//! crate (percent-decoding, per-type name normalisation) and keeps the parts as owned strings.
//! [`Ecosystem`] names the package universe a vulnerability feed speaks of (OSV's ecosystem names)
//! and picks the [`VersionScheme`] used to compare its versions. This module does not look purls
//! up anywhere.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::version::VersionScheme;

/// A package ecosystem, as OSV names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    Npm,
    CratesIo,
    Go,
    PyPI,
    Maven,
    Debian,
    /// Any other ecosystem, by its OSV name or purl type; versions compare with the generic scheme.
    Other(String),
}

impl Ecosystem {
    /// From an OSV `ecosystem` value (`"PyPI"`, `"crates.io"`, `"Debian:12"`: the release after the
    /// colon is ignored for ordering).
    pub fn from_osv(name: &str) -> Self {
        let base = name.split(':').next().unwrap_or(name).trim();
        match base {
            "npm" => Ecosystem::Npm,
            "crates.io" => Ecosystem::CratesIo,
            "Go" => Ecosystem::Go,
            "PyPI" => Ecosystem::PyPI,
            "Maven" => Ecosystem::Maven,
            "Debian" => Ecosystem::Debian,
            other => Ecosystem::Other(other.to_string()),
        }
    }

    /// From a purl type (`npm`, `cargo`, `golang`, `pypi`, `maven`, `deb`).
    pub fn from_purl_type(ty: &str) -> Self {
        match ty.to_ascii_lowercase().as_str() {
            "npm" => Ecosystem::Npm,
            "cargo" => Ecosystem::CratesIo,
            "golang" => Ecosystem::Go,
            "pypi" => Ecosystem::PyPI,
            "maven" => Ecosystem::Maven,
            "deb" => Ecosystem::Debian,
            other => Ecosystem::Other(other.to_string()),
        }
    }

    /// The OSV name of the ecosystem.
    pub fn osv_name(&self) -> &str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "Go",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Maven => "Maven",
            Ecosystem::Debian => "Debian",
            Ecosystem::Other(s) => s,
        }
    }

    pub fn scheme(&self) -> VersionScheme {
        match self {
            Ecosystem::Npm | Ecosystem::CratesIo | Ecosystem::Go => VersionScheme::SemVer,
            Ecosystem::PyPI => VersionScheme::Pep440,
            Ecosystem::Maven => VersionScheme::Maven,
            Ecosystem::Debian => VersionScheme::Debian,
            Ecosystem::Other(_) => VersionScheme::Generic,
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// A purl that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{purl}' is not a valid package URL ({reason}); expected pkg:type/namespace/name@version, e.g. pkg:npm/lodash@4.17.21"
)]
pub struct PurlError {
    pub purl: String,
    pub reason: String,
}

/// A parsed package URL, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl {
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: BTreeMap<String, String>,
    pub subpath: Option<String>,
}

/// Longest purl accepted: real ones are a few hundred bytes at most.
pub const MAX_PURL_LEN: usize = 2048;

impl Purl {
    pub fn parse(input: &str) -> Result<Self, PurlError> {
        let s = input.trim();
        let fail = |reason: String| PurlError { purl: s.chars().take(120).collect(), reason };
        if s.len() > MAX_PURL_LEN {
            return Err(fail(format!("longer than {MAX_PURL_LEN} bytes")));
        }
        let p = packageurl::PackageUrl::from_str(s).map_err(|e| fail(e.to_string()))?;
        Ok(Purl {
            ty: p.ty().to_string(),
            namespace: p.namespace().map(str::to_string),
            name: p.name().to_string(),
            version: p.version().map(str::to_string),
            qualifiers: p.qualifiers().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            subpath: p.subpath().map(str::to_string),
        })
    }

    pub fn ecosystem(&self) -> Ecosystem {
        Ecosystem::from_purl_type(&self.ty)
    }

    /// The package name as OSV writes it for this ecosystem: `group:artifact` for Maven,
    /// `@scope/name` for npm, `namespace/name` for Go, the normalised name for PyPI
    /// (lower case, runs of `-_.` as `-`), the bare name otherwise (the Debian namespace is the
    /// distribution, not part of the name).
    pub fn osv_package_name(&self) -> String {
        let ns = self.namespace.as_deref().filter(|n| !n.is_empty());
        match (self.ecosystem(), ns) {
            (Ecosystem::Maven, Some(ns)) => format!("{ns}:{}", self.name),
            (Ecosystem::Npm | Ecosystem::Go, Some(ns)) => format!("{ns}/{}", self.name),
            (Ecosystem::PyPI, _) => normalize_pypi_name(&self.name),
            _ => self.name.clone(),
        }
    }

    /// The purl without version, qualifiers and subpath: the package identity used to find
    /// vulnerabilities for a component.
    pub fn package_key(&self) -> String {
        match self.namespace.as_deref().filter(|n| !n.is_empty()) {
            Some(ns) => format!("pkg:{}/{}/{}", self.ty, ns, self.name),
            None => format!("pkg:{}/{}", self.ty, self.name),
        }
    }
}

/// PEP 503 name normalisation.
pub fn normalize_pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_maps_to_ecosystems() {
        for (input, eco, osv_name, version) in [
            ("pkg:npm/%40angular/core@16.0.0", Ecosystem::Npm, "@angular/core", Some("16.0.0")),
            ("pkg:npm/lodash@4.17.21", Ecosystem::Npm, "lodash", Some("4.17.21")),
            ("pkg:cargo/rand@0.8.5", Ecosystem::CratesIo, "rand", Some("0.8.5")),
            ("pkg:golang/github.com/gorilla/mux@v1.8.0", Ecosystem::Go, "github.com/gorilla/mux", Some("v1.8.0")),
            ("pkg:pypi/Django_REST.framework@3.14.0", Ecosystem::PyPI, "django-rest-framework", Some("3.14.0")),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
                Some("2.14.1"),
            ),
            (
                "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64",
                Ecosystem::Debian,
                "openssl",
                Some("3.0.11-1~deb12u2"),
            ),
            ("pkg:generic/openssl", Ecosystem::Other("generic".into()), "openssl", None),
        ] {
            let p = Purl::parse(input).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(p.ecosystem(), eco, "{input}");
            assert_eq!(p.osv_package_name(), osv_name, "{input}");
            assert_eq!(p.version.as_deref(), version, "{input}");
        }
        let p = Purl::parse("pkg:maven/org.apache/log4j@1?type=jar").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.qualifiers.get("type").map(String::as_str), Some("jar"));
        assert_eq!(p.package_key(), "pkg:maven/org.apache/log4j");
    }

    #[test]
    fn refused_with_an_example() {
        for input in ["", "npm/lodash", "pkg:", "pkg:npm", "http://x", &format!("pkg:npm/{}", "a".repeat(3000))] {
            let e = Purl::parse(input).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("expected pkg:type"), "{input}: {e}");
        }
    }

    #[test]
    fn osv_ecosystem_names() {
        assert_eq!(Ecosystem::from_osv("Debian:12"), Ecosystem::Debian);
        assert_eq!(Ecosystem::from_osv("crates.io").scheme(), VersionScheme::SemVer);
        assert_eq!(Ecosystem::from_osv("RubyGems").scheme(), VersionScheme::Generic);
    }
}
