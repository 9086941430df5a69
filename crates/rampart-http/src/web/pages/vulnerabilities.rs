//! The vulnerability register and its report form; a vulnerability's page
//! with its whole record and the forms to assess it, resolve it or accept its
//! risk, and once confirmed its lessons-learned review.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;

use rampart_app::VulnerabilityQuery;
use rampart_domain::{
    Action, FieldError, ReviewInput, ReviewOf, Role, Vulnerability, VulnerabilityAssessment,
    VulnerabilityNumber, VulnerabilityReport, VulnerabilityResolution, VulnerabilityStatus,
};

use super::{Page, RecordPage, bad_filter, handle_form, query_form, record_form, with_cursor};
use crate::AppState;
use crate::web::WebError;
use crate::web::record_form::RecordForm;
use crate::web::session::{FormData, Person, Posted};
use crate::web::view::*;

#[derive(Template, WebTemplate)]
#[template(path = "vulnerabilities.html")]
pub struct VulnerabilityRegister {
    pub chrome: Chrome,
    pub items: Vec<Vulnerability>,
    pub filters: FormData,
    pub next: Option<String>,
    /// The whole register; without it, the person's own reports.
    pub may_view: bool,
    pub may_report: bool,
    pub form: RecordForm,
}

async fn register_view(
    state: &AppState,
    person: &Person,
    filters: FormData,
    form: RecordForm,
) -> Result<VulnerabilityRegister, WebError> {
    if !person.may(Action::ViewVulnerabilities) {
        person.require(Action::ReportVulnerability)?;
    }
    let status = filters
        .get("status")
        .map(|s| VulnerabilityStatus::parse(s).map_err(|m| bad_filter("status", m)))
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
                ..VulnerabilityQuery::default()
            },
        )
        .await?;
    // A link from an incident's workspace fills in the incident.
    let mut form = form;
    if form.values.get("incident").is_none()
        && let Some(n) = filters.get("incident")
    {
        form.values.0.push(("incident".into(), n.to_owned()));
    }
    Ok(VulnerabilityRegister {
        chrome: Chrome::new(person, "Vulnerabilities", "/vulnerabilities"),
        items: page.items,
        next: page
            .next_cursor
            .as_deref()
            .map(|c| with_cursor(&filters, Some(c))),
        filters,
        may_view: person.may(Action::ViewVulnerabilities),
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
        register_view(&state, &person, query_form(&q)?, RecordForm::default())
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
        |v: Vulnerability| format!("/vulnerabilities/{}", v.number),
        async |errors| {
            register_view(
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

#[derive(Template, WebTemplate)]
#[template(path = "vulnerability.html")]
pub struct VulnerabilityPage {
    pub chrome: Chrome,
    pub v: Vulnerability,
    /// The register (and the handling) may be read.
    pub may_view: bool,
    pub may_assess: bool,
    pub may_resolve: bool,
    pub may_accept: bool,
    /// The incident it was found during may be opened.
    pub may_see_incident: bool,
    /// Its lessons-learned review, for the register's readers.
    pub review: super::review::ReviewSection,
    pub form: RecordForm,
}

impl VulnerabilityPage {
    /// Whether the posted form was the one with this `outcome`, to show it open.
    pub fn posted(&self, outcome: &str) -> bool {
        self.form.values.has("outcome", outcome)
    }

    pub fn open_for_assessment(&self) -> bool {
        matches!(
            self.v.status,
            VulnerabilityStatus::Reported | VulnerabilityStatus::Assessed
        )
    }

    pub fn confirmed(&self) -> bool {
        self.v.status == VulnerabilityStatus::Confirmed
    }
}

fn vulnerability_number(n: &str) -> Result<VulnerabilityNumber, WebError> {
    n.parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not a vulnerability number")))
}

async fn vulnerability_view(
    state: &AppState,
    person: &Person,
    number: VulnerabilityNumber,
    values: FormData,
    errors: Vec<FieldError>,
) -> Result<VulnerabilityPage, WebError> {
    let v = state.app.get_vulnerability(&person.actor, number).await?;
    let may_see_incident = match v.incident {
        Some(n) if person.may(Action::ViewIncidents) => {
            state.app.get_incident(&person.actor, n).await.is_ok()
        }
        _ => false,
    };
    let confirmed = matches!(
        v.status,
        VulnerabilityStatus::Confirmed
            | VulnerabilityStatus::Resolved
            | VulnerabilityStatus::Accepted
    );
    let people = if confirmed && person.may(Action::RecordReview) {
        state
            .app
            .people_with(&person.actor, &[Role::IsirtMember, Role::IsirtManager])
            .await?
    } else {
        vec![]
    };
    let review = super::review::ReviewSection::new(
        state,
        person,
        ReviewOf::Vulnerability(v.number),
        v.review.as_ref(),
        confirmed && person.may(Action::ViewVulnerabilities),
        &values,
        people,
    )
    .await?;
    Ok(VulnerabilityPage {
        review,
        chrome: Chrome::new(person, v.number.to_string(), "/vulnerabilities"),
        may_view: person.may(Action::ViewVulnerabilities),
        may_assess: person.may(Action::AssessVulnerability),
        may_resolve: person.may(Action::ResolveVulnerability),
        may_accept: person.may(Action::AcceptVulnerabilityRisk),
        may_see_incident,
        v,
        form: RecordForm::new(values, errors),
    })
}

pub async fn vulnerability_page(
    State(state): State<AppState>,
    person: Person,
    Path(n): Path<String>,
) -> Page {
    let number = vulnerability_number(&n)?;
    Ok(
        vulnerability_view(&state, &person, number, FormData::default(), vec![])
            .await?
            .into_response(),
    )
}

/// A vulnerability's page, for its forms.
pub(super) struct VulnerabilityRecord;

impl RecordPage for VulnerabilityRecord {
    type Number = VulnerabilityNumber;
    type View = VulnerabilityPage;

    fn number(text: &str) -> Result<VulnerabilityNumber, WebError> {
        vulnerability_number(text)
    }

    fn address(number: VulnerabilityNumber) -> String {
        format!("/vulnerabilities/{number}")
    }

    async fn view(
        state: &AppState,
        person: &Person,
        number: VulnerabilityNumber,
        values: FormData,
        errors: Vec<FieldError>,
    ) -> Result<VulnerabilityPage, WebError> {
        vulnerability_view(state, person, number, values, errors).await
    }
}

/// A handler for a vulnerability form whose input goes straight to one application call.
macro_rules! vulnerability_form_handler {
    ($name:ident, $input:ty, $call:ident) => {
        vulnerability_form_handler!($name, $input, $call, &[], &[]);
    };
    ($name:ident, $input:ty, $call:ident, $booleans:expr, $lines:expr) => {
        pub async fn $name(
            State(state): State<AppState>,
            Path(n): Path<String>,
            post: Posted,
        ) -> Page {
            let app = state.app.clone();
            let call = |actor: rampart_domain::Actor, number, input: $input| async move {
                app.$call(&actor, number, input).await
            };
            record_form::<VulnerabilityRecord, _, _>(&state, post, &n, $booleans, $lines, call)
                .await
        }
    };
}

vulnerability_form_handler!(
    vulnerability_assess,
    VulnerabilityAssessment,
    assess_vulnerability
);
vulnerability_form_handler!(
    vulnerability_review,
    ReviewInput,
    record_vulnerability_review,
    &["communication_effective"],
    &["lessons", "same_root_cause_as"]
);
vulnerability_form_handler!(
    vulnerability_resolve,
    VulnerabilityResolution,
    resolve_vulnerability
);
