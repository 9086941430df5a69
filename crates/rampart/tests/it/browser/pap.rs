//! PAP in the browser: the badge on the event page, the incident heading, the
//! register and the evidence table and page; chosen on the confirm form, the
//! edit form and the upload form.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pap_badges_show_beside_tlp_and_the_forms_set_them() {
    let Some((app, b)) = app_and_browser("pap").await else {
        return;
    };
    let poc = person(&app, "pat", &[Role::Poc]).await;
    person(&app, "ian", &[Role::IsirtMember]).await;
    let event = app
        .post_ok(
            "/api/v1/events",
            &poc,
            json!({"title": "API keys pasted in a public chat", "description": "seen by a colleague",
                   "pap": "RED"}),
            StatusCode::CREATED,
        )
        .await;
    let n = event["number"].as_str().unwrap().to_owned();
    app.post_ok(
        &format!("/api/v1/events/{n}/assessment"),
        &poc,
        json!({"decision": "possible_incident", "escalate": true}),
        StatusCode::OK,
    )
    .await;

    // The event page shows the report's PAP, and the confirm form offers it.
    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/events/{n}")).await;
    assert_eq!(b.text("#event-pap").await, "PAP:RED");
    assert!(b.text("#c-pap").await.contains("As the event (RED)"));
    b.select("#c-category", "compromise_of_information").await;
    b.select("#c-imp", "important").await;
    b.select("#c-bl", "considerable").await;
    b.select("#c-si", "minor").await;
    b.select("#c-effort", "medium").await;
    b.select("#c-pap", "GREEN").await;
    b.shot("01-event-confirm").await;
    b.submit("#confirm button[type=submit]").await;

    // The incident heading shows the chosen PAP beside TLP.
    let inc = b.text("#incident-number").await;
    assert!(inc.starts_with("INC-"), "{inc}");
    assert_eq!(b.text("#incident-pap").await, "PAP:GREEN");
    let head = b.text(".subtitle").await;
    assert!(head.contains("TLP:AMBER PAP:GREEN"), "{head}");
    b.shot("02-incident-header").await;

    // The edit form changes it; the change is journaled before and after.
    b.open(&format!("/incidents/{inc}/edit")).await;
    assert_eq!(
        b.d()
            .find(thirtyfour::By::Css("#e-pap"))
            .await
            .unwrap()
            .value()
            .await
            .unwrap()
            .as_deref(),
        Some("GREEN")
    );
    b.select("#e-pap", "RED").await;
    b.shot("03-edit-form").await;
    b.submit("#save-record").await;
    assert_eq!(b.path().await, format!("/incidents/{inc}"));
    assert_eq!(b.text("#incident-pap").await, "PAP:RED");
    let (_, page) = app.get("/api/v1/journal?limit=500", &app.admin).await;
    let change = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "incident.updated")
        .max_by_key(|e| e["seq"].as_u64().unwrap())
        .expect("an incident.updated entry");
    assert_eq!(
        change["payload"]["changed"],
        json!({"pap": {"before": "GREEN", "after": "RED"}})
    );

    // Evidence: one item as the incident, one marked CLEAR on the form.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chat-export.txt");
    std::fs::write(&file, b"[10:02] dev: here is the key AKIA...").unwrap();
    for (what, pap) in [("Chat export", ""), ("Key rotation log", "CLEAR")] {
        b.open(&format!("/incidents/{inc}")).await;
        b.click("#evidence details summary").await;
        assert!(b.text("#e-pap").await.contains("As the incident (RED)"));
        b.fill("#e-description", what).await;
        b.fill("#e-found", "chat workspace").await;
        b.fill("#e-at", "2026-01-10T09:00:00Z").await;
        b.fill("#e-reason", "shows what leaked").await;
        b.select("#e-pap", pap).await;
        b.attach("#e-file", &file).await;
        if pap.is_empty() {
            b.shot("04-upload-form").await;
        }
        b.submit("#evidence-upload button[type=submit]").await;
        let meta = b.text("#evidence-meta").await;
        let expected = if pap.is_empty() {
            "PAP:RED"
        } else {
            "PAP:CLEAR"
        };
        assert!(meta.contains(expected), "{expected}: {meta}");
    }
    b.shot("05-evidence-page").await;

    b.open(&format!("/incidents/{inc}")).await;
    let table = b.text("#evidence-items").await;
    assert!(table.to_lowercase().contains("marking"), "{table}");
    let rows: Vec<String> = {
        let mut rows = Vec::new();
        for e in b
            .d()
            .find_all(thirtyfour::By::Css("#evidence-items tbody tr"))
            .await
            .unwrap()
        {
            rows.push(e.text().await.unwrap());
        }
        rows
    };
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.contains("Chat export") && r.contains("PAP:RED")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("Key rotation log") && r.contains("PAP:CLEAR")),
        "{rows:?}"
    );
    b.d()
        .execute(
            "document.getElementById('evidence').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    b.shot("06-evidence-table").await;

    // The register row carries both badges.
    b.open("/incidents").await;
    let register = b.text("#incident-register").await;
    assert!(register.contains("TLP:AMBER PAP:RED"), "{register}");
    b.shot("07-register").await;

    // At phone width nothing overflows the page.
    b.d().set_window_rect(0, 0, 390, 900).await.unwrap();
    for path in [format!("/incidents/{inc}"), format!("/events/{n}")] {
        b.open(&path).await;
        let wide = b
            .d()
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(wide.json(), &json!(false), "{path} overflows at 390 px");
    }
    b.shot("08-event-phone").await;

    // The triage queue shows an untriaged report's PAP beside its TLP.
    app.post_ok(
        "/api/v1/events",
        &poc,
        json!({"title": "Scan from a known host", "description": "firewall log", "pap": "GREEN"}),
        StatusCode::CREATED,
    )
    .await;
    b.d().set_window_rect(0, 0, 1280, 900).await.unwrap();
    b.sign_out().await;
    b.sign_in("pat", PASSWORD).await;
    b.open("/triage").await;
    let queue = b.text("#triage-queue").await;
    assert!(
        queue.contains("Scan from a known host") && queue.contains("PAP:GREEN"),
        "{queue}"
    );
    b.shot("09-triage").await;
    b.quit().await;
}
