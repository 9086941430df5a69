//! Rampart's HTTP edge: the JSON API under `/api/v1` with its OpenAPI
//! document, API-token authentication, and the application [`service`] layer
//! that enforces the role table for every interface.

pub mod api;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod server;
mod upload;
pub mod web;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
pub use rampart_app::App;

/// Default largest request body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub app: Arc<App>,
    pub body_limit: usize,
    pub web: web::WebSettings,
    /// Who may scrape `/metrics` here.
    pub metrics: metrics::MetricsAccess,
}

/// The OpenAPI document of the API, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router().into_openapi()
}

/// An unknown address: a problem document under `/api/`, a page elsewhere.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        ApiError::NotFound("no such route".into()).into_response()
    } else {
        web::WebError::NotFound("There is no page at this address.".into()).into_response()
    }
}

/// A method a route does not take: a problem document for the API (axum
/// adds the `Allow` header), an empty answer elsewhere.
async fn method_not_allowed(uri: axum::http::Uri) -> axum::response::Response {
    let path = uri.path();
    if path.starts_with("/api/") || path == "/healthz" || path == "/readyz" {
        ApiError::MethodNotAllowed.into_response()
    } else {
        axum::http::StatusCode::METHOD_NOT_ALLOWED.into_response()
    }
}

/// Headers every response carries: no framing, no sniffing, scripts and
/// styles only from Rampart itself.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Journals a token's use beyond its scopes against the token, once the
/// answer says so.
async fn journal_scope_refusals(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let token = extract::bearer(request.headers()).map(str::to_owned);
    let response = next.run(request).await;
    if let (Some(token), Some(refused)) =
        (token, response.extensions().get::<error::ScopeRefused>())
    {
        state
            .app
            .token_out_of_scope(&token, &refused.scope, &refused.action)
            .await;
    }
    response
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    let body_limit = state.body_limit;
    metrics::handle();
    api.route(
        "/api/v1/openapi.json",
        get(move || {
            let doc = openapi.clone();
            async move { Json(doc.as_ref().clone()) }
        }),
    )
    .merge(web::router())
    .route("/metrics", get(metrics::scrape))
    // After every route is in place: they apply to the routes there are.
    .route_layer(axum::middleware::from_fn(metrics::track))
    .route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        journal_scope_refusals,
    ))
    .method_not_allowed_fallback(method_not_allowed)
    .fallback(not_found)
    .layer(axum::middleware::map_response(security_headers))
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(CatchPanicLayer::custom(|_| {
        ApiError::Internal.into_response()
    }))
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}
