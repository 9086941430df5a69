//! The dashboard: what waits for the person signed in.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;

use rampart_app::{EventQuery, IncidentQuery};
use rampart_domain::{Action, Event, Incident, IncidentStatus, ResponseAction};

use super::Page;
use crate::AppState;
use crate::web::session::Person;
use crate::web::view::*;

/// One line of "open incidents by ..." on the dashboard.
pub struct Tally {
    pub key: String,
    pub count: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub chrome: Chrome,
    pub may_incidents: bool,
    pub may_events: bool,
    pub may_triage: bool,
    pub may_report: bool,
    /// The ISIRT, who coordinate incidents.
    pub may_coordinate: bool,
    pub open_total: u64,
    pub by_class: Vec<Tally>,
    pub by_status: Vec<Tally>,
    pub awaiting_triage: u64,
    pub overdue: Vec<(String, ResponseAction)>,
    /// Whether more incidents have overdue actions than are listed.
    pub overdue_more: bool,
    pub mine: Vec<Incident>,
    /// Whether the person coordinates more open incidents than are listed.
    pub mine_more: bool,
    pub my_reports: Vec<Event>,
}

/// How many incidents each list of the dashboard shows at most.
const LISTED: u32 = 50;

pub async fn dashboard(State(state): State<AppState>, person: Person) -> Page {
    let actor = &person.actor;
    let now = state.app.clock().now();
    let may_incidents = person.may(Action::ViewIncidents);
    // The four reads do not depend on one another: asked at once, each on a
    // connection of its own, the page waits for the slowest, not the sum.
    let (counts, overdue_incidents, mine_page, my_reports) = tokio::try_join!(
        state.app.counts(actor),
        async {
            if may_incidents {
                state.app.overdue_actions(actor, LISTED).await.map(Some)
            } else {
                Ok(None)
            }
        },
        async {
            if !may_incidents {
                return Ok(None);
            }
            let query = IncidentQuery {
                coordinator: Some(actor.name.clone()),
                open: true,
                limit: LISTED,
                ..IncidentQuery::default()
            };
            state.app.list_incidents(actor, query).await.map(Some)
        },
        async {
            if !person.may(Action::ReportEvent) {
                return Ok(vec![]);
            }
            let query = EventQuery {
                submitted_by: Some(actor.name.clone()),
                limit: 10,
                ..EventQuery::default()
            };
            state.app.list_events(actor, query).await.map(|p| p.items)
        },
    )?;
    let mut by_class: Vec<Tally> = Vec::new();
    let mut by_status: Vec<Tally> = Vec::new();
    let mut open_total = 0;
    for (status, class, n) in &counts.incidents {
        let open = IncidentStatus::parse(status).is_ok_and(IncidentStatus::is_open);
        if !open {
            continue;
        }
        open_total += n;
        match by_class.iter_mut().find(|t| &t.key == class) {
            Some(t) => t.count += n,
            None => by_class.push(Tally {
                key: class.clone(),
                count: *n,
            }),
        }
        match by_status.iter_mut().find(|t| &t.key == status) {
            Some(t) => t.count += n,
            None => by_status.push(Tally {
                key: status.clone(),
                count: *n,
            }),
        }
    }
    by_class.sort_by(|a, b| b.key.len().cmp(&a.key.len()).then(b.key.cmp(&a.key)));
    let order = |s: &str| {
        IncidentStatus::ALL
            .iter()
            .position(|x| x.as_str() == s)
            .unwrap_or(99)
    };
    by_status.sort_by_key(|t| order(&t.key));
    let awaiting_triage = counts
        .events
        .iter()
        .filter(|(s, _)| s == "reported" || s == "triage")
        .map(|(_, n)| n)
        .sum();
    let mut overdue = Vec::new();
    let mut overdue_more = false;
    if let Some((incidents, more)) = overdue_incidents {
        overdue_more = more;
        for i in incidents {
            for a in i.actions.iter().filter(|a| a.overdue_at(&now)) {
                overdue.push((i.number.to_string(), a.clone()));
            }
        }
    }
    let (mine, mine_more) = match mine_page {
        Some(page) => (page.items, page.next_cursor.is_some()),
        None => (Vec::new(), false),
    };
    Ok(DashboardPage {
        chrome: Chrome::new(&person, "Dashboard", "/dashboard"),
        may_incidents,
        may_events: person.may(Action::ViewEvents),
        may_triage: person.may(Action::TriageEvent),
        may_report: person.may(Action::ReportEvent),
        may_coordinate: person.may(Action::TransitionIncident),
        open_total,
        by_class,
        by_status,
        awaiting_triage,
        overdue,
        overdue_more,
        mine,
        mine_more,
        my_reports,
    }
    .into_response())
}
