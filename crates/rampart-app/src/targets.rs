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
        self.replace_versioned(actor, &self.targets, new).await
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
