//! Regulatory notification clocks: the rule table (admins change it) and,
//! on each incident, which regimes apply, the anchor moments, the reports
//! sent and every clock they run.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_domain::regulatory::{ClockStatus, Obligations, RegulatoryRules};
use rampart_domain::{AnchorInput, Incident, IncidentNumber, RegimeDecision, SubmissionInput};
use serde::Serialize;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody};

const N: &str = "e.g. INC-2026-0001";

fn incident_number(raw: &str) -> Result<IncidentNumber, ApiError> {
    super::number(raw, "incident")
}

/// An incident's notification obligations and the clocks they run.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IncidentClocks {
    pub incident: IncidentNumber,
    /// One per report of every regime that applies, regime by regime.
    pub clocks: Vec<ClockStatus>,
    /// What the ISIRT recorded: the regimes with their checklist answers,
    /// the anchor moments (awareness from the incident when not recorded)
    /// and the reports sent.
    pub obligations: Obligations,
}

async fn view(s: &AppState, incident: &Incident) -> Result<IncidentClocks, ApiError> {
    Ok(IncidentClocks {
        incident: incident.number,
        clocks: s.app.incident_clocks(incident).await?,
        obligations: incident.clock_obligations(),
    })
}

/// The notification rules: regimes, their reports, deadlines and anchors, and calendars.
#[utoipa::path(get, path = "/regulatory/rules", tag = "incidents", operation_id = "get_notification_rules",
    responses((status = 200, description = "The rules in force, with their version", body = RegulatoryRules)))]
pub async fn rules(
    State(s): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<RegulatoryRules>, ApiError> {
    Ok(Json(s.app.get_regulatory_rules(&actor).await?))
}

/// Replace the notification rules (admins). Send the `version` you read: a
/// table changed meanwhile by someone else is refused, naming `version`.
#[utoipa::path(put, path = "/regulatory/rules", tag = "incidents", operation_id = "replace_notification_rules", request_body = RegulatoryRules,
    responses((status = 200, description = "The rules now in force, with their new version", body = RegulatoryRules)))]
pub async fn replace_rules(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<RegulatoryRules>,
) -> Result<Json<RegulatoryRules>, ApiError> {
    Ok(Json(s.app.replace_regulatory_rules(&actor, body).await?))
}

/// The incident's notification clocks: each report of each regime that applies.
#[utoipa::path(get, path = "/incidents/{number}/clocks", tag = "incidents", operation_id = "incident_clocks",
    params(("number" = String, Path, description = N)),
    responses((status = 200, description = "The clocks and what they run from", body = IncidentClocks)))]
pub async fn clocks(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<IncidentClocks>, ApiError> {
    let incident = s.app.get_incident(&actor, incident_number(&n)?).await?;
    Ok(Json(view(&s, &incident).await?))
}

/// Record that a regime applies to the incident, with the significance
/// checklist answers as the reason (again: replaces the earlier decision);
/// `applies: false` with a `reason` withdraws it.
#[utoipa::path(post, path = "/incidents/{number}/regimes", tag = "incidents", operation_id = "decide_regime",
    params(("number" = String, Path, description = N)), request_body = RegimeDecision,
    responses((status = 200, description = "The clocks now", body = IncidentClocks), (status = 422, description = "An unknown regime, question or missing reason", body = Problem)))]
pub async fn decide(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<RegimeDecision>,
) -> Result<Json<IncidentClocks>, ApiError> {
    let (incident, _) = s
        .app
        .decide_regime(&actor, incident_number(&n)?, body)
        .await?;
    Ok(Json(view(&s, &incident).await?))
}

/// Record a moment a clock runs from (`aware`, `classified_major`,
/// `materiality_determined`, `determined`, `noticed`, `requested`), with
/// who recorded it; recording a kind again corrects it.
#[utoipa::path(post, path = "/incidents/{number}/anchors", tag = "incidents", operation_id = "record_anchor",
    params(("number" = String, Path, description = N)), request_body = AnchorInput,
    responses((status = 201, description = "Recorded; the clocks now", body = IncidentClocks)))]
pub async fn anchor(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<AnchorInput>,
) -> Result<(StatusCode, Json<IncidentClocks>), ApiError> {
    let (incident, _) = s
        .app
        .record_anchor(&actor, incident_number(&n)?, body)
        .await?;
    Ok((StatusCode::CREATED, Json(view(&s, &incident).await?)))
}

/// Record a report sent to an authority (when, to whom, reference, content
/// or the evidence item holding it); the clocks that run from it start.
#[utoipa::path(post, path = "/incidents/{number}/submissions", tag = "incidents", operation_id = "record_submission",
    params(("number" = String, Path, description = N)), request_body = SubmissionInput,
    responses((status = 201, description = "Recorded; the clocks now", body = IncidentClocks), (status = 422, description = "A regime that does not apply, an unknown report, a time in the future", body = Problem)))]
pub async fn submission(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<SubmissionInput>,
) -> Result<(StatusCode, Json<IncidentClocks>), ApiError> {
    let (incident, _) = s
        .app
        .record_submission(&actor, incident_number(&n)?, body)
        .await?;
    Ok((StatusCode::CREATED, Json(view(&s, &incident).await?)))
}
