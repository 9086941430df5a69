//! PAP (Permissible Actions Protocol) beside TLP on events, incidents and
//! evidence: set at report, confirmation, patch and upload, defaults, bad
//! values named, and the records still agreeing with the journal.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::evidence::{METADATA, form, upload_form};
use crate::helpers::{TestApp, fields};

crate::on_both_backends!(
    pap_is_set_at_report_confirmation_patch_and_upload,
    bad_pap_values_are_refused_naming_the_field,
);

/// Reports an event (with `extra` fields) and escalates it; returns the event.
async fn escalated(app: &TestApp, poc: &str, title: &str, extra: Value) -> Value {
    let mut body = json!({"title": title, "description": "seen on the wire"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let event = app
        .post_ok("/api/v1/events", poc, body, StatusCode::CREATED)
        .await;
    let n = event["number"].as_str().unwrap();
    app.post_ok(
        &format!("/api/v1/events/{n}/assessment"),
        poc,
        json!({"decision": "possible_incident", "escalate": true}),
        StatusCode::OK,
    )
    .await;
    event
}

fn confirmation(events: &[&Value], extra: Value) -> Value {
    let mut body = json!({
        "events": events.iter().map(|e| e["number"].clone()).collect::<Vec<_>>(),
        "title": "Phishing wave", "category": "malware",
        "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
        "effort": "low", "coordinator": "ian"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn patch(app: &TestApp, n: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(
        Method::PATCH,
        &format!("/api/v1/incidents/{n}"),
        Some(token),
        Some(body),
    )
    .await
}

/// The `changed` map of the last `incident.updated` entry of the journal.
async fn last_change(app: &TestApp) -> Value {
    let (status, page) = app.get("/api/v1/journal?limit=500", &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "incident.updated")
        .max_by_key(|e| e["seq"].as_u64().unwrap())
        .expect("an incident.updated entry")["payload"]["changed"]
        .clone()
}

fn verify_records(app: &TestApp) {
    let out = app.cli(&["journal", "verify", "--records"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("records agree with the journal"),
        "{stdout}"
    );
}

async fn pap_is_set_at_report_confirmation_patch_and_upload(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;

    // Report: AMBER unless the reporter says otherwise; read back as sent.
    let plain = escalated(&app, &poc, "Odd login", json!({})).await;
    assert_eq!(plain["pap"], "AMBER", "{plain}");
    let green = escalated(&app, &poc, "Port scan", json!({"pap": "GREEN"})).await;
    assert_eq!(green["pap"], "GREEN");
    let red = escalated(&app, &poc, "Leaked keys", json!({"pap": "RED"})).await;
    let n = red["number"].as_str().unwrap();
    let (_, read) = app.get(&format!("/api/v1/events/{n}"), &poc).await;
    assert_eq!(read["pap"], "RED", "{read}");

    // Confirmation: the strictest PAP of the events unless one is named.
    let strictest = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            confirmation(&[&plain, &red], json!({})),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(strictest["pap"], "RED", "{strictest}");
    let named = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            confirmation(&[&green], json!({"pap": "CLEAR"})),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(named["pap"], "CLEAR");
    let inc = strictest["number"].as_str().unwrap();

    // Patch: journaled before and after, like every other field.
    let (status, patched) = patch(&app, inc, &ian, json!({"pap": "GREEN"})).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["pap"], "GREEN");
    assert_eq!(
        last_change(&app).await,
        json!({"pap": {"before": "RED", "after": "GREEN"}})
    );
    let (_, read) = app.get(&format!("/api/v1/incidents/{inc}"), &ian).await;
    assert_eq!(read["pap"], "GREEN", "{read}");
    // The same value again changes nothing and is refused as such.
    let (status, problem) = patch(&app, inc, &ian, json!({"pap": "GREEN"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // Upload: the incident's PAP unless the form names one (any letter case).
    let file = || Some(("mail.eml", b"Subject: invoice".to_vec()));
    let (status, item) = upload_form(&app, &ian, inc, form(&METADATA, file())).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    assert_eq!(item["pap"], "GREEN", "{item}");
    let mut red_item = METADATA.to_vec();
    red_item.push(("pap", "red"));
    let (status, item) = upload_form(&app, &ian, inc, form(&red_item, file())).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    assert_eq!(item["pap"], "RED");
    let evd = item["number"].as_str().unwrap();
    let (_, view) = app.get(&format!("/api/v1/evidence/{evd}"), &ian).await;
    assert_eq!(view["pap"], "RED", "{view}");

    verify_records(&app);
}

async fn bad_pap_values_are_refused_naming_the_field(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let event = escalated(&app, &poc, "Odd login", json!({})).await;
    let before = app.journal_len().await;

    let (status, problem) = app
        .post(
            "/api/v1/events",
            &poc,
            json!({"title": "t", "description": "d", "pap": "WHITE"}),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["pap".to_owned()]),
        "{problem}"
    );
    let (status, problem) = app
        .post(
            "/api/v1/incidents",
            &ian,
            confirmation(&[&event], json!({"pap": "PURPLE"})),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["pap".to_owned()]),
        "{problem}"
    );
    assert_eq!(app.journal_len().await, before, "a refused input wrote");

    let inc = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            confirmation(&[&event], json!({})),
            StatusCode::CREATED,
        )
        .await;
    let inc = inc["number"].as_str().unwrap();
    let before = app.journal_len().await;
    let (status, problem) = patch(&app, inc, &ian, json!({"pap": 3})).await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["pap".to_owned()]),
        "{problem}"
    );
    let mut bad = METADATA.to_vec();
    bad.push(("pap", "AMBER+STRICT"));
    let (status, problem) = upload_form(
        &app,
        &ian,
        inc,
        form(&bad, Some(("x.bin", b"content".to_vec()))),
    )
    .await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["pap".to_owned()]),
        "{problem}"
    );
    assert!(
        problem.to_string().contains("CLEAR, GREEN, AMBER, RED"),
        "{problem}"
    );
    assert_eq!(app.journal_len().await, before, "a refused input wrote");
    let (_, read) = app.get(&format!("/api/v1/incidents/{inc}"), &ian).await;
    assert_eq!(read["pap"], "AMBER", "{read}");
    verify_records(&app);
}
