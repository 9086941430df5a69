//! An installation made by an earlier version is upgraded in place without
//! loss. `tests/fixtures/schema4` was written by Rampart at schema version 4
//! (see its `make.sh`); opening it applies the later migrations, which
//! rebuild the correlation keys' table among other things.

use std::path::Path;
use std::sync::Arc;

use rampart_app::App;
use rampart_domain::{Actor, ManualClock, Role, SystemClock, Timestamp};
use rampart_store::{EventQuery, EvidenceQuery, IncidentQuery, JournalQuery, Store, Verification};
use sqlx::Connection;

use crate::helpers::copy_dir;

/// The journal, events and correlation keys as the earlier version left them,
/// read straight from the file.
async fn as_left(db: &Path) -> (Vec<(i64, String)>, Vec<String>, Vec<(String, String)>, i64) {
    let url = format!("sqlite://{}", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let journal = sqlx::query_as("SELECT seq, hash FROM journal ORDER BY seq")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let events = sqlx::query_scalar("SELECT number FROM events ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let keys = sqlx::query_as("SELECT event, key FROM event_observables ORDER BY event, key")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let version = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    (journal, events, keys, version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_4_installation_is_upgraded_without_loss() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema4/data");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, dir.path());
    let db = dir.path().join(rampart_store_sqlite::DATABASE_FILE);
    let (journal, events, keys, version) = as_left(&db).await;
    assert_eq!(version, 4, "the fixture is at schema version 4");
    assert!(journal.len() > 10 && events.len() >= 3 && !keys.is_empty());

    let store: Arc<dyn Store> = Arc::new(
        rampart_store_sqlite::open(dir.path(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );

    // The journal is the same chain, entry for entry, and verifies.
    let now = store
        .journal(&JournalQuery {
            limit: 1000,
            ..JournalQuery::default()
        })
        .await
        .unwrap();
    let now_entries = now.clone();
    let now: Vec<(i64, String)> = now
        .into_iter()
        .map(|e| (i64::try_from(e.seq).unwrap(), e.hash))
        .collect();
    assert_eq!(now, journal);
    match rampart_store::journal::verify(store.as_ref())
        .await
        .unwrap()
    {
        Verification::Intact { count, head } => {
            assert_eq!(count as usize, journal.len());
            assert_eq!(head, journal.last().unwrap().1);
        }
        broken => panic!("{broken}"),
    }

    // Every record reads back in the current shapes.
    let listed = store
        .list_events(&EventQuery {
            limit: 100,
            ..EventQuery::default()
        })
        .await
        .unwrap();
    let mut numbers: Vec<String> = listed.items.iter().map(|e| e.number.to_string()).collect();
    numbers.sort();
    let mut expected = events.clone();
    expected.sort();
    assert_eq!(numbers, expected);
    let repeated = listed
        .items
        .iter()
        .find(|e| {
            e.source
                .reference
                .as_ref()
                .is_some_and(|r| r.as_str() == "alert-1")
        })
        .expect("the sensor alert");
    assert_eq!(repeated.occurrences, 2);
    let incidents = store
        .list_incidents(&IncidentQuery {
            limit: 100,
            ..IncidentQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(incidents.items.len(), 1);
    let evidence = store
        .list_evidence(&EvidenceQuery::default())
        .await
        .unwrap();
    assert_eq!(evidence.len(), 1);
    let blobs = rampart_evidence::BlobStore::open(dir.path().join("evidence")).unwrap();
    let sha = &evidence[0].content.as_ref().unwrap().sha256;
    assert_eq!(&blobs.rehash(sha).await.unwrap().0, sha);
    assert_eq!(store.list_users().await.unwrap().len(), 3);

    // The correlation keys moved to their new table, all of them.
    drop(store);
    let (_, _, moved, version) = as_left(&db).await;
    assert!(version > 4);
    assert_eq!(moved, keys);

    // A new alert sharing an address with the old events is related to them.
    // It arrives an hour after the old installation's last entry, within the
    // correlation window whatever day the test runs.
    let last_at = now_entries.last().expect("entries").at.clone();
    let clock = Arc::new(ManualClock::new(Timestamp::parse(&last_at).unwrap()));
    clock.advance(time::Duration::HOUR);
    let store: Arc<dyn Store> = Arc::new(
        rampart_store_sqlite::open(dir.path(), clock.clone())
            .await
            .unwrap(),
    );
    let service = App::new(store.clone(), clock);
    let report = serde_json::from_value(serde_json::json!({
        "title": "IDS: another connection",
        "description": "sensor ids-1",
        "source": {"kind": "sensor", "name": "ids-1", "ref": "alert-2"},
        "observables": [{"type": "ip", "value": "198.51.100.7"}],
    }))
    .unwrap();
    let intake = service
        .ingest(&Actor::new("pat", vec![Role::Poc]), report)
        .await
        .unwrap();
    let related: Vec<&str> = intake
        .event()
        .related
        .iter()
        .map(|c| c.number.as_str())
        .collect();
    let incident = incidents.items[0].number.to_string();
    assert!(related.contains(&incident.as_str()), "{related:?}");
    assert!(
        matches!(
            rampart_store::journal::verify(store.as_ref()).await.unwrap(),
            Verification::Intact { count, .. } if count as usize == journal.len() + 1
        ),
        "the new entry extends the old chain"
    );
}
