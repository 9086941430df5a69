//! An exercise in the browser: a manager plans one (an unknown name in the
//! audience is named and what was typed kept) and starts it; the banner
//! shows on every page, the inject arrives in the triage queue marked, its
//! page says it is not real, the incident register leaves it out unless
//! asked, and the after-action report measures it.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, confirm_as, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_runs_an_exercise_marked_wherever_it_shows() {
    let Some((app, b)) = app_and_browser("exercises").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    let mia = person(&app, "mia", &[Role::IsirtManager]).await;

    b.sign_in("mia", PASSWORD).await;
    b.open("/exercises").await;
    assert!(b.text("main").await.contains("No exercises yet"));
    b.fill("#x-id", "ransomware-drill").await;
    b.fill("#x-title", "Ransomware drill").await;
    b.fill(
        "#x-scenario",
        "Files encrypted on the file server: is it contained within the target?",
    )
    .await;
    b.fill("#x-audience", "ian\nmia\nnobody").await;
    b.fill("input[name='injects.0.at_minute']", "0").await;
    b.fill("input[name='injects.0.title']", "Backups failed overnight")
        .await;
    b.fill(
        "input[name='injects.0.description']",
        "The nightly backup job failed on the file server",
    )
    .await;
    b.fill("input[name='injects.1.at_minute']", "45").await;
    b.fill(
        "input[name='injects.1.title']",
        "Ransom note on every share",
    )
    .await;
    b.fill(
        "input[name='injects.1.description']",
        "A text file on each share asks for bitcoin",
    )
    .await;
    b.submit("#new-exercise button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("nobody"), "{refused}");
    assert!(b.source().await.contains("Ransom note on every share"));
    b.fill("#x-audience", "ian\nmia").await;
    b.submit("#new-exercise button[type=submit]").await;
    assert_eq!(b.path().await, "/exercises/ransomware-drill");
    assert!(b.text("#exercise-status").await.contains("planned"));
    b.submit("#start-exercise").await;
    assert!(b.text("#exercise-status").await.contains("running"));
    let banner = b.text("#exercise-banner").await;
    assert!(banner.contains("Ransomware drill"), "{banner}");

    // The inject at minute 0 arrives at once, as an exercise event.
    eventually("the first inject", || async {
        let (_, x) = app.get("/api/v1/exercises/ransomware-drill", &mia).await;
        x["injects"][0].get("delivered").is_some()
    })
    .await;
    let (_, x) = app.get("/api/v1/exercises/ransomware-drill", &mia).await;
    let event = x["injects"][0]["delivered"]["event"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(x["injects"][1].get("delivered").is_none());
    b.sign_out().await;

    b.sign_in("ian", PASSWORD).await;
    assert!(b.text("#exercise-banner").await.contains("EXERCISE"));
    b.open("/triage").await;
    let queue = b.text("main").await;
    assert!(queue.contains("Backups failed overnight"), "{queue}");
    assert!(b.source().await.contains("class=\"badge exercise\""));
    b.shot("exercise-triage").await;
    b.open(&format!("/events/{event}")).await;
    assert!(b.text("#exercise-record").await.contains("not real"));
    b.shot("exercise-event").await;

    // Confirmed, the incident is out of the register unless asked for.
    app.post_ok(
        &format!("/api/v1/events/{event}/assessment"),
        &ian,
        json!({"decision": "possible_incident", "escalate": true}),
        StatusCode::OK,
    )
    .await;
    let incident = confirm_as(&app, &ian, &event, "File server encrypted", "ian").await;
    b.open("/incidents").await;
    assert!(!b.text("main").await.contains(&incident));
    b.select("#exercise", "only").await;
    b.submit("form.filters button[type=submit]").await;
    assert!(b.text("main").await.contains(&incident));
    b.open(&format!("/incidents/{incident}")).await;
    assert!(b.text("#exercise-record").await.contains("EXERCISE"));
    b.shot("exercise-incident").await;

    // The after-action report measures the event and the incident.
    b.open("/exercises/ransomware-drill").await;
    let injects = b.text("#aar-injects").await;
    assert!(
        injects.contains(&event)
            && injects.contains("Time to triage")
            && injects.contains("target"),
        "{injects}"
    );
    assert!(b.text("#aar-incidents").await.contains(&incident));
    b.shot("exercise-report").await;
}
