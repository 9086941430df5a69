//! Liveness and readiness, for load balancers and orchestrators; no token needed.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::AppState;
use crate::error::{ApiError, Problem};

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

/// The process is up and its database answers and takes changes (not a
/// read-only standby).
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "readyz", security(()),
    responses((status = 200, description = "Ready to take changes", body = Health),
        (status = 503, description = "The database does not answer, or takes reads only", body = Problem)))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let store = state.service.store();
    store.journal_head().await?;
    if store.read_only().await? {
        tracing::warn!(
            "not ready: the database takes reads only (a standby?), so this node cannot take changes"
        );
        return Err(ApiError::Unavailable);
    }
    Ok(Json(Health { status: "ready" }))
}
