//! Improvement actions: the register of what lessons-learned reviews
//! decided to change, and their progress to closure.

use axum::Json;
use axum::extract::{Path, State};
use rampart_app::ImprovementQuery;
use rampart_app::improvements::Lesson;
use rampart_domain::{ImprovementAction, ImprovementUpdate, ReviewOf};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};

const ID: &str =
    "e.g. INC-2026-0001.1 or VUL-2026-0003.1: the reviewed record's number and the action's place";

/// Filters of the improvement actions' register.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImprovementFilters {
    /// Only open or in progress.
    #[serde(default)]
    pub open: bool,
    /// Only open ones past their due date.
    #[serde(default)]
    pub overdue: bool,
    /// Only those of this owner.
    pub owner: Option<String>,
    /// Only those of this incident.
    pub incident: Option<rampart_domain::IncidentNumber>,
    /// Only those of this vulnerability (with `incident` too: none).
    pub vulnerability: Option<rampart_domain::VulnerabilityNumber>,
    /// At most this many, 1-500 (default 500).
    #[serde(default, deserialize_with = "super::page_limit")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The improvement actions of the incidents you may read (and of the
/// vulnerabilities, for those who may read that register), the soonest due
/// first (none due last).
#[utoipa::path(get, path = "/improvements", tag = "incidents", operation_id = "improvement_register", params(ImprovementFilters),
    responses((status = 200, description = "The register", body = Vec<ImprovementAction>)))]
pub async fn register(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<ImprovementFilters>,
) -> Result<Json<Vec<ImprovementAction>>, ApiError> {
    let source = match (f.incident, f.vulnerability) {
        // No action is of both.
        (Some(_), Some(_)) => return Ok(Json(vec![])),
        (Some(n), None) => Some(ReviewOf::Incident(n)),
        (None, n) => n.map(ReviewOf::Vulnerability),
    };
    let query = ImprovementQuery {
        source,
        open: f.open || f.overdue,
        due_before: f.overdue.then(|| s.app.clock().now()),
        owner: f.owner,
        limit: f.limit.unwrap_or(500),
    };
    Ok(Json(s.app.improvements(&actor, query).await?))
}

/// One improvement action.
#[utoipa::path(get, path = "/improvements/{id}", tag = "incidents", operation_id = "get_improvement",
    params(("id" = String, Path, description = ID)),
    responses((status = 200, description = "The improvement action", body = ImprovementAction)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<ImprovementAction>, ApiError> {
    Ok(Json(s.app.improvement(&actor, &id).await?))
}

/// Move an improvement action on, give it a new owner or due date, or close
/// it (`done`, `cancelled`) with its outcome: those who record reviews, or
/// its owner. A closed action does not change.
#[utoipa::path(patch, path = "/improvements/{id}", tag = "incidents", operation_id = "update_improvement", request_body = ImprovementUpdate,
    params(("id" = String, Path, description = ID)),
    responses((status = 200, description = "The improvement action as it is now", body = ImprovementAction),
        (status = 409, description = "Closed already", body = Problem)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ImprovementUpdate>,
) -> Result<Json<ImprovementAction>, ApiError> {
    Ok(Json(s.app.update_improvement(&actor, &id, body).await?))
}

/// How many reviewed records the lessons register lists.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LessonFilters {
    /// At most this many, 1-500 (default 100).
    #[serde(default, deserialize_with = "super::page_limit")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The lessons register: the incidents you may read that have a
/// lessons-learned review and, for those who may read that register, the
/// reviewed vulnerabilities; the latest review first, each with its
/// lessons, what would have helped, how many improvement actions it decided
/// and the incidents with the same root cause.
#[utoipa::path(get, path = "/lessons", tag = "incidents", operation_id = "lessons_register", params(LessonFilters),
    responses((status = 200, description = "The lessons register", body = Vec<Lesson>)))]
pub async fn lessons(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<LessonFilters>,
) -> Result<Json<Vec<Lesson>>, ApiError> {
    Ok(Json(s.app.lessons(&actor, f.limit.unwrap_or(100)).await?))
}
