//! Vulnerability intake: SBOM and feed readers over hand-written fixtures, format detection,
//! malformed input (never a panic), size limits, and SBOM components matched against OSV ranges.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use msadesk_core::Date;
use msadesk_core::vuln::VersionScheme;
use msadesk_core::vuln::cpe::Cpe;
use msadesk_core::vuln::osv::evaluate;
use msadesk_core::vuln::{Ecosystem, ids};
use msadesk_formats::intake::kev::read_kev;
use msadesk_formats::intake::sbom::read_sbom;
use msadesk_formats::intake::{FeedContext, Format, Limits, ProductStatus, VulnRead, detect, read_vulns};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/intake/");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap()
}

fn ctx() -> FeedContext {
    FeedContext::new("test feed", Date::parse("2026-11-02").unwrap())
}

fn vulns(name: &str) -> VulnRead {
    read_vulns(fixture(name).as_slice(), name, &ctx()).unwrap_or_else(|d| panic!("{d}"))
}

fn messages(d: &[msadesk_formats::Diagnostic]) -> Vec<String> {
    d.iter().map(ToString::to_string).collect()
}

#[test]
fn detection_by_distinctive_fields() {
    for (name, want) in [
        ("cyclonedx-1.5.json", Format::CycloneDx),
        ("spdx-2.3.json", Format::Spdx),
        ("osv-vulns.json", Format::Osv),
        ("nvd-cve-2.0.json", Format::Nvd),
        ("csaf-2.0.json", Format::Csaf),
        ("kev.json", Format::Kev),
    ] {
        let v: serde_json::Value = serde_json::from_slice(&fixture(name)).unwrap();
        assert_eq!(detect(&v), Some(want), "{name}");
    }
    let one: serde_json::Value = serde_json::from_str(r#"{"id":"OSV-1","modified":"2026-01-01T00:00:00Z"}"#).unwrap();
    assert_eq!(detect(&one), Some(Format::Osv));
    let arr: serde_json::Value = serde_json::from_str(r#"[{"id":"OSV-1","affected":[]}]"#).unwrap();
    assert_eq!(detect(&arr), Some(Format::Osv));
    let other: serde_json::Value = serde_json::from_str(r#"{"hello":"world"}"#).unwrap();
    assert_eq!(detect(&other), None);
}

#[test]
fn cyclonedx_components_nested_and_subject() {
    let r = read_sbom(fixture("cyclonedx-1.5.json").as_slice(), "bom.json", Limits::default()).unwrap();
    assert!(r.is_valid(), "{:?}", messages(&r.diagnostics));
    assert_eq!(r.sbom.spec_version, "1.5");
    assert_eq!(r.sbom.subject.as_ref().map(|s| s.name.as_str()), Some("Gateway firmware"));
    let names: Vec<&str> = r.sbom.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["busybox", "log4j-core", "log4j-api", "lodash", "requests", "openssl"]);
    let api = &r.sbom.components[2];
    assert_eq!(api.pointer, "/components/0/components/0");
    assert_eq!(api.purl.as_ref().map(|p| p.osv_package_name()), Some("org.apache.logging.log4j:log4j-api".into()));
    assert_eq!(r.sbom.components[0].cpe.as_deref(), Some("cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"));
    assert_eq!(r.sbom.components[5].purl.as_ref().map(|p| p.ecosystem()), Some(Ecosystem::Debian));
}

#[test]
fn malformed_cyclonedx_is_refused_with_every_problem_located() {
    let r = read_sbom(fixture("cyclonedx-1.4-malformed.json").as_slice(), "bad.json", Limits::default()).unwrap();
    assert!(!r.is_valid());
    let m = messages(&r.diagnostics);
    for want in [
        "bad.json: at /components/0/type: field 'type': is missing",
        "at /components/1/bom-ref: field 'bom-ref': bom-ref 'a' is used twice",
        "at /components/2/type: field 'type': 'libary' is not a CycloneDX component type",
        "at /components/3/purl: field 'purl': 'npm/left-pad@1.0.0' is not a valid package URL",
        "at /components/4/name: field 'name': is missing",
        "at /components/5/type: field 'type': expected a component object, found a string",
        "at /serialNumber: field 'serialNumber': 'urn:uuid:3e671687-395b' is not a serial number",
        "at /metadata/timestamp: field 'timestamp': '2026-11-02' is not a date-time",
        "at /components/6/scope: field 'scope': \"sometimes\" is not one of required, optional, excluded",
        "at /components/6/hashes/0/content: field 'content': is not a SHA-256 digest (64 hexadecimal digits)",
        "at /components/6/hashes/1/alg: field 'alg': is not a hash algorithm of CycloneDX",
        "at /components/6/licenses/0/license/id: field 'id': a license has exactly one of id and name",
        "at /dependencies/0/ref: field 'ref': is missing",
    ] {
        assert!(m.iter().any(|x| x.contains(want)), "missing {want:?} in {m:#?}");
    }
    // Unsupported versions and non-SBOMs are refused outright.
    let e = read_sbom(br#"{"bomFormat":"CycloneDX","specVersion":"1.2"}"#.as_slice(), "old.json", Limits::default())
        .unwrap_err();
    assert!(e.message.contains("msadesk reads CycloneDX JSON 1.4, 1.5 and 1.6"), "{e}");
    let e = read_sbom(fixture("kev.json").as_slice(), "kev.json", Limits::default()).unwrap_err();
    assert!(e.message.contains("not an SBOM"), "{e}");
}

#[test]
fn spdx_packages_with_purl_and_cpe() {
    let r = read_sbom(fixture("spdx-2.3.json").as_slice(), "spdx.json", Limits::default()).unwrap();
    assert!(r.is_valid(), "{:?}", messages(&r.diagnostics));
    assert_eq!(r.sbom.components.len(), 2);
    let log4j = &r.sbom.components[0];
    assert_eq!(log4j.bom_ref.as_deref(), Some("SPDXRef-Package-log4j-core"));
    assert_eq!(log4j.version.as_deref(), Some("2.14.1"));
    assert_eq!(log4j.cpe.as_deref(), Some("cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"));
    assert_eq!(r.sbom.components[1].purl.as_ref().map(|p| p.ecosystem()), Some(Ecosystem::CratesIo));

    // The same document in UTF-16 with a byte order mark reads the same.
    let text = String::from_utf8(fixture("spdx-2.3.json")).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let r16 = read_sbom(utf16.as_slice(), "spdx16.json", Limits::default()).unwrap();
    assert_eq!(r16.sbom, r.sbom);

    let broken = br#"{"spdxVersion":"SPDX-2.3","SPDXID":"DOC","dataLicense":"MIT","packages":[{"SPDXID":"x","name":"a"},{"name":"b","SPDXID":"SPDXRef-b","downloadLocation":"NONE","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:"}]}]}"#;
    let r = read_sbom(broken.as_slice(), "b.json", Limits::default()).unwrap();
    let m = messages(&r.diagnostics).join("\n");
    for want in [
        "at /SPDXID: field 'SPDXID': the document's SPDXID is 'DOC'",
        "at /dataLicense",
        "at /documentNamespace: field 'documentNamespace': is missing",
        "at /creationInfo",
        "at /packages/0/SPDXID: field 'SPDXID': 'x' must start with SPDXRef-",
        "at /packages/0/downloadLocation",
        "at /packages/1/externalRefs/0/referenceLocator",
    ] {
        assert!(m.contains(want), "missing {want:?} in\n{m}");
    }
}

#[test]
fn osv_records_aliases_ranges_and_problems() {
    let r = vulns("osv-vulns.json");
    assert_eq!(r.format, Format::Osv);
    let ids: Vec<&str> = r.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["GHSA-jfh8-c2jp-5v3q", "PYSEC-2099-1", "OSV-BROKEN-1"]);
    let log4j = &r.records[0];
    assert_eq!(log4j.aliases, BTreeSet::from(["CVE-2021-44228".to_string(), "GHSA-jfh8-c2jp-5v3q".to_string()]));
    assert_eq!(log4j.source.name, "test feed");
    assert_eq!(log4j.source.taken_at, Date::parse("2026-11-02").unwrap());
    assert_eq!(log4j.cvss[0].base_score(), 10.0);
    assert_eq!(log4j.fix_available, Some(true));
    assert_eq!(log4j.affected[0].fixed, ["2.3.1", "2.12.2", "2.15.0"]);
    let py = &r.records[1];
    assert!(py.aliases.contains("CVE-2099-0001") && py.aliases.contains("EUVD-2099-12345"));
    assert_eq!(py.fix_available, Some(false));

    let m = messages(&r.diagnostics).join("\n");
    for want in [
        "at /vulns/2: warning: not imported: OSV record OSV-WITHDRAWN-1 was withdrawn",
        "at /vulns/3/severity/0/score: field 'score': CVSS vector 'CVSS:3.1/AV:N/AC:L' lacks the base metric(s)",
        "at /vulns/3/affected/0/package/name",
        "at /vulns/3/affected/1/ranges/0/events: field 'events': a range needs at least one introduced event",
        "at /vulns/3/affected/1/ranges/1/events/0: field 'events': an event is an object with exactly one of",
    ] {
        assert!(m.contains(want), "missing {want:?} in\n{m}");
    }
    // Only the well-formed third range of lodash was kept.
    assert_eq!(r.records[2].affected[0].affected.ranges.len(), 1);
}

#[test]
fn osv_single_record_and_bare_array() {
    let one = br#"{"id":"RUSTSEC-2099-0001","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"crates.io","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}"#;
    let r = read_vulns(one.as_slice(), "one.json", &ctx()).unwrap();
    assert_eq!(r.records.len(), 1);
    assert_eq!(r.records[0].pointer, "");
    let arr = format!("[{}, {}]", String::from_utf8_lossy(one), String::from_utf8_lossy(one).replace("0001", "0002"));
    let r = read_vulns(arr.as_bytes(), "arr.json", &ctx()).unwrap();
    assert_eq!(r.records.iter().map(|r| r.pointer.as_str()).collect::<Vec<_>>(), ["/0", "/1"]);
}

#[test]
fn nvd_cve_metrics_scored_by_us_and_cpe_ranges() {
    let r = vulns("nvd-cve-2.0.json");
    assert_eq!(r.format, Format::Nvd);
    assert_eq!(r.records.len(), 1, "the rejected CVE is not imported");
    let c = &r.records[0];
    assert_eq!(c.id, "CVE-2021-44228");
    assert_eq!(c.exploited, Some(true));
    assert!(c.description.as_deref().unwrap().starts_with("JNDI"));
    assert_eq!(c.cvss.len(), 1, "the v2 vector is not used");
    assert_eq!(c.cvss[0].base_score(), 10.0, "the feed's baseScore 1.0 is not trusted");
    assert_eq!(c.cpe_matches.len(), 3);
    assert_eq!(c.cpe_matches[0].version_start_including.as_deref(), Some("2.13.0"));
    assert_eq!(c.cpe_matches[0].version_end_excluding.as_deref(), Some("2.15.0"));
    assert!(!c.cpe_matches[2].vulnerable);
    assert_eq!(c.fix_available, Some(true));
    // The SPDX fixture's log4j CPE (2.14.1) is inside the first match's bounds [2.13.0, 2.15.0).
    let sbom = read_sbom(fixture("spdx-2.3.json").as_slice(), "spdx.json", Limits::default()).unwrap().sbom;
    let component = Cpe::parse(sbom.components[0].cpe.as_deref().unwrap()).unwrap();
    let hits: Vec<bool> = c
        .cpe_matches
        .iter()
        .map(|m| m.to_range().unwrap().matches(&component, VersionScheme::Generic).unwrap())
        .collect();
    assert_eq!(hits, [true, false, false]);
    let m = messages(&r.diagnostics).join("\n");
    assert!(m.contains("cpeMatch/3/criteria: field 'criteria': 'apache log4j' is not a CPE 2.3 name"), "{m}");
    assert!(m.contains("warning: not imported: CVE-2099-0002 is rejected"), "{m}");
}

#[test]
fn csaf_product_tree_statuses_and_scores() {
    let r = vulns("csaf-2.0.json");
    assert_eq!(r.format, Format::Csaf);
    assert_eq!(r.records.len(), 2);
    let v = &r.records[0];
    assert_eq!(v.id, "CVE-2021-44228");
    assert_eq!(v.advisory_id.as_deref(), Some("EXGW-SA-2026-001"));
    assert_eq!(
        v.aliases,
        BTreeSet::from(["CVE-2021-44228".into(), "EUVD-2021-0001".into(), "GHSA-jfh8-c2jp-5v3q".into()])
    );
    let affected: Vec<(&str, Option<&str>)> = v
        .products
        .iter()
        .filter(|(s, _)| s.is_affected())
        .map(|(_, p)| (p.product_id.as_str(), p.cpe.as_deref()))
        .collect();
    assert_eq!(
        affected,
        [("GW-4.2.0", Some("cpe:2.3:o:example:gateway_firmware:4.2.0:*:*:*:*:*:*:*")), ("GW-4.2.0-LOG4J", None)]
    );
    assert!(v.products.iter().any(|(s, p)| *s == ProductStatus::Fixed && p.product_id == "GW-4.2.1"));
    assert_eq!(v.cvss[0].base_score(), 10.0);
    assert_eq!(v.fix_available, Some(true));
    assert_eq!(v.exploit_status, ["Exploitation in the wild has been reported."]);
    assert_eq!(v.source.name, "test feed");
    let second = &r.records[1];
    assert_eq!(second.id, "EXGW-2026-17");
    assert_eq!(second.fix_available, Some(false));
    let m = messages(&r.diagnostics).join("\n");
    assert!(
        m.contains("known_not_affected/0: field 'known_not_affected': product id \"NOPE\" is not in the product tree"),
        "{m}"
    );

    // The purl helper of a full product name is read.
    let bad = br#"{"document":{"csaf_version":"2.0","category":"csaf_base","title":"t","publisher":{"name":"p"},"tracking":{}}}"#;
    let e = read_vulns(bad.as_slice(), "c.json", &ctx()).unwrap_err();
    assert_eq!(e.pointer.as_deref(), Some("/document/tracking/id"));
    assert!(e.message.contains("not a valid CSAF 2.0 advisory"), "{e}");
    let v21 = br#"{"document":{"csaf_version":"2.1"}}"#;
    assert!(read_vulns(v21.as_slice(), "c.json", &ctx()).unwrap_err().message.contains("only \"2.0\" is read"));
}

#[test]
fn kev_catalogue() {
    let k = read_kev(fixture("kev.json").as_slice(), "kev.json", &ctx()).unwrap();
    assert_eq!(k.catalog_version.as_deref(), Some("2026.11.01"));
    assert_eq!(k.source.format, Format::Kev);
    let cves: Vec<&str> = k.entries.iter().map(|e| e.cve.as_str()).collect();
    assert_eq!(cves, ["CVE-2021-44228", "CVE-2099-0001"]);
    assert_eq!(k.entries[0].known_ransomware_campaign_use, Some(true));
    assert_eq!(k.entries[0].due_date, Date::parse("2021-12-24").ok());
    assert_eq!(k.entries[1].known_ransomware_campaign_use, Some(false));
    let m = messages(&k.diagnostics).join("\n");
    assert!(m.contains("/vulnerabilities/2/cveID: field 'cveID': 'GHSA-jfh8-c2jp-5v3q' is not a CVE id"), "{m}");
    assert!(m.contains("/vulnerabilities/3/dateAdded: field 'dateAdded': '30/10/2026' is not a date"), "{m}");
    assert!(m.contains("'Maybe': expected Known or Unknown"), "{m}");
    // A KEV file given as vulnerability data names the right command.
    let e = read_vulns(fixture("kev.json").as_slice(), "kev.json", &ctx()).unwrap_err();
    assert!(e.message.contains("msadesk import kev"), "{e}");
}

#[test]
fn aliases_unify_across_sources() {
    let mut sets: Vec<BTreeSet<String>> = Vec::new();
    for name in ["osv-vulns.json", "nvd-cve-2.0.json", "csaf-2.0.json"] {
        sets.extend(vulns(name).records.into_iter().map(|r| r.aliases));
    }
    let groups = ids::unify(sets);
    let log4shell = groups.iter().find(|g| g.contains("CVE-2021-44228")).unwrap();
    assert_eq!(
        log4shell,
        &BTreeSet::from(["CVE-2021-44228".into(), "EUVD-2021-0001".into(), "GHSA-jfh8-c2jp-5v3q".into()])
    );
}

#[test]
fn sbom_components_matched_against_osv_ranges() {
    let sbom = read_sbom(fixture("cyclonedx-1.5.json").as_slice(), "bom.json", Limits::default()).unwrap().sbom;
    let feed = vulns("osv-vulns.json");
    let mut hits = Vec::new();
    for c in &sbom.components {
        let (Some(purl), Some(version)) = (&c.purl, &c.version) else { continue };
        for rec in &feed.records {
            for a in &rec.affected {
                if a.ecosystem == purl.ecosystem() && a.name == purl.osv_package_name() {
                    let e = evaluate(&a.affected, a.ecosystem.scheme(), version).unwrap();
                    if e.affected {
                        hits.push(format!("{}@{version} {}", c.name, rec.id));
                    }
                }
            }
        }
    }
    assert_eq!(
        hits,
        ["log4j-core@2.14.1 GHSA-jfh8-c2jp-5v3q", "lodash@4.17.20 OSV-BROKEN-1", "requests@2.31.0 PYSEC-2099-1"]
    );
}

/// Truncations and byte flips of every fixture: every reader returns, none panics.
#[test]
fn malformed_input_never_panics() {
    let names =
        ["cyclonedx-1.5.json", "spdx-2.3.json", "osv-vulns.json", "nvd-cve-2.0.json", "csaf-2.0.json", "kev.json"];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in names {
        let good = fixture(name);
        let mut inputs: Vec<Vec<u8>> = (0..good.len()).step_by(7).map(|n| good[..n].to_vec()).collect();
        for _ in 0..300 {
            let mut b = good.clone();
            for _ in 0..3 {
                let i = (next() as usize) % b.len();
                b[i] = b"{}[]\",:0aZ-~\\ \x00\xff"[(next() as usize) % 16];
            }
            inputs.push(b);
        }
        // Structure-preserving damage: values replaced by other JSON types.
        let text = String::from_utf8(good.clone()).unwrap();
        for (from, to) in [("\"", "1"), ("[", "{\"x\":["), (": \"", ": [\""), (": [", ": \"x\", \"y\": [")] {
            inputs.push(text.replacen(from, to, 3).into_bytes());
        }
        for input in &inputs {
            let _ = read_sbom(input.as_slice(), name, Limits::default());
            let _ = read_vulns(input.as_slice(), name, &ctx());
            let _ = read_kev(input.as_slice(), name, &ctx());
        }
    }
}

#[test]
fn size_and_record_limits() {
    let limits = Limits { max_bytes: 100, max_records: 2 };
    let e = read_sbom(fixture("cyclonedx-1.5.json").as_slice(), "big.json", limits).unwrap_err();
    assert!(e.message.contains("larger than"), "{e}");
    let limits = Limits { max_bytes: 1 << 20, max_records: 2 };
    let r = read_sbom(fixture("cyclonedx-1.5.json").as_slice(), "bom.json", limits).unwrap();
    assert_eq!(r.sbom.components.len(), 2);
    assert!(messages(&r.diagnostics).join("\n").contains("more than 2 components"));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let e = read_vulns(deep.as_bytes(), "deep.json", &ctx()).unwrap_err();
    assert!(e.message.contains("not valid JSON"), "{e}");
}

/// The official corpora, fetched by `ci/intake-corpora.sh` (set `MSADESK_CORPORA` to its output
/// directory): CycloneDX `schemaTestData` (cyclonedx-python-lib sdist), SPDX examples (spdx-tools
/// sdist), OASIS CSAF 2.0 test documents (csaf wheel). Valid documents must be read as valid;
/// invalid ones are counted (full schema validation is the outside validator's job); nothing may
/// panic. Skipped when the variable is not set.
#[test]
fn official_corpora() {
    let Ok(root) = std::env::var("MSADESK_CORPORA") else {
        eprintln!("MSADESK_CORPORA not set: official corpora skipped (run ci/intake-corpora.sh)");
        return;
    };
    let root = std::path::PathBuf::from(root);
    let files = |dir: std::path::PathBuf| -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        v.sort();
        v
    };
    let name = |p: &std::path::Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let mut falsely_rejected = Vec::new();

    for version in ["1.4", "1.5", "1.6"] {
        let (mut valid, mut invalid, mut caught) = (0, 0, 0);
        let mut missed = Vec::new();
        for f in files(root.join("cyclonedx/schemaTestData").join(version)) {
            let n = name(&f);
            let r = read_sbom(std::fs::read(&f).unwrap().as_slice(), &n, Limits::default());
            let accepted = r.as_ref().is_ok_and(|r| r.is_valid());
            if n.starts_with("valid-") {
                valid += 1;
                if !accepted {
                    let why = match &r {
                        Err(d) => d.to_string(),
                        Ok(r) => messages(&r.diagnostics).join("; "),
                    };
                    falsely_rejected.push(format!("{version}/{n}: {why}"));
                }
            } else {
                invalid += 1;
                if accepted {
                    missed.push(n);
                } else {
                    caught += 1;
                }
            }
        }
        eprintln!("CycloneDX {version}: {valid} valid read; {caught}/{invalid} invalid refused; accepted: {missed:?}");
    }

    for f in files(root.join("spdx")) {
        let n = name(&f);
        let r = read_sbom(std::fs::read(&f).unwrap().as_slice(), &n, Limits::default());
        let accepted = r.as_ref().is_ok_and(|r| r.is_valid());
        let outcome = match &r {
            Ok(r) if accepted => format!("read, {} packages", r.sbom.components.len()),
            Ok(r) => format!("refused: {}", messages(&r.diagnostics).join("; ")),
            Err(d) => format!("refused: {d}"),
        };
        eprintln!("SPDX {n}: {outcome}");
        if n.starts_with("SPDXJSONExample-v2") && !accepted {
            falsely_rejected.push(format!("spdx/{n}: {outcome}"));
        }
    }
    let invalid_dir = root.join("spdx/invalid");
    for f in files(invalid_dir) {
        let n = name(&f);
        let r = read_sbom(std::fs::read(&f).unwrap().as_slice(), &n, Limits::default());
        let outcome = match &r {
            Ok(r) if r.is_valid() => "ACCEPTED".to_string(),
            Ok(r) => format!("refused: {}", messages(&r.diagnostics).first().cloned().unwrap_or_default()),
            Err(d) => format!("refused: {d}"),
        };
        eprintln!("SPDX invalid/{n}: {outcome}");
    }

    let (mut read, mut total) = (0, 0);
    let mut failed = Vec::new();
    for sub in ["mandatory", "recommended", "informative"] {
        for f in files(root.join("csaf").join(sub)) {
            total += 1;
            let n = name(&f);
            match read_vulns(std::fs::read(&f).unwrap().as_slice(), &n, &ctx()) {
                Ok(_) => read += 1,
                Err(d) => failed.push(format!("{sub}/{d}")),
            }
        }
    }
    eprintln!("CSAF 2.0 test documents: {read}/{total} read; not read: {failed:#?}");
    assert!(falsely_rejected.is_empty(), "valid documents refused: {falsely_rejected:#?}");
}

/// An NVD configuration with AND ("firmware running on this board") is kept as a tree and matched
/// against every CPE of the version; a plain OR configuration stays a flat list.
#[test]
fn nvd_and_configuration_kept_as_a_tree() {
    use msadesk_core::vuln::matching::{ComponentRef, MatchOutcome};
    let doc = r#"{"vulnerabilities": [{"cve": {"id": "CVE-2026-0042", "descriptions": [{"lang": "en", "value": "x"}],
      "configurations": [
        {"operator": "AND", "nodes": [
          {"operator": "OR", "negate": false, "cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:o:acme:fw:*:*:*:*:*:*:*:*", "versionEndExcluding": "2.0"}]},
          {"operator": "OR", "negate": false, "cpeMatch": [{"vulnerable": false, "criteria": "cpe:2.3:h:acme:board:-:*:*:*:*:*:*:*"}]}]},
        {"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:a:acme:tool:*:*:*:*:*:*:*:*", "versionEndExcluding": "1.1"}]}]}
      ]}}]}"#;
    let r = read_vulns(doc.as_bytes(), "nvd.json", &ctx()).unwrap();
    let rec = &r.records[0];
    assert_eq!(rec.cpe_configs.len(), 1, "only the AND configuration is a tree");
    assert!(rec.cpe_configs[0].and && rec.cpe_configs[0].nodes.len() == 2);
    let data = rec.match_data();
    assert_eq!(data.cpe.len(), 1, "the OR configuration's match stays flat");
    let fw = "cpe:2.3:o:acme:fw:1.0:*:*:*:*:*:*:*";
    let board = "cpe:2.3:h:acme:board:-:*:*:*:*:*:*:*";
    let c = ComponentRef { purl: "pkg:generic/fw@1.0", cpe: Some(fw) };
    let table: [(&[&str], &str); 3] = [(&[fw, board], "affected"), (&[fw], "unknown"), (&[], "unknown")];
    for (siblings, want) in table {
        let got = match data.matches_in(&c, siblings) {
            MatchOutcome::Affected(_) => "affected",
            MatchOutcome::Unknown(_) => "unknown",
            MatchOutcome::NotAffected => "not",
        };
        assert_eq!(got, want, "{siblings:?}");
    }
    // The stored form round-trips.
    let back: msadesk_core::vuln::matching::MatchData =
        serde_json::from_value(serde_json::to_value(&data).unwrap()).unwrap();
    assert_eq!(back, data);
}

/// CSAF `product_version_range` branches with `vers:` ranges, and exploit status kept as data.
#[test]
fn csaf_vers_range_branches_and_exploit_status() {
    use msadesk_core::vuln::matching::{ComponentRef, MatchOutcome};
    let doc = r#"{"document": {"category": "csaf_vex", "csaf_version": "2.0", "title": "t", "lang": "en",
      "publisher": {"category": "vendor", "name": "Lib Co", "namespace": "https://lib.example"},
      "tracking": {"id": "LIB-1", "status": "final", "version": "1", "initial_release_date": "2026-11-01T00:00:00Z",
        "current_release_date": "2026-11-01T00:00:00Z", "revision_history": [{"date": "2026-11-01T00:00:00Z", "number": "1", "summary": "x"}]}},
      "product_tree": {"branches": [{"category": "vendor", "name": "Lib Co", "branches": [{"category": "product_name", "name": "libx",
        "branches": [
          {"category": "product_version_range", "name": "vers:npm/>=1.0.0|<1.4.2",
           "product": {"name": "libx 1.0.0 - 1.4.1", "product_id": "LIBX-OLD", "product_identification_helper": {"purl": "pkg:npm/libx"}}},
          {"category": "product_version", "name": "1.4.2",
           "product": {"name": "libx 1.4.2", "product_id": "LIBX-142", "product_identification_helper": {"purl": "pkg:npm/libx@1.4.2"}}},
          {"category": "product_version_range", "name": "vers:npm/nonsense<<",
           "product": {"name": "bad", "product_id": "LIBX-BAD", "product_identification_helper": {"purl": "pkg:npm/libx"}}}]}]}]},
      "vulnerabilities": [{"cve": "CVE-2026-0077",
        "product_status": {"known_affected": ["LIBX-OLD"], "fixed": ["LIBX-142"]},
        "threats": [{"category": "exploit_status", "details": "Exploitation seen in the wild since 2026-10-30."}]}]}"#;
    let r = read_vulns(doc.as_bytes(), "vex.json", &ctx()).unwrap();
    let m = messages(&r.diagnostics).join("\n");
    assert!(m.contains("branches/2") && m.contains("vers"), "the bad range is reported: {m}");
    let data = r.records[0].match_data();
    assert_eq!(data.exploit_status, ["Exploitation seen in the wild since 2026-10-30."]);
    for (purl, want) in [
        ("pkg:npm/libx@1.0.0", "affected"),
        ("pkg:npm/libx@1.4.1", "affected"),
        ("pkg:npm/libx@1.4.2", "not"),
        ("pkg:npm/libx@0.9.0", "not"),
        ("pkg:npm/other@1.2.0", "not"),
    ] {
        let got = match data.matches(&ComponentRef { purl, cpe: None }) {
            MatchOutcome::Affected(_) => "affected",
            MatchOutcome::Unknown(_) => "unknown",
            MatchOutcome::NotAffected => "not",
        };
        assert_eq!(got, want, "{purl}");
    }
    assert!(data.declared_not_affected(&ComponentRef { purl: "pkg:npm/libx@1.4.2", cpe: None }).is_some());
}
