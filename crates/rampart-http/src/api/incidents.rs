//! Incidents: confirm, list, read, change, link events, move through the
//! lifecycle, the log, response actions and the lessons-learned review.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_domain::{
    ActionUpdate, Category, Event, EventNumber, Incident, IncidentConfirmation, IncidentNumber,
    IncidentPatch, IncidentStatus, LogEntry, NewAction, NewLogEntry, ResponseAction, Review,
    ReviewInput, SeverityClass, TransitionRequest,
};
use rampart_store::IncidentQuery;
use serde::{Deserialize, Serialize};

use super::{Page, number};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};

/// Filters of the incident register.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentFilters {
    pub status: Option<IncidentStatus>,
    pub category: Option<Category>,
    pub class: Option<SeverityClass>,
    pub coordinator: Option<String>,
    pub text: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// An incident with its linked events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IncidentView {
    #[serde(flatten)]
    pub incident: Incident,
    pub linked_events: Vec<Event>,
}

/// An event to add to an incident.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    pub event: EventNumber,
}

fn incident_number(raw: &str) -> Result<IncidentNumber, ApiError> {
    number(raw, "incident")
}

const N: &str = "e.g. INC-2026-0001";

/// Confirm an incident from escalated events, with category, severity and coordinator.
#[utoipa::path(post, path = "/incidents", tag = "incidents", request_body = IncidentConfirmation,
    responses((status = 201, body = Incident), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn confirm(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<IncidentConfirmation>,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.service.confirm_incident(&actor, body).await?),
    ))
}

/// The incident register, in priority order (severity, then effort).
#[utoipa::path(get, path = "/incidents", tag = "incidents", params(IncidentFilters),
    responses((status = 200, body = Page<Incident>), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<IncidentFilters>,
) -> Result<Json<Page<Incident>>, ApiError> {
    let query = IncidentQuery {
        status: f.status,
        category: f.category,
        class: f.class,
        coordinator: f.coordinator,
        text: f.text,
        cursor: f.cursor,
        limit: f.limit.unwrap_or(0),
        ..IncidentQuery::default()
    };
    Ok(Json(s.service.list_incidents(&actor, query).await?.into()))
}

/// Read one incident with its linked events, log, actions and review.
#[utoipa::path(get, path = "/incidents/{number}", tag = "incidents", params(("number" = String, Path, description = N)),
    responses((status = 200, body = IncidentView), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<IncidentView>, ApiError> {
    let (incident, linked_events) = s
        .service
        .incident_with_events(&actor, incident_number(&n)?)
        .await?;
    Ok(Json(IncidentView {
        incident,
        linked_events,
    }))
}

/// Change an incident's fields; absent fields stay as they are.
#[utoipa::path(patch, path = "/incidents/{number}", tag = "incidents", params(("number" = String, Path, description = N)), request_body = IncidentPatch,
    responses((status = 200, body = Incident), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn patch(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<IncidentPatch>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.service
            .patch_incident(&actor, incident_number(&n)?, body)
            .await?,
    ))
}

/// Link another escalated event to an open incident.
#[utoipa::path(post, path = "/incidents/{number}/events", tag = "incidents", params(("number" = String, Path, description = N)), request_body = LinkInput,
    responses((status = 200, body = Incident), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn link_event(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<LinkInput>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.service
            .link_event(&actor, incident_number(&n)?, body.event)
            .await?,
    ))
}

/// Who may see a restricted incident.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictionInput {
    /// The only users who may see the incident (including yourself); empty lifts the restriction.
    pub users: Vec<String>,
}

/// Need-to-know: restrict the incident to named users, or lift the restriction
/// with an empty list. A restricted incident is a 404 for everyone else.
#[utoipa::path(put, path = "/incidents/{number}/restriction", tag = "incidents", params(("number" = String, Path, description = N)), request_body = RestrictionInput,
    responses((status = 200, body = Incident), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn restrict(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<RestrictionInput>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.service
            .restrict_incident(&actor, incident_number(&n)?, body.users)
            .await?,
    ))
}

/// Move through the lifecycle. 409 names the current status and the allowed targets.
#[utoipa::path(post, path = "/incidents/{number}/transitions", tag = "incidents", params(("number" = String, Path, description = N)), request_body = TransitionRequest,
    responses((status = 200, body = Incident), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn transition(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<TransitionRequest>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.service
            .transition(&actor, incident_number(&n)?, body)
            .await?,
    ))
}

/// Record an action or decision in the incident management log.
#[utoipa::path(post, path = "/incidents/{number}/log", tag = "incidents", params(("number" = String, Path, description = N)), request_body = NewLogEntry,
    responses((status = 201, body = LogEntry), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_log(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<NewLogEntry>,
) -> Result<(StatusCode, Json<LogEntry>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.service
                .add_log(&actor, incident_number(&n)?, body)
                .await?,
        ),
    ))
}

/// The incident management log, oldest first.
#[utoipa::path(get, path = "/incidents/{number}/log", tag = "incidents", params(("number" = String, Path, description = N)),
    responses((status = 200, body = Vec<LogEntry>), (status = 404, body = Problem)))]
pub async fn log(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Vec<LogEntry>>, ApiError> {
    Ok(Json(
        s.service
            .get_incident(&actor, incident_number(&n)?)
            .await?
            .log,
    ))
}

/// Plan a response action.
#[utoipa::path(post, path = "/incidents/{number}/actions", tag = "incidents", params(("number" = String, Path, description = N)), request_body = NewAction,
    responses((status = 201, body = ResponseAction), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_action(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<NewAction>,
) -> Result<(StatusCode, Json<ResponseAction>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.service
                .add_action(&actor, incident_number(&n)?, body)
                .await?,
        ),
    ))
}

/// The incident's response actions.
#[utoipa::path(get, path = "/incidents/{number}/actions", tag = "incidents", params(("number" = String, Path, description = N)),
    responses((status = 200, body = Vec<ResponseAction>), (status = 404, body = Problem)))]
pub async fn actions(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Vec<ResponseAction>>, ApiError> {
    Ok(Json(
        s.service
            .get_incident(&actor, incident_number(&n)?)
            .await?
            .actions,
    ))
}

/// Change a response action: status, outcome, owner, due date, approval.
#[utoipa::path(patch, path = "/incidents/{number}/actions/{id}", tag = "incidents", params(("number" = String, Path, description = N), ("id" = u32, Path)), request_body = ActionUpdate,
    responses((status = 200, body = ResponseAction), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_action(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((n, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ActionUpdate>,
) -> Result<Json<ResponseAction>, ApiError> {
    let id: u32 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no action `{id}`")))?;
    Ok(Json(
        s.service
            .update_action(&actor, incident_number(&n)?, id, body)
            .await?,
    ))
}

/// Record the lessons-learned review (a new submission supersedes the last, which the journal keeps).
#[utoipa::path(post, path = "/incidents/{number}/review", tag = "incidents", params(("number" = String, Path, description = N)), request_body = ReviewInput,
    responses((status = 201, body = Review), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_review(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<ReviewInput>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.service
                .record_review(&actor, incident_number(&n)?, body)
                .await?,
        ),
    ))
}

/// The lessons-learned review.
#[utoipa::path(get, path = "/incidents/{number}/review", tag = "incidents", params(("number" = String, Path, description = N)),
    responses((status = 200, body = Review), (status = 404, body = Problem)))]
pub async fn review(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Review>, ApiError> {
    let number = incident_number(&n)?;
    s.service
        .get_incident(&actor, number)
        .await?
        .review
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("{number} has no lessons-learned review yet")))
}
