//! The vulnerability register and its report form.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;

use rampart_app::VulnerabilityQuery;
use rampart_domain::{Action, Vulnerability, VulnerabilityReport};

use super::{Page, bad_filter, handle_form, query_form, with_cursor};
use crate::AppState;
use crate::web::WebError;
use crate::web::record_form::RecordForm;
use crate::web::session::{FormData, Person, Posted};
use crate::web::view::*;

#[derive(Template, WebTemplate)]
#[template(path = "vulnerabilities.html")]
pub struct VulnerabilityPage {
    pub chrome: Chrome,
    pub items: Vec<Vulnerability>,
    pub filters: FormData,
    pub next: Option<String>,
    pub may_report: bool,
    pub form: RecordForm,
}

async fn vulnerability_view(
    state: &AppState,
    person: &Person,
    filters: FormData,
    form: RecordForm,
) -> Result<VulnerabilityPage, WebError> {
    person.require(Action::ViewVulnerabilities)?;
    let status = filters
        .get("status")
        .map(|s| rampart_domain::VulnerabilityStatus::parse(s).map_err(|m| bad_filter("status", m)))
        .transpose()?;
    let page = state
        .app
        .list_vulnerabilities(
            &person.actor,
            VulnerabilityQuery {
                status,
                text: filters.get("q").map(str::to_owned),
                cursor: filters.get("cursor").map(str::to_owned),
                limit: 50,
            },
        )
        .await?;
    Ok(VulnerabilityPage {
        chrome: Chrome::new(person, "Vulnerabilities", "/vulnerabilities"),
        items: page.items,
        next: page
            .next_cursor
            .as_deref()
            .map(|c| with_cursor(&filters, Some(c))),
        filters,
        may_report: person.may(Action::ReportVulnerability),
        form,
    })
}

pub async fn vulnerability_register(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    Ok(
        vulnerability_view(&state, &person, query_form(&q)?, RecordForm::default())
            .await?
            .into_response(),
    )
}

pub async fn vulnerability_report(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ReportVulnerability)?;
    handle_form(
        &post.form,
        &[],
        &["assets"],
        async |input: VulnerabilityReport| {
            state.app.report_vulnerability(&person.actor, input).await
        },
        |_| "/vulnerabilities".to_owned(),
        async |errors| {
            vulnerability_view(
                &state,
                person,
                FormData::default(),
                RecordForm::new(post.form.clone(), errors),
            )
            .await
        },
    )
    .await
}
