//! Incidents: the list query and the counts.

use rampart_domain::Incident;

use super::query::Filter;
use super::{ColType, Cursor, SqlBackend, SqlStore, SqlValue};
use crate::model::{Counts, IncidentSort};
use crate::{IncidentQuery, Page, StoreError};

pub(super) async fn list_incidents<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &IncidentQuery,
) -> Result<Page<Incident>, StoreError> {
    let cursor = q.cursor.as_deref();
    if q.sort == IncidentSort::Due {
        let lanes = super::events::due_lanes(q.lanes.as_deref())?;
        return store
            .by_due("incidents", |f| filters(f, q), lanes, cursor, q.limit)
            .await;
    }
    let mut f = Filter::default();
    filters(&mut f, q);
    if let Some(lanes) = &q.lanes {
        f.lanes(lanes);
    }
    match q.sort {
        IncidentSort::Priority | IncidentSort::Due => {
            store
                .ranked("incidents", f, "priority", false, cursor, q.limit)
                .await
        }
        IncidentSort::Oldest => {
            store
                .by_id("incidents", f, true, Cursor::Pair, cursor, q.limit)
                .await
        }
        IncidentSort::Newest => {
            store
                .by_id("incidents", f, false, Cursor::Pair, cursor, q.limit)
                .await
        }
    }
}

/// The list's conditions other than the target lanes.
fn filters(f: &mut Filter, q: &IncidentQuery) {
    f.text("status", q.status.map(|s| s.as_str()));
    f.text("category", q.category.map(|s| s.as_str()));
    f.text("class", q.class.map(|s| s.as_str()));
    f.text("coordinator", q.coordinator.as_deref());
    f.contains(q.text.as_deref());
    f.viewer(q.viewer.as_deref());
    if q.with_regimes {
        f.and("regimes > 0", vec![]);
    }
}

pub(super) async fn counts<B: SqlBackend>(
    store: &SqlStore<B>,
    viewer: &str,
) -> Result<Counts, StoreError> {
    let mut f = Filter::default();
    f.viewer(Some(viewer));
    let sql = format!(
        "SELECT status, class, COUNT(*) FROM incidents{} GROUP BY status, class",
        f.sql()
    );
    use ColType::{Int, Text};
    let count = |v: Option<&SqlValue>| {
        v.and_then(SqlValue::as_i64)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0)
    };
    let text = |v: Option<&SqlValue>| {
        v.cloned()
            .and_then(SqlValue::into_string)
            .unwrap_or_default()
    };
    let incidents = store
        .fetch(&sql, &f.params, &[Text, Text, Int])
        .await?
        .iter()
        .map(|r| (text(r.first()), text(r.get(1)), count(r.get(2))))
        .collect();
    let events = store
        .fetch(
            "SELECT status, COUNT(*) FROM events GROUP BY status",
            &[],
            &[Text, Int],
        )
        .await?
        .iter()
        .map(|r| (text(r.first()), count(r.get(1))))
        .collect();
    Ok(Counts { incidents, events })
}
