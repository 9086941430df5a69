//! The storage conformance suite on PostgreSQL (runs when
//! `RAMPART_TEST_DATABASE_URL` is set; says it was skipped otherwise).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::sync::Arc;

use rampart_domain::{ManualClock, Timestamp};
use rampart_store_pg::testing::TestDatabase;

async fn open(test: &str) -> Option<(Arc<rampart_store_pg::PgStore>, TestDatabase)> {
    let db = TestDatabase::create(test).await?;
    let clock = Arc::new(ManualClock::new(
        Timestamp::parse("2026-11-22T08:00:00Z").expect("time"),
    ));
    let store = rampart_store_pg::open(db.url(), clock)
        .await
        .expect("open PostgreSQL store");
    Some((Arc::new(store), db))
}

rampart_store::conformance_suite!(open);
