use super::*;

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
