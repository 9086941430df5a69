//! Input built to break the server rather than to use it: form field names
//! nested tens of thousands deep, JSON nested as deep, forms with too many
//! fields, connections that never finish their headers, floods of API
//! requests, a reader that goes away. Each is refused plainly, nothing
//! changes, and the server keeps answering.

use rampart_domain::Role;
use rampart_store::JournalQuery;
use std::time::Duration;

use rampart_http::server::ServerSettings;
use reqwest::StatusCode;
use reqwest::header::ORIGIN;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;
use crate::web::{WebClient, person};

crate::on_both_backends!(
    form_names_nested_deep_are_refused_and_the_server_keeps_answering,
    json_nested_deep_is_refused_and_the_server_keeps_answering,
    slow_and_idle_connections_are_closed_after_the_header_timeout,
    api_requests_are_limited_per_token_and_per_address,
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

/// A second server over the same service, with these settings.
async fn server_with(app: &TestApp, settings: ServerSettings) -> std::net::SocketAddr {
    let router = rampart_http::app(rampart_http::AppState {
        app: app.service.clone(),
        body_limit: rampart_http::DEFAULT_BODY_LIMIT,
        web: rampart_http::web::WebSettings::default(),
        metrics: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(rampart_http::server::serve(
        listener,
        router,
        settings,
        std::future::pending(),
    ));
    addr
}

/// Whether the server closed the connection within `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // A 408 or similar before the close is fine.
            Ok(Ok(_)) => {}
        }
    }
}

async fn slow_and_idle_connections_are_closed_after_the_header_timeout(app: TestApp) {
    let addr = server_with(
        &app,
        ServerSettings {
            header_read_timeout: Duration::from_secs(1),
            ..ServerSettings::default()
        },
    )
    .await;
    // One that sends nothing, one that sends half a request head.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await);
    assert!(closed_within(&mut slow, Duration::from_secs(5)).await);
    // A whole request is answered as usual.
    let r = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

async fn api_requests_are_limited_per_token_and_per_address(app: TestApp) {
    let addr = server_with(
        &app,
        ServerSettings {
            api_rate_per_token: 2,
            api_rate_per_address: 5,
            ..ServerSettings::default()
        },
    )
    .await;
    let reader = app.user("auditor", &[Role::Auditor]).await;
    let other = app.user("auditor2", &[Role::Auditor]).await;
    rampart_notify::use_ring_for_tls();
    let client = reqwest::Client::new();
    let get = async |token: &str| {
        client
            .get(format!("http://{addr}/api/v1/journal?limit=1"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    };
    // A burst of twice the rate goes through, then the token waits.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get(&reader).await.status());
    }
    assert_eq!(&statuses[..4], [StatusCode::OK; 4], "{statuses:?}");
    let refused = get(&reader).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(problem["status"], 429);
    assert!(problem["detail"].as_str().unwrap().contains("token"));
    // Another token from the same address goes on until the address's limit.
    let mut other_statuses = Vec::new();
    for _ in 0..6 {
        other_statuses.push(get(&other).await.status());
    }
    assert!(
        other_statuses.contains(&StatusCode::OK)
            && other_statuses.last() == Some(&StatusCode::TOO_MANY_REQUESTS),
        "{other_statuses:?}"
    );
    // Health checks are never limited.
    for _ in 0..20 {
        let r = client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

/// `rampart openapi | head -c 1`: the reader goes away, the command ends quietly.
#[test]
fn a_command_whose_reader_goes_away_ends_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("openapi")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the document (over 100 KB) is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
