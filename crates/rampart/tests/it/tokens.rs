//! API tokens fit least privilege, on both backends: each has a name, an
//! owner, scopes and an expiry; a token does only what both its owner's
//! roles and its scopes allow; people list, make and revoke their own and
//! admins everyone's; a token made with a token never has more scopes than
//! it; bad requests are refused by field and journal nothing; expiry and
//! revocation stop a token at once.

use std::sync::Arc;

use rampart_domain::{Clock, ManualClock, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, fields};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_fit_least_privilege_on_sqlite() {
    tokens_fit_least_privilege(Backend::Sqlite, "tokens_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_fit_least_privilege_on_postgres() {
    tokens_fit_least_privilege(Backend::Postgres, "tokens_pg").await;
}

async fn make(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/tokens", Some(token), Some(body))
        .await
}

/// The `token.refused` entries after `seq`.
async fn refusals(app: &TestApp, seq: u64) -> Vec<Value> {
    let (_, entries) = app
        .get(&format!("/api/v1/journal?after={seq}"), &app.admin)
        .await;
    entries["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "token.refused")
        .cloned()
        .collect()
}

async fn tokens_fit_least_privilege(backend: Backend, test: &str) {
    let clock = Arc::new(ManualClock::new(rampart_domain::SystemClock.now()));
    let Some(app) = TestApp::spawn_on(backend, test, |_| {}, clock.clone()).await else {
        return;
    };
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let rita = app.user("rita", &[Role::Reporter]).await;
    let n = crate::helpers::incident(&app, &pat, &ian, "ian", "Scoped reading").await;

    // Ian makes a dashboard token that may only read incidents.
    let seq = app.journal_len().await;
    let (status, made) = make(
        &app,
        &ian,
        json!({"name": "wall dashboard", "scopes": ["incidents:read"], "expires_in_days": 7}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["token"]["user"], "ian");
    assert_eq!(made["token"]["scopes"], json!(["incidents:read"]));
    assert!(made["token"].get("hash").is_none(), "{made}");
    let reader = made["secret"].as_str().unwrap().to_owned();
    let id = made["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.changes_after(seq).await, ["token.created"]);
    let (_, entries) = app
        .get(&format!("/api/v1/journal?after={seq}"), &app.admin)
        .await;
    let payload = &entries["items"][0]["payload"];
    assert_eq!(payload["name"], "wall dashboard", "{payload}");
    assert_eq!(payload["scopes"], json!(["incidents:read"]));
    assert_eq!(payload["expires_at"], made["token"]["expires_at"]);
    assert!(payload.get("secret").is_none() && !entries.to_string().contains(&reader));

    // It reads incidents; writing, though ian's roles allow it, is refused
    // with the scope named, and journaled against the token once in a
    // quarter of an hour however often it is tried.
    let (status, _) = app.get(&format!("/api/v1/incidents/{n}"), &reader).await;
    assert_eq!(status, StatusCode::OK);
    let seq = app.journal_len().await;
    for _ in 0..3 {
        let (status, problem) = app
            .call(
                Method::POST,
                &format!("/api/v1/incidents/{n}/log"),
                Some(&reader),
                Some(json!({"action": "seen from the wall"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("`incidents:write`"),
            "{problem}"
        );
    }
    let refused = refusals(&app, seq).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["entity"], "user:ian");
    assert_eq!(refused[0]["actor"], "ian");
    let payload = &refused[0]["payload"];
    assert_eq!(payload["token_id"], json!(id));
    assert_eq!(payload["reason"], "out_of_scope");
    assert_eq!(payload["scope"], "incidents:write");
    assert!(
        payload["action"].as_str().unwrap().contains("write_log"),
        "{payload}"
    );
    // A sensor's token reports events and reads nothing else.
    let (_, sensor) = make(
        &app,
        &rita,
        json!({"name": "sensor", "scopes": ["intake:write"]}),
    )
    .await;
    let sensor = sensor["secret"].as_str().unwrap().to_owned();
    app.post_ok(
        "/api/v1/events",
        &sensor,
        json!({"title": "port scan", "description": "from the edge"}),
        StatusCode::CREATED,
    )
    .await;
    let seq = app.journal_len().await;
    let (status, _) = app.get("/api/v1/events", &sensor).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let refused = refusals(&app, seq).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["payload"]["scope"], "events:read");
    // An unknown token is not journaled: anyone can send one.
    let seq = app.journal_len().await;
    let (status, _) = app
        .get(
            "/api/v1/events",
            "rmp_0000000000000000000000000000000000000000000",
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.journal_len().await, seq);

    // Refusals name the field and change nothing.
    let seq = app.journal_len().await;
    for (who, body, field) in [
        (&rita, json!({"name": "x", "scopes": ["admin"]}), "scopes"),
        (&ian, json!({"name": "x", "scopes": []}), "scopes"),
        (
            &ian,
            json!({"name": "x", "scopes": ["incidents"]}),
            "scopes[0]",
        ),
        (
            &ian,
            json!({"name": "", "scopes": ["incidents:read"]}),
            "name",
        ),
        (&ian, json!({"name": "x".repeat(81)}), "name"),
        (
            &ian,
            json!({"name": "x", "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            &ian,
            json!({"name": "x", "expires_in_days": 366}),
            "expires_in_days",
        ),
        (&ian, json!({"scopes": ["incidents:read"]}), "name"),
        (&ian, json!({"name": "x", "colour": "red"}), "colour"),
        // Made with a token, no wider than it.
        (
            &reader,
            json!({"name": "x", "scopes": ["incidents:write"]}),
            "scopes",
        ),
    ] {
        let (status, problem) = make(&app, who, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{body}: {problem}");
    }
    let (status, _) = make(&app, &ian, json!({"name": "x", "user": "pat"})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only admins make others' tokens"
    );
    assert_eq!(app.journal_len().await, seq);
    // Made with a token and no scopes named: the token's own, no more.
    let (status, narrow) = make(&app, &reader, json!({"name": "from the wall"})).await;
    assert_eq!(status, StatusCode::CREATED, "{narrow}");
    assert_eq!(narrow["token"]["scopes"], json!(["incidents:read"]));
    // With no scopes named, every scope the owner's roles allow.
    let (_, wide) = make(&app, &ian, json!({"name": "scripts"})).await;
    let scopes = wide["token"]["scopes"].as_array().unwrap();
    assert!(
        scopes.contains(&json!("incidents:write")) && !scopes.contains(&json!("admin")),
        "{wide}"
    );

    // Lists: one's own, with when each was last used; everyone's for
    // admins only.
    let (_, own) = app.get("/api/v1/tokens", &ian).await;
    let used = |name: &str| -> Value {
        own.as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["last_used_at"]
            .clone()
    };
    assert!(used("wall dashboard").is_string(), "{own}");
    assert_eq!(used("scripts"), Value::Null, "{own}");
    let names: Vec<&str> = own
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"wall dashboard") && names.contains(&"scripts"),
        "{own}"
    );
    assert!(own.as_array().unwrap().iter().all(|t| t["user"] == "ian"));
    let (status, _) = app.get("/api/v1/tokens?all=true", &ian).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, every) = app.get("/api/v1/tokens?all=true", &app.admin).await;
    assert!(
        every
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["user"] == "rita")
    );

    // Revoking: not another's (not found), one's own at once.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&pat),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&ian),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&format!("/api/v1/incidents/{n}"), &reader).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Expiry: a day's token works for a day, not a second more.
    let (_, daily) = make(&app, &ian, json!({"name": "daily", "expires_in_days": 1})).await;
    let daily = daily["secret"].as_str().unwrap().to_owned();
    let (status, _) = app.get("/api/v1/incidents", &daily).await;
    assert_eq!(status, StatusCode::OK);
    clock.advance(time::Duration::days(1));
    let seq = app.journal_len().await;
    for _ in 0..2 {
        let (status, _) = app.get("/api/v1/incidents", &daily).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let refused = refusals(&app, seq).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["payload"]["reason"], "expired");
    // A quarter of an hour on, it is journaled again.
    clock.advance(time::Duration::minutes(15));
    let (status, _) = app.get("/api/v1/incidents", &daily).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refusals(&app, seq).await.len(), 2);

    // A disabled owner's tokens stop, and say why in the journal.
    app.service
        .update_user(&rampart_domain::Actor::system(), "rita", None, Some(true))
        .await
        .unwrap();
    let seq = app.journal_len().await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/events",
            Some(&sensor),
            Some(json!({"title": "port scan", "description": "again"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let refused = refusals(&app, seq).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["payload"]["reason"], "owner_disabled");
    assert_eq!(refused[0]["entity"], "user:rita");

    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}
