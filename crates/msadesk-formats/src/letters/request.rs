//! The arguments of a request's acknowledgement and cover letter, from the stored request, its
//! authority, our identity and the product: one place for the CLI, the response package and the
//! pages.

use msadesk_core::inbox::{Ask, Authority, Request};
use msadesk_core::{Date, OurRole, OwnIdentity, Product};

use super::{LetterArgs, LetterError, LetterKind, phrase};

fn ask_phrase(ask: Ask) -> &'static str {
    match ask {
        Ask::Trace => "ask-trace",
        Ask::Documents => "ask-documents",
        Ask::Sbom => "ask-sbom",
        Ask::Samples => "ask-samples",
        Ask::Access => "ask-access",
    }
}

/// Our side of every letter: name, address, contact and the letter's date. Missing contact details
/// become bracketed placeholders that say how to set them.
pub fn sender_args(identity: &OwnIdentity, date: Date) -> LetterArgs {
    let mut a = LetterArgs::new();
    a.insert("sender_name".into(), identity.name.clone());
    a.insert("sender_address".into(), identity.address.clone());
    a.insert("letter_date".into(), date.to_string());
    a.insert(
        "contact_name".into(),
        identity.contact_person.clone().unwrap_or_else(|| "[contact person: msadesk init --contact-person]".into()),
    );
    a.insert(
        "contact_email".into(),
        identity.email.as_ref().map_or_else(|| "[e-mail: msadesk init --email]".into(), |e| e.as_str().to_string()),
    );
    a
}

/// The arguments of the `RequestAck` or `ResponseCover` letter of `request` in `lang`: the asks and
/// the period in that language, the legal basis (Art 23 and the cooperation article of our role for
/// the product), and for a cover letter the enclosures (default: what was asked, and the signed
/// manifest).
#[allow(clippy::too_many_arguments)]
pub fn request_letter_args(
    identity: &OwnIdentity,
    authority: &Authority,
    request: &Request,
    product: Option<&Product>,
    kind: LetterKind,
    lang: &str,
    date: Date,
    enclosures: &[String],
) -> Result<LetterArgs, LetterError> {
    let r = &request.new;
    let mut a = sender_args(identity, date);
    a.insert("recipient_name".into(), authority.name.clone());
    if let Some(p) = &authority.postal_address {
        a.insert("recipient_address".into(), p.clone());
    }
    a.insert("their_reference".into(), r.reference.clone());
    a.insert("received_date".into(), r.received_at.clone());
    a.insert("due_date".into(), r.due.to_string());
    let name = product.map_or_else(|| r.product.to_string(), |p| format!("{} ({})", p.name, p.id));
    a.insert(
        "products".into(),
        match &r.version {
            Some(v) => format!("{name}, {v}"),
            None => name,
        },
    );
    let asks: Vec<String> = r.asks.iter().map(|x| phrase(lang, ask_phrase(*x), &[])).collect::<Result<_, _>>()?;
    a.insert("asks".into(), asks.iter().map(|s| format!("• {s}")).collect::<Vec<_>>().join("\n"));
    let period = match (r.from, r.to) {
        (None, None) => phrase(lang, "period-all", &[])?,
        (f, t) => phrase(
            lang,
            "period-range",
            &[
                ("from_date", &f.map_or_else(|| "…".to_string(), |d| d.to_string())),
                ("to_date", &t.map_or_else(|| date.to_string(), |d| d.to_string())),
            ],
        )?,
    };
    a.insert("period".into(), period);
    let role: OurRole = product.and_then(|p| p.our_role).unwrap_or(identity.default_role);
    a.insert(
        "legal_basis".into(),
        format!("{}, {}", msadesk_core::legal::IDENTIFICATION.cite, msadesk_core::legal::cooperation_for(role)),
    );
    if kind == LetterKind::ResponseCover {
        let list = if enclosures.is_empty() {
            let mut l = asks;
            l.push("manifest.json, manifest.sig".into());
            l
        } else {
            enclosures.to_vec()
        };
        a.insert("enclosures".into(), list.iter().map(|s| format!("• {s}")).collect::<Vec<_>>().join("\n"));
    }
    Ok(a)
}
