//! Connectors written for TheHive report to Rampart by a change of URL and
//! key, on both backends: thehive4py, TheHive's own client, creates an
//! alert, sends it again (counted on the first event), reads it and finds
//! it with TheHive's query language; a bad alert is refused in TheHive's
//! shape with the field named and changes nothing; a batch of TheHive
//! alerts goes through Rampart's own batch intake; a key without the
//! intake scope is refused.

use rampart_app::people::TokenRequest;
use rampart_domain::{Actor, Role, Scope};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, run_validator, validator_python};

crate::on_both_backends!(connectors_for_thehive_report_to_rampart);

/// Drives the live server with thehive4py; prints what each call answered.
const CLIENT: &str = r#"
import json, sys
from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError
from thehive4py.query.filters import Eq, Gte
from thehive4py.query.page import Paginate
from thehive4py.query.sort import Desc

args = json.load(sys.stdin)
hive = TheHiveApi(url=args["url"], apikey=args["key"], max_retries=None)
alert = {
    "type": "wazuh", "source": "wazuh-manager", "sourceRef": "1700000000.42",
    "title": "Brute force on ssh", "description": "12 failed logins from one address",
    "severity": 3, "date": 1700000000000, "tlp": 2, "pap": 2, "tags": ["T1110", "ssh"],
    "observables": [
        {"dataType": "ip", "data": "198.51.100.7", "ioc": True},
        {"dataType": "hostname", "data": "web1.corp.example"},
        {"dataType": "filename", "data": "hydra.exe"},
    ],
}
out = {}
out["created"] = hive.alert.create(alert=alert)
out["repeat"] = hive.alert.create(alert=alert)
other = dict(alert, sourceRef="1700000000.43", severity=1, title="Port scan", observables=[])
out["other"] = hive.alert.create(alert=other)
out["got"] = hive.alert.get(out["created"]["_id"])
out["found"] = hive.alert.find(
    filters=Eq("source", "wazuh-manager") & Eq("sourceRef", "1700000000.42"))
out["by_tag"] = hive.alert.find(filters=Eq("tags", "ssh") & Gte("severity", 2))
out["count"] = hive.alert.count(filters=Eq("source", "wazuh-manager"))
out["newest"] = hive.alert.find(sortby=Desc("title"), paginate=Paginate(0, 1))
def refused(call):
    try:
        call()
        return None
    except TheHiveError as e:
        return {"status": e.response.status_code, "message": e.message,
                "body": e.response.json()}
bad = dict(alert, sourceRef="bad-1", observables=[{"dataType": "ipv7", "data": "x"}])
out["bad_type"] = refused(lambda: hive.alert.create(alert=bad))
bad = dict(alert, sourceRef="bad-2", severity=9)
out["bad_severity"] = refused(lambda: hive.alert.create(alert=bad))
out["bad_query"] = refused(lambda: hive.alert.find(filters=Eq("colour", "red")))
out["missing"] = refused(lambda: hive.alert.get("EVT-1999-000001"))
print(json.dumps(out))
"#;

async fn connectors_for_thehive_report_to_rampart(app: TestApp) {
    let Some(python) = validator_python() else {
        return;
    };
    app.user("wazuh", &[Role::Reporter]).await;
    let token = |scopes: Vec<Scope>| {
        let app = app.service.clone();
        async move {
            let request = TokenRequest {
                name: Some("wazuh connector".into()),
                scopes: Some(scopes),
                days: None,
            };
            app.issue_token(&Actor::system(), "wazuh", request)
                .await
                .unwrap()
                .1
        }
    };
    let key = token(vec![Scope::IntakeWrite, Scope::EventsRead]).await;
    let seq = app.journal_len().await;

    let args = json!({"url": format!("http://{}", app.addr), "key": key});
    let url = app.addr;
    let printed = tokio::task::spawn_blocking(move || {
        run_validator(&python, CLIENT, args.to_string().as_bytes())
    })
    .await
    .unwrap();
    let out: Value = serde_json::from_str(&printed).unwrap();

    // Made, in TheHive's shape, its id the event's number.
    let created = &out["created"];
    let id = created["_id"].as_str().unwrap();
    assert!(id.starts_with("EVT-"), "{created}");
    assert_eq!(created["_type"], "Alert");
    assert_eq!(created["type"], "wazuh");
    assert_eq!(created["source"], "wazuh-manager");
    assert_eq!(created["sourceRef"], "1700000000.42");
    assert_eq!(created["severity"], 3);
    assert_eq!(created["severityLabel"], "HIGH");
    assert_eq!(created["date"], 1_700_000_000_000_i64);
    assert_eq!(created["tlp"], 2);
    assert_eq!(created["tags"], json!(["T1110", "ssh"]));
    assert_eq!(created["observableCount"], 2);
    assert_eq!(created["status"], "New");
    assert_eq!(created["_createdBy"], "wazuh");
    // The repeat is the first alert, counted on its event.
    assert_eq!(out["repeat"]["_id"], created["_id"]);
    let (_, event) = app.get(&format!("/api/v1/events/{id}"), &app.admin).await;
    assert_eq!(event["occurrences"], 2, "{event}");
    assert_eq!(event["source"]["kind"], "sensor");
    let observed: Vec<String> = event["observables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}:{}",
                o["type"].as_str().unwrap(),
                o["value"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(observed, ["ip:198.51.100.7", "host:web1.corp.example"]);
    assert_eq!(event["attributes"]["thehive.filename"], r#"["hydra.exe"]"#);
    assert_eq!(event["tlp"], "AMBER");
    // Read and found.
    assert_eq!(out["got"]["title"], "Brute force on ssh");
    assert_eq!(out["got"]["_id"], created["_id"]);
    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&out["found"]), [id]);
    assert_eq!(ids(&out["by_tag"]), [id]);
    assert_eq!(out["count"], 2);
    assert_eq!(out["newest"].as_array().unwrap().len(), 1);
    assert_eq!(out["newest"][0]["title"], "Port scan");
    // Refused as TheHive refuses, the field named.
    let bad = &out["bad_type"];
    assert_eq!(bad["status"], 400, "{bad}");
    assert_eq!(bad["body"]["type"], "BadRequest");
    assert_eq!(bad["body"]["errors"][0]["field"], "observables[0].dataType");
    assert!(bad["message"].as_str().unwrap().contains("ipv7"), "{bad}");
    assert_eq!(
        out["bad_severity"]["body"]["errors"][0]["field"],
        "severity"
    );
    assert_eq!(out["bad_query"]["status"], 400);
    assert_eq!(
        out["bad_query"]["body"]["errors"][0]["field"],
        "query[1]._eq._field"
    );
    assert_eq!(out["missing"]["status"], 404);
    assert_eq!(out["missing"]["body"]["type"], "NotFoundError");
    // Two events and a repeat; the refusals changed nothing.
    assert_eq!(
        app.changes_after(seq).await,
        ["event.reported", "event.repeated", "event.reported"]
    );

    // A batch of TheHive alerts through Rampart's batch intake.
    let (status, result) = app
        .call(
            Method::POST,
            "/api/v1/events/batch",
            Some(&key),
            Some(json!([
                {"type": "n8n", "source": "n8n", "sourceRef": "run-1", "title": "Phish reported",
                 "description": "a user forwarded it", "observables": [{"dataType": "mail", "data": "boss@evil.example"}]},
                {"type": "n8n", "source": "n8n", "sourceRef": "run-2", "title": "t", "description": "d",
                 "observables": [{"dataType": "url", "data": "not a url"}]}
            ])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["created"], 1, "{result}");
    assert_eq!(
        result["items"][1]["errors"][0]["field"],
        "observables[0].data"
    );

    // A key without the intake scope: refused in TheHive's shape.
    let reader = token(vec![Scope::EventsRead]).await;
    let answer = app
        .client
        .post(format!("http://{url}/api/v1/alert"))
        .bearer_auth(&reader)
        .json(&json!({"type": "t", "source": "s", "sourceRef": "r", "title": "t", "description": "d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["type"], "AuthorizationError", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("intake:write"),
        "{body}"
    );
    // Without a key at all.
    let answer = app
        .client
        .post(format!("http://{url}/api/v1/query"))
        .json(&json!({"query": [{"_name": "listAlert"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["type"], "AuthenticationError", "{body}");
}
