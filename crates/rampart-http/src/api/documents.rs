//! The scheme's documents: policy, plan, procedures and awareness material
//! in versions, each approved by the roles the document names before it is
//! in force; the changes between two versions; reviews.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::documents::{
    ApprovalInput, DocumentInput, DocumentPatch, DocumentView, DraftInput, ReviewNote, VersionDiff,
    VersionText,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};

fn version_of(raw: &str) -> Result<u32, ApiError> {
    raw.parse::<u32>()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| ApiError::NotFound(format!("no version `{raw}` (versions are 1, 2, 3…)")))
}

/// The documents you may read, by id: every one for the ISIRT, management
/// and audit; those with a version in force for everyone else.
#[utoipa::path(get, path = "/documents", tag = "documents", operation_id = "all_documents",
    responses((status = 200, description = "The documents, by id", body = Vec<DocumentView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<DocumentView>>, ApiError> {
    Ok(Json(s.app.documents(&actor).await?))
}

/// Create a document (ISIRT manager): its id, kind, title, owner, the roles
/// that approve its versions and how often it is reviewed. Versions come next.
#[utoipa::path(post, path = "/documents", tag = "documents", operation_id = "create_document", request_body = DocumentInput,
    responses((status = 201, description = "Created, without versions", body = DocumentView),
        (status = 409, description = "A document with this id exists", body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<DocumentInput>,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    let doc = s.app.create_document(&actor, body).await?;
    Ok((StatusCode::CREATED, Json(doc)))
}

/// One document with its versions (newest first) and where each stands.
#[utoipa::path(get, path = "/documents/{id}", tag = "documents", operation_id = "get_document",
    params(("id" = String, Path, description = "e.g. incident-policy")),
    responses((status = 200, description = "The document", body = DocumentView)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<DocumentView>, ApiError> {
    Ok(Json(s.app.document(&actor, &id).await.map_err(hide)?))
}

/// Change a document's settings (ISIRT manager); what is absent stays.
#[utoipa::path(patch, path = "/documents/{id}", tag = "documents", operation_id = "change_document", request_body = DocumentPatch,
    params(("id" = String, Path, description = "e.g. incident-policy")),
    responses((status = 200, description = "The document as changed", body = DocumentView)))]
pub async fn change(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DocumentPatch>,
) -> Result<Json<DocumentView>, ApiError> {
    Ok(Json(
        s.app
            .change_document(&actor, &id, body)
            .await
            .map_err(hide)?,
    ))
}

/// Draft a new version: the whole Markdown text and what changed. It
/// needs every approval the document names before it is in force; a draft
/// not yet approved is abandoned by the next one.
#[utoipa::path(post, path = "/documents/{id}/versions", tag = "documents", operation_id = "draft_document_version", request_body = DraftInput,
    params(("id" = String, Path, description = "e.g. incident-policy")),
    responses((status = 201, description = "The document with the new version first", body = DocumentView)))]
pub async fn draft(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DraftInput>,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    let doc = s
        .app
        .draft_document(&actor, &id, body)
        .await
        .map_err(hide)?;
    Ok((StatusCode::CREATED, Json(doc)))
}

/// The version in force now, with its Markdown text.
#[utoipa::path(get, path = "/documents/{id}/text", tag = "documents", operation_id = "document_in_force",
    params(("id" = String, Path, description = "e.g. incident-policy")),
    responses((status = 200, description = "The version in force and its text", body = VersionText),
        (status = 404, description = "No such document, or none of its versions is in force yet", body = Problem)))]
pub async fn in_force(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<VersionText>, ApiError> {
    Ok(Json(
        s.app.document_text(&actor, &id, None).await.map_err(hide)?,
    ))
}

/// One version with its Markdown text.
#[utoipa::path(get, path = "/documents/{id}/versions/{version}", tag = "documents", operation_id = "get_document_version",
    params(("id" = String, Path, description = "e.g. incident-policy"),
        ("version" = u32, Path, minimum = 1, description = "1, 2, 3…")),
    responses((status = 200, description = "The version and its text", body = VersionText)))]
pub async fn version(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<VersionText>, ApiError> {
    let v = version_of(&version)?;
    Ok(Json(
        s.app
            .document_text(&actor, &id, Some(v))
            .await
            .map_err(hide)?,
    ))
}

/// Approve a version as one of the roles the document names. You must hold
/// the role, must not have drafted the version, and each role needs its own
/// person. The last approval puts the version in force (at its
/// `effective_from` if that is later).
#[utoipa::path(post, path = "/documents/{id}/versions/{version}/approvals", tag = "documents", operation_id = "approve_document_version", request_body = ApprovalInput,
    params(("id" = String, Path, description = "e.g. incident-policy"),
        ("version" = u32, Path, minimum = 1, description = "1, 2, 3…")),
    responses((status = 200, description = "The document with the approval", body = DocumentView),
        (status = 409, description = "The version is approved already, approved as this role already, or replaced by a later draft", body = Problem)))]
pub async fn approve(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((id, version)): Path<(String, String)>,
    JsonBody(body): JsonBody<ApprovalInput>,
) -> Result<Json<DocumentView>, ApiError> {
    let v = version_of(&version)?;
    Ok(Json(
        s.app
            .approve_document(&actor, &id, v, body)
            .await
            .map_err(hide)?,
    ))
}

/// Record that the version in force was reviewed and is still right: the
/// next review is due a review interval from now. Its owner, or anyone who
/// may draft.
#[utoipa::path(post, path = "/documents/{id}/reviews", tag = "documents", operation_id = "review_document", request_body = ReviewNote,
    params(("id" = String, Path, description = "e.g. incident-policy")),
    responses((status = 200, description = "The document with its next review date", body = DocumentView),
        (status = 409, description = "No version is in force to review", body = Problem)))]
pub async fn review(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReviewNote>,
) -> Result<Json<DocumentView>, ApiError> {
    Ok(Json(
        s.app
            .review_document(&actor, &id, body)
            .await
            .map_err(hide)?,
    ))
}

/// Which versions to compare.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// The older version.
    #[param(minimum = 1, maximum = 4294967295_u64)]
    pub from: u32,
    /// The newer version.
    #[param(minimum = 1, maximum = 4294967295_u64)]
    pub to: u32,
}

/// The changes from one version's text to another's, line by line.
#[utoipa::path(get, path = "/documents/{id}/diff", tag = "documents", operation_id = "diff_document_versions",
    params(("id" = String, Path, description = "e.g. incident-policy"), DiffParams),
    responses((status = 200, description = "The changed lines with three lines around each", body = VersionDiff)))]
pub async fn diff(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    QueryParams(p): QueryParams<DiffParams>,
) -> Result<Json<VersionDiff>, ApiError> {
    Ok(Json(
        s.app
            .document_diff(&actor, &id, p.from, p.to)
            .await
            .map_err(hide)?,
    ))
}

/// A malformed id in the path is a document that does not exist, not a
/// refused field.
fn hide(e: rampart_app::AppError) -> ApiError {
    match e {
        rampart_app::AppError::Domain(rampart_domain::DomainError::Invalid(errors))
            if errors.len() == 1 && errors[0].field == "id" =>
        {
            ApiError::NotFound(format!("no document: the id {}", errors[0].message))
        }
        other => other.into(),
    }
}
