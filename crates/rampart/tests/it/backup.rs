//! `rampart backup` and `rampart restore` through the real binary: a copy
//! taken while the server takes writes, restored into a fresh installation
//! whose journal and evidence verify; bad targets and damaged backups refused
//! without changing anything.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use rampart_domain::SystemClock;
use rampart_store::{JournalQuery, Store};
use rampart_store_pg::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;

use crate::evidence::{sha256_hex, team, upload};
use crate::helpers::{Backend, TestApp, copy_dir, incident};

crate::on_both_backends!(
    a_backup_taken_under_load_restores_and_verifies,
    damaged_backups_and_used_targets_are_refused
);

/// Where an installation lives, as the command-line tools are told.
struct Place {
    storage: Vec<String>,
    evidence: PathBuf,
    key: PathBuf,
}

impl Place {
    fn of(app: &TestApp) -> Self {
        Self {
            storage: app.storage_args.clone(),
            evidence: app.vault_dir.path().join("evidence"),
            key: app.vault_dir.path().join("signing.key"),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(args)
            .args(&self.storage)
            .env_remove("RAMPART_DATABASE_URL")
            .env_remove("RAMPART_DATA_DIR")
            .env("RAMPART_EVIDENCE_DIR", &self.evidence)
            .env("RAMPART_SIGNING_KEY", &self.key)
            .output()
            .unwrap()
    }
}

/// A fresh place to restore into, on the app's backend; the guard holds it.
async fn fresh_place(app: &TestApp, root: &Path) -> Option<(Place, Option<TestDatabase>)> {
    let (storage, db) = match app.backend {
        Backend::Sqlite => (
            vec![
                "--data-dir".to_owned(),
                root.join("data").display().to_string(),
            ],
            None,
        ),
        Backend::Postgres => {
            let db = TestDatabase::create("restore").await?;
            (
                vec!["--database-url".to_owned(), db.url().to_owned()],
                Some(db),
            )
        }
    };
    Some((
        Place {
            storage,
            evidence: root.join("vault").join("evidence"),
            key: root.join("vault").join("signing.key"),
        },
        db,
    ))
}

async fn open(app: &TestApp, place: &Place) -> Arc<dyn Store> {
    match app.backend {
        Backend::Sqlite => Arc::new(
            rampart_store_sqlite::open_existing(
                Path::new(&place.storage[1]),
                Arc::new(SystemClock),
            )
            .await
            .unwrap(),
        ),
        Backend::Postgres => Arc::new(
            rampart_store_pg::open_existing(&place.storage[1], Arc::new(SystemClock))
                .await
                .unwrap(),
        ),
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Two incidents' worth of history, with evidence (one content twice).
/// Returns the items' numbers and contents, and a PoC's token.
async fn history(app: &TestApp) -> (Vec<(String, Vec<u8>)>, String) {
    let (poc, ian, _, _) = team(app).await;
    let mut contents = Vec::new();
    for (title, files) in [
        (
            "Phishing wave",
            vec![("mail.eml", b"From: a@b\r\n\r\nclick".to_vec())],
        ),
        (
            "Ransomware on a file server",
            vec![
                ("note.txt", b"your files are encrypted".to_vec()),
                ("copy.eml", b"From: a@b\r\n\r\nclick".to_vec()),
            ],
        ),
    ] {
        let inc = incident(app, &poc, &ian, "ian", title).await;
        for (name, bytes) in files {
            let item = upload(app, &ian, &inc, name, &bytes).await;
            contents.push((item["number"].as_str().unwrap().to_owned(), bytes));
        }
    }
    (contents, poc)
}

async fn a_backup_taken_under_load_restores_and_verifies(app: TestApp) {
    let (contents, poc) = history(&app).await;
    let source = Place::of(&app);
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join("backup");
    let dest_arg = dest.display().to_string();

    // Writes go on while the backup runs: it copies one consistent moment.
    let writer = {
        let client = app.client.clone();
        let url = format!("http://{}/api/v1/events", app.addr);
        let token = poc;
        tokio::spawn(async move {
            for i in 0..60 {
                let resp = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"title": format!("alert {i}"), "description": "d"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), StatusCode::CREATED);
            }
        })
    };
    let before = app.journal_len().await;
    let out = {
        let source = Place::of(&app);
        let dest_arg = dest_arg.clone();
        tokio::task::spawn_blocking(move || source.run(&["backup", &dest_arg]))
            .await
            .unwrap()
    };
    writer.await.unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("journal intact"), "{}", stderr(&out));
    assert!(dest.join("manifest.json").is_file());
    // Nothing but the backup itself is left beside it.
    let beside: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
    assert_eq!(beside.len(), 1, "{beside:?}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dest.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["evidence_items"], 3, "{manifest}");
    assert_eq!(manifest["evidence_files"], 2, "{manifest}");

    let Some((target, _db)) = fresh_place(&app, &root.path().join("restored")).await else {
        return;
    };
    let out = target.run(&["restore", &dest_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("3 evidence items (2 files) verified"),
        "{}",
        stderr(&out)
    );

    // The restored journal is the source's, entry for entry, up to a moment
    // between the backup's start and its end.
    let restored = open(&app, &target).await;
    let (len, head) = restored.journal_head().await.unwrap();
    let after = app.journal_len().await;
    assert!(
        (before..=after).contains(&len),
        "{before} <= {len} <= {after}"
    );
    if let Some(recorded) = manifest["journal"]["entries"].as_u64() {
        assert_eq!(recorded, len);
        assert_eq!(manifest["journal"]["hash"], head.as_str());
    }
    let query = JournalQuery {
        limit: 10_000,
        ..JournalQuery::default()
    };
    let ours: Vec<_> = restored.journal(&query).await.unwrap();
    let theirs: Vec<_> = app.store.journal(&query).await.unwrap();
    assert_eq!(ours.len() as u64, len);
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!((a.seq, &a.hash), (b.seq, &b.hash));
    }
    assert!(matches!(
        rampart_store::journal::verify(restored.as_ref())
            .await
            .unwrap(),
        rampart_store::Verification::Intact { .. }
    ));
    // Every evidence file came along, byte for byte, and the key too.
    for (_, bytes) in &contents {
        let sha = sha256_hex(bytes);
        let path = target.evidence.join(&sha[0..2]).join(&sha[2..4]).join(&sha);
        assert_eq!(&std::fs::read(&path).unwrap(), bytes);
    }
    assert_eq!(
        std::fs::read(&target.key).unwrap(),
        std::fs::read(&source.key).unwrap()
    );
    // The restored installation is usable: the journal check of the tool agrees.
    let out = target.run(&["journal", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

async fn damaged_backups_and_used_targets_are_refused(app: TestApp) {
    let (contents, _) = history(&app).await;
    let source = Place::of(&app);
    let root = tempfile::tempdir().unwrap();

    // A backup never goes into a directory that holds something.
    let used = root.path().join("used");
    std::fs::create_dir(&used).unwrap();
    std::fs::write(used.join("keep.txt"), "mine").unwrap();
    let out = source.run(&["backup", &used.display().to_string()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not an empty directory"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files_under(&used), vec![used.join("keep.txt")]);

    let dest = root.path().join("backup");
    let dest_arg = dest.display().to_string();
    let out = source.run(&["backup", &dest_arg]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Not a backup at all.
    let Some((target, _db)) = fresh_place(&app, &root.path().join("t1")).await else {
        return;
    };
    let out = target.run(&["restore", &used.display().to_string()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no manifest.json"),
        "{}",
        stderr(&out)
    );

    // Restoring over the running installation itself is refused, and it is untouched.
    let len = app.journal_len().await;
    let out = source.run(&["restore", &dest_arg]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("exists already") || stderr(&out).contains("holds tables already"),
        "{}",
        stderr(&out)
    );
    assert_eq!(app.journal_len().await, len);

    // A damaged database file is caught by the manifest before anything is written.
    let db_file = match app.backend {
        Backend::Sqlite => "rampart.db",
        Backend::Postgres => "rampart.pgdump",
    };
    let damaged = root.path().join("damaged");
    copy_dir(&dest, &damaged);
    let mut bytes = std::fs::read(damaged.join(db_file)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(damaged.join(db_file), bytes).unwrap();
    let out = target.run(&["restore", &damaged.display().to_string()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("{db_file} does not match the manifest")),
        "{}",
        stderr(&out)
    );
    assert!(files_under(&root.path().join("t1")).is_empty());
    if app.backend == Backend::Postgres {
        assert!(
            rampart_store_pg::is_empty(&target.storage[1])
                .await
                .unwrap()
        );
    }

    // Changed evidence is named when the restored installation is verified.
    let changed = root.path().join("changed");
    copy_dir(&dest, &changed);
    let sha = sha256_hex(&contents[1].1);
    let blob = changed
        .join("evidence")
        .join(&sha[0..2])
        .join(&sha[2..4])
        .join(&sha);
    std::fs::set_permissions(&blob, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    std::fs::write(&blob, b"your files are fine").unwrap();
    let out = target.run(&["restore", &changed.display().to_string()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("evidence {}", contents[1].0)),
        "{}",
        stderr(&out)
    );

    // A backup of one backend is not restored into the other.
    let other = match app.backend {
        Backend::Sqlite => {
            let Some(db) = TestDatabase::create("restore_other").await else {
                return;
            };
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
                .args(["restore", &dest_arg, "--database-url", db.url()])
                .output()
                .unwrap();
            (out, "holds a sqlite backup")
        }
        Backend::Postgres => {
            let dir = root.path().join("other");
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"))
                .args([
                    "restore",
                    &dest_arg,
                    "--data-dir",
                    &dir.display().to_string(),
                ])
                .env_remove("RAMPART_DATABASE_URL")
                .output()
                .unwrap();
            assert!(!dir.exists());
            (out, "holds a postgres backup")
        }
    };
    assert!(!other.0.status.success());
    assert!(stderr(&other.0).contains(other.1), "{}", stderr(&other.0));
}
