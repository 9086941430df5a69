//! The OpenAPI document is generated from the code, committed, must not
//! drift, and says what the server does: every response described, problem
//! documents under their media type, every list one shape, paging out of
//! range refused.

use std::collections::BTreeSet;

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::evidence::upload;
use crate::helpers::{TestApp, fields, incident, reported_event};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");

crate::on_both_backends!(
    every_list_pages_with_one_shape,
    paging_out_of_range_is_refused_by_name,
);

#[test]
fn the_committed_openapi_document_is_current() {
    let generated = rampart_http::openapi().to_pretty_json().unwrap() + "\n";
    if std::env::var_os("RAMPART_UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date; regenerate with `RAMPART_UPDATE_OPENAPI=1 cargo test -p rampart --test it openapi`"
    );
}

/// Every `$ref` names a schema the document holds (a parameter's type that
/// is never registered leaves a reference dangling).
#[test]
fn every_reference_resolves() {
    let doc: Value = serde_json::to_value(rampart_http::openapi()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut dangling = BTreeSet::new();
    let mut stack = vec![&doc];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref")
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                    && !schemas.contains_key(name)
                {
                    dangling.insert(name.to_owned());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    assert!(
        dangling.is_empty(),
        "references to missing schemas: {dangling:?}"
    );
}

#[test]
fn every_route_is_documented() {
    let doc = rampart_http::openapi();
    let paths: Vec<&String> = doc.paths.paths.keys().collect();
    for expected in [
        "/api/v1/events",
        "/api/v1/events/{number}",
        "/api/v1/events/{number}/assessment",
        "/api/v1/incidents",
        "/api/v1/incidents/{number}",
        "/api/v1/incidents/{number}/events",
        "/api/v1/incidents/{number}/transitions",
        "/api/v1/incidents/{number}/log",
        "/api/v1/incidents/{number}/actions",
        "/api/v1/incidents/{number}/review",
        "/api/v1/vulnerabilities",
        "/api/v1/vulnerabilities/{number}/assessment",
        "/api/v1/vulnerabilities/{number}/resolution",
        "/api/v1/journal",
    ] {
        assert!(
            paths.iter().any(|p| p.as_str() == expected),
            "{expected} missing from {paths:?}"
        );
    }
}

/// Every operation of the document, as `(method path, operation)`.
fn operations(doc: &Value) -> Vec<(String, &Value)> {
    let mut all = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            all.push((format!("{} {path}", method.to_uppercase()), op));
        }
    }
    all
}

#[test]
fn every_response_is_described_and_every_failure_is_a_problem_document() {
    let doc = serde_json::to_value(rampart_http::openapi()).unwrap();
    let mut ids = BTreeSet::new();
    for (name, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{name} has no operationId");
        assert!(ids.insert(id.to_owned()), "{name}: operationId {id} twice");
        let responses = op["responses"].as_object().unwrap();
        let thehive = op["tags"] == json!(["thehive"]);
        for (status, response) in responses {
            assert!(
                !response["description"]
                    .as_str()
                    .unwrap_or_default()
                    .is_empty(),
                "{name} {status} has no description"
            );
            let content = response["content"].as_object().cloned().unwrap_or_default();
            // TheHive's alert API answers its failures in TheHive's shape,
            // for the connectors written for it.
            if thehive && status != "429" && (status.starts_with('4') || status.starts_with('5')) {
                let types: Vec<&String> = content.keys().collect();
                assert_eq!(types, ["application/json"], "{name} {status}");
                assert_eq!(
                    content["application/json"]["schema"]["$ref"],
                    "#/components/schemas/HiveProblem",
                    "{name} {status}"
                );
            } else if status.starts_with('4') || status.starts_with('5') {
                let types: Vec<&String> = content.keys().collect();
                assert_eq!(types, ["application/problem+json"], "{name} {status}");
                assert_eq!(
                    content["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem"
                );
            } else {
                assert!(
                    !content.contains_key("application/problem+json"),
                    "{name} {status}"
                );
            }
        }
        let public = op["security"] == json!([{}]);
        let mut expected: Vec<&str> = vec![];
        if !public {
            expected.extend(["401", "403"]);
        }
        if thehive && op["requestBody"].is_object() {
            expected.push("400");
        } else if op["requestBody"]["content"]
            .get("application/json")
            .is_some()
        {
            expected.extend(["400", "413", "415", "422"]);
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if params.iter().any(|p| p["in"] == "query") && !thehive {
            expected.push("422");
        }
        if params.iter().any(|p| p["in"] == "path") {
            expected.push("404");
        }
        for status in expected {
            assert!(responses.contains_key(status), "{name} lacks {status}");
        }
    }
}

#[test]
fn enums_publish_the_values_on_the_wire() {
    let doc = serde_json::to_value(rampart_http::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Tlp"]["enum"],
        json!(["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"])
    );
    assert_eq!(
        schemas["VulnerabilityOutcome"]["enum"],
        json!(["under_assessment", "confirmed", "not_confirmed"])
    );
    // Categories are the scale's data: a code, with the shipped ones named.
    assert_eq!(schemas["Category"]["pattern"], "^[a-z][a-z0-9_]{0,31}$");
    assert!(
        schemas["Category"]["description"]
            .as_str()
            .unwrap()
            .contains("technical_attack")
    );
}

#[test]
fn every_list_is_documented_with_one_shape() {
    let doc = serde_json::to_value(rampart_http::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let mut lists = 0;
    for (name, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap();
        if !id.starts_with("list_") {
            continue;
        }
        lists += 1;
        let reference = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} answers no named schema"));
        let mut schema = &schemas[reference.trim_start_matches("#/components/schemas/")];
        // The dead letters add their total to the page.
        if let Some(parts) = schema["allOf"].as_array() {
            let page = parts[0]["$ref"].as_str().unwrap();
            schema = &schemas[page.trim_start_matches("#/components/schemas/")];
        }
        let properties: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(properties, ["items", "next_cursor"], "{name}");
        assert!(
            schema["properties"]["items"]["items"]["$ref"].is_string(),
            "{name}: the items refer to their schema"
        );
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(params.contains(&"limit"), "{name}");
        assert!(
            params.contains(&"cursor") || params.contains(&"after"),
            "{name}"
        );
    }
    assert_eq!(lists, 12);
}

/// Reads a whole list one item a page, following `next_cursor` as `param`.
async fn all_pages(app: &TestApp, token: &str, path: &str, param: &str) -> Vec<Value> {
    let join = if path.contains('?') { '&' } else { '?' };
    let mut items = vec![];
    let mut next: Option<String> = None;
    for _ in 0..100 {
        let url = match &next {
            Some(c) => format!("{path}{join}limit=1&{param}={c}"),
            None => format!("{path}{join}limit=1"),
        };
        let (status, page) = app.get(&url, token).await;
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        let object = page.as_object().unwrap();
        assert!(object.contains_key("next_cursor"), "{url}: {page}");
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= 1, "{url}: {page}");
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => next = Some(c.to_owned()),
            None => return items,
        }
    }
    panic!("{path} never ended");
}

async fn every_list_pages_with_one_shape(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let aud = app.user("aud", &[Role::Auditor]).await;
    let inc = incident(&app, &poc, &ian, "ian", "paged").await;
    let base = format!("/api/v1/incidents/{inc}");
    for i in 0..3 {
        app.post_ok(
            &format!("{base}/log"),
            &ian,
            json!({"action": format!("step {i}")}),
            StatusCode::CREATED,
        )
        .await;
        app.post_ok(
            &format!("{base}/actions"),
            &ian,
            json!({"what": format!("task {i}"), "owner": "ian"}),
            StatusCode::CREATED,
        )
        .await;
        upload(
            &app,
            &ian,
            &inc,
            &format!("file{i}.txt"),
            format!("content {i}").as_bytes(),
        )
        .await;
        reported_event(&app, &poc, &format!("event {i}")).await;
        app.post_ok(
            "/api/v1/vulnerabilities",
            &ian,
            json!({"title": format!("weakness {i}"), "description": "found"}),
            StatusCode::CREATED,
        )
        .await;
    }
    let (_, whole) = app.get(&base, &ian).await;

    // The incident's own lists, page by page, are what the incident holds.
    let log = all_pages(&app, &ian, &format!("{base}/log"), "cursor").await;
    assert_eq!(log, whole["log"].as_array().unwrap().clone());
    assert_eq!(log.len(), 4, "the confirmation and three steps");
    let actions = all_pages(&app, &ian, &format!("{base}/actions"), "cursor").await;
    assert_eq!(actions, whole["actions"].as_array().unwrap().clone());
    let evidence = all_pages(&app, &ian, &format!("{base}/evidence"), "cursor").await;
    let names: Vec<&str> = evidence
        .iter()
        .map(|e| e["content"]["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["file0.txt", "file1.txt", "file2.txt"]);
    // The items secured for an event in triage page the same way.
    let evt = reported_event(&app, &poc, "paged evidence").await;
    for i in 0..3 {
        app.post_ok(
            &format!("/api/v1/events/{evt}/evidence/physical"),
            &ian,
            json!({"description": format!("item {i}"), "found_at": "desk", "collected_by": "ian",
                   "collected_at": "2026-01-10T08:30:00Z", "reason": "kept", "location": "safe"}),
            StatusCode::CREATED,
        )
        .await;
    }
    let secured = all_pages(
        &app,
        &ian,
        &format!("/api/v1/events/{evt}/evidence"),
        "cursor",
    )
    .await;
    let names: Vec<&str> = secured
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["item 0", "item 1", "item 2"]);

    // The registers, the journal and the admins' lists.
    assert_eq!(
        all_pages(&app, &ian, "/api/v1/events", "cursor")
            .await
            .len(),
        5
    );
    assert_eq!(
        all_pages(&app, &ian, "/api/v1/incidents", "cursor")
            .await
            .len(),
        1
    );
    assert_eq!(
        all_pages(&app, &ian, "/api/v1/vulnerabilities", "cursor")
            .await
            .len(),
        3
    );
    let len = app.journal_len().await;
    let journal = all_pages(&app, &aud, "/api/v1/journal", "after").await;
    let seqs: Vec<u64> = journal.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=len).collect::<Vec<_>>());
    // The escalated event told the ISIRT member, one notification a page.
    let told = all_pages(&app, &ian, "/api/v1/notifications", "cursor").await;
    let (_, whole) = app.get("/api/v1/notifications?limit=500", &ian).await;
    assert_eq!(&told, whole["items"].as_array().unwrap());
    assert!(!told.is_empty());
    // Checkpoint jobs come and go meanwhile: the pages hold jobs, newest
    // first, each of them in the whole list read afterwards.
    let ids =
        |jobs: &[Value]| -> Vec<i64> { jobs.iter().map(|j| j["id"].as_i64().unwrap()).collect() };
    let paged = ids(&all_pages(&app, &app.admin, "/api/v1/jobs", "cursor").await);
    let (status, whole) = app.get("/api/v1/jobs?limit=500", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{whole}");
    let whole = ids(whole["items"].as_array().unwrap());
    assert!(!paged.is_empty());
    assert!(paged.windows(2).all(|w| w[0] > w[1]), "{paged:?}");
    assert!(
        paged.iter().all(|id| whole.contains(id)),
        "{paged:?} {whole:?}"
    );
    let (status, letters) = app.get("/api/v1/intake/dead-letters", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{letters}");
    assert_eq!(letters["items"], json!([]));
    assert!(letters.as_object().unwrap().contains_key("next_cursor"));

    // A method a route does not take: 405, a problem document, and `Allow`.
    let resp = app
        .client
        .delete(format!("http://{}/api/v1/events", app.addr))
        .bearer_auth(&ian)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = resp.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["status"], 405);
    assert_eq!(problem["type"], "urn:rampart:problem:method-not-allowed");

    // The document served is the one generated.
    let served: Value = app
        .client
        .get(format!("http://{}/api/v1/openapi.json", app.addr))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        served,
        serde_json::to_value(rampart_http::openapi()).unwrap()
    );
}

async fn paging_out_of_range_is_refused_by_name(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let aud = app.user("aud", &[Role::Auditor]).await;
    let inc = incident(&app, &poc, &ian, "ian", "paged").await;
    let evt = reported_event(&app, &poc, "paged evidence").await;
    let before = app.journal_len().await;
    let lists = [
        (format!("/api/v1/events/{evt}/evidence"), &ian),
        ("/api/v1/events".to_owned(), &ian),
        ("/api/v1/incidents".to_owned(), &ian),
        ("/api/v1/vulnerabilities".to_owned(), &ian),
        (format!("/api/v1/incidents/{inc}/log"), &ian),
        (format!("/api/v1/incidents/{inc}/actions"), &ian),
        (format!("/api/v1/incidents/{inc}/evidence"), &ian),
        ("/api/v1/jobs".to_owned(), &app.admin),
        ("/api/v1/intake/dead-letters".to_owned(), &app.admin),
        ("/api/v1/notifications".to_owned(), &ian),
    ];
    for (path, token) in &lists {
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("limit=-1", "limit"),
            ("limit=4294967296", "limit"),
            ("limit=ten", "limit"),
            ("cursor=", "cursor"),
            ("cursor=-1", "cursor"),
            ("cursor=abc", "cursor"),
            ("cursor=1234567890123456789", "cursor"),
        ] {
            let (status, problem) = app.get(&format!("{path}?{query}"), token).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}?{query}: {problem}"
            );
            assert_eq!(fields(&problem), [field], "{path}?{query}");
        }
        let (status, page) = app.get(&format!("{path}?limit=500"), token).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
    }
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("after=-1", "after"),
        ("after=9223372036854775808", "after"),
        ("cursor=1", "cursor"),
    ] {
        let (status, problem) = app.get(&format!("/api/v1/journal?{query}"), &aud).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "journal?{query}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "journal?{query}");
    }
    let (status, page) = app
        .get("/api/v1/journal?after=9223372036854775807&limit=1000", &aud)
        .await;
    assert_eq!(
        (status, &page["items"]),
        (StatusCode::OK, &json!([])),
        "{page}"
    );
    // The incident register's cursor has two parts; one is refused.
    let (status, problem) = app.get("/api/v1/incidents?cursor=5", &ian).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["cursor"]);
    assert_eq!(app.journal_len().await, before, "refusals change nothing");
}
