//! Triage at volume: many events assessed at once, each in its own unit of
//! work, and an event linked to an existing incident from triage.

use rampart_domain::{
    Action, Actor, AssessmentDecision, AssessmentInput, DomainError, Event, EventNumber,
    EventStatus, Incident, IncidentNumber, JournalAction, Text, Timestamp,
    journal::{EventAssessed, IncidentEventLinked},
};
use rampart_store::{Entity, EntityRef, JournalDraft};

use crate::evidence::Following;
use crate::unit::{Decided, Unit};
use crate::{App, AppError, ErrorKind};

/// The most events one bulk assessment takes.
pub const MAX_BULK: usize = 100;

/// What is done to every selected event.
#[derive(Debug, Clone)]
pub enum BulkDecision {
    /// Nothing happened; `reason` is recorded as the assessment's notes.
    FalseAlarm { reason: Text },
    /// Needs the ISIRT: escalated as a possible incident.
    PossibleIncident { notes: Option<Text> },
    /// Part of an existing incident: an event not yet assessed is assessed
    /// as a possible incident and linked in the same unit of work.
    Link { incident: IncidentNumber },
}

impl BulkDecision {
    /// The actions an actor needs for this decision.
    fn required(&self) -> &'static [Action] {
        match self {
            Self::FalseAlarm { .. } | Self::PossibleIncident { .. } => &[Action::AssessEvent],
            Self::Link { .. } => &[Action::AssessEvent, Action::LinkEvent],
        }
    }
}

/// How one item of a bulk assessment went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Done: the event's status now, and the incident it went to.
    Done {
        status: EventStatus,
        incident: Option<IncidentNumber>,
    },
    /// Refused, nothing changed: why, and what kind of refusal.
    Refused { reason: String, kind: ErrorKind },
}

/// One item's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    pub event: EventNumber,
    pub outcome: ItemOutcome,
}

impl ItemResult {
    pub fn is_done(&self) -> bool {
        matches!(self.outcome, ItemOutcome::Done { .. })
    }
}

/// Why an item was refused, as a person reads it.
fn reason(e: &AppError) -> String {
    match e.domain() {
        Some(DomainError::Invalid(errors)) => errors
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        Some(d) => d.to_string(),
        None => "the item could not be stored; try it again".to_owned(),
    }
}

/// Refuses an event that is no longer waiting for an assessment, naming who took it.
fn check_unassessed(event: &Event) -> Result<(), DomainError> {
    if matches!(event.status, EventStatus::Reported | EventStatus::Triage) {
        return Ok(());
    }
    Err(DomainError::Conflict(match &event.assessment {
        Some(a) => format!(
            "{} was already assessed by {} ({})",
            event.number,
            a.by,
            event.status.as_str().replace('_', " ")
        ),
        None => format!(
            "{} is no longer waiting for an assessment ({})",
            event.number,
            event.status.as_str().replace('_', " ")
        ),
    }))
}

/// The assessment's journal entry, as `App::assess_event` writes it.
fn assessed(e: &Event) -> JournalAction {
    JournalAction::EventAssessed(EventAssessed::ByContact {
        status: e.status,
        assessment: e.assessment.clone(),
    })
}

impl App {
    /// Assesses many events with one decision, item by item: each item is
    /// its own unit of work (done whole or not at all), and a refused item
    /// does not stop the others. The list is checked first: empty, too long
    /// or with an event named twice, nothing is done.
    pub async fn assess_many(
        &self,
        actor: &Actor,
        events: Vec<EventNumber>,
        decision: BulkDecision,
    ) -> Result<Vec<ItemResult>, AppError> {
        for action in decision.required() {
            actor.require(*action)?;
        }
        if events.is_empty() {
            return Err(DomainError::field("events", "name at least one event").into());
        }
        if events.len() > MAX_BULK {
            return Err(DomainError::field(
                "events",
                format!("at most {MAX_BULK} events at once; {} given", events.len()),
            )
            .into());
        }
        for (i, n) in events.iter().enumerate() {
            if events[..i].contains(n) {
                return Err(DomainError::field(
                    format!("events[{i}]"),
                    format!("{n} is listed twice"),
                )
                .into());
            }
        }
        let mut results = Vec::with_capacity(events.len());
        for number in events {
            let done = match &decision {
                BulkDecision::Link { incident } => self
                    .link_from_triage(actor, number, *incident)
                    .await
                    .map(|_| (EventStatus::Linked, Some(*incident))),
                other => self
                    .assess_one(actor, number, other.clone())
                    .await
                    .map(|e| (e.status, None)),
            };
            let outcome = match done {
                Ok((status, incident)) => ItemOutcome::Done { status, incident },
                Err(e) => {
                    if e.domain().is_none() {
                        tracing::warn!(error = %e.chain(), event = %number, "a bulk assessment item failed");
                    }
                    ItemOutcome::Refused {
                        reason: reason(&e),
                        kind: e.kind(),
                    }
                }
            };
            results.push(ItemResult {
                event: number,
                outcome,
            });
        }
        Ok(results)
    }

    /// One item of a bulk assessment (false alarm or possible incident).
    async fn assess_one(
        &self,
        actor: &Actor,
        number: EventNumber,
        decision: BulkDecision,
    ) -> Result<Event, AppError> {
        let input = match decision {
            BulkDecision::FalseAlarm { reason } => AssessmentInput {
                decision: AssessmentDecision::FalseAlarm,
                notes: Some(reason),
                escalate: false,
                category: None,
                rsit: None,
            },
            BulkDecision::PossibleIncident { notes } => AssessmentInput {
                decision: AssessmentDecision::PossibleIncident,
                notes,
                escalate: false,
                category: None,
                rsit: None,
            },
            BulkDecision::Link { .. } => {
                return Err(AppError::Internal("a link is not an assessment".into()));
            }
        };
        let who = actor.clone();
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Event>(EntityRef::Event(number));
        let unit = unit.decide(move |ctx| {
            let mut event = ctx.take(&loaded, || format!("event {number}"))?;
            check_unassessed(&event)?;
            event.assess(input, &who, ctx.now())?;
            Ok(Decided::new(event.clone())
                .journal(JournalDraft::new(number, assessed(&event)))
                .update(Entity::Event(Box::new(event))))
        });
        Ok(self.run(unit).await?.visible_to(actor))
    }

    /// Adds an event to an existing open incident from triage. An escalated
    /// event is linked as `link_event` does; one still waiting for its
    /// assessment (reported or in triage) is first assessed as a possible
    /// incident, both in one unit of work. An incident the actor may not
    /// see (need-to-know) does not exist for them.
    pub async fn link_from_triage(
        &self,
        actor: &Actor,
        event: EventNumber,
        number: IncidentNumber,
    ) -> Result<Incident, AppError> {
        self.link_into(actor, event, number, true).await
    }

    /// Links `event` to the open incident `number`, in one unit of work with
    /// the evidence secured for it in triage, which follows it. From triage
    /// (`from_triage`), an event still waiting for its assessment is first
    /// assessed as a possible incident.
    pub(crate) async fn link_into(
        &self,
        actor: &Actor,
        event: EventNumber,
        number: IncidentNumber,
        from_triage: bool,
    ) -> Result<Incident, AppError> {
        actor.require(Action::LinkEvent)?;
        let who = actor.clone();
        let secured = self.secured_in_triage(&[event]).await?;
        let mut unit = Unit::new(&actor.name);
        let loaded_incident = unit.load::<Incident>(EntityRef::Incident(number));
        let loaded_event = unit.load::<Event>(EntityRef::Event(event));
        let following = Following::load(&mut unit, secured);
        let unit = unit.decide(move |ctx| {
            let mut incident = ctx
                .take(&loaded_incident, String::new)
                .ok()
                .filter(|i| i.readable_by(&who))
                .ok_or_else(|| DomainError::NotFound(format!("incident {number}")))?;
            incident.ensure_not_merged()?;
            let mut e = ctx.take(&loaded_event, String::new).map_err(|_| {
                if from_triage {
                    DomainError::NotFound(format!("event {event}"))
                } else {
                    DomainError::field("event", format!("no event {event}"))
                }
            })?;
            let now: Timestamp = ctx.now();
            let mut assessment = None;
            if !from_triage {
                // The incident's own link checks the event's state.
            } else if matches!(e.status, EventStatus::Reported | EventStatus::Triage) {
                who.require(Action::AssessEvent)?;
                let note = Text::new(format!("Part of {number}, linked from triage"))
                    .map_err(|m| DomainError::field("incident", m))?;
                let input = AssessmentInput {
                    decision: AssessmentDecision::PossibleIncident,
                    notes: Some(note),
                    escalate: false,
                    category: Some(incident.category),
                    rsit: None,
                };
                e.assess(input, &who, now)?;
                assessment = Some(assessed(&e));
            } else if e.status != EventStatus::Escalated {
                return Err(DomainError::Conflict(match e.incident {
                    Some(i) => format!("{event} is already linked to {i}"),
                    None => format!(
                        "{event} was already assessed ({}); only an open event can join an incident",
                        e.status.as_str().replace('_', " ")
                    ),
                }));
            }
            incident.link_event(&mut e, &who, now)?;
            let mut decided = Decided::new(incident.clone());
            if let Some(action) = assessment {
                decided = decided.journal(JournalDraft::new(event, action));
            }
            let action =
                JournalAction::IncidentEventLinked(IncidentEventLinked { event, rule: None });
            let decided = decided
                .journal(JournalDraft::new(number, action))
                .update(Entity::Incident(Box::new(incident)))
                .update(Entity::Event(Box::new(e)));
            following.attach(ctx, &[event], number, decided)
        });
        self.run(unit).await
    }

    /// The open incidents an event may be added to, as the actor may see
    /// them: the related ones the event shares observables or assets with.
    pub async fn related_open_incidents(
        &self,
        actor: &Actor,
        event: &Event,
    ) -> Result<Vec<Incident>, AppError> {
        let mut open = Vec::new();
        if !actor.may(Action::ViewIncidents) {
            return Ok(open);
        }
        for c in &event.related {
            let Ok(n) = c.number.parse::<IncidentNumber>() else {
                continue;
            };
            match self.get_incident(actor, n).await {
                Ok(i) if i.status.is_open() => open.push(i),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(open)
    }
}
