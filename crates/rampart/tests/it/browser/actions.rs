//! Response actions in the workspace: a disruptive action waits for its
//! approval (who, when, why), is marked done only with its outcome, and
//! closing the incident with actions still open warns and names them.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, incident};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_is_approved_then_completed_with_its_outcome() {
    let Some((app, b)) = app_and_browser("actions").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    let inc = incident(&app, &ian, &ian, "ian", "Ransomware on the file server").await;
    let base = format!("/api/v1/incidents/{inc}");
    for (what, approval) in [
        ("Take fs-01 off the network", true),
        ("Reset the service account passwords", false),
    ] {
        app.post_ok(
            &format!("{base}/actions"),
            &ian,
            json!({"what": what, "owner": "ian", "requires_approval": approval}),
            StatusCode::CREATED,
        )
        .await;
    }
    app.post_ok(
        &format!("{base}/transitions"),
        &ian,
        json!({"to": "responding", "reason": "contain"}),
        StatusCode::OK,
    )
    .await;

    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/incidents/{inc}")).await;
    assert!(
        b.text("#action-1 .approval")
            .await
            .contains("awaiting approval")
    );
    assert!(b.source().await.contains("class=\" awaiting-approval\""));
    assert!(b.text("#action-2 .approval").await.contains("not needed"));

    // Starting it before the approval is refused, naming what is missing;
    // the form opens again on its row with what was typed.
    b.click("#update-1 summary").await;
    b.select("#a-status-1", "in_progress").await;
    b.fill("#a-1-why", "owner agreed on the phone").await;
    b.submit("#update-1 button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("Approval reason"), "{refused}");
    assert!(b.source().await.contains("id=\"update-1\" open"));

    // Approved by the owner, with when and why.
    b.fill("#a-1-by", "Olga Owner (file service)").await;
    b.d()
        .execute(
            "document.getElementById('a-1-at').value = '2026-01-02T09:10'",
            vec![],
        )
        .await
        .unwrap();
    b.fill("#a-1-why", "Backups verified first").await;
    b.select("#a-status-1", "in_progress").await;
    b.submit("#update-1 button[type=submit]").await;
    let approval = b.text("#action-1 .approval").await;
    assert!(
        approval.contains("approved by Olga Owner (file service)"),
        "{approval}"
    );
    assert!(approval.contains("Backups verified first"), "{approval}");
    assert!(approval.contains("2026-01-02 09:10"), "{approval}");
    assert!(approval.contains("recorded by ian"), "{approval}");

    // Done needs the outcome.
    b.click("#update-1 summary").await;
    b.select("#a-status-1", "done").await;
    b.submit("#update-1 button[type=submit]").await;
    assert!(b.text(".alert-error").await.contains("say how it went"));
    b.fill("#a-1-outcome", "Unplugged at 09:20; powered on for imaging")
        .await;
    b.select("#a-status-1", "done").await;
    b.submit("#update-1 button[type=submit]").await;
    let row = b.text("#action-1").await;
    assert!(row.contains("Outcome: Unplugged at 09:20"), "{row}");
    assert!(row.contains("Done"), "{row}");
    assert!(
        !b.source().await.contains("id=\"update-1\""),
        "a done action has no form"
    );
    b.shot("approved-and-done").await;

    // Closing with #2 still open warns and names it.
    app.post_ok(
        &format!("{base}/transitions"),
        &ian,
        json!({"to": "recovering", "reason": "contained"}),
        StatusCode::OK,
    )
    .await;
    b.open(&format!("/incidents/{inc}")).await;
    let warning = b.text("#open-actions-warning").await;
    assert!(
        warning.starts_with("1 response action is still open."),
        "{warning}"
    );
    assert!(
        warning.contains("#2 Reset the service account passwords (Planned)"),
        "{warning}"
    );
    b.shot("close-warning").await;
    b.quit().await;
}
