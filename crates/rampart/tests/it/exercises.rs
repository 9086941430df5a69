//! Exercises over the API, on both backends: a manager plans one; started
//! on a node whose clock the test moves, each inject arrives as an exercise
//! event at its minute and not before; the audience hears of its records,
//! marked, and no one else does; its incident starts no regulatory clock,
//! stays out of the registers and the dashboard's figures, and is timed for
//! the after-action report; bad input changes nothing.

use std::sync::Arc;

use rampart_app::App;
use rampart_domain::{Actor, Clock, ManualClock, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, escalated_event, eventually, fields};

crate::on_both_backends!(an_exercise_runs_apart_from_real_work);

async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/notifications", token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn numbers(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_exercise_runs_apart_from_real_work(app: TestApp) {
    let ian = app.user("ian", &[Role::IsirtMember, Role::Poc]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let oz = app.user("oz", &[Role::IsirtManager]).await;
    let plan = json!({"id": "ransomware-drill", "title": "Ransomware drill",
    "scenario": "Files encrypted on the file server; does the team contain it in time?",
    "audience": ["ian", "mia"],
    "injects": [
        {"at_minute": 30, "title": "Ransom note on every share", "description": "A text file on each share asks for bitcoin"},
        {"at_minute": 0, "title": "Backups failed overnight", "description": "The nightly backup job failed on the file server"}
    ]});

    // Only managers plan; bad plans are named and change nothing.
    let (status, _) = app.post("/api/v1/exercises", &ian, plan.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let before = app.journal_len().await;
    for (change, field) in [
        (json!({"id": "Not An Id"}), "id"),
        (json!({"id": "only"}), "id"),
        (json!({"audience": []}), "audience"),
        (json!({"audience": ["ian", "nobody"]}), "audience[1]"),
        (json!({"injects": []}), "injects"),
        (
            json!({"injects": [{"at_minute": 20000, "title": "x", "description": "y"}]}),
            "injects[0].at_minute",
        ),
    ] {
        let mut body = plan.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, problem) = app.post("/api/v1/exercises", &mia, body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{problem}");
    }
    assert_eq!(app.journal_len().await, before);
    let planned = app
        .post_ok("/api/v1/exercises", &mia, plan.clone(), StatusCode::CREATED)
        .await;
    assert_eq!(planned["status"], "planned");
    assert_eq!(planned["injects"][0]["at_minute"], 0, "in order");
    let (status, _) = app.post("/api/v1/exercises", &mia, plan).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .post("/api/v1/exercises/ransomware-drill/end", &mia, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "not running");

    // Started on a node whose clock the test moves: each inject arrives at
    // its minute after the start.
    let figures = app.store.counts("mia").await.unwrap();
    let clock = Arc::new(ManualClock::new(rampart_domain::SystemClock.now()));
    let node = App::new(app.store.clone(), clock.clone());
    let manager = Actor::new("mia", vec![Role::IsirtManager]);
    let started = node
        .start_exercise(&manager, "ransomware-drill")
        .await
        .unwrap();
    let start = started.started_at.unwrap();
    let at = |minutes: i64, seconds: i64| {
        rampart_domain::Timestamp::from_offset(
            start.as_offset() + time::Duration::minutes(minutes) + time::Duration::seconds(seconds),
        )
    };
    let delivered = |x: &Value, i: usize| x["injects"][i].get("delivered").is_some();
    clock.set(at(0, 0));
    node.run_due_jobs().await;
    let (_, x) = app.get("/api/v1/exercises/ransomware-drill", &mia).await;
    assert_eq!(x["status"], "running");
    assert!(delivered(&x, 0), "minute 0 arrives at the start: {x}");
    assert!(!delivered(&x, 1), "{x}");
    clock.set(at(29, 59));
    node.run_due_jobs().await;
    let (_, x) = app.get("/api/v1/exercises/ransomware-drill", &mia).await;
    assert!(!delivered(&x, 1), "not before its minute: {x}");
    clock.set(at(30, 0));
    node.run_due_jobs().await;
    let (_, x) = app.get("/api/v1/exercises/ransomware-drill", &mia).await;
    assert!(delivered(&x, 1), "at its minute: {x}");
    // Run again, a job delivers nothing twice.
    assert_eq!(node.run_due_jobs().await, 0);
    // Two events more, and the dashboard's figures are as they were.
    assert_eq!(app.store.counts("mia").await.unwrap(), figures);
    let first = x["injects"][0]["delivered"]["event"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, event) = app.get(&format!("/api/v1/events/{first}"), &ian).await;
    assert_eq!(event["exercise"], "ransomware-drill");
    assert_eq!(event["title"], "Backups failed overnight");

    // The exercise events are out of the register unless asked for.
    let (_, list) = app.get("/api/v1/events", &mia).await;
    assert!(!numbers(&list).contains(&first));
    let (_, list) = app.get("/api/v1/events?exercise=only", &mia).await;
    assert_eq!(numbers(&list).len(), 2);
    let (status, problem) = app.get("/api/v1/events?exercise=No!", &mia).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // The audience hears of the exercise, marked; no one else does; a real
    // event escalated beside it reaches everyone as before.
    app.post_ok(
        &format!("/api/v1/events/{first}/assessment"),
        &ian,
        json!({"decision": "possible_incident", "escalate": true}),
        StatusCode::OK,
    )
    .await;
    let real = escalated_event(&app, &ian, "A real phishing wave").await;
    eventually("the real escalation told oz", || async {
        notifications(&app, &oz)
            .await
            .iter()
            .any(|n| n["subject"] == real.as_str())
    })
    .await;
    eventually("the exercise escalation told mia", || async {
        notifications(&app, &mia)
            .await
            .iter()
            .any(|n| n["subject"] == first.as_str())
    })
    .await;
    let told = notifications(&app, &mia).await;
    let exercise_notice = told
        .iter()
        .find(|n| n["subject"] == first.as_str())
        .unwrap();
    assert!(
        exercise_notice["title"]
            .as_str()
            .unwrap()
            .starts_with("[EXERCISE] "),
        "{exercise_notice}"
    );
    assert!(
        !notifications(&app, &oz)
            .await
            .iter()
            .any(|n| n["subject"] == first.as_str()),
        "oz is not in the audience"
    );

    // An incident of exercise events only: mixing with a real one is refused.
    let severity = json!({"system_importance": "important", "business_loss": "serious", "social_impact": "minor"});
    let (status, problem) = app
        .post(
            "/api/v1/incidents",
            &ian,
            json!({"events": [first, real], "title": "Mixed", "category": "malware",
                   "severity": severity, "effort": "low", "coordinator": "ian"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["events"]);
    let counts_before = app.store.counts("mia").await.unwrap();
    let incident = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            json!({"events": [first], "title": "File server encrypted", "category": "malware",
                   "severity": severity, "effort": "low", "coordinator": "ian"}),
            StatusCode::CREATED,
        )
        .await;
    let n = incident["number"].as_str().unwrap().to_owned();
    assert_eq!(incident["exercise"], "ransomware-drill");

    // No regulatory clock, no figure, not in the register by default.
    let (status, problem) = app
        .post(
            &format!("/api/v1/incidents/{n}/regimes"),
            &ian,
            json!({"regime": "nis2", "answers": []}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem.to_string().contains("regulatory clock"),
        "{problem}"
    );
    let (_, clocks) = app
        .get(&format!("/api/v1/incidents/{n}/clocks"), &ian)
        .await;
    assert_eq!(clocks["clocks"], json!([]), "{clocks}");
    assert_eq!(app.store.counts("mia").await.unwrap(), counts_before);
    let (_, list) = app.get("/api/v1/incidents", &mia).await;
    assert!(!numbers(&list).contains(&n));
    for scope in ["include", "only", "ransomware-drill"] {
        let (_, list) = app
            .get(&format!("/api/v1/incidents?exercise={scope}"), &mia)
            .await;
        assert!(numbers(&list).contains(&n), "{scope}");
    }
    eventually("the audience told of the exercise incident", || async {
        notifications(&app, &mia)
            .await
            .iter()
            .any(|i| i["subject"] == n.as_str())
    })
    .await;
    assert!(
        !notifications(&app, &oz)
            .await
            .iter()
            .any(|i| i["subject"] == n.as_str())
    );

    // The after-action report gives the measured times against the targets.
    let (status, report) = app
        .get("/api/v1/exercises/ransomware-drill/report", &mia)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let inject = &report["injects"][0];
    assert_eq!(inject["event"], first.as_str());
    assert_eq!(inject["incident"], n.as_str());
    let stages: Vec<&str> = inject["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["stage"].as_str().unwrap())
        .collect();
    assert!(
        stages.contains(&"triage") && stages.contains(&"assess"),
        "{stages:?}"
    );
    assert!(inject["measures"][0]["used_seconds"].is_i64());
    let incident = &report["incidents"][0];
    assert_eq!(incident["number"], n.as_str());
    let confirm = incident["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["stage"] == "confirm")
        .unwrap();
    assert!(confirm["done_at"].is_string(), "{confirm}");
    assert!(report["met"].as_u64().unwrap() >= 1, "{report}");

    // Ended, it stays ended; the records check replays it all.
    app.post_ok(
        "/api/v1/exercises/ransomware-drill/end",
        &mia,
        json!({}),
        StatusCode::OK,
    )
    .await;
    let (status, _) = app
        .post("/api/v1/exercises/ransomware-drill/start", &mia, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}
