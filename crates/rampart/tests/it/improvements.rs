//! Improvement actions over the API, on both backends: a lessons-learned
//! review makes the improvements it lists tracked records (once each, by
//! their words, across versions of the review); links to what they change
//! are checked; owners are reminded a day before and when one falls due,
//! not after it is closed; closing needs an outcome and is final; the
//! register lists the overdue ones; the records check replays them. The
//! lessons register spans incidents, with their recurrences, and
//! vulnerabilities, whose reviews decide improvement actions too.

use std::sync::Arc;

use rampart_app::App;
use rampart_domain::{Clock, ManualClock, Role, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, fields, incident};

crate::on_both_backends!(
    improvement_actions_are_tracked_to_closure,
    the_lessons_register_spans_incidents,
    lessons_come_from_vulnerabilities_too
);

async fn kinds_about(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let (_, page) = app.get("/api/v1/notifications", token).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["link"].as_str().is_some_and(|l| l.ends_with(id)))
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn improvement_actions_are_tracked_to_closure(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let n = incident(&app, &pat, &ian, "ian", "Ransomware on the file server").await;
    for to in ["responding", "recovering"] {
        app.post_ok(
            &format!("/api/v1/incidents/{n}/transitions"),
            &ian,
            json!({"to": to, "reason": "moving on"}),
            StatusCode::OK,
        )
        .await;
    }
    let now = rampart_domain::SystemClock.now();
    let in_two_days = Timestamp::from_offset(now.as_offset() + time::Duration::days(2));
    let yesterday = Timestamp::from_offset(now.as_offset() - time::Duration::days(1));
    let review = |improvements: Value| {
        json!({"what_worked": "Isolation", "lessons": ["Alert on mass renames"],
               "improvements": improvements})
    };
    let alert = json!({"what": "Alert on mass file renames", "owner": "ian",
                       "due": in_two_days.to_rfc3339(),
                       "changes": {"kind": "control", "target": "ISO 27002 8.16"}});
    let logging = json!({"what": "Keep DNS logs 90 days", "owner": "network team"});
    let path = format!("/api/v1/incidents/{n}/review");

    // A link to what does not exist is named, and nothing is recorded.
    let before = app.journal_len().await;
    for (bad, field) in [
        (
            json!({"what": "x", "owner": "ian", "changes": {"kind": "playbook", "target": "nowhere"}}),
            "improvements[1].changes",
        ),
        (
            json!({"what": "x", "owner": "ian", "changes": {"kind": "section", "target": "no-plan#containment"}}),
            "improvements[1].changes",
        ),
        (
            json!({"what": "x", "owner": "ian", "changes": {"kind": "section", "target": "Not A Plan"}}),
            "improvements[1].changes",
        ),
    ] {
        let (status, problem) = app
            .post(&path, &ian, review(json!([alert.clone(), bad])))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(fields(&problem), [field], "{problem}");
    }
    assert_eq!(app.journal_len().await, before);

    // The review makes each improvement a tracked record.
    let seq = app.journal_len().await;
    app.post_ok(
        &path,
        &ian,
        review(json!([alert.clone(), logging.clone()])),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        app.changes_after(seq).await,
        [
            "incident.review",
            "improvement.created",
            "improvement.created"
        ]
    );
    let (_, list) = app
        .get(&format!("/api/v1/improvements?incident={n}"), &mia)
        .await;
    assert_eq!(ids(&list), [format!("{n}.1"), format!("{n}.2")]);
    assert_eq!(list[0]["changes"]["kind"], "control");
    assert_eq!(list[0]["status"], "open");

    // A second version adds only what is new; one already past its due date.
    let late =
        json!({"what": "Test restores monthly", "owner": "mia", "due": yesterday.to_rfc3339()});
    app.post_ok(
        &path,
        &ian,
        review(json!([alert, logging, late])),
        StatusCode::CREATED,
    )
    .await;
    let (_, list) = app.get("/api/v1/improvements", &mia).await;
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    let (_, overdue) = app.get("/api/v1/improvements?overdue=true", &mia).await;
    assert_eq!(ids(&overdue), [format!("{n}.3")]);
    let late_id = format!("{n}.3");
    eventually("the overdue reminder of the late one", || async {
        kinds_about(&app, &mia, &late_id)
            .await
            .contains(&"improvement_overdue".to_owned())
    })
    .await;

    // A day before its due date its owner is reminded, on a node whose
    // clock the test moves.
    let clock = Arc::new(ManualClock::new(now));
    let node = App::new(app.store.clone(), clock.clone());
    let first = format!("{n}.1");
    clock.set(Timestamp::from_offset(
        in_two_days.as_offset() - time::Duration::hours(23),
    ));
    node.run_due_jobs().await;
    assert_eq!(
        kinds_about(&app, &ian, &first).await,
        ["improvement_due_soon"]
    );

    // Closing: the owner or those who record reviews; an outcome; once.
    let item = format!("/api/v1/improvements/{first}");
    let (status, _) = app
        .call(
            Method::PATCH,
            &item,
            Some(&pat),
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .call(
            Method::PATCH,
            &item,
            Some(&ian),
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["outcome"]);
    let (status, closed) = app
        .call(
            Method::PATCH,
            &item,
            Some(&ian),
            Some(json!({"status": "done", "outcome": "Rule deployed to the EDR"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["closed_by"], "ian");
    let (status, _) = app
        .call(Method::PATCH, &item, Some(&mia), Some(json!({"due": null})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Past its due date, a closed action reminds nobody.
    clock.set(Timestamp::from_offset(
        in_two_days.as_offset() + time::Duration::minutes(1),
    ));
    node.run_due_jobs().await;
    assert_eq!(
        kinds_about(&app, &ian, &first).await,
        ["improvement_due_soon"]
    );
    let (_, open) = app.get("/api/v1/improvements?open=true", &mia).await;
    assert!(!ids(&open).contains(&first));

    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}

/// An incident moved to recovering, where its review may be recorded.
async fn recovering(app: &TestApp, pat: &str, ian: &str, title: &str) -> String {
    let n = incident(app, pat, ian, "ian", title).await;
    for to in ["responding", "recovering"] {
        app.post_ok(
            &format!("/api/v1/incidents/{n}/transitions"),
            ian,
            json!({"to": to, "reason": "moving on"}),
            StatusCode::OK,
        )
        .await;
    }
    n
}

async fn the_lessons_register_spans_incidents(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let first = recovering(&app, &pat, &ian, "Phishing wave in March").await;
    let second = recovering(&app, &pat, &ian, "Phishing wave in June").await;
    let hidden = recovering(&app, &pat, &ian, "Board member's mailbox").await;
    app.post_ok(
        &format!("/api/v1/incidents/{first}/review"),
        &ian,
        json!({"lessons": ["Users report faster than the filter"],
               "detection": "A mail filter rule for look-alike domains"}),
        StatusCode::CREATED,
    )
    .await;

    // A recurrence names earlier incidents that exist: not itself, not twice.
    let path = format!("/api/v1/incidents/{second}/review");
    for (bad, field) in [
        (json!([second]), "same_root_cause_as[0]"),
        (json!([first, first]), "same_root_cause_as[1]"),
        (json!(["INC-2026-0999"]), "same_root_cause_as[0]"),
    ] {
        let (status, problem) = app
            .post(
                &path,
                &ian,
                json!({"lessons": ["Same again"], "same_root_cause_as": bad}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(fields(&problem), [field], "{problem}");
    }
    app.post_ok(
        &path,
        &ian,
        json!({"lessons": ["The look-alike rule was never deployed"],
               "same_root_cause_as": [first],
               "improvements": [{"what": "Deploy the look-alike rule", "owner": "ian"}]}),
        StatusCode::CREATED,
    )
    .await;
    // A restricted incident's lessons stay with those it is restricted to.
    app.post_ok(
        &format!("/api/v1/incidents/{hidden}/review"),
        &ian,
        json!({"lessons": ["Executives need their own playbook"]}),
        StatusCode::CREATED,
    )
    .await;
    let (status, restricted) = app
        .call(
            Method::PUT,
            &format!("/api/v1/incidents/{hidden}/restriction"),
            Some(&ian),
            Some(json!({"users": ["ian", "mia"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{restricted}");

    // Across incidents, the latest review first, with the recurrence.
    let (status, lessons) = app.get("/api/v1/lessons", &mia).await;
    assert_eq!(status, StatusCode::OK, "{lessons}");
    let listed: Vec<&str> = lessons
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["incident"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [hidden.as_str(), second.as_str(), first.as_str()]);
    assert_eq!(lessons[1]["same_root_cause_as"], json!([first]));
    assert_eq!(lessons[1]["improvements"], 1);
    assert_eq!(
        lessons[2]["detection"],
        "A mail filter rule for look-alike domains"
    );
    assert_eq!(lessons[2]["category_name"], "Malware");
    let outsider = app.user("oz", &[Role::IsirtManager]).await;
    let (_, seen) = app.get("/api/v1/lessons", &outsider).await;
    let seen: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["incident"].as_str().unwrap())
        .collect();
    assert_eq!(seen, [second.as_str(), first.as_str()]);
    let rita = app.user("rita", &[Role::Reporter]).await;
    let (status, _) = app.get("/api/v1/lessons", &rita).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn lessons_come_from_vulnerabilities_too(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let rita = app.user("rita", &[Role::Reporter]).await;
    let sam = app.user("sam", &[Role::SeniorManager]).await;
    let behind = recovering(&app, &pat, &ian, "Spam sent through our gateway").await;
    app.post_ok(
        &format!("/api/v1/incidents/{behind}/review"),
        &ian,
        json!({"lessons": ["Nobody watched the outbound queue"]}),
        StatusCode::CREATED,
    )
    .await;
    let (_, v) = app
        .post(
            "/api/v1/vulnerabilities",
            &rita,
            json!({"title": "Open relay on the mail gateway",
                   "description": "It relays for any sender", "reference": "CVE-2026-1234"}),
        )
        .await;
    let number = v["number"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/vulnerabilities/{number}/review");
    let now = rampart_domain::SystemClock.now();
    let yesterday = Timestamp::from_offset(now.as_offset() - time::Duration::days(1));
    let review = json!({
    "detection": "An outbound relay test in the monthly scan",
    "lessons": ["Configuration drift on the edge goes unseen"],
    "same_root_cause_as": [behind],
    "improvements": [
        {"what": "Test the gateways for open relay monthly", "owner": "mia",
         "due": yesterday.to_rfc3339(), "changes": {"kind": "control", "target": "ISO 27002 8.8"}},
        {"what": "Keep the gateway configuration under change control", "owner": "ian"}
    ]});

    // Only a confirmed weakness is reviewed, and only by the ISIRT.
    let before = app.journal_len().await;
    let (status, problem) = app.post(&path, &ian, review.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        problem["allowed"],
        json!(["confirmed", "resolved", "accepted"])
    );
    app.post_ok(
        &format!("/api/v1/vulnerabilities/{number}/assessment"),
        &ian,
        json!({"outcome": "confirmed"}),
        StatusCode::OK,
    )
    .await;
    let (status, _) = app.post(&path, &rita, review.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut unknown = review.clone();
    unknown["same_root_cause_as"] = json!(["INC-2026-0999"]);
    let (status, problem) = app.post(&path, &ian, unknown).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["same_root_cause_as[0]"]);
    assert_eq!(app.journal_len().await, before + 1, "only the assessment");

    // The review and its improvement actions, journaled together.
    let seq = app.journal_len().await;
    let (status, recorded) = app.post(&path, &ian, review.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    assert_eq!(recorded["version"], 1);
    assert_eq!(
        app.changes_after(seq).await,
        [
            "vulnerability.review",
            "improvement.created",
            "improvement.created"
        ]
    );
    let (_, list) = app
        .get(
            &format!("/api/v1/improvements?vulnerability={number}"),
            &mia,
        )
        .await;
    assert_eq!(ids(&list), [format!("{number}.1"), format!("{number}.2")]);
    assert_eq!(list[0]["vulnerability"], number.as_str());
    assert!(list[0].get("incident").is_none(), "{list}");
    let (_, none) = app
        .get(
            &format!("/api/v1/improvements?vulnerability={number}&incident={behind}"),
            &mia,
        )
        .await;
    assert_eq!(none, json!([]));
    // Saved again, the review is a new version and adds no action twice.
    let seq = app.journal_len().await;
    app.post_ok(&path, &ian, review, StatusCode::CREATED).await;
    assert_eq!(app.changes_after(seq).await, ["vulnerability.review"]);

    // Its owner is told the overdue one is overdue, and closes it.
    let late = format!("{number}.1");
    eventually(
        "the overdue reminder of the vulnerability's action",
        || async {
            kinds_about(&app, &mia, &late)
                .await
                .contains(&"improvement_overdue".to_owned())
        },
    )
    .await;
    let (status, closed) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/improvements/{late}"),
            Some(&mia),
            Some(json!({"status": "done", "outcome": "Relay test added to the scan"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");

    // The lessons register holds it, the latest review first.
    let (_, lessons) = app.get("/api/v1/lessons", &mia).await;
    assert_eq!(lessons[0]["vulnerability"], number.as_str(), "{lessons}");
    assert_eq!(lessons[0]["reference"], "CVE-2026-1234");
    assert_eq!(lessons[0]["same_root_cause_as"], json!([behind]));
    assert_eq!(lessons[0]["improvements"], 2);
    assert!(lessons[0].get("class").is_none());
    assert_eq!(lessons[1]["incident"], behind.as_str());

    // Those who may not read the vulnerability register see none of it;
    // its reporter reads back her report without the review.
    let (_, seen) = app.get("/api/v1/lessons", &sam).await;
    assert_eq!(seen.as_array().unwrap().len(), 1, "{seen}");
    assert_eq!(seen[0]["incident"], behind.as_str());
    let (status, _) = app.get(&format!("/api/v1/improvements/{late}"), &sam).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs) = app.get("/api/v1/improvements", &sam).await;
    assert_eq!(theirs, json!([]));
    let (_, hers) = app
        .get(&format!("/api/v1/vulnerabilities/{number}"), &rita)
        .await;
    assert!(hers.get("review").is_none(), "{hers}");
    let (_, full) = app
        .get(&format!("/api/v1/vulnerabilities/{number}"), &ian)
        .await;
    assert_eq!(full["review"]["version"], 2);

    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}
