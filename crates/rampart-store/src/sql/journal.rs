//! The journal: its head, its entries and its checkpoints.

use super::query::Filter;
use super::rows::documents;
use super::{ColType, SqlBackend, SqlStore, SqlValue};
use crate::journal::GENESIS;
use crate::model::Checkpoint;
use crate::{JournalEntry, JournalQuery, JournalSearch, StoreError};

/// The journal's head: its last sequence number and hash.
pub(crate) const HEAD_QUERY: &str = "SELECT seq, hash FROM journal_head WHERE id = 1";
pub(crate) const HEAD_TYPES: [ColType; 2] = [ColType::Int, ColType::Text];

/// The head from the rows of [`HEAD_QUERY`]; an empty journal's is
/// `(0, GENESIS)`.
pub(crate) fn head_of(rows: Vec<Vec<SqlValue>>) -> (u64, String) {
    let mut row = rows.into_iter().next().unwrap_or_default().into_iter();
    let seq = row
        .next()
        .and_then(|v| v.as_i64())
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0);
    let hash = row
        .next()
        .and_then(SqlValue::into_string)
        .unwrap_or_else(|| GENESIS.to_owned());
    (seq, hash)
}

/// Journal entries from rows of `seq, at, actor, action, entity, payload, hash`.
pub(super) fn parse_entries(rows: Vec<Vec<SqlValue>>) -> Result<Vec<JournalEntry>, StoreError> {
    rows.into_iter()
        .map(|row| {
            let mut it = row.into_iter();
            let seq = it
                .next()
                .and_then(|v| v.as_i64())
                .and_then(|n| u64::try_from(n).ok());
            let mut text = || {
                it.next()
                    .and_then(SqlValue::into_string)
                    .unwrap_or_default()
            };
            let (at, actor, action, entity, payload, hash) =
                (text(), text(), text(), text(), text(), text());
            let seq =
                seq.ok_or_else(|| StoreError::Corrupt("journal row without sequence".into()))?;
            Ok(JournalEntry {
                seq,
                at,
                actor,
                action,
                entity,
                payload,
                hash,
            })
        })
        .collect()
}

pub(super) async fn journal<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &JournalQuery,
) -> Result<Vec<JournalEntry>, StoreError> {
    let mut f = Filter::default();
    f.and(
        "seq > ?",
        vec![SqlValue::int(i64::try_from(q.after).unwrap_or(i64::MAX))],
    );
    f.text("entity", q.entity.as_deref());
    let limit = if q.limit == 0 {
        100
    } else {
        q.limit.min(10_000)
    };
    f.params.push(SqlValue::int(limit));
    let sql = format!(
        "SELECT seq, at, actor, action, entity, payload, hash FROM journal{} ORDER BY seq LIMIT ${}",
        f.sql(),
        f.params.len()
    );
    use ColType::{Int, Text};
    let rows = store
        .fetch(&sql, &f.params, &[Int, Text, Text, Text, Text, Text, Text])
        .await?;
    parse_entries(rows)
}

pub(super) async fn search<B: SqlBackend>(
    store: &SqlStore<B>,
    q: &JournalSearch,
) -> Result<Vec<JournalEntry>, StoreError> {
    let mut f = Filter::default();
    if let Some(before) = q.before {
        f.and(
            "seq < ?",
            vec![SqlValue::int(i64::try_from(before).unwrap_or(i64::MAX))],
        );
    }
    f.text("entity", q.entity.as_deref());
    f.text("actor", q.actor.as_deref());
    f.text("action", q.action.as_deref());
    f.params.push(SqlValue::int(q.limit.clamp(1, 1000)));
    let sql = format!(
        "SELECT seq, at, actor, action, entity, payload, hash FROM journal{} ORDER BY seq DESC LIMIT ${}",
        f.sql(),
        f.params.len()
    );
    use ColType::{Int, Text};
    let rows = store
        .fetch(&sql, &f.params, &[Int, Text, Text, Text, Text, Text, Text])
        .await?;
    parse_entries(rows)
}

pub(super) async fn checkpoints<B: SqlBackend>(
    store: &SqlStore<B>,
    after: u64,
    limit: u32,
) -> Result<Vec<Checkpoint>, StoreError> {
    let rows = store
        .fetch(
            "SELECT data FROM checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[
                SqlValue::int(i64::try_from(after).unwrap_or(i64::MAX)),
                SqlValue::int(limit.clamp(1, 10_000)),
            ],
            &[ColType::Text],
        )
        .await?;
    documents(rows, "checkpoint")
}

pub(super) async fn last_checkpoint<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<Option<Checkpoint>, StoreError> {
    let rows = store
        .fetch(
            "SELECT data FROM checkpoints ORDER BY seq DESC LIMIT 1",
            &[],
            &[ColType::Text],
        )
        .await?;
    Ok(documents(rows, "checkpoint")?.pop())
}

pub(super) async fn journal_head<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<(u64, String), StoreError> {
    let rows = store.fetch(HEAD_QUERY, &[], &HEAD_TYPES).await?;
    Ok(head_of(rows))
}
