//! Browser sessions and forms: the session cookie, the signed-in person, the
//! CSRF checks (synchronizer token plus Origin) every state-changing form
//! passes, and reading form bodies (parsed in [`super::form`]).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rampart_app::{Session, SessionStage};
use rampart_domain::{Action, Actor};

use super::WebError;
pub use super::form::FormData;
use crate::AppState;
use rampart_app::auth;

/// The session cookie.
pub const COOKIE: &str = "rampart_session";
/// The cookie carrying the sign-in form's CSRF token (there is no session yet).
pub const LOGIN_COOKIE: &str = "rampart_login";

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, and Secure behind TLS.
/// `max_age` of zero removes the cookie.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if state.web.tls_proxy {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// The client's address: the socket peer, or behind a TLS proxy the last
/// address the proxy appended to `X-Forwarded-For`.
pub fn client_address(parts: &Parts, state: &AppState) -> String {
    crate::server::client_ip(&parts.headers, &parts.extensions, state.web.tls_proxy)
}

/// The path and query asked for, to come back to after signing in. A form
/// post cannot be replayed by a redirect, so it comes back to the dashboard.
fn wanted(parts: &Parts) -> String {
    if parts.method != axum::http::Method::GET {
        return "/dashboard".into();
    }
    parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/dashboard".into())
}

/// A session in any stage, from the cookie.
pub struct AnySession {
    pub session: Session,
    pub actor: Actor,
    pub address: String,
}

impl FromRequestParts<AppState> for AnySession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let address = client_address(parts, state);
        let Some(id) = cookie(&parts.headers, COOKIE) else {
            return Err(WebError::SignIn {
                next: wanted(parts),
            });
        };
        match state.app.session(id).await? {
            Some((session, actor)) => Ok(Self {
                session,
                actor,
                address,
            }),
            None => Err(WebError::SignIn {
                next: wanted(parts),
            }),
        }
    }
}

/// A signed-in person (password and, where set up, second factor done).
pub struct Person {
    pub actor: Actor,
    pub session: Session,
    pub address: String,
    /// Unread notifications, for the bell.
    pub unread: u64,
    /// The classification scale, for the names pages show.
    pub scale: std::sync::Arc<rampart_domain::ClassificationScale>,
    /// The exercises running now, for the banner.
    pub exercises: std::sync::Arc<Vec<rampart_domain::Exercise>>,
}

impl Person {
    /// Refuses the page unless the role table allows `action`.
    pub fn require(&self, action: Action) -> Result<(), WebError> {
        self.actor
            .require(action)
            .map_err(|e| WebError::Forbidden(e.to_string()))
    }

    pub fn may(&self, action: Action) -> bool {
        self.actor.may(action)
    }
}

impl FromRequestParts<AppState> for Person {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let s = AnySession::from_request_parts(parts, state).await?;
        match s.session.stage {
            SessionStage::Active => Ok(Self {
                // The bell's number; a page still shows if it cannot be counted.
                unread: state
                    .app
                    .unread_notifications(&s.actor)
                    .await
                    .unwrap_or_default(),
                // A page still shows with the shipped names if the scale cannot be read.
                scale: state.app.scale().await.unwrap_or_default(),
                exercises: state.app.running_exercises().await.unwrap_or_default(),
                actor: s.actor,
                session: s.session,
                address: s.address,
            }),
            SessionStage::AwaitingTotp => Err(WebError::SecondFactor),
            SessionStage::MustEnrolTotp => Err(WebError::MustEnrol),
        }
    }
}

/// Whether the request's `Origin` (or, without one, its `Referer`) is this
/// site. A request with neither is left to the token check alone.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(|r| {
                    // scheme://host[:port]/path -> scheme://host[:port]
                    let after = r.find("://").map(|i| i + 3).unwrap_or(0);
                    let end = r[after..].find('/').map(|i| after + i).unwrap_or(r.len());
                    r[..end].to_owned()
                })
        });
    match origin {
        None => true,
        Some(o) => o == format!("http://{host}") || o == format!("https://{host}"),
    }
}

/// A state-changing form post from a signed-in person, with its CSRF token
/// and origin checked.
pub struct Posted {
    pub person: Person,
    pub form: FormData,
}

async fn read_form(req: Request, state: &AppState) -> Result<(Parts, FormData), WebError> {
    let (parts, body) = req.into_parts();
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(WebError::BadRequest(
            "forms must be sent as application/x-www-form-urlencoded".into(),
        ));
    }
    let bytes = axum::body::to_bytes(body, state.body_limit)
        .await
        .map_err(|_| WebError::BadRequest("the form is larger than the allowed size".into()))?;
    let form = FormData::parse(&bytes).map_err(|e| WebError::Invalid(vec![e]))?;
    Ok((parts, form))
}

impl FromRequest<AppState> for Posted {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, form) = read_form(req, state).await?;
        let person = Person::from_request_parts(&mut parts, state).await?;
        check_csrf(&parts.headers, &person.session, &form)?;
        Ok(Self { person, form })
    }
}

/// A form post from a session in any stage (second factor, enrolment).
pub struct PostedAny {
    pub session: AnySession,
    pub form: FormData,
}

impl FromRequest<AppState> for PostedAny {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, form) = read_form(req, state).await?;
        let session = AnySession::from_request_parts(&mut parts, state).await?;
        check_csrf(&parts.headers, &session.session, &form)?;
        Ok(Self { session, form })
    }
}

fn check_csrf(headers: &HeaderMap, session: &Session, form: &FormData) -> Result<(), WebError> {
    let token = form.get("csrf").unwrap_or_default();
    if !same_origin(headers) || !auth::secrets_match(token, &session.csrf) {
        return Err(WebError::Csrf);
    }
    Ok(())
}

/// The sign-in form post: no session yet, so the token is checked against
/// the sign-in cookie (double submit) plus the origin.
pub struct LoginPost {
    pub form: FormData,
    pub address: String,
    pub old_session: Option<String>,
}

impl FromRequest<AppState> for LoginPost {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (parts, form) = read_form(req, state).await?;
        let expected = cookie(&parts.headers, LOGIN_COOKIE).unwrap_or_default();
        let token = form.get("csrf").unwrap_or_default();
        if expected.is_empty()
            || !same_origin(&parts.headers)
            || !auth::secrets_match(token, expected)
        {
            return Err(WebError::Csrf);
        }
        Ok(Self {
            address: client_address(&parts, state),
            old_session: cookie(&parts.headers, COOKIE).map(str::to_owned),
            form,
        })
    }
}

/// A public form post (no session): origin checked, and the token from the page's cookie.
pub struct PublicPost {
    pub form: FormData,
    pub address: String,
}

impl FromRequest<AppState> for PublicPost {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let login = LoginPost::from_request(req, state).await?;
        Ok(Self {
            form: login.form,
            address: login.address,
        })
    }
}

/// Sends the browser to `to` after a successful post (303, so a reload does not post again).
pub fn see_other(to: &str) -> Response {
    axum::response::Redirect::to(to).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_must_be_this_site() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("rampart.local:8080"));
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://rampart.local:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.remove(header::ORIGIN);
        h.insert(
            header::REFERER,
            HeaderValue::from_static("https://evil.example/x"),
        );
        assert!(!same_origin(&h));
        h.insert(
            header::REFERER,
            HeaderValue::from_static("http://rampart.local:8080/report"),
        );
        assert!(same_origin(&h));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; rampart_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "zzz"), None);
    }
}
