//! Exercises in the application layer: planned, started and ended by ISIRT
//! managers; each inject queued as a job due at its minute after the start,
//! arriving as an exercise event; the after-action report measuring every
//! inject's event and every incident of the exercise against the response
//! targets.

use std::sync::Arc;
use std::time::Duration;

use rampart_domain::{
    Action, Actor, DomainError, Event, EventNumber, EventReport, Exercise, ExerciseId,
    ExerciseInput, ExerciseStatus, Incident, IncidentNumber, JournalAction, Measure, Role,
    SeverityClass, Timestamp, exercise::MAX_EXERCISES, journal::EventReported,
};
use rampart_store::{
    Entity, EntityRef, ExerciseScope, IncidentQuery, IncidentSort, JobDraft, JournalDraft, User,
    Write,
};
use serde::{Deserialize, Serialize};

use crate::unit::{Decided, Loaded, Unit};
use crate::{App, AppError, not_found};

/// Delivers one inject of a running exercise.
pub const EXERCISE_INJECT: &str = "exercise_inject";

/// How long a node trusts its list of running exercises (the banner).
const RUNNING_TTL: Duration = Duration::from_secs(5);

/// The most incidents the after-action report reads for one exercise.
pub const REPORT_INCIDENTS: u32 = 200;

/// The payload of an `exercise_inject` job.
#[derive(Debug, Serialize, Deserialize)]
struct InjectJob {
    exercise: ExerciseId,
    index: usize,
}

/// How one inject went: when it was due and arrived, and the times of its
/// event against the targets.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InjectOutcome {
    pub at_minute: u32,
    pub title: String,
    pub due_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub event: Option<EventNumber>,
    /// Where the event stands now (`reported`, `escalated`, `linked`…).
    pub status: Option<String>,
    /// The incident it became part of, if any.
    pub incident: Option<IncidentNumber>,
    /// Triage, assessment and (once escalated) the decision.
    pub measures: Vec<Measure>,
}

/// How one incident of the exercise went.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentOutcome {
    pub number: IncidentNumber,
    pub title: String,
    pub class: SeverityClass,
    pub status: String,
    /// Confirmation, containment and closure.
    pub measures: Vec<Measure>,
}

/// The after-action report: every measured time against its target.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AfterAction {
    pub exercise: Exercise,
    /// When the report was read: running times are measured to then.
    pub at: Timestamp,
    pub injects: Vec<InjectOutcome>,
    pub incidents: Vec<IncidentOutcome>,
    /// Stages done within their target.
    pub met: u32,
    /// Stages done late, or still running past their due time.
    pub missed: u32,
    /// Stages still running within their target.
    pub running: u32,
}

impl App {
    /// Every exercise, by id.
    pub async fn exercises(&self, actor: &Actor) -> Result<Vec<Exercise>, AppError> {
        actor.require(Action::ViewExercises)?;
        Ok(self.store.list_exercises().await?)
    }

    /// One exercise.
    pub async fn exercise(&self, actor: &Actor, id: &str) -> Result<Exercise, AppError> {
        actor.require(Action::ViewExercises)?;
        let id = ExerciseId::new(id).map_err(|_| not_found(format!("exercise {id}")))?;
        self.stored_exercise(&id)
            .await?
            .ok_or_else(|| not_found(format!("exercise {id}")))
    }

    pub(crate) async fn stored_exercise(
        &self,
        id: &ExerciseId,
    ) -> Result<Option<Exercise>, AppError> {
        Ok(
            match self.store.get(&EntityRef::Exercise(id.clone())).await? {
                Some(Entity::Exercise(x)) => Some(*x),
                _ => None,
            },
        )
    }

    /// The exercises running now, for the banner every page shows.
    pub async fn running_exercises(&self) -> Result<Arc<Vec<Exercise>>, AppError> {
        if let Some(list) = self.running.fresh(RUNNING_TTL).await {
            return Ok(list);
        }
        let running: Vec<Exercise> = self
            .store
            .list_exercises()
            .await?
            .into_iter()
            .filter(|x| x.status == ExerciseStatus::Running)
            .collect();
        Ok(self.running.put(running).await)
    }

    /// Plans an exercise (`exercise.created`); its audience must be active users.
    pub async fn create_exercise(
        &self,
        actor: &Actor,
        input: ExerciseInput,
    ) -> Result<Exercise, AppError> {
        actor.require(Action::ManageExercises)?;
        let exercise = Exercise::new(input, &actor.name, self.clock.now())?;
        if self.store.list_exercises().await?.len() >= MAX_EXERCISES {
            return Err(DomainError::Conflict(format!(
                "there are {MAX_EXERCISES} exercises already"
            ))
            .into());
        }
        let mut unit = Unit::new(&actor.name);
        let existing = unit.load::<Exercise>(EntityRef::Exercise(exercise.id.clone()));
        let people: Vec<Loaded<User>> = exercise
            .audience
            .iter()
            .map(|name| unit.load(EntityRef::User(name.clone())))
            .collect();
        let unit = unit.decide(move |ctx| {
            if ctx.maybe(&existing).is_some() {
                return Err(DomainError::Conflict(format!(
                    "an exercise named {} exists already",
                    exercise.id
                )));
            }
            for (i, (handle, name)) in people.iter().zip(&exercise.audience).enumerate() {
                if ctx.maybe(handle).is_none_or(|u| u.disabled) {
                    return Err(DomainError::field(
                        format!("audience[{i}]"),
                        format!("no active user named `{name}`"),
                    ));
                }
            }
            Ok(Decided::new(exercise.clone())
                .journal(JournalDraft::new(
                    format!("exercise:{}", exercise.id),
                    JournalAction::ExerciseCreated(Box::new(exercise.clone())),
                ))
                .insert(Entity::Exercise(Box::new(exercise))))
        });
        self.run(unit).await
    }

    /// Starts a planned exercise (`exercise.started`): each inject is
    /// queued to arrive at its minute after now.
    pub async fn start_exercise(&self, actor: &Actor, id: &str) -> Result<Exercise, AppError> {
        let started = self
            .change_exercise(actor, id, |x, by, now| {
                x.start(by, now)?;
                let jobs = (0..x.injects.len())
                    .filter_map(|index| {
                        let due = x.due_at(index)?;
                        Some(Write::Enqueue(JobDraft {
                            kind: EXERCISE_INJECT.into(),
                            key: format!("{EXERCISE_INJECT}:{}:{index}", x.id),
                            payload: serde_json::to_string(&InjectJob {
                                exercise: x.id.clone(),
                                index,
                            })
                            .unwrap_or_default(),
                            run_after: due,
                        }))
                    })
                    .collect();
                Ok((JournalAction::ExerciseStarted(Box::new(x.clone())), jobs))
            })
            .await?;
        // The injects due at the start arrive now, not at the next poll.
        let service = self.clone();
        tokio::spawn(async move { service.run_due_jobs().await });
        Ok(started)
    }

    /// Ends a running exercise (`exercise.ended`); injects not yet arrived never will.
    pub async fn end_exercise(&self, actor: &Actor, id: &str) -> Result<Exercise, AppError> {
        self.change_exercise(actor, id, |x, by, now| {
            x.end(by, now)?;
            Ok((JournalAction::ExerciseEnded(Box::new(x.clone())), vec![]))
        })
        .await
    }

    async fn change_exercise(
        &self,
        actor: &Actor,
        id: &str,
        change: impl FnOnce(
            &mut Exercise,
            &str,
            Timestamp,
        ) -> Result<(JournalAction, Vec<Write>), DomainError>
        + Send
        + 'static,
    ) -> Result<Exercise, AppError> {
        actor.require(Action::ManageExercises)?;
        let current = self.exercise(actor, id).await?;
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Exercise>(EntityRef::Exercise(current.id.clone()));
        let what = format!("exercise {}", current.id);
        let by = actor.name.clone();
        let unit = unit.decide(move |ctx| {
            let mut exercise = ctx.take(&loaded, || what)?;
            let (action, jobs) = change(&mut exercise, &by, ctx.now())?;
            let mut decided = Decided::new(exercise.clone())
                .journal(JournalDraft::new(
                    format!("exercise:{}", exercise.id),
                    action,
                ))
                .update(Entity::Exercise(Box::new(exercise)));
            for job in jobs {
                decided = decided.write(job);
            }
            Ok(decided)
        });
        let changed = self.run(unit).await?;
        // This node's banner follows at once; the others within their TTL.
        self.running.clear().await;
        Ok(changed)
    }

    /// Runs an `exercise_inject` job: the inject arrives as an exercise
    /// event reported by whoever started the exercise, unless the exercise
    /// ended or the inject arrived already (a job run again).
    pub(crate) async fn run_exercise_inject(&self, payload: &str) -> Result<(), String> {
        let job: InjectJob = serde_json::from_str(payload)
            .map_err(|e| format!("an exercise_inject job's payload: {e}"))?;
        let Some(exercise) = self
            .stored_exercise(&job.exercise)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        if !exercise.should_deliver(job.index, self.clock.now()) {
            return Ok(());
        }
        let starter = exercise
            .started_by
            .clone()
            .unwrap_or_else(|| exercise.created_by.clone());
        let inject = exercise.injects[job.index].clone();
        let report: EventReport = serde_json::from_value(serde_json::json!({
            "title": inject.title,
            "description": inject.description,
        }))
        .map_err(|e| format!("an inject as a report: {e}"))?;
        let rules = self.rules().await.map_err(|e| e.to_string())?;
        let reporter = Actor::new(starter.clone(), vec![Role::Poc]);
        let now = self.clock.now();
        let placeholder = EventNumber::new(now.year().try_into().unwrap_or(u16::MAX), 1)?;
        let mut event = Event::report(placeholder, report, &reporter, now);
        event.exercise = Some(exercise.id.clone());
        event.proposal = rules.propose(&event);
        let mut unit = Unit::new(&starter);
        let loaded = unit.load::<Exercise>(EntityRef::Exercise(exercise.id.clone()));
        let allocated = unit.allocate::<EventNumber>();
        let index = job.index;
        let unit = unit.decide(move |ctx| {
            let mut exercise = ctx.take(&loaded, || "the exercise".to_owned())?;
            // Due by this node's clock (checked above); still awaited now?
            if !exercise.awaits(index) {
                return Ok(Decided::new(()).numbers_unused());
            }
            event.number = ctx.number(&allocated)?;
            event.reported_at = ctx.now();
            exercise.delivered(index, event.number, ctx.now());
            Ok(Decided::new(())
                .journal(JournalDraft::new(
                    event.number,
                    JournalAction::EventReported(EventReported(Box::new(event.clone()))),
                ))
                .insert(Entity::Event(Box::new(event)))
                .journal(JournalDraft::new(
                    format!("exercise:{}", exercise.id),
                    JournalAction::ExerciseInjectDelivered(Box::new(exercise.clone())),
                ))
                .update(Entity::Exercise(Box::new(exercise))))
        });
        self.run(unit).await.map_err(|e| e.to_string())
    }

    /// The audience of the exercise `id`, when the record it names is part
    /// of one: the only people told of it.
    pub(crate) async fn exercise_audience(
        &self,
        id: Option<&ExerciseId>,
    ) -> Result<Option<Vec<String>>, AppError> {
        let Some(id) = id else {
            return Ok(None);
        };
        // An exercise that cannot be found tells nobody.
        Ok(Some(
            self.stored_exercise(id)
                .await?
                .map(|x| x.audience)
                .unwrap_or_default(),
        ))
    }

    /// The after-action report of an exercise.
    pub async fn after_action(&self, actor: &Actor, id: &str) -> Result<AfterAction, AppError> {
        let exercise = self.exercise(actor, id).await?;
        let targets = self.targets().await?;
        let now = self.clock.now();
        let mut injects = Vec::with_capacity(exercise.injects.len());
        for (index, inject) in exercise.injects.iter().enumerate() {
            let event = match &inject.delivered {
                Some(d) => self
                    .store
                    .get(&EntityRef::Event(d.event))
                    .await?
                    .and_then(Entity::into_event),
                None => None,
            };
            injects.push(InjectOutcome {
                at_minute: inject.at_minute,
                title: inject.title.to_string(),
                due_at: exercise.due_at(index),
                delivered_at: inject.delivered.as_ref().map(|d| d.at),
                event: inject.delivered.as_ref().map(|d| d.event),
                status: event.as_ref().map(|e| e.status.to_string()),
                incident: event.as_ref().and_then(|e| e.incident),
                measures: event
                    .as_ref()
                    .map(|e| targets.event(e, now))
                    .unwrap_or_default(),
            });
        }
        let mut incidents = Vec::new();
        if actor.may(Action::ViewIncidents) {
            let query = IncidentQuery {
                exercise: ExerciseScope::Of(exercise.id.clone()),
                viewer: Some(actor.name.clone()),
                sort: IncidentSort::Oldest,
                limit: REPORT_INCIDENTS,
                ..IncidentQuery::default()
            };
            let page: Vec<Incident> = self.store.list_incidents(&query).await?.items;
            for i in page {
                incidents.push(IncidentOutcome {
                    measures: targets.incident(&i, now),
                    number: i.number,
                    title: i.title.to_string(),
                    class: i.severity.class,
                    status: i.status.to_string(),
                });
            }
        }
        let all = injects
            .iter()
            .flat_map(|i| &i.measures)
            .chain(incidents.iter().flat_map(|i| &i.measures));
        let (mut met, mut missed, mut running) = (0, 0, 0);
        for m in all {
            match m.state {
                rampart_domain::TargetState::Met => met += 1,
                rampart_domain::TargetState::Missed | rampart_domain::TargetState::Overdue => {
                    missed += 1
                }
                _ => running += 1,
            }
        }
        Ok(AfterAction {
            exercise,
            at: now,
            injects,
            incidents,
            met,
            missed,
            running,
        })
    }
}
