//! The account page: the password change and the second-factor setup.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use rampart_app::{Credentials, SessionStage};
use rampart_domain::FieldError;

use super::{Page, invalid, with_cookie};
use crate::AppState;
use crate::web::session::{AnySession, Person, Posted, PostedAny, see_other};
use crate::web::view::*;
use crate::web::{WebError, form_errors};
use rampart_app::auth;
use rampart_app::people::SignIn;

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub chrome: Chrome,
    pub credentials: Credentials,
    pub errors: Vec<FieldError>,
    pub notice: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "totp_setup.html")]
pub struct TotpSetupPage {
    pub chrome: Chrome,
    pub secret: String,
    pub uri: String,
    pub qr: String,
    pub must: bool,
    pub errors: Vec<FieldError>,
}

async fn account_view(
    state: &AppState,
    person: &Person,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> Result<AccountPage, WebError> {
    Ok(AccountPage {
        chrome: Chrome::new(person, "Your account", "/account"),
        credentials: state.app.credentials(&person.actor.name).await?,
        errors,
        notice,
    })
}

pub async fn account_page(State(state): State<AppState>, person: Person) -> Page {
    Ok(account_view(&state, &person, vec![], None)
        .await?
        .into_response())
}

pub async fn password_submit(State(state): State<AppState>, post: Posted) -> Page {
    let p = &post.person;
    let raw = |name: &str| {
        post.form
            .0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    match state
        .app
        .change_password(
            &p.session,
            &raw("current_password"),
            &raw("new_password"),
            &p.address,
        )
        .await
    {
        Ok(SignIn::Session { id, .. }) => Ok(with_cookie(&state, &id, "/account")),
        Ok(SignIn::Refused(r)) => Err(WebError::Forbidden(r.message().into())),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(invalid(account_view(&state, p, errors, None).await?))
        }
    }
}

async fn totp_setup_view(
    state: &AppState,
    s: &AnySession,
    secret: String,
    errors: Vec<FieldError>,
) -> Result<Response, WebError> {
    let (uri, qr) = auth::totp_enrolment(&secret, &s.actor.name).ok_or(WebError::Internal)?;
    let must = s.session.stage == SessionStage::MustEnrolTotp;
    let mut chrome = Chrome::anonymous("Second factor", &s.session.csrf);
    if !must {
        chrome.user = s.actor.name.clone();
        chrome.roles = s
            .actor
            .roles
            .iter()
            .map(|r| role_label(*r))
            .collect::<Vec<_>>()
            .join(", ");
        chrome.nav = vec![("/dashboard", "Dashboard", false)];
    }
    let page = TotpSetupPage {
        chrome,
        secret,
        uri,
        qr,
        must,
        errors,
    };
    let _ = state;
    Ok(page.into_response())
}

/// Whether the user already has a second factor; replacing it takes an admin's reset.
async fn already_enrolled(state: &AppState, s: &AnySession) -> Result<bool, WebError> {
    Ok(s.session.stage == SessionStage::Active
        && state
            .app
            .credentials(&s.actor.name)
            .await?
            .totp_secret
            .is_some())
}

pub async fn totp_setup_page(State(state): State<AppState>, s: AnySession) -> Page {
    if s.session.stage == SessionStage::AwaitingTotp {
        return Ok(see_other("/login/totp"));
    }
    if already_enrolled(&state, &s).await? {
        return Ok(see_other("/account"));
    }
    let secret = state.app.begin_totp(&s.session).await?;
    totp_setup_view(&state, &s, secret, vec![]).await
}

pub async fn totp_setup_submit(State(state): State<AppState>, post: PostedAny) -> Page {
    let s = &post.session;
    if s.session.stage == SessionStage::AwaitingTotp {
        return Ok(see_other("/login/totp"));
    }
    if already_enrolled(&state, s).await? {
        return Err(WebError::Forbidden(
            "A second factor is already set up. An administrator must reset it before a new one can be enrolled.".into(),
        ));
    }
    match state
        .app
        .confirm_totp(&s.session, post.form.v("code"), &s.address)
        .await
    {
        Ok(Some(SignIn::Session { id, .. })) => Ok(with_cookie(&state, &id, "/account")),
        Ok(_) => Ok(see_other("/account")),
        Err(e) => {
            let errors = form_errors(e)?;
            let secret = s.session.pending_totp.clone().unwrap_or_default();
            if secret.is_empty() {
                return Ok(see_other("/account/totp"));
            }
            Ok(invalid(totp_setup_view(&state, s, secret, errors).await?))
        }
    }
}
