//! The registry's vocabulary: operators, products, versions, supply events, and the values inside
//! them, each parsed once at the edge so that the rest of the code cannot hold an invalid one.

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Date;

/// Why a field value was refused: what was wrong and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    pub message: String,
}

impl ValueError {
    fn new(message: impl Into<String>) -> Self {
        ValueError { message: message.into() }
    }
}

/// Longest text accepted in a free-text field (names, addresses, references). Long enough for any
/// real postal address, short enough that a garbage file cannot blow up the database.
pub const MAX_TEXT: usize = 1000;
/// Longest identifier (operator, product, version).
pub const MAX_ID: usize = 200;

fn clean_text(field: &str, value: &str, max: usize) -> Result<String, ValueError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValueError::new(format!("{field} is empty: a value is required")));
    }
    if v.chars().count() > max {
        return Err(ValueError::new(format!("{field} is longer than {max} characters")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ValueError::new(format!("{field} contains control characters")));
    }
    Ok(v.to_string())
}

/// Required free text (name, address).
pub fn required_text(field: &str, value: &str) -> Result<String, ValueError> {
    clean_text(field, value, MAX_TEXT)
}

/// Optional free text: empty means absent.
pub fn optional_text(field: &str, value: &str) -> Result<Option<String>, ValueError> {
    if value.trim().is_empty() { Ok(None) } else { clean_text(field, value, MAX_TEXT).map(Some) }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses an identifier: non-empty, at most 200 characters, no control characters.
            pub fn parse(value: &str) -> Result<Self, ValueError> {
                clean_text($what, value, MAX_ID).map($name)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// The identifier of an economic operator in the operator's own master data (ERP number, GLN…).
    OperatorId,
    "operator id"
);
id_type!(
    /// The identifier of a product in the operator's master data.
    ProductId,
    "product id"
);
id_type!(
    /// A product version as the manufacturer names it ("2.1.0", "HW rev C / FW 4.2").
    Version,
    "version"
);

/// ISO 3166-1 alpha-2 country code (upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Country([u8; 2]);

/// Every officially assigned ISO 3166-1 alpha-2 code, plus XK (Kosovo, user-assigned but in common
/// use on EU documents).
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// EU Member States (ISO codes: Greece is GR, which EU documents write EL).
pub const EU_MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];
/// EEA states outside the EU, where the CRA also applies through the EEA Agreement.
pub const EEA_NON_EU: [&str; 3] = ["IS", "LI", "NO"];

/// Whether a two-letter code is in [`ISO_3166_ALPHA2`]: a binary search over the sorted list,
/// because every imported row parses a country and a linear scan showed in profiles.
fn is_assigned(code: &[u8]) -> bool {
    let list = ISO_3166_ALPHA2.as_bytes();
    let n = list.len().div_ceil(3);
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match list[mid * 3..mid * 3 + 2].cmp(code) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

impl Country {
    /// Parses an ISO 3166-1 alpha-2 code, case-insensitively; "EL" (the EU's code for Greece) is
    /// read as GR and "UK" as GB.
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        let v = value.trim().to_ascii_uppercase();
        let v = match v.as_str() {
            "EL" => "GR".to_string(),
            "UK" => "GB".to_string(),
            _ => v,
        };
        let b = v.as_bytes();
        if b.len() == 2 && is_assigned(b) {
            Ok(Country([b[0], b[1]]))
        } else {
            Err(ValueError::new(format!(
                "'{}' is not an ISO 3166-1 alpha-2 country code (expected two letters such as DE, FR, NL)",
                value.trim()
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII upper-case letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Whether the CRA applies there (EU Member State or EEA).
    pub fn is_member_state(&self) -> bool {
        EU_MEMBER_STATES.contains(&self.as_str()) || EEA_NON_EU.contains(&self.as_str())
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Country {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A Member State where the CRA applies (EU or EEA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct MemberState(Country);

impl MemberState {
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        let c = Country::parse(value)?;
        if c.is_member_state() {
            Ok(MemberState(c))
        } else {
            Err(ValueError::new(format!(
                "'{}' is not an EU/EEA Member State (expected one of {} {})",
                value.trim(),
                EU_MEMBER_STATES.join(" "),
                EEA_NON_EU.join(" ")
            )))
        }
    }
    pub fn country(&self) -> Country {
        self.0
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl<'de> serde::Deserialize<'de> for MemberState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MemberState::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for MemberState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An e-mail address, checked for shape only (one `@`, something on both sides, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        let v = value.trim();
        let ok = v.len() <= 254
            && v.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !v.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Email(v.to_string()))
        } else {
            Err(ValueError::new(format!("'{v}' is not an e-mail address (expected name@example.eu)")))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn gs1_check_digit_ok(digits: &[u8]) -> bool {
    let (body, check) = digits.split_at(digits.len() - 1);
    let sum: u32 =
        body.iter().rev().enumerate().map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    (10 - sum % 10) % 10 == u32::from(check[0] - b'0')
}

fn gs1_number(value: &str, lengths: &[usize], what: &str) -> Result<String, ValueError> {
    let v = value.trim();
    let b = v.as_bytes();
    if !lengths.contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        let l: Vec<String> = lengths.iter().map(ToString::to_string).collect();
        return Err(ValueError::new(format!(
            "'{v}' is not a {what}: expected {} digits",
            l.join(", ").replacen(", ", " or ", l.len().saturating_sub(2).min(1))
        )));
    }
    if !gs1_check_digit_ok(b) {
        return Err(ValueError::new(format!("'{v}' is not a {what}: its check digit is wrong")));
    }
    Ok(v.to_string())
}

/// A GS1 Global Trade Item Number (GTIN-8, -12, -13 or -14, check digit verified), kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Gtin(String);

impl Gtin {
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        gs1_number(value, &[8, 12, 13, 14], "GTIN").map(Gtin)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The 14-digit form (left-padded with zeros), the key GS1 identifiers use.
    pub fn to_gtin14(&self) -> String {
        format!("{:0>14}", self.0)
    }
}

/// A GS1 Global Location Number (13 digits, check digit verified).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Gln(String);

impl Gln {
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        gs1_number(value, &[13], "GLN").map(Gln)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The role of a counterparty in a supply event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorRole {
    Manufacturer,
    Importer,
    Distributor,
    AuthorisedRepresentative,
    Other,
}

impl OperatorRole {
    pub const ALL: [OperatorRole; 5] = [
        OperatorRole::Manufacturer,
        OperatorRole::Importer,
        OperatorRole::Distributor,
        OperatorRole::AuthorisedRepresentative,
        OperatorRole::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OperatorRole::Manufacturer => "manufacturer",
            OperatorRole::Importer => "importer",
            OperatorRole::Distributor => "distributor",
            OperatorRole::AuthorisedRepresentative => "authorised_representative",
            OperatorRole::Other => "other",
        }
    }

    /// Parses a role name; "authorized_representative" and spaces/hyphens are accepted too.
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        let v = value.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        let v = if v == "authorized_representative" { "authorised_representative".to_string() } else { v };
        OperatorRole::ALL.into_iter().find(|r| r.as_str() == v).ok_or_else(|| {
            ValueError::new(format!(
                "'{}' is not a role (expected manufacturer, importer, distributor, authorised_representative or other)",
                value.trim()
            ))
        })
    }
}

impl fmt::Display for OperatorRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The role we (the operator running msadesk) hold for a product. Role is per product, not per
/// company: one company can import one product and distribute another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OurRole {
    Manufacturer,
    Importer,
    Distributor,
    AuthorisedRepresentative,
}

impl OurRole {
    pub fn as_str(self) -> &'static str {
        self.as_operator_role().as_str()
    }
    pub fn as_operator_role(self) -> OperatorRole {
        match self {
            OurRole::Manufacturer => OperatorRole::Manufacturer,
            OurRole::Importer => OperatorRole::Importer,
            OurRole::Distributor => OperatorRole::Distributor,
            OurRole::AuthorisedRepresentative => OperatorRole::AuthorisedRepresentative,
        }
    }
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        match OperatorRole::parse(value) {
            Ok(OperatorRole::Manufacturer) => Ok(OurRole::Manufacturer),
            Ok(OperatorRole::Importer) => Ok(OurRole::Importer),
            Ok(OperatorRole::Distributor) => Ok(OurRole::Distributor),
            Ok(OperatorRole::AuthorisedRepresentative) => Ok(OurRole::AuthorisedRepresentative),
            _ => Err(ValueError::new(format!(
                "'{}' is not a role we can hold for a product (expected manufacturer, importer, distributor or authorised_representative)",
                value.trim()
            ))),
        }
    }
    /// The articles with the duties of this role.
    pub fn duties(self) -> crate::legal::LegalRef {
        use crate::legal;
        match self {
            OurRole::Manufacturer => legal::ROLE_MANUFACTURER,
            OurRole::Importer => legal::ROLE_IMPORTER,
            OurRole::Distributor => legal::ROLE_DISTRIBUTOR,
            OurRole::AuthorisedRepresentative => legal::ROLE_AUTHORISED_REP,
        }
    }
}

impl fmt::Display for OurRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which way a product moved in a supply event, seen from us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// An operator supplied us (upstream).
    Received,
    /// We supplied an operator (downstream).
    Supplied,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Received => "received",
            Direction::Supplied => "supplied",
        }
    }
    pub fn parse(value: &str) -> Result<Self, ValueError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "received" | "in" | "receiving" => Ok(Direction::Received),
            "supplied" | "out" | "shipping" => Ok(Direction::Supplied),
            other => Err(ValueError::new(format!(
                "'{other}' is not a direction (expected received — an operator supplied us — or supplied — we supplied an operator)"
            ))),
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a quantity: a whole number of units, at least 1.
pub fn parse_quantity(value: &str) -> Result<u64, ValueError> {
    let v = value.trim();
    match v.parse::<i128>() {
        Ok(n) if n >= 1 && n <= i64::MAX as i128 => Ok(n as u64),
        Ok(_) => {
            Err(ValueError::new(format!("quantity {v} is not allowed: expected a whole number of units, at least 1")))
        }
        Err(_) => {
            Err(ValueError::new(format!("'{v}' is not a quantity: expected a whole number of units, at least 1")))
        }
    }
}

/// An economic operator as known at one moment: the name and address valid at an event are what an
/// authority must get, so supply events keep the party as it was, and a changed address is a new
/// snapshot of the same operator, not an edit of the old one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Party {
    pub id: OperatorId,
    pub name: String,
    pub address: String,
    pub country: Country,
    pub email: Option<Email>,
    pub phone: Option<String>,
    pub gln: Option<Gln>,
    pub vat: Option<String>,
}

impl Party {
    /// A stable digest of the party's content, used to find an identical snapshot again.
    pub fn content_digest(&self) -> [u8; 16] {
        let mut h = Sha256::new();
        for f in [
            self.id.as_str(),
            &self.name,
            &self.address,
            self.country.as_str(),
            self.email.as_ref().map_or("", Email::as_str),
            self.phone.as_deref().unwrap_or(""),
            self.gln.as_ref().map_or("", Gln::as_str),
            self.vat.as_deref().unwrap_or(""),
        ] {
            feed(&mut h, f);
        }
        truncate(h)
    }
}

fn feed(h: &mut Sha256, field: &str) {
    // Length-prefixed so that ("ab","c") and ("a","bc") never collide.
    h.update((field.len() as u64).to_le_bytes());
    h.update(field.as_bytes());
}

fn truncate(h: Sha256) -> [u8; 16] {
    let full = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// One supply event: a delivery received from, or made to, another economic operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplyEvent {
    pub direction: Direction,
    pub date: Date,
    pub product_id: ProductId,
    pub version: Version,
    pub quantity: u64,
    pub counterparty: Party,
    pub counterparty_role: OperatorRole,
    /// Delivery note, invoice or other business reference.
    pub reference: Option<String>,
}

impl SupplyEvent {
    /// The event's identity: direction, reference, product, version and counterparty; without a
    /// reference, all of its fields. Importing a record with an identity already present adds nothing.
    pub fn identity(&self) -> [u8; 16] {
        let mut h = Sha256::new();
        feed(&mut h, self.direction.as_str());
        feed(&mut h, self.product_id.as_str());
        feed(&mut h, self.version.as_str());
        feed(&mut h, self.counterparty.id.as_str());
        match &self.reference {
            Some(r) => {
                feed(&mut h, "ref");
                feed(&mut h, r);
            }
            None => {
                feed(&mut h, "noref");
                feed(&mut h, &self.date.to_string());
                feed(&mut h, &self.quantity.to_string());
                feed(&mut h, self.counterparty_role.as_str());
            }
        }
        truncate(h)
    }

    /// The end of this record's retention (CRA Art 23(2)).
    pub fn retention_end(&self) -> Date {
        crate::retention::supply_event_end(self.date)
    }
}

/// A row of product master data: a product, one of its versions, and its manufacturer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductRecord {
    pub product_id: ProductId,
    pub name: String,
    pub gtin: Option<Gtin>,
    pub manufacturer: Party,
    pub version: Version,
    pub placed_on_market: Option<Date>,
    pub end_of_support: Option<Date>,
    /// Our role for this product when it differs from the default set with `msadesk init`.
    pub our_role: Option<OurRole>,
}

/// A product as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub gtin: Option<Gtin>,
    pub manufacturer_id: Option<OperatorId>,
    pub manufacturer_name: Option<String>,
    /// Our role as recorded for this product, if it overrides the default.
    pub our_role: Option<OurRole>,
    /// Created from a supply row before master data arrived.
    pub stub: bool,
}

/// A product version as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductVersion {
    pub product_id: ProductId,
    pub version: Version,
    pub placed_on_market: Option<Date>,
    pub end_of_support: Option<Date>,
    /// Created from a supply row before master data arrived.
    pub stub: bool,
}

/// Who we are: the operator that runs msadesk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnIdentity {
    pub name: String,
    pub address: String,
    pub member_state: MemberState,
    pub contact_person: Option<String>,
    pub email: Option<Email>,
    /// Our role for every product that does not say otherwise.
    pub default_role: OurRole,
    /// Our own party identifier in exchanged documents (a GLN where we have one).
    pub gln: Option<Gln>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_country_list_is_sorted_and_every_code_is_found() {
        let codes: Vec<&str> = ISO_3166_ALPHA2.split(' ').collect();
        assert_eq!(codes.len(), 250);
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "the list must stay sorted for the binary search");
        for c in &codes {
            assert!(is_assigned(c.as_bytes()), "{c}");
        }
        for c in ["AA", "ZZ", "QQ", "EL", "UK", "A1"] {
            assert!(!is_assigned(c.as_bytes()), "{c}");
        }
    }

    #[test]
    fn countries_are_iso_codes() {
        assert_eq!(Country::parse("de").unwrap().as_str(), "DE");
        assert_eq!(Country::parse("EL").unwrap().as_str(), "GR");
        assert!(Country::parse("XX").is_err());
        assert!(Country::parse("DEU").is_err());
        assert!(Country::parse("").is_err());
        assert!(MemberState::parse("NO").is_ok());
        assert!(MemberState::parse("CH").is_err());
        assert!(MemberState::parse("US").unwrap_err().message.contains("Member State"));
    }

    #[test]
    fn gtin_and_gln_check_digits() {
        assert!(Gtin::parse("4006381333931").is_ok());
        assert!(Gtin::parse("4006381333932").is_err());
        assert!(Gtin::parse("96385074").is_ok());
        assert_eq!(Gtin::parse("4006381333931").unwrap().to_gtin14(), "04006381333931");
        assert!(Gln::parse("4012345000009").is_ok());
        assert!(Gln::parse("401234500000").is_err());
    }

    #[test]
    fn quantities_are_positive_whole_numbers() {
        assert_eq!(parse_quantity("12"), Ok(12));
        assert!(parse_quantity("0").is_err());
        assert!(parse_quantity("-3").unwrap_err().message.contains("at least 1"));
        assert!(parse_quantity("1.5").is_err());
        assert!(parse_quantity("99999999999999999999999").is_err());
    }

    #[test]
    fn roles_and_directions() {
        assert_eq!(OperatorRole::parse("Authorized Representative"), Ok(OperatorRole::AuthorisedRepresentative));
        assert!(OperatorRole::parse("retailer").is_err());
        assert!(OurRole::parse("other").is_err());
        assert_eq!(Direction::parse("SUPPLIED"), Ok(Direction::Supplied));
        assert!(Direction::parse("sideways").is_err());
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(required_text("name", "  Müller GmbH "), Ok("Müller GmbH".into()));
        assert!(required_text("name", "   ").is_err());
        assert!(required_text("name", &"x".repeat(MAX_TEXT + 1)).is_err());
        assert!(required_text("name", "a\u{0}b").is_err());
        assert_eq!(optional_text("phone", ""), Ok(None));
        assert!(Email::parse("a@b.eu").is_ok());
        assert!(Email::parse("a@b").is_err());
        assert!(Email::parse("a b@c.eu").is_err());
    }

    fn party(id: &str) -> Party {
        Party {
            id: OperatorId::parse(id).unwrap(),
            name: "N".into(),
            address: "A".into(),
            country: Country::parse("DE").unwrap(),
            email: None,
            phone: None,
            gln: None,
            vat: None,
        }
    }

    #[test]
    fn event_identity_follows_the_reference_rule() {
        let e = SupplyEvent {
            direction: Direction::Supplied,
            date: Date::parse("2026-01-02").unwrap(),
            product_id: ProductId::parse("P1").unwrap(),
            version: Version::parse("1.0").unwrap(),
            quantity: 5,
            counterparty: party("C1"),
            counterparty_role: OperatorRole::Distributor,
            reference: Some("DN-1".into()),
        };
        // With a reference, a corrected date or quantity is the same event.
        let mut same = e.clone();
        same.quantity = 6;
        same.date = Date::parse("2026-01-03").unwrap();
        assert_eq!(e.identity(), same.identity());
        let mut other = e.clone();
        other.reference = Some("DN-2".into());
        assert_ne!(e.identity(), other.identity());
        // Without a reference, every field counts.
        let mut a = e.clone();
        a.reference = None;
        let mut b = a.clone();
        assert_eq!(a.identity(), b.identity());
        b.quantity = 6;
        assert_ne!(a.identity(), b.identity());
        // Name and address are not part of the identity: a moved operator is still the same party.
        let mut moved = e.clone();
        moved.counterparty.address = "New street 1".into();
        assert_eq!(e.identity(), moved.identity());
    }
}
