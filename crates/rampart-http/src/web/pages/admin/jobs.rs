//! Background jobs: the jobs page and the retry of a failed job.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;

use rampart_app::AppError;
use rampart_domain::{Action, DomainError, FieldError};

use crate::AppState;
use crate::web::pages::{Page, invalid, query_form};
use crate::web::session::{Person, Posted};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

#[derive(Template, WebTemplate)]
#[template(path = "admin_jobs.html")]
pub struct JobsPage {
    pub chrome: Chrome,
    /// The state shown, or every state.
    pub state: Option<rampart_app::JobState>,
    pub jobs: Vec<rampart_app::Job>,
    /// Dead jobs, whatever the filter: they wait for an admin.
    pub dead: usize,
    pub notice: Option<String>,
    pub errors: Vec<FieldError>,
}

impl JobsPage {
    pub fn states(&self) -> [&'static str; 4] {
        ["queued", "running", "done", "dead"]
    }

    pub fn shown(&self, state: &str) -> bool {
        self.state.is_some_and(|s| s.as_str() == state)
    }
}

/// Jobs on the jobs page.
const JOBS_PER_PAGE: u32 = 200;

async fn jobs_view(
    state: &AppState,
    person: &Person,
    shown: Option<rampart_app::JobState>,
    notice: Option<String>,
    errors: Vec<FieldError>,
) -> Result<JobsPage, WebError> {
    let jobs = state
        .app
        .jobs(&person.actor, shown, None, JOBS_PER_PAGE)
        .await?;
    let dead = state
        .app
        .jobs(
            &person.actor,
            Some(rampart_app::JobState::Dead),
            None,
            JOBS_PER_PAGE,
        )
        .await?
        .len();
    Ok(JobsPage {
        chrome: Chrome::new(person, "Background jobs", "/admin/jobs"),
        state: shown,
        jobs,
        dead,
        notice,
        errors,
    })
}

pub async fn admin_jobs(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    let query = query_form(&q)?;
    let shown = match query.get("state").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match rampart_app::JobState::parse(s) {
            Ok(st) => Some(st),
            Err(m) => {
                return Ok(invalid(
                    jobs_view(
                        &state,
                        &person,
                        None,
                        None,
                        vec![FieldError::new("state", m)],
                    )
                    .await?,
                ));
            }
        },
    };
    Ok(jobs_view(&state, &person, shown, None, vec![])
        .await?
        .into_response())
}

pub async fn admin_job_retry(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::ManageJobs)?;
    let result = match id.parse::<i64>() {
        Ok(n) => state.app.retry_job(&person.actor, n).await.map(|()| n),
        Err(_) => Err(AppError::Domain(DomainError::field(
            "id",
            format!("`{id}` is not a job id"),
        ))),
    };
    match result {
        Ok(n) => Ok(jobs_view(
            &state,
            person,
            None,
            Some(format!("Job {n} is queued again.")),
            vec![],
        )
        .await?
        .into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(
                jobs_view(&state, person, None, None, errors).await?,
            ))
        }
    }
}
