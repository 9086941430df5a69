//! The triage queue, the event page and the event forms (triage, assessment,
//! rejection, confirmation as an incident).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use std::collections::HashMap;

use rampart_app::triage::{BulkDecision, ItemOutcome, ItemResult, MAX_BULK};
use rampart_app::{AppError, ErrorKind, EventQuery, EventSort, EventStage};
use rampart_domain::{
    Action, AlertSeverity, AssessmentInput, Category, Correlation, DomainError, Event, EventNumber,
    EventStatus, FieldError, Incident, IncidentConfirmation, IncidentNumber, Measure, Measured,
    ReporterKind, Role, Text, Timestamp,
};

use super::observables::PivotLink as _;
use super::{
    Nothing, Page, Reason, RecordPage, bad_filter, handle_form, query_form, record_form,
    with_cursor,
};
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
    /// The response-time target running now.
    pub running: Option<Measure>,
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
    /// The queue's filters as given (the query string).
    pub filters: FormData,
    /// `severity`, `oldest` or `newest`.
    pub sort: String,
    /// Query strings of the first and the next page.
    pub first: String,
    pub next: Option<String>,
    /// Whether any filter narrows the queue.
    pub filtered: bool,
    /// The bulk form as posted, with what was refused in it.
    pub form: RecordForm,
    /// The outcome of the bulk assessment just made.
    pub outcome: Option<Outcome>,
    /// Whether the viewer may add events to an incident.
    pub may_link: bool,
    pub max_bulk: usize,
    /// Where live updates read the queue from, when this page answers a form.
    pub live_url: Option<String>,
}

impl TriagePage {
    /// Whether an event was ticked in the refused bulk form.
    pub fn selected(&self, number: impl std::fmt::Display) -> bool {
        self.form.has("events", &number.to_string())
    }

    /// The choices of the severity filter.
    pub fn severities(&self) -> Vec<AlertSeverity> {
        AlertSeverity::ALL.iter().rev().copied().collect()
    }

    pub fn reporter_kinds(&self) -> &'static [ReporterKind] {
        ReporterKind::ALL
    }

    /// What the queue shows, in words.
    pub fn order_words(&self) -> &'static str {
        match self.sort.as_str() {
            "oldest" => "oldest first",
            "newest" => "newest first",
            "due" => "least time left first (response-time targets)",
            _ => "most severe first (sensor severity), then oldest",
        }
    }
}

/// How a bulk assessment went, one row per selected event.
pub struct Outcome {
    /// What was asked, in words.
    pub decision: String,
    pub rows: Vec<OutcomeRow>,
    pub done: usize,
    pub refused: usize,
}

pub struct OutcomeRow {
    pub event: String,
    pub done: bool,
    /// What became of it, or why it was refused.
    pub text: String,
}

impl Outcome {
    fn of(decision: &BulkDecision, results: Vec<ItemResult>) -> Self {
        let decision = match decision {
            BulkDecision::FalseAlarm { .. } => "False alarm".to_owned(),
            BulkDecision::PossibleIncident { .. } => "Escalate as a possible incident".to_owned(),
            BulkDecision::Link { incident } => format!("Add to {incident}"),
        };
        let rows: Vec<OutcomeRow> = results
            .into_iter()
            .map(|r| match r.outcome {
                ItemOutcome::Done { status, incident } => OutcomeRow {
                    event: r.event.to_string(),
                    done: true,
                    text: match incident {
                        Some(i) => format!("linked to {i}"),
                        None => format!("now {}", label(status).to_lowercase()),
                    },
                },
                ItemOutcome::Refused { reason, .. } => OutcomeRow {
                    event: r.event.to_string(),
                    done: false,
                    text: reason,
                },
            })
            .collect();
        let done = rows.iter().filter(|r| r.done).count();
        Self {
            decision,
            refused: rows.len() - done,
            done,
            rows,
        }
    }
}

/// The past events: assessed to an end, or linked to an incident.
#[derive(Template, WebTemplate)]
#[template(path = "events.html")]
pub struct PastEventsPage {
    pub chrome: Chrome,
    pub items: Vec<Event>,
    pub filters: FormData,
    pub first: String,
    pub next: Option<String>,
}

impl PastEventsPage {
    pub fn past_statuses(&self) -> &'static [EventStatus] {
        EventStage::Past.statuses()
    }
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
    /// Whether the viewer may download the signed event report.
    pub may_file_report: bool,
    pub coordinators: Vec<String>,
    /// Open work sharing observables or assets, as the viewer may follow it.
    pub related: Vec<RelatedLink>,
    pub form: RecordForm,
    /// Whether the event may be added to an existing incident by this viewer.
    pub may_link: bool,
    /// The related open incidents the viewer may see, offered first.
    pub link_to: Vec<Incident>,
    pub may_view_evidence: bool,
    pub may_handle_evidence: bool,
    /// Items secured for the event that belong to no incident yet.
    pub evidence: Vec<rampart_domain::EvidenceItem>,
    pub upload_open: bool,
    /// The physical item form, as posted when refused.
    pub physical: RecordForm,
    pub physical_open: bool,
    pub evidence_at: EvidenceSection,
    /// Where the event stands against its response-time targets.
    pub targets: Vec<Measure>,
    /// The playbooks the confirmation may apply, each with whether it is
    /// proposed for the event's assessed category or RSIT type.
    pub playbooks: Vec<(rampart_domain::Playbook, bool)>,
}

impl EventPage {
    /// Whether a playbook is ticked in the confirmation: as posted, else when proposed.
    pub fn playbook_ticked(&self, id: &rampart_domain::PlaybookId, proposed: &bool) -> bool {
        if self.form.values.get("title").is_some() {
            self.form.values.has("playbooks[]", id.as_str())
        } else {
            *proposed
        }
    }

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
                                DomainError::NotFound(_)
                                | DomainError::Forbidden { .. }
                                | DomainError::OutOfScope { .. },
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

/// The queue's query from its filters (the query string). A bad value is
/// refused with a message naming the parameter.
fn queue_query(f: &FormData, now: Timestamp) -> Result<(EventQuery, String), WebError> {
    let severity = f
        .get("severity")
        .map(|s| AlertSeverity::parse(s).map_err(|m| bad_filter("severity", m)))
        .transpose()?;
    let category = f
        .get("category")
        .map(|s| Category::parse(s).map_err(|m| bad_filter("category", m)))
        .transpose()?;
    let reporter = f
        .get("reporter")
        .map(|s| ReporterKind::parse(s).map_err(|m| bad_filter("reporter", m)))
        .transpose()?;
    let before = match f.get("age") {
        None => None,
        Some(a) => {
            let seconds = match a {
                "1h" => 3_600,
                "24h" => 86_400,
                "7d" => 7 * 86_400,
                other => {
                    return Err(bad_filter(
                        "age",
                        format!("`{other}` is not one of 1h, 24h, 7d"),
                    ));
                }
            };
            Timestamp::from_unix(now.as_offset().unix_timestamp() - seconds)
        }
    };
    let (sort, name) = match f.get("sort").unwrap_or("severity") {
        "severity" => (EventSort::Severity, "severity"),
        "oldest" => (EventSort::Oldest, "oldest"),
        "newest" => (EventSort::Newest, "newest"),
        "due" => (EventSort::Due, "due"),
        other => {
            return Err(bad_filter(
                "sort",
                format!("`{other}` is not one of severity, oldest, newest, due"),
            ));
        }
    };
    let source = f.get("source").map(str::trim).filter(|s| !s.is_empty());
    Ok((
        EventQuery {
            stage: Some(EventStage::Queue),
            severity,
            category,
            reporter,
            before,
            source: source.map(str::to_owned),
            text: f.get("q").map(str::to_owned),
            sort,
            cursor: f.get("cursor").map(str::to_owned),
            limit: 50,
            // A work queue: exercise events are in it, each marked.
            exercise: rampart_app::ExerciseScope::All,
            ..EventQuery::default()
        },
        name.to_owned(),
    ))
}

/// The filters a query string gives, without empty values.
fn given(f: FormData) -> FormData {
    FormData(
        f.0.into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect(),
    )
}

async fn triage_view(
    state: &AppState,
    person: &Person,
    filters: FormData,
    form: RecordForm,
    outcome: Option<Outcome>,
) -> Result<TriagePage, WebError> {
    person.require(Action::TriageEvent)?;
    let filters = given(filters);
    let (mut query, sort) = queue_query(&filters, state.app.clock().now())?;
    query.lanes = super::incidents::target_lanes(state, &filters, Measured::Event).await?;
    let page = state.app.list_events(&person.actor, query).await?;
    let escalated = state
        .app
        .list_events(
            &person.actor,
            EventQuery {
                status: Some(EventStatus::Escalated),
                limit: 200,
                exercise: rampart_app::ExerciseScope::All,
                ..EventQuery::default()
            },
        )
        .await?
        .items;
    let mut readable = HashMap::new();
    let mut rows = Vec::with_capacity(page.items.len());
    for event in page.items {
        let mut related = related_links(state, person, &event.related, &mut readable).await?;
        let more_related = related.len().saturating_sub(RELATED_IN_QUEUE);
        related.truncate(RELATED_IN_QUEUE);
        let measures = state.app.event_measures(&event).await?;
        rows.push(TriageRow {
            running: measures.into_iter().find(Measure::is_running),
            event,
            related,
            more_related,
        });
    }
    let rules = state.app.get_rules(&person.actor).await?;
    let filtered = filters
        .0
        .iter()
        .any(|(k, _)| !matches!(k.as_str(), "sort" | "cursor"));
    Ok(TriagePage {
        chrome: Chrome::new(person, "Triage", "/triage").live("triage"),
        rows,
        escalated,
        rules: rules.rules.iter().map(RuleRow::of).collect(),
        rules_version: rules.version,
        rules_editable: false,
        sort,
        first: with_cursor(&filters, None),
        next: page
            .next_cursor
            .as_deref()
            .map(|c| with_cursor(&filters, Some(c))),
        filtered,
        filters,
        form,
        outcome,
        may_link: person.may(Action::LinkEvent),
        max_bulk: MAX_BULK,
        live_url: None,
    })
}

pub async fn triage_page(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    let filters = query_form(&q)?;
    Ok(
        triage_view(&state, &person, filters, RecordForm::default(), None)
            .await?
            .into_response(),
    )
}

/// The bulk form: the ticked events and the one decision for all of them.
fn bulk_input(form: &FormData) -> Result<(Vec<EventNumber>, BulkDecision), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut events = Vec::new();
    for raw in form.all("events") {
        match raw.parse::<EventNumber>() {
            Ok(n) => events.push(n),
            Err(_) => errors.push(FieldError::new(
                "events",
                format!("`{raw}` is not an event number"),
            )),
        }
    }
    if form.all("events").is_empty() {
        errors.push(FieldError::new(
            "events",
            "tick at least one event in the queue",
        ));
    }
    let text = |name: &str| {
        form.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(Text::new)
    };
    let decision = match form.get("decision").unwrap_or("") {
        "false_alarm" => match text("reason") {
            Some(Ok(reason)) => Some(BulkDecision::FalseAlarm { reason }),
            Some(Err(m)) => {
                errors.push(FieldError::new("reason", m));
                None
            }
            None => {
                errors.push(FieldError::new("reason", "say why these are false alarms"));
                None
            }
        },
        "possible_incident" => match text("notes").transpose() {
            Ok(notes) => Some(BulkDecision::PossibleIncident { notes }),
            Err(m) => {
                errors.push(FieldError::new("notes", m));
                None
            }
        },
        "link" => match form
            .get("incident")
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(raw) => match raw.to_ascii_uppercase().parse::<IncidentNumber>() {
                Ok(incident) => Some(BulkDecision::Link { incident }),
                Err(_) => {
                    errors.push(FieldError::new(
                        "incident",
                        format!("`{raw}` is not an incident number (INC-YYYY-NNNN)"),
                    ));
                    None
                }
            },
            None => {
                errors.push(FieldError::new(
                    "incident",
                    "name the open incident to add the events to",
                ));
                None
            }
        },
        "" => {
            errors.push(FieldError::new(
                "decision",
                "choose what to do with the selected events",
            ));
            None
        }
        other => {
            errors.push(FieldError::new(
                "decision",
                format!("`{other}` is not one of false_alarm, possible_incident, link"),
            ));
            None
        }
    };
    match decision {
        Some(d) if errors.is_empty() => Ok((events, d)),
        _ => Err(errors),
    }
}

/// Assesses the ticked events, each on its own, and shows how each went
/// above the queue (filtered as it was).
pub async fn triage_assess(State(state): State<AppState>, post: Posted) -> Page {
    // The answer is the queue; its live updates read the queue's own address.
    let answer = |mut page: TriagePage, status: StatusCode| -> Page {
        page.live_url = Some(if page.first.is_empty() {
            "/triage".to_owned()
        } else {
            format!("/triage?{}", page.first)
        });
        Ok((status, page).into_response())
    };
    let person = &post.person;
    person.require(Action::AssessEvent)?;
    let filters = FormData::parse(post.form.v("filters").as_bytes())
        .map_err(|e| WebError::Invalid(vec![e]))?;
    let refused = |errors| RecordForm::new(post.form.clone(), errors);
    let (events, decision) = match bulk_input(&post.form) {
        Ok(input) => input,
        Err(errors) => {
            let page = triage_view(&state, person, filters, refused(errors), None).await?;
            return answer(page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    match state
        .app
        .assess_many(&person.actor, events, decision.clone())
        .await
    {
        Ok(results) => {
            let outcome = Some(Outcome::of(&decision, results));
            let page = triage_view(&state, person, filters, RecordForm::default(), outcome).await?;
            answer(page, StatusCode::OK)
        }
        Err(e) => {
            let errors = crate::web::form_errors(e)?;
            let page = triage_view(&state, person, filters, refused(errors), None).await?;
            answer(page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// The past events, newest first, with text search and a status filter.
pub async fn past_events(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    person.require(Action::ViewEvents)?;
    let filters = given(query_form(&q)?);
    let status = match filters.get("status") {
        None => None,
        Some(s) => {
            let status = EventStatus::parse(s).map_err(|m| bad_filter("status", m))?;
            if !EventStage::Past.statuses().contains(&status) {
                return Err(bad_filter(
                    "status",
                    format!(
                        "`{s}` is not a past status; one of false_alarm, handled_locally, not_incident, linked"
                    ),
                ));
            }
            Some(status)
        }
    };
    let query = EventQuery {
        stage: Some(EventStage::Past),
        status,
        text: filters.get("q").map(str::to_owned),
        cursor: filters.get("cursor").map(str::to_owned),
        limit: 50,
        ..EventQuery::default()
    };
    let page = state.app.list_events(&person.actor, query).await?;
    Ok(PastEventsPage {
        chrome: Chrome::new(&person, "Past events", "/triage"),
        items: page.items,
        first: with_cursor(&filters, None),
        next: page
            .next_cursor
            .as_deref()
            .map(|c| with_cursor(&filters, Some(c))),
        filters,
    }
    .into_response())
}

fn event_number(n: &str) -> Result<EventNumber, WebError> {
    n.parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not an event number")))
}

pub(super) async fn event_view(
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
    let may_link = person.may(Action::LinkEvent)
        && person.may(Action::AssessEvent)
        && matches!(
            event.status,
            EventStatus::Reported | EventStatus::Triage | EventStatus::Escalated
        );
    let link_to = if may_link {
        state
            .app
            .related_open_incidents(&person.actor, &event)
            .await?
    } else {
        vec![]
    };
    // Evidence is secured for an event until it is part of an incident, and
    // not once it was closed without one.
    let may_view_evidence = person.may(Action::ViewEvidence);
    let evidence = if may_view_evidence {
        state
            .app
            .list_event_evidence(&person.actor, event.number)
            .await?
    } else {
        vec![]
    };
    let open = matches!(
        event.status,
        EventStatus::Reported | EventStatus::Triage | EventStatus::Escalated
    ) && event.incident.is_none();
    let evidence_at = EvidenceSection {
        path: format!("/events/{}", event.number),
        word: "event",
        tlp: event.tlp,
        pap: event.pap(),
        bundle: false,
    };
    let targets = state.app.event_measures(&event).await?;
    let playbooks = if may_confirm
        && event.status == EventStatus::Escalated
        && person.may(Action::ApplyPlaybook)
        && person.may(Action::ViewPlaybooks)
    {
        let assessed = event.assessment.as_ref();
        let category = assessed.and_then(|a| a.category);
        let rsit = assessed.and_then(|a| a.rsit.as_ref());
        state
            .app
            .playbooks(&person.actor)
            .await?
            .into_iter()
            .map(|p| {
                let proposed = category.is_some_and(|c| p.fits(c, rsit))
                    || rsit.is_some_and(|r| {
                        p.current()
                            .is_some_and(|v| v.content.rsit_types.contains(r))
                    });
                (p, proposed)
            })
            .collect()
    } else {
        vec![]
    };
    Ok(EventPage {
        may_file_report: person.may(Action::ViewEvents),
        playbooks,
        targets,
        may_view_evidence: may_view_evidence && (open || !evidence.is_empty()),
        may_handle_evidence: person.may(Action::HandleEvidence) && open,
        evidence,
        upload_open: false,
        physical: RecordForm::default(),
        physical_open: false,
        evidence_at,
        may_link,
        link_to,
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
pub(super) struct EventRecord;

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

/// Adds the event to an existing open incident (`incident`). An unknown
/// incident, or one the viewer may not see, is refused beside the field.
pub async fn event_link(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let number = event_number(&n)?;
    let person = &post.person;
    person.require(Action::LinkEvent)?;
    let raw = post.form.v("incident").trim().to_owned();
    let refused = |message: String| vec![FieldError::new("incident", message)];
    let errors = match raw.to_ascii_uppercase().parse::<IncidentNumber>() {
        Err(_) if raw.is_empty() => refused("name the open incident to add this event to".into()),
        Err(_) => refused(format!("`{raw}` is not an incident number (INC-YYYY-NNNN)")),
        Ok(incident) => match state
            .app
            .link_from_triage(&person.actor, number, incident)
            .await
        {
            Ok(i) => {
                return Ok(crate::web::session::see_other(&format!(
                    "/incidents/{}",
                    i.number
                )));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                refused(format!("no open incident {incident} that you may see"))
            }
            Err(e) => match e.domain() {
                Some(DomainError::Conflict(m)) => refused(m.clone()),
                _ => crate::web::form_errors(e)?,
            },
        },
    };
    let page = event_view(&state, person, number, post.form.clone(), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
