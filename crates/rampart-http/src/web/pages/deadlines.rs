//! The deadlines board: every running response-time target and
//! notification clock across the incidents the viewer may see, soonest due
//! first, coloured by state.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;
use rampart_app::targets::{BOARD_LIMIT, Deadline, DeadlineKind};
use rampart_domain::Action;

use super::Page;
use crate::AppState;
use crate::web::session::Person;
use crate::web::view::*;

#[derive(Template, WebTemplate)]
#[template(path = "deadlines.html")]
pub struct DeadlinesPage {
    pub chrome: Chrome,
    pub rows: Vec<Deadline>,
    pub limit: u32,
}

impl DeadlinesPage {
    pub fn is_clock(&self, row: &Deadline) -> bool {
        row.kind == DeadlineKind::Clock
    }

    /// Time left or how late, in words.
    pub fn left(&self, row: &Deadline) -> String {
        if row.left_seconds < 0 {
            format!("{} overdue", span(row.left_seconds))
        } else {
            format!("{} left", span(row.left_seconds))
        }
    }

    pub fn count(&self, state: &str) -> usize {
        self.rows
            .iter()
            .filter(|r| r.state.as_str() == state)
            .count()
    }
}

pub async fn deadlines_page(State(state): State<AppState>, person: Person) -> Page {
    person.require(Action::ViewIncidents)?;
    let rows = state.app.deadlines(&person.actor).await?;
    Ok(DeadlinesPage {
        chrome: Chrome::new(&person, "Deadlines", "/deadlines").live("incidents"),
        rows,
        limit: BOARD_LIMIT,
    }
    .into_response())
}
