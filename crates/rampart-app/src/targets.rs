//! Response-time targets in the application layer: the table admins edit,
//! cached on each node like the categorization rules, and where an event or
//! incident stands against it now.

use std::sync::Arc;
use std::time::Duration;

use rampart_domain::{
    Action, Actor, DomainError, Event, Incident, JournalAction, Lane, Measure, Measured,
    ResponseTargets, TargetState, journal::TargetsChanged,
};
use rampart_store::{Entity, EntityRef, JournalDraft};

use crate::unit::{Decided, Unit};
use crate::{App, AppError};

pub use rampart_store::records::TARGETS_ENTITY;

/// How long a node trusts its copy of the targets before reading them again
/// (another node may have changed them).
const TARGETS_TTL: Duration = Duration::from_secs(5);

impl App {
    /// The response-time targets in force: the shipped table until an admin changes it.
    pub async fn targets(&self) -> Result<Arc<ResponseTargets>, AppError> {
        if let Some(targets) = self.targets.fresh(TARGETS_TTL).await {
            return Ok(targets);
        }
        let targets = match self.store.get(&EntityRef::Targets).await? {
            Some(Entity::Targets(t)) => t,
            _ => ResponseTargets::default(),
        };
        Ok(self.targets.put(targets).await)
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
        new: ResponseTargets,
    ) -> Result<ResponseTargets, AppError> {
        actor.require(Action::ManageTargets)?;
        new.validate()?;
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<ResponseTargets>(EntityRef::Targets);
        let unit = unit.decide(move |ctx| {
            let old = ctx.maybe(&loaded);
            let stored = old.is_some();
            let current = old.unwrap_or_default();
            if new.version != current.version {
                return Err(DomainError::field(
                    "version",
                    format!(
                        "the targets changed since version {} was read; the current version is {}",
                        new.version, current.version
                    ),
                ));
            }
            let mut classes = new.classes.clone();
            classes.sort_by_key(|c| c.class);
            let next = ResponseTargets {
                version: current.version + 1,
                classes,
            };
            let payload = JournalAction::TargetsChanged(Box::new(TargetsChanged {
                before: current,
                after: next.clone(),
            }));
            let decided = Decided::new(next.clone());
            let decided = if stored {
                decided.update(Entity::Targets(next))
            } else {
                decided.insert(Entity::Targets(next))
            };
            Ok(decided.journal(JournalDraft::new(TARGETS_ENTITY, payload)))
        });
        let saved = self.run(unit).await?;
        self.targets.put(saved.clone()).await;
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
