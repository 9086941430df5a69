//! Evidence secured while an event was in triage follows the event into the
//! incident it is confirmed as or added to: in the same unit of work as the
//! link, each item gets the incident and an `evidence.attached` entry.

use rampart_domain::journal::EvidenceAttached;
use rampart_domain::{
    DomainError, EventNumber, EvidenceItem, EvidenceNumber, IncidentNumber, JournalAction,
};
use rampart_store::{Entity, EntityRef, EvidenceQuery, JournalDraft};

use crate::unit::{Ctx, Decided, Loaded, Unit};
use crate::{App, AppError};

/// The items of some events, loaded in a unit so they can follow them.
pub(crate) struct Following(Vec<(EvidenceNumber, Loaded<EvidenceItem>)>);

impl App {
    /// The items secured for `events` that belong to no incident yet, read
    /// before the unit that links the events; the unit loads them again.
    pub(crate) async fn secured_in_triage(
        &self,
        events: &[EventNumber],
    ) -> Result<Vec<EvidenceNumber>, AppError> {
        let mut all = Vec::new();
        for event in events {
            let query = EvidenceQuery {
                event: Some(*event),
                in_triage_only: true,
                ..Default::default()
            };
            all.extend(self.evidence_numbers(query).await?);
        }
        Ok(all)
    }
}

impl Following {
    /// Loads the items in `unit`.
    pub(crate) fn load(unit: &mut Unit, numbers: Vec<EvidenceNumber>) -> Self {
        Self(
            numbers
                .into_iter()
                .map(|n| (n, unit.load::<EvidenceItem>(EntityRef::Evidence(n))))
                .collect(),
        )
    }

    /// Gives every item still held by one of `events` to `incident`, with
    /// its `evidence.attached` entry.
    pub(crate) fn attach<T>(
        self,
        ctx: &mut Ctx,
        events: &[EventNumber],
        incident: IncidentNumber,
        mut decided: Decided<T>,
    ) -> Result<Decided<T>, DomainError> {
        for (n, handle) in &self.0 {
            let mut item = ctx.take(handle, || format!("evidence {n}"))?;
            let held = item.incident.is_none() && item.event.is_some_and(|e| events.contains(&e));
            if !held {
                continue;
            }
            let event = item.attach(incident)?;
            let action = JournalAction::EvidenceAttached(EvidenceAttached { event, incident });
            decided = decided
                .journal(JournalDraft::new(item.number, action))
                .update(Entity::Evidence(Box::new(item)));
        }
        Ok(decided)
    }
}
