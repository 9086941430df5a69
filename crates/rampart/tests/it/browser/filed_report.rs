//! The signed report from the workspace: the incident, event and
//! vulnerability pages offer it as PDF, HTML and Markdown; the download is
//! the sealed file, journaled; a reporter's page of their own event offers
//! none.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, escalated_event, incident};

/// Fetches a link of the report card in the page, with the session;
/// returns the disposition, the content type and the first bytes as text.
async fn fetch(b: &super::Browser, which: &str) -> String {
    let got = b
        .d()
        .execute(
            &format!(
                "return fetch(document.querySelector('#file-report a[href$=\"/report/{which}\"]').href)
                   .then(r => r.text().then(t => r.status + '\\n' + r.headers.get('content-disposition')
                     + '\\n' + r.headers.get('content-type') + '\\n' + t.slice(0, 400)))"
            ),
            vec![],
        )
        .await
        .unwrap();
    got.json().as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_downloaded_as_signed_reports() {
    let Some((app, b)) = app_and_browser("filed-report").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    let rita = person(&app, "rita", &[Role::Reporter]).await;
    let n = incident(&app, &ian, &ian, "ian", "Ransomware on the file server").await;

    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/incidents/{n}")).await;
    let card = b
        .d()
        .find(thirtyfour::By::Css("#file-report"))
        .await
        .unwrap();
    card.screenshot(&super::shots_dir().join("file-report-card.png"))
        .await
        .unwrap();
    let seq = app.journal_len().await;
    let pdf = fetch(&b, "pdf").await;
    assert!(
        pdf.starts_with(&format!(
            "200\nattachment; filename=\"{n}-report.pdf\"\napplication/pdf\n%PDF-"
        )),
        "{pdf}"
    );
    let html = fetch(&b, "html").await;
    assert!(
        html.starts_with("200\n") && html.contains("<!DOCTYPE html>"),
        "{html}"
    );
    let md = fetch(&b, "markdown").await;
    assert!(
        md.contains("text/markdown") && md.contains("# Information security incident report"),
        "{md}"
    );
    assert_eq!(
        app.changes_after(seq).await,
        [
            "incident.report_issued",
            "incident.report_issued",
            "incident.report_issued"
        ]
    );

    // The event's and the vulnerability's pages offer it too.
    let event = escalated_event(&app, &ian, "Odd login from abroad").await;
    b.open(&format!("/events/{event}")).await;
    assert!(fetch(&b, "html").await.starts_with("200\n"));
    let v = app
        .post_ok(
            "/api/v1/vulnerabilities",
            &rita,
            json!({"title": "Printer admin page without password", "description": "No password."}),
            StatusCode::CREATED,
        )
        .await;
    b.open(&format!(
        "/vulnerabilities/{}",
        v["number"].as_str().unwrap()
    ))
    .await;
    assert!(fetch(&b, "pdf").await.starts_with("200\n"));

    // A reporter's own event page offers no report.
    let own = app
        .post_ok(
            "/api/v1/events",
            &rita,
            json!({"title": "Strange pop-up", "description": "A window asked for my password."}),
            StatusCode::CREATED,
        )
        .await;
    b.sign_out().await;
    b.sign_in("rita", PASSWORD).await;
    b.open(&format!("/events/{}", own["number"].as_str().unwrap()))
        .await;
    assert!(!b.source().await.contains("id=\"file-report\""));
}
