//! The point-of-contact and ISIRT teams: members, lead, rotation, covers,
//! hand-overs, and who is on duty now and next.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::teams::{CoverInput, HandoverInput, TeamInput, TeamPatch, TeamView};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody};

/// Every team, by id, with who is on duty now and next.
#[utoipa::path(get, path = "/teams", tag = "teams", operation_id = "all_teams",
    responses((status = 200, description = "The teams, by id", body = Vec<TeamView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<TeamView>>, ApiError> {
    Ok(Json(s.app.teams(&actor).await?))
}

/// Set up a team (ISIRT manager): its duty (`poc` or `isirt`), lead,
/// members and optionally a rotation (people in turn, hours per shift, start).
#[utoipa::path(post, path = "/teams", tag = "teams", operation_id = "create_team", request_body = TeamInput,
    responses((status = 201, description = "Set up", body = TeamView),
        (status = 409, description = "A team with this id exists", body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<TeamInput>,
) -> Result<(StatusCode, Json<TeamView>), ApiError> {
    let team = s.app.create_team(&actor, body).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

/// One team with its rotation, covers, latest hand-overs and who is on duty.
#[utoipa::path(get, path = "/teams/{id}", tag = "teams", operation_id = "get_team",
    params(("id" = String, Path, description = "e.g. ict-isirt")),
    responses((status = 200, description = "The team", body = TeamView)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<TeamView>, ApiError> {
    Ok(Json(s.app.team(&actor, &id).await?))
}

/// Change a team (ISIRT manager); what is absent stays.
#[utoipa::path(patch, path = "/teams/{id}", tag = "teams", operation_id = "change_team", request_body = TeamPatch,
    params(("id" = String, Path, description = "e.g. ict-isirt")),
    responses((status = 200, description = "The team as changed", body = TeamView)))]
pub async fn change(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TeamPatch>,
) -> Result<Json<TeamView>, ApiError> {
    Ok(Json(s.app.change_team(&actor, &id, body).await?))
}

/// Put a member on duty for a stretch instead of the rotation (a member of
/// the team, or the ISIRT manager).
#[utoipa::path(post, path = "/teams/{id}/covers", tag = "teams", operation_id = "add_team_cover", request_body = CoverInput,
    params(("id" = String, Path, description = "e.g. ict-isirt")),
    responses((status = 201, description = "The team with the cover", body = TeamView)))]
pub async fn cover(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CoverInput>,
) -> Result<(StatusCode, Json<TeamView>), ApiError> {
    let team = s.app.add_cover(&actor, &id, body).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

/// Record the hand-over of your shift: to whom, what you pass on, the
/// incidents and what authority goes with them. Members of the team only.
#[utoipa::path(post, path = "/teams/{id}/handovers", tag = "teams", operation_id = "hand_over_shift", request_body = HandoverInput,
    params(("id" = String, Path, description = "e.g. ict-isirt")),
    responses((status = 201, description = "The team with the hand-over", body = TeamView)))]
pub async fn handover(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<HandoverInput>,
) -> Result<(StatusCode, Json<TeamView>), ApiError> {
    let team = s.app.hand_over(&actor, &id, body).await?;
    Ok((StatusCode::CREATED, Json(team)))
}
