//! The notification centre in the browser: the bell counts a new
//! notification live, on whatever page is open; opening it goes to the
//! record and clears the bell; preferences are chosen on their page.

use std::time::Duration;

use rampart_domain::Role;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, escalated_event};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bell_counts_a_new_notification_live_and_opening_it_clears_it() {
    let Some((app, b)) = app_and_browser("bell").await else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    person(&app, "ian", &[Role::IsirtMember]).await;
    b.sign_in("ian", PASSWORD).await;
    b.open("/dashboard").await;
    assert_eq!(
        b.text("[data-bell]").await,
        "",
        "no count while nothing is unread"
    );
    b.d()
        .execute("window.__notReloaded = true", vec![])
        .await
        .unwrap();
    // Give the event stream a moment to connect.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let event = escalated_event(&app, &pat, "Beaconing to 203.0.113.9 every 60 s").await;
    assert!(
        b.wait_for("data-bell-version").await,
        "the bell follows without a reload"
    );
    assert_eq!(b.text("[data-bell-count]").await, "1");
    let label = b
        .d()
        .find(thirtyfour::By::Css("[data-bell]"))
        .await
        .unwrap()
        .attr("aria-label")
        .await
        .unwrap();
    assert_eq!(label.as_deref(), Some("Notifications: 1 unread"));
    let still = b
        .d()
        .execute("return window.__notReloaded === true", vec![])
        .await
        .unwrap();
    assert_eq!(still.json(), &serde_json::Value::Bool(true));
    b.shot("01-bell").await;

    // The centre lists it, unread; opening it goes to the event and clears the bell.
    b.click("[data-bell]").await;
    assert_eq!(b.path().await, "/notifications");
    assert!(b.text("#notifications").await.contains(&event));
    assert!(b.source().await.contains("is-unread"));
    b.shot("02-notifications").await;
    b.submit(".notification-open button").await;
    assert_eq!(b.path().await, format!("/events/{event}"));
    assert_eq!(b.text("[data-bell]").await, "");

    // A second one arrives while the centre is open: the list follows too.
    b.open("/notifications").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second = escalated_event(&app, &pat, "Mass mailing from a service account").await;
    assert!(b.wait_for(&second).await, "the list follows live");
    b.submit("#mark-all-read").await;
    assert!(!b.source().await.contains("is-unread"));
    assert_eq!(b.text("[data-bell]").await, "");

    // Preferences: an address, e-mail off for escalations; a bad address is named.
    b.open("/notifications/preferences").await;
    // The browser checks the address itself; the server's check is what is tested.
    b.d()
        .execute(
            "document.getElementById('preferences').noValidate = true",
            vec![],
        )
        .await
        .unwrap();
    b.fill("#p-email", "ian at example").await;
    b.submit("#preferences button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("is not an e-mail address"), "{refused}");
    b.shot("03-preferences-refused").await;
    b.fill("#p-email", "ian@example.org").await;
    b.click("input[name=mail][value=event_escalated]").await;
    b.submit("#preferences button[type=submit]").await;
    assert!(b.text(".alert-success").await.contains("saved"));
    b.shot("04-preferences").await;
    let ian = rampart_domain::Actor::new("ian", vec![Role::IsirtMember]);
    let mine = app.service.notification_preferences(&ian).await.unwrap();
    assert_eq!(mine.email.as_deref(), Some("ian@example.org"));
    let escalations = rampart_domain::NoticeKind::EventEscalated;
    assert!(mine.muted_by_email.contains(&escalations));
    assert!(mine.muted_in_app.is_empty());
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_subscribes_a_webhook_and_sees_its_secret_once() {
    let Some((app, b)) = app_and_browser("webhooks").await else {
        return;
    };
    person(&app, "ada", &[Role::Admin]).await;
    b.sign_in("ada", PASSWORD).await;
    b.open("/admin/webhooks").await;
    b.fill("#w-name", "SOC room").await;
    b.fill("#w-url", "http://127.0.0.1:9/hooks/rampart").await;
    b.select("#w-format", "slack").await;
    b.click("input[name=kinds][value=incident_significant]")
        .await;
    b.click("input[name=kinds][value=incident_crisis]").await;
    b.submit("#webhook-add button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("private"), "{refused}");
    assert_eq!(
        b.d()
            .find(thirtyfour::By::Css("#w-name"))
            .await
            .unwrap()
            .value()
            .await
            .unwrap()
            .as_deref(),
        Some("SOC room"),
        "the form keeps what was typed"
    );
    b.shot("01-refused").await;
    b.click("input[name=allow_private]").await;
    b.submit("#webhook-add button[type=submit]").await;
    let secret = b.text("#new-secret code").await;
    assert_eq!(secret.len(), 64, "{secret}");
    let row = b.text("#webhooks tbody tr").await;
    assert!(
        row.contains("SOC room") && row.contains("incident_significant"),
        "{row}"
    );
    b.shot("02-subscribed").await;
    b.open("/admin/webhooks").await;
    assert!(!b.source().await.contains(&secret), "shown once");
    b.submit("#webhooks form button[type=submit]").await;
    assert!(b.text("#webhooks tbody tr").await.contains("off"));
    b.quit().await;
}
