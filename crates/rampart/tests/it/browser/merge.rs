//! Merging two incidents in the browser: the manager names the other
//! incident on the workspace, a wrong number is refused next to its field,
//! the merge brings everything over, and the merged incident's page says
//! where it went.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{Browser, app_and_browser, person};
use crate::helpers::{PASSWORD, incident};

async fn scroll_to(b: &Browser, css: &str) {
    b.d()
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
            vec![json!(css)],
        )
        .await
        .unwrap();
}

async fn overflows(b: &Browser) -> bool {
    b.d()
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap()
        .json()
        == &json!(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_merges_one_incident_into_another() {
    let Some((app, b)) = app_and_browser("merge").await else {
        return;
    };
    let poc = person(&app, "pete", &[Role::Poc]).await;
    let ines = person(&app, "ines", &[Role::IsirtMember]).await;
    person(&app, "mara", &[Role::IsirtManager]).await;
    let a = incident(&app, &poc, &ines, "ines", "Phishing wave on finance").await;
    let other = incident(&app, &poc, &ines, "ines", "Mail gateway flags invoices").await;
    app.post_ok(
        &format!("/api/v1/incidents/{other}/observables"),
        &ines,
        json!({"type": "domain", "value": "invoice-portal.example", "ioc": true}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/incidents/{other}/log"),
        &ines,
        json!({"action": "blocked the sender domain at the gateway"}),
        StatusCode::CREATED,
    )
    .await;

    // A member sees no merge form.
    b.sign_in("ines", PASSWORD).await;
    b.open(&format!("/incidents/{a}")).await;
    assert!(!b.source().await.contains("merge-form"));
    b.sign_out().await;

    b.sign_in("mara", PASSWORD).await;
    b.open(&format!("/incidents/{a}")).await;
    scroll_to(&b, "#related-incidents").await;
    b.shot("1-form").await;

    // A wrong number is refused next to the field, the values kept.
    b.fill("#merge-from", "INC-2026-12x").await;
    b.fill("#merge-reason", "Same campaign: same sender and lure")
        .await;
    b.submit("#merge-submit").await;
    let refused = b.text("#merge").await;
    assert!(
        refused.contains("`INC-2026-12x` is not an incident number"),
        "{refused}"
    );
    assert!(
        b.source()
            .await
            .contains("Same campaign: same sender and lure")
    );
    scroll_to(&b, "#merge").await;
    b.shot("2-refused").await;

    b.fill("#merge-from", &other).await;
    b.submit("#merge-submit").await;
    assert_eq!(b.path().await, format!("/incidents/{a}"));
    let page = b.source().await;
    assert!(
        page.contains(&format!("merged {other} into this incident")),
        "the log says what came"
    );
    assert!(page.contains("blocked the sender domain at the gateway"));
    assert!(page.contains("invoice-portal.example"));
    assert!(b.text("#related-incidents").await.contains(&other));
    b.shot("3-merged").await;

    // The merged incident points to the other and offers no changes.
    b.open(&format!("/incidents/{other}")).await;
    let banner = b.text("#merged-banner").await;
    assert!(banner.contains(&format!("Merged into {a}")), "{banner}");
    let source = b.source().await;
    for form in [
        "merge-form",
        "transition-form",
        "edit-record",
        "relate-form",
    ] {
        assert!(!source.contains(form), "a merged incident offers no {form}");
    }
    assert!(
        !source.contains(&format!("action=\"/incidents/{other}/observables")),
        "a merged incident offers no observable forms"
    );
    b.shot("4-banner").await;
    b.click("#merged-banner a").await;
    for _ in 0..50 {
        if b.path().await == format!("/incidents/{a}") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(b.path().await, format!("/incidents/{a}"));

    // On a phone.
    b.d().set_window_rect(0, 0, 390, 900).await.unwrap();
    b.open(&format!("/incidents/{other}")).await;
    assert!(!overflows(&b).await, "the banner fits 390 px");
    b.shot("5-phone-banner").await;
    b.open(&format!("/incidents/{a}")).await;
    assert!(!overflows(&b).await, "the workspace fits 390 px");
    b.quit().await;
}
