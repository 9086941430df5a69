use super::*;

// ---- validation ----

#[test]
fn identifiers_and_names_are_checked_with_their_paths() {
    let mut rules = RegulatoryRules::defaults();
    rules.regimes[0].id = "NIS 2".into();
    rules.regimes[1].name = "  ".into();
    rules.regimes[2].id = "dora".into();
    rules.regimes[3].reports[1].id = "initial_notification".into();
    rules.regimes[3].checklist[2].id = "clients_affected".into();
    rules.regimes[5].reports[0].recipient = "x\u{0}y".into();
    rules.calendars[0].name = String::new();
    assert_eq!(
        fields(rules.validate()),
        [
            "calendars[0].name",
            "regimes[0].id",
            "regimes[1].name",
            "regimes[3].checklist[2].id",
            // The renamed intermediate report now waits for its own submission,
            // and the final report for a report that exists no more.
            "regimes[3].reports[1].limits[0].from",
            "regimes[3].reports[2].limits[0].from",
            "regimes[3].reports[1].id",
            "regimes[5].reports[0].recipient",
            "regimes[3].id",
        ]
    );
}

#[test]
fn limits_are_checked_with_their_paths() {
    let mut rules = RegulatoryRules::defaults();
    let nis2 = &mut rules.regimes[0].reports;
    nis2[0].limits.clear();
    nis2[1].limits.push(Limit {
        from: Anchor::Submitted("incident_notification".into()),
        within: Span::Hours(1),
    });
    nis2[2].limits.push(Limit {
        from: Anchor::Submitted("no_such_report".into()),
        within: Span::Hours(1),
    });
    nis2[3].limits[0].within = Span::Hours(0);
    nis2[3].limits.push(Limit {
        from: Anchor::Submitted("final_report".into()),
        within: Span::Days(2),
    });
    rules.regimes[4].reports[0].calendar = None;
    rules.regimes[5].reports[0].calendar = Some("mars".into());
    rules.regimes[6].reports[0].limits.push(Limit {
        from: Anchor::Moment(AnchorKind::Aware),
        within: Span::Hours(5),
    });
    assert_eq!(
        fields(rules.validate()),
        [
            "regimes[0].reports[0].limits",
            "regimes[0].reports[1].limits[1].from",
            "regimes[0].reports[2].limits[1].from",
            "regimes[0].reports[3].limits[0].within",
            "regimes[0].reports[3].limits[1].from",
            "regimes[4].reports[0].limits[0].within",
            "regimes[5].reports[0].calendar",
            "regimes[6].reports[0].limits[1].from",
        ]
    );
}

#[test]
fn anchors_that_wait_for_each_other_are_a_cycle() {
    let mut rules = RegulatoryRules::defaults();
    // DORA: initial ← intermediate ← final; make the initial wait for the final.
    rules.regimes[3].reports[0].limits.push(Limit {
        from: Anchor::Submitted("final_report".into()),
        within: Span::Hours(1),
    });
    let err = rules.validate().unwrap_err();
    assert_eq!(
        fields(Err(err.clone())),
        [
            "regimes[3].reports[0].limits[2].from",
            "regimes[3].reports[1].limits[0].from",
            "regimes[3].reports[2].limits[0].from",
        ]
    );
    assert!(err.to_string().contains("cycle"));
}

#[test]
fn calendars_need_a_business_day_and_distinct_holidays() {
    let mut rules = RegulatoryRules::defaults();
    rules.calendars[0].weekend = Weekday::ALL.to_vec();
    rules.calendars[0].holidays[1] = rules.calendars[0].holidays[0];
    rules.calendars.push(Calendar {
        weekend: vec![Weekday::Friday, Weekday::Friday],
        ..us_federal()
    });
    assert_eq!(
        fields(rules.validate()),
        [
            "calendars[0].weekend",
            "calendars[0].holidays[1]",
            "calendars[1].weekend[1]",
            "calendars[1].id",
        ]
    );
}

#[test]
fn every_list_is_bounded() {
    let mut rules = RegulatoryRules::defaults();
    let gdpr = rules.regimes[1].clone();
    rules.regimes = (0..=MAX_REGIMES)
        .map(|i| Regime {
            id: format!("r{i}"),
            ..gdpr.clone()
        })
        .collect();
    rules.regimes[0].reports = (0..=MAX_REPORTS)
        .map(|i| ReportRule {
            id: format!("p{i}"),
            ..gdpr.reports[0].clone()
        })
        .collect();
    rules.regimes[1].reports[0].limits = AnchorKind::ALL
        .iter()
        .chain(AnchorKind::ALL)
        .take(MAX_LIMITS + 1)
        .enumerate()
        .map(|(i, k)| Limit {
            from: if i < AnchorKind::ALL.len() {
                Anchor::Moment(*k)
            } else {
                Anchor::Submitted(format!("x{i}"))
            },
            within: Span::Hours(1),
        })
        .collect();
    rules.calendars[0].holidays = (0..=MAX_HOLIDAYS as i64)
        .map(|i| {
            CalendarDate::new(
                time::Date::from_calendar_date(2026, time::Month::January, 1).unwrap()
                    + time::Duration::days(i),
            )
        })
        .collect();
    rules.regimes[2].reports.clear();
    let got = fields(rules.validate());
    for path in [
        "regimes",
        "calendars[0].holidays",
        "regimes[0].reports",
        "regimes[1].reports[0].limits",
        "regimes[2].reports",
    ] {
        assert!(got.iter().any(|f| f == path), "{path} missing from {got:?}");
    }
}

#[test]
fn requests_are_checked_against_the_table() {
    let rules = RegulatoryRules::defaults();
    assert_eq!(rules.check_regime("nis2").unwrap().id, "nis2");
    assert_eq!(fields(rules.check_regime("nis3").map(|_| ())), ["regime"]);
    assert_eq!(
        rules.check_report("dora", "final_report").unwrap().name,
        "Final report"
    );
    assert_eq!(
        fields(rules.check_report("dora", "early_warning").map(|_| ())),
        ["report"]
    );
    assert_eq!(
        fields(rules.check_report("nope", "early_warning").map(|_| ())),
        ["regime"]
    );
    let answer = |q: &str| Answer {
        question: q.into(),
        yes: true,
        note: None,
    };
    let good = [
        answer("severe_disruption_or_loss"),
        answer("damage_to_others"),
    ];
    assert_eq!(rules.check_answers("nis2", &good), Ok(()));
    assert_eq!(rules.check_answers("gdpr_33", &[]), Ok(()));
    let bad = [
        answer("damage_to_others"),
        answer("clients_affected"),
        answer("damage_to_others"),
    ];
    assert_eq!(
        fields(rules.check_answers("nis2", &bad)),
        ["answers[1].question", "answers[2].question"]
    );
}

// ---- serde ----

#[test]
fn the_table_round_trips_through_json() {
    let rules = RegulatoryRules::defaults();
    let json = serde_json::to_value(&rules).unwrap();
    let back: RegulatoryRules = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, rules);
    let dora = &json["regimes"][3]["reports"];
    assert_eq!(dora[0]["limits"][0]["from"], "classified_major");
    assert_eq!(dora[0]["limits"][0]["within"], "4h");
    assert_eq!(
        dora[2]["limits"][0]["from"],
        "submitted:intermediate_report"
    );
    assert_eq!(dora[2]["limits"][0]["within"], "1mo");
    assert_eq!(json["regimes"][4]["reports"][0]["calendar"], "us-federal");
    assert_eq!(json["calendars"][0]["weekend"][0], "saturday");
    assert_eq!(json["calendars"][0]["holidays"][0], "2026-01-01");
}

#[test]
fn a_hand_written_table_reads_with_defaults() {
    let json = r#"{
        "version": 7,
        "calendars": [{ "id": "de-he", "name": "Hesse", "holidays": ["2026-06-04"] }],
        "regimes": [{
            "id": "contract_acme",
            "name": "ACME supply contract",
            "reference": "Master services agreement, clause 14.2",
            "applies_when": "An incident touching ACME's data.",
            "reports": [{
                "id": "notice",
                "name": "Notice to ACME",
                "recipient": "ACME security office",
                "calendar": "de-he",
                "limits": [{ "from": "aware", "within": "2bd" }, { "from": "noticed", "within": "36h" }]
            }]
        }]
    }"#;
    let rules: RegulatoryRules = serde_json::from_str(json).unwrap();
    assert_eq!(rules.validate(), Ok(()));
    assert_eq!(
        rules.calendars[0].weekend,
        [Weekday::Saturday, Weekday::Sunday]
    );
    assert!(rules.regimes[0].checklist.is_empty());
    let unknown = json.replace("\"version\"", "\"versoin\"");
    assert!(serde_json::from_str::<RegulatoryRules>(&unknown).is_err());
    let bad_anchor = json.replace("\"aware\"", "\"submitted:Bad Id\"");
    assert!(serde_json::from_str::<RegulatoryRules>(&bad_anchor).is_err());
    let bad_anchor = json.replace("\"aware\"", "\"awareness\"");
    assert!(serde_json::from_str::<RegulatoryRules>(&bad_anchor).is_err());
}

#[test]
fn obligations_and_clocks_round_trip_through_json() {
    let mut ob = obligations(&["nis2"], &[(AnchorKind::Aware, AWARE)]);
    ob.regimes[0].answers.push(Answer {
        question: "damage_to_others".into(),
        yes: false,
        note: Some(Text::new("only internal systems").unwrap()),
    });
    ob.submissions
        .push(sent("nis2", "early_warning", "2026-03-02T20:00:00Z"));
    let back: Obligations = serde_json::from_str(&serde_json::to_string(&ob).unwrap()).unwrap();
    assert_eq!(back, ob);
    let empty: Obligations = serde_json::from_str("{}").unwrap();
    assert!(empty.is_empty());
    let list = clocks(&RegulatoryRules::defaults(), &ob, t(AWARE));
    let json = serde_json::to_value(&list).unwrap();
    assert_eq!(json[0]["state"], "submitted");
    assert_eq!(json[1]["state"], "running");
    assert_eq!(json[1]["anchor"], "aware");
    let back: Vec<ClockStatus> = serde_json::from_value(json).unwrap();
    assert_eq!(back, list);
}

// ---- properties ----

fn any_time() -> impl Strategy<Value = Timestamp> {
    // 1970 to 2100, to the microsecond.
    (0i64..4_102_444_800, 0i64..1_000_000).prop_map(|(s, us)| {
        Timestamp::from_offset(
            time::OffsetDateTime::from_unix_timestamp(s).unwrap()
                + time::Duration::microseconds(us),
        )
    })
}

fn any_calendar() -> impl Strategy<Value = Calendar> {
    (
        proptest::sample::subsequence(Weekday::ALL.to_vec(), 0..=6),
        proptest::collection::vec(0i64..800, 0..40),
    )
        .prop_map(|(weekend, offsets)| Calendar {
            id: "c".into(),
            name: "c".into(),
            weekend,
            holidays: offsets
                .into_iter()
                .map(|d| {
                    CalendarDate::new(
                        time::Date::from_calendar_date(2026, time::Month::January, 1).unwrap()
                            + time::Duration::days(d),
                    )
                })
                .collect(),
        })
}

proptest! {
    #[test]
    fn spans_round_trip_through_their_text(span in any_span()) {
        prop_assert_eq!(span.to_string().parse::<Span>(), Ok(span));
        let json = serde_json::to_string(&span).unwrap();
        prop_assert_eq!(serde_json::from_str::<Span>(&json).unwrap(), span);
    }

    #[test]
    fn anchors_round_trip_through_their_text(kind in proptest::sample::select(AnchorKind::ALL.to_vec()), report in "[a-z][a-z0-9_-]{0,63}") {
        for anchor in [Anchor::Moment(kind), Anchor::Submitted(report.clone())] {
            prop_assert_eq!(anchor.to_string().parse::<Anchor>(), Ok(anchor));
        }
    }

    #[test]
    fn deadlines_come_after_their_anchor(span in any_span(), start in any_time(), cal in any_calendar()) {
        if let Some(due) = span.deadline(start, &cal) {
            prop_assert!(due > start, "{span} from {start} gave {due}");
        } else {
            prop_assert_eq!(span, Span::Untimed);
        }
    }

    #[test]
    fn business_day_deadlines_fall_on_business_days(n in 1..=MAX_BUSINESS_DAYS, start in any_time(), cal in any_calendar()) {
        let due = cal.add_business_days(start, n).unwrap();
        let day = due.as_offset().date();
        prop_assert!(!cal.weekend.contains(&Weekday::of(day)));
        prop_assert!(!cal.holidays.iter().any(|h| h.date() == day));
        prop_assert!(day > start.as_offset().date());
    }

    #[test]
    fn state_and_percent_agree(hours in 1u32..=200, elapsed_s in -3_600i64..1_000_000) {
        let start = t(AWARE);
        let now = Timestamp::from_offset(start.as_offset() + time::Duration::seconds(elapsed_s));
        let mut rules = RegulatoryRules::defaults();
        rules.regimes[1].reports[0].limits[0].within = Span::Hours(hours);
        let ob = obligations(&["gdpr_33"], &[(AnchorKind::Aware, AWARE)]);
        let c = clocks(&rules, &ob, now).remove(0);
        let percent = c.percent_used(now).unwrap();
        match c.state {
            ClockState::Running => prop_assert!(percent < 75),
            ClockState::DueSoon => prop_assert!((75..=100).contains(&percent)),
            ClockState::Overdue => prop_assert!(percent >= 100),
            other => prop_assert!(false, "unexpected {other}"),
        }
    }
}
