//! Merging one incident into another, in one unit of work: both incidents,
//! the events and the evidence items that move, and every journal entry
//! (`incident.merged_into`, `incident.merged_from`, one `evidence.moved` per
//! item) are written together or not at all.

use rampart_domain::{
    Action, Actor, DomainError, Event, EvidenceItem, EvidenceNumber, Incident, IncidentNumber,
    JournalAction, MergeRequest, journal::EvidenceMoved,
};
use rampart_store::{Entity, EntityRef, EvidenceQuery, JournalDraft};

use crate::unit::{Decided, Unit};
use crate::{App, AppError};

impl App {
    /// Merges `request.from` into `into`; returns the incident merged into.
    pub async fn merge_incidents(
        &self,
        actor: &Actor,
        into: IncidentNumber,
        request: MergeRequest,
    ) -> Result<Incident, AppError> {
        actor.require(Action::MergeIncidents)?;
        let from = request.from;
        let no_such = move || DomainError::field("from", format!("no incident {from}"));
        if from == into {
            // Refused before anything is read; the domain refuses it too.
            return Err(
                DomainError::field("from", "an incident cannot be merged into itself").into(),
            );
        }
        // What moves is read first; the unit then loads exactly those
        // records and refuses if the incident changed in between.
        self.get_incident(actor, into).await?;
        let other = self
            .store
            .get(&EntityRef::Incident(from))
            .await?
            .and_then(Entity::into_incident)
            .filter(|i| i.readable_by(actor))
            .ok_or_else(no_such)?;
        let events = other.events.clone();
        let evidence = self.evidence_of(from).await?;

        let who = actor.clone();
        let reason = request.reason;
        let mut unit = Unit::new(&actor.name);
        let loaded_into = unit.load::<Incident>(EntityRef::Incident(into));
        let loaded_from = unit.load::<Incident>(EntityRef::Incident(from));
        let loaded_events: Vec<_> = events
            .iter()
            .map(|n| (*n, unit.load::<Event>(EntityRef::Event(*n))))
            .collect();
        let loaded_items: Vec<_> = evidence
            .iter()
            .map(|n| (*n, unit.load::<EvidenceItem>(EntityRef::Evidence(*n))))
            .collect();
        let unit = unit.decide(move |ctx| {
            let mut a = ctx
                .maybe(&loaded_into)
                .filter(|i| i.readable_by(&who))
                .ok_or_else(|| DomainError::NotFound(format!("incident {into}")))?;
            let mut b = ctx
                .maybe(&loaded_from)
                .filter(|i| i.readable_by(&who))
                .ok_or_else(no_such)?;
            if b.events != events {
                return Err(DomainError::Conflict(format!(
                    "{from} changed while it was being merged; try again"
                )));
            }
            let mut moved_events: Vec<Event> = Vec::with_capacity(loaded_events.len());
            for (n, handle) in &loaded_events {
                let mut e = ctx.take(handle, || format!("event {n}"))?;
                if e.incident == Some(from) {
                    e.incident = Some(into);
                    moved_events.push(e);
                }
            }
            let mut items: Vec<EvidenceItem> = Vec::with_capacity(loaded_items.len());
            for (n, handle) in &loaded_items {
                let item = ctx.take(handle, || format!("evidence {n}"))?;
                if item.incident != Some(from) {
                    return Err(DomainError::Conflict(format!(
                        "{from} changed while it was being merged; try again"
                    )));
                }
                items.push(item);
            }
            let numbers: Vec<EvidenceNumber> = items.iter().map(|i| i.number).collect();
            let merged = a.merge_from(&mut b, &numbers, reason.clone(), &who, ctx.now())?;
            // Only the events the incident merged into did not hold yet change.
            moved_events.retain(|e| merged.into.events.contains(&e.number));
            let mut decided = Decided::new(a.clone())
                .journal(JournalDraft::new(
                    from,
                    JournalAction::IncidentMergedInto(merged.from),
                ))
                .journal(JournalDraft::new(
                    into,
                    JournalAction::IncidentMergedFrom(Box::new(merged.into)),
                ))
                .update(Entity::Incident(Box::new(b)))
                .update(Entity::Incident(Box::new(a)));
            for e in moved_events {
                decided = decided.update(Entity::Event(Box::new(e)));
            }
            for mut item in items {
                item.incident = Some(into);
                let action = JournalAction::EvidenceMoved(EvidenceMoved {
                    from,
                    to: into,
                    reason: reason.clone(),
                });
                decided = decided
                    .journal(JournalDraft::new(item.number, action))
                    .update(Entity::Evidence(Box::new(item)));
            }
            Ok(decided)
        });
        self.run(unit).await
    }

    /// Every evidence item of an incident, in the order recorded.
    async fn evidence_of(&self, incident: IncidentNumber) -> Result<Vec<EvidenceNumber>, AppError> {
        self.evidence_numbers(EvidenceQuery {
            incident: Some(incident),
            ..Default::default()
        })
        .await
    }
}
