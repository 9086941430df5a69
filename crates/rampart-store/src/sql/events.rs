//! Events: the list query.

use rampart_domain::Event;

use super::query::Filter;
use super::{SqlBackend, SqlStore, SqlValue};
use crate::{EventQuery, Page, StoreError};

pub(super) async fn list_events<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &EventQuery,
) -> Result<Page<Event>, StoreError> {
    let mut f = Filter::default();
    f.text("status", q.status.map(|s| s.as_str()));
    match q.source.as_deref() {
        Some(kind @ ("person" | "sensor")) => f.text("source_kind", Some(kind)),
        other => f.text("source_name", other),
    }
    if let Some(since) = q.since {
        f.and("reported_at >= ?", vec![SqlValue::text(since.to_rfc3339())]);
    }
    f.contains(q.text.as_deref());
    f.text("submitted_by", q.submitted_by.as_deref());
    store
        .newest_first("events", f, q.cursor.as_deref(), q.limit)
        .await
}
