//! The writer's connection: SQLite called directly, on a thread of the
//! writer's own.
//!
//! Through sqlx, every statement travels to a worker thread and its answer
//! back, two thread wake-ups a statement; measured on two cores, those
//! hand-offs took most of the writer's time. The writer runs whole batches of
//! statements, so it talks to SQLite itself (rusqlite, sharing sqlx's
//! SQLite library) on its own thread, where waiting for the disk blocks no
//! request. Readers and migrations stay on sqlx.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rampart_domain::DomainError;
use rampart_store::StoreError;
use rampart_store::sql::{ColType, SqlConn, SqlValue};

/// Prepared statements kept per connection (the engine's statements, the
/// multi-row journal appends of various lengths, correlation lookups).
const STATEMENT_CACHE: usize = 512;

/// The writer's connection, opened on first use and again after a failure.
#[derive(Debug)]
pub(crate) struct DirectWriter {
    path: PathBuf,
    conn: Mutex<Option<rusqlite::Connection>>,
}

impl DirectWriter {
    pub(crate) fn new(path: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            path,
            conn: Mutex::new(None),
        })
    }

    fn open(&self) -> Result<rusqlite::Connection, StoreError> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(error)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(error)?;
        // The same promises as the readers' connections: WAL (kept in the
        // file), every commit synced, foreign keys enforced.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(error)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(error)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    /// Runs `f` on the connection, opening it when needed.
    fn with<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| StoreError::Database("the writer connection is unusable".into()))?;
        if guard.is_none() {
            *guard = Some(self.open()?);
        }
        match guard.as_ref() {
            Some(conn) => f(conn),
            None => Err(StoreError::Database("no writer connection".into())),
        }
    }

    /// Drops the connection: its transaction state is unknown.
    fn reset(&self) {
        if let Ok(mut guard) = self.conn.lock() {
            *guard = None;
        }
    }
}

/// Maps a SQLite error; unique violations are conflicts the user can act on.
fn error(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation
                && matches!(
                    f.extended_code,
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
        {
            StoreError::Domain(DomainError::Conflict(
                "a record with this key exists already".into(),
            ))
        }
        _ => StoreError::Database(e.to_string()),
    }
}

/// The engine's `$N` placeholders as SQLite's `?N`, whose index is `N`
/// itself. (Binding `$N` by name costs a linear search per value, which a
/// multi-row insert of thousands of values pays thousands of times.) The
/// engine's statements carry no `$` inside string literals.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// Prepares `sql` (from the cache) and binds `$1`, `$2`… by their numbers,
/// so a parameter may appear in any order and more than once.
fn prepared<'c>(
    conn: &'c rusqlite::Connection,
    sql: &str,
    params: &[SqlValue],
) -> Result<rusqlite::CachedStatement<'c>, StoreError> {
    let mut statement = conn.prepare_cached(&numbered(sql)).map_err(error)?;
    let count = statement.parameter_count();
    if count > params.len() {
        return Err(StoreError::Corrupt(format!(
            "the statement takes {count} parameters, {} given: {sql}",
            params.len()
        )));
    }
    for (i, param) in params.iter().enumerate().take(count) {
        match param {
            SqlValue::Int(v) => statement.raw_bind_parameter(i + 1, *v),
            SqlValue::Text(v) => statement.raw_bind_parameter(i + 1, v.as_deref()),
        }
        .map_err(error)?;
    }
    Ok(statement)
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_keep_their_numbers() {
        assert_eq!(
            super::numbered("UPDATE t SET a = $2, b = $10 WHERE k = $1 AND c = '$'"),
            "UPDATE t SET a = ?2, b = ?10 WHERE k = ?1 AND c = '$'"
        );
    }
}

/// The writer's end of [`DirectWriter`].
#[derive(Debug)]
pub struct WriterConn(pub(crate) Arc<DirectWriter>);

impl SqlConn for WriterConn {
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
        self.0.with(|conn| {
            let mut statement = prepared(conn, sql, params)?;
            let changed = statement.raw_execute().map_err(error)?;
            Ok(u64::try_from(changed).unwrap_or(u64::MAX))
        })
    }

    async fn fetch(
        &mut self,
        sql: &str,
        params: &[SqlValue],
        types: &[ColType],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        self.0.with(|conn| {
            let mut statement = prepared(conn, sql, params)?;
            let mut rows = statement.raw_query();
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(error)? {
                let values = types
                    .iter()
                    .enumerate()
                    .map(|(i, t)| match t {
                        ColType::Int => row.get::<_, Option<i64>>(i).map(SqlValue::Int),
                        ColType::Text => row.get::<_, Option<String>>(i).map(SqlValue::Text),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(error)?;
                out.push(values);
            }
            Ok(out)
        })
    }

    fn discard(&mut self) {
        self.0.reset();
    }
}
