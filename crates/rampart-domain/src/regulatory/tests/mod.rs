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

mod clocks;
mod validation;
