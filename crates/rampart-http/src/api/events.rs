//! Events: report, list, read, triage, assess, reject.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::EventQuery;
use rampart_domain::{
    AssessmentInput, Event, EventNumber, EventReport, EventStatus, Text, Timestamp,
};
use serde::Deserialize;

use super::{Page, number};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};
use rampart_app::intake::Intake;

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
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "super::cursor")]
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    #[serde(default, deserialize_with = "super::page_limit")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The ISIRT's finding that an escalated event is not an incident.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectionInput {
    pub reason: Text,
}

const N: &str = "e.g. EVT-2026-000001";

fn event_number(raw: &str) -> Result<EventNumber, ApiError> {
    number(raw, "event")
}

/// Report an information security event. A sensor's alert whose
/// `source.name` and `source.ref` match an earlier one is a repeat: the
/// answer is that first event with its occurrence count raised (200).
#[utoipa::path(post, path = "/events", tag = "events", operation_id = "report_event", request_body = EventReport,
    responses((status = 201, description = "Reported", body = Event), (status = 200, description = "A repeat of an earlier alert: the first event, its occurrence count raised", body = Event)))]
pub async fn report(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<EventReport>,
) -> Result<(StatusCode, Json<Event>), ApiError> {
    Ok(match s.app.ingest(&actor, body).await? {
        Intake::Created(event) => (StatusCode::CREATED, Json(event)),
        // A repeat of a sensor's alert: the first event, its count raised.
        Intake::Duplicate(event) => (StatusCode::OK, Json(event)),
    })
}

/// List events, newest first. Reporters see their own reports only.
#[utoipa::path(get, path = "/events", tag = "events", operation_id = "list_events", params(EventFilters),
    responses((status = 200, description = "A page of events", body = Page<Event>)))]
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
        limit: f.limit.unwrap_or(super::DEFAULT_LIMIT),
    };
    Ok(Json(s.app.list_events(&actor, query).await?.into()))
}

/// Read one event.
#[utoipa::path(get, path = "/events/{number}", tag = "events", operation_id = "get_event", params(("number" = String, Path, description = N)),
    responses((status = 200, description = "The event", body = Event)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Event>, ApiError> {
    Ok(Json(s.app.get_event(&actor, event_number(&n)?).await?))
}

/// Take an event into triage (records who has it).
#[utoipa::path(post, path = "/events/{number}/triage", tag = "events", operation_id = "triage_event", params(("number" = String, Path, description = N)),
    responses((status = 200, description = "The event, in triage", body = Event), (status = 409, description = "The event's lifecycle does not allow triage now", body = Problem)))]
pub async fn triage(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Event>, ApiError> {
    Ok(Json(s.app.triage_event(&actor, event_number(&n)?).await?))
}

/// The point of contact's assessment: false alarm, handled locally, or possible incident (escalated to the ISIRT).
#[utoipa::path(post, path = "/events/{number}/assessment", tag = "events", operation_id = "assess_event", params(("number" = String, Path, description = N)), request_body = AssessmentInput,
    responses((status = 200, description = "The event, assessed", body = Event), (status = 409, description = "The event's lifecycle does not allow an assessment now", body = Problem)))]
pub async fn assess(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<AssessmentInput>,
) -> Result<Json<Event>, ApiError> {
    Ok(Json(
        s.app.assess_event(&actor, event_number(&n)?, body).await?,
    ))
}

/// The ISIRT finds an escalated event is not an incident.
#[utoipa::path(post, path = "/events/{number}/rejection", tag = "events", operation_id = "reject_event", params(("number" = String, Path, description = N)), request_body = RejectionInput,
    responses((status = 200, description = "The event, found not to be an incident", body = Event), (status = 409, description = "The event is not escalated", body = Problem)))]
pub async fn reject(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<RejectionInput>,
) -> Result<Json<Event>, ApiError> {
    Ok(Json(
        s.app
            .reject_event(&actor, event_number(&n)?, body.reason)
            .await?,
    ))
}
