//! Event intake throughput through the real HTTP API (`POST /api/v1/events`).
//!
//! Runs the server in-process on loopback and reports events per second and
//! per-request latency for one client and for 32 concurrent clients, on SQLite
//! and (when `RAMPART_TEST_DATABASE_URL` is set) on PostgreSQL. Afterwards the
//! journal is verified: its length must equal the setup entries plus every
//! acknowledged report, so nothing that got a 201 was lost.
//!
//! `RAMPART_BENCH_EVENTS` sets the base count N (default 2000): N events
//! sequentially, 10 N spread over the concurrent clients.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rampart_domain::{Actor, Clock, Role, SystemClock};
use rampart_http::{AppState, Service};
use rampart_store::{Store, Verification};
use reqwest::StatusCode;
use serde_json::json;

const DEFAULT_EVENTS: usize = 2_000;
const CONCURRENT_FACTOR: usize = 10;
const CLIENTS: usize = 32;
const WARMUP: usize = 100;
const BODY_LIMIT: usize = 1 << 20;

fn main() -> anyhow::Result<()> {
    let base = match std::env::var("RAMPART_BENCH_EVENTS") {
        Ok(v) => v
            .parse::<usize>()
            .with_context(|| format!("RAMPART_BENCH_EVENTS must be a count, got `{v}`"))?,
        Err(_) => DEFAULT_EVENTS,
    };
    if base == 0 {
        bail!("RAMPART_BENCH_EVENTS must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(base))
}

async fn run(base: usize) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut intact = true;

    let dir = tempfile::TempDir::new()?;
    let store: Arc<dyn Store> =
        Arc::new(rampart_store_sqlite::open(dir.path(), clock.clone()).await?);
    intact &= bench_backend("sqlite", store, clock.clone(), base).await?;

    // Kept alive until the PostgreSQL run is over; dropping it drops the database.
    match rampart_store_pg::testing::TestDatabase::create("intake benchmark").await {
        Some(db) => {
            let store: Arc<dyn Store> =
                Arc::new(rampart_store_pg::open(db.url(), clock.clone()).await?);
            intact &= bench_backend("postgres", store, clock, base).await?;
        }
        None => println!("postgres: skipped (set RAMPART_TEST_DATABASE_URL)"),
    }

    println!(
        "note: in-process server on 127.0.0.1, keep-alive HTTP/1.1 clients sharing the host's {} cores; \
         {WARMUP} warm-up events per backend; latency is per request, send to full response body",
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
    );
    if !intact {
        bail!("journal check failed");
    }
    Ok(())
}

/// Runs both scenarios against one store; returns whether the journal holds every acknowledged event.
async fn bench_backend(
    backend: &str,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    base: usize,
) -> anyhow::Result<bool> {
    let service = Arc::new(Service::new(store.clone(), clock));
    service.bootstrap_admin().await?;
    service
        .add_user(&Actor::system(), "bench", vec![Role::Reporter])
        .await?;
    let (_, secret) = service.create_token(&Actor::system(), "bench").await?;
    let before = journal_count(store.as_ref()).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/api/v1/events", listener.local_addr()?);
    let app = rampart_http::app(AppState {
        service,
        body_limit: BODY_LIMIT,
        web: rampart_http::web::WebSettings::default(),
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    let target = Target {
        url: Arc::new(url),
        secret: Arc::new(secret),
        label: Arc::new(backend.to_owned()),
    };
    let mut acknowledged = 0;

    let warmup = drive(&target, "warmup", 1, WARMUP).await?;
    acknowledged += warmup.ok;
    report_failures(backend, "warm-up", &warmup);

    let sequential = drive(&target, "seq", 1, base).await?;
    acknowledged += sequential.ok;
    print_line(backend, "sequential", &sequential);

    let per_client = (base * CONCURRENT_FACTOR).div_ceil(CLIENTS);
    let concurrent = drive(&target, "conc", CLIENTS, per_client).await?;
    acknowledged += concurrent.ok;
    print_line(backend, &format!("{CLIENTS} clients"), &concurrent);

    let _ = stop.send(());
    server.await??;

    let expected = before + acknowledged as u64;
    match rampart_store::journal::verify(store.as_ref()).await? {
        Verification::Intact { count, head } if count == expected => {
            println!(
                "{backend:<11} journal      intact, {count} entries = {before} setup + {acknowledged} acknowledged, head {head}"
            );
            Ok(true)
        }
        Verification::Intact { count, head } => {
            println!(
                "{backend:<11} journal      MISMATCH: {count} entries, expected {expected} ({before} setup + {acknowledged} acknowledged), head {head}"
            );
            Ok(false)
        }
        broken @ Verification::Broken { .. } => {
            println!("{backend:<11} journal      {broken}");
            Ok(false)
        }
    }
}

async fn journal_count(store: &dyn Store) -> anyhow::Result<u64> {
    match rampart_store::journal::verify(store).await? {
        Verification::Intact { count, .. } => Ok(count),
        broken @ Verification::Broken { .. } => bail!("journal broken before the run: {broken}"),
    }
}

#[derive(Clone)]
struct Target {
    url: Arc<String>,
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

/// `clients` workers, each with its own keep-alive connection, send `per_client` reports one after another.
async fn drive(
    target: &Target,
    phase: &'static str,
    clients: usize,
    per_client: usize,
) -> anyhow::Result<Outcome> {
    let mut http = Vec::with_capacity(clients);
    for _ in 0..clients {
        http.push(
            reqwest::Client::builder()
                .no_proxy()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(60))
                .build()?,
        );
    }
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for (client, http) in http.into_iter().enumerate() {
        let target = target.clone();
        workers.spawn(async move { worker(&http, &target, phase, client, per_client).await });
    }
    let mut total = Outcome::default();
    while let Some(done) = workers.join_next().await {
        let part = done?;
        total.sent += part.sent;
        total.ok += part.ok;
        total.failures.extend(part.failures);
        total.latencies.extend(part.latencies);
    }
    total.elapsed = start.elapsed();
    total.latencies.sort_unstable();
    Ok(total)
}

async fn worker(
    http: &reqwest::Client,
    target: &Target,
    phase: &str,
    client: usize,
    count: usize,
) -> Outcome {
    let mut out = Outcome {
        latencies: Vec::with_capacity(count),
        ..Outcome::default()
    };
    for i in 0..count {
        let body = report(&target.label, phase, client, i);
        let started = Instant::now();
        let result = async {
            let response = http
                .post(target.url.as_str())
                .bearer_auth(target.secret.as_str())
                .json(&body)
                .send()
                .await?;
            let status = response.status();
            // Reading the whole body lets the connection go back to the pool.
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        }
        .await;
        out.latencies.push(started.elapsed());
        out.sent += 1;
        match result {
            Ok((StatusCode::CREATED, _)) => out.ok += 1,
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "index into a list far below 2^52 entries"
    )]
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn print_line(backend: &str, scenario: &str, outcome: &Outcome) {
    #[allow(
        clippy::cast_precision_loss,
        reason = "event counts are far below 2^52"
    )]
    let rate = outcome.ok as f64 / outcome.elapsed.as_secs_f64();
    let failed = outcome.sent - outcome.ok;
    println!(
        "{backend:<11} {scenario:<12} {:>6} events   {rate:>6.0} events/s   p50 {:.1} ms   p99 {:.1} ms   {failed} failed",
        outcome.sent,
        ms(percentile(&outcome.latencies, 0.50)),
        ms(percentile(&outcome.latencies, 0.99)),
    );
    report_failures(backend, scenario, outcome);
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
        println!("{backend:<11} {scenario:<12} {n} x {failure}");
    }
}
