//! Observables on the incident workspace: an analyst adds one proposed by
//! the extraction with one click, one by hand, one found in pasted defanged
//! text, then follows the pivot link to another incident and an event that
//! share it.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

use super::{app_and_browser, person, shots_dir};
use crate::helpers::{PASSWORD, TestApp};

/// An escalated event; returns its number.
async fn escalated(
    app: &TestApp,
    poc: &str,
    title: &str,
    description: &str,
    observables: Value,
) -> String {
    let e = app
        .post_ok(
            "/api/v1/events",
            poc,
            json!({"title": title, "description": description, "observables": observables}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_ok(
        &format!("/api/v1/events/{e}/assessment"),
        poc,
        json!({"decision": "possible_incident", "escalate": true}),
        StatusCode::OK,
    )
    .await;
    e
}

async fn confirmed(app: &TestApp, member: &str, event: &str, title: &str) -> String {
    app.post_ok(
        "/api/v1/incidents",
        member,
        json!({"events": [event], "title": title, "category": "technical_attack",
               "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
               "effort": "medium", "coordinator": "ines"}),
        StatusCode::CREATED,
    )
    .await["number"]
    .as_str()
    .unwrap()
    .to_owned()
}

/// Whether the page is wider than the window (something overflows).
async fn overflows(b: &super::Browser) -> bool {
    b.d()
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1",
            vec![],
        )
        .await
        .unwrap()
        .json()
        == &Value::Bool(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_records_observables_and_pivots_to_what_shares_them() {
    let Some((app, b)) = app_and_browser("observables").await else {
        return;
    };
    let poc = person(&app, "pete", &[Role::Poc]).await;
    let ines = person(&app, "ines", &[Role::IsirtMember]).await;

    // Earlier work: an incident and a sensor event that carry the C2 address.
    let old_event = escalated(
        &app,
        &poc,
        "Web shell on the intranet server",
        "Found by EDR",
        json!([]),
    )
    .await;
    let earlier = confirmed(&app, &ines, &old_event, "Intranet web shell").await;
    app.post_ok(
        &format!("/api/v1/incidents/{earlier}/observables"),
        &ines,
        json!({"type": "ip", "value": "203.0.113.9", "ioc": true, "sighted": true}),
        StatusCode::CREATED,
    )
    .await;
    let sensor = escalated(
        &app,
        &poc,
        "IDS: outbound beacon",
        "Periodic HTTPS to a known C2",
        json!([{"type": "ip", "value": "203.0.113.9"}]),
    )
    .await;
    // Today's incident: its description names the address, defanged as analysts paste it.
    let today = escalated(
        &app,
        &poc,
        "Laptop beaconing",
        "Proxy shows beacons from lt-0042 to 203.0.113[.]9 every 60 s; payload from hxxp://dl.evil-cdn[.]example/stage2.bin",
        json!([]),
    )
    .await;
    let n = confirmed(&app, &ines, &today, "Beaconing laptop lt-0042").await;

    b.sign_in("ines", PASSWORD).await;
    b.open(&format!("/incidents/{n}")).await;
    let proposals = b.text("#candidates").await;
    assert!(proposals.contains("203.0.113.9"), "{proposals}");
    assert!(
        proposals.contains("http://dl.evil-cdn.example/stage2.bin"),
        "{proposals}"
    );

    // One click adds a proposal.
    b.submit("#candidates button[data-candidate='ip:203.0.113.9']")
        .await;
    assert!(b.path().await.ends_with(&n));
    let table = b.text("#observables-table").await;
    assert!(table.contains("203.0.113.9"), "{table}");
    assert!(
        !b.text("#candidates").await.contains("203.0.113.9"),
        "no longer proposed"
    );

    // One by hand: the value is normalised as on events.
    b.click("#observables details:has(#observable-add) > summary")
        .await;
    b.select("#o-type", "domain").await;
    b.fill("#o-value", "Evil-CDN.Example.").await;
    b.select("#o-pap", "RED").await;
    b.click("#observable-add input[name=ioc]").await;
    b.fill("#o-note", "Payload host").await;
    b.submit("#observable-add button[type=submit]").await;
    let table = b.text("#observables-table").await;
    assert!(
        table.contains("evil-cdn.example") && table.contains("PAP:RED"),
        "{table}"
    );

    // A duplicate is refused by field, the form kept.
    b.click("#observables details:has(#observable-add) > summary")
        .await;
    b.select("#o-type", "domain").await;
    b.fill("#o-value", "evil-cdn.example").await;
    b.submit("#observable-add button[type=submit]").await;
    let refused = b.text("#observables").await;
    assert!(refused.contains("already on"), "{refused}");
    b.d()
        .find(By::Css("#observable-add"))
        .await
        .unwrap()
        .scroll_into_view()
        .await
        .unwrap();
    b.shot("01a-refused-duplicate").await;

    // Pasted defanged text: the mail address is proposed, then added.
    b.open(&format!("/incidents/{n}")).await;
    b.click("#observables details:has(#extract-form) > summary")
        .await;
    b.fill(
        "#o-paste",
        "From: billing[@]invoices-evil[.]example\nSee hxxps://invoices-evil[.]example/pay",
    )
    .await;
    b.submit("#extract-form button[type=submit]").await;
    let proposals = b.text("#candidates").await;
    assert!(
        proposals.contains("billing@invoices-evil.example"),
        "{proposals}"
    );
    b.submit("#candidates button[data-candidate='email:billing@invoices-evil.example']")
        .await;
    assert!(
        b.text("#observables-table")
            .await
            .contains("billing@invoices-evil.example")
    );

    // Change one: the edit form holds its current values.
    b.click("tr[data-observable='2'] a[href='#edit-observable-2']")
        .await;
    b.shot("01b-edit-open").await;
    b.select("#o-pap-2", "GREEN").await;
    b.click("#edit-observable-2 input[type=checkbox][name=sighted]")
        .await;
    b.submit("#edit-observable-2 form.stack button[type=submit]")
        .await;
    let row = b.text("tr[data-observable='2']").await;
    assert!(
        row.contains("PAP:GREEN") && row.contains("IOC") && row.contains("sighted"),
        "{row}"
    );
    assert!(row.contains("changed by ines"), "{row}");

    // Remove one, with a reason: it leaves the table, the record keeps it.
    b.open(&format!("/incidents/{n}#edit-observable-2")).await;
    b.fill("#o-reason-2", "Shared CDN, not attacker-controlled")
        .await;
    b.submit("#edit-observable-2 .obs-remove button").await;
    assert!(
        !b.text("#observables-table")
            .await
            .contains("evil-cdn.example")
    );
    assert!(b.text("#observables").await.contains("1 removed"));
    b.click("#observables details:has(#observable-add) > summary")
        .await;
    b.select("#o-type", "domain").await;
    b.fill("#o-value", "evil-cdn.example").await;
    b.submit("#observable-add button[type=submit]").await;

    // A colleague's observable appears in the open workspace without a reload.
    assert!(b.wait_for("class=\"live\"").await);
    b.d()
        .execute("window.__notReloaded = true", vec![])
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.post_ok(
        &format!("/api/v1/incidents/{n}/observables"),
        &ines,
        json!({"type": "url", "value": "https://login-update.example/portal"}),
        StatusCode::CREATED,
    )
    .await;
    let mut shown = false;
    for _ in 0..150 {
        if b.text("#observables-table")
            .await
            .contains("login-update.example/portal")
        {
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(shown, "the observables table updates live");
    let still = b
        .d()
        .execute("return window.__notReloaded === true", vec![])
        .await
        .unwrap();
    assert_eq!(still.json(), &Value::Bool(true));

    let section = b.d().find(By::Css("#observables")).await.unwrap();
    section.scroll_into_view().await.unwrap();
    section
        .screenshot(&shots_dir().join("observables-01-workspace-section.png"))
        .await
        .unwrap();
    b.shot("02-workspace").await;

    // The pivot: every incident and event carrying the address.
    b.submit("#observables-table a[href='/observables/ip/203.0.113.9']")
        .await;
    assert_eq!(b.path().await, "/observables/ip/203.0.113.9");
    let summary = b.text("#pivot-summary").await;
    assert!(
        summary.starts_with("Seen in 2 incidents, 1 event"),
        "{summary}"
    );
    let incidents = b.text("#pivot-incidents").await;
    assert!(
        incidents.contains(&n) && incidents.contains(&earlier),
        "{incidents}"
    );
    assert!(b.text("#pivot-events").await.contains(&sensor));
    b.shot("03-pivot").await;
    b.d().set_window_rect(0, 0, 390, 900).await.unwrap();
    assert!(!overflows(&b).await, "the pivot page fits 390 px");
    b.shot("04-pivot-narrow").await;
    b.d().set_window_rect(0, 0, 1280, 1000).await.unwrap();

    // Onwards to the other incident, and its page shows the same observable.
    b.submit(&format!(
        "#pivot-incidents a[href='/incidents/{earlier}#observables']"
    ))
    .await;
    assert_eq!(b.heading().await, "Intranet web shell");
    assert!(b.text("#observables-table").await.contains("203.0.113.9"));
    // And from the event page's observables line to the same pivot.
    b.open(&format!("/events/{sensor}")).await;
    b.shot("06-event-observables").await;
    b.submit("a.observable-link[href='/observables/ip/203.0.113.9']")
        .await;
    assert_eq!(b.path().await, "/observables/ip/203.0.113.9");

    b.open(&format!("/incidents/{n}")).await;
    b.d().set_window_rect(0, 0, 390, 900).await.unwrap();
    assert!(!overflows(&b).await, "the workspace fits 390 px");
    let section = b.d().find(By::Css("#observables")).await.unwrap();
    section.scroll_into_view().await.unwrap();
    section
        .screenshot(&shots_dir().join("observables-05-workspace-narrow.png"))
        .await
        .unwrap();
    b.quit().await;
}
