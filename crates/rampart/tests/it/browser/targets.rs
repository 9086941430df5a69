//! Response-time targets in the browser: the incident register lists the
//! least time left first and filters what is overdue; the workspace shows
//! each stage; admins edit the table.

use rampart_domain::Role;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, incident_aware as incident};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_lists_the_least_time_left_first() {
    let Some((app, b)) = app_and_browser("targets").await else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = person(&app, "ian", &[Role::IsirtMember]).await;
    incident(
        &app,
        &pat,
        &ian,
        "Fresh emergency: payment API down",
        true,
        5,
    )
    .await;
    let old = incident(
        &app,
        &pat,
        &ian,
        "Old small: phishing mail reported",
        false,
        10 * 24 * 60,
    )
    .await;
    let soon = incident(&app, &pat, &ian, "Ransomware on a file server", true, 200).await;
    b.sign_in("ian", PASSWORD).await;

    b.open("/incidents").await;
    b.select("#sort", "due").await;
    b.submit("form.filters button[type=submit]").await;
    let rows = b.text("#incident-register tbody").await;
    let at = |needle: &str| {
        rows.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {rows}"))
    };
    assert!(at(&old) < at(&soon), "overdue first: {rows}");
    assert!(
        at(&soon) < at("Fresh emergency"),
        "then the least time left: {rows}"
    );
    assert!(rows.contains("3 d overdue"), "{rows}");
    let source = b.source().await;
    assert!(
        source.contains("target-overdue")
            && source.contains("target-due_soon")
            && source.contains("target-on_track")
    );
    b.shot("01-register-by-time-left").await;

    b.select("#target", "overdue").await;
    b.submit("form.filters button[type=submit]").await;
    let rows = b.text("#incident-register tbody").await;
    assert!(rows.contains(&old) && !rows.contains(&soon), "{rows}");

    // The notification clocks: DORA applies, classified as major.
    app.post_ok(
        &format!("/api/v1/incidents/{soon}/regimes"),
        &ian,
        serde_json::json!({"regime": "dora", "answers": [{"question": "critical_services", "yes": true}],
               "reason": "card payments of a credit institution"}),
        reqwest::StatusCode::OK,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/incidents/{soon}/anchors"),
        &ian,
        serde_json::json!({"anchor": "classified_major"}),
        reqwest::StatusCode::CREATED,
    )
    .await;
    b.open(&format!("/incidents/{soon}")).await;
    let clocks = b.text("#clock-table").await;
    assert!(clocks.contains("Initial notification"), "{clocks}");
    assert!(clocks.contains("Running"), "{clocks}");
    b.d()
        .execute("document.getElementById('clocks').scrollIntoView()", vec![])
        .await
        .unwrap();
    b.shot("02b-notification-clocks").await;
    let panel = b.text("#targets").await;
    assert!(panel.contains("Time to contain"), "{panel}");
    assert!(panel.contains("Due soon"), "{panel}");
    assert!(panel.contains("Met"), "confirmation is done: {panel}");
    b.shot("02-incident-response-times").await;

    // The deadlines board: least time left first, the clock among the targets.
    let fresh = rows_number(&rows_of(&app, &ian).await, "Fresh emergency");
    b.click("nav a[href='/deadlines']").await;
    assert_eq!(b.path().await, "/deadlines");
    let board = b.text("#deadlines tbody").await;
    let at = |needle: &str| {
        board
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in {board}"))
    };
    assert!(at(&old) < at(&soon), "overdue first: {board}");
    assert!(at(&soon) < at(&fresh), "then due soon: {board}");
    assert!(
        at(&fresh) < at("DORA: Initial notification"),
        "the clock due last: {board}"
    );
    let states = b
        .d()
        .execute(
            "return Array.from(document.querySelectorAll('#deadlines tbody tr')).map(r => r.dataset.state + '/' + r.dataset.kind)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        states.json(),
        &serde_json::json!([
            "overdue/target",
            "due_soon/target",
            "on_track/target",
            "on_track/clock"
        ])
    );
    b.shot("04-deadlines-board").await;

    b.sign_out().await;
    person(&app, "ada", &[Role::Admin]).await;
    b.sign_in("ada", PASSWORD).await;
    b.open("/admin/targets").await;
    b.fill("#t-IV\\.contain", "3h").await;
    b.submit("#targets-form button[type=submit]").await;
    assert!(b.text(".alert-success").await.contains("version 1"));
    b.shot("03-admin-targets").await;
    b.quit().await;
}

/// The incident register as the API lists it, by priority.
async fn rows_of(app: &crate::helpers::TestApp, token: &str) -> serde_json::Value {
    app.get("/api/v1/incidents?limit=50", token).await.1
}

/// The number of the incident whose title starts with `title`.
fn rows_number(page: &serde_json::Value, title: &str) -> String {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().starts_with(title))
        .unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned()
}
