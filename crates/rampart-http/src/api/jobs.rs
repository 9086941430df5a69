//! Background jobs, for admins: what is queued, running, done or dead, and
//! queuing a dead job again.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rampart_app::{Job, JobState};
use rampart_domain::DomainError;
use serde::{Deserialize, Serialize};

use super::Page;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{Caller, QueryParams};

/// Where a background job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStateView {
    /// Waiting for `run_after`, then for a node to claim it.
    Queued,
    /// Claimed by a node until `locked_until`; past that, another may claim it.
    Running,
    Done,
    /// Failed every attempt; waits for an admin.
    Dead,
}

impl From<JobState> for JobStateView {
    fn from(s: JobState) -> Self {
        match s {
            JobState::Queued => Self::Queued,
            JobState::Running => Self::Running,
            JobState::Done => Self::Done,
            JobState::Dead => Self::Dead,
        }
    }
}

impl From<JobStateView> for JobState {
    fn from(s: JobStateView) -> Self {
        match s {
            JobStateView::Queued => Self::Queued,
            JobStateView::Running => Self::Running,
            JobStateView::Done => Self::Done,
            JobStateView::Dead => Self::Dead,
        }
    }
}

/// Which jobs to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobFilters {
    pub state: Option<JobStateView>,
    /// The `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "super::cursor")]
    #[param(pattern = r"^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// Page size, 1-500 (default 50).
    #[serde(default, deserialize_with = "super::page_limit")]
    #[param(minimum = 1, maximum = 500)]
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
    pub state: JobStateView,
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
            state: j.state.into(),
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
#[utoipa::path(get, path = "/jobs", tag = "operations", operation_id = "list_jobs", params(JobFilters),
    responses((status = 200, description = "A page of jobs", body = Page<JobView>)))]
pub async fn list(
    State(s): State<AppState>,
    Caller(actor): Caller,
    QueryParams(f): QueryParams<JobFilters>,
) -> Result<Json<Page<JobView>>, ApiError> {
    let before = f
        .cursor
        .as_deref()
        .map(str::parse::<i64>)
        .transpose()
        .map_err(|_| super::bad_cursor())?;
    let limit = f.limit.unwrap_or(super::DEFAULT_LIMIT);
    let mut jobs = s
        .app
        .jobs(&actor, f.state.map(JobState::from), before, limit + 1)
        .await?;
    let more = jobs.len() > limit as usize;
    jobs.truncate(limit as usize);
    Ok(Json(Page {
        next_cursor: if more {
            jobs.last().map(|j| j.id.to_string())
        } else {
            None
        },
        items: jobs.into_iter().map(JobView::from).collect(),
    }))
}

/// Queue a dead job again, its attempts counted afresh (admins).
#[utoipa::path(post, path = "/jobs/{id}/retry", tag = "operations", operation_id = "retry_job",
    params(("id" = i64, Path, description = "The job's id")),
    responses((status = 204, description = "Queued again"), (status = 409, description = "No such job, or it is not dead", body = Problem), (status = 422, description = "The id is not a whole number", body = Problem)))]
pub async fn retry(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = raw
        .parse()
        .map_err(|_| DomainError::field("id", format!("`{raw}` is not a job id")))?;
    s.app.retry_job(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
