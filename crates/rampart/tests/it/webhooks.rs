//! Webhooks end to end, against a real HTTP receiver on loopback that checks
//! each signature as a receiver would: subscriptions by admins only, private
//! addresses refused unless allowed, the secret shown once, each notice
//! posted once in the shape the receiver asked for.

use std::time::Duration;

use rampart_domain::Role;
use rampart_notify::testing::{Behaviour, WebhookReceiver, verify};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, escalated_event, fields};

crate::on_both_backends!(webhooks_refuse_private_addresses_unless_allowed_and_post_signed_notices);

async fn webhooks_refuse_private_addresses_unless_allowed_and_post_signed_notices(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let receiver = WebhookReceiver::start(Behaviour::Ok).await;
    let subscribe = |body: Value, token: String| {
        let app = &app;
        async move {
            app.call(Method::POST, "/api/v1/webhooks", Some(&token), Some(body))
                .await
        }
    };

    // Admins only; a private or loopback address is refused unless allowed.
    let room = json!({"name": "SOC room", "url": receiver.url(), "format": "slack",
                      "kinds": ["event_escalated"]});
    let (status, _) = subscribe(room.clone(), ian.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = subscribe(room.clone(), app.admin.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["url"]);
    assert!(problem.to_string().contains("private"), "{problem}");
    for url in [
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest",
        "http://localhost:9/x",
        "ftp://example.org/x",
        "https://user:pw@example.org/x",
    ] {
        let (status, problem) =
            subscribe(json!({"name": "x", "url": url}), app.admin.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {problem}");
        assert_eq!(fields(&problem), ["url"], "{url}");
    }
    let (status, problem) = subscribe(
        json!({"name": " ", "url": receiver.url(), "allow_private": true}),
        app.admin.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["name"]);
    let (status, problem) = subscribe(
        json!({"name": "x", "url": receiver.url(), "format": "pager"}),
        app.admin.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let mut allowed = room.clone();
    allowed["allow_private"] = json!(true);
    let (status, made) = subscribe(allowed, app.admin.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);

    // Shown once: never in a read.
    let (_, read) = app.get(&format!("/api/v1/webhooks/{id}"), &app.admin).await;
    assert!(read.get("secret").is_none(), "{read}");
    let (_, all) = app.get("/api/v1/webhooks", &app.admin).await;
    assert!(!all.to_string().contains(&secret));
    let (status, _) = app
        .get("/api/v1/webhooks/wh_000000000000", &app.admin)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get("/api/v1/webhooks/nonsense", &app.admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The journal has it, with only the secret's digest.
    let (_, journal) = app
        .get(&format!("/api/v1/journal?entity=webhook:{id}"), &app.admin)
        .await;
    assert_eq!(journal["items"][0]["action"], "webhook.created");
    assert!(!journal.to_string().contains(&secret));

    // An escalated event is posted once, signed, in Slack's shape.
    let event = escalated_event(&app, &pat, "Beaconing to 203.0.113.9").await;
    let got = receiver.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(verify(&secret, &got[0]), "the signature checks out");
    assert!(!verify("another secret", &got[0]));
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains(&event) && text.contains("Beaconing"),
        "{text}"
    );
    assert!(
        text.contains(&format!("/events/{event}|Open {event} in Rampart>")),
        "{text}"
    );
    let delivery = got[0].header("x-rampart-delivery").unwrap().to_owned();
    assert!(delivery.ends_with(&id), "{delivery}");
    // Journaled once the receiver has answered.
    let entity = format!("/api/v1/journal?entity=webhook:{id}");
    crate::helpers::eventually("webhook.delivered in the journal", || async {
        let (_, journal) = app.get(&entity, &app.admin).await;
        let actions: Vec<Value> = journal["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].clone())
            .collect();
        actions == [json!("webhook.created"), json!("webhook.delivered")]
    })
    .await;

    // Turned off: nothing more is posted. A new secret is shown once.
    let (status, off) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(&app.admin),
            Some(json!({"active": false, "new_secret": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert_eq!(off["active"], false);
    let rotated = off["secret"].as_str().unwrap();
    assert!(rotated.len() == 64 && rotated != secret);
    escalated_event(&app, &pat, "Another beacon").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.requests().len(), 1, "nothing posted while off");
    let (status, problem) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(&app.admin),
            Some(json!({"allow_private": false})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        ["url"],
        "its loopback address needs the permission"
    );
}
