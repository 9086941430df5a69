//! The SQLite adapter: Rampart's embedded default.
//!
//! One file under the data directory, WAL mode, `synchronous=FULL` (a
//! committed change survives power loss), foreign keys on. One writer
//! connection, used by the store's group-commit task; a pool of readers.
//! Write transactions start with `BEGIN IMMEDIATE` and wait on the busy
//! timeout, so command-line tools can write while the server runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rampart_domain::Clock;
use rampart_store::StoreError;
use rampart_store::sql::{Dialect, SqlBackend, SqlStore};
use rampart_store_sqlx::{SqlxConn, db_error};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

mod writer;

use writer::{DirectWriter, WriterConn};

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "rampart.db";

/// The store on SQLite.
pub type SqliteStore = SqlStore<SqliteBackend>;

/// Connections to one SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteBackend {
    /// For migrations only; the writer task has its own connection.
    migrations: SqlitePool,
    writer: Arc<DirectWriter>,
    readers: SqlitePool,
    path: PathBuf,
}

impl SqliteBackend {
    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the pooled connections (the writer's closes with the last
    /// reference to it), so the last one out folds the log back into the file.
    pub async fn close(&self) {
        self.readers.close().await;
        self.migrations.close().await;
    }
}

/// Writes a consistent copy of the database in `data_dir` to `dest`, a new
/// file, while the server may go on writing: SQLite's `VACUUM INTO` copies
/// what one read transaction sees, compacted, into a plain database file.
pub fn snapshot(data_dir: &Path, dest: &Path) -> Result<(), StoreError> {
    let path = data_dir.join(DATABASE_FILE);
    if !path.is_file() {
        return Err(StoreError::Database(format!(
            "no Rampart database at {}",
            path.display()
        )));
    }
    let dest = dest
        .to_str()
        .ok_or_else(|| StoreError::Database(format!("{} is not a UTF-8 path", dest.display())))?;
    let conn = rusqlite::Connection::open_with_flags(
        &path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::Database(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(Duration::from_secs(30))
        .and_then(|()| conn.execute("VACUUM INTO ?1", [dest]))
        .map_err(|e| StoreError::Database(format!("cannot copy {}: {e}", path.display())))?;
    Ok(())
}

/// The migrations, from this backend's `migrations/` folder.
fn migrator() -> sqlx::migrate::Migrator {
    rampart_store_sqlx::migrator([
        include_str!("../migrations/0001_initial.sql"),
        include_str!("../migrations/0002_people.sql"),
        include_str!("../migrations/0003_evidence.sql"),
        include_str!("../migrations/0004_intake.sql"),
        include_str!("../migrations/0005_batch_keys.sql"),
        include_str!("../migrations/0006_journal_notify.sql"),
        include_str!("../migrations/0007_jobs.sql"),
        include_str!("../migrations/0008_evidence_content_fixed.sql"),
        include_str!("../migrations/0009_journal_browsing.sql"),
        include_str!("../migrations/0010_vulnerability_columns.sql"),
        include_str!("../migrations/0011_triage_queue.sql"),
        include_str!("../migrations/0012_incident_observables.sql"),
        include_str!("../migrations/0013_evidence_in_triage.sql"),
        include_str!("../migrations/0014_notifications.sql"),
        include_str!("../migrations/0015_response_targets.sql"),
        include_str!("../migrations/0016_text_search.sql"),
        include_str!("../migrations/0017_dashboard_and_filters.sql"),
        include_str!("../migrations/0018_text_index.sql"),
        include_str!("../migrations/0019_intake_text_entries.sql"),
        include_str!("../migrations/0020_text_index_apart.sql"),
        include_str!("../migrations/0021_text_index_folded.sql"),
        include_str!("../migrations/0022_overdue_in_order.sql"),
        include_str!("../migrations/0023_documents.sql"),
        include_str!("../migrations/0024_teams_and_contacts.sql"),
        include_str!("../migrations/0025_playbooks.sql"),
        include_str!("../migrations/0026_exercises.sql"),
        include_str!("../migrations/0027_improvements.sql"),
        include_str!("../migrations/0028_lessons.sql"),
        include_str!("../migrations/0029_vulnerability_lessons.sql"),
        include_str!("../migrations/0030_published_incidents.sql"),
        include_str!("../migrations/0031_figures.sql"),
        include_str!("../migrations/0032_token_usage.sql"),
    ])
}

/// Opens (creating when needed) the database in `data_dir` and applies migrations.
pub async fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<SqliteStore, StoreError> {
    let backend = connect(data_dir, true).await?;
    migrator()
        .run(&backend.migrations)
        .await
        .map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
    Ok(SqlStore::new(backend, clock))
}

/// Opens an existing database without changing its schema (verification tools).
pub async fn open_existing(
    data_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<SqliteStore, StoreError> {
    Ok(SqlStore::new(connect(data_dir, false).await?, clock))
}

/// Creates the data directory readable by its owner only: it holds reporter identities.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        StoreError::Database(format!(
            "cannot create data directory {}: {e}",
            dir.display()
        ))
    })
}

async fn connect(data_dir: &Path, create: bool) -> Result<SqliteBackend, StoreError> {
    let path = data_dir.join(DATABASE_FILE);
    if create {
        create_private_dir(data_dir)?;
    } else if !path.exists() {
        return Err(StoreError::Database(format!(
            "no Rampart database at {}",
            path.display()
        )));
    }
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30));
    let migrations = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(60))
        .connect_with(options.clone())
        .await
        .map_err(db_error)?;
    let readers = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(db_error)?;
    Ok(SqliteBackend {
        migrations,
        writer: DirectWriter::new(path.clone()),
        readers,
        path,
    })
}

/// One pooled reader connection.
pub type SqliteConn = SqlxConn<Sqlite>;

impl SqlBackend for SqliteBackend {
    type Conn = SqliteConn;
    type WriterConn = WriterConn;

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn writer(&self) -> Result<WriterConn, StoreError> {
        Ok(WriterConn(self.writer.clone()))
    }

    /// The writer calls SQLite directly, so it gets a thread of its own.
    fn spawn_writer(&self, task: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) {
        rampart_store::sql::writer_thread(task);
    }

    fn deliver(&self, replies: rampart_store::sql::Replies) {
        self.writer.deliver(replies);
    }

    async fn reader(&self) -> Result<SqliteConn, StoreError> {
        self.readers
            .acquire()
            .await
            .map(|conn| SqlxConn::new(conn, sqlx::sqlite::SqliteQueryResult::rows_affected))
            .map_err(db_error)
    }
}
