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
//! Holidays: only fixed-date national public holidays of 2026 and 2027 for the seeded Member
//! States. Movable feasts (Good Friday, Easter Monday, Ascension, Whit Monday…), regional holidays
//! and substitute days are NOT included: add them for the Member States you deal with.

use super::{Authority, AuthorityKind, Holiday};
use crate::{Date, MemberState};

/// Where the seed entries come from, shown with each.
pub const AUTHORITY_SOURCE: &str =
    "msadesk default (LEGAL.md \"Authorities\": commonly cited for ICT products, no official CRA list yet) - review";

/// Where the default holidays come from.
pub const HOLIDAY_SOURCE: &str = "msadesk default: fixed-date national holidays 2026-2027 only - review";

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

/// The years the default holidays cover.
pub const HOLIDAY_YEARS: [i16; 2] = [2026, 2027];

/// The default holiday list (fixed-date national holidays of 2026 and 2027).
pub fn holidays() -> Vec<Holiday> {
    let mut out = Vec::new();
    for (country, days) in FIXED_HOLIDAYS {
        for year in HOLIDAY_YEARS {
            for (md, name) in *days {
                let date = Date::parse(&format!("{year}-{md}")).ok();
                if let Some(date) = date {
                    out.push(Holiday { country: (*country).into(), date, name: (*name).into() });
                }
            }
        }
    }
    out
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
        let expected: usize = FIXED_HOLIDAYS.iter().map(|(_, d)| d.len() * HOLIDAY_YEARS.len()).sum();
        assert_eq!(holidays().len(), expected);
    }
}
