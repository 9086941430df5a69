//! Merging one incident into another through the API: nothing is lost, the
//! evidence keeps its content and custody, the journal says everything and
//! the records check agrees; refusals change nothing.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::evidence::{custody, download, upload};
use crate::helpers::{TestApp, fields, incident};

crate::on_both_backends!(
    a_merge_moves_everything_and_the_records_agree,
    refused_merges_change_nothing,
    a_restricted_incident_merges_into_one_no_wider,
);

fn len(v: &Value, field: &str) -> usize {
    v[field].as_array().map_or(0, Vec::len)
}

fn numbers(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

async fn get_ok(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.get(path, token).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

/// The journal's actions about `entity`, oldest first, as an auditor reads them.
async fn actions_about(app: &TestApp, aud: &str, entity: &str) -> Vec<String> {
    let page = get_ok(app, "/api/v1/journal?limit=1000", aud).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == entity)
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_merge_moves_everything_and_the_records_agree(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let max = app.user("max", &[Role::IsirtManager]).await;
    let aud = app.user("aud", &[Role::Auditor]).await;
    let a = incident(&app, &poc, &ian, "ian", "Phishing wave").await;
    let b = incident(&app, &poc, &ian, "ian", "Mail gateway alerts").await;
    let c = incident(&app, &poc, &ian, "ian", "Earlier campaign").await;

    let obs = |n: &str| format!("/api/v1/incidents/{n}/observables");
    app.post_ok(
        &obs(&a),
        &ian,
        json!({"type": "domain", "value": "evil.example"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        &obs(&b),
        &ian,
        json!({"type": "domain", "value": "evil.example", "ioc": true}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        &obs(&b),
        &ian,
        json!({"type": "ip", "value": "203.0.113.77"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/incidents/{b}/log"),
        &ian,
        json!({"action": "blocked the sender domain"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/incidents/{b}/actions"),
        &ian,
        json!({"what": "reset the passwords of the recipients", "owner": "ian"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/incidents/{b}/related"),
        &ian,
        json!({"incident": c}),
        StatusCode::OK,
    )
    .await;
    let bytes = b"Received: from mx.evil.example\r\nSubject: invoice\r\n\r\nclick".to_vec();
    let item = upload(&app, &ian, &b, "invoice.eml", &bytes).await;
    let evd = item["number"].as_str().unwrap().to_owned();

    let before_a = get_ok(&app, &format!("/api/v1/incidents/{a}"), &max).await;
    let before_b = get_ok(&app, &format!("/api/v1/incidents/{b}"), &max).await;
    let (la, lb) = (len(&before_a, "log"), len(&before_b, "log"));
    let b_event = before_b["events"][0].as_str().unwrap().to_owned();
    assert_eq!(
        (len(&before_b, "observables"), len(&before_b, "actions")),
        (2, 1)
    );

    let merged = app
        .post_ok(
            &format!("/api/v1/incidents/{a}/merge"),
            &max,
            json!({"from": b, "reason": "the same phishing campaign"}),
            StatusCode::OK,
        )
        .await;

    // Everything of B is in A: events, observables (the duplicate folded),
    // log entries and the line saying what came, actions, related incidents.
    assert_eq!(len(&merged, "events"), 2, "{merged}");
    assert!(numbers(&merged["events"]).contains(&b_event));
    let keys: Vec<String> = merged["observables"]
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
    assert_eq!(keys, ["domain:evil.example", "ip:203.0.113.77"]);
    assert_eq!(merged["observables"][1]["id"], 2);
    assert_eq!(len(&merged, "log"), la + lb + 1);
    let last = merged["log"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["action"],
        format!(
            "merged {b} into this incident: 1 event(s), 1 observable(s), 1 duplicate observable(s) folded, {lb} log entries, 1 response action(s), 1 evidence item(s)"
        )
    );
    assert_eq!(last["reason"], "the same phishing campaign");
    let ids: Vec<u64> = merged["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=(la + lb + 1) as u64).collect::<Vec<_>>());
    assert_eq!(len(&merged, "actions"), 1);
    assert_eq!(
        merged["actions"][0]["what"],
        "reset the passwords of the recipients"
    );
    assert_eq!(
        numbers(&merged["related_incidents"]),
        [b.clone(), c.clone()]
    );
    let mut stored = get_ok(&app, &format!("/api/v1/incidents/{a}"), &max).await;
    let linked = stored
        .as_object_mut()
        .unwrap()
        .remove("linked_events")
        .unwrap();
    assert_eq!(merged, stored);
    assert!(
        linked
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["incident"] == a.as_str()),
        "{linked}"
    );

    // B is closed as merged and names A.
    let closed = get_ok(&app, &format!("/api/v1/incidents/{b}"), &max).await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["merged_into"], a.as_str());
    assert_eq!(
        closed["resolution"],
        format!("Merged into {a}: the same phishing campaign")
    );
    assert_eq!(
        (
            len(&closed, "events"),
            len(&closed, "observables"),
            len(&closed, "actions")
        ),
        (0, 0, 0)
    );
    assert_eq!(len(&closed, "log"), lb + 1);

    // The indexes follow: the event, the evidence and the observable pivot name A.
    let event = get_ok(&app, &format!("/api/v1/events/{b_event}"), &max).await;
    assert_eq!(event["incident"], a.as_str());
    let evidence_a = get_ok(&app, &format!("/api/v1/incidents/{a}/evidence"), &max).await;
    let listed = |v: &Value| -> Vec<String> {
        let list = v.get("items").unwrap_or(v);
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(listed(&evidence_a), vec![evd.clone()]);
    let evidence_b = get_ok(&app, &format!("/api/v1/incidents/{b}/evidence"), &max).await;
    assert!(listed(&evidence_b).is_empty(), "{evidence_b}");
    let pivot = get_ok(&app, "/api/v1/observables/ip/203.0.113.77", &max).await;
    assert_eq!(pivot["incident_count"].as_u64(), Some(1), "{pivot}");
    assert_eq!(pivot["incidents"]["items"][0]["number"], a.as_str());

    // The evidence keeps its number, content and custody, and says why it moved.
    let item_now = get_ok(&app, &format!("/api/v1/evidence/{evd}"), &max).await;
    assert_eq!(item_now["incident"], a.as_str());
    assert_eq!(item_now["custodian"], item["custodian"]);
    let resp = download(&app, &max, &evd).await;
    let status = resp.status();
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        if status == StatusCode::OK {
            String::new()
        } else {
            download(&app, &max, &evd).await.text().await.unwrap()
        }
    );
    assert_eq!(resp.bytes().await.unwrap().to_vec(), bytes);
    let verified = app
        .post_ok(
            &format!("/api/v1/evidence/{evd}/verification"),
            &max,
            json!({}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(verified["last_check"]["intact"], true, "{verified}");
    let steps: Vec<String> = custody(&app, &max, &evd)
        .await
        .into_iter()
        .map(|(action, _)| action)
        .collect();
    assert_eq!(
        steps,
        [
            "evidence.collected",
            "evidence.moved",
            "evidence.downloaded",
            "evidence.verified"
        ]
    );

    // The journal says it on both sides.
    assert_eq!(
        actions_about(&app, &aud, &b).await.last().unwrap(),
        "incident.merged_into"
    );
    assert_eq!(
        actions_about(&app, &aud, &a).await.last().unwrap(),
        "incident.merged_from"
    );
    let page = get_ok(&app, "/api/v1/journal?limit=1000", &aud).await;
    let moved = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "evidence.moved")
        .unwrap()
        .clone();
    assert_eq!(
        moved["payload"],
        json!({"from": b, "to": a, "reason": "the same phishing campaign"})
    );

    // B no longer changes, not even by a manager.
    let (status, problem) = app
        .post(
            &format!("/api/v1/incidents/{b}/log"),
            &max,
            json!({"action": "late note"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{b}/transitions"),
            &max,
            json!({"to": "responding", "reason": "again"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The records check replays the merge and agrees.
    let out = app.cli(&["journal", "verify", "--records"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.lines().last().unwrap().starts_with("OK "),
        "{stdout}"
    );
}

async fn refused_merges_change_nothing(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let max = app.user("max", &[Role::IsirtManager]).await;
    let oli = app.user("oli", &[Role::IsirtManager]).await;
    let a = incident(&app, &poc, &ian, "ian", "Phishing wave").await;
    let b = incident(&app, &poc, &ian, "ian", "Mail gateway alerts").await;
    let closed = incident(&app, &poc, &ian, "ian", "Old case").await;
    for (to, extra) in [
        ("responding", json!({})),
        ("recovering", json!({})),
        ("closed", json!({"resolution": "done"})),
    ] {
        let mut body = json!({"to": to, "reason": "handled"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        app.post_ok(
            &format!("/api/v1/incidents/{closed}/transitions"),
            &ian,
            body,
            StatusCode::OK,
        )
        .await;
    }
    let secret = incident(&app, &poc, &ian, "ian", "Board laptop").await;
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/incidents/{secret}/restriction"),
            Some(&ian),
            Some(json!({"users": ["ian", "max"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let snapshot = |n: String| {
        let app = &app;
        let max = max.clone();
        async move { get_ok(app, &format!("/api/v1/incidents/{n}"), &max).await }
    };
    let before: Vec<Value> = vec![
        snapshot(a.clone()).await,
        snapshot(b.clone()).await,
        snapshot(closed.clone()).await,
        snapshot(secret.clone()).await,
    ];
    let journal = app.journal_len().await;
    let merge = |into: &str| format!("/api/v1/incidents/{into}/merge");
    let body = |from: &str| json!({"from": from, "reason": "one incident"});

    // Wrong role: a member may not merge.
    let (status, _) = app.post(&merge(&a), &ian, body(&b)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Into itself.
    let (status, problem) = app.post(&merge(&a), &max, body(&a)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["from"]);
    // A closed incident, either way.
    let (status, problem) = app.post(&merge(&a), &max, body(&closed)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, _) = app.post(&merge(&closed), &max, body(&a)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // A restricted incident into an unrestricted one would widen who sees it.
    let (status, problem) = app.post(&merge(&a), &max, body(&secret)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["from"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("restricted"),
        "{problem}"
    );
    // One the caller may not see is refused as one that does not exist.
    let (status, unseen) = app.post(&merge(&a), &oli, body(&secret)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, missing) = app.post(&merge(&a), &oli, body("INC-2026-9999")).await;
    assert_eq!(
        unseen["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace(&secret, "X"),
        missing["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace("INC-2026-9999", "X")
    );
    // Bad input.
    let (status, problem) = app
        .post(&merge(&a), &max, json!({"from": "nonsense", "reason": "x"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    assert_eq!(
        app.journal_len().await,
        journal,
        "a refusal journals nothing"
    );
    let after: Vec<Value> = vec![
        snapshot(a.clone()).await,
        snapshot(b.clone()).await,
        snapshot(closed.clone()).await,
        snapshot(secret.clone()).await,
    ];
    assert_eq!(before, after);
}

async fn a_restricted_incident_merges_into_one_no_wider(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let max = app.user("max", &[Role::IsirtManager]).await;
    let restrict = |n: String, users: Value| {
        let app = &app;
        let ian = ian.clone();
        async move {
            let path = format!("/api/v1/incidents/{n}/restriction");
            let (status, body) = app
                .call(
                    Method::PUT,
                    &path,
                    Some(&ian),
                    Some(json!({"users": users})),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    };
    let a = incident(&app, &poc, &ian, "ian", "Board laptop, second look").await;
    let b = incident(&app, &poc, &ian, "ian", "Board laptop").await;
    restrict(b.clone(), json!(["ian", "max"])).await;
    // A names someone B does not: refused.
    restrict(a.clone(), json!(["ian", "max", "pat"])).await;
    let (status, problem) = app
        .post(
            &format!("/api/v1/incidents/{a}/merge"),
            &max,
            json!({"from": b, "reason": "same laptop"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    // A's readers are among B's: merged.
    restrict(a.clone(), json!(["ian", "max"])).await;
    let merged = app
        .post_ok(
            &format!("/api/v1/incidents/{a}/merge"),
            &max,
            json!({"from": b, "reason": "same laptop"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(merged["restricted_to"], json!(["ian", "max"]));
    let out = app.cli(&["journal", "verify", "--records"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
