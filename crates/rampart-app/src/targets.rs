//! Response-time targets in the application layer: the table admins edit,
//! cached on each node like the categorization rules, and where an event or
//! incident stands against it now.

use std::sync::Arc;
use std::time::Duration;

use rampart_domain::{
    Action, Actor, Event, Incident, JournalAction, Lane, Measure, Measured, ResponseTargets,
    TargetState, journal::TargetsChanged,
};
use rampart_store::{Entity, EntityRef};

use crate::cache::Versioned;
use crate::{App, AppError};

pub use rampart_store::records::TARGETS_ENTITY;

/// How long a node trusts its copy of the targets before reading them again
/// (another node may have changed them).
const TARGETS_TTL: Duration = Duration::from_secs(5);

impl Versioned for ResponseTargets {
    const WHAT: &'static str = "the targets";
    const ENTITY: &'static str = TARGETS_ENTITY;

    fn key() -> EntityRef {
        EntityRef::Targets
    }

    fn shipped() -> Self {
        ResponseTargets::default()
    }

    fn version(&self) -> u32 {
        self.version
    }

    fn set_version(&mut self, version: u32) {
        self.version = version;
    }

    fn into_entity(self) -> Entity {
        Entity::Targets(self)
    }

    fn changed(before: Self, after: Self) -> JournalAction {
        JournalAction::TargetsChanged(Box::new(TargetsChanged { before, after }))
    }
}

impl App {
    /// The response-time targets in force: the shipped table until an admin changes it.
    pub async fn targets(&self) -> Result<Arc<ResponseTargets>, AppError> {
        self.versioned(&self.targets, TARGETS_TTL).await
    }

    /// The targets, for anyone who works on events or incidents.
    pub async fn get_targets(&self, actor: &Actor) -> Result<ResponseTargets, AppError> {
        if !actor.may(Action::ManageTargets) && !actor.may(Action::ViewEvents) {
            actor.require(Action::ViewIncidents)?;
        }
        Ok((*self.targets().await?).clone())
    }

    /// Replaces the targets (admins). `version` must be the one the admin
    /// edited, so two admins do not overwrite each other unseen.
    pub async fn replace_targets(
        &self,
        actor: &Actor,
        mut new: ResponseTargets,
    ) -> Result<ResponseTargets, AppError> {
        actor.require(Action::ManageTargets)?;
        new.validate()?;
        new.classes.sort_by_key(|c| c.class);
        let saved = self.replace_versioned(actor, &self.targets, new).await?;
        // Due times and rungs moved: the running deadlines are planned again.
        self.replan_escalations(false).await;
        Ok(saved)
    }

    /// Where an event stands against its targets now.
    pub async fn event_measures(&self, event: &Event) -> Result<Vec<Measure>, AppError> {
        Ok(self.targets().await?.event(event, self.clock.now()))
    }

    /// Where an incident stands against its targets now.
    pub async fn incident_measures(&self, incident: &Incident) -> Result<Vec<Measure>, AppError> {
        Ok(self.targets().await?.incident(incident, self.clock.now()))
    }

    /// The index lanes of records of `kind` whose running target is in
    /// `state` now (every running one when `None`), for the register filters.
    pub async fn target_lanes(
        &self,
        kind: Measured,
        state: Option<TargetState>,
    ) -> Result<Vec<Lane>, AppError> {
        Ok(self.targets().await?.lanes(kind, state, self.clock.now()))
    }
}

/// The most incidents the deadlines board reads for each of its two sources.
pub const BOARD_LIMIT: u32 = 500;

/// What kind of deadline a board row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// A response-time target (containment, closure).
    Target,
    /// A regulatory notification clock.
    Clock,
}

/// One running deadline of one incident.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deadline {
    pub incident: rampart_domain::IncidentNumber,
    pub title: rampart_domain::Text,
    pub class: rampart_domain::SeverityClass,
    pub coordinator: String,
    pub kind: DeadlineKind,
    /// `contain`, `close`; or `<regime>/<report>`.
    pub what: String,
    /// In words: `Time to contain`, `DORA: Initial notification`.
    pub label: String,
    pub due_at: rampart_domain::Timestamp,
    /// `on_track`, `due_soon` or `overdue`.
    pub state: TargetState,
    /// Seconds from now to the due time; negative when late.
    pub left_seconds: i64,
}

impl App {
    /// Every running response-time target and notification clock of the
    /// incidents the actor may see, soonest due first. Targets come from
    /// the register's index by time left; clocks from the incidents with a
    /// regime found to apply (the latest [`BOARD_LIMIT`] of them).
    pub async fn deadlines(&self, actor: &Actor) -> Result<Vec<Deadline>, AppError> {
        use rampart_domain::regulatory::ClockState;
        use rampart_store::{IncidentQuery, IncidentSort};
        let now = self.clock.now();
        let left =
            |due: rampart_domain::Timestamp| (due.as_offset() - now.as_offset()).whole_seconds();
        // The store applies need-to-know; the board shows no related
        // incidents, so the register's hiding of them is not needed here.
        actor.require(Action::ViewIncidents)?;
        let viewer = Some(actor.name.clone());
        let mut rows = Vec::new();
        let running = self
            .store
            .list_incidents(&IncidentQuery {
                sort: IncidentSort::Due,
                lanes: Some(self.target_lanes(Measured::Incident, None).await?),
                viewer: viewer.clone(),
                limit: BOARD_LIMIT,
                ..IncidentQuery::default()
            })
            .await?;
        let targets = self.targets().await?;
        for incident in &running.items {
            let measures = targets.incident(incident, now);
            if let Some(m) = measures.into_iter().find(Measure::is_running) {
                rows.push(Deadline {
                    incident: incident.number,
                    title: incident.title.clone(),
                    class: incident.severity.class,
                    coordinator: incident.coordinator.clone(),
                    kind: DeadlineKind::Target,
                    what: m.stage.to_string(),
                    label: m.stage.title().to_owned(),
                    due_at: m.due_at,
                    state: m.state,
                    left_seconds: m.left_seconds,
                });
            }
        }
        let with_clocks = self
            .store
            .list_incidents(&IncidentQuery {
                with_regimes: true,
                sort: IncidentSort::Newest,
                viewer,
                limit: BOARD_LIMIT,
                ..IncidentQuery::default()
            })
            .await?;
        let rules = self.regulatory_rules().await?;
        for incident in &with_clocks.items {
            for c in incident.clocks(&rules, now) {
                let state = match c.state {
                    ClockState::Running => TargetState::OnTrack,
                    ClockState::DueSoon => TargetState::DueSoon,
                    ClockState::Overdue => TargetState::Overdue,
                    _ => continue,
                };
                let Some(due) = c.due_at else { continue };
                let regime = rules
                    .regime(&c.regime)
                    .map_or_else(|| c.regime.clone(), |r| r.name.clone());
                rows.push(Deadline {
                    incident: incident.number,
                    title: incident.title.clone(),
                    class: incident.severity.class,
                    coordinator: incident.coordinator.clone(),
                    kind: DeadlineKind::Clock,
                    what: format!("{}/{}", c.regime, c.report),
                    label: format!("{regime}: {}", c.name),
                    due_at: due,
                    state,
                    left_seconds: left(due),
                });
            }
        }
        rows.sort_by(|a, b| a.due_at.cmp(&b.due_at).then(a.incident.cmp(&b.incident)));
        Ok(rows)
    }
}
