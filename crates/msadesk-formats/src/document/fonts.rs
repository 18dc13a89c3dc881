//! The two standard PDF fonts we use (Helvetica, Helvetica-Bold), how characters are encoded for
//! them, and their glyph widths for line breaking.
//!
//! Each face is used through two font resources: one with WinAnsiEncoding (ASCII, Latin-1 and the
//! typographic quotes and dashes), one with a custom `/Differences` encoding that places the glyphs
//! of Unicode Latin Extended-A (U+0100..U+017F) at codes 33..160, plus a few extras (Romanian
//! comma-below letters, comparison signs). The core-14 Helvetica carries these glyphs (Adobe's
//! Latin CE set) and every reader substitutes a metric-compatible font, so nothing is embedded.
//!
//! Widths are the Adobe font metrics of Helvetica and Helvetica-Bold, in 1/1000 em.

/// Which font resource a character is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Set {
    /// WinAnsiEncoding.
    Win,
    /// Our `/Differences` encoding for Latin Extended-A and extras.
    Ext,
}

/// Glyph names of U+0100..=U+017F, in order (Adobe Glyph List names).
pub(super) const EXT_A: [&str; 128] = [
    "Amacron",
    "amacron",
    "Abreve",
    "abreve",
    "Aogonek",
    "aogonek",
    "Cacute",
    "cacute",
    "Ccircumflex",
    "ccircumflex",
    "Cdotaccent",
    "cdotaccent",
    "Ccaron",
    "ccaron",
    "Dcaron",
    "dcaron",
    "Dcroat",
    "dcroat",
    "Emacron",
    "emacron",
    "Ebreve",
    "ebreve",
    "Edotaccent",
    "edotaccent",
    "Eogonek",
    "eogonek",
    "Ecaron",
    "ecaron",
    "Gcircumflex",
    "gcircumflex",
    "Gbreve",
    "gbreve",
    "Gdotaccent",
    "gdotaccent",
    "Gcommaaccent",
    "gcommaaccent",
    "Hcircumflex",
    "hcircumflex",
    "Hbar",
    "hbar",
    "Itilde",
    "itilde",
    "Imacron",
    "imacron",
    "Ibreve",
    "ibreve",
    "Iogonek",
    "iogonek",
    "Idotaccent",
    "dotlessi",
    "IJ",
    "ij",
    "Jcircumflex",
    "jcircumflex",
    "Kcommaaccent",
    "kcommaaccent",
    "kgreenlandic",
    "Lacute",
    "lacute",
    "Lcommaaccent",
    "lcommaaccent",
    "Lcaron",
    "lcaron",
    "Ldot",
    "ldot",
    "Lslash",
    "lslash",
    "Nacute",
    "nacute",
    "Ncommaaccent",
    "ncommaaccent",
    "Ncaron",
    "ncaron",
    "napostrophe",
    "Eng",
    "eng",
    "Omacron",
    "omacron",
    "Obreve",
    "obreve",
    "Ohungarumlaut",
    "ohungarumlaut",
    "OE",
    "oe",
    "Racute",
    "racute",
    "Rcommaaccent",
    "rcommaaccent",
    "Rcaron",
    "rcaron",
    "Sacute",
    "sacute",
    "Scircumflex",
    "scircumflex",
    "Scedilla",
    "scedilla",
    "Scaron",
    "scaron",
    "Tcommaaccent",
    "tcommaaccent",
    "Tcaron",
    "tcaron",
    "Tbar",
    "tbar",
    "Utilde",
    "utilde",
    "Umacron",
    "umacron",
    "Ubreve",
    "ubreve",
    "Uring",
    "uring",
    "Uhungarumlaut",
    "uhungarumlaut",
    "Uogonek",
    "uogonek",
    "Wcircumflex",
    "wcircumflex",
    "Ycircumflex",
    "ycircumflex",
    "Ydieresis",
    "Zacute",
    "zacute",
    "Zdotaccent",
    "zdotaccent",
    "Zcaron",
    "zcaron",
    "longs",
];

/// Characters after Latin Extended-A in the Ext encoding (codes 161..): character, glyph name,
/// regular width, bold width.
pub(super) const EXTRAS: [(char, &str, u16, u16); 7] = [
    ('\u{0218}', "uni0218", 667, 667),
    ('\u{0219}', "uni0219", 500, 556),
    ('\u{021A}', "uni021A", 611, 611),
    ('\u{021B}', "uni021B", 278, 333),
    ('\u{2264}', "lessequal", 549, 549),
    ('\u{2265}', "greaterequal", 549, 549),
    ('\u{2260}', "notequal", 549, 549),
];

/// First code of the Ext encoding.
pub(super) const EXT_FIRST: u8 = 33;

/// WinAnsi codes 0x80..=0x9F and the characters they stand for.
const WIN_HIGH: [(u8, char); 27] = [
    (0x80, '€'),
    (0x82, '‚'),
    (0x83, 'ƒ'),
    (0x84, '„'),
    (0x85, '…'),
    (0x86, '†'),
    (0x87, '‡'),
    (0x88, 'ˆ'),
    (0x89, '‰'),
    (0x8A, 'Š'),
    (0x8B, '‹'),
    (0x8C, 'Œ'),
    (0x8E, 'Ž'),
    (0x91, '\u{2018}'),
    (0x92, '\u{2019}'),
    (0x93, '\u{201C}'),
    (0x94, '\u{201D}'),
    (0x95, '•'),
    (0x96, '–'),
    (0x97, '—'),
    (0x98, '˜'),
    (0x99, '™'),
    (0x9A, 'š'),
    (0x9B, '›'),
    (0x9C, 'œ'),
    (0x9E, 'ž'),
    (0x9F, 'Ÿ'),
];

/// How a character is drawn: the font resource and the byte code. Characters neither encoding
/// holds become `?`; a few look-alikes are mapped first (thin and no-break spaces, non-breaking
/// hyphens, the minus sign).
pub(super) fn encode(c: char) -> (Set, u8) {
    let c = match c {
        '\u{2009}' | '\u{202F}' | '\u{2007}' | '\u{2002}' | '\u{2003}' | '\t' => ' ',
        '\u{2010}' | '\u{2011}' | '\u{2212}' => '-',
        '\u{2032}' => '\'',
        c => c,
    };
    let u = c as u32;
    if (0x20..0x7F).contains(&u) || (0xA0..=0xFF).contains(&u) {
        return (Set::Win, u as u8);
    }
    if let Some((code, _)) = WIN_HIGH.iter().find(|(_, ch)| *ch == c) {
        return (Set::Win, *code);
    }
    if (0x100..=0x17F).contains(&u) {
        return (Set::Ext, EXT_FIRST + (u - 0x100) as u8);
    }
    if let Some(i) = EXTRAS.iter().position(|(ch, ..)| *ch == c) {
        return (Set::Ext, EXT_FIRST + 128 + i as u8);
    }
    (Set::Win, b'?')
}

/// The width of one encoded glyph in 1/1000 em.
pub(super) fn width(set: Set, code: u8, bold: bool) -> u16 {
    match set {
        Set::Win => {
            let table = if bold { &WIN_BOLD } else { &WIN_REGULAR };
            match code {
                32..=255 => match table[(code - 32) as usize] {
                    0 => 556,
                    w => w,
                },
                _ => 556,
            }
        }
        Set::Ext => {
            let i = code.saturating_sub(EXT_FIRST) as usize;
            if let Some(name) = EXT_A.get(i) {
                ext_a_width(name, bold)
            } else if let Some((_, _, r, b)) = EXTRAS.get(i - 128) {
                if bold { *b } else { *r }
            } else {
                556
            }
        }
    }
}

/// Latin Extended-A letters are as wide as their base letter, except the few listed here.
fn ext_a_width(name: &str, bold: bool) -> u16 {
    let special: Option<(u16, u16)> = match name {
        "dcaron" => Some((643, 719)),
        "lcaron" => Some((299, 400)),
        "tcaron" => Some((317, 389)),
        "IJ" => Some((778, 834)),
        "ij" => Some((444, 556)),
        "Eng" => Some((722, 722)),
        "kgreenlandic" => Some((500, 556)),
        "longs" => Some((278, 333)),
        "ldot" => Some((334, 400)),
        "iogonek" => Some((222, 278)),
        "OE" => Some((1000, 1000)),
        "oe" => Some((944, 944)),
        _ if name.starts_with('i') || name == "dotlessi" => Some((278, 278)),
        _ => None,
    };
    if let Some((r, b)) = special {
        return if bold { b } else { r };
    }
    let base = name.as_bytes().first().copied().unwrap_or(b'n');
    width(Set::Win, base, bold)
}

/// The width of `text` in points at `size` points.
pub fn text_width(text: &str, bold: bool, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| {
            let (set, code) = encode(c);
            u32::from(width(set, code, bold))
        })
        .sum();
    units as f32 * size / 1000.0
}

/// Widths of WinAnsi codes 32..=255 (0 = no glyph at that code).
pub(super) const WIN_REGULAR: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584, 0, 556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 222, 222, 333,
    333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370,
    556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, 667, 667,
    667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778,
    722, 722, 722, 722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];
pub(super) const WIN_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611,
    556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389,
    280, 389, 584, 0, 556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 278, 278, 500,
    500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370,
    556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, 722, 722,
    722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778,
    722, 722, 722, 722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];
