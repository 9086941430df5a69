//! Events: the list query. The queue and the past events are each one
//! value of the `stage` column, indexed with the orders (migration 11).

use rampart_domain::{DomainError, Event, Lane};

use super::query::Filter;
use super::search::TextPlan;
use super::{Cursor, Dialect, SqlBackend, SqlStore, SqlValue};
use crate::model::{EventSort, EventStage};
use crate::{EventQuery, Page, StoreError};

pub(super) async fn list_events<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &EventQuery,
) -> Result<Page<Event>, StoreError> {
    let cursor = q.cursor.as_deref();
    let text = store.text_plan("events", q.text.as_deref()).await?;
    let dialect = store.backend().dialect();
    let few_in_time = few_in_time(store, q).await?;
    let filters = |f: &mut Filter| filters(f, q, text.as_ref(), dialect, few_in_time);
    if q.sort == EventSort::Due {
        let lanes = due_lanes(q.lanes.as_deref())?;
        return store
            .by_due("events", filters, lanes, cursor, q.limit)
            .await;
    }
    let mut f = Filter::default();
    filters(&mut f);
    if let Some(lanes) = &q.lanes {
        f.lanes(lanes);
    }
    match q.sort {
        EventSort::Newest | EventSort::Due => {
            store
                .by_id("events", f, false, Cursor::Pair, cursor, q.limit)
                .await
        }
        EventSort::Oldest => {
            store
                .by_id("events", f, true, Cursor::Pair, cursor, q.limit)
                .await
        }
        EventSort::Severity => {
            store
                .ranked("events", f, "severity_rank", true, cursor, q.limit)
                .await
        }
    }
}

/// The list's conditions other than the target lanes.
fn filters(
    f: &mut Filter,
    q: &EventQuery,
    text: Option<&TextPlan>,
    dialect: Dialect,
    few_in_time: bool,
) {
    f.text("stage", q.stage.map(EventStage::as_str));
    f.text("status", q.status.map(|s| s.as_str()));
    match q.source.as_deref() {
        Some(kind @ ("person" | "sensor")) => f.text("source_kind", Some(kind)),
        other => f.text("source_name", other),
    }
    let mark = f.mark();
    time_window(f, q);
    // Within the window's subquery when there is one, read with it.
    f.exercise(&q.exercise);
    if few_in_time {
        // Few rows in the window: read them from the time index, then order.
        let window = f.take_since(mark);
        f.and(
            &format!("id IN (SELECT id FROM events WHERE {window})"),
            vec![],
        );
    }
    if let Some(s) = q.severity {
        f.and(
            "severity_rank = ?",
            vec![SqlValue::int(crate::model::severity_rank(Some(s)))],
        );
    }
    f.text("proposed_category", q.category.as_ref().map(|c| c.as_str()));
    f.text("reporter_kind", q.reporter.map(|r| r.as_str()));
    f.search(text, dialect);
    f.text("submitted_by", q.submitted_by.as_deref());
}

/// The report-time window of the list, if any.
fn time_window(f: &mut Filter, q: &EventQuery) {
    if let Some(since) = q.since {
        f.and("reported_at >= ?", vec![SqlValue::text(since.to_rfc3339())]);
    }
    if let Some(before) = q.before {
        f.and("reported_at < ?", vec![SqlValue::text(before.to_rfc3339())]);
    }
}

/// Rows in a time window at most, for reading it from the time index.
const FEW_IN_TIME: i64 = 1_000;

/// Whether the list's time window holds fewer than [`FEW_IN_TIME`] events:
/// then they are read from the index on the report time and ordered, at a
/// cost that follows their number. A wider window is read in the list's
/// order, which finds a page among its many rows soon.
async fn few_in_time<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &EventQuery,
) -> Result<bool, StoreError> {
    if q.since.is_none() && q.before.is_none() {
        return Ok(false);
    }
    let mut f = Filter::default();
    time_window(&mut f, q);
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM events{} LIMIT {FEW_IN_TIME}) AS window_rows",
        f.sql()
    );
    let rows = store.fetch(&sql, &f.params, &[super::ColType::Int]).await?;
    let n = rows
        .first()
        .and_then(|r| r.first())
        .and_then(SqlValue::as_i64)
        .unwrap_or(0);
    Ok(n < FEW_IN_TIME)
}

/// The lanes a list by time left reads; the caller must give them.
pub(super) fn due_lanes(lanes: Option<&[Lane]>) -> Result<&[Lane], StoreError> {
    lanes.ok_or_else(|| {
        StoreError::Domain(DomainError::field(
            "sort",
            "`due` needs the response-time targets in force",
        ))
    })
}
