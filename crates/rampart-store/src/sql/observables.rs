//! Observables on incidents: the index of their keys (`incident_observables`),
//! kept by the writer in the transaction that changes the incident, and the
//! pivot's reads (the incidents and events carrying one key, newest first,
//! with their counts).

use std::collections::BTreeSet;

use rampart_domain::{Event, Incident};

use super::query::{Filter, paginate, parse_cursor};
use super::{ColType, SqlBackend, SqlConn, SqlStore, SqlValue};
use crate::{Page, StoreError};

/// Makes the index rows of `incident` equal to the keys of its observables
/// not removed: reads its rows (by the index on `incident`) and writes only
/// the difference, so a change that touches no observable writes nothing.
pub(super) async fn index_incident<C: SqlConn>(
    conn: &mut C,
    incident: &Incident,
) -> Result<(), StoreError> {
    let number = incident.number.to_string();
    let wanted: BTreeSet<String> = incident.observable_keys().into_iter().collect();
    let stored: BTreeSet<String> = conn
        .fetch(
            "SELECT key FROM incident_observables WHERE incident = $1",
            &[SqlValue::text(number.clone())],
            &[ColType::Text],
        )
        .await?
        .into_iter()
        .filter_map(|r| r.into_iter().next().and_then(SqlValue::into_string))
        .collect();
    for key in stored.difference(&wanted) {
        conn.execute(
            "DELETE FROM incident_observables WHERE key = $1 AND incident = $2",
            &[SqlValue::text(key.clone()), SqlValue::text(number.clone())],
        )
        .await?;
    }
    for key in wanted.difference(&stored) {
        conn.execute(
            "INSERT INTO incident_observables (key, incident) VALUES ($1, $2)",
            &[SqlValue::text(key.clone()), SqlValue::text(number.clone())],
        )
        .await?;
    }
    Ok(())
}

fn count(rows: &[Vec<SqlValue>]) -> u64 {
    rows.first()
        .and_then(|r| r.first())
        .and_then(SqlValue::as_i64)
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0)
}

/// The incidents carrying `key` that `viewer` may see (need-to-know), newest
/// first (by confirmation), a page after `cursor`, and how many there are.
pub(super) async fn incidents_with<B: SqlBackend>(
    store: &SqlStore<B>,
    key: &str,
    viewer: &str,
    cursor: Option<&str>,
    limit: u32,
) -> Result<(Page<Incident>, u64), StoreError> {
    let mut f = Filter::default();
    f.and("o.key = ?", vec![SqlValue::text(key)]);
    f.viewer(Some(viewer));
    let from = "FROM incident_observables o JOIN incidents i ON i.number = o.incident";
    let total = count(
        &store
            .fetch(
                &format!("SELECT COUNT(*) {from}{}", f.sql()),
                &f.params,
                &[ColType::Int],
            )
            .await?,
    );
    if let Some(c) = parse_cursor(cursor, 1)? {
        f.and("i.id < ?", vec![SqlValue::int(c[0])]);
    }
    let sql = format!("SELECT i.id, i.data {from}{} ORDER BY i.id DESC", f.sql());
    let sql = sql + &f.limit(limit);
    let rows = store
        .fetch(&sql, &f.params, &[ColType::Int, ColType::Text])
        .await?;
    let page = paginate(rows, limit, |r| r[0].as_i64().unwrap_or(0).to_string())?;
    Ok((page, total))
}

/// The events carrying `key`, newest first, a page after `cursor`, and how
/// many there are (from the index alone).
pub(super) async fn events_with<B: SqlBackend>(
    store: &SqlStore<B>,
    key: &str,
    cursor: Option<&str>,
    limit: u32,
) -> Result<(Page<Event>, u64), StoreError> {
    let total = count(
        &store
            .fetch(
                "SELECT COUNT(DISTINCT event) FROM event_observables WHERE key = $1",
                &[SqlValue::text(key)],
                &[ColType::Int],
            )
            .await?,
    );
    let mut f = Filter::default();
    f.and("o.key = ?", vec![SqlValue::text(key)]);
    if let Some(c) = parse_cursor(cursor, 1)? {
        f.and("e.id < ?", vec![SqlValue::int(c[0])]);
    }
    let sql = format!(
        "SELECT e.id, e.data FROM event_observables o JOIN events e ON e.number = o.event{} ORDER BY e.id DESC",
        f.sql()
    );
    let sql = sql + &f.limit(limit);
    let rows = store
        .fetch(&sql, &f.params, &[ColType::Int, ColType::Text])
        .await?;
    let page = paginate(rows, limit, |r| r[0].as_i64().unwrap_or(0).to_string())?;
    Ok((page, total))
}
