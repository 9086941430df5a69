//! The storage conformance suite on SQLite (always runs).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::sync::Arc;

use rampart_domain::{ManualClock, Timestamp};

async fn open(_test: &str) -> Option<(Arc<rampart_store_sqlite::SqliteStore>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let clock = Arc::new(ManualClock::new(
        Timestamp::parse("2026-11-22T08:00:00Z").expect("time"),
    ));
    let store = rampart_store_sqlite::open(dir.path(), clock)
        .await
        .expect("open SQLite store");
    Some((Arc::new(store), dir))
}

rampart_store::conformance_suite!(open);

/// The data directory holds reporter identities: only its owner may read it.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("rampart-data");
    let clock = Arc::new(ManualClock::new(
        Timestamp::parse("2026-11-22T08:00:00Z").unwrap(),
    ));
    rampart_store_sqlite::open(&dir, clock).await.unwrap();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}
