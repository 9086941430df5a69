//! The dashboard's figures and lists: counts kept by the writer agree with
//! counting the rows, through inserts, changes of status, class and
//! restriction; overdue actions and "my incidents" are found among all
//! incidents, not only the first page of the register.

use std::sync::Arc;

use rampart_domain::{
    ActionStatus, Actor, Event, EventStatus, Incident, IncidentConfirmation, IncidentStatus,
    NumberKind, ResponseAction, Role, Text, Timestamp,
};
use serde_json::json;

use crate::sql::{SqlBackend, SqlStore};
use crate::{
    Counts, Decision, Entity, EntityRef, EventQuery, IncidentQuery, Store, UnitOfWork, Write,
};

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// Stores an incident confirmed from a new event, coordinated by `coordinator`.
pub(super) async fn incident<B: SqlBackend>(
    store: &SqlStore<B>,
    title: String,
    coordinator: &'static str,
    class_iv: bool,
) -> Incident {
    let unit = UnitOfWork::new(
        "ian",
        vec![],
        vec![NumberKind::Event, NumberKind::Incident],
        move |ctx| {
            let ian = Actor::new("ian", vec![Role::IsirtMember]);
            let report =
                serde_json::from_value(json!({"title": title, "description": "x"})).unwrap();
            let mut event = Event::report(ctx.event_number(0)?, report, &ian, ctx.now);
            event.status = EventStatus::Escalated;
            let (importance, loss) = if class_iv {
                ("particularly_important", "especially_serious")
            } else {
                ("ordinary", "minor")
            };
            let input: IncidentConfirmation = serde_json::from_value(json!({
                "events": [event.number], "title": title, "category": "malware",
                "severity": {"system_importance": importance, "business_loss": loss, "social_impact": "minor"},
                "effort": "low", "coordinator": coordinator
            }))
            .unwrap();
            let mut events = [event];
            let incident =
                Incident::confirm(ctx.incident_number(1)?, input, &mut events, &ian, ctx.now)?;
            let [event] = events;
            Ok(Decision {
                writes: vec![
                    Write::Insert(Entity::Event(Box::new(event))),
                    Write::Insert(Entity::Incident(Box::new(incident))),
                ],
                ..Default::default()
            })
        },
    );
    let mut done = store.execute(unit).await.unwrap();
    done.entities.remove(1).into_incident().unwrap()
}

/// Changes an incident as `change` says.
async fn change<B: SqlBackend>(
    store: &SqlStore<B>,
    incident: &Incident,
    change: impl Fn(&mut Incident) + Send + 'static,
) {
    let unit = UnitOfWork::new(
        "ian",
        vec![EntityRef::Incident(incident.number)],
        vec![],
        move |mut ctx| {
            let mut incident = ctx.take(0, || "incident".into())?.into_incident().unwrap();
            change(&mut incident);
            Ok(Decision {
                writes: vec![Write::Update(Entity::Incident(Box::new(incident)))],
                ..Default::default()
            })
        },
    );
    store.execute(unit).await.unwrap();
}

fn action(id: u32, due: &str, status: ActionStatus) -> ResponseAction {
    let now = at("2026-11-22T08:00:00Z");
    ResponseAction {
        id,
        what: Text::new(format!("action {id}")).unwrap(),
        owner: Text::new("ops").unwrap(),
        due: Some(at(due)),
        status,
        requires_approval: false,
        approval: None,
        outcome: None,
        created_by: "ian".into(),
        created_at: now,
        updated_at: now,
        procedure: None,
    }
}

/// The counts as reading every row gives them, for `viewer`.
async fn counted<B: SqlBackend>(store: &SqlStore<B>, viewer: &str) -> Counts {
    let mut counts = Counts::default();
    let mut q = IncidentQuery {
        viewer: Some(viewer.into()),
        limit: 500,
        ..Default::default()
    };
    loop {
        let page = store.list_incidents(&q).await.unwrap();
        for i in &page.items {
            let (status, class) = (
                i.status.as_str().to_owned(),
                i.severity.class.as_str().to_owned(),
            );
            match counts
                .incidents
                .iter_mut()
                .find(|(s, c, _)| *s == status && *c == class)
            {
                Some(line) => line.2 += 1,
                None => counts.incidents.push((status, class, 1)),
            }
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let mut q = EventQuery {
        limit: 500,
        ..Default::default()
    };
    loop {
        let page = store.list_events(&q).await.unwrap();
        for e in &page.items {
            let status = e.status.as_str().to_owned();
            match counts.events.iter_mut().find(|(s, _)| *s == status) {
                Some(line) => line.1 += 1,
                None => counts.events.push((status, 1)),
            }
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    counts.incidents.sort();
    counts.events.sort();
    counts
}

pub async fn dashboard_counts_and_lists_hold_for_all_incidents<B: SqlBackend>(
    store: Arc<SqlStore<B>>,
) {
    // More incidents than the register's first page, with what the
    // dashboard looks for at the end of the priority order.
    let mut all = Vec::new();
    for i in 0..520 {
        all.push(incident(&store, format!("incident {i}"), "ian", i % 7 == 0).await);
    }
    let last = all.last().unwrap().clone();
    let mine = incident(&store, "mine".into(), "olga", false).await;
    change(&store, &last, |i| {
        i.actions = vec![
            action(1, "2026-11-20T00:00:00Z", ActionStatus::Planned),
            action(2, "2026-11-19T00:00:00Z", ActionStatus::Done),
            action(3, "2026-12-30T00:00:00Z", ActionStatus::InProgress),
        ];
    })
    .await;
    for viewer in ["olga", "zoe"] {
        assert_eq!(
            store.counts(viewer).await.unwrap(),
            counted(&store, viewer).await
        );
    }

    // Status, class and restriction move the counts; need-to-know holds.
    change(&store, &all[0], |i| i.status = IncidentStatus::Closed).await;
    change(&store, &all[1], |i| i.restricted_to = vec!["olga".into()]).await;
    change(&store, &all[2], |i| {
        i.restricted_to = vec!["olga".into()];
        i.status = IncidentStatus::Closed;
    })
    .await;
    change(&store, &all[2], |i| i.restricted_to.clear()).await;
    change(&store, &all[3], |i| {
        i.severity.class = rampart_domain::SeverityClass::IV;
    })
    .await;
    for viewer in ["olga", "zoe"] {
        let counts = store.counts(viewer).await.unwrap();
        assert_eq!(counts, counted(&store, viewer).await, "for {viewer}");
    }
    let seen = |viewer: &'static str| {
        let store = store.clone();
        async move {
            let counts = store.counts(viewer).await.unwrap();
            counts.incidents.iter().map(|l| l.2).sum::<u64>()
        }
    };
    assert_eq!(
        seen("olga").await,
        seen("zoe").await + 1,
        "one restricted incident only olga sees"
    );

    // Overdue actions: the one open action past its due time, found among all.
    let now = at("2026-11-22T08:00:00Z");
    let (overdue, more) = store.overdue_actions("zoe", now, 50).await.unwrap();
    assert_eq!(
        overdue.iter().map(|i| i.number).collect::<Vec<_>>(),
        [last.number]
    );
    assert!(!more);
    // Done, or the incident closed: nothing is overdue any more.
    change(&store, &last, |i| i.status = IncidentStatus::Closed).await;
    assert!(
        store
            .overdue_actions("zoe", now, 50)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    // Restricted: only those on the list see it.
    change(&store, &all[10], |i| {
        i.actions = vec![action(1, "2026-11-21T00:00:00Z", ActionStatus::Planned)];
        i.restricted_to = vec!["olga".into()];
    })
    .await;
    assert!(
        store
            .overdue_actions("zoe", now, 50)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    assert_eq!(
        store
            .overdue_actions("olga", now, 50)
            .await
            .unwrap()
            .0
            .len(),
        1
    );
    // More than the limit.
    for i in &all[20..24] {
        change(&store, i, |i| {
            i.actions = vec![action(1, "2026-11-21T00:00:00Z", ActionStatus::Planned)];
        })
        .await;
    }
    let (first, more) = store.overdue_actions("olga", now, 3).await.unwrap();
    assert_eq!(first.len(), 3);
    assert!(more);

    // My open incidents, past the register's first page.
    let open_of = |who: &str| IncidentQuery {
        coordinator: Some(who.into()),
        open: true,
        viewer: Some(who.into()),
        ..Default::default()
    };
    let page = store.list_incidents(&open_of("olga")).await.unwrap();
    assert_eq!(
        page.items.iter().map(|i| i.number).collect::<Vec<_>>(),
        [mine.number]
    );
    change(&store, &mine, |i| i.status = IncidentStatus::Closed).await;
    assert!(
        store
            .list_incidents(&open_of("olga"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}
