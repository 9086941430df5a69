use rampart_domain::{Actor, NoticeKind, Role, Timestamp};
use serde_json::json;

use super::{CoverInput, HandoverInput, TeamInput};
use crate::ErrorKind;
use crate::testing::{TestApp, from_json};

async fn told(t: &TestApp, who: &Actor) -> Vec<NoticeKind> {
    let page = t.app.notifications(who, false, None, 50).await.unwrap();
    page.items.into_iter().map(|i| i.kind).collect()
}

/// The ISIRT's rota: ian from 08:00 to 20:00, ivy from 20:00 to 08:00.
fn rota_team(starts_at: Timestamp) -> TeamInput {
    from_json(json!({
        "id": "ict-isirt", "name": "ICT ISIRT", "duty": "isirt", "lead": "mia",
        "members": ["ian", "ivy", "max"],
        "rotation": {"people": ["ian", "ivy"], "shift_hours": 12, "starts_at": starts_at},
    }))
}

#[tokio::test]
async fn an_escalated_event_is_told_to_whoever_is_on_isirt_duty_at_that_instant() {
    let t = TestApp::new().await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let ivy = t.user("ivy", &[Role::IsirtMember]).await;
    let max = t.user("max", &[Role::IsirtMember]).await;
    let pat = t.user("pat", &[Role::Poc]).await;
    // The clock starts at 2026-11-22 09:30; the rotation at 08:00 that day.
    let start = Timestamp::parse("2026-11-22T08:00:00Z").unwrap();
    t.app.create_team(&mia, rota_team(start)).await.unwrap();

    // 19:59:30, ian's shift: ian is told, ivy is not.
    t.clock
        .set(Timestamp::parse("2026-11-22T19:59:30Z").unwrap());
    t.escalated_event(&pat, "Odd logins before the hand-over")
        .await;
    // The jobs run after the shift changed: what counts is when it was escalated.
    t.clock.advance(time::Duration::minutes(5));
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    assert_eq!(told(&t, &ian).await, [NoticeKind::EventEscalated]);
    assert!(told(&t, &ivy).await.is_empty());

    // Ian hands over to ivy; the next escalation is hers.
    let handover: HandoverInput = from_json(json!({
        "to": "ivy", "note": "One escalated event waiting; mail gateway noisy",
    }));
    let team = t.app.hand_over(&ian, "ict-isirt", handover).await.unwrap();
    assert_eq!(team.on_duty.unwrap().person, "ivy");
    t.escalated_event(&pat, "Odd logins after the hand-over")
        .await;
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    assert_eq!(told(&t, &ivy).await, [NoticeKind::EventEscalated]);
    assert_eq!(told(&t, &ian).await, [NoticeKind::EventEscalated]);

    // A cover puts max on duty: he is told, the rotation's person is not.
    let now = t.app.clock.now();
    let cover = CoverInput {
        person: "max".into(),
        from: now,
        until: Timestamp::from_offset(now.as_offset() + time::Duration::hours(1)),
        reason: None,
    };
    t.app.add_cover(&mia, "ict-isirt", cover).await.unwrap();
    t.escalated_event(&pat, "A third one").await;
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    assert_eq!(told(&t, &ivy).await.len(), 1);
    assert_eq!(told(&t, &max).await, [NoticeKind::EventEscalated]);
    // The manager hears of each, as one escalated as looking significant.
    assert_eq!(told(&t, &mia).await.len(), 3);
    assert_eq!(
        t.actions("team:ict-isirt").await,
        ["team.created", "team.handover", "team.cover_added"]
    );
}

#[tokio::test]
async fn without_anyone_on_duty_every_member_is_told() {
    let t = TestApp::new().await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let ivy = t.user("ivy", &[Role::IsirtMember]).await;
    t.user("max", &[Role::IsirtMember]).await;
    let pat = t.user("pat", &[Role::Poc]).await;
    // The rotation starts tomorrow: nobody is on duty yet.
    let later = Timestamp::parse("2026-11-23T08:00:00Z").unwrap();
    t.app.create_team(&mia, rota_team(later)).await.unwrap();
    t.escalated_event(&pat, "Before the rota starts").await;
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    assert_eq!(told(&t, &ian).await, [NoticeKind::EventEscalated]);
    assert_eq!(told(&t, &ivy).await, [NoticeKind::EventEscalated]);
}

#[tokio::test]
async fn teams_refuse_what_is_not_theirs_to_do() {
    let t = TestApp::new().await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let ivy = t.user("ivy", &[Role::IsirtMember]).await;
    let rita = t.user("rita", &[Role::Reporter]).await;
    t.user("max", &[Role::IsirtMember]).await;
    let start = Timestamp::parse("2026-11-22T08:00:00Z").unwrap();
    let made = t.app.create_team(&ian, rota_team(start)).await;
    assert_eq!(made.unwrap_err().kind(), ErrorKind::Forbidden);
    let bad: TeamInput = from_json(json!({
        "id": "ict-isirt", "name": "ICT ISIRT", "duty": "isirt", "lead": "mia",
        "members": ["nobody"],
    }));
    let err = t.app.create_team(&mia, bad).await.unwrap_err();
    assert!(err.to_string().contains("members"), "{err}");
    t.app.create_team(&mia, rota_team(start)).await.unwrap();
    assert_eq!(
        t.app.teams(&rita).await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    // Only a member hands over; not to oneself, not to an outsider.
    let to = |who: &str| -> HandoverInput { from_json(json!({"to": who, "note": "n"})) };
    let olga = t.user("olga", &[Role::IsirtMember]).await;
    assert_eq!(
        t.app
            .hand_over(&olga, "ict-isirt", to("ian"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Forbidden
    );
    assert_eq!(
        t.app
            .hand_over(&ian, "ict-isirt", to("ian"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
    assert_eq!(
        t.app
            .hand_over(&ivy, "ict-isirt", to("rita"))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
    let missing: HandoverInput =
        from_json(json!({"to": "ivy", "note": "n", "incidents": ["INC-2026-0099"]}));
    assert_eq!(
        t.app
            .hand_over(&ian, "ict-isirt", missing)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Invalid
    );
}

#[tokio::test]
async fn a_rung_of_the_ladder_can_name_whoever_is_on_duty() {
    use rampart_domain::{EscalationStep, Recipient};
    let t = TestApp::new().await;
    let admin = t.user("adm", &[Role::Admin]).await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    let ian = t.user("ian", &[Role::IsirtMember, Role::Poc]).await;
    let ivy = t.user("ivy", &[Role::IsirtMember]).await;
    t.user("max", &[Role::IsirtMember]).await;
    let mut targets = (*t.app.targets().await.unwrap()).clone();
    targets.escalation = vec![EscalationStep {
        at_percent: 100,
        notify: vec![Recipient::OnDuty],
        class_at_least: None,
    }];
    t.app.replace_targets(&admin, targets).await.unwrap();
    let start = Timestamp::parse("2026-11-22T08:00:00Z").unwrap();
    t.app.create_team(&mia, rota_team(start)).await.unwrap();
    let number = t.incident(&ian, &ian).await;
    // Long after every target of the incident: whoever is on duty then is told.
    t.clock.advance(time::Duration::days(40));
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    let team = t.app.team(&mia, "ict-isirt").await.unwrap();
    let on_duty = team.on_duty.unwrap().person;
    let (told_one, other) = if on_duty == "ian" {
        (&ian, &ivy)
    } else {
        (&ivy, &ian)
    };
    assert!(
        told(&t, told_one)
            .await
            .contains(&NoticeKind::DeadlineEscalated),
        "{on_duty} on duty, not told of {number}"
    );
    assert!(
        !told(&t, other)
            .await
            .contains(&NoticeKind::DeadlineEscalated)
    );
}

#[tokio::test]
async fn a_persons_report_is_told_to_the_point_of_contact_on_duty_only() {
    let t = TestApp::new().await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    let pat = t.user("pat", &[Role::Poc]).await;
    let paula = t.user("paula", &[Role::Poc]).await;
    let rita = t.user("rita", &[Role::Reporter]).await;
    // Without a rota nobody is told of each report.
    t.app
        .report_event(&rita, crate::testing::report("Before any rota"))
        .await
        .unwrap();
    t.app.run_due_jobs().await;
    assert!(told(&t, &pat).await.is_empty());
    let desk: TeamInput = from_json(json!({
        "id": "service-desk", "name": "Service desk", "duty": "poc", "lead": "pat",
        "members": ["pat", "paula"],
        "rotation": {"people": ["pat", "paula"], "shift_hours": 12,
                     "starts_at": "2026-11-22T08:00:00Z"},
    }));
    t.app.create_team(&mia, desk).await.unwrap();
    // 09:30: pat's shift.
    t.app
        .report_event(
            &rita,
            crate::testing::report("A stranger in the server room"),
        )
        .await
        .unwrap();
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    assert_eq!(told(&t, &pat).await, [NoticeKind::EventReported]);
    assert!(told(&t, &paula).await.is_empty());
    assert!(told(&t, &mia).await.is_empty());
}
