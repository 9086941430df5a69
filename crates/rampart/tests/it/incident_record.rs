//! The full Annex D incident record through the API: every typed field
//! patched and cleared, amounts and currencies checked, related incidents
//! linked and unlinked one at a time, each change journaled before and
//! after, and the records check agreeing afterwards; records written before
//! costs and conclusions were typed still read.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use rampart_domain::Role;

use crate::helpers::{TestApp, fields, incident, reported_event};
use crate::on_both_backends;

on_both_backends!(
    every_field_is_patched_cleared_and_journaled,
    amounts_currencies_and_times_are_checked,
    related_incidents_link_and_unlink_one_at_a_time,
    free_text_conclusions_of_earlier_records_still_read,
    the_rsit_comes_from_the_assessment_unless_the_confirmation_names_one,
);

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
    let items = page["items"].as_array().unwrap();
    let entry = items
        .iter()
        .filter(|e| e["action"] == "incident.updated")
        .max_by_key(|e| e["seq"].as_u64().unwrap())
        .expect("an incident.updated entry");
    entry["payload"]["changed"].clone()
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

async fn people(app: &TestApp) -> (String, String) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    (poc, ian)
}

async fn every_field_is_patched_cleared_and_journaled(app: TestApp) {
    let (poc, ian) = people(&app).await;
    let n = incident(&app, &poc, &ian, "ian", "Ransomware on the file server").await;
    let full = json!({
        "how": "phishing mail with a macro",
        "why": "macros were allowed",
        "rsit": {"class": "malicious-code", "type": "infected-system"},
        "cia_impact": {
            "confidentiality": {"description": "HR share read", "value": {"amount": 12000.5}, "cost": {"amount": 800, "currency": "EUR"}},
            "availability": {"description": "file server down 2 days", "cost": {"amount": 4300.25, "currency": "EUR"}},
        },
        "recovery_cost_total": {"amount": 15100.75, "currency": "EUR"},
        "recovery_cost": "overtime of two admins",
        "occurred_at": "2026-11-01T08:00:00Z",
        "discovered_at": "2026-11-01T09:30:00Z",
        "reported_at": "2026-11-01T10:00:00Z",
        "perpetrator": {"kind": "group", "description": "known ransomware crew"},
        "motivation": {"kind": "financial"},
        "investigation": {"started_at": "2026-11-02T08:00:00Z", "investigators": ["ian", "Outside forensics Ltd"], "report_reference": "FOR-2026-17"},
        "conclusion": {"significant": true, "why": "customer data was read"},
        "notified": [
            {"who": "Data protection officer", "party": "internal", "at": "2026-11-01T12:00:00Z", "note": "by phone"},
            {"who": "National CSIRT", "party": "external"},
        ],
        "severity_override": {"class": "IV", "justification": "regulator involved"},
    });
    let (status, body) = patch(&app, &n, &ian, full).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["cia_impact"]["confidentiality"]["value"],
        json!({"amount": 12000.5, "currency": "EUR"})
    );
    assert_eq!(body["recovery_cost_total"]["amount"], json!(15100.75));
    assert_eq!(
        body["conclusion"],
        json!({"significant": true, "why": "customer data was read"})
    );
    assert_eq!(body["notified"][1]["party"], "external");
    assert_eq!(body["investigation"]["report_reference"], "FOR-2026-17");
    assert_eq!(body["rsit"]["type"], "infected-system");
    assert_eq!(body["reported_at"], "2026-11-01T10:00:00.000000Z");
    assert_eq!(
        (
            &body["severity"]["class"],
            &body["severity"]["computed_class"],
            body["priority"].as_u64()
        ),
        (&json!("IV"), &json!("III"), Some(1))
    );

    // The journal keeps each changed field before and after.
    let changed = last_change(&app).await;
    for field in [
        "how",
        "why",
        "rsit",
        "cia_impact",
        "recovery_cost_total",
        "recovery_cost",
        "occurred_at",
        "discovered_at",
        "reported_at",
        "perpetrator",
        "motivation",
        "investigation",
        "conclusion",
        "notified",
        "severity",
    ] {
        assert!(
            changed.get(field).is_some(),
            "{field} not journaled: {changed}"
        );
    }
    assert_eq!(changed["conclusion"]["before"], Value::Null);
    assert_eq!(
        changed["recovery_cost_total"]["after"]["amount"],
        json!(15100.75)
    );
    assert_eq!(changed["severity"]["before"]["override"], Value::Null);
    assert_eq!(changed["severity"]["after"]["override"]["class"], "IV");

    // The CSV of the register names the override beside the class in force.
    let (_, web) = crate::web::person(&app, "vera", &[Role::IsirtMember]).await;
    let csv = web.get("/incidents.csv").await.body;
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(",computed_class,class_override_justification"),
        "{csv}"
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains(",IV,") && row.ends_with(",III,regulator involved"),
        "{row}"
    );

    // null clears an optional field; an absent field stays; [] empties a list.
    let clear = json!({
        "how": null, "rsit": null, "cia_impact": null, "recovery_cost_total": null,
        "perpetrator": null, "investigation": null, "conclusion": null,
        "severity_override": null, "notified": [], "occurred_at": null,
    });
    let (status, body) = patch(&app, &n, &ian, clear).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for field in [
        "how",
        "rsit",
        "recovery_cost_total",
        "perpetrator",
        "investigation",
        "conclusion",
        "occurred_at",
    ] {
        assert!(
            body.get(field).is_none_or(Value::is_null),
            "{field}: {body}"
        );
    }
    assert!(body.get("cia_impact").is_none_or(Value::is_null), "{body}");
    assert!(
        body.get("notified").is_none_or(|v| v == &json!([])),
        "{body}"
    );
    assert_eq!(body["why"], "macros were allowed");
    assert_eq!(body["motivation"]["kind"], "financial");
    assert_eq!(body["severity"]["class"], "III");
    assert_eq!(body["severity"]["override"], Value::Null);
    let changed = last_change(&app).await;
    assert_eq!(changed["conclusion"]["after"], Value::Null);
    assert_eq!(changed["conclusion"]["before"]["significant"], true);
    assert!(changed.get("why").is_none(), "{changed}");

    // The same again changes nothing, and says so.
    let before = app.journal_len().await;
    let (status, body) = patch(
        &app,
        &n,
        &ian,
        json!({"how": null, "why": "macros were allowed"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(fields(&body), ["body"]);
    assert_eq!(app.journal_len().await, before);

    verify_records(&app);
}

async fn amounts_currencies_and_times_are_checked(app: TestApp) {
    let (poc, ian) = people(&app).await;
    let n = incident(&app, &poc, &ian, "ian", "Lost laptop").await;
    let before = app.journal_len().await;
    for (body, field) in [
        (
            json!({"recovery_cost_total": {"amount": -5}}),
            "recovery_cost_total.amount",
        ),
        (
            json!({"recovery_cost_total": {"amount": 5, "currency": "EURO"}}),
            "recovery_cost_total.currency",
        ),
        (
            json!({"recovery_cost_total": {"amount": "a lot"}}),
            "recovery_cost_total.amount",
        ),
        (
            json!({"recovery_cost_total": {"amount": 1.005}}),
            "recovery_cost_total.amount",
        ),
        (
            json!({"cia_impact": {"integrity": {"cost": {"amount": -1}}}}),
            "cia_impact.integrity.cost.amount",
        ),
        (
            json!({"cia_impact": {"integrity": {"value": {"amount": 3, "currency": "XYZ"}}}}),
            "cia_impact.integrity.value.currency",
        ),
        (
            json!({"conclusion": {"why": "no flag"}}),
            "conclusion.significant",
        ),
        (
            json!({"notified": [{"who": "CERT", "party": "nearby"}]}),
            "notified[0].party",
        ),
        (
            json!({"reported_at": "2099-01-01T00:00:00Z"}),
            "reported_at",
        ),
        (
            json!({"occurred_at": "2026-11-05T00:00:00Z", "discovered_at": "2026-11-04T00:00:00Z"}),
            "discovered_at",
        ),
        (
            json!({"investigation": {"started_at": "2026-11-05T00:00:00Z", "completed_at": "2026-11-04T00:00:00Z"}}),
            "investigation.completed_at",
        ),
        (json!({"rsit": {"class": "fraud", "type": "spam"}}), "rsit"),
    ] {
        let (status, problem) = patch(&app, &n, &ian, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{body}: {problem}");
    }
    assert_eq!(
        app.journal_len().await,
        before,
        "a refused patch journals nothing"
    );

    // Amounts sum by currency; the currency defaults to EUR.
    let (status, body) = patch(
        &app,
        &n,
        &ian,
        json!({"cia_impact": {"confidentiality": {"value": {"amount": 0.1}}, "integrity": {"value": {"amount": 0.2, "currency": "usd"}}}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["cia_impact"]["confidentiality"]["value"]["currency"],
        "EUR"
    );
    assert_eq!(body["cia_impact"]["integrity"]["value"]["currency"], "USD");
    verify_records(&app);
}

async fn related_incidents_link_and_unlink_one_at_a_time(app: TestApp) {
    let (poc, ian) = people(&app).await;
    let mia = app.user("mia", &[Role::IsirtMember]).await;
    let auditor = app.user("aud", &[Role::Auditor]).await;
    let a = incident(&app, &poc, &ian, "ian", "Phishing wave").await;
    let b = incident(&app, &poc, &ian, "ian", "Account takeover").await;
    let secret = incident(&app, &poc, &mia, "mia", "Insider case").await;
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/incidents/{secret}/restriction"),
            Some(&mia),
            Some(json!({"users": ["mia"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let link = |other: &str| json!({"incident": other});
    let path = format!("/api/v1/incidents/{a}/related");
    let body = app.post_ok(&path, &ian, link(&b), StatusCode::OK).await;
    assert_eq!(body["related_incidents"], json!([b]));
    let changed = last_change(&app).await;
    assert_eq!(
        changed["related_incidents"],
        json!({"before": [], "after": [b]})
    );

    let before = app.journal_len().await;
    for (other, why) in [
        (secret.as_str(), "restricted from ian"),
        ("INC-2026-0999", "does not exist"),
        (a.as_str(), "itself"),
        (b.as_str(), "already related"),
    ] {
        let (status, problem) = app.post(&path, &ian, link(other)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {problem}");
        assert_eq!(fields(&problem), ["incident"], "{why}: {problem}");
    }
    // The answer for a restricted incident is the answer for none at all.
    let (_, hidden) = app.post(&path, &ian, link(&secret)).await;
    let (_, missing) = app.post(&path, &ian, link("INC-2026-0999")).await;
    assert_eq!(
        hidden["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace(&secret, "N"),
        missing["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace("INC-2026-0999", "N")
    );
    // The whole list through PATCH is checked the same way.
    let (status, problem) = patch(&app, &a, &ian, json!({"related_incidents": [b, secret]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["related_incidents[1]"]);
    // Roles: an auditor may not relate incidents.
    let (status, _) = app.post(&path, &auditor, link(&b)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.journal_len().await, before);

    // mia may relate her restricted incident; ian is not told of it.
    let body = app
        .post_ok(&path, &mia, link(&secret), StatusCode::OK)
        .await;
    assert_eq!(body["related_incidents"], json!([b, secret]));
    let (_, seen) = app.get(&format!("/api/v1/incidents/{a}"), &ian).await;
    assert_eq!(seen["related_incidents"], json!([b]), "need-to-know");
    let (_, list) = app.get("/api/v1/incidents", &ian).await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["number"] == a.as_str())
        .unwrap();
    assert_eq!(
        listed["related_incidents"],
        json!([b]),
        "need-to-know in the register"
    );
    let unlink_secret = format!("/api/v1/incidents/{a}/related/{secret}");
    let (status, _) = app
        .call(Method::DELETE, &unlink_secret, Some(&mia), None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let unlink = format!("/api/v1/incidents/{a}/related/{b}");
    let (status, body) = app.call(Method::DELETE, &unlink, Some(&ian), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["related_incidents"], json!([]));
    let (status, problem) = app.call(Method::DELETE, &unlink, Some(&ian), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["incident"]);
    verify_records(&app);
}

async fn free_text_conclusions_of_earlier_records_still_read(app: TestApp) {
    let (poc, ian) = people(&app).await;
    let n = incident(&app, &poc, &ian, "ian", "Defaced web page").await;
    // Plain text is still taken: the conclusion's significance stays unstated.
    let (status, body) = patch(
        &app,
        &n,
        &ian,
        json!({"conclusion": "Contained quickly", "recovery_cost": "two days of work"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["conclusion"],
        json!({"significant": null, "why": "Contained quickly"})
    );
    // A record stored by an earlier version held the conclusion as text.
    app.raw_sql(&[&format!(
        "UPDATE incidents SET data = replace(data, '\"conclusion\":{{\"significant\":null,\"why\":\"Contained quickly\"}}', '\"conclusion\":\"Contained quickly\"') WHERE number = '{n}'"
    )])
    .await;
    let (status, body) = app.get(&format!("/api/v1/incidents/{n}"), &ian).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["conclusion"]["why"], "Contained quickly");
    assert_eq!(body["recovery_cost"], "two days of work");
    verify_records(&app);
}

async fn the_rsit_comes_from_the_assessment_unless_the_confirmation_names_one(app: TestApp) {
    let (poc, ian) = people(&app).await;
    let mut numbers = Vec::new();
    for title in ["Brute force on the VPN", "Scan of the DMZ"] {
        let e = reported_event(&app, &poc, title).await;
        app.post_ok(
            &format!("/api/v1/events/{e}/assessment"),
            &poc,
            json!({"decision": "possible_incident", "escalate": true,
                   "rsit": {"class": "intrusion-attempts", "type": "brute-force"}}),
            StatusCode::OK,
        )
        .await;
        numbers.push(e);
    }
    let confirm = |e: &str, rsit: Option<Value>| {
        let mut body = json!({"events": [e], "title": "t", "category": "technical_attack",
            "severity": {"system_importance": "ordinary", "business_loss": "minor", "social_impact": "minor"},
            "effort": "low", "coordinator": "ian"});
        if let Some(r) = rsit {
            body["rsit"] = r;
        }
        body
    };
    let from_assessment = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            confirm(&numbers[0], None),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(
        from_assessment["rsit"],
        json!({"class": "intrusion-attempts", "type": "brute-force"})
    );
    let named = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            confirm(
                &numbers[1],
                Some(json!({"class": "information-gathering", "type": "scanner"})),
            ),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(named["rsit"]["type"], "scanner");
    verify_records(&app);
}
