//! API tokens: everyone's own on `/tokens` (listed, made, revoked), every
//! user's on `/admin/tokens` for those who manage users. A token is made
//! with a name, scopes and an expiry; its secret is shown once.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use rampart_app::ApiToken;
use rampart_app::people::TokenRequest;
use rampart_domain::{Action, FieldError, Scope};

use crate::AppState;
use crate::web::pages::{Page, invalid};
use crate::web::session::{Person, Posted, see_other};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

#[derive(Template, WebTemplate)]
#[template(path = "admin_tokens.html")]
pub struct TokensPage {
    pub chrome: Chrome,
    /// Every user's tokens (the admin page), or the person's own.
    pub all: bool,
    pub tokens: Vec<ApiToken>,
    /// Whose tokens may be made here: every active user, or the person.
    pub users: Vec<String>,
    /// The scopes offered: those the person's roles allow, or every one.
    pub scopes: Vec<Scope>,
    pub days_default: u32,
    pub days_max: u32,
    pub created: Option<(String, String)>,
    pub errors: Vec<FieldError>,
}

impl TokensPage {
    /// Where the page and its forms are.
    pub fn base(&self) -> &'static str {
        if self.all { "/admin/tokens" } else { "/tokens" }
    }

    /// A token's scopes in words.
    pub fn scope_names(&self, t: &ApiToken) -> String {
        t.scopes.as_ref().map_or_else(
            || "every scope of the owner's roles".to_owned(),
            |s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
        )
    }

    /// When a token was last used, in words.
    pub fn last_used(&self, t: &ApiToken) -> String {
        t.last_used_at
            .map_or_else(|| "never".to_owned(), |u| u.human())
    }

    /// When a token stops working, in words.
    pub fn expiry(&self, t: &ApiToken) -> String {
        t.expires_at
            .map_or_else(|| "never".to_owned(), |e| e.human())
    }
}

async fn tokens_view(
    state: &AppState,
    person: &Person,
    all: bool,
    created: Option<(String, String)>,
    errors: Vec<FieldError>,
) -> Result<TokensPage, WebError> {
    let settings = state.app.auth_settings();
    let (tokens, users, scopes) = if all {
        person.require(Action::ManageUsers)?;
        let users = state
            .app
            .list_users(&person.actor)
            .await?
            .into_iter()
            .filter(|(u, _)| !u.disabled)
            .map(|(u, _)| u.name)
            .collect();
        (
            state.app.list_tokens(&person.actor).await?,
            users,
            Scope::ALL.to_vec(),
        )
    } else {
        (
            state.app.own_tokens(&person.actor).await?,
            vec![person.actor.name.clone()],
            Scope::allowed_for(&person.actor.roles),
        )
    };
    let (title, path) = if all {
        ("API tokens", "/admin/tokens")
    } else {
        ("My API tokens", "/tokens")
    };
    Ok(TokensPage {
        chrome: Chrome::new(person, title, path),
        all,
        tokens,
        users,
        scopes,
        days_default: settings.token_days_default,
        days_max: settings.token_days_max,
        created,
        errors,
    })
}

pub async fn own_tokens(State(state): State<AppState>, person: Person) -> Page {
    Ok(tokens_view(&state, &person, false, None, vec![])
        .await?
        .into_response())
}

pub async fn admin_tokens(State(state): State<AppState>, person: Person) -> Page {
    Ok(tokens_view(&state, &person, true, None, vec![])
        .await?
        .into_response())
}

async fn create(state: &AppState, post: &Posted, all: bool) -> Page {
    let person = &post.person;
    let user = if all {
        person.require(Action::ManageUsers)?;
        post.form.v("user").to_owned()
    } else {
        person.actor.name.clone()
    };
    let scopes = post
        .form
        .all("scopes[]")
        .iter()
        .map(|s| Scope::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| WebError::Invalid(vec![FieldError::new("scopes", m)]))?;
    let days = match post.form.v("days").trim() {
        "" => None,
        d => Some(d.parse::<u32>().map_err(|_| {
            WebError::Invalid(vec![FieldError::new(
                "expires_in_days",
                "must be a whole number of days",
            )])
        })?),
    };
    let request = TokenRequest {
        name: Some(post.form.v("name").to_owned()),
        scopes: Some(scopes),
        days,
    };
    match state.app.issue_token(&person.actor, &user, request).await {
        Ok((token, secret)) => {
            Ok(
                tokens_view(state, person, all, Some((token.user, secret)), vec![])
                    .await?
                    .into_response(),
            )
        }
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(
                tokens_view(state, person, all, None, errors).await?,
            ))
        }
    }
}

pub async fn own_token_create(State(state): State<AppState>, post: Posted) -> Page {
    create(&state, &post, false).await
}

pub async fn admin_token_create(State(state): State<AppState>, post: Posted) -> Page {
    create(&state, &post, true).await
}

/// Revokes a token: one's own, or anyone's for those who manage users;
/// back to the page the form was on.
pub async fn token_revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    state.app.revoke_token(&post.person.actor, &id).await?;
    Ok(see_other(if post.form.v("from") == "admin" {
        "/admin/tokens"
    } else {
        "/tokens"
    }))
}
