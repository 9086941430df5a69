//! The notification outbox across a crash: `rampart serve` is killed with
//! SIGKILL after the change that calls for notifications has committed and
//! while the first e-mail is on its way to a mail server that never answers.
//! Started again (SQLite), or with a second node taking over (PostgreSQL),
//! every notification is delivered exactly once to a real mail server.

use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rampart_notify::testing::SmtpSink;
use rampart_store_pg::testing::TestDatabase;
use serde_json::{Value, json};

use crate::helpers::ServerProcess as Node;

/// A mail server that takes connections and never says a word: an e-mail
/// sent to it stays on its way until the SMTP timeout.
struct Silent {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

fn silent_mail_server() -> Silent {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = vec![];
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    Silent { port, accepted }
}

/// Where the installation lives: a data directory (SQLite) or a database.
enum Place<'a> {
    Dir(&'a std::path::Path),
    Db(&'a str),
}

fn rampart(place: &Place, vault: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.env_remove("RAMPART_DATA_DIR")
        .env_remove("RAMPART_DATABASE_URL")
        .env("RAMPART_EVIDENCE_DIR", vault.join("evidence"))
        .env("RAMPART_SIGNING_KEY", vault.join("signing.key"))
        .env("RAMPART_PUBLIC_URL", "https://rampart.example.org")
        // A short lease, so a node taking over a dead one's job waits little;
        // longer than the SMTP timeout, so no e-mail is sent twice.
        .env("RAMPART_SMTP_TIMEOUT_SECONDS", "2")
        .env("RAMPART_JOB_LEASE_SECONDS", "3");
    match place {
        Place::Dir(dir) => cmd.env("RAMPART_DATA_DIR", dir),
        Place::Db(url) => cmd.env("RAMPART_DATABASE_URL", url),
    };
    cmd
}

fn cli(place: &Place, vault: &std::path::Path, args: &[&str]) -> String {
    let out = rampart(place, vault).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn start(place: &Place<'_>, vault: &std::path::Path, smtp_url: &str) -> Node {
    let mut command = rampart(place, vault);
    command.env("RAMPART_SMTP_URL", smtp_url);
    crate::helpers::serve(command).await
}

async fn call(node: &Node, method: reqwest::Method, path: &str, token: &str, body: Value) -> Value {
    rampart_notify::use_ring_for_tls();
    let resp = reqwest::Client::new()
        .request(method, format!("http://{}{path}", node.addr))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.unwrap()
}

/// People with tokens; those who get e-mail give an address.
fn people(place: &Place, vault: &std::path::Path) -> Vec<(&'static str, String)> {
    [
        ("rita", "reporter"),
        ("pat", "poc"),
        ("ian", "isirt_member"),
        ("ida", "isirt_member"),
        ("mia", "isirt_manager"),
    ]
    .into_iter()
    .map(|(name, role)| {
        cli(place, vault, &["user", "add", name, "--role", role]);
        (name, cli(place, vault, &["token", "create", name]))
    })
    .collect()
}

/// Reported by rita, escalated by pat, confirmed by ian at class IV: ida
/// hears of the escalation, mia of the incident, rita that her report is
/// handled. Returns the addresses that must each get exactly one e-mail.
async fn incident_with_three_emails(node: &Node, tokens: &[(&str, String)]) -> Vec<String> {
    let token = |who: &str| tokens.iter().find(|(n, _)| *n == who).unwrap().1.clone();
    let mut addresses = vec![];
    for who in ["rita", "ida", "mia"] {
        let email = format!("{who}@example.org");
        call(
            node,
            reqwest::Method::PUT,
            "/api/v1/notifications/preferences",
            &token(who),
            json!({"email": email}),
        )
        .await;
        addresses.push(email);
    }
    let event = call(
        node,
        reqwest::Method::POST,
        "/api/v1/events",
        &token("rita"),
        json!({"title": "Files renamed to .locked", "description": "on the file server"}),
    )
    .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        node,
        reqwest::Method::POST,
        &format!("/api/v1/events/{event}/assessment"),
        &token("pat"),
        json!({"decision": "possible_incident"}),
    )
    .await;
    call(
        node,
        reqwest::Method::POST,
        "/api/v1/incidents",
        &token("ian"),
        json!({"events": [event], "title": "Ransomware", "category": "malware",
               "effort": "high", "coordinator": "ian",
               "severity": {"system_importance": "particularly_important",
                            "business_loss": "especially_serious", "social_impact": "minor"}}),
    )
    .await;
    addresses
}

/// Waits for the mail, then a while longer: each address got exactly one.
async fn exactly_once(sink: &SmtpSink, addresses: &[String]) {
    let mail = sink
        .wait_for(addresses.len(), Duration::from_secs(40))
        .await;
    assert_eq!(mail.len(), addresses.len(), "{mail:#?}");
    // Past another lease and SMTP timeout: nothing more comes.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mail = sink.received();
    for address in addresses {
        let to: Vec<_> = mail
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(address.as_str())))
            .collect();
        assert_eq!(to.len(), 1, "{address}: {mail:#?}");
    }
    assert_eq!(mail.len(), addresses.len(), "{mail:#?}");
}

/// Kills the node once the silent server has taken a connection: an
/// e-mail's job is claimed and on its way, none has been sent.
async fn kill_while_sending(node: Node, silent: &Silent) {
    for _ in 0..400 {
        if silent.accepted.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        silent.accepted.load(Ordering::SeqCst) > 0,
        "no e-mail was on its way"
    );
    let mut node = node;
    node.child.kill().unwrap();
    node.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_before_sending_delivers_every_notification_once_after_restart() {
    let Some(sink) = SmtpSink::start(None) else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let vault = tempfile::tempdir().unwrap();
    let place = Place::Dir(data.path());
    let tokens = people(&place, vault.path());
    let silent = silent_mail_server();
    let node = start(
        &place,
        vault.path(),
        &format!("smtp://127.0.0.1:{}", silent.port),
    )
    .await;
    let addresses = incident_with_three_emails(&node, &tokens).await;
    kill_while_sending(node, &silent).await;
    assert!(sink.received().is_empty());

    let again = start(&place, vault.path(), &sink.url()).await;
    exactly_once(&sink, &addresses).await;
    // The journal, with what the crash left, still verifies.
    cli(&place, vault.path(), &["journal", "verify"]);
    drop(again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_node_killed_before_sending_another_node_delivers_every_notification_once() {
    let Some(db) = TestDatabase::create("outbox_kill").await else {
        return;
    };
    let Some(sink) = SmtpSink::start(None) else {
        return;
    };
    let vault = tempfile::tempdir().unwrap();
    let place = Place::Db(db.url());
    let tokens = people(&place, vault.path());
    let silent = silent_mail_server();
    let first = start(
        &place,
        vault.path(),
        &format!("smtp://127.0.0.1:{}", silent.port),
    )
    .await;
    let second = start(&place, vault.path(), &sink.url()).await;
    let addresses = incident_with_three_emails(&first, &tokens).await;
    kill_while_sending(first, &silent).await;
    exactly_once(&sink, &addresses).await;
    drop(second);
}
