//! Background jobs: checkpoints signed as jobs, once each; failures tried
//! again with growing waits, then dead and shown to admins, who may queue
//! them again.

use std::sync::Arc;

use rampart_app::App;
use rampart_domain::{Clock, ManualClock, Role, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, fields, reported_event};
use crate::web::WebClient;

crate::on_both_backends!(jobs_run_once_retry_and_die_visibly);

async fn jobs(app: &TestApp, query: &str) -> Vec<Value> {
    let (status, list) = app.get(&format!("/api/v1/jobs{query}"), &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"].as_array().unwrap().clone()
}

async fn jobs_run_once_retry_and_die_visibly(app: TestApp) {
    // Checkpoints fall due every five entries here; each is a job, run once.
    let poc = app.user("pat", &[Role::Poc]).await;
    for i in 0..12 {
        reported_event(&app, &poc, &format!("event {i}")).await;
    }
    // Wait until the app's own node has run every job it enqueued: the node
    // below runs on a clock years ahead, for which any lease has run out.
    // Quiet means: nothing queued or running, twice, 300 ms apart, with the
    // same jobs done (a job is enqueued just after the commit that makes it due).
    let mut done = Vec::new();
    let mut quiet = None;
    for _ in 0..100 {
        done = jobs(&app, "?state=done").await;
        let idle = jobs(&app, "?state=queued").await.is_empty()
            && jobs(&app, "?state=running").await.is_empty();
        if idle && done.len() >= 14 && quiet == Some(done.len()) {
            break;
        }
        quiet = idle.then_some(done.len());
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    // The checkpoints, and a `notice` job for each person's report (for
    // the point of contact on duty; here no rota names one).
    let checkpoints = done.iter().filter(|j| j["kind"] == "checkpoint").count();
    assert!(checkpoints >= 2, "{done:?}");
    for job in &done {
        assert!(
            job["kind"] == "checkpoint" || job["kind"] == "notice",
            "{job}"
        );
        assert_eq!(job["attempts"], 1, "{job}");
        assert!(job["finished_at"].is_string());
    }
    assert!(app.store.last_checkpoint().await.unwrap().is_some());

    // Admins only; bad filters are named.
    let (status, _) = app.get("/api/v1/jobs", &poc).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app.get("/api/v1/jobs?state=stuck", &app.admin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["state"]);
    let (status, problem) = app.get("/api/v1/jobs?limit=0", &app.admin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["limit"]);

    // A job that cannot succeed: tried five times, waiting longer each time,
    // then dead. (A node of its own, on a clock the test moves.)
    let start = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
    let clock = Arc::new(ManualClock::new(start));
    let node = App::new(app.store.clone(), clock.clone());
    assert!(
        app.store
            .enqueue_job("no-such-kind", "broken-1", "{}", start)
            .await
            .unwrap()
    );
    let mut waits = Vec::new();
    for attempt in 1..=5 {
        assert_eq!(node.run_due_jobs().await, 1, "attempt {attempt}");
        // Not due again at once.
        assert_eq!(node.run_due_jobs().await, 0);
        let job = app.store.list_jobs(None, None, 100).await.unwrap();
        let job = job.iter().find(|j| j.key == "broken-1").unwrap();
        assert_eq!(job.attempts, attempt);
        if attempt < 5 {
            let due = Timestamp::parse(&job.run_after).unwrap();
            let wait = (due.as_offset() - clock.now().as_offset()).whole_seconds();
            waits.push(wait);
            clock.advance(time::Duration::seconds(wait));
        }
    }
    assert_eq!(waits, [10, 20, 40, 80]);
    let dead = jobs(&app, "?state=dead").await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["key"], "broken-1");
    assert_eq!(dead[0]["attempts"], 5);
    assert_eq!(dead[0]["last_error"], "no such kind of job: no-such-kind");
    assert_eq!(node.run_due_jobs().await, 0, "a dead job is never claimed");

    // An admin queues it again; that is journaled. Only dead jobs can be.
    let id = dead[0]["id"].as_i64().unwrap();
    let before = app.journal_len().await;
    let (status, _) = app
        .post(&format!("/api/v1/jobs/{id}/retry"), &poc, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.journal_len().await,
        before,
        "a refused retry changes nothing"
    );
    // On the web, the admin sees it waiting, and queues it again there.
    app.service
        .set_password(&rampart_domain::Actor::system(), "admin", PASSWORD)
        .await
        .unwrap();
    let web = WebClient::new(&app);
    web.sign_in("admin", PASSWORD).await;
    let page = web.get("/admin/jobs?state=dead").await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains("1 dead job."), "{}", page.body);
    assert!(page.body.contains("no such kind of job: no-such-kind"));
    let retry = format!("/admin/jobs/{id}/retry");
    assert!(page.body.contains(&retry));
    let page = web.get("/admin/jobs?state=stuck").await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let before = app.journal_len().await;
    let page = web.submit(&retry, &[]).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body.contains(&format!("Job {id} is queued again.")),
        "{}",
        page.body
    );
    assert_eq!(app.journal_len().await, before + 1);
    let entry = app
        .store
        .journal(&rampart_store::JournalQuery {
            after: before,
            limit: 1,
            entity: None,
        })
        .await
        .unwrap();
    assert_eq!(entry[0].action, "job.requeued");
    assert_eq!(entry[0].entity, format!("job:{id}"));
    let (status, problem) = app
        .post(&format!("/api/v1/jobs/{id}/retry"), &app.admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = app
        .post("/api/v1/jobs/x1/retry", &app.admin, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["id"]);
}
