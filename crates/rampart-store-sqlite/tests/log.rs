//! The write-ahead log under steady writes: copied back and started again
//! from its beginning, so its file stays bounded.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::sync::Arc;

use rampart_domain::SystemClock;
use rampart_store::Store;
use rampart_store::conformance::report;

/// About 16 KiB of rows and journal per event.
fn big_report(i: usize) -> rampart_store::UnitOfWork {
    report(serde_json::json!({
        "title": format!("alert {i}"),
        "description": "x".repeat(8_000),
        "observables": [{"type": "ip", "value": format!("10.0.{}.{}", i / 250 % 250, i % 250)}],
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_starts_again_under_steady_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        rampart_store_sqlite::open(dir.path(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    let log = dir
        .path()
        .join(format!("{}-wal", rampart_store_sqlite::DATABASE_FILE));
    // About 75 MiB of log written in all, more than twice the 32 MiB after
    // which the writer starts the log again, with no pause between batches
    // (a pause would let the checkpointer finish and the log start again
    // by itself).
    let units: Vec<_> = (0..4_800)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.execute(big_report(i)).await })
        })
        .collect();
    let mut largest = 0;
    for (i, unit) in units.into_iter().enumerate() {
        unit.await.unwrap().unwrap();
        if i % 64 == 0 {
            largest = largest.max(std::fs::metadata(&log).map_or(0, |m| m.len()));
        }
    }
    assert!(largest < 48 << 20, "the log grew to {} MiB", largest >> 20);
    assert!(largest > 0, "no log was written");
}
