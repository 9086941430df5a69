//! Incidents: the list query and the counts.

use rampart_domain::Incident;

use super::query::Filter;
use super::search::TextPlan;
use super::{ColType, Cursor, Dialect, SqlBackend, SqlStore, SqlValue};
use crate::model::{Counts, IncidentSort};
use crate::{IncidentQuery, Page, StoreError};

pub(super) async fn list_incidents<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &IncidentQuery,
) -> Result<Page<Incident>, StoreError> {
    let cursor = q.cursor.as_deref();
    let text = store.text_plan("incidents", q.text.as_deref()).await?;
    let dialect = store.backend().dialect();
    let filters = |f: &mut Filter| filters(f, q, text.as_ref(), dialect);
    if q.sort == IncidentSort::Due {
        let lanes = super::events::due_lanes(q.lanes.as_deref())?;
        return store
            .by_due("incidents", filters, lanes, cursor, q.limit)
            .await;
    }
    let mut f = Filter::default();
    filters(&mut f);
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
fn filters(f: &mut Filter, q: &IncidentQuery, text: Option<&TextPlan>, dialect: Dialect) {
    f.text("status", q.status.map(|s| s.as_str()));
    f.text("category", q.category.as_ref().map(|s| s.as_str()));
    f.text("class", q.class.map(|s| s.as_str()));
    f.text("coordinator", q.coordinator.as_deref());
    f.exercise(&q.exercise);
    if q.open {
        // As written in the partial index of open incidents by coordinator.
        f.and("status NOT IN ('closed', 'reviewed')", vec![]);
    }
    f.search(text, dialect);
    f.viewer(q.viewer.as_deref());
    if q.with_regimes {
        f.and("regimes > 0", vec![]);
    }
}

pub(super) async fn counts<B: SqlBackend>(
    store: &SqlStore<B>,
    viewer: Option<&str>,
) -> Result<Counts, StoreError> {
    use ColType::{Int, Text};
    let text = |v: Option<&SqlValue>| {
        v.cloned()
            .and_then(SqlValue::into_string)
            .unwrap_or_default()
    };
    // The kept tallies, and the restricted incidents `viewer` may see (all
    // of them for none)
    // counted from their partial index (migration 17); less the exercise
    // records the tallies hold, counted from theirs (migration 26).
    let mut f = Filter::default();
    f.and("restricted_to <> ''", vec![]);
    f.viewer(viewer);
    let sql = format!(
        "SELECT kind, status, class, n FROM tallies WHERE n > 0 \
         UNION ALL \
         SELECT 'incident', status, class, COUNT(*) FROM incidents{} \
         AND exercise IS NULL GROUP BY status, class \
         UNION ALL \
         SELECT 'event', status, '', -COUNT(*) FROM events WHERE exercise IS NOT NULL \
         GROUP BY status \
         UNION ALL \
         SELECT 'incident', status, class, -COUNT(*) FROM incidents \
         WHERE exercise IS NOT NULL AND restricted_to = '' GROUP BY status, class",
        f.sql()
    );
    let mut events: std::collections::BTreeMap<String, i64> = Default::default();
    let mut incidents: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for row in store
        .fetch(&sql, &f.params, &[Text, Text, Text, Int])
        .await?
    {
        let status = text(row.get(1));
        let n = row.get(3).and_then(SqlValue::as_i64).unwrap_or(0);
        if text(row.first()) == "event" {
            *events.entry(status).or_default() += n;
        } else {
            *incidents.entry((status, text(row.get(2)))).or_default() += n;
        }
    }
    let positive = |n: i64| u64::try_from(n).ok().filter(|n| *n > 0);
    Ok(Counts {
        events: events
            .into_iter()
            .filter_map(|(s, n)| Some((s, positive(n)?)))
            .collect(),
        incidents: incidents
            .into_iter()
            .filter_map(|((s, c), n)| Some((s, c, positive(n)?)))
            .collect(),
    })
}

/// Open incidents `viewer` may see with an open response action due
/// before `now` (Unix seconds), the most overdue first, and whether there
/// are more than `limit` (one index range, migration 17).
pub(super) async fn overdue_actions<B: SqlBackend>(
    store: &SqlStore<B>,
    viewer: &str,
    now: i64,
    limit: u32,
) -> Result<(Vec<Incident>, bool), StoreError> {
    let mut f = Filter::default();
    f.and(
        "action_due IS NOT NULL AND action_due < ?",
        vec![SqlValue::int(now)],
    );
    f.viewer(Some(viewer));
    let sql = format!(
        "SELECT action_due, id, data FROM incidents{} ORDER BY action_due, id",
        f.sql()
    );
    let sql = sql + &f.limit(limit);
    let rows = store
        .fetch(
            &sql,
            &f.params,
            &[ColType::Int, ColType::Int, ColType::Text],
        )
        .await?;
    let page: Page<Incident> = super::query::paginate(rows, limit, |_| String::new())?;
    Ok((page.items, page.next_cursor.is_some()))
}

/// The reviewed incidents `viewer` may see, the latest review first (the
/// partial index of migration 28).
pub(super) async fn reviewed<B: SqlBackend>(
    store: &SqlStore<B>,
    viewer: &str,
    limit: u32,
) -> Result<Vec<Incident>, StoreError> {
    let mut f = Filter::default();
    f.and("reviewed_at IS NOT NULL", vec![]);
    f.viewer(Some(viewer));
    let limit = limit.clamp(1, crate::MAX_PAGE);
    let sql = format!(
        "SELECT data FROM incidents{} ORDER BY reviewed_at DESC, id DESC LIMIT {limit}",
        f.sql()
    );
    let rows = store.fetch(&sql, &f.params, &[ColType::Text]).await?;
    super::rows::documents(rows, "a reviewed incident")
}

/// The incidents published on the MISP feed, newest first.
pub(super) async fn published<B: SqlBackend>(
    store: &SqlStore<B>,
    limit: u32,
) -> Result<Vec<Incident>, StoreError> {
    let limit = limit.clamp(1, crate::MAX_PAGE);
    let sql = format!(
        "SELECT data FROM incidents WHERE published IS NOT NULL ORDER BY id DESC LIMIT {limit}"
    );
    let rows = store.fetch(&sql, &[], &[ColType::Text]).await?;
    super::rows::documents(rows, "a published incident")
}
