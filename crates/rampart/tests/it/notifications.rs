//! Notifications end to end, against a real SMTP server (aiosmtpd) on
//! loopback: who is told of a class IV incident, exactly once, by e-mail and
//! in the app; a mail server that is down, tried again with growing waits,
//! dead, shown to admins, queued again and delivered.

use std::sync::Arc;
use std::time::Duration;

use rampart::config::Config;
use rampart_app::App;
use rampart_domain::{Clock, ManualClock, Role, Timestamp};
use rampart_notify::testing::{Behaviour, SmtpSink, WebhookReceiver};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, eventually, fields, reported_event};

/// Rampart sending mail to `smtp_url`, with links to a public address.
async fn spawn(backend: Backend, test: &str, smtp_url: String) -> Option<TestApp> {
    TestApp::spawn_with(backend, test, move |c| {
        c.smtp_url = Some(smtp_url);
        c.mail_from = "Rampart <rampart@example.org>".into();
        c.public_url = Some("https://rampart.example.org/".into());
    })
    .await
}

async fn set_address(app: &TestApp, token: &str, email: &str) {
    let (status, prefs) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/notifications/preferences",
            Some(token),
            Some(json!({"email": email})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{prefs}");
    assert_eq!(prefs["email"], email);
}

async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/notifications", token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_four_incident_reaches_the_manager_once_on_sqlite() {
    class_four_reaches_the_manager_once(Backend::Sqlite, "class_four_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_four_incident_reaches_the_manager_once_on_postgres() {
    class_four_reaches_the_manager_once(Backend::Postgres, "class_four_pg").await;
}

async fn class_four_reaches_the_manager_once(backend: Backend, test: &str) {
    let Some(sink) = SmtpSink::start(None) else {
        return;
    };
    let Some(app) = spawn(backend, test, sink.url()).await else {
        return;
    };
    let rita = app.user("rita", &[Role::Reporter]).await;
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    set_address(&app, &mia, "mia@example.org").await;
    set_address(&app, &rita, "rita@example.org").await;
    // The SOC's tool subscribes to significant incidents.
    let receiver = WebhookReceiver::start(Behaviour::Ok).await;
    let hook = app
        .post_ok(
            "/api/v1/webhooks",
            &app.admin,
            json!({"name": "SOAR", "url": receiver.url(), "allow_private": true,
                   "kinds": ["incident_significant"]}),
            StatusCode::CREATED,
        )
        .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();

    let event = reported_event(&app, &rita, "Files renamed to .locked on the file server").await;
    app.post_ok(
        &format!("/api/v1/events/{event}/assessment"),
        &pat,
        json!({"decision": "possible_incident"}),
        StatusCode::OK,
    )
    .await;
    let incident = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            json!({"events": [event], "title": "Ransomware on the file servers",
                   "category": "malware", "effort": "high", "coordinator": "ian",
                   "severity": {"system_importance": "particularly_important",
                                "business_loss": "especially_serious", "social_impact": "minor"}}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(incident["severity"]["class"], "IV");
    let number = incident["number"].as_str().unwrap().to_owned();

    // The manager's mailbox gets the incident, and the reporter their acknowledgement.
    let mail = sink.wait_for(2, Duration::from_secs(20)).await;
    // Nothing more arrives: each is sent once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mail = {
        let again = sink.received();
        assert_eq!(again.len(), mail.len(), "{again:#?}");
        again
    };
    let to = |who: &str| {
        mail.iter()
            .filter(|m| m.to.iter().any(|t| t.contains(who)))
            .collect::<Vec<_>>()
    };
    let [to_mia] = to("mia@example.org")[..] else {
        panic!("{mail:#?}\n{}", sink.log())
    };
    assert_eq!(to_mia.from, ["Rampart <rampart@example.org>"]);
    assert!(to_mia.subject[0].contains(&number), "{:?}", to_mia.subject);
    assert!(to_mia.subject[0].contains("class IV"));
    let text = to_mia.text.as_deref().unwrap();
    assert!(
        text.contains(&format!("https://rampart.example.org/incidents/{number}")),
        "{text}"
    );
    assert!(
        to_mia
            .html
            .as_deref()
            .unwrap()
            .contains("Ransomware on the file servers")
    );
    assert!(to_mia.defects.is_empty(), "{:?}", to_mia.defects);
    let [to_rita] = to("rita@example.org")[..] else {
        panic!("{mail:#?}")
    };
    assert!(to_rita.subject[0].contains(&event));
    assert!(!to_rita.text.as_deref().unwrap().contains("Ransomware"));

    // The webhook gets it once, signed, in Rampart's own shape.
    let posted = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert!(rampart_notify::testing::verify(&secret, &posted[0]));
    let body: Value = serde_json::from_slice(&posted[0].body).unwrap();
    assert_eq!(body["kind"], "incident_significant");
    assert_eq!(body["subject"], number.as_str());
    assert_eq!(
        body["link"],
        format!("https://rampart.example.org/incidents/{number}")
    );
    assert_eq!(body["redacted"], false);
    assert!(body["title"].as_str().unwrap().contains("class IV"));

    // In the app: the manager's bell counts it; reading it clears it.
    let told = notifications(&app, &mia).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["kind"], "incident_significant");
    assert_eq!(told[0]["link"], format!("/incidents/{number}"));
    let (_, unread) = app.get("/api/v1/notifications/unread", &mia).await;
    assert_eq!(unread["unread"], 1);
    let marked = app
        .post_ok(
            "/api/v1/notifications/read",
            &mia,
            json!({"all": true}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(marked["marked"], 1);
    let (_, unread) = app.get("/api/v1/notifications/unread", &mia).await;
    assert_eq!(unread["unread"], 0);

    // The reporter sees the acknowledgement, and nothing of the incident.
    let acks = notifications(&app, &rita).await;
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0]["kind"], "report_update");
    assert_eq!(acks[0]["audience"], "reporter");
    assert_eq!(acks[0]["subject"], event.as_str());
    assert!(!acks[0].to_string().contains(&number));
    // Nobody reads another's notification.
    let (status, _) = app
        .post(
            "/api/v1/notifications/read",
            &rita,
            json!({"ids": [told[0]["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The journal proves who was told, and that the mail server took it
    // (journaled once the server answered).
    eventually("the journal of mia's notifications", || async {
        let (_, journal) = app
            .get("/api/v1/journal?entity=inbox:mia", &app.admin)
            .await;
        let actions: Vec<String> = journal["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect();
        [
            "notification.created",
            "notification.emailed",
            "notification.read",
        ]
        .iter()
        .all(|a| actions.iter().any(|b| b == a))
    })
    .await;
}

crate::on_both_backends!(preferences_are_checked_by_field);

async fn preferences_are_checked_by_field(app: TestApp) {
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let put = |body: Value| {
        let (app, ian) = (&app, ian.clone());
        async move {
            app.call(
                reqwest::Method::PUT,
                "/api/v1/notifications/preferences",
                Some(&ian),
                Some(body),
            )
            .await
        }
    };
    let (status, problem) = put(json!({"email": "ian at example"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["email"]);
    let (status, problem) = put(json!({"muted_in_app": ["incident_crisis"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["muted_in_app"]);
    let (status, _) = put(json!({"muted_by_email": ["no_such_kind"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = put(json!({"pager": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, prefs) = app.get("/api/v1/notifications/preferences", &ian).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(prefs["email"], Value::Null, "nothing refused was kept");
    let (status, problem) = app
        .post("/api/v1/notifications/read", &ian, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["ids"]);
    let (status, _) = app.get("/api/v1/notifications?unread=maybe", &ian).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_server_that_is_down_is_tried_again_then_dead_then_requeued_and_delivered() {
    // Whether a real server can be started here at all.
    if SmtpSink::start(None).is_none() {
        return;
    }
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let url = format!("smtp://127.0.0.1:{port}");
    let Some(app) = spawn(Backend::Sqlite, "smtp_down", url.clone()).await else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    set_address(&app, &ian, "ian@example.org").await;
    let event = crate::helpers::escalated_event(&app, &pat, "Odd logins").await;

    // Told in the app at once, whatever the mail server does.
    let mail_jobs = || async {
        let jobs = app.store.list_jobs(None, None, 100).await.unwrap();
        jobs.into_iter()
            .filter(|j| j.kind == "mail")
            .collect::<Vec<_>>()
    };
    eventually("the e-mail's first attempt", || async {
        mail_jobs().await.first().is_some_and(|j| j.attempts == 1)
    })
    .await;
    let told = notifications(&app, &ian).await;
    assert_eq!(told[0]["subject"], event.as_str());

    // A node on a clock the test moves tries again, waiting longer each time.
    let start = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let config = Config {
        smtp_url: Some(url),
        ..Config::default()
    };
    let mail = rampart::startup::mail_settings(&config).unwrap().unwrap();
    let node = App::new(app.store.clone(), clock.clone()).with_mail(mail);
    let mut waits = vec![];
    for attempt in 2..=5 {
        assert_eq!(node.run_due_jobs().await, 1, "attempt {attempt}");
        let job = mail_jobs().await.remove(0);
        assert_eq!(job.attempts, attempt);
        assert!(
            job.last_error.as_deref().unwrap().contains("connect"),
            "{job:?}"
        );
        if attempt < 5 {
            let due = Timestamp::parse(&job.run_after).unwrap();
            let wait = (due.as_offset() - clock.now().as_offset()).whole_seconds();
            waits.push(wait);
            clock.advance(time::Duration::seconds(wait));
        }
    }
    assert_eq!(waits, [20, 40, 80]);
    // Dead, and shown to admins.
    let (_, dead) = app.get("/api/v1/jobs?state=dead", &app.admin).await;
    let dead = dead["items"].as_array().unwrap().clone();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["kind"], "mail");

    // The server comes back where it was; an admin queues the job again.
    let Some(sink) = SmtpSink::start_on(port, None) else {
        return;
    };
    let id = dead[0]["id"].as_i64().unwrap();
    let (status, _) = app
        .post(&format!("/api/v1/jobs/{id}/retry"), &app.admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let delivered = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(delivered.len(), 1);
    assert!(delivered[0].subject[0].contains(&event));
    eventually("the job done", || async {
        mail_jobs().await[0].state == rampart_app::JobState::Done
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 1, "delivered once");
}
