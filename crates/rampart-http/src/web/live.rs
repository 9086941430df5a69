//! Server-sent events: a page that follows changes subscribes to a topic and
//! is told when a committed change touches it. Only the record's number
//! travels; the page fetches what the viewer may see itself.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use rampart_domain::journal::ActionKind;
use rampart_domain::{Action, IncidentNumber};
use serde::Deserialize;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use super::WebError;
use super::session::Person;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct Topic {
    topic: String,
}

enum Filter {
    Events,
    /// Any incident (the deadlines board); which one is not said, so a
    /// restricted incident's number does not reach those not named on it.
    Incidents,
    Incident(String),
    /// Only the person's own notifications (pages that follow nothing else).
    Inbox,
}

/// `GET /live?topic=triage`, `?topic=incidents`, `?topic=incident:INC-2026-0001` or
/// `?topic=inbox`. Every stream also tells, as an `inbox` event, of the
/// person's own new or read notifications, so the bell follows on every page.
pub async fn stream(
    State(state): State<AppState>,
    person: Person,
    Query(t): Query<Topic>,
) -> Result<Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>>, WebError> {
    let filter = match t.topic.split_once(':') {
        None if t.topic == "inbox" => Filter::Inbox,
        None if t.topic == "triage" => {
            person.require(Action::ViewEvents)?;
            Filter::Events
        }
        None if t.topic == "incidents" => {
            person.require(Action::ViewIncidents)?;
            Filter::Incidents
        }
        Some(("incident", n)) => {
            let number: IncidentNumber = n
                .parse()
                .map_err(|_| WebError::BadRequest(format!("`{n}` is not an incident number")))?;
            // Need-to-know: subscribing to a restricted incident is refused like reading it.
            state.app.get_incident(&person.actor, number).await?;
            Filter::Incident(number.to_string())
        }
        _ => {
            return Err(WebError::BadRequest(format!(
                "unknown topic `{}`; use `triage`, `incidents`, `incident:<number>` or `inbox`",
                t.topic
            )));
        }
    };
    // A restriction ends an incident's stream after announcing it: the page
    // reconnects, and the subscription is checked again against need-to-know.
    let mut ended = false;
    let inbox = format!("inbox:{}", person.actor.name);
    let changes = BroadcastStream::new(state.app.subscribe())
        .filter_map(move |c| {
            let c = c.ok()?;
            if c.entity == inbox {
                return Some((Event::default().event("inbox").data("inbox"), false));
            }
            let (hit, said) = match &filter {
                Filter::Events => (c.entity.starts_with("EVT-"), c.entity),
                Filter::Incidents => (c.entity.starts_with("INC-"), "incidents".to_owned()),
                Filter::Incident(n) => (&c.entity == n, c.entity),
                Filter::Inbox => (false, c.entity),
            };
            let last = ActionKind::from_name(&c.action) == Some(ActionKind::IncidentRestricted)
                && !matches!(filter, Filter::Incidents);
            hit.then(|| (Event::default().event("change").data(said), last))
        })
        .map_while(move |(event, last)| {
            if ended {
                return None;
            }
            ended = last;
            Some(Ok(event))
        });
    // The stream ends when the server stops; the page reconnects to another node.
    let changes = futures_util::StreamExt::take_until(changes, state.app.live_stopped());
    Ok(Sse::new(changes).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
