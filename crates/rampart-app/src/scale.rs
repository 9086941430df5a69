//! The classification scale in the application layer: cached on each node
//! like the other settings, read by everyone who classifies or reads a
//! classification, and revised by admins one version at a time.

use std::sync::Arc;
use std::time::Duration;

use rampart_domain::{Action, Actor, ClassificationScale, JournalAction, ScaleInput, ScaleVersion};
use rampart_store::{Entity, EntityRef, JournalDraft};

use crate::cache::Versioned;
use crate::unit::{Decided, Unit};
use crate::{App, AppError};

pub use rampart_store::records::SCALE_ENTITY;

/// How long a node trusts its copy of the scale before reading it again
/// (another node may have saved a new version).
const SCALE_TTL: Duration = Duration::from_secs(5);

impl Versioned for ClassificationScale {
    const WHAT: &'static str = "the classification scale";
    const ENTITY: &'static str = SCALE_ENTITY;

    fn key() -> EntityRef {
        EntityRef::Scale
    }

    fn shipped() -> Self {
        ClassificationScale::default()
    }

    fn version(&self) -> u32 {
        self.version
    }

    fn set_version(&mut self, version: u32) {
        self.version = version;
    }

    fn into_entity(self) -> Entity {
        Entity::Scale(Box::new(self))
    }

    fn changed(_before: Self, after: Self) -> JournalAction {
        JournalAction::ClassificationScaleRevised(Box::new(after.current().clone()))
    }
}

impl App {
    /// The scale with every version it has had: the shipped one until an
    /// admin saves another.
    pub async fn scale(&self) -> Result<Arc<ClassificationScale>, AppError> {
        self.versioned(&self.scale, SCALE_TTL).await
    }

    /// The version classifications are made under now.
    pub(crate) async fn current_scale(&self) -> Result<ScaleVersion, AppError> {
        Ok(self.scale().await?.current().clone())
    }

    /// The scale, for anyone signed in: it names what every classification means.
    pub async fn get_scale(&self, _actor: &Actor) -> Result<ClassificationScale, AppError> {
        Ok((*self.scale().await?).clone())
    }

    /// Saves a new version of the scale (admins). `input.version` must be
    /// the version in force, so two admins do not overwrite each other
    /// unseen; the journal entry carries the whole new version.
    pub async fn revise_scale(
        &self,
        actor: &Actor,
        input: ScaleInput,
    ) -> Result<ClassificationScale, AppError> {
        actor.require(Action::ManageClassification)?;
        let now = self.clock.now();
        let by = actor.name.clone();
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<ClassificationScale>(EntityRef::Scale);
        let unit = unit.decide(move |ctx| {
            let stored = ctx.maybe(&loaded);
            let insert = stored.is_none();
            let mut scale = stored.unwrap_or_default();
            scale.revise(input, &by, now)?;
            let payload =
                JournalAction::ClassificationScaleRevised(Box::new(scale.current().clone()));
            let decided = Decided::new(scale.clone());
            let entity = Entity::Scale(Box::new(scale));
            let decided = if insert {
                decided.insert(entity)
            } else {
                decided.update(entity)
            };
            Ok(decided.journal(JournalDraft::new(SCALE_ENTITY, payload)))
        });
        let saved = self.run(unit).await?;
        self.scale.put(saved.clone()).await;
        Ok(saved)
    }
}
