//! The signed Annex D reports, downloaded from a record's page: the same
//! sealed file the API gives.

use axum::extract::{Path, RawQuery, State};
use rampart_app::reports::ReportOf;

use super::Page;
use crate::AppState;
use crate::api::reports::{ReportFormat, make, make_summary};
use crate::web::WebError;
use crate::web::session::Person;

/// The record's number as the address gives it; another is no page.
fn parse<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, WebError> {
    raw.parse()
        .map_err(|_| WebError::NotFound(format!("`{raw}` is not {what} number")))
}

async fn download(state: &AppState, person: &Person, of: ReportOf, format: &str) -> Page {
    let format = ReportFormat::parse(format)?;
    Ok(make(state, &person.actor, of, format)
        .await?
        .into_response()?)
}

pub async fn incident_file_report(
    State(state): State<AppState>,
    person: Person,
    Path((n, format)): Path<(String, String)>,
) -> Page {
    let of = ReportOf::Incident(parse(&n, "an incident")?);
    download(&state, &person, of, &format).await
}

pub async fn event_file_report(
    State(state): State<AppState>,
    person: Person,
    Path((n, format)): Path<(String, String)>,
) -> Page {
    let of = ReportOf::Event(parse(&n, "an event")?);
    download(&state, &person, of, &format).await
}

pub async fn vulnerability_file_report(
    State(state): State<AppState>,
    person: Person,
    Path((n, format)): Path<(String, String)>,
) -> Page {
    let of = ReportOf::Vulnerability(parse(&n, "a vulnerability")?);
    download(&state, &person, of, &format).await
}

/// `GET /figures/summary?period=2026-Q1&format=pdf`: the signed management
/// summary of a month or quarter.
pub async fn figures_summary(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    let form = super::query_form(&q)?;
    let period = form.get("period").unwrap_or_default();
    let format = ReportFormat::parse(form.get("format").unwrap_or("pdf"))?;
    Ok(make_summary(&state, &person.actor, period, format)
        .await?
        .into_response()?)
}
