//! The notice letters of an assessment's obligations, in English and in the addressed authorities'
//! languages: which letters (kind, file stem, language) and the arguments of each. Shared by the CLI
//! (`msadesk assess --letters DIR` writes them as files) and the assessment page (downloads). The
//! rendering itself is `msadesk_formats::letters::render`.

use msadesk_core::Product;
use msadesk_core::inbox::{Authority, AuthorityKind};
use msadesk_formats::letters::{LANGUAGES, LetterArgs, LetterError, LetterKind, phrase};

use crate::assess::Assessment;

/// One notice letter: what it is, where it goes (`STEM.LANG.pdf|html`), its language and arguments.
pub struct NoticeLetter {
    pub kind: LetterKind,
    /// `manufacturer`, `msa-DE`, `users`, `end-users`.
    pub stem: String,
    pub lang: &'static str,
    pub args: LetterArgs,
}

impl NoticeLetter {
    /// The file name of the letter in `ext` (`pdf` or `html`).
    pub fn file_name(&self, ext: &str) -> String {
        format!("{}.{}.{ext}", self.stem, self.lang)
    }
}

/// The language letters are written in for an authority: its first language that has templates,
/// else English.
pub fn authority_language(a: &Authority) -> &'static str {
    a.languages.iter().find_map(|l| LANGUAGES.iter().copied().find(|x| x == l)).unwrap_or("en")
}

/// One notice letter to write: kind, file stem, languages, recipient name and address, the Member
/// States it concerns.
type NoticeJob = (LetterKind, String, Vec<&'static str>, String, Option<String>, String);

/// The languages of a Member State's market surveillance authorities that letters exist in.
fn member_state_languages(authorities: &[Authority], ms: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for a in authorities.iter().filter(|a| a.country.as_str() == ms && a.kind == AuthorityKind::Msa) {
        let l = authority_language(a);
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

/// The notice letters of one assessment's obligations: to the manufacturer (English), to each
/// addressed Member State's market surveillance authority (English and the authority's language),
/// to users (English and the languages of the Member States where the version was made available;
/// marked as a recommendation when it is not a legal duty). Reports to the CSIRT/ENISA go through
/// the single reporting platform and stay text drafts. `base` holds our side (`sender_args`).
pub fn notice_letters(
    base: &LetterArgs,
    authorities: &[Authority],
    product: Option<&Product>,
    a: &Assessment,
) -> Result<Vec<NoticeLetter>, LetterError> {
    let mut out = Vec::new();
    let made_available: Vec<&str> =
        a.member_states.iter().filter(|m| m.supplied > 0).map(|m| m.member_state.as_str()).collect();
    let args_for = |lang: &str| -> Result<LetterArgs, LetterError> {
        let mut g = base.clone();
        g.insert(
            "product".into(),
            product.map_or_else(|| a.product_id.to_string(), |p| format!("{} ({})", p.name, p.id)),
        );
        g.insert("versions".into(), a.version.to_string());
        let others: Vec<&str> = a.aliases.iter().map(String::as_str).filter(|x| *x != a.vulnerability).collect();
        g.insert(
            "vulnerability".into(),
            if others.is_empty() {
                a.vulnerability.clone()
            } else {
                format!("{} ({})", a.vulnerability, others.join(", "))
            },
        );
        if let Some(c) = &a.cvss {
            g.insert("severity".into(), format!("CVSS {} {:.1} ({})", c.version, c.base_score, c.vector));
        }
        let mut details = a.summary.clone().unwrap_or_else(|| a.vulnerability.clone());
        if !a.fired.is_empty() {
            details.push_str(&format!("\n{}: {}", phrase(lang, "risk-indicators", &[])?, a.fired.join(", ")));
        }
        g.insert("risk_details".into(), details);
        let mut lines = Vec::new();
        for m in &a.member_states {
            let (s, i) = (m.supplied.to_string(), m.instances.to_string());
            lines.push(phrase(
                lang,
                "quantity-line",
                &[("member_state", m.member_state.as_str()), ("supplied", s.as_str()), ("instances", i.as_str())],
            )?);
        }
        g.insert("quantities".into(), if lines.is_empty() { "—".into() } else { lines.join("\n") });
        g.insert("corrective_measures".into(), phrase(lang, "measures-placeholder", &[])?);
        g.insert("what_to_do".into(), phrase(lang, "todo-placeholder", &[])?);
        if let Some(at) = &a.first_significant_at {
            g.insert("aware_since_date".into(), at.clone());
        }
        Ok(g)
    };
    for o in &a.obligations {
        let mut jobs: Vec<NoticeJob> = Vec::new();
        match o.to {
            "manufacturer" => jobs.push((
                LetterKind::VulnInfoManufacturer,
                "manufacturer".into(),
                vec!["en"],
                product.and_then(|p| p.manufacturer_name.clone()).unwrap_or_else(|| "[manufacturer]".into()),
                None,
                String::new(),
            )),
            "msa" => {
                for ms in &o.member_states {
                    let authority =
                        authorities.iter().find(|x| x.country.as_str() == ms && x.kind == AuthorityKind::Msa);
                    let mut langs = vec!["en"];
                    for l in member_state_languages(authorities, ms) {
                        if !langs.contains(&l) {
                            langs.push(l);
                        }
                    }
                    jobs.push((
                        LetterKind::RiskNoticeMsa,
                        format!("msa-{ms}"),
                        langs,
                        authority.map_or_else(|| format!("[market surveillance authority, {ms}]"), |x| x.name.clone()),
                        authority.and_then(|x| x.postal_address.clone()),
                        o.member_states.join(", "),
                    ));
                }
            }
            "users" | "end_users" => {
                let mut langs = vec!["en"];
                for ms in made_available.iter() {
                    for l in member_state_languages(authorities, ms) {
                        if !langs.contains(&l) {
                            langs.push(l);
                        }
                    }
                }
                jobs.push((
                    LetterKind::UserNotice,
                    o.to.replace('_', "-"),
                    langs,
                    "[users]".into(),
                    None,
                    String::new(),
                ));
            }
            _ => {}
        }
        for (kind, stem, langs, recipient, address, states) in jobs {
            for lang in langs {
                let mut args = args_for(lang)?;
                args.insert("recipient_name".into(), recipient.clone());
                if let Some(ad) = &address {
                    args.insert("recipient_address".into(), ad.clone());
                }
                args.insert(
                    "member_states".into(),
                    if states.is_empty() { made_available.join(", ") } else { states.clone() },
                );
                if kind != LetterKind::UserNotice || o.legal_duty {
                    args.insert("legal_basis".into(), o.basis.cite.to_string());
                }
                if !o.legal_duty {
                    args.insert("recommendation".into(), "yes".into());
                }
                out.push(NoticeLetter { kind, stem: stem.clone(), lang, args });
            }
        }
    }
    Ok(out)
}
