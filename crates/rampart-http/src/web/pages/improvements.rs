//! The improvement actions' register, and one action with the form that
//! moves it on or closes it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;

use rampart_app::ImprovementQuery;
use rampart_domain::{
    Action, ImprovementAction, ImprovementStatus, ImprovementUpdate, ReviewOf, Timestamp,
};

use super::{Page, handle_form, local_input, query_form};
use crate::AppState;
use crate::web::WebError;
use crate::web::form::FormData;
use crate::web::record_form::RecordForm;
use crate::web::session::{Person, Posted};
use crate::web::view::*;

#[derive(Template, WebTemplate)]
#[template(path = "improvements.html")]
pub struct ImprovementsPage {
    pub chrome: Chrome,
    pub items: Vec<ImprovementAction>,
    /// `open` (default), `overdue` or `all`.
    pub show: String,
    pub owner: String,
    pub now: Timestamp,
}

/// `GET /improvements?show=open|overdue|all&owner=`.
pub async fn improvements_page(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    person.require(Action::ViewIncidents)?;
    let f = query_form(&q)?;
    let show = f.get("show").filter(|s| !s.is_empty()).unwrap_or("open");
    let now = state.app.clock().now();
    let (open, due_before) = match show {
        "open" => (true, None),
        "overdue" => (true, Some(now)),
        "all" => (false, None),
        other => {
            return Err(WebError::Invalid(vec![rampart_domain::FieldError::new(
                "show",
                format!("`{other}` is not one of open, overdue, all"),
            )]));
        }
    };
    let owner = f.get("owner").map(str::trim).unwrap_or_default().to_owned();
    // One record's: `incident=INC-…` or `vulnerability=VUL-…`.
    let mut source = None;
    for kind in ["incident", "vulnerability"] {
        if let Some(n) = f.get(kind).map(str::trim).filter(|s| !s.is_empty()) {
            let parsed = match kind {
                "incident" => n.parse().map(ReviewOf::Incident),
                _ => n.parse().map(ReviewOf::Vulnerability),
            };
            source = Some(parsed.map_err(|m: String| {
                WebError::Invalid(vec![rampart_domain::FieldError::new(kind, m)])
            })?);
        }
    }
    let query = ImprovementQuery {
        source,
        open,
        due_before,
        owner: (!owner.is_empty()).then(|| owner.clone()),
        limit: rampart_app::MAX_PAGE,
    };
    Ok(ImprovementsPage {
        chrome: Chrome::new(&person, "Improvement actions", "/improvements"),
        items: state.app.improvements(&person.actor, query).await?,
        show: show.to_owned(),
        owner,
        now,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "improvement.html")]
pub struct ImprovementPage {
    pub chrome: Chrome,
    pub item: ImprovementAction,
    /// May move it on or close it: its owner, or those who record reviews.
    pub may_update: bool,
    pub form: RecordForm,
    pub now: Timestamp,
}

impl ImprovementPage {
    pub fn statuses(&self) -> &'static [ImprovementStatus] {
        ImprovementStatus::ALL
    }
}

async fn improvement_view(
    state: &AppState,
    person: &Person,
    id: &str,
    form: RecordForm,
) -> Result<ImprovementPage, WebError> {
    let item = state.app.improvement(&person.actor, id).await?;
    let may_update = item.status.is_open()
        && (item.owner.as_str() == person.actor.name || person.may(Action::RecordReview));
    let form = if form.values.0.is_empty() {
        let mut values = vec![("status".to_owned(), item.status.to_string())];
        if let Some(d) = item.due {
            values.push(("due".into(), local_input(&d)));
        }
        values.push(("owner".into(), item.owner.to_string()));
        RecordForm::new(FormData(values), vec![])
    } else {
        form
    };
    Ok(ImprovementPage {
        chrome: Chrome::new(person, format!("Improvement {}", item.id), "/improvements"),
        item,
        may_update,
        form,
        now: state.app.clock().now(),
    })
}

/// `GET /improvements/{id}`.
pub async fn improvement_page(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
) -> Page {
    Ok(
        improvement_view(&state, &person, &id, RecordForm::default())
            .await?
            .into_response(),
    )
}

/// `POST /improvements/{id}`: `status`, `outcome`, `due`, `owner`.
pub async fn improvement_update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    // The form always sends the due date; an empty one removes it.
    let mut form = post.form.clone();
    let clear_due = form.get("due").is_some_and(|d| d.trim().is_empty());
    form.0.retain(|(k, v)| !(k == "due" && v.trim().is_empty()));
    let current = state.app.improvement(&person.actor, &id).await?;
    handle_form(
        &form,
        &[],
        &[],
        async |mut update: ImprovementUpdate| {
            if clear_due && current.due.is_some() {
                update.due = Some(None);
            } else if update.due == Some(current.due) {
                update.due = None;
            }
            if update.owner.as_ref() == Some(&current.owner) {
                update.owner = None;
            }
            if update.status == Some(current.status) {
                update.status = None;
            }
            state
                .app
                .update_improvement(&person.actor, &id, update)
                .await
        },
        |i| format!("/improvements/{}", i.id),
        async |errors| {
            improvement_view(
                &state,
                person,
                &id,
                RecordForm::new(post.form.clone(), errors),
            )
            .await
        },
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "lessons.html")]
pub struct LessonsPage {
    pub chrome: Chrome,
    pub lessons: Vec<rampart_app::improvements::Lesson>,
}

/// How many reviewed incidents the lessons page lists.
const LESSONS_SHOWN: u32 = 200;

/// `GET /lessons`.
pub async fn lessons_page(State(state): State<AppState>, person: Person) -> Page {
    Ok(LessonsPage {
        chrome: Chrome::new(&person, "Lessons learned", "/lessons"),
        lessons: state.app.lessons(&person.actor, LESSONS_SHOWN).await?,
    }
    .into_response())
}
