//! `rampart journal verify --records`: every record is what its journal
//! entries say. An installation used through every kind of change verifies;
//! records edited, re-pointed, deleted or inserted by SQL behind the
//! journal's back are named, and the command exits 1.

use std::path::Path;
use std::sync::Arc;

use rampart_app::people::SignIn;
use rampart_domain::{Actor, Clock, Role, SystemClock};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::evidence::upload;
use crate::helpers::{Backend, PASSWORD, TestApp, copy_dir, escalated_event, incident};
use crate::on_both_backends;

on_both_backends!(
    a_full_lifecycle_verifies_and_edits_are_named,
    evidence_repointed_by_sql_is_named,
    deleted_and_inserted_rows_are_named,
);

/// Runs `journal verify --records`; returns the exit status and standard output.
fn verify_records(app: &TestApp) -> (i32, String) {
    let out = app.cli(&["journal", "verify", "--records"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{stderr}");
    (out.status.code().unwrap(), stdout)
}

fn lines_naming<'a>(stdout: &'a str, record: &str) -> Vec<&'a str> {
    let prefix = format!("DIFFERS {record}: ");
    stdout.lines().filter(|l| l.starts_with(&prefix)).collect()
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let (status, json) = app.call(Method::PUT, path, Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "PUT {path}: {json}");
    json
}

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let (status, json) = app.call(Method::PATCH, path, Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "PATCH {path}: {json}");
    json
}

async fn session(app: &TestApp, name: &str) -> rampart_store::Session {
    match app
        .service
        .sign_in(name, PASSWORD, "192.0.2.1", None)
        .await
        .unwrap()
    {
        SignIn::Session { session, .. } => *session,
        SignIn::Refused(r) => panic!("{r:?}"),
    }
}

/// Every kind of record, through the changes each can go through.
async fn full_lifecycle(app: &TestApp) -> (String, String) {
    let system = Actor::system();
    let poc = app.account("pat", &[Role::Poc]).await;
    let ian = app
        .account("ian", &[Role::IsirtMember, Role::IsirtManager])
        .await;
    let rita = app.user("rita", &[Role::Reporter]).await;
    let admin = app.admin.clone();
    let ok = StatusCode::OK;

    // Users and tokens: roles, disabling, a revoked token, second factors,
    // passwords set by an admin and changed by their owner.
    let spare = app.service.create_token(&system, "rita").await.unwrap().0;
    let admin_actor = Actor::new("admin", vec![Role::Admin]);
    app.service
        .revoke_token(&admin_actor, &spare.id)
        .await
        .unwrap();
    app.service
        .update_user(
            &admin_actor,
            "rita",
            Some(vec![Role::Reporter, Role::Auditor]),
            None,
        )
        .await
        .unwrap();
    app.service
        .update_user(&admin_actor, "rita", None, Some(true))
        .await
        .unwrap();
    app.service
        .update_user(&admin_actor, "rita", None, Some(false))
        .await
        .unwrap();
    app.service
        .require_totp(&admin_actor, "pat", true)
        .await
        .unwrap();
    // pat must enrol a second factor at the next sign-in.
    let mut pat = session(app, "pat").await;
    let secret = app.service.begin_totp(&pat).await.unwrap();
    pat.pending_totp = Some(secret.clone());
    let now = u64::try_from(SystemClock.now().as_offset().unix_timestamp()).unwrap();
    let code = rampart_app::auth::totp_code(&secret, "pat", now).unwrap();
    app.service
        .confirm_totp(&pat, &code, "192.0.2.1")
        .await
        .unwrap();
    app.service.reset_totp(&admin_actor, "pat").await.unwrap();
    app.service
        .require_totp(&admin_actor, "pat", false)
        .await
        .unwrap();
    let ian_session = session(app, "ian").await;
    app.service
        .change_password(
            &ian_session,
            PASSWORD,
            "a different horse battery",
            "192.0.2.1",
        )
        .await
        .unwrap();
    app.service
        .set_password(&system, "ian", PASSWORD)
        .await
        .unwrap();

    // Events: reported, triaged, assessed, rejected, anonymous, repeated.
    let first = escalated_event(app, &poc, "Phishing wave").await;
    let second = crate::helpers::reported_event(app, &poc, "Odd login").await;
    app.post_ok(
        &format!("/api/v1/events/{second}/triage"),
        &poc,
        json!({}),
        ok,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/events/{second}/assessment"),
        &poc,
        json!({"decision": "false_alarm", "notes": "a tester"}),
        ok,
    )
    .await;
    let third = escalated_event(app, &poc, "Port scan").await;
    app.post_ok(
        &format!("/api/v1/events/{third}/rejection"),
        &ian,
        json!({"reason": "a scheduled scan"}),
        ok,
    )
    .await;
    app.post_ok(
        "/api/v1/events",
        &rita,
        json!({"title": "My laptop was stolen", "description": "on the train", "anonymous": true}),
        StatusCode::CREATED,
    )
    .await;
    let alert = json!({"title": "IDS: beacon", "description": "ids-1", "assets": ["srv-app-01"],
        "source": {"kind": "sensor", "name": "ids-1", "ref": "a-77"},
        "observables": [{"type": "ip", "value": "203.0.113.9"}]});
    app.post_ok("/api/v1/events", &poc, alert.clone(), StatusCode::CREATED)
        .await;
    let (status, repeat) = app.post("/api/v1/events", &poc, alert).await;
    assert!(status.is_success(), "{repeat}");
    let sensor = repeat["number"].as_str().unwrap().to_owned();
    app.post_ok(
        &format!("/api/v1/events/{sensor}/assessment"),
        &poc,
        json!({"decision": "possible_incident"}),
        ok,
    )
    .await;

    // The incident, through its whole life.
    let inc = app
        .post_ok(
            "/api/v1/incidents",
            &ian,
            json!({"events": [first], "title": "Credential phishing", "category": "malware",
                   "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
                   "effort": "low", "coordinator": "ian"}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = format!("/api/v1/incidents/{inc}");
    patch(
        app,
        &base,
        &ian,
        json!({"title": "Credential phishing wave", "effort": "medium",
        "perpetrator": {"kind": "group", "description": "known crew"}}),
    )
    .await;
    app.post_ok(
        &format!("{base}/events"),
        &ian,
        json!({"event": sensor}),
        ok,
    )
    .await;
    app.post_ok(
        &format!("{base}/log"),
        &ian,
        json!({"action": "blocked the sender", "tools": ["mail filter"]}),
        StatusCode::CREATED,
    )
    .await;
    let action = app
        .post_ok(
            &format!("{base}/actions"),
            &ian,
            json!({"what": "reset passwords", "owner": "helpdesk", "requires_approval": true}),
            StatusCode::CREATED,
        )
        .await;
    patch(
        app,
        &format!("{base}/actions/{}", action["id"]),
        &ian,
        json!({"approved_by": "CISO", "status": "done", "outcome": "all reset"}),
    )
    .await;
    for body in [
        json!({"to": "responding", "reason": "on it"}),
        json!({"to": "recovering", "reason": "contained", "contained_at": "2026-01-02T03:04:05Z"}),
        json!({"to": "closed", "reason": "done", "resolution": "mail blocked", "impact_ended_at": "2026-01-03T00:00:00Z"}),
    ] {
        app.post_ok(&format!("{base}/transitions"), &ian, body, ok)
            .await;
    }
    app.post_ok(
        &format!("{base}/review"),
        &ian,
        json!({"lessons": ["train staff"], "what_worked": "quick blocking"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        &format!("{base}/transitions"),
        &ian,
        json!({"to": "reviewed", "reason": "review held"}),
        ok,
    )
    .await;
    app.post_ok(
        &format!("{base}/transitions"),
        &ian,
        json!({"to": "responding", "reason": "it came back"}),
        ok,
    )
    .await;
    put(
        app,
        &format!("{base}/restriction"),
        &ian,
        json!({"users": ["ian"]}),
    )
    .await;

    // A vulnerability found during it.
    let vul = app
        .post_ok(
            "/api/v1/vulnerabilities",
            &ian,
            json!({"title": "open relay", "description": "the gateway relays mail", "incident": inc}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    for outcome in ["under_assessment", "confirmed"] {
        app.post_ok(
            &format!("/api/v1/vulnerabilities/{vul}/assessment"),
            &ian,
            json!({"outcome": outcome, "notes": "checked"}),
            ok,
        )
        .await;
    }
    app.post_ok(
        &format!("/api/v1/vulnerabilities/{vul}/resolution"),
        &ian,
        json!({"outcome": "resolved", "how": "relay closed", "authorised_by": "CISO"}),
        ok,
    )
    .await;

    // Evidence, and its chain of custody.
    let item = upload(
        app,
        &ian,
        &inc,
        "mail.eml",
        b"From: attacker\r\n\r\nclick here",
    )
    .await;
    let evd = item["number"].as_str().unwrap().to_owned();
    let resp = app
        .client
        .get(format!("http://{}/api/v1/evidence/{evd}/content", app.addr))
        .bearer_auth(&ian)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), ok);
    resp.bytes().await.unwrap();
    app.post_ok(
        &format!("/api/v1/evidence/{evd}/verification"),
        &ian,
        json!({}),
        ok,
    )
    .await;
    app.post_ok(
        &format!("/api/v1/evidence/{evd}/transfers"),
        &ian,
        json!({"to": "officer k", "reason": "police", "location": "bag 7"}),
        ok,
    )
    .await;
    put(
        app,
        &format!("/api/v1/evidence/{evd}/hold"),
        &ian,
        json!({"hold": true, "reason": "court order"}),
    )
    .await;
    put(
        app,
        &format!("/api/v1/evidence/{evd}/hold"),
        &ian,
        json!({"hold": false, "reason": "case closed"}),
    )
    .await;
    let other = upload(app, &ian, &inc, "disk.img", b"another content altogether").await;
    app.post_ok(
        &format!(
            "/api/v1/evidence/{}/disposal",
            other["number"].as_str().unwrap()
        ),
        &ian,
        json!({"reason": "retention"}),
        ok,
    )
    .await;

    // Into a bundle; then the content is damaged and the re-hash raises the alarm.
    let resp = app
        .client
        .get(format!("http://{}{base}/evidence/bundle", app.addr))
        .bearer_auth(&ian)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), ok);
    resp.bytes().await.unwrap();
    app.tamper(item["content"]["sha256"].as_str().unwrap(), 3);
    let checked = app
        .post_ok(
            &format!("/api/v1/evidence/{evd}/verification"),
            &ian,
            json!({}),
            ok,
        )
        .await;
    assert_eq!(checked["last_check"]["intact"], false);

    // The categorization rules.
    put(
        app,
        "/api/v1/intake/rules",
        &admin,
        json!({"version": 0, "rules": [
        {"name": "beacons", "source": "ids-1", "category": "malware"}]}),
    )
    .await;
    (inc, evd)
}

/// Every action that changes a record.
const ACTIONS: [&str; 40] = [
    "event.reported",
    "event.repeated",
    "event.triage",
    "event.assessed",
    "event.rejected",
    "event.linked",
    "incident.confirmed",
    "incident.updated",
    "incident.event_linked",
    "incident.transition",
    "incident.log",
    "incident.action_added",
    "incident.action_updated",
    "incident.review",
    "incident.restricted",
    "vulnerability.reported",
    "vulnerability.assessed",
    "vulnerability.resolution",
    "evidence.collected",
    "evidence.downloaded",
    "evidence.verified",
    "evidence.exported",
    "evidence.integrity_failed",
    "evidence.transferred",
    "evidence.hold_placed",
    "evidence.hold_released",
    "evidence.disposed",
    "user.created",
    "user.roles_changed",
    "user.disabled",
    "user.enabled",
    "user.password_set",
    "user.totp_required",
    "user.totp_reset",
    "auth.totp_enrolled",
    "auth.password_changed",
    "token.created",
    "token.revoked",
    "intake.rules_changed",
    "auth.login",
];

async fn a_full_lifecycle_verifies_and_edits_are_named(app: TestApp) {
    let (inc, _) = full_lifecycle(&app).await;
    let journal = app
        .store
        .journal(&rampart_store::JournalQuery {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    for action in ACTIONS {
        assert!(
            journal.iter().any(|e| e.action == action),
            "the lifecycle writes no {action}"
        );
    }
    let (code, stdout) = verify_records(&app);
    assert_eq!(code, 0, "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with("OK ") && last.contains("records agree with the journal"),
        "{stdout}"
    );
    for kind in [
        "5 events",
        "1 incident",
        "1 vulnerability",
        "2 evidence items",
        "4 users",
        "2 sets of credentials",
        "4 API tokens",
        "1 rule table",
    ] {
        assert!(last.contains(kind), "{kind}: {last}");
    }
    // Plain verify is unchanged: one line, the chain.
    let out = app.cli(&["journal", "verify"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);

    // An incident's title and a user's roles, edited by SQL.
    app.raw_sql(&[
        &format!("UPDATE incidents SET data = replace(data, '\"title\":\"Credential phishing wave\"', '\"title\":\"Nothing happened\"') WHERE number = '{inc}'"),
        "UPDATE users SET data = replace(data, '\"roles\":[\"poc\"]', '\"roles\":[\"admin\"]') WHERE name = 'pat'",
    ])
    .await;
    let (code, stdout) = verify_records(&app);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        lines_naming(&stdout, &inc),
        [format!(
            "DIFFERS {inc}: title (stored \"Nothing happened\", journal \"Credential phishing wave\")"
        )],
        "{stdout}"
    );
    assert_eq!(
        lines_naming(&stdout, "user:pat"),
        ["DIFFERS user:pat: roles (stored [\"admin\"], journal [\"poc\"])"],
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("DIFFERS")).count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("BROKEN 2 of the records")
    );

    // A password hash swapped for one the intruder knows: named, never shown.
    app.raw_sql(&["UPDATE credentials SET data = replace(data, '$argon2id$', '$argon2id$x') WHERE user_name = 'ian'"]).await;
    let (_, stdout) = verify_records(&app);
    assert_eq!(
        lines_naming(&stdout, "credentials:ian"),
        ["DIFFERS credentials:ian: password_hash (not the one the journal recorded)"],
        "{stdout}"
    );
    assert!(!stdout.contains("argon2"), "{stdout}");
}

async fn evidence_repointed_by_sql_is_named(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let inc = incident(&app, &poc, &ian, "ian", "Phishing wave").await;
    let first = upload(&app, &ian, &inc, "mail.eml", b"the phishing mail").await;
    let second = upload(&app, &ian, &inc, "notes.txt", b"the analyst's notes").await;
    let (code, stdout) = verify_records(&app);
    assert_eq!(code, 0, "{stdout}");
    let evd = second["number"].as_str().unwrap();
    let (theirs, ours) = (
        first["content"]["sha256"].as_str().unwrap(),
        second["content"]["sha256"].as_str().unwrap(),
    );
    let drop_guard = match app.backend {
        Backend::Sqlite => "DROP TRIGGER IF EXISTS evidence_content_fixed",
        Backend::Postgres => "DROP TRIGGER IF EXISTS evidence_content_fixed ON evidence",
    };
    app.raw_sql(&[
        drop_guard,
        &format!("UPDATE evidence SET sha256 = '{theirs}' WHERE number = '{evd}'"),
    ])
    .await;
    let (code, stdout) = verify_records(&app);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        lines_naming(&stdout, evd),
        [format!(
            "DIFFERS {evd}: column sha256 (stored \"{theirs}\", record \"{ours}\")"
        )],
        "{stdout}"
    );
    // Re-pointed in the document too, the journal still names the content collected.
    app.raw_sql(&[&format!(
        "UPDATE evidence SET data = replace(data, '{ours}', '{theirs}') WHERE number = '{evd}'"
    )])
    .await;
    let (code, stdout) = verify_records(&app);
    assert_eq!(code, 1, "{stdout}");
    let named = lines_naming(&stdout, evd);
    assert_eq!(named.len(), 1, "{stdout}");
    assert!(
        named[0].starts_with(&format!("DIFFERS {evd}: content (stored {{"))
            && named[0].contains(ours),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("DIFFERS")).count(),
        1,
        "{stdout}"
    );
}

async fn deleted_and_inserted_rows_are_named(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let gone = crate::helpers::reported_event(&app, &poc, "Odd login").await;
    let kept = crate::helpers::reported_event(&app, &poc, "Port scan").await;
    let (code, stdout) = verify_records(&app);
    assert_eq!(code, 0, "{stdout}");
    // A copy of a real record under a number no entry gave, and a user no admin made.
    let forged = format!("{}999", &kept[..kept.len() - 3]);
    let copy = format!(
        "INSERT INTO events (number, year, seq, status, source_kind, source_name, submitted_by, reported_at, incident, search, data, source_ref) \
         SELECT '{forged}', year, 999, status, source_kind, source_name, submitted_by, reported_at, incident, search, replace(data, '{kept}', '{forged}'), source_ref FROM events WHERE number = '{kept}'"
    );
    app.raw_sql(&[
        &format!("DELETE FROM event_observables WHERE event = '{gone}'"),
        &format!("DELETE FROM events WHERE number = '{gone}'"),
        &copy,
        r#"INSERT INTO users (name, data) VALUES ('mallory', '{"name":"mallory","roles":["admin"],"created_at":"2026-01-01T00:00:00.000000Z","created_by":"admin","disabled":false}')"#,
    ])
    .await;
    let (code, stdout) = verify_records(&app);
    assert_eq!(code, 1, "{stdout}");
    let named = |record: &str| lines_naming(&stdout, record).join("\n");
    assert!(
        named(&gone).contains("not in the store, though the journal created it at sequence"),
        "{stdout}"
    );
    assert!(
        named(&forged).contains("stored, but no journal entry created it"),
        "{stdout}"
    );
    assert!(
        named("user:mallory").contains("stored, but no journal entry created it"),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("DIFFERS")).count(),
        3,
        "{stdout}"
    );
}

/// The installation an earlier version wrote verifies with its records, as
/// it was left and once upgraded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_4_installation_verifies_with_its_records() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema4/data");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, dir.path());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["journal", "verify", "--records", "--data-dir"])
        .arg(dir.path())
        .env_remove("RAMPART_DATABASE_URL")
        .env_remove("RAMPART_DATA_DIR")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.ends_with("OK 11 records agree with the journal (3 events, 1 incident, 0 vulnerabilities, 1 evidence item, 3 users, 0 sets of credentials, 3 API tokens, 0 rule tables, 0 target tables, 0 notification rule tables, 0 classification scales, 0 documents, 0 document texts, 0 teams, 0 contacts, 0 playbooks, 0 exercises, 0 improvement actions)\n"),
        "{stdout}"
    );
    let store = rampart_store_sqlite::open(dir.path(), Arc::new(SystemClock))
        .await
        .unwrap();
    let check = rampart_store::Store::check_records(&store).await.unwrap();
    assert!(check.agrees(), "{check}");
}

/// How long the records check takes on many events, on both backends:
/// `RAMPART_RECORDS_EVENTS=100000 cargo test -p rampart --test it --release -- --ignored records::timing --nocapture`.
/// Prints the time of `journal verify` and of `journal verify --records`
/// (with the peak memory of the latter where `/usr/bin/time` exists).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a test"]
async fn timing() {
    let count: usize = std::env::var("RAMPART_RECORDS_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend, "records_timing").await else {
            continue;
        };
        app.user("ids", &[Role::Reporter]).await;
        let sensor = Actor::new("ids", vec![Role::Reporter]);
        let started = std::time::Instant::now();
        for batch in 0..count.div_ceil(1000) {
            let reports = (0..1000.min(count - batch * 1000))
                .map(|i| {
                    let n = batch * 1000 + i;
                    Ok(serde_json::from_value(json!({
                        "title": format!("IDS: outbound connection {n}"),
                        "description": "a connection to a listed address",
                        "source": {"kind": "sensor", "name": "ids-1", "ref": format!("alert-{n}")},
                        "observables": [{"type": "ip", "value": format!("198.51.{}.{}", n / 250 % 250, n % 250)}],
                        "assets": [format!("host-{}", n % 500)],
                        "severity": "medium",
                    }))
                    .unwrap())
                })
                .collect();
            for r in app.service.ingest_many(&sensor, reports).await {
                r.unwrap();
            }
        }
        let filled = started.elapsed();
        let timed = |args: &[&str]| {
            let started = std::time::Instant::now();
            let mut all: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
            all.extend(app.storage_args.iter().cloned());
            let time = Path::new("/usr/bin/time");
            let mut command = if time.exists() {
                let mut c = std::process::Command::new(time);
                c.args(["-f", "peak memory %M KiB"])
                    .arg(env!("CARGO_BIN_EXE_rampart"));
                c
            } else {
                std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            };
            let out = command
                .args(&all)
                .env_remove("RAMPART_DATABASE_URL")
                .env_remove("RAMPART_DATA_DIR")
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            let stdout = String::from_utf8(out.stdout).unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            (
                started.elapsed(),
                stdout.lines().last().unwrap_or_default().to_owned(),
                stderr.trim().to_owned(),
            )
        };
        let (chain, chain_line, _) = timed(&["journal", "verify"]);
        let (records, records_line, memory) = timed(&["journal", "verify", "--records"]);
        println!(
            "{backend:?}: {count} events stored in {filled:.1?}\n  journal verify: {chain:.2?} ({chain_line})\n  journal verify --records: {records:.2?}, {memory} ({records_line})"
        );
    }
}
