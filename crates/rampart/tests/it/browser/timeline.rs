//! The incident log as a timeline: field changes with before and after,
//! response actions and their approval, observables and evidence appear by
//! themselves, once each, by when they happened; a link shows them in the
//! order they were recorded.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Browser, app_and_browser, person};
use crate::evidence::upload;
use crate::helpers::{PASSWORD, incident};

async fn overflows(b: &Browser) -> bool {
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

async fn to_log(b: &Browser) {
    b.d()
        .execute("document.getElementById('log').scrollIntoView()", vec![])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_fills_itself_and_orders_by_when_things_happened() {
    let Some((app, b)) = app_and_browser("timeline").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    let inc = incident(&app, &ian, &ian, "ian", "Ransomware on the file server").await;
    let base = format!("/api/v1/incidents/{inc}");
    let long = "Encrypted shares on fs-01 and fs-02 found by the helpdesk after users reported \
                unreadable files; the ransom note names a known group";
    let (status, body) = app
        .call(
            Method::PATCH,
            &base,
            Some(&ian),
            Some(json!({"description": long,
                "severity": {"system_importance": "particularly_important",
                             "business_loss": "serious", "social_impact": "minor"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let action =
        json!({"what": "Take fs-01 off the network", "owner": "ian", "requires_approval": true});
    app.post_ok(
        &format!("{base}/actions"),
        &ian,
        action,
        StatusCode::CREATED,
    )
    .await;
    let approval = json!({"approved_by": "Olga Owner (file service)", "approval_reason": "Backups verified first"});
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("{base}/actions/1"),
            Some(&ian),
            Some(approval),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let observable = json!({"type": "domain", "value": "ransom-pay.example", "ioc": true});
    app.post_ok(
        &format!("{base}/observables"),
        &ian,
        observable,
        StatusCode::CREATED,
    )
    .await;
    let item = upload(&app, &ian, &inc, "note.txt", b"pay up").await;
    let evd = item["number"].as_str().unwrap().to_owned();

    b.sign_in("ian", PASSWORD).await;
    b.d().set_window_rect(0, 0, 1280, 1400).await.unwrap();
    b.open(&format!("/incidents/{inc}")).await;
    let log = b.text("#timeline").await;
    for seen in [
        "planned action 1: Take fs-01 off the network",
        "Olga Owner (file service) approved action 1",
        "Backups verified first",
        "added observable domain ransom-pay.example",
        &format!("collected {evd}"),
        "severity: ",
    ] {
        assert_eq!(log.matches(seen).count(), 1, "{seen} once in: {log}");
    }
    assert!(
        log.contains("description: seen on the wire → Encrypted shares"),
        "{log}"
    );
    assert!(
        log.contains("system importance important → particularly important"),
        "{log}"
    );
    assert!(log.contains('…'), "the long description is cut: {log}");
    assert!(
        b.text("#log").await.contains("By when it happened"),
        "the order shown is named"
    );
    // Collected on 2026-01-10, before anything else happened: last by default.
    let last = b.text("#timeline > li:last-child").await;
    assert!(last.contains(&format!("collected {evd}")), "{last}");
    to_log(&b).await;
    b.shot("01-by-when-it-happened").await;

    b.click(".timeline-order a").await;
    assert!(b.text("#log").await.contains("In the order recorded"));
    let first = b.text("#timeline > li:first-child").await;
    assert!(first.contains(&format!("collected {evd}")), "{first}");
    assert!(first.contains("happened 2026-01-10 09:00 UTC"), "{first}");
    to_log(&b).await;
    b.shot("02-in-the-order-recorded").await;

    b.d().set_window_rect(0, 0, 390, 900).await.unwrap();
    b.open(&format!("/incidents/{inc}")).await;
    assert!(!overflows(&b).await, "the timeline fits 390 px");
    to_log(&b).await;
    b.shot("03-phone").await;

    // An order that is not one is refused, naming it.
    b.open(&format!("/incidents/{inc}?log=sideways")).await;
    assert!(
        b.source()
            .await
            .contains("`sideways` is not one of occurred, recorded")
    );

    // A point of contact reads the incident, not its evidence.
    b.d().set_window_rect(0, 0, 1280, 1400).await.unwrap();
    b.open(&format!("/incidents/{inc}")).await;
    b.sign_out().await;
    person(&app, "pat", &[Role::Poc]).await;
    b.sign_in("pat", PASSWORD).await;
    b.open(&format!("/incidents/{inc}")).await;
    let log = b.text("#timeline").await;
    assert!(
        log.contains("added observable domain ransom-pay.example"),
        "{log}"
    );
    assert!(!log.contains("collected") && !log.contains(&evd), "{log}");
    b.quit().await;
}
