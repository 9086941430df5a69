//! Evidence from the first moment, in the browser: an ISIRT member secures a
//! USB stick and a log file on an event still in triage; once the event is
//! confirmed they are in the incident's workspace; the stick is sealed again
//! and handed over on its page, which offers no download.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, confirm_as, reported_event};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_secured_in_triage_follows_the_event_and_a_physical_item_is_handed_over() {
    let Some((app, b)) = app_and_browser("evidence-triage").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    let evt = reported_event(&app, &ian, "USB stick left in the finance PC").await;

    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/events/{evt}")).await;
    assert!(b.text("#evidence").await.contains("No evidence recorded."));

    // A physical item: a time in the future is refused, the form stays open
    // with what was typed, and nothing is recorded.
    b.click("#evidence-add-physical").await;
    assert!(b.text("#p-pap").await.contains("As the event"));
    b.fill("#p-description", "USB stick, 32 GB, black").await;
    b.fill("#p-found", "finance PC F-12, front port").await;
    b.fill("#p-at", "2099-01-10T08:30:00Z").await;
    b.fill("#p-reason", "may hold the file that was run").await;
    b.fill("#p-location", "ISIRT safe 2").await;
    b.fill("#p-seal", "S-1001").await;
    b.submit("#evidence-physical button[type=submit]").await;
    assert_eq!(b.path().await, format!("/events/{evt}/evidence/physical"));
    let refused = b.text("#evidence-physical").await;
    assert!(refused.contains("must not be in the future"), "{refused}");
    assert_eq!(
        b.d()
            .find(thirtyfour::By::Css("#p-seal"))
            .await
            .unwrap()
            .value()
            .await
            .unwrap()
            .as_deref(),
        Some("S-1001")
    );
    b.shot("01-physical-refused").await;
    b.fill("#p-at", "2026-01-10T08:30:00Z").await;
    b.submit("#evidence-physical button[type=submit]").await;
    let stick = b.text("#evidence-number").await;
    assert_eq!(b.path().await, format!("/evidence/{stick}"));
    assert!(b.text(".subtitle").await.contains("physical item"));
    assert!(
        b.text(".subtitle")
            .await
            .contains("secured while in triage for")
    );
    assert_eq!(b.text("#seal").await, "S-1001");
    assert_eq!(b.text("#location").await, "ISIRT safe 2");
    let source = b.source().await;
    assert!(
        !source.contains("id=\"evidence-download\""),
        "nothing to download"
    );
    assert!(!source.contains("id=\"evidence-verify\""));
    b.shot("02-physical-item").await;

    // A file on the same event.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("usb-listing.txt");
    std::fs::write(&file, b"E:\\invoice.pdf.exe 412 KB\n").unwrap();
    b.open(&format!("/events/{evt}")).await;
    b.click("#evidence-add-file").await;
    b.fill("#e-description", "Listing of the stick").await;
    b.fill("#e-found", "USB stick S-1001").await;
    b.fill("#e-at", "2026-01-10T08:45:00Z").await;
    b.fill("#e-reason", "shows the executable").await;
    b.attach("#e-file", &file).await;
    b.submit("#evidence-upload button[type=submit]").await;
    let listing = b.text("#evidence-number").await;
    b.open(&format!("/events/{evt}")).await;
    let section = b.text("#evidence-items").await;
    assert!(
        section.contains(&stick) && section.contains(&listing),
        "{section}"
    );
    assert!(section.contains("physical item"), "{section}");
    b.shot("03-event-evidence").await;

    // Confirmed as an incident (through the API): both are in the workspace.
    app.post_ok(
        &format!("/api/v1/events/{evt}/assessment"),
        &ian,
        json!({"decision": "possible_incident", "escalate": true}),
        StatusCode::OK,
    )
    .await;
    let inc = confirm_as(&app, &ian, &evt, "Malware from a USB stick", "ian").await;
    b.open(&format!("/incidents/{inc}")).await;
    let section = b.text("#evidence-items").await;
    assert!(
        section.contains(&stick) && section.contains(&listing),
        "{section}"
    );
    b.open(&format!("/events/{evt}")).await;
    assert!(
        !b.source().await.contains("id=\"evidence-add-file\""),
        "the event is part of an incident now"
    );
    b.open(&format!("/incidents/{inc}#evidence")).await;
    b.shot("04-workspace-evidence").await;

    // Opened for imaging, sealed again, handed to the police.
    b.open(&format!("/evidence/{stick}")).await;
    assert!(b.text(".breadcrumbs").await.contains(&inc));
    b.fill("#x-to", "DC Jones").await;
    b.fill("#x-reason", "handed to the police after imaging")
        .await;
    b.fill("#x-location", "police evidence store").await;
    b.fill("#x-seal", "S-1002").await;
    b.submit("#evidence-transfer button[type=submit]").await;
    assert_eq!(b.text("#custodian").await, "DC Jones");
    assert_eq!(b.text("#seal").await, "S-1002");
    let custody = b.text("#custody").await;
    for step in [
        "Collected and recorded",
        "Followed its event into the incident",
        "Custody transferred",
        "S-1002",
    ] {
        assert!(custody.contains(step), "{step}: {custody}");
    }
    b.shot("05-physical-handed-over").await;
    b.quit().await;
}
