//! Text search: whichever way a search reaches its rows (reading in order,
//! or through the trigram index by the rarest pieces), it finds exactly
//! the rows whose text holds the searched text, in the list's order, and
//! follows changes of the text at once, whether or not the index has
//! taken them in yet.

use std::sync::Arc;

use rampart_domain::{Event, Text};
use serde_json::json;

use crate::model::EventSort;
use crate::sql::{SqlBackend, SqlStore};
use crate::{Decision, Entity, EntityRef, EventQuery, Store, UnitOfWork, Write};

/// Every event, newest first.
async fn all_events<B: SqlBackend>(store: &SqlStore<B>) -> Vec<Event> {
    store
        .list_events(&EventQuery {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

/// The numbers a search lists, page by page (small pages, to cross cursors).
async fn found<B: SqlBackend>(store: &SqlStore<B>, text: &str, sort: EventSort) -> Vec<String> {
    let mut numbers = Vec::new();
    let mut q = EventQuery {
        text: Some(text.into()),
        sort,
        limit: 4,
        ..Default::default()
    };
    loop {
        let page = store.list_events(&q).await.unwrap();
        numbers.extend(page.items.iter().map(|e| e.number.to_string()));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return numbers,
        }
    }
}

/// What reading every row finds for `text`, in the order of `sort`.
fn expected(all: &[Event], text: &str, sort: EventSort) -> Vec<String> {
    let needle = text.trim().to_lowercase();
    let mut hits: Vec<&Event> = all
        .iter()
        .filter(|e| e.search_text().contains(&needle))
        .collect();
    if sort == EventSort::Severity {
        // Most severe first, then oldest first.
        hits.reverse();
        hits.sort_by_key(|e| std::cmp::Reverse(crate::model::severity_rank(e.severity)));
    }
    hits.iter().map(|e| e.number.to_string()).collect()
}

const SEARCHES: [&str; 18] = [
    " ab ",
    "g 1",
    "phishing",
    "PHISHING MAIL 13",
    "  mail 2  ",
    "10.0.0.1",
    "zürich",
    "ZÜRICH OFF",
    "\"x\" and",
    "near(",
    "*z^",
    "0% r",
    "l_de",
    "r_al",
    "absent text",
    "db-07.corp",
    "\n",
    "evt-2026",
];

pub async fn text_search_agrees_with_reading_every_row<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    // A sample smaller than the table, so rare text goes through the index.
    store.set_search_sample_rows(8);
    for i in 0..24 {
        let severity = ["low", "high", "critical"][i % 3];
        super::report_event(
            &*store,
            json!({"title": format!("Phishing mail {i}"), "severity": severity}),
        )
        .await;
    }
    for i in 0..12 {
        super::report_event(
            &*store,
            json!({"title": format!("Login from 10.0.0.{i}"), "observables": [{"type": "ip", "value": format!("10.0.0.{i}")}]}),
        )
        .await;
    }
    for title in [
        "Zürich office printer",
        "Quote \"x\" AND NEAR(y) *z^",
        "100% real_deal",
    ] {
        super::report_event(&*store, json!({"title": title})).await;
    }
    let db = super::report_event(
        &*store,
        json!({"title": "Disk full", "assets": ["db-07.corp.example"]}),
    )
    .await;
    let all = all_events(&store).await;
    // Once with the rows still noted, once with them in the index (where
    // PostgreSQL holds the text with its punctuation folded to letters).
    for state in ["noted", "indexed"] {
        if state == "indexed" {
            indexed(&store).await;
        }
        for sort in [EventSort::Newest, EventSort::Severity] {
            for text in SEARCHES {
                assert_eq!(
                    found(&store, text, sort).await,
                    expected(&all, text, sort),
                    "search for {text:?} by {sort:?}, rows {state}"
                );
            }
        }
    }
    assert_eq!(
        found(&store, "db-07.corp", EventSort::Newest).await.len(),
        1
    );

    // A change of the text is found at once, and the old text no more.
    retitle(&store, &db, "Disk replaced on web-3").await;
    assert!(
        found(&store, "db-07.corp", EventSort::Newest)
            .await
            .is_empty()
    );
    assert_eq!(
        found(&store, "replaced on web", EventSort::Newest).await,
        [db.number.to_string()]
    );
}

/// Gives `event` a new title and no assets.
async fn retitle<B: SqlBackend>(store: &SqlStore<B>, event: &Event, title: &str) {
    let key = EntityRef::Event(event.number);
    let title = Text::new(title).unwrap();
    let unit = UnitOfWork::new("pat", vec![key], vec![], move |mut ctx| {
        let mut event = ctx.take(0, || "event".into())?.into_event().unwrap();
        event.title = title;
        event.assets.clear();
        Ok(Decision {
            writes: vec![Write::Update(Entity::Event(Box::new(event)))],
            ..Default::default()
        })
    });
    store.execute(unit).await.unwrap();
}

/// Waits until the writer has indexed every row written.
async fn indexed<B: SqlBackend>(store: &SqlStore<B>) {
    for _ in 0..1_000 {
        if store.text_index_waiting().await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the text index did not catch up in 10 s");
}

/// Checks every search of `texts` against reading every row, in both orders.
async fn agree<B: SqlBackend>(store: &SqlStore<B>, texts: &[&str], when: &str) {
    let all = all_events(store).await;
    for sort in [EventSort::Newest, EventSort::Severity] {
        for text in texts {
            assert_eq!(
                found(store, text, sort).await,
                expected(&all, text, sort),
                "{when}: search for {text:?} by {sort:?}"
            );
        }
    }
}

/// The writer indexes rows between batches: rows it has not
/// indexed yet are found as indexed ones are, and a change or removal of
/// the text is followed before and after the index takes it in.
pub async fn text_search_holds_while_the_index_catches_up<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    store.set_search_sample_rows(8);
    store.pause_text_index(true);
    let mut events = Vec::new();
    for i in 0..40 {
        let severity = ["low", "high"][i % 2];
        events.push(
            super::report_event(
                &*store,
                json!({
                    "title": format!("Beacon to c2-{i}.example from host-{}", i % 5),
                    "severity": severity,
                }),
            )
            .await,
        );
    }
    let texts = [
        "c2-17.example",
        "host-3",
        "beacon",
        "2-1",
        "absent text",
        "renamed",
        "\"",
    ];
    assert_eq!(store.text_index_waiting().await.unwrap(), 40);
    agree(&store, &texts, "nothing indexed").await;
    store.pause_text_index(false);
    indexed(&store).await;
    agree(&store, &texts, "all indexed").await;

    // Changed after it was indexed; reported and changed before; removed.
    store.pause_text_index(true);
    retitle(&store, &events[17], "Renamed: was c2 seventeen").await;
    let late = super::report_event(&*store, json!({"title": "Beacon to c2-99.example"})).await;
    retitle(&store, &late, "Renamed before indexing").await;
    store
        .execute_raw(&format!(
            "DELETE FROM events WHERE number = '{}'",
            events[3].number
        ))
        .await
        .unwrap();
    assert!(store.text_index_waiting().await.unwrap() >= 4);
    agree(&store, &texts, "changes waiting").await;
    assert!(
        found(&store, "c2-17.example", EventSort::Newest)
            .await
            .is_empty()
    );
    store.pause_text_index(false);
    indexed(&store).await;
    agree(&store, &texts, "changes indexed").await;
    assert!(found(&store, "c2-99", EventSort::Newest).await.is_empty());
    assert_eq!(found(&store, "renamed", EventSort::Newest).await.len(), 2);
}
