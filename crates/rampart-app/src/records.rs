//! Events and incidents: reporting, triage and assessment of events, and the
//! incident record (confirmation, changes, links, transitions, the log,
//! response actions and the lessons-learned review).

use rampart_domain::{
    Action, ActionUpdate, Actor, AssessmentInput, DomainError, Event, EventNumber, EventReport,
    Incident, IncidentConfirmation, IncidentNumber, IncidentPatch, JournalAction, LogEntry,
    Measured, NewAction, NewLogEntry, Playbook, PlaybookId, ResponseAction, Role, Text, Timestamp,
    TransitionRequest,
    journal::{
        EventAssessed, EventLinked, EventRejected, EventTriage, FieldChange, IncidentRestricted,
        IncidentTransition, IncidentUpdated,
    },
};
use rampart_store::{
    Counts, Entity, EntityRef, EventQuery, EventSort, IncidentQuery, IncidentSort, JournalDraft,
    Page, User, Write,
};
use serde_json::Value;
use std::collections::HashMap;

use crate::evidence::Following;
use crate::unit::{Ctx, Decided, Loaded, Unit};
use crate::{App, AppError, not_found, to_value};

/// The coordinator must be a user who can handle incidents.
fn check_coordinator(ctx: &mut Ctx, user: &Loaded<User>, name: &str) -> Result<(), DomainError> {
    match ctx.maybe(user) {
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

    /// The first event a sensor sent under this name and reference (the
    /// one its repeats are counted on), when the actor may read it.
    pub async fn event_by_source(
        &self,
        actor: &Actor,
        name: &str,
        reference: &str,
    ) -> Result<Option<Event>, AppError> {
        if !actor.may(Action::ViewEvents) {
            actor.require(Action::ViewOwnEvents)?;
        }
        let key = EntityRef::EventBySource {
            name: name.to_owned(),
            reference: reference.to_owned(),
        };
        let Some(first) = self.store.get(&key).await?.and_then(Entity::into_event) else {
            return Ok(None);
        };
        match self.get_event(actor, first.number).await {
            Ok(event) => Ok(Some(event)),
            Err(e) if e.kind() == crate::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
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
        if query.sort == EventSort::Due && query.lanes.is_none() {
            query.lanes = Some(self.target_lanes(Measured::Event, None).await?);
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
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Event>(EntityRef::Event(number));
        let unit = unit.decide(move |ctx| {
            let mut event = ctx.take(&loaded, || format!("event {number}"))?;
            let action = change(&mut event, &who, ctx.now())?;
            Ok(Decided::new(event.clone())
                .update(Entity::Event(Box::new(event)))
                .journal(JournalDraft::new(number, action)))
        });
        Ok(self.run(unit).await?.visible_to(actor))
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
        if let Some(category) = input.category {
            self.current_scale()
                .await?
                .require_active(category, "category")?;
        }
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
        let scale = self.current_scale().await?;
        scale.require_active(input.category, "category")?;
        let who = actor.clone();
        let event_numbers = input.events.clone();
        let secured = self.secured_in_triage(&event_numbers).await?;
        let mut unit = Unit::new(&actor.name);
        let loaded: Vec<Loaded<Event>> = input
            .events
            .iter()
            .map(|n| unit.load(EntityRef::Event(*n)))
            .collect();
        let following = Following::load(&mut unit, secured);
        let coordinator = unit.load::<User>(EntityRef::User(input.coordinator.clone()));
        let books: Vec<(PlaybookId, Loaded<Playbook>)> = input
            .playbooks
            .iter()
            .map(|id| (id.clone(), unit.load(EntityRef::Playbook(id.clone()))))
            .collect();
        if !books.is_empty() {
            actor.require(Action::ApplyPlaybook)?;
        }
        let allocated = unit.allocate::<IncidentNumber>();
        let unit = unit.decide(move |ctx| {
            let number = ctx.number(&allocated)?;
            check_coordinator(ctx, &coordinator, &input.coordinator)?;
            let mut events = Vec::with_capacity(loaded.len());
            for (i, (handle, n)) in loaded.iter().zip(&input.events).enumerate() {
                events.push(ctx.take(handle, String::new).map_err(|_| {
                    DomainError::field(format!("events[{i}]"), format!("no event {n}"))
                })?);
            }
            let mut playbooks = Vec::with_capacity(books.len());
            for (i, (id, handle)) in books.iter().enumerate() {
                playbooks.push(ctx.maybe(handle).ok_or_else(|| {
                    DomainError::field(format!("playbooks[{i}]"), format!("no playbook `{id}`"))
                })?);
            }
            let mut incident = Incident::confirm(number, input, &mut events, &who, ctx.now())?;
            incident.classify_under(&scale);
            // Proposed and confirmed with the incident: due from the confirmation.
            for playbook in &playbooks {
                incident.apply_playbook(playbook, None, &who, ctx.now())?;
            }
            let mut decided = Decided::new(incident.clone())
                .journal(JournalDraft::new(
                    number,
                    JournalAction::IncidentConfirmed(Box::new(incident.clone())),
                ))
                .insert(Entity::Incident(Box::new(incident)));
            for e in events {
                decided = decided
                    .journal(JournalDraft::new(
                        e.number,
                        JournalAction::EventLinked(EventLinked {
                            status: e.status,
                            incident: number,
                        }),
                    ))
                    .update(Entity::Event(Box::new(e)));
            }
            following.attach(ctx, &event_numbers, number, decided)
        });
        self.run(unit).await
    }

    /// One incident (with its log, actions and review).
    pub async fn get_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
    ) -> Result<Incident, AppError> {
        actor.require(Action::ViewIncidents)?;
        // Need-to-know: a restricted incident does not exist for anyone not named.
        let mut incident = self
            .store
            .get(&EntityRef::Incident(number))
            .await?
            .and_then(Entity::into_incident)
            .filter(|i| i.readable_by(actor))
            .ok_or_else(|| not_found(format!("incident {number}")))?;
        self.hide_restricted_related(actor, &mut incident, &mut HashMap::new())
            .await?;
        Ok(incident)
    }

    /// Need-to-know: the related incidents an incident names are only those
    /// the reader may see (`seen` remembers each answer across a page).
    async fn hide_restricted_related(
        &self,
        actor: &Actor,
        incident: &mut Incident,
        seen: &mut HashMap<IncidentNumber, bool>,
    ) -> Result<(), AppError> {
        let mut kept = Vec::with_capacity(incident.related_incidents.len());
        for n in std::mem::take(&mut incident.related_incidents) {
            let visible = match seen.get(&n) {
                Some(v) => *v,
                None => {
                    let v = self
                        .store
                        .get(&EntityRef::Incident(n))
                        .await?
                        .and_then(Entity::into_incident)
                        .is_some_and(|i| i.readable_by(actor));
                    seen.insert(n, v);
                    v
                }
            };
            if visible {
                kept.push(n);
            }
        }
        incident.related_incidents = kept;
        Ok(())
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
        if query.sort == IncidentSort::Due && query.lanes.is_none() {
            query.lanes = Some(self.target_lanes(Measured::Incident, None).await?);
        }
        let mut page = self.store.list_incidents(&query).await?;
        let mut seen = HashMap::new();
        for incident in &mut page.items {
            self.hide_restricted_related(actor, incident, &mut seen)
                .await?;
        }
        Ok(page)
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

    /// Open incidents the actor may see with response actions overdue now,
    /// the most overdue first, at most `limit`; and whether there are more.
    pub async fn overdue_actions(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<(Vec<Incident>, bool), AppError> {
        actor.require(Action::ViewIncidents)?;
        let now = self.clock().now();
        let (mut incidents, more) = self.store.overdue_actions(&actor.name, now, limit).await?;
        let mut seen = HashMap::new();
        for incident in &mut incidents {
            self.hide_restricted_related(actor, incident, &mut seen)
                .await?;
        }
        Ok((incidents, more))
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
        let load = names.clone();
        let (incident, ()) = self
            .change_incident(
                actor,
                number,
                move |unit| {
                    load.into_iter()
                        .map(|name| unit.load::<User>(EntityRef::User(name)))
                        .collect::<Vec<_>>()
                },
                move |ctx, incident, who, users| {
                    for (i, (user, name)) in users.iter().zip(&names).enumerate() {
                        if ctx.maybe(user).is_none_or(|u| u.disabled) {
                            return Err(DomainError::field(
                                format!("users[{i}]"),
                                format!("no active user named `{name}`"),
                            ));
                        }
                    }
                    incident.restrict(names, who, ctx.now())?;
                    let action = JournalAction::IncidentRestricted(IncidentRestricted {
                        restricted_to: incident.restricted_to.clone(),
                    });
                    Ok(((), action, vec![]))
                },
            )
            .await?;
        Ok(incident)
    }

    /// Publishes an incident on the MISP feed for an audience, or withdraws
    /// it (`incident.published`): those who approve communications.
    pub async fn publish_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        audience: Option<rampart_domain::Tlp>,
    ) -> Result<Incident, AppError> {
        actor.require(Action::ApproveCommunication)?;
        let (incident, ()) = self
            .change_incident(
                actor,
                number,
                |_| (),
                move |ctx, incident, _who, ()| {
                    incident.publish(audience, ctx.now())?;
                    let action = JournalAction::IncidentPublished(
                        rampart_domain::journal::IncidentPublished {
                            published: incident.published,
                        },
                    );
                    Ok(((), action, vec![]))
                },
            )
            .await?;
        Ok(incident)
    }

    /// The incidents on the MISP feed of `audience`: published for it or a
    /// wider one, marked no more narrowly, that the actor may read; newest
    /// first, at most [`rampart_store::MAX_PAGE`].
    pub async fn published_for(
        &self,
        actor: &Actor,
        audience: rampart_domain::Tlp,
    ) -> Result<Vec<Incident>, AppError> {
        actor.require(Action::ViewIncidents)?;
        Ok(self
            .store
            .list_published(rampart_store::MAX_PAGE)
            .await?
            .into_iter()
            .filter(|i| {
                i.published.is_some_and(|p| p.rank() <= audience.rank())
                    && i.tlp.rank() <= audience.rank()
                    && i.restricted_to.is_empty()
                    && i.exercise.is_none()
                    && i.readable_by(actor)
            })
            .collect())
    }

    /// Runs a change on one incident and journals it. `extra` names more
    /// records to load (a coordinator, an event to link); the change gets
    /// their handles, returns its own result, the journal action and any
    /// further writes.
    pub(crate) async fn change_incident<H, T>(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        extra: impl FnOnce(&mut Unit) -> H,
        change: impl FnOnce(
            &mut Ctx,
            &mut Incident,
            &Actor,
            H,
        ) -> Result<(T, JournalAction, Vec<Write>), DomainError>
        + Send
        + 'static,
    ) -> Result<(Incident, T), AppError>
    where
        H: Send + 'static,
        T: Send + 'static,
    {
        let who = actor.clone();
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Incident>(EntityRef::Incident(number));
        let handles = extra(&mut unit);
        let unit = unit.decide(move |ctx| {
            let mut incident = ctx.take(&loaded, || format!("incident {number}"))?;
            if !incident.readable_by(&who) {
                return Err(DomainError::NotFound(format!("incident {number}")));
            }
            incident.ensure_not_merged()?;
            let (output, action, writes) = change(ctx, &mut incident, &who, handles)?;
            let mut decided = Decided::new((incident.clone(), output))
                .update(Entity::Incident(Box::new(incident)))
                .journal(JournalDraft::new(number, action));
            for write in writes {
                decided = decided.write(write);
            }
            Ok(decided)
        });
        self.run(unit).await
    }

    pub async fn patch_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        patch: IncidentPatch,
    ) -> Result<Incident, AppError> {
        let related = patch.related_incidents.clone().unwrap_or_default();
        let required = patch.required_actions();
        let coordinator = patch.coordinator.clone();
        self.update_incident(
            actor,
            number,
            &required,
            coordinator,
            related,
            |i| format!("related_incidents[{i}]"),
            move |_| Ok(patch),
        )
        .await
    }

    /// Relates another incident to this one. The other incident must exist
    /// and be visible to the actor.
    pub async fn link_related(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        other: IncidentNumber,
    ) -> Result<Incident, AppError> {
        self.update_incident(
            actor,
            number,
            &[Action::UpdateIncident],
            None,
            vec![other],
            |_| "incident".to_owned(),
            move |incident| {
                if other == incident.number {
                    return Err(DomainError::field(
                        "incident",
                        "an incident cannot be related to itself",
                    ));
                }
                if incident.related_incidents.contains(&other) {
                    return Err(DomainError::field(
                        "incident",
                        format!("{other} is already related"),
                    ));
                }
                let mut list = incident.related_incidents.clone();
                list.push(other);
                Ok(IncidentPatch {
                    related_incidents: Some(list),
                    ..IncidentPatch::default()
                })
            },
        )
        .await
    }

    /// Takes a related incident off this one's list.
    pub async fn unlink_related(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        other: IncidentNumber,
    ) -> Result<Incident, AppError> {
        self.update_incident(
            actor,
            number,
            &[Action::UpdateIncident],
            None,
            vec![],
            |_| "incident".to_owned(),
            move |incident| {
                if !incident.related_incidents.contains(&other) {
                    return Err(DomainError::field(
                        "incident",
                        format!("{other} is not related to {}", incident.number),
                    ));
                }
                let mut list = incident.related_incidents.clone();
                list.retain(|n| *n != other);
                Ok(IncidentPatch {
                    related_incidents: Some(list),
                    ..IncidentPatch::default()
                })
            },
        )
        .await
    }

    /// Changes an incident's fields by a patch made from the incident as
    /// loaded; journals each changed field before and after. Incidents the
    /// patch newly relates must exist and be visible to the actor (otherwise
    /// refused on the field `related_field` names, as if they did not exist).
    #[allow(
        clippy::too_many_arguments,
        reason = "one private entry shared by the patch and the link forms"
    )]
    async fn update_incident(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        required: &[Action],
        coordinator: Option<String>,
        related: Vec<IncidentNumber>,
        related_field: fn(usize) -> String,
        make: impl FnOnce(&Incident) -> Result<IncidentPatch, DomainError> + Send + 'static,
    ) -> Result<Incident, AppError> {
        for action in required {
            actor.require(*action)?;
        }
        let scale = self.current_scale().await?;
        let extra = coordinator.clone();
        let (incident, ()) = self
            .change_incident(
                actor,
                number,
                move |unit| {
                    let user = extra.map(|name| unit.load::<User>(EntityRef::User(name)));
                    let mut related = related;
                    related.sort();
                    related.dedup();
                    let others: Vec<_> = related
                        .into_iter()
                        .filter(|n| *n != number)
                        .map(|n| (n, unit.load::<Incident>(EntityRef::Incident(n))))
                        .collect();
                    (user, others)
                },
                move |ctx, incident, who, (user, others)| {
                    if let (Some(name), Some(user)) = (&coordinator, &user) {
                        check_coordinator(ctx, user, name)?;
                    }
                    let patch = make(incident)?;
                    let visible: Vec<IncidentNumber> = others
                        .iter()
                        .filter_map(|(n, h)| {
                            ctx.maybe(h).filter(|o| o.readable_by(who)).map(|_| *n)
                        })
                        .collect();
                    for (i, n) in patch.related_incidents.iter().flatten().enumerate() {
                        if *n == incident.number || incident.related_incidents.contains(n) {
                            continue;
                        }
                        if !visible.contains(n) {
                            return Err(DomainError::field(
                                related_field(i),
                                format!("no incident {n}"),
                            ));
                        }
                    }
                    let before = to_value(incident);
                    let changed = incident.apply_patch_under(patch, who, ctx.now(), &scale)?;
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
                        (),
                        JournalAction::IncidentUpdated(IncidentUpdated { changed }),
                        vec![],
                    ))
                },
            )
            .await?;
        let mut incident = incident;
        self.hide_restricted_related(actor, &mut incident, &mut HashMap::new())
            .await?;
        Ok(incident)
    }

    pub async fn link_event(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        event: EventNumber,
    ) -> Result<Incident, AppError> {
        self.link_into(actor, event, number, false).await
    }

    pub async fn transition(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        request: TransitionRequest,
    ) -> Result<Incident, AppError> {
        actor.require(Action::TransitionIncident)?;
        let (incident, ()) = self
            .change_incident(
                actor,
                number,
                |_| (),
                move |ctx, incident, who, ()| {
                    who.require(request.required_action(incident.status))?;
                    let (to, reason, resolution) = (
                        request.to,
                        request.reason.clone(),
                        request.resolution.clone(),
                    );
                    let from = incident.transition(request, who, ctx.now())?;
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
                    Ok(((), action, vec![]))
                },
            )
            .await?;
        Ok(incident)
    }

    pub async fn add_log(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        entry: NewLogEntry,
    ) -> Result<LogEntry, AppError> {
        actor.require(Action::WriteLog)?;
        if let Some(cite) = &entry.cites {
            self.check_citation(cite)
                .await
                .map_err(|m| DomainError::field("cites", m))?;
        }
        self.add_to_incident(
            actor,
            number,
            JournalAction::IncidentLog,
            move |i, who, now| Ok(i.add_log(entry, who, now)?.clone()),
        )
        .await
    }

    pub async fn add_action(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: NewAction,
    ) -> Result<ResponseAction, AppError> {
        actor.require(Action::ManageActions)?;
        if let Some(cite) = &input.procedure {
            self.check_citation(cite)
                .await
                .map_err(|m| DomainError::field("procedure", m))?;
        }
        self.add_to_incident(
            actor,
            number,
            JournalAction::IncidentActionAdded,
            move |i, who, now| Ok(i.add_action(input, who, now)?.clone()),
        )
        .await
    }

    pub async fn update_action(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        id: u32,
        update: ActionUpdate,
    ) -> Result<ResponseAction, AppError> {
        actor.require(Action::ManageActions)?;
        self.add_to_incident(
            actor,
            number,
            JournalAction::IncidentActionUpdated,
            move |i, who, now| Ok(i.update_action(id, update, who, now)?.clone()),
        )
        .await
    }

    /// Adds a part to an incident's record (a log entry, an action, the
    /// review) and journals it as `action`; returns the part as written.
    pub(crate) async fn add_to_incident<T: Clone + Send + 'static>(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        action: fn(T) -> JournalAction,
        add: impl FnOnce(&mut Incident, &Actor, Timestamp) -> Result<T, DomainError> + Send + 'static,
    ) -> Result<T, AppError> {
        let (_, added) = self
            .change_incident(
                actor,
                number,
                |_| (),
                move |ctx, incident, who, ()| {
                    let added = add(incident, who, ctx.now())?;
                    Ok((added.clone(), action(added), vec![]))
                },
            )
            .await?;
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::{EventStatus, IncidentStatus, Role};
    use serde_json::json;

    use crate::ErrorKind;
    use crate::testing::{TestApp, from_json, report};

    #[tokio::test]
    async fn an_event_is_triaged_assessed_and_confirmed_as_an_incident() {
        let t = TestApp::new().await;
        let poc = t.user("pat", &[Role::Poc]).await;
        let ian = t.user("ian", &[Role::IsirtMember]).await;
        let event = t.app.report_event(&poc, report("Odd logins")).await;
        let event = event.unwrap().number;
        let triaged = t.app.triage_event(&poc, event).await.unwrap();
        assert_eq!(triaged.status, EventStatus::Triage);
        let escalate = from_json(json!({"decision": "possible_incident", "escalate": true}));
        let assessed = t.app.assess_event(&poc, event, escalate).await.unwrap();
        assert_eq!(assessed.status, EventStatus::Escalated);

        let n = t.confirm(&ian, event).await;
        let (incident, events) = t.app.incident_with_events(&ian, n).await.unwrap();
        assert_eq!(incident.status, IncidentStatus::Confirmed);
        assert_eq!(
            (incident.coordinator.as_str(), incident.events),
            ("ian", vec![event])
        );
        assert_eq!(events[0].status, EventStatus::Linked);
        let journal = [
            "event.reported",
            "event.triage",
            "event.assessed",
            "event.linked",
        ];
        assert_eq!(t.actions(event).await, journal);
        assert_eq!(t.actions(n).await, ["incident.confirmed"]);
    }

    #[tokio::test]
    async fn an_incident_closes_only_with_a_resolution_and_a_member_cannot_mark_it_reviewed() {
        let t = TestApp::new().await;
        let poc = t.user("pat", &[Role::Poc]).await;
        let ian = t.user("ian", &[Role::IsirtMember]).await;
        let n = t.incident(&poc, &ian).await;
        for to in ["responding", "recovering"] {
            let request = from_json(json!({"to": to, "reason": "moving on"}));
            t.app.transition(&ian, n, request).await.unwrap();
        }
        let mut close = json!({"to": "closed", "reason": "done"});
        let refused = t.app.transition(&ian, n, from_json(close.clone())).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Invalid);
        let unchanged = t.app.get_incident(&ian, n).await.unwrap();
        assert_eq!(unchanged.status, IncidentStatus::Recovering);

        close["resolution"] = json!("Hosts rebuilt from clean images");
        let closed = t.app.transition(&ian, n, from_json(close)).await.unwrap();
        assert_eq!(closed.status, IncidentStatus::Closed);
        let reviewed = from_json(json!({"to": "reviewed", "reason": "lessons learned"}));
        let refused = t.app.transition(&ian, n, reviewed).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
        let moves = t
            .actions(n)
            .await
            .into_iter()
            .filter(|a| a == "incident.transition");
        assert_eq!(moves.count(), 3);
    }

    #[tokio::test]
    async fn a_reporter_may_not_triage_and_sees_only_their_own_events() {
        let t = TestApp::new().await;
        let rita = t.user("rita", &[Role::Reporter]).await;
        let rob = t.user("rob", &[Role::Reporter]).await;
        let event = t.app.report_event(&rita, report("Lost laptop")).await;
        let n = event.unwrap().number;
        let refused = t.app.triage_event(&rita, n).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);
        assert_eq!(t.actions(n).await, ["event.reported"]);

        assert!(t.app.get_event(&rita, n).await.is_ok());
        let hidden = t.app.get_event(&rob, n).await.unwrap_err();
        assert_eq!(hidden.kind(), ErrorKind::NotFound);
        let listed = t.app.list_events(&rob, Default::default()).await.unwrap();
        assert!(listed.items.is_empty());
    }
}
