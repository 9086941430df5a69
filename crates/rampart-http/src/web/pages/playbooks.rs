//! Playbooks: the list with the form to create one, one playbook in any
//! of its versions with the form to save the next, and applying one to an
//! incident from its page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;
use serde_json::Value;

use rampart_domain::{
    Action, ApplyPlaybook, Category, FieldError, Playbook, PlaybookInput, PlaybookVersion, Role,
};

use super::{Page, handle_input, query_form, record_form};
use crate::AppState;
use crate::web::WebError;
use crate::web::form::{FormData, decode_value};
use crate::web::pages::incidents::IncidentRecord;
use crate::web::record_form::RecordForm;
use crate::web::session::{Person, Posted};
use crate::web::view::*;

/// Step rows the form offers beyond those filled in.
const SPARE_STEPS: usize = 2;

/// The playbook form's choices and rows, for both pages.
pub trait PlaybookForm {
    fn form(&self) -> &RecordForm;
    fn chrome(&self) -> &Chrome;
    fn owner_roles(&self) -> &'static [Role] {
        &[
            Role::IsirtMember,
            Role::IsirtManager,
            Role::Poc,
            Role::CrisisManager,
            Role::SeniorManager,
        ]
    }
    /// Row numbers of the steps table: those filled in, and spare ones.
    fn step_rows(&self) -> Vec<usize> {
        let filled = self
            .form()
            .values
            .0
            .iter()
            .filter_map(|(k, v)| {
                let row = k.strip_prefix("steps.")?.split('.').next()?;
                (!v.trim().is_empty()).then(|| row.parse::<usize>().ok())?
            })
            .max()
            .map_or(0, |n| n + 1);
        (0..filled + SPARE_STEPS).collect()
    }
    fn step(&self, row: &usize, field: &str) -> String {
        self.form().v(&format!("steps.{row}.{field}")).to_owned()
    }
    fn has_category(&self, c: &Category) -> bool {
        self.form().values.has("categories[]", c.as_str())
    }
}

/// A version as the form shows it, to save the next from.
fn form_of(v: &PlaybookVersion) -> FormData {
    let c = &v.content;
    let mut f: Vec<(String, String)> = vec![("title".into(), c.title.to_string())];
    if let Some(d) = &c.description {
        f.push(("description".into(), d.to_string()));
    }
    for cat in &c.categories {
        f.push(("categories[]".into(), cat.as_str().into()));
    }
    let rsit: Vec<String> = c
        .rsit_types
        .iter()
        .map(|r| format!("{}/{}", r.class, r.kind))
        .collect();
    f.push(("rsit_types".into(), rsit.join("\n")));
    for (i, s) in c.steps.iter().enumerate() {
        let mut put = |k: &str, v: String| f.push((format!("steps.{i}.{k}"), v));
        put("what", s.what.to_string());
        put("owner_role", s.owner_role.as_str().into());
        put(
            "due_minutes",
            s.due_minutes.map(|m| m.to_string()).unwrap_or_default(),
        );
        if s.requires_approval {
            put("requires_approval", "true".into());
        }
        put(
            "procedure",
            s.procedure
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        );
    }
    FormData(f)
}

/// The form as the API's input: a step row without its action is an
/// unused row, left out; `class/type` lines become RSIT types; numbers and
/// ticks become what the API takes.
fn input(form: &FormData) -> Result<PlaybookInput, Vec<FieldError>> {
    let kept = form.without_blank_rows("steps", "what");
    let mut json = kept.to_json(&[], &["rsit_types"]);
    if let Some(lines) = json.get_mut("rsit_types").and_then(Value::as_array_mut) {
        for line in lines.iter_mut() {
            let text = line.as_str().unwrap_or_default().to_owned();
            let (class, kind) = text.split_once('/').unwrap_or((text.as_str(), ""));
            *line = serde_json::json!({"class": class.trim(), "type": kind.trim()});
        }
    }
    if let Some(steps) = json.get_mut("steps").and_then(Value::as_array_mut) {
        for step in steps.iter_mut() {
            if let Some(tick) = step.get_mut("requires_approval") {
                *tick = Value::Bool(tick.as_str() == Some("true"));
            }
            if let Some(due) = step.get_mut("due_minutes")
                && let Some(n) = due.as_str().and_then(|d| d.parse::<u64>().ok())
            {
                *due = Value::from(n);
            }
        }
    }
    decode_value(json)
}

#[derive(Template, WebTemplate)]
#[template(path = "playbooks.html")]
pub struct PlaybooksPage {
    pub chrome: Chrome,
    pub playbooks: Vec<Playbook>,
    pub may_manage: bool,
    pub form: RecordForm,
}

impl PlaybookForm for PlaybooksPage {
    fn form(&self) -> &RecordForm {
        &self.form
    }
    fn chrome(&self) -> &Chrome {
        &self.chrome
    }
}

async fn list_view(
    state: &AppState,
    person: &Person,
    form: RecordForm,
) -> Result<PlaybooksPage, WebError> {
    Ok(PlaybooksPage {
        chrome: Chrome::new(person, "Playbooks", "/playbooks"),
        playbooks: state.app.playbooks(&person.actor).await?,
        may_manage: person.may(Action::ManagePlaybooks),
        form,
    })
}

/// `GET /playbooks`.
pub async fn playbooks_page(State(state): State<AppState>, person: Person) -> Page {
    person.require(Action::ViewPlaybooks)?;
    Ok(list_view(&state, &person, RecordForm::default())
        .await?
        .into_response())
}

/// `POST /playbooks`: `id`, `title`, `description`, `categories[]`,
/// `rsit_types` (lines of `class/type`), `steps.N.what`/`owner_role`/
/// `due_minutes`/`requires_approval`/`procedure`, `note`.
pub async fn playbook_create(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManagePlaybooks)?;
    handle_input(
        input(&post.form),
        async |body| state.app.create_playbook(&person.actor, body).await,
        |p| format!("/playbooks/{}", p.id),
        async |errors| list_view(&state, person, RecordForm::new(post.form.clone(), errors)).await,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "playbook.html")]
pub struct PlaybookPage {
    pub chrome: Chrome,
    pub playbook: Playbook,
    /// The version shown.
    pub shown: PlaybookVersion,
    /// The version shown is the one in use.
    pub latest: bool,
    pub may_manage: bool,
    /// The form to save the next version, filled in.
    pub form: RecordForm,
    /// The form was just refused: show it open.
    pub refused: bool,
}

impl PlaybookForm for PlaybookPage {
    fn form(&self) -> &RecordForm {
        &self.form
    }
    fn chrome(&self) -> &Chrome {
        &self.chrome
    }
}

impl PlaybookPage {
    /// A due time in words: `2 h`, `1 d 2 h`, `45 min`.
    pub fn due(&self, minutes: &Option<u32>) -> String {
        match minutes {
            None => "—".into(),
            Some(m) => {
                let (d, h, min) = (m / 1440, m % 1440 / 60, m % 60);
                let mut parts = vec![];
                if d > 0 {
                    parts.push(format!("{d} d"));
                }
                if h > 0 {
                    parts.push(format!("{h} h"));
                }
                if min > 0 {
                    parts.push(format!("{min} min"));
                }
                format!("{} after it is applied", parts.join(" "))
            }
        }
    }
}

async fn playbook_view(
    state: &AppState,
    person: &Person,
    id: &str,
    version: Option<u32>,
    posted: Option<RecordForm>,
) -> Result<PlaybookPage, WebError> {
    let playbook = state.app.playbook(&person.actor, id).await?;
    let shown = playbook
        .version(version)
        .map_err(|_| WebError::NotFound(format!("{id} has no such version")))?
        .clone();
    let latest = playbook.current().map(|v| v.version) == Some(shown.version);
    let refused = posted.is_some();
    let form = posted.unwrap_or_else(|| RecordForm::new(form_of(&shown), vec![]));
    Ok(PlaybookPage {
        chrome: Chrome::new(person, shown.content.title.to_string(), "/playbooks"),
        may_manage: person.may(Action::ManagePlaybooks),
        playbook,
        shown,
        latest,
        form,
        refused,
    })
}

/// `GET /playbooks/{id}?version=N`.
pub async fn playbook_page(
    State(state): State<AppState>,
    person: Person,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Page {
    person.require(Action::ViewPlaybooks)?;
    let version = match query_form(&q)?.get("version") {
        None => None,
        Some(v) => Some(
            v.parse::<u32>()
                .map_err(|_| WebError::NotFound(format!("no version `{v}`")))?,
        ),
    };
    Ok(playbook_view(&state, &person, &id, version, None)
        .await?
        .into_response())
}

/// `POST /playbooks/{id}`: the next version (the fields of the create form but `id`).
pub async fn playbook_revise(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::ManagePlaybooks)?;
    handle_input(
        input(&post.form),
        async |body| state.app.revise_playbook(&person.actor, &id, body).await,
        |p| format!("/playbooks/{}", p.id),
        async |errors| {
            let form = RecordForm::new(post.form.clone(), errors);
            playbook_view(&state, person, &id, None, Some(form)).await
        },
    )
    .await
}

/// `POST /incidents/{number}/playbooks`: `playbook`, `version` (optional).
pub async fn incident_playbook_apply(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    record_form::<IncidentRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: ApplyPlaybook| async move {
            app.apply_playbook(&actor, number, input).await
        },
    )
    .await
}
