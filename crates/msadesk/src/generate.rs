//! A deterministic, realistic registry: the demo dataset and the benchmark workload.
//!
//! The same seed always gives the same products, operators and events, so a demo shows the same
//! answers on every machine and a benchmark measures the same work. The shape follows a distributor's
//! reality: a few products with most of the volume, a long tail of small ones, and counterparties seen
//! many times, some of which move address along the way.

use msadesk_core::{
    Country, Date, Direction, Email, Gtin, MemberState, OperatorId, OperatorRole, OurRole, OwnIdentity, Party,
    ProductId, ProductRecord, SupplyEvent, Version,
};

/// splitmix64: small, fast and good enough for test data; no dependency needed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Skewed towards 0: index k of n with weight falling off like a power law.
    pub fn skewed(&mut self, n: u64) -> u64 {
        ((n as f64) * self.unit().powi(3)) as u64
    }
}

struct Place {
    country: &'static str,
    cities: &'static [(&'static str, &'static str)],
    forms: &'static [&'static str],
    streets: &'static [&'static str],
    tld: &'static str,
}

const PLACES: &[Place] = &[
    Place {
        country: "DE",
        cities: &[("10115", "Berlin"), ("20457", "Hamburg"), ("80331", "München"), ("50667", "Köln")],
        forms: &["GmbH", "AG", "GmbH & Co. KG"],
        streets: &["Hauptstraße", "Industriestraße", "Am Hafen"],
        tld: "de",
    },
    Place {
        country: "FR",
        cities: &[("75002", "Paris"), ("69002", "Lyon"), ("13001", "Marseille")],
        forms: &["SAS", "SARL", "SA"],
        streets: &["rue de la République", "avenue Jean Jaurès", "boulevard Voltaire"],
        tld: "fr",
    },
    Place {
        country: "NL",
        cities: &[("1012 AB", "Amsterdam"), ("3011 AD", "Rotterdam"), ("5611 AA", "Eindhoven")],
        forms: &["B.V.", "N.V."],
        streets: &["Stationsweg", "Kerkstraat", "Havenstraat"],
        tld: "nl",
    },
    Place {
        country: "IT",
        cities: &[("20121", "Milano"), ("10121", "Torino"), ("40121", "Bologna")],
        forms: &["S.p.A.", "S.r.l."],
        streets: &["Via Roma", "Corso Italia", "Via Garibaldi"],
        tld: "it",
    },
    Place {
        country: "ES",
        cities: &[("28001", "Madrid"), ("08001", "Barcelona"), ("46001", "València")],
        forms: &["S.L.", "S.A."],
        streets: &["Calle Mayor", "Avenida de la Constitución"],
        tld: "es",
    },
    Place {
        country: "PL",
        cities: &[("00-001", "Warszawa"), ("30-001", "Kraków"), ("90-001", "Łódź")],
        forms: &["sp. z o.o.", "S.A."],
        streets: &["ul. Marszałkowska", "ul. Piotrkowska"],
        tld: "pl",
    },
    Place {
        country: "AT",
        cities: &[("1010", "Wien"), ("8010", "Graz")],
        forms: &["GmbH", "AG"],
        streets: &["Mariahilfer Straße", "Ringstraße"],
        tld: "at",
    },
    Place {
        country: "BE",
        cities: &[("1000", "Bruxelles"), ("2000", "Antwerpen")],
        forms: &["SRL", "NV", "BV"],
        streets: &["Rue Neuve", "Meir"],
        tld: "be",
    },
    Place {
        country: "SE",
        cities: &[("111 20", "Stockholm"), ("411 01", "Göteborg")],
        forms: &["AB"],
        streets: &["Drottninggatan", "Kungsgatan"],
        tld: "se",
    },
    Place {
        country: "IE",
        cities: &[("D02 X285", "Dublin"), ("T12 X70A", "Cork")],
        forms: &["Ltd", "DAC"],
        streets: &["Grafton Street", "Patrick Street"],
        tld: "ie",
    },
    Place {
        country: "CZ",
        cities: &[("110 00", "Praha"), ("602 00", "Brno")],
        forms: &["s.r.o.", "a.s."],
        streets: &["Václavské náměstí", "Masarykova"],
        tld: "cz",
    },
    Place {
        country: "DK",
        cities: &[("1050", "København"), ("8000", "Aarhus")],
        forms: &["ApS", "A/S"],
        streets: &["Strøget", "Vestergade"],
        tld: "dk",
    },
    Place {
        country: "FI",
        cities: &[("00100", "Helsinki"), ("33100", "Tampere")],
        forms: &["Oy", "Oyj"],
        streets: &["Mannerheimintie", "Hämeenkatu"],
        tld: "fi",
    },
    Place {
        country: "PT",
        cities: &[("1100-148", "Lisboa"), ("4000-322", "Porto")],
        forms: &["Lda.", "S.A."],
        streets: &["Rua Augusta", "Avenida dos Aliados"],
        tld: "pt",
    },
    Place {
        country: "GR",
        cities: &[("105 57", "Αθήνα"), ("546 24", "Θεσσαλονίκη")],
        forms: &["Α.Ε.", "Ε.Π.Ε."],
        streets: &["Οδός Ερμού", "Λεωφόρος Νίκης"],
        tld: "gr",
    },
    Place {
        country: "RO",
        cities: &[("010011", "București"), ("400001", "Cluj-Napoca")],
        forms: &["S.R.L.", "S.A."],
        streets: &["Calea Victoriei", "Strada Memorandumului"],
        tld: "ro",
    },
    Place {
        country: "HU",
        cities: &[("1051", "Budapest")],
        forms: &["Kft.", "Zrt."],
        streets: &["Andrássy út"],
        tld: "hu",
    },
    Place { country: "NO", cities: &[("0150", "Oslo")], forms: &["AS"], streets: &["Karl Johans gate"], tld: "no" },
    Place {
        country: "LU",
        cities: &[("L-1011", "Luxembourg")],
        forms: &["S.à r.l."],
        streets: &["Grand-Rue"],
        tld: "lu",
    },
    Place {
        country: "SI",
        cities: &[("1000", "Ljubljana")],
        forms: &["d.o.o."],
        streets: &["Slovenska cesta"],
        tld: "si",
    },
];

const NAME_A: &[&str] = &[
    "Nord", "Süd", "Alpen", "Baltic", "Rhein", "Danube", "Atlas", "Helix", "Orion", "Vega", "Polar", "Aster", "Lumen",
    "Terra", "Marin", "Citadel", "Kestrel", "Falk", "Ibis", "Corvo",
];
const NAME_B: &[&str] = &[
    "Tech",
    "Data",
    "Netz",
    "Connect",
    "Systems",
    "Electronics",
    "Digital",
    "Smart Home",
    "Secure",
    "Logistics",
    "Retail",
    "Distribution",
    "Trading",
    "IoT",
    "Devices",
];

/// The product catalogue of the demo: (id, name, GTIN, versions).
const CATALOGUE: &[(&str, &str, &str, &[&str])] = &[
    ("SH-CAM-200", "Smart indoor camera SH-200", "4006381333931", &["1.0.4", "1.2.0", "2.0.1"]),
    ("RT-AX6000", "Wi-Fi 6 router AX6000", "4012345678901", &["3.1.0", "3.2.2"]),
    ("TH-ZB-01", "Zigbee thermostat TH-01", "4012345111118", &["1.0", "1.1"]),
    ("LK-BT-9", "Bluetooth door lock LK-9", "4012345222221", &["2.4.1", "2.5.0", "3.0.0"]),
    ("NAS-4B", "4-bay network storage NAS-4B", "4012345333334", &["7.0", "7.1"]),
    ("PLG-E1", "Energy-monitoring smart plug E1", "4012345444447", &["1.3.2"]),
    ("BM-CLOUD", "Baby monitor with cloud app", "4012345555550", &["5.0", "5.1", "6.0"]),
    ("IND-GW-3", "Industrial IoT gateway GW-3", "4012345666663", &["4.2.0", "4.3.1"]),
];

/// Our own identity in the demo.
pub fn demo_identity() -> OwnIdentity {
    OwnIdentity {
        name: "Nordlicht Components Import GmbH".into(),
        address: "Hafenstraße 12, 20457 Hamburg".into(),
        member_state: MemberState::parse("DE").unwrap_or_else(|_| unreachable!("DE is a Member State")),
        contact_person: Some("Jana Novák, Product Compliance".into()),
        email: Email::parse("compliance@nordlicht-components.example").ok(),
        default_role: OurRole::Importer,
        gln: None,
    }
}

/// A request from an authority in the demo: who, their reference, when it arrived (local time of
/// the authority), the deadline in working days, the product, and the steps taken with their times
/// (RFC 3339 UTC). Fixed dates, so the demo is the same everywhere: five answered requests over 2026
/// (for the trends), and one acknowledged but past its deadline (a gap the readiness report shows).
pub struct DemoRequest {
    pub authority: &'static str,
    pub reference: &'static str,
    pub received: &'static str,
    pub working_days: u32,
    pub product: &'static str,
    pub steps: &'static [(&'static str, &'static str)],
}

pub const DEMO_REQUESTS: &[DemoRequest] = &[
    DemoRequest {
        authority: "de-bnetza",
        reference: "BNetzA-2026-0113",
        received: "2026-02-10T09:15",
        working_days: 10,
        product: "SH-CAM-200",
        steps: &[
            ("acknowledged", "2026-02-10T13:00:00Z"),
            ("package_built", "2026-02-16T10:00:00Z"),
            ("sent", "2026-02-17T08:30:00Z"),
            ("closed", "2026-03-02T09:00:00Z"),
        ],
    },
    DemoRequest {
        authority: "nl-rdi",
        reference: "RDI-2026-0457",
        received: "2026-05-06T11:00",
        working_days: 15,
        product: "RT-AX6000",
        steps: &[
            ("acknowledged", "2026-05-07T08:00:00Z"),
            ("package_built", "2026-05-19T15:00:00Z"),
            ("sent", "2026-05-20T09:00:00Z"),
            ("closed", "2026-06-10T09:00:00Z"),
        ],
    },
    DemoRequest {
        authority: "fr-dgccrf",
        reference: "DGCCRF-26-1881",
        received: "2026-07-01T14:30",
        working_days: 10,
        product: "BM-CLOUD",
        steps: &[
            ("acknowledged", "2026-07-01T16:00:00Z"),
            ("package_built", "2026-07-06T12:00:00Z"),
            ("sent", "2026-07-07T07:45:00Z"),
        ],
    },
    DemoRequest {
        authority: "de-bsi",
        reference: "BSI-MS-2026-072",
        received: "2026-09-14T08:40",
        working_days: 5,
        product: "IND-GW-3",
        steps: &[
            ("acknowledged", "2026-09-14T12:10:00Z"),
            ("package_built", "2026-09-17T16:00:00Z"),
            ("sent", "2026-09-18T09:20:00Z"),
            ("closed", "2026-10-01T08:00:00Z"),
        ],
    },
    DemoRequest {
        authority: "at-rtr",
        reference: "RTR-2026-0390",
        received: "2026-10-20T10:00",
        working_days: 10,
        product: "LK-BT-9",
        steps: &[
            ("acknowledged", "2026-10-20T15:00:00Z"),
            ("package_built", "2026-10-29T11:00:00Z"),
            ("sent", "2026-10-30T10:00:00Z"),
        ],
    },
    DemoRequest {
        authority: "de-bnetza",
        reference: "BNetzA-2026-0871",
        received: "2026-11-12T10:30",
        working_days: 10,
        product: "NAS-4B",
        steps: &[("acknowledged", "2026-11-12T14:00:00Z")],
    },
];

/// A generated dataset: product master data and a stream of supply events.
pub struct Dataset {
    pub products: Vec<ProductRecord>,
    operators: Vec<Party>,
    manufacturers: Vec<Party>,
    versions: Vec<(usize, usize)>,
    rng: Rng,
    remaining: u64,
    seq: u64,
    start_day: i64,
    span_days: u64,
}

fn party(rng: &mut Rng, i: usize) -> Party {
    let place = &PLACES[rng.below(PLACES.len() as u64) as usize];
    let (zip, city) = place.cities[rng.below(place.cities.len() as u64) as usize];
    let form = place.forms[rng.below(place.forms.len() as u64) as usize];
    let a = NAME_A[rng.below(NAME_A.len() as u64) as usize];
    let b = NAME_B[rng.below(NAME_B.len() as u64) as usize];
    let street = place.streets[rng.below(place.streets.len() as u64) as usize];
    let slug: String = format!("{a}{b}").to_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
    Party {
        id: OperatorId::parse(&format!("OP-{i:06}")).unwrap_or_else(|_| unreachable!("generated id is valid")),
        name: format!("{a} {b} {form}"),
        address: format!("{street} {}, {zip} {city}", 1 + rng.below(180)),
        country: Country::parse(place.country).unwrap_or_else(|_| unreachable!("listed countries are valid")),
        email: Email::parse(&format!("orders@{slug}{i}.{}", place.tld)).ok(),
        phone: Some(format!("+{} {}", 30 + rng.below(20), 100_000_000 + rng.below(899_999_999))),
        gln: None,
        vat: Some(format!("{}{}", place.country, 100_000_000 + rng.below(899_999_999))),
    }
}

impl Dataset {
    /// A dataset of `events` supply events. Small sizes give the demo catalogue; large ones add a long
    /// tail of generated products (one per 2 000 events) and counterparties (one per 50 events).
    pub fn new(events: u64, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let n_ops = (events / 50).clamp(300, 50_000) as usize;
        let operators: Vec<Party> = (0..n_ops).map(|i| party(&mut rng, i)).collect();
        let manufacturers: Vec<Party> = (0..6)
            .map(|i| {
                let mut p = party(&mut rng, 900_000 + i);
                p.name = format!(
                    "{} Manufacturing {}",
                    NAME_A[i % NAME_A.len()],
                    ["Co., Ltd.", "Inc.", "GmbH", "S.A.", "Oy", "AB"][i]
                );
                p
            })
            .collect();
        let mut products = Vec::new();
        let day = |y, m, d| Date::from_ymd(y, m, d).unwrap_or_else(|| unreachable!("valid literal date"));
        let extra = (events / 2000) as usize;
        for i in 0..CATALOGUE.len() + extra {
            let (id, name, gtin, versions): (String, String, Option<Gtin>, Vec<String>) = match CATALOGUE.get(i) {
                Some((id, name, gtin, vs)) => (
                    id.to_string(),
                    name.to_string(),
                    Gtin::parse(gtin).ok(),
                    vs.iter().map(|v| v.to_string()).collect(),
                ),
                None => (
                    format!("GEN-{i:05}"),
                    format!("Generated device {i}"),
                    None,
                    (0..1 + rng.below(3)).map(|v| format!("{}.{v}", 1 + i % 4)).collect(),
                ),
            };
            let man = manufacturers[i % manufacturers.len()].clone();
            for (k, v) in versions.iter().enumerate() {
                // Later versions are placed on the market later: two years apart, from 2016 to 2025.
                let placed = day(2016 + (i % 4 + 2 * k).min(9) as i16, 1 + (i % 12) as i8, 1 + (k * 7 % 28) as i8);
                products.push(ProductRecord {
                    product_id: ProductId::parse(&id).unwrap_or_else(|_| unreachable!("generated id is valid")),
                    name: name.clone(),
                    gtin: gtin.clone(),
                    manufacturer: man.clone(),
                    version: Version::parse(v).unwrap_or_else(|_| unreachable!("generated version is valid")),
                    placed_on_market: Some(placed),
                    end_of_support: Some(placed.plus_years(5 + (i % 4) as i16)),
                    our_role: (i % 5 == 3).then_some(OurRole::Distributor),
                });
            }
        }
        // Products weighted towards the first of the catalogue: a few carry most of the volume.
        let versions: Vec<(usize, usize)> = products.iter().enumerate().map(|(k, _)| (k, k)).collect();
        let start_day = day(2016, 1, 1).days_since_epoch();
        let span_days = (day(2026, 11, 30).days_since_epoch() - start_day) as u64;
        Dataset { products, operators, manufacturers, versions, rng, remaining: events, seq: 0, start_day, span_days }
    }
}

impl Iterator for Dataset {
    type Item = SupplyEvent;

    fn next(&mut self) -> Option<SupplyEvent> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        self.seq += 1;
        let rng = &mut self.rng;
        let (_, k) = self.versions[rng.skewed(self.versions.len() as u64) as usize];
        let p = &self.products[k];
        let received = rng.below(10) == 0;
        // A version is supplied only once it is on the market.
        let end = self.start_day + self.span_days as i64;
        let from = p.placed_on_market.map_or(self.start_day, Date::days_since_epoch).clamp(self.start_day, end - 1);
        let date = Date::from_unix_seconds(0).plus_days(from + rng.below((end - from) as u64) as i64);
        let (counterparty, role, reference, quantity) = if received {
            let man = if rng.below(4) == 0 {
                &self.manufacturers[rng.below(self.manufacturers.len() as u64) as usize]
            } else {
                &p.manufacturer
            };
            (
                man.clone(),
                OperatorRole::Manufacturer,
                format!("DN-{}-{:08}", date.year(), self.seq),
                100 + rng.below(900),
            )
        } else {
            let i = rng.skewed(self.operators.len() as u64) as usize;
            let mut op = self.operators[i].clone();
            // Every seventh operator moved in 2022: later events carry the new address.
            if i.is_multiple_of(7) && date.year() >= 2022 {
                op.address = format!("Neue Allee {}, {}", 1 + i % 90, op.address.rsplit(", ").next().unwrap_or(""));
            }
            let role = if i.is_multiple_of(11) { OperatorRole::Other } else { OperatorRole::Distributor };
            (op, role, format!("INV-{}-{:08}", date.year(), self.seq), 1 + rng.below(60))
        };
        Some(SupplyEvent {
            direction: if received { Direction::Received } else { Direction::Supplied },
            date,
            product_id: p.product_id.clone(),
            version: p.version.clone(),
            quantity,
            counterparty,
            counterparty_role: role,
            reference: Some(reference),
        })
    }
}

/// The vulnerability of the impact benchmark: it affects `pkg:npm/bench-lib-7` before 1.5.0.
pub const IMPACT_VULN: &str = "CVE-2099-7777";
/// Libraries the generated SBOMs draw from (skewed: the first are in most SBOMs).
const LIBRARIES: u64 = 2_000;

/// One CycloneDX 1.5 SBOM per product version with `per_sbom` components drawn from a skewed pool
/// of libraries (so a vulnerable library sits in many versions), and an OSV file with
/// [`IMPACT_VULN`]. Returns (product id, version, file name, CycloneDX JSON) per SBOM, and the OSV
/// JSON. Deterministic for a seed.
pub fn sboms(products: &[ProductRecord], per_sbom: u64, seed: u64) -> (Vec<(String, String, String, String)>, String) {
    let mut rng = Rng::new(seed ^ 0x5B0B);
    let mut out = Vec::with_capacity(products.len());
    for (k, p) in products.iter().enumerate() {
        let mut picked = std::collections::BTreeMap::new();
        // Always the vulnerable library in every third version, at a version before or after the fix.
        if k % 3 == 0 {
            picked.insert(7, rng.below(10));
        }
        let mut tries = 0;
        while (picked.len() as u64) < per_sbom.min(LIBRARIES) && tries < per_sbom * 20 {
            tries += 1;
            picked.entry(rng.skewed(LIBRARIES)).or_insert_with(|| rng.below(10));
        }
        let components: Vec<serde_json::Value> = picked
            .iter()
            .map(|(lib, minor)| {
                let purl = format!("pkg:npm/bench-lib-{lib}@1.{minor}.0");
                serde_json::json!({
                    "type": "library", "bom-ref": purl, "name": format!("bench-lib-{lib}"),
                    "version": format!("1.{minor}.0"), "purl": purl
                })
            })
            .collect();
        let doc = serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
            "metadata": { "component": { "type": "firmware", "bom-ref": "product", "name": p.name, "version": p.version.as_str() } },
            "components": components,
        });
        let file = format!("sbom-{k:05}.cdx.json");
        out.push((p.product_id.as_str().to_string(), p.version.as_str().to_string(), file, doc.to_string()));
    }
    let osv = serde_json::json!({ "vulns": [{
        "schema_version": "1.6.0", "id": "GHSA-bnch-7777-0000", "modified": "2026-11-01T00:00:00Z",
        "published": "2026-11-01T00:00:00Z", "aliases": [IMPACT_VULN],
        "summary": "Benchmark vulnerability in bench-lib-7",
        "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
        "affected": [{
            "package": { "ecosystem": "npm", "name": "bench-lib-7", "purl": "pkg:npm/bench-lib-7" },
            "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "1.5.0" }] }]
        }]
    }]});
    (out, osv.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_and_skewed() {
        let a: Vec<SupplyEvent> = Dataset::new(2000, 7).collect();
        let b: Vec<SupplyEvent> = Dataset::new(2000, 7).collect();
        assert_eq!(a, b);
        let c: Vec<SupplyEvent> = Dataset::new(2000, 8).collect();
        assert_ne!(a, c);
        let top = a.iter().filter(|e| e.product_id.as_str() == "SH-CAM-200").count();
        assert!(top > 2000 / 8, "the first product should carry more than an even share, got {top}");
        assert!(a.iter().any(|e| e.direction == Direction::Received));
    }

    #[test]
    fn sboms_are_deterministic_and_the_vulnerable_library_is_spread() {
        let data = Dataset::new(20_000, 3);
        let (a, osv) = sboms(&data.products, 50, 3);
        let (b, _) = sboms(&data.products, 50, 3);
        assert_eq!(a, b);
        assert_eq!(a.len(), data.products.len());
        let with_lib = a.iter().filter(|(_, _, _, json)| json.contains("pkg:npm/bench-lib-7@")).count();
        assert!(with_lib >= a.len() / 3, "{with_lib} of {} SBOMs carry bench-lib-7", a.len());
        assert!(osv.contains(IMPACT_VULN));
        let doc: serde_json::Value = serde_json::from_str(&a[0].3).expect("json");
        assert_eq!(doc["components"].as_array().map(Vec::len), Some(50));
    }
}
