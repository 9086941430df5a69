//! Observables on incidents: the index the writer keeps beside each incident
//! (its observables not removed), and the pivot's reads with need-to-know.

use std::sync::Arc;

use rampart_domain::{
    Actor, EventStatus, Incident, IncidentConfirmation, NewObservable, NumberKind, Role,
};
use serde_json::json;

use super::report_entity;
use crate::sql::{SqlBackend, SqlStore};
use crate::{Decision, Entity, EntityRef, Store, UnitOfWork, Write};

fn ian() -> Actor {
    Actor::new("ian", vec![Role::IsirtMember])
}

fn observable(kind: &str, value: &str) -> NewObservable {
    serde_json::from_value(json!({"type": kind, "value": value})).unwrap()
}

/// Confirms an incident carrying `observables`, restricted to `restricted_to`.
async fn incident_with<B: SqlBackend>(
    store: &SqlStore<B>,
    seq: u32,
    observables: Vec<NewObservable>,
    restricted_to: Vec<String>,
) -> Incident {
    let unit = UnitOfWork::new("ian", vec![], vec![NumberKind::Incident], move |ctx| {
        let number = ctx.incident_number(0)?;
        let Entity::Event(mut event) = report_entity(seq) else {
            unreachable!()
        };
        event.status = EventStatus::Escalated;
        let input: IncidentConfirmation = serde_json::from_value(json!({
            "events": [event.number], "title": format!("incident {seq}"), "category": "malware",
            "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
            "effort": "low", "coordinator": "ian"
        }))
        .unwrap();
        let mut incident = Incident::confirm(number, input, &mut [*event], &ian(), ctx.now)?;
        for o in observables {
            incident.add_observable(o, &ian(), ctx.now)?;
        }
        incident.restricted_to = restricted_to;
        Ok(Decision {
            writes: vec![Write::Insert(Entity::Incident(Box::new(incident)))],
            ..Default::default()
        })
    });
    match store.execute(unit).await.unwrap().entities.pop() {
        Some(Entity::Incident(i)) => *i,
        other => panic!("no incident written: {other:?}"),
    }
}

pub async fn incident_observables_are_indexed<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    let first = incident_with(
        &store,
        1,
        vec![
            observable("ip", "203.0.113.9"),
            observable("domain", "Evil.Example."),
        ],
        vec![],
    )
    .await;
    let second = incident_with(
        &store,
        2,
        vec![observable("ip", "203.0.113.9")],
        vec!["alice".into()],
    )
    .await;
    let incidents = |key: &'static str, viewer: &'static str| {
        let store = store.clone();
        async move {
            let (page, count) = store
                .incidents_with_observable(key, viewer, None, 10)
                .await
                .unwrap();
            let numbers: Vec<String> = page.items.iter().map(|i| i.number.to_string()).collect();
            (numbers, count)
        }
    };
    let (a, b) = (first.number.to_string(), second.number.to_string());
    assert_eq!(
        incidents("ip:203.0.113.9", "alice").await,
        (vec![b.clone(), a.clone()], 2),
        "newest first"
    );
    assert_eq!(
        incidents("ip:203.0.113.9", "bob").await,
        (vec![a.clone()], 1),
        "need-to-know"
    );
    assert_eq!(
        incidents("domain:evil.example", "bob").await,
        (vec![a.clone()], 1)
    );

    // A change that removes one observable and adds another re-indexes the incident.
    let number = first.number;
    let unit = UnitOfWork::new(
        "ian",
        vec![EntityRef::Incident(number)],
        vec![],
        move |ctx| {
            let Some(Entity::Incident(mut incident)) = ctx.loaded.into_iter().next().flatten()
            else {
                unreachable!()
            };
            incident.remove_observable(2, None, &ian(), ctx.now)?;
            incident.add_observable(observable("hash", &"a".repeat(64)), &ian(), ctx.now)?;
            Ok(Decision {
                writes: vec![Write::Update(Entity::Incident(incident))],
                ..Default::default()
            })
        },
    );
    store.execute(unit).await.unwrap();
    assert_eq!(incidents("domain:evil.example", "bob").await, (vec![], 0));
    let hash: &'static str = Box::leak(format!("hash:{}", "a".repeat(64)).into_boxed_str());
    assert_eq!(incidents(hash, "bob").await, (vec![a.clone()], 1));
    assert_eq!(
        incidents("ip:203.0.113.9", "bob").await,
        (vec![a], 1),
        "untouched keys stay"
    );
}
