//! The command-line tools against a live database: users, tokens, and the
//! journal check that finds tampering.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

crate::on_both_backends!(
    users_and_tokens_from_the_command_line,
    tampering_is_named_by_journal_verify,
    tools_never_make_a_signing_key_of_their_own
);

/// Pointed at the wrong key file, the tools that sign refuse; they do not
/// make a key of their own and sign with it.
async fn tools_never_make_a_signing_key_of_their_own(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("no.key");
    let export = dir.path().join("journal.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["journal", "export", &export.display().to_string()])
        .args(&app.storage_args)
        .env_remove("RAMPART_DATABASE_URL")
        .env_remove("RAMPART_DATA_DIR")
        .env(
            "RAMPART_EVIDENCE_DIR",
            app.vault_dir.path().join("evidence"),
        )
        .env("RAMPART_SIGNING_KEY", &wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("signing key"), "{said}");
    assert!(!wrong.exists() && !export.exists());
}

async fn users_and_tokens_from_the_command_line(app: TestApp) {
    let out = app.cli(&[
        "user",
        "add",
        "pat",
        "--role",
        "poc",
        "--role",
        "isirt_member",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.cli(&["token", "create", "pat"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.trim_end_matches('\n');
    assert!(
        token.starts_with("rmp_") && !token.contains(char::is_whitespace),
        "stdout must hold the token alone: {stdout:?}"
    );
    // The token works against the running server.
    app.post_ok(
        "/api/v1/events",
        token,
        json!({"title": "t", "description": "d"}),
        StatusCode::CREATED,
    )
    .await;

    // Refusals: clear message, non-zero exit, nothing written.
    let before = app.journal_len().await;
    for (args, needle) in [
        (
            vec!["user", "add", "pat", "--role", "poc"],
            "exists already",
        ),
        (vec!["user", "add", "Bad Name", "--role", "poc"], "name"),
        (vec!["user", "add", "zed", "--role", "wizard"], "wizard"),
        (vec!["user", "add", "zed"], "--role"),
        (vec!["token", "create", "nobody"], "nobody"),
        (
            vec!["token", "create", "pat", "--scope", "incidents"],
            "incidents:read",
        ),
        (
            vec!["token", "create", "pat", "--scope", "admin"],
            "`admin` covers nothing",
        ),
        (vec!["token", "create", "pat", "--days", "400"], "1 to 365"),
        (
            vec!["token", "revoke", "tok_000000000000"],
            "tok_000000000000",
        ),
    ] {
        let out = app.cli(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    }
    assert_eq!(app.journal_len().await, before);

    // A named, scoped token with an expiry: listed, and revoked.
    let out = app.cli(&[
        "token",
        "create",
        "pat",
        "--name",
        "dashboard",
        "--scope",
        "incidents:read",
        "--days",
        "7",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reader = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let (status, _) = app.get("/api/v1/incidents", &reader).await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/events",
            Some(&reader),
            Some(json!({"title": "t", "description": "d"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("intake:write"),
        "{problem}"
    );
    let out = app.cli(&["token", "list", "--user", "pat"]);
    let listed = String::from_utf8(out.stdout).unwrap();
    let line = listed
        .lines()
        .find(|l| l.contains("\tdashboard\t"))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(line.contains("\tincidents:read\t"), "{line}");
    let id = line.split('\t').next().unwrap();
    let out = app.cli(&["token", "revoke", id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server stops taking it once its token cache (two seconds) has
    // passed: the command line is another process.
    let mut status = StatusCode::OK;
    for _ in 0..30 {
        status = app.get("/api/v1/incidents", &reader).await.0;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let _ = app.user("other", &[Role::Auditor]).await;
}

async fn tampering_is_named_by_journal_verify(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    for i in 0..6 {
        app.post_ok(
            "/api/v1/events",
            &pat,
            json!({"title": format!("event {i}"), "description": "d"}),
            StatusCode::CREATED,
        )
        .await;
    }
    let out = app.cli(&["journal", "verify"]);
    assert!(out.status.success());
    let head = app.store.journal_head().await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("OK {} entries, head {}", head.0, head.1)
    );

    // Change one byte of one entry's payload directly in the database.
    let entries = app
        .store
        .journal(&rampart_store::JournalQuery {
            after: 0,
            limit: 100,
            entity: None,
        })
        .await
        .unwrap();
    let seq = entries
        .iter()
        .find(|e| e.payload.contains("\"event 3\""))
        .unwrap()
        .seq;
    let drop_guard = match app.backend {
        Backend::Sqlite => "DROP TRIGGER journal_no_update",
        Backend::Postgres => "DROP TRIGGER journal_no_update ON journal",
    };
    let tamper = format!(
        "UPDATE journal SET payload = replace(payload, 'event 3', 'event 8') WHERE seq = {seq}"
    );
    app.raw_sql(&[drop_guard, &tamper]).await;
    let out = app.cli(&["journal", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with(&format!("BROKEN at sequence {seq}:")),
        "{stdout}"
    );
}

/// The first start says how to give `admin` a password with a command that
/// works as printed in the server's directory, data directory included, and
/// the password piped into it is taken.
#[test]
fn the_first_start_prints_a_password_command_that_works_as_printed() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let bare = |cmd: &mut Command| {
        for var in [
            "RAMPART_DATABASE_URL",
            "RAMPART_DATA_DIR",
            "RAMPART_EVIDENCE_DIR",
            "RAMPART_SIGNING_KEY",
            "RAMPART_LISTEN",
        ] {
            cmd.env_remove(var);
        }
        cmd.current_dir(dir.path());
    };
    let mut serve = Command::new(env!("CARGO_BIN_EXE_rampart"));
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", "my data"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    bare(&mut serve);
    let mut server = serve.spawn().unwrap();
    let said: Vec<String> = std::io::BufReader::new(server.stdout.take().unwrap())
        .lines()
        .map(Result::unwrap)
        .take_while(|line| !line.starts_with("and add people"))
        .collect();
    server.kill().unwrap();
    server.wait().unwrap();
    let printed = said
        .iter()
        .map(|line| line.trim())
        .find(|line| line.contains(" user password admin"))
        .unwrap_or_else(|| panic!("no password command in {said:#?}"));
    assert!(printed.ends_with("--data-dir 'my data'"), "{printed}");

    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("echo 'a long passphrase' | {printed}"));
    bare(&mut sh);
    let out = sh.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{printed}: {stderr}");
    assert!(stderr.contains("password of `admin` set"), "{stderr}");
}
