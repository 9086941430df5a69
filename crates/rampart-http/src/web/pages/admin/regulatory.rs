//! The notification rules: every regime with its reports and deadlines in
//! words, and the whole table as JSON to edit (a refused table keeps what
//! was typed and names each field at fault).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;
use rampart_domain::regulatory::{Anchor, RegulatoryRules, ReportRule, Span};
use rampart_domain::{Action, FieldError};

use crate::AppState;
use crate::web::pages::{Page, invalid};
use crate::web::session::{Person, Posted};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

#[derive(Template, WebTemplate)]
#[template(path = "admin_regulatory.html")]
pub struct RegulatoryPage {
    pub chrome: Chrome,
    pub rules: RegulatoryRules,
    /// The JSON in the editor: the table in force, or what was typed.
    pub editor: String,
    pub notice: Option<String>,
    pub errors: Vec<FieldError>,
}

impl RegulatoryPage {
    /// A report's deadline in words: `24 h from awareness, or 4 h from classified major`.
    pub fn deadline(&self, report: &ReportRule) -> String {
        report
            .limits
            .iter()
            .map(|l| {
                let span = match l.within {
                    Span::Hours(n) => format!("{n} h"),
                    Span::Days(n) => format!("{n} d"),
                    Span::Months(n) => format!("{n} mo"),
                    Span::BusinessDays(n) => format!("{n} business days"),
                    Span::Untimed => "no fixed deadline".to_owned(),
                };
                let from = match &l.from {
                    Anchor::Moment(kind) => label(kind).to_lowercase(),
                    Anchor::Submitted(r) => format!("the {r} is sent").replace('_', " "),
                };
                format!("{span} from {from}")
            })
            .collect::<Vec<_>>()
            .join(", or ")
    }
}

async fn view(
    state: &AppState,
    person: &Person,
    notice: Option<String>,
    typed: Option<String>,
    errors: Vec<FieldError>,
) -> Result<RegulatoryPage, WebError> {
    let rules = state.app.get_regulatory_rules(&person.actor).await?;
    let editor = match typed {
        Some(t) => t,
        None => serde_json::to_string_pretty(&rules).map_err(|_| WebError::Internal)?,
    };
    Ok(RegulatoryPage {
        chrome: Chrome::new(person, "Notification rules", "/admin/regulatory"),
        rules,
        editor,
        notice,
        errors,
    })
}

pub async fn admin_regulatory(State(state): State<AppState>, person: Person) -> Page {
    person.require(Action::ManageNotificationRules)?;
    Ok(view(&state, &person, None, None, vec![])
        .await?
        .into_response())
}

/// `POST /admin/regulatory`: `rules`, the whole table as JSON (with its `version`).
pub async fn admin_regulatory_replace(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageNotificationRules)?;
    let text = post.form.v("rules").to_owned();
    let parsed = serde_json::from_str::<RegulatoryRules>(&text).map_err(|e| {
        vec![FieldError::new(
            "rules",
            format!("is not a rule table: {e}"),
        )]
    });
    let errors = match parsed {
        Ok(rules) => match state
            .app
            .replace_regulatory_rules(&person.actor, rules)
            .await
        {
            Ok(saved) => {
                let notice = format!(
                    "The notification rules are saved as version {}; every incident's clocks follow them now.",
                    saved.version
                );
                return Ok(view(&state, person, Some(notice), None, vec![])
                    .await?
                    .into_response());
            }
            Err(e) => form_errors(e)?,
        },
        Err(errors) => errors,
    };
    Ok(invalid(
        view(&state, person, None, Some(text), errors).await?,
    ))
}
