//! Reporting an event: the form of a signed-in reporter and the public form.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use rampart_domain::{Action, Actor, EventNumber, EventReport, Role};

use super::{Page, handle_form};
use crate::AppState;
use crate::web::record_form::RecordForm;
use crate::web::session::{LOGIN_COOKIE, Person, Posted, PublicPost, set_cookie};
use crate::web::view::*;
use crate::web::{WebError, form_errors};
use rampart_app::auth;

#[derive(Template, WebTemplate)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub chrome: Chrome,
    pub public: bool,
    /// A point of contact may file the report for someone who phoned or wrote.
    pub for_someone: bool,
    pub form: RecordForm,
}

impl ReportPage {
    /// Rows of observables the form offers: those filled in, and one more, at least three.
    pub fn observable_rows(&self) -> Vec<usize> {
        let filled = self
            .form
            .values
            .0
            .iter()
            .filter(|(k, v)| k.starts_with("observables.") && !v.trim().is_empty())
            .filter_map(|(k, _)| k.split('.').nth(1)?.parse::<usize>().ok())
            .max()
            .map_or(0, |n| n + 1);
        (0..(filled + 1).clamp(3, 20)).collect()
    }

    pub fn observable_kinds(&self) -> [(&'static str, &'static str); 7] {
        [
            ("ip", "IP address"),
            ("domain", "Domain"),
            ("url", "Web address (URL)"),
            ("email", "E-mail address"),
            ("hash", "File hash"),
            ("account", "Account"),
            ("host", "Computer name"),
        ]
    }

    pub fn channels(&self) -> [(&'static str, &'static str); 6] {
        [
            ("phone", "By phone"),
            ("email", "By e-mail"),
            ("in_person", "In person"),
            ("letter", "By letter"),
            ("chat", "By chat"),
            ("other", "Another way"),
        ]
    }

    /// A cell of the observables table.
    pub fn cell(&self, row: &usize, field: &str) -> String {
        self.form
            .values
            .v(&format!("observables.{row}.{field}"))
            .to_owned()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "report_done.html")]
pub struct ReportDonePage {
    pub chrome: Chrome,
    pub number: String,
    pub anonymous: bool,
    pub public: bool,
}

const REPORT_BOOLEANS: &[&str] = &["anonymous", "is_over"];
const REPORT_LINES: &[&str] = &["assets"];

pub async fn report_page(person: Person) -> Page {
    person.require(Action::ReportEvent)?;
    Ok(ReportPage {
        chrome: Chrome::new(&person, "Report a security event", "/report"),
        public: false,
        for_someone: person.may(Action::TriageEvent),
        form: RecordForm::default(),
    }
    .into_response())
}

pub async fn report_submit(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ReportEvent)?;
    handle_form(
        &post.form,
        REPORT_BOOLEANS,
        REPORT_LINES,
        async |report: EventReport| state.app.report_event(&person.actor, report).await,
        |event| format!("/report/{}", event.number),
        async |errors| {
            Ok(ReportPage {
                chrome: Chrome::new(person, "Report a security event", "/report"),
                public: false,
                for_someone: person.may(Action::TriageEvent),
                form: RecordForm::new(post.form.clone(), errors),
            })
        },
    )
    .await
}

pub async fn report_done(
    State(state): State<AppState>,
    person: Person,
    Path(n): Path<String>,
) -> Page {
    let number: EventNumber = n
        .parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not an event number")))?;
    let event = state.app.get_event(&person.actor, number).await?;
    Ok(ReportDonePage {
        chrome: Chrome::new(&person, "Report received", "/report"),
        number: event.number.to_string(),
        anonymous: event.anonymous,
        public: false,
    }
    .into_response())
}

fn public_page(state: &AppState, form: RecordForm, status: StatusCode) -> Response {
    let token = auth::new_secret();
    let mut response = (
        status,
        ReportPage {
            chrome: Chrome::anonymous("Report a security event", &token),
            public: true,
            for_someone: false,
            form,
        },
    )
        .into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, &token, Some(3600)),
    );
    response
}

pub async fn public_report_page(State(state): State<AppState>) -> Page {
    if !state.web.public_intake {
        return Err(WebError::NotFound(
            "The public intake page is turned off.".into(),
        ));
    }
    Ok(public_page(&state, RecordForm::default(), StatusCode::OK))
}

pub async fn public_report_submit(State(state): State<AppState>, post: PublicPost) -> Page {
    if !state.web.public_intake {
        return Err(WebError::NotFound(
            "The public intake page is turned off.".into(),
        ));
    }
    let mut report: EventReport = match post.form.decode(REPORT_BOOLEANS, REPORT_LINES) {
        Ok(r) => r,
        Err(errors) => {
            return Ok(public_page(
                &state,
                RecordForm::new(post.form, errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    if !state.app.allow_public_report(&post.address).await? {
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            error_page(
                429,
                "Too many reports",
                "This address has sent the most reports accepted in an hour. Please try again later, or contact the security team directly.",
            ),
        )
            .into_response());
    }
    report.anonymous = false;
    let public = Actor::new("public", vec![Role::Reporter]);
    match state.app.report_event(&public, report).await {
        Ok(event) => Ok(ReportDonePage {
            chrome: Chrome::anonymous("Report received", ""),
            number: event.number.to_string(),
            anonymous: false,
            public: true,
        }
        .into_response()),
        Err(e) => Ok(public_page(
            &state,
            RecordForm::new(post.form, form_errors(e)?),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}
