//! Throw-away PostgreSQL databases for tests.
//!
//! Tests that need PostgreSQL read the server's address from
//! `RAMPART_TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
//! Without it they print that they were skipped and pass, so a laptop without
//! PostgreSQL still runs the SQLite suite; CI sets it.

use sqlx::{Connection, PgConnection};

/// The variable that enables PostgreSQL test runs.
pub const TEST_URL_VARIABLE: &str = "RAMPART_TEST_DATABASE_URL";

/// A uniquely named database, dropped when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates a fresh database, or `None` (after saying so) when PostgreSQL tests are not enabled.
    pub async fn create(test: &str) -> Option<Self> {
        let Ok(admin_url) = std::env::var(TEST_URL_VARIABLE) else {
            // Written to the stream itself, past the test harness's capture, so it shows.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: PostgreSQL run of `{test}` (set {TEST_URL_VARIABLE} to enable it)"
            );
            return None;
        };
        let name = format!("rampart_test_{}_{}", std::process::id(), unique());
        let mut conn = match PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) => panic!("{TEST_URL_VARIABLE} is set but PostgreSQL is unreachable: {e}"),
        };
        if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
        {
            panic!("cannot create test database {name}: {e}");
        }
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    u64::from(nanos) * 1000 + NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs outside async; a short-lived runtime on its own thread does the work.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}
