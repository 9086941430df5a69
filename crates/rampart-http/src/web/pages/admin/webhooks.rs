//! Webhooks: the subscriptions page, subscribing one, turning one off or
//! on, and giving one a new secret (shown once).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use rampart_app::notify::{WebhookInput, WebhookPatch};
use rampart_domain::{Action, FieldError, NoticeKind, Webhook, WebhookFormat, parse_webhook_id};

use crate::AppState;
use crate::web::pages::{Page, invalid};
use crate::web::session::{Person, Posted};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

#[derive(Template, WebTemplate)]
#[template(path = "admin_webhooks.html")]
pub struct WebhooksPage {
    pub chrome: Chrome,
    pub hooks: Vec<Webhook>,
    pub notice: Option<String>,
    /// A secret just made, with the webhook's name: shown this once.
    pub secret: Option<(String, String)>,
    pub errors: Vec<FieldError>,
    /// The form as sent, when it was refused.
    pub form: Vec<(String, String)>,
}

impl WebhooksPage {
    pub fn formats(&self) -> &'static [WebhookFormat] {
        WebhookFormat::ALL
    }

    pub fn kinds(&self) -> Vec<NoticeKind> {
        NoticeKind::ALL
            .iter()
            .copied()
            .filter(|k| *k != NoticeKind::ReportUpdate)
            .collect()
    }

    pub fn describe(&self, kind: &NoticeKind) -> &'static str {
        NoticeKind::label(*kind)
    }

    pub fn value(&self, name: &str) -> String {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn ticked(&self, name: &str, value: &str) -> bool {
        self.form.iter().any(|(k, v)| k == name && v == value)
    }

    pub fn kinds_of(&self, hook: &Webhook) -> String {
        if hook.kinds.is_empty() {
            "every kind".into()
        } else {
            hook.kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

async fn view(
    state: &AppState,
    person: &Person,
    notice: Option<String>,
    secret: Option<(String, String)>,
    errors: Vec<FieldError>,
    form: Vec<(String, String)>,
) -> Result<WebhooksPage, WebError> {
    Ok(WebhooksPage {
        chrome: Chrome::new(person, "Webhooks", "/admin/webhooks"),
        hooks: state.app.webhooks(&person.actor).await?,
        notice,
        secret,
        errors,
        form,
    })
}

pub async fn admin_webhooks(State(state): State<AppState>, person: Person) -> Page {
    person.require(Action::ManageWebhooks)?;
    Ok(view(&state, &person, None, None, vec![], vec![])
        .await?
        .into_response())
}

/// `POST /admin/webhooks`: `name`, `url`, `format`, `kinds` (any number),
/// `allow_private`.
pub async fn admin_webhook_add(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageWebhooks)?;
    let form = &post.form;
    let mut errors = vec![];
    let format = match WebhookFormat::parse(form.get("format").unwrap_or("rampart")) {
        Ok(f) => Some(f),
        Err(m) => {
            errors.push(FieldError::new("format", m));
            None
        }
    };
    let mut kinds = vec![];
    for raw in form.all("kinds") {
        match NoticeKind::parse(&raw) {
            Ok(k) => kinds.push(k),
            Err(m) => errors.push(FieldError::new("kinds", m)),
        }
    }
    let sent = form.0.clone();
    if !errors.is_empty() {
        return Ok(invalid(
            view(&state, person, None, None, errors, sent).await?,
        ));
    }
    let input = WebhookInput {
        name: form.get("name").unwrap_or("").to_owned(),
        url: form.get("url").unwrap_or("").to_owned(),
        format,
        kinds,
        allow_private: form.get("allow_private") == Some("true"),
    };
    match state.app.add_webhook(&person.actor, input).await {
        Ok(hook) => Ok(view(
            &state,
            person,
            Some(format!("{} is subscribed.", hook.name)),
            Some((hook.name.to_string(), hook.secret)),
            vec![],
            vec![],
        )
        .await?
        .into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(
                view(&state, person, None, None, errors, sent).await?,
            ))
        }
    }
}

/// `POST /admin/webhooks/{id}`: `active` (`true` or `false`), or
/// `new_secret=1`.
pub async fn admin_webhook_change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::ManageWebhooks)?;
    let id = parse_webhook_id(&id).map_err(WebError::NotFound)?;
    let patch = WebhookPatch {
        active: match post.form.get("active") {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
        new_secret: post.form.get("new_secret") == Some("1"),
        ..WebhookPatch::default()
    };
    let rotated = patch.new_secret;
    match state.app.change_webhook(&person.actor, &id, patch).await {
        Ok(hook) => {
            let (notice, secret) = if rotated {
                (
                    format!("{} has a new secret.", hook.name),
                    Some((hook.name.to_string(), hook.secret)),
                )
            } else if hook.active {
                (format!("{} is on.", hook.name), None)
            } else {
                (
                    format!("{} is off: nothing more is posted to it.", hook.name),
                    None,
                )
            };
            Ok(view(&state, person, Some(notice), secret, vec![], vec![])
                .await?
                .into_response())
        }
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(
                view(&state, person, None, None, errors, vec![]).await?,
            ))
        }
    }
}
