//! Exercises: scenarios with timed injects, their start and end, and the
//! after-action report.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::exercises::AfterAction;
use rampart_domain::{Exercise, ExerciseInput};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody};

const ID: &str = "e.g. ransomware-drill";

/// Every exercise, by id, with its injects and where it stands.
#[utoipa::path(get, path = "/exercises", tag = "exercises", operation_id = "all_exercises",
    responses((status = 200, description = "The exercises, by id", body = Vec<Exercise>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<Exercise>>, ApiError> {
    Ok(Json(s.app.exercises(&actor).await?))
}

/// Plan an exercise (ISIRT managers and admins): its scenario, its audience
/// (the only people told of its records) and its injects.
#[utoipa::path(post, path = "/exercises", tag = "exercises", operation_id = "create_exercise", request_body = ExerciseInput,
    responses((status = 201, description = "Planned", body = Exercise),
        (status = 409, description = "An exercise with this id exists", body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<ExerciseInput>,
) -> Result<(StatusCode, Json<Exercise>), ApiError> {
    let exercise = s.app.create_exercise(&actor, body).await?;
    Ok((StatusCode::CREATED, Json(exercise)))
}

/// One exercise.
#[utoipa::path(get, path = "/exercises/{id}", tag = "exercises", operation_id = "get_exercise",
    params(("id" = String, Path, description = ID)),
    responses((status = 200, description = "The exercise", body = Exercise)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Exercise>, ApiError> {
    Ok(Json(s.app.exercise(&actor, &id).await?))
}

/// Start a planned exercise: each inject arrives as an exercise event at
/// its minute after now.
#[utoipa::path(post, path = "/exercises/{id}/start", tag = "exercises", operation_id = "start_exercise",
    params(("id" = String, Path, description = ID)),
    responses((status = 200, description = "Running", body = Exercise),
        (status = 409, description = "Not planned", body = Problem)))]
pub async fn start(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Exercise>, ApiError> {
    Ok(Json(s.app.start_exercise(&actor, &id).await?))
}

/// End a running exercise; injects not yet arrived never will.
#[utoipa::path(post, path = "/exercises/{id}/end", tag = "exercises", operation_id = "end_exercise",
    params(("id" = String, Path, description = ID)),
    responses((status = 200, description = "Ended", body = Exercise),
        (status = 409, description = "Not running", body = Problem)))]
pub async fn end(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Exercise>, ApiError> {
    Ok(Json(s.app.end_exercise(&actor, &id).await?))
}

/// The after-action report: each inject's event and each incident of the
/// exercise, with every stage's measured time against its target.
#[utoipa::path(get, path = "/exercises/{id}/report", tag = "exercises", operation_id = "exercise_report",
    params(("id" = String, Path, description = ID)),
    responses((status = 200, description = "The after-action report", body = AfterAction)))]
pub async fn report(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<AfterAction>, ApiError> {
    Ok(Json(s.app.after_action(&actor, &id).await?))
}
