//! Evidence: the upload, the item page and its forms (verification, custody
//! transfer, legal hold, disposal), the download and the signed bundle.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;

use rampart_domain::{
    Action, CustodyTransfer, EvidenceHolder, EvidenceItem, EvidenceNumber, EvidenceSubmission,
    FieldError, Role, Text,
};

use super::events::{EventPage, EventRecord};
use super::incidents::{IncidentPage, IncidentRecord};
use super::{Nothing, Page, Reason, RecordPage, incident_number, invalid, record_form};
use crate::AppState;
use crate::api::evidence::{bundle_response, download_response};
use crate::error::ApiError;
use crate::upload;
use crate::web::WebError;
use crate::web::form_errors;
use crate::web::record_form::RecordForm;
use crate::web::session::{FormData, Person, Posted, same_origin, see_other};
use crate::web::view::*;

#[derive(Template, WebTemplate)]
#[template(path = "evidence.html")]
pub struct EvidencePage {
    pub chrome: Chrome,
    pub item: EvidenceItem,
    /// The incident the item belongs to, or the event it was secured for.
    pub holder: HolderLink,
    pub custody: Vec<CustodyRow>,
    pub may_download: bool,
    pub may_transfer: bool,
    pub may_verify: bool,
    pub may_hold: bool,
    pub may_dispose: bool,
    /// ISIRT people, offered when transferring custody.
    pub people: Vec<String>,
    pub form: RecordForm,
}

/// The record an item belongs to, as its page links it.
pub struct HolderLink {
    pub number: String,
    pub href: String,
    pub title: String,
    /// The register it is listed in: name and address.
    pub list: (&'static str, &'static str),
    pub words: &'static str,
}

fn evidence_number(n: &str) -> Result<EvidenceNumber, WebError> {
    n.parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not an evidence number")))
}

/// A page with an evidence section (an incident's workspace, an event's
/// page): its forms open again when refused.
pub(super) trait EvidenceForms {
    fn open_upload(&mut self);
    fn open_physical(&mut self, form: RecordForm);
}

macro_rules! evidence_forms {
    ($($page:ty),*) => {$(
        impl EvidenceForms for $page {
            fn open_upload(&mut self) {
                self.upload_open = true;
            }

            fn open_physical(&mut self, form: RecordForm) {
                self.physical = form;
                self.physical_open = true;
            }
        }
    )*};
}

evidence_forms!(IncidentPage, EventPage);

/// The upload form of an incident's workspace (`multipart/form-data`): the
/// metadata fields, the page's token, then the file, streamed to the vault.
/// Refused fields show the workspace again with them named.
pub async fn evidence_upload(
    State(state): State<AppState>,
    Path(n): Path<String>,
    person: Person,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Page {
    upload_to::<IncidentRecord>(
        &state,
        &n,
        person,
        headers,
        multipart,
        EvidenceHolder::Incident,
    )
    .await
}

/// The upload form of an event's page, while the event is in triage.
pub async fn event_evidence_upload(
    State(state): State<AppState>,
    Path(n): Path<String>,
    person: Person,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Page {
    upload_to::<EventRecord>(
        &state,
        &n,
        person,
        headers,
        multipart,
        EvidenceHolder::Event,
    )
    .await
}

async fn upload_to<K>(
    state: &AppState,
    n: &str,
    person: Person,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
    holder: fn(K::Number) -> EvidenceHolder,
) -> Page
where
    K: RecordPage,
    K::View: EvidenceForms,
{
    let allowed = K::number(n).and_then(|number| {
        if !same_origin(&headers) {
            return Err(WebError::Csrf);
        }
        person.require(Action::HandleEvidence)?;
        Ok(number)
    });
    let (number, multipart) = match (allowed, multipart) {
        (Ok(number), Ok(multipart)) => (number, multipart),
        (Err(refusal), Ok(mut multipart)) => {
            upload::drain(&mut multipart).await;
            return Err(refusal);
        }
        (Err(refusal), Err(_)) => return Err(refusal),
        (Ok(_), Err(_)) => {
            return Err(WebError::BadRequest(
                "evidence must be sent as multipart/form-data".into(),
            ));
        }
    };
    let received = upload::receive(
        &state.app,
        &person.actor,
        holder(number),
        multipart,
        Some(&person.session.csrf),
    )
    .await;
    let errors = match received {
        Ok(item) => return Ok(see_other(&format!("/evidence/{}", item.number))),
        Err(ApiError::Invalid(errors)) => errors,
        Err(ApiError::Conflict(detail)) => vec![FieldError::new("", detail)],
        // The role table allowed the upload: what is refused is the form's token.
        Err(ApiError::Forbidden(_)) => return Err(WebError::Csrf),
        Err(other) => return Err(other.into()),
    };
    let mut page = K::view(state, &person, number, FormData::default(), errors).await?;
    page.open_upload();
    Ok(invalid(page))
}

/// The physical item form of an incident's workspace.
pub async fn evidence_physical(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    physical_to::<IncidentRecord>(&state, &n, post, EvidenceHolder::Incident).await
}

/// The physical item form of an event's page, while the event is in triage.
pub async fn event_evidence_physical(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    physical_to::<EventRecord>(&state, &n, post, EvidenceHolder::Event).await
}

/// Records a physical item and shows its page; refused, the record's page
/// shows the form again with the refused fields named.
async fn physical_to<K>(
    state: &AppState,
    n: &str,
    post: Posted,
    holder: fn(K::Number) -> EvidenceHolder,
) -> Page
where
    K: RecordPage,
    K::View: EvidenceForms,
{
    let number = K::number(n)?;
    let person = &post.person;
    let errors = match post.form.decode::<EvidenceSubmission>(&[], &[]) {
        Ok(input) => match state
            .app
            .add_physical_evidence(&person.actor, holder(number), input)
            .await
        {
            Ok(item) => return Ok(see_other(&format!("/evidence/{}", item.number))),
            Err(e) => form_errors(e)?,
        },
        Err(errors) => errors,
    };
    let mut page = K::view(state, person, number, FormData::default(), vec![]).await?;
    page.open_physical(RecordForm::new(post.form.clone(), errors));
    Ok(invalid(page))
}

/// The upload address opened in the browser (after a refused upload, say):
/// the evidence section of the workspace.
pub async fn evidence_upload_page(Path(n): Path<String>) -> Page {
    let number = incident_number(&n)?;
    Ok(see_other(&format!("/incidents/{number}#evidence")))
}

/// The signed evidence bundle of an incident; every export is a custody entry.
pub async fn evidence_bundle(
    State(state): State<AppState>,
    person: Person,
    headers: HeaderMap,
    Path(n): Path<String>,
) -> Page {
    let number = incident_number(&n)?;
    // Each export is recorded; another site may not make a browser ask for one.
    if !same_origin(&headers) {
        return Err(WebError::Csrf);
    }
    let plan = state.app.evidence_bundle(&person.actor, number).await?;
    Ok(bundle_response(state.app.clone(), person.actor, plan))
}

async fn evidence_view(
    state: &AppState,
    person: &Person,
    number: EvidenceNumber,
    values: FormData,
    errors: Vec<FieldError>,
) -> Result<EvidencePage, WebError> {
    let record = state.app.get_evidence(&person.actor, number).await?;
    let item: EvidenceItem = record.item;
    let holder = match item.holder() {
        Some(EvidenceHolder::Incident(n)) => {
            let incident = state.app.get_incident(&person.actor, n).await?;
            HolderLink {
                number: n.to_string(),
                href: format!("/incidents/{n}"),
                title: incident.title.as_str().to_owned(),
                list: ("Incidents", "/incidents"),
                words: "evidence of",
            }
        }
        Some(EvidenceHolder::Event(n)) => {
            let event = state.app.get_event(&person.actor, n).await?;
            HolderLink {
                number: n.to_string(),
                href: format!("/events/{n}"),
                title: event.title.as_str().to_owned(),
                list: ("Triage", "/triage"),
                words: "secured while in triage for",
            }
        }
        None => return Err(WebError::NotFound(format!("evidence {number}"))),
    };
    // Disposed content can no longer be read, moved or held.
    let present = item.disposed.is_none();
    let handle = present && person.may(Action::HandleEvidence);
    let people = if handle {
        state
            .app
            .people_with(&person.actor, &[Role::IsirtMember, Role::IsirtManager])
            .await?
    } else {
        vec![]
    };
    Ok(EvidencePage {
        chrome: Chrome::new(person, item.number.to_string(), holder.list.1),
        holder,
        custody: custody_rows(&record.custody),
        may_download: handle && !item.is_physical(),
        may_transfer: handle,
        may_verify: present && !item.is_physical() && person.may(Action::VerifyEvidence),
        may_hold: present && person.may(Action::HoldEvidence),
        may_dispose: present && person.may(Action::DisposeEvidence),
        people,
        item,
        form: RecordForm::new(values, errors),
    })
}

pub async fn evidence_page(
    State(state): State<AppState>,
    person: Person,
    Path(n): Path<String>,
) -> Page {
    let number = evidence_number(&n)?;
    Ok(
        evidence_view(&state, &person, number, FormData::default(), vec![])
            .await?
            .into_response(),
    )
}

/// The content, verified before and while it streams; the download is a
/// custody entry, and altered content is refused with an alarm.
pub async fn evidence_download(
    State(state): State<AppState>,
    person: Person,
    headers: HeaderMap,
    Path(n): Path<String>,
) -> Page {
    let number = evidence_number(&n)?;
    // Each download is recorded; another site may not make a browser ask for one.
    if !same_origin(&headers) {
        return Err(WebError::Csrf);
    }
    let (item, reading) = state.app.open_evidence(&person.actor, number).await?;
    Ok(download_response(
        state.app.clone(),
        person.actor,
        item,
        reading,
    ))
}

/// The evidence page, for its forms.
struct EvidenceRecord;

impl RecordPage for EvidenceRecord {
    type Number = EvidenceNumber;
    type View = EvidencePage;

    fn number(text: &str) -> Result<EvidenceNumber, WebError> {
        evidence_number(text)
    }

    fn address(number: EvidenceNumber) -> String {
        format!("/evidence/{number}")
    }

    async fn view(
        state: &AppState,
        person: &Person,
        number: EvidenceNumber,
        values: FormData,
        errors: Vec<FieldError>,
    ) -> Result<EvidencePage, WebError> {
        evidence_view(state, person, number, values, errors).await
    }
}

pub async fn evidence_verify(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    record_form::<EvidenceRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, _: Nothing| async move { app.verify_evidence(&actor, number).await },
    )
    .await
}

pub async fn evidence_transfer(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    record_form::<EvidenceRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: CustodyTransfer| async move {
            app.transfer_evidence(&actor, number, input).await
        },
    )
    .await
}

/// Whether a legal hold is placed or released.
#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldMode {
    Place,
    Release,
}

/// A legal hold placed or released, with the reason.
#[derive(serde::Deserialize)]
pub struct HoldForm {
    mode: HoldMode,
    reason: Text,
}

pub async fn evidence_hold(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    record_form::<EvidenceRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: HoldForm| async move {
            let place = matches!(input.mode, HoldMode::Place);
            app.hold_evidence(&actor, number, place, input.reason).await
        },
    )
    .await
}

pub async fn evidence_dispose(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    record_form::<EvidenceRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: Reason| async move {
            app.dispose_evidence(&actor, number, input.reason).await
        },
    )
    .await
}
