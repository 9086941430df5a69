//! Merging one incident into another: the ISIRT finds two incidents are
//! one. The merged incident's events, observables (those of the same type
//! and value folded), log entries, response actions and related incidents
//! move to the incident it is merged into; it is closed as merged, names
//! the other in `merged_into`, and no longer changes.

use serde::Deserialize;

use crate::incident::MAX_ITEMS;
use crate::{Actor, EvidenceNumber};
use crate::{
    DomainError, EventNumber, Incident, IncidentNumber, IncidentObservable, IncidentStatus,
    LogEntry, LogKind, MAX_OBSERVABLES, MAX_PEOPLE, ResponseAction, Text, Timestamp,
    journal::{IncidentMergedFrom, IncidentMergedInto},
};

/// A merge as submitted: the incident to merge into the one addressed.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The incident merged into the one addressed; it is closed as merged.
    pub from: IncidentNumber,
    /// Why the two are one incident.
    pub reason: Text,
}

/// What a merge moved, as the journal records it on each side.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The entry on the incident merged into.
    pub into: IncidentMergedFrom,
    /// The entry on the incident merged.
    pub from: IncidentMergedInto,
}

impl Incident {
    /// Refuses any change once the incident was merged into another.
    pub fn ensure_not_merged(&self) -> Result<(), DomainError> {
        match self.merged_into {
            Some(into) => Err(DomainError::Conflict(format!(
                "{} was merged into {into} and no longer changes; work on {into}",
                self.number
            ))),
            None => Ok(()),
        }
    }

    /// Merges `other` into this incident. Both must be open; a restricted
    /// incident is merged only into one whose readers may all see it, so the
    /// merge never widens who sees its content. `evidence` names the items
    /// that move with it (their records change beside this).
    pub fn merge_from(
        &mut self,
        other: &mut Incident,
        evidence: &[EvidenceNumber],
        reason: Text,
        by: &Actor,
        now: Timestamp,
    ) -> Result<Merged, DomainError> {
        let (a, b) = (self.number, other.number);
        if a == b {
            return Err(DomainError::field(
                "from",
                "an incident cannot be merged into itself",
            ));
        }
        self.ensure_not_merged()?;
        other.ensure_not_merged()?;
        if self.exercise != other.exercise {
            return Err(DomainError::field(
                "from",
                format!(
                    "{a} and {b} are not of the same exercise: an exercise's incidents stay apart from real ones"
                ),
            ));
        }
        for inc in [&*self, &*other] {
            if !inc.status.is_open() {
                return Err(DomainError::Conflict(format!(
                    "{} is {}; only open incidents are merged",
                    inc.number, inc.status
                )));
            }
        }
        let widens = !other.restricted_to.is_empty()
            && (self.restricted_to.is_empty()
                || self
                    .restricted_to
                    .iter()
                    .any(|u| !other.restricted_to.contains(u)));
        if widens {
            return Err(DomainError::field(
                "from",
                format!(
                    "{b} is restricted to named people and {a} would show its content to others; \
                     restrict {a} to people who may see {b} first"
                ),
            ));
        }
        let events: Vec<EventNumber> = other
            .events
            .iter()
            .copied()
            .filter(|e| !self.events.contains(e))
            .collect();
        if self.events.len() + events.len() > MAX_ITEMS
            || self.log.len() + other.log.len() + 1 > MAX_ITEMS
            || self.actions.len() + other.actions.len() > MAX_ITEMS
        {
            return Err(DomainError::field(
                "from",
                format!("{a} would hold more than {MAX_ITEMS} events, log entries or actions"),
            ));
        }
        let related: Vec<IncidentNumber> = std::iter::once(b)
            .chain(other.related_incidents.iter().copied())
            .filter(|n| *n != a)
            .fold(Vec::new(), |mut list, n| {
                if !self.related_incidents.contains(&n) && !list.contains(&n) {
                    list.push(n);
                }
                list
            });
        if self.related_incidents.len() + related.len() > MAX_PEOPLE {
            return Err(DomainError::field(
                "from",
                format!("{a} would name more than {MAX_PEOPLE} related incidents"),
            ));
        }

        // Observables: one of the same type and value already on this
        // incident takes the other in (folded); removed ones move as they are.
        let mut observables: Vec<IncidentObservable> = Vec::new();
        let mut folded: Vec<String> = Vec::new();
        for o in &other.observables {
            let taken = !o.is_removed()
                && self
                    .active_observables()
                    .chain(observables.iter().filter(|x| !x.is_removed()))
                    .any(|x| x.kind == o.kind && x.value == o.value);
            if taken {
                folded.push(o.key());
                continue;
            }
            let mut moved = o.clone();
            moved.id =
                u32::try_from(self.observables.len() + observables.len() + 1).unwrap_or(u32::MAX);
            observables.push(moved);
        }
        if self.observables.len() + observables.len() > MAX_OBSERVABLES {
            return Err(DomainError::field(
                "from",
                format!("{a} would hold more than {MAX_OBSERVABLES} observables"),
            ));
        }
        let assets: Vec<Text> = other
            .assets
            .iter()
            .filter(|x| !self.assets.contains(x))
            .fold(Vec::new(), |mut list, x| {
                if !list.contains(x) {
                    list.push(x.clone());
                }
                list
            });

        // This side: everything moved in, then one line saying what came.
        let log_start = self.log.len();
        for (i, line) in other.log.iter().enumerate() {
            let mut moved = line.clone();
            moved.id = u32::try_from(log_start + i + 1).unwrap_or(u32::MAX);
            self.log.push(moved);
        }
        let action_start = self.actions.len();
        let actions: Vec<ResponseAction> = other
            .actions
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let mut moved = x.clone();
                moved.id = u32::try_from(action_start + i + 1).unwrap_or(u32::MAX);
                moved
            })
            .collect();
        self.events.extend(events.iter().copied());
        self.assets.extend(assets.iter().cloned());
        self.observables.extend(observables.iter().cloned());
        self.actions.extend(actions.iter().cloned());
        self.related_incidents.extend(related.iter().copied());
        let summary = merge_summary(
            b,
            events.len(),
            observables.len(),
            folded.len(),
            other.log.len(),
            actions.len(),
            evidence.len(),
        );
        self.push_log(
            LogKind::Decision,
            summary,
            Some(reason.clone()),
            by,
            now,
            now,
        );
        let log: Vec<LogEntry> = self.log[log_start..].to_vec();

        // The other side: closed as merged, its parts moved away.
        let from_status = other.status;
        let resolution = Text::lossy(&format!("Merged into {a}: {reason}"));
        other.status = IncidentStatus::Closed;
        other.closed_at = Some(now);
        other.resolution = Some(resolution.clone());
        other.merged_into = Some(a);
        other.events.clear();
        other.observables.clear();
        other.actions.clear();
        other.push_log(
            LogKind::Transition,
            format!("status {from_status} -> closed: merged into {a}"),
            Some(reason.clone()),
            by,
            now,
            now,
        );

        Ok(Merged {
            into: IncidentMergedFrom {
                from: b,
                reason: reason.clone(),
                events,
                assets,
                observables,
                folded,
                log,
                actions,
                related_incidents: related,
                evidence: evidence.to_vec(),
            },
            from: IncidentMergedInto {
                into: a,
                reason,
                from: from_status,
                resolution,
            },
        })
    }
}

/// The line the incident merged into writes in its log.
pub fn merge_summary(
    from: IncidentNumber,
    events: usize,
    observables: usize,
    folded: usize,
    log: usize,
    actions: usize,
    evidence: usize,
) -> String {
    let mut parts = vec![
        format!("{events} event(s)"),
        format!("{observables} observable(s)"),
    ];
    if folded > 0 {
        parts.push(format!("{folded} duplicate observable(s) folded"));
    }
    parts.push(format!("{log} log entries"));
    parts.push(format!("{actions} response action(s)"));
    parts.push(format!("{evidence} evidence item(s)"));
    format!("merged {from} into this incident: {}", parts.join(", "))
}
