//! Playbooks (see [`rampart_domain::playbook`]): kept in versions, proposed
//! for an incident by its category and RSIT type, applied at confirmation
//! or later as response actions due from that moment.

use rampart_domain::journal::PlaybookApplied;
use rampart_domain::playbook::MAX_PLAYBOOKS;
use rampart_domain::{
    Action, Actor, AppliedPlaybook, ApplyPlaybook, Category, DomainError, IncidentNumber,
    JournalAction, Playbook, PlaybookContent, PlaybookId, PlaybookInput, Rsit,
};
use rampart_store::{Entity, EntityRef, JournalDraft};

use crate::unit::{Decided, Unit};
use crate::{App, AppError, not_found};

#[cfg(test)]
mod tests;

impl App {
    /// Every playbook, by id.
    pub async fn playbooks(&self, actor: &Actor) -> Result<Vec<Playbook>, AppError> {
        actor.require(Action::ViewPlaybooks)?;
        Ok(self.store.list_playbooks().await?)
    }

    /// One playbook with its versions.
    pub async fn playbook(&self, actor: &Actor, id: &str) -> Result<Playbook, AppError> {
        actor.require(Action::ViewPlaybooks)?;
        let id = PlaybookId::new(id)
            .map_err(|m| DomainError::NotFound(format!("playbook `{id}` ({m})")))?;
        match self.store.get(&EntityRef::Playbook(id.clone())).await? {
            Some(Entity::Playbook(p)) => Ok(*p),
            _ => Err(not_found(format!("playbook {id}"))),
        }
    }

    /// The playbooks whose version in use is for incidents of `category`
    /// or `rsit`, by id.
    pub async fn proposed_playbooks(
        &self,
        actor: &Actor,
        category: Category,
        rsit: Option<&Rsit>,
    ) -> Result<Vec<Playbook>, AppError> {
        if !actor.may(Action::ViewPlaybooks) {
            return Ok(vec![]);
        }
        let all = self.store.list_playbooks().await?;
        Ok(all.into_iter().filter(|p| p.fits(category, rsit)).collect())
    }

    /// Checks a version's content: its fields, that its categories are
    /// offered by the classification scale, and that every procedure it
    /// cites exists in the version in force.
    async fn checked_playbook(&self, content: &PlaybookContent) -> Result<(), AppError> {
        content.validate()?;
        let scale = self.current_scale().await?;
        for (i, c) in content.categories.iter().enumerate() {
            scale.require_active(*c, &format!("categories[{i}]"))?;
        }
        for (i, step) in content.steps.iter().enumerate() {
            if let Some(cite) = &step.procedure {
                self.check_citation(cite)
                    .await
                    .map_err(|m| DomainError::field(format!("steps[{i}].procedure"), m))?;
            }
        }
        Ok(())
    }

    /// Creates a playbook with its first version (`playbook.created`).
    pub async fn create_playbook(
        &self,
        actor: &Actor,
        input: PlaybookInput,
    ) -> Result<Playbook, AppError> {
        actor.require(Action::ManagePlaybooks)?;
        let raw = input.id.clone().unwrap_or_default();
        let id = PlaybookId::new(raw.trim()).map_err(|m| DomainError::field("id", m))?;
        let content = input.content();
        self.checked_playbook(&content).await?;
        if self.store.list_playbooks().await?.len() >= MAX_PLAYBOOKS {
            return Err(DomainError::Conflict(format!(
                "there are {MAX_PLAYBOOKS} playbooks already"
            ))
            .into());
        }
        let mut unit = Unit::new(&actor.name);
        let existing = unit.load::<Playbook>(EntityRef::Playbook(id.clone()));
        let by = actor.name.clone();
        let unit = unit.decide(move |ctx| {
            if ctx.maybe(&existing).is_some() {
                return Err(DomainError::Conflict(format!(
                    "a playbook named {id} exists already"
                )));
            }
            let playbook = Playbook::new(id, content, input.note, &by, ctx.now())?;
            Ok(Decided::new(playbook.clone())
                .journal(JournalDraft::new(
                    format!("playbook:{}", playbook.id),
                    JournalAction::PlaybookCreated(Box::new(playbook.clone())),
                ))
                .insert(Entity::Playbook(Box::new(playbook))))
        });
        self.run(unit).await
    }

    /// Saves a new version of a playbook (`playbook.revised`); incidents
    /// that applied an earlier one keep their actions as they are.
    pub async fn revise_playbook(
        &self,
        actor: &Actor,
        id: &str,
        input: PlaybookInput,
    ) -> Result<Playbook, AppError> {
        actor.require(Action::ManagePlaybooks)?;
        let current = self.playbook(actor, id).await?;
        if input
            .id
            .as_deref()
            .is_some_and(|i| i.trim() != current.id.as_str())
        {
            return Err(DomainError::field("id", "a playbook's id cannot change").into());
        }
        let content = input.content();
        self.checked_playbook(&content).await?;
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Playbook>(EntityRef::Playbook(current.id.clone()));
        let what = format!("playbook {}", current.id);
        let by = actor.name.clone();
        let unit = unit.decide(move |ctx| {
            let mut playbook = ctx.take(&loaded, || what)?;
            let version = playbook
                .revise(content, input.note, &by, ctx.now())?
                .clone();
            Ok(Decided::new(playbook.clone())
                .journal(JournalDraft::new(
                    format!("playbook:{}", playbook.id),
                    JournalAction::PlaybookRevised(Box::new(version)),
                ))
                .update(Entity::Playbook(Box::new(playbook))))
        });
        self.run(unit).await
    }

    /// Applies a playbook to an open incident (`incident.playbook_applied`):
    /// its steps become response actions due from now.
    pub async fn apply_playbook(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: ApplyPlaybook,
    ) -> Result<AppliedPlaybook, AppError> {
        actor.require(Action::ApplyPlaybook)?;
        let id = input.playbook.clone();
        let (_, applied) = self
            .change_incident(
                actor,
                number,
                move |unit| unit.load::<Playbook>(EntityRef::Playbook(id)),
                move |ctx, incident, who, loaded| {
                    let playbook = ctx.maybe(&loaded).ok_or_else(|| {
                        DomainError::field("playbook", format!("no playbook `{}`", input.playbook))
                    })?;
                    if !incident.status.is_open() {
                        return Err(DomainError::field(
                            "playbook",
                            format!(
                                "{} is {}: apply playbooks while it is open",
                                incident.number, incident.status
                            ),
                        ));
                    }
                    let before = incident.actions.len();
                    let applied =
                        incident.apply_playbook(&playbook, input.version, who, ctx.now())?;
                    let actions = incident.actions[before..].to_vec();
                    let entry = JournalAction::IncidentPlaybookApplied(Box::new(PlaybookApplied {
                        applied: applied.clone(),
                        actions,
                    }));
                    Ok((applied, entry, vec![]))
                },
            )
            .await?;
        Ok(applied)
    }
}
