//! Observables on incidents: recording, changing and removing them (the
//! ISIRT, as for any change of an incident), the pivot from one observable
//! to every incident and event that carries it (need-to-know holds: a
//! restricted incident is neither listed nor counted for anyone outside its
//! list; events only for roles that may see events), and the extraction of
//! candidate observables from text.

use rampart_domain::{
    Action, Actor, DomainError, Event, EventNumber, Incident, IncidentNumber, IncidentObservable,
    JournalAction, NewObservable, Observable, ObservableType, ObservableUpdate, Text,
    journal::IncidentObservableUpdated,
};
use rampart_store::Page;

use crate::{App, AppError};

/// Most items of each list one pivot page holds.
pub const PIVOT_PAGE: u32 = 50;

/// An observable of an event linked to an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventObservable {
    pub event: EventNumber,
    pub observable: Observable,
}

/// An incident's observables as a reader sees them.
#[derive(Debug, Clone)]
pub struct IncidentObservables {
    pub incident: Incident,
    /// Observables not removed, in the order they were added.
    pub items: Vec<IncidentObservable>,
    /// Observables of the linked events the reader may see, each once (the
    /// first event carrying it), left out where the incident has the same.
    pub from_events: Vec<EventObservable>,
}

/// Where an observable is seen: the incidents and events carrying it that
/// the reader may see, newest first, with their counts.
#[derive(Debug, Clone)]
pub struct Pivot {
    pub observable: Observable,
    /// `None` when the reader's roles do not see incidents.
    pub incidents: Option<Page<Incident>>,
    pub incident_count: u64,
    /// `None` when the reader's roles do not see events.
    pub events: Option<Page<Event>>,
    pub event_count: u64,
}

/// Where a pivot page starts.
#[derive(Debug, Clone, Default)]
pub struct PivotQuery {
    pub incidents_cursor: Option<String>,
    pub events_cursor: Option<String>,
    /// 1 to [`crate::MAX_PAGE`]; 0 for [`PIVOT_PAGE`].
    pub limit: u32,
}

impl App {
    /// Records an observable on an incident.
    pub async fn add_observable(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: NewObservable,
    ) -> Result<IncidentObservable, AppError> {
        actor.require(Action::UpdateIncident)?;
        self.add_to_incident(
            actor,
            number,
            JournalAction::IncidentObservableAdded,
            move |i, who, now| Ok(i.add_observable(input, who, now)?.clone()),
        )
        .await
    }

    /// Changes an observable of an incident; the journal keeps it before and after.
    pub async fn update_observable(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        id: u32,
        update: ObservableUpdate,
    ) -> Result<IncidentObservable, AppError> {
        actor.require(Action::UpdateIncident)?;
        let (_, after) = self
            .change_incident(
                actor,
                number,
                |_| (),
                move |ctx, incident, who, ()| {
                    let (before, after) = incident.update_observable(id, update, who, ctx.now())?;
                    let action =
                        JournalAction::IncidentObservableUpdated(IncidentObservableUpdated {
                            before,
                            after: after.clone(),
                        });
                    Ok((after, action, vec![]))
                },
            )
            .await?;
        Ok(after)
    }

    /// Removes an observable from an incident: the record keeps it, marked
    /// removed, and it leaves the index and the searches.
    pub async fn remove_observable(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        id: u32,
        reason: Option<Text>,
    ) -> Result<IncidentObservable, AppError> {
        actor.require(Action::UpdateIncident)?;
        self.add_to_incident(
            actor,
            number,
            JournalAction::IncidentObservableRemoved,
            move |i, who, now| Ok(i.remove_observable(id, reason, who, now)?.clone()),
        )
        .await
    }

    /// An incident's observables, and those of its linked events the reader may see.
    pub async fn incident_observables(
        &self,
        actor: &Actor,
        number: IncidentNumber,
    ) -> Result<IncidentObservables, AppError> {
        let (incident, events) = self.incident_with_events(actor, number).await?;
        Ok(Self::observables_of(incident, &events))
    }

    /// The observables of an incident and of the given linked events.
    pub fn observables_of(incident: Incident, events: &[Event]) -> IncidentObservables {
        let items: Vec<IncidentObservable> = incident.active_observables().cloned().collect();
        let mut from_events: Vec<EventObservable> = Vec::new();
        for e in events {
            for o in &e.observables {
                let on_incident = items.iter().any(|x| x.kind == o.kind && x.value == o.value);
                let listed = from_events.iter().any(|x| x.observable == *o);
                if !on_incident && !listed {
                    from_events.push(EventObservable {
                        event: e.number,
                        observable: o.clone(),
                    });
                }
            }
        }
        IncidentObservables {
            incident,
            items,
            from_events,
        }
    }

    /// Every incident and event carrying an observable, as far as the reader
    /// may see them, newest first, with counts.
    pub async fn pivot(
        &self,
        actor: &Actor,
        kind: ObservableType,
        value: &str,
        query: PivotQuery,
    ) -> Result<Pivot, AppError> {
        let may_incidents = actor.may(Action::ViewIncidents);
        let may_events = actor.may(Action::ViewEvents);
        if !may_incidents && !may_events {
            actor.require(Action::ViewIncidents)?;
        }
        let observable =
            Observable::new(kind, value).map_err(|m| DomainError::field("value", m))?;
        let key = format!("{}:{}", observable.kind, observable.value);
        let limit = if query.limit == 0 {
            PIVOT_PAGE
        } else {
            query.limit
        };
        let (incidents, incident_count) = if may_incidents {
            let (page, count) = self
                .store
                .incidents_with_observable(
                    &key,
                    &actor.name,
                    query.incidents_cursor.as_deref(),
                    limit,
                )
                .await?;
            (Some(page), count)
        } else {
            (None, 0)
        };
        let (events, event_count) = if may_events {
            let (page, count) = self
                .store
                .events_with_observable(&key, query.events_cursor.as_deref(), limit)
                .await?;
            let mut items: Vec<Event> = page
                .items
                .into_iter()
                .map(|e| e.visible_to(actor))
                .collect();
            self.hide_restricted_links(actor, &mut items).await?;
            (
                Some(Page {
                    items,
                    next_cursor: page.next_cursor,
                }),
                count,
            )
        } else {
            (None, 0)
        };
        Ok(Pivot {
            observable,
            incidents,
            incident_count,
            events,
            event_count,
        })
    }

    /// Candidate observables in `text` (refused by `field` over the size
    /// limit), less those already on the incident when one is named.
    pub async fn extract_observables(
        &self,
        actor: &Actor,
        incident: Option<IncidentNumber>,
        field: &str,
        text: &str,
    ) -> Result<Vec<Observable>, AppError> {
        actor.require(Action::UpdateIncident)?;
        let incident = match incident {
            Some(n) => Some(self.get_incident(actor, n).await?),
            None => None,
        };
        Ok(rampart_domain::extract_for(incident.as_ref(), field, text)?)
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::{ObservableType, Role};
    use serde_json::json;

    use crate::ErrorKind;
    use crate::testing::{TestApp, from_json};

    #[tokio::test]
    async fn observables_are_added_changed_and_removed_with_the_journal() {
        let t = TestApp::new().await;
        let poc = t.user("pat", &[Role::Poc]).await;
        let ian = t.user("ian", &[Role::IsirtMember]).await;
        let n = t.incident(&poc, &ian).await;
        let added = t
            .app
            .add_observable(
                &ian,
                n,
                from_json(json!({"type": "domain", "value": "Evil.Example."})),
            )
            .await
            .unwrap();
        assert_eq!((added.id, added.value.as_str()), (1, "evil.example"));
        let again = json!({"type": "domain", "value": "evil.example"});
        let refused = t.app.add_observable(&ian, n, from_json(again)).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Invalid);
        let refused = t
            .app
            .add_observable(
                &poc,
                n,
                from_json(json!({"type": "ip", "value": "10.0.0.1"})),
            )
            .await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Forbidden);

        let changed = t
            .app
            .update_observable(&ian, n, 1, from_json(json!({"ioc": true, "pap": "RED"})))
            .await
            .unwrap();
        assert!(changed.ioc);
        t.app.remove_observable(&ian, n, 1, None).await.unwrap();
        let listed = t.app.incident_observables(&ian, n).await.unwrap();
        assert!(listed.items.is_empty());
        assert_eq!(listed.incident.observables.len(), 1, "kept, marked removed");
        let pivot = t
            .app
            .pivot(
                &ian,
                ObservableType::Domain,
                "evil.example",
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(pivot.incident_count, 0);
        let journal = t.actions(n).await;
        assert_eq!(
            journal[1..],
            [
                "incident.observable_added",
                "incident.observable_updated",
                "incident.observable_removed"
            ]
        );
    }
}
