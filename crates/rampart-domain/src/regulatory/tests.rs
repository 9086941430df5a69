use proptest::prelude::*;

use super::*;
use crate::{DomainError, Text, Timestamp};

fn t(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn record(kind: AnchorKind, at: &str) -> AnchorRecord {
    AnchorRecord {
        anchor: kind,
        at: t(at),
        recorded_by: "alice".into(),
        recorded_at: t(at),
    }
}

fn applied(regime: &str) -> AppliedRegime {
    AppliedRegime {
        regime: regime.into(),
        rules_version: 1,
        answers: Vec::new(),
        reason: None,
        by: "alice".into(),
        at: t("2026-03-02T09:00:00Z"),
    }
}

fn sent(regime: &str, report: &str, at: &str) -> Submission {
    Submission {
        regime: regime.into(),
        report: report.into(),
        at: t(at),
        by: "bob".into(),
        authority: Text::new("the authority").unwrap(),
        reference: None,
        content: None,
        evidence: None,
    }
}

fn obligations(regimes: &[&str], anchors: &[(AnchorKind, &str)]) -> Obligations {
    Obligations {
        regimes: regimes.iter().map(|r| applied(r)).collect(),
        anchors: anchors.iter().map(|(k, at)| record(*k, at)).collect(),
        submissions: Vec::new(),
    }
}

fn clock(ob: &Obligations, now: &str, regime: &str, report: &str) -> ClockStatus {
    clocks(&RegulatoryRules::defaults(), ob, t(now))
        .into_iter()
        .find(|c| c.regime == regime && c.report == report)
        .unwrap()
}

fn due(ob: &Obligations, regime: &str, report: &str) -> Option<String> {
    clock(ob, "2026-03-02T08:15:00Z", regime, report)
        .due_at
        .map(|d| d.to_rfc3339())
}

fn fields(result: Result<(), DomainError>) -> Vec<String> {
    match result {
        Err(DomainError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

const AWARE: &str = "2026-03-02T08:15:00Z";

// ---- spans ----

#[test]
fn spans_parse_their_short_forms() {
    assert_eq!("24h".parse(), Ok(Span::Hours(24)));
    assert_eq!("3d".parse(), Ok(Span::Days(3)));
    assert_eq!("1mo".parse(), Ok(Span::Months(1)));
    assert_eq!("4bd".parse(), Ok(Span::BusinessDays(4)));
    assert_eq!("untimed".parse(), Ok(Span::Untimed));
    assert_eq!("8760h".parse(), Ok(Span::Hours(8760)));
    assert_eq!(Span::BusinessDays(4).to_string(), "4bd");
}

#[test]
fn bad_spans_are_refused_with_a_reason() {
    for bad in [
        "",
        "0h",
        "8761h",
        "367d",
        "25mo",
        "61bd",
        "24",
        "h",
        "024h",
        "+4h",
        "4 h",
        "1y",
        "-1d",
        "Untimed",
        "99999999999h",
    ] {
        assert!(bad.parse::<Span>().is_err(), "{bad:?} was accepted");
    }
    assert_eq!(
        "0h".parse::<Span>().unwrap_err(),
        "must be 1 to 8760 hours (got 0)"
    );
    assert!("1y".parse::<Span>().unwrap_err().contains("unknown span"));
    assert!(serde_json::from_str::<Span>("\"61bd\"").is_err());
}

fn any_span() -> impl Strategy<Value = Span> {
    prop_oneof![
        (1..=MAX_HOURS).prop_map(Span::Hours),
        (1..=MAX_DAYS).prop_map(Span::Days),
        (1..=MAX_MONTHS).prop_map(Span::Months),
        (1..=MAX_BUSINESS_DAYS).prop_map(Span::BusinessDays),
        Just(Span::Untimed),
    ]
}

#[test]
fn months_keep_the_day_or_take_the_last_one() {
    let cal = Calendar::weekends_only();
    let add = |at: &str, n| Span::Months(n).deadline(t(at), &cal).unwrap().to_rfc3339();
    assert_eq!(
        add("2026-01-31T10:00:00Z", 1),
        "2026-02-28T10:00:00.000000Z"
    );
    assert_eq!(
        add("2028-01-31T10:00:00Z", 1),
        "2028-02-29T10:00:00.000000Z"
    );
    assert_eq!(
        add("2026-03-31T23:59:00Z", 1),
        "2026-04-30T23:59:00.000000Z"
    );
    assert_eq!(
        add("2026-12-15T06:30:00Z", 1),
        "2027-01-15T06:30:00.000000Z"
    );
    assert_eq!(
        add("2026-08-31T00:00:00Z", 6),
        "2027-02-28T00:00:00.000000Z"
    );
    assert_eq!(
        add("2026-02-28T12:00:00Z", 24),
        "2028-02-28T12:00:00.000000Z"
    );
}

#[test]
fn hours_and_days_are_exact_lengths_of_time() {
    let cal = Calendar::weekends_only();
    let start = t("2026-03-28T22:00:00Z");
    assert_eq!(
        Span::Days(3).deadline(start, &cal),
        Span::Hours(72).deadline(start, &cal)
    );
    assert_eq!(Span::Untimed.deadline(start, &cal), None);
    // Beyond the year 9999 there is no deadline rather than a panic.
    assert_eq!(
        Span::Months(24).deadline(t("9999-06-01T00:00:00Z"), &cal),
        None
    );
}

// ---- calendars ----

fn us_federal() -> Calendar {
    RegulatoryRules::defaults()
        .calendar("us-federal")
        .unwrap()
        .clone()
}

fn bd(cal: &Calendar, at: &str, n: u32) -> String {
    cal.add_business_days(t(at), n).unwrap().to_rfc3339()
}

#[test]
fn business_days_skip_the_weekend_and_holidays() {
    let cal = us_federal();
    // Thursday before Martin Luther King Jr. Day (Monday 19 January 2026):
    // Fri 16, (Sat, Sun, holiday), Tue 20, Wed 21, Thu 22.
    assert_eq!(
        bd(&cal, "2026-01-15T16:00:00Z", 4),
        "2026-01-22T23:59:59.999999Z"
    );
    // Without the holiday the fourth business day is the Wednesday.
    let plain = Calendar::weekends_only();
    assert_eq!(
        bd(&plain, "2026-01-15T16:00:00Z", 4),
        "2026-01-21T23:59:59.999999Z"
    );
}

#[test]
fn the_anchor_day_never_counts() {
    let cal = Calendar::weekends_only();
    // Monday morning: one business day is the end of Tuesday.
    assert_eq!(
        bd(&cal, "2026-03-02T00:00:00Z", 1),
        "2026-03-03T23:59:59.999999Z"
    );
    // Friday late: the end of Monday.
    assert_eq!(
        bd(&cal, "2026-03-06T23:59:59Z", 1),
        "2026-03-09T23:59:59.999999Z"
    );
    // Saturday: the end of Monday as well.
    assert_eq!(
        bd(&cal, "2026-03-07T12:00:00Z", 1),
        "2026-03-09T23:59:59.999999Z"
    );
    // Business days are UTC dates: 23:30 at UTC-5 is already Tuesday in UTC.
    assert_eq!(
        bd(&cal, "2026-03-02T23:30:00-05:00", 1),
        "2026-03-04T23:59:59.999999Z"
    );
}

#[test]
fn a_calendar_without_business_days_gives_no_deadline() {
    let cal = Calendar {
        weekend: Weekday::ALL.to_vec(),
        ..Calendar::weekends_only()
    };
    assert_eq!(cal.add_business_days(t(AWARE), 4), None);
    assert_eq!(
        Calendar::weekends_only().add_business_days(t(AWARE), 0),
        None
    );
}

#[test]
fn the_default_holidays_are_observed_weekdays() {
    let cal = us_federal();
    assert_eq!(cal.holidays.len(), 23);
    for day in &cal.holidays {
        let weekday = Weekday::of(day.date());
        assert!(!cal.weekend.contains(&weekday), "{day} is a {weekday}");
    }
    let mlk = CalendarDate::parse("2026-01-19").unwrap();
    assert_eq!(Weekday::of(mlk.date()), Weekday::Monday);
    let thanksgiving = CalendarDate::parse("2027-11-25").unwrap();
    assert_eq!(Weekday::of(thanksgiving.date()), Weekday::Thursday);
}

#[test]
fn calendar_dates_are_written_yyyy_mm_dd() {
    let day = CalendarDate::parse("2026-07-03").unwrap();
    assert_eq!(day.to_string(), "2026-07-03");
    assert_eq!(serde_json::to_string(&day).unwrap(), "\"2026-07-03\"");
    for bad in [
        "2026-7-03",
        "2026-02-30",
        "26-07-03",
        "2026-07-03T00:00",
        "2026/07/03",
        "",
    ] {
        assert!(CalendarDate::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

// ---- the shipped table ----

#[test]
fn the_defaults_are_valid_version_1() {
    let rules = RegulatoryRules::defaults();
    assert_eq!(rules.version, 1);
    assert_eq!(rules.validate(), Ok(()));
    assert_eq!(RegulatoryRules::default(), rules);
    let ids: Vec<&str> = rules.regimes.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "nis2",
            "gdpr_33",
            "gdpr_34",
            "dora",
            "sec_8k",
            "uk_nis",
            "soci_30bc",
            "soci_30bd",
            "nydfs_500_17",
            "cert_in"
        ]
    );
    assert_eq!(rules.regime("nis2").unwrap().checklist.len(), 2);
    assert_eq!(rules.regime("dora").unwrap().checklist.len(), 7);
}

#[test]
fn every_default_deadline_from_a_fixed_anchor() {
    let rules = RegulatoryRules::defaults();
    let all: Vec<&str> = rules.regimes.iter().map(|r| r.id.as_str()).collect();
    let ob = obligations(
        &all,
        &[
            (AnchorKind::Aware, AWARE),
            (AnchorKind::Noticed, AWARE),
            (AnchorKind::Determined, AWARE),
            (AnchorKind::MaterialityDetermined, AWARE),
        ],
    );
    let expect = [
        ("nis2", "early_warning", Some("2026-03-03T08:15:00.000000Z")),
        (
            "nis2",
            "incident_notification",
            Some("2026-03-05T08:15:00.000000Z"),
        ),
        ("nis2", "intermediate_report", None),
        ("nis2", "final_report", None),
        (
            "gdpr_33",
            "authority_notification",
            Some("2026-03-05T08:15:00.000000Z"),
        ),
        ("gdpr_34", "data_subject_communication", None),
        (
            "dora",
            "initial_notification",
            Some("2026-03-03T08:15:00.000000Z"),
        ),
        ("dora", "intermediate_report", None),
        ("dora", "final_report", None),
        // Monday 2 March: Tue, Wed, Thu, Fri.
        ("sec_8k", "form_8k", Some("2026-03-06T23:59:59.999999Z")),
        (
            "uk_nis",
            "notification",
            Some("2026-03-05T08:15:00.000000Z"),
        ),
        ("soci_30bc", "report", Some("2026-03-02T20:15:00.000000Z")),
        ("soci_30bd", "report", Some("2026-03-05T08:15:00.000000Z")),
        (
            "nydfs_500_17",
            "notice",
            Some("2026-03-05T08:15:00.000000Z"),
        ),
        ("cert_in", "report", Some("2026-03-02T14:15:00.000000Z")),
    ];
    let list = clocks(&rules, &ob, t(AWARE));
    let got: Vec<(&str, &str, Option<String>)> = list
        .iter()
        .map(|c| {
            (
                c.regime.as_str(),
                c.report.as_str(),
                c.due_at.map(|d| d.to_rfc3339()),
            )
        })
        .collect();
    let want: Vec<(&str, &str, Option<String>)> = expect
        .iter()
        .map(|(g, r, d)| (*g, *r, d.map(str::to_owned)))
        .collect();
    assert_eq!(got, want);
    let state = |regime: &str, report: &str| {
        list.iter()
            .find(|c| c.regime == regime && c.report == report)
            .unwrap()
            .state
    };
    assert_eq!(state("nis2", "intermediate_report"), ClockState::Waiting);
    assert_eq!(state("nis2", "final_report"), ClockState::Waiting);
    assert_eq!(
        state("gdpr_34", "data_subject_communication"),
        ClockState::Untimed
    );
    assert_eq!(state("cert_in", "report"), ClockState::Running);
}

#[test]
fn a_request_starts_the_nis2_intermediate_report_without_a_deadline() {
    let ob = obligations(
        &["nis2"],
        &[
            (AnchorKind::Aware, AWARE),
            (AnchorKind::Requested, "2026-03-10T12:00:00Z"),
        ],
    );
    let c = clock(&ob, "2026-03-11T00:00:00Z", "nis2", "intermediate_report");
    assert_eq!(c.state, ClockState::Untimed);
    assert_eq!(c.started_at, Some(t("2026-03-10T12:00:00Z")));
    assert_eq!(c.anchor, Some(Anchor::Moment(AnchorKind::Requested)));
    assert_eq!(c.due_at, None);
    assert_eq!(c.percent_used(t("2026-03-11T00:00:00Z")), None);
}

// ---- DORA: the earlier of two limits ----

fn dora_initial(anchors: &[(AnchorKind, &str)]) -> ClockStatus {
    clock(
        &obligations(&["dora"], anchors),
        AWARE,
        "dora",
        "initial_notification",
    )
}

#[test]
fn dora_late_classification_leaves_the_24_hour_limit() {
    let c = dora_initial(&[
        (AnchorKind::Aware, AWARE),
        (AnchorKind::ClassifiedMajor, "2026-03-03T06:00:00Z"),
    ]);
    assert_eq!(c.due_at, Some(t("2026-03-03T08:15:00Z")));
    assert_eq!(c.anchor, Some(Anchor::Moment(AnchorKind::Aware)));
    assert_eq!(c.started_at, Some(t(AWARE)));
}

#[test]
fn dora_early_classification_makes_the_4_hour_limit_bind() {
    let c = dora_initial(&[
        (AnchorKind::Aware, AWARE),
        (AnchorKind::ClassifiedMajor, "2026-03-02T09:00:00Z"),
    ]);
    assert_eq!(c.due_at, Some(t("2026-03-02T13:00:00Z")));
    assert_eq!(c.anchor, Some(Anchor::Moment(AnchorKind::ClassifiedMajor)));
    assert_eq!(c.started_at, Some(t("2026-03-02T09:00:00Z")));
}

#[test]
fn dora_with_one_anchor_uses_that_limit() {
    let aware = dora_initial(&[(AnchorKind::Aware, AWARE)]);
    assert_eq!(aware.due_at, Some(t("2026-03-03T08:15:00Z")));
    let classified = dora_initial(&[(AnchorKind::ClassifiedMajor, AWARE)]);
    assert_eq!(classified.due_at, Some(t("2026-03-02T12:15:00Z")));
    let none = dora_initial(&[(AnchorKind::Noticed, AWARE)]);
    assert_eq!(none.state, ClockState::Waiting);
    assert_eq!(
        (none.started_at, none.due_at, none.anchor),
        (None, None, None)
    );
}

#[test]
fn dora_final_report_runs_from_the_latest_intermediate_report() {
    let mut ob = obligations(&["dora"], &[(AnchorKind::Aware, AWARE)]);
    ob.submissions = vec![
        sent("dora", "initial_notification", "2026-03-02T20:00:00Z"),
        sent("dora", "intermediate_report", "2026-03-10T12:00:00Z"),
        sent("dora", "intermediate_report", "2026-03-04T10:00:00Z"),
    ];
    let intermediate = clock(&ob, "2026-03-12T00:00:00Z", "dora", "intermediate_report");
    assert_eq!(intermediate.due_at, Some(t("2026-03-05T20:00:00Z")));
    assert_eq!(intermediate.submitted_at, Some(t("2026-03-04T10:00:00Z")));
    assert_eq!(intermediate.state, ClockState::Submitted);
    let last = clock(&ob, "2026-03-12T00:00:00Z", "dora", "final_report");
    assert_eq!(last.due_at, Some(t("2026-04-10T12:00:00Z")));
    assert_eq!(
        last.anchor,
        Some(Anchor::Submitted("intermediate_report".into()))
    );
    assert_eq!(last.state, ClockState::Running);
}

#[test]
fn nis2_final_report_waits_for_the_notification() {
    let mut ob = obligations(&["nis2"], &[(AnchorKind::Aware, AWARE)]);
    let before = clock(&ob, "2026-03-04T00:00:00Z", "nis2", "final_report");
    assert_eq!(before.state, ClockState::Waiting);
    ob.submissions.push(sent(
        "nis2",
        "incident_notification",
        "2026-03-04T10:00:00Z",
    ));
    let after = clock(&ob, "2026-03-04T11:00:00Z", "nis2", "final_report");
    assert_eq!(after.state, ClockState::Running);
    assert_eq!(after.started_at, Some(t("2026-03-04T10:00:00Z")));
    assert_eq!(after.due_at, Some(t("2026-04-04T10:00:00Z")));
    let notification = clock(&ob, "2026-03-04T11:00:00Z", "nis2", "incident_notification");
    assert_eq!(notification.state, ClockState::Submitted);
}

#[test]
fn a_month_from_a_submission_on_the_31st_ends_on_the_months_last_day() {
    let mut ob = obligations(&["nis2"], &[(AnchorKind::Aware, "2026-01-29T09:00:00Z")]);
    ob.submissions.push(sent(
        "nis2",
        "incident_notification",
        "2026-01-31T17:45:00Z",
    ));
    assert_eq!(
        due(&ob, "nis2", "final_report").as_deref(),
        Some("2026-02-28T17:45:00.000000Z")
    );
}

#[test]
fn sec_form_8k_across_a_weekend_and_a_holiday() {
    let ob = obligations(
        &["sec_8k"],
        &[(AnchorKind::MaterialityDetermined, "2026-01-15T21:30:00Z")],
    );
    let c = clock(&ob, "2026-01-16T00:00:00Z", "sec_8k", "form_8k");
    assert_eq!(c.due_at, Some(t("2026-01-22T23:59:59.999999Z")));
    assert_eq!(c.state, ClockState::Running);
}

// ---- states ----

fn gdpr(now: &str, submitted: Option<&str>) -> ClockStatus {
    let mut ob = obligations(&["gdpr_33"], &[(AnchorKind::Aware, AWARE)]);
    if let Some(at) = submitted {
        ob.submissions
            .push(sent("gdpr_33", "authority_notification", at));
    }
    clock(&ob, now, "gdpr_33", "authority_notification")
}

#[test]
fn the_state_follows_now_and_the_submission() {
    let state = |now, sub| gdpr(now, sub).state;
    assert_eq!(state("2026-03-02T09:00:00Z", None), ClockState::Running);
    assert_eq!(state("2026-03-04T14:14:59Z", None), ClockState::Running);
    assert_eq!(state("2026-03-04T14:15:00Z", None), ClockState::DueSoon);
    assert_eq!(state("2026-03-05T08:15:00Z", None), ClockState::DueSoon);
    assert_eq!(
        state("2026-03-05T08:15:00.000001Z", None),
        ClockState::Overdue
    );
    let on_time = Some("2026-03-05T08:15:00Z");
    assert_eq!(
        state("2026-03-09T00:00:00Z", on_time),
        ClockState::Submitted
    );
    let late = Some("2026-03-05T09:00:00Z");
    assert_eq!(state("2026-03-09T00:00:00Z", late), ClockState::Late);
    let waiting = clock(
        &obligations(&["gdpr_33"], &[]),
        AWARE,
        "gdpr_33",
        "authority_notification",
    );
    assert_eq!(waiting.state, ClockState::Waiting);
}

#[test]
fn the_warning_point_is_three_quarters_of_the_time() {
    let c = gdpr("2026-03-02T09:00:00Z", None);
    assert_eq!(c.warn_at, Some(t("2026-03-04T14:15:00Z")));
    assert_eq!(c.percent_used(t("2026-03-02T08:00:00Z")), Some(0));
    assert_eq!(c.percent_used(t(AWARE)), Some(0));
    assert_eq!(c.percent_used(t("2026-03-04T14:14:59Z")), Some(74));
    assert_eq!(c.percent_used(t("2026-03-04T14:15:00Z")), Some(75));
    assert_eq!(c.percent_used(t("2026-03-05T08:15:00Z")), Some(100));
    assert_eq!(c.percent_used(t("2026-03-06T20:15:00Z")), Some(150));
    let done = gdpr("2026-03-02T09:00:00Z", Some("2026-03-03T00:00:00Z"));
    assert_eq!(done.percent_used(t("2026-03-06T00:00:00Z")), None);
}

#[test]
fn a_corrected_anchor_replaces_the_earlier_record() {
    let mut ob = obligations(&["gdpr_33"], &[]);
    ob.anchors = vec![
        AnchorRecord {
            anchor: AnchorKind::Aware,
            at: t("2026-03-02T08:15:00Z"),
            recorded_by: "alice".into(),
            recorded_at: t("2026-03-02T08:20:00Z"),
        },
        // Listed first but recorded later: the correction, to an earlier moment.
        AnchorRecord {
            anchor: AnchorKind::Aware,
            at: t("2026-03-01T22:00:00Z"),
            recorded_by: "bob".into(),
            recorded_at: t("2026-03-02T11:00:00Z"),
        },
    ];
    ob.anchors.reverse();
    let c = clock(
        &ob,
        "2026-03-02T12:00:00Z",
        "gdpr_33",
        "authority_notification",
    );
    assert_eq!(c.started_at, Some(t("2026-03-01T22:00:00Z")));
    assert_eq!(c.due_at, Some(t("2026-03-04T22:00:00Z")));
}

#[test]
fn a_regime_gone_from_the_rules_is_reported_as_unknown() {
    let mut ob = obligations(&["old_regime", "gdpr_33"], &[(AnchorKind::Aware, AWARE)]);
    let list = clocks(&RegulatoryRules::defaults(), &ob, t(AWARE));
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].state, ClockState::UnknownRegime);
    assert_eq!(
        (list[0].regime.as_str(), list[0].report.as_str()),
        ("old_regime", "")
    );
    assert_eq!(list[1].regime, "gdpr_33");
    ob.submissions = vec![
        sent("old_regime", "first", "2026-03-03T00:00:00Z"),
        sent("old_regime", "second", "2026-03-04T00:00:00Z"),
        sent("old_regime", "first", "2026-03-02T12:00:00Z"),
    ];
    let list = clocks(&RegulatoryRules::defaults(), &ob, t(AWARE));
    let unknown: Vec<(&str, Option<Timestamp>)> = list
        .iter()
        .filter(|c| c.state == ClockState::UnknownRegime)
        .map(|c| (c.report.as_str(), c.submitted_at))
        .collect();
    assert_eq!(
        unknown,
        [
            ("first", Some(t("2026-03-02T12:00:00Z"))),
            ("second", Some(t("2026-03-04T00:00:00Z")))
        ]
    );
}

#[test]
fn clocks_follow_regime_then_report_order_once_per_regime() {
    let ob = obligations(&["gdpr_33", "nis2", "gdpr_33"], &[]);
    let list = clocks(&RegulatoryRules::defaults(), &ob, t(AWARE));
    let order: Vec<(&str, &str)> = list
        .iter()
        .map(|c| (c.regime.as_str(), c.report.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("gdpr_33", "authority_notification"),
            ("nis2", "early_warning"),
            ("nis2", "incident_notification"),
            ("nis2", "intermediate_report"),
            ("nis2", "final_report"),
        ]
    );
    assert!(
        clocks(
            &RegulatoryRules::defaults(),
            &Obligations::default(),
            t(AWARE)
        )
        .is_empty()
    );
    assert!(Obligations::default().is_empty());
    assert!(!ob.is_empty());
}

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
