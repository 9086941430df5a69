//! Vulnerabilities: report, assess, resolve or accept, review, list, read.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::VulnerabilityQuery;
use rampart_domain::{
    IncidentNumber, Review, ReviewInput, Vulnerability, VulnerabilityAssessment,
    VulnerabilityNumber, VulnerabilityReport, VulnerabilityResolution, VulnerabilityStatus,
};
use serde::Deserialize;

use super::{Page, number};
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, JsonBody, QueryParams};

/// Filters of the vulnerability register.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VulnerabilityFilters {
    pub status: Option<VulnerabilityStatus>,
    /// Text found anywhere in the number, title, description, assets or
    /// reference: any part of a word, in any case.
    pub text: Option<String>,
    /// Only those found during this incident, e.g. `INC-2026-0001`.
    #[serde(default, deserialize_with = "incident_filter")]
    #[param(value_type = Option<IncidentNumber>)]
    pub incident: Option<IncidentNumber>,
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "super::cursor")]
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    #[serde(default, deserialize_with = "super::page_limit")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

const N: &str = "e.g. VUL-2026-0001";

fn incident_filter<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<IncidentNumber>, D::Error> {
    let raw = String::deserialize(d)?;
    raw.parse()
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("`{raw}` is not an incident number")))
}

fn vulnerability_number(raw: &str) -> Result<VulnerabilityNumber, ApiError> {
    number(raw, "vulnerability")
}

/// Report a vulnerability.
#[utoipa::path(post, path = "/vulnerabilities", tag = "vulnerabilities", operation_id = "report_vulnerability", request_body = VulnerabilityReport,
    responses((status = 201, description = "Reported", body = Vulnerability)))]
pub async fn report(
    State(s): State<AppState>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<VulnerabilityReport>,
) -> Result<(StatusCode, Json<Vulnerability>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.report_vulnerability(&actor, body).await?),
    ))
}

/// The vulnerability register, newest first; for a reporter, the
/// vulnerabilities they reported.
#[utoipa::path(get, path = "/vulnerabilities", tag = "vulnerabilities", operation_id = "list_vulnerabilities", params(VulnerabilityFilters),
    responses((status = 200, description = "A page of the register", body = Page<Vulnerability>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<VulnerabilityFilters>,
) -> Result<Json<Page<Vulnerability>>, ApiError> {
    let query = VulnerabilityQuery {
        status: f.status,
        text: f.text,
        incident: f.incident.map(|n| n.to_string()),
        cursor: f.cursor,
        limit: f.limit.unwrap_or(super::DEFAULT_LIMIT),
        ..VulnerabilityQuery::default()
    };
    Ok(Json(
        s.app.list_vulnerabilities(&actor, query).await?.into(),
    ))
}

/// Read one vulnerability (a reporter: one they reported, without its
/// assessment and resolution).
#[utoipa::path(get, path = "/vulnerabilities/{number}", tag = "vulnerabilities", operation_id = "get_vulnerability", params(("number" = String, Path, description = N)),
    responses((status = 200, description = "The vulnerability", body = Vulnerability)))]
pub async fn get(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
) -> Result<Json<Vulnerability>, ApiError> {
    Ok(Json(
        s.app
            .get_vulnerability(&actor, vulnerability_number(&n)?)
            .await?,
    ))
}

/// Assess: `under_assessment`, `confirmed` or `not_confirmed`.
#[utoipa::path(post, path = "/vulnerabilities/{number}/assessment", tag = "vulnerabilities", operation_id = "assess_vulnerability", params(("number" = String, Path, description = N)), request_body = VulnerabilityAssessment,
    responses((status = 200, description = "The vulnerability, assessed", body = Vulnerability), (status = 409, description = "Its lifecycle does not allow this outcome now; `current` and `allowed` say where it stands", body = Problem)))]
pub async fn assess(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<VulnerabilityAssessment>,
) -> Result<Json<Vulnerability>, ApiError> {
    Ok(Json(
        s.app
            .assess_vulnerability(&actor, vulnerability_number(&n)?, body)
            .await?,
    ))
}

/// End a confirmed vulnerability: `resolved` (how, authorised by whom) or `accepted` (risk accepted until a date; ISIRT manager).
#[utoipa::path(post, path = "/vulnerabilities/{number}/resolution", tag = "vulnerabilities", operation_id = "resolve_vulnerability", params(("number" = String, Path, description = N)), request_body = VulnerabilityResolution,
    responses((status = 200, description = "The vulnerability, resolved or its risk accepted", body = Vulnerability), (status = 409, description = "It is not confirmed; `current` and `allowed` say where it stands", body = Problem)))]
pub async fn resolve(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<VulnerabilityResolution>,
) -> Result<Json<Vulnerability>, ApiError> {
    Ok(Json(
        s.app
            .resolve_vulnerability(&actor, vulnerability_number(&n)?, body)
            .await?,
    ))
}

/// Record the lessons-learned review of a confirmed vulnerability (resolved,
/// accepted or still open): what would have caught it sooner, the lessons,
/// the improvement actions (tracked on the register as `VUL-…-NNNN.n`) and
/// the incidents it lay behind. A new submission supersedes the last, which
/// the journal keeps.
#[utoipa::path(post, path = "/vulnerabilities/{number}/review", tag = "vulnerabilities", operation_id = "record_vulnerability_review", params(("number" = String, Path, description = N)), request_body = ReviewInput,
    responses((status = 201, description = "Recorded", body = Review), (status = 409, description = "It is not confirmed; `current` and `allowed` say where it stands", body = Problem)))]
pub async fn record_review(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(n): Path<String>,
    JsonBody(body): JsonBody<ReviewInput>,
) -> Result<(StatusCode, Json<Review>), ApiError> {
    let number = vulnerability_number(&n)?;
    let review = s
        .app
        .record_vulnerability_review(&actor, number, body)
        .await?;
    Ok((StatusCode::CREATED, Json(review)))
}
