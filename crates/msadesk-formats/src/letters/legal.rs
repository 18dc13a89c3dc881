//! Legal references written in the letter's language.
//!
//! Callers pass the references as the core's legal data cites them ("CRA Art 19(5)",
//! "Regulation (EU) 2019/1020 Art 16(3)(g)", several joined by ", " or "; "); a letter cites them
//! the way that language's legal texts do ("Artikel 19 Absatz 5 der Verordnung (EU) 2024/2847",
//! "art. 19 ust. 5 rozporządzenia (UE) 2024/2847"). A reference this cannot read is kept as given.

struct Lang {
    /// The word for "Article" (with its article where the grammar of our templates needs none).
    article: &'static str,
    /// How paragraph N is written after the article number.
    paragraph: fn(&str) -> String,
    /// How point (x) is written.
    point: fn(&str) -> String,
    /// "and"
    and: &'static str,
    /// The CRA, in the genitive-like form that follows an article ("of Regulation (EU) 2024/2847 ...").
    cra: &'static str,
    /// Regulation (EU) 2019/1020, the same way.
    msr: &'static str,
}

fn lang(code: &str) -> Lang {
    match code {
        "de" => Lang {
            article: "Artikel",
            paragraph: |p| format!(" Absatz {p}"),
            point: |x| format!(" Buchstabe {x}"),
            and: "und",
            cra: "der Verordnung (EU) 2024/2847 (Cyberresilienzverordnung)",
            msr: "der Verordnung (EU) 2019/1020",
        },
        "fr" => Lang {
            article: "article",
            paragraph: |p| format!(", paragraphe {p}"),
            point: |x| format!(", point {x})"),
            and: "et",
            cra: "du règlement (UE) 2024/2847 (règlement sur la cyberrésilience)",
            msr: "du règlement (UE) 2019/1020",
        },
        "nl" => Lang {
            article: "artikel",
            paragraph: |p| format!(", lid {p}"),
            point: |x| format!(", punt {x})"),
            and: "en",
            cra: "van Verordening (EU) 2024/2847 (verordening cyberweerbaarheid)",
            msr: "van Verordening (EU) 2019/1020",
        },
        "es" => Lang {
            article: "artículo",
            paragraph: |p| format!(", apartado {p}"),
            point: |x| format!(", letra {x})"),
            and: "y",
            cra: "del Reglamento (UE) 2024/2847 (Reglamento de Ciberresiliencia)",
            msr: "del Reglamento (UE) 2019/1020",
        },
        "it" => Lang {
            article: "articolo",
            paragraph: |p| format!(", paragrafo {p}"),
            point: |x| format!(", lettera {x})"),
            and: "e",
            cra: "del regolamento (UE) 2024/2847 (regolamento sulla ciberresilienza)",
            msr: "del regolamento (UE) 2019/1020",
        },
        "sv" => Lang {
            article: "artikel",
            paragraph: |p| format!(".{p}"),
            point: |x| format!(" {x}"),
            and: "och",
            cra: "i förordning (EU) 2024/2847 (cyberresiliensförordningen)",
            msr: "i förordning (EU) 2019/1020",
        },
        "pl" => Lang {
            article: "art.",
            paragraph: |p| format!(" ust. {p}"),
            point: |x| format!(" lit. {x}"),
            and: "i",
            cra: "rozporządzenia (UE) 2024/2847 (akt o cyberodporności)",
            msr: "rozporządzenia (UE) 2019/1020",
        },
        _ => Lang {
            article: "Article",
            paragraph: |p| format!("({p})"),
            point: |x| format!("({x})"),
            and: "and",
            cra: "of Regulation (EU) 2024/2847 (Cyber Resilience Act)",
            msr: "of Regulation (EU) 2019/1020",
        },
    }
}

/// "19(5)(b)" -> article "19", subdivisions ["5", "b"]; None for anything else ("14(1)-(2)").
fn split_article(s: &str) -> Option<(&str, Vec<&str>)> {
    let end = s.find('(').unwrap_or(s.len());
    let number = &s[..end];
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut parts = Vec::new();
    let mut rest = &s[end..];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('(')?;
        let close = inner.find(')')?;
        let p = &inner[..close];
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        parts.push(p);
        rest = &inner[close + 1..];
    }
    Some((number, parts))
}

fn article(l: &Lang, code: &str, s: &str) -> Option<String> {
    let (number, parts) = split_article(s.trim())?;
    if code == "en" {
        return Some(format!("{} {}", l.article, s.trim()));
    }
    let mut out = format!("{} {number}", l.article);
    for p in parts {
        if p.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&(l.paragraph)(p));
        } else {
            out.push_str(&(l.point)(p));
        }
    }
    Some(out)
}

/// Writes cites such as "CRA Art 23(1), CRA Art 19(7)" in `code`'s legal style:
/// "Artikel 23 Absatz 1 und Artikel 19 Absatz 7 der Verordnung (EU) 2024/2847 (Cyberresilienzverordnung)".
pub fn localize_legal_basis(code: &str, cites: &str) -> String {
    let l = lang(code);
    let mut groups: Vec<String> = Vec::new();
    // Consecutive references to the same regulation are grouped: "Art 23(1) and Art 19(7) of ...".
    let mut current: Option<(&str, Vec<String>)> = None;
    let flush = |current: &mut Option<(&str, Vec<String>)>, groups: &mut Vec<String>, l: &Lang| {
        if let Some((reg, arts)) = current.take() {
            let joined = match arts.len() {
                0 => String::new(),
                1 => arts[0].clone(),
                n => format!("{} {} {}", arts[..n - 1].join(", "), l.and, arts[n - 1]),
            };
            let reg = if reg == "cra" { l.cra } else { l.msr };
            groups.push(format!("{joined} {reg}"));
        }
    };
    for item in cites.split([',', ';']).map(str::trim).filter(|s| !s.is_empty()) {
        let (reg, rest) = if let Some(r) = item.strip_prefix("CRA Art ") {
            ("cra", r)
        } else if let Some(r) = item.strip_prefix("Regulation (EU) 2019/1020 Art ") {
            ("msr", r)
        } else {
            flush(&mut current, &mut groups, &l);
            groups.push(item.to_string());
            continue;
        };
        match article(&l, code, rest) {
            Some(a) => {
                if current.as_ref().is_some_and(|(r, _)| *r != reg) {
                    flush(&mut current, &mut groups, &l);
                }
                current.get_or_insert((reg, Vec::new())).1.push(a);
            }
            None => {
                flush(&mut current, &mut groups, &l);
                groups.push(item.to_string());
            }
        }
    }
    flush(&mut current, &mut groups, &l);
    if groups.is_empty() { cites.trim().to_string() } else { groups.join("; ") }
}
