//! The classification scale: every version, the last in force; admins
//! save a new one.

use axum::Json;
use axum::extract::State;
use rampart_domain::{ClassificationScale, ScaleInput};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};

/// The classification scale: its categories and the names of the severity
/// classes, in every version it has had (the last is in force). An incident's
/// `scale` names the version it was classified under.
#[utoipa::path(get, path = "/classification-scale", tag = "incidents", operation_id = "get_classification_scale",
    responses((status = 200, description = "The scale with every version", body = ClassificationScale)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<ClassificationScale>, ApiError> {
    Ok(Json(s.app.get_scale(&actor).await?))
}

/// Save a new version of the scale (admins). Send the `version` you read;
/// a scale changed meanwhile is refused, naming `version`. Every category of
/// the version in force must stay (retire it instead), and the classes I to IV
/// each get a name. Incidents classified earlier keep their version.
#[utoipa::path(post, path = "/classification-scale/versions", tag = "incidents", operation_id = "revise_classification_scale", request_body = ScaleInput,
    responses((status = 201, description = "The scale, with the new version in force", body = ClassificationScale)))]
pub async fn revise(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<ScaleInput>,
) -> Result<(axum::http::StatusCode, Json<ClassificationScale>), ApiError> {
    Ok((
        axum::http::StatusCode::CREATED,
        Json(s.app.revise_scale(&actor, body).await?),
    ))
}
