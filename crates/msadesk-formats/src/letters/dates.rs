//! Dates written the way each letter language writes them in formal letters.

const MONTHS: [(&str, [&str; 12]); 8] = [
    (
        "en",
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
    ),
    (
        "de",
        [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
    ),
    (
        "fr",
        [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
    ),
    (
        "nl",
        [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
    ),
    (
        "es",
        [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
    ),
    (
        "it",
        [
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ],
    ),
    (
        "sv",
        [
            "januari",
            "februari",
            "mars",
            "april",
            "maj",
            "juni",
            "juli",
            "augusti",
            "september",
            "oktober",
            "november",
            "december",
        ],
    ),
    // Polish dates take the genitive of the month.
    (
        "pl",
        [
            "stycznia",
            "lutego",
            "marca",
            "kwietnia",
            "maja",
            "czerwca",
            "lipca",
            "sierpnia",
            "września",
            "października",
            "listopada",
            "grudnia",
        ],
    ),
];

/// Writes an ISO date (`2026-12-04`, or the date part of an RFC 3339/9557 time stamp) in `lang`:
/// "4 December 2026", "4. Dezember 2026", "1er décembre 2026", "4 de diciembre de 2026",
/// "4 grudnia 2026". Anything else is returned unchanged.
pub fn format_date(lang: &str, value: &str) -> String {
    let head = value.get(..10).unwrap_or("");
    let parts: Vec<&str> = head.split('-').collect();
    let (Some(y), Some(m), Some(d)) = (
        parts.first().and_then(|p| p.parse::<u32>().ok()).filter(|_| parts[0].len() == 4),
        parts.get(1).and_then(|p| p.parse::<usize>().ok()).filter(|m| (1..=12).contains(m)),
        parts.get(2).and_then(|p| p.parse::<u32>().ok()).filter(|d| (1..=31).contains(d)),
    ) else {
        return value.to_string();
    };
    if value.len() > 10 && !value[10..].starts_with('T') && !value[10..].starts_with(' ') {
        return value.to_string();
    }
    let months = MONTHS.iter().find(|(l, _)| *l == lang).map_or(&MONTHS[0].1, |(_, m)| m);
    let month = months[m - 1];
    match lang {
        "de" => format!("{d}. {month} {y}"),
        "fr" if d == 1 => format!("1er {month} {y}"),
        "es" => format!("{d} de {month} de {y}"),
        "it" if d == 1 => format!("1º {month} {y}"),
        "pl" => format!("{d} {month} {y} r."),
        _ => format!("{d} {month} {y}"),
    }
}
