//! Prometheus metrics, on both backends: `/metrics` on the main address
//! answers only to the metrics token, and without one on an address of its
//! own; what it serves is parsed by prometheus_client's parser, the
//! reference one, and holds requests by route, intake by outcome, the
//! writer's batches, jobs, open incidents by class, the journal's length
//! and the last checkpoint's age, each as the installation stands.

use std::collections::BTreeMap;

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, incident, run_validator, validator_python};

const TOKEN: &str = "scrape-me-0123456789abcdef";

/// Parses the exposition with prometheus_client and prints, as JSON, each
/// family's type and its samples (name, labels, value).
const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    out[family.name] = {
        "type": family.type,
        "help": family.documentation,
        "samples": [[s.name, s.labels, s.value] for s in family.samples],
    }
print(json.dumps(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_and_parsed_on_sqlite() {
    metrics_are_scraped_and_parsed(Backend::Sqlite, "metrics_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_and_parsed_on_postgres() {
    metrics_are_scraped_and_parsed(Backend::Postgres, "metrics_pg").await;
}

/// The value of the sample `name` whose labels include `labels`.
fn sample(families: &Value, family: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    families[family]["samples"]
        .as_array()?
        .iter()
        .find(|s| s[0] == name && labels.iter().all(|(k, v)| s[1][*k].as_str() == Some(*v)))
        .and_then(|s| s[2].as_f64())
}

async fn metrics_are_scraped_and_parsed(backend: Backend, test: &str) {
    let Some(python) = validator_python() else {
        return;
    };
    let Some(app) = TestApp::spawn_with(backend, test, |c| {
        c.metrics_token = Some(TOKEN.into());
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await
    else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let sensor = app.user("sensor", &[Role::Reporter]).await;
    let alert = json!({"title": "IDS alert", "description": "signature matched",
        "source": {"kind": "sensor", "name": "suricata", "ref": "sid-77"}});
    app.post_ok(
        "/api/v1/events",
        &sensor,
        alert.clone(),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok("/api/v1/events", &sensor, alert, StatusCode::OK)
        .await;
    let n = incident(&app, &pat, &ian, "ian", "Ransomware on the file server").await;
    let (_, record) = app.get(&format!("/api/v1/incidents/{n}"), &ian).await;
    let class = record["severity"]["class"].as_str().unwrap().to_owned();
    app.service.checkpoint().await.unwrap();
    // Work the incident set off in the background may add entries while the
    // scrape runs: the figure is at least what stood before it.
    let journal = app.journal_len().await as f64;

    // On the main address: the token, and only it.
    let url = format!("http://{}/metrics", app.addr);
    let refused = app.client.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().contains_key("www-authenticate"));
    for wrong in [app.admin.as_str(), "scrape-me-0123456789abcdeX"] {
        let refused = app
            .client
            .get(&url)
            .bearer_auth(wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{wrong}");
    }
    let scraped = app
        .client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    assert_eq!(
        scraped.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = scraped.text().await.unwrap();
    let families: Value =
        serde_json::from_str(&run_validator(&python, PARSE, text.as_bytes())).unwrap();

    // What the server did.
    assert_eq!(
        families["rampart_http_requests"]["type"], "counter",
        "{text}"
    );
    let posted = sample(
        &families,
        "rampart_http_requests",
        "rampart_http_requests_total",
        &[
            ("method", "POST"),
            ("route", "/api/v1/events"),
            ("status", "201"),
        ],
    );
    assert!(posted.is_some_and(|n| n >= 1.0), "{text}");
    let latency = &families["rampart_http_request_duration_seconds"];
    assert_eq!(latency["type"], "histogram");
    assert!(
        sample(
            &families,
            "rampart_http_request_duration_seconds",
            "rampart_http_request_duration_seconds_bucket",
            &[("route", "/api/v1/incidents/{number}"), ("le", "+Inf")],
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    for outcome in ["accepted", "repeat"] {
        let n = sample(
            &families,
            "rampart_intake_events",
            "rampart_intake_events_total",
            &[("source", "api"), ("outcome", outcome)],
        );
        assert!(n.is_some_and(|n| n >= 1.0), "{outcome}: {text}");
    }
    assert!(
        sample(
            &families,
            "rampart_writer_batch_units",
            "rampart_writer_batch_units_count",
            &[]
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert_eq!(
        families["rampart_writer_commit_duration_seconds"]["type"],
        "histogram"
    );

    // The installation as it stands.
    let entries = sample(
        &families,
        "rampart_journal_entries",
        "rampart_journal_entries",
        &[],
    );
    assert!(
        entries.is_some_and(|e| e >= journal),
        "{entries:?} < {journal}"
    );
    let age = sample(
        &families,
        "rampart_checkpoint_age_seconds",
        "rampart_checkpoint_age_seconds",
        &[],
    );
    assert!(age.is_some_and(|a| (0.0..60.0).contains(&a)), "{age:?}");
    let open: BTreeMap<String, f64> = ["I", "II", "III", "IV"]
        .into_iter()
        .map(|c| {
            let n = sample(
                &families,
                "rampart_open_incidents",
                "rampart_open_incidents",
                &[("class", c)],
            );
            (c.to_owned(), n.unwrap_or(-1.0))
        })
        .collect();
    let expected: BTreeMap<String, f64> = ["I", "II", "III", "IV"]
        .into_iter()
        .map(|c| (c.to_owned(), if c == class { 1.0 } else { 0.0 }))
        .collect();
    assert_eq!(open, expected);
    for state in ["queued", "running", "dead"] {
        let n = sample(
            &families,
            "rampart_jobs",
            "rampart_jobs",
            &[("state", state)],
        );
        assert!(n.is_some_and(|n| n >= 0.0), "{state}: {text}");
    }
    assert_eq!(
        sample(
            &families,
            "rampart_intake_dead_letters",
            "rampart_intake_dead_letters",
            &[]
        ),
        Some(0.0)
    );
    assert!(
        families["rampart_syslog_messages"]["help"]
            .as_str()
            .is_some_and(|h| h.contains("dropped"))
    );

    // On an address of its own, no token is asked for.
    let own = format!("http://{}/metrics", app.metrics.expect("metrics_listen"));
    let scraped = app.client.get(&own).send().await.unwrap();
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(
        scraped
            .text()
            .await
            .unwrap()
            .contains("rampart_journal_entries")
    );
    let elsewhere = app
        .client
        .get(format!("http://{}/api/v1/incidents", app.metrics.unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_main_address_serves_no_metrics() {
    let Some(app) = TestApp::spawn(Backend::Sqlite, "metrics_off").await else {
        return;
    };
    let url = format!("http://{}/metrics", app.addr);
    let answer = app
        .client
        .get(&url)
        .bearer_auth("anything-at-all-here")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    let problem: Value = answer.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("metrics_token"),
        "{problem}"
    );
}
