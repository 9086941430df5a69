//! Events: report, list, read, triage, assess, reject.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_domain::{
    AssessmentInput, Event, EventNumber, EventReport, EventStatus, Text, Timestamp,
};
use rampart_store::EventQuery;
use serde::Deserialize;

use super::{Page, number};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};
use crate::intake::Intake;

/// Filters of the event list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventFilters {
    pub status: Option<EventStatus>,
    /// `person`, `sensor`, or a sensor's name.
    pub source: Option<String>,
    /// Reported at or after this time.
    pub since: Option<Timestamp>,
    /// Words in the number, title, description, assets, observables or source.
    pub text: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    pub limit: Option<u32>,
}

/// The ISIRT's finding that an escalated event is not an incident.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectionInput {
    pub reason: Text,
}

fn event_number(raw: &str) -> Result<EventNumber, ApiError> {
    number(raw, "event")
}

/// Report an information security event. A sensor's alert whose
/// `source.name` and `source.ref` match an earlier one is a repeat: the
/// answer is that first event with its occurrence count raised (200).
#[utoipa::path(post, path = "/events", tag = "events", request_body = EventReport,
    responses((status = 201, description = "Reported", body = Event), (status = 200, description = "A repeat of an earlier alert", body = Event), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn report(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<EventReport>,
) -> Result<(StatusCode, Json<Event>), ApiError> {
    Ok(match s.service.ingest(&actor, body).await? {
        Intake::Created(event) => (StatusCode::CREATED, Json(event)),
        // A repeat of a sensor's alert: the first event, its count raised.
        Intake::Duplicate(event) => (StatusCode::OK, Json(event)),
    })
}

/// List events, newest first. Reporters see their own reports only.
#[utoipa::path(get, path = "/events", tag = "events", params(EventFilters),
    responses((status = 200, body = Page<Event>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<EventFilters>,
) -> Result<Json<Page<Event>>, ApiError> {
    let query = EventQuery {
        status: f.status,
        source: f.source,
        since: f.since,
        text: f.text,
        submitted_by: None,
        cursor: f.cursor,
        limit: f.limit.unwrap_or(0),
    };
    Ok(Json(s.service.list_events(&actor, query).await?.into()))
}

/// Read one event.
#[utoipa::path(get, path = "/events/{number}", tag = "events", params(("number" = String, Path, description = "e.g. EVT-2026-000001")),
    responses((status = 200, body = Event), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Event>, ApiError> {
    Ok(Json(s.service.get_event(&actor, event_number(&n)?).await?))
}

/// Take an event into triage (records who has it).
#[utoipa::path(post, path = "/events/{number}/triage", tag = "events", params(("number" = String, Path)),
    responses((status = 200, body = Event), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn triage(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Event>, ApiError> {
    Ok(Json(
        s.service.triage_event(&actor, event_number(&n)?).await?,
    ))
}

/// The point of contact's assessment: false alarm, handled locally, or possible incident (escalated to the ISIRT).
#[utoipa::path(post, path = "/events/{number}/assessment", tag = "events", params(("number" = String, Path)), request_body = AssessmentInput,
    responses((status = 200, body = Event), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assess(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<AssessmentInput>,
) -> Result<Json<Event>, ApiError> {
    Ok(Json(
        s.service
            .assess_event(&actor, event_number(&n)?, body)
            .await?,
    ))
}

/// The ISIRT finds an escalated event is not an incident.
#[utoipa::path(post, path = "/events/{number}/rejection", tag = "events", params(("number" = String, Path)), request_body = RejectionInput,
    responses((status = 200, body = Event), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reject(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<RejectionInput>,
) -> Result<Json<Event>, ApiError> {
    Ok(Json(
        s.service
            .reject_event(&actor, event_number(&n)?, body.reason)
            .await?,
    ))
}
