use std::collections::BTreeMap;

use super::*;

fn messages(text: &str) -> BTreeMap<String, String> {
    let res = parse(text).expect("built-in templates parse");
    res.entries()
        .filter_map(|e| match e {
            ast::Entry::Message(m) => {
                let value = m
                    .value
                    .as_ref()
                    .map(|p| {
                        p.elements
                            .iter()
                            .map(|el| match el {
                                ast::PatternElement::TextElement { value } => value.to_string(),
                                ast::PatternElement::Placeable { .. } => "{}".to_string(),
                            })
                            .collect::<String>()
                    })
                    .unwrap_or_default();
                Some((m.id.name.to_string(), value))
            }
            _ => None,
        })
        .collect()
}

/// Messages that may read the same as in English in a given language (the same word exists).
const SAME_AS_ENGLISH: &[(&str, &str)] = &[
    ("fr", "date-label"),
    ("de", "label-product"),
    ("nl", "label-product"),
    ("sv", "label-product"),
    ("pl", "label-product"),
    ("nl", "date-label"),
    ("de", "date-label"),
    ("sv", "date-label"),
    ("it", "date-label"),
    ("pl", "date-label"),
];

#[test]
fn every_language_has_every_english_message_and_translates_it() {
    for kind in KINDS {
        let (ec, eo) = builtin(*kind, "en").expect("en");
        let mut en = messages(ec);
        en.extend(messages(eo));
        for lang in LANGUAGES.iter().filter(|l| **l != "en") {
            let (c, o) = builtin(*kind, lang).expect("language");
            let mut tr = messages(c);
            tr.extend(messages(o));
            for (id, en_text) in &en {
                let t = tr.get(id).unwrap_or_else(|| panic!("{lang}: {kind}: message {id} is missing"));
                if !SAME_AS_ENGLISH.contains(&(lang, id.as_str())) {
                    assert_ne!(t, en_text, "{lang}: {id} is still in English");
                }
                // The same variables, so no fact of the letter is lost in translation.
                let vars = |s: &str| {
                    let mut v: Vec<String> =
                        s.split("{ $").skip(1).map(|p| p.split(' ').next().unwrap_or("").to_string()).collect();
                    v.sort();
                    v
                };
                let en_src = if ec.contains(&format!("{id} =")) { ec } else { eo };
                let tr_src = if c.contains(&format!("{id} =")) { c } else { o };
                let line =
                    |src: &str| src.lines().find(|l| l.starts_with(&format!("{id} ="))).unwrap_or("").to_string();
                assert_eq!(vars(&line(tr_src)), vars(&line(en_src)), "{lang}: {id} uses other variables than English");
            }
            for id in tr.keys() {
                assert!(en.contains_key(id), "{lang}: {kind}: message {id} is not in English");
            }
        }
    }
}

#[test]
fn every_kind_renders_in_every_language() {
    for kind in KINDS {
        for lang in LANGUAGES {
            let doc = render(*kind, lang, &sample_args(*kind), None).unwrap_or_else(|e| panic!("{kind} {lang}: {e}"));
            assert_eq!(doc.lang, *lang);
            let text = doc.plain_text();
            for a in required_args(*kind) {
                let v = &sample_args(*kind)[*a];
                if v.starts_with('[') {
                    assert!(text.contains(v.as_str()), "{kind} {lang}: argument {a} is not shown");
                }
            }
            assert!(
                !text.contains('{') && !text.contains("2026-12-04"),
                "{kind} {lang}: raw placeholder or date\n{text}"
            );
            assert!(!doc.to_pdf().is_empty() && doc.to_html().contains("<h2>"));
        }
    }
}

#[test]
fn a_missing_argument_is_named() {
    let mut args = sample_args(LetterKind::RequestAck);
    args.remove("due_date");
    let e = render(LetterKind::RequestAck, "de", &args, None).expect_err("missing");
    assert_eq!(e, LetterError::MissingArg { kind: LetterKind::RequestAck, arg: "due_date".into() });
    assert!(e.to_string().contains("'due_date'"));
    args.insert("due_date".into(), "  ".into());
    assert!(render(LetterKind::RequestAck, "de", &args, None).is_err(), "blank counts as missing");
}

#[test]
fn unknown_languages_fall_back_to_english_and_say_so() {
    let (l, note) = effective_language("fi");
    assert_eq!(l, "en");
    assert!(note.expect("note").contains("'fi'"));
    assert_eq!(effective_language("de-AT"), ("de", None));
    let doc = render(LetterKind::UserNotice, "fi", &sample_args(LetterKind::UserNotice), None).expect("render");
    assert_eq!(doc.lang, "en");
}

#[test]
fn dates_are_written_per_language() {
    let cases = [
        ("en", "2026-12-04", "4 December 2026"),
        ("de", "2026-03-01", "1. März 2026"),
        ("fr", "2026-12-01", "1er décembre 2026"),
        ("fr", "2026-08-15", "15 août 2026"),
        ("nl", "2026-05-04", "4 mei 2026"),
        ("es", "2026-12-04", "4 de diciembre de 2026"),
        ("it", "2026-12-01", "1º dicembre 2026"),
        ("sv", "2026-08-04", "4 augusti 2026"),
        ("pl", "2026-09-04", "4 września 2026 r."),
        ("de", "2026-12-04T09:30:00+01:00[Europe/Berlin]", "4. Dezember 2026"),
        ("de", "not a date", "not a date"),
        ("de", "2026-13-01", "2026-13-01"),
    ];
    for (lang, input, want) in cases {
        assert_eq!(format_date(lang, input), want, "{lang} {input}");
    }
}

#[test]
fn legal_references_are_written_per_language() {
    let cases = [
        ("en", "CRA Art 19(5)", "Article 19(5) of Regulation (EU) 2024/2847 (Cyber Resilience Act)"),
        ("de", "CRA Art 19(5)", "Artikel 19 Absatz 5 der Verordnung (EU) 2024/2847 (Cyberresilienzverordnung)"),
        (
            "de",
            "CRA Art 23(1), CRA Art 19(7)",
            "Artikel 23 Absatz 1 und Artikel 19 Absatz 7 der Verordnung (EU) 2024/2847 (Cyberresilienzverordnung)",
        ),
        ("pl", "CRA Art 20(4)", "art. 20 ust. 4 rozporządzenia (UE) 2024/2847 (akt o cyberodporności)"),
        (
            "fr",
            "Regulation (EU) 2019/1020 Art 16(3)(g)",
            "article 16, paragraphe 3, point g) du règlement (UE) 2019/1020",
        ),
        ("sv", "CRA Art 14(8)", "artikel 14.8 i förordning (EU) 2024/2847 (cyberresiliensförordningen)"),
        ("de", "CRA Art 14(1)-(2)", "CRA Art 14(1)-(2)"),
        ("de", "something else", "something else"),
    ];
    for (lang, input, want) in cases {
        assert_eq!(localize_legal_basis(lang, input), want, "{lang} {input}");
    }
}

#[test]
fn a_german_acknowledgement_reads_right() {
    let mut a = sample_args(LetterKind::RequestAck);
    a.insert("their_reference".into(), "BNetzA-2026-0042".into());
    a.insert("received_date".into(), "2026-12-03".into());
    a.insert("due_date".into(), "2026-12-17".into());
    let d = render(LetterKind::RequestAck, "de", &a, None).expect("render");
    let t = d.plain_text();
    assert!(t.contains("Sehr geehrte Damen und Herren,"));
    assert!(t.contains("am 3. Dezember 2026"), "{t}");
    assert!(t.contains("spätestens bis zum 17. Dezember 2026"));
    assert!(t.contains("Ihr Zeichen: BNetzA-2026-0042"));
}

#[test]
fn overrides_replace_messages_and_keep_the_rest() {
    let o = "request-ack-deadline = Antwort bis { $due_date }, versprochen.\n";
    let d = render(LetterKind::RequestAck, "de", &sample_args(LetterKind::RequestAck), Some(o)).expect("render");
    let t = d.plain_text();
    assert!(t.contains("Antwort bis 4. Dezember 2026, versprochen."));
    assert!(t.contains("Sehr geehrte Damen und Herren,"), "the rest stays built in");
    let check = check_template(LetterKind::RequestAck, "de", o).expect("valid");
    assert!(check.missing.contains(&"request-ack-intro".to_string()) && check.unknown.is_empty());
    let full = template_text(LetterKind::RequestAck, "de");
    let check = check_template(LetterKind::RequestAck, "de", &full).expect("the exported template is valid");
    assert!(check.missing.is_empty() && check.unknown.is_empty(), "{check:?}");
}

#[test]
fn broken_templates_are_refused_with_a_line() {
    let bad = "date-label = Datum\nrequest-ack-subject = { $their_reference\nclosing = x\n";
    match check_template(LetterKind::RequestAck, "de", bad) {
        Err(LetterError::Parse { line, .. }) => assert_eq!(line, 2),
        other => panic!("expected a parse error, got {other:?}"),
    }
    // A message that refers to an unknown variable fails when rendered.
    let unknown_var = "request-ack-intro = { $no_such_arg }\n";
    let e = check_template(LetterKind::RequestAck, "de", unknown_var).expect_err("unknown variable");
    assert!(e.to_string().contains("request-ack-intro"), "{e}");
    assert!(matches!(check_template(LetterKind::RequestAck, "xx", "a = b"), Err(LetterError::UnknownLanguage(_))));
}

#[test]
fn kinds_parse_by_name() {
    for k in KINDS {
        assert_eq!(LetterKind::parse(k.as_str()).expect("kind"), *k);
    }
    assert_eq!(LetterKind::parse("request_ack").expect("kind"), LetterKind::RequestAck);
    assert!(LetterKind::parse("ack").is_err());
}

/// Writes every kind in every language to `MSADESK_SAMPLE_LETTERS` (a directory) when set;
/// `ci/pdf-render.sh` renders some of them with poppler.
#[test]
fn write_sample_letters_when_asked() {
    let docs: Vec<(String, Document)> = KINDS
        .iter()
        .flat_map(|k| {
            LANGUAGES.iter().map(move |l| (format!("{k}.{l}"), render(*k, l, &sample_args(*k), None).expect("render")))
        })
        .collect();
    assert_eq!(docs.len(), KINDS.len() * LANGUAGES.len());
    if let Ok(dir) = std::env::var("MSADESK_SAMPLE_LETTERS") {
        std::fs::create_dir_all(&dir).expect("directory");
        for (name, d) in &docs {
            std::fs::write(format!("{dir}/{name}.pdf"), d.to_pdf()).expect("write");
            std::fs::write(format!("{dir}/{name}.html"), d.to_html()).expect("write");
        }
    }
}

#[test]
fn phrases_are_localized() {
    assert_eq!(
        phrase("de", "period-range", &[("from_date", "2026-01-01"), ("to_date", "2026-06-30")]).expect("phrase"),
        "vom 1. Januar 2026 bis zum 30. Juni 2026"
    );
    assert_eq!(phrase("pl", "ask-samples", &[]).expect("phrase"), "Próbki produktu");
    assert!(phrase("de", "no-such-phrase", &[]).is_err());
}

#[test]
fn request_letters_take_their_facts_from_the_request() {
    use msadesk_core::inbox::{Ask, DeadlineRule, NewRequest, Request, RequestInput, defaults};
    use msadesk_core::{Date, Email, MemberState, OurRole, OwnIdentity, ProductId};
    let authority = defaults::authorities().into_iter().find(|a| a.id == "de-bnetza").expect("seeded");
    let new = NewRequest::build(
        RequestInput {
            authority: &authority,
            reference: "BNetzA-2026-0042",
            received: "2026-12-03T16:30",
            deadline: DeadlineRule::WorkingDays(10),
            product: ProductId::parse("CAM-1").expect("id"),
            version: None,
            from: Some(Date::parse("2026-01-01").expect("date")),
            to: Some(Date::parse("2026-06-30").expect("date")),
            asks: vec![Ask::Trace, Ask::Sbom],
            ack_hours: 24,
        },
        &[],
    )
    .expect("request");
    let request = Request::received(1, new, "2026-12-03T15:30:00Z", "cli:test");
    let identity = OwnIdentity {
        name: "ACME Import GmbH".into(),
        address: "Hafenstraße 1, 20457 Hamburg".into(),
        member_state: MemberState::parse("DE").expect("ms"),
        contact_person: Some("Jana Novák".into()),
        email: Some(Email::parse("compliance@acme.example").expect("email")),
        default_role: OurRole::Distributor,
        gln: None,
    };
    let date = Date::parse("2026-12-10").expect("date");
    let args = request_letter_args(&identity, &authority, &request, None, LetterKind::ResponseCover, "de", date, &[])
        .expect("args");
    assert_eq!(args["legal_basis"], "CRA Art 23(1), CRA Art 20(5)", "a distributor cooperates under Art 20(5)");
    assert_eq!(args["period"], "vom 1. Januar 2026 bis zum 30. Juni 2026");
    assert!(args["asks"].contains("Software-Stückliste (SBOM)"));
    assert!(args["enclosures"].ends_with("• manifest.json, manifest.sig"));
    let doc = render(LetterKind::ResponseCover, "de", &args, None).expect("render");
    let t = doc.plain_text();
    assert!(t.contains("Artikel 23 Absatz 1 und Artikel 20 Absatz 5 der Verordnung (EU) 2024/2847"), "{t}");
    assert!(t.contains("Tulpenfeld 4, 53113 Bonn"));
}
