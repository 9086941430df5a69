//! Events: report, list, read, triage, assess, reject.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::triage::{BulkDecision, ItemOutcome, ItemResult};
use rampart_app::{ErrorKind, EventQuery, EventSort, EventStage};
use rampart_domain::{
    AlertSeverity, AssessmentInput, Category, Event, EventNumber, EventReport, EventStatus,
    IncidentNumber, Measured, ReporterKind, Text, Timestamp,
};
use serde::{Deserialize, Serialize};

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
    /// `queue`: waiting for an assessment (reported, triage); `past`: false
    /// alarm, handled locally, not an incident, or linked.
    #[param(inline)]
    pub stage: Option<StageParam>,
    /// `person`, `sensor`, or a sensor's name.
    pub source: Option<String>,
    /// Reported at or after this time.
    pub since: Option<Timestamp>,
    /// Reported before this time.
    pub before: Option<Timestamp>,
    /// The sensor's severity.
    pub severity: Option<AlertSeverity>,
    /// The category the categorization rules proposed.
    pub category: Option<Category>,
    /// `employee`, `public` (the public form) or `sensor`.
    #[param(inline)]
    pub reporter: Option<ReporterKind>,
    /// Absent: real records only (exercise records are left out); `include`:
    /// exercise records too; `only`: exercise records only; an exercise's
    /// id: that exercise's records.
    #[param(pattern = "^[a-z][a-z0-9-]{0,62}[a-z0-9]$")]
    pub exercise: Option<String>,

    /// Text found anywhere in the number, title, description, assets,
    /// observables or source: any part of a word, in any case.
    pub text: Option<String>,
    /// `newest` first (default), `oldest` first, `severity` (most severe
    /// first, unknown last, then oldest first), or `due`: the running
    /// response-time target due soonest first (events with none left out).
    #[param(inline)]
    pub sort: Option<SortParam>,
    /// Only events whose running response-time target is `on_track`,
    /// `due_soon` (three quarters of the time used) or `overdue`; `running`:
    /// any target running.
    #[param(inline)]
    pub target: Option<super::targets::TargetParam>,
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "super::pair_cursor")]
    #[param(pattern = r"^[0-9]{1,18}\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    #[serde(default, deserialize_with = "super::page_limit")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Orders of the event list.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortParam {
    Newest,
    Oldest,
    Severity,
    Due,
}

impl From<SortParam> for EventSort {
    fn from(s: SortParam) -> Self {
        match s {
            SortParam::Newest => Self::Newest,
            SortParam::Oldest => Self::Oldest,
            SortParam::Severity => Self::Severity,
            SortParam::Due => Self::Due,
        }
    }
}

/// The lists of the triage work.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageParam {
    Queue,
    Past,
}

impl From<StageParam> for EventStage {
    fn from(s: StageParam) -> Self {
        match s {
            StageParam::Queue => Self::Queue,
            StageParam::Past => Self::Past,
        }
    }
}

/// The decision applied to every listed event.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkDecisionKind {
    /// Nothing happened (needs `reason`).
    FalseAlarm,
    /// Needs the ISIRT: escalated as a possible incident.
    PossibleIncident,
    /// Part of an existing open incident (needs `incident`); an event not
    /// yet assessed is assessed as a possible incident and linked at once.
    Link,
}

/// Many events assessed at once, each on its own.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAssessment {
    /// The events, at most 100, each once.
    #[schema(max_items = 100, min_items = 1)]
    pub events: Vec<EventNumber>,
    pub decision: BulkDecisionKind,
    /// Why they are false alarms (with `false_alarm`).
    #[serde(default)]
    pub reason: Option<Text>,
    /// Notes for the ISIRT (with `possible_incident`).
    #[serde(default)]
    pub notes: Option<Text>,
    /// The open incident to add them to (with `link`), e.g. `INC-2026-0001`.
    #[serde(default)]
    pub incident: Option<IncidentNumber>,
}

impl BulkAssessment {
    /// The one decision, or the field that is missing or out of place.
    pub fn decision(&self) -> Result<BulkDecision, ApiError> {
        let misplaced = |field: &str, with: &str| {
            ApiError::field(field, format!("goes only with the decision `{with}`"))
        };
        use BulkDecisionKind as K;
        match self.decision {
            K::FalseAlarm => {
                if self.incident.is_some() {
                    return Err(misplaced("incident", "link"));
                }
                let reason = self
                    .reason
                    .clone()
                    .ok_or_else(|| ApiError::field("reason", "say why these are false alarms"))?;
                Ok(BulkDecision::FalseAlarm { reason })
            }
            K::PossibleIncident => {
                if self.incident.is_some() {
                    return Err(misplaced("incident", "link"));
                }
                if self.reason.is_some() {
                    return Err(misplaced("reason", "false_alarm"));
                }
                Ok(BulkDecision::PossibleIncident {
                    notes: self.notes.clone(),
                })
            }
            K::Link => {
                if self.reason.is_some() {
                    return Err(misplaced("reason", "false_alarm"));
                }
                let incident = self.incident.ok_or_else(|| {
                    ApiError::field("incident", "name the open incident to add the events to")
                })?;
                Ok(BulkDecision::Link { incident })
            }
        }
    }
}

/// How one listed event went.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkItem {
    pub event: EventNumber,
    /// `done`, or `refused` (nothing changed for this event).
    pub outcome: BulkOutcome,
    /// The event's status after it was done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<EventStatus>,
    /// The incident it was linked to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<IncidentNumber>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The kind of refusal: `conflict`, `not_found`, `invalid`, `forbidden`, `illegal_transition`, `unavailable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Done, or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    Done,
    Refused,
}

/// The answer to a bulk assessment: one result per listed event, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResults {
    pub results: Vec<BulkItem>,
    pub done: usize,
    pub refused: usize,
}

impl From<Vec<ItemResult>> for BulkResults {
    fn from(items: Vec<ItemResult>) -> Self {
        let results: Vec<BulkItem> = items
            .into_iter()
            .map(|r| match r.outcome {
                ItemOutcome::Done { status, incident } => BulkItem {
                    event: r.event,
                    outcome: BulkOutcome::Done,
                    status: Some(status),
                    incident,
                    reason: None,
                    code: None,
                },
                ItemOutcome::Refused { reason, kind } => BulkItem {
                    event: r.event,
                    outcome: BulkOutcome::Refused,
                    status: None,
                    incident: None,
                    reason: Some(reason),
                    code: Some(kind_code(kind).to_owned()),
                },
            })
            .collect();
        let done = results
            .iter()
            .filter(|r| r.outcome == BulkOutcome::Done)
            .count();
        Self {
            refused: results.len() - done,
            done,
            results,
        }
    }
}

/// The wire name of a kind of refusal.
pub fn kind_code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Invalid => "invalid",
        ErrorKind::Forbidden => "forbidden",
        ErrorKind::NotFound => "not_found",
        ErrorKind::IllegalTransition => "illegal_transition",
        ErrorKind::Conflict => "conflict",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::Internal => "internal",
    }
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

/// List events, newest first unless `sort` says otherwise. Reporters see their own reports only.
#[utoipa::path(get, path = "/events", tag = "events", operation_id = "list_events", params(EventFilters),
    responses((status = 200, description = "A page of events", body = Page<Event>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<EventFilters>,
) -> Result<Json<Page<Event>>, ApiError> {
    let query = EventQuery {
        status: f.status,
        stage: f.stage.map(Into::into),
        source: f.source,
        since: f.since,
        before: f.before,
        severity: f.severity,
        category: f.category,
        reporter: f.reporter,
        text: f.text,
        submitted_by: None,
        lanes: match f.target {
            Some(t) => Some(s.app.target_lanes(Measured::Event, t.state()).await?),
            None => None,
        },
        sort: f.sort.map(Into::into).unwrap_or_default(),
        cursor: f.cursor,
        limit: f.limit.unwrap_or(super::DEFAULT_LIMIT),
        exercise: super::exercise_scope(f.exercise.as_deref())?,
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

/// Assess many events at once with one decision: false alarm (with one
/// reason), possible incident, or link to an existing open incident. Each
/// event is done on its own, whole or not at all; the answer has one result
/// per event, in order, and a refused event (e.g. already assessed by
/// someone else) does not stop the others.
#[utoipa::path(post, path = "/events/assessments", tag = "events", operation_id = "assess_events", request_body = BulkAssessment,
    responses((status = 200, description = "One result per listed event", body = BulkResults), (status = 422, description = "The body is wrong (the field is named, e.g. `events[2]`); nothing was done", body = Problem)))]
pub async fn assess_many(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<BulkAssessment>,
) -> Result<Json<BulkResults>, ApiError> {
    // The role first: a caller who may not assess learns nothing of the body.
    actor.require(rampart_domain::Action::AssessEvent)?;
    let decision = body.decision()?;
    let results = s.app.assess_many(&actor, body.events, decision).await?;
    Ok(Json(results.into()))
}
