use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::{
    Actor, AssessmentInput, EventNumber, EventReport, IncidentConfirmation, IncidentNumber, Role,
    TransitionRequest,
};

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn poc() -> Actor {
    Actor::new("pat", vec![Role::Poc, Role::IsirtMember])
}

fn event(severity: Option<&str>) -> Event {
    let report: EventReport = serde_json::from_value(
        json!({"title": "odd login", "description": "x", "severity": severity}),
    )
    .unwrap();
    Event::report(
        EventNumber::new(2026, 1).unwrap(),
        report,
        &poc(),
        at("2026-03-02T08:00:00Z"),
    )
}

fn incident(aware: &str) -> Incident {
    let mut e = event(None);
    e.status = EventStatus::Escalated;
    let input: IncidentConfirmation = serde_json::from_value(json!({
        "events": [e.number], "title": "t", "category": "malware",
        "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
        "effort": "low", "coordinator": "pat", "aware_at": aware}))
    .unwrap();
    Incident::confirm(
        IncidentNumber::new(2026, 1).unwrap(),
        input,
        &mut [e],
        &poc(),
        at("2026-03-02T09:00:00Z"),
    )
    .unwrap()
}

fn stage(measures: &[Measure], stage: Stage) -> &Measure {
    measures.iter().find(|m| m.stage == stage).unwrap()
}

#[test]
fn the_shipped_table_is_valid_and_has_every_class() {
    let t = ResponseTargets::default();
    t.validate().unwrap();
    assert_eq!(t.class(SeverityClass::IV).triage_minutes, 15);
    assert_eq!(t.class(SeverityClass::I).close_minutes, 30 * 24 * 60);
}

#[test]
fn a_table_with_a_missing_class_bad_minutes_or_stages_out_of_order_is_refused() {
    let mut t = ResponseTargets::default();
    t.classes.remove(0);
    t.classes[0].triage_minutes = 0;
    t.classes[1].assess_minutes = t.classes[1].triage_minutes - 1;
    t.classes[2].close_minutes = MAX_TARGET_MINUTES + 1;
    let DomainError::Invalid(problems) = t.validate().unwrap_err() else {
        panic!("not a validation error");
    };
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert!(fields.contains(&"classes"), "{fields:?}");
    assert!(fields.contains(&"classes[0].triage_minutes"), "{fields:?}");
    assert!(fields.contains(&"classes[1].assess_minutes"), "{fields:?}");
    assert!(fields.contains(&"classes[2].close_minutes"), "{fields:?}");
    let mut twice = ResponseTargets::default();
    twice.classes.push(twice.classes[0]);
    assert!(twice.validate().is_err());
}

#[test]
fn an_event_is_measured_in_its_provisional_class_from_the_report() {
    let t = ResponseTargets::default();
    let critical = event(Some("critical"));
    assert_eq!(event_class(&critical), SeverityClass::IV);
    assert_eq!(event_class(&event(Some("low"))), SeverityClass::I);
    assert_eq!(event_class(&event(None)), SeverityClass::II);
    // Class IV: triage in 15 minutes, assessment in 30.
    let m = t.event(&critical, at("2026-03-02T08:12:00Z"));
    assert_eq!(m.len(), 2);
    let triage = stage(&m, Stage::Triage);
    assert_eq!(triage.due_at, at("2026-03-02T08:15:00Z"));
    assert_eq!(triage.state, TargetState::DueSoon);
    assert_eq!((triage.used_seconds, triage.left_seconds), (720, 180));
    assert_eq!(stage(&m, Stage::Assess).state, TargetState::OnTrack);
    let late = t.event(&critical, at("2026-03-02T08:20:00Z"));
    assert_eq!(stage(&late, Stage::Triage).state, TargetState::Overdue);
    assert_eq!(stage(&late, Stage::Triage).left_seconds, -300);
}

#[test]
fn triage_assessment_and_confirmation_are_met_or_missed_when_done() {
    let t = ResponseTargets::default();
    let mut e = event(Some("critical"));
    e.begin_triage(&poc(), at("2026-03-02T08:05:00Z")).unwrap();
    assert_eq!(Running::of_event(&e).unwrap().stage, Stage::Assess);
    let input: AssessmentInput =
        serde_json::from_value(json!({"decision": "possible_incident", "escalate": true})).unwrap();
    e.assess(input, &poc(), at("2026-03-02T08:40:00Z")).unwrap();
    let m = t.event(&e, at("2026-03-02T08:41:00Z"));
    assert_eq!(stage(&m, Stage::Triage).state, TargetState::Met);
    assert_eq!(stage(&m, Stage::Assess).state, TargetState::Missed);
    let confirm = stage(&m, Stage::Confirm);
    assert_eq!(confirm.state, TargetState::OnTrack);
    assert_eq!(confirm.due_at, at("2026-03-02T09:00:00Z"));
    let running = Running::of_event(&e).unwrap();
    assert_eq!(
        (running.stage, running.class),
        (Stage::Confirm, SeverityClass::IV)
    );
    e.reject(
        crate::Text::new("a test").unwrap(),
        &poc(),
        at("2026-03-02T08:55:00Z"),
    )
    .unwrap();
    assert_eq!(
        stage(&t.event(&e, at("2026-03-02T10:00:00Z")), Stage::Confirm).state,
        TargetState::Met
    );
    assert_eq!(Running::of_event(&e), None);
}

#[test]
fn a_significant_flag_lifts_an_event_to_class_three() {
    let mut e = event(Some("low"));
    let input: AssessmentInput =
        serde_json::from_value(json!({"decision": "possible_incident", "escalate": true})).unwrap();
    e.assess(input, &poc(), at("2026-03-02T08:10:00Z")).unwrap();
    assert_eq!(event_class(&e), SeverityClass::III);
}

#[test]
fn an_incident_is_measured_from_awareness_and_its_closure_runs_again_when_reopened() {
    let t = ResponseTargets::default();
    let mut i = incident("2026-03-02T08:30:00Z");
    // Class III: contain in a day, close in a week.
    let m = t.incident(&i, at("2026-03-03T03:00:00Z"));
    assert_eq!(stage(&m, Stage::Confirm).state, TargetState::Met);
    let contain = stage(&m, Stage::Contain);
    assert_eq!(contain.due_at, at("2026-03-03T08:30:00Z"));
    assert_eq!(contain.warn_at, at("2026-03-03T02:30:00Z"));
    assert_eq!(contain.state, TargetState::DueSoon);
    assert_eq!(Running::of_incident(&i).unwrap().stage, Stage::Contain);
    for (to, when) in [
        ("responding", "2026-03-02T10:00:00Z"),
        ("recovering", "2026-03-02T12:00:00Z"),
    ] {
        let req: TransitionRequest =
            serde_json::from_value(json!({"to": to, "reason": "r"})).unwrap();
        i.transition(req, &poc(), at(when)).unwrap();
    }
    assert_eq!(
        stage(&t.incident(&i, at("2026-03-05T00:00:00Z")), Stage::Contain).state,
        TargetState::Met
    );
    assert_eq!(Running::of_incident(&i).unwrap().stage, Stage::Close);
    let req: TransitionRequest =
        serde_json::from_value(json!({"to": "closed", "reason": "done", "resolution": "cleaned"}))
            .unwrap();
    i.transition(req, &poc(), at("2026-03-10T08:30:00Z"))
        .unwrap();
    let closed = t.incident(&i, at("2026-03-11T00:00:00Z"));
    assert_eq!(stage(&closed, Stage::Close).state, TargetState::Missed);
    assert_eq!(Running::of_incident(&i), None);
    let reopen: TransitionRequest =
        serde_json::from_value(json!({"to": "responding", "reason": "it came back"})).unwrap();
    i.transition(reopen, &poc(), at("2026-03-12T00:00:00Z"))
        .unwrap();
    assert_eq!(
        stage(&t.incident(&i, at("2026-03-12T00:00:00Z")), Stage::Close).state,
        TargetState::Overdue
    );
}

#[test]
fn lanes_select_exactly_the_records_in_each_state() {
    let t = ResponseTargets::default();
    let i = incident("2026-03-02T08:30:00Z");
    let running = Running::of_incident(&i).unwrap();
    for (now, expected) in [
        ("2026-03-02T20:00:00Z", TargetState::OnTrack),
        ("2026-03-03T03:00:00Z", TargetState::DueSoon),
        ("2026-03-03T08:30:00Z", TargetState::Overdue),
    ] {
        let now = at(now);
        let measured = stage(&t.incident(&i, now), Stage::Contain).state;
        assert_eq!(measured, expected);
        for state in TargetState::RUNNING {
            let hit = t
                .lanes(Measured::Incident, Some(state), now)
                .iter()
                .any(|l| {
                    l.key == running.key()
                        && l.from_min.is_none_or(|m| running.from_seconds() >= m)
                        && l.from_max.is_none_or(|m| running.from_seconds() <= m)
                });
            assert_eq!(hit, state == expected, "{state} at {now}");
        }
    }
    assert_eq!(
        t.lanes(Measured::Event, None, at("2026-03-02T00:00:00Z"))
            .len(),
        12
    );
    assert_eq!(
        t.lanes(Measured::Incident, None, at("2026-03-02T00:00:00Z"))
            .len(),
        8
    );
}

proptest! {
    #[test]
    fn every_running_record_is_in_exactly_one_lane(start in 0i64..2_000_000_000, age in 0i64..40_000_000, class in 0usize..4) {
        let t = ResponseTargets::default();
        let running = Running {
            stage: Stage::Contain,
            class: SeverityClass::ALL[class],
            from: Timestamp::from_unix(start).unwrap(),
        };
        let now = Timestamp::from_unix(start + age).unwrap();
        let hits = TargetState::RUNNING
            .iter()
            .flat_map(|s| t.lanes(Measured::Incident, Some(*s), now))
            .filter(|l| {
                l.key == running.key()
                    && l.from_min.is_none_or(|m| start >= m)
                    && l.from_max.is_none_or(|m| start <= m)
            })
            .count();
        prop_assert_eq!(hits, 1);
    }
}
