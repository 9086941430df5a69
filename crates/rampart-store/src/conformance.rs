//! The conformance suite: the same stories, run against every backend.
//!
//! A backend's test file expands [`conformance_suite!`](crate::conformance_suite)
//! with an async expression that opens a fresh, empty store (or `None` when
//! the backend is not available here, after saying so).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rampart_domain::{
    Actor, DomainError, Event, EventReport, EventStatus, EvidenceContent, EvidenceHolder,
    EvidenceItem, EvidenceSubmission, Incident, IncidentConfirmation, IncidentNumber,
    JournalAction, NumberKind, Pap, Role, Text, Timestamp, Tlp,
    journal::{EventRepeated, EventReported, EvidenceCollected, NoDetails},
};
use serde_json::json;

mod dashboard;
mod inbox;
mod intake;
mod observables;
mod plans;
mod records;
mod search;
mod targets;

pub use dashboard::dashboard_counts_and_lists_hold_for_all_incidents;
pub use inbox::notifications_page_and_count_per_person;
pub use intake::{
    jobs_are_claimed_once_retried_and_buried, jobs_queued_by_a_unit_commit_or_vanish_with_it,
    one_batch_sees_what_its_earlier_units_wrote, repeats_correlation_and_dead_letters,
};
pub use observables::incident_observables_are_indexed;
pub use plans::every_register_filter_reads_an_index;
pub use records::{records_agree_with_the_journal, records_are_checked_on_one_moment};
pub use search::{
    text_search_agrees_with_reading_every_row, text_search_holds_while_the_index_catches_up,
};
pub use targets::registers_list_by_time_left;

use crate::journal::{self, Verification};
use crate::sql::{Dialect, SqlBackend, SqlStore};
use crate::{
    ApiToken, Committed, CorrelationQuery, DeadLetter, Decision, Entity, EntityRef, EventQuery,
    IncidentQuery, JournalDraft, JournalQuery, Store, StoreError, UnitOfWork, User, Write,
};

/// The `event.reported` entry of `event`.
fn reported(event: &Event) -> JournalAction {
    JournalAction::EventReported(EventReported(Box::new(event.clone())))
}

/// Expands the suite into `#[tokio::test]` functions. `$open` is an async
/// function taking the test's name and giving `Option<(Arc<SqlStore<B>>, guard)>`; the guard lives
/// until the test ends (e.g. a temporary directory or database).
#[macro_export]
macro_rules! conformance_suite {
    ($open:expr) => {
        $crate::conformance_suite!(@tests $open;
            numbers_are_gap_free_under_concurrency,
            refused_units_change_nothing,
            one_refusal_does_not_undo_its_batch,
            records_round_trip,
            event_lists_filter_and_page,
            incidents_list_in_priority_order,
            journal_chains_and_filters,
            tampering_is_located,
            journal_is_append_only,
            users_and_tokens,
            evidence_and_checkpoints,
            repeats_correlation_and_dead_letters,
            one_batch_sees_what_its_earlier_units_wrote,
            jobs_are_claimed_once_retried_and_buried,
            jobs_queued_by_a_unit_commit_or_vanish_with_it,
            records_agree_with_the_journal,
            records_are_checked_on_one_moment,
            incident_observables_are_indexed,
            notifications_page_and_count_per_person,
            registers_list_by_time_left,
            text_search_agrees_with_reading_every_row,
            text_search_holds_while_the_index_catches_up,
            dashboard_counts_and_lists_hold_for_all_incidents,
            every_register_filter_reads_an_index
        );
    };
    (@tests $open:expr; $($name:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some((store, _guard)) = $open(stringify!($name)).await {
                    $crate::conformance::$name(store).await;
                }
            }
        )+
    };
}

fn reporter() -> Actor {
    Actor::new("rita", vec![Role::Reporter])
}

/// A unit that reports an event with the given fields (over a default
/// title and description), as a reporter of the suite.
pub fn report(fields: serde_json::Value) -> UnitOfWork {
    report_with(fields, vec![])
}

/// As [`report`], with more writes after the event's.
pub fn report_with(fields: serde_json::Value, more: Vec<Write>) -> UnitOfWork {
    let actor = reporter();
    UnitOfWork::new(
        actor.name.clone(),
        vec![],
        vec![NumberKind::Event],
        move |ctx| {
            let number = ctx.event_number(0)?;
            let mut body = json!({"title": "suspicious login", "description": "many failures"});
            if let (Some(b), Some(f)) = (body.as_object_mut(), fields.as_object()) {
                b.extend(f.clone());
            }
            let report: EventReport = serde_json::from_value(body)
                .map_err(|e| DomainError::field("body", e.to_string()))?;
            let event = Event::report(number, report, &actor, ctx.now);
            let mut writes = vec![Write::Insert(Entity::Event(Box::new(event.clone())))];
            writes.extend(more);
            Ok(Decision {
                journal: vec![JournalDraft::new(number, reported(&event))],
                writes,
                ..Default::default()
            })
        },
    )
}

async fn report_event(store: &dyn Store, fields: serde_json::Value) -> Event {
    store
        .execute(report(fields))
        .await
        .unwrap()
        .entities
        .remove(0)
        .into_event()
        .unwrap()
}

async fn verify(store: &dyn Store) -> Verification {
    journal::verify(store).await.unwrap()
}

async fn journal_len(store: &dyn Store) -> u64 {
    store.journal_head().await.unwrap().0
}

pub async fn numbers_are_gap_free_under_concurrency<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut seqs = Vec::new();
                for _ in 0..100 {
                    seqs.push(report_event(&*store, json!({})).await.number.seq());
                }
                seqs
            })
        })
        .collect();
    let mut all = BTreeSet::new();
    for t in tasks {
        for seq in t.await.unwrap() {
            assert!(all.insert(seq), "number {seq} given twice");
        }
    }
    assert_eq!(
        all,
        (1..=800).collect::<BTreeSet<u32>>(),
        "numbers are not 1..=800"
    );
    assert!(matches!(
        verify(&*store).await,
        Verification::Intact { count: 800, .. }
    ));
}

pub async fn refused_units_change_nothing<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    report_event(&*store, json!({})).await;
    // Refused by the domain after a number was allocated.
    let refused = UnitOfWork::new("rita", vec![], vec![NumberKind::Event], |_| {
        Err(DomainError::field("title", "no"))
    });
    assert!(matches!(
        store.execute(refused).await,
        Err(StoreError::Domain(DomainError::Invalid(_)))
    ));
    // Refused by the database (duplicate key) after a journal entry was drafted.
    let existing = store
        .get(&EntityRef::Event("EVT-2026-000001".parse().unwrap()))
        .await
        .unwrap();
    let duplicate = UnitOfWork::new("rita", vec![], vec![NumberKind::Event], move |_| {
        Ok(Decision {
            journal: vec![JournalDraft::new(
                "x",
                JournalAction::UserEnabled(NoDetails {}),
            )],
            writes: vec![Write::Insert(
                existing
                    .clone()
                    .unwrap_or_else(|| Entity::User(dummy_user())),
            )],
            ..Default::default()
        })
    });
    let refusal = store.execute(duplicate).await;
    assert!(refusal.is_err(), "a duplicate insert was accepted");
    // Updating a record that does not exist.
    let ghost = report_entity(2);
    let update = UnitOfWork::new("rita", vec![], vec![], move |_| {
        Ok(Decision {
            writes: vec![Write::Update(ghost)],
            journal: vec![],
            ..Default::default()
        })
    });
    assert!(matches!(
        store.execute(update).await,
        Err(StoreError::Domain(DomainError::NotFound(_)))
    ));

    assert_eq!(
        journal_len(&*store).await,
        1,
        "a refused unit left a journal entry"
    );
    let next = report_event(&*store, json!({})).await;
    assert_eq!(next.number.seq(), 2, "a refused unit used up a number");
}

fn dummy_user() -> User {
    User {
        name: "nobody".into(),
        roles: vec![],
        created_at: Timestamp::from_unix(0).unwrap(),
        created_by: "t".into(),
        disabled: false,
    }
}

fn report_entity(seq: u32) -> Entity {
    let report: EventReport =
        serde_json::from_value(json!({"title": "t", "description": "d"})).unwrap();
    let now = Timestamp::parse("2026-11-22T00:00:00Z").unwrap();
    Entity::Event(Box::new(Event::report(
        rampart_domain::EventNumber::new(2026, seq).unwrap(),
        report,
        &reporter(),
        now,
    )))
}

pub async fn one_refusal_does_not_undo_its_batch<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    // Many concurrent units share commits (batches large enough to be
    // sealed, and their events written out, on every core); every third is
    // refused.
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let unit = if i % 3 == 0 {
                    report(json!({"title": ""}))
                } else {
                    report(json!({"description": format!("unit {i}: \"quoted\" é")}))
                };
                store.execute(unit).await
            })
        })
        .collect();
    let mut ok = BTreeMap::new();
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(Committed { entities, journal }) => {
                let [Entity::Event(e)] = entities.as_slice() else {
                    panic!("unexpected {entities:?}")
                };
                ok.insert(e.number.seq(), ((**e).clone(), journal));
            }
            Err(StoreError::Domain(_)) => refused += 1,
            Err(e) => panic!("store error {e}"),
        }
    }
    assert_eq!(refused, 100);
    assert_eq!(
        ok.keys().copied().collect::<BTreeSet<u32>>(),
        (1..=200).collect::<BTreeSet<u32>>()
    );
    assert!(matches!(
        verify(&*store).await,
        Verification::Intact { count: 200, .. }
    ));
    // Each unit got back its own entry, sealed as stored, and its event is
    // stored as it was handed back.
    let stored = store
        .journal(&JournalQuery {
            after: 0,
            limit: 1000,
            entity: None,
        })
        .await
        .unwrap();
    for (event, journal) in ok.values() {
        let [entry] = journal.as_slice() else {
            panic!("{} got {} entries back", event.number, journal.len())
        };
        assert_eq!(entry.entity, event.number.to_string());
        assert_eq!(Some(entry), stored.iter().find(|s| s.seq == entry.seq));
        assert_eq!(
            entry.payload,
            journal::canonical_json(&reported(event).payload())
        );
        let found = store.get(&EntityRef::Event(event.number)).await.unwrap();
        assert_eq!(found.and_then(Entity::into_event).as_ref(), Some(event));
    }
}

pub async fn records_round_trip<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    let event = report_event(
        &*store,
        json!({"observables": [{"type": "ip", "value": "10.0.0.1"}], "tlp": "RED"}),
    )
    .await;
    let key = EntityRef::Event(event.number);
    let stored = store
        .get(&key)
        .await
        .unwrap()
        .unwrap()
        .into_event()
        .unwrap();
    assert_eq!(stored, event);
    let mut changed = stored.clone();
    changed
        .begin_triage(&Actor::new("pat", vec![Role::Poc]), changed.reported_at)
        .unwrap();
    let update = {
        let changed = changed.clone();
        UnitOfWork::new("pat", vec![key.clone()], vec![], move |mut ctx| {
            let current = ctx.take(0, || "event".into())?.into_event().unwrap();
            assert_eq!(current.status, EventStatus::Reported);
            Ok(Decision {
                writes: vec![Write::Update(Entity::Event(Box::new(changed)))],
                journal: vec![],
                ..Default::default()
            })
        })
    };
    store.execute(update).await.unwrap();
    assert_eq!(
        store
            .get(&key)
            .await
            .unwrap()
            .unwrap()
            .into_event()
            .unwrap(),
        changed
    );
    assert_eq!(
        store
            .get(&EntityRef::Event("EVT-2026-009999".parse().unwrap()))
            .await
            .unwrap(),
        None
    );
}

pub async fn event_lists_filter_and_page<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    for i in 0..30 {
        let fields = if i % 3 == 0 {
            json!({"title": format!("IDS alert {i}"), "source": {"kind": "sensor", "name": "ids-1", "ref": format!("a{i}")}})
        } else {
            json!({"title": format!("Phishing 100% real {i}")})
        };
        report_event(&*store, fields).await;
    }
    let list = |q: EventQuery| {
        let store = store.clone();
        async move { store.list_events(&q).await.unwrap() }
    };
    assert_eq!(
        list(EventQuery {
            source: Some("sensor".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .items
        .len(),
        10
    );
    assert_eq!(
        list(EventQuery {
            source: Some("ids-1".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .items
        .len(),
        10
    );
    assert_eq!(
        list(EventQuery {
            source: Some("person".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .items
        .len(),
        20
    );
    assert_eq!(
        list(EventQuery {
            text: Some("100% REAL".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .items
        .len(),
        20
    );
    assert_eq!(
        list(EventQuery {
            text: Some("0% r".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .items
        .len(),
        20,
        "% must match literally"
    );
    assert_eq!(
        list(EventQuery {
            text: Some("r_al".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .items
        .len(),
        0,
        "_ must match literally"
    );
    assert_eq!(
        list(EventQuery {
            status: Some(EventStatus::Triage),
            limit: 100,
            ..Default::default()
        })
        .await
        .items
        .len(),
        0
    );
    assert_eq!(
        list(EventQuery {
            submitted_by: Some("rita".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .items
        .len(),
        30
    );
    assert_eq!(
        list(EventQuery {
            submitted_by: Some("someone".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .items
        .len(),
        0
    );
    let far = Timestamp::parse("2999-01-01T00:00:00Z").unwrap();
    assert_eq!(
        list(EventQuery {
            since: Some(far),
            limit: 100,
            ..Default::default()
        })
        .await
        .items
        .len(),
        0
    );

    // Pages of 7, newest first, cover every event exactly once.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = list(EventQuery {
            limit: 7,
            cursor: cursor.clone(),
            ..Default::default()
        })
        .await;
        assert!(page.items.len() <= 7);
        seen.extend(page.items.iter().map(|e| e.number.seq()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, (1..=30).rev().collect::<Vec<u32>>());
    let bad = store
        .list_events(&EventQuery {
            cursor: Some("x'; DROP TABLE events".into()),
            ..Default::default()
        })
        .await;
    assert!(
        matches!(bad, Err(StoreError::Domain(DomainError::Invalid(ref f))) if f[0].field == "cursor")
    );
}

pub async fn incidents_list_in_priority_order<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    let combos = [
        ("ordinary", "minor", "high"),
        ("particularly_important", "especially_serious", "high"),
        ("important", "serious", "low"),
        ("particularly_important", "especially_serious", "low"),
        ("ordinary", "considerable", "medium"),
    ];
    for (i, (importance, loss, effort)) in combos.iter().enumerate() {
        let (importance, loss, effort) =
            (importance.to_string(), loss.to_string(), effort.to_string());
        let unit = UnitOfWork::new("ian", vec![], vec![NumberKind::Incident], move |ctx| {
            let number = ctx.incident_number(0)?;
            let mut event = match report_entity(i as u32 + 1) {
                Entity::Event(e) => *e,
                _ => unreachable!(),
            };
            event.status = EventStatus::Escalated;
            let input: IncidentConfirmation = serde_json::from_value(json!({
                "events": [event.number], "title": format!("incident {i}"), "category": "malware",
                "severity": {"system_importance": importance, "business_loss": loss, "social_impact": "minor"},
                "effort": effort, "coordinator": "ian"
            }))
            .unwrap();
            let incident = Incident::confirm(
                number,
                input,
                &mut [event],
                &Actor::new("ian", vec![Role::IsirtMember]),
                ctx.now,
            )?;
            Ok(Decision {
                writes: vec![Write::Insert(Entity::Incident(Box::new(incident)))],
                journal: vec![],
                ..Default::default()
            })
        });
        store.execute(unit).await.unwrap();
    }
    let mut order = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_incidents(&IncidentQuery {
                limit: 2,
                cursor,
                ..Default::default()
            })
            .await
            .unwrap();
        order.extend(page.items.iter().map(|i| i.title.to_string()));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(
        order,
        [
            "incident 3",
            "incident 1",
            "incident 2",
            "incident 4",
            "incident 0"
        ]
    );
    let emergencies = store
        .list_incidents(&IncidentQuery {
            class: Some(rampart_domain::SeverityClass::IV),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(emergencies.items.len(), 2);
    let by_text = store
        .list_incidents(&IncidentQuery {
            text: Some("INCIDENT 4".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_text.items.len(), 1);
}

pub async fn journal_chains_and_filters<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    let a = report_event(&*store, json!({})).await;
    report_event(&*store, json!({})).await;
    let entries = store
        .journal(&JournalQuery {
            after: 0,
            limit: 10,
            entity: None,
        })
        .await
        .unwrap();
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(entries[0].entity, a.number.to_string());
    assert_eq!(entries[0].actor, "rita");
    assert_eq!(entries[0].hash, entries[0].compute_hash(journal::GENESIS));
    assert_eq!(entries[1].hash, entries[1].compute_hash(&entries[0].hash));
    let only_a = store
        .journal(&JournalQuery {
            after: 0,
            limit: 10,
            entity: Some(a.number.to_string()),
        })
        .await
        .unwrap();
    assert_eq!(only_a.len(), 1);
    let head = store.journal_head().await.unwrap();
    assert_eq!(
        verify(&*store).await,
        Verification::Intact {
            count: 2,
            head: head.1
        }
    );
}

async fn drop_guards(store: &SqlStore<impl SqlBackend>) {
    let sql = match store.backend().dialect() {
        Dialect::Sqlite => "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete",
        Dialect::Postgres => "DROP TRIGGER journal_no_update ON journal",
    };
    for statement in sql.split("; ") {
        store.execute_raw(statement).await.unwrap();
    }
}

pub async fn tampering_is_located<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    for _ in 0..10 {
        report_event(&*store, json!({})).await;
    }
    assert!(matches!(
        verify(&*store).await,
        Verification::Intact { count: 10, .. }
    ));
    // An intruder with database access removes the guard and changes one byte.
    drop_guards(&store).await;
    store.execute_raw("UPDATE journal SET payload = replace(payload, 'suspicious', 'suspiciouz') WHERE seq = 5").await.unwrap();
    assert!(
        matches!(verify(&*store).await, Verification::Broken { seq: 5, .. }),
        "{:?}",
        verify(&*store).await
    );
    // Rewriting the stored hash as well does not hide it: the chain is recomputed.
    store
        .execute_raw(
            "UPDATE journal SET hash = replace(hash, substr(hash, 1, 1), 'f') WHERE seq = 5",
        )
        .await
        .unwrap();
    assert!(matches!(
        verify(&*store).await,
        Verification::Broken { seq: 5, .. }
    ));
}

pub async fn journal_is_append_only<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    for _ in 0..3 {
        report_event(&*store, json!({})).await;
    }
    assert!(
        store
            .execute_raw("UPDATE journal SET actor = 'mallory' WHERE seq = 2")
            .await
            .is_err()
    );
    assert!(
        store
            .execute_raw("DELETE FROM journal WHERE seq = 3")
            .await
            .is_err()
    );
    if store.backend().dialect() == Dialect::Postgres {
        assert!(store.execute_raw("TRUNCATE journal").await.is_err());
    }
    // Truncating the tail past the guard is still found against the recorded head.
    drop_guards(&store).await;
    store
        .execute_raw("DELETE FROM journal WHERE seq = 3")
        .await
        .unwrap();
    assert!(matches!(
        verify(&*store).await,
        Verification::Broken { seq: 3, .. }
    ));
}

pub async fn users_and_tokens<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    assert_eq!(store.user_count().await.unwrap(), 0);
    let now = Timestamp::parse("2026-11-22T00:00:00Z").unwrap();
    let user = User {
        name: "alice".into(),
        roles: vec![Role::Poc, Role::Auditor],
        created_at: now,
        created_by: "system".into(),
        disabled: false,
    };
    let token = ApiToken {
        id: "tok_1".into(),
        user: "alice".into(),
        hash: "ab".repeat(32),
        created_at: now,
        created_by: "system".into(),
        name: String::new(),
        scopes: None,
        expires_at: None,
        last_used_at: None,
    };
    let unit = {
        let (user, token) = (user.clone(), token.clone());
        UnitOfWork::new("system", vec![], vec![], move |_| {
            Ok(Decision {
                writes: vec![
                    Write::Insert(Entity::User(user)),
                    Write::Insert(Entity::ApiToken(token)),
                ],
                journal: vec![],
                ..Default::default()
            })
        })
    };
    store.execute(unit).await.unwrap();
    assert_eq!(store.user_count().await.unwrap(), 1);
    assert_eq!(
        store.token_owner(&"ab".repeat(32)).await.unwrap(),
        Some((user.clone(), token.clone()))
    );
    assert_eq!(store.token_owner(&"cd".repeat(32)).await.unwrap(), None);
    // Its last use is kept beside it, read with it and moved on by the next.
    let later = Timestamp::from_unix(now.as_offset().unix_timestamp() + 90).unwrap();
    for at in [now, later] {
        store.note_token_used(&"ab".repeat(32), at).await.unwrap();
        let (_, used) = store.token_owner(&"ab".repeat(32)).await.unwrap().unwrap();
        let listed = store.list_tokens(Some("alice")).await.unwrap();
        let second = |t: Option<Timestamp>| t.map(|t| t.as_offset().unix_timestamp());
        assert_eq!(second(used.last_used_at), second(Some(at)));
        assert_eq!(second(listed[0].last_used_at), second(Some(at)));
    }
    assert_eq!(
        store.get(&EntityRef::User("alice".into())).await.unwrap(),
        Some(Entity::User(user.clone()))
    );
    let again = UnitOfWork::new("system", vec![], vec![], move |_| {
        Ok(Decision {
            writes: vec![Write::Insert(Entity::User(user))],
            journal: vec![],
            ..Default::default()
        })
    });
    assert!(matches!(
        store.execute(again).await,
        Err(StoreError::Domain(DomainError::Conflict(_)))
    ));
}

fn evidence_unit(incident: IncidentNumber, sha256: &str) -> UnitOfWork {
    let sha256 = sha256.to_owned();
    UnitOfWork::new("ian", vec![], vec![NumberKind::Evidence], move |ctx| {
        let number = ctx.evidence_number(0)?;
        let text = |s: &str| Text::new(s).unwrap();
        let item = EvidenceItem::collect(
            number,
            EvidenceHolder::Incident(incident),
            (Tlp::Amber, Pap::Amber),
            EvidenceSubmission {
                description: text("disk image"),
                found_at: text("laptop"),
                collected_by: text("Ian"),
                collected_at: ctx.now,
                tool: None,
                reason: text("malware"),
                tlp: None,
                pap: None,
                location: None,
                seal: None,
            },
            Some(EvidenceContent {
                sha256,
                size: 3,
                filename: None,
                media_type: None,
            }),
            &Actor::new("ian", vec![Role::IsirtMember]),
            ctx.now,
        )?;
        Ok(Decision {
            journal: vec![JournalDraft::new(
                number,
                JournalAction::EvidenceCollected(Box::new(EvidenceCollected::of(&item))),
            )],
            writes: vec![Write::Insert(Entity::Evidence(Box::new(item)))],
            ..Default::default()
        })
    })
}

pub async fn evidence_and_checkpoints<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    use crate::EvidenceQuery;
    let one = IncidentNumber::new(2026, 1).unwrap();
    let two = IncidentNumber::new(2026, 2).unwrap();
    let (a, b) = ("a".repeat(64), "b".repeat(64));
    let mut items = Vec::new();
    for (inc, sha) in [(one, &a), (one, &b), (two, &a)] {
        let c = store.execute(evidence_unit(inc, sha)).await.unwrap();
        items.push(c.entities[0].clone().into_evidence().unwrap());
    }
    let numbers: Vec<u32> = items.iter().map(|i| i.number.seq()).collect();
    assert_eq!(numbers, [1, 2, 3]);
    let list = |q: EvidenceQuery| {
        let store = store.clone();
        async move {
            store
                .list_evidence(&q)
                .await
                .unwrap()
                .into_iter()
                .map(|i| i.number.seq())
                .collect::<Vec<_>>()
        }
    };
    let of_one = EvidenceQuery {
        incident: Some(one),
        ..Default::default()
    };
    assert_eq!(list(of_one.clone()).await, [1, 2]);
    let past_the_first = EvidenceQuery {
        offset: 1,
        ..of_one.clone()
    };
    assert_eq!(list(past_the_first).await, [2]);
    let newest = EvidenceQuery {
        newest: Some(1),
        ..of_one.clone()
    };
    assert_eq!(list(newest).await, [2]);
    let all_newest_first = EvidenceQuery {
        newest: Some(10),
        ..Default::default()
    };
    assert_eq!(list(all_newest_first).await, [3, 2, 1]);
    let same_content = EvidenceQuery {
        sha256: Some(a.clone()),
        present_only: true,
        ..Default::default()
    };
    assert_eq!(list(same_content.clone()).await, [1, 3]);

    // Disposal is an update; the record stays, no longer present.
    let mut disposed = items[0].clone();
    disposed
        .dispose(
            Text::new("retention").unwrap(),
            &Actor::new("mia", vec![Role::IsirtManager]),
            disposed.recorded_at,
        )
        .unwrap();
    let stored = disposed.clone();
    store
        .execute(UnitOfWork::new("mia", vec![], vec![], move |_| {
            Ok(Decision {
                writes: vec![Write::Update(Entity::Evidence(Box::new(stored)))],
                journal: vec![],
                ..Default::default()
            })
        }))
        .await
        .unwrap();
    assert_eq!(list(same_content).await, [3]);
    assert_eq!(list(of_one).await, [1, 2]);
    let back = store
        .get(&EntityRef::Evidence(items[0].number))
        .await
        .unwrap()
        .unwrap()
        .into_evidence()
        .unwrap();
    assert_eq!(back, disposed);

    // Records are never deleted: not by the engine, not by the database.
    let number = items[1].number;
    let refused = store
        .execute(UnitOfWork::new("mia", vec![], vec![], move |_| {
            Ok(Decision {
                writes: vec![Write::Delete(EntityRef::Evidence(number))],
                journal: vec![],
                ..Default::default()
            })
        }))
        .await;
    assert!(refused.is_err());
    assert!(store.execute_raw("DELETE FROM evidence").await.is_err());

    // Checkpoints come back in sequence order, signatures intact; one per sequence.
    let key = crate::checkpoint::InstallationKey::generate();
    for seq in [3u64, 1, 2] {
        let cp = key.checkpoint(seq, &"c".repeat(64), "2026-11-22T00:00:00.000000Z");
        store
            .execute(UnitOfWork::new("system", vec![], vec![], move |_| {
                Ok(Decision {
                    writes: vec![Write::Insert(Entity::Checkpoint(cp))],
                    journal: vec![],
                    ..Default::default()
                })
            }))
            .await
            .unwrap();
    }
    let all = store.checkpoints(0, 10).await.unwrap();
    assert_eq!(all.iter().map(|c| c.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(
        all.iter()
            .all(|c| crate::checkpoint::verify_checkpoint(c).is_ok())
    );
    assert_eq!(store.checkpoints(1, 1).await.unwrap()[0].seq, 2);
    assert_eq!(store.last_checkpoint().await.unwrap().unwrap().seq, 3);
    let again = key.checkpoint(2, &"d".repeat(64), "2026-11-22T00:00:00.000000Z");
    let duplicate = store
        .execute(UnitOfWork::new("system", vec![], vec![], move |_| {
            Ok(Decision {
                writes: vec![Write::Insert(Entity::Checkpoint(again))],
                journal: vec![],
                ..Default::default()
            })
        }))
        .await;
    assert!(matches!(
        duplicate,
        Err(StoreError::Domain(DomainError::Conflict(_)))
    ));
    assert!(
        store
            .execute_raw("UPDATE checkpoints SET data = '{}'")
            .await
            .is_err()
    );
}
