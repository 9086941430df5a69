//! Improvement actions in the browser: the review of a closed incident
//! lists one with what it changes; it shows on the incident as tracked and
//! on the register; closing it without an outcome is refused and names the
//! field; with one, it is done and leaves the open register. The lessons
//! register lists the review. A confirmed vulnerability's review does the
//! same from the vulnerability's page.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, incident};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_decides_an_improvement_tracked_to_closure() {
    let Some((app, b)) = app_and_browser("improvements").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    let n = incident(&app, &ian, &ian, "ian", "Ransomware on the file server").await;
    for (to, extra) in [
        ("responding", json!({})),
        ("recovering", json!({})),
        ("closed", json!({"resolution": "Restored from backups"})),
    ] {
        let mut body = json!({"to": to, "reason": "moving on"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        app.post_ok(
            &format!("/api/v1/incidents/{n}/transitions"),
            &ian,
            body,
            StatusCode::OK,
        )
        .await;
    }

    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/incidents/{n}#review-form")).await;
    b.fill("#r-lessons", "Mass renames went unnoticed for an hour")
        .await;
    b.fill("#r-imp-0-what", "Alert on mass file renames").await;
    b.fill("#r-imp-0-owner", "ian").await;
    b.select("#r-imp-0-kind", "control").await;
    b.fill("#r-imp-0-target", "ISO 27002 8.16").await;
    b.submit("#review-form button[type=submit]").await;
    let tracked = b.text("#review-improvements").await;
    assert!(
        tracked.contains(&format!("{n}.1")) && tracked.contains("ISO 27002 8.16"),
        "{tracked}"
    );
    let table = b
        .d()
        .find(thirtyfour::By::Css("#review-improvements"))
        .await
        .unwrap();
    table
        .screenshot(&super::shots_dir().join("improvements-incident-tracked.png"))
        .await
        .unwrap();

    b.open("/improvements").await;
    let register = b.text("#improvement-register").await;
    assert!(
        register.contains("Alert on mass file renames"),
        "{register}"
    );
    b.shot("improvements-register").await;

    b.open(&format!("/improvements/{n}.1")).await;
    b.select("#i-status", "done").await;
    b.submit("#improvement-update button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("Outcome"), "{refused}");
    b.fill("#i-outcome", "Rule deployed to the EDR").await;
    b.submit("#improvement-update button[type=submit]").await;
    assert!(b.text("#improvement-state").await.contains("Done"));
    assert!(
        b.text("#improvement-details")
            .await
            .contains("Rule deployed")
    );
    b.shot("improvements-done").await;
    b.open("/improvements").await;
    assert!(b.text("main").await.contains("No improvement actions open"));

    // The lessons register lists the review beside those of other incidents.
    b.open("/lessons").await;
    let lessons = b.text("#lessons-register").await;
    assert!(
        lessons.contains(&n) && lessons.contains("Mass renames went unnoticed"),
        "{lessons}"
    );
    b.shot("improvements-lessons").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vulnerability_review_feeds_the_lessons_register() {
    let Some((app, b)) = app_and_browser("vulnerability-lessons").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    let behind = incident(&app, &ian, &ian, "ian", "Spam sent through our gateway").await;
    let (_, v) = app
        .post(
            "/api/v1/vulnerabilities",
            &ian,
            json!({"title": "Open relay on the mail gateway",
                   "description": "It relays for any sender", "reference": "CVE-2026-1234"}),
        )
        .await;
    let number = v["number"].as_str().unwrap().to_owned();

    // Not offered before the weakness is confirmed.
    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/vulnerabilities/{number}")).await;
    assert!(!b.text("main").await.contains("Lessons learned"));
    app.post_ok(
        &format!("/api/v1/vulnerabilities/{number}/assessment"),
        &ian,
        json!({"outcome": "confirmed"}),
        StatusCode::OK,
    )
    .await;

    b.open(&format!("/vulnerabilities/{number}")).await;
    b.fill("#r-detection", "A relay test in the monthly scan")
        .await;
    b.fill("#r-lessons", "Configuration drift on the edge goes unseen")
        .await;
    b.fill("#r-recurrence", "INC-2026-0999").await;
    b.fill("#r-imp-0-what", "Test the gateways for open relay monthly")
        .await;
    b.fill("#r-imp-0-owner", "ian").await;
    b.select("#r-imp-0-kind", "control").await;
    b.fill("#r-imp-0-target", "ISO 27002 8.8").await;
    b.submit("#review-form button[type=submit]").await;
    // An incident that does not exist is named; what was typed stays.
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("INC-2026-0999"), "{refused}");
    b.fill("#r-recurrence", &behind).await;
    b.submit("#review-form button[type=submit]").await;
    let tracked = b.text("#review-improvements").await;
    assert!(
        tracked.contains(&format!("{number}.1")) && tracked.contains("ISO 27002 8.8"),
        "{tracked}"
    );
    assert!(b.text("#same-root-cause").await.contains(&behind));
    b.d().set_window_rect(0, 0, 1280, 1600).await.unwrap();
    b.d()
        .execute("document.getElementById('review').scrollIntoView()", vec![])
        .await
        .unwrap();
    b.shot("vulnerability-review").await;
    b.d().set_window_rect(0, 0, 1280, 900).await.unwrap();

    b.open("/lessons").await;
    let lessons = b.text("#lessons-register").await;
    assert!(
        lessons.contains(&number)
            && lessons.contains("CVE-2026-1234")
            && lessons.contains("Configuration drift"),
        "{lessons}"
    );
    b.shot("vulnerability-lessons").await;
    b.open(&format!("/improvements?show=all&vulnerability={number}"))
        .await;
    let register = b.text("#improvement-register").await;
    assert!(
        register.contains(&format!("{number}.1")) && !register.contains(&behind),
        "{register}"
    );
}
