//! Intake: the correlation keys of the running batch, correlation look-ups,
//! and the dead letters of intake.

use rampart_domain::{CorrelationHit, EventStatus, IncidentStatus};

use super::ahead::Ahead;
use super::query::{Filter, page_size, parse_cursor};
use super::rows::parse;
use super::{ColType, SqlBackend, SqlConn, SqlStore, SqlValue, statement};
use crate::model::{CorrelationQuery, DeadLetter};
use crate::{Page, StoreError};

/// One correlation key of an event stored in the running batch.
pub(super) struct KeyRow {
    pub(super) event: String,
    pub(super) key: String,
    pub(super) reported_at: String,
    pub(super) status: EventStatus,
    pub(super) incident: Option<String>,
}

/// The running batch's key rows, in order, found by key.
#[derive(Default)]
pub(super) struct BatchKeys {
    pub(super) rows: Vec<KeyRow>,
    by_key: std::collections::HashMap<String, Vec<usize>>,
}

impl BatchKeys {
    pub(super) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(super) fn push(&mut self, row: KeyRow) {
        let at = self.rows.len();
        self.by_key.entry(row.key.clone()).or_default().push(at);
        self.rows.push(row);
    }

    /// Forgets the rows from `len` on (a refused unit's).
    pub(super) fn truncate(&mut self, len: usize) {
        while self.rows.len() > len {
            let Some(row) = self.rows.pop() else { break };
            let at = self.rows.len();
            if let Some(list) = self.by_key.get_mut(&row.key) {
                list.retain(|i| *i != at);
                if list.is_empty() {
                    self.by_key.remove(&row.key);
                }
            }
        }
    }

    /// The rows of `key`, newest first.
    pub(super) fn of_key(&self, key: &str) -> impl Iterator<Item = &KeyRow> {
        self.by_key
            .get(key)
            .into_iter()
            .flat_map(|list| list.iter().rev().map(|i| &self.rows[*i]))
    }
}

/// Most keys of one event that are looked up for correlation.
pub(super) const MAX_CORRELATION_KEYS: usize = 64;
/// Most stored events looked at per key, newest first: a busy key (a shared
/// C2 domain) costs the same as a quiet one.
pub(super) const PER_KEY: usize = 5;

/// Events reported since `query.since` that share one of its keys, the
/// newest [`PER_KEY`] per key, with their incident's status: those stored by
/// the running batch (`batch`, newest last), then those stored before it.
/// Those stored before come from `ahead` when the batch read them ahead.
pub(super) async fn correlated<C: SqlConn>(
    conn: &mut C,
    query: &CorrelationQuery,
    batch: &BatchKeys,
    ahead: Option<&Ahead>,
) -> Result<Vec<CorrelationHit>, StoreError> {
    let keys = &query.keys[..query.keys.len().min(MAX_CORRELATION_KEYS)];
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let since = query.since.to_rfc3339();
    let mut hits = Vec::new();
    // Hits taken so far, per key of `keys`.
    let mut taken = vec![0; keys.len()];
    for (key, taken) in keys.iter().zip(&mut taken) {
        for row in batch.of_key(key) {
            if *taken == PER_KEY {
                break;
            }
            if row.reported_at < since {
                continue;
            }
            *taken += 1;
            let incident = match &row.incident {
                Some(n) => incident_status(conn, n).await?.map(|s| (n.clone(), s)),
                None => None,
            };
            hits.push(CorrelationHit {
                key: row.key.clone(),
                event: row.event.clone(),
                status: row.status,
                incident,
            });
        }
    }
    // A key the batch's own events fill already needs no look-up: what was
    // stored before the batch is older.
    let open: Vec<String> = keys
        .iter()
        .zip(&taken)
        .filter(|(_, n)| **n < PER_KEY)
        .map(|(k, _)| k.clone())
        .collect();
    if !open.is_empty() {
        let stored = match ahead {
            Some(ahead) => ahead.stored_hits(conn, &open, &since).await?,
            None => stored_hits(conn, &open, &since).await?,
        };
        for hit in stored {
            if let Some(i) = keys.iter().position(|k| *k == hit.key)
                && taken[i] < PER_KEY
            {
                taken[i] += 1;
                hits.push(hit);
            }
        }
    }
    Ok(hits)
}

/// An incident's status as the running transaction sees it.
pub(super) async fn incident_status<C: SqlConn>(
    conn: &mut C,
    number: &str,
) -> Result<Option<IncidentStatus>, StoreError> {
    let rows = conn
        .fetch(
            "SELECT status FROM incidents WHERE number = $1",
            &[SqlValue::text(number)],
            &[ColType::Text],
        )
        .await?;
    match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
        Some(SqlValue::Text(Some(s))) => IncidentStatus::parse(&s)
            .map(Some)
            .map_err(StoreError::Corrupt),
        _ => Ok(None),
    }
}

/// Events stored before the running batch that share one of `keys`, the
/// newest [`PER_KEY`] per key, newest first.
async fn stored_hits<C: SqlConn>(
    conn: &mut C,
    keys: &[String],
    since: &str,
) -> Result<Vec<CorrelationHit>, StoreError> {
    let mut params = Vec::with_capacity(keys.len() + 1);
    params.push(SqlValue::text(since));
    params.extend(keys.iter().map(|k| SqlValue::text(k.clone())));
    let sql = statement("correlate", "event_observables", keys.len(), || {
        let parts: Vec<String> = (0..keys.len())
            .map(|i| {
                format!(
                    "SELECT * FROM (SELECT o.key, o.event, o.reported_at FROM event_observables o \
                     WHERE o.key = ${} AND o.reported_at >= $1 \
                     ORDER BY o.reported_at DESC, o.event DESC LIMIT {PER_KEY}) AS k{i}",
                    i + 2
                )
            })
            .collect();
        format!(
            "SELECT h.key, e.number, e.status, e.incident, i.status \
             FROM ({}) AS h JOIN events e ON e.number = h.event \
             LEFT JOIN incidents i ON i.number = e.incident \
             ORDER BY h.reported_at DESC, h.event DESC",
            parts.join(" UNION ALL ")
        )
    });
    let rows = conn
        .fetch(
            sql,
            &params,
            &[
                ColType::Text,
                ColType::Text,
                ColType::Text,
                ColType::Text,
                ColType::Text,
            ],
        )
        .await?;
    rows.into_iter()
        .map(|row| hit(&mut row.into_iter().map(SqlValue::into_string)))
        .collect()
}

/// A correlation hit from the next five values of `row`: the key, the
/// event's number and status, its incident and that incident's status.
pub(super) fn hit(
    row: &mut impl Iterator<Item = Option<String>>,
) -> Result<CorrelationHit, StoreError> {
    let mut next = || row.next().flatten();
    let (key, event, status, incident, incident_status) = (next(), next(), next(), next(), next());
    let corrupt = || StoreError::Corrupt("correlation row is incomplete".into());
    let status = EventStatus::parse(&status.ok_or_else(corrupt)?).map_err(StoreError::Corrupt)?;
    let incident = match (incident, incident_status) {
        (Some(n), Some(s)) => Some((n, IncidentStatus::parse(&s).map_err(StoreError::Corrupt)?)),
        _ => None,
    };
    Ok(CorrelationHit {
        key: key.ok_or_else(corrupt)?,
        event: event.ok_or_else(corrupt)?,
        status,
        incident,
    })
}

pub(super) async fn dead_letters<B: SqlBackend>(
    store: &SqlStore<B>,
    cursor: Option<&str>,
    limit: u32,
) -> Result<Page<DeadLetter>, StoreError> {
    let mut f = Filter::default();
    if let Some(c) = parse_cursor(cursor, 1)? {
        f.and("id < ?", vec![SqlValue::int(c[0])]);
    }
    let sql = format!(
        "SELECT id, data FROM dead_letters{} ORDER BY id DESC",
        f.sql()
    );
    let sql = sql + &f.limit(limit);
    let rows = store
        .fetch(&sql, &f.params, &[ColType::Int, ColType::Text])
        .await?;
    let size = page_size(limit) as usize;
    let more = rows.len() > size;
    let mut items = Vec::with_capacity(size.min(rows.len()));
    for row in rows.into_iter().take(size) {
        let mut row = row.into_iter();
        let id = row.next().and_then(|v| v.as_i64());
        let data = row
            .next()
            .and_then(SqlValue::into_string)
            .ok_or_else(|| StoreError::Corrupt("dead letter without data".into()))?;
        let mut letter: DeadLetter = parse(&data, "dead letter")?;
        letter.id = id;
        items.push(letter);
    }
    let next_cursor = if more {
        items.last().and_then(|l| l.id).map(|id| id.to_string())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

pub(super) async fn dead_letter_count<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<u64, StoreError> {
    store.count("dead_letters").await
}
