use rampart_domain::{Actor, IncidentNumber, NoticeKind, Role, Timestamp};
use serde_json::{Value, json};

use crate::ErrorKind;
use crate::testing::{TestApp, from_json};

fn phishing() -> Value {
    json!({"id": "phishing-response", "title": "Phishing response",
    "categories": ["malware"],
    "rsit_types": [{"class": "fraud", "type": "phishing"}],
    "steps": [
        {"what": "Block the sender domain", "owner_role": "isirt_member", "due_minutes": 60},
        {"what": "Reset the passwords of those who clicked", "owner_role": "isirt_manager",
         "due_minutes": 240, "requires_approval": true},
        {"what": "Tell staff what to look out for", "owner_role": "crisis_manager"}
    ]})
}

async fn setup() -> (TestApp, Actor, Actor, Actor) {
    let t = TestApp::new().await;
    let pat = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    t.app
        .create_playbook(&mia, from_json(phishing()))
        .await
        .unwrap();
    (t, pat, ian, mia)
}

fn due_after(applied: Timestamp, due: Option<Timestamp>) -> Option<i64> {
    due.map(|d| (d.as_offset() - applied.as_offset()).whole_minutes())
}

#[tokio::test]
async fn a_playbook_applied_at_confirmation_plans_its_actions_due_from_then_and_keeps_them() {
    let (t, pat, ian, mia) = setup().await;
    let event = t.escalated_event(&pat, "Invoice lure").await;
    let proposed = t
        .app
        .proposed_playbooks(&ian, rampart_domain::Category::MALWARE, None)
        .await
        .unwrap();
    assert_eq!(proposed.len(), 1, "proposed for its category");
    t.clock.advance(time::Duration::minutes(30));
    let confirmation = from_json(json!({
        "events": [event], "title": "Invoice lure", "category": "malware", "effort": "low",
        "severity": {"system_importance": "important", "business_loss": "serious",
                     "social_impact": "minor"},
        "coordinator": "ian", "playbooks": ["phishing-response"],
    }));
    let incident = t.app.confirm_incident(&ian, confirmation).await.unwrap();
    let at = incident.confirmed_at;
    let owners: Vec<&str> = incident.actions.iter().map(|a| a.owner.as_str()).collect();
    assert_eq!(owners, ["ian", "ISIRT manager", "Crisis manager"]);
    let dues: Vec<Option<i64>> = incident
        .actions
        .iter()
        .map(|a| due_after(at, a.due))
        .collect();
    assert_eq!(dues, [Some(60), Some(240), None]);
    assert!(incident.actions[1].requires_approval);
    assert_eq!(incident.playbooks[0].version, 1);
    assert_eq!(incident.playbooks[0].actions, [1, 2, 3]);

    // A later version changes what the next incident gets, not this one.
    let mut v2 = phishing();
    v2.as_object_mut().unwrap().remove("id");
    v2["steps"][0]["due_minutes"] = json!(15);
    v2["note"] = json!("block faster");
    let revised = t
        .app
        .revise_playbook(&mia, "phishing-response", from_json(v2))
        .await;
    assert_eq!(revised.unwrap().versions.len(), 2);
    let kept = t.app.get_incident(&ian, incident.number).await.unwrap();
    assert_eq!(kept.actions, incident.actions);
    assert_eq!(kept.playbooks[0].version, 1);

    // Applied once only.
    let again = from_json(json!({"playbook": "phishing-response"}));
    let refused = t.app.apply_playbook(&ian, incident.number, again).await;
    assert!(refused.unwrap_err().to_string().contains("applied already"));
}

#[tokio::test]
async fn a_playbook_applied_later_is_due_from_then_in_the_version_asked_for() {
    let (t, pat, ian, mia) = setup().await;
    let n: IncidentNumber = t.incident(&pat, &ian).await;
    let mut v2 = phishing();
    v2["steps"][0]["due_minutes"] = json!(15);
    t.app
        .revise_playbook(&mia, "phishing-response", from_json(v2))
        .await
        .unwrap();
    t.clock.advance(time::Duration::hours(2));
    let apply = from_json(json!({"playbook": "phishing-response", "version": 1}));
    let applied = t.app.apply_playbook(&ian, n, apply).await.unwrap();
    assert_eq!(applied.version, 1);
    let incident = t.app.get_incident(&ian, n).await.unwrap();
    assert_eq!(
        due_after(applied.applied_at, incident.actions[0].due),
        Some(60)
    );
    assert_eq!(
        t.actions(n).await.last().map(String::as_str),
        Some("incident.playbook_applied")
    );
    let missing = from_json(json!({"playbook": "phishing-response", "version": 9}));
    let err = t.app.apply_playbook(&ian, n, missing).await.unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");
}

#[tokio::test]
async fn bad_playbooks_are_named_by_field_and_only_managers_write_them() {
    let (t, _pat, ian, mia) = setup().await;
    let refused = t.app.create_playbook(&ian, from_json(phishing())).await;
    assert_eq!(refused.unwrap_err().kind(), ErrorKind::Forbidden);
    let exists = t.app.create_playbook(&mia, from_json(phishing())).await;
    assert_eq!(exists.unwrap_err().kind(), ErrorKind::Conflict);
    for (change, field) in [
        (json!({"id": "Bad Id"}), "id"),
        (json!({"steps": []}), "steps"),
        (
            json!({"steps": [{"what": "x", "owner_role": "auditor"}]}),
            "steps[0].owner_role",
        ),
        (
            json!({"steps": [{"what": "x", "owner_role": "isirt_member", "due_minutes": 0}]}),
            "steps[0].due_minutes",
        ),
        (
            json!({"steps": [{"what": "x", "owner_role": "isirt_member", "procedure": "no-such-plan#x"}]}),
            "steps[0].procedure",
        ),
        (
            json!({"categories": ["malware", "malware"]}),
            "categories[1]",
        ),
    ] {
        let mut body = phishing();
        body["id"] = json!("another");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let err = t
            .app
            .create_playbook(&mia, from_json(body))
            .await
            .unwrap_err();
        assert!(err.to_string().contains(field), "{field}: {err}");
    }
    assert_eq!(t.app.playbooks(&ian).await.unwrap().len(), 1);
    let same = t
        .app
        .revise_playbook(&mia, "phishing-response", from_json(phishing()))
        .await;
    assert!(same.unwrap_err().to_string().contains("changes nothing"));
}

#[tokio::test]
async fn the_coordinator_is_given_the_member_steps_and_reminded_when_they_are_due() {
    let (t, pat, ian, mia) = setup().await;
    let n = t.incident(&pat, &ian).await;
    let apply = from_json(json!({"playbook": "phishing-response"}));
    t.app.apply_playbook(&mia, n, apply).await.unwrap();
    let first = told_once(&t, &ian, NoticeKind::ActionAssigned).await;
    let assigned = first.iter().filter(|k| **k == NoticeKind::ActionAssigned);
    assert_eq!(
        assigned.count(),
        1,
        "only the member's step is ian's: {first:?}"
    );

    t.clock.advance(time::Duration::minutes(61));
    let later = told_once(&t, &ian, NoticeKind::ActionOverdue).await;
    assert!(later.contains(&NoticeKind::ActionOverdue), "{later:?}");
}

/// What `who` was told, once a notice of `kind` is among it: the jobs that
/// tell run in the background too, so they are run here until it is (at
/// most two seconds).
async fn told_once(t: &TestApp, who: &Actor, kind: NoticeKind) -> Vec<NoticeKind> {
    let mut kinds = vec![];
    for _ in 0..100 {
        t.app.run_due_jobs().await;
        let page = t.app.notifications(who, false, None, 50).await.unwrap();
        kinds = page.items.iter().map(|i| i.kind).collect();
        if kinds.contains(&kind) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    kinds
}
