//! The communications log over the API, on both backends: drafted against
//! the contact directory, refused as sent until approved, approved only by
//! someone else who may speak for the organisation; bad input named by
//! field; the timeline shows each step and the records check replays them.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, fields, incident};

crate::on_both_backends!(an_external_communication_goes_out_only_once_approved);

async fn an_external_communication_goes_out_only_once_approved(app: TestApp) {
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let pat = app.user("pat", &[Role::Poc]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let sam = app.user("sam", &[Role::SeniorManager]).await;
    let n = incident(&app, &pat, &ian, "ian", "Phishing wave").await;
    app.post_ok(
        "/api/v1/contacts",
        &ian,
        json!({"id": "national-csirt", "kind": "organisation", "name": "National CSIRT",
               "category": "csirt", "tlp_max": "AMBER",
               "channels": [{"kind": "email", "value": "cert@csirt.example"}]}),
        StatusCode::CREATED,
    )
    .await;
    let base = format!("/api/v1/incidents/{n}/communications");
    let draft = json!({"audience": "direct_external", "recipients": ["national-csirt"],
        "channel": "email", "subject": "Phishing wave against our customers",
        "content": "Sender domains and URLs below.", "tlp": "AMBER"});

    let before = app.journal_len().await;
    for (change, field) in [
        (json!({"audience": "everyone"}), "audience"),
        (json!({"recipients": ["nobody"]}), "recipients[0]"),
        (json!({"tlp": "RED"}), "recipients[0]"),
        (json!({"content": null}), "content"),
        (json!({"attachment": "EVD-2026-0001"}), "attachment"),
        (json!({"subject": ""}), "subject"),
        (json!({"colour": "red"}), "colour"),
    ] {
        let mut body = draft.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, problem) = app.post(&base, &ian, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert!(
            fields(&problem).iter().any(|f| f == field),
            "{field}: {problem}"
        );
    }
    let (status, _) = app.post(&base, &pat, draft.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.journal_len().await, before, "nothing changed");

    let c = app.post_ok(&base, &ian, draft, StatusCode::CREATED).await;
    assert_eq!(c["status"], "awaiting_approval");
    let sent = format!("{base}/1/sent");
    let (status, problem) = app.post(&sent, &ian, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        fields(&problem).iter().any(|f| f == "approval"),
        "{problem}"
    );

    let approval = format!("{base}/1/approval");
    let (status, problem) = app.post(&approval, &ian, json!({})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a member may not approve: {problem}"
    );
    let (status, _) = app
        .post(&format!("{base}/9/approval"), &mia, json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let approved = app
        .post_ok(
            &approval,
            &sam,
            json!({"note": "facts only"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(approved["approval"]["role"], "senior_manager");
    let (status, _) = app.post(&approval, &mia, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "approved once");
    let done = app
        .post_ok(
            &sent,
            &ian,
            json!({"reference": "<msg-1@example>"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(done["status"], "sent");
    let (status, _) = app
        .post(
            &format!("{base}/1/withdrawal"),
            &ian,
            json!({"reason": "too late"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (_, page) = app.get(&base, &sam).await;
    assert_eq!(page["items"][0]["sent"]["reference"], "<msg-1@example>");
    let (_, timeline) = app
        .get(&format!("/api/v1/incidents/{n}/timeline"), &ian)
        .await;
    let steps: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "communication")
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(steps.iter().any(|s| s.starts_with("sent communication 1")));
    assert_eq!(
        app.changes_after(before).await,
        [
            "incident.communication_drafted",
            "incident.communication_approved",
            "incident.communication_sent"
        ]
    );
    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}
