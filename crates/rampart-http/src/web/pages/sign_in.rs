//! Signing in and out: the password page, the second-factor page and the
//! sign-out form.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use rampart_app::SessionStage;

use super::{Page, query_form, with_cookie};
use crate::AppState;
use crate::web::session::{
    AnySession, COOKIE, LOGIN_COOKIE, LoginPost, PostedAny, cookie, see_other, set_cookie,
};
use crate::web::view::*;
use rampart_app::auth;
use rampart_app::people::SignIn;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub next: String,
    pub name: String,
    pub error: Option<String>,
    pub public_intake: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "login_totp.html")]
pub struct TotpPage {
    pub chrome: Chrome,
    pub error: Option<String>,
}

/// Only local paths are followed after sign-in (no open redirect): a single
/// leading `/`, and nothing a browser would drop or reinterpret (whitespace,
/// control characters, backslashes).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 512
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
        _ => "/dashboard".into(),
    }
}

fn login_response(
    state: &AppState,
    next: String,
    name: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let token = auth::new_secret();
    let page = LoginPage {
        chrome: Chrome::anonymous("Sign in", &token),
        next,
        name,
        error,
        public_intake: state.web.public_intake,
    };
    let mut response = (status, page).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, &token, Some(3600)),
    );
    response
}

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Page {
    let next = safe_next(query_form(&q)?.get("next"));
    if let Some(id) = cookie(&headers, COOKIE)
        && let Some((s, _)) = state.app.session(id).await?
        && s.stage == SessionStage::Active
    {
        return Ok(see_other(&next));
    }
    Ok(login_response(
        &state,
        next,
        String::new(),
        None,
        StatusCode::OK,
    ))
}

pub async fn login_submit(State(state): State<AppState>, post: LoginPost) -> Page {
    let f = &post.form;
    let next = safe_next(f.get("next"));
    let name = f.v("name").to_owned();
    let outcome = state
        .app
        .sign_in(
            &name,
            f.0.iter()
                .find(|(k, _)| k == "password")
                .map(|(_, v)| v.as_str())
                .unwrap_or(""),
            &post.address,
            post.old_session.as_deref(),
        )
        .await?;
    Ok(match outcome {
        SignIn::Session { id, session } => {
            let to = match session.stage {
                SessionStage::Active => next,
                SessionStage::AwaitingTotp => "/login/totp".into(),
                SessionStage::MustEnrolTotp => "/account/totp".into(),
            };
            with_cookie(&state, &id, &to)
        }
        SignIn::Refused(r) => login_response(
            &state,
            next,
            name,
            Some(r.message().into()),
            StatusCode::UNAUTHORIZED,
        ),
    })
}

pub async fn totp_page(s: AnySession) -> Page {
    if s.session.stage != SessionStage::AwaitingTotp {
        return Ok(see_other("/dashboard"));
    }
    Ok(TotpPage {
        chrome: Chrome::anonymous("Second factor", &s.session.csrf),
        error: None,
    }
    .into_response())
}

pub async fn totp_submit(State(state): State<AppState>, post: PostedAny) -> Page {
    let s = &post.session;
    match state
        .app
        .sign_in_totp(&s.session, post.form.v("code"), &s.address)
        .await?
    {
        SignIn::Session { id, .. } => Ok(with_cookie(&state, &id, "/dashboard")),
        SignIn::Refused(r) => Ok((
            StatusCode::UNAUTHORIZED,
            TotpPage {
                chrome: Chrome::anonymous("Second factor", &s.session.csrf),
                error: Some(r.message().into()),
            },
        )
            .into_response()),
    }
}

pub async fn logout(State(state): State<AppState>, post: PostedAny) -> Page {
    state.app.sign_out(&post.session.session).await?;
    let mut response = see_other("/login");
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, COOKIE, "", Some(0)));
    Ok(response)
}
