//! User administration: the users page and its create and update forms.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use rampart_domain::{Action, FieldError, Role};

use crate::AppState;
use crate::web::pages::{Page, invalid};
use crate::web::session::{FormData, Person, Posted};
use crate::web::view::*;
use crate::web::{WebError, form_errors};
use rampart_app::{Credentials, User, auth};

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub users: Vec<(User, Credentials)>,
    pub values: FormData,
    pub errors: Vec<FieldError>,
    pub notice: Option<String>,
}

async fn users_view(
    state: &AppState,
    person: &Person,
    values: FormData,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<UsersPage, WebError> {
    person.require(Action::ManageUsers)?;
    Ok(UsersPage {
        chrome: Chrome::new(person, "Users", "/admin/users"),
        users: state.app.list_users(&person.actor).await?,
        values,
        errors,
        notice,
    })
}

pub async fn admin_users(State(state): State<AppState>, person: Person) -> Page {
    Ok(
        users_view(&state, &person, FormData::default(), vec![], None)
            .await?
            .into_response(),
    )
}

fn parse_roles(form: &FormData) -> Result<Vec<Role>, Vec<FieldError>> {
    form.all("roles[]")
        .iter()
        .map(|r| Role::parse(r).map_err(|m| vec![FieldError::new("roles", m)]))
        .collect()
}

pub async fn admin_user_create(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageUsers)?;
    let refused = async |errors| -> Page {
        Ok(invalid(
            users_view(&state, person, post.form.clone(), errors, None).await?,
        ))
    };
    let roles = match parse_roles(&post.form) {
        Ok(r) => r,
        Err(errors) => return refused(errors).await,
    };
    let password = post.form.get("password").map(str::to_owned);
    if let Some(p) = &password
        && let Err(m) = auth::check_new_password(p)
    {
        return refused(vec![FieldError::new("password", m)]).await;
    }
    let name = post.form.v("name").to_owned();
    let result = async {
        let user = state.app.add_user(&person.actor, &name, roles).await?;
        if let Some(p) = &password {
            state.app.set_password(&person.actor, &user.name, p).await?;
        }
        if post.form.checked("totp_required") {
            state
                .app
                .require_totp(&person.actor, &user.name, true)
                .await?;
        }
        Ok::<_, rampart_app::AppError>(user)
    }
    .await;
    match result {
        Ok(user) => Ok(users_view(
            &state,
            person,
            FormData::default(),
            vec![],
            Some(format!("User {} was added.", user.name)),
        )
        .await?
        .into_response()),
        Err(e) => refused(form_errors(e)?).await,
    }
}

pub async fn admin_user_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::ManageUsers)?;
    let actor = &person.actor;
    let app = &state.app;
    let result = match post.form.get("op") {
        Some("roles") => match parse_roles(&post.form) {
            Ok(roles) => app
                .update_user(actor, &name, Some(roles), None)
                .await
                .map(|_| "Roles saved."),
            Err(errors) => Err(rampart_domain::DomainError::Invalid(errors).into()),
        },
        Some("password") => app
            .set_password(
                actor,
                &name,
                post.form
                    .0
                    .iter()
                    .find(|(k, _)| k == "password")
                    .map(|(_, v)| v.as_str())
                    .unwrap_or(""),
            )
            .await
            .map(|_| "Password set; the user's sessions have ended."),
        Some("totp_required") => app
            .require_totp(actor, &name, true)
            .await
            .map(|_| "A second factor is now required."),
        Some("totp_optional") => app
            .require_totp(actor, &name, false)
            .await
            .map(|_| "A second factor is now optional."),
        Some("totp_reset") => app
            .reset_totp(actor, &name)
            .await
            .map(|_| "The second factor was removed."),
        Some("disable") => app
            .update_user(actor, &name, None, Some(true))
            .await
            .map(|_| "User disabled; their sessions have ended."),
        Some("enable") => app
            .update_user(actor, &name, None, Some(false))
            .await
            .map(|_| "User enabled."),
        other => {
            return Err(WebError::BadRequest(format!(
                "unknown operation `{}`",
                other.unwrap_or("")
            )));
        }
    };
    match result {
        Ok(notice) => Ok(users_view(
            &state,
            person,
            FormData::default(),
            vec![],
            Some(format!("{name}: {notice}")),
        )
        .await?
        .into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(
                users_view(&state, person, FormData::default(), errors, None).await?,
            ))
        }
    }
}
