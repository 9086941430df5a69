//! The HTTP server around the application: connections served by hyper with
//! a deadline for each request's headers (a client that opens connections
//! and sends nothing, or a header a byte a minute, holds nothing for long),
//! the API's rate limits per token and per client address, and a graceful
//! stop that lets requests under way finish.

use std::convert::Infallible;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::error::Problem;
use rampart_app::limits::KeyedLimit;

/// How the server treats connections and API callers.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Longest time a client may take to send a request's headers, counted
    /// from when the server starts waiting for them (an idle keep-alive
    /// connection is closed after it too).
    pub header_read_timeout: Duration,
    /// API requests a second one token may make (with bursts of twice as many).
    pub api_rate_per_token: u32,
    /// API requests a second one client address may make, tokens or not
    /// (with bursts of twice as many). Behind a TLS proxy the address is the
    /// one the proxy appended to `X-Forwarded-For`.
    pub api_rate_per_address: u32,
    /// Take the client address from `X-Forwarded-For` (see `tls_proxy`).
    pub tls_proxy: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            api_rate_per_token: 20_000,
            api_rate_per_address: 50_000,
            tls_proxy: false,
        }
    }
}

/// The API's rate limits.
#[derive(Debug)]
struct ApiLimits {
    per_token: KeyedLimit<u64>,
    per_address: KeyedLimit<String>,
    /// Hashes bearer tokens into keys, so the limiter holds no secret.
    hasher: std::collections::hash_map::RandomState,
    tls_proxy: bool,
}

/// `n` a second with bursts of `2n` (at least one).
fn rate(n: u32) -> (NonZeroU32, NonZeroU32) {
    let rate = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(n.saturating_mul(2)).unwrap_or(NonZeroU32::MIN);
    (rate, burst)
}

impl ApiLimits {
    fn new(settings: &ServerSettings) -> Self {
        let (t, tb) = rate(settings.api_rate_per_token);
        let (a, ab) = rate(settings.api_rate_per_address);
        Self {
            per_token: KeyedLimit::per_second(t, tb),
            per_address: KeyedLimit::per_second(a, ab),
            hasher: std::collections::hash_map::RandomState::new(),
            tls_proxy: settings.tls_proxy,
        }
    }

    fn token_key(&self, token: &str) -> u64 {
        self.hasher.hash_one(token)
    }
}

/// The address a request came from: the socket peer, or behind a TLS proxy
/// the last address the proxy appended to `X-Forwarded-For`.
pub fn client_ip(
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
    tls_proxy: bool,
) -> String {
    if tls_proxy
        && let Some(last) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
    {
        return last.to_owned();
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Refuses an API request over its address's or its token's rate with 429,
/// a problem document and `Retry-After`. Health checks are not limited.
async fn limit_api(State(limits): State<Arc<ApiLimits>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/api/") || path.ends_with("/healthz") || path.ends_with("/readyz") {
        return next.run(req).await;
    }
    let address = client_ip(req.headers(), req.extensions(), limits.tls_proxy);
    if let Err(wait) = limits.per_address.check(&address) {
        return too_many(wait, "this address");
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| limits.token_key(t.trim()));
    if let Some(key) = token
        && let Err(wait) = limits.per_token.check(&key)
    {
        return too_many(wait, "this token");
    }
    next.run(req).await
}

fn too_many(wait: Duration, whose: &str) -> Response {
    let seconds = wait.as_secs_f64().ceil().clamp(1.0, 3600.0) as u64;
    let problem = Problem {
        kind: "urn:rampart:problem:rate_limited".into(),
        title: "Too many requests".into(),
        status: StatusCode::TOO_MANY_REQUESTS.as_u16(),
        detail: format!("{whose} sent more requests than allowed; try again in {seconds} s"),
        errors: vec![],
        current: None,
        allowed: None,
    };
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(problem)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// The application with the API's rate limits in front of it.
pub fn with_limits(app: Router, settings: &ServerSettings) -> Router {
    let limits = Arc::new(ApiLimits::new(settings));
    app.layer(axum::middleware::from_fn_with_state(limits, limit_api))
}

/// Serves `app` on `listener` until `stop` completes, then lets the
/// requests under way finish. Each connection's requests carry the peer's
/// address (`ConnectInfo<SocketAddr>`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: ServerSettings,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = with_limits(app, &settings);
    // HTTP/1.1 only (as the router is built): the header deadline then runs
    // from the moment a connection is accepted, where a protocol sniffer
    // would wait for a first byte for ever.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, and go on.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(
            move |req: hyper::Request<hyper::body::Incoming>| {
                let mut req = req.map(axum::body::Body::new);
                req.extensions_mut().insert(ConnectInfo(peer));
                let app = app.clone();
                async move { Ok::<_, Infallible>(app.oneshot(req).await.unwrap_or_else(|e| match e {})) }
            },
        );
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
