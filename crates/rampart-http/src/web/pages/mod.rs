//! One handler per page and form. Pages check the role table before showing
//! anything; forms go through the same application calls as the JSON API, so a
//! refusal there is a refusal here.
//!
//! Each area has a file of its own; the helpers several areas share are here.

mod account;
mod admin;
mod clocks;
mod communications;
mod contacts;
mod dashboard;
mod deadlines;
mod documents;
mod events;
mod evidence;
mod exercises;
mod figures;
mod filed;
mod improvements;
mod incident_edit;
mod incidents;
mod journal;
mod notifications;
mod observables;
mod playbooks;
mod report;
mod review;
mod scale;
mod sign_in;
mod teams;
mod vulnerabilities;

pub use account::*;
pub use admin::*;
pub use clocks::*;
pub use communications::*;
pub use contacts::*;
pub use dashboard::*;
pub use deadlines::*;
pub use documents::*;
pub use events::*;
pub use evidence::*;
pub use exercises::*;
pub use figures::*;
pub use filed::*;
pub use improvements::*;
pub use incident_edit::*;
pub use incidents::*;
pub use journal::*;
pub use notifications::*;
pub use observables::*;
pub use playbooks::*;
pub use report::*;
pub use scale::*;
pub use sign_in::*;
pub use teams::*;
pub use vulnerabilities::*;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use rampart_app::AppError;
use rampart_domain::{Actor, FieldError, IncidentNumber, Text};

use crate::AppState;
use crate::web::session::{COOKIE, FormData, LOGIN_COOKIE, Person, Posted, see_other, set_cookie};
use crate::web::{WebError, form_errors};

type Page = Result<Response, WebError>;

fn invalid(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

fn with_cookie(state: &AppState, id: &str, to: &str) -> Response {
    let age = state.app.auth_settings().absolute_timeout.as_secs();
    let mut response = see_other(to);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(state, COOKIE, id, Some(age)));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, "", Some(0)),
    );
    response
}

/// The query string as form fields; a hostile one is refused by name.
fn query_form(q: &Option<String>) -> Result<FormData, WebError> {
    FormData::parse(q.as_deref().unwrap_or("").as_bytes()).map_err(|e| WebError::Invalid(vec![e]))
}

fn incident_number(n: &str) -> Result<IncidentNumber, WebError> {
    n.parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not an incident number")))
}

/// The shape of every record form: decode the form into the domain input,
/// call the application, then go to the page `then` names, or show `page` again
/// (422) with the refused fields named.
async fn handle_form<T, R, P>(
    form: &FormData,
    booleans: &[&str],
    lines: &[&str],
    call: impl AsyncFnOnce(T) -> Result<R, AppError>,
    then: impl FnOnce(R) -> String,
    page: impl AsyncFnOnce(Vec<FieldError>) -> Result<P, WebError>,
) -> Page
where
    T: serde::de::DeserializeOwned,
    P: IntoResponse,
{
    handle_input(form.decode::<T>(booleans, lines), call, then, page).await
}

/// [`handle_form`] for a form read into its input by the page's own rules
/// (rows, lines, numbers): `input` is that input, or the fields it refused.
async fn handle_input<T, R, P>(
    input: Result<T, Vec<FieldError>>,
    call: impl AsyncFnOnce(T) -> Result<R, AppError>,
    then: impl FnOnce(R) -> String,
    page: impl AsyncFnOnce(Vec<FieldError>) -> Result<P, WebError>,
) -> Page
where
    P: IntoResponse,
{
    let errors = match input {
        Ok(input) => match call(input).await {
            Ok(done) => return Ok(see_other(&then(done))),
            Err(e) => form_errors(e)?,
        },
        Err(errors) => errors,
    };
    Ok(invalid(page(errors).await?))
}

/// A record whose page holds forms: an event, an incident, an evidence item.
pub(super) trait RecordPage {
    type Number: Copy + std::fmt::Display;
    type View: IntoResponse;
    /// The record's number as its page's address gives it.
    fn number(text: &str) -> Result<Self::Number, WebError>;
    /// The address of the record's page.
    fn address(number: Self::Number) -> String;
    /// The record's page, showing a form's `values` and naming the `errors`.
    async fn view(
        state: &AppState,
        person: &Person,
        number: Self::Number,
        values: FormData,
        errors: Vec<FieldError>,
    ) -> Result<Self::View, WebError>;
}

/// Runs a form of a record's page: the application is called with the
/// decoded input, then the record's page follows; on refusal the same page
/// shows the form again with the refused fields named.
async fn record_form<K: RecordPage, T, R>(
    state: &AppState,
    post: Posted,
    n: &str,
    booleans: &[&str],
    lines: &[&str],
    call: impl AsyncFnOnce(Actor, K::Number, T) -> Result<R, AppError>,
) -> Page
where
    T: serde::de::DeserializeOwned,
{
    let number = K::number(n)?;
    let person = &post.person;
    handle_form(
        &post.form,
        booleans,
        lines,
        async |input| call(person.actor.clone(), number, input).await,
        |_| K::address(number),
        async |errors| K::view(state, person, number, post.form.clone(), errors).await,
    )
    .await
}

/// A form with nothing to decode.
#[derive(serde::Deserialize)]
pub struct Nothing {}

/// The ISIRT's reason for rejecting an escalated event.
#[derive(serde::Deserialize)]
pub struct Reason {
    reason: Text,
}

fn bad_filter(field: &str, message: String) -> WebError {
    WebError::BadRequest(format!("filter `{field}`: {message}"))
}

/// The query string of `f` with `cursor` replaced.
fn with_cursor(f: &FormData, cursor: Option<&str>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &f.0 {
        if k != "cursor" && !v.trim().is_empty() {
            s.append_pair(k, v);
        }
    }
    if let Some(c) = cursor {
        s.append_pair("cursor", c);
    }
    s.finish()
}
