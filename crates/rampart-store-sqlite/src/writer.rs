//! The writer's connection: SQLite called directly, on a thread of the
//! writer's own.
//!
//! Through sqlx, every statement travels to a worker thread and its answer
//! back, two thread wake-ups a statement; measured on two cores, those
//! hand-offs took most of the writer's time. The writer runs whole batches of
//! statements, so it talks to SQLite itself (rusqlite, sharing sqlx's
//! SQLite library) on its own thread, where waiting for the disk blocks no
//! request. Readers and migrations stay on sqlx.
//!
//! Two threads take the waiting for the disk off the writer:
//! - the syncer makes each commit durable (`fdatasync` of the write-ahead
//!   log) and only then answers the batch's requesters. The writer commits
//!   with `synchronous=NORMAL` and starts the next batch while the disk
//!   syncs; batches that commit meanwhile share the next sync. A reply is
//!   sent only once its commit is on disk, so nothing acknowledged is lost;
//!   log frames written after the last sync are discarded by SQLite's
//!   recovery, whose checksums end the log at the first incomplete commit.
//! - the checkpointer copies the log back into the database on its own
//!   connection while the writer goes on. SQLite's automatic checkpoint on
//!   the writer (every 8,192 pages of log) then finds little left to
//!   copy; it still runs, because only the writer can start the log again
//!   from its beginning once all of it is copied.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rampart_domain::DomainError;
use rampart_store::StoreError;
use rampart_store::sql::{ColType, Replies, SqlConn, SqlValue};

/// Prepared statements kept per connection (the engine's statements, the
/// multi-row journal appends of various lengths, correlation lookups).
const STATEMENT_CACHE: usize = 512;

/// Pages of the database the writer keeps in memory (KiB, as SQLite's
/// negative `cache_size`): the indexes an intake burst touches stay cached.
const WRITER_CACHE_KIB: i64 = 8 * 1024;

/// Pause between two checkpoints: commits in the meantime are copied
/// together, each page once.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(25);

/// Pages of write-ahead log after which the writer finishes a checkpoint
/// itself (copying what the checkpointer has not yet), so the log starts
/// again from its beginning. About 32 MiB of log.
const WRITER_CHECKPOINT_PAGES: i64 = 8192;

/// The writer's connection, opened on first use and again after a failure.
#[derive(Debug)]
pub(crate) struct DirectWriter {
    path: PathBuf,
    conn: Mutex<Option<rusqlite::Connection>>,
    /// Tells the checkpointer that something was committed.
    committed: std::sync::mpsc::SyncSender<()>,
    /// Committed batches waiting for their sync; `None` when the syncer
    /// could not start and every commit syncs itself.
    syncer: Option<std::sync::mpsc::Sender<Replies>>,
}

impl DirectWriter {
    pub(crate) fn new(path: PathBuf) -> Arc<Self> {
        let (committed, pending) = std::sync::mpsc::sync_channel(1);
        let checkpoint_path = path.clone();
        let started = std::thread::Builder::new()
            .name("rampart-checkpoint".into())
            .spawn(move || checkpointer(&checkpoint_path, &pending));
        if let Err(e) = started {
            // SQLite then checkpoints on the writer's thread, as it would by itself.
            tracing::error!(error = %e, "the checkpoint thread cannot start");
        }
        let (syncer, batches) = std::sync::mpsc::channel();
        let sync_path = path.clone();
        let syncer = match std::thread::Builder::new()
            .name("rampart-sync".into())
            .spawn(move || sync_then_answer(&sync_path, &batches))
        {
            Ok(_) => Some(syncer),
            Err(e) => {
                tracing::error!(error = %e, "the sync thread cannot start; every commit syncs itself");
                None
            }
        };
        Arc::new(Self {
            path,
            conn: Mutex::new(None),
            committed,
            syncer,
        })
    }

    fn open(&self) -> Result<rusqlite::Connection, StoreError> {
        let conn = connection(&self.path)?;
        // With the syncer, a commit is made durable before anyone hears of it.
        let synchronous = if self.syncer.is_some() {
            "NORMAL"
        } else {
            "FULL"
        };
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(error)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(error)?;
        conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
            .map_err(error)?;
        // Statement journals (multi-row inserts, savepoints) stay in memory
        // instead of spilling to temporary files past 64 KiB.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(error)?;
        conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
            .map_err(error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    /// Answers a committed batch's requesters once the commit is durable.
    pub(crate) fn deliver(&self, replies: Replies) {
        let unsent = match &self.syncer {
            Some(syncer) => match syncer.send(replies) {
                Ok(()) => return,
                Err(std::sync::mpsc::SendError(replies)) => {
                    tracing::error!("the sync thread has stopped; syncing on the writer");
                    replies
                }
            },
            None => replies,
        };
        answer(unsent, sync_log(&self.path));
    }

    /// Wakes the checkpointer after a commit; a wake-up already pending covers this one.
    fn committed(&self) {
        // Without a checkpointer, SQLite's own checkpoints do all the work.
        let _ = self.committed.try_send(());
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

/// A connection with the promises every connection to the database makes:
/// WAL (kept in the file), every commit synced (the writer's by the
/// syncer).
fn connection(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(error)?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(error)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(error)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(error)?;
    Ok(conn)
}

/// Syncs the write-ahead log for every batch committed so far, then
/// answers their requesters. Ends when the writer is gone.
fn sync_then_answer(path: &std::path::Path, batches: &std::sync::mpsc::Receiver<Replies>) {
    while let Ok(first) = batches.recv() {
        // Batches committed while the last sync ran share this one.
        let waiting: Vec<Replies> = std::iter::once(first).chain(batches.try_iter()).collect();
        let synced = sync_log(path);
        for replies in waiting {
            answer(
                replies,
                synced.as_ref().map(|_| ()).map_err(ToString::to_string),
            );
        }
    }
}

/// Makes everything committed to the database durable: a sync of its
/// write-ahead log. A log that is gone was copied back into the database
/// and synced by SQLite, which removes it only then (when the last
/// connection closes). The database file itself is never opened here:
/// closing a descriptor of it would drop the locks SQLite's connections in
/// this process hold on it (POSIX locks belong to the process and file).
/// SQLite keeps no locks on the log file.
fn sync_log(path: &std::path::Path) -> Result<(), String> {
    let mut log = path.as_os_str().to_owned();
    log.push("-wal");
    match std::fs::File::open(&log) {
        Ok(file) => file.sync_data().map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Sends each requester its result; a commit that could not be synced is
/// reported as failed, since it may not survive a crash.
fn answer(replies: Replies, synced: Result<(), String>) {
    for (reply, result) in replies {
        let result = match (&synced, result) {
            (Err(e), Ok(_)) => {
                tracing::error!(error = %e, "a commit could not be synced");
                Err(StoreError::Database(format!(
                    "the change was written but could not be synced to disk ({e}); it may be lost in a crash"
                )))
            }
            (_, result) => result,
        };
        // The requester may have gone away; its change is committed regardless.
        let _ = reply.send(result);
    }
}

/// Copies committed pages from the write-ahead log into the database after
/// commits, at most once per [`CHECKPOINT_PAUSE`], without stopping the
/// writer (a passive checkpoint). Ends when the writer is gone.
fn checkpointer(path: &std::path::Path, committed: &std::sync::mpsc::Receiver<()>) {
    let mut conn = None;
    while committed.recv().is_ok() {
        if conn.is_none() {
            conn = connection(path)
                .inspect_err(|e| tracing::warn!(error = %e, "checkpoint connection failed"))
                .ok();
        }
        if let Some(c) = &conn
            && let Err(e) = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        {
            tracing::warn!(error = %e, "checkpoint failed; the next commit tries again");
            conn = None;
        }
        std::thread::sleep(CHECKPOINT_PAUSE);
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
    /// The writer's page cache is its own (see `.cargo/config.toml`): a
    /// shared one loses the writer's hottest pages to the readers'.
    #[test]
    fn each_connection_has_its_own_page_cache() -> rusqlite::Result<()> {
        let conn = rusqlite::Connection::open_in_memory()?;
        let mut options = conn.prepare("PRAGMA compile_options")?;
        let options = options
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        assert!(
            options.iter().any(|o| o.starts_with("THREADSAFE")),
            "compile options unreadable: {options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "SQLite was built with one page cache for all connections: {options:?}"
        );
        Ok(())
    }

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
        let changed = self.0.with(|conn| {
            let mut statement = prepared(conn, sql, params)?;
            let changed = statement.raw_execute().map_err(error)?;
            Ok(u64::try_from(changed).unwrap_or(u64::MAX))
        })?;
        if sql == "COMMIT" {
            self.0.committed();
        }
        Ok(changed)
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
