//! The communications log of an incident: draft, approve, record as sent,
//! withdraw.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_domain::{
    ApproveCommunication, Communication, IncidentNumber, NewCommunication, SendCommunication,
    WithdrawCommunication,
};

use super::{Page, Paging, number};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};

const N: &str = "e.g. INC-2026-0001";
const ID: &str = "The communication's id within the incident";

fn incident_number(raw: &str) -> Result<IncidentNumber, ApiError> {
    number(raw, "incident")
}

fn communication_id(raw: &str) -> Result<u32, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("no communication `{raw}`")))
}

/// Draft a communication about the incident. One to a direct internal
/// audience may be recorded as sent at once; any other awaits approval.
#[utoipa::path(post, path = "/incidents/{number}/communications", tag = "incidents", operation_id = "draft_communication", params(("number" = String, Path, description = N)), request_body = NewCommunication,
    responses((status = 201, description = "Drafted", body = Communication)))]
pub async fn draft(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<NewCommunication>,
) -> Result<(StatusCode, Json<Communication>), ApiError> {
    let number = incident_number(&n)?;
    let drafted = s.app.draft_communication(&actor, number, body).await?;
    Ok((StatusCode::CREATED, Json(drafted)))
}

/// The incident's communications log, in the order drafted.
#[utoipa::path(get, path = "/incidents/{number}/communications", tag = "incidents", operation_id = "list_communications", params(("number" = String, Path, description = N), Paging),
    responses((status = 200, description = "A page of the communications", body = Page<Communication>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    QueryParams(p): QueryParams<Paging>,
) -> Result<Json<Page<Communication>>, ApiError> {
    let all = s.app.communications(&actor, incident_number(&n)?).await?;
    Ok(Json(Page::of(
        all,
        |c| u64::from(c.id),
        p.cursor.as_deref(),
        p.limit,
    )?))
}

/// Approve a communication before it goes out: someone other than its
/// drafter, in a role that may approve for its audience.
#[utoipa::path(post, path = "/incidents/{number}/communications/{id}/approval", tag = "incidents", operation_id = "approve_communication", params(("number" = String, Path, description = N), ("id" = u32, Path, description = ID)), request_body = ApproveCommunication,
    responses((status = 200, description = "Approved", body = Communication), (status = 409, description = "Already sent, approved or withdrawn", body = Problem)))]
pub async fn approve(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((n, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ApproveCommunication>,
) -> Result<Json<Communication>, ApiError> {
    let (number, id) = (incident_number(&n)?, communication_id(&id)?);
    let approved = s.app.approve_communication(&actor, number, id, body).await;
    Ok(Json(approved?))
}

/// Record that a communication went out; one that needs an approval is
/// refused until it has it.
#[utoipa::path(post, path = "/incidents/{number}/communications/{id}/sent", tag = "incidents", operation_id = "send_communication", params(("number" = String, Path, description = N), ("id" = u32, Path, description = ID)), request_body = SendCommunication,
    responses((status = 200, description = "Recorded as sent", body = Communication), (status = 409, description = "Already sent or withdrawn", body = Problem)))]
pub async fn sent(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((n, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<SendCommunication>,
) -> Result<Json<Communication>, ApiError> {
    let (number, id) = (incident_number(&n)?, communication_id(&id)?);
    let sent = s.app.send_communication(&actor, number, id, body).await;
    Ok(Json(sent?))
}

/// Withdraw a communication that has not gone out.
#[utoipa::path(post, path = "/incidents/{number}/communications/{id}/withdrawal", tag = "incidents", operation_id = "withdraw_communication", params(("number" = String, Path, description = N), ("id" = u32, Path, description = ID)), request_body = WithdrawCommunication,
    responses((status = 200, description = "Withdrawn", body = Communication), (status = 409, description = "Already sent or withdrawn", body = Problem)))]
pub async fn withdraw(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((n, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<WithdrawCommunication>,
) -> Result<Json<Communication>, ApiError> {
    let (number, id) = (incident_number(&n)?, communication_id(&id)?);
    let withdrawn = s.app.withdraw_communication(&actor, number, id, body).await;
    Ok(Json(withdrawn?))
}
