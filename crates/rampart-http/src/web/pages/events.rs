//! The triage queue, the event page and the event forms (triage, assessment,
//! rejection, confirmation as an incident).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use std::collections::HashMap;

use rampart_app::{AppError, EventQuery};
use rampart_domain::{
    Action, AssessmentInput, Category, Correlation, DomainError, Event, EventNumber, EventStatus,
    FieldError, IncidentConfirmation, IncidentNumber, Role,
};

use super::observables::PivotLink as _;
use super::{Nothing, Page, Reason, RecordPage, handle_form, record_form};
use crate::AppState;
use crate::web::WebError;
use crate::web::record_form::RecordForm;
use crate::web::session::{FormData, Person, Posted};
use crate::web::view::*;

/// An open event or incident related to an event, as this viewer may follow it.
pub struct RelatedLink {
    /// `EVT-…` or `INC-…`.
    pub number: String,
    /// Where it opens; absent when the viewer may not open it.
    pub href: Option<String>,
    /// What the two share, as `type:value`.
    pub shared: Vec<String>,
}

/// How many related records a row of the triage queue shows.
pub const RELATED_IN_QUEUE: usize = 5;

pub struct TriageRow {
    pub event: Event,
    /// The first [`RELATED_IN_QUEUE`] related records.
    pub related: Vec<RelatedLink>,
    /// How many more there are (shown on the event's page).
    pub more_related: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "triage.html")]
pub struct TriagePage {
    pub chrome: Chrome,
    pub rows: Vec<TriageRow>,
    pub escalated: Vec<Event>,
    /// The categorization rules, read-only.
    pub rules: Vec<RuleRow>,
    pub rules_version: u32,
    pub rules_editable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "event.html")]
pub struct EventPage {
    pub chrome: Chrome,
    pub event: Event,
    pub may_triage: bool,
    pub may_assess: bool,
    pub may_reject: bool,
    pub may_confirm: bool,
    pub may_see_incident: bool,
    pub coordinators: Vec<String>,
    /// Open work sharing observables or assets, as the viewer may follow it.
    pub related: Vec<RelatedLink>,
    pub form: RecordForm,
}

impl EventPage {
    /// The category to preselect when confirming: what was typed, else the assessment's.
    pub fn confirm_category(&self, c: &Category) -> bool {
        match self.form.values.get("category") {
            Some(v) => v == c.as_str(),
            None => self
                .event
                .assessment
                .as_ref()
                .and_then(|a| a.category)
                .is_some_and(|a| a == *c),
        }
    }

    /// What the category select's first choice says.
    pub fn keep_category_label(&self) -> String {
        match &self.event.proposal {
            Some(_) => "As proposed".into(),
            None => "Not set".into(),
        }
    }

    /// What the RSIT select's first choice says.
    pub fn keep_rsit_label(&self) -> String {
        match self.event.proposal.as_ref().and_then(|p| p.rsit.as_ref()) {
            Some(_) => "As proposed".into(),
            None => "Not set".into(),
        }
    }
}

/// The related records of an event as this viewer may follow them. An
/// incident appears only to those who may open it (need-to-know hides a
/// restricted one); another event opens for those who may read events.
/// `readable` remembers each incident's answer across the rows of a page.
async fn related_links(
    state: &AppState,
    person: &Person,
    related: &[Correlation],
    readable: &mut HashMap<IncidentNumber, bool>,
) -> Result<Vec<RelatedLink>, WebError> {
    let mut links = Vec::with_capacity(related.len());
    for c in related {
        let href = if let Ok(n) = c.number.parse::<IncidentNumber>() {
            let visible = match readable.get(&n) {
                Some(v) => *v,
                None => {
                    let v = person.may(Action::ViewIncidents)
                        && match state.app.get_incident(&person.actor, n).await {
                            Ok(_) => true,
                            Err(AppError::Domain(
                                DomainError::NotFound(_) | DomainError::Forbidden { .. },
                            )) => false,
                            Err(e) => return Err(e.into()),
                        };
                    readable.insert(n, v);
                    v
                }
            };
            if !visible {
                continue;
            }
            Some(format!("/incidents/{n}"))
        } else if person.may(Action::ViewEvents) {
            Some(format!("/events/{}", c.number))
        } else {
            None
        };
        links.push(RelatedLink {
            number: c.number.clone(),
            href,
            shared: c.shared.clone(),
        });
    }
    Ok(links)
}

pub async fn triage_page(State(state): State<AppState>, person: Person) -> Page {
    person.require(Action::TriageEvent)?;
    let list = |status| EventQuery {
        status: Some(status),
        limit: 200,
        ..EventQuery::default()
    };
    let mut queue: Vec<Event> = Vec::new();
    for status in [EventStatus::Reported, EventStatus::Triage] {
        queue.extend(
            state
                .app
                .list_events(&person.actor, list(status))
                .await?
                .items,
        );
    }
    queue.sort_by(|a, b| {
        b.reported_at
            .cmp(&a.reported_at)
            .then(b.number.cmp(&a.number))
    });
    let escalated = state
        .app
        .list_events(&person.actor, list(EventStatus::Escalated))
        .await?
        .items;
    let mut readable = HashMap::new();
    let mut rows = Vec::with_capacity(queue.len());
    for event in queue {
        let mut related = related_links(&state, &person, &event.related, &mut readable).await?;
        let more_related = related.len().saturating_sub(RELATED_IN_QUEUE);
        related.truncate(RELATED_IN_QUEUE);
        rows.push(TriageRow {
            event,
            related,
            more_related,
        });
    }
    let rules = state.app.get_rules(&person.actor).await?;
    Ok(TriagePage {
        chrome: Chrome::new(&person, "Triage", "/triage").live("triage"),
        rows,
        escalated,
        rules: rules.rules.iter().map(RuleRow::of).collect(),
        rules_version: rules.version,
        rules_editable: false,
    }
    .into_response())
}

fn event_number(n: &str) -> Result<EventNumber, WebError> {
    n.parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not an event number")))
}

async fn event_view(
    state: &AppState,
    person: &Person,
    number: EventNumber,
    values: FormData,
    errors: Vec<FieldError>,
) -> Result<EventPage, WebError> {
    let event = state.app.get_event(&person.actor, number).await?;
    let may_confirm = person.may(Action::ConfirmIncident);
    let coordinators = if may_confirm {
        state
            .app
            .people_with(&person.actor, &[Role::IsirtMember, Role::IsirtManager])
            .await?
    } else {
        vec![]
    };
    let may_see_incident = match event.incident {
        Some(n) if person.may(Action::ViewIncidents) => {
            state.app.get_incident(&person.actor, n).await.is_ok()
        }
        _ => false,
    };
    let related = related_links(state, person, &event.related, &mut HashMap::new()).await?;
    Ok(EventPage {
        chrome: Chrome::new(person, event.number.to_string(), "/triage"),
        may_triage: person.may(Action::TriageEvent),
        may_assess: person.may(Action::AssessEvent),
        may_reject: person.may(Action::RejectEvent),
        may_confirm,
        may_see_incident,
        coordinators,
        related,
        event,
        form: RecordForm::new(values, errors),
    })
}

pub async fn event_page(
    State(state): State<AppState>,
    person: Person,
    Path(n): Path<String>,
) -> Page {
    let number = event_number(&n)?;
    Ok(
        event_view(&state, &person, number, FormData::default(), vec![])
            .await?
            .into_response(),
    )
}

/// The event page, for its forms.
struct EventRecord;

impl RecordPage for EventRecord {
    type Number = EventNumber;
    type View = EventPage;

    fn number(text: &str) -> Result<EventNumber, WebError> {
        event_number(text)
    }

    fn address(number: EventNumber) -> String {
        format!("/events/{number}")
    }

    async fn view(
        state: &AppState,
        person: &Person,
        number: EventNumber,
        values: FormData,
        errors: Vec<FieldError>,
    ) -> Result<EventPage, WebError> {
        event_view(state, person, number, values, errors).await
    }
}

pub async fn event_triage(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    record_form::<EventRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, _: Nothing| async move { app.triage_event(&actor, number).await },
    )
    .await
}

/// The form with its one-select RSIT choice (`class/type`) split into the
/// `rsit.class` and `rsit.type` fields the assessment takes. A blank choice
/// is left out: the proposal stands.
fn split_rsit(form: &FormData) -> FormData {
    let mut fields = Vec::with_capacity(form.0.len() + 1);
    for (k, v) in &form.0 {
        if k != "rsit" {
            fields.push((k.clone(), v.clone()));
            continue;
        }
        match v.trim().split_once('/') {
            Some((class, kind)) => {
                fields.push(("rsit.class".to_owned(), class.to_owned()));
                fields.push(("rsit.type".to_owned(), kind.to_owned()));
            }
            None => fields.push(("rsit.class".to_owned(), v.clone())),
        }
    }
    FormData(fields)
}

pub async fn event_assess(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let number = event_number(&n)?;
    let person = &post.person;
    handle_form(
        &split_rsit(&post.form),
        &["escalate"],
        &[],
        async |input: AssessmentInput| state.app.assess_event(&person.actor, number, input).await,
        |_| "/triage".to_owned(),
        async |errors| event_view(&state, person, number, post.form.clone(), errors).await,
    )
    .await
}

pub async fn event_reject(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    record_form::<EventRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: Reason| async move {
            app.reject_event(&actor, number, input.reason).await
        },
    )
    .await
}

pub async fn event_confirm(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let number = event_number(&n)?;
    let person = &post.person;
    handle_form(
        &post.form,
        &[],
        &[],
        async |input: IncidentConfirmation| state.app.confirm_incident(&person.actor, input).await,
        |incident| format!("/incidents/{}", incident.number),
        async |errors| event_view(&state, person, number, post.form.clone(), errors).await,
    )
    .await
}
