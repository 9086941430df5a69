//! The notification centre: one's notifications (open, mark read, all
//! read), the bell's count, and what one chooses to be told and where.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use rampart_app::notify::PreferencesInput;
use rampart_domain::{Channel, FieldError, InboxItem, NoticeKind, NoticePreferences};

use super::{Page, invalid, query_form};
use crate::AppState;
use crate::web::WebError;
use crate::web::session::{Person, Posted, see_other};
use crate::web::view::*;

/// Notifications on one page of the centre.
const PER_PAGE: u32 = 50;

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    pub chrome: Chrome,
    pub items: Vec<InboxItem>,
    pub unread_only: bool,
    /// The link to the next (older) page, if any.
    pub next: Option<String>,
}

impl NotificationsPage {
    /// The first paragraph of a notification's body.
    pub fn lead(&self, item: &InboxItem) -> String {
        item.body.split("\n\n").next().unwrap_or("").to_owned()
    }

    pub fn by_email(&self, item: &InboxItem) -> bool {
        item.channels.contains(&Channel::Email)
    }
}

pub async fn notifications_page(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    let query = query_form(&q)?;
    let unread_only = match query.get("unread").unwrap_or("") {
        "" | "0" => false,
        "1" => true,
        other => {
            return Err(WebError::Invalid(vec![FieldError::new(
                "unread",
                format!("`{other}` is not 1 or 0"),
            )]));
        }
    };
    let cursor = query.get("cursor").filter(|c| !c.is_empty());
    let page = state
        .app
        .notifications(&person.actor, unread_only, cursor, PER_PAGE)
        .await?;
    let next = page.next_cursor.map(|c| {
        format!(
            "/notifications?cursor={c}{}",
            if unread_only { "&unread=1" } else { "" }
        )
    });
    Ok(NotificationsPage {
        chrome: Chrome::new(&person, "Notifications", "/notifications"),
        items: page.items,
        unread_only,
        next,
    }
    .into_response())
}

/// `GET /notifications/unread`: the bell's number, for the page script.
pub async fn notifications_unread(
    State(state): State<AppState>,
    person: Person,
) -> Result<Json<serde_json::Value>, WebError> {
    let unread = state.app.unread_notifications(&person.actor).await?;
    Ok(Json(serde_json::json!({ "unread": unread })))
}

/// `POST /notifications/read`: `id` (and `open=1` to go to its record), or `all=1`.
pub async fn notifications_read(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    let form = &post.form;
    if form.get("all") == Some("1") {
        state.app.mark_all_read(&person.actor).await?;
        return Ok(see_other("/notifications"));
    }
    let Some(id) = form.get("id").filter(|id| !id.is_empty()) else {
        return Err(WebError::Invalid(vec![FieldError::new(
            "id",
            "name the notification to mark read, or all=1",
        )]));
    };
    let item = state
        .app
        .notifications_by_id(&person.actor, id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("notification {id} does not exist")))?;
    state.app.mark_read(&person.actor, vec![item.id]).await?;
    // Only a path of this site: the link is the record's page.
    let to = if form.get("open") == Some("1") && item.link.starts_with('/') {
        item.link
    } else {
        "/notifications".to_owned()
    };
    Ok(see_other(&to))
}

#[derive(Template, WebTemplate)]
#[template(path = "notification_preferences.html")]
pub struct PreferencesPage {
    pub chrome: Chrome,
    pub prefs: NoticePreferences,
    pub email: String,
    pub errors: Vec<FieldError>,
    pub saved: bool,
    /// Whether e-mail is sent at all here.
    pub mail_on: bool,
}

impl PreferencesPage {
    pub fn kinds(&self) -> &'static [NoticeKind] {
        NoticeKind::ALL
    }

    pub fn describe(&self, kind: &NoticeKind) -> &'static str {
        NoticeKind::label(*kind)
    }

    pub fn in_app(&self, kind: &NoticeKind) -> bool {
        kind.always_in_app() || !self.prefs.muted_in_app.contains(kind)
    }

    pub fn by_email(&self, kind: &NoticeKind) -> bool {
        !self.prefs.muted_by_email.contains(kind)
    }
}

fn preferences_view(
    state: &AppState,
    person: &Person,
    prefs: NoticePreferences,
    email: String,
    errors: Vec<FieldError>,
    saved: bool,
) -> PreferencesPage {
    PreferencesPage {
        chrome: Chrome::new(person, "Notification preferences", "/notifications"),
        prefs,
        email,
        errors,
        saved,
        mail_on: state.app.sends_mail(),
    }
}

pub async fn preferences_page(State(state): State<AppState>, person: Person) -> Page {
    let prefs = state.app.notification_preferences(&person.actor).await?;
    let email = prefs.email.clone().unwrap_or_default();
    Ok(preferences_view(&state, &person, prefs, email, vec![], false).into_response())
}

/// `POST /notifications/preferences`: `email`, and the kinds kept on as
/// `app` and `mail` (every kind not ticked is silenced on that channel).
pub async fn preferences_submit(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    let form = &post.form;
    let mut errors = vec![];
    let mut ticked = |field: &str| -> Vec<NoticeKind> {
        let mut on = vec![];
        for raw in form.all(field) {
            match NoticeKind::parse(&raw) {
                Ok(kind) => on.push(kind),
                Err(m) => errors.push(FieldError::new(field, m)),
            }
        }
        NoticeKind::ALL
            .iter()
            .copied()
            .filter(|k| !on.contains(k))
            .collect()
    };
    let muted_in_app: Vec<NoticeKind> = ticked("app")
        .into_iter()
        .filter(|k| !k.always_in_app())
        .collect();
    let muted_by_email = ticked("mail");
    let email = form.get("email").unwrap_or("").to_owned();
    let input = PreferencesInput {
        email: Some(email.clone()),
        muted_in_app: muted_in_app.clone(),
        muted_by_email: muted_by_email.clone(),
    };
    let result = if errors.is_empty() {
        state
            .app
            .set_notification_preferences(&person.actor, input)
            .await
            .map_err(WebError::from)
    } else {
        Err(WebError::Invalid(errors))
    };
    match result {
        Ok(prefs) => {
            let email = prefs.email.clone().unwrap_or_default();
            Ok(preferences_view(&state, person, prefs, email, vec![], true).into_response())
        }
        Err(WebError::Invalid(errors)) => {
            let mut shown = NoticePreferences::default_for(&person.actor.name);
            shown.muted_in_app = muted_in_app.into_iter().collect();
            shown.muted_by_email = muted_by_email.into_iter().collect();
            Ok(invalid(preferences_view(
                &state, person, shown, email, errors, false,
            )))
        }
        Err(e) => Err(e),
    }
}
