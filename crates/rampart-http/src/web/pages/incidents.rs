//! The incident register and its CSV export, the incident workspace and its
//! forms, and the need-to-know restriction.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;

use rampart_app::timeline::TimelineOrder;
use rampart_app::{IncidentQuery, IncidentSort};
use rampart_domain::{
    Action, ActionUpdate, Actor, Event, EvidenceItem, FieldError, Incident, IncidentNumber,
    IncidentPatch, IncidentStatus, Lane, Lifecycle, Measure, Measured, NewAction, NewLogEntry,
    ReviewInput, Role, TargetState, Text, Timestamp, TransitionRequest,
};

use super::{Page, RecordPage, bad_filter, incident_number, query_form, record_form, with_cursor};
use crate::AppState;
use crate::web::WebError;
use crate::web::record_form::RecordForm;
use crate::web::session::{FormData, Person, Posted};
use crate::web::view::*;

#[derive(Template, WebTemplate)]
#[template(path = "incidents.html")]
pub struct RegisterPage {
    pub chrome: Chrome,
    pub items: Vec<Incident>,
    pub filters: FormData,
    pub sort: String,
    /// Query strings of the first and the next page.
    pub first: String,
    pub next: Option<String>,
    pub csv: String,
    pub coordinators: Vec<String>,
    /// The running response-time target of each listed incident, in order.
    pub running: Vec<Option<Measure>>,
}

impl RegisterPage {
    /// The running target of the incident at `index` of the list.
    pub fn running_at(&self, index: &usize) -> Option<&Measure> {
        self.running.get(*index).and_then(Option::as_ref)
    }
}

impl IncidentPage {
    pub fn anchor_kinds(&self) -> &'static [rampart_domain::regulatory::AnchorKind] {
        rampart_domain::regulatory::AnchorKind::ALL
    }

    /// The value typed in `field` of action `id`'s form, when that form was just refused.
    pub fn action_value(&self, id: &u32, field: &str) -> &str {
        if self.action_refused(id) {
            self.form.values.v(field)
        } else {
            ""
        }
    }

    /// Action `id`'s form was just posted and refused.
    pub fn action_refused(&self, id: &u32) -> bool {
        !self.form.errors.is_empty() && self.form.values.v(ACTION_ROW) == id.to_string()
    }

    /// The timeline is in the order things were recorded.
    pub fn by_recorded(&self) -> bool {
        self.timeline.order == TimelineOrder::Recorded
    }

    /// Open response actions, for the warning beside the close button.
    pub fn open_actions(&self) -> Vec<&rampart_domain::ResponseAction> {
        self.incident
            .actions
            .iter()
            .filter(|a| !matches!(a.status.as_str(), "done" | "cancelled"))
            .collect()
    }
}

/// A lifecycle move offered as a button.
pub struct Move {
    pub to: String,
    pub label: String,
    pub needs_resolution: bool,
    /// The move that takes the incident forward (shown as the main button).
    pub primary: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "incident.html")]
pub struct IncidentPage {
    pub chrome: Chrome,
    pub incident: Incident,
    pub events: Vec<Event>,
    pub moves: Vec<Move>,
    /// One of the moves is to close, which needs a resolution.
    pub resolution_needed: bool,
    pub may_log: bool,
    pub may_actions: bool,
    pub may_restrict: bool,
    pub may_reassign: bool,
    pub people: Vec<String>,
    pub form: RecordForm,
    pub now: Timestamp,
    pub may_view_evidence: bool,
    /// Upload, download, bundle.
    pub may_handle_evidence: bool,
    pub evidence: Vec<EvidenceItem>,
    /// The upload form was refused: show it open.
    pub upload_open: bool,
    /// The physical item form, as posted when refused.
    pub physical: RecordForm,
    pub physical_open: bool,
    pub evidence_at: EvidenceSection,
    /// The lessons-learned review, its improvement actions and its form.
    pub review: super::review::ReviewSection,
    /// May open the record's edit form and relate incidents.
    pub may_edit: bool,
    /// May publish it on the MISP feed, or withdraw it.
    pub may_publish: bool,
    /// May merge another incident into this open one.
    pub may_merge: bool,
    /// The related incidents this viewer may see, with their titles.
    pub related: Vec<(IncidentNumber, Text)>,
    pub observables: super::observables::ObservablesSection,
    /// Vulnerabilities found during the incident, for those who may read them.
    pub vulnerabilities: Option<Vec<rampart_domain::Vulnerability>>,
    pub may_report_vulnerability: bool,
    /// The incident log with what the journal recorded, newest first.
    pub timeline: rampart_app::timeline::Timeline,
    /// Where the incident stands against its response-time targets.
    pub targets: Vec<Measure>,
    /// The notification clocks, and what they run from.
    pub clocks: super::clocks::ClocksSection,
    /// May record regimes, moments and reports sent.
    pub may_clocks: bool,
    pub communications: super::communications::CommunicationsSection,
    /// The playbooks not applied yet, each with whether it is proposed for
    /// the incident; empty for those who may not apply one.
    pub playbook_choices: Vec<(rampart_domain::Playbook, bool)>,
}

impl IncidentPage {
    /// The audiences an export may go to: the incident's own marking and
    /// the narrower ones, never RED.
    pub fn share_audiences(&self) -> Vec<rampart_domain::Tlp> {
        use rampart_domain::Tlp;
        let incident = self.incident.tlp;
        [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict]
            .into_iter()
            .filter(|t| rampart_report::Audience::new(*t).is_ok_and(|a| a.may_receive(incident)))
            .collect()
    }
}

/// A time as a `datetime-local` input shows it (UTC): to the minute, or to
/// the second when it has seconds, so saving the form again keeps it.
pub fn local_input(t: &Timestamp) -> String {
    let s = t.to_rfc3339();
    let seconds = s.get(17..19).unwrap_or("00");
    let keep = if seconds == "00" { 16 } else { 19 };
    s.chars().take(keep).collect()
}

/// The register's response-time target filter: the index lanes of the
/// chosen state (`running`: any), or none when not filtered.
pub async fn target_lanes(
    state: &AppState,
    f: &FormData,
    kind: Measured,
) -> Result<Option<Vec<Lane>>, WebError> {
    let chosen = match f.get("target") {
        None => return Ok(None),
        Some("running") => None,
        Some("on_track") => Some(TargetState::OnTrack),
        Some("due_soon") => Some(TargetState::DueSoon),
        Some("overdue") => Some(TargetState::Overdue),
        Some(other) => {
            return Err(bad_filter(
                "target",
                format!("`{other}` is not one of running, on_track, due_soon, overdue"),
            ));
        }
    };
    Ok(Some(state.app.target_lanes(kind, chosen).await?))
}

fn register_query(f: &FormData) -> Result<(IncidentQuery, String), WebError> {
    let status = f
        .get("status")
        .map(|s| IncidentStatus::parse(s).map_err(|m| bad_filter("status", m)))
        .transpose()?;
    let category = f
        .get("category")
        .map(|s| rampart_domain::Category::parse(s).map_err(|m| bad_filter("category", m)))
        .transpose()?;
    let class = f
        .get("class")
        .map(|s| rampart_domain::SeverityClass::parse(s).map_err(|m| bad_filter("class", m)))
        .transpose()?;
    let (sort, sort_name) = match f.get("sort").unwrap_or("priority") {
        "priority" => (IncidentSort::Priority, "priority"),
        "newest" => (IncidentSort::Newest, "newest"),
        "oldest" => (IncidentSort::Oldest, "oldest"),
        "due" => (IncidentSort::Due, "due"),
        other => {
            return Err(bad_filter(
                "sort",
                format!("`{other}` is not one of priority, newest, oldest, due"),
            ));
        }
    };
    Ok((
        IncidentQuery {
            status,
            category,
            class,
            coordinator: f.get("coordinator").map(str::to_owned),
            text: f.get("q").map(str::to_owned),
            sort,
            cursor: f.get("cursor").map(str::to_owned),
            limit: 50,
            exercise: rampart_app::ExerciseScope::parse(f.get("exercise"))
                .map_err(|m| bad_filter("exercise", m))?,
            ..IncidentQuery::default()
        },
        sort_name.to_owned(),
    ))
}

pub async fn incident_register(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    person.require(Action::ViewIncidents)?;
    let filters = query_form(&q)?;
    let (mut query, sort) = register_query(&filters)?;
    query.lanes = target_lanes(&state, &filters, Measured::Incident).await?;
    let page = state.app.list_incidents(&person.actor, query).await?;
    let mut running = Vec::with_capacity(page.items.len());
    for i in &page.items {
        let measures = state.app.incident_measures(i).await?;
        running.push(measures.into_iter().find(Measure::is_running));
    }
    let coordinators = state
        .app
        .people_with(&person.actor, &[Role::IsirtMember, Role::IsirtManager])
        .await?;
    Ok(RegisterPage {
        chrome: Chrome::new(&person, "Incidents", "/incidents"),
        items: page.items,
        sort,
        first: with_cursor(&filters, None),
        next: page
            .next_cursor
            .as_deref()
            .map(|c| with_cursor(&filters, Some(c))),
        csv: format!(
            "/incidents.csv?{}",
            with_cursor(&filters, filters.get("cursor"))
        ),
        coordinators,
        running,
        filters,
    }
    .into_response())
}

/// A CSV cell that a spreadsheet will not run as a formula.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

pub async fn incident_csv(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    person.require(Action::ViewIncidents)?;
    let filters = query_form(&q)?;
    let (mut query, _) = register_query(&filters)?;
    query.lanes = target_lanes(&state, &filters, Measured::Incident).await?;
    let page = state.app.list_incidents(&person.actor, query).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "number",
        "title",
        "status",
        "category",
        "class",
        "priority",
        "coordinator",
        "tlp",
        "confirmed_at",
        "closed_at",
        "computed_class",
        "class_override_justification",
    ];
    let fail = |_| WebError::Internal;
    w.write_record(header).map_err(fail)?;
    for i in &page.items {
        w.write_record([
            i.number.to_string(),
            cell(i.title.as_str()),
            i.status.to_string(),
            i.category.to_string(),
            i.severity.class.to_string(),
            i.priority.value().to_string(),
            cell(&i.coordinator),
            i.tlp.to_string(),
            i.confirmed_at.to_rfc3339(),
            i.closed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            i.severity.computed_class.to_string(),
            i.severity
                .override_
                .as_ref()
                .map(|o| cell(o.justification.as_str()))
                .unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    let body = w.into_inner().map_err(|_| WebError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"incidents.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

fn move_label(from: IncidentStatus, to: IncidentStatus) -> String {
    use IncidentStatus::*;
    match (from, to) {
        (Confirmed, Responding) => "Start response".into(),
        (Recovering | Crisis, Responding) => "Back to response".into(),
        (Closed | Reviewed, Responding) => "Reopen".into(),
        (_, Crisis) => "Declare crisis".into(),
        (_, Recovering) => "Begin recovery".into(),
        (_, Closed) => "Close".into(),
        (_, Reviewed) => "Mark reviewed".into(),
        (_, other) => label(other),
    }
}

pub(super) async fn incident_view(
    state: &AppState,
    person: &Person,
    number: IncidentNumber,
    values: FormData,
    errors: Vec<FieldError>,
) -> Result<IncidentPage, WebError> {
    incident_view_in(
        state,
        person,
        number,
        values,
        errors,
        TimelineOrder::Occurred,
    )
    .await
}

/// The incident page with its timeline in `order`.
async fn incident_view_in(
    state: &AppState,
    person: &Person,
    number: IncidentNumber,
    values: FormData,
    errors: Vec<FieldError>,
    order: TimelineOrder,
) -> Result<IncidentPage, WebError> {
    let (incident, events) = state
        .app
        .incident_with_events(&person.actor, number)
        .await?;
    let mut moves: Vec<Move> = incident
        .status
        .targets()
        .iter()
        .filter(|to| {
            let probe = TransitionRequest {
                to: **to,
                reason: Text::lossy("probe"),
                resolution: None,
                contained_at: None,
                ended_at: None,
                impact_ended_at: None,
            };
            // A merged incident no longer moves.
            incident.merged_into.is_none()
                && person.may(Action::TransitionIncident)
                && person.may(probe.required_action(incident.status))
        })
        .map(|to| Move {
            to: to.to_string(),
            label: move_label(incident.status, *to),
            needs_resolution: *to == IncidentStatus::Closed,
            primary: false,
        })
        .collect();
    // The main button moves forward in the lifecycle (a crisis or a reopening is never the default).
    let rank = |m: &Move| {
        IncidentStatus::ALL
            .iter()
            .position(|s| s.as_str() == m.to)
            .unwrap_or(0)
    };
    let forward = moves
        .iter()
        .filter(|m| m.to != IncidentStatus::Crisis.as_str())
        .filter(|m| incident.status.is_open() || m.to != IncidentStatus::Responding.as_str())
        .max_by_key(|m| rank(m))
        .map(|m| m.to.clone());
    for m in &mut moves {
        m.primary = Some(&m.to) == forward.as_ref();
    }
    let people = state
        .app
        .people_with(&person.actor, &[Role::IsirtMember, Role::IsirtManager])
        .await?;
    let resolution_needed = moves.iter().any(|m: &Move| m.needs_resolution);
    // A merged incident is read only: its page offers no change.
    let merged = incident.merged_into.is_some();
    let review = super::review::ReviewSection::new(
        state,
        person,
        rampart_domain::ReviewOf::Incident(incident.number),
        incident.review.as_ref(),
        !merged
            && matches!(
                incident.status,
                IncidentStatus::Closed | IncidentStatus::Reviewed
            ),
        &values,
        people.clone(),
    )
    .await?;
    let may_view_evidence = person.may(Action::ViewEvidence);
    let evidence = if may_view_evidence {
        state
            .app
            .list_evidence(&person.actor, incident.number)
            .await?
    } else {
        vec![]
    };
    let evidence_at = EvidenceSection {
        path: format!("/incidents/{}", incident.number),
        word: "incident",
        tlp: incident.tlp,
        pap: incident.pap(),
        bundle: true,
    };
    let mut related = Vec::new();
    for n in &incident.related_incidents {
        // Need-to-know: a related incident the viewer may not see is left out.
        match state.app.get_incident(&person.actor, *n).await {
            Ok(other) => related.push((other.number, other.title)),
            Err(rampart_app::AppError::Domain(
                rampart_domain::DomainError::NotFound(_)
                | rampart_domain::DomainError::Forbidden { .. }
                | rampart_domain::DomainError::OutOfScope { .. },
            )) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let vulnerabilities = if person.may(Action::ViewVulnerabilities) {
        Some(
            state
                .app
                .incident_vulnerabilities(&person.actor, incident.number)
                .await?,
        )
    } else {
        None
    };
    let timeline = state
        .app
        .incident_timeline(&person.actor, incident.number, order)
        .await?;
    let communications = super::communications::CommunicationsSection::new(
        state, person, &incident, &evidence, &values,
    )
    .await?;
    let targets = state.app.incident_measures(&incident).await?;
    let clocks = super::clocks::ClocksSection {
        clocks: state.app.incident_clocks(&incident).await?,
        obligations: incident.clock_obligations(),
        rules: state.app.regulatory_rules().await?,
        now: state.app.clock().now(),
    };
    let playbook_choices = if person.may(Action::ApplyPlaybook)
        && person.may(Action::ViewPlaybooks)
        && incident.status.is_open()
        && !merged
    {
        let all = state.app.playbooks(&person.actor).await?;
        let mut choices: Vec<_> = all
            .into_iter()
            .filter(|p| !incident.playbooks.iter().any(|a| a.playbook == p.id))
            .map(|p| {
                let proposed = p.fits(incident.category, incident.rsit.as_ref());
                (p, proposed)
            })
            .collect();
        choices.sort_by_key(|(_, proposed)| !proposed);
        choices
    } else {
        vec![]
    };
    Ok(IncidentPage {
        playbook_choices,
        communications,
        targets,
        clocks,
        may_clocks: person.may(Action::UpdateIncident) && !merged,
        timeline,
        vulnerabilities,
        may_report_vulnerability: person.may(Action::ReportVulnerability),
        may_edit: person.may(Action::UpdateIncident) && !merged,
        may_publish: person.may(Action::ApproveCommunication)
            && !merged
            && incident.restricted_to.is_empty()
            && incident.exercise.is_none(),
        may_merge: person.may(Action::MergeIncidents)
            && incident.status.is_open()
            && incident.merged_into.is_none(),
        related,
        resolution_needed,
        chrome: Chrome::new(person, incident.number.to_string(), "/incidents")
            .live(format!("incident:{}", incident.number)),
        moves,
        may_log: person.may(Action::WriteLog) && !merged,
        may_actions: person.may(Action::ManageActions) && !merged,
        may_restrict: person.may(Action::RestrictIncident) && !merged,
        may_reassign: person.may(Action::AssignCoordinator) && incident.status.is_open(),
        people,
        review,
        observables: super::observables::ObservablesSection::new(
            person, &incident, &events, &values,
        ),
        incident,
        events,
        form: RecordForm::new(values, errors),
        now: state.app.clock().now(),
        may_view_evidence,
        may_handle_evidence: person.may(Action::HandleEvidence) && !merged,
        evidence,
        upload_open: false,
        physical: RecordForm::default(),
        physical_open: false,
        evidence_at,
    })
}

pub async fn incident_page(
    State(state): State<AppState>,
    person: Person,
    Path(n): Path<String>,
    RawQuery(q): RawQuery,
) -> Page {
    let number = incident_number(&n)?;
    let order = match query_form(&q)?.get("log") {
        None => TimelineOrder::Occurred,
        Some(o) => TimelineOrder::parse(o)
            .ok_or_else(|| bad_filter("log", format!("`{o}` is not one of occurred, recorded")))?,
    };
    let page = incident_view_in(&state, &person, number, FormData::default(), vec![], order);
    Ok(page.await?.into_response())
}

/// The incident page, for its forms.
pub(super) struct IncidentRecord;

impl RecordPage for IncidentRecord {
    type Number = IncidentNumber;
    type View = IncidentPage;

    fn number(text: &str) -> Result<IncidentNumber, WebError> {
        incident_number(text)
    }

    fn address(number: IncidentNumber) -> String {
        format!("/incidents/{number}")
    }

    async fn view(
        state: &AppState,
        person: &Person,
        number: IncidentNumber,
        values: FormData,
        errors: Vec<FieldError>,
    ) -> Result<IncidentPage, WebError> {
        incident_view(state, person, number, values, errors).await
    }
}

/// A handler for an incident form whose input goes straight to one application call.
macro_rules! incident_form_handler {
    ($name:ident, $input:ty, $booleans:expr, $lines:expr, $call:ident) => {
        pub async fn $name(
            State(state): State<AppState>,
            Path(n): Path<String>,
            post: Posted,
        ) -> Page {
            let app = state.app.clone();
            let call = |actor: Actor, number, input: $input| async move {
                app.$call(&actor, number, input).await
            };
            record_form::<IncidentRecord, _, _>(&state, post, &n, $booleans, $lines, call).await
        }
    };
}

incident_form_handler!(incident_transition, TransitionRequest, &[], &[], transition);
incident_form_handler!(incident_log, NewLogEntry, &[], &[], add_log);
incident_form_handler!(
    incident_action_add,
    NewAction,
    &["requires_approval"],
    &[],
    add_action
);
incident_form_handler!(
    incident_review,
    ReviewInput,
    &["communication_effective"],
    &["lessons", "same_root_cause_as"],
    record_review
);
incident_form_handler!(incident_patch, IncidentPatch, &[], &[], patch_incident);

pub async fn incident_action_update(
    State(state): State<AppState>,
    Path((n, id)): Path<(String, u32)>,
    mut post: Posted,
) -> Page {
    // Which action's form it was: a refused form opens again on its row.
    post.form.0.retain(|(k, _)| k != ACTION_ROW);
    post.form.0.push((ACTION_ROW.into(), id.to_string()));
    let app = state.app.clone();
    record_form::<IncidentRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: ActionUpdate| async move {
            app.update_action(&actor, number, id, input).await
        },
    )
    .await
}

/// The marker naming the response action whose form was posted.
pub const ACTION_ROW: &str = "_action";

/// Who may see the incident; `mode=lift` lifts the restriction.
#[derive(serde::Deserialize)]
pub struct Restriction {
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    mode: Option<String>,
}

pub async fn incident_restrict(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    record_form::<IncidentRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: Restriction| async move {
            let users = if input.mode.as_deref() == Some("lift") {
                vec![]
            } else if input.users.is_empty() {
                return Err(rampart_domain::DomainError::field(
                    "users",
                    "choose at least one person, including yourself",
                )
                .into());
            } else {
                input.users
            };
            app.restrict_incident(&actor, number, users).await
        },
    )
    .await
}

/// `GET /incidents/{number}/export/{stix|misp|iodef}?audience=AMBER`: the
/// incident in that format, as a download.
pub async fn incident_export(
    State(state): State<AppState>,
    person: Person,
    Path((n, format)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Page {
    use crate::api::exports::{Format, export};
    let number = incident_number(&n)?;
    let format = Format::parse(&format)
        .ok_or_else(|| WebError::NotFound(format!("no export format `{format}`")))?;
    let f = super::query_form(&q)?;
    let tlp = rampart_domain::Tlp::parse(f.get("audience").unwrap_or_default())
        .map_err(|m| WebError::Invalid(vec![FieldError::new("audience", m)]))?;
    let document = export(&state, &person.actor, number, tlp, format).await?;
    let file = format!(
        "attachment; filename=\"{number}-{}.{}\"",
        tlp.as_str().replace('+', "-"),
        format.file_suffix()
    );
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(format.media_type()),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                axum::http::HeaderValue::from_str(&file)
                    .map_err(|_| WebError::BadRequest("file name".into()))?,
            ),
        ],
        document,
    )
        .into_response())
}

/// The publication form: an audience, or none to withdraw.
#[derive(Debug, serde::Deserialize)]
pub struct PublicationForm {
    #[serde(default)]
    pub audience: Option<String>,
}

/// `POST /incidents/{number}/publication`.
pub async fn incident_publication(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    let call = |actor: Actor, number, input: PublicationForm| async move {
        let audience = match input.audience.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(
                rampart_domain::Tlp::parse(t)
                    .map_err(|m| rampart_domain::DomainError::field("audience", m))?,
            ),
        };
        app.publish_incident(&actor, number, audience).await
    };
    record_form::<IncidentRecord, _, _>(&state, post, &n, &[], &[], call).await
}
