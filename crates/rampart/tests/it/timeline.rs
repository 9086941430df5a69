//! The incident's timeline through the API: the log merged with what the
//! journal recorded about the incident and its evidence, each thing once,
//! in the order asked for, evidence only for those who may view it.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::evidence::upload;
use crate::helpers::{TestApp, incident};
use crate::on_both_backends;

on_both_backends!(the_timeline_holds_each_change_once_in_the_order_asked_for);

fn texts(timeline: &Value) -> Vec<String> {
    timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap().to_owned())
        .collect()
}

fn count(timeline: &Value, start: &str) -> usize {
    texts(timeline)
        .iter()
        .filter(|t| t.starts_with(start))
        .count()
}

async fn the_timeline_holds_each_change_once_in_the_order_asked_for(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let n = incident(&app, &poc, &ian, "ian", "Beaconing host").await;
    let base = format!("/api/v1/incidents/{n}");

    let (status, body) = app
        .call(
            Method::PATCH,
            &base,
            Some(&ian),
            Some(json!({"title": "Beaconing host in finance"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let action = json!({"what": "Isolate the host", "owner": "ian", "requires_approval": true});
    app.post_ok(
        &format!("{base}/actions"),
        &ian,
        action,
        StatusCode::CREATED,
    )
    .await;
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("{base}/actions/1"),
            Some(&ian),
            Some(json!({"approved_by": "Olga (system owner)", "approval_reason": "outside trading hours"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let observable = json!({"type": "domain", "value": "evil.example", "ioc": true});
    app.post_ok(
        &format!("{base}/observables"),
        &ian,
        observable,
        StatusCode::CREATED,
    )
    .await;
    let item = upload(&app, &ian, &n, "mail.eml", b"From: someone").await;
    let evd = item["number"].as_str().unwrap().to_owned();

    let (status, occurred) = app.get(&format!("{base}/timeline"), &ian).await;
    assert_eq!(status, StatusCode::OK, "{occurred}");
    assert_eq!(occurred["order"], "occurred");
    assert_eq!(occurred["truncated"], false);
    for start in [
        "updated title",
        "planned action 1: Isolate the host",
        "Olga (system owner) approved action 1",
        "added observable domain evil.example",
        &format!("collected {evd}"),
        "confirmed as an incident",
    ] {
        assert_eq!(
            count(&occurred, start),
            1,
            "{start} once: {:?}",
            texts(&occurred)
        );
    }
    let change = occurred["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "change")
        .unwrap();
    assert_eq!(
        change["details"],
        json!(["title: Beaconing host → Beaconing host in finance"])
    );
    let approval = occurred["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "approval")
        .unwrap();
    assert_eq!(approval["reason"], "outside trading hours");
    assert_eq!(approval["actor"], "ian");
    // The evidence was collected (2026-01-10) before anything else happened.
    let all = texts(&occurred);
    assert!(
        all.last().unwrap().starts_with(&format!("collected {evd}")),
        "{all:?}"
    );
    let times: Vec<&str> = occurred["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["occurred_at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    let (status, recorded) = app
        .get(&format!("{base}/timeline?order=recorded"), &ian)
        .await;
    assert_eq!(status, StatusCode::OK, "{recorded}");
    assert_eq!(recorded["order"], "recorded");
    let all = texts(&recorded);
    assert!(all[0].starts_with(&format!("collected {evd}")), "{all:?}");
    assert!(
        all.last().unwrap().starts_with("confirmed as an incident"),
        "{all:?}"
    );
    assert_eq!(all.len(), texts(&occurred).len());

    // A point of contact reads the incident but not its evidence.
    let (status, theirs) = app.get(&format!("{base}/timeline"), &poc).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(count(&theirs, "collected"), 0, "{:?}", texts(&theirs));
    assert!(
        theirs["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["kind"] != "evidence")
    );
    assert_eq!(count(&theirs, "added observable"), 1);

    let (status, body) = app
        .get(&format!("{base}/timeline?order=sideways"), &ian)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = app
        .get("/api/v1/incidents/INC-2026-9999/timeline", &ian)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
