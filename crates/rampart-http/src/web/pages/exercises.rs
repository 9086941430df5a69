//! Exercises: the list with the form that plans one, and one exercise with
//! its injects, its start and end, and the after-action report.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde_json::Value;

use rampart_app::exercises::AfterAction;
use rampart_domain::{Action, Exercise, ExerciseInput, ExerciseStatus, FieldError, Measure};

use super::{Page, handle_input, invalid};
use crate::AppState;
use crate::web::form::{FormData, decode_value};
use crate::web::record_form::RecordForm;
use crate::web::session::{Person, Posted, see_other};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

/// Inject rows the plan form offers.
const INJECT_ROWS: usize = 6;

#[derive(Template, WebTemplate)]
#[template(path = "exercises.html")]
pub struct ExercisesPage {
    pub chrome: Chrome,
    pub exercises: Vec<Exercise>,
    pub may_manage: bool,
    pub form: RecordForm,
}

impl ExercisesPage {
    pub fn inject_rows(&self) -> std::ops::Range<usize> {
        0..INJECT_ROWS
    }

    pub fn inject(&self, row: &usize, field: &str) -> String {
        self.form.v(&format!("injects.{row}.{field}")).to_owned()
    }
}

async fn list_view(
    state: &AppState,
    person: &Person,
    form: RecordForm,
) -> Result<ExercisesPage, WebError> {
    Ok(ExercisesPage {
        chrome: Chrome::new(person, "Exercises", "/exercises"),
        exercises: state.app.exercises(&person.actor).await?,
        may_manage: person.may(Action::ManageExercises),
        form,
    })
}

/// `GET /exercises`.
pub async fn exercises_page(State(state): State<AppState>, person: Person) -> Page {
    person.require(Action::ViewExercises)?;
    Ok(list_view(&state, &person, RecordForm::default())
        .await?
        .into_response())
}

/// The form as the API's input: the audience a name a line, an inject row
/// without a title left out, minutes as numbers.
fn input(form: &FormData) -> Result<ExerciseInput, Vec<FieldError>> {
    let kept = form.without_blank_rows("injects", "title");
    let mut json = kept.to_json(&[], &["audience"]);
    if let Some(rows) = json.get_mut("injects").and_then(Value::as_array_mut) {
        for row in rows.iter_mut() {
            if let Some(m) = row.get_mut("at_minute")
                && let Some(n) = m.as_str().and_then(|s| s.trim().parse::<u64>().ok())
            {
                *m = Value::from(n);
            }
        }
    }
    for list in ["audience", "injects"] {
        if json.get(list).is_none() {
            json[list] = Value::Array(vec![]);
        }
    }
    decode_value(json)
}

/// `POST /exercises`: `id`, `title`, `scenario`, `audience` (a user name a
/// line), `injects.N.at_minute`/`title`/`description`.
pub async fn exercise_create(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageExercises)?;
    handle_input(
        input(&post.form),
        async |body| state.app.create_exercise(&person.actor, body).await,
        |x| format!("/exercises/{}", x.id),
        async |errors| list_view(&state, person, RecordForm::new(post.form.clone(), errors)).await,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "exercise.html")]
pub struct ExercisePage {
    pub chrome: Chrome,
    pub report: AfterAction,
    pub may_manage: bool,
    pub errors: Vec<FieldError>,
}

impl ExercisePage {
    pub fn exercise(&self) -> &Exercise {
        &self.report.exercise
    }

    pub fn planned(&self) -> bool {
        self.report.exercise.status == ExerciseStatus::Planned
    }

    pub fn running(&self) -> bool {
        self.report.exercise.status == ExerciseStatus::Running
    }

    /// One measured stage in words: its target, and how long it took or
    /// how it stands.
    pub fn measured(&self, m: &Measure) -> String {
        format!(
            "{}: {} (target {})",
            m.stage.title(),
            standing(m),
            target_span(m.target_minutes)
        )
    }
}

async fn exercise_view(
    state: &AppState,
    person: &Person,
    id: &str,
    errors: Vec<FieldError>,
) -> Result<ExercisePage, WebError> {
    let report = state.app.after_action(&person.actor, id).await?;
    Ok(ExercisePage {
        chrome: Chrome::new(person, report.exercise.title.to_string(), "/exercises"),
        may_manage: person.may(Action::ManageExercises),
        report,
        errors,
    })
}

/// `GET /exercises/{id}`.
pub async fn exercise_page(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
) -> Page {
    person.require(Action::ViewExercises)?;
    Ok(exercise_view(&state, &person, &id, vec![])
        .await?
        .into_response())
}

/// `POST /exercises/{id}/{step}`: `start` or `end`.
pub async fn exercise_step(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::ManageExercises)?;
    let done = match step.as_str() {
        "start" => state.app.start_exercise(&person.actor, &id).await,
        "end" => state.app.end_exercise(&person.actor, &id).await,
        other => return Err(WebError::NotFound(format!("no step `{other}`"))),
    };
    match done {
        Ok(x) => Ok(see_other(&format!("/exercises/{}", x.id))),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(exercise_view(&state, person, &id, errors).await?))
        }
    }
}
