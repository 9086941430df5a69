//! Triage at volume in the browser: filtering the queue, a bulk false alarm
//! of ten events, adding an escalated event to an existing incident from its
//! page, and the past events.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;
use thirtyfour::prelude::*;

use super::{Browser, app_and_browser, person};
use crate::helpers::{PASSWORD, TestApp, escalated_event, incident};

/// A sensor's alert with a severity; returns its number.
async fn alert(app: &TestApp, sensor: &str, title: &str, severity: &str) -> String {
    app.post_ok(
        "/api/v1/events",
        sensor,
        json!({"title": title, "description": "sensor alert", "severity": severity,
               "source": {"kind": "sensor", "name": "ids-edge", "ref": title}}),
        StatusCode::CREATED,
    )
    .await["number"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Whether the page is wider than the window (a horizontal scroll bar).
async fn overflows(b: &Browser) -> bool {
    b.d()
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth",
            vec![],
        )
        .await
        .unwrap()
        .json()
        == &serde_json::Value::Bool(true)
}

/// Takes the screenshot at full width and at 390 px, where the page must not overflow.
async fn shots(b: &Browser, name: &str) {
    b.d()
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .unwrap();
    b.shot(name).await;
    b.d().set_window_rect(0, 0, 390, 1000).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    b.shot(&format!("{name}-390")).await;
    assert!(!overflows(b).await, "{name} overflows at 390 px");
    b.d().set_window_rect(0, 0, 1280, 1000).await.unwrap();
}

/// The event numbers of the queue's rows, in order.
async fn queue_rows(b: &Browser) -> Vec<String> {
    let mut numbers = Vec::new();
    for row in b
        .d()
        .find_all(By::Css("#triage-queue tbody tr"))
        .await
        .unwrap()
    {
        numbers.push(row.attr("data-event").await.unwrap().unwrap_or_default());
    }
    numbers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_is_filtered_and_ten_events_are_false_alarms_at_once() {
    let Some((app, b)) = app_and_browser("triage-bulk").await else {
        return;
    };
    let ids = app.user("ids", &[Role::Reporter]).await;
    person(&app, "pat", &[Role::Poc]).await;
    let mut noise = Vec::new();
    for i in 0..10 {
        noise.push(alert(&app, &ids, &format!("Scheduled scan hit host {i}"), "low").await);
    }
    let critical = alert(&app, &ids, "Ransomware beacon", "critical").await;
    let public = app
        .service
        .report_event(
            &rampart_domain::Actor::new("public", vec![Role::Reporter]),
            serde_json::from_value(
                json!({"title": "Your login page looks odd", "description": "from a customer"}),
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .number
        .to_string();

    b.sign_in("pat", PASSWORD).await;
    b.open("/triage").await;
    // Severity first by default: the critical alert leads, the public report (no severity) comes last.
    let rows = queue_rows(&b).await;
    assert_eq!(rows.first(), Some(&critical), "{rows:?}");
    assert_eq!(rows.last(), Some(&public), "{rows:?}");
    assert!(
        b.text(&format!("tr[data-event='{public}'] .badges"))
            .await
            .contains("public report")
    );

    // Filter: low severity from the sensor.
    b.select("#f-severity", "low").await;
    b.fill("#f-source", "ids-edge").await;
    b.submit("#queue-filters button[type=submit]").await;
    let url = b.d().current_url().await.unwrap();
    assert!(url.query().unwrap_or("").contains("severity=low"), "{url}");
    let rows = queue_rows(&b).await;
    assert_eq!(rows.len(), 10, "{rows:?}");
    assert!(!rows.contains(&critical) && !rows.contains(&public));

    // Select all ten (one by one, then all at once with the header's box)
    // and call them false alarms with one reason.
    for n in &noise[..3] {
        b.click(&format!("#pick-{n}")).await;
    }
    assert!(b.text("#bulk-bar legend").await.contains("3 selected"));
    b.click("#pick-all").await;
    assert!(b.text("#bulk-bar legend").await.contains("10 selected"));
    b.click("input[name=decision][value=false_alarm]").await;
    b.fill("#b-reason", "Weekly authorised vulnerability scan")
        .await;
    shots(&b, "01-queue-filtered-selection").await;
    b.submit("#bulk button[type=submit]").await;
    let head = b.text("#outcome h2").await.to_lowercase();
    assert_eq!(head, "false alarm: 10 done");
    let outcome = b.text("#outcome").await;
    assert!(!outcome.contains("refused"), "{outcome}");
    assert_eq!(outcome.matches("now false alarm").count(), 10, "{outcome}");
    for n in &noise {
        assert!(outcome.contains(n.as_str()), "{outcome}");
    }
    // The filtered queue is now empty, and says so.
    assert!(
        b.text("main")
            .await
            .contains("No event waiting for triage matches these filters")
    );
    shots(&b, "02-outcome").await;
    // The answer's queue still follows new events, filtered as it was.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let late = alert(&app, &ids, "Scheduled scan hit host 10", "low").await;
    assert!(
        b.wait_for(&format!("pick-{late}")).await,
        "the queue updates live"
    );
    assert!(!b.source().await.contains(&format!("pick-{critical}")));
    for n in &noise {
        let (_, e) = app.get(&format!("/api/v1/events/{n}"), &ids).await;
        assert_eq!(e["status"], "false_alarm", "{e}");
    }

    // A refused form keeps the selection and names the missing reason.
    b.open("/triage").await;
    b.click(&format!("#pick-{critical}")).await;
    b.click("input[name=decision][value=false_alarm]").await;
    b.submit("#bulk button[type=submit]").await;
    assert!(b.text(".alert-error").await.contains("say why"));
    let ticked = b
        .d()
        .find(By::Css(format!("#pick-{critical}")))
        .await
        .unwrap()
        .is_selected()
        .await
        .unwrap();
    assert!(ticked, "the selection is kept");

    // The past events list finds them by text and status.
    b.open("/events?status=false_alarm&q=scheduled+scan").await;
    let past = b.text("#past-events").await;
    for n in &noise {
        assert!(past.contains(n.as_str()), "{past}");
    }
    assert!(past.contains("Weekly authorised vulnerability scan"));
    shots(&b, "03-past-events").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalated_event_is_added_to_an_existing_incident_from_its_page() {
    let Some((app, b)) = app_and_browser("triage-link").await else {
        return;
    };
    let pat = app.user("pat-api", &[Role::Poc]).await;
    let ian_api = app.user("ian-api", &[Role::IsirtMember]).await;
    person(&app, "ian", &[Role::IsirtMember]).await;
    // The incident's first event and the new one share an address: the incident is related.
    let first = app
        .post_ok(
            "/api/v1/events",
            &pat,
            json!({"title": "Ransomware on the file server", "description": "notes on every share",
                   "observables": [{"type": "ip", "value": "203.0.113.9"}]}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_ok(
        &format!("/api/v1/events/{first}/assessment"),
        &pat,
        json!({"decision": "possible_incident"}),
        StatusCode::OK,
    )
    .await;
    let inc = app
        .post_ok(
            "/api/v1/incidents",
            &ian_api,
            json!({"events": [first], "title": "Ransomware on the file server", "category": "malware",
                   "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
                   "effort": "low", "coordinator": "ian-api"}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    // A second incident, restricted to someone else: it is not offered, and naming it is refused.
    let secret = incident(&app, &pat, &ian_api, "ian-api", "Board mailbox").await;
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/incidents/{secret}/restriction"),
            Some(&ian_api),
            Some(json!({"users": ["ian-api"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let n = app
        .post_ok(
            "/api/v1/events",
            &pat,
            json!({"title": "Encrypted share on a second server", "description": "same C2 address",
                   "observables": [{"type": "ip", "value": "203.0.113.9"}]}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_ok(
        &format!("/api/v1/events/{n}/assessment"),
        &pat,
        json!({"decision": "possible_incident"}),
        StatusCode::OK,
    )
    .await;
    let other = escalated_event(&app, &pat, "Unrelated escalated event").await;

    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/events/{n}")).await;
    let offer = b.text("#link").await.to_lowercase();
    assert!(offer.contains("add to an existing incident"), "{offer}");
    b.fill("#l-incident", &secret).await;
    b.submit("#link form.stack button[type=submit]").await;
    assert!(
        b.text("#link")
            .await
            .contains(&format!("no open incident {secret} that you may see")),
        "{}",
        b.text("#link").await
    );
    // The related open incident is offered first, by its number.
    let offered = b.text("#link .link-choices").await;
    assert!(offered.contains(&format!("Add to {inc}")), "{offered}");
    assert!(!offered.contains(&secret), "{offered}");
    shots(&b, "01-event-add-to-incident").await;
    b.submit("#link .link-choices button[type=submit]").await;
    assert_eq!(b.path().await, format!("/incidents/{inc}"));
    assert!(b.source().await.contains(&n));
    let (_, e) = app.get(&format!("/api/v1/events/{n}"), &ian_api).await;
    assert_eq!(e["status"], "linked");
    assert_eq!(e["incident"], inc.as_str());

    // Any open incident can be named in the field.
    b.open(&format!("/events/{other}")).await;
    b.fill("#l-incident", &inc).await;
    b.submit("#link form.stack button[type=submit]").await;
    assert_eq!(b.path().await, format!("/incidents/{inc}"));
    assert!(b.source().await.contains(&other));
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalated_events_are_added_to_an_incident_together() {
    let Some((app, b)) = app_and_browser("triage-escalated").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    let inc = incident(&app, &ian, &ian, "ian", "Credential phishing wave").await;
    let first = escalated_event(&app, &ian, "Phishing mail to finance").await;
    let second = escalated_event(&app, &ian, "Phishing mail to HR").await;

    b.sign_in("ian", PASSWORD).await;
    b.open("/triage").await;
    let listed = b.text("#escalated").await;
    assert!(
        listed.contains(&first) && listed.contains(&second),
        "{listed}"
    );
    b.click(&format!("#pick-esc-{first}")).await;
    b.click(&format!("#pick-esc-{second}")).await;
    assert!(
        b.text("#bulk-escalated legend")
            .await
            .contains("2 selected")
    );
    b.fill("#be-incident", &inc.to_lowercase()).await;
    shots(&b, "01-escalated-selected").await;
    b.d().set_window_rect(0, 0, 1280, 1000).await.unwrap();
    b.submit("#bulk-escalated button[type=submit]").await;
    let outcome = b.text("#outcome").await;
    assert!(!outcome.contains("refused"), "{outcome}");
    assert!(
        outcome.contains(&first) && outcome.contains(&second),
        "{outcome}"
    );
    shots(&b, "02-escalated-linked").await;
    for n in [&first, &second] {
        let (_, event) = app.get(&format!("/api/v1/events/{n}"), &ian).await;
        assert_eq!(event["incident"], inc.as_str(), "{event}");
    }
    assert!(
        !b.source().await.contains(&format!("pick-esc-{first}")),
        "linked events leave the escalated list"
    );
    b.quit().await;
}
