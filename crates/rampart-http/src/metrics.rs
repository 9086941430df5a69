//! Prometheus metrics at `/metrics`, in the text exposition format: what
//! the server does (requests by route, their latency), what intake takes in,
//! how the writer commits, which jobs run, and, read when scraped, the
//! installation's state (see [`rampart_app::metrics`]).
//!
//! `/metrics` answers on the main address only to the bearer token set as
//! `metrics_token`; [`router`] serves it without a token on an address of
//! its own (`metrics_listen`), for a scraper on a private network.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use rampart_app::App;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// Requests answered, by `method`, `route` (as routed, e.g.
/// `/api/v1/incidents/{number}`) and `status`.
pub const REQUESTS: &str = "rampart_http_requests_total";
/// How long requests took to answer, by `method` and `route`.
pub const REQUEST_SECONDS: &str = "rampart_http_request_duration_seconds";

/// Bucket bounds of the latencies, in seconds.
const SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Bucket bounds of the writer's batch sizes, in units of work.
const BATCH: [f64; 10] = [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];

/// The process's recorder, installed at the first call; `None` when
/// another recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)
        .ok()?
        .set_buckets_for_metric(
            Matcher::Full(rampart_app::metrics::BATCH_UNITS.into()),
            &BATCH,
        )
        .ok()?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).ok()?;
    describe();
    // Latencies are kept raw until drained: drain them now and then, so a
    // server nobody scrapes does not grow.
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        })
        .ok()?;
    Some(handle)
}

/// The `# HELP` line of each metric.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    use rampart_app::metrics as m;
    describe_counter!(
        REQUESTS,
        "HTTP requests answered, by method, route and status"
    );
    describe_histogram!(
        REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by method and route"
    );
    describe_counter!(
        rampart_app::intake::INTAKE_EVENTS,
        "Reports taken in, by source (api, syslog) and outcome (accepted, repeat, dead_letter)"
    );
    describe_counter!(
        m::SYSLOG_MESSAGES,
        "Syslog messages this node received since start, by outcome (received, accepted, repeat, dead_letter, dropped, failed)"
    );
    describe_histogram!(
        rampart_app::metrics::BATCH_UNITS,
        "Units of work (requests, reports) each write batch committed"
    );
    describe_histogram!(
        rampart_app::metrics::COMMIT_SECONDS,
        metrics::Unit::Seconds,
        "Time to commit a write batch, by result (ok, failed)"
    );
    describe_counter!(
        rampart_app::jobs::JOBS_RUN,
        "Background jobs this node ran, by kind and result (done, retry, dead)"
    );
    describe_gauge!(
        m::JOBS,
        "Background jobs now, by state (queued, running, dead)"
    );
    describe_gauge!(
        m::OPEN_INCIDENTS,
        "Open incidents by severity class (exercises left out)"
    );
    describe_gauge!(m::JOURNAL_ENTRIES, "Entries in the journal");
    describe_gauge!(
        m::CHECKPOINT_AGE,
        metrics::Unit::Seconds,
        "Seconds since the last journal checkpoint was signed"
    );
    describe_gauge!(m::DEAD_LETTERS, "Machine messages kept as dead letters");
}

/// A method as a label: the standard ones, or `other`.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts a routed request and times it (to its response's head).
pub(crate) async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unrouted".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(REQUEST_SECONDS, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Who may scrape `/metrics` on the main address: the SHA-256 of the
/// token, or nobody.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    token_sha256: Option<[u8; 32]>,
}

impl MetricsAccess {
    /// Scraping with this bearer token; `None`: not on the main address.
    pub fn token(token: Option<&str>) -> Self {
        Self {
            token_sha256: token.map(|t| Sha256::digest(t.as_bytes()).into()),
        }
    }

    /// The answer to a scrape without the token; `None` lets it through.
    fn refusal(&self, headers: &HeaderMap) -> Option<Response> {
        let Some(expected) = self.token_sha256 else {
            return Some(ApiError::NotFound(
                "metrics are not served on this address: set metrics_token, or metrics_listen for an address of their own".into(),
            )
            .into_response());
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| <[u8; 32]>::from(Sha256::digest(t.trim().as_bytes())));
        if given == Some(expected) {
            return None;
        }
        let mut refused = ApiError::Unauthenticated.into_response();
        refused.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"rampart-metrics\""),
        );
        Some(refused)
    }
}

/// `GET /metrics` on the main address.
pub(crate) async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refused) = state.metrics.refusal(&headers) {
        return refused;
    }
    exposition(&state.app).await
}

/// The metrics in the text exposition format.
async fn exposition(app: &App) -> Response {
    let Some(handle) = handle() else {
        return ApiError::Internal.into_response();
    };
    // The figures are the process's: one scrape reads and renders them at
    // a time (in tests, several installations share a process).
    static SCRAPE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one = SCRAPE.lock().await;
    if let Err(e) = app.observe().await {
        tracing::warn!(error = %e, "cannot read the installation's state for the metrics");
        return ApiError::from(e).into_response();
    }
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

/// `/metrics` alone, without a token: for an address of its own.
pub fn router(app: Arc<App>) -> Router {
    handle();
    Router::new()
        .route(
            "/metrics",
            get(|State(app): State<Arc<App>>| async move { exposition(&app).await }),
        )
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(app)
}
