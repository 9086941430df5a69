//! Events and incidents: reporting, triage and assessment of events, and the
//! incident record (confirmation, changes, links, transitions, the log,
//! response actions and the lessons-learned review).

use rampart_domain::{
    Action, ActionUpdate, Actor, AssessmentInput, DomainError, Event, EventNumber, EventReport,
    Incident, IncidentConfirmation, IncidentNumber, IncidentPatch, JournalAction, LogEntry,
    NewAction, NewLogEntry, NumberKind, ResponseAction, Review, ReviewInput, Role, Text,
    TransitionRequest,
    journal::{
        EventAssessed, EventLinked, EventRejected, EventTriage, FieldChange, IncidentEventLinked,
        IncidentRestricted, IncidentTransition, IncidentUpdated,
    },
};
use rampart_store::{
    Context, Counts, Decision, Entity, EntityRef, EventQuery, IncidentQuery, JournalDraft, Page,
    UnitOfWork, Write,
};
use serde_json::Value;

use crate::{App, AppError, first, not_found, to_value};

fn take_incident(
    ctx: &mut Context,
    i: usize,
    number: IncidentNumber,
) -> Result<Incident, DomainError> {
    ctx.take(i, || format!("incident {number}"))?
        .into_incident()
        .ok_or_else(|| DomainError::NotFound(number.to_string()))
}

fn take_event(ctx: &mut Context, i: usize, number: EventNumber) -> Result<Event, DomainError> {
    ctx.take(i, || format!("event {number}"))?
        .into_event()
        .ok_or_else(|| DomainError::NotFound(number.to_string()))
}

/// The coordinator must be a user who can handle incidents.
fn check_coordinator(ctx: &mut Context, i: usize, name: &str) -> Result<(), DomainError> {
    let user = ctx.take(i, String::new).ok().and_then(Entity::into_user);
    match user {
        Some(u)
            if !u.disabled
                && (u.roles.contains(&Role::IsirtMember)
                    || u.roles.contains(&Role::IsirtManager)) =>
        {
            Ok(())
        }
        Some(_) => Err(DomainError::field(
            "coordinator",
            format!("user `{name}` is not an active ISIRT member or manager"),
        )),
        None => Err(DomainError::field(
            "coordinator",
            format!("no user named `{name}`"),
        )),
    }
}

impl App {
    /// Reports an event; a repeated sensor alert is folded into its first event.
    pub async fn report_event(
        &self,
        actor: &Actor,
        report: EventReport,
    ) -> Result<Event, AppError> {
        Ok(self.ingest(actor, report).await?.into_event())
    }

    pub async fn get_event(&self, actor: &Actor, number: EventNumber) -> Result<Event, AppError> {
        if !actor.may(Action::ViewEvents) {
            actor.require(Action::ViewOwnEvents)?;
        }
        let event = self
            .store
            .get(&EntityRef::Event(number))
            .await?
            .and_then(Entity::into_event);
        // A reporter asking for someone else's event learns nothing, not even that it exists.
        match event {
            Some(e) if e.readable_by(actor) => {
                let mut events = vec![e.visible_to(actor)];
                self.hide_restricted_links(actor, &mut events).await?;
                events
                    .pop()
                    .ok_or_else(|| not_found(format!("event {number}")))
            }
            _ => Err(not_found(format!("event {number}"))),
        }
    }

    pub async fn list_events(
        &self,
        actor: &Actor,
        mut query: EventQuery,
    ) -> Result<Page<Event>, AppError> {
        if !actor.may(Action::ViewEvents) {
            actor.require(Action::ViewOwnEvents)?;
            query.submitted_by = Some(actor.name.clone());
        }
        let page = self.store.list_events(&query).await?;
        let mut items: Vec<Event> = page
            .items
            .into_iter()
            .map(|e| e.visible_to(actor))
            .collect();
        self.hide_restricted_links(actor, &mut items).await?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// Runs a change on one event and journals it.
    async fn change_event(
        &self,
        actor: &Actor,
        action: Action,
        number: EventNumber,
        change: impl FnOnce(
            &mut Event,
            &Actor,
            rampart_domain::Timestamp,
        ) -> Result<JournalAction, DomainError>
        + Send
        + 'static,
    ) -> Result<Event, AppError> {
        actor.require(action)?;
        let who = actor.clone();
        let unit = UnitOfWork::new(
            actor.name.clone(),
            vec![EntityRef::Event(number)],
            vec![],
            move |mut ctx| {
                let mut event = take_event(&mut ctx, 0, number)?;
                let action = change(&mut event, &who, ctx.now)?;
                Ok(Decision {
                    journal: vec![JournalDraft::new(number, action)],
                    writes: vec![Write::Update(Entity::Event(Box::new(event)))],
                })
            },
        );
        let event = first(self.run(unit).await?)?
            .into_event()
            .ok_or_else(|| not_found("event"))?;
        Ok(event.visible_to(actor))
    }

    pub async fn triage_event(
        &self,
        actor: &Actor,
        number: EventNumber,
    ) -> Result<Event, AppError> {
        self.change_event(actor, Action::TriageEvent, number, |e, who, now| {
            e.begin_triage(who, now)?;
            Ok(JournalAction::EventTriage(EventTriage { status: e.status }))
        })
        .await
    }

    pub async fn assess_event(
        &self,
        actor: &Actor,
        number: EventNumber,
        input: AssessmentInput,
    ) -> Result<Event, AppError> {
        self.change_event(actor, Action::AssessEvent, number, |e, who, now| {
            e.assess(input, who, now)?;
            Ok(JournalAction::EventAssessed(EventAssessed::ByContact {
                status: e.status,
                assessment: e.assessment.clone(),
            }))
        })
        .await
    }

    pub async fn reject_event(
        &self,
        actor: &Actor,
        number: EventNumber,
        reason: Text,
    ) -> Result<Event, AppError> {
        self.change_event(actor, Action::RejectEvent, number, |e, who, now| {
            e.reject(reason, who, now)?;
            Ok(JournalAction::EventRejected(EventRejected {
                status: e.status,
                rejection: e.rejection.clone(),
            }))
        })
        .await
    }

    // ----- incidents ------------------------------------------------------------

    pub async fn confirm_incident(
        &self,
        actor: &Actor,
        input: IncidentConfirmation,
    ) -> Result<Incident, AppError> {
        actor.require(Action::ConfirmIncident)?;
        if input.severity_override.is_some() {
            actor.require(Action::OverrideSeverity)?;
        }
        input.validate()?;
        let mut load: Vec<EntityRef> = input.events.iter().map(|n| EntityRef::Event(*n)).collect();
        load.push(EntityRef::User(input.coordinator.clone()));
        let who = actor.clone();
        let unit = UnitOfWork::new(
            actor.name.clone(),
            load,
            vec![NumberKind::Incident],
            move |mut ctx| {
                let number = ctx.incident_number(0)?;
                let count = input.events.len();
                check_coordinator(&mut ctx, count, &input.coordinator)?;
                let mut events = Vec::with_capacity(count);
                for (i, n) in input.events.iter().enumerate() {
                    events.push(take_event(&mut ctx, i, *n).map_err(|_| {
                        DomainError::field(format!("events[{i}]"), format!("no event {n}"))
                    })?);
                }
                let incident = Incident::confirm(number, input, &mut events, &who, ctx.now)?;
                let mut journal = vec![JournalDraft::new(
                    number,
                    JournalAction::IncidentConfirmed(Box::new(incident.clone())),
                )];
                let mut writes = vec![Write::Insert(Entity::Incident(Box::new(incident)))];
                for e in events {
                    journal.push(JournalDraft::new(
                        e.number,
                        JournalAction::EventLinked(EventLinked {
                            status: e.status,
                            incident: number,
                        }),
                    ));
                    writes.push(Write::Update(Entity::Event(Box::new(e))));
                }
                Ok(Decision { writes, journal })
            },
        );
        first(self.run(unit).await?)?
            .into_incident()
            .ok_or_else(|| not_found("incident"))
    }

    /// One incident (with its log, actions and review).
    pub async fn get_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
    ) -> Result<Incident, AppError> {
        actor.require(Action::ViewIncidents)?;
        // Need-to-know: a restricted incident does not exist for anyone not named.
        self.store
            .get(&EntityRef::Incident(number))
            .await?
            .and_then(Entity::into_incident)
            .filter(|i| i.readable_by(actor))
            .ok_or_else(|| not_found(format!("incident {number}")))
    }

    /// One incident and the linked events the actor may read.
    pub async fn incident_with_events(
        &self,
        actor: &Actor,
        number: IncidentNumber,
    ) -> Result<(Incident, Vec<Event>), AppError> {
        let incident = self.get_incident(actor, number).await?;
        let mut events = Vec::with_capacity(incident.events.len());
        if actor.may(Action::ViewEvents) {
            for n in &incident.events {
                if let Some(e) = self
                    .store
                    .get(&EntityRef::Event(*n))
                    .await?
                    .and_then(Entity::into_event)
                {
                    events.push(e.visible_to(actor));
                }
            }
        }
        Ok((incident, events))
    }

    pub async fn list_incidents(
        &self,
        actor: &Actor,
        mut query: IncidentQuery,
    ) -> Result<Page<Incident>, AppError> {
        actor.require(Action::ViewIncidents)?;
        query.viewer = Some(actor.name.clone());
        Ok(self.store.list_incidents(&query).await?)
    }

    /// Counts for the dashboard: incidents the actor may see, and events when they may see events.
    pub async fn counts(&self, actor: &Actor) -> Result<Counts, AppError> {
        let mut counts = self.store.counts(&actor.name).await?;
        if !actor.may(Action::ViewIncidents) {
            counts.incidents.clear();
        }
        if !actor.may(Action::ViewEvents) {
            counts.events.clear();
        }
        Ok(counts)
    }

    /// Restricts an incident to named users (need-to-know), or lifts the
    /// restriction with an empty list.
    pub async fn restrict_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        users: Vec<String>,
    ) -> Result<Incident, AppError> {
        actor.require(Action::RestrictIncident)?;
        let names: Vec<String> = users.iter().map(|u| u.trim().to_owned()).collect();
        let load: Vec<EntityRef> = names.iter().cloned().map(EntityRef::User).collect();
        self.change_incident(actor, number, load, move |ctx, incident, who| {
            for (i, name) in names.iter().enumerate() {
                let user = ctx.loaded.get_mut(i + 1).and_then(Option::take);
                if !matches!(user, Some(Entity::User(ref u)) if !u.disabled) {
                    return Err(DomainError::field(
                        format!("users[{i}]"),
                        format!("no active user named `{name}`"),
                    ));
                }
            }
            incident.restrict(names, who, ctx.now)?;
            let action = JournalAction::IncidentRestricted(IncidentRestricted {
                restricted_to: incident.restricted_to.clone(),
            });
            Ok((JournalDraft::new(number, action), vec![]))
        })
        .await
    }

    /// Runs a change on one incident (optionally checking a coordinator user) and journals it.
    async fn change_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        extra: Vec<EntityRef>,
        change: impl FnOnce(
            &mut Context,
            &mut Incident,
            &Actor,
        ) -> Result<(JournalDraft, Vec<Write>), DomainError>
        + Send
        + 'static,
    ) -> Result<Incident, AppError> {
        let who = actor.clone();
        let mut load = vec![EntityRef::Incident(number)];
        load.extend(extra);
        let unit = UnitOfWork::new(actor.name.clone(), load, vec![], move |mut ctx| {
            let mut incident = take_incident(&mut ctx, 0, number)?;
            if !incident.readable_by(&who) {
                return Err(DomainError::NotFound(format!("incident {number}")));
            }
            let (journal, mut writes) = change(&mut ctx, &mut incident, &who)?;
            writes.insert(0, Write::Update(Entity::Incident(Box::new(incident))));
            Ok(Decision {
                writes,
                journal: vec![journal],
            })
        });
        first(self.run(unit).await?)?
            .into_incident()
            .ok_or_else(|| not_found("incident"))
    }

    pub async fn patch_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        patch: IncidentPatch,
    ) -> Result<Incident, AppError> {
        for action in patch.required_actions() {
            actor.require(action)?;
        }
        let coordinator = patch.coordinator.clone();
        let extra = coordinator
            .clone()
            .map(EntityRef::User)
            .into_iter()
            .collect();
        self.change_incident(actor, number, extra, move |ctx, incident, who| {
            if let Some(name) = &coordinator {
                check_coordinator(ctx, 1, name)?;
            }
            let before = to_value(incident);
            let changed = incident.apply_patch(patch, who, ctx.now)?;
            let after = to_value(incident);
            let changed = changed
                .iter()
                .map(|f| {
                    let field = |v: &Value| v.get(*f).cloned().unwrap_or(Value::Null);
                    let change = FieldChange {
                        before: field(&before),
                        after: field(&after),
                    };
                    ((*f).to_owned(), change)
                })
                .collect();
            Ok((
                JournalDraft::new(
                    number,
                    JournalAction::IncidentUpdated(IncidentUpdated { changed }),
                ),
                vec![],
            ))
        })
        .await
    }

    pub async fn link_event(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        event: EventNumber,
    ) -> Result<Incident, AppError> {
        actor.require(Action::LinkEvent)?;
        self.change_incident(
            actor,
            number,
            vec![EntityRef::Event(event)],
            move |ctx, incident, who| {
                let mut e = take_event(ctx, 1, event)
                    .map_err(|_| DomainError::field("event", format!("no event {event}")))?;
                incident.link_event(&mut e, who, ctx.now)?;
                let action =
                    JournalAction::IncidentEventLinked(IncidentEventLinked { event, rule: None });
                Ok((
                    JournalDraft::new(number, action),
                    vec![Write::Update(Entity::Event(Box::new(e)))],
                ))
            },
        )
        .await
    }

    pub async fn transition(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        request: TransitionRequest,
    ) -> Result<Incident, AppError> {
        actor.require(Action::TransitionIncident)?;
        self.change_incident(actor, number, vec![], move |ctx, incident, who| {
            who.require(request.required_action(incident.status))?;
            let (to, reason, resolution) = (
                request.to,
                request.reason.clone(),
                request.resolution.clone(),
            );
            let from = incident.transition(request, who, ctx.now)?;
            // The times as the move left them, so the journal alone gives the record.
            let action = JournalAction::IncidentTransition(IncidentTransition {
                from,
                to,
                reason,
                resolution,
                contained_at: Some(incident.contained_at),
                ended_at: Some(incident.ended_at),
                impact_ended_at: Some(incident.impact_ended_at),
            });
            Ok((JournalDraft::new(number, action), vec![]))
        })
        .await
    }

    pub async fn add_log(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        entry: NewLogEntry,
    ) -> Result<LogEntry, AppError> {
        actor.require(Action::WriteLog)?;
        let incident = self
            .change_incident(actor, number, vec![], move |ctx, incident, who| {
                let added = incident.add_log(entry, who, ctx.now)?;
                Ok((
                    JournalDraft::new(number, JournalAction::IncidentLog(added.clone())),
                    vec![],
                ))
            })
            .await?;
        incident
            .log
            .last()
            .cloned()
            .ok_or_else(|| not_found("log entry"))
    }

    pub async fn add_action(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: NewAction,
    ) -> Result<ResponseAction, AppError> {
        actor.require(Action::ManageActions)?;
        let incident = self
            .change_incident(actor, number, vec![], move |ctx, incident, who| {
                let added = incident.add_action(input, who, ctx.now)?;
                Ok((
                    JournalDraft::new(number, JournalAction::IncidentActionAdded(added.clone())),
                    vec![],
                ))
            })
            .await?;
        incident
            .actions
            .last()
            .cloned()
            .ok_or_else(|| not_found("action"))
    }

    pub async fn update_action(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        id: u32,
        update: ActionUpdate,
    ) -> Result<ResponseAction, AppError> {
        actor.require(Action::ManageActions)?;
        let incident = self
            .change_incident(actor, number, vec![], move |ctx, incident, who| {
                let updated = incident.update_action(id, update, who, ctx.now)?;
                Ok((
                    JournalDraft::new(
                        number,
                        JournalAction::IncidentActionUpdated(updated.clone()),
                    ),
                    vec![],
                ))
            })
            .await?;
        incident
            .actions
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| not_found(format!("action {id}")))
    }

    pub async fn record_review(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: ReviewInput,
    ) -> Result<Review, AppError> {
        actor.require(Action::RecordReview)?;
        let incident = self
            .change_incident(actor, number, vec![], move |ctx, incident, who| {
                let review = incident.record_review(input, who, ctx.now)?;
                Ok((
                    JournalDraft::new(number, JournalAction::IncidentReview(review.clone())),
                    vec![],
                ))
            })
            .await?;
        incident.review.ok_or_else(|| not_found("review"))
    }
}
