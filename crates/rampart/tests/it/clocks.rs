//! Regulatory notification clocks end to end: the ISIRT records which
//! regimes apply (with the checklist answers), the moments the clocks run
//! from and the reports sent; every clock follows, refusals name the field
//! and change nothing, the journal records each step and the records check
//! agrees; admins change the rules as a versioned table.

use rampart_domain::{Clock, Role, SystemClock, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, fields, incident_aware};
use crate::web::person;

fn ago(minutes: i64) -> String {
    let at = SystemClock.now().as_offset() - time::Duration::minutes(minutes);
    Timestamp::from_offset(at).to_rfc3339()
}

fn clock<'a>(view: &'a Value, regime: &str, report: &str) -> &'a Value {
    view["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["regime"] == regime && c["report"] == report)
        .unwrap_or_else(|| panic!("no {regime}/{report} in {view}"))
}

fn minutes_between(a: &Value, b: &str) -> i64 {
    let a = Timestamp::parse(a.as_str().unwrap()).unwrap().as_offset();
    let b = Timestamp::parse(b).unwrap().as_offset();
    (a - b).whole_minutes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clocks_run_from_recorded_moments_and_submissions_on_sqlite() {
    clocks_run(Backend::Sqlite, "clocks_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clocks_run_from_recorded_moments_and_submissions_on_postgres() {
    clocks_run(Backend::Postgres, "clocks_pg").await;
}

async fn clocks_run(backend: Backend, test: &str) {
    let Some(app) = TestApp::spawn(backend, test).await else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let aware = ago(120);
    let n = incident_aware(&app, &pat, &ian, "Card payments failing", true, 120).await;
    let path = |what: &str| format!("/api/v1/incidents/{n}/{what}");

    let (status, view) = app.get(&path("clocks"), &ian).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert!(view["clocks"].as_array().unwrap().is_empty());

    // DORA applies; the checklist answers are the reason.
    let before = app.journal_len().await;
    let view = app
        .post_ok(
            &path("regimes"),
            &ian,
            json!({"regime": "dora", "answers": [
                {"question": "clients_affected", "yes": true, "note": "card payments down"},
                {"question": "critical_services", "yes": true}]}),
            StatusCode::OK,
        )
        .await;
    // Only awareness is known: the initial notification is due 24 h after it.
    let initial = clock(&view, "dora", "initial_notification");
    assert_eq!(initial["state"], "running");
    assert_eq!(minutes_between(&initial["due_at"], &aware), 24 * 60);
    assert_eq!(
        clock(&view, "dora", "intermediate_report")["state"],
        "waiting"
    );
    assert_eq!(
        view["obligations"]["regimes"][0]["answers"][0]["note"],
        "card payments down"
    );

    // Classified as major an hour ago: 4 h from then is earlier, and binds.
    let classified = ago(60);
    let (status, view) = app
        .call(
            Method::POST,
            &path("anchors"),
            Some(&ian),
            Some(json!({"anchor": "classified_major", "at": classified})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let initial = clock(&view, "dora", "initial_notification");
    assert_eq!(minutes_between(&initial["due_at"], &classified), 4 * 60);
    assert_eq!(initial["anchor"], "classified_major");
    assert_eq!(view["obligations"]["anchors"][1]["recorded_by"], "ian");

    // The initial notification is sent: the intermediate report's 72 h start.
    let sent = ago(5);
    let view = app
        .post_ok(
            &path("submissions"),
            &ian,
            json!({"regime": "dora", "report": "initial_notification", "at": sent,
                   "authority": "National competent authority", "reference": "CA-2026-17"}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(
        clock(&view, "dora", "initial_notification")["state"],
        "submitted"
    );
    let intermediate = clock(&view, "dora", "intermediate_report");
    assert_eq!(intermediate["state"], "running");
    assert_eq!(minutes_between(&intermediate["due_at"], &sent), 72 * 60);
    assert_eq!(
        app.changes_after(before).await,
        [
            "incident.regime_applied",
            "incident.anchor_recorded",
            "incident.submission_recorded"
        ]
    );

    // Refusals name the field and change nothing.
    let rob = app.user("rob", &[Role::Reporter]).await;
    let before = app.journal_len().await;
    for (what, body, field) in [
        ("regimes", json!({"regime": "gdpr_99"}), "regime"),
        (
            "regimes",
            json!({"regime": "nis2", "answers": [{"question": "weather", "yes": true}]}),
            "answers[0].question",
        ),
        (
            "regimes",
            json!({"regime": "nis2", "applies": false, "reason": "no"}),
            "regime",
        ),
        (
            "regimes",
            json!({"regime": "dora", "applies": false}),
            "reason",
        ),
        (
            "submissions",
            json!({"regime": "nis2", "report": "early_warning", "authority": "CSIRT"}),
            "regime",
        ),
        (
            "submissions",
            json!({"regime": "dora", "report": "weekly", "authority": "CA"}),
            "report",
        ),
        (
            "submissions",
            json!({"regime": "dora", "report": "final_report", "authority": "CA", "at": "2099-01-01T00:00:00Z"}),
            "at",
        ),
        (
            "submissions",
            json!({"regime": "dora", "report": "final_report", "authority": "CA", "evidence": "EVD-2026-000099"}),
            "evidence",
        ),
        ("anchors", json!({"anchor": "sunrise"}), "anchor"),
        (
            "anchors",
            json!({"anchor": "noticed", "at": "2099-01-01T00:00:00Z"}),
            "at",
        ),
    ] {
        let (status, problem) = app.post(&path(what), &ian, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what} {body}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{what} {body}");
    }
    let (status, _) = app
        .post(&path("anchors"), &rob, json!({"anchor": "noticed"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.journal_len().await, before);

    // Withdrawn with a reason, the regime's clocks go.
    let view = app
        .post_ok(
            &path("regimes"),
            &ian,
            json!({"regime": "gdpr_33", "answers": []}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        clock(&view, "gdpr_33", "authority_notification")["state"],
        "running"
    );
    let view = app
        .post_ok(
            &path("regimes"),
            &ian,
            json!({"regime": "gdpr_33", "applies": false, "reason": "no personal data involved"}),
            StatusCode::OK,
        )
        .await;
    assert!(
        view["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["regime"] != "gdpr_33")
    );

    // Admins change the rules: DORA's intermediate report now within 48 h.
    let (_, rules) = app.get("/api/v1/regulatory/rules", &ian).await;
    assert_eq!(rules["version"], 1);
    let mut changed = rules.clone();
    let dora = changed["regimes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["id"] == "dora")
        .unwrap();
    dora["reports"][1]["limits"][0]["within"] = json!("48h");
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/regulatory/rules",
            Some(&ian),
            Some(changed.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, saved) = app
        .call(
            Method::PUT,
            "/api/v1/regulatory/rules",
            Some(&app.admin),
            Some(changed.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    let (_, view) = app.get(&path("clocks"), &ian).await;
    let intermediate = clock(&view, "dora", "intermediate_report");
    assert_eq!(minutes_between(&intermediate["due_at"], &sent), 48 * 60);
    let (status, problem) = app
        .call(
            Method::PUT,
            "/api/v1/regulatory/rules",
            Some(&app.admin),
            Some(changed),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["version"]);

    // The records agree with the journal.
    let check = app.store.check_records().await.unwrap();
    assert!(check.agrees(), "{check}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clocks_forms_work_in_the_web_ui() {
    let Some(app) = TestApp::spawn(Backend::Sqlite, "clocks_web").await else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let (ian, web) = person(&app, "ian", &[Role::IsirtMember]).await;
    let n = incident_aware(&app, &pat, &ian, "Customer records exposed", true, 30).await;
    let page = web.get(&format!("/incidents/{n}")).await;
    assert!(
        page.body.contains("No regime has been found to apply"),
        "{}",
        page.body
    );
    // An unanswered checklist is refused, naming the question.
    let refused = web
        .submit(
            &format!("/incidents/{n}/regimes"),
            &[
                ("regime", "nis2"),
                ("applies", "true"),
                ("answers.0.question", "severe_disruption_or_loss"),
            ],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("is required"), "{}", refused.body);
    let done = web
        .submit(
            &format!("/incidents/{n}/regimes"),
            &[
                ("regime", "nis2"),
                ("applies", "true"),
                ("answers.0.question", "severe_disruption_or_loss"),
                ("answers.0.yes", "true"),
                ("answers.1.question", "damage_to_others"),
                ("answers.1.yes", "false"),
                ("reason", "payment service of an essential entity"),
            ],
        )
        .await;
    done.assert_redirect(&format!("/incidents/{n}"));
    let page = web.get(&format!("/incidents/{n}")).await;
    assert!(
        page.body
            .contains(r#"data-report="early_warning" data-state="running""#),
        "{}",
        page.body
    );
    let sent = web
        .submit(
            &format!("/incidents/{n}/submissions"),
            &[
                ("report_of", "nis2/early_warning"),
                ("authority", "CERT-EU"),
            ],
        )
        .await;
    sent.assert_redirect(&format!("/incidents/{n}"));
    let page = web.get(&format!("/incidents/{n}")).await;
    assert!(
        page.body
            .contains(r#"data-report="early_warning" data-state="submitted""#)
    );
    assert!(page.body.contains("CERT-EU"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_edit_the_notification_rules_in_the_web_ui() {
    let Some(app) = TestApp::spawn(Backend::Sqlite, "regulatory_web").await else {
        return;
    };
    let (_, admin) = person(&app, "ada", &[Role::Admin]).await;
    let page = admin.get("/admin/regulatory").await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body.contains("DORA")
            && page
                .body
                .contains("4 business days from materiality determined"),
        "{}",
        page.body
    );
    let refused = admin
        .submit("/admin/regulatory", &[("rules", "{not json")])
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("is not a rule table"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("{not json"), "what was typed stays");
    let (_, mut rules) = app.get("/api/v1/regulatory/rules", &app.admin).await;
    let cert_in = rules["regimes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["id"] == "cert_in")
        .unwrap();
    cert_in["reports"][0]["limits"][0]["within"] = json!("12h");
    let mut stale = rules.clone();
    stale["version"] = json!(0);
    let refused = admin
        .submit("/admin/regulatory", &[("rules", &stale.to_string())])
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("changed since version 0"),
        "{}",
        refused.body
    );
    let saved = admin
        .submit("/admin/regulatory", &[("rules", &rules.to_string())])
        .await;
    saved.assert_status(StatusCode::OK);
    assert!(saved.body.contains("saved as version 2"), "{}", saved.body);
    assert!(saved.body.contains("12 h from noticed"), "{}", saved.body);
    let (_, member) = person(&app, "ian", &[Role::IsirtMember]).await;
    member
        .get("/admin/regulatory")
        .await
        .assert_status(StatusCode::FORBIDDEN);
}
