//! The dashboard over HTTP: open incidents by class and status, events
//! awaiting triage, overdue response actions and the incidents one
//! coordinates, each from its own indexed query; the figures follow every
//! change and need-to-know.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, incident, reported_event};
use crate::web::{between, person};

crate::on_both_backends!(the_dashboard_counts_and_lists_what_waits);

async fn the_dashboard_counts_and_lists_what_waits(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let (olga_token, olga) = person(&app, "olga", &[Role::IsirtMember]).await;
    let stat = |body: &str, id: &str| {
        between(body, &format!(r#"id="{id}">"#), "<")
            .unwrap_or_else(|| panic!("no {id} in {body}"))
            .to_owned()
    };

    reported_event(&app, &pat, "Waits for triage").await;
    let first = incident(&app, &pat, &ian, "olga", "Ransomware on file server").await;
    let second = incident(&app, &pat, &ian, "ian", "Lost laptop").await;
    let page = olga.get("/dashboard").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(stat(&page.body, "open-incidents"), "2");
    assert_eq!(stat(&page.body, "awaiting-triage"), "1");
    assert_eq!(stat(&page.body, "overdue-actions"), "0");
    assert_eq!(stat(&page.body, "my-incidents"), "1");
    assert!(page.body.contains("Nothing overdue."), "{}", page.body);
    assert!(page.body.contains(&first));

    // An action past its due time is listed; done, it goes.
    let action = app
        .post_ok(
            &format!("/api/v1/incidents/{second}/actions"),
            &ian,
            json!({"what": "wipe the laptop remotely", "owner": "it desk", "due": "2026-01-05T09:00:00Z"}),
            StatusCode::CREATED,
        )
        .await;
    let page = olga.get("/dashboard").await;
    assert_eq!(stat(&page.body, "overdue-actions"), "1");
    assert!(
        page.body.contains("wipe the laptop remotely"),
        "{}",
        page.body
    );
    let id = action["id"].as_u64().unwrap();
    app.call(
        reqwest::Method::PATCH,
        &format!("/api/v1/incidents/{second}/actions/{id}"),
        Some(&ian),
        Some(json!({"status": "done", "outcome": "wiped"})),
    )
    .await;
    let page = olga.get("/dashboard").await;
    assert_eq!(stat(&page.body, "overdue-actions"), "0");

    // Restricted to ian: olga no longer counts or sees it.
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/incidents/{second}/restriction"),
            Some(&ian),
            Some(json!({"users": ["ian"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = olga.get("/dashboard").await;
    assert_eq!(stat(&page.body, "open-incidents"), "1");
    let (_, listed) = app.get("/api/v1/incidents?limit=10", &olga_token).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // Closing her incident empties "mine".
    for to in ["responding", "recovering", "closed"] {
        app.post_ok(
            &format!("/api/v1/incidents/{first}/transitions"),
            &ian,
            json!({"to": to, "reason": "x", "resolution": "restored from backup"}),
            StatusCode::OK,
        )
        .await;
    }
    let page = olga.get("/dashboard").await;
    assert_eq!(stat(&page.body, "my-incidents"), "0");
    assert_eq!(stat(&page.body, "open-incidents"), "0");
    assert!(page.body.contains("You coordinate no open incident."));
}
