//! Observables on the incident workspace (the section's rows and forms: add,
//! change, remove, the candidates extracted from the incident's text or from
//! pasted text) and the pivot page, which lists every incident and event
//! carrying one observable.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use rampart_app::observables::PivotQuery;
use rampart_domain::{
    Action, Event, Incident, IncidentNumber, IncidentObservable, NewObservable, Observable,
    ObservableType, ObservableUpdate, Pap, Text, Tlp,
};

use super::incidents::{IncidentRecord, incident_view};
use super::{Page, RecordPage, bad_filter, handle_form, incident_number, invalid, query_form};
use crate::AppState;
use crate::web::WebError;
use crate::web::session::{FormData, Person, Posted};
use crate::web::view::*;

/// What a path segment may not hold as it is.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'+')
    .add(b'&')
    .add(b';')
    .add(b'=');

/// The pivot page of an observable.
pub fn pivot_href(kind: impl std::fmt::Display, value: &str) -> String {
    format!(
        "/observables/{kind}/{}",
        utf8_percent_encode(value, SEGMENT)
    )
}

/// Pivot links for templates: `self.pivot_link(o.kind, o.value)`.
pub trait PivotLink {
    fn pivot_link(&self, kind: impl std::fmt::Display, value: &str) -> String {
        pivot_href(kind, value)
    }
}

impl<T> PivotLink for T {}

/// A PAP marking's badge, drawn like TLP's (`.pap` in the stylesheet):
/// `<span class="badge {{ p.css() }}" title="{{ p.title() }}">{{ p.badge() }}</span>`.
/// For any page that shows a PAP marking.
pub trait PapBadge {
    fn css(&self) -> String;
    fn badge(&self) -> String;
    fn title(&self) -> String;
}

impl PapBadge for Pap {
    fn css(&self) -> String {
        format!("pap pap-{}", self.as_str().to_lowercase())
    }

    fn badge(&self) -> String {
        format!("PAP:{}", self.as_str())
    }

    fn title(&self) -> String {
        format!("PAP:{}: {}", self.as_str(), self.meaning())
    }
}

/// One observable of the incident, as its row shows it.
pub struct ObservableRow {
    pub id: u32,
    pub kind: ObservableType,
    pub value: String,
    pub href: String,
    pub tlp: Tlp,
    pub pap_css: String,
    pub pap_badge: String,
    pub pap_title: String,
    pub ioc: bool,
    pub sighted: bool,
    pub note: String,
    pub added_by: String,
    pub added_at: String,
    /// Who changed it last and when, if anyone did after adding it.
    pub changed: Option<(String, String)>,
    /// The edit form was just posted for this row and refused: show it open with what was sent.
    pub open: bool,
    pub form: FormData,
}

impl ObservableRow {
    fn of(o: &IncidentObservable, posted: Option<&FormData>) -> Self {
        let open = posted.is_some();
        let form = match posted {
            Some(f) => f.clone(),
            None => {
                let mut f = vec![
                    ("type".to_owned(), o.kind.to_string()),
                    ("value".to_owned(), o.value.clone()),
                    ("tlp".to_owned(), o.tlp.to_string()),
                    ("pap".to_owned(), o.pap.to_string()),
                    (
                        "note".to_owned(),
                        o.note.as_ref().map(ToString::to_string).unwrap_or_default(),
                    ),
                ];
                if o.ioc {
                    f.push(("ioc".into(), "true".into()));
                }
                if o.sighted {
                    f.push(("sighted".into(), "true".into()));
                }
                FormData(f)
            }
        };
        Self {
            id: o.id,
            kind: o.kind,
            value: o.value.clone(),
            href: pivot_href(o.kind, &o.value),
            tlp: o.tlp,
            pap_css: o.pap.css(),
            pap_badge: o.pap.badge(),
            pap_title: o.pap.title(),
            ioc: o.ioc,
            sighted: o.sighted,
            note: o.note.as_ref().map(ToString::to_string).unwrap_or_default(),
            added_by: o.added_by.clone(),
            added_at: o.added_at.human(),
            changed: (o.updated_at != o.added_at)
                .then(|| (o.updated_by.clone(), o.updated_at.human())),
            open,
            form,
        }
    }

    /// The edit form's value of a field.
    pub fn v(&self, name: &str) -> &str {
        self.form.v(name)
    }

    pub fn checked(&self, name: &str) -> bool {
        self.form.has(name, "true")
    }
}

/// An observable of a linked event.
pub struct EventObservableRow {
    pub event: String,
    pub kind: ObservableType,
    pub value: String,
    pub href: String,
}

/// A candidate to add with one click.
pub struct Candidate {
    pub kind: ObservableType,
    pub value: String,
}

/// The observables section of the incident workspace.
pub struct ObservablesSection {
    pub rows: Vec<ObservableRow>,
    pub from_events: Vec<EventObservableRow>,
    /// Found in the incident's description and log, or in the pasted text.
    pub candidates: Vec<Candidate>,
    /// The candidates come from pasted text (else from the incident's own text).
    pub from_paste: bool,
    /// What was pasted, kept in the box.
    pub pasted: String,
    pub removed: usize,
    pub may_edit: bool,
    /// The add form was just posted and refused: show it open.
    pub add_open: bool,
    pub paps: &'static [Pap],
    pub default_pap: Pap,
}

impl ObservablesSection {
    /// The section for `incident`, shown to `person`; `posted` is the form
    /// last posted on the page (a refused one, or pasted text).
    pub fn new(person: &Person, incident: &Incident, events: &[Event], posted: &FormData) -> Self {
        let editing: Option<u32> = posted.get("edit").and_then(|v| v.parse().ok());
        let rows = incident
            .active_observables()
            .map(|o| ObservableRow::of(o, (editing == Some(o.id)).then_some(posted)))
            .collect();
        let listed = rampart_app::App::observables_of(incident.clone(), events);
        let from_events = listed
            .from_events
            .into_iter()
            .map(|e| EventObservableRow {
                event: e.event.to_string(),
                href: pivot_href(e.observable.kind, &e.observable.value),
                kind: e.observable.kind,
                value: e.observable.value,
            })
            .collect();
        let pasted = posted.v("paste").to_owned();
        let from_paste = !pasted.trim().is_empty();
        // A merged incident changes no more: its observables are read only.
        let may_edit = person.may(Action::UpdateIncident) && incident.merged_into.is_none();
        let candidates = if !may_edit {
            vec![]
        } else {
            let text = if from_paste {
                pasted.clone()
            } else {
                incident.extraction_text()
            };
            rampart_domain::extract_for(Some(incident), "paste", &text)
                .unwrap_or_default()
                .into_iter()
                .map(|o: Observable| Candidate {
                    kind: o.kind,
                    value: o.value,
                })
                .collect()
        };
        Self {
            rows,
            from_events,
            candidates,
            from_paste,
            pasted,
            removed: incident.observables.len() - incident.active_observables().count(),
            may_edit,
            add_open: editing.is_none() && posted.get("add").is_some(),
            paps: Pap::ALL,
            default_pap: Pap::default(),
        }
    }
}

fn workspace(number: IncidentNumber) -> String {
    format!("{}#observables", IncidentRecord::address(number))
}

/// Adds an observable (the add form, or a candidate's one-click form).
pub async fn incident_observable_add(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let number = incident_number(&n)?;
    let person = &post.person;
    // `add` only marks the form (to show it open when refused); the input has no such field.
    let mut input = post.form.clone();
    input.0.retain(|(k, _)| k != "add");
    handle_form(
        &input,
        &["ioc", "sighted"],
        &[],
        async |input: NewObservable| state.app.add_observable(&person.actor, number, input).await,
        |_| workspace(number),
        async |errors| {
            IncidentRecord::view(&state, person, number, post.form.clone(), errors).await
        },
    )
    .await
}

/// The edit form of one observable: every field as shown.
#[derive(serde::Deserialize)]
pub struct ObservableEdit {
    #[serde(rename = "type")]
    kind: ObservableType,
    value: String,
    tlp: Tlp,
    pap: Pap,
    #[serde(default)]
    ioc: bool,
    #[serde(default)]
    sighted: bool,
    #[serde(default)]
    note: Option<Text>,
}

pub async fn incident_observable_update(
    State(state): State<AppState>,
    Path((n, id)): Path<(String, u32)>,
    post: Posted,
) -> Page {
    let number = incident_number(&n)?;
    let person = &post.person;
    handle_form(
        &post.form,
        &["ioc", "sighted"],
        &[],
        async |edit: ObservableEdit| {
            let update = ObservableUpdate {
                kind: Some(edit.kind),
                value: Some(edit.value),
                tlp: Some(edit.tlp),
                pap: Some(edit.pap),
                ioc: Some(edit.ioc),
                sighted: Some(edit.sighted),
                note: Some(edit.note),
            };
            state
                .app
                .update_observable(&person.actor, number, id, update)
                .await
        },
        |_| workspace(number),
        async |errors| {
            IncidentRecord::view(&state, person, number, post.form.clone(), errors).await
        },
    )
    .await
}

/// Why an observable is removed (optional).
#[derive(serde::Deserialize)]
pub struct Removal {
    #[serde(default)]
    reason: Option<Text>,
}

pub async fn incident_observable_remove(
    State(state): State<AppState>,
    Path((n, id)): Path<(String, u32)>,
    post: Posted,
) -> Page {
    let number = incident_number(&n)?;
    let person = &post.person;
    handle_form(
        &post.form,
        &[],
        &[],
        async |input: Removal| {
            state
                .app
                .remove_observable(&person.actor, number, id, input.reason)
                .await
        },
        |_| workspace(number),
        async |errors| {
            IncidentRecord::view(&state, person, number, post.form.clone(), errors).await
        },
    )
    .await
}

/// Extracts candidates from pasted text: the workspace again, with them proposed.
pub async fn incident_observable_extract(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let number = incident_number(&n)?;
    let person = &post.person;
    let text = post.form.v("paste");
    match state
        .app
        .extract_observables(&person.actor, Some(number), "paste", text)
        .await
    {
        Ok(_) => Ok(
            incident_view(&state, person, number, post.form.clone(), vec![])
                .await?
                .into_response(),
        ),
        Err(e) => {
            let errors = crate::web::form_errors(e)?;
            // The page shows the box empty rather than re-reading the oversized text.
            let mut form = post.form.clone();
            form.0.retain(|(k, _)| k != "paste");
            Ok(invalid(
                incident_view(&state, person, number, form, errors).await?,
            ))
        }
    }
}

// ----- the pivot page ------------------------------------------------------------

/// An incident carrying the observable.
pub struct PivotIncident {
    pub incident: Incident,
    /// The observable as this incident records it.
    pub recorded: Option<ObservableRow>,
    /// Its other observables, as further pivots (at most a few).
    pub others: Vec<(ObservableType, String, String)>,
    pub more: usize,
}

/// An event carrying the observable.
pub struct PivotEvent {
    pub event: Event,
    pub others: Vec<(ObservableType, String, String)>,
    pub more: usize,
}

/// Other observables shown beside a row.
const OTHERS: usize = 4;

fn others<'a>(
    of: impl Iterator<Item = (ObservableType, &'a str)>,
    except: &Observable,
) -> (Vec<(ObservableType, String, String)>, usize) {
    let all: Vec<(ObservableType, &str)> = of
        .filter(|(k, v)| !(*k == except.kind && *v == except.value))
        .collect();
    let more = all.len().saturating_sub(OTHERS);
    let shown = all
        .into_iter()
        .take(OTHERS)
        .map(|(k, v)| (k, v.to_owned(), pivot_href(k, v)))
        .collect();
    (shown, more)
}

#[derive(Template, WebTemplate)]
#[template(path = "observable.html")]
pub struct ObservablePage {
    pub chrome: Chrome,
    pub observable: Observable,
    pub href: String,
    pub incidents: Option<Vec<PivotIncident>>,
    pub incident_count: u64,
    pub events: Option<Vec<PivotEvent>>,
    pub event_count: u64,
    /// Links to the next page of each list, keeping the other list where it is.
    pub older_incidents: Option<String>,
    pub older_events: Option<String>,
    /// The first page, when this is a later one.
    pub first: Option<String>,
    pub may_incidents: bool,
}

impl ObservablePage {
    /// "4 incidents, 12 events", counting only what the reader may see.
    pub fn summary(&self) -> String {
        let plural = |n: u64, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        let mut parts = Vec::new();
        if self.incidents.is_some() {
            parts.push(plural(self.incident_count, "incident", "incidents"));
        }
        if self.events.is_some() {
            parts.push(plural(self.event_count, "event", "events"));
        }
        format!("Seen in {}", parts.join(", "))
    }
}

pub async fn observable_page(
    State(state): State<AppState>,
    person: Person,
    Path((kind, value)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Page {
    let f = query_form(&q)?;
    let kind = ObservableType::parse(&kind).map_err(|m| bad_filter("type", m))?;
    let cursor = |name: &str| -> Result<Option<String>, WebError> {
        match f.get(name) {
            Some(c) if !c.is_empty() && c.len() <= 18 && c.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Some(c.to_owned()))
            }
            Some(_) => Err(bad_filter(name, "is not a cursor of this page".into())),
            None => Ok(None),
        }
    };
    let query = PivotQuery {
        incidents_cursor: cursor("incidents")?,
        events_cursor: cursor("events")?,
        limit: 0,
    };
    let later = query.incidents_cursor.is_some() || query.events_cursor.is_some();
    let p = state
        .app
        .pivot(&person.actor, kind, &value, query.clone())
        .await?;
    let href = pivot_href(p.observable.kind, &p.observable.value);
    let link = |incidents: Option<&str>, events: Option<&str>| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if let Some(c) = incidents {
            s.append_pair("incidents", c);
        }
        if let Some(c) = events {
            s.append_pair("events", c);
        }
        format!("{href}?{}", s.finish())
    };
    let older_incidents = p
        .incidents
        .as_ref()
        .and_then(|pg| pg.next_cursor.as_deref())
        .map(|c| link(Some(c), query.events_cursor.as_deref()));
    let older_events = p
        .events
        .as_ref()
        .and_then(|pg| pg.next_cursor.as_deref())
        .map(|c| link(query.incidents_cursor.as_deref(), Some(c)));
    let observable = p.observable.clone();
    let incidents = p.incidents.map(|pg| {
        pg.items
            .into_iter()
            .map(|i| {
                let (shown, more) = others(
                    i.active_observables().map(|o| (o.kind, o.value.as_str())),
                    &observable,
                );
                let recorded = i
                    .active_observables()
                    .find(|o| o.kind == observable.kind && o.value == observable.value)
                    .map(|o| ObservableRow::of(o, None));
                PivotIncident {
                    recorded,
                    incident: i,
                    others: shown,
                    more,
                }
            })
            .collect()
    });
    let events = p.events.map(|pg| {
        pg.items
            .into_iter()
            .map(|e| {
                let (shown, more) = others(
                    e.observables.iter().map(|o| (o.kind, o.value.as_str())),
                    &observable,
                );
                PivotEvent {
                    event: e,
                    others: shown,
                    more,
                }
            })
            .collect()
    });
    let title = format!("{}:{}", observable.kind, observable.value);
    Ok(ObservablePage {
        chrome: Chrome::new(&person, title, "/incidents"),
        first: later.then(|| href.clone()),
        href,
        observable,
        incidents,
        incident_count: p.incident_count,
        events,
        event_count: p.event_count,
        older_incidents,
        older_events,
        may_incidents: person.may(Action::ViewIncidents),
    }
    .into_response())
}
