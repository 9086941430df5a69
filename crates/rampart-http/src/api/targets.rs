//! Response-time targets: the table per severity class (admins change it),
//! and where one event or incident stands against it now.

use axum::Json;
use axum::extract::{Path, State};
use rampart_app::targets::Deadline;
use rampart_domain::{Measure, ResponseTargets, TargetState};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};

/// The targets per severity class, in minutes, with their version.
#[utoipa::path(get, path = "/targets", tag = "incidents", operation_id = "get_targets",
    responses((status = 200, description = "The targets in force", body = ResponseTargets)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<ResponseTargets>, ApiError> {
    Ok(Json(s.app.get_targets(&actor).await?))
}

/// Replace the targets (admins): one row per class, I to IV; within a class
/// triage ≤ assess ≤ confirm and contain ≤ close. Send the `version` you
/// read: a table changed meanwhile by someone else is refused, naming `version`.
#[utoipa::path(put, path = "/targets", tag = "incidents", operation_id = "replace_targets", request_body = ResponseTargets,
    responses((status = 200, description = "The targets now in force, with their new version", body = ResponseTargets)))]
pub async fn replace(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<ResponseTargets>,
) -> Result<Json<ResponseTargets>, ApiError> {
    Ok(Json(s.app.replace_targets(&actor, body).await?))
}

/// Where an event stands against its targets: triage and assessment, and
/// confirmation once escalated, each with time used and left.
#[utoipa::path(get, path = "/events/{number}/targets", tag = "events", operation_id = "event_targets",
    params(("number" = String, Path, description = "e.g. EVT-2026-000001")),
    responses((status = 200, description = "The event's stages", body = Vec<Measure>)))]
pub async fn event(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Vec<Measure>>, ApiError> {
    let event = s.app.get_event(&actor, super::number(&n, "event")?).await?;
    Ok(Json(s.app.event_measures(&event).await?))
}

/// Where an incident stands against its targets: confirmation, containment
/// and closure, each with time used and left.
#[utoipa::path(get, path = "/incidents/{number}/targets", tag = "incidents", operation_id = "incident_targets",
    params(("number" = String, Path, description = "e.g. INC-2026-0001")),
    responses((status = 200, description = "The incident's stages", body = Vec<Measure>)))]
pub async fn incident(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Vec<Measure>>, ApiError> {
    let incident = s
        .app
        .get_incident(&actor, super::number(&n, "incident")?)
        .await?;
    Ok(Json(s.app.incident_measures(&incident).await?))
}

/// A register filter on the running target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetParam {
    /// Any target running.
    Running,
    OnTrack,
    DueSoon,
    Overdue,
}

impl TargetParam {
    /// The state to select; `None` for every running one.
    pub fn state(self) -> Option<TargetState> {
        match self {
            Self::Running => None,
            Self::OnTrack => Some(TargetState::OnTrack),
            Self::DueSoon => Some(TargetState::DueSoon),
            Self::Overdue => Some(TargetState::Overdue),
        }
    }
}

/// The deadlines board: every running response-time target and notification
/// clock of the incidents you may see, soonest due first.
#[utoipa::path(get, path = "/deadlines", tag = "incidents", operation_id = "deadlines_board",
    responses((status = 200, description = "The running deadlines, soonest first", body = Vec<Deadline>)))]
pub async fn board(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<Deadline>>, ApiError> {
    Ok(Json(s.app.deadlines(&actor).await?))
}
