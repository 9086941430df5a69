//! Conformance of machine intake and background jobs: repeats folded into
//! their first event, correlation, dead letters, and jobs claimed once,
//! retried and buried.

use super::*;

/// A unit that reports a sensor alert, or counts a repeat of the stored one
/// (giving its number back), and records what it correlated with.
fn alert(reference: &str, ip: &str) -> UnitOfWork {
    titled_alert(reference, ip, "alert")
}

fn titled_alert(reference: &str, ip: &str, title: &str) -> UnitOfWork {
    let actor = reporter();
    let body = json!({"title": title, "description": "x",
        "source": {"kind": "sensor", "name": "ids", "ref": reference},
        "observables": [{"type": "ip", "value": ip}], "assets": ["Web Server"]});
    let report: EventReport = serde_json::from_value(body).unwrap();
    let keys = rampart_domain::report_correlation_keys(&report);
    UnitOfWork::new(
        actor.name.clone(),
        vec![EntityRef::EventBySource {
            name: "ids".into(),
            reference: reference.into(),
        }],
        vec![NumberKind::Event],
        move |mut ctx| {
            if let Some(Entity::Event(mut first)) = ctx.loaded[0].take() {
                first.repeated(ctx.now);
                return Ok(Decision {
                    journal: vec![JournalDraft::new(
                        first.number,
                        JournalAction::EventRepeated(EventRepeated {
                            occurrences: first.occurrences,
                            last_seen: first.last_seen,
                        }),
                    )],
                    writes: vec![Write::Update(Entity::Event(first))],
                    release_numbers: true,
                });
            }
            let number = ctx.event_number(0)?;
            let mut event = Event::report(number, report, &actor, ctx.now);
            event.related = rampart_domain::correlate(&ctx.correlated);
            Ok(Decision {
                journal: vec![JournalDraft::new(number, reported(&event))],
                writes: vec![Write::Insert(Entity::Event(Box::new(event)))],
                ..Default::default()
            })
        },
    )
    .correlating(CorrelationQuery {
        keys,
        since: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
    })
}

pub async fn repeats_correlation_and_dead_letters<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    let event = |c: crate::Committed| c.entities.into_iter().next().unwrap().into_event().unwrap();
    let first = event(store.execute(alert("r1", "192.0.2.1")).await.unwrap());
    assert_eq!((first.number.seq(), first.occurrences), (1, 1));
    assert!(first.related.is_empty());

    // Concurrent repeats of one alert land on the first event and use up no number.
    let repeats: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.execute(alert("r1", "192.0.2.1")).await })
        })
        .collect();
    for r in repeats {
        assert_eq!(event(r.await.unwrap().unwrap()).number, first.number);
    }
    let stored = store
        .get(&EntityRef::Event(first.number))
        .await
        .unwrap()
        .unwrap()
        .into_event()
        .unwrap();
    assert_eq!(stored.occurrences, 21);
    assert!(stored.last_seen.is_some());

    // A new alert sharing the address or the asset is related to the open one; its number follows on.
    let second = event(store.execute(alert("r2", "192.0.2.1")).await.unwrap());
    assert_eq!(second.number.seq(), 2);
    assert_eq!(second.related.len(), 1);
    assert_eq!(second.related[0].number, first.number.to_string());
    assert_eq!(
        second.related[0].shared,
        ["asset:web server", "ip:192.0.2.1"]
    );
    let third = event(store.execute(alert("r3", "192.0.2.77")).await.unwrap());
    assert_eq!(third.number.seq(), 3);
    let related: Vec<_> = third
        .related
        .iter()
        .map(|c| (c.number.clone(), c.shared.clone()))
        .collect();
    assert_eq!(
        related,
        [
            (
                first.number.to_string(),
                vec!["asset:web server".to_owned()]
            ),
            (
                second.number.to_string(),
                vec!["asset:web server".to_owned()]
            ),
        ]
    );
    assert!(
        matches!(
            verify(&*store).await,
            Verification::Intact { count: 23, .. }
        ),
        "{:?}",
        verify(&*store).await
    );

    // Dead letters are kept outside the journal, newest first, with a cursor.
    let before = journal_len(&*store).await;
    for i in 0..3 {
        let letter = DeadLetter {
            id: None,
            received_at: Timestamp::parse("2026-11-22T08:00:00Z").unwrap(),
            transport: "syslog-tcp".into(),
            peer: "127.0.0.1".into(),
            reason: format!("bad {i}"),
            raw: format!("raw {i}"),
        };
        store
            .execute(UnitOfWork::new("system", vec![], vec![], move |_| {
                Ok(Decision {
                    writes: vec![Write::DeadLetter(letter)],
                    journal: vec![],
                    ..Default::default()
                })
            }))
            .await
            .unwrap();
    }
    assert_eq!(journal_len(&*store).await, before);
    assert_eq!(store.dead_letter_count().await.unwrap(), 3);
    let page = store.dead_letters(None, 2).await.unwrap();
    let reasons: Vec<_> = page.items.iter().map(|l| l.reason.as_str()).collect();
    assert_eq!(reasons, ["bad 2", "bad 1"]);
    let rest = store
        .dead_letters(page.next_cursor.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].raw, "raw 0");
    assert!(rest.next_cursor.is_none());

    // Alerts arriving together (most of them sharing a commit) are related
    // exactly as if they had come one by one: to the newest five before
    // them sharing a key (the test clock stands still, so "newest" is the
    // higher number). A refused unit's event leaves no key behind, and its
    // number goes back.
    let burst: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                if i == 5 {
                    store.execute(refused_alert()).await
                } else {
                    store.execute(alert(&format!("b{i}"), "198.51.100.7")).await
                }
            })
        })
        .collect();
    let mut stored = Vec::new();
    for (i, handle) in burst.into_iter().enumerate() {
        match handle.await.unwrap() {
            Ok(done) => stored.push(event(done)),
            Err(e) => assert_eq!(i, 5, "{e}"),
        }
    }
    stored.sort_by_key(|e| e.number.seq());
    let seqs: Vec<u32> = stored.iter().map(|e| e.number.seq()).collect();
    assert_eq!(seqs, (4..=14).collect::<Vec<_>>());
    let mut order: Vec<String> = [&first, &second, &third]
        .iter()
        .map(|e| e.number.to_string())
        .collect();
    order.extend(stored.iter().map(|e| e.number.to_string()));
    for (k, e) in stored.iter().enumerate() {
        let at = 3 + k;
        let expected: BTreeSet<&str> = order[at.saturating_sub(5)..at]
            .iter()
            .map(String::as_str)
            .collect();
        let got: BTreeSet<&str> = e.related.iter().map(|c| c.number.as_str()).collect();
        assert_eq!(got, expected, "{} is related to the wrong events", e.number);
    }
}

/// What a [`probe`] saw: its loads and its correlation hits.
type Seen = Arc<std::sync::Mutex<Vec<(Vec<Option<Entity>>, Vec<rampart_domain::CorrelationHit>)>>>;

/// A unit that writes nothing and notes what it was given: `load`, and the
/// stored events sharing `keys`.
fn probe(load: Vec<EntityRef>, keys: Vec<String>, seen: Seen) -> UnitOfWork {
    UnitOfWork::new("system", load, vec![], move |ctx| {
        seen.lock().unwrap().push((ctx.loaded, ctx.correlated));
        Ok(Decision::default())
    })
    .correlating(CorrelationQuery {
        keys,
        since: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
    })
}

/// Units committed together see what the units before them in their batch
/// wrote, whatever each writes: a repeat finds the event stored earlier in
/// the batch, a change of a stored event is what later units load and
/// correlate with, and that holds on after a unit that writes other records
/// (and is refused) ends PostgreSQL's reading ahead. Text of any character
/// is stored as given.
pub async fn one_batch_sees_what_its_earlier_units_wrote<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    let event = |c: crate::Committed| c.entities.into_iter().next().unwrap().into_event().unwrap();
    let stored = event(store.execute(alert("s0", "203.0.113.5")).await.unwrap());
    let user = User {
        name: "dora".into(),
        ..dummy_user()
    };
    let add_user = |user: User| {
        UnitOfWork::new("system", vec![], vec![], move |_| {
            Ok(Decision {
                writes: vec![Write::Insert(Entity::User(user))],
                ..Default::default()
            })
        })
    };
    store.execute(add_user(user.clone())).await.unwrap();
    let mut triaged = stored.clone();
    triaged
        .begin_triage(&Actor::new("pat", vec![Role::Poc]), stored.reported_at)
        .unwrap();
    let triage = {
        let triaged = triaged.clone();
        UnitOfWork::new(
            "pat",
            vec![EntityRef::Event(stored.number)],
            vec![],
            move |ctx| {
                assert!(ctx.loaded[0].is_some(), "the stored event is loaded");
                Ok(Decision {
                    writes: vec![Write::Update(Entity::Event(Box::new(triaged)))],
                    ..Default::default()
                })
            },
        )
    };
    let ip = |v: &str| format!("ip:{v}");
    let seen: Seen = Arc::default();
    let look = || {
        probe(
            vec![
                EntityRef::Event(stored.number),
                EntityRef::EventBySource {
                    name: "ids".into(),
                    reference: "t1".into(),
                },
            ],
            vec![ip("203.0.113.9"), ip("203.0.113.5")],
            seen.clone(),
        )
    };
    let title = r#"say "hi" \ {a,b} NULL ünïcode ☂ 'quoted'"#;
    // The writer is held by a unit that takes a while, so the rest queue up
    // and are committed together, in this order.
    let hold = UnitOfWork::new("system", vec![], vec![], |_| {
        std::thread::sleep(std::time::Duration::from_millis(300));
        Ok(Decision::default())
    });
    let held = {
        let store = store.clone();
        tokio::spawn(async move { store.execute(hold).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let batch = vec![
        alert("t1", "203.0.113.9"),
        alert("t1", "203.0.113.9"),
        alert("t2", "203.0.113.9"),
        triage,
        alert("t3", "203.0.113.5"),
        look(),
        add_user(user),
        alert("t1", "203.0.113.9"),
        look(),
        titled_alert("t4", "203.0.113.10", title),
    ];
    let results = futures_util::future::join_all(batch.into_iter().map(|u| store.execute(u))).await;
    held.await.unwrap().unwrap();
    let mut results = results.into_iter();
    let mut next = || results.next().unwrap();
    let first = event(next().unwrap());
    let repeat = event(next().unwrap());
    let second = event(next().unwrap());
    next().unwrap();
    let third = event(next().unwrap());
    next().unwrap();
    assert!(
        matches!(next(), Err(StoreError::Domain(DomainError::Conflict(_)))),
        "a second user of one name is refused"
    );
    let again = event(next().unwrap());
    next().unwrap();
    let odd = event(next().unwrap());

    // Numbers follow on without a gap: repeats gave theirs back.
    let seqs = [&stored, &first, &second, &third, &odd].map(|e| e.number.seq());
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!((repeat.number, repeat.occurrences), (first.number, 2));
    assert_eq!((again.number, again.occurrences), (first.number, 3));
    let related =
        |e: &Event| -> Vec<String> { e.related.iter().map(|c| c.number.clone()).collect() };
    assert_eq!(
        related(&second),
        [first.number.to_string(), stored.number.to_string()]
    );
    assert!(related(&third).contains(&stored.number.to_string()));
    assert_eq!(odd.title.as_str(), title);

    // Both probes saw the change of the stored event, the repeats so far,
    // and the events of the batch sharing a key, newest first.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for ((loaded, hits), occurrences) in seen.iter().zip([2, 3]) {
        assert_eq!(loaded[0], Some(Entity::Event(Box::new(triaged.clone()))));
        match &loaded[1] {
            Some(Entity::Event(e)) => {
                assert_eq!((e.number, e.occurrences), (first.number, occurrences));
            }
            other => panic!("the first alert is not found by its source: {other:?}"),
        }
        let hits: Vec<(String, String, EventStatus)> = hits
            .iter()
            .map(|h| (h.key.clone(), h.event.clone(), h.status))
            .collect();
        assert_eq!(
            hits,
            [
                (ip("203.0.113.9"), second.number.to_string(), second.status),
                (ip("203.0.113.9"), first.number.to_string(), first.status),
                (ip("203.0.113.5"), third.number.to_string(), third.status),
                (ip("203.0.113.5"), stored.number.to_string(), triaged.status),
            ]
        );
    }

    // What was acknowledged is what is stored.
    for e in [&triaged, &second, &third, &odd] {
        let read = store.get(&EntityRef::Event(e.number)).await.unwrap();
        assert_eq!(read, Some(Entity::Event(Box::new(e.clone()))));
    }
    let read = store.get(&EntityRef::Event(first.number)).await.unwrap();
    assert_eq!(read, Some(Entity::Event(Box::new(again.clone()))));
    assert!(
        matches!(verify(&*store).await, Verification::Intact { count: 7, .. }),
        "{:?}",
        verify(&*store).await
    );
}

/// A unit that stores an alert sharing the burst's keys, then fails on a
/// record that does not exist: nothing of it may remain.
fn refused_alert() -> UnitOfWork {
    let actor = reporter();
    let report = || -> EventReport {
        serde_json::from_value(json!({"title": "alert", "description": "x",
            "source": {"kind": "sensor", "name": "ids", "ref": "refused"},
            "observables": [{"type": "ip", "value": "198.51.100.7"}], "assets": ["Web Server"]}))
        .unwrap()
    };
    UnitOfWork::new(
        actor.name.clone(),
        vec![],
        vec![NumberKind::Event],
        move |ctx| {
            let number = ctx.event_number(0)?;
            let event = Event::report(number, report(), &actor, ctx.now);
            let missing = Event::report(
                rampart_domain::EventNumber::new(2026, 999_999).unwrap(),
                report(),
                &actor,
                ctx.now,
            );
            Ok(Decision {
                journal: vec![JournalDraft::new(number, reported(&event))],
                writes: vec![
                    Write::Insert(Entity::Event(Box::new(event))),
                    Write::Update(Entity::Event(Box::new(missing))),
                ],
                ..Default::default()
            })
        },
    )
}

/// Background jobs: one per key; concurrent claims get different jobs; a
/// lease that runs out lets another node take the job over, and the first
/// can then no longer finish it; failures are retried, then the job is dead
/// until an admin queues it again.
pub async fn jobs_are_claimed_once_retried_and_buried<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    use crate::JobState;
    let at = |s: &str| rampart_domain::Timestamp::parse(s).unwrap();
    let t0 = at("2026-11-22T08:00:00Z");
    let later = at("2026-11-22T08:00:30Z");
    let much_later = at("2026-11-22T09:00:00Z");
    assert!(
        !store.read_only().await.unwrap(),
        "a fresh store takes changes"
    );

    assert!(
        store
            .enqueue_job("checkpoint", "k1", "{}", t0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .enqueue_job("checkpoint", "k1", "{}", t0)
            .await
            .unwrap()
    );
    for i in 2..=20 {
        let key = format!("k{i}");
        assert!(
            store
                .enqueue_job("checkpoint", &key, "{}", t0)
                .await
                .unwrap()
        );
    }
    // Not due yet: nothing to claim.
    assert!(
        store
            .claim_job("n0", at("2026-11-22T07:59:59Z"), t0)
            .await
            .unwrap()
            .is_none()
    );

    // Four nodes claim at once, until nothing is left: every job once.
    let claims: Vec<_> = (0..4)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let node = format!("n{n}");
                let mut mine = Vec::new();
                while let Some(job) = store.claim_job(&node, t0, later).await.unwrap() {
                    assert_eq!(job.state, JobState::Running);
                    assert_eq!(job.locked_by.as_deref(), Some(node.as_str()));
                    mine.push(job.key);
                }
                mine
            })
        })
        .collect();
    let mut keys = Vec::new();
    for c in claims {
        keys.extend(c.await.unwrap());
    }
    let unique: BTreeSet<_> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), 20, "{keys:?}");
    assert_eq!(unique.len(), 20);

    // A lease that ran out: another node takes the job, the first cannot finish it.
    let jobs = store
        .list_jobs(Some(JobState::Running), None, 100)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 20);
    let stale = jobs.iter().find(|j| j.key == "k1").unwrap().clone();
    let holder = stale.locked_by.clone().unwrap();
    let other = if holder == "n9" { "n8" } else { "n9" };
    let taken = store
        .claim_job(other, much_later, much_later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.attempts, 2);
    assert!(!store.finish_job(taken.id, &holder, later).await.unwrap());
    assert!(store.finish_job(taken.id, other, much_later).await.unwrap());

    // A failure is retried when due; the last is buried, and an admin
    // queues it again.
    let job = jobs.iter().find(|j| j.key == "k2").unwrap();
    let node = job.locked_by.clone().unwrap();
    assert!(
        store
            .fail_job(job.id, &node, "disk full", Some(later), t0)
            .await
            .unwrap()
    );
    let again = loop {
        let j = store
            .claim_job("n5", later, much_later)
            .await
            .unwrap()
            .unwrap();
        if j.id == job.id {
            break j;
        }
        // Another stale job taken over on the way; finish it.
        store.finish_job(j.id, "n5", later).await.unwrap();
    };
    assert_eq!(again.last_error.as_deref(), Some("disk full"));
    assert!(
        store
            .fail_job(again.id, "n5", "disk still full", None, later)
            .await
            .unwrap()
    );
    let dead = store
        .list_jobs(Some(JobState::Dead), None, 100)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key, "k2");
    assert_eq!(dead[0].last_error.as_deref(), Some("disk still full"));
    assert!(dead[0].finished_at.is_some());
    // Dead jobs are never claimed, and only dead jobs are queued again.
    assert!(!store.requeue_job(taken.id, later).await.unwrap());
    assert!(store.requeue_job(dead[0].id, later).await.unwrap());
    let revived = store
        .list_jobs(Some(JobState::Queued), None, 100)
        .await
        .unwrap();
    assert_eq!(revived.len(), 1);
    assert_eq!(revived[0].attempts, 0);
}

/// Jobs queued by a unit of work (an outbox): they exist only if the unit
/// commits, with its records and journal entries, and once under their key.
pub async fn jobs_queued_by_a_unit_commit_or_vanish_with_it<B: SqlBackend>(
    store: Arc<SqlStore<B>>,
) {
    use crate::JobDraft;
    let job = |key: &str| {
        Write::Enqueue(JobDraft {
            kind: "notify".into(),
            key: key.into(),
            payload: format!(r#"{{"key":"{key}"}}"#),
            run_after: rampart_domain::Timestamp::parse("2026-11-22T08:00:00Z").unwrap(),
        })
    };
    let keys = |jobs: Vec<crate::Job>| jobs.into_iter().map(|j| j.key).collect::<Vec<_>>();

    // Committed with the event it belongs to.
    let unit = report_with(json!({"title": "with a job"}), vec![job("event-1")]);
    let committed = store.execute(unit).await.unwrap();
    assert_eq!(committed.journal.len(), 1);
    let queued = store.list_jobs(None, None, 100).await.unwrap();
    assert_eq!(keys(queued.clone()), ["event-1"]);
    assert_eq!(queued[0].kind, "notify");
    assert_eq!(queued[0].payload, r#"{"key":"event-1"}"#);

    // Refused by the database after its job was written: neither stays.
    let existing = committed.entities[0].clone();
    let journal = store.journal_head().await.unwrap();
    let refused = UnitOfWork::new("rita", vec![], vec![], move |_| {
        Ok(Decision {
            journal: vec![],
            writes: vec![job("event-1-again"), Write::Insert(existing.clone())],
            ..Default::default()
        })
    });
    assert!(store.execute(refused).await.is_err());
    assert_eq!(
        keys(store.list_jobs(None, None, 100).await.unwrap()),
        ["event-1"]
    );
    assert_eq!(store.journal_head().await.unwrap(), journal);

    // A second unit naming the same key queues nothing more.
    let unit = report_with(json!({"title": "same key"}), vec![job("event-1")]);
    store.execute(unit).await.unwrap();
    assert_eq!(
        keys(store.list_jobs(None, None, 100).await.unwrap()),
        ["event-1"]
    );

    // The node that queued a job may claim it by its key, once.
    let now = rampart_domain::Timestamp::parse("2026-11-22T08:00:01Z").unwrap();
    let lease = rampart_domain::Timestamp::parse("2026-11-22T08:01:01Z").unwrap();
    let early = rampart_domain::Timestamp::parse("2026-11-22T07:00:00Z").unwrap();
    assert!(
        store
            .claim_job_by_key("event-1", "n1", early, lease)
            .await
            .unwrap()
            .is_none(),
        "not due yet"
    );
    assert!(
        store
            .claim_job_by_key("no-such-key", "n1", now, lease)
            .await
            .unwrap()
            .is_none()
    );
    let claimed = store
        .claim_job_by_key("event-1", "n1", now, lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((claimed.key.as_str(), claimed.attempts), ("event-1", 1));
    assert!(
        store
            .claim_job_by_key("event-1", "n2", now, lease)
            .await
            .unwrap()
            .is_none(),
        "held by the node that claimed it"
    );
}
