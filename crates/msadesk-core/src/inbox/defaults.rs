//! Built-in starting data for the inbox: the authority directory's seed entries and a small default
//! set of public holidays. Both are DEFAULTS TO REVIEW, kept as data in this one module so a
//! correction is a one-line change; the operator edits the stored copies (`msadesk authority edit`,
//! the holiday list) and those are what the clocks use.
//!
//! Authorities: no official EU list of CRA-designated market surveillance authorities exists yet
//! (LEGAL.md, "Authorities"); the entries below are those commonly cited for ICT products, each
//! marked unconfirmed with its source. Only details we are sure of are filled in: the operator
//! completes postal and e-mail addresses from the authority's own letter.
//!
//! Holidays: national public holidays of 2026 and 2027 for the seeded Member States: the
//! fixed-date ones and the movable feasts a country observes nationally (Good Friday, Easter
//! Monday, Ascension Day, Whit Monday, Corpus Christi), computed from the date of Easter
//! ([`easter_sunday`], the Gregorian computus) for any year. Regional holidays, substitute days
//! and feasts not tied to Easter (e.g. Swedish Midsummer) are NOT included: add them for the
//! Member States you deal with.

use super::{Authority, AuthorityKind, Holiday};
use crate::{Date, MemberState};

/// Where the seed entries come from, shown with each.
pub const AUTHORITY_SOURCE: &str =
    "msadesk default (LEGAL.md \"Authorities\": commonly cited for ICT products, no official CRA list yet) - review";

/// Where the default holidays come from.
pub const HOLIDAY_SOURCE: &str =
    "msadesk default: national holidays 2026-2027 (fixed dates and Easter-based feasts) - review";

/// (id, country, name, postal address, portal, languages, time zone, kind)
type Seed = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    AuthorityKind,
);

const AUTHORITIES: &[Seed] = &[
    (
        "de-bnetza",
        "DE",
        "Bundesnetzagentur",
        Some("Tulpenfeld 4, 53113 Bonn, Germany"),
        "https://www.bundesnetzagentur.de",
        "de",
        "Europe/Berlin",
        AuthorityKind::Msa,
    ),
    (
        "de-bsi",
        "DE",
        "Bundesamt für Sicherheit in der Informationstechnik (BSI)",
        None,
        "https://www.bsi.bund.de",
        "de",
        "Europe/Berlin",
        AuthorityKind::Msa,
    ),
    (
        "fr-anssi",
        "FR",
        "Agence nationale de la sécurité des systèmes d'information (ANSSI)",
        Some("51 boulevard de La Tour-Maubourg, 75700 Paris 07 SP, France"),
        "https://cyber.gouv.fr",
        "fr",
        "Europe/Paris",
        AuthorityKind::Msa,
    ),
    (
        "fr-dgccrf",
        "FR",
        "Direction générale de la concurrence, de la consommation et de la répression des fraudes (DGCCRF)",
        None,
        "https://www.economie.gouv.fr/dgccrf",
        "fr",
        "Europe/Paris",
        AuthorityKind::Msa,
    ),
    (
        "nl-rdi",
        "NL",
        "Rijksinspectie Digitale Infrastructuur (RDI)",
        None,
        "https://www.rdi.nl",
        "nl,en",
        "Europe/Amsterdam",
        AuthorityKind::Msa,
    ),
    (
        "at-rtr",
        "AT",
        "Rundfunk und Telekom Regulierungs-GmbH (RTR)",
        None,
        "https://www.rtr.at",
        "de",
        "Europe/Vienna",
        AuthorityKind::Msa,
    ),
    (
        "ie-nsai",
        "IE",
        "National Standards Authority of Ireland (NSAI)",
        None,
        "https://www.nsai.ie",
        "en,ga",
        "Europe/Dublin",
        AuthorityKind::Msa,
    ),
    (
        "se-pts",
        "SE",
        "Post- och telestyrelsen (PTS)",
        None,
        "https://www.pts.se",
        "sv,en",
        "Europe/Stockholm",
        AuthorityKind::Msa,
    ),
    (
        "be-ccb",
        "BE",
        "Centre for Cybersecurity Belgium (CCB)",
        None,
        "https://ccb.belgium.be",
        "nl,fr,de,en",
        "Europe/Brussels",
        AuthorityKind::Msa,
    ),
    (
        "es-incibe",
        "ES",
        "Instituto Nacional de Ciberseguridad (INCIBE)",
        None,
        "https://www.incibe.es",
        "es",
        "Europe/Madrid",
        AuthorityKind::Msa,
    ),
];

/// The seed entries of the authority directory, all unconfirmed.
pub fn authorities() -> Vec<Authority> {
    AUTHORITIES
        .iter()
        .filter_map(|&(id, country, name, address, portal, languages, tz, kind)| {
            Some(Authority {
                id: id.into(),
                country: MemberState::parse(country).ok()?,
                name: name.into(),
                postal_address: address.map(Into::into),
                email: None,
                portal: Some(portal.into()),
                languages: languages.split(',').map(Into::into).collect(),
                time_zone: tz.into(),
                kind,
                source: AUTHORITY_SOURCE.into(),
                confirmed: false,
            })
        })
        .collect()
}

/// Fixed-date national public holidays (MM-DD, name) of the seeded Member States.
const FIXED_HOLIDAYS: &[(&str, &[(&str, &str)])] = &[
    (
        "DE",
        &[
            ("01-01", "Neujahr"),
            ("05-01", "Tag der Arbeit"),
            ("10-03", "Tag der Deutschen Einheit"),
            ("12-25", "1. Weihnachtstag"),
            ("12-26", "2. Weihnachtstag"),
        ],
    ),
    (
        "FR",
        &[
            ("01-01", "Jour de l'an"),
            ("05-01", "Fête du Travail"),
            ("05-08", "Victoire 1945"),
            ("07-14", "Fête nationale"),
            ("08-15", "Assomption"),
            ("11-01", "Toussaint"),
            ("11-11", "Armistice 1918"),
            ("12-25", "Noël"),
        ],
    ),
    (
        "NL",
        &[
            ("01-01", "Nieuwjaarsdag"),
            ("04-27", "Koningsdag"),
            ("12-25", "Eerste Kerstdag"),
            ("12-26", "Tweede Kerstdag"),
        ],
    ),
    (
        "AT",
        &[
            ("01-01", "Neujahr"),
            ("01-06", "Heilige Drei Könige"),
            ("05-01", "Staatsfeiertag"),
            ("08-15", "Mariä Himmelfahrt"),
            ("10-26", "Nationalfeiertag"),
            ("11-01", "Allerheiligen"),
            ("12-08", "Mariä Empfängnis"),
            ("12-25", "Christtag"),
            ("12-26", "Stefanitag"),
        ],
    ),
    (
        "IE",
        &[
            ("01-01", "New Year's Day"),
            ("03-17", "Saint Patrick's Day"),
            ("12-25", "Christmas Day"),
            ("12-26", "Saint Stephen's Day"),
        ],
    ),
    (
        "SE",
        &[
            ("01-01", "Nyårsdagen"),
            ("01-06", "Trettondedag jul"),
            ("05-01", "Första maj"),
            ("06-06", "Sveriges nationaldag"),
            ("12-25", "Juldagen"),
            ("12-26", "Annandag jul"),
        ],
    ),
    (
        "BE",
        &[
            ("01-01", "New Year's Day"),
            ("05-01", "Labour Day"),
            ("07-21", "National Day"),
            ("08-15", "Assumption"),
            ("11-01", "All Saints' Day"),
            ("11-11", "Armistice Day"),
            ("12-25", "Christmas Day"),
        ],
    ),
    (
        "ES",
        &[
            ("01-01", "Año Nuevo"),
            ("01-06", "Epifanía del Señor"),
            ("05-01", "Fiesta del Trabajo"),
            ("08-15", "Asunción de la Virgen"),
            ("10-12", "Fiesta Nacional de España"),
            ("11-01", "Todos los Santos"),
            ("12-06", "Día de la Constitución"),
            ("12-08", "Inmaculada Concepción"),
            ("12-25", "Natividad del Señor"),
        ],
    ),
];

/// Days relative to Easter Sunday of the movable feasts.
pub const GOOD_FRIDAY: i64 = -2;
/// Easter Monday: the day after Easter Sunday.
pub const EASTER_MONDAY: i64 = 1;
/// Ascension Day: the 40th day of Easter (a Thursday).
pub const ASCENSION_DAY: i64 = 39;
/// Whit Monday: the day after Pentecost (Easter + 49).
pub const WHIT_MONDAY: i64 = 50;
/// Corpus Christi: the Thursday after Trinity Sunday.
pub const CORPUS_CHRISTI: i64 = 60;

/// Movable national public holidays per Member State: (days from Easter Sunday, name). Only feasts
/// observed nationally: e.g. Corpus Christi is regional in DE, Good Friday is no longer a public
/// holiday in AT, Whit Monday no longer in SE, Easter Monday only regional in ES.
const MOVABLE_HOLIDAYS: &[(&str, &[(i64, &str)])] = &[
    (
        "DE",
        &[
            (GOOD_FRIDAY, "Karfreitag"),
            (EASTER_MONDAY, "Ostermontag"),
            (ASCENSION_DAY, "Christi Himmelfahrt"),
            (WHIT_MONDAY, "Pfingstmontag"),
        ],
    ),
    ("FR", &[(EASTER_MONDAY, "Lundi de Pâques"), (ASCENSION_DAY, "Ascension"), (WHIT_MONDAY, "Lundi de Pentecôte")]),
    (
        "NL",
        &[(EASTER_MONDAY, "Tweede Paasdag"), (ASCENSION_DAY, "Hemelvaartsdag"), (WHIT_MONDAY, "Tweede Pinksterdag")],
    ),
    (
        "AT",
        &[
            (EASTER_MONDAY, "Ostermontag"),
            (ASCENSION_DAY, "Christi Himmelfahrt"),
            (WHIT_MONDAY, "Pfingstmontag"),
            (CORPUS_CHRISTI, "Fronleichnam"),
        ],
    ),
    ("IE", &[(EASTER_MONDAY, "Easter Monday")]),
    (
        "SE",
        &[(GOOD_FRIDAY, "Långfredagen"), (EASTER_MONDAY, "Annandag påsk"), (ASCENSION_DAY, "Kristi himmelsfärdsdag")],
    ),
    ("BE", &[(EASTER_MONDAY, "Easter Monday"), (ASCENSION_DAY, "Ascension Day"), (WHIT_MONDAY, "Whit Monday")]),
    ("ES", &[(GOOD_FRIDAY, "Viernes Santo")]),
];

/// Easter Sunday of a Gregorian year (the anonymous Gregorian computus, "Meeus/Jones/Butcher").
/// `None` only for years outside the supported date range.
pub fn easter_sunday(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::from_ymd(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?)
}

/// The years the default holidays cover.
pub const HOLIDAY_YEARS: [i16; 2] = [2026, 2027];

/// The default national holidays of every seeded Member State in one year (fixed dates and the
/// movable feasts computed from Easter).
pub fn holidays_in(year: i16) -> Vec<Holiday> {
    let mut out = Vec::new();
    for (country, days) in FIXED_HOLIDAYS {
        for (md, name) in *days {
            if let Ok(date) = Date::parse(&format!("{year}-{md}")) {
                out.push(Holiday { country: (*country).into(), date, name: (*name).into() });
            }
        }
    }
    if let Some(easter) = easter_sunday(year) {
        for (country, days) in MOVABLE_HOLIDAYS {
            for (offset, name) in *days {
                out.push(Holiday { country: (*country).into(), date: easter.plus_days(*offset), name: (*name).into() });
            }
        }
    }
    out
}

/// The default holiday list (national holidays of [`HOLIDAY_YEARS`]).
pub fn holidays() -> Vec<Holiday> {
    HOLIDAY_YEARS.iter().flat_map(|y| holidays_in(*y)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_entry_is_valid_and_unconfirmed() {
        let list = authorities();
        assert_eq!(list.len(), AUTHORITIES.len());
        for a in list {
            assert!(!a.confirmed, "{}", a.id);
            let id = a.id.clone();
            a.validate().unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }

    #[test]
    fn every_default_holiday_is_a_real_day() {
        let per_year: usize = FIXED_HOLIDAYS.iter().map(|(_, d)| d.len()).sum::<usize>()
            + MOVABLE_HOLIDAYS.iter().map(|(_, d)| d.len()).sum::<usize>();
        assert_eq!(holidays().len(), per_year * HOLIDAY_YEARS.len());
        // No two entries of one country on the same day (a movable feast never hides a fixed one).
        let mut seen = std::collections::BTreeSet::new();
        for h in holidays() {
            assert!(seen.insert((h.country.clone(), h.date)), "{} {} twice", h.country, h.date);
        }
    }

    #[test]
    fn easter_is_computed_for_any_year() {
        let cases = [
            (1961, "1961-04-02"),
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2028, "2028-04-16"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ];
        for (year, expected) in cases {
            assert_eq!(easter_sunday(year).map(|d| d.to_string()).as_deref(), Some(expected), "{year}");
        }
    }

    #[test]
    fn movable_feasts_follow_easter() {
        let on = |country: &str, year: i16, name: &str| {
            holidays_in(year)
                .into_iter()
                .find(|h| h.country == country && h.name == name)
                .map(|h| h.date.to_string())
                .unwrap_or_else(|| panic!("{country} {year} {name} missing"))
        };
        let cases = [
            ("DE", 2025, "Karfreitag", "2025-04-18"),
            ("DE", 2025, "Ostermontag", "2025-04-21"),
            ("DE", 2025, "Christi Himmelfahrt", "2025-05-29"),
            ("DE", 2025, "Pfingstmontag", "2025-06-09"),
            ("DE", 2026, "Karfreitag", "2026-04-03"),
            ("DE", 2026, "Ostermontag", "2026-04-06"),
            ("DE", 2026, "Christi Himmelfahrt", "2026-05-14"),
            ("DE", 2026, "Pfingstmontag", "2026-05-25"),
            ("FR", 2027, "Lundi de Pâques", "2027-03-29"),
            ("FR", 2027, "Ascension", "2027-05-06"),
            ("FR", 2027, "Lundi de Pentecôte", "2027-05-17"),
            ("AT", 2028, "Fronleichnam", "2028-06-15"),
            ("ES", 2028, "Viernes Santo", "2028-04-14"),
            ("SE", 2028, "Kristi himmelsfärdsdag", "2028-05-25"),
        ];
        for (country, year, name, expected) in cases {
            assert_eq!(on(country, year, name), expected, "{country} {year} {name}");
        }
        // Not national: no Good Friday in FR or AT, no Whit Monday in SE, no Corpus Christi in DE.
        let y2026 = holidays_in(2026);
        for (country, date) in [("FR", "2026-04-03"), ("AT", "2026-04-03"), ("SE", "2026-05-25"), ("DE", "2026-06-04")]
        {
            assert!(!y2026.iter().any(|h| h.country == country && h.date.to_string() == date), "{country} {date}");
        }
    }
}
