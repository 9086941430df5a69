//! Evidence from the first moment: files and physical items secured while an
//! event is still in triage follow the event into its incident (confirmed as
//! a new one, or added to an existing one from triage), with the same chain
//! of custody; physical items have a place, a holder and seals, but no
//! content to download.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::evidence::{METADATA, custody, download, form, sha256_hex, team};
use crate::helpers::{TestApp, confirm_as, fields, incident, reported_event};

crate::on_both_backends!(
    evidence_secured_in_triage_follows_its_event_into_the_incident,
    physical_items_keep_place_holder_and_seal_but_have_no_content,
    evidence_follows_an_event_added_to_an_incident_from_triage,
    the_evidence_of_every_event_confirmed_together_follows,
);

async fn upload_for_event(app: &TestApp, token: &str, evt: &str, bytes: &[u8]) -> Value {
    let resp = app
        .client
        .post(format!("http://{}/api/v1/events/{evt}/evidence", app.addr))
        .bearer_auth(token)
        .multipart(form(&METADATA, Some(("auth.log", bytes.to_vec()))))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let item: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::CREATED, "{item}");
    item
}

fn usb_stick() -> Value {
    json!({"description": "USB stick found in the finance PC", "found_at": "desk F-12",
           "collected_by": "Pat (PoC)", "collected_at": "2026-01-10T08:30:00Z",
           "reason": "may hold the malware that was run", "location": "ISIRT safe 2",
           "seal": "S-1001"})
}

/// A physical item secured for `evt` by `token`; returns the item.
async fn secure(app: &TestApp, token: &str, evt: &str) -> Value {
    app.post_ok(
        &format!("/api/v1/events/{evt}/evidence/physical"),
        token,
        usb_stick(),
        StatusCode::CREATED,
    )
    .await
}

/// Securing a physical item for `evt` is refused with 409, saying `why`.
async fn refused_for_event(app: &TestApp, token: &str, evt: &str, why: &str) {
    let (status, problem) = app
        .post(
            &format!("/api/v1/events/{evt}/evidence/physical"),
            token,
            usb_stick(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains(why),
        "{problem}"
    );
}

fn numbers(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|i| i["number"].as_str().unwrap().to_owned())
        .collect()
}

fn actions(custody: &[(String, String)]) -> Vec<&str> {
    custody.iter().map(|(a, _)| a.as_str()).collect()
}

async fn evidence_secured_in_triage_follows_its_event_into_the_incident(app: TestApp) {
    let (poc, ian, _mia, aud) = team(&app).await;
    let evt = reported_event(&app, &poc, "Strange login on the gateway").await;
    let content = b"sshd[812]: Accepted password for root from 203.0.113.9".repeat(20);

    let file = upload_for_event(&app, &ian, &evt, &content).await;
    assert_eq!(file["incident"], Value::Null, "{file}");
    assert_eq!(file["event"], evt);
    assert_eq!(file["content"]["sha256"], sha256_hex(&content));
    assert_eq!(file["custodian"], "ian");
    let stick = secure(&app, &ian, &evt).await;
    assert_eq!(stick["content"], Value::Null, "{stick}");
    assert_eq!(stick["seal"], "S-1001");
    let (file_n, stick_n) = (
        file["number"].as_str().unwrap().to_owned(),
        stick["number"].as_str().unwrap().to_owned(),
    );

    // Listed with the event while it is in triage; the PoC may not read evidence.
    let (status, page) = app
        .get(&format!("/api/v1/events/{evt}/evidence"), &ian)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(numbers(&page), [file_n.clone(), stick_n.clone()]);
    let (status, _) = app
        .get(&format!("/api/v1/events/{evt}/evidence"), &poc)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, refused) = app
        .post(
            &format!("/api/v1/events/{evt}/evidence/physical"),
            &poc,
            usb_stick(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    // Confirmed as an incident: both items follow, in the same unit of work.
    app.post_ok(
        &format!("/api/v1/events/{evt}/assessment"),
        &poc,
        json!({"decision": "possible_incident", "escalate": true}),
        StatusCode::OK,
    )
    .await;
    let before = app.journal_len().await;
    let inc = confirm_as(&app, &ian, &evt, "Gateway compromise", "ian").await;
    // incident.confirmed, event.linked, and one evidence.attached per item
    // (beside the notifications the confirmation calls for).
    assert_eq!(
        app.changes_after(before).await,
        [
            "incident.confirmed",
            "event.linked",
            "evidence.attached",
            "evidence.attached"
        ]
    );
    let (_, page) = app
        .get(&format!("/api/v1/incidents/{inc}/evidence"), &ian)
        .await;
    assert_eq!(numbers(&page), [file_n.clone(), stick_n.clone()]);
    for item in page["items"].as_array().unwrap() {
        assert_eq!(item["incident"], inc.as_str());
        assert_eq!(item["event"], evt.as_str());
    }
    let (_, page) = app
        .get(&format!("/api/v1/events/{evt}/evidence"), &ian)
        .await;
    assert_eq!(numbers(&page), Vec::<String>::new());
    for n in [&file_n, &stick_n] {
        let custody = custody(&app, &ian, n).await;
        assert_eq!(
            actions(&custody),
            ["evidence.collected", "evidence.attached"]
        );
        assert_eq!(custody[1].1, "ian", "the person who confirmed");
    }
    let (_, entry) = app.get(&format!("/api/v1/evidence/{stick_n}"), &aud).await;
    assert_eq!(
        entry["custody"][1]["payload"],
        json!({"event": evt, "incident": inc}),
        "{entry}"
    );

    // The incident's timeline tells where the items came from.
    let (status, timeline) = app
        .get(&format!("/api/v1/incidents/{inc}/timeline"), &ian)
        .await;
    assert_eq!(status, StatusCode::OK, "{timeline}");
    let texts = timeline.to_string();
    assert!(
        texts.contains(&format!(
            "{stick_n}, secured while {evt} was in triage, followed it into the incident"
        )),
        "{texts}"
    );
    assert!(
        texts.contains(&format!("recorded the physical item {stick_n}")),
        "{texts}"
    );

    // The file downloads as any other; the records agree with the journal.
    let resp = download(&app, &ian, &file_n).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &content[..]);
    let out = app.cli(&["journal", "verify", "--records"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("2 evidence items"), "{stdout}");

    // The event is part of the incident now: evidence goes to the incident,
    // whose own need-to-know applies.
    refused_for_event(&app, &ian, &evt, "part of an incident already").await;
}

async fn physical_items_keep_place_holder_and_seal_but_have_no_content(app: TestApp) {
    let (poc, ian, mia, _aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Stolen laptop").await;

    // Where it is kept is required; every refused field is named; nothing is written.
    let before = app.journal_len().await;
    let mut no_place = usb_stick();
    no_place.as_object_mut().unwrap().remove("location");
    no_place["collected_at"] = json!("2999-01-01T00:00:00Z");
    let (status, problem) = app
        .post(
            &format!("/api/v1/incidents/{inc}/evidence/physical"),
            &ian,
            no_place,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["collected_at", "location"]);
    assert_eq!(app.journal_len().await, before);

    let item = app
        .post_ok(
            &format!("/api/v1/incidents/{inc}/evidence/physical"),
            &ian,
            usb_stick(),
            StatusCode::CREATED,
        )
        .await;
    let n = item["number"].as_str().unwrap().to_owned();
    assert_eq!(item["incident"], inc.as_str());
    assert_eq!(item["location"], "ISIRT safe 2");

    // No content to download or verify: refused plainly, nothing recorded.
    let before = app.journal_len().await;
    let resp = download(&app, &ian, &n).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let problem: Value = resp.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("physical item"),
        "{problem}"
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/evidence/{n}/verification"),
            &ian,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(app.journal_len().await, before);

    // Opened for imaging and sealed again, then handed to the police.
    let item = app
        .post_ok(
            &format!("/api/v1/evidence/{n}/transfers"),
            &ian,
            json!({"to": "ian", "reason": "opened for imaging", "seal": "S-1002"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(item["seal"], "S-1002");
    assert_eq!(item["location"], "ISIRT safe 2");
    let item = app
        .post_ok(
            &format!("/api/v1/evidence/{n}/transfers"),
            &ian,
            json!({"to": "DC Jones", "reason": "handed to the police", "location": "police store"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(item["custodian"], "DC Jones");
    assert_eq!(item["seal"], "S-1002", "a transfer without a seal keeps it");
    let custody = custody(&app, &ian, &n).await;
    assert_eq!(
        actions(&custody),
        [
            "evidence.collected",
            "evidence.transferred",
            "evidence.transferred"
        ]
    );

    // Held, released, disposed of (returned to its owner): the record stays.
    app.post_ok(
        &format!("/api/v1/evidence/{n}/disposal"),
        &mia,
        json!({"reason": "returned to its owner"}),
        StatusCode::OK,
    )
    .await;
    // The bundle holds files only; an incident with a physical item still exports.
    let resp = app
        .client
        .get(format!(
            "http://{}/api/v1/incidents/{inc}/evidence/bundle",
            app.addr
        ))
        .bearer_auth(&ian)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let out = app.cli(&["journal", "verify", "--records"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

async fn evidence_follows_an_event_added_to_an_incident_from_triage(app: TestApp) {
    let (poc, ian, _mia, _aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Phishing wave").await;
    let evt = reported_event(&app, &poc, "Another phishing mail").await;
    let stick = secure(&app, &ian, &evt).await;
    let n = stick["number"].as_str().unwrap().to_owned();
    let (status, answer) = app
        .post(
            "/api/v1/events/assessments",
            &ian,
            json!({"events": [evt], "decision": "link", "incident": inc}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, item) = app.get(&format!("/api/v1/evidence/{n}"), &ian).await;
    assert_eq!(item["incident"], inc.as_str(), "{item}");
    let custody = custody(&app, &ian, &n).await;
    assert_eq!(
        actions(&custody),
        ["evidence.collected", "evidence.attached"]
    );

    // An event closed as a false alarm takes no evidence.
    let other = reported_event(&app, &poc, "Printer noise").await;
    app.post_ok(
        &format!("/api/v1/events/{other}/assessment"),
        &poc,
        json!({"decision": "false_alarm", "notes": "printer firmware"}),
        StatusCode::OK,
    )
    .await;
    refused_for_event(&app, &ian, &other, "false alarm").await;
    // An event nobody may see does not exist.
    let (status, _) = app
        .post(
            "/api/v1/events/EVT-2026-999999/evidence/physical",
            &ian,
            usb_stick(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_evidence_of_every_event_confirmed_together_follows(app: TestApp) {
    let (poc, ian, _mia, _aud) = team(&app).await;
    let mut secured = Vec::new();
    let mut events = Vec::new();
    for (title, items) in [("Laptop stolen from a car", 2), ("Badge used at night", 1)] {
        let evt = reported_event(&app, &poc, title).await;
        for _ in 0..items {
            let item = secure(&app, &ian, &evt).await;
            secured.push((item["number"].as_str().unwrap().to_owned(), evt.clone()));
        }
        app.post_ok(
            &format!("/api/v1/events/{evt}/assessment"),
            &poc,
            json!({"decision": "possible_incident", "escalate": true}),
            StatusCode::OK,
        )
        .await;
        events.push(evt);
    }
    let before = app.journal_len().await;
    let inc = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            json!({"events": events, "title": "Physical break-in", "category": "other",
                   "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
                   "effort": "low", "coordinator": "ian"}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    // incident.confirmed, two event.linked, three evidence.attached.
    let changes = app.changes_after(before).await;
    assert_eq!(changes.len(), 6, "{changes:?}");
    assert_eq!(changes[0], "incident.confirmed");
    let (_, page) = app
        .get(&format!("/api/v1/incidents/{inc}/evidence"), &ian)
        .await;
    let listed: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i["incident"], inc.as_str());
            (
                i["number"].as_str().unwrap().to_owned(),
                i["event"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(listed, secured);
}
