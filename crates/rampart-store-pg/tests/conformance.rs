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

/// The companion tables hold the text folded by PostgreSQL's own function
/// (migration 21); the store folds what it searches for in Rust. The two
/// must agree on every character, or a search would miss rows.
#[tokio::test]
async fn the_fold_stored_is_the_fold_searched_for() {
    use sqlx::Connection as _;
    let Some((_store, db)) = open("fold_stored").await else {
        return;
    };
    let text: String = (' '..='~').chain("«é—ß€\u{3000}".chars()).collect();
    let mut conn = sqlx::PgConnection::connect(db.url())
        .await
        .expect("connect");
    let (stored,): (String,) = sqlx::query_as("SELECT rampart_index_text($1)")
        .bind(&text)
        .fetch_one(&mut conn)
        .await
        .expect("fold");
    assert_eq!(stored, rampart_store::sql::index_fold(&text));
}
