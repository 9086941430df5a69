//! The auditor's journal page: browsing by record, actor and action, the
//! integrity summary with the last signed checkpoint, and the whole check,
//! which finds an entry altered behind Rampart's back.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, incident};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_browses_the_journal_and_has_the_chain_verified() {
    let Some((app, b)) = app_and_browser("journal").await else {
        return;
    };
    let member = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    person(&app, "audrey", &[Role::Auditor]).await;
    let inc = incident(&app, &member, &member, "ian", "Phishing wave on finance").await;
    app.post_ok(
        &format!("/api/v1/incidents/{inc}/transitions"),
        &member,
        json!({"to": "responding", "reason": "mailboxes being cleaned"}),
        StatusCode::OK,
    )
    .await;
    app.service.checkpoint().await.unwrap();
    app.post_ok(
        &format!("/api/v1/incidents/{inc}/log"),
        &member,
        json!({"action": "Blocked the sender domain at the gateway"}),
        StatusCode::CREATED,
    )
    .await;

    b.sign_in("audrey", PASSWORD).await;
    assert!(
        b.source().await.contains("href=\"/journal\""),
        "the auditor's menu has the journal"
    );
    b.open("/journal").await;
    assert_eq!(b.heading().await, "Journal");
    let checkpoint = b.text("#checkpoint").await;
    assert!(checkpoint.contains("signature valid"), "{checkpoint}");
    let since = b.text("#since").await;
    // The log entry and audrey's sign-in (or fewer, when the timer has signed again).
    assert!(
        ["2 entries", "1 entry", "no new entries"]
            .iter()
            .any(|s| since.starts_with(s)),
        "{since}"
    );
    assert!(
        since == "no new entries" || since.contains("intact"),
        "{since}"
    );
    // Newest first: the sign-in, then the log entry.
    let first = b.text("#journal tbody tr:first-child").await;
    assert!(first.contains("auth.login"), "{first}");
    let second = b.text("#journal tbody tr:nth-child(2)").await;
    assert!(second.contains("incident.log"), "{second}");
    b.shot("browse").await;

    // By action: only the transition; its record links to the incident.
    b.select("#j-action", "incident.transition").await;
    b.submit("#journal-filters button[type=submit]").await;
    let rows = b
        .d()
        .find_all(thirtyfour::By::Css("#journal tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        b.source()
            .await
            .contains(&format!("href=\"/incidents/{inc}\""))
    );
    // By record and actor together.
    b.open(&format!("/journal?record={inc}&actor=ian")).await;
    let rows = b
        .d()
        .find_all(thirtyfour::By::Css("#journal tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "confirmed, transition, log");
    b.open(&format!("/journal?record={inc}&actor=nobody")).await;
    assert!(b.text("main .empty").await.contains("No entry matches"));
    // A filter the journal cannot have is named.
    b.open("/journal?action=incident.deleted").await;
    assert!(
        b.text(".alert-error")
            .await
            .contains("`incident.deleted` is not an action")
    );

    // The whole check: intact, and itself journaled.
    b.open("/journal").await;
    b.submit("#verify-chain").await;
    let result = b.text("#verify-result").await;
    assert!(result.starts_with("The whole chain holds."), "{result}");
    assert!(
        b.text("#journal tbody tr:first-child")
            .await
            .contains("journal.verified")
    );
    b.shot("verified").await;

    // An entry altered by SQL: the whole check names it.
    let drop_guard = match app.backend {
        crate::helpers::Backend::Sqlite => "DROP TRIGGER journal_no_update",
        crate::helpers::Backend::Postgres => "DROP TRIGGER journal_no_update ON journal",
    };
    app.raw_sql(&[
        drop_guard,
        "UPDATE journal SET payload = replace(payload, 'mailboxes being cleaned', 'nothing happened') WHERE action = 'incident.transition'",
    ])
    .await;
    b.submit("#verify-chain").await;
    let result = b.text("#verify-result").await;
    assert!(
        result.starts_with("The chain is broken at entry"),
        "{result}"
    );
    assert!(result.contains("entry altered"), "{result}");
    // The summary keeps saying so on every later view.
    b.open("/journal").await;
    let last = b.text("#last-check").await;
    assert!(last.starts_with("broken at entry"), "{last}");
    b.shot("broken").await;

    // Others do not see it.
    b.sign_out().await;
    b.sign_in("ian", PASSWORD).await;
    assert!(!b.source().await.contains("href=\"/journal\""));
    b.open("/journal").await;
    assert!(b.heading().await.contains("Not allowed"));
    b.quit().await;
}
