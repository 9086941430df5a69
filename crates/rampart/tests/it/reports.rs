//! The signed reports of Annex D, on both backends. A fully filled
//! incident's PDF carries every field (read back with `pdftotext`), the
//! HTML and Markdown the same; `rampart report verify` says OK, and BROKEN
//! once one byte changes or another key is trusted. Each report is
//! journaled with the SHA-256 of the file it was; roles that may not read a
//! record get no report of it.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::evidence::upload;
use crate::helpers::{TestApp, escalated_event, incident};

crate::on_both_backends!(
    a_fully_filled_incident_report_carries_every_field_and_its_seal,
    event_and_vulnerability_reports_follow_their_forms
);

/// Downloads a report; returns the status, the content type and the bytes.
pub(crate) async fn report(
    app: &TestApp,
    token: &str,
    path: &str,
) -> (StatusCode, String, Vec<u8>) {
    let answer = app
        .client
        .get(format!("http://{}/api/v1{path}", app.addr))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let kind = answer
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, answer.bytes().await.unwrap().to_vec())
}

/// The text of a PDF as `pdftotext` reads it, whitespace and the
/// zero-width break hints folded away.
pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils) reads the PDF");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fold(&String::from_utf8(out.stdout).unwrap())
}

/// Whether the words of `want` appear in `text` in order, as the PDF's
/// text flows: a value wrapped in a table cell comes back with the words
/// of the cells beside it between its lines (a few words apart), and a
/// long run broken across lines (a hash) in pieces.
pub(crate) fn reads(text: &str, want: &str) -> bool {
    const GAP: usize = 12;
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let want: Vec<&str> = want.split_whitespace().collect();
    // The token index after `w` when it starts at `j`, glued from pieces.
    let glue = |j: usize, w: &str| -> Option<usize> {
        let mut c = String::new();
        let mut k = j;
        while c.len() < w.len() && k < tokens.len() {
            c.push_str(tokens[k]);
            k += 1;
            if !w.starts_with(c.as_str()) && !c.starts_with(w) {
                return None;
            }
        }
        c.starts_with(w).then_some(k)
    };
    (0..tokens.len()).any(|start| {
        let mut at = start;
        want.iter().enumerate().all(|(n, w)| {
            let last = if n == 0 {
                at + 1
            } else {
                (at + GAP).min(tokens.len())
            };
            match (at..last).find_map(|j| glue(j, w)) {
                Some(next) => {
                    at = next;
                    true
                }
                None => false,
            }
        })
    })
}

fn fold(text: &str) -> String {
    text.replace('\u{200b}', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `rampart report verify` on `bytes`; returns success and what it said.
pub(crate) fn verify(bytes: &[u8], keys: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report");
    std::fs::write(&path, bytes).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.args(["report", "verify"]).arg(&path);
    for k in keys {
        cmd.args(["--key", k]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Fills every part of incident `n`: the record's fields, a log entry, a
/// response action, an observable, an evidence item, a communication and,
/// once closed, the review.
async fn fill(app: &TestApp, ian: &str, mia: &str, n: &str) {
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
        "perpetrator": {"kind": "group", "description": "known ransomware crew"},
        "motivation": {"kind": "financial", "description": "ransom demand of 5 BTC"},
        "investigation": {"started_at": "2026-11-02T08:00:00Z", "completed_at": "2026-11-09T17:00:00Z",
                          "investigators": ["ian", "Outside forensics Ltd"], "report_reference": "FOR-2026-17"},
        "conclusion": {"significant": true, "why": "customer data was read"},
        "notified": [
            {"who": "Data protection officer", "party": "internal", "at": "2026-11-01T12:00:00Z", "note": "by phone"},
            {"who": "National CSIRT", "party": "external"},
        ],
        "assets": ["file server fs01", "HR share"],
        "impact": "payroll delayed by a day",
    });
    let (status, body) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/incidents/{n}"),
            Some(ian),
            Some(full),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.post_ok(
        &format!("/api/v1/incidents/{n}/log"),
        ian,
        json!({"action": "Isolated fs01 from the network", "decision": "isolate before imaging",
               "reason": "encryption still spreading", "tools": ["EDR console"],
               "occurred_at": "2026-11-01T10:15:00Z"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/incidents/{n}/actions"),
        ian,
        json!({"what": "Restore the HR share from the Sunday backup", "owner": "storage team",
               "due": "2026-11-03T09:00:00Z"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/incidents/{n}/observables"),
        ian,
        json!({"type": "domain", "value": "invoice-portal.test", "tlp": "AMBER", "ioc": true,
               "note": "sender of the phishing mail"}),
        StatusCode::CREATED,
    )
    .await;
    upload(
        app,
        ian,
        n,
        "mail.eml",
        b"From: attacker@invoice-portal.test\r\n\r\nPay now",
    )
    .await;
    app.post_ok(
        &format!("/api/v1/incidents/{n}/communications"),
        ian,
        json!({"audience": "direct_internal", "other_recipients": ["Board of directors"],
               "channel": "email", "subject": "File server outage explained",
               "content": "The HR share is being restored.", "tlp": "AMBER"}),
        StatusCode::CREATED,
    )
    .await;
    for to in ["responding", "recovering", "closed"] {
        app.post_ok(
            &format!("/api/v1/incidents/{n}/transitions"),
            ian,
            json!({"to": to, "reason": "moving on", "resolution": "restored from backup, macros blocked"}),
            StatusCode::OK,
        )
        .await;
    }
    app.post_ok(
        &format!("/api/v1/incidents/{n}/review"),
        mia,
        json!({"held_at": "2026-11-12T10:00:00Z", "what_worked": "Fast isolation by the EDR",
               "detection": "An alert on mass renames", "response": "A ready restore runbook",
               "recovery": "Tested backups", "communication_effective": true,
               "communication_notes": "The board heard it from us first",
               "lessons": ["Block Office macros from the internet"],
               "improvements": [{"what": "Block macros by group policy", "owner": "desktop team",
                                 "due": "2026-12-01T00:00:00Z"}]}),
        StatusCode::CREATED,
    )
    .await;
}

async fn a_fully_filled_incident_report_carries_every_field_and_its_seal(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let rita = app.user("rita", &[Role::Reporter]).await;
    let n = incident(&app, &pat, &ian, "ian", "Ransomware on the file server").await;
    fill(&app, &ian, &mia, &n).await;
    let (_, incident) = app.get(&format!("/api/v1/incidents/{n}"), &ian).await;
    let (_, evidence) = app
        .get(&format!("/api/v1/incidents/{n}/evidence"), &ian)
        .await;
    let sha = evidence["items"][0]["content"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let evd = evidence["items"][0]["number"].as_str().unwrap().to_owned();
    let event = incident["events"][0].as_str().unwrap().to_owned();

    // Every field of the record, as the report writes it.
    let expected = [
        n.as_str(),
        "Ransomware on the file server",
        "INFORMATION SECURITY INCIDENT REPORT",
        "TLP:AMBER",
        event.as_str(),
        "phishing mail with a macro",
        "macros were allowed",
        "file server fs01, HR share",
        "payroll delayed by a day",
        "2026-11-01 08:00:00 UTC",
        "2026-11-01 09:30:00 UTC",
        "malicious-code / infected-system",
        "HR share read; value EUR 12,000.50; cost EUR 800.00",
        "file server down 2 days; cost EUR 4,300.25",
        "EUR 15,100.75",
        "overtime of two admins",
        "group",
        "known ransomware crew",
        "financial",
        "ransom demand of 5 BTC",
        "Isolated fs01 from the network",
        "isolate before imaging — because encryption still spreading",
        "EDR console",
        "Restore the HR share from the Sunday backup",
        "storage team",
        "2026-11-03 09:00:00",
        "invoice-portal.test",
        evd.as_str(),
        sha.as_str(),
        "Raw mail of the phishing message",
        "mailbox of rita@example.org",
        "mail export 2.1",
        "evidence locker 3",
        "File server outage explained",
        "Board of directors",
        "Data protection officer",
        "National CSIRT",
        "by phone",
        "Outside forensics Ltd",
        "FOR-2026-17",
        "2026-11-09 17:00:00 UTC",
        "customer data was read",
        "restored from backup, macros blocked",
        "Fast isolation by the EDR",
        "An alert on mass renames",
        "A ready restore runbook",
        "Tested backups",
        "The board heard it from us first",
        "Block Office macros from the internet",
        "Block macros by group policy",
        "desktop team",
        "2026-11-12 10:00:00 UTC",
    ];

    let seq_before = app.journal_len().await;
    let (status, kind, pdf) = report(&app, &ian, &format!("/incidents/{n}/report/pdf")).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(kind, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    // Kept beside the screenshots, to be looked at.
    let shots = crate::browser::shots_dir();
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(
        shots.join(format!("incident-report-{:?}.pdf", app.backend).to_lowercase()),
        &pdf,
    )
    .unwrap();
    let text = pdf_text(&pdf);
    for want in expected {
        assert!(reads(&text, want), "the PDF lacks `{want}`:\n{text}");
    }
    // The marking on every page, and the footer's provenance.
    let pages = text.matches("Page ").count();
    assert!(pages >= 2, "{text}");
    assert!(text.matches("TLP:AMBER").count() > 2 * pages, "{text}");
    assert!(
        text.contains(&format!("from journal entry {seq_before}")),
        "{text}"
    );
    let (ok, said) = verify(&pdf, &[]);
    assert!(
        ok && said.starts_with(&format!("OK {n}: incident report")),
        "{said}"
    );
    assert!(
        said.contains(&format!("journal entry {seq_before}")),
        "{said}"
    );

    // The key it names is the installation's; another key is refused.
    let key = app.cli(&["journal", "key"]);
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    assert_eq!(key.len(), 64, "{key}");
    assert!(verify(&pdf, &[&key]).0);
    let (ok, said) = verify(&pdf, &[&"0".repeat(64)]);
    assert!(
        !ok && said.contains("not one of the trusted keys"),
        "{said}"
    );

    // One byte changed, anywhere: BROKEN.
    for at in [pdf.len() / 3, pdf.len() / 2, pdf.len() - 40] {
        let mut bad = pdf.clone();
        bad[at] ^= 0x20;
        let (ok, said) = verify(&bad, &[]);
        assert!(!ok && said.starts_with("BROKEN"), "byte {at}: {said}");
    }

    // Journaled with the file's hash and the entry it was made from.
    assert_eq!(
        app.changes_after(seq_before).await,
        ["incident.report_issued"]
    );
    let (_, entries) = app
        .get(&format!("/api/v1/journal?after={seq_before}"), &app.admin)
        .await;
    let issued = &entries["items"][0]["payload"];
    assert_eq!(issued["format"], "pdf", "{entries}");
    assert_eq!(issued["sha256"], hex::encode(Sha256::digest(&pdf)));
    assert_eq!(issued["made_from"], json!(seq_before));

    // HTML and Markdown carry the same fields, escaped, under the same seal.
    for (form, media) in [("html", "text/html"), ("markdown", "text/markdown")] {
        let (status, kind, bytes) =
            report(&app, &ian, &format!("/incidents/{n}/report/{form}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.starts_with(media), "{kind}");
        let text = String::from_utf8(bytes.clone()).unwrap();
        std::fs::write(
            shots.join(format!("incident-report-{:?}.{form}", app.backend).to_lowercase()),
            &bytes,
        )
        .unwrap();
        for want in [
            "Ransomware on the file server",
            sha.as_str(),
            "FOR-2026-17",
            evd.as_str(),
        ] {
            assert!(text.contains(want), "{form} lacks `{want}`");
        }
        assert!(verify(&bytes, &[&key]).0, "{form}");
        let mut bad = bytes.clone();
        bad[bytes.len() / 2] ^= 0x01;
        assert!(!verify(&bad, &[]).0, "{form}");
    }

    // A role that may not read the incident gets no report; an unknown
    // form or number is no report; nothing is journaled for them.
    let before = app.journal_len().await;
    for (token, path, status) in [
        (
            &rita,
            format!("/incidents/{n}/report/pdf"),
            StatusCode::FORBIDDEN,
        ),
        (
            &ian,
            format!("/incidents/{n}/report/docx"),
            StatusCode::NOT_FOUND,
        ),
        (
            &ian,
            "/incidents/INC-2026-9999/report/pdf".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            &ian,
            "/incidents/nonsense/report/html".to_owned(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (got, _, body) = report(&app, token, &path).await;
        assert_eq!(got, status, "{path}: {}", String::from_utf8_lossy(&body));
    }
    assert_eq!(app.journal_len().await, before);

    // The records still replay.
    let records = app.cli(&["journal", "verify", "--records"]);
    assert!(
        records.status.success(),
        "{}",
        String::from_utf8_lossy(&records.stdout)
    );
}

async fn event_and_vulnerability_reports_follow_their_forms(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let rita = app.user("rita", &[Role::Reporter]).await;
    let n = escalated_event(&app, &pat, "Odd login from abroad").await;
    let (status, _, pdf) = report(&app, &pat, &format!("/events/{n}/report/pdf")).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    let shots = crate::browser::shots_dir();
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("event-report.pdf"), &pdf).unwrap();
    let text = pdf_text(&pdf);
    for want in [
        "INFORMATION SECURITY EVENT REPORT",
        n.as_str(),
        "Odd login from abroad",
        "Point of contact's assessment",
        "Not recorded",
    ] {
        assert!(
            text.contains(want),
            "the event report lacks `{want}`:\n{text}"
        );
    }
    assert!(verify(&pdf, &[]).0);
    // A reporter may not read the handling of events.
    let (status, _, _) = report(&app, &rita, &format!("/events/{n}/report/html")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let v = app
        .post_ok(
            "/api/v1/vulnerabilities",
            &rita,
            json!({"title": "Printer admin page without password", "description": "Anyone on the LAN can change the printer's settings.",
                   "assets": ["printer PR-7"], "reference": "CVE-2026-0001"}),
            StatusCode::CREATED,
        )
        .await;
    let v = v["number"].as_str().unwrap().to_owned();
    // The reporter reads back the status, never a report of the handling.
    let (status, _, _) = report(
        &app,
        &rita,
        &format!("/vulnerabilities/{v}/report/markdown"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let seq = app.journal_len().await;
    let (status, _, md) =
        report(&app, &ian, &format!("/vulnerabilities/{v}/report/markdown")).await;
    assert_eq!(status, StatusCode::OK);
    let md = String::from_utf8(md).unwrap();
    for want in [
        "# Information security vulnerability report",
        "Printer admin page without password",
        "CVE-2026-0001",
        "printer PR-7",
        "*Not recorded*",
    ] {
        assert!(
            md.contains(want),
            "the vulnerability report lacks `{want}`:\n{md}"
        );
    }
    let journal: Value = app
        .get(&format!("/api/v1/journal?after={seq}"), &app.admin)
        .await
        .1;
    assert_eq!(
        journal["items"][0]["payload"]["format"], "markdown",
        "{journal}"
    );
}
