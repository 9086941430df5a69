//! Machine intake throughput, measured against the storage limit.
//!
//! For SQLite and (when `RAMPART_TEST_DATABASE_URL` is set) PostgreSQL, in one
//! run on the same machine:
//! - (a) the storage limit: the same rows (event + journal entry) committed
//!   straight through the store, many units in flight so they share commits;
//! - (b) HTTP batch intake: `POST /api/v1/events/batch`, 1,000 events a request;
//! - (c) single-event `POST /api/v1/events` from 64 keep-alive clients, each
//!   a bare HTTP/1.1 connection (hyper), so that the clients, which share
//!   the server's cores, take as little of them as they can;
//! - (cn) (c) with notifications on: e-mail to a real SMTP server (aiosmtpd),
//!   a webhook subscription to a real receiver, and a point of contact
//!   escalating an event every 100 ms throughout, each telling four ISIRT
//!   members in the app and by e-mail and posting the webhook;
//! - (d) syslog over TCP (four connections) and UDP;
//! - (n) PostgreSQL only: (c) against one, two and three nodes sharing one
//!   database, each node with its own pool, writer and HTTP server.
//!
//! Every alert carries its own sensor reference, an address and an asset, so
//! deduplication and correlation run as they would in production. Afterwards
//! the journal is verified: its length must equal the setup entries plus
//! every acknowledged event, so nothing acknowledged was lost.
//!
//! Request bodies are encoded before each scenario's clock starts. Each
//! scenario runs on a fresh database that first receives as many unrelated
//! events (another sensor, other addresses and assets) as the scenario will
//! send, then rests two seconds: every scenario starts from the same state
//! and none inherits the rows, the keys or the pending checkpoint of
//! another.
//!
//! `RAMPART_BENCH_EVENTS` sets the count per scenario (default 20000);
//! `RAMPART_BENCH_PRELOAD` the events stored first (default the same);
//! `RAMPART_BENCH_SCENARIOS` picks some of them (`a,c,n`; default all);
//! `RAMPART_BENCH_BACKENDS` one backend (`sqlite` or `postgres`; default
//! both), to profile one alone.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rampart_app::App;
use rampart_domain::journal::EventReported;
use rampart_domain::{
    Actor, Clock, Event, EventReport, JournalAction, NumberKind, Role, SystemClock,
};
use rampart_http::AppState;
use rampart_store::{Decision, Entity, JournalDraft, Store, UnitOfWork, Verification, Write};
use rampart_syslog::{SyslogSettings, start as start_syslog};
use reqwest::StatusCode;
use serde_json::json;

mod common;
use common::{ms, percentile};
use tokio::io::AsyncWriteExt;

/// The server's allocator, as in the `rampart` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_EVENTS: usize = 20_000;
const CLIENTS: usize = 64;
const BATCH: usize = 1_000;
const BATCH_CLIENTS: usize = 4;
/// (n) runs with one node, then two, up to this many.
const MAX_NODES: usize = 3;
const TCP_CONNECTIONS: usize = 4;
const WARMUP: usize = 200;
const BODY_LIMIT: usize = 1 << 20;
/// Pause between the preload and the scenario.
const SETTLE: Duration = Duration::from_secs(2);

fn main() -> anyhow::Result<()> {
    let count = match std::env::var("RAMPART_BENCH_EVENTS") {
        Ok(v) => v
            .parse::<usize>()
            .with_context(|| format!("RAMPART_BENCH_EVENTS must be a count, got `{v}`"))?,
        Err(_) => DEFAULT_EVENTS,
    };
    if count < CLIENTS {
        bail!("RAMPART_BENCH_EVENTS must be at least {CLIENTS}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(count))
}

async fn run(count: usize) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let preload = match std::env::var("RAMPART_BENCH_PRELOAD") {
        Ok(v) => v
            .parse::<usize>()
            .with_context(|| format!("RAMPART_BENCH_PRELOAD must be a count, got `{v}`"))?,
        Err(_) => count,
    };
    let scenarios: Vec<&str> = ["a", "b", "c", "cn", "d"]
        .into_iter()
        .filter(|s| chosen(s))
        .collect();
    let nodes = chosen("n");
    let mut intact = true;

    // Each scenario on a database of its own, filled beforehand with the
    // same number of unrelated events: every scenario starts from the same
    // state, whatever ran before it.
    let (sqlite, postgres) = (
        listed("RAMPART_BENCH_BACKENDS", "sqlite"),
        listed("RAMPART_BENCH_BACKENDS", "postgres"),
    );
    for scenario in scenarios.iter().filter(|_| sqlite) {
        let dir = tempfile::TempDir::new()?;
        let store: Arc<dyn Store> =
            Arc::new(rampart_store_sqlite::open(dir.path(), clock.clone()).await?);
        intact &= bench_backend("sqlite", scenario, store, clock.clone(), count, preload).await?;
    }
    for scenario in scenarios.iter().filter(|_| postgres) {
        // Kept alive until the scenario is over; dropping it drops the database.
        let Some(db) = rampart_store_pg::testing::TestDatabase::create("intake benchmark").await
        else {
            println!("postgres: skipped (set RAMPART_TEST_DATABASE_URL)");
            break;
        };
        let store: Arc<dyn Store> =
            Arc::new(rampart_store_pg::open(db.url(), clock.clone()).await?);
        intact &= bench_backend("postgres", scenario, store, clock.clone(), count, preload).await?;
    }

    if nodes && postgres {
        for n in 1..=MAX_NODES {
            intact &= bench_nodes(n, clock.clone(), count, preload).await?;
        }
    }

    println!(
        "note: in-process server on 127.0.0.1 sharing the host's {} cores with its clients; \
         each scenario on a fresh database holding {preload} unrelated events first; \
         latency is per request (a whole batch for (b), per unit for (a)); \
         syslog has no answer, so (d) is the time until every message was stored",
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
    );
    if !intact {
        bail!("journal check failed");
    }
    Ok(())
}

/// Runs one scenario against a fresh store, after filling it with
/// `preload` unrelated events; returns whether the journal holds every
/// acknowledged event.
async fn bench_backend(
    backend: &str,
    scenario: &str,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    count: usize,
    preload: usize,
) -> anyhow::Result<bool> {
    let notify = if scenario == "cn" {
        match Notifying::start() {
            Some(n) => Some(n),
            // Without aiosmtpd (and RAMPART_REQUIRE_SMTP unset) there is no mail server.
            None => return Ok(true),
        }
    } else {
        None
    };
    let mut app = App::new(store.clone(), clock);
    if let Some(n) = &notify {
        app = n.wire(app)?;
    }
    let service = Arc::new(app);
    service.bootstrap_admin().await?;
    if let Some(n) = &notify {
        n.subscribe(&service).await?;
    }
    service
        .add_user(&Actor::system(), "bench", vec![Role::Reporter])
        .await?;
    let (_, secret) = service.create_token(&Actor::system(), "bench").await?;
    let seeded = raw_store(store.as_ref(), backend, "seed", preload, seed_report).await;
    if seeded.ok != preload {
        report_failures(backend, "preload", &seeded);
        bail!(
            "{backend}: the preload stored {} of {preload} events",
            seeded.ok
        );
    }
    // The preload's own aftermath (SQLite copying its log back, and
    // indexing its text for search) is not the scenario's.
    let indexing = Instant::now();
    while store.text_index_waiting().await? > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if backend == "sqlite" && scenario == "a" {
        println!(
            "{backend:<9} preload indexed for search in {:.2} s after it was stored",
            indexing.elapsed().as_secs_f64()
        );
    }
    tokio::time::sleep(SETTLE).await;
    let before = journal_count(store.as_ref()).await?;

    let node = Node::start(service.clone(), &secret, backend).await?;
    let target = node.target.clone();
    let mut acknowledged = 0;

    let warmup = drive(std::slice::from_ref(&target), "warmup", 1, WARMUP).await?;
    acknowledged += warmup.ok;
    report_failures(backend, "warm-up", &warmup);

    match scenario {
        "a" => {
            let raw = raw_store(store.as_ref(), backend, "raw", count, report).await;
            acknowledged += raw.ok;
            print_line(backend, "(a) store", &raw);
        }
        "b" => {
            let batches = drive_batches(&target, count).await?;
            acknowledged += batches.ok;
            print_line(backend, "(b) batch", &batches);
        }
        "c" | "cn" => {
            let escalating = notify.as_ref().map(|_| escalate_meanwhile(service.clone()));
            let single = drive(
                std::slice::from_ref(&target),
                "single",
                CLIENTS,
                count / CLIENTS,
            )
            .await?;
            acknowledged += single.ok;
            if let (Some(n), Some((stop, task))) = (&notify, escalating) {
                let _ = stop.send(());
                let escalated = task.await??;
                print_line(backend, "(cn) single+notify", &single);
                n.report(backend, escalated).await;
            } else {
                print_line(backend, "(c) single", &single);
            }
        }
        _ => {
            let (tcp, udp) = syslog(&service, backend, count).await?;
            print_line(backend, "(d) syslog/tcp", &tcp);
            print_line(backend, "(d) syslog/udp", &udp);
        }
    }

    node.stop().await?;
    // Syslog has no acknowledgement: count what the receiver stored once it is idle.
    acknowledged +=
        settled(|| service.syslog_counters().created.load(Ordering::Relaxed)).await as usize;

    if notify.is_some() {
        // The escalations and the notifications add entries of their own:
        // count the benchmark's events among them.
        return bench_events_intact(store.as_ref(), backend, before, acknowledged).await;
    }
    let expected = before + acknowledged as u64;
    match rampart_store::journal::verify(store.as_ref()).await? {
        Verification::Intact { count, head } if count == expected => {
            println!(
                "{backend:<9} journal ({scenario})      intact, {count} entries = {before} setup + {acknowledged} acknowledged, head {head}"
            );
            Ok(true)
        }
        Verification::Intact { count, head } => {
            println!(
                "{backend:<9} journal          MISMATCH: {count} entries, expected {expected} ({before} setup + {acknowledged} acknowledged), head {head}"
            );
            Ok(false)
        }
        broken @ Verification::Broken { .. } => {
            println!("{backend:<9} journal          {broken}");
            Ok(false)
        }
    }
}

/// (n) Several nodes on one PostgreSQL database: `nodes` services in this
/// process, each with its own connection pool, writer and HTTP server (as
/// `rampart serve` processes would have), the 64 single-event clients of
/// (c) spread over them in turn.
async fn bench_nodes(
    nodes: usize,
    clock: Arc<dyn Clock>,
    count: usize,
    preload: usize,
) -> anyhow::Result<bool> {
    let Some(db) = rampart_store_pg::testing::TestDatabase::create("nodes benchmark").await else {
        println!("postgres: (n) skipped (set RAMPART_TEST_DATABASE_URL)");
        return Ok(true);
    };
    let mut services = Vec::with_capacity(nodes);
    for _ in 0..nodes {
        let store: Arc<dyn Store> =
            Arc::new(rampart_store_pg::open(db.url(), clock.clone()).await?);
        services.push(Arc::new(App::new(store, clock.clone())));
    }
    let first = &services[0];
    first.bootstrap_admin().await?;
    first
        .add_user(&Actor::system(), "bench", vec![Role::Reporter])
        .await?;
    let (_, secret) = first.create_token(&Actor::system(), "bench").await?;
    let store = first.store().clone();
    let seeded = raw_store(store.as_ref(), "postgres", "seed", preload, seed_report).await;
    if seeded.ok != preload {
        report_failures("postgres", "preload", &seeded);
        bail!(
            "postgres: the preload stored {} of {preload} events",
            seeded.ok
        );
    }
    tokio::time::sleep(SETTLE).await;
    let before = journal_count(store.as_ref()).await?;

    let mut running = Vec::with_capacity(nodes);
    for service in &services {
        running.push(Node::start(service.clone(), &secret, "postgres").await?);
    }
    let targets: Vec<Target> = running.iter().map(|n| n.target.clone()).collect();
    let warmup = drive(&targets, "warmup", nodes, WARMUP / nodes).await?;
    report_failures("postgres", "warm-up", &warmup);
    let single = drive(&targets, "single", CLIENTS, count / CLIENTS).await?;
    let label = format!("(n) {nodes} node{}", if nodes == 1 { "" } else { "s" });
    print_line("postgres", &label, &single);
    for node in running {
        node.stop().await?;
    }
    let expected = before + (warmup.ok + single.ok) as u64;
    match rampart_store::journal::verify(store.as_ref()).await? {
        Verification::Intact { count, head } if count == expected => {
            println!(
                "postgres  journal {label}  intact, {count} entries = {before} setup + {} acknowledged, head {head}",
                warmup.ok + single.ok
            );
            Ok(true)
        }
        other => {
            println!("postgres  journal {label}  expected {expected} entries: {other}");
            Ok(false)
        }
    }
}

/// Whether `RAMPART_BENCH_SCENARIOS` (default: all) names `scenario`.
fn chosen(scenario: &str) -> bool {
    listed("RAMPART_BENCH_SCENARIOS", scenario)
}

/// Whether the comma-separated list in `var` names `item` (an unset list
/// names everything).
fn listed(var: &str, item: &str) -> bool {
    std::env::var(var).map_or(true, |list| list.split(',').any(|s| s.trim() == item))
}

/// (a) The same rows the API writes (event + journal entry), committed
/// straight through the store with many units in flight.
async fn raw_store(
    store: &dyn Store,
    backend: &str,
    phase: &str,
    count: usize,
    make: fn(&str, &str, usize, usize) -> serde_json::Value,
) -> Outcome {
    let actor = Actor::new("bench", vec![Role::Reporter]);
    let start = Instant::now();
    let mut out = Outcome::default();
    for wave in 0..count.div_ceil(BATCH) {
        let units = (0..BATCH.min(count - wave * BATCH)).map(|i| {
            let report: Result<EventReport, _> =
                serde_json::from_value(make(backend, phase, wave, i));
            let actor = actor.clone();
            async move {
                let report = report.map_err(|e| e.to_string())?;
                let unit = UnitOfWork::new(
                    actor.name.clone(),
                    vec![],
                    vec![NumberKind::Event],
                    move |ctx| {
                        let number = ctx.event_number(0)?;
                        let event = Event::report(number, report, &actor, ctx.now);
                        Ok(Decision {
                            journal: vec![JournalDraft::new(
                                number,
                                JournalAction::EventReported(EventReported(Box::new(
                                    event.clone(),
                                ))),
                            )],
                            writes: vec![Write::Insert(Entity::Event(Box::new(event)))],
                            ..Default::default()
                        })
                    },
                );
                let started = Instant::now();
                store.execute(unit).await.map_err(|e| e.to_string())?;
                Ok::<_, String>(started.elapsed())
            }
        });
        for result in futures_util::future::join_all(units).await {
            out.sent += 1;
            match result {
                Ok(latency) => {
                    out.ok += 1;
                    out.latencies.push(latency);
                }
                Err(e) => out.failures.push(e),
            }
        }
    }
    out.elapsed = start.elapsed();
    out.latencies.sort_unstable();
    out
}

/// (b) Batches of [`BATCH`] events from [`BATCH_CLIENTS`] clients.
async fn drive_batches(target: &Target, count: usize) -> anyhow::Result<Outcome> {
    let requests = count.div_ceil(BATCH);
    // Encoded before the clock starts: the clients share the server's cores.
    let mut bodies: Vec<Vec<Vec<u8>>> = vec![Vec::new(); BATCH_CLIENTS];
    for r in 0..requests {
        let items: Vec<_> = (0..BATCH)
            .map(|i| report(&target.label, "batch", r, i))
            .collect();
        bodies[r % BATCH_CLIENTS].push(serde_json::to_vec(&items)?);
    }
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for bodies in bodies {
        let target = target.clone();
        let http = client_for_one()?;
        workers.spawn(async move {
            let mut out = Outcome::default();
            for body in bodies {
                let started = Instant::now();
                let answer = async {
                    let response = post(&http, &target.batch_url, &target, body).await?;
                    let status = response.status();
                    let body: serde_json::Value = response.json().await?;
                    Ok::<_, reqwest::Error>((status, body))
                }
                .await;
                out.latencies.push(started.elapsed());
                out.sent += BATCH;
                match answer {
                    Ok((StatusCode::OK, body)) => {
                        let created = body["created"].as_u64().unwrap_or(0) as usize;
                        out.ok += created;
                        if created != BATCH {
                            out.failures
                                .push(format!("batch: {} created of {BATCH}", created));
                        }
                    }
                    Ok((status, body)) => out.failures.push(format!("{status}: {body}")),
                    Err(e) => out.failures.push(format!("request error: {e}")),
                }
            }
            out
        });
    }
    gather(workers, start).await
}

/// (d) Syslog lines over TCP, then datagrams over UDP; each timed until
/// every message was stored.
async fn syslog(
    service: &Arc<App>,
    backend: &str,
    count: usize,
) -> anyhow::Result<(Outcome, Outcome)> {
    let listening = start_syslog(
        service.clone(),
        SyslogSettings {
            udp: Some("127.0.0.1:0".parse()?),
            tcp: Some("127.0.0.1:0".parse()?),
            rate_per_source: u32::MAX,
            ..SyslogSettings::default()
        },
    )
    .await?;
    let counters = service.syslog_counters();
    let stored = || counters.created.load(Ordering::Relaxed) as usize;
    let line = |proto: &str, i: usize| {
        format!(
            "<132>1 2026-11-20T10:00:00Z fw{} firewalld - - - CEF:0|Acme|Firewall|3.2|4000|Blocked outbound connection|5|src=10.{}.{}.{} dst=203.0.113.9 externalId={backend}-{proto}-{i} act=blocked",
            i % 16,
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        )
    };

    // TCP: four connections, newline framing, written as fast as the receiver reads.
    let before = stored();
    let start = Instant::now();
    let mut writers = tokio::task::JoinSet::new();
    let tcp_addr = listening.tcp.context("no TCP address")?;
    for c in 0..TCP_CONNECTIONS {
        let lines: String = (c..count)
            .step_by(TCP_CONNECTIONS)
            .map(|i| line("tcp", i) + "\n")
            .collect();
        writers.spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(tcp_addr).await?;
            stream.write_all(lines.as_bytes()).await?;
            stream.shutdown().await
        });
    }
    while let Some(done) = writers.join_next().await {
        done??;
    }
    let tcp = wait_for(|| stored() - before, count, start).await;

    // UDP: datagrams in bursts the socket buffer can hold.
    let before = stored();
    let received = counters.received.load(Ordering::Relaxed);
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    let udp_addr = listening.udp.context("no UDP address")?;
    let start = Instant::now();
    // Paced (at most 100 datagrams a millisecond) so the kernel's socket buffer is not the limit.
    for burst in (0..count).collect::<Vec<_>>().chunks(100) {
        for i in burst {
            socket.send_to(line("udp", *i).as_bytes(), udp_addr).await?;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut udp = wait_for(|| stored() - before, count, start).await;
    let arrived = counters.received.load(Ordering::Relaxed) - received;
    if arrived < count as u64 {
        udp.failures.push(format!(
            "{} datagrams lost before the receiver",
            count as u64 - arrived
        ));
    }
    Ok((tcp, udp))
}

/// The value of `counter` once it has not moved for two seconds.
async fn settled(counter: impl Fn() -> u64) -> u64 {
    let mut last = (counter(), Instant::now());
    while last.1.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = counter();
        if now != last.0 {
            last = (now, Instant::now());
        }
    }
    last.0
}

/// Adds up what every worker measured, timed from `start`.
async fn gather(
    mut workers: tokio::task::JoinSet<Outcome>,
    start: Instant,
) -> anyhow::Result<Outcome> {
    let mut total = Outcome::default();
    while let Some(done) = workers.join_next().await {
        total.absorb(done?);
    }
    total.elapsed = start.elapsed();
    total.latencies.sort_unstable();
    Ok(total)
}

/// Waits until `done()` reaches `count` or stops moving for five seconds.
async fn wait_for(done: impl Fn() -> usize, count: usize, start: Instant) -> Outcome {
    let mut last = (0, Instant::now());
    loop {
        let now = done();
        if now >= count {
            break;
        }
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let ok = done();
    let mut out = Outcome {
        sent: count,
        ok,
        elapsed: start.elapsed(),
        ..Outcome::default()
    };
    if ok < count {
        out.failures
            .push(format!("{} messages not stored", count - ok));
    }
    out
}

/// Sends an encoded JSON body as the benchmark's sensor.
fn post(
    http: &reqwest::Client,
    url: &reqwest::Url,
    target: &Target,
    body: Vec<u8>,
) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> {
    http.post(url.clone())
        .bearer_auth(target.secret.as_str())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
}

fn client_for_one() -> anyhow::Result<reqwest::Client> {
    rampart_notify::use_ring_for_tls();
    Ok(reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(120))
        .build()?)
}

async fn journal_count(store: &dyn Store) -> anyhow::Result<u64> {
    match rampart_store::journal::verify(store).await? {
        Verification::Intact { count, .. } => Ok(count),
        broken @ Verification::Broken { .. } => bail!("journal broken before the run: {broken}"),
    }
}

/// A node: one service's HTTP server on a loopback port, until stopped.
struct Node {
    target: Target,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Node {
    async fn start(app: Arc<App>, secret: &str, label: &str) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}/api/v1");
        let router = rampart_http::app(AppState {
            app,
            body_limit: BODY_LIMIT,
            web: rampart_http::web::WebSettings::default(),
            metrics: Default::default(),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // The server `rampart serve` runs: header deadline and the API's rate
        // limits at their defaults included.
        let server = tokio::spawn(rampart_http::server::serve(
            listener,
            router,
            rampart_http::server::ServerSettings::default(),
            async {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            target: Target {
                addr,
                url: Arc::new(format!("{base}/events").parse()?),
                batch_url: Arc::new(format!("{base}/events/batch").parse()?),
                secret: Arc::new(secret.to_owned()),
                label: Arc::new(label.to_owned()),
            },
            stop,
            server,
        })
    }

    async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        Ok(())
    }
}

#[derive(Clone)]
struct Target {
    addr: std::net::SocketAddr,
    url: Arc<reqwest::Url>,
    batch_url: Arc<reqwest::Url>,
    secret: Arc<String>,
    label: Arc<String>,
}

#[derive(Default)]
struct Outcome {
    sent: usize,
    ok: usize,
    failures: Vec<String>,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Outcome {
    fn absorb(&mut self, part: Outcome) {
        self.sent += part.sent;
        self.ok += part.ok;
        self.failures.extend(part.failures);
        self.latencies.extend(part.latencies);
    }
}

/// `clients` workers, each with its own keep-alive connection, send `per_client` reports one after another.
async fn drive(
    targets: &[Target],
    phase: &'static str,
    clients: usize,
    per_client: usize,
) -> anyhow::Result<Outcome> {
    let mut work = Vec::with_capacity(clients);
    for client in 0..clients {
        // Clients are spread over the nodes in turn.
        let target = &targets[client % targets.len()];
        // Encoded and connected before the clock starts: the clients share
        // the server's cores, so each is a bare HTTP/1.1 connection.
        let bodies = (0..per_client)
            .map(|i| serde_json::to_vec(&report(&target.label, phase, client, i)))
            .collect::<Result<Vec<_>, _>>()?;
        let stream = tokio::net::TcpStream::connect(target.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        work.push((sender, bodies, target.clone()));
    }
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for (sender, bodies, target) in work {
        workers.spawn(async move { worker(sender, &target, bodies).await });
    }
    gather(workers, start).await
}

/// One keep-alive client posting its reports one after another.
async fn worker(
    mut sender: hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>,
    target: &Target,
    bodies: Vec<Vec<u8>>,
) -> Outcome {
    use http_body_util::BodyExt;
    let mut out = Outcome {
        latencies: Vec::with_capacity(bodies.len()),
        ..Outcome::default()
    };
    let authorization = format!("Bearer {}", target.secret);
    for body in bodies {
        let started = Instant::now();
        let result = async {
            sender.ready().await?;
            let request = hyper::Request::post(target.url.path())
                .header(hyper::header::HOST, target.addr.to_string())
                .header(hyper::header::AUTHORIZATION, authorization.as_str())
                .header(hyper::header::CONTENT_TYPE, "application/json")
                .body(http_body_util::Full::new(bytes::Bytes::from(body)))?;
            let response = sender.send_request(request).await?;
            let status = response.status();
            let bytes = response.into_body().collect().await?.to_bytes();
            Ok::<_, anyhow::Error>((status, bytes))
        }
        .await;
        out.latencies.push(started.elapsed());
        out.sent += 1;
        match result {
            Ok((hyper::StatusCode::CREATED, _)) => out.ok += 1,
            Ok((status, bytes)) => out.failures.push(format!(
                "{status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
            )),
            Err(e) => out.failures.push(format!("request error: {e}")),
        }
    }
    out
}

fn report(backend: &str, phase: &str, client: usize, i: usize) -> serde_json::Value {
    let host = 1 + (client * 7 + i) % 250;
    let backend = backend.to_owned();
    json!({
        "title": "IDS alert: outbound connection to known C2 address",
        "description": "The network sensor flagged repeated outbound TLS connections from a \
                        workstation to an address on the threat-intelligence block list.",
        "source": {
            "kind": "sensor",
            "name": "ids-1",
            "ref": format!("bench-{backend}-{phase}-{client}-{i}"),
        },
        "assets": [format!("ws-{client:02}-{host:03}")],
        "observables": [
            {"type": "ip", "value": format!("10.0.{}.{host}", client % 250)},
            {"type": "domain", "value": "c2.example.net"},
        ],
        "tlp": "AMBER",
    })
}

/// An event unrelated to every scenario's (its own sensor, addresses,
/// assets and domain), to fill a database before a scenario.
fn seed_report(backend: &str, phase: &str, wave: usize, i: usize) -> serde_json::Value {
    json!({
        "title": "Firewall: blocked inbound scan",
        "description": "The perimeter firewall blocked a port scan from an external address.",
        "source": {
            "kind": "sensor",
            "name": "fw-0",
            "ref": format!("{phase}-{backend}-{wave}-{i}"),
        },
        "assets": [format!("srv-{:03}", i % 500)],
        "observables": [
            {"type": "ip", "value": format!("172.16.{}.{}", wave % 250, i % 250)},
            {"type": "domain", "value": "scan.example.org"},
        ],
        "tlp": "GREEN",
    })
}

fn print_line(backend: &str, scenario: &str, outcome: &Outcome) {
    #[allow(
        clippy::cast_precision_loss,
        reason = "event counts are far below 2^52"
    )]
    let rate = outcome.ok as f64 / outcome.elapsed.as_secs_f64();
    let failed = outcome.sent - outcome.ok;
    let latency = if outcome.latencies.is_empty() {
        "p50 -        p99 -".to_owned()
    } else {
        format!(
            "p50 {:>6.1} ms  p99 {:>6.1} ms",
            ms(percentile(&outcome.latencies, 0.50)),
            ms(percentile(&outcome.latencies, 0.99)),
        )
    };
    let target = match target(backend, scenario) {
        Some(least) => format!(
            "  target >= {least} events/s: {}",
            if rate >= f64::from(least) {
                "met"
            } else {
                "NOT met"
            }
        ),
        None => String::new(),
    };
    println!(
        "{backend:<9} {scenario:<15} {:>7} events  {rate:>7.0} events/s  {latency}  {failed} failed{target}",
        outcome.sent,
    );
    report_failures(backend, scenario, outcome);
}

/// The least rate the performance targets set for a scenario on a 2-core
/// machine, where they set one: PostgreSQL writing at SQLite's pace in (a)
/// and (c), and SQLite's (c) not falling back while intake spreads over
/// every core (docs/performance.md, *Against the targets*).
fn target(backend: &str, scenario: &str) -> Option<u32> {
    match (backend, scenario) {
        ("postgres", "(a) store") => Some(10_000),
        ("postgres", "(c) single") => Some(5_000),
        ("sqlite", "(c) single") => Some(13_000),
        _ => None,
    }
}

fn report_failures(backend: &str, scenario: &str, outcome: &Outcome) {
    if outcome.failures.is_empty() {
        return;
    }
    let mut kinds: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in &outcome.failures {
        *kinds.entry(f.as_str()).or_default() += 1;
    }
    for (failure, n) in kinds.iter().take(5) {
        println!("{backend:<9} {scenario:<15} {n} x {failure}");
    }
}

/// (cn) What notifications go to: a real SMTP server and webhook receiver.
struct Notifying {
    smtp: rampart_notify::testing::SmtpSink,
    receiver: tokio::sync::OnceCell<rampart_notify::testing::WebhookReceiver>,
}

/// ISIRT members told of each escalation, in the app and by e-mail.
const TOLD: usize = 4;

impl Notifying {
    /// `None` where aiosmtpd (`python3-aiosmtpd`) is missing: (cn) is skipped.
    fn start() -> Option<Self> {
        let smtp = rampart_notify::testing::SmtpSink::start(None)?;
        Some(Self {
            smtp,
            receiver: tokio::sync::OnceCell::new(),
        })
    }

    /// The service sending e-mail and posting webhooks, as `rampart serve` does.
    fn wire(&self, app: App) -> anyhow::Result<App> {
        let config = rampart::config::Config {
            smtp_url: Some(self.smtp.url()),
            mail_from: "Rampart <rampart@example.org>".into(),
            ..rampart::config::Config::default()
        };
        let mut app = app.with_poster(rampart::startup::poster()?);
        if let Some(mail) = rampart::startup::mail_settings(&config)? {
            app = app.with_mail(mail);
        }
        Ok(app)
    }

    /// The ISIRT members with their addresses, the point of contact, and a
    /// webhook subscribed to every notice.
    async fn subscribe(&self, service: &App) -> anyhow::Result<()> {
        let system = Actor::system();
        for i in 0..TOLD {
            let name = format!("isirt{i}");
            service
                .add_user(&system, &name, vec![Role::IsirtMember])
                .await?;
            let member = Actor::new(name.clone(), vec![Role::IsirtMember]);
            let prefs = rampart_app::notify::PreferencesInput {
                email: Some(format!("{name}@example.org")),
                ..Default::default()
            };
            service.set_notification_preferences(&member, prefs).await?;
        }
        service.add_user(&system, "poc", vec![Role::Poc]).await?;
        let receiver = self
            .receiver
            .get_or_init(|| {
                rampart_notify::testing::WebhookReceiver::start(
                    rampart_notify::testing::Behaviour::Ok,
                )
            })
            .await;
        let hook = rampart_app::notify::WebhookInput {
            name: "SOAR".into(),
            url: receiver.url(),
            format: None,
            kinds: vec![],
            allow_private: true,
        };
        service.add_webhook(&system, hook).await?;
        Ok(())
    }

    /// What was delivered by the end (jobs given a few seconds to finish).
    async fn report(&self, backend: &str, escalated: usize) {
        let want_mail = escalated * TOLD;
        let started = Instant::now();
        let (mut mails, mut posts) = (0, 0);
        while started.elapsed() < Duration::from_secs(30) {
            mails = self.smtp.messages().len();
            posts = self.receiver.get().map_or(0, |r| r.requests().len());
            if mails >= want_mail && posts >= escalated {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        println!(
            "{backend:<9} (cn) notifications  {escalated} escalations during the run: {mails} of {want_mail} e-mails and {posts} of {escalated} webhooks delivered"
        );
    }
}

/// A point of contact escalating a fresh event every 100 ms until told to
/// stop; returns how many were escalated.
fn escalate_meanwhile(
    service: Arc<App>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<usize>>,
) {
    let (stop, mut stopped) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let poc = Actor::new("poc", vec![Role::Poc]);
        let mut escalated = 0;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = &mut stopped => return Ok(escalated),
                _ = tick.tick() => {}
            }
            let report: EventReport = serde_json::from_value(json!({
                "title": format!("Phishing wave {escalated}"),
                "description": "several employees received the same message",
            }))?;
            let event = service.ingest(&poc, report).await?.event().number;
            let assessment = serde_json::from_value(json!({
                "decision": "possible_incident", "escalate": true
            }))?;
            service.assess_event(&poc, event, assessment).await?;
            escalated += 1;
        }
    });
    (stop, task)
}

/// (cn) The journal is intact and holds every acknowledged event of the
/// benchmark's sensor, whatever else the escalations added.
async fn bench_events_intact(
    store: &dyn Store,
    backend: &str,
    before: u64,
    acknowledged: usize,
) -> anyhow::Result<bool> {
    let head = match rampart_store::journal::verify(store).await? {
        Verification::Intact { head, .. } => head,
        broken @ Verification::Broken { .. } => {
            println!("{backend:<9} journal          {broken}");
            return Ok(false);
        }
    };
    let mut after = before;
    let mut events = 0;
    loop {
        let page = store
            .journal(&rampart_store::JournalQuery {
                after,
                limit: 1000,
                entity: None,
            })
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        events += page
            .iter()
            .filter(|e| e.actor == "bench" && e.action == "event.reported")
            .count();
    }
    let intact = events == acknowledged;
    println!(
        "{backend:<9} journal (cn)     intact, {events} of {acknowledged} acknowledged events journaled, head {head}"
    );
    Ok(intact)
}
