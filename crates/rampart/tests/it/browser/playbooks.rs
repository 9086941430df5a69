//! Playbooks in the browser: a manager writes one (a due time that is no
//! number is named and what was typed kept), the confirmation of a phishing
//! event proposes it ticked and plans its actions, a second version leaves
//! those actions alone, and applying it later to another incident takes
//! the new version.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, incident, reported_event};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_playbook_is_proposed_at_confirmation_and_a_new_version_changes_no_applied_action() {
    let Some((app, b)) = app_and_browser("playbooks").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    person(&app, "mia", &[Role::IsirtManager]).await;

    b.sign_in("mia", PASSWORD).await;
    b.open("/playbooks").await;
    assert!(b.text("main").await.contains("No playbooks yet"));
    b.fill("#p-id", "phishing-response").await;
    b.fill("#p-title", "Phishing response").await;
    b.click("input[name='categories[]'][value='malware']").await;
    b.fill("input[name='steps.0.what']", "Block the sender domain")
        .await;
    b.fill("input[name='steps.0.due_minutes']", "60").await;
    b.fill(
        "input[name='steps.1.what']",
        "Reset the passwords of those who clicked",
    )
    .await;
    b.select("select[name='steps.1.owner_role']", "isirt_manager")
        .await;
    b.fill("input[name='steps.1.due_minutes']", "soon").await;
    b.click("input[name='steps.1.requires_approval']").await;
    b.submit("#new-playbook button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("Steps, row 2"), "{refused}");
    assert!(
        b.source()
            .await
            .contains("value=\"Reset the passwords of those who clicked\"")
    );
    b.fill("input[name='steps.1.due_minutes']", "240").await;
    b.submit("#new-playbook button[type=submit]").await;
    assert_eq!(b.path().await, "/playbooks/phishing-response");
    let steps = b.text("#steps").await;
    assert!(
        steps.contains("1 h after it is applied") && steps.contains("needs approval"),
        "{steps}"
    );
    b.shot("playbook").await;
    b.sign_out().await;

    // A phishing event assessed as malware: the confirmation proposes it, ticked.
    let event = reported_event(&app, &ian, "Invoice lure").await;
    app.post_ok(
        &format!("/api/v1/events/{event}/assessment"),
        &ian,
        json!({"decision": "possible_incident", "escalate": true, "category": "malware"}),
        StatusCode::OK,
    )
    .await;
    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/events/{event}#confirm-playbooks")).await;
    assert!(
        b.text("#confirm-playbooks")
            .await
            .contains("proposed for this event")
    );
    assert!(
        b.source()
            .await
            .contains("value=\"phishing-response\" checked")
    );
    b.select("#c-imp", "important").await;
    b.select("#c-bl", "serious").await;
    b.select("#c-si", "minor").await;
    b.select("#c-effort", "low").await;
    // The form is taller than the window: a taller window shows all of it.
    let window = b.d().get_window_rect().await.unwrap();
    b.d().set_window_rect(0, 0, 1280, 1700).await.unwrap();
    let form = b.d().find(thirtyfour::By::Css("#confirm")).await.unwrap();
    let shot = super::shots_dir().join("playbooks-confirm.png");
    form.screenshot(&shot).await.unwrap();
    let (w, h) = (window.width as u32, window.height as u32);
    b.d().set_window_rect(0, 0, w, h).await.unwrap();
    b.submit("#confirm button[type=submit]").await;
    let first = b.text("#incident-number").await;
    let actions = b.text("#actions").await;
    assert!(
        actions.contains("Block the sender domain") && actions.contains("ISIRT manager"),
        "{actions}"
    );
    assert!(b.text("#applied-playbooks").await.contains("version 1"));
    let before = actions;
    b.sign_out().await;

    b.sign_in("mia", PASSWORD).await;
    b.open("/playbooks/phishing-response").await;
    b.click("#revise summary").await;
    b.fill("input[name='steps.0.due_minutes']", "15").await;
    b.fill("#p-note", "Block within a quarter of an hour").await;
    b.submit("#revise button[type=submit]").await;
    assert!(
        b.text("#versions")
            .await
            .contains("Block within a quarter of an hour")
    );
    assert!(
        b.text("#steps")
            .await
            .contains("15 min after it is applied")
    );
    b.shot("version-2").await;
    b.sign_out().await;

    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/incidents/{first}")).await;
    assert_eq!(
        b.text("#actions").await,
        before,
        "the applied actions stay as planned"
    );
    let second = incident(&app, &ian, &ian, "ian", "Second lure").await;
    b.open(&format!("/incidents/{second}")).await;
    b.click("#apply-playbook summary").await;
    b.select("#a-playbook", "phishing-response").await;
    b.submit("#apply-playbook button[type=submit]").await;
    assert!(b.text("#applied-playbooks").await.contains("version 2"));
    assert!(b.text("#actions").await.contains("Reset the passwords"));
    b.shot("applied").await;
    b.quit().await;
}
