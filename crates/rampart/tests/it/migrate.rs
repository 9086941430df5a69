//! `rampart migrate-store`: an installation on SQLite moved to PostgreSQL
//! keeps its journal chain, numbers, people and tokens, and goes on from
//! where it was; a used destination is refused.

use std::sync::Arc;

use rampart_app::App;
use rampart_domain::SystemClock;
use rampart_http::AppState;
use rampart_store::{EventQuery, EvidenceQuery, JournalQuery, Store, Verification};
use rampart_store_pg::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;

use crate::evidence::{team, upload};
use crate::helpers::{Backend, TestApp, incident};

async fn events_of(store: &dyn Store) -> Vec<rampart_domain::Event> {
    store
        .list_events(&EventQuery {
            limit: 100,
            ..EventQuery::default()
        })
        .await
        .unwrap()
        .items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqlite_installation_moves_to_postgres_whole() {
    let app = TestApp::spawn(Backend::Sqlite, "migrate").await.unwrap();
    let Some(db) = TestDatabase::create("migrate_store").await else {
        return;
    };
    let (poc, ian, _, _) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Credential phishing").await;
    upload(&app, &ian, &inc, "mail.eml", b"From: a@b\r\n\r\nclick").await;
    let alert = json!({"title": "IDS alert", "description": "d",
        "source": {"kind": "sensor", "name": "ids-1", "ref": "a-1"},
        "observables": [{"type": "ip", "value": "198.51.100.7"}]});
    app.post_ok("/api/v1/events", &poc, alert.clone(), StatusCode::CREATED)
        .await;
    app.post_ok("/api/v1/events", &poc, alert, StatusCode::OK)
        .await;
    let query = JournalQuery {
        limit: 1000,
        ..JournalQuery::default()
    };
    // The notifications these changes call for are journaled first.
    app.journal_len().await;
    let journal = app.store.journal(&query).await.unwrap();
    let events = events_of(app.store.as_ref()).await;

    let data_dir = app.storage_args[1].clone();
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(args)
            .env_remove("RAMPART_DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = cli(&["migrate-store", "--from", &data_dir, "--to", db.url()]);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{said}");
    assert!(said.contains("journal intact"), "{said}");

    // The same chain, entry for entry, and the same records.
    let moved: Arc<dyn Store> = Arc::new(
        rampart_store_pg::open_existing(db.url(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    assert_eq!(moved.journal(&query).await.unwrap(), journal);
    assert_eq!(events_of(moved.as_ref()).await, events);
    assert_eq!(
        moved
            .list_evidence(&EvidenceQuery::default())
            .await
            .unwrap(),
        app.store
            .list_evidence(&EvidenceQuery::default())
            .await
            .unwrap()
    );
    assert_eq!(
        moved.list_users().await.unwrap(),
        app.store.list_users().await.unwrap()
    );

    // It goes on from where it was: old tokens work, numbers continue, the
    // repeat is still recognised, and the chain grows from the old head.
    let service = Arc::new(App::new(moved.clone(), Arc::new(SystemClock)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = rampart_http::app(AppState {
        app: service,
        body_limit: 1 << 20,
        web: rampart_http::web::WebSettings::default(),
        metrics: Default::default(),
    });
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let post = |body: serde_json::Value| {
        let client = app.client.clone();
        let poc = poc.clone();
        async move {
            let resp = client
                .post(format!("http://{addr}/api/v1/events"))
                .bearer_auth(poc)
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                resp.status(),
                resp.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, next) = post(json!({"title": "after the move", "description": "d"})).await;
    assert_eq!(status, StatusCode::CREATED, "{next}");
    let last = events.iter().map(|e| e.number.seq()).max().unwrap();
    assert_eq!(
        next["number"].as_str().unwrap(),
        format!(
            "EVT-{}-{:06}",
            &next["number"].as_str().unwrap()[4..8],
            last + 1
        )
    );
    let (status, again) = post(json!({"title": "IDS alert", "description": "d",
        "source": {"kind": "sensor", "name": "ids-1", "ref": "a-1"}}))
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["occurrences"], 3);
    match rampart_store::journal::verify(moved.as_ref())
        .await
        .unwrap()
    {
        Verification::Intact { count, .. } => assert_eq!(count as usize, journal.len() + 2),
        broken => panic!("{broken}"),
    }

    // A destination in use is refused, and left as it was.
    let before = moved.journal_head().await.unwrap();
    let out = cli(&["migrate-store", "--from", &data_dir, "--to", db.url()]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("holds records already"), "{said}");
    assert_eq!(moved.journal_head().await.unwrap(), before);
    // So are arguments that cannot be right.
    let out = cli(&["migrate-store", "--from", &data_dir, "--to", "mysql://x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to"));
    let out = cli(&["migrate-store", "--from", "/nonexistent", "--to", db.url()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from"));
}

/// Every table crossed in chunks of two rows: the same rows arrive, keys of
/// several columns included, the journal verifies, and each table's
/// progress is told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_in_small_chunks_moves_every_row() {
    use sqlx::Connection as _;

    let mut app = TestApp::spawn(Backend::Sqlite, "migrate_chunks")
        .await
        .unwrap();
    let Some(db) = TestDatabase::create("migrate_store_chunks").await else {
        return;
    };
    let (poc, ian, _, _) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Beaconing host").await;
    upload(&app, &ian, &inc, "proxy.log", b"GET http://evil.example/").await;
    for value in ["evil.example", "bad.example", "worse.example"] {
        app.post_ok(
            &format!("/api/v1/incidents/{inc}/observables"),
            &ian,
            json!({"type": "domain", "value": value}),
            StatusCode::CREATED,
        )
        .await;
    }
    // The same address on every event: keys equal in their first column.
    for i in 0..7 {
        app.post_ok(
            "/api/v1/events",
            &poc,
            json!({"title": format!("IDS alert {i}"), "description": "d",
                   "source": {"kind": "sensor", "name": "ids-1", "ref": format!("c-{i}")},
                   "observables": [{"type": "ip", "value": "198.51.100.7"},
                                   {"type": "domain", "value": format!("h{i}.example")}]}),
            StatusCode::CREATED,
        )
        .await;
    }
    app.journal_len().await;
    let query = JournalQuery {
        limit: 1000,
        ..JournalQuery::default()
    };
    let journal = app.store.journal(&query).await.unwrap();
    let events = events_of(app.store.as_ref()).await;
    // Stopped, as the move wants it: nothing changes the source meanwhile.
    app.shut_down().await.unwrap().unwrap();

    let data_dir = app.storage_args[1].clone();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["migrate-store", "--from", &data_dir, "--to", db.url()])
        .env_remove("RAMPART_DATABASE_URL")
        .env("RAMPART_MIGRATE_CHUNK", "2")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{said}");
    assert!(said.contains("journal intact"), "{said}");

    // Every table holds as many rows as in SQLite, several chunks' worth in
    // most, and its progress says so.
    let mut sqlite = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{data_dir}/{}?mode=ro",
        rampart_store_sqlite::DATABASE_FILE
    ))
    .await
    .unwrap();
    let mut pg = sqlx::PgConnection::connect(db.url()).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
         AND name NOT LIKE 'sqlite%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut sqlite)
    .await
    .unwrap();
    let mut crossed = 0;
    for table in &tables {
        if table == "search_pending" {
            // Not copied: the destination notes the rows as they arrive and
            // indexes their text once they are all in, leaving none noted.
            let left: i64 = sqlx::query_scalar("SELECT count(*) FROM search_pending")
                .fetch_one(&mut pg)
                .await
                .unwrap();
            assert_eq!(left, 0, "rows left unindexed");
            for kept in ["events", "incidents", "vulnerabilities"] {
                // The index holds each row's text folded (schema 21).
                let differ = format!(
                    "SELECT count(*) FROM {kept} r FULL JOIN {kept}_text t ON t.id = r.id \
                     WHERE t.search IS DISTINCT FROM rampart_index_text(r.search)"
                );
                let differ: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(differ))
                    .fetch_one(&mut pg)
                    .await
                    .unwrap();
                assert_eq!(differ, 0, "{kept}: the text index differs from the rows");
            }
            continue;
        }
        let count = format!("SELECT count(*) FROM {table}");
        let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.clone()))
            .fetch_one(&mut sqlite)
            .await
            .unwrap();
        let moved: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count))
            .fetch_one(&mut pg)
            .await
            .unwrap();
        if table == "tallies" || table == "event_figures" {
            // Not copied: made again by the destination as the records arrive.
            let tallies = if table == "tallies" {
                "SELECT kind || ' ' || status || ' ' || class || ' ' || n \
                 FROM tallies WHERE n <> 0 ORDER BY kind, status, class"
            } else {
                "SELECT month || ' ' || source || ' ' || status || ' ' || n \
                 FROM event_figures WHERE n <> 0 ORDER BY month, source, status"
            };
            let kept: Vec<String> = sqlx::query_scalar(tallies)
                .fetch_all(&mut sqlite)
                .await
                .unwrap();
            let made: Vec<String> = sqlx::query_scalar(tallies)
                .fetch_all(&mut pg)
                .await
                .unwrap();
            assert_eq!(made, kept);
            assert!(!made.is_empty());
            continue;
        }
        assert_eq!(moved, rows, "{table}");
        assert!(
            said.contains(&format!("{table}: {rows}/{rows} rows copied")),
            "{table}: {said}"
        );
        if rows > 4 {
            crossed += 1;
        }
    }
    assert!(crossed >= 4, "{said}");

    // Tables without rowid are read by their primary key of several columns.
    for (table, key) in [
        ("event_observables", "key, reported_at, event"),
        ("incident_observables", "key, incident"),
    ] {
        let select = format!("SELECT {key} FROM {table}");
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut moved: Vec<Vec<String>> = Vec::new();
        for row in sqlx::query(sqlx::AssertSqlSafe(select.clone()))
            .fetch_all(&mut sqlite)
            .await
            .unwrap()
        {
            use sqlx::Row as _;
            rows.push((0..row.len()).map(|i| row.get(i)).collect());
        }
        for row in sqlx::query(sqlx::AssertSqlSafe(select))
            .fetch_all(&mut pg)
            .await
            .unwrap()
        {
            use sqlx::Row as _;
            moved.push((0..row.len()).map(|i| row.get(i)).collect());
        }
        rows.sort();
        moved.sort();
        assert!(rows.len() > 2, "{table}: {rows:?}");
        assert_eq!(moved, rows, "{table}");
    }
    sqlite.close().await.unwrap();
    pg.close().await.unwrap();

    let moved: Arc<dyn Store> = Arc::new(
        rampart_store_pg::open_existing(db.url(), Arc::new(SystemClock))
            .await
            .unwrap(),
    );
    assert_eq!(moved.journal(&query).await.unwrap(), journal);
    assert_eq!(events_of(moved.as_ref()).await, events);
    match rampart_store::journal::verify(moved.as_ref())
        .await
        .unwrap()
    {
        Verification::Intact { count, .. } => assert_eq!(count as usize, journal.len()),
        broken => panic!("{broken}"),
    }
}
