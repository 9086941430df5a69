//! The whole ISO/IEC 27035 story over real HTTP: report, triage, confirm,
//! respond, crisis, recover, close, learn lessons, and a journal that verifies.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

crate::on_both_backends!(
    the_lifecycle_end_to_end,
    vulnerabilities_have_their_own_track,
    anonymous_reporters_stay_hidden,
    reporters_see_their_report_not_its_handling
);

async fn the_lifecycle_end_to_end(app: TestApp) {
    let rita = app.user("rita", &[Role::Reporter]).await;
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let aud = app.user("aud", &[Role::Auditor]).await;

    // Detect and report: three sensor alerts and one person's report.
    let mut numbers = Vec::new();
    for i in 0..3 {
        let event = app
            .post_ok(
                "/api/v1/events",
                &pat,
                json!({
                    "title": format!("IDS: outbound beaconing {i}"),
                    "description": "periodic connections to a known C2 address",
                    "occurred_at": "2026-01-10T06:55:00Z",
                    "discovered_at": "2026-01-10T08:00:00+01:00",
                    "assets": [format!("srv-app-0{i}")],
                    "source": {"kind": "sensor", "name": "ids-1", "ref": format!("alert-{i}")},
                    "observables": [{"type": "ip", "value": "203.0.113.7"}],
                    "tlp": "AMBER"
                }),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(event["status"], "reported");
        assert_eq!(
            event["discovered_at"], "2026-01-10T07:00:00.000000Z",
            "offsets are normalised to UTC"
        );
        numbers.push(event["number"].as_str().unwrap().to_owned());
    }
    let person = app
        .post_ok(
            "/api/v1/events",
            &rita,
            json!({
                "title": "Odd pop-up asking for my password",
                "description": "After opening an invoice attachment a window asked for my credentials.",
                "how": "e-mail attachment", "why": "unknown",
                "impact": "I may have typed my password",
                "reporter": {"name": "Rita Reporter", "contact": "rita@example.org"},
                "source": {"kind": "person"}
            }),
            StatusCode::CREATED,
        )
        .await;
    numbers.push(person["number"].as_str().unwrap().to_owned());
    assert!(
        numbers[0].starts_with("EVT-") && numbers[0].ends_with("-000001"),
        "{numbers:?}"
    );
    assert!(numbers[3].ends_with("-000004"));

    // The reporter sees her own report only; the PoC sees all four, sensors filterable.
    let (_, mine) = app.get("/api/v1/events", &rita).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let (_, sensors) = app
        .get("/api/v1/events?source=sensor&status=reported", &pat)
        .await;
    assert_eq!(sensors["items"].as_array().unwrap().len(), 3);
    let (status, _) = app
        .get(&format!("/api/v1/events/{}", numbers[0]), &rita)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a reporter cannot read others' events"
    );

    // Assess: the PoC takes one into triage and calls it a false alarm; escalates the others.
    let e = app
        .post_ok(
            &format!("/api/v1/events/{}/triage", numbers[3]),
            &pat,
            json!({}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(e["status"], "triage");
    app.post_ok(
        &format!("/api/v1/events/{}/assessment", numbers[3]),
        &pat,
        json!({"decision": "false_alarm", "notes": "phishing simulation by IT"}),
        StatusCode::OK,
    )
    .await;
    for n in &numbers[..3] {
        let e = app
            .post_ok(
                &format!("/api/v1/events/{n}/assessment"),
                &pat,
                json!({"decision": "possible_incident", "escalate": true}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(e["status"], "escalated");
    }

    // Decide: the ISIRT confirms one incident from two events.
    let incident = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            json!({
                "events": [numbers[0], numbers[1]],
                "title": "Malware beaconing from application servers",
                "category": "malware",
                "severity": {"system_importance": "particularly_important", "business_loss": "especially_serious", "social_impact": "minor"},
                "effort": "high",
                "coordinator": "ian"
            }),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(incident["status"], "confirmed");
    assert_eq!(incident["severity"]["class"], "IV");
    assert_eq!(incident["severity"]["label"], "Emergency");
    assert_eq!(incident["severity"]["significant"], true);
    assert_eq!(incident["priority"], 3);
    let inc = incident["number"].as_str().unwrap().to_owned();
    assert!(inc.starts_with("INC-") && inc.ends_with("-0001"));
    let base = format!("/api/v1/incidents/{inc}");

    // ... and links the third.
    let linked = app
        .post_ok(
            &format!("{base}/events"),
            &ian,
            json!({"event": numbers[2]}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(linked["events"].as_array().unwrap().len(), 3);

    // The ISIRT overrides the computed class, with a justification the journal keeps beside it.
    let (status, patched) = app
        .call(reqwest::Method::PATCH, &base, Some(&ian), Some(json!({"severity_override": {"class": "III", "justification": "contained to test systems"}, "effort": "medium"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (
            patched["severity"]["class"].as_str(),
            patched["severity"]["computed_class"].as_str()
        ),
        (Some("III"), Some("IV"))
    );
    assert_eq!(patched["priority"], 5);
    let (_, journal) = app
        .get(&format!("/api/v1/journal?entity={inc}"), &aud)
        .await;
    let update = journal["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "incident.updated")
        .unwrap()
        .clone();
    assert_eq!(
        update["payload"]["changed"]["effort"],
        json!({"before": "high", "after": "medium"})
    );
    let (status, _) = app
        .call(
            reqwest::Method::PATCH,
            &base,
            Some(&ian),
            Some(json!({"severity_override": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "removing the override");

    // Respond, with the log and an action that needs the system owner's approval.
    app.post_ok(&format!("{base}/log"), &ian, json!({"action": "isolated srv-app-00 from the network", "decision": "contain first", "reason": "active C2", "tools": ["EDR console"]}), StatusCode::CREATED).await;
    let action = app.post_ok(&format!("{base}/actions"), &ian, json!({"what": "take srv-app-01 offline", "owner": "ops on-call", "requires_approval": true}), StatusCode::CREATED).await;
    let action_path = format!("{base}/actions/{}", action["id"]);
    let (status, problem) = app
        .call(
            reqwest::Method::PATCH,
            &action_path,
            Some(&ian),
            Some(json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(
        (status, crate::helpers::fields(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["approved_by".to_owned()]
        )
    );
    let (status, done) = app.call(reqwest::Method::PATCH, &action_path, Some(&ian), Some(json!({"approved_by": "system owner A. Admin", "status": "done", "outcome": "offline"}))).await;
    assert_eq!(
        (status, done["status"].as_str()),
        (StatusCode::OK, Some("done"))
    );

    for (to, extra) in [
        ("responding", json!({})),
        ("crisis", json!({})),
        ("responding", json!({})),
        ("recovering", json!({})),
        (
            "closed",
            json!({"resolution": "hosts reimaged, C2 blocked"}),
        ),
    ] {
        let mut body = json!({"to": to, "reason": format!("moving to {to}")});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let moved = app
            .post_ok(&format!("{base}/transitions"), &ian, body, StatusCode::OK)
            .await;
        assert_eq!(moved["status"], to);
    }

    // Learn lessons: a class IV incident needs its review before it is marked reviewed.
    let (status, problem) = app
        .post(
            &format!("{base}/transitions"),
            &mia,
            json!({"to": "reviewed", "reason": "done"}),
        )
        .await;
    assert_eq!(
        (status, crate::helpers::fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["review".to_owned()])
    );
    app.post_ok(
        &format!("{base}/review"),
        &ian,
        json!({"what_worked": "EDR isolation", "detection": "DNS logging would have caught it a day earlier",
               "communication_effective": true, "lessons": ["patch invoice parser", "alert on beaconing"],
               "improvements": [{"what": "enable DNS logging", "owner": "network team", "due": "2026-12-31T00:00:00Z"}]}),
        StatusCode::CREATED,
    )
    .await;
    let (status, _) = app
        .post(
            &format!("{base}/transitions"),
            &ian,
            json!({"to": "reviewed", "reason": "review held"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the ISIRT manager marks an incident reviewed"
    );
    let reviewed = app
        .post_ok(
            &format!("{base}/transitions"),
            &mia,
            json!({"to": "reviewed", "reason": "review held"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(reviewed["status"], "reviewed");

    // Reopening needs the manager and a reason; the incident goes back to responding.
    let (status, _) = app
        .post(
            &format!("{base}/transitions"),
            &ian,
            json!({"to": "responding", "reason": "reinfection"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let reopened = app
        .post_ok(
            &format!("{base}/transitions"),
            &mia,
            json!({"to": "responding", "reason": "reinfection seen on srv-app-02"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        (reopened["status"].as_str(), reopened["closed_at"].is_null()),
        (Some("responding"), true)
    );
    for (to, extra) in [("recovering", json!({})), ("closed", json!({}))] {
        let mut body = json!({"to": to, "reason": "second round done"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        app.post_ok(&format!("{base}/transitions"), &ian, body, StatusCode::OK)
            .await;
    }

    // The record holds it all.
    let (_, full) = app.get(&base, &ian).await;
    assert_eq!(full["linked_events"].as_array().unwrap().len(), 3);
    assert!(
        full["linked_events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] == "linked")
    );
    assert_eq!(full["resolution"], "hosts reimaged, C2 blocked");
    assert!(full["contained_at"].is_string() && full["closed_at"].is_string());
    let transitions = full["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "transition")
        .count();
    assert_eq!(transitions, 9);
    let (_, review) = app.get(&format!("{base}/review"), &aud).await;
    assert_eq!(review["lessons"][1], "alert on beaconing");
    let (_, false_alarm) = app
        .get(&format!("/api/v1/events/{}", numbers[3]), &pat)
        .await;
    assert_eq!(false_alarm["status"], "false_alarm");
    let (_, register) = app
        .get("/api/v1/incidents?class=IV&category=malware", &aud)
        .await;
    assert_eq!(register["items"][0]["number"], inc.as_str());

    // The journal: readable by the auditor, filterable, and it verifies from the command line.
    let (_, journal) = app
        .get(&format!("/api/v1/journal?entity={inc}"), &aud)
        .await;
    let actions: Vec<&str> = journal["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.first(), Some(&"incident.confirmed"));
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "incident.transition")
            .count(),
        9
    );
    let (status, _) = app.get("/api/v1/journal", &ian).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let out = app.cli(&["journal", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "verify failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = app.journal_len().await;
    assert!(
        stdout.starts_with(&format!("OK {count} entries, head ")),
        "{stdout}"
    );
}

async fn vulnerabilities_have_their_own_track(app: TestApp) {
    let rita = app.user("rita", &[Role::Reporter]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let v = app.post_ok("/api/v1/vulnerabilities", &rita, json!({"title": "Printer admin page has default password", "description": "admin/admin works", "assets": ["printer-3"]}), StatusCode::CREATED).await;
    assert_eq!(v["status"], "reported");
    let n = v["number"].as_str().unwrap().to_owned();
    assert!(n.starts_with("VUL-") && n.ends_with("-0001"));
    let base = format!("/api/v1/vulnerabilities/{n}");
    app.post_ok(
        &format!("{base}/assessment"),
        &ian,
        json!({"outcome": "under_assessment"}),
        StatusCode::OK,
    )
    .await;
    let confirmed = app
        .post_ok(
            &format!("{base}/assessment"),
            &ian,
            json!({"outcome": "confirmed", "notes": "reproduced"}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(confirmed["status"], "confirmed");
    let (status, _) = app.post(&format!("{base}/resolution"), &ian, json!({"outcome": "accepted", "justification": "printer retired soon", "until": "2099-01-01T00:00:00Z"})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "accepting risk is the ISIRT manager's call"
    );
    let resolved = app.post_ok(&format!("{base}/resolution"), &ian, json!({"outcome": "resolved", "how": "password changed, admin page restricted", "authorised_by": "facilities manager"}), StatusCode::OK).await;
    assert_eq!(resolved["status"], "resolved");
    let (status, problem) = app
        .post(
            &format!("{base}/resolution"),
            &mia,
            json!({"outcome": "accepted", "justification": "x", "until": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (status, problem["current"].as_str()),
        (StatusCode::CONFLICT, Some("resolved"))
    );
    let (_, list) = app
        .get("/api/v1/vulnerabilities?status=resolved&text=printer", &ian)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

async fn anonymous_reporters_stay_hidden(app: TestApp) {
    let rita = app.user("rita", &[Role::Reporter]).await;
    let pat = app.user("pat", &[Role::Poc]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let aud = app.user("aud", &[Role::Auditor]).await;
    let e = app.post_ok("/api/v1/events", &rita, json!({"title": "My manager shares passwords", "description": "on a sticky note", "anonymous": true}), StatusCode::CREATED).await;
    let path = format!("/api/v1/events/{}", e["number"].as_str().unwrap());
    let (_, seen_by_poc) = app.get(&path, &pat).await;
    assert!(
        seen_by_poc["reporter"].is_null() && seen_by_poc["submitted_by"].is_null(),
        "{seen_by_poc}"
    );
    let (_, seen_by_manager) = app.get(&path, &mia).await;
    assert_eq!(seen_by_manager["submitted_by"], "rita");
    let (_, journal) = app
        .get(
            &format!("/api/v1/journal?entity={}", e["number"].as_str().unwrap()),
            &aud,
        )
        .await;
    assert_eq!(journal["items"].as_array().unwrap().len(), 1);
    let text = journal.to_string();
    assert!(
        !text.contains("rita"),
        "the journal names an anonymous reporter: {text}"
    );
    assert!(text.contains("\"actor\":\"anonymous\""));
}

async fn reporters_see_their_report_not_its_handling(app: TestApp) {
    let (rita, browser) = crate::web::person(&app, "rita", &[Role::Reporter]).await;
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let number = app
        .post_ok(
            "/api/v1/events",
            &rita,
            json!({"title": "Colleague copies files to a USB stick",
                   "description": "late at night, the whole share",
                   "observables": [{"type": "ip", "value": "198.51.100.4"}]}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_ok(
        &format!("/api/v1/events/{number}/triage"),
        &pat,
        json!({}),
        StatusCode::OK,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/events/{number}/assessment"),
        &pat,
        json!({"decision": "possible_incident", "escalate": true,
               "notes": "possible insider data exfiltration", "category": "malware"}),
        StatusCode::OK,
    )
    .await;
    let incident = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            json!({"events": [number], "title": "Data taken out on removable media",
                   "category": "malware",
                   "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
                   "effort": "low", "coordinator": "ian"}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();

    // The point of contact reads the whole handling.
    let (_, handled) = app.get(&format!("/api/v1/events/{number}"), &pat).await;
    assert_eq!(
        handled["assessment"]["notes"], "possible insider data exfiltration",
        "{handled}"
    );
    assert_eq!(handled["incident"], incident.as_str());

    // The reporter reads what they reported and where it stands, nothing more.
    for path in [
        format!("/api/v1/events/{number}"),
        "/api/v1/events".to_owned(),
    ] {
        let (status, body) = app.get(&path, &rita).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let text = body.to_string();
        for secret in [
            "insider",
            "exfiltration",
            incident.as_str(),
            "\"by\":\"pat\"",
        ] {
            assert!(!text.contains(secret), "{path} shows {secret}: {body}");
        }
        assert!(text.contains("Colleague copies files"), "{body}");
    }
    let (_, own) = app.get(&format!("/api/v1/events/{number}"), &rita).await;
    assert_eq!(own["status"], handled["status"]);
    for hidden in ["triage", "assessment", "rejection", "proposal", "incident"] {
        assert!(own[hidden].is_null(), "{hidden}: {own}");
    }
    assert_eq!(own["related"], json!([]));

    // The same on the web: the event page shows the report and its status.
    let page = browser.get(&format!("/events/{number}")).await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains("Colleague copies files"));
    for secret in ["insider", "exfiltration", incident.as_str()] {
        assert!(!page.body.contains(secret), "the page shows {secret}");
    }
}
