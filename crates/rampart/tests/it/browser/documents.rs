//! The scheme's documents in the browser: the ISIRT manager creates the
//! policy, a member drafts it, the manager and senior management approve it
//! (the member cannot), a reporter reads the version in force rendered
//! safely, and the changes of a second version are shown line by line.

use rampart_domain::Role;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, incident};

const TEXT: &str = "# Incident management policy\n\n## Scope\n\nEvery information system of the organisation.\n\n## Containment\n\nIsolate first, then investigate. <script>alert('x')</script>\n\n[Report form](javascript:alert(1))\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_is_drafted_approved_by_two_roles_and_read_by_everyone() {
    let Some((app, b)) = app_and_browser("documents").await else {
        return;
    };
    person(&app, "mia", &[Role::IsirtManager]).await;
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    person(&app, "sam", &[Role::SeniorManager]).await;
    person(&app, "rita", &[Role::Reporter]).await;

    // The manager creates it; a field left wrong is named and kept.
    b.sign_in("mia", PASSWORD).await;
    b.open("/documents").await;
    assert!(b.text("main").await.contains("No documents yet"));
    b.fill("#d-id", "incident-policy").await;
    b.fill("#d-title", "Incident management policy").await;
    b.select("#d-kind", "policy").await;
    b.submit("#new-document button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("Approvers"), "{refused}");
    assert_eq!(
        b.d()
            .find(thirtyfour::By::Css("#d-title"))
            .await
            .unwrap()
            .value()
            .await
            .unwrap()
            .as_deref(),
        Some("Incident management policy")
    );
    b.click("input[name=approvers][value=isirt_manager]").await;
    b.click("input[name=approvers][value=senior_manager]").await;
    b.submit("#new-document button[type=submit]").await;
    assert_eq!(b.path().await, "/documents/incident-policy");
    assert!(b.text("#in-force").await.contains("no version in force"));
    b.sign_out().await;

    // A member drafts the first version.
    b.sign_in("ian", PASSWORD).await;
    b.open("/documents/incident-policy").await;
    b.click(".actions a").await;
    b.fill("#dr-summary", "First issue").await;
    b.fill("#dr-text", TEXT).await;
    b.shot("editor").await;
    b.submit("#draft button[type=submit]").await;
    assert!(b.text("#versions").await.contains("draft"));
    assert!(
        b.source().await.find("id=\"approve\"").is_none(),
        "a member cannot approve a policy"
    );
    b.shot("draft").await;
    b.sign_out().await;

    // The manager approves; one role of two is not enough.
    b.sign_in("mia", PASSWORD).await;
    b.open("/documents/incident-policy").await;
    b.shot("approve").await;
    b.submit("#approve button[type=submit]").await;
    assert!(b.text("#in-force").await.contains("no version in force"));
    assert!(b.text("#versions").await.contains("awaiting Senior"));
    b.sign_out().await;
    b.sign_in("sam", PASSWORD).await;
    b.open("/documents/incident-policy").await;
    b.fill("#ap-note", "Approved for the board").await;
    b.submit("#approve button[type=submit]").await;
    assert!(b.text("#in-force").await.contains("version 1 in force"));
    b.shot("in-force").await;
    b.sign_out().await;

    // Anyone reads it; raw HTML shows as text and a script link is inert.
    b.sign_in("rita", PASSWORD).await;
    b.open("/documents").await;
    assert!(
        b.text("#documents")
            .await
            .contains("Incident management policy")
    );
    b.open("/documents/incident-policy").await;
    let text = b.text("#text").await;
    assert!(text.contains("Isolate first"), "{text}");
    assert!(text.contains("<script>alert('x')</script>"), "{text}");
    let source = b.source().await;
    assert!(!source.contains("javascript:alert"), "{source}");
    assert!(source.contains("<h2 id=\"containment\">"));
    assert!(source.find("Draft a new version").is_none());
    b.shot("reader").await;
    b.sign_out().await;

    // A second version: the changes, line by line.
    b.sign_in("ian", PASSWORD).await;
    b.open("/documents/incident-policy/draft").await;
    let typed = TEXT.replace("Isolate first", "Isolate the host first");
    b.fill("#dr-summary", "Say what to isolate").await;
    b.fill("#dr-text", &typed).await;
    b.submit("#draft button[type=submit]").await;
    b.click("tr[data-version='2'] a.btn").await;
    let diff = b.text("#diff").await;
    assert!(diff.contains("Isolate the host first"), "{diff}");
    assert_eq!(
        b.d()
            .find_all(thirtyfour::By::Css("#diff .diff-del"))
            .await
            .unwrap()
            .len(),
        1
    );
    b.shot("diff").await;

    // The log of an incident cites the section it follows, linked to it.
    let inc = incident(&app, &ian, &ian, "ian", "Malware on a laptop").await;
    b.open(&format!("/incidents/{inc}")).await;
    b.click("details summary").await;
    b.fill("#l-action", "Isolated the laptop from the network")
        .await;
    b.fill("#l-cites", "incident-policy#nowhere").await;
    b.submit("form[action$='/log'] button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("no section nowhere"), "{refused}");
    b.fill("#l-cites", "incident-policy#containment").await;
    b.submit("form[action$='/log'] button[type=submit]").await;
    let link = b.text("#timeline a.cites").await;
    assert_eq!(link, "follows incident-policy#containment");
    b.shot("incident-cites").await;
    b.click("#timeline a.cites").await;
    assert_eq!(b.path().await, "/documents/incident-policy");
    b.open("/documents").await;
    b.shot("list").await;
    b.quit().await;
}
