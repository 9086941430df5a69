//! What the two sqlx adapters (SQLite's readers, PostgreSQL) share: the SQL
//! engine's [`SqlConn`] over one pooled sqlx connection, generic over the
//! database, with the one mapping of driver errors; and the migrations,
//! listed once so both backends apply the same versions under the same
//! names (each from its own `migrations/` folder).

use rampart_domain::DomainError;
use rampart_store::StoreError;
use rampart_store::sql::{ColType, SqlConn, SqlValue};
use sqlx::pool::PoolConnection;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type};

/// One pooled connection of database `DB`.
pub struct SqlxConn<DB: Database> {
    conn: PoolConnection<DB>,
    /// The rows a statement changed (each driver says it its own way).
    rows_affected: fn(&DB::QueryResult) -> u64,
}

impl<DB: Database> SqlxConn<DB> {
    /// A connection of a driver whose results say the rows they changed
    /// through `rows_affected`.
    pub fn new(conn: PoolConnection<DB>, rows_affected: fn(&DB::QueryResult) -> u64) -> Self {
        Self {
            conn,
            rows_affected,
        }
    }
}

impl<DB: Database> std::fmt::Debug for SqlxConn<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlxConn").finish_non_exhaustive()
    }
}

/// Maps a driver error; unique violations are conflicts the user can act on.
pub fn db_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Domain(
            DomainError::Conflict("a record with this key exists already".into()),
        ),
        _ => StoreError::Database(e.to_string()),
    }
}

/// The statement with its parameters bound by reference (a batch's
/// parameters can hold megabytes of text: they are not copied to be bound).
fn bound<'q, DB>(
    sql: &str,
    params: &'q [SqlValue],
) -> sqlx::query::Query<'q, DB, <DB as Database>::Arguments>
where
    DB: Database,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
{
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for p in params {
        query = match p {
            SqlValue::Int(v) => query.bind(*v),
            SqlValue::Text(v) => query.bind(v.as_deref()),
        };
    }
    query
}

impl<DB> SqlConn for SqlxConn<DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    <DB as Database>::Arguments: IntoArguments<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    async fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<u64, StoreError> {
        let done = bound::<DB>(sql, params)
            .execute(&mut *self.conn)
            .await
            .map_err(db_error)?;
        Ok((self.rows_affected)(&done))
    }

    async fn fetch(
        &mut self,
        sql: &str,
        params: &[SqlValue],
        types: &[ColType],
    ) -> Result<Vec<Vec<SqlValue>>, StoreError> {
        let rows = bound::<DB>(sql, params)
            .fetch_all(&mut *self.conn)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                types
                    .iter()
                    .enumerate()
                    .map(|(i, t)| match t {
                        ColType::Int => row.try_get::<Option<i64>, _>(i).map(SqlValue::Int),
                        ColType::Text => row.try_get::<Option<String>, _>(i).map(SqlValue::Text),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_error)
            })
            .collect()
    }

    fn discard(&mut self) {
        self.conn.close_on_drop();
    }
}

/// The migrations both backends apply, in order: version and name. Each
/// backend gives the SQL of each from its own `migrations/` folder.
pub const MIGRATIONS: [(i64, &str); 32] = [
    (1, "initial"),
    (2, "people"),
    (3, "evidence"),
    (4, "intake"),
    (5, "batch keys"),
    (6, "journal notify"),
    (7, "jobs"),
    (8, "evidence content fixed"),
    (9, "journal browsing"),
    (10, "vulnerability columns"),
    (11, "triage queue"),
    (12, "incident observables"),
    (13, "evidence in triage"),
    (14, "notifications"),
    (15, "response targets"),
    (16, "text search"),
    (17, "dashboard and filters"),
    (18, "text index"),
    (19, "intake text entries"),
    (20, "text index apart"),
    (21, "text index folded"),
    (22, "overdue in order"),
    (23, "documents"),
    (24, "teams and contacts"),
    (25, "playbooks"),
    (26, "exercises"),
    (27, "improvements"),
    (28, "lessons"),
    (29, "vulnerability lessons"),
    (30, "published incidents"),
    (31, "figures"),
    (32, "token usage"),
];

/// The migrator of a backend whose migration files hold `sql`, one per
/// entry of [`MIGRATIONS`] in the same order.
pub fn migrator(sql: [&'static str; MIGRATIONS.len()]) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr as _;
    sqlx::migrate::Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .zip(sql)
            .map(|(&(version, name), sql)| {
                sqlx::migrate::Migration::new(
                    version,
                    name.to_owned().into(),
                    sqlx::migrate::MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_come_in_order_with_their_own_sql() {
        let sql = std::array::from_fn(|i| ["SELECT 1", "SELECT 2"][i % 2]);
        let migrator = migrator(sql);
        let versions: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        assert_eq!(versions, (1..=32).collect::<Vec<i64>>());
        assert_eq!(migrator.iter().nth(4).unwrap().description, "batch keys");
        assert_eq!(migrator.iter().nth(1).unwrap().sql.as_str(), "SELECT 2");
    }
}
