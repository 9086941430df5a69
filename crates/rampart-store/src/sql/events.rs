//! Events: the list query. The queue and the past events are each one
//! value of the `stage` column, indexed with the orders (migration 11).

use rampart_domain::Event;

use super::query::{Filter, paginate, parse_cursor};
use super::{ColType, SqlBackend, SqlStore, SqlValue};
use crate::model::{EventSort, EventStage};
use crate::{EventQuery, Page, StoreError};

pub(super) async fn list_events<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &EventQuery,
) -> Result<Page<Event>, StoreError> {
    let mut f = Filter::default();
    f.text("stage", q.stage.map(EventStage::as_str));
    f.text("status", q.status.map(|s| s.as_str()));
    match q.source.as_deref() {
        Some(kind @ ("person" | "sensor")) => f.text("source_kind", Some(kind)),
        other => f.text("source_name", other),
    }
    if let Some(since) = q.since {
        f.and("reported_at >= ?", vec![SqlValue::text(since.to_rfc3339())]);
    }
    if let Some(before) = q.before {
        f.and("reported_at < ?", vec![SqlValue::text(before.to_rfc3339())]);
    }
    if let Some(s) = q.severity {
        f.and(
            "severity_rank = ?",
            vec![SqlValue::int(crate::model::severity_rank(Some(s)))],
        );
    }
    f.text("proposed_category", q.category.map(|c| c.as_str()));
    f.text("reporter_kind", q.reporter.map(|r| r.as_str()));
    f.contains(q.text.as_deref());
    f.text("submitted_by", q.submitted_by.as_deref());
    match q.sort {
        EventSort::Newest => {
            store
                .newest_first("events", f, q.cursor.as_deref(), q.limit)
                .await
        }
        EventSort::Oldest => {
            if let Some(c) = parse_cursor(q.cursor.as_deref(), 1)? {
                f.and("id > ?", vec![SqlValue::int(c[0])]);
            }
            let sql = format!("SELECT id, data FROM events{} ORDER BY id", f.sql());
            let sql = sql + &f.limit(q.limit);
            let rows = store
                .fetch(&sql, &f.params, &[ColType::Int, ColType::Text])
                .await?;
            paginate(rows, q.limit, |r| r[0].as_i64().unwrap_or(0).to_string())
        }
        EventSort::Severity => {
            if let Some(c) = parse_cursor(q.cursor.as_deref(), 2)? {
                f.and(
                    "(severity_rank < ? OR (severity_rank = ? AND id > ?))",
                    vec![
                        SqlValue::int(c[0]),
                        SqlValue::int(c[0]),
                        SqlValue::int(c[1]),
                    ],
                );
            }
            let sql = format!(
                "SELECT severity_rank, id, data FROM events{} ORDER BY severity_rank DESC, id",
                f.sql()
            );
            let sql = sql + &f.limit(q.limit);
            let rows = store
                .fetch(
                    &sql,
                    &f.params,
                    &[ColType::Int, ColType::Int, ColType::Text],
                )
                .await?;
            paginate(rows, q.limit, |r| {
                format!(
                    "{}.{}",
                    r[0].as_i64().unwrap_or(0),
                    r[1].as_i64().unwrap_or(0)
                )
            })
        }
    }
}
