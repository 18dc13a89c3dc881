use super::*;

fn d(s: &str) -> Date {
    Date::parse(s).expect("test date")
}

#[test]
fn every_transition_is_allowed_or_refused_as_the_table_says() {
    use Status::*;
    // (from, to, allowed)
    let allowed = [
        (Received, Acknowledged),
        (Acknowledged, Heard),
        (Acknowledged, RecipientsNotified),
        (Heard, RecipientsNotified),
        (RecipientsNotified, InProgress),
        (InProgress, Completed),
        (Completed, Reported),
        (Reported, Closed),
    ];
    let mut checked = 0;
    for from in Status::ALL {
        for to in Status::ALL {
            let expect = allowed.contains(&(from, to));
            let got = check_transition(from, to);
            assert_eq!(got.is_ok(), expect, "{from} -> {to}: {got:?}");
            if let Err(e) = got {
                assert!(e.message.contains(to.as_str()), "message names the target: {}", e.message);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 64);
}

#[test]
fn refusals_say_what_is_next() {
    let e = check_transition(Status::Received, Status::Closed).unwrap_err();
    assert!(e.message.contains("next step is acknowledged"), "{}", e.message);
    let e = check_transition(Status::Closed, Status::Received).unwrap_err();
    assert!(e.message.contains("finished"), "{}", e.message);
    let e = check_transition(Status::Acknowledged, Status::InProgress).unwrap_err();
    assert!(e.message.contains("heard or recipients_notified"), "{}", e.message);
}

#[test]
fn parsing_round_trips_and_rejects_unknown_values() {
    for t in ActionType::ALL {
        assert_eq!(ActionType::parse(t.as_str()).unwrap(), t);
    }
    for s in Status::ALL {
        assert_eq!(Status::parse(s.as_str()).unwrap(), s);
    }
    assert_eq!(Status::parse("in-progress").unwrap(), Status::InProgress);
    for b in Basis::ALL {
        assert_eq!(Basis::parse(b.as_str()).unwrap(), b);
        assert!(b.legal().cite.contains("Art"));
    }
    for st in DeliveryState::ALL {
        assert_eq!(DeliveryState::parse(st.as_str()).unwrap(), st);
    }
    assert!(ActionType::parse("destroy").is_err());
    assert!(Status::parse("done").is_err());
    assert!(Level::parse("F").is_err());
    assert_eq!(Level::parse("b").unwrap(), Level::B);
}

#[test]
fn levels_require_the_fda_shares() {
    // (level, recipients, required)
    let table = [
        (Level::A, 5000, 5000),
        (Level::B, 5000, 2500),
        (Level::C, 5000, 500),
        (Level::D, 5000, 100),
        (Level::E, 5000, 0),
        (Level::C, 7, 1),
        (Level::D, 1, 1),
        (Level::A, 0, 0),
    ];
    for (level, total, required) in table {
        assert_eq!(level.required_count(total), required, "{level:?} of {total}");
    }
}

#[test]
fn effectiveness_shares_and_check() {
    let f = Figures {
        recipients_total: 200,
        recipients_notified: 200,
        recipients_reached: 190,
        recipients_acknowledged: 30,
        recipients_resolved: 10,
        units_total: 1000,
        units_reached: 950,
        units_acknowledged: 120,
        units_resolved: 33,
        sub_recipients_notified: 4,
    };
    let e = effectiveness(Level::C, &f);
    assert_eq!(e.required_recipients, 20);
    assert!(e.check_met);
    assert_eq!(e.recipients_reached_pct, 95.0);
    assert_eq!(e.recipients_acknowledged_pct, 15.0);
    assert_eq!(e.units_resolved_pct, 3.3);
    let e = effectiveness(Level::B, &f);
    assert!(!e.check_met);
    assert_eq!(effectiveness(Level::A, &Figures::default()).recipients_reached_pct, 0.0);
}

fn input(source: Source, hearing_days: Option<u32>, urgent: bool) -> ActionInput<'static> {
    ActionInput {
        action_type: ActionType::Recall,
        source,
        product_id: ProductId::parse("P-1").unwrap(),
        versions: vec![Version::parse("2.0").unwrap(), Version::parse("1.0").unwrap(), Version::parse("2.0").unwrap()],
        scope: vec![],
        received: d("2026-12-04"),
        due: d("2027-01-31"),
        hearing_days,
        urgent,
        level: Level::B,
        summary: " Remote code execution in the web interface. ",
        request_id: Some(3),
        decision_id: None,
    }
}

fn ordered() -> Source {
    Source::Ordered { authority: "DE-BNETZA".into(), reference: "AZ-1".into(), basis: Basis::CraArt54 }
}

#[test]
fn hearing_window_is_ten_working_days_unless_urgent() {
    let cal = Calendar::weekends_only();
    // (source, days given, urgent, expected last day or error)
    type Case = (Source, Option<u32>, bool, Result<Option<&'static str>, ()>);
    let table: [Case; 6] = [
        // Friday 4 Dec 2026 + 10 working days = Friday 18 Dec.
        (ordered(), None, false, Ok(Some("2026-12-18"))),
        (ordered(), Some(15), false, Ok(Some("2026-12-25"))),
        (ordered(), Some(5), false, Err(())),
        (ordered(), Some(5), true, Ok(None)),
        (Source::Voluntary, None, false, Ok(None)),
        (Source::Voluntary, Some(3), false, Ok(None)),
    ];
    for (source, days, urgent, expected) in table {
        let got = NewAction::build(input(source.clone(), days, urgent), &cal);
        match expected {
            Ok(until) => {
                let a = got.unwrap_or_else(|e| panic!("{source:?} {days:?}: {e}"));
                assert_eq!(a.hearing_until, until.map(d), "{source:?} {days:?} {urgent}");
            }
            Err(()) => {
                let e = got.unwrap_err();
                assert!(e.message.contains("--urgent"), "{}", e.message);
            }
        }
    }
}

#[test]
fn hearing_window_skips_holidays() {
    let holidays = vec![crate::inbox::Holiday { country: "DE".into(), date: d("2026-12-07"), name: "x".into() }];
    let cal = Calendar::for_country("DE", &holidays);
    let a = NewAction::build(input(ordered(), None, false), &cal).unwrap();
    assert_eq!(a.hearing_until, Some(d("2026-12-21")));
}

#[test]
fn build_normalises_and_refuses_bad_input() {
    let cal = Calendar::weekends_only();
    let a = NewAction::build(input(Source::Voluntary, None, false), &cal).unwrap();
    assert_eq!(a.versions.iter().map(|v| v.as_str()).collect::<Vec<_>>(), ["1.0", "2.0"]);
    assert_eq!(a.summary, "Remote code execution in the web interface.");
    assert_eq!(a.request_id, Some(3));
    let mut i = input(Source::Voluntary, None, false);
    i.due = d("2026-01-01");
    assert!(NewAction::build(i, &cal).unwrap_err().message.contains("before"));
    let i =
        input(Source::Ordered { authority: " ".into(), reference: "x".into(), basis: Basis::CraArt57 }, None, false);
    assert!(NewAction::build(i, &cal).is_err());
}

#[test]
fn advancing_an_action_records_the_timeline() {
    let cal = Calendar::weekends_only();
    let new = NewAction::build(input(ordered(), None, false), &cal).unwrap();
    let mut a = Action { id: 1, new, status: Status::Received, timeline: vec![], figures: Figures::default() };
    a.advance(Status::Acknowledged, "2026-12-04T10:00:00Z", "cli:ann", None).unwrap();
    assert!(a.advance(Status::Closed, "2026-12-04T10:00:00Z", "cli:ann", None).is_err());
    a.advance(Status::RecipientsNotified, "2026-12-05T10:00:00Z", "cli:ann", Some("all")).unwrap();
    assert_eq!(a.status, Status::RecipientsNotified);
    assert_eq!(a.timeline.len(), 2);
    assert_eq!(a.timeline[1].note.as_deref(), Some("all"));
}

#[test]
fn backoff_grows_caps_and_jitters() {
    // (attempts, jitter, expected seconds)
    let table = [(1, 0.0, 15), (1, 0.999, 29), (2, 0.0, 30), (3, 0.5, 90), (20, 0.0, 1800), (20, 0.999_999_9, 3599)];
    for (attempts, jitter, expected) in table {
        assert_eq!(backoff_secs(attempts, jitter, BASE_BACKOFF_SECS), expected, "{attempts} {jitter}");
    }
    assert_eq!(after_failure(1, true, 0.0, 30), (DeliveryState::Bounced, None));
    assert_eq!(after_failure(MAX_ATTEMPTS, false, 0.0, 30), (DeliveryState::Failed, None));
    assert_eq!(after_failure(2, false, 0.0, 30), (DeliveryState::Deferred, Some(30)));
}

#[test]
fn ack_reports_are_bounded() {
    let mut r = AckReport { units_returned: 3, units_updated: 2, units_destroyed: 1, ..AckReport::default() };
    assert_eq!(r.resolved(), 6);
    assert!(r.validate().is_ok());
    r.units_on_hand = MAX_REPORTED_UNITS + 1;
    assert!(r.validate().unwrap_err().message.contains("units on hand"));
}
