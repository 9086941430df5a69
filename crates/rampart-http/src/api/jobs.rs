//! Background jobs, for admins: what is queued, running, done or dead, and
//! queuing a dead job again.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_domain::DomainError;
use rampart_store::{Job, JobState};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, QueryParams};

/// Which jobs to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobFilters {
    /// `queued`, `running`, `done` or `dead`.
    pub state: Option<String>,
    /// At most this many, newest first, 1-500 (default 50).
    pub limit: Option<u32>,
}

/// A background job.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: i64,
    /// What it does, e.g. `checkpoint`.
    pub kind: String,
    /// Unique: the same work is enqueued once.
    pub key: String,
    /// `queued`, `running`, `done` or `dead`.
    pub state: String,
    /// Claims so far.
    pub attempts: u32,
    pub run_after: String,
    /// The node holding it while it runs.
    pub locked_by: Option<String>,
    pub locked_until: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl From<Job> for JobView {
    fn from(j: Job) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            key: j.key,
            state: j.state.as_str().to_owned(),
            attempts: j.attempts,
            run_after: j.run_after,
            locked_by: j.locked_by,
            locked_until: j.locked_until,
            last_error: j.last_error,
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

/// Jobs, newest first; `state=dead` lists those that failed every attempt (admins).
#[utoipa::path(get, path = "/jobs", tag = "operations", params(JobFilters),
    responses((status = 200, body = [JobView]), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<JobFilters>,
) -> Result<Json<Vec<JobView>>, ApiError> {
    let state = f
        .state
        .as_deref()
        .map(JobState::parse)
        .transpose()
        .map_err(|m| DomainError::field("state", m))?;
    let limit = f.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(DomainError::field("limit", "must be 1-500").into());
    }
    let jobs = s.service.jobs(&actor, state, None, limit).await?;
    Ok(Json(jobs.into_iter().map(JobView::from).collect()))
}

/// Queue a dead job again, its attempts counted afresh (admins).
#[utoipa::path(post, path = "/jobs/{id}/retry", tag = "operations",
    params(("id" = i64, Path, description = "The job's id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn retry(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = raw
        .parse()
        .map_err(|_| DomainError::field("id", format!("`{raw}` is not a job id")))?;
    s.service.retry_job(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
