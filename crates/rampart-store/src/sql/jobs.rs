//! Background jobs: enqueueing, claiming, finishing, failing, listing and
//! requeueing them.

use rampart_domain::Timestamp;

use super::query::Filter;
use super::{ColType, Dialect, SqlBackend, SqlStore, SqlValue};
use crate::model::{Job as BackgroundJob, JobState};
use crate::{MAX_PAGE, StoreError};

/// A job's columns, in the order [`job`] reads them.
const JOB_COLUMNS: &str = "id, kind, key, payload, state, attempts, run_after, locked_by, \
     locked_until, last_error, created_at, finished_at";
const JOB_TYPES: [ColType; 12] = [
    ColType::Int,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Int,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
    ColType::Text,
];

fn job(row: Vec<SqlValue>) -> Result<BackgroundJob, StoreError> {
    let corrupt = || StoreError::Corrupt("job row is incomplete".into());
    let [
        id,
        kind,
        key,
        payload,
        state,
        attempts,
        run_after,
        locked_by,
        locked_until,
        last_error,
        created_at,
        finished_at,
    ]: [SqlValue; 12] = row.try_into().map_err(|_| corrupt())?;
    let text = |v: SqlValue| v.into_string().ok_or_else(corrupt);
    Ok(BackgroundJob {
        id: id.as_i64().ok_or_else(corrupt)?,
        kind: text(kind)?,
        key: text(key)?,
        payload: text(payload)?,
        state: JobState::parse(&text(state)?).map_err(StoreError::Corrupt)?,
        attempts: attempts
            .as_i64()
            .and_then(|a| u32::try_from(a).ok())
            .ok_or_else(corrupt)?,
        run_after: text(run_after)?,
        locked_by: locked_by.into_string(),
        locked_until: locked_until.into_string(),
        last_error: last_error.into_string(),
        created_at: text(created_at)?,
        finished_at: finished_at.into_string(),
    })
}

/// Queues a job once under its key; `$1`–`$4` are kind, key, payload and
/// the time it may run from (also when it was queued).
pub(super) const ENQUEUE: &str = "INSERT INTO jobs (kind, key, payload, state, attempts, run_after, created_at) \
     VALUES ($1, $2, $3, 'queued', 0, $4, $4) ON CONFLICT (key) DO NOTHING";

/// The parameters of [`ENQUEUE`].
pub(super) fn enqueue_params(
    kind: &str,
    key: &str,
    payload: &str,
    run_after: Timestamp,
) -> [SqlValue; 4] {
    [
        SqlValue::text(kind),
        SqlValue::text(key),
        SqlValue::text(payload),
        SqlValue::text(run_after.to_rfc3339()),
    ]
}

pub(super) async fn enqueue_job<B: SqlBackend>(
    store: &SqlStore<B>,
    kind: &str,
    key: &str,
    payload: &str,
    run_after: Timestamp,
) -> Result<bool, StoreError> {
    let added = store
        .execute_direct(ENQUEUE, &enqueue_params(kind, key, payload, run_after))
        .await?;
    Ok(added == 1)
}

pub(super) async fn claim_job<B: SqlBackend>(
    store: &SqlStore<B>,
    node: &str,
    now: Timestamp,
    lease_until: Timestamp,
    key: Option<&str>,
) -> Result<Option<BackgroundJob>, StoreError> {
    // PostgreSQL: a job another node is claiming right now is skipped,
    // not waited for. SQLite runs one write at a time.
    let lock = match store.backend.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let only = if key.is_some() { "key = $4 AND " } else { "" };
    let sql = format!(
        "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, \
         attempts = attempts + 1 \
         WHERE id = (SELECT id FROM jobs \
             WHERE {only}((state = 'queued' AND run_after <= $3) \
                OR (state = 'running' AND locked_until < $3)) \
             ORDER BY run_after, id LIMIT 1{lock}) \
         RETURNING {JOB_COLUMNS}"
    );
    let mut params = vec![
        SqlValue::text(node),
        SqlValue::text(lease_until.to_rfc3339()),
        SqlValue::text(now.to_rfc3339()),
    ];
    if let Some(key) = key {
        params.push(SqlValue::text(key));
    }
    let rows = store.fetch(&sql, &params, &JOB_TYPES).await?;
    rows.into_iter().next().map(job).transpose()
}

pub(super) async fn finish_job<B: SqlBackend>(
    store: &SqlStore<B>,
    id: i64,
    node: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let changed = store
        .execute_direct(
            "UPDATE jobs SET state = 'done', finished_at = $3, locked_by = NULL, \
             locked_until = NULL WHERE id = $1 AND locked_by = $2 AND state = 'running'",
            &[
                SqlValue::int(id),
                SqlValue::text(node),
                SqlValue::text(now.to_rfc3339()),
            ],
        )
        .await?;
    Ok(changed == 1)
}

pub(super) async fn fail_job<B: SqlBackend>(
    store: &SqlStore<B>,
    id: i64,
    node: &str,
    error: &str,
    retry_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let (state, run_after, finished) = match retry_at {
        Some(at) => (
            "queued",
            SqlValue::text(at.to_rfc3339()),
            SqlValue::Text(None),
        ),
        None => (
            "dead",
            SqlValue::Text(None),
            SqlValue::text(now.to_rfc3339()),
        ),
    };
    let changed = store
        .execute_direct(
            "UPDATE jobs SET state = $3, run_after = COALESCE($4, run_after), \
             finished_at = $5, last_error = $6, locked_by = NULL, locked_until = NULL \
             WHERE id = $1 AND locked_by = $2 AND state = 'running'",
            &[
                SqlValue::int(id),
                SqlValue::text(node),
                SqlValue::text(state),
                run_after,
                finished,
                SqlValue::text(error.chars().take(2000).collect::<String>()),
            ],
        )
        .await?;
    Ok(changed == 1)
}

/// How many jobs are queued, running and dead, from the index on their
/// state (finished jobs, which only grow, are not counted).
pub(super) async fn job_counts<B: SqlBackend>(
    store: &SqlStore<B>,
) -> Result<Vec<(JobState, u64)>, StoreError> {
    let mut counts = Vec::with_capacity(3);
    for state in [JobState::Queued, JobState::Running, JobState::Dead] {
        let rows = store
            .fetch(
                "SELECT COUNT(*) FROM jobs WHERE state = $1",
                &[SqlValue::text(state.as_str())],
                &[ColType::Int],
            )
            .await?;
        let n = rows
            .first()
            .and_then(|r| r.first())
            .and_then(SqlValue::as_i64)
            .unwrap_or(0);
        counts.push((state, u64::try_from(n).unwrap_or(0)));
    }
    Ok(counts)
}

pub(super) async fn list_jobs<B: SqlBackend>(
    store: &SqlStore<B>,
    state: Option<JobState>,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<BackgroundJob>, StoreError> {
    let mut f = Filter::default();
    f.text("state", state.map(JobState::as_str));
    if let Some(id) = before {
        f.and("id < ?", vec![SqlValue::int(id)]);
    }
    // One more than a page, so that a caller can tell whether more follow.
    f.params.push(SqlValue::int(limit.clamp(1, MAX_PAGE + 1)));
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM jobs{} ORDER BY id DESC LIMIT ${}",
        f.sql(),
        f.params.len()
    );
    let rows = store.fetch(&sql, &f.params, &JOB_TYPES).await?;
    rows.into_iter().map(job).collect()
}

pub(super) async fn requeue_job<B: SqlBackend>(
    store: &SqlStore<B>,
    id: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let changed = store
        .execute_direct(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_after = $2, \
             finished_at = NULL WHERE id = $1 AND state = 'dead'",
            &[SqlValue::int(id), SqlValue::text(now.to_rfc3339())],
        )
        .await?;
    Ok(changed == 1)
}
