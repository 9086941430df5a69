//! API tokens: the tokens page, and tokens issued and revoked.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use rampart_app::ApiToken;
use rampart_domain::{Action, FieldError};

use crate::AppState;
use crate::web::pages::{Page, invalid};
use crate::web::session::{Person, Posted, see_other};
use crate::web::view::*;
use crate::web::{WebError, form_errors};

#[derive(Template, WebTemplate)]
#[template(path = "admin_tokens.html")]
pub struct TokensPage {
    pub chrome: Chrome,
    pub tokens: Vec<ApiToken>,
    pub users: Vec<String>,
    pub created: Option<(String, String)>,
    pub errors: Vec<FieldError>,
}

async fn tokens_view(
    state: &AppState,
    person: &Person,
    created: Option<(String, String)>,
    errors: Vec<FieldError>,
) -> Result<TokensPage, WebError> {
    person.require(Action::ManageUsers)?;
    Ok(TokensPage {
        chrome: Chrome::new(person, "API tokens", "/admin/tokens"),
        tokens: state.app.list_tokens(&person.actor).await?,
        users: state
            .app
            .list_users(&person.actor)
            .await?
            .into_iter()
            .filter(|(u, _)| !u.disabled)
            .map(|(u, _)| u.name)
            .collect(),
        created,
        errors,
    })
}

pub async fn admin_tokens(State(state): State<AppState>, person: Person) -> Page {
    Ok(tokens_view(&state, &person, None, vec![])
        .await?
        .into_response())
}

pub async fn admin_token_create(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ManageUsers)?;
    let user = post.form.v("user").to_owned();
    match state.app.create_token(&person.actor, &user).await {
        Ok((token, secret)) => Ok(
            tokens_view(&state, person, Some((token.user, secret)), vec![])
                .await?
                .into_response(),
        ),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(tokens_view(&state, person, None, errors).await?))
        }
    }
}

pub async fn admin_token_revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Page {
    state.app.revoke_token(&post.person.actor, &id).await?;
    Ok(see_other("/admin/tokens"))
}
