//! The classification scale in the browser: an admin saves version 2 (a
//! category renamed, one retired, one added, a class renamed; a code given
//! twice is named and what was typed kept); an incident classified under
//! version 1 keeps its names, and the register's filter still finds it.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, escalated_event};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_saves_a_new_scale_and_old_incidents_keep_theirs() {
    let Some((app, b)) = app_and_browser("scale").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    person(&app, "ada", &[Role::Admin]).await;
    let event = escalated_event(&app, &ian, "Port scan then exploit").await;
    let old = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            json!({"events": [event], "title": "Port scan then exploit", "category": "technical_attack",
                   "severity": {"system_importance": "particularly_important", "business_loss": "especially_serious", "social_impact": "minor"},
                   "effort": "low", "coordinator": "ian"}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();

    b.sign_in("ada", PASSWORD).await;
    b.open("/classification").await;
    let shown = b.text("#scale-shown").await;
    assert!(shown.to_lowercase().contains("in force"), "{shown}");
    // Rows 0-12 are Annex C in order: 4 is radiation, 7 technical attack.
    b.fill("#s-7-name", "Cyber attack").await;
    b.click("#s-4-retired").await;
    b.fill("#s-13-code", "malware").await;
    b.fill("#s-13-name", "Ransomware").await;
    b.fill(
        "#s-13-description",
        "Data encrypted or stolen for a ransom.",
    )
    .await;
    b.fill("#g-3-name", "Major incident").await;
    b.fill("#s-note", "Ransomware apart; radiation no longer seen")
        .await;
    b.submit("#scale-form button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("listed twice"), "{refused}");
    assert!(b.source().await.contains("value=\"Cyber attack\""));
    let form = b
        .d()
        .find(thirtyfour::By::Css("#scale-edit"))
        .await
        .unwrap();
    form.screenshot(&super::shots_dir().join("scale-classification-refused.png"))
        .await
        .unwrap();
    b.fill("#s-13-code", "ransomware").await;
    b.submit("#scale-form button[type=submit]").await;
    assert!(
        b.text("#scale-notice")
            .await
            .contains("Version 2 is in force")
    );
    let shown = b.text("#scale-categories").await;
    assert!(
        shown.contains("Cyber attack") && shown.contains("Ransomware"),
        "{shown}"
    );
    assert!(b.text("#scale-grades").await.contains("Major incident"));
    b.shot("classification-scale").await;
    b.sign_out().await;

    // The old incident keeps version 1's names; the register still finds it.
    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/incidents/{old}")).await;
    let category = b.text("#details-category").await;
    assert!(
        category.contains("Technical attack") && category.contains("scale v1"),
        "{category}"
    );
    assert!(b.text("#details-class").await.contains("Emergency"));
    b.shot("classification-old-incident").await;
    b.open("/incidents").await;
    b.select("#category", "technical_attack").await;
    b.submit("form.filters button[type=submit]").await;
    assert!(b.text("main").await.contains(&old));
    let offered = b.text("#category").await;
    assert!(
        offered.contains("Radiation disturbance (retired)"),
        "{offered}"
    );
    b.shot("classification-register").await;

    // A new confirmation offers version 2: ransomware, not radiation.
    let event = escalated_event(&app, &ian, "Files encrypted").await;
    b.open(&format!("/events/{event}")).await;
    let choices = b.text("#c-category").await;
    assert!(
        choices.contains("Ransomware") && !choices.contains("Radiation"),
        "{choices}"
    );
    assert!(choices.contains("Cyber attack"));
}
