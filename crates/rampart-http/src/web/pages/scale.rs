//! The classification scale: the version in force (or an older one), the
//! history of versions, and for admins the form that saves the next.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use serde_json::Value;

use rampart_domain::{Action, ClassificationScale, FieldError, ScaleInput, ScaleVersion};

use crate::AppState;
use crate::web::WebError;
use crate::web::form::{FormData, decode_value};
use crate::web::pages::{Page, handle_input, query_form};
use crate::web::session::{Person, Posted};
use crate::web::view::*;

/// Blank category rows the form offers for new categories.
const NEW_ROWS: usize = 3;

#[derive(Template, WebTemplate)]
#[template(path = "scale.html")]
pub struct ScalePage {
    pub chrome: Chrome,
    pub scale: ClassificationScale,
    /// The version the page shows (the one in force unless `?version=` names another).
    pub shown: ScaleVersion,
    pub may_edit: bool,
    /// The editor's values: the version in force, or what was sent.
    pub form: FormData,
    /// How many category rows the editor has.
    pub rows: usize,
    pub errors: Vec<FieldError>,
    pub notice: Option<String>,
}

impl ScalePage {
    pub fn v(&self, name: &str) -> &str {
        self.form.v(name)
    }

    pub fn cat(&self, row: &usize, field: &str) -> String {
        self.form.v(&format!("categories.{row}.{field}")).to_owned()
    }

    pub fn grade(&self, row: &usize, field: &str) -> String {
        self.form.v(&format!("grades.{row}.{field}")).to_owned()
    }

    /// Whether a row was a category of the version in force (its code stays).
    pub fn kept(&self, row: &usize) -> bool {
        *row < self.scale.current().categories.len()
    }

    pub fn retired(&self, row: &usize) -> bool {
        self.form.v(&format!("categories.{row}.retired")) == "true"
    }

    /// The error of a field, named as the form names it (`categories.3.name`).
    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| dotted(&e.field) == name)
            .map(|e| e.message.as_str())
    }

    pub fn category_rows(&self) -> std::ops::Range<usize> {
        0..self.rows
    }

    pub fn grade_rows(&self) -> std::ops::Range<usize> {
        0..self.scale.current().grades.len()
    }

    pub fn is_current(&self) -> bool {
        self.shown.number == self.scale.version
    }
}

/// `categories[3].name` as the form names it: `categories.3.name`.
fn dotted(field: &str) -> String {
    field.replace('[', ".").replace(']', "")
}

/// The editor filled from a version, with blank rows for new categories.
fn form_of(v: &ScaleVersion) -> FormData {
    let mut f = vec![("version".to_owned(), v.number.to_string())];
    for (i, c) in v.categories.iter().enumerate() {
        f.push((format!("categories.{i}.code"), c.code.to_string()));
        f.push((format!("categories.{i}.name"), c.name.to_string()));
        if let Some(d) = &c.description {
            f.push((format!("categories.{i}.description"), d.to_string()));
        }
        if c.retired {
            f.push((format!("categories.{i}.retired"), "true".to_owned()));
        }
    }
    for (i, g) in v.grades.iter().enumerate() {
        f.push((format!("grades.{i}.class"), g.class.to_string()));
        f.push((format!("grades.{i}.name"), g.name.to_string()));
        if let Some(d) = &g.description {
            f.push((format!("grades.{i}.description"), d.to_string()));
        }
    }
    FormData(f)
}

/// The highest category row the form sent, plus one.
fn rows_sent(form: &FormData) -> usize {
    form.0
        .iter()
        .filter_map(|(k, _)| {
            k.strip_prefix("categories.")?
                .split('.')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .max()
        .map_or(0, |m| m + 1)
}

async fn view(
    state: &AppState,
    person: &Person,
    version: Option<u32>,
    sent: Option<FormData>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<ScalePage, WebError> {
    let scale = state.app.get_scale(&person.actor).await?;
    let shown = match version {
        Some(n) => scale
            .versions
            .iter()
            .find(|v| v.number == n)
            .cloned()
            .ok_or_else(|| WebError::NotFound(format!("the scale has no version {n}")))?,
        None => scale.current().clone(),
    };
    let current = scale.current().categories.len();
    let form = sent.unwrap_or_else(|| form_of(scale.current()));
    let rows = rows_sent(&form).max(current) + NEW_ROWS;
    let rows = rows.min(rampart_domain::MAX_CATEGORIES + NEW_ROWS);
    Ok(ScalePage {
        chrome: Chrome::new(person, "Classification scale", "/classification"),
        may_edit: person.may(Action::ManageClassification),
        scale,
        shown,
        form,
        rows,
        errors,
        notice,
    })
}

/// `GET /classification[?version=N]`: for anyone signed in.
pub async fn scale_page(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    let query = query_form(&q)?;
    let version = match query.get("version").filter(|v| !v.is_empty()) {
        Some(v) => Some(v.parse::<u32>().map_err(|_| {
            WebError::Invalid(vec![FieldError::new("version", "must be a version number")])
        })?),
        None => None,
    };
    let notice = query.get("saved").map(|n| {
        format!(
            "Version {n} is in force: new classifications use it; incidents classified earlier keep their version."
        )
    });
    Ok(view(&state, &person, version, None, vec![], notice)
        .await?
        .into_response())
}

/// The form as the API's input: a category row without a code is unused;
/// ticks become booleans and the version a number.
fn input(form: &FormData) -> Result<ScaleInput, Vec<FieldError>> {
    let kept = form.without_blank_rows("categories", "code");
    let mut json = kept.to_json(&[], &[]);
    if let Some(rows) = json.get_mut("categories").and_then(Value::as_array_mut) {
        for row in rows.iter_mut() {
            if let Some(tick) = row.get_mut("retired") {
                *tick = Value::Bool(tick.as_str() == Some("true"));
            }
        }
    }
    if let Some(v) = json.get_mut("version")
        && let Some(n) = v.as_str().and_then(|s| s.trim().parse::<u64>().ok())
    {
        *v = Value::from(n);
    }
    decode_value(json)
}

/// `POST /classification`: saves the next version (admins).
pub async fn scale_revise(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageClassification)?;
    handle_input(
        input(&post.form),
        async |body| state.app.revise_scale(&person.actor, body).await,
        |saved| format!("/classification?saved={}", saved.version),
        async |errors| view(&state, person, None, Some(post.form.clone()), errors, None).await,
    )
    .await
}
