//! The journal page for auditors and admins: browse the journal newest
//! first, by record, actor or action; see its integrity at a glance (the last
//! signed checkpoint, the entries since it); have the whole chain checked.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;

use rampart_app::journal::{Integrity, SINCE_CHECKPOINT_LIMIT};
use rampart_app::visibility::ServedEntry;
use rampart_app::{JournalSearch, Verification};
use rampart_domain::{Action, FieldError, JournalAction};

use super::{Page, invalid, query_form};
use crate::AppState;
use crate::web::WebError;
use crate::web::session::{FormData, Person, Posted};
use crate::web::view::*;

/// Entries a page of the journal shows.
const PER_PAGE: u32 = 50;
/// The longest filter value accepted.
const MAX_FILTER: usize = 200;

#[derive(Template, WebTemplate)]
#[template(path = "journal.html")]
pub struct JournalPage {
    pub chrome: Chrome,
    pub filters: FormData,
    pub errors: Vec<FieldError>,
    pub entries: Vec<EntryView>,
    /// The query string of the next (older) page.
    pub older: Option<String>,
    /// The query string of the first page with the same filters, when this is a later one.
    pub newest: Option<String>,
    pub integrity: Integrity,
    /// The result of the whole check just run, when it was.
    pub verified: Option<Verification>,
}

/// One entry as the page shows it.
pub struct EntryView {
    pub seq: u64,
    pub at: String,
    pub actor: String,
    pub action: String,
    /// The action's one-line description, when this version knows it.
    pub description: Option<&'static str>,
    pub entity: String,
    /// The record's page, when it has one.
    pub link: Option<String>,
    /// The payload, indented.
    pub payload: String,
    pub hash: String,
    pub redacted: bool,
}

impl From<ServedEntry> for EntryView {
    fn from(served: ServedEntry) -> Self {
        let e = served.entry;
        let payload = serde_json::from_str::<serde_json::Value>(&e.payload)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or(e.payload);
        Self {
            description: JournalAction::ALL
                .iter()
                .find(|(name, _)| *name == e.action)
                .map(|(_, d)| *d),
            link: record_link(&e.entity),
            // `2026-11-22T09:30:00.123456Z` reads as `2026-11-22 09:30:00 UTC`.
            at: e
                .at
                .get(..19)
                .map(|t| format!("{} UTC", t.replace('T', " ")))
                .unwrap_or(e.at),
            seq: e.seq,
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            payload,
            hash: e.hash,
            redacted: served.redacted,
        }
    }
}

/// The page of a record the journal names, for the records that have one.
fn record_link(entity: &str) -> Option<String> {
    let kind = entity.get(..4)?;
    let path = match kind {
        "EVT-" => "events",
        "INC-" => "incidents",
        "EVD-" => "evidence",
        "VUL-" => return Some("/vulnerabilities".into()),
        _ => return None,
    };
    Some(format!("/{path}/{entity}"))
}

impl JournalPage {
    /// Every action, for the filter.
    pub fn actions(&self) -> &'static [(&'static str, &'static str)] {
        JournalAction::ALL
    }

    pub fn short(&self, hash: &str) -> String {
        hash.chars().take(12).collect()
    }

    pub fn since_limit(&self) -> u64 {
        SINCE_CHECKPOINT_LIMIT
    }
}

/// The search the query string asks for, or the fields it gets wrong.
fn search(f: &FormData) -> Result<JournalSearch, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut text = |name: &str| {
        let v = f.get(name).map(str::trim).filter(|v| !v.is_empty())?;
        if v.chars().count() > MAX_FILTER {
            errors.push(FieldError::new(
                name,
                format!("must be at most {MAX_FILTER} characters"),
            ));
            return None;
        }
        Some(v.to_owned())
    };
    let entity = text("record");
    let actor = text("actor");
    let action = text("action");
    if let Some(a) = &action
        && !JournalAction::ALL.iter().any(|(name, _)| name == a)
    {
        errors.push(FieldError::new(
            "action",
            format!("`{a}` is not an action the journal records"),
        ));
    }
    let before = match f.get("before").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n <= i64::MAX as u64 => Some(n),
            _ => {
                errors.push(FieldError::new(
                    "before",
                    format!("`{v}` is not an entry's sequence number"),
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(JournalSearch {
        before,
        limit: PER_PAGE,
        entity,
        actor,
        action,
    })
}

/// The query string of `f` with `before` replaced.
fn with_before(f: &FormData, before: Option<u64>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &f.0 {
        if k != "before" && !v.trim().is_empty() {
            s.append_pair(k, v);
        }
    }
    if let Some(b) = before {
        s.append_pair("before", &b.to_string());
    }
    s.finish()
}

async fn journal_view(
    state: &AppState,
    person: &Person,
    filters: FormData,
    verified: Option<Verification>,
) -> Result<(JournalPage, bool), WebError> {
    person.require(Action::ReadJournal)?;
    let integrity = state.app.journal_integrity(&person.actor).await?;
    let (query, errors) = match search(&filters) {
        Ok(q) => (Some(q), vec![]),
        Err(errors) => (None, errors),
    };
    let refused = query.is_none();
    let (entries, next) = match query {
        Some(q) => {
            let later = q.before.is_some();
            let (entries, next) = state.app.journal_search(&person.actor, q).await?;
            (entries, next.map(|n| (n, later)))
        }
        None => (vec![], None),
    };
    let later = filters.get("before").is_some_and(|b| !b.is_empty());
    Ok((
        JournalPage {
            chrome: Chrome::new(person, "Journal", "/journal"),
            entries: entries.into_iter().map(EntryView::from).collect(),
            older: next.map(|(n, _)| with_before(&filters, Some(n))),
            newest: later.then(|| with_before(&filters, None)),
            integrity,
            verified,
            errors,
            filters,
        },
        refused,
    ))
}

pub async fn journal_page(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    let filters = query_form(&q)?;
    let (page, refused) = journal_view(&state, &person, filters, None).await?;
    Ok(if refused {
        invalid(page)
    } else {
        page.into_response()
    })
}

/// Recomputes the whole chain, journals the check, and shows what it found.
pub async fn journal_verify(State(state): State<AppState>, post: Posted) -> Page {
    let person = &post.person;
    person.require(Action::ReadJournal)?;
    let result = state.app.verify_journal(&person.actor).await?;
    let (page, _) = journal_view(&state, person, FormData::default(), Some(result)).await?;
    Ok(page.into_response())
}
