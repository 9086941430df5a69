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
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};

#[allow(
    clippy::panic,
    reason = "test support: a test must stop when its database cannot be made"
)]
pub mod testing;

/// The store on PostgreSQL.
pub type PgStore = SqlStore<PgBackend>;

/// A connection pool to one PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgBackend {
    pool: PgPool,
}

rampart_store::embedded_migrator!();

async fn connect(url: &str) -> Result<PgBackend, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await
        .map_err(|e| StoreError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
    Ok(PgBackend { pool })
}

/// Connects and applies migrations.
pub async fn open(url: &str, clock: Arc<dyn Clock>) -> Result<PgStore, StoreError> {
    let backend = connect(url).await?;
    migrator()
        .run(&backend.pool)
        .await
        .map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
    Ok(SqlStore::new(backend, clock))
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

rampart_store::sqlx_conn!(PgConn, Postgres);

impl SqlBackend for PgBackend {
    type Conn = PgConn;
    type WriterConn = PgConn;

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn writer(&self) -> Result<PgConn, StoreError> {
        self.pool.acquire().await.map(PgConn).map_err(db_error)
    }

    async fn reader(&self) -> Result<PgConn, StoreError> {
        self.pool.acquire().await.map(PgConn).map_err(db_error)
    }
}
