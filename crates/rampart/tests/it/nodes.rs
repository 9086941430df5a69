//! Three `rampart serve` processes on one PostgreSQL database, under load,
//! one of them killed with SIGKILL in the middle: every acknowledged write
//! is there, once; numbers have no gaps; the journal is one chain that
//! verifies.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::helpers::ServerProcess as Node;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rampart_domain::SystemClock;
use rampart_store::{EventQuery, JobState, JournalQuery, Store};
use rampart_store_pg::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;

const NODES: usize = 3;
const CLIENTS: usize = 12;
const PER_CLIENT: usize = 40;
/// Acknowledged alerts after which node 1 is killed.
const KILL_AFTER: usize = CLIENTS * PER_CLIENT / 3;

fn rampart(url: &str, vault: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.env_remove("RAMPART_DATA_DIR")
        .env("RAMPART_DATABASE_URL", url)
        .env("RAMPART_EVIDENCE_DIR", vault.join("evidence"))
        .env("RAMPART_SIGNING_KEY", vault.join("signing.key"))
        // Checkpoints fall due often, so nodes race for their jobs.
        .env("RAMPART_CHECKPOINT_ENTRIES", "25");
    cmd
}

async fn start(url: &str, vault: &std::path::Path) -> Node {
    crate::helpers::serve(rampart(url, vault)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_one_killed_lose_and_duplicate_nothing() {
    let Some(db) = TestDatabase::create("three_nodes").await else {
        return;
    };
    let vault = tempfile::tempdir().unwrap();
    let out = rampart(db.url(), vault.path())
        .args(["user", "add", "ids", "--role", "reporter"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = rampart(db.url(), vault.path())
        .args(["token", "create", "ids"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let mut nodes = Vec::new();
    for _ in 0..NODES {
        nodes.push(Some(start(db.url(), vault.path()).await));
    }
    let addrs: Vec<String> = nodes.iter().flatten().map(|n| n.addr.clone()).collect();
    let dead = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let unanswered = Arc::new(AtomicUsize::new(0));
    rampart_notify::use_ring_for_tls();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    // Each client sends its alerts round the nodes; a request that gets no
    // answer is sent again, to the next node, until one answers. A repeat
    // of an alert that did commit is recognised by its reference.
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (client, addrs, token) = (client.clone(), addrs.clone(), token.clone());
            let (dead, acknowledged) = (dead.clone(), acknowledged.clone());
            let unanswered = unanswered.clone();
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for i in 0..PER_CLIENT {
                    let reference = format!("c{c}-{i}");
                    let body = json!({"title": format!("alert {reference}"), "description": "d",
                        "source": {"kind": "sensor", "name": "ids-1", "ref": reference}});
                    let mut node = (c + i) % NODES;
                    let answer = loop {
                        if node == 1 && dead.load(Ordering::Relaxed) {
                            node = (node + 1) % NODES;
                        }
                        let sent = client
                            .post(format!("http://{}/api/v1/events", addrs[node]))
                            .bearer_auth(&token)
                            .json(&body)
                            .send()
                            .await;
                        match sent {
                            Ok(r) if r.status().is_success() => {
                                let status = r.status();
                                let v: serde_json::Value = r.json().await.unwrap();
                                break (status, v, node);
                            }
                            Ok(r) if r.status().is_server_error() => {
                                unanswered.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(r) => panic!("{}: {}", r.status(), r.text().await.unwrap()),
                            Err(_) => {
                                unanswered.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        node = (node + 1) % NODES;
                    };
                    acknowledged.fetch_add(1, Ordering::Relaxed);
                    answers.push((reference, answer));
                }
                answers
            })
        })
        .collect();

    // Kill node 1 in the middle of the load.
    while acknowledged.load(Ordering::Relaxed) < KILL_AFTER {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if let Some(mut node) = nodes[1].take() {
        node.child.kill().unwrap();
        dead.store(true, Ordering::Relaxed);
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.extend(t.await.unwrap());
    }
    assert_eq!(answers.len(), CLIENTS * PER_CLIENT);
    // The surviving nodes run what the last commits queued (a checkpoint
    // falls due with the last entries) before they are stopped.
    let survivors_done = wait_for_jobs(db.url()).await;
    drop(nodes);
    let by_node = |n: usize| answers.iter().filter(|(_, a)| a.2 == n).count();
    assert!(by_node(1) > 0 && by_node(0) > 0 && by_node(2) > 0);
    eprintln!(
        "answers by node: {} / {} / {}; requests left unanswered and sent again: {}",
        by_node(0),
        by_node(1),
        by_node(2),
        unanswered.load(Ordering::Relaxed)
    );

    // Every acknowledged alert is stored once, under the number it was given.
    let store: Arc<dyn Store> = Arc::new(
        rampart_store_pg::open_existing(db.url(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    let mut events = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_events(&EventQuery {
                limit: 500,
                cursor: cursor.clone(),
                ..EventQuery::default()
            })
            .await
            .unwrap();
        events.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let by_ref: BTreeMap<String, String> = events
        .iter()
        .map(|e| {
            (
                e.source.reference.as_ref().unwrap().as_str().to_owned(),
                e.number.to_string(),
            )
        })
        .collect();
    assert_eq!(
        by_ref.len(),
        events.len(),
        "an alert is stored more than once"
    );
    for (reference, (status, answer, _)) in &answers {
        assert!(
            *status == StatusCode::CREATED || *status == StatusCode::OK,
            "{status}"
        );
        assert_eq!(
            by_ref.get(reference).map(String::as_str),
            answer["number"].as_str(),
            "{reference}"
        );
    }
    assert_eq!(events.len(), CLIENTS * PER_CLIENT);
    // Numbers are gap-free.
    let seqs: BTreeSet<u32> = events.iter().map(|e| e.number.seq()).collect();
    let expected: BTreeSet<u32> = (1..=u32::try_from(events.len()).unwrap()).collect();
    assert_eq!(seqs, expected);
    // The journal is one gap-free chain that verifies.
    let out = rampart(db.url(), vault.path())
        .args(["journal", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (head, _) = store.journal_head().await.unwrap();
    let mut after = 0;
    loop {
        let entries = store
            .journal(&JournalQuery {
                after,
                limit: 1000,
                entity: None,
            })
            .await
            .unwrap();
        let Some(last) = entries.last() else { break };
        for (k, e) in entries.iter().enumerate() {
            assert_eq!(e.seq, after + 1 + k as u64);
        }
        after = last.seq;
    }
    assert_eq!(after, head);

    // Every background job ran once: claimed once and done, except at most
    // one that the killed node held (its lease runs on past the test).
    let jobs = store.list_jobs(None, None, 500).await.unwrap();
    assert!(jobs.len() >= 5, "checkpoints fell due: {jobs:?}");
    let (once, others): (Vec<_>, Vec<_>) = jobs
        .iter()
        .partition(|j| j.state == JobState::Done && j.attempts == 1);
    assert!(
        others.len() <= 1,
        "jobs run more than once or left over: {others:?}"
    );
    assert!(
        survivors_done,
        "the surviving nodes left jobs queued: {jobs:?}"
    );
    assert!(!once.is_empty());
    // And each checkpoint they signed covers a different head.
    let checkpoints = store.checkpoints(0, 1000).await.unwrap();
    let heads: BTreeSet<u64> = checkpoints.iter().map(|c| c.seq).collect();
    assert_eq!(heads.len(), checkpoints.len());
}

/// Waits until the surviving nodes have run every job; false after 10 s.
async fn wait_for_jobs(url: &str) -> bool {
    let store = rampart_store_pg::open_existing(url, Arc::new(SystemClock))
        .await
        .unwrap();
    // Settled: nothing queued and at most the killed node's job running,
    // twice in a row.
    let mut settled_once = false;
    for _ in 0..100 {
        let queued = store
            .list_jobs(Some(JobState::Queued), None, 10)
            .await
            .unwrap();
        let running = store
            .list_jobs(Some(JobState::Running), None, 10)
            .await
            .unwrap();
        let settled = queued.is_empty() && running.len() <= 1;
        if settled && settled_once {
            return true;
        }
        settled_once = settled;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The changes a subscriber heard within `wait`, by entity.
async fn heard(
    rx: &mut tokio::sync::broadcast::Receiver<rampart_app::Change>,
    wait: Duration,
) -> Vec<String> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Ok(c)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        out.push(c.entity);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reach_the_live_pages_of_every_node_once() {
    use rampart_app::App;
    use rampart_domain::{Actor, Role};
    let Some(db) = TestDatabase::create("live_nodes").await else {
        return;
    };
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let store = rampart_store_pg::open(db.url(), Arc::new(SystemClock))
            .await
            .unwrap();
        let service = Arc::new(App::new(Arc::new(store), Arc::new(SystemClock)));
        let node = service.clone();
        tokio::spawn(rampart_store_pg::follow_journal(
            db.url().to_owned(),
            move |a| node.announce(a.seq, &a.entity, &a.action),
        ));
        nodes.push(service);
    }
    let (a, b) = (&nodes[0], &nodes[1]);
    let mut on_a = a.subscribe();
    let mut on_b = b.subscribe();
    // Until node B follows the journal, changes made through A do not reach it.
    let mut ready = false;
    for i in 0..100 {
        a.add_user(
            &Actor::system(),
            &format!("warmup{i}"),
            vec![Role::Reporter],
        )
        .await
        .unwrap();
        if !heard(&mut on_b, Duration::from_millis(100))
            .await
            .is_empty()
        {
            ready = true;
            break;
        }
    }
    assert!(ready, "node B never heard of node A's changes");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = heard(&mut on_a, Duration::from_millis(10)).await;
    let _ = heard(&mut on_b, Duration::from_millis(10)).await;

    // A change through A reaches the pages of both nodes, once each; one
    // through B likewise; a failed change reaches nobody.
    a.add_user(&Actor::system(), "zed", vec![Role::Poc])
        .await
        .unwrap();
    b.add_user(&Actor::system(), "yan", vec![Role::Poc])
        .await
        .unwrap();
    assert!(
        a.add_user(&Actor::system(), "zed", vec![Role::Poc])
            .await
            .is_err()
    );
    let wait = Duration::from_millis(1500);
    let (mut seen_a, mut seen_b) = (heard(&mut on_a, wait).await, heard(&mut on_b, wait).await);
    seen_a.sort();
    seen_b.sort();
    let expected = vec!["user:yan".to_owned(), "user:zed".to_owned()];
    assert_eq!(seen_a, expected);
    assert_eq!(seen_b, expected);

    // A token node B has just verified (and so remembers) stops there as
    // soon as B hears that A disabled its user, not two seconds later.
    let (_, secret) = a.create_token(&Actor::system(), "zed").await.unwrap();
    assert!(b.authenticate(&secret).await.unwrap().is_some());
    let _ = heard(&mut on_b, Duration::from_millis(10)).await;
    a.update_user(&Actor::system(), "zed", None, Some(true))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, on_b.recv()).await {
            Ok(Ok(c)) if c.action == "user.disabled" => break,
            Ok(Ok(_)) => {}
            other => panic!("node B never heard of the disabling: {other:?}"),
        }
    }
    assert_eq!(b.authenticate(&secret).await.unwrap(), None);
}

/// A node whose database takes reads only (as a standby does) is not ready:
/// a load balancer sends it no traffic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_on_a_read_only_database_is_not_ready() {
    use sqlx::Connection;
    let Some(db) = TestDatabase::create("read_only_node").await else {
        return;
    };
    let ready = |store: Arc<dyn Store>| async move {
        let service = Arc::new(rampart_app::App::new(store, Arc::new(SystemClock)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = rampart_http::app(rampart_http::AppState {
            app: service,
            body_limit: 1 << 20,
            web: rampart_http::web::WebSettings::default(),
            metrics: Default::default(),
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        rampart_notify::use_ring_for_tls();
        reqwest::get(format!("http://{addr}/readyz"))
            .await
            .unwrap()
            .status()
    };
    let writable: Arc<dyn Store> = Arc::new(
        rampart_store_pg::open(db.url(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    assert_eq!(ready(writable).await, StatusCode::OK);

    let mut admin = sqlx::PgConnection::connect(db.url()).await.unwrap();
    let name = db.url().rsplit('/').next().unwrap().to_owned();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE {name} SET default_transaction_read_only = on"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    // New connections take reads only, as on a standby.
    let standby: Arc<dyn Store> = Arc::new(
        rampart_store_pg::open_existing(db.url(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    assert!(standby.read_only().await.unwrap());
    assert_eq!(ready(standby).await, StatusCode::SERVICE_UNAVAILABLE);
}
