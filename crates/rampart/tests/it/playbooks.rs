//! Playbooks over the API, on both backends: created and revised by a
//! manager, applied at confirmation (due from it) and later, the version
//! applied recorded and its actions kept through later versions; bad input
//! named by field; the records check replays playbooks and incidents.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, escalated_event, fields, incident};

crate::on_both_backends!(a_playbook_plans_the_actions_of_the_version_applied);

fn minutes(from: &Value, to: &Value) -> i64 {
    let at = |v: &Value| {
        time::OffsetDateTime::parse(
            v.as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    (at(to) - at(from)).whole_minutes()
}

async fn a_playbook_plans_the_actions_of_the_version_applied(app: TestApp) {
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let pat = app.user("pat", &[Role::Poc]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let book = json!({"id": "phishing-response", "title": "Phishing response",
    "categories": ["malware"], "rsit_types": [{"class": "fraud", "type": "phishing"}],
    "steps": [
        {"what": "Block the sender domain", "owner_role": "isirt_member", "due_minutes": 60},
        {"what": "Reset passwords", "owner_role": "isirt_manager", "due_minutes": 240,
         "requires_approval": true}
    ]});
    let (status, _) = app.post("/api/v1/playbooks", &ian, book.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let before = app.journal_len().await;
    for (change, field) in [
        (json!({"steps": []}), "steps"),
        (
            json!({"rsit_types": [{"class": "fraud", "type": "nonsense"}]}),
            "rsit_types[0]",
        ),
        (
            json!({"steps": [{"what": "x", "owner_role": "admin"}]}),
            "steps[0].owner_role",
        ),
        (
            json!({"steps": [{"what": "x", "owner_role": "poc", "due_minutes": -5}]}),
            "steps[0].due_minutes",
        ),
    ] {
        let mut body = book.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, problem) = app.post("/api/v1/playbooks", &mia, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert!(
            fields(&problem).iter().any(|f| f.starts_with(field)),
            "{field}: {problem}"
        );
    }
    assert_eq!(app.journal_len().await, before, "nothing changed");
    app.post_ok("/api/v1/playbooks", &mia, book.clone(), StatusCode::CREATED)
        .await;

    let event = escalated_event(&app, &pat, "Invoice lure").await;
    let confirmed = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            json!({"events": [event], "title": "Invoice lure", "category": "malware",
                "effort": "low", "coordinator": "ian", "playbooks": ["phishing-response"],
                "severity": {"system_importance": "important", "business_loss": "serious",
                             "social_impact": "minor"}}),
            StatusCode::CREATED,
        )
        .await;
    let actions = confirmed["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 2);
    assert_eq!(minutes(&confirmed["confirmed_at"], &actions[0]["due"]), 60);
    assert_eq!(actions[0]["owner"], "ian");
    assert_eq!(confirmed["playbooks"][0]["version"], 1);

    let mut v2 = book.clone();
    v2.as_object_mut().unwrap().remove("id");
    v2["steps"][0]["due_minutes"] = json!(15);
    let (status, revised) = app
        .call(
            Method::PUT,
            "/api/v1/playbooks/phishing-response",
            Some(&mia),
            Some(v2),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revised}");
    assert_eq!(revised["versions"].as_array().unwrap().len(), 2);
    let n = confirmed["number"].as_str().unwrap();
    let (_, kept) = app.get(&format!("/api/v1/incidents/{n}"), &ian).await;
    assert_eq!(
        kept["actions"], confirmed["actions"],
        "a later version changes nothing applied"
    );

    // Applied later to another incident: version 2, due from then.
    let other = incident(&app, &pat, &ian, "ian", "Second lure").await;
    let path = format!("/api/v1/incidents/{other}/playbooks");
    let (status, _) = app
        .post(&path, &pat, json!({"playbook": "phishing-response"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .post(&path, &ian, json!({"playbook": "no-such-book"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let applied = app
        .post_ok(
            &path,
            &ian,
            json!({"playbook": "phishing-response"}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(applied["version"], 2);
    let (_, later) = app.get(&format!("/api/v1/incidents/{other}"), &ian).await;
    let due = &later["actions"][0]["due"];
    assert_eq!(minutes(&applied["applied_at"], due), 15);
    let (status, _) = app
        .post(&path, &ian, json!({"playbook": "phishing-response"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "applied once");

    let (_, all) = app.get("/api/v1/playbooks", &pat).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}
