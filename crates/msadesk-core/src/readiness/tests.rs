use super::*;
use crate::action::Status as ActionStatus;
use crate::inbox::Standing;
use crate::retention::HoldScope;
use crate::{Email, MemberState, OperatorId};

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn party(id: &str, address: &str) -> Party {
    Party {
        id: OperatorId::parse(id).unwrap(),
        name: format!("Operator {id}"),
        address: address.into(),
        country: Country::parse("FR").unwrap(),
        email: None,
        phone: None,
        gln: None,
        vat: None,
    }
}

fn request(id: i64, standing: Standing, response_hours: Option<i64>) -> RequestFacts {
    RequestFacts {
        id,
        authority: "de-bnetza".into(),
        reference: format!("REF-{id}"),
        received: Some(d("2026-11-03")),
        status: if response_hours.is_some() { RequestStatus::Sent } else { RequestStatus::Acknowledged },
        due: d("2026-11-20"),
        standing,
        response_hours,
    }
}

const FINE: Standing = Standing { overdue: false, due_soon: false, ack_overdue: false };

/// A registry in good order on 2026-12-04: every check is ok (or, for legal holds, lists one).
fn good() -> Facts {
    let today = d("2026-12-04");
    let mut f = Facts::empty(today);
    f.generated_at = "2026-12-04T10:00:00Z".into();
    f.identity = Some(OwnIdentity {
        name: "ACME Import GmbH".into(),
        address: "Hafenstraße 1, 20457 Hamburg".into(),
        member_state: MemberState::parse("DE").unwrap(),
        contact_person: Some("Jana Novák".into()),
        email: Some(Email::parse("jana.novak@acme.example").unwrap()),
        default_role: OurRole::Importer,
        gln: None,
    });
    f.products = vec![ProductFacts {
        id: ProductId::parse("CAM-1").unwrap(),
        name: "Camera".into(),
        explicit_role: None,
        manufacturer: Some("Maker Ltd".into()),
        stub: false,
    }];
    f.versions = vec![VersionFacts {
        product_id: ProductId::parse("CAM-1").unwrap(),
        version: Version::parse("1.0").unwrap(),
        role: Some(OurRole::Importer),
        placed_on_market: Some(d("2025-01-01")),
        end_of_support: Some(d("2030-01-01")),
        stub: false,
        events: 3,
        supplied_to: vec![Country::parse("FR").unwrap(), Country::parse("CH").unwrap()],
        sbom_imported: Some(d("2026-10-01")),
        documents: vec!["doc".into(), "technical_documentation".into()],
    }];
    f.counterparties = vec![party("OP-1", "1 rue de la Paix, 75002 Paris")];
    f.event_parties = vec![EventParty {
        product_id: ProductId::parse("CAM-1").unwrap(),
        operator_id: "OP-1".into(),
        name: "Operator OP-1".into(),
        address: "1 rue de la Paix, 75002 Paris".into(),
        country: Country::parse("FR").unwrap(),
        deliveries: 3,
    }];
    f.trace_timing = Some(TraceTiming { product_id: ProductId::parse("CAM-1").unwrap(), events: 3, millis: 4 });
    f.authorities = vec![AuthorityFacts {
        id: "fr-dgccrf".into(),
        country: Country::parse("FR").unwrap(),
        confirmed: false,
        msa: true,
        languages: vec!["fr".into()],
    }];
    f.letter_languages = ["en", "de", "fr"].iter().map(|l| l.to_string()).collect();
    f.feeds = vec![
        FeedFacts { kind: FeedKind::Vulnerabilities, name: "OSV".into(), taken: d("2026-12-01") },
        FeedFacts { kind: FeedKind::KnownExploited, name: "CISA KEV".into(), taken: d("2026-12-03") },
    ];
    f.decisions = vec![DecisionFacts { decided: d("2026-11-10"), significant: true, officer: true }];
    f.requests = vec![request(1, FINE, Some(50))];
    f.obligations = vec![ObligationFacts {
        product_id: ProductId::parse("CAM-1").unwrap(),
        version: Version::parse("1.0").unwrap(),
        vulnerability: "CVE-2026-0001".into(),
        to: "msa".into(),
        what: "inform".into(),
        due: Some("2026-12-02T10:00:00Z".into()),
        legal_duty: true,
        sent: true,
        role: Some(OurRole::Importer),
    }];
    f.notices = vec![NoticeFacts { sent: d("2026-12-01") }];
    f.audit_entries = 12;
    f.last_backup = Some("2026-12-02T22:00:00Z".into());
    f.last_retention_run = Some("2026-11-30T03:00:00Z".into());
    f.holds = vec![Hold {
        id: 1,
        scope: HoldScope::Product { product_id: ProductId::parse("CAM-1").unwrap() },
        reason: "MSA case".into(),
        created_at: "2026-11-01T00:00:00Z".into(),
        created_by: "cli:jana".into(),
        released_at: None,
        released_by: None,
        release_reason: None,
    }];
    f.supply = SupplyRetention { total: 3, expired: 0, held: 0, deleted: 0 };
    f.actions = vec![action(1, ActionStatus::InProgress, "2026-12-20", 4, 2)];
    f
}

/// An update of CAM-1 at level B (half the recipients must acknowledge), received 2026-11-02.
fn action(id: i64, status: ActionStatus, due: &str, recipients: u64, acknowledged: u64) -> ActionFacts {
    ActionFacts {
        id,
        action_type: "update".into(),
        product_id: ProductId::parse("CAM-1").unwrap(),
        status,
        received: d("2026-11-02"),
        due: d(due),
        level: crate::action::Level::B,
        figures: crate::action::Figures {
            recipients_total: recipients,
            recipients_notified: recipients,
            recipients_reached: recipients,
            recipients_acknowledged: acknowledged,
            ..Default::default()
        },
        role: Some(OurRole::Importer),
    }
}

type Mutate = fn(&mut Facts);

/// Per check: a change that makes it a gap (with the tier expected) and one that makes it not
/// applicable (`None`: the check always applies).
#[allow(clippy::type_complexity)]
const CASES: &[(&str, Mutate, Option<&str>, Option<Mutate>)] = &[
    ("identity.operator", |f| f.identity = None, Some("64(3)"), None),
    (
        "identity.contact",
        |f| {
            if let Some(i) = &mut f.identity {
                i.email = Some(Email::parse("info@acme.example").unwrap());
            }
        },
        Some("64(3)"),
        None,
    ),
    ("identity.roles", |f| f.identity = None, Some("64(3)"), Some(|f| f.products.clear())),
    (
        "traceability.master_data",
        |f| f.versions[0].end_of_support = None,
        Some("64(3)"),
        Some(|f| f.versions[0].events = 0),
    ),
    (
        "traceability.counterparties",
        |f| f.counterparties.push(party("OP-2", "Berlin")),
        Some("64(3)"),
        Some(|f| f.counterparties.clear()),
    ),
    (
        "traceability.event_addresses",
        |f| f.event_parties[0].address = "n/a".into(),
        Some("64(3)"),
        Some(|f| f.supply = SupplyRetention::default()),
    ),
    (
        "traceability.trace_time",
        |f| {
            if let Some(t) = &mut f.trace_timing {
                t.millis = 1500;
            }
        },
        Some("64(3)"),
        Some(|f| f.trace_timing = None),
    ),
    (
        "authorities.directory",
        |f| f.versions[0].supplied_to.push(Country::parse("PL").unwrap()),
        Some("64(3)"),
        Some(|f| f.versions[0].supplied_to = vec![Country::parse("CH").unwrap()]),
    ),
    (
        "authorities.letter_languages",
        |f| f.authorities[0].languages = vec!["br".into()],
        Some("64(3)"),
        Some(|f| f.authorities.clear()),
    ),
    (
        "documentation.library",
        |f| f.versions[0].documents = vec!["doc".into()],
        Some("64(3)"),
        Some(|f| f.versions[0].role = Some(OurRole::Distributor)),
    ),
    ("vulnerabilities.sbom", |f| f.versions[0].sbom_imported = None, Some("64(3)"), Some(|f| f.versions[0].events = 0)),
    ("vulnerabilities.feeds", |f| f.feeds.truncate(1), Some("64(3)"), Some(|f| f.products.clear())),
    (
        "vulnerabilities.open_assessments",
        |f| {
            f.open_assessments.push(OpenAssessment {
                product_id: ProductId::parse("CAM-1").unwrap(),
                version: Version::parse("1.0").unwrap(),
                vulnerability: "CVE-2026-0001".into(),
                role: Some(OurRole::Manufacturer),
                since: "2026-12-01T00:00:00Z".into(),
            })
        },
        Some("64(2)"),
        Some(|f| f.decisions.clear()),
    ),
    (
        "vulnerabilities.obligations",
        |f| f.obligations[0].sent = false,
        Some("64(3)"),
        Some(|f| f.obligations.iter_mut().for_each(|o| o.legal_duty = false)),
    ),
    (
        "requests.acknowledged",
        |f| f.requests.push(request(2, Standing { ack_overdue: true, ..FINE }, None)),
        Some("64(3)"),
        Some(|f| f.requests.clear()),
    ),
    (
        "requests.deadlines",
        |f| f.requests.push(request(2, Standing { overdue: true, ..FINE }, None)),
        Some("64(3)"),
        Some(|f| f.requests.clear()),
    ),
    ("corrective_actions.overdue", |f| f.actions[0].due = d("2026-12-01"), Some("64(3)"), Some(|f| f.actions.clear())),
    (
        "corrective_actions.effectiveness",
        |f| {
            f.actions[0].figures.recipients_acknowledged = 1;
            f.actions[0].role = Some(OurRole::Manufacturer);
        },
        Some("64(2)"),
        Some(|f| f.actions[0].status = ActionStatus::Acknowledged),
    ),
    (
        "evidence.audit_chain",
        |f| f.audit_break = Some(ChainBreak { seq: 3, reason: "hash differs".into() }),
        Some("64(4)"),
        Some(|f| f.audit_entries = 0),
    ),
    (
        "evidence.backup",
        |f| f.last_backup = Some("2026-11-01T00:00:00Z".into()),
        Some("64(3)"),
        Some(|f| {
            f.backups_supported = false;
            f.engine = "postgres".into();
        }),
    ),
    ("evidence.retention_run", |f| f.last_retention_run = None, None, Some(|f| f.supply = SupplyRetention::default())),
];

#[test]
fn every_check_is_ok_on_good_facts() {
    let r = evaluate(&good(), &ReadinessPolicy::default());
    for c in &r.checks {
        assert_eq!(c.status, Status::Ok, "{}: {}", c.id, c.evidence.text);
        assert!(c.fix.is_none() && c.penalty_tier.is_none(), "{}", c.id);
    }
    assert_eq!(r.summary.ok, r.summary.total);
}

#[test]
fn every_check_has_a_case_and_a_unique_id() {
    let r = evaluate(&good(), &ReadinessPolicy::default());
    let mut ids: Vec<&str> = r.checks.iter().map(|c| c.id).collect();
    for c in &r.checks {
        assert!(c.id.starts_with(c.area.as_str()), "{} is not under its area {}", c.id, c.area.as_str());
        if c.id != "evidence.legal_holds" {
            assert!(CASES.iter().any(|(id, ..)| *id == c.id), "no table case for {}", c.id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), r.checks.len());
}

#[test]
fn bad_facts_make_exactly_that_check_a_gap_with_fix_and_tier() {
    for (id, bad, tier, _) in CASES {
        let mut f = good();
        bad(&mut f);
        let r = evaluate(&f, &ReadinessPolicy::default());
        let c = r.check(id).unwrap();
        assert_eq!(c.status, Status::Gap, "{id}: {}", c.evidence.text);
        assert_eq!(c.penalty_tier.map(PenaltyTier::tier), *tier, "{id}");
        let fix = c.fix.as_deref().unwrap_or_default();
        assert!(fix.contains("msadesk "), "{id}: the fix names the command: {fix}");
        assert!(r.summary.gap >= 1);
        if let Some(t) = tier {
            let tc = r.summary.gaps_by_tier.iter().find(|x| x.penalty_tier.tier() == *t).unwrap();
            assert!(tc.checks.contains(id), "{id} counted under {t}");
        }
    }
}

#[test]
fn not_applicable_when_there_is_nothing_to_check() {
    for (id, _, _, na) in CASES {
        let Some(na) = na else { continue };
        let mut f = good();
        na(&mut f);
        let c = evaluate(&f, &ReadinessPolicy::default()).check(id).unwrap().clone();
        assert_eq!(c.status, Status::NotApplicable, "{id}: {}", c.evidence.text);
        assert!(c.penalty_tier.is_none());
    }
    let mut f = good();
    f.holds.clear();
    assert_eq!(
        evaluate(&f, &ReadinessPolicy::default()).check("evidence.legal_holds").unwrap().status,
        Status::NotApplicable
    );
}

#[test]
fn an_empty_registry_is_mostly_not_applicable_and_never_all_ok() {
    let r = evaluate(&Facts::empty(d("2026-12-04")), &ReadinessPolicy::default());
    assert_eq!(r.check("identity.operator").unwrap().status, Status::Gap);
    assert_eq!(r.check("identity.contact").unwrap().status, Status::Gap);
    assert_eq!(r.check("evidence.backup").unwrap().status, Status::Gap);
    assert!(r.summary.not_applicable >= 10);
}

#[test]
fn postal_addresses_and_direct_mailboxes() {
    for (a, ok) in [
        ("Hafenstraße 1, 20457 Hamburg", true),
        ("D02 X285 Dublin, Grafton Street", true),
        ("Berlin", false),
        ("n/a", false),
        ("  ", false),
        ("1 Rd", false),
    ] {
        assert_eq!(postal_address_problem(a).is_none(), ok, "{a}");
    }
    assert!(direct_email_problem("jana.novak@acme.example").is_none());
    assert!(direct_email_problem("compliance@acme.example").is_none());
    assert!(direct_email_problem("Info@acme.example").is_some());
}

#[test]
fn policy_ages_are_limits_inclusive() {
    let mut f = good();
    f.last_backup = Some("2026-11-27T00:00:00Z".into()); // 7 days: allowed
    assert_eq!(evaluate(&f, &ReadinessPolicy::default()).check("evidence.backup").unwrap().status, Status::Ok);
    f.last_backup = Some("2026-11-26T23:59:59Z".into()); // 8 days
    assert_eq!(evaluate(&f, &ReadinessPolicy::default()).check("evidence.backup").unwrap().status, Status::Gap);
    f.feeds[1].taken = d("2026-11-26");
    let c = evaluate(&f, &ReadinessPolicy::default()).check("vulnerabilities.feeds").unwrap().clone();
    assert_eq!(c.status, Status::Gap);
    assert!(c.evidence.items[0].contains("8 days old"), "{:?}", c.evidence.items);
    let lax = ReadinessPolicy { feed_max_age_days: 30, ..ReadinessPolicy::default() };
    assert_eq!(evaluate(&f, &lax).check("vulnerabilities.feeds").unwrap().status, Status::Ok);
}

#[test]
fn contact_fix_keeps_what_is_recorded() {
    let mut f = good();
    if let Some(i) = &mut f.identity {
        i.contact_person = None;
    }
    let c = evaluate(&f, &ReadinessPolicy::default()).check("identity.contact").unwrap().clone();
    let fix = c.fix.unwrap();
    assert!(fix.contains("--name 'ACME Import GmbH'") && fix.contains("--member-state DE"), "{fix}");
    assert!(fix.contains("--email 'jana.novak@acme.example'"), "{fix}");
    assert!(c.evidence.text.contains("No contact person"), "{}", c.evidence.text);
}

#[test]
fn items_are_capped_and_counted() {
    let mut f = good();
    for i in 0..70 {
        f.counterparties.push(party(&format!("OP-X{i}"), "?"));
    }
    let c = evaluate(&f, &ReadinessPolicy::default()).check("traceability.counterparties").unwrap().clone();
    assert_eq!(c.evidence.items.len(), MAX_ITEMS);
    assert_eq!(c.evidence.more_items, 20);
}

#[test]
fn figures_and_trends() {
    let mut f = good();
    f.supply = SupplyRetention { total: 100, expired: 7, held: 3, deleted: 40 };
    f.requests.push(request(2, Standing { overdue: true, ..FINE }, None));
    f.requests.push(request(3, FINE, Some(10)));
    f.requests[2].received = Some(d("2026-01-15"));
    f.requests.push(request(4, FINE, None));
    f.requests[3].received = Some(d("2025-11-30")); // outside the 12 months
    let r = evaluate(&f, &ReadinessPolicy::default());
    assert_eq!(r.figures.supply_within_retention, 90);
    assert_eq!(r.figures.requests.total, 4);
    assert_eq!(r.figures.requests.overdue, 1);
    assert_eq!(r.figures.requests.answered, 2);
    assert_eq!(r.figures.requests.median_response_hours, Some(50));
    let t = r.trends.iter().find(|t| t.key == "requests_received").unwrap();
    assert_eq!(t.months.len(), TREND_MONTHS);
    assert_eq!(t.months.first().unwrap().month, "2026-01");
    assert_eq!(t.months.last().unwrap().month, "2026-12");
    assert_eq!(t.months[0].value, 1.0);
    assert_eq!(t.months[10].value, 2.0);
    let rt = r.trends.iter().find(|t| t.key == "response_days").unwrap();
    assert_eq!(rt.months[10].value, 2.1); // 50 h
    assert_eq!(trend_months(d("2027-02-10"))[0], "2026-03");
}

#[test]
fn corrective_actions_overdue_and_effectiveness() {
    let mut f = good();
    f.actions = vec![
        action(1, ActionStatus::InProgress, "2026-12-04", 4, 2), // due today: not yet overdue
        action(2, ActionStatus::Completed, "2026-11-01", 4, 0),  // completed late: done, below level
        action(3, ActionStatus::Acknowledged, "2026-11-30", 0, 0), // overdue, recipients not notified
        action(4, ActionStatus::Closed, "2026-11-30", 3, 2),
    ];
    f.actions[2].role = Some(OurRole::Manufacturer);
    let r = evaluate(&f, &ReadinessPolicy::default());
    let o = r.check("corrective_actions.overdue").unwrap();
    assert_eq!(o.status, Status::Gap);
    assert_eq!(o.evidence.items.len(), 1, "{:?}", o.evidence.items);
    assert!(
        o.evidence.items[0].starts_with("#3 update of CAM-1: acknowledged, due 2026-11-30"),
        "{:?}",
        o.evidence.items
    );
    assert!(o.fix.as_deref().unwrap().contains("msadesk action advance 3"));
    assert_eq!(o.penalty_tier.map(PenaltyTier::tier), Some("64(2)"));
    let e = r.check("corrective_actions.effectiveness").unwrap();
    assert_eq!(e.status, Status::Gap);
    assert_eq!(e.evidence.items, vec!["#2 update of CAM-1: level B needs 2 of 4 recipient(s), 0 acknowledged (0%)"]);
    assert!(e.fix.as_deref().unwrap().contains("msadesk action remind 2"));
    assert_eq!(e.penalty_tier.map(PenaltyTier::tier), Some("64(3)"));
    let a = r.figures.actions;
    assert_eq!((a.total, a.open, a.done, a.closed, a.overdue), (4, 2, 2, 1, 1));
    assert_eq!((a.effectiveness_met, a.effectiveness_not_met), (2, 1));
    assert_eq!(a.recipients_acknowledged_pct, 36.4); // 4 of 11
    // The trend: actions received in November 2026 (all of them), notified ones only.
    f.actions[3].received = d("2026-09-15");
    let t = evaluate(&f, &ReadinessPolicy::default()).trends.into_iter().find(|t| t.key == "action_effectiveness");
    let t = t.expect("action_effectiveness trend");
    assert_eq!(t.unit, "%");
    let value = |m: &str| t.months.iter().find(|x| x.month == m).unwrap().value;
    assert_eq!(value("2026-11"), 25.0); // 2 of 8 (actions 1 and 2; 3 is not notified)
    assert_eq!(value("2026-09"), 66.7); // 2 of 3
    assert_eq!(value("2026-12"), 0.0);
}

#[test]
fn json_has_the_documented_keys() {
    let mut f = good();
    f.identity = None;
    let v = serde_json::to_value(evaluate(&f, &ReadinessPolicy::default())).unwrap();
    assert_eq!(v["schema_version"], 1);
    for k in ["generated_at", "today", "engine", "operator", "policy", "summary", "checks", "figures", "trends"] {
        assert!(v.get(k).is_some(), "{k}");
    }
    let c = &v["checks"][0];
    for k in ["id", "area", "title", "status", "evidence", "fix", "penalty_tier", "basis"] {
        assert!(c.get(k).is_some(), "{k}");
    }
    assert_eq!(c["status"], "gap");
    assert_eq!(c["penalty_tier"]["tier"], "64(3)");
    assert_eq!(c["penalty_tier"]["cite"], "CRA Art 64(3)");
    assert_eq!(v["summary"]["gaps_by_tier"][1]["penalty_tier"]["tier"], "64(3)");
}

#[test]
fn request_facts_from_a_request() {
    use crate::inbox::{Ask, DeadlineRule, NewRequest, Request, Step};
    let new = NewRequest {
        authority: "de-bnetza".into(),
        reference: "B-1".into(),
        received_at: "2026-11-02T09:00:00+01:00[Europe/Berlin]".into(),
        ack_due: "2026-11-03T09:00:00+01:00[Europe/Berlin]".into(),
        deadline: DeadlineRule::Date(d("2026-11-10")),
        due: d("2026-11-10"),
        product: ProductId::parse("CAM-1").unwrap(),
        version: None,
        from: None,
        to: None,
        asks: vec![Ask::Trace],
    };
    let mut r = Request::received(1, new, "2026-11-02T08:00:00Z", "cli:x");
    let now: Timestamp = "2026-11-04T00:00:00Z".parse().unwrap();
    let facts = RequestFacts::from_request(&r, now);
    assert!(facts.standing.ack_overdue);
    assert_eq!(facts.received, Some(d("2026-11-02")));
    assert_eq!(facts.response_hours, None);
    r.apply(Step::Acknowledged, "2026-11-02T10:00:00Z", "cli:x", None).unwrap();
    r.apply(Step::PackageBuilt, "2026-11-03T10:00:00Z", "cli:x", None).unwrap();
    r.apply(Step::Sent, "2026-11-04T08:00:00Z", "cli:x", None).unwrap();
    let facts = RequestFacts::from_request(&r, now);
    assert_eq!(facts.response_hours, Some(48));
    assert!(!facts.standing.ack_overdue && !facts.standing.overdue);
}

#[test]
fn every_member_state_has_a_language_and_a_zone_for_the_example_command() {
    for c in crate::model::EU_MEMBER_STATES.iter().chain(crate::model::EEA_NON_EU.iter()) {
        let (lang, zone) = language_and_zone(Country::parse(c).unwrap());
        assert!(zone != "Europe/Brussels" || *c == "BE", "{c}");
        assert!(crate::inbox::parse_time_zone(zone).is_ok(), "{c}: {zone}");
        assert_eq!(lang.len(), 2);
    }
}
