use super::*;

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn berlin() -> TimeZone {
    parse_time_zone("Europe/Berlin").unwrap()
}

/// (received, zone, rule, holidays country, expected due)
fn check_due(received: &str, zone: &str, rule: DeadlineRule, country: &str, expected: &str) {
    let tz = parse_time_zone(zone).unwrap();
    let r = parse_received(received, &tz).unwrap();
    let cal = Calendar::for_country(country, &defaults::holidays());
    assert_eq!(due_date(&r, rule, &cal).to_string(), expected, "{received} in {zone} + {rule:?} ({country})");
}

#[test]
fn deadlines_honour_weekends_holidays_zones_and_leap_days() {
    use DeadlineRule::*;
    let cases: &[(&str, &str, DeadlineRule, &str, &str)] = &[
        // Friday + 1 working day is Monday; + 5 is the next Friday.
        ("2026-03-27T10:00", "Europe/Berlin", WorkingDays(1), "DE", "2026-03-30"),
        // Easter 2026 (5 April): DE skips Good Friday and Easter Monday, FR only Easter Monday.
        ("2026-03-27T10:00", "Europe/Berlin", WorkingDays(5), "DE", "2026-04-07"),
        ("2026-03-27T10:00", "Europe/Paris", WorkingDays(5), "FR", "2026-04-03"),
        ("2026-04-02T10:00", "Europe/Berlin", WorkingDays(1), "DE", "2026-04-07"),
        ("2026-04-02T10:00", "Europe/Paris", WorkingDays(1), "FR", "2026-04-03"),
        ("2026-04-02T10:00", "Europe/Paris", WorkingDays(2), "FR", "2026-04-07"),
        // Easter 2027 (28 March): Good Friday 26 March, Easter Monday 29 March.
        ("2027-03-25T10:00", "Europe/Berlin", WorkingDays(1), "DE", "2027-03-30"),
        ("2027-03-25T10:00", "Europe/Paris", WorkingDays(1), "FR", "2027-03-26"),
        ("2027-03-25T10:00", "Europe/Paris", WorkingDays(2), "FR", "2027-03-30"),
        // Ascension Day (Thursday 14 May 2026) and Whit Monday (25 May 2026) in both.
        ("2026-05-13T10:00", "Europe/Berlin", WorkingDays(1), "DE", "2026-05-15"),
        ("2026-05-22T10:00", "Europe/Paris", WorkingDays(1), "FR", "2026-05-26"),
        // Calendar days still count straight through Easter.
        ("2026-04-02T10:00", "Europe/Berlin", Days(1), "DE", "2026-04-03"),
        // Saturday receipt: the first working day is Monday.
        ("2026-03-28T10:00", "Europe/Berlin", WorkingDays(1), "DE", "2026-03-30"),
        // Calendar days ignore weekends.
        ("2026-03-27T10:00", "Europe/Berlin", Days(1), "DE", "2026-03-28"),
        ("2026-03-27T10:00", "Europe/Berlin", Days(0), "DE", "2026-03-27"),
        // Christmas: DE skips 25 and 26 December (26 is a Saturday in 2026), FR only the 25th.
        ("2026-12-23T09:00", "Europe/Berlin", WorkingDays(3), "DE", "2026-12-29"),
        ("2026-12-23T09:00", "Europe/Paris", WorkingDays(3), "FR", "2026-12-29"),
        ("2026-12-23T09:00", "Europe/Paris", WorkingDays(2), "FR", "2026-12-28"),
        // A country without holidays in the list counts weekends only.
        ("2026-12-23T09:00", "Europe/Rome", WorkingDays(2), "IT", "2026-12-25"),
        // Tag der Deutschen Einheit (Saturday 3 Oct 2026 anyway; Sunday 2027) and May Day 2026 (Friday).
        ("2026-04-30T09:00", "Europe/Berlin", WorkingDays(1), "DE", "2026-05-04"),
        ("2026-04-30T09:00", "Europe/Amsterdam", WorkingDays(1), "NL", "2026-05-01"),
        // Koningsdag, Monday 27 April 2026.
        ("2026-04-24T09:00", "Europe/Amsterdam", WorkingDays(1), "NL", "2026-04-28"),
        // Time zones: 23:30 UTC on Friday is already Saturday in Berlin; the day of receipt is the
        // authority's day.
        ("2026-03-27T23:30:00+00:00", "Europe/Berlin", Days(10), "DE", "2026-04-07"),
        ("2026-03-27T23:30:00+00:00", "Europe/Dublin", Days(10), "IE", "2026-04-06"),
        ("2026-03-27T23:30:00+00:00", "Europe/Berlin", WorkingDays(1), "DE", "2026-03-30"),
        // An explicit zone annotation wins over the authority's zone.
        ("2026-03-28T00:30:00+01:00[Europe/Berlin]", "Europe/Lisbon", Days(1), "PT", "2026-03-29"),
        // 29 February: counted like any day, and a leap year has it.
        ("2028-02-28T12:00", "Europe/Berlin", Days(1), "DE", "2028-02-29"),
        ("2027-02-28T12:00", "Europe/Berlin", Days(1), "DE", "2027-03-01"),
        ("2028-02-28T12:00", "Europe/Berlin", WorkingDays(1), "DE", "2028-02-29"),
        ("2028-02-29T12:00", "Europe/Berlin", Days(365), "DE", "2029-02-28"),
        // A date given in the letter is taken as is.
        ("2026-03-27T10:00", "Europe/Berlin", DeadlineRule::Date(d("2026-04-30")), "DE", "2026-04-30"),
    ];
    for (received, zone, rule, country, expected) in cases {
        check_due(received, zone, *rule, country, expected);
    }
}

#[test]
fn acknowledgement_clock_counts_real_hours_across_dst() {
    let cases = [
        // Spring forward (29 March 2026, 02:00 → 03:00): 24 real hours later is 13:00 local.
        ("2026-03-28T12:00", "Europe/Berlin", 24, "2026-03-29T13:00:00+02:00[Europe/Berlin]"),
        // Fall back (25 October 2026, 03:00 → 02:00): 24 real hours later is 11:00 local.
        ("2026-10-24T12:00", "Europe/Berlin", 24, "2026-10-25T11:00:00+01:00[Europe/Berlin]"),
        // No change: same wall time.
        ("2026-06-01T08:15", "Europe/Paris", 24, "2026-06-02T08:15:00+02:00[Europe/Paris]"),
        ("2026-06-01T08:15", "Europe/Paris", 48, "2026-06-03T08:15:00+02:00[Europe/Paris]"),
        // An offset input is shown in the authority's zone.
        ("2026-06-01T06:15:00Z", "Europe/Helsinki", 24, "2026-06-02T09:15:00+03:00[Europe/Helsinki]"),
    ];
    for (received, zone, hours, expected) in cases {
        let r = parse_received(received, &parse_time_zone(zone).unwrap()).unwrap();
        assert_eq!(ack_due(&r, hours).to_string(), expected, "{received} + {hours} h");
    }
}

#[test]
fn local_times_in_a_dst_gap_move_forward() {
    let r = parse_received("2026-03-29T02:30", &berlin()).unwrap();
    assert_eq!(r.to_string(), "2026-03-29T03:30:00+02:00[Europe/Berlin]");
}

#[test]
fn receipt_and_zone_parsing_reject_nonsense_with_a_hint() {
    assert!(parse_time_zone("Europe/Atlantis").unwrap_err().message.contains("Europe/Berlin"));
    for bad in ["", "yesterday", "2026-02-30T10:00", "27/03/2026 10:00", "0500-01-01T10:00", "-0001-01-01T10:00"] {
        let e = parse_received(bad, &berlin()).unwrap_err();
        assert!(e.message.contains("expected"), "{bad}: {}", e.message);
    }
}

#[test]
fn a_deadline_ends_at_midnight_in_the_authority_zone() {
    let cases = [
        ("2026-03-28", "Europe/Berlin", "2026-03-28T23:00:00Z"),
        ("2026-03-29", "Europe/Berlin", "2026-03-29T22:00:00Z"),
        ("2026-03-29", "Europe/Dublin", "2026-03-29T23:00:00Z"),
        ("2026-01-10", "UTC", "2026-01-11T00:00:00Z"),
    ];
    for (due, zone, expected) in cases {
        assert_eq!(due_end(d(due), &parse_time_zone(zone).unwrap()).to_string(), expected, "{due} {zone}");
    }
}

fn authority() -> Authority {
    defaults::authorities().into_iter().find(|a| a.id == "de-bnetza").unwrap()
}

fn request(received: &str, rule: DeadlineRule) -> Request {
    let a = authority();
    let new = NewRequest::build(
        RequestInput {
            authority: &a,
            reference: "BNetzA-2026-0042",
            received,
            deadline: rule,
            product: ProductId::parse("SH-CAM-200").unwrap(),
            version: None,
            from: None,
            to: None,
            asks: vec![Ask::Trace],
            ack_hours: DEFAULT_ACK_HOURS,
        },
        &defaults::holidays(),
    )
    .unwrap();
    Request::received(1, new, "2026-03-27T09:00:00Z", "cli:jana")
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn overdue_and_due_soon_are_findings_at_a_given_now() {
    // Due Friday 3 April 2026 (7 days from Friday 27 March), Berlin: ends 2026-04-03T22:00Z.
    let r = request("2026-03-27T10:00", DeadlineRule::Days(7));
    assert_eq!(r.new.due.to_string(), "2026-04-03");
    let cases = [
        // now, overdue, due_soon, ack_overdue
        ("2026-03-27T10:00:00Z", false, false, false),
        ("2026-03-28T09:00:01Z", false, false, true),
        ("2026-03-31T21:59:59Z", false, false, true),
        ("2026-03-31T22:00:00Z", false, true, true),
        ("2026-04-03T21:59:59Z", false, true, true),
        ("2026-04-03T22:00:00Z", true, false, true),
    ];
    for (now, overdue, due_soon, ack_overdue) in cases {
        let s = r.standing(ts(now), DEFAULT_DUE_SOON_DAYS);
        assert_eq!((s.overdue, s.due_soon, s.ack_overdue), (overdue, due_soon, ack_overdue), "at {now}");
    }
    // Sent or closed requests are never overdue.
    let mut sent = r.clone();
    for step in [Step::Acknowledged, Step::PackageBuilt, Step::Sent] {
        sent.apply(step, "2026-03-30T08:00:00Z", "cli:jana", None).unwrap();
    }
    assert_eq!(
        sent.standing(ts("2026-05-01T00:00:00Z"), 3),
        Standing { overdue: false, due_soon: false, ack_overdue: false }
    );
}

#[test]
fn the_status_machine_moves_forward_only() {
    use Status as S;
    // (steps taken before, step, expected status or None for refused)
    let ext = Step::ExtensionGiven { due: d("2026-04-30") };
    let cases: Vec<(Vec<Step>, Step, Option<S>)> = vec![
        (vec![], Step::Acknowledged, Some(S::Acknowledged)),
        (vec![], Step::PackageBuilt, None),
        (vec![], Step::Sent, None),
        (vec![], Step::Closed, Some(S::Closed)),
        (vec![], Step::Received, None),
        (vec![Step::Acknowledged], Step::Acknowledged, None),
        (vec![Step::Acknowledged], Step::PackageBuilt, Some(S::PackageBuilt)),
        (vec![Step::Acknowledged, Step::PackageBuilt], Step::PackageBuilt, Some(S::PackageBuilt)),
        (vec![Step::Acknowledged, Step::PackageBuilt], Step::Sent, Some(S::Sent)),
        (vec![Step::Acknowledged, Step::PackageBuilt, Step::Sent], Step::Closed, Some(S::Closed)),
        (vec![Step::Acknowledged, Step::PackageBuilt, Step::Sent], Step::ExtensionAsked, None),
        (vec![Step::Closed], Step::Acknowledged, None),
        (vec![Step::Closed], Step::Closed, None),
        (vec![Step::Acknowledged], Step::ExtensionAsked, Some(S::Acknowledged)),
        (vec![Step::ExtensionAsked], Step::ExtensionAsked, None),
        (vec![Step::ExtensionAsked], ext.clone(), Some(S::Received)),
        (vec![], Step::ExtensionGiven { due: d("2026-03-01") }, None),
    ];
    for (before, step, expected) in cases {
        let mut r = request("2026-03-27T10:00", DeadlineRule::WorkingDays(5));
        for s in &before {
            r.apply(s.clone(), "2026-03-27T12:00:00Z", "cli:jana", None).unwrap();
        }
        let got = r.apply(step.clone(), "2026-03-28T12:00:00Z", "cli:jana", Some("by letter")).map(|()| r.status);
        assert_eq!(got.as_ref().ok().copied(), expected, "{before:?} then {step:?}: {got:?}");
        if expected.is_some() {
            let last = r.timeline.last().unwrap();
            assert_eq!((&last.step, last.actor.as_str(), last.note.as_deref()), (&step, "cli:jana", Some("by letter")));
        }
    }
}

#[test]
fn an_extension_moves_the_deadline_and_clears_overdue() {
    let mut r = request("2026-03-27T10:00", DeadlineRule::Days(3));
    assert!(r.standing(ts("2026-04-01T00:00:00Z"), 3).overdue);
    r.apply(Step::ExtensionAsked, "2026-03-29T10:00:00Z", "cli:jana", None).unwrap();
    assert!(r.extension_pending);
    r.apply(Step::ExtensionGiven { due: d("2026-04-15") }, "2026-03-30T10:00:00Z", "cli:jana", None).unwrap();
    assert!(!r.extension_pending);
    assert_eq!(r.new.due, d("2026-04-15"));
    assert!(!r.standing(ts("2026-04-01T00:00:00Z"), 3).overdue);
}

#[test]
fn acknowledging_records_when() {
    let mut r = request("2026-03-27T10:00", DeadlineRule::Days(3));
    r.apply(Step::Acknowledged, "2026-03-27T15:00:00Z", "cli:jana", None).unwrap();
    assert_eq!(r.acknowledged_at.as_deref(), Some("2026-03-27T15:00:00Z"));
    assert!(!r.standing(ts("2026-03-29T00:00:00Z"), 3).ack_overdue);
    let json = serde_json::to_value(&r).unwrap();
    for key in
        ["id", "authority", "reference", "received_at", "ack_due", "acknowledged_at", "due", "status", "timeline"]
    {
        assert!(json.get(key).is_some(), "{key} missing in {json}");
    }
    let back: Request = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn asks_parse_as_a_list() {
    assert_eq!(Ask::parse_list("sbom, trace,trace").unwrap(), vec![Ask::Trace, Ask::Sbom]);
    assert!(Ask::parse_list("trace,cake").unwrap_err().message.contains("trace,documents,sbom,samples,access"));
    assert!(Ask::parse_list(" , ").is_err());
}

#[test]
fn a_deadline_before_receipt_is_refused() {
    let a = authority();
    let e = NewRequest::build(
        RequestInput {
            authority: &a,
            reference: "X",
            received: "2026-03-27T10:00",
            deadline: DeadlineRule::Date(d("2026-03-01")),
            product: ProductId::parse("P").unwrap(),
            version: None,
            from: None,
            to: None,
            asks: vec![Ask::Trace],
            ack_hours: 24,
        },
        &[],
    )
    .unwrap_err();
    assert!(e.message.contains("before the day of receipt"));
}

#[test]
fn authority_entries_are_checked() {
    let mut a = authority();
    a.id = "DE BNetzA".into();
    assert!(a.clone().validate().unwrap_err().message.contains("lower-case"));
    let mut a = authority();
    a.time_zone = "Berlin".into();
    assert!(a.validate().is_err());
    let mut a = authority();
    a.languages = vec!["deu".into()];
    assert!(a.validate().is_err());
    let mut a = authority();
    a.email = Some("  ".into());
    assert_eq!(a.validate().unwrap().email, None);
}

#[test]
fn implausible_deadlines_are_refused() {
    let a = authority();
    let build = |rule| {
        NewRequest::build(
            RequestInput {
                authority: &a,
                reference: "X",
                received: "2026-03-27T10:00",
                deadline: rule,
                product: ProductId::parse("P").unwrap(),
                version: None,
                from: None,
                to: None,
                asks: vec![Ask::Trace],
                ack_hours: 24,
            },
            &[],
        )
    };
    assert!(build(DeadlineRule::WorkingDays(u32::MAX)).unwrap_err().message.contains("not plausible"));
    assert!(build(DeadlineRule::Days(3651)).is_err());
    assert_eq!(build(DeadlineRule::Days(3650)).unwrap().due.to_string(), "2036-03-24");
}
