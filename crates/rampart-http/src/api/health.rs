//! Liveness and readiness, for load balancers and orchestrators; no token needed.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;
use crate::error::Problem;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "healthz", security(()),
    responses((status = 200, description = "Serving requests", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process is up and can take changes: its database answers and takes
/// writes (not a read-only standby), and neither the database nor the
/// evidence store is out of space. Otherwise `503`, with the reason as the
/// problem document's `detail`.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "readyz", security(()),
    responses((status = 200, description = "Ready to take changes", body = Health),
        (status = 503, description = "The database does not answer, takes reads only, or storage is out of space", body = Problem)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.app.readiness().await {
        Ok(()) => Json(Health { status: "ready" }).into_response(),
        Err(reason) => not_ready(reason),
    }
}

/// `503` with a problem document whose `detail` says why.
fn not_ready(reason: String) -> Response {
    let problem = Problem {
        kind: "urn:rampart:problem:not-ready".into(),
        title: "Not ready".into(),
        status: StatusCode::SERVICE_UNAVAILABLE.as_u16(),
        detail: reason,
        errors: vec![],
        current: None,
        allowed: None,
    };
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(problem)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}
