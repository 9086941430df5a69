//! The PostgreSQL adapter: Rampart's scale-out engine.
//!
//! Several stateless `rampart serve` nodes may share one database. Writers
//! serialise on the journal-head row lock (`SELECT ... FOR UPDATE`), taken once
//! per group-commit batch, so the journal stays one chain and numbers stay
//! gap-free across nodes. Migrations take PostgreSQL's advisory lock, so nodes
//! starting together migrate once.

use std::sync::Arc;
use std::time::Duration;

use rampart_domain::Clock;
use rampart_store::StoreError;
use rampart_store::sql::{Dialect, SqlBackend, SqlStore};
use rampart_store_sqlx::{SqlxConn, db_error};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};

#[allow(
    clippy::panic,
    reason = "test support: a test must stop when its database cannot be made"
)]
#[cfg(feature = "testing")]
pub mod testing;

/// The store on PostgreSQL.
pub type PgStore = SqlStore<PgBackend>;

/// A connection pool to one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgBackend {
    pool: PgPool,
    /// The writer's own connection, opened by the writer on its thread
    /// (see [`SqlBackend::spawn_writer`]), so that its replies wake that
    /// thread and not the busy request workers.
    writer: Arc<tokio::sync::OnceCell<PgPool>>,
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

async fn connect(url: &str) -> Result<PgBackend, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await
        .map_err(|e| StoreError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
    Ok(PgBackend {
        pool,
        writer: Arc::default(),
    })
}

/// Connects and applies migrations.
pub async fn open(url: &str, clock: Arc<dyn Clock>) -> Result<PgStore, StoreError> {
    let backend = connect(url).await?;
    migrator()
        .run(&backend.pool)
        .await
        .map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
    warn_without_autovacuum(&backend.pool).await?;
    Ok(SqlStore::new(backend, clock))
}

/// Says, once at start, when the database does not clean up after itself:
/// without autovacuum the space of changed rows is never reclaimed and
/// index-only reads decay (see docs/operations.md, *PostgreSQL upkeep*).
async fn warn_without_autovacuum(pool: &PgPool) -> Result<(), StoreError> {
    let off: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM pg_settings WHERE name IN ('autovacuum', 'track_counts') AND setting <> 'on'",
    )
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    if !off.is_empty() {
        tracing::warn!(
            off = %off.join(", "),
            "PostgreSQL runs without autovacuum: the space of changed and deleted rows is never reclaimed; turn `autovacuum` and `track_counts` on (Rampart refreshes the planner's statistics itself)"
        );
    }
    Ok(())
}

/// Readies the database for reading after a bulk load (`migrate-store`,
/// `restore`): indexes for search the text of every row written and not
/// indexed yet (in one go, where the writer would take many small steps),
/// merges the entries waiting in the text indexes' pending lists and
/// refreshes the planner's statistics of every table, without which
/// PostgreSQL plans as for empty tables.
pub async fn analyze(url: &str) -> Result<(), StoreError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| StoreError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
    // The lock keeps any writer's indexing out; the transaction reads one
    // snapshot, so the noted rows it forgets are the ones it indexed.
    // (The lock is taken on its own: a statement before `BEGIN` in the
    // same string would open the transaction at the default level.)
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SELECT pg_advisory_lock({})",
        rampart_store::sql::TEXT_INDEX_LOCK
    )))
    .execute(&mut conn)
    .await
    .map_err(db_error)?;
    let mut index = String::from("BEGIN ISOLATION LEVEL REPEATABLE READ; ");
    for table in rampart_store::sql::INDEXED_TABLES {
        index.push_str(&format!(
            "DELETE FROM {table}_text WHERE id IN \
             (SELECT row FROM search_pending WHERE tbl = '{table}' AND stale = 1); \
             INSERT INTO {table}_text (id, search) \
             SELECT id, rampart_index_text(search) FROM {table} \
             WHERE id IN (SELECT row FROM search_pending WHERE tbl = '{table}') \
             ON CONFLICT (id) DO UPDATE SET search = EXCLUDED.search; "
        ));
    }
    index.push_str(&format!(
        "DELETE FROM search_pending; COMMIT; SELECT pg_advisory_unlock({});",
        rampart_store::sql::TEXT_INDEX_LOCK
    ));
    sqlx::raw_sql(sqlx::AssertSqlSafe(index))
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
    // The rows just forgotten would otherwise be read past by every search
    // until a vacuum (never, without autovacuum).
    sqlx::raw_sql("VACUUM search_pending")
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
    sqlx::raw_sql(
        "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE a.amname = 'gin' AND n.nspname = current_schema(); \
         ANALYZE",
    )
    .execute(&mut conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Connects without changing the schema (verification tools).
pub async fn open_existing(url: &str, clock: Arc<dyn Clock>) -> Result<PgStore, StoreError> {
    Ok(SqlStore::new(connect(url).await?, clock))
}

/// Whether the database at `url` holds no tables yet (a place to restore into).
pub async fn is_empty(url: &str) -> Result<bool, StoreError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| StoreError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_catalog.pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(db_error)?;
    Ok(tables == 0)
}

/// A journal entry committed by any node, as announced on `rampart_journal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    pub seq: u64,
    pub action: String,
    pub entity: String,
}

impl Announced {
    fn parse(payload: &str) -> Option<Self> {
        let mut parts = payload.splitn(3, ' ');
        let seq = parts.next()?.parse().ok()?;
        let action = parts.next()?.to_owned();
        let entity = parts.next()?.to_owned();
        Some(Self {
            seq,
            action,
            entity,
        })
    }
}

/// Calls `heard` for every journal entry committed by any node, for as long
/// as the process runs. A lost connection is opened again (entries committed
/// meanwhile are not heard: pages catch up when they reload).
pub async fn follow_journal(url: String, heard: impl Fn(Announced) + Send + 'static) {
    loop {
        let Err(e) = listen_until_lost(&url, &heard).await;
        tracing::warn!(error = %e, "lost the journal notifications; connecting again");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn listen_until_lost(
    url: &str,
    heard: &impl Fn(Announced),
) -> Result<std::convert::Infallible, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen("rampart_journal").await?;
    tracing::info!("following the journal of every node");
    loop {
        let note = listener.recv().await?;
        match Announced::parse(note.payload()) {
            Some(a) => heard(a),
            None => tracing::warn!(payload = note.payload(), "unreadable journal notification"),
        }
    }
}

/// A snapshot of the database held open for a backup: `pg_dump
/// --snapshot=NAME` dumps exactly what it sees, and the evidence it lists is
/// what the dump's records refer to.
#[derive(Debug)]
pub struct ExportedSnapshot {
    conn: sqlx::PgConnection,
    name: String,
}

impl ExportedSnapshot {
    /// Opens a repeatable-read, read-only transaction and exports its snapshot.
    pub async fn take(url: &str) -> Result<Self, StoreError> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(url)
            .await
            .map_err(|e| StoreError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
        sqlx::raw_sql("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        let name: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(Self { conn, name })
    }

    /// The name `pg_dump --snapshot` takes.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `(number, sha256)` of every evidence item whose content is kept, in
    /// the order they were recorded, as the snapshot sees them.
    pub async fn present_evidence(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        sqlx::query_as("SELECT number, sha256 FROM evidence WHERE present = 1 ORDER BY id")
            .fetch_all(&mut self.conn)
            .await
            .map_err(db_error)
    }

    /// The journal's length and head hash as the snapshot sees them.
    pub async fn journal_head(&mut self) -> Result<(i64, String), StoreError> {
        sqlx::query_as("SELECT seq, hash FROM journal_head")
            .fetch_one(&mut self.conn)
            .await
            .map_err(db_error)
    }

    /// Ends the transaction; the snapshot is gone.
    pub async fn release(mut self) {
        let _ = sqlx::raw_sql("COMMIT").execute(&mut self.conn).await;
    }
}

/// One pooled connection.
pub type PgConn = SqlxConn<Postgres>;

fn pooled(conn: sqlx::pool::PoolConnection<Postgres>) -> PgConn {
    SqlxConn::new(conn, sqlx::postgres::PgQueryResult::rows_affected)
}

impl SqlBackend for PgBackend {
    type Conn = PgConn;
    type WriterConn = PgConn;

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn writer(&self) -> Result<PgConn, StoreError> {
        let pool = self
            .writer
            .get_or_try_init(|| {
                PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with((*self.pool.connect_options()).clone())
            })
            .await
            .map_err(|e| StoreError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
        pool.acquire().await.map(pooled).map_err(db_error)
    }

    /// The writer runs on a thread of its own: its work between statements
    /// does not wait behind the requests' tasks, nor they behind it.
    fn spawn_writer(&self, task: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) {
        rampart_store::sql::writer_thread(task);
    }

    async fn reader(&self) -> Result<PgConn, StoreError> {
        self.pool.acquire().await.map(pooled).map_err(db_error)
    }
}
