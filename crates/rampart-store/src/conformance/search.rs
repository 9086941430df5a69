//! Text search: whichever way a search reaches its rows (reading in order,
//! or through the trigram index by the rarest pieces), it finds exactly
//! the rows whose text holds the searched text, in the list's order, and
//! follows changes of the text in the same transaction.

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
    for sort in [EventSort::Newest, EventSort::Severity] {
        for text in SEARCHES {
            assert_eq!(
                found(&store, text, sort).await,
                expected(&all, text, sort),
                "search for {text:?} by {sort:?}"
            );
        }
    }
    assert_eq!(
        found(&store, "db-07.corp", EventSort::Newest).await.len(),
        1
    );

    // A change of the text is found at once, and the old text no more.
    let key = EntityRef::Event(db.number);
    let unit = UnitOfWork::new("pat", vec![key], vec![], move |mut ctx| {
        let mut event = ctx.take(0, || "event".into())?.into_event().unwrap();
        event.title = Text::new("Disk replaced on web-3").unwrap();
        event.assets.clear();
        Ok(Decision {
            writes: vec![Write::Update(Entity::Event(Box::new(event)))],
            ..Default::default()
        })
    });
    store.execute(unit).await.unwrap();
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
