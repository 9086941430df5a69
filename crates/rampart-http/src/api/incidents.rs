//! Incidents: confirm, list, read, change, link events, move through the
//! lifecycle, the log, response actions and the lessons-learned review.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::{IncidentQuery, IncidentSort};
use rampart_domain::{
    ActionUpdate, Category, Event, EventNumber, Incident, IncidentConfirmation, IncidentNumber,
    IncidentPatch, IncidentStatus, LogEntry, Measured, MergeRequest, NewAction, NewLogEntry,
    ResponseAction, Review, ReviewInput, SeverityClass, TransitionRequest,
};
use serde::{Deserialize, Serialize};

use super::{Page, Paging, number};
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
    /// Absent: real records only (exercise records are left out); `include`:
    /// exercise records too; `only`: exercise records only; an exercise's
    /// id: that exercise's records.
    #[param(pattern = "^[a-z][a-z0-9-]{0,62}[a-z0-9]$")]
    pub exercise: Option<String>,
    /// Text found anywhere in the number, title, description, the events'
    /// numbers, assets or observables: any part of a word, in any case.
    pub text: Option<String>,
    /// Only incidents whose running response-time target is `on_track`,
    /// `due_soon` (three quarters of the time used) or `overdue`; `running`:
    /// any target running.
    #[param(inline)]
    pub target: Option<super::targets::TargetParam>,
    /// `priority` (default: severity, then effort), `newest` or `oldest`
    /// confirmed first, or `due`: the running response-time target due
    /// soonest first (incidents with none left out).
    #[param(inline)]
    pub sort: Option<IncidentSortParam>,
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "super::pair_cursor")]
    #[param(pattern = r"^[0-9]{1,18}\.[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    #[serde(default, deserialize_with = "super::page_limit")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Orders of the incident register.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentSortParam {
    Priority,
    Newest,
    Oldest,
    Due,
}

impl From<IncidentSortParam> for IncidentSort {
    fn from(s: IncidentSortParam) -> Self {
        match s {
            IncidentSortParam::Priority => Self::Priority,
            IncidentSortParam::Newest => Self::Newest,
            IncidentSortParam::Oldest => Self::Oldest,
            IncidentSortParam::Due => Self::Due,
        }
    }
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

/// Another incident to relate to this one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelatedInput {
    pub incident: IncidentNumber,
}

fn incident_number(raw: &str) -> Result<IncidentNumber, ApiError> {
    number(raw, "incident")
}

const N: &str = "e.g. INC-2026-0001";

/// Confirm an incident from escalated events, with category, severity and coordinator.
#[utoipa::path(post, path = "/incidents", tag = "incidents", operation_id = "confirm_incident", request_body = IncidentConfirmation,
    responses((status = 201, description = "Confirmed", body = Incident), (status = 409, description = "An event is not escalated, or already linked", body = Problem)))]
pub async fn confirm(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<IncidentConfirmation>,
) -> Result<(StatusCode, Json<Incident>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.confirm_incident(&actor, body).await?),
    ))
}

/// The incident register, in priority order (severity, then effort).
#[utoipa::path(get, path = "/incidents", tag = "incidents", operation_id = "list_incidents", params(IncidentFilters),
    responses((status = 200, description = "A page of the register", body = Page<Incident>)))]
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
        lanes: match f.target {
            Some(t) => Some(s.app.target_lanes(Measured::Incident, t.state()).await?),
            None => None,
        },
        sort: f.sort.map(Into::into).unwrap_or_default(),
        cursor: f.cursor,
        limit: f.limit.unwrap_or(super::DEFAULT_LIMIT),
        exercise: super::exercise_scope(f.exercise.as_deref())?,
        ..IncidentQuery::default()
    };
    Ok(Json(s.app.list_incidents(&actor, query).await?.into()))
}

/// Read one incident with its linked events, log, actions and review.
#[utoipa::path(get, path = "/incidents/{number}", tag = "incidents", operation_id = "get_incident", params(("number" = String, Path, description = N)),
    responses((status = 200, description = "The incident with its linked events", body = IncidentView)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<IncidentView>, ApiError> {
    let (incident, linked_events) = s
        .app
        .incident_with_events(&actor, incident_number(&n)?)
        .await?;
    Ok(Json(IncidentView {
        incident,
        linked_events,
    }))
}

/// Change an incident's fields: absent fields stay as they are, an optional
/// field sent as `null` is cleared, a list sent replaces the list.
#[utoipa::path(patch, path = "/incidents/{number}", tag = "incidents", operation_id = "update_incident", params(("number" = String, Path, description = N)), request_body = IncidentPatch,
    responses((status = 200, description = "The incident, changed", body = Incident)))]
pub async fn patch(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<IncidentPatch>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.app
            .patch_incident(&actor, incident_number(&n)?, body)
            .await?,
    ))
}

/// Relate another incident to this one (one at a time; journaled as a change
/// of `related_incidents`). The other incident must exist and be visible to
/// the caller, otherwise `422` on `incident`.
#[utoipa::path(post, path = "/incidents/{number}/related", tag = "incidents", operation_id = "link_related_incident", params(("number" = String, Path, description = N)), request_body = RelatedInput,
    responses((status = 200, description = "The incident, with the other one related", body = Incident), (status = 422, description = "No such incident visible to the caller, the incident itself, or already related", body = Problem)))]
pub async fn link_related(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<RelatedInput>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.app
            .link_related(&actor, incident_number(&n)?, body.incident)
            .await?,
    ))
}

/// Merge another incident into this one: its events, observables (one of the
/// same type and value folded into this incident's), log entries, response
/// actions, evidence items and related incidents move here, and it is closed
/// as merged (`merged_into`). Both must be open; the caller must see both;
/// a restricted incident goes only into one whose readers may all see it.
#[utoipa::path(post, path = "/incidents/{number}/merge", tag = "incidents", operation_id = "merge_incident", params(("number" = String, Path, description = N)), request_body = MergeRequest,
    responses((status = 200, description = "The incident merged into, with everything that came", body = Incident), (status = 409, description = "One of the two is not open, or was merged already", body = Problem), (status = 422, description = "`from` names this incident, no incident visible to the caller, or a restricted incident the merge would show to others", body = Problem)))]
pub async fn merge(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<MergeRequest>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.app
            .merge_incidents(&actor, incident_number(&n)?, body)
            .await?,
    ))
}

/// Take a related incident off this incident's list.
#[utoipa::path(delete, path = "/incidents/{number}/related/{other}", tag = "incidents", operation_id = "unlink_related_incident", params(("number" = String, Path, description = N), ("other" = String, Path, description = "The related incident, e.g. INC-2026-0002")),
    responses((status = 200, description = "The incident, without the other one", body = Incident), (status = 422, description = "The other incident is not related", body = Problem)))]
pub async fn unlink_related(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((n, other)): Path<(String, String)>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.app
            .unlink_related(&actor, incident_number(&n)?, incident_number(&other)?)
            .await?,
    ))
}

/// Link another escalated event to an open incident.
#[utoipa::path(post, path = "/incidents/{number}/events", tag = "incidents", operation_id = "link_event", params(("number" = String, Path, description = N)), request_body = LinkInput,
    responses((status = 200, description = "The incident, with the event linked", body = Incident), (status = 409, description = "The incident is closed, or the event is not escalated", body = Problem)))]
pub async fn link_event(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<LinkInput>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.app
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
#[utoipa::path(put, path = "/incidents/{number}/restriction", tag = "incidents", operation_id = "restrict_incident", params(("number" = String, Path, description = N)), request_body = RestrictionInput,
    responses((status = 200, description = "The incident, with its new restriction", body = Incident)))]
pub async fn restrict(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<RestrictionInput>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.app
            .restrict_incident(&actor, incident_number(&n)?, body.users)
            .await?,
    ))
}

/// Move through the lifecycle. 409 names the current status and the allowed targets.
#[utoipa::path(post, path = "/incidents/{number}/transitions", tag = "incidents", operation_id = "transition_incident", params(("number" = String, Path, description = N)), request_body = TransitionRequest,
    responses((status = 200, description = "The incident in its new status", body = Incident), (status = 409, description = "The lifecycle does not allow this move now; `current` and `allowed` say where it stands", body = Problem)))]
pub async fn transition(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<TransitionRequest>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(
        s.app.transition(&actor, incident_number(&n)?, body).await?,
    ))
}

/// Record an action or decision in the incident management log.
#[utoipa::path(post, path = "/incidents/{number}/log", tag = "incidents", operation_id = "add_log_entry", params(("number" = String, Path, description = N)), request_body = NewLogEntry,
    responses((status = 201, description = "Recorded", body = LogEntry)))]
pub async fn add_log(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<NewLogEntry>,
) -> Result<(StatusCode, Json<LogEntry>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.add_log(&actor, incident_number(&n)?, body).await?),
    ))
}

/// The incident management log, oldest first.
#[utoipa::path(get, path = "/incidents/{number}/log", tag = "incidents", operation_id = "list_log_entries", params(("number" = String, Path, description = N), Paging),
    responses((status = 200, description = "A page of the log", body = Page<LogEntry>)))]
pub async fn log(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    QueryParams(p): QueryParams<Paging>,
) -> Result<Json<Page<LogEntry>>, ApiError> {
    let log = s.app.get_incident(&actor, incident_number(&n)?).await?.log;
    Ok(Json(Page::of(
        log,
        |e| u64::from(e.id),
        p.cursor.as_deref(),
        p.limit,
    )?))
}

/// Plan a response action.
#[utoipa::path(post, path = "/incidents/{number}/actions", tag = "incidents", operation_id = "add_action", params(("number" = String, Path, description = N)), request_body = NewAction,
    responses((status = 201, description = "Planned", body = ResponseAction)))]
pub async fn add_action(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<NewAction>,
) -> Result<(StatusCode, Json<ResponseAction>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.add_action(&actor, incident_number(&n)?, body).await?),
    ))
}

/// The incident's response actions, in the order they were planned.
#[utoipa::path(get, path = "/incidents/{number}/actions", tag = "incidents", operation_id = "list_actions", params(("number" = String, Path, description = N), Paging),
    responses((status = 200, description = "A page of the actions", body = Page<ResponseAction>)))]
pub async fn actions(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    QueryParams(p): QueryParams<Paging>,
) -> Result<Json<Page<ResponseAction>>, ApiError> {
    let actions = s
        .app
        .get_incident(&actor, incident_number(&n)?)
        .await?
        .actions;
    Ok(Json(Page::of(
        actions,
        |a| u64::from(a.id),
        p.cursor.as_deref(),
        p.limit,
    )?))
}

/// Change a response action: status, outcome, owner, due date, approval.
#[utoipa::path(patch, path = "/incidents/{number}/actions/{id}", tag = "incidents", operation_id = "update_action", params(("number" = String, Path, description = N), ("id" = u32, Path, description = "The action's id within the incident")), request_body = ActionUpdate,
    responses((status = 200, description = "The action, changed", body = ResponseAction), (status = 409, description = "The action's status cannot move there now; `current` and `allowed` say where it stands", body = Problem)))]
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
        s.app
            .update_action(&actor, incident_number(&n)?, id, body)
            .await?,
    ))
}

/// Record the lessons-learned review (a new submission supersedes the last, which the journal keeps).
#[utoipa::path(post, path = "/incidents/{number}/review", tag = "incidents", operation_id = "record_review", params(("number" = String, Path, description = N)), request_body = ReviewInput,
    responses((status = 201, description = "Recorded", body = Review), (status = 409, description = "The incident is not recovering, closed or reviewed", body = Problem)))]
pub async fn record_review(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<ReviewInput>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.app
                .record_review(&actor, incident_number(&n)?, body)
                .await?,
        ),
    ))
}

/// The lessons-learned review.
#[utoipa::path(get, path = "/incidents/{number}/review", tag = "incidents", operation_id = "get_review", params(("number" = String, Path, description = N)),
    responses((status = 200, description = "The latest review", body = Review), (status = 404, description = "No such incident, or no review recorded yet", body = Problem)))]
pub async fn review(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Review>, ApiError> {
    let number = incident_number(&n)?;
    s.app
        .get_incident(&actor, number)
        .await?
        .review
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("{number} has no lessons-learned review yet")))
}

/// Which order the timeline is in.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    /// `occurred` (default): by when things happened; `recorded`: by when they were recorded. Newest first either way.
    #[serde(default)]
    pub order: Option<rampart_app::timeline::TimelineOrder>,
}

/// The incident's timeline: its log merged with what the journal recorded
/// about the incident and its evidence (response actions and approvals,
/// field changes with before and after, observables, the restriction,
/// evidence custody), newest first, at most 500 items. Evidence items only
/// for roles that may view evidence.
#[utoipa::path(get, path = "/incidents/{number}/timeline", tag = "incidents", operation_id = "get_incident_timeline", params(("number" = String, Path, description = N), TimelineParams),
    responses((status = 200, description = "The timeline, newest first; `truncated` when older items were left out", body = rampart_app::timeline::Timeline)))]
pub async fn timeline(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    QueryParams(p): QueryParams<TimelineParams>,
) -> Result<Json<rampart_app::timeline::Timeline>, ApiError> {
    let order = p.order.unwrap_or_default();
    Ok(Json(
        s.app
            .incident_timeline(&actor, incident_number(&n)?, order)
            .await?,
    ))
}
