//! Response-time targets end to end: admins set them (versioned, journaled,
//! refused with the field named), every record shows time used and left,
//! and the registers filter and sort by them, on both backends.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, fields, incident_aware as incident};
use crate::web::person;

async fn numbers(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let (status, page) = app.get(path, token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn put_targets(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, "/api/v1/targets", Some(token), Some(body))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_filter_and_sort_by_targets_on_sqlite() {
    registers_filter_and_sort(Backend::Sqlite, "targets_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_filter_and_sort_by_targets_on_postgres() {
    registers_filter_and_sort(Backend::Postgres, "targets_pg").await;
}

async fn registers_filter_and_sort(backend: Backend, test: &str) {
    let Some(app) = TestApp::spawn(backend, test).await else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    // Class I: contained within 7 days; class IV within 4 hours.
    incident(&app, &pat, &ian, "old small", false, 10 * 24 * 60).await;
    incident(&app, &pat, &ian, "fresh emergency", true, 0).await;
    // 3.5 of 4 hours used: due soon.
    let late = incident(&app, &pat, &ian, "emergency, 3.5 h in", true, 210).await;

    assert_eq!(
        numbers(&app, &ian, "/api/v1/incidents?sort=due&limit=1").await,
        ["old small"],
        "soonest due first"
    );
    let mut all = Vec::new();
    let mut path = "/api/v1/incidents?sort=due&limit=1".to_owned();
    loop {
        let (_, page) = app.get(&path, &ian).await;
        all.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["title"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/incidents?sort=due&limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(all, ["old small", "emergency, 3.5 h in", "fresh emergency"]);
    for (state, expected) in [
        ("overdue", "old small"),
        ("due_soon", "emergency, 3.5 h in"),
        ("on_track", "fresh emergency"),
    ] {
        assert_eq!(
            numbers(&app, &ian, &format!("/api/v1/incidents?target={state}")).await,
            [expected],
            "{state}"
        );
    }
    assert_eq!(
        numbers(&app, &ian, "/api/v1/incidents?target=running&sort=oldest")
            .await
            .len(),
        3
    );

    // The old incident's containment is long past: its coordinator was told
    // at once, by the escalation ladder's 75 % and 100 % rungs.
    app.journal_len().await;
    let (_, told) = app.get("/api/v1/notifications", &ian).await;
    let escalated: Vec<&str> = told["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "deadline_escalated")
        .filter(|i| i["body"].as_str().unwrap().contains("Incident: old small."))
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(escalated.len(), 2, "{told}");
    assert!(
        escalated.iter().all(|t| t.contains("Time to contain")),
        "{escalated:?}"
    );

    // Each record says where it stands, stage by stage.
    let (status, stages) = app
        .get(&format!("/api/v1/incidents/{late}/targets"), &ian)
        .await;
    assert_eq!(status, StatusCode::OK, "{stages}");
    let contain = stages
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "contain")
        .unwrap();
    assert_eq!(contain["state"], "due_soon");
    assert_eq!(contain["class"], "IV");
    assert_eq!(contain["target_minutes"], 240);
    let left = contain["left_seconds"].as_i64().unwrap();
    assert!((1700..=1800).contains(&left), "{left}");

    // The triage queue: a critical alert is due first, a report without a
    // severity next (class II), a low one last.
    for (title, severity) in [
        ("low", Some("low")),
        ("unrated", None),
        ("critical", Some("critical")),
    ] {
        app.post_ok(
            "/api/v1/events",
            &pat,
            json!({"title": title, "description": "x", "severity": severity}),
            StatusCode::CREATED,
        )
        .await;
    }
    assert_eq!(
        numbers(&app, &pat, "/api/v1/events?stage=queue&sort=due").await,
        ["critical", "unrated", "low"]
    );
    assert!(
        numbers(&app, &pat, "/api/v1/events?target=overdue")
            .await
            .is_empty()
    );
    let (status, problem) = app.get("/api/v1/events?target=met", &pat).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["target"]);

    // The deadlines board: every running target, soonest first; an incident
    // restricted to ian is not on another member's board.
    let (status, board) = app.get("/api/v1/deadlines", &ian).await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let titles = |board: &Value| -> Vec<String> {
        board
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles(&board),
        ["old small", "emergency, 3.5 h in", "fresh emergency"]
    );
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/incidents/{late}/restriction"),
            Some(&ian),
            Some(json!({"users": ["ian"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let ivy = app.user("ivy", &[Role::IsirtMember]).await;
    let (_, board) = app.get("/api/v1/deadlines", &ivy).await;
    assert_eq!(titles(&board), ["old small", "fresh emergency"]);

    // Admins change the targets as a whole; the registers follow at once.
    let (status, current) = app.get("/api/v1/targets", &ian).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current["version"], 0);
    let mut longer = current.clone();
    longer["classes"][0]["contain_minutes"] = json!(20 * 24 * 60);
    let (status, _) = put_targets(&app, &ian, longer.clone()).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "ISIRT members read the targets, admins set them"
    );
    let before = app.journal_len().await;
    let (status, saved) = put_targets(&app, &app.admin, longer.clone()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(app.changes_after(before).await, ["targets.changed"]);
    assert!(
        numbers(&app, &ian, "/api/v1/incidents?target=overdue")
            .await
            .is_empty()
    );
    assert_eq!(
        numbers(&app, &ian, "/api/v1/incidents?target=on_track&sort=oldest").await,
        ["old small", "fresh emergency"]
    );
    // The version read is stale now: refused, naming it, and nothing changes.
    let (status, problem) = put_targets(&app, &app.admin, longer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["version"]);
    let mut bad = saved.clone();
    bad["classes"][3]["triage_minutes"] = json!(0);
    bad["classes"][2]["close_minutes"] = json!(1);
    let (status, problem) = put_targets(&app, &app.admin, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        ["classes[2].close_minutes", "classes[3].triage_minutes"]
    );
    let mut missing = saved.clone();
    missing["classes"].as_array_mut().unwrap().pop();
    let (status, problem) = put_targets(&app, &app.admin, missing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["classes"]);
    let (status, problem) = put_targets(
        &app,
        &app.admin,
        json!({"version": 1, "classes": [], "extra": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(app.changes_after(before).await, ["targets.changed"]);
    let rita = app.user("rita", &[Role::Reporter]).await;
    let (status, _) = app.get("/api/v1/targets", &rita).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_edit_the_targets_in_the_web_ui() {
    let Some(app) = TestApp::spawn(Backend::Sqlite, "targets_web").await else {
        return;
    };
    let (_, admin) = person(&app, "ada", &[Role::Admin]).await;
    let page = admin.get("/admin/targets").await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body.contains(r#"name="IV.triage" value="15m""#),
        "{}",
        page.body
    );
    // A bad time and a later stage due first are refused, the cell named, nothing saved.
    let refused = submit_targets(&admin, &[("II.triage", "soon"), ("III.close", "1h")]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("must be a time such as 15m"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(r#"value="soon""#),
        "what was typed stays"
    );
    let refused = submit_targets(&admin, &[("III.close", "1h")]).await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("must not be shorter than contain_minutes"),
        "{}",
        refused.body
    );
    let (_, current) = app.get("/api/v1/targets", &app.admin).await;
    assert_eq!(current["version"], 0);
    // Saved.
    let saved = submit_targets(&admin, &[]).await;
    saved.assert_status(StatusCode::OK);
    assert!(saved.body.contains("saved as version 1"), "{}", saved.body);
    let (_, current) = app.get("/api/v1/targets", &app.admin).await;
    assert_eq!(current["classes"][3]["triage_minutes"], 60);
    // The page is for admins.
    let (_, member) = person(&app, "ian", &[Role::IsirtMember]).await;
    member
        .get("/admin/targets")
        .await
        .assert_status(StatusCode::FORBIDDEN);
}

/// Sends the targets form: every cell filled in (1h, 2h, 1d, 2d, 10d), then `edits`.
async fn submit_targets(admin: &crate::web::WebClient, edits: &[(&str, &str)]) -> crate::web::Page {
    let mut form: Vec<(String, String)> = vec![("version".into(), "0".into())];
    for class in ["I", "II", "III", "IV"] {
        for (stage, value) in [
            ("triage", "1h"),
            ("assess", "2h"),
            ("confirm", "1d"),
            ("contain", "2d"),
            ("close", "10d"),
        ] {
            let name = format!("{class}.{stage}");
            let value = edits
                .iter()
                .find(|(k, _)| *k == name)
                .map_or(value, |(_, v)| *v);
            form.push((name, value.into()));
        }
    }
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    admin.submit("/admin/targets", &refs).await
}
