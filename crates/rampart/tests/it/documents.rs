//! The scheme's documents end to end over the API, on both backends: a
//! version is in force only once every role the document names approved
//! it, the diff shows what changed, each step is journaled and the records
//! check replays it; bad input and the wrong roles are refused, naming the
//! field, and change nothing.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, incident};

const V1: &str = "# Incident management plan\n\n## Roles\n\nThe ISIRT manager leads.\n\n## Containment\n\nIsolate the host.\n";
const V2: &str = "# Incident management plan\n\n## Roles\n\nThe ISIRT manager leads; the PoC triages.\n\n## Containment\n\nIsolate the host.\n";

crate::on_both_backends!(
    documents_take_effect_only_when_approved_and_show_their_changes,
    documents_refuse_bad_input_naming_the_field,
    incidents_cite_sections_that_exist,
);

async fn documents_take_effect_only_when_approved_and_show_their_changes(app: TestApp) {
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let sam = app.user("sam", &[Role::SeniorManager]).await;
    let rita = app.user("rita", &[Role::Reporter]).await;
    let plan = json!({"id": "incident-plan", "kind": "plan", "title": "Incident management plan",
                      "approvers": ["isirt_manager", "senior_manager"], "review_months": 12});

    // Only the ISIRT manager creates documents.
    let (status, _) = app.post("/api/v1/documents", &ian, plan.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let created = app
        .post_ok("/api/v1/documents", &mia, plan.clone(), StatusCode::CREATED)
        .await;
    assert_eq!(created["owner"], "mia");
    assert_eq!(created["versions"], json!([]));
    let (status, problem) = app.post("/api/v1/documents", &mia, plan.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    let start = app.journal_len().await;
    app.post_ok(
        "/api/v1/documents/incident-plan/versions",
        &ian,
        json!({"text": V1, "summary": "First issue"}),
        StatusCode::CREATED,
    )
    .await;
    let one = app
        .post_ok(
            "/api/v1/documents/incident-plan/versions/1/approvals",
            &mia,
            json!({"role": "isirt_manager", "note": "Fits the structure"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(one["in_force"], Value::Null);
    assert_eq!(one["versions"][0]["state"], "draft");
    assert_eq!(one["versions"][0]["missing"], json!(["senior_manager"]));
    let (status, _) = app.get("/api/v1/documents/incident-plan/text", &ian).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing in force yet");
    let (status, _) = app.get("/api/v1/documents/incident-plan", &rita).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a reporter sees no drafts");

    // A member may not approve as senior management; the senior manager may.
    let (status, _) = app
        .post(
            "/api/v1/documents/incident-plan/versions/1/approvals",
            &ian,
            json!({"role": "senior_manager"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let both = app
        .post_ok(
            "/api/v1/documents/incident-plan/versions/1/approvals",
            &sam,
            json!({"role": "senior_manager"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(both["in_force"], 1);
    assert_eq!(both["versions"][0]["state"], "effective");
    assert!(both["review_due"].is_string());
    let (status, text) = app.get("/api/v1/documents/incident-plan/text", &rita).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(text["text"], V1);
    assert_eq!(text["version"], 1);
    assert_eq!(
        text["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["anchor"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["incident-management-plan", "roles", "containment"]
    );

    // Version 2 stays a draft beside version 1 in force; the diff shows the change.
    app.post_ok(
        "/api/v1/documents/incident-plan/versions",
        &ian,
        json!({"text": V2, "summary": "The PoC's role"}),
        StatusCode::CREATED,
    )
    .await;
    let (_, doc) = app.get("/api/v1/documents/incident-plan", &ian).await;
    assert_eq!(doc["in_force"], 1);
    assert_eq!(doc["versions"][0]["state"], "draft");
    let (_, seen) = app.get("/api/v1/documents/incident-plan", &rita).await;
    assert_eq!(seen["versions"].as_array().unwrap().len(), 1);
    let (status, diff) = app
        .get("/api/v1/documents/incident-plan/diff?from=1&to=2", &ian)
        .await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    let changed: Vec<String> = diff["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["op"] != " ")
        .map(|l| {
            format!(
                "{}{}",
                l["op"].as_str().unwrap(),
                l["text"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            "-The ISIRT manager leads.",
            "+The ISIRT manager leads; the PoC triages."
        ]
    );
    assert_eq!(
        app.changes_after(start).await,
        [
            "document.drafted",
            "document.approved",
            "document.approved",
            "document.drafted"
        ]
    );
    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}

async fn documents_refuse_bad_input_naming_the_field(app: TestApp) {
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    app.post_ok(
        "/api/v1/documents",
        &mia,
        json!({"id": "triage-procedure", "kind": "procedure", "title": "Triage",
               "approvers": ["isirt_manager"]}),
        StatusCode::CREATED,
    )
    .await;
    let before = app.journal_len().await;
    for (body, field) in [
        (
            json!({"id": "Triage", "kind": "procedure", "title": "T", "approvers": ["isirt_manager"]}),
            "id",
        ),
        (
            json!({"id": "ok-id", "kind": "manual", "title": "T", "approvers": ["isirt_manager"]}),
            "kind",
        ),
        (
            json!({"id": "ok-id", "kind": "plan", "title": "", "approvers": ["isirt_manager"]}),
            "title",
        ),
        (
            json!({"id": "ok-id", "kind": "plan", "title": "T", "approvers": []}),
            "approvers",
        ),
        (
            json!({"id": "ok-id", "kind": "plan", "title": "T", "approvers": ["isirt_manager"], "review_months": 99}),
            "review_months",
        ),
        (
            json!({"id": "ok-id", "kind": "plan", "title": "T", "approvers": ["isirt_manager"], "colour": "red"}),
            "colour",
        ),
    ] {
        let (status, problem) = app.post("/api/v1/documents", &mia, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert!(
            fields(&problem).iter().any(|f| f == field),
            "{body}: {problem}"
        );
    }
    for (body, field) in [
        (json!({"text": "", "summary": "s"}), "text"),
        (json!({"text": "# T", "summary": ""}), "summary"),
        (
            json!({"text": "# T", "summary": "s", "effective_from": "tomorrow"}),
            "effective_from",
        ),
        (json!({"summary": "s"}), "text"),
    ] {
        let (status, problem) = app
            .post(
                "/api/v1/documents/triage-procedure/versions",
                &ian,
                body.clone(),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert!(
            fields(&problem).iter().any(|f| f == field),
            "{body}: {problem}"
        );
    }
    let (status, problem) = app
        .post(
            "/api/v1/documents/triage-procedure/versions/1/approvals",
            &mia,
            json!({"role": "isirt_manager"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    for path in [
        "/api/v1/documents/No%20Such",
        "/api/v1/documents/no-such",
        "/api/v1/documents/triage-procedure/versions/0",
        "/api/v1/documents/triage-procedure/versions/x",
        "/api/v1/documents/triage-procedure/versions/7",
    ] {
        let (status, problem) = app.get(path, &ian).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {problem}");
    }
    let (status, problem) = app
        .get("/api/v1/documents/triage-procedure/diff?from=1", &ian)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, problem) = app
        .call(
            Method::PATCH,
            "/api/v1/documents/triage-procedure",
            Some(&mia),
            Some(json!({"owner": "nobody"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["owner"]);
    let (status, problem) = app
        .post(
            "/api/v1/documents/triage-procedure/reviews",
            &mia,
            json!({"note": "fine"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing in force: {problem}");
    assert_eq!(app.journal_len().await, before, "nothing changed");
}

async fn incidents_cite_sections_that_exist(app: TestApp) {
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let ian = app.user("ian", &[Role::IsirtMember, Role::Poc]).await;
    app.post_ok(
        "/api/v1/documents",
        &mia,
        json!({"id": "incident-plan", "kind": "plan", "title": "Plan", "approvers": ["isirt_manager"]}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        "/api/v1/documents/incident-plan/versions",
        &ian,
        json!({"text": V1, "summary": "First issue"}),
        StatusCode::CREATED,
    )
    .await;
    let inc = incident(&app, &ian, &ian, "ian", "Phishing wave").await;
    let base = format!("/api/v1/incidents/{inc}");
    let before = app.journal_len().await;
    for (path, body, field) in [
        (
            "log",
            json!({"action": "isolated the host", "cites": "incident-plan#eradication"}),
            "cites",
        ),
        (
            "log",
            json!({"action": "isolated the host", "cites": "no-such-plan#containment"}),
            "cites",
        ),
        (
            "log",
            json!({"action": "isolated the host", "cites": "Incident Plan"}),
            "cites",
        ),
        (
            "actions",
            json!({"what": "isolate", "owner": "ian", "procedure": "incident-plan#nowhere"}),
            "procedure",
        ),
    ] {
        let (status, problem) = app
            .post(&format!("{base}/{path}"), &ian, body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{body}");
    }
    assert_eq!(app.journal_len().await, before, "nothing changed");
    app.post_ok(
        &format!("{base}/log"),
        &ian,
        json!({"action": "isolated the host", "cites": "incident-plan#containment"}),
        StatusCode::CREATED,
    )
    .await;
    let action = app
        .post_ok(
            &format!("{base}/actions"),
            &ian,
            json!({"what": "isolate the host", "owner": "ian", "procedure": "incident-plan#containment"}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(action["procedure"], "incident-plan#containment");
    let (_, timeline) = app.get(&format!("{base}/timeline"), &ian).await;
    assert!(
        timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["cites"] == "incident-plan#containment"),
        "{timeline}"
    );
    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}
