//! Observables: those recorded on an incident (add, list, change, remove),
//! the pivot from one observable to every incident and event carrying it,
//! and the extraction of candidate observables from text.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::observables::PivotQuery;
use rampart_domain::{
    Event, EventNumber, Incident, IncidentNumber, IncidentObservable, NewObservable, Observable,
    ObservableType, ObservableUpdate, Text,
};
use serde::{Deserialize, Serialize};

use super::{Page, number};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, QueryParams};

const N: &str = "e.g. INC-2026-0001";
const ID: &str = "The observable's id within the incident";

fn incident_number(raw: &str) -> Result<IncidentNumber, ApiError> {
    number(raw, "incident")
}

fn observable_id(raw: &str) -> Result<u32, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("no observable `{raw}`")))
}

/// An observable of an event linked to the incident.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventObservableView {
    pub event: EventNumber,
    #[serde(rename = "type")]
    pub kind: ObservableType,
    pub value: String,
}

/// An incident's observables.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ObservableList {
    /// Observables recorded on the incident and not removed, in the order
    /// they were added (removed ones stay in the incident record, marked `removed`).
    pub items: Vec<IncidentObservable>,
    /// Observables of the linked events you may see that the incident does
    /// not carry itself, each once with the first event carrying it.
    pub from_events: Vec<EventObservableView>,
}

/// List an incident's observables, with those of its linked events.
#[utoipa::path(get, path = "/incidents/{number}/observables", tag = "observables", operation_id = "get_incident_observables", params(("number" = String, Path, description = N)),
    responses((status = 200, description = "The incident's observables", body = ObservableList)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<ObservableList>, ApiError> {
    let o = s
        .app
        .incident_observables(&actor, incident_number(&n)?)
        .await?;
    Ok(Json(ObservableList {
        items: o.items,
        from_events: o
            .from_events
            .into_iter()
            .map(|e| EventObservableView {
                event: e.event,
                kind: e.observable.kind,
                value: e.observable.value,
            })
            .collect(),
    }))
}

/// Record an observable on an incident. The value is normalised by type as
/// on events; the same type and value twice on one incident is refused.
#[utoipa::path(post, path = "/incidents/{number}/observables", tag = "observables", operation_id = "add_incident_observable", params(("number" = String, Path, description = N)), request_body = NewObservable,
    responses((status = 201, description = "Recorded", body = IncidentObservable)))]
pub async fn add(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<NewObservable>,
) -> Result<(StatusCode, Json<IncidentObservable>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.app
                .add_observable(&actor, incident_number(&n)?, body)
                .await?,
        ),
    ))
}

/// Change an observable; absent fields stay as they are. The journal keeps it before and after.
#[utoipa::path(patch, path = "/incidents/{number}/observables/{id}", tag = "observables", operation_id = "update_incident_observable", params(("number" = String, Path, description = N), ("id" = u32, Path, description = ID)), request_body = ObservableUpdate,
    responses((status = 200, description = "The observable, changed", body = IncidentObservable)))]
pub async fn update(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((n, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ObservableUpdate>,
) -> Result<Json<IncidentObservable>, ApiError> {
    Ok(Json(
        s.app
            .update_observable(&actor, incident_number(&n)?, observable_id(&id)?, body)
            .await?,
    ))
}

/// Why an observable is removed.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RemoveParams {
    /// Kept in the journal and the record.
    #[param(value_type = Option<rampart_domain::Text>)]
    pub reason: Option<String>,
}

/// Remove an observable. The incident record keeps it, marked `removed`
/// (who, when, why), out of the index and the searches; the journal keeps the entry.
#[utoipa::path(delete, path = "/incidents/{number}/observables/{id}", tag = "observables", operation_id = "remove_incident_observable", params(("number" = String, Path, description = N), ("id" = u32, Path, description = ID), RemoveParams),
    responses((status = 200, description = "The observable as the removal left it", body = IncidentObservable)))]
pub async fn remove(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((n, id)): Path<(String, String)>,
    QueryParams(p): QueryParams<RemoveParams>,
) -> Result<Json<IncidentObservable>, ApiError> {
    let reason = p
        .reason
        .filter(|r| !r.trim().is_empty())
        .map(|r| Text::new(&r).map_err(|m| ApiError::field("reason", m)))
        .transpose()?;
    Ok(Json(
        s.app
            .remove_observable(&actor, incident_number(&n)?, observable_id(&id)?, reason)
            .await?,
    ))
}

/// Where the pivot's lists start.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PivotParams {
    /// The `next_cursor` of the previous page of incidents.
    #[serde(default, deserialize_with = "super::cursor")]
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub incidents_cursor: Option<String>,
    /// The `next_cursor` of the previous page of events.
    #[serde(default, deserialize_with = "super::cursor")]
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub events_cursor: Option<String>,
    /// Items of each list, 1-500 (default 50).
    #[serde(default, deserialize_with = "super::page_limit")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Where an observable is seen.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PivotView {
    #[serde(rename = "type")]
    pub kind: ObservableType,
    /// Normalised as recorded.
    pub value: String,
    /// Incidents carrying it that you may see (need-to-know holds).
    pub incident_count: u64,
    /// Events carrying it (0 when your roles do not see events).
    pub event_count: u64,
    /// Newest first; absent when your roles do not see incidents.
    pub incidents: Option<Page<Incident>>,
    /// Newest first; absent when your roles do not see events.
    pub events: Option<Page<Event>>,
}

/// Every incident and event carrying an observable, newest first, with counts.
/// A value holding `/` (a URL) is sent percent-encoded (`%2F`).
#[utoipa::path(get, path = "/observables/{type}/{value}", tag = "observables", operation_id = "pivot_observable",
    params(("type" = ObservableType, Path, description = "The observable's type"), ("value" = String, Path, description = "The value, normalised or not (e.g. `Evil.Example.`)"), PivotParams),
    responses((status = 200, description = "The incidents and events carrying the observable", body = PivotView)))]
pub async fn pivot(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path((kind, value)): Path<(String, String)>,
    QueryParams(p): QueryParams<PivotParams>,
) -> Result<Json<PivotView>, ApiError> {
    let kind = ObservableType::parse(&kind).map_err(|m| ApiError::field("type", m))?;
    let query = PivotQuery {
        incidents_cursor: p.incidents_cursor,
        events_cursor: p.events_cursor,
        limit: p.limit.unwrap_or(super::DEFAULT_LIMIT),
    };
    let pivot = s.app.pivot(&actor, kind, &value, query).await?;
    Ok(Json(PivotView {
        kind: pivot.observable.kind,
        value: pivot.observable.value,
        incident_count: pivot.incident_count,
        event_count: pivot.event_count,
        incidents: pivot.incidents.map(Into::into),
        events: pivot.events.map(Into::into),
    }))
}

/// Text to extract observables from.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractInput {
    /// Free text (an alert, an e-mail, a log excerpt), defanged forms
    /// included (`hxxp://`, `1.2.3[.]4`, `example[.]com`); at most 64 KiB.
    pub text: String,
    /// Leave out the observables already on this incident.
    #[serde(default)]
    pub incident: Option<IncidentNumber>,
}

/// The candidates found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExtractOutput {
    /// Normalised, each once, in the order they appear (at most 200).
    pub candidates: Vec<Observable>,
}

/// Extract candidate observables from text: IPv4 and IPv6 addresses, domains
/// (with a public suffix), URLs, MD5, SHA-1 and SHA-256 hashes and e-mail addresses.
#[utoipa::path(post, path = "/observables/extract", tag = "observables", operation_id = "extract_observables", request_body = ExtractInput,
    responses((status = 200, description = "The candidates", body = ExtractOutput), (status = 404, description = "The named `incident` does not exist, or is hidden from you by need-to-know", body = crate::error::Problem)))]
pub async fn extract(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<ExtractInput>,
) -> Result<Json<ExtractOutput>, ApiError> {
    let candidates = s
        .app
        .extract_observables(&actor, body.incident, "text", &body.text)
        .await?;
    Ok(Json(ExtractOutput { candidates }))
}
