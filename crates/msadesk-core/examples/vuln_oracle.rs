//! Prints our answers for the cases of `ci/univers-oracle.sh`, one per input line, so the script
//! can compare them with PyPI `univers` and Red Hat's `cvss`. Not part of the product.
//!
//! Input (stdin), tab-separated, one case per line:
//! - `cmp<TAB>scheme<TAB>a<TAB>b` → `-1`, `0` or `1`
//! - `vers<TAB>range<TAB>version` → `true` or `false`
//! - `cvss<TAB>vector` → the score with one decimal
//! - `osv<TAB>scheme<TAB>events<TAB>version` → `true` or `false`; events are `kind=version` joined
//!   by `;` (kinds: introduced, fixed, last_affected, limit), one ECOSYSTEM range
//!
//! Any case we refuse prints `ERR <message>`. Schemes: semver, pypi, maven, deb, generic.

use std::io::{self, BufRead, Write};

use msadesk_core::vuln::osv::{Affected, Event, Range, RangeKind, evaluate};
use msadesk_core::vuln::vers::VersRange;
use msadesk_core::vuln::{Cvss, VersionScheme, compare};

fn scheme(name: &str) -> Option<VersionScheme> {
    match name {
        "semver" => Some(VersionScheme::SemVer),
        "pypi" => Some(VersionScheme::Pep440),
        "maven" => Some(VersionScheme::Maven),
        "deb" => Some(VersionScheme::Debian),
        "generic" => Some(VersionScheme::Generic),
        _ => None,
    }
}

fn answer(line: &str) -> String {
    let f: Vec<&str> = line.split('\t').collect();
    match f.as_slice() {
        ["cmp", s, a, b] => match scheme(s) {
            Some(s) => match compare(s, a, b) {
                Ok(o) => (o as i8).to_string(),
                Err(e) => format!("ERR {e}"),
            },
            None => format!("ERR unknown scheme {s}"),
        },
        ["vers", r, v] => match VersRange::parse(r) {
            Ok(r) => match r.contains(v) {
                Ok(b) => b.to_string(),
                Err(e) => format!("ERR {e}"),
            },
            Err(e) => format!("ERR {e}"),
        },
        ["cvss", v] => match Cvss::parse(v) {
            Ok(c) => format!("{:.1}", c.base_score()),
            Err(e) => format!("ERR {e}"),
        },
        ["osv", s, events, v] => {
            let Some(s) = scheme(s) else { return format!("ERR unknown scheme {s}") };
            let mut evs = Vec::new();
            for e in events.split(';') {
                let ev = match e.split_once('=') {
                    Some(("introduced", x)) => Event::Introduced(x.into()),
                    Some(("fixed", x)) => Event::Fixed(x.into()),
                    Some(("last_affected", x)) => Event::LastAffected(x.into()),
                    Some(("limit", x)) => Event::Limit(x.into()),
                    _ => return format!("ERR bad event {e}"),
                };
                evs.push(ev);
            }
            let a = Affected { ranges: vec![Range { kind: RangeKind::Ecosystem, events: evs }], versions: vec![] };
            match evaluate(&a, s, v) {
                Ok(e) => e.affected.to_string(),
                Err(e) => format!("ERR {e}"),
            }
        }
        _ => "ERR malformed case".to_string(),
    }
}

fn main() -> io::Result<()> {
    let stdin = io::stdin();
    let mut out = io::BufWriter::new(io::stdout().lock());
    for line in stdin.lock().lines() {
        writeln!(out, "{}", answer(&line?))?;
    }
    out.flush()
}
