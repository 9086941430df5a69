//! Playbooks: versioned task templates per category and RSIT type, and
//! applying one to an incident.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_domain::{AppliedPlaybook, ApplyPlaybook, IncidentNumber, Playbook, PlaybookInput};

use super::number;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody};

const ID: &str = "e.g. phishing-response";

/// Every playbook, by id, with its versions (at most 200 playbooks).
#[utoipa::path(get, path = "/playbooks", tag = "playbooks", operation_id = "all_playbooks",
    responses((status = 200, description = "The playbooks, by id", body = Vec<Playbook>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<Playbook>>, ApiError> {
    Ok(Json(s.app.playbooks(&actor).await?))
}

/// Create a playbook with its first version (ISIRT managers and admins).
#[utoipa::path(post, path = "/playbooks", tag = "playbooks", operation_id = "create_playbook", request_body = PlaybookInput,
    responses((status = 201, description = "Created", body = Playbook),
        (status = 409, description = "A playbook with this id exists", body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<PlaybookInput>,
) -> Result<(StatusCode, Json<Playbook>), ApiError> {
    let playbook = s.app.create_playbook(&actor, body).await?;
    Ok((StatusCode::CREATED, Json(playbook)))
}

/// One playbook with its versions.
#[utoipa::path(get, path = "/playbooks/{id}", tag = "playbooks", operation_id = "get_playbook",
    params(("id" = String, Path, description = ID)),
    responses((status = 200, description = "The playbook", body = Playbook)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Playbook>, ApiError> {
    Ok(Json(s.app.playbook(&actor, &id).await?))
}

/// Save a new version of a playbook (the whole of it); incidents that
/// applied an earlier version keep their actions.
#[utoipa::path(put, path = "/playbooks/{id}", tag = "playbooks", operation_id = "revise_playbook", request_body = PlaybookInput,
    params(("id" = String, Path, description = ID)),
    responses((status = 200, description = "The playbook with its new version", body = Playbook)))]
pub async fn revise(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PlaybookInput>,
) -> Result<Json<Playbook>, ApiError> {
    Ok(Json(s.app.revise_playbook(&actor, &id, body).await?))
}

/// Apply a playbook to an open incident: its steps become response actions
/// due from now, and the version applied is recorded.
#[utoipa::path(post, path = "/incidents/{number}/playbooks", tag = "incidents", operation_id = "apply_playbook",
    params(("number" = String, Path, description = "e.g. INC-2026-0001")), request_body = ApplyPlaybook,
    responses((status = 201, description = "Applied", body = AppliedPlaybook)))]
pub async fn apply(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<ApplyPlaybook>,
) -> Result<(StatusCode, Json<AppliedPlaybook>), ApiError> {
    let number: IncidentNumber = number(&n, "incident")?;
    let applied = s.app.apply_playbook(&actor, number, body).await?;
    Ok((StatusCode::CREATED, Json(applied)))
}
