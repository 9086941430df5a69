//! Observables on incidents through the API: recording, changing and
//! removing them, the pivot with its counts and need-to-know, extraction of
//! defanged text, and the records check after every kind of change.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, incident};
use crate::on_both_backends;

on_both_backends!(
    observables_are_added_changed_and_removed,
    bad_observables_are_refused_by_field_and_role,
    the_pivot_lists_and_counts_what_the_reader_may_see,
    extraction_reads_defanged_text,
);

/// An escalated event carrying `observables`; returns its number.
async fn event_with(app: &TestApp, poc: &str, title: &str, observables: Value) -> String {
    let n = app
        .post_ok(
            "/api/v1/events",
            poc,
            json!({"title": title, "description": "seen on the wire", "observables": observables}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_ok(
        &format!("/api/v1/events/{n}/assessment"),
        poc,
        json!({"decision": "possible_incident", "escalate": true}),
        StatusCode::OK,
    )
    .await;
    n
}

async fn add(app: &TestApp, token: &str, n: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/incidents/{n}/observables"), token, body)
        .await
}

async fn observables_are_added_changed_and_removed(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let n = incident(&app, &poc, &ian, "ian", "Beaconing host").await;

    let (status, domain) = add(
        &app,
        &ian,
        &n,
        json!({"type": "domain", "value": " Evil.Example. ", "ioc": true, "note": "C2 seen in proxy logs"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{domain}");
    assert_eq!(domain["value"], "evil.example");
    assert_eq!(
        (domain["id"].as_u64(), domain["ioc"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(domain["pap"], "AMBER", "PAP defaults to AMBER");
    assert_eq!(domain["tlp"], "AMBER", "TLP defaults to the incident's");
    assert_eq!(domain["added_by"], "ian");
    let (status, mapped) = add(
        &app,
        &ian,
        &n,
        json!({"type": "ip", "value": "::FFFF:10.0.0.1", "pap": "RED", "tlp": "RED"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{mapped}");
    assert_eq!(mapped["value"], "::ffff:10.0.0.1");

    // The same type and value again, however written, is refused by field.
    let (status, problem) = add(
        &app,
        &ian,
        &n,
        json!({"type": "domain", "value": "EVIL.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["value"]);
    assert!(problem.to_string().contains("already on"), "{problem}");

    let path = format!("/api/v1/incidents/{n}/observables/1");
    let (status, changed) = app
        .call(
            Method::PATCH,
            &path,
            Some(&ian),
            Some(json!({"sighted": true, "pap": "GREEN", "note": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["sighted"].as_bool(), changed["pap"].as_str()),
        (Some(true), Some("GREEN"))
    );
    assert_eq!(changed["note"], Value::Null);
    // Changing the value to one already on the incident is refused too.
    let (status, problem) = app
        .call(
            Method::PATCH,
            &path,
            Some(&ian),
            Some(json!({"type": "ip", "value": "::ffff:10.0.0.1"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["value"]);

    // A new type checks the kept value again; an empty change is refused.
    let (status, problem) = app
        .call(
            Method::PATCH,
            &path,
            Some(&ian),
            Some(json!({"type": "ip"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["value"]);
    let (status, problem) = app
        .call(
            Method::PATCH,
            &path,
            Some(&ian),
            Some(json!({"pap": "GREEN"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["body"]);

    // The register's text search finds the incident by an observable's value.
    let (_, found) = app.get("/api/v1/incidents?text=evil.example", &ian).await;
    assert_eq!(found["items"][0]["number"], n.as_str(), "{found}");

    let (status, removed) = app
        .call(
            Method::DELETE,
            &format!("{path}?reason=benign%20CDN"),
            Some(&ian),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["removed"]["by"], "ian");
    assert_eq!(removed["removed"]["reason"], "benign CDN");
    let (status, _) = app.call(Method::DELETE, &path, Some(&ian), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "removed once only");

    let (_, listed) = app
        .get(&format!("/api/v1/incidents/{n}/observables"), &ian)
        .await;
    let values: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["::ffff:10.0.0.1"]);
    // The record keeps the removed one, marked; it no longer finds the incident.
    let (_, record) = app.get(&format!("/api/v1/incidents/{n}"), &ian).await;
    assert_eq!(record["observables"].as_array().unwrap().len(), 2);
    let (_, found) = app.get("/api/v1/incidents?text=evil.example", &ian).await;
    assert!(found["items"].as_array().unwrap().is_empty(), "{found}");
    // Re-adding it gives a new id: ids are never reused.
    let (_, again) = add(
        &app,
        &ian,
        &n,
        json!({"type": "domain", "value": "evil.example"}),
    )
    .await;
    assert_eq!(again["id"], 3);

    let journal = app
        .service
        .journal(
            &rampart_domain::Actor::system(),
            rampart_app::JournalQuery {
                entity: Some(n.clone()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let actions: Vec<&str> = journal.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions[1..],
        [
            "incident.observable_added",
            "incident.observable_added",
            "incident.observable_updated",
            "incident.observable_removed",
            "incident.observable_added",
        ]
    );
    let updated: Value = serde_json::from_str(&journal[3].entry.payload).unwrap();
    assert_eq!(
        (
            updated["before"]["pap"].as_str(),
            updated["after"]["pap"].as_str()
        ),
        (Some("AMBER"), Some("GREEN"))
    );

    // The records check replays every kind of change and agrees.
    let out = app.cli(&["journal", "verify", "--records"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("records agree with the journal"),
        "{stdout}"
    );
}

async fn bad_observables_are_refused_by_field_and_role(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let auditor = app.user("aud", &[Role::Auditor]).await;
    let n = incident(&app, &poc, &ian, "ian", "Odd traffic").await;
    let before = app.journal_len().await;

    for (body, field) in [
        (json!({"type": "ipv9", "value": "10.0.0.1"}), "type"),
        (json!({"type": "ip", "value": "10.0.0.300"}), "value"),
        (json!({"type": "domain", "value": "no_dot"}), "value"),
        (json!({"type": "hash", "value": "abc"}), "value"),
        (
            json!({"type": "ip", "value": "10.0.0.1", "pap": "WHITE"}),
            "pap",
        ),
    ] {
        let (status, problem) = add(&app, &ian, &n, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{body}: {problem}");
    }
    for token in [&poc, &auditor] {
        let (status, _) = add(&app, token, &n, json!({"type": "ip", "value": "10.0.0.1"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        app.journal_len().await,
        before,
        "nothing refused was journaled"
    );
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/incidents/{n}/observables/9"),
            Some(&ian),
            Some(json!({"ioc": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = app.get("/api/v1/observables/colour/red", &ian).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["type"]);
}

async fn the_pivot_lists_and_counts_what_the_reader_may_see(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let alice = app.user("alice", &[Role::IsirtMember]).await;
    let bob = app.user("bob", &[Role::IsirtMember]).await;
    let url = "https://cdn.evil.example/payload/stage2.bin?id=7";
    let first = event_with(
        &app,
        &poc,
        "Phishing mail",
        json!([{"type": "url", "value": url}, {"type": "ip", "value": "203.0.113.9"}]),
    )
    .await;
    let second = event_with(
        &app,
        &poc,
        "Proxy alert",
        json!([{"type": "url", "value": url}]),
    )
    .await;
    // Two incidents carry the URL; the second is restricted to alice.
    let open = incident(&app, &poc, &alice, "alice", "Phishing wave").await;
    let secret = incident(&app, &poc, &alice, "alice", "Insider case").await;
    for n in [&open, &secret] {
        let (status, body) = add(&app, &alice, n, json!({"type": "url", "value": url})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/incidents/{secret}/restriction"),
            Some(&alice),
            Some(json!({"users": ["alice"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let encoded = "https:%2F%2Fcdn.evil.example%2Fpayload%2Fstage2.bin%3Fid=7";
    let path = format!("/api/v1/observables/url/{encoded}");
    let (status, seen) = app.get(&path, &alice).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["value"], url);
    assert_eq!(
        (
            seen["incident_count"].as_u64(),
            seen["event_count"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let numbers = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        numbers(&seen["incidents"]),
        [secret.clone(), open.clone()],
        "newest first"
    );
    assert_eq!(
        numbers(&seen["events"]),
        [second.clone(), first.clone()],
        "newest first"
    );

    // Bob is ISIRT too, but not on the restriction: never listed nor counted.
    let (_, seen) = app.get(&path, &bob).await;
    assert_eq!(seen["incident_count"], 1, "{seen}");
    assert_eq!(numbers(&seen["incidents"]), [open.as_str()]);
    assert!(!seen.to_string().contains(&secret), "{seen}");

    // Pages are bounded and follow on with a cursor.
    let (_, page) = app.get(&format!("{path}?limit=1"), &alice).await;
    assert_eq!(numbers(&page["incidents"]), [secret.as_str()]);
    let cursor = page["incidents"]["next_cursor"].as_str().unwrap();
    let (_, next) = app
        .get(&format!("{path}?limit=1&incidents_cursor={cursor}"), &alice)
        .await;
    assert_eq!(numbers(&next["incidents"]), [open.as_str()]);
    assert_eq!(next["incident_count"], 2);

    // A value written differently pivots to the same observable; an event-only one too.
    let (_, ip) = app.get("/api/v1/observables/ip/203.0.113.9", &bob).await;
    assert_eq!(
        (ip["incident_count"].as_u64(), ip["event_count"].as_u64()),
        (Some(0), Some(1))
    );
    // A reporter sees neither.
    let rita = app.user("rita", &[Role::Reporter]).await;
    let (status, _) = app.get(&path, &rita).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The pivot page holds the same: carl, ISIRT but not on the list, sees one incident.
    let (_, carl) = crate::web::person(&app, "carl", &[Role::IsirtMember]).await;
    let page = carl.get(&format!("/observables/url/{encoded}")).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body.contains("Seen in 1 incident, 2 events"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&open) && !page.body.contains(&secret));
    assert!(page.body.contains(&first) && page.body.contains(&second));
    // The event page links each observable to it.
    let event = carl.get(&format!("/events/{first}")).await;
    assert!(
        event.body.contains("href=\"/observables/ip/203.0.113.9\""),
        "{}",
        event.body
    );

    // The incident lists the linked event's observables beside its own.
    app.post_ok(
        &format!("/api/v1/incidents/{open}/events"),
        &alice,
        json!({"event": first}),
        StatusCode::OK,
    )
    .await;
    let (_, listed) = app
        .get(&format!("/api/v1/incidents/{open}/observables"), &alice)
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let from_events = listed["from_events"].as_array().unwrap();
    assert!(
        from_events.iter().any(|o| o["value"] == "203.0.113.9"),
        "{listed}"
    );
    assert!(
        !from_events.iter().any(|o| o["value"] == url),
        "the incident carries it itself"
    );
}

async fn extraction_reads_defanged_text(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let n = incident(&app, &poc, &ian, "ian", "Mail campaign").await;
    add(
        &app,
        &ian,
        &n,
        json!({"type": "ip", "value": "198.51.100.7"}),
    )
    .await;
    let text = "Clicked hxxps://login-portal[.]example[.]com/reset and called 198.51.100[.]7; \
                sender billing[@]invoices(.)example.org, attachment invoice.zip \
                sha256 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
    let (status, out) = app
        .post(
            "/api/v1/observables/extract",
            &ian,
            json!({"text": text, "incident": n}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let found: Vec<String> = out["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["type"].as_str().unwrap(),
                c["value"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "url:https://login-portal.example.com/reset",
            "email:billing@invoices.example.org",
            "hash:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ],
        "the address already on the incident is left out; invoice.zip is no domain"
    );
    let (status, problem) = app
        .post(
            "/api/v1/observables/extract",
            &ian,
            json!({"text": "x".repeat(70 * 1024)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["text"]);
    let (status, _) = app
        .post(
            "/api/v1/observables/extract",
            &poc,
            json!({"text": "10.0.0.1"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // On the workspace: pasted text proposes its candidates; too much is refused on the field.
    let (_, web) = crate::web::person(&app, "ivy", &[Role::IsirtMember]).await;
    let path = format!("/incidents/{n}/observables/extract");
    let page = web.submit(&path, &[("paste", text)]).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body
            .contains("data-candidate=\"email:billing@invoices.example.org\""),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("data-candidate=\"ip:198.51.100.7\""),
        "already on the incident"
    );
    let long = "x".repeat(70 * 1024);
    let page = web.submit(&path, &[("paste", &long)]).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("extraction reads at most 64 KiB"),
        "{}",
        page.body
    );
    // A candidate's one-click form adds it; the same again, written otherwise, is refused.
    let before = app.journal_len().await;
    let added = web
        .submit(
            &format!("/incidents/{n}/observables"),
            &[("type", "email"), ("value", "billing@invoices.example.org")],
        )
        .await;
    added.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(app.journal_len().await, before + 1);
    let again = web
        .submit(
            &format!("/incidents/{n}/observables"),
            &[
                ("type", "email"),
                ("value", "billing@INVOICES.example.org"),
                ("add", "1"),
            ],
        )
        .await;
    again.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("is already on"), "{}", again.body);
    assert_eq!(
        app.journal_len().await,
        before + 1,
        "the refusal changed nothing"
    );
}
