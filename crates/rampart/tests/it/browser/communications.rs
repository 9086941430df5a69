//! The communications log in the workspace: a member drafts a notice to
//! the national CSIRT (a recipient not cleared for its TLP is named and
//! what was typed kept), cannot record it sent before it is approved, the
//! ISIRT manager approves it, and the member records it sent.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, incident};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_to_the_csirt_is_approved_then_recorded_as_sent() {
    let Some((app, b)) = app_and_browser("communications").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    person(&app, "mia", &[Role::IsirtManager]).await;
    let inc = incident(&app, &ian, &ian, "ian", "Phishing wave against customers").await;
    for (id, name, category, tlp) in [
        ("national-csirt", "National CSIRT", "csirt", "AMBER"),
        ("cyber-insurer", "Cyber insurer", "insurer", "GREEN"),
    ] {
        app.post_ok(
            "/api/v1/contacts",
            &ian,
            json!({"id": id, "kind": "organisation", "name": name, "category": category,
                   "tlp_max": tlp}),
            StatusCode::CREATED,
        )
        .await;
    }
    let page = format!("/incidents/{inc}#communications");

    b.sign_in("ian", PASSWORD).await;
    b.open(&page).await;
    assert!(
        b.text("#communications")
            .await
            .contains("No communication recorded")
    );
    b.click("#draft-communication summary").await;
    b.select("#c-audience", "direct_external").await;
    b.select("#c-channel", "email").await;
    b.select("#c-tlp", "AMBER").await;
    b.select("#c-recipients", "cyber-insurer").await;
    b.fill("#c-subject", "Phishing wave in our name").await;
    b.fill(
        "#c-content",
        "Sender domains and URLs attached below.\nPlease share with member banks.",
    )
    .await;
    b.shot("draft").await;
    b.submit("#draft-communication button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("TLP:GREEN"), "{refused}");
    assert!(b.source().await.contains("id=\"draft-communication\" open"));
    assert_eq!(
        b.d()
            .find(thirtyfour::By::Css("#c-subject"))
            .await
            .unwrap()
            .value()
            .await
            .unwrap(),
        Some("Phishing wave in our name".to_owned())
    );
    b.shot("refused").await;

    let recipients = b
        .d()
        .find(thirtyfour::By::Css("#c-recipients"))
        .await
        .unwrap();
    let recipients = thirtyfour::components::SelectElement::new(&recipients)
        .await
        .unwrap();
    recipients.deselect_all().await.unwrap();
    recipients.select_by_value("national-csirt").await.unwrap();
    b.submit("#draft-communication button[type=submit]").await;
    let row = b.text("#communication-1").await;
    assert!(
        row.contains("Awaiting approval") && row.contains("National CSIRT"),
        "{row}"
    );
    assert!(
        !b.source().await.contains("id=\"approve-1\""),
        "a member may not approve"
    );
    // It cannot be recorded sent before the approval: no such form, and the page says why.
    assert!(!b.source().await.contains("id=\"send-1\""));
    let waits = b.text("#waits-1").await;
    assert!(waits.contains("ISIRT manager"), "{waits}");
    b.open(&page).await;
    b.shot("awaiting").await;
    b.sign_out().await;

    b.sign_in("mia", PASSWORD).await;
    b.open(&page).await;
    b.click("#approve-1 summary").await;
    b.fill("#c-1-note", "Facts only, no customer names").await;
    b.submit("#approve-1 button[type=submit]").await;
    let row = b.text("#communication-1").await;
    assert!(
        row.contains("approved by mia") && row.contains("Facts only"),
        "{row}"
    );
    b.sign_out().await;

    b.sign_in("ian", PASSWORD).await;
    b.open(&page).await;
    b.click("#send-1 summary").await;
    b.fill("#c-1-ref", "msg-17").await;
    b.submit("#send-1 button[type=submit]").await;
    let row = b.text("#communication-1").await;
    assert!(row.contains("Sent") && row.contains("msg-17"), "{row}");
    assert!(
        !b.source().await.contains("id=\"withdraw-1\""),
        "sent: nothing more to do"
    );
    b.open(&page).await;
    b.shot("sent").await;
    b.open(&format!("/incidents/{inc}#log")).await;
    let log = b.text("#log").await;
    let timeline = b.text("main").await;
    assert!(timeline.contains("sent communication 1"), "{log}");
    b.shot("timeline").await;
    b.quit().await;
}
