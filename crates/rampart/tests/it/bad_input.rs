//! Bad input gets the right status and names the field, and changes nothing:
//! the journal does not move.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields};

crate::on_both_backends!(
    every_refusal_names_its_field_and_changes_nothing,
    bodies_headers_and_tokens
);

/// Name, method, path, token, body, expected status, expected field.
type Case<'a> = (
    &'a str,
    Method,
    String,
    &'a str,
    Option<Value>,
    StatusCode,
    Option<&'a str>,
);

fn event() -> Value {
    json!({"title": "port scan", "description": "from one address", "source": {"kind": "sensor", "name": "fw-1"}})
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base.as_object_mut().unwrap().insert(key.to_owned(), value);
    base
}

fn without(mut base: Value, key: &str) -> Value {
    base.as_object_mut().unwrap().remove(key);
    base
}

async fn every_refusal_names_its_field_and_changes_nothing(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let rita = app.user("rita", &[Role::Reporter]).await;
    // A small world to refuse things in: an assessed event, an escalated one, a confirmed incident.
    let a = app
        .post_ok("/api/v1/events", &pat, event(), StatusCode::CREATED)
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = app
        .post_ok("/api/v1/events", &pat, event(), StatusCode::CREATED)
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_ok(
        &format!("/api/v1/events/{a}/assessment"),
        &pat,
        json!({"decision": "false_alarm"}),
        StatusCode::OK,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/events/{b}/assessment"),
        &pat,
        json!({"decision": "possible_incident"}),
        StatusCode::OK,
    )
    .await;
    let confirmation = json!({"events": [b], "title": "scan", "category": "technical_attack",
        "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
        "effort": "low", "coordinator": "ian"});
    let inc = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            confirmation.clone(),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = app
        .post_ok("/api/v1/events", &pat, event(), StatusCode::CREATED)
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();

    let journal_before = app.journal_len().await;
    let ev = "/api/v1/events".to_owned();
    let tr = format!("/api/v1/incidents/{inc}/transitions");
    let cases: Vec<Case> = vec![
        (
            "unknown enum value",
            Method::POST,
            ev.clone(),
            &pat,
            Some(with(event(), "tlp", json!("PURPLE"))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("tlp"),
        ),
        (
            "missing field",
            Method::POST,
            ev.clone(),
            &pat,
            Some(without(event(), "title")),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("title"),
        ),
        (
            "blank field",
            Method::POST,
            ev.clone(),
            &pat,
            Some(with(event(), "description", json!("   "))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("description"),
        ),
        (
            "timestamp without a zone",
            Method::POST,
            ev.clone(),
            &pat,
            Some(with(event(), "occurred_at", json!("2026-01-10T10:00:00"))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("occurred_at"),
        ),
        (
            "timestamp in the future",
            Method::POST,
            ev.clone(),
            &pat,
            Some(with(
                event(),
                "discovered_at",
                json!("2999-01-01T00:00:00Z"),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("discovered_at"),
        ),
        (
            "unknown field",
            Method::POST,
            ev.clone(),
            &pat,
            Some(with(event(), "sevrity", json!(1))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("sevrity"),
        ),
        (
            "nested bad value",
            Method::POST,
            ev.clone(),
            &pat,
            Some(with(
                event(),
                "observables",
                json!([{"type": "ip", "value": "10.0.0.999"}]),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("observables[0]"),
        ),
        (
            "nested unknown kind",
            Method::POST,
            ev.clone(),
            &pat,
            Some(with(event(), "source", json!({"kind": "robot"}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("source.kind"),
        ),
        (
            "sensor without a name",
            Method::POST,
            ev.clone(),
            &pat,
            Some(with(event(), "source", json!({"kind": "sensor"}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("source.name"),
        ),
        (
            "wrong type",
            Method::POST,
            ev.clone(),
            &pat,
            Some(with(event(), "assets", json!("srv-1"))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("assets"),
        ),
        (
            "event already assessed",
            Method::POST,
            format!("{ev}/{a}/assessment"),
            &pat,
            Some(json!({"decision": "handled_locally"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("decision"),
        ),
        (
            "escalate a false alarm",
            Method::POST,
            format!("{ev}/{c}/assessment"),
            &pat,
            Some(json!({"decision": "false_alarm", "escalate": true})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("escalate"),
        ),
        (
            "unknown decision",
            Method::POST,
            format!("{ev}/{c}/assessment"),
            &pat,
            Some(json!({"decision": "maybe"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("decision"),
        ),
        (
            "unknown event",
            Method::GET,
            format!("{ev}/EVT-2026-999999"),
            &pat,
            None,
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            "malformed number",
            Method::GET,
            format!("{ev}/EVT-1"),
            &pat,
            None,
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            "assess unknown event",
            Method::POST,
            format!("{ev}/EVT-2026-999999/assessment"),
            &pat,
            Some(json!({"decision": "false_alarm"})),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            "unknown incident",
            Method::POST,
            "/api/v1/incidents/INC-2026-9999/transitions".into(),
            &ian,
            Some(json!({"to": "responding", "reason": "x"})),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            "illegal transition",
            Method::POST,
            tr.clone(),
            &ian,
            Some(json!({"to": "closed", "reason": "x", "resolution": "y"})),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "transition without reason",
            Method::POST,
            tr.clone(),
            &ian,
            Some(json!({"to": "responding"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("reason"),
        ),
        (
            "unknown status",
            Method::POST,
            tr.clone(),
            &ian,
            Some(json!({"to": "done", "reason": "x"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("to"),
        ),
        (
            "role not allowed",
            Method::POST,
            tr.clone(),
            &pat,
            Some(json!({"to": "responding", "reason": "x"})),
            StatusCode::FORBIDDEN,
            None,
        ),
        (
            "reporter confirms",
            Method::POST,
            "/api/v1/incidents".into(),
            &rita,
            Some(confirmation.clone()),
            StatusCode::FORBIDDEN,
            None,
        ),
        (
            "event not escalated",
            Method::POST,
            "/api/v1/incidents".into(),
            &ian,
            Some(with(confirmation.clone(), "events", json!([c]))),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "event already linked",
            Method::POST,
            format!("/api/v1/incidents/{inc}/events"),
            &ian,
            Some(json!({"event": b})),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "unknown coordinator",
            Method::POST,
            "/api/v1/incidents".into(),
            &ian,
            Some(with(
                with(confirmation.clone(), "events", json!([c])),
                "coordinator",
                json!("nobody"),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("coordinator"),
        ),
        (
            "coordinator without ISIRT role",
            Method::POST,
            "/api/v1/incidents".into(),
            &ian,
            Some(with(
                with(confirmation.clone(), "events", json!([c])),
                "coordinator",
                json!("rita"),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("coordinator"),
        ),
        (
            "bad severity grade",
            Method::POST,
            "/api/v1/incidents".into(),
            &ian,
            Some(with(
                confirmation.clone(),
                "severity",
                json!({"system_importance": "important", "business_loss": "huge", "social_impact": "minor"}),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("severity.business_loss"),
        ),
        (
            "override without justification",
            Method::POST,
            "/api/v1/incidents".into(),
            &ian,
            Some(with(
                confirmation.clone(),
                "severity_override",
                json!({"class": "IV"}),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("severity_override.justification"),
        ),
        (
            "no events",
            Method::POST,
            "/api/v1/incidents".into(),
            &ian,
            Some(with(confirmation.clone(), "events", json!([]))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("events"),
        ),
        (
            "empty patch",
            Method::PATCH,
            format!("/api/v1/incidents/{inc}"),
            &ian,
            Some(json!({})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("body"),
        ),
        (
            "coordinator change by a member",
            Method::PATCH,
            format!("/api/v1/incidents/{inc}"),
            &ian,
            Some(json!({"coordinator": "ian"})),
            StatusCode::FORBIDDEN,
            None,
        ),
        (
            "review too early",
            Method::POST,
            format!("/api/v1/incidents/{inc}/review"),
            &ian,
            Some(json!({"lessons": ["x"]})),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "bad query value",
            Method::GET,
            format!("{ev}?status=bogus"),
            &pat,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("status"),
        ),
        (
            "unknown query parameter",
            Method::GET,
            format!("{ev}?colour=red"),
            &pat,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("colour"),
        ),
        (
            "bad cursor",
            Method::GET,
            format!("{ev}?cursor=abc"),
            &pat,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("cursor"),
        ),
        (
            "bad since",
            Method::GET,
            format!("{ev}?since=yesterday"),
            &pat,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("since"),
        ),
        (
            "journal for a member",
            Method::GET,
            "/api/v1/journal".into(),
            &ian,
            None,
            StatusCode::FORBIDDEN,
            None,
        ),
    ];
    for (name, method, path, token, body, status, field) in cases {
        let (got, problem) = app.call(method, &path, Some(token), body).await;
        assert_eq!(got, status, "{name}: {problem}");
        assert_eq!(problem["status"], status.as_u16(), "{name}");
        if let Some(field) = field {
            assert!(
                fields(&problem).contains(&field.to_owned()),
                "{name}: expected field {field} in {problem}"
            );
        }
        assert_eq!(
            app.journal_len().await,
            journal_before,
            "{name} changed the journal"
        );
    }

    // An illegal transition names where the incident is and where it may go.
    let (_, problem) = app
        .post(
            &tr,
            &ian,
            json!({"to": "closed", "reason": "x", "resolution": "y"}),
        )
        .await;
    assert_eq!(problem["current"], "confirmed");
    assert_eq!(problem["allowed"], json!(["responding", "crisis"]));
    // Closing without a resolution names the missing field.
    for to in ["responding", "recovering"] {
        app.post_ok(&tr, &ian, json!({"to": to, "reason": "x"}), StatusCode::OK)
            .await;
    }
    let before = app.journal_len().await;
    let (status, problem) = app
        .post(&tr, &ian, json!({"to": "closed", "reason": "x"}))
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["resolution".to_owned()]
        )
    );
    assert_eq!(app.journal_len().await, before);
    // Every refused confirmation gave its number back: the next incident is number 2.
    app.post_ok(
        &format!("{ev}/{c}/assessment"),
        &pat,
        json!({"decision": "possible_incident"}),
        StatusCode::OK,
    )
    .await;
    let next = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            with(confirmation, "events", json!([c])),
            StatusCode::CREATED,
        )
        .await;
    assert!(
        next["number"].as_str().unwrap().ends_with("-0002"),
        "{next}"
    );
}

async fn bodies_headers_and_tokens(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let before = app.journal_len().await;
    let url = format!("http://{}/api/v1/events", app.addr);
    let send = |req: reqwest::RequestBuilder| async move {
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        (status, ct, body)
    };
    let json_ct = |r: reqwest::RequestBuilder| r.header("content-type", "application/json");
    let cases = vec![
        (
            "malformed JSON",
            json_ct(app.client.post(&url))
                .bearer_auth(&pat)
                .body("{\"title\": "),
            StatusCode::BAD_REQUEST,
        ),
        (
            "trailing garbage",
            json_ct(app.client.post(&url))
                .bearer_auth(&pat)
                .body("{} {}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "empty body",
            json_ct(app.client.post(&url)).bearer_auth(&pat),
            StatusCode::BAD_REQUEST,
        ),
        (
            "not an object",
            json_ct(app.client.post(&url))
                .bearer_auth(&pat)
                .body("[1,2]"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "no token",
            json_ct(app.client.post(&url)).body(event().to_string()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "bad token",
            json_ct(app.client.post(&url))
                .bearer_auth("rmp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
                .body(event().to_string()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "not a bearer",
            json_ct(app.client.post(&url))
                .basic_auth("pat", Some("x"))
                .body(event().to_string()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "wrong media type",
            app.client
                .post(&url)
                .bearer_auth(&pat)
                .header("content-type", "text/plain")
                .body(event().to_string()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "body over 1 MiB",
            json_ct(app.client.post(&url))
                .bearer_auth(&pat)
                .body(with(event(), "description", json!("x".repeat(1_100_000))).to_string()),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "text over the field limit",
            json_ct(app.client.post(&url))
                .bearer_auth(&pat)
                .body(with(event(), "description", json!("x".repeat(20_001))).to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "unknown route",
            app.client
                .get(format!("http://{}/api/v1/nothing", app.addr))
                .bearer_auth(&pat),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (name, req, status) in cases {
        let (got, ct, body) = send(req).await;
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(ct, "application/problem+json", "{name}");
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{name}: {body}"
        );
        assert_eq!(
            app.journal_len().await,
            before,
            "{name} changed the journal"
        );
    }
    let (_, _, body) = send(json_ct(app.client.post(&url)).body("{}")).await;
    assert_eq!(body["type"], "urn:rampart:problem:unauthenticated");
    let (status, _) = app.get("/api/v1/journal?limit=5", &app.admin).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the administrator reads the journal"
    );
    // Health and the OpenAPI document need no token.
    assert_eq!(
        app.client
            .get(format!("http://{}/healthz", app.addr))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.client
            .get(format!("http://{}/readyz", app.addr))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
