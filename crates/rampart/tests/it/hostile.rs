//! Input built to break the server rather than to use it: form field names
//! nested tens of thousands deep, JSON nested as deep, forms with too many
//! fields. Each is refused with the field named, nothing changes, and the
//! server keeps answering.

use rampart_domain::Role;
use rampart_store::JournalQuery;
use reqwest::StatusCode;
use reqwest::header::ORIGIN;
use serde_json::json;

use crate::helpers::TestApp;
use crate::web::{WebClient, person};

crate::on_both_backends!(
    form_names_nested_deep_are_refused_and_the_server_keeps_answering,
    json_nested_deep_is_refused_and_the_server_keeps_answering,
);

/// A field name of `parts` dotted parts: 30,000 of them is a 60 KB body.
fn deep_name(parts: usize) -> String {
    vec!["a"; parts].join(".")
}

/// The journal's actions after `seq`, leaving out checkpoints (signed in the background).
async fn actions_after(app: &TestApp, seq: u64) -> Vec<String> {
    app.store
        .journal(&JournalQuery {
            after: seq,
            limit: 100,
            entity: None,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| !a.starts_with("checkpoint"))
        .collect()
}

async fn still_answers(app: &TestApp) {
    let r = reqwest::get(format!("http://{}/healthz", app.addr))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

async fn form_names_nested_deep_are_refused_and_the_server_keeps_answering(app: TestApp) {
    let name = deep_name(30_000);
    let before = app.journal_len().await;

    // Signed in, through the reporting form.
    let (_, reporter) = person(&app, "rita", &[Role::Reporter]).await;
    let page = reporter
        .submit(
            "/report",
            &[("title", "x"), ("description", "y"), (name.as_str(), "1")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.heading(), Some("Form refused"));
    assert!(
        page.body.contains("30000 dotted parts"),
        "the page names what is wrong: {}",
        page.body
    );
    assert!(
        page.body.contains("a.a.a.a"),
        "and the field: {}",
        page.body
    );
    still_answers(&app).await;

    // Without an account, through the public form (the token is checked after
    // the body is read, so the refusal comes first either way).
    let visitor = WebClient::new(&app);
    let csrf = visitor.get("/public/report").await.csrf();
    let origin = visitor.origin();
    let page = visitor
        .post_with(
            "/public/report",
            &[
                ("csrf", csrf.as_str()),
                ("title", "x"),
                (name.as_str(), "1"),
            ],
            &[(ORIGIN, origin.as_str())],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    still_answers(&app).await;

    // Too many fields, and the same name in a query string.
    let many: Vec<(String, &str)> = (0..1_500).map(|i| (format!("f{i}"), "1")).collect();
    let mut form: Vec<(&str, &str)> = vec![("title", "x"), ("description", "y")];
    form.extend(many.iter().map(|(k, v)| (k.as_str(), *v)));
    let page = reporter.submit("/report", &form).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("more than 1000 fields"), "{}", page.body);
    let page = WebClient::new(&app).get(&format!("/login?{name}=1")).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    // Nothing was recorded (signing in is journaled, the refusals are not), and
    // an ordinary report still goes through.
    let signed_in = app.journal_len().await;
    assert!(signed_in >= before);
    let page = reporter
        .submit(
            "/report",
            &[
                ("title", "A real report after the attack"),
                ("description", "the phone rang"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(page.location.unwrap().starts_with("/report/EVT-"));
    assert_eq!(actions_after(&app, signed_in).await, ["event.reported"]);
}

async fn json_nested_deep_is_refused_and_the_server_keeps_answering(app: TestApp) {
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let sensor = app.user("sensor", &[Role::Reporter]).await;
    let before = app.journal_len().await;
    for (path, body) in [
        ("/api/v1/events", deep.clone()),
        (
            "/api/v1/events",
            format!(r#"{{"title":"x","description":"y","attributes":{deep_object}}}"#),
        ),
        ("/api/v1/events/batch", deep.clone()),
        ("/api/v1/events/batch", format!("[{deep_object}]")),
    ] {
        let r = app
            .client
            .post(format!("http://{}{path}", app.addr))
            .bearer_auth(&sensor)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_client_error(),
            "{path}: {} {}",
            r.status(),
            r.text().await.unwrap()
        );
        still_answers(&app).await;
    }
    assert_eq!(app.journal_len().await, before);
    let (status, body) = app
        .post(
            "/api/v1/events",
            &sensor,
            json!({"title": "after", "description": "still here"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(actions_after(&app, before).await, ["event.reported"]);
}
