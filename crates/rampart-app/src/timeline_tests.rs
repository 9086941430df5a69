use rampart_domain::{Role, Timestamp};
use serde_json::json;

use super::*;
use crate::ErrorKind;
use crate::testing::{TestApp, from_json};

fn minutes(n: i64) -> time::Duration {
    time::Duration::minutes(n)
}

#[tokio::test]
async fn the_timeline_merges_the_log_with_the_journal_once_each() {
    let t = TestApp::new().await;
    let poc = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let n = t.incident(&poc, &ian).await;
    t.clock.advance(minutes(10));
    let patch = json!({"severity": {"system_importance": "particularly_important", "business_loss": "serious",
                                    "social_impact": "minor"}});
    t.app
        .patch_incident(&ian, n, from_json(patch))
        .await
        .unwrap();
    t.clock.advance(minutes(10));
    let action = json!({"what": "Isolate the host", "owner": "ian", "requires_approval": true});
    t.app.add_action(&ian, n, from_json(action)).await.unwrap();
    t.clock.advance(minutes(10));
    let approval = json!({"approved_by": "Olga (system owner)",
                          "approved_at": "2026-11-22T09:45:00Z", "approval_reason": "outage window"});
    t.app
        .update_action(&ian, n, 1, from_json(approval))
        .await
        .unwrap();
    t.clock.advance(minutes(10));
    let observable = json!({"type": "domain", "value": "evil.example"});
    t.app
        .add_observable(&ian, n, from_json(observable))
        .await
        .unwrap();
    t.clock.advance(minutes(10));
    let early = json!({"action": "Called the helpdesk", "occurred_at": "2026-11-22T09:35:00Z"});
    t.app.add_log(&ian, n, from_json(early)).await.unwrap();

    let tl = t
        .app
        .incident_timeline(&ian, n, TimelineOrder::Occurred)
        .await
        .unwrap();
    let texts: Vec<&str> = tl.items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "added observable domain evil.example",
            "planned action 1: Isolate the host",
            "Olga (system owner) approved action 1: Isolate the host",
            "updated severity",
            "Called the helpdesk",
            texts[5],
        ],
        "newest first by when it happened"
    );
    assert!(texts[5].starts_with("confirmed as an incident"));
    assert!(!tl.truncated);

    let change = &tl.items[3];
    assert_eq!(change.kind, TimelineKind::Change);
    assert!(change.log_id.is_some() && change.journal_seq.is_some());
    assert_eq!(change.details.len(), 1);
    assert!(
        change.details[0].starts_with("severity: "),
        "{:?}",
        change.details
    );
    assert!(change.details[0].contains(" → "), "{:?}", change.details);
    let approval = &tl.items[2];
    assert_eq!(approval.kind, TimelineKind::Approval);
    assert_eq!(approval.reason.as_deref(), Some("outage window"));
    assert_eq!(
        approval.occurred_at,
        Timestamp::parse("2026-11-22T09:45:00Z").unwrap()
    );

    let recorded = t
        .app
        .incident_timeline(&ian, n, TimelineOrder::Recorded)
        .await
        .unwrap();
    let texts: Vec<&str> = recorded.items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(texts[0], "Called the helpdesk");
    assert_eq!(
        texts[2],
        "Olga (system owner) approved action 1: Isolate the host"
    );
    assert_eq!(recorded.items.len(), tl.items.len());
}

#[tokio::test]
async fn the_timeline_keeps_need_to_know() {
    let t = TestApp::new().await;
    let poc = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let other = t.user("oli", &[Role::IsirtMember]).await;
    let n = t.incident(&poc, &ian).await;
    t.app
        .restrict_incident(&ian, n, vec!["ian".into()])
        .await
        .unwrap();
    let tl = t
        .app
        .incident_timeline(&ian, n, TimelineOrder::Occurred)
        .await
        .unwrap();
    assert_eq!(tl.items[0].kind, TimelineKind::Restriction);
    assert_eq!(tl.items[0].text, "restricted to ian");
    let hidden = t
        .app
        .incident_timeline(&other, n, TimelineOrder::Occurred)
        .await;
    assert_eq!(hidden.unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn values_read_plainly_and_long_ones_are_cut() {
    assert_eq!(readable(&json!(null)), "none");
    assert_eq!(readable(&json!(["a", "b"])), "a, b");
    assert_eq!(readable(&json!("very_high")), "very high");
    let severity = json!({"class": "II", "label": "Serious",
        "factors": {"system_importance": "important", "business_loss": "serious"}});
    assert_eq!(
        readable(&severity),
        "Serious (business loss serious · system importance important)"
    );
    let long = "x".repeat(200);
    let cut = shorten(&long);
    assert_eq!(cut.chars().count(), VALUE_CHARS);
    assert!(cut.ends_with('…'));
    let change = FieldChange {
        before: json!("a\nb"),
        after: json!(true),
    };
    assert_eq!(field_change("cia_impact", &change), "cia impact: a b → yes");
    let before =
        json!({"class": "II", "label": "Serious", "factors": {"system_importance": "important"}});
    let after = json!({"class": "I", "label": "Critical", "factors": {"system_importance": "particularly_important"}});
    assert_eq!(
        field_change("severity", &FieldChange { before, after }),
        "severity: class II → I · system importance important → particularly important"
    );
}

#[tokio::test]
async fn observable_changes_and_the_lifted_restriction_read_plainly_and_the_cut_is_said() {
    let t = TestApp::new().await;
    let poc = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let n = t.incident(&poc, &ian).await;
    let observable = json!({"type": "ip", "value": "203.0.113.7"});
    t.app
        .add_observable(&ian, n, from_json(observable))
        .await
        .unwrap();
    t.clock.advance(minutes(1));
    let change = json!({"ioc": true, "tlp": "RED"});
    t.app
        .update_observable(&ian, n, 1, from_json(change))
        .await
        .unwrap();
    t.clock.advance(minutes(1));
    t.app.remove_observable(&ian, n, 1, None).await.unwrap();
    t.clock.advance(minutes(1));
    t.app
        .restrict_incident(&ian, n, vec!["ian".into()])
        .await
        .unwrap();
    t.clock.advance(minutes(1));
    t.app.restrict_incident(&ian, n, vec![]).await.unwrap();

    let tl = t
        .app
        .incident_timeline(&ian, n, TimelineOrder::Occurred)
        .await
        .unwrap();
    let texts: Vec<&str> = tl.items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(
        &texts[..5],
        [
            "lifted the restriction: everyone who may read incidents sees it",
            "restricted to ian",
            "removed observable ip 203.0.113.7",
            "changed observable ip 203.0.113.7",
            "added observable ip 203.0.113.7",
        ]
    );
    assert_eq!(tl.items[3].details, ["TLP: AMBER → RED", "IOC: no → yes"]);

    let incident = t.app.get_incident(&ian, n).await.unwrap();
    let cut = merge(&incident, &[], TimelineOrder::Occurred, 0);
    assert!(cut.truncated && cut.items.is_empty());
    let whole = merge(&incident, &[], TimelineOrder::Occurred, TIMELINE_LIMIT);
    assert!(!whole.truncated);
}
