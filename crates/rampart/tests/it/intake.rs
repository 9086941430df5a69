//! Machine intake: batches answered item by item in three shapes, repeats
//! folded under concurrent retries, correlation with open work only,
//! categorization proposals the point of contact confirms or changes, and
//! the syslog receiver that keeps malformed messages as dead letters.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::helpers::{TestApp, eventually, fields, incident};

crate::on_both_backends!(
    concurrent_retries_of_a_batch_store_every_alert_once,
    batch_items_are_answered_one_by_one,
    a_repeated_single_alert_returns_the_first_event,
    correlation_relates_open_work_sharing_observables_and_nothing_else,
    categorization_rules_propose_and_the_poc_confirms_or_changes,
    the_attach_rule_links_a_new_event_to_the_open_incident,
    a_malformed_line_in_a_tcp_stream_is_a_dead_letter,
    udp_messages_and_their_dead_letters,
);

/// Rampart's own shape of a sensor alert.
fn alert(i: usize) -> Value {
    json!({
        "title": format!("IDS alert {i}"),
        "description": "signature matched",
        "source": {"kind": "sensor", "name": "suricata", "ref": format!("sid-{i}")},
        "severity": "high",
        "observables": [{"type": "ip", "value": format!("198.51.100.{}", i % 250)}],
    })
}

/// An OCSF Detection Finding.
fn ocsf(i: usize) -> Value {
    json!({
        "class_uid": 2004,
        "category_uid": 2,
        "activity_id": 1,
        "severity_id": 4,
        "time": 1_764_000_000_000_i64 + i as i64,
        "message": format!("Credential dumping on host {i}"),
        "finding_info": {"uid": format!("ocsf-{i}"), "title": format!("Credential dumping {i}"), "desc": "lsass memory read"},
        "metadata": {"product": {"name": "Falcon", "vendor_name": "CrowdStrike"}, "version": "1.1.0"},
        "device": {"hostname": format!("ws{i}.corp.example"), "ip": "10.1.2.3"},
        "actor": {"user": {"name": "jdoe"}},
    })
}

/// An Elastic Common Schema alert, with dotted and nested keys mixed.
fn ecs(i: usize) -> Value {
    json!({
        "@timestamp": "2026-11-20T10:00:00Z",
        "event": {"kind": "alert", "id": format!("ecs-{i}"), "severity": 73},
        "rule.name": format!("Suspicious PowerShell {i}"),
        "message": "encoded command line",
        "observer": {"name": "elastic-defend"},
        "host": {"name": format!("srv{i}")},
        "source": {"ip": "203.0.113.7"},
        "url": {"full": "https://bad.example/payload"},
    })
}

async fn batch(app: &TestApp, token: &str, body: &Value) -> (StatusCode, Value) {
    app.post("/api/v1/events/batch", token, body.clone()).await
}

async fn batch_raw(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("http://{}/api/v1/events/batch", app.addr))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn has_observable(event: &Value, kind: &str, value: &str) -> bool {
    event["observables"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["type"] == kind && o["value"] == value)
}

/// The PoC escalates an event and the ISIRT member links it to an open incident.
async fn link(app: &TestApp, poc: &str, ian: &str, inc: &str, event: &str) {
    app.post_ok(
        &format!("/api/v1/events/{event}/assessment"),
        poc,
        json!({"decision": "possible_incident"}),
        StatusCode::OK,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/incidents/{inc}/events"),
        ian,
        json!({"event": event}),
        StatusCode::OK,
    )
    .await;
}

async fn event(app: &TestApp, token: &str, number: &str) -> Value {
    let (status, e) = app.get(&format!("/api/v1/events/{number}"), token).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    e
}

async fn event_count(app: &TestApp, token: &str) -> usize {
    let mut total = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/events?limit=500&cursor={c}"),
            None => "/api/v1/events?limit=500".to_owned(),
        };
        let (_, page) = app.get(&path, token).await;
        total += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return total,
        }
    }
}

async fn concurrent_retries_of_a_batch_store_every_alert_once(app: TestApp) {
    let sensor = app.user("siem", &[Role::Reporter]).await;
    let aud = app.user("aud", &[Role::Auditor]).await;
    let items: Vec<Value> = (0..150)
        .map(|i| match i % 3 {
            0 => alert(i),
            1 => ocsf(i),
            _ => ecs(i),
        })
        .collect();
    let body = Value::Array(items);
    const RETRIES: usize = 8;
    let answers =
        futures_util::future::join_all((0..RETRIES).map(|_| batch(&app, &sensor, &body))).await;

    let mut created = vec![0usize; 150];
    let mut numbers: Vec<Option<String>> = vec![None; 150];
    for (status, answer) in &answers {
        assert_eq!(*status, StatusCode::OK, "{answer}");
        assert_eq!(answer["rejected"], 0, "{answer}");
        assert_eq!(answer["failed"], 0, "{answer}");
        let items = answer["items"].as_array().unwrap();
        assert_eq!(items.len(), 150);
        for (i, item) in items.iter().enumerate() {
            assert_eq!(item["index"], i);
            let number = item["number"].as_str().unwrap().to_owned();
            // Every answer names the same event for the same alert.
            match &numbers[i] {
                Some(n) => assert_eq!(n, &number, "item {i}"),
                None => numbers[i] = Some(number),
            }
            match item["status"].as_str().unwrap() {
                "created" => created[i] += 1,
                "duplicate" => assert!(item["occurrences"].as_u64().unwrap() >= 2),
                other => panic!("item {i}: {other}"),
            }
        }
    }
    assert!(created.iter().all(|c| *c == 1), "{created:?}");
    let total_created: u64 = answers
        .iter()
        .map(|(_, a)| a["created"].as_u64().unwrap())
        .sum();
    assert_eq!(total_created, 150);

    // Stored once each, numbered without gaps, each counted as often as it was sent.
    assert_eq!(event_count(&app, &aud).await, 150);
    let mut seqs: Vec<u32> = numbers
        .iter()
        .map(|n| n.as_deref().unwrap()[9..].parse().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=150).collect::<Vec<_>>());
    for i in [0, 1, 2, 149] {
        let e = event(&app, &aud, numbers[i].as_deref().unwrap()).await;
        assert_eq!(e["occurrences"], RETRIES, "{e}");
        assert!(e["last_seen"].is_string());
    }
    // The shapes were mapped: OCSF and ECS alerts carry their source, reference and observables.
    let o = event(&app, &aud, numbers[1].as_deref().unwrap()).await;
    assert_eq!(o["source"]["ref"], "ocsf-1", "{o}");
    assert_eq!(o["severity"], "high");
    assert!(has_observable(&o, "host", "ws1.corp.example"), "{o}");
    let e = event(&app, &aud, numbers[2].as_deref().unwrap()).await;
    assert_eq!(e["source"]["ref"], "ecs-2", "{e}");
    assert_eq!(e["title"], "Suspicious PowerShell 2");
    assert!(
        has_observable(&e, "url", "https://bad.example/payload"),
        "{e}"
    );
    let out = app.cli(&["journal", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

async fn batch_items_are_answered_one_by_one(app: TestApp) {
    let sensor = app.user("siem", &[Role::Reporter]).await;
    let aud = app.user("aud", &[Role::Auditor]).await;
    let before = app.journal_len().await;

    let body = json!([
        alert(1),
        {"title": "", "description": "no title", "source": {"kind": "sensor", "name": "x", "ref": "1"}},
        {"title": "t", "description": "d", "colour": "red"},
        ocsf(2),
        {"class_uid": 2004, "finding_info": {"uid": "no-title"}},
        ecs(3),
        alert(1),
    ]);
    let (status, answer) = batch(&app, &sensor, &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let statuses: Vec<&str> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "created",
            "rejected",
            "rejected",
            "created",
            "rejected",
            "created",
            "duplicate"
        ]
    );
    assert_eq!(
        (
            answer["created"].as_u64(),
            answer["duplicates"].as_u64(),
            answer["rejected"].as_u64()
        ),
        (Some(3), Some(1), Some(3))
    );
    let items = answer["items"].as_array().unwrap();
    assert_eq!(items[1]["errors"][0]["field"], "title", "{answer}");
    assert_eq!(items[2]["errors"][0]["field"], "colour", "{answer}");
    assert!(
        items[4]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"].as_str().unwrap().contains("title")),
        "{answer}"
    );
    assert_eq!(items[6]["number"], items[0]["number"]);
    // Three events and one repeat: four journal entries, nothing for the refusals.
    assert_eq!(app.journal_len().await - before, 4);

    // NDJSON, with a line that is not JSON at all.
    let ndjson = format!("{}\n{{not json\n\n{}\n", alert(10), alert(11));
    let (status, answer) = batch_raw(&app, &sensor, "application/x-ndjson", ndjson).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let statuses: Vec<&str> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["created", "rejected", "created"]);
    assert_eq!(event_count(&app, &aud).await, 5);

    // Whole-request refusals change nothing.
    let before = app.journal_len().await;
    let (status, problem) =
        batch_raw(&app, &sensor, "application/json", "[{\"title\": ".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, _) = batch_raw(&app, &sensor, "text/plain", "[]".into()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, problem) = batch_raw(&app, &sensor, "application/json", "   ".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let too_many = Value::Array((0..10_001).map(|_| json!({})).collect());
    let (status, problem) = batch(&app, &sensor, &too_many).await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["items".to_owned()]),
        "{problem}"
    );
    let (status, _) = batch(&app, &aud, &json!([alert(99)])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/events/batch",
            None,
            Some(json!([alert(98)])),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.journal_len().await, before);
    assert_eq!(event_count(&app, &aud).await, 5);
}

async fn a_repeated_single_alert_returns_the_first_event(app: TestApp) {
    let sensor = app.user("ids", &[Role::Reporter]).await;
    let first = app
        .post_ok("/api/v1/events", &sensor, alert(7), StatusCode::CREATED)
        .await;
    assert_eq!(first["occurrences"], 1);
    let again = app
        .post_ok("/api/v1/events", &sensor, alert(7), StatusCode::OK)
        .await;
    assert_eq!(again["number"], first["number"]);
    assert_eq!(again["occurrences"], 2);
    // The number given back by the repeat was not used up.
    let next = app
        .post_ok("/api/v1/events", &sensor, alert(8), StatusCode::CREATED)
        .await;
    assert_eq!(
        next["number"].as_str().unwrap(),
        first["number"]
            .as_str()
            .unwrap()
            .replace("000001", "000002")
    );
    // A person's reports are never folded together.
    let person = json!({"title": "odd mail", "description": "twice"});
    let a = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            person.clone(),
            StatusCode::CREATED,
        )
        .await;
    let b = app
        .post_ok("/api/v1/events", &sensor, person, StatusCode::CREATED)
        .await;
    assert_ne!(a["number"], b["number"]);
}

async fn correlation_relates_open_work_sharing_observables_and_nothing_else(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let sensor = app.user("ids", &[Role::Reporter]).await;
    let report = |title: &str, observables: Value, assets: Value| json!({"title": title, "description": "x", "observables": observables, "assets": assets});
    let post = |body: Value| {
        let app = &app;
        let sensor = sensor.clone();
        async move {
            app.post_ok("/api/v1/events", &sensor, body, StatusCode::CREATED)
                .await
        }
    };
    // An open event with address A.
    let open = post(report(
        "scan",
        json!([{"type": "ip", "value": "192.0.2.1"}]),
        json!([]),
    ))
    .await;
    // An event with address B, then called a false alarm: closed work.
    let closed = post(report(
        "noise",
        json!([{"type": "ip", "value": "192.0.2.2"}]),
        json!([]),
    ))
    .await;
    let closed_n = closed["number"].as_str().unwrap();
    app.post_ok(
        &format!("/api/v1/events/{closed_n}/assessment"),
        &poc,
        json!({"decision": "false_alarm"}),
        StatusCode::OK,
    )
    .await;
    // An open incident about the mail gateway (an asset) and domain D.
    let inc = incident(&app, &poc, &ian, "ian", "Gateway compromise").await;
    let linked = post(report(
        "gateway",
        json!([{"type": "domain", "value": "evil.example"}]),
        json!(["Mail Gateway"]),
    ))
    .await;
    link(&app, &poc, &ian, &inc, linked["number"].as_str().unwrap()).await;

    // A new event sharing A, B, the gateway (other case) and an unseen domain.
    let new = post(report(
        "beacon",
        json!([{"type": "ip", "value": "192.0.2.1"}, {"type": "ip", "value": "192.0.2.2"},
               {"type": "domain", "value": "unseen.example"}]),
        json!(["mail gateway"]),
    ))
    .await;
    // The sensor, which may not read events or incidents, is told of no relation.
    assert_eq!(new["related"], json!([]), "{new}");
    // At triage, the event as the PoC reads it carries the relation.
    let new = event(&app, &poc, new["number"].as_str().unwrap()).await;
    let related: Vec<(String, Vec<String>)> = new["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["number"].as_str().unwrap().to_owned(),
                c["shared"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        related,
        [
            (inc.clone(), vec!["asset:mail gateway".to_owned()]),
            (
                open["number"].as_str().unwrap().to_owned(),
                vec!["ip:192.0.2.1".to_owned()]
            ),
        ],
        "{new}"
    );
    // Restricted to someone else, the incident drops out of the relation for the PoC.
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/incidents/{inc}/restriction"),
        Some(&ian),
        Some(json!({"users": ["ian"]})),
    )
    .await;
    let hidden = event(&app, &poc, new["number"].as_str().unwrap()).await;
    let numbers: Vec<&str> = hidden["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, [open["number"].as_str().unwrap()], "{hidden}");
    let seen = event(&app, &ian, new["number"].as_str().unwrap()).await;
    assert_eq!(seen["related"], new["related"]);
    // Nor does the journal name it to auditors and administrators not on the
    // list: the entry is served without it and marked, the stored entry is as
    // written (its hash still verifies).
    let auditor = app.user("audrey", &[Role::Auditor]).await;
    let new_number = new["number"].as_str().unwrap();
    for reader in [&auditor, &app.admin] {
        let (status, page) = app
            .get(&format!("/api/v1/journal?entity={new_number}"), reader)
            .await;
        assert_eq!(status, StatusCode::OK);
        let reported = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "event.reported")
            .unwrap_or_else(|| panic!("{page}"));
        assert_eq!(reported["redacted"], true, "{reported}");
        let numbers: Vec<&str> = reported["payload"]["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, [open["number"].as_str().unwrap()], "{reported}");
        let (_, everything) = app.get("/api/v1/journal?limit=1000", reader).await;
        assert!(
            !everything.to_string().contains(inc.as_str()),
            "the journal names {inc}: {everything}"
        );
    }
    let stored = app
        .store
        .journal(&rampart_store::JournalQuery {
            after: 0,
            limit: 1000,
            entity: Some(new_number.to_owned()),
        })
        .await
        .unwrap();
    assert!(stored.iter().any(|e| e.payload.contains(inc.as_str())));
    let verify = app.cli(&["journal", "verify"]);
    assert!(verify.status.success(), "{verify:?}");
    // Nothing shared, nothing related.
    let alone = post(report(
        "alone",
        json!([{"type": "ip", "value": "192.0.2.99"}]),
        json!([]),
    ))
    .await;
    let alone = event(&app, &poc, alone["number"].as_str().unwrap()).await;
    assert_eq!(alone["related"], json!([]));
    // The earlier events did not change.
    let first = event(&app, &poc, open["number"].as_str().unwrap()).await;
    assert_eq!(first["related"], json!([]));
}

async fn categorization_rules_propose_and_the_poc_confirms_or_changes(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let sensor = app.user("ids", &[Role::Reporter]).await;
    let rules = json!({"version": 0, "rules": [
        {"name": "ssh brute force", "source": "suricata", "text": "ssh",
         "rsit": {"class": "intrusion-attempts", "type": "brute-force"}},
        {"name": "phishing", "observable_types": ["url"], "category": "compromise_of_information",
         "rsit": {"class": "fraud", "type": "phishing"}}
    ]});
    // Only admins edit; refusals name the field; a stale version is refused.
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/intake/rules",
            Some(&poc),
            Some(rules.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/intake/rules",
            Some(&app.admin),
            Some(json!({"version": 0, "rules": [{"name": "x"}]})),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["rules[0].category".to_owned()]
        )
    );
    let (status, saved) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/intake/rules",
            Some(&app.admin),
            Some(rules.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    let (status, problem) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/intake/rules",
            Some(&app.admin),
            Some(rules),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["version".to_owned()])
    );
    let (status, read) = app.get("/api/v1/intake/rules", &poc).await;
    assert_eq!(
        (status, read["version"].as_u64()),
        (StatusCode::OK, Some(1))
    );

    let ssh = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            json!({"title": "ET SCAN SSH brute force", "description": "many logins",
                   "source": {"kind": "sensor", "name": "Suricata", "ref": "a1"}}),
            StatusCode::CREATED,
        )
        .await;
    // The sensor is told of no proposal (it reads its reports, not their
    // handling); the point of contact is.
    assert!(ssh["proposal"].is_null(), "{ssh}");
    let ssh = event(&app, &poc, ssh["number"].as_str().unwrap()).await;
    assert_eq!(
        ssh["proposal"],
        json!({"rule": "ssh brute force", "category": "technical_attack",
               "rsit": {"class": "intrusion-attempts", "type": "brute-force"}})
    );
    let phish = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            json!({"title": "mail", "description": "link", "observables": [{"type": "url", "value": "http://x.example/a"}]}),
            StatusCode::CREATED,
        )
        .await;
    let phish = event(&app, &poc, phish["number"].as_str().unwrap()).await;
    assert_eq!(phish["proposal"]["rule"], "phishing");
    let none = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            json!({"title": "t", "description": "d"}),
            StatusCode::CREATED,
        )
        .await;
    let none = event(&app, &poc, none["number"].as_str().unwrap()).await;
    assert_eq!(none["proposal"], Value::Null);

    // The PoC confirms the first proposal as it is and changes the second.
    let n = ssh["number"].as_str().unwrap();
    let confirmed = app
        .post_ok(
            &format!("/api/v1/events/{n}/assessment"),
            &poc,
            json!({"decision": "possible_incident"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(confirmed["assessment"]["category"], "technical_attack");
    assert_eq!(confirmed["assessment"]["rsit"]["type"], "brute-force");
    assert_eq!(confirmed["assessment"]["proposal_confirmed"], true);
    let n = phish["number"].as_str().unwrap();
    let changed = app
        .post_ok(
            &format!("/api/v1/events/{n}/assessment"),
            &poc,
            json!({"decision": "handled_locally", "category": "harmful_content",
                   "rsit": {"class": "abusive-content", "type": "spam"}}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(changed["assessment"]["category"], "harmful_content");
    assert_eq!(changed["assessment"]["proposal_confirmed"], false);
    // An RSIT type that is not of its class is refused by name.
    let n = none["number"].as_str().unwrap();
    let (status, problem) = app
        .post(
            &format!("/api/v1/events/{n}/assessment"),
            &poc,
            json!({"decision": "handled_locally", "rsit": {"class": "fraud", "type": "ddos"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["rsit"]);
}

/// Starts the syslog receiver of this app on loopback ports.
async fn syslog(app: &TestApp) -> rampart_syslog::Listening {
    rampart_syslog::start(
        app.service.clone(),
        rampart_syslog::SyslogSettings {
            udp: Some("127.0.0.1:0".parse().unwrap()),
            tcp: Some("127.0.0.1:0".parse().unwrap()),
            max_message: 2048,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

async fn dead_letters(app: &TestApp) -> Value {
    let (status, page) = app.get("/api/v1/intake/dead-letters", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

/// Waits until the receiver has stored `events` events and kept `letters`
/// dead letters; returns the dead letters.
async fn taken_in(app: &TestApp, reader: &str, events: usize, letters: u64) -> Value {
    eventually(&format!("{events} syslog events"), || async {
        event_count(app, reader).await == events
    })
    .await;
    eventually(&format!("{letters} dead letters"), || async {
        dead_letters(app).await["total"] == letters
    })
    .await;
    dead_letters(app).await
}

async fn a_malformed_line_in_a_tcp_stream_is_a_dead_letter(app: TestApp) {
    let aud = app.user("aud", &[Role::Auditor]).await;
    let listening = syslog(&app).await;
    let mut stream = tokio::net::TcpStream::connect(listening.tcp.unwrap())
        .await
        .unwrap();
    let good_5424 = "<34>1 2026-11-20T10:00:00Z fw1.example sshd 4321 ID47 - Failed password for root from 203.0.113.50 port 22";
    let cef = "<134>Nov 20 10:00:01 ids1 CEF:0|Acme|Sentinel|2.1|100|Port scan detected|7|src=198.51.100.23 dst=10.0.0.5 externalId=scan-77 msg=SYN sweep";
    let octet = "<13>1 2026-11-20T10:00:02Z web2 nginx - - - upstream timed out";
    // Newline framing, a garbage line in the middle, then octet counting.
    let stream_bytes = format!(
        "{good_5424}\nthis is not syslog at all\n{cef}\n{} {octet}",
        octet.len()
    );
    stream.write_all(stream_bytes.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();

    let letters = taken_in(&app, &aud, 3, 1).await;
    let letter = &letters["items"][0];
    assert_eq!(letter["raw"], "this is not syslog at all", "{letters}");
    assert_eq!(letter["transport"], "syslog-tcp");
    assert_eq!(letter["peer"], "127.0.0.1");
    assert!(!letter["reason"].as_str().unwrap().is_empty());

    let (_, list) = app.get("/api/v1/events?source=sensor", &aud).await;
    let items = list["items"].as_array().unwrap();
    let titles: Vec<&str> = items.iter().map(|e| e["title"].as_str().unwrap()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("Failed password for root")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("upstream timed out")),
        "{titles:?}"
    );
    let scan = items
        .iter()
        .find(|e| e["source"]["ref"] == "scan-77")
        .unwrap_or_else(|| panic!("no CEF event: {list}"));
    assert_eq!(scan["source"]["name"], "Acme Sentinel");
    assert_eq!(scan["severity"], "high");
    assert_eq!(scan["attributes"]["msg"], "SYN sweep");
    assert!(has_observable(scan, "ip", "198.51.100.23"), "{scan}");
    // The receiver goes on: a new connection is taken in as before.
    let mut again = tokio::net::TcpStream::connect(listening.tcp.unwrap())
        .await
        .unwrap();
    again
        .write_all(format!("{cef}\n").as_bytes())
        .await
        .unwrap();
    again.shutdown().await.unwrap();
    eventually("the repeat counted", || async {
        let (_, list) = app.get("/api/v1/events?source=sensor", &aud).await;
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["occurrences"] == 2)
    })
    .await;
    // The receiver counts the repeat when its store answers, which is after
    // the commit is durable; readers may see the commit a moment before.
    eventually("the repeat in the receiver's counters", || async {
        let (_, stats) = app.get("/api/v1/intake/status", &app.admin).await;
        stats["syslog"]["duplicates"] == 1
    })
    .await;
    let (status, stats) = app.get("/api/v1/intake/status", &app.admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stats["syslog"]["dead_letters"], 1, "{stats}");
    assert_eq!(stats["syslog"]["duplicates"], 1, "{stats}");
    // Dead letters and the receiver's counters are for admins.
    let (status, _) = app.get("/api/v1/intake/dead-letters", &aud).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("/api/v1/intake/status", &aud).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn udp_messages_and_their_dead_letters(app: TestApp) {
    let aud = app.user("aud", &[Role::Auditor]).await;
    let listening = syslog(&app).await;
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let to = listening.udp.unwrap();
    socket
        .send_to(
            b"<11>1 2026-11-20T10:00:00Z db1 postgres - - - disk full",
            to,
        )
        .await
        .unwrap();
    socket.send_to(&[0xff, 0xfe, 0x00, 0x01], to).await.unwrap();
    socket.send_to(&vec![b'<'; 3000], to).await.unwrap();
    let letters = taken_in(&app, &aud, 1, 2).await;
    let reasons: Vec<&str> = letters["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("2048")), "{reasons:?}");
}

async fn the_attach_rule_links_a_new_event_to_the_open_incident(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let inc = incident(&app, &poc, &ian, "ian", "C2 beaconing").await;
    // The incident's event names the C2 address.
    let first = app
        .post_ok(
            "/api/v1/events",
            &poc,
            json!({"title": "beacon", "description": "x", "observables": [{"type": "ip", "value": "203.0.113.66"}]}),
            StatusCode::CREATED,
        )
        .await;
    link(&app, &poc, &ian, &inc, first["number"].as_str().unwrap()).await;

    // A node with the rule on takes a new alert about the same address.
    let attaching = rampart_app::App::new(
        app.store.clone(),
        std::sync::Arc::new(rampart_domain::SystemClock),
    )
    .with_intake(rampart_app::intake::IntakeSettings {
        attach_to_open_incident: true,
        ..Default::default()
    });
    let sensor = rampart_domain::Actor::new("ids", vec![Role::Reporter]);
    let report = |reference: &str, ip: &str| -> rampart_domain::EventReport {
        serde_json::from_value(json!({"title": "C2 traffic", "description": "x",
            "source": {"kind": "sensor", "name": "ids", "ref": reference},
            "observables": [{"type": "ip", "value": ip}]}))
        .unwrap()
    };
    let attached = attaching
        .ingest(&sensor, report("a1", "203.0.113.66"))
        .await
        .unwrap()
        .into_event();
    assert_eq!(attached.status.as_str(), "linked");
    // The sensor's account may not read incidents: the link is not shown to it.
    assert_eq!(attached.incident, None);
    let (_, seen) = app
        .get(&format!("/api/v1/events/{}", attached.number), &ian)
        .await;
    assert_eq!(seen["incident"], inc.as_str(), "{seen}");
    let (_, record) = app.get(&format!("/api/v1/incidents/{inc}"), &ian).await;
    assert!(
        record["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == attached.number.to_string().as_str()),
        "{record}"
    );
    let (_, log) = app
        .get(&format!("/api/v1/journal?entity={inc}"), &app.admin)
        .await;
    assert!(
        log.to_string().contains("\"rule\":\"correlation\""),
        "{log}"
    );
    // Unrelated alerts stay in the queue; so does everything when the incident is closed.
    let alone = attaching
        .ingest(&sensor, report("a2", "198.51.100.1"))
        .await
        .unwrap()
        .into_event();
    assert_eq!(alone.status.as_str(), "reported");
    // Without the rule, the relation is shown but nothing is linked.
    let shown = app
        .service
        .ingest(&sensor, report("a3", "203.0.113.66"))
        .await
        .unwrap()
        .into_event();
    assert_eq!(shown.status.as_str(), "reported");
    let (_, shown) = app
        .get(&format!("/api/v1/events/{}", shown.number), &ian)
        .await;
    assert_eq!(shown["related"][0]["number"], inc.as_str(), "{shown}");
}
