//! Response-time targets: the registers list what is overdue, due soon or
//! on track, and by time left, from the indexed running stage.

use std::sync::Arc;

use rampart_domain::{
    Actor, Event, EventReport, Measured, NumberKind, ResponseTargets, Role, TargetState, Timestamp,
};
use serde_json::json;

use crate::sql::{SqlBackend, SqlStore};
use crate::{
    Decision, Entity, EventQuery, JournalDraft, Store, UnitOfWork, Write, model::EventSort,
};

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// Stores an event reported at `when` with the sensor severity `severity`.
async fn event<B: SqlBackend>(
    store: &SqlStore<B>,
    title: &str,
    severity: Option<&str>,
    when: &str,
) -> Event {
    let actor = Actor::new("ids", vec![Role::Reporter]);
    let when = at(when);
    let body = json!({"title": title, "description": "x", "severity": severity});
    let unit = UnitOfWork::new(
        actor.name.clone(),
        vec![],
        vec![NumberKind::Event],
        move |ctx| {
            let number = ctx.event_number(0)?;
            let report: EventReport = serde_json::from_value(body.clone()).unwrap();
            let event = Event::report(number, report, &actor, when);
            Ok(Decision {
                journal: vec![JournalDraft::new(number, super::reported(&event))],
                writes: vec![Write::Insert(Entity::Event(Box::new(event)))],
                ..Default::default()
            })
        },
    );
    store
        .execute(unit)
        .await
        .unwrap()
        .entities
        .remove(0)
        .into_event()
        .unwrap()
}

async fn titles<B: SqlBackend>(store: &SqlStore<B>, q: EventQuery) -> Vec<String> {
    let mut titles = Vec::new();
    let mut q = q;
    loop {
        let page = store.list_events(&q).await.unwrap();
        titles.extend(page.items.iter().map(|e| e.title.to_string()));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return titles,
        }
    }
}

pub async fn registers_list_by_time_left<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    let targets = ResponseTargets::default();
    // Class IV triage in 15 minutes, class I in 8 hours, class II (no
    // severity) in 2 hours: due 08:15, 15:00 and 07:00.
    event(&store, "critical", Some("critical"), "2026-03-02T08:00:00Z").await;
    event(&store, "low", Some("low"), "2026-03-02T07:00:00Z").await;
    let mut unrated = event(&store, "unrated", None, "2026-03-02T05:00:00Z").await;
    let mut done = event(&store, "done", Some("medium"), "2026-03-02T04:00:00Z").await;
    let poc = Actor::new("pat", vec![Role::Poc]);
    done.assess(
        serde_json::from_value(json!({"decision": "false_alarm"})).unwrap(),
        &poc,
        at("2026-03-02T04:10:00Z"),
    )
    .unwrap();
    update(&store, done).await;
    let now = at("2026-03-02T08:12:00Z");
    let by_due = |state: Option<TargetState>, limit: u32| EventQuery {
        lanes: Some(targets.lanes(Measured::Event, state, now)),
        sort: EventSort::Due,
        limit,
        ..Default::default()
    };
    assert_eq!(
        titles(&store, by_due(None, 1)).await,
        ["unrated", "critical", "low"],
        "soonest due first, page by page; nothing without a running target"
    );
    for (state, expected) in [
        (TargetState::Overdue, "unrated"),
        (TargetState::DueSoon, "critical"),
        (TargetState::OnTrack, "low"),
    ] {
        assert_eq!(titles(&store, by_due(Some(state), 10)).await, [expected]);
        let newest = EventQuery {
            lanes: Some(targets.lanes(Measured::Event, Some(state), now)),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(titles(&store, newest).await, [expected], "{state}");
    }
    // Triage moves the event to its assessment, due 09:00 (class II, 4 h
    // from 05:00): no longer overdue, now last but one.
    unrated
        .begin_triage(&poc, at("2026-03-02T08:11:00Z"))
        .unwrap();
    update(&store, unrated).await;
    assert_eq!(
        titles(&store, by_due(None, 2)).await,
        ["critical", "unrated", "low"]
    );
    assert!(
        titles(&store, by_due(Some(TargetState::Overdue), 10))
            .await
            .is_empty()
    );
    // Other filters apply to every lane.
    let sensor_low = EventQuery {
        severity: Some(rampart_domain::AlertSeverity::Low),
        ..by_due(None, 10)
    };
    assert_eq!(titles(&store, sensor_low).await, ["low"]);
    // A list by time left without the targets is refused, not guessed.
    let blind = EventQuery {
        sort: EventSort::Due,
        ..Default::default()
    };
    assert!(store.list_events(&blind).await.is_err());
}

async fn update<B: SqlBackend>(store: &SqlStore<B>, event: Event) {
    let unit = UnitOfWork::new("pat", vec![], vec![], move |_| {
        Ok(Decision {
            writes: vec![Write::Update(Entity::Event(Box::new(event.clone())))],
            ..Default::default()
        })
    });
    store.execute(unit).await.unwrap();
}
