//! The plans of the statements lists run, for tests that check every
//! list is read from an index: statements are captured as they are read,
//! then explained by the database with the same values.

use super::{ColType, Dialect, SqlBackend, SqlConn, SqlStore, SqlValue, Statement};
use crate::StoreError;

impl<B: SqlBackend> SqlStore<B> {
    /// Starts keeping the statements reads run (forgetting any kept).
    #[doc(hidden)]
    pub fn capture_statements(&self) {
        if let Ok(mut captured) = self.captured.lock() {
            *captured = Some(Vec::new());
        }
    }

    /// The statements kept since [`SqlStore::capture_statements`], which stops keeping them.
    #[doc(hidden)]
    pub fn captured_statements(&self) -> Vec<Statement> {
        self.captured
            .lock()
            .ok()
            .and_then(|mut c| c.take())
            .unwrap_or_default()
    }

    /// The database's plan of `sql` with `params`, one line a step. On
    /// PostgreSQL sequential scans are ruled out first, so a tiny table
    /// shows what its indexes allow rather than what is cheapest for it.
    #[doc(hidden)]
    pub async fn explain(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<String>, StoreError> {
        self.explain_with(sql, params, &["enable_seqscan"]).await
    }

    /// [`SqlStore::explain`] with sorting ruled out too on PostgreSQL (as
    /// far as any plan allows), so the plan shows whether an index gives
    /// the rows in the statement's order.
    #[doc(hidden)]
    pub async fn explain_ordered(
        &self,
        sql: &str,
        params: &[SqlValue],
    ) -> Result<Vec<String>, StoreError> {
        self.explain_with(
            sql,
            params,
            &[
                "enable_seqscan",
                "enable_bitmapscan",
                "enable_sort",
                "enable_incremental_sort",
            ],
        )
        .await
    }

    /// The plan, with PostgreSQL's planner settings `off` turned off first.
    async fn explain_with(
        &self,
        sql: &str,
        params: &[SqlValue],
        off: &[&str],
    ) -> Result<Vec<String>, StoreError> {
        let mut conn = self.backend.reader().await?;
        let lines = match self.backend.dialect() {
            Dialect::Sqlite => conn
                .fetch(
                    &format!("EXPLAIN QUERY PLAN {sql}"),
                    params,
                    &[ColType::Int, ColType::Int, ColType::Int, ColType::Text],
                )
                .await?
                .into_iter()
                .filter_map(|r| r.into_iter().nth(3).and_then(SqlValue::into_string))
                .collect(),
            Dialect::Postgres => {
                for setting in off {
                    conn.execute(&format!("SET {setting} = off"), &[]).await?;
                }
                let plan = conn
                    .fetch(&format!("EXPLAIN {sql}"), params, &[ColType::Text])
                    .await;
                for setting in off {
                    conn.execute(&format!("RESET {setting}"), &[]).await?;
                }
                plan?
                    .into_iter()
                    .filter_map(|r| r.into_iter().next().and_then(SqlValue::into_string))
                    .collect()
            }
        };
        Ok(lines)
    }
}
