//! The teams of the scheme, their rota and hand-overs (see
//! [`rampart_domain::team`]), and who is on duty: notices that go to "the
//! ISIRT" go to whoever is on ISIRT duty when the notice is raised, where a
//! rota says who that is.

use std::collections::BTreeSet;

use rampart_domain::journal::TeamChanged;
use rampart_domain::team::MAX_TEAMS;
use rampart_domain::{
    Action, Actor, DomainError, Duty, IncidentNumber, JournalAction, OnDuty, Rotation, Team,
    TeamId, TeamSettings, Text, Timestamp,
};
use rampart_store::{Entity, EntityRef, JournalDraft};
use serde::{Deserialize, Serialize};

use crate::unit::{Decided, Unit};
use crate::{App, AppError, not_found};

/// A new team, as the interfaces send it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    /// `ict-isirt`: 2-64 characters of a-z, 0-9 and '-'.
    pub id: String,
    /// 1-200 characters.
    pub name: Text,
    pub duty: Duty,
    #[serde(default)]
    pub description: Option<Text>,
    /// The user who leads it (a member).
    pub lead: String,
    /// User names; the lead is added.
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default)]
    pub rotation: Option<Rotation>,
}

/// A change to a team; what is absent stays. `rotation: null` keeps the
/// rotation; to end it, send `clear_rotation: true`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    pub name: Option<Text>,
    pub duty: Option<Duty>,
    pub description: Option<Text>,
    pub lead: Option<String>,
    pub members: Option<Vec<String>>,
    pub rotation: Option<Rotation>,
    #[serde(default)]
    pub clear_rotation: bool,
}

/// Someone on duty for a stretch instead of the rotation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CoverInput {
    /// A member of the team.
    pub person: String,
    pub from: Timestamp,
    pub until: Timestamp,
    #[serde(default)]
    pub reason: Option<Text>,
}

/// A hand-over at the end of a shift, by the person handing over.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HandoverInput {
    /// The member who takes over.
    pub to: String,
    /// What is handed over: the state of things, what to watch.
    pub note: Text,
    /// Open incidents handed over.
    #[serde(default)]
    pub incidents: Vec<IncidentNumber>,
    /// What authority passes with it; absent: only the information.
    #[serde(default)]
    pub authority: Option<Text>,
}

/// A team with who is on duty now and next.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamView {
    #[serde(flatten)]
    pub team: Team,
    pub on_duty: Option<OnDuty>,
    pub next: Option<OnDuty>,
}

fn entity(id: &TeamId) -> String {
    format!("team:{id}")
}

impl App {
    fn team_view(&self, team: Team) -> TeamView {
        let now = self.clock.now();
        TeamView {
            on_duty: team.on_duty(now),
            next: team.next_on_duty(now),
            team,
        }
    }

    /// Every team with who is on duty now and next.
    pub async fn teams(&self, actor: &Actor) -> Result<Vec<TeamView>, AppError> {
        actor.require(Action::ViewTeams)?;
        let teams = self.store.list_teams().await?;
        Ok(teams.into_iter().map(|t| self.team_view(t)).collect())
    }

    async fn stored_team(&self, id: &str) -> Result<Team, AppError> {
        let id =
            TeamId::new(id).map_err(|m| DomainError::NotFound(format!("team `{id}` ({m})")))?;
        match self.store.get(&EntityRef::Team(id.clone())).await? {
            Some(Entity::Team(t)) => Ok(*t),
            _ => Err(not_found(format!("team {id}"))),
        }
    }

    /// One team.
    pub async fn team(&self, actor: &Actor, id: &str) -> Result<TeamView, AppError> {
        actor.require(Action::ViewTeams)?;
        Ok(self.team_view(self.stored_team(id).await?))
    }

    /// Checks that every person named is an active user, naming the field.
    async fn check_people(&self, field: &str, people: &[String]) -> Result<(), AppError> {
        let names: BTreeSet<&str> = people.iter().map(String::as_str).collect();
        let users = self.store.list_users().await?;
        for name in names {
            if !users.iter().any(|u| u.name == name && !u.disabled) {
                return Err(
                    DomainError::field(field, format!("{name} is not an active user")).into(),
                );
            }
        }
        Ok(())
    }

    async fn checked(&self, settings: TeamSettings) -> Result<TeamSettings, AppError> {
        let settings = settings.normalise()?;
        self.check_people("lead", std::slice::from_ref(&settings.lead))
            .await?;
        self.check_people("members", &settings.members).await?;
        Ok(settings)
    }

    /// Changes a stored team in one unit: `change` gives the journal
    /// action, or `None` when nothing changes.
    async fn change_stored_team(
        &self,
        actor: &Actor,
        id: &TeamId,
        change: impl FnOnce(&mut Team, Timestamp) -> Result<Option<JournalAction>, DomainError>
        + Send
        + 'static,
    ) -> Result<TeamView, AppError> {
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Team>(EntityRef::Team(id.clone()));
        let what = format!("team {id}");
        let unit = unit.decide(move |ctx| {
            let mut team = ctx.take(&loaded, || what)?;
            let Some(action) = change(&mut team, ctx.now())? else {
                return Ok(Decided::new(team));
            };
            Ok(Decided::new(team.clone())
                .journal(JournalDraft::new(entity(&team.id), action))
                .update(Entity::Team(Box::new(team))))
        });
        let team = self.run(unit).await?;
        Ok(self.team_view(team))
    }

    /// Sets up a team (`team.created`).
    pub async fn create_team(&self, actor: &Actor, input: TeamInput) -> Result<TeamView, AppError> {
        actor.require(Action::ManageTeams)?;
        let id = TeamId::new(input.id.trim()).map_err(|m| DomainError::field("id", m))?;
        let settings = self
            .checked(TeamSettings {
                name: input.name,
                duty: input.duty,
                description: input.description,
                lead: input.lead.trim().to_owned(),
                members: input.members,
                rotation: input.rotation,
            })
            .await?;
        if self.store.list_teams().await?.len() >= MAX_TEAMS {
            return Err(
                DomainError::Conflict(format!("there are {MAX_TEAMS} teams already")).into(),
            );
        }
        let mut unit = Unit::new(&actor.name);
        let existing = unit.load::<Team>(EntityRef::Team(id.clone()));
        let by = actor.name.clone();
        let unit = unit.decide(move |ctx| {
            if ctx.maybe(&existing).is_some() {
                return Err(DomainError::Conflict(format!(
                    "a team named {id} exists already"
                )));
            }
            let team = Team::new(id, settings, &by, ctx.now());
            Ok(Decided::new(team.clone())
                .journal(JournalDraft::new(
                    entity(&team.id),
                    JournalAction::TeamCreated(Box::new(team.clone())),
                ))
                .insert(Entity::Team(Box::new(team))))
        });
        let team = self.run(unit).await?;
        Ok(self.team_view(team))
    }

    /// Changes a team's settings or rotation (`team.changed`).
    pub async fn change_team(
        &self,
        actor: &Actor,
        id: &str,
        patch: TeamPatch,
    ) -> Result<TeamView, AppError> {
        actor.require(Action::ManageTeams)?;
        let before = self.stored_team(id).await?;
        let old = before.settings();
        let settings = self
            .checked(TeamSettings {
                name: patch.name.unwrap_or(old.name.clone()),
                duty: patch.duty.unwrap_or(old.duty),
                description: patch.description.or(old.description.clone()),
                lead: patch.lead.map_or(old.lead.clone(), |l| l.trim().to_owned()),
                members: patch.members.unwrap_or(old.members.clone()),
                rotation: if patch.clear_rotation {
                    None
                } else {
                    patch.rotation.or(old.rotation.clone())
                },
            })
            .await?;
        self.change_stored_team(actor, &before.id, move |team, now| {
            let old = team.settings();
            if old == settings {
                return Ok(None);
            }
            team.apply(settings.clone(), now);
            Ok(Some(JournalAction::TeamChanged(Box::new(TeamChanged {
                before: old,
                after: settings,
            }))))
        })
        .await
    }

    /// Puts a member on duty for a stretch (`team.cover_added`): a member
    /// of the team, or its manager.
    pub async fn add_cover(
        &self,
        actor: &Actor,
        id: &str,
        input: CoverInput,
    ) -> Result<TeamView, AppError> {
        actor.require(Action::ManageRota)?;
        let team = self.stored_team(id).await?;
        if !team.members.contains(&actor.name) {
            actor.require(Action::ManageTeams)?;
        }
        let by = actor.name.clone();
        self.change_stored_team(actor, &team.id, move |team, now| {
            let cover = team.add_cover(
                input.person.trim().to_owned(),
                input.from,
                input.until,
                input.reason,
                &by,
                now,
            )?;
            Ok(Some(JournalAction::TeamCoverAdded(Box::new(cover))))
        })
        .await
    }

    /// Records the hand-over of the actor's shift (`team.handover`): the
    /// actor must be a member; the incidents named must be ones they may read.
    pub async fn hand_over(
        &self,
        actor: &Actor,
        id: &str,
        input: HandoverInput,
    ) -> Result<TeamView, AppError> {
        actor.require(Action::ManageRota)?;
        let team = self.stored_team(id).await?;
        if !team.members.contains(&actor.name) {
            return Err(DomainError::Forbidden {
                actor: actor.name.clone(),
                action: format!("hand over a shift of {} (not a member)", team.id),
                allowed: vec![format!("the members of {}", team.id)],
            }
            .into());
        }
        let mut incidents = input.incidents;
        incidents.sort();
        incidents.dedup();
        for n in incidents.iter().take(rampart_domain::team::MAX_HANDED_OVER) {
            if self.get_incident(actor, *n).await.is_err() {
                return Err(DomainError::field(
                    "incidents",
                    format!("{n} does not exist, or you may not see it"),
                )
                .into());
            }
        }
        let by = actor.name.clone();
        self.change_stored_team(actor, &team.id, move |team, now| {
            let handover = team.hand_over(
                &by,
                input.to.trim().to_owned(),
                input.note,
                incidents,
                input.authority,
                now,
            )?;
            Ok(Some(JournalAction::TeamHandover(Box::new(handover))))
        })
        .await
    }

    /// The people on `duty` at `at` across the teams that have a rota;
    /// `None` when no such team names anyone then (the notices then go to
    /// everyone of the role, as without a rota).
    pub(crate) async fn on_duty(
        &self,
        duty: Duty,
        at: Timestamp,
    ) -> Result<Option<BTreeSet<String>>, AppError> {
        let people: BTreeSet<String> = self
            .store
            .list_teams()
            .await?
            .iter()
            .filter(|t| t.duty == duty)
            .filter_map(|t| t.on_duty(at))
            .map(|d| d.person)
            .collect();
        Ok((!people.is_empty()).then_some(people))
    }
}

#[cfg(test)]
mod tests;
