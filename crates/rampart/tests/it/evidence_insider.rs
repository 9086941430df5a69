//! Someone who can run SQL against the database (a database-level insider)
//! tries to make Rampart serve or approve other content than was collected:
//! the schema refuses to change an evidence record's content, and a record
//! changed all the same (guard dropped first) no longer matches its
//! `evidence.collected` journal entry, so downloads, verifications and
//! bundles refuse it with the integrity alarm.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::evidence::{custody, download, sha256_hex, team, upload};
use crate::helpers::{Backend, TestApp, incident};

crate::on_both_backends!(
    a_record_repointed_in_the_database_is_refused_with_an_alarm,
    the_database_refuses_to_change_the_content_of_a_record,
    a_record_moved_or_copied_in_the_database_is_refused,
);

/// Runs one statement straight against the app's database, as someone who
/// can run SQL there could; returns the database's refusal, if any.
async fn insider_sql(app: &TestApp, statement: &str) -> Result<(), String> {
    use sqlx::Connection;
    let sql = sqlx::AssertSqlSafe(statement.to_owned());
    match app.backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}/rampart.db", app.storage_args[1]);
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ())
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.storage_args[1])
                .await
                .unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ())
        }
    }
    .map_err(|e| e.to_string())
}

/// Points the record of `evd` at the content `to`, in both places the
/// record names it (its column and its document).
fn repoint(evd: &str, from: &str, to: &str) -> String {
    format!(
        "UPDATE evidence SET sha256 = '{to}', data = replace(data, '{from}', '{to}') \
         WHERE number = '{evd}'"
    )
}

async fn a_record_repointed_in_the_database_is_refused_with_an_alarm(app: TestApp) {
    let (poc, ian, _mia, aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Two captures").await;
    // Same size, other bytes: only the hash tells them apart.
    let mine = b"A".repeat(4096);
    let other = b"B".repeat(4096);
    let one = upload(&app, &ian, &inc, "one.pcap", &mine).await;
    let two = upload(&app, &ian, &inc, "two.pcap", &other).await;
    let evd = one["number"].as_str().unwrap().to_owned();
    let (sha_one, sha_two) = (sha256_hex(&mine), sha256_hex(&other));
    assert_eq!(two["content"]["sha256"], sha_two.as_str());

    // An insider drops the guard and points the first item at the second's content.
    drop_guard(&app).await;
    insider_sql(&app, &repoint(&evd, &sha_one, &sha_two))
        .await
        .unwrap();

    // The download is refused; nothing of the other item's bytes is sent.
    let resp = download(&app, &ian, &evd).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body = resp.text().await.unwrap();
    assert!(!body.contains("BBBB"), "{body}");
    let problem: Value = serde_json::from_str(&body).unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("download refused")
            && detail.contains("changed outside Rampart")
            && detail.contains(&sha_one),
        "{detail}"
    );
    let history = custody(&app, &aud, &evd).await;
    assert_eq!(
        history.last().unwrap(),
        &("evidence.integrity_failed".to_owned(), "ian".to_owned())
    );
    assert!(!history.iter().any(|(a, _)| a == "evidence.downloaded"));
    let (_, view) = app.get(&format!("/api/v1/evidence/{evd}"), &aud).await;
    let alarm = &view["custody"].as_array().unwrap().last().unwrap()["payload"];
    assert_eq!(alarm["during"], "download");
    assert_eq!(alarm["expected_sha256"], sha_one.as_str());
    assert_eq!(alarm["found_sha256"], sha_two.as_str());
    assert!(
        alarm["problem"]
            .as_str()
            .unwrap()
            .contains("evidence.collected"),
        "{alarm}"
    );
    assert_eq!(view["last_check"]["intact"], false);

    // A verification reports it, and the bundle is refused.
    let checked = app
        .post_ok(
            &format!("/api/v1/evidence/{evd}/verification"),
            &aud,
            json!({}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(checked["last_check"]["intact"], false);
    let (status, problem) = app
        .get(&format!("/api/v1/incidents/{inc}/evidence/bundle"), &ian)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("export refused"),
        "{problem}"
    );
    let alarms = custody(&app, &aud, &evd)
        .await
        .into_iter()
        .filter(|(a, _)| a == "evidence.integrity_failed")
        .count();
    assert_eq!(alarms, 3);
    let dir = tempfile::tempdir().unwrap();
    let out = app.cli(&[
        "evidence",
        "export",
        &inc,
        "--out",
        dir.path().join("b.tar").to_str().unwrap(),
        "--by",
        "ian",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("export refused"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The other item is untouched and still downloads.
    let resp = download(&app, &ian, two["number"].as_str().unwrap()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), other.as_slice());
}

async fn the_database_refuses_to_change_the_content_of_a_record(app: TestApp) {
    let (poc, ian, _mia, _aud) = team(&app).await;
    let inc = incident(&app, &poc, &ian, "ian", "Fixed content").await;
    let one = upload(&app, &ian, &inc, "one.txt", b"first content").await;
    upload(&app, &ian, &inc, "two.txt", b"other content").await;
    let evd = one["number"].as_str().unwrap().to_owned();
    let (sha_one, sha_two) = (sha256_hex(b"first content"), sha256_hex(b"other content"));

    for statement in [
        format!("UPDATE evidence SET sha256 = '{sha_two}' WHERE number = '{evd}'"),
        repoint(&evd, &sha_one, &sha_two),
        format!(
            "UPDATE evidence SET data = replace(data, '{sha_one}', '{sha_two}') WHERE number = '{evd}'"
        ),
        format!(
            "UPDATE evidence SET data = replace(data, '\"size\":13', '\"size\":14') WHERE number = '{evd}'"
        ),
    ] {
        let refused = insider_sql(&app, &statement).await.unwrap_err();
        assert!(
            refused.contains("the content of an evidence record never changes"),
            "{statement}: {refused}"
        );
    }
    // Changes that leave the content alone still pass (custody, holds, checks).
    insider_sql(
        &app,
        &format!("UPDATE evidence SET present = present WHERE number = '{evd}'"),
    )
    .await
    .unwrap();
    app.post_ok(
        &format!("/api/v1/evidence/{evd}/transfers"),
        &ian,
        json!({"to": "DC Smith", "reason": "handed over"}),
        StatusCode::OK,
    )
    .await;
    let resp = download(&app, &ian, &evd).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"first content");
}

async fn drop_guard(app: &TestApp) {
    let statement = match app.backend {
        Backend::Sqlite => "DROP TRIGGER evidence_content_fixed",
        Backend::Postgres => "DROP TRIGGER evidence_content_fixed ON evidence",
    };
    insider_sql(app, statement).await.unwrap();
}

async fn a_record_moved_or_copied_in_the_database_is_refused(app: TestApp) {
    let (poc, ian, _mia, aud) = team(&app).await;
    let first = incident(&app, &poc, &ian, "ian", "Where it was collected").await;
    let other = incident(&app, &poc, &ian, "ian", "Another incident").await;
    let one = upload(&app, &ian, &first, "one.txt", b"the first item").await;
    let two = upload(&app, &ian, &other, "two.txt", b"the second item").await;
    let (evd_one, evd_two) = (
        one["number"].as_str().unwrap().to_owned(),
        two["number"].as_str().unwrap().to_owned(),
    );

    // Moved to another incident: the content is the same, so the schema
    // lets it through; the journal says where it was collected.
    insider_sql(
        &app,
        &format!(
            "UPDATE evidence SET incident = '{other}', \
             data = replace(data, '\"incident\":\"{first}\"', '\"incident\":\"{other}\"') \
             WHERE number = '{evd_one}'"
        ),
    )
    .await
    .unwrap();
    let resp = download(&app, &ian, &evd_one).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let problem: Value = resp.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains(&format!(
            "the record belongs to {other}, but its evidence.collected entry"
        )),
        "{problem}"
    );
    let (status, problem) = app
        .get(&format!("/api/v1/incidents/{other}/evidence/bundle"), &ian)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // A row given another item's record (guard dropped first).
    drop_guard(&app).await;
    insider_sql(
        &app,
        &format!(
            "UPDATE evidence SET data = (SELECT e.data FROM evidence e WHERE e.number = '{evd_one}') \
             WHERE number = '{evd_two}'"
        ),
    )
    .await
    .unwrap();
    let resp = download(&app, &ian, &evd_two).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let problem: Value = resp.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains(&format!(
            "the record stored as {evd_two} is that of {evd_one}"
        )),
        "{problem}"
    );
    let history = custody(&app, &aud, &evd_two).await;
    assert_eq!(history.last().unwrap().0, "evidence.integrity_failed");
    let checked = app
        .post_ok(
            &format!("/api/v1/evidence/{evd_two}/verification"),
            &aud,
            json!({}),
            StatusCode::OK,
        )
        .await;
    assert_eq!(checked["last_check"]["intact"], false, "{checked}");
}
