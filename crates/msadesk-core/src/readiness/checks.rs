//! The checks, one function each, in the order of the report. Each reads [`Facts`] only, returns
//! `ok`, `gap` (with evidence, the fix and the penalty tier) or `not_applicable` (with why).

use std::collections::BTreeSet;

use super::{Area, Check, Evidence, Facts, FeedKind, PenaltyTier, ReadinessPolicy, figure};
use crate::Country;
use crate::legal;

/// A check: reads the facts, says how things stand.
pub type CheckFn = fn(&Facts, &ReadinessPolicy) -> Check;

/// Every check, in report order. The lead adds documentation, corrective-action and notice checks
/// here when their data is in the store.
pub const CHECKS: &[CheckFn] = &[
    identity_operator,
    identity_contact,
    identity_roles,
    traceability_master_data,
    traceability_counterparties,
    traceability_event_addresses,
    traceability_trace_time,
    authorities_directory,
    authorities_letter_languages,
    documentation_library,
    vulnerabilities_sbom,
    vulnerabilities_feeds,
    vulnerabilities_open_assessments,
    vulnerabilities_obligations,
    requests_acknowledged,
    requests_deadlines,
    corrective_actions_overdue,
    corrective_actions_effectiveness,
    evidence_audit_chain,
    evidence_backup,
    evidence_retention_run,
    evidence_legal_holds,
];

/// Placeholders that are not an address.
const NOT_AN_ADDRESS: &[&str] =
    &["n/a", "na", "none", "unknown", "tbd", "todo", "-", "--", "?", "x", "same", "see above"];

/// Why an address is not a postal address, if it is not: a placeholder, or without a house number
/// or postal code (no digit at all), or too short to be one. A heuristic stated in README.md: it
/// catches "Berlin" and "n/a", not every wrong address.
pub fn postal_address_problem(address: &str) -> Option<&'static str> {
    let a = address.trim();
    if a.is_empty() {
        return Some("no address");
    }
    if NOT_AN_ADDRESS.contains(&a.to_lowercase().as_str()) {
        return Some("a placeholder, not an address");
    }
    if !a.chars().any(|c| c.is_ascii_digit()) {
        return Some("no house number or postal code");
    }
    if a.chars().count() < 8 {
        return Some("too short for a postal address");
    }
    None
}

/// Mailbox names that reach a department or nobody, not a named person or the compliance function.
const GENERIC_MAILBOXES: &[&str] =
    &["info", "office", "contact", "hello", "mail", "sales", "noreply", "no-reply", "donotreply", "webmaster", "admin"];

/// Why an e-mail address is not a direct one, if it is not.
pub fn direct_email_problem(email: &str) -> Option<&'static str> {
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    GENERIC_MAILBOXES.contains(&local.as_str()).then_some("a general mailbox, not a direct address")
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The `msadesk init` command that keeps what is recorded and fills in what is missing.
fn init_command(f: &Facts, contact: Option<&str>, email: Option<&str>) -> String {
    let i = f.identity.as_ref();
    let name = i.map_or("'OUR COMPANY NAME'".to_string(), |i| q(&i.name));
    let address = i.map_or("'STREET NO, POSTCODE CITY'".to_string(), |i| q(&i.address));
    let ms = i.map_or("XX".to_string(), |i| i.member_state.to_string());
    let role = i.map_or("importer".to_string(), |i| i.default_role.to_string());
    let contact = contact
        .map(q)
        .or_else(|| i.and_then(|i| i.contact_person.as_deref()).map(q))
        .unwrap_or_else(|| "'FULL NAME'".into());
    let email = email
        .map(q)
        .or_else(|| i.and_then(|i| i.email.as_ref()).map(|e| q(e.as_str())))
        .unwrap_or_else(|| "'name@company.example'".into());
    format!(
        "msadesk init --name {name} --address {address} --member-state {ms} --role {role} --contact-person {contact} --email {email}"
    )
}

pub fn identity_operator(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "identity.operator";
    const T: &str = "Our name, postal address and Member State are recorded";
    let Some(i) = &f.identity else {
        return Check::gap(
            ID,
            Area::Identity,
            T,
            Evidence::new("Who we are is not recorded: letters and answers to authorities cannot name us."),
            format!("Record who we are: {}", init_command(f, None, None)),
            Some(PenaltyTier::OperatorObligations),
        )
        .basis(legal::COOPERATION_ON_REQUEST);
    };
    if let Some(p) = postal_address_problem(&i.address) {
        return Check::gap(
            ID,
            Area::Identity,
            T,
            Evidence::new(format!("Our address '{}' is {p}.", i.address)),
            format!("Record the full postal address: {}", init_command(f, None, None)),
            Some(PenaltyTier::OperatorObligations),
        )
        .basis(legal::COOPERATION_ON_REQUEST);
    }
    Check::ok(ID, Area::Identity, T, Evidence::new(format!("{}, {} ({}).", i.name, i.address, i.member_state)))
        .basis(legal::COOPERATION_ON_REQUEST)
}

pub fn identity_contact(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "identity.contact";
    const T: &str = "A named contact person with a direct e-mail address";
    let gap = |text: String| {
        Check::gap(
            ID,
            Area::Identity,
            T,
            Evidence::new(text),
            format!("Name the person authorities reach: {}", init_command(f, None, None)),
            Some(PenaltyTier::OperatorObligations),
        )
        .basis(legal::COOPERATION_ON_REQUEST)
    };
    let Some(i) = &f.identity else {
        return gap("Who we are is not recorded, so there is no contact person either.".into());
    };
    let mut problems = Vec::new();
    if i.contact_person.as_deref().is_none_or(|c| c.trim().is_empty()) {
        problems.push("no contact person is named".to_string());
    }
    match &i.email {
        None => problems.push("no e-mail address is recorded".into()),
        Some(e) => {
            if let Some(p) = direct_email_problem(e.as_str()) {
                problems.push(format!("{} is {p}", e.as_str()));
            }
        }
    }
    if !problems.is_empty() {
        return gap(format!("{}.", capitalise(&problems.join("; "))));
    }
    Check::ok(
        ID,
        Area::Identity,
        T,
        Evidence::new(format!(
            "{} <{}>.",
            i.contact_person.as_deref().unwrap_or_default(),
            i.email.as_ref().map_or("", |e| e.as_str())
        )),
    )
    .basis(legal::COOPERATION_ON_REQUEST)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |first| first.to_uppercase().chain(c).collect())
}

pub fn identity_roles(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "identity.roles";
    const T: &str = "Our role is set for every product";
    if f.products.is_empty() {
        return Check::na(ID, Area::Identity, T, "No products in the registry.");
    }
    let explicit = f.products.iter().filter(|p| p.explicit_role.is_some()).count();
    let default = f.identity.as_ref().map(|i| i.default_role);
    let without: Vec<String> = f
        .products
        .iter()
        .filter(|p| p.explicit_role.is_none() && default.is_none())
        .map(|p| format!("{} ({})", p.id, p.name))
        .collect();
    let ev = Evidence::new(match default {
        Some(d) => format!(
            "{} product(s): {explicit} with their own role, {} with the default role '{d}' from `msadesk init`.",
            f.products.len(),
            f.products.len() - explicit
        ),
        None => format!("{} product(s) have no role of their own and no default role is recorded.", without.len()),
    })
    .figure(figure("products", "products", f.products.len(), "count"))
    .figure(figure("explicit_role", "with their own role", explicit, "count"));
    if without.is_empty() {
        Check::ok(ID, Area::Identity, T, ev)
    } else {
        Check::gap(
            ID,
            Area::Identity,
            T,
            ev.items(without),
            format!(
                "Set the default role ({}), or give each product its role in the `our_role` column and run `msadesk import products products.csv`",
                init_command(f, None, None)
            ),
            Some(PenaltyTier::OperatorObligations),
        )
    }
}

pub fn traceability_master_data(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "traceability.master_data";
    const T: &str = "Every product version with supply events has master data";
    let with_events: Vec<_> = f.versions_with_events().collect();
    if with_events.is_empty() {
        return Check::na(ID, Area::Traceability, T, "No product version has supply events yet.");
    }
    let manufacturer = |p: &crate::ProductId| {
        f.products.iter().find(|x| &x.id == p).and_then(|x| x.manufacturer.clone()).filter(|m| !m.trim().is_empty())
    };
    let mut missing = Vec::new();
    for v in &with_events {
        let mut what = Vec::new();
        if v.stub {
            what.push("only a stub from supply rows");
        }
        if manufacturer(&v.product_id).is_none() {
            what.push("no manufacturer");
        }
        if v.placed_on_market.is_none() {
            what.push("no placing on the market date");
        }
        if v.end_of_support.is_none() {
            what.push("no end of support");
        }
        if !what.is_empty() {
            missing.push(format!("{}: {}", v.label(), what.join(", ")));
        }
    }
    let ev = Evidence::new(format!(
        "{} of {} version(s) with supply events lack master data (manufacturer, placing on the market, end of support).",
        missing.len(),
        with_events.len()
    ))
    .figure(figure("versions_with_events", "versions with supply events", with_events.len(), "count"))
    .figure(figure("versions_missing_master_data", "versions missing master data", missing.len(), "count"));
    if missing.is_empty() {
        return Check::ok(ID, Area::Traceability, T, ev).basis(legal::IDENTIFICATION);
    }
    Check::gap(
        ID,
        Area::Traceability,
        T,
        ev.items(missing),
        "Import the master data of these versions (columns product_id, product_name, version, manufacturer_*, placed_on_market, end_of_support): msadesk import products products.csv",
        Some(PenaltyTier::OperatorObligations),
    )
    .basis(legal::IDENTIFICATION)
}

pub fn traceability_counterparties(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "traceability.counterparties";
    const T: &str = "Every counterparty has a name and a postal address";
    if f.counterparties.is_empty() {
        return Check::na(ID, Area::Traceability, T, "No operators in the registry yet.");
    }
    let bad: Vec<String> = f
        .counterparties
        .iter()
        .filter_map(|p| {
            let problem = if p.name.trim().is_empty() { Some("no name") } else { postal_address_problem(&p.address) };
            problem.map(|why| format!("{} {} ({}): address '{}' is {why}", p.id, p.name, p.country, p.address))
        })
        .collect();
    let ev = Evidence::new(format!(
        "{} of {} operator(s) lack a name or a postal address in their latest details (CRA Art 23(1) asks for name and address).",
        bad.len(),
        f.counterparties.len()
    ))
    .figure(figure("operators", "operators", f.counterparties.len(), "count"))
    .figure(figure("operators_without_address", "operators without a postal address", bad.len(), "count"));
    if bad.is_empty() {
        return Check::ok(ID, Area::Traceability, T, ev).basis(legal::IDENTIFICATION);
    }
    Check::gap(
        ID,
        Area::Traceability,
        T,
        ev.items(bad),
        "Correct the address in the ERP export and import it again: msadesk import supply deliveries.csv (a changed address becomes a new snapshot; `msadesk operators` shows the latest details)",
        Some(PenaltyTier::OperatorObligations),
    )
    .basis(legal::IDENTIFICATION)
}

pub fn traceability_event_addresses(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "traceability.event_addresses";
    const T: &str = "No supply event without the counterparty's postal address";
    let total = f.supply.total;
    if total == 0 {
        return Check::na(ID, Area::Traceability, T, "No supply events yet.");
    }
    let bad: Vec<_> =
        f.event_parties.iter().filter_map(|e| postal_address_problem(&e.address).map(|why| (e, why))).collect();
    let events: u64 = bad.iter().map(|(e, _)| e.deliveries).sum();
    let ev = Evidence::new(format!(
        "{events} of {total} supply event(s) name a counterparty without a postal address as it was at the event."
    ))
    .figure(figure("supply_events", "supply events", total, "count"))
    .figure(figure("events_without_address", "events without a postal address", events, "count"));
    if bad.is_empty() {
        return Check::ok(ID, Area::Traceability, T, ev).basis(legal::IDENTIFICATION);
    }
    let items = bad.iter().map(|(e, why)| {
        format!(
            "{} with {} {} ({}): {} event(s), address '{}' is {why}",
            e.product_id, e.operator_id, e.name, e.country, e.deliveries, e.address
        )
    });
    Check::gap(
        ID,
        Area::Traceability,
        T,
        ev.items(items.collect::<Vec<_>>()),
        "Events keep the address valid when they happened: find the real address (delivery notes, invoices) and import the corrected events with their reference: msadesk import supply corrected.csv; an authority's trace shows both until then (`msadesk trace --product ID`)",
        Some(PenaltyTier::OperatorObligations),
    )
    .basis(legal::IDENTIFICATION)
}

pub fn traceability_trace_time(f: &Facts, p: &ReadinessPolicy) -> Check {
    const ID: &str = "traceability.trace_time";
    const T: &str = "The registry answers for the largest product in under a second";
    let Some(t) = &f.trace_timing else {
        return Check::na(ID, Area::Traceability, T, "No supply events yet: nothing to trace.");
    };
    let ev = Evidence::new(format!(
        "The Art 23 trace of {} (the product with the most events, {}) took {} ms; the policy allows {} ms.",
        t.product_id, t.events, t.millis, p.trace_max_ms
    ))
    .figure(figure("trace_ms", "trace time", t.millis, "ms"))
    .figure(figure("trace_events", "events of the product", t.events, "count"));
    if t.millis < p.trace_max_ms {
        return Check::ok(ID, Area::Traceability, T, ev).basis(legal::IDENTIFICATION);
    }
    Check::gap(
        ID,
        Area::Traceability,
        T,
        ev,
        format!(
            "Measure again on a quiet machine with `msadesk bench trace --product {}`; on PostgreSQL run `VACUUM ANALYZE supply_events`; see BENCHMARKS.md for the expected times",
            t.product_id
        ),
        Some(PenaltyTier::OperatorObligations),
    )
    .basis(legal::IDENTIFICATION)
}

/// The Member States we supplied products to (countries that are not Member States are left out).
pub fn supplied_member_states(f: &Facts) -> BTreeSet<Country> {
    f.versions.iter().flat_map(|v| v.supplied_to.iter().copied()).filter(|c| c.is_member_state()).collect()
}

pub fn authorities_directory(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "authorities.directory";
    const T: &str = "A directory entry for every Member State where we made products available";
    let states = supplied_member_states(f);
    if states.is_empty() {
        return Check::na(ID, Area::Authorities, T, "We have not supplied any product in a Member State yet.");
    }
    let missing: Vec<Country> =
        states.iter().copied().filter(|c| !f.authorities.iter().any(|a| a.msa && a.country == *c)).collect();
    let unconfirmed: BTreeSet<Country> = states
        .iter()
        .copied()
        .filter(|c| {
            let entries: Vec<_> = f.authorities.iter().filter(|a| a.msa && a.country == *c).collect();
            !entries.is_empty() && !entries.iter().any(|a| a.confirmed)
        })
        .collect();
    let list = |s: &mut dyn Iterator<Item = Country>| s.map(|c| c.to_string()).collect::<Vec<_>>().join(" ");
    let ev = Evidence::new(format!(
        "We made products available in {} Member State(s) ({}); {} have no market surveillance authority in the directory; {} have only unconfirmed entries (allowed, but review them).",
        states.len(),
        list(&mut states.iter().copied()),
        missing.len(),
        unconfirmed.len()
    ))
    .figure(figure("member_states", "Member States supplied", states.len(), "count"))
    .figure(figure("member_states_without_authority", "without a directory entry", missing.len(), "count"))
    .figure(figure("member_states_unconfirmed", "with unconfirmed entries only", unconfirmed.len(), "count"));
    if missing.is_empty() {
        return Check::ok(ID, Area::Authorities, T, ev).basis(legal::IMPORTER_INFORM_MSA);
    }
    let first = missing[0];
    let (lang, zone) = language_and_zone(first);
    Check::gap(
        ID,
        Area::Authorities,
        T,
        ev.items(missing.iter().map(|c| format!("{c}: no market surveillance authority in the directory"))),
        format!(
            "Add the market surveillance authority of each Member State listed, e.g. msadesk authority add --id {}-msa --country {first} --name 'AUTHORITY NAME' --time-zone {zone} --languages {lang},en --source 'where you found it' (then `msadesk authority list --country {first}`)",
            first.as_str().to_lowercase(),
        ),
        Some(PenaltyTier::OperatorObligations),
    )
    .basis(legal::IMPORTER_INFORM_MSA)
}

pub fn authorities_letter_languages(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "authorities.letter_languages";
    const T: &str = "Letter templates in a language each authority understands";
    let states = supplied_member_states(f);
    let entries: Vec<_> = f.authorities.iter().filter(|a| a.msa && states.contains(&a.country)).collect();
    if entries.is_empty() {
        return Check::na(ID, Area::Authorities, T, "No directory entry for a Member State we supplied yet.");
    }
    let has = |l: &str| f.letter_languages.iter().any(|x| x.eq_ignore_ascii_case(l));
    let mut bad = Vec::new();
    for a in &entries {
        let langs: Vec<String> =
            if a.languages.is_empty() { vec![language_and_zone(a.country).0.to_string()] } else { a.languages.clone() };
        if !langs.iter().any(|l| has(l)) {
            bad.push((a, langs));
        }
    }
    let ev = Evidence::new(format!(
        "{} of {} directory entries for Member States we supplied understand none of the languages we have letter templates in ({}).",
        bad.len(),
        entries.len(),
        f.letter_languages.join(" ")
    ))
    .figure(figure("authorities", "directory entries concerned", entries.len(), "count"))
    .figure(figure("authorities_without_template", "without a template in their language", bad.len(), "count"));
    let Some((first, _)) = bad.first() else {
        return Check::ok(ID, Area::Authorities, T, ev).basis(legal::COOPERATION_ON_REQUEST);
    };
    let first_langs = bad[0].1.join(",");
    Check::gap(
        ID,
        Area::Authorities,
        T,
        ev.items(bad.iter().map(|(a, l)| format!("{} ({}): understands {}", a.id, a.country, l.join(", ")))),
        format!(
            "Ask the authority whether it accepts English and record it: msadesk authority edit {} --languages {first_langs},en; otherwise have the letters translated into its language before a request arrives",
            first.id
        ),
        Some(PenaltyTier::OperatorObligations),
    )
    .basis(legal::COOPERATION_ON_REQUEST)
}

/// Documents an authority asks for first: the EU declaration of conformity (manufacturers and
/// authorised representatives keep it, importers a copy) and the technical documentation (importers
/// ensure it can be made available), as kinds of the documentation library.
const REQUIRED_DOCUMENTS: &[(&str, &str)] =
    &[("doc", "EU declaration of conformity"), ("technical_documentation", "technical documentation")];

pub fn documentation_library(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "documentation.library";
    const T: &str = "DoC and technical documentation for every version still within its documentation retention";
    let due: Vec<_> = f
        .versions_with_events()
        .filter_map(|v| {
            let role = v.role?;
            if role == crate::OurRole::Distributor {
                return None;
            }
            let r = crate::retention::documentation(role, v.placed_on_market, v.end_of_support);
            // A missing date keeps the duty running (the end cannot be computed yet).
            r.until.is_none_or(|u| u >= f.today).then_some((v, r))
        })
        .collect();
    if due.is_empty() {
        return Check::na(
            ID,
            Area::Documentation,
            T,
            "No version with supply events is under a documentation duty for our role (distributors have none).",
        );
    }
    let mut bad = Vec::new();
    for (v, r) in &due {
        let missing: Vec<&str> = REQUIRED_DOCUMENTS
            .iter()
            .filter(|(k, _)| !v.documents.iter().any(|d| d == k))
            .map(|(_, label)| *label)
            .collect();
        if !missing.is_empty() {
            bad.push((v, r, missing));
        }
    }
    let ev = Evidence::new(format!(
        "{} of {} version(s) with supply events and a documentation duty lack a document in the library.",
        bad.len(),
        due.len()
    ))
    .figure(figure("versions_with_duty", "versions with a documentation duty", due.len(), "count"))
    .figure(figure("versions_missing_documents", "missing a document", bad.len(), "count"));
    let Some((first, _, first_missing)) = bad.first() else {
        return Check::ok(ID, Area::Documentation, T, ev);
    };
    let kind = REQUIRED_DOCUMENTS.iter().find(|(_, l)| *l == first_missing[0]).map_or("doc", |(k, _)| *k);
    let tier = PenaltyTier::for_roles(bad.iter().filter_map(|(v, ..)| v.role));
    let basis = bad[0].1.basis;
    Check::gap(
        ID,
        Area::Documentation,
        T,
        ev.items(bad.iter().map(|(v, r, m)| {
            format!("{}: no {} (kept until {}, {})", v.label(), m.join(", no "), r.until.map_or("-".into(), |d| d.to_string()), r.basis.cite)
        })),
        format!(
            "Upload each missing document to the library: msadesk doc add --product {} --version {} --kind {kind} FILE.pdf (`msadesk doc gaps` lists them)",
            first.product_id, first.version
        ),
        Some(tier),
    )
    .basis(basis)
}

/// An official language (ISO 639-1) and the capital's time zone of each EU/EEA Member State, to
/// fill in the example command of a missing directory entry.
const LANGUAGE_AND_ZONE: &[(&str, &str, &str)] = &[
    ("AT", "de", "Europe/Vienna"),
    ("BE", "nl", "Europe/Brussels"),
    ("BG", "bg", "Europe/Sofia"),
    ("CY", "el", "Asia/Nicosia"),
    ("CZ", "cs", "Europe/Prague"),
    ("DE", "de", "Europe/Berlin"),
    ("DK", "da", "Europe/Copenhagen"),
    ("EE", "et", "Europe/Tallinn"),
    ("ES", "es", "Europe/Madrid"),
    ("FI", "fi", "Europe/Helsinki"),
    ("FR", "fr", "Europe/Paris"),
    ("GR", "el", "Europe/Athens"),
    ("HR", "hr", "Europe/Zagreb"),
    ("HU", "hu", "Europe/Budapest"),
    ("IE", "en", "Europe/Dublin"),
    ("IS", "is", "Atlantic/Reykjavik"),
    ("IT", "it", "Europe/Rome"),
    ("LI", "de", "Europe/Vaduz"),
    ("LT", "lt", "Europe/Vilnius"),
    ("LU", "fr", "Europe/Luxembourg"),
    ("LV", "lv", "Europe/Riga"),
    ("MT", "mt", "Europe/Malta"),
    ("NL", "nl", "Europe/Amsterdam"),
    ("NO", "no", "Europe/Oslo"),
    ("PL", "pl", "Europe/Warsaw"),
    ("PT", "pt", "Europe/Lisbon"),
    ("RO", "ro", "Europe/Bucharest"),
    ("SE", "sv", "Europe/Stockholm"),
    ("SI", "sl", "Europe/Ljubljana"),
    ("SK", "sk", "Europe/Bratislava"),
];

/// The language and time zone for a Member State's example command.
pub fn language_and_zone(c: Country) -> (&'static str, &'static str) {
    LANGUAGE_AND_ZONE.iter().find(|(cc, ..)| *cc == c.as_str()).map_or(("en", "Europe/Brussels"), |(_, l, z)| (*l, *z))
}

pub fn vulnerabilities_sbom(f: &Facts, p: &ReadinessPolicy) -> Check {
    const ID: &str = "vulnerabilities.sbom";
    const T: &str = "A current SBOM for every product version with supply events";
    let with_events: Vec<_> = f.versions_with_events().collect();
    if with_events.is_empty() {
        return Check::na(ID, Area::Vulnerabilities, T, "No product version has supply events yet.");
    }
    let mut bad = Vec::new();
    let mut roles = Vec::new();
    for v in &with_events {
        let problem = match v.sbom_imported {
            None => Some("no SBOM".to_string()),
            Some(d) => {
                let age = f.today.days_since_epoch() - d.days_since_epoch();
                (age > p.sbom_max_age_days).then(|| format!("SBOM imported {d}, {age} days ago"))
            }
        };
        if let Some(problem) = problem {
            bad.push(format!("{}: {problem}", v.label()));
            roles.extend(v.role);
        }
    }
    let ev = Evidence::new(format!(
        "{} of {} version(s) with supply events have no SBOM or one older than {} days.",
        bad.len(),
        with_events.len(),
        p.sbom_max_age_days
    ))
    .figure(figure("versions_with_events", "versions with supply events", with_events.len(), "count"))
    .figure(figure("versions_without_current_sbom", "without a current SBOM", bad.len(), "count"));
    if bad.is_empty() {
        return Check::ok(ID, Area::Vulnerabilities, T, ev);
    }
    let first = with_events.iter().find(|v| bad.iter().any(|b| b.starts_with(&v.label()))).copied();
    let example = first.map_or("msadesk import sbom --product ID --version V sbom.cdx.json".to_string(), |v| {
        format!("msadesk import sbom --product {} --version {} sbom.cdx.json", v.product_id, v.version)
    });
    Check::gap(
        ID,
        Area::Vulnerabilities,
        T,
        ev.items(bad),
        format!(
            "Ask the manufacturer for the SBOM (CycloneDX or SPDX JSON) of each version listed and import it: {example}"
        ),
        Some(PenaltyTier::for_roles(roles)),
    )
}

pub fn vulnerabilities_feeds(f: &Facts, p: &ReadinessPolicy) -> Check {
    const ID: &str = "vulnerabilities.feeds";
    const T: &str = "Vulnerability data and the known-exploited list are fresh";
    if f.products.is_empty() {
        return Check::na(ID, Area::Vulnerabilities, T, "No products in the registry.");
    }
    let newest = |k: FeedKind| f.feeds.iter().filter(|x| x.kind == k).max_by_key(|x| x.taken);
    let mut problems = Vec::new();
    let mut ev_parts = Vec::new();
    let mut ev_figures = Vec::new();
    for (kind, what, key, cmd) in [
        (
            FeedKind::Vulnerabilities,
            "vulnerability data",
            "vulnerability_data_age_days",
            "msadesk import vulns osv.json --feed-date YYYY-MM-DD",
        ),
        (
            FeedKind::KnownExploited,
            "known-exploited list",
            "known_exploited_age_days",
            "msadesk import kev known_exploited_vulnerabilities.json --feed-date YYYY-MM-DD",
        ),
    ] {
        match newest(kind) {
            None => {
                problems.push((format!("no {what} imported"), cmd));
                ev_parts.push(format!("no {what}"));
            }
            Some(x) => {
                let age = f.today.days_since_epoch() - x.taken.days_since_epoch();
                ev_parts.push(format!("{what} '{}' of {} ({age} days)", x.name, x.taken));
                ev_figures.push(figure(key, what, age, "days"));
                if age > p.feed_max_age_days {
                    problems.push((format!("{what} '{}' is {age} days old", x.name), cmd));
                }
            }
        }
    }
    let mut ev =
        Evidence::new(format!("Newest: {}; the policy allows {} days.", ev_parts.join("; "), p.feed_max_age_days));
    for x in ev_figures {
        ev = ev.figure(x);
    }
    if problems.is_empty() {
        return Check::ok(ID, Area::Vulnerabilities, T, ev);
    }
    let fix = format!(
        "Take the current feeds and import them: {}",
        problems.iter().map(|(_, c)| *c).collect::<Vec<_>>().join("; ")
    );
    let roles = f.versions.iter().filter_map(|v| v.role);
    Check::gap(
        ID,
        Area::Vulnerabilities,
        T,
        ev.items(problems.into_iter().map(|(p, _)| p)),
        fix,
        Some(PenaltyTier::for_roles(roles)),
    )
}

pub fn vulnerabilities_open_assessments(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "vulnerabilities.open_assessments";
    const T: &str = "Every significant-risk assessment has an officer's decision";
    if f.decisions.is_empty() && f.open_assessments.is_empty() {
        return Check::na(ID, Area::Vulnerabilities, T, "No risk assessment recorded yet (`msadesk assess`).");
    }
    let ev = Evidence::new(format!(
        "{} (product version, vulnerability) pair(s) were found significant by the policy and no officer has decided them.",
        f.open_assessments.len()
    ))
    .figure(figure("open_significant", "significant without decision", f.open_assessments.len(), "count"));
    let Some(first) = f.open_assessments.first() else {
        return Check::ok(ID, Area::Vulnerabilities, T, ev);
    };
    Check::gap(
        ID,
        Area::Vulnerabilities,
        T,
        ev.items(
            f.open_assessments
                .iter()
                .map(|a| format!("{} {} {}: significant since {}", a.product_id, a.version, a.vulnerability, a.since)),
        ),
        format!(
            "Review each and record the decision with its reason: msadesk decide --product {} --version {} --vuln {} --significant true --reason 'WHY' (then inform as `msadesk assess --vuln {}` lists)",
            first.product_id, first.version, first.vulnerability, first.vulnerability
        ),
        Some(PenaltyTier::for_roles(f.open_assessments.iter().filter_map(|a| a.role))),
    )
}

pub fn vulnerabilities_obligations(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "vulnerabilities.obligations";
    const T: &str = "No duty to inform is past due without a notice sent";
    let duties: Vec<_> = f.obligations.iter().filter(|o| o.legal_duty).collect();
    if duties.is_empty() {
        return Check::na(ID, Area::Vulnerabilities, T, "No current assessment puts a legal duty to inform on us.");
    }
    let overdue: Vec<_> = duties.iter().filter(|o| o.overdue(&f.generated_at)).collect();
    let sent = duties.iter().filter(|o| o.sent).count();
    let ev = Evidence::new(format!(
        "{} legal duties to inform: {sent} sent, {} past due without a notice recorded.",
        duties.len(),
        overdue.len()
    ))
    .figure(figure("duties", "legal duties to inform", duties.len(), "count"))
    .figure(figure("sent", "notices sent", sent, "count"))
    .figure(figure("overdue", "past due, not sent", overdue.len(), "count"));
    let Some(first) = overdue.first() else {
        return Check::ok(ID, Area::Vulnerabilities, T, ev);
    };
    Check::gap(
        ID,
        Area::Vulnerabilities,
        T,
        ev.items(overdue.iter().map(|o| {
            format!(
                "{} {} {}: {} the {} (due {})",
                o.product_id,
                o.version,
                o.vulnerability,
                o.what,
                o.to,
                o.due.as_deref().unwrap_or("-")
            )
        })),
        format!(
            "Send the notice now (drafts: msadesk assess --vuln {v} --drafts), then record it: msadesk notice sent --product {} --version {} --vuln {v} --to {} --what {} --reference 'OUR REF'; `msadesk obligations --overdue` lists what is left",
            first.product_id,
            first.version,
            first.to,
            first.what,
            v = first.vulnerability
        ),
        Some(PenaltyTier::for_roles(overdue.iter().filter_map(|o| o.role))),
    )
}

pub fn requests_acknowledged(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "requests.acknowledged";
    const T: &str = "Every authority request is acknowledged within its clock";
    if f.requests.is_empty() {
        return Check::na(ID, Area::Requests, T, "No requests from authorities registered.");
    }
    let late: Vec<_> = f.requests.iter().filter(|r| r.standing.ack_overdue).collect();
    let ev = Evidence::new(format!(
        "{} of {} request(s) are not acknowledged and their acknowledgement clock has run out.",
        late.len(),
        f.requests.len()
    ))
    .figure(figure("requests", "requests", f.requests.len(), "count"))
    .figure(figure("ack_overdue", "acknowledgement late", late.len(), "count"));
    let Some(first) = late.first() else {
        return Check::ok(ID, Area::Requests, T, ev).basis(legal::COOPERATION_ON_REQUEST);
    };
    Check::gap(
        ID,
        Area::Requests,
        T,
        ev.items(late.iter().map(|r| r.label())),
        format!("Acknowledge to the authority now and record it: msadesk request ack {} --note 'by e-mail'", first.id),
        Some(PenaltyTier::OperatorObligations),
    )
    .basis(legal::COOPERATION_ON_REQUEST)
}

pub fn requests_deadlines(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "requests.deadlines";
    const T: &str = "No authority request is past its response deadline";
    if f.requests.is_empty() {
        return Check::na(ID, Area::Requests, T, "No requests from authorities registered.");
    }
    let overdue: Vec<_> = f.requests.iter().filter(|r| r.standing.overdue).collect();
    let soon = f.requests.iter().filter(|r| r.standing.due_soon).count();
    let ev = Evidence::new(format!(
        "{} of {} request(s) are past their deadline; {soon} are due within 3 days.",
        overdue.len(),
        f.requests.len()
    ))
    .figure(figure("overdue", "overdue", overdue.len(), "count"))
    .figure(figure("due_soon", "due within 3 days", soon, "count"));
    let Some(first) = overdue.first() else {
        return Check::ok(ID, Area::Requests, T, ev).basis(legal::COOPERATION_ON_REQUEST);
    };
    Check::gap(
        ID,
        Area::Requests,
        T,
        ev.items(overdue.iter().map(|r| format!("{}: due {}", r.label(), r.due))),
        format!(
            "Answer the authority now, or ask for more time and record it: msadesk request extend {} (with --due YYYY-MM-DD once a new deadline is granted; `msadesk request show {}` shows the timeline)",
            first.id, first.id
        ),
        Some(PenaltyTier::OperatorObligations),
    )
    .basis(legal::COOPERATION_ON_REQUEST)
}

pub fn corrective_actions_overdue(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "corrective_actions.overdue";
    const T: &str = "No corrective action is past its due date without being completed";
    if f.actions.is_empty() {
        return Check::na(ID, Area::CorrectiveActions, T, "No corrective actions recorded (`msadesk action add`).");
    }
    let open = f.actions.iter().filter(|a| a.open()).count();
    let overdue: Vec<_> = f.actions.iter().filter(|a| a.overdue(f.today)).collect();
    let ev = Evidence::new(format!(
        "{} of {} corrective action(s) are open; {} of them are past their due date.",
        open,
        f.actions.len(),
        overdue.len()
    ))
    .figure(figure("actions", "corrective actions", f.actions.len(), "count"))
    .figure(figure("open", "open", open, "count"))
    .figure(figure("overdue", "open past their due date", overdue.len(), "count"));
    let Some(first) = overdue.first() else {
        return Check::ok(ID, Area::CorrectiveActions, T, ev).basis(legal::CORRECTIVE_ART_54);
    };
    Check::gap(
        ID,
        Area::CorrectiveActions,
        T,
        ev.items(overdue.iter().map(|a| format!("{}: {}, due {}", a.label(), a.status, a.due))),
        format!(
            "Complete the action and record each step (msadesk action advance {id} --to NEXT_STATUS), or ask the authority for more time; `msadesk action show {id}` shows where it stands",
            id = first.id
        ),
        Some(PenaltyTier::for_roles(overdue.iter().filter_map(|a| a.role))),
    )
    .basis(legal::CORRECTIVE_ART_54)
}

pub fn corrective_actions_effectiveness(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "corrective_actions.effectiveness";
    const T: &str = "Every notified corrective action meets its effectiveness-check level";
    let notified: Vec<_> = f.actions.iter().filter(|a| a.notified()).collect();
    if notified.is_empty() {
        return Check::na(ID, Area::CorrectiveActions, T, "No corrective action has notified its recipients yet.");
    }
    let below: Vec<_> = notified.iter().filter(|a| !a.effectiveness().check_met).collect();
    let ev = Evidence::new(format!(
        "{} of {} notified corrective action(s) have fewer acknowledgements than their effectiveness-check level requires.",
        below.len(),
        notified.len()
    ))
    .figure(figure("notified", "actions with recipients notified", notified.len(), "count"))
    .figure(figure("below_level", "below their level", below.len(), "count"));
    let Some(first) = below.first() else {
        return Check::ok(ID, Area::CorrectiveActions, T, ev).basis(legal::CORRECTIVE_SCOPE_ART_54_4);
    };
    Check::gap(
        ID,
        Area::CorrectiveActions,
        T,
        ev.items(below.iter().map(|a| {
            let e = a.effectiveness();
            format!(
                "{}: level {} needs {} of {} recipient(s), {} acknowledged ({}%)",
                a.label(),
                a.level.as_str(),
                e.required_recipients,
                a.figures.recipients_total,
                a.figures.recipients_acknowledged,
                e.recipients_acknowledged_pct
            )
        })),
        format!(
            "Remind the recipients that have not answered (msadesk action remind {id}, then msadesk outbox deliver) and follow up by phone or post; `msadesk action show {id} --not-acknowledged` lists them",
            id = first.id
        ),
        Some(PenaltyTier::for_roles(below.iter().filter_map(|a| a.role))),
    )
    .basis(legal::CORRECTIVE_SCOPE_ART_54_4)
}

pub fn evidence_audit_chain(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "evidence.audit_chain";
    const T: &str = "The audit trail and the records it covers verify";
    if f.audit_entries == 0 {
        return Check::na(ID, Area::Evidence, T, "The audit trail is empty: nothing recorded yet.");
    }
    let ev_fig = figure("audit_entries", "audit entries", f.audit_entries, "count");
    match &f.audit_break {
        None => Check::ok(
            ID,
            Area::Evidence,
            T,
            Evidence::new(format!("{} entries verify, with every record they cover.", f.audit_entries)).figure(ev_fig),
        ),
        Some(b) => Check::gap(
            ID,
            Area::Evidence,
            T,
            Evidence::new(format!("Broken at entry {}: {}.", b.seq, b.reason)).figure(ev_fig),
            "Find out what changed (`msadesk audit verify`, `msadesk audit log`); restore the last verified backup with `msadesk restore --force BACKUP.db` and re-import what came after",
            Some(PenaltyTier::MisleadingInformation),
        ),
    }
}

pub fn evidence_backup(f: &Facts, p: &ReadinessPolicy) -> Check {
    const ID: &str = "evidence.backup";
    const T: &str = "A recent verified backup";
    if !f.backups_supported {
        return Check::na(
            ID,
            Area::Evidence,
            T,
            format!(
                "The {} registry is backed up by its database administrator (pg_dump); `msadesk backup` prints the recipe.",
                f.engine
            ),
        );
    }
    let fix = format!("Back up now, and schedule it: msadesk backup /backups/msadesk-{}.db", f.today);
    match f.last_backup.as_deref().and_then(|at| f.age_days(at).map(|a| (at, a))) {
        None => Check::gap(
            ID,
            Area::Evidence,
            T,
            Evidence::new("No backup made with `msadesk backup` is recorded in the audit trail."),
            fix,
            Some(PenaltyTier::OperatorObligations),
        )
        .basis(legal::SUPPLY_RETENTION),
        Some((at, age)) => {
            let ev = Evidence::new(format!(
                "Last backup {at}, {age} days ago; the policy allows {} days.",
                p.backup_max_age_days
            ))
            .figure(figure("backup_age_days", "days since the last backup", age, "days"));
            if age <= p.backup_max_age_days {
                Check::ok(ID, Area::Evidence, T, ev).basis(legal::SUPPLY_RETENTION)
            } else {
                Check::gap(ID, Area::Evidence, T, ev, fix, Some(PenaltyTier::OperatorObligations))
                    .basis(legal::SUPPLY_RETENTION)
            }
        }
    }
}

pub fn evidence_retention_run(f: &Facts, p: &ReadinessPolicy) -> Check {
    const ID: &str = "evidence.retention_run";
    const T: &str = "The retention job has run recently";
    if f.supply.total == 0 && f.supply.deleted == 0 {
        return Check::na(ID, Area::Evidence, T, "No supply records to keep or delete yet.");
    }
    let due = f.supply.expired;
    let fix = "Run the retention job (see first what it deletes): msadesk retention run --dry-run, then msadesk retention run";
    // Keeping records longer is no CRA breach (a policy may keep them longer, never shorter), so a
    // gap here has no Art 64 tier; it is personal data kept beyond its purpose.
    let ev = |text: String| {
        Evidence::new(text).figure(figure(
            "expired_supply_events",
            "supply events past their retention end",
            due,
            "count",
        ))
    };
    match f.last_retention_run.as_deref().and_then(|at| f.age_days(at).map(|a| (at, a))) {
        None => Check::gap(
            ID,
            Area::Evidence,
            T,
            ev(format!("The retention job has never run; {due} supply event(s) are past their retention end.")),
            fix,
            None,
        )
        .basis(legal::SUPPLY_RETENTION),
        Some((at, age)) => {
            let e = ev(format!(
                "Last run {at}, {age} days ago (the policy allows {}); {due} supply event(s) are past their retention end now.",
                p.retention_run_max_age_days
            ))
            .figure(figure("retention_run_age_days", "days since the last run", age, "days"));
            if age <= p.retention_run_max_age_days {
                Check::ok(ID, Area::Evidence, T, e).basis(legal::SUPPLY_RETENTION)
            } else {
                Check::gap(ID, Area::Evidence, T, e, fix, None).basis(legal::SUPPLY_RETENTION)
            }
        }
    }
}

pub fn evidence_legal_holds(f: &Facts, _: &ReadinessPolicy) -> Check {
    const ID: &str = "evidence.legal_holds";
    const T: &str = "Active legal holds are known";
    let active: Vec<_> = f.holds.iter().filter(|h| h.is_active()).collect();
    if active.is_empty() {
        return Check::na(ID, Area::Evidence, T, "No active legal holds: every record follows its retention period.");
    }
    Check::ok(
        ID,
        Area::Evidence,
        T,
        Evidence::new(format!(
            "{} active legal hold(s) keep records past their retention end; {} supply event(s) past their end are held.",
            active.len(),
            f.supply.held
        ))
        .figure(figure("active_holds", "active legal holds", active.len(), "count"))
        .items(active.iter().map(|h| format!("#{} {}: {} (since {})", h.id, h.scope, h.reason, h.created_at))),
    )
}
